/* plot.c - `mmsim plot KIND INPUT... -o OUT.(png|svg|pdf)`: figures through gnuplot (see
 * plot.h). Each kind picks its columns by name (overridable with --x/--y), writes the data
 * it plots into OUT.dat and a script into OUT.gp, then runs gnuplot on the script. */
#include "analysis/plot.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/csv.h"
#include "analysis/mrc.h"
#include "analysis/plot_labels.h"
#include "common/util.h"
#include "verbs.h"

#define MAX_SERIES 64
#define CLAUSES_MAX 32768
#define MAX_PANELS 16

struct plot_opts {
    const char *kind, *out, *title, *xcol, *ycol, *metric;
    char **inputs;
    int ninputs;
    double w, h; /* pixels (png, svg) or inches (pdf) */
    double freq_ghz; /* converts a `cycles` time column to seconds; 0: shown in Mcycles */
    int timeout_s;
    int logx; /* -1: kind's default, 0 off, 1 on */
    const char *panels; /* --panels KEY|trace|none; NULL: the kind's default */
    int have_size;      /* --size given */
};

/* The figure being written: data blocks in OUT.dat, plot clauses for OUT.gp. */
struct fig {
    FILE *dat;
    const char *datname; /* base name, the script runs in the output's folder */
    int blocks;
    char clauses[CLAUSES_MAX];
    size_t clen;
    /* several panels (a multiplot): where each panel's clauses start, and its title */
    int npanels;
    size_t panel_start[MAX_PANELS];
    char panel_title[MAX_PANELS][128];
    char title[300]; /* the figure's title from the kind, when --title is not given */
    char ylabel[300]; /* panels: shown left of the first column only (they share y) */
    int key_entries, key_width; /* panels: lines in the shared key, longest title (chars) */
    int panel_cols;             /* panels a row; 0: up to 3 (4 beyond 6 panels) */
    double left_chars, right_chars; /* panels: room for labels and a colour box; 0: defaults */
    char *err;
    size_t errlen;
};

/* A line of the figure. */
struct series {
    char title[160];
    size_t n, cap;
    double *x, *y;
};

static int fail(struct fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct fig *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->err, f->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void add_clause(struct fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_clause(struct fig *f, const char *fmt, ...)
{
    if (f->clen + 8 >= CLAUSES_MAX)
        return;
    if (f->clen > (f->npanels ? f->panel_start[f->npanels - 1] : 0))
        f->clen += (size_t)snprintf(f->clauses + f->clen, CLAUSES_MAX - f->clen, ", \\\n     ");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->clauses + f->clen, CLAUSES_MAX - f->clen, fmt, ap);
    va_end(ap);
    if (n > 0)
        f->clen = f->clen + (size_t)n < CLAUSES_MAX ? f->clen + (size_t)n : CLAUSES_MAX - 1;
}

/* Starts a new panel: the clauses added next are its plot command. */
static void panel_add(struct fig *f, const char *title)
{
    if (f->npanels == MAX_PANELS)
        return;
    f->panel_start[f->npanels] = f->clen;
    snprintf(f->panel_title[f->npanels++], sizeof f->panel_title[0], "%s", title);
}

/* A title safe inside a gnuplot double-quoted string (no quotes, backslashes, enhanced-text
 * specials). */
static void clean_title(char *dst, size_t n, const char *src)
{
    size_t j = 0;
    for (; *src && j + 1 < n; src++)
        dst[j++] = strchr("\"\\_^{}@&~", *src) ? (*src == '_' ? '-' : ' ') : *src;
    dst[j] = 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* File name without folder and extension, for legends. */
static void stem(char *dst, size_t n, const char *path)
{
    snprintf(dst, n, "%s", base_name(path));
    char *dot = strrchr(dst, '.');
    if (dot && dot != dst)
        *dot = 0;
}

static int series_push(struct series *s, double x, double y)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        double *nx = realloc(s->x, sizeof *nx * nc);
        if (!nx)
            return -1;
        s->x = nx;
        double *ny = realloc(s->y, sizeof *ny * nc);
        if (!ny)
            return -1;
        s->y = ny;
        s->cap = nc;
    }
    s->x[s->n] = x;
    s->y[s->n++] = y;
    return 0;
}

static void series_free(struct series *s, int n)
{
    for (int i = 0; i < n; i++) {
        free(s[i].x);
        free(s[i].y);
    }
}

static void series_sort(struct series *s)
{
    for (size_t i = 1; i < s->n; i++) { /* insertion sort: sweeps are small */
        double x = s->x[i], y = s->y[i];
        size_t j = i;
        for (; j > 0 && s->x[j - 1] > x; j--) {
            s->x[j] = s->x[j - 1];
            s->y[j] = s->y[j - 1];
        }
        s->x[j] = x;
        s->y[j] = y;
    }
}

/* Writes one data block and returns its index. Values that log axes cannot show (<= 0)
 * are written as missing when `positive` is set. */
static int write_block(struct fig *f, const struct series *s, int positive)
{
    if (f->blocks)
        fputs("\n\n", f->dat);
    fprintf(f->dat, "# %s\n", s->title);
    for (size_t i = 0; i < s->n; i++) {
        if (positive && !(s->y[i] > 0))
            fprintf(f->dat, "%.10g ?\n", s->x[i]);
        else
            fprintf(f->dat, "%.10g %.10g\n", s->x[i], s->y[i]);
    }
    return f->blocks++;
}

static int series_has_positive(const struct series *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->y[i] > 0)
            return 1;
    return 0;
}

/* A cell as a number: plain, or a size with K/M/G (bytes). */
static int cell_num(struct fig *f, const struct csv *c, size_t row, int col, double *v)
{
    const char *s = csv_get(c, row, (size_t)col);
    char *end;
    *v = strtod(s, &end);
    if (end != s && !*end)
        return 0;
    uint64_t b;
    if (parse_size(s, &b) == 0) {
        *v = (double)b;
        return 0;
    }
    return fail(f, "%s:%zu: column '%s': '%s' is not a number", c->path, c->line[row],
                c->header[col], s);
}

/* The column named `want` (an override or a kind's choice), or the first of the candidate
 * names present, or the first column whose name contains one of `parts`. */
static int pick_col(const struct csv *c, const char *want, const char *const *names,
                    const char *const *parts)
{
    if (want)
        return csv_col(c, want);
    for (; names && *names; names++) {
        int i = csv_col(c, *names);
        if (i >= 0)
            return i;
    }
    for (; parts && *parts; parts++)
        for (size_t i = 0; i < c->ncols; i++)
            if (strstr(c->header[i], *parts))
                return (int)i;
    return -1;
}

static int need_col(struct fig *f, const struct csv *c, int col, const char *what,
                    const char *want)
{
    if (col >= 0)
        return 0;
    if (want)
        return fail(f, "%s: no column '%s'", c->path, want);
    return fail(f, "%s: no column for %s (name it with --x/--y)", c->path, what);
}

/* Byte-valued columns are shown in MiB. */
static int is_bytes_col(const char *name)
{
    size_t n = strlen(name);
    if (n > 4 && !strcmp(name + n - 4, "_mib"))
        return 0; /* already in MiB (memory_mib of make validate-thrash) */
    return !strcmp(name, "bytes") || (n > 5 && !strcmp(name + n - 5, "bytes")) ||
           (n > 4 && !strcmp(name + n - 4, "size")) || strstr(name, "memory") != NULL;
}

/* ---- grouping sweep rows into lines: by every varied key but x, and by trace ---- */

/* Columns before `trace` are the varied keys in a sweep CSV. */
static size_t key_columns(const struct csv *c)
{
    int t = csv_col(c, "trace");
    return t < 0 ? 0 : (size_t)t;
}

/* y of one sweep row for the `tlb` kind. */
struct tlb_cols {
    int misses, hits, accesses, instructions, direct;
    int mpki; /* 1: misses per kilo-instruction, 0: hit rate in percent */
    int busy, idle; /* multiprog without a utilisation column: 100 * busy / (busy + idle) */
};

static int tlb_y(struct fig *f, const struct csv *c, size_t r, const struct tlb_cols *tc,
                 double *y)
{
    double m, h, a, ins;
    if (tc->direct >= 0)
        return cell_num(f, c, r, tc->direct, y);
    if (tc->busy >= 0) {
        if (cell_num(f, c, r, tc->busy, &h) < 0 || cell_num(f, c, r, tc->idle, &a) < 0)
            return -1;
        *y = h + a > 0 ? 100 * h / (h + a) : NAN;
        return 0;
    }
    if (cell_num(f, c, r, tc->misses, &m) < 0)
        return -1;
    if (tc->mpki) {
        if (cell_num(f, c, r, tc->instructions, &ins) < 0)
            return -1;
        *y = ins > 0 ? m * 1000 / ins : NAN;
        return 0;
    }
    if (tc->hits >= 0) {
        if (cell_num(f, c, r, tc->hits, &h) < 0)
            return -1;
        *y = h + m > 0 ? 100 * h / (h + m) : NAN;
        return 0;
    }
    if (cell_num(f, c, r, tc->accesses, &a) < 0)
        return -1;
    *y = a > 0 ? 100 * (1 - m / a) : NAN;
    return 0;
}

