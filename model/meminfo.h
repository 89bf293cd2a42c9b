/* meminfo.h - memory state in the words users know from the shell: a `free -h` table
 * (procps free, from /proc/meminfo's fields) and `vmstat` lines (procs r b, memory swpd
 * free buff cache, swap si so, io bi bo). Pure formatting of numbers the engine gathers. */
#ifndef MMSIM_MEMINFO_H
#define MMSIM_MEMINFO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The /proc/meminfo values `free` shows, in bytes. */
struct meminfo {
    uint64_t total, free, buffers, cached, shared, available;
    uint64_t swap_total, swap_free;
};

/* procps' human-readable size: "0B", "1023B" is too wide so "1.0Ki", "3.6Gi", "12Gi",
 * "387Mi": the first unit in which "%.1f" fits 5 characters with its unit, else "%ld". */
void meminfo_human(uint64_t bytes, char *buf, size_t len);

/* The `free -h` table: header, Mem: and Swap: lines, procps' column widths
 * (label 8, columns 12). used = total - free - buffers - cached. */
void meminfo_print_free(FILE *f, const struct meminfo *m);

/* One vmstat sample. Memory in KiB; si/so in KiB per second swapped in/out; bi/bo in
 * 1 KiB blocks per second read from / written to block devices (swap included). */
struct vmstat_sample {
    unsigned r, b;               /* runnable (running or waiting for a CPU), blocked on I/O */
    uint64_t swpd, free, buff, cache;
    uint64_t si, so, bi, bo;
};
void meminfo_vmstat_header(FILE *f);
void meminfo_vmstat_line(FILE *f, const struct vmstat_sample *v);

/* Rates for a vmstat line from two cumulative counters over an interval in ns. */
uint64_t meminfo_rate_per_s(uint64_t now, uint64_t before, uint64_t interval_ns);

#endif
