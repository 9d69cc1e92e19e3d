/* .npy arrays: reading (format versions 1.0, 2.0, 3.0), whole-array writing and a streaming writer.
 *
 * Format: NEP 1 "A simple file format for NumPy arrays" and numpy/lib/format.py:
 *   magic "\x93NUMPY", major, minor (1 byte each),
 *   header length: 2 bytes little-endian (1.0) or 4 bytes little-endian (2.0, 3.0),
 *   header: a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with
 *           spaces and ended by '\n' so that the data starts at a multiple of 64 bytes,
 *   data:   the elements in C order (we reject fortran_order True).
 * 3.0 only differs from 2.0 in that the header may be UTF-8; the keys we read are ASCII. */
#define _DEFAULT_SOURCE /* madvise (mc_array_release) */
#include "core_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* numpy's ARRAY_ALIGN: the preamble length is a multiple of this so the data is aligned. */
#define NPY_ALIGN 64
/* Upper bound on the header length we accept: numpy itself refuses headers over 10000 bytes by
 * default (max_header_size); we allow more but stop garbage lengths from driving a huge allocation. */
#define NPY_MAX_HEADER (1u << 20)
/* Room for the dict text of any array we write: 8 dims of up to 20 digits plus the fixed keys. */
#define NPY_DICT_CAP 512
#define NPY_PREAMBLE_CAP (NPY_DICT_CAP + 2 * NPY_ALIGN)

/* ---------------------------------------------------------------- dtypes and arrays */

size_t mc_dtype_size(mc_dtype t) {
    switch (t) {
    case MC_DTYPE_F32: return 4;
    case MC_DTYPE_F64: return 8;
    case MC_DTYPE_F16: return 2;
    case MC_DTYPE_I32: return 4;
    case MC_DTYPE_I64: return 8;
    }
    return 0;
}

const char *mc_dtype_name(mc_dtype t) {
    switch (t) {
    case MC_DTYPE_F32: return "float32";
    case MC_DTYPE_F64: return "float64";
    case MC_DTYPE_F16: return "float16";
    case MC_DTYPE_I32: return "int32";
    case MC_DTYPE_I64: return "int64";
    }
    return "unknown";
}

/* The kind+size part of a numpy descr ("f4"), without the byte-order character. */
static const char *dtype_code(mc_dtype t) {
    switch (t) {
    case MC_DTYPE_F32: return "f4";
    case MC_DTYPE_F64: return "f8";
    case MC_DTYPE_F16: return "f2";
    case MC_DTYPE_I32: return "i4";
    case MC_DTYPE_I64: return "i8";
    }
    return NULL;
}

int64_t mc_array_count(const mc_array *a) {
    if (!a) return 0;
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++) n *= a->shape[i];
    return n;
}

void mc_array_free(mc_array *a) {
    if (a && a->map_base) {
        munmap(a->map_base, a->map_len);
        memset(a, 0, sizeof *a);
        return;
    }
    if (!a) return;
    mc_free(a->data);
    memset(a, 0, sizeof *a);
}

void mc_array_release(const mc_array *a, const void *p, size_t bytes) {
    if (!a || !a->map_base || !p || bytes == 0) return;
    const uintptr_t base = (uintptr_t)a->map_base, end = base + a->map_len;
    uintptr_t lo = (uintptr_t)p, hi = lo + bytes;
    if (lo < base) lo = base;
    if (hi > end) hi = end;
    if (lo >= hi) return;
    /* Outward to 2 MiB windows, not pages: a fault maps more than its page - the neighbouring pages already
     * in the page cache (fault-around), and with large page-cache folios (Linux 6.x) the whole folio, up to
     * the PMD size of 2 MiB. Releasing single pages left most of a sequential pass mapped (measured: 880 MB
     * of a 1.33 GB logmel.npy after a pass that released every row; 500 MB with 64 KiB windows, 15 MB with
     * 2 MiB). A page of a row still to be read just faults in again from the page cache. */
    const uintptr_t window = (uintptr_t)2 << 20;
    lo = lo - base < window ? base : lo & ~(window - 1); /* the mapping starts on a page boundary */
    hi = (hi + window - 1) & ~(window - 1);
    static uintptr_t page = 0;
    if (!page) {
        const long ps = sysconf(_SC_PAGESIZE);
        page = ps > 0 ? (uintptr_t)ps : 4096;
    }
    const uintptr_t map_end = (end + page - 1) & ~(page - 1);
    if (hi > map_end) hi = map_end;
    /* MADV_DONTNEED on a read-only shared file mapping only drops this process's page-table entries:
     * the file's pages stay in the page cache and read back unchanged */
    (void)madvise((void *)lo, (size_t)(hi - lo), MADV_DONTNEED);
}

