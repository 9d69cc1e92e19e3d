/* `musiclust map` (pipeline.h): t-SNE or UMAP of any array, with the options `musiclust run` uses for
 * its maps (mc_pipeline_map_options is the one rule for both), and the scatter coloured by a label. */
#include "pipeline_internal.h"

#include <musiclust/embed.h>
#include <musiclust/plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void mc_map_config_default(mc_map_config *c) {
    memset(c, 0, sizeof *c);
    c->min_dist = -1;
    c->sample = MC_MAP_SAMPLE;
}

int64_t mc_pipeline_map_rows_mapped(const mc_map_config *c, int64_t n) {
    return c->sample > 0 && n > c->sample ? c->sample : n;
}

static int cmp_i64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

enum { PLACE_CHUNK = 4096 }; /* rows placed per call: bounds the copies of the rows outside the sample */

mc_status mc_pipeline_map_array(const mc_map_config *c, mc_map_method method, const float *X, int64_t n, int d,
                                mc_progress *progress, float *Y) {
    const int64_t S = mc_pipeline_map_rows_mapped(c, n);
    if (S < 3) return mc_error_set(MC_STATUS_INVALID_ARG, "map: %lld rows to map (at least 3)", (long long)S);
    mc_tsne_opts to;
    mc_umap_opts uo;
    mc_pipeline_map_options(c, S, &to, &uo);
    to.progress = uo.progress = progress;
    if (S == n) /* every row mapped */
        return method == MC_MAP_TSNE ? mc_embed_tsne(X, n, d, &to, Y, NULL) : mc_embed_umap(X, n, d, &uo, Y, NULL);
    /* the bound: the map of a seeded sample, the other rows placed on it */
    int64_t *idx = mc_alloc((size_t)n, sizeof *idx);                  // (n) a permutation; first S = the sample
    float *Xs = mc_alloc((size_t)S * (size_t)d, sizeof *Xs);          // (S, d) the sample's rows
    float *Ys = mc_alloc((size_t)S * 2, sizeof *Ys);                  // (S, 2) their map
    float *Xr = mc_alloc((size_t)PLACE_CHUNK * (size_t)d, sizeof *Xr); // (PLACE_CHUNK, d) rows to place
    float *Yr = mc_alloc((size_t)PLACE_CHUNK * 2, sizeof *Yr);        // (PLACE_CHUNK, 2) their positions
    mc_status st = idx && Xs && Ys && Xr && Yr ? MC_STATUS_OK : mc_error_nomem("map: the sample of %lld rows", (long long)S);
    if (st == MC_STATUS_OK) {
        for (int64_t i = 0; i < n; i++) idx[i] = i;
        mc_rng rng;
        mc_rng_seed(&rng, c->seed, 0x6d6170); /* "map": a stream of its own */
        mc_rng_shuffle(&rng, idx, (size_t)n);
        qsort(idx, (size_t)S, sizeof *idx, cmp_i64);     /* the sample in row order */
        qsort(idx + S, (size_t)(n - S), sizeof *idx, cmp_i64); /* the others in row order */
        for (int64_t i = 0; i < S; i++) memcpy(Xs + (size_t)i * d, X + (size_t)idx[i] * d, (size_t)d * sizeof *Xs);
        st = method == MC_MAP_TSNE ? mc_embed_tsne(Xs, S, d, &to, Ys, NULL) : mc_embed_umap(Xs, S, d, &uo, Ys, NULL);
    }
    for (int64_t i = 0; st == MC_STATUS_OK && i < S; i++) {
        Y[idx[i] * 2] = Ys[i * 2];
        Y[idx[i] * 2 + 1] = Ys[i * 2 + 1];
    }
    for (int64_t r0 = S; st == MC_STATUS_OK && r0 < n; r0 += PLACE_CHUNK) {
        const int64_t m = n - r0 < PLACE_CHUNK ? n - r0 : PLACE_CHUNK;
        for (int64_t i = 0; i < m; i++) memcpy(Xr + (size_t)i * d, X + (size_t)idx[r0 + i] * d, (size_t)d * sizeof *Xr);
        st = mc_embed_place(Xr, m, Xs, S, d, Ys, uo.n_neighbors, c->threads, Yr);
        for (int64_t i = 0; st == MC_STATUS_OK && i < m; i++) {
            Y[idx[r0 + i] * 2] = Yr[i * 2];
            Y[idx[r0 + i] * 2 + 1] = Yr[i * 2 + 1];
        }
    }
    mc_free(idx);
    mc_free(Xs);
    mc_free(Ys);
    mc_free(Xr);
    mc_free(Yr);
    return st;
}

void mc_pipeline_map_options(const mc_map_config *c, int64_t n, struct mc_tsne_opts *to, struct mc_umap_opts *uo) {
    mc_tsne_opts_default(to);
    mc_umap_opts_default(uo);
    to->seed = uo->seed = c->seed;
    to->threads = uo->threads = c->threads;
    if (c->perplexity > 0) to->perplexity = c->perplexity;
    if (c->neighbors > 0) uo->n_neighbors = c->neighbors;
    if (c->min_dist >= 0) uo->min_dist = c->min_dist;
    /* sklearn needs perplexity < n; 3 perplexity + 1 neighbours must exist */
    if (to->perplexity >= (double)(n - 1) / 3.0) to->perplexity = fmax(1.0, (double)(n - 1) / 3.0);
    if (uo->n_neighbors > n - 1) uo->n_neighbors = (int)(n - 1);
    if (c->fast) {
        to->n_iter = 250;
        uo->n_epochs = 60;
    }
    if (c->iterations > 0) {
        to->n_iter = c->iterations < 250 ? 250 : c->iterations;
        uo->n_epochs = c->iterations;
    }
}

