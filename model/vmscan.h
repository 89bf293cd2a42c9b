/* vmscan.h - page reclaim (mm/vmscan.c, mm/swap.c, mm/workingset.c): LRU lists over
 * physical frames, the second-chance rule, the inactive/active balance, swappiness,
 * shrinking in batches of SWAP_CLUSTER_MAX, shadow entries and refault distances, kswapd's
 * wake/sleep rule; and, for research, exact LRU, FIFO, CLOCK and Belady's OPT.
 *
 * The module knows frames (pfn), not page tables. Its state per frame lives in the frame's
 * struct page (model/page.h: the LRU links and list, the LRU flags, the writeback epoch);
 * PG_dirty there is the page cache's, which vmscan reads to send a dirty file page to
 * pageout. The caller (reclaim.c) adds a frame when a page is mapped, tells it about
 * accesses, and gets a callback for each frame chosen for eviction, in which it unmaps
 * the page, writes it to swap or back to its file, stores the shadow entry handed to it,
 * and frees the frame. One `struct vmscan` per simulation. */
#ifndef MMSIM_VMSCAN_H
#define MMSIM_VMSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "model/config_key.h"

#define SWAP_CLUSTER_MAX 32
#define DEF_PRIORITY 12
#define VMSCAN_NO_NEXT_USE UINT64_MAX /* OPT: never referenced again */

enum vmscan_policy {
    VMSCAN_KERNEL = 0, /* active/inactive anon and file lists, second chance */
    VMSCAN_LRU,        /* exact LRU over all frames (every access moves the frame) */
    VMSCAN_FIFO,       /* evict in the order pages came in */
    VMSCAN_CLOCK,      /* one reference bit, the hand clears it and gives a second chance */
    VMSCAN_OPT,        /* Belady: the page used farthest in the future (offline) */
    VMSCAN_NR_POLICIES
};

enum lru_list {
    LRU_INACTIVE_ANON = 0,
    LRU_ACTIVE_ANON = 1,
    LRU_INACTIVE_FILE = 2,
    LRU_ACTIVE_FILE = 3,
    LRU_UNEVICTABLE = 4,
    NR_LRU_LISTS
};

struct vmscan_config {
    enum vmscan_policy policy;
    unsigned swappiness;  /* 0..200, default 60 */
    unsigned lru_batch;   /* pages a CPU's LRU add batch holds before they reach the lists (31); 0: none */
    unsigned page_shift;  /* 12 */
    unsigned ncpu;        /* CPUs, each with its batch (1 when 0) */
};

/* The keys of [vmscan] (model/config_key.h) with their defaults (kernel, swappiness 60)
 * and ranges, read by the config engine into `struct mmsim_config`'s vmscan member. */

extern const struct cfg_key vmscan_config_keys[];
/* The table's defaults, and 4 KiB pages. */
void vmscan_config_defaults(struct vmscan_config *c);
/* "kernel", "lru", "fifo", "clock", "opt" -> 0, or -1. */
int vmscan_policy_parse(const char *s, enum vmscan_policy *p);
const char *vmscan_policy_name(enum vmscan_policy p);

/* The counters of /proc/vmstat this module keeps. */
struct vmscan_stats {
    uint64_t pgscan_kswapd, pgscan_direct;
    uint64_t pgsteal_kswapd, pgsteal_direct;
    uint64_t pgsteal_anon, pgsteal_file;
    uint64_t pgactivate, pgdeactivate, pgrefill, pgrotated;
    uint64_t pgwriteback;           /* dirty file pages written before their frame was reused */
    uint64_t workingset_refault_anon, workingset_refault_file;
    uint64_t workingset_activate_anon, workingset_activate_file;
    uint64_t workingset_restore_anon, workingset_restore_file;
    uint64_t kswapd_wakeups, direct_reclaims, reclaim_failures;
};

struct vmscan;

struct page;
/* Lists over pages[0, nframes), the memory system's array; pages NULL: an array of its
 * own (vmscan_simulate, tests). NULL when memory runs out. */
struct vmscan *vmscan_new(struct page *pages, uint64_t nframes, const struct vmscan_config *c);
void vmscan_free(struct vmscan *v);
enum vmscan_policy vmscan_policy(const struct vmscan *v);

/* ---- frames entering and leaving the lists ---- */
#define VMSCAN_ANON 1u       /* swap-backed (anonymous, shmem) */
#define VMSCAN_ACTIVE 2u     /* start on the active list (a workingset refault) */
#define VMSCAN_WORKINGSET 4u /* PG_workingset (restored by a refault) */
#define VMSCAN_EXEC 8u       /* mapped executable: referenced file text stays active */
#define VMSCAN_UNEVICTABLE 16u /* mlocked, never reclaimed */

