/* test_config.c - INI configuration: presets load and validate, includes are relative to
 * the including file, -s overrides, and every error names the file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/assoc.h"
#include "model/config.h"

static char dir[64];

static void write_at(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_config" "XX" "XX" "XX"); /* the mkdtemp template */
    assert_non_null(mkdtemp(dir));
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0755);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* loads dir/name with overrides; returns the rc, message in err */
static int load(struct mmsim_config *c, const char *name, char **sets, int nsets, char *err, size_t len)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return config_from_args(c, p, sets, nsets, err, len);
}

static void expect_error(const char *text, const char *needle1, const char *needle2)
{
    struct mmsim_config c;
    char err[512] = "";
    write_at("bad.ini", text);
    assert_int_equal(load(&c, "bad.ini", NULL, 0, err, sizeof err), -1);
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
        fail_msg("message '%s' lacks '%s' / '%s'", err, needle1, needle2 ? needle2 : "");
}

static void test_presets(void **state)
{
    (void)state;
    const char *names[] = {"configs/default.ini", "configs/skylake.ini", "configs/zen.ini",
                           "configs/zen5.ini", "configs/minimal.ini"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct mmsim_config c;
        char err[512];
        if (config_from_args(&c, names[i], NULL, 0, err, sizeof err))
            fail_msg("%s: %s", names[i], err);
        assert_true(c.ntlb >= 1);
    }
    struct mmsim_config c;
    char err[512];
    assert_int_equal(config_from_args(&c, "configs/minimal.ini", NULL, 0, err, sizeof err), 0);
    /* minimal.ini exactly as specified */
    assert_int_equal(c.ntlb, 1);
    assert_string_equal(c.tlb[0].name, "l1d");
    assert_int_equal(c.tlb[0].entries[0], 64);
    assert_true(c.tlb[0].ways[0] == 0 || c.tlb[0].ways[0] == 64);
    assert_int_equal(c.tlb[0].policy, ASSOC_LRU);
    assert_int_equal(c.tlb[0].page_sizes, 1u << PSIZE_4K);
    assert_int_equal(c.tlb[0].kind, TLB_KIND_DATA);
    assert_int_equal(c.tlb[0].next_index, -1);
    assert_int_equal(c.ncache, 0);
    assert_int_equal(c.memory.unlimited, 1);
    /* default.ini includes skylake.ini and overrides part of it */
    assert_int_equal(config_from_args(&c, "configs/default.ini", NULL, 0, err, sizeof err), 0);
    int l2 = config_find_cache(&c, "l2");
    assert_true(l2 >= 0);
    assert_int_equal(c.cache[l2].size, 1 << 20);
    int stlb = config_find_tlb(&c, "stlb");
    assert_true(stlb >= 0);
    assert_int_equal(c.tlb[stlb].entries[0], 1536);
    assert_int_equal(c.tlb[stlb].ways[0], 12);
    /* zen5.ini: Zen 5's TLBs (Hot Chips 2024), split second levels */
    assert_int_equal(config_from_args(&c, "configs/zen5.ini", NULL, 0, err, sizeof err), 0);
    int dtlb = config_find_tlb(&c, "dtlb"), l2dtlb = config_find_tlb(&c, "l2dtlb");
    assert_true(dtlb >= 0 && l2dtlb >= 0);
    assert_int_equal(c.tlb[dtlb].entries[0], 96);
    assert_int_equal(c.tlb[dtlb].next_index, l2dtlb);
    assert_int_equal(c.tlb[l2dtlb].entries[0], 4096);
    assert_int_equal(c.tlb[l2dtlb].kind, TLB_KIND_DATA);
}

static void test_overrides_and_sizes(void **state)
{
    (void)state;
    struct mmsim_config c;
    char err[512];
    char *sets[] = {"cache.l1d.size=32K", "cache.l1d.ways=8", "cache.l1d.line=64",
                    "tlb.l1d.entries=1536", "tlb.l1d.ways=12", "walker.psc.pd.entries=32",
                    "memory.size=2G"};
    assert_int_equal(config_from_args(&c, "configs/minimal.ini", sets, 7, err, sizeof err), 0);
    assert_int_equal(c.ncache, 1);
    assert_int_equal(c.cache[0].size, 32768);
    assert_int_equal(c.tlb[0].entries[0], 1536);
    assert_int_equal(c.tlb[0].ways[0], 12);
    assert_int_equal(c.walker.psc_entries[2], 32);
    assert_int_equal(c.memory.size, 2ULL << 30);
    /* an override error names the option and the key */
    char *bad[] = {"tlb.l1d.entries=64", "tlb.l1d.ways=5"};
    assert_int_equal(config_from_args(&c, "configs/minimal.ini", bad, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "-s option 2"));
    assert_non_null(strstr(err, "tlb.l1d.ways"));
    assert_non_null(strstr(err, "not divisible"));
    char *unknown[] = {"cpu.nope=1"};
    assert_int_equal(config_from_args(&c, NULL, unknown, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "cpu.nope: unknown key"));
    char *malformed[] = {"tlb.entries"};
    assert_int_equal(config_from_args(&c, NULL, malformed, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "-s option 1"));
}

