/* ptrace_os.c - system-call events, /proc mappings, the child's start and the thread table
 * shared by the single-step tracer (ptrace.c) and the events-only mode (ptrace_events.c). */
#include "capture/ptrace_os.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- output ---- */

int pt_out_switch(struct pt_out *o, uint32_t pid, uint32_t tid)
{
    if (o->pid == pid && o->tid == tid)
        return 0;
    o->pid = pid;
    o->tid = tid;
    if (mmt_writer_switch(o->w, pid, tid) != 0) {
        o->failed = 1;
        return -1;
    }
    return 0;
}

int pt_out_event(struct pt_out *o, const struct mmt_event *ev)
{
    if (pt_out_switch(o, ev->pid, ev->tid) != 0)
        return -1;
    if (mmt_writer_event(o->w, ev) != 0) {
        o->failed = 1;
        return -1;
    }
    o->events++;
    return 0;
}

static struct mmt_event make_event(unsigned type, pid_t pid, pid_t tid, int64_t result)
{
    struct mmt_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = (uint16_t)type;
    ev.pid = (uint32_t)pid;
    ev.tid = (uint32_t)tid;
    ev.result = result;
    return ev;
}

size_t pt_read_mem(pid_t tid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n > 0)
        return (size_t)n;
    /* pages without read permission: PTRACE_PEEKDATA reads them as a debugger would */
    size_t got = 0;
    while (got < len) {
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)(addr + got), NULL);
        if (errno != 0)
            break;
        size_t k = len - got < sizeof word ? len - got : sizeof word;
        memcpy((char *)buf + got, &word, k);
        got += k;
    }
    return got;
}

int pt_signal_caught(pid_t tid, int sig)
{
    char name[64], line[256];
    unsigned long long mask = 0;
    snprintf(name, sizeof name, "/proc/%d/status", (int)tid);
    FILE *f = fopen(name, "r");
    if (!f)
        return 1; /* unknown: assume the handler runs, so nothing is made up */
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "SigCgt: %llx", &mask) == 1)
            break;
    fclose(f);
    return sig >= 1 && sig <= 64 && ((mask >> (sig - 1)) & 1);
}

/* ---- system calls ---- */

int pt_syscall_changes_code(long nr)
{
    return nr == SYS_munmap || nr == SYS_mprotect || nr == SYS_mremap || nr == SYS_mmap;
}

static uint64_t timespec_ns(pid_t tid, uint64_t addr)
{
    struct timespec ts;
    if (addr == 0 || pt_read_mem(tid, addr, &ts, sizeof ts) != sizeof ts || ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void pt_syscall_entry(pid_t tid, struct pt_syscall *sc)
{
    sc->sleep_ns = 0;
    sc->clone_flags = 0;
    sc->active = 1;
    switch (sc->nr) {
    case SYS_nanosleep:
        sc->sleep_ns = timespec_ns(tid, sc->args[0]);
        break;
    case SYS_clock_nanosleep: {
        uint64_t req = timespec_ns(tid, sc->args[2]);
        if (sc->args[1] & TIMER_ABSTIME) {
            /* an absolute deadline: the sleep is what remains of it now */
            struct timespec now;
            uint64_t n = 0;
            if (clock_gettime((clockid_t)sc->args[0], &now) == 0)
                n = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
            req = req > n ? req - n : 0;
        }
        sc->sleep_ns = req;
        break;
    }
    case SYS_clone:
        sc->clone_flags = sc->args[0];
        break;
    case SYS_clone3: {
        uint64_t flags = 0;
        if (pt_read_mem(tid, sc->args[0], &flags, sizeof flags) == sizeof flags)
            sc->clone_flags = flags;
        break;
    }
    case SYS_fork:
        sc->clone_flags = SIGCHLD;
        break;
    case SYS_vfork:
        sc->clone_flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
        break;
    default:
        break;
    }
}

/* The path of the file behind fd in the tracee, into buf; NULL when it has none. */
static const char *fd_path(pid_t pid, uint64_t fd, char *buf, size_t len)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, (int)fd);
    ssize_t n = readlink(link, buf, len - 1);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    return buf;
}

int pt_syscall_exit_event(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc,
                          int64_t result)
{
    char path[4096];
    struct mmt_event ev = make_event(0, pid, tid, result);
    const uint64_t *a = sc->args;
    switch (sc->nr) {
    case SYS_mmap:
        ev.type = MMT_EV_MMAP;
        ev.nargs = 6;
        memcpy(ev.args, a, 6 * sizeof a[0]);
        if (!(a[3] & MAP_ANONYMOUS) && (int)a[4] >= 0)
            ev.path = fd_path(pid, a[4], path, sizeof path);
        break;
    case SYS_munmap:
        ev.type = MMT_EV_MUNMAP, ev.nargs = 2;
        memcpy(ev.args, a, 2 * sizeof a[0]);
        break;
    case SYS_mremap:
        ev.type = MMT_EV_MREMAP, ev.nargs = 5;
        memcpy(ev.args, a, 5 * sizeof a[0]);
        break;
    case SYS_brk:
        ev.type = MMT_EV_BRK, ev.nargs = 1;
        ev.args[0] = a[0];
        break;
    case SYS_mprotect:
        ev.type = MMT_EV_MPROTECT, ev.nargs = 3;
        memcpy(ev.args, a, 3 * sizeof a[0]);
        break;
    case SYS_madvise:
        ev.type = MMT_EV_MADVISE, ev.nargs = 3;
        memcpy(ev.args, a, 3 * sizeof a[0]);
        break;
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
        ev.type = MMT_EV_SLEEP, ev.nargs = 1;
        ev.args[0] = sc->sleep_ns;
        break;
    default:
        return 0;
    }
    return pt_out_event(o, &ev);
}

