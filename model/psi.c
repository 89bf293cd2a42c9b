/* psi.c - memory pressure stall accounting. See psi.h. */
#include "model/psi.h"

void psi_init(struct psi *p, uint64_t now_ns)
{
    p->last_ns = now_ns;
    p->nonidle = p->memstall = 0;
    p->some_ns = p->full_ns = p->total_ns = 0;
}

static void psi_accrue(struct psi *p, uint64_t now_ns)
{
    if (now_ns <= p->last_ns)
        return;
    uint64_t d = now_ns - p->last_ns;
    p->total_ns += d;
    if (p->memstall > 0) {
        p->some_ns += d;
        if (p->memstall >= p->nonidle)
            p->full_ns += d;
    }
    p->last_ns = now_ns;
}

void psi_change(struct psi *p, uint64_t now_ns, unsigned nonidle, unsigned memstall)
{
    psi_accrue(p, now_ns);
    p->nonidle = nonidle;
    p->memstall = memstall < nonidle ? memstall : nonidle;
}

static uint64_t elapsed_since_change(const struct psi *p, uint64_t now_ns)
{
    return now_ns > p->last_ns ? now_ns - p->last_ns : 0;
}

double psi_some(const struct psi *p, uint64_t now_ns)
{
    uint64_t extra = elapsed_since_change(p, now_ns), total = p->total_ns + extra;
    uint64_t some = p->some_ns + (p->memstall > 0 ? extra : 0);
    return total ? (double)some / (double)total : 0.0;
}

double psi_full(const struct psi *p, uint64_t now_ns)
{
    uint64_t extra = elapsed_since_change(p, now_ns), total = p->total_ns + extra;
    uint64_t full = p->full_ns + ((p->memstall > 0 && p->memstall >= p->nonidle) ? extra : 0);
    return total ? (double)full / (double)total : 0.0;
}
