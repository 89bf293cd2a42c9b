/* filemap.c - the page cache (mm/filemap.c) and its readahead (mm/readahead.c): files by
 * path or inode, their cached pages (the xarray of an address_space, with one
 * radix_tree_node slab object per 64 slots in use), read-around on a major fault and the
 * asynchronous readahead a PG_readahead page starts, dirty pages and their writeback and
 * eviction when reclaim asks (pc_page_written, pc_remove_page). See mm_internal.h. */
#include "model/mm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/reclaim.h"
#include "model/slub.h"

/* ---------------------------------------------------------------- page cache ---- */

uint32_t file_add(struct memsys *ms, const char *path, uint64_t inode, int shmem)
{
    if (ms->nfiles >= 1u << (62 - PAGE_FILE_SHIFT)) return 0; /* the file id of a page's key */
    if (ms->nfiles == ms->capfiles) {
        uint32_t cap = ms->capfiles ? ms->capfiles * 2 : 16;
        struct pc_file *n = realloc(ms->files, cap * sizeof(*n));
        if (!n) return 0;
        ms->files = n;
        ms->capfiles = cap;
        if (ms->nfiles == 0) { memset(&ms->files[0], 0, sizeof(ms->files[0])); ms->nfiles = 1; }
    }
    struct pc_file *f = &ms->files[ms->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = path ? strdup(path) : NULL;
    f->inode = inode;
    f->shmem = shmem;
    if (ms->slub && !shmem) {
        f->obj_inode = slub_alloc(ms->slub, SLAB_INODE);
        f->obj_dentry = slub_alloc(ms->slub, SLAB_DENTRY);
    }
    return ms->nfiles++;
}

/* The file id for a path (or an inode when the path is unknown); a new one if unseen. */
uint32_t file_lookup(struct memsys *ms, const char *path, uint64_t inode)
{
    for (uint32_t i = 1; i < ms->nfiles; i++) {
        const struct pc_file *f = &ms->files[i];
        if (f->shmem && !f->path) continue;
        if (path && f->path && !strcmp(f->path, path)) return i;
        if (!path && inode && f->inode == inode) return i;
    }
    return file_add(ms, path, inode, path && !strncmp(path, "/dev/shm/", 9));
}

static int pc_reserve(struct pc_file *f, uint64_t pgoff)
{
    if (pgoff < f->nslot) return 0;
    if (pgoff >= UINT32_MAX) return -1; /* struct page keeps a 32-bit index */
    uint64_t n = f->nslot ? f->nslot : 64;
    while (n <= pgoff) n *= 2;
    uint32_t *s = realloc(f->slot, n * sizeof(*s));
    if (!s) return -1;
    memset(s + f->nslot, 0, (n - f->nslot) * sizeof(*s));
    f->slot = s;
    uint64_t *nd = realloc(f->node, (n / 64) * sizeof(*nd));
    if (!nd) return -1;
    memset(nd + f->nslot / 64, 0, (n / 64 - f->nslot / 64) * sizeof(*nd));
    f->node = nd;
    uint32_t *nu = realloc(f->node_use, (n / 64) * sizeof(*nu));
    if (!nu) return -1;
    memset(nu + f->nslot / 64, 0, (n / 64 - f->nslot / 64) * sizeof(*nu));
    f->node_use = nu;
    uint8_t *mk = realloc(f->ra_mark, n);
    if (!mk) return -1;
    memset(mk + f->nslot, 0, n - f->nslot);
    f->ra_mark = mk;
    f->nslot = n;
    return 0;
}

uint64_t pc_find(const struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    const struct pc_file *f = &ms->files[file];
    return pgoff < f->nslot && f->slot[pgoff] ? (uint64_t)f->slot[pgoff] - 1 : NO_PFN;
}

/* A page enters the cache (add_to_page_cache_lru): a movable frame. */
static uint64_t pc_add(struct memsys *ms, uint32_t file, uint64_t pgoff, int charged)
{
    struct pc_file *f = &ms->files[file];
    if (pc_reserve(f, pgoff)) return NO_PFN;
    uint64_t pfn = charged ? frames_alloc(ms, 0, PA_MOVABLE, PA_WMARK_LOW) : frames_alloc_uncharged(ms);
    if (pfn == NO_PFN || pfn >= UINT32_MAX) return NO_PFN;
    struct page *fr = &ms->pages[pfn];
    fr->kind = FK_FILE;
    fr->key = page_file_key(file, pgoff);
    f->slot[pgoff] = (uint32_t)(pfn + 1);
    f->nr_pages++;
    if (f->node_use[pgoff / 64]++ == 0 && ms->slub) f->node[pgoff / 64] = slub_alloc(ms->slub, SLAB_RADIX_TREE_NODE);
    ms->st.pgcache_inserts++;
    if (charged && ms->rc && !f->shmem) reclaim_file_page_added(ms->rc, pfn, file, pgoff);
    return pfn;
}

uint64_t pc_insert(struct memsys *ms, uint32_t file, uint64_t pgoff) { return pc_add(ms, file, pgoff, 1); }

/* Does a memory cgroup limit the trace's processes? Then the pages a warm cache holds were
 * read before they ran, by others: the kernel charged them to the cgroup that read them
 * first (the root one), so this group is not charged for them and its reclaim never
 * scans them. The model keeps them off its LRU lists, which are the group's. */
static int warm_pages_outside_group(const struct memsys *ms)
{
    return ms->rc && ms->prm.cache_warm && reclaim_memcg(ms->rc)->limit_pages != 0;
}

/* Is the page usable without I/O? Warm caches count every page as cached already. */
int pc_cached(const struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    if (ms->rc && pc_find(ms, file, pgoff) == NO_PFN && reclaim_file_evicted(ms->rc, file, pgoff))
        return 0; /* reclaim dropped it: even a warm cache must read it again */
    return ms->prm.cache_warm || ms->files[file].shmem || pc_find(ms, file, pgoff) != NO_PFN;
}

/* The frame of a cached page (inserting it when the warm cache only held it implicitly). */
uint64_t pc_get_cached(struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    uint64_t pfn = pc_find(ms, file, pgoff);
    if (pfn != NO_PFN) return pfn;
    return pc_add(ms, file, pgoff, !warm_pages_outside_group(ms) || ms->files[file].shmem);
}

/* filemap_fault on a miss: read-around ra_pages centred on the page (do_sync_mmap_readahead). */
/* Read [start, start + size) into the cache and mark the page at start + size - async
 * PG_readahead (ra_submit). */
static void pc_readahead(struct memsys *ms, uint32_t file, uint64_t start, uint64_t size, uint64_t async)
{
    struct pc_file *f = &ms->files[file];
    for (uint64_t i = start; i < start + size; i++)
        if (pc_find(ms, file, i) == NO_PFN && pc_insert(ms, file, i) != NO_PFN) ms->st.readahead_pages++;
    f->ra_start = start;
    f->ra_size = size;
    uint64_t m = start + size - async;
    if (async && m < f->nslot && f->slot[m]) f->ra_mark[m] = 1;
}

static void pc_read_around(struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    uint64_t ra = ms->prm.ra_pages ? ms->prm.ra_pages : 1;
    uint64_t start = pgoff > ra / 2 ? pgoff - ra / 2 : 0;
    pc_readahead(ms, file, start, ra, ra / 4);
}

/* A fault found a PG_readahead page (do_async_mmap_readahead): the next window, as large
 * as the maximum, is read without waiting and marked at its start. */
static void pc_async_readahead(struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    struct pc_file *f = &ms->files[file];
    f->ra_mark[pgoff] = 0;
    uint64_t ra = ms->prm.ra_pages ? ms->prm.ra_pages : 1;
    uint64_t start = f->ra_start + f->ra_size;
    if (pgoff < f->ra_start || pgoff >= start) start = pgoff + 1; /* not our window: start afresh */
    pc_readahead(ms, file, start, ra, ra);
}

int pc_marked(const struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    const struct pc_file *f = &ms->files[file];
    return pgoff < f->nslot && f->ra_mark[pgoff];
}

void pc_free_file(struct memsys *ms, struct pc_file *f)
{
    for (uint64_t i = 0; i < f->nslot; i++)
        if (f->slot[i]) frames_release(ms, f->slot[i] - 1, 0);
    if (ms->slub) {
        for (uint64_t i = 0; i < f->nslot / 64; i++)
            if (f->node_use[i]) slub_release(ms->slub, SLAB_RADIX_TREE_NODE, f->node[i]);
        if (f->obj_inode) slub_release(ms->slub, SLAB_INODE, f->obj_inode);
        if (f->obj_dentry) slub_release(ms->slub, SLAB_DENTRY, f->obj_dentry);
    }
    free(f->slot);
    free(f->node);
    free(f->node_use);
    free(f->ra_mark);
    free(f->path);
}


/* ---- dirty pages, writeback and eviction, for reclaim (pageout, __remove_mapping) ---- */

/* try_to_unmap of a page-cache page: every VMA of every address space mapping its file at
 * its offset loses the PTE (the i_mmap walk); the TLB entries go with it. */
static void unmap_file_page(struct memsys *ms, uint64_t pfn, uint32_t file, uint64_t pgoff)
{
    uint64_t off = pgoff << ms->page_shift;
    for (struct mm *mm = ms->mms; mm && ms->pages[pfn].mapcount; mm = mm->mm_next) {
        for (size_t i = 0; i < mm->vmas.n; i++) {
            const struct vma *v = &mm->vmas.v[i];
            if (v->file != file || off < v->off || off - v->off >= v->end - v->start) continue;
            uint64_t va = v->start + (off - v->off);
            unsigned level;
            uint64_t pte = pgtable_lookup(mm->pt, va, &level);
            if (!pte || level != 1 || (pte & PTE_ZERO) || pte_pfn(pte) != pfn) continue;
            pgtable_zap_range(mm->pt, va, va + ms->page_size, put_leaf, mm);
            mm->c.pgtables_bytes = vmpte_bytes(mm);
            reclaim_queue_inval(ms->rc, mm, va);
        }
    }
}

/* A page-cache page of a regular file was written (folio_mark_dirty): reclaim must write
 * it back before reusing the frame. shmem pages are swap-backed, never written to a file. */
void file_page_dirtied(struct memsys *ms, uint64_t pfn)
{
    if (pfn >= ms->nframes) return;
    struct page *fr = &ms->pages[pfn];
    if (fr->kind != FK_FILE || (fr->flags & PG_DIRTY) || ms->files[page_file(fr)].shmem) return;
    fr->flags |= PG_DIRTY;
    ms->st.nr_dirty++;
    ms->st.nr_dirtied++;
}

/* page_mkclean: every writable shared mapping of a written-back page becomes read-only
 * and clean, so the next store faults (write-notify) and dirties the page again; the TLB
 * entries go, as the kernel flushes them. */
static void mkclean_file_page(struct memsys *ms, uint64_t pfn, uint32_t file, uint64_t pgoff)
{
    uint64_t off = pgoff << ms->page_shift;
    for (struct mm *mm = ms->mms; mm && ms->pages[pfn].mapcount; mm = mm->mm_next) {
        for (size_t i = 0; i < mm->vmas.n; i++) {
            const struct vma *v = &mm->vmas.v[i];
            if (v->file != file || !(v->flags & VMA_SHARED) || off < v->off || off - v->off >= v->end - v->start) continue;
            uint64_t va = v->start + (off - v->off);
            unsigned level;
            uint64_t pte = pgtable_lookup(mm->pt, va, &level);
            if (!pte || level != 1 || !(pte & PTE_WRITE) || pte_pfn(pte) != pfn) continue;
            pgtable_update(mm->pt, va, 0, PTE_WRITE | PTE_DIRTY);
            reclaim_queue_inval(ms->rc, mm, va);
        }
    }
}

void memsys_dirty_counts(const struct memsys *ms, uint64_t *nr_dirty, uint64_t *nr_dirtied,
                         uint64_t *nr_written)
{
    *nr_dirty = ms->st.nr_dirty;
    *nr_dirtied = ms->st.nr_dirtied;
    *nr_written = ms->st.nr_written;
}

/* Reclaim wrote a dirty page back (pageout): clean again. */
void pc_page_written(struct memsys *ms, uint64_t pfn)
{
    if (pfn >= ms->nframes || !(ms->pages[pfn].flags & PG_DIRTY)) return;
    mkclean_file_page(ms, pfn, page_file(&ms->pages[pfn]), page_index(&ms->pages[pfn]));
    ms->pages[pfn].flags &= (uint16_t)~PG_DIRTY;
    ms->st.nr_dirty--;
    ms->st.nr_written++;
}

/* Reclaim drops a page-cache page (__remove_mapping), unmapping it first. */
int pc_remove_page(struct memsys *ms, uint64_t pfn)
{
    if (pfn >= ms->nframes) return -1;
    struct page *fr = &ms->pages[pfn];
    if (fr->kind != FK_FILE) return -1;
    if (fr->mapcount) unmap_file_page(ms, pfn, page_file(fr), page_index(fr));
    if (fr->mapcount) return -1; /* mapped in a way we cannot undo (a huge leaf) */
    struct pc_file *f = &ms->files[page_file(fr)];
    uint64_t pgoff = page_index(fr);
    if (pgoff >= f->nslot || f->slot[pgoff] != pfn + 1) return -1;
    f->slot[pgoff] = 0;
    f->nr_pages--;
    if (--f->node_use[pgoff / 64] == 0 && ms->slub && f->node[pgoff / 64]) {
        slub_release(ms->slub, SLAB_RADIX_TREE_NODE, f->node[pgoff / 64]);
        f->node[pgoff / 64] = 0;
    }
    frames_release(ms, pfn, 0);
    return 0;
}


uint64_t memsys_pagecache_pages(const struct memsys *ms)
{
    uint64_t n = 0;
    for (uint32_t i = 1; i < ms->nfiles; i++) n += ms->files[i].nr_pages;
    return n;
}


/* The page of a file fault: from the cache, or read (a major fault). */
uint64_t file_page(struct memsys *ms, uint32_t file, uint64_t pgoff, int *major)
{
    if (pc_marked(ms, file, pgoff)) pc_async_readahead(ms, file, pgoff);
    if (pc_cached(ms, file, pgoff)) return pc_get_cached(ms, file, pgoff);
    *major = 1;
    pc_read_around(ms, file, pgoff);
    uint64_t pfn = pc_find(ms, file, pgoff);
    return pfn != NO_PFN ? pfn : pc_insert(ms, file, pgoff);
}
