/* export.h - exporters of .mmt traces to other simulators' formats: Valgrind lackey, Dinero
 * din and ChampSim input_instr (what `mmsim import` reads back). The verb is `mmsim export`;
 * tests call mmt_export_stream() on an open reader and a FILE. The formats' layouts live in
 * traces/foreign.h, shared with the importers. */
#ifndef MMSIM_EXPORT_H
#define MMSIM_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "traces/mmt.h"

enum mmt_export_format {
    MMT_EXPORT_LACKEY,
    MMT_EXPORT_DIN,
    MMT_EXPORT_CHAMPSIM,
};

struct mmt_export_stats {
    uint64_t accesses;         /* accesses read from the trace */
    uint64_t written;          /* lines (lackey, din) or input_instr records (ChampSim) */
    uint64_t switches;         /* thread switches the format cannot carry (dropped) */
    uint64_t events;           /* OS events the format cannot carry (dropped) */
    uint64_t merged_operands;  /* ChampSim: a repeated address of one instruction, kept once */
    uint64_t dropped_operands; /* ChampSim: operands past the record's 4 sources/2 destinations */
    uint64_t taken_branches;   /* ChampSim: instructions marked as taken branches */
};

/* "lackey", "din", "champsim": 0 and *f set, or -1. */
int mmt_export_format_parse(const char *name, enum mmt_export_format *f);

/* Writes every record of r to out (called `name` in messages); ChampSim output is
 * xz-compressed when xz is nonzero. Returns 0, or -1 with err naming the trace's or the
 * output's file and place. A trace cut short is exported up to its last whole chunk. */
int mmt_export_stream(enum mmt_export_format f, struct mmt_reader *r, FILE *out, const char *name,
                      int xz, struct mmt_export_stats *st, char *err, size_t errlen);

#endif
