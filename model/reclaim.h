/* reclaim.h - memory pressure on the fault path: the reverse map from frames to the pages
 * mapping them (mm/rmap.c), swap entries of evicted anonymous pages and their swap-in with
 * readahead (do_swap_page, swapin_readahead), the allocation slow path with kswapd and
 * direct reclaim (__alloc_pages_slowpath, try_to_free_pages, balance_pgdat), and the TLB
 * shootdowns each eviction owes the engine.
 *
 * memory.c owns one `struct reclaim` per memsys when memory is limited and calls it at
 * the points named below; reclaim.c works on the memsys's pages and address spaces
 * directly (model/mm_internal.h). The LRU decisions are vmscan.c's, the device is
 * swap.c's. */
#ifndef MMSIM_RECLAIM_H
#define MMSIM_RECLAIM_H

#include <stddef.h>
#include <stdint.h>

#include "model/oom_kill.h"
#include "model/page_alloc.h"
#include "model/swap.h"
#include "model/memcg_stock.h"
#include "model/vmscan.h"

struct mm;
struct pgtable;
struct json;

struct reclaim_config {
    struct vmscan_config vm;
    struct swap_config swap;
    unsigned page_shift;
    uint64_t scan_cycles;    /* CPU cycles to scan one LRU page (isolate, check references) */
    uint64_t evict_cycles;   /* CPU cycles to unmap one page and queue its write */
    uint64_t evict_clean_cycles; /* CPU cycles to unmap and free a page that needs no write */
    uint64_t read_req_cycles;    /* CPU cycles of a swap read request to its submitter */
    uint64_t write_req_cycles;   /* ... of a swap write request */
    double freq_ghz;         /* ns of synchronous swap (zram) become CPU cycles */
    uint64_t memcg_limit_pages; /* one memory cgroup over every process; 0: none */
    uint64_t memcg_stats_flush_ns; /* the group's statistics flush period; 0: exact */
    unsigned memcg_version;        /* 1: cgroup v1 (reclaim waits on writeback), 2 */
    unsigned memcg_charge_batch;   /* pages a charge takes into the CPU's stock; 0: no stock */
    uint64_t memcg_stock_drain_ns; /* drain_all_stock reaches another CPU's stock this later */
    unsigned nr_cpus;              /* CPUs, one charge stock each */
    int log_io_completions;        /* keep the swap device's completion times (its interrupts) */
};
void reclaim_config_defaults(struct reclaim_config *c);

struct reclaim;

struct memsys;
/* Reclaim over the frames of ms's buddy allocator: the reverse map, the LRU state and the
 * swap cache live in ms's struct pages; evicting a page unmaps it from its address space
 * and updates the counters memory.c keeps (mm_page_reclaimed, mm_page_swapped_in) and the
 * page cache (pc_remove_page, pc_page_written). NULL when memory runs out or the swap
 * device cannot be set up. */
struct reclaim *reclaim_new(struct memsys *ms, const struct reclaim_config *c);
void reclaim_free(struct reclaim *r);

/* The simulated time, for the swap device's queue; set before each fault. */
void reclaim_set_time(struct reclaim *r, uint64_t now_ns);
/* The CPU the faulting task runs on (its memcg charges use that CPU's stock); set before
 * each fault. */
void reclaim_set_cpu(struct reclaim *r, unsigned cpu);

/* ---- allocation ---- */
/* A user page: above LOW at once; else wake kswapd and try above MIN; else reclaim
 * directly (SWAP_CLUSTER_MAX at a time, up to 16 rounds) and retry. PA_NO_PFN when even
 * that fails: the caller goes OOM. The CPU cost of direct reclaim is added to *cycles and
 * *stalled is set when the task reclaimed (a memory stall for PSI). */
uint64_t reclaim_alloc(struct reclaim *r, enum pa_migratetype mt, uint64_t *cycles, int *stalled);
/* The same for a page the group is not charged for (a page-cache page another group read
 * first): the node's watermarks and reclaim, not the group's limit. */
uint64_t reclaim_alloc_uncharged(struct reclaim *r, enum pa_migratetype mt, uint64_t *cycles, int *stalled);
/* Charge (pages > 0) or uncharge kernel memory of the group's tasks: page tables and
 * kernel stacks (memory.kmem.usage_in_bytes). Reclaims first at the limit. */
void reclaim_memcg_kmem(struct reclaim *r, int64_t pages, uint64_t *cycles);

/* ---- pages ---- */
#define RECLAIM_ANON 1u
#define RECLAIM_YOUNG 2u /* mapped by the access that faulted: accessed bit set */
/* A user page was mapped at (mm, va) in frame pfn. */
void reclaim_page_added(struct reclaim *r, uint64_t pfn, struct mm *mm, uint64_t va, unsigned flags);
/* A page entered the page cache of file at pgoff: it joins the file LRU, active when it
 * refaults within the workingset (its shadow says so). */
void reclaim_file_page_added(struct reclaim *r, uint64_t pfn, uint32_t file, uint64_t pgoff);
/* Was (file, pgoff) evicted by reclaim (a shadow entry is left)? Then it must be read. */
int reclaim_file_evicted(const struct reclaim *r, uint32_t file, uint64_t pgoff);
/* The owner freed the frame (munmap, exit, COW): leave the LRU and the reverse map. */
void reclaim_page_freed(struct reclaim *r, uint64_t pfn);
/* The page walker set the accessed bit of the PTE mapping pfn (the engine, on a TLB miss). */
void reclaim_page_accessed(struct reclaim *r, uint64_t pfn);

