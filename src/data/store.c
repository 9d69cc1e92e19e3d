/* Reading a feature store back (for training, clustering and evaluation), label encoding,
 * standardisation and train/validation splits. */
#include "data_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *join(const char *dir, const char *name) { return mc_sprintf("%s/%s", dir, name); }

/* A store array as float32, out of core when it can be (issue 11): a float32 .npy in host byte order
 * is memory-mapped read-only (its pages are page cache, not the process's anonymous memory, so a
 * pass over a store larger than memory never grows RSS beyond the pages in use); any other dtype is
 * read and converted as before. The values are the same either way, so no result depends on which. */
static mc_status map_f32(const char *path, mc_array *out) {
    mc_status st = mc_npy_map(path, out);
    if (st != MC_STATUS_OK || out->dtype == MC_DTYPE_F32) return st;
    mc_array_free(out);
    return mc_npy_read_f32(path, out);
}

void mc_store_close(mc_store *s) {
    if (!s) return;
    free(s->dir);
    free(s->index_path);
    mc_table_free(&s->index);
    mc_array_free(&s->vectors);
    memset(s, 0, sizeof *s);
}

mc_status mc_store_open_index(const char *path, mc_store *out) {
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (!path || stat(path, &sb) != 0)
        return mc_error_set(MC_STATUS_IO, "%s: not a feature store folder or index (run musiclust extract first)",
                            path ? path : "(null)");
    if (S_ISDIR(sb.st_mode)) {
        out->dir = mc_strdup(path);
        out->index_path = join(path, "index.tsv");
    } else { /* an index file: its folder is the store */
        const char *slash = strrchr(path, '/');
        out->dir = slash ? mc_sprintf("%.*s", (int)(slash - path), path) : mc_strdup(".");
        out->index_path = mc_strdup(path);
    }
    if (!out->dir || !out->index_path) {
        mc_store_close(out);
        return MC_STATUS_NO_MEMORY;
    }
    mc_status st = mc_table_read(out->index_path, '\t', &out->index);
    if (st != MC_STATUS_OK) {
        mc_store_close(out);
        return st;
    }
    int pad = mc_table_column(&out->index, "padded");
    if (mc_table_column(&out->index, "segment") != 0 || mc_table_column(&out->index, "track") < 0 || pad < 0) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected columns segment, track, path, start_s, padded, then labels",
                          out->index_path);
        mc_store_close(out);
        return st;
    }
    out->first_label = pad + 1;
    out->n = out->index.nrows;
    return MC_STATUS_OK;
}

const char *mc_store_features_name(mc_store_features f) {
    return f == MC_STORE_FEATURES_DESCRIPTORS        ? "descriptors"
           : f == MC_STORE_FEATURES_MFCC_DESCRIPTORS ? "mfcc+descriptors"
                                                     : "mfcc";
}

mc_status mc_store_features_parse(const char *name, mc_store_features *out) {
    for (int f = MC_STORE_FEATURES_MFCC; f <= MC_STORE_FEATURES_MFCC_DESCRIPTORS; f++)
        if (name && strcmp(name, mc_store_features_name((mc_store_features)f)) == 0) {
            *out = (mc_store_features)f;
            return MC_STATUS_OK;
        }
    return mc_error_set(MC_STATUS_INVALID_ARG, "unknown feature set '%s' (expected mfcc, descriptors or mfcc+descriptors)",
                        name ? name : "(null)");
}

/* One (n, ?) float32 array of the store (memory-mapped when it can be, map_f32), its row count
 * checked against index.tsv. */
static mc_status read_rows(const mc_store *s, const char *name, mc_array *a) {
    char *p = join(s->dir, name);
    if (!p) return mc_error_nomem("%s: out of memory composing the path of %s", s->dir, name);
    mc_status st = map_f32(p, a);
    free(p);
    if (st != MC_STATUS_OK) return st;
    if (a->ndim != 2) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s/%s: %d dimension%s, expected (rows, columns)", s->dir, name, a->ndim,
                          a->ndim == 1 ? "" : "s");
        mc_array_free(a);
    } else if (a->shape[0] != s->n) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s/%s: %lld rows but index.tsv has %lld", s->dir, name,
                          (long long)a->shape[0], (long long)s->n);
        mc_array_free(a);
    }
    return st;
}

