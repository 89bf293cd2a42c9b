/* info.c - `mmsim info` (what is in a trace) and `mmsim dump` (its records, readable or in
 * lackey's own layout). */
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "traces/foreign.h"
#include "traces/mmt.h"
#include "traces/mmt_format.h"
#include "verbs.h"

struct trace_counts {
    struct mmt_totals t;
    uint64_t kernel_bytes[2]; /* decoded only: bytes the kernel read, wrote (ranges summed) */
    int from_footer;
    double decode_seconds, decode_cpu_seconds;
    unsigned jobs;
};

/* CPU time of this process: decode speed "on one core" that other jobs sharing the machine
 * do not distort the way they distort wall time. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Counts the out-of-line kinds of one record: switches (distinct threads) and events. */
static void count_rare(const struct mmt_reader *r, const struct mmt_rec *x, struct mmt_totals *t,
                       uint64_t kernel_bytes[2], struct mmt_idset *tids, struct mmt_idset *pids)
{
    if (x->kind == MMT_SWITCH) {
        mmt_idset_add(pids, x->aux);
        mmt_idset_add(tids, ((uint64_t)x->aux << 32) | x->addr);
    } else {
        const struct mmt_event *ev = mmt_reader_event(r, x->aux);
        unsigned type = ev->type;
        t->events[type < MMT_EVENT_TYPE_SLOTS ? type : 0]++;
        if ((type == MMT_EV_KERNEL_READ || type == MMT_EV_KERNEL_WRITE) && ev->nargs >= 2)
            kernel_bytes[type == MMT_EV_KERNEL_WRITE] += ev->args[1];
    }
}

/* Decodes chunks first, first+stride, ... of r, adding to t and the id sets. The four
 * access kinds are counted in 16-bit lanes of one register (flushed before a lane can
 * overflow), which keeps the loop free of memory read-modify-writes. */
static int scan_chunks(struct mmt_reader *r, uint64_t first, uint64_t stride, struct mmt_totals *t,
                       uint64_t kernel_bytes[2], struct mmt_idset *tids, struct mmt_idset *pids)
{
    const struct mmt_rec *recs;
    size_t n;
    uint64_t *kinds = t->kinds;
    for (uint64_t ci = first; ci < mmt_reader_chunks(r); ci += stride) {
        if (mmt_reader_seek_chunk(r, ci))
            return -1;
        int rc = mmt_reader_next(r, &recs, &n);
        if (rc < 0)
            return -1;
        if (rc == 0) /* the last chunk of a cut trace did not decode: the trace ends before */
            break;
        for (size_t base = 0; base < n; base += 65535) {
            size_t end = n - base < 65535 ? n : base + 65535;
            uint64_t lanes = 0;
            for (size_t i = base; i < end; i++) {
                unsigned k = recs[i].kind;
                if (__builtin_expect(k > MMT_MODIFY, 0)) {
                    kinds[k]++;
                    count_rare(r, &recs[i], t, kernel_bytes, tids, pids);
                    continue;
                }
                lanes += 1ull << (16 * k);
            }
            for (int k = 0; k <= MMT_MODIFY; k++)
                kinds[k] += (lanes >> (16 * k)) & 0xffff;
        }
        t->records += n;
    }
    return 0;
}

struct scan_job {
    const char *path;
    uint64_t first, stride;
    struct mmt_totals t;
    uint64_t kernel_bytes[2];
    struct mmt_idset tids, pids;
    int failed;
    char err[1024];
};

/* A worker thread: its own reader, every stride-th chunk. */
static void *scan_worker(void *arg)
{
    struct scan_job *j = arg;
    struct mmt_reader *r = mmt_reader_open(j->path, j->err, sizeof j->err);
    if (!r) {
        j->failed = 1;
        return NULL;
    }
    if (scan_chunks(r, j->first, j->stride, &j->t, j->kernel_bytes, &j->tids, &j->pids)) {
        snprintf(j->err, sizeof j->err, "%s", mmt_reader_error(r));
        j->failed = 1;
    }
    mmt_reader_close(r);
    return NULL;
}

