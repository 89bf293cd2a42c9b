/* pgtable.h - the simulated radix page tables of one address space (arch/x86/mm).
 *
 * Table pages are frames from a frame source (the buddy allocator in a real simulation);
 * the entry for index i of a table lives at simulated physical address
 * (pfn << page_shift) + i * 8, which is what the page walker reads through the caches.
 * Levels are numbered as the walk meets them from the bottom: level 1 holds the PTEs, level
 * 2 the PDEs (a 2M leaf with PTE_HUGE), level 3 the PDPTEs (a 1G leaf), 4 the PML4Es, 5 the
 * PML5Es. Each level resolves page_shift - 3 bits of the address (9 with 4 KiB pages).
 *
 * Entries are 64-bit: (pfn << PTE_PFN_SHIFT) | flags, whatever the page size. */
#ifndef MMSIM_PGTABLE_H
#define MMSIM_PGTABLE_H

#include <stddef.h>
#include <stdint.h>

#define PTE_PRESENT 0x001ULL
#define PTE_WRITE 0x002ULL
#define PTE_USER 0x004ULL
#define PTE_ACCESSED 0x020ULL
#define PTE_DIRTY 0x040ULL
#define PTE_HUGE 0x080ULL /* PS: a leaf above level 1 */
#define PTE_SOFT1 0x200ULL /* free for the OS model (x86 bits 9..11) */
#define PTE_SOFT2 0x400ULL
#define PTE_SOFT3 0x800ULL
#define PTE_NX (1ULL << 63)
#define PTE_PFN_SHIFT 12
#define PTE_PFN_MASK 0x000ffffffffff000ULL
#define PTE_FLAGS_MASK (~PTE_PFN_MASK)

#define PGT_MAX_LEVELS 5
#define PGT_NO_FRAME UINT64_MAX

static inline uint64_t pte_pfn(uint64_t pte) { return (pte & PTE_PFN_MASK) >> PTE_PFN_SHIFT; }
static inline uint64_t pte_make(uint64_t pfn, uint64_t flags) { return (pfn << PTE_PFN_SHIFT) | flags; }

/* Where table frames come from and go back to. alloc returns PGT_NO_FRAME when memory is
 * exhausted. */
struct pgtable_frames {
    uint64_t (*alloc)(void *ctx);
    void (*release)(void *ctx, uint64_t pfn);
    void *ctx;
};

struct pgtable;

/* levels 4 or 5; page_shift 12, 14 or 16. NULL when the root table cannot be allocated. */
struct pgtable *pgtable_new(unsigned levels, unsigned page_shift, const struct pgtable_frames *fr);
/* Frees every table (returns their frames); data frames are the caller's. */
void pgtable_free(struct pgtable *pt);

/* Bytes mapped by one leaf at a level: level 1 = page size, level 2 = 2 MiB with 4 KiB pages. */
uint64_t pgtable_leaf_size(const struct pgtable *pt, unsigned level);
/* Simulated bytes of page tables (VmPTE counts levels 1.., like the kernel's pgtables_bytes). */
uint64_t pgtable_bytes(const struct pgtable *pt);
/* Host bytes this representation uses. */
uint64_t pgtable_host_bytes(const struct pgtable *pt);

/* Maps the leaf at `level` (1 = base page, 2 = huge PDE, 3 = huge PDPTE) covering va.
 * Replaces an existing leaf (returns its old entry in *old if given). Returns 0, or -1 when
 * a table frame cannot be allocated or a table is in the way of a huge leaf. */
int pgtable_map(struct pgtable *pt, uint64_t va, uint64_t pfn, unsigned level, uint64_t flags,
                uint64_t *old);
/* Leaf entry covering va (0 when none); *level gets the leaf level. */
uint64_t pgtable_lookup(const struct pgtable *pt, uint64_t va, unsigned *level);
/* Rewrites the flags of the leaf covering va (set, then clear); returns the new entry or 0. */
uint64_t pgtable_update(struct pgtable *pt, uint64_t va, uint64_t set, uint64_t clear);

/* Called for each leaf met by a range operation: its va, entry, level. */
typedef void (*pgtable_leaf_fn)(void *ctx, uint64_t va, uint64_t pte, unsigned level);

/* Removes every leaf in [start, end) (leaves only partly inside are removed whole), calling
 * fn first; frees tables left empty. Returns the number of leaves removed. */
uint64_t pgtable_unmap_range(struct pgtable *pt, uint64_t start, uint64_t end, pgtable_leaf_fn fn,
                             void *ctx);
/* The same, keeping the tables (zap_pte_range without free_pgtables): how the kernel
 * unmaps a page it reclaims or copies on write. Page tables go only with their VMA
 * (munmap, exit), so a table allocation that reclaims (its memory cgroup charge) never
 * frees a table of the walk that asked for it. */
uint64_t pgtable_zap_range(struct pgtable *pt, uint64_t start, uint64_t end, pgtable_leaf_fn fn,
                           void *ctx);
/* Sets then clears flags on every leaf in [start, end). Returns the number of leaves. */
uint64_t pgtable_protect_range(struct pgtable *pt, uint64_t start, uint64_t end, uint64_t set,
                               uint64_t clear);
/* Calls fn for every leaf in [start, end) without changing anything. */
void pgtable_for_each(const struct pgtable *pt, uint64_t start, uint64_t end, pgtable_leaf_fn fn,
                      void *ctx);
/* fork: copies every leaf of src into dst (an empty table), clearing `clear_both` (e.g.
 * PTE_WRITE for copy-on-write) in both; fn sees each copied leaf (to take references).
 * Returns 0, or -1 when table frames run out. */
int pgtable_copy(struct pgtable *dst, struct pgtable *src, uint64_t clear_both, pgtable_leaf_fn fn,
                 void *ctx);

/* ---- the walker's view ---- */
struct pgtable_walk {
    uint64_t entry_pa[PGT_MAX_LEVELS + 1]; /* simulated physical address of the entry read */
    uint64_t entry[PGT_MAX_LEVELS + 1];    /* the entry's value */
    unsigned leaf_level;                   /* level of the leaf, or of the not-present entry */
    uint64_t pte;                          /* the leaf (0 when not present) */
};
/* Walks from the root; fills each level read down to the leaf or the first not-present
 * entry. Returns 1 when a present leaf was found. */
int pgtable_walk(const struct pgtable *pt, uint64_t va, struct pgtable_walk *w);

#endif
