/* sim_internal.h - the insides of struct sim, shared by sim.c (run loop, access path),
 * sched.c (CPUs, processes, shootdowns, the tasks: struct sched_task), pressure.c (OOM kill,
 * PSI), kswapd.c (the kernel thread), stats.c (the statistics and reports) and stats_render.c
 * (their other renderings). Not for users of the engine: they include sim.h. */
#ifndef MMSIM_SIM_INTERNAL_H
#define MMSIM_SIM_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "common/util.h"
#include "model/cache.h"
#include "model/config.h"
#include "model/memory.h"
#include "model/pagewalk.h"
#include "model/sim.h"
#include "model/tlb.h"

/* Cycles are kept in fixed point with 10 fractional bits so a fractional base CPI adds up
 * exactly. */
#define CYC_SHIFT 10
#define CYC(x) ((uint64_t)(x) << CYC_SHIFT)

#define SCHED_MAX_TASKS 4

#define CPU_HIST 16 /* slices a CPU remembers: what it ran when */
enum cyc_part { CP_BASE, CP_TLB, CP_WALK, CP_CACHE, CP_FAULT, CP_SWITCH, CP_IRQ, CP_CONTENTION, CP_NR };

struct proc {
    uint32_t trace, pid;
    unsigned asid;
    struct mm *mm;
    int exited;
    int has_ifetch;     /* the trace has instruction fetches: they count instructions */
    int no_mappings;    /* from a trace without mappings: every first touch maps a frame */
    uint64_t threads;
    uint64_t kinds[4];       /* accesses by enum mmt_kind (ifetch, load, store, modify) */
    uint64_t early_data;     /* data accesses before the first fetch (each an instruction) */
    uint64_t tlb_misses, walks, faults_segv, faults_oom;
    uint64_t min_flt, maj_flt; /* the faults this process took (per task, as the kernel counts) */
    uint64_t trace_faults;   /* MMT_EV_PAGE_FAULT events (events-only traces) */
    uint64_t cycles_fx;      /* CPU time */
    uint64_t ran_cpus;       /* the CPUs it ran on (x86's mm_cpumask, trimmed lazily: never here) */
    struct mm_counters last; /* counters kept after the mm is gone */
};

enum stream_state { ST_READY, ST_BLOCKED, ST_DONE };

/* What the scheduler knows of a task in its run queue (sched.c): its kind, when it can run
 * next and the CPU it ran on last. */
struct sched_entity {
    const struct sched_task *task;
    void *self;                /* the task's own state, handed to task->run_slice */
    uint64_t ready_fx;         /* cannot run before this time */
    int last_cpu;              /* the CPU it ran on last (-1: none), for affinity */
    int wake_cpu;              /* the CPU whose interrupt ends its sleep (its swap read's), -1: none */
};

struct stream {
    char name[256];
    struct sim_source src;
    struct mmt_reader *reader; /* when opened from a file */
    const struct mmt_rec *recs;
    size_t n, i;
    uint64_t batch_base;       /* records before this batch (for error messages) */
    struct proc *cur;          /* NULL: made from cur_pid at its first use */
    uint32_t cur_pid;          /* the process the records now belong to */
    struct proc *last_live;    /* the process that ran last (the parent of an unknown pid) */
    enum stream_state state;
    struct sched_entity se;    /* a task of the run queue (sim.c's stream_task) */
    uint32_t default_pid;      /* for records before the first MMT_SWITCH */
    uint64_t events, page_fault_events;
    int killed;                /* the OOM killer took this trace: no more records */
    uint64_t warm_left;        /* accesses left in the open window's warmup (sim_window.c) */
};

