/* mmsimtrace.c - the Valgrind tool behind `mmsim record` (the DBI backend).
 *
 * It instruments every load, store and modify (a load and a store of the same address by one
 * instruction, merged as cachegrind merges them) and every superblock execution, and writes
 * compact raw words (capture/vgtool/protocol.h) into a buffer that is sent as one message to
 * the socket given by --mmsim-fd=N. It also reports the mappings present at start, the
 * memory-management system calls with their results, thread switches, fork, exec, exit and
 * sleeps. All encoding and compression happen in mmsim record, on the other core.
 *
 * No libc here: only the VG_() functions of Valgrind's tool interface. A Valgrind tool is a
 * single-process, big-lock program, so the buffer is ordinary global state: guest threads
 * never run concurrently, and a forked child gets its own copy (reset in atfork_child).
 */
#include "pub_tool_basics.h"
#include "pub_tool_tooliface.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_clientstate.h"
#include "pub_tool_libcassert.h"
#include "pub_tool_libcbase.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcprint.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_machine.h"
#include "pub_tool_options.h"
#include "pub_tool_threadstate.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

#include "protocol.h"

typedef IRExpr IRAtom; /* an atom of flat IR: a temporary or a constant */

#define MMS_TIMER_ABSTIME 1 /* clock_nanosleep's flag (linux/time.h) */

/* Moves a file descriptor into Valgrind's reserved range so the client cannot close it.
 * Part of the core's libcfile; not in the tool headers of 3.19. */
extern Int VG_(safe_fd)(Int oldfd);

/* ---- options ---- */
static Int clo_fd = -1;           /* the socket from mmsim record */
static Bool clo_ifetch = True;    /* emit superblock executions */

/* ---- the output buffer: word 0 is the frame header, records from word 1 ---- */
#define SLACK_WORDS 1024 /* room for a control record after the data limit */
static ULong buf[MMS_FRAME_WORDS];
static ULong *cur = buf + 1;
static ULong *const data_limit = buf + MMS_FRAME_WORDS - SLACK_WORDS;
static Int out_fd = -1;
static Int my_pid;
static Bool send_failed;

/* ---- state for thread switches, superblock ids and sleeps ---- */
static ThreadId last_tid = VG_INVALID_THREADID;
static ULong next_sb_id;
#define MAX_TIDS 4096
static UInt sleep_start_ms[MAX_TIDS];

static void send_frame(void)
{
    Int bytes = (Int)((cur - buf) * sizeof(ULong));
    if (cur == buf + 1)
        return;
    buf[0] = (MMS_FRAME_MAGIC << 32) | (ULong)(UInt)my_pid;
    cur = buf + 1;
    if (out_fd < 0 || send_failed)
        return;
    /* One write is one message on a SOCK_SEQPACKET socket: all or nothing. */
    Int n = VG_(write)(out_fd, buf, bytes);
    if (n != bytes) {
        send_failed = True;
        VG_(umsg)("mmsimtrace: pid %d: sending %d bytes to fd %d failed (%d); "
                  "the rest of this process is not recorded\n", my_pid, bytes, out_fd, n);
    }
}

/* Reserves room for a control record of n words, sending the frame first if needed. */
static ULong *reserve(UInt n)
{
    tl_assert(n < SLACK_WORDS);
    if (cur + n > buf + MMS_FRAME_WORDS)
        send_frame();
    ULong *p = cur;
    cur += n;
    return p;
}

static ULong *begin_ext(UInt type, UInt nwords)
{
    ULong *p = reserve(nwords + 1);
    p[0] = ((ULong)MMS_C_EXT << MMS_CODE_SHIFT) | ((ULong)type << MMS_ARG_SHIFT) | nwords;
    return p + 1;
}

static UInt string_words(const HChar *s)
{
    return s ? (UInt)(VG_(strlen)(s) / 8 + 1) : 0;
}

static void put_string(ULong *p, const HChar *s, UInt words)
{
    if (!words)
        return;
    VG_(memset)(p, 0, words * 8);
    VG_(memcpy)(p, s, VG_(strlen)(s));
}

/* Long paths are cut so a control record always fits the slack. */
static const HChar *short_path(const HChar *s)
{
    if (s && VG_(strlen)(s) > 4000)
        return s + VG_(strlen)(s) - 4000;
    return s;
}

/* ---- the helpers called from instrumented code: keep them tiny ---- */
static VG_REGPARM(2) void put_access(ULong tag, Addr a)
{
    *cur++ = tag | ((ULong)a & MMS_ADDR_MASK);
    if (UNLIKELY(cur >= data_limit))
        send_frame();
}

