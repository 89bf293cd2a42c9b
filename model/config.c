/* config.c - INI configuration with inih: a table of sections and keys, includes, -s
 * overrides, validation with file:line:key in every message, and `mmsim config show`. */
#include "model/config.h"

#include <ini.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "model/assoc.h"
#include "model/swap.h"
#include "model/vmscan.h"
#include "verbs.h"

enum key_type {
    K_U32, K_U64, K_SIZE, K_DOUBLE, K_BOOL, K_NAME, K_POLICY, K_KIND, K_PSIZES, K_LIST_U32,
    K_DURATION, K_I32
};

/* One configuration key. `off` is into the section's struct (the whole config for global
 * sections, one tlb_config/cache_config for [tlb.X]/[cache.X]); `count_off` is the element
 * count of a list; `loc_off` (optional, 0 = none) records where the key was set. */
struct key_desc {
    const char *key;
    enum key_type type;
    size_t off, count_off, loc_off;
    const char *help;
};

#define CK(k, t, field, help) {k, t, offsetof(struct mmsim_config, field), 0, 0, help}
#define TK(k, t, field, cnt, loc, help) {k, t, offsetof(struct tlb_config, field), cnt, loc, help}
#define CCK(k, t, field, loc, help) {k, t, offsetof(struct cache_config, field), 0, loc, help}

static const struct key_desc cpu_keys[] = {
    CK("count", K_U32, cpu.count, "CPUs"),
    CK("base_cpi", K_DOUBLE, cpu.base_cpi, "cycles per instruction with perfect memory"),
    CK("freq_ghz", K_DOUBLE, cpu.freq_ghz, "clock, converts ns to cycles"),
    CK("quantum", K_U64, cpu.quantum, "cycles a process runs before the next is picked"),
    CK("context_switch", K_U64, cpu.context_switch, "cycles per switch between processes"),
    CK("pcid", K_BOOL, cpu.pcid, "1: PCID-tagged TLBs; 0: flush TLBs on a switch"),
    {0},
};

static const struct key_desc walker_keys[] = {
    CK("levels", K_U32, walker.levels, "page-table levels: 4 or 5"),
    CK("memory_latency", K_U32, walker.memory_latency, "cycles per page-table read without caches"),
    CK("latency", K_U32, walker.latency, "fixed cycles per walk"),
    CK("psc.pml5.entries", K_U32, walker.psc_entries[5], "PML5E cache entries"),
    CK("psc.pml5.ways", K_U32, walker.psc_ways[5], "0: fully associative"),
    CK("psc.pml4.entries", K_U32, walker.psc_entries[4], "PML4E cache entries"),
    CK("psc.pml4.ways", K_U32, walker.psc_ways[4], "0: fully associative"),
    CK("psc.pdpt.entries", K_U32, walker.psc_entries[3], "PDPTE cache entries"),
    CK("psc.pdpt.ways", K_U32, walker.psc_ways[3], "0: fully associative"),
    CK("psc.pd.entries", K_U32, walker.psc_entries[2], "PDE cache entries"),
    CK("psc.pd.ways", K_U32, walker.psc_ways[2], "0: fully associative"),
    {0},
};

static const struct key_desc memory_keys[] = {
    CK("size", K_SIZE, memory.size, "physical memory"),
    CK("page_size", K_SIZE, memory.page_size, "base page: 4K, 16K or 64K"),
    CK("unlimited", K_BOOL, memory.unlimited, "1: memory never runs out"),
    CK("latency", K_U32, memory.latency, "cycles of a read that misses every cache"),
    CK("zero_page", K_BOOL, memory.zero_page, "on: a read of a never-touched anonymous page maps the zero page; off: it allocates one"),
    CK("thp", K_NAME, memory.thp, "transparent huge pages: never, madvise or always"),
    CK("thp_zero_page", K_BOOL, memory.thp_zero_page, "1: a read of a THP region maps the huge zero page"),
    CK("fault_around_bytes", K_SIZE, memory.fault_around_bytes, "file fault-around window (power of 2)"),
    CK("page_cache", K_NAME, memory.page_cache, "warm: file pages start cached; cold: read on first use"),
    CK("read_ahead", K_SIZE, memory.read_ahead, "bytes read around a major file fault"),
    CK("min_free_kbytes", K_U64, memory.min_free_kbytes, "0: int_sqrt(16 * lowmem KiB), as the kernel"),
    CK("watermark_scale_factor", K_U32, memory.watermark_scale_factor, "gap between watermarks, 1/10000 of memory"),
    {0},
};