static void merge_ids(struct mmt_idset *into, const struct mmt_idset *from)
{
    for (size_t i = 0; i < from->cap; i++)
        if (from->slots[i])
            mmt_idset_add(into, from->slots[i] - 1);
}

/* Decodes every chunk (on `jobs` threads, each with its own reader), counting kinds,
 * events and distinct threads. Returns 0, or -1 with err filled. */
static int scan_trace(const char *path, struct mmt_reader *r, unsigned jobs, struct trace_counts *c,
                      char *err, size_t errlen)
{
    struct mmt_idset tids = {0}, pids = {0};
    memset(&c->t, 0, sizeof c->t);
    double t0 = now_seconds(), c0 = cpu_seconds();
    int rc = 0;
    if (jobs <= 1) {
        rc = scan_chunks(r, 0, 1, &c->t, c->kernel_bytes, &tids, &pids);
        if (rc)
            snprintf(err, errlen, "%s", mmt_reader_error(r));
    } else {
        struct scan_job *js = calloc(jobs, sizeof *js);
        pthread_t *th = calloc(jobs, sizeof *th);
        if (!js || !th) {
            free(js);
            free(th);
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        unsigned started = 0;
        for (unsigned i = 0; i < jobs; i++) {
            js[i] = (struct scan_job){.path = path, .first = i, .stride = jobs};
            if (pthread_create(&th[i], NULL, scan_worker, &js[i]))
                break;
            started++;
        }
        for (unsigned i = 0; i < started; i++) {
            pthread_join(th[i], NULL);
            if (js[i].failed && !rc) {
                snprintf(err, errlen, "%s", js[i].err);
                rc = -1;
            }
            c->t.records += js[i].t.records;
            for (int k = 0; k < MMT_KIND_COUNT; k++)
                c->t.kinds[k] += js[i].t.kinds[k];
            for (int k = 0; k < MMT_EVENT_TYPE_SLOTS; k++)
                c->t.events[k] += js[i].t.events[k];
            for (int k = 0; k < 2; k++)
                c->kernel_bytes[k] += js[i].kernel_bytes[k];
            merge_ids(&tids, &js[i].tids);
            merge_ids(&pids, &js[i].pids);
            free(js[i].tids.slots);
            free(js[i].pids.slots);
        }
        if (started < jobs && !rc) {
            snprintf(err, errlen, "%s: cannot start %u decoding threads", path, jobs);
            rc = -1;
        }
        free(js);
        free(th);
    }
    c->decode_seconds = now_seconds() - t0;
    c->decode_cpu_seconds = cpu_seconds() - c0;
    c->t.threads = tids.n;
    c->t.processes = pids.n;
    free(tids.slots);
    free(pids.slots);
    c->from_footer = 0;
    c->jobs = jobs;
    return rc;
}

/* An event type's name, or "type_N" for a type this build does not know (so two unknown
 * types never share a JSON key). */
static const char *event_label(unsigned type, char *buf, size_t len)
{
    const char *n = mmt_event_name(type);
    if (strcmp(n, "unknown"))
        return n;
    snprintf(buf, len, "type_%u", type);
    return buf;
}

static uint64_t accesses_of(const struct mmt_totals *t)
{
    return t->kinds[MMT_IFETCH] + t->kinds[MMT_LOAD] + t->kinds[MMT_STORE] + t->kinds[MMT_MODIFY];
}

/* A trace without switch records is one thread of one process. */
static uint64_t at_least_one(uint64_t v, const struct mmt_totals *t)
{
    return v ? v : accesses_of(t) ? 1 : 0;
}

static void json_meta_number(struct json *j, const struct mmt_reader *r, const char *jkey,
                             const char *mkey)
{
    const char *v = mmt_reader_meta(r, mkey);
    uint64_t x;
    if (v && !parse_u64(v, &x))
        json_u64(j, jkey, x);
    else
        json_str(j, jkey, v); /* null when absent; the string when not a number */
}

/* ---- windows (mmsim record --skip/--length/--every) ---- */
struct window {
    uint32_t pid;
    uint64_t index, start, insns, requested, records, accesses, ifetches;
    int ended;
};

struct window_list {
    struct window *w;
    size_t n, cap;
};

/* The open window of pid (the last one of that pid not ended), or NULL. */
static struct window *open_window(struct window_list *l, uint32_t pid)
{
    for (size_t i = l->n; i-- > 0;)
        if (l->w[i].pid == pid)
            return l->w[i].ended ? NULL : &l->w[i];
    return NULL;
}

static int window_marker(struct window_list *l, const struct mmt_event *ev)
{
    if (ev->nargs < 4)
        return 0; /* a marker from a newer writer with other fields: not listed */
    if (ev->args[0] == 0) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 16;
            struct window *w = realloc(l->w, cap * sizeof *w);
            if (!w)
                return -1;
            l->w = w;
            l->cap = cap;
        }
        l->w[l->n++] = (struct window){.pid = ev->pid, .index = ev->args[1], .start = ev->args[2],
                                       .requested = ev->args[3]};
    } else {
        struct window *w = open_window(l, ev->pid);
        if (w) {
            w->insns = ev->args[3];
            w->ended = 1;
        }
    }
    return 0;
}

