/* memory.h - the OS side of memory for the engine: address spaces (mm_struct), page-fault
 * handling (mm/memory.c), and the OS events of a trace applied to them.
 *
 * The engine (sim.c) owns processes; each has one `struct mm`. All processes of one
 * simulation share one `struct memsys`: physical memory (page_alloc), the page cache, the
 * slab caches, and, with memory pressure, the LRU lists and swap. No global state. */
#ifndef MMSIM_MEMORY_H
#define MMSIM_MEMORY_H

#include <stdint.h>
#include <stdio.h>

#include "traces/mmt.h"

struct memsys;
struct mm;
struct pgtable;
struct mmsim_config;

/* Access flags for a fault. */
#define FAULT_FLAG_WRITE 1u
#define FAULT_FLAG_INSTRUCTION 2u

enum fault_kind { FAULT_NONE = 0, FAULT_MINOR, FAULT_MAJOR, FAULT_SIGSEGV, FAULT_OOM };

struct fault_result {
    enum fault_kind kind;
    uint64_t cycles;       /* CPU time the fault handler costs the process */
    uint64_t io_ns;        /* time the process blocks on I/O (major faults), 0 if none */
};

/* A virtual range whose translations must leave the TLBs (munmap, mprotect, ...). */
struct mm_inval {
    uint64_t start, end;   /* [start, end); end == 0: nothing to invalidate */
    int all;               /* flush the whole address space (exec) */
};

struct mm_counters {
    uint64_t min_flt, maj_flt;
    uint64_t rss_anon, rss_file, rss_shmem; /* pages now */
    uint64_t rss_peak;                      /* pages, highest anon+file+shmem seen */
    uint64_t pgtables_bytes;                /* VmPTE */
    uint64_t swap_ents;
};

struct memsys *memsys_new(const struct mmsim_config *cfg, char *err, unsigned long errlen);
void memsys_free(struct memsys *ms);
struct page_alloc *memsys_page_alloc(struct memsys *ms);
/* Memory pressure (model/reclaim.h): NULL with unlimited memory. */
struct reclaim *memsys_reclaim(struct memsys *ms);
/* Dirty page-cache pages now, pages dirtied and pages written back (by reclaim) so far. */
void memsys_dirty_counts(const struct memsys *ms, uint64_t *nr_dirty, uint64_t *nr_dirtied,
                         uint64_t *nr_written);
/* Pages in the page cache (free's buff/cache). */
uint64_t memsys_pagecache_pages(const struct memsys *ms);
/* Pages mapped by the VMAs of mm (total_vm, VmSize). */
uint64_t mm_total_vm(const struct mm *mm);

/* Reports of the OS model (model/memory.c): the buddy allocator (buddyinfo, fragmentation
 * and unusable-free indices per order, watermarks), the slab caches (slabinfo), fault
 * kinds (zero page, COW, fault-around, THP) and the page cache. */
struct stat_out;
/* Publishes the "os" group of statistics (statreg.h); the timeline's columns among them:
 * free_pages, order0..orderN (buddyinfo) and the unusable-free index at the THP order. */
void memsys_publish_stats(const struct memsys *ms, struct stat_out *o);
/* The text report's OS-model part, its figures looked up in tb (the publication). */
struct stat_table;
void memsys_report_text(const struct memsys *ms, const struct stat_table *tb, FILE *f);

struct mm *mm_new(struct memsys *ms);
struct mm *mm_fork(struct memsys *ms, struct mm *parent); /* copy-on-write copy */
/* CLONE_VM (vfork, posix_spawn): the child uses mm itself, one more user (mmget). */
struct mm *mm_share(struct mm *mm);
int mm_shared(const struct mm *mm);                       /* more than one user */
/* A process stops using mm (exit, or exec of a vfork child: mmput); the last user frees
 * everything. */
void mm_destroy(struct memsys *ms, struct mm *mm);
struct pgtable *mm_pgtable(struct mm *mm);
const struct mm_counters *mm_counters(const struct mm *mm);

/* Apply an OS event (mmap, munmap, brk, ...) of this process. Fills inval with what the
 * TLBs must drop. Returns 0. */
int mm_event(struct memsys *ms, struct mm *mm, const struct mmt_event *ev, struct mm_inval *inval);
/* The range an OS event changes in an address space of page_size pages, worked out before
 * it is applied (model/mmap.c): a new mapping's range rounded out to pages; munmap, mprotect
 * and madvise(DONTNEED, REMOVE) rounded in; mremap's old range at its larger length; a
 * shrinking brk's freed pages (heap: the bounds before the event); exec: all. mm_event
 * applies the event over it (and may narrow it: a mapping sharing a boundary page, an
 * mremap of nothing); analysis/tlbprof.c mirrors the TLBs' invalidations with it. */
struct vma_heap;
void mm_event_range(const struct mmt_event *ev, uint64_t page_size, const struct vma_heap *heap,
                    struct mm_inval *inval);

/* Handle a fault at vaddr: the walk found no present entry, or a write met a read-only
 * one. On success the page table maps vaddr and the walk can be retried. */
void mm_handle_fault(struct memsys *ms, struct mm *mm, uint64_t vaddr, unsigned flags,
                     struct fault_result *res);

#endif
