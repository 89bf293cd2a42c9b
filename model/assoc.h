/* assoc.h - a set-associative tag store with a replacement policy: the common core of the
 * TLBs, the paging-structure caches and the data caches.
 *
 * Keys are 64-bit tags chosen by the user (ASSOC_INVALID is reserved); the set is chosen by
 * a separate index so a user can keep tag bits (ASID, page size) out of the set selection.
 * Fully associative arrays larger than ASSOC_SCAN_MAX ways use a hash index and a recency
 * list instead of a scan. Each array owns its random-number state: no global state. */
#ifndef MMSIM_ASSOC_H
#define MMSIM_ASSOC_H

#include <stdint.h>

#define ASSOC_INVALID UINT64_MAX
#define ASSOC_SCAN_MAX 16 /* fully associative arrays above this use the hash index */
#define ASSOC_NONE UINT32_MAX

enum assoc_policy { ASSOC_LRU = 0, ASSOC_PLRU, ASSOC_FIFO, ASSOC_RANDOM, ASSOC_NR_POLICIES };

struct assoc {
    uint32_t sets, ways;
    uint64_t set_mask;      /* sets - 1 when sets is a power of two, else 0 */
    int sets_pow2;
    enum assoc_policy policy;
    uint64_t *keys;         /* sets * ways */
    uint64_t *vals;         /* payload per entry (NULL: tags only) */
    uint32_t plru_p;        /* ways rounded up to a power of two (the PLRU tree's leaves) */
    uint32_t plru_w;        /* 64-bit words of PLRU bits a set */
    uint64_t *stamp;        /* LRU: last use; FIFO: insertion (set-associative path) */
    uint64_t *plru;         /* tree bits per set (ways <= 64) */
    uint64_t clock;
    uint64_t rng;           /* xorshift64 state */
    uint32_t valid;         /* valid entries */
    /* fully associative hashed path */
    int hashed;
    uint32_t *hslot;        /* hash table: entry index or ASSOC_NONE */
    uint32_t hmask;
    uint32_t *prev, *next;  /* recency (LRU) or insertion (FIFO) list, head = newest */
    uint32_t head, tail;
    uint32_t *freelist;     /* invalid entries, a stack */
    uint32_t nfree;
};

/* Returns 0, or -1 when the geometry is impossible (ways 0, entries not divisible). */
int assoc_init(struct assoc *a, uint32_t entries, uint32_t ways, enum assoc_policy policy,
               uint64_t seed);
/* The same without payloads (vals stays NULL): tags only, as data caches need. */
int assoc_init_tags(struct assoc *a, uint32_t entries, uint32_t ways, enum assoc_policy policy,
                    uint64_t seed);
void assoc_destroy(struct assoc *a);
const char *assoc_policy_name(enum assoc_policy p);
int assoc_policy_parse(const char *s, enum assoc_policy *out);

/* Lookup: on a hit updates the policy state and returns the entry index; ASSOC_NONE on a
 * miss (no state change). */
uint32_t assoc_lookup(struct assoc *a, uint64_t key, uint64_t index);
/* Lookup, and on a miss insert: returns 1 on a hit, 0 on a miss (*evicted gets the key
 * that left, or ASSOC_INVALID). One pass over the set for LRU and FIFO. */
int assoc_access(struct assoc *a, uint64_t key, uint64_t index, uint64_t *evicted);
/* Insert a key known to be absent; returns the key it evicted or ASSOC_INVALID. */
uint64_t assoc_insert(struct assoc *a, uint64_t key, uint64_t index, uint64_t val);
/* Drop one key if present; returns 1 when it was present. */
int assoc_invalidate(struct assoc *a, uint64_t key, uint64_t index);
/* Drop every key for which match(ctx, key) is nonzero; returns how many. */
uint32_t assoc_invalidate_if(struct assoc *a, int (*match)(void *ctx, uint64_t key), void *ctx);
void assoc_flush(struct assoc *a);

static inline uint32_t assoc_set_of(const struct assoc *a, uint64_t index)
{
    return (uint32_t)(a->sets_pow2 ? (index & a->set_mask) : (index % a->sets));
}

#endif
