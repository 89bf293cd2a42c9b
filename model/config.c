/* config.c - the configuration engine: reads INI files with inih, includes and -s
 * overrides with the key tables of every section (model/config_key.h, config_keys.c),
 * with file:line:key in every message; defaults and ranges from the tables; prints the
 * configuration. The keys themselves, the checks that span keys and the `mmsim config`
 * verb are config_keys.c's. */
#include "model/config.h"

#include <ini.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "model/assoc.h"
#include "model/config_key.h"
#include "model/swap.h"
#include "model/vmscan.h"

static const char *const psize_names[] = {"4K", "2M", "1G"};

const char *config_psize_name(unsigned psize)
{
    return psize < 3 ? psize_names[psize] : "?";
}

/* ---- parsing ---- */

struct parse_ctx {
    struct mmsim_config *c;
    const char *path; /* the file being read (for includes and messages) */
    int file;         /* index in c->files, or CFG_LOC_OVERRIDE */
    int line;         /* current line (counted by the reader) */
    int depth;
    int failed;
    int fail_file, fail_line; /* where the first error was */
    const char *only_section; /* non-NULL: keys of other sections are passed over */
    char *err;
    size_t errlen;
};

static void format_loc(const struct mmsim_config *c, struct cfg_loc loc, char *buf, size_t len)
{
    if (loc.file == CFG_LOC_OVERRIDE)
        snprintf(buf, len, "-s option %d", (int)loc.line);
    else if (loc.file == CFG_LOC_TRACE)
        snprintf(buf, len, "trace");
    else if (loc.file >= 0 && (uint32_t)loc.file < c->nfiles)
        snprintf(buf, len, "%s:%d", c->files[loc.file], (int)loc.line);
    else
        snprintf(buf, len, "default");
}

static int fail(struct parse_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse_ctx *x, const char *fmt, ...)
{
    if (x->failed)
        return 0;
    x->failed = 1;
    x->fail_file = x->file;
    x->fail_line = x->line;
    char where[CFG_PATH_MAX + 32];
    format_loc(x->c, (struct cfg_loc){(int16_t)x->file, x->line}, where, sizeof where);
    int n = snprintf(x->err, x->errlen, "%s: ", where);
    if (n < 0 || (size_t)n >= x->errlen)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return 0;
}

static int parse_name_list(const char *v, const char *const *names, unsigned n, uint32_t *out)
{
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return 0;
        }
    return -1;
}

static int parse_psizes(const char *v, uint32_t *mask)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    uint32_t m = 0;
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        uint32_t i;
        if (parse_name_list(t, psize_names, 3, &i) == 0) {
            m |= 1u << i;
            continue;
        }
        if (!strcmp(t, "4k") || !strcmp(t, "4096"))
            m |= 1u << PSIZE_4K;
        else if (!strcmp(t, "2m"))
            m |= 1u << PSIZE_2M;
        else if (!strcmp(t, "1g"))
            m |= 1u << PSIZE_1G;
        else
            return -1;
    }
    if (!m)
        return -1;
    *mask = m;
    return 0;
}

static int parse_u32_list(const char *v, uint32_t *vals, uint32_t *count)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    uint32_t n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        uint64_t x;
        if (n >= CFG_MAX_PAGE_SIZES || parse_u64(t, &x) || x > UINT32_MAX)
            return -1;
        vals[n++] = (uint32_t)x;
    }
    if (!n)
        return -1;
    *count = n;
    return 0;
}

