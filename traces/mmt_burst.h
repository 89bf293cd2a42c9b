/* mmt_burst.h - access records encoded inline, in a capture backend's hot loop.
 *
 * A call per record costs more than encoding it. A backend that writes hundreds of millions
 * of records (the DBI decoder) borrows the writer's chunk buffer for a burst instead:
 *
 *     struct mmt_burst b;
 *     mmt_writer_burst_begin(w, &b);            // b.left records fit in this chunk
 *     ... mmt_burst_access(&b, ...), mmt_burst_fetch_run(&b, ...) while b.left allows ...
 *     mmt_writer_burst_end(w, &b);              // before any other call on w
 *
 * The bytes are exactly those of the writer's own calls (traces/mmt_writer.c uses the
 * encoding helpers here); a burst may end a chunk a little earlier. */
#ifndef MMSIM_MMT_BURST_H
#define MMSIM_MMT_BURST_H

#include <stdint.h>
#include <string.h>

#include "traces/mmt.h"
#include "traces/mmt_format.h"

/* The state an access stream (fetches, data) is encoded against: traces/FORMAT.md. */
struct mmt_stream {
    uint64_t addr, size, delta;
};

/* Where the reader stands in the fetch plans (traces/FORMAT.md, "Fetch runs"): the plan of
 * the last RUN record and the index of its next instruction. */
struct mmt_runpos {
    uint32_t id, next;
};

struct mmt_burst {
    uint8_t *p;              /* the next byte of the writer's chunk buffer */
    struct mmt_stream st[2]; /* instruction fetches, data accesses */
    struct mmt_runpos run;
    uint32_t gen;            /* the chunk being filled (mmt_plan_ref.gen) */
    uint32_t nplans;         /* plans defined in it */
    uint32_t left;           /* records that may still be written in this burst */
    /* records written, by kind (their sum is the count: a separate counter next to `left`
     * got both updated as one vector, and the next access's load of them stalled on store
     * forwarding) */
    uint64_t kinds[MMT_MODIFY + 1];
};

/* 0, or -1 when the writer has failed (mmt_writer_error). b->left >= 1 on success. */
int mmt_writer_burst_begin(struct mmt_writer *w, struct mmt_burst *b);
void mmt_writer_burst_end(struct mmt_writer *w, const struct mmt_burst *b);

#define MMT_HOT_INLINE static inline __attribute__((always_inline))

static const uint8_t mmt_size_code_of[65] = {
    [1] = 1, [2] = 2, [4] = 3, [8] = 4, [16] = 5, [32] = 6, [64] = 7,
}; /* code + 1; 0 means "size in an extra byte" */

/* The mode of an access against its stream's state (traces/FORMAT.md, "Access records"). */
MMT_HOT_INLINE unsigned mmt_access_mode(const struct mmt_stream *s, uint64_t addr)
{
    if (addr == s->addr + s->size)
        return MMT_MODE_SEQ;
    if (addr == s->addr + s->delta)
        return MMT_MODE_STRIDE;
    if (addr == s->addr)
        return MMT_MODE_SAME;
    return MMT_MODE_DELTA;
}

/* Encodes one access at p against the stream's state s; returns the end. The caller has
 * checked kind (0..3) and size (1..255). */
MMT_HOT_INLINE uint8_t *mmt_encode_access(uint8_t *p, struct mmt_stream *s, unsigned kind,
                                          uint64_t addr, unsigned size)
{
    unsigned mode = mmt_access_mode(s, addr);
    unsigned code = size <= 64 ? mmt_size_code_of[size] : 0;
    code = code ? code - 1 : MMT_TAG_SIZE_EXTRA;
    *p++ = (uint8_t)(kind | (code << 2) | (mode << 5));
    if (code == MMT_TAG_SIZE_EXTRA)
        *p++ = (uint8_t)size;
    if (mode == MMT_MODE_DELTA)
        p += mmt_put_varint(p, mmt_zigzag((int64_t)(addr - s->addr)));
    s->delta = addr - s->addr;
    s->addr = addr;
    s->size = size;
    return p;
}

/* Whether the planned bytes of instruction i (mmt_fetch_plan) are what the writer would
 * encode from the stream state s: s must be the state right after instruction i-1. */
MMT_HOT_INLINE int mmt_plan_applies(const uint64_t *ins, uint32_t i, const struct mmt_stream *s)
{
    if (i == 0)
        return 0;
    uint64_t prev = mmt_fetch_addr(ins[i - 1]), prev_size = ins[i - 1] >> 48;
    if (s->addr != prev || s->size != prev_size)
        return 0;
    if (i == 1) /* the delta before it is unknown to the plan: only a sequential fetch */
        return mmt_fetch_addr(ins[1]) == prev + prev_size;
    return s->delta == prev - mmt_fetch_addr(ins[i - 2]);
}

/* Writes fetches [from, upto) of a planned run at p against the fetch state s; returns the
 * end. The caller has made room (12 bytes a fetch and 16 more). */
