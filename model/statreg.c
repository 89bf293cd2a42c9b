/* statreg.c - rendering a publication of statistics (statreg.h) as JSON, dotted-path
 * queries, timeline columns, a table for lookups or the schema. */
#include "model/statreg.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void stat_out_json(struct stat_out *o, struct json *j)
{
    memset(o, 0, sizeof *o);
    o->mode = STAT_OUT_JSON;
    o->j = j;
}

void stat_out_emit(struct stat_out *o, enum stat_mode mode, stat_emit_fn emit, void *ctx)
{
    memset(o, 0, sizeof *o);
    o->mode = mode;
    o->emit = emit;
    o->ctx = ctx;
}

int stat_all(const struct stat_out *o)
{
    return o->mode == STAT_OUT_SCHEMA;
}

/* ---- the path ---- */

static void path_push(struct stat_out *o, const char *comp, const char *sep)
{
    size_t n = strlen(o->path);
    if (o->depth < STAT_MAX_DEPTH)
        o->mark[o->depth] = n;
    o->depth++;
    if (snprintf(o->path + n, sizeof o->path - n, "%s%s", n ? sep : "", comp) >= (int)(sizeof o->path - n))
        o->path[sizeof o->path - 1] = 0; /* truncated: no path is this long */
}

static void path_pop(struct stat_out *o)
{
    o->depth--;
    if (o->depth >= 0 && o->depth < STAT_MAX_DEPTH)
        o->path[o->mark[o->depth]] = 0;
}

/* The path of member `name` of the open group, in a scratch buffer. */
static const char *member_path(const struct stat_out *o, const char *name, char *buf, size_t len)
{
    if (snprintf(buf, len, "%s%s%s", o->path, o->path[0] ? "." : "", name) >= (int)len)
        buf[len - 1] = 0; /* truncated: no path is this long */
    return buf;
}

/* The path component of the next item of the open list: "[]" in the schema, else its index. */
static void item_component(struct stat_out *o, char *buf, size_t len)
{
    int d = o->depth - 1;
    if (o->mode == STAT_OUT_SCHEMA)
        snprintf(buf, len, "[]");
    else
        snprintf(buf, len, "%d", d >= 0 && d < STAT_MAX_DEPTH ? o->list_index[d]++ : 0);
}

/* ---- groups and lists ---- */

void stat_group_begin(struct stat_out *o, const char *name)
{
    char idx[24];
    if (!name && !o->lists) { /* the report itself */
        path_push(o, "", "");
    } else if (!name) { /* an item of the open list */
        item_component(o, idx, sizeof idx);
        path_push(o, idx, o->mode == STAT_OUT_SCHEMA ? "" : ".");
    } else {
        path_push(o, name, ".");
    }
    if (o->mode == STAT_OUT_JSON)
        json_obj_begin(o->j, name);
}

void stat_instance_begin(struct stat_out *o, const char *placeholder, const char *name)
{
    stat_group_begin(o, o->mode == STAT_OUT_SCHEMA ? placeholder : name);
}

void stat_group_end(struct stat_out *o)
{
    path_pop(o);
    if (o->mode == STAT_OUT_JSON)
        json_obj_end(o->j);
}

static void emit(struct stat_out *o, const char *path, const struct stat_def *d,
                 const struct stat_val *v)
{
    if (o->emit)
        o->emit(o->ctx, path, d, v);
}

void stat_list_begin(struct stat_out *o, const struct stat_def *d)
{
    if (o->mode == STAT_OUT_SCHEMA) {
        char buf[STAT_PATH_MAX], name[80];
        struct stat_val v = {.type = STAT_T_STR};
        if (snprintf(name, sizeof name, "%s[]", d->name) >= (int)sizeof name)
            name[sizeof name - 1] = 0;
        emit(o, member_path(o, name, buf, sizeof buf), d, &v);
    }
    path_push(o, d->name, ".");
    if (o->depth - 1 < STAT_MAX_DEPTH && o->depth >= 1)
        o->list_index[o->depth - 1] = 0;
    o->lists++;
    o->list_def = d;
    if (o->mode == STAT_OUT_JSON)
        json_arr_begin(o->j, d->name);
}

void stat_list_end(struct stat_out *o)
{
    path_pop(o);
    o->lists--;
    o->list_def = NULL;
    if (o->mode == STAT_OUT_JSON)
        json_arr_end(o->j);
}

