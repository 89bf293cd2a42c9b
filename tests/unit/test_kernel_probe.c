/* test_kernel_probe.c - the host-kernel probe against the live kernel: its zero-page answer
 * agrees with a separate read-then-write of fresh pages counted here, its fault-around
 * window is a power of two pages within one page table, and what it writes into a trace
 * is what replay takes (probe -> metadata -> host_traits -> config). Passes on kernels with
 * and without the zero page: the expectation comes from this kernel's own fault counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/kernel_probe.h"
#include "model/config.h"
#include "model/host_traits.h"
#include "traces/mmt.h"

#define PAGES 200

static long thread_minflt(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
    return ru.ru_minflt;
}

/* Faults of writing PAGES fresh anonymous pages after reading them. */
static long write_faults_after_read(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
    volatile unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    madvise((void *)p, len, MADV_NOHUGEPAGE);
    unsigned sum = 0;
    for (size_t i = 0; i < PAGES; i++)
        sum += p[i * page];
    long f0 = thread_minflt();
    for (size_t i = 0; i < PAGES; i++)
        p[i * page] = (unsigned char)(sum + 1);
    long f1 = thread_minflt();
    munmap((void *)p, len);
    return f1 - f0;
}

static void test_zero_page_agrees_with_the_kernel(void **st)
{
    (void)st;
    struct kernel_traits t;
    kernel_probe(&t);
    assert_true(t.zero_page == 0 || t.zero_page == 1);
    long w = write_faults_after_read();
    /* with the zero page every write copies (PAGES faults); without it none faults */
    if (t.zero_page)
        assert_true(w >= PAGES * 9 / 10);
    else
        assert_true(w <= PAGES / 10);
    assert_int_equal(t.zp_read_faults >= t.zp_pages / 2, 1);
}

static void test_fault_around_is_a_power_of_two(void **st)
{
    (void)st;
    struct kernel_traits t;
    kernel_probe(&t);
    if (t.fault_around_bytes == KPROBE_UNKNOWN)
        skip();
    int64_t pages = t.fault_around_bytes / t.page_size;
    assert_true(pages >= 1 && pages <= 512);
    assert_int_equal(pages & (pages - 1), 0);
    assert_true(t.page_size >= 4096);
}

static void test_probe_round_trips_into_the_config(void **st)
{
    (void)st;
    struct kernel_traits t;
    kernel_probe(&t);
    char path[96], err[512];
    snprintf(path, sizeof path, "/tmp/mmsim-test-probe-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(mmt_writer_meta(w, "backend", "dbi"), 0);
    assert_int_equal(kernel_probe_write_meta(&t, w), 0);
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    assert_non_null(r);
    struct mmsim_config *c = malloc(sizeof *c);
    assert_non_null(c);
    config_defaults(c);
    c->memory.zero_page = !t.zero_page; /* the opposite, to see the trace's value arrive */
    assert_int_equal(host_traits_apply(c, r, path, err, sizeof err), 0);
    assert_int_equal(c->memory.zero_page, t.zero_page);
    if (t.fault_around_bytes != KPROBE_UNKNOWN)
        assert_int_equal(c->memory.fault_around_bytes, (uint64_t)t.fault_around_bytes);
    if (t.swappiness != KPROBE_UNKNOWN && t.swappiness <= 200)
        assert_int_equal(c->vmscan.swappiness, (uint32_t)t.swappiness);
    assert_string_equal(mmt_reader_meta(r, "traits.kernel_release"), t.release);
    mmt_reader_close(r);
    free(c);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_page_agrees_with_the_kernel),
        cmocka_unit_test(test_fault_around_is_a_power_of_two),
        cmocka_unit_test(test_probe_round_trips_into_the_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
