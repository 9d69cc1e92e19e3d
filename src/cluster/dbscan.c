/* cluster: DBSCAN as sklearn.cluster.DBSCAN (metric="euclidean", algorithm="brute"), and the
 * automatic eps from the sorted k-distance curve.
 *
 * Neighbourhoods are never stored: distances are computed block by block (256 rows x 512 columns,
 * |x|^2 + |y|^2 - 2 x.y through sgemm, O(n * block) memory) and consumed at once, in passes:
 *   1. count the points within eps of every point (itself included) -> core points;
 *   2. union the core points within eps of each other (one union-find per thread, merged after);
 *   3. give every other point the lowest cluster id among the core points within eps, or -1.
 * Clusters are numbered in the order of their lowest core point. This is exactly sklearn's result:
 * its depth-first expansion (dbscan_inner) starts clusters at core points in index order, labels every
 * core point of a connected component, and a border point keeps the label of the first cluster that
 * reaches it, which is the lowest-numbered one with a core point within eps.
 * A float32 distance that lands within rounding of eps^2 is recomputed exactly in double, so the
 * "within eps" test does not depend on the sgemm rounding. */
#include "cluster_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define RB MC_CL_CHUNK /* rows per block */
#define CB 512         /* columns per block */

enum mode { M_COUNT, M_UNION, M_BORDER, M_KNN };

typedef struct nb {
    const float *X; // (n, d)
    int64_t n, d;
    int nt;
    double eps2;
    float *sq;          // (n) squared norms
    /* the row set and the column set of a pass, as point indices (ascending) and gathered rows */
    const int64_t *rows, *cols;
    int64_t nr, nc;
    float *Xr, *Xc;     // (nr, d), (nc, d) gathered points
    float *G;           // (nt, RB, CB) per-thread distance blocks
    int64_t *count;     // (nt, n) M_COUNT: per-thread neighbour counts, summed in thread order after
    int64_t *uf;        // (nt, n) M_UNION: per-thread union-find parents
    int32_t *label;     // (n) M_BORDER: labels of core points in, of border points out
    int kk;             // M_KNN: neighbours kept (min_samples)
    double *knn;        // (n, kk) M_KNN: sorted smallest squared distances per row
} nb;

static double exact_d2(const nb *w, int64_t i, int64_t j) {
    const float *a = w->X + i * w->d, *b = w->X + j * w->d;
    double s = 0;
    for (int64_t f = 0; f < w->d; f++) {
        double t = (double)a[f] - b[f];
        s += t * t;
    }
    return s;
}

/* Rounding bound of the float32 block value |x|^2 + |y|^2 - 2 x.y: the dot product of d terms errs by
 * at most d u sum|x_f y_f| <= d u (|x|^2 + |y|^2) / 2 (u = 2^-24), doubled by the factor 2, plus the
 * rounding of the stored norms; taken twice for safety. */
static inline double round_bound(const nb *w, int64_t i, int64_t j) {
    return (double)(w->d + 4) * 1.2e-7 * ((double)w->sq[i] + (double)w->sq[j]) + 1e-30;
}

/* Is the distance of i and j at most eps? Decided from the block value a when it is clearly on one
 * side, exactly in double otherwise. */
static inline bool within(const nb *w, int64_t i, int64_t j, double a) {
    if (i == j) return true;
    double tol = round_bound(w, i, j);
    if (a > w->eps2 + tol) return false;
    if (a < w->eps2 - tol) return true;
    return exact_d2(w, i, j) <= w->eps2;
}

static void uf_union(int64_t *p, int64_t a, int64_t b) {
    a = mc_cl_uf_find(p, a);
    b = mc_cl_uf_find(p, b);
    if (a == b) return;
    if (a < b) p[b] = a; /* the lower index becomes the root: deterministic */
    else p[a] = b;
}

static void gather(const nb *w, const int64_t *idx, int64_t m, float *dst) {
    for (int64_t i = 0; i < m; i++)
        memcpy(dst + i * w->d, w->X + (idx ? idx[i] : i) * w->d, (size_t)w->d * sizeof(float));
}