/* ---- swap-in ---- */
struct swapin_result {
    uint64_t pfn;        /* the frame now mapped at va */
    uint64_t io_ns;      /* the task waits this long (0 on zram: it is CPU time) */
    uint64_t cycles;     /* CPU cycles (zram decompression, direct reclaim) */
    unsigned readahead;  /* other pages brought in and mapped */
    int stalled;         /* the task reclaimed directly */
};
/* A fault on (mm, va) with no PTE: 0 when va has no swap entry; 1 when it was swapped in
 * and mapped (a major fault); 2 when its page was in the swap cache (readahead) and is
 * mapped now (a minor fault); -1 when no frame could be had (OOM). pte_flags: the PTE a
 * write fault would get (PTE_WRITE | PTE_DIRTY: the page leaves the swap cache, its slot
 * freed), or a read fault's: PTE_WRITE without PTE_DIRTY when the VMA is writable (a page
 * held by this address space alone is mapped writable and clean and stays in the swap
 * cache: a store sets the PTE's dirty bit, and reclaim writes it to its slot again only
 * then), no PTE_WRITE for a read-only one. */
int reclaim_swapin(struct reclaim *r, struct mm *mm, uint64_t va, unsigned pte_flags,
                   struct swapin_result *res);
/* A store to an anonymous page (a write fault on its read-only PTE): a page in the swap
 * cache leaves it and gives up its slot (it will be written again when reclaimed). */
void reclaim_anon_page_written(struct reclaim *r, uint64_t pfn);
int reclaim_has_swap_entry(const struct reclaim *r, const struct mm *mm, uint64_t va);
/* The page of va's swap entry is still in memory, in the swap cache (read ahead, or kept
 * while its swap write was in flight): a fault on it would be minor. */
int reclaim_swap_cached(const struct reclaim *r, const struct mm *mm, uint64_t va);
/* fork: the child gets the parent's swap entries, each slot one more reference
 * (swap_duplicate in copy_nonpresent_pte). Returns the number of entries copied. */
uint64_t reclaim_fork(struct reclaim *r, const struct mm *parent, struct mm *child);
/* Drop the swap entries of mm in [start, end) (end 0: all, at exit); returns how many. */
uint64_t reclaim_drop_swap(struct reclaim *r, const struct mm *mm, uint64_t start, uint64_t end);

/* ---- kswapd ---- */
int reclaim_kswapd_awake(const struct reclaim *r);
/* One balancing round of kswapd (up to SWAP_CLUSTER_MAX pages); returns its CPU cycles.
 * It sleeps again once free pages reach the high watermark. */
uint64_t reclaim_kswapd_run(struct reclaim *r);

/* The CPU cycles of the swap requests submitted since the last call (read_req_cycles and
 * write_req_cycles each): the caller's task submitted them. */
uint64_t reclaim_take_io_cycles(struct reclaim *r);

/* ---- what the engine must do after a fault ---- */
struct reclaim_inval {
    struct mm *mm;
    uint64_t va;
    uint32_t batch; /* the TLB flush that takes it: try_to_unmap_flush_dirty before each page
                     * written, try_to_unmap_flush at the end of a shrink batch */
};
/* A page the host unmapped for reclaim (a file page): its TLB entries must go. */
void reclaim_queue_inval(struct reclaim *r, struct mm *mm, uint64_t va);
/* Evicted pages whose TLB entries must go: copies up to max and removes them. */
size_t reclaim_take_invalidations(struct reclaim *r, struct reclaim_inval *out, size_t max);
/* With log_io_completions: the completion times (ns) of the swap requests queued since the
 * last take, up to max (swap_take_completions). */
size_t reclaim_take_completions(struct reclaim *r, uint64_t *out, size_t max);

/* ---- the memory cgroup ---- */
/* 1 when the last failed allocation hit the cgroup's limit (a CONSTRAINT_MEMCG OOM). */
int reclaim_memcg_oom(const struct reclaim *r);
/* The group: its limit, charged pages now and at most (of them kernel memory), and
 * charges that met the limit. */
const struct oom_memcg *reclaim_memcg(const struct reclaim *r);
/* Its per-CPU charge stocks (pages charged ahead, part of the usage). */
const struct memcg_stock *reclaim_memcg_stock(const struct reclaim *r);

/* ---- results ---- */
struct reclaim_counters {
    uint64_t pswpin, pswpout;        /* pages */
    uint64_t pgwriteback;            /* dirty file pages written back by reclaim (pages):
                                        vmscan_stats' count, copied here */
    uint64_t swap_ra, swap_ra_hit;   /* readahead pages read; faults served by the swap cache */
    uint64_t swapcache_pages;        /* pages in the swap cache now */
    uint64_t swapcache_add;          /* pages added to the swap cache (read from swap) */
    uint64_t swapcache_reclaimed;    /* swap-cache pages reclaimed without a write */
    uint64_t pgmajfault;             /* swap-ins */
    uint64_t alloc_stalls;           /* allocations that reclaimed directly */
    uint64_t writeback_waits;        /* a cgroup-v1 memcg's reclaim waited for a swap write */
    uint64_t kswapd_cycles, direct_cycles;
    uint64_t swap_used, swap_total;  /* slots now */
    uint64_t swap_used_peak;
};
void reclaim_counters(const struct reclaim *r, struct reclaim_counters *out);
const struct vmscan *reclaim_vmscan(const struct reclaim *r);
const struct swap_dev *reclaim_swap(const struct reclaim *r);
/* Publishes the "reclaim" group of statistics (statreg.h): vmstat-like counters, workingset,
 * LRU sizes, the swap device. */
struct stat_out;
void reclaim_publish_stats(const struct reclaim *r, struct stat_out *o);

#endif
