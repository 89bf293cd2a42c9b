/* csv.h - a small CSV reader and writer for the analysis verbs: a header row naming the
 * columns, then rows of fields; fields may be quoted ("a,b", "say ""hi"""). Lines starting
 * with '#' are comments. */
#ifndef MMSIM_CSV_H
#define MMSIM_CSV_H

#include <stddef.h>
#include <stdio.h>

struct csv {
    char *path;
    size_t ncols, nrows;
    char **header;  /* ncols names */
    char **cells;   /* nrows * ncols; a short row is padded with "" */
    size_t *line;   /* nrows: line number of each row in the file (for messages) */
    char *buf;      /* storage of every string */
};

/* Reads a whole file. Returns 0, or -1 with err naming the file and line. */
int csv_read(const char *path, struct csv *c, char *err, size_t errlen);
void csv_free(struct csv *c);
/* Index of the column named `name`, or -1. */
int csv_col(const struct csv *c, const char *name);
static inline const char *csv_get(const struct csv *c, size_t row, size_t col)
{
    return c->cells[row * c->ncols + col];
}
/* A cell as a number; 0 when it parses, -1 (with err naming file, line and column) if not. */
int csv_num(const struct csv *c, size_t row, size_t col, double *v, char *err, size_t errlen);
/* Writes one field, quoted when it holds a comma, a quote or a line break. */
void csv_put(FILE *f, const char *s);

#endif
