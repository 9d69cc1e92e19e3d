/* safetensors read/write. Format (huggingface/safetensors, "format" section of its README):
 *   8 bytes   N, unsigned little-endian: the header length
 *   N bytes   UTF-8 JSON object: optional "__metadata__" (string -> string) and, per tensor,
 *             {"dtype": "F32"|"F64"|"F16"|"I32"|"I64", "shape": [..], "data_offsets": [begin, end]}
 *             with offsets relative to the byte buffer; the header may be padded with spaces
 *   rest      the byte buffer, tensors little-endian in C order
 * We pad the header to a multiple of 8 bytes so every tensor starts 8-byte aligned (as the reference
 * writer does). */
#include "core_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *dtype_code(mc_dtype t) {
    switch (t) {
    case MC_DTYPE_F32: return "F32";
    case MC_DTYPE_F64: return "F64";
    case MC_DTYPE_F16: return "F16";
    case MC_DTYPE_I32: return "I32";
    case MC_DTYPE_I64: return "I64";
    }
    return NULL;
}

static int dtype_from_code(const char *s, mc_dtype *t) {
    static const mc_dtype all[] = {MC_DTYPE_F32, MC_DTYPE_F64, MC_DTYPE_F16, MC_DTYPE_I32, MC_DTYPE_I64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, dtype_code(all[i])) == 0) { *t = all[i]; return 1; }
    return 0;
}

static int64_t entry_count(const mc_tensor_entry *e) {
    int64_t n = 1;
    for (int d = 0; d < e->ndim; d++) n *= e->shape[d];
    return n;
}

mc_status mc_safetensors_write(const char *path, const mc_tensor_entry *entries, int n,
                               const char *const *meta_keys, const char *const *meta_values,
                               int n_meta) {
    if (!path || n < 0 || (n > 0 && !entries) || n_meta < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "safetensors: bad arguments writing %s", path ? path : "(null)");
    for (int i = 0; i < n; i++) {
        const mc_tensor_entry *e = &entries[i];
        if (!e->name || !e->name[0] || strcmp(e->name, "__metadata__") == 0 || !dtype_code(e->dtype) ||
            e->ndim < 0 || e->ndim > MC_NPY_MAX_DIMS || (!e->data && entry_count(e) > 0))
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: tensor %d ('%s') is invalid", path, i,
                                e->name ? e->name : "");
        for (int d = 0; d < e->ndim; d++)
            if (e->shape[d] < 0)
                return mc_error_set(MC_STATUS_INVALID_ARG, "%s: tensor '%s' has a negative dimension", path, e->name);
        for (int j = 0; j < i; j++)
            if (strcmp(entries[j].name, e->name) == 0)
                return mc_error_set(MC_STATUS_INVALID_ARG, "%s: tensor name '%s' used twice", path, e->name);
    }
    mc_json *j = NULL;
    mc_status st = mc_json_create(&j);
    if (st != MC_STATUS_OK) return st;
    mc_json_begin_object(j);
    if (n_meta > 0) {
        mc_json_key(j, "__metadata__");
        mc_json_begin_object(j);
        for (int i = 0; i < n_meta; i++) {
            mc_json_key(j, meta_keys[i]);
            mc_json_string(j, meta_values[i] ? meta_values[i] : "");
        }
        mc_json_end_object(j);
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        const mc_tensor_entry *e = &entries[i];
        uint64_t bytes = (uint64_t)entry_count(e) * mc_dtype_size(e->dtype);
        mc_json_key(j, e->name);
        mc_json_begin_object(j);
        mc_json_key(j, "dtype");
        mc_json_string(j, dtype_code(e->dtype));
        mc_json_key(j, "shape");
        mc_json_begin_array(j);
        for (int d = 0; d < e->ndim; d++) mc_json_int(j, e->shape[d]);
        mc_json_end_array(j);
        mc_json_key(j, "data_offsets");
        mc_json_begin_array(j);
        mc_json_int(j, (int64_t)off);
        mc_json_int(j, (int64_t)(off + bytes));
        mc_json_end_array(j);
        mc_json_end_object(j);
        off += bytes;
    }
    mc_json_end_object(j);
    const char *text = mc_json_text(j);
    if (!text) {
        mc_json_free(j);
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: could not build the header", path);
    }
    size_t hlen = strlen(text);
    size_t padded = (hlen + 7) & ~(size_t)7;
    size_t total = 8 + padded + (size_t)off;
    unsigned char *buf = malloc(total ? total : 1); /* (total) bytes: the whole file */
    if (!buf) {
        mc_json_free(j);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory (%zu bytes)", path, total);
    }
    for (int b = 0; b < 8; b++) buf[b] = (unsigned char)((uint64_t)padded >> (8 * b));
    memcpy(buf + 8, text, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    mc_json_free(j);
    unsigned char *p = buf + 8 + padded;
    for (int i = 0; i < n; i++) {
        size_t bytes = (size_t)entry_count(&entries[i]) * mc_dtype_size(entries[i].dtype);
        if (bytes) memcpy(p, entries[i].data, bytes); /* x86-64 and aarch64 are little-endian */
        p += bytes;
    }
    st = mc_file_write_atomic(path, buf, total);
    free(buf);
    return st;
}

