/* test_parse_count.c - instruction counts with K/M/G/T suffixes (powers of 1000), as
 * mmsim record --skip/--length/--every and replay --warmup take them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/util.h"

static void suffixes_are_powers_of_1000(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(parse_count("0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(parse_count("1234", &v), 0);
    assert_true(v == 1234);
    assert_int_equal(parse_count("10K", &v), 0);
    assert_true(v == 10000);
    assert_int_equal(parse_count("3m", &v), 0);
    assert_true(v == 3000000);
    assert_int_equal(parse_count("2G", &v), 0);
    assert_true(v == 2000000000ull);
    assert_int_equal(parse_count("7T", &v), 0);
    assert_true(v == 7000000000000ull);
    assert_int_equal(parse_count("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
}

static void malformed_counts_are_rejected(void **state)
{
    (void)state;
    uint64_t v = 42;
    const char *bad[] = {"", "-1", "+1", "K", "1KB", "1.5M", "10Q", "0x10", " 1",
                         "18446744073709551616", "18446744073709552K", "20000000T"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse_count(bad[i], &v), -1);
    assert_int_equal(parse_count(NULL, &v), -1);
    assert_true(v == 42); /* untouched on error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suffixes_are_powers_of_1000),
        cmocka_unit_test(malformed_counts_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
