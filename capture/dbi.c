/* dbi.c - the host side of the DBI backend: runs the program under Valgrind with the
 * mmsimtrace tool (capture/vgtool/), reads the tool's raw frames from a SOCK_SEQPACKET
 * socket and encodes them into the trace.
 *
 * Every process under the tool sends whole frames tagged with its pid, so the decoder keeps
 * one state per process: its thread, its superblock table (the instruction lists the tool
 * defines once) and the superblock executing. A superblock execution is expanded into one
 * instruction fetch per instruction, interleaved with the data accesses by their
 * instruction index, and cut short at a taken side exit. See capture/vgtool/protocol.h. */
#include "capture/record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/vgtool/protocol.h"
#include "traces/mmt_burst.h"
#include "common/util.h"

#define TOOL_NAME "mmsimtrace"
#define TOOL_FILE TOOL_NAME "-amd64-linux"
#define LINGER_SECONDS 2.0 /* how long to read after the program ended (orphans, late frames) */

struct sbdef {
    uint32_t off;  /* into the process's instruction pool */
    uint32_t n;    /* instructions; 0: not defined */
    uint32_t eoff; /* its fetch plan's n + 1 offsets, in the process's offs pool */
    uint32_t enc;  /* its fetch plan's bytes, in the process's enc pool */
    struct mmt_plan_ref ref; /* its fetch plan in the trace's current chunk */
};

struct proc {
    uint32_t pid, tid;
    struct sbdef *sb;
    size_t nsb;
    uint64_t *pool; /* address | length << 48, per instruction */
    size_t npool, cappool;
    /* each superblock's fetches pre-encoded (mmt_fetch_plan): offsets and bytes */
    uint32_t *offs;
    size_t noffs, capoffs;
    uint8_t *enc;
    size_t nenc, capenc;
    /* the superblock executing: instructions [next, n) not yet fetched */
    struct sbdef cur; /* a copy: a definition arriving meanwhile may move the table */
    uint32_t cur_n, next;
    uint64_t cur_id;  /* its id: its table entry gets the plan's chunk id back */
    int active;
    int started, ended;
    int announced; /* its FORK event is written (by whichever side arrived first) */
};

struct dbi {
    struct mmt_writer *w;   /* encodes here; compresses on its own thread */
    struct proc *procs;
    size_t nprocs, capprocs;
    size_t last;            /* index of the last process looked up */
    uint32_t wpid, wtid;    /* the writer's current process and thread */
    uint32_t main_pid;
    uint64_t frames;
    int writer_failed;
    char proto_err[256];    /* the first protocol error, if any */
    uint64_t fault_addr;    /* from Valgrind's crash report, for the SIGNAL event */
    FILE *dump;             /* MMSIM_DBI_DUMP: the raw frames, for debugging and fuzz seeds */
    char *log;              /* Valgrind's own messages (--log-fd), kept to the end */
    size_t nlog, caplog;
};

static inline uint64_t sext48(uint64_t x)
{
    return (uint64_t)((int64_t)(x << 16) >> 16);
}

/* ---- processes ---- */
static struct proc *find_proc(struct dbi *d, uint32_t pid)
{
    if (d->nprocs && d->procs[d->last].pid == pid)
        return &d->procs[d->last];
    for (size_t i = 0; i < d->nprocs; i++)
        if (d->procs[i].pid == pid) {
            d->last = i;
            return &d->procs[i];
        }
    if (d->nprocs == d->capprocs) {
        size_t ncap = d->capprocs ? 2 * d->capprocs : 8;
        struct proc *np = realloc(d->procs, ncap * sizeof *np);
        if (!np)
            return NULL;
        d->procs = np;
        d->capprocs = ncap;
    }
    struct proc *p = &d->procs[d->nprocs];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->tid = pid;
    d->last = d->nprocs++;
    return p;
}

static void free_procs(struct dbi *d)
{
    for (size_t i = 0; i < d->nprocs; i++) {
        free(d->procs[i].sb);
        free(d->procs[i].pool);
        free(d->procs[i].offs);
        free(d->procs[i].enc);
    }
    free(d->procs);
}

static void reset_table(struct proc *p)
{
    free(p->sb);
    free(p->pool);
    free(p->offs);
    free(p->enc);
    p->sb = NULL;
    p->pool = NULL;
    p->offs = NULL;
    p->enc = NULL;
    p->nsb = p->npool = p->cappool = 0;
    p->noffs = p->capoffs = p->nenc = p->capenc = 0;
    p->active = 0;
}

