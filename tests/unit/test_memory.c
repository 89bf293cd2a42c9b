/* test_memory.c - fault counts of small synthetic traces of every fault kind, against
 * counts worked out by hand from the kernel's rules (mm/memory.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "model/config.h"
#include "model/memory.h"
#include "model/mmap.h"
#include "model/page_alloc.h"
#include "model/pgtable.h"
#include "model/reclaim.h"
#include "model/statreg.h"

#define PG 4096ull
#define R 0u
#define W FAULT_FLAG_WRITE

struct env {
    struct mmsim_config cfg;
    struct memsys *ms;
    struct mm *mm;
    uint64_t now_ns;
};

static void env_up(struct env *e, const char *const *sets, int nsets)
{
    char err[256];
    config_defaults(&e->cfg);
    assert_int_equal(config_set(&e->cfg, "memory.size=256M", 0, err, sizeof err), 0);
    for (int i = 0; i < nsets; i++) {
        if (config_set(&e->cfg, sets[i], i + 1, err, sizeof err)) fail_msg("%s", err);
    }
    e->now_ns = 0;
    e->ms = memsys_new(&e->cfg, err, sizeof err);
    assert_non_null(e->ms);
    e->mm = mm_new(e->ms);
    assert_non_null(e->mm);
}

static void env_down(struct env *e)
{
    mm_destroy(e->ms, e->mm);
    memsys_free(e->ms);
}

static void ev(struct env *e, struct mm *mm, unsigned type, int64_t result, const char *path, unsigned nargs, ...)
{
    struct mmt_event x = {.type = (uint16_t)type, .nargs = (uint8_t)nargs, .result = result, .path = path};
    va_list ap;
    va_start(ap, nargs);
    for (unsigned i = 0; i < nargs; i++) x.args[i] = va_arg(ap, uint64_t);
    va_end(ap);
    struct mm_inval inv;
    assert_int_equal(mm_event(e->ms, mm, &x, &inv), 0);
}

static void map_anon(struct env *e, struct mm *mm, uint64_t addr, uint64_t len, unsigned prot)
{
    ev(e, mm, MMT_EV_MMAP, (int64_t)addr, NULL, 6, addr, len, (uint64_t)prot, (uint64_t)(LX_MAP_PRIVATE | LX_MAP_ANONYMOUS),
       (uint64_t)-1, (uint64_t)0);
}

static void map_file(struct env *e, struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
                     uint64_t off, const char *path)
{
    ev(e, mm, MMT_EV_MMAP, (int64_t)addr, path, 6, addr, len, (uint64_t)prot, (uint64_t)flags, (uint64_t)3, off);
}

/* Touch like the engine: a fault only when no present entry allows the access; each
 * fault 1 us after the last (I/O such as writeback completes in between). */
static enum fault_kind touch(struct env *e, struct mm *mm, uint64_t va, unsigned flags)
{
    unsigned level;
    uint64_t pte = pgtable_lookup(mm_pgtable(mm), va, &level);
    if (pte && (!(flags & W) || (pte & PTE_WRITE))) return FAULT_NONE;
    e->now_ns += 1000;
    if (memsys_reclaim(e->ms)) reclaim_set_time(memsys_reclaim(e->ms), e->now_ns);
    struct fault_result r;
    mm_handle_fault(e->ms, mm, va, flags, &r);
    return r.kind;
}

static void touch_pages(struct env *e, struct mm *mm, uint64_t start, uint64_t n, unsigned flags)
{
    for (uint64_t i = 0; i < n; i++) touch(e, mm, start + i * PG, flags);
}

static void test_anon_and_zero_page(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    uint64_t free0 = page_alloc_free_pages(memsys_page_alloc(e.ms));
    map_anon(&e, e.mm, 0x10000000, 16 * PG, VMA_READ | VMA_WRITE);
    touch_pages(&e, e.mm, 0x10000000, 8, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 8);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 8);
    /* reads of untouched pages map the zero page: a fault each, no RSS */
    touch_pages(&e, e.mm, 0x10000000 + 8 * PG, 8, R);
    assert_int_equal(mm_counters(e.mm)->min_flt, 16);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 8);
    /* the first write to a zero-page mapping faults again and gets a frame */
    touch_pages(&e, e.mm, 0x10000000 + 8 * PG, 8, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 24);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 16);
    /* touching again costs nothing */
    touch_pages(&e, e.mm, 0x10000000, 16, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 24);
    /* 16 data frames, page tables (PML4 existed; PDPT, PD, PT are new) and a slab page
     * each for the vm_area_struct, the anon_vma and the anon_vma_chain; VmPTE counts PUD,
     * PMD and PTE tables, not the PGD */
    assert_int_equal(free0 - page_alloc_free_pages(memsys_page_alloc(e.ms)), 16 + 3 + 3);
    assert_int_equal(mm_counters(e.mm)->pgtables_bytes, 3 * PG);
    ev(&e, e.mm, MMT_EV_MUNMAP, 0, NULL, 2, (uint64_t)0x10000000, 16 * PG);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 0);
    assert_int_equal(mm_counters(e.mm)->rss_peak, 16);
    /* everything back but the slab pages, which SLUB keeps as partial slabs */
    assert_int_equal(page_alloc_free_pages(memsys_page_alloc(e.ms)), free0 - 3);
    env_down(&e);
}

