/* csv.c - CSV reader and field writer (see csv.h). */
#include "analysis/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(b, cap + 1);
        if (!nb) {
            free(b);
            b = NULL;
        }
        b = nb;
    }
    int bad = ferror(f) ? errno : 0; /* EISDIR for a directory */
    fclose(f);
    if (!b || bad) {
        free(b);
        snprintf(err, errlen, "%s: %s", path, bad ? strerror(bad) : "out of memory");
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

/* Splits one record in place starting at *p; fields are NUL-terminated inside the buffer.
 * Returns the number of fields stored (up to max, extra ones are counted but dropped). */
static size_t split_record(char **p, char **fields, size_t max, size_t *lineno)
{
    char *s = *p, *w;
    size_t nf = 0;
    for (;;) {
        char *start = w = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s)
                    break;
                if (*s == '"' && s[1] == '"') {
                    *w++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    if (*s == '\n')
                        (*lineno)++;
                    *w++ = *s++;
                }
            }
        }
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            *w++ = *s++;
        char end = *s;
        if (end)
            s++; /* past the separator; w trails s, so the NUL below cannot clobber it */
        if (end == '\r' && *s == '\n')
            s++;
        *w = 0;
        if (nf < max)
            fields[nf] = start;
        nf++;
        if (end == ',')
            continue;
        *p = s;
        return nf;
    }
}

int csv_read(const char *path, struct csv *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    size_t len;
    c->buf = slurp(path, &len, err, errlen);
    if (!c->buf)
        return -1;
    c->path = strdup(path);
    size_t nlines = 2;
    for (size_t i = 0; i < len; i++)
        nlines += c->buf[i] == '\n' || c->buf[i] == '\r'; /* a lone CR ends a record too */
    char *p = c->buf;
    size_t lineno = 0, maxf = 4096;
    char **tmp = malloc(sizeof *tmp * maxf);
    if (!tmp || !c->path)
        goto oom;
    while (*p == '#' || *p == '\n' || *p == '\r') { /* comments before the header */
        while (*p && *p != '\n')
            p++;
        if (*p)
            p++;
        lineno++;
    }
    if (!*p) {
        snprintf(err, errlen, "%s: no header line", path);
        free(tmp);
        csv_free(c);
        return -1;
    }
    lineno++;
    c->ncols = split_record(&p, tmp, maxf, &lineno);
    if (c->ncols > maxf)
        c->ncols = maxf;
    c->header = malloc(sizeof *c->header * c->ncols);
    c->cells = malloc(sizeof *c->cells * c->ncols * nlines);
    c->line = malloc(sizeof *c->line * nlines);
    if (!c->header || !c->cells || !c->line)
        goto oom;
    memcpy(c->header, tmp, sizeof *tmp * c->ncols);
    while (*p) {
        lineno++;
        if (*p == '#' || *p == '\n' || *p == '\r') {
            while (*p && *p != '\n')
                p++;
            if (*p)
                p++;
            continue;
        }
        size_t at = lineno;
        size_t nf = split_record(&p, tmp, maxf, &lineno);
        char **row = c->cells + c->nrows * c->ncols;
        for (size_t i = 0; i < c->ncols; i++)
            row[i] = i < nf ? tmp[i] : "";
        c->line[c->nrows++] = at;
    }
    free(tmp);
    return 0;
oom:
    free(tmp);
    csv_free(c);
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
}

void csv_free(struct csv *c)
{
    free(c->path);
    free(c->header);
    free(c->cells);
    free(c->line);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

int csv_col(const struct csv *c, const char *name)
{
    for (size_t i = 0; i < c->ncols; i++)
        if (!strcmp(c->header[i], name))
            return (int)i;
    return -1;
}

int csv_num(const struct csv *c, size_t row, size_t col, double *v, char *err, size_t errlen)
{
    const char *s = csv_get(c, row, col);
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end) {
        snprintf(err, errlen, "%s:%zu: column '%s': '%s' is not a number", c->path, c->line[row],
                 c->header[col], s);
        return -1;
    }
    return 0;
}

void csv_put(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
