/* test_meminfo.c - free -h sizes and layout (procps rules), vmstat lines, PSI shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/meminfo.h"
#include "model/psi.h"

static const char *human(uint64_t b)
{
    static char buf[32]; /* test-only scratch */
    meminfo_human(b, buf, sizeof(buf));
    return buf;
}

/* procps: bytes while "%lluB" fits 4 characters; then per unit "%.1f" + "Xi" if <= 5
 * characters, else the integer part if <= 5. */
static void human_sizes(void **state)
{
    (void)state;
    assert_string_equal(human(0), "0B");
    assert_string_equal(human(999), "999B");
    assert_string_equal(human(1000), "1.0Ki");   /* "1000B" is 5 wide */
    assert_string_equal(human(1536), "1.5Ki");
    assert_string_equal(human(10240), "10Ki");
    assert_string_equal(human(387ull << 20), "387Mi");
    assert_string_equal(human(3865470566ull), "3.6Gi");
    assert_string_equal(human(15ull << 30), "15Gi");
    assert_string_equal(human(1023ull << 20), "1.0Gi"); /* "1023Mi" is 6 wide */
    assert_string_equal(human(100ull << 20), "100Mi");
    /* 9.96 Gi prints "10.0Gi" (6 wide), so procps falls back to the truncated "9Gi" */
    assert_string_equal(human((uint64_t)(9.96 * (1ull << 30))), "9Gi");
}

static void free_table_layout(void **state)
{
    (void)state;
    struct meminfo m = {.total = 100ull << 20, .free = 20ull << 20, .buffers = 0,
                        .cached = 10ull << 20, .shared = 0, .available = 28ull << 20,
                        .swap_total = 0, .swap_free = 0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    meminfo_print_free(f, &m);
    fclose(f);
    assert_string_equal(buf,
                        "               total        used        free      shared  buff/cache   available\n"
                        "Mem:           100Mi        70Mi        20Mi          0B        10Mi        28Mi\n"
                        "Swap:             0B          0B          0B\n");
    free(buf);
}

static void vmstat_line_layout(void **state)
{
    (void)state;
    struct vmstat_sample v = {.r = 2, .b = 1, .swpd = 1024, .free = 81920, .buff = 0,
                              .cache = 4096, .si = 12, .so = 3400, .bi = 12, .bo = 3400};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    meminfo_vmstat_header(f);
    meminfo_vmstat_line(f, &v);
    fclose(f);
    assert_non_null(strstr(buf, " r  b   swpd   free   buff  cache   si   so    bi    bo\n"));
    assert_non_null(strstr(buf, " 2  1   1024  81920      0   4096   12 3400    12  3400\n"));
    free(buf);
    /* 4096 KiB over 250 ms is 16384 KiB/s */
    assert_int_equal(meminfo_rate_per_s(5096, 1000, 250000000), 16384);
    assert_int_equal(meminfo_rate_per_s(5, 1, 0), 0);
}

/* Two tasks: 0-10 ms both run; 10-30 ms one stalls (some); 30-40 ms both stall (some and
 * full); 40-60 ms one stalls, the other went idle (nonidle 1: full too). some = 50/60,
 * full = 30/60. */
static void psi_shares(void **state)
{
    (void)state;
    struct psi p;
    psi_init(&p, 0);
    psi_change(&p, 0, 2, 0);
    psi_change(&p, 10000000, 2, 1);
    psi_change(&p, 30000000, 2, 2);
    psi_change(&p, 40000000, 1, 1);
    assert_true(psi_some(&p, 60000000) > 50.0 / 60 - 1e-9 && psi_some(&p, 60000000) < 50.0 / 60 + 1e-9);
    assert_true(psi_full(&p, 60000000) > 30.0 / 60 - 1e-9 && psi_full(&p, 60000000) < 30.0 / 60 + 1e-9);
    psi_change(&p, 60000000, 0, 0); /* all idle: no pressure accrues */
    assert_true(psi_some(&p, 120000000) < 50.0 / 120 + 1e-9);
    assert_true(psi_some(&p, 120000000) > 50.0 / 120 - 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(human_sizes),
        cmocka_unit_test(free_table_layout),
        cmocka_unit_test(vmstat_line_layout),
        cmocka_unit_test(psi_shares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
