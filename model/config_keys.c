/* config_keys.c - the keys of the sections whose owner keeps no config struct of its own
 * (the machine: [cpu], [tlb.NAME], [cache.NAME], [walker]; the OS model: [memory], [timing],
 * [stats], [oom], [memcg], [slab]), the list of every section ([swap] is swap.c's table,
 * [vmscan] vmscan.c's), the defaults of a configuration and the checks that span keys.
 * and the `mmsim config` verb (show, keys). The engine that reads them is config.c; the
 * table format is config_key.h. */
#include "model/config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "model/assoc.h"
#include "model/config_key.h"
#include "verbs.h"

#define G(k, t, field, def, names, help) CFG_KEY(k, t, struct mmsim_config, field, def, names, help)
#define GI(k, t, field, def, min, max, help) CFG_KEY_IN(k, t, struct mmsim_config, field, def, min, max, help)

static const char *const thp_modes[] = {"never", "madvise", "always", NULL};
static const char *const page_cache_modes[] = {"warm", "cold", NULL};
static const char *const calibrate_modes[] = {"native", "off", NULL};
static const char *const tlb_kinds[] = {"dtlb", "itlb", "unified", NULL};
static const char *const cache_kinds[] = {"data", "instruction", "unified", NULL};

static const struct cfg_key cpu_keys[] = {
    GI("count", CFG_U32, cpu.count, "1", 1, 256, "CPUs"),
    G("base_cpi", CFG_DOUBLE, cpu.base_cpi, "1.0", NULL, "cycles per instruction with perfect memory"),
    /* the cache model charges every miss in full, one after the other; an out-of-order core
     * overlaps independent misses (memory-level parallelism): calibrate = native fits this
     * when the full charges alone exceed the native user time */
    G("stall_scale", CFG_DOUBLE, cpu.stall_scale, "1.0", NULL, "part of the data caches' miss stalls charged (overlapped misses); calibrate = native fits it when they exceed the native time"),
    G("freq_ghz", CFG_DOUBLE, cpu.freq_ghz, "3.0", NULL, "clock, converts ns to cycles"),
    G("quantum", CFG_U64, cpu.quantum, "3000000", NULL, "cycles a process runs before the next is picked"), /* 1 ms at 3 GHz */
    G("context_switch", CFG_U64, cpu.context_switch, "3000", NULL, "cycles per switch between processes"), /* ~1 us, direct plus cache refill */
    G("pcid", CFG_BOOL, cpu.pcid, "1", NULL, "1: PCID-tagged TLBs; 0: flush TLBs on a switch"),
    /* CPUs share caches and memory bandwidth: a memory-bound program runs slower while the
     * other CPUs are busy (measured: tests/validate/thrash.sh, multi at N = 2 and 3) */
    G("contention", CFG_DOUBLE, cpu.contention, "1.0", NULL, "time stretch of a CPU's work while every other CPU is busy (shared caches, memory bandwidth); 1: none"),
    G("batched_flush_all", CFG_BOOL, cpu.batched_flush_all, "1", NULL,
      "1: reclaim's batched TLB flush empties the loaded address spaces (x86 TLB_FLUSH_ALL); 0: only the pages"),
    {0},
};

static const struct cfg_key walker_keys[] = {
    GI("levels", CFG_U32, walker.levels, "4", 4, 5, "page-table levels: 4 or 5"),
    G("memory_latency", CFG_U32, walker.memory_latency, "200", NULL, "cycles per page-table read without caches"),
    G("latency", CFG_U32, walker.latency, NULL, NULL, "fixed cycles per walk"),
    G("psc.pml5.entries", CFG_U32, walker.psc_entries[5], NULL, NULL, "PML5E cache entries"),
    G("psc.pml5.ways", CFG_U32, walker.psc_ways[5], NULL, NULL, "0: fully associative"),
    G("psc.pml4.entries", CFG_U32, walker.psc_entries[4], NULL, NULL, "PML4E cache entries"),
    G("psc.pml4.ways", CFG_U32, walker.psc_ways[4], NULL, NULL, "0: fully associative"),
    G("psc.pdpt.entries", CFG_U32, walker.psc_entries[3], NULL, NULL, "PDPTE cache entries"),
    G("psc.pdpt.ways", CFG_U32, walker.psc_ways[3], NULL, NULL, "0: fully associative"),
    G("psc.pd.entries", CFG_U32, walker.psc_entries[2], NULL, NULL, "PDE cache entries"),
    G("psc.pd.ways", CFG_U32, walker.psc_ways[2], NULL, NULL, "0: fully associative"),
    {0},
};

