/* Status names, per-thread error messages, checked allocation, version. */
#include <musiclust/core.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef MC_VERSION
#define MC_VERSION "0.0.0"
#endif

/* One message per thread: extraction runs files in parallel and each worker reports its own error. */
static _Thread_local char mc_error_buf[1024];
/* Bytes of the last allocation that failed on this thread (for mc_error_nomem). */
static _Thread_local size_t mc_failed_bytes;

const char *mc_status_name(mc_status s) {
    switch (s) {
    case MC_STATUS_OK: return "ok";
    case MC_STATUS_INVALID_ARG: return "invalid argument";
    case MC_STATUS_NO_MEMORY: return "out of memory";
    case MC_STATUS_IO: return "i/o error";
    case MC_STATUS_FORMAT: return "bad format";
    case MC_STATUS_UNSUPPORTED: return "unsupported";
    case MC_STATUS_NUMERIC: return "numeric error";
    case MC_STATUS_EMPTY: return "empty";
    }
    return "unknown status";
}

mc_status mc_error_set(mc_status s, const char *fmt, ...) {
    /* Format into a local buffer first: callers may pass the current message as an argument
     * ("%s: ...", mc_error_message()) to prefix it, and vsnprintf must not read what it writes. */
    char tmp[sizeof mc_error_buf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(mc_error_buf, tmp, sizeof tmp);
    return s;
}

const char *mc_error_message(void) { return mc_error_buf; }

mc_status mc_error_nomem(const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (mc_failed_bytes == SIZE_MAX) return mc_error_set(MC_STATUS_NO_MEMORY, "%s (a size past 2^64 bytes)", msg);
    if (mc_failed_bytes > 0) return mc_error_set(MC_STATUS_NO_MEMORY, "%s (%zu bytes)", msg, mc_failed_bytes);
    return mc_error_set(MC_STATUS_NO_MEMORY, "%s", msg);
}

void mc_error_clear(void) { mc_error_buf[0] = '\0'; }

/* The buffer an argument spelling names: X of a `sizeof *X`, `sizeof(*X)` or `sizeof X[0]` anywhere in
 * expr (`(size_t)n * sizeof *m->idf` names m->idf); *len 0 when there is none. */
static const char *sizeof_name(const char *expr, int *len) {
    *len = 0;
    for (const char *q = expr ? strstr(expr, "sizeof") : NULL; q; q = strstr(q + 6, "sizeof")) {
        if ((q > expr && (isalnum((unsigned char)q[-1]) || q[-1] == '_')) || isalnum((unsigned char)q[6]) ||
            q[6] == '_')
            continue;
        const char *r = q + 6;
        while (*r == ' ' || *r == '(') r++;
        bool deref = false;
        while (*r == '*' || *r == ' ') deref = deref || *r == '*', r++;
        const char *e = r;
        for (;;) { // an lvalue spelling: names, '.', '->', and [...] subscripts
            if (isalnum((unsigned char)*e) || *e == '_' || *e == '.') e++;
            else if (e[0] == '-' && e[1] == '>') e += 2;
            else if (*e == '[') {
                const char *c = strchr(e, ']');
                if (!c) break;
                e = c + 1;
            } else break;
        }
        if (!deref && e - r > 3 && memcmp(e - 3, "[0]", 3) == 0) deref = true, e -= 3;
        if (deref && e > r && !isdigit((unsigned char)*r)) {
            *len = (int)(e - r);
            return r;
        }
    }
    return NULL;
}

/* What a failed allocation was for, from the spelling of its arguments (see core.h): the buffer a
 * sizeof in them names, else "N_EXPR x SIZE_EXPR". */
static void site_what(char *out, size_t cap, const char *wn, const char *ws) {
    int len;
    const char *name = sizeof_name(ws, &len);
    if (!name) name = sizeof_name(wn, &len);
    if (name) snprintf(out, cap, "%.*s", len, name);
    else if (wn && ws) snprintf(out, cap, "%s x %s", wn, ws);
    else snprintf(out, cap, "a buffer");
}

/* " in FUNC() at FILE:LINE" for a message (FILE from its last "src/" or "tests/" on, so that the
 * message does not carry the build machine's paths); "" when neither is known. */
static void site_text(char *out, size_t cap, const char *func, const char *file) {
    const char *f = file;
    if (f) {
        for (const char *q = file; *q; q++)
            if ((q == file || q[-1] == '/') && (strncmp(q, "src/", 4) == 0 || strncmp(q, "tests/", 6) == 0)) f = q;
    }
    if (func && f) snprintf(out, cap, " in %s() at %s", func, f);
    else if (func) snprintf(out, cap, " in %s()", func);
    else if (f) snprintf(out, cap, " at %s", f);
    else out[0] = '\0';
}

/* n * size into *bytes; false, with the message set and mc_failed_bytes = SIZE_MAX, when the product
 * overflows. */
static bool alloc_bytes(size_t n, size_t size, size_t *bytes, const char *wn, const char *ws, const char *func,
                        const char *file) {
    if (size != 0 && n > SIZE_MAX / size) {
        char what[256], where[256];
        site_what(what, sizeof what, wn, ws);
        site_text(where, sizeof where, func, file);
        mc_failed_bytes = SIZE_MAX;
        mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating %s%s: %zu x %zu bytes overflows size_t", what,
                     where, n, size);
        return false;
    }
    *bytes = n * size;
    return true;
}