/* A forked child starts with its parent's superblocks: the translations are shared. */
/* A copy of n elements of `elem` bytes (NULL when n is 0 or out of memory: see *ok). */
static void *dup_array(const void *from, size_t n, size_t elem, int *ok)
{
    if (!n)
        return NULL;
    void *to = malloc(n * elem);
    if (!to) {
        *ok = 0;
        return NULL;
    }
    memcpy(to, from, n * elem);
    return to;
}

/* A forked child starts with its parent's superblocks: the translations are shared. */
static int copy_table(struct proc *to, const struct proc *from)
{
    reset_table(to);
    int ok = 1;
    to->sb = dup_array(from->sb, from->nsb, sizeof *from->sb, &ok);
    to->pool = dup_array(from->pool, from->npool, sizeof *from->pool, &ok);
    to->offs = dup_array(from->offs, from->noffs, sizeof *from->offs, &ok);
    to->enc = dup_array(from->enc, from->nenc, 1, &ok);
    if (!ok) {
        reset_table(to);
        return -1;
    }
    to->nsb = from->nsb;
    to->npool = to->cappool = from->npool;
    to->noffs = to->capoffs = from->noffs;
    to->nenc = to->capenc = from->nenc;
    return 0;
}

/* Makes room for `need` elements of `elem` bytes in *arr; 0 or -1. */
static int reserve(void **arr, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? 2 * *cap : first;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, ncap * elem);
    if (!n)
        return -1;
    *arr = n;
    *cap = ncap;
    return 0;
}

static int define_sb(struct proc *p, uint64_t id, const uint64_t *insns, uint32_t n)
{
    /* Ids count up from 0 in each process: a far jump is a corrupt stream, not a reason to
     * allocate gigabytes. */
    if (id > p->nsb + (1u << 20) || n > MMT_MAX_PLAN_INSNS)
        return -1;
    if (id >= p->nsb) {
        size_t nsb = p->nsb ? p->nsb : 1024;
        while (nsb <= id)
            nsb *= 2;
        struct sbdef *ns = realloc(p->sb, nsb * sizeof *ns);
        if (!ns)
            return -1;
        memset(ns + p->nsb, 0, (nsb - p->nsb) * sizeof *ns);
        p->sb = ns;
        p->nsb = nsb;
    }
    /* Pools are indexed with 32 bits: a stream defining more is not a real program. */
    if (p->npool + n > UINT32_MAX / 16)
        return -1;
    if (reserve((void **)&p->pool, &p->cappool, p->npool + n, sizeof *p->pool, 65536) ||
        reserve((void **)&p->offs, &p->capoffs, p->noffs + n + 1, sizeof *p->offs, 65536) ||
        reserve((void **)&p->enc, &p->capenc, p->nenc + (size_t)n * MMT_FETCH_PLAN_BYTES + 16, 1,
                1 << 20))
        return -1;
    if (mmt_fetch_plan(insns, n, p->enc + p->nenc, p->offs + p->noffs))
        return -1;
    memcpy(p->pool + p->npool, insns, n * sizeof *insns);
    struct sbdef *sb = &p->sb[id];
    sb->ref = (struct mmt_plan_ref){0, 0};
    sb->off = (uint32_t)p->npool;
    sb->n = n;
    sb->eoff = (uint32_t)p->noffs;
    sb->enc = (uint32_t)p->nenc;
    p->npool += n;
    p->noffs += n + 1;
    p->nenc += n ? p->offs[sb->eoff + n] : 0;
    return 0;
}

/* ---- writing ---- */
static int set_thread(struct dbi *d, const struct proc *p)
{
    if (d->wpid == p->pid && d->wtid == p->tid)
        return 0;
    d->wpid = p->pid;
    d->wtid = p->tid;
    return mmt_writer_switch(d->w, p->pid, p->tid);
}

/* The executing superblock's plan was defined in a new chunk: its table entry (a copy was
 * taken when it started) remembers that, unless the id has been redefined since. */
static void keep_plan_ref(struct proc *p)
{
    if (p->cur_id < p->nsb && p->sb[p->cur_id].off == p->cur.off && p->sb[p->cur_id].n == p->cur.n)
        p->sb[p->cur_id].ref = p->cur.ref;
}

/* Fetches of the executing superblock's instructions up to (not including) `upto`. */
static inline int fetch_to(struct dbi *d, struct proc *p, uint32_t upto)
{
    if (upto > p->cur_n)
        upto = p->cur_n;
    if (p->next >= upto)
        return 0;
    uint32_t from = p->next;
    p->next = upto;
    uint32_t gen = p->cur.ref.gen;
    int rc = mmt_writer_plan_run(d->w, &p->cur.ref, p->pool + p->cur.off, p->cur.n, from, upto);
    if (p->cur.ref.gen != gen)
        keep_plan_ref(p);
    return rc;
}

