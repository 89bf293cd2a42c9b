/* test_jsonflat.c - JSON flattening into dotted paths, arrays, escapes, and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/jsonflat.h"

struct seen {
    char text[2048];
    size_t len;
};

static void collect(void *ctx, const char *path, const char *value, enum jsonflat_type t)
{
    struct seen *s = ctx;
    s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "%s=%s(%d);", path,
                               value, (int)t);
}

static void test_nested_paths(void **state)
{
    (void)state;
    const char *doc = " {\"cycles\": 12, \"tlb\": {\"l1d\": {\"misses\": 3, \"mpki\": 2.5e1}},"
                      " \"ok\": true, \"none\": null, \"name\": \"a\\\"b\\u0041\\n\","
                      " \"levels\": [1, {\"x\": 2}], \"empty\": {}, \"e2\": []}\n";
    struct seen s = {"", 0};
    char err[256];
    assert_int_equal(jsonflat(doc, strlen(doc), "doc", collect, &s, err, sizeof err), 0);
    assert_string_equal(s.text, "cycles=12(0);tlb.l1d.misses=3(0);tlb.l1d.mpki=2.5e1(0);ok=1(2);"
                                "none=(3);name=a\"bA\n(1);levels.0=1(0);levels.1.x=2(0);");
}

static void test_long_arrays_left_out(void **state)
{
    (void)state;
    char doc[512] = "{\"h\": [";
    for (int i = 0; i < JSONFLAT_MAX_ARRAY + 1; i++)
        strcat(doc, i ? ",7" : "7");
    strcat(doc, "], \"after\": 1}");
    struct seen s = {"", 0};
    char err[256];
    assert_int_equal(jsonflat(doc, strlen(doc), "doc", collect, &s, err, sizeof err), 0);
    assert_string_equal(s.text, "after=1(0);");
}

static void test_tables_left_out(void **state)
{
    (void)state;
    /* a short array of arrays (histogram rows) is a table: not in a CSV row */
    const char *doc = "{\"w\": {\"p50\": 8, \"buckets\": [[4, 2], [8, 1]]}, \"l\": [3]}";
    struct seen s = {"", 0};
    char err[256];
    assert_int_equal(jsonflat(doc, strlen(doc), "doc", collect, &s, err, sizeof err), 0);
    assert_string_equal(s.text, "w.p50=8(0);l.0=3(0);");
}

static void test_errors_name_the_offset(void **state)
{
    (void)state;
    const char *bad[] = {"{\"a\": }", "{\"a\" 1}", "[1, 2", "{\"a\": 1} x", "\"\\q\"", "{\"a\": 1e}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct seen s = {"", 0};
        char err[256] = "";
        assert_int_equal(jsonflat(bad[i], strlen(bad[i]), "r.json", collect, &s, err, sizeof err), -1);
        assert_non_null(strstr(err, "r.json: byte "));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_paths),
        cmocka_unit_test(test_long_arrays_left_out),
        cmocka_unit_test(test_tables_left_out),
        cmocka_unit_test(test_errors_name_the_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
