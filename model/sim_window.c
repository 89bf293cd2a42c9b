/* sim_window.c - replaying a windowed trace (mmsim record --skip/--length/--every) with a
 * warmup: the first accesses of each window warm the TLBs, caches and page tables, and the
 * results are the statistics' change from the warmup's end to the window's end, per window
 * and summed (docs/replay.md, "Windows and warmup").
 *
 * The statistics are snapshotted from the registry (stats_visit) at both points, so every
 * counter of the report has a per-window value without the access path counting anything
 * twice; the ratios CPI and MPKI are recomputed from the deltas, and the gauges (a level,
 * not a count) are left out. A trace without window markers is one
 * window, the whole trace. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/sim_internal.h"
#include "model/statreg.h"
#include "traces/mmt.h"

struct win_rec {
    uint32_t pid;
    uint64_t index;
    uint64_t warm_target;  /* accesses to warm with */
    uint64_t warmed;       /* ... warmed before counting began */
    double *a, *b;         /* statistics when counting began and when the window ended */
    int ended_by_marker;   /* 0: the trace ended (or another window began) inside it */
};

/* The accesses of one window of the trace, counted before the run (fraction warmups). */
struct win_size {
    uint32_t pid;
    uint64_t index, accesses;
};

struct sim_windows {
    uint64_t warm_accesses;
    double warm_fraction;      /* > 0: a fraction of each window's accesses instead */
    char **keys;
    size_t nkeys, capkeys;
    struct win_rec *w;
    size_t n, cap;
    struct win_size *sizes;
    size_t nsizes;
    int open;                  /* 1 + the index in w of the open window, 0: none */
    int oom;
};

/* ---- snapshots ---- */
struct snap_ctx {
    struct sim_windows *sw;
    double *v;   /* NULL: learn the keys */
    size_t len;  /* entries of v */
    size_t i;
};

static int key_is_ratio(const char *k)
{
    size_t n = strlen(k);
    return !strcmp(k, "cpi") || (n > 5 && !strcmp(k + n - 5, ".mpki"));
}

static void snap_cb(void *ctx, const char *key, double v, const struct stat_def *d)
{
    struct snap_ctx *c = ctx;
    if ((d->flags & STAT_KIND_MASK) != STAT_COUNTER && !key_is_ratio(key))
        return; /* a window's change is a counter's */
    struct sim_windows *sw = c->sw;
    if (!c->v) { /* the first pass names the keys */
        if (sw->nkeys == sw->capkeys) {
            size_t cap = sw->capkeys ? 2 * sw->capkeys : 128;
            char **k = realloc(sw->keys, cap * sizeof *k);
            if (!k) {
                sw->oom = 1;
                return;
            }
            sw->keys = k;
            sw->capkeys = cap;
        }
        if (!(sw->keys[sw->nkeys] = strdup(key))) {
            sw->oom = 1;
            return;
        }
        sw->nkeys++;
    } else if (c->i < c->len) {
        c->v[c->i] = v;
    }
    c->i++;
}

static double *snapshot(struct sim *s)
{
    struct sim_windows *sw = s->win;
    if (!sw->nkeys) { /* learn the keys (their number and order never change) */
        struct snap_ctx c = {sw, NULL, 0, 0};
        stats_visit(s, snap_cb, &c);
    }
    double *v = calloc(sw->nkeys ? sw->nkeys : 1, sizeof *v);
    if (!v) {
        sw->oom = 1;
        return NULL;
    }
    struct snap_ctx c = {sw, v, sw->nkeys, 0};
    stats_visit(s, snap_cb, &c);
    return v;
}

/* ---- the windows of the run ---- */
static uint64_t window_size(const struct sim_windows *sw, uint32_t pid, uint64_t index)
{
    for (size_t i = 0; i < sw->nsizes; i++)
        if (sw->sizes[i].pid == pid && sw->sizes[i].index == index)
            return sw->sizes[i].accesses;
    return 0;
}