/* ---- the kinds: each writes data blocks and plot clauses, and the axis settings ---- */

static void put_bytes_log2_tics(FILE *gp, char axis, double lo, double hi, double unit);

static int kind_mrc(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    double lo = INFINITY, hi = 0; /* the x range, for the tics */
    static const char *const xs[] = {"bytes", "pages", NULL}, *const ys[] = {"miss_ratio", NULL};
    int mib = 0;
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        int xc = pick_col(c, o->xcol, xs, NULL), yc = pick_col(c, o->ycol, ys, NULL);
        if (need_col(f, c, xc, "memory size", o->xcol) || need_col(f, c, yc, "miss ratio", o->ycol))
            return -1;
        mib = is_bytes_col(c->header[xc]);
        struct series s = {0};
        stem(s.title, sizeof s.title, c->path);
        for (size_t r = 0; r < c->nrows; r++) {
            double x, y;
            if (cell_num(f, c, r, xc, &x) < 0 || cell_num(f, c, r, yc, &y) < 0 ||
                series_push(&s, mib ? x / 1048576 : x, y) < 0) {
                series_free(&s, 1);
                return -1;
            }
        }
        series_sort(&s);
        for (size_t k = 0; k < s.n; k++)
            if (s.x[k] > 0) {
                lo = fmin(lo, s.x[k]);
                hi = fmax(hi, s.x[k]);
            }
        int b = write_block(f, &s, 0);
        char t[160];
        clean_title(t, sizeof t, s.title);
        if (o->ninputs == 1) /* one curve: its file name says nothing the axes do not */
            add_clause(f, "'%s' index %d using 1:2 with steps lw 2 notitle", f->datname, b);
        else
            add_clause(f, "'%s' index %d using 1:2 with steps lw 2 title \"%s\"", f->datname, b, t);
        series_free(&s, 1);
    }
    fprintf(gp, "set xlabel \"%s\"\nset ylabel \"%s\"\nset yrange [0:*]\n",
            !mib ? "Memory size (pages)" : o->logx != 0 ? "Memory size" : "Memory size (MiB)",
            o->ycol ? o->ycol : "Miss ratio (LRU)");
    if (o->logx != 0) {
        fputs("set logscale x 2\nset format x \"%g\"\n", gp);
        if (mib)
            put_bytes_log2_tics(gp, 'x', lo, hi, 1048576);
    }
    return 0;
}

/* ---- kinds over sweep rows (tlb, multiprog): lines, panels and runs ---- */

/* How rows of a sweep CSV become a figure: x, y, which columns split rows into lines and
 * which into panels; the other varied keys that repeat a run make a point a median. */
struct grouping {
    int xc, panel_col; /* panel_col: a key column, the trace column, or -1 */
    int x_from_traces; /* multiprog: x = traces replayed together ("a.mmt+b.mmt") */
    int multi_trace;   /* the trace tells lines (or panels) apart */
    struct key_words xw;
    struct tlb_cols tc;
};

/* The words of one row's value in column col: "L1 dTLB 4-way", a trace's stem. */
static void cell_words(const struct csv *c, size_t row, size_t col, const struct grouping *g,
                       char *dst, size_t n)
{
    if ((int)col == csv_col(c, "trace")) {
        stem(dst, n, csv_get(c, row, col));
        return;
    }
    plot_value_words(c->header[col], csv_get(c, row, col), dst, n);
    /* the TLB of the x axis goes without saying: "4-way", not "L1 dTLB 4-way" */
    char comp[96];
    plot_component_words(c->header[g->xc], comp, sizeof comp);
    size_t cl = strlen(comp);
    if (cl && !strncmp(dst, comp, cl) && dst[cl] == ' ')
        memmove(dst, dst + cl + 1, strlen(dst + cl + 1) + 1);
}

/* Orders lines and panels by their raw values, part by part (parts split by \x1f): sizes
 * and numbers by value ("4K" < "2M", "8" < "16"), other text naturally. */
static int values_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        size_t la = strcspn(a, "\x1f"), lb = strcspn(b, "\x1f");
        char pa[128], pb[128];
        snprintf(pa, sizeof pa, "%.*s", (int)(la < 127 ? la : 127), a);
        snprintf(pb, sizeof pb, "%.*s", (int)(lb < 127 ? lb : 127), b);
        uint64_t va, vb;
        int c = parse_size(pa, &va) == 0 && parse_size(pb, &vb) == 0 ? (va > vb) - (va < vb)
                                                                      : strverscmp(pa, pb);
        if (c)
            return c;
        a += la + (a[la] != 0);
        b += lb + (b[lb] != 0);
    }
    return 0;
}

/* A line's legend: the other varied keys in words (not x, the panel, repeats), the trace when
 * several, the file when several. */
static void line_title(const struct csv *c, size_t row, const struct grouping *g,
                       const char *file_tag, char *dst, size_t n, char *raw, size_t rn)
{
    size_t nk = key_columns(c), len = 0, rlen = 0;
    dst[0] = raw[0] = 0;
    char w[160];
    for (size_t k = 0; k < nk && len + 1 < n; k++) {
        if ((int)k == g->xc || (int)k == g->panel_col || plot_key_is_repeat(c->header[k]))
            continue;
        cell_words(c, row, k, g, w, sizeof w);
        len += (size_t)snprintf(dst + len, n - len, "%s%s", len ? ", " : "", w);
        if (rlen + 1 < rn)
            rlen += (size_t)snprintf(raw + rlen, rn - rlen, "%s%s", rlen ? "\x1f" : "", csv_get(c, row, k));
    }
    int t = csv_col(c, "trace");
    if (g->multi_trace && t >= 0 && t != g->panel_col && len + 1 < n) {
        cell_words(c, row, (size_t)t, g, w, sizeof w);
        len += (size_t)snprintf(dst + len, n - len, "%s%s", len ? ", " : "", w);
        if (rlen + 1 < rn)
            rlen += (size_t)snprintf(raw + rlen, rn - rlen, "%s%s", rlen ? "\x1f" : "", w);
    }
    if (file_tag && len + 1 < n)
        len += (size_t)snprintf(dst + len, n - len, "%s%s", len ? ", " : "", file_tag);
    if (!len)
        snprintf(dst, n, "%s", file_tag ? file_tag : "all");
}

static int distinct_traces(const struct csv *c)
{
    int t = csv_col(c, "trace");
    if (t < 0 || !c->nrows)
        return 0;
    for (size_t r = 1; r < c->nrows; r++)
        if (strcmp(csv_get(c, r, (size_t)t), csv_get(c, 0, (size_t)t)))
            return 1;
    return 0;
}

static int distinct_values(const struct csv *c, size_t col)
{
    for (size_t r = 1; r < c->nrows; r++)
        if (strcmp(csv_get(c, r, col), csv_get(c, 0, col)))
            return 1;
    return 0;
}

/* The panels of a figure: --panels KEY|trace|none, or by default, when rows differ in two
 * things besides x (two keys, or a key and the trace), one panel per trace if the traces
 * differ, else per value of the last such key; the rest are lines. */
static int panel_column(struct fig *f, const struct plot_opts *o, const struct csv *c,
                        const struct grouping *g, int *pc)
{
    int t = csv_col(c, "trace");
    *pc = -1;
    if (o->panels && !strcmp(o->panels, "none"))
        return 0;
    if (o->panels) {
        *pc = csv_col(c, o->panels);
        if (*pc < 0 || (*pc >= (int)key_columns(c) && *pc != t))
            return fail(f, "%s: --panels '%s' is not a varied key or trace", c->path, o->panels);
        if (*pc == g->xc)
            return fail(f, "%s: --panels '%s' is the x axis", c->path, o->panels);
        return 0;
    }
    int dims = 0, last = -1;
    for (size_t k = 0; k < key_columns(c); k++)
        if ((int)k != g->xc && !plot_key_is_repeat(c->header[k]) && distinct_values(c, k)) {
            dims++;
            last = (int)k;
        }
    if (g->multi_trace)
        dims++;
    if (dims >= 2)
        *pc = g->multi_trace ? t : last;
    return 0;
}

/* A line of a figure over sweep rows, and the panel it is drawn in ("" for one panel). */
struct panel_series {
    struct series s;
    char panel[96];
    char order[160], porder[96]; /* raw values of the line's keys and the panel's, to sort */
};

