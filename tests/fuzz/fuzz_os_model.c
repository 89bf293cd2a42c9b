/* fuzz_os_model.c - arbitrary sequences of mapping events, faults, forks, execs and exits
 * against the OS model (memory.c, mmap.c, page_alloc.c, slub.c) in every THP mode, with a
 * warm or cold page cache, 4K or 16K pages, limited or unlimited memory: nothing may crash,
 * trip the sanitizers or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/config.h"
#include "model/memory.h"
#include "model/mmap.h"
#include "model/page_alloc.h"
#include "model/pgtable.h"

#define NMM 4

struct cursor {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct cursor *c, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && c->n; i++, c->n--) v = v << 8 | *c->p++;
    return v;
}

/* Addresses in a 64 MiB window (so ranges overlap), at 4 KiB granularity or not. */
static uint64_t addr(struct cursor *c) { return 0x40000000ull + (take(c, 2) << 12) + (take(c, 1) & 1 ? 0x800 : 0); }
static uint64_t len(struct cursor *c) { return (take(c, 2) + 1) << 10; }

static const char *const paths[] = {NULL, "/lib/a.so", "/data/b", "[heap]", "[stack]", "[vdso]"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mmsim_config cfg;
    char err[256];
    config_defaults(&cfg);
    if (size < 1) return 0;
    struct cursor c = {data, size};
    unsigned mode = (unsigned)take(&c, 1);
    config_set(&cfg, "memory.size=64M", 0, err, sizeof err);
    config_set(&cfg, (mode & 3) == 0 ? "memory.thp=always" : (mode & 3) == 1 ? "memory.thp=never" : "memory.thp=madvise", 0, err, sizeof err);
    if (mode & 4) config_set(&cfg, "memory.page_cache=cold", 0, err, sizeof err);
    if (mode & 8) config_set(&cfg, "memory.page_size=16K", 0, err, sizeof err);
    if (mode & 16) config_set(&cfg, "memory.unlimited=1", 0, err, sizeof err);
    if (config_validate(&cfg, err, sizeof err)) return 0;
    struct memsys *ms = memsys_new(&cfg, err, sizeof err);
    if (!ms) return 0;
    struct mm *mm[NMM] = {0};
    mm[0] = mm_new(ms);
    while (c.n > 0 && mm[0]) {
        unsigned op = (unsigned)take(&c, 1);
        unsigned who = (op >> 5) % NMM;
        if (!mm[who]) who = 0;
        struct mmt_event ev = {.nargs = 6};
        struct mm_inval inv;
        struct fault_result fr;
        switch (op & 15) {
        case 0: case 1: /* mmap */
            ev.type = (op & 16) ? MMT_EV_MAP_INITIAL : MMT_EV_MMAP;
            ev.args[0] = addr(&c);
            ev.args[1] = len(&c);
            ev.args[2] = take(&c, 1) & 7;
            ev.args[3] = take(&c, 2);
            ev.args[4] = take(&c, 1);
            ev.args[5] = take(&c, 2) << 12;
            if (ev.type == MMT_EV_MAP_INITIAL) ev.args[1] += ev.args[0];
            ev.result = (int64_t)ev.args[0];
            ev.path = paths[take(&c, 1) % 6];
            mm_event(ms, mm[who], &ev, &inv);
            break;
        case 2: ev.type = MMT_EV_MUNMAP; goto range;
        case 3: ev.type = MMT_EV_MPROTECT; goto range;
        case 4: ev.type = MMT_EV_MADVISE; goto range;
        range:
            ev.args[0] = addr(&c);
            ev.args[1] = len(&c);
            ev.args[2] = take(&c, 1) & 31;
            mm_event(ms, mm[who], &ev, &inv);
            break;
        case 5:
            ev.type = MMT_EV_MREMAP;
            ev.args[0] = addr(&c);
            ev.args[1] = len(&c);
            ev.args[2] = len(&c);
            ev.args[3] = take(&c, 1) & 7;
            ev.result = (int64_t)((take(&c, 1) & 1) ? ev.args[0] : addr(&c));
            mm_event(ms, mm[who], &ev, &inv);
            break;
        case 6:
            ev.type = MMT_EV_BRK;
            ev.result = (int64_t)addr(&c);
            mm_event(ms, mm[who], &ev, &inv);
            break;
        case 7: { /* fork */
            for (int i = 0; i < NMM; i++)
                if (!mm[i]) { mm[i] = mm_fork(ms, mm[who]); break; }
            break;
        }
        case 8: /* exit (never the last one) */
            if (who) { mm_destroy(ms, mm[who]); mm[who] = NULL; }
            break;
        case 9:
            ev.type = MMT_EV_EXEC;
            ev.nargs = 0;
            mm_event(ms, mm[who], &ev, &inv);
            break;
        case 10:
            ev.type = MMT_EV_FILE_READ;
            ev.nargs = 4;
            ev.args[1] = take(&c, 2) << 10;
            ev.result = (int64_t)len(&c);
            ev.path = paths[1 + take(&c, 1) % 2];
            mm_event(ms, mm[who], &ev, &inv);
            break;
        default: { /* a fault, as the engine takes it: only when the entry does not allow */
            uint64_t va = addr(&c) + (take(&c, 2) & 0xfff);
            unsigned flags = (op >> 4) & 3;
            unsigned level;
            uint64_t pte = pgtable_lookup(mm_pgtable(mm[who]), va, &level);
            if (!pte || ((flags & FAULT_FLAG_WRITE) && !(pte & PTE_WRITE))) mm_handle_fault(ms, mm[who], va, flags, &fr);
            break;
        }
        }
    }
    for (int i = 0; i < NMM; i++) mm_destroy(ms, mm[i]);
    memsys_free(ms);
    return 0;
}