/* A newly mapped page; next_use is for OPT (VMSCAN_NO_NEXT_USE if unknown). Under the
 * kernel policy with lru_batch it waits in the current CPU's batch (folio_add_lru), seen by
 * no scan and no list size, until the batch is full or drained. */
void vmscan_add(struct vmscan *v, uint64_t pfn, unsigned flags, uint64_t next_use);
/* The CPU the next additions and drains happen on. */
void vmscan_set_cpu(struct vmscan *v, unsigned cpu);
/* lru_add_drain(): the current CPU's batch goes to the lists (a scan does it first; so do
 * swap readahead's end and munmap). */
void vmscan_lru_add_drain(struct vmscan *v);
/* The frame was freed by its owner (munmap, exit, COW break). */
void vmscan_del(struct vmscan *v, uint64_t pfn);
int vmscan_on_lru(const struct vmscan *v, uint64_t pfn);
enum lru_list vmscan_frame_list(const struct vmscan *v, uint64_t pfn);
int vmscan_frame_referenced(const struct vmscan *v, uint64_t pfn); /* PG_referenced */

/* ---- accesses ---- */
/* A load or store through a mapping: the kernel policy sees it as the PTE accessed bit
 * (set by the page walk, so the engine may call this only on TLB misses); the research
 * policies see every access (LRU moves the frame, CLOCK sets its bit, OPT takes next_use). */
void vmscan_access(struct vmscan *v, uint64_t pfn, uint64_t next_use);
/* folio_mark_accessed(): read()/write() of a cached file page, not through a mapping:
 * inactive,unreferenced -> inactive,referenced -> active,unreferenced -> active,referenced. */
void vmscan_mark_accessed(struct vmscan *v, uint64_t pfn);
/* Simulated time moved on: the writebacks queued so far are done (a page written back by
 * reclaim cannot be freed until then, so never by the reclaim pass that wrote it). */
void vmscan_io_epoch(struct vmscan *v);
/* The swap write of an anonymous page reclaim kept under writeback is done (end_page_writeback
 * -> folio_rotate_reclaimable): it is clean, and if still on an inactive list it moves to the
 * tail, the next to be scanned (pgrotated). An anonymous page's writeback ends only here, not
 * with the I/O epoch: its owner knows when the device completes it. */
void vmscan_end_writeback(struct vmscan *v, uint64_t pfn);

/* ---- reclaim ---- */
/* Called for each frame chosen for eviction, already taken off the lists, in one of two
 * ways:
 * - dirty = 1 (a dirty file page; anon 0, shadow 0): pageout(). The callee queues the
 *   write to the file and returns 1; the page stays, clean and under writeback, at the
 *   head of its inactive list, to go on a later pass once the write is done.
 * - dirty = 0: the callee unmaps the page; for an anonymous page not in the swap cache it
 *   allocates a swap slot and queues the write; it stores `shadow` where the page was
 *   (swap entry or page cache slot) for a later vmscan_refault(), and frees the frame.
 *   Or, for an anonymous page whose swap write is queued on an asynchronous device, it
 *   keeps the frame in the swap cache and returns 1: the page stays, under writeback, at
 *   the head of its inactive list until vmscan_end_writeback().
 * Return 0 when done as asked, -1 when the frame cannot go (no swap slot, a mapped file
 * page): it is activated (the OPT policy puts it back for the next round instead). */
typedef int (*vmscan_evict_fn)(void *ctx, uint64_t pfn, int anon, int dirty, uint64_t shadow);

struct scan_control {
    uint64_t nr_to_reclaim;
    int may_swap;       /* swap has free slots: anonymous pages may be reclaimed */
    int is_kswapd;      /* counts as kswapd (else direct) reclaim */
    int file_is_tiny;   /* file + free pages under the high watermark: scan anon only */
    int cgroup_reclaim; /* a memory cgroup's reclaim (never file_is_tiny) */
    /* optional hooks of the owner (ctx of the evict callback): batch_done after each
     * batch of the kernel policy (the scan took time: writes of earlier shrinks may have
     * completed, ended with vmscan_end_writeback); wait_writeback for an anonymous page under
     * writeback met by the scan: wait until its write is done and return 1, or return 0
     * (no waiting: the page stays) */
    void (*batch_done)(void *ctx, const struct scan_control *sc);
    void (*level_done)(void *ctx, const struct scan_control *sc); /* after each priority */
    int (*wait_writeback)(void *ctx, uint64_t pfn);
    /* results */
    uint64_t nr_scanned, nr_reclaimed;
    uint64_t nr_swap_writeback; /* anonymous pages queued for a swap write and kept in the
                                   swap cache: not reclaimed (the kernel counts them in
                                   pgscan and pswpout, not in nr_reclaimed) */
    int priority;       /* the priority at which reclaim stopped */
    unsigned retries;   /* descents repeated because one freed nothing (do_try_to_free_pages:
                           memcg_full_walk, then force_deactivate if an active list was
                           skipped); 0 or 1 or 2, always 0 for kswapd */
};

