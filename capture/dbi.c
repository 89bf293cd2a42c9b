/* dbi.c - the host side of the DBI backend: runs the program under Valgrind with the
 * mmsimtrace tool (capture/vgtool/), reads the tool's messages from a SOCK_SEQPACKET socket
 * and writes the trace.
 *
 * The tool encodes each process's records itself, as .mmt chunk payloads sent in pieces
 * (capture/vgtool/protocol.h); here they are gathered per process and handed whole to the
 * writer, which only compresses them. The few records that need a view across processes
 * come as control frames: a process starting (first run, fork child, exec), a fork seen by
 * the parent, and the end of a process's stream.
 *
 * Order across processes. The tool's at-fork hook sends the parent's records before the fork
 * system call, so on the socket they precede anything of the child. Both the parent's
 * post-fork report and the child's first frame (its START, sent from the at-fork child hook
 * before the child runs) carry the clone flags; whichever arrives first writes the FORK
 * event, so a trace never shows a process before its fork. A vfork (CLONE_VFORK: vfork(2),
 * posix_spawn) suspends the parent until the child execs or exits, but Valgrind runs it as a
 * fork and the parent goes on: its messages after the fork are held here, in arrival order,
 * and written after the child's EXEC event or the end of the child's stream, where the
 * parent resumed natively. (The child shares the parent's address space natively: the
 * parent's munmap of posix_spawn's stack must not come before the child's last access.) */
#include "capture/record.h"

#include <errno.h>
#include <inttypes.h>
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
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/vgtool/protocol.h"
#include "traces/mmt_format.h"
#include "common/util.h"

#define TOOL_NAME "mmsimtrace"
#define TOOL_FILE TOOL_NAME "-amd64-linux"
#define LINGER_SECONDS 2.0 /* how long to read after the program ended (orphans, late frames) */
#define MSG_WORDS (MMS_MSG_BYTES / 8)
#define DBI_HOST_NICE 5 /* see yield_to_tool */

/* The tool encodes with its own copy of these constants. */
_Static_assert(MMS_EV_MAP_INITIAL == MMT_EV_MAP_INITIAL && MMS_EV_MMAP == MMT_EV_MMAP &&
               MMS_EV_MUNMAP == MMT_EV_MUNMAP && MMS_EV_MREMAP == MMT_EV_MREMAP &&
               MMS_EV_BRK == MMT_EV_BRK && MMS_EV_MPROTECT == MMT_EV_MPROTECT &&
               MMS_EV_MADVISE == MMT_EV_MADVISE && MMS_EV_CLONE == MMT_EV_CLONE &&
               MMS_EV_EXIT == MMT_EV_EXIT && MMS_EV_SLEEP == MMT_EV_SLEEP &&
               MMS_EV_KERNEL_READ == MMT_EV_KERNEL_READ && MMS_EV_KERNEL_WRITE == MMT_EV_KERNEL_WRITE &&
               MMS_EV_WINDOW == MMT_EV_WINDOW &&
               MMS_EV_SLOTS == MMT_EVENT_TYPE_SLOTS && MMS_MAP_TOOL == MMT_MAP_TOOL,
               "event types agree with traces/mmt.h");
_Static_assert(MMS_KIND_SWITCH == MMT_SWITCH && MMS_KIND_EVENT == MMT_EVENT &&
               MMS_TAG_SWITCH == MMT_TAG_SWITCH && MMS_TAG_EVENT == MMT_TAG_EVENT &&
               MMS_TAG_PLAN == MMT_TAG_PLAN && MMS_TAG_RUN == MMT_TAG_RUN &&
               MMS_TAG_MORE == MMT_TAG_MORE && MMS_TAG_MORE_SHORT == MMT_TAG_MORE_SHORT &&
               MMS_MAX_PLAN_INSNS == MMT_MAX_PLAN_INSNS, "record tags agree with the format");