struct os_find {
    char path[80];
    double v;
    int found;
};

static void os_find_cb(void *ctx, const char *path, const struct stat_def *d, const struct stat_val *v)
{
    (void)d;
    struct os_find *f = ctx;
    if (!strcmp(path, f->path)) {
        f->v = v->f;
        f->found = 1;
    }
}

/* The OS model's counter `name` (os.faults.<name> in the JSON report and sim_stat), read
 * back from the statistics it publishes so the test sees what a user sees. */
static uint64_t os_counter(struct env *e, const char *name)
{
    struct os_find f = {.found = 0};
    snprintf(f.path, sizeof f.path, "os.faults.%s", name);
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_QUERY, os_find_cb, &f);
    memsys_publish_stats(e->ms, &o);
    if (!f.found) fail_msg("%s not in the statistics", f.path);
    return (uint64_t)f.v;
}

/* Read N fresh anonymous pages, then write them: with the zero page (memory.zero_page=on)
 * each read maps the zero page and each write copies: 2N faults, N zero-page maps; without
 * it (a kernel that forbids the zero page) each read allocates a writable page: N faults,
 * no zero-page map, the writes fault no more. */
static void read_then_write(int zero_page, uint64_t n, uint64_t *faults, uint64_t *zero_maps, uint64_t *rss_after_reads)
{
    const char *sets[] = {zero_page ? "memory.zero_page=on" : "memory.zero_page=off"};
    struct env e;
    env_up(&e, sets, 1);
    map_anon(&e, e.mm, 0x10000000, n * PG, VMA_READ | VMA_WRITE);
    touch_pages(&e, e.mm, 0x10000000, n, R);
    *rss_after_reads = mm_counters(e.mm)->rss_anon;
    touch_pages(&e, e.mm, 0x10000000, n, W);
    assert_int_equal(mm_counters(e.mm)->rss_anon, n);
    *faults = mm_counters(e.mm)->min_flt;
    *zero_maps = os_counter(&e, "zero_page_maps");
    env_down(&e);
}

static void test_zero_page_on_and_off(void **st)
{
    (void)st;
    uint64_t faults, zero_maps, rss;
    read_then_write(1, 12, &faults, &zero_maps, &rss);
    assert_int_equal(faults, 24);
    assert_int_equal(zero_maps, 12);
    assert_int_equal(rss, 0);
    read_then_write(0, 12, &faults, &zero_maps, &rss);
    assert_int_equal(faults, 12);
    assert_int_equal(zero_maps, 0);
    assert_int_equal(rss, 12);
}

/* Without the zero page: a read fault in a read-only VMA allocates a page (RSS) that stays
 * read-only; a THP-eligible region takes a huge page on a read (no huge zero page either),
 * writable, so the 512 writes after it fault no more. */
static void test_no_zero_page_readonly_and_thp(void **st)
{
    (void)st;
    const char *sets[] = {"memory.zero_page=off"};
    struct env e;
    env_up(&e, sets, 1);
    map_anon(&e, e.mm, 0x10000000, 4 * PG, VMA_READ);
    touch_pages(&e, e.mm, 0x10000000, 4, R);
    assert_int_equal(mm_counters(e.mm)->min_flt, 4);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 4);
    unsigned level;
    assert_int_equal(pgtable_lookup(mm_pgtable(e.mm), 0x10000000, &level) & PTE_WRITE, 0);
    uint64_t base = 0x40000000, H = 2 << 20;
    map_anon(&e, e.mm, base, H, VMA_READ | VMA_WRITE);
    ev(&e, e.mm, MMT_EV_MADVISE, 0, NULL, 3, base, H, (uint64_t)LX_MADV_HUGEPAGE);
    assert_int_equal(touch(&e, e.mm, base + 7 * PG, R), FAULT_MINOR);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 4 + 512);
    touch_pages(&e, e.mm, base, 512, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 5);
    assert_int_equal(os_counter(&e, "thp_zero_page_maps"), 0);
    assert_int_equal(os_counter(&e, "zero_page_maps"), 0);
    env_down(&e);
}

