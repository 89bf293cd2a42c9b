/* plot_labels.c - words and units for config keys and result columns (see plot_labels.h).
 * Two tables: whole names (memory.size, cycles, ...) and the last part of a component's key
 * (tlb.NAME.entries, cache.NAME.size, ...), with the component named by a third. */
#include "analysis/plot_labels.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define KIB (1.0 / 1024)
#define MIB (1.0 / 1048576)

struct word_entry {
    const char *name;  /* the whole key, or the last part of a component's key */
    const char *words; /* a component's entry: "%s" is the component */
    const char *unit;
    double scale;
    int size, bytes;
};

/* Whole keys and result columns. */
static const struct word_entry whole[] = {
    {"memory.size", "Memory size", "MiB", MIB, 1, 1},
    {"memory.page_size", "Base page size", "KiB", KIB, 1, 1},
    {"memory.fault_around_bytes", "Fault-around size", "KiB", KIB, 1, 1},
    {"memory.min_free_kbytes", "min_free_kbytes", "KiB", 1, 1, 0},
    {"memory.thp", "Transparent huge pages", "", 1, 0, 0},
    {"swap.size", "Swap size", "MiB", MIB, 1, 1},
    {"swap.queue_depth", "Swap queue depth", "", 1, 1, 0},
    {"swap.page_cluster", "Swap readahead (page_cluster)", "", 1, 0, 0},
    {"memcg.limit", "Memory cgroup limit", "MiB", MIB, 1, 1},
    {"bytes", "Memory size", "MiB", MIB, 1, 1},
    {"pages", "Memory size", "pages", 1, 1, 0},
    {"cpu.count", "CPUs", "", 1, 1, 0},
    {"cpu.freq_ghz", "CPU frequency", "GHz", 1, 0, 0},
    {"cpu.quantum", "Scheduler quantum", "cycles", 1, 1, 0},
    {"cpu.context_switch", "Context-switch cost", "cycles", 1, 0, 0},
    {"cpu.base_cpi", "Base CPI", "", 1, 0, 0},
    {"cpu.pcid", "PCID", "", 1, 0, 0},
    {"walker.latency", "Page-walk step latency", "cycles", 1, 0, 0},
    {"walker.memory_latency", "Page-walk memory latency", "cycles", 1, 0, 0},
    {"walker.levels", "Page-table levels", "", 1, 0, 0},
    {"vmscan.swappiness", "Swappiness", "", 1, 0, 0},
    {"vmscan.policy", "Page replacement policy", "", 1, 0, 0},
    {"processes", "Concurrent processes", "", 1, 0, 0},
    {"cycles", "Cycles", "", 1, 0, 0},
    {"instructions", "Instructions", "", 1, 0, 0},
    {"accesses", "Memory accesses", "", 1, 0, 0},
    {"cpi", "Cycles per instruction", "", 1, 0, 0},
    {"walks", "Page walks", "", 1, 0, 0},
    {"walk_cycles", "Page-walk cycles", "", 1, 0, 0},
    {"faults.minor", "Minor faults", "", 1, 0, 0},
    {"faults.major", "Major faults", "", 1, 0, 0},
    {"minor_faults", "Minor faults", "", 1, 0, 0},
    {"major_faults", "Major faults", "", 1, 0, 0},
    {"rss_pages", "RSS", "MiB", 4096 * MIB, 0, 0},
    {"free_pages", "Free memory", "MiB", 4096 * MIB, 0, 0},
    {"swap_used_pages", "Swap used", "MiB", 4096 * MIB, 0, 0},
    {"rss_bytes", "RSS", "MiB", MIB, 0, 1},
    {"free_bytes", "Free memory", "MiB", MIB, 0, 1},
    {"swap_bytes", "Swap used", "MiB", MIB, 0, 1},
    {"runtime_s", "Runtime", "s", 1, 0, 0},
    {"miss_ratio", "Miss ratio", "", 1, 0, 0},
    {"busy_cycles", "Busy cycles", "", 1, 0, 0},
    {"idle_cycles", "Idle cycles", "", 1, 0, 0},
};

/* The last part of tlb.NAME.*, cache.NAME.*, walker.psc.NAME.*: "%s" is the component. */
static const struct word_entry part[] = {
    {"entries", "%s entries", "", 1, 1, 0},
    {"ways", "%s ways", "", 1, 0, 0},
    {"latency", "%s latency", "cycles", 1, 0, 0},
    {"size", "%s size", "KiB", KIB, 1, 1},
    {"line", "%s line size", "bytes", 1, 1, 1},
    {"seed", "%s replacement seed", "", 1, 0, 0},
    {"policy", "%s replacement policy", "", 1, 0, 0},
    {"misses", "%s misses", "", 1, 0, 0},
    {"hits", "%s hits", "", 1, 0, 0},
    {"lookups", "%s lookups", "", 1, 0, 0},
    {"accesses", "%s accesses", "", 1, 0, 0},
    {"mpki", "%s misses per 1000 instructions", "", 1, 0, 0},
    {"evictions", "%s evictions", "", 1, 0, 0},
};

