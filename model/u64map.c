/* u64map.c - see u64map.h. */
#include "model/u64map.h"

#include <stdlib.h>

static uint64_t home_of(const struct u64map *m, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return (h ^ (h >> 29)) & m->mask;
}

static int alloc_table(struct u64map *m, uint64_t cap)
{
    m->keys = malloc(cap * sizeof(uint64_t));
    m->vals = malloc(cap * sizeof(uint64_t));
    m->used = calloc(cap, 1);
    m->mask = cap - 1;
    m->n = 0;
    return m->keys && m->vals && m->used ? 0 : -1;
}

int u64map_init(struct u64map *m, size_t n)
{
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)n)
        cap <<= 1;
    if (alloc_table(m, cap)) {
        u64map_done(m);
        return -1;
    }
    return 0;
}

void u64map_done(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    m->keys = m->vals = NULL;
    m->used = NULL;
}

static uint64_t find(const struct u64map *m, uint64_t key)
{
    uint64_t i = home_of(m, key);
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & m->mask;
    return i;
}

static int grow(struct u64map *m)
{
    struct u64map old = *m;
    if (alloc_table(m, (old.mask + 1) * 2)) {
        u64map_done(m);
        *m = old;
        return -1;
    }
    for (uint64_t i = 0; i <= old.mask; i++) {
        if (!old.used[i])
            continue;
        uint64_t j = find(m, old.keys[i]);
        m->used[j] = 1;
        m->keys[j] = old.keys[i];
        m->vals[j] = old.vals[i];
        m->n++;
    }
    u64map_done(&old);
    return 0;
}

uint64_t *u64map_slot(struct u64map *m, uint64_t key, int *found)
{
    uint64_t i = find(m, key);
    *found = m->used[i];
    if (*found)
        return &m->vals[i];
    if (2 * (m->n + 1) > m->mask + 1) {
        if (grow(m))
            return NULL;
        i = find(m, key);
    }
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = 0;
    m->n++;
    return &m->vals[i];
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
    uint64_t i = find(m, key);
    return m->used[i] ? &m->vals[i] : NULL;
}

void u64map_erase(struct u64map *m, uint64_t key)
{
    uint64_t i = find(m, key);
    if (!m->used[i])
        return;
    m->n--;
    uint64_t j = i;
    for (;;) {
        m->used[i] = 0;
        for (;;) {
            j = (j + 1) & m->mask;
            if (!m->used[j])
                return;
            uint64_t h = home_of(m, m->keys[j]);
            /* j may fill the hole at i unless its home lies cyclically in (i, j] */
            if ((i <= j) ? (h <= i || h > j) : (h <= i && h > j))
                break;
        }
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        m->used[i] = 1;
        i = j;
    }
}
