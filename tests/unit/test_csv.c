/* test_csv.c - the analysis CSV reader: quoting, CRLF, comments, short rows, numbers, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "analysis/csv.h"

static char path[64];

static void write_file(const char *text)
{
    strcpy(path, "/tmp/test_csvXXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void test_quoting_crlf_comments(void **state)
{
    (void)state;
    write_file("# made by a test\r\na,b,\"c,d\"\r\n1,\"x \"\"y\"\", z\",3\r\n# skipped\n\n4,5\n6,7,8");
    struct csv c;
    char err[256];
    assert_int_equal(csv_read(path, &c, err, sizeof err), 0);
    assert_int_equal(c.ncols, 3);
    assert_string_equal(c.header[2], "c,d");
    assert_int_equal(c.nrows, 3);
    assert_string_equal(csv_get(&c, 0, 1), "x \"y\", z");
    assert_string_equal(csv_get(&c, 0, 2), "3");
    assert_string_equal(csv_get(&c, 1, 2), ""); /* short row padded */
    assert_string_equal(csv_get(&c, 2, 2), "8"); /* last line without newline */
    assert_int_equal(c.line[1], 6);
    assert_int_equal(csv_col(&c, "c,d"), 2);
    assert_int_equal(csv_col(&c, "nope"), -1);
    double v;
    assert_int_equal(csv_num(&c, 1, 0, &v, err, sizeof err), 0);
    assert_true(v == 4);
    assert_int_equal(csv_num(&c, 0, 1, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, ":3: column 'b'"));
    csv_free(&c);
    unlink(path);
}

static void test_missing_and_empty(void **state)
{
    (void)state;
    struct csv c;
    char err[256];
    assert_int_equal(csv_read("/nonexistent/x.csv", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.csv"));
    write_file("# only a comment\n");
    assert_int_equal(csv_read(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "no header"));
    unlink(path);
}

/* Old Mac line ends: a lone CR ends each record (found by fuzz_csv). */
static void test_lone_cr_records(void **state)
{
    (void)state;
    write_file("a,b\r1,2\r3,4\r5,6\r");
    struct csv c;
    char err[256];
    assert_int_equal(csv_read(path, &c, err, sizeof err), 0);
    assert_int_equal(c.nrows, 3);
    assert_string_equal(csv_get(&c, 2, 1), "6");
    csv_free(&c);
    unlink(path);
}

static void test_put_quotes_when_needed(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    csv_put(f, "plain");
    fputc(' ', f);
    csv_put(f, "a,\"b\"");
    fclose(f);
    assert_string_equal(buf, "plain \"a,\"\"b\"\"\"");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting_crlf_comments),
        cmocka_unit_test(test_missing_and_empty),
        cmocka_unit_test(test_lone_cr_records),
        cmocka_unit_test(test_put_quotes_when_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