static int panel_series_cmp(const void *a, const void *b)
{
    const struct panel_series *x = a, *y = b;
    int c = values_cmp(x->porder, y->porder);
    return c ? c : values_cmp(x->order, y->order);
}

static struct series *find_series(struct panel_series *ps, int *ns, const char *panel,
                                  const char *title, const char *porder, const char *order)
{
    for (int i = 0; i < *ns; i++)
        if (!strcmp(ps[i].s.title, title) && !strcmp(ps[i].panel, panel))
            return &ps[i].s;
    if (*ns == MAX_SERIES)
        return NULL;
    struct panel_series *n = &ps[(*ns)++];
    memset(n, 0, sizeof *n);
    snprintf(n->s.title, sizeof n->s.title, "%s", title);
    snprintf(n->panel, sizeof n->panel, "%s", panel);
    snprintf(n->porder, sizeof n->porder, "%s", porder);
    snprintf(n->order, sizeof n->order, "%s", order);
    return &n->s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Writes a sorted series as one data block; several rows at one x are runs of that point:
 * "x median min max" for yerrorlines. *runs: the most rows at one x (1: no runs). */
static int write_runs_block(struct fig *f, struct series *s, int *runs, double *ymax)
{
    *runs = 1;
    for (size_t i = 0, k = 1; i < s->n; i++, k++) {
        if (i && s->x[i] != s->x[i - 1])
            k = 1;
        *runs = (int)fmax(*runs, (double)k);
    }
    if (f->blocks)
        fputs("\n\n", f->dat);
    fprintf(f->dat, "# %s%s\n", s->title, *runs > 1 ? " (x median min max)" : "");
    for (size_t i = 0; i < s->n;) {
        size_t j = i;
        while (j < s->n && s->x[j] == s->x[i])
            j++;
        qsort(s->y + i, j - i, sizeof *s->y, cmp_double);
        size_t m = j - i;
        double med = m % 2 ? s->y[i + m / 2] : (s->y[i + m / 2 - 1] + s->y[i + m / 2]) / 2;
        if (*runs > 1)
            fprintf(f->dat, "%.10g %.10g %.10g %.10g\n", s->x[i], med, s->y[i], s->y[j - 1]);
        else
            fprintf(f->dat, "%.10g %.10g\n", s->x[i], med);
        if (isfinite(s->y[j - 1]))
            *ymax = fmax(*ymax, s->y[j - 1]);
        i = j;
    }
    return f->blocks++;
}

/* Picks the x and y columns of a tlb or multiprog figure and names the y axis. */
static int grouped_columns(struct fig *f, const struct plot_opts *o, const struct csv *c,
                           int is_tlb, struct grouping *g, char *yname, size_t ylen)
{
    struct tlb_cols *tc = &g->tc;
    *tc = (struct tlb_cols){-1, -1, -1, -1, -1, 1, -1, -1};
    g->x_from_traces = 0;
    if (is_tlb) {
        static const char *const xparts[] = {".entries", "entries", NULL};
        g->xc = pick_col(c, o->xcol, NULL, xparts);
        if (need_col(f, c, g->xc, "TLB entries (e.g. tlb.stlb.entries)", o->xcol))
            return -1;
        char prefix[128], name[160], comp[96];
        snprintf(prefix, sizeof prefix, "%s", c->header[g->xc]);
        char *dot = strrchr(prefix, '.');
        if (dot)
            *dot = 0;
        else
            prefix[0] = 0;
        tc->mpki = !o->metric || strcmp(o->metric, "hitrate");
        if (o->ycol) {
            tc->direct = csv_col(c, o->ycol);
            if (need_col(f, c, tc->direct, "y", o->ycol))
                return -1;
            plot_axis_label(o->ycol, yname, ylen);
            return 0;
        }
        snprintf(name, sizeof name, "%s.misses", prefix);
        tc->misses = csv_col(c, name);
        if (need_col(f, c, tc->misses, "TLB misses", name))
            return -1;
        snprintf(name, sizeof name, "%s.hits", prefix);
        tc->hits = csv_col(c, name);
        snprintf(name, sizeof name, "%s.accesses", prefix);
        tc->accesses = csv_col(c, name);
        if (tc->accesses < 0)
            tc->accesses = csv_col(c, "accesses");
        tc->instructions = csv_col(c, "instructions");
        if (tc->mpki && tc->instructions < 0)
            tc->mpki = 0; /* no instruction count: fall back to the hit rate */
        if (!tc->mpki && tc->hits < 0 && need_col(f, c, tc->accesses, "accesses", NULL))
            return -1;
        plot_component_words(c->header[g->xc], comp, sizeof comp);
        snprintf(yname, ylen, "%s%s%s", comp, comp[0] ? " " : "",
                 tc->mpki ? "misses per 1000 instructions" : "hit rate (%)");
        return 0;
    }
    static const char *const xn[] = {"processes", "nprocs", "procs", NULL};
    static const char *const yparts[] = {"util", NULL};
    g->xc = pick_col(c, o->xcol, xn, NULL);
    if (g->xc < 0 && !o->xcol && csv_col(c, "trace") >= 0) {
        g->xc = csv_col(c, "trace");
        g->x_from_traces = 1;
    }
    tc->direct = pick_col(c, o->ycol, NULL, yparts);
    if (tc->direct < 0 && !o->ycol) {
        tc->busy = csv_col(c, "busy_cycles");
        tc->idle = csv_col(c, "idle_cycles");
    }
    if (need_col(f, c, g->xc, "concurrent processes", o->xcol) ||
        (tc->busy < 0 || tc->idle < 0 ? need_col(f, c, tc->direct, "CPU utilisation", o->ycol) : 0))
        return -1;
    if (o->ycol)
        plot_axis_label(o->ycol, yname, ylen);
    else
        snprintf(yname, ylen, "CPU utilisation (%%)");
    return 0;
}

/* One row's x and y (x in the key's unit: memory sizes in MiB). */
static int grouped_point(struct fig *f, const struct plot_opts *o, const struct csv *c, size_t r,
                         const struct grouping *g, int is_tlb, double *x, double *y)
{
    if (g->x_from_traces) {
        *x = 1;
        for (const char *p = csv_get(c, r, (size_t)g->xc); *p; p++)
            *x += *p == '+';
    } else if (cell_num(f, c, r, g->xc, x) < 0) {
        return -1;
    } else {
        *x *= g->xw.scale;
    }
    if (tlb_y(f, c, r, &g->tc, y) < 0)
        return -1;
    if (!is_tlb && !o->ycol && g->tc.direct >= 0 && strstr(c->header[g->tc.direct], "util") && *y <= 1.0)
        *y *= 100; /* a fraction: shown in percent */
    return 0;
}

/* Tics at powers of two of a log2 axis whose values count `unit` bytes, labelled "4 KiB",
 * "1 MiB", "2 GiB": "%g" of MiB would print 0.00390625 and the labels of small sizes run
 * into each other. At most about 12 labels (every 2nd, 4th... power when wider). */
static void put_bytes_log2_tics(FILE *gp, char axis, double lo, double hi, double unit)
{
    if (!(lo > 0) || !(hi >= lo))
        return;
    static const char *const names[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int a = (int)floor(log2(lo)), b = (int)ceil(log2(hi));
    int step = (b - a) / 12 + 1;
    const char *sep = "";
    fprintf(gp, "set %ctics (", axis);
    for (int e = a; e <= b; e += step) {
        double bytes = ldexp(unit, e);
        int u = 0;
        while (u < 5 && bytes >= 1024) {
            bytes /= 1024;
            u++;
        }
        fprintf(gp, "%s\"%g %s\" %.17g", sep, bytes, names[u], ldexp(1.0, e));
        sep = ", ";
    }
    /* the range just outside the outer tics: gnuplot drops a tic that sits on the border */
    fprintf(gp, ")\nset %crange [%.17g:%.17g]\n", axis, ldexp(0.98, a), ldexp(1.02, b));
}

/* The x axis of a sweep figure: words and unit from the key, log2 where sizes double
 * (a size key spanning 4x or more, or --logx). */
static void grouped_x_axis(FILE *gp, const struct plot_opts *o, const struct grouping *g,
                           const char *xkey, double lo, double hi)
{
    char xl[160];
    int log2x = o->logx == 1 || (o->logx != 0 && g->xw.size && lo > 0 && hi >= 4 * lo);
    if (g->x_from_traces)
        snprintf(xl, sizeof xl, "Concurrent processes");
    else if (g->xw.bytes && log2x)
        snprintf(xl, sizeof xl, "%s", g->xw.words); /* the tics carry the unit */
    else
        plot_axis_label(xkey, xl, sizeof xl);
    clean_title(xl, sizeof xl, xl);
    fprintf(gp, "set xlabel \"%s\"\n", xl);
    if (!log2x)
        return;
    fputs("set logscale x 2\nset format x \"%g\"\nunset mxtics\n", gp);
    if (g->xw.bytes)
        put_bytes_log2_tics(gp, 'x', lo, hi, 1 / g->xw.scale);
    else /* a little room around the outer points */
        fprintf(gp, "set xrange [%.17g:%.17g]\n", lo / 1.15, hi * 1.15);
}

/* The lines of a tlb or multiprog figure as read from the rows, and what the axes need. */
struct grouped_lines {
    struct panel_series ps[MAX_SERIES];
    int ns;
    struct grouping g;
    char yname[256], xkey[128], panel_name[128];
    double xlo, xhi;
};

/* Reads every row of every input into its line (and panel). */
static int grouped_read(struct fig *f, const struct plot_opts *o, const struct csv *in, int is_tlb,
                        struct grouped_lines *gl)
{
    struct grouping *g = &gl->g;
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        if (grouped_columns(f, o, c, is_tlb, g, gl->yname, sizeof gl->yname) < 0)
            return -1;
        snprintf(gl->xkey, sizeof gl->xkey, "%s", c->header[g->xc]);
        plot_key_words(gl->xkey, &g->xw);
        g->multi_trace = !g->x_from_traces && distinct_traces(c);
        if (panel_column(f, o, c, g, &g->panel_col) < 0)
            return -1;
        if (g->panel_col >= 0)
            snprintf(gl->panel_name, sizeof gl->panel_name, "%s", c->header[g->panel_col]);
        char tag[96], title[160], panel[96] = "", order[160];
        stem(tag, sizeof tag, c->path);
        for (size_t r = 0; r < c->nrows; r++) {
            double x, y;
            if (grouped_point(f, o, c, r, g, is_tlb, &x, &y) < 0)
                return -1;
            line_title(c, r, g, o->ninputs > 1 ? tag : NULL, title, sizeof title, order, sizeof order);
            if (g->panel_col >= 0)
                cell_words(c, r, (size_t)g->panel_col, g, panel, sizeof panel);
            struct series *sp = find_series(gl->ps, &gl->ns, panel, title,
                                            g->panel_col >= 0 ? csv_get(c, r, (size_t)g->panel_col) : "", order);
            if (!sp)
                return fail(f, "%s: more than %d lines", c->path, MAX_SERIES);
            if (series_push(sp, x, y) < 0)
                return fail(f, "out of memory");
            if (x > 0) {
                gl->xlo = fmin(gl->xlo, x);
                gl->xhi = fmax(gl->xhi, x);
            }
        }
    }
    return 0;
}

/* Large counts (cycles) in thousands, millions or billions: "3.5x10^9" tic labels are wide
 * and hard to compare. Returns the divisor (1: as they are) and names it. */
static double y_divisor(const struct grouped_lines *gl, const char **name)
{
    double top = 0;
    for (int i = 0; i < gl->ns; i++)
        for (size_t k = 0; k < gl->ps[i].s.n; k++)
            if (isfinite(gl->ps[i].s.y[k]))
                top = fmax(top, gl->ps[i].s.y[k]);
    *name = top >= 1e10 ? "billions" : top >= 1e7 ? "millions" : top >= 1e4 ? "thousands" : "";
    return top >= 1e10 ? 1e9 : top >= 1e7 ? 1e6 : top >= 1e4 ? 1e3 : 1;
}

/* Writes the data blocks and plot clauses, panel by panel; a line keeps its line type in
 * every panel and only the first panel's lines name the key. The .dat keeps raw values, the
 * script divides by `div`. Sets the count of lines, the most runs of a point, the top y. */
static int grouped_write(struct fig *f, const char *path, struct grouped_lines *gl, double div,
                         int *nlines, int *max_runs, double *ymax)
{
    char panels[MAX_SERIES][96], lines[MAX_SERIES][160];
    int np = 0, nl = 0;
    qsort(gl->ps, (size_t)gl->ns, sizeof *gl->ps, panel_series_cmp);
    for (int i = 0; i < gl->ns; i++) {
        int p = 0, l = 0;
        while (p < np && strcmp(panels[p], gl->ps[i].panel))
            p++;
        if (p == np)
            snprintf(panels[np++], sizeof panels[0], "%.95s", gl->ps[i].panel);
        while (l < nl && strcmp(lines[l], gl->ps[i].s.title))
            l++;
        if (l == nl)
            snprintf(lines[nl++], sizeof lines[0], "%.159s", gl->ps[i].s.title);
    }
    if (np > MAX_PANELS)
        return fail(f, "%s: %d panels, at most %d (choose another with --panels KEY, or none)", path,
                    np, MAX_PANELS);
    char ycols[2][64]; /* the columns of a line, and of a line with error bars */
    if (div > 1) {
        snprintf(ycols[0], sizeof ycols[0], "1:($2/%g)", div);
        snprintf(ycols[1], sizeof ycols[1], "1:($2/%g):($3/%g):($4/%g)", div, div, div);
    } else {
        snprintf(ycols[0], sizeof ycols[0], "1:2");
        snprintf(ycols[1], sizeof ycols[1], "1:2:3:4");
    }
    *max_runs = 1;
    for (int p = 0; p < np; p++) {
        if (np > 1) {
            char pt[128];
            clean_title(pt, sizeof pt, panels[p]);
            panel_add(f, pt);
        }
        for (int i = 0; i < gl->ns; i++) {
            struct panel_series *s = &gl->ps[i];
            if (strcmp(s->panel, panels[p]))
                continue;
            int l = 0, runs;
            while (strcmp(lines[l], s->s.title))
                l++;
            series_sort(&s->s);
            int b = write_runs_block(f, &s->s, &runs, ymax);
            char t[160];
            clean_title(t, sizeof t, s->s.title);
            add_clause(f, "'%s' index %d using %s with %s lt %d title \"%s\"", f->datname, b,
                       ycols[runs > 1], runs > 1 ? "yerrorlines" : "linespoints", l + 1, p == 0 ? t : "");
            *max_runs = (int)fmax(*max_runs, runs);
        }
    }
    *nlines = nl;
    f->key_entries = nl;
    for (int l = 0; l < nl; l++)
        f->key_width = (int)fmax(f->key_width, (double)strlen(lines[l]));
    if (nl == 1 && !strcmp(lines[0], "all"))
        f->key_entries = 0;
    return 0;
}

/* The figure's title in words: "TLB misses against L1 dTLB entries, by workload", and what
 * a point and its bar are when points are medians of runs. */
static void grouped_title(struct fig *f, const struct plot_opts *o, const struct grouped_lines *gl,
                          int is_tlb, const char *ylabel, int max_runs)
{
    const struct grouping *g = &gl->g;
    char pw[96] = "";
    if (f->npanels > 1) {
        struct key_words kw;
        plot_key_words(gl->panel_name, &kw);
        snprintf(pw, sizeof pw, "%s", !strcmp(gl->panel_name, "trace") ? "workload" : kw.words);
    }
    char yt[300]; /* the y axis in words without its unit */
    snprintf(yt, sizeof yt, "%s", ylabel);
    char *paren = strstr(yt, " (");
    if (paren && yt[strlen(yt) - 1] == ')')
        *paren = 0;
    char xt[128]; /* mid-sentence: "memory size", but "L1 dTLB entries", "CPUs" */
    snprintf(xt, sizeof xt, "%s", g->x_from_traces ? "concurrent processes" : g->xw.words);
    if (isupper((unsigned char)xt[0]) && !isupper((unsigned char)xt[1]) && !isdigit((unsigned char)xt[1]))
        xt[0] = (char)tolower((unsigned char)xt[0]);
    snprintf(f->title, sizeof f->title, "%.120s against %.100s%s%.60s",
             is_tlb && !o->ycol ? (g->tc.mpki ? "TLB misses" : "TLB hit rate") : yt, xt,
             pw[0] ? ", by " : "", pw);
    clean_title(f->title, sizeof f->title, f->title);
    if (max_runs > 1) /* a second line (gnuplot's \n) */
        snprintf(f->title + strlen(f->title), sizeof f->title - strlen(f->title),
                 "\\n(points: median of %d runs; bars: lowest to highest)", max_runs);
}

/* Rows of sweep CSVs grouped into lines (and panels); y from a choice of columns. */
static int kind_grouped(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp,
                        int is_tlb)
{
    struct grouped_lines *gl = calloc(1, sizeof *gl);
    if (!gl)
        return fail(f, "out of memory");
    gl->xlo = INFINITY;
    int rc = -1, nl, max_runs;
    double ymax = 0;
    const char *unit;
    if (grouped_read(f, o, in, is_tlb, gl) < 0)
        goto out;
    grouped_x_axis(gp, o, &gl->g, gl->xkey, gl->xlo, gl->xhi);
    double div = y_divisor(gl, &unit);
    if (grouped_write(f, in[0].path, gl, div, &nl, &max_runs, &ymax) < 0)
        goto out;
    if (!f->key_entries)
        fputs("unset key\n", gp);
    else if (f->npanels <= 1)
        fputs("set key below height 1\n", gp); /* never over the curves */
    char yl[300];
    clean_title(yl, sizeof yl, gl->yname);
    if (div > 1) /* "Cycles (millions)" */
        snprintf(yl + strlen(yl), sizeof yl - strlen(yl), " (%s)", unit);
    fprintf(gp, "set ylabel \"%s\"\n", yl);
    snprintf(f->ylabel, sizeof f->ylabel, "%s", yl);
    if (gl->g.x_from_traces || (gl->xhi <= 32 && gl->xlo >= 1 && !strcmp(gl->xkey, "processes")))
        fprintf(gp, "set xtics 1\nunset mxtics\nset xrange [%g:%g]\n", gl->xlo - 0.2, gl->xhi + 0.2);
    /* panels of one workload each have their own y range (workloads differ in scale);
     * panels of a key share it, so that heights compare across them; a percentage keeps
     * its points at 100 off the border */
    if (!is_tlb && !o->ycol)
        fputs("set yrange [0:105]\nset ytics 0, 20, 100\n", gp);
    else if (f->npanels > 1 && ymax > 0 && strcmp(gl->panel_name, "trace"))
        fprintf(gp, "set yrange [0:%.10g]\n", ymax / div * 1.08);
    else
        fputs("set yrange [0:*]\n", gp);
    grouped_title(f, o, gl, is_tlb, yl, max_runs);
    rc = 0;
out:
    for (int i = 0; i < gl->ns; i++)
        series_free(&gl->ps[i].s, 1);
    free(gl);
    return rc;
}

/* Runtime (left axis) and major faults (right axis) against memory size, knee marked. */
static int kind_thrashing(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    static const char *const xs[] = {"bytes", "memory.size", "memory", "mem", NULL};
    static const char *const xparts[] = {"memory", "mem", NULL};
    static const char *const ys[] = {"runtime_s", "seconds", "time_s", "runtime", "cycles", NULL};
    static const char *const ms[] = {"major_faults", "faults.major", NULL};
    static const char *const mparts[] = {"major", NULL};
    int mib = 0, label_mib = 0, rc = -1;
    int logy = -1, logy2 = -1; /* decided on the first input: log when it has a value > 0 */
    char ylab[64] = "Runtime (s)";
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        int xc = pick_col(c, o->xcol, xs, xparts), yc = pick_col(c, o->ycol, ys, NULL);
        int mc = pick_col(c, NULL, ms, mparts);
        if (need_col(f, c, xc, "memory size", o->xcol) || need_col(f, c, yc, "runtime", o->ycol) ||
            need_col(f, c, mc, "major faults", NULL))
            return -1;
        mib = is_bytes_col(c->header[xc]);
        size_t xl = strlen(c->header[xc]);
        label_mib = mib || (xl > 4 && !strcmp(c->header[xc] + xl - 4, "_mib"));
        if (!strcmp(c->header[yc], "cycles"))
            snprintf(ylab, sizeof ylab, "Runtime (cycles)");
        struct series s[2] = {{{0}, 0, 0, 0, 0}, {{0}, 0, 0, 0, 0}};
        char tag[96];
        stem(tag, sizeof tag, c->path);
        snprintf(s[0].title, sizeof s[0].title, "runtime%s%s", o->ninputs > 1 ? " " : "",
                 o->ninputs > 1 ? tag : "");
        snprintf(s[1].title, sizeof s[1].title, "major faults%s%s", o->ninputs > 1 ? " " : "",
                 o->ninputs > 1 ? tag : "");
        for (size_t r = 0; r < c->nrows; r++) {
            double x, y, m;
            if (cell_num(f, c, r, xc, &x) < 0 || cell_num(f, c, r, yc, &y) < 0 ||
                cell_num(f, c, r, mc, &m) < 0)
                goto done;
            if (mib)
                x /= 1048576;
            if (series_push(&s[0], x, y) < 0 || series_push(&s[1], x, m) < 0) {
                fail(f, "out of memory");
                goto done;
            }
        }
        series_sort(&s[0]);
        series_sort(&s[1]);
        long k = mrc_knee(s[0].x, s[0].y, s[0].n);
        if (k >= 0) {
            fprintf(gp, "set arrow from %.10g, graph 0 to %.10g, graph 1 nohead dt 2 lw 1.5 lc rgb \"#808080\"\n",
                    s[0].x[k], s[0].x[k]);
            /* one label per input, stacked, named after the input when there are several
             * (a kernel run and the model's, say), so both knees read apart */
            fprintf(gp, "set label \"knee%s%s %.4g %s\" at %.10g, graph %.2f offset 0.5,0 font \",9\"\n",
                    o->ninputs > 1 ? " " : "", o->ninputs > 1 ? tag : "", s[0].x[k], label_mib ? "MiB" : "",
                    s[0].x[k], 0.92 - 0.07 * (i % 8));
        }
        char t0[160], t1[160];
        clean_title(t0, sizeof t0, s[0].title);
        clean_title(t1, sizeof t1, s[1].title);
        if (logy < 0) {
            logy = series_has_positive(&s[0]);
            logy2 = series_has_positive(&s[1]); /* no major fault at all: a linear axis at 0 */
        }
        int b0 = write_block(f, &s[0], logy), b1 = write_block(f, &s[1], logy2);
        add_clause(f, "'%s' index %d using 1:2 axes x1y1 with linespoints lw 2 pt 7 title \"%s\"",
                   f->datname, b0, t0);
        add_clause(f, "'%s' index %d using 1:2 axes x1y2 with linespoints lw 2 dt 3 pt 6 title \"%s\"",
                   f->datname, b1, t1);
        rc = 0;
    done:
        series_free(s, 2);
        if (rc < 0)
            return -1;
        rc = -1;
    }
    fprintf(gp, "set xlabel \"%s\"\nset ylabel \"%s\"\nset y2label \"Major faults\"\n"
                "%s\n%s\nset ytics nomirror\nset y2tics\nset key bottom left\n",
            label_mib ? "Memory size (MiB)" : "Memory size", ylab,
            logy ? "set logscale y" : "set yrange [0:*]", logy2 ? "set logscale y2" : "set y2range [0:*]");
    if (o->logx == 1)
        fputs("set logscale x 2\n", gp);
    return 0;
}