/* [A ; B] per row: (n, da + db) float32 into *out (A and B freed). */
static mc_status concat_rows(mc_array *A, mc_array *B, mc_array *out) {
    const int64_t n = A->shape[0], da = A->shape[1], db = B->shape[1];
    memset(out, 0, sizeof *out);
    out->dtype = MC_DTYPE_F32;
    out->ndim = 2;
    out->shape[0] = n;
    out->shape[1] = da + db;
    out->data = mc_alloc((size_t)(n * (da + db)), sizeof(float));
    mc_status st = out->data ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) {
        const float *a = A->data, *b = B->data; // (n, da), (n, db)
        float *o = out->data;                    // (n, da + db)
        for (int64_t i = 0; i < n; i++) {
            memcpy(o + i * (da + db), a + i * da, (size_t)da * sizeof *o);
            memcpy(o + i * (da + db) + da, b + i * db, (size_t)db * sizeof *o);
        }
    }
    mc_array_free(A);
    mc_array_free(B);
    return st;
}

mc_status mc_store_open_features(const char *dir, mc_store_features features, mc_store *out) {
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (features < MC_STORE_FEATURES_MFCC || features > MC_STORE_FEATURES_MFCC_DESCRIPTORS)
        return mc_error_set(MC_STATUS_INVALID_ARG, "feature set %d: expected mfcc, descriptors or mfcc+descriptors",
                            (int)features);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return mc_error_set(MC_STATUS_IO, "%s: not a feature store folder (run musiclust extract first)", dir);
    mc_status st = mc_store_open_index(dir, out);
    if (st != MC_STATUS_OK) return st;
    mc_array mfcc = {0}, desc = {0};
    if (features != MC_STORE_FEATURES_MFCC) {
        char *p = join(dir, "descriptors.npy");
        const bool have = p && stat(p, &sb) == 0;
        free(p);
        if (!have) {
            st = mc_error_set(MC_STATUS_IO, "%s: no descriptors.npy for --features %s (extract without --no-descriptors; "
                              "a store imported from a table has none)", dir, mc_store_features_name(features));
            mc_store_close(out);
            return st;
        }
        st = read_rows(out, "descriptors.npy", &desc);
        if (st != MC_STATUS_OK) { mc_store_close(out); return st; }
    }
    if (features != MC_STORE_FEATURES_DESCRIPTORS) {
        /* the MFCC statistics, or the table of an imported store (which has no descriptors) */
        static const char *const names[2] = {"mfcc_stats.npy", "features.npy"};
        for (int k = 0; k < 2 && !mfcc.data; k++) {
            char *p = join(dir, names[k]);
            if (!p) { st = MC_STATUS_NO_MEMORY; break; }
            const bool have = stat(p, &sb) == 0;
            free(p);
            if (!have) continue;
            st = read_rows(out, names[k], &mfcc);
            if (st != MC_STATUS_OK) break;
            snprintf(out->vectors_file, sizeof out->vectors_file, "%s", names[k]);
        }
        if (st == MC_STATUS_OK && !mfcc.data) st = mc_error_set(MC_STATUS_IO, "%s: no mfcc_stats.npy or features.npy", dir);
        if (st != MC_STATUS_OK) {
            if (st == MC_STATUS_NO_MEMORY) mc_error_set(st, "out of memory");
            mc_array_free(&desc);
            mc_store_close(out);
            return st;
        }
    }
    if (features == MC_STORE_FEATURES_MFCC) {
        out->vectors = mfcc;
    } else if (features == MC_STORE_FEATURES_DESCRIPTORS) {
        out->vectors = desc;
        snprintf(out->vectors_file, sizeof out->vectors_file, "descriptors.npy");
    } else {
        st = concat_rows(&mfcc, &desc, &out->vectors);
        if (st != MC_STATUS_OK) { mc_store_close(out); return mc_error_set(st, "out of memory"); }
        snprintf(out->vectors_file, sizeof out->vectors_file, "mfcc_stats.npy+descriptors.npy");
    }
    const int64_t d = out->vectors.shape[1];
    for (int64_t i = 0; i < mc_array_count(&out->vectors); i++) {
        if (!isfinite(((float *)out->vectors.data)[i])) {
            mc_status e = mc_error_set(MC_STATUS_NUMERIC, "%s/%s: row %lld column %lld has a NaN or Inf value", dir,
                                       out->vectors_file, (long long)(i / d), (long long)(i % d));
            mc_store_close(out);
            return e;
        }
    }
    return MC_STATUS_OK;
}

