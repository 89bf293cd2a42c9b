/* mm_internal.h - the insides of the OS memory model, shared by the files that cut it as the
 * kernel does: memory.c (frames, address spaces, the fault paths, reports), filemap.c (the
 * page cache and its readahead, mm/filemap.c and mm/readahead.c), fork.c (dup_mmap and
 * copy_page_range) and mmap.c (the trace's mapping events applied to VMAs and pages). Not
 * for users of the model: they include model/memory.h. */
#ifndef MMSIM_MM_INTERNAL_H
#define MMSIM_MM_INTERNAL_H

#include <stdint.h>

#include "model/memory.h"
#include "model/mmap.h"
#include "model/page.h"
#include "model/page_alloc.h"
#include "model/pgtable.h"

#define NO_PFN PA_NO_PFN
#define PTE_ZERO PTE_SOFT1 /* this entry maps the (huge) zero page */
#define PTE_TOOL PTE_SOFT2 /* a page of a VMA_TOOL mapping: not in the process's RSS */

enum thp_mode { THP_NEVER = 0, THP_MADVISE = 1, THP_ALWAYS = 2 };

/* A file's pages in the page cache (the xarray of its address_space). */
struct pc_file {
    char *path;
    uint64_t inode;
    int shmem;          /* MAP_SHARED|MAP_ANONYMOUS or tmpfs: pages never need I/O */
    uint32_t *slot;     /* pgoff -> pfn + 1; 0: not cached */
    uint64_t nslot;
    uint64_t nr_pages;
    uint64_t *node;     /* one radix_tree_node slab object per 64 slots in use */
    uint32_t *node_use;
    uint64_t obj_inode, obj_dentry;
    uint8_t *ra_mark;            /* PG_readahead: reaching this page starts async readahead */
    uint64_t ra_start, ra_size;  /* the last readahead window (file_ra_state) */
};

struct mem_params {
    enum thp_mode thp;
    int zero_page;              /* 0: a read fault allocates (as mm_forbids_zeropage) */
    int thp_zero_page;          /* transparent_hugepage/use_zero_page */
    unsigned fault_around;      /* pages: fault_around_bytes >> PAGE_SHIFT, a power of two */
    unsigned ra_pages;          /* read-around window of a major fault */
    int cache_warm;             /* file pages count as cached before the run */
    uint64_t minor_cycles, major_cycles, major_io_ns;
    uint64_t stack_guard_gap;   /* bytes: 256 pages */
};

struct mem_stats {
    uint64_t pgfault, pgmajfault, zero_page_maps, cow_copies, cow_reuses, fault_around_pages;
    uint64_t thp_fault_alloc, thp_fault_fallback, thp_zero_maps, thp_splits;
    uint64_t segv, oom, pgcache_inserts, readahead_pages;
    uint64_t tool_faults;            /* faults in VMA_TOOL mappings (not counted as pgfault) */
    uint64_t nr_dirty;               /* page-cache pages dirty now */
    uint64_t nr_dirtied, nr_written; /* pages dirtied, pages written back (by reclaim) */
};

struct memsys {
    struct page_alloc *pa; /* NULL with unlimited memory */
    struct slub *slub;
    struct mem_params prm;
    struct mem_stats st;
    unsigned page_shift, levels, pmd_order;
    uint64_t page_size;
    struct page *pages;    /* one per frame (model/page.h), indexed by pfn */
    uint64_t nframes;
    /* unlimited memory: frames from a counter, freed ones on a stack */
    uint64_t next_pfn;
    uint64_t *free_pfns;
    size_t nfree, capfree;
    uint64_t zero_pfn, huge_zero_pfn;
    struct pc_file *files; /* index 0 is unused: file id 0 means anonymous */
    uint32_t nfiles, capfiles;
    /* memory pressure (model/reclaim.c): LRU, swap, kswapd; NULL with unlimited memory */
    struct reclaim *rc;
    struct mm *mms;          /* every address space, for unmapping file pages (i_mmap) */
    uint64_t reclaim_cycles; /* direct reclaim done by the current fault, charged to it */
    int reclaim_stalled;
};

struct mm {
    struct memsys *ms;
    struct mm *mm_next, *mm_prev; /* memsys's list of address spaces */
    struct pgtable *pt;
    struct vma_set vmas;
    struct mm_counters c;
    uint64_t obj[6]; /* task_struct, mm_struct, signal, sighand, files, pid */
    uint64_t guessed_stack; /* start of the initial mapping taken for the stack, 0 none */
    int saw_maps;           /* the trace mapped memory: addresses outside VMAs are errors */
    int users;              /* processes using it (mm_users): a vfork child shares its parent's */
    uint64_t tool_pt_bytes; /* page tables first taken for VMA_TOOL pages: not in VmPTE */
};

/* memory.c: frames, address spaces, mappings */
uint64_t frames_alloc(struct memsys *ms, unsigned order, enum pa_migratetype mt, enum pa_watermark w);
/* An order-0 movable frame the memory cgroup is not charged for (frames_alloc charges the
 * group's limit first). */
uint64_t frames_alloc_uncharged(struct memsys *ms);
void frames_release(struct memsys *ms, uint64_t pfn, unsigned order);
struct mm *mm_alloc(struct memsys *ms);
void note_rss(struct mm *mm);
void rss_add(struct mm *mm, const struct page *f, int64_t pages, uint64_t pte);
uint64_t leaf_pages(const struct memsys *ms, unsigned level);
void put_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level);
uint64_t vmpte_bytes(const struct mm *mm);
void zap_range(struct mm *mm, uint64_t start, uint64_t end);
void zap_all(struct mm *mm);
int split_huge_leaf(struct mm *mm, uint64_t va);
uint64_t vma_pgoff(const struct memsys *ms, const struct vma *v, uint64_t va);
/* reclaim.c, swap_state.c: a page of mm left memory (anon: to swap) / came back from swap */
void mm_page_reclaimed(struct mm *mm, uint64_t pfn, int anon);
void mm_page_swapped_in(struct mm *mm, uint64_t pfn);

/* filemap.c: files and the page cache */
uint32_t file_add(struct memsys *ms, const char *path, uint64_t inode, int shmem);
uint32_t file_lookup(struct memsys *ms, const char *path, uint64_t inode);
uint64_t pc_find(const struct memsys *ms, uint32_t file, uint64_t pgoff);
uint64_t pc_insert(struct memsys *ms, uint32_t file, uint64_t pgoff);
int pc_cached(const struct memsys *ms, uint32_t file, uint64_t pgoff);
uint64_t pc_get_cached(struct memsys *ms, uint32_t file, uint64_t pgoff);
int pc_marked(const struct memsys *ms, uint32_t file, uint64_t pgoff);
void pc_free_file(struct memsys *ms, struct pc_file *f);
void file_page_dirtied(struct memsys *ms, uint64_t pfn);
/* reclaim wrote a dirty page back (pageout): clean again, its shared mappings read-only */
void pc_page_written(struct memsys *ms, uint64_t pfn);
/* reclaim drops a clean page-cache page (unmapping it first); -1 when it cannot go */
int pc_remove_page(struct memsys *ms, uint64_t pfn);
uint64_t file_page(struct memsys *ms, uint32_t file, uint64_t pgoff, int *major);

#endif
