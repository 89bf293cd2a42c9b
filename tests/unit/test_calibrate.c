/* test_calibrate.c - the timing fit of [timing] calibrate = native (model/calibrate.h) on
 * synthetic traces that carry a native run: an unpressured replay with the fitted values
 * takes the native user + system time; the fit does not depend on the values it starts
 * from; a trace without a native run is named and the config left alone; the stall floor;
 * cache stalls above the native user time fitted by cpu.stall_scale;
 * the -s settings read back as the fitted double. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/calibrate.h"
#include "model/config.h"
#include "traces/mmt.h"

#define PID 4242
#define PAGES 64
#define ACCESSES 20000

static void map_initial(struct mmt_writer *w, uint64_t base, uint64_t prot, uint64_t flags)
{
    struct mmt_event ev = {0};
    ev.type = MMT_EV_MAP_INITIAL;
    ev.pid = ev.tid = PID;
    ev.nargs = 6;
    ev.args[0] = base;
    ev.args[1] = base + (PAGES + 1) * 4096;
    ev.args[2] = prot;
    ev.args[3] = flags;
    assert_int_equal(mmt_writer_event(w, &ev), 0);
}

/* A program that fetches code and stores over PAGES anonymous pages; its native run's
 * user and system time (NULL: no native run). */
static void write_trace(const char *path, const char *user_s, const char *sys_s)
{
    char err[256];
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    assert_non_null(w);
    if (user_s) {
        assert_int_equal(mmt_writer_meta(w, "native.rusage.utime_s", user_s), 0);
        assert_int_equal(mmt_writer_meta(w, "native.rusage.stime_s", sys_s), 0);
        assert_int_equal(mmt_writer_meta(w, "native.rusage.min_flt", "70"), 0);
        assert_int_equal(mmt_writer_meta(w, "native.wall_s", "0.05"), 0);
    }
    assert_int_equal(mmt_writer_switch(w, PID, PID), 0);
    map_initial(w, 0x400000, 5, 0x02);             /* r-x, private */
    map_initial(w, 0x7f0000000000ULL, 3, 0x22);    /* rw-, private anonymous */
    for (uint64_t i = 0; i < ACCESSES; i++) {
        assert_int_equal(mmt_writer_access(w, MMT_IFETCH, 0x400000 + (i % 256) * 4, 4), 0);
        assert_int_equal(mmt_writer_access(w, MMT_STORE, 0x7f0000000000ULL + (i * 7 % PAGES) * 4096, 8), 0);
    }
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);
}

struct fixture {
    char with[64], without[64], tiny[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char *paths[3] = {f->with, f->without, f->tiny};
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i], 64, "/tmp/test_calibrate.XXXXXX");
        int fd = mkstemp(paths[i]);
        assert_true(fd >= 0);
        close(fd);
    }
    write_trace(f->with, "0.020", "0.004");
    write_trace(f->without, NULL, NULL);
    write_trace(f->tiny, "0.0000001", "0.004"); /* less user time than the model's stalls */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->with);
    unlink(f->without);
    unlink(f->tiny);
    free(f);
    return 0;
}

static struct mmsim_config *config(char **sets, int nsets)
{
    struct mmsim_config *c = malloc(sizeof *c);
    char err[512];
    assert_non_null(c);
    if (config_from_args(c, "configs/minimal.ini", sets, nsets, err, sizeof err))
        fail_msg("%s", err);
    return c;
}

/* An unpressured replay of path with c's values, run (to sim_free). */
static struct sim *unpressured_replay(const struct mmsim_config *c, const char *path)
{
    char err[512];
    struct mmsim_config *u = malloc(sizeof *u);
    *u = *c;
    u->memory.unlimited = 1;
    struct sim *s = sim_new(u, err, sizeof err);
    free(u);
    assert_non_null(s);
    assert_true(sim_add_trace(s, path, err, sizeof err) >= 0);
    assert_int_equal(sim_run(s, err, sizeof err), 0);
    return s;
}

