/* host_traits.c - the trace's host-kernel traits as config values, with the precedence
 * -s > config file > trace > default, and the report of what came from where (see
 * host_traits.h; the traits are probed by capture/kernel_probe.c). */
#include "model/host_traits.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/config.h"

/* One trait and the key that models it ("" : recorded and reported, not modelled). */
struct trait_map {
    const char *trait, *key;
};

static const struct trait_map trait_map[] = {
    {"zero_page", "memory.zero_page"},
    {"thp.enabled", "memory.thp"},
    {"thp.use_zero_page", "memory.thp_zero_page"},
    {"thp.defrag", ""},
    {"fault_around_bytes", "memory.fault_around_bytes"},
    {"page_cluster", "swap.page_cluster"},
    {"swappiness", "vmscan.swappiness"},
    {"overcommit_memory", ""},
    {"min_free_kbytes", "memory.min_free_kbytes"},
    {"watermark_scale_factor", "memory.watermark_scale_factor"},
    {"page_size", "memory.page_size"},
};
#define NTRAITS (sizeof trait_map / sizeof trait_map[0])

static int is_import(const struct mmt_reader *r)
{
    const char *b = mmt_reader_meta(r, "backend");
    return b && !strncmp(b, "import:", 7);
}

static int has_traits(const struct mmt_reader *r)
{
    for (size_t i = 0; i < mmt_reader_meta_count(r); i++)
        if (!strncmp(mmt_reader_meta_at(r, i)->key, "traits.", 7))
            return 1;
    return 0;
}

static const char *trait_value(const struct mmt_reader *r, const char *trait)
{
    char key[64];
    snprintf(key, sizeof key, "traits.%s", trait);
    return mmt_reader_meta(r, key);
}

/* The rows of the report, before any trace: every trait with its key, nothing recorded. */
static void init_rows(struct mmsim_config *c)
{
    c->traits.n = 0;
    for (size_t i = 0; i < NTRAITS && i < CFG_MAX_TRAITS; i++) {
        struct cfg_trait *t = &c->traits.t[c->traits.n++];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", trait_map[i].trait);
        snprintf(t->key, sizeof t->key, "%s", trait_map[i].key);
    }
}

/* min_free_kbytes follows the host's memory size (the kernel computes it from the memory
 * it has, and raises it for THP): taken only when the model's memory is the host's within
 * 10%; otherwise the model computes it for its own size. "" when taken, else why not. */
static void min_free_guard(const struct mmsim_config *c, const struct mmt_reader *r, char *note, size_t n)
{
    note[0] = 0;
    const char *mt = trait_value(r, "mem_total_kb");
    uint64_t host_kb;
    if (!mt || parse_u64(mt, &host_kb) || !host_kb) {
        snprintf(note, n, "host memory size not recorded");
        return;
    }
    uint64_t model_kb = c->memory.size >> 10;
    if (c->memory.unlimited || model_kb * 10 < host_kb * 9 || model_kb * 10 > host_kb * 11)
        snprintf(note, n, "host memory %.1f GiB, memory.size %.1f GiB: computed for the model",
                 (double)host_kb / (1 << 20), (double)model_kb / (1 << 20));
}

/* Takes one recorded value for its key, unless a file or -s set the key; a value the
 * config rejects is an error, one that fails validation (out of the model's range) is
 * noted and left out. */
static int take_trait(struct mmsim_config *c, struct cfg_trait *t, const struct mmt_reader *r,
                      const char *name, struct mmsim_config *scratch, char *err, size_t errlen)
{
    struct cfg_loc loc;
    if (!t->key[0] || !t->recorded[0] || config_key_loc(c, t->key, &loc) || loc.file != -1)
        return 0;
    if (!strcmp(t->name, "min_free_kbytes")) {
        min_free_guard(c, r, t->note, sizeof t->note);
        if (t->note[0])
            return 0;
    }
    char assign[128], what[CFG_PATH_MAX + 64], verr[512];
    snprintf(assign, sizeof assign, "%s=%s", t->key, t->recorded);
    snprintf(what, sizeof what, "%s: metadata traits.%s", name, t->name);
    *scratch = *c;
    if (config_set_trait(scratch, assign, what, err, errlen))
        return -1;
    if (config_validate(scratch, verr, sizeof verr)) {
        snprintf(t->note, sizeof t->note, "not taken: %.80s", verr);
        return 0;
    }
    *c = *scratch;
    return 0;
}

/* A later trace recorded on a kernel with other traits: the first trace's stay. */
static void warn_if_different(const struct mmsim_config *c, const struct mmt_reader *r, const char *name)
{
    for (uint32_t i = 0; i < c->traits.n; i++) {
        const struct cfg_trait *t = &c->traits.t[i];
        const char *v = trait_value(r, t->name);
        if (t->key[0] && v && strcmp(v, t->recorded))
            fprintf(stderr, "mmsim replay: warning: %s: traits.%s is %s, %s's is %s; replaying with %s's\n",
                    name, t->name, v, c->traits.trace, t->recorded[0] ? t->recorded : "(none)", c->traits.trace);
    }
}