static const struct key_desc timing_keys[] = {
    CK("minor_fault", K_U64, timing.minor_fault, "cycles per minor fault"),
    CK("major_fault", K_U64, timing.major_fault, "CPU cycles per major fault"),
    CK("major_io_ns", K_U64, timing.major_io_ns, "I/O wait per major fault, ns"),
    CK("calibrate", K_NAME, timing.calibrate, "native: fit base_cpi and minor_fault to the traces' native run; off"),
    {0},
};

static const struct key_desc stats_keys[] = {
    CK("sample_interval", K_U64, stats.sample_interval, "cycles between timeline rows"),
    {0},
};

static const struct key_desc swap_keys[] = {
    CK("size", K_SIZE, swap.size, "bytes of swap; 0: none"),
    CK("name", K_NAME, swap.name, "device preset name (configs/swap/)"),
    CK("read_latency", K_DURATION, swap.read_latency_ns, "per read request: 20us, 4ms"),
    CK("write_latency", K_DURATION, swap.write_latency_ns, "per write request"),
    CK("read_bandwidth", K_SIZE, swap.read_bandwidth, "bytes per second; 0: none"),
    CK("write_bandwidth", K_SIZE, swap.write_bandwidth, "bytes per second; 0: none"),
    CK("queue_depth", K_U32, swap.queue_depth, "requests in flight"),
    CK("synchronous", K_BOOL, swap.synchronous, "1: zram-like, in the faulting task"),
    CK("rotational", K_BOOL, swap.rotational, "1: a disk: swap readahead by slot, not by address"),
    CK("page_cluster", K_U32, swap.page_cluster, "swap readahead of 2^N pages (0..10)"),
    {0},
};

static const struct key_desc vmscan_keys[] = {
    CK("policy", K_NAME, vmscan.policy, "kernel, lru, fifo, clock or opt"),
    CK("swappiness", K_U32, vmscan.swappiness, "0..200"),
    {0},
};

static const struct key_desc oom_keys[] = {
    CK("score_adj.0", K_I32, oom.score_adj[0], "oom_score_adj of trace 0's processes"),
    CK("score_adj.1", K_I32, oom.score_adj[1], "... of trace 1"),
    CK("score_adj.2", K_I32, oom.score_adj[2], "... of trace 2"),
    CK("score_adj.3", K_I32, oom.score_adj[3], "... of trace 3"),
    CK("score_adj.4", K_I32, oom.score_adj[4], "... of trace 4"),
    CK("score_adj.5", K_I32, oom.score_adj[5], "... of trace 5"),
    CK("score_adj.6", K_I32, oom.score_adj[6], "... of trace 6"),
    CK("score_adj.7", K_I32, oom.score_adj[7], "... of trace 7"),
    {0},
};

static const struct key_desc slab_keys[] = {
    CK("task_struct", K_U32, slab.task_struct, "object size, bytes (0: 5888 as measured)"),
    CK("mm_struct", K_U32, slab.mm_struct, "object size (0: 1600)"),
    CK("vm_area_struct", K_U32, slab.vm_area_struct, "object size (0: 192)"),
    CK("anon_vma", K_U32, slab.anon_vma, "object size (0: 104)"),
    CK("anon_vma_chain", K_U32, slab.anon_vma_chain, "object size (0: 64)"),
    CK("signal_cache", K_U32, slab.signal_cache, "object size (0: 1152)"),
    CK("sighand_cache", K_U32, slab.sighand_cache, "object size (0: 2112)"),
    CK("files_cache", K_U32, slab.files_cache, "object size (0: 704)"),
    CK("pid", K_U32, slab.pid, "object size (0: 192)"),
    CK("filp", K_U32, slab.filp, "object size (0: 192)"),
    CK("dentry", K_U32, slab.dentry, "object size (0: 192)"),
    CK("inode", K_U32, slab.inode, "ext4_inode_cache object size (0: 1128)"),
    CK("radix_tree_node", K_U32, slab.radix_tree_node, "object size (0: 584)"),
    CK("min_objects", K_U32, slab.min_objects, "slub_min_objects (0: 4 * (fls(cpus) + 1))"),
    CK("min_order", K_U32, slab.min_order, "slub_min_order"),
    CK("max_order", K_U32, slab.max_order, "slub_max_order (0: 3)"),
    {0},
};

static const struct key_desc memcg_keys[] = {
    CK("limit", K_SIZE, memcg.limit, "memory.max of a cgroup holding every process; 0: none"),
    {0},
};