static const struct cfg_key memory_keys[] = {
    G("size", CFG_SIZE, memory.size, "16G", NULL, "physical memory"),
    G("page_size", CFG_SIZE, memory.page_size, "4K", NULL, "base page: 4K, 16K or 64K"),
    G("unlimited", CFG_BOOL, memory.unlimited, "0", NULL, "1: memory never runs out"),
    G("latency", CFG_U32, memory.latency, "200", NULL, "cycles of a read that misses every cache"),
    G("zero_page", CFG_BOOL, memory.zero_page, "1", NULL, "on: a read of a never-touched anonymous page maps the zero page; off: it allocates one"),
    G("thp", CFG_NAME, memory.thp, "madvise", thp_modes, "transparent huge pages: never, madvise or always"),
    G("thp_zero_page", CFG_BOOL, memory.thp_zero_page, "1", NULL, "1: a read of a THP region maps the huge zero page"),
    G("fault_around_bytes", CFG_SIZE, memory.fault_around_bytes, "64K", NULL, "file fault-around window (power of 2)"),
    G("page_cache", CFG_NAME, memory.page_cache, "warm", page_cache_modes, "warm: file pages start cached; cold: read on first use"),
    G("read_ahead", CFG_SIZE, memory.read_ahead, "128K", NULL, "bytes read around a major file fault"),
    G("min_free_kbytes", CFG_U64, memory.min_free_kbytes, "0", NULL, "0: int_sqrt(16 * lowmem KiB), as the kernel"),
    GI("watermark_scale_factor", CFG_U32, memory.watermark_scale_factor, "10", 1, 3000, "gap between watermarks, 1/10000 of memory"),
    {0},
};

static const struct cfg_key timing_keys[] = {
    G("minor_fault", CFG_U64, timing.minor_fault, "2000", NULL, "cycles per minor fault"), /* ~0.7 us: anonymous fault with zeroing at 3 GHz */
    G("major_fault", CFG_U64, timing.major_fault, "6000", NULL, "CPU cycles per major fault"),
    G("major_io_ns", CFG_U64, timing.major_io_ns, "100000", NULL, "I/O wait per major fault, ns"), /* a SATA-SSD class random read */
    G("evict", CFG_U64, timing.evict, "1500", NULL, "CPU cycles to reclaim one page that is written (swap or file)"), /* try_to_unmap, add_to_swap, TLB flush, bio submission */
    /* a fifth of a written page: the kernel's trace (thrash_trace.sh, docs/validation-thrash.md)
     * freed clean mapped swap-cache pages at 3.3 us each where written ones took 7-21 us */
    G("evict_clean", CFG_U64, timing.evict_clean, "300", NULL,
      "CPU cycles to reclaim a page that needs no write (clean swap-cache or file page)"),
    /* the block layer, the device's doorbell and the completion's wake-up, in the context of
     * the task that submits: ~1 us on bare metal, 30-55 us on a paravirtual guest where each
     * is an exit to the host (tests/progs/thrash_dev measures it; the swap device's latency
     * then leaves it out) */
    G("swap_read_cpu", CFG_U64, timing.swap_read_cpu, "0", NULL,
      "CPU cycles a swap read request takes from the task that submits it (its fault), beside the device's latency"),
    G("swap_write_cpu", CFG_U64, timing.swap_write_cpu, "0", NULL,
      "CPU cycles a swap write submission takes from the task that submits it (reclaim, kswapd): one request, or a block plug's requests at once (one doorbell)"),
    /* interrupts taken from a busy CPU: a few microseconds each on bare metal;
     * tests/progs/thrash_irq measures a machine's (make validate-thrash passes them) */
    G("irq", CFG_U64, timing.irq, "6000", NULL,
      "CPU cycles a swap device's completion interrupt takes from the task running on the CPU that takes it (none when that CPU is idle)"),
    GI("irq_cpu", CFG_I32, timing.irq_cpu, "-1", -1, 255,
       "the CPU that takes the swap device's interrupts; -1: the CPU that queued the request (a queue per CPU, as NVMe)"),
    G("tlb_ipi", CFG_U64, timing.tlb_ipi, "6000", NULL,
      "CPU cycles reclaim waits for a TLB-flush IPI: a flush (one a page written and one a batch) to a CPU running a user process, that the unmapped processes ran on"),
    G("tlb_ipi_recv", CFG_U64, timing.tlb_ipi_recv, "3000", NULL,
      "CPU cycles that IPI takes from the task running on the CPU it interrupts, when that task's process is one the flush unmapped from"),
    /* bare metal: an IPI interrupts whatever runs; on a paravirtual guest the hypervisor
     * flushes the other vCPU and a vCPU running another address space may lose little
     * (docs/validation-thrash.md: 0-5 us on this PVM guest, 17.6 us for its own process) */
    GI("tlb_ipi_recv_other", CFG_I32, timing.tlb_ipi_recv_other, "-1", -1, INT32_MAX,
       "CPU cycles a flush takes from a task of another process (it unmapped nothing of it); -1: as tlb_ipi_recv"),
    G("calibrate", CFG_NAME, timing.calibrate, "native", calibrate_modes, "native: fit base_cpi, minor_fault (and stall_scale) to the native run (replay: on the config replayed, or --calibrate-with; sweep: once a trace, on its base config); off"),
    {0},
};