static int host_is_little(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* ---------------------------------------------------------------- IEEE 754 binary16 */

float mc_f16_to_f32(uint16_t h) {
    /* binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits (IEEE 754-2008 section 3.6). */
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf, or NaN keeping its payload */
    } else if (exp != 0) {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    } else {
        /* zero or subnormal: man * 2^-24, exact in float (10 bits times a power of two). */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t mc_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xff) {
        /* inf stays inf; NaN stays a (quiet) NaN with the top payload bits. */
        if (man) return (uint16_t)(sign | 0x7e00u | (man >> 13));
        return (uint16_t)(sign | 0x7c00u);
    }
    int e = (int)exp - 127 + 15; /* rebiased exponent */
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u); /* too large: overflows to inf */
    if (e <= 0) {
        /* Result is subnormal (or zero): value / 2^-24 = m * 2^(exp - 126) with the implicit bit,
         * i.e. m >> (126 - exp), rounded to nearest, ties to even. */
        uint32_t m = man | 0x800000u;
        int shift = 126 - (int)exp;
        if (shift > 24) return sign; /* below half the smallest subnormal */
        uint32_t r = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1u))) r++; /* r == 0x400 is the smallest normal */
        return (uint16_t)(sign | r);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    /* Round to nearest even; a carry out of the mantissa bumps the exponent, up to inf. */
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

/* ---------------------------------------------------------------- header parsing */

typedef struct npy_header {
    int file_little;   /* byte order of the stored elements */
    char kind;         /* numpy kind character: 'f', 'i', 'u', 'b' */
    int itemsize;      /* bytes per stored element */
    mc_dtype dtype;    /* the dtype we return (stored, or widened for narrow integers) */
    int fortran_order; /* -1 until seen */
    int ndim;          /* -1 until seen */
    int64_t shape[MC_NPY_MAX_DIMS];
    int have_descr;
} npy_header;

typedef struct npy_parser {
    const char *p;
    const char *end;
    const char *path;
} npy_parser;

static void skip_ws(npy_parser *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static mc_status malformed(const npy_parser *ps, const char *what) {
    return mc_error_set(MC_STATUS_FORMAT, "%s: malformed .npy header: %s", ps->path, what);
}

/* A Python string literal in single or double quotes (no escapes occur in numpy's keys/descrs). */
static mc_status parse_str(npy_parser *ps, char *buf, size_t cap) {
    skip_ws(ps);
    if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"')) {
        return malformed(ps, "expected a quoted string");
    }
    char q = *ps->p++;
    size_t n = 0;
    while (ps->p < ps->end && *ps->p != q) {
        if (n + 1 >= cap) return malformed(ps, "string too long");
        buf[n++] = *ps->p++;
    }
    if (ps->p >= ps->end) return malformed(ps, "unterminated string");
    ps->p++;
    buf[n] = '\0';
    return MC_STATUS_OK;
}

static int accept(npy_parser *ps, char c) {
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 1;
    }
    return 0;
}

static int accept_word(npy_parser *ps, const char *w) {
    skip_ws(ps);
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, w, n) == 0) {
        ps->p += n;
        return 1;
    }
    return 0;
}

/* Map a descr string to (byte order, kind, itemsize, returned dtype). Narrow integer types that
 * mc_dtype lacks (bool, int8, uint8, int16, uint16, uint32) are widened losslessly on read, so label
 * arrays saved with a small dtype still load. */
