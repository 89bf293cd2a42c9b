/* record.c - `mmsim record`: runs a program under a capture backend and writes a .mmt trace.
 *
 * Order of work: parse options; run the command once natively (its output discarded) for its
 * rusage and counters; open the trace with the header metadata; hand the traced run to the
 * backend (the Valgrind tool by default, or ptrace) with counters attached to the child
 * before it execs; put the traced run's exit status, rusage and counters in the footer;
 * close the trace (marked incomplete with the reason when it is cut short) and exit with the
 * program's status. */
#include "capture/record.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/counters.h"
#include "capture/kernel_probe.h"
#include "common/util.h"
#include "verbs.h"

/* Recording must keep up with the traced program: a fast zstd level (see docs/capture.md). */
#define RECORD_ZSTD_LEVEL 1
/* Records a chunk: each chunk defines again the fetch plans it uses (the DBI tool also
 * clears their site slots), so longer chunks cost less to record; 2^20 records decode
 * into a 16 MiB batch. */
#define RECORD_CHUNK_RECORDS (1u << 20)

struct record_cli {
    struct record_opts o;
    const char *counters; /* NULL: the default set */
    int no_counters;
    int native_run;
    int zstd_level;       /* 0: the recorder's default */
};

/* Set by the SIGINT/SIGTERM handler: the signal to forward. A handler can only reach a
 * file-scope object; this is the verb's, not the model's. */
static volatile int stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim record [-o FILE] [--backend dbi|ptrace] [--no-ifetch] [--events-only]\n"
            "                    [--counters LIST | --no-counters] [--no-native-run]\n"
            "                    [--skip N --length M [--every K]]\n"
            "                    [--zstd-level N] -- PROGRAM [ARGS...]\n\n"
            "Runs PROGRAM and records its memory accesses and OS events into a .mmt trace.\n\n"
            "  -o, --output FILE   the trace (default: PROGRAM's name with .mmt, here)\n"
            "  --backend dbi       a Valgrind tool (default): fast, every access and fetch\n"
            "  --backend ptrace    single-stepping: exact native addresses, very slow\n"
            "  --events-only       ptrace: only OS events and page-fault addresses, near\n"
            "                      native speed\n"
            "  --no-ifetch         leave instruction fetches out\n"
            "  --counters LIST     perf events to read, comma-separated libpfm4 names\n"
            "                      (default: page faults, dTLB misses, page walks)\n"
            "  --no-counters       read no counters\n"
            "  --skip N            windows (dbi): fast-forward N instructions (counted, not\n"
            "                      recorded; mappings and OS events still are) ...\n"
            "  --length M          ... then record a window of M instructions ...\n"
            "  --every K           ... and again after each K more (default: one window);\n"
            "                      counts take K, M, G, T (powers of 1000)\n"
            "  --no-native-run     skip the native run that measures rusage and counters\n"
            "                      without the recorder (output discarded)\n"
            "  --zstd-level N      chunk compression, -7..-1 or 1..19 (default 1)\n\n"
            "The program's stdin, stdout, stderr and exit status pass through.\n");
}

/* have: bit 0 --skip, bit 1 --length, bit 2 --every given. */
static int check_window_opts(struct record_cli *c, int have)
{
    if (!have)
        return 0;
    if (!(have & 2) || c->o.length == 0) {
        fprintf(stderr, "mmsim record: --skip and --every need --length M (M > 0 instructions)\n");
        return -1;
    }
    if (c->o.backend != RECORD_DBI) {
        fprintf(stderr, "mmsim record: --skip/--length/--every need --backend dbi: the ptrace "
                "backend records whole programs only\n");
        return -1;
    }
    return 0;
}

