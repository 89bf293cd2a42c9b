/* import.c - `mmsim import`: convert lackey, pinatrace, ChampSim or din traces to .mmt. */
#include "traces/import.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
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
    [MMT_IMPORT_DRMEMTRACE] = "drmemtrace",
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

int mmt_import_begin(enum mmt_import_format f, const char *name, struct mmt_writer *w, char *err,
                     size_t errlen)
{
    char backend[64];
    snprintf(backend, sizeof backend, "import:%s", mmt_import_format_name(f));
    size_t len = strlen(name);
    while (len > 1 && name[len - 1] == '/') /* a folder given as "dir/" */
        len--;
    const char *base = name;
    for (size_t i = 0; i + 1 < len; i++)
        if (name[i] == '/')
            base = name + i + 1;
    char src[512];
    snprintf(src, sizeof src, "%.*s", (int)(name + len - base), base);
    if (mmt_writer_meta(w, "backend", backend) || mmt_writer_meta(w, "source", src)) {
        snprintf(err, errlen, "%s", mmt_writer_error(w));
        return -1;
    }
    return 0;
}

int mmt_import_stream(enum mmt_import_format f, FILE *in, const char *name,
                      struct mmt_writer *w, struct mmt_import_stats *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    if (mmt_import_begin(f, name, w, err, errlen))
        return -1;
    int rc = f == MMT_IMPORT_CHAMPSIM     ? mmt_import_champsim(in, name, w, st, err, errlen)
             : f == MMT_IMPORT_DRMEMTRACE ? mmt_import_drmemtrace(in, name, w, st, err, errlen)
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
            "usage: mmsim import --format lackey|pinatrace|champsim|din|drmemtrace IN -o OUT.mmt\n"
            "  IN                 the input trace ('-' for standard input); ChampSim input may\n"
            "                     be xz-compressed (detected by its magic); for drmemtrace, a\n"
            "                     thread's file (.zip, .gz, .zst or plain) or drmemtrace's\n"
            "                     output folder (its trace/ files, interleaved by timestamp)\n"
            "  -o, --output FILE  the .mmt file to write\n"
            "  -f, --format FMT   lackey      valgrind --tool=lackey --trace-mem=yes output\n"
            "                     pinatrace   Pin's pinatrace 'IP: R|W ADDR [SIZE]' lines\n"
            "                     champsim    ChampSim binary input_instr records\n"
            "                     din         Dinero 'LABEL ADDRESS' lines\n"
            "                     drmemtrace  DynamoRIO drmemtrace offline trace entries\n"
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

/* A drmemtrace thread file's name: what drmemtrace writes in its trace/ folder. */
static int drm_file_filter(const struct dirent *d)
{
    static const char *const tails[] = {".zip", ".gz", ".zst", ".trace"};
    size_t n = strlen(d->d_name);
    if (d->d_name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t m = strlen(tails[i]);
        if (n > m && !strcmp(d->d_name + n - m, tails[i]))
            return 1;
    }
    return 0;
}

/* The thread files of a drmemtrace input: the file itself, or the files of a folder (of its
 * trace/ subfolder when it has one), sorted by name. Returns 0, or -1 with err set. */
static int drm_collect(const char *in, char ***paths, size_t *n, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(in, &sb)) {
        snprintf(err, errlen, "%s: cannot open: %s", in, strerror(errno));
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/trace", in);
    struct stat tb;
    if (!S_ISDIR(sb.st_mode) || stat(dir, &tb) || !S_ISDIR(tb.st_mode))
        snprintf(dir, sizeof dir, "%s", in);
    if (!S_ISDIR(sb.st_mode)) {
        *paths = calloc(1, sizeof **paths);
        if (!*paths || !((*paths)[0] = strdup(in)))
            return snprintf(err, errlen, "out of memory"), -1;
        *n = 1;
        return 0;
    }
    struct dirent **list;
    int k = scandir(dir, &list, drm_file_filter, alphasort);
    if (k < 0) {
        snprintf(err, errlen, "%.900s: cannot list: %s", dir, strerror(errno));
        return -1;
    }
    *paths = calloc((size_t)k + 1, sizeof **paths);
    *n = 0;
    for (int i = 0; i < k; i++) {
        if (*paths && asprintf(&(*paths)[*n], "%s/%s", dir, list[i]->d_name) >= 0)
            (*n)++;
        free(list[i]);
    }
    free(list);
    if (!*paths || *n != (size_t)k)
        return snprintf(err, errlen, "out of memory"), -1;
    if (!k) {
        snprintf(err, errlen, "%.900s: no drmemtrace thread files (*.zip, *.gz, *.zst, *.trace)", dir);
        return -1;
    }
    return 0;
}

static void free_paths(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

int cmd_import(int argc, char **argv)
{
    struct import_args a = {0};
    int status = parse_import_args(argc, argv, &a);
    if (status >= 0)
        return status;
    int is_stdin = !strcmp(a.in, "-");
    char err[1024];
    char **paths = NULL;
    size_t npaths = 0;
    FILE *in = NULL;
    if (a.format == MMT_IMPORT_DRMEMTRACE && !is_stdin) {
        if (drm_collect(a.in, &paths, &npaths, err, sizeof err)) {
            fprintf(stderr, "mmsim import: %s\n", err);
            free_paths(paths, npaths);
            return 1;
        }
    } else {
        in = is_stdin ? stdin : fopen(a.in, "rb");
        if (!in) {
            fprintf(stderr, "mmsim import: %s: cannot open: %s\n", a.in, strerror(errno));
            return 1;
        }
    }
    struct mmt_writer *w = mmt_writer_open(a.out, &a.wo, err, sizeof err);
    if (!w) {
        fprintf(stderr, "mmsim import: %s\n", err);
        if (in && !is_stdin)
            fclose(in);
        free_paths(paths, npaths);
        return 1;
    }
    add_user_meta(w, &a);
    struct mmt_import_stats st;
    double t0 = now_seconds();
    int rc = paths ? mmt_import_drmemtrace_files((const char *const *)paths, npaths, a.in, w, &st,
                                                 err, sizeof err)
                   : mmt_import_stream(a.format, in, is_stdin ? "<stdin>" : a.in, w, &st, err, sizeof err);
    if (in && !is_stdin)
        fclose(in);
    free_paths(paths, npaths);
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
               a.format == MMT_IMPORT_CHAMPSIM     ? "instructions"
               : a.format == MMT_IMPORT_DRMEMTRACE ? "entries"
                                                   : "lines",
               a.out, bytes,
               st.accesses ? (double)bytes / (double)st.accesses : 0.0, now_seconds() - t0);
    return 0;
}
