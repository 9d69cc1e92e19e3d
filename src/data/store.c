/* Reading a feature store back (for training, clustering and evaluation), label encoding,
 * standardisation and train/validation splits. */
#include "data_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void mc_store_close(mc_store *s) {
    if (!s) return;
    free(s->dir);
    mc_table_free(&s->index);
    mc_array_free(&s->vectors);
    memset(s, 0, sizeof *s);
}

mc_status mc_store_open(const char *dir, mc_store *out) {
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return mc_error_set(MC_STATUS_IO, "%s: not a feature store folder (run musiclust extract first)", dir);
    out->dir = mc_strdup(dir);
    if (!out->dir) return MC_STATUS_NO_MEMORY;
    char *p = join(dir, "index.tsv");
    if (!p) { mc_store_close(out); return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory"); }
    mc_status st = mc_table_read(p, '\t', &out->index);
    free(p);
    if (st != MC_STATUS_OK) { mc_store_close(out); return st; }
    int pad = mc_table_column(&out->index, "padded");
    if (mc_table_column(&out->index, "segment") != 0 || mc_table_column(&out->index, "track") < 0 || pad < 0) {
        mc_store_close(out);
        return mc_error_set(MC_STATUS_FORMAT, "%s/index.tsv: expected columns segment, track, path, "
                            "start_s, padded, then labels", dir);
    }
    out->first_label = pad + 1;
    out->n = out->index.nrows;
    static const char *const names[2] = {"mfcc_stats.npy", "features.npy"};
    for (int k = 0; k < 2; k++) {
        p = join(dir, names[k]);
        if (!p) { mc_store_close(out); return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory"); }
        if (stat(p, &sb) == 0) {
            st = mc_npy_read_f32(p, &out->vectors);
            free(p);
            if (st != MC_STATUS_OK) { mc_store_close(out); return st; }
            snprintf(out->vectors_file, sizeof out->vectors_file, "%s", names[k]);
            break;
        }
        free(p);
    }
    if (!out->vectors.data) {
        mc_store_close(out);
        return mc_error_set(MC_STATUS_IO, "%s: no mfcc_stats.npy or features.npy", dir);
    }
    if (out->vectors.ndim != 2 || out->vectors.shape[0] != out->n) {
        mc_status e = mc_error_set(MC_STATUS_FORMAT, "%s/%s: %lld rows but index.tsv has %lld", dir,
                                   out->vectors_file, (long long)out->vectors.shape[0], (long long)out->n);
        mc_store_close(out);
        return e;
    }
    for (int64_t i = 0; i < mc_array_count(&out->vectors); i++) {
        if (!isfinite(((float *)out->vectors.data)[i])) {
            int64_t row = i / out->vectors.shape[1];
            mc_status e = mc_error_set(MC_STATUS_NUMERIC, "%s/%s: row %lld has a NaN or Inf value", dir,
                                       out->vectors_file, (long long)row);
            mc_store_close(out);
            return e;
        }
    }
    return MC_STATUS_OK;
}

mc_status mc_store_load_logmel(const mc_store *s, mc_array *out) {
    memset(out, 0, sizeof *out);
    char *p = join(s->dir, "logmel.npy");
    if (!p) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    struct stat sb;
    if (stat(p, &sb) != 0) {
        mc_status e = mc_error_set(MC_STATUS_IO, "%s: the store has no logmel.npy (extract with "
                                   "--segment > 0, or --segment 0 --frames N)", s->dir);
        free(p);
        return e;
    }
    mc_status st = mc_npy_read_f32(p, out);
    if (st == MC_STATUS_OK && (out->ndim != 3 || out->shape[0] != s->n)) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected (%lld, n_mels, frames), found %d dims / %lld rows",
                          p, (long long)s->n, out->ndim, (long long)out->shape[0]);
        mc_array_free(out);
    }
    free(p);
    return st;
}