/* Walks the whole trace for its window markers and the records between them. */
static int list_windows(struct mmt_reader *r, struct window_list *l)
{
    const struct mmt_rec *recs;
    size_t n;
    int rc;
    if (mmt_reader_rewind(r))
        return -1;
    while ((rc = mmt_reader_next(r, &recs, &n)) > 0) {
        uint32_t pid;
        mmt_reader_batch_context(r, &pid, NULL, NULL);
        struct window *w = open_window(l, pid);
        for (size_t i = 0; i < n; i++) {
            const struct mmt_rec *x = &recs[i];
            if (x->kind == MMT_SWITCH) {
                pid = x->aux;
                w = open_window(l, pid);
                continue;
            }
            if (x->kind == MMT_EVENT) {
                const struct mmt_event *ev = mmt_reader_event(r, x->aux);
                if (ev->type == MMT_EV_WINDOW) {
                    if (window_marker(l, ev))
                        return -1;
                    w = open_window(l, pid);
                    continue;
                }
            }
            if (w) {
                w->records++;
                w->accesses += x->kind <= MMT_MODIFY;
                w->ifetches += x->kind == MMT_IFETCH;
            }
        }
    }
    return rc;
}

static void windows_text(const struct window_list *l)
{
    printf("windows    %zu\n", l->n);
    printf("  %6s %8s %14s %12s %12s %12s\n", "pid", "window", "start instr", "instructions",
           "records", "accesses");
    for (size_t i = 0; i < l->n; i++) {
        const struct window *w = &l->w[i];
        printf("  %6u %8" PRIu64 " %14" PRIu64 " %12" PRIu64 "%s %12" PRIu64 " %12" PRIu64 "\n",
               w->pid, w->index, w->start, w->insns, w->ended ? " " : "?", w->records,
               w->accesses);
    }
}

static void windows_json(struct json *j, const struct window_list *l)
{
    json_arr_begin(j, "windows");
    for (size_t i = 0; i < l->n; i++) {
        const struct window *w = &l->w[i];
        json_obj_begin(j, NULL);
        json_u64(j, "pid", w->pid);
        json_u64(j, "index", w->index);
        json_u64(j, "start_instruction", w->start);
        json_u64(j, "requested_length", w->requested);
        if (w->ended)
            json_u64(j, "instructions", w->insns);
        else
            json_str(j, "instructions", NULL); /* the trace was cut inside it */
        json_u64(j, "records", w->records);
        json_u64(j, "accesses", w->accesses);
        json_u64(j, "ifetches", w->ifetches);
        json_obj_end(j);
    }
    json_arr_end(j);
}

