/* test_mmap.c - the VMA set: mmap, munmap splitting, mprotect split and merge, mremap,
 * brk, madvise flags, stack growth, fork copy, vm_area_struct slab objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "model/memory.h"
#include "model/mmap.h"
#include "model/page_alloc.h"
#include "model/slub.h"

#define PG 4096ull
#define RW (VMA_READ | VMA_WRITE)

static void expect(const struct vma_set *s, size_t i, uint64_t start, uint64_t end, uint32_t prot)
{
    assert_true(i < s->n);
    assert_int_equal(s->v[i].start, start);
    assert_int_equal(s->v[i].end, end);
    assert_int_equal(s->v[i].prot, prot);
}

static void test_map_find_unmap_split(void **st)
{
    (void)st;
    struct vma_set s;
    vmas_init(&s, NULL, PG);
    assert_int_equal(vmas_map(&s, 0x10000, 0x20000, RW, 0, 0, 0), 0);
    assert_int_equal(vmas_map(&s, 0x40000, 0x41000, VMA_READ, 0, 7, 0x3000), 0);
    assert_null(vmas_find(&s, 0xffff));
    assert_non_null(vmas_find(&s, 0x10000));
    assert_non_null(vmas_find(&s, 0x1ffff));
    assert_null(vmas_find(&s, 0x20000));
    assert_ptr_equal(vmas_find_next(&s, 0x20000), &s.v[1]);
    /* a hole in the middle splits one VMA into two */
    assert_int_equal(vmas_unmap(&s, 0x14000, 0x16000), 0);
    assert_int_equal(vmas_count(&s), 3);
    expect(&s, 0, 0x10000, 0x14000, RW);
    expect(&s, 1, 0x16000, 0x20000, RW);
    assert_int_equal(s.v[1].off, 0x16000); /* anonymous: vm_pgoff follows the address */
    /* unmapping across two VMAs and a hole trims both */
    assert_int_equal(vmas_unmap(&s, 0x12000, 0x18001), 0); /* end rounds up to 0x19000 */
    expect(&s, 0, 0x10000, 0x12000, RW);
    expect(&s, 1, 0x19000, 0x20000, RW);
    /* an unaligned mmap end is rounded up to the page */
    assert_int_equal(vmas_map(&s, 0x50000, 0x50001, RW, VMA_SHARED, 0, 0), 0);
    assert_int_equal(vmas_find(&s, 0x50fff)->end, 0x51000);
    assert_int_equal(vmas_map(&s, 0x60000, 0x60000, RW, 0, 0, 0), -1); /* empty */
    vmas_destroy(&s);
}

static void test_fixed_map_replaces_and_merges(void **st)
{
    (void)st;
    struct vma_set s;
    vmas_init(&s, NULL, PG);
    vmas_map(&s, 0x10000, 0x20000, RW, 0, 0, 0);
    /* MAP_FIXED of a file over the middle: three VMAs */
    vmas_map(&s, 0x14000, 0x18000, VMA_READ, 0, 3, 0x1000);
    assert_int_equal(vmas_count(&s), 3);
    assert_int_equal(s.v[1].file, 3);
    assert_int_equal(s.v[1].off, 0x1000);
    /* adjacent file mapping with the contiguous offset merges */
    vmas_map(&s, 0x18000, 0x19000, VMA_READ, 0, 3, 0x5000);
    assert_int_equal(vmas_count(&s), 3);
    expect(&s, 1, 0x14000, 0x19000, VMA_READ);
    /* a non-contiguous offset does not */
    vmas_map(&s, 0x19000, 0x1a000, VMA_READ, 0, 3, 0x9000);
    assert_int_equal(vmas_count(&s), 4);
    /* anonymous maps next to each other merge (vm_pgoff = address) */
    struct vma_set a;
    vmas_init(&a, NULL, PG);
    vmas_map(&a, 0x100000, 0x101000, RW, 0, 0, 0);
    vmas_map(&a, 0x101000, 0x103000, RW, 0, 0, 0);
    vmas_map(&a, 0x0ff000, 0x100000, RW, 0, 0, 0);
    assert_int_equal(vmas_count(&a), 1);
    expect(&a, 0, 0xff000, 0x103000, RW);
    vmas_destroy(&a);
    vmas_destroy(&s);
}