struct cpu {
    struct tlb *tlb;
    uint32_t ntlb;
    int dtlb, itlb;            /* first levels, -1 none */
    struct cache *cache;       /* this CPU's own instances */
    struct cache **cachep;     /* the level each index means: own, or CPU 0's when shared */
    uint32_t ncache;
    int dcache, icache;
    struct pagewalk pw;
    uint64_t clock_fx;
    uint64_t next_check_fx;    /* the access path calls out when the clock reaches this */
    uint64_t slice_end_fx;
    struct proc *loaded;       /* whose translations are live (for flush-on-switch) */
    /* untimed translation of the last page (kinds no TLB serves) */
    uint64_t raw_vpn, raw_pte;
    unsigned raw_asid;
    uint64_t block_fx;         /* set by a fault that waits for I/O: block until then */
    int block_io;              /* that wait ends with a device interrupt (a swap read) */
    /* by enum mmt_kind: the first TLB level (-1: none) and the first cache level; a kind
     * without caches points at no_cache, whose line always matches (a free hit) */
    int tlb_of[4];
    struct cache *l1_of[4];
    int cache_of[4];
    struct cache no_cache;
    uint64_t idle_fx;
    /* what it ran: the process of its last slice (NULL: a kernel thread) from busy_from_fx
     * to clock_fx, and of the slices before (a ring); another CPU's reclaim asks whether it
     * ran a user process at a time (not lazy: a TLB-flush IPI), and leaves the question in
     * ipi_pend when this CPU's clock has not reached that time yet */
    struct proc *running;
    const struct sched_entity *last_se; /* the task of the last slice run here (NULL: a kernel thread's) */
    uint64_t busy_from_fx;
    struct cpu_slice {
        uint64_t from_fx, to_fx;
        const struct proc *p;
    } hist[CPU_HIST];
    uint32_t hist_next;
    struct ipi_pending {
        uint64_t at_fx;
        uint32_t batch, sender;
        struct flush_mms {             /* the address spaces the flush unmapped from */
            const struct proc *p[2];
            uint32_t n;                /* > 2: more than p holds */
        } mms;
    } *ipi_pend;
    uint32_t nipi_pend, capipi_pend;
    uint32_t last_ipi_batch; /* + 1: the batch whose IPI it took last (one a batch) */
    /* the swap device's completion interrupts it takes (a min-heap of times, timing.irq),
     * and the end of the last one it handled (completions before it are in it) */
    uint64_t *irq_fx;
    uint32_t nirq, capirq;
    uint64_t irq_end_fx;
};

enum sim_event_type { SEV_SAMPLE = 1, SEV_VMSTAT = 2 };

struct sim_event {
    uint64_t time_fx;
    uint32_t type, arg;
};

struct sim {
    struct mmsim_config cfg;
    struct sim_calibration calib; /* what mmsim replay fitted, for the report */
    unsigned page_shift;
    uint64_t cpi_fx, quantum_fx;
    uint64_t stall_q16; /* cpu.stall_scale x 65536: the part of a cache stall charged */
    struct memsys *ms;
    struct pressure *pr;       /* reclaim, swap, OOM kills (model/pressure.h) */
    struct cpu *cpus;
    uint32_t ncpu;
    struct stream *streams;
    uint32_t nstreams, capstreams;
    struct proc **procs;
    uint32_t nprocs, capprocs;
    unsigned next_asid;
    /* the tasks outside the run queue, in the order they are asked whether they are due */
    const struct sched_task *tasks[SCHED_MAX_TASKS];
    uint32_t ntasks;
    /* run queue: the queued tasks (the trace streams), FIFO */
    struct sched_entity **rq;
    uint32_t rq_head, rq_len, rq_cap;
    /* timed events: a binary heap ordered by time */
    struct sim_event *heap;
    uint32_t nheap, capheap;
    uint64_t next_event_fx;
    FILE *timeline;
    int progress_on;
    struct progress progress;
    uint64_t parts_fx[CP_NR];
    uint64_t faults_minor, faults_major, faults_segv, faults_oom, fault_retries;
    uint64_t dirty_assists; /* stores that set a clean writable PTE's dirty bit (no fault) */
    /* the kernel's accesses to user memory (MMT_EV_KERNEL_READ/WRITE): [0] reads, [1] writes */
    struct kaccess_stats {
        uint64_t ranges, bytes, faults;
    } kacc[2];
    uint64_t switches, ctx_switches, tlb_flushes, shootdowns;
    uint64_t irqs, irqs_idle, tlb_ipis; /* interrupts taken from a busy / an idle CPU, flush IPIs */
    uint64_t reclaim_flushes; /* reclaim's TLB flushes (try_to_unmap_flush and _dirty) */
    uint64_t reclaim_flushes_multi; /* those whose mm_cpumask held another CPU */
    uint64_t unforked; /* processes first seen before their fork event: parent guessed */
    uint64_t events_applied, records;
    uint64_t io_wait_fx;
    struct sim_windows *win;   /* --warmup: per-window results (sim_window.c), or NULL */
    int ran;
    char *err;
    size_t errlen;
    int failed;
};