static void counting_begins(struct sim *s, struct win_rec *w)
{
    if (!w->a)
        w->a = snapshot(s);
}

static void end_open_window(struct sim *s, struct stream *st, int by_marker)
{
    struct sim_windows *sw = s->win;
    if (!sw->open)
        return;
    struct win_rec *w = &sw->w[sw->open - 1];
    counting_begins(s, w); /* a window shorter than its warmup counts nothing */
    w->b = snapshot(s);
    w->ended_by_marker = by_marker;
    w->warmed = w->warm_target - st->warm_left;
    st->warm_left = 0;
    sw->open = 0;
}

static void begin_window(struct sim *s, struct stream *st, uint32_t pid, uint64_t index)
{
    struct sim_windows *sw = s->win;
    end_open_window(s, st, 0);
    if (sw->n == sw->cap) {
        size_t cap = sw->cap ? 2 * sw->cap : 16;
        struct win_rec *w = realloc(sw->w, cap * sizeof *w);
        if (!w) {
            sw->oom = 1;
            return;
        }
        sw->w = w;
        sw->cap = cap;
    }
    struct win_rec *w = &sw->w[sw->n++];
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->index = index;
    w->warm_target = sw->warm_fraction > 0
        ? (uint64_t)llround(sw->warm_fraction * (double)window_size(sw, pid, index))
        : sw->warm_accesses;
    sw->open = (int)sw->n;
    st->warm_left = w->warm_target;
    if (!w->warm_target)
        counting_begins(s, w);
}

void sim_window_marker(struct sim *s, struct stream *st, const struct mmt_event *ev)
{
    if (!s->win || ev->nargs < 2)
        return;
    if (ev->args[0] == 0)
        begin_window(s, st, ev->pid, ev->args[1]);
    else
        end_open_window(s, st, 1);
}

void sim_window_warm_done(struct sim *s, struct stream *st)
{
    (void)st;
    struct sim_windows *sw = s->win;
    if (sw && sw->open)
        counting_begins(s, &sw->w[sw->open - 1]);
}

void sim_windows_finish(struct sim *s)
{
    if (s->win && s->nstreams)
        end_open_window(s, &s->streams[0], 0);
}

/* ---- setup: the window sizes of a fraction warmup, counted from the trace ---- */
static int add_size(struct sim_windows *sw, uint32_t pid, uint64_t index, size_t *cap)
{
    if (sw->nsizes == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        struct win_size *z = realloc(sw->sizes, nc * sizeof *z);
        if (!z)
            return -1;
        sw->sizes = z;
        *cap = nc;
    }
    sw->sizes[sw->nsizes++] = (struct win_size){pid, index, 0};
    return 0;
}

/* Counts the accesses of each window (and of the implicit whole-trace window). */
static int count_window_sizes(struct sim_windows *sw, const char *path, int marked, char *err,
                              size_t errlen)
{
    struct mmt_reader *r = mmt_reader_open(path, err, errlen);
    if (!r)
        return -1;
    size_t cap = 0;
    struct win_size *cur = NULL;
    int rc = 0;
    if (!marked) {
        if (add_size(sw, 0, 0, &cap))
            rc = -2;
        cur = sw->sizes;
    }
    const struct mmt_rec *recs;
    size_t n;
    while (rc == 0 && (rc = mmt_reader_next(r, &recs, &n)) > 0) {
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (recs[i].kind <= MMT_MODIFY) {
                if (cur)
                    cur->accesses++;
                continue;
            }
            if (recs[i].kind != MMT_EVENT)
                continue;
            const struct mmt_event *ev = mmt_reader_event(r, recs[i].aux);
            if (ev->type != MMT_EV_WINDOW || ev->nargs < 2)
                continue;
            if (ev->args[0] != 0) {
                cur = NULL;
            } else if (add_size(sw, ev->pid, ev->args[1], &cap)) {
                rc = -2;
            } else {
                cur = &sw->sizes[sw->nsizes - 1];
            }
        }
    }
    if (rc == -1)
        snprintf(err, errlen, "%s", mmt_reader_error(r));
    else if (rc == -2)
        snprintf(err, errlen, "%s: out of memory", path);
    mmt_reader_close(r);
    return rc < 0 ? -1 : 0;
}