static const struct cfg_key stats_keys[] = {
    GI("sample_interval", CFG_U64, stats.sample_interval, "10000000", 1, 1.8e19, "cycles between timeline rows"),
    {0},
};

static const struct cfg_key oom_keys[] = {
    GI("score_adj.0", CFG_I32, oom.score_adj[0], NULL, -1000, 1000, "oom_score_adj of trace 0's processes"),
    GI("score_adj.1", CFG_I32, oom.score_adj[1], NULL, -1000, 1000, "... of trace 1"),
    GI("score_adj.2", CFG_I32, oom.score_adj[2], NULL, -1000, 1000, "... of trace 2"),
    GI("score_adj.3", CFG_I32, oom.score_adj[3], NULL, -1000, 1000, "... of trace 3"),
    GI("score_adj.4", CFG_I32, oom.score_adj[4], NULL, -1000, 1000, "... of trace 4"),
    GI("score_adj.5", CFG_I32, oom.score_adj[5], NULL, -1000, 1000, "... of trace 5"),
    GI("score_adj.6", CFG_I32, oom.score_adj[6], NULL, -1000, 1000, "... of trace 6"),
    GI("score_adj.7", CFG_I32, oom.score_adj[7], NULL, -1000, 1000, "... of trace 7"),
    {0},
};