static void test_include_relative(void **state)
{
    (void)state;
    write_at("sub/base.ini", "[cpu]\ncount = 2\n[tlb.l1d]\nentries = 32\nways = 4\n");
    write_at("top.ini", "include = sub/base.ini\n[cpu]\nbase_cpi = 0.75\n");
    struct mmsim_config c;
    char err[512];
    if (load(&c, "top.ini", NULL, 0, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(c.cpu.count, 2);
    assert_true(c.cpu.base_cpi == 0.75);
    assert_int_equal(c.tlb[0].entries[0], 32);
    /* an error inside an included file names that file and its line */
    write_at("sub/broken.ini", "[cpu]\n\ncount = lots\n");
    write_at("top2.ini", "[cpu]\ninclude = sub/broken.ini\n");
    assert_int_equal(load(&c, "top2.ini", NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "sub/broken.ini:3"));
    assert_non_null(strstr(err, "cpu.count"));
    /* a missing include names the including file and line */
    write_at("top3.ini", "; comment\ninclude = nothere.ini\n");
    assert_int_equal(load(&c, "top3.ini", NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "top3.ini:2"));
    assert_non_null(strstr(err, "nothere.ini"));
    /* an include loop stops */
    write_at("loop.ini", "include = loop.ini\n");
    assert_int_equal(load(&c, "loop.ini", NULL, 0, err, sizeof err), -1);
}

static void test_errors_name_file_line_key(void **state)
{
    (void)state;
    expect_error("[cpu]\ncount = 1\n[nope]\nx = 1\n", "bad.ini:4", "[nope]: unknown section");
    expect_error("[tlb.l1d]\nentries = 64\nentires = 3\n", "bad.ini:3", "tlb.l1d.entires: unknown key");
    expect_error("[tlb.l1d]\nentries = sixty\n", "bad.ini:2", "tlb.l1d.entries: bad value 'sixty'");
    expect_error("[tlb.l1d]\nentries = 64\nways = 6\n", "bad.ini:3", "not divisible by 6 ways");
    expect_error("[tlb.l1d]\nentries = 64\n\nnext = stlb\n", "bad.ini:4", "tlb.l1d.next: no [tlb.stlb]");
    expect_error("[tlb.a]\nnext = b\n[tlb.b]\nnext = a\n", "tlb.", "loop");
    expect_error("[tlb.l1d]\npolicy = mru\n", "bad.ini:2", "lru, plru, fifo or random");
    expect_error("[tlb.l1d]\npage_sizes = 4K,8M\n", "bad.ini:2", "page_sizes");
    expect_error("[tlb.l1d]\npage_sizes = 4K,2M\nentries = 64,32,4\n", "bad.ini:3", "3 values for 2 page sizes");
    expect_error("[cache.l1d]\nsize = 32K\nline = 48\n", "bad.ini:3", "cache.l1d.line");
    expect_error("[cache.l1d]\nsize = 1000\n", "bad.ini:2", "cache.l1d.size");
    expect_error("[cache.l1d]\nsize = 32K\nways = 8\nline = 64\nnext = l9\n", "bad.ini:5", "cache.l1d.next");
    expect_error("[walker]\nlevels = 3\n", "walker.levels", NULL);
    expect_error("entries = 3\n", "bad.ini:1", "outside any section");
    expect_error("[cpu\ncount = 1\n", "bad.ini:1", "syntax error");
    expect_error("[tlb.a]\nkind = dtlb\n[tlb.b]\nkind = dtlb\n", "bad.ini:4", "second first-level data TLB");
    expect_error("[tlb.d]\nkind = dtlb\nnext = i\n[tlb.i]\nkind = itlb\n", "bad.ini:3", "is a itlb");
    char longline[600];
    memset(longline, 'x', sizeof longline);
    memcpy(longline, "[cpu]\ncount = ", 14);
    longline[598] = '\n';
    longline[599] = 0;
    expect_error(longline, "bad.ini:2", "longer than");
}

static void test_print_round_trip(void **state)
{
    (void)state;
    struct mmsim_config a, b;
    char err[512];
    assert_int_equal(config_from_args(&a, "configs/skylake.ini", NULL, 0, err, sizeof err), 0);
    char p[256];
    snprintf(p, sizeof p, "%s/printed.ini", dir);
    FILE *f = fopen(p, "w");
    config_print(&a, f);
    fclose(f);
    if (config_from_args(&b, p, NULL, 0, err, sizeof err))
        fail_msg("printed config does not load: %s", err);
    assert_int_equal(a.ntlb, b.ntlb);
    assert_int_equal(a.ncache, b.ncache);
    assert_memory_equal(&a.cpu, &b.cpu, sizeof a.cpu);
    assert_memory_equal(&a.walker, &b.walker, sizeof a.walker);
    for (uint32_t i = 0; i < a.ntlb; i++) {
        assert_memory_equal(a.tlb[i].entries, b.tlb[i].entries, sizeof a.tlb[i].entries);
        assert_int_equal(a.tlb[i].page_sizes, b.tlb[i].page_sizes);
        assert_int_equal(a.tlb[i].next_index, b.tlb[i].next_index);
    }
}

/* replay and sweep read a preset with config_from_args, mrc --swap-config with
 * config_load_swap: every preset in configs/ gives both the same swap device; one without
 * [swap] gives replay the defaults of model/swap.c and mrc an error. */
static void test_presets_same_swap_in_every_verb(void **state)
{
    (void)state;
    const char *names[] = {"configs/default.ini",   "configs/skylake.ini",  "configs/zen.ini",
                           "configs/zen5.ini",      "configs/minimal.ini",  "configs/swap/hdd.ini",
                           "configs/swap/sata-ssd.ini",
                           "configs/swap/nvme.ini", "configs/swap/zram.ini"};
    struct swap_config defaults;
    swap_config_defaults(&defaults);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct mmsim_config c;
        struct swap_config mrc;
        char err[512];
        if (config_from_args(&c, names[i], NULL, 0, err, sizeof err))
            fail_msg("replay: %s: %s", names[i], err);
        int is_device = strstr(names[i], "/swap/") != NULL;
        int rc = config_load_swap(&mrc, names[i], err, sizeof err);
        if (is_device) {
            if (rc)
                fail_msg("mrc: %s: %s", names[i], err);
            assert_memory_equal(&c.swap, &mrc, sizeof mrc);
            assert_true(strstr(names[i], c.swap.name) != NULL);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "no [swap] section"));
            assert_memory_equal(&c.swap, &defaults, sizeof defaults);
        }
    }
    /* the default device is the NVMe preset, write latency included */
    struct swap_config nvme;
    char err[512];
    assert_int_equal(config_load_swap(&nvme, "configs/swap/nvme.ini", err, sizeof err), 0);
    nvme.size = defaults.size;
    assert_memory_equal(&nvme, &defaults, sizeof defaults);
}

