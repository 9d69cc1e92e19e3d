/* libFuzzer harness: the .npy reader (src/core/npy.c), on a regular file and through a FIFO (the
 * stream path that cannot see the file size, e.g. `musiclust cluster /dev/stdin`). */
#include "fuzz_common.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

static void check_array(const mc_array *a) {
    int64_t n = mc_array_count(a);
    size_t bytes = (size_t)n * mc_dtype_size(a->dtype);
    if (bytes) fz_touch(a->data, bytes); /* every element is inside the buffer */
}

static void read_both(const char *path) {
    mc_array a;
    if (mc_npy_read(path, &a) == MC_STATUS_OK) check_array(&a);
    mc_array_free(&a);
}

typedef struct feed {
    const char *path;
    const uint8_t *data;
    size_t size;
} feed;

/* The writer end of the FIFO: the whole input, then EOF. A reader that stops early makes write fail
 * with EPIPE (SIGPIPE is ignored), which ends the feed. */
static void *feeder(void *arg) {
    const feed *fd = arg;
    int w = open(fd->path, O_WRONLY);
    if (w < 0) return NULL;
    size_t off = 0;
    while (off < fd->size) {
        ssize_t k = write(w, fd->data + off, fd->size - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        off += (size_t)k;
    }
    close(w);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    read_both(fz_write("in.npy", data, size));

    static const char *fifo = NULL;
    if (!fifo) {
        signal(SIGPIPE, SIG_IGN);
        static char p[1024];
        snprintf(p, sizeof p, "%s", fz_path("in.fifo"));
        if (mkfifo(p, 0600) != 0) {
            perror(p);
            abort();
        }
        fifo = p;
    }
    feed fd = {fifo, data, size};
    pthread_t t;
    if (pthread_create(&t, NULL, feeder, &fd) != 0) abort();
    mc_array a;
    if (mc_npy_read_f32(fifo, &a) == MC_STATUS_OK) check_array(&a);
    mc_array_free(&a);
    /* The reader may have failed before opening the FIFO (it never does: open comes first); make sure
     * the feeder is not left blocked in open() by opening and closing the read end once more. */
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    if (r >= 0) close(r);
    pthread_join(t, NULL);
    return 0;
}