int host_traits_apply(struct mmsim_config *c, const struct mmt_reader *r, const char *name,
                      char *err, size_t errlen)
{
    if (c->traits.trace[0]) {
        if (!is_import(r) && has_traits(r))
            warn_if_different(c, r, name);
        return 0;
    }
    if (!c->traits.n)
        init_rows(c);
    if (is_import(r) || !has_traits(r)) {
        if (!c->traits.origin[0])
            snprintf(c->traits.origin, sizeof c->traits.origin, "%s",
                     is_import(r) ? "imported trace: the config's values" : "no traits recorded: the config's values");
        return 0;
    }
    snprintf(c->traits.trace, sizeof c->traits.trace, "%s", name);
    snprintf(c->traits.origin, sizeof c->traits.origin, "trace");
    const char *rel = trait_value(r, "kernel_release");
    snprintf(c->traits.release, sizeof c->traits.release, "%s", rel ? rel : "");
    struct mmsim_config *scratch = malloc(sizeof *scratch);
    if (!scratch) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    int rc = 0;
    for (uint32_t i = 0; i < c->traits.n && !rc; i++) {
        struct cfg_trait *t = &c->traits.t[i];
        const char *v = trait_value(r, t->name);
        snprintf(t->recorded, sizeof t->recorded, "%s", v ? v : "");
        rc = take_trait(c, t, r, name, scratch, err, errlen);
    }
    free(scratch);
    return rc;
}

/* Where the key's value came from: "cmdline", "config", "trace" or "default". */
static const char *source_of(const struct mmsim_config *c, const char *key, char *where, size_t n)
{
    struct cfg_loc loc = {-1, 0};
    config_key_loc(c, key, &loc);
    config_loc_name(c, loc, where, n);
    return loc.file == CFG_LOC_OVERRIDE ? "cmdline" : loc.file == CFG_LOC_TRACE ? "trace"
           : loc.file >= 0              ? "config"
                                        : "default";
}

void host_traits_report_json(const struct mmsim_config *c, struct json *j)
{
    json_obj_begin(j, "kernel_traits");
    json_str(j, "trace", c->traits.trace[0] ? c->traits.trace : NULL);
    json_str(j, "origin", c->traits.origin[0] ? c->traits.origin : "no trace");
    json_str(j, "kernel_release", c->traits.release[0] ? c->traits.release : NULL);
    json_str(j, "precedence", "cmdline > config > trace > default");
    json_arr_begin(j, "traits");
    for (uint32_t i = 0; i < c->traits.n; i++) {
        const struct cfg_trait *t = &c->traits.t[i];
        char value[64], where[CFG_PATH_MAX + 32];
        json_obj_begin(j, NULL);
        json_str(j, "trait", t->name);
        json_str(j, "recorded", t->recorded[0] ? t->recorded : NULL);
        json_str(j, "key", t->key[0] ? t->key : NULL);
        if (t->key[0] && !config_get(c, t->key, value, sizeof value)) {
            json_str(j, "value", value);
            json_str(j, "source", source_of(c, t->key, where, sizeof where));
            json_str(j, "where", where);
        } else {
            json_str(j, "source", "not modelled");
        }
        if (t->note[0])
            json_str(j, "note", t->note);
        json_obj_end(j);
    }
    json_arr_end(j);
    json_obj_end(j);
}

void host_traits_report_text(const struct mmsim_config *c, FILE *f)
{
    if (!c->traits.n)
        return;
    if (c->traits.trace[0])
        fprintf(f, "\n  Kernel traits of %s (recorded on %s); -s > config file > trace > default:\n",
                c->traits.trace, c->traits.release[0] ? c->traits.release : "an unnamed kernel");
    else
        fprintf(f, "\n  Kernel traits: %s; -s > config file > trace > default:\n", c->traits.origin);
    for (uint32_t i = 0; i < c->traits.n; i++) {
        const struct cfg_trait *t = &c->traits.t[i];
        char value[64], where[CFG_PATH_MAX + 32];
        fprintf(f, "    %-24s %-10s", t->name, t->recorded[0] ? t->recorded : "-");
        if (t->key[0] && !config_get(c, t->key, value, sizeof value)) {
            const char *src = source_of(c, t->key, where, sizeof where);
            fprintf(f, " %s = %s (%s%s%s)", t->key, value, src, strcmp(src, "config") ? "" : " ",
                    strcmp(src, "config") ? "" : where);
        } else {
            fprintf(f, " not modelled");
        }
        if (t->note[0])
            fprintf(f, "; %s", t->note);
        fprintf(f, "\n");
    }
}

int host_traits_apply_traces(struct mmsim_config *c, char *const *traces, int ntraces, char *err,
                             size_t errlen)
{
    for (int i = 0; i < ntraces; i++) {
        char oerr[512];
        struct mmt_reader *r = mmt_reader_open(traces[i], oerr, sizeof oerr);
        if (!r)
            continue;
        int rc = host_traits_apply(c, r, traces[i], err, errlen);
        mmt_reader_close(r);
        if (rc)
            return -1;
    }
    return 0;
}
