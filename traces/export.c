/* export.c - `mmsim export`: write a .mmt trace as Valgrind lackey, Dinero din or ChampSim
 * input_instr records, each what `mmsim import` reads back (docs/interop.md says what each
 * format keeps and what it cannot carry). */
#include "traces/export.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "traces/foreign.h"
#include "verbs.h"

static const char *const export_names[] = {
    [MMT_EXPORT_LACKEY] = "lackey",
    [MMT_EXPORT_DIN] = "din",
    [MMT_EXPORT_CHAMPSIM] = "champsim",
};

int mmt_export_format_parse(const char *name, enum mmt_export_format *f)
{
    for (size_t i = 0; i < sizeof export_names / sizeof export_names[0]; i++)
        if (!strcmp(name, export_names[i])) {
            *f = (enum mmt_export_format)i;
            return 0;
        }
    return -1;
}

/* ---- output: a FILE, optionally through an xz encoder ---- */
struct export_out {
    FILE *f;
    const char *name;
    int xz;
    lzma_stream strm;
    uint8_t buf[1 << 16];
    int failed;
    char *err;
    size_t errlen;
};

static int out_fail(struct export_out *o, const char *what)
{
    if (!o->failed)
        snprintf(o->err, o->errlen, "%s: %s", o->name, what);
    o->failed = 1;
    return -1;
}

static int out_xz_run(struct export_out *o, lzma_action action)
{
    for (;;) {
        o->strm.next_out = o->buf;
        o->strm.avail_out = sizeof o->buf;
        lzma_ret r = lzma_code(&o->strm, action);
        size_t have = sizeof o->buf - o->strm.avail_out;
        if (have && fwrite(o->buf, 1, have, o->f) != have)
            return out_fail(o, strerror(errno));
        if (r == LZMA_STREAM_END)
            return 0;
        if (r != LZMA_OK)
            return out_fail(o, "xz encoding failed");
        if (action == LZMA_RUN && !o->strm.avail_in)
            return 0;
    }
}

static int out_write(struct export_out *o, const void *p, size_t n)
{
    if (o->failed)
        return -1;
    if (!o->xz) {
        if (fwrite(p, 1, n, o->f) != n)
            return out_fail(o, strerror(errno));
        return 0;
    }
    o->strm.next_in = p;
    o->strm.avail_in = n;
    return out_xz_run(o, LZMA_RUN);
}

static int out_open(struct export_out *o)
{
    if (!o->xz)
        return 0;
    o->strm = (lzma_stream)LZMA_STREAM_INIT;
    /* preset 1: 30x faster than xz's default 6 on these records, and they compress to ~2%
     * of their size either way */
    if (lzma_easy_encoder(&o->strm, 1, LZMA_CHECK_CRC64) != LZMA_OK)
        return out_fail(o, "cannot start the xz encoder");
    return 0;
}

static int out_finish(struct export_out *o)
{
    int rc = o->failed ? -1 : 0;
    if (o->xz) {
        if (!rc) {
            o->strm.next_in = NULL;
            o->strm.avail_in = 0;
            rc = out_xz_run(o, LZMA_FINISH);
        }
        lzma_end(&o->strm);
    }
    if (!rc && fflush(o->f))
        rc = out_fail(o, strerror(errno));
    return rc;
}

/* ---- lackey and din: one line per access ---- */
static int lackey_access(struct export_out *o, const struct mmt_rec *r, struct mmt_export_stats *st)
{
    char line[48];
    int n = lackey_format(line, sizeof line, r);
    st->written++;
    return out_write(o, line, (size_t)n);
}

/* din has no modify: a read-modify-write becomes a read then a write of the address. */
static int din_access(struct export_out *o, const struct mmt_rec *r, struct mmt_export_stats *st)
{
    static const unsigned label_of_kind[4] = {[MMT_IFETCH] = DIN_IFETCH, [MMT_LOAD] = DIN_READ,
                                              [MMT_STORE] = DIN_WRITE, [MMT_MODIFY] = DIN_READ};
    char line[48];
    int n = snprintf(line, sizeof line, "%u %" PRIx64 "\n", label_of_kind[r->kind], r->addr);
    if (r->kind == MMT_MODIFY)
        n += snprintf(line + n, sizeof line - (size_t)n, "%u %" PRIx64 "\n", DIN_WRITE, r->addr);
    st->written += r->kind == MMT_MODIFY ? 2 : 1;
    return out_write(o, line, (size_t)n);
}

