/* host_traits.h - replay follows the kernel a trace was recorded on: the host kernel's
 * traits in the trace's metadata (`traits.*`, written by capture/kernel_probe.c) become
 * the values of the config keys that model them, where neither a config file nor `-s`
 * set the key. Precedence: -s > config file > trace traits > built-in default.
 *
 *   traits.zero_page             memory.zero_page
 *   traits.thp.enabled           memory.thp
 *   traits.thp.use_zero_page     memory.thp_zero_page
 *   traits.fault_around_bytes    memory.fault_around_bytes
 *   traits.page_cluster          swap.page_cluster
 *   traits.swappiness            vmscan.swappiness
 *   traits.min_free_kbytes       memory.min_free_kbytes (only when memory.size is the
 *                                host's memory within 10%: the kernel sizes it by memory)
 *   traits.watermark_scale_factor memory.watermark_scale_factor
 *   traits.page_size             memory.page_size
 *   traits.thp.defrag, traits.overcommit_memory: recorded and reported, not modelled.
 *
 * Imported traces carry no traits of a kernel: they replay with the config's values. */
#ifndef MMSIM_HOST_TRAITS_H
#define MMSIM_HOST_TRAITS_H

#include <stddef.h>
#include <stdio.h>

#include "traces/mmt.h"

struct mmsim_config;
struct json;

/* Applies the traits of the trace open in r (named `name` in messages) to c, which holds
 * the defaults, the config file and the -s overrides already, and records in c->traits
 * what came from where. With several traces call it for each: the first that carries
 * traits decides; a later one whose traits differ gets a warning on stderr. Returns 0, or
 * -1 with err naming the trace and the metadata key of a value that cannot be read. */
int host_traits_apply(struct mmsim_config *c, const struct mmt_reader *r, const char *name,
                      char *err, size_t errlen);

/* host_traits_apply for each of the trace files, in order. A trace that does not open is
 * passed over: the replay that follows reports it. Returns 0, or -1 with err. */
int host_traits_apply_traces(struct mmsim_config *c, char *const *traces, int ntraces, char *err,
                             size_t errlen);

/* The report: for each trait-modelled key, the recorded value, the value used and where
 * it came from ("cmdline", "config", "trace", "default"). */
void host_traits_report_json(const struct mmsim_config *c, struct json *j); /* "kernel_traits" member */
void host_traits_report_text(const struct mmsim_config *c, FILE *f);

#endif