static void test_sigsegv(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    map_anon(&e, e.mm, 0x10000000, 4 * PG, VMA_READ);
    assert_int_equal(touch(&e, e.mm, 0x20000000, R), FAULT_SIGSEGV);        /* no VMA */
    assert_int_equal(touch(&e, e.mm, 0x10000000, W), FAULT_SIGSEGV);        /* read-only VMA */
    assert_int_equal(touch(&e, e.mm, 0x10000000, FAULT_FLAG_INSTRUCTION), FAULT_SIGSEGV); /* no exec */
    assert_int_equal(touch(&e, e.mm, 0x10000000, R), FAULT_MINOR);
    assert_int_equal(mm_counters(e.mm)->min_flt, 1); /* failed faults are not counted */
    /* mprotect back and forth: an exclusive anonymous page gets write access back */
    ev(&e, e.mm, MMT_EV_MPROTECT, 0, NULL, 3, (uint64_t)0x10000000, 4 * PG, (uint64_t)(VMA_READ | VMA_WRITE));
    assert_int_equal(touch(&e, e.mm, 0x10001000, W), FAULT_MINOR);
    ev(&e, e.mm, MMT_EV_MPROTECT, 0, NULL, 3, (uint64_t)0x10000000, 4 * PG, (uint64_t)VMA_READ);
    assert_int_equal(touch(&e, e.mm, 0x10001000, W), FAULT_SIGSEGV);
    ev(&e, e.mm, MMT_EV_MPROTECT, 0, NULL, 3, (uint64_t)0x10000000, 4 * PG, (uint64_t)(VMA_READ | VMA_WRITE));
    assert_int_equal(touch(&e, e.mm, 0x10001000, W), FAULT_NONE);
    env_down(&e);
}

/* Fault-around, 16 pages: a VMA of 64 pages starting at page 3 of its page table.
 * Faults at page 3 (maps 3..18: from = max(0, 3 - min(3, 0))), 19 (19..31), 32 (32..47),
 * 48 (48..63), 64 (64..66): 5 faults for 64 pages. */
static void test_file_fault_around(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    uint64_t base = 0x40000000 + 3 * PG;
    map_file(&e, e.mm, base, 64 * PG, VMA_READ, LX_MAP_PRIVATE, 0, "/data/f");
    touch_pages(&e, e.mm, base, 64, R);
    assert_int_equal(mm_counters(e.mm)->min_flt, 5);
    assert_int_equal(mm_counters(e.mm)->maj_flt, 0);
    assert_int_equal(mm_counters(e.mm)->rss_file, 64);
    /* the window is clipped to the page table: a VMA across a 2 MiB boundary */
    struct mm *m2 = mm_new(e.ms);
    uint64_t b2 = 0x80000000 + 2 * 1024 * 1024 - 4 * PG; /* 4 pages before the boundary */
    map_file(&e, m2, b2, 8 * PG, VMA_READ, LX_MAP_PRIVATE, 0, "/data/f");
    touch(&e, m2, b2, R); /* maps the 4 pages of the first table only */
    assert_int_equal(mm_counters(m2)->rss_file, 4);
    touch_pages(&e, m2, b2, 8, R);
    assert_int_equal(mm_counters(m2)->min_flt, 2);
    /* the two address spaces share the cached frames */
    mm_destroy(e.ms, m2);
    env_down(&e);
}

/* A mapping the capture tool made (MMT_MAP_TOOL: Valgrind's preload library): its pages
 * are mapped (the access goes on, no second fault) but neither the faults, the pages nor the
 * page tables it alone needed are the process's; unmapping it gives nothing back. */
static void test_capture_tool_mapping(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    uint64_t mine = 0x40000000, tool = 0x7f0000000000; /* far apart: its own page tables */
    map_anon(&e, e.mm, mine, 4 * PG, VMA_READ | VMA_WRITE);
    touch_pages(&e, e.mm, mine, 4, W);
    uint64_t pt = mm_counters(e.mm)->pgtables_bytes;
    ev(&e, e.mm, MMT_EV_MMAP, (int64_t)tool, "/vg/vgpreload_core.so", 6, tool, 8 * PG, (uint64_t)(VMA_READ | VMA_WRITE),
       (uint64_t)LX_MAP_PRIVATE | MMT_MAP_TOOL, (uint64_t)3, (uint64_t)0);
    assert_int_equal(touch(&e, e.mm, tool, R), FAULT_NONE);  /* maps by fault-around */
    assert_int_equal(touch(&e, e.mm, tool + PG, W), FAULT_NONE); /* a COW copy */
    unsigned level;
    assert_true(pgtable_lookup(mm_pgtable(e.mm), tool + PG, &level) & PTE_WRITE);
    assert_int_equal(mm_counters(e.mm)->min_flt, 4);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 4);
    assert_int_equal(mm_counters(e.mm)->rss_file, 0);
    assert_int_equal(mm_counters(e.mm)->pgtables_bytes, pt);
    ev(&e, e.mm, MMT_EV_MUNMAP, 0, NULL, 2, tool, 8 * PG);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 4);
    assert_int_equal(mm_counters(e.mm)->rss_file, 0);
    /* without the flag the same mapping is the process's */
    map_file(&e, e.mm, tool, 8 * PG, VMA_READ | VMA_WRITE, LX_MAP_PRIVATE, 0, "/vg/vgpreload_core.so");
    assert_int_equal(touch(&e, e.mm, tool, R), FAULT_MINOR);
    assert_true(mm_counters(e.mm)->rss_file > 0);
    env_down(&e);
}

