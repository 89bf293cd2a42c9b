/* test_oom_kill.c - oom_badness, /proc oom_score, victim choice and the dmesg report
 * against values computed by hand from mm/oom_kill.c and fs/proc/base.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/oom_kill.h"

#define MIB_PAGES(m) ((uint64_t)(m) * 256) /* 4 KiB pages in m MiB */
#define GIB24_PAGES (24ull * 1024 * 256)  /* 6291456 */

static struct oom_task task(int pid, uint64_t anon_pages, int adj)
{
    struct oom_task t = {.pid = pid, .tgid = pid, .comm = "alloc", .total_vm = anon_pages + 600,
                         .rss_anon = anon_pages, .oom_score_adj = adj, .group = OOM_NO_GROUP};
    return t;
}

/* 64 MiB anonymous + 300 file pages + 19 page-table pages on 24 GiB: points 16703, and
 * (1000 + 16703 * 1000 / 6291456) * 2 / 3 = (1000 + 2) * 2 / 3 = 668 (linux-mm.md). */
static void badness_64mib_on_24gib(void **state)
{
    (void)state;
    struct oom_task t = task(100, MIB_PAGES(64), 0);
    t.rss_file = 300;
    t.pgtables_bytes = 19 * 4096 + 100; /* partial page is dropped by the division */
    assert_int_equal(oom_badness(&t, GIB24_PAGES, 4096), 16703);
    assert_int_equal(oom_score(&t, GIB24_PAGES, 4096), 668);
}

/* Swap entries count like resident pages. */
static void badness_counts_swap_and_shmem(void **state)
{
    (void)state;
    struct oom_task t = task(1, 1000, 0);
    t.swap_ents = 500;
    t.rss_shmem = 24;
    assert_int_equal(oom_badness(&t, 100000, 4096), 1524);
}

/* adj 500: 500 * (6291456 / 1000) = 500 * 6291 = 3145500; points 3162203;
 * oom_score = (1000 + 3162203000 / 6291456) * 2 / 3 = (1000 + 502) * 2 / 3 = 1001. */
static void badness_scales_adj_by_totalpages(void **state)
{
    (void)state;
    struct oom_task t = task(100, MIB_PAGES(64), 500);
    t.rss_file = 300;
    t.pgtables_bytes = 19 * 4096;
    assert_int_equal(oom_badness(&t, GIB24_PAGES, 4096), 3162203);
    assert_int_equal(oom_score(&t, GIB24_PAGES, 4096), 1001);
    /* totalpages < 1000: the integer division makes adj vanish. */
    t.oom_score_adj = 1000;
    assert_int_equal(oom_badness(&t, 999, 4096), 16703);
}

static void adj_min_is_exempt(void **state)
{
    (void)state;
    struct oom_task t = task(7, MIB_PAGES(512), OOM_SCORE_ADJ_MIN);
    assert_true(oom_badness(&t, GIB24_PAGES, 4096) == LONG_MIN);
    assert_int_equal(oom_score(&t, GIB24_PAGES, 4096), 0);
    t.oom_score_adj = 0;
    t.unkillable = 1;
    assert_true(oom_badness(&t, GIB24_PAGES, 4096) == LONG_MIN);
}

/* adj -999 with 10 pages of 100000: points 10 - 99900 = -99890, -99890000 / 100000 = -998,
 * (1000 - 998) * 2 / 3 = 1; with no pages (1000 - 999) * 2 / 3 = 0. +1000 on a process holding
 * all memory gives (1000 + 2000) * 2 / 3 = 2000. */
static void oom_score_range(void **state)
{
    (void)state;
    struct oom_task t = task(1, 10, -999);
    assert_int_equal(oom_score(&t, 100000, 4096), 1);
    t.rss_anon = 0;
    assert_int_equal(oom_score(&t, 100000, 4096), 0);
    t = task(1, 100000, 1000);
    assert_int_equal(oom_score(&t, 100000, 4096), 2000);
}

/* 20, 30, 70 MiB under a 100 MiB memcg without swap: the 70 MiB process goes. */
static void victim_is_largest(void **state)
{
    (void)state;
    struct oom_task ts[3] = {task(11, MIB_PAGES(20), 0), task(12, MIB_PAGES(30), 0),
                             task(13, MIB_PAGES(70), 0)};
    struct oom_control oc = {.constraint = OOM_CONSTRAINT_NONE,
                             .totalpages = oom_totalpages_global(MIB_PAGES(100), 0),
                             .page_size = 4096};
    long pts = 0;
    assert_int_equal(oom_select_victim(&oc, ts, 3, &pts), 2);
    assert_int_equal(pts, 17920);
}

/* adj -500 on the 70 MiB one with totalpages 25600: -500 * 25 = -12500; 17920 - 12500 =
 * 5420 < 7680, so the 30 MiB process is chosen instead. */
static void victim_respects_adj(void **state)
{
    (void)state;
    struct oom_task ts[3] = {task(11, MIB_PAGES(20), 0), task(12, MIB_PAGES(30), 0),
                             task(13, MIB_PAGES(70), -500)};
    struct oom_control oc = {.totalpages = MIB_PAGES(100), .page_size = 4096};
    long pts = 0;
    assert_int_equal(oom_select_victim(&oc, ts, 3, &pts), 1);
    assert_int_equal(pts, 7680);
    assert_int_equal(oom_badness(&ts[2], oc.totalpages, 4096), 5420);
    /* +1000 on the smallest: 5120 + 25000 wins. */
    ts[0].oom_score_adj = 1000;
    assert_int_equal(oom_select_victim(&oc, ts, 3, &pts), 0);
    assert_int_equal(pts, 30120);
}

