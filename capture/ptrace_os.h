/* ptrace_os.h - what both ptrace modes (single-step and events-only) share: the output
 * (writer plus the current thread, so MMT_SWITCH is written only on a change), the
 * translation of memory-management system calls into .mmt events, the mappings of
 * /proc/PID/maps as MMT_EV_MAP_INITIAL events, the child's start under ptrace, and the
 * table of followed threads. */
#ifndef MMSIM_PTRACE_OS_H
#define MMSIM_PTRACE_OS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture/record.h"
#include "traces/mmt.h"

struct pt_out {
    struct mmt_writer *w;
    uint32_t pid, tid; /* the thread the last records belong to; 0 before the first */
    uint64_t events;
    int failed;        /* the writer reported an error: stop tracing */
};

/* Writes MMT_SWITCH when (pid, tid) differs from the current thread. Returns 0 or -1. */
int pt_out_switch(struct pt_out *o, uint32_t pid, uint32_t tid);
/* Writes an event after switching to its thread. */
int pt_out_event(struct pt_out *o, const struct mmt_event *ev);

/* One system call as the tracer saw it: number, arguments, and what it read at entry. */
struct pt_syscall {
    long nr;
    uint64_t args[6];
    uint64_t sleep_ns;    /* nanosleep/clock_nanosleep: the requested duration */
    uint64_t clone_flags; /* clone/clone3/fork/vfork: the flags the child was made with */
    int active;           /* an entry was seen and its exit is awaited */
};

/* Reads what the event needs from the tracee at syscall entry (timespec, clone_args). */
void pt_syscall_entry(pid_t tid, struct pt_syscall *sc);
/* 1 for calls after which cached instruction bytes may be stale (unmap, protect, remap). */
int pt_syscall_changes_code(long nr);
/* Writes the event of a finished call (nothing for calls the trace does not record). */
int pt_syscall_exit_event(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc,
                          int64_t result);
/* MMT_EV_FORK or MMT_EV_CLONE for a child made by the call sc (CLONE_THREAD decides). */
int pt_clone_event(struct pt_out *o, pid_t pid, pid_t tid, pid_t child, const struct pt_syscall *sc);
/* MMT_EV_EXEC with the new program's path, then its mappings. */
int pt_exec_events(struct pt_out *o, pid_t pid, pid_t tid);
/* Every mapping of /proc/PID/maps as MMT_EV_MAP_INITIAL. */
int pt_maps_events(struct pt_out *o, pid_t pid, pid_t tid);

/* ---- followed threads ---- */
enum pt_thread_state {
    PT_T_NEW,     /* created, its first stop (SIGSTOP) not seen yet */
    PT_T_READY,   /* in a ptrace stop, may be resumed or stepped */
    PT_T_RUNNING, /* resumed (in a system call, or running free); its next stop is awaited */
};

struct pt_thread {
    pid_t tid, pid;
    int state;
    int pending_sig;      /* signal to deliver when it is next resumed */
    uint64_t fault_addr;  /* si_addr of the last SIGSEGV/SIGBUS/... seen */
    int last_signo;
    struct pt_syscall sc;
    int regs_valid;       /* single-step: regs hold the current registers */
    void *mode_data;      /* the mode's own per-thread data (registers) */
};

struct pt_threads {
    struct pt_thread *t;
    size_t n, cap;
};

struct pt_thread *pt_threads_find(struct pt_threads *ts, pid_t tid);
/* Adds a thread (tgid from /proc when pid is 0). NULL on allocation failure. */
struct pt_thread *pt_threads_add(struct pt_threads *ts, pid_t tid, pid_t pid);
void pt_threads_remove(struct pt_threads *ts, pid_t tid);
size_t pt_threads_in_process(const struct pt_threads *ts, pid_t pid);
void pt_threads_free(struct pt_threads *ts);

/* Forks the program with PTRACE_TRACEME; the child stops itself with SIGSTOP before exec.
 * With seccomp set, the child installs the events-only filter first. Returns the pid, or -1
 * with err filled. The caller sets options and resumes it. */
pid_t pt_spawn(char *const argv[], int seccomp, char *err, size_t errlen);
/* pt_spawn, then o->child_ready (the counters of the traced run, record.h) while the child
 * is stopped before its exec; -1 with err filled when either fails. */
pid_t pt_spawn_ready(const struct record_opts *o, int seccomp, char *err, size_t errlen);
/* Kills every followed thread and reaps them (on SIGINT/SIGTERM or an error). */
void pt_kill_all(struct pt_threads *ts, pid_t root, struct record_result *res);

/* Exit bookkeeping shared by both modes: writes MMT_EV_EXIT (and MMT_EV_SIGNAL for a fatal
 * signal) for a thread that has gone, stores the root process's status and rusage. */
void pt_thread_gone(struct pt_out *o, struct pt_threads *ts, struct pt_thread *t, int status,
                    const struct rusage *ru, pid_t root, struct record_result *res);

/* What each mode does with the kinds of wait status; pt_handle_status sorts a status into
 * one of them. ctx is the mode's own state. */
struct pt_status_ops {
    int syscall_sig; /* the stop signal of a system-call stop: SIGTRAP when single-stepping
                      * (the step's end), SIGTRAP | 0x80 with PTRACE_O_TRACESYSGOOD */
    /* The first stop of a thread not followed yet (its parent's event not seen yet): t was
     * just added to the table, sig is its stop signal. */
    void (*new_thread)(void *ctx, struct pt_thread *t, int sig);
    /* A followed thread exited or was killed (call pt_thread_gone). */
    void (*gone)(void *ctx, struct pt_thread *t, int status, const struct rusage *ru);
    void (*event_stop)(void *ctx, struct pt_thread *t, int event); /* PTRACE_EVENT_* */
    void (*syscall_stop)(void *ctx, struct pt_thread *t);
    void (*initial_stop)(void *ctx, struct pt_thread *t); /* PT_T_NEW's SIGSTOP: not delivered */
    /* A signal for the thread (a fault's si_addr is already in t->fault_addr). */
    void (*signal_stop)(void *ctx, struct pt_thread *t, int sig);
};
/* Sorts the wait status st of thread tid and calls the one matching op. Returns 1 when it
 * was a stop of an already followed thread, 0 otherwise. */
int pt_handle_status(struct pt_threads *ts, pid_t tid, int st, const struct rusage *ru,
                     const struct pt_status_ops *ops, void *ctx);

/* The events-only mode (ptrace_events.c): seccomp-filtered syscall stops and the address of
 * every page fault from perf software events. */
int pt_events_record(const struct record_opts *o, struct mmt_writer *w, struct record_result *res,
                     char *err, size_t errlen);

/* 1 when the thread has a handler installed for sig (SigCgt of /proc/TID/status). */
int pt_signal_caught(pid_t tid, int sig);

/* Reads len bytes of the tracee's memory at addr; returns bytes read. */
size_t pt_read_mem(pid_t tid, uint64_t addr, void *buf, size_t len);

#endif
