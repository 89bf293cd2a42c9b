/* mmt.h - the public interface of the .mmt trace format: a streaming writer and reader.
 *
 * The on-disk format is specified in traces/FORMAT.md. This header is all a user of the
 * format needs: the model reads traces through it, capture and the importers write them.
 *
 * Records come out of the reader in batches of fixed-size `struct mmt_rec` (16 bytes), one
 * decoded chunk at a time, so the replay loop is a tight walk over an array. OS events
 * carry more data than fits in a record: the record holds an index into the batch's event
 * table, valid until the next call to mmt_reader_next().
 */
#ifndef MMSIM_MMT_H
#define MMSIM_MMT_H

#include <stddef.h>
#include <stdint.h>

/* Record kinds. The four access kinds come first and are numbered 0..3 so the hot path can
 * test `kind <= MMT_MODIFY`. */
enum mmt_kind {
    MMT_IFETCH = 0, /* instruction fetch: addr, size */
    MMT_LOAD = 1,   /* data read: addr, size */
    MMT_STORE = 2,  /* data write: addr, size */
    MMT_MODIFY = 3, /* read-modify-write of one address by one instruction: addr, size */
    MMT_SWITCH = 4, /* the following records belong to process `pid`, thread `tid` */
    MMT_EVENT = 5,  /* an OS event: `aux` indexes the batch's event table */
    MMT_KIND_COUNT
};

/* One record as the reader hands it out. */
struct mmt_rec {
    uint64_t addr; /* accesses: virtual address; MMT_SWITCH: tid */
    uint8_t kind;  /* enum mmt_kind */
    uint8_t size;  /* accesses: size in bytes (1..255); otherwise 0 */
    uint16_t pad;
    uint32_t aux; /* MMT_SWITCH: pid; MMT_EVENT: index into the batch's event table */
};

/* OS events. Arguments follow the system call's own order; `result` is what the call
 * returned (a negative errno on failure). Unknown types read from a newer trace are passed
 * through with their arguments so old readers can skip them. */
enum mmt_event_type {
    MMT_EV_MAP_INITIAL = 1, /* a mapping present when tracing started:
                               args: start, end, prot, flags (MAP_*), offset, inode; path */
    MMT_EV_MMAP = 2,        /* args: addr, len, prot, flags, fd, offset; result: addr; path */
    MMT_EV_MUNMAP = 3,      /* args: addr, len */
    MMT_EV_MREMAP = 4,      /* args: old_addr, old_len, new_len, flags, new_addr; result */
    MMT_EV_BRK = 5,         /* args: requested brk; result: new brk */
    MMT_EV_MPROTECT = 6,    /* args: addr, len, prot */
    MMT_EV_MADVISE = 7,     /* args: addr, len, advice */
    MMT_EV_FORK = 8,        /* a new process: args: child pid, clone flags; in the parent */
    MMT_EV_CLONE = 9,       /* a new thread: args: child tid, clone flags; in the parent */
    MMT_EV_EXEC = 10,       /* args: none; path: the new program; mappings follow */
    MMT_EV_EXIT = 11,       /* thread or process exit: args: status, is_process (0/1) */
    MMT_EV_SLEEP = 12,      /* args: duration in ns (nanosleep, clock_nanosleep, ...) */
    MMT_EV_PAGE_FAULT = 13, /* events-only traces: args: address, flags (bit0 write, bit1 major) */
    MMT_EV_FILE_READ = 14,  /* read/pread of a regular file: args: fd, offset, count, inode; path */
    MMT_EV_FILE_WRITE = 15, /* write/pwrite of a regular file: args as FILE_READ */
    MMT_EV_TIME = 16,       /* a timestamp: args: ns since the start of tracing */
    MMT_EV_SIGNAL = 17,     /* a fatal signal: args: signo, fault address */
    /* Minor version 3: the kernel's own accesses to user memory on the program's behalf (a
     * system call's buffers), one record a contiguous range, where they happen in the stream:
     * reads before the call's records that follow it, writes after it returned. */
    MMT_EV_KERNEL_READ = 18,  /* the kernel read user memory: args: address, length in bytes */
    MMT_EV_KERNEL_WRITE = 19, /* the kernel wrote user memory: args: address, length in bytes */
    /* Minor version 3: the start or end of a recorded window of a long program (`mmsim
     * record --skip/--length/--every`); between windows only OS events are recorded. */
    MMT_EV_WINDOW = 20,     /* args: 0 start / 1 end, window index, the process's instruction
                               count here, then at a start the requested length, at an end
                               the instructions the window ran */
};

