/* swap.c - swap slots, the swap device's queue and timing, and swap readahead. See swap.h
 * for the model. */
#include "model/swap.h"

#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/config_key.h"

struct swap_dev {
    struct swap_config cfg;
    uint64_t nslots;           /* pages in the area, header slot included */
    uint64_t used;
    uint8_t *map;              /* use count per slot (swap_map) */
    uint16_t *cluster_used;    /* slots in use per cluster */
    uint64_t nclusters;
    uint64_t next;             /* next slot to try in the current cluster */
    uint64_t cluster_cursor;   /* where the search for a free cluster resumes */
    uint64_t *queue_free;      /* when each queue slot becomes free */
    uint64_t channel_free;     /* when the data channel becomes free (all queued work done) */
    uint64_t read_free;        /* when the reads queued so far are done */
    /* swapin_nr_pages' state (the kernel keeps it in statics: one for all swap areas) */
    uint64_t ra_prev_offset;   /* the last miss not preceded by readahead hits */
    unsigned ra_last_pages;    /* the last window */
    unsigned ra_hits;          /* readahead pages hit since the last miss */
    struct swap_stats st;
    /* completion times not yet taken by the engine (swap_log_completions) */
    uint64_t *done_log;
    size_t ndone, capdone;
    int log_on;
    uint64_t rng;              /* latency draws (splitmix64), from cfg.seed */
    double lat_sigma;          /* the lognormal's sigma for cfg.latency_cv */
};

#define K(k, t, field, def, help) CFG_KEY(k, t, struct swap_config, field, def, NULL, help)
#define KI(k, t, field, def, min, max, help) CFG_KEY_IN(k, t, struct swap_config, field, def, min, max, help)
/* the defaults are configs/swap/nvme.ini's device, whose comment gives the sources */
const struct cfg_key swap_config_keys[] = {
    K("size", CFG_SIZE, size, "0", "bytes of swap; 0: none"),
    K("name", CFG_NAME, name, "nvme", "device preset name (configs/swap/)"),
    K("read_latency", CFG_DURATION, read_latency_ns, "20us", "per read request: 20us, 4ms"),
    K("write_latency", CFG_DURATION, write_latency_ns, "16us", "per write request"),
    K("read_bandwidth", CFG_SIZE, read_bandwidth, "3500000000", "bytes per second; 0: none"),
    K("write_bandwidth", CFG_SIZE, write_bandwidth, "3300000000", "bytes per second; 0: none"),
    KI("queue_depth", CFG_U32, queue_depth, "32", 1, 65536, "requests in flight"),
    K("synchronous", CFG_BOOL, synchronous, "0", "1: zram-like, in the faulting task"),
    K("rotational", CFG_BOOL, rotational, "0", "1: a disk: swap readahead by slot, not by address"),
    KI("page_cluster", CFG_U32, page_cluster, "3", 0, 10, "swap readahead of 2^N pages (0..10)"),
    KI("ra_initial_hits", CFG_U32, ra_initial_hits, "4", 0, 255,
       "readahead hits the device (by slot) and each new address space (by address) start with: the kernel's 4 at boot"),
    KI("latency_cv", CFG_DOUBLE, latency_cv, "0", 0, 10,
       "spread of a request's latency (lognormal, this coefficient of variation); 0: fixed"),
    K("seed", CFG_U64, seed, "1", "seed of the latency draws (latency_cv)"),
    {0},
};
_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "CFG_U32 keys are unsigned fields");

void swap_config_defaults(struct swap_config *c)
{
    memset(c, 0, sizeof(*c));
    cfg_keys_defaults(swap_config_keys, c);
    c->page_size = 4096;
}

int swap_parse_duration(const char *s, uint64_t *ns)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    double mult = 1;
    if (*end == '\0' || strcmp(end, "ns") == 0)
        mult = 1;
    else if (strcmp(end, "us") == 0)
        mult = 1e3;
    else if (strcmp(end, "ms") == 0)
        mult = 1e6;
    else if (strcmp(end, "s") == 0)
        mult = 1e9;
    else
        return -1;
    double r = v * mult;
    if (r > 1e18)
        return -1;
    *ns = (uint64_t)(r + 0.5);
    return 0;
}

