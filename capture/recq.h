/* recq.h - a record queue between a capture backend and the trace writer.
 *
 * The backend's thread decodes what it captures into batches of fixed records; a second
 * thread takes full batches and feeds them to mmt_writer (encoding and zstd), so decoding
 * and compression run on two cores. Order is kept: batches are written in the order they
 * were filled. The writer must not be touched by anyone else between recq_open and
 * recq_close. */
#ifndef MMSIM_RECQ_H
#define MMSIM_RECQ_H

#include <stddef.h>
#include <stdint.h>

#include "traces/mmt.h"

struct recq_op {
    uint64_t addr;  /* access: address; switch: tid */
    uint32_t aux;   /* switch: pid; event: index into the batch's events */
    uint8_t kind;   /* enum mmt_kind */
    uint8_t size;
    uint16_t pad;
};

struct recq_state; /* private */

struct recq {
    struct recq_op *cur, *end; /* the batch being filled */
    struct recq_state *s;
};

struct recq *recq_open(struct mmt_writer *w, char *err, size_t errlen);
/* Hands the current batch over and gets an empty one; -1 once the writer has failed. */
int recq_next_batch(struct recq *q);

static inline int recq_access(struct recq *q, unsigned kind, uint64_t addr, unsigned size)
{
    if (__builtin_expect(q->cur == q->end, 0) && recq_next_batch(q))
        return -1;
    struct recq_op *op = q->cur++;
    op->addr = addr;
    op->kind = (uint8_t)kind;
    op->size = (uint8_t)size;
    return 0;
}

int recq_switch(struct recq *q, uint32_t pid, uint32_t tid);
int recq_event(struct recq *q, const struct mmt_event *ev); /* ev->path is copied */
/* Records queued so far and compressed bytes written so far (for a progress line). */
uint64_t recq_queued(const struct recq *q);
uint64_t recq_written_bytes(const struct recq *q);
/* Writes what is left, stops the writer thread, frees q. Returns 0, or -1 if the writer
 * failed (its message: mmt_writer_error). */
int recq_close(struct recq *q);

#endif