/* object sizes up to 4 MiB */
static const struct cfg_key slab_keys[] = {
    GI("task_struct", CFG_U32, slab.task_struct, NULL, 0, 4194304, "object size, bytes (0: 5888 as measured)"),
    GI("mm_struct", CFG_U32, slab.mm_struct, NULL, 0, 4194304, "object size (0: 1600)"),
    GI("vm_area_struct", CFG_U32, slab.vm_area_struct, NULL, 0, 4194304, "object size (0: 192)"),
    GI("anon_vma", CFG_U32, slab.anon_vma, NULL, 0, 4194304, "object size (0: 104)"),
    GI("anon_vma_chain", CFG_U32, slab.anon_vma_chain, NULL, 0, 4194304, "object size (0: 64)"),
    GI("signal_cache", CFG_U32, slab.signal_cache, NULL, 0, 4194304, "object size (0: 1152)"),
    GI("sighand_cache", CFG_U32, slab.sighand_cache, NULL, 0, 4194304, "object size (0: 2112)"),
    GI("files_cache", CFG_U32, slab.files_cache, NULL, 0, 4194304, "object size (0: 704)"),
    GI("pid", CFG_U32, slab.pid, NULL, 0, 4194304, "object size (0: 192)"),
    GI("filp", CFG_U32, slab.filp, NULL, 0, 4194304, "object size (0: 192)"),
    GI("dentry", CFG_U32, slab.dentry, NULL, 0, 4194304, "object size (0: 192)"),
    GI("inode", CFG_U32, slab.inode, NULL, 0, 4194304, "ext4_inode_cache object size (0: 1128)"),
    GI("radix_tree_node", CFG_U32, slab.radix_tree_node, NULL, 0, 4194304, "object size (0: 584)"),
    G("min_objects", CFG_U32, slab.min_objects, NULL, NULL, "slub_min_objects (0: 4 * (fls(cpus) + 1))"),
    G("min_order", CFG_U32, slab.min_order, NULL, NULL, "slub_min_order"),
    GI("max_order", CFG_U32, slab.max_order, NULL, 0, 10, "slub_max_order (0: 3)"),
    {0},
};

static const struct cfg_key memcg_keys[] = {
    G("limit", CFG_SIZE, memcg.limit, "0", NULL, "memory.max of a cgroup holding every process; 0: none"),
    G("stats_flush", CFG_DURATION, memcg.stats_flush, "2s", NULL,
      "period of the group's statistics flush: reclaim's list sizes are as of the last one; 0: exact"),
    GI("version", CFG_U32, memcg.version, "2", 1, 2,
       "cgroup version: 1 (its reclaim waits for pages under writeback) or 2"),
    GI("charge_batch", CFG_U32, memcg.charge_batch, "64", 0, 127,
       "pages a charge takes from the limit at once, the rest kept in the CPU's charge stock (MEMCG_CHARGE_BATCH); 0: no stock"),
    G("stock_drain_delay", CFG_DURATION, memcg.stock_drain_delay, "60us", NULL,
      "after a reclaim that made no room, the time until another CPU's stock is drained (its work item); 0: at once"),
    {0},
};

#define T(k, t, field, def, names, help) CFG_KEY(k, t, struct tlb_config, field, def, names, help)
static const struct cfg_key tlb_keys[] = {
    {"entries", CFG_LIST_U32, offsetof(struct tlb_config, entries), "64", 1, 0, NULL,
     "one, or one per page size (split arrays)", offsetof(struct tlb_config, nentries),
     offsetof(struct tlb_config, entries_loc)},
    {"ways", CFG_LIST_U32, offsetof(struct tlb_config, ways), "0", 1, 0, NULL,
     "0 or =entries: fully associative", offsetof(struct tlb_config, nways),
     offsetof(struct tlb_config, ways_loc)},
    T("page_sizes", CFG_PSIZES, page_sizes, "4K", NULL, "4K,2M,1G"),
    T("policy", CFG_POLICY, policy, "lru", NULL, "lru, plru, fifo, random"),
    T("latency", CFG_U32, latency, NULL, NULL, "cycles added on a hit here"),
    T("kind", CFG_ENUM, kind, "dtlb", tlb_kinds, "dtlb, itlb, unified"),
    {"next", CFG_NAME, offsetof(struct tlb_config, next), NULL, 1, 0, NULL, "next level, a tlb name", 0,
     offsetof(struct tlb_config, next_loc)},
    T("seed", CFG_U64, seed, "1", NULL, "random policy seed"),
    {0},
};