/* An item of a list of values: the JSON's element, or a timeline column "column<index>". */
static void item(struct stat_out *o, const struct stat_val *v)
{
    int d = o->depth - 1;
    int index = d >= 0 && d < STAT_MAX_DEPTH ? o->list_index[d]++ : 0;
    switch (o->mode) {
    case STAT_OUT_JSON:
        if (v->type == STAT_T_U64)
            json_u64(o->j, NULL, v->u);
        else if (v->type == STAT_T_F64)
            json_f64(o->j, NULL, v->f);
        else
            json_str(o->j, NULL, v->s);
        return;
    case STAT_OUT_TIMELINE:
        if (o->list_def && o->list_def->column && o->lists == 1) {
            char col[64];
            if (snprintf(col, sizeof col, "%s%d", o->list_def->column, index) >= (int)sizeof col)
                col[sizeof col - 1] = 0;
            emit(o, col, o->list_def, v);
        }
        return;
    case STAT_OUT_TABLE: {
        char name[24], buf[STAT_PATH_MAX];
        snprintf(name, sizeof name, "%d", index);
        emit(o, member_path(o, name, buf, sizeof buf), o->list_def, v);
        return;
    }
    case STAT_OUT_QUERY:
    case STAT_OUT_SCHEMA: /* the list's row stands for its items */
        return;
    }
}

void stat_item_u64(struct stat_out *o, uint64_t v)
{
    struct stat_val x = {.type = STAT_T_U64, .u = v, .f = (double)v};
    item(o, &x);
}

void stat_item_f64(struct stat_out *o, double v)
{
    struct stat_val x = {.type = STAT_T_F64, .f = v};
    item(o, &x);
}

void stat_item_str(struct stat_out *o, const char *v)
{
    struct stat_val x = {.type = STAT_T_STR, .s = v};
    item(o, &x);
}

/* ---- values ---- */

int stat_wanted(const struct stat_out *o, const struct stat_def *d)
{
    switch (o->mode) {
    case STAT_OUT_JSON: return !(d->flags & STAT_NOT_JSON);
    case STAT_OUT_QUERY: return !o->lists && !(d->flags & (STAT_NOT_JSON | STAT_NOT_QUERY));
    case STAT_OUT_TIMELINE: return d->column != NULL;
    case STAT_OUT_SCHEMA:
    case STAT_OUT_TABLE: return 1;
    }
    return 0;
}

/* Value v of d under key `name` (d->name, or an instance's name). */
static void value_as(struct stat_out *o, const struct stat_def *d, const char *name,
                     const struct stat_val *v)
{
    char buf[STAT_PATH_MAX];
    if (!stat_wanted(o, d))
        return;
    switch (o->mode) {
    case STAT_OUT_JSON:
        switch (v->type) {
        case STAT_T_U64: json_u64(o->j, name, v->u); return;
        case STAT_T_I64: json_i64(o->j, name, v->i); return;
        case STAT_T_F64: json_f64(o->j, name, v->f); return;
        case STAT_T_BOOL: json_bool(o->j, name, v->u != 0); return;
        case STAT_T_STR: json_str(o->j, name, v->s); return;
        }
        return;
    case STAT_OUT_QUERY:
        if (v->type != STAT_T_STR)
            emit(o, member_path(o, name, buf, sizeof buf), d, v);
        return;
    case STAT_OUT_TIMELINE:
        if (!o->lists)
            emit(o, d->column, d, v);
        return;
    case STAT_OUT_SCHEMA:
        emit(o, member_path(o, d->name, buf, sizeof buf), d, v);
        return;
    case STAT_OUT_TABLE:
        emit(o, member_path(o, name, buf, sizeof buf), d, v);
        return;
    }
}

static void value(struct stat_out *o, const struct stat_def *d, const struct stat_val *v)
{
    value_as(o, d, d->name, v);
}

void stat_u64_as(struct stat_out *o, const struct stat_def *d, const char *name, uint64_t v)
{
    struct stat_val x = {.type = STAT_T_U64, .u = v, .f = (double)v};
    value_as(o, d, name, &x);
}

void stat_f64_as(struct stat_out *o, const struct stat_def *d, const char *name, double v)
{
    struct stat_val x = {.type = STAT_T_F64, .f = v};
    value_as(o, d, name, &x);
}

void stat_u64(struct stat_out *o, const struct stat_def *d, uint64_t v)
{
    struct stat_val x = {.type = STAT_T_U64, .u = v, .f = (double)v};
    value(o, d, &x);
}

void stat_i64(struct stat_out *o, const struct stat_def *d, int64_t v)
{
    struct stat_val x = {.type = STAT_T_I64, .i = v, .f = (double)v};
    value(o, d, &x);
}

void stat_f64(struct stat_out *o, const struct stat_def *d, double v)
{
    struct stat_val x = {.type = STAT_T_F64, .f = v};
    value(o, d, &x);
}

void stat_bool(struct stat_out *o, const struct stat_def *d, int v)
{
    struct stat_val x = {.type = STAT_T_BOOL, .u = v != 0, .f = v != 0};
    value(o, d, &x);
}

void stat_str(struct stat_out *o, const struct stat_def *d, const char *v)
{
    struct stat_val x = {.type = STAT_T_STR, .s = v};
    value(o, d, &x);
}

