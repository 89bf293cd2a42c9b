/*
 * mmsim.h - libmmsim, the reader of mmsim's .mmt memory traces for other tools.
 *
 * Introduction
 *
 * mmsim records what a program does to memory (every instruction fetch, load, store and
 * read-modify-write, with the thread switches and the OS events around them) into .mmt
 * files (the format: FORMAT.md, installed with the docs). This library reads them:
 *
 *     char err[256];
 *     mmsim_trace *t = mmsim_open("ls.mmt", err, sizeof err);
 *     if (!t) { fprintf(stderr, "%s\n", err); return 1; }
 *     const mmsim_record *recs;
 *     size_t n;
 *     int rc;
 *     while ((rc = mmsim_next(t, &recs, &n)) == 1)
 *         for (size_t i = 0; i < n; i++)
 *             if (recs[i].kind <= MMSIM_MODIFY)
 *                 printf("%s %llx %u\n", mmsim_kind_name(recs[i].kind),
 *                        (unsigned long long)recs[i].addr, recs[i].size);
 *     if (rc < 0) fprintf(stderr, "%s\n", mmsim_error(t));
 *     mmsim_close(t);
 *
 * Build against an installed tree with `pkg-config --cflags --libs mmsim` (add --static for
 * libmmsim.a, which also needs libzstd). A handle is not shared between threads; open one
 * per thread (mmsim_seek_chunk() lets each take its own chunks).
 *
 * Every function that can fail says how; messages name the file and the byte offset.
 */
#ifndef MMSIM_H
#define MMSIM_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MMSIM_API __attribute__((visibility("default")))
#else
#define MMSIM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*------   Version   ------*/
#define MMSIM_VERSION_MAJOR 0
#define MMSIM_VERSION_MINOR 1
#define MMSIM_VERSION_RELEASE 0
#define MMSIM_VERSION_NUMBER (MMSIM_VERSION_MAJOR * 10000 + MMSIM_VERSION_MINOR * 100 + MMSIM_VERSION_RELEASE)

/*! mmsim_version_number() :
 *  Returns the library's MMSIM_VERSION_NUMBER, to compare with the header's. */
MMSIM_API unsigned mmsim_version_number(void);

/*------   Records   ------*/

/*! Record kinds. The four access kinds come first, so `kind <= MMSIM_MODIFY` tests for an
 *  access. */
enum mmsim_kind {
    MMSIM_IFETCH = 0, /* an instruction fetch: addr, size */
    MMSIM_LOAD = 1,   /* a data read: addr, size */
    MMSIM_STORE = 2,  /* a data write: addr, size */
    MMSIM_MODIFY = 3, /* a read-modify-write of one address by one instruction: addr, size */
    MMSIM_SWITCH = 4, /* the records after it are thread `addr` (tid) of process `aux` (pid) */
    MMSIM_EVENT = 5,  /* an OS event: mmsim_event_at(t, aux) */
    MMSIM_KIND_COUNT = 6
};

/*! One record, 16 bytes. */
typedef struct {
    uint64_t addr;     /* accesses: the virtual address; MMSIM_SWITCH: the tid */
    uint8_t kind;      /* enum mmsim_kind */
    uint8_t size;      /* accesses: bytes (1..255); otherwise 0 */
    uint16_t reserved;
    uint32_t aux;      /* MMSIM_SWITCH: the pid; MMSIM_EVENT: the event's index */
} mmsim_record;

/*! An OS event: its type (mmsim_event_name() names it: "mmap", "munmap", "brk", "fork",
 *  "exit", ...), the system call's arguments in the call's own order and its result (a
 *  negative errno on failure), and a path for the events that have one (mmap of a file,
 *  exec), else NULL. FORMAT.md lists each type's arguments. */
#define MMSIM_EVENT_MAX_ARGS 6
typedef struct {
    uint16_t type;
    uint8_t nargs;
    uint8_t reserved;
    uint32_t pid, tid;
    int64_t result;
    uint64_t args[MMSIM_EVENT_MAX_ARGS];
    const char *path;
} mmsim_event;