/* Writes to a private file mapping copy the page (no fault-around); a read first maps the
 * cached page and the write then copies it: 2 faults. */
static void test_file_cow_and_shared(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    uint64_t base = 0x40000000;
    map_file(&e, e.mm, base, 32 * PG, VMA_READ | VMA_WRITE, LX_MAP_PRIVATE, 0, "/data/g");
    touch_pages(&e, e.mm, base, 4, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 4);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 4);
    assert_int_equal(mm_counters(e.mm)->rss_file, 0);
    touch(&e, e.mm, base + 16 * PG, R); /* fault-around maps 16..31 */
    assert_int_equal(mm_counters(e.mm)->rss_file, 16);
    touch(&e, e.mm, base + 17 * PG, W); /* COW of a mapped file page */
    assert_int_equal(mm_counters(e.mm)->min_flt, 6);
    assert_int_equal(mm_counters(e.mm)->rss_file, 15);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 5);
    /* shared writable: a write maps the page writable (write-notify), 1 fault each */
    map_file(&e, e.mm, 0x50000000, 4 * PG, VMA_READ | VMA_WRITE, LX_MAP_SHARED, 0, "/data/h");
    touch_pages(&e, e.mm, 0x50000000, 4, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 10);
    assert_int_equal(mm_counters(e.mm)->rss_file, 19);
    env_down(&e);
}

/* fork: 8 written pages are shared read-only; the child's writes copy (8 faults), the
 * parent's writes then find its pages exclusive and reuse them (8 faults, no frames). */
static void test_fork_cow(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    struct page_alloc *pa = memsys_page_alloc(e.ms);
    map_anon(&e, e.mm, 0x10000000, 8 * PG, VMA_READ | VMA_WRITE);
    map_file(&e, e.mm, 0x40000000, 16 * PG, VMA_READ | VMA_EXEC, LX_MAP_PRIVATE, 0, "/lib/x.so");
    touch_pages(&e, e.mm, 0x10000000, 8, W);
    touch(&e, e.mm, 0x40000000, FAULT_FLAG_INSTRUCTION);
    assert_int_equal(mm_counters(e.mm)->min_flt, 9);
    struct mm *child = mm_fork(e.ms, e.mm);
    assert_non_null(child);
    assert_int_equal(mm_counters(child)->rss_anon, 8);
    assert_int_equal(mm_counters(child)->rss_file, 0); /* file VMA without anon pages: not copied */
    assert_int_equal(mm_counters(child)->min_flt, 0);
    uint64_t before = page_alloc_free_pages(pa);
    touch_pages(&e, child, 0x10000000, 8, W);
    assert_int_equal(mm_counters(child)->min_flt, 8);
    assert_int_equal(before - page_alloc_free_pages(pa), 8);
    touch(&e, child, 0x40000000, R); /* refaults its text, fault-around again */
    assert_int_equal(mm_counters(child)->min_flt, 9);
    mm_destroy(e.ms, child);
    before = page_alloc_free_pages(pa);
    touch_pages(&e, e.mm, 0x10000000, 8, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 17);
    assert_int_equal(page_alloc_free_pages(pa), before);
    /* a second fork where the parent writes first: copies in the parent instead */
    child = mm_fork(e.ms, e.mm);
    before = page_alloc_free_pages(pa);
    touch_pages(&e, e.mm, 0x10000000, 8, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 25);
    assert_int_equal(before - page_alloc_free_pages(pa), 8);
    touch_pages(&e, child, 0x10000000, 8, W); /* now exclusive in the child: reuse */
    assert_int_equal(before - page_alloc_free_pages(pa), 8);
    mm_destroy(e.ms, child);
    env_down(&e);
}

/* THP in madvise mode: a 4 MiB-aligned VMA with MADV_HUGEPAGE takes one order-9 page per
 * 2 MiB on the first write; a read maps the huge zero page; partial munmap splits. */