static const struct key_desc tlb_keys[] = {
    TK("entries", K_LIST_U32, entries, offsetof(struct tlb_config, nentries),
       offsetof(struct tlb_config, entries_loc), "one, or one per page size (split arrays)"),
    TK("ways", K_LIST_U32, ways, offsetof(struct tlb_config, nways),
       offsetof(struct tlb_config, ways_loc), "0 or =entries: fully associative"),
    TK("page_sizes", K_PSIZES, page_sizes, 0, 0, "4K,2M,1G"),
    TK("policy", K_POLICY, policy, 0, 0, "lru, plru, fifo, random"),
    TK("latency", K_U32, latency, 0, 0, "cycles added on a hit here"),
    TK("kind", K_KIND, kind, 0, 0, "dtlb, itlb, unified"),
    TK("next", K_NAME, next, 0, offsetof(struct tlb_config, next_loc), "next level, a tlb name"),
    TK("seed", K_U64, seed, 0, 0, "random policy seed"),
    {0},
};

static const struct key_desc cache_keys[] = {
    CCK("size", K_SIZE, size, offsetof(struct cache_config, size_loc), "bytes"),
    CCK("ways", K_U32, ways, offsetof(struct cache_config, ways_loc), "0: fully associative"),
    CCK("line", K_SIZE, line, offsetof(struct cache_config, line_loc), "line size, power of two"),
    CCK("latency", K_U32, latency, 0, "cycles added on a hit here"),
    CCK("policy", K_POLICY, policy, 0, "lru, plru, fifo, random"),
    CCK("kind", K_KIND, kind, 0, "data, instruction, unified"),
    CCK("shared", K_BOOL, shared, 0, "1: one instance for all CPUs (LLC); 0: per CPU"),
    CCK("next", K_NAME, next, offsetof(struct cache_config, next_loc), "next level, a cache name"),
    CCK("seed", K_U64, seed, 0, "random policy seed"),
    {0},
};

enum sec_kind { SEC_GLOBAL, SEC_TLB, SEC_CACHE };

struct section_desc {
    const char *name;
    enum sec_kind kind;
    const struct key_desc *keys;
};

static const struct section_desc sections[] = {
    {"cpu", SEC_GLOBAL, cpu_keys},     {"tlb", SEC_TLB, tlb_keys},
    {"cache", SEC_CACHE, cache_keys},  {"walker", SEC_GLOBAL, walker_keys},
    {"memory", SEC_GLOBAL, memory_keys}, {"timing", SEC_GLOBAL, timing_keys},
    {"stats", SEC_GLOBAL, stats_keys}, {"swap", SEC_GLOBAL, swap_keys},
    {"vmscan", SEC_GLOBAL, vmscan_keys}, {"oom", SEC_GLOBAL, oom_keys},
    {"memcg", SEC_GLOBAL, memcg_keys}, {"slab", SEC_GLOBAL, slab_keys},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])
_Static_assert(CFG_NAME_MAX <= SWAP_NAME_MAX, "a K_NAME value fits swap_config.name");

static const char *const psize_names[] = {"4K", "2M", "1G"};
static const char *const kind_names_tlb[] = {"dtlb", "itlb", "unified"};
static const char *const kind_names_cache[] = {"data", "instruction", "unified"};

const char *config_psize_name(unsigned psize)
{
    return psize < 3 ? psize_names[psize] : "?";
}

void config_defaults(struct mmsim_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < CFG_MAX_GLOBAL_KEYS; i++)
        c->global_loc[i] = (struct cfg_loc){-1, 0};
    c->cpu.count = 1;
    c->cpu.base_cpi = 1.0;
    c->cpu.freq_ghz = 3.0;
    c->cpu.quantum = 3000000;     /* 1 ms at 3 GHz */
    c->cpu.context_switch = 3000; /* ~1 us, direct plus cache refill, order of magnitude */
    c->cpu.pcid = 1;
    c->walker.levels = 4;
    c->walker.memory_latency = 200;
    c->memory.size = 16ULL << 30;
    c->memory.page_size = 4096;
    c->memory.latency = 200;
    c->timing.minor_fault = 2000;   /* ~0.7 us: anonymous fault incl. zeroing at 3 GHz */
    c->timing.major_fault = 6000;
    c->timing.major_io_ns = 100000; /* SATA-SSD class random read */
    snprintf(c->timing.calibrate, sizeof c->timing.calibrate, "native");
    c->stats.sample_interval = 10000000;
    swap_config_defaults(&c->swap); /* no swap; if sized, the NVMe preset's device */
    snprintf(c->vmscan.policy, sizeof c->vmscan.policy, "kernel");
    c->vmscan.swappiness = 60;
    /* the OS model: the kernel's defaults */
    snprintf(c->memory.thp, sizeof c->memory.thp, "madvise");
    c->memory.zero_page = 1;
    c->memory.thp_zero_page = 1;
    c->memory.fault_around_bytes = 65536;
    snprintf(c->memory.page_cache, sizeof c->memory.page_cache, "warm");
    c->memory.read_ahead = 128 << 10;
    c->memory.watermark_scale_factor = 10;
}

