/* import.c - `mmsim import`: convert lackey, pinatrace, ChampSim or din traces to .mmt. */
#include "traces/import.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "verbs.h"

static const char *const format_names[] = {
    [MMT_IMPORT_LACKEY] = "lackey",
    [MMT_IMPORT_PINATRACE] = "pinatrace",
    [MMT_IMPORT_CHAMPSIM] = "champsim",
    [MMT_IMPORT_DIN] = "din",
};

int mmt_import_format_parse(const char *name, enum mmt_import_format *f)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (!strcmp(name, format_names[i])) {
            *f = (enum mmt_import_format)i;
            return 0;
        }
    return -1;
}

const char *mmt_import_format_name(enum mmt_import_format f)
{
    return (unsigned)f < sizeof format_names / sizeof format_names[0] ? format_names[f] : "unknown";
}

int mmt_import_stream(enum mmt_import_format f, FILE *in, const char *name,
                      struct mmt_writer *w, struct mmt_import_stats *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    char backend[64];
    snprintf(backend, sizeof backend, "import:%s", mmt_import_format_name(f));
    const char *base = strrchr(name, '/');
    if (mmt_writer_meta(w, "backend", backend) || mmt_writer_meta(w, "source", base ? base + 1 : name)) {
        snprintf(err, errlen, "%s", mmt_writer_error(w));
        return -1;
    }
    int rc = f == MMT_IMPORT_CHAMPSIM ? mmt_import_champsim(in, name, w, st, err, errlen)
                                      : mmt_import_text(f, in, name, w, st, err, errlen);
    if (!rc && st->split) {
        char v[32];
        snprintf(v, sizeof v, "%" PRIu64, st->split);
        if (mmt_writer_meta(w, "import.split_accesses", v)) {
            snprintf(err, errlen, "%s", mmt_writer_error(w));
            return -1;
        }
    }
    return rc;
}

static void import_usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim import --format lackey|pinatrace|champsim|din IN -o OUT.mmt\n"
            "  IN                 the input trace ('-' for standard input); ChampSim input may\n"
            "                     be xz-compressed (detected by its magic)\n"
            "  -o, --output FILE  the .mmt file to write\n"
            "  -f, --format FMT   lackey      valgrind --tool=lackey --trace-mem=yes output\n"
            "                     pinatrace   Pin's pinatrace 'IP: R|W ADDR [SIZE]' lines\n"
            "                     champsim    ChampSim binary input_instr records\n"
            "                     din         Dinero 'LABEL ADDRESS' lines\n"
            "  --level N          zstd level (default 3)\n"
            "  --chunk-records N  records a chunk (default 256K)\n"
            "  --meta KEY=VALUE   add a metadata entry (repeatable), e.g. command=...\n"
            "  -q, --quiet        no summary line\n");
}

struct import_args {
    const char *fmt, *out, *in;
    enum mmt_import_format format;
    struct mmt_writer_opts wo;
    const char *metas[64];
    int nmeta, quiet;
};

/* Returns -1 when the arguments are good, else the exit status (0 for --help). */
static int parse_import_args(int argc, char **argv, struct import_args *a)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
        {"level", required_argument, 0, 'l'},  {"chunk-records", required_argument, 0, 'c'},
        {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
        {"meta", required_argument, 0, 'm'},   {0, 0, 0, 0},
    };
    int c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a->fmt = optarg; break;
        case 'o': a->out = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'l':
            if (parse_u64(optarg, &v) || v < 1 || v > 22) {
                fprintf(stderr, "mmsim import: --level wants 1..22, not '%s'\n", optarg);
                return 2;
            }
            a->wo.zstd_level = (int)v;
            break;
        case 'c':
            if (parse_size(optarg, &v) || v < 1 || v > (1u << 22)) {
                fprintf(stderr, "mmsim import: --chunk-records wants 1..4M, not '%s'\n", optarg);
                return 2;
            }
            a->wo.chunk_records = (size_t)v;
            break;
        case 'm':
            if (!strchr(optarg, '=') || optarg[0] == '=' || a->nmeta == 64) {
                fprintf(stderr, "mmsim import: --meta wants KEY=VALUE (at most 64), not '%s'\n", optarg);
                return 2;
            }
            a->metas[a->nmeta++] = optarg;
            break;
        case 'h': import_usage(stdout); return 0;
        default: import_usage(stderr); return 2;
        }
    }
    if (a->fmt && mmt_import_format_parse(a->fmt, &a->format)) {
        fprintf(stderr, "mmsim import: unknown format '%s'\n", a->fmt);
        return 2;
    }
    if (!a->fmt || !a->out || optind != argc - 1) {
        import_usage(stderr);
        return 2;
    }
    a->in = argv[optind];
    return -1;
}

static void add_user_meta(struct mmt_writer *w, const struct import_args *a)
{
    for (int i = 0; i < a->nmeta; i++) {
        char key[256];
        size_t kl = (size_t)(strchr(a->metas[i], '=') - a->metas[i]);
        snprintf(key, sizeof key, "%.*s", (int)(kl < sizeof key ? kl : sizeof key - 1), a->metas[i]);
        mmt_writer_meta(w, key, a->metas[i] + kl + 1);
    }
}

static uint64_t file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n > 0 ? (uint64_t)n : 0;
}

int cmd_import(int argc, char **argv)
{
    struct import_args a = {0};
    int status = parse_import_args(argc, argv, &a);
    if (status >= 0)
        return status;
    int is_stdin = !strcmp(a.in, "-");
    FILE *in = is_stdin ? stdin : fopen(a.in, "rb");
    if (!in) {
        fprintf(stderr, "mmsim import: %s: cannot open: %s\n", a.in, strerror(errno));
        return 1;
    }
    char err[1024];
    struct mmt_writer *w = mmt_writer_open(a.out, &a.wo, err, sizeof err);
    if (!w) {
        fprintf(stderr, "mmsim import: %s\n", err);
        if (!is_stdin)
            fclose(in);
        return 1;
    }
    add_user_meta(w, &a);
    struct mmt_import_stats st;
    double t0 = now_seconds();
    int rc = mmt_import_stream(a.format, in, is_stdin ? "<stdin>" : a.in, w, &st, err, sizeof err);
    if (!is_stdin)
        fclose(in);
    uint64_t records = mmt_writer_records(w);
    if (rc) {
        fprintf(stderr, "mmsim import: %s\n", err);
        mmt_writer_close(w, NULL, 0);
        unlink(a.out); /* a half-imported trace would only mislead */
        return 1;
    }
    if (mmt_writer_close(w, err, sizeof err)) {
        fprintf(stderr, "mmsim import: %s\n", err);
        return 1;
    }
    uint64_t bytes = file_size(a.out);
    if (!a.quiet)
        printf("imported %" PRIu64 " accesses (%" PRIu64 " records, %" PRIu64
               " input %s) into %s: %" PRIu64 " bytes, %.3f bytes/access, %.2f s\n",
               st.accesses, records, st.lines,
               a.format == MMT_IMPORT_CHAMPSIM ? "instructions" : "lines", a.out, bytes,
               st.accesses ? (double)bytes / (double)st.accesses : 0.0, now_seconds() - t0);
    return 0;
}