static void info_json(const struct mmt_reader *r, const struct trace_counts *c, int scanned,
                      const struct window_list *wl)
{
    const struct mmt_totals *t = &c->t;
    uint64_t bytes = mmt_reader_file_bytes(r), acc = accesses_of(t);
    struct json j;
    json_init(&j, stdout, 1);
    json_obj_begin(&j, NULL);
    json_u64(&j, "ifetches", t->kinds[MMT_IFETCH]);
    json_u64(&j, "loads", t->kinds[MMT_LOAD]);
    json_u64(&j, "stores", t->kinds[MMT_STORE]);
    json_u64(&j, "modifies", t->kinds[MMT_MODIFY]);
    json_u64(&j, "accesses", acc);
    json_u64(&j, "switches", t->kinds[MMT_SWITCH]);
    json_u64(&j, "events", t->kinds[MMT_EVENT]);
    json_u64(&j, "threads", at_least_one(t->threads, t));
    json_u64(&j, "processes", at_least_one(t->processes, t));
    json_u64(&j, "records", t->records);
    json_u64(&j, "bytes", bytes);
    json_f64(&j, "bytes_per_access", acc ? (double)bytes / (double)acc : 0.0);
    json_bool(&j, "complete", mmt_reader_complete(r));
    json_str(&j, "incomplete_reason", mmt_reader_incomplete_reason(r));
    json_u64(&j, "readable_bytes", mmt_reader_cut_offset(r));
    json_str(&j, "backend", mmt_reader_meta(r, "backend"));
    if (mmt_reader_meta(r, "rusage.min_flt") || mmt_reader_meta(r, "rusage.maj_flt")) {
        json_obj_begin(&j, "kernel");
        json_meta_number(&j, r, "min_flt", "rusage.min_flt");
        json_meta_number(&j, r, "maj_flt", "rusage.maj_flt");
        json_meta_number(&j, r, "maxrss_kb", "rusage.maxrss_kb");
        json_str(&j, "release", mmt_reader_meta(r, "kernel"));
        json_obj_end(&j);
    } else {
        json_str(&j, "kernel", NULL);
    }
    json_obj_begin(&j, "traits"); /* the host kernel's traits: traits.* without the prefix */
    for (size_t i = 0; i < mmt_reader_meta_count(r); i++) {
        const struct mmt_meta *m = mmt_reader_meta_at(r, i);
        if (!strncmp(m->key, "traits.", 7))
            json_str(&j, m->key + 7, m->value);
    }
    json_obj_end(&j);
    json_str(&j, "counted_by", scanned ? "scan" : "footer");
    if (scanned) {
        json_u64(&j, "decode_jobs", c->jobs);
        json_f64(&j, "decode_seconds", c->decode_seconds);
        json_f64(&j, "decode_cpu_seconds", c->decode_cpu_seconds);
        json_f64(&j, "records_per_second",
                 c->decode_seconds > 0 ? (double)t->records / c->decode_seconds : 0.0);
        json_f64(&j, "records_per_cpu_second",
                 c->decode_cpu_seconds > 0 ? (double)t->records / c->decode_cpu_seconds : 0.0);
    }
    json_obj_begin(&j, "kernel_accesses");
    json_u64(&j, "reads", t->events[MMT_EV_KERNEL_READ]);
    json_u64(&j, "writes", t->events[MMT_EV_KERNEL_WRITE]);
    if (scanned) {
        json_u64(&j, "read_bytes", c->kernel_bytes[0]);
        json_u64(&j, "write_bytes", c->kernel_bytes[1]);
    }
    json_obj_end(&j);
    char name[32];
    json_obj_begin(&j, "events_by_type");
    for (unsigned k = 1; k < MMT_EVENT_TYPE_SLOTS; k++)
        if (t->events[k])
            json_u64(&j, event_label(k, name, sizeof name), t->events[k]);
    if (t->events[0])
        json_u64(&j, "other", t->events[0]);
    json_obj_end(&j);
    json_obj_begin(&j, "meta");
    for (size_t i = 0; i < mmt_reader_meta_count(r); i++) {
        const struct mmt_meta *m = mmt_reader_meta_at(r, i);
        json_str(&j, m->key, m->value);
    }
    json_obj_end(&j);
    json_arr_begin(&j, "chunks");
    struct mmt_chunk_info ci;
    for (size_t i = 0; mmt_reader_chunk_info(r, i, &ci) == 0; i++) {
        json_obj_begin(&j, NULL);
        json_u64(&j, "offset", ci.offset);
        json_u64(&j, "compressed_bytes", ci.compressed_bytes);
        json_u64(&j, "raw_bytes", ci.raw_bytes);
        json_u64(&j, "records", ci.records);
        json_u64(&j, "events", ci.events);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    if (wl)
        windows_json(&j, wl);
    json_obj_end(&j);
    json_end(&j);
}

/* The host kernel's traits (metadata traits.*, written by mmsim record), one a line, or
 * why there are none. */
static void print_traits(const struct mmt_reader *r)
{
    const char *b = mmt_reader_meta(r, "backend");
    int any = 0;
    for (size_t i = 0; i < mmt_reader_meta_count(r); i++) {
        const struct mmt_meta *m = mmt_reader_meta_at(r, i);
        if (strncmp(m->key, "traits.", 7))
            continue;
        printf("%s %-24s %s\n", any ? "          " : "traits    ", m->key + 7, m->value);
        any = 1;
    }
    if (!any)
        printf("traits     none recorded (%s): replay uses the config\n",
               b && !strncmp(b, "import:", 7) ? "an imported trace" : "a trace older than the traits");
}

/* The kernel's accesses to user memory (format 1.3): counts from the footer, bytes when the
 * chunks were decoded. */
static void print_kernel_accesses(const struct trace_counts *c, int scanned)
{
    const struct mmt_totals *t = &c->t;
    uint64_t nr = t->events[MMT_EV_KERNEL_READ], nw = t->events[MMT_EV_KERNEL_WRITE];
    printf("kaccess    %" PRIu64 " kernel reads, %" PRIu64 " kernel writes of user memory", nr, nw);
    if (scanned)
        printf(" (%" PRIu64 " and %" PRIu64 " bytes)", c->kernel_bytes[0], c->kernel_bytes[1]);
    else if (nr || nw)
        printf(" (--scan for bytes)");
    printf("\n");
}

static void info_text(const char *path, const struct mmt_reader *r, const struct trace_counts *c,
                      int scanned, const struct window_list *wl)
{
    const struct mmt_totals *t = &c->t;
    uint64_t bytes = mmt_reader_file_bytes(r), acc = accesses_of(t);
    printf("trace      %s, %" PRIu64 " bytes, %s\n", path, bytes,
           mmt_reader_complete(r) ? "complete" : "INCOMPLETE");
    if (!mmt_reader_complete(r))
        printf("           %s\n", mmt_reader_incomplete_reason(r));
    const char *b = mmt_reader_meta(r, "backend"), *cmd = mmt_reader_meta(r, "command");
    printf("backend    %s\n", b ? b : "(not recorded)");
    if (cmd)
        printf("command    %s\n", cmd);
    printf("records    %" PRIu64 " (%s)\n", t->records, scanned ? "decoded" : "from the footer");
    printf("accesses   %" PRIu64 ": %" PRIu64 " ifetch, %" PRIu64 " load, %" PRIu64 " store, %" PRIu64
           " modify; %.3f bytes/access\n",
           acc, t->kinds[MMT_IFETCH], t->kinds[MMT_LOAD], t->kinds[MMT_STORE], t->kinds[MMT_MODIFY],
           acc ? (double)bytes / (double)acc : 0.0);
    printf("threads    %" PRIu64 " in %" PRIu64 " processes (%" PRIu64 " switch records)\n",
           at_least_one(t->threads, t), at_least_one(t->processes, t), t->kinds[MMT_SWITCH]);
    char name[32];
    printf("events     %" PRIu64, t->kinds[MMT_EVENT]);
    const char *sep = ": ";
    for (unsigned k = 0; k < MMT_EVENT_TYPE_SLOTS; k++)
        if (t->events[(k + 1) % MMT_EVENT_TYPE_SLOTS]) {
            unsigned type = (k + 1) % MMT_EVENT_TYPE_SLOTS;
            printf("%s%s %" PRIu64, sep, type ? event_label(type, name, sizeof name) : "other",
                   t->events[type]);
            sep = ", ";
        }
    printf("\n");
    print_kernel_accesses(c, scanned);
    uint64_t raw = 0, comp = 0;
    struct mmt_chunk_info ci;
    size_t nc = 0;
    for (; mmt_reader_chunk_info(r, nc, &ci) == 0; nc++) {
        raw += ci.raw_bytes;
        comp += ci.compressed_bytes;
    }
    printf("chunks     %zu: %" PRIu64 " raw bytes -> %" PRIu64 " compressed\n", nc, raw, comp);
    const char *mf = mmt_reader_meta(r, "rusage.min_flt"), *jf = mmt_reader_meta(r, "rusage.maj_flt");
    if (mf || jf)
        printf("kernel     min_flt %s, maj_flt %s\n", mf ? mf : "?", jf ? jf : "?");
    print_traits(r);
    if (scanned && c->decode_seconds > 0)
        printf("decode     %.3f s, %.1f M records/s (%.1f M a CPU second)\n", c->decode_seconds,
               (double)t->records / c->decode_seconds / 1e6,
               c->decode_cpu_seconds > 0 ? (double)t->records / c->decode_cpu_seconds / 1e6 : 0.0);
    if (wl)
        windows_text(wl);
    printf("metadata\n");
    for (size_t i = 0; i < mmt_reader_meta_count(r); i++) {
        const struct mmt_meta *m = mmt_reader_meta_at(r, i);
        printf("  %-22s %s\n", m->key, m->value);
    }
}

static void info_usage(FILE *f)
{
    fprintf(f, "usage: mmsim info TRACE [--json] [--scan [--jobs N]]\n"
               "  --json   one JSON object (counts, bytes_per_access, complete, backend, kernel,\n"
               "           traits, events_by_type, meta, chunks)\n"
               "  --scan   decode and check every chunk instead of trusting the footer's totals\n"
               "  --jobs N decode the chunks on N threads (default 1)\n");
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"scan", no_argument, 0, 's'},
        {"jobs", required_argument, 0, 'J'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int as_json = 0, scan = 0, c;
    unsigned jobs = 1;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jsh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': as_json = 1; break;
        case 's': scan = 1; break;
        case 'J':
            if (parse_u64(optarg, &v) || v < 1 || v > 256) {
                fprintf(stderr, "mmsim info: --jobs wants 1..256, not '%s'\n", optarg);
                return 2;
            }
            jobs = (unsigned)v;
            break;
        case 'h': info_usage(stdout); return 0;
        default: info_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        info_usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    char err[1024];
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "mmsim info: %s\n", err);
        return 1;
    }
    struct trace_counts counts = {0};
    struct mmt_totals footer;
    int have_footer = mmt_reader_totals(r, &footer) == 0;
    int scanned = scan || !have_footer;
    if (scanned && scan_trace(path, r, jobs, &counts, err, sizeof err)) {
        fprintf(stderr, "mmsim info: %s\n", err);
        mmt_reader_close(r);
        return 1;
    }
    if (!scanned) {
        counts.t = footer;
        counts.from_footer = 1;
    } else if (have_footer && (footer.records != counts.t.records ||
                               memcmp(footer.kinds, counts.t.kinds, sizeof footer.kinds))) {
        fprintf(stderr, "mmsim info: %s: the footer's totals (%" PRIu64 " records) disagree with "
                        "the decoded chunks (%" PRIu64 ")\n", path, footer.records, counts.t.records);
        mmt_reader_close(r);
        return 1;
    }
    /* A windowed trace (it has window markers) lists its windows: one more pass, over a
     * trace that holds only the recorded windows. */
    struct window_list wl = {0};
    int windowed = counts.t.events[MMT_EV_WINDOW] > 0;
    if (windowed && list_windows(r, &wl) < 0) {
        fprintf(stderr, "mmsim info: %s\n", wl.cap || !mmt_reader_error(r) ? "out of memory"
                                                                          : mmt_reader_error(r));
        free(wl.w);
        mmt_reader_close(r);
        return 1;
    }
    if (as_json)
        info_json(r, &counts, scanned, windowed ? &wl : NULL);
    else
        info_text(path, r, &counts, scanned, windowed ? &wl : NULL);
    free(wl.w);
    mmt_reader_close(r);
    return 0;
}