mc_status mc_store_open(const char *dir, mc_store *out) {
    return mc_store_open_features(dir, MC_STORE_FEATURES_MFCC, out);
}

mc_status mc_store_load_logmel(const mc_store *s, mc_array *out) {
    memset(out, 0, sizeof *out);
    char *p = join(s->dir, "logmel.npy");
    if (!p) return MC_STATUS_NO_MEMORY;
    struct stat sb;
    if (stat(p, &sb) != 0) {
        mc_status e = mc_error_set(MC_STATUS_IO, "%s: the store has no logmel.npy (extract with "
                                   "--segment > 0, or --segment 0 --frames N)", s->dir);
        free(p);
        return e;
    }
    mc_status st = map_f32(p, out);
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
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: no label column '%s' (available: %s)",
                            s->index_path, column, cols[0] ? cols : "none");
    }
    /* Distinct non-empty values, sorted, so codes do not depend on row order. */
    const char **vals = mc_calloc((size_t)s->n, sizeof *vals); /* (n) */
    if (!vals) return MC_STATUS_NO_MEMORY;
    int64_t m = 0;
    for (int64_t r = 0; r < s->n; r++) {
        const char *v = mc_table_get(&s->index, r, col);
        if (v[0]) vals[m++] = v;
    }
    if (m > 1) qsort(vals, (size_t)m, sizeof *vals, cmp_str);
    int k = 0;
    for (int64_t i = 0; i < m; i++)
        if (i == 0 || strcmp(vals[i], vals[k - 1]) != 0) vals[k++] = vals[i];
    char **names = mc_calloc((size_t)k, sizeof *names);
    if (!names) { free(vals); return MC_STATUS_NO_MEMORY; }
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
            return mc_error_set(MC_STATUS_FORMAT, "%s: row %lld has track '%s', not an index",
                                s->index_path, (long long)r, v);
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

/* ---------------------------------------------------------------- the lyrics join */

typedef struct key_row {
    const char *key;
    int64_t row;
} key_row;

