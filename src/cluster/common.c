/* cluster: configuration, names, input checks, results, and the dispatcher mc_cluster_fit. */
#include "cluster_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

int64_t mc_cl_par_min_work = (int64_t)1 << 22;

void mc_cl_dgemm_tn_parts(int nt, int64_t n, int m1, int m2, const double *A, int lda, const double *B, int ldb,
                          double *part, int64_t ldp) {
    const int64_t nb = (n + MC_CL_SUM_ROWS - 1) / MC_CL_SUM_ROWS;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && nb > 1)
    for (int64_t b = 0; b < nb; b++) {
        int64_t i0 = b * MC_CL_SUM_ROWS, m = n - i0 < MC_CL_SUM_ROWS ? n - i0 : MC_CL_SUM_ROWS;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m1, m2, (int)m, 1.0, A + i0 * lda, lda, B + i0 * ldb,
                    ldb, 0.0, part + b * ldp, m2);
    }
}

void mc_cl_dgemm_rows(int nt, bool tb, int64_t n, int nc, int d, double alpha, const double *A,
                      const double *B, double beta, double *C) {
    const int64_t nch = (n + MC_CL_CHUNK - 1) / MC_CL_CHUNK;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && nch > 1)
    for (int64_t ch = 0; ch < nch; ch++) {
        int64_t i0 = ch * MC_CL_CHUNK, m = n - i0 < MC_CL_CHUNK ? n - i0 : MC_CL_CHUNK;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, nc, d, alpha, A + i0 * d, d,
                    B, tb ? d : nc, beta, C + i0 * nc, nc);
    }
}

mc_status mc_cl_begin(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d, const char *what,
                      mc_clustering *out) {
    memset(out, 0, sizeof *out);
    mc_status st = mc_cluster_config_validate(cfg);
    return st ? st : mc_cl_check_k(X, n, d, cfg->k, what);
}

int64_t mc_cl_uf_find(int64_t *parent, int64_t x) {
    int64_t r = x;
    while (parent[r] != r) r = parent[r];
    while (parent[x] != r) { /* path compression */
        int64_t p = parent[x];
        parent[x] = r;
        x = p;
    }
    return r;
}

void mc_cluster_config_default(mc_cluster_config *c) {
    /* Fields not named are 0: n_init, max_iter, tol and eps (each algorithm's automatic value), seed,
     * threads (all cores), progress, dist (this process alone). k = 8 is sklearn's KMeans default; the CLI
     * sweeps k when not given. bound_rows: agglomerative's bound (issue 11). */
    *c = (mc_cluster_config){.algo = MC_CLUSTER_ALGO_KMEANS, .k = 8, .linkage = MC_LINKAGE_WARD,
                             .min_samples = 5, .covariance = MC_COVARIANCE_FULL, .reg_covar = 1e-6,
                             .bound_rows = 20000};
}

mc_status mc_cluster_config_validate(const mc_cluster_config *c) {
    if (!c) return mc_error_set(MC_STATUS_INVALID_ARG, "cluster config is NULL");
    if ((unsigned)c->algo > MC_CLUSTER_ALGO_GMM)
        return mc_error_set(MC_STATUS_INVALID_ARG, "algo: unknown algorithm %d", (int)c->algo);
    if (c->bound_rows < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "bound_rows: must be 0 (exact) or > 0, got %lld", (long long)c->bound_rows);
    if (c->algo != MC_CLUSTER_ALGO_DBSCAN && c->k < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "k: must be >= 1, got %d", c->k);
    if (c->n_init < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "n_init: must be >= 1, got %d", c->n_init);
    if (c->max_iter < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "max_iter: must be >= 1, got %d", c->max_iter);
    if (!(c->tol >= 0) || isinf(c->tol))
        return mc_error_set(MC_STATUS_INVALID_ARG, "tol: must be a finite number >= 0, got %g", c->tol);
    if ((unsigned)c->linkage > MC_LINKAGE_SINGLE)
        return mc_error_set(MC_STATUS_INVALID_ARG, "linkage: unknown linkage %d", (int)c->linkage);
    if (!(c->eps >= 0) || isinf(c->eps))
        return mc_error_set(MC_STATUS_INVALID_ARG, "eps: must be > 0 (or 0 for automatic), got %g", c->eps);
    if (c->min_samples < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "min_samples: must be >= 1, got %d", c->min_samples);
    if ((unsigned)c->covariance > MC_COVARIANCE_DIAG)
        return mc_error_set(MC_STATUS_INVALID_ARG, "covariance: unknown type %d", (int)c->covariance);
    if (!(c->reg_covar >= 0) || isinf(c->reg_covar))
        return mc_error_set(MC_STATUS_INVALID_ARG, "reg_covar: must be a finite number >= 0, got %g",
                            c->reg_covar);
    return MC_STATUS_OK;
}

static const char *const algo_names[] = {"kmeans", "agglomerative", "dbscan", "gmm"};
static const char *const linkage_names[] = {"ward", "average", "complete", "single"};
static const char *const cov_names[] = {"full", "diag"};

const char *mc_cluster_algo_name(mc_cluster_algo a) {
    return (unsigned)a <= MC_CLUSTER_ALGO_GMM ? algo_names[a] : "?";
}
const char *mc_linkage_name(mc_linkage l) {
    return (unsigned)l <= MC_LINKAGE_SINGLE ? linkage_names[l] : "?";
}
const char *mc_covariance_name(mc_covariance c) {
    return (unsigned)c <= MC_COVARIANCE_DIAG ? cov_names[c] : "?";
}