/* ---- dump ---- */

static void dump_event(const struct mmt_event *ev)
{
    if ((ev->type == MMT_EV_KERNEL_READ || ev->type == MMT_EV_KERNEL_WRITE) && ev->nargs == 2) {
        printf("%s %#" PRIx64 " %" PRIu64 " pid %" PRIu32 " tid %" PRIu32 "\n", mmt_event_name(ev->type),
               ev->args[0], ev->args[1], ev->pid, ev->tid);
        return;
    }
    printf("%s(", mmt_event_name(ev->type));
    for (unsigned a = 0; a < ev->nargs; a++)
        printf("%s%#" PRIx64, a ? ", " : "", ev->args[a]);
    printf(") = %" PRId64, ev->result);
    if (ev->result > 4096)
        printf(" (%#" PRIx64 ")", (uint64_t)ev->result);
    printf(" pid %" PRIu32 " tid %" PRIu32, ev->pid, ev->tid);
    if (ev->path)
        printf(" %s", ev->path);
    if (ev->type >= MMT_EVENT_TYPE_SLOTS || !strcmp(mmt_event_name(ev->type), "unknown"))
        printf(" [type %u]", ev->type);
    printf("\n");
}

static void dump_text(const struct mmt_reader *r, const struct mmt_rec *x, uint64_t n)
{
    printf("%" PRIu64 " ", n);
    switch (x->kind) {
    case MMT_SWITCH:
        printf("switch pid %" PRIu32 " tid %" PRIu64 "\n", x->aux, x->addr);
        break;
    case MMT_EVENT:
        printf("event ");
        dump_event(mmt_reader_event(r, x->aux));
        break;
    default:
        printf("%-6s %#" PRIx64 " %u\n", mmt_kind_name(x->kind), x->addr, x->size);
    }
}

