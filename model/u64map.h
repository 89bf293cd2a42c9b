/* u64map.h - an open-addressing hash map from 64-bit keys to 64-bit values, used by the
 * reclaim side of the model (OPT's next-use pre-pass, swap entries by page). Grows by
 * doubling; deletion shifts entries back so probe chains stay whole. */
#ifndef MMSIM_U64MAP_H
#define MMSIM_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
    uint64_t *keys, *vals;
    uint8_t *used;
    uint64_t mask, n;
};

/* Room for at least n keys before the first growth. 0 or -1 on no memory. */
int u64map_init(struct u64map *m, size_t n);
void u64map_done(struct u64map *m);
/* The value slot of key, inserted (value 0) if absent; *found says which. NULL only when
 * the map cannot grow. The pointer is valid until the next insertion. */
uint64_t *u64map_slot(struct u64map *m, uint64_t key, int *found);
/* The value of key or NULL. */
uint64_t *u64map_get(const struct u64map *m, uint64_t key);
void u64map_erase(struct u64map *m, uint64_t key);

#endif