static int finish_sb(struct dbi *d, struct proc *p)
{
    if (!p->active)
        return 0;
    p->active = 0;
    return fetch_to(d, p, p->cur_n);
}

static int put_event(struct dbi *d, const struct proc *p, unsigned type, int64_t result,
                     const uint64_t *args, unsigned nargs, const char *path)
{
    struct mmt_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = (uint16_t)type;
    ev.pid = p->pid;
    ev.tid = p->tid;
    ev.result = result;
    ev.nargs = (uint8_t)nargs;
    if (nargs) /* args may be NULL then */
        memcpy(ev.args, args, nargs * sizeof *args);
    ev.path = path && *path ? path : NULL;
    return mmt_writer_event(d->w, &ev);
}

/* A string in the record's words [from, n): NUL-terminated by the tool; forced here. */
static const char *record_string(uint64_t *words, uint32_t from, uint32_t n)
{
    if (from >= n)
        return NULL;
    char *s = (char *)(words + from);
    s[(n - from) * 8 - 1] = '\0';
    return s;
}

static int syscall_event(struct dbi *d, struct proc *p, uint64_t *x, uint32_t n)
{
    if (n < 8)
        return 1;
    uint64_t nr = x[0];
    int64_t result = (int64_t)x[1];
    const uint64_t *a = x + 2;
    const char *path = record_string(x, 8, n);
    switch (nr) {
    case SYS_mmap:
        return put_event(d, p, MMT_EV_MMAP, result, a, 6, path);
    case SYS_munmap:
        return put_event(d, p, MMT_EV_MUNMAP, result, a, 2, NULL);
    case SYS_mremap:
        return put_event(d, p, MMT_EV_MREMAP, result, a, 5, NULL);
    case SYS_brk:
        return put_event(d, p, MMT_EV_BRK, result, a, 1, NULL);
    case SYS_mprotect:
        return put_event(d, p, MMT_EV_MPROTECT, result, a, 3, NULL);
    case SYS_madvise:
        return put_event(d, p, MMT_EV_MADVISE, result, a, 3, NULL);
    default: {
        /* clone, fork, vfork, clone3: the tool put the clone flags in the first argument. */
        uint64_t flags = a[0];
        if (result <= 0)
            return 0; /* a failed fork or clone (clone3 is ENOSYS under Valgrind 3.19) */
        int thread = (flags & 0x100 /* CLONE_VM */) && !(flags & 0x4000 /* CLONE_VFORK */);
        uint64_t args[2] = {(uint64_t)result, flags};
        if (thread)
            return put_event(d, p, MMT_EV_CLONE, result, args, 2, NULL);
        /* The child may have sent frames first, and then its FORK event is written already
         * (see start_record). find_proc may move the array: keep the parent by index. */
        size_t parent_idx = (size_t)(p - d->procs);
        struct proc *child = find_proc(d, (uint32_t)result);
        if (!child)
            return -1;
        if (child->announced)
            return 0;
        child->announced = 1;
        return put_event(d, &d->procs[parent_idx], MMT_EV_FORK, result, args, 2, NULL);
    }
    }
}

static int start_record(struct dbi *d, struct proc *p, uint64_t *x, uint32_t n)
{
    if (n < 2)
        return 1;
    const char *path = record_string(x, 2, n);
    if (x[0] == MMS_START_FORK) {
        struct proc *parent = NULL;
        for (size_t i = 0; i < d->nprocs; i++)
            if (d->procs[i].pid == (uint32_t)x[1])
                parent = &d->procs[i];
        if (parent && parent != p && copy_table(p, parent))
            return -1;
        p->started = 1;
        if (!parent || parent == p || p->announced)
            return set_thread(d, p);
        /* The child's frames came before its parent's post-fork report: write the FORK event
         * now, in the parent's name, so the trace never shows a process before its fork. */
        p->announced = 1;
        uint64_t args[2] = {p->pid, 0x11 /* SIGCHLD: a plain fork; the flags come later */};
        if (set_thread(d, parent) || put_event(d, parent, MMT_EV_FORK, p->pid, args, 2, NULL))
            return -1;
        return set_thread(d, p);
    }
    int was_started = p->started;
    p->started = 1;
    if (set_thread(d, p))
        return -1;
    if (!was_started)
        return 0;
    /* The same pid started a new Valgrind: an exec. Its superblocks are new. */
    reset_table(p);
    return put_event(d, p, MMT_EV_EXEC, 0, NULL, 0, path);
}