static int cmp_key_row(const void *a, const void *b) {
    const key_row *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Row of `key` among keys (n, sorted), or -1. */
static int64_t find_key(const key_row *keys, int64_t n, const char *key) {
    int64_t lo = 0, hi = n - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(keys[mid].key, key);
        if (c == 0) return keys[mid].row;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

mc_status mc_store_lyrics(const mc_store *s, float **rows, uint8_t **has_out, int *dim) {
    *rows = NULL;
    *has_out = NULL;
    *dim = 0;
    char *p_npy = join(s->dir, "lyrics.npy"), *p_tt = join(s->dir, "lyrics_tracks.tsv");
    mc_array a = {0};           /* lyrics.npy (T, L) */
    mc_table tt = {0};          /* lyrics_tracks.tsv (T rows) */
    key_row *keys = NULL;       /* (T) track names of lyrics_tracks.tsv, sorted */
    float *lyr = NULL;          /* (n, L) each row's track vector */
    uint8_t *has = NULL;        /* (n) */
    struct stat sb;
    mc_status st = p_npy && p_tt ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK && stat(p_npy, &sb) != 0)
        st = mc_error_set(MC_STATUS_IO, "%s not found: run musiclust lyrics first (it writes the lyrics vectors of "
                          "the store's tracks)", p_npy);
    if (st == MC_STATUS_OK) st = mc_npy_read_f32(p_npy, &a);
    if (st == MC_STATUS_OK && (a.ndim != 2 || a.shape[0] < 1 || a.shape[1] < 1 || a.shape[1] > INT32_MAX))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected (tracks, dim) lyrics vectors, got %d dims", p_npy, a.ndim);
    const int64_t T = st == MC_STATUS_OK ? a.shape[0] : 0, L = st == MC_STATUS_OK ? a.shape[1] : 0;
    const float *v = a.data;
    for (int64_t i = 0; st == MC_STATUS_OK && i < T * L; i++)
        if (!isfinite(v[i]))
            st = mc_error_set(MC_STATUS_FORMAT, "%s: track row %lld has a NaN or Inf value", p_npy, (long long)(i / L));
    if (st == MC_STATUS_OK) st = mc_table_read(p_tt, '\t', &tt);
    const int tc = mc_table_column(&tt, "track"), hc = mc_table_column(&tt, "has_lyrics");
    const int ic = mc_table_column(&s->index, "track");
    if (st == MC_STATUS_OK && (tc < 0 || hc < 0 || tt.nrows != T))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected columns track and has_lyrics and %lld rows (one per row "
                          "of lyrics.npy), got %lld rows%s: re-run musiclust lyrics", p_tt, (long long)T,
                          (long long)tt.nrows, tc < 0 || hc < 0 ? " without those columns" : "");
    if (st == MC_STATUS_OK && ic < 0) st = mc_error_set(MC_STATUS_FORMAT, "%s: no track column", s->index_path);
    if (st == MC_STATUS_OK) {
        keys = mc_calloc((size_t)T, sizeof *keys);
        lyr = mc_alloc((size_t)s->n * (size_t)L, sizeof(float));
        has = mc_calloc((size_t)s->n, 1);
        if (!keys || !lyr || !has) st = MC_STATUS_NO_MEMORY;
    }
    for (int64_t t = 0; st == MC_STATUS_OK && t < T; t++) {
        const char *h = mc_table_get(&tt, t, hc);
        if (strcmp(h, "0") != 0 && strcmp(h, "1") != 0)
            st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: has_lyrics is '%s', not 0 or 1", p_tt, (long long)t + 2, h);
        keys[t] = (key_row){mc_table_get(&tt, t, tc), t};
    }
    if (st == MC_STATUS_OK) qsort(keys, (size_t)T, sizeof *keys, cmp_key_row);
    for (int64_t t = 1; st == MC_STATUS_OK && t < T; t++)
        if (strcmp(keys[t - 1].key, keys[t].key) == 0)
            st = mc_error_set(MC_STATUS_FORMAT, "%s: track '%s' appears twice", p_tt, keys[t].key);
    for (int64_t r = 0; st == MC_STATUS_OK && r < s->n; r++) {
        const char *name = mc_table_get(&s->index, r, ic);
        int64_t t = find_key(keys, T, name);
        if (t < 0) {
            st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: track '%s' is not in %s: re-run musiclust lyrics on "
                              "this store", s->index_path, (long long)r + 2, name, p_tt);
            break;
        }
        has[r] = mc_table_get(&tt, t, hc)[0] == '1';
        memcpy(lyr + r * L, v + t * L, (size_t)L * sizeof(float));
    }
    free(keys);
    mc_table_free(&tt);
    mc_array_free(&a);
    free(p_npy);
    free(p_tt);
    if (st != MC_STATUS_OK) {
        mc_free(lyr);
        free(has);
        return st;
    }
    *rows = lyr;
    *has_out = has;
    *dim = (int)L;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- row lookup */

/* The file name of path without folders and the last extension, into out (cap). */
static void file_stem(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) len = (size_t)(dot - base);
    if (len >= cap) len = cap - 1;
    memcpy(out, base, len);
    out[len] = '\0';
}