static mc_status parse_descr(const npy_parser *ps, const char *d, npy_header *h) {
    size_t n = strlen(d);
    if (n < 2) return mc_error_set(MC_STATUS_FORMAT, "%s: malformed dtype descr '%s'", ps->path, d);
    char order = d[0];
    char kind = d[1];
    if (order != '<' && order != '>' && order != '|' && order != '=') {
        return mc_error_set(MC_STATUS_FORMAT, "%s: malformed dtype descr '%s'", ps->path, d);
    }
    char *endp = NULL;
    long size = strtol(d + 2, &endp, 10);
    if (kind == 'O') {
        return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: object arrays (dtype '%s') are not supported",
                            ps->path, d);
    }
    if (d[2] == '\0' || *endp != '\0' || size <= 0) {
        return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: dtype '%s' is not supported (use float32, "
                            "float64, float16, int32 or int64)", ps->path, d);
    }
    h->kind = kind;
    h->itemsize = (int)size;
    /* '|' (byte order not applicable) only makes sense for one-byte types; '=' is native. */
    if (order == '|' && size != 1) {
        return mc_error_set(MC_STATUS_FORMAT, "%s: dtype '%s' has no byte order but is %ld bytes wide",
                            ps->path, d, size);
    }
    h->file_little = order == '<' ? 1 : order == '>' ? 0 : host_is_little();
    int ok = 1;
    if (kind == 'f' && size == 4) h->dtype = MC_DTYPE_F32;
    else if (kind == 'f' && size == 8) h->dtype = MC_DTYPE_F64;
    else if (kind == 'f' && size == 2) h->dtype = MC_DTYPE_F16;
    else if (kind == 'i' && size == 4) h->dtype = MC_DTYPE_I32;
    else if (kind == 'i' && size == 8) h->dtype = MC_DTYPE_I64;
    else if ((kind == 'i' || kind == 'u' || kind == 'b') && size == 1) h->dtype = MC_DTYPE_I32;
    else if ((kind == 'i' || kind == 'u') && size == 2) h->dtype = MC_DTYPE_I32;
    else if (kind == 'u' && size == 4) h->dtype = MC_DTYPE_I64;
    else ok = 0;
    if (!ok) {
        return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: dtype '%s' is not supported (use float32, "
                            "float64, float16, int32 or int64)", ps->path, d);
    }
    h->have_descr = 1;
    return MC_STATUS_OK;
}

static mc_status parse_shape(npy_parser *ps, npy_header *h) {
    if (!accept(ps, '(')) return malformed(ps, "'shape' is not a tuple");
    int nd = 0;
    for (;;) {
        if (accept(ps, ')')) break;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
            return malformed(ps, "'shape' holds something other than non-negative integers");
        }
        int64_t v = 0;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            int digit = *ps->p++ - '0';
            if (v > (INT64_MAX - digit) / 10) return malformed(ps, "a dimension overflows int64");
            v = v * 10 + digit;
        }
        if (ps->p < ps->end && (*ps->p == 'L' || *ps->p == 'l')) ps->p++; /* Python 2 long */
        if (nd >= MC_NPY_MAX_DIMS) {
            return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: arrays with more than %d dimensions are "
                                "not supported", ps->path, MC_NPY_MAX_DIMS);
        }
        h->shape[nd++] = v;
        if (accept(ps, ',')) continue;
        if (accept(ps, ')')) break;
        return malformed(ps, "expected ',' or ')' in 'shape'");
    }
    h->ndim = nd;
    return MC_STATUS_OK;
}

static mc_status parse_header(const char *text, size_t len, const char *path, npy_header *h) {
    npy_parser ps = {text, text + len, path};
    memset(h, 0, sizeof *h);
    h->fortran_order = -1;
    h->ndim = -1;
    if (!accept(&ps, '{')) return malformed(&ps, "header is not a Python dict");
    for (;;) {
        if (accept(&ps, '}')) break;
        char key[64];
        mc_status st = parse_str(&ps, key, sizeof key);
        if (st) return st;
        if (!accept(&ps, ':')) return malformed(&ps, "expected ':' after a key");
        if (strcmp(key, "descr") == 0) {
            skip_ws(&ps);
            if (ps.p < ps.end && *ps.p == '[') {
                return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: structured (record) dtypes are not "
                                    "supported", path);
            }
            char d[64];
            st = parse_str(&ps, d, sizeof d);
            if (st) return st;
            st = parse_descr(&ps, d, h);
            if (st) return st;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (accept_word(&ps, "True")) h->fortran_order = 1;
            else if (accept_word(&ps, "False")) h->fortran_order = 0;
            else return malformed(&ps, "'fortran_order' is neither True nor False");
        } else if (strcmp(key, "shape") == 0) {
            st = parse_shape(&ps, h);
            if (st) return st;
        } else {
            return mc_error_set(MC_STATUS_FORMAT, "%s: malformed .npy header: unexpected key '%s'",
                                path, key);
        }
        if (accept(&ps, ',')) continue;
        if (accept(&ps, '}')) break;
        return malformed(&ps, "expected ',' or '}' after a value");
    }
    skip_ws(&ps);
    if (ps.p != ps.end && *ps.p != '\0') return malformed(&ps, "trailing characters after the dict");
    if (!h->have_descr) return malformed(&ps, "missing 'descr'");
    if (h->fortran_order < 0) return malformed(&ps, "missing 'fortran_order'");
    if (h->ndim < 0) return malformed(&ps, "missing 'shape'");
    if (h->fortran_order == 1) {
        /* A 0-d or 1-d array is the same in either order, and numpy itself writes fortran_order
         * False for them, but a True flag means the writer meant column-major: refuse it. */
        return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: Fortran-order arrays are not supported; save "
                            "with np.ascontiguousarray", path);
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- reading */