_Static_assert(MMS_TAG_NEXT == MMT_TAG_NEXT && MMS_TAG_NEXT_SHORT == MMT_TAG_NEXT_SHORT &&
               MMS_MORE_SHORT_MAX == MMT_MORE_SHORT_MAX && MMS_NEXT_SHORT_MAX == MMT_NEXT_SHORT_MAX &&
               MMS_MODE_DELTA == MMT_MODE_DELTA && MMS_MODE_SEQ == MMT_MODE_SEQ &&
               MMS_MODE_STRIDE == MMT_MODE_STRIDE && MMS_MODE_SAME == MMT_MODE_SAME &&
               MMS_MODE_SITE_STRIDE == MMT_MODE_SITE_STRIDE &&
               MMS_MODE_SITE_DELTA == MMT_MODE_SITE_DELTA && MMS_SIZE_EXTRA == MMT_TAG_SIZE_EXTRA,
               "run tags, address modes and size codes agree with the format");
_Static_assert(MMS_MAX_PATH <= MMT_MAX_PATH, "the tool's cut paths fit the format's limit");

struct proc {
    uint32_t pid, tid;
    int started, ended;
    int announced;  /* its FORK event is written (by whichever side arrived first) */
    int execs;      /* EXEC events written */
    uint32_t waits_for; /* a vfork child whose exec or end this process's messages wait for */
    uint8_t *held;  /* the messages held meanwhile: u32 byte length, then the message */
    size_t nheld, capheld, held_off;
    uint8_t *chunk; /* the pieces of its chunk so far */
    size_t nchunk, capchunk;
    uint64_t tr[MMS_TR_FIXED + MMS_MAX_CHUNK_TIDS]; /* the last piece's trailer */
};

struct dbi {
    struct mmt_writer *w;   /* compresses on its own thread */
    struct proc *procs;
    size_t nprocs, capprocs;
    size_t last;            /* index of the last process looked up */
    uint32_t wpid, wtid;    /* the writer's current process and thread */
    uint32_t main_pid;
    uint64_t frames;
    int writer_failed;
    char proto_err[256];    /* the first protocol error, if any */
    uint64_t fault_addr;    /* from Valgrind's crash report, for the SIGNAL event */
    FILE *dump;             /* MMSIM_DBI_DUMP: the raw messages, for debugging and fuzz seeds */
    int replaying;          /* dbi_decode_stream: no process to read pieces from */
    char *log;              /* Valgrind's own messages (--log-fd), kept to the end */
    size_t nlog, caplog;
};

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
        free(d->procs[i].chunk);
        free(d->procs[i].held);
    }
    free(d->procs);
}