static void test_thp_madvise(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    struct page_alloc *pa = memsys_page_alloc(e.ms);
    uint64_t base = 0x40000000, H = 2 << 20;
    map_anon(&e, e.mm, base, 3 * H, VMA_READ | VMA_WRITE);
    touch(&e, e.mm, base + 5 * PG, W); /* no madvise yet: a base page */
    assert_int_equal(mm_counters(e.mm)->rss_anon, 1);
    ev(&e, e.mm, MMT_EV_MADVISE, 0, NULL, 3, base, 3 * H, (uint64_t)LX_MADV_HUGEPAGE);
    uint64_t before = page_alloc_free_pages(pa);
    touch(&e, e.mm, base + H + 123, W);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 513);
    assert_int_equal(before - page_alloc_free_pages(pa), 512); /* no PTE table needed */
    touch_pages(&e, e.mm, base + H, 512, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 2);
    /* the first 2 MiB already has a page table: base pages there */
    touch(&e, e.mm, base + 6 * PG, W);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 514);
    /* a read of the third 2 MiB maps the huge zero page; the write then allocates a THP */
    touch(&e, e.mm, base + 2 * H, R);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 514);
    touch(&e, e.mm, base + 2 * H + PG, W);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 1026);
    assert_int_equal(mm_counters(e.mm)->min_flt, 5);
    /* munmap of the first half of the second huge page splits it */
    ev(&e, e.mm, MMT_EV_MUNMAP, 0, NULL, 2, base + H, (uint64_t)(H / 2));
    assert_int_equal(mm_counters(e.mm)->rss_anon, 1026 - 256);
    touch(&e, e.mm, base + H + H / 2, W); /* still mapped, no fault */
    assert_int_equal(mm_counters(e.mm)->min_flt, 5);
    env_down(&e);
}

static void test_mremap_brk_stack_exec(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    map_anon(&e, e.mm, 0x10000000, 4 * PG, VMA_READ | VMA_WRITE);
    touch_pages(&e, e.mm, 0x10000000, 4, W);
    /* mremap moves the pages: no new faults at the new place */
    ev(&e, e.mm, MMT_EV_MREMAP, 0x20000000, NULL, 5, (uint64_t)0x10000000, 4 * PG, 8 * PG,
       (uint64_t)(LX_MREMAP_MAYMOVE), (uint64_t)0);
    assert_int_equal(touch(&e, e.mm, 0x20000000 + 3 * PG, W), FAULT_NONE);
    assert_int_equal(touch(&e, e.mm, 0x10000000, R), FAULT_SIGSEGV);
    assert_int_equal(touch(&e, e.mm, 0x20000000 + 5 * PG, W), FAULT_MINOR);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 5);
    /* brk: learn, grow, fault, shrink */
    ev(&e, e.mm, MMT_EV_BRK, 0x5000000, NULL, 1, (uint64_t)0);
    ev(&e, e.mm, MMT_EV_BRK, 0x5021000, NULL, 1, (uint64_t)0x5021000);
    touch_pages(&e, e.mm, 0x5000000, 0x21, W);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 5 + 0x21);
    ev(&e, e.mm, MMT_EV_BRK, 0x5001000, NULL, 1, (uint64_t)0x5001000);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 6);
    assert_int_equal(touch(&e, e.mm, 0x5002000, W), FAULT_SIGSEGV);
    /* the stack grows down on a fault below it */
    ev(&e, e.mm, MMT_EV_MAP_INITIAL, 0, "[stack]", 6, (uint64_t)0x7ff000000, (uint64_t)0x7ff021000, (uint64_t)3,
       (uint64_t)(LX_MAP_PRIVATE | LX_MAP_ANONYMOUS), (uint64_t)0, (uint64_t)0);
    assert_int_equal(touch(&e, e.mm, 0x7fefff000, W), FAULT_MINOR);
    /* exec drops everything; fault counters stay with the task */
    uint64_t flt = mm_counters(e.mm)->min_flt;
    ev(&e, e.mm, MMT_EV_EXEC, 0, "/bin/true", 0);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 0);
    assert_int_equal(mm_counters(e.mm)->min_flt, flt);
    assert_int_equal(touch(&e, e.mm, 0x20000000, R), FAULT_SIGSEGV);
    env_down(&e);
}

/* MAP_POPULATE faults every page in at mmap time; the kernel counts those faults. */
static void test_populate(void **st)
{
    (void)st;
    struct env e;
    env_up(&e, NULL, 0);
    ev(&e, e.mm, MMT_EV_MMAP, 0x10000000, NULL, 6, (uint64_t)0x10000000, 10 * PG, (uint64_t)3,
       (uint64_t)(LX_MAP_PRIVATE | LX_MAP_ANONYMOUS | LX_MAP_POPULATE), (uint64_t)-1, (uint64_t)0);
    assert_int_equal(mm_counters(e.mm)->min_flt, 10);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 10);
    assert_int_equal(touch(&e, e.mm, 0x10000000, W), FAULT_NONE);
    env_down(&e);
}


