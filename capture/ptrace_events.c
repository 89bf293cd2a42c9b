/* ptrace_events.c - the events-only mode of the ptrace backend. The program runs at nearly
 * native speed: a seccomp filter, installed in the child before exec, stops it only at the
 * memory-management, process and sleep system calls (SECCOMP_RET_TRACE with
 * PTRACE_O_TRACESECCOMP), and the address of every page fault comes from the perf software
 * events minor-faults and major-faults sampled at period 1 (no PMU needed).
 *
 * perf refuses to mmap an inherited per-task event, so the events are opened per CPU with
 * inherit (the program's threads and children are counted wherever they run), the major-fault
 * event writes into the minor-fault event's buffer of the same CPU, and a drain merges the
 * buffers by time. The drain runs in a helper thread (buffers must not overflow while the
 * program runs freely) and before every system-call event, so a fault is always written
 * before the munmap that ends its mapping and after the mmap that made it. */
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/ptrace_os.h"
#include "capture/record.h"
#include "common/util.h"

#define MAX_CPUS 256
#define RING_PAGES 512 /* data pages per CPU: 2 MiB, 64 Ki samples */
#define TIME_STEP_NS 1000000 /* an MMT_EV_TIME at most every millisecond of the program */

struct fault_sample {
    uint64_t time, addr;
    uint32_t pid, tid;
    int major;
};

struct perf_ring {
    int fd_min, fd_maj;
    uint64_t id_maj;
    struct perf_event_mmap_page *meta;
    uint8_t *data;
    size_t data_size;
};

struct evrec {
    const struct record_opts *o;
    struct record_result *res;
    struct pt_out out;
    struct pt_threads ts;
    pid_t root;
    int exec_seen;
    struct perf_ring ring[MAX_CPUS];
    int nring;
    size_t page;
    struct fault_sample *buf; /* the drain's merge buffer */
    size_t buf_cap, nbuf;
    uint64_t faults, major, lost, stops;
    uint64_t t0, last_time; /* CLOCK_MONOTONIC ns: tracing start, last MMT_EV_TIME */
    pthread_mutex_t lock;
    pthread_t drainer;
    int drainer_running;
    int drain_stop; /* read and written with __atomic builtins: shared with the drainer */
    struct progress prog;
};

/* ---- perf ---- */

static int perf_open(pid_t pid, int cpu, uint64_t config, int group_fd)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_SOFTWARE;
    a.size = sizeof a;
    a.config = config;
    a.sample_period = 1;
    a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR;
    a.disabled = 1;
    a.enable_on_exec = 1;
    a.inherit = 1;
    a.exclude_hv = 1;
    a.watermark = 1;
    a.wakeup_watermark = RING_PAGES * 4096 / 4;
    a.use_clockid = 1; /* sample times on the clock the tracer reads at system calls */
    a.clockid = CLOCK_MONOTONIC;
    int fd = (int)syscall(SYS_perf_event_open, &a, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EPERM)) {
        /* unprivileged (perf_event_paranoid 2): faults taken in kernel mode are left out */
        a.exclude_kernel = 1;
        fd = (int)syscall(SYS_perf_event_open, &a, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
    }
    return fd;
}

static void perf_close_all(struct evrec *e)
{
    for (int i = 0; i < e->nring; i++) {
        struct perf_ring *r = &e->ring[i];
        if (r->meta)
            munmap(r->meta, (RING_PAGES + 1) * e->page);
        if (r->fd_maj >= 0)
            close(r->fd_maj);
        if (r->fd_min >= 0)
            close(r->fd_min);
    }
    e->nring = 0;
}

static int perf_setup(struct evrec *e, pid_t pid, char *err, size_t errlen)
{
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    e->page = (size_t)sysconf(_SC_PAGESIZE);
    if (ncpu < 1 || ncpu > MAX_CPUS)
        ncpu = ncpu < 1 ? 1 : MAX_CPUS;
    for (int cpu = 0; cpu < ncpu; cpu++) {
        struct perf_ring *r = &e->ring[e->nring];
        r->fd_min = perf_open(pid, cpu, PERF_COUNT_SW_PAGE_FAULTS_MIN, -1);
        if (r->fd_min < 0) {
            if (errno == ENODEV || errno == EINVAL) /* an offline CPU */
                continue;
            snprintf(err, errlen, "ptrace events-only: perf_event_open(minor-faults, cpu %d): %s",
                     cpu, strerror(errno));
            perf_close_all(e);
            return -1;
        }
        r->fd_maj = perf_open(pid, cpu, PERF_COUNT_SW_PAGE_FAULTS_MAJ, -1);
        r->meta = mmap(NULL, (RING_PAGES + 1) * e->page, PROT_READ | PROT_WRITE, MAP_SHARED,
                       r->fd_min, 0);
        e->nring++;
        if (r->meta == MAP_FAILED || r->fd_maj < 0 ||
            ioctl(r->fd_maj, PERF_EVENT_IOC_SET_OUTPUT, r->fd_min) != 0 ||
            ioctl(r->fd_maj, PERF_EVENT_IOC_ID, &r->id_maj) != 0) {
            if (r->meta == MAP_FAILED)
                r->meta = NULL;
            snprintf(err, errlen, "ptrace events-only: perf ring buffer on cpu %d: %s", cpu,
                     strerror(errno));
            perf_close_all(e);
            return -1;
        }
        r->data = (uint8_t *)r->meta + e->page;
        r->data_size = RING_PAGES * e->page;
    }
    return 0;
}