/* *out = i where names[i] is s; else MC_STATUS_INVALID_ARG "<what> '<s>' (<the names>)". */
static mc_status parse_name(const char *s, const char *const *names, int n, const char *what, int *out) {
    char list[128] = "";
    for (int i = 0; i < n; i++) {
        if (s && strcmp(s, names[i]) == 0) {
            *out = i;
            return MC_STATUS_OK;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
    }
    return mc_error_set(MC_STATUS_INVALID_ARG, "%s '%s' (%s)", what, s ? s : "", list);
}

/* The three enum parsers of cluster.h, one line each. */
#define NAME_PARSER(fn, type, names, what) \
    mc_status fn(const char *s, type *out) { \
        int i = 0; \
        mc_status st = parse_name(s, names, (int)(sizeof names / sizeof names[0]), what, &i); \
        if (st == MC_STATUS_OK) *out = (type)i; \
        return st; \
    }
NAME_PARSER(mc_cluster_algo_parse, mc_cluster_algo, algo_names, "algo: unknown algorithm")
NAME_PARSER(mc_linkage_parse, mc_linkage, linkage_names, "linkage: unknown linkage")
NAME_PARSER(mc_covariance_parse, mc_covariance, cov_names, "covariance: unknown type")
#undef NAME_PARSER

mc_status mc_cluster_check_input(const float *X, int64_t n, int64_t d) {
    if (n < 1 || d < 1)
        return mc_error_set(MC_STATUS_EMPTY, "no points to cluster (%lld rows, %lld columns)", (long long)n,
                            (long long)d);
    if (!X) return mc_error_set(MC_STATUS_INVALID_ARG, "points are NULL");
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        for (int64_t j = 0; j < d; j++) {
            if (!isfinite(x[j]))
                return mc_error_set(MC_STATUS_NUMERIC, "row %lld has %s in column %lld", (long long)i,
                                    isnan(x[j]) ? "NaN" : "Inf", (long long)j);
            /* Squared distances are formed in float32 in the blocked kernels: keep them finite. */
            if (fabsf(x[j]) > MC_CLUSTER_MAX_ABS)
                return mc_error_set(MC_STATUS_NUMERIC,
                                    "row %lld, column %lld: |value| %g is larger than %g; rescale the data (e.g. "
                                    "z-score it)",
                                    (long long)i, (long long)j, (double)x[j], MC_CLUSTER_MAX_ABS);
        }
    }
    return MC_STATUS_OK;
}

int64_t mc_cluster_distinct_rows(const float *X, int64_t n, int64_t d, int64_t cap) {
    if (n <= 0 || cap <= 0) return 0;
    if (cap > n) cap = n;
    /* Keep the first row of every distinct value seen so far; stop once cap are known. */
    int64_t *seen = mc_alloc((size_t)cap, sizeof(int64_t)); // (cap) row indices
    if (!seen) return cap < 1 ? 0 : 1; /* cannot tell: claim the minimum that is certain */
    int64_t m = 0;
    for (int64_t i = 0; i < n && m < cap; i++) {
        const float *x = X + i * d;
        bool dup = false;
        /* Compare with the most recent distinct rows first: duplicates are usually adjacent. */
        for (int64_t s = m - 1; s >= 0 && !dup; s--) {
            const float *y = X + seen[s] * d;
            int64_t j = 0;
            while (j < d && x[j] == y[j]) j++;
            dup = j == d;
        }
        if (!dup) seen[m++] = i;
    }
    mc_free(seen);
    return m;
}

mc_status mc_cl_check_k(const float *X, int64_t n, int64_t d, int k, const char *what) {
    mc_status st = mc_cluster_check_input(X, n, d);
    if (st) return st;
    if (k < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "k: must be >= 1, got %d", k);
    if ((int64_t)k > n)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: k = %d is larger than the number of points (%lld)",
                            what, k, (long long)n);
    int64_t distinct = mc_cluster_distinct_rows(X, n, d, k);
    if (distinct < k)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: k = %d but the points have only %lld distinct value%s (no partition into %d "
                            "non-empty clusters exists)",
                            what, k, (long long)distinct, distinct == 1 ? "" : "s", k);
    return MC_STATUS_OK;
}

mc_status mc_cl_result_init(mc_clustering *out, mc_cluster_algo algo, int64_t n, int64_t d) {
    memset(out, 0, sizeof *out);
    out->algo = algo;
    out->n = n;
    out->d = d;
    out->labels = mc_alloc((size_t)n, sizeof(int32_t));
    return out->labels ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
}

void mc_cluster_dendrogram_free(mc_dendrogram *t) {
    if (!t) return;
    mc_free(t->children);
    mc_free(t->distances);
    mc_free(t->sizes);
    memset(t, 0, sizeof *t);
}

void mc_clustering_free(mc_clustering *c) {
    if (!c) return;
    mc_free(c->labels);
    mc_free(c->centers);
    mc_free(c->weights);
    mc_free(c->covariances);
    mc_free(c->means);
    mc_cluster_dendrogram_free(&c->tree);
    memset(c, 0, sizeof *c);
}

mc_status mc_cluster_fit(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                         mc_clustering *out) {
    mc_status st = mc_cluster_config_validate(cfg);
    if (st) return st;
    switch (cfg->algo) {
    case MC_CLUSTER_ALGO_KMEANS: return mc_cluster_kmeans(cfg, X, n, d, out);
    case MC_CLUSTER_ALGO_AGGLOMERATIVE: return mc_cluster_agglomerative(cfg, X, n, d, out);
    case MC_CLUSTER_ALGO_DBSCAN: return mc_cluster_dbscan(cfg, X, n, d, out);
    case MC_CLUSTER_ALGO_GMM: return mc_cluster_gmm(cfg, X, n, d, out);
    }
    return mc_error_set(MC_STATUS_INVALID_ARG, "algo: unknown algorithm %d", (int)cfg->algo);
}
