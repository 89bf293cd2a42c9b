/* stackdist.c - LRU stack distances with a hash and a Fenwick tree (see stackdist.h). */
#include "analysis/stackdist.h"

#include <stdlib.h>
#include <string.h>

#define SD_EMPTY UINT64_MAX /* callers never use an all-ones key */
#define SD_NONE UINT32_MAX
#define SD_MIN_CAP (1u << 16)
#define SD_HOLE (UINT32_MAX - 1) /* compact_times: a time that holds a hole */

struct sd_slot {
    uint64_t key;
    uint32_t time;
    uint32_t pad;
};

static uint32_t hash_key(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (uint32_t)key;
}

/* Fenwick tree over 1-based word indices: index = word + 1. */
static void fen_add(uint32_t *fen, uint32_t nwords, uint32_t word, int32_t v)
{
    for (uint32_t i = word + 1; i <= nwords; i += i & -i)
        fen[i - 1] += (uint32_t)v;
}

static uint32_t fen_prefix(const uint32_t *fen, uint32_t words) /* set bits in words [0, words) */
{
    uint32_t s = 0;
    for (uint32_t i = words; i > 0; i &= i - 1)
        s += fen[i - 1];
    return s;
}

/* Set bits at times <= t. */
static uint32_t bits_upto(const struct stackdist *sd, uint32_t t)
{
    uint32_t w = t >> 6;
    uint64_t mask = (t & 63) == 63 ? ~0ULL : (2ULL << (t & 63)) - 1;
    return fen_prefix(sd->fen, w) + (uint32_t)__builtin_popcountll(sd->bits[w] & mask);
}

static void bit_set(struct stackdist *sd, uint32_t t)
{
    sd->bits[t >> 6] |= 1ULL << (t & 63);
    fen_add(sd->fen, sd->fen_cap >> 6, t >> 6, 1);
}

static void bit_clear(struct stackdist *sd, uint32_t t)
{
    sd->bits[t >> 6] &= ~(1ULL << (t & 63));
    fen_add(sd->fen, sd->fen_cap >> 6, t >> 6, -1);
}

/* Builds the tree of word counts for bits 0..ones-1 set, in O(words). */
static void fen_build_prefix_ones(uint32_t *fen, uint32_t nwords, uint32_t ones)
{
    for (uint32_t i = 1; i <= nwords; i++) {
        uint32_t lo = (i - 1) * 64;
        fen[i - 1] = ones <= lo ? 0 : ones - lo >= 64 ? 64 : ones - lo;
    }
    for (uint32_t i = 1; i <= nwords; i++) {
        uint32_t j = i + (i & -i);
        if (j <= nwords)
            fen[j - 1] += fen[i - 1];
    }
}

int sd_init(struct stackdist *sd)
{
    memset(sd, 0, sizeof *sd);
    uint32_t hcap = 1u << 12;
    sd->slots = malloc(sizeof *sd->slots * hcap);
    sd->fen = calloc(SD_MIN_CAP / 64, sizeof *sd->fen);
    sd->bits = calloc(SD_MIN_CAP / 64, sizeof *sd->bits);
    sd->hist_len = 1024;
    sd->hist = calloc(sd->hist_len, sizeof *sd->hist);
    if (!sd->slots || !sd->fen || !sd->bits || !sd->hist) {
        sd_free(sd);
        return -1;
    }
    for (uint32_t i = 0; i < hcap; i++)
        sd->slots[i].key = SD_EMPTY;
    sd->hmask = hcap - 1;
    sd->fen_cap = SD_MIN_CAP;
    sd->top_slot = SD_NONE;
    return 0;
}

void sd_free(struct stackdist *sd)
{
    free(sd->slots);
    free(sd->fen);
    free(sd->bits);
    free(sd->hist);
    free(sd->holes);
    memset(sd, 0, sizeof *sd);
}

/* Doubles the hash. */
static int grow_hash(struct stackdist *sd)
{
    uint32_t ncap = (sd->hmask + 1) * 2;
    if (ncap == 0)
        return -1;
    struct sd_slot *ns = malloc(sizeof *ns * ncap);
    if (!ns)
        return -1;
    for (uint32_t i = 0; i < ncap; i++)
        ns[i].key = SD_EMPTY;
    uint32_t nmask = ncap - 1;
    for (uint32_t i = 0; i <= sd->hmask; i++) {
        struct sd_slot *s = &sd->slots[i];
        if (s->key == SD_EMPTY)
            continue;
        uint32_t j = hash_key(s->key) & nmask;
        while (ns[j].key != SD_EMPTY)
            j = (j + 1) & nmask;
        ns[j] = *s;
        if (i == sd->top_slot)
            sd->top_slot = j;
    }
    free(sd->slots);
    sd->slots = ns;
    sd->hmask = nmask;
    return 0;
}