/* Cold page cache, read-around 32 pages with a PG_readahead mark 8 from its end: reading
 * 64 pages of a file from page 0 takes one major fault at 0 (reads 0..31, marks 24); then
 * minor faults at 1 (fault-around maps 1..15), 16 (16..31 but the marked 24), 24 (the mark
 * starts async readahead of 32..63, marked at 32), 32 (33..47 by fault-around, then 32
 * itself, reading 64..95 ahead) and 48 (48..63). */
static void test_cold_cache_major_faults(void **st)
{
    (void)st;
    const char *sets[] = {"memory.page_cache=cold"};
    struct env e;
    env_up(&e, sets, 1);
    uint64_t base = 0x40000000;
    map_file(&e, e.mm, base, 64 * PG, VMA_READ, LX_MAP_PRIVATE, 0, "/data/cold");
    assert_int_equal(touch(&e, e.mm, base, R), FAULT_MAJOR);
    assert_int_equal(mm_counters(e.mm)->rss_file, 1);
    touch_pages(&e, e.mm, base, 64, R);
    assert_int_equal(mm_counters(e.mm)->maj_flt, 1);
    assert_int_equal(mm_counters(e.mm)->min_flt, 5);
    assert_int_equal(mm_counters(e.mm)->rss_file, 64);
    /* a second process finds the pages cached: minor faults only, 64 / 16 of them */
    struct mm *m2 = mm_new(e.ms);
    map_file(&e, m2, base, 64 * PG, VMA_READ, LX_MAP_PRIVATE, 0, "/data/cold");
    touch_pages(&e, m2, base, 64, R);
    assert_int_equal(mm_counters(m2)->maj_flt, 0);
    assert_int_equal(mm_counters(m2)->min_flt, 4);
    mm_destroy(e.ms, m2);
    /* pages read with read(2) are cached too */
    ev(&e, e.mm, MMT_EV_FILE_READ, 8192, "/data/other", 4, (uint64_t)3, (uint64_t)0, (uint64_t)8192, (uint64_t)77);
    map_file(&e, e.mm, 0x50000000, 2 * PG, VMA_READ, LX_MAP_PRIVATE, 0, "/data/other");
    assert_int_equal(touch(&e, e.mm, 0x50001000, R), FAULT_MINOR);
    env_down(&e);
}

/* Dirty page-cache pages: 8 stores through a shared mapping and a 2-page write() dirty 10
 * pages (a read of the same mapping dirties none); reclaim (no swap: only file pages can
 * go) writes dirty pages back before their frames are reused, and a written-back page is
 * write-protected again (page_mkclean): the next store faults and dirties it anew. */
static void test_dirty_file_pages_written_back(void **st)
{
    (void)st;
    const char *sets[] = {"memory.size=16M", "swap.size=0"};
    struct env e;
    env_up(&e, sets, 2);
    uint64_t base = 0x40000000, d, dd, wr;
    map_file(&e, e.mm, base, 64 * PG, VMA_READ | VMA_WRITE, LX_MAP_SHARED, 0, "/data/dirty");
    touch_pages(&e, e.mm, base, 8, W);
    touch(&e, e.mm, base + 32 * PG, R);
    ev(&e, e.mm, MMT_EV_FILE_WRITE, 8192, "/data/log", 4, (uint64_t)4, (uint64_t)0, (uint64_t)8192, (uint64_t)78);
    memsys_dirty_counts(e.ms, &d, &dd, &wr);
    assert_int_equal(d, 10);
    assert_int_equal(dd, 10);
    assert_int_equal(wr, 0);
    /* anonymous memory until reclaim has written a page back */
    map_anon(&e, e.mm, 0x10000000, 8192 * PG, VMA_READ | VMA_WRITE);
    uint64_t i = 0;
    for (; i < 8192 && wr == 0; i++) {
        assert_int_equal(touch(&e, e.mm, 0x10000000 + i * PG, W), FAULT_MINOR);
        memsys_dirty_counts(e.ms, &d, &dd, &wr);
    }
    assert_true(wr >= 1);
    assert_int_equal(d + wr, 10); /* every dirty page is still dirty or was written once */
    /* more pressure until a page of the mapping is written back while still mapped: it
     * is read-only now, and a store faults */
    uint64_t redirty = 0;
    for (; i < 8192 && !redirty; i++) {
        for (uint64_t p = 0; p < 8 && !redirty; p++) {
            uint64_t pte = pgtable_lookup(mm_pgtable(e.mm), base + p * PG, NULL);
            if (pte && !(pte & PTE_WRITE)) {
                memsys_dirty_counts(e.ms, &d, &dd, &wr);
                assert_int_equal(dd, 10);
                assert_int_equal(touch(&e, e.mm, base + p * PG, W), FAULT_MINOR);
                redirty = 1;
            }
        }
        if (!redirty && touch(&e, e.mm, 0x10000000 + i * PG, W) != FAULT_MINOR) break;
    }
    memsys_dirty_counts(e.ms, &d, &dd, &wr);
    assert_true(redirty);
    memsys_dirty_counts(e.ms, &d, &dd, &wr);
    assert_int_equal(dd, 11);
    /* keep going: every dirty page is written before it can be freed */
    for (; i < 8192 && d > 0; i++) {
        if (touch(&e, e.mm, 0x10000000 + i * PG, W) != FAULT_MINOR) break;
        memsys_dirty_counts(e.ms, &d, &dd, &wr);
    }
    assert_int_equal(d, 0);
    assert_int_equal(wr, dd);
    env_down(&e);
}

