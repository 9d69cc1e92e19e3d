/* Shared by the libFuzzer harnesses of tests/fuzz: a private scratch folder per fuzzing process (the
 * readers take paths, so each input is written to a file first) and a quiet library log.
 *
 * Every harness keeps to the library's contract: whatever the bytes, a reader returns a status (OK or
 * an error with a message) and frees what it allocated. ASan + UBSan turn any out-of-bounds access,
 * leak or undefined behaviour into a crash; libFuzzer's -rss_limit_mb / -malloc_limit_mb turn an
 * allocation sized by the input instead of by its contents into one. */
#ifndef MC_FUZZ_COMMON_H
#define MC_FUZZ_COMMON_H

#include <musiclust/core.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The scratch folder: $TMPDIR/mcfuzz.XXXXXX, removed at exit. */
static char fz_dir_[512];

static void fz_cleanup_(void) {
    if (!fz_dir_[0]) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_dir_);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: cannot remove %s\n", fz_dir_);
}

static void fz_quiet_log_(mc_log_level level, const char *msg, void *user) {
    (void)level;
    (void)msg;
    (void)user;
}

static inline const char *fz_dir(void) {
    if (!fz_dir_[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fz_dir_, sizeof fz_dir_, "%s/mcfuzz.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fz_dir_)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fz_cleanup_);
        mc_log_set_handler(fz_quiet_log_, NULL);
    }
    return fz_dir_;
}

/* dir/name (a static buffer of 4 rotating slots). */
static inline const char *fz_path(const char *name) {
    static char buf[4][1024];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fz_dir(), name);
    return buf[k];
}

/* Write bytes to dir/name (replacing it); returns the path. Aborts if the scratch disk fails. */
static inline const char *fz_write(const char *name, const void *data, size_t size) {
    const char *p = fz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(p);
        abort();
    }
    return p;
}

/* Fold a string's bytes so the compiler cannot drop a read of them (ASan checks every byte read). */
static inline unsigned fz_touch(const void *p, size_t n) {
    const volatile unsigned char *b = p;
    unsigned h = 0;
    for (size_t i = 0; i < n; i++) h = h * 31u + b[i];
    return h;
}

#endif