mc_status mc_store_find_row(const mc_store *s, const char *key, int64_t *row) {
    if (!s || !key || !row) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_store_find_row: NULL argument");
    const mc_table *index = &s->index;
    const int c_path = mc_table_column(index, "path"), c_track = mc_table_column(index, "track");
    *row = -1;
    /* 1. a file stem of index.tsv's paths: the track's first row */
    char stem[1024];
    for (int64_t r = 0; c_path >= 0 && r < index->nrows && *row < 0; r++) {
        file_stem(mc_table_get(index, r, c_path), stem, sizeof stem);
        if (strcmp(stem, key) == 0) *row = r;
    }
    /* 2. a track_id of tracks.tsv, through its track number */
    char *path = *row < 0 && c_track >= 0 ? join(s->dir, "tracks.tsv") : NULL;
    mc_table tracks;
    if (path && mc_table_read(path, '\t', &tracks) == MC_STATUS_OK) {
        const int t_id = mc_table_column(&tracks, "track_id"), t_num = mc_table_column(&tracks, "track");
        for (int64_t r = 0; t_id >= 0 && t_num >= 0 && r < tracks.nrows && *row < 0; r++) {
            if (strcmp(mc_table_get(&tracks, r, t_id), key) != 0) continue;
            const char *num = mc_table_get(&tracks, r, t_num);
            for (int64_t q = 0; q < index->nrows; q++)
                if (strcmp(mc_table_get(index, q, c_track), num) == 0) {
                    *row = q;
                    break;
                }
        }
        mc_table_free(&tracks);
    }
    free(path);
    mc_error_clear(); /* tracks.tsv is optional */
    /* 3. a row number */
    if (*row < 0 && key[0] >= '0' && key[0] <= '9') {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(key, &end, 10);
        if (!*end && !errno && v >= 0 && v < index->nrows) *row = v;
    }
    if (*row < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: no track '%s' (give a file stem of index.tsv's paths, "
                            "a track_id of tracks.tsv or a row number 0..%lld)", s->dir, key,
                            (long long)index->nrows - 1);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- extract.json */

/* The whole file as a NUL-terminated string (free()), or NULL with the message set. */
static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        mc_error_set(MC_STATUS_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = mc_calloc(cap, 1);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len + 1 < cap) break;
        if (cap >= ((size_t)1 << 24)) {
            free(buf);
            buf = NULL;
            mc_error_set(MC_STATUS_FORMAT, "%s: too large for a parameter file", path);
            break;
        }
        char *nb = mc_realloc(buf, cap * 2, 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
        mc_error_set(MC_STATUS_IO, "%s: read error", path);
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

mc_status mc_store_extract_params(const char *dir, mc_dsp_config *dsp, int *logmel_frames) {
    if (!dir || !dsp) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_store_extract_params: NULL argument");
    char *path = join(dir, "extract.json");
    char *text = path ? read_text(path) : NULL;
    if (!text) {
        free(path);
        return MC_STATUS_IO;
    }
    const char *err = NULL;
    mc_json_value *root = mc_json_parse(text, &err);
    free(text);
    mc_status st = MC_STATUS_OK;
    if (!root || root->type != MC_JSON_OBJECT)
        st = mc_error_set(MC_STATUS_FORMAT, "%s: not a JSON object (%s)", path, err && *err ? err : "?");
    static const char *const int_keys[4] = {"sr", "n_fft", "hop_length", "n_mels"};
    int *int_dst[4] = {&dsp->sr, &dsp->n_fft, &dsp->hop, &dsp->n_mels};
    for (int i = 0; i < 4 && st == MC_STATUS_OK; i++) {
        int64_t v = 0;
        if (!mc_json_int_value(mc_json_member(root, int_keys[i]), &v) || v < 1 || v > (1 << 24))
            st = mc_error_set(MC_STATUS_FORMAT, "%s: '%s' is missing or not a positive integer", path, int_keys[i]);
        else
            *int_dst[i] = (int)v;
    }
    static const char *const num_keys[2] = {"fmin", "fmax"};
    double *num_dst[2] = {&dsp->fmin, &dsp->fmax};
    for (int i = 0; i < 2 && st == MC_STATUS_OK; i++) {
        const mc_json_value *v = mc_json_member(root, num_keys[i]);
        if (!v || v->type != MC_JSON_NUMBER || !isfinite(v->num) || v->num < 0)
            st = mc_error_set(MC_STATUS_FORMAT, "%s: '%s' is missing or not a number >= 0", path, num_keys[i]);
        else
            *num_dst[i] = v->num;
    }
    int64_t frames = 0;
    if (st == MC_STATUS_OK && logmel_frames) {
        if (!mc_json_int_value(mc_json_member(root, "logmel_frames"), &frames) || frames < 0 || frames > INT32_MAX)
            st = mc_error_set(MC_STATUS_FORMAT, "%s: 'logmel_frames' is missing or not an integer >= 0", path);
        else
            *logmel_frames = (int)frames;
    }
    mc_json_value_free(root);
    free(path);
    return st;
}