static int map_record(struct dbi *d, struct proc *p, uint64_t *x, uint32_t n)
{
    if (n < 6)
        return 1;
    uint64_t args[6] = {x[0], x[0] + x[1], x[2], x[3], x[4], x[5]};
    return put_event(d, p, MMT_EV_MAP_INITIAL, 0, args, 6, record_string(x, 6, n));
}

/* Returns 0, -1 on a writer failure, 1 on a malformed record. */
static int ext_record(struct dbi *d, struct proc *p, unsigned type, uint64_t *x, uint32_t n)
{
    if (type != MMS_X_SBDEF && finish_sb(d, p))
        return -1;
    switch (type) {
    case MMS_X_SBDEF:
        if (n < 1)
            return 1;
        return define_sb(p, x[0], x + 1, n - 1) ? 1 : 0;
    case MMS_X_SWITCH:
        if (n < 1)
            return 1;
        p->tid = (uint32_t)x[0];
        return set_thread(d, p);
    case MMS_X_START:
        return start_record(d, p, x, n);
    case MMS_X_SYSCALL:
        return syscall_event(d, p, x, n);
    case MMS_X_MAP:
        return map_record(d, p, x, n);
    case MMS_X_EXIT:
        return n < 2 ? 1 : put_event(d, p, MMT_EV_EXIT, 0, x, 2, NULL);
    case MMS_X_SLEEP:
        return n < 1 ? 1 : put_event(d, p, MMT_EV_SLEEP, 0, x, 1, NULL);
    case MMS_X_END:
        p->ended = 1;
        return 0;
    default:
        return 0; /* signals to handlers and newer records: nothing to write */
    }
}

static void protocol_error(struct dbi *d, const char *what, uint32_t pid, size_t word)
{
    if (!d->proto_err[0])
        snprintf(d->proto_err, sizeof d->proto_err,
                 "DBI tool stream: %s in frame %llu (pid %u) at word %zu", what,
                 (unsigned long long)d->frames, pid, word);
}

#define HOT_FAILED SIZE_MAX

/* put_run near a chunk's end: through the writer's general path, which flushes. */
static __attribute__((noinline)) int put_run_slow(struct dbi *d, struct mmt_burst *b,
                                                  struct proc *p, uint32_t from,
                                                  uint32_t upto, unsigned kind, uint64_t addr,
                                                  unsigned size)
{
    mmt_writer_burst_end(d->w, b);
    int rc = 0;
    if (from < upto) {
        uint32_t gen = p->cur.ref.gen;
        rc = mmt_writer_plan_run(d->w, &p->cur.ref, p->pool + p->cur.off, p->cur.n, from, upto);
        if (p->cur.ref.gen != gen)
            keep_plan_ref(p);
    }
    if (!rc && kind)
        rc = mmt_writer_access(d->w, kind, addr, size);
    return rc || mmt_writer_burst_begin(d->w, b) ? -1 : 0;
}

/* Fetches [from, upto) of the executing superblock, then (kind nonzero) a data access,
 * inline in the burst b. */
static inline __attribute__((always_inline)) int put_run(struct dbi *d, struct mmt_burst *b,
                                                         struct proc *p, uint32_t from,
                                                         uint32_t upto, unsigned kind,
                                                         uint64_t addr, unsigned size)
{
    uint32_t need = from < upto ? mmt_burst_plan_need(b, &p->cur.ref, p->cur.n, from, upto) : 0;
    if (__builtin_expect(b->left <= need + 1, 0))
        return put_run_slow(d, b, p, from, upto, kind, addr, size);
    if (from < upto) {
        uint32_t gen = p->cur.ref.gen;
        mmt_burst_plan_run(b, &p->cur.ref, p->pool + p->cur.off, p->cur.n, from, upto);
        if (__builtin_expect(p->cur.ref.gen != gen, 0))
            keep_plan_ref(p);
    }
    if (kind)
        mmt_burst_access(b, kind, addr, size);
    return 0;
}

/* The hot loop: data accesses, superblock starts and side exits, encoded inline in one
 * burst. Stops at the first other word (an extended record); returns its index, n at the
 * frame's end, or HOT_FAILED when the writer failed. */
