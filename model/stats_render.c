/* stats_render.c - the outputs rendered from the statistics' one publication (stats_publish,
 * statreg.h) besides the JSON report: sim_stat and sim_stats_visit, the timeline CSV, and the
 * schema table (mmsim stats-schema, docs/replay.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/sim_internal.h"
#include "model/statreg.h"

struct visit_ctx {
    void (*fn)(void *ctx, const char *key, double v, const struct stat_def *d);
    void *ctx;
};

static void visit_emit(void *ctx, const char *path, const struct stat_def *d, const struct stat_val *v)
{
    struct visit_ctx *c = ctx;
    c->fn(c->ctx, path, v->f, d);
}

void stats_visit(struct sim *s, void (*fn)(void *ctx, const char *key, double v, const struct stat_def *d),
                 void *ctx)
{
    struct visit_ctx c = {fn, ctx};
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_QUERY, visit_emit, &c);
    stats_publish(s, &o, sched_now_fx(s));
}

struct plain_visit {
    void (*fn)(void *ctx, const char *key, double v);
    void *ctx;
};

static void plain_cb(void *ctx, const char *key, double v, const struct stat_def *d)
{
    (void)d;
    struct plain_visit *p = ctx;
    p->fn(p->ctx, key, v);
}

void sim_stats_visit(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx)
{
    struct plain_visit p = {fn, ctx};
    stats_visit(s, plain_cb, &p);
}

struct find_ctx {
    const char *key;
    double v;
    int found;
};

static void find_cb(void *ctx, const char *key, double v)
{
    struct find_ctx *f = ctx;
    if (!f->found && !strcmp(key, f->key)) {
        f->v = v;
        f->found = 1;
    }
}

int sim_stat(struct sim *s, const char *key, double *value)
{
    struct find_ctx f = {key, 0, 0};
    sim_stats_visit(s, find_cb, &f);
    if (f.found)
        *value = f.v;
    return f.found ? 0 : -1;
}

static void publish_for_schema(void *arg, struct stat_out *o)
{
    stats_publish(arg, o, 0);
}

void sim_stats_schema(struct sim *s, FILE *f)
{
    stat_schema_markdown(f, publish_for_schema, s);
}

/* ---- timeline ---- */

/* The timeline's columns in their order: each is the column of a published statistic (a
 * list's column stands for all its items: order0, order1 ...). */
static const char *const timeline_order[] = {
    "cycles", "instructions", "accesses", "minor_faults", "major_faults", "walks", "rss_pages",
    "rss_by_pid", "free_pages", "order", "unusable_index_thp", "swap_used_pages", "pswpin",
    "pswpout", "workingset_refault", "pgactivate", "pgdeactivate", "inactive_anon", "active_anon", "allocstall", "kswapd_cycles", "memstall_cycles",
    "procs_r", "procs_b", "oom_kills"};
#define TL_NORDER (sizeof timeline_order / sizeof timeline_order[0])

struct tl_cell {
    const char *column; /* the definition's */
    char name[64];      /* the CSV's (order3) */
    char *text;
};

struct tl_row {
    struct tl_cell *c;
    size_t n, cap;
};

static void tl_emit(void *ctx, const char *path, const struct stat_def *d, const struct stat_val *v)
{
    struct tl_row *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct tl_cell *c = realloc(r->c, cap * sizeof *c);
        if (!c)
            return;
        r->c = c;
        r->cap = cap;
    }
    struct tl_cell *c = &r->c[r->n];
    char num[32];
    c->column = d->column;
    snprintf(c->name, sizeof c->name, "%s", path);
    switch (v->type) {
    case STAT_T_U64:
    case STAT_T_BOOL: snprintf(num, sizeof num, "%" PRIu64, v->u); break;
    case STAT_T_I64: snprintf(num, sizeof num, "%" PRId64, v->i); break;
    case STAT_T_F64: snprintf(num, sizeof num, "%.3f", v->f); break;
    case STAT_T_STR: break;
    }
    c->text = strdup(v->type == STAT_T_STR ? (v->s ? v->s : "") : num);
    if (c->text)
        r->n++;
}

static int tl_known(const char *column)
{
    for (size_t k = 0; k < TL_NORDER; k++)
        if (!strcmp(timeline_order[k], column))
            return 1;
    return 0;
}

/* One line of the timeline: the column names (header) or the values, in timeline_order and
 * then any column it does not name. */
static void timeline_line(struct sim *s, uint64_t time_fx, int header)
{
    struct tl_row r = {0};
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_TIMELINE, tl_emit, &r);
    stats_publish(s, &o, time_fx);
    int first = 1;
    for (size_t k = 0; k <= TL_NORDER; k++)
        for (size_t i = 0; i < r.n; i++) {
            const struct tl_cell *c = &r.c[i];
            if (k < TL_NORDER ? strcmp(c->column, timeline_order[k]) : tl_known(c->column))
                continue;
            fprintf(s->timeline, "%s%s", first ? "" : ",", header ? c->name : c->text);
            first = 0;
        }
    fprintf(s->timeline, "\n");
    for (size_t i = 0; i < r.n; i++)
        free(r.c[i].text);
    free(r.c);
}

void stats_timeline_header(struct sim *s)
{
    timeline_line(s, sched_now_fx(s), 1);
}

void stats_timeline_row(struct sim *s, uint64_t time_fx)
{
    timeline_line(s, time_fx, 0);
}

/* ---- mmsim stats-schema CONFIG (hidden: generates docs/replay.md's table) ---- */