static VG_REGPARM(1) void put_word(ULong w)
{
    *cur++ = w;
    if (UNLIKELY(cur >= data_limit))
        send_frame();
}

/* ---- instrumentation ---- */
enum ev_type { EV_LOAD = 1, EV_STORE = 2, EV_MODIFY = 3 };

struct event {
    enum ev_type type;
    UInt insn;      /* instruction index in the superblock */
    Int size;
    IRAtom *addr;
    IRAtom *guard;  /* NULL: unconditional */
};

#define MAX_EVENTS 32
struct pending {
    struct event ev[MAX_EVENTS];
    Int n;
};

static void emit_event(IRSB *sb, const struct event *e)
{
    Int size = e->size > MMS_MAX_SIZE ? MMS_MAX_SIZE : e->size;
    UInt idx = e->insn > MMS_MAX_INDEX ? MMS_MAX_INDEX : e->insn;
    if (size <= 0)
        return;
    ULong tag = ((ULong)e->type << MMS_TYPE_SHIFT) | ((ULong)idx << MMS_INDEX_SHIFT) |
                ((ULong)(size - 1) << MMS_SIZE_SHIFT);
    IRExpr **args = mkIRExprVec_2(mkIRExpr_HWord((HWord)tag), e->addr);
    IRDirty *di = unsafeIRDirty_0_N(2, "mmsim_put_access", VG_(fnptr_to_fnentry)(put_access),
                                    args);
    if (e->guard)
        di->guard = e->guard;
    addStmtToIRSB(sb, IRStmt_Dirty(di));
}

static void flush_events(IRSB *sb, struct pending *p)
{
    for (Int i = 0; i < p->n; i++)
        emit_event(sb, &p->ev[i]);
    p->n = 0;
}

static void add_event(IRSB *sb, struct pending *p, enum ev_type type, UInt insn, Int size,
                      IRAtom *addr, IRAtom *guard)
{
    /* A store right after an unconditional load of the same address and size by the same
     * instruction is a modify (cachegrind counts it as one data reference). */
    if (type == EV_STORE && !guard && p->n > 0) {
        struct event *last = &p->ev[p->n - 1];
        if (last->type == EV_LOAD && !last->guard && last->insn == insn && last->size == size &&
            eqIRAtom(last->addr, addr)) {
            last->type = EV_MODIFY;
            return;
        }
    }
    if (p->n == MAX_EVENTS)
        flush_events(sb, p);
    struct event *e = &p->ev[p->n++];
    e->type = type;
    e->insn = insn;
    e->size = size;
    e->addr = addr;
    e->guard = guard;
}

static void put_const_call(IRSB *sb, ULong word, IRAtom *guard)
{
    IRExpr **args = mkIRExprVec_1(mkIRExpr_HWord((HWord)word));
    IRDirty *di = unsafeIRDirty_0_N(1, "mmsim_put_word", VG_(fnptr_to_fnentry)(put_word), args);
    if (guard)
        di->guard = guard;
    addStmtToIRSB(sb, IRStmt_Dirty(di));
}

/* Sends the superblock's instruction list once, at translation time; returns its id. */
static ULong define_superblock(IRSB *in, Int first)
{
    UInt n = 0;
    for (Int i = first; i < in->stmts_used; i++)
        if (in->stmts[i]->tag == Ist_IMark)
            n++;
    ULong id = next_sb_id++;
    ULong *p = begin_ext(MMS_X_SBDEF, n + 1);
    *p++ = id;
    for (Int i = first; i < in->stmts_used; i++) {
        IRStmt *st = in->stmts[i];
        if (st->tag != Ist_IMark)
            continue;
        ULong len = st->Ist.IMark.len ? st->Ist.IMark.len : 1;
        *p++ = ((ULong)st->Ist.IMark.addr & MMS_ADDR_MASK) | (len << MMS_SIZE_SHIFT);
    }
    return id;
}

static void instrument_dirty(IRSB *sb, struct pending *p, UInt insn, IRDirty *d)
{
    if (d->mFx == Ifx_None)
        return;
    tl_assert(d->mAddr != NULL);
    IRAtom *addr = d->mAddr; /* flat IR: an atom */
    enum ev_type t = d->mFx == Ifx_Read ? EV_LOAD : d->mFx == Ifx_Write ? EV_STORE : EV_MODIFY;
    add_event(sb, p, t, insn, d->mSize, addr, NULL);
}