#define C(k, t, field, def, names, help) CFG_KEY(k, t, struct cache_config, field, def, names, help)
#define CL(k, t, field, def, help) {k, t, offsetof(struct cache_config, field), def, 1, 0, NULL, help, 0, \
                                    offsetof(struct cache_config, field##_loc)}
static const struct cfg_key cache_keys[] = {
    CL("size", CFG_SIZE, size, "32K", "bytes"),
    CL("ways", CFG_U32, ways, "8", "0: fully associative"),
    CL("line", CFG_SIZE, line, "64", "line size, power of two"),
    C("latency", CFG_U32, latency, NULL, NULL, "cycles added on a hit here"),
    C("policy", CFG_POLICY, policy, "lru", NULL, "lru, plru, fifo, random"),
    C("kind", CFG_ENUM, kind, "data", cache_kinds, "data, instruction, unified"),
    C("shared", CFG_BOOL, shared, "0", NULL, "1: one instance for all CPUs (LLC); 0: per CPU"),
    CL("next", CFG_NAME, next, NULL, "next level, a cache name"),
    C("seed", CFG_U64, seed, "1", NULL, "random policy seed"),
    {0},
};

static void swap_init(void *base) { swap_config_defaults(base); }
static void vmscan_init(void *base) { vmscan_config_defaults(base); }

/* The tables of this file address the whole struct mmsim_config (offset 0); a module's
 * table addresses its own struct, found at the member's offset. */
#define GS(name, keys) {name, CFG_SEC_GLOBAL, 0, keys, NULL}
#define GM(name, member, keys, init) {name, CFG_SEC_GLOBAL, offsetof(struct mmsim_config, member), keys, init}
const struct cfg_section cfg_sections[] = {
    GS("cpu", cpu_keys),
    {"tlb", CFG_SEC_TLB, 0, tlb_keys, NULL},
    {"cache", CFG_SEC_CACHE, 0, cache_keys, NULL},
    GS("walker", walker_keys),
    GS("memory", memory_keys),
    GS("timing", timing_keys),
    GS("stats", stats_keys),
    GM("swap", swap, swap_config_keys, swap_init),
    GM("vmscan", vmscan, vmscan_config_keys, vmscan_init),
    GS("oom", oom_keys),
    GS("memcg", memcg_keys),
    GS("slab", slab_keys),
};
_Static_assert(CFG_NAME_MAX <= SWAP_NAME_MAX, "a CFG_NAME value fits swap_config.name");
const size_t cfg_nsections = sizeof cfg_sections / sizeof cfg_sections[0];

void config_defaults(struct mmsim_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < CFG_MAX_GLOBAL_KEYS; i++)
        c->global_loc[i] = (struct cfg_loc){-1, 0};
    for (size_t s = 0; s < cfg_nsections; s++) {
        const struct cfg_section *sd = &cfg_sections[s];
        if (sd->kind != CFG_SEC_GLOBAL)
            continue;
        if (sd->init)
            sd->init((char *)c + sd->off);
        else
            cfg_keys_defaults(sd->keys, (char *)c + sd->off);
    }
}

void config_tlb_defaults(struct tlb_config *t, const char *name)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->present = 1;
    cfg_keys_defaults(tlb_keys, t);
    t->next_index = -1;
}