static uint32_t read_le(const unsigned char *b, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static void byteswap(unsigned char *data, size_t count, int size) {
    for (size_t i = 0; i < count; i++) {
        unsigned char *e = data + i * (size_t)size;
        for (int a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = e[a];
            e[a] = e[b];
            e[b] = t;
        }
    }
}

/* Widen narrow integers (already in native byte order) to the returned dtype. */
static void widen(const npy_header *h, const unsigned char *src, void *dst, size_t count) {
    if (h->dtype == MC_DTYPE_I32) {
        int32_t *o = dst; // (count)
        for (size_t i = 0; i < count; i++) {
            if (h->itemsize == 1) {
                if (h->kind == 'i') o[i] = (int8_t)src[i];
                else if (h->kind == 'b') o[i] = src[i] != 0;
                else o[i] = src[i];
            } else {
                uint16_t v;
                memcpy(&v, src + 2 * i, 2);
                o[i] = h->kind == 'i' ? (int32_t)(int16_t)v : (int32_t)v;
            }
        }
    } else { /* uint32 -> int64 */
        int64_t *o = dst; // (count)
        for (size_t i = 0; i < count; i++) {
            uint32_t v;
            memcpy(&v, src + 4 * i, 4);
            o[i] = v;
        }
    }
}

/* The data of a stream whose size is unknown (a pipe, /dev/stdin): read in chunks into a buffer that
 * grows (doubling, from NPY_STREAM_CHUNK up to nbytes) only as data arrives, so a header claiming far
 * more than the stream holds fails at its end with "data truncated" after allocating at most twice
 * what was actually read, instead of allocating (and zero-filling) the claimed size first. */
#define NPY_STREAM_CHUNK ((size_t)1 << 20)
static mc_status read_stream(FILE *f, const char *path, size_t nbytes, unsigned char **out) {
    *out = NULL;
    size_t cap = nbytes < NPY_STREAM_CHUNK ? nbytes : NPY_STREAM_CHUNK, len = 0;
    unsigned char *buf = mc_alloc(cap, 1); // (cap) bytes, the first len of them read
    if (!buf) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory for %zu bytes of data", path, cap);
    while (len < nbytes) {
        if (len == cap) {
            size_t nc = cap > nbytes / 2 ? nbytes : 2 * cap;
            unsigned char *nb = mc_alloc(nc, 1); // (nc) bytes
            if (!nb) {
                mc_free(buf);
                return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory for %zu bytes of data", path, nc);
            }
            memcpy(nb, buf, len);
            mc_free(buf);
            buf = nb;
            cap = nc;
        }
        size_t want = cap - len < NPY_STREAM_CHUNK ? cap - len : NPY_STREAM_CHUNK;
        size_t got = fread(buf + len, 1, want, f);
        len += got;
        if (got < want) break; /* end of the stream (or an error) */
    }
    if (len < nbytes) {
        mc_free(buf);
        return mc_error_set(MC_STATUS_FORMAT, "%s: data truncated: the shape needs %zu bytes but the "
                            "stream ended after %zu", path, nbytes, len);
    }
    *out = buf;
    return MC_STATUS_OK;
}

/* Open path and read its preamble and header: *h, the data's byte offset and count, and the file
 * size (-1 for a pipe or other non-regular file). On success *fp is the open stream positioned at the
 * data; on failure it is closed and the message is set. */
static mc_status open_npy(const char *path, FILE **fp, npy_header *h, int64_t *preamble_out, int64_t *count_out,
                          size_t *nbytes_out, int64_t *file_size_out) {
    *fp = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    mc_status st = MC_STATUS_OK;
    char *htext = NULL;

    /* The file size bounds the header length and reveals truncated data before we allocate. */
    struct stat sb;
    int64_t file_size = -1;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) file_size = (int64_t)sb.st_size;

    unsigned char pre[12];
    if (fread(pre, 1, 8, f) != 8) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: too short to be a .npy file", path);
        goto done;
    }
    if (memcmp(pre, npy_magic, 6) != 0) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: not a .npy file (bad magic bytes)", path);
        goto done;
    }
    int major = pre[6], minor = pre[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0) {
        st = mc_error_set(MC_STATUS_UNSUPPORTED, "%s: .npy format version %d.%d is not supported "
                          "(1.0, 2.0, 3.0 are)", path, major, minor);
        goto done;
    }
    int lenbytes = major == 1 ? 2 : 4; /* NEP 1: 2.0 widened the header length to 4 bytes */
    if (fread(pre + 8, 1, (size_t)lenbytes, f) != (size_t)lenbytes) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: truncated .npy preamble", path);
        goto done;
    }
    uint32_t hlen = read_le(pre + 8, lenbytes);
    int64_t preamble = 8 + lenbytes + (int64_t)hlen;
    if (hlen > NPY_MAX_HEADER || (file_size >= 0 && preamble > file_size)) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: .npy header length %u is larger than the file",
                          path, (unsigned)hlen);
        goto done;
    }
    htext = mc_calloc(1, (size_t)hlen + 1);
    if (!htext) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory reading the header (%u bytes)", path,
                          (unsigned)hlen);
        goto done;
    }
    if (fread(htext, 1, hlen, f) != hlen) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: truncated .npy header", path);
        goto done;
    }
    htext[hlen] = '\0';

    st = parse_header(htext, hlen, path, h);
    if (st) goto done;

    int64_t count = 1;
    for (int i = 0; i < h->ndim; i++) {
        if (h->shape[i] != 0 && count > INT64_MAX / h->shape[i]) {
            st = mc_error_set(MC_STATUS_FORMAT, "%s: shape overflows the element count", path);
            goto done;
        }
        count *= h->shape[i];
    }
    if ((uint64_t)count > SIZE_MAX / 8) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: array of %lld elements is too large", path,
                          (long long)count);
        goto done;
    }
    size_t nbytes = (size_t)count * (size_t)h->itemsize;
    if (file_size >= 0 && (uint64_t)(file_size - preamble) < (uint64_t)nbytes) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: data truncated: the shape needs %zu bytes but the "
                          "file has %lld after the header", path, nbytes,
                          (long long)(file_size - preamble));
        goto done;
    }
    *preamble_out = preamble;
    *count_out = count;
    *nbytes_out = nbytes;
    *file_size_out = file_size;