#define MMT_EVENT_MAX_ARGS 6

/* A bit of the flags argument (MAP_*) of MAP_INITIAL and MMAP events above the 32 bits
 * Linux uses: the mapping exists only because of the capture tool (Valgrind's preload
 * libraries, the page of its tool image it lends the program), so its pages are not the
 * program's. A reader that does not know it sees an ordinary mapping. */
#define MMT_MAP_TOOL (1ULL << 32)

/* Clone flags a FORK event may carry (linux/sched.h): CLONE_VM with CLONE_VFORK is vfork(2)
 * or posix_spawn: the child runs in its parent's address space until it execs or exits,
 * and the parent waits meanwhile. */
#define MMT_CLONE_VM 0x100ULL
#define MMT_CLONE_VFORK 0x4000ULL

struct mmt_event {
    uint16_t type; /* enum mmt_event_type */
    uint8_t nargs;
    uint8_t pad;
    uint32_t pid, tid;
    int64_t result;
    uint64_t args[MMT_EVENT_MAX_ARGS];
    const char *path; /* NUL-terminated, or NULL; owned by the reader/writer batch */
};

/* ---- metadata: ordered key/value strings in the header and (at close) the footer ---- */
struct mmt_meta {
    const char *key;
    const char *value;
};

/* ---- errors ---- */
/* Every function that can fail returns 0 on success or -1 and fills the handle's error
 * message, which names the file and the byte offset (and record number where it applies). */

/* ---- writer ---- */
struct mmt_writer;

struct mmt_writer_opts {
    int zstd_level;          /* 0: default (3) */
    size_t chunk_records;    /* 0: default (1 << 18): a 4 MiB batch stays in cache */
    int flush_every_chunk;   /* fflush/fsync policy: nonzero to flush each chunk to the OS */
};

struct mmt_writer *mmt_writer_open(const char *path, const struct mmt_writer_opts *opts,
                                   char *err, size_t errlen);
/* Header metadata: call before the first record. Footer metadata: any time before close
 * (e.g. rusage at the end); both are read back by mmt_reader_meta(). */
int mmt_writer_meta(struct mmt_writer *w, const char *key, const char *value);
int mmt_writer_access(struct mmt_writer *w, unsigned kind, uint64_t addr, unsigned size);
/* A chunk payload encoded by someone else: the DBI tool encodes its own records (format 1.2,
 * traces/FORMAT.md) and mmsim record only compresses them. The writer closes the chunk it
 * is filling, writes a SWITCH to (pid, tid) when another thread was current, copies the
 * payload after it and hands the whole to the compression thread as one chunk. The counts
 * go into the footer as given: the payload must hold exactly what they say, or readers will
 * reject the chunk. */
struct mmt_chunk_in {
    const uint8_t *raw;
    size_t len;                   /* at most mmt_writer_chunk_capacity() */
    uint32_t pid, tid;            /* the thread in force at its first record */
    uint32_t end_tid;             /* ... and after its last (SWITCH records inside) */
    uint32_t nrecs, nevents;      /* as a reader counts them (a fetch run as its fetches) */
    uint64_t kinds[MMT_KIND_COUNT]; /* records by kind: ifetch, load, store, modify, switch, event */
    uint64_t events[32];          /* events by type (index 0: types >= 32) */
    const uint32_t *tids;         /* the threads of pid its SWITCH records name */
    size_t ntids;
};
int mmt_writer_put_chunk(struct mmt_writer *w, const struct mmt_chunk_in *c);
/* The largest payload mmt_writer_put_chunk takes. */
size_t mmt_writer_chunk_capacity(const struct mmt_writer *w);

