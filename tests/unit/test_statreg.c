/* test_statreg.c - the statistics registry's renderings of one hand-written publication: the
 * JSON text, the dotted query paths (lists left out, strings left out), the timeline columns
 * (list items numbered, timeline-only statistics in, JSON-only out) and the schema rows
 * (instances as placeholders, a list's items as []). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "model/statreg.h"

static const struct stat_def D_N = {"n", "events", STAT_COUNTER, "a counter", "n_col"};
static const struct stat_def D_R = {"r", "ratio", STAT_RATIO, "a ratio", NULL};
static const struct stat_def D_NAME = {"name", "", STAT_INFO, "a string", NULL};
static const struct stat_def D_HITS = {"hits", "lookups", STAT_COUNTER, "hits of an instance", NULL};
static const struct stat_def D_LIST = {"free", "blocks", STAT_GAUGE, "a list of values", "order"};
static const struct stat_def D_ROWS = {"rows", "", STAT_INFO, "a list of groups", NULL};
static const struct stat_def D_PID = {"pid", "", STAT_INFO, "a member of a list item", "never"};
static const struct stat_def D_TL = {"t", "cycles", STAT_COUNTER | STAT_NOT_JSON, "timeline only", "time"};
static const struct stat_def D_PART = {"<part>", "cycles", STAT_COUNTER, "named by an instance", NULL};
static const struct stat_def D_RAW = {"raw", "", STAT_INFO, "JSON only", NULL};

static void raw_json(void *arg, struct json *j)
{
    json_u64(j, "raw", *(const uint64_t *)arg);
}

static void publish(void *arg, struct stat_out *o)
{
    (void)arg;
    static const uint64_t raw = 9;
    stat_group_begin(o, NULL);
    stat_u64(o, &D_N, 3);
    stat_f64(o, &D_R, 0.5);
    stat_str(o, &D_NAME, "x");
    stat_u64(o, &D_TL, 77);
    stat_group_begin(o, "tlb");
    stat_instance_begin(o, "<tlb>", "l1d");
    stat_u64(o, &D_HITS, 4);
    stat_group_end(o);
    stat_instance_begin(o, "<tlb>", "stlb");
    stat_u64(o, &D_HITS, 5);
    stat_group_end(o);
    stat_group_end(o);
    stat_group_begin(o, "parts");
    stat_u64_as(o, &D_PART, "base", 6);
    stat_group_end(o);
    stat_list_begin(o, &D_LIST);
    stat_item_u64(o, 10);
    stat_item_u64(o, 11);
    stat_list_end(o);
    stat_list_begin(o, &D_ROWS);
    for (unsigned i = 0; i < 2; i++) {
        stat_group_begin(o, NULL);
        stat_u64(o, &D_PID, 100 + i);
        stat_group_end(o);
    }
    stat_list_end(o);
    stat_json_only(o, &D_RAW, raw_json, (void *)&raw);
    stat_group_end(o);
}

static void test_json(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct json j;
    json_init(&j, f, 0);
    struct stat_out o;
    stat_out_json(&o, &j);
    publish(NULL, &o);
    fclose(f);
    assert_string_equal(buf, "{\"n\":3,\"r\":0.5,\"name\":\"x\",\"tlb\":{\"l1d\":{\"hits\":4},\"stlb\":{\"hits\":5}},"
                             "\"parts\":{\"base\":6},\"free\":[10,11],\"rows\":[{\"pid\":100},{\"pid\":101}],"
                             "\"raw\":9}");
    free(buf);
}

struct lines {
    char text[1024];
};

static void collect(void *ctx, const char *path, const struct stat_def *d, const struct stat_val *v)
{
    (void)d;
    struct lines *l = ctx;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s=%g;", path, v->type == STAT_T_STR ? -1.0 : v->f);
}

static void test_query(void **state)
{
    (void)state;
    struct lines l = {""};
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_QUERY, collect, &l);
    publish(NULL, &o);
    assert_string_equal(l.text, "n=3;r=0.5;tlb.l1d.hits=4;tlb.stlb.hits=5;parts.base=6;");
}

static void test_timeline(void **state)
{
    (void)state;
    struct lines l = {""};
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_TIMELINE, collect, &l);
    publish(NULL, &o);
    assert_string_equal(l.text, "n_col=3;time=77;order0=10;order1=11;");
}

static void test_schema(void **state)
{
    (void)state;
    struct lines l = {""};
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_SCHEMA, collect, &l);
    publish(NULL, &o);
    assert_string_equal(l.text, "n=3;r=0.5;name=-1;t=77;tlb.<tlb>.hits=4;tlb.<tlb>.hits=5;parts.<part>=6;"
                                "free[]=-1;rows[]=-1;rows[].pid=100;rows[].pid=101;raw=-1;");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    stat_schema_markdown(f, publish, NULL);
    fclose(f);
    /* one row a path: the second instance and the second list item add none */
    assert_string_equal(buf, "| path | unit | kind | timeline | description |\n|---|---|---|---|---|\n"
                             "| `n` | events | counter | `n_col` | a counter |\n"
                             "| `r` | ratio | ratio |  | a ratio |\n"
                             "| `name` | - | info |  | a string |\n"
                             "| `t` | cycles | counter | `time` | (timeline only) timeline only |\n"
                             "| `tlb.<tlb>.hits` | lookups | counter |  | hits of an instance |\n"
                             "| `parts.<part>` | cycles | counter |  | named by an instance |\n"
                             "| `free[]` | blocks | gauge | `orderN` | a list of values |\n"
                             "| `rows[]` | - | info |  | a list of groups |\n"
                             "| `rows[].pid` | - | info | `never` | a member of a list item |\n"
                             "| `raw` | - | info |  | JSON only |\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