/* sched.c */
/* A kind of task the scheduler runs on the CPUs; it knows tasks only by this interface.
 * Two kinds: the trace streams (sim.c's stream_task) wait in the run queue, each its own
 * struct sched_entity, and take turns round robin; a kernel thread (kswapd, kswapd.h) stays
 * outside it and says when it is due: runnable and going before the run queue's first task,
 * ready at queue_ready. Either way, when it is its turn the scheduler gives it a CPU for one
 * slice (the slice ends at c->slice_end_fx for a queued task); self is its entity's self,
 * NULL for a task outside the queue. */
enum sched_slice {
    SLICE_AGAIN,   /* preempted: back to the queue, ready now */
    SLICE_BLOCKED, /* back to the queue, ready at the entity's ready_fx */
    SLICE_DONE,    /* finished: leaves the queue */
    SLICE_FAILED   /* an error (sim_fail said what): the run stops */
};
struct sched_task {
    const char *name;
    int (*due)(const struct sim *s, uint64_t queue_ready); /* NULL for queued tasks */
    enum sched_slice (*run_slice)(struct sim *s, struct cpu *c, void *self);
};
/* Adds a task outside the run queue (at most SCHED_MAX_TASKS); 0 or -1. */
int sched_add_task(struct sim *s, const struct sched_task *t);
/* Puts a task in the run queue (before sched_run: the queue grows only then); 0 or -1. */
int sched_enqueue(struct sim *s, struct sched_entity *se);
/* Drops the translations of p in inv from the TLBs and walk caches of every CPU (a
 * shootdown: munmap, reclaim, exit). */
void sched_invalidate(struct sim *s, struct proc *p, const struct mm_inval *inv);
int sched_init(struct sim *s, char *err, size_t errlen);
void sched_destroy(struct sim *s);
/* A process of the trace; with a parent, a fork's child: a copy-on-write copy of the
 * parent's address space, or with share_mm (CLONE_VM: vfork, posix_spawn) the same one.
 * no_mappings: the trace has no mapping events, so a new process maps every address. */
struct proc *sched_proc(struct sim *s, uint32_t trace, uint32_t pid, struct proc *parent, int share_mm,
                        int no_mappings);
void sched_proc_exit(struct sim *s, struct proc *p);
/* Makes p the process running on c (context-switch cost, flush without PCID). */
void sched_switch_to(struct sim *s, struct cpu *c, struct proc *p);
/* Runs every queued task to completion, slice by slice; 0, or -1 when a slice failed. */
int sched_run(struct sim *s);
uint64_t sched_now_fx(const struct sim *s);

/* sim.c */
void sim_recompute_check(struct sim *s, struct cpu *c);
void sim_events_due(struct sim *s, uint64_t now_fx);
int sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* stats.c */
struct stat_def;
struct stat_out;
/* Publishes every statistic of the simulation (statreg.h) into o, in the JSON report's
 * order; sample_fx: the time of a timeline row. */
void stats_publish(struct sim *s, struct stat_out *o, uint64_t sample_fx);
/* stats_render.c: sim_stats_visit with each statistic's definition (its kind, for windows). */
void stats_visit(struct sim *s, void (*fn)(void *ctx, const char *key, double v, const struct stat_def *d),
                 void *ctx);
uint64_t proc_instructions(const struct proc *p);
uint64_t proc_accesses(const struct proc *p);
void stats_timeline_header(struct sim *s);
void stats_timeline_row(struct sim *s, uint64_t time_fx);

/* sim_window.c */
void sim_window_marker(struct sim *s, struct stream *st, const struct mmt_event *ev);
void sim_window_warm_done(struct sim *s, struct stream *st);
void sim_windows_finish(struct sim *s);
void sim_windows_free(struct sim *s);

#endif
