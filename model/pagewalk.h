/* pagewalk.h - the hardware page walker of one CPU: radix walks over a pgtable, one
 * paging-structure cache per upper level (Intel SDM 4.10.3: PML5E, PML4E, PDPTE and PDE
 * caches), page-table reads through the data caches or a fixed memory latency. */
#ifndef MMSIM_PAGEWALK_H
#define MMSIM_PAGEWALK_H

#include <stdint.h>

#include "model/assoc.h"
#include "model/pgtable.h"

struct cache;
struct mmsim_config;

struct pagewalk_stats {
    uint64_t walks, cycles;
    uint64_t reads[PGT_MAX_LEVELS + 1];       /* page-table reads by level */
    uint64_t read_cycles[PGT_MAX_LEVELS + 1];
    uint64_t psc_lookups[PGT_MAX_LEVELS + 1];
    uint64_t psc_hits[PGT_MAX_LEVELS + 1];
    uint64_t not_present;                     /* walks that ended on a not-present entry */
};

/* Walk latency histogram: one bucket per cycle below PW_HIST_EXACT, then one per power of
 * two ([2^k, 2^(k+1)) for k = log2(PW_HIST_EXACT)..31; the last one also holds anything
 * longer). */
#define PW_HIST_EXACT 1024u
#define PW_HIST_EXACT_LOG2 10u
#define PW_HIST_BUCKETS (PW_HIST_EXACT + 32u - PW_HIST_EXACT_LOG2)

static inline unsigned pagewalk_hist_bucket(uint64_t cycles)
{
    if (cycles < PW_HIST_EXACT)
        return (unsigned)cycles;
    unsigned k = 63u - (unsigned)__builtin_clzll(cycles);
    if (k > 31u)
        k = 31u;
    return PW_HIST_EXACT + k - PW_HIST_EXACT_LOG2;
}

/* The smallest latency (cycles) a bucket holds. */
static inline uint64_t pagewalk_hist_lower(unsigned b)
{
    return b < PW_HIST_EXACT ? b : 1ULL << (b - PW_HIST_EXACT + PW_HIST_EXACT_LOG2);
}

struct pagewalk {
    unsigned levels;
    unsigned page_shift, bits;
    uint32_t memory_latency, latency;
    int has_psc[PGT_MAX_LEVELS + 1];
    struct assoc psc[PGT_MAX_LEVELS + 1];
    struct cache **caches; /* the CPU's cache levels; reads start at caches[first_cache] */
    int first_cache;      /* -1: no caches, each read costs memory_latency */
    struct pagewalk_stats st;
    uint64_t lat_hist[PW_HIST_BUCKETS]; /* walks by latency (pagewalk_hist_bucket) */
};

struct walk_result {
    int present;         /* a leaf was found */
    uint64_t pte;        /* the leaf */
    unsigned leaf_level; /* 1 = base page, 2 = 2M, 3 = 1G; or the level that was not present */
    uint64_t cycles;
};

int pagewalk_init(struct pagewalk *pw, const struct mmsim_config *cfg, struct cache **caches,
                  int first_cache);
void pagewalk_destroy(struct pagewalk *pw);
/* One walk for va in address space pt tagged asid. */
void pagewalk_walk(struct pagewalk *pw, const struct pgtable *pt, uint64_t va, unsigned asid,
                   struct walk_result *r);
/* Drops the paging-structure cache entries of asid (after tables changed or on a switch). */
void pagewalk_flush_asid(struct pagewalk *pw, unsigned asid);
void pagewalk_flush_all(struct pagewalk *pw);

#endif