/* One pass over all (row, column) blocks of the current row and column sets. */
static void pass(nb *w, enum mode mode) {
    const int64_t d = w->d, nrb = (w->nr + RB - 1) / RB;
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->nt)
    for (int64_t rb = 0; rb < nrb; rb++) {
        int tid = omp_get_thread_num();
        float *G = w->G + (size_t)tid * RB * CB;
        int64_t r0 = rb * RB, mr = w->nr - r0 < RB ? w->nr - r0 : RB;
        int64_t c_start = 0;
        /* counting and union need each pair once: columns > row (the distance is symmetric) */
        if (mode == M_UNION || mode == M_COUNT) c_start = (r0 / CB) * CB;
        for (int64_t c0 = c_start; c0 < w->nc; c0 += CB) {
            int64_t mc = w->nc - c0 < CB ? w->nc - c0 : CB;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mr, (int)mc, (int)d, -2.0f,
                        w->Xr + r0 * d, (int)d, w->Xc + c0 * d, (int)d, 0.0f, G, (int)mc); // G (mr, mc)
            for (int64_t p = 0; p < mr; p++) {
                int64_t i = w->rows ? w->rows[r0 + p] : r0 + p;
                const float *g = G + p * mc;
                double si = w->sq[i];
                switch (mode) {
                case M_COUNT: {
                    int64_t *cnt = w->count + (size_t)tid * (size_t)w->n, ci = 0;
                    for (int64_t q = 0; q < mc; q++) {
                        if (c0 + q <= r0 + p) continue;
                        int64_t j = c0 + q;
                        double a = si + (double)w->sq[j] + (double)g[q];
                        if (within(w, i, j, a)) {
                            ci++;
                            cnt[j]++;
                        }
                    }
                    cnt[i] += ci;
                    break;
                }
                case M_UNION: {
                    int64_t *uf = w->uf + (size_t)tid * (size_t)w->n;
                    for (int64_t q = 0; q < mc; q++) {
                        if (c0 + q <= r0 + p) continue;
                        int64_t j = w->cols[c0 + q];
                        double a = si + (double)w->sq[j] + (double)g[q];
                        if (within(w, i, j, a)) uf_union(uf, i, j);
                    }
                    break;
                }
                case M_BORDER: {
                    int32_t best = w->label[i];
                    for (int64_t q = 0; q < mc; q++) {
                        int64_t j = w->cols[c0 + q];
                        int32_t lj = w->label[j];
                        if (best >= 0 && lj >= best) continue;
                        double a = si + (double)w->sq[j] + (double)g[q];
                        if (within(w, i, j, a)) best = lj;
                    }
                    w->label[i] = best;
                    break;
                }
                case M_KNN: {
                    double *kn = w->knn + (size_t)i * (size_t)w->kk;
                    const int kk = w->kk;
                    for (int64_t q = 0; q < mc; q++) {
                        int64_t j = c0 + q;
                        double a = si + (double)w->sq[j] + (double)g[q];
                        double lim = kn[kk - 1] + round_bound(w, i, j);
                        if (!(a <= lim)) continue;
                        double e = j == i ? 0.0 : exact_d2(w, i, j);
                        if (!(e < kn[kk - 1])) continue;
                        int s = kk - 1;
                        while (s > 0 && kn[s - 1] > e) {
                            kn[s] = kn[s - 1];
                            s--;
                        }
                        kn[s] = e;
                    }
                    break;
                }
                }
            }
        }
    }
}

static void nb_free(nb *w) {
    mc_free(w->sq);
    mc_free(w->Xr);
    mc_free(w->Xc);
    mc_free(w->G);
}

static mc_status nb_init(nb *w, const float *X, int64_t n, int64_t d, int threads) {
    memset(w, 0, sizeof *w);
    w->X = X;
    w->n = n;
    w->d = d;
    w->nt = threads > 0 ? threads : mc_threads_available();
    w->sq = mc_alloc((size_t)n, sizeof(float));
    w->Xr = mc_alloc((size_t)n * (size_t)d, sizeof(float));
    w->Xc = mc_alloc((size_t)n * (size_t)d, sizeof(float));
    w->G = mc_alloc((size_t)w->nt * RB * CB, sizeof(float));
    if (!w->sq || !w->Xr || !w->Xc || !w->G) {
        nb_free(w);
        return mc_error_set(MC_STATUS_NO_MEMORY, "DBSCAN: out of memory for %lld x %lld points", (long long)n,
                            (long long)d);
    }
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t f = 0; f < d; f++) s += (double)X[i * d + f] * X[i * d + f];
        w->sq[i] = (float)s;
    }
    return MC_STATUS_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