/* ------------------------------------------------------------------ reading */

struct mc_safetensors {
    unsigned char *file;      /* (size) the whole file */
    size_t size;
    mc_tensor_entry *entries; /* (n) */
    char **names;             /* (n) owned */
    int n;
    char **meta;              /* (2 * n_meta) key, value pairs, owned */
    int n_meta;
};

typedef struct parser {
    const char *s, *end;
    const char *path;
    mc_status st;
} parser;

static void ws(parser *p) {
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t')) p->s++;
}

static int fail(parser *p, const char *what) {
    if (p->st == MC_STATUS_OK)
        p->st = mc_error_set(MC_STATUS_FORMAT, "%s: bad safetensors header: %s", p->path, what);
    return 0;
}

static int expect(parser *p, char c) {
    ws(p);
    if (p->s >= p->end || *p->s != c) {
        char m[32];
        snprintf(m, sizeof m, "expected '%c'", c);
        return fail(p, m);
    }
    p->s++;
    return 1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A JSON string into a malloc'd UTF-8 buffer (\uXXXX escapes, surrogate pairs included). */
static char *string(parser *p) {
    if (!expect(p, '"')) return NULL;
    size_t cap = 32, len = 0;
    char *out = malloc(cap);
    if (!out) { fail(p, "out of memory"); return NULL; }
    while (p->s < p->end && *p->s != '"') {
        uint32_t cp;
        if (*p->s == '\\') {
            p->s++;
            if (p->s >= p->end) break;
            char e = *p->s++;
            switch (e) {
            case 'n': cp = '\n'; break;
            case 't': cp = '\t'; break;
            case 'r': cp = '\r'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case '/': case '\\': case '"': cp = (unsigned char)e; break;
            case 'u': {
                cp = 0;
                for (int k = 0; k < 4; k++) {
                    int h = p->s < p->end ? hexval(*p->s++) : -1;
                    if (h < 0) { free(out); fail(p, "bad \\u escape"); return NULL; }
                    cp = cp * 16 + (uint32_t)h;
                }
                if (cp >= 0xD800 && cp < 0xDC00 && p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
                    uint32_t lo = 0;
                    int okh = 1;
                    for (int k = 0; k < 4; k++) {
                        int h = hexval(p->s[2 + k]);
                        if (h < 0) okh = 0; else lo = lo * 16 + (uint32_t)h;
                    }
                    if (okh && lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p->s += 6;
                    }
                }
                break;
            }
            default: free(out); fail(p, "bad escape"); return NULL;
            }
        } else {
            cp = 0x100; /* marker: copy one raw byte */
        }
        if (len + 5 >= cap) {
            cap *= 2;
            char *q = realloc(out, cap);
            if (!q) { free(out); fail(p, "out of memory"); return NULL; }
            out = q;
        }
        if (cp == 0x100) { out[len++] = *p->s++; continue; }
        if (cp < 0x80) out[len++] = (char)cp;
        else if (cp < 0x800) { out[len++] = (char)(0xC0 | (cp >> 6)); out[len++] = (char)(0x80 | (cp & 63)); }
        else if (cp < 0x10000) {
            out[len++] = (char)(0xE0 | (cp >> 12)); out[len++] = (char)(0x80 | ((cp >> 6) & 63));
            out[len++] = (char)(0x80 | (cp & 63));
        } else {
            out[len++] = (char)(0xF0 | (cp >> 18)); out[len++] = (char)(0x80 | ((cp >> 12) & 63));
            out[len++] = (char)(0x80 | ((cp >> 6) & 63)); out[len++] = (char)(0x80 | (cp & 63));
        }
    }
    if (p->s >= p->end) { free(out); fail(p, "unterminated string"); return NULL; }
    p->s++;
    out[len] = '\0';
    return out;
}

static int integer(parser *p, int64_t *v) {
    ws(p);
    const char *b = p->s;
    if (p->s < p->end && *p->s == '-') p->s++;
    int digits = 0;
    int64_t x = 0;
    while (p->s < p->end && *p->s >= '0' && *p->s <= '9') {
        if (x > (INT64_MAX - 9) / 10) return fail(p, "integer too large");
        x = x * 10 + (*p->s++ - '0');
        digits++;
    }
    if (!digits) return fail(p, "expected an integer");
    *v = *b == '-' ? -x : x;
    return 1;
}

/* Skip any JSON value (for keys we do not know). */
static int skip_value(parser *p, int depth) {
    ws(p);
    if (depth > 64 || p->s >= p->end) return fail(p, "nesting too deep or truncated");
    char c = *p->s;
    if (c == '"') { char *s = string(p); free(s); return s != NULL; }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p->s++;
        ws(p);
        if (p->s < p->end && *p->s == close) { p->s++; return 1; }
        for (;;) {
            if (c == '{') {
                char *k = string(p);
                if (!k) return 0;
                free(k);
                if (!expect(p, ':')) return 0;
            }
            if (!skip_value(p, depth + 1)) return 0;
            ws(p);
            if (p->s < p->end && *p->s == ',') { p->s++; continue; }
            return expect(p, close);
        }
    }
    /* number, true, false, null */
    const char *b = p->s;
    while (p->s < p->end && ((*p->s && strchr("+-.eE0123456789", *p->s)) || (*p->s >= 'a' && *p->s <= 'z')))
        p->s++; /* (strchr finds the terminator of its set: a NUL byte is not part of a number) */
    return p->s > b ? 1 : fail(p, "unexpected character");
}

