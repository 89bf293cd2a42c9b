/* statreg.h - the statistics registry: each module publishes each of its statistics once, in
 * one publishing function, as a definition (its key, unit, kind, one-line description and
 * timeline column) and a value. Every output is a rendering of that one publication:
 *
 *   - the JSON report (mmsim replay --json, python/mmsim, sweep results and their CSV columns),
 *   - sim_stat / sim_stats_visit: every number of the JSON outside lists, by its dotted path,
 *   - the timeline CSV: the statistics that name a column,
 *   - the human report: it looks its figures up by path in a table of the publication,
 *   - the schema table of docs/replay.md (mmsim stats-schema).
 *
 * A publishing function walks its statistics with the stat_* calls below; groups and lists
 * nest as the JSON does. The counters themselves stay plain fields incremented inline: the
 * registry is read at report time only, never on the access path.
 *
 *     static const struct stat_def D_MINOR = {"minor", "faults", STAT_COUNTER, "page faults ..."};
 *     stat_group_begin(o, "faults");
 *     stat_u64(o, &D_MINOR, s->faults_minor);
 *     stat_group_end(o);
 */
#ifndef MMSIM_STATREG_H
#define MMSIM_STATREG_H

#include <stdint.h>
#include <stdio.h>

struct json;

/* How a statistic behaves over a run; windows (sim_window.c) report a counter's change and a
 * gauge's value at the window's end. */
enum stat_kind {
    STAT_COUNTER = 0, /* only grows during a run */
    STAT_GAUGE = 1,   /* a level at the moment of the report */
    STAT_RATIO = 2,   /* derived from other statistics (CPI, MPKI, a mean) */
    STAT_INFO = 3,    /* configuration or identity (a size, a name, a pid), not a measurement */
};
#define STAT_KIND_MASK 3u
/* Outputs a statistic stays out of (every other output has it). */
#define STAT_NOT_JSON 4u  /* the timeline's own columns (sample time, per-pid RSS ...) */
#define STAT_NOT_QUERY 8u /* not a sim_stat key although a JSON number (none today) */

struct stat_def {
    const char *name;   /* its key in its group; a list's key for stat_list_begin */
    const char *unit;   /* "pages", "cycles", "bytes", "events", "ratio", "" ... */
    unsigned flags;     /* an enum stat_kind | STAT_NOT_* */
    const char *desc;   /* one line: what it counts, and where the kernel counts it */
    const char *column; /* its timeline CSV column, or NULL (a list's items: column + index) */
};

enum stat_type { STAT_T_U64, STAT_T_I64, STAT_T_F64, STAT_T_BOOL, STAT_T_STR };
struct stat_val {
    enum stat_type type;
    uint64_t u;
    int64_t i;
    double f;     /* every numeric type, as a double */
    const char *s;
};

/* What a publication is rendered into. */
enum stat_mode {
    STAT_OUT_JSON,     /* the JSON report */
    STAT_OUT_QUERY,    /* numbers outside lists, by dotted path (sim_stat, sim_stats_visit) */
    STAT_OUT_TIMELINE, /* statistics with a column (lists included: column0, column1 ...) */
    STAT_OUT_SCHEMA,   /* every definition once, with its path in the placeholders' form */
    STAT_OUT_TABLE,    /* everything, list items by index ("processes.0.pid"), for lookups */
};

/* path: dotted ("tlb.l1d.misses"); in the schema "tlb.<tlb>.misses", "processes[].pid";
 * in the timeline the column ("order3"). */
typedef void (*stat_emit_fn)(void *ctx, const char *path, const struct stat_def *d,
                             const struct stat_val *v);

#define STAT_PATH_MAX 256
#define STAT_MAX_DEPTH 16
struct stat_out {
    enum stat_mode mode;
    struct json *j;    /* STAT_OUT_JSON */
    stat_emit_fn emit; /* the other modes */
    void *ctx;
    char path[STAT_PATH_MAX];
    size_t mark[STAT_MAX_DEPTH]; /* path length at each open group or list */
    int depth;
    int lists;            /* open lists: their members are in the JSON and schema only */
    int list_index[STAT_MAX_DEPTH];
    const struct stat_def *list_def; /* the innermost open list */
};

void stat_out_json(struct stat_out *o, struct json *j);
void stat_out_emit(struct stat_out *o, enum stat_mode mode, stat_emit_fn emit, void *ctx);

/* The schema asks for everything a run might publish: groups published only under some
 * configuration, and one item of each list. Publishers test this beside their condition. */
int stat_all(const struct stat_out *o);

/* A group (a JSON object). name NULL: an item of the open list, or the report itself. */
void stat_group_begin(struct stat_out *o, const char *name);
/* A group named by an instance (a TLB, a cache, a page size): the schema shows placeholder. */
void stat_instance_begin(struct stat_out *o, const char *placeholder, const char *name);
void stat_group_end(struct stat_out *o);

/* A list (a JSON array) described by d; its items are groups (stat_group_begin(o, NULL)) or
 * values (stat_item_*). */
void stat_list_begin(struct stat_out *o, const struct stat_def *d);
void stat_list_end(struct stat_out *o);
void stat_item_u64(struct stat_out *o, uint64_t v);
void stat_item_f64(struct stat_out *o, double v);
void stat_item_str(struct stat_out *o, const char *v);

void stat_u64(struct stat_out *o, const struct stat_def *d, uint64_t v);
void stat_i64(struct stat_out *o, const struct stat_def *d, int64_t v);
void stat_f64(struct stat_out *o, const struct stat_def *d, double v); /* NaN: JSON null */
void stat_bool(struct stat_out *o, const struct stat_def *d, int v);
void stat_str(struct stat_out *o, const struct stat_def *d, const char *v); /* NULL: null */

/* A value whose key is an instance's name ("L1", "base"): d->name is the placeholder the
 * schema shows ("L<level>", "<part>"). */
void stat_u64_as(struct stat_out *o, const struct stat_def *d, const char *name, uint64_t v);
void stat_f64_as(struct stat_out *o, const struct stat_def *d, const char *name, double v);

/* Whether d would be rendered here: to skip the work of a value no output takes. */
int stat_wanted(const struct stat_out *o, const struct stat_def *d);

/* A member only the JSON has, written by fn (tables such as a latency histogram, and
 * reports of other shapes); the schema lists d for it. */
void stat_json_only(struct stat_out *o, const struct stat_def *d,
                    void (*fn)(void *arg, struct json *j), void *arg);

/* A publication kept for lookups by path (the human report reads its figures from one):
 * every value, list items by index, timeline-only ones too. */
struct stat_table;
struct stat_table *stat_table_new(void (*publish)(void *arg, struct stat_out *o), void *arg);
void stat_table_free(struct stat_table *t);
/* The value at the path fmt names (printf-style); a path not published: 0, NaN or NULL. */
uint64_t stat_table_u64(const struct stat_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int64_t stat_table_i64(const struct stat_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double stat_table_f64(const struct stat_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *stat_table_str(const struct stat_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The schema as a Markdown table (docs/replay.md): path, unit, kind, timeline column,
 * description; one row a path (instances share theirs), a list's row ending in []. */
void stat_schema_markdown(FILE *f, void (*publish)(void *arg, struct stat_out *o), void *arg);

#endif
