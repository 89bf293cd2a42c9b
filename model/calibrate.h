/* calibrate.h - `[timing] calibrate = native` and `mmsim calibrate`: cpu.base_cpi and
 * timing.minor_fault (and cpu.stall_scale, when the cache stalls alone exceed the native
 * user time) fitted so that an unpressured replay of traces takes their native run's
 * user + system time (the run `mmsim record` makes of the program without the recorder).
 *
 * The fit absorbs whatever the config changes in that replay's time (TLB sizes, page sizes,
 * caches): fitted to each config under study, every config takes the same time. So the fit
 * belongs to the reference machine: fit once (mmsim calibrate; mmsim sweep does it per trace
 * on its base config) and give the values to every replay that is compared. */
#ifndef MMSIM_CALIBRATE_H
#define MMSIM_CALIBRATE_H

#include <stddef.h>

#include "model/sim.h"

struct mmsim_config;

/* The -s settings that give a replay the fitted timing and stop it fitting again. */
#define CALIBRATE_NSETTINGS 4
#define CALIBRATE_SETTING_MAX 64

/* Fits c->cpu.base_cpi and c->timing.minor_fault to the native runs of the traces (whatever
 * c->timing.calibrate says) and fills cal. c is the config as the replay uses it (file, -s,
 * the traces' traits). Returns 0: cal->applied, or cal->why says why nothing could be fitted
 * (a trace without a native run...) and c is unchanged; -1 with err when the replay fails. */
int calibrate_native(struct mmsim_config *c, char *const *traces, int ntraces, struct sim_calibration *cal,
                     char *err, size_t errlen);

/* Reads -c path (NULL: the built-in defaults) and the -s sets, applies the traces' traits,
 * as mmsim replay does, then calibrate_native: the fit `mmsim calibrate` prints and
 * `mmsim sweep` uses. Same returns. */
int calibrate_from_args(const char *path, char *const *sets, int nsets, char *const *traces, int ntraces,
                        struct sim_calibration *cal, char *err, size_t errlen);

/* "cpu.base_cpi=V" (V reads back as the same double), "timing.minor_fault=N",
 * "cpu.stall_scale=V" and "timing.calibrate=off": the fit of cal (applied) as -s settings
 * for mmsim replay. */
void calibrate_settings(const struct sim_calibration *cal, char sets[CALIBRATE_NSETTINGS][CALIBRATE_SETTING_MAX]);

#endif
