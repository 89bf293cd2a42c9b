/* mrc.h - one-pass LRU miss-ratio curves at page granularity, exact or SHARDS-sampled, and
 * the thrashing curve (major faults and runtime against memory size) they predict.
 *
 * Feed page references with mrc_switch() and mrc_access() (or a whole trace with
 * mrc_add_trace() in mrc.c), then take the curve with mrc_curve(). An access spanning two
 * pages references both. Each process has its own address space: pages are keyed by
 * (process, virtual page). */
#ifndef MMSIM_MRC_H
#define MMSIM_MRC_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/stackdist.h"

#define MRC_MAX_PROCS 4095 /* processes told apart; later ones share the last key space */
#define MRC_SHARDS_MODULUS (1u << 24)
#define MRC_NEAR 64 /* sampled curves are exact up to this many pages */

struct mrc_opts {
    unsigned page_shift; /* log2 of the page size: 12 for 4 KiB */
    double sample_rate;  /* SHARDS rate in (0,1); 0 or >= 1: exact */
};

struct mrc {
    struct stackdist sd;
    unsigned page_shift;
    uint32_t threshold;   /* SHARDS: a page is sampled when its hash < threshold */
    int sampled;
    uint64_t proc_bits;   /* current process index << 52 */
    uint64_t accesses;    /* access records seen */
    uint64_t references;  /* page references, sampled or not */
    uint64_t last_key;    /* the page referenced last */
    uint64_t repeats;     /* references to the page referenced just before: distance 1, exact */
    /* sampled curves: the last MRC_NEAR distinct pages, most recent first, give the exact
     * distance of every reference up to MRC_NEAR; SHARDS estimates only the longer ones */
    uint64_t near[MRC_NEAR];
    uint32_t near_n;
    uint64_t near_hist[MRC_NEAR + 1];
    uint32_t npids;
    uint32_t pids[MRC_MAX_PROCS];
};

/* One step of the curve: at memory sizes from `pages` up to the next point, `misses`. */
struct mrc_point {
    uint64_t pages;
    double misses;
};

struct mrc_curve {
    uint64_t page_size;
    uint64_t accesses;   /* trace access records */
    uint64_t references; /* page references (an access spanning two pages counts two) */
    double cold;         /* first references (estimated when sampled) */
    double distinct;     /* distinct pages (estimated when sampled) */
    double rate;         /* sampling rate used (1 when exact) */
    size_t n;
    struct mrc_point *pts; /* increasing pages, non-increasing misses */
};

int mrc_init(struct mrc *m, const struct mrc_opts *opts); /* -1: out of memory / bad opts */
void mrc_free(struct mrc *m);
/* The following references belong to process `pid`. */
void mrc_switch(struct mrc *m, uint32_t pid);

static inline uint64_t mrc_sample_hash(uint64_t key)
{
    /* Independent of the stack's own hash so sampled keys do not cluster in its table. */
    return ((key + 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL) >> 40;
}

/* Out of line: a sampled curve's reference to another page than the last one. */
void mrc_sampled_ref(struct mrc *m, uint64_t key);

static inline void mrc_page_ref(struct mrc *m, uint64_t vpn)
{
    uint64_t key = vpn | m->proc_bits;
    m->references++;
    /* An immediate re-reference hits at every size: counted here, exactly, and kept out of
     * the stack (and the sample, which would scale its distance of 1 up to 1/rate pages). */
    if (key == m->last_key) {
        m->repeats++;
        return;
    }
    m->last_key = key;
    if (m->sampled)
        mrc_sampled_ref(m, key);
    else
        sd_access(&m->sd, key);
}

/* One access of `size` bytes (>= 1) at addr. */
static inline void mrc_access(struct mrc *m, uint64_t addr, unsigned size)
{
    uint64_t first = addr >> m->page_shift;
    uint64_t last = (addr + (size ? size - 1 : 0)) >> m->page_shift;
    m->accesses++;
    mrc_page_ref(m, first & ((1ULL << 52) - 1));
    if (last != first)
        mrc_page_ref(m, last & ((1ULL << 52) - 1));
}

/* Feeds every access of a .mmt trace (in mrc.c). Returns 0, or -1 with the reader's message
 * (file, byte offset) in err. */
int mrc_add_trace(struct mrc *m, const char *path, char *err, size_t errlen);

/* Builds the step curve. Returns 0, or -1 when memory is short (also when the stack ran out
 * of memory while counting). Free with mrc_curve_free(). */
int mrc_curve(const struct mrc *m, struct mrc_curve *c);
void mrc_curve_free(struct mrc_curve *c);
/* Misses of an LRU memory of `pages` pages (all references miss at 0 pages). */
double mrc_curve_misses(const struct mrc_curve *c, uint64_t pages);

/* The thrashing model: a memory of `pages` pages replaced in LRU order; a reference beyond
 * it that is not the page's first is a major fault (the page went to swap and comes back);
 * first references are minor faults. runtime = accesses * access_ns + cold * minor_ns +
 * major * device_ns. */
struct thrash_model {
    double access_ns;      /* base time of one access, everything else included */
    double minor_fault_ns; /* first touch of a page */
    double major_fault_ns; /* swap-in: the device's latency plus the fault's own cost */
};
struct thrash_point {
    double major_faults;
    double runtime_s;
};
struct thrash_point mrc_thrash_at(const struct mrc_curve *c, const struct thrash_model *tm,
                                  uint64_t pages);

/* The knee of a decreasing cost curve y(x) sampled at increasing x: the point just after the
 * largest drop of log(y) between neighbours, i.e. the smallest size that escapes the
 * steepest part of the cliff. Returns its index, or -1 with fewer than 2 points or no drop. */
long mrc_knee(const double *x, const double *y, size_t n);

#endif
