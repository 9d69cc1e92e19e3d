/* Minimal test helpers shared by tests/test_*.c. Every check prints what it compared and, for numeric
 * comparisons, the largest difference seen, so a failure says by how much. A test's main() ends with
 * `return mc_test_summary("name");` which prints "N passed, N failed" and returns 1 on any failure. */
#ifndef MC_TEST_H
#define MC_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mc_test_passed = 0;
static int mc_test_failed = 0;

#define MC_CHECK(cond, ...)                                                                    \
    do {                                                                                       \
        if (cond) {                                                                            \
            mc_test_passed++;                                                                  \
        } else {                                                                               \
            mc_test_failed++;                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                    \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
        }                                                                                      \
    } while (0)

/* Check that a library call returned MC_STATUS_OK, printing its message otherwise. */
#define MC_CHECK_OK(expr)                                                                      \
    do {                                                                                       \
        mc_status mc_st_ = (expr);                                                             \
        MC_CHECK(mc_st_ == MC_STATUS_OK, "status %d: %s", (int)mc_st_, mc_error_message());    \
    } while (0)

/* Largest |a - b| over n floats. */
static inline double mc_test_max_abs_diff(const float *a, const float *b, long n, long *where) {
    double m = 0;
    long w = 0;
    for (long i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d != d) { d = INFINITY; }
        if (d > m) { m = d; w = i; }
    }
    if (where) *where = w;
    return m;
}

/* Compare two float arrays: max |a-b| <= tol. Prints the max difference either way. */
#define MC_CHECK_CLOSE(what, a, b, n, tol)                                                     \
    do {                                                                                       \
        long mc_w_ = 0;                                                                        \
        double mc_d_ = mc_test_max_abs_diff((a), (b), (long)(n), &mc_w_);                      \
        printf("  %-40s max |diff| = %.3g (at %ld, tol %.3g)\n", (what), mc_d_, mc_w_,        \
               (double)(tol));                                                                 \
        MC_CHECK(mc_d_ <= (tol), "%s: max |diff| %.6g at index %ld > %.3g", (what), mc_d_,     \
                 mc_w_, (double)(tol));                                                        \
    } while (0)

/* Directory of ../shared/data, or exit 77 (CTest: skipped, shown as such) when it is missing. */
static inline const char *mc_test_shared_data(void) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/data", MC_SHARED_DIR);
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "SKIP: %s not found; this test needs ../shared/data\n", path);
        exit(77);
    }
    return path;
}

/* A fresh scratch directory for this test under the build tree. */
static inline const char *mc_test_tmpdir(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "tmp_%s", name);
    char cmd[2 * sizeof path + 64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot create %s\n", path);
        exit(1);
    }
    return path;
}

static inline int mc_test_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, mc_test_passed, mc_test_failed);
    return mc_test_failed ? 1 : 0;
}

#endif
