/* test_counters.c - the libpfm4 counters of mmsim record (capture/counters.c): software
 * events open on a child before its exec and count its faults, unknown names are reported
 * as unavailable and are not fatal, and the default list names the memory events. */
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
        cmocka_unit_test(test_counters_software_events),
        cmocka_unit_test(test_counters_default_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