done:
    free(htext);
    if (st) fclose(f); /* read-only stream: nothing buffered to lose */
    else *fp = f;
    return st;
}

/* An .npy file opened and its header checked (open_npy), for mc_npy_read and mc_npy_map. */
typedef struct npy_opened {
    FILE *f;
    npy_header h;
    int64_t preamble, count, file_size; /* file_size -1: not a regular file (a pipe) */
    size_t nbytes;
} npy_opened;

/* The common start of the two readers: arguments checked (who names the function), *out zeroed. */
static mc_status npy_begin(const char *who, const char *path, mc_array *out, npy_opened *o) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL output", who);
    memset(out, 0, sizeof *out);
    if (!path) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL path", who);
    o->f = NULL;
    o->preamble = o->count = 0;
    o->file_size = -1;
    o->nbytes = 0;
    return open_npy(path, &o->f, &o->h, &o->preamble, &o->count, &o->nbytes, &o->file_size);
}

mc_status mc_npy_read(const char *path, mc_array *out) {
    npy_opened o;
    mc_status st = npy_begin("mc_npy_read", path, out, &o);
    if (st) return st;
    unsigned char *raw = NULL;
    void *data = NULL;
    if (o.file_size >= 0) {
        /* A regular file: its size was checked above, so the whole buffer is filled. */
        raw = mc_alloc(o.nbytes, 1); // (count * itemsize) bytes as stored
        if (!raw) {
            st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory for %zu bytes of data", path,
                              o.nbytes);
            goto done;
        }
        if (fread(raw, 1, o.nbytes, o.f) != o.nbytes) {
            st = mc_error_set(MC_STATUS_FORMAT, "%s: data truncated: expected %zu bytes after the "
                              "header", path, o.nbytes);
            goto done;
        }
    } else {
        st = read_stream(o.f, path, o.nbytes, &raw);
        if (st) goto done;
    }
    if (o.h.itemsize > 1 && o.h.file_little != host_is_little()) byteswap(raw, (size_t)o.count, o.h.itemsize);

    if ((size_t)o.h.itemsize == mc_dtype_size(o.h.dtype) && o.h.kind != 'u') {
        data = raw;
        raw = NULL;
    } else {
        data = mc_alloc((size_t)o.count, mc_dtype_size(o.h.dtype)); // (count) widened integers
        if (!data) {
            st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory widening the data (%zu bytes)", path,
                              (size_t)o.count * mc_dtype_size(o.h.dtype));
            goto done;
        }
        widen(&o.h, raw, data, (size_t)o.count);
    }
    out->dtype = o.h.dtype;
    out->ndim = o.h.ndim;
    memcpy(out->shape, o.h.shape, sizeof o.h.shape);
    out->data = data;
    data = NULL;