/* Seconds of an unpressured replay of path with c's values. */
static double unpressured_seconds(const struct mmsim_config *c, const char *path)
{
    struct sim *s = unpressured_replay(c, path);
    double cycles;
    assert_int_equal(sim_stat(s, "cycles", &cycles), 0);
    sim_free(s);
    return cycles / (c->cpu.freq_ghz * 1e9);
}

static void fitted_replay_takes_the_native_time(void **state)
{
    struct fixture *f = *state;
    struct mmsim_config *c = config(NULL, 0);
    struct sim_calibration cal;
    char err[512], *traces[] = {f->with};
    assert_int_equal(calibrate_native(c, traces, 1, &cal, err, sizeof err), 0);
    assert_true(cal.applied);
    assert_string_equal(cal.why, "");
    assert_true(cal.base_cpi_to == c->cpu.base_cpi && cal.minor_fault_to == c->timing.minor_fault);
    double t = unpressured_seconds(c, f->with);
    /* timing.minor_fault is rounded to a whole cycle, and the engine counts whole cycles */
    assert_true(t > 0.024 * (1 - 1e-6) && t < 0.024 * (1 + 1e-6));
    if (!(cal.unpressured_s > t * (1 - 1e-6) && cal.unpressured_s < t * (1 + 1e-6)))
        fail_msg("unpressured_s %.12g, the replay %.12g", cal.unpressured_s, t);
    free(c);
}

static void fit_does_not_depend_on_the_starting_values(void **state)
{
    struct fixture *f = *state;
    char *a_sets[] = {"cpu.base_cpi=1", "timing.minor_fault=2000"};
    char *b_sets[] = {"cpu.base_cpi=7.5", "timing.minor_fault=10"};
    struct mmsim_config *a = config(a_sets, 2), *b = config(b_sets, 2);
    struct sim_calibration ca, cb;
    char err[512], *traces[] = {f->with};
    assert_int_equal(calibrate_native(a, traces, 1, &ca, err, sizeof err), 0);
    assert_int_equal(calibrate_native(b, traces, 1, &cb, err, sizeof err), 0);
    assert_true(ca.base_cpi_from == 1 && cb.base_cpi_from == 7.5);
    assert_true(ca.base_cpi_to > cb.base_cpi_to * (1 - 1e-12) && ca.base_cpi_to < cb.base_cpi_to * (1 + 1e-12));
    assert_true(ca.minor_fault_to == cb.minor_fault_to);
    free(a);
    free(b);
}

static void no_native_run_names_the_trace_and_keeps_the_config(void **state)
{
    struct fixture *f = *state;
    struct mmsim_config *c = config(NULL, 0);
    double cpi = c->cpu.base_cpi;
    uint64_t mf = c->timing.minor_fault;
    struct sim_calibration cal;
    char err[512], *traces[] = {f->with, f->without};
    assert_int_equal(calibrate_native(c, traces, 2, &cal, err, sizeof err), 0);
    assert_false(cal.applied);
    assert_non_null(strstr(cal.why, f->without));
    assert_non_null(strstr(cal.why, "no native run"));
    assert_true(c->cpu.base_cpi == cpi && c->timing.minor_fault == mf);
    free(c);
}

static void stalls_above_the_user_time_floor_base_cpi(void **state)
{
    struct fixture *f = *state;
    struct mmsim_config *c = config(NULL, 0);
    struct sim_calibration cal;
    char err[512], *traces[] = {f->tiny};
    assert_int_equal(calibrate_native(c, traces, 1, &cal, err, sizeof err), 0);
    assert_true(cal.applied);
    assert_true(cal.base_cpi_to == 0.25);
    assert_non_null(strstr(cal.why, "floored"));
    free(c);
}

/* An unpressured replay's instructions and stall cycles (TLB + walk, caches) with c. */
static void replay_parts(const struct mmsim_config *c, const char *path, double *instr, double *tlbwalk, double *cache)
{
    struct sim *s = unpressured_replay(c, path);
    double tlb, walk, ca;
    assert_int_equal(sim_stat(s, "instructions", instr), 0);
    assert_int_equal(sim_stat(s, "cpi_breakdown.tlb", &tlb), 0);
    assert_int_equal(sim_stat(s, "cpi_breakdown.walk", &walk), 0);
    assert_int_equal(sim_stat(s, "cpi_breakdown.cache", &ca), 0);
    sim_free(s);
    *tlbwalk = (tlb + walk) * *instr;
    *cache = ca * *instr;
}

