/* Minimal test helpers shared by tests/test_*.c. Every check prints what it compared and, for numeric
 * comparisons, the largest difference seen, so a failure says by how much. A test's main() ends with
 * `return mc_test_summary("name");` which prints "N passed, N failed" and returns 1 on any failure. */
#ifndef MC_TEST_H
#define MC_TEST_H

#include <musiclust/core.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Leave the test with CTest's "skipped" code 77, saying why -- but never when a check has already
 * failed: then the failures are reported and the exit code is 1, so a real failure can never show
 * up as a skip. Every skip path of the tests goes through here. */
static inline void mc_test_skip(const char *why) {
    if (mc_test_failed) {
        fprintf(stderr, "not skipping (%s): %d check(s) already failed\n", why, mc_test_failed);
        printf("%d passed, %d failed\n", mc_test_passed, mc_test_failed);
        exit(1);
    }
    fprintf(stderr, "SKIP: %s\n", why);
    exit(77);
}

/* Directory of ../shared/data, or a skip (mc_test_skip: exit 1 instead when a check already failed)
 * when it is missing. */
static inline const char *mc_test_shared_data(void) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/data", MC_SHARED_DIR);
    struct stat st;
    if (stat(path, &st) != 0) {
        char why[4200];
        snprintf(why, sizeof why, "%s not found; this test needs ../shared/data", path);
        mc_test_skip(why);
    }
    return path;
}

/* calloc that ends the test (exit 1) when memory runs out. */
static inline void *mc_test_xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu x %zu bytes)\n", n, size);
        exit(1);
    }
    return p;
}

/* Whole file into a malloc'd buffer (NUL-terminated; *len without the NUL), NULL if unreadable. */
static inline char *mc_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* 1 when both files exist and have the same bytes. */
static inline int mc_test_same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *x = mc_test_read_file(a, &na), *y = mc_test_read_file(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Run the command-line program with args (a shell fragment): its stdout goes to <tag>_stdout.txt and
 * its stderr to <tag>_stderr.txt in the working directory (one tag per test file, as tests run in
 * parallel), and stderr is copied into err (truncated; NULL or cap 0: not copied). Returns the exit
 * status, -1 when it did not exit. */
static inline int mc_test_cli(const char *tag, const char *args, char *err, size_t cap) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>%s_stderr.txt >%s_stdout.txt", MC_CLI_PATH, args, tag, tag);
    int rc = system(cmd);
    if (err && cap) {
        char path[256];
        snprintf(path, sizeof path, "%s_stderr.txt", tag);
        err[0] = '\0';
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(err, 1, cap - 1, f);
            err[n] = '\0';
            fclose(f);
        }
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A JSON file parsed with core's reader (NULL if unreadable or not JSON); free with mc_json_value_free. */
static inline mc_json_value *mc_test_json_file(const char *path) {
    char *text = mc_test_read_file(path, NULL);
    mc_json_value *v = text ? mc_json_parse(text, NULL) : NULL;
    free(text);
    return v;
}

/* In a metrics.json (report.h): the row of this level (the first one, or the one of representation
 * rep when rep is not NULL), or NULL. */
static inline const mc_json_value *mc_test_metrics_row(const mc_json_value *doc, const char *level, const char *rep) {
    const mc_json_value *rows = mc_json_member(doc, "rows");
    for (int i = 0; rows && i < rows->n; i++) {
        const mc_json_value *l = mc_json_member(rows->items[i], "level"), *r = mc_json_member(rows->items[i], "representation");
        if (l && l->str && strcmp(l->str, level) == 0 && (!rep || (r && r->str && strcmp(r->str, rep) == 0)))
            return rows->items[i];
    }
    return NULL;
}

/* The first seed's full-precision value of a metric of a metrics.json row (NaN for null), and whether
 * it is marked leaked; 0 when the row has no such metric. */
static inline int mc_test_metric_value(const mc_json_value *row, const char *metric, double *value, int *leaked) {
    const mc_json_value *m = mc_json_member(mc_json_member(row, "metrics"), metric);
    const mc_json_value *v = mc_json_member(m, "seed_values"), *l = mc_json_member(m, "leaked");
    if (!v || v->type != MC_JSON_ARRAY || v->n < 1) return 0;
    *value = v->items[0]->type == MC_JSON_NUMBER ? v->items[0]->num : NAN;
    if (leaked) *leaked = l && l->type == MC_JSON_BOOL && l->num != 0;
    return 1;
}

/* A fresh scratch directory for this test under the build tree. */
/* A "Name:   N kB" line of /proc/self/status (VmRSS, VmHWM, RssAnon, RssFile...) in kB; -1 when absent. */
static inline long mc_test_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    const size_t len = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, len) && line[len] == ':' && sscanf(line + len + 1, "%ld", &kb) == 1) break;
    fclose(f);
    return kb;
}

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
