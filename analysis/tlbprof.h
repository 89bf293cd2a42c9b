/* tlbprof.h - the lookups of one LRU TLB level profiled by stack distance over a trace, so
 * the misses of every size come from one pass: a fully associative level from Mattson stack
 * distances, a set-associative one with a fixed number of sets from per-set LRU stacks (a
 * lookup at per-set distance d hits every size with at least d ways).
 *
 * The lookup stream mirrors the engine's first TLB level with 4 KiB pages: instruction
 * fetches go to an instruction or unified TLB, loads, stores and modifies to a data or
 * unified one; an access spanning two pages looks up both; entries are tagged by process.
 * Invalidations are mirrored from the trace's events as the engine applies them (munmap,
 * mprotect, mremap, brk shrinking, madvise DONTNEED, mmap over old pages, fork, exec, exit):
 * a dropped entry leaves an empty way that the next miss fills without evicting. What it
 * does not see (reclaim under memory pressure, THP, faults that fail) is why the sweep checks it against real replays before trusting it. */
#ifndef MMSIM_TLBPROF_H
#define MMSIM_TLBPROF_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/mrc.h"
#include "model/mmap.h"

struct tlbprof_opts {
    int ifetch, data;    /* which accesses the level serves */
    unsigned page_shift; /* 12 */
    uint32_t sets;       /* 0: fully associative */
    uint32_t max_ways;   /* set-associative: the largest way count asked */
    int flush_on_switch; /* no PCID: a switch to another process flushes the TLB */
};

struct tlbprof {
    struct tlbprof_opts o;
    uint64_t lookups;
    struct mrc fa;       /* fully associative: the stack over (process, page) */
    uint64_t *keys;      /* set-associative: sets * max_ways keys, most recent first */
    uint32_t *used;      /* valid keys in each set */
    uint64_t *hist;      /* set-associative: hist[d], d = 1..max_ways; hist[0] beyond */
    uint64_t invalidations;        /* events that dropped a range or an address space */
    struct vma_heap heap;          /* the heap, to tell a shrinking brk */
    uint32_t loaded_pid;           /* flush_on_switch: the process on the CPU */
    int loaded_valid;
};

/* Returns 0, or -1 with err (the trace reader's message, or out of memory). */
int tlbprof_run(const char *trace, const struct tlbprof_opts *o, struct tlbprof *p, char *err,
                size_t errlen);
/* Misses of the level with `entries` entries (fully associative) or `ways` ways. */
uint64_t tlbprof_misses(const struct tlbprof *p, uint32_t entries_or_ways);
void tlbprof_free(struct tlbprof *p);

#endif
