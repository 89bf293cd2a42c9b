/* reclaim_internal.h - the insides of reclaim, shared by reclaim.c (the reverse map, swap
 * entries, eviction, the allocation slow path, kswapd's round: mm/rmap.c, mm/vmscan.c's
 * callers, mm/swapfile.c) and swap_state.c (the swap cache and swap-in with readahead:
 * mm/swap_state.c, do_swap_page's part). Not for users of reclaim: they include
 * model/reclaim.h. */
#ifndef MMSIM_RECLAIM_INTERNAL_H
#define MMSIM_RECLAIM_INTERNAL_H

#include <stdint.h>

#include "model/memcg_stock.h"
#include "model/mm_internal.h"
#include "model/oom_kill.h"
#include "model/page.h"
#include "model/reclaim.h"
#include "model/u64map.h"

#define VPN_BITS 45              /* 57-bit virtual addresses with 4 KiB pages */
#define MAX_READAHEAD 64
#define WRITE_RUN_MAX 256        /* pages in one merged swap write */
#define BLK_MAX_REQUEST_COUNT 32 /* requests a block plug holds before it is flushed */
#define BLK_PLUG_FLUSH_SIZE (128u << 10) /* bytes of a plug's first request that flush it */

struct wb_pending {
    uint64_t pfn, done_ns;   /* done_ns UINT64_MAX: its write is still plugged */
};

struct plugged_run {
    unsigned len, kept;
};

/* The reverse map lives in struct page (model/page.h): `rmap` says who owns a tracked
 * frame and `key` where: for an anonymous page the swap key of its address (mm index <<
 * VPN_BITS | vpn, see make_key), for a page-cache page its file key (the page cache's own
 * file and index), for an unmapped swap-cache page (readahead) its slot. */
#define RMAP_KEY_MASK ((1ull << 62) - 1)

static inline void rmap_set(struct page *p, enum rmap_kind kind, uint64_t key)
{
    p->rmap = (uint8_t)kind;
    p->key = key & RMAP_KEY_MASK;
}

struct reclaim {
    struct reclaim_config cfg;
    struct memsys *ms;       /* the owner of the pages and the address spaces */
    struct page *pages;      /* ms->pages */
    struct page_alloc *pa;
    struct vmscan *vm;
    struct swap_dev *sw;
    uint64_t nframes;
    /* address spaces with swap entries are named by a small index in the keys */
    struct mm **mms;
    struct swap_ra_state *mm_ra; /* per index: readahead by address (per VMA in the kernel) */
    uint32_t nmms, capmms;
    struct u64map entries;   /* (mm index, vpn) -> swap slot */
    struct u64map file_shadows; /* file key -> shadow of an evicted page-cache page */
    uint64_t *slot_key;      /* per slot: the key that owns it */
    uint64_t *slot_shadow;   /* per slot: the workingset shadow of the evicted page */
    /* the swap cache (mm/swap_state.c): a page read from swap keeps its slot while it is
     * clean, so reclaiming it again costs no write; it holds one reference on the slot */
    uint32_t *slot_cache;    /* per slot: pfn + 1 of its page in the swap cache, 0: none */
    uint8_t *slot_ra;        /* per slot: its cached page was read ahead, not used yet
                                (PG_readahead); the first fault on it is a readahead hit */
    uint64_t nslots;
    /* consecutive swap-outs merge into one write, as the block layer merges bios */
    uint64_t run_first, run_len;
    uint32_t run_pfn[WRITE_RUN_MAX]; /* the run's pages kept in the swap cache meanwhile */
    unsigned run_npfn;
    /* anonymous pages under writeback, in the order their writes complete (the device
     * serves requests in order): the frame and the time its write is done */
    struct wb_pending *wb;
    size_t wb_head, wb_n, wb_cap;
    uint64_t sync_write_ns;  /* zram compression done by the current shrink */
    uint64_t shrink_start_ns; /* when the current shrink began */
    uint64_t shrink_end_ns;   /* when the last one ended (shrinks hold the LRU lock in turn) */
    uint64_t shrink_unmapped; /* pages the current shrink unmapped and wrote: each costs
                                 evict_cycles (an unmapped swap-cache page, freed after its
                                 write or unused readahead, costs only its scan) */
    uint64_t shrink_clean;    /* pages it unmapped or dropped with no write: evict_clean_cycles */
    /* A memcg's reclaim keeps the pages it writes in the swap cache (keep_writeback) and
     * queues its writes in a block plug (plugged), which goes to the device as the
     * kernel's does: by blk_add_rq_to_plug's rule, at the end of each priority when the plug
     * is the reclaim's own, when the task sleeps, and when the reclaim (or the swap-in's
     * readahead it runs in) ends (docs/validation-thrash.md). */
    int keep_writeback, plugged;
    /* The block plug's requests ahead of the held write runs (blk_add_rq_to_plug flushes
     * the plug when a new request comes to one holding BLK_MAX_REQUEST_COUNT requests or
     * whose first request has BLK_PLUG_FLUSH_SIZE bytes): a swap-in's readahead charges
     * its pages inside its own plug (swap_cluster_readahead, swap_vma_readahead), which
     * then holds that read first, and a reclaim the charge starts writes into it. */
    int swapin_plug;         /* the reclaim runs inside a swap-in's readahead plug */
    int plug_head_read;      /* the plug's first request is that read (under 128 KiB) */
    unsigned last_swapin_window; /* pages the last swap-in read (1: no readahead) */
    const struct scan_control *cur_sc; /* the shrink in progress */
    uint64_t shrink_wait_ns;   /* what it waited for writes (cgroup v1) */
    struct plugged_run *plug;  /* the runs held, in order: pages written, pages kept */
    size_t plug_n, plug_cap;
    size_t plug_kept;          /* wb entries at the queue's end waiting for their run */
    uint64_t now_ns;
    uint64_t stats_flush_ns, next_stats_flush_ns; /* the group's statistics flush (0: exact) */
    struct reclaim_inval *inval;
    size_t ninval;
    uint32_t inval_batch;      /* the current TLB flush, for the invalidations it queues */
    int inval_overflow;
    struct reclaim_counters c;
    struct oom_memcg memcg;  /* charged: the resident user pages reclaim tracks */
    uint64_t io_reads_taken, io_writes_taken; /* read requests, write submissions counted */
    uint64_t write_submissions; /* writes handed to the device at once: one doorbell each */
    uint64_t io_cycles;                       /* and the CPU cycles it returned */
    struct memcg_stock stock; /* the group's per-CPU charge stocks, part of memcg.usage */
    unsigned cpu;            /* the CPU the faulting task runs on */
    int memcg_oom;
};

/* reclaim.c */
void reclaim_memcg_charge(struct reclaim *r);
int reclaim_mm_index(const struct reclaim *r, const struct mm *mm);
int reclaim_mm_index_add(struct reclaim *r, struct mm *mm);
uint64_t reclaim_make_key(const struct reclaim *r, int idx, uint64_t va);
int reclaim_swap_has_room(const struct reclaim *r);

/* swap_state.c: the swap cache */
uint64_t swapcache_pfn(const struct reclaim *r, uint64_t slot);
int swapcache_insert(struct reclaim *r, uint64_t slot, uint64_t pfn);
int swapcache_slot_of(const struct reclaim *r, uint64_t pfn, uint64_t *slot);
void swapcache_remove(struct reclaim *r, uint64_t pfn);
void swapcache_drop_page(struct reclaim *r, uint64_t pfn);

#endif