int swap_config_check(const struct swap_config *c, char *err, size_t errlen)
{
    return cfg_keys_check(swap_config_keys, "swap", c, err, errlen);
}

struct swap_dev *swap_new(const struct swap_config *c)
{
    struct swap_dev *sw = calloc(1, sizeof(*sw));
    if (!sw)
        return NULL;
    sw->cfg = *c;
    if (sw->cfg.page_size == 0)
        sw->cfg.page_size = 4096;
    if (sw->cfg.queue_depth == 0)
        sw->cfg.queue_depth = 1;
    sw->nslots = sw->cfg.size / sw->cfg.page_size;
    if (sw->nslots == 1)
        sw->nslots = 0; /* a header alone holds nothing */
    sw->nclusters = (sw->nslots + SWAPFILE_CLUSTER - 1) / SWAPFILE_CLUSTER;
    sw->map = calloc(sw->nslots ? sw->nslots : 1, 1);
    sw->cluster_used = calloc(sw->nclusters ? sw->nclusters : 1, sizeof(uint16_t));
    sw->queue_free = calloc(sw->cfg.queue_depth, sizeof(uint64_t));
    if (!sw->map || !sw->cluster_used || !sw->queue_free) {
        swap_free_dev(sw);
        return NULL;
    }
    if (sw->nslots) {
        sw->map[0] = 0xff; /* the header: never handed out */
        sw->cluster_used[0] = 1;
    }
    sw->next = 1;
    sw->ra_hits = sw->cfg.ra_initial_hits; /* swapin_readahead_hits: ATOMIC_INIT(4) */
    sw->rng = sw->cfg.seed;
    sw->lat_sigma = sqrt(log1p(sw->cfg.latency_cv * sw->cfg.latency_cv));
    return sw;
}

/* splitmix64: the next 64 random bits */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uniform draw in (0, 1). */
static double next_uniform(uint64_t *state)
{
    return ((double)(next_random(state) >> 11) + 0.5) * 0x1.0p-53;
}

/* One request's latency: the configured mean, or with latency_cv a lognormal draw of that
 * mean, exp(sigma Z - sigma^2 / 2) times it, Z standard normal (Box-Muller). */
static uint64_t request_latency(struct swap_dev *sw, uint64_t mean_ns)
{
    if (sw->lat_sigma <= 0 || mean_ns == 0)
        return mean_ns;
    double u1 = next_uniform(&sw->rng), u2 = next_uniform(&sw->rng);
    double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    double ns = (double)mean_ns * exp(sw->lat_sigma * z - sw->lat_sigma * sw->lat_sigma / 2);
    return ns < 1e18 ? (uint64_t)(ns + 0.5) : (uint64_t)1e18; /* a draw far in the tail stays a number */
}

void swap_free_dev(struct swap_dev *sw)
{
    if (!sw)
        return;
    free(sw->map);
    free(sw->cluster_used);
    free(sw->queue_free);
    free(sw->done_log);
    free(sw);
}

void swap_log_completions(struct swap_dev *sw, int on) { sw->log_on = on; }

/* A request's completion raises the device's interrupt: kept for the engine. The log only
 * grows between two takes (the engine takes it after every fault). */
static void log_completion(struct swap_dev *sw, uint64_t done)
{
    if (sw->ndone == sw->capdone) {
        size_t cap = sw->capdone ? sw->capdone * 2 : 64;
        uint64_t *n = realloc(sw->done_log, cap * sizeof(*n));
        if (!n)
            return; /* an interrupt not charged: no worse than no log */
        sw->done_log = n;
        sw->capdone = cap;
    }
    sw->done_log[sw->ndone++] = done;
}

size_t swap_take_completions(struct swap_dev *sw, uint64_t *out, size_t max)
{
    size_t n = sw->ndone < max ? sw->ndone : max;
    if (n == 0)
        return 0;
    memcpy(out, sw->done_log, n * sizeof(*out));
    memmove(sw->done_log, sw->done_log + n, (sw->ndone - n) * sizeof(*out));
    sw->ndone -= n;
    return n;
}