/* The x axis of a time column: the factor to its unit and the axis label. The replay
 * timeline counts time in cycles: seconds with --freq-ghz, else millions of cycles. */
static double time_scale(const struct plot_opts *o, const char *name, const char **label,
                         const char **rate_label)
{
    *label = "Time (s)";
    *rate_label = "Faults per second";
    if (!strcmp(name, "cycles")) {
        if (o->freq_ghz > 0)
            return 1 / (o->freq_ghz * 1e9);
        *label = "Time (million cycles)";
        *rate_label = "Faults per million cycles";
        return 1e-6;
    }
    if (strstr(name, "_ns") || !strcmp(name, "ns"))
        return 1e-9;
    if (strstr(name, "_us") || !strcmp(name, "us"))
        return 1e-6;
    if (strstr(name, "_ms") || !strcmp(name, "ms"))
        return 1e-3;
    return 1;
}

/* A column worth a line: its first cell is a number (not "pid:pages" lists and the like). */
static int numeric_col(const struct csv *c, size_t col)
{
    if (!c->nrows)
        return 0;
    const char *v = csv_get(c, 0, col);
    char *end;
    strtod(v, &end);
    return end != v && !*end;
}

/* Memory columns in MiB from pages, KiB or bytes (by name). */
static double mem_scale(const char *name)
{
    if (strstr(name, "pages"))
        return 4096.0 / 1048576;
    if (strstr(name, "_kb") || strstr(name, "kib"))
        return 1024.0 / 1048576;
    return 1.0 / 1048576;
}