/* ---- ChampSim: one input_instr per instruction fetch, with the data accesses after it ----
 * The record of an instruction is written when the next one starts, so that a fetch that
 * does not follow on from the last one (next ip != ip + length) marks the last one a taken
 * branch. Data accesses before any fetch (a trace recorded with --no-ifetch) each become an
 * instruction of their own at ip 0. */
struct cs_state {
    struct cs_instr in;
    int pending;    /* in holds an instruction not yet written */
    int fetched;    /* ... that came from a fetch (so its end is known) */
    uint64_t end;   /* ip + length of the pending fetch */
    int nsrc, ndst;
};

static int cs_flush(struct export_out *o, struct cs_state *s, int taken, struct mmt_export_stats *st)
{
    if (!s->pending)
        return 0;
    if (taken) {
        /* ChampSim's conditional branch: reads IP and FLAGS, writes IP (instruction.h). */
        s->in.is_branch = 1;
        s->in.branch_taken = 1;
        s->in.dst_regs[0] = CS_REG_INSTRUCTION_POINTER;
        s->in.src_regs[0] = CS_REG_INSTRUCTION_POINTER;
        s->in.src_regs[1] = CS_REG_FLAGS;
        st->taken_branches++;
    }
    uint8_t rec[CS_RECORD];
    cs_encode(&s->in, rec);
    s->pending = 0;
    st->written++;
    return out_write(o, rec, sizeof rec);
}

static void cs_start(struct cs_state *s, uint64_t ip, unsigned size, int fetched)
{
    memset(&s->in, 0, sizeof s->in);
    s->in.ip = ip;
    s->end = ip + size;
    s->pending = 1;
    s->fetched = fetched;
    s->nsrc = s->ndst = 0;
}

/* Adds addr to one operand list once; an operand past the list's capacity is counted and dropped. */
static void cs_operand(uint64_t *list, int *n, int cap, uint64_t addr, struct mmt_export_stats *st)
{
    for (int i = 0; i < *n; i++)
        if (list[i] == addr) {
            st->merged_operands++;
            return;
        }
    if (*n == cap) {
        st->dropped_operands++;
        return;
    }
    list[(*n)++] = addr;
}

static int cs_access(struct export_out *o, struct cs_state *s, const struct mmt_rec *r,
                     struct mmt_export_stats *st)
{
    if (r->kind == MMT_IFETCH) {
        int taken = s->pending && s->fetched && r->addr != s->end;
        if (cs_flush(o, s, taken, st))
            return -1;
        cs_start(s, r->addr, r->size, 1);
        return 0;
    }
    if (!s->pending || !s->fetched) { /* no fetch before it: an instruction of its own */
        if (cs_flush(o, s, 0, st))
            return -1;
        cs_start(s, 0, 0, 0);
    }
    if (r->kind == MMT_LOAD || r->kind == MMT_MODIFY)
        cs_operand(s->in.src_mem, &s->nsrc, CS_SRC_MEM, r->addr, st);
    if (r->kind == MMT_STORE || r->kind == MMT_MODIFY)
        cs_operand(s->in.dst_mem, &s->ndst, CS_DST_MEM, r->addr, st);
    return 0;
}

int mmt_export_stream(enum mmt_export_format f, struct mmt_reader *r, FILE *out, const char *name,
                      int xz, struct mmt_export_stats *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    static struct export_out zero_out;
    struct export_out *o = malloc(sizeof *o);
    if (!o) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    *o = zero_out;
    o->f = out;
    o->name = name;
    o->xz = f == MMT_EXPORT_CHAMPSIM && xz;
    o->err = err;
    o->errlen = errlen;
    struct cs_state cs = {0};
    int rc = out_open(o), got;
    const struct mmt_rec *recs;
    size_t n;
    while (!rc && (got = mmt_reader_next(r, &recs, &n)) == 1) {
        for (size_t i = 0; i < n && !rc; i++) {
            const struct mmt_rec *x = &recs[i];
            if (x->kind > MMT_MODIFY) {
                if (x->kind == MMT_SWITCH) {
                    st->switches++;
                    if (f == MMT_EXPORT_CHAMPSIM) /* the next fetch is another thread's */
                        rc = cs_flush(o, &cs, 0, st);
                } else {
                    st->events++;
                }
                continue;
            }
            st->accesses++;
            rc = f == MMT_EXPORT_LACKEY ? lackey_access(o, x, st)
                 : f == MMT_EXPORT_DIN  ? din_access(o, x, st)
                                        : cs_access(o, &cs, x, st);
        }
        if (rc)
            break;
    }
    if (!rc && got < 0) {
        snprintf(err, errlen, "%s", mmt_reader_error(r));
        rc = -1;
    }
    if (!rc && f == MMT_EXPORT_CHAMPSIM)
        rc = cs_flush(o, &cs, 0, st);
    if (out_finish(o))
        rc = -1;
    free(o);
    return rc;
}