static void instrument_cas(IRSB *sb, struct pending *p, UInt insn, IRCAS *cas)
{
    Int size = sizeofIRType(typeOfIRExpr(sb->tyenv, cas->dataLo));
    if (cas->dataHi != NULL)
        size *= 2; /* a double-word CAS */
    add_event(sb, p, EV_LOAD, insn, size, cas->addr, NULL);
    add_event(sb, p, EV_STORE, insn, size, cas->addr, NULL);
}

static IRSB *mt_instrument(VgCallbackClosure *closure, IRSB *in, const VexGuestLayout *layout,
                           const VexGuestExtents *vge, const VexArchInfo *archinfo_host,
                           IRType gWordTy, IRType hWordTy)
{
    (void)closure; (void)layout; (void)vge; (void)archinfo_host;
    if (gWordTy != hWordTy)
        VG_(tool_panic)("mmsimtrace: host and guest word sizes differ");

    IRSB *sb = deepCopyIRSBExceptStmts(in);
    Int i = 0;
    while (i < in->stmts_used && in->stmts[i]->tag != Ist_IMark) {
        addStmtToIRSB(sb, in->stmts[i]);
        i++;
    }
    if (clo_ifetch && i < in->stmts_used)
        put_const_call(sb, define_superblock(in, i) & MMS_ADDR_MASK, NULL);

    struct pending p;
    p.n = 0;
    UInt ninsn = 0;
    for (; i < in->stmts_used; i++) {
        IRStmt *st = in->stmts[i];
        if (!st || st->tag == Ist_NoOp)
            continue;
        UInt insn = ninsn ? ninsn - 1 : 0;
        switch (st->tag) {
        case Ist_IMark:
            flush_events(sb, &p);
            ninsn++;
            break;
        case Ist_WrTmp: {
            IRExpr *e = st->Ist.WrTmp.data;
            if (e->tag == Iex_Load)
                add_event(sb, &p, EV_LOAD, insn, sizeofIRType(e->Iex.Load.ty), e->Iex.Load.addr,
                          NULL);
            break;
        }
        case Ist_Store: {
            IRType ty = typeOfIRExpr(in->tyenv, st->Ist.Store.data);
            add_event(sb, &p, EV_STORE, insn, sizeofIRType(ty), st->Ist.Store.addr, NULL);
            break;
        }
        case Ist_StoreG: {
            IRStoreG *sg = st->Ist.StoreG.details;
            IRType ty = typeOfIRExpr(in->tyenv, sg->data);
            add_event(sb, &p, EV_STORE, insn, sizeofIRType(ty), sg->addr, sg->guard);
            break;
        }
        case Ist_LoadG: {
            IRLoadG *lg = st->Ist.LoadG.details;
            IRType ty = Ity_INVALID, ty_wide = Ity_INVALID;
            typeOfIRLoadGOp(lg->cvt, &ty_wide, &ty);
            add_event(sb, &p, EV_LOAD, insn, sizeofIRType(ty), lg->addr, lg->guard);
            break;
        }
        case Ist_Dirty:
            instrument_dirty(sb, &p, insn, st->Ist.Dirty.details);
            break;
        case Ist_CAS:
            instrument_cas(sb, &p, insn, st->Ist.CAS.details);
            break;
        case Ist_LLSC: {
            IRType ty = typeOfIRTemp(in->tyenv, st->Ist.LLSC.result);
            if (st->Ist.LLSC.storedata == NULL)
                add_event(sb, &p, EV_LOAD, insn, sizeofIRType(ty), st->Ist.LLSC.addr, NULL);
            else
                add_event(sb, &p, EV_STORE, insn,
                          sizeofIRType(typeOfIRExpr(in->tyenv, st->Ist.LLSC.storedata)),
                          st->Ist.LLSC.addr, NULL);
            break;
        }
        case Ist_Exit:
            /* The side exit leaves after `ninsn` instructions: say so when it is taken. */
            flush_events(sb, &p);
            if (clo_ifetch)
                put_const_call(sb,
                               ((ULong)MMS_C_EXIT << MMS_CODE_SHIFT) |
                                   ((ULong)(ninsn > 255 ? 255 : ninsn) << MMS_ARG_SHIFT),
                               st->Ist.Exit.guard);
            break;
        default:
            break;
        }
        addStmtToIRSB(sb, st);
    }
    flush_events(sb, &p);
    return sb;
}

/* ---- process and thread bookkeeping ---- */
static void put_switch(ThreadId tid)
{
    ULong *p = begin_ext(MMS_X_SWITCH, 1);
    p[0] = (ULong)(UInt)VG_(gettid)();
    last_tid = tid;
}

