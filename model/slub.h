/* slub.h - SLUB caches for the kernel objects the model creates (mm/slub.c): objects per
 * slab and slab order by calculate_order, slabs taken from the buddy allocator, output in
 * /proc/slabinfo format. One `struct slub` per simulation; no global state. */
#ifndef MMSIM_SLUB_H
#define MMSIM_SLUB_H

#include <stdint.h>
#include <stdio.h>

struct page_alloc;
struct json;

enum slub_cache_id {
    SLAB_TASK_STRUCT = 0,
    SLAB_MM_STRUCT,
    SLAB_VM_AREA_STRUCT,
    SLAB_ANON_VMA,
    SLAB_ANON_VMA_CHAIN,
    SLAB_SIGNAL_CACHE,
    SLAB_SIGHAND_CACHE,
    SLAB_FILES_CACHE,
    SLAB_PID,
    SLAB_FILP,
    SLAB_DENTRY,
    SLAB_INODE,           /* ext4_inode_cache: inodes of the files the traces map */
    SLAB_RADIX_TREE_NODE, /* page-cache xarray nodes, one per 64 cached pages */
    SLAB_NR_CACHES
};

struct slub_config {
    unsigned page_shift;    /* 12, 14 or 16 */
    unsigned nr_cpus;       /* num_present_cpus(); 0 counts as 1 */
    unsigned min_objects;   /* slub_min_objects; 0: 4 * (fls(nr_cpus) + 1) */
    unsigned min_order;     /* slub_min_order, default 0 */
    unsigned max_order;     /* slub_max_order; 0 means the default, 3 (PAGE_ALLOC_COSTLY_ORDER) */
    unsigned objsize[SLAB_NR_CACHES]; /* 0: the size measured on the reference machine */
};

#define SLUB_NO_OBJ 0

struct slub;

struct slub *slub_new(struct page_alloc *pa, const struct slub_config *cfg);
/* Gives every slab back to the buddy allocator and frees the model's own memory. */
void slub_free_all(struct slub *s);

/* Returns an object handle, SLUB_NO_OBJ when the buddy allocator has no slab to give. */
uint64_t slub_alloc(struct slub *s, enum slub_cache_id id);
/* Returns 0, -1 for a handle that is not a live object of that cache. */
int slub_release(struct slub *s, enum slub_cache_id id, uint64_t obj);
/* The simulated physical address of a live object, 0 if the handle is not live. */
uint64_t slub_obj_paddr(const struct slub *s, enum slub_cache_id id, uint64_t obj);

unsigned slub_objsize(const struct slub *s, enum slub_cache_id id);
unsigned slub_order(const struct slub *s, enum slub_cache_id id);
unsigned slub_objs_per_slab(const struct slub *s, enum slub_cache_id id);
uint64_t slub_active_objs(const struct slub *s, enum slub_cache_id id);
uint64_t slub_nr_slabs(const struct slub *s, enum slub_cache_id id);
uint64_t slub_total_pages(const struct slub *s); /* Slab: in /proc/meminfo, in pages */

/* calculate_order() of mm/slub.c; -1 when even get_order(size) exceeds max_page_order. */
int slub_calculate_order(unsigned size, unsigned page_shift, unsigned nr_cpus, unsigned min_objects,
                         unsigned min_order, unsigned max_order, unsigned max_page_order);

/* /proc/slabinfo (version 2.1) for the model's caches. */
void slub_slabinfo(const struct slub *s, FILE *f);
struct stat_out;
/* Publishes its statistics (statreg.h) as group `key`: {total_pages, name: {active_objs,
 * num_objs, objsize, objperslab, pagesperslab, num_slabs}} (slabinfo). */
void slub_publish_stats(const struct slub *s, struct stat_out *o, const char *key);

#endif