mc_status mc_cluster_dbscan_auto_eps(const float *X, int64_t n, int64_t d, int min_samples, int threads,
                                     double *eps, float *kdist) {
    mc_status st = mc_cluster_check_input(X, n, d);
    if (st) return st;
    if (min_samples < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "min_samples: must be >= 1, got %d", min_samples);
    if ((int64_t)min_samples > n)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "DBSCAN: min_samples = %d is larger than the number of points (%lld): no point "
                            "can be a core point",
                            min_samples, (long long)n);
    nb w;
    st = nb_init(&w, X, n, d, threads);
    if (st) return st;
    w.kk = min_samples;
    w.knn = mc_alloc((size_t)n * (size_t)min_samples, sizeof(double)); // (n, kk)
    double *v = mc_alloc((size_t)n, sizeof(double));                   // (n) k-distances, sorted
    if (!w.knn || !v) {
        mc_free(w.knn);
        mc_free(v);
        nb_free(&w);
        return MC_STATUS_NO_MEMORY;
    }
    for (size_t t = 0; t < (size_t)n * (size_t)min_samples; t++) w.knn[t] = INFINITY;
    gather(&w, NULL, n, w.Xr);
    memcpy(w.Xc, w.Xr, (size_t)n * (size_t)d * sizeof(float));
    w.nr = w.nc = n;
    int blas_prev = mc_threads_blas_serial_begin();
    pass(&w, M_KNN);
    mc_threads_blas_serial_end(blas_prev);
    for (int64_t i = 0; i < n; i++) v[i] = sqrt(w.knn[(size_t)i * (size_t)min_samples + (size_t)min_samples - 1]);
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    if (kdist)
        for (int64_t i = 0; i < n; i++) kdist[i] = (float)v[i];
    /* Knee: the point of the curve (i / (n-1), (v_i - v_0) / (v_last - v_0)) farthest above... below
     * the chord y = x, i.e. the largest x - y. */
    int64_t knee = n - 1;
    double span = v[n - 1] - v[0];
    if (n > 2 && span > 0) {
        double best = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            double gap = (double)i / (double)(n - 1) - (v[i] - v[0]) / span;
            if (gap > best) {
                best = gap;
                knee = i;
            }
        }
    }
    double e = v[knee];
    if (!(e > 0)) { /* duplicates: take the smallest positive k-distance, if any */
        for (int64_t i = 0; i < n; i++)
            if (v[i] > 0) {
                e = v[i];
                break;
            }
    }
    if (!(e > 0)) e = 1e-12; /* every point has min_samples copies: clusters of identical points */
    *eps = e;
    mc_free(w.knn);
    mc_free(v);
    nb_free(&w);
    return MC_STATUS_OK;
}

/* One DBSCAN run at a given eps into out (allocated here; freed on failure). */
static mc_status dbscan_at(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d, double eps,
                           mc_progress *progress, mc_clustering *out) {
    mc_status st;
    st = mc_cl_result_init(out, MC_CLUSTER_ALGO_DBSCAN, n, d);
    if (st) return st;
    out->eps = eps;
    nb w;
    st = nb_init(&w, X, n, d, cfg->threads);
    if (st) {
        mc_clustering_free(out);
        return st;
    }
    w.eps2 = eps * eps;
    w.count = mc_alloc((size_t)w.nt * (size_t)n, sizeof(int64_t)); // (nt, n)
    int64_t *core = mc_alloc((size_t)n, sizeof(int64_t));        // (n) core point indices, ascending
    int64_t *other = mc_alloc((size_t)n, sizeof(int64_t));       // (n) the others
    w.uf = mc_alloc((size_t)w.nt * (size_t)n, sizeof(int64_t));  // (nt, n)
    int32_t *id = mc_alloc((size_t)n, sizeof(int32_t));          // (n) cluster id of a root
    if (!w.count || !core || !other || !w.uf || !id) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "DBSCAN: out of memory for %lld points", (long long)n);
        goto done;
    }
    int blas_prev = mc_threads_blas_serial_begin();
    mc_progress_set_total(progress, 3);
    /* 1. neighbour counts */
    gather(&w, NULL, n, w.Xr);
    memcpy(w.Xc, w.Xr, (size_t)n * (size_t)d * sizeof(float));
    w.nr = w.nc = n;
    pass(&w, M_COUNT);
    for (int t = 1; t < w.nt; t++)
        for (int64_t i = 0; i < n; i++) w.count[i] += w.count[(size_t)t * (size_t)n + (size_t)i];
    for (int64_t i = 0; i < n; i++) w.count[i] += 1; /* the point itself (sklearn counts it) */
    mc_progress_tick(progress, 1);
    int64_t ncore = 0, nother = 0;
    for (int64_t i = 0; i < n; i++) {
        if (w.count[i] >= cfg->min_samples) core[ncore++] = i;
        else other[nother++] = i;
    }
    /* 2. connected components of the core points */
    for (int t = 0; t < w.nt; t++)
        for (int64_t i = 0; i < n; i++) w.uf[(size_t)t * (size_t)n + (size_t)i] = i;
    gather(&w, core, ncore, w.Xr);
    memcpy(w.Xc, w.Xr, (size_t)ncore * (size_t)d * sizeof(float));
    w.rows = w.cols = core;
    w.nr = w.nc = ncore;
    pass(&w, M_UNION);
    mc_progress_tick(progress, 1);
    for (int t = 1; t < w.nt; t++) {
        int64_t *ut = w.uf + (size_t)t * (size_t)n;
        for (int64_t i = 0; i < n; i++)
            if (ut[i] != i) uf_union(w.uf, i, mc_cl_uf_find(ut, i));
    }
    for (int64_t i = 0; i < n; i++) {
        id[i] = -1;
        out->labels[i] = -1;
    }
    int32_t nclusters = 0;
    for (int64_t c = 0; c < ncore; c++) {
        int64_t r = mc_cl_uf_find(w.uf, core[c]);
        if (id[r] < 0) id[r] = nclusters++;
        out->labels[core[c]] = id[r];
    }
    /* 3. border points */
    w.label = out->labels;
    if (nother > 0 && ncore > 0) {
        gather(&w, other, nother, w.Xr);
        w.rows = other;
        w.nr = nother;
        pass(&w, M_BORDER);
    }
    mc_progress_tick(progress, 1);
    mc_threads_blas_serial_end(blas_prev);
    out->k = nclusters;
    out->n_noise = 0;
    for (int64_t i = 0; i < n; i++) out->n_noise += out->labels[i] < 0;
    st = MC_STATUS_OK;