/* "a, b or c" from a NULL-terminated list of names. */
void cfg_names_phrase(const char *const *names, char *buf, size_t len)
{
    size_t n = 0, at = 0;
    while (names[n])
        n++;
    buf[0] = 0;
    for (size_t i = 0; i < n && at < len; i++) {
        int w = snprintf(buf + at, len - at, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

/* Stores value into the field of desc inside base; -1 with *expect describing the form
 * (expect_buf holds it when it is made up from the key's names). */
static int store_value(const struct cfg_key *d, char *base, const char *v, const char **expect,
                       char *expect_buf, size_t expect_len)
{
    uint64_t u;
    double dv;
    void *p = base + d->off;
    switch (d->type) {
    case CFG_U32:
        *expect = "a whole number";
        if (parse_u64(v, &u) || u > UINT32_MAX)
            return -1;
        *(uint32_t *)p = (uint32_t)u;
        return 0;
    case CFG_U64:
        *expect = "a whole number";
        if (parse_u64(v, &u))
            return -1;
        *(uint64_t *)p = u;
        return 0;
    case CFG_SIZE:
        *expect = "a size (4096, 32K, 2M, 1G)";
        if (parse_size(v, &u))
            return -1;
        *(uint64_t *)p = u;
        return 0;
    case CFG_DOUBLE:
        *expect = "a positive number";
        if (parse_double(v, &dv) || !(dv >= 0) || dv > 1e12)
            return -1;
        *(double *)p = dv;
        return 0;
    case CFG_BOOL:
        *expect = "0 or 1";
        if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
            *(int *)p = 1;
        else if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
            *(int *)p = 0;
        else
            return -1;
        return 0;
    case CFG_NAME:
        *expect = "a name of letters, digits, '_' or '-' (up to 31)";
        if (strlen(v) >= CFG_NAME_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(v))
            return -1;
        strcpy((char *)p, v);
        return 0;
    case CFG_POLICY: {
        enum assoc_policy pol;
        *expect = "lru, plru, fifo or random";
        if (assoc_policy_parse(v, &pol))
            return -1;
        *(uint32_t *)p = (uint32_t)pol;
        return 0;
    }
    case CFG_ENUM:
        cfg_names_phrase(d->names, expect_buf, expect_len);
        *expect = expect_buf;
        for (uint32_t i = 0; d->names[i]; i++)
            if (!strcmp(v, d->names[i])) {
                *(uint32_t *)p = i;
                return 0;
            }
        return -1;
    case CFG_PSIZES:
        *expect = "page sizes from 4K,2M,1G";
        return parse_psizes(v, (uint32_t *)p);
    case CFG_LIST_U32:
        *expect = "a number or a comma-separated list of up to 3";
        return parse_u32_list(v, (uint32_t *)p, (uint32_t *)(base + d->count_off));
    case CFG_DURATION:
        *expect = "a duration (1200, 50us, 4.2ms, 1s; bare numbers are ns)";
        if (swap_parse_duration(v, &u))
            return -1;
        *(uint64_t *)p = u;
        return 0;
    case CFG_I32: {
        *expect = "a whole number"; /* each key's range is checked with the others' */
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno || x < INT32_MIN || x > INT32_MAX)
            return -1;
        *(int32_t *)p = (int32_t)x;
        return 0;
    }
    }
    return -1;
}

static const struct cfg_key *find_key(const struct cfg_key *keys, const char *name)
{
    for (; keys->key; keys++)
        if (!strcmp(keys->key, name))
            return keys;
    return NULL;
}

static int valid_instance_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < CFG_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* Finds or creates the struct a section's keys write into. */
static char *section_base(struct parse_ctx *x, const struct cfg_section *s, const char *inst)
{
    struct mmsim_config *c = x->c;
    struct cfg_loc here = {(int16_t)x->file, x->line};
    if (s->kind == CFG_SEC_GLOBAL)
        return (char *)c + s->off;
    if (!valid_instance_name(inst)) {
        fail(x, "[%s.%s]: bad %s name (letters, digits, '_', '-', up to 31)", s->name, inst, s->name);
        return NULL;
    }
    if (s->kind == CFG_SEC_TLB) {
        int i = config_find_tlb(c, inst);
        if (i >= 0)
            return (char *)&c->tlb[i];
        if (c->ntlb >= CFG_MAX_TLBS) {
            fail(x, "[tlb.%s]: more than %d TLBs", inst, CFG_MAX_TLBS);
            return NULL;
        }
        config_tlb_defaults(&c->tlb[c->ntlb], inst);
        c->tlb[c->ntlb].loc = here;
        return (char *)&c->tlb[c->ntlb++];
    }
    int i = config_find_cache(c, inst);
    if (i >= 0)
        return (char *)&c->cache[i];
    if (c->ncache >= CFG_MAX_CACHES) {
        fail(x, "[cache.%s]: more than %d caches", inst, CFG_MAX_CACHES);
        return NULL;
    }
    config_cache_defaults(&c->cache[c->ncache], inst);
    c->cache[c->ncache].loc = here;
    return (char *)&c->cache[c->ncache++];
}

static int parse_file(struct parse_ctx *x, const char *path);

/* The position of key d of global section s among the keys of every global section, in
 * table order: its slot in mmsim_config.global_loc. */
static size_t global_key_index(const struct cfg_section *s, const struct cfg_key *d)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg_nsections; i++) {
        if (cfg_sections[i].kind != CFG_SEC_GLOBAL)
            continue;
        for (const struct cfg_key *k = cfg_sections[i].keys; k->key; k++, n++)
            if (&cfg_sections[i] == s && k == d)
                return n;
    }
    return 0; /* not reached: d is a key of s */
}