static void start_client_code(ThreadId tid, ULong blocks)
{
    (void)blocks;
    if (tid != last_tid)
        put_switch(tid);
}

static void put_start(UInt kind)
{
    const HChar *exe = short_path(VG_(args_the_exename));
    UInt sw = string_words(exe);
    ULong *p = begin_ext(MMS_X_START, 2 + sw);
    p[0] = kind;
    p[1] = (ULong)(UInt)VG_(getppid)();
    put_string(p + 2, exe, sw);
}

/* Before a fork, the parent sends everything it has, superblock definitions included: the
 * child runs the same translations and its frames may reach mmsim record before the
 * parent's next frame. */
static void atfork_pre(ThreadId tid)
{
    (void)tid;
    send_frame();
}

static void atfork_child(ThreadId tid)
{
    (void)tid;
    /* The parent's unsent records are the parent's to send. */
    cur = buf + 1;
    my_pid = VG_(getpid)();
    put_start(MMS_START_FORK);
    last_tid = VG_INVALID_THREADID;
}

static ULong prot_of(Bool rr, Bool ww, Bool xx)
{
    return (rr ? VKI_PROT_READ : 0) | (ww ? VKI_PROT_WRITE : 0) | (xx ? VKI_PROT_EXEC : 0);
}

static void new_mem_startup(Addr a, SizeT len, Bool rr, Bool ww, Bool xx, ULong di_handle)
{
    (void)di_handle;
    NSegment const *seg = VG_(am_find_nsegment)(a);
    const HChar *path = seg ? short_path(VG_(am_get_filename)(seg)) : NULL;
    ULong flags = VKI_MAP_PRIVATE | (path ? 0 : VKI_MAP_ANONYMOUS);
    UInt sw = string_words(path);
    ULong *p = begin_ext(MMS_X_MAP, 6 + sw);
    p[0] = a;
    p[1] = len;
    p[2] = prot_of(rr, ww, xx);
    p[3] = flags;
    p[4] = (seg && path) ? (ULong)seg->offset + (a - seg->start) : 0;
    p[5] = (seg && path) ? seg->ino : 0;
    put_string(p + 6, path, sw);
}

/* ---- system calls ---- */
static Bool is_mm_syscall(UInt n)
{
    switch (n) {
    case __NR_mmap: case __NR_munmap: case __NR_mremap: case __NR_brk: case __NR_mprotect:
    case __NR_madvise: case __NR_clone: case __NR_fork: case __NR_vfork:
#if defined(__NR_clone3)
    case __NR_clone3:
#endif
        return True;
    default:
        return False;
    }
}

static Bool readable(Addr a, SizeT len)
{
    return a != 0 && VG_(am_is_valid_for_client)(a, len, VKI_PROT_READ);
}

static ULong timespec_ns(Addr a)
{
    if (!readable(a, sizeof(struct vki_timespec)))
        return 0;
    const struct vki_timespec *ts = (const struct vki_timespec *)a;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0)
        return 0;
    return (ULong)ts->tv_sec * 1000000000ULL + (ULong)ts->tv_nsec;
}

static void put_sleep(ULong ns)
{
    ULong *p = begin_ext(MMS_X_SLEEP, 1);
    p[0] = ns;
}

static void pre_syscall(ThreadId tid, UInt n, UWord *args, UInt nargs)
{
    (void)nargs;
    if (tid < MAX_TIDS)
        sleep_start_ms[tid] = VG_(read_millisecond_timer)();
    switch (n) {
    case __NR_exit:
    case __NR_exit_group: {
        ULong *p = begin_ext(MMS_X_EXIT, 2);
        p[0] = args[0];
        p[1] = n == __NR_exit_group;
        if (n == __NR_exit_group)
            send_frame();
        break;
    }
    case __NR_execve:
#if defined(__NR_execveat)
    case __NR_execveat:
#endif
        /* A successful exec replaces this image: nothing unsent may stay behind. */
        send_frame();
        break;
    case __NR_nanosleep:
        put_sleep(timespec_ns(args[0]));
        break;
    case __NR_clock_nanosleep:
        if (!(args[1] & MMS_TIMER_ABSTIME))
            put_sleep(timespec_ns(args[2]));
        break;
    default:
        break;
    }
}

static Long sysres_value(SysRes res)
{
    return sr_isError(res) ? -(Long)sr_Err(res) : (Long)sr_Res(res);
}

