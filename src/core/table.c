/* CSV / TSV tables, read whole into memory in one pass.
 *
 * Quoting follows RFC 4180 section 2: a field that starts with '"' is quoted, may hold the
 * delimiter, CR/LF and doubled quotes ("" -> "), and ends at the next single '"'. Beyond the RFC, as
 * Python's csv module does: characters after a closing quote are kept literally, a '"' inside an
 * unquoted field is literal, and LF, CRLF or a lone CR end a record. The same quoting applies to TSV
 * (the lyrics metadata quotes multi-line lyrics in a tab-separated file). */
#include "core_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Read a whole file into a NUL-terminated malloc'd buffer. */
static mc_status read_all(const char *path, char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    /* Start from the file size when known so a regular file is read with one fread. */
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz > 0 && (unsigned long)sz < SIZE_MAX - 1 && (size_t)sz + 1 > cap) {
            char *nb = realloc(buf, (size_t)sz + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory for %ld bytes", path, sz);
            }
            buf = nb;
            cap = (size_t)sz + 1;
        }
        rewind(f);
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > SIZE_MAX / 2) break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return mc_error_set(MC_STATUS_IO, "%s: read failed", path);
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return MC_STATUS_OK;
}

/* Growable array of field start pointers for the record being parsed. */
typedef struct field_vec {
    char **v; // (cap)
    int n, cap;
} field_vec;

static int field_push(field_vec *fv, char *s) {
    if (fv->n == fv->cap) {
        int nc = fv->cap ? fv->cap * 2 : 64;
        if (nc < fv->cap) return -1;
        char **nv = realloc(fv->v, (size_t)nc * sizeof *nv);
        if (!nv) return -1;
        fv->v = nv;
        fv->cap = nc;
    }
    fv->v[fv->n++] = s;
    return 0;
}

typedef struct parser {
    char *buf;
    size_t len;
    size_t r;  /* read position */
    size_t w;  /* write position: unquoting shrinks fields in place, so w <= r always */
    long line;     /* 1-based physical line of r */
    long rec_line; /* line on which the last parsed record began (for messages) */
    char delim;
    const char *path;
} parser;

/* Parse one record starting at p->r into fv (pointers into p->buf, NUL-terminated in place).
 * Returns 0 at end of input (no record), 1 for a record, or -1 with the message set. */
static int parse_record(parser *p, field_vec *fv, mc_status *st) {
    char *b = p->buf;
    fv->n = 0;
    /* Blank lines are skipped (they are not records of one empty field). */
    while (p->r < p->len && (b[p->r] == '\n' || b[p->r] == '\r')) {
        if (b[p->r] == '\r' && p->r + 1 < p->len && b[p->r + 1] == '\n') p->r++;
        p->r++;
        p->line++;
    }
    if (p->r >= p->len) return 0;
    p->rec_line = p->line;
    for (;;) {
        char *start = b + p->w;
        if (b[p->r] == '"') {
            long open_line = p->line;
            p->r++;
            for (;;) {
                if (p->r >= p->len) {
                    *st = mc_error_set(MC_STATUS_FORMAT, "%s:%ld: unterminated quoted field (the "
                                       "quote opened on this line never closes)", p->path, open_line);
                    return -1;
                }
                char c = b[p->r];
                if (c == '"') {
                    if (p->r + 1 < p->len && b[p->r + 1] == '"') {
                        b[p->w++] = '"';
                        p->r += 2;
                        continue;
                    }
                    p->r++;
                    break;
                }
                if (c == '\n') p->line++;
                b[p->w++] = c;
                p->r++;
            }
        }
        /* Unquoted text (or what follows a closing quote) up to the delimiter or the line end. */
        while (p->r < p->len) {
            char c = b[p->r];
            if (c == p->delim || c == '\n' || c == '\r') break;
            b[p->w++] = c;
            p->r++;
        }
        int end_of_record = 1;
        if (p->r < p->len) {
            char c = b[p->r++];
            if (c == p->delim) {
                end_of_record = 0;
            } else {
                if (c == '\r' && p->r < p->len && b[p->r] == '\n') p->r++;
                p->line++;
            }
        }
        b[p->w++] = '\0'; /* overwrites an already consumed byte (w <= r), or the buffer's spare NUL */
        if (field_push(fv, start)) {
            *st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", p->path);
            return -1;
        }
        if (end_of_record) return 1;
    }
}

