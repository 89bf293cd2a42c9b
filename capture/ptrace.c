/* ptrace.c - the ptrace capture backend: single-steps every thread of the program and of the
 * processes it forks, decodes each instruction once per address (ptrace_decode.c) and writes
 * the exact accesses of every step, with the OS events of its system calls (ptrace_os.c).
 * The events-only mode lives in ptrace_events.c; ptrace_record() picks one.
 *
 * Scheduling: one thread steps at a time (the others sit in ptrace stops), for a quantum of
 * steps, then the next ready thread. A thread about to execute `syscall` is let go with one
 * PTRACE_SINGLESTEP and not waited for: the kernel reports a trap when the call returns, which
 * may be much later (futex, wait4, read, vfork), while the other threads keep stepping. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/ptrace_decode.h"
#include "capture/ptrace_os.h"
#include "capture/ptrace_uaccess.h"
#include "capture/record.h"
#include "common/util.h"

#define QUANTUM_STEPS 1000
#define XSTATE_MAX 16384

struct icache_entry {
    uint64_t addr;
    uint32_t pid; /* 0: empty slot */
    struct pt_insn insn;
};

struct icache {
    struct icache_entry *e;
    size_t cap, n;
};

struct stepper {
    const struct record_opts *o;
    struct record_result *res;
    struct pt_out out;
    struct pt_threads ts;
    struct pt_decoder *dec;
    struct pt_cpu cpu;
    struct icache ic;
    pid_t root;
    int exec_seen;
    uint64_t steps, accesses, undecodable;
    pid_t cur;         /* the thread holding the quantum */
    unsigned quantum;  /* steps left in it */
    size_t rr;         /* round-robin position */
    uint8_t *xstate;
    struct progress prog;
};

/* ---- decoded-instruction cache, keyed by (process, address) ---- */

static size_t icache_slot(const struct icache *c, uint32_t pid, uint64_t addr)
{
    uint64_t h = (addr ^ ((uint64_t)pid << 40)) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 20) & (c->cap - 1);
}

static int icache_grow(struct icache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 1 << 14;
    struct icache_entry *old = c->e;
    size_t oldcap = c->cap;
    c->e = calloc(cap, sizeof *c->e);
    if (!c->e) {
        c->e = old;
        return -1;
    }
    c->cap = cap;
    c->n = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].pid)
            continue;
        size_t s = icache_slot(c, old[i].pid, old[i].addr);
        while (c->e[s].pid)
            s = (s + 1) & (cap - 1);
        c->e[s] = old[i];
        c->n++;
    }
    free(old);
    return 0;
}

/* Code may have changed under an address (unmap, protect, remap, exec): forget everything;
 * refilling costs one read and one decode per distinct instruction. */
static void icache_clear(struct icache *c)
{
    if (c->e)
        memset(c->e, 0, c->cap * sizeof *c->e);
    c->n = 0;
}

static const struct pt_insn *icache_get(struct stepper *s, pid_t pid, uint64_t rip)
{
    struct icache *c = &s->ic;
    if ((c->n + 1) * 10 > c->cap * 7 && icache_grow(c) != 0)
        return NULL;
    size_t i = icache_slot(c, (uint32_t)pid, rip);
    while (c->e[i].pid) {
        if (c->e[i].addr == rip && c->e[i].pid == (uint32_t)pid)
            return &c->e[i].insn;
        i = (i + 1) & (c->cap - 1);
    }
    uint8_t bytes[16];
    size_t got = pt_read_mem(pid, rip, bytes, sizeof bytes);
    if (got == 0 || pt_decode(s->dec, bytes, got, &c->e[i].insn) != 0)
        return NULL;
    c->e[i].addr = rip;
    c->e[i].pid = (uint32_t)pid;
    c->n++;
    return &c->e[i].insn;
}

/* ---- emission ---- */

static int emit_access(void *ctx, unsigned kind, uint64_t addr, unsigned size)
{
    struct stepper *s = ctx;
    if (mmt_writer_access(s->out.w, kind, addr, size) != 0) {
        s->out.failed = 1;
        return 1;
    }
    s->accesses++;
    return 0;
}

static struct user_regs_struct *thread_regs(struct pt_thread *t)
{
    if (!t->mode_data)
        t->mode_data = calloc(1, sizeof(struct user_regs_struct));
    return t->mode_data;
}

