/* libFuzzer harness: the .npy reader (src/core/npy.c), on a regular file and through a pipe (the
 * stream path that cannot see the file size, as `musiclust cluster /dev/stdin`). */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "fuzz_common.h"

#include <fcntl.h>

static void check_array(const mc_array *a) {
    int64_t n = mc_array_count(a);
    size_t bytes = (size_t)n * mc_dtype_size(a->dtype);
    if (bytes) fz_touch(a->data, bytes); /* every element is inside the buffer */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mc_array a;
    const char *file = fz_write("in.npy", data, size);
    if (mc_npy_read(file, &a) == MC_STATUS_OK) check_array(&a);
    mc_array_free(&a);
    /* the same file memory-mapped: the same checks, and every element inside the mapping */
    if (mc_npy_map(file, &a) == MC_STATUS_OK) check_array(&a);
    mc_array_free(&a);

    /* The same bytes from a pipe opened by name (/dev/fd/N): filled, its write end closed, then read
     * to EOF. A pipe (unlike a FIFO) opens without waiting for a writer, so nothing can block. */
    int p[2];
    if (pipe(p) != 0) abort();
    int cap = fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    if (cap < 0) cap = fcntl(p[1], F_GETPIPE_SZ);
    size_t n = size < (size_t)cap ? size : (size_t)cap; /* what fits without a reader */
    for (size_t off = 0; off < n;) {
        ssize_t k = write(p[1], data + off, n - off);
        if (k <= 0) abort();
        off += (size_t)k;
    }
    close(p[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    if (mc_npy_read_f32(path, &a) == MC_STATUS_OK) check_array(&a);
    mc_array_free(&a);
    close(p[0]);
    return 0;
}