/* do_try_to_free_pages()/balance_pgdat(): shrink from DEF_PRIORITY down to 0 until
 * nr_to_reclaim frames are freed; direct reclaim that freed nothing descends again (see
 * retries). An active list is shrunk at a priority only if refaults activated pages since
 * the last reclaim or its inactive list is low (prepare_scan_control), as the statistics
 * say. Returns nr_reclaimed. */
uint64_t vmscan_shrink(struct vmscan *v, struct scan_control *sc, vmscan_evict_fn evict,
                       void *ctx);

/* The list lengths, as /proc/meminfo's Active(anon) etc. */
uint64_t vmscan_lru_pages(const struct vmscan *v, enum lru_list l);
/* inactive_is_low(): inactive * int_sqrt(10 * GB of both lists) < active. */
int vmscan_inactive_is_low(const struct vmscan *v, int file);
unsigned vmscan_inactive_ratio(uint64_t lru_pages, unsigned page_shift);
/* A memory cgroup's reclaim reads the list sizes from the group's statistics, which the
 * kernel flushes every FLUSH_TIME (2 s; a reclaim's own flush is rate-limited to one in
 * 4 s): inactive_is_low() and the refault test (workingset_test_recent) see the sizes of
 * the last flush. vmscan_use_flushed_stats: from now on (a new group: all sizes 0 until the
 * first flush); vmscan_flush_stats: a flush, now. */
void vmscan_use_flushed_stats(struct vmscan *v);
void vmscan_flush_stats(struct vmscan *v);

/* The shadow entry that an eviction now would leave (eviction clock and PG_workingset);
 * the callback receives it, callers may also use it to test refault logic. Never 0. */
uint64_t vmscan_pack_shadow(const struct vmscan *v, int workingset);
/* A fault found a shadow entry: counts workingset_refault and decides whether the page
 * was recently evicted (refault distance <= workingset size): returns the flags to add
 * the page with (VMSCAN_ANON as given, plus VMSCAN_ACTIVE and VMSCAN_WORKINGSET when the
 * kernel would activate and restore it). *distance receives the refault distance. */
unsigned vmscan_refault(struct vmscan *v, uint64_t shadow, int anon, int swap_available,
                        uint64_t *distance);
uint64_t vmscan_nonresident_age(const struct vmscan *v);

/* ---- kswapd ---- */
enum vmscan_alloc_action { VMSCAN_ALLOC_OK = 0, VMSCAN_WAKE_KSWAPD, VMSCAN_DIRECT_RECLAIM };
/* The allocator's view: free pages vs the watermarks (__alloc_pages: fast path above low;
 * below low wake kswapd; below min reclaim directly). Counts wakeups of a sleeping kswapd. */
enum vmscan_alloc_action vmscan_alloc_check(struct vmscan *v, uint64_t free_pages,
                                            uint64_t wmark_min, uint64_t wmark_low);
int vmscan_kswapd_awake(const struct vmscan *v);
/* The outcome of a reclaim pass: kswapd gives up after MAX_RECLAIM_RETRIES (16) balancing
 * runs that free nothing (pgdat->kswapd_failures) and is not woken again until some
 * reclaim frees a page. */
void vmscan_note_reclaim(struct vmscan *v, int is_kswapd, uint64_t reclaimed);
unsigned vmscan_kswapd_failures(const struct vmscan *v);
/* kswapd after a balancing round: it goes back to sleep once free pages reach high.
 * Returns 1 when it sleeps. */
int vmscan_kswapd_try_sleep(struct vmscan *v, uint64_t free_pages, uint64_t wmark_high);

const struct vmscan_stats *vmscan_stats(const struct vmscan *v);

/* ---- offline helpers ---- */
/* Belady pre-pass: next[i] = the smallest j > i with keys[j] == keys[i], or
 * VMSCAN_NO_NEXT_USE. keys are page identities (e.g. pid << 48 | vpn). -1 on no memory. */
int vmscan_next_use(const uint64_t *keys, size_t n, uint64_t *next);
/* Replays a key stream through nframes frames under a policy (all pages clean and
 * evictable); returns the number of misses, or UINT64_MAX on no memory. For tests and
 * miss curves. */
uint64_t vmscan_simulate(enum vmscan_policy p, const uint64_t *keys, size_t n, uint64_t nframes);

#endif