void config_cache_defaults(struct cache_config *k, const char *name)
{
    memset(k, 0, sizeof *k);
    snprintf(k->name, sizeof k->name, "%s", name);
    k->present = 1;
    cfg_keys_defaults(cache_keys, k);
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

/* ---- validation: the ranges of the tables, then what spans keys ---- */

static int verr(const struct mmsim_config *c, char *err, size_t errlen, struct cfg_loc loc,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int verr(const struct mmsim_config *c, char *err, size_t errlen, struct cfg_loc loc,
                const char *fmt, ...)
{
    char where[CFG_PATH_MAX + 32];
    config_loc_name(c, loc, where, sizeof where);
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
                        t->name, t->next, tlb_kinds[c->tlb[n].kind], tlb_kinds[t->kind]);
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

/* The ranges and names of every table; a global key's message names where it was set. */
static int check_tables(struct mmsim_config *c, char *err, size_t errlen)
{
    char msg[256], key[CFG_NAME_MAX * 3];
    for (size_t s = 0; s < cfg_nsections; s++) {
        const struct cfg_section *sd = &cfg_sections[s];
        if (sd->kind == CFG_SEC_GLOBAL && cfg_keys_check(sd->keys, sd->name, (char *)c + sd->off, msg, sizeof msg)) {
            struct cfg_loc loc = {-1, 0};
            snprintf(key, sizeof key, "%.*s", (int)strcspn(msg, ":"), msg);
            config_key_loc(c, key, &loc);
            return verr(c, err, errlen, loc, "%s", msg);
        }
    }
    for (uint32_t i = 0; i < c->ntlb; i++) {
        snprintf(key, sizeof key, "tlb.%s", c->tlb[i].name);
        if (cfg_keys_check(tlb_keys, key, &c->tlb[i], msg, sizeof msg))
            return verr(c, err, errlen, c->tlb[i].loc, "%s", msg);
    }
    for (uint32_t i = 0; i < c->ncache; i++) {
        snprintf(key, sizeof key, "cache.%s", c->cache[i].name);
        if (cfg_keys_check(cache_keys, key, &c->cache[i], msg, sizeof msg))
            return verr(c, err, errlen, c->cache[i].loc, "%s", msg);
    }
    return 0;
}

int config_validate(struct mmsim_config *c, char *err, size_t errlen)
{
    struct cfg_loc d = {-1, 0};
    if (check_tables(c, err, errlen))
        return -1;
    if (!(c->cpu.base_cpi > 0) || !(c->cpu.freq_ghz > 0) || c->cpu.quantum == 0)
        return verr(c, err, errlen, d, "cpu: base_cpi, freq_ghz and quantum must be positive");
    if (!(c->cpu.stall_scale > 0 && c->cpu.stall_scale <= 1.0))
        return verr(c, err, errlen, d, "cpu: stall_scale must be above 0 and at most 1");
    if (!(c->cpu.contention >= 1.0 && c->cpu.contention <= 16.0))
        return verr(c, err, errlen, d, "cpu: contention must be between 1 and 16");
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
    if (c->slab.min_order > c->slab.max_order && c->slab.max_order)
        return verr(c, err, errlen, d, "slab.min_order: %u is above slab.max_order %u", c->slab.min_order, c->slab.max_order);
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

/* ---- mmsim config show -c FILE [-s k=v]... ---- */

static void config_usage(FILE *f)
{
    fprintf(f, "usage: mmsim config show [-c CONFIG] [-s section.key=value]...\n"
               "  prints the effective configuration, defaults included, as INI\n"
               "       mmsim config keys\n"
               "  prints every key with its type, default, range and meaning (Markdown)\n");
}

static const char *type_name(enum cfg_type t)
{
    static const char *const names[] = {
        [CFG_U32] = "number", [CFG_U64] = "number", [CFG_SIZE] = "size", [CFG_DOUBLE] = "decimal",
        [CFG_BOOL] = "0/1", [CFG_NAME] = "name", [CFG_ENUM] = "one of", [CFG_POLICY] = "policy",
        [CFG_PSIZES] = "page sizes", [CFG_LIST_U32] = "number list", [CFG_DURATION] = "duration",
        [CFG_I32] = "-1000..1000"};
    return names[t];
}

/* `mmsim config keys`: the key reference, rendered from the tables (docs/config-keys.md is
 * its output, and tests/e2e/config_verbs.sh fails when the two differ). */
static void print_key_table(FILE *f)
{
    fprintf(f, "| key | type | default | range | meaning |\n|---|---|---|---|---|\n");
    for (size_t s = 0; s < cfg_nsections; s++) {
        const struct cfg_section *sd = &cfg_sections[s];
        for (const struct cfg_key *d = sd->keys; d->key; d++) {
            char range[160] = "";
            if (d->names)
                cfg_names_phrase(d->names, range, sizeof range);
            else if (d->min <= d->max && d->max >= 1e18)
                snprintf(range, sizeof range, "at least %.15g", d->min);
            else if (d->min <= d->max)
                snprintf(range, sizeof range, "%.15g..%.15g", d->min, d->max);
            fprintf(f, "| `%s%s.%s` | %s | %s | %s | %s |\n", sd->name,
                    sd->kind == CFG_SEC_GLOBAL ? "" : ".NAME", d->key, type_name(d->type),
                    d->def ? d->def : d->type == CFG_NAME ? "(none)" : "0", range, d->help);
        }
    }
}

int cmd_config(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        config_usage(stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "keys")) {
        print_key_table(stdout);
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
