/* memcg_stock.c - the per-CPU charge stock of a memory cgroup. See memcg_stock.h. */
#include "model/memcg_stock.h"

#include <stdlib.h>
#include <string.h>

int memcg_stock_init(struct memcg_stock *st, uint32_t ncpu, uint32_t batch, uint64_t drain_delay_ns)
{
    memset(st, 0, sizeof(*st));
    st->ncpu = ncpu ? ncpu : 1;
    st->batch = batch;
    st->drain_delay_ns = drain_delay_ns;
    st->pages = calloc(st->ncpu, sizeof(*st->pages));
    st->drain_at_ns = malloc(st->ncpu * sizeof(*st->drain_at_ns));
    if (!st->pages || !st->drain_at_ns) {
        memcg_stock_done(st);
        return -1;
    }
    for (uint32_t i = 0; i < st->ncpu; i++)
        st->drain_at_ns[i] = UINT64_MAX;
    return 0;
}

void memcg_stock_done(struct memcg_stock *st)
{
    free(st->pages);
    free(st->drain_at_ns);
    st->pages = NULL;
    st->drain_at_ns = NULL;
}

static uint32_t cpu_index(const struct memcg_stock *st, uint32_t cpu)
{
    return cpu < st->ncpu ? cpu : 0;
}

static void charge_counter(struct oom_memcg *mg, uint64_t n)
{
    mg->usage_pages += n;
    if (mg->usage_pages > mg->max_usage_pages)
        mg->max_usage_pages = mg->usage_pages;
}

/* drain_stock: the CPU's pages go back to the counter */
static void drain_one(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu)
{
    oom_memcg_uncharge(mg, st->pages[cpu]);
    st->drained_pages += st->pages[cpu];
    st->pages[cpu] = 0;
}

void memcg_stock_run_drains(struct memcg_stock *st, struct oom_memcg *mg, uint64_t now_ns)
{
    for (uint32_t i = 0; i < st->ncpu; i++)
        if (st->drain_at_ns[i] <= now_ns) {
            drain_one(st, mg, i);
            st->drain_at_ns[i] = UINT64_MAX;
        }
}

static int counter_fits(const struct oom_memcg *mg, uint64_t n)
{
    return !mg->limit_pages || mg->usage_pages + n <= mg->limit_pages;
}

int memcg_stock_can_charge(const struct memcg_stock *st, const struct oom_memcg *mg, uint32_t cpu)
{
    return st->pages[cpu_index(st, cpu)] > 0 || counter_fits(mg, 1);
}

void memcg_stock_charge(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu)
{
    cpu = cpu_index(st, cpu);
    if (st->pages[cpu]) { /* consume_stock */
        st->pages[cpu]--;
        return;
    }
    if (st->batch > 1) {
        if (counter_fits(mg, st->batch)) {
            charge_counter(mg, st->batch);
            st->pages[cpu] = st->batch - 1; /* refill_stock of an empty stock */
            st->batches++;
            return;
        }
        mg->failcnt++; /* page_counter_try_charge of the batch failed (memory.failcnt) */
    }
    charge_counter(mg, 1);
}

void memcg_stock_refill(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu, uint64_t n)
{
    cpu = cpu_index(st, cpu);
    if (st->batch <= 1 || n > st->batch) {
        oom_memcg_uncharge(mg, n);
        return;
    }
    st->pages[cpu] += n;
    if (st->pages[cpu] > st->batch)
        drain_one(st, mg, cpu);
}

void memcg_stock_drain_all(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu, uint64_t now_ns)
{
    cpu = cpu_index(st, cpu);
    st->drains++;
    for (uint32_t i = 0; i < st->ncpu; i++) {
        if (!st->pages[i] || st->drain_at_ns[i] != UINT64_MAX)
            continue; /* nothing to drain, or its work item is queued already */
        if (i == cpu || !st->drain_delay_ns)
            drain_one(st, mg, i);
        else
            st->drain_at_ns[i] = now_ns + st->drain_delay_ns;
    }
}

uint64_t memcg_stock_pages(const struct memcg_stock *st)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < st->ncpu; i++)
        n += st->pages[i];
    return n;
}
