/* tlb.c - TLB levels over the set-associative tag store (see tlb.h).
 *
 * Key of an entry: vpn << 14 | asid << 2 | size class, with vpn = va >> shift of that size;
 * the set is chosen by the vpn alone so that processes do not crowd one set. */
#include "model/tlb.h"

#include <string.h>

#include "model/config.h"
#include "model/pgtable.h"

static uint64_t make_key(uint64_t vpn, unsigned asid, unsigned psize)
{
    return (vpn << 14) | ((uint64_t)(asid & ((1u << TLB_ASID_BITS) - 1)) << 2) | psize;
}

static unsigned key_psize(uint64_t key) { return (unsigned)(key & 3); }
static unsigned key_asid(uint64_t key) { return (unsigned)((key >> 2) & ((1u << TLB_ASID_BITS) - 1)); }
static uint64_t key_vpn(uint64_t key) { return key >> 14; }

static void forget_last(struct tlb *t)
{
    t->last_vpn = UINT64_MAX;
    t->last_shift = 63;
}

int tlb_init(struct tlb *t, const struct tlb_config *cfg, const unsigned shifts[TLB_NR_PSIZES])
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", cfg->name);
    t->latency = cfg->latency;
    t->page_sizes = cfg->page_sizes;
    t->next = cfg->next_index;
    for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
        t->shift[p] = shifts[p];
        t->arr_of[p] = -1;
    }
    forget_last(t);
    unsigned a = 0;
    for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
        if (!(cfg->page_sizes & (1u << p)))
            continue;
        if (cfg->nentries == 1 && a == 1) { /* one shared array */
            t->arr_of[p] = 0;
            continue;
        }
        uint32_t e = cfg->entries[cfg->nentries == 1 ? 0 : a];
        uint32_t w = cfg->ways[cfg->nways == 1 ? 0 : a];
        if (assoc_init(&t->arr[a], e, w ? w : e, (enum assoc_policy)cfg->policy, cfg->seed + a)) {
            tlb_destroy(t);
            return -1;
        }
        t->arr_of[p] = (int)a;
        a++;
        t->narrays = a;
    }
    return t->narrays ? 0 : -1;
}

void tlb_destroy(struct tlb *t)
{
    for (unsigned a = 0; a < TLB_NR_PSIZES; a++)
        if (t->arr[a].keys)
            assoc_destroy(&t->arr[a]);
    t->narrays = 0;
}

uint32_t tlb_capacity(const struct tlb *t)
{
    uint32_t n = 0;
    for (unsigned a = 0; a < t->narrays; a++)
        n += t->arr[a].sets * t->arr[a].ways;
    return n;
}

void tlb_stats_get(const struct tlb *t, struct tlb_stats *out)
{
    *out = t->st;
    out->hits = 0;
    for (unsigned p = 0; p < TLB_NR_PSIZES; p++)
        out->hits += t->st.hits_ps[p];
    out->lookups = out->hits + out->misses;
}

int tlb_lookup_slow(struct tlb *t, uint64_t va, unsigned asid, uint64_t *val)
{
    for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
        int a = t->arr_of[p];
        if (a < 0 || !t->nvalid[p])
            continue;
        uint64_t vpn = va >> t->shift[p];
        struct assoc *ar = &t->arr[a];
        uint32_t e = assoc_lookup(ar, make_key(vpn, asid, p), vpn);
        if (e != ASSOC_NONE) {
            t->st.hits_ps[p]++;
            *val = ar->vals[e];
            t->last_vpn = vpn;
            t->last_shift = t->shift[p];
            t->last_asid = asid;
            t->last_psize = p;
            t->last_val = *val;
            t->last_store = tlb_store_ok(*val);
            t->last_pa_base = ((*val & PTE_PFN_MASK) >> PTE_PFN_SHIFT) << t->shift[0];
            t->last_mask = (1ULL << t->shift[p]) - 1;
            return (int)p;
        }
    }
    t->st.misses++;
    return -1;
}

void tlb_fill(struct tlb *t, uint64_t va, unsigned asid, unsigned psize, uint64_t val)
{
    int a = psize < TLB_NR_PSIZES ? t->arr_of[psize] : -1;
    if (a < 0)
        return;
    uint64_t vpn = va >> t->shift[psize];
    uint64_t key = make_key(vpn, asid, psize);
    struct assoc *ar = &t->arr[a];
    uint32_t e = assoc_lookup(ar, key, vpn);
    if (e != ASSOC_NONE) { /* already there (a permission upgrade): refresh the payload */
        ar->vals[e] = val;
    } else {
        uint64_t old = assoc_insert(ar, key, vpn, val);
        t->nvalid[psize]++;
        if (old != ASSOC_INVALID) {
            t->nvalid[key_psize(old)]--;
            t->st.evictions++;
        }
        t->st.fills++;
    }
    t->last_vpn = vpn;
    t->last_shift = t->shift[psize];
    t->last_asid = asid & ((1u << TLB_ASID_BITS) - 1);
    t->last_psize = psize;
    t->last_val = val;
    t->last_store = tlb_store_ok(val);
    t->last_pa_base = ((val & PTE_PFN_MASK) >> PTE_PFN_SHIFT) << t->shift[0];
    t->last_mask = (1ULL << t->shift[psize]) - 1;
}

struct range_match {
    const struct tlb *t;
    uint64_t start, end;
    unsigned asid;
    int any_asid;
    uint32_t dropped[TLB_NR_PSIZES];
};

static int match_range(void *ctx, uint64_t key)
{
    struct range_match *m = ctx;
    if (!m->any_asid && key_asid(key) != m->asid)
        return 0;
    unsigned p = key_psize(key);
    uint64_t lo = key_vpn(key) << m->t->shift[p], hi = lo + (1ULL << m->t->shift[p]);
    if (lo < m->end && hi > m->start) {
        m->dropped[p]++;
        return 1;
    }
    return 0;
}

static void drop_matching(struct tlb *t, struct range_match *m)
{
    forget_last(t);
    for (unsigned a = 0; a < t->narrays; a++)
        t->st.invalidations += assoc_invalidate_if(&t->arr[a], match_range, m);
    for (unsigned p = 0; p < TLB_NR_PSIZES; p++)
        t->nvalid[p] -= m->dropped[p];
}

void tlb_invalidate_page(struct tlb *t, uint64_t va, unsigned asid)
{
    forget_last(t);
    asid &= (1u << TLB_ASID_BITS) - 1;
    for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
        int a = t->arr_of[p];
        if (a < 0 || !t->nvalid[p])
            continue;
        uint64_t vpn = va >> t->shift[p];
        if (assoc_invalidate(&t->arr[a], make_key(vpn, asid, p), vpn)) {
            t->nvalid[p]--;
            t->st.invalidations++;
        }
    }
}

void tlb_invalidate_range(struct tlb *t, uint64_t start, uint64_t end, unsigned asid)
{
    struct range_match m = {t, start, end, asid & ((1u << TLB_ASID_BITS) - 1), 0, {0}};
    drop_matching(t, &m);
}

void tlb_flush_asid(struct tlb *t, unsigned asid)
{
    struct range_match m = {t, 0, UINT64_MAX, asid & ((1u << TLB_ASID_BITS) - 1), 0, {0}};
    drop_matching(t, &m);
    t->st.flushes++;
}

void tlb_flush_all(struct tlb *t)
{
    forget_last(t);
    for (unsigned a = 0; a < t->narrays; a++)
        assoc_flush(&t->arr[a]);
    memset(t->nvalid, 0, sizeof t->nvalid);
    t->st.flushes++;
}