/* fault_around_bytes=4096 turns fault-around off: one fault a page. */
static void test_fault_around_config(void **st)
{
    (void)st;
    const char *sets[] = {"memory.fault_around_bytes=4K"};
    struct env e;
    env_up(&e, sets, 1);
    map_file(&e, e.mm, 0x40000000, 32 * PG, VMA_READ, LX_MAP_PRIVATE, 0, "/data/f");
    touch_pages(&e, e.mm, 0x40000000, 32, R);
    assert_int_equal(mm_counters(e.mm)->min_flt, 32);
    env_down(&e);
}

/* thp=always: no madvise needed; a VMA too small for an aligned 2 MiB region gets base
 * pages; thp=never never allocates huge pages. */
static void test_thp_always_and_never(void **st)
{
    (void)st;
    const char *always[] = {"memory.thp=always"};
    struct env e;
    env_up(&e, always, 1);
    uint64_t H = 2 << 20;
    map_anon(&e, e.mm, 0x40000000, 2 * H, VMA_READ | VMA_WRITE);
    touch_pages(&e, e.mm, 0x40000000, 1024, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 2);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 1024);
    map_anon(&e, e.mm, 0x50000000 + PG, H, VMA_READ | VMA_WRITE); /* misaligned: no 2M region fits */
    touch(&e, e.mm, 0x50000000 + PG, W);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 1025);
    /* fork shares the huge page; a write in the child splits its mapping and copies 4K */
    struct page_alloc *pa = memsys_page_alloc(e.ms);
    uint64_t before = page_alloc_free_pages(pa);
    struct mm *child = mm_fork(e.ms, e.mm);
    assert_int_equal(touch(&e, child, 0x40000000 + 5 * PG, W), FAULT_MINOR);
    assert_int_equal(mm_counters(child)->rss_anon, 1025);
    assert_int_equal(touch(&e, child, 0x40000000 + 6 * PG, W), FAULT_MINOR);
    mm_destroy(e.ms, child);
    /* the parent exits without having written (no split on the way): every frame of the
     * huge pages comes back; only page tables and slabs differ */
    mm_destroy(e.ms, e.mm);
    e.mm = mm_new(e.ms);
    assert_true(page_alloc_free_pages(pa) + 32 >= before + 1024 + 1);
    assert_int_equal(page_alloc_bad_releases(pa), 0);
    env_down(&e);
    const char *never[] = {"memory.thp=never"};
    env_up(&e, never, 1);
    map_anon(&e, e.mm, 0x40000000, 2 * H, VMA_READ | VMA_WRITE);
    ev(&e, e.mm, MMT_EV_MADVISE, 0, NULL, 3, (uint64_t)0x40000000, 2 * H, (uint64_t)LX_MADV_HUGEPAGE);
    touch_pages(&e, e.mm, 0x40000000, 16, W);
    assert_int_equal(mm_counters(e.mm)->min_flt, 16);
    env_down(&e);
}

/* 16 KiB base pages: faults per 16 KiB page, 32 MiB huge pages, fault-around of 64 KiB is
 * 4 pages. */
static void test_16k_pages(void **st)
{
    (void)st;
    const char *sets[] = {"memory.page_size=16K", "memory.thp=always"};
    struct env e;
    env_up(&e, sets, 2);
    uint64_t P = 16384;
    map_file(&e, e.mm, 0x40000000, 16 * P, VMA_READ, LX_MAP_PRIVATE, 0, "/data/f");
    for (uint64_t i = 0; i < 16; i++) touch(&e, e.mm, 0x40000000 + i * P, R);
    assert_int_equal(mm_counters(e.mm)->min_flt, 4);
    map_anon(&e, e.mm, 0x80000000, 32 << 20, VMA_READ | VMA_WRITE);
    touch(&e, e.mm, 0x80000000 + 12345, W);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 2048); /* one 32 MiB page */
    env_down(&e);
}