const struct swap_config *swap_config(const struct swap_dev *sw) { return &sw->cfg; }
uint64_t swap_total_slots(const struct swap_dev *sw) { return sw->nslots ? sw->nslots - 1 : 0; }
uint64_t swap_used_slots(const struct swap_dev *sw) { return sw->used; }
const struct swap_stats *swap_stats(const struct swap_dev *sw) { return &sw->st; }

unsigned swap_slot_count(const struct swap_dev *sw, uint64_t slot)
{
    if (slot == 0 || slot >= sw->nslots)
        return 0;
    return sw->map[slot];
}

static uint64_t cluster_end(const struct swap_dev *sw, uint64_t c)
{
    uint64_t end = (c + 1) * SWAPFILE_CLUSTER;
    return end < sw->nslots ? end : sw->nslots;
}

static uint64_t cluster_size(const struct swap_dev *sw, uint64_t c)
{
    return cluster_end(sw, c) - c * SWAPFILE_CLUSTER;
}

static void take_slot(struct swap_dev *sw, uint64_t slot)
{
    sw->map[slot] = 1;
    sw->cluster_used[slot / SWAPFILE_CLUSTER]++;
    sw->used++;
    sw->next = slot + 1;
}

/* A wholly free cluster, searched from the cursor round; the header's cluster counts as
 * free when only the header is in it. */
static int64_t find_free_cluster(struct swap_dev *sw)
{
    for (uint64_t i = 0; i < sw->nclusters; i++) {
        uint64_t c = (sw->cluster_cursor + i) % sw->nclusters;
        unsigned floor = c == 0 ? 1 : 0;
        if (sw->cluster_used[c] == floor) {
            sw->cluster_cursor = (c + 1) % sw->nclusters;
            return (int64_t)c;
        }
    }
    return -1;
}

uint64_t swap_alloc_slot(struct swap_dev *sw)
{
    if (sw->used >= swap_total_slots(sw)) {
        sw->st.slots_failed++;
        return SWAP_NO_SLOT;
    }
    /* Keep filling the current cluster while its next slot is free. */
    if (sw->next < sw->nslots && sw->next % SWAPFILE_CLUSTER != 0 && sw->map[sw->next] == 0) {
        uint64_t s = sw->next;
        take_slot(sw, s);
        return s;
    }
    int64_t c = find_free_cluster(sw);
    if (c >= 0) {
        uint64_t s = (uint64_t)c * SWAPFILE_CLUSTER;
        if (s == 0)
            s = 1;
        take_slot(sw, s);
        return s;
    }
    /* Fragmented: any free slot in a partly used cluster. */
    for (uint64_t k = 0; k < sw->nclusters; k++) {
        if (sw->cluster_used[k] >= cluster_size(sw, k))
            continue;
        for (uint64_t s = k * SWAPFILE_CLUSTER; s < cluster_end(sw, k); s++) {
            if (sw->map[s] == 0) {
                take_slot(sw, s);
                return s;
            }
        }
    }
    sw->st.slots_failed++;
    return SWAP_NO_SLOT;
}

void swap_dup_slot(struct swap_dev *sw, uint64_t slot)
{
    if (slot == 0 || slot >= sw->nslots || sw->map[slot] == 0 || sw->map[slot] >= 0xfe)
        return;
    sw->map[slot]++;
}

void swap_put_slot(struct swap_dev *sw, uint64_t slot)
{
    if (slot == 0 || slot >= sw->nslots || sw->map[slot] == 0)
        return;
    if (--sw->map[slot] == 0) {
        sw->cluster_used[slot / SWAPFILE_CLUSTER]--;
        sw->used--;
    }
}

/* The queue slot that frees first. */
static unsigned earliest_queue_slot(const struct swap_dev *sw)
{
    unsigned best = 0;
    for (unsigned i = 1; i < sw->cfg.queue_depth; i++)
        if (sw->queue_free[i] < sw->queue_free[best])
            best = i;
    return best;
}

