/* mmap.h - the VMAs of one address space (mm/mmap.c, mm/mprotect.c, mm/mremap.c,
 * mm/madvise.c): a sorted array searched by binary search (processes have tens to a few
 * thousand VMAs), split and merged as the kernel does.
 *
 * This module only keeps the set of ranges and their attributes; what happens to the pages
 * of a range (unmapping, protection, moving) is memory.c's business. */
#ifndef MMSIM_MMAP_H
#define MMSIM_MMAP_H

#include <stddef.h>
#include <stdint.h>

struct slub;

/* prot bits, as PROT_READ/WRITE/EXEC */
#define VMA_READ 0x1u
#define VMA_WRITE 0x2u
#define VMA_EXEC 0x4u

/* flags */
#define VMA_SHARED 0x01u     /* MAP_SHARED: writes go to the file / shared memory */
#define VMA_GROWSDOWN 0x02u  /* the stack: grows down on a fault below it */
#define VMA_HUGEPAGE 0x04u   /* MADV_HUGEPAGE */
#define VMA_NOHUGEPAGE 0x08u /* MADV_NOHUGEPAGE */
#define VMA_SPECIAL 0x10u    /* [vdso], [vvar]: special mappings, one page per fault */
#define VMA_LOCKED 0x20u     /* mlock / MAP_LOCKED */
#define VMA_DONTCOPY 0x40u   /* MADV_DONTFORK */
#define VMA_WIPEONFORK 0x80u /* MADV_WIPEONFORK: the child sees zero-filled memory */
#define VMA_ANON_VMA 0x100u  /* has anonymous pages (an anon_vma): fork copies its entries;
                              * does not prevent merging */
#define VMA_TOOL 0x200u      /* made only by the capture tool (Valgrind's preload library, its
                              * trampoline; MMT_MAP_TOOL): its pages, faults and page tables
                              * are not charged to the process */

/* Linux's MAP_* and MADV_* values (x86-64 and arm64 agree) */
#define LX_MAP_SHARED 0x01u
#define LX_MAP_PRIVATE 0x02u
#define LX_MAP_SHARED_VALIDATE 0x03u
#define LX_MAP_FIXED 0x10u
#define LX_MAP_ANONYMOUS 0x20u
#define LX_MAP_GROWSDOWN 0x100u
#define LX_MAP_LOCKED 0x2000u
#define LX_MAP_POPULATE 0x8000u
#define LX_MAP_HUGETLB 0x40000u
#define LX_MADV_NORMAL 0
#define LX_MADV_RANDOM 1
#define LX_MADV_SEQUENTIAL 2
#define LX_MADV_WILLNEED 3
#define LX_MADV_DONTNEED 4
#define LX_MADV_FREE 8
#define LX_MADV_REMOVE 9
#define LX_MADV_DONTFORK 10
#define LX_MADV_DOFORK 11
#define LX_MADV_HUGEPAGE 14
#define LX_MADV_NOHUGEPAGE 15
#define LX_MADV_WIPEONFORK 18
#define LX_MADV_KEEPONFORK 19
#define LX_MADV_POPULATE_READ 22
#define LX_MADV_POPULATE_WRITE 23
#define LX_MADV_COLLAPSE 25
#define LX_MREMAP_MAYMOVE 1u
#define LX_MREMAP_FIXED 2u
#define LX_MREMAP_DONTUNMAP 4u

struct vma {
    uint64_t start, end; /* [start, end), page-aligned */
    uint64_t off;        /* file offset of start in bytes; for anonymous memory the address it
                            was created at (vm_pgoff), so splits and merges stay consistent */
    uint32_t prot, flags;
    uint32_t file;       /* 0: anonymous; else a file id of the caller's file table */
    uint64_t slab_obj;   /* its vm_area_struct in the slab model, 0 without one */
    uint64_t avc_obj, anon_vma_obj; /* its anon_vma_chain and the anon_vma it created */
};

/* The heap of an address space: [start_brk, PAGE_ALIGN(brk)); known once a mapping named
 * [heap] or a first brk has shown where it starts. */
struct vma_heap {
    uint64_t start_brk, brk;
    int known;
};

struct vma_set {
    struct vma *v;
    size_t n, cap;
    struct slub *slub;   /* may be NULL */
    uint64_t page_size;
    struct vma_heap heap;
    uint64_t map_count_peak;
};

int vmas_init(struct vma_set *s, struct slub *slub, uint64_t page_size);
void vmas_destroy(struct vma_set *s);
/* fork (dup_mmap): VMAs without VMA_DONTCOPY. Returns 0, -1 out of memory. */
int vmas_copy(struct vma_set *dst, const struct vma_set *src);

/* The VMA containing addr, or NULL. */
struct vma *vmas_find(const struct vma_set *s, uint64_t addr);
/* find_vma(): the first VMA ending above addr, or NULL. */
struct vma *vmas_find_next(const struct vma_set *s, uint64_t addr);
size_t vmas_count(const struct vma_set *s);

/* Map [start, end) replacing whatever was there (MAP_FIXED semantics; the caller has
 * already dropped the pages of the old mappings). Merges with compatible neighbours.
 * Returns 0, -1 out of memory or a bad range. */
int vmas_map(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags, uint32_t file,
             uint64_t off);
/* The VMA gets anonymous pages (anon_vma_prepare): flag and slab objects, once. */
void vmas_mark_anon(struct vma_set *s, struct vma *v);
/* Remove [start, end), splitting VMAs that straddle its ends. */
int vmas_unmap(struct vma_set *s, uint64_t start, uint64_t end);
/* mprotect: new prot on the mapped parts of [start, end) (split, then merge). */
int vmas_protect(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot);
/* Set then clear flags on the mapped parts of [start, end) (madvise HUGEPAGE, DONTFORK...). */
int vmas_set_flags(struct vma_set *s, uint64_t start, uint64_t end, uint32_t set, uint32_t clear);
/* mremap: move [old, old+old_len) to new_addr with new_len (grown or shrunk), or resize in
 * place when new_addr == old. The attributes come from the VMA at old. */
int vmas_remap(struct vma_set *s, uint64_t old, uint64_t old_len, uint64_t new_addr, uint64_t new_len);
/* brk: the heap's new end (the trace's result). Returns 0, -1 out of memory. */
int vmas_brk(struct vma_set *s, uint64_t new_brk);
/* What brk(new_brk) does to the heap's bounds alone: the first brk learns start_brk, one
 * below start_brk is refused, any other moves brk. */
void vma_heap_brk(struct vma_heap *h, uint64_t new_brk);
/* A fault at addr below a VMA_GROWSDOWN VMA: expand it down (expand_downwards) when the gap
 * to the VMA below stays at least guard_gap bytes. Returns the VMA, or NULL. */
struct vma *vmas_expand_stack(struct vma_set *s, uint64_t addr, uint64_t guard_gap);

#endif
