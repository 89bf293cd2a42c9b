/* ptrace_uaccess.h - the user memory a system call reads and writes (its buffers, structs,
 * path strings, iovecs), decoded from its number and arguments by the single-step tracer and
 * written as MMT_EV_KERNEL_READ / MMT_EV_KERNEL_WRITE records: the reads at the call's entry,
 * the writes at its exit, with the length the call returned where it says how much it wrote.
 * The calls covered are listed in docs/capture-ptrace.md. Not used by the events-only mode:
 * its perf page-fault events already count the faults the kernel takes in user memory. */
#ifndef MMSIM_PTRACE_UACCESS_H
#define MMSIM_PTRACE_UACCESS_H

#include <stdint.h>
#include <sys/types.h>

#include "capture/ptrace_os.h"

/* The kernel reads of the call sc at its entry (tracee memory still as the call sees it).
 * Returns 0, or -1 when the writer failed. */
int pt_uaccess_entry(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc);
/* The kernel writes of the call sc, which returned result. Returns 0 or -1. */
int pt_uaccess_exit(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc,
                    int64_t result);
/* 1 when the decoder knows what the call nr reads or writes. */
int pt_uaccess_covered(long nr);

#endif
