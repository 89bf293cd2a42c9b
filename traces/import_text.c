/* import_text.c - the line-oriented importers: Valgrind lackey (--trace-mem=yes), Intel Pin's
 * pinatrace and Dinero's din. Parsing is by hand (no sscanf) because lackey files run to
 * gigabytes; every malformed line is an error naming the file and the line. */
#include "traces/import.h"
#include "traces/foreign.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096     /* no line of these formats comes near; longer is not a trace */

struct text_ctx {
    const char *name;
    uint64_t line;
    char *err;
    size_t errlen;
    struct mmt_writer *w;
    struct mmt_import_stats *st;
};

static int bad_line(struct text_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_line(struct text_ctx *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "%s:%" PRIu64 ": ", c->name, c->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errlen)
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int writer_failed(struct text_ctx *c)
{
    snprintf(c->err, c->errlen, "%s:%" PRIu64 ": %s", c->name, c->line, mmt_writer_error(c->w));
    return -1;
}

static const signed char hex_value[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
    ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
}; /* digit value + 1; 0 = not a hex digit */

/* Parses 1..16 hex digits (after an optional 0x when allow_0x); NULL when malformed. */
static const char *parse_hex(const char *p, uint64_t *v, int allow_0x)
{
    if (allow_0x && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    uint64_t x = 0;
    int n = 0;
    while (hex_value[(unsigned char)*p]) {
        if (++n > 16)
            return NULL;
        x = (x << 4) | (uint64_t)(hex_value[(unsigned char)*p++] - 1);
    }
    *v = x;
    return n ? p : NULL;
}

static const char *parse_dec(const char *p, uint64_t *v)
{
    uint64_t x = 0;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (++n > 19)
            return NULL;
        x = x * 10 + (uint64_t)(*p++ - '0');
    }
    *v = x;
    return n ? p : NULL;
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int emit(struct text_ctx *c, unsigned kind, uint64_t addr, uint64_t size)
{
    if (size <= 255) {
        if (mmt_writer_access(c->w, kind, addr, (unsigned)size))
            return writer_failed(c);
        c->st->accesses++;
        return 0;
    }
    c->st->split++;
    for (uint64_t off = 0; off < size; off += LACKEY_PIECE) {
        uint64_t piece = size - off < LACKEY_PIECE ? size - off : LACKEY_PIECE;
        if (mmt_writer_access(c->w, kind, addr + off, (unsigned)piece))
            return writer_failed(c);
        c->st->accesses++;
    }
    return 0;
}

/* "==PID== Command: ls -l" before any record becomes the `command` metadata. */
static int lackey_chatter(struct text_ctx *c, const char *s)
{
    const char *cmd = strstr(s, "== Command: ");
    if (cmd && mmt_writer_records(c->w) == 0 && mmt_writer_meta(c->w, "command", cmd + 12))
        return writer_failed(c);
    return 0;
}

static int lackey_line(struct text_ctx *c, const char *s)
{
    if (s[0] == '=' && s[1] == '=') {
        c->st->skipped++;
        return lackey_chatter(c, s);
    }
    unsigned kind;
    if (s[0] == 'I' && s[1] == ' ' && s[2] == ' ')
        kind = MMT_IFETCH;
    else if (s[0] == ' ' && s[2] == ' ' && s[1] == 'L')
        kind = MMT_LOAD;
    else if (s[0] == ' ' && s[2] == ' ' && s[1] == 'S')
        kind = MMT_STORE;
    else if (s[0] == ' ' && s[2] == ' ' && s[1] == 'M')
        kind = MMT_MODIFY;
    else
        return bad_line(c, "not a lackey line (expected 'I  ', ' L ', ' S ', ' M ' or '==')");
    uint64_t addr, size;
    const char *p = parse_hex(s + 3, &addr, 0);
    if (!p || *p != ',')
        return bad_line(c, "bad address (expected hex digits and a comma)");
    p = parse_dec(p + 1, &size);
    if (!p || *p)
        return bad_line(c, "bad size (expected a decimal number at the end of the line)");
    if (size == 0 || size > LACKEY_MAX_SIZE)
        return bad_line(c, "access of size %" PRIu64 " (lackey sizes are 1..%d)", size, LACKEY_MAX_SIZE);
    return emit(c, kind, addr, size);
}

/* pinatrace: "IP: R ADDR" or "IP: W ADDR", optionally followed by a size and more fields. */
static int pinatrace_line(struct text_ctx *c, const char *s)
{
    s = skip_blanks(s);
    if (*s == '#' || *s == 0) {
        c->st->skipped++;
        return 0;
    }
    uint64_t ip, addr, size = 8;
    const char *p = parse_hex(s, &ip, 1);
    if (!p || *p != ':')
        return bad_line(c, "bad instruction address (expected 'IP: R|W ADDR')");
    p = skip_blanks(p + 1);
    unsigned kind = *p == 'R' || *p == 'r' ? MMT_LOAD : *p == 'W' || *p == 'w' ? MMT_STORE : 99;
    if (kind == 99 || (p[1] != ' ' && p[1] != '\t'))
        return bad_line(c, "expected R or W after the instruction address");
    p = parse_hex(skip_blanks(p + 1), &addr, 1);
    if (!p || (*p && *p != ' ' && *p != '\t'))
        return bad_line(c, "bad data address");
    p = skip_blanks(p);
    if (*p >= '0' && *p <= '9' && !(p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))) {
        const char *q = parse_dec(p, &size);
        if (!q || (*q && *q != ' ' && *q != '\t') || size == 0 || size > 255)
            return bad_line(c, "bad access size (expected 1..255)");
    }
    return emit(c, kind, addr, size);
}

/* din: "LABEL ADDRESS": 0 read, 1 write, 2 instruction fetch, 3 escape, 4 flush. */
static int din_line(struct text_ctx *c, const char *s)
{
    s = skip_blanks(s);
    if (*s == 0 || *s == '#') {
        c->st->skipped++;
        return 0;
    }
    if (*s < '0' || *s > '4' || (s[1] != ' ' && s[1] != '\t'))
        return bad_line(c, "bad din label (expected 0..4 and an address)");
    unsigned label = (unsigned)(*s - '0');
    uint64_t addr;
    const char *p = parse_hex(skip_blanks(s + 1), &addr, 1);
    if (!p || (*p && *p != ' ' && *p != '\t'))
        return bad_line(c, "bad din address (expected hex)");
    if (label >= DIN_ESCAPE) {
        c->st->skipped++;
        return 0;
    }
    static const unsigned kind_of_label[3] = {[DIN_READ] = MMT_LOAD, [DIN_WRITE] = MMT_STORE,
                                              [DIN_IFETCH] = MMT_IFETCH};
    return emit(c, kind_of_label[label], addr, DIN_ACCESS_SIZE);
}

/* Reads one line into buf (without its newline); returns its length, -1 at the end of the
 * input, -2 for a line longer than cap-1 bytes, -3 for a NUL byte in the line. */
static long read_line(FILE *in, char *buf, size_t cap)
{
    size_t n = 0;
    int ch;
    while ((ch = getc_unlocked(in)) != EOF && ch != '\n') {
        if (ch == 0)
            return -3;
        if (n + 1 >= cap)
            return -2;
        buf[n++] = (char)ch;
    }
    if (ch == EOF && n == 0)
        return -1;
    buf[n] = 0;
    return (long)n;
}

int mmt_import_text(enum mmt_import_format f, FILE *in, const char *name, struct mmt_writer *w,
                    struct mmt_import_stats *st, char *err, size_t errlen)
{
    struct text_ctx c = {.name = name, .err = err, .errlen = errlen, .w = w, .st = st};
    int (*parse)(struct text_ctx *, const char *) =
        f == MMT_IMPORT_LACKEY ? lackey_line : f == MMT_IMPORT_PINATRACE ? pinatrace_line : din_line;
    char line[MAX_LINE];
    long len;
    int rc = 0;
    while ((len = read_line(in, line, sizeof line)) != -1) {
        c.line++;
        st->lines++;
        if (len == -2) {
            rc = bad_line(&c, "line longer than %d bytes", MAX_LINE - 1);
            break;
        }
        if (len == -3) {
            rc = bad_line(&c, "NUL byte in a text line");
            break;
        }
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = 0;
        if ((rc = parse(&c, line)))
            break;
    }
    if (!rc && ferror(in))
        rc = bad_line(&c, "read error");
    return rc;
}