/* The largest write request the block layer built in the kernel traces of
 * tests/validate/thrash_trace.sh (2,032 sectors, 1 MiB), in pages: a read waits for at
 * most one such write in transfer. */
#define SWAP_MAX_REQUEST_PAGES 256

static uint64_t transfer_ns(uint64_t bytes, uint64_t bandwidth)
{
    if (bandwidth == 0)
        return 0;
    return (uint64_t)((double)bytes * 1e9 / (double)bandwidth + 0.5);
}

uint64_t swap_submit(struct swap_dev *sw, uint64_t now_ns, enum swap_dir dir, unsigned npages)
{
    const struct swap_config *c = &sw->cfg;
    uint64_t bytes = (uint64_t)npages * c->page_size;
    uint64_t lat = request_latency(sw, dir == SWAP_READ ? c->read_latency_ns : c->write_latency_ns);
    uint64_t xfer = transfer_ns(bytes, dir == SWAP_READ ? c->read_bandwidth : c->write_bandwidth);
    if (dir == SWAP_READ) {
        sw->st.read_reqs++;
        sw->st.pswpin += npages;
    } else {
        sw->st.write_reqs++;
        sw->st.pswpout += npages;
    }
    if (c->synchronous) {
        /* zram: the (de)compression runs on the task's own CPU, nothing to queue behind. */
        sw->st.busy_ns += lat + xfer;
        return now_ns + lat + xfer;
    }
    unsigned q = earliest_queue_slot(sw);
    uint64_t start = now_ns > sw->queue_free[q] ? now_ns : sw->queue_free[q];
    uint64_t xfer_start = start + lat;
    uint64_t done;
    if (dir == SWAP_READ && sw->channel_free > xfer_start) {
        /* The I/O scheduler dispatches a read before the writes queued ahead of it
         * (mq-deadline): the read waits for the write request being transferred (at most
         * one of the largest size) and for earlier reads, and the writes behind wait for it. */
        uint64_t in_flight = xfer_start + transfer_ns((uint64_t)SWAP_MAX_REQUEST_PAGES * c->page_size, c->write_bandwidth);
        uint64_t at = sw->channel_free < in_flight ? sw->channel_free : in_flight;
        if (sw->read_free > at)
            at = sw->read_free;
        if (at > xfer_start)
            xfer_start = at;
        done = xfer_start + xfer;
        sw->read_free = done;
        sw->channel_free = sw->channel_free > done ? sw->channel_free + xfer : done;
    } else {
        if (sw->channel_free > xfer_start)
            xfer_start = sw->channel_free;
        done = xfer_start + xfer;
        sw->channel_free = done;
        if (dir == SWAP_READ)
            sw->read_free = done;
    }
    sw->queue_free[q] = done;
    sw->st.wait_ns += (start - now_ns) + (xfer_start - start - lat);
    sw->st.busy_ns += xfer;
    if (sw->log_on)
        log_completion(sw, done);
    return done;
}

unsigned swap_ra_pages(uint64_t prev_offset, uint64_t offset, unsigned hits, unsigned max_pages,
                       unsigned prev_win)
{
    /* "+ 2": the kernel's comment says only that it works well on sequential and random
     * loads alike */
    unsigned pages = hits + 2;
    if (pages == 2) {
        /* no hits to judge by: read 2 only when this miss is next to the last one */
        if (offset != prev_offset + 1 && offset != prev_offset - 1)
            pages = 1;
    } else {
        unsigned roundup = 4;
        while (roundup < pages)
            roundup <<= 1;
        pages = roundup;
    }
    if (pages > max_pages)
        pages = max_pages;
    if (pages < prev_win / 2)
        pages = prev_win / 2; /* do not shrink too fast */
    return pages;
}

unsigned swap_cluster_ra_pages(struct swap_dev *sw, uint64_t offset)
{
    unsigned max_pages = sw->cfg.synchronous ? 1u : 1u << sw->cfg.page_cluster;
    if (max_pages <= 1)
        return 1;
    unsigned hits = sw->ra_hits;
    sw->ra_hits = 0;
    unsigned pages = swap_ra_pages(sw->ra_prev_offset, offset, hits, max_pages, sw->ra_last_pages);
    if (!hits)
        sw->ra_prev_offset = offset;
    sw->ra_last_pages = pages;
    return pages;
}