static int read_regs(struct pt_thread *t)
{
    struct user_regs_struct *r = thread_regs(t);
    if (!r || ptrace(PTRACE_GETREGS, t->tid, NULL, r) != 0)
        return -1;
    t->regs_valid = 1;
    return 0;
}

static void emit_step(struct stepper *s, struct pt_thread *t, const struct pt_insn *in,
                      const struct user_regs_struct *before, const struct user_regs_struct *after,
                      const uint8_t *xstate, size_t xlen)
{
    struct pt_regs_view rv = {before, after, xstate, xlen, &s->cpu};
    if (pt_out_switch(&s->out, (uint32_t)t->pid, (uint32_t)t->tid) != 0)
        return;
    pt_insn_emit(in, &rv, s->o->no_ifetch, emit_access, s);
}

/* ---- stops ---- */

static void syscall_returned(struct stepper *s, struct pt_thread *t)
{
    if (read_regs(t) != 0)
        return;
    struct user_regs_struct *r = thread_regs(t);
    if (t->sc.active) {
        pt_syscall_exit_event(&s->out, t->pid, t->tid, &t->sc, (int64_t)r->rax);
        pt_uaccess_exit(&s->out, t->pid, t->tid, &t->sc, (int64_t)r->rax);
        if (pt_syscall_changes_code(t->sc.nr))
            icache_clear(&s->ic);
    }
    t->sc.active = 0;
}

static void ptrace_event_stop(void *ctx, struct pt_thread *t, int event)
{
    struct stepper *s = ctx;
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &msg);
    pid_t tid = t->tid, pid = t->pid;
    if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
        pid_t child = (pid_t)msg;
        int thread = (t->sc.clone_flags & CLONE_THREAD) != 0;
        pt_clone_event(&s->out, pid, tid, child, &t->sc);
        if (!pt_threads_find(&s->ts, child))
            pt_threads_add(&s->ts, child, thread ? pid : child);
        t = pt_threads_find(&s->ts, tid); /* the table may have moved */
    } else if (event == PTRACE_EVENT_EXEC) {
        /* a non-leader thread that execs takes over the leader's id; the rest are gone */
        for (size_t i = 0; i < s->ts.n;) {
            if (s->ts.t[i].pid == pid && s->ts.t[i].tid != tid)
                pt_threads_remove(&s->ts, s->ts.t[i].tid);
            else
                i++;
        }
        t = pt_threads_find(&s->ts, tid);
        icache_clear(&s->ic);
        s->exec_seen = 1;
        pt_exec_events(&s->out, pid, tid);
        t->sc.active = 0; /* execve's return is not an event of its own */
    }
    /* keep it going as before: a trap comes when its system call returns */
    t->state = PT_T_RUNNING;
    t->regs_valid = 0;
    ptrace(event == PTRACE_EVENT_EXIT ? PTRACE_CONT : PTRACE_SINGLESTEP, tid, NULL, NULL);
}

static void signal_stop(void *ctx, struct pt_thread *t, int sig)
{
    struct stepper *s = ctx;
    if (t->state == PT_T_RUNNING && t->sc.active && read_regs(t) == 0) {
        /* the call ended (or was cut short) before the signal's delivery */
        int64_t rv = (int64_t)thread_regs(t)->rax;
        if (rv > -512 || rv < -516) /* not one the kernel restarts */
            syscall_returned(s, t);
        t->sc.active = 0;
    }
    t->pending_sig = sig;
    t->state = PT_T_READY;
    t->regs_valid = 0;
}

/* ---- wait statuses other than a finished step (pt_handle_status's ops) ---- */

static void step_new_thread(void *ctx, struct pt_thread *t, int sig)
{
    (void)ctx;
    (void)sig;
    t->state = PT_T_READY; /* stepped from its first stop on */
}

static void step_gone(void *ctx, struct pt_thread *t, int st, const struct rusage *ru)
{
    struct stepper *s = ctx;
    pt_thread_gone(&s->out, &s->ts, t, st, ru, s->root, s->res);
}

/* A plain SIGTRAP: the end of a step, which for a thread in a system call is its return. */
static void step_trap(void *ctx, struct pt_thread *t)
{
    if (t->state == PT_T_RUNNING)
        syscall_returned(ctx, t);
    t->state = PT_T_READY;
}

static void step_initial_stop(void *ctx, struct pt_thread *t)
{
    (void)ctx;
    t->state = PT_T_READY;
    t->regs_valid = 0;
}