static int trace_has_windows(struct stream *st)
{
    struct mmt_totals t;
    if (st->reader && mmt_reader_totals(st->reader, &t) == 0)
        return t.events[MMT_EV_WINDOW] > 0;
    return -1; /* unknown without a footer: count them */
}

int sim_set_warmup(struct sim *s, uint64_t accesses, double fraction, char *err, size_t errlen)
{
    if (s->nstreams != 1 || !s->streams[0].reader) {
        snprintf(err, errlen, "--warmup replays one trace file (the statistics per window are "
                              "the machine's)");
        return -1;
    }
    struct sim_windows *sw = calloc(1, sizeof *sw);
    if (!sw) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->win = sw;
    sw->warm_accesses = accesses;
    sw->warm_fraction = fraction;
    struct stream *st = &s->streams[0];
    int marked = trace_has_windows(st);
    if (fraction > 0 || marked < 0) {
        if (count_window_sizes(sw, st->name, marked > 0, err, errlen))
            return -1;
        if (marked < 0)
            marked = sw->nsizes > 1 || (sw->nsizes == 1 && sw->sizes[0].pid != 0);
    }
    if (!marked) {
        begin_window(s, st, 0, 0); /* the whole trace is one window */
        if (fraction > 0)
            st->warm_left = sw->w[0].warm_target =
                (uint64_t)llround(fraction * (double)sw->sizes[0].accesses);
    }
    if (sw->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void sim_windows_free(struct sim *s)
{
    struct sim_windows *sw = s->win;
    if (!sw)
        return;
    for (size_t i = 0; i < sw->n; i++) {
        free(sw->w[i].a);
        free(sw->w[i].b);
    }
    for (size_t i = 0; i < sw->nkeys; i++)
        free(sw->keys[i]);
    free(sw->keys);
    free(sw->w);
    free(sw->sizes);
    free(sw);
    s->win = NULL;
}

/* ---- reports ---- */
static size_t key_index(const struct sim_windows *sw, const char *k)
{
    for (size_t i = 0; i < sw->nkeys; i++)
        if (!strcmp(sw->keys[i], k))
            return i;
    return SIZE_MAX;
}

static double get(const struct sim_windows *sw, const double *d, const char *k)
{
    size_t i = key_index(sw, k);
    return i == SIZE_MAX ? NAN : d[i];
}

/* The change of every counter in window w (into d). */
static void window_delta(const struct sim_windows *sw, const struct win_rec *w, double *d)
{
    for (size_t i = 0; i < sw->nkeys; i++)
        d[i] = w->a && w->b ? w->b[i] - w->a[i] : 0.0;
}

static void json_delta(struct json *j, const struct sim_windows *sw, const double *d)
{
    double instr = get(sw, d, "instructions");
    json_obj_begin(j, "stats");
    for (size_t i = 0; i < sw->nkeys; i++) {
        const char *k = sw->keys[i];
        if (!key_is_ratio(k)) {
            json_f64(j, k, d[i]);
        } else if (!strcmp(k, "cpi")) {
            json_f64(j, k, instr > 0 ? get(sw, d, "cycles") / instr : NAN);
        } else if (strstr(k, ".mpki")) {
            char m[160];
            snprintf(m, sizeof m, "%.*s.misses", (int)(strlen(k) - 5), k);
            json_f64(j, k, instr > 0 ? get(sw, d, m) * 1000.0 / instr : NAN);
        }
    }
    json_obj_end(j);
}

void sim_report_windows_json(struct sim *s, struct json *j)
{
    struct sim_windows *sw = s->win;
    if (!sw || sw->oom)
        return;
    double *d = calloc(2 * (sw->nkeys + 1), sizeof *d); /* a window's changes, then their total */
    if (!d)
        return;
    double *tot = d + sw->nkeys + 1;
    json_obj_begin(j, "windows");
    if (sw->warm_fraction > 0)
        json_f64(j, "warmup_fraction", sw->warm_fraction);
    else
        json_u64(j, "warmup_accesses", sw->warm_accesses);
    json_u64(j, "count", sw->n);
    json_arr_begin(j, "list");
    for (size_t i = 0; i < sw->n; i++) {
        const struct win_rec *w = &sw->w[i];
        window_delta(sw, w, d);
        for (size_t k = 0; k < sw->nkeys; k++)
            tot[k] += d[k];
        json_obj_begin(j, NULL);
        json_u64(j, "index", w->index);
        json_u64(j, "pid", w->pid);
        json_u64(j, "warmup_target", w->warm_target);
        json_u64(j, "warmed", w->warmed);
        json_bool(j, "ended_by_marker", w->ended_by_marker);
        json_delta(j, sw, d);
        json_obj_end(j);
    }
    json_arr_end(j);
    json_obj_begin(j, "total");
    json_delta(j, sw, tot);
    json_obj_end(j);
    json_obj_end(j);
    free(d);
}

/* The name of a TLB or cache whose misses key k is ("tlb.NAME.misses", "cache.NAME.misses"),
 * with its length, or NULL. */
static const char *miss_column(const char *k, int *len)
{
    const char *rest = !strncmp(k, "tlb.", 4) ? k + 4 : !strncmp(k, "cache.", 6) ? k + 6 : NULL;
    const char *dot = rest ? strchr(rest, '.') : NULL;
    if (!dot || strcmp(dot, ".misses"))
        return NULL;
    *len = (int)(dot - rest);
    return rest;
}

/* One row: the headline counters and each TLB's and cache's misses. */
static void text_row(FILE *f, const struct sim_windows *sw, const double *d)
{
    double instr = get(sw, d, "instructions"), cyc = get(sw, d, "cycles");
    fprintf(f, " %12.0f %12.0f %12.0f %7.3f %8.0f", get(sw, d, "accesses"), instr, cyc,
            instr > 0 ? cyc / instr : NAN, get(sw, d, "faults.minor"));
    int len;
    for (size_t i = 0; i < sw->nkeys; i++)
        if (miss_column(sw->keys[i], &len))
            fprintf(f, " %10.0f", d[i]);
    fprintf(f, "\n");
}

void sim_report_windows_text(struct sim *s, FILE *f)
{
    struct sim_windows *sw = s->win;
    if (!sw || sw->oom)
        return;
    double *d = calloc(2 * (sw->nkeys + 1), sizeof *d); /* a window's changes, then their total */
    if (!d)
        return;
    double *tot = d + sw->nkeys + 1;
    fprintf(f, "\nWindows: %zu, each after a warmup of ", sw->n);
    if (sw->warm_fraction > 0)
        fprintf(f, "%g of its accesses", sw->warm_fraction);
    else
        fprintf(f, "%llu accesses", (unsigned long long)sw->warm_accesses);
    fprintf(f, " (not counted)\n  %6s %7s %9s %12s %12s %12s %7s %8s", "window", "pid", "warmed",
            "accesses", "instructions", "cycles", "CPI", "minflt");
    int len;
    for (size_t i = 0; i < sw->nkeys; i++) {
        const char *name = miss_column(sw->keys[i], &len);
        if (name)
            fprintf(f, " %5.*s miss", len, name);
    }
    fprintf(f, "\n");
    for (size_t i = 0; i < sw->n; i++) {
        const struct win_rec *w = &sw->w[i];
        window_delta(sw, w, d);
        for (size_t k = 0; k < sw->nkeys; k++)
            tot[k] += d[k];
        fprintf(f, "  %6llu %7u %9llu", (unsigned long long)w->index, w->pid,
                (unsigned long long)w->warmed);
        text_row(f, sw, d);
    }
    fprintf(f, "  %6s %7s %9s", "total", "", "");
    text_row(f, sw, tot);
    free(d);
}