/* The class of every row from a label column: a table (a store's folder means its index.tsv). */
static mc_status label_codes(const char *labels, const char *column, int64_t n, int32_t *codes, char ***names,
                             int *n_names) {
    struct stat sb;
    char *path = stat(labels, &sb) == 0 && S_ISDIR(sb.st_mode) ? mc_sprintf("%s/index.tsv", labels) : mc_strdup(labels);
    if (!path) return MC_STATUS_NO_MEMORY;
    mc_table t;
    mc_status st = mc_table_read(path, 0, &t);
    const char **vals = NULL;
    if (st == MC_STATUS_OK) {
        const int col = mc_table_column(&t, column);
        if (col < 0) st = mc_error_set(MC_STATUS_FORMAT, "%s: no column '%s'", path, column);
        else if (t.nrows != n)
            st = mc_error_set(MC_STATUS_FORMAT, "%s: %lld rows, the array %lld: they must match row for row", path,
                              (long long)t.nrows, (long long)n);
        else if (!(vals = mc_calloc((size_t)n, sizeof *vals))) st = MC_STATUS_NO_MEMORY;
        for (int64_t i = 0; st == MC_STATUS_OK && i < n; i++) vals[i] = mc_table_get(&t, i, col);
        if (st == MC_STATUS_OK) st = mc_metrics_encode_labels(vals, n, codes, names, n_names);
        mc_table_free(&t);
    }
    free(vals);
    free(path);
    return st;
}

static mc_status draw(const mc_map_config *c, const float *Y, int64_t n, const char *x_path) {
    int32_t *codes = NULL;
    char **names = NULL;
    int n_names = 0;
    mc_status st = MC_STATUS_OK;
    if (c->labels && c->column) {
        codes = mc_calloc((size_t)n, sizeof *codes);
        st = codes ? label_codes(c->labels, c->column, n, codes, &names, &n_names) : MC_STATUS_NO_MEMORY;
    }
    const char *m = c->method == MC_MAP_TSNE ? "t-SNE" : "UMAP";
    char title[600], xl[32], yl[32];
    const char *base = strrchr(x_path, '/');
    snprintf(title, sizeof title, "%s of %s", m, base ? base + 1 : x_path);
    snprintf(xl, sizeof xl, "%s 1", m);
    snprintf(yl, sizeof yl, "%s 2", m);
    if (st == MC_STATUS_OK) {
        mc_plot p;
        mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
        p.title = title;
        p.xlabel = xl;
        p.ylabel = yl;
        p.legend_title = codes ? c->column : NULL;
        p.scatter.xy = Y;
        p.scatter.n = n;
        p.scatter.category = codes;
        p.scatter.category_names = (const char *const *)names;
        p.scatter.n_category_names = n_names;
        p.scatter.noise_name = "unlabelled";
        st = mc_plot_render(&p, c->plot, NULL);
    }
    mc_metrics_names_free(names, n_names);
    free(codes);
    return st;
}

mc_status mc_pipeline_map(const mc_map_config *c, const char *x_path, const char *y_path, int64_t *rows,
                          int64_t *mapped) {
    if (!c || !x_path || !y_path) return mc_error_set(MC_STATUS_INVALID_ARG, "map: NULL argument");
    if (c->method != MC_MAP_TSNE && c->method != MC_MAP_UMAP) return mc_error_set(MC_STATUS_INVALID_ARG, "map: unknown method");
    if ((c->column != NULL) != (c->labels != NULL))
        return mc_error_set(MC_STATUS_INVALID_ARG, "map: --labels and --column go together");
    mc_array X;
    mc_status st = mc_npy_read_f32(x_path, &X);
    if (st != MC_STATUS_OK) return st;
    const int64_t n = X.ndim >= 1 ? X.shape[0] : 0, d = n > 0 ? mc_array_count(&X) / n : 0;
    if (n < 3 || d < 1 || d > INT32_MAX) st = mc_error_set(MC_STATUS_FORMAT, "%s: a map needs an (N >= 3, D) array", x_path);
    for (int64_t i = 0; st == MC_STATUS_OK && i < n * d; i++)
        if (!isfinite(((const float *)X.data)[i]))
            st = mc_error_set(MC_STATUS_FORMAT, "%s: row %lld has a non-finite value", x_path, (long long)(i / d));
    float *Y = st == MC_STATUS_OK ? mc_alloc((size_t)n * 2, sizeof(float)) : NULL; // (n, 2)
    if (st == MC_STATUS_OK && !Y) st = MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_pipeline_map_array(c, c->method, X.data, n, (int)d, c->progress, Y);
    int64_t shape[2] = {n, 2};
    if (st == MC_STATUS_OK) st = mc_npy_write(y_path, MC_DTYPE_F32, 2, shape, Y);
    if (st == MC_STATUS_OK && c->plot) st = draw(c, Y, n, x_path);
    if (rows) *rows = n;
    if (mapped) *mapped = mc_pipeline_map_rows_mapped(c, n);
    mc_free(Y);
    mc_array_free(&X);
    return st;
}