int pt_clone_event(struct pt_out *o, pid_t pid, pid_t tid, pid_t child, const struct pt_syscall *sc)
{
    int thread = (sc->clone_flags & CLONE_THREAD) != 0;
    struct mmt_event ev = make_event(thread ? MMT_EV_CLONE : MMT_EV_FORK, pid, tid, child);
    ev.nargs = 2;
    ev.args[0] = (uint64_t)child;
    ev.args[1] = sc->clone_flags;
    return pt_out_event(o, &ev);
}

int pt_exec_events(struct pt_out *o, pid_t pid, pid_t tid)
{
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, path, sizeof path - 1);
    struct mmt_event ev = make_event(MMT_EV_EXEC, pid, tid, 0);
    if (n > 0) {
        path[n] = 0;
        ev.path = path;
    }
    if (pt_out_event(o, &ev) != 0)
        return -1;
    return pt_maps_events(o, pid, tid);
}

/* One line of /proc/PID/maps into a MAP_INITIAL event; 0 on a line it cannot read. */
static int maps_line_event(const char *line, struct mmt_event *ev, char *path, size_t pathlen)
{
    unsigned long long start, end, off, inode;
    char perms[8];
    unsigned dmaj, dmin;
    int used = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &dmaj, &dmin,
               &inode, &used) < 7)
        return 0;
    const char *p = line + used;
    size_t len = strcspn(p, "\n");
    if (len >= pathlen)
        len = pathlen - 1;
    memcpy(path, p, len);
    path[len] = 0;
    uint64_t prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                    (perms[2] == 'x' ? PROT_EXEC : 0);
    uint64_t flags = perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
    if (inode == 0)
        flags |= MAP_ANONYMOUS;
    if (strcmp(path, "[stack]") == 0)
        flags |= MAP_GROWSDOWN;
    ev->nargs = 6;
    ev->args[0] = start;
    ev->args[1] = end;
    ev->args[2] = prot;
    ev->args[3] = flags;
    ev->args[4] = off;
    ev->args[5] = inode;
    ev->path = len ? path : NULL;
    return 1;
}

int pt_maps_events(struct pt_out *o, pid_t pid, pid_t tid)
{
    char name[64], line[4352], path[4096];
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(name, "r");
    if (!f)
        return 0; /* the process is already gone: nothing to snapshot */
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        struct mmt_event ev = make_event(MMT_EV_MAP_INITIAL, pid, tid, 0);
        if (maps_line_event(line, &ev, path, sizeof path))
            rc = pt_out_event(o, &ev);
    }
    fclose(f);
    return rc;
}

/* ---- threads ---- */

struct pt_thread *pt_threads_find(struct pt_threads *ts, pid_t tid)
{
    for (size_t i = 0; i < ts->n; i++)
        if (ts->t[i].tid == tid)
            return &ts->t[i];
    return NULL;
}

static pid_t tgid_of(pid_t tid)
{
    char name[64], line[256];
    snprintf(name, sizeof name, "/proc/%d/status", (int)tid);
    FILE *f = fopen(name, "r");
    pid_t tgid = tid;
    if (!f)
        return tid;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Tgid: %d", &tgid) == 1)
            break;
    fclose(f);
    return tgid;
}

struct pt_thread *pt_threads_add(struct pt_threads *ts, pid_t tid, pid_t pid)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        struct pt_thread *t = realloc(ts->t, cap * sizeof *t);
        if (!t)
            return NULL;
        ts->t = t;
        ts->cap = cap;
    }
    struct pt_thread *t = &ts->t[ts->n++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->pid = pid ? pid : tgid_of(tid);
    t->state = PT_T_NEW;
    return t;
}

void pt_threads_remove(struct pt_threads *ts, pid_t tid)
{
    for (size_t i = 0; i < ts->n; i++) {
        if (ts->t[i].tid == tid) {
            free(ts->t[i].mode_data);
            ts->t[i] = ts->t[--ts->n];
            return;
        }
    }
}

size_t pt_threads_in_process(const struct pt_threads *ts, pid_t pid)
{
    size_t n = 0;
    for (size_t i = 0; i < ts->n; i++)
        n += ts->t[i].pid == pid;
    return n;
}