/* Cache stalls that leave less than 0.25 cycles an instruction of the native user time: the
 * fit keeps base_cpi at 0.25 and charges the part of the cache stalls that fits (here, by
 * construction, half of them), and the replay with the fitted values takes the native time. */
static void cache_stalls_above_the_user_time_fit_the_stall_scale(void **state)
{
    (void)state;
    char probe[64] = "/tmp/test_calibrate.XXXXXX", path[64] = "/tmp/test_calibrate.XXXXXX";
    close(mkstemp(probe));
    close(mkstemp(path));
    char *sets[] = {"memory.latency=2000"}; /* every first touch of a line a long stall */
    struct mmsim_config *c = malloc(sizeof *c);
    char err[512];
    assert_non_null(c);
    if (config_from_args(c, "configs/default.ini", sets, 1, err, sizeof err)) /* with caches */
        fail_msg("%s", err);
    write_trace(probe, "1", "0.004");
    double instr, tlbwalk, cache;
    replay_parts(c, probe, &instr, &tlbwalk, &cache);
    assert_true(cache > 0.25 * instr); /* the case this covers */
    double hz = c->cpu.freq_ghz * 1e9, user = (0.25 * instr + tlbwalk + 0.5 * cache) / hz;
    char us[40];
    snprintf(us, sizeof us, "%.17g", user);
    write_trace(path, us, "0.004");
    struct sim_calibration cal;
    char *traces[] = {path};
    assert_int_equal(calibrate_native(c, traces, 1, &cal, err, sizeof err), 0);
    assert_true(cal.applied);
    assert_string_equal(cal.why, "");
    assert_true(cal.base_cpi_to == 0.25 && c->cpu.base_cpi == 0.25);
    assert_true(cal.stall_scale_from == 1.0 && cal.stall_scale_to == c->cpu.stall_scale);
    if (!(cal.stall_scale_to > 0.5 - 1e-9 && cal.stall_scale_to < 0.5 + 1e-9))
        fail_msg("stall_scale %.12g, expected 0.5", cal.stall_scale_to);
    double t = unpressured_seconds(c, path), native = user + 0.004;
    if (!(t > native * (1 - 1e-4) && t < native * (1 + 1e-4)))
        fail_msg("the fitted replay takes %.9g s, the native run %.9g s", t, native);
    char sts[CALIBRATE_NSETTINGS][CALIBRATE_SETTING_MAX];
    calibrate_settings(&cal, sts);
    assert_true(!strncmp(sts[2], "cpu.stall_scale=", 16) && strtod(sts[2] + 16, NULL) == cal.stall_scale_to);
    unlink(probe);
    unlink(path);
    free(c);
}

static void settings_read_back_exactly(void **state)
{
    (void)state;
    const double v[] = {1.0 / 3, 147.68855441855051, 0.05, 1e-3, 24.991116995595522, 2.0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct sim_calibration cal = {.applied = 1, .base_cpi_to = v[i], .minor_fault_to = 11897};
        char sets[CALIBRATE_NSETTINGS][CALIBRATE_SETTING_MAX];
        calibrate_settings(&cal, sets);
        assert_true(!strncmp(sets[0], "cpu.base_cpi=", 13));
        assert_true(strtod(sets[0] + 13, NULL) == v[i]);
        assert_string_equal(sets[1], "timing.minor_fault=11897");
        assert_string_equal(sets[3], "timing.calibrate=off");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fitted_replay_takes_the_native_time),
        cmocka_unit_test(fit_does_not_depend_on_the_starting_values),
        cmocka_unit_test(no_native_run_names_the_trace_and_keeps_the_config),
        cmocka_unit_test(stalls_above_the_user_time_floor_base_cpi),
        cmocka_unit_test(cache_stalls_above_the_user_time_fit_the_stall_scale),
        cmocka_unit_test(settings_read_back_exactly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
