/* protocol.h - the raw record stream between the Valgrind tool (capture/vgtool/mmsimtrace.c)
 * and `mmsim record` (capture/dbi.c). Plain constants only: both sides include it, the tool
 * without a libc.
 *
 * Transport: a SOCK_SEQPACKET socket created by mmsim record; every process under the tool
 * (the first one, forked children, exec'd images) writes whole messages ("frames") to the
 * same socket, so a frame is never interleaved with another process's frame. A frame is an
 * array of 64-bit little-endian words: word 0 is MMS_FRAME_MAGIC << 32 | pid, the rest are
 * records.
 *
 * Access word (type 1..3):
 *   bits 63..62  type: 1 load, 2 store, 3 modify (read and write of one address by one
 *                instruction, counted once, as cachegrind does)
 *   bits 61..55  index of the instruction inside its superblock (0..127)
 *   bits 54..48  size - 1 (1..128 bytes; larger accesses are clamped)
 *   bits 47..0   the address (canonical x86-64 addresses: sign-extend bit 47)
 * Control word (type 0):
 *   bits 61..56  code (MMS_C_*), bits 55..48 an 8-bit argument, bits 47..0 a payload
 *   MMS_C_SB    payload: superblock id; the superblock starts executing
 *   MMS_C_EXIT  arg: instructions executed; a side exit of the current superblock was taken
 *   MMS_C_EXT   arg: MMS_X_* type; payload: number of words that follow
 * Instruction fetches are not sent one by one: a superblock is defined once (MMS_X_SBDEF:
 * id, then one word per instruction: address | length << 48) and each execution is one
 * MMS_C_SB word. The host expands it, interleaving the fetches with the data words by their
 * instruction index, and cuts it at a MMS_C_EXIT word.
 */
#ifndef MMSIM_VGTOOL_PROTOCOL_H
#define MMSIM_VGTOOL_PROTOCOL_H

#define MMS_FRAME_MAGIC 0x4d4d5354ULL /* "MMST" */
#define MMS_FRAME_WORDS 16384         /* 128 KiB frames: well under the socket's send buffer */
#define MMS_SNDBUF (4 << 20)          /* the send buffer mmsim record asks for */

#define MMS_ADDR_MASK 0xffffffffffffULL
#define MMS_TYPE_SHIFT 62
#define MMS_INDEX_SHIFT 55
#define MMS_SIZE_SHIFT 48
#define MMS_MAX_INDEX 127
#define MMS_MAX_SIZE 128

#define MMS_CODE_SHIFT 56
#define MMS_ARG_SHIFT 48
#define MMS_C_SB 0
#define MMS_C_EXIT 1
#define MMS_C_EXT 2

/* Extended records: MMS_C_EXT word, then the words listed. Strings are NUL-terminated and
 * padded with NULs to whole words. */
#define MMS_X_SBDEF 1    /* id, then (addr | len << 48) per instruction */
#define MMS_X_SWITCH 2   /* tid: the following records belong to this thread */
#define MMS_X_START 3    /* kind (MMS_START_*), parent pid, then the executable's path */
#define MMS_X_SYSCALL 4  /* syscall number, result (negative errno), 6 args, [path] */
#define MMS_X_MAP 5      /* start, length, prot, flags, offset, inode, then path */
#define MMS_X_EXIT 6     /* status, is_process */
#define MMS_X_SLEEP 7    /* nanoseconds */
#define MMS_X_SIGNAL 8   /* signal number, fault address (a signal delivered to a handler) */
#define MMS_X_END 9      /* the tool's fini: exit code; the process's stream ends */

#define MMS_START_FIRST 0 /* a Valgrind started on a program (first run or after exec) */
#define MMS_START_FORK 1  /* a child of fork: same image, new pid */

#endif
