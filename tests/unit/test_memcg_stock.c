/* The per-CPU memcg charge stock (model/memcg_stock.c), with figures computed by hand
 * from try_charge_memcg's rules (mm/memcontrol.c, 6.18) and the probe of the kernel in
 * tests/e2e/memcg_stock.sh (tests/progs/memcg_stock): 100 pages touched on CPU 0 and 10 on
 * CPU 1 show a usage of 192 pages, stocks of 28 and 54, and 110 pages in use after
 * drain_all_stock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/memcg_stock.h"

static void charge(struct memcg_stock *st, struct oom_memcg *mg, uint32_t cpu, int n)
{
    for (int i = 0; i < n; i++)
        memcg_stock_charge(st, mg, cpu);
}

/* Batches of 64 while they fit; a task on the other CPU charges its own batch, the first
 * CPU's stock staying charged. */
static void batches_and_a_stranded_stock(void **state)
{
    (void)state;
    struct memcg_stock st;
    struct oom_memcg mg = {0};
    assert_int_equal(memcg_stock_init(&st, 2, 64, 60000), 0);
    charge(&st, &mg, 0, 1);
    assert_int_equal(mg.usage_pages, 64); /* the first charge takes a batch */
    charge(&st, &mg, 0, 63);
    assert_int_equal(mg.usage_pages, 64); /* served from the stock */
    charge(&st, &mg, 0, 36);
    assert_int_equal(mg.usage_pages, 128); /* the 65th page: a second batch */
    assert_int_equal(st.pages[0], 28);
    charge(&st, &mg, 1, 10);
    assert_int_equal(mg.usage_pages, 192); /* CPU 1 cannot use CPU 0's stock */
    assert_int_equal(st.pages[1], 54);
    assert_int_equal(memcg_stock_pages(&st), 82);
    assert_int_equal(st.batches, 3);
    assert_int_equal(mg.max_usage_pages, 192);
    memcg_stock_done(&st);
}

/* drain_all_stock from CPU 1 at t = 1000 ns: CPU 1's stock at once, CPU 0's when its work
 * item runs 60 us later. */
static void drain_all_local_now_remote_later(void **state)
{
    (void)state;
    struct memcg_stock st;
    struct oom_memcg mg = {0};
    assert_int_equal(memcg_stock_init(&st, 2, 64, 60000), 0);
    charge(&st, &mg, 0, 100);
    charge(&st, &mg, 1, 10);
    memcg_stock_drain_all(&st, &mg, 1, 1000);
    assert_int_equal(mg.usage_pages, 192 - 54);
    memcg_stock_run_drains(&st, &mg, 60999);
    assert_int_equal(mg.usage_pages, 138);
    memcg_stock_run_drains(&st, &mg, 61000);
    assert_int_equal(mg.usage_pages, 110); /* the pages in use */
    assert_int_equal(memcg_stock_pages(&st), 0);
    assert_int_equal(st.drains, 1);
    assert_int_equal(st.drained_pages, 82);
    memcg_stock_done(&st);

    /* a delay of 0: every CPU at once */
    assert_int_equal(memcg_stock_init(&st, 2, 64, 0), 0);
    mg = (struct oom_memcg){0};
    charge(&st, &mg, 0, 100);
    charge(&st, &mg, 1, 10);
    memcg_stock_drain_all(&st, &mg, 1, 1000);
    assert_int_equal(mg.usage_pages, 110);
    memcg_stock_done(&st);
}

/* At the limit the batch does not fit: one page is charged (the failed batch counts in
 * failcnt, as memory.failcnt), and nothing goes to a stock. A stock with pages lets the
 * CPU charge although the counter is full. */
static void near_the_limit_one_page(void **state)
{
    (void)state;
    struct memcg_stock st;
    struct oom_memcg mg = {.limit_pages = 150};
    assert_int_equal(memcg_stock_init(&st, 2, 64, 60000), 0);
    charge(&st, &mg, 0, 100);
    assert_int_equal(mg.usage_pages, 128);
    charge(&st, &mg, 1, 1); /* 128 + 64 > 150 */
    assert_int_equal(mg.usage_pages, 129);
    assert_int_equal(st.pages[1], 0);
    assert_int_equal(mg.failcnt, 1);
    charge(&st, &mg, 1, 21);
    assert_int_equal(mg.usage_pages, 150);
    assert_false(memcg_stock_can_charge(&st, &mg, 1)); /* 28 pages on CPU 0, none here */
    assert_true(memcg_stock_can_charge(&st, &mg, 0));
    memcg_stock_done(&st);
}

/* refill_stock of freed kernel memory: into the CPU's stock, drained whole past the batch. */
static void kernel_memory_freed_refills(void **state)
{
    (void)state;
    struct memcg_stock st;
    struct oom_memcg mg = {0};
    assert_int_equal(memcg_stock_init(&st, 2, 64, 60000), 0);
    charge(&st, &mg, 0, 2); /* usage 64, stock 62 */
    charge(&st, &mg, 1, 5); /* usage 128, CPU 1's stock 59 */
    memcg_stock_refill(&st, &mg, 0, 2); /* two of CPU 1's pages freed on CPU 0 */
    assert_int_equal(st.pages[0], 64);
    assert_int_equal(mg.usage_pages, 128);
    memcg_stock_refill(&st, &mg, 0, 3); /* 67 > 64: drain_stock */
    assert_int_equal(st.pages[0], 0);
    assert_int_equal(mg.usage_pages, 61); /* 2 pages in use and CPU 1's 59 */
    memcg_stock_done(&st);
}

/* memcg.charge_batch = 0: every charge and uncharge goes to the counter. */
static void no_stock(void **state)
{
    (void)state;
    struct memcg_stock st;
    struct oom_memcg mg = {0};
    assert_int_equal(memcg_stock_init(&st, 2, 0, 60000), 0);
    charge(&st, &mg, 0, 100);
    charge(&st, &mg, 1, 10);
    assert_int_equal(mg.usage_pages, 110);
    memcg_stock_refill(&st, &mg, 0, 3);
    assert_int_equal(mg.usage_pages, 107);
    assert_int_equal(memcg_stock_pages(&st), 0);
    memcg_stock_done(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batches_and_a_stranded_stock),
        cmocka_unit_test(drain_all_local_now_remote_later),
        cmocka_unit_test(near_the_limit_one_page),
        cmocka_unit_test(kernel_memory_freed_refills),
        cmocka_unit_test(no_stock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
