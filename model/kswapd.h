/* kswapd.h - kswapd as a kernel thread of the simulated machine (mm/vmscan.c kswapd()):
 * an allocation below the low watermark wakes it; woken, it is runnable and, having slept,
 * preempts the running stream (CFS wakeup preemption); the scheduler gives it a CPU for up
 * to a quantum, in which it runs balancing rounds (reclaim_kswapd_run) until it sleeps.
 * What a round reclaims is reclaim.c's and vmscan.c's; this file holds the thread: its
 * wakeup, its slices on the scheduler (a struct sched_task) and its CPU time.
 *
 * Internal to the engine (it knows struct sim): users of the engine include sim.h. */
#ifndef MMSIM_KSWAPD_H
#define MMSIM_KSWAPD_H

#include <stdint.h>

struct sim;
struct cpu;
struct sched_task;

struct kswapd {
    int queued;          /* runnable, waiting for a CPU */
    uint64_t ready_fx;   /* when it became runnable */
    uint64_t cpu_fx;     /* CPU time it ran, in its own slices */
    uint64_t slices;     /* times it was scheduled */
};

/* After a fault on c: if the fault's allocation woke kswapd, queue it and end the running
 * stream's slice so the scheduler can run it. */
void kswapd_after_fault(struct sim *s, struct cpu *c);

/* The scheduler's view of kswapd, a task outside the run queue (sim.c registers it): due
 * when runnable and ready no later than the queue's first task (kswapd wins a tie, as the
 * thread whose wakeup preempted the stream); one slice of it on a CPU. */
extern const struct sched_task kswapd_task;

#endif