static void ties_go_to_later_task(void **state)
{
    (void)state;
    struct oom_task ts[3] = {task(11, 4000, 0), task(12, 4000, 0), task(13, 10, 0)};
    struct oom_control oc = {.totalpages = 100000, .page_size = 4096};
    assert_int_equal(oom_select_victim(&oc, ts, 3, NULL), 1);
}

static void nothing_killable(void **state)
{
    (void)state;
    struct oom_task ts[2] = {task(1, 4000, OOM_SCORE_ADJ_MIN), task(2, 4000, 0)};
    ts[1].unkillable = 1;
    struct oom_control oc = {.totalpages = 100000, .page_size = 4096};
    long pts = 0;
    assert_int_equal(oom_select_victim(&oc, ts, 2, &pts), -1);
    assert_true(pts == LONG_MIN);
}

/* A memcg OOM looks only at its group; totalpages is the limit (+ swap allowance). */
static void memcg_constraint(void **state)
{
    (void)state;
    struct oom_task ts[3] = {task(11, MIB_PAGES(20), 0), task(12, MIB_PAGES(30), 0),
                             task(13, MIB_PAGES(700), 0)};
    ts[0].group = ts[1].group = 1;
    ts[2].group = 2;
    struct oom_control oc = {.constraint = OOM_CONSTRAINT_MEMCG, .group = 1,
                             .totalpages = oom_totalpages_memcg(MIB_PAGES(100), UINT64_MAX, 0, 60),
                             .page_size = 4096};
    assert_int_equal(oc.totalpages, 25600);
    assert_int_equal(oom_select_victim(&oc, ts, 3, NULL), 1);
    assert_int_equal(oom_totalpages_memcg(100, 50, 80, 60), 150);
    assert_int_equal(oom_totalpages_memcg(100, 500, 80, 60), 180);
    assert_int_equal(oom_totalpages_memcg(100, 500, 80, 0), 100);
    assert_int_equal(oom_totalpages_memcg(0, 0, 0, 0), 1);
}

static void memcg_charge_limit(void **state)
{
    (void)state;
    struct oom_memcg mg = {.limit_pages = 100};
    assert_int_equal(oom_memcg_try_charge(&mg, 60), 0);
    assert_int_equal(oom_memcg_try_charge(&mg, 40), 0);
    assert_int_equal(oom_memcg_try_charge(&mg, 1), -1);
    assert_int_equal(mg.usage_pages, 100);
    assert_int_equal(mg.failcnt, 1);
    oom_memcg_uncharge(&mg, 30);
    assert_int_equal(mg.usage_pages, 70);
    assert_int_equal(mg.max_usage_pages, 100);
    oom_memcg_uncharge(&mg, 1000);
    assert_int_equal(mg.usage_pages, 0);
}

/* The table line has dump_task()'s exact widths. */
static void dump_format(void **state)
{
    (void)state;
    struct oom_task t = task(4242, 17920, -250);
    t.uid = 1000;
    t.total_vm = 20000;
    t.rss_file = 330;
    t.pgtables_bytes = 94208;
    t.swap_ents = 7;
    t.comm = "a-very-long-process-name";
    struct oom_control oc = {.totalpages = 25600, .page_size = 4096};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    oom_dump_tasks(f, "[    1.000000] ", &oc, &t, 1);
    oom_print_kill(f, NULL, &oc, &t);
    fclose(f);
    assert_non_null(strstr(buf, "[    1.000000] [  pid  ]   uid  tgid total_vm      rss rss_anon "
                                "rss_file rss_shmem pgtables_bytes swapents oom_score_adj name\n"));
    assert_non_null(strstr(buf, "[    1.000000] [   4242]  1000  4242    20000    18250    17920"
                                "      330         0    94208        7          -250 "
                                "a-very-long-pro\n"));
    /* points = 18250 + 7 + 23 - 250 * 25 = 12030; score (1000 + 469) * 2 / 3 = 979 */
    assert_non_null(strstr(buf, "[4242] points=12030 oom_score=979"));
    assert_non_null(strstr(buf, "Out of memory: Killed process 4242 (a-very-long-pro) "
                                "total-vm:80000kB, anon-rss:71680kB, file-rss:1320kB, "
                                "shmem-rss:0kB, UID:1000 pgtables:92kB oom_score_adj:-250\n"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(badness_64mib_on_24gib),   cmocka_unit_test(badness_counts_swap_and_shmem),
        cmocka_unit_test(badness_scales_adj_by_totalpages), cmocka_unit_test(adj_min_is_exempt),
        cmocka_unit_test(oom_score_range),          cmocka_unit_test(victim_is_largest),
        cmocka_unit_test(victim_respects_adj),      cmocka_unit_test(ties_go_to_later_task),
        cmocka_unit_test(nothing_killable),         cmocka_unit_test(memcg_constraint),
        cmocka_unit_test(memcg_charge_limit),       cmocka_unit_test(dump_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