done:
    fclose(o.f); /* read-only stream: nothing buffered to lose, the return value carries no news */
    mc_free(raw);
    mc_free(data);
    return st;
}

mc_status mc_npy_map(const char *path, mc_array *out) {
    npy_opened o;
    mc_status st = npy_begin("mc_npy_map", path, out, &o);
    if (st) return st;
    /* Mapped only when the stored bytes are the array as returned (host byte order, no widening), the
     * file is a regular, non-empty one and the data starts at a multiple of the item size (the map is
     * page-aligned, so then every element is aligned; numpy pads the preamble to 64 bytes, but a file
     * need not: a misaligned float load is undefined behaviour - a fuzz_store finding); anything else is
     * read as mc_npy_read does (into aligned memory). */
    bool direct = o.file_size > 0 && o.nbytes > 0 && (size_t)o.h.itemsize == mc_dtype_size(o.h.dtype) &&
                  o.h.kind != 'u' && (o.h.itemsize == 1 || o.h.file_little == host_is_little()) &&
                  o.preamble % (size_t)o.h.itemsize == 0;
    if (!direct) {
        fclose(o.f);
        return mc_npy_read(path, out);
    }
    void *base = mmap(NULL, (size_t)o.file_size, PROT_READ, MAP_SHARED, fileno(o.f), 0);
    int err = errno;
    fclose(o.f); /* the mapping keeps the file */
    if (base == MAP_FAILED) {
        /* e.g. a file system without mmap: read it instead */
        (void)err;
        return mc_npy_read(path, out);
    }
    out->dtype = o.h.dtype;
    out->ndim = o.h.ndim;
    memcpy(out->shape, o.h.shape, sizeof o.h.shape);
    out->data = (unsigned char *)base + o.preamble;
    out->map_base = base;
    out->map_len = (size_t)o.file_size;
    return MC_STATUS_OK;
}

mc_status mc_npy_read_f32(const char *path, mc_array *out) {
    mc_status st = mc_npy_read(path, out);
    if (st || out->dtype == MC_DTYPE_F32) return st;
    size_t n = (size_t)mc_array_count(out);
    float *dst = mc_alloc(n, sizeof(float)); // same shape as out, float32
    if (!dst) {
        mc_array_free(out);
        return mc_error_nomem("%s: out of memory converting to float32", path);
    }
    switch (out->dtype) {
    case MC_DTYPE_F64: {
        const double *s = out->data;
        for (size_t i = 0; i < n; i++) dst[i] = (float)s[i];
        break;
    }
    case MC_DTYPE_F16: {
        const uint16_t *s = out->data;
        for (size_t i = 0; i < n; i++) dst[i] = mc_f16_to_f32(s[i]);
        break;
    }
    case MC_DTYPE_I32: {
        const int32_t *s = out->data;
        for (size_t i = 0; i < n; i++) dst[i] = (float)s[i];
        break;
    }
    case MC_DTYPE_I64: {
        const int64_t *s = out->data;
        for (size_t i = 0; i < n; i++) dst[i] = (float)s[i];
        break;
    }
    case MC_DTYPE_F32: break;
    }
    mc_free(out->data);
    out->data = dst;
    out->dtype = MC_DTYPE_F32;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- writing */

/* The header dict exactly as numpy.lib.format writes it, e.g.
 * {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }  (1-d: (5,), 0-d: ()). */
static size_t format_dict(char *buf, mc_dtype dt, int ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, NPY_DICT_CAP, "{'descr': '%c%s', 'fortran_order': False, "
                                "'shape': (", host_is_little() ? '<' : '>', dtype_code(dt));
    for (int i = 0; i < ndim; i++) {
        n += (size_t)snprintf(buf + n, NPY_DICT_CAP - n, "%lld%s", (long long)shape[i],
                              i + 1 < ndim ? ", " : ndim == 1 ? "," : "");
    }
    n += (size_t)snprintf(buf + n, NPY_DICT_CAP - n, "), }");
    return n;
}

