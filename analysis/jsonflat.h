/* jsonflat.h - flattens a JSON document into (path, value) pairs with dotted paths (for a
 * replay's report these are the statistics registry's paths, the keys of sim_stat; the sweep
 * reads its jobs' results this way):
 * {"tlb":{"l1d":{"misses":5}}} gives ("tlb.l1d.misses", "5"). Array elements are numbered
 * ("walk.hist.3"); arrays longer than JSONFLAT_MAX_ARRAY, and arrays of arrays (tables such as
 * walk_latency.buckets), are left out (histograms belong in the JSON, not in a CSV row). Strings are unescaped; true/false become 1/0; null is empty. */
#ifndef MMSIM_JSONFLAT_H
#define MMSIM_JSONFLAT_H

#include <stddef.h>

#define JSONFLAT_MAX_ARRAY 16
#define JSONFLAT_MAX_PATH 256

enum jsonflat_type { JF_NUMBER, JF_STRING, JF_BOOL, JF_NULL };

typedef void (*jsonflat_fn)(void *ctx, const char *path, const char *value, enum jsonflat_type t);

/* Parses text[0..len). Returns 0, or -1 with err naming `name` and the byte offset. */
int jsonflat(const char *text, size_t len, const char *name, jsonflat_fn fn, void *ctx, char *err,
             size_t errlen);

#endif
