/* page_alloc.h - physical memory: a buddy allocator over real frame numbers, zones with
 * watermarks, migrate types, /proc/buddyinfo and fragmentation indices (mm/page_alloc.c).
 *
 * Frames are numbered from 0 (pfn); the physical address of a frame is pfn << page_shift.
 * One `struct page_alloc` is one machine's memory; it holds no global state. */
#ifndef MMSIM_PAGE_ALLOC_H
#define MMSIM_PAGE_ALLOC_H

#include <stdint.h>
#include <stdio.h>

#define PA_MAX_ORDER 10 /* MAX_PAGE_ORDER: orders 0..10 */
#define PA_NR_ORDERS (PA_MAX_ORDER + 1)
#define PA_NO_PFN UINT64_MAX

enum pa_migratetype { PA_UNMOVABLE = 0, PA_MOVABLE = 1, PA_RECLAIMABLE = 2, PA_NR_MIGRATETYPES };

/* Watermark levels an allocation may dip to. */
enum pa_watermark { PA_WMARK_MIN = 0, PA_WMARK_LOW = 1, PA_WMARK_HIGH = 2, PA_WMARK_NONE = 3 };

struct page_alloc;
struct page;

struct page_alloc_config {
    uint64_t total_pages;          /* frames managed (memory.size / page size) */
    unsigned page_shift;           /* 12 for 4 KiB, 14 for 16 KiB, 16 for 64 KiB */
    uint64_t min_free_kbytes;      /* 0: computed as the kernel does */
    unsigned watermark_scale_factor; /* default 10 */
    unsigned max_order;            /* 0: PA_MAX_ORDER; arm64 uses 11 with 16 KiB and 13 with
                                    * 64 KiB pages (ARCH_FORCE_MAX_ORDER), at most PA_ORDER_LIMIT */
    struct page *pages;            /* the memory system's struct pages (model/page.h), at least
                                    * total_pages; NULL: the allocator keeps an array of its own */
};

#define PA_ORDER_LIMIT 13

struct page_alloc *page_alloc_new(const struct page_alloc_config *cfg);
void page_alloc_free_all(struct page_alloc *pa);

/* Allocate 2^order frames; returns the first pfn, or PA_NO_PFN when no block is free
 * above the given watermark (PA_WMARK_NONE ignores watermarks). */
uint64_t page_alloc_alloc(struct page_alloc *pa, unsigned order, enum pa_migratetype mt,
                          enum pa_watermark wmark);
void page_alloc_release(struct page_alloc *pa, uint64_t pfn, unsigned order);

uint64_t page_alloc_free_pages(const struct page_alloc *pa);
uint64_t page_alloc_total_pages(const struct page_alloc *pa);
uint64_t page_alloc_wmark(const struct page_alloc *pa, enum pa_watermark w);
/* nr_free per order, summed over migrate types. */
uint64_t page_alloc_nr_free(const struct page_alloc *pa, unsigned order);
/* /proc/buddyinfo line for this zone. */
void page_alloc_buddyinfo(const struct page_alloc *pa, FILE *f);
/* __fragmentation_index and unusable free index for an order, times 1000 as the kernel. */
int page_alloc_fragmentation_index(const struct page_alloc *pa, unsigned order);
int page_alloc_unusable_index(const struct page_alloc *pa, unsigned order);

/* Added by the OS model (model/page_alloc.c). */
unsigned page_alloc_max_order(const struct page_alloc *pa);
unsigned page_alloc_pageblock_order(const struct page_alloc *pa);
uint64_t page_alloc_min_free_kbytes(const struct page_alloc *pa);
/* calculate_min_free_kbytes() for a machine of total_pages frames of 2^page_shift bytes. */
uint64_t page_alloc_calc_min_free_kbytes(uint64_t total_pages, unsigned page_shift);
uint64_t page_alloc_nr_free_mt(const struct page_alloc *pa, unsigned order, enum pa_migratetype mt);
enum pa_migratetype page_alloc_pageblock_mt(const struct page_alloc *pa, uint64_t pfn);
/* 1 when pfn heads an allocated block of exactly this order. */
int page_alloc_is_allocated(const struct page_alloc *pa, uint64_t pfn, unsigned order);
/* split_page(): an allocated block of 2^order frames becomes 2^order order-0 allocations
 * that can be released one by one (a THP split). Returns 0, -1 if pfn is not such a block. */
int page_alloc_split(struct page_alloc *pa, uint64_t pfn, unsigned order);
/* Releases refused because the pfn did not head an allocated block of that order. */
uint64_t page_alloc_bad_releases(const struct page_alloc *pa);
struct stat_out;
/* Publishes its statistics (statreg.h) as group `key`: free pages, watermarks, nr_free[]
 * (buddyinfo), fragmentation_index[], unusable_index[]. */
void page_alloc_publish_stats(const struct page_alloc *pa, struct stat_out *o, const char *key);

#endif
