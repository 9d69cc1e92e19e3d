/* Status names, per-thread error messages, checked allocation, version. */
#include <musiclust/core.h>

#include <errno.h>
#include <stdarg.h>
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

/* n * size into *bytes; false, with the message set and mc_failed_bytes = SIZE_MAX, when the product
 * overflows. */
static bool alloc_bytes(size_t n, size_t size, size_t *bytes) {
    if (size != 0 && n > SIZE_MAX / size) {
        mc_failed_bytes = SIZE_MAX;
        mc_error_set(MC_STATUS_NO_MEMORY, "allocation of %zu x %zu bytes overflows", n, size);
        return false;
    }
    *bytes = n * size;
    return true;
}

/* The outcome of an allocation of bytes: p, or NULL with the out-of-memory message and its size. */
static void *alloc_done(void *p, size_t bytes) {
    mc_failed_bytes = p ? 0 : bytes;
    if (!p) mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *mc_alloc(size_t n, size_t size) {
    size_t bytes;
    if (!alloc_bytes(n, size, &bytes)) return NULL;
    /* aligned_alloc needs a multiple of the alignment; 64 bytes suits AVX-512 loads and cache lines. */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded == 0) rounded = 64;
    void *p = alloc_done(aligned_alloc(64, rounded), bytes);
    if (p) memset(p, 0, rounded);
    return p;
}

void mc_free(void *p) { free(p); }

void *mc_calloc(size_t n, size_t size) {
    size_t bytes;
    return alloc_bytes(n, size, &bytes) ? alloc_done(calloc(bytes ? bytes : 1, 1), bytes) : NULL;
}

void *mc_realloc(void *p, size_t n, size_t size) {
    size_t bytes;
    return alloc_bytes(n, size, &bytes) ? alloc_done(realloc(p, bytes ? bytes : 1), bytes) : NULL;
}

char *mc_sprintf(const char *fmt, ...) {
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? mc_calloc((size_t)n + 1, 1) : NULL;
    if (s) vsnprintf(s, (size_t)n + 1, fmt, aq);
    else if (n < 0) mc_error_set(MC_STATUS_INVALID_ARG, "bad format string '%s'", fmt);
    va_end(aq);
    return s;
}

char *mc_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) {
        mc_failed_bytes = n;
        mc_error_nomem("out of memory copying a %zu-byte string", n);
        return NULL;
    }
    memcpy(d, s, n);
    return d;
}

const char *mc_version(void) { return MC_VERSION; }