/* Splits "section.key" (tlb.X.key, cache.X.key included) into its section and key. */
static int split_key(const char *full, char *sec, size_t seclen, const char **key)
{
    const char *d1 = strchr(full, '.');
    if (!d1)
        return -1;
    const char *split = d1;
    if (!strncmp(full, "tlb.", 4) || !strncmp(full, "cache.", 6))
        if (!(split = strchr(d1 + 1, '.')))
            return -1;
    if ((size_t)(split - full) >= seclen)
        return -1;
    memcpy(sec, full, (size_t)(split - full));
    sec[split - full] = 0;
    *key = split + 1;
    return 0;
}

static const struct cfg_section *find_section(const char *name)
{
    for (size_t i = 0; i < cfg_nsections; i++)
        if (!strcmp(cfg_sections[i].name, name))
            return &cfg_sections[i];
    return NULL;
}

static const struct cfg_section *find_global_section(const char *name)
{
    for (size_t i = 0; i < cfg_nsections; i++)
        if (cfg_sections[i].kind == CFG_SEC_GLOBAL && !strcmp(cfg_sections[i].name, name))
            return &cfg_sections[i];
    return NULL;
}

static int do_include(struct parse_ctx *x, const char *value)
{
    char full[CFG_PATH_MAX];
    const char *slash = strrchr(x->path, '/');
    if (value[0] == '/' || !slash || x->file == CFG_LOC_OVERRIDE)
        snprintf(full, sizeof full, "%s", value);
    else
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - x->path), x->path, value);
    if (x->depth >= 8)
        return fail(x, "include: nested too deep (a loop?) at '%s'", value);
    struct parse_ctx sub = *x;
    sub.depth++;
    int rc = parse_file(&sub, full);
    if (rc) {
        x->failed = 1;
        return 0;
    }
    return 1;
}

/* Applies one key of one section; section "tlb.l1d" or "cpu". */
static int apply(struct parse_ctx *x, const char *section, const char *name, const char *value)
{
    if (!strcmp(name, "include"))
        return do_include(x, value);
    if (!section[0])
        return fail(x, "%s: key outside any section", name);
    char pre[CFG_NAME_MAX];
    const char *dot = strchr(section, '.');
    size_t plen = dot ? (size_t)(dot - section) : strlen(section);
    if (plen >= sizeof pre)
        return fail(x, "[%s]: unknown section", section);
    memcpy(pre, section, plen);
    pre[plen] = 0;
    const struct cfg_section *s = find_section(pre);
    if (x->only_section && (!s || strcmp(s->name, x->only_section)))
        return 1; /* config_load_swap: other sections are not its business */
    if (!s || (s->kind == CFG_SEC_GLOBAL) != (dot == NULL)) {
        char known[256] = "";
        for (size_t i = 0; i < cfg_nsections; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s%s", i ? ", " : "",
                     cfg_sections[i].name, cfg_sections[i].kind == CFG_SEC_GLOBAL ? "" : ".<name>");
        return fail(x, "[%s]: unknown section (known: %s)", section, known);
    }
    const struct cfg_key *d = find_key(s->keys, name);
    if (!d)
        return fail(x, "%s.%s: unknown key", section, name);
    char *base = section_base(x, s, dot ? dot + 1 : "");
    if (!base)
        return 0;
    const char *expect = "";
    char names[128];
    if (store_value(d, base, value, &expect, names, sizeof names))
        return fail(x, "%s.%s: bad value '%s' (expected %s)", section, name, value, expect);
    if (d->loc_off)
        *(struct cfg_loc *)(base + d->loc_off) = (struct cfg_loc){(int16_t)x->file, x->line};
    size_t gi = s->kind == CFG_SEC_GLOBAL ? global_key_index(s, d) : CFG_MAX_GLOBAL_KEYS;
    if (gi < CFG_MAX_GLOBAL_KEYS)
        x->c->global_loc[gi] = (struct cfg_loc){(int16_t)x->file, x->line};
    return 1;
}