static void test_mprotect_split_merge(void **st)
{
    (void)st;
    struct vma_set s;
    vmas_init(&s, NULL, PG);
    vmas_map(&s, 0x10000, 0x20000, RW, 0, 0, 0);
    assert_int_equal(vmas_protect(&s, 0x12000, 0x13000, VMA_READ), 0);
    assert_int_equal(vmas_count(&s), 3);
    expect(&s, 0, 0x10000, 0x12000, RW);
    expect(&s, 1, 0x12000, 0x13000, VMA_READ);
    expect(&s, 2, 0x13000, 0x20000, RW);
    /* back to RW: merges into one again */
    vmas_protect(&s, 0x12000, 0x13000, RW);
    assert_int_equal(vmas_count(&s), 1);
    expect(&s, 0, 0x10000, 0x20000, RW);
    /* mprotect of the head: two VMAs */
    vmas_protect(&s, 0x10000, 0x11000, 0);
    assert_int_equal(vmas_count(&s), 2);
    expect(&s, 0, 0x10000, 0x11000, 0);
    vmas_destroy(&s);
}

static void test_mremap(void **st)
{
    (void)st;
    struct vma_set s;
    vmas_init(&s, NULL, PG);
    vmas_map(&s, 0x10000, 0x12000, RW, 0, 0, 0);
    /* grow in place */
    assert_int_equal(vmas_remap(&s, 0x10000, 0x2000, 0x10000, 0x5000), 0);
    assert_int_equal(vmas_count(&s), 1);
    expect(&s, 0, 0x10000, 0x15000, RW);
    /* shrink in place */
    assert_int_equal(vmas_remap(&s, 0x10000, 0x5000, 0x10000, 0x3000), 0);
    expect(&s, 0, 0x10000, 0x13000, RW);
    /* move: the old range disappears, the VMA keeps its vm_pgoff */
    assert_int_equal(vmas_remap(&s, 0x10000, 0x3000, 0x80000, 0x4000), 0);
    assert_int_equal(vmas_count(&s), 1);
    expect(&s, 0, 0x80000, 0x84000, RW);
    assert_int_equal(s.v[0].off, 0x10000);
    assert_null(vmas_find(&s, 0x10000));
    /* moving a part of a file VMA carries the right file offset */
    vmas_map(&s, 0x200000, 0x208000, VMA_READ, 0, 9, 0x100000);
    assert_int_equal(vmas_remap(&s, 0x204000, 0x2000, 0x300000, 0x2000), 0);
    assert_int_equal(vmas_find(&s, 0x300000)->off, 0x104000);
    assert_int_equal(vmas_find(&s, 0x206000)->off, 0x106000);
    assert_int_equal(vmas_remap(&s, 0x900000, 0x1000, 0x900000, 0x2000), -1); /* nothing there */
    vmas_destroy(&s);
}

static void test_brk(void **st)
{
    (void)st;
    struct vma_set s;
    vmas_init(&s, NULL, PG);
    vmas_map(&s, 0x400000, 0x401000, VMA_READ, 0, 1, 0);
    vmas_brk(&s, 0x555000); /* brk(0): learns start_brk */
    assert_int_equal(vmas_count(&s), 1);
    vmas_brk(&s, 0x576010); /* grows: [0x555000, 0x577000) */
    assert_int_equal(vmas_count(&s), 2);
    expect(&s, 1, 0x555000, 0x577000, RW);
    vmas_brk(&s, 0x598000);
    assert_int_equal(vmas_count(&s), 2);
    expect(&s, 1, 0x555000, 0x598000, RW);
    vmas_brk(&s, 0x560000); /* shrinks */
    expect(&s, 1, 0x555000, 0x560000, RW);
    vmas_brk(&s, 0x100000); /* below start_brk: refused */
    expect(&s, 1, 0x555000, 0x560000, RW);
    vmas_brk(&s, 0x555000); /* back to empty */
    assert_int_equal(vmas_count(&s), 1);
    vmas_destroy(&s);
}

/* mm_event_range: the range an event changes, worked out by hand for 4 KiB and 64 KiB
 * pages (trace ranges are 4 KiB pages; a new mapping rounds out, a shrinking one in). */