static const struct pt_status_ops step_status_ops = {
    .syscall_sig = SIGTRAP,
    .new_thread = step_new_thread,
    .gone = step_gone,
    .event_stop = ptrace_event_stop,
    .syscall_stop = step_trap,
    .initial_stop = step_initial_stop,
    .signal_stop = signal_stop,
};

static void handle_status(struct stepper *s, pid_t tid, int st, const struct rusage *ru)
{
    pt_handle_status(&s->ts, tid, st, ru, &step_status_ops, s);
}

static void wait_any(struct stepper *s, int options)
{
    for (;;) {
        int st;
        struct rusage ru;
        pid_t w = wait4(-1, &st, __WALL | options, &ru);
        if (w == 0)
            return;
        if (w < 0) {
            if (errno == EINTR && !*s->o->stop)
                continue;
            if (errno == ECHILD) /* nothing left to wait for */
                pt_threads_free(&s->ts);
            return;
        }
        handle_status(s, w, st, &ru);
        if (!(options & WNOHANG))
            return;
    }
}

/* ---- stepping ---- */

static void start_syscall(struct stepper *s, struct pt_thread *t, const struct pt_insn *in)
{
    const struct user_regs_struct *r = thread_regs(t);
    int sig = t->pending_sig;
    t->pending_sig = 0;
    t->sc.nr = (long)r->rax;
    uint64_t a[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
    memcpy(t->sc.args, a, sizeof a);
    if (sig == 0) {
        pt_syscall_entry(t->tid, &t->sc);
        emit_step(s, t, in, r, NULL, NULL, 0);
        pt_uaccess_entry(&s->out, t->pid, t->tid, &t->sc); /* what the call reads, after its fetch */
        s->steps++;
    } else {
        t->sc.active = 0; /* the handler runs first; the call is made (again) later */
    }
    t->state = PT_T_RUNNING;
    t->regs_valid = 0;
    ptrace(PTRACE_SINGLESTEP, t->tid, NULL, (void *)(uintptr_t)sig);
}

static size_t read_xstate(struct stepper *s, pid_t tid)
{
    struct iovec iov = {s->xstate, XSTATE_MAX};
    if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) != 0)
        return 0;
    return iov.iov_len;
}

static void step_one(struct stepper *s, struct pt_thread *t)
{
    if (!t->regs_valid && read_regs(t) != 0) {
        t->state = PT_T_RUNNING; /* killed under us: its exit status is on its way */
        return;
    }
    struct user_regs_struct before = *thread_regs(t), after;
    const struct pt_insn *in = icache_get(s, t->pid, before.rip);
    if (in && (in->flags & PT_F_SYSCALL)) {
        start_syscall(s, t, in);
        return;
    }
    size_t xlen = in && (in->flags & PT_F_NEEDS_XSTATE) ? read_xstate(s, t->tid) : 0;
    int sig = t->pending_sig;
    t->pending_sig = 0;
    pid_t tid = t->tid;
    if (ptrace(PTRACE_SINGLESTEP, tid, NULL, (void *)(uintptr_t)sig) != 0) {
        t->state = PT_T_RUNNING;
        t->regs_valid = 0;
        return;
    }
    int st;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(tid, &st, __WALL, &ru)) < 0 && errno == EINTR) {
    }
    if (w != tid)
        return;
    if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0 &&
        ptrace(PTRACE_GETREGS, tid, NULL, &after) == 0) {
        /* with a caught signal injected, the handler ran instead of the instruction; an
         * ignored one left the instruction to run */
        if (in && (sig == 0 || !pt_signal_caught(tid, sig)))
            emit_step(s, t, in, &before, &after, xlen ? s->xstate : NULL, xlen);
        else if (!in)
            s->undecodable++;
        *thread_regs(t) = after;
        t->regs_valid = 1;
        s->steps++;
        return;
    }
    t->regs_valid = 0;
    handle_status(s, tid, st, &ru);
}

static size_t count_state(const struct pt_threads *ts, int state)
{
    size_t n = 0;
    for (size_t i = 0; i < ts->n; i++)
        n += ts->t[i].state == state;
    return n;
}

/* The thread to step next: the quantum holder while it can run, else the next ready one. */
static struct pt_thread *pick_ready(struct stepper *s)
{
    struct pt_thread *t = pt_threads_find(&s->ts, s->cur);
    if (t && t->state == PT_T_READY && s->quantum > 0) {
        s->quantum--;
        return t;
    }
    for (size_t k = 0; k < s->ts.n; k++) {
        size_t i = (s->rr + 1 + k) % s->ts.n;
        if (s->ts.t[i].state == PT_T_READY) {
            s->rr = i;
            s->cur = s->ts.t[i].tid;
            s->quantum = QUANTUM_STEPS - 1;
            return &s->ts.t[i];
        }
    }
    return NULL;
}