static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *x = user;
    if (x->failed)
        return 0;
    return apply(x, section, name, value);
}

/* fgets-like reader over a memory buffer that counts lines; a line longer than the buffer
 * is cut and flagged so one call is always one line. */
struct line_reader {
    const char *p, *end;
    struct parse_ctx *x;
};

static char *read_line(char *str, int num, void *stream)
{
    struct line_reader *r = stream;
    if (r->p >= r->end || num < 2)
        return NULL;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = nl ? nl + 1 : r->end;
    size_t len = (size_t)(stop - r->p);
    r->x->line++;
    if (len > (size_t)num - 1) {
        fail(r->x, "line longer than %d characters", num - 3);
        len = (size_t)num - 1;
    }
    memcpy(str, r->p, len);
    for (size_t i = 0; i < len; i++)
        if (str[i] == 0)
            str[i] = ' '; /* NUL bytes would cut the line short */
    str[len] = 0;
    r->p = stop;
    return str;
}

static int register_file(struct parse_ctx *x, const char *path)
{
    struct mmsim_config *c = x->c;
    if (c->nfiles >= CFG_MAX_FILES)
        return fail(x, "%s: more than %d config files", path, CFG_MAX_FILES), -1;
    snprintf(c->files[c->nfiles], CFG_PATH_MAX, "%s", path);
    x->file = (int)c->nfiles++;
    return 0;
}

static int parse_text(struct parse_ctx *x, const char *text, size_t len)
{
    struct line_reader r = {text, text + len, x};
    x->line = 0;
    int rc = ini_parse_stream(read_line, &r, ini_cb, x);
    /* inih reports its own (syntax) errors only at the end: keep whichever came first */
    int earlier = rc > 0 && x->failed && x->fail_file == x->file && rc < x->fail_line;
    if (rc != 0 && (!x->failed || earlier)) {
        x->failed = 0;
        x->line = rc > 0 ? rc : x->line;
        fail(x, "syntax error (expected [section] or key = value)");
    }
    return x->failed ? -1 : 0;
}

static int parse_file(struct parse_ctx *x, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (x->depth == 0)
            snprintf(x->err, x->errlen, "%s: cannot open: %s", path, strerror(errno));
        else
            fail(x, "include '%s': cannot open: %s", path, strerror(errno));
        x->failed = 1;
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            if (cap > (1u << 22))
                break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    /* a directory opens but does not read; an empty file is a wrong path more often than
     * a wish for every default */
    const char *bad = !buf ? "out of memory" : ferror(f) ? strerror(errno) : !len ? "empty file" : NULL;
    fclose(f);
    if (bad) {
        if (x->depth == 0)
            snprintf(x->err, x->errlen, "%s: cannot read: %s", path, bad);
        else
            fail(x, "include '%s': cannot read: %s", path, bad);
        x->failed = 1;
        free(buf);
        return -1;
    }
    struct parse_ctx sub = *x;
    sub.path = path;
    int rc = register_file(&sub, path);
    if (!rc)
        rc = parse_text(&sub, buf, len);
    free(buf);
    x->failed = sub.failed;
    return rc;
}