/* The key tables: each key's default is the one their owner documents, a value outside a
 * key's range or names is refused at validation with the file and line that set it, and
 * one module's table reads its own struct alone (swap.c's, without a whole config). */
static void test_key_tables(void **state)
{
    (void)state;
    struct mmsim_config c;
    config_defaults(&c);
    assert_int_equal(c.swap.read_latency_ns, 20000); /* configs/swap/nvme.ini's device */
    assert_int_equal(c.swap.write_latency_ns, 16000);
    assert_int_equal(c.swap.page_size, 4096);
    assert_int_equal(c.vmscan.policy, VMSCAN_KERNEL);
    assert_int_equal(c.vmscan.swappiness, 60);
    assert_int_equal(c.memory.size, 16ULL << 30);
    assert_string_equal(c.memory.thp, "madvise");
    struct vmscan_config vm;
    vmscan_config_defaults(&vm);
    assert_int_equal(vm.swappiness, c.vmscan.swappiness);
    assert_int_equal(vm.page_shift, 12);
    expect_error("[cpu]\ncount = 2\n[vmscan]\nswappiness = 201\n", "bad.ini:4", "vmscan.swappiness: 201 is not in 0..200");
    expect_error("[memory]\n\nthp = sometimes\n", "bad.ini:3", "memory.thp: 'sometimes' (never, madvise or always)");
    expect_error("[vmscan]\npolicy = mru\n", "bad.ini:2", "expected kernel, lru, fifo, clock or opt");
    expect_error("[swap]\nqueue_depth = 0\n", "bad.ini:2", "swap.queue_depth: 0 is not in 1..65536");
    struct swap_config sc;
    char err[128];
    swap_config_defaults(&sc);
    sc.page_cluster = 11;
    assert_int_equal(swap_config_check(&sc, err, sizeof err), -1);
    assert_string_equal(err, "swap.page_cluster: 11 is not in 0..10");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_overrides_and_sizes),
        cmocka_unit_test(test_include_relative),
        cmocka_unit_test(test_errors_name_file_line_key),
        cmocka_unit_test(test_print_round_trip),
        cmocka_unit_test(test_presets_same_swap_in_every_verb),
        cmocka_unit_test(test_key_tables),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
