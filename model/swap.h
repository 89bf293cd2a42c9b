/* swap.h - swap space and the swap device (mm/swapfile.c, mm/swap_state.c, mm/page_io.c).
 *
 * Slots: one swap area of swap.size bytes, one slot per page, slot 0 holding the swap
 * header as in the kernel (so a device of N pages offers N - 1 slots). Slots are handed out
 * cluster by cluster (SWAPFILE_CLUSTER pages) so that pages reclaimed together sit together
 * and readahead finds them. Each slot has a use count (swap_map) for pages shared after fork.
 *
 * The device: a request arriving at time t waits for one of queue_depth slots, pays the
 * read or write latency, then moves its bytes over the device's single data channel at the
 * read or write bandwidth:
 *     start = max(t, earliest free queue slot)
 *     done  = max(start + latency, channel free) + bytes / bandwidth
 * With an idle channel this is done = max(t, slot) + latency + bytes / bandwidth; the
 * channel term keeps a deep queue from multiplying the bandwidth. A read does not wait for
 * the writes queued ahead of it, only for the one in transfer (at most a 1 MiB request) and
 * for earlier reads, and delays the writes behind it by its own transfer: the I/O
 * scheduler (mq-deadline) dispatches reads first.
 *
 * A real device's requests do not all take the same time; with swap.latency_cv > 0 each
 * request's latency is drawn from a lognormal of the configured mean and that coefficient of
 * variation (seeded by swap.seed): near a thrashing knee reclaim's outcome can turn on when
 * writes complete, and replays with several seeds show how far it does.
 *
 * Readahead (swap_cluster_readahead): a miss on slot s reads the aligned window of
 * 2^page_cluster slots around s, only slots in use, as one request. Synchronous devices
 * (zram) skip readahead and are read in the faulting task.
 * One `struct swap_dev` per simulation; no global state. */
#ifndef MMSIM_SWAP_H
#define MMSIM_SWAP_H

#include <stddef.h>
#include <stdint.h>

#include "model/config_key.h"

#define SWAP_NO_SLOT UINT64_MAX
#define SWAPFILE_CLUSTER 256 /* slots per allocation cluster (x86-64 without THP swap) */
#define SWAP_NAME_MAX 32



enum swap_dir { SWAP_READ = 0, SWAP_WRITE = 1 };

struct swap_config {
    char name[SWAP_NAME_MAX];   /* device preset name, for reports */
    uint64_t size;              /* swap.size in bytes; 0: no swap */
    unsigned page_size;         /* bytes per slot; 4096 */
    uint64_t read_latency_ns, write_latency_ns;
    uint64_t read_bandwidth, write_bandwidth; /* bytes per second; 0: no transfer term */
    unsigned queue_depth;       /* requests in flight; at least 1 */
    int synchronous;            /* zram-like: no readahead, no queueing, done in the task */
    int rotational;             /* a disk: readahead by swap slots (swap_cluster_readahead);
                                   otherwise by virtual address (swap_vma_readahead) */
    unsigned page_cluster;      /* readahead window 2^page_cluster; default 3 */
    unsigned ra_initial_hits;   /* readahead hits at the start (the kernel's boot value: 4) */
    double latency_cv;          /* spread of one request's latency (coefficient of variation of
                                   a lognormal whose mean is the configured latency); 0: fixed */
    uint64_t seed;              /* the draws of latency_cv: one seed, one replay */
};

/* The keys of [swap] (model/config_key.h), their defaults and ranges: no swap, the NVMe
 * preset's device (configs/swap/nvme.ini: 20 us reads, 16 us writes), page-cluster 3. The
 * config engine (model/config.c) reads them into `struct mmsim_config`'s swap member, which
 * is this struct; `config_load_swap` reads a device preset alone (mmsim mrc --swap-config). */
extern const struct cfg_key swap_config_keys[];
/* The table's defaults, and 4 KiB slots. */
void swap_config_defaults(struct swap_config *c);
/* The table's ranges (page_cluster 0..10, queue_depth 1..65536): 0, or -1 with a message. */
int swap_config_check(const struct swap_config *c, char *err, size_t errlen);
/* "50us", "4.16ms", "1200" (ns) -> nanoseconds. */
int swap_parse_duration(const char *s, uint64_t *ns);

struct swap_stats {
    uint64_t pswpin, pswpout;        /* pages read from / written to the device */
    uint64_t read_reqs, write_reqs;  /* device requests */
    uint64_t ra_pages;               /* pages read by readahead beyond the faulting one */
    uint64_t wait_ns;                /* queueing delay summed over requests */
    uint64_t busy_ns;                /* time the data channel was transferring */
    uint64_t slots_failed;           /* allocations with the device full */
};

struct swap_dev;

