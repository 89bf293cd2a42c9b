/* test_dbi_order.c - the order of process events the DBI backend's host writes
 * (capture/dbi.c) from the tool's messages as they arrive: a FORK event before the child's
 * first record whichever side reports first, with the clone flags either way, and a vfork
 * parent's messages held until its child execs or ends. The messages are built here as the
 * tool sends them (capture/vgtool/protocol.h) and decoded with dbi_decode_stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/record.h"
#include "capture/vgtool/protocol.h"
#include "traces/mmt.h"

#define FORK_FLAGS 0x11ULL   /* SIGCHLD */
#define VFORK_FLAGS 0x4111ULL /* CLONE_VM | CLONE_VFORK | SIGCHLD: posix_spawn */

struct stream {
    uint8_t buf[8192];
    size_t n;
};

/* One control frame of pid holding one record of type with the given words. */
static void frame(struct stream *s, uint32_t pid, unsigned type, const uint64_t *x, unsigned nx)
{
    uint64_t w[32];
    w[0] = (MMS_FRAME_MAGIC << 32) | pid;
    w[1] = ((uint64_t)MMS_C_EXT << MMS_CODE_SHIFT) | ((uint64_t)type << MMS_ARG_SHIFT) | nx;
    memcpy(w + 2, x, nx * sizeof *x);
    uint32_t bytes = (uint32_t)((2 + nx) * 8);
    assert_true(s->n + 4 + bytes <= sizeof s->buf);
    memcpy(s->buf + s->n, &bytes, 4);
    memcpy(s->buf + s->n + 4, w, bytes);
    s->n += 4 + bytes;
}

/* START: kind, parent pid, clone flags, the path "/p" */
static void start(struct stream *s, uint32_t pid, uint64_t kind, uint32_t ppid, uint64_t flags)
{
    uint64_t path = 0;
    memcpy(&path, "/p", 3);
    uint64_t x[4] = {kind, ppid, flags, path};
    frame(s, pid, MMS_X_START, x, 4);
}

/* The parent's post-fork report: syscall number, result (child pid), 6 args (0: flags). */
static void forked(struct stream *s, uint32_t pid, uint32_t child, uint64_t flags)
{
    uint64_t x[8] = {56 /* clone */, child, flags, 0, 0, 0, 0, 0};
    frame(s, pid, MMS_X_SYSCALL, x, 8);
}

static void end(struct stream *s, uint32_t pid)
{
    uint64_t x[1] = {0};
    frame(s, pid, MMS_X_END, x, 1);
}

/* Decodes the stream into a trace and lists its process events as "fork:PID:FLAGS",
 * "exec:PID" separated by spaces. */
static void events_of(const struct stream *s, char *out, size_t outlen)
{
    char path[] = "/tmp/test_dbi_order." "XX" "XX" "XX"; /* mkstemp template */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(dbi_decode_stream(s->buf, s->n, w, err, sizeof err), 0);
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    assert_non_null(r);
    const struct mmt_rec *recs;
    size_t n;
    out[0] = '\0';
    while (mmt_reader_next(r, &recs, &n) == 1)
        for (size_t i = 0; i < n; i++) {
            if (recs[i].kind != MMT_EVENT)
                continue;
            const struct mmt_event *ev = mmt_reader_event(r, recs[i].aux);
            assert_non_null(ev);
            size_t len = strlen(out);
            if (ev->type == MMT_EV_FORK)
                snprintf(out + len, outlen - len, "%sfork:%llu:%#llx", len ? " " : "",
                         (unsigned long long)ev->args[0], (unsigned long long)ev->args[1]);
            else if (ev->type == MMT_EV_EXEC)
                snprintf(out + len, outlen - len, "%sexec:%u", len ? " " : "", ev->pid);
        }
    mmt_reader_close(r);
    unlink(path);
}

static void test_fork_parent_first(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    start(&s, 100, MMS_START_FIRST, 1, 0);
    forked(&s, 100, 101, FORK_FLAGS);
    start(&s, 101, MMS_START_FORK, 100, FORK_FLAGS);
    end(&s, 101);
    end(&s, 100);
    char got[256];
    events_of(&s, got, sizeof got);
    assert_string_equal(got, "fork:101:0x11");
}

/* The child's START first: the FORK event comes from it, with the flags it inherited. */
static void test_vfork_child_first_keeps_flags(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    start(&s, 100, MMS_START_FIRST, 1, 0);
    start(&s, 101, MMS_START_FORK, 100, VFORK_FLAGS);
    forked(&s, 100, 101, VFORK_FLAGS);
    start(&s, 101, MMS_START_FIRST, 100, 0); /* exec */
    end(&s, 101);
    end(&s, 100);
    char got[256];
    events_of(&s, got, sizeof got);
    assert_string_equal(got, "fork:101:0x4111 exec:101");
}

/* Valgrind runs a vfork as a fork: the parent's next fork may arrive before the child's
 * exec, but natively the parent was suspended until then. */
static void test_vfork_parent_waits_for_exec(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    start(&s, 100, MMS_START_FIRST, 1, 0);
    forked(&s, 100, 101, VFORK_FLAGS);
    forked(&s, 100, 102, FORK_FLAGS); /* the parent ran on: held */
    start(&s, 101, MMS_START_FORK, 100, VFORK_FLAGS);
    start(&s, 101, MMS_START_FIRST, 100, 0); /* exec: the parent goes on */
    start(&s, 102, MMS_START_FORK, 100, FORK_FLAGS);
    end(&s, 101);
    end(&s, 102);
    end(&s, 100);
    char got[256];
    events_of(&s, got, sizeof got);
    assert_string_equal(got, "fork:101:0x4111 exec:101 fork:102:0x11");
}

/* A vfork child that exits without exec releases its parent; one that never reports
 * again releases it at the end of the recording. */
static void test_vfork_released_by_end(void **state)
{
    (void)state;
    struct stream s = {.n = 0};
    start(&s, 100, MMS_START_FIRST, 1, 0);
    forked(&s, 100, 101, VFORK_FLAGS);
    forked(&s, 100, 102, VFORK_FLAGS);
    start(&s, 101, MMS_START_FORK, 100, VFORK_FLAGS);
    end(&s, 101);
    start(&s, 102, MMS_START_FORK, 100, VFORK_FLAGS);
    forked(&s, 100, 103, FORK_FLAGS); /* held: 102 never execs nor ends */
    char got[256];
    events_of(&s, got, sizeof got);
    assert_string_equal(got, "fork:101:0x4111 fork:102:0x4111 fork:103:0x11");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fork_parent_first),
        cmocka_unit_test(test_vfork_child_first_keeps_flags),
        cmocka_unit_test(test_vfork_parent_waits_for_exec),
        cmocka_unit_test(test_vfork_released_by_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
