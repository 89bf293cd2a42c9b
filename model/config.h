/* config.h - the machine and OS configuration of one simulation (`struct mmsim_config`),
 * read from INI files with inih: sections [cpu], [tlb.<name>], [cache.<name>], [walker],
 * [memory], [timing], [stats], [swap], [vmscan], [oom], [memcg], [slab] (the list
 * `cfg_sections` in config_keys.c); `include = other.ini`; `-s section.key=value` overrides.
 *
 * A config is a plain value (no pointers): copy it, override keys, validate, hand it to
 * sim_new(). Every key is one row of one table (model/config_key.h) holding its type,
 * default, range and meaning: [swap]'s in swap.c, [vmscan]'s in vmscan.c, the others in
 * config_keys.c. The engine that reads every section with them is config.c. */
#ifndef MMSIM_CONFIG_H
#define MMSIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/swap.h"
#include "model/vmscan.h"

#define CFG_NAME_MAX 32
#define CFG_MAX_TLBS 12
#define CFG_MAX_CACHES 8
#define CFG_MAX_FILES 16
#define CFG_PATH_MAX 256
#define CFG_MAX_PAGE_SIZES 3
#define CFG_MAX_PT_LEVELS 5
#define CFG_MAX_OOM_ADJ 8

/* Page-size classes a TLB can hold: 0 = base page (4K), 1 = 2M, 2 = 1G. */
enum cfg_psize { PSIZE_4K = 0, PSIZE_2M = 1, PSIZE_1G = 2 };

enum cfg_tlb_kind { TLB_KIND_DATA = 0, TLB_KIND_INSTRUCTION = 1, TLB_KIND_UNIFIED = 2 };

/* Where a key was set, for error messages: file index into mmsim_config.files, line. */
struct cfg_loc {
    int16_t file; /* -1: built-in default; CFG_LOC_OVERRIDE: a -s option */
    int32_t line; /* for -s: the option's position */
};
#define CFG_LOC_OVERRIDE (-2)
#define CFG_LOC_TRACE (-3) /* a trait of the host kernel the trace was recorded on */
#define CFG_MAX_GLOBAL_KEYS 128 /* keys of the sections without instances ([memory], ...) */
#define CFG_MAX_TRAITS 16

struct tlb_config {
    char name[CFG_NAME_MAX];
    int present;
    /* One value: one array holding every size in page_sizes. One value per page size: a
     * separate array per size (entries[i], ways[i] belong to page_sizes[i]). */
    uint32_t entries[CFG_MAX_PAGE_SIZES], nentries;
    uint32_t ways[CFG_MAX_PAGE_SIZES], nways; /* 0: fully associative */
    uint32_t page_sizes;                      /* bit mask of (1 << enum cfg_psize) */
    uint32_t policy;                          /* enum assoc_policy */
    uint32_t latency;                         /* cycles added on a hit at this level */
    uint32_t kind;                            /* enum cfg_tlb_kind */
    char next[CFG_NAME_MAX];                  /* "" : none */
    uint64_t seed;
    int next_index;                           /* resolved by config_validate, -1 none */
    struct cfg_loc loc, entries_loc, ways_loc, next_loc;
};

struct cache_config {
    char name[CFG_NAME_MAX];
    int present;
    uint64_t size, line;
    uint32_t ways;     /* 0: fully associative */
    uint32_t latency;  /* cycles added on a hit at this level */
    uint32_t policy;   /* enum assoc_policy */
    uint32_t kind;     /* enum cfg_tlb_kind: data, instruction or unified */
    int shared;        /* 1: one instance shared by every CPU (an LLC); 0: one per CPU */
    char next[CFG_NAME_MAX];
    uint64_t seed;
    int next_index;
    struct cfg_loc loc, size_loc, ways_loc, line_loc, next_loc;
};