static struct mm_inval range_of(uint16_t type, int64_t result, uint64_t a0, uint64_t a1, uint64_t a2,
                                uint64_t page_size, const struct vma_heap *heap)
{
    struct mmt_event ev = {.type = type, .nargs = 4, .result = result, .args = {a0, a1, a2, 0}};
    struct mm_inval r;
    mm_event_range(&ev, page_size, heap, &r);
    return r;
}

static void test_event_range(void **st)
{
    (void)st;
    struct vma_heap none = {0, 0, 0}, heap = {0x555000, 0x576010, 1};
    struct mm_inval r = range_of(MMT_EV_MMAP, 0x7f0000001000, 0, 0x2800, 3, 4096, &none);
    assert_int_equal(r.start, 0x7f0000001000); /* 10 KiB -> 3 pages */
    assert_int_equal(r.end, 0x7f0000004000);
    r = range_of(MMT_EV_MMAP, 0x7f0000001000, 0, 0x2800, 3, 65536, &none);
    assert_int_equal(r.start, 0x7f0000000000); /* rounded out to 64 KiB pages */
    assert_int_equal(r.end, 0x7f0000010000);
    r = range_of(MMT_EV_MUNMAP, 0, 0x7f0000001000, 0x2800, 0, 4096, &none);
    assert_int_equal(r.start, 0x7f0000001000); /* the partial last page goes too (munmap) */
    assert_int_equal(r.end, 0x7f0000004000);
    r = range_of(MMT_EV_MUNMAP, 0, 0x7f0000001000, 0x2800, 0, 65536, &none);
    assert_int_equal(r.end, 0); /* no whole 64 KiB page inside */
    r = range_of(MMT_EV_MUNMAP, -22, 0x7f0000001000, 0x2800, 0, 4096, &none);
    assert_int_equal(r.end, 0); /* a failed call changes nothing */
    r = range_of(MMT_EV_MADVISE, 0, 0x10000, 0x3000, 4, 4096, &none);
    assert_int_equal(r.start, 0x10000); /* MADV_DONTNEED drops pages */
    assert_int_equal(r.end, 0x13000);
    r = range_of(MMT_EV_MADVISE, 0, 0x10000, 0x3000, 14, 4096, &none);
    assert_int_equal(r.end, 0); /* MADV_HUGEPAGE drops nothing */
    r = range_of(MMT_EV_MREMAP, 0x20000, 0x10000, 0x1000, 0x3000, 4096, &none);
    assert_int_equal(r.start, 0x10000); /* the old range at its larger length */
    assert_int_equal(r.end, 0x13000);
    r = range_of(MMT_EV_BRK, 0x560000, 0, 0, 0, 4096, &heap);
    assert_int_equal(r.start, 0x560000); /* shrinking brk: [new, PAGE_ALIGN(old)) */
    assert_int_equal(r.end, 0x577000);
    r = range_of(MMT_EV_BRK, 0x560000, 0, 0, 0, 4096, &none);
    assert_int_equal(r.end, 0); /* the first brk only learns where the heap starts */
    r = range_of(MMT_EV_BRK, 0x100000, 0, 0, 0, 4096, &heap);
    assert_int_equal(r.end, 0); /* below start_brk: refused */
    r = range_of(MMT_EV_EXEC, 0, 0, 0, 0, 4096, &heap);
    assert_true(r.all);
    /* the heap's bounds follow brk as vmas_brk keeps them */
    struct vma_heap h = none;
    vma_heap_brk(&h, 0x555000);
    assert_int_equal(h.start_brk, 0x555000);
    vma_heap_brk(&h, 0x600000);
    vma_heap_brk(&h, 0x100000);
    assert_int_equal(h.brk, 0x600000);
}

