/* config_key.h - how a module declares its configuration keys: one table a section, each row
 * one key with its type, its place in the module's config struct, its default, its range
 * and what it means. The configuration engine (model/config.c) reads INI files and -s
 * options with these tables, fills in the defaults, checks the ranges, prints the
 * configuration (`mmsim config show`) and the key reference (`mmsim config keys`,
 * docs/config-keys.md). A key has no other declaration: adding one is adding a field to the
 * module's struct and a row to its table. */
#ifndef MMSIM_CONFIG_KEY_H
#define MMSIM_CONFIG_KEY_H

#include <stddef.h>
#include <stdint.h>

enum cfg_type {
    CFG_U32,      /* uint32_t */
    CFG_U64,      /* uint64_t */
    CFG_SIZE,     /* uint64_t bytes: 4096, 32K, 2M, 1G */
    CFG_DOUBLE,   /* double, at least 0 */
    CFG_BOOL,     /* int: 0/1, no/yes, off/on, false/true */
    CFG_NAME,     /* char[CFG_NAME_MAX]: letters, digits, '_', '-' */
    CFG_ENUM,     /* uint32_t (or an enum): the index of the value in `names` */
    CFG_POLICY,   /* uint32_t: enum assoc_policy (lru, plru, fifo, random) */
    CFG_PSIZES,   /* uint32_t: a bit mask of page sizes, "4K,2M,1G" */
    CFG_LIST_U32, /* uint32_t[3] and its count at count_off */
    CFG_DURATION, /* uint64_t ns: 1200, 50us, 4.2ms, 1s */
    CFG_I32       /* int32_t in -1000..1000 */
};

struct cfg_key {
    const char *key;
    enum cfg_type type;
    size_t off;               /* of the field in the section's struct */
    const char *def;          /* the default, written as in an INI file; NULL: zero */
    double min, max;          /* numbers: the range config_validate enforces; min > max: any */
    const char *const *names; /* CFG_ENUM: its values; CFG_NAME: the values allowed (NULL: any);
                                 NULL-terminated */
    const char *help;
    size_t count_off;         /* CFG_LIST_U32: the uint32_t count of values */
    size_t loc_off;           /* a struct cfg_loc recording where it was set; 0: none */
};

/* A row of a table over struct S: any value of its type, or one in min..max. */
#define CFG_KEY(name, type, S, field, def, names, help) \
    {name, type, offsetof(S, field), def, 1, 0, names, help, 0, 0}
#define CFG_KEY_IN(name, type, S, field, def, min, max, help) \
    {name, type, offsetof(S, field), def, min, max, NULL, help, 0, 0}

/* ---- the engine's view (model/config.c, model/config_keys.c) ---- */

/* A section: global ([memory]: one struct at `off` in struct mmsim_config) or one of named
 * instances ([tlb.NAME], [cache.NAME]); `init` sets the defaults of its struct (NULL: the
 * table's defaults over zeroes). */
enum cfg_sec_kind { CFG_SEC_GLOBAL, CFG_SEC_TLB, CFG_SEC_CACHE };
struct cfg_section {
    const char *name;
    enum cfg_sec_kind kind;
    size_t off;
    const struct cfg_key *keys;
    void (*init)(void *base);
};
extern const struct cfg_section cfg_sections[];
extern const size_t cfg_nsections;
struct tlb_config;
struct cache_config;
/* A new [tlb.NAME] or [cache.NAME] with the defaults of its table. */
void config_tlb_defaults(struct tlb_config *t, const char *name);
void config_cache_defaults(struct cache_config *k, const char *name);

/* "a, b or c" from a NULL-terminated list of names, for messages. */
void cfg_names_phrase(const char *const *names, char *buf, size_t len);

/* Sets every key of the table to its default in the struct at base (the rest is untouched). */
void cfg_keys_defaults(const struct cfg_key *keys, void *base);
/* The first key of the table whose value in base is outside its range or its names: 0, or
 * -1 with "section.key: ..." in err. */
int cfg_keys_check(const struct cfg_key *keys, const char *section, const void *base, char *err,
                   size_t errlen);

#endif
