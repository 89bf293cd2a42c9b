/* page.h - struct page: what the OS model knows about one physical frame, one record per
 * frame (the kernel's mem_map of struct page, include/linux/mm_types.h).
 *
 * The memory system (memory.c) owns the array, `struct memsys`'s `pages`, indexed by pfn,
 * and hands a pointer to it to the modules that keep per-frame state, which all work on
 * the same record:
 *   - page_alloc.c: `buddy`, the state of a free or allocated block's head;
 *   - memory.c, filemap.c, fork.c, mmap.c: `kind`, `order`, `mapcount`, the file and index
 *     of a page-cache page (in `key`), PG_dirty;
 *   - vmscan.c: the LRU links, `lru`, the LRU flags, `wb_epoch`;
 *   - reclaim.c: the reverse map (`rmap` and `key`); swap_state.c: `swap`, the slot of a
 *     page in the swap cache.
 * The record is 32 bytes, and it is the host memory a simulated page costs beyond the
 * engine's page tables (docs/replay.md), so fields are packed: `key` is both the page
 * cache's (file, index) and the reverse map's (address space, virtual page).
 *
 * A page's life: free (buddy) -> mapped (kind, mapcount, rmap) -> on an LRU list ->
 * chosen by vmscan -> for an anonymous page, written to swap (the PTE holds the swap
 * entry, the frame is free again) -> swapped in: into the swap cache (`swap`), mapped
 * again -> freed by munmap, exit or COW. docs/design.md draws it. */
#ifndef MMSIM_PAGE_H
#define MMSIM_PAGE_H

#include <stdint.h>

/* What a frame holds, for memory.c (FK_FREE also for frames only swap_state.c uses: pages
 * read ahead into the swap cache, not mapped yet). */
enum frame_kind { FK_FREE = 0, FK_ANON, FK_FILE, FK_PGTABLE, FK_ZERO, FK_TAIL };

/* Who owns a frame for the reverse map (reclaim.c): an anonymous page mapped at `key`'s
 * (address space, virtual page), a page-cache page at `key`'s (file, index), or a page in
 * the swap cache mapped by nobody yet (readahead), `key` being its slot. */
enum rmap_kind { RMAP_NONE = 0, RMAP_ANON, RMAP_FILE, RMAP_SWAPCACHE };

/* Page flags. PG_dirty is the page cache's (filemap.c sets it, pageout clears it); the
 * others are vmscan.c's and leave with the page when it leaves the LRU. */
#define PG_LRU 0x001u         /* on an LRU list */
#define PG_SWAPBACKED 0x002u  /* anonymous (or shmem): reclaimed to swap */
#define PG_ACTIVE 0x004u
#define PG_REFERENCED 0x008u  /* second chance */
#define PG_YOUNG 0x010u       /* some PTE mapping it has the accessed bit */
#define PG_BATCHED 0x020u     /* in a CPU's LRU add batch (lru_add): tracked, on no list yet */
#define PG_WORKINGSET 0x040u
#define PG_EXEC 0x080u        /* mapped executable */
#define PG_UNEVICTABLE 0x100u /* mlocked */
#define PG_WRITEBACK 0x200u   /* written back in I/O epoch wb_epoch, not done yet */
#define PG_DIRTY 0x400u       /* a page-cache page written since its last writeback */
#define PG_LRU_MASK 0x3ffu    /* the flags vmscan.c owns */

/* A file page's key: file << PAGE_FILE_SHIFT | index (the index is below 2^32). */
#define PAGE_FILE_SHIFT 40

struct page {
    uint32_t lru_prev, lru_next; /* vmscan.c: towards the head (newer) and the tail (older) */
    uint64_t key;                /* see page_file / page_index and enum rmap_kind */
    uint32_t mapcount;           /* page-table entries mapping it (the head's, for a huge page) */
    uint32_t swap;               /* in the swap cache: its slot + 1; 0: not */
    uint16_t flags;              /* PG_* */
    uint8_t kind;                /* enum frame_kind */
    uint8_t order;               /* a block's head: its order (memory.c's allocations) */
    uint8_t rmap;                /* enum rmap_kind */
    uint8_t lru;                 /* the list it is on (vmscan.c) */
    uint8_t wb_epoch;            /* PG_WRITEBACK: the I/O epoch of its write (mod 256) */
    uint8_t buddy;               /* page_alloc.c: the state of the block it heads */
};

static inline uint32_t page_file(const struct page *p) { return (uint32_t)(p->key >> PAGE_FILE_SHIFT); }
static inline uint32_t page_index(const struct page *p) { return (uint32_t)p->key; }
static inline uint64_t page_file_key(uint32_t file, uint64_t index)
{
    return ((uint64_t)file << PAGE_FILE_SHIFT) | (index & ((1ull << PAGE_FILE_SHIFT) - 1));
}

/* memory.c's part of a page starts afresh (a new allocation, a page evicted or swapped
 * in); the allocator's, the LRU's and the reverse map's parts are left alone. */
static inline void page_reset(struct page *p, enum frame_kind kind, uint32_t mapcount)
{
    p->key = 0;
    p->mapcount = mapcount;
    p->flags &= (uint16_t)~PG_DIRTY;
    p->kind = (uint8_t)kind;
    p->order = 0;
}

#endif