static size_t decode_hot(struct dbi *d, struct proc *p, const uint64_t *w, size_t i, size_t n)
{
    struct mmt_burst b;
    if (mmt_writer_burst_begin(d->w, &b))
        return HOT_FAILED;
    for (; i < n; i++) {
        uint64_t x = w[i];
        unsigned type = (unsigned)(x >> MMS_TYPE_SHIFT);
        if (type) { /* a data access, after its instruction's fetches */
            unsigned size = (unsigned)((x >> MMS_SIZE_SHIFT) & 127) + 1;
            uint32_t from = 0, upto = 0;
            if (p->active) {
                upto = (uint32_t)((x >> MMS_INDEX_SHIFT) & 127) + 1;
                if (upto > p->cur_n)
                    upto = p->cur_n;
                from = p->next < upto ? p->next : upto;
                p->next = from < upto ? upto : p->next;
            }
            if (put_run(d, &b, p, from, upto, type, sext48(x), size))
                return HOT_FAILED;
            continue;
        }
        unsigned code = (unsigned)(x >> MMS_CODE_SHIFT) & 63;
        if (code == MMS_C_SB || code == MMS_C_EXIT) {
            /* the executing superblock ends: all of it, or up to the side exit */
            uint32_t end = code == MMS_C_SB ? p->cur_n : (unsigned)(x >> MMS_ARG_SHIFT) & 255;
            if (end > p->cur_n)
                end = p->cur_n;
            if (p->active && put_run(d, &b, p, p->next, end, 0, 0, 0))
                return HOT_FAILED;
            p->active = 0;
            if (code == MMS_C_EXIT)
                continue;
            uint64_t id = x & MMS_ADDR_MASK;
            if (id >= p->nsb || !p->sb[id].n) {
                protocol_error(d, "undefined superblock", p->pid, i);
                continue;
            }
            p->cur = p->sb[id];
            p->cur_id = id;
            p->cur_n = p->cur.n;
            p->next = 0;
            p->active = 1;
            continue;
        }
        break;
    }
    mmt_writer_burst_end(d->w, &b);
    return i;
}

/* Decodes one frame. Returns 0, or -1 when the writer failed. */
static int decode_frame(struct dbi *d, uint64_t *w, size_t n)
{
    if (n < 1 || (w[0] >> 32) != MMS_FRAME_MAGIC) {
        protocol_error(d, "bad frame header", 0, 0);
        return 0;
    }
    uint32_t pid = (uint32_t)w[0];
    struct proc *p = find_proc(d, pid);
    if (!p) {
        protocol_error(d, "out of memory", pid, 0);
        return 0;
    }
    /* A frame opening with the process's start record switches there, after the FORK
     * event it may write in the parent's name. */
    int starts = n > 1 && (w[1] >> MMS_TYPE_SHIFT) == 0 &&
                 ((w[1] >> MMS_CODE_SHIFT) & 63) == MMS_C_EXT &&
                 ((w[1] >> MMS_ARG_SHIFT) & 255) == MMS_X_START;
    if (!starts && set_thread(d, p))
        return -1;
    for (size_t i = 1; i < n; i++) {
        i = decode_hot(d, p, w, i, n);
        if (i == HOT_FAILED)
            return -1;
        if (i >= n)
            break;
        uint64_t x = w[i];
        unsigned code = (unsigned)(x >> MMS_CODE_SHIFT) & 63;
        unsigned arg = (unsigned)(x >> MMS_ARG_SHIFT) & 255;
        uint64_t payload = x & MMS_ADDR_MASK;
        if (code == MMS_C_EXT) {
            if (payload > n - i - 1) {
                protocol_error(d, "record longer than its frame", pid, i);
                return 0;
            }
            size_t pidx = (size_t)(p - d->procs);
            int rc = ext_record(d, p, arg, w + i + 1, (uint32_t)payload);
            p = &d->procs[pidx]; /* a fork record may have grown the process array */
            if (rc < 0)
                return -1;
            if (rc > 0)
                protocol_error(d, "malformed record", pid, i);
            i += payload;
        } else {
            protocol_error(d, "unknown control word", pid, i);
        }
    }
    return 0;
}

/* ---- running Valgrind ---- */
static int find_tool_dir(char *out, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("MMSIM_VGLIB");
    char exe[PATH_MAX], cand[PATH_MAX + 64];
    if (env && *env) {
        snprintf(cand, sizeof cand, "%s/" TOOL_FILE, env);
        if (access(cand, X_OK) == 0) {
            snprintf(out, len, "%s", env);
            return 0;
        }
        snprintf(err, errlen, "MMSIM_VGLIB=%s: no executable %s there", env, TOOL_FILE);
        return -1;
    }
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) {
        snprintf(err, errlen, "/proc/self/exe: cannot read the link: %s", strerror(errno));
        return -1;
    }
    exe[k] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    static const char *const rel[] = {"../build/vg", "../lib/mmsim/vg", "vg"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(cand, sizeof cand, "%s/%s/" TOOL_FILE, exe, rel[i]);
        if (access(cand, X_OK) == 0) {
            *strrchr(cand, '/') = '\0';
            if (strlen(cand) >= len)
                break;
            memcpy(out, cand, strlen(cand) + 1);
            return 0;
        }
    }
    snprintf(err, errlen,
             "the Valgrind tool %s is neither in %s/../build/vg (run `make build`) nor in "
             "%s/../lib/mmsim/vg (`make install`); MMSIM_VGLIB names another folder",
             TOOL_FILE, exe, exe);
    return -1;
}