int mmt_writer_switch(struct mmt_writer *w, uint32_t pid, uint32_t tid);
int mmt_writer_event(struct mmt_writer *w, const struct mmt_event *ev);
/* Mark the trace incomplete with a reason (crash, signal, disk full) before closing. */
void mmt_writer_set_incomplete(struct mmt_writer *w, const char *reason);
/* Flush the last chunk, write the footer index and metadata. Frees w. */
int mmt_writer_close(struct mmt_writer *w, char *err, size_t errlen);
const char *mmt_writer_error(const struct mmt_writer *w);
uint64_t mmt_writer_records(const struct mmt_writer *w);
uint64_t mmt_writer_bytes(const struct mmt_writer *w); /* compressed bytes so far */

/* ---- reader ---- */
struct mmt_reader;

struct mmt_reader *mmt_reader_open(const char *path, char *err, size_t errlen);
/* Next batch (one chunk). Returns 1 with *recs and *n set, 0 at the end, -1 on error. */
int mmt_reader_next(struct mmt_reader *r, const struct mmt_rec **recs, size_t *n);
const struct mmt_event *mmt_reader_event(const struct mmt_reader *r, uint32_t idx);
/* Start again from the first chunk. */
int mmt_reader_rewind(struct mmt_reader *r);
/* The next mmt_reader_next() returns chunk i (0-based; see mmt_reader_chunks). Each chunk
 * decodes on its own, so threads can each open a reader and take different chunks.
 * Returns 0, or -1 when i is out of range. */
int mmt_reader_seek_chunk(struct mmt_reader *r, uint64_t i);
const char *mmt_reader_error(const struct mmt_reader *r);
/* Metadata: header keys then footer keys; later keys override earlier in lookups. */
size_t mmt_reader_meta_count(const struct mmt_reader *r);
const struct mmt_meta *mmt_reader_meta_at(const struct mmt_reader *r, size_t i);
const char *mmt_reader_meta(const struct mmt_reader *r, const char *key);
/* 1 when the footer was found and the trace closed normally. */
int mmt_reader_complete(const struct mmt_reader *r);
/* Why the trace is incomplete (from the writer, or "no footer: cut short at byte N"). */
const char *mmt_reader_incomplete_reason(const struct mmt_reader *r);
uint64_t mmt_reader_chunks(const struct mmt_reader *r);
uint64_t mmt_reader_file_bytes(const struct mmt_reader *r);
void mmt_reader_close(struct mmt_reader *r);

/* Totals stored in the footer at close (per-kind record counts, distinct threads and
 * processes seen in switch records, events by type; slot 0 counts types >= 32).
 * Returns 0, or -1 when the trace has no footer (then decode it to count). */
#define MMT_EVENT_TYPE_SLOTS 32
struct mmt_totals {
    uint64_t records;
    uint64_t kinds[MMT_KIND_COUNT];
    uint64_t threads, processes;
    uint64_t events[MMT_EVENT_TYPE_SLOTS];
};
int mmt_reader_totals(const struct mmt_reader *r, struct mmt_totals *t);

/* The chunk index (whole chunks only, for a trace cut short). Returns 0, or -1 if i is out
 * of range. */
struct mmt_chunk_info {
    uint64_t offset; /* file byte of the chunk header */
    uint32_t compressed_bytes, raw_bytes, records, events;
};
int mmt_reader_chunk_info(const struct mmt_reader *r, size_t i, struct mmt_chunk_info *ci);
/* State at the start of the batch last returned by mmt_reader_next: the pid/tid in force
 * (from the chunk header, so a chunk can be decoded on its own) and the number of its first
 * record in the whole trace. Any pointer may be NULL. */
void mmt_reader_batch_context(const struct mmt_reader *r, uint32_t *pid, uint32_t *tid,
                              uint64_t *first_record);
/* Where the readable part of the file ends (the file size for a trace with a footer). */
uint64_t mmt_reader_cut_offset(const struct mmt_reader *r);

/* ---- helpers ---- */
const char *mmt_kind_name(unsigned kind);
const char *mmt_event_name(unsigned type);

#endif