void stat_json_only(struct stat_out *o, const struct stat_def *d,
                    void (*fn)(void *arg, struct json *j), void *arg)
{
    if (o->mode == STAT_OUT_JSON) {
        fn(arg, o->j);
    } else if (o->mode == STAT_OUT_SCHEMA) {
        char buf[STAT_PATH_MAX];
        struct stat_val v = {.type = STAT_T_STR};
        emit(o, member_path(o, d->name, buf, sizeof buf), d, &v);
    }
}

/* ---- a table for lookups ---- */

struct stat_entry {
    char *path;
    struct stat_val v;
};

struct stat_table {
    struct stat_entry *e;
    size_t n, cap;
};

static void table_add(void *ctx, const char *path, const struct stat_def *d, const struct stat_val *v)
{
    (void)d;
    struct stat_table *t = ctx;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 512;
        struct stat_entry *e = realloc(t->e, cap * sizeof *e);
        if (!e)
            return;
        t->e = e;
        t->cap = cap;
    }
    struct stat_entry *e = &t->e[t->n];
    e->v = *v;
    e->path = strdup(path);
    if (v->type == STAT_T_STR && v->s)
        e->v.s = strdup(v->s);
    if (e->path)
        t->n++;
}

struct stat_table *stat_table_new(void (*publish)(void *arg, struct stat_out *o), void *arg)
{
    struct stat_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_TABLE, table_add, t);
    publish(arg, &o);
    return t;
}

void stat_table_free(struct stat_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].path);
        if (t->e[i].v.type == STAT_T_STR)
            free((char *)t->e[i].v.s);
    }
    free(t->e);
    free(t);
}

static const struct stat_val *table_find(const struct stat_table *t, const char *fmt, va_list ap)
{
    char path[STAT_PATH_MAX];
    vsnprintf(path, sizeof path, fmt, ap);
    for (size_t i = 0; t && i < t->n; i++)
        if (!strcmp(t->e[i].path, path))
            return &t->e[i].v;
    return NULL;
}

#define TABLE_LOOKUP(t, fmt, field, none)              \
    va_list ap;                                        \
    va_start(ap, fmt);                                 \
    const struct stat_val *v = table_find(t, fmt, ap); \
    va_end(ap);                                        \
    return v ? v->field : none

uint64_t stat_table_u64(const struct stat_table *t, const char *fmt, ...)
{
    TABLE_LOOKUP(t, fmt, u, 0);
}

int64_t stat_table_i64(const struct stat_table *t, const char *fmt, ...)
{
    TABLE_LOOKUP(t, fmt, i, 0);
}

double stat_table_f64(const struct stat_table *t, const char *fmt, ...)
{
    TABLE_LOOKUP(t, fmt, f, NAN);
}

const char *stat_table_str(const struct stat_table *t, const char *fmt, ...)
{
    TABLE_LOOKUP(t, fmt, s, NULL);
}

/* ---- the schema table ---- */

struct schema_rows {
    char **paths;
    size_t n, cap;
    FILE *f;
};

static const char *kind_name(const struct stat_def *d)
{
    static const char *const names[] = {"counter", "gauge", "ratio", "info"};
    return names[d->flags & STAT_KIND_MASK];
}

static int seen_before(struct schema_rows *r, const char *path)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->paths[i], path))
            return 1;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        char **p = realloc(r->paths, cap * sizeof *p);
        if (!p)
            return 0;
        r->paths = p;
        r->cap = cap;
    }
    r->paths[r->n] = strdup(path);
    if (r->paths[r->n])
        r->n++;
    return 0;
}

static void schema_row(void *ctx, const char *path, const struct stat_def *d,
                       const struct stat_val *v)
{
    (void)v;
    struct schema_rows *r = ctx;
    if (seen_before(r, path))
        return;
    char column[80] = "";
    size_t n = strlen(path);
    if (d->column) /* a list's items are columns column0, column1 ... */
        snprintf(column, sizeof column, "`%s%s`", d->column, n > 2 && !strcmp(path + n - 2, "[]") ? "N" : "");
    fprintf(r->f, "| `%s` | %s | %s | %s | %s%s |\n", path, d->unit[0] ? d->unit : "-", kind_name(d),
            column, d->flags & STAT_NOT_JSON ? "(timeline only) " : "", d->desc);
}

void stat_schema_markdown(FILE *f, void (*publish)(void *arg, struct stat_out *o), void *arg)
{
    struct schema_rows r = {NULL, 0, 0, f};
    struct stat_out o;
    stat_out_emit(&o, STAT_OUT_SCHEMA, schema_row, &r);
    fprintf(f, "| path | unit | kind | timeline | description |\n|---|---|---|---|---|\n");
    publish(arg, &o);
    for (size_t i = 0; i < r.n; i++)
        free(r.paths[i]);
    free(r.paths);
}
