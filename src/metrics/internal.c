/* Calinski-Harabasz and Davies-Bouldin (sklearn.metrics.calinski_harabasz_score /
 * davies_bouldin_score, scikit-learn 1.2), and the three internal metrics together. Computed on the
 * non-noise rows (metrics.h, NOISE CONVENTION), in double. */
#include "metrics_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What Calinski-Harabasz and Davies-Bouldin both start from. */
typedef struct ix_start {
    mc_internal_scores local; /* the scores when the caller passed info NULL */
    mc_internal_scores *info; /* the caller's, else &local */
    mc__clusters cl;          /* the encoded clusters */
    double *cent, *mean;      /* (k, d) cluster centroids and (d) overall mean of the used rows */
    mc_status status;         /* begin()'s: what the score returns when begin() says stop */
} ix_start;

/* Cluster centroids (k, d) and the overall mean (d) of the used rows, in double. */
static mc_status centroids(const float *X, int64_t n, int d, const mc__clusters *cl, double **cent,
                           double **mean) {
    *cent = mc_alloc((size_t)cl->k * (size_t)d, sizeof **cent); // (k, d)
    *mean = mc_alloc((size_t)d, sizeof **mean);                 // (d)
    if (!*cent || !*mean) return MC_STATUS_NO_MEMORY;
    for (int64_t i = 0; i < n; i++) {
        int32_t c = cl->dense[i];
        if (c < 0) continue;
        for (int f = 0; f < d; f++) {
            (*cent)[(int64_t)c * d + f] += X[i * d + f];
            (*mean)[f] += X[i * d + f];
        }
    }
    for (int c = 0; c < cl->k; c++)
        for (int f = 0; f < d; f++) (*cent)[(int64_t)c * d + f] /= (double)cl->size[c];
    for (int f = 0; f < d; f++) (*mean)[f] /= (double)cl->n_used;
    return MC_STATUS_OK;
}

/* Frees what begin() made; returns st. */
static mc_status finish(ix_start *s, mc_status st) {
    mc_free(s->cent);
    mc_free(s->mean);
    mc__clusters_free(&s->cl);
    return st;
}

/* Common start: s->info (the caller's, else local) reset, *out NaN; check, encode, counts, centroids.
 * Returns true to go on; false (s freed; s->status OK when the score is undefined, else the error) to stop. */
static bool begin(const float *X, int64_t n, int d, const int32_t *cluster, const char *fn, mc_internal_scores *info,
                  double *out, ix_start *s) {
    memset(s, 0, sizeof *s);
    s->info = info ? info : &s->local;
    if (out) *out = NAN;
    memset(s->info, 0, sizeof *s->info);
    s->info->silhouette = s->info->calinski_harabasz = s->info->davies_bouldin = NAN;
    s->status = mc__metrics_check_input(X, n, d, cluster, fn);
    if (s->status == MC_STATUS_OK) s->status = mc__clusters_encode(cluster, n, &s->cl);
    if (s->status == MC_STATUS_OK && mc__internal_defined(&s->cl, s->info)) {
        s->status = centroids(X, n, d, &s->cl, &s->cent, &s->mean);
        if (s->status == MC_STATUS_OK) return true;
    }
    finish(s, s->status);
    return false;
}

mc_status mc_metrics_calinski_harabasz(const float *X, int64_t n, int d, const int32_t *cluster,
                                       double *out, mc_internal_scores *info) {
    ix_start s0;
    if (!begin(X, n, d, cluster, "calinski_harabasz", info, out, &s0)) return s0.status;
    const mc__clusters *cl = &s0.cl;
    /* extra_disp = sum_k |c_k| ||mean_k - mean||^2; intra_disp = sum_i ||x_i - mean_k(i)||^2 */
    double extra = 0.0, intra = 0.0;
    for (int c = 0; c < cl->k; c++) {
        double s = 0.0;
        for (int f = 0; f < d; f++) {
            double v = s0.cent[(int64_t)c * d + f] - s0.mean[f];
            s += v * v;
        }
        extra += (double)cl->size[c] * s;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t c = cl->dense[i];
        if (c < 0) continue;
        for (int f = 0; f < d; f++) {
            double v = (double)X[i * d + f] - s0.cent[(int64_t)c * d + f];
            intra += v * v;
        }
    }
    /* sklearn returns 1.0 when every cluster is a single repeated point (intra_disp == 0). */
    s0.info->calinski_harabasz = intra == 0.0 ? 1.0 : extra * (double)(cl->n_used - cl->k) / (intra * (cl->k - 1.0));
    if (out) *out = s0.info->calinski_harabasz;
    return finish(&s0, MC_STATUS_OK);
}

