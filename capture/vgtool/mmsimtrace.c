/* mmsimtrace.c - the Valgrind tool behind `mmsim record` (the DBI backend).
 *
 * It instruments every load, store and modify (a load and a store of the same address by one
 * instruction, merged as cachegrind merges them) and every instruction fetch, and encodes
 * them itself into .mmt chunk payloads (format 1.2, traces/FORMAT.md): a superblock's
 * fetches are a plan defined once per chunk and run with one- or few-byte records, and each
 * data access is predicted from the last access of the same instruction (its site). The
 * payload goes in pieces to the socket given by --mmsim-fd=N (capture/vgtool/protocol.h);
 * mmsim record only compresses it, on the other core. The tool also records the mappings
 * present at start, the memory-management system calls with their results, thread
 * switches, fork, exec, exit and sleeps. With --mmsim-length it records windows of the
 * program and only counts instructions in between (the windows section below).
 *
 * Encoding here rather than in mmsim record removes a decode-and-re-encode pass and most of
 * the bytes crossing the socket: the helpers below run once per access anyway, and the
 * state they need (the last address, the site slot) is already in cache.
 *
 * No libc here: only the VG_() functions of Valgrind's tool interface. A Valgrind tool is a
 * single-process, big-lock program, so the encoder state is ordinary global state: guest
 * threads never run concurrently, and a forked child gets its own copy (reset in
 * atfork_child).
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
#include "pub_tool_mallocfree.h"
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
static Int clo_fd = -1;              /* the socket from mmsim record */
static Bool clo_ifetch = True;       /* record instruction fetches */
static Long clo_chunk_records = 1 << 18; /* end a chunk after this many records */
static Long clo_chunk_bytes = 3 << 20;   /* ... or this many payload bytes */
static Bool clo_ring = False;            /* --mmsim-transport=ring (else copy) */
static Long clo_skip = 0;   /* windows: instructions fast-forwarded before the first */
static Long clo_length = 0; /* ... recorded in each window (0: no windows, record all) */
static Long clo_every = -1; /* ... fast-forwarded between windows (-1: one window only) */

/* ---- a superblock: its fetch plan and its data-access sites ---- */
struct site {
    ULong a, d; /* the last address and the last delta of the accesses made here (the
                 * format's SA and SD) */
    ULong g;    /* the last global delta (from the access before) made here: the tool's own */
    ULong pad;  /* 32 bytes: an instruction's two slots are 64 bytes, aligned to 64 */
};

/* An instruction's second slot is its first with bit 5 set: no base pointer to keep. */
static inline struct site *second_slot(struct site *s)
{
    return (struct site *)((UWord)s | 32);
}

struct sbinfo {
    UInt n;              /* instructions */
    UInt gen, id;        /* its plan's id in chunk `gen` (defined there when gen matches) */
    struct sbinfo *succ; /* the superblock that ran after it, in chunk succ_gen */
    UInt succ_gen;
    UInt body_len;
    UInt tail_from;      /* the first instruction fetched by its end (see flush_tail) */
    UChar tail_byte;     /* the one-byte MORE for those fetches (0: they need more) */
    UChar *body;         /* the PLAN record after its id: varint n, (size, zvarint gap) x n */
    struct site *sites;  /* 2 n slots, the first and the later accesses of each instruction,
                          * in the same allocation, aligned to 64 bytes */
};

/* ---- the encoder: one chunk of this process at a time ---- */
#define MSG_WORDS (MMS_MSG_BYTES / 8)
#define TRAILER_MAX_BYTES ((MMS_TR_FIXED + MMS_MAX_CHUNK_TIDS) * 8)
/* Room after the limit for what one helper or event writes without checking: two plans of
 * 512 instructions (~5.7 KB each: the previous superblock's tail and the next one's), their
 * runs and an access, or a plan and an event with a 4000-byte path (~4.1 KB). */
#define SLACK_BYTES (16 << 10)

/* The pieces are written into a ring of message buffers. With --mmsim-transport=ring (what
 * mmsim record asks for when it may read this process's memory) a piece is announced by a
 * small descriptor and mmsim record copies it out with process_vm_readv, then writes the
 * number of pieces it has read into `acked`: the payload never goes through the socket,
 * which took the tool's core ~7% of its time. With the copy transport the whole piece is
 * the message and only buffer 0 is used. */
#define RING 16
static ULong ring[RING][MSG_WORDS];
static volatile ULong acked; /* written by mmsim record (process_vm_writev) */
static ULong sent;           /* pieces announced */
static Bool ring_mode;
static UInt slot;            /* the ring buffer being filled */
static UChar *pay0 = (UChar *)(ring[0] + 2);
static UChar *pay_limit = (UChar *)ring[0] + MMS_MSG_BYTES - SLACK_BYTES - TRAILER_MAX_BYTES;

static struct {
    UChar *p;                /* the next payload byte */
    ULong a1, s1;            /* stream 1 (data): last address and size (the format's D is
                              * not kept: the tool never writes the global STRIDE mode, the
                              * site stride covers it) */
    struct sbinfo *cur;      /* the current plan (NULL: none yet in this chunk) */
    struct sbinfo *tail;     /* a superblock whose last fetches are not written yet */
    struct site *site;       /* the slot of the next data access (NULL: no plan); also says
                              * the current plan's next instruction (current_next) */
    UInt gen, nplans;
    ULong kinds[6];          /* records by kind; loads, stores and modifies in `data` */
    ULong data;              /* 21 bits each: loads, stores, modifies (DATA_INC) */
    ULong events[MMS_EV_SLOTS], nevents;
    ULong bytes_sent;        /* payload bytes in the chunk's earlier pieces */
    UInt tid_start, tid;
    UInt tids[MMS_MAX_CHUNK_TIDS], ntids;
} g;

/* ---- windows (--mmsim-length): fast-forward and record in turns ----
 * Every superblock adds the instructions it ran to `icount` with plain IR (a store before
 * each side exit under the exit's guard, and one at its end), and calls h_boundary only
 * when icount >= next (a guarded call). Every recording call is guarded by `recording`, so
 * a fast-forwarded superblock costs a few loads, adds and compares and no call. Windows
 * start and end at superblock entries: exact to a superblock. The counts are per process
 * (all its threads); a forked child starts counting from 0, as an exec'd image does. */
static struct {
    ULong icount;    /* instructions this process has run */
    ULong next;      /* icount at which h_boundary runs (~0: never) */
    ULong recording; /* 1: the recording calls run */
    ULong index;     /* the window being recorded, or the next one */
    ULong start;     /* icount at the current window's start */
} win = {0, ~0ULL, 1, 0, 0};

static Bool windows_on(void)
{
    return clo_length > 0;
}

static Int out_fd = -1;
static Int my_pid;
static Bool send_failed;

/* ---- state for thread switches and sleeps ---- */
static ThreadId last_tid = VG_INVALID_THREADID;
#define MAX_TIDS 4096
static UInt sleep_start_ms[MAX_TIDS];
static Bool in_exec[MAX_TIDS]; /* between an execve's entry and its (failed) return */
/* The clone flags of the fork in progress, set before the syscall: a forked child inherits
 * them with the rest of the tool's memory and names them in its START record. */