static void keep_open_across_exec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

static void exec_valgrind(const struct record_opts *o, const char *vglib, int fd, int log_fd,
                          int go_fd)
{
    char go;
    /* Wait until the parent has attached its counters (or gave up). */
    if (read(go_fd, &go, 1) != 1)
        _exit(127);
    close(go_fd);
    /* A crash must not leave vgcore files behind. */
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore);
    setenv("VALGRIND_LIB", vglib, 1);
    keep_open_across_exec(fd);
    keep_open_across_exec(log_fd);
    size_t argc = 0;
    while (o->argv[argc])
        argc++;
    char **args = calloc(argc + 12, sizeof *args);
    char fdopt[32], logopt[32];
    snprintf(fdopt, sizeof fdopt, "--mmsim-fd=%d", fd);
    snprintf(logopt, sizeof logopt, "--log-fd=%d", log_fd);
    size_t k = 0;
    args[k++] = "valgrind";
    args[k++] = "-q";
    args[k++] = "--tool=" TOOL_NAME;
    args[k++] = "--trace-children=yes";
    args[k++] = "--child-silent-after-fork=yes";
    args[k++] = fdopt;
    args[k++] = logopt; /* Valgrind's messages come to mmsim, not into the program's stderr */
    if (o->no_ifetch)
        args[k++] = "--mmsim-ifetch=no";
    for (size_t i = 0; i < argc; i++)
        args[k++] = o->argv[i];
    args[k] = NULL;
    execvp("valgrind", args);
    fprintf(stderr, "mmsim record: cannot run valgrind: %s\n", strerror(errno));
    _exit(127);
}

static void update_progress(struct progress *pr, const struct mmt_writer *w)
{
    if (!pr->enabled)
        return;
    double t = now_seconds() - pr->start;
    uint64_t recs = mmt_writer_records(w);
    progress_update(pr, "recording: %.1f M records, %.1f MB written, %.1f M records/s",
                    recs / 1e6, mmt_writer_bytes(w) / 1e6, t > 0 ? recs / 1e6 / t : 0.0);
}

static const char *signal_name(int sig)
{
    const char *s = sigabbrev_np(sig);
    return s ? s : "?";
}

/* Reads frames until every writer has closed the socket, or the program has ended and the
 * socket stayed quiet for LINGER_SECONDS (an orphan still holding it). */
/* Reads what Valgrind wrote to its log pipe (non-blocking); keeps at most 64 KiB. Returns
 * -1 at the end of the pipe (every writer gone), else fd. */
static int read_log(struct dbi *d, int fd)
{
    char tmp[4096];
    ssize_t r;
    if (fd < 0)
        return fd;
    while ((r = read(fd, tmp, sizeof tmp)) > 0) {
        if (d->nlog + (size_t)r + 1 > d->caplog) {
            size_t cap = d->caplog ? 2 * d->caplog : 8192;
            while (cap < d->nlog + (size_t)r + 1)
                cap *= 2;
            if (cap > 65536)
                continue; /* drop the excess, keep draining */
            char *n = realloc(d->log, cap);
            if (!n)
                continue;
            d->log = n;
            d->caplog = cap;
        }
        memcpy(d->log + d->nlog, tmp, (size_t)r);
        d->nlog += (size_t)r;
        d->log[d->nlog] = '\0';
    }
    return r == 0 ? -1 : fd;
}

