/* fuzz_replay.c - the engine on arbitrary records and OS events (any kind, address, size,
 * event type and arguments, forks, exits, switches) with small machines, limited memory
 * included: it must never crash, and the accesses it reports must be the ones it was fed
 * (fewer only when the OOM killer ended the trace). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/sim.h"

#define MAX_RECS 4096

struct fsrc {
    struct mmt_rec recs[MAX_RECS];
    struct mmt_event evs[MAX_RECS];
    size_t n, pos;
};

static int fnext(void *ctx, const struct mmt_rec **recs, size_t *n)
{
    struct fsrc *f = ctx;
    if (f->pos >= f->n)
        return 0;
    size_t k = f->n - f->pos < 97 ? f->n - f->pos : 97;
    *recs = f->recs + f->pos;
    *n = k;
    f->pos += k;
    return 1;
}

static const struct mmt_event *fevent(void *ctx, uint32_t idx)
{
    struct fsrc *f = ctx;
    return idx < f->n ? &f->evs[idx] : NULL;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static const char *const machines[] = {
    "[tlb.l1d]\nentries = 8\nways = 2\n[memory]\nsize = 2M\n",
    ("[tlb.l1d]\nentries = 16\nways = 0\npage_sizes = 4K,2M\nnext = l2\n[tlb.l2]\nentries = 64\nways = 4\n"
     "page_sizes = 4K,2M,1G\npolicy = plru\n[tlb.i]\nkind = itlb\nentries = 4\npolicy = random\n"
     "[cache.l1d]\nsize = 1K\nways = 2\nline = 64\n[walker]\npsc.pd.entries = 2\n[memory]\nunlimited = 1\n"),
    ("[cpu]\ncount = 2\nquantum = 50\npcid = 0\n[tlb.u]\nkind = unified\nentries = 12\nways = 3\npolicy = fifo\n"
     "[cache.c]\nkind = unified\nsize = 512\nways = 0\nline = 32\nshared = 1\n[memory]\nsize = 1M\nthp = always\n"),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct mmsim_config *c = malloc(sizeof *c);
    struct fsrc *f = calloc(1, sizeof *f);
    char err[512];
    if (!c || !f)
        goto out;
    config_defaults(c);
    if (config_load_string(c, machines[data[0] % 3], "fuzz.ini", err, sizeof err) ||
        config_validate(c, err, sizeof err))
        abort(); /* the machines above are valid */
    uint64_t accesses = 0;
    /* 20 bytes a record: kind, size, aux (4), addr (8), arg (6 bytes of event args seed) */
    for (size_t off = 1; off + 20 <= size && f->n < MAX_RECS; off += 20) {
        const uint8_t *p = data + off;
        struct mmt_rec *r = &f->recs[f->n];
        unsigned kind = p[0] % MMT_KIND_COUNT;
        uint64_t addr = rd64(p + 6) & 0x0000ffffffffffffULL;
        memset(r, 0, sizeof *r);
        r->kind = (uint8_t)kind;
        if (kind <= MMT_MODIFY) {
            r->addr = addr;
            r->size = p[1];
            accesses++;
        } else if (kind == MMT_SWITCH) {
            r->addr = p[2] % 4;
            r->aux = 100 + p[3] % 4;
        } else {
            struct mmt_event *e = &f->evs[f->n];
            memset(e, 0, sizeof *e);
            e->type = (uint16_t)(1 + p[1] % MMT_EV_KERNEL_WRITE);
            e->nargs = MMT_EVENT_MAX_ARGS;
            e->args[0] = e->type == MMT_EV_FORK ? 100 + p[2] % 4 : addr & ~0xfffULL;
            e->args[1] = (uint64_t)p[2] << (p[3] % 24);
            if (e->type == MMT_EV_KERNEL_READ || e->type == MMT_EV_KERNEL_WRITE) {
                e->args[0] = addr; /* any alignment; at most 4 MiB, so an input stays fast */
                e->args[1] = (uint64_t)p[2] << (p[3] % 15);
            }
            e->args[2] = p[4] % 8;
            e->args[3] = p[5] % 2 ? 0x22 : 0x02;
            e->args[4] = UINT64_MAX;
            e->args[5] = p[14];
            e->result = p[15] % 8 == 0 ? -1 : (e->type == MMT_EV_MMAP ? (int64_t)e->args[0] : 0);
            r->aux = (uint32_t)f->n;
        }
        f->n++;
    }
    struct sim *s = sim_new(c, err, sizeof err);
    if (!s)
        abort();
    struct sim_source src = {fnext, fevent, NULL, f, data[0] & 0x80 ? SIM_SOURCE_NO_MAPPINGS : 0};
    if (sim_add_source(s, "fuzz", &src, err, sizeof err) < 0)
        abort();
    err[0] = 0;
    if (sim_run(s, err, sizeof err)) {
        /* allowed (a machine too small for a new process), but only with a message that
         * names the record */
        if (!strstr(err, "fuzz: record "))
            abort();
    } else {
        /* every access fed is counted once, unless the OOM killer ended the trace early */
        double v, oom;
        if (sim_stat(s, "accesses", &v) || sim_stat(s, "faults.oom", &oom) || v > (double)accesses ||
            (v < (double)accesses && oom == 0))
            abort();
    }
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        sim_report_text(s, null);
        fclose(null);
    }
    sim_free(s);
out:
    free(c);
    free(f);
    return 0;
}