static int int_array(parser *p, int64_t *v, int max, int *count) {
    if (!expect(p, '[')) return 0;
    *count = 0;
    ws(p);
    if (p->s < p->end && *p->s == ']') { p->s++; return 1; }
    for (;;) {
        int64_t x;
        if (!integer(p, &x)) return 0;
        if (*count >= max) return fail(p, "too many dimensions");
        v[(*count)++] = x;
        ws(p);
        if (p->s < p->end && *p->s == ',') { p->s++; continue; }
        return expect(p, ']');
    }
}

void mc_safetensors_free(mc_safetensors *f) {
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->names[i]);
    for (int i = 0; i < 2 * f->n_meta; i++) free(f->meta[i]);
    free(f->names);
    free(f->meta);
    free(f->entries);
    free(f->file);
    free(f);
}

/* (begin, end) pairs by begin, then end. */
static int cmp_offset(const void *a, const void *b) {
    const int64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Tensor names (char *) bytewise. */
static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

mc_status mc_safetensors_read(const char *path, mc_safetensors **out) {
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    mc_safetensors *f = calloc(1, sizeof *f);
    if (!f) { fclose(fp); return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory"); }
    if (fseek(fp, 0, SEEK_END) != 0) { fclose(fp); free(f); return mc_error_set(MC_STATUS_IO, "%s: cannot seek", path); }
    long sz = ftell(fp);
    rewind(fp);
    if (sz < 8) {
        fclose(fp);
        free(f);
        return mc_error_set(MC_STATUS_FORMAT, "%s: too short to be a safetensors file (%ld bytes)", path, sz);
    }
    f->size = (size_t)sz;
    f->file = malloc(f->size);
    if (!f->file) { fclose(fp); free(f); return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path); }
    size_t got = fread(f->file, 1, f->size, fp);
    fclose(fp);
    if (got != f->size) { mc_safetensors_free(f); return mc_error_set(MC_STATUS_IO, "%s: read failed", path); }
    uint64_t hlen = 0;
    for (int b = 0; b < 8; b++) hlen |= (uint64_t)f->file[b] << (8 * b);
    if (hlen > f->size - 8 || hlen > (100u << 20)) {
        mc_status e = mc_error_set(MC_STATUS_FORMAT, "%s: header length %llu does not fit the file (%zu bytes)",
                                   path, (unsigned long long)hlen, f->size);
        mc_safetensors_free(f);
        return e;
    }
    const unsigned char *data = f->file + 8 + hlen;
    size_t data_len = f->size - 8 - (size_t)hlen;
    parser p = {(const char *)f->file + 8, (const char *)f->file + 8 + hlen, path, MC_STATUS_OK};
    int cap = 16, mcap = 8;
    f->entries = calloc((size_t)cap, sizeof *f->entries);
    f->names = calloc((size_t)cap, sizeof *f->names);
    f->meta = calloc((size_t)mcap * 2, sizeof *f->meta);
    int64_t *ranges = NULL; /* (rcap, 2) begin/end offsets of the non-empty tensors, for the overlap check */
    int n_ranges = 0, rcap = 0;
    if (!f->entries || !f->names || !f->meta) fail(&p, "out of memory");
    if (p.st == MC_STATUS_OK && expect(&p, '{')) {
        ws(&p);
        int empty = p.s < p.end && *p.s == '}';
        if (empty) p.s++;
        while (!empty && p.st == MC_STATUS_OK) {
            char *key = string(&p);
            if (!key || !expect(&p, ':')) { free(key); break; }
            if (strcmp(key, "__metadata__") == 0) {
                free(key);
                if (!expect(&p, '{')) break;
                ws(&p);
                if (p.s < p.end && *p.s == '}') p.s++;
                else for (;;) {
                    char *k = string(&p);
                    char *v = k && expect(&p, ':') ? string(&p) : NULL;
                    if (!k || !v) { free(k); free(v); break; }
                    if (f->n_meta == mcap) {
                        mcap *= 2;
                        char **q = realloc(f->meta, (size_t)mcap * 2 * sizeof *q);
                        if (!q) { free(k); free(v); fail(&p, "out of memory"); break; }
                        f->meta = q;
                    }
                    f->meta[2 * f->n_meta] = k;
                    f->meta[2 * f->n_meta + 1] = v;
                    f->n_meta++;
                    ws(&p);
                    if (p.s < p.end && *p.s == ',') { p.s++; continue; }
                    expect(&p, '}');
                    break;
                }
            } else {
                if (f->n == cap) {
                    cap *= 2;
                    mc_tensor_entry *q = realloc(f->entries, (size_t)cap * sizeof *q);
                    char **r = q ? realloc(f->names, (size_t)cap * sizeof *r) : NULL;
                    if (q) f->entries = q;
                    if (r) f->names = r;
                    if (!q || !r) { free(key); fail(&p, "out of memory"); break; }
                }
                mc_tensor_entry *e = &f->entries[f->n];
                memset(e, 0, sizeof *e);
                f->names[f->n] = key;
                e->name = key;
                f->n++;
                int have_dtype = 0, have_shape = 0, have_off = 0;
                int64_t off[2] = {0, 0};
                if (!expect(&p, '{')) break;
                for (;;) {
                    char *k = string(&p);
                    if (!k || !expect(&p, ':')) { free(k); break; }
                    if (strcmp(k, "dtype") == 0) {
                        char *d = string(&p);
                        if (d && !dtype_from_code(d, &e->dtype)) {
                            char m[96];
                            snprintf(m, sizeof m, "tensor '%.40s' has unsupported dtype '%.8s'", key, d);
                            fail(&p, m);
                        }
                        have_dtype = d != NULL;
                        free(d);
                    } else if (strcmp(k, "shape") == 0) {
                        have_shape = int_array(&p, e->shape, MC_NPY_MAX_DIMS, &e->ndim);
                    } else if (strcmp(k, "data_offsets") == 0) {
                        int cnt = 0;
                        have_off = int_array(&p, off, 2, &cnt) && cnt == 2;
                    } else {
                        skip_value(&p, 0);
                    }
                    free(k);
                    if (p.st != MC_STATUS_OK) break;
                    ws(&p);
                    if (p.s < p.end && *p.s == ',') { p.s++; continue; }
                    expect(&p, '}');
                    break;
                }
                if (p.st != MC_STATUS_OK) break;
                if (!have_dtype || !have_shape || !have_off) {
                    char m[96];
                    snprintf(m, sizeof m, "tensor '%.40s' lacks dtype, shape or data_offsets", key);
                    fail(&p, m);
                    break;
                }
                int64_t count = 1;
                for (int d = 0; d < e->ndim; d++) {
                    if (e->shape[d] < 0 || (e->shape[d] > 0 && count > INT64_MAX / 8 / e->shape[d])) {
                        fail(&p, "bad shape");
                        break;
                    }
                    count *= e->shape[d];
                }
                if (p.st != MC_STATUS_OK) break;
                if (off[0] < 0 || off[1] < off[0] || (uint64_t)off[1] > data_len ||
                    (uint64_t)(off[1] - off[0]) != (uint64_t)count * mc_dtype_size(e->dtype)) {
                    char m[128];
                    snprintf(m, sizeof m, "tensor '%.40s' data_offsets [%lld, %lld] do not match its shape or the file",
                             key, (long long)off[0], (long long)off[1]);
                    fail(&p, m);
                    break;
                }
                e->data = data + off[0];
                /* A zero-length tensor occupies no bytes, so it overlaps nothing (the format allows
                 * [0, 0] next to a tensor that starts at 0). */
                if (off[1] > off[0]) {
                    if (n_ranges == rcap) {
                        int nc = rcap ? 2 * rcap : 16;
                        int64_t *rr = realloc(ranges, (size_t)nc * 2 * sizeof *rr);
                        if (!rr) { fail(&p, "out of memory"); break; }
                        ranges = rr;
                        rcap = nc;
                    }
                    ranges[2 * n_ranges] = off[0];
                    ranges[2 * n_ranges + 1] = off[1];
                    n_ranges++;
                }
            }
            if (p.st != MC_STATUS_OK) break;
            ws(&p);
            if (p.s < p.end && *p.s == ',') { p.s++; continue; }
            expect(&p, '}');
            break;
        }
    }
    if (p.st == MC_STATUS_OK && n_ranges > 1) {
        /* Tensors with bytes must not overlap: sorted by begin, each starts at or after the end of
         * every one before it. */
        qsort(ranges, (size_t)n_ranges, 2 * sizeof *ranges, cmp_offset);
        int64_t end = ranges[1];
        for (int i = 1; i < n_ranges; i++) {
            if (ranges[2 * i] < end) { fail(&p, "tensors overlap"); break; }
            if (ranges[2 * i + 1] > end) end = ranges[2 * i + 1];
        }
    }
    free(ranges);
    if (p.st == MC_STATUS_OK && f->n > 1) {
        /* Names are unique: sort a copy of the name pointers, O(n log n) (a header may hold hundreds
         * of thousands of tensors; comparing every pair took minutes). */
        char **sorted = malloc((size_t)f->n * sizeof *sorted); // (n)
        if (!sorted) {
            fail(&p, "out of memory");
        } else {
            memcpy(sorted, f->names, (size_t)f->n * sizeof *sorted);
            qsort(sorted, (size_t)f->n, sizeof *sorted, cmp_name);
            for (int i = 1; i < f->n; i++)
                if (strcmp(sorted[i - 1], sorted[i]) == 0) {
                    char m[96];
                    snprintf(m, sizeof m, "the tensor name '%.40s' appears twice", sorted[i]);
                    fail(&p, m);
                    break;
                }
            free(sorted);
        }
    }
    if (p.st != MC_STATUS_OK) {
        mc_safetensors_free(f);
        return p.st;
    }
    *out = f;
    return MC_STATUS_OK;
}

int mc_safetensors_count(const mc_safetensors *f) { return f ? f->n : 0; }

const mc_tensor_entry *mc_safetensors_at(const mc_safetensors *f, int i) {
    return f && i >= 0 && i < f->n ? &f->entries[i] : NULL;
}

const mc_tensor_entry *mc_safetensors_find(const mc_safetensors *f, const char *name) {
    for (int i = 0; f && name && i < f->n; i++)
        if (strcmp(f->entries[i].name, name) == 0) return &f->entries[i];
    return NULL;
}

const char *mc_safetensors_meta(const mc_safetensors *f, const char *key) {
    for (int i = 0; f && key && i < f->n_meta; i++)
        if (strcmp(f->meta[2 * i], key) == 0) return f->meta[2 * i + 1];
    return NULL;
}
