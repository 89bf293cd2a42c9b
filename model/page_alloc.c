/* page_alloc.c - the buddy allocator of one zone (ZONE_NORMAL), as mm/page_alloc.c.
 *
 * Free blocks sit on free lists per order and migrate type. Allocation takes the first
 * block of the smallest order that fits (__rmqueue_smallest) and gives the upper halves
 * back (expand); when the requested type has nothing, it steals from the fallback types
 * (__rmqueue_fallback, simplified: see steal_fallback). Freeing merges with the buddy
 * (buddy_pfn = pfn ^ (1 << order)) while it is a free block of the same order.
 *
 * Memory per frame: one state byte, `buddy` in the frame's struct page (model/page.h: the
 * memory system's array, or one of our own), except for the first frame of a pageblock,
 * whose state sits in a byte per pageblock: every free block of pageblock order and above
 * starts there, so a mostly free machine touches no struct page. Free-list links live per
 * pageblock for blocks of
 * pageblock order and above, and in a 512-entry chunk allocated only for pageblocks that
 * were split below that order, so a mostly free 16 GiB machine costs about 4 MiB. */
#include "model/page_alloc.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/page.h"
#include "model/statreg.h"

#define NO_IDX UINT32_MAX

/* State byte of a frame: the head of a free block (order, list type) or of an allocated
 * block (order); 0 for every frame inside a block. */
#define ST_FREE 0x80u
#define ST_ALLOC 0x40u
#define ST_ORDER(s) ((unsigned)(s) & 0x0fu)
#define ST_MT(s) (((unsigned)(s) >> 4) & 0x03u)

struct pa_link {
    uint32_t next, prev;
};

struct page_alloc {
    uint64_t total;
    unsigned page_shift, max_order, pb_order;
    uint64_t nr_pageblocks;
    struct page *pages;          /* per frame: `buddy` is the state byte below */
    int owns_pages;
    uint8_t *pb_state;           /* per pageblock: the state byte of its first frame */
    uint8_t *pb_mt;              /* per pageblock: its migrate type */
    struct pa_link *pb_links;    /* links of free blocks of order >= pb_order */
    struct pa_link **chunks;     /* per pageblock, links of smaller blocks, on demand */
    uint32_t head[PA_ORDER_LIMIT + 1][PA_NR_MIGRATETYPES];
    uint64_t nr_free[PA_ORDER_LIMIT + 1][PA_NR_MIGRATETYPES];
    uint64_t free_pages;
    uint64_t min_free_kbytes;
    uint64_t wmark[3];
    uint64_t bad_releases;
};

/* The kernel's fallbacks[] table (mm/page_alloc.c). */
static const enum pa_migratetype fallbacks[PA_NR_MIGRATETYPES][2] = {
    [PA_UNMOVABLE] = {PA_RECLAIMABLE, PA_MOVABLE},
    [PA_MOVABLE] = {PA_RECLAIMABLE, PA_UNMOVABLE},
    [PA_RECLAIMABLE] = {PA_UNMOVABLE, PA_MOVABLE},
};

/* ---- the state byte of a frame ---- */

static inline unsigned get_state(const struct page_alloc *pa, uint64_t pfn)
{
    uint64_t mask = ((uint64_t)1 << pa->pb_order) - 1;
    return (pfn & mask) ? pa->pages[pfn].buddy : pa->pb_state[pfn >> pa->pb_order];
}

static inline void set_state(struct page_alloc *pa, uint64_t pfn, unsigned st)
{
    uint64_t mask = ((uint64_t)1 << pa->pb_order) - 1;
    if (pfn & mask) pa->pages[pfn].buddy = (uint8_t)st;
    else pa->pb_state[pfn >> pa->pb_order] = (uint8_t)st;
}

/* ---- free-list links ---- */

static int ensure_chunk(struct page_alloc *pa, uint64_t pfn)
{
    uint64_t pb = pfn >> pa->pb_order;
    if (pa->chunks[pb]) return 0;
    pa->chunks[pb] = calloc((size_t)1 << pa->pb_order, sizeof(struct pa_link));
    return pa->chunks[pb] ? 0 : -1;
}

/* A block of order >= pb_order is pageblock-aligned and uses its pageblock's link (its
 * state is the pageblock's byte: no struct page to read). */
