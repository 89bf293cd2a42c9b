/* test_slub.c - SLUB slab orders (calculate_order, hand-computed), slabs from the buddy
 * allocator, /proc/slabinfo text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/page_alloc.h"
#include "model/slub.h"

static int order_for(unsigned size, unsigned shift, unsigned cpus)
{
    return slub_calculate_order(size, shift, cpus, 0, 0, 3, 10);
}

/* 2 CPUs: min_objects = 4 * (fls(2) + 1) = 12. Each order is the one /proc/slabinfo of
 * the reference machine (6.18, 2 CPUs) shows for that size: pagesperslab = 2^order. */
static void test_order_2cpus(void **st)
{
    (void)st;
    assert_int_equal(order_for(5888, 12, 2), 3); /* task_struct: min 5 objs, waste 3328 <= 32768/8 */
    assert_int_equal(order_for(1600, 12, 2), 3); /* mm_struct: get_order(19200) = 3, waste 768 */
    assert_int_equal(order_for(192, 12, 2), 0);  /* vm_area_struct: waste 64 <= 256 */
    assert_int_equal(order_for(1152, 12, 2), 2); /* signal_cache: waste 256 <= 1024 */
    assert_int_equal(order_for(2112, 12, 2), 3); /* sighand_cache: waste 1088 <= 2048 */
    assert_int_equal(order_for(704, 12, 2), 2);  /* files_cache: waste 192 */
    assert_int_equal(order_for(584, 12, 2), 1);  /* radix_tree_node: waste 16 */
    assert_int_equal(order_for(104, 12, 2), 0);  /* anon_vma: waste 40 */
    assert_int_equal(order_for(1128, 12, 2), 2); /* ext4_inode_cache: waste 592 <= 1024 */
    assert_int_equal(order_for(64, 12, 2), 0);
}

static void test_order_other_cpus_and_sizes(void **st)
{
    (void)st;
    /* 64 CPUs: min_objects = 4 * (7 + 1) = 32 */
    assert_int_equal(order_for(192, 12, 64), 1);  /* 6144 B -> order 1, waste 128 <= 512 */
    assert_int_equal(order_for(704, 12, 64), 3);  /* 22528 B -> order 3, waste 384 */
    assert_int_equal(order_for(1600, 12, 64), 3); /* capped at 20 objects -> order 3 */
    /* 1 CPU: min_objects 8 */
    assert_int_equal(order_for(1600, 12, 1), 2);  /* 12800 B -> order 2, waste 384 <= 1024 */
    /* 9000 B: 3 objects at order 3, waste 5768: fails 1/16 and 1/8, passes 1/4 */
    assert_int_equal(order_for(9000, 12, 2), 3);
    /* 40000 B: nothing fits in order 3 -> get_order(size) = 4 */
    assert_int_equal(order_for(40000, 12, 2), 4);
    /* 64 KiB pages: 12 * 700 fits in order 0, waste 436 <= 4096 */
    assert_int_equal(order_for(700, 16, 2), 0);
    /* slub_min_order 1 forces at least order 1 */
    assert_int_equal(slub_calculate_order(192, 12, 2, 0, 1, 3, 10), 1);
    /* slub_min_objects 64: 12288 B -> order 2, waste 64 */
    assert_int_equal(slub_calculate_order(192, 12, 2, 64, 0, 3, 10), 2);
    assert_int_equal(slub_calculate_order(0, 12, 2, 0, 0, 3, 10), -1);
}

static struct page_alloc *make_pa(void)
{
    struct page_alloc_config c = {.total_pages = 1024, .page_shift = 12};
    struct page_alloc *pa = page_alloc_new(&c);
    assert_non_null(pa);
    return pa;
}

