/* test_recq.c - the capture record queue (records written in order by a second thread,
 * across batch boundaries, events with their paths) and the libpfm4 counters (software
 * events open on a child, unknown names reported, not fatal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/counters.h"
#include "capture/recq.h"
#include "traces/mmt.h"

#define NREC 400000 /* three batches and a bit */

static uint64_t addr_of(uint64_t i)
{
    return 0x400000 + ((i * 2654435761u) & 0xffffff);
}

/* Writes accesses, a switch every 100000 records and an event with a path every 50000,
 * then reads them back and compares every record in order. */
static void test_queue_round_trip(void **state)
{
    (void)state;
    char path[] = "/tmp/test_recq." "XX" "XX" "XX"; /* mkstemp template */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    assert_non_null(w);
    struct recq *q = recq_open(w, err, sizeof err);
    assert_non_null(q);
    uint64_t nev = 0, nsw = 0;
    for (uint64_t i = 0; i < NREC; i++) {
        if (i % 100000 == 0) {
            assert_int_equal(recq_switch(q, 1000 + (uint32_t)(i / 100000), 7), 0);
            nsw++;
        }
        if (i % 50000 == 25000) {
            struct mmt_event ev;
            memset(&ev, 0, sizeof ev);
            char p[64];
            snprintf(p, sizeof p, "/lib/file-%llu.so", (unsigned long long)i);
            ev.type = MMT_EV_MMAP;
            ev.nargs = 2;
            ev.args[0] = i;
            ev.args[1] = 4096;
            ev.result = (int64_t)i;
            ev.path = p;
            assert_int_equal(recq_event(q, &ev), 0);
            nev++;
        }
        assert_int_equal(recq_access(q, (unsigned)(i % 4), addr_of(i), 1u << (i % 4)), 0);
    }
    assert_int_equal(recq_queued(q), NREC + nev + nsw);
    assert_int_equal(recq_close(q), 0);
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);

    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    assert_non_null(r);
    const struct mmt_rec *recs;
    size_t n;
    uint64_t i = 0, seen_ev = 0, seen_sw = 0;
    while (mmt_reader_next(r, &recs, &n) == 1) {
        for (size_t k = 0; k < n; k++) {
            const struct mmt_rec *x = &recs[k];
            if (x->kind == MMT_SWITCH) {
                assert_int_equal(x->aux, 1000 + i / 100000);
                seen_sw++;
            } else if (x->kind == MMT_EVENT) {
                const struct mmt_event *ev = mmt_reader_event(r, x->aux);
                char p[64];
                snprintf(p, sizeof p, "/lib/file-%llu.so", (unsigned long long)i);
                assert_int_equal(ev->args[0], i);
                assert_string_equal(ev->path, p);
                seen_ev++;
            } else {
                assert_int_equal(x->kind, i % 4);
                assert_int_equal(x->addr, addr_of(i));
                assert_int_equal(x->size, 1u << (i % 4));
                i++;
            }
        }
    }
    assert_int_equal(i, NREC);
    assert_int_equal(seen_ev, nev);
    assert_int_equal(seen_sw, nsw);
    assert_true(mmt_reader_complete(r));
    mmt_reader_close(r);
    unlink(path);
}

/* A writer that fails (the disk is full) makes the queue report failure, not crash. */
static void test_queue_writer_failure(void **state)
{
    (void)state;
    char err[256];
    struct mmt_writer *w = mmt_writer_open("/dev/full", NULL, err, sizeof err);
    assert_non_null(w);
    struct recq *q = recq_open(w, err, sizeof err);
    assert_non_null(q);
    int failed = 0;
    for (uint64_t i = 0; i < 4000000 && !failed; i++)
        failed = recq_access(q, MMT_LOAD, addr_of(i), 8) != 0;
    int rc = recq_close(q);
    assert_true(failed || rc != 0);
    assert_non_null(strstr(mmt_writer_error(w), "No space"));
    mmt_writer_close(w, err, sizeof err);
}

/* Software page-fault counters open on a child before its exec and count its faults; an
 * unknown event is listed as unavailable. */
static void test_counters_software_events(void **state)
{
    (void)state;
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    close(go[0]);
    char err[256];
    struct counters *c =
        counters_open(pid, "perf::PAGE-FAULTS,perf::MINOR-FAULTS,perf::NO-SUCH-EVENT", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    counters_read(c);
    assert_int_equal(counters_count(c), 2);
    assert_string_equal(counters_name(c, 0), "perf::PAGE-FAULTS");
    /* /bin/true maps libc and touches a few dozen pages at least */
    assert_true(counters_value(c, 0) > 10);
    assert_true(counters_value(c, 1) <= counters_value(c, 0));
    assert_non_null(strstr(counters_unavailable(c), "perf::NO-SUCH-EVENT"));
    counters_close(c);
}

static void test_counters_default_list(void **state)
{
    (void)state;
    char buf[512];
    const char *l = counters_default_list(buf, sizeof buf);
    assert_non_null(strstr(l, "perf::MINOR-FAULTS"));
    assert_non_null(strstr(l, "perf::MAJOR-FAULTS"));
    assert_non_null(strstr(l, "perf::DTLB-LOAD-MISSES"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_round_trip),
        cmocka_unit_test(test_queue_writer_failure),
        cmocka_unit_test(test_counters_software_events),
        cmocka_unit_test(test_counters_default_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
