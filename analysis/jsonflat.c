/* jsonflat.c - a small recursive-descent JSON reader that emits dotted leaf paths
 * (see jsonflat.h). */
#include "analysis/jsonflat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JF_MAX_DEPTH 64

struct jf {
    const char *s, *end, *name;
    const char *p;
    jsonflat_fn fn;
    void *ctx;
    char path[JSONFLAT_MAX_PATH];
    char *buf; /* unescaped string scratch */
    size_t bufcap;
    char *err;
    size_t errlen;
    int failed;
};

static int jf_fail(struct jf *j, const char *what)
{
    if (!j->failed)
        snprintf(j->err, j->errlen, "%s: byte %zu: %s", j->name, (size_t)(j->p - j->s), what);
    j->failed = 1;
    return -1;
}

static void skip_ws(struct jf *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static int put_utf8(struct jf *j, size_t *n, unsigned cp)
{
    char tmp[4];
    size_t k = 0;
    if (cp < 0x80)
        tmp[k++] = (char)cp;
    else if (cp < 0x800) {
        tmp[k++] = (char)(0xc0 | (cp >> 6));
        tmp[k++] = (char)(0x80 | (cp & 0x3f));
    } else {
        tmp[k++] = (char)(0xe0 | (cp >> 12));
        tmp[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        tmp[k++] = (char)(0x80 | (cp & 0x3f));
    }
    memcpy(j->buf + *n, tmp, k);
    *n += k;
    return 0;
}

static char escaped_char(char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
    }
}

/* A string at j->p (after its opening quote is checked) into j->buf. */
static int parse_string(struct jf *j)
{
    if (j->p >= j->end || *j->p != '"')
        return jf_fail(j, "expected a string");
    j->p++;
    size_t need = (size_t)(j->end - j->p) + 1, n = 0;
    if (need > j->bufcap) {
        char *nb = realloc(j->buf, need);
        if (!nb)
            return jf_fail(j, "out of memory");
        j->buf = nb;
        j->bufcap = need;
    }
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20)
            return jf_fail(j, "control character in a string");
        if (c != '\\') {
            j->buf[n++] = c;
            continue;
        }
        if (j->p >= j->end)
            break;
        c = *j->p++;
        if (c == 'u') {
            unsigned cp = 0;
            for (int i = 0; i < 4; i++, j->p++) {
                if (j->p >= j->end)
                    return jf_fail(j, "short \\u escape");
                char h = *j->p;
                cp = cp * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                         : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
                if (cp > 0xffff)
                    return jf_fail(j, "bad \\u escape");
            }
            put_utf8(j, &n, cp);
        } else {
            char out = escaped_char(c);
            if (!out)
                return jf_fail(j, "bad escape in a string");
            j->buf[n++] = out;
        }
    }
    if (j->p >= j->end)
        return jf_fail(j, "unterminated string");
    j->p++;
    j->buf[n] = 0;
    return 0;
}

static int parse_value(struct jf *j, size_t plen, int depth, int emit);

/* Appends ".key" (or "key" at the top) to the path; returns the new length. */
static size_t push_path(struct jf *j, size_t plen, const char *key)
{
    int n = snprintf(j->path + plen, sizeof j->path - plen, "%s%s", plen ? "." : "", key);
    if (n < 0 || plen + (size_t)n >= sizeof j->path)
        return sizeof j->path - 1;
    return plen + (size_t)n;
}

static int parse_object(struct jf *j, size_t plen, int depth, int emit)
{
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    for (;;) {
        skip_ws(j);
        if (parse_string(j) < 0)
            return -1;
        size_t nl = push_path(j, plen, j->buf);
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':')
            return jf_fail(j, "expected ':'");
        j->p++;
        if (parse_value(j, nl, depth + 1, emit) < 0)
            return -1;
        j->path[plen] = 0;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            return 0;
        }
        return jf_fail(j, "expected ',' or '}'");
    }
}

/* Counts an array's elements without emitting, then parses it again emitting when short.
 * An array of arrays is a table (a histogram's [x, count] rows): left out at any length. */
static int parse_array(struct jf *j, size_t plen, int depth, int emit)
{
    const char *start = j->p;
    size_t count = 0;
    j->p = start + 1;
    skip_ws(j);
    if (j->p < j->end && *j->p == '[')
        emit = 0;
    for (int pass = 0; pass < 2; pass++) {
        int em = pass == 1 && emit && count <= JSONFLAT_MAX_ARRAY;
        j->p = start + 1;
        size_t i = 0;
        skip_ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return 0;
        }
        for (;;) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i++);
            size_t nl = push_path(j, plen, idx);
            if (parse_value(j, nl, depth + 1, em) < 0)
                return -1;
            j->path[plen] = 0;
            skip_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == ']') {
                j->p++;
                break;
            }
            return jf_fail(j, "expected ',' or ']'");
        }
        count = i;
        if (!emit || count > JSONFLAT_MAX_ARRAY)
            return 0;
    }
    return 0;
}

static int parse_literal(struct jf *j, const char *word, const char *value, enum jsonflat_type t,
                         int emit)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
        return jf_fail(j, "unexpected character");
    j->p += n;
    if (emit)
        j->fn(j->ctx, j->path, value, t);
    return 0;
}

static int parse_number(struct jf *j, int emit)
{
    const char *q = j->p;
    while (q < j->end && strchr("+-0123456789.eE", *q))
        q++;
    size_t n = (size_t)(q - j->p);
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return jf_fail(j, "bad number");
    memcpy(tmp, j->p, n);
    tmp[n] = 0;
    char *e;
    strtod(tmp, &e);
    if (*e)
        return jf_fail(j, "bad number");
    j->p = q;
    if (emit)
        j->fn(j->ctx, j->path, tmp, JF_NUMBER);
    return 0;
}

static int parse_value(struct jf *j, size_t plen, int depth, int emit)
{
    skip_ws(j);
    if (depth > JF_MAX_DEPTH)
        return jf_fail(j, "nested too deeply");
    if (j->p >= j->end)
        return jf_fail(j, "unexpected end");
    switch (*j->p) {
    case '{': return parse_object(j, plen, depth, emit);
    case '[': return parse_array(j, plen, depth, emit);
    case '"':
        if (parse_string(j) < 0)
            return -1;
        if (emit)
            j->fn(j->ctx, j->path, j->buf, JF_STRING);
        return 0;
    case 't': return parse_literal(j, "true", "1", JF_BOOL, emit);
    case 'f': return parse_literal(j, "false", "0", JF_BOOL, emit);
    case 'n': return parse_literal(j, "null", "", JF_NULL, emit);
    default: return parse_number(j, emit);
    }
}

int jsonflat(const char *text, size_t len, const char *name, jsonflat_fn fn, void *ctx, char *err,
             size_t errlen)
{
    struct jf j = {0};
    j.s = j.p = text;
    j.end = text + len;
    j.name = name;
    j.fn = fn;
    j.ctx = ctx;
    j.err = err;
    j.errlen = errlen;
    int rc = parse_value(&j, 0, 0, 1);
    if (rc == 0) {
        skip_ws(&j);
        if (j.p != j.end)
            rc = jf_fail(&j, "trailing characters after the document");
    }
    free(j.buf);
    return rc;
}
