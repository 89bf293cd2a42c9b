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
#include "common/util.h"
#include "verbs.h"

#define MAX_SERIES 64
#define CLAUSES_MAX 16384

struct plot_opts {
    const char *kind, *out, *title, *xcol, *ycol, *metric;
    char **inputs;
    int ninputs;
    double w, h; /* pixels (png, svg) or inches (pdf) */
    double freq_ghz; /* converts a `cycles` time column to seconds; 0: shown in Mcycles */
    int timeout_s;
    int logx; /* -1: kind's default, 0 off, 1 on */
};

/* The figure being written: data blocks in OUT.dat, plot clauses for OUT.gp. */
struct fig {
    FILE *dat;
    const char *datname; /* base name, the script runs in the output's folder */
    int blocks;
    char clauses[CLAUSES_MAX];
    size_t clen;
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
    if (f->clen)
        f->clen += (size_t)snprintf(f->clauses + f->clen, CLAUSES_MAX - f->clen, ", \\\n     ");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->clauses + f->clen, CLAUSES_MAX - f->clen, fmt, ap);
    va_end(ap);
    if (n > 0)
        f->clen = f->clen + (size_t)n < CLAUSES_MAX ? f->clen + (size_t)n : CLAUSES_MAX - 1;
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

static void group_title(const struct csv *c, size_t row, int xcol, int multi_trace,
                        const char *file_tag, char *dst, size_t n)
{
    size_t nk = key_columns(c), len = 0;
    dst[0] = 0;
    for (size_t k = 0; k < nk && len + 1 < n; k++) {
        if ((int)k == xcol)
            continue;
        len += (size_t)snprintf(dst + len, n - len, "%s%s=%s", len ? ", " : "", c->header[k],
                                csv_get(c, row, k));
    }
    int t = csv_col(c, "trace");
    if (multi_trace && t >= 0 && len + 1 < n) {
        char s[96];
        stem(s, sizeof s, csv_get(c, row, (size_t)t));
        len += (size_t)snprintf(dst + len, n - len, "%s%s", len ? ", " : "", s);
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

static struct series *find_series(struct series *s, int *ns, const char *title)
{
    for (int i = 0; i < *ns; i++)
        if (!strcmp(s[i].title, title))
            return &s[i];
    if (*ns == MAX_SERIES)
        return NULL;
    struct series *n = &s[(*ns)++];
    memset(n, 0, sizeof *n);
    snprintf(n->title, sizeof n->title, "%s", title);
    return n;
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

/* Tics at powers of two of a log2 axis in MiB, labelled "4 KiB", "1 MiB", "2 GiB": "%g" of
 * MiB would print 0.00390625 and the labels of small sizes run into each other. At most
 * about 12 labels (every 2nd, 4th... power when the range is wider). */
static void put_mib_log2_tics(FILE *gp, double lo, double hi)
{
    if (!(lo > 0) || !(hi >= lo))
        return;
    int a = (int)floor(log2(lo)), b = (int)ceil(log2(hi));
    int step = (b - a) / 12 + 1;
    const char *sep = "";
    fputs("set xtics (", gp);
    for (int e = a; e <= b; e += step) {
        double mib = ldexp(1.0, e);
        const char *unit = mib < 1 ? "KiB" : mib < 1024 ? "MiB" : "GiB";
        double v = mib < 1 ? mib * 1024 : mib < 1024 ? mib : mib / 1024;
        fprintf(gp, "%s\"%g %s\" %.17g", sep, v, unit, mib);
        sep = ", ";
    }
    /* the range just outside the outer tics: gnuplot drops a tic that sits on the border */
    fprintf(gp, ")\nset xrange [%.17g:%.17g]\n", ldexp(0.98, a), ldexp(1.02, b));
}

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
        add_clause(f, "'%s' index %d using 1:2 with steps lw 2 title \"%s\"", f->datname, b, t);
        series_free(&s, 1);
    }
    fprintf(gp, "set xlabel \"%s\"\nset ylabel \"%s\"\nset yrange [0:*]\n",
            !mib ? "Memory size (pages)" : o->logx != 0 ? "Memory size" : "Memory size (MiB)",
            o->ycol ? o->ycol : "Miss ratio (LRU)");
    if (o->logx != 0) {
        fputs("set logscale x 2\nset format x \"%g\"\n", gp);
        if (mib)
            put_mib_log2_tics(gp, lo, hi);
    }
    return 0;
}

/* Rows of sweep CSVs grouped into lines; y from a callback-free choice of columns. */
static int kind_grouped(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp,
                        int is_tlb)
{
    struct series s[MAX_SERIES];
    int ns = 0, rc = -1;
    char xname[128] = "", yname[256] = "";
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        int xc;
        struct tlb_cols tc = {-1, -1, -1, -1, -1, 1, -1, -1};
        int x_from_traces = 0; /* multiprog: x = traces replayed together ("a.mmt+b.mmt") */
        if (is_tlb) {
            static const char *const xparts[] = {".entries", "entries", NULL};
            xc = pick_col(c, o->xcol, NULL, xparts);
            if (need_col(f, c, xc, "TLB entries (e.g. tlb.stlb.entries)", o->xcol))
                goto out;
            char prefix[128], name[160];
            snprintf(prefix, sizeof prefix, "%s", c->header[xc]);
            char *dot = strrchr(prefix, '.');
            if (dot)
                *dot = 0;
            else
                prefix[0] = 0;
            tc.mpki = !o->metric || strcmp(o->metric, "hitrate");
            if (o->ycol) {
                tc.direct = csv_col(c, o->ycol);
                if (need_col(f, c, tc.direct, "y", o->ycol))
                    goto out;
                snprintf(yname, sizeof yname, "%s", o->ycol);
            } else {
                snprintf(name, sizeof name, "%s.misses", prefix);
                tc.misses = csv_col(c, name);
                if (need_col(f, c, tc.misses, "TLB misses", name))
                    goto out;
                snprintf(name, sizeof name, "%s.hits", prefix);
                tc.hits = csv_col(c, name);
                snprintf(name, sizeof name, "%s.accesses", prefix);
                tc.accesses = csv_col(c, name);
                if (tc.accesses < 0)
                    tc.accesses = csv_col(c, "accesses");
                tc.instructions = csv_col(c, "instructions");
                if (tc.mpki && tc.instructions < 0)
                    tc.mpki = 0; /* no instruction count: fall back to the hit rate */
                if (!tc.mpki && tc.hits < 0 && need_col(f, c, tc.accesses, "accesses", NULL))
                    goto out;
                snprintf(yname, sizeof yname, "%s %s", prefix,
                         tc.mpki ? "misses per 1000 instructions (MPKI)" : "hit rate (%)");
            }
        } else {
            static const char *const xn[] = {"processes", "nprocs", "procs", NULL};
            static const char *const yparts[] = {"util", NULL};
            xc = pick_col(c, o->xcol, xn, NULL);
            if (xc < 0 && !o->xcol && csv_col(c, "trace") >= 0) {
                xc = csv_col(c, "trace");
                x_from_traces = 1;
            }
            tc.direct = pick_col(c, o->ycol, NULL, yparts);
            if (tc.direct < 0 && !o->ycol) {
                tc.busy = csv_col(c, "busy_cycles");
                tc.idle = csv_col(c, "idle_cycles");
            }
            if (need_col(f, c, xc, "concurrent processes", o->xcol) ||
                (tc.busy < 0 || tc.idle < 0 ? need_col(f, c, tc.direct, "CPU utilisation", o->ycol) : 0))
                goto out;
            snprintf(yname, sizeof yname, "%s", o->ycol ? o->ycol : "CPU utilisation (%)");
        }
        snprintf(xname, sizeof xname, "%s", c->header[xc]);
        int multi = !x_from_traces && distinct_traces(c);
        char tag[96], title[160];
        stem(tag, sizeof tag, c->path);
        for (size_t r = 0; r < c->nrows; r++) {
            double x, y;
            if (x_from_traces) {
                x = 1;
                for (const char *p = csv_get(c, r, (size_t)xc); *p; p++)
                    x += *p == '+';
            } else if (cell_num(f, c, r, xc, &x) < 0) {
                goto out;
            }
            if (tlb_y(f, c, r, &tc, &y) < 0)
                goto out;
            if (!is_tlb && !o->ycol && tc.direct >= 0 && strstr(c->header[tc.direct], "util") && y <= 1.0)
                y *= 100; /* a fraction: shown in percent */
            group_title(c, r, xc, multi, o->ninputs > 1 ? tag : NULL, title, sizeof title);
            struct series *sp = find_series(s, &ns, title);
            if (!sp) {
                fail(f, "%s: more than %d lines", c->path, MAX_SERIES);
                goto out;
            }
            if (series_push(sp, x, y) < 0) {
                fail(f, "out of memory");
                goto out;
            }
        }
    }
    for (int i = 0; i < ns; i++) {
        series_sort(&s[i]);
        int b = write_block(f, &s[i], 0);
        char t[160];
        clean_title(t, sizeof t, s[i].title);
        add_clause(f, "'%s' index %d using 1:2 with linespoints lw 2 pt %d title \"%s\"",
                   f->datname, b, 5 + 2 * (i % 4), t);
    }
    char xl[160], yl[300];
    clean_title(xl, sizeof xl, xname);
    clean_title(yl, sizeof yl, yname);
    fprintf(gp, "set xlabel \"%s\"\nset ylabel \"%s\"\nset yrange [0:*]\n",
            is_tlb ? "TLB entries" : "Concurrent processes", yl);
    if (is_tlb)
        fprintf(gp, "set title \"%s\" noenhanced\n", xl);
    if (o->logx == 1)
        fputs("set logscale x 2\n", gp);
    rc = 0;
out:
    series_free(s, ns);
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
    int mib = 0, rc = -1;
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
            fprintf(gp, "set label \"knee %.4g %s\" at %.10g, graph 0.92 offset 0.5,0 font \",9\"\n",
                    s[0].x[k], mib ? "MiB" : "", s[0].x[k]);
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
            mib ? "Memory size (MiB)" : "Memory size", ylab,
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
            snprintf(s.title, sizeof s.title, "%s%s%s%s", name, fault ? " (rate)" : "",
                     o->ninputs > 1 ? " " : "", o->ninputs > 1 ? tag : "");
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
                "set ytics nomirror\nset y2tics\nset y2range [0:*]\nset key outside bottom center horizontal\n",
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

static int kind_buddyinfo(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    const char *xlabel = "Time (s)", *ratelabel = "";
    for (int i = 0; i < o->ninputs; i++) {
        const struct csv *c = &in[i];
        int tc = time_col(c, o->xcol), lines = 0;
        if (need_col(f, c, tc, "time", o->xcol))
            return -1;
        double ts = time_scale(o, c->header[tc], &xlabel, &ratelabel);
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
            int b = write_block(f, &s, 1);
            add_clause(f, "'%s' index %d using 1:2 with lines lw 2 title \"%s\"", f->datname, b, s.title);
            series_free(&s, 1);
            lines++;
        }
        if (!lines)
            return fail(f, "%s: no free-block columns (order0..order10 or buddyinfo.N)", c->path);
    }
    (void)ratelabel;
    fprintf(gp, "set xlabel \"%s\"\nset ylabel \"Free blocks\"\nset logscale y\n"
                "set key outside bottom center horizontal maxrows 3 font \",9\"\n", xlabel);
    return 0;
}

