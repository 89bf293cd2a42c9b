/* import.h - importers of other trace formats into .mmt (Valgrind lackey, Intel Pin's
 * pinatrace, ChampSim input_instr, Dinero din, DynamoRIO drmemtrace). The verb is `mmsim import`; the fuzz
 * targets and tests call mmt_import_stream() directly on a FILE (e.g. from fmemopen). */
#ifndef MMSIM_IMPORT_H
#define MMSIM_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "traces/mmt.h"

enum mmt_import_format {
    MMT_IMPORT_LACKEY,
    MMT_IMPORT_PINATRACE,
    MMT_IMPORT_CHAMPSIM,
    MMT_IMPORT_DIN,
    MMT_IMPORT_DRMEMTRACE,
};

struct mmt_import_stats {
    uint64_t lines;    /* text formats: lines read; ChampSim: instructions; drmemtrace: entries */
    uint64_t accesses; /* access records written */
    uint64_t skipped;  /* comment/chatter lines, din escape/flush records */
    uint64_t split;    /* accesses over 255 bytes (lackey, drmemtrace), split into 64-byte pieces */
};

/* "lackey", "pinatrace", "champsim", "din", "drmemtrace": 0 and *f set, or -1. */
int mmt_import_format_parse(const char *name, enum mmt_import_format *f);
const char *mmt_import_format_name(enum mmt_import_format f);

/* Reads all of `in` (called `name` in messages) and appends its records to w. Sets the
 * header metadata `backend` (import:FORMAT) and `source` before the first record, so call it
 * on a fresh writer. Returns 0, or -1 with err = "NAME:LINE: what" (ChampSim: "NAME: byte N
 * (instruction K): what"); the writer's own errors are passed through. */
int mmt_import_stream(enum mmt_import_format f, FILE *in, const char *name,
                      struct mmt_writer *w, struct mmt_import_stats *st, char *err,
                      size_t errlen);

/* Sets the header metadata `backend` (import:FORMAT) and `source` (name's last component). */
int mmt_import_begin(enum mmt_import_format f, const char *name, struct mmt_writer *w, char *err,
                     size_t errlen);

/* Per-format entry points behind mmt_import_stream. */
int mmt_import_text(enum mmt_import_format f, FILE *in, const char *name, struct mmt_writer *w,
                    struct mmt_import_stats *st, char *err, size_t errlen);
int mmt_import_champsim(FILE *in, const char *name, struct mmt_writer *w,
                        struct mmt_import_stats *st, char *err, size_t errlen);
/* One drmemtrace thread file as a stream (plain entries, gzip, zstd or zip). */
int mmt_import_drmemtrace(FILE *in, const char *name, struct mmt_writer *w,
                          struct mmt_import_stats *st, char *err, size_t errlen);

/* drmemtrace's trace/ folder: the thread files `paths`, interleaved by their timestamps.
 * Sets the same metadata as mmt_import_stream (`source` is `name`). Errors name the file, the
 * zip component, the byte and the entry: "FILE:chunk.0001: byte N (entry K): what". */
int mmt_import_drmemtrace_files(const char *const *paths, size_t n, const char *name,
                                struct mmt_writer *w, struct mmt_import_stats *st, char *err,
                                size_t errlen);

#endif
