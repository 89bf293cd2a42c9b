/* pressure.h - the engine's side of memory pressure: what sim.c, stats.c and replay.c call
 * so that reclaim, swap and the OOM killer act on the simulated machine: TLB shootdowns
 * of evicted pages (kswapd, its wakeup and its slices, is model/kswapd.c), the accessed
 * bits the page walker sets, the OOM kill of a whole trace, oom_score_peak, the report (`oom`, `reclaim`, `psi`, a `free -h`
 * table, the dmesg lines of each kill) and `--vmstat` lines.
 *
 * Internal to the engine (it knows struct sim): users of the engine include sim.h. */
#ifndef MMSIM_PRESSURE_H
#define MMSIM_PRESSURE_H

#include <stdint.h>
#include <stdio.h>

#include "model/kswapd.h"
#include "model/memory.h"
#include "model/psi.h"

struct sim;
struct cpu;
struct proc;
struct stream;
struct json;
struct fault_result;

struct oom_kill_record {
    uint32_t trace, pid;
    long points, oom_score;
    uint64_t time_ns;
    uint64_t anon_rss_kb, file_rss_kb; /* what the victim held, as the kill line prints */
    int memcg;                         /* a memory cgroup's OOM (else global) */
};

struct pressure {
    struct reclaim *rc;               /* NULL: memory never runs short (unlimited) */
    struct oom_kill_record *kills;
    uint32_t nkills, capkills;
    char *dmesg;                      /* the kernel-style lines of every kill */
    size_t dmesg_len;
    FILE *dmesg_f;
    FILE *vmstat;                     /* --vmstat output, or NULL */
    uint64_t vmstat_interval_fx;
    uint64_t vmstat_lines;
    uint64_t last_si, last_so, last_bi, last_bo, last_vm_ns;
    struct kswapd kswapd;             /* the kernel thread (model/kswapd.h) */
    uint64_t memstall_fx;             /* time processes waited for swap-ins */
    char (*comm)[16];                 /* per trace: the program's name, as the kernel's comm */
    struct proc *victim_running;      /* killed while running: exits at its slice's end */
    struct mm_counters victim_last;   /* its counters when it was killed */
    /* PSI: every wait for a swap-in, and when each trace ended */
    struct { uint64_t start_fx, end_fx; } *stalls;
    uint64_t nstalls, capstalls;
    uint64_t *stream_end_fx;
    uint32_t nstream_end;
    uint32_t last_flush; /* + 1: reclaim's TLB flush counted last */
};

/* Set-up with the sim (after memsys_new); 0 or -1 on no memory. */
int pressure_init(struct sim *s);
void pressure_destroy(struct sim *s);

/* Nanoseconds of a CPU clock. */
uint64_t pressure_ns(const struct sim *s, uint64_t fx);

/* Around each fault: the time for the swap device; then TLB shootdowns of pages evicted
 * by the fault and the memory stall of a major fault (sim.c then wakes kswapd). */
void pressure_before_fault(struct sim *s, struct cpu *c);
void pressure_after_fault(struct sim *s, struct cpu *c, const struct fault_result *fr);
/* Evicted pages leave every TLB: one shootdown per run of consecutive pages of an address
 * space (after a fault, and after each of kswapd's rounds, on c). Reclaim flushes before
 * each page it writes and at the end of a shrink batch; each flush sends an IPI to every
 * other CPU that a process it unmapped from ran on (mm_cpumask) and that runs a user
 * process then (any: not idle, not a kernel thread): c waits timing.tlb_ipi, the other
 * CPU's task loses timing.tlb_ipi_recv. */
void pressure_shoot_down(struct sim *s, struct cpu *c);
/* The swap requests queued on c since the last call will interrupt a CPU when they
 * complete (timing.irq_cpu: a fixed one, or c): they are queued on that CPU's list. */
void pressure_collect_irqs(struct sim *s, struct cpu *c);
/* After a slice of c (busy from c->busy_from_fx to c->clock_fx, running c->running): it is
 * remembered (CPU_HIST slices), the flush IPIs other CPUs sent it for times it has now run
 * are taken, and the interrupts due by now: one that came while c was busy costs its task
 * timing.irq (completions while a handler runs are in it), one that came while c idled
 * costs nothing. */
void pressure_slice_end(struct sim *s, struct cpu *c);
/* The page walker found pte present: its accessed bit is set (reclaim's "young"). */
void pressure_page_accessed(struct sim *s, uint64_t pte);

/* An allocation failed after reclaim (FAULT_OOM) in p: choose a victim by oom_badness
 * among the live processes (totalpages = memory + swap), print the kernel's report, kill
 * the victim's trace (every process of it; the stream stops). Returns 1 when the running
 * stream itself was killed. */
int pressure_oom(struct sim *s, struct cpu *c, struct proc *p);
/* The killed stream's slice: its processes exit and it is done. Returns 0. */
int pressure_finish_killed(struct sim *s, struct stream *st);

/* A trace ran to its end at now_fx (PSI counts it non-idle until then). */
void pressure_stream_done(struct sim *s, uint32_t stream, uint64_t now_fx);
/* PSI over the run: shares of time some / all non-idle traces waited for memory. */
void pressure_psi(struct sim *s, double *some, double *full);

/* /proc/PID/oom_score at the process's peak memory, with memory.size + swap.size pages. */
long pressure_oom_score_peak(const struct sim *s, const struct proc *p);

/* Reports. Publishes (statreg.h) the "oom", "reclaim", "psi", "memcg" and "meminfo" groups;
 * the timeline's columns among them: swap in use, swap-ins and -outs, refaults,
 * direct-reclaim stalls and kswapd cycles so far, the cycles traces have waited for swap-ins
 * so far (difference two rows for a windowed PSI), traces runnable and blocked at now_fx,
 * OOM kills so far. */
struct stat_out;
struct stat_table;
void pressure_publish_stats(struct sim *s, struct stat_out *o, uint64_t now_fx);
/* The text report's pressure part, its figures looked up in tb (the publication). */
void pressure_report_text(struct sim *s, const struct stat_table *tb, FILE *f);

/* --vmstat: a line every interval of simulated time (called from the event heap). */
void pressure_set_vmstat(struct sim *s, FILE *f, uint64_t interval_ns);
void pressure_vmstat_line(struct sim *s, uint64_t now_fx);

#endif