static inline struct pa_link *link_of(const struct page_alloc *pa, uint32_t pfn)
{
    uint64_t pb = (uint64_t)pfn >> pa->pb_order;
    uint32_t off = pfn & (((uint32_t)1 << pa->pb_order) - 1);
    if (off == 0 && ST_ORDER(pa->pb_state[pb]) >= pa->pb_order) return &pa->pb_links[pb];
    return &pa->chunks[pb][off];
}

/* Put a free block on its list; the chunk for small blocks must exist. */
static void list_add(struct page_alloc *pa, uint32_t pfn, unsigned order, unsigned mt, int tail)
{
    set_state(pa, pfn, (uint8_t)(ST_FREE | (mt << 4) | order));
    struct pa_link *l = link_of(pa, pfn);
    uint32_t *head = &pa->head[order][mt];
    if (*head == NO_IDX) {
        l->next = l->prev = pfn;
        *head = pfn;
    } else {
        struct pa_link *h = link_of(pa, *head);
        uint32_t last = h->prev;
        struct pa_link *t = link_of(pa, last);
        l->next = *head;
        l->prev = last;
        t->next = pfn;
        h->prev = pfn;
        if (!tail) *head = pfn;
    }
    pa->nr_free[order][mt]++;
    pa->free_pages += (uint64_t)1 << order;
}

static void list_del(struct page_alloc *pa, uint32_t pfn)
{
    unsigned order = ST_ORDER(get_state(pa, pfn)), mt = ST_MT(get_state(pa, pfn));
    struct pa_link *l = link_of(pa, pfn);
    uint32_t *head = &pa->head[order][mt];
    if (l->next == pfn) {
        *head = NO_IDX;
    } else {
        link_of(pa, l->prev)->next = l->next;
        link_of(pa, l->next)->prev = l->prev;
        if (*head == pfn) *head = l->next;
    }
    set_state(pa, pfn, 0);
    pa->nr_free[order][mt]--;
    pa->free_pages -= (uint64_t)1 << order;
}

static void set_pageblocks_mt(struct page_alloc *pa, uint64_t pfn, unsigned order, unsigned mt)
{
    uint64_t first = pfn >> pa->pb_order;
    uint64_t n = order > pa->pb_order ? (uint64_t)1 << (order - pa->pb_order) : 1;
    for (uint64_t i = 0; i < n && first + i < pa->nr_pageblocks; i++) pa->pb_mt[first + i] = (uint8_t)mt;
}

/* ---- watermarks (__setup_per_zone_wmarks with one zone) ---- */

/* lowmem_kbytes = nr_free_buffer_pages() * PAGE_SIZE / 1K, taken before any watermark
 * exists, i.e. all managed pages. */
uint64_t page_alloc_calc_min_free_kbytes(uint64_t total_pages, unsigned page_shift)
{
    uint64_t lowmem_kbytes = total_pages * (((uint64_t)1 << page_shift) >> 10);
    uint64_t v = int_sqrt(lowmem_kbytes * 16);
    return v < 128 ? 128 : v > 262144 ? 262144 : v;
}

static void setup_wmarks(struct page_alloc *pa, uint64_t min_free_kbytes, unsigned scale)
{
    if (!min_free_kbytes) min_free_kbytes = page_alloc_calc_min_free_kbytes(pa->total, pa->page_shift);
    pa->min_free_kbytes = min_free_kbytes;
    /* pages_min = min_free_kbytes >> (PAGE_SHIFT - 10); one zone takes all of it. */
    uint64_t min = min_free_kbytes >> (pa->page_shift - 10);
    uint64_t delta = pa->total * scale / 10000;
    if (min / 4 > delta) delta = min / 4;
    pa->wmark[PA_WMARK_MIN] = min;
    pa->wmark[PA_WMARK_LOW] = min + delta;
    pa->wmark[PA_WMARK_HIGH] = min + 2 * delta;
}

/* ---- construction ---- */

static unsigned default_max_order(unsigned page_shift)
{
    return page_shift == 14 ? 11 : page_shift == 16 ? 13 : PA_MAX_ORDER;
}

/* memblock_free_all: every frame goes to the free lists in the largest aligned blocks,
 * lowest pfn first, each to the tail (FPI_TO_TAIL), all pageblocks MOVABLE. */
static int free_all_frames(struct page_alloc *pa)
{
    uint64_t pfn = 0;
    while (pfn < pa->total) {
        unsigned order = pa->max_order;
        while (order > 0 && ((pfn & (((uint64_t)1 << order) - 1)) || pfn + ((uint64_t)1 << order) > pa->total))
            order--;
        if (order < pa->pb_order && ensure_chunk(pa, pfn)) return -1;
        list_add(pa, (uint32_t)pfn, order, PA_MOVABLE, 1);
        pfn += (uint64_t)1 << order;
    }
    return 0;
}

