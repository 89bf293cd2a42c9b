/* kernel_probe.h - the traits of the host kernel that change the OS model's answers,
 * probed by `mmsim record` and stored in the trace's metadata (keys `traits.*`,
 * traces/FORMAT.md and docs/trace-format.md), so replay can follow the kernel a trace was
 * recorded on (model/host_traits.c).
 *
 * Behaviour is probed, not inferred from boot parameters: whether a read fault of fresh
 * anonymous memory maps the zero page (minor faults of reads, then of writes, of a few
 * pages) and the fault-around window (debugfs when mounted, else minor faults of reading a
 * cached shmem file through a mapping). Settings are read from sysfs and procfs. A value
 * that cannot be had is left out of the metadata, never guessed. */
#ifndef MMSIM_KERNEL_PROBE_H
#define MMSIM_KERNEL_PROBE_H

#include <stdint.h>

#include "traces/mmt.h"

#define KPROBE_UNKNOWN (-1)

struct kernel_traits {
    int zero_page;                 /* 1: a read fault maps the zero page; 0: it allocates */
    uint64_t zp_pages, zp_read_faults, zp_write_faults; /* the probe's evidence */
    char thp_enabled[16];          /* always, madvise, never; "" unknown */
    char thp_defrag[24];
    int thp_use_zero_page;         /* 0/1 or KPROBE_UNKNOWN */
    int64_t fault_around_bytes;    /* KPROBE_UNKNOWN when neither source gave it */
    const char *fault_around_source; /* "debugfs" or "probe" */
    uint64_t fa_pages, fa_faults;  /* the probe's evidence (source "probe") */
    int64_t page_cluster, swappiness, overcommit_memory, min_free_kbytes;
    int64_t watermark_scale_factor, mem_total_kb;
    int64_t page_size;
    char release[65];
};

/* Probes the running kernel (a few milliseconds; maps and touches a few hundred pages). */
void kernel_probe(struct kernel_traits *t);
/* Writes the known traits as header metadata `traits.*`. Returns 0 or -1 (writer error). */
int kernel_probe_write_meta(const struct kernel_traits *t, struct mmt_writer *w);

#endif