static void tlb_defaults(struct tlb_config *t, const char *name)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->present = 1;
    t->entries[0] = 64;
    t->nentries = 1;
    t->ways[0] = 0;
    t->nways = 1;
    t->page_sizes = 1u << PSIZE_4K;
    t->policy = ASSOC_LRU;
    t->kind = TLB_KIND_DATA;
    t->seed = 1;
    t->next_index = -1;
}

static void cache_defaults(struct cache_config *k, const char *name)
{
    memset(k, 0, sizeof *k);
    snprintf(k->name, sizeof k->name, "%s", name);
    k->present = 1;
    k->size = 32768;
    k->ways = 8;
    k->line = 64;
    k->policy = ASSOC_LRU;
    k->kind = TLB_KIND_DATA;
    k->seed = 1;
    k->next_index = -1;
}

int config_find_tlb(const struct mmsim_config *c, const char *name)
{
    for (uint32_t i = 0; i < c->ntlb; i++)
        if (!strcmp(c->tlb[i].name, name))
            return (int)i;
    return -1;
}

int config_find_cache(const struct mmsim_config *c, const char *name)
{
    for (uint32_t i = 0; i < c->ncache; i++)
        if (!strcmp(c->cache[i].name, name))
            return (int)i;
    return -1;
}

unsigned config_page_shift(const struct mmsim_config *c)
{
    unsigned s = 0;
    while (s < 63 && (1ULL << s) < c->memory.page_size)
        s++;
    return s;
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

/* Stores value into the field of desc inside base; -1 with *expect describing the form. */
static int store_value(const struct key_desc *d, char *base, const char *v, int is_tlb,
                       const char **expect)
{
    uint64_t u;
    double dv;
    void *p = base + d->off;
    switch (d->type) {
    case K_U32:
        *expect = "a whole number";
        if (parse_u64(v, &u) || u > UINT32_MAX)
            return -1;
        *(uint32_t *)p = (uint32_t)u;
        return 0;
    case K_U64:
        *expect = "a whole number";
        if (parse_u64(v, &u))
            return -1;
        *(uint64_t *)p = u;
        return 0;
    case K_SIZE:
        *expect = "a size (4096, 32K, 2M, 1G)";
        if (parse_size(v, &u))
            return -1;
        *(uint64_t *)p = u;
        return 0;
    case K_DOUBLE:
        *expect = "a positive number";
        if (parse_double(v, &dv) || !(dv >= 0) || dv > 1e12)
            return -1;
        *(double *)p = dv;
        return 0;
    case K_BOOL:
        *expect = "0 or 1";
        if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
            *(int *)p = 1;
        else if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
            *(int *)p = 0;
        else
            return -1;
        return 0;
    case K_NAME:
        *expect = "a name of letters, digits, '_' or '-' (up to 31)";
        if (strlen(v) >= CFG_NAME_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(v))
            return -1;
        strcpy((char *)p, v);
        return 0;
    case K_POLICY: {
        enum assoc_policy pol;
        *expect = "lru, plru, fifo or random";
        if (assoc_policy_parse(v, &pol))
            return -1;
        *(uint32_t *)p = (uint32_t)pol;
        return 0;
    }
    case K_KIND:
        *expect = is_tlb ? "dtlb, itlb or unified" : "data, instruction or unified";
        return parse_name_list(v, is_tlb ? kind_names_tlb : kind_names_cache, 3, (uint32_t *)p);
    case K_PSIZES:
        *expect = "page sizes from 4K,2M,1G";
        return parse_psizes(v, (uint32_t *)p);
    case K_LIST_U32:
        *expect = "a number or a comma-separated list of up to 3";
        return parse_u32_list(v, (uint32_t *)p, (uint32_t *)(base + d->count_off));
    case K_DURATION:
        *expect = "a duration (1200, 50us, 4.2ms, 1s; bare numbers are ns)";
        if (swap_parse_duration(v, &u))
            return -1;
        *(uint64_t *)p = u;
        return 0;
    case K_I32: {
        *expect = "a whole number from -1000 to 1000";
        char *end;
        long x = strtol(v, &end, 10);
        if (end == v || *end || x < -1000 || x > 1000)
            return -1;
        *(int32_t *)p = (int32_t)x;
        return 0;
    }
    }
    return -1;
}

static const struct key_desc *find_key(const struct key_desc *keys, const char *name)
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
static char *section_base(struct parse_ctx *x, const struct section_desc *s, const char *inst)
{
    struct mmsim_config *c = x->c;
    struct cfg_loc here = {(int16_t)x->file, x->line};
    if (s->kind == SEC_GLOBAL)
        return (char *)c;
    if (!valid_instance_name(inst)) {
        fail(x, "[%s.%s]: bad %s name (letters, digits, '_', '-', up to 31)", s->name, inst, s->name);
        return NULL;
    }
    if (s->kind == SEC_TLB) {
        int i = config_find_tlb(c, inst);
        if (i >= 0)
            return (char *)&c->tlb[i];
        if (c->ntlb >= CFG_MAX_TLBS) {
            fail(x, "[tlb.%s]: more than %d TLBs", inst, CFG_MAX_TLBS);
            return NULL;
        }
        tlb_defaults(&c->tlb[c->ntlb], inst);
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
    cache_defaults(&c->cache[c->ncache], inst);
    c->cache[c->ncache].loc = here;
    return (char *)&c->cache[c->ncache++];
}

static int parse_file(struct parse_ctx *x, const char *path);

/* The position of key d of global section s among the keys of every global section, in
 * table order: its slot in mmsim_config.global_loc. */
static size_t global_key_index(const struct section_desc *s, const struct key_desc *d)
{
    size_t n = 0;
    for (size_t i = 0; i < NSECTIONS; i++) {
        if (sections[i].kind != SEC_GLOBAL)
            continue;
        for (const struct key_desc *k = sections[i].keys; k->key; k++, n++)
            if (&sections[i] == s && k == d)
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

static const struct section_desc *find_global_section(const char *name)
{
    for (size_t i = 0; i < NSECTIONS; i++)
        if (sections[i].kind == SEC_GLOBAL && !strcmp(sections[i].name, name))
            return &sections[i];
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
    const struct section_desc *s = NULL;
    for (size_t i = 0; i < NSECTIONS; i++)
        if (!strcmp(sections[i].name, pre))
            s = &sections[i];
    if (x->only_section && (!s || strcmp(s->name, x->only_section)))
        return 1; /* config_load_swap: other sections are not its business */
    if (!s || (s->kind == SEC_GLOBAL) != (dot == NULL)) {
        char known[256] = "";
        for (size_t i = 0; i < NSECTIONS; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s%s", i ? ", " : "",
                     sections[i].name, sections[i].kind == SEC_GLOBAL ? "" : ".<name>");
        return fail(x, "[%s]: unknown section (known: %s)", section, known);
    }
    const struct key_desc *d = find_key(s->keys, name);
    if (!d)
        return fail(x, "%s.%s: unknown key", section, name);
    char *base = section_base(x, s, dot ? dot + 1 : "");
    if (!base)
        return 0;
    const char *expect = "";
    if (store_value(d, base, value, s->kind == SEC_TLB, &expect))
        return fail(x, "%s.%s: bad value '%s' (expected %s)", section, name, value, expect);
    if (d->loc_off)
        *(struct cfg_loc *)(base + d->loc_off) = (struct cfg_loc){(int16_t)x->file, x->line};
    size_t gi = s->kind == SEC_GLOBAL ? global_key_index(s, d) : CFG_MAX_GLOBAL_KEYS;
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
    const struct section_desc *swap = find_global_section("swap");
    int seen = 0;
    for (const struct key_desc *k = swap->keys; k->key; k++)
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
    const struct section_desc *s = find_global_section(sec);
    const struct key_desc *d = s ? find_key(s->keys, name) : NULL;
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

/* ---- validation ---- */

static int verr(const struct mmsim_config *c, char *err, size_t errlen, struct cfg_loc loc,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int verr(const struct mmsim_config *c, char *err, size_t errlen, struct cfg_loc loc,
                const char *fmt, ...)
{
    char where[CFG_PATH_MAX + 32];
    format_loc(c, loc, where, sizeof where);
    int n = snprintf(err, errlen, "%s: ", where);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static struct cfg_loc pick_loc(struct cfg_loc a, struct cfg_loc b)
{
    return a.file != -1 || a.line ? a : b;
}

static int popcount3(uint32_t m)
{
    return (m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1);
}

static int validate_tlb(struct mmsim_config *c, struct tlb_config *t, char *err, size_t errlen)
{
    int nps = popcount3(t->page_sizes);
    struct cfg_loc el = pick_loc(t->entries_loc, t->loc), wl = pick_loc(t->ways_loc, t->loc);
    if (t->nentries != 1 && (int)t->nentries != nps)
        return verr(c, err, errlen, el, "tlb.%s.entries: %u values for %d page sizes (give one, or one per page size)",
                    t->name, t->nentries, nps);
    if (t->nways != 1 && t->nways != t->nentries)
        return verr(c, err, errlen, wl, "tlb.%s.ways: %u values but entries has %u (give one, or one per entries value)",
                    t->name, t->nways, t->nentries);
    for (uint32_t i = 0; i < t->nentries; i++) {
        uint32_t e = t->entries[i], w = t->ways[t->nways == 1 ? 0 : i];
        if (e == 0)
            return verr(c, err, errlen, el, "tlb.%s.entries: must be at least 1", t->name);
        if (w > e)
            return verr(c, err, errlen, wl, "tlb.%s.ways: %u ways for %u entries", t->name, w, e);
        if (w && e % w)
            return verr(c, err, errlen, wl, "tlb.%s.ways: %u entries not divisible by %u ways", t->name, e, w);
        if (w > 64 && t->policy == ASSOC_PLRU && e != w)
            return verr(c, err, errlen, wl, "tlb.%s.ways: plru needs at most 64 ways per set", t->name);
    }
    t->next_index = -1;
    if (t->next[0]) {
        int n = config_find_tlb(c, t->next);
        if (n < 0)
            return verr(c, err, errlen, pick_loc(t->next_loc, t->loc), "tlb.%s.next: no [tlb.%s] section", t->name, t->next);
        if (&c->tlb[n] == t)
            return verr(c, err, errlen, pick_loc(t->next_loc, t->loc), "tlb.%s.next: names itself", t->name);
        if (c->tlb[n].kind != TLB_KIND_UNIFIED && c->tlb[n].kind != t->kind)
            return verr(c, err, errlen, pick_loc(t->next_loc, t->loc), "tlb.%s.next: %s is a %s, this is a %s",
                        t->name, t->next, kind_names_tlb[c->tlb[n].kind], kind_names_tlb[t->kind]);
        t->next_index = n;
    }
    return 0;
}

static int validate_cache(struct mmsim_config *c, struct cache_config *k, char *err, size_t errlen)
{
    struct cfg_loc ll = pick_loc(k->line_loc, k->loc), sl = pick_loc(k->size_loc, k->loc),
                   wl = pick_loc(k->ways_loc, k->loc);
    if (k->line < 8 || k->line > 4096 || (k->line & (k->line - 1)))
        return verr(c, err, errlen, ll, "cache.%s.line: %" PRIu64 " is not a power of two in 8..4096", k->name, k->line);
    if (k->size < k->line || k->size % k->line || k->size / k->line > (1u << 26))
        return verr(c, err, errlen, sl, "cache.%s.size: %" PRIu64 " is not a multiple of the %" PRIu64 "-byte line (or too big)",
                    k->name, k->size, k->line);
    uint64_t lines = k->size / k->line, ways = k->ways ? k->ways : lines;
    if (ways > lines || lines % ways)
        return verr(c, err, errlen, wl, "cache.%s.ways: %" PRIu64 " lines not divisible by %" PRIu64 " ways", k->name, lines, ways);
    if (ways > 64 && k->policy == ASSOC_PLRU && ways != lines)
        return verr(c, err, errlen, wl, "cache.%s.ways: plru needs at most 64 ways per set", k->name);
    k->next_index = -1;
    if (k->next[0]) {
        int n = config_find_cache(c, k->next);
        if (n < 0 || &c->cache[n] == k)
            return verr(c, err, errlen, pick_loc(k->next_loc, k->loc), "cache.%s.next: %s", k->name,
                        n < 0 ? "no such [cache.*] section" : "names itself");
        k->next_index = n;
    }
    return 0;
}

/* Follows next links from each level; a walk longer than the number of levels is a loop. */
static int check_chains(struct mmsim_config *c, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < c->ntlb; i++) {
        int j = (int)i;
        for (uint32_t steps = 0; j >= 0; steps++, j = c->tlb[j].next_index)
            if (steps > c->ntlb)
                return verr(c, err, errlen, pick_loc(c->tlb[i].next_loc, c->tlb[i].loc), "tlb.%s.next: the levels form a loop", c->tlb[i].name);
    }
    for (uint32_t i = 0; i < c->ncache; i++) {
        int j = (int)i;
        for (uint32_t steps = 0; j >= 0; steps++, j = c->cache[j].next_index)
            if (steps > c->ncache)
                return verr(c, err, errlen, pick_loc(c->cache[i].next_loc, c->cache[i].loc), "cache.%s.next: the levels form a loop", c->cache[i].name);
    }
    /* at most one first level for data and one for instructions */
    int droot = -1, iroot = -1;
    for (uint32_t i = 0; i < c->ntlb; i++) {
        int referenced = 0;
        for (uint32_t j = 0; j < c->ntlb; j++)
            referenced |= c->tlb[j].next_index == (int)i;
        if (referenced)
            continue;
        unsigned k = c->tlb[i].kind;
        if (k != TLB_KIND_INSTRUCTION) {
            if (droot >= 0)
                return verr(c, err, errlen, c->tlb[i].loc, "tlb.%s: a second first-level data TLB besides %s (link them with next)", c->tlb[i].name, c->tlb[droot].name);
            droot = (int)i;
        }
        if (k != TLB_KIND_DATA) {
            if (iroot >= 0)
                return verr(c, err, errlen, c->tlb[i].loc, "tlb.%s: a second first-level instruction TLB besides %s", c->tlb[i].name, c->tlb[iroot].name);
            iroot = (int)i;
        }
    }
    return 0;
}

int config_validate(struct mmsim_config *c, char *err, size_t errlen)
{
    struct cfg_loc d = {-1, 0};
    if (c->cpu.count < 1 || c->cpu.count > 256)
        return verr(c, err, errlen, d, "cpu.count: %u is not in 1..256", c->cpu.count);
    if (!(c->cpu.base_cpi > 0) || !(c->cpu.freq_ghz > 0) || c->cpu.quantum == 0)
        return verr(c, err, errlen, d, "cpu: base_cpi, freq_ghz and quantum must be positive");
    if (c->walker.levels != 4 && c->walker.levels != 5)
        return verr(c, err, errlen, d, "walker.levels: %u (4 or 5)", c->walker.levels);
    for (unsigned l = 2; l <= CFG_MAX_PT_LEVELS; l++) {
        uint32_t e = c->walker.psc_entries[l], w = c->walker.psc_ways[l];
        if (e && w && (w > e || e % w))
            return verr(c, err, errlen, d, "walker.psc: level %u: %u entries not divisible by %u ways", l, e, w);
    }
    uint64_t ps = c->memory.page_size;
    if (ps != 4096 && ps != 16384 && ps != 65536)
        return verr(c, err, errlen, d, "memory.page_size: %" PRIu64 " (4K, 16K or 64K)", ps);
    if (!c->memory.unlimited && (c->memory.size < 64 * ps || c->memory.size % ps))
        return verr(c, err, errlen, d, "memory.size: %" PRIu64 " is not a multiple of the page size of at least 64 pages", c->memory.size);
    if (c->stats.sample_interval == 0)
        return verr(c, err, errlen, d, "stats.sample_interval: must be positive");
    if (strcmp(c->memory.thp, "never") && strcmp(c->memory.thp, "madvise") && strcmp(c->memory.thp, "always"))
        return verr(c, err, errlen, d, "memory.thp: '%s' (never, madvise or always)", c->memory.thp);
    if (strcmp(c->timing.calibrate, "native") && strcmp(c->timing.calibrate, "off"))
        return verr(c, err, errlen, d, "timing.calibrate: '%s' (native or off)", c->timing.calibrate);
    if (strcmp(c->memory.page_cache, "warm") && strcmp(c->memory.page_cache, "cold"))
        return verr(c, err, errlen, d, "memory.page_cache: '%s' (warm or cold)", c->memory.page_cache);
    if (c->slab.min_order > c->slab.max_order && c->slab.max_order)
        return verr(c, err, errlen, d, "slab.min_order: %u is above slab.max_order %u", c->slab.min_order, c->slab.max_order);
    if (c->slab.max_order > 10 || c->slab.task_struct > (1u << 22))
        return verr(c, err, errlen, d, "slab: max_order must be 0..10 and object sizes at most 4 MiB");
    if (c->memory.watermark_scale_factor < 1 || c->memory.watermark_scale_factor > 3000)
        return verr(c, err, errlen, d, "memory.watermark_scale_factor: %u is not in 1..3000", c->memory.watermark_scale_factor);
    enum vmscan_policy vp;
    if (vmscan_policy_parse(c->vmscan.policy, &vp))
        return verr(c, err, errlen, d, "vmscan.policy: '%s' (kernel, lru, fifo, clock or opt)", c->vmscan.policy);
    if (c->vmscan.swappiness > 200)
        return verr(c, err, errlen, d, "vmscan.swappiness: %u is not in 0..200", c->vmscan.swappiness);
    char swap_err[128];
    if (swap_config_check(&c->swap, swap_err, sizeof swap_err))
        return verr(c, err, errlen, d, "%s", swap_err);
    if (c->swap.size && c->swap.size % ps)
        return verr(c, err, errlen, d, "swap.size: %" PRIu64 " is not a multiple of the page size", c->swap.size);
    for (uint32_t i = 0; i < c->ntlb; i++)
        if (validate_tlb(c, &c->tlb[i], err, errlen))
            return -1;
    for (uint32_t i = 0; i < c->ncache; i++)
        if (validate_cache(c, &c->cache[i], err, errlen))
            return -1;
    return check_chains(c, err, errlen);
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

static void print_value(FILE *f, const struct key_desc *d, const char *base, int is_tlb)
{
    const void *p = base + d->off;
    switch (d->type) {
    case K_U32:
        fprintf(f, "%u", *(const uint32_t *)p);
        break;
    case K_U64:
    case K_SIZE:
    case K_DURATION:
        fprintf(f, "%" PRIu64, *(const uint64_t *)p);
        break;
    case K_I32:
        fprintf(f, "%d", *(const int32_t *)p);
        break;
    case K_DOUBLE:
        fprintf(f, "%g", *(const double *)p);
        break;
    case K_BOOL:
        fprintf(f, "%d", *(const int *)p);
        break;
    case K_NAME:
        fprintf(f, "%s", (const char *)p);
        break;
    case K_POLICY:
        fprintf(f, "%s", assoc_policy_name(*(const uint32_t *)p));
        break;
    case K_KIND: {
        uint32_t k = *(const uint32_t *)p;
        fprintf(f, "%s", k < 3 ? (is_tlb ? kind_names_tlb : kind_names_cache)[k] : "?");
        break;
    }
    case K_PSIZES: {
        uint32_t m = *(const uint32_t *)p;
        const char *sep = "";
        for (unsigned i = 0; i < 3; i++)
            if (m & (1u << i)) {
                fprintf(f, "%s%s", sep, psize_names[i]);
                sep = ",";
            }
        break;
    }
    case K_LIST_U32: {
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
    const struct key_desc *d = NULL;
    const char *base = (const char *)c;
    int is_tlb = 0;
    if (!dot) {
        const struct section_desc *s = find_global_section(sec);
        d = s ? find_key(s->keys, name) : NULL;
    } else if (!strncmp(sec, "tlb.", 4) && config_find_tlb(c, dot + 1) >= 0) {
        d = find_key(tlb_keys, name);
        base = (const char *)&c->tlb[config_find_tlb(c, dot + 1)];
        is_tlb = 1;
    } else if (!strncmp(sec, "cache.", 6) && config_find_cache(c, dot + 1) >= 0) {
        d = find_key(cache_keys, name);
        base = (const char *)&c->cache[config_find_cache(c, dot + 1)];
    }
    if (!d)
        return -1;
    FILE *f = fmemopen(buf, len, "w");
    if (!f)
        return -1;
    setbuf(f, NULL);
    print_value(f, d, base, is_tlb);
    fclose(f);
    buf[len - 1] = 0;
    return 0;
}

static void print_keys(FILE *f, const struct key_desc *keys, const char *base, int is_tlb)
{
    for (const struct key_desc *d = keys; d->key; d++) {
        fprintf(f, "%s = ", d->key);
        print_value(f, d, base, is_tlb);
        fprintf(f, "    ; %s\n", d->help);
    }
}

void config_print(const struct mmsim_config *c, FILE *f)
{
    for (size_t s = 0; s < NSECTIONS; s++) {
        const struct section_desc *sd = &sections[s];
        if (sd->kind == SEC_GLOBAL) {
            fprintf(f, "[%s]\n", sd->name);
            print_keys(f, sd->keys, (const char *)c, 0);
            fprintf(f, "\n");
        } else if (sd->kind == SEC_TLB) {
            for (uint32_t i = 0; i < c->ntlb; i++) {
                fprintf(f, "[tlb.%s]\n", c->tlb[i].name);
                print_keys(f, sd->keys, (const char *)&c->tlb[i], 1);
                fprintf(f, "\n");
            }
        } else {
            for (uint32_t i = 0; i < c->ncache; i++) {
                fprintf(f, "[cache.%s]\n", c->cache[i].name);
                print_keys(f, sd->keys, (const char *)&c->cache[i], 0);
                fprintf(f, "\n");
            }
        }
    }
}

/* ---- mmsim config show -c FILE [-s k=v]... ---- */

static void config_usage(FILE *f)
{
    fprintf(f, "usage: mmsim config show [-c CONFIG] [-s section.key=value]...\n"
               "  prints the effective configuration, defaults included, as INI\n");
}

int cmd_config(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        config_usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "show")) {
        config_usage(stderr);
        return 2;
    }
    const char *path = NULL;
    char **sets = calloc((size_t)argc, sizeof *sets);
    int nsets = 0;
    if (!sets)
        return 1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-c") && i + 1 < argc) {
            path = argv[++i];
        } else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
            sets[nsets++] = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            config_usage(stdout);
            free(sets);
            return 0;
        } else {
            fprintf(stderr, "mmsim config: unknown option '%s'\n", argv[i]);
            config_usage(stderr);
            free(sets);
            return 2;
        }
    }
    struct mmsim_config *c = malloc(sizeof *c);
    char err[512];
    int rc = 0;
    if (!c || config_from_args(c, path, sets, nsets, err, sizeof err)) {
        fprintf(stderr, "mmsim config: %s\n", c ? err : "out of memory");
        rc = 1;
    } else {
        config_print(c, stdout);
    }
    free(c);
    free(sets);
    return rc;
}
