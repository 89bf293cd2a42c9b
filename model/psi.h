/* psi.h - pressure stall information for memory (kernel/sched/psi.c, /proc/pressure/memory):
 * the share of time in which some task, or all non-idle tasks at once, were stalled on
 * memory (waiting for a swap-in or a refaulting page, or reclaiming directly).
 *
 * The engine reports each change of state: how many tasks are non-idle (runnable, running
 * or stalled on memory) and how many of those are stalled on memory. "some" accrues while
 * at least one is stalled; "full" while all non-idle tasks are stalled, as the kernel
 * counts it on one CPU (with several CPUs the kernel weighs per-CPU states; we take the
 * whole machine as one domain, which equals the kernel when every CPU is busy or idle
 * together). */
#ifndef MMSIM_PSI_H
#define MMSIM_PSI_H

#include <stdint.h>

struct psi {
    uint64_t last_ns;
    unsigned nonidle, memstall;
    uint64_t some_ns, full_ns, total_ns;
};

void psi_init(struct psi *p, uint64_t now_ns);
/* The state from now on; the time since the last change is credited to the old state. */
void psi_change(struct psi *p, uint64_t now_ns, unsigned nonidle, unsigned memstall);
/* Shares of the elapsed time, 0..1 (the avg of /proc/pressure over the whole run). */
double psi_some(const struct psi *p, uint64_t now_ns);
double psi_full(const struct psi *p, uint64_t now_ns);

#endif
