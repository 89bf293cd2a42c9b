/* plot_labels.h - words and units for config keys and result columns in figures: the one
 * table `mmsim plot` takes axis labels, titles and legends from, so that a figure says
 * "L1 dTLB entries" and "Memory size (MiB)" rather than `tlb.l1d.entries` and `memory.size`. */
#ifndef MMSIM_PLOT_LABELS_H
#define MMSIM_PLOT_LABELS_H

#include <stddef.h>

struct key_words {
    char words[96]; /* "L1 dTLB entries", "Memory size" */
    char unit[16];  /* "MiB", "cycles", "" */
    double scale;   /* axis value = CSV value x scale (bytes -> MiB) */
    int size;       /* a size that is swept in doublings: a log2 axis by default */
    int bytes;      /* the value is bytes (shown in `unit`, log2 tics as KiB/MiB/GiB) */
};

/* Words for a config key or a result column; an unknown name gets itself as words. */
void plot_key_words(const char *key, struct key_words *kw);

/* "Memory size (MiB)", "L1 dTLB entries". */
void plot_axis_label(const char *key, char *dst, size_t n);

/* A legend entry for key = value: "4-way", "fully associative", "Memory size 64 MiB". */
void plot_value_words(const char *key, const char *value, char *dst, size_t n);

/* The TLB, cache or paging-structure cache a key names: "tlb.stlb.entries" -> "L2 TLB (STLB)";
 * empty when the key names none. */
void plot_component_words(const char *key, char *dst, size_t n);

/* 1 for key columns that repeat a run rather than change the machine (a random-replacement
 * seed, `run`, `rep`): their rows are runs of one point, drawn as a median with error bars. */
int plot_key_is_repeat(const char *key);

#endif