static ULong clone_flags(UInt n, UWord *args)
{
    if (n == __NR_clone)
        return args[0];
    if (n == __NR_vfork)
        return VKI_CLONE_VM | VKI_CLONE_VFORK | VKI_SIGCHLD;
    if (n == __NR_fork)
        return VKI_SIGCHLD;
    /* clone3: the flags are the first field of struct clone_args */
    return readable(args[0], 8) ? *(const ULong *)args[0] : 0;
}

static void post_syscall(ThreadId tid, UInt n, UWord *args, UInt nargs, SysRes res)
{
    (void)nargs;
    if (n == __NR_clock_nanosleep && (args[1] & MMS_TIMER_ABSTIME) && tid < MAX_TIDS)
        put_sleep((ULong)(VG_(read_millisecond_timer)() - sleep_start_ms[tid]) * 1000000ULL);
    if (!is_mm_syscall(n))
        return;
    Long result = sysres_value(res);
    Bool is_clone = n == __NR_clone || n == __NR_fork || n == __NR_vfork;
#if defined(__NR_clone3)
    is_clone = is_clone || n == __NR_clone3;
#endif
    if (is_clone && result == 0)
        return; /* the child's side of fork: atfork_child announced it */
    const HChar *path = NULL;
    if (n == __NR_mmap && result >= 0 && !(args[3] & VKI_MAP_ANONYMOUS)) {
        NSegment const *seg = VG_(am_find_nsegment)((Addr)result);
        path = seg ? short_path(VG_(am_get_filename)(seg)) : NULL;
    }
    UInt sw = string_words(path);
    ULong *p = begin_ext(MMS_X_SYSCALL, 8 + sw);
    p[0] = n;
    p[1] = (ULong)result;
    for (Int i = 0; i < 6; i++)
        p[2 + i] = args[i];
    if (is_clone)
        p[2] = clone_flags(n, args);
    put_string(p + 8, path, sw);
}

static void pre_deliver_signal(ThreadId tid, Int sig, Bool alt_stack)
{
    (void)tid; (void)alt_stack;
    ULong *p = begin_ext(MMS_X_SIGNAL, 2);
    p[0] = (ULong)sig;
    p[1] = 0;
}

/* ---- start and end ---- */
static Bool process_option(const HChar *arg)
{
    if VG_INT_CLO(arg, "--mmsim-fd", clo_fd) {}
    else if VG_BOOL_CLO(arg, "--mmsim-ifetch", clo_ifetch) {}
    else
        return False;
    return True;
}

static void print_usage(void)
{
    VG_(printf)("    --mmsim-fd=N            the socket mmsim record reads [none]\n"
                "    --mmsim-ifetch=yes|no   record instruction fetches [yes]\n");
}

static void print_debug_usage(void)
{
    VG_(printf)("    (none)\n");
}

static void post_clo_init(void)
{
    my_pid = VG_(getpid)();
    if (clo_fd < 0) {
        VG_(umsg)("mmsimtrace: no --mmsim-fd: run it through `mmsim record`\n");
        send_failed = True;
    } else {
        /* Keep the client's fd N (an exec'd image needs it) and write through a copy the
         * client cannot close. */
        SysRes d = VG_(dup)(clo_fd);
        if (sr_isError(d)) {
            VG_(umsg)("mmsimtrace: --mmsim-fd=%d is not an open file descriptor\n", clo_fd);
            send_failed = True;
        } else {
            out_fd = VG_(safe_fd)((Int)sr_Res(d));
        }
    }
    put_start(MMS_START_FIRST);
}

static void fini(Int exitcode)
{
    ULong *p = begin_ext(MMS_X_END, 1);
    p[0] = (ULong)(Long)exitcode;
    send_frame();
}

static void pre_clo_init(void)
{
    VG_(details_name)("mmsimtrace");
    VG_(details_version)("0.1");
    VG_(details_description)("memory access and OS event recorder for mmsim");
    VG_(details_copyright_author)("the mmsim authors");
    VG_(details_bug_reports_to)("the mmsim authors");
    VG_(details_avg_translation_sizeB)(400);

    VG_(basic_tool_funcs)(post_clo_init, mt_instrument, fini);
    VG_(needs_command_line_options)(process_option, print_usage, print_debug_usage);
    VG_(needs_syscall_wrapper)(pre_syscall, post_syscall);
    VG_(track_new_mem_startup)(new_mem_startup);
    VG_(track_start_client_code)(start_client_code);
    VG_(track_pre_deliver_signal)(pre_deliver_signal);
    VG_(atfork)(atfork_pre, NULL, atfork_child);
}

VG_DETERMINE_INTERFACE_VERSION(pre_clo_init)
