/* trace_api.c - libmmsim's public reader (libmmsim/mmsim.h) over the .mmt reader of traces/.
 * The public types are laid out as the internal ones, so batches pass through uncopied; the
 * static assertions below hold the two together. */
#include "libmmsim/mmsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/mmt.h"

_Static_assert(sizeof(mmsim_record) == sizeof(struct mmt_rec), "mmsim_record = mmt_rec");
_Static_assert(offsetof(mmsim_record, kind) == offsetof(struct mmt_rec, kind), "kind");
_Static_assert(offsetof(mmsim_record, size) == offsetof(struct mmt_rec, size), "size");
_Static_assert(offsetof(mmsim_record, aux) == offsetof(struct mmt_rec, aux), "aux");
_Static_assert(sizeof(mmsim_event) == sizeof(struct mmt_event), "mmsim_event = mmt_event");
_Static_assert(offsetof(mmsim_event, result) == offsetof(struct mmt_event, result), "result");
_Static_assert(offsetof(mmsim_event, args) == offsetof(struct mmt_event, args), "args");
_Static_assert(offsetof(mmsim_event, path) == offsetof(struct mmt_event, path), "path");
_Static_assert(MMSIM_EVENT_MAX_ARGS == MMT_EVENT_MAX_ARGS, "event arguments");
_Static_assert((int)MMSIM_KIND_COUNT == (int)MMT_KIND_COUNT && (int)MMSIM_EVENT == (int)MMT_EVENT, "kinds");

struct mmsim_trace_s {
    struct mmt_reader *r;
    uint64_t chunk;     /* the chunk the next mmsim_next() decodes */
    uint32_t nevents;   /* events in the batch last returned */
};

unsigned mmsim_version_number(void)
{
    return MMSIM_VERSION_NUMBER;
}

mmsim_trace *mmsim_open(const char *path, char *err, size_t errlen)
{
    char buf[512];
    mmsim_trace *t = calloc(1, sizeof *t);
    if (!t) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", path ? path : "(null)");
        return NULL;
    }
    if (!path) {
        if (err && errlen)
            snprintf(err, errlen, "mmsim_open: no path");
        free(t);
        return NULL;
    }
    t->r = mmt_reader_open(path, err && errlen ? err : buf, err && errlen ? errlen : sizeof buf);
    if (!t->r) {
        free(t);
        return NULL;
    }
    return t;
}

int mmsim_next(mmsim_trace *t, const mmsim_record **recs, size_t *n)
{
    const struct mmt_rec *r;
    int rc = mmt_reader_next(t->r, &r, n);
    *recs = (const mmsim_record *)r;
    t->nevents = 0;
    if (rc == 1) {
        struct mmt_chunk_info ci;
        if (!mmt_reader_chunk_info(t->r, (size_t)t->chunk, &ci))
            t->nevents = ci.events;
        t->chunk++;
    }
    return rc;
}

const mmsim_event *mmsim_event_at(const mmsim_trace *t, uint32_t index)
{
    if (index >= t->nevents)
        return NULL;
    return (const mmsim_event *)mmt_reader_event(t->r, index);
}

int mmsim_rewind(mmsim_trace *t)
{
    t->chunk = 0;
    t->nevents = 0;
    return mmt_reader_rewind(t->r);
}

int mmsim_seek_chunk(mmsim_trace *t, uint64_t i)
{
    if (mmt_reader_seek_chunk(t->r, i))
        return -1;
    t->chunk = i;
    t->nevents = 0;
    return 0;
}

uint64_t mmsim_chunks(const mmsim_trace *t)
{
    return mmt_reader_chunks(t->r);
}

void mmsim_close(mmsim_trace *t)
{
    if (!t)
        return;
    mmt_reader_close(t->r);
    free(t);
}

size_t mmsim_meta_count(const mmsim_trace *t)
{
    return mmt_reader_meta_count(t->r);
}

const char *mmsim_meta_key(const mmsim_trace *t, size_t i)
{
    const struct mmt_meta *m = i < mmt_reader_meta_count(t->r) ? mmt_reader_meta_at(t->r, i) : NULL;
    return m ? m->key : NULL;
}

const char *mmsim_meta_value(const mmsim_trace *t, size_t i)
{
    const struct mmt_meta *m = i < mmt_reader_meta_count(t->r) ? mmt_reader_meta_at(t->r, i) : NULL;
    return m ? m->value : NULL;
}

const char *mmsim_meta(const mmsim_trace *t, const char *key)
{
    return mmt_reader_meta(t->r, key);
}

int mmsim_complete(const mmsim_trace *t)
{
    return mmt_reader_complete(t->r);
}

const char *mmsim_incomplete_reason(const mmsim_trace *t)
{
    const char *s = mmt_reader_incomplete_reason(t->r);
    return s ? s : "";
}

int mmsim_counts(const mmsim_trace *t, uint64_t counts[MMSIM_KIND_COUNT])
{
    struct mmt_totals tot;
    if (mmt_reader_totals(t->r, &tot))
        return -1;
    memcpy(counts, tot.kinds, sizeof tot.kinds);
    return 0;
}

const char *mmsim_error(const mmsim_trace *t)
{
    const char *s = mmt_reader_error(t->r);
    return s ? s : "";
}

const char *mmsim_kind_name(unsigned kind)
{
    return mmt_kind_name(kind);
}

const char *mmsim_event_name(unsigned type)
{
    return mmt_event_name(type);
}
