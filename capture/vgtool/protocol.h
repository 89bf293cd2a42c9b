/* protocol.h - the messages between the Valgrind tool (capture/vgtool/mmsimtrace.c) and
 * `mmsim record` (capture/dbi.c). Plain constants only: both sides include it, the tool
 * without a libc.
 *
 * Transport: a SOCK_SEQPACKET socket created by mmsim record; every process under the tool
 * (the first one, forked children, exec'd images) writes whole messages to the same socket,
 * so a message is never interleaved with another process's. A message is an array of 64-bit
 * little-endian words; word 0 is MAGIC << 32 | pid. There are two kinds.
 *
 * Chunk pieces (MMS_CHUNK_MAGIC). The tool encodes its process's records itself, as .mmt
 * chunk payloads (format 1.3, traces/FORMAT.md), and sends each chunk in pieces of at most
 * MMS_MSG_BYTES as its buffer fills. Every piece ends at a record boundary:
 *   word 1     bit 63: the chunk ends with this piece; bits 31..0: payload bytes L
 *   L bytes    the payload, then zero bytes to a whole word
 *   trailer    MMS_TR_FIXED words + ntids: the counts of the chunk so far (all its pieces)
 *     [MMS_TR_TID_START]  the thread in force at the chunk's first record
 *     [MMS_TR_TID_END]    the thread in force after the piece's last record
 *     [MMS_TR_NEVENTS]    event records
 *     [MMS_TR_KINDS + k]  records by kind: ifetch, load, store, modify, switch, event
 *     [MMS_TR_EVENTS + t] events by type (traces/mmt.h enum mmt_event_type; 0: >= 32)
 *     [MMS_TR_NTIDS]      n, then n thread ids the chunk's SWITCH records name
 * Since every piece carries the counts so far, a chunk whose last piece never came (the
 * process was killed) is still written up to its last piece.
 *
 * With --mmsim-transport=ring the payload stays in the tool's memory and a descriptor
 * (MMS_DESC_MAGIC, below) says where.
 *
 * Control frames (MMS_FRAME_MAGIC): the records the host acts on, whole words from word 1.
 * The tool ends and sends its chunk first, so a frame follows every record before it.
 * Control word: bits 63..62 zero, bits 61..56 MMS_C_EXT, bits 55..48 the MMS_X_* type,
 * bits 47..0 the number of words that follow. Strings are NUL-terminated and padded with
 * NULs to whole words.
 */
#ifndef MMSIM_VGTOOL_PROTOCOL_H
#define MMSIM_VGTOOL_PROTOCOL_H

#define MMS_FRAME_MAGIC 0x4d4d5354ULL /* "MMST": a control frame */
#define MMS_CHUNK_MAGIC 0x4d4d5343ULL /* "MMSC": a chunk piece */
#define MMS_MSG_BYTES (128 << 10)     /* well under the socket's send buffer */
#define MMS_SNDBUF (4 << 20)          /* the send buffer mmsim record asks for */
#define MMS_LAST_PIECE (1ULL << 63)
/* Piece descriptors (MMS_DESC_MAGIC, with --mmsim-transport=ring): word 1 as in a piece;
 * [MMS_DESC_ADDR] where the payload is in the tool's memory, [MMS_DESC_ACK] the address of
 * the tool's counter of pieces read, [MMS_DESC_SEQ] this piece's number (from 1); then the
 * trailer. mmsim record copies the payload with process_vm_readv and writes the number into
 * the counter with process_vm_writev; the tool reuses the buffer after that. */
#define MMS_DESC_MAGIC 0x4d4d5344ULL /* "MMSD" */
#define MMS_DESC_ADDR 2
#define MMS_DESC_ACK 3
#define MMS_DESC_SEQ 4
#define MMS_DESC_FIXED 5

#define MMS_TR_TID_START 0
#define MMS_TR_TID_END 1
#define MMS_TR_NEVENTS 2
#define MMS_TR_KINDS 3  /* 6 words */
#define MMS_TR_EVENTS 9 /* 32 words */
#define MMS_TR_NTIDS 41
#define MMS_TR_FIXED 42
#define MMS_MAX_CHUNK_TIDS 64 /* a chunk naming more threads is ended early */

#define MMS_CODE_SHIFT 56
#define MMS_ARG_SHIFT 48
#define MMS_C_EXT 2

/* Control records */
#define MMS_X_START 3    /* kind (MMS_START_*), parent pid, clone flags (a fork child: the
                          * fork's, vfork and posix_spawn included; else 0), then the
                          * executable's path */
#define MMS_X_SYSCALL 4  /* a fork: syscall number, result (child pid), 6 args (arg 0: the
                          * clone flags) */
#define MMS_X_END 9      /* the tool's fini: exit code; the process's stream ends */

#define MMS_START_FIRST 0 /* a Valgrind started on a program (first run or after exec) */
#define MMS_START_FORK 1  /* a child of fork: same image, new pid */

/* The .mmt constants the tool encodes with (traces/mmt.h, traces/mmt_format.h; dbi.c checks
 * that they agree). */
#define MMS_EV_MAP_INITIAL 1
#define MMS_EV_MMAP 2
#define MMS_EV_MUNMAP 3
#define MMS_EV_MREMAP 4
#define MMS_EV_BRK 5
#define MMS_EV_MPROTECT 6
#define MMS_EV_MADVISE 7
#define MMS_EV_CLONE 9
#define MMS_EV_EXIT 11
#define MMS_EV_SLEEP 12
#define MMS_EV_KERNEL_READ 18  /* format 1.3: the kernel read user memory: address, length */
#define MMS_EV_KERNEL_WRITE 19 /* ... wrote user memory */
#define MMS_EV_WINDOW 20 /* format 1.3: a window's start or end (--mmsim-length) */
#define MMS_EV_SLOTS 32
#define MMS_MAP_TOOL (1ULL << 32) /* in a mapping's flags: made only because of Valgrind */
#define MMS_KIND_SWITCH 4
#define MMS_KIND_EVENT 5
#define MMS_TAG_SWITCH 0xE0
#define MMS_TAG_EVENT 0xE1
#define MMS_TAG_PLAN 0xE2
#define MMS_TAG_RUN 0xE3
#define MMS_TAG_MORE 0xE4
#define MMS_TAG_NEXT 0xE5
#define MMS_TAG_MORE_SHORT 0xE7 /* + count, 1..24 */
#define MMS_MORE_SHORT_MAX 24
#define MMS_TAG_NEXT_SHORT 0xBF /* + count, 1..32 */
#define MMS_NEXT_SHORT_MAX 32
#define MMS_MODE_DELTA 0
#define MMS_MODE_SEQ 1
#define MMS_MODE_STRIDE 2
#define MMS_MODE_SAME 3
#define MMS_MODE_SITE_STRIDE 4
#define MMS_MODE_SITE_DELTA 5
#define MMS_SIZE_EXTRA 7 /* size code: the size follows in one byte */
#define MMS_MAX_PLAN_INSNS 512
#define MMS_MAX_PATH 4000 /* longer paths are cut to their last 4000 bytes */

#endif