static void test_flags_stack_fork_and_slab(void **st)
{
    (void)st;
    struct page_alloc_config pc = {.total_pages = 4096, .page_shift = 12};
    struct page_alloc *pa = page_alloc_new(&pc);
    struct slub_config sc = {.page_shift = 12, .nr_cpus = 2};
    struct slub *slub = slub_new(pa, &sc);
    struct vma_set s;
    vmas_init(&s, slub, PG);
    vmas_map(&s, 0x100000, 0x500000, RW, 0, 0, 0);
    assert_int_equal(slub_active_objs(slub, SLAB_VM_AREA_STRUCT), 1);
    vmas_set_flags(&s, 0x200000, 0x400000, VMA_HUGEPAGE, 0);
    assert_int_equal(vmas_count(&s), 3);
    assert_int_equal(slub_active_objs(slub, SLAB_VM_AREA_STRUCT), 3);
    assert_true(vmas_find(&s, 0x300000)->flags & VMA_HUGEPAGE);
    vmas_set_flags(&s, 0x200000, 0x400000, 0, VMA_HUGEPAGE);
    assert_int_equal(vmas_count(&s), 1);
    assert_int_equal(slub_active_objs(slub, SLAB_VM_AREA_STRUCT), 1);
    /* the stack grows down on a fault below it, not into the guard gap */
    vmas_map(&s, 0x7f0000000, 0x7f0021000, RW, VMA_GROWSDOWN, 0, 0);
    assert_null(vmas_find(&s, 0x7effff000));
    struct vma *v = vmas_expand_stack(&s, 0x7effff010, 1 << 20);
    assert_non_null(v);
    assert_int_equal(v->start, 0x7effff000);
    assert_null(vmas_expand_stack(&s, 0x500010, 1 << 20)); /* within 1 MiB of the heap VMA */
    assert_null(vmas_expand_stack(&s, 0x50, 1 << 20));     /* no growsdown VMA above */
    /* fork copies all but DONTCOPY */
    vmas_set_flags(&s, 0x100000, 0x200000, VMA_DONTCOPY, 0);
    struct vma_set c;
    assert_int_equal(vmas_copy(&c, &s), 0);
    assert_int_equal(vmas_count(&c), vmas_count(&s) - 1);
    assert_int_equal(slub_active_objs(slub, SLAB_VM_AREA_STRUCT), vmas_count(&s) + vmas_count(&c));
    vmas_destroy(&c);
    vmas_destroy(&s);
    assert_int_equal(slub_active_objs(slub, SLAB_VM_AREA_STRUCT), 0);
    slub_free_all(slub);
    page_alloc_free_all(pa);
}

/* Random operations against a page-granular reference map. */
static void test_random_against_reference(void **st)
{
    (void)st;
    enum { PAGES = 256 };
    uint8_t ref[PAGES]; /* 0: unmapped, else prot + 1 */
    for (int i = 0; i < PAGES; i++) ref[i] = 0;
    struct vma_set s;
    vmas_init(&s, NULL, PG);
    unsigned seed = 7;
    for (int step = 0; step < 3000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        unsigned a = r % PAGES, len = 1 + (r >> 8) % 24, op = (r >> 16) % 3, prot = (r >> 20) % 4;
        if (a + len > PAGES) len = PAGES - a;
        uint64_t start = a * PG, end = (a + len) * PG;
        if (op == 0) { vmas_map(&s, start, end, prot, 0, 0, 0); for (unsigned i = a; i < a + len; i++) ref[i] = (uint8_t)(prot + 1); }
        if (op == 1) { vmas_unmap(&s, start, end); for (unsigned i = a; i < a + len; i++) ref[i] = 0; }
        if (op == 2) { vmas_protect(&s, start, end, prot); for (unsigned i = a; i < a + len; i++) if (ref[i]) ref[i] = (uint8_t)(prot + 1); }
        for (unsigned i = 0; i < PAGES; i++) {
            const struct vma *v = vmas_find(&s, i * PG + 5);
            assert_int_equal(v ? v->prot + 1 : 0, ref[i]);
        }
        for (size_t i = 0; i + 1 < s.n; i++) {
            assert_true(s.v[i].end <= s.v[i + 1].start);
            /* merged: no two adjacent VMAs with equal attributes */
            assert_false(s.v[i].end == s.v[i + 1].start && s.v[i].prot == s.v[i + 1].prot &&
                         s.v[i].off + (s.v[i].end - s.v[i].start) == s.v[i + 1].off);
        }
    }
    vmas_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_find_unmap_split),
        cmocka_unit_test(test_fixed_map_replaces_and_merges),
        cmocka_unit_test(test_mprotect_split_merge),
        cmocka_unit_test(test_mremap),
        cmocka_unit_test(test_brk),
        cmocka_unit_test(test_event_range),
        cmocka_unit_test(test_flags_stack_fork_and_slab),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