static void test_slabs_from_buddy(void **st)
{
    (void)st;
    struct page_alloc *pa = make_pa();
    struct slub_config sc = {.page_shift = 12, .nr_cpus = 2};
    struct slub *s = slub_new(pa, &sc);
    assert_non_null(s);
    assert_int_equal(slub_objs_per_slab(s, SLAB_TASK_STRUCT), 5);
    uint64_t objs[6];
    for (int i = 0; i < 5; i++) assert_int_not_equal(objs[i] = slub_alloc(s, SLAB_TASK_STRUCT), SLUB_NO_OBJ);
    assert_int_equal(page_alloc_free_pages(pa), 1024 - 8);
    assert_int_equal(slub_nr_slabs(s, SLAB_TASK_STRUCT), 1);
    /* objects sit 5888 bytes apart in the slab's frames */
    assert_int_equal(slub_obj_paddr(s, SLAB_TASK_STRUCT, objs[1]) - slub_obj_paddr(s, SLAB_TASK_STRUCT, objs[0]), 5888);
    objs[5] = slub_alloc(s, SLAB_TASK_STRUCT);
    assert_int_equal(slub_nr_slabs(s, SLAB_TASK_STRUCT), 2);
    assert_int_equal(page_alloc_free_pages(pa), 1024 - 16);
    /* slab pages are unmovable: they stole a pageblock */
    assert_int_equal(page_alloc_pageblock_mt(pa, 0), PA_UNMOVABLE);
    assert_int_equal(slub_release(s, SLAB_TASK_STRUCT, objs[2]), 0);
    assert_int_equal(slub_release(s, SLAB_TASK_STRUCT, objs[2]), -1); /* double free refused */
    assert_int_equal(slub_release(s, SLAB_MM_STRUCT, 12345), -1);
    assert_int_equal(slub_active_objs(s, SLAB_TASK_STRUCT), 5);
    /* the freed slot is reused before a new slab is made */
    assert_int_equal(slub_alloc(s, SLAB_TASK_STRUCT), objs[2]);
    assert_int_equal(slub_nr_slabs(s, SLAB_TASK_STRUCT), 2);
    slub_free_all(s);
    assert_int_equal(page_alloc_free_pages(pa), 1024);
    page_alloc_free_all(pa);
}

/* vm_area_struct: min_partial = ilog2(192)/2 = 3 -> clamped to 5: of 8 empty slabs,
 * 3 go back to the buddy allocator. */
static void test_empty_slabs_released_and_slabinfo(void **st)
{
    (void)st;
    struct page_alloc *pa = make_pa();
    struct slub_config sc = {.page_shift = 12, .nr_cpus = 2};
    struct slub *s = slub_new(pa, &sc);
    uint64_t objs[168];
    for (int i = 0; i < 168; i++) objs[i] = slub_alloc(s, SLAB_VM_AREA_STRUCT);
    assert_int_equal(slub_nr_slabs(s, SLAB_VM_AREA_STRUCT), 8);
    assert_int_equal(slub_alloc(s, SLAB_ANON_VMA), 1);
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    slub_slabinfo(s, f);
    fclose(f);
    assert_non_null(strstr(buf, "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize>"));
    assert_non_null(strstr(buf, "\nvm_area_struct       168    168    192   21    1 : tunables    0    0    0 : slabdata      8      8      0\n"));
    assert_non_null(strstr(buf, "\nanon_vma               1     39    104   39    1 : tunables    0    0    0 : slabdata      1      1      0\n"));
    assert_non_null(strstr(buf, "\ntask_struct            0      0   5888    5    8 : tunables    0    0    0 : slabdata      0      0      0\n"));
    for (int i = 0; i < 168; i++) assert_int_equal(slub_release(s, SLAB_VM_AREA_STRUCT, objs[i]), 0);
    assert_int_equal(slub_nr_slabs(s, SLAB_VM_AREA_STRUCT), 5);
    assert_int_equal(slub_total_pages(s), 5 + 1);
    slub_free_all(s);
    page_alloc_free_all(pa);
}

static void test_configured_size_and_exhaustion(void **st)
{
    (void)st;
    struct page_alloc *pa = make_pa();
    struct slub_config sc = {.page_shift = 12, .nr_cpus = 2};
    sc.objsize[SLAB_MM_STRUCT] = 1024;
    struct slub *s = slub_new(pa, &sc);
    assert_int_equal(slub_objsize(s, SLAB_MM_STRUCT), 1024);
    assert_int_equal(slub_order(s, SLAB_MM_STRUCT), 2); /* 12288 B -> order 2, waste 0 */
    assert_int_equal(slub_objs_per_slab(s, SLAB_MM_STRUCT), 16);
    /* 1024 frames, order-3 task_struct slabs above the min watermark (64 pages) */
    int n = 0;
    while (slub_alloc(s, SLAB_TASK_STRUCT) != SLUB_NO_OBJ) n++;
    assert_true(n >= 5 * ((1024 - 64) / 8) - 5 && n <= 5 * 128);
    slub_free_all(s);
    assert_int_equal(page_alloc_free_pages(pa), 1024);
    page_alloc_free_all(pa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_2cpus),
        cmocka_unit_test(test_order_other_cpus_and_sizes),
        cmocka_unit_test(test_slabs_from_buddy),
        cmocka_unit_test(test_empty_slabs_released_and_slabinfo),
        cmocka_unit_test(test_configured_size_and_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
