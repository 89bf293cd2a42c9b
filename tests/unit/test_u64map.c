/* test_u64map.c - the hash map against a plain array under random inserts and erases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/u64map.h"

#define UNIVERSE 700

static void random_ops_match_array(void **state)
{
    (void)state;
    struct u64map m;
    assert_int_equal(u64map_init(&m, 4), 0); /* small: forces growth */
    uint64_t val[UNIVERSE];
    int present[UNIVERSE];
    memset(present, 0, sizeof(present));
    uint64_t s = 88172645463325252ull;
    for (int op = 0; op < 200000; op++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        uint64_t k = s % UNIVERSE;
        uint64_t key = k * 0x100000001ull; /* spread keys, some colliding homes */
        if ((s >> 20) % 3 == 0) {
            u64map_erase(&m, key);
            present[k] = 0;
        } else {
            int found;
            uint64_t *v = u64map_slot(&m, key, &found);
            assert_non_null(v);
            assert_int_equal(found, present[k]);
            if (found)
                assert_int_equal(*v, val[k]);
            *v = val[k] = s;
            present[k] = 1;
        }
    }
    uint64_t n = 0;
    for (int k = 0; k < UNIVERSE; k++) {
        uint64_t *v = u64map_get(&m, (uint64_t)k * 0x100000001ull);
        assert_int_equal(v != NULL, present[k]);
        if (v)
            assert_int_equal(*v, val[k]);
        n += present[k];
    }
    assert_int_equal(m.n, n);
    u64map_done(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(random_ops_match_array)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
