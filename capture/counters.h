/* counters.h - hardware and software event counters of a child process, encoded by libpfm4
 * and read through perf_event_open. Works with a PMU (real hardware) and without one (a
 * virtual machine: software events only): events that cannot be encoded or opened are listed
 * as unavailable rather than failing the run. */
#ifndef MMSIM_COUNTERS_H
#define MMSIM_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct counters;

/* The default set when no list is given: page faults (all, minor, major), dTLB load and store
 * misses, and the page-walk events of the CPU's PMU where libpfm4 knows them. */
const char *counters_default_list(char *buf, size_t len); /* fills buf, returns it */

/* Opens the events of `list` (comma-separated libpfm4 names; NULL: the default set) on the
 * process `pid`, which must not have exec'd yet: the counters start at its next exec
 * (enable_on_exec) and follow its children and threads (inherit). Returns NULL only on a
 * hard error (out of memory, libpfm4 failing to initialise, an empty list), with err filled;
 * events that merely cannot be opened are reported by counters_unavailable(). */
struct counters *counters_open(pid_t pid, const char *list, char *err, size_t errlen);

/* Reads every open counter (call after the process has ended). */
void counters_read(struct counters *c);
size_t counters_count(const struct counters *c);            /* events opened */
const char *counters_name(const struct counters *c, size_t i);
uint64_t counters_value(const struct counters *c, size_t i); /* scaled if multiplexed */
/* Comma-separated events that could not be encoded or opened, with why; "" if none. */
const char *counters_unavailable(const struct counters *c);
/* "hardware" when a hardware PMU was found, "software-only" otherwise. */
const char *counters_pmu(const struct counters *c);
void counters_close(struct counters *c);

#endif
