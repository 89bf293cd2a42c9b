/* cache.h - one set-associative data cache level (L1D, L2, LLC): write-allocate, a chosen
 * replacement policy (LRU by default), physical line addresses. The program's accesses and
 * the page walker's are counted apart. */
#ifndef MMSIM_CACHE_H
#define MMSIM_CACHE_H

#include <stdint.h>

#include "model/assoc.h"

/* The hot path counts hits and misses only; cache_stats_get() fills in the lookups. */
struct cache_stats {
    uint64_t lookups, hits, misses;
    uint64_t walk_lookups, walk_hits, walk_misses;
    uint64_t evictions;
};

struct cache {
    char name[32];
    uint32_t latency;
    int next; /* index of the next level, -1: memory */
    unsigned line_shift;
    uint64_t last_line; /* the line touched last: touching it again changes no state */
    struct assoc arr;
    struct cache_stats st;
};

struct cache_config;
int cache_init(struct cache *c, const struct cache_config *cfg);
void cache_destroy(struct cache *c);
void cache_stats_get(const struct cache *c, struct cache_stats *out);

int cache_access_slow(struct cache *c, uint64_t line, int walk);

/* Touches the line holding physical address pa; returns 1 on a hit, 0 on a miss (the line
 * is then allocated). walk: a page-table read. */
static inline int cache_access(struct cache *c, uint64_t pa, int walk)
{
    uint64_t line = pa >> c->line_shift;
    if (line == c->last_line) {
        if (walk)
            c->st.walk_hits++;
        else
            c->st.hits++;
        return 1;
    }
    return cache_access_slow(c, line, walk);
}

/* Reads pa through the chain of levels starting at *caches[first] (-1: no caches); returns
 * the latency: that of the level that hit, or mem_latency when every level missed. Every
 * level that missed allocates the line. */
static inline uint32_t cache_chain_access(struct cache *const *caches, int first, uint64_t pa,
                                          int walk, uint32_t mem_latency)
{
    for (int i = first; i >= 0; i = caches[i]->next)
        if (cache_access(caches[i], pa, walk))
            return caches[i]->latency;
    return mem_latency;
}

#endif