MMT_HOT_INLINE uint8_t *mmt_put_planned_run(uint8_t *p, struct mmt_stream *s, const uint64_t *ins,
                                            const uint8_t *enc, const uint32_t *off,
                                            uint32_t from, uint32_t upto)
{
    uint32_t i = from;
    /* Usually one fetch at most: the run's first, after a fetch of another run. */
    while (i < upto && !mmt_plan_applies(ins, i, s)) {
        p = mmt_encode_access(p, s, MMT_IFETCH, mmt_fetch_addr(ins[i]), (unsigned)(ins[i] >> 48));
        i++;
    }
    if (i < upto) {
        uint32_t len = off[upto] - off[i];
        const uint8_t *src = enc + off[i];
        if (len <= 16) /* most runs: one fixed 16-byte move, no call */
            memcpy(p, src, 16);
        else
            memcpy(p, src, len);
        p += len;
        uint64_t last = mmt_fetch_addr(ins[upto - 1]);
        s->delta = last - mmt_fetch_addr(ins[upto - 2]); /* upto - 1 >= i >= 1 */
        s->addr = last;
        s->size = ins[upto - 1] >> 48;
    }
    return p;
}

/* A plan's definition record: its chunk-local id, then each instruction's size and its gap
 * from the end of the one before (the first from 0). At most 8 + 11 n bytes. */
static inline uint8_t *mmt_put_plan_def(uint8_t *p, uint32_t id, const uint64_t *ins, uint32_t n)
{
    *p++ = MMT_TAG_PLAN;
    p += mmt_put_varint(p, id);
    p += mmt_put_varint(p, n);
    uint64_t expect = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = mmt_fetch_addr(ins[i]);
        unsigned size = (unsigned)(ins[i] >> 48);
        *p++ = (uint8_t)size;
        p += mmt_put_varint(p, mmt_zigzag((int64_t)(a - expect)));
        expect = a + size;
    }
    return p;
}

/* Fetches [from, upto) of plan id as one record: MORE when the reader stands at `from` of
 * that plan, RUN otherwise. Leaves the fetch stream's state as the fetches themselves
 * would. At most 16 bytes. */
MMT_HOT_INLINE uint8_t *mmt_put_plan_run(uint8_t *p, struct mmt_runpos *rp, struct mmt_stream *s,
                                         uint32_t id, const uint64_t *ins, uint32_t from,
                                         uint32_t upto)
{
    uint32_t c = upto - from;
    if (rp->id == id && rp->next == from) {
        if (c <= MMT_MORE_SHORT_MAX) {
            *p++ = (uint8_t)(MMT_TAG_MORE_SHORT + c);
        } else {
            *p++ = MMT_TAG_MORE;
            p += mmt_put_varint(p, c);
        }
    } else {
        *p++ = MMT_TAG_RUN;
        p += mmt_put_varint(p, id);
        p += mmt_put_varint(p, from);
        p += mmt_put_varint(p, c);
        rp->id = id;
    }
    rp->next = upto;
    uint64_t last = mmt_fetch_addr(ins[upto - 1]);
    uint64_t prev = c >= 2 ? mmt_fetch_addr(ins[upto - 2]) : s->addr;
    s->delta = last - prev;
    s->addr = last;
    s->size = ins[upto - 1] >> 48;
    return p;
}

/* What a fetch run [from, upto) of an n-instruction plan takes from b->left: its records,
 * one for the RUN record's bytes, and the definition's bytes when the chunk lacks it. */
MMT_HOT_INLINE uint32_t mmt_burst_plan_need(const struct mmt_burst *b,
                                            const struct mmt_plan_ref *ref, uint32_t n,
                                            uint32_t from, uint32_t upto)
{
    return upto - from + 1 + (ref->gen != b->gen ? n + 2 : 0);
}

/* Fetches [from, upto) of the n-instruction plan ins, defining it in this chunk first if
 * needed; needs b->left > mmt_burst_plan_need(), 0 <= from < upto <= n <= MMT_MAX_PLAN_INSNS
 * and sizes 1..255 (mmt_fetch_plan checks them). */
MMT_HOT_INLINE void mmt_burst_plan_run(struct mmt_burst *b, struct mmt_plan_ref *ref,
                                       const uint64_t *ins, uint32_t n, uint32_t from,
                                       uint32_t upto)
{
    b->left -= mmt_burst_plan_need(b, ref, n, from, upto);
    if (ref->gen != b->gen) {
        ref->gen = b->gen;
        ref->id = b->nplans++;
        b->p = mmt_put_plan_def(b->p, ref->id, ins, n);
    }
    b->p = mmt_put_plan_run(b->p, &b->run, &b->st[0], ref->id, ins, from, upto);
    b->kinds[MMT_IFETCH] += upto - from;
}

/* One data or fetch access; needs b->left >= 1, kind 0..3 and size 1..255. */
MMT_HOT_INLINE void mmt_burst_access(struct mmt_burst *b, unsigned kind, uint64_t addr,
                                     unsigned size)
{
    b->p = mmt_encode_access(b->p, &b->st[kind != MMT_IFETCH], kind, addr, size);
    b->left--;
    b->kinds[kind]++;
}

/* Fetches [from, upto) of a planned run; needs b->left >= upto - from. */
MMT_HOT_INLINE void mmt_burst_fetch_run(struct mmt_burst *b, const uint64_t *ins,
                                        const uint8_t *enc, const uint32_t *off, uint32_t from,
                                        uint32_t upto)
{
    if (from >= upto)
        return;
    b->p = mmt_put_planned_run(b->p, &b->st[0], ins, enc, off, from, upto);
    b->left -= upto - from;
    b->kinds[MMT_IFETCH] += upto - from;
}

#endif