int config_load(struct mmsim_config *c, const char *path, char *err, size_t errlen)
{
    struct parse_ctx x = {.c = c, .path = path, .err = err, .errlen = errlen};
    return parse_file(&x, path);
}

int config_load_swap(struct swap_config *out, const char *path, char *err, size_t errlen)
{
    struct mmsim_config *c = malloc(sizeof *c);
    if (!c) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    config_defaults(c);
    struct stat st;
    int rc = -1;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        /* an empty preset holds no [swap] keys: say that rather than "empty file" */
    } else {
        struct parse_ctx x = {.c = c, .path = path, .err = err, .errlen = errlen,
                              .only_section = "swap"};
        if (parse_file(&x, path)) {
            *out = c->swap; /* the keys read before the error, as config_load leaves them */
            goto out;
        }
    }
    const struct cfg_section *swap = find_global_section("swap");
    int seen = 0;
    for (const struct cfg_key *k = swap->keys; k->key; k++)
        seen |= c->global_loc[global_key_index(swap, k)].file != -1;
    if (!seen) {
        /* an unrelated file would otherwise give every default: a silent mistake */
        snprintf(err, errlen, "%s: no [swap] section with keys (a device preset such as configs/swap/nvme.ini)", path);
        goto out;
    }
    char msg[128];
    if (swap_config_check(&c->swap, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", path, msg);
        goto out;
    }
    *out = c->swap;
    rc = 0;
out:
    free(c);
    return rc;
}

int config_load_string(struct mmsim_config *c, const char *text, const char *name, char *err,
                       size_t errlen)
{
    struct parse_ctx x = {.c = c, .path = name, .err = err, .errlen = errlen};
    if (register_file(&x, name))
        return -1;
    return parse_text(&x, text, strlen(text));
}

int config_set(struct mmsim_config *c, const char *assignment, int argpos, char *err,
               size_t errlen)
{
    struct parse_ctx x = {.c = c, .path = "-s", .file = CFG_LOC_OVERRIDE, .line = argpos,
                          .err = err, .errlen = errlen};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", assignment);
    char *eq = strchr(buf, '=');
    if (!eq || eq == buf)
        return fail(&x, "'%s': expected section.key=value", assignment), -1;
    *eq = 0;
    const char *value = eq + 1;
    /* [tlb.X] and [cache.X] sections have a dot of their own */
    char *d1 = strchr(buf, '.');
    if (!d1)
        return fail(&x, "'%s': expected section.key=value", assignment), -1;
    char *split = d1;
    if (!strncmp(buf, "tlb.", 4) || !strncmp(buf, "cache.", 6)) {
        split = strchr(d1 + 1, '.');
        if (!split)
            return fail(&x, "'%s': expected %.*s.NAME.key=value", assignment, (int)(d1 - buf), buf), -1;
    }
    *split = 0;
    return apply(&x, buf, split + 1, value) ? 0 : -1;
}

int config_set_trait(struct mmsim_config *c, const char *assignment, const char *what, char *err,
                     size_t errlen)
{
    struct parse_ctx x = {.c = c, .path = what, .file = CFG_LOC_TRACE, .line = 0, .err = err,
                          .errlen = errlen};
    char buf[256], sec[CFG_NAME_MAX * 2 + 8];
    snprintf(buf, sizeof buf, "%s", assignment);
    char *eq = strchr(buf, '=');
    const char *key;
    if (!eq || (*eq = 0, split_key(buf, sec, sizeof sec, &key)))
        return snprintf(err, errlen, "%s: '%s': expected section.key=value", what, assignment), -1;
    if (apply(&x, sec, key, eq + 1))
        return 0;
    /* apply's message starts with "trace: "; name the trace and its metadata key instead */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", err + (strncmp(err, "trace: ", 7) ? 0 : 7));
    snprintf(err, errlen, "%s: %s", what, msg);
    return -1;
}