/* Smallest preamble (magic .. '\n') holding a dict of dictlen bytes: version 1.0 unless the header
 * length would not fit its 2-byte field (NEP 1), total a multiple of NPY_ALIGN. */
static void preamble_layout(size_t dictlen, int *version, size_t *total) {
    size_t t = (10 + dictlen + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    if (t - 10 <= 65535) {
        *version = 1;
        *total = t;
        return;
    }
    *version = 2;
    *total = (12 + dictlen + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
}

/* Fill out[0..total): magic, version, header length, dict, space padding, '\n'. */
static void preamble_fill(unsigned char *out, int version, size_t total, const char *dict,
                          size_t dictlen) {
    size_t pre = version == 1 ? 10 : 12;
    uint32_t hlen = (uint32_t)(total - pre);
    memcpy(out, npy_magic, 6);
    out[6] = (unsigned char)version;
    out[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) out[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(out + pre, dict, dictlen);
    memset(out + pre + dictlen, ' ', total - pre - dictlen - 1);
    out[total - 1] = '\n';
}

static mc_status check_dtype(mc_dtype dt, const char *path) {
    if (!dtype_code(dt)) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: unknown dtype %d", path, (int)dt);
    return MC_STATUS_OK;
}

mc_status mc_npy_write(const char *path, mc_dtype dtype, int ndim, const int64_t *shape,
                       const void *data) {
    if (!path) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_npy_write: NULL path");
    mc_status st = check_dtype(dtype, path);
    if (st) return st;
    if (ndim < 0 || ndim > MC_NPY_MAX_DIMS || (ndim > 0 && !shape)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: invalid number of dimensions %d", path, ndim);
    }
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: negative dimension %lld", path,
                                (long long)shape[i]);
        }
        if (shape[i] != 0 && count > SIZE_MAX / 8 / (uint64_t)shape[i]) {
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: shape overflows", path);
        }
        count *= (size_t)shape[i];
    }
    if (count > 0 && !data) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL data", path);

    char dict[NPY_DICT_CAP];
    size_t dictlen = format_dict(dict, dtype, ndim, shape);
    int version;
    size_t total;
    preamble_layout(dictlen, &version, &total);
    unsigned char pre[NPY_PREAMBLE_CAP];
    preamble_fill(pre, version, total, dict, dictlen);

    return mc_file_write_atomic_parts(path, pre, total, data, count * mc_dtype_size(dtype));
}

/* ---------------------------------------------------------------- streaming writer */

struct mc_npy_writer {
    FILE *f;
    char *path;
    char *tmp;
    mc_dtype dtype;
    int row_ndim;
    int64_t shape[MC_NPY_MAX_DIMS]; /* shape[0] is the row count, shape[1..] the row shape */
    size_t row_bytes;
    int version;  /* header layout fixed at open ... */
    size_t total; /* ... so close rewrites exactly the same number of bytes */
    int failed;   /* an append failed: close must not publish the file */
};

static void writer_free(mc_npy_writer *w) {
    free(w->path);
    free(w->tmp);
    free(w);
}

