/* assoc.c - set-associative tag store with LRU, tree-PLRU, FIFO and random replacement
 * (see assoc.h). Invalid ways are always filled first, lowest index first. */
#include "model/assoc.h"

#include <stdlib.h>
#include <string.h>

static const char *const policy_names[ASSOC_NR_POLICIES] = {"lru", "plru", "fifo", "random"};

const char *assoc_policy_name(enum assoc_policy p)
{
    return (unsigned)p < ASSOC_NR_POLICIES ? policy_names[p] : "?";
}

int assoc_policy_parse(const char *s, enum assoc_policy *out)
{
    for (unsigned i = 0; i < ASSOC_NR_POLICIES; i++)
        if (!strcmp(s, policy_names[i])) {
            *out = (enum assoc_policy)i;
            return 0;
        }
    return -1;
}

static uint32_t next_pow2(uint32_t v)
{
    uint32_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- tree-PLRU over P = next_pow2(ways) leaves; node n (1..P-1) bit 1 means "the victim is
 * on the right". Ways >= `ways` do not exist: the victim search never enters them. */
static uint32_t plru_words(uint32_t ways)
{
    return (next_pow2(ways) + 63) / 64;
}

static int bit_get(const uint64_t *w, uint32_t n)
{
    return (int)((w[n >> 6] >> (n & 63)) & 1);
}

static void bit_put(uint64_t *w, uint32_t n, int v)
{
    if (v)
        w[n >> 6] |= 1ULL << (n & 63);
    else
        w[n >> 6] &= ~(1ULL << (n & 63));
}

static void plru_touch(uint64_t *bits, uint32_t p, uint32_t way)
{
    uint32_t node = 1, lo = 0, span = p;
    while (span > 1) {
        span >>= 1;
        int right = way >= lo + span;
        bit_put(bits, node, !right); /* point away from the way just used */
        node = node * 2 + (uint32_t)right;
        if (right)
            lo += span;
    }
}

static uint32_t plru_victim(const uint64_t *bits, uint32_t p, uint32_t ways)
{
    uint32_t node = 1, lo = 0, span = p;
    while (span > 1) {
        span >>= 1;
        int right = bit_get(bits, node);
        if (right && lo + span >= ways)
            right = 0;
        node = node * 2 + (uint32_t)right;
        if (right)
            lo += span;
    }
    return lo;
}

/* ---- hashed fully associative path */
static uint32_t hash_key(const struct assoc *a, uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & a->hmask;
}

static uint32_t hash_find(const struct assoc *a, uint64_t key)
{
    uint32_t h = hash_key(a, key);
    for (;;) {
        uint32_t e = a->hslot[h];
        if (e == ASSOC_NONE || a->keys[e] == key)
            return e;
        h = (h + 1) & a->hmask;
    }
}

static void hash_add(struct assoc *a, uint64_t key, uint32_t e)
{
    uint32_t h = hash_key(a, key);
    while (a->hslot[h] != ASSOC_NONE)
        h = (h + 1) & a->hmask;
    a->hslot[h] = e;
}

/* Linear-probing deletion by backward shift: no tombstones, lookups stay short. */
static void hash_del(struct assoc *a, uint64_t key)
{
    uint32_t h = hash_key(a, key);
    while (a->keys[a->hslot[h]] != key)
        h = (h + 1) & a->hmask;
    uint32_t hole = h;
    for (;;) {
        h = (h + 1) & a->hmask;
        uint32_t e = a->hslot[h];
        if (e == ASSOC_NONE)
            break;
        uint32_t home = hash_key(a, a->keys[e]);
        /* move e into the hole unless its home lies cyclically in (hole, h] */
        int stays = hole <= h ? (home > hole && home <= h) : (home > hole || home <= h);
        if (!stays) {
            a->hslot[hole] = e;
            hole = h;
        }
    }
    a->hslot[hole] = ASSOC_NONE;
}

static void list_unlink(struct assoc *a, uint32_t e)
{
    uint32_t p = a->prev[e], n = a->next[e];
    if (p != ASSOC_NONE)
        a->next[p] = n;
    else
        a->head = n;
    if (n != ASSOC_NONE)
        a->prev[n] = p;
    else
        a->tail = p;
}

static void list_push_head(struct assoc *a, uint32_t e)
{
    a->prev[e] = ASSOC_NONE;
    a->next[e] = a->head;
    if (a->head != ASSOC_NONE)
        a->prev[a->head] = e;
    else
        a->tail = e;
    a->head = e;
}

static void reset_state(struct assoc *a)
{
    size_t n = (size_t)a->sets * a->ways;
    for (size_t i = 0; i < n; i++)
        a->keys[i] = ASSOC_INVALID;
    if (a->vals)
        memset(a->vals, 0, n * sizeof *a->vals);
    memset(a->stamp, 0, n * sizeof *a->stamp);
    memset(a->plru, 0, (size_t)a->sets * a->plru_w * sizeof *a->plru);
    a->clock = 0;
    a->valid = 0;
    if (a->hashed) {
        for (uint32_t i = 0; i <= a->hmask; i++)
            a->hslot[i] = ASSOC_NONE;
        a->head = a->tail = ASSOC_NONE;
        a->nfree = a->ways;
        for (uint32_t i = 0; i < a->ways; i++)
            a->freelist[i] = a->ways - 1 - i; /* pops give 0, 1, 2, ... */
    }
}

static int init_common(struct assoc *a, uint32_t entries, uint32_t ways, enum assoc_policy policy,
                       uint64_t seed, int payload);

int assoc_init(struct assoc *a, uint32_t entries, uint32_t ways, enum assoc_policy policy,
               uint64_t seed)
{
    return init_common(a, entries, ways, policy, seed, 1);
}

int assoc_init_tags(struct assoc *a, uint32_t entries, uint32_t ways, enum assoc_policy policy,
                    uint64_t seed)
{
    return init_common(a, entries, ways, policy, seed, 0);
}

static int init_common(struct assoc *a, uint32_t entries, uint32_t ways, enum assoc_policy policy,
                       uint64_t seed, int payload)
{
    memset(a, 0, sizeof *a);
    if (entries == 0 || ways == 0 || entries % ways || (unsigned)policy >= ASSOC_NR_POLICIES)
        return -1;
    a->sets = entries / ways;
    a->ways = ways;
    a->policy = policy;
    a->sets_pow2 = (a->sets & (a->sets - 1)) == 0;
    a->set_mask = a->sets_pow2 ? a->sets - 1 : 0;
    a->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    a->hashed = a->sets == 1 && ways > ASSOC_SCAN_MAX;
    size_t n = entries;
    a->plru_p = next_pow2(ways);
    a->plru_w = plru_words(ways);
    a->keys = malloc(n * sizeof *a->keys);
    a->vals = payload ? malloc(n * sizeof *a->vals) : NULL;
    a->stamp = malloc(n * sizeof *a->stamp);
    a->plru = malloc((size_t)a->sets * a->plru_w * sizeof *a->plru);
    int ok = a->keys && (a->vals || !payload) && a->stamp && a->plru;
    if (a->hashed) {
        uint32_t hs = next_pow2(ways * 2);
        a->hmask = hs - 1;
        a->hslot = malloc(hs * sizeof *a->hslot);
        a->prev = malloc(n * sizeof *a->prev);
        a->next = malloc(n * sizeof *a->next);
        a->freelist = malloc(n * sizeof *a->freelist);
        ok = ok && a->hslot && a->prev && a->next && a->freelist;
    }
    if (!ok) {
        assoc_destroy(a);
        return -1;
    }
    reset_state(a);
    return 0;
}

void assoc_destroy(struct assoc *a)
{
    free(a->keys);
    free(a->vals);
    free(a->stamp);
    free(a->plru);
    free(a->hslot);
    free(a->prev);
    free(a->next);
    free(a->freelist);
    memset(a, 0, sizeof *a);
}

void assoc_flush(struct assoc *a)
{
    if (a->keys)
        reset_state(a);
}

static uint64_t *set_plru(struct assoc *a, uint32_t set)
{
    return a->plru + (size_t)set * a->plru_w;
}

static void touch(struct assoc *a, uint32_t set, uint32_t e)
{
    switch (a->policy) {
    case ASSOC_LRU:
        if (a->hashed) {
            list_unlink(a, e);
            list_push_head(a, e);
        } else {
            a->stamp[e] = ++a->clock;
        }
        break;
    case ASSOC_PLRU:
        plru_touch(set_plru(a, set), a->plru_p, e - set * a->ways);
        break;
    default: /* FIFO and random: a hit changes nothing */
        break;
    }
}

uint32_t assoc_lookup(struct assoc *a, uint64_t key, uint64_t index)
{
    if (a->hashed) {
        uint32_t e = hash_find(a, key);
        if (e != ASSOC_NONE)
            touch(a, 0, e);
        return e;
    }
    uint32_t set = assoc_set_of(a, index);
    uint32_t base = set * a->ways;
    const uint64_t *k = a->keys + base;
    for (uint32_t w = 0; w < a->ways; w++)
        if (k[w] == key) {
            touch(a, set, base + w);
            return base + w;
        }
    return ASSOC_NONE;
}

static uint32_t victim_scan(struct assoc *a, uint32_t set)
{
    uint32_t base = set * a->ways, best = 0;
    if (a->policy == ASSOC_LRU || a->policy == ASSOC_FIFO) {
        /* LRU: least recently used; FIFO: first inserted. Invalid ways have stamp 0, below
         * every valid one, so the lowest-numbered invalid way wins the same single pass. */
        const uint64_t *st = a->stamp + base;
        uint64_t min = st[0];
        for (uint32_t w = 1; w < a->ways; w++)
            if (st[w] < min) {
                min = st[w];
                best = w;
            }
        return best;
    }
    for (uint32_t w = 0; w < a->ways; w++)
        if (a->keys[base + w] == ASSOC_INVALID)
            return w;
    if (a->policy == ASSOC_PLRU)
        return plru_victim(set_plru(a, set), a->plru_p, a->ways);
    return (uint32_t)(rng_next(&a->rng) % a->ways);
}

static uint32_t victim_hashed(struct assoc *a)
{
    if (a->nfree)
        return a->freelist[--a->nfree];
    switch (a->policy) {
    case ASSOC_PLRU:
        return plru_victim(a->plru, a->plru_p, a->ways);
    case ASSOC_RANDOM:
        return (uint32_t)(rng_next(&a->rng) % a->ways);
    default:
        return a->tail;
    }
}

uint64_t assoc_insert(struct assoc *a, uint64_t key, uint64_t index, uint64_t val)
{
    uint64_t old;
    if (a->hashed) {
        uint32_t e = victim_hashed(a);
        old = a->keys[e];
        if (old != ASSOC_INVALID) {
            hash_del(a, old);
            list_unlink(a, e);
        } else {
            a->valid++;
        }
        a->keys[e] = key;
        if (a->vals)
            a->vals[e] = val;
        hash_add(a, key, e);
        list_push_head(a, e);
        if (a->policy == ASSOC_PLRU)
            plru_touch(a->plru, a->plru_p, e);
        return old;
    }
    uint32_t set = assoc_set_of(a, index);
    uint32_t e = set * a->ways + victim_scan(a, set);
    old = a->keys[e];
    if (old == ASSOC_INVALID)
        a->valid++;
    a->keys[e] = key;
    if (a->vals)
        a->vals[e] = val;
    a->stamp[e] = ++a->clock;
    if (a->policy == ASSOC_PLRU)
        plru_touch(set_plru(a, set), a->plru_p, e - set * a->ways);
    return old;
}

static void drop_entry(struct assoc *a, uint32_t e)
{
    if (a->hashed) {
        hash_del(a, a->keys[e]);
        list_unlink(a, e);
        a->freelist[a->nfree++] = e;
    }
    a->keys[e] = ASSOC_INVALID;
    a->stamp[e] = 0;
    a->valid--;
}

int assoc_invalidate(struct assoc *a, uint64_t key, uint64_t index)
{
    uint32_t e;
    if (a->hashed) {
        e = hash_find(a, key);
    } else {
        uint32_t set = assoc_set_of(a, index), base = set * a->ways;
        e = ASSOC_NONE;
        for (uint32_t w = 0; w < a->ways; w++)
            if (a->keys[base + w] == key)
                e = base + w;
    }
    if (e == ASSOC_NONE)
        return 0;
    drop_entry(a, e);
    return 1;
}

uint32_t assoc_invalidate_if(struct assoc *a, int (*match)(void *ctx, uint64_t key), void *ctx)
{
    uint32_t n = 0, total = a->sets * a->ways;
    for (uint32_t e = 0; e < total && a->valid; e++)
        if (a->keys[e] != ASSOC_INVALID && match(ctx, a->keys[e])) {
            drop_entry(a, e);
            n++;
        }
    return n;
}

int assoc_access(struct assoc *a, uint64_t key, uint64_t index, uint64_t *evicted)
{
    if (a->hashed || (a->policy != ASSOC_LRU && a->policy != ASSOC_FIFO)) {
        if (assoc_lookup(a, key, index) != ASSOC_NONE)
            return 1;
        *evicted = assoc_insert(a, key, index, 0);
        return 0;
    }
    /* one pass: the key, or the way with the lowest stamp (invalid ways have stamp 0) */
    uint32_t set = assoc_set_of(a, index), base = set * a->ways, best = 0;
    const uint64_t *k = a->keys + base;
    uint64_t *st = a->stamp + base, min = UINT64_MAX;
    for (uint32_t w = 0; w < a->ways; w++) {
        if (k[w] == key) {
            if (a->policy == ASSOC_LRU)
                st[w] = ++a->clock;
            return 1;
        }
        if (st[w] < min) {
            min = st[w];
            best = w;
        }
    }
    uint32_t e = base + best;
    *evicted = a->keys[e];
    if (*evicted == ASSOC_INVALID)
        a->valid++;
    a->keys[e] = key;
    if (a->vals)
        a->vals[e] = 0;
    a->stamp[e] = ++a->clock;
    return 0;
}