static int pump(struct dbi *d, const struct record_opts *o, int sock, int log_fd, pid_t child,
                int *status, struct rusage *ru, char *err, size_t errlen)
{
    size_t cap = MMS_FRAME_WORDS * 2;
    uint64_t *buf = malloc(cap * sizeof *buf);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct progress pr;
    progress_init(&pr);
    if (!o->progress)
        pr.enabled = 0;
    int reaped = 0, forwarded = 0;
    double quiet_since = 0;
    for (;;) {
        if (o->stop && *o->stop && forwarded != *o->stop && !reaped) {
            forwarded = *o->stop;
            kill(child, forwarded);
        }
        struct pollfd pfd[2] = {{sock, POLLIN, 0}, {log_fd, POLLIN, 0}};
        int pr_rc = poll(pfd, 2, 250);
        if (pr_rc < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll on the tool's socket: %s", strerror(errno));
            break;
        }
        if (pr_rc > 0 && (pfd[1].revents & (POLLIN | POLLHUP)))
            log_fd = read_log(d, log_fd);
        if (pr_rc > 0 && !(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (pr_rc <= 0) {
            if (!reaped && wait4(child, status, WNOHANG, ru) == child) {
                reaped = 1;
                quiet_since = now_seconds();
            }
            if (reaped && now_seconds() - quiet_since > LINGER_SECONDS)
                break;
            update_progress(&pr, d->w);
            continue;
        }
        ssize_t r = recv(sock, buf, cap * sizeof *buf, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            snprintf(err, errlen, "reading the tool's socket: %s", strerror(errno));
            break;
        }
        if (r == 0)
            break; /* every process under the tool has closed it */
        if (reaped)
            quiet_since = now_seconds();
        if (d->dump) {
            uint32_t len32 = (uint32_t)r;
            fwrite(&len32, 4, 1, d->dump);
            fwrite(buf, 1, (size_t)r, d->dump);
        }
        d->frames++;
        if (!d->writer_failed && decode_frame(d, buf, (size_t)r / 8))
            d->writer_failed = 1; /* keep draining so the program is not blocked */
        if ((d->frames & 63) == 0)
            update_progress(&pr, d->w);
    }
    progress_done(&pr);
    free(buf);
    read_log(d, log_fd); /* what is there now: an orphan may keep the pipe open */
    if (!reaped && wait4(child, status, 0, ru) < 0) {
        snprintf(err, errlen, "waiting for valgrind (pid %d): %s", (int)child, strerror(errno));
        return -1;
    }
    return 0;
}

static int finish_procs(struct dbi *d)
{
    for (size_t i = 0; i < d->nprocs; i++) {
        if (set_thread(d, &d->procs[i]) || finish_sb(d, &d->procs[i]))
            return -1;
    }
    return 0;
}

/* Valgrind's log: the block it prints when the program dies of a signal ("Process
 * terminating with default action of signal 11", the fault, the place) goes into the
 * trace's reason; any other line goes to stderr as Valgrind would have printed it. */
static void report_log(struct dbi *d, struct record_result *res)
{
    char crash[200] = "";
    int in_block = 0, block_lines = 0;
    char *next;
    for (char *line = d->log; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *text = line;
        if (text[0] == '=' && text[1] == '=') { /* "==PID== " */
            char *e = strstr(text + 2, "==");
            text = e ? e + 2 : text;
        }
        while (*text == ' ')
            text++;
        if (strstr(text, "Process terminating with default action")) {
            in_block = 1;
            continue;
        }
        if (in_block) {
            const char *at = strstr(text, "at address 0x");
            if (!*text) {
                in_block = 0;
                continue;
            }
            if (at)
                d->fault_addr = strtoull(at + strlen("at address "), NULL, 16);
            if (block_lines++ < 2)
                snprintf(crash + strlen(crash), sizeof crash - strlen(crash), "%s%s",
                         crash[0] ? ", " : "", text);
            continue;
        }
        if (*text)
            fprintf(stderr, "mmsim record: valgrind: %s\n", text);
    }
    if (crash[0] && res->incomplete) {
        size_t len = strlen(res->reason);
        snprintf(res->reason + len, sizeof res->reason - len, ": %s", crash);
    }
}

static void describe_end(const struct dbi *d, int status, const struct record_opts *o,
                         struct record_result *res)
{
    const struct proc *main_proc = NULL;
    for (size_t i = 0; i < d->nprocs; i++)
        if (d->procs[i].pid == d->main_pid)
            main_proc = &d->procs[i];
    if (o->stop && *o->stop) {
        res->incomplete = 1;
        snprintf(res->reason, sizeof res->reason,
                 "mmsim record was interrupted by %s (forwarded to the program)",
                 signal_name(*o->stop));
    } else if (WIFSIGNALED(status)) {
        res->incomplete = 1;
        snprintf(res->reason, sizeof res->reason, "the program was killed by signal %d (%s)",
                 WTERMSIG(status), signal_name(WTERMSIG(status)));
    } else if (d->frames == 0) {
        res->incomplete = 1;
        snprintf(res->reason, sizeof res->reason,
                 "valgrind did not start the program (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (!main_proc || !main_proc->ended) {
        res->incomplete = 1;
        snprintf(res->reason, sizeof res->reason,
                 "the tool's stream ended before the program's end (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

int dbi_record(const struct record_opts *o, struct mmt_writer *w, struct record_result *res,
               char *err, size_t errlen)
{
    char vglib[PATH_MAX];
    if (find_tool_dir(vglib, sizeof vglib, err, errlen))
        return -1;
    int sv[2], go[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
        snprintf(err, errlen, "socketpair for the DBI tool: %s", strerror(errno));
        return -1;
    }
    /* Room for many frames in flight (the kernel caps it at net.core.wmem_max). */
    int sndbuf = MMS_SNDBUF;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    int logp[2];
    if (pipe2(go, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pipe2(logp, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(sv[0]); close(sv[1]); close(go[0]); close(go[1]);
        return -1;
    }
    fcntl(logp[0], F_SETFL, fcntl(logp[0], F_GETFL) | O_NONBLOCK);
    pid_t child = fork();
    if (child < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(sv[0]); close(sv[1]); close(go[0]); close(go[1]); close(logp[0]); close(logp[1]);
        return -1;
    }
    if (child == 0) {
        close(sv[0]);
        close(go[1]);
        close(logp[0]);
        exec_valgrind(o, vglib, sv[1], logp[1], go[0]);
    }
    close(sv[1]);
    close(logp[1]);
    close(go[0]);
    int hook_rc = o->child_ready ? o->child_ready(child, o->child_arg) : 0;
    if (hook_rc) {
        kill(child, SIGKILL);
        close(go[1]);
        close(sv[0]);
        close(logp[0]);
        waitpid(child, NULL, 0);
        snprintf(err, errlen, "preparing the traced run failed");
        return -1;
    }
    if (write(go[1], "g", 1) != 1) {
        /* the child died already: its status tells */
    }
    close(go[1]);

    struct dbi d;
    memset(&d, 0, sizeof d);
    d.w = w;
    d.main_pid = (uint32_t)child;
    const char *dump = getenv("MMSIM_DBI_DUMP");
    if (dump && *dump && !(d.dump = fopen(dump, "wb")))
        fprintf(stderr, "mmsim record: MMSIM_DBI_DUMP=%s: %s (not dumping)\n", dump, strerror(errno));
    int status = 0;
    int rc = pump(&d, o, sv[0], logp[0], child, &status, &res->ru, err, errlen);
    close(sv[0]);
    close(logp[0]);
    if (!d.writer_failed && finish_procs(&d))
        d.writer_failed = 1;
    res->exit_status = status;
    describe_end(&d, status, o, res);
    report_log(&d, res);
    if (WIFSIGNALED(status) && !d.writer_failed) {
        struct proc *p = find_proc(&d, d.main_pid);
        uint64_t args[2] = {(uint64_t)WTERMSIG(status), d.fault_addr};
        if (p && (set_thread(&d, p) || put_event(&d, p, MMT_EV_SIGNAL, 0, args, 2, NULL)))
            d.writer_failed = 1;
    }
    if (d.writer_failed) {
        snprintf(err, errlen, "%s", mmt_writer_error(w));
        rc = -1;
    } else if (d.proto_err[0] && rc == 0) {
        res->incomplete = 1;
        snprintf(res->reason, sizeof res->reason, "%s", d.proto_err);
    }
    free_procs(&d);
    free(d.log);
    if (d.dump)
        fclose(d.dump);
    return rc;
}

int dbi_decode_stream(const void *data, size_t len, struct mmt_writer *w, char *err,
                      size_t errlen)
{
    struct dbi d;
    memset(&d, 0, sizeof d);
    d.w = w;
    const unsigned char *p = data;
    uint64_t *frame = malloc(MMS_FRAME_WORDS * 2 * sizeof *frame);
    size_t off = 0;
    int rc = 0;
    if (!frame) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    while (rc == 0 && !d.writer_failed && off + 4 <= len) {
        uint32_t n;
        memcpy(&n, p + off, 4);
        off += 4;
        if (n > len - off || n > MMS_FRAME_WORDS * 2 * sizeof *frame || n % 8) {
            snprintf(err, errlen, "raw stream: bad frame length %u at byte %zu", n, off - 4);
            rc = 1;
            break;
        }
        memcpy(frame, p + off, n);
        off += n;
        d.frames++;
        if (decode_frame(&d, frame, n / 8))
            d.writer_failed = 1;
    }
    free(frame);
    if (!d.writer_failed && finish_procs(&d))
        d.writer_failed = 1;
    if (d.writer_failed) {
        snprintf(err, errlen, "%s", mmt_writer_error(w));
        rc = -1;
    } else if (rc == 0 && d.proto_err[0]) {
        snprintf(err, errlen, "%s", d.proto_err);
        rc = 1;
    }
    free_procs(&d);
    return rc;
}