void swap_ra_hit(struct swap_dev *sw)
{
    sw->ra_hits++;
}

unsigned swap_vma_ra_window(struct swap_ra_state *st, uint64_t fpage, unsigned page_cluster,
                            uint64_t *start, uint64_t *end)
{
    unsigned order = page_cluster < SWAP_RA_ORDER_CEILING ? page_cluster : SWAP_RA_ORDER_CEILING;
    unsigned max_win = 1u << order;
    *start = fpage;
    *end = fpage + 1;
    if (max_win == 1)
        return 1;
    uint64_t prev = st->prev_page;
    unsigned win = swap_ra_pages(prev, fpage, st->hits, max_win, st->win);
    st->prev_page = fpage;
    st->win = win;
    st->hits = 0;
    if (win == 1)
        return 1;
    /* the window runs ahead in the direction the faults move, else centres on the fault */
    uint64_t left;
    if (fpage == prev + 1)
        left = fpage;
    else if (prev == fpage + 1)
        left = fpage + 1 >= win ? fpage + 1 - win : 0;
    else
        left = fpage >= (win - 1) / 2 ? fpage - (win - 1) / 2 : 0;
    uint64_t right = left + win;
    uint64_t pmd_first = fpage & ~(uint64_t)(SWAP_PMD_PAGES - 1); /* one page table's span */
    *start = left > pmd_first ? left : pmd_first;
    *end = right < pmd_first + SWAP_PMD_PAGES ? right : pmd_first + SWAP_PMD_PAGES;
    return win;
}

void swap_vma_ra_hit(struct swap_ra_state *st, uint64_t page, int readahead)
{
    st->prev_page = page;
    if (readahead && st->hits < SWAP_RA_HITS_MAX)
        st->hits++;
}

/* The slots in use in the aligned window of win slots around slot, the faulting one first. */
static unsigned window_slots(const struct swap_dev *sw, uint64_t slot, unsigned win, uint64_t *first,
                             uint64_t *slots, unsigned max_slots)
{
    unsigned n = 0;
    if (slot == 0 || slot >= sw->nslots || max_slots == 0)
        return 0;
    uint64_t mask = (uint64_t)win - 1;
    uint64_t start = slot & ~mask, end = slot | mask;
    if (start == 0)
        start = 1; /* the header is never read */
    if (end >= sw->nslots)
        end = sw->nslots - 1;
    if (first)
        *first = start;
    slots[n++] = slot; /* the faulting slot first */
    for (uint64_t s = start; s <= end && n < max_slots; s++)
        if (s != slot && sw->map[s] != 0)
            slots[n++] = s;
    return n;
}

unsigned swap_readahead_window(const struct swap_dev *sw, uint64_t slot, uint64_t *first,
                               uint64_t *slots, unsigned max_slots)
{
    unsigned win = sw->cfg.synchronous ? 1u : 1u << sw->cfg.page_cluster;
    return window_slots(sw, slot, win, first, slots, max_slots);
}

uint64_t swap_read_fault(struct swap_dev *sw, uint64_t now_ns, uint64_t slot, uint64_t *ra,
                         unsigned *nra, unsigned max_ra)
{
    uint64_t win[1u << 10];
    unsigned max = max_ra + 1 < (1u << 10) ? max_ra + 1 : (1u << 10);
    unsigned n = window_slots(sw, slot, swap_cluster_ra_pages(sw, slot), NULL, win, max);
    if (n == 0)
        n = 1;
    for (unsigned i = 1; i < n; i++)
        ra[i - 1] = win[i];
    if (nra)
        *nra = n - 1;
    sw->st.ra_pages += n - 1;
    /* Neighbouring slots go out as one merged request (the block layer's plug merges them). */
    return swap_submit(sw, now_ns, SWAP_READ, n);
}