static int kind_walk(struct fig *f, const struct plot_opts *o, const struct csv *in, FILE *gp)
{
    static const char *const xs[] = {"cycles", "latency", "latency_cycles", "walk_cycles", NULL};
    static const char *const ys[] = {"count", "walks", "frequency", NULL};
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
        char t[160];
        clean_title(t, sizeof t, s.title);
        int b = write_block(f, &s, 1);
        if (o->ninputs == 1)
            add_clause(f, "'%s' index %d using 1:2 with boxes fs solid 0.6 title \"%s\"", f->datname, b, t);
        else
            add_clause(f, "'%s' index %d using 1:2 with steps lw 2 title \"%s\"", f->datname, b, t);
        series_free(&s, 1);
    }
    fputs("set xlabel \"Page-walk latency (cycles)\"\nset ylabel \"Walks\"\nset logscale y\n"
          "set boxwidth 0.9 relative\n", gp);
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

static void script_head(FILE *gp, const struct plot_opts *o, const char *term, const char *outbase)
{
    fprintf(gp, "# mmsim plot %s: restyle freely, then rerun with `gnuplot %s.gp` in this folder.\n",
            o->kind, outbase);
    if (!strcmp(term, "pdfcairo"))
        fprintf(gp, "set terminal pdfcairo size %gin,%gin font \"Sans,7\" linewidth 1\n", o->w, o->h);
    else if (!strcmp(term, "svg"))
        fprintf(gp, "set terminal svg size %d,%d font \"Sans,13\" dynamic\n", (int)o->w, (int)o->h);
    else
        fprintf(gp, "set terminal pngcairo size %d,%d font \"Sans,12\"\n", (int)o->w, (int)o->h);
    fprintf(gp, "set output \"%s\"\n", outbase);
    fputs("set datafile missing \"?\"\nset grid lc rgb \"#dddddd\"\nset key top right\n"
          "set border 3\nset xtics nomirror\nset mxtics\n", gp);
    if (o->title) {
        char t[256];
        clean_title(t, sizeof t, o->title);
        fprintf(gp, "set title \"%s\"\n", t);
    }
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
            "                  [--freq-ghz F] [--timeout S]\n"
            "kinds: mrc        miss ratio against memory size (mrc CSVs; one line per input)\n"
            "       tlb        MPKI or hit rate against TLB entries (sweep CSV)\n"
            "       thrashing  runtime and major faults against memory size, knee marked\n"
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
    script_head(gp, o, term, outbase);
    if (fn(&f, o, in, gp) < 0)
        goto out;
    if (!f.clen) {
        snprintf(err, errlen, "%s: no data to plot", o->inputs[0]);
        goto out;
    }
    fprintf(gp, "plot %s\n", f.clauses);
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
