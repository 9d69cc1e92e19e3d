/* ASSIGN.tsv (report.h): the one writer and the one reader of cluster assignments. */
#include "report_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

mc_status mc_report_assign_write(const char *path, const int32_t *clusters, int64_t n) {
    if (!path || (n > 0 && !clusters)) return mc_error_set(MC_STATUS_INVALID_ARG, "ASSIGN.tsv: NULL argument");
    /* "%lld\t%d\n" is at most 20 + 1 + 11 + 1 characters */
    if ((uint64_t)n > (SIZE_MAX - 16) / 34) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: %lld rows overflow", path, (long long)n);
    size_t cap = 16 + (size_t)n * 34, len = 0;
    char *buf = mc_calloc(cap, 1);
    if (!buf) return mc_error_nomem("%s: out of memory for the text of %lld rows", path, (long long)n);
    len += (size_t)snprintf(buf, cap, "row\tcluster\n");
    for (int64_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%lld\t%d\n", (long long)i, (int)clusters[i]);
    mc_status st = mc_file_write_atomic(path, buf, len);
    free(buf);
    return st;
}

/* A whole integer field (spaces around it allowed). */
static bool parse_i64(const char *s, long long *v) {
    char *end;
    errno = 0;
    while (*s == ' ') s++;
    if (!*s) return false;
    *v = strtoll(s, &end, 10);
    while (*end == ' ') end++;
    return *end == '\0' && errno == 0;
}

mc_status mc_report_assign_read(const char *path, int64_t n, const char *against, int32_t *clusters) {
    if (!path || n < 0 || (n > 0 && !clusters)) return mc_error_set(MC_STATUS_INVALID_ARG, "ASSIGN.tsv: NULL argument");
    mc_table t;
    mc_status st = mc_table_read(path, 0, &t);
    if (st != MC_STATUS_OK) return st;
    const int cc = mc_table_column(&t, "cluster"), rc = mc_table_column(&t, "row");
    char *seen = NULL; // (n) row numbers met
    if (cc < 0)
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no 'cluster' column in the header (expected 'row<TAB>cluster')", path);
    else if (t.nrows != n)
        st = mc_error_set(MC_STATUS_FORMAT, "%s has %lld rows but %s has %lld; they must match row for row", path,
                          (long long)t.nrows, against ? against : "the data", (long long)n);
    else if (!(seen = mc_calloc((size_t)n, 1)))
        st = mc_error_nomem("%s: out of memory for the seen flags of %lld rows", path, (long long)n);
    for (int64_t i = 0; st == MC_STATUS_OK && i < n; i++) {
        long long row = i, v;
        if (rc >= 0 && (!parse_i64(mc_table_get(&t, i, rc), &row) || row < 0 || row >= n || seen[row]))
            st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: row '%s' is not a new row number in [0, %lld)", path,
                              (long long)i + 2, mc_table_get(&t, i, rc), (long long)n);
        else if (!parse_i64(mc_table_get(&t, i, cc), &v) || v < -1 || v > INT32_MAX)
            st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: cluster '%s' is not an integer >= -1 (-1 = noise)", path,
                              (long long)i + 2, mc_table_get(&t, i, cc));
        else {
            seen[row] = 1;
            clusters[row] = (int32_t)v;
        }
    }
    free(seen);
    mc_table_free(&t);
    return st;
}