static int time_col(const struct csv *c, const char *want)
{
    static const char *const ts[] = {"time_s", "time", "t", "time_ns", "time_us", "time_ms", "t_ns",
                                     "cycles", NULL};
    static const char *const tparts[] = {"time", NULL};
    return pick_col(c, want, ts, tparts);
}

/* The same column as a rate per second when it only ever grows (a counter). */
static void to_rate(struct series *s)
{
    for (size_t i = 1; i < s->n; i++)
        if (s->y[i] < s->y[i - 1])
            return;
    for (size_t i = s->n; i-- > 1;) {
        double dt = s->x[i] - s->x[i - 1];
        s->y[i] = dt > 0 ? (s->y[i] - s->y[i - 1]) / dt : NAN;
    }
    if (s->n)
        s->y[0] = NAN;
}

static int kind_timeline(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    const char *xlabel = "Time (s)", *ratelabel = "Faults per second";
    double memmax = 0, memmin = INFINITY;
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        int tc = time_col(c, o->xcol);
        if (need_col(f, c, tc, "time", o->xcol))
            return -1;
        if (c->nrows < 2) /* a rate needs two samples; gnuplot's own error would not say why */
            return fail(f, "%s: %zu sample, a timeline needs two or more (replay with a smaller "
                           "-s stats.sample_interval)", c->path, c->nrows);
        double ts = time_scale(o, c->header[tc], &xlabel, &ratelabel);
        int lines = 0;
        char tag[96];
        stem(tag, sizeof tag, c->path);
        for (size_t col = 0; col < c->ncols; col++) {
            const char *name = c->header[col];
            /* fault counters (minor_faults, faults.major) and memory amounts in a unit
             * (rss_pages, free_bytes, swap_used_pages; not kswapd_cycles) */
            int fault = strstr(name, "faults") != NULL;
            int mem = !fault && (strstr(name, "rss") || strstr(name, "free") || strstr(name, "swap")) &&
                      (strstr(name, "pages") || strstr(name, "bytes") || strstr(name, "_kb") ||
                       strstr(name, "kib"));
            if (o->ycol && strcmp(name, o->ycol))
                continue;
            if ((int)col == tc || (!fault && !mem && !o->ycol) || (!o->ycol && !numeric_col(c, col)))
                continue;
            struct series s = {0};
            struct key_words kw;
            plot_key_words(name, &kw);
            snprintf(s.title, sizeof s.title, "%.90s%s%s%.40s", kw.words, fault ? " (right axis)" : "",
                     o->ninputs > 1 ? ", " : "", o->ninputs > 1 ? tag : "");
            double ms = mem ? mem_scale(name) : 1;
            for (size_t r = 0; r < c->nrows; r++) {
                double x, y;
                if (cell_num(f, c, r, tc, &x) < 0 || cell_num(f, c, r, (int)col, &y) < 0 ||
                    series_push(&s, x * ts, y * ms) < 0) {
                    series_free(&s, 1);
                    return -1;
                }
            }
            if (fault)
                to_rate(&s);
            double top = 0;
            for (size_t r = 0; mem && r < s.n; r++)
                top = s.y[r] > top ? s.y[r] : top;
            if (mem && top > 0) {
                memmax = fmax(memmax, top);
                memmin = fmin(memmin, top);
            }
            char t[160];
            clean_title(t, sizeof t, s.title);
            int b = write_block(f, &s, 0);
            add_clause(f, "'%s' index %d using 1:2 axes x1y%d with lines lw 2%s title \"%s\"",
                       f->datname, b, fault ? 2 : 1, fault ? " dt 2" : "", t);
            series_free(&s, 1);
            lines++;
        }
        if (!lines)
            return fail(f, "%s: no rss, free, swap or fault column (name one with --y)", c->path);
    }
    fprintf(gp, "set xlabel \"%s\"\nset ylabel \"Memory (MiB)\"\nset y2label \"%s\"\n"
                "set ytics nomirror\nset y2tics\nset y2range [0:*]\nset key below height 1\n",
            xlabel, ratelabel);
    /* lines of very different heights (RSS against free memory): a log axis shows both */
    fputs(memmax > 100 * memmin ? "set logscale y\n" : "set yrange [0:*]\n", gp);
    return 0;
}