/* Returns 0, 1 when --help was printed, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct record_cli *c)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"backend", required_argument, NULL, 'b'},
        {"no-ifetch", no_argument, NULL, 'I'},
        {"events-only", no_argument, NULL, 'E'},
        {"counters", required_argument, NULL, 'c'},
        {"no-counters", no_argument, NULL, 'C'},
        {"no-native-run", no_argument, NULL, 'N'},
        {"zstd-level", required_argument, NULL, 'z'},
        {"skip", required_argument, NULL, 'S'},
        {"length", required_argument, NULL, 'L'},
        {"every", required_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch, have_window = 0;
    c->o.every = -1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o': c->o.output = optarg; break;
        case 'b':
            if (!strcmp(optarg, "dbi"))
                c->o.backend = RECORD_DBI;
            else if (!strcmp(optarg, "ptrace"))
                c->o.backend = RECORD_PTRACE;
            else {
                fprintf(stderr, "mmsim record: --backend %s: expected dbi or ptrace\n", optarg);
                return -1;
            }
            break;
        case 'I': c->o.no_ifetch = 1; break;
        case 'E': c->o.events_only = 1; break;
        case 'c': c->counters = optarg; break;
        case 'C': c->no_counters = 1; break;
        case 'N': c->native_run = 0; break;
        case 'z': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < -7 || v > 19 || v == 0) {
                fprintf(stderr, "mmsim record: --zstd-level %s: expected -7..-1 or 1..19\n", optarg);
                return -1;
            }
            c->zstd_level = (int)v;
            break;
        }
        case 'S':
        case 'L':
        case 'V': {
            uint64_t v;
            if (parse_count(optarg, &v) || v > INT64_MAX) {
                fprintf(stderr, "mmsim record: --%s %s: expected an instruction count "
                        "(digits, with K, M, G or T for powers of 1000)\n",
                        ch == 'S' ? "skip" : ch == 'L' ? "length" : "every", optarg);
                return -1;
            }
            if (ch == 'S')
                c->o.skip = v;
            else if (ch == 'L')
                c->o.length = v;
            else
                c->o.every = (int64_t)v;
            have_window |= 1 << (ch == 'S' ? 0 : ch == 'L' ? 1 : 2);
            break;
        }
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "mmsim record: no program given (mmsim record [options] -- PROGRAM ...)\n");
        return -1;
    }
    c->o.argv = argv + optind;
    if (c->o.events_only)
        c->o.backend = RECORD_PTRACE;
    return check_window_opts(c, have_window);
}

static char *default_output(const char *prog)
{
    const char *base = strrchr(prog, '/');
    base = base ? base + 1 : prog;
    size_t n = strlen(base) + 5;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s.mmt", base);
    return out;
}

/* The command line, words separated by spaces, quoted where they hold a space or quote. */
static void join_command(char **argv, char *out, size_t len)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; argv[i] && k + 4 < len; i++) {
        int quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t'\"\\$") != NULL;
        k += (size_t)snprintf(out + k, len - k, "%s%s%s%s", i ? " " : "", quote ? "'" : "",
                              argv[i], quote ? "'" : "");
        if (k >= len)
            k = len - 1;
    }
}

static int meta_u64(struct mmt_writer *w, const char *prefix, const char *key, uint64_t v)
{
    char k[256], s[32];
    snprintf(k, sizeof k, "%s%s", prefix, key);
    snprintf(s, sizeof s, "%" PRIu64, v);
    return mmt_writer_meta(w, k, s);
}

static int meta_str(struct mmt_writer *w, const char *prefix, const char *key, const char *v)
{
    char k[256];
    snprintf(k, sizeof k, "%s%s", prefix, key);
    return mmt_writer_meta(w, k, v);
}

/* exit_status as a shell reports it: the code, or 128 + the signal. */
static int shell_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

static int put_rusage(struct mmt_writer *w, const char *prefix, const struct rusage *ru)
{
    char s[32];
    int rc = meta_u64(w, prefix, "rusage.min_flt", (uint64_t)ru->ru_minflt);
    rc |= meta_u64(w, prefix, "rusage.maj_flt", (uint64_t)ru->ru_majflt);
    rc |= meta_u64(w, prefix, "rusage.maxrss_kb", (uint64_t)ru->ru_maxrss);
    snprintf(s, sizeof s, "%.6f", ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6);
    rc |= meta_str(w, prefix, "rusage.utime_s", s);
    snprintf(s, sizeof s, "%.6f", ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6);
    rc |= meta_str(w, prefix, "rusage.stime_s", s);
    return rc;
}

static int put_counters(struct mmt_writer *w, const char *prefix, struct counters *c)
{
    int rc = 0;
    char key[256];
    if (!c)
        return 0;
    for (size_t i = 0; i < counters_count(c); i++) {
        snprintf(key, sizeof key, "counters.%s", counters_name(c, i));
        rc |= meta_u64(w, prefix, key, counters_value(c, i));
    }
    if (counters_unavailable(c)[0])
        rc |= meta_str(w, prefix, "counters.unavailable", counters_unavailable(c));
    rc |= meta_str(w, prefix, "counters.pmu", counters_pmu(c));
    return rc;
}