struct mmsim_config {
    struct {
        uint32_t count;          /* CPUs */
        double base_cpi;         /* cycles per instruction with perfect memory */
        double stall_scale;      /* the part of the data caches' miss stalls charged (overlap) */
        double freq_ghz;         /* converts ns (I/O, sleeps) to cycles */
        uint64_t quantum;        /* cycles a process runs before the next one is picked */
        uint64_t context_switch; /* cycles per switch between processes */
        int pcid;                /* 1: TLB entries tagged by PCID; 0: flush on switch */
        double contention;       /* time stretch while every other CPU is busy; 1: none */
        int batched_flush_all; /* reclaim's batched TLB flush empties the loaded address spaces (x86) */
    } cpu;
    struct tlb_config tlb[CFG_MAX_TLBS];
    uint32_t ntlb;
    struct cache_config cache[CFG_MAX_CACHES];
    uint32_t ncache;
    struct {
        uint32_t levels;                           /* 4 or 5 */
        uint32_t psc_entries[CFG_MAX_PT_LEVELS + 1]; /* by table level 2..5; 0: none */
        uint32_t psc_ways[CFG_MAX_PT_LEVELS + 1];
        uint32_t memory_latency;                   /* a page-table read when no cache */
        uint32_t latency;                          /* fixed cycles per walk */
    } walker;
    struct {
        uint64_t size;       /* bytes of physical memory */
        uint64_t page_size;  /* base page: 4K (16K, 64K) */
        int unlimited;       /* 1: never runs out (frames from a plain counter) */
        uint32_t latency;    /* cycles of a program read that misses every cache */
        /* the OS model (model/memory.c, page_alloc.c, slub.c; docs/os-model.md) */
        char thp[CFG_NAME_MAX];          /* transparent huge pages: never, madvise, always */
        int zero_page;                   /* 1: a read of a fresh anon page maps the zero page;
                                            0: it allocates a page (mm_forbids_zeropage) */
        int thp_zero_page;               /* 1: a read maps the huge zero page */
        uint64_t fault_around_bytes;     /* file fault-around window (64K: 16 pages) */
        char page_cache[CFG_NAME_MAX];   /* warm: file pages start cached; cold: read on use */
        uint64_t read_ahead;             /* bytes read around a major file fault (128K) */
        uint64_t min_free_kbytes;        /* 0: computed as the kernel does */
        uint32_t watermark_scale_factor; /* 10 = 0.1% of memory between watermarks */
    } memory;
    struct {
        uint64_t minor_fault;  /* cycles the kernel spends on a minor fault */
        uint64_t major_fault;  /* CPU cycles of a major fault, besides the I/O wait */
        uint64_t major_io_ns;  /* I/O wait of a major fault */
        uint64_t evict;        /* CPU cycles to reclaim one page (unmap, swap slot, queue its write) */
        uint64_t evict_clean;  /* CPU cycles to reclaim a page that needs no write */
        uint64_t swap_read_cpu;  /* CPU cycles a swap read request takes from its submitter */
        uint64_t swap_write_cpu; /* ... a swap write request */
        uint64_t irq;          /* cycles a device completion interrupt takes from a busy CPU */
        int32_t irq_cpu;       /* the CPU that takes them; -1: the one that queued the request */
        uint64_t tlb_ipi;      /* cycles the sender of a TLB-flush IPI waits */
        uint64_t tlb_ipi_recv; /* cycles the IPI takes from the CPU it interrupts */
        int32_t tlb_ipi_recv_other; /* ... when that CPU runs another process; -1: tlb_ipi_recv */
        char calibrate[CFG_NAME_MAX]; /* native: fit base_cpi and minor_fault to the trace's
                                         native run (mmsim replay); off */
    } timing;
    struct {
        uint64_t sample_interval; /* cycles between timeline rows */
    } stats;
    /* memory pressure (model/vmscan.c, swap.c, oom_kill.c; docs/memory-pressure.md) */
    struct swap_config swap;     /* model/swap.h: the device; its keys are swap.c's */
    struct vmscan_config vmscan; /* model/vmscan.h: policy and swappiness; keys in vmscan.c */
    struct {
        int32_t score_adj[CFG_MAX_OOM_ADJ]; /* oom_score_adj of the processes of trace i */
    } oom;
    struct {
        uint64_t limit; /* memory.max of one cgroup holding every process; 0: none */
        uint64_t stats_flush; /* ns between flushes of the group's statistics (FLUSH_TIME) */
        uint32_t version;     /* cgroup version: 1 (legacy hierarchy) or 2 */
        uint32_t charge_batch; /* MEMCG_CHARGE_BATCH: pages a charge takes into the CPU's stock */
        uint64_t stock_drain_delay; /* ns until drain_all_stock's work drains another CPU's stock */
    } memcg;
    /* SLUB (model/slub.c): object sizes (0: /proc/slabinfo of the reference machine) and the
     * slub_min_objects / slub_min_order / slub_max_order boot parameters (0: defaults) */
    struct {
        uint32_t task_struct, mm_struct, vm_area_struct, anon_vma, anon_vma_chain;
        uint32_t signal_cache, sighand_cache, files_cache, pid, filp, dentry, inode, radix_tree_node;
        uint32_t min_objects, min_order, max_order;
    } slab;
    /* where each key of a global section was last set (file -1: the built-in default), in
     * the order of the tables of cfg_sections; read with config_key_loc() */
    struct cfg_loc global_loc[CFG_MAX_GLOBAL_KEYS];
    /* the host kernel's traits of the trace replayed and what became of them
     * (model/host_traits.c fills it, the report prints it) */
    struct {
        char trace[CFG_PATH_MAX]; /* the trace they came from; "" none */
        char origin[64];          /* "trace", "imported trace", "no traits recorded" */
        char release[CFG_NAME_MAX * 2];
        struct cfg_trait {
            char name[32];     /* the metadata key without "traits." */
            char recorded[48]; /* "": not in the trace */
            char key[40];      /* the config key modelling it; "": not modelled */
            char note[96];     /* why the trace's value was not taken, or "" */
        } t[CFG_MAX_TRAITS];
        uint32_t n;
    } traits;
    /* files read, for error locations */
    char files[CFG_MAX_FILES][CFG_PATH_MAX];
    uint32_t nfiles;
};