void pt_threads_free(struct pt_threads *ts)
{
    for (size_t i = 0; i < ts->n; i++)
        free(ts->t[i].mode_data);
    free(ts->t);
    memset(ts, 0, sizeof *ts);
}

void pt_kill_all(struct pt_threads *ts, pid_t root, struct record_result *res)
{
    for (size_t i = 0; i < ts->n; i++)
        kill(ts->t[i].pid, SIGKILL);
    for (size_t i = 0; i < ts->n; i++) {
        int st;
        /* a thread may still report a stop (exit event) on its way out: let it go on */
        while (waitpid(ts->t[i].tid, &st, __WALL) > 0) {
            if (WIFEXITED(st) || WIFSIGNALED(st)) {
                if (ts->t[i].tid == root)
                    res->exit_status = st;
                break;
            }
            ptrace(PTRACE_CONT, ts->t[i].tid, NULL, NULL);
        }
    }
}

/* A fault's signal: its address, for the SIGNAL event should the signal kill the thread. */
static void note_fault_signal(struct pt_thread *t, int sig)
{
    siginfo_t si;
    if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) &&
        ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si) == 0) {
        t->fault_addr = (uint64_t)(uintptr_t)si.si_addr;
        t->last_signo = sig;
    }
}

int pt_handle_status(struct pt_threads *ts, pid_t tid, int st, const struct rusage *ru,
                     const struct pt_status_ops *ops, void *ctx)
{
    struct pt_thread *t = pt_threads_find(ts, tid);
    if (!t) {
        if (WIFSTOPPED(st) && (t = pt_threads_add(ts, tid, 0)) != NULL)
            ops->new_thread(ctx, t, WSTOPSIG(st));
        return 0;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
        ops->gone(ctx, t, st, ru);
        return 0;
    }
    if (!WIFSTOPPED(st))
        return 0;
    int sig = WSTOPSIG(st), event = st >> 16;
    if (sig == SIGTRAP && event)
        ops->event_stop(ctx, t, event);
    else if (sig == ops->syscall_sig)
        ops->syscall_stop(ctx, t);
    else if (t->state == PT_T_NEW && sig == SIGSTOP)
        ops->initial_stop(ctx, t);
    else {
        note_fault_signal(t, sig);
        ops->signal_stop(ctx, t, sig);
    }
    return 1;
}

void pt_thread_gone(struct pt_out *o, struct pt_threads *ts, struct pt_thread *t, int status,
                    const struct rusage *ru, pid_t root, struct record_result *res)
{
    int last = pt_threads_in_process(ts, t->pid) == 1;
    if (WIFSIGNALED(status) && last) {
        struct mmt_event sev = make_event(MMT_EV_SIGNAL, t->pid, t->tid, 0);
        sev.nargs = 2;
        sev.args[0] = (uint64_t)WTERMSIG(status);
        sev.args[1] = WTERMSIG(status) == t->last_signo ? t->fault_addr : 0;
        pt_out_event(o, &sev);
    }
    struct mmt_event ev = make_event(MMT_EV_EXIT, t->pid, t->tid, 0);
    ev.nargs = 2;
    ev.args[0] = (uint64_t)(unsigned)status;
    ev.args[1] = (uint64_t)last;
    pt_out_event(o, &ev);
    if (t->tid == root) {
        res->exit_status = status;
        if (ru)
            res->ru = *ru;
    }
    pt_threads_remove(ts, t->tid);
}

/* ---- starting the child ---- */

/* The events-only filter: trace the memory-management, process and sleep calls, allow
 * everything else without a stop. */
static int install_seccomp_filter(void)
{
    static const int traced[] = {SYS_mmap, SYS_munmap, SYS_mremap, SYS_brk, SYS_mprotect,
                                 SYS_madvise, SYS_clone, SYS_clone3, SYS_fork, SYS_vfork,
                                 SYS_execve, SYS_execveat, SYS_exit, SYS_exit_group,
                                 SYS_nanosleep, SYS_clock_nanosleep};
    enum { NT = sizeof traced / sizeof traced[0] };
    struct sock_filter prog[4 + NT + 2];
    size_t k = 0;
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (int i = 0; i < NT; i++) /* on a match jump to the TRACE return after the list */
        prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)traced[i],
                                                 (unsigned char)(NT - i), 0);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
    struct sock_fprog fp = {(unsigned short)k, prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
}

pid_t pt_spawn(char *const argv[], int seccomp, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "ptrace: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* a failed exec shows as exit status 127 before any exec event */
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
            _exit(127);
        raise(SIGSTOP);
        if (seccomp && install_seccomp_filter() != 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st)) {
        snprintf(err, errlen, "ptrace: %s: the child did not stop before exec", argv[0]);
        return -1;
    }
    return pid;
}

pid_t pt_spawn_ready(const struct record_opts *o, int seccomp, char *err, size_t errlen)
{
    pid_t pid = pt_spawn(o->argv, seccomp, err, errlen);
    if (pid > 0 && o->child_ready && o->child_ready(pid, o->child_arg)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
        snprintf(err, errlen, "preparing the traced run failed");
        return -1;
    }
    return pid;
}
