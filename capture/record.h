/* record.h - `mmsim record`: options and the interface every capture backend implements.
 * capture/record.c parses options, opens the trace writer, runs the native run and the
 * counters, and hands the traced run to a backend (the Valgrind tool or ptrace). */
#ifndef MMSIM_RECORD_H
#define MMSIM_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "traces/mmt.h"

enum record_backend { RECORD_DBI = 0, RECORD_PTRACE = 1 };

struct record_opts {
    char **argv;           /* the program and its arguments, NULL-terminated */
    const char *output;    /* trace path */
    enum record_backend backend;
    int no_ifetch;         /* leave instruction fetches out */
    int events_only;       /* ptrace: stop only at memory-management syscalls, fault addresses */
    int progress;          /* show a progress line (stderr is a terminal) */
    /* Windows of a long program (DBI only): fast-forward `skip` instructions, record
     * `length`, fast-forward `every`, record `length`, ... (every < 0: one window).
     * length 0: no windows, the whole program is recorded. */
    uint64_t skip, length;
    int64_t every;
    volatile int *stop;    /* set by SIGINT/SIGTERM handlers: backends stop, close, report;
                              the value is the signal number, to forward to the program */
    /* Called by a backend in the parent after it forked the program and before the child
     * execs (the child waits for it), e.g. to attach counters; may be NULL. A nonzero return
     * aborts the run. */
    int (*child_ready)(pid_t pid, void *arg);
    void *child_arg;
};

struct record_result {
    int exit_status;       /* the program's status as waitpid gives it */
    struct rusage ru;      /* the traced process's rusage (RUSAGE of the waited child) */
    int incomplete;        /* nonzero: the trace is cut short */
    char reason[256];      /* why (signal, disk full, backend error) */
};

/* A backend runs the program, writes records and events to w, and fills res. Returns 0, or
 * -1 with err filled (the caller still closes w, marked incomplete). */
int ptrace_record(const struct record_opts *o, struct mmt_writer *w, struct record_result *res,
                  char *err, size_t errlen);
int dbi_record(const struct record_opts *o, struct mmt_writer *w, struct record_result *res,
               char *err, size_t errlen);
/* Decodes a raw stream of the DBI tool as saved with MMSIM_DBI_DUMP=FILE (each frame
 * preceded by its byte length, u32 little-endian) into w. For tests and fuzzing: returns 0,
 * 1 when the stream is malformed (err says where; what came before is written), -1 when
 * the writer failed. */
int dbi_decode_stream(const void *data, size_t len, struct mmt_writer *w, char *err,
                      size_t errlen);

#endif