mc_status mc_metrics_davies_bouldin(const float *X, int64_t n, int d, const int32_t *cluster,
                                    double *out, mc_internal_scores *info) {
    ix_start s0;
    if (!begin(X, n, d, cluster, "davies_bouldin", info, out, &s0)) return s0.status;
    const mc__clusters *cl = &s0.cl;
    const double *cent = s0.cent;
    const int k = cl->k;
    double *intra = mc_alloc((size_t)k, sizeof *intra);              // (k) mean distance to centroid
    double *cd = mc_alloc((size_t)k * (size_t)k, sizeof *cd);        // (k, k) centroid distances
    const mc_status st = intra && cd ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) {
        for (int64_t i = 0; i < n; i++) {
            int32_t c = cl->dense[i];
            if (c < 0) continue;
            double s = 0.0;
            for (int f = 0; f < d; f++) {
                double v = (double)X[i * d + f] - cent[(int64_t)c * d + f];
                s += v * v;
            }
            intra[c] += sqrt(s);
        }
        bool intra_zero = true, cent_zero = true;
        for (int c = 0; c < k; c++) {
            intra[c] /= (double)cl->size[c];
            intra_zero = intra_zero && fabs(intra[c]) <= 1e-8;
        }
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) {
                double s = 0.0;
                for (int f = 0; f < d; f++) {
                    double v = cent[(int64_t)a * d + f] - cent[(int64_t)b * d + f];
                    s += v * v;
                }
                cd[(int64_t)a * k + b] = sqrt(s);
                cent_zero = cent_zero && cd[(int64_t)a * k + b] <= 1e-8;
            }
        double score = 0.0;
        /* sklearn: np.allclose(intra_dists, 0) or np.allclose(centroid_distances, 0) -> 0.0
         * (allclose: |x| <= 1e-8 everywhere). */
        if (!intra_zero && !cent_zero) {
            for (int a = 0; a < k; a++) {
                /* max_b (s_a + s_b) / d_ab; a zero distance counts as infinite (ratio 0), which
                 * also drops b == a. */
                double best = 0.0;
                for (int b = 0; b < k; b++) {
                    double dist = cd[(int64_t)a * k + b];
                    if (dist == 0.0) continue;
                    double r = (intra[a] + intra[b]) / dist;
                    if (r > best) best = r;
                }
                score += best;
            }
            score /= (double)k;
        }
        s0.info->davies_bouldin = score;
        if (out) *out = score;
    }
    mc_free(intra);
    mc_free(cd);
    return finish(&s0, st);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The silhouette of a seeded sample of opts->silhouette_sample rows (sklearn silhouette_score with
 * sample_size: a draw without replacement, then the exact silhouette of the sub-matrix). The rows are
 * the first S of a seeded shuffle of 0..n-1, taken in increasing order; the counts of info (n,
 * n_used, n_noise, n_clusters) are those of the whole input, the note that of the sample. */
