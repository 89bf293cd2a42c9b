/* test_plot_labels.c - the words and units figures take from config keys and result columns
 * (analysis/plot_labels.h): components, sizes that double, units, legend values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/plot_labels.h"

static void test_tlb_and_cache_keys(void **state)
{
    (void)state;
    struct key_words kw;
    plot_key_words("tlb.l1d.entries", &kw);
    assert_string_equal(kw.words, "L1 dTLB entries");
    assert_true(kw.size);
    assert_false(kw.bytes);
    plot_key_words("tlb.stlb.misses", &kw);
    assert_string_equal(kw.words, "L2 TLB (STLB) misses");
    assert_false(kw.size);
    plot_key_words("cache.l2.size", &kw); /* bytes shown in KiB */
    assert_string_equal(kw.words, "L2 cache size");
    assert_string_equal(kw.unit, "KiB");
    assert_true(kw.bytes && kw.size);
    assert_true(kw.scale * 1024 == 1);
    plot_key_words("tlb.foo.entries", &kw); /* a TLB no config names */
    assert_string_equal(kw.words, "FOO TLB entries");
    plot_key_words("walker.psc.pd.entries", &kw);
    assert_string_equal(kw.words, "PD paging-structure cache entries");
}

static void test_whole_keys_and_axis_labels(void **state)
{
    (void)state;
    char l[160];
    plot_axis_label("memory.size", l, sizeof l);
    assert_string_equal(l, "Memory size (MiB)");
    plot_axis_label("walker.latency", l, sizeof l);
    assert_string_equal(l, "Page-walk step latency (cycles)");
    plot_axis_label("tlb.l1d.entries", l, sizeof l);
    assert_string_equal(l, "L1 dTLB entries");
    plot_axis_label("some_column", l, sizeof l); /* unknown: itself */
    assert_string_equal(l, "some_column");
    struct key_words kw;
    plot_key_words("memory.size", &kw);
    assert_true(kw.scale * 1048576 == 1);
    plot_key_words("rss_pages", &kw); /* 4 KiB pages in MiB */
    assert_true(kw.scale * 256 == 1);
}

static void test_legend_values(void **state)
{
    (void)state;
    char v[160];
    plot_value_words("tlb.l1d.ways", "0", v, sizeof v);
    assert_string_equal(v, "L1 dTLB fully associative");
    plot_value_words("tlb.stlb.ways", "12", v, sizeof v);
    assert_string_equal(v, "L2 TLB (STLB) 12-way");
    plot_value_words("memory.size", "64M", v, sizeof v);
    assert_string_equal(v, "Memory size 64 MiB");
    plot_value_words("memory.size", "1610612736", v, sizeof v); /* 1.5 GiB stays in MiB */
    assert_string_equal(v, "Memory size 1536 MiB");
    plot_value_words("cpu.count", "1", v, sizeof v);
    assert_string_equal(v, "1 CPU");
    plot_value_words("cpu.count", "4", v, sizeof v);
    assert_string_equal(v, "4 CPUs");
    plot_value_words("walker.latency", "30", v, sizeof v);
    assert_string_equal(v, "Page-walk step latency 30 cycles");
    plot_value_words("vmscan.swappiness", "60", v, sizeof v);
    assert_string_equal(v, "Swappiness 60");
}

static void test_repeats(void **state)
{
    (void)state;
    assert_true(plot_key_is_repeat("tlb.stlb.seed"));
    assert_true(plot_key_is_repeat("run"));
    assert_false(plot_key_is_repeat("tlb.stlb.entries"));
    assert_false(plot_key_is_repeat("seeds.count"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlb_and_cache_keys),
        cmocka_unit_test(test_whole_keys_and_axis_labels),
        cmocka_unit_test(test_legend_values),
        cmocka_unit_test(test_repeats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