static void copy_wrapped(const struct perf_ring *r, uint64_t pos, void *dst, size_t len)
{
    size_t off = (size_t)(pos % r->data_size);
    size_t first = r->data_size - off < len ? r->data_size - off : len;
    memcpy(dst, r->data + off, first);
    memcpy((uint8_t *)dst + first, r->data, len - first);
}

static int push_sample(struct evrec *e, const struct fault_sample *s)
{
    if (e->nbuf + 1 > e->buf_cap) {
        size_t cap = e->buf_cap ? e->buf_cap * 2 : 65536;
        struct fault_sample *b = realloc(e->buf, cap * sizeof *b);
        if (!b)
            return -1;
        e->buf = b;
        e->buf_cap = cap;
    }
    e->buf[e->nbuf++] = *s;
    return 0;
}

/* Moves one CPU's records into the merge buffer. */
static void drain_ring(struct evrec *e, struct perf_ring *r)
{
    uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = r->meta->data_tail;
    while (tail < head) {
        struct perf_event_header h;
        copy_wrapped(r, tail, &h, sizeof h);
        if (h.size < sizeof h)
            break;
        if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof h + 4 * 8) {
            uint64_t v[4]; /* identifier, pid|tid, time, addr */
            copy_wrapped(r, tail + sizeof h, v, sizeof v);
            struct fault_sample s = {v[2], v[3], (uint32_t)v[1], (uint32_t)(v[1] >> 32),
                                     v[0] == r->id_maj};
            push_sample(e, &s);
        } else if (h.type == PERF_RECORD_LOST && h.size >= sizeof h + 16) {
            uint64_t v[2];
            copy_wrapped(r, tail + sizeof h, v, sizeof v);
            e->lost += v[1];
        }
        tail += h.size;
    }
    __atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Gives fault-level traces a time base: MMT_EV_TIME (ns since tracing started) before an
 * event that comes a millisecond or more after the last one. */
static void note_time(struct evrec *e, uint64_t ns, uint32_t pid, uint32_t tid)
{
    if (ns < e->last_time + TIME_STEP_NS || ns < e->t0)
        return;
    struct mmt_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = MMT_EV_TIME;
    ev.pid = pid;
    ev.tid = tid;
    ev.nargs = 1;
    ev.args[0] = ns - e->t0;
    pt_out_event(&e->out, &ev);
    e->last_time = ns;
}

static int by_time(const void *a, const void *b)
{
    const struct fault_sample *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time;
}

/* Writes every fault sampled so far, in time order. Called with e->lock held. */
static void drain_faults(struct evrec *e)
{
    e->nbuf = 0;
    for (int i = 0; i < e->nring; i++)
        drain_ring(e, &e->ring[i]);
    size_t n = e->nbuf;
    qsort(e->buf, n, sizeof *e->buf, by_time);
    for (size_t i = 0; i < n; i++) {
        const struct fault_sample *s = &e->buf[i];
        note_time(e, s->time, s->pid, s->tid);
        struct mmt_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = MMT_EV_PAGE_FAULT;
        ev.pid = s->pid;
        ev.tid = s->tid;
        ev.nargs = 2;
        ev.args[0] = s->addr;
        ev.args[1] = s->major ? 2 : 0; /* the software events do not say read or write */
        pt_out_event(&e->out, &ev);
        e->major += (uint64_t)s->major;
    }
    e->faults += n;
}

static void *drainer_main(void *arg)
{
    struct evrec *e = arg;
    struct pollfd pf[MAX_CPUS];
    for (int i = 0; i < e->nring; i++)
        pf[i] = (struct pollfd){e->ring[i].fd_min, POLLIN, 0};
    while (!__atomic_load_n(&e->drain_stop, __ATOMIC_ACQUIRE)) {
        poll(pf, (nfds_t)e->nring, 20);
        pthread_mutex_lock(&e->lock);
        drain_faults(e);
        pthread_mutex_unlock(&e->lock);
    }
    return NULL;
}