static mc_status silhouette_sampled(const float *X, int64_t n, int d, const int32_t *cluster,
                                    const mc_metrics_opts *opts, mc_internal_scores *out) {
    const int64_t S = opts->silhouette_sample;
    int64_t *idx = mc_alloc((size_t)n, sizeof *idx);          // (n) a permutation of the rows
    float *Xs = mc_alloc((size_t)S * (size_t)d, sizeof *Xs);  // (S, d) the sampled rows
    int32_t *cs = mc_alloc((size_t)S, sizeof *cs);            // (S)
    double *v = mc_alloc((size_t)S, sizeof *v);               // (S) per-row silhouettes
    mc_status st = idx && Xs && cs && v ? MC_STATUS_OK
                                        : mc_error_set(MC_STATUS_NO_MEMORY, "silhouette: out of memory for a sample of %lld rows",
                                                       (long long)S);
    if (st == MC_STATUS_OK) {
        for (int64_t i = 0; i < n; i++) idx[i] = i;
        mc_rng rng;
        mc_rng_seed(&rng, opts->sample_seed, 0);
        mc_rng_shuffle(&rng, idx, (size_t)n);
        /* increasing row order: the rows of the sample, not the draw order, decide the tiles */
        qsort(idx, (size_t)S, sizeof *idx, cmp_i64);
        const int64_t *first = idx;
        for (int64_t i = 0; i < S; i++) {
            memcpy(Xs + (size_t)i * (size_t)d, X + (size_t)first[i] * (size_t)d, (size_t)d * sizeof(float));
            cs[i] = cluster[first[i]];
        }
        mc_internal_scores sub;
        double mean = NAN;
        st = mc_metrics_silhouette(Xs, S, d, cs, opts, &mean, v, &sub);
        if (st == MC_STATUS_OK) {
            /* the whole input's counts; the sample's silhouette, its rows and standard error */
            memset(out, 0, sizeof *out);
            out->n = n;
            for (int64_t i = 0; i < n; i++) out->n_noise += cluster[i] < 0;
            out->n_used = n - out->n_noise;
            int32_t top = -1;
            for (int64_t i = 0; i < n; i++) top = cluster[i] > top ? cluster[i] : top;
            uint8_t *seen = top >= 0 ? mc_calloc((size_t)top + 1, 1) : NULL; // (top + 1) ids present
            if (seen) {
                for (int64_t i = 0; i < n; i++)
                    if (cluster[i] >= 0) seen[cluster[i]] = 1;
                for (int32_t c = 0; c <= top; c++) out->n_clusters += seen[c];
                mc_free(seen);
            } else {
                out->n_clusters = sub.n_clusters;
            }
            snprintf(out->note, sizeof out->note, "%s", sub.note);
            out->silhouette = mean;
            out->silhouette_rows = S;
            out->silhouette_sampled = true;
            double m = 0, q = 0;
            int64_t u = 0;
            for (int64_t i = 0; i < S; i++)
                if (cs[i] >= 0 && isfinite(v[i])) { m += v[i]; u++; }
            if (u > 1) {
                m /= (double)u;
                for (int64_t i = 0; i < S; i++)
                    if (cs[i] >= 0 && isfinite(v[i])) q += (v[i] - m) * (v[i] - m);
                out->silhouette_se = sqrt(q / (double)(u - 1)) / sqrt((double)u);
            } else {
                out->silhouette_se = NAN;
            }
        }
    }
    mc_free(idx);
    mc_free(Xs);
    mc_free(cs);
    mc_free(v);
    return st;
}

mc_status mc_metrics_internal(const float *X, int64_t n, int d, const int32_t *cluster,
                              const mc_metrics_opts *opts, mc_internal_scores *out) {
    mc_internal_scores local;
    if (!out) out = &local;
    mc_internal_scores a, b;
    const int64_t S = opts ? opts->silhouette_sample : 0;
    mc_status st = S > 0 && n > S ? silhouette_sampled(X, n, d, cluster, opts, out)
                                  : mc_metrics_silhouette(X, n, d, cluster, opts, NULL, NULL, out);
    if (st == MC_STATUS_OK && !(S > 0 && n > S)) {
        out->silhouette_rows = n;
        out->silhouette_sampled = false;
        out->silhouette_se = 0;
    }
    if (st == MC_STATUS_OK) st = mc_metrics_calinski_harabasz(X, n, d, cluster, NULL, &a);
    if (st == MC_STATUS_OK) st = mc_metrics_davies_bouldin(X, n, d, cluster, NULL, &b);
    if (st != MC_STATUS_OK) return st;
    out->calinski_harabasz = a.calinski_harabasz;
    out->davies_bouldin = b.davies_bouldin;
    return MC_STATUS_OK;
}
