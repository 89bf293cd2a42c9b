/* cache.c - data cache levels over the set-associative tag store (see cache.h). */
#include "model/cache.h"

#include <stdio.h>
#include <string.h>

#include "model/config.h"

int cache_init(struct cache *c, const struct cache_config *cfg)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", cfg->name);
    c->latency = cfg->latency;
    c->next = cfg->next_index;
    while ((1ULL << c->line_shift) < cfg->line)
        c->line_shift++;
    c->last_line = UINT64_MAX;
    uint64_t lines = cfg->size / cfg->line;
    uint32_t ways = cfg->ways ? cfg->ways : (uint32_t)lines;
    return assoc_init_tags(&c->arr, (uint32_t)lines, ways, (enum assoc_policy)cfg->policy, cfg->seed);
}

void cache_destroy(struct cache *c)
{
    assoc_destroy(&c->arr);
}

int cache_access_slow(struct cache *c, uint64_t line, int walk)
{
    uint64_t evicted = ASSOC_INVALID;
    int hit = assoc_access(&c->arr, line, line, &evicted);
    if (!hit && evicted != ASSOC_INVALID)
        c->st.evictions++;
    c->last_line = line;
    if (walk) {
        c->st.walk_hits += (uint64_t)hit;
        c->st.walk_misses += (uint64_t)!hit;
    } else {
        c->st.hits += (uint64_t)hit;
        c->st.misses += (uint64_t)!hit;
    }
    return hit;
}

void cache_stats_get(const struct cache *c, struct cache_stats *out)
{
    *out = c->st;
    out->lookups = out->hits + out->misses;
    out->walk_lookups = out->walk_hits + out->walk_misses;
}
