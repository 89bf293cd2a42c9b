/* tlb.h - one translation cache (a TLB level, or a paging-structure cache) of one CPU.
 *
 * A level holds up to three page-size classes (base page, 2M, 1G with 4 KiB pages), either
 * together in one array or in one array per size. Entries are tagged with an ASID (PCID);
 * flushing on a context switch is the caller's choice. The payload of an entry is the leaf
 * page-table entry (frame and permissions). */
#ifndef MMSIM_TLB_H
#define MMSIM_TLB_H

#include <stdint.h>

#include "model/assoc.h"
#include "model/pgtable.h"

#define TLB_NR_PSIZES 3
#define TLB_ASID_BITS 12

/* A store goes through an entry only when its PTE is writable AND dirty (for the entry
 * used last, kept as one flag: one test on the hot path). A store that meets a writable but clean
 * entry takes the hardware's dirty-bit assist instead: the entry is dropped, the page walk
 * sets the PTE's dirty bit (no fault) and the entry is filled again, dirty. */
#define TLB_STORE_BITS (PTE_WRITE | PTE_DIRTY)

static inline int tlb_store_ok(uint64_t pte) { return (pte & TLB_STORE_BITS) == TLB_STORE_BITS; }

/* The hot path counts only hits by page size and misses: lookups and hits are derived by
 * tlb_stats_get() (lookups = hits + misses). */
struct tlb_stats {
    uint64_t lookups, hits, misses;
    uint64_t hits_ps[TLB_NR_PSIZES];   /* hits by the page size of the entry */
    uint64_t misses_ps[TLB_NR_PSIZES]; /* misses by the page size the walk found */
    uint64_t fills, evictions, invalidations, flushes;
};

struct tlb {
    char name[32];
    uint32_t latency;
    uint32_t page_sizes;                 /* mask of size classes held */
    int next;                            /* index of the next level in the CPU's array, -1 */
    unsigned shift[TLB_NR_PSIZES];       /* page shift of each size class */
    unsigned narrays;
    struct assoc arr[TLB_NR_PSIZES];
    int arr_of[TLB_NR_PSIZES];           /* array holding each size, -1 none */
    uint32_t nvalid[TLB_NR_PSIZES];      /* valid entries of each size (skip empty probes) */
    /* the entry hit or filled last: hitting it again changes no replacement state */
    uint64_t last_vpn;                   /* va >> last_shift, or UINT64_MAX */
    unsigned last_shift, last_asid, last_psize;
    uint64_t last_val;
    int last_store;                      /* tlb_store_ok(last_val): one test on the hot path */
    uint64_t last_pa_base, last_mask; /* frame address and offset mask of that entry */
    struct tlb_stats st;
};

struct tlb_config;
/* shifts: the page shift of each size class (12, 21, 30 for 4 KiB base pages). */
int tlb_init(struct tlb *t, const struct tlb_config *cfg, const unsigned shifts[TLB_NR_PSIZES]);
void tlb_destroy(struct tlb *t);

/* Looks va up (counting one lookup); returns the size class hit and the entry in *val, or
 * -1 on a miss. */
int tlb_lookup_slow(struct tlb *t, uint64_t va, unsigned asid, uint64_t *val);

static inline int tlb_lookup(struct tlb *t, uint64_t va, unsigned asid, uint64_t *val)
{
    if ((va >> t->last_shift) == t->last_vpn && asid == t->last_asid) {
        t->st.hits_ps[t->last_psize]++;
        *val = t->last_val;
        return (int)t->last_psize;
    }
    return tlb_lookup_slow(t, va, asid, val);
}

/* Installs a translation of size class psize (ignored when this level does not hold it). */
void tlb_fill(struct tlb *t, uint64_t va, unsigned asid, unsigned psize, uint64_t val);
/* Drops one translation of va (any size) for asid. */
void tlb_invalidate_page(struct tlb *t, uint64_t va, unsigned asid);
/* Drops every translation overlapping [start, end) for asid. */
void tlb_invalidate_range(struct tlb *t, uint64_t start, uint64_t end, unsigned asid);
void tlb_flush_asid(struct tlb *t, unsigned asid);
void tlb_flush_all(struct tlb *t);
/* The counters with lookups and hits filled in. */
void tlb_stats_get(const struct tlb *t, struct tlb_stats *out);
/* Entries a level holds in total. */
uint32_t tlb_capacity(const struct tlb *t);

#endif
