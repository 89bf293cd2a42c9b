/* pagewalk.c - page walks with paging-structure caches (see pagewalk.h).
 *
 * A PSC of level L caches the entry of the level-L table that maps va, keyed by the address
 * bits above that entry's reach. The walker uses the lowest level that hits and reads only
 * the levels below it; like the hardware it never caches leaves there (those go to TLBs). */
#include "model/pagewalk.h"

#include <string.h>

#include "model/cache.h"
#include "model/config.h"

#define PSC_ASID_BITS 12

int pagewalk_init(struct pagewalk *pw, const struct mmsim_config *cfg, struct cache **caches,
                  int first_cache)
{
    memset(pw, 0, sizeof *pw);
    pw->levels = cfg->walker.levels;
    pw->page_shift = config_page_shift(cfg);
    pw->bits = pw->page_shift - 3;
    pw->memory_latency = cfg->walker.memory_latency;
    pw->latency = cfg->walker.latency;
    pw->caches = caches;
    pw->first_cache = first_cache;
    for (unsigned l = 2; l <= pw->levels && l <= PGT_MAX_LEVELS; l++) {
        uint32_t e = cfg->walker.psc_entries[l], w = cfg->walker.psc_ways[l];
        if (!e)
            continue;
        if (assoc_init(&pw->psc[l], e, w ? w : e, ASSOC_LRU, l)) {
            pagewalk_destroy(pw);
            return -1;
        }
        pw->has_psc[l] = 1;
    }
    return 0;
}

void pagewalk_destroy(struct pagewalk *pw)
{
    for (unsigned l = 0; l <= PGT_MAX_LEVELS; l++)
        if (pw->has_psc[l])
            assoc_destroy(&pw->psc[l]);
    memset(pw->has_psc, 0, sizeof pw->has_psc);
}

static unsigned entry_shift(const struct pagewalk *pw, unsigned level)
{
    return pw->page_shift + (level - 1) * pw->bits;
}

static uint64_t psc_key(uint64_t tag, unsigned asid)
{
    return (tag << PSC_ASID_BITS) | (asid & ((1u << PSC_ASID_BITS) - 1));
}

/* The lowest level whose PSC hits: the walk reads from the level below it. */
static unsigned first_level_to_read(struct pagewalk *pw, uint64_t va, unsigned asid)
{
    for (unsigned l = 2; l <= pw->levels; l++) {
        if (!pw->has_psc[l])
            continue;
        uint64_t tag = va >> entry_shift(pw, l);
        pw->st.psc_lookups[l]++;
        if (assoc_lookup(&pw->psc[l], psc_key(tag, asid), tag) != ASSOC_NONE) {
            pw->st.psc_hits[l]++;
            return l - 1;
        }
    }
    return pw->levels;
}

void pagewalk_walk(struct pagewalk *pw, const struct pgtable *pt, uint64_t va, unsigned asid,
                   struct walk_result *r)
{
    va &= (1ULL << (pw->page_shift + pw->levels * pw->bits)) - 1;
    struct pgtable_walk w;
    unsigned start = first_level_to_read(pw, va, asid);
    r->present = pgtable_walk(pt, va, &w);
    r->pte = w.pte;
    r->leaf_level = w.leaf_level;
    uint64_t cycles = pw->latency;
    /* a PSC hit below the leaf level cannot happen: PSCs hold only table pointers */
    if (start < w.leaf_level)
        start = w.leaf_level;
    for (unsigned l = start; l >= w.leaf_level && l >= 1; l--) {
        uint32_t c = pw->first_cache >= 0
                         ? cache_chain_access(pw->caches, pw->first_cache, w.entry_pa[l], 1,
                                              pw->memory_latency)
                         : pw->memory_latency;
        pw->st.reads[l]++;
        pw->st.read_cycles[l] += c;
        cycles += c;
        if (l > w.leaf_level && pw->has_psc[l]) {
            uint64_t tag = va >> entry_shift(pw, l);
            if (assoc_lookup(&pw->psc[l], psc_key(tag, asid), tag) == ASSOC_NONE)
                assoc_insert(&pw->psc[l], psc_key(tag, asid), tag, w.entry[l]);
        }
    }
    pw->st.walks++;
    pw->st.cycles += cycles;
    pw->lat_hist[pagewalk_hist_bucket(cycles)]++;
    pw->st.not_present += (uint64_t)!r->present;
    r->cycles = cycles;
}

static int match_asid(void *ctx, uint64_t key)
{
    return (key & ((1u << PSC_ASID_BITS) - 1)) == *(const unsigned *)ctx;
}

void pagewalk_flush_asid(struct pagewalk *pw, unsigned asid)
{
    asid &= (1u << PSC_ASID_BITS) - 1;
    for (unsigned l = 2; l <= PGT_MAX_LEVELS; l++)
        if (pw->has_psc[l])
            assoc_invalidate_if(&pw->psc[l], match_asid, &asid);
}

void pagewalk_flush_all(struct pagewalk *pw)
{
    for (unsigned l = 2; l <= PGT_MAX_LEVELS; l++)
        if (pw->has_psc[l])
            assoc_flush(&pw->psc[l]);
}