static void show_progress(struct stepper *s)
{
    double dt = now_seconds() - s->prog.start;
    progress_update(&s->prog, "ptrace: %" PRIu64 " steps, %" PRIu64 " accesses, %.0f steps/s, %zu threads",
                    s->steps, s->accesses, dt > 0 ? (double)s->steps / dt : 0.0, s->ts.n);
}

static int step_loop(struct stepper *s, char *err, size_t errlen)
{
    while (s->ts.n > 0) {
        if (*s->o->stop) {
            s->res->incomplete = 1;
            snprintf(s->res->reason, sizeof s->res->reason,
                     "ptrace: interrupted after %" PRIu64 " steps", s->steps);
            pt_kill_all(&s->ts, s->root, s->res);
            return 0;
        }
        if (s->out.failed) {
            snprintf(err, errlen, "ptrace: writing the trace: %s", mmt_writer_error(s->out.w));
            pt_kill_all(&s->ts, s->root, s->res);
            return -1;
        }
        if ((s->steps & 15) == 0 && count_state(&s->ts, PT_T_RUNNING) + count_state(&s->ts, PT_T_NEW))
            wait_any(s, WNOHANG);
        struct pt_thread *t = pick_ready(s);
        if (!t) {
            wait_any(s, 0);
            continue;
        }
        step_one(s, t);
        if (s->o->progress && (s->steps & 1023) == 0)
            show_progress(s);
    }
    return 0;
}

static int single_step_record(const struct record_opts *o, struct mmt_writer *w,
                              struct record_result *res, char *err, size_t errlen)
{
    struct stepper s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.res = res;
    s.out.w = w;
    s.dec = pt_decoder_new();
    s.xstate = malloc(XSTATE_MAX);
    if (!s.dec || !s.xstate || icache_grow(&s.ic) != 0) {
        snprintf(err, errlen, "ptrace: out of memory");
        pt_decoder_free(s.dec);
        free(s.xstate);
        free(s.ic.e);
        return -1;
    }
    pt_cpu_init(&s.cpu);
    progress_init(&s.prog);
    if (!o->progress)
        s.prog.enabled = 0;
    int rc = -1;
    pid_t pid = pt_spawn_ready(o, 0, err, errlen);
    if (pid > 0) {
        s.root = pid;
        long opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                    PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD |
                    PTRACE_O_EXITKILL;
        struct pt_thread *t = pt_threads_add(&s.ts, pid, pid);
        if (!t || ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)opts) != 0) {
            snprintf(err, errlen, "ptrace: PTRACE_SETOPTIONS on %d: %s", (int)pid, strerror(errno));
            kill(pid, SIGKILL);
            waitpid(pid, NULL, __WALL);
        } else {
            /* up to the exec the child is a copy of mmsim: run it freely to the exec stop,
             * where the program's first instruction waits */
            t->state = PT_T_RUNNING;
            ptrace(PTRACE_CONT, pid, NULL, NULL);
            double t0 = now_seconds();
            rc = step_loop(&s, err, errlen);
            double dt = now_seconds() - t0;
            progress_done(&s.prog);
            char v[64];
            snprintf(v, sizeof v, "%" PRIu64, s.steps);
            mmt_writer_meta(w, "ptrace.steps", v);
            snprintf(v, sizeof v, "%.0f", dt > 0 ? (double)s.steps / dt : 0.0);
            mmt_writer_meta(w, "ptrace.steps_per_s", v);
            if (rc == 0 && !s.exec_seen && !res->incomplete) {
                snprintf(err, errlen, "ptrace: cannot execute %s", o->argv[0]);
                rc = -1;
            }
        }
    }
    pt_threads_free(&s.ts);
    pt_decoder_free(s.dec);
    free(s.xstate);
    free(s.ic.e);
    return rc;
}

int ptrace_record(const struct record_opts *o, struct mmt_writer *w, struct record_result *res,
                  char *err, size_t errlen)
{
    if (!o->argv || !o->argv[0]) {
        snprintf(err, errlen, "ptrace: no program to run");
        return -1;
    }
    if (o->events_only)
        return pt_events_record(o, w, res, err, errlen);
    return single_step_record(o, w, res, err, errlen);
}