struct page_alloc *page_alloc_new(const struct page_alloc_config *cfg)
{
    if (!cfg || cfg->total_pages == 0 || cfg->total_pages >= NO_IDX) return NULL;
    if (cfg->page_shift != 12 && cfg->page_shift != 14 && cfg->page_shift != 16) return NULL;
    unsigned max_order = cfg->max_order ? cfg->max_order : default_max_order(cfg->page_shift);
    if (max_order > PA_ORDER_LIMIT) return NULL;
    struct page_alloc *pa = calloc(1, sizeof(*pa));
    if (!pa) return NULL;
    pa->total = cfg->total_pages;
    pa->page_shift = cfg->page_shift;
    pa->max_order = max_order;
    /* pageblock_order = min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER); the PMD maps
     * page_size / 8 entries of pages: order page_shift - 3. */
    pa->pb_order = cfg->page_shift - 3 < max_order ? cfg->page_shift - 3 : max_order;
    pa->nr_pageblocks = (pa->total + ((uint64_t)1 << pa->pb_order) - 1) >> pa->pb_order;
    memset(pa->head, 0xff, sizeof(pa->head));
    pa->pages = cfg->pages;
    if (!pa->pages) {
        pa->pages = calloc(pa->total, sizeof(struct page));
        pa->owns_pages = 1;
    }
    pa->pb_mt = malloc(pa->nr_pageblocks);
    pa->pb_state = calloc(pa->nr_pageblocks, 1);
    pa->pb_links = calloc(pa->nr_pageblocks, sizeof(struct pa_link));
    pa->chunks = calloc(pa->nr_pageblocks, sizeof(struct pa_link *));
    if (!pa->pages || !pa->pb_state || !pa->pb_mt || !pa->pb_links || !pa->chunks) goto fail;
    memset(pa->pb_mt, PA_MOVABLE, pa->nr_pageblocks);
    if (free_all_frames(pa)) goto fail;
    setup_wmarks(pa, cfg->min_free_kbytes, cfg->watermark_scale_factor ? cfg->watermark_scale_factor : 10);
    return pa;
fail:
    page_alloc_free_all(pa);
    return NULL;
}

void page_alloc_free_all(struct page_alloc *pa)
{
    if (!pa) return;
    if (pa->chunks)
        for (uint64_t i = 0; i < pa->nr_pageblocks; i++) free(pa->chunks[i]);
    free(pa->chunks);
    free(pa->pb_links);
    free(pa->pb_mt);
    if (pa->owns_pages) free(pa->pages);
    free(pa->pb_state);
    free(pa);
}

/* ---- allocation ---- */

/* expand(): split a block of order `high` at pfn down to `low`, giving each upper half
 * back to the free list of type mt. */
static void expand(struct page_alloc *pa, uint32_t pfn, unsigned low, unsigned high, unsigned mt)
{
    while (high > low) {
        high--;
        list_add(pa, pfn + ((uint32_t)1 << high), high, mt, 0);
    }
}

/* Carve an allocation of `order` from the free block at pfn (__rmqueue_smallest's body):
 * the block leaves its list and expand() returns the rest to the same list type. */
static uint32_t take_block(struct page_alloc *pa, uint32_t pfn, unsigned order)
{
    unsigned cur = ST_ORDER(get_state(pa, pfn)), mt = ST_MT(get_state(pa, pfn));
    if (order < pa->pb_order && ensure_chunk(pa, pfn)) return NO_IDX;
    list_del(pa, pfn);
    expand(pa, pfn, order, cur, mt);
    set_state(pa, pfn, (uint8_t)(ST_ALLOC | order));
    return pfn;
}

static uint32_t rmqueue_smallest(struct page_alloc *pa, unsigned order, unsigned mt)
{
    for (unsigned cur = order; cur <= pa->max_order; cur++)
        if (pa->head[cur][mt] != NO_IDX) return take_block(pa, pa->head[cur][mt], order);
    return NO_IDX;
}

/* can_steal_fallback(): take the whole pageblock for large blocks, or for unmovable and
 * reclaimable requests, which otherwise scatter over many pageblocks. */