/* ---- stops ---- */

static void resume(pid_t tid, int request, int sig)
{
    ptrace(request, tid, NULL, (void *)(uintptr_t)sig);
}

static void seccomp_stop(struct evrec *e, struct pt_thread *t)
{
    struct __ptrace_syscall_info si;
    memset(&si, 0, sizeof si);
    if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof si, &si) <= 0) {
        resume(t->tid, PTRACE_CONT, 0);
        return;
    }
    t->sc.nr = (long)si.seccomp.nr;
    memcpy(t->sc.args, si.seccomp.args, sizeof t->sc.args);
    pt_syscall_entry(t->tid, &t->sc);
    if (t->sc.nr == SYS_execve || t->sc.nr == SYS_execveat)
        drain_faults(e); /* the old image's faults come before the exec */
    if (t->sc.nr == SYS_exit || t->sc.nr == SYS_exit_group) {
        t->sc.active = 0; /* no return: the exit is written when the thread is gone */
        resume(t->tid, PTRACE_CONT, 0);
        return;
    }
    resume(t->tid, PTRACE_SYSCALL, 0); /* stop again at its return */
}

static void syscall_stop(void *ctx, struct pt_thread *t)
{
    struct evrec *e = ctx;
    struct __ptrace_syscall_info si;
    memset(&si, 0, sizeof si);
    long n = ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof si, &si);
    if (n > 0 && si.op == PTRACE_SYSCALL_INFO_ENTRY) {
        resume(t->tid, PTRACE_SYSCALL, 0);
        return;
    }
    if (n > 0 && si.op == PTRACE_SYSCALL_INFO_EXIT && t->sc.active) {
        drain_faults(e);
        note_time(e, monotonic_ns(), (uint32_t)t->pid, (uint32_t)t->tid);
        pt_syscall_exit_event(&e->out, t->pid, t->tid, &t->sc, si.exit.rval);
    }
    t->sc.active = 0;
    resume(t->tid, PTRACE_CONT, 0);
}

static void event_stop(void *ctx, struct pt_thread *t, int event)
{
    struct evrec *e = ctx;
    unsigned long msg = 0;
    pid_t tid = t->tid, pid = t->pid;
    ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
    switch (event) {
    case PTRACE_EVENT_SECCOMP:
        seccomp_stop(e, t);
        return;
    case PTRACE_EVENT_CLONE:
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK: {
        pid_t child = (pid_t)msg;
        int thread = (t->sc.clone_flags & CLONE_THREAD) != 0;
        drain_faults(e);
        pt_clone_event(&e->out, pid, tid, child, &t->sc);
        if (!pt_threads_find(&e->ts, child))
            pt_threads_add(&e->ts, child, thread ? pid : child);
        resume(tid, PTRACE_SYSCALL, 0);
        return;
    }
    case PTRACE_EVENT_EXEC:
        for (size_t i = 0; i < e->ts.n;) {
            if (e->ts.t[i].pid == pid && e->ts.t[i].tid != tid)
                pt_threads_remove(&e->ts, e->ts.t[i].tid);
            else
                i++;
        }
        t = pt_threads_find(&e->ts, tid);
        e->exec_seen = 1;
        /* the faults sampled since the execve's entry were taken by the kernel loading the
         * new image (bss, stack): they follow its mappings */
        pt_exec_events(&e->out, pid, tid);
        drain_faults(e);
        t->sc.active = 0;
        resume(tid, PTRACE_CONT, 0);
        return;
    default: /* PTRACE_EVENT_EXIT and anything newer */
        resume(tid, PTRACE_CONT, 0);
        return;
    }
}

/* ---- pt_handle_status's ops: every thread runs free between stops ---- */

static void ev_new_thread(void *ctx, struct pt_thread *t, int sig)
{
    (void)ctx;
    t->state = PT_T_RUNNING;
    resume(t->tid, PTRACE_CONT, sig == SIGSTOP ? 0 : sig);
}

static void ev_gone(void *ctx, struct pt_thread *t, int st, const struct rusage *ru)
{
    struct evrec *e = ctx;
    drain_faults(e);
    pt_thread_gone(&e->out, &e->ts, t, st, ru, e->root, e->res);
}

static void ev_initial_stop(void *ctx, struct pt_thread *t)
{
    (void)ctx;
    t->state = PT_T_RUNNING;
    resume(t->tid, PTRACE_CONT, 0);
}

/* A signal for the thread: delivered. */
static void ev_signal_stop(void *ctx, struct pt_thread *t, int sig)
{
    (void)ctx;
    resume(t->tid, PTRACE_CONT, sig);
}

