/* stackdist.h - Mattson LRU stack distances in O(log M) per reference.
 *
 * Every reference to a key (a page, a TLB entry tag, ...) gets its LRU stack distance: 1 when
 * the key is the most recently used one, d when d-1 other distinct keys were referenced since
 * its previous reference, 0 the first time (a cold reference). A cache of c entries with LRU
 * replacement hits exactly the references with 1 <= d <= c, so one pass gives the misses at
 * every size (the miss-ratio curve).
 *
 * Structure: a hash from key to the logical time of its last reference, and a bitmap with
 * one bit set at the last-reference time of every live key; the distance is the number of
 * set bits after the previous time, counted with a Fenwick tree over the bitmap's 64-bit
 * words (small enough to stay in cache) plus a popcount inside the word. Times are
 * renumbered densely when the bitmap fills.
 * A stackdist is a value: no global state, any number can run side by side. */
#ifndef MMSIM_STACKDIST_H
#define MMSIM_STACKDIST_H

#include <stddef.h>
#include <stdint.h>

struct sd_slot; /* hash slot, private */

struct stackdist {
    struct sd_slot *slots; /* open addressing, linear probing */
    uint64_t *bits;        /* bit t set: some live key was last referenced at time t */
    uint32_t *fen;         /* Fenwick tree over the set bits of each word of bits, 1-based */
    uint64_t *hist;        /* hist[d]: references at distance d (hist[0]: cold) */
    uint64_t hist_len;     /* allocated length of hist */
    uint64_t max_dist;     /* largest distance seen */
    uint64_t refs;         /* references counted */
    uint32_t hmask;        /* hash capacity - 1 */
    uint32_t live;         /* distinct keys seen */
    uint32_t now;          /* next logical time */
    uint32_t fen_cap;      /* times 0..fen_cap-1 (a multiple of 64) */
    uint32_t top_slot;     /* slot of the most recent key (fast path) */
    /* invalidated keys leave holes: empty entries that keep their place in the stack until
     * a miss fills them (see sd_invalidate); their times, increasing */
    uint32_t *holes;
    uint32_t nholes, holes_cap;
    int failed;            /* allocation failed: further references are ignored */
};

/* Returns 0, or -1 when memory is short. */
int sd_init(struct stackdist *sd);
void sd_free(struct stackdist *sd);

/* Records one reference; returns its distance (0: cold). Counts it in the histogram. */
uint64_t sd_access(struct stackdist *sd, uint64_t key);

/* Records a reference that moves the key to the top without counting it. */
void sd_touch(struct stackdist *sd, uint64_t key);

/* Drops a key from every cache size at once, as an invalidation drops a TLB entry: its
 * place becomes an empty entry (a hole) that the next reference missing at a size that
 * holds the hole fills without evicting. Distances count holes as entries, so sd_misses
 * stays exact for LRU caches that fill empty entries first. Returns 1 when the key was
 * live, 0 when not, -1 when memory is short (the stack is marked failed). */
int sd_invalidate(struct stackdist *sd, uint64_t key);
/* Calls fn(ctx, key) for every live key; invalidates those for which it returns nonzero.
 * Returns the number invalidated, or -1 when memory is short. */
long sd_invalidate_if(struct stackdist *sd, int (*fn)(void *ctx, uint64_t key), void *ctx);
/* Misses of an LRU cache of `entries` entries over the references so far. */
uint64_t sd_misses(const struct stackdist *sd, uint64_t entries);

#endif