static int ends_with_ci(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static char pick_delim(const char *path, const char *text, size_t len) {
    if (ends_with_ci(path, ".tsv") || ends_with_ci(path, ".tab")) return '\t';
    for (size_t i = 0; i < len && text[i] != '\n'; i++) {
        if (text[i] == '\t') return '\t';
    }
    return ',';
}

/* Growable pointer / index arrays of the table being built. */
static int grow(void **v, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 256;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem) return -1;
        nc *= 2;
    }
    void *nv = realloc(*v, nc * elem);
    if (!nv) return -1;
    *v = nv;
    *cap = nc;
    return 0;
}

mc_status mc_table_read(const char *path, char delim, mc_table *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_table_read: NULL output");
    memset(out, 0, sizeof *out);
    if (!path) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_table_read: NULL path");
    char *buf;
    size_t len;
    mc_status st = read_all(path, &buf, &len);
    if (st) return st;

    size_t start = 0;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        start = 3; /* UTF-8 byte order mark */
    if (delim == 0) delim = pick_delim(path, buf + start, len - start);
    if (delim == '"' || delim == '\n' || delim == '\r') {
        free(buf);
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: invalid delimiter", path);
    }
    parser p = {buf, len, start, start, 1, 1, delim, path};
    field_vec fv = {NULL, 0, 0};
    /* Every string points into buf (fields are unquoted and NUL-terminated in place), so the table
     * costs the file's bytes plus one pointer per stored field: a short row is not padded out to the
     * header's width (a wide header over many short rows once took gigabytes). */
    mc_table t = {0, 0, NULL, NULL, NULL, buf};
    size_t cells_cap = 0, cells_n = 0, rows_cap = 0;

    int rc = parse_record(&p, &fv, &st);
    if (rc <= 0) {
        if (rc == 0) st = mc_error_set(MC_STATUS_EMPTY, "%s: empty file (no header line)", path);
        goto fail;
    }
    t.ncols = fv.n;
    t.header = malloc((size_t)fv.n * sizeof *t.header); // (ncols)
    if (!t.header) goto oom;
    memcpy(t.header, fv.v, (size_t)fv.n * sizeof *t.header);
    if (grow((void **)&t.row_start, &rows_cap, 1, sizeof *t.row_start)) goto oom;
    t.row_start[0] = 0;
    for (;;) {
        rc = parse_record(&p, &fv, &st);
        if (rc < 0) goto fail;
        if (rc == 0) break;
        if (fv.n > t.ncols) {
            st = mc_error_set(MC_STATUS_FORMAT, "%s:%ld: row has %d fields but the header has %d",
                              path, p.rec_line, fv.n, t.ncols);
            goto fail;
        }
        if (grow((void **)&t.cells, &cells_cap, cells_n + (size_t)fv.n, sizeof *t.cells) ||
            grow((void **)&t.row_start, &rows_cap, (size_t)t.nrows + 2, sizeof *t.row_start))
            goto oom;
        memcpy(t.cells + cells_n, fv.v, (size_t)fv.n * sizeof *t.cells); /* the row's own fields */
        cells_n += (size_t)fv.n;
        t.nrows++;
        t.row_start[t.nrows] = (int64_t)cells_n;
    }
    free(fv.v);
    *out = t;
    return MC_STATUS_OK;

oom:
    st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory reading the table", path);
fail:
    free(fv.v);
    mc_table_free(&t);
    return st;
}

int mc_table_column(const mc_table *t, const char *name) {
    if (!t || !name || !t->header) return -1;
    for (int c = 0; c < t->ncols; c++) {
        if (strcmp(t->header[c], name) == 0) return c;
    }
    return -1;
}

const char *mc_table_get(const mc_table *t, int64_t row, int col) {
    /* Out of range is a caller bug; NULL makes it crash close to the cause instead of reading "". */
    if (!t || row < 0 || row >= t->nrows || col < 0 || col >= t->ncols) return NULL;
    int64_t first = t->row_start[row], have = t->row_start[row + 1] - first;
    return col < have ? t->cells[first + col] : ""; /* a field the row lacks reads as "" */
}

void mc_table_free(mc_table *t) {
    if (!t) return;
    free(t->header);
    free(t->cells);
    free(t->row_start);
    free(t->text);
    memset(t, 0, sizeof *t);
}

void mc_csv_write_field(FILE *f, const char *s, char delim) {
    if (!f || !s) return;
    if (!strpbrk(s, "\"\r\n") && (delim == '\0' || !strchr(s, delim))) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f); /* RFC 4180: a quote inside a quoted field is doubled */
        fputc(*s, f);
    }
    fputc('"', f);
}
