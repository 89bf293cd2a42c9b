/* kswapd.c - kswapd as a kernel thread on the simulated CPUs. See kswapd.h. */
#include "model/kswapd.h"

#include "model/pressure.h"
#include "model/reclaim.h"
#include "model/sim_internal.h"

void kswapd_after_fault(struct sim *s, struct cpu *c)
{
    struct pressure *pr = s->pr;
    if (pr && pr->rc && !pr->kswapd.queued && reclaim_kswapd_awake(pr->rc)) {
        pr->kswapd.queued = 1;
        pr->kswapd.ready_fx = c->clock_fx;
        c->slice_end_fx = c->clock_fx;
        c->next_check_fx = 0;
    }
}

static int kswapd_due(const struct sim *s, uint64_t queue_ready)
{
    const struct pressure *pr = s->pr;
    return pr && pr->kswapd.queued && pr->kswapd.ready_fx <= queue_ready;
}

static enum sched_slice kswapd_run_slice(struct sim *s, struct cpu *c, void *self)
{
    (void)self;
    struct pressure *pr = s->pr;
    struct kswapd *k = &pr->kswapd;
    k->queued = 0;
    if (c->clock_fx < k->ready_fx) { /* the CPU idled until kswapd woke */
        c->idle_fx += k->ready_fx - c->clock_fx;
        c->clock_fx = k->ready_fx;
    }
    c->busy_from_fx = c->clock_fx;
    /* a kernel thread borrows the last mm (lazy TLB): a switch cost, no TLB flush */
    c->clock_fx += CYC(s->cfg.cpu.context_switch);
    k->cpu_fx += CYC(s->cfg.cpu.context_switch);
    s->ctx_switches++;
    k->slices++;
    uint64_t end = c->clock_fx + s->quantum_fx;
    int stuck = 0;
    while (reclaim_kswapd_awake(pr->rc) && c->clock_fx < end) {
        reclaim_set_time(pr->rc, pressure_ns(s, c->clock_fx));
        uint64_t cyc = reclaim_kswapd_run(pr->rc);
        if (cyc)
            cyc += reclaim_take_io_cycles(pr->rc); /* the writes it submitted */
        c->clock_fx += CYC(cyc);
        k->cpu_fx += CYC(cyc);
        pressure_shoot_down(s, c);
        pressure_collect_irqs(s, c);
        if (!cyc) {
            stuck = 1; /* a round that did nothing: it waits for the next wakeup */
            break;
        }
    }
    if (!stuck && reclaim_kswapd_awake(pr->rc)) { /* the quantum ended first: due again */
        k->queued = 1;
        k->ready_fx = c->clock_fx;
    }
    return SLICE_AGAIN;
}

const struct sched_task kswapd_task = {"kswapd", kswapd_due, kswapd_run_slice};