/*------   Reading a trace   ------*/
typedef struct mmsim_trace_s mmsim_trace;

/*! mmsim_open() :
 *  Opens the .mmt trace at `path`. A trace cut short (a crash, a full disk) opens too and is
 *  read up to its last whole chunk: see mmsim_complete().
 * @return a handle to pass to mmsim_close(), or NULL when the file cannot be read as a
 *         trace; then, when `err` is not NULL, err[0..errlen) holds why, naming the file. */
MMSIM_API mmsim_trace *mmsim_open(const char *path, char *err, size_t errlen);

/*! mmsim_next() :
 *  Decodes the next chunk of records.
 * @return 1 with *recs and *n set (the array stays valid until the next call to
 *         mmsim_next(), mmsim_rewind(), mmsim_seek_chunk() or mmsim_close()), 0 at the
 *         end of the trace, -1 on a corrupt chunk (then mmsim_error() says where). */
MMSIM_API int mmsim_next(mmsim_trace *t, const mmsim_record **recs, size_t *n);

/*! mmsim_event_at() :
 * @return the event of the MMSIM_EVENT record whose aux is `index`, in the batch last
 *         returned by mmsim_next() (valid as long as that batch), or NULL if out of range. */
MMSIM_API const mmsim_event *mmsim_event_at(const mmsim_trace *t, uint32_t index);

/*! mmsim_rewind(), mmsim_seek_chunk() :
 *  Start again from the first chunk, or from chunk i (0 <= i < mmsim_chunks(t)).
 * @return 0, or -1 (then mmsim_error() says why). */
MMSIM_API int mmsim_rewind(mmsim_trace *t);
MMSIM_API int mmsim_seek_chunk(mmsim_trace *t, uint64_t i);
MMSIM_API uint64_t mmsim_chunks(const mmsim_trace *t);

/*! mmsim_close() :
 *  Frees everything the handle holds. NULL is accepted. */
MMSIM_API void mmsim_close(mmsim_trace *t);

/*------   Metadata   ------*/

/*! The trace's key/value strings: the header's (command, backend, source, ...) then the
 *  footer's (rusage, counters). mmsim_meta() returns the value of `key` (a later entry
 *  overrides an earlier), or NULL. Strings live as long as the handle. */
MMSIM_API size_t mmsim_meta_count(const mmsim_trace *t);
MMSIM_API const char *mmsim_meta_key(const mmsim_trace *t, size_t i);
MMSIM_API const char *mmsim_meta_value(const mmsim_trace *t, size_t i);
MMSIM_API const char *mmsim_meta(const mmsim_trace *t, const char *key);

/*! mmsim_complete() :
 * @return 1 when the trace was closed normally, 0 when it was cut short; then
 *         mmsim_incomplete_reason() says why (the writer's reason, or where it was cut). */
MMSIM_API int mmsim_complete(const mmsim_trace *t);
MMSIM_API const char *mmsim_incomplete_reason(const mmsim_trace *t);

/*! mmsim_counts() :
 *  The number of records of each kind, from the trace's footer (counts[MMSIM_KIND_COUNT]).
 * @return 0, or -1 when the trace has no footer (then count while reading). */
MMSIM_API int mmsim_counts(const mmsim_trace *t, uint64_t counts[MMSIM_KIND_COUNT]);

/*------   Errors and names   ------*/

/*! mmsim_error() :
 * @return the message of the last failure on `t` ("FILE: byte N: what"), or "" if none. */
MMSIM_API const char *mmsim_error(const mmsim_trace *t);

/*! mmsim_kind_name(), mmsim_event_name() :
 * @return "ifetch", "load", "store", "modify", "switch", "event"; the name of an event
 *         type ("mmap", "brk", ...); "unknown" otherwise. Static strings. */
MMSIM_API const char *mmsim_kind_name(unsigned kind);
MMSIM_API const char *mmsim_event_name(unsigned type);

#ifdef __cplusplus
}
#endif

#endif /* MMSIM_H */