/* Renumbers live times to 0..live-1 (their order kept) into a bitmap of 4x the live keys.
 * The time -> slot table is built only here, so the hot path never writes it. */
static int compact_times(struct stackdist *sd)
{
    uint64_t want = ((uint64_t)sd->live + sd->nholes) * 4;
    if (want < SD_MIN_CAP)
        want = SD_MIN_CAP;
    want = (want + 63) & ~63ULL;
    if (want > UINT32_MAX / 2)
        return -1;
    uint32_t ncap = (uint32_t)want;
    uint32_t *owner = malloc(sizeof *owner * sd->now);
    if (!owner)
        return -1;
    memset(owner, 0xff, sizeof *owner * sd->now);
    for (uint32_t i = 0; i <= sd->hmask; i++)
        if (sd->slots[i].key != SD_EMPTY)
            owner[sd->slots[i].time] = i;
    for (uint32_t h = 0; h < sd->nholes; h++)
        owner[sd->holes[h]] = SD_HOLE;
    uint32_t t = 0, nh = 0;
    for (uint32_t old = 0; old < sd->now; old++) {
        if (owner[old] == SD_HOLE)
            sd->holes[nh++] = t++; /* the holes keep their order among the keys */
        else if (owner[old] != SD_NONE)
            sd->slots[owner[old]].time = t++;
    }
    free(owner);
    uint32_t nwords = ncap / 64;
    uint32_t *nfen = realloc(sd->fen, sizeof *nfen * nwords);
    if (!nfen)
        return -1;
    sd->fen = nfen;
    uint64_t *nbits = realloc(sd->bits, sizeof *nbits * nwords);
    if (!nbits)
        return -1;
    sd->bits = nbits;
    for (uint32_t w = 0; w < nwords; w++) {
        uint32_t lo = w * 64;
        sd->bits[w] = t <= lo ? 0 : t - lo >= 64 ? ~0ULL : (1ULL << (t - lo)) - 1;
    }
    fen_build_prefix_ones(sd->fen, nwords, t);
    sd->fen_cap = ncap;
    sd->now = t;
    return 0;
}

static int grow_hist(struct stackdist *sd, uint64_t d)
{
    uint64_t n = sd->hist_len;
    while (n <= d)
        n *= 2;
    uint64_t *h = realloc(sd->hist, sizeof *h * n);
    if (!h)
        return -1;
    memset(h + sd->hist_len, 0, sizeof *h * (n - sd->hist_len));
    sd->hist = h;
    sd->hist_len = n;
    return 0;
}

/* Keeps time t as a hole, in order. */
static int hole_add(struct stackdist *sd, uint32_t t)
{
    if (sd->nholes == sd->holes_cap) {
        uint32_t cap = sd->holes_cap ? sd->holes_cap * 2 : 64;
        uint32_t *h = realloc(sd->holes, sizeof *h * cap);
        if (!h)
            return -1;
        sd->holes = h;
        sd->holes_cap = cap;
    }
    uint32_t i = sd->nholes;
    while (i > 0 && sd->holes[i - 1] > t)
        i--;
    memmove(sd->holes + i + 1, sd->holes + i, sizeof *sd->holes * (sd->nholes - i));
    sd->holes[i] = t;
    sd->nholes++;
    return 0;
}

/* A reference missing at the sizes that hold the most recent hole fills that hole: it
 * leaves the stack. Returns whether there was one more recent than `after`. */
static int fill_hole(struct stackdist *sd, uint32_t after, int any)
{
    if (!sd->nholes || (!any && sd->holes[sd->nholes - 1] < after))
        return 0;
    bit_clear(sd, sd->holes[--sd->nholes]);
    return 1;
}

/* Out of line: the first reference to a key. */
static uint64_t insert_cold(struct stackdist *sd, uint64_t key, uint32_t slot)
{
    fill_hole(sd, 0, 1);
    sd->slots[slot].key = key;
    sd->slots[slot].time = sd->now;
    bit_set(sd, sd->now);
    sd->now++;
    sd->live++;
    sd->top_slot = slot;
    sd->hist[0]++;
    if (sd->max_dist == 0)
        sd->max_dist = 1; /* the fast path counts distance 1 without updating max_dist */
    if ((uint64_t)sd->live * 2 > sd->hmask && grow_hash(sd) < 0)
        sd->failed = 1;
    return 0;
}