static const struct pt_status_ops ev_status_ops = {
    .syscall_sig = SIGTRAP | 0x80,
    .new_thread = ev_new_thread,
    .gone = ev_gone,
    .event_stop = event_stop,
    .syscall_stop = syscall_stop,
    .initial_stop = ev_initial_stop,
    .signal_stop = ev_signal_stop,
};

static void handle_status(struct evrec *e, pid_t tid, int st, const struct rusage *ru)
{
    e->stops += (uint64_t)pt_handle_status(&e->ts, tid, st, ru, &ev_status_ops, e);
}

static int events_loop(struct evrec *e, char *err, size_t errlen)
{
    while (e->ts.n > 0) {
        if (*e->o->stop) {
            e->res->incomplete = 1;
            snprintf(e->res->reason, sizeof e->res->reason, "ptrace events-only: interrupted");
            pt_kill_all(&e->ts, e->root, e->res);
            return 0;
        }
        pthread_mutex_lock(&e->lock);
        int failed = e->out.failed;
        if (failed)
            snprintf(err, errlen, "ptrace events-only: writing the trace: %s",
                     mmt_writer_error(e->out.w));
        pthread_mutex_unlock(&e->lock);
        if (failed) {
            pt_kill_all(&e->ts, e->root, e->res);
            return -1;
        }
        int st;
        struct rusage ru;
        pid_t w = wait4(-1, &st, __WALL, &ru);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: everything followed is gone */
        }
        pthread_mutex_lock(&e->lock);
        handle_status(e, w, st, &ru);
        if (e->o->progress)
            progress_update(&e->prog, "ptrace events-only: %" PRIu64 " faults, %" PRIu64 " events",
                            e->faults, e->out.events);
        pthread_mutex_unlock(&e->lock);
    }
    return 0;
}

static void write_meta(struct evrec *e)
{
    char v[64];
    snprintf(v, sizeof v, "%" PRIu64, e->faults);
    mmt_writer_meta(e->out.w, "ptrace.page_faults", v);
    snprintf(v, sizeof v, "%" PRIu64, e->major);
    mmt_writer_meta(e->out.w, "ptrace.major_faults", v);
    snprintf(v, sizeof v, "%" PRIu64, e->lost);
    mmt_writer_meta(e->out.w, "ptrace.lost_faults", v);
    snprintf(v, sizeof v, "%" PRIu64, e->stops);
    mmt_writer_meta(e->out.w, "ptrace.stops", v);
}

int pt_events_record(const struct record_opts *o, struct mmt_writer *w, struct record_result *res,
                     char *err, size_t errlen)
{
    struct evrec *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "ptrace events-only: out of memory");
        return -1;
    }
    e->o = o;
    e->res = res;
    e->out.w = w;
    pthread_mutex_init(&e->lock, NULL);
    progress_init(&e->prog);
    if (!o->progress)
        e->prog.enabled = 0;
    int rc = -1;
    pid_t pid = pt_spawn_ready(o, 1, err, errlen);
    if (pid > 0) {
        e->root = pid;
        long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                    PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |
                    PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
        struct pt_thread *t = pt_threads_add(&e->ts, pid, pid);
        if (!t || ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)opts) != 0) {
            snprintf(err, errlen, "ptrace events-only: PTRACE_SETOPTIONS: %s", strerror(errno));
        } else {
            /* without perf (a kernel or container that forbids it) the OS events are still
             * worth having: the trace says why it has no faults */
            char perr[256];
            if (perf_setup(e, pid, perr, sizeof perr) != 0) {
                mmt_writer_meta(w, "ptrace.fault_sampling", perr);
                fprintf(stderr, "mmsim record: %s; recording without page faults\n", perr);
            } else {
                mmt_writer_meta(w, "ptrace.fault_sampling", "perf minor-faults and major-faults, period 1");
                e->drainer_running = pthread_create(&e->drainer, NULL, drainer_main, e) == 0;
            }
            t->state = PT_T_RUNNING;
            e->t0 = e->last_time = monotonic_ns();
            resume(pid, PTRACE_CONT, 0);
            rc = events_loop(e, err, errlen);
            __atomic_store_n(&e->drain_stop, 1, __ATOMIC_RELEASE);
            if (e->drainer_running)
                pthread_join(e->drainer, NULL);
            drain_faults(e);
            progress_done(&e->prog);
            write_meta(e);
            if (rc == 0 && !e->exec_seen && !res->incomplete) {
                snprintf(err, errlen, "ptrace events-only: cannot execute %s", o->argv[0]);
                rc = -1;
            }
        }
        if (rc != 0 && e->ts.n)
            pt_kill_all(&e->ts, e->root, e->res);
    }
    perf_close_all(e);
    pt_threads_free(&e->ts);
    pthread_mutex_destroy(&e->lock);
    free(e->buf);
    free(e);
    return rc;
}
