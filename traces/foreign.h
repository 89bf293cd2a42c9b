/* foreign.h - what mmsim knows about other simulators' trace formats, in one place per
 * format: the importers (import_text.c, import_champsim.c, import_drmemtrace.c) and the
 * exporters (export.c) both take their layouts and constants from here. */
#ifndef MMSIM_FOREIGN_H
#define MMSIM_FOREIGN_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "traces/mmt.h"

/* ---- Valgrind lackey (--trace-mem=yes): "I  ADDR,SIZE", " L ", " S ", " M " lines ---- */
/* The line prefix of each access kind, indexed by enum mmt_kind (MMT_IFETCH..MMT_MODIFY). */
static const char mmt_lackey_prefix[4][4] __attribute__((unused)) = {"I  ", " L ", " S ", " M "};
/* One access as lackey prints it ("I  0401ab70,3\n"); returns the length. */
static inline int lackey_format(char *buf, size_t cap, const struct mmt_rec *r)
{
    return snprintf(buf, cap, "%s%08" PRIx64 ",%u\n", mmt_lackey_prefix[r->kind], r->addr, r->size);
}
#define LACKEY_MAX_SIZE 4096 /* lackey asserts data sizes <= 512; allow margin, bound the split */
#define LACKEY_PIECE 64      /* accesses over 255 bytes (xsave and the like) are split in these */

/* ---- Dinero din: "LABEL ADDRESS" lines, address in hex ---- */
enum din_label { DIN_READ = 0, DIN_WRITE = 1, DIN_IFETCH = 2, DIN_ESCAPE = 3, DIN_FLUSH = 4 };
#define DIN_ACCESS_SIZE 4 /* din has no sizes: every imported access is a 4-byte word */

/* ---- ChampSim input_instr: 64 bytes, little-endian, no padding ----
 * ip u64 @0, is_branch u8 @8, branch_taken u8 @9, destination_registers u8[2] @10,
 * source_registers u8[4] @12, destination_memory u64[2] @16, source_memory u64[4] @32.
 * ChampSim classifies branches by the registers an instruction reads and writes; these are
 * its special register numbers (inc/trace_instruction.h in ChampSim). */
#define CS_RECORD 64
#define CS_DST_REGS 2
#define CS_SRC_REGS 4
#define CS_DST_MEM 2
#define CS_SRC_MEM 4
#define CS_REG_STACK_POINTER 6
#define CS_REG_FLAGS 25
#define CS_REG_INSTRUCTION_POINTER 26
#define CS_IFETCH_SIZE 4  /* the record has no instruction length */
#define CS_OPERAND_SIZE 8 /* ChampSim tracks only the line; 8 stands for a scalar operand */

struct cs_instr {
    uint64_t ip;
    uint8_t is_branch, branch_taken;
    uint8_t dst_regs[CS_DST_REGS], src_regs[CS_SRC_REGS];
    uint64_t dst_mem[CS_DST_MEM], src_mem[CS_SRC_MEM];
};

static inline uint64_t foreign_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline void foreign_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static inline void cs_decode(const uint8_t *r, struct cs_instr *in)
{
    in->ip = foreign_le64(r);
    in->is_branch = r[8];
    in->branch_taken = r[9];
    memcpy(in->dst_regs, r + 10, CS_DST_REGS);
    memcpy(in->src_regs, r + 12, CS_SRC_REGS);
    for (int i = 0; i < CS_DST_MEM; i++)
        in->dst_mem[i] = foreign_le64(r + 16 + 8 * i);
    for (int i = 0; i < CS_SRC_MEM; i++)
        in->src_mem[i] = foreign_le64(r + 32 + 8 * i);
}

static inline void cs_encode(const struct cs_instr *in, uint8_t *r)
{
    foreign_put_le64(r, in->ip);
    r[8] = in->is_branch;
    r[9] = in->branch_taken;
    memcpy(r + 10, in->dst_regs, CS_DST_REGS);
    memcpy(r + 12, in->src_regs, CS_SRC_REGS);
    for (int i = 0; i < CS_DST_MEM; i++)
        foreign_put_le64(r + 16 + 8 * i, in->dst_mem[i]);
    for (int i = 0; i < CS_SRC_MEM; i++)
        foreign_put_le64(r + 32 + 8 * i, in->src_mem[i]);
}

/* ---- DynamoRIO drmemtrace offline traces (after raw2trace) ----
 * A thread's file is a sequence of packed 12-byte trace_entry_t, little-endian: type u16,
 * size u16, addr u64 (an address, a PC, a tid/pid, or a marker's value). Values from
 * clients/drcachesim/common/trace_entry.h in DynamoRIO (trace_type_t, trace_marker_type_t). */
#define DRM_ENTRY 12
enum drm_type {
    DRM_READ = 0,
    DRM_WRITE = 1,
    DRM_PREFETCH = 2,          /* 2..9: prefetches of every flavour */
    DRM_PREFETCH_INSTR = 9,
    DRM_INSTR = 10,            /* 10..16: an instruction fetch (plain, jumps, calls, return) */
    DRM_INSTR_RETURN = 16,
    DRM_INSTR_BUNDLE = 17,     /* size: instructions; addr bytes: their lengths */
    DRM_INSTR_FLUSH = 18,      /* 18..21: cache flushes */
    DRM_DATA_FLUSH_END = 21,
    DRM_THREAD = 22,           /* addr: tid of what follows */
    DRM_THREAD_EXIT = 23,
    DRM_PID = 24,              /* addr: pid of what follows */
    DRM_HEADER = 25,           /* first entry of a file; addr: trace version */
    DRM_FOOTER = 26,           /* last entry of a file */
    DRM_HARDWARE_PREFETCH = 27,
    DRM_MARKER = 28,           /* size: marker type; addr: its value */
    DRM_INSTR_NO_FETCH = 29,   /* an instruction executed without a fetch (rep iterations) */
    DRM_INSTR_MAYBE_FETCH = 30,
    DRM_INSTR_SYSENTER = 31,
    DRM_PREFETCH_L1_NT = 32,   /* 32..46: more prefetches */
    DRM_PREFETCH_WRITE_L3_NT = 46,
    DRM_ENCODING = 47,         /* instruction bytes for the next fetch */
    DRM_INSTR_TAKEN_JUMP = 48,
    DRM_INSTR_UNTAKEN_JUMP = 49,
    DRM_TYPE_LAST = 49,
};
enum drm_marker {
    DRM_MARKER_TIMESTAMP = 2,  /* microseconds since 1601: the order of threads' buffers */
    DRM_MARKER_CPU_ID = 3,
    DRM_MARKER_FILETYPE = 9,
    DRM_MARKER_CACHE_LINE_SIZE = 10,
    DRM_MARKER_VERSION = 12,
    DRM_MARKER_PAGE_SIZE = 18,
};

static inline int drm_type_is_fetch(unsigned t)
{
    return (t >= DRM_INSTR && t <= DRM_INSTR_RETURN) || t == DRM_INSTR_SYSENTER ||
           t == DRM_INSTR_TAKEN_JUMP || t == DRM_INSTR_UNTAKEN_JUMP || t == DRM_INSTR_MAYBE_FETCH;
}

static inline int drm_type_is_prefetch(unsigned t)
{
    return (t >= DRM_PREFETCH && t <= DRM_PREFETCH_INSTR) || t == DRM_HARDWARE_PREFETCH ||
           (t >= DRM_PREFETCH_L1_NT && t <= DRM_PREFETCH_WRITE_L3_NT);
}

#endif