/* ---- the native run ---- */
struct native_result {
    int ran;
    int status;
    struct rusage ru;
    double seconds;
    struct counters *counters;
};

static int attach_counters(pid_t pid, void *arg);

struct counter_hook {
    const struct record_cli *cli;
    struct counters *c;
};

static void native_child(char **argv, int go_fd)
{
    char go;
    if (read(go_fd, &go, 1) != 1)
        _exit(127);
    close(go_fd);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    execvp(argv[0], argv);
    _exit(127);
}

static int native_run(const struct record_cli *cli, struct native_result *nr)
{
    int go[2];
    if (pipe2(go, O_CLOEXEC)) {
        fprintf(stderr, "mmsim record: native run: pipe: %s\n", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "mmsim record: native run: fork: %s\n", strerror(errno));
        close(go[0]);
        close(go[1]);
        return -1;
    }
    if (pid == 0) {
        close(go[1]);
        native_child(cli->o.argv, go[0]);
    }
    close(go[0]);
    struct counter_hook hook = {cli, NULL};
    attach_counters(pid, &hook);
    double t0 = now_seconds();
    if (write(go[1], "g", 1) != 1) {
        /* the child is gone: wait4 reports it */
    }
    close(go[1]);
    while (wait4(pid, &nr->status, 0, &nr->ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "mmsim record: native run: wait: %s\n", strerror(errno));
            counters_close(hook.c);
            return -1;
        }
        if (stop_signal)
            kill(pid, stop_signal);
    }
    nr->seconds = now_seconds() - t0;
    if (hook.c)
        counters_read(hook.c);
    nr->counters = hook.c;
    nr->ran = 1;
    return 0;
}

static int attach_counters(pid_t pid, void *arg)
{
    struct counter_hook *h = arg;
    char err[256];
    if (h->cli->no_counters)
        return 0;
    h->c = counters_open(pid, h->cli->counters, err, sizeof err);
    if (!h->c)
        fprintf(stderr, "mmsim record: %s (continuing without counters)\n", err);
    return 0;
}

/* ---- header metadata ---- */
static int put_header(struct mmt_writer *w, const struct record_cli *cli,
                      const struct native_result *nr)
{
    char buf[4096];
    const char *backend = cli->o.backend == RECORD_DBI ? "dbi"
                          : cli->o.events_only         ? "ptrace-events"
                                                       : "ptrace";
    int rc = mmt_writer_meta(w, "backend", backend);
    join_command(cli->o.argv, buf, sizeof buf);
    rc |= mmt_writer_meta(w, "command", buf);
    struct utsname u;
    if (uname(&u) == 0) {
        rc |= mmt_writer_meta(w, "host", u.nodename);
        rc |= mmt_writer_meta(w, "kernel", u.release);
        rc |= mmt_writer_meta(w, "machine", u.machine);
    }
    rc |= meta_u64(w, "", "page_size", (uint64_t)sysconf(_SC_PAGESIZE));
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    rc |= mmt_writer_meta(w, "start_time", buf);
    rc |= mmt_writer_meta(w, "ifetch", cli->o.no_ifetch ? "no" : "yes");
    if (cli->o.length) {
        char v[32];
        snprintf(v, sizeof v, "%" PRIu64, cli->o.skip);
        rc |= mmt_writer_meta(w, "window.skip", v);
        snprintf(v, sizeof v, "%" PRIu64, cli->o.length);
        rc |= mmt_writer_meta(w, "window.length", v);
        snprintf(v, sizeof v, "%" PRId64, cli->o.every);
        rc |= mmt_writer_meta(w, "window.every", v);
    }
    struct kernel_traits kt;
    kernel_probe(&kt);
    rc |= kernel_probe_write_meta(&kt, w);
    if (nr->ran) {
        rc |= meta_u64(w, "", "native.exit_status", (uint64_t)shell_status(nr->status));
        rc |= put_rusage(w, "native.", &nr->ru);
        snprintf(buf, sizeof buf, "%.6f", nr->seconds);
        rc |= mmt_writer_meta(w, "native.wall_s", buf);
        rc |= put_counters(w, "native.", nr->counters);
    }
    return rc;
}