/* The order of a buddyinfo column: order3, order_3, buddy.3, buddyinfo.normal.3 -> 3. */
static int order_of(const char *name)
{
    if (!strstr(name, "order") && !strstr(name, "buddy"))
        return -1;
    size_t n = strlen(name);
    if (!n || !isdigit((unsigned char)name[n - 1]))
        return -1;
    while (n > 0 && isdigit((unsigned char)name[n - 1]))
        n--;
    return atoi(name + n);
}

/* One order's free blocks over time as heat-map cells: each sample's cell spans from midway
 * after the previous sample to midway before the next (the ends extend by half a gap), one
 * order high; an empty order is missing (left blank). Row: x y xlo xhi ylo yhi blocks. */
static int write_order_cells(struct fig *f, const struct series *s, int ord)
{
    if (f->blocks)
        fputs("\n\n", f->dat);
    fprintf(f->dat, "# %s (x order xlo xhi ylo yhi free_blocks)\n", s->title);
    for (size_t i = 0; i < s->n; i++) {
        double prev = i ? s->x[i - 1] : s->n > 1 ? 2 * s->x[0] - s->x[1] : s->x[0] - 0.5;
        double next = i + 1 < s->n ? s->x[i + 1] : s->n > 1 ? 2 * s->x[i] - s->x[i - 1] : s->x[0] + 0.5;
        double lo = (prev + s->x[i]) / 2, hi = (s->x[i] + next) / 2;
        if (s->y[i] > 0)
            fprintf(f->dat, "%.10g %d %.10g %.10g %g %g %.10g\n", s->x[i], ord, lo, hi, ord - 0.5,
                    ord + 0.5, s->y[i]);
        else
            fprintf(f->dat, "%.10g %d %.10g %.10g %g %g ?\n", s->x[i], ord, lo, hi, ord - 0.5, ord + 0.5);
    }
    return f->blocks++;
}

/* Free blocks of each order over time as a heat map: orders (block sizes) up, time across,
 * the count as a colour on a log scale. A palette dark for many blocks and light for few
 * (viridis, reversed): its lightness alone orders the counts, so it reads in greyscale;
 * no free block is left white. One panel per input. */
static int kind_buddyinfo(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    const char *xlabel = "Time (s)", *ratelabel = "";
    int maxord = 0;
    double most = 1; /* the colour range, shared by the panels */
    f->panel_cols = 1; /* panels over each other: their time axes line up */
    f->left_chars = 17;
    f->right_chars = 14;
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        int tc = time_col(c, o->xcol), lines = 0;
        if (need_col(f, c, tc, "time", o->xcol))
            return -1;
        double ts = time_scale(o, c->header[tc], &xlabel, &ratelabel);
        if (o->ninputs > 1) {
            char t[96];
            stem(t, sizeof t, c->path);
            clean_title(t, sizeof t, t);
            panel_add(f, t);
        }
        for (size_t col = 0; col < c->ncols; col++) {
            int ord = order_of(c->header[col]);
            if (ord < 0 || (int)col == tc)
                continue;
            struct series s = {0};
            snprintf(s.title, sizeof s.title, "order %d (%llu KiB)", ord,
                     (unsigned long long)4 << (ord < 20 ? ord : 20));
            for (size_t r = 0; r < c->nrows; r++) {
                double x, y;
                if (cell_num(f, c, r, tc, &x) < 0 || cell_num(f, c, r, (int)col, &y) < 0 ||
                    series_push(&s, x * ts, y) < 0) {
                    series_free(&s, 1);
                    return -1;
                }
            }
            series_sort(&s);
            for (size_t k = 0; k < s.n; k++)
                most = fmax(most, s.y[k]);
            int b = write_order_cells(f, &s, ord);
            add_clause(f, "'%s' index %d using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder "
                          "lc palette notitle", f->datname, b);
            series_free(&s, 1);
            maxord = ord > maxord ? ord : maxord;
            lines++;
        }
        if (!lines)
            return fail(f, "%s: no free-block columns (order0..order10 or buddyinfo.N)", c->path);
    }
    (void)ratelabel;
    fprintf(gp, "set xlabel \"%s\"\nset ylabel \"Free block size (order)\"\n"
                "set yrange [-0.5:%g]\nset ytics (", xlabel, maxord + 0.5);
    for (int ord = 0; ord <= maxord; ord++) {
        unsigned long long kib = 4ULL << (ord < 20 ? ord : 20);
        fprintf(gp, "%s\"%llu %s (%d)\" %d", ord ? ", " : "", kib >= 1024 ? kib / 1024 : kib,
                kib >= 1024 ? "MiB" : "KiB", ord, ord);
    }
    fprintf(gp, ")\nset cbrange [1:%g]\n", most);
    fputs("set grid noxtics noytics\nset logscale cb\n"
          "set cblabel \"Free blocks\"\nset format cb \"%g\"\n"
          "set palette defined (0 \"#fde725\", 1 \"#5dc963\", 2 \"#21908d\", 3 \"#3b528b\", 4 \"#440154\")\n"
          "set offsets 0, 0, 0, 0\nset autoscale xfix\nset border 15\nunset key\n", gp);
    snprintf(f->ylabel, sizeof f->ylabel, "Free block size (order)");
    return 0;
}