int config_key_loc(const struct mmsim_config *c, const char *key, struct cfg_loc *loc)
{
    char sec[CFG_NAME_MAX * 2 + 8];
    const char *name;
    if (split_key(key, sec, sizeof sec, &name))
        return -1;
    const struct cfg_section *s = find_global_section(sec);
    const struct cfg_key *d = s ? find_key(s->keys, name) : NULL;
    if (!d)
        return -1;
    size_t gi = global_key_index(s, d);
    *loc = gi < CFG_MAX_GLOBAL_KEYS ? c->global_loc[gi] : (struct cfg_loc){-1, 0};
    return 0;
}

void config_loc_name(const struct mmsim_config *c, struct cfg_loc loc, char *buf, size_t len)
{
    format_loc(c, loc, buf, len);
}

/* ---- a module's table: defaults and ranges ---- */

void cfg_keys_defaults(const struct cfg_key *keys, void *base)
{
    for (const struct cfg_key *d = keys; d->key; d++) {
        const char *expect;
        char names[128];
        if (d->def && store_value(d, base, d->def, &expect, names, sizeof names))
            abort(); /* a table's default that its own type refuses: caught by every test */
    }
}

static int key_number(const struct cfg_key *d, const void *base, double *v)
{
    const char *p = (const char *)base + d->off;
    switch (d->type) {
    case CFG_U32: *v = *(const uint32_t *)p; return 0;
    case CFG_U64: case CFG_SIZE: case CFG_DURATION: *v = (double)*(const uint64_t *)p; return 0;
    case CFG_I32: *v = *(const int32_t *)p; return 0;
    case CFG_DOUBLE: *v = *(const double *)p; return 0;
    default: return -1;
    }
}

int cfg_keys_check(const struct cfg_key *keys, const char *section, const void *base, char *err,
                   size_t errlen)
{
    for (const struct cfg_key *d = keys; d->key; d++) {
        double v;
        if (d->min <= d->max && !key_number(d, base, &v) && (v < d->min || v > d->max)) {
            snprintf(err, errlen, "%s.%s: %.15g is not in %.15g..%.15g", section, d->key, v, d->min, d->max);
            return -1;
        }
        if (d->type != CFG_NAME || !d->names)
            continue;
        const char *name = (const char *)base + d->off;
        int ok = 0;
        for (const char *const *n = d->names; *n; n++)
            ok |= !strcmp(*n, name);
        if (!ok) {
            char names[128];
            cfg_names_phrase(d->names, names, sizeof names);
            snprintf(err, errlen, "%s.%s: '%s' (%s)", section, d->key, name, names);
            return -1;
        }
    }
    return 0;
}

int config_from_args(struct mmsim_config *c, const char *path, char *const *sets, int nsets,
                     char *err, size_t errlen)
{
    config_defaults(c);
    if (path && config_load(c, path, err, errlen))
        return -1;
    for (int i = 0; i < nsets; i++)
        if (config_set(c, sets[i], i + 1, err, errlen))
            return -1;
    return config_validate(c, err, errlen);
}

/* ---- printing ---- */

static void print_value(FILE *f, const struct cfg_key *d, const char *base)
{
    const void *p = base + d->off;
    switch (d->type) {
    case CFG_U32:
        fprintf(f, "%u", *(const uint32_t *)p);
        break;
    case CFG_U64:
    case CFG_SIZE:
    case CFG_DURATION:
        fprintf(f, "%" PRIu64, *(const uint64_t *)p);
        break;
    case CFG_I32:
        fprintf(f, "%d", *(const int32_t *)p);
        break;
    case CFG_DOUBLE:
        fprintf(f, "%g", *(const double *)p);
        break;
    case CFG_BOOL:
        fprintf(f, "%d", *(const int *)p);
        break;
    case CFG_NAME:
        fprintf(f, "%s", (const char *)p);
        break;
    case CFG_POLICY:
        fprintf(f, "%s", assoc_policy_name(*(const uint32_t *)p));
        break;
    case CFG_ENUM: {
        uint32_t k = *(const uint32_t *)p, n = 0;
        while (d->names[n])
            n++;
        fprintf(f, "%s", k < n ? d->names[k] : "?");
        break;
    }
    case CFG_PSIZES: {
        uint32_t m = *(const uint32_t *)p;
        const char *sep = "";
        for (unsigned i = 0; i < 3; i++)
            if (m & (1u << i)) {
                fprintf(f, "%s%s", sep, psize_names[i]);
                sep = ",";
            }
        break;
    }
    case CFG_LIST_U32: {
        const uint32_t *v = p;
        uint32_t n = *(const uint32_t *)(base + d->count_off);
        for (uint32_t i = 0; i < n; i++)
            fprintf(f, "%s%u", i ? "," : "", v[i]);
        break;
    }
    }
}