static int put_footer(struct mmt_writer *w, const struct record_result *res, double seconds,
                      struct counters *c)
{
    char buf[32];
    int rc = meta_u64(w, "", "exit_status", (uint64_t)shell_status(res->exit_status));
    rc |= put_rusage(w, "", &res->ru);
    snprintf(buf, sizeof buf, "%.6f", seconds);
    rc |= mmt_writer_meta(w, "wall_s", buf);
    rc |= put_counters(w, "", c);
    return rc;
}

static void install_handlers(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: a blocked read returns to look */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

static int run_backend(const struct record_cli *cli, struct mmt_writer *w,
                       struct record_result *res, char *err, size_t errlen)
{
    if (cli->o.backend == RECORD_DBI)
        return dbi_record(&cli->o, w, res, err, errlen);
    return ptrace_record(&cli->o, w, res, err, errlen);
}

int cmd_record(int argc, char **argv)
{
    struct record_cli cli;
    memset(&cli, 0, sizeof cli);
    cli.native_run = 1;
    int prc = parse_args(argc, argv, &cli);
    if (prc)
        return prc > 0 ? 0 : 2;
    char *defout = NULL;
    if (!cli.o.output)
        cli.o.output = defout = default_output(cli.o.argv[0]);
    if (!cli.o.output) {
        fprintf(stderr, "mmsim record: out of memory\n");
        return 2;
    }
    struct sigaction old_int, old_term;
    stop_signal = 0;
    install_handlers(&old_int, &old_term);
    cli.o.stop = &stop_signal;
    cli.o.progress = isatty(2);

    struct native_result nr;
    memset(&nr, 0, sizeof nr);
    if (cli.native_run && native_run(&cli, &nr) == 0 && stop_signal) {
        fprintf(stderr, "mmsim record: interrupted during the native run\n");
        counters_close(nr.counters);
        free(defout);
        return 128 + stop_signal;
    }

    char err[512] = "";
    struct mmt_writer_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.zstd_level = cli.zstd_level ? cli.zstd_level : RECORD_ZSTD_LEVEL;
    wo.chunk_records = RECORD_CHUNK_RECORDS;
    struct mmt_writer *w = mmt_writer_open(cli.o.output, &wo, err, sizeof err);
    if (!w) {
        fprintf(stderr, "mmsim record: %s\n", err);
        counters_close(nr.counters);
        free(defout);
        return 2;
    }
    int failed = 0;
    if (put_header(w, &cli, &nr)) {
        snprintf(err, sizeof err, "%s", mmt_writer_error(w));
        failed = 1;
    }
    struct counter_hook hook = {&cli, NULL};
    cli.o.child_ready = attach_counters;
    cli.o.child_arg = &hook;
    struct record_result res;
    memset(&res, 0, sizeof res);
    double t0 = now_seconds();
    if (!failed && run_backend(&cli, w, &res, err, sizeof err))
        failed = 1;
    double seconds = now_seconds() - t0;
    if (hook.c)
        counters_read(hook.c);
    if (put_footer(w, &res, seconds, hook.c) && !failed) {
        snprintf(err, sizeof err, "%s", mmt_writer_error(w));
        failed = 1;
    }
    if (failed)
        mmt_writer_set_incomplete(w, err);
    else if (res.incomplete)
        mmt_writer_set_incomplete(w, res.reason);
    /* A write error (disk full) leaves the chunks written before it; other failures (the
     * tool missing, a fork failing) leave a trace that says why it is empty or short. */
    const char *werr = mmt_writer_error(w);
    int write_failed = werr && *werr;
    char cerr[512] = "";
    int close_rc = mmt_writer_close(w, cerr, sizeof cerr);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    counters_close(hook.c);
    counters_close(nr.counters);

    int status = shell_status(res.exit_status);
    if (failed || close_rc) {
        fprintf(stderr, "mmsim record: %s: %s%s\n", cli.o.output, failed ? err : cerr,
                write_failed || close_rc ? "; the trace keeps every whole chunk written before"
                                         : " (the trace is marked incomplete)");
        free(defout);
        return status ? status : 1;
    }
    if (res.incomplete)
        fprintf(stderr, "mmsim record: %s: trace marked incomplete: %s\n", cli.o.output, res.reason);
    free(defout);
    return status;
}
