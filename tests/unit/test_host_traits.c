/* test_host_traits.c - a trace's host-kernel traits as config values: -s > config file >
 * trace > built-in default, imports and old traces keep the config, a bad recorded value
 * is an error naming the trace and the key, an out-of-range one is left out with a note,
 * and min_free_kbytes is taken only for a model of the host's memory size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/config.h"
#include "model/host_traits.h"
#include "traces/mmt.h"

/* Writes a trace with the given metadata (KEY, VALUE pairs, NULL-terminated) and one
 * record; returns its path in buf. */
static const char *trace_with(char *buf, size_t n, ...)
{
    snprintf(buf, n, "/tmp/mmsim-test-traits-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    struct mmt_writer *w = mmt_writer_open(buf, NULL, err, sizeof err);
    assert_non_null(w);
    va_list ap;
    va_start(ap, n);
    for (const char *k; (k = va_arg(ap, const char *));)
        assert_int_equal(mmt_writer_meta(w, k, va_arg(ap, const char *)), 0);
    va_end(ap);
    assert_int_equal(mmt_writer_switch(w, 1, 1), 0);
    assert_int_equal(mmt_writer_access(w, MMT_LOAD, 0x1000, 8), 0);
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);
    return buf;
}

/* defaults + config text + -s sets, validated, then the traits of the trace at path. */
static int load(struct mmsim_config *c, const char *ini, const char *const *sets, int nsets,
                const char *path, char *err, size_t errlen)
{
    config_defaults(c);
    if (ini)
        assert_int_equal(config_load_string(c, ini, "test.ini", err, errlen), 0);
    for (int i = 0; i < nsets; i++)
        assert_int_equal(config_set(c, sets[i], i + 1, err, errlen), 0);
    assert_int_equal(config_validate(c, err, errlen), 0);
    struct mmt_reader *r = mmt_reader_open(path, err, errlen);
    assert_non_null(r);
    int rc = host_traits_apply(c, r, path, err, errlen);
    mmt_reader_close(r);
    return rc;
}

static const char *source(const struct mmsim_config *c, const char *key)
{
    struct cfg_loc loc;
    assert_int_equal(config_key_loc(c, key, &loc), 0);
    return loc.file == CFG_LOC_OVERRIDE ? "cmdline" : loc.file == CFG_LOC_TRACE ? "trace"
           : loc.file >= 0              ? "config"
                                        : "default";
}

static void test_precedence(void **st)
{
    (void)st;
    char path[128], err[512];
    trace_with(path, sizeof path, "backend", "dbi", "traits.zero_page", "off", "traits.thp.enabled", "always",
               "traits.swappiness", "10", "traits.page_cluster", "1", "traits.watermark_scale_factor", "20",
               "traits.overcommit_memory", "2", NULL);
    struct mmsim_config *c = malloc(sizeof *c);
    assert_non_null(c);
    const char *sets[] = {"swap.page_cluster=5", "memory.thp=never"};
    /* the file sets swappiness and page_cluster; -s sets page_cluster and thp */
    assert_int_equal(load(c, "[vmscan]\nswappiness = 30\n[swap]\npage_cluster = 2\n", sets, 2, path, err, sizeof err), 0);
    assert_int_equal(c->memory.zero_page, 0);                /* trace over default (on) */
    assert_string_equal(source(c, "memory.zero_page"), "trace");
    assert_int_equal(c->memory.watermark_scale_factor, 20);  /* trace */
    assert_int_equal(c->vmscan.swappiness, 30);              /* file over trace */
    assert_string_equal(source(c, "vmscan.swappiness"), "config");
    assert_int_equal(c->swap.page_cluster, 5);               /* -s over file and trace */
    assert_string_equal(source(c, "swap.page_cluster"), "cmdline");
    assert_string_equal(c->memory.thp, "never");             /* -s over trace */
    assert_int_equal(c->memory.fault_around_bytes, 65536);   /* not recorded: default */
    assert_string_equal(source(c, "memory.fault_around_bytes"), "default");
    assert_string_equal(c->traits.origin, "trace");
    /* the report says it */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    host_traits_report_text(c, f);
    fclose(f);
    assert_non_null(strstr(buf, "memory.zero_page = 0 (trace)"));
    assert_non_null(strstr(buf, "vmscan.swappiness = 30 (config test.ini:2)"));
    assert_non_null(strstr(buf, "swap.page_cluster = 5 (cmdline)"));
    assert_non_null(strstr(buf, "overcommit_memory        2          not modelled"));
    free(buf);
    free(c);
    unlink(path);
}

static void test_import_and_old_traces_keep_the_config(void **st)
{
    (void)st;
    char path[128], err[512];
    struct mmsim_config *c = malloc(sizeof *c);
    trace_with(path, sizeof path, "backend", "import:lackey", "traits.zero_page", "off", NULL);
    assert_int_equal(load(c, NULL, NULL, 0, path, err, sizeof err), 0);
    assert_int_equal(c->memory.zero_page, 1);
    assert_string_equal(source(c, "memory.zero_page"), "default");
    assert_non_null(strstr(c->traits.origin, "imported"));
    unlink(path);
    trace_with(path, sizeof path, "backend", "dbi", NULL);
    assert_int_equal(load(c, NULL, NULL, 0, path, err, sizeof err), 0);
    assert_int_equal(c->memory.zero_page, 1);
    assert_non_null(strstr(c->traits.origin, "no traits"));
    free(c);
    unlink(path);
}

static void test_bad_and_out_of_range_values(void **st)
{
    (void)st;
    char path[128], err[512];
    struct mmsim_config *c = malloc(sizeof *c);
    trace_with(path, sizeof path, "backend", "dbi", "traits.zero_page", "maybe", NULL);
    assert_int_equal(load(c, NULL, NULL, 0, path, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "traits.zero_page"));
    assert_non_null(strstr(err, "maybe"));
    unlink(path);
    /* a page-cluster the model does not take (0..10): noted, the default kept */
    trace_with(path, sizeof path, "backend", "dbi", "traits.page_cluster", "31", NULL);
    assert_int_equal(load(c, NULL, NULL, 0, path, err, sizeof err), 0);
    assert_int_equal(c->swap.page_cluster, 3);
    assert_non_null(strstr(c->traits.t[5].note, "not taken"));
    free(c);
    unlink(path);
}

static void test_min_free_kbytes_follows_memory_size(void **st)
{
    (void)st;
    char path[128], err[512];
    struct mmsim_config *c = malloc(sizeof *c);
    /* a host of 16 GiB less a little (MemTotal) against the model's 16 GiB: taken */
    trace_with(path, sizeof path, "backend", "dbi", "traits.min_free_kbytes", "67584",
               "traits.mem_total_kb", "16000000", NULL);
    assert_int_equal(load(c, NULL, NULL, 0, path, err, sizeof err), 0);
    assert_int_equal(c->memory.min_free_kbytes, 67584);
    /* the same trace on a 1 GiB model: the model computes its own */
    const char *small[] = {"memory.size=1G"};
    assert_int_equal(load(c, NULL, small, 1, path, err, sizeof err), 0);
    assert_int_equal(c->memory.min_free_kbytes, 0);
    free(c);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_import_and_old_traces_keep_the_config),
        cmocka_unit_test(test_bad_and_out_of_range_values),
        cmocka_unit_test(test_min_free_kbytes_follows_memory_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