static int can_steal(const struct page_alloc *pa, unsigned order, unsigned start_mt)
{
    if (order >= pa->pb_order) return 1;
    return order >= pa->pb_order / 2 || start_mt == PA_RECLAIMABLE || start_mt == PA_UNMOVABLE;
}

static int find_fallback(const struct page_alloc *pa, unsigned order, unsigned start_mt, int *steal)
{
    for (int i = 0; i < 2; i++) {
        unsigned mt = fallbacks[start_mt][i];
        if (pa->head[order][mt] == NO_IDX) continue;
        *steal = can_steal(pa, order, start_mt);
        return (int)mt;
    }
    return -1;
}

/* move_freepages_block(): every free block inside the pageblock of pfn moves to mt's
 * lists; returns the free pages moved. */
static uint64_t move_freepages_block(struct page_alloc *pa, uint64_t pfn, unsigned mt)
{
    uint64_t start = pfn & ~(((uint64_t)1 << pa->pb_order) - 1);
    uint64_t end = start + ((uint64_t)1 << pa->pb_order), moved = 0;
    if (end > pa->total) end = pa->total;
    for (uint64_t p = start; p < end;) {
        uint8_t s = get_state(pa, p);
        unsigned o = ST_ORDER(s);
        if ((s & ST_FREE) && o < pa->pb_order) {
            if (ST_MT(s) != mt) {
                list_del(pa, (uint32_t)p);
                list_add(pa, (uint32_t)p, o, mt, 0);
            }
            moved += (uint64_t)1 << o;
            p += (uint64_t)1 << o;
        } else {
            p += (s & (ST_FREE | ST_ALLOC)) ? (uint64_t)1 << o : 1;
        }
    }
    return moved;
}

/* steal_suitable_fallback(), simplified: a block of pageblock order or more changes the
 * type of its pageblocks; a stealing request moves the pageblock's free blocks to its own
 * type and claims the pageblock when at least half of it is free (the kernel also counts
 * compatible pages in use, which the model does not track). */
static void steal_fallback(struct page_alloc *pa, uint32_t pfn, unsigned cur, unsigned start_mt)
{
    if (cur >= pa->pb_order) {
        list_del(pa, pfn);
        set_pageblocks_mt(pa, pfn, cur, start_mt);
        list_add(pa, pfn, cur, start_mt, 0);
        return;
    }
    uint64_t moved = move_freepages_block(pa, pfn, start_mt);
    if (moved >= (uint64_t)1 << (pa->pb_order - 1)) set_pageblocks_mt(pa, pfn, 0, start_mt);
}

/* __rmqueue_fallback: the largest fallback block first, except that a movable request
 * that cannot steal splits the smallest one instead. */
static uint32_t rmqueue_fallback(struct page_alloc *pa, unsigned order, unsigned start_mt)
{
    int mt = -1, steal = 0;
    unsigned cur;
    for (cur = pa->max_order + 1; cur-- > order;) {
        mt = find_fallback(pa, cur, start_mt, &steal);
        if (mt < 0) continue;
        if (!steal && start_mt == PA_MOVABLE && cur > order) {
            for (cur = order; cur <= pa->max_order; cur++)
                if ((mt = find_fallback(pa, cur, start_mt, &steal)) >= 0) break;
        }
        break;
    }
    if (mt < 0) return NO_IDX;
    uint32_t pfn = pa->head[cur][mt];
    if (steal) {
        if (cur < pa->pb_order && ensure_chunk(pa, pfn)) return NO_IDX;
        steal_fallback(pa, pfn, cur, start_mt);
    }
    return take_block(pa, pfn, order);
}

/* __zone_watermark_ok without lowmem reserves and highatomic reserves. */
static int watermark_ok(const struct page_alloc *pa, unsigned order, enum pa_watermark w)
{
    if (w == PA_WMARK_NONE) return 1;
    uint64_t mark = pa->wmark[w];
    uint64_t unusable = ((uint64_t)1 << order) - 1;
    if (pa->free_pages < unusable || pa->free_pages - unusable <= mark) return 0;
    if (order == 0) return 1;
    for (unsigned o = order; o <= pa->max_order; o++)
        for (unsigned mt = 0; mt < PA_NR_MIGRATETYPES; mt++)
            if (pa->nr_free[o][mt]) return 1;
    return 0;
}