static void protocol_error(struct dbi *d, const char *what, uint32_t pid, size_t word)
{
    if (!d->proto_err[0])
        snprintf(d->proto_err, sizeof d->proto_err,
                 "DBI tool stream: %s in message %llu (pid %u) at word %zu", what,
                 (unsigned long long)d->frames, pid, word);
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

/* Writes the process's gathered pieces as one chunk, with the counts of the last piece. */
static int write_chunk(struct dbi *d, struct proc *p)
{
    if (!p->nchunk)
        return 0;
    const uint64_t *t = p->tr;
    struct mmt_chunk_in c;
    memset(&c, 0, sizeof c);
    c.raw = p->chunk;
    c.len = p->nchunk;
    c.pid = p->pid;
    c.tid = (uint32_t)t[MMS_TR_TID_START];
    c.end_tid = (uint32_t)t[MMS_TR_TID_END];
    c.nevents = (uint32_t)t[MMS_TR_NEVENTS];
    uint64_t nrecs = 0;
    for (int k = 0; k < MMT_KIND_COUNT; k++)
        nrecs += c.kinds[k] = t[MMS_TR_KINDS + k];
    c.nrecs = (uint32_t)nrecs;
    memcpy(c.events, t + MMS_TR_EVENTS, sizeof c.events);
    uint32_t tids[MMS_MAX_CHUNK_TIDS];
    c.ntids = (size_t)t[MMS_TR_NTIDS];
    for (size_t i = 0; i < c.ntids; i++)
        tids[i] = (uint32_t)t[MMS_TR_FIXED + i];
    c.tids = tids;
    p->nchunk = 0;
    if (mmt_writer_put_chunk(d->w, &c))
        return -1;
    d->wpid = p->pid;
    d->wtid = p->tid = c.end_tid;
    return 0;
}

/* The trailer's counts are what the writer puts in the footer: check they are sane. */
static int trailer_ok(const uint64_t *t, size_t ntail)
{
    if (ntail < MMS_TR_FIXED || t[MMS_TR_NTIDS] > MMS_MAX_CHUNK_TIDS ||
        ntail != MMS_TR_FIXED + t[MMS_TR_NTIDS] || t[MMS_TR_TID_START] > UINT32_MAX ||
        t[MMS_TR_TID_END] > UINT32_MAX)
        return 0;
    uint64_t nrecs = 0, nev = 0;
    for (int k = 0; k < MMT_KIND_COUNT; k++) {
        if (t[MMS_TR_KINDS + k] >= MMT_MAX_CHUNK_RECORDS)
            return 0;
        nrecs += t[MMS_TR_KINDS + k];
    }
    for (int e = 0; e < MMS_EV_SLOTS; e++) {
        if (t[MMS_TR_EVENTS + e] >= MMT_MAX_CHUNK_RECORDS)
            return 0;
        nev += t[MMS_TR_EVENTS + e];
    }
    for (uint64_t i = 0; i < t[MMS_TR_NTIDS]; i++)
        if (t[MMS_TR_FIXED + i] > UINT32_MAX)
            return 0;
    return nrecs < MMT_MAX_CHUNK_RECORDS && nev == t[MMS_TR_NEVENTS] &&
           nev == t[MMS_TR_KINDS + MMT_EVENT];
}

/* Room for len more bytes of the process's chunk; 0, or 1 after a protocol error. */
static int chunk_room(struct dbi *d, struct proc *p, uint64_t len)
{
    size_t cap = mmt_writer_chunk_capacity(d->w);
    if (p->nchunk + len > cap) {
        protocol_error(d, "chunk larger than the writer takes", p->pid, 1);
        p->nchunk = 0;
        return 1;
    }
    if (p->nchunk + len > p->capchunk) {
        size_t ncap = p->capchunk ? p->capchunk : 1 << 18;
        while (ncap < p->nchunk + len)
            ncap *= 2;
        uint8_t *nb = realloc(p->chunk, ncap);
        if (!nb) {
            protocol_error(d, "out of memory", p->pid, 1);
            return 1;
        }
        p->chunk = nb;
        p->capchunk = ncap;
    }
    return 0;
}

/* The piece's len bytes are appended: take its trailer, and write the chunk at its end. */
static int piece_done(struct dbi *d, struct proc *p, uint64_t head, uint64_t len,
                      const uint64_t *tr, size_t ntr)
{
    p->nchunk += len;
    memcpy(p->tr, tr, ntr * sizeof *tr);
    if (!(head & MMS_LAST_PIECE))
        return 0;
    return write_chunk(d, p);
}

/* One piece of a process's chunk. Returns 0, or -1 when the writer failed. */
static int chunk_piece(struct dbi *d, struct proc *p, const uint64_t *w, size_t n)
{
    if (n < 2) {
        protocol_error(d, "chunk piece without its length", p->pid, 0);
        return 0;
    }
    uint64_t len = w[1] & 0xffffffffu, words = (len + 7) / 8;
    if (words > n - 2 || !trailer_ok(w + 2 + words, n - 2 - words)) {
        protocol_error(d, "malformed chunk piece", p->pid, 1);
        return 0;
    }
    if (chunk_room(d, p, len))
        return 0;
    memcpy(p->chunk + p->nchunk, w + 2, len);
    return piece_done(d, p, w[1], len, w + 2 + words, n - 2 - words);
}

/* MMSIM_DBI_DUMP keeps pieces read from the tool's memory as ordinary pieces, so a dump
 * replays without the process. */
static void dump_piece(struct dbi *d, const struct proc *p, uint64_t head, const uint8_t *payload,
                       uint64_t len, const uint64_t *tr, size_t ntr)
{
    uint64_t h[2] = {(MMS_CHUNK_MAGIC << 32) | p->pid, head};
    static const uint8_t zeros[8];
    uint64_t pad = (8 - len % 8) % 8;
    uint32_t total = (uint32_t)(16 + len + pad + ntr * 8);
    fwrite(&total, 4, 1, d->dump);
    fwrite(h, 8, 2, d->dump);
    fwrite(payload, 1, len, d->dump);
    fwrite(zeros, 1, pad, d->dump);
    fwrite(tr, 8, ntr, d->dump);
}

/* Copies a piece's len payload bytes out of the tool's memory (the ring transport) to dst and
 * acknowledges it by writing its number into the tool's counter. Returns 0, or 1 after a
 * protocol error. */
static int copy_piece_out(struct dbi *d, const struct proc *p, const uint64_t *w, uint8_t *dst,
                          uint64_t len)
{
    struct iovec local = {dst, len};
    struct iovec remote = {(void *)(uintptr_t)w[MMS_DESC_ADDR], len};
    ssize_t got = len ? process_vm_readv((pid_t)p->pid, &local, 1, &remote, 1, 0) : 0;
    uint64_t seq = w[MMS_DESC_SEQ];
    struct iovec ack_local = {&seq, sizeof seq};
    struct iovec ack_remote = {(void *)(uintptr_t)w[MMS_DESC_ACK], sizeof seq};
    process_vm_writev((pid_t)p->pid, &ack_local, 1, &ack_remote, 1, 0);
    if (got != (ssize_t)len) {
        char what[128];
        snprintf(what, sizeof what, "cannot read a piece from the tool's memory (%s)",
                 got < 0 ? strerror(errno) : "short read");
        protocol_error(d, what, p->pid, MMS_DESC_ADDR);
        return 1;
    }
    return 0;
}

/* A piece left in the tool's memory (the ring transport): copied out with
 * process_vm_readv, then acknowledged by writing its number into the tool's counter. */
static int piece_descriptor(struct dbi *d, struct proc *p, const uint64_t *w, size_t n)
{
    if (n < MMS_DESC_FIXED || !trailer_ok(w + MMS_DESC_FIXED, n - MMS_DESC_FIXED)) {
        protocol_error(d, "malformed piece descriptor", p->pid, 1);
        return 0;
    }
    uint64_t len = w[1] & 0xffffffffu;
    if (len > MMS_MSG_BYTES || chunk_room(d, p, len))
        return 0;
    if (copy_piece_out(d, p, w, p->chunk + p->nchunk, len))
        return 0;
    if (d->dump)
        dump_piece(d, p, w[1], p->chunk + p->nchunk, len, w + MMS_DESC_FIXED, n - MMS_DESC_FIXED);
    return piece_done(d, p, w[1], len, w + MMS_DESC_FIXED, n - MMS_DESC_FIXED);
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

/* Writes the FORK event of child in parent's name; a vfork's parent then waits for the
 * child's exec or end (its messages are held). */
static int write_fork(struct dbi *d, struct proc *parent, struct proc *child, uint64_t flags)
{
    child->announced = 1;
    uint64_t args[2] = {child->pid, flags};
    if ((flags & MMT_CLONE_VFORK) && !child->ended && !child->execs)
        parent->waits_for = child->pid;
    if (set_thread(d, parent))
        return -1;
    return put_event(d, parent, MMT_EV_FORK, child->pid, args, 2, NULL);
}

/* A fork seen by the parent: the FORK event, unless the child's start wrote it first. */
static int fork_record(struct dbi *d, struct proc *p, uint64_t *x, uint32_t n)
{
    if (n < 8)
        return 1;
    int64_t result = (int64_t)x[1];
    uint64_t flags = x[2];
    if (result <= 0 || result > INT32_MAX)
        return result <= 0 ? 0 : 1;
    /* find_proc may move the array: keep the parent by index. */
    size_t parent_idx = (size_t)(p - d->procs);
    struct proc *child = find_proc(d, (uint32_t)result);
    if (!child)
        return -1;
    if (child->announced)
        return 0;
    return write_fork(d, &d->procs[parent_idx], child, flags);
}

static int start_record(struct dbi *d, struct proc *p, uint64_t *x, uint32_t n)
{
    if (n < 3)
        return 1;
    const char *path = record_string(x, 3, n);
    if (x[0] == MMS_START_FORK) {
        struct proc *parent = NULL;
        for (size_t i = 0; i < d->nprocs; i++)
            if (d->procs[i].pid == (uint32_t)x[1])
                parent = &d->procs[i];
        p->started = 1;
        if (!parent || parent == p || p->announced)
            return 0;
        /* The child's frames came before its parent's post-fork report: write the FORK event
         * now, in the parent's name, with the flags the child inherited from the parent's
         * pre-syscall hook, so the trace never shows a process before its fork. */
        return write_fork(d, parent, p, x[2]);
    }
    int was_started = p->started;
    p->started = 1;
    if (!was_started)
        return 0;
    /* The same pid started a new Valgrind: an exec. */
    p->tid = p->pid;
    p->execs++;
    if (set_thread(d, p))
        return -1;
    return put_event(d, p, MMT_EV_EXEC, 0, NULL, 0, path);
}

/* Returns 0, -1 on a writer failure, 1 on a malformed record. */
static int control_record(struct dbi *d, struct proc *p, unsigned type, uint64_t *x, uint32_t n)
{
    /* Whatever the process sent before this record comes first, even a cut chunk. */
    if (p->nchunk && write_chunk(d, p))
        return -1;
    switch (type) {
    case MMS_X_START:
        return start_record(d, p, x, n);
    case MMS_X_SYSCALL:
        return fork_record(d, p, x, n);
    case MMS_X_END:
        p->ended = 1;
        return 0;
    default:
        return 0; /* newer records: nothing to write */
    }
}

static int control_frame(struct dbi *d, struct proc *p, uint64_t *w, size_t n)
{
    uint32_t pid = p->pid;
    for (size_t i = 1; i < n; i++) {
        uint64_t x = w[i];
        unsigned code = (unsigned)(x >> MMS_CODE_SHIFT) & 255;
        unsigned type = (unsigned)(x >> MMS_ARG_SHIFT) & 255;
        uint64_t len = x & 0xffffffffffffULL;
        if (code != MMS_C_EXT || len > n - i - 1) {
            protocol_error(d, "malformed control record", pid, i);
            return 0;
        }
        size_t pidx = (size_t)(p - d->procs);
        int rc = control_record(d, p, type, w + i + 1, (uint32_t)len);
        p = &d->procs[pidx]; /* a fork record may have grown the process array */
        if (rc < 0)
            return -1;
        if (rc > 0)
            protocol_error(d, "malformed control record", pid, i);
        i += len;
    }
    return 0;
}

/* ---- a vfork's parent waits for its child's exec or end ---- */
static uint8_t *held_room(struct dbi *d, struct proc *p, size_t bytes)
{
    if (p->nheld + bytes > p->capheld) {
        size_t ncap = p->capheld ? p->capheld : 1 << 16;
        while (ncap < p->nheld + bytes)
            ncap *= 2;
        uint8_t *nb = realloc(p->held, ncap);
        if (!nb) {
            protocol_error(d, "out of memory", p->pid, 0);
            return NULL;
        }
        p->held = nb;
        p->capheld = ncap;
    }
    return p->held + p->nheld;
}

/* Keeps a message of a process that waits for its vfork child: a u32 byte length, then the
 * message. A piece left in the tool's memory is copied out now (the tool reuses its buffer
 * once it is acknowledged) and kept as an ordinary piece. */
static void hold_message(struct dbi *d, struct proc *p, const uint64_t *w, size_t n)
{
    if ((w[0] >> 32) != MMS_DESC_MAGIC) {
        uint32_t bytes = (uint32_t)(n * 8);
        uint8_t *at = held_room(d, p, 4 + (size_t)bytes);
        if (!at)
            return;
        memcpy(at, &bytes, 4);
        memcpy(at + 4, w, bytes);
        p->nheld += 4 + (size_t)bytes;
        return;
    }
    if (d->replaying)
        return; /* a dump holds such pieces as ordinary ones */
    if (n < MMS_DESC_FIXED || !trailer_ok(w + MMS_DESC_FIXED, n - MMS_DESC_FIXED) ||
        (w[1] & 0xffffffffu) > MMS_MSG_BYTES) {
        protocol_error(d, "malformed piece descriptor", p->pid, 1);
        return;
    }
    uint64_t len = w[1] & 0xffffffffu, words = (len + 7) / 8;
    size_t ntr = n - MMS_DESC_FIXED;
    uint32_t bytes = (uint32_t)((2 + words + ntr) * 8);
    uint8_t *at = held_room(d, p, 4 + (size_t)bytes);
    if (!at)
        return;
    uint64_t head[2] = {(MMS_CHUNK_MAGIC << 32) | p->pid, w[1]};
    memcpy(at, &bytes, 4);
    memcpy(at + 4, head, sizeof head);
    memset(at + 4 + 16 + len, 0, words * 8 - len);
    memcpy(at + 4 + 16 + words * 8, w + MMS_DESC_FIXED, ntr * 8);
    if (copy_piece_out(d, p, w, at + 4 + 16, len))
        return;
    if (d->dump)
        dump_piece(d, p, w[1], at + 4 + 16, len, w + MMS_DESC_FIXED, ntr);
    p->nheld += 4 + (size_t)bytes;
}

/* Decodes one message. Returns 0, or -1 when the writer failed. */
static int decode_message(struct dbi *d, uint64_t *w, size_t n)
{
    uint64_t magic = n ? w[0] >> 32 : 0;
    if (magic != MMS_FRAME_MAGIC && magic != MMS_CHUNK_MAGIC && magic != MMS_DESC_MAGIC) {
        protocol_error(d, "bad message header", 0, 0);
        return 0;
    }
    struct proc *p = find_proc(d, (uint32_t)w[0]);
    if (!p) {
        protocol_error(d, "out of memory", (uint32_t)w[0], 0);
        return 0;
    }
    if (p->waits_for) {
        hold_message(d, p, w, n);
        return 0;
    }
    if (magic == MMS_CHUNK_MAGIC)
        return chunk_piece(d, p, w, n);
    if (magic == MMS_DESC_MAGIC)
        return d->replaying ? 0 : piece_descriptor(d, p, w, n);
    return control_frame(d, p, w, n);
}

/* Whether the vfork child pid has exec'd or ended (or is unknown: nothing to wait for). */
static int vfork_child_done(const struct dbi *d, uint32_t pid)
{
    for (size_t i = 0; i < d->nprocs; i++)
        if (d->procs[i].pid == pid)
            return d->procs[i].ended || d->procs[i].execs;
    return 1;
}

/* Decodes the held messages of every process whose vfork child has exec'd or ended (all:
 * every process, at the end of the recording), in the order they came, until one of them is
 * a new vfork. Returns 0, or -1 when the writer failed. */
static int release_held(struct dbi *d, int all)
{
    uint64_t *buf = NULL;
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < d->nprocs; i++) {
            if (!d->procs[i].waits_for || (!all && !vfork_child_done(d, d->procs[i].waits_for)))
                continue;
            d->procs[i].waits_for = 0;
            again = 1;
            if (!buf && !(buf = malloc(MSG_WORDS * 2 * sizeof *buf))) {
                protocol_error(d, "out of memory", d->procs[i].pid, 0);
                return 0;
            }
            /* decode_message may grow the process array: the process by index */
            while (!d->procs[i].waits_for && d->procs[i].held_off < d->procs[i].nheld) {
                struct proc *p = &d->procs[i];
                uint32_t bytes;
                memcpy(&bytes, p->held + p->held_off, 4);
                memcpy(buf, p->held + p->held_off + 4, bytes);
                p->held_off += 4 + (size_t)bytes;
                if (decode_message(d, buf, bytes / 8)) {
                    free(buf);
                    return -1;
                }
            }
            if (d->procs[i].held_off == d->procs[i].nheld)
                d->procs[i].nheld = d->procs[i].held_off = 0;
        }
    }
    free(buf);
    return 0;
}