static ULong fork_flags;

static void send_bytes(const void *buf, Int bytes)
{
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

/* Loads, stores and modifies share one counter word, so a batch of accesses adds its
 * counts with one addition (chunks hold at most 2^22 records, a field 2^21 - 1: the chunk
 * limit is capped below that). */
#define DATA_SHIFT 21
#define DATA_MASK ((1ULL << DATA_SHIFT) - 1)
static inline ULong data_inc(UInt kind)
{
    return 1ULL << (DATA_SHIFT * (kind - 1));
}

static inline ULong data_count(UInt kind)
{
    return (g.data >> (DATA_SHIFT * (kind - 1))) & DATA_MASK;
}

static ULong chunk_records(void)
{
    return g.kinds[0] + data_count(1) + data_count(2) + data_count(3) + g.kinds[4] + g.kinds[5];
}

static void start_chunk(void)
{
    g.p = pay0;
    g.a1 = g.s1 = 0;
    g.cur = NULL;
    g.site = NULL;
    g.gen++;
    g.nplans = 0;
    VG_(memset)(g.kinds, 0, sizeof g.kinds);
    g.data = 0;
    VG_(memset)(g.events, 0, sizeof g.events);
    g.nevents = 0;
    g.bytes_sent = 0;
    g.tid_start = g.tid;
    g.ntids = 0;
}

/* Waits until mmsim record has read all but `keep` of the pieces announced (1 ms naps; it
 * reads as they come, so this waits only when the ring is full, and before the image goes
 * away: exec, exit). After 30 s of no progress it gives up on the ring. */
static void wait_acked(ULong keep)
{
    ULong last_seen = acked;
    Int idle_ms = 0;
    while (!send_failed && sent - acked > keep) {
        VG_(poll)(NULL, 0, 1);
        if (acked != last_seen) {
            last_seen = acked;
            idle_ms = 0;
        } else if (++idle_ms > 30000) {
            VG_(umsg)("mmsimtrace: pid %d: mmsim record stopped reading; "
                      "the rest of this process is not recorded\n", my_pid);
            send_failed = True;
        }
    }
}

/* The descriptor of the piece in ring[slot] (msg[1] says whether it ends the chunk): the
 * payload stays here until mmsim record has copied it; the message carries its place, the
 * ack counter's and the trailer. Then the next buffer, once it is free. */
static void announce_piece(ULong *msg, ULong padded)
{
    static ULong desc[MMS_DESC_FIXED + MMS_TR_FIXED + MMS_MAX_CHUNK_TIDS];
    UInt ntr = MMS_TR_FIXED + g.ntids;
    desc[0] = (MMS_DESC_MAGIC << 32) | (ULong)(UInt)my_pid;
    desc[1] = msg[1];
    desc[MMS_DESC_ADDR] = (ULong)(UWord)(msg + 2);
    desc[MMS_DESC_ACK] = (ULong)(UWord)&acked;
    desc[MMS_DESC_SEQ] = ++sent;
    VG_(memcpy)(desc + MMS_DESC_FIXED, (UChar *)(msg + 2) + padded, ntr * 8);
    send_bytes(desc, (Int)((MMS_DESC_FIXED + ntr) * 8));
    slot = (slot + 1) % RING;
    pay0 = (UChar *)(ring[slot] + 2);
    pay_limit = (UChar *)ring[slot] + MMS_MSG_BYTES - SLACK_BYTES - TRAILER_MAX_BYTES;
    wait_acked(RING - 1);
}

/* Sends the payload written since the last piece, with the chunk's counts so far. */
static void send_piece(Bool last)
{
    ULong len = (ULong)(g.p - pay0);
    ULong padded = (len + 7) & ~7ULL;
    VG_(memset)(g.p, 0, padded - len);
    ULong *t = (ULong *)(pay0 + padded);
    t[MMS_TR_TID_START] = g.tid_start;
    t[MMS_TR_TID_END] = g.tid;
    t[MMS_TR_NEVENTS] = g.nevents;
    for (Int k = 0; k < 6; k++)
        t[MMS_TR_KINDS + k] = k >= 1 && k <= 3 ? data_count((UInt)k) : g.kinds[k];
    for (Int e = 0; e < MMS_EV_SLOTS; e++)
        t[MMS_TR_EVENTS + e] = g.events[e];
    t[MMS_TR_NTIDS] = g.ntids;
    for (UInt i = 0; i < g.ntids; i++)
        t[MMS_TR_FIXED + i] = g.tids[i];
    ULong *msg = ring[slot];
    msg[0] = (MMS_CHUNK_MAGIC << 32) | (ULong)(UInt)my_pid;
    msg[1] = (last ? MMS_LAST_PIECE : 0) | len;
    if (ring_mode && !send_failed)
        announce_piece(msg, padded);
    else
        send_bytes(msg, (Int)(16 + padded + (MMS_TR_FIXED + g.ntids) * 8));
    g.bytes_sent += len;
    g.p = pay0;
}

static void flush_tail(void);

/* Ends the chunk (sending what it holds) and starts the next. */
static void end_chunk(void)
{
    flush_tail();
    if (chunk_records())
        send_piece(True);
    start_chunk();
}

/* The buffer is past its limit: send a piece, or end the chunk when it is full. */
static void __attribute__((noinline)) piece_full(void)
{
    if (chunk_records() >= (ULong)clo_chunk_records ||
        g.bytes_sent + (ULong)(g.p - pay0) >= (ULong)clo_chunk_bytes)
        end_chunk();
    else
        send_piece(False);
}

static inline UChar *put_uv(UChar *p, ULong v)
{
    while (v >= 0x80) {
        *p++ = (UChar)(v | 0x80);
        v >>= 7;
    }
    *p++ = (UChar)v;
    return p;
}

static inline ULong zigzag(Long v)
{
    return ((ULong)v << 1) ^ (ULong)(v >> 63);
}

/* ---- the helpers called from instrumented code: keep them lean ---- */

/* The description of an access, a constant of its call: bits 0..4 the tag without its mode
 * (kind | size code << 2), bit 5 a size byte follows, bits 8..15 the size. */
#define ACC_EXTRA 0x20

/* A data access record at p; updates the streams and the site. No limit check. */
static inline __attribute__((always_inline)) UChar *access_record(UChar *p, ULong desc, Addr a)
{
    ULong d = (ULong)a - g.a1;
    ULong size = (desc >> 8) & 0xff;
    struct site *s = g.site;
    UInt tag = (UInt)desc & 0x1f;
    ULong v = 0;
    Bool varint = False;
    if (d == g.s1) {
        tag |= MMS_MODE_SEQ << 5;
    } else if (s && (ULong)a - s->a == s->d) {
        tag |= MMS_MODE_SITE_STRIDE << 5;
    } else if (d == 0) {
        tag |= MMS_MODE_SAME << 5;
    } else {
        varint = True;
        v = zigzag((Long)d);
        /* A site delta is shorter than a global one, but when the global delta repeats the
         * one made here last time (a field read after another: b[j] after a[j]) it is the
         * same bytes as then, which zstd compresses to nothing; the site delta of a random
         * index is new bytes every time (traces/FORMAT.md leaves the choice to the writer;
         * docs/capture.md has the sizes). */
        if (s && d != s->g) {
            ULong vs = zigzag((Long)((ULong)a - s->a));
            if (vs < v) {
                v = vs;
                tag |= MMS_MODE_SITE_DELTA << 5;
            }
        }
    }
    *p++ = (UChar)tag;
    if (UNLIKELY(desc & ACC_EXTRA))
        *p++ = (UChar)size;
    if (varint)
        p = put_uv(p, v);
    g.a1 = a;
    g.s1 = size;
    if (s) {
        s->d = (ULong)a - s->a;
        s->a = a;
        s->g = d;
        g.site = second_slot(s);
    }
    return p;
}

static UChar *define_plan(UChar *p, struct sbinfo *sb)
{
    *p++ = MMS_TAG_PLAN;
    p = put_uv(p, g.nplans);
    VG_(memcpy)(p, sb->body, sb->body_len);
    sb->id = g.nplans++;
    sb->gen = g.gen;
    sb->succ = NULL;
    VG_(memset)(sb->sites, 0, 2 * sb->n * sizeof sb->sites[0]);
    return p + sb->body_len;
}

/* The fetches of instructions from .. from+count-1 of sb as a MORE, NEXT or RUN record at p,
 * the plan defined first if this chunk has not seen it. No limit check. */
/* The current plan's next instruction: one after the instruction whose slots g.site is in. */
static UInt current_next(void)
{
    return (UInt)(((UWord)g.site - (UWord)g.cur->sites) / (2 * sizeof(struct site))) + 1;
}

static UChar *__attribute__((noinline)) fetch_record(UChar *p, struct sbinfo *sb, UInt from,
                                                     UInt count)
{
    struct sbinfo *c = g.cur;
    if (sb->gen != g.gen)
        p = define_plan(p, sb);
    if (c == sb && current_next() == from) {
        if (count <= MMS_MORE_SHORT_MAX) {
            *p++ = (UChar)(MMS_TAG_MORE_SHORT + count);
        } else {
            *p++ = MMS_TAG_MORE;
            p = put_uv(p, count);
        }
    } else {
        if (from == 0 && c && c->succ == sb && c->succ_gen == g.gen) {
            if (count <= MMS_NEXT_SHORT_MAX) {
                *p++ = (UChar)(MMS_TAG_NEXT_SHORT + count);
            } else {
                *p++ = MMS_TAG_NEXT;
                p = put_uv(p, count);
            }
        } else {
            *p++ = MMS_TAG_RUN;
            p = put_uv(p, sb->id);
            p = put_uv(p, from);
            p = put_uv(p, count);
        }
        if (c) {
            c->succ = sb;
            c->succ_gen = g.gen;
        }
    }
    g.cur = sb;
    g.site = sb->sites + 2 * (from + count - 1);
    g.kinds[0] += count;
    return p;
}

/* The previous superblock's last fetches: its end stores itself in g.tail (a plain store,
 * not a call) and the next record written puts them first. */
static void flush_tail(void)
{
    struct sbinfo *t = g.tail;
    if (t && !win.recording) {
        g.tail = NULL; /* the guarded store keeps it NULL; only a safeguard */
    } else if (t) {
        g.tail = NULL;
        g.p = fetch_record(g.p, t, t->tail_from, t->n - t->tail_from);
    }
}

static void __attribute__((noinline)) entry_slow(struct sbinfo *sb, UInt count)
{
    if (UNLIKELY(chunk_records() >= (ULong)clo_chunk_records))
        end_chunk();
    flush_tail();
    g.p = fetch_record(g.p, sb, 0, count);
}

/* The first fetches of a superblock execution (instructions 0 .. count-1), at p; returns
 * the new end. Most often the previous superblock ran to its end and this one is its usual
 * successor: two bytes, its tail's MORE and a NEXT. The chunk's record limit is checked
 * here, once a superblock. */
static inline __attribute__((always_inline)) UChar *entry_fetches(UChar *p, struct sbinfo *sb,
                                                                  UInt count)
{
    struct sbinfo *t = g.tail, *c = g.cur;
    if (LIKELY(c && c->succ == sb && c->succ_gen == g.gen && count <= MMS_NEXT_SHORT_MAX &&
               chunk_records() < (ULong)clo_chunk_records &&
               (!t || (t == c && t->tail_byte)))) {
        ULong done = count;
        if (t) {
            *p++ = t->tail_byte;
            done += t->n - t->tail_from;
            g.tail = NULL;
        }
        *p++ = (UChar)(MMS_TAG_NEXT_SHORT + count);
        g.cur = sb;
        g.site = sb->sites + 2 * (count - 1);
        g.kinds[0] += done;
        return p;
    }
    g.p = p;
    entry_slow(sb, count);
    return g.p;
}

/* Later fetches of the superblock executing: a one-byte MORE unless a chunk ended since. */
static inline __attribute__((always_inline)) UChar *more_fetches(UChar *p, struct sbinfo *sb,
                                                                 UInt from, UInt count)
{
    if (LIKELY(g.cur == sb && count <= MMS_MORE_SHORT_MAX)) {
        *p++ = (UChar)(MMS_TAG_MORE_SHORT + count);
        g.site = sb->sites + 2 * (from + count - 1);
        g.kinds[0] += count;
        return p;
    }
    return fetch_record(p, sb, from, count);
}

static inline void check_limit(void)
{
    if (UNLIKELY(g.p >= pay_limit))
        piece_full();
}

/* The helpers. fc: from | count << 16 (an entry's from is 0). */
static VG_REGPARM(2) void h_entry(struct sbinfo *sb, ULong fc)
{
    g.p = entry_fetches(g.p, sb, (UInt)(fc >> 16));
    check_limit();
}

static VG_REGPARM(2) void h_more(struct sbinfo *sb, ULong fc)
{
    g.p = more_fetches(g.p, sb, (UInt)(fc & 0xffff), (UInt)(fc >> 16));
    check_limit();
}

static VG_REGPARM(2) void h_access(ULong desc, Addr a)
{
    g.p = access_record(g.p, desc, a);
    g.data += data_inc((UInt)desc & 3);
    check_limit();
}

/* A batch: up to MAX_BATCH unconditional data accesses of one superblock, each after the
 * fetches of its instruction, written by one call made where the last of them has its
 * address (flat IR temporaries live to the end of the superblock). Fewer calls is most of
 * what keeps recording cheap. Built at translation time. */
#define MAX_BATCH 5 /* a helper takes at most 6 arguments */
struct batch_item {
    UInt desc;        /* access_desc() */
    UShort from;      /* fetches of instructions from .. from+count-1 first */
    UShort count;
    UShort entry;     /* ... as the execution's entry (h_entry) */
};
struct batch {
    struct sbinfo *sb;
    UInt n;
    ULong data_inc;    /* its accesses, counted as chunk_records counts them */
    struct batch_item it[MAX_BATCH];
};

/* n: the helper's arity, b->n (a constant, so each helper gets its own unrolled copy) */
static inline __attribute__((always_inline)) void run_batch(const struct batch *b, const Addr *a,
                                                            UInt n)
{
    UChar *p = g.p;
    for (UInt i = 0; i < n; i++) {
        const struct batch_item *it = &b->it[i];
        if (it->entry)
            p = entry_fetches(p, b->sb, it->count);
        else if (it->count)
            p = more_fetches(p, b->sb, it->from, it->count);
        p = access_record(p, it->desc, a[i]);
    }
    g.data += b->data_inc;
    g.p = p;
    check_limit();
}

static VG_REGPARM(2) void h_batch1(const struct batch *b, Addr a0)
{
    Addr a[1];
    a[0] = a0;
    run_batch(b, a, 1);
}

static VG_REGPARM(3) void h_batch2(const struct batch *b, Addr a0, Addr a1)
{
    Addr a[2];
    a[0] = a0;
    a[1] = a1;
    run_batch(b, a, 2);
}

static void h_batch3(const struct batch *b, Addr a0, Addr a1, Addr a2)
{
    Addr a[3];
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    run_batch(b, a, 3);
}

static void h_batch4(const struct batch *b, Addr a0, Addr a1, Addr a2, Addr a3)
{
    Addr a[4];
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
    run_batch(b, a, 4);
}

static void h_batch5(const struct batch *b, Addr a0, Addr a1, Addr a2, Addr a3, Addr a4)
{
    Addr a[5];
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
    a[4] = a4;
    run_batch(b, a, 5);
}

/* ---- events, encoded inline ---- */
static void put_switch_record(UInt tid)
{
    flush_tail();
    Bool known = tid == g.tid_start;
    for (UInt i = 0; i < g.ntids && !known; i++)
        known = g.tids[i] == tid;
    if (!known && g.ntids == MMS_MAX_CHUNK_TIDS)
        end_chunk();
    if (!known && g.ntids < MMS_MAX_CHUNK_TIDS)
        g.tids[g.ntids++] = tid;
    UChar *p = g.p;
    *p++ = MMS_TAG_SWITCH;
    p = put_uv(p, (ULong)(UInt)my_pid);
    p = put_uv(p, tid);
    g.p = p;
    g.tid = tid;
    g.kinds[MMS_KIND_SWITCH]++;
    if (p >= pay_limit)
        piece_full();
}

/* The events a fast-forwarded stretch keeps: what the model needs to keep its address
 * spaces, processes and threads right. Everything else (access-like events such as the
 * kernel's accesses to user memory) is dropped with the accesses. */
static Bool kept_in_fast_forward(UInt type)
{
    switch (type) {
    case MMS_EV_MAP_INITIAL: case MMS_EV_MMAP: case MMS_EV_MUNMAP: case MMS_EV_MREMAP:
    case MMS_EV_BRK: case MMS_EV_MPROTECT: case MMS_EV_MADVISE: case MMS_EV_CLONE:
    case MMS_EV_EXIT: case MMS_EV_SLEEP: case MMS_EV_WINDOW:
        return True;
    default:
        return False;
    }
}

static void put_event(UInt type, Long result, const ULong *args, UInt nargs, const HChar *path)
{
    if (!win.recording && !kept_in_fast_forward(type))
        return;
    flush_tail();
    UChar *p = g.p;
    *p++ = MMS_TAG_EVENT;
    p = put_uv(p, type);
    p = put_uv(p, (ULong)(UInt)my_pid);
    p = put_uv(p, g.tid);
    p = put_uv(p, zigzag(result));
    *p++ = (UChar)nargs;
    for (UInt i = 0; i < nargs; i++)
        p = put_uv(p, args[i]);
    SizeT plen = path ? VG_(strlen)(path) : 0;
    p = put_uv(p, plen ? plen + 1 : 0);
    VG_(memcpy)(p, path ? path : "", plen);
    g.p = p + plen;
    g.events[type < MMS_EV_SLOTS ? type : 0]++;
    g.nevents++;
    g.kinds[MMS_KIND_EVENT]++;
    if (g.p >= pay_limit)
        piece_full();
}

/* ---- window boundaries ---- */
static void put_window_marker(ULong end, ULong fourth)
{
    ULong a[4];
    a[0] = end;
    a[1] = win.index;
    a[2] = win.icount;
    a[3] = fourth;
    put_event(MMS_EV_WINDOW, 0, a, 4, NULL);
}

/* A window starts in a chunk of its own, so the plan, successor and site state of the
 * encoder (and the reader's) starts afresh after a gap: nothing carries over from the
 * previous window. */
static void start_window(void)
{
    end_chunk();
    win.recording = 1;
    win.start = win.icount;
    put_window_marker(0, (ULong)clo_length);
    win.next = win.icount + (ULong)clo_length;
}

/* The end marker carries the instructions the window ran (its ifetch records, when
 * fetches are recorded); the last superblock's tail fetches are written before it. */
static void end_window(void)
{
    put_window_marker(1, win.icount - win.start);
    end_chunk();
    win.recording = 0;
    win.index++;
    win.next = clo_every >= 0 ? win.icount + (ULong)clo_every : ~0ULL;
}

/* The schedule from the start (of a process: first run, exec'd image or forked child):
 * fast-forward until --mmsim-skip, whose first superblock starts window 0. */
static void reset_windows(void)
{
    win.icount = 0;
    win.index = 0;
    win.start = 0;
    win.recording = windows_on() ? 0 : 1;
    win.next = windows_on() ? (ULong)clo_skip : ~0ULL;
}

/* Called at a superblock's entry when icount >= next. */
static void h_boundary(void)
{
    if (win.recording)
        end_window();
    else
        start_window();
}

/* ---- control frames, acted on by mmsim record ---- */
static ULong ctl[(16 + MMS_MAX_PATH) / 8 + 16];

/* Sends one control record of n words (already in ctl[2..]) after the chunk so far. */
static void send_control(UInt type, UInt n)
{
    end_chunk();
    ctl[0] = (MMS_FRAME_MAGIC << 32) | (ULong)(UInt)my_pid;
    ctl[1] = ((ULong)MMS_C_EXT << MMS_CODE_SHIFT) | ((ULong)type << MMS_ARG_SHIFT) | n;
    send_bytes(ctl, (Int)((2 + n) * 8));
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

/* Long paths are cut so a record always fits the slack. */
static const HChar *short_path(const HChar *s)
{
    if (s && VG_(strlen)(s) > MMS_MAX_PATH)
        return s + VG_(strlen)(s) - MMS_MAX_PATH;
    return s;
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
    struct sbinfo *sb; /* NULL without instruction fetches */
    UInt fetched;      /* instructions whose fetches an unconditional call has written */
    Bool entered;      /* an unconditional call has started the execution (h_entry*) */
    struct batch batch;           /* the batch being gathered */
    IRAtom *batch_addr[MAX_BATCH];
    IRAtom *rec;       /* with windows: the `recording` flag as an I1, else NULL */
    IRAtom *icount;    /* with windows: icount at the superblock's entry (I64) */
};

static ULong size_code(Int size)
{
    switch (size) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    case 16: return 4;
    case 32: return 5;
    case 64: return 6;
    default: return MMS_SIZE_EXTRA;
    }
}

static ULong access_desc(const struct event *e)
{
    Int size = e->size > 255 ? 255 : e->size;
    ULong code = size_code(size);
    return (ULong)e->type | code << 2 | (code == MMS_SIZE_EXTRA ? ACC_EXTRA : 0) |
           (ULong)size << 8;
}

static ULong from_count(UInt from, UInt upto)
{
    return (ULong)from | (ULong)(upto - from) << 16;
}

/* A call under guard (NULL: always) and, with windows, only while recording. */
static void add_dirty(IRSB *sb, struct pending *p, IRDirty *di, IRAtom *guard)
{
    if (p->rec && guard) {
        IRTemp t = newIRTemp(sb->tyenv, Ity_I1);
        addStmtToIRSB(sb, IRStmt_WrTmp(t, IRExpr_Binop(Iop_And1, guard, p->rec)));
        guard = IRExpr_RdTmp(t);
    } else if (p->rec) {
        guard = p->rec;
    }
    if (guard)
        di->guard = guard;
    addStmtToIRSB(sb, IRStmt_Dirty(di));
}

/* A call writing the fetches of instructions [from, upto), under guard (NULL: always): the
 * execution's entry until an unconditional call has been made, a continuation after. */
static void emit_fetch(IRSB *sb, struct pending *p, UInt upto, IRAtom *guard)
{
    IRExpr **args = mkIRExprVec_2(mkIRExpr_HWord((HWord)p->sb),
                                  mkIRExpr_HWord((HWord)from_count(p->fetched, upto)));
    IRDirty *di = p->entered
        ? unsafeIRDirty_0_N(2, "mmsim_more", VG_(fnptr_to_fnentry)(h_more), args)
        : unsafeIRDirty_0_N(2, "mmsim_entry", VG_(fnptr_to_fnentry)(h_entry), args);
    add_dirty(sb, p, di, guard);
}

/* One call for the gathered batch. */
static void flush_batch(IRSB *sb, struct pending *p)
{
    UInt n = p->batch.n;
    if (!n)
        return;
    struct batch *b = VG_(malloc)("mmsim.batch", sizeof *b);
    *b = p->batch;
    b->sb = p->sb;
    p->batch.n = 0;
    p->batch.data_inc = 0;
    IRExpr *bp = mkIRExpr_HWord((HWord)b);
    IRAtom **a = p->batch_addr;
    IRDirty *di;
    switch (n) {
    case 1:
        di = unsafeIRDirty_0_N(2, "mmsim_batch1", VG_(fnptr_to_fnentry)(h_batch1),
                               mkIRExprVec_2(bp, a[0]));
        break;
    case 2:
        di = unsafeIRDirty_0_N(3, "mmsim_batch2", VG_(fnptr_to_fnentry)(h_batch2),
                               mkIRExprVec_3(bp, a[0], a[1]));
        break;
    case 3:
        di = unsafeIRDirty_0_N(0, "mmsim_batch3", VG_(fnptr_to_fnentry)(h_batch3),
                               mkIRExprVec_4(bp, a[0], a[1], a[2]));
        break;
    case 4:
        di = unsafeIRDirty_0_N(0, "mmsim_batch4", VG_(fnptr_to_fnentry)(h_batch4),
                               mkIRExprVec_5(bp, a[0], a[1], a[2], a[3]));
        break;
    default:
        di = unsafeIRDirty_0_N(0, "mmsim_batch5", VG_(fnptr_to_fnentry)(h_batch5),
                               mkIRExprVec_6(bp, a[0], a[1], a[2], a[3], a[4]));
        break;
    }
    add_dirty(sb, p, di, NULL);
}

/* The fetches an access of instruction `insn` needs first: from p->fetched to it. */
static UInt take_fetches(struct pending *p, UInt insn, UInt *from)
{
    *from = p->fetched;
    if (!p->sb || p->fetched > insn)
        return 0;
    UInt count = insn + 1 - p->fetched;
    p->fetched = insn + 1;
    return count;
}

static void emit_event(IRSB *sb, struct pending *p, const struct event *e)
{
    if (e->size <= 0)
        return;
    ULong desc = access_desc(e);
    if (e->guard) {
        /* a conditional access: a call of its own, after its instruction's fetches */
        flush_batch(sb, p);
        if (p->sb && p->fetched <= e->insn) {
            emit_fetch(sb, p, e->insn + 1, NULL);
            p->fetched = e->insn + 1;
            p->entered = True;
        }
        IRExpr **args = mkIRExprVec_2(mkIRExpr_HWord((HWord)desc), e->addr);
        add_dirty(sb, p, unsafeIRDirty_0_N(2, "mmsim_access", VG_(fnptr_to_fnentry)(h_access),
                                           args), e->guard);
        return;
    }
    UInt from, count = take_fetches(p, e->insn, &from);
    struct batch_item *it = &p->batch.it[p->batch.n];
    it->desc = (UInt)desc;
    it->from = (UShort)from;
    it->count = (UShort)count;
    it->entry = count && !p->entered;
    p->entered = p->entered || count;
    p->batch.data_inc += data_inc(e->type);
    p->batch_addr[p->batch.n++] = e->addr;
    if (p->batch.n == MAX_BATCH)
        flush_batch(sb, p);
}

/* The superblock's end: its last fetches. After an entry call they are left for the next
 * record to write (flush_tail), with one store instead of a call. */
static void emit_end(IRSB *sb, struct pending *p)
{
    if (!p->sb || p->fetched >= p->sb->n)
        return;
    if (!p->entered) {
        emit_fetch(sb, p, p->sb->n, NULL);
        return;
    }
    p->sb->tail_from = p->fetched;
    if (p->sb->n - p->fetched <= MMS_MORE_SHORT_MAX)
        p->sb->tail_byte = (UChar)(MMS_TAG_MORE_SHORT + p->sb->n - p->fetched);
    IRExpr *addr = mkIRExpr_HWord((HWord)&g.tail), *val = mkIRExpr_HWord((HWord)p->sb);
    if (p->rec)
        addStmtToIRSB(sb, IRStmt_StoreG(Iend_LE, addr, val, p->rec));
    else
        addStmtToIRSB(sb, IRStmt_Store(Iend_LE, addr, val));
}

static void flush_events(IRSB *sb, struct pending *p)
{
    for (Int i = 0; i < p->n; i++)
        emit_event(sb, p, &p->ev[i]);
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

/* The superblock's fetch plan (the PLAN record's body) and its site slots. */
static struct sbinfo *new_sbinfo(IRSB *in, Int first)
{
    UInt n = 0;
    for (Int i = first; i < in->stmts_used; i++)
        if (in->stmts[i]->tag == Ist_IMark)
            n++;
    tl_assert(n >= 1 && n <= MMS_MAX_PLAN_INSNS);
    struct sbinfo *sb = VG_(malloc)("mmsim.sbinfo", sizeof *sb + 64 + 2 * n * sizeof(struct site));
    sb->sites = (struct site *)(((UWord)(sb + 1) + 63) & ~(UWord)63);
    UChar *body = VG_(malloc)("mmsim.plan", 10 + 11 * n);
    UChar *p = put_uv(body, n);
    ULong end = 0; /* the end of the previous instruction */
    for (Int i = first; i < in->stmts_used; i++) {
        IRStmt *st = in->stmts[i];
        if (st->tag != Ist_IMark)
            continue;
        ULong len = st->Ist.IMark.len ? st->Ist.IMark.len : 1;
        ULong addr = (ULong)st->Ist.IMark.addr;
        *p++ = (UChar)len;
        p = put_uv(p, zigzag((Long)(addr - end)));
        end = addr + len;
    }
    sb->n = n;
    sb->gen = 0;
    sb->id = 0;
    sb->succ = NULL;
    sb->succ_gen = 0;
    sb->tail_from = n;
    sb->tail_byte = 0;
    sb->body = body;
    sb->body_len = (UInt)(p - body);
    return sb;
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

static void instrument_stmt(IRSB *sb, IRSB *in, struct pending *p, UInt insn, IRStmt *st)
{
    switch (st->tag) {
    case Ist_WrTmp: {
        IRExpr *e = st->Ist.WrTmp.data;
        if (e->tag == Iex_Load)
            add_event(sb, p, EV_LOAD, insn, sizeofIRType(e->Iex.Load.ty), e->Iex.Load.addr, NULL);
        break;
    }
    case Ist_Store: {
        IRType ty = typeOfIRExpr(in->tyenv, st->Ist.Store.data);
        add_event(sb, p, EV_STORE, insn, sizeofIRType(ty), st->Ist.Store.addr, NULL);
        break;
    }
    case Ist_StoreG: {
        IRStoreG *sg = st->Ist.StoreG.details;
        IRType ty = typeOfIRExpr(in->tyenv, sg->data);
        add_event(sb, p, EV_STORE, insn, sizeofIRType(ty), sg->addr, sg->guard);
        break;
    }
    case Ist_LoadG: {
        IRLoadG *lg = st->Ist.LoadG.details;
        IRType ty = Ity_INVALID, ty_wide = Ity_INVALID;
        typeOfIRLoadGOp(lg->cvt, &ty_wide, &ty);
        add_event(sb, p, EV_LOAD, insn, sizeofIRType(ty), lg->addr, lg->guard);
        break;
    }
    case Ist_Dirty:
        instrument_dirty(sb, p, insn, st->Ist.Dirty.details);
        break;
    case Ist_CAS:
        instrument_cas(sb, p, insn, st->Ist.CAS.details);
        break;
    case Ist_LLSC: {
        IRType ty = typeOfIRTemp(in->tyenv, st->Ist.LLSC.result);
        if (st->Ist.LLSC.storedata == NULL)
            add_event(sb, p, EV_LOAD, insn, sizeofIRType(ty), st->Ist.LLSC.addr, NULL);
        else
            add_event(sb, p, EV_STORE, insn,
                      sizeofIRType(typeOfIRExpr(in->tyenv, st->Ist.LLSC.storedata)),
                      st->Ist.LLSC.addr, NULL);
        break;
    }
    default:
        break;
    }
}

/* ---- window instrumentation: counting and the boundary check, in plain IR ---- */
static IRAtom *load_word(IRSB *sb, const void *addr)
{
    IRTemp t = newIRTemp(sb->tyenv, Ity_I64);
    addStmtToIRSB(sb, IRStmt_WrTmp(t, IRExpr_Load(Iend_LE, Ity_I64, mkIRExpr_HWord((HWord)addr))));
    return IRExpr_RdTmp(t);
}

static IRAtom *binop_tmp(IRSB *sb, IRType ty, IROp op, IRAtom *a, IRAtom *b)
{
    IRTemp t = newIRTemp(sb->tyenv, ty);
    addStmtToIRSB(sb, IRStmt_WrTmp(t, IRExpr_Binop(op, a, b)));
    return IRExpr_RdTmp(t);
}

/* At the superblock's entry: h_boundary if icount >= next, then the recording flag (read
 * after the call, which may flip it) as the guard of every recording call. */
static void window_prologue(IRSB *sb, struct pending *p)
{
    IRAtom *cnt = load_word(sb, &win.icount);
    IRAtom *due = binop_tmp(sb, Ity_I1, Iop_CmpLE64U, load_word(sb, &win.next), cnt);
    IRDirty *di = unsafeIRDirty_0_N(0, "mmsim_boundary", VG_(fnptr_to_fnentry)(h_boundary),
                                    mkIRExprVec_0());
    di->guard = due;
    addStmtToIRSB(sb, IRStmt_Dirty(di));
    p->rec = binop_tmp(sb, Ity_I1, Iop_CmpNE64, load_word(sb, &win.recording),
                       IRExpr_Const(IRConst_U64(0)));
    p->icount = cnt;
}

/* icount = its value at entry + n, when guard holds (NULL: always): before a side exit
 * that leaves after n instructions, and at the end. */
static void count_insns(IRSB *sb, struct pending *p, UInt n, IRAtom *guard)
{
    IRAtom *sum = binop_tmp(sb, Ity_I64, Iop_Add64, p->icount, IRExpr_Const(IRConst_U64(n)));
    IRExpr *addr = mkIRExpr_HWord((HWord)&win.icount);
    if (guard)
        addStmtToIRSB(sb, IRStmt_StoreG(Iend_LE, addr, sum, guard));
    else
        addStmtToIRSB(sb, IRStmt_Store(Iend_LE, addr, sum));
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
    struct pending p;
    p.n = 0;
    p.fetched = 0;
    p.entered = False;
    p.batch.n = 0;
    p.batch.data_inc = 0;
    p.rec = p.icount = NULL;
    p.sb = clo_ifetch && i < in->stmts_used ? new_sbinfo(in, i) : NULL;
    if (windows_on() && i < in->stmts_used)
        window_prologue(sb, &p);
    UInt ninsn = 0;
    for (; i < in->stmts_used; i++) {
        IRStmt *st = in->stmts[i];
        if (!st || st->tag == Ist_NoOp)
            continue;
        UInt insn = ninsn ? ninsn - 1 : 0;
        if (st->tag == Ist_IMark) {
            flush_events(sb, &p);
            ninsn++;
        } else if (st->tag == Ist_Exit) {
            /* The side exit leaves after `ninsn` instructions: their fetches, if taken. */
            flush_events(sb, &p);
            flush_batch(sb, &p);
            if (p.sb && p.fetched < ninsn)
                emit_fetch(sb, &p, ninsn, st->Ist.Exit.guard);
            if (p.icount)
                count_insns(sb, &p, ninsn, st->Ist.Exit.guard);
        } else {
            instrument_stmt(sb, in, &p, insn, st);
        }
        addStmtToIRSB(sb, st);
    }
    flush_events(sb, &p);
    flush_batch(sb, &p);
    emit_end(sb, &p);
    if (p.icount)
        count_insns(sb, &p, ninsn, NULL);
    return sb;
}

/* ---- process and thread bookkeeping ---- */
static void start_client_code(ThreadId tid, ULong blocks)
{
    (void)blocks;
    if (tid == last_tid)
        return;
    last_tid = tid;
    UInt os_tid = (UInt)VG_(gettid)();
    if (os_tid != g.tid)
        put_switch_record(os_tid);
}

static void put_start(UInt kind)
{
    const HChar *exe = short_path(VG_(args_the_exename));
    UInt sw = string_words(exe);
    ctl[2] = kind;
    ctl[3] = (ULong)(UInt)VG_(getppid)();
    ctl[4] = kind == MMS_START_FORK ? fork_flags : 0;
    put_string(ctl + 5, exe, sw);
    send_control(MMS_X_START, 3 + sw);
}

/* Before a fork, the parent sends everything it has: the child's records may reach
 * mmsim record before the parent's next piece. */
static void atfork_pre(ThreadId tid)
{
    (void)tid;
    end_chunk();
}

static void atfork_child(ThreadId tid)
{
    (void)tid;
    /* The parent's unsent records are the parent's to send (there are none: atfork_pre). */
    my_pid = VG_(getpid)();
    g.tid = (UInt)VG_(gettid)();
    /* The ring is this process's own now (a copy): nothing of it is announced. */
    sent = acked = 0;
    slot = 0;
    pay0 = (UChar *)(ring[0] + 2);
    pay_limit = (UChar *)ring[0] + MMS_MSG_BYTES - SLACK_BYTES - TRAILER_MAX_BYTES;
    start_chunk();
    put_start(MMS_START_FORK);
    reset_windows();
    last_tid = VG_INVALID_THREADID;
}

static ULong prot_of(Bool rr, Bool ww, Bool xx)
{
    return (rr ? VKI_PROT_READ : 0) | (ww ? VKI_PROT_WRITE : 0) | (xx ? VKI_PROT_EXEC : 0);
}

/* Whether a mapping exists only because of Valgrind: its own segments, the page of this tool's
 * image that it hands over to the program (the signal-return trampoline: the segment is the
 * client's then, so it is known by its file) and its preload libraries (vgpreload_*.so,
 * which ld.so maps into the program through LD_PRELOAD). */
static Bool valgrind_only(NSegment const *seg, const HChar *path)
{
    if (seg && (seg->kind == SkFileV || seg->kind == SkAnonV))
        return True;
    if (!path)
        return False;
    const HChar *base = VG_(strrchr)(path, '/');
    base = base ? base + 1 : path;
    return VG_(strncmp)(base, "vgpreload_", 10) == 0 ||
           VG_(strncmp)(base, "mmsimtrace-", 11) == 0;
}

static void new_mem_startup(Addr a, SizeT len, Bool rr, Bool ww, Bool xx, ULong di_handle)
{
    (void)di_handle;
    NSegment const *seg = VG_(am_find_nsegment)(a);
    const HChar *path = seg ? short_path(VG_(am_get_filename)(seg)) : NULL;
    ULong args[6];
    args[0] = a;
    args[1] = a + len;
    args[2] = prot_of(rr, ww, xx);
    args[3] = VKI_MAP_PRIVATE | (path ? 0 : VKI_MAP_ANONYMOUS) |
              (valgrind_only(seg, path) ? MMS_MAP_TOOL : 0);
    args[4] = (seg && path) ? (ULong)seg->offset + (a - seg->start) : 0;
    args[5] = (seg && path) ? seg->ino : 0;
    put_event(MMS_EV_MAP_INITIAL, 0, args, 6, path);
}

/* ---- system calls ---- */
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
    put_event(MMS_EV_SLEEP, 0, &ns, 1, NULL);
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

static Bool is_clone(UInt n)
{
#if defined(__NR_clone3)
    if (n == __NR_clone3)
        return True;
#endif
    return n == __NR_clone || n == __NR_fork || n == __NR_vfork;
}

static void pre_syscall(ThreadId tid, UInt n, UWord *args, UInt nargs)
{
    (void)nargs;
    if (tid < MAX_TIDS) {
        sleep_start_ms[tid] = VG_(read_millisecond_timer)();
        in_exec[tid] = False;
    }
    if (is_clone(n))
        fork_flags = clone_flags(n, args);
    switch (n) {
    case __NR_exit:
    case __NR_exit_group: {
        ULong a[2];
        a[0] = args[0];
        a[1] = n == __NR_exit_group;
        /* The window ends before the process does (a marker after its exit would name a
         * process that is gone). */
        if (n == __NR_exit_group && windows_on() && win.recording)
            end_window();
        put_event(MMS_EV_EXIT, 0, a, 2, NULL);
        if (n == __NR_exit_group)
            end_chunk();
        break;
    }
    case __NR_execve:
#if defined(__NR_execveat)
    case __NR_execveat:
#endif
        /* A successful exec replaces this image: nothing unsent or unread may stay. */
        if (tid < MAX_TIDS)
            in_exec[tid] = True;
        /* The new image counts from 0 with windows numbered from 0 again: the window open
         * here ends (a failed exec fast-forwards to the next window). */
        if (windows_on() && win.recording)
            end_window();
        end_chunk();
        wait_acked(0);
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

/* A new thread is an event in the stream; a new process a control frame, because the
 * child's own records may reach mmsim record first (it writes FORK where it belongs). */
static void put_clone(UInt n, UWord *args, Long result)
{
    if (result <= 0)
        return; /* the child's side, or a failed clone (clone3 is ENOSYS under 3.19) */
    ULong flags = clone_flags(n, args);
    Bool thread = (flags & VKI_CLONE_VM) && !(flags & VKI_CLONE_VFORK);
    if (thread) {
        ULong a[2];
        a[0] = (ULong)result;
        a[1] = flags;
        put_event(MMS_EV_CLONE, result, a, 2, NULL);
        return;
    }
    ctl[2] = n;
    ctl[3] = (ULong)result;
    for (Int i = 0; i < 6; i++)
        ctl[4 + i] = args[i];
    ctl[4] = flags;
    send_control(MMS_X_SYSCALL, 8);
}

static void put_mm_syscall(UInt n, UWord *args, Long result)
{
    ULong a[6];
    for (Int i = 0; i < 6; i++)
        a[i] = args[i];
    switch (n) {
    case __NR_mmap: {
        const HChar *path = NULL;
        if (result >= 0 && !(args[3] & VKI_MAP_ANONYMOUS)) {
            NSegment const *seg = VG_(am_find_nsegment)((Addr)result);
            path = seg ? short_path(VG_(am_get_filename)(seg)) : NULL;
            if (valgrind_only(seg, path))
                a[3] |= MMS_MAP_TOOL;
        }
        put_event(MMS_EV_MMAP, result, a, 6, path);
        break;
    }
    case __NR_munmap: put_event(MMS_EV_MUNMAP, result, a, 2, NULL); break;
    case __NR_mremap: put_event(MMS_EV_MREMAP, result, a, 5, NULL); break;
    case __NR_brk: put_event(MMS_EV_BRK, result, a, 1, NULL); break;
    case __NR_mprotect: put_event(MMS_EV_MPROTECT, result, a, 3, NULL); break;
    case __NR_madvise: put_event(MMS_EV_MADVISE, result, a, 3, NULL); break;
    default: break;
    }
}

static void post_syscall(ThreadId tid, UInt n, UWord *args, UInt nargs, SysRes res)
{
    (void)nargs;
    if (tid < MAX_TIDS)
        in_exec[tid] = False;
    if (n == __NR_clock_nanosleep && (args[1] & MMS_TIMER_ABSTIME) && tid < MAX_TIDS)
        put_sleep((ULong)(VG_(read_millisecond_timer)() - sleep_start_ms[tid]) * 1000000ULL);
    Long result = sysres_value(res);
    if (is_clone(n))
        put_clone(n, args, result);
    else
        put_mm_syscall(n, args, result);
}

/* ---- the kernel's accesses to user memory ----
 * Valgrind's core reports the user memory every system call reads (before the call) and
 * writes (after it returned, with the length the call produced) to the tool, as it does to
 * memcheck. Each contiguous range becomes one MMT_EV_KERNEL_READ or _WRITE record of the
 * thread that made the call. Only ranges the kernel itself touches natively are kept: those
 * of system calls (Vg_CoreSysCall, Vg_CoreSysCallArgInMem) and the signal frame, which the
 * kernel writes on the user stack natively and the core writes under Valgrind
 * (Vg_CoreSignal, writes only). Start-up (the initial stack the loader builds: present
 * before tracing starts), translation and client requests are not kernel work. */
static Bool syscall_part(CorePart part)
{
    return part == Vg_CoreSysCall || part == Vg_CoreSysCallArgInMem;
}

static void put_kernel_access(UInt type, ThreadId tid, Addr a, SizeT len)
{
    if (len == 0)
        return;
    start_client_code(tid, 0); /* the caller's thread: after a blocking call another one ran */
    ULong args[2];
    args[0] = a;
    args[1] = len;
    put_event(type, 0, args, 2, NULL);
}

/* A read of a range the call cannot read (a bad pointer: the kernel returns EFAULT without
 * touching the process's memory) and the arguments of an exec (the image they belong to is
 * gone when it succeeds) are left out. */
static void kernel_reads(CorePart part, ThreadId tid, const HChar *what, Addr a, SizeT len)
{
    (void)what;
    if (!syscall_part(part) || (tid < MAX_TIDS && in_exec[tid]) || !readable(a, len))
        return;
    put_kernel_access(MMS_EV_KERNEL_READ, tid, a, len);
}

static void kernel_reads_string(CorePart part, ThreadId tid, const HChar *what, Addr a)
{
    (void)what;
    if (!syscall_part(part) || (tid < MAX_TIDS && in_exec[tid]) || !readable(a, 1))
        return;
    /* the string up to and with its NUL, within the mapping it starts in */
    NSegment const *seg = VG_(am_find_nsegment)(a);
    Addr limit = seg ? seg->end + 1 : a + 1;
    SizeT len = 0;
    while (a + len < limit && ((const HChar *)a)[len] != 0)
        len++;
    put_kernel_access(MMS_EV_KERNEL_READ, tid, a, len + (a + len < limit));
}

static void kernel_writes(CorePart part, ThreadId tid, Addr a, SizeT len)
{
    if (!syscall_part(part) && part != Vg_CoreSignal)
        return;
    put_kernel_access(MMS_EV_KERNEL_WRITE, tid, a, len);
}

/* ---- start and end ---- */
static Bool process_option(const HChar *arg)
{
    if VG_INT_CLO(arg, "--mmsim-fd", clo_fd) {}
    else if VG_BOOL_CLO(arg, "--mmsim-ifetch", clo_ifetch) {}
    else if VG_BINT_CLO(arg, "--mmsim-chunk-records", clo_chunk_records, 1024, 1 << 20) {}
    else if VG_BINT_CLO(arg, "--mmsim-chunk-bytes", clo_chunk_bytes, 1 << 17, 60 << 20) {}
    else if VG_BINT_CLO(arg, "--mmsim-skip", clo_skip, 0, 0x7fffffffffffffffLL) {}
    else if VG_BINT_CLO(arg, "--mmsim-length", clo_length, 0, 0x7fffffffffffffffLL) {}
    else if VG_BINT_CLO(arg, "--mmsim-every", clo_every, -1, 0x7fffffffffffffffLL) {}
    else if VG_XACT_CLO(arg, "--mmsim-transport=ring", clo_ring, True) {}
    else if VG_XACT_CLO(arg, "--mmsim-transport=copy", clo_ring, False) {}
    else
        return False;
    return True;
}

static void print_usage(void)
{
    VG_(printf)("    --mmsim-fd=N                the socket mmsim record reads [none]\n"
                "    --mmsim-ifetch=yes|no       record instruction fetches [yes]\n"
                "    --mmsim-chunk-records=N     records in a trace chunk [262144]\n"
                "    --mmsim-chunk-bytes=N       payload bytes in a trace chunk [3 MiB]\n"
                "    --mmsim-skip=N              fast-forward N instructions, then record [0]\n"
                "    --mmsim-length=M            record windows of M instructions [0: all]\n"
                "    --mmsim-every=K             fast-forward K instructions between windows\n"
                "                                [-1: one window]\n"
                "    --mmsim-transport=ring|copy mmsim record reads the pieces from this\n"
                "                                process's memory, or they go through the socket [copy]\n");
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
            ring_mode = clo_ring;
        }
    }
    put_start(MMS_START_FIRST);
    reset_windows();
}

static void fini(Int exitcode)
{
    if (windows_on() && win.recording)
        end_window(); /* the program ended inside a window */
    ctl[2] = (ULong)(Long)exitcode;
    send_control(MMS_X_END, 1);
    wait_acked(0); /* the pieces live in this process's memory */
}

static void pre_clo_init(void)
{
    VG_(details_name)("mmsimtrace");
    VG_(details_version)("0.2");
    VG_(details_description)("memory access and OS event recorder for mmsim");
    VG_(details_copyright_author)("the mmsim authors");
    VG_(details_bug_reports_to)("the mmsim authors");
    VG_(details_avg_translation_sizeB)(400);

    g.tid = (UInt)VG_(getpid)(); /* the main thread, until the first switch */
    start_chunk();
    VG_(basic_tool_funcs)(post_clo_init, mt_instrument, fini);
    VG_(needs_command_line_options)(process_option, print_usage, print_debug_usage);
    VG_(needs_syscall_wrapper)(pre_syscall, post_syscall);
    VG_(track_new_mem_startup)(new_mem_startup);
    VG_(track_start_client_code)(start_client_code);
    VG_(track_pre_mem_read)(kernel_reads);
    VG_(track_pre_mem_read_asciiz)(kernel_reads_string);
    VG_(track_post_mem_write)(kernel_writes);
    VG_(atfork)(atfork_pre, NULL, atfork_child);
}

VG_DETERMINE_INTERFACE_VERSION(pre_clo_init)