mc_status mc_npy_writer_open(const char *path, mc_dtype dtype, int row_ndim,
                             const int64_t *row_shape, mc_npy_writer **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_npy_writer_open: NULL output");
    *out = NULL;
    if (!path) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_npy_writer_open: NULL path");
    mc_status st = check_dtype(dtype, path);
    if (st) return st;
    if (row_ndim < 0 || row_ndim > MC_NPY_MAX_DIMS - 1 || (row_ndim > 0 && !row_shape)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: invalid row dimensions %d", path, row_ndim);
    }
    mc_npy_writer *w = mc_calloc(1, sizeof *w);
    if (!w) return mc_error_nomem("%s: out of memory", path);
    w->dtype = dtype;
    w->row_ndim = row_ndim;
    w->row_bytes = mc_dtype_size(dtype);
    for (int i = 0; i < row_ndim; i++) {
        if (row_shape[i] < 0 ||
            (row_shape[i] != 0 && w->row_bytes > SIZE_MAX / 2 / (uint64_t)row_shape[i])) {
            free(w);
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: invalid row shape", path);
        }
        w->shape[1 + i] = row_shape[i];
        w->row_bytes *= (size_t)row_shape[i];
    }
    w->path = mc_strdup(path);
    w->tmp = mc_file_tmp_path(path);
    if (!w->path || !w->tmp) {
        writer_free(w);
        return MC_STATUS_NO_MEMORY;
    }
    /* Reserve the header for the widest row count (INT64_MAX, 19 digits); close pads the real
     * count's header with spaces to the same length, so the data never moves. */
    char dict[NPY_DICT_CAP];
    w->shape[0] = INT64_MAX;
    size_t dictlen = format_dict(dict, dtype, row_ndim + 1, w->shape);
    preamble_layout(dictlen, &w->version, &w->total);
    w->shape[0] = 0;
    dictlen = format_dict(dict, dtype, row_ndim + 1, w->shape);
    unsigned char pre[NPY_PREAMBLE_CAP];
    preamble_fill(pre, w->version, w->total, dict, dictlen);

    w->f = mc_file_fopen_tmp(w->tmp);
    if (!w->f) {
        st = mc_error_set(MC_STATUS_IO, "%s: cannot create %s: %s", path, w->tmp, strerror(errno));
        writer_free(w);
        return st;
    }
    st = mc_file_write_all(w->f, pre, w->total, path);
    if (st) {
        fclose(w->f);
        mc_file_remove_tmp(w->tmp);
        writer_free(w);
        return st;
    }
    *out = w;
    return MC_STATUS_OK;
}

mc_status mc_npy_writer_append(mc_npy_writer *w, const void *rows, int64_t nrows) {
    if (!w) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_npy_writer_append: NULL writer");
    if (w->failed) return mc_error_set(MC_STATUS_IO, "%s: an earlier write failed", w->path);
    if (nrows < 0 || (nrows > 0 && !rows)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: invalid rows to append", w->path);
    }
    if (nrows == 0) return MC_STATUS_OK;
    if (nrows > INT64_MAX - w->shape[0] ||
        (w->row_bytes && (uint64_t)nrows > SIZE_MAX / w->row_bytes)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: row count overflows", w->path);
    }
    mc_status st = mc_file_write_all(w->f, rows, (size_t)nrows * w->row_bytes, w->path);
    if (st) {
        w->failed = 1;
        return st;
    }
    w->shape[0] += nrows;
    return MC_STATUS_OK;
}

int64_t mc_npy_writer_rows(const mc_npy_writer *w) { return w ? w->shape[0] : 0; }

mc_status mc_npy_writer_close(mc_npy_writer *w) {
    if (!w) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_npy_writer_close: NULL writer");
    if (w->failed) {
        mc_status st = mc_error_set(MC_STATUS_IO, "%s: not written because an earlier write failed",
                                    w->path);
        mc_npy_writer_abort(w);
        return st;
    }
    char dict[NPY_DICT_CAP];
    size_t dictlen = format_dict(dict, w->dtype, w->row_ndim + 1, w->shape);
    unsigned char pre[NPY_PREAMBLE_CAP];
    preamble_fill(pre, w->version, w->total, dict, dictlen);
    mc_status st;
    if (fseek(w->f, 0, SEEK_SET) != 0) {
        st = mc_error_set(MC_STATUS_IO, "%s: cannot seek to rewrite the header: %s", w->path,
                          strerror(errno));
    } else {
        st = mc_file_write_all(w->f, pre, w->total, w->path);
    }
    if (st) {
        mc_npy_writer_abort(w);
        return st;
    }
    st = mc_file_commit(w->f, w->tmp, w->path);
    writer_free(w);
    return st;
}

void mc_npy_writer_abort(mc_npy_writer *w) {
    if (!w) return;
    if (w->f) fclose(w->f);
    mc_file_remove_tmp(w->tmp);
    writer_free(w);
}