/* ---- the verb ---- */
static void export_usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim export --format lackey|din|champsim TRACE -o OUT [-q]\n"
            "  TRACE              the .mmt trace to convert\n"
            "  -o, --output FILE  the file to write ('-' for standard output)\n"
            "  -f, --format FMT   lackey    valgrind --tool=lackey --trace-mem=yes lines\n"
            "                     din       Dinero 'LABEL ADDRESS' lines (sizes are lost)\n"
            "                     champsim  ChampSim input_instr records, xz-compressed when\n"
            "                               OUT ends in .xz (taken branches inferred from\n"
            "                               the fetch stream: docs/interop.md)\n"
            "  -q, --quiet        no summary line\n"
            "Thread switches and OS events have no place in these formats and are dropped\n"
            "(counted in the summary line).\n");
}

struct export_args {
    const char *out, *in;
    enum mmt_export_format format;
    int quiet;
};

/* Returns -1 when the arguments are good, else the exit status (0 for --help). */
static int parse_export_args(int argc, char **argv, struct export_args *a)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *fmt = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'o': a->out = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'h': export_usage(stdout); return 0;
        default: export_usage(stderr); return 2;
        }
    }
    if (fmt && mmt_export_format_parse(fmt, &a->format)) {
        fprintf(stderr, "mmsim export: unknown format '%s' (lackey, din, champsim)\n", fmt);
        return 2;
    }
    if (!fmt || !a->out || optind != argc - 1) {
        export_usage(stderr);
        return 2;
    }
    a->in = argv[optind];
    return -1;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && !strcmp(s + n - m, tail);
}

int cmd_export(int argc, char **argv)
{
    struct export_args a = {0};
    int status = parse_export_args(argc, argv, &a);
    if (status >= 0)
        return status;
    char err[1024];
    struct mmt_reader *r = mmt_reader_open(a.in, err, sizeof err);
    if (!r) {
        fprintf(stderr, "mmsim export: %s\n", err);
        return 1;
    }
    int to_stdout = !strcmp(a.out, "-");
    FILE *out = to_stdout ? stdout : fopen(a.out, "wb");
    if (!out) {
        fprintf(stderr, "mmsim export: %s: cannot create: %s\n", a.out, strerror(errno));
        mmt_reader_close(r);
        return 1;
    }
    struct mmt_export_stats st;
    double t0 = now_seconds();
    int rc = mmt_export_stream(a.format, r, out, to_stdout ? "<stdout>" : a.out,
                               !to_stdout && ends_with(a.out, ".xz"), &st, err, sizeof err);
    if (!rc && !mmt_reader_complete(r))
        fprintf(stderr, "mmsim export: warning: %s: %s\n", a.in, mmt_reader_incomplete_reason(r));
    mmt_reader_close(r);
    if (!to_stdout && fclose(out) && !rc) {
        snprintf(err, sizeof err, "%s: %s", a.out, strerror(errno));
        rc = -1;
    }
    if (rc) {
        fprintf(stderr, "mmsim export: %s\n", err);
        if (!to_stdout)
            unlink(a.out); /* a half-written trace would only mislead */
        return 1;
    }
    if (!a.quiet)
        fprintf(to_stdout ? stderr : stdout,
                "exported %" PRIu64 " accesses as %" PRIu64 " %s to %s (dropped: %" PRIu64
                " thread switches, %" PRIu64 " events), %.2f s\n",
                st.accesses, st.written, a.format == MMT_EXPORT_CHAMPSIM ? "instructions" : "lines",
                a.out, st.switches, st.events, now_seconds() - t0);
    if (!a.quiet && a.format == MMT_EXPORT_CHAMPSIM)
        fprintf(to_stdout ? stderr : stdout,
                "champsim: %" PRIu64 " taken branches inferred, %" PRIu64
                " repeated operands merged, %" PRIu64 " operands past 4 loads/2 stores dropped\n",
                st.taken_branches, st.merged_operands, st.dropped_operands);
    return 0;
}
