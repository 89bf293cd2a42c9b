/* tlbprof.c - one-pass miss counts of every size of an LRU TLB level (see tlbprof.h). */
#include "analysis/tlbprof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/mmt.h"

/* One lookup in the per-set stacks: count its distance, move it to the front. */
static void set_lookup(struct tlbprof *p, uint64_t vpn, uint64_t key)
{
    uint32_t ways = p->o.max_ways;
    uint32_t set = (uint32_t)(vpn % p->o.sets);
    uint64_t *k = p->keys + (size_t)set * ways;
    uint32_t n = p->used[set], i;
    for (i = 0; i < n && k[i] != key; i++)
        ;
    if (i < n) {
        p->hist[i + 1]++;
    } else {
        p->hist[0]++;
        if (n < ways)
            p->used[set] = ++n;
        i = n - 1; /* the least recent falls off */
    }
    memmove(k + 1, k, sizeof *k * i);
    k[0] = key;
}

static void page_lookup(struct tlbprof *p, uint64_t vpn)
{
    p->lookups++;
    if (!p->o.sets)
        mrc_page_ref(&p->fa, vpn);
    else
        set_lookup(p, vpn, vpn | p->fa.proc_bits);
}

static void access_lookups(struct tlbprof *p, const struct mmt_rec *r)
{
    unsigned shift = p->o.page_shift;
    uint64_t first = r->addr >> shift, last = (r->addr + (r->size ? r->size - 1 : 0)) >> shift;
    page_lookup(p, first & ((1ULL << 52) - 1));
    if (last != first)
        page_lookup(p, last & ((1ULL << 52) - 1));
}

int tlbprof_run(const char *trace, const struct tlbprof_opts *o, struct tlbprof *p, char *err,
                size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->o = *o;
    struct mrc_opts mo = {o->page_shift, 0};
    if (mrc_init(&p->fa, &mo) < 0)
        goto oom;
    if (o->sets) {
        if (!o->max_ways)
            goto oom;
        p->keys = malloc(sizeof *p->keys * (size_t)o->sets * o->max_ways);
        p->used = calloc(o->sets, sizeof *p->used);
        p->hist = calloc((size_t)o->max_ways + 1, sizeof *p->hist);
        if (!p->keys || !p->used || !p->hist)
            goto oom;
    }
    struct mmt_reader *r = mmt_reader_open(trace, err, errlen);
    if (!r)
        return -1;
    const struct mmt_rec *recs;
    size_t n;
    int rc;
    while ((rc = mmt_reader_next(r, &recs, &n)) == 1) {
        for (size_t i = 0; i < n; i++) {
            const struct mmt_rec *x = &recs[i];
            if (x->kind == MMT_SWITCH)
                mrc_switch(&p->fa, x->aux);
            else if (x->kind == MMT_IFETCH ? o->ifetch : (x->kind <= MMT_MODIFY && o->data))
                access_lookups(p, x);
        }
    }
    if (rc < 0)
        snprintf(err, errlen, "%s", mmt_reader_error(r));
    mmt_reader_close(r);
    if (rc == 0 && p->fa.sd.failed)
        goto oom;
    return rc < 0 ? -1 : 0;
oom:
    snprintf(err, errlen, "%s: out of memory profiling the TLB", trace);
    return -1;
}

uint64_t tlbprof_misses(const struct tlbprof *p, uint32_t size)
{
    if (!p->o.sets)
        return sd_misses(&p->fa.sd, size);
    uint64_t hits = 0;
    for (uint32_t d = 1; d <= size && d <= p->o.max_ways; d++)
        hits += p->hist[d];
    return p->lookups - hits;
}

void tlbprof_free(struct tlbprof *p)
{
    mrc_free(&p->fa);
    free(p->keys);
    free(p->used);
    free(p->hist);
    memset(p, 0, sizeof *p);
}