void config_defaults(struct mmsim_config *c);
/* Reads an INI file on top of c (includes are relative to the including file). */
int config_load(struct mmsim_config *c, const char *path, char *err, size_t errlen);
/* Reads INI text; `name` stands for the file in messages. */
int config_load_string(struct mmsim_config *c, const char *text, const char *name, char *err,
                       size_t errlen);
/* One `section.key=value` override (tlb.l1d.entries=128, walker.psc.pd.entries=32). */
int config_set(struct mmsim_config *c, const char *assignment, int argpos, char *err,
               size_t errlen);
/* Resolves `next` names and checks geometry; call after loading and overriding. */
int config_validate(struct mmsim_config *c, char *err, size_t errlen);
/* The [swap] section of a device preset (configs/swap/) over swap_config_defaults, read
 * by the same engine and key table as config_load (includes too); other sections are
 * passed over. A file without [swap] keys is an error. */
int config_load_swap(struct swap_config *out, const char *path, char *err, size_t errlen);
/* The effective configuration as INI, defaults included. */
void config_print(const struct mmsim_config *c, FILE *f);
/* One section of it ("swap"; "tlb": every [tlb.NAME]); -1 for an unknown section. */
int config_print_section(const struct mmsim_config *c, const char *section, FILE *f);
/* The machine a verb uses without -c: configs/default.ini here, else beside the binary
 * (bin/../configs, bin/../share/mmsim/configs). NULL: none found (the built-in defaults). */
const char *config_default_path(char *buf, size_t n);
/* defaults + file + overrides + validate, the way every verb reads -c/-s. */
int config_from_args(struct mmsim_config *c, const char *path, char *const *sets, int nsets,
                     char *err, size_t errlen);

/* Where a key of a global section ("memory.thp") was last set: loc->file is an index into
 * files, CFG_LOC_OVERRIDE (-s), CFG_LOC_TRACE or -1 (the built-in default). Returns 0, or
 * -1 for a key that is not one of a global section. */
int config_key_loc(const struct mmsim_config *c, const char *key, struct cfg_loc *loc);
/* "file:line", "-s option N", "trace" or "default". */
void config_loc_name(const struct mmsim_config *c, struct cfg_loc loc, char *buf, size_t len);
/* The value of a key ("memory.thp", "tlb.l1d.entries") as config_print writes it. Returns
 * 0, or -1 for an unknown key. */
int config_get(const struct mmsim_config *c, const char *key, char *buf, size_t len);
/* As config_set, for a value taken from a trace's traits: the key's place is "trace";
 * `what` names the trace and metadata key in messages. */
int config_set_trait(struct mmsim_config *c, const char *assignment, const char *what, char *err,
                     size_t errlen);

int config_find_tlb(const struct mmsim_config *c, const char *name);
int config_find_cache(const struct mmsim_config *c, const char *name);
unsigned config_page_shift(const struct mmsim_config *c);
const char *config_psize_name(unsigned psize);

#endif