int config_get(const struct mmsim_config *c, const char *key, char *buf, size_t len)
{
    char sec[CFG_NAME_MAX * 2 + 8];
    const char *name;
    if (len == 0 || split_key(key, sec, sizeof sec, &name))
        return -1;
    const char *dot = strchr(sec, '.');
    const struct cfg_key *d = NULL;
    const char *base = (const char *)c;
    if (!dot) {
        const struct cfg_section *s = find_global_section(sec);
        d = s ? find_key(s->keys, name) : NULL;
        base += s ? s->off : 0;
    } else if (!strncmp(sec, "tlb.", 4) && config_find_tlb(c, dot + 1) >= 0) {
        d = find_key(find_section("tlb")->keys, name);
        base = (const char *)&c->tlb[config_find_tlb(c, dot + 1)];
    } else if (!strncmp(sec, "cache.", 6) && config_find_cache(c, dot + 1) >= 0) {
        d = find_key(find_section("cache")->keys, name);
        base = (const char *)&c->cache[config_find_cache(c, dot + 1)];
    }
    if (!d)
        return -1;
    FILE *f = fmemopen(buf, len, "w");
    if (!f)
        return -1;
    setbuf(f, NULL);
    print_value(f, d, base);
    fclose(f);
    buf[len - 1] = 0;
    return 0;
}

static void print_keys(FILE *f, const struct cfg_key *keys, const char *base)
{
    for (const struct cfg_key *d = keys; d->key; d++) {
        fprintf(f, "%s = ", d->key);
        print_value(f, d, base);
        fprintf(f, "    ; %s\n", d->help);
    }
}

static void print_section(const struct mmsim_config *c, const struct cfg_section *sd, FILE *f)
{
    if (sd->kind == CFG_SEC_GLOBAL) {
        fprintf(f, "[%s]\n", sd->name);
        print_keys(f, sd->keys, (const char *)c + sd->off);
        fprintf(f, "\n");
    } else if (sd->kind == CFG_SEC_TLB) {
        for (uint32_t i = 0; i < c->ntlb; i++) {
            fprintf(f, "[tlb.%s]\n", c->tlb[i].name);
            print_keys(f, sd->keys, (const char *)&c->tlb[i]);
            fprintf(f, "\n");
        }
    } else {
        for (uint32_t i = 0; i < c->ncache; i++) {
            fprintf(f, "[cache.%s]\n", c->cache[i].name);
            print_keys(f, sd->keys, (const char *)&c->cache[i]);
            fprintf(f, "\n");
        }
    }
}

void config_print(const struct mmsim_config *c, FILE *f)
{
    for (size_t s = 0; s < cfg_nsections; s++)
        print_section(c, &cfg_sections[s], f);
}

int config_print_section(const struct mmsim_config *c, const char *section, FILE *f)
{
    const struct cfg_section *sd = find_section(section);
    if (!sd)
        return -1;
    print_section(c, sd, f);
    return 0;
}

/* configs/default.ini here, else beside the binary: bin/../configs (a build tree) or
 * bin/../share/mmsim/configs (an install at any PREFIX), so the default machine does not
 * depend on the folder mmsim runs in. NULL: the built-in defaults. */
const char *config_default_path(char *buf, size_t n)
{
    static const char *const beside_bin[] = {"/../configs/default.ini",
                                             "/../share/mmsim/configs/default.ini"};
    if (access("configs/default.ini", R_OK) == 0)
        return "configs/default.ini";
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return NULL;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    for (size_t i = 0; i < sizeof beside_bin / sizeof beside_bin[0]; i++) {
        snprintf(buf, n, "%s%s", exe, beside_bin[i]);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return NULL;
}