static void dump_usage(FILE *f)
{
    fprintf(f, "usage: mmsim dump TRACE [--format text|lackey] [--limit N]\n"
               "  --format text    one record a line: number, kind, address, size (default)\n"
               "  --format lackey  accesses in lackey's layout ('I  %%08lx,%%lu', ' L ...');\n"
               "                   switches and events are left out\n"
               "  --limit N        stop after N records\n");
}

int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'}, {"limit", required_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int lackey = 0, c;
    uint64_t limit = UINT64_MAX;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "lackey"))
                lackey = 1;
            else if (strcmp(optarg, "text")) {
                fprintf(stderr, "mmsim dump: unknown format '%s' (text, lackey)\n", optarg);
                return 2;
            }
            break;
        case 'n':
            if (parse_size(optarg, &limit)) {
                fprintf(stderr, "mmsim dump: bad --limit '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': dump_usage(stdout); return 0;
        default: dump_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        dump_usage(stderr);
        return 2;
    }
    char err[1024];
    struct mmt_reader *r = mmt_reader_open(argv[optind], err, sizeof err);
    if (!r) {
        fprintf(stderr, "mmsim dump: %s\n", err);
        return 1;
    }
    const struct mmt_rec *recs;
    size_t n;
    uint64_t count = 0;
    int rc = 0;
    while (count < limit && (rc = mmt_reader_next(r, &recs, &n)) == 1) {
        for (size_t i = 0; i < n && count < limit; i++, count++) {
            if (!lackey)
                dump_text(r, &recs[i], count);
            else if (recs[i].kind <= MMT_MODIFY)
            {
                char line[48];
                fputs(lackey_format(line, sizeof line, &recs[i]) > 0 ? line : "", stdout);
            }
        }
    }
    int status = 0;
    if (count < limit && rc < 0) {
        fprintf(stderr, "mmsim dump: %s\n", mmt_reader_error(r));
        status = 1;
    } else if (!mmt_reader_complete(r) && count < limit) {
        fprintf(stderr, "mmsim dump: warning: %s: %s\n", argv[optind], mmt_reader_incomplete_reason(r));
    }
    if (fflush(stdout))
        status = 1;
    mmt_reader_close(r);
    return status;
}