uint64_t page_alloc_alloc(struct page_alloc *pa, unsigned order, enum pa_migratetype mt,
                          enum pa_watermark wmark)
{
    if (!pa || order > pa->max_order || (unsigned)mt >= PA_NR_MIGRATETYPES) return PA_NO_PFN;
    if (!watermark_ok(pa, order, wmark)) return PA_NO_PFN;
    uint32_t pfn = rmqueue_smallest(pa, order, mt);
    if (pfn == NO_IDX) pfn = rmqueue_fallback(pa, order, mt);
    return pfn == NO_IDX ? PA_NO_PFN : pfn;
}

/* ---- freeing ---- */

void page_alloc_release(struct page_alloc *pa, uint64_t pfn, unsigned order)
{
    if (!pa || pfn >= pa->total || order > pa->max_order || get_state(pa, pfn) != (ST_ALLOC | order) ||
        (order < pa->pb_order && ensure_chunk(pa, pfn))) {
        if (pa) pa->bad_releases++;
        return;
    }
    set_state(pa, pfn, 0);
    unsigned mt = pa->pb_mt[pfn >> pa->pb_order];
    while (order < pa->max_order) {
        uint64_t buddy = pfn ^ ((uint64_t)1 << order);
        if (buddy + ((uint64_t)1 << order) > pa->total) break;
        uint8_t s = get_state(pa, buddy);
        if (!(s & ST_FREE) || ST_ORDER(s) != order) break;
        list_del(pa, (uint32_t)buddy);
        /* Match the buddy's pageblocks to ours so a later expand() is consistent. */
        if (order >= pa->pb_order && pa->pb_mt[buddy >> pa->pb_order] != mt)
            set_pageblocks_mt(pa, buddy, order, mt);
        pfn &= buddy;
        order++;
    }
    list_add(pa, (uint32_t)pfn, order, mt, 0);
}

int page_alloc_split(struct page_alloc *pa, uint64_t pfn, unsigned order)
{
    if (!page_alloc_is_allocated(pa, pfn, order)) return -1;
    for (uint64_t i = 0; i < ((uint64_t)1 << order); i++) set_state(pa, pfn + i, ST_ALLOC);
    return 0;
}

/* ---- queries ---- */

uint64_t page_alloc_free_pages(const struct page_alloc *pa) { return pa->free_pages; }
uint64_t page_alloc_total_pages(const struct page_alloc *pa) { return pa->total; }
unsigned page_alloc_max_order(const struct page_alloc *pa) { return pa->max_order; }
unsigned page_alloc_pageblock_order(const struct page_alloc *pa) { return pa->pb_order; }
uint64_t page_alloc_min_free_kbytes(const struct page_alloc *pa) { return pa->min_free_kbytes; }
uint64_t page_alloc_bad_releases(const struct page_alloc *pa) { return pa->bad_releases; }

uint64_t page_alloc_wmark(const struct page_alloc *pa, enum pa_watermark w)
{
    return w < PA_WMARK_NONE ? pa->wmark[w] : 0;
}

uint64_t page_alloc_nr_free_mt(const struct page_alloc *pa, unsigned order, enum pa_migratetype mt)
{
    if (order > pa->max_order || (unsigned)mt >= PA_NR_MIGRATETYPES) return 0;
    return pa->nr_free[order][mt];
}

uint64_t page_alloc_nr_free(const struct page_alloc *pa, unsigned order)
{
    uint64_t n = 0;
    for (unsigned mt = 0; mt < PA_NR_MIGRATETYPES; mt++) n += page_alloc_nr_free_mt(pa, order, mt);
    return n;
}

enum pa_migratetype page_alloc_pageblock_mt(const struct page_alloc *pa, uint64_t pfn)
{
    return pfn < pa->total ? (enum pa_migratetype)pa->pb_mt[pfn >> pa->pb_order] : PA_MOVABLE;
}

int page_alloc_is_allocated(const struct page_alloc *pa, uint64_t pfn, unsigned order)
{
    return pa && pfn < pa->total && order <= pa->max_order && get_state(pa, pfn) == (ST_ALLOC | order);
}

/* frag_show_print(): "Node %d, zone %8s " then "%6lu " per order. */
void page_alloc_buddyinfo(const struct page_alloc *pa, FILE *f)
{
    fprintf(f, "Node %d, zone %8s ", 0, "Normal");
    for (unsigned o = 0; o <= pa->max_order; o++) fprintf(f, "%6lu ", (unsigned long)page_alloc_nr_free(pa, o));
    fputc('\n', f);
}