/* NULL when memory runs out; a size of 0 gives a device with no slots. */
struct swap_dev *swap_new(const struct swap_config *c);
void swap_free_dev(struct swap_dev *sw);
const struct swap_config *swap_config(const struct swap_dev *sw);

/* ---- slots ---- */
uint64_t swap_total_slots(const struct swap_dev *sw); /* usable: pages - 1 (header) */
uint64_t swap_used_slots(const struct swap_dev *sw);
/* A free slot with use count 1, or SWAP_NO_SLOT when the area is full. */
uint64_t swap_alloc_slot(struct swap_dev *sw);
/* Another reference (fork). */
void swap_dup_slot(struct swap_dev *sw, uint64_t slot);
/* Drop a reference; the slot is free when the count reaches 0. */
void swap_put_slot(struct swap_dev *sw, uint64_t slot);
unsigned swap_slot_count(const struct swap_dev *sw, uint64_t slot);

/* ---- device ---- */
/* Submit a request of npages pages at time now_ns; returns its completion time. */
uint64_t swap_submit(struct swap_dev *sw, uint64_t now_ns, enum swap_dir dir, unsigned npages);
/* With on, the completion time of every queued request (not a synchronous device's: it
 * raises no interrupt) is kept until taken, for the engine to charge the device's
 * interrupt to the CPU that takes it. Off by default. */
void swap_log_completions(struct swap_dev *sw, int on);
/* Copies up to max logged completion times (ns, in submission order) and removes them. */
size_t swap_take_completions(struct swap_dev *sw, uint64_t *out, size_t max);
/* The readahead window for a miss on slot: fills first and returns the number of slots
 * from first (inclusive) whose pages should be read, the faulting one included; 1 on a
 * synchronous device or with page_cluster 0. Only slots in use count; the window keeps
 * its alignment and skips the header slot. */
unsigned swap_readahead_window(const struct swap_dev *sw, uint64_t slot, uint64_t *first,
                               uint64_t *slots, unsigned max_slots);
/* ---- readahead windows (mm/swap_state.c) ----
 * __swapin_nr_pages: the window after a miss, from the readahead hits since the last one:
 * no hits -> 2 pages if offset is next to prev_offset, else 1; h hits -> h + 2 rounded up
 * to a power of two (at least 4); at most max_pages; never below half the last window. */
unsigned swap_ra_pages(uint64_t prev_offset, uint64_t offset, unsigned hits, unsigned max_pages,
                       unsigned prev_win);
/* swapin_nr_pages, for readahead by slot (swap_cluster_readahead): the window for a miss on
 * offset from the device's hits since the last miss (which it resets); prev_offset moves
 * only on a miss with no hits before it. 1 with page_cluster 0 or a synchronous device. */
unsigned swap_cluster_ra_pages(struct swap_dev *sw, uint64_t offset);
/* A page read ahead by slot was mapped (swap_update_readahead without a VMA window). */
void swap_ra_hit(struct swap_dev *sw);

/* Readahead by address (swap_vma_readahead): the state each VMA keeps in
 * swap_readahead_info (here one per address space): the last fault or hit, the last
 * window, the readahead hits since. A new one starts with swap.ra_initial_hits hits (the
 * kernel: GET_SWAP_RA_VAL gives 4 for a VMA that never swapped in). */
#define SWAP_RA_ORDER_CEILING 5 /* 64-bit: windows of at most 32 pages */
#define SWAP_RA_HITS_MAX 255
#define SWAP_PMD_PAGES 512      /* the window stays within one page table (2 MiB) */
struct swap_ra_state {
    uint64_t prev_page;
    unsigned win, hits;
};
/* swap_vma_ra_win: the window for a miss on virtual page fpage: win pages from
 * __swapin_nr_pages (max 2^min(page_cluster, 5)); placed from fpage onwards when the fault
 * follows the last one, ending at fpage when it precedes it, else centred
 * (fpage - (win - 1) / 2); clipped to fpage's 2 MiB page-table span (the caller clips to
 * its VMA). Returns win and the pages [*start, *end); the state records (fpage, win, 0). */
unsigned swap_vma_ra_window(struct swap_ra_state *st, uint64_t fpage, unsigned page_cluster,
                            uint64_t *start, uint64_t *end);
/* swap_update_readahead with a VMA: a fault found page in the swap cache; readahead: the
 * page had been read ahead and not used yet (PG_readahead), which counts a hit. */
void swap_vma_ra_hit(struct swap_ra_state *st, uint64_t page, int readahead);

/* Swap in slot at now_ns with readahead: returns the completion time; *ra receives the
 * other slots read (at most the swap_cluster_ra_pages window - 1) so the caller can put
 * them in the swap cache. */
uint64_t swap_read_fault(struct swap_dev *sw, uint64_t now_ns, uint64_t slot, uint64_t *ra,
                         unsigned *nra, unsigned max_ra);
const struct swap_stats *swap_stats(const struct swap_dev *sw);

#endif