/* The outcome of an allocation of n x size = bytes: p, or NULL with the out-of-memory message naming
 * the call site and the size. */
static void *alloc_done(void *p, size_t n, size_t size, size_t bytes, const char *wn, const char *ws,
                        const char *func, const char *file) {
    mc_failed_bytes = p ? 0 : bytes;
    if (!p) {
        char what[256], where[256];
        site_what(what, sizeof what, wn, ws);
        site_text(where, sizeof where, func, file);
        mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating %s%s: %zu x %zu = %zu bytes", what, where, n,
                     size, bytes);
    }
    return p;
}

void *mc_alloc_at(size_t n, size_t size, const char *wn, const char *ws, const char *func, const char *file) {
    size_t bytes = 0;
    if (!alloc_bytes(n, size, &bytes, wn, ws, func, file)) return NULL;
    /* aligned_alloc needs a multiple of the alignment; 64 bytes suits AVX-512 loads and cache lines. */
    size_t rounded = bytes == 0 ? 64 : (bytes + 63) & ~(size_t)63;
    // bytes within 63 of SIZE_MAX would round past it to a tiny block: fail instead
    void *p = alloc_done(rounded >= bytes ? aligned_alloc(64, rounded) : NULL, n, size, bytes, wn, ws, func, file);
    if (p) memset(p, 0, rounded);
    return p;
}

void *mc_calloc_at(size_t n, size_t size, const char *wn, const char *ws, const char *func, const char *file) {
    size_t bytes = 0;
    return alloc_bytes(n, size, &bytes, wn, ws, func, file)
               ? alloc_done(calloc(bytes ? bytes : 1, 1), n, size, bytes, wn, ws, func, file)
               : NULL;
}

void *mc_realloc_at(void *p, size_t n, size_t size, const char *wn, const char *ws, const char *func,
                    const char *file) {
    size_t bytes = 0;
    return alloc_bytes(n, size, &bytes, wn, ws, func, file)
               ? alloc_done(realloc(p, bytes ? bytes : 1), n, size, bytes, wn, ws, func, file)
               : NULL;
}

/* The exported functions under the plain names (parenthesised so that the macros of core.h do not
 * expand here): the same allocators without a call site. */
void *(mc_alloc)(size_t n, size_t size) { return mc_alloc_at(n, size, NULL, NULL, NULL, NULL); }
void *(mc_calloc)(size_t n, size_t size) { return mc_calloc_at(n, size, NULL, NULL, NULL, NULL); }
void *(mc_realloc)(void *p, size_t n, size_t size) { return mc_realloc_at(p, n, size, NULL, NULL, NULL, NULL); }

void mc_free(void *p) { free(p); }

static char *vsprintf_at(const char *func, const char *file, const char *fmt, va_list ap) {
    char where[256];
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0) {
        site_text(where, sizeof where, func, file);
        mc_error_set(MC_STATUS_INVALID_ARG, "bad format string '%.200s'%s", fmt, where);
        return NULL;
    }
    char *s = calloc((size_t)n + 1, 1);
    if (!s) {
        char shown[64]; // the format, cut and with control characters as '?', so the message stays one line
        size_t i = 0;
        for (; fmt[i] && i + 1 < sizeof shown; i++) shown[i] = (unsigned char)fmt[i] < 0x20 ? '?' : fmt[i];
        shown[i] = '\0';
        site_text(where, sizeof where, func, file);
        mc_failed_bytes = (size_t)n + 1;
        mc_error_set(MC_STATUS_NO_MEMORY, "out of memory formatting \"%s%s\"%s: %zu bytes", shown,
                     fmt[i] ? "..." : "", where, (size_t)n + 1);
        return NULL;
    }
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *mc_sprintf_at(const char *func, const char *file, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vsprintf_at(func, file, fmt, ap);
    va_end(ap);
    return s;
}

char *(mc_sprintf)(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vsprintf_at(NULL, NULL, fmt, ap);
    va_end(ap);
    return s;
}

char *mc_strdup_at(const char *s, const char *what, const char *func, const char *file) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) {
        char where[256];
        site_text(where, sizeof where, func, file);
        mc_failed_bytes = n;
        mc_error_set(MC_STATUS_NO_MEMORY, "out of memory copying %s%s: %zu bytes", what ? what : "a string", where,
                     n);
        return NULL;
    }
    memcpy(d, s, n);
    return d;
}

char *(mc_strdup)(const char *s) { return mc_strdup_at(s, NULL, NULL, NULL); }

const char *mc_version(void) { return MC_VERSION; }