static int kind_walk(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    static const char *const xs[] = {"cycles", "latency", "latency_cycles", "walk_cycles", NULL};
    static const char *const ys[] = {"count", "walks", "frequency", NULL};
    double gap = INFINITY, lo = INFINITY, hi = -INFINITY; /* for the bars' width */
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        int xc = pick_col(c, o->xcol, xs, NULL), yc = pick_col(c, o->ycol, ys, NULL);
        if (need_col(f, c, xc, "walk latency (cycles)", o->xcol) ||
            need_col(f, c, yc, "walk count", o->ycol))
            return -1;
        struct series s = {0};
        stem(s.title, sizeof s.title, c->path);
        for (size_t r = 0; r < c->nrows; r++) {
            double x, y;
            if (cell_num(f, c, r, xc, &x) < 0 || cell_num(f, c, r, yc, &y) < 0 ||
                series_push(&s, x, y) < 0) {
                series_free(&s, 1);
                return -1;
            }
        }
        series_sort(&s);
        for (size_t k = 0; k < s.n; k++) {
            if (k && s.x[k] > s.x[k - 1])
                gap = fmin(gap, s.x[k] - s.x[k - 1]);
            lo = fmin(lo, s.x[k]);
            hi = fmax(hi, s.x[k]);
        }
        char t[160];
        clean_title(t, sizeof t, s.title);
        int b = write_block(f, &s, 1);
        if (o->ninputs == 1) /* one histogram: its file name says nothing the axes do not */
            add_clause(f, "'%s' index %d using 1:2 with boxes fs solid 0.7 notitle", f->datname, b);
        else
            add_clause(f, "'%s' index %d using 1:2 with steps lw 2 title \"%s\"", f->datname, b, t);
        series_free(&s, 1);
    }
    /* bars as wide as the closest two latencies allow (a relative width spreads a bar over
     * the gap to its neighbour, so sparse latencies looked like wide ranges), but visible */
    double w = isfinite(gap) ? 0.8 * gap : 1;
    if (hi > lo)
        w = fmax(w, (hi - lo) / 300);
    fprintf(gp, "set xlabel \"Page-walk latency (cycles)\"\nset ylabel \"Page walks\"\nset logscale y\n"
                "set yrange [0.8:*]\nset boxwidth %.6g absolute\n", w);
    return 0;
}

/* ---- terminal, script, gnuplot ---- */

static const char *terminal_for(const char *out, double *w, double *h, int have_size)
{
    const char *ext = strrchr(out, '.');
    if (!ext)
        return NULL;
    if (!strcmp(ext, ".png") || !strcmp(ext, ".svg")) {
        if (!have_size) {
            *w = 800;
            *h = 500;
        }
        return !strcmp(ext, ".png") ? "pngcairo" : "svg";
    }
    if (!strcmp(ext, ".pdf")) {
        if (!have_size) { /* one column of a two-column paper */
            *w = 3.5;
            *h = 2.4;
        }
        return "pdfcairo";
    }
    return NULL;
}

/* Okabe & Ito's colour-blind safe colours (yellow left out: it vanishes on white), each line
 * type with its own dash and point type as well, so that lines still differ in greyscale and
 * on a black-and-white printer. Types 8-14 repeat the colours with other dashes and open
 * points. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000"};
static const char *const dashes[] = {"1", "(8,4)", "(2,3)", "(8,3,2,3)", "(14,4)", "(4,2,4,6)",
                                     "(8,3,2,3,2,3)"};
static const int points[] = {7, 5, 9, 13, 11, 15, 4};

static void put_line_types(FILE *gp)
{
    fputs("# Okabe-Ito colours (colour-blind safe), distinct dash and point types (greyscale)\n", gp);
    size_t n = sizeof palette / sizeof palette[0];
    for (size_t i = 0; i < 2 * n; i++) {
        size_t c = i % n, d = i < n ? i : (i + 3) % n;
        int pt = i < n ? points[i] : points[(i + 3) % n] - 1; /* the open shape */
        fprintf(gp, "set linetype %zu lc rgb \"%s\" lw 2 dt %s pt %d\n", i + 1, palette[c],
                dashes[d], pt);
    }
    fprintf(gp, "set linetype cycle %zu\n", 2 * n);
}

static void script_head(FILE *gp, const struct plot_opts *o, const char *outbase)
{
    fprintf(gp, "# mmsim plot %s: restyle freely, then rerun with `gnuplot %s.gp` in this folder.\n",
            o->kind, outbase);
    put_line_types(gp);
    fputs("set datafile missing \"?\"\nset grid lc rgb \"#dddddd\" lw 1 dt 1\nset key top right\n"
          "set border 3\nset xtics nomirror\nset mxtics\n", gp);
}

/* The terminal and output, after the kind's settings: a figure of several panels is wider
 * (and taller) by default. */
static void script_terminal(FILE *gp, const struct plot_opts *o, const struct fig *f,
                            const char *term, const char *outbase, int npanels, int *cols, int *rows)
{
    double w = o->w, h = o->h;
    *cols = npanels <= 3 ? npanels : npanels <= 6 ? 3 : 4;
    if (f->panel_cols > 0 && f->panel_cols < *cols)
        *cols = f->panel_cols;
    *rows = (npanels + *cols - 1) / *cols;
    if (npanels > 1 && !o->have_size) {
        if (!strcmp(term, "pdfcairo")) {
            w = 7; /* both columns of a two-column paper */
            h = 2.2 * *rows + 0.3;
        } else {
            w = fmax(800, 420 * *cols);
            h = 400 * *rows + 60;
        }
    }
    /* points in proportion to the font: pdfcairo draws them larger */
    fprintf(gp, "set pointsize %g\n", !strcmp(term, "pdfcairo") ? 0.6 : 1.2);
    if (!strcmp(term, "pdfcairo"))
        fprintf(gp, "set terminal pdfcairo size %gin,%gin font \"Sans,7\" linewidth 1\n", w, h);
    else if (!strcmp(term, "svg"))
        fprintf(gp, "set terminal svg size %d,%d font \"Sans,13\" dynamic\n", (int)w, (int)h);
    else
        fprintf(gp, "set terminal pngcairo size %d,%d font \"Sans,12\"\n", (int)w, (int)h);
    fprintf(gp, "set output \"%s\"\n", outbase);
}

/* The plot command, or one a panel in a multiplot with the figure's title above them. */
static void script_plot(FILE *gp, const struct plot_opts *o, struct fig *f, const char *term,
                        const char *outbase)
{
    char title[300] = "";
    if (o->title)
        clean_title(title, sizeof title, o->title);
    else /* made safe by the kind */
        snprintf(title, sizeof title, "%s", f->title);
    int cols, rows;
    script_terminal(gp, o, f, term, outbase, f->npanels > 1 ? f->npanels : 1, &cols, &rows);
    if (f->npanels <= 1) {
        if (title[0])
            fprintf(gp, "set title \"%s\"\n", title);
        fprintf(gp, "plot %s\n", f->clauses);
        return;
    }
    /* Margins in screen fractions from the font's size: room left of the first column for
     * the y label and tic labels, between columns for tic labels, below for the x label and
     * one key for all panels (the first panel's lines name them all), above for titles. */
    int pdf = !strcmp(term, "pdfcairo");
    double W = pdf ? o->have_size ? o->w : 7 : o->have_size ? o->w : fmax(800, 420 * cols);
    double H = pdf ? o->have_size ? o->h : 2.2 * rows + 0.3 : o->have_size ? o->h : 400 * rows + 60;
    double ch = pdf ? 7.0 / 72 * 1.1 : 12 * 1.45, cw = ch * 0.55; /* line height, char width */
    int kcols = (int)fmax(1, floor(W * 0.9 / (cw * (f->key_width + 8))));
    kcols = kcols < f->key_entries ? kcols : f->key_entries > 0 ? f->key_entries : 1;
    int krows = (f->key_entries + kcols - 1) / kcols;
    double left = (f->left_chars > 0 ? f->left_chars : 9.5) * cw / W;
    double right = 1 - (f->right_chars > 0 ? f->right_chars : 4) * cw / W;
    double gap = (f->left_chars > 0 ? f->left_chars - 2.5 : 7) * cw / W;
    double bottom = (3.8 + 1.1 * krows) * ch / H, top = 1 - 4.6 * ch / H, vgap = 6.2 * ch / H;
    /* a vertical key of at most krows rows spreads over the width of the figure */
    fprintf(gp, "set key at screen 0.5, screen 0.005 center bottom vertical maxrows %d\n"
                "set multiplot layout %d,%d title \"%s\" margins %.4f,%.4f,%.4f,%.4f spacing %.4f,%.4f\n",
            krows, rows, cols, title, left, right, bottom, top, gap, vgap);
    for (int p = 0; p < f->npanels; p++) {
        size_t end = p + 1 < f->npanels ? f->panel_start[p + 1] : f->clen;
        fprintf(gp, "set title \"(%c) %s\"\nset ylabel \"%s\"\n", 'a' + p, f->panel_title[p],
                p % cols ? "" : f->ylabel);
        fprintf(gp, "plot %.*s\n", (int)(end - f->panel_start[p]), f->clauses + f->panel_start[p]);
    }
    fputs("unset multiplot\n", gp);
}

