/* recq.c - the record queue: batches filled by a capture thread, written by a writer
 * thread (see recq.h). A fixed ring of batches: the filler blocks when all are full, the
 * writer when all are empty. */
#include "capture/recq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBATCH 4
#define BATCH_OPS (1u << 17)
#define NO_PATH SIZE_MAX

struct batch {
    struct recq_op *ops;
    size_t n;
    struct mmt_event *ev;
    size_t *path_off; /* per event: offset into paths, or NO_PATH */
    size_t nev, capev, cappo;
    char *paths;
    size_t npaths, cappaths;
};

struct recq_state {
    struct mmt_writer *w;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_full, cv_free;
    struct batch b[NBATCH];
    struct batch *full[NBATCH]; /* FIFO ring */
    size_t full_head, nfull;
    struct batch *free_list[NBATCH];
    size_t nfree;
    struct batch *filling;
    int done;
    atomic_int failed;
    atomic_uint_fast64_t bytes;
    uint64_t queued_before; /* records in batches already handed over */
};

static int write_batch(struct mmt_writer *w, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct recq_op *op = &b->ops[i];
        int rc;
        if (op->kind <= MMT_MODIFY) {
            rc = mmt_writer_access(w, op->kind, op->addr, op->size);
        } else if (op->kind == MMT_SWITCH) {
            rc = mmt_writer_switch(w, op->aux, (uint32_t)op->addr);
        } else {
            struct mmt_event *ev = &b->ev[op->aux];
            size_t off = b->path_off[op->aux];
            ev->path = off == NO_PATH ? NULL : b->paths + off;
            rc = mmt_writer_event(w, ev);
        }
        if (rc)
            return -1;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct recq_state *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->nfull == 0 && !s->done)
            pthread_cond_wait(&s->cv_full, &s->mu);
        if (s->nfull == 0) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        struct batch *b = s->full[s->full_head];
        s->full_head = (s->full_head + 1) % NBATCH;
        s->nfull--;
        pthread_mutex_unlock(&s->mu);

        if (!atomic_load(&s->failed) && write_batch(s->w, b))
            atomic_store(&s->failed, 1);
        atomic_store(&s->bytes, mmt_writer_bytes(s->w));

        pthread_mutex_lock(&s->mu);
        s->free_list[s->nfree++] = b;
        pthread_cond_signal(&s->cv_free);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static void start_filling(struct recq *q, struct batch *b)
{
    b->n = 0;
    b->nev = 0;
    b->npaths = 0;
    q->s->filling = b;
    q->cur = b->ops;
    q->end = b->ops + BATCH_OPS;
}

static void free_state(struct recq_state *s)
{
    for (int i = 0; i < NBATCH; i++) {
        free(s->b[i].ops);
        free(s->b[i].ev);
        free(s->b[i].path_off);
        free(s->b[i].paths);
    }
    free(s);
}

struct recq *recq_open(struct mmt_writer *w, char *err, size_t errlen)
{
    struct recq *q = calloc(1, sizeof *q);
    struct recq_state *s = calloc(1, sizeof *s);
    if (!q || !s) {
        free(q);
        free(s);
        snprintf(err, errlen, "record queue: out of memory");
        return NULL;
    }
    q->s = s;
    s->w = w;
    for (int i = 0; i < NBATCH; i++) {
        s->b[i].ops = malloc(BATCH_OPS * sizeof *s->b[i].ops);
        if (!s->b[i].ops) {
            snprintf(err, errlen, "record queue: out of memory for %u records", BATCH_OPS);
            free_state(s);
            free(q);
            return NULL;
        }
        if (i > 0)
            s->free_list[s->nfree++] = &s->b[i];
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv_full, NULL);
    pthread_cond_init(&s->cv_free, NULL);
    start_filling(q, &s->b[0]);
    if (pthread_create(&s->thread, NULL, writer_main, s)) {
        snprintf(err, errlen, "record queue: cannot start the writer thread");
        free_state(s);
        free(q);
        return NULL;
    }
    return q;
}

static void hand_over(struct recq *q)
{
    struct recq_state *s = q->s;
    struct batch *b = s->filling;
    b->n = (size_t)(q->cur - b->ops);
    s->queued_before += b->n;
    pthread_mutex_lock(&s->mu);
    s->full[(s->full_head + s->nfull) % NBATCH] = b;
    s->nfull++;
    pthread_cond_signal(&s->cv_full);
    pthread_mutex_unlock(&s->mu);
}

int recq_next_batch(struct recq *q)
{
    struct recq_state *s = q->s;
    hand_over(q);
    pthread_mutex_lock(&s->mu);
    while (s->nfree == 0)
        pthread_cond_wait(&s->cv_free, &s->mu);
    struct batch *b = s->free_list[--s->nfree];
    pthread_mutex_unlock(&s->mu);
    start_filling(q, b);
    return atomic_load(&s->failed) ? -1 : 0;
}

int recq_switch(struct recq *q, uint32_t pid, uint32_t tid)
{
    if (q->cur == q->end && recq_next_batch(q))
        return -1;
    struct recq_op *op = q->cur++;
    op->addr = tid;
    op->aux = pid;
    op->kind = MMT_SWITCH;
    op->size = 0;
    return 0;
}

/* Makes room for `need` elements; returns the (maybe moved) array, or NULL. */
static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(p, ncap * elem);
    if (np)
        *cap = ncap;
    return np;
}

int recq_event(struct recq *q, const struct mmt_event *ev)
{
    if (q->cur == q->end && recq_next_batch(q))
        return -1;
    struct batch *b = q->s->filling;
    struct mmt_event *nev = grow(b->ev, &b->capev, b->nev + 1, sizeof *b->ev);
    if (!nev)
        return -1;
    b->ev = nev;
    size_t *npo = grow(b->path_off, &b->cappo, b->nev + 1, sizeof *b->path_off);
    if (!npo)
        return -1;
    b->path_off = npo;
    size_t plen = ev->path ? strlen(ev->path) + 1 : 0;
    char *np = grow(b->paths, &b->cappaths, b->npaths + plen + 1, 1);
    if (!np)
        return -1;
    b->paths = np;
    b->ev[b->nev] = *ev;
    b->ev[b->nev].path = NULL;
    b->path_off[b->nev] = plen ? b->npaths : NO_PATH;
    if (plen) {
        memcpy(b->paths + b->npaths, ev->path, plen);
        b->npaths += plen;
    }
    struct recq_op *op = q->cur++;
    op->addr = 0;
    op->aux = (uint32_t)b->nev++;
    op->kind = MMT_EVENT;
    op->size = 0;
    return 0;
}

uint64_t recq_queued(const struct recq *q)
{
    return q->s->queued_before + (uint64_t)(q->cur - q->s->filling->ops);
}

uint64_t recq_written_bytes(const struct recq *q)
{
    return atomic_load(&q->s->bytes);
}

int recq_close(struct recq *q)
{
    struct recq_state *s = q->s;
    hand_over(q);
    pthread_mutex_lock(&s->mu);
    s->done = 1;
    pthread_cond_signal(&s->cv_full);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    int failed = atomic_load(&s->failed);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv_full);
    pthread_cond_destroy(&s->cv_free);
    free_state(s);
    free(q);
    return failed ? -1 : 0;
}
