/* util.h - small helpers shared by every part of mmsim: a streaming JSON writer, size and
 * number parsing with K/M/G suffixes, and a progress line for terminals. */
#ifndef MMSIM_UTIL_H
#define MMSIM_UTIL_H

#include <stdint.h>
#include <stdio.h>

/* ---- JSON writer: nesting and commas are tracked so callers just emit keys and values. */
#define JSON_MAX_DEPTH 32
struct json {
    FILE *f;
    int depth;
    int pretty;
    unsigned char first[JSON_MAX_DEPTH]; /* 1 while no member written at this depth */
};
void json_init(struct json *j, FILE *f, int pretty);
void json_obj_begin(struct json *j, const char *key); /* key NULL inside arrays/at top */
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_f64(struct json *j, const char *key, double v); /* NaN/inf written as null */
void json_str(struct json *j, const char *key, const char *v); /* NULL written as null */
void json_bool(struct json *j, const char *key, int v);
void json_end(struct json *j); /* final newline */

/* ---- parsing: return 0 on success, -1 on a malformed or out-of-range value. */
/* "4096", "4K", "2M", "1G", "1T" (powers of 1024), "0x1000". */
int parse_size(const char *s, uint64_t *out);
int parse_u64(const char *s, uint64_t *out);
/* A count: "1000", "10K", "2M", "1G", "1T" (powers of 1000, as instruction counts go). */
int parse_count(const char *s, uint64_t *out);
int parse_double(const char *s, double *out);

/* Floor of the square root, as the kernel's int_sqrt() (lib/math/int_sqrt.c). */
uint64_t int_sqrt(uint64_t x);

/* ---- progress line on stderr, only when stderr is a terminal, at most ~4 times a second. */
struct progress {
    int enabled;
    double start, last;
};
void progress_init(struct progress *p);
/* printf-style message; rewritten in place with \r. */
void progress_update(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void progress_done(struct progress *p);
double now_seconds(void); /* monotonic clock */

#endif