/* TLB and cache names as the configs spell them. */
static const struct { const char *prefix, *words; } components[] = {
    {"tlb.l1d", "L1 dTLB"}, {"tlb.dtlb", "L1 dTLB"}, {"tlb.l1i", "L1 iTLB"},
    {"tlb.itlb", "L1 iTLB"}, {"tlb.stlb", "L2 TLB (STLB)"}, {"tlb.l2", "L2 TLB"},
    {"cache.l1d", "L1d cache"}, {"cache.l1i", "L1i cache"}, {"cache.l2", "L2 cache"},
    {"cache.l3", "L3 cache"}, {"cache.llc", "Last-level cache"},
};

/* "tlb.stlb.entries" -> "tlb.stlb", the part before the last dot */
static size_t component_len(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? (size_t)(dot - key) : 0;
}

void plot_component_words(const char *key, char *dst, size_t n)
{
    size_t len = component_len(key);
    dst[0] = 0;
    if (!len)
        return;
    for (size_t i = 0; i < sizeof components / sizeof components[0]; i++)
        if (strlen(components[i].prefix) == len && !strncmp(key, components[i].prefix, len)) {
            snprintf(dst, n, "%s", components[i].words);
            return;
        }
    /* tlb.foo -> "FOO TLB", cache.foo -> "FOO cache", walker.psc.pd -> "PD paging-structure cache" */
    const char *kinds[][2] = {{"tlb.", "TLB"}, {"cache.", "cache"}, {"walker.psc.", "paging-structure cache"}};
    for (size_t k = 0; k < 3; k++) {
        size_t pl = strlen(kinds[k][0]);
        if (len > pl && !strncmp(key, kinds[k][0], pl)) {
            char name[48];
            size_t j = 0;
            for (size_t i = pl; i < len && j + 1 < sizeof name; i++)
                name[j++] = (char)toupper((unsigned char)key[i]);
            name[j] = 0;
            snprintf(dst, n, "%s %s", name, kinds[k][1]);
            return;
        }
    }
}

static void fill(struct key_words *kw, const struct word_entry *e, const char *comp)
{
    if (comp)
        snprintf(kw->words, sizeof kw->words, e->words, comp);
    else
        snprintf(kw->words, sizeof kw->words, "%s", e->words);
    snprintf(kw->unit, sizeof kw->unit, "%s", e->unit);
    kw->scale = e->scale;
    kw->size = e->size;
    kw->bytes = e->bytes;
}

void plot_key_words(const char *key, struct key_words *kw)
{
    memset(kw, 0, sizeof *kw);
    kw->scale = 1;
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        if (!strcmp(key, whole[i].name)) {
            fill(kw, &whole[i], NULL);
            return;
        }
    char comp[96];
    plot_component_words(key, comp, sizeof comp);
    if (comp[0]) {
        const char *last = key + component_len(key) + 1;
        for (size_t i = 0; i < sizeof part / sizeof part[0]; i++)
            if (!strcmp(last, part[i].name)) {
                fill(kw, &part[i], comp);
                return;
            }
        snprintf(kw->words, sizeof kw->words, "%.60s %.30s", comp, last);
        return;
    }
    snprintf(kw->words, sizeof kw->words, "%s", key);
}

void plot_axis_label(const char *key, char *dst, size_t n)
{
    struct key_words kw;
    plot_key_words(key, &kw);
    if (kw.unit[0])
        snprintf(dst, n, "%s (%s)", kw.words, kw.unit);
    else
        snprintf(dst, n, "%s", kw.words);
}

/* 65536 -> "64 KiB", 3145728 -> "3 MiB", 1000 -> "1000 bytes" */
static void human_bytes(uint64_t b, char *dst, size_t n)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < 4 && b >= 1024 && b % 1024 == 0) {
        b /= 1024;
        u++;
    }
    snprintf(dst, n, "%llu %s", (unsigned long long)b, units[u]);
}

void plot_value_words(const char *key, const char *value, char *dst, size_t n)
{
    struct key_words kw;
    plot_key_words(key, &kw);
    size_t len = component_len(key);
    const char *last = len ? key + len + 1 : key;
    char comp[96];
    plot_component_words(key, comp, sizeof comp);
    uint64_t b;
    if (comp[0] && !strcmp(last, "ways")) {
        if (!strcmp(value, "0"))
            snprintf(dst, n, "%s fully associative", comp);
        else
            snprintf(dst, n, "%s %s-way", comp, value);
    } else if (comp[0] && !strcmp(last, "entries")) {
        snprintf(dst, n, "%s %s entries", comp, value);
    } else if (!strcmp(key, "cpu.count") || !strcmp(key, "processes")) {
        snprintf(dst, n, "%s %s%s", value, key[0] == 'c' ? "CPU" : "process",
                 !strcmp(value, "1") ? "" : key[0] == 'c' ? "s" : "es");
    } else if (kw.bytes && parse_size(value, &b) == 0) {
        char h[48];
        human_bytes(b, h, sizeof h);
        snprintf(dst, n, "%s %s", kw.words, h);
    } else if (kw.unit[0]) {
        snprintf(dst, n, "%s %s %s", kw.words, value, kw.unit);
    } else {
        snprintf(dst, n, "%s %s", kw.words, value);
    }
}

int plot_key_is_repeat(const char *key)
{
    const char *dot = strrchr(key, '.');
    const char *last = dot ? dot + 1 : key;
    return !strcmp(last, "seed") || !strcmp(key, "run") || !strcmp(key, "rep") ||
           !strcmp(key, "repeat") || !strcmp(key, "repetition");
}