/* One message from the tool, then whatever it lets go of. */
static int take_message(struct dbi *d, uint64_t *w, size_t n)
{
    if (decode_message(d, w, n))
        return -1;
    return release_held(d, 0);
}

/* Writes what processes that never ended their chunk had sent (a process killed). */
static int finish_procs(struct dbi *d)
{
    if (release_held(d, 1))
        return -1;
    for (size_t i = 0; i < d->nprocs; i++)
        if (d->procs[i].nchunk && write_chunk(d, &d->procs[i]))
            return -1;
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

/* The Valgrind tool is the pipeline's slow stage: it runs the program and encodes. With two
 * cores and three busy threads (the tool, this one, the compression thread it starts), a
 * lower priority for this side keeps the scheduler from putting it on the tool's core. Only
 * the calling thread changes (Linux nice is per thread); the compression thread inherits
 * it, the already forked tool does not. */
static void yield_to_tool(void)
{
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    if (errno == 0 && nice_now < 19)
        setpriority(PRIO_PROCESS, 0, nice_now + DBI_HOST_NICE < 19 ? nice_now + DBI_HOST_NICE : 19);
}

/* Whether process_vm_readv may read the child's memory (ptrace access: the same user, and
 * no Yama or container rule against it); the tool's pieces are read that way when so. */
static int can_read_memory(pid_t child)
{
    static const uint64_t probe = 0x6d6d73696d;
    uint64_t got = 0;
    struct iovec local = {&got, sizeof got};
    struct iovec remote = {(void *)&probe, sizeof probe};
    return process_vm_readv(child, &local, 1, &remote, 1, 0) == (ssize_t)sizeof got &&
           got == probe;
}

static void keep_open_across_exec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

static void exec_valgrind(const struct record_opts *o, const char *vglib, int fd, int log_fd,
                          int go_fd, char *const chunk_opts[2])
{
    char go;
    /* Wait until the parent has attached its counters (or gave up). */
    if (read(go_fd, &go, 1) != 1)
        _exit(127);
    int ring = go == 'r'; /* the parent may read this process's memory */
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
    char **args = calloc(argc + 16, sizeof *args);
    char fdopt[32], logopt[32], winopt[3][48];
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
    args[k++] = chunk_opts[0];
    args[k++] = chunk_opts[1];
    args[k++] = ring ? "--mmsim-transport=ring" : "--mmsim-transport=copy";
    if (o->no_ifetch)
        args[k++] = "--mmsim-ifetch=no";
    if (o->length) {
        snprintf(winopt[0], sizeof winopt[0], "--mmsim-skip=%" PRIu64, o->skip);
        snprintf(winopt[1], sizeof winopt[1], "--mmsim-length=%" PRIu64, o->length);
        snprintf(winopt[2], sizeof winopt[2], "--mmsim-every=%" PRId64, o->every);
        for (int i = 0; i < 3; i++)
            args[k++] = winopt[i];
    }
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
    size_t cap = MSG_WORDS * 2;
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
        if (d->dump && (buf[0] >> 32) != MMS_DESC_MAGIC) { /* those: dump_piece */
            uint32_t len32 = (uint32_t)r;
            fwrite(&len32, 4, 1, d->dump);
            fwrite(buf, 1, (size_t)r, d->dump);
        }
        d->frames++;
        if (!d->writer_failed && take_message(d, buf, (size_t)r / 8))
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
    /* The tool's chunks must fit the writer's buffer: a chunk can overshoot its byte limit
     * by one piece, and its record limit by one superblock's records. */
    size_t cap = mmt_writer_chunk_capacity(w);
    char recopt[64], byteopt[64];
    snprintf(recopt, sizeof recopt, "--mmsim-chunk-records=%zu", (cap - 8192) / 12);
    snprintf(byteopt, sizeof byteopt, "--mmsim-chunk-bytes=%zu", cap - 2 * MMS_MSG_BYTES);
    char *chunk_opts[2] = {recopt, byteopt};
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
        exec_valgrind(o, vglib, sv[1], logp[1], go[0], chunk_opts);
    }
    close(sv[1]);
    close(logp[1]);
    close(go[0]);
    yield_to_tool();
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
    /* MMSIM_DBI_TRANSPORT=copy: every piece through the socket (tests compare the two) */
    const char *transport = getenv("MMSIM_DBI_TRANSPORT");
    int ring = can_read_memory(child) && !(transport && strcmp(transport, "copy") == 0);
    mmt_writer_meta(w, "dbi.transport", ring ? "ring" : "copy");
    if (write(go[1], ring ? "r" : "c", 1) != 1) {
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
    d.replaying = 1;
    d.w = w;
    const unsigned char *p = data;
    uint64_t *frame = malloc(MSG_WORDS * 2 * sizeof *frame);
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
        if (n > len - off || n > MSG_WORDS * 2 * sizeof *frame || n % 8) {
            snprintf(err, errlen, "raw stream: bad frame length %u at byte %zu", n, off - 4);
            rc = 1;
            break;
        }
        memcpy(frame, p + off, n);
        off += n;
        d.frames++;
        if (take_message(&d, frame, n / 8))
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