static inline int unlikely_hole(const struct stackdist *sd)
{
    return __builtin_expect(sd->nholes != 0, 0);
}

/* Removes a slot from the linear-probing hash, moving later entries of its run back. */
static void hash_delete(struct stackdist *sd, uint32_t i)
{
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & sd->hmask;
        if (sd->slots[j].key == SD_EMPTY)
            break;
        uint32_t k = hash_key(sd->slots[j].key) & sd->hmask;
        /* the entry at j may move to i only if its home k is not cyclically in (i, j] */
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        sd->slots[i] = sd->slots[j];
        i = j;
    }
    sd->slots[i].key = SD_EMPTY;
}

int sd_invalidate(struct stackdist *sd, uint64_t key)
{
    if (sd->failed)
        return -1;
    uint32_t slot = hash_key(key) & sd->hmask;
    while (sd->slots[slot].key != key) {
        if (sd->slots[slot].key == SD_EMPTY)
            return 0;
        slot = (slot + 1) & sd->hmask;
    }
    if (hole_add(sd, sd->slots[slot].time) < 0) {
        sd->failed = 1;
        return -1;
    }
    hash_delete(sd, slot);
    sd->live--;
    sd->top_slot = SD_NONE;
    return 1;
}

long sd_invalidate_if(struct stackdist *sd, int (*fn)(void *ctx, uint64_t key), void *ctx)
{
    if (sd->failed)
        return -1;
    /* collected first: deleting moves entries of the hash under the scan */
    uint64_t *keys = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = 0; i <= sd->hmask; i++) {
        uint64_t k = sd->slots[i].key;
        if (k == SD_EMPTY || !fn(ctx, k))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            uint64_t *nk = realloc(keys, sizeof *nk * cap);
            if (!nk) {
                free(keys);
                sd->failed = 1;
                return -1;
            }
            keys = nk;
        }
        keys[n++] = k;
    }
    long done = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = sd_invalidate(sd, keys[i]);
        if (rc < 0) {
            done = -1;
            break;
        }
        done += rc;
    }
    free(keys);
    return done;
}

uint64_t sd_access(struct stackdist *sd, uint64_t key)
{
    if (sd->failed)
        return 0;
    sd->refs++;
    if (sd->top_slot != SD_NONE && sd->slots[sd->top_slot].key == key) {
        sd->hist[1]++;
        return 1;
    }
    if (sd->now == sd->fen_cap && compact_times(sd) < 0) {
        sd->failed = 1;
        return 0;
    }
    uint32_t slot = hash_key(key) & sd->hmask;
    while (sd->slots[slot].key != key) {
        if (sd->slots[slot].key == SD_EMPTY)
            return insert_cold(sd, key, slot);
        slot = (slot + 1) & sd->hmask;
    }
    uint32_t prev = sd->slots[slot].time;
    uint64_t d = (uint64_t)(sd->live + sd->nholes - bits_upto(sd, prev)) + 1;
    /* with a hole above, the sizes between the hole and the key fill the hole, and the
     * sizes that hold the key keep their empty entry: the hole moves to the key's place */
    if (unlikely_hole(sd) && fill_hole(sd, prev, 0)) {
        if (hole_add(sd, prev) < 0) {
            sd->failed = 1;
            return 0;
        }
    } else {
        bit_clear(sd, prev);
    }
    bit_set(sd, sd->now);
    sd->slots[slot].time = sd->now++;
    sd->top_slot = slot;
    if (d >= sd->hist_len && grow_hist(sd, d) < 0) {
        sd->failed = 1;
        return d;
    }
    sd->hist[d]++;
    if (d > sd->max_dist)
        sd->max_dist = d;
    return d;
}

void sd_touch(struct stackdist *sd, uint64_t key)
{
    uint64_t d = sd_access(sd, key);
    if (!sd->failed) {
        sd->refs--;
        sd->hist[d]--;
    }
}

uint64_t sd_misses(const struct stackdist *sd, uint64_t entries)
{
    uint64_t hits = 0;
    uint64_t top = entries < sd->max_dist ? entries : sd->max_dist;
    if (top >= sd->hist_len)
        top = sd->hist_len - 1;
    for (uint64_t d = 1; d <= top; d++)
        hits += sd->hist[d];
    return sd->refs - hits;
}