int plot_run_gnuplot(const char *dir, const char *script, int timeout_s, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    double end = now_seconds() + timeout_s;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            snprintf(err, errlen, "waitpid: %s", strerror(errno));
            return -1;
        }
        if (now_seconds() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(err, errlen, "gnuplot %s/%s: killed after %d s", dir, script, timeout_s);
            return -1;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(err, errlen, "gnuplot not found (install gnuplot-nox)");
    else
        snprintf(err, errlen, "gnuplot %s/%s failed (status %d)", dir, script,
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return -1;
}

static void plot_usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim plot KIND INPUT.csv... -o OUT.(png|svg|pdf) [--size W,H] [--title T]\n"
            "                  [--x COL] [--y COL] [--metric mpki|hitrate] [--logx|--linx]\n"
            "                  [--panels KEY|trace|none] [--freq-ghz F] [--timeout S]\n"
            "kinds: mrc        miss ratio against memory size (mrc CSVs; one line per input)\n"
            "       tlb        MPKI or hit rate against TLB entries (sweep CSV)\n"
            "       thrashing  runtime and major faults against memory size, knee marked (several\n"
            "                  inputs, e.g. a kernel run and the model's: one pair of lines and\n"
            "                  one knee each)\n"
            "       multiprog  CPU utilisation against concurrent processes (sweep CSV; traces\n"
            "                  given as a.mmt+b.mmt run together; busy/idle cycles)\n"
            "       timeline   RSS, free memory, swap and fault rate over time (replay timeline)\n"
            "       buddyinfo  free blocks per order over time (replay timeline)\n"
            "       walk       page-walk latency distribution (cycles,count CSV)\n"
            "The timeline's time is in cycles: --freq-ghz turns it into seconds.\n"
            "Writes OUT, OUT.gp (the script) and OUT.dat (its data). --size is pixels for png and\n"
            "svg (default 800,500) and inches for pdf (default 3.5,2.4: one paper column).\n");
}

static int parse_plot_cli(int argc, char **argv, struct plot_opts *o, int *have_size)
{
    static const struct option longs[] = {
        {"output", required_argument, 0, 'o'}, {"size", required_argument, 0, 's'},
        {"title", required_argument, 0, 't'}, {"x", required_argument, 0, 'x'},
        {"y", required_argument, 0, 'y'}, {"metric", required_argument, 0, 'm'},
        {"logx", no_argument, 0, 'L'}, {"linx", no_argument, 0, 'l'},
        {"timeout", required_argument, 0, 'T'}, {"freq-ghz", required_argument, 0, 'F'},
        {"panels", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->timeout_s = 60;
    o->logx = -1;
    *have_size = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 's':
            if (sscanf(optarg, "%lf,%lf", &o->w, &o->h) != 2 || !(o->w > 0) || !(o->h > 0) ||
                o->w > 20000 || o->h > 20000) {
                fprintf(stderr, "mmsim plot: --size wants W,H (e.g. 800,500 or 3.5,2.4)\n");
                return -1;
            }
            *have_size = 1;
            break;
        case 't': o->title = optarg; break;
        case 'x': o->xcol = optarg; break;
        case 'y': o->ycol = optarg; break;
        case 'm':
            if (strcmp(optarg, "mpki") && strcmp(optarg, "hitrate")) {
                fprintf(stderr, "mmsim plot: --metric is mpki or hitrate\n");
                return -1;
            }
            o->metric = optarg;
            break;
        case 'L': o->logx = 1; break;
        case 'P': o->panels = optarg; break;
        case 'l': o->logx = 0; break;
        case 'F':
            if (parse_double(optarg, &o->freq_ghz) < 0 || !(o->freq_ghz > 0)) {
                fprintf(stderr, "mmsim plot: --freq-ghz wants a positive number\n");
                return -1;
            }
            break;
        case 'T': o->timeout_s = atoi(optarg) > 0 ? atoi(optarg) : 60; break;
        case 'h': plot_usage(stdout); return 1;
        default: plot_usage(stderr); return -1;
        }
    }
    if (optind + 2 > argc || !o->out) {
        plot_usage(stderr);
        return -1;
    }
    o->kind = argv[optind];
    o->inputs = argv + optind + 1;
    o->ninputs = argc - optind - 1;
    return 0;
}

typedef int (*kind_fn)(struct fig *, const struct plot_opts *, const struct csv *, FILE *);

static int kind_tlb(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    return kind_grouped(f, o, in, gp, 1);
}

static int kind_multiprog(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    return kind_grouped(f, o, in, gp, 0);
}

static kind_fn find_kind(const char *kind)
{
    static const struct { const char *name; kind_fn fn; } kinds[] = {
        {"mrc", kind_mrc}, {"tlb", kind_tlb}, {"thrashing", kind_thrashing},
        {"multiprog", kind_multiprog}, {"timeline", kind_timeline},
        {"buddyinfo", kind_buddyinfo}, {"walk", kind_walk}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i].name))
            return kinds[i].fn;
    return NULL;
}

/* Writes OUT.dat and OUT.gp, then runs gnuplot in OUT's folder. */
static int make_figure(const struct plot_opts *o, const char *term, kind_fn fn,
                       const struct csv *in, char *err, size_t errlen)
{
    size_t n = strlen(o->out);
    char *gpath = malloc(n + 8), *dpath = malloc(n + 8), *dir = strdup(o->out);
    int rc = -1;
    FILE *gp = NULL;
    struct fig f = {0};
    f.err = err;
    f.errlen = errlen;
    if (!gpath || !dpath || !dir) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    sprintf(gpath, "%s.gp", o->out);
    sprintf(dpath, "%s.dat", o->out);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    const char *outbase = base_name(o->out);
    f.datname = base_name(dpath);
    f.dat = fopen(dpath, "w");
    gp = fopen(gpath, "w");
    if (!f.dat || !gp) {
        snprintf(err, errlen, "%s: %s", !f.dat ? dpath : gpath, strerror(errno));
        goto out;
    }
    script_head(gp, o, outbase);
    if (fn(&f, o, in, gp) < 0)
        goto out;
    if (!f.clen) {
        snprintf(err, errlen, "%s: no data to plot", o->inputs[0]);
        goto out;
    }
    script_plot(gp, o, &f, term, outbase);
    int bad = fclose(gp) != 0;
    gp = NULL;
    bad |= fclose(f.dat) != 0;
    f.dat = NULL;
    if (bad) {
        snprintf(err, errlen, "%s: write error", gpath);
        goto out;
    }
    rc = plot_run_gnuplot(slash ? dir : ".", base_name(gpath), o->timeout_s, err, errlen);
out:
    if (gp)
        fclose(gp);
    if (f.dat)
        fclose(f.dat);
    free(gpath);
    free(dpath);
    free(dir);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    struct plot_opts o;
    int have_size;
    int prc = parse_plot_cli(argc, argv, &o, &have_size);
    if (prc)
        return prc > 0 ? 0 : 2;
    kind_fn fn = find_kind(o.kind);
    if (!fn) {
        fprintf(stderr, "mmsim plot: unknown kind '%s'\n", o.kind);
        plot_usage(stderr);
        return 2;
    }
    o.have_size = have_size;
    const char *term = terminal_for(o.out, &o.w, &o.h, have_size);
    if (!term) {
        fprintf(stderr, "mmsim plot: %s: the output must end in .png, .svg or .pdf\n", o.out);
        return 2;
    }
    char err[1024];
    struct csv *in = calloc((size_t)o.ninputs, sizeof *in);
    int rc = 1, nread = 0;
    if (!in) {
        fprintf(stderr, "mmsim plot: out of memory\n");
        return 1;
    }
    for (; nread < o.ninputs; nread++)
        if (csv_read(o.inputs[nread], &in[nread], err, sizeof err) < 0) {
            fprintf(stderr, "mmsim plot %s: %s\n", o.kind, err);
            goto out;
        } else if (!in[nread].nrows) { /* a cut or unfinished file: gnuplot's error would not name it */
            fprintf(stderr, "mmsim plot %s: %s: a header line and no data rows\n", o.kind, o.inputs[nread]);
            nread++;
            goto out;
        }
    if (make_figure(&o, term, fn, in, err, sizeof err) < 0) {
        fprintf(stderr, "mmsim plot %s: %s\n", o.kind, err);
        goto out;
    }
    fprintf(stderr, "mmsim plot: wrote %s (script %s.gp, data %s.dat)\n", o.out, o.out, o.out);
    rc = 0;
out:
    for (int i = 0; i < nread; i++)
        csv_free(&in[i]);
    free(in);
    return rc;
}