/* fill_contig_page_info() */
struct contig_info {
    uint64_t free_pages, blocks_total, blocks_suitable;
};

static void fill_contig_info(const struct page_alloc *pa, unsigned order, struct contig_info *ci)
{
    memset(ci, 0, sizeof(*ci));
    for (unsigned o = 0; o <= pa->max_order; o++) {
        uint64_t blocks = page_alloc_nr_free(pa, o);
        ci->blocks_total += blocks;
        ci->free_pages += blocks << o;
        if (o >= order) ci->blocks_suitable += blocks << (o - order);
    }
}

/* __fragmentation_index() of mm/vmstat.c. */
int page_alloc_fragmentation_index(const struct page_alloc *pa, unsigned order)
{
    struct contig_info ci;
    if (order > pa->max_order) return 0;
    fill_contig_info(pa, order, &ci);
    if (!ci.blocks_total) return 0;
    if (ci.blocks_suitable) return -1000;
    uint64_t requested = (uint64_t)1 << order;
    return (int)(1000 - (int64_t)((1000 + ci.free_pages * 1000 / requested) / ci.blocks_total));
}

/* unusable_free_index() of mm/vmstat.c. */
int page_alloc_unusable_index(const struct page_alloc *pa, unsigned order)
{
    struct contig_info ci;
    if (order > pa->max_order) return 0;
    fill_contig_info(pa, order, &ci);
    if (!ci.free_pages) return 1000;
    return (int)((ci.free_pages - (ci.blocks_suitable << order)) * 1000 / ci.free_pages);
}

static const struct stat_def D_PA_TOTAL = {"total_pages", "pages", STAT_INFO, "page frames the allocator manages (`memory.size`)", NULL};
static const struct stat_def D_PA_FREE = {"free_pages", "pages", STAT_GAUGE, "free page frames (MemFree)", "free_pages"};
static const struct stat_def D_PA_MFK = {"min_free_kbytes", "KiB", STAT_INFO, "vm.min_free_kbytes: the min watermark's base", NULL};
static const struct stat_def D_PA_WMIN = {"wmark_min", "pages", STAT_INFO, "the min watermark: below it only atomic allocations succeed", NULL};
static const struct stat_def D_PA_WLOW = {"wmark_low", "pages", STAT_INFO, "the low watermark: below it kswapd is woken", NULL};
static const struct stat_def D_PA_WHIGH = {"wmark_high", "pages", STAT_INFO, "the high watermark: kswapd reclaims up to it", NULL};
static const struct stat_def D_PA_NRFREE = {"nr_free", "blocks", STAT_GAUGE, "free blocks of each order (/proc/buddyinfo), index = order", "order"};
static const struct stat_def D_PA_FRAG = {"fragmentation_index", "ratio", STAT_RATIO, "fragmentation index of each order (debugfs extfrag_index; -1: an allocation would succeed)", NULL};
static const struct stat_def D_PA_UNUS = {"unusable_index", "ratio", STAT_RATIO, "unusable free index of each order (debugfs unusable_index)", NULL};

void page_alloc_publish_stats(const struct page_alloc *pa, struct stat_out *o, const char *key)
{
    stat_group_begin(o, key);
    stat_u64(o, &D_PA_TOTAL, pa->total);
    stat_u64(o, &D_PA_FREE, pa->free_pages);
    stat_u64(o, &D_PA_MFK, pa->min_free_kbytes);
    stat_u64(o, &D_PA_WMIN, pa->wmark[PA_WMARK_MIN]);
    stat_u64(o, &D_PA_WLOW, pa->wmark[PA_WMARK_LOW]);
    stat_u64(o, &D_PA_WHIGH, pa->wmark[PA_WMARK_HIGH]);
    stat_list_begin(o, &D_PA_NRFREE);
    for (unsigned ord = 0; ord <= pa->max_order; ord++) stat_item_u64(o, page_alloc_nr_free(pa, ord));
    stat_list_end(o);
    stat_list_begin(o, &D_PA_FRAG);
    for (unsigned ord = 0; ord <= pa->max_order; ord++) stat_item_f64(o, page_alloc_fragmentation_index(pa, ord) / 1000.0);
    stat_list_end(o);
    stat_list_begin(o, &D_PA_UNUS);
    for (unsigned ord = 0; ord <= pa->max_order; ord++) stat_item_f64(o, page_alloc_unusable_index(pa, ord) / 1000.0);
    stat_list_end(o);
    stat_group_end(o);
}