/* A 4K trace replayed with 16K pages: ld.so-like adjacent mappings (r, then r-x at a 4K
 * offset) share a 16K page, which gets both protections; no SIGSEGV on fetches. */
static void test_4k_trace_on_16k_pages(void **st)
{
    (void)st;
    const char *sets[] = {"memory.page_size=16K"};
    struct env e;
    env_up(&e, sets, 1);
    map_file(&e, e.mm, 0x40000000, PG, VMA_READ, LX_MAP_PRIVATE, 0, "/lib/ld.so");
    map_file(&e, e.mm, 0x40001000, 0x26000, VMA_READ | VMA_EXEC, LX_MAP_PRIVATE, 0x1000, "/lib/ld.so");
    assert_int_equal(touch(&e, e.mm, 0x40000000, R), FAULT_MINOR);
    assert_int_equal(touch(&e, e.mm, 0x40001000, FAULT_FLAG_INSTRUCTION), FAULT_NONE); /* same 16K page */
    assert_int_equal(touch(&e, e.mm, 0x40004000, FAULT_FLAG_INSTRUCTION), FAULT_NONE); /* fault-around */
    assert_int_equal(touch(&e, e.mm, 0x40026fff, FAULT_FLAG_INSTRUCTION), FAULT_MINOR);
    assert_int_equal(mm_counters(e.mm)->min_flt, 2);
    /* munmap of 4K inside a 16K page changes nothing; of a whole 16K page unmaps it */
    ev(&e, e.mm, MMT_EV_MUNMAP, 0, NULL, 2, (uint64_t)0x40000000, PG);
    assert_int_equal(touch(&e, e.mm, 0x40000000, R), FAULT_NONE);
    ev(&e, e.mm, MMT_EV_MUNMAP, 0, NULL, 2, (uint64_t)0x40000000, 4 * PG);
    assert_int_equal(touch(&e, e.mm, 0x40000000, R), FAULT_SIGSEGV);
    env_down(&e);
}

/* THP falls back to a base page when no order-9 block is free: memory fragmented so that
 * every other frame is free (8192 free order-0 pages, far above the watermarks). */
static void test_thp_fallback(void **st)
{
    (void)st;
    const char *sets[] = {"memory.size=64M", "memory.thp=always"};
    struct env e;
    env_up(&e, sets, 2);
    struct page_alloc *pa = memsys_page_alloc(e.ms);
    map_anon(&e, e.mm, 0x40000000, 4 << 20, VMA_READ | VMA_WRITE);
    touch(&e, e.mm, 0x40000000, W); /* page tables and slabs exist now; a THP was taken */
    assert_int_equal(mm_counters(e.mm)->rss_anon, 512);
    uint64_t n = page_alloc_free_pages(pa), got = 0;
    uint64_t *pfns = malloc(n * sizeof *pfns);
    assert_non_null(pfns);
    uint64_t p;
    while ((p = page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE)) != PA_NO_PFN) pfns[got++] = p;
    for (uint64_t i = 0; i < got; i++)
        if (pfns[i] % 2 == 0) page_alloc_release(pa, pfns[i], 0);
    assert_int_equal(page_alloc_nr_free(pa, 9) + page_alloc_nr_free(pa, 10), 0);
    assert_true(page_alloc_free_pages(pa) > page_alloc_wmark(pa, PA_WMARK_HIGH));
    assert_int_equal(touch(&e, e.mm, 0x40000000 + (2 << 20), W), FAULT_MINOR);
    assert_int_equal(mm_counters(e.mm)->rss_anon, 513); /* a 4K page */
    for (uint64_t i = 0; i < got; i++)
        if (pfns[i] % 2 == 1) page_alloc_release(pa, pfns[i], 0);
    free(pfns);
    env_down(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anon_and_zero_page),
        cmocka_unit_test(test_zero_page_on_and_off),
        cmocka_unit_test(test_no_zero_page_readonly_and_thp),
        cmocka_unit_test(test_sigsegv),
        cmocka_unit_test(test_file_fault_around),
        cmocka_unit_test(test_capture_tool_mapping),
        cmocka_unit_test(test_file_cow_and_shared),
        cmocka_unit_test(test_fork_cow),
        cmocka_unit_test(test_thp_madvise),
        cmocka_unit_test(test_mremap_brk_stack_exec),
        cmocka_unit_test(test_populate),
        cmocka_unit_test(test_cold_cache_major_faults),
        cmocka_unit_test(test_dirty_file_pages_written_back),
        cmocka_unit_test(test_fault_around_config),
        cmocka_unit_test(test_thp_always_and_never),
        cmocka_unit_test(test_16k_pages),
        cmocka_unit_test(test_4k_trace_on_16k_pages),
        cmocka_unit_test(test_thp_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
