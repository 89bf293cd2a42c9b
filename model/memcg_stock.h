/* memcg_stock.h - the per-CPU charge stock of a memory cgroup (mm/memcontrol.c, 6.18:
 * try_charge_memcg, consume_stock, refill_stock, drain_stock, drain_all_stock).
 *
 * The kernel charges a group's page_counter MEMCG_CHARGE_BATCH (64) pages at a time while
 * they fit under the limit and keeps the pages the charge did not use in the charging
 * CPU's stock; later charges on that CPU take pages from it without touching the counter.
 * The group's usage (memory.usage_in_bytes, memory.current) is the counter, so it holds
 * every CPU's stock: a task that moved to another CPU leaves up to 63 pages charged and
 * unused behind it, which no other task of the group can use from there. Near the limit
 * the batch does not fit and charges are of one page, which adds nothing to a stock. A
 * charge whose reclaim did not make room drains the stocks (drain_all_stock): the local
 * CPU's at once, the other CPUs' through a work item queued on each, so later. A freed
 * page of the group's LRU is uncharged from the counter (uncharge_batch); a freed page of
 * kernel memory (a page table, a kernel stack) goes to the freeing CPU's stock
 * (obj_cgroup_uncharge_pages -> refill_stock), which is drained whole when it passes the
 * batch. 6.18 keeps up to NR_MEMCG_STOCK (7) groups' stocks a CPU; the model has one
 * group, so another group's charge never evicts it. See docs/validation-thrash.md. */
#ifndef MMSIM_MEMCG_STOCK_H
#define MMSIM_MEMCG_STOCK_H

#include <stdint.h>

#include "model/oom_kill.h"

#define MEMCG_CHARGE_BATCH 64

struct memcg_stock {
    uint32_t ncpu;
    uint32_t batch;          /* pages a charge takes from the counter; 0 or 1: no stock */
    uint64_t drain_delay_ns; /* a queued drain of another CPU's stock runs this much later */
    uint64_t *pages;         /* per CPU: charged to the counter, not used yet */
    uint64_t *drain_at_ns;   /* per CPU: when its queued drain runs; UINT64_MAX: none */
    uint64_t batches;        /* batches charged to the counter */
    uint64_t drains;         /* drain_all_stock calls */
    uint64_t drained_pages;  /* pages the drains (and overfull stocks) gave back */
};

/* 0, or -1 without memory. batch 0 or 1 keeps no stock (every charge goes to the counter). */
int memcg_stock_init(struct memcg_stock *st, uint32_t ncpu, uint32_t batch, uint64_t drain_delay_ns);
void memcg_stock_done(struct memcg_stock *st);

/* The queued drains due by now_ns run (their pages leave mg's usage). */
void memcg_stock_run_drains(struct memcg_stock *st, struct oom_memcg *mg, uint64_t now_ns);

/* Whether a page can be charged on cpu without reclaim: its stock holds one, or the
 * counter has room for one. */
int memcg_stock_can_charge(const struct memcg_stock *st, const struct oom_memcg *mg, uint32_t cpu);

/* try_charge_memcg's charge of one page on cpu: from the CPU's stock, else a batch to the
 * counter when it fits under the limit (the rest to the stock), else one page to the
 * counter, past the limit if the caller could not make room (a kernel-memory charge that
 * reclaim could not fit; the next charge then finds no room). */
void memcg_stock_charge(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu);

/* refill_stock: n pages given back on cpu (kernel memory freed); a stock past the batch is
 * drained whole. */
void memcg_stock_refill(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu, uint64_t n);

/* drain_all_stock from cpu at now_ns: its own stock at once, the others' at now_ns +
 * drain_delay_ns (their work items; one already queued stays as it is). */
void memcg_stock_drain_all(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu, uint64_t now_ns);

/* Pages held in every CPU's stock now. */
uint64_t memcg_stock_pages(const struct memcg_stock *st);

#endif