done:
    mc_free(w.count);
    mc_free(core);
    mc_free(other);
    mc_free(w.uf);
    mc_free(id);
    nb_free(&w);
    if (st) mc_clustering_free(out);
    return st;
}

/* Points in a cluster other than the largest: what the fallback of the automatic eps maximises. */
static int64_t spread_score(const mc_clustering *r) {
    if (r->k < 2) return 0;
    int64_t *sz = mc_alloc((size_t)r->k, sizeof(int64_t));
    if (!sz) return 0;
    int64_t big = 0, in = 0;
    for (int64_t i = 0; i < r->n; i++)
        if (r->labels[i] >= 0) {
            sz[r->labels[i]]++;
            in++;
        }
    for (int c = 0; c < r->k; c++)
        if (sz[c] > big) big = sz[c];
    mc_free(sz);
    return in - big;
}

mc_status mc_cluster_dbscan(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                            mc_clustering *out) {
    memset(out, 0, sizeof *out);
    mc_status st = mc_cluster_config_validate(cfg);
    if (st) return st;
    st = mc_cluster_check_input(X, n, d);
    if (st) return st;
    if (cfg->eps > 0) return dbscan_at(cfg, X, n, d, cfg->eps, cfg->progress, out);
    float *kd = mc_alloc((size_t)n, sizeof(float)); // (n) sorted k-distances
    if (!kd) return MC_STATUS_NO_MEMORY;
    double knee;
    st = mc_cluster_dbscan_auto_eps(X, n, d, cfg->min_samples, cfg->threads, &knee, kd);
    if (!st) st = dbscan_at(cfg, X, n, d, knee, cfg->progress, out);
    if (st) {
        mc_free(kd);
        return st;
    }
    /* The knee is kept when it separates the data: 2 or more clusters and at most half noise. Data
     * without density gaps (real music features, z-scored) give one cluster there; then the quantiles
     * 10%..90% of the k-distance curve are tried and the eps that puts the most points in clusters
     * other than the largest wins (the larger eps on ties); if none separates anything, the knee
     * stays. */
    if (out->k < 2 || 2 * out->n_noise > n) {
        int64_t best_score = spread_score(out);
        for (int q = 1; q <= 9 && !st; q++) {
            double e = kd[(int64_t)((double)q / 10.0 * (double)(n - 1))];
            if (!(e > 0) || e == out->eps) continue;
            mc_clustering r;
            st = dbscan_at(cfg, X, n, d, e, NULL, &r);
            if (st) break;
            int64_t sc = spread_score(&r);
            if (sc > best_score || (sc == best_score && sc > 0 && e > out->eps)) {
                best_score = sc;
                mc_clustering_free(out);
                *out = r;
            } else {
                mc_clustering_free(&r);
            }
        }
    }
    mc_free(kd);
    if (st) {
        mc_clustering_free(out);
        return st;
    }
    out->eps_auto = true;
    out->eps_knee = knee;
    return MC_STATUS_OK;
}
