/* mmt_format.h - on-disk constants and byte-level helpers shared by the .mmt writer and
 * reader, the importers, and capture/dbi.c (which checks the Valgrind tool's own copies in
 * capture/vgtool/protocol.h against them); users of traces, not of the bytes, include
 * traces/mmt.h. The layout is specified
 * in traces/FORMAT.md; keep the two in step. */
#ifndef MMSIM_MMT_FORMAT_H
#define MMSIM_MMT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MMT_MAGIC "\x89MMT\r\n\x1a\n" /* 8 bytes at offset 0 */
#define MMT_MAGIC_LEN 8
#define MMT_VERSION_MAJOR 1
#define MMT_VERSION_MINOR 3 /* 1: fetch-run records (plans); 2: site modes, NEXT runs;
                             * 3: kernel access events (MMT_EV_KERNEL_READ/WRITE) */
#define MMT_HEADER_FIXED 16      /* magic, major u16, minor u16, meta length u32 */
#define MMT_CHUNK_MAGIC 0x434d4d54u  /* "TMMC" little-endian bytes 'T','M','M','C' */
#define MMT_CHUNK_HDR 40
#define MMT_FOOTER_MAGIC 0x464d4d54u /* "TMMF" */
#define MMT_TRAILER_MAGIC "MMTEND\r\n"
#define MMT_TRAILER_LEN 24
#define MMT_INDEX_ENTRY 24

/* Limits every reader enforces so a corrupt file cannot ask for unbounded memory. */
#define MMT_MAX_META_BYTES (1u << 20)
#define MMT_MAX_CHUNK_RECORDS (1u << 22)
#define MMT_MAX_CHUNK_RAW (64u << 20)
#define MMT_MAX_PATH 4096
#define MMT_EV_SLOTS MMT_EVENT_TYPE_SLOTS /* per-type event counters in the footer */

/* Record tags: bits 0-1 access kind, bits 2-4 size code, bits 5-7 address mode. */
#define MMT_TAG_SIZE_EXTRA 7 /* size code: the size follows in one byte */
#define MMT_MODE_DELTA 0     /* zig-zag varint delta from the stream's last address */
#define MMT_MODE_SEQ 1       /* last address + last size */
#define MMT_MODE_STRIDE 2    /* last address + last delta */
#define MMT_MODE_SAME 3      /* last address */
#define MMT_MODE_SITE_STRIDE 4 /* minor 2: the site slot's SA + SD (tags 0x80..0x9F) */
#define MMT_MODE_SITE_DELTA 5  /* minor 2: SA + zig-zag varint (tags 0xA0..0xBF) */
#define MMT_MAX_ACCESS_BYTES 12 /* an access record: tag, size byte, 10-byte varint */
#define MMT_TAG_SPECIAL 0xE0 /* mode 7: non-access records */
#define MMT_TAG_SWITCH 0xE0  /* varint pid, varint tid */
#define MMT_TAG_EVENT 0xE1   /* see FORMAT.md */
/* Minor version 1: a run of instruction fetches as one record, expanded from the chunk's
 * table of fetch plans (a DBI superblock's instructions). */
#define MMT_TAG_PLAN 0xE2       /* varint id, varint n, n x (u8 size, zvarint gap) */
#define MMT_TAG_RUN 0xE3        /* varint id, varint from, varint count */
#define MMT_TAG_MORE 0xE4       /* varint count: the current plan's next fetches */
#define MMT_TAG_MORE_SHORT 0xE7 /* tags 0xE8..0xFF: MORE with count tag - 0xE7 (1..24) */
#define MMT_MORE_SHORT_MAX 24
/* Minor version 2: data accesses predicted from their site (plan instruction) and runs of
 * the current plan's successor. */
#define MMT_TAG_NEXT_SHORT 0xBF /* tags 0xC0..0xDF: NEXT with count tag - 0xBF (1..32) */
#define MMT_NEXT_SHORT_MAX 32
#define MMT_TAG_NEXT 0xE5       /* varint count: the successor's fetches 0 .. count-1 */
#define MMT_SITE_SLOTS 2        /* site slots a plan instruction: its first data access, the rest */
#define MMT_MAX_PLAN_INSNS 512  /* instructions in one plan */
#define MMT_NO_PLAN UINT32_MAX  /* no current plan (start of a chunk) */

#define MMT_RAW_PAD 32 /* zero bytes after a decoded chunk: varint reads may run into them */

static inline void mmt_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void mmt_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void mmt_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t mmt_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t mmt_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t mmt_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t mmt_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t mmt_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Writes v as a LEB128 varint (at most 10 bytes); returns the number of bytes. */
static inline size_t mmt_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* A growable set of 64-bit ids (open addressing, key+1 stored so 0 means empty), for
 * counting distinct threads and processes. Zero-initialise; free slots when done. */
struct mmt_idset {
    uint64_t *slots;
    size_t n, cap;
};

static inline void mmt_idset_insert_slot(uint64_t *slots, size_t cap, uint64_t k)
{
    size_t j = (size_t)(k * 0x9e3779b97f4a7c15ull) & (cap - 1);
    while (slots[j] && slots[j] != k)
        j = (j + 1) & (cap - 1);
    slots[j] = k;
}

/* Returns 1 if added, 0 if present, -1 when out of memory. */
static inline int mmt_idset_add(struct mmt_idset *s, uint64_t key)
{
    uint64_t k = key + 1;
    if (s->cap) {
        size_t j = (size_t)(k * 0x9e3779b97f4a7c15ull) & (s->cap - 1);
        while (s->slots[j]) {
            if (s->slots[j] == k)
                return 0;
            j = (j + 1) & (s->cap - 1);
        }
    }
    if (2 * (s->n + 1) > s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 64;
        uint64_t *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                mmt_idset_insert_slot(ns, ncap, s->slots[i]);
        free(s->slots);
        s->slots = ns;
        s->cap = ncap;
    }
    mmt_idset_insert_slot(s->slots, s->cap, k);
    s->n++;
    return 1;
}

/* CRC-32C (Castagnoli), bitwise: used only on headers, chunk headers and the footer, which
 * are small; chunk payloads are checked by zstd's frame checksum. */
uint32_t mmt_crc32c(const void *data, size_t len);

#endif