const char *const *mc_store_label_columns(const mc_store *s, int *n) {
    if (n) *n = s->index.ncols - s->first_label;
    return (const char *const *)(s->index.header + s->first_label);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mc_store_free_classes(char **classes, int n_classes) {
    if (!classes) return;
    for (int i = 0; i < n_classes; i++) free(classes[i]);
    free(classes);
}

mc_status mc_store_label_codes(const mc_store *s, const char *column, int32_t *codes, char ***classes,
                               int *n_classes) {
    *classes = NULL;
    *n_classes = 0;
    int col = mc_table_column(&s->index, column);
    if (col < s->first_label) {
        char cols[512] = "";
        for (int c = s->first_label; c < s->index.ncols && strlen(cols) < 400; c++) {
            strncat(cols, c > s->first_label ? ", " : "", sizeof cols - strlen(cols) - 1);
            strncat(cols, s->index.header[c], sizeof cols - strlen(cols) - 1);
        }
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s/index.tsv: no label column '%s' (available: %s)",
                            s->dir, column, cols[0] ? cols : "none");
    }
    /* Distinct non-empty values, sorted, so codes do not depend on row order. */
    const char **vals = malloc((size_t)(s->n ? s->n : 1) * sizeof *vals); /* (n) */
    if (!vals) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    int64_t m = 0;
    for (int64_t r = 0; r < s->n; r++) {
        const char *v = mc_table_get(&s->index, r, col);
        if (v[0]) vals[m++] = v;
    }
    if (m > 1) qsort(vals, (size_t)m, sizeof *vals, cmp_str);
    int k = 0;
    for (int64_t i = 0; i < m; i++)
        if (i == 0 || strcmp(vals[i], vals[k - 1]) != 0) vals[k++] = vals[i];
    char **names = calloc((size_t)(k ? k : 1), sizeof *names);
    if (!names) { free(vals); return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory"); }
    for (int i = 0; i < k; i++) {
        names[i] = mc_strdup(vals[i]);
        if (!names[i]) { mc_store_free_classes(names, i); free(vals); return MC_STATUS_NO_MEMORY; }
    }
    free(vals);
    for (int64_t r = 0; r < s->n; r++) {
        const char *v = mc_table_get(&s->index, r, col);
        codes[r] = -1;
        if (!v[0]) continue;
        int lo = 0, hi = k - 1;
        while (lo <= hi) {
            int mid = (lo + hi) / 2, c = strcmp(names[mid], v);
            if (c == 0) { codes[r] = mid; break; }
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
    }
    *classes = names;
    *n_classes = k;
    return MC_STATUS_OK;
}

mc_status mc_store_tracks(const mc_store *s, int64_t *tracks) {
    int col = mc_table_column(&s->index, "track");
    for (int64_t r = 0; r < s->n; r++) {
        char *end;
        const char *v = mc_table_get(&s->index, r, col);
        errno = 0;
        long long t = strtoll(v, &end, 10);
        if (!v[0] || *end || errno || t < 0)
            return mc_error_set(MC_STATUS_FORMAT, "%s/index.tsv: row %lld has track '%s', not an index",
                                s->dir, (long long)r, v);
        tracks[r] = t;
    }
    return MC_STATUS_OK;
}

void mc_data_zscore_fit(const float *X, int64_t n, int d, float *mean, float *std) {
    for (int j = 0; j < d; j++) {
        /* Two passes in double: the mean, then the spread around it (no cancellation). */
        double m = 0, v = 0;
        for (int64_t i = 0; i < n; i++) m += X[i * d + j];
        m = n > 0 ? m / (double)n : 0;
        for (int64_t i = 0; i < n; i++) {
            double e = X[i * d + j] - m;
            v += e * e;
        }
        v = n > 0 ? v / (double)n : 0;
        mean[j] = (float)m;
        std[j] = v > 0 ? (float)sqrt(v) : 1.0f;
    }
}

void mc_data_zscore_apply(float *X, int64_t n, int d, const float *mean, const float *std) {
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) X[i * d + j] = (X[i * d + j] - mean[j]) / std[j];
}

void mc_data_split(int64_t n, double val_fraction, mc_rng *rng, int64_t *idx, int64_t *n_train) {
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    mc_rng_shuffle(rng, idx, (size_t)n);
    if (!(val_fraction > 0)) val_fraction = 0;
    if (val_fraction > 1) val_fraction = 1;
    int64_t nv = (int64_t)llround(val_fraction * (double)n);
    *n_train = n - nv;
}
