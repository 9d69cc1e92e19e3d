/* cluster: randomised PCA over rows read once per pass, for inputs too wide or too long to copy
 * (the flattened log-mel of a feature store: 128 x 130 = 16,640 columns per row, memory-mapped).
 *
 * Halko, Martinsson & Tropp (2011), "Finding structure with randomness", algorithm 4.4 (randomised
 * subspace iteration): Y = Xc Omega with a Gaussian Omega (d, l), l = k + 10 oversampling columns,
 * then n_iter times W = orth(Xc^T Q), Q = orth(Xc W); finally W = Xc^T Q, the eigen-decomposition
 * of the small Gram matrix W^T W = U diag(s^2) U^T gives the singular values s of Q^T Xc, the
 * components V = W U / s and the scores Q U s. Xc = X - mean is never formed: each pass reads the
 * rows of X in order and centres them on the fly. Every sum is in double, in a fixed order, by
 * plain loops (no BLAS; the small eigenproblem in LAPACK on one OpenBLAS thread), so the result is the
 * same bytes for any thread count. Memory:
 * O((n + d) l) doubles. Signs follow sklearn's svd_flip (the largest |score| of a component > 0). */
#include "cluster_internal.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* Orthonormalise the l columns of A (rows, l) row-major in place: modified Gram-Schmidt, twice
 * ("twice is enough", Giraud et al. 2005). A column that vanishes is left zero. */
static void orthonormalise(double *A, int64_t rows, int l) {
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < l; j++) {
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int64_t i = 0; i < rows; i++) dot += A[i * l + p] * A[i * l + j];
                for (int64_t i = 0; i < rows; i++) A[i * l + j] -= dot * A[i * l + p];
            }
            double nrm = 0;
            for (int64_t i = 0; i < rows; i++) nrm += A[i * l + j] * A[i * l + j];
            nrm = sqrt(nrm);
            const double inv = nrm > DBL_MIN ? 1.0 / nrm : 0.0;
            for (int64_t i = 0; i < rows; i++) A[i * l + j] *= inv;
        }
}

/* Y (n, l) = (X - mean) W, W (d, l). */
static void times_w(const float *X, int64_t n, int64_t d, const double *mean, const double *W, int l, double *Y,
                    double *xc) {
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        for (int64_t j = 0; j < d; j++) xc[j] = (double)x[j] - mean[j];
        double *y = Y + i * l;
        for (int c = 0; c < l; c++) y[c] = 0;
        for (int64_t j = 0; j < d; j++) {
            const double v = xc[j];
            const double *w = W + j * l;
#pragma omp simd
            for (int c = 0; c < l; c++) y[c] += v * w[c];
        }
    }
}

/* W (d, l) = (X - mean)^T Q, Q (n, l). */
static void times_q(const float *X, int64_t n, int64_t d, const double *mean, const double *Q, int l, double *W) {
    memset(W, 0, (size_t)d * (size_t)l * sizeof *W);
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        const double *q = Q + i * l;
        for (int64_t j = 0; j < d; j++) {
            const double v = (double)x[j] - mean[j];
            double *w = W + j * l;
#pragma omp simd
            for (int c = 0; c < l; c++) w[c] += v * q[c];
        }
    }
}

mc_status mc_cluster_pca_randomized(const float *X, int64_t n, int64_t d, int n_components, int n_iter,
                                    uint64_t seed, mc_pca *out, float *Z) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "randomised PCA: NULL output");
    memset(out, 0, sizeof *out);
    if (!X || n < 2 || d < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "randomised PCA: need n >= 2 rows and d >= 1 columns");
    const int64_t m = n < d ? n : d;
    if (n_components < 1 || n_components > m)
        return mc_error_set(MC_STATUS_INVALID_ARG, "randomised PCA: n_components must be in 1..%lld, got %d",
                            (long long)m, n_components);
    if (n_iter < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "randomised PCA: n_iter must be >= 0");
    const int k = n_components;
    const int l = (int)((int64_t)k + 10 < m ? k + 10 : m);
    double *mean = mc_calloc((size_t)d, sizeof *mean);               // (d)
    double *xc = mc_alloc((size_t)d, sizeof *xc);                    // (d) one centred row
    double *W = mc_alloc((size_t)d * (size_t)l, sizeof *W);          // (d, l)
    double *Q = mc_alloc((size_t)n * (size_t)l, sizeof *Q);          // (n, l)
    double *G = mc_alloc((size_t)l * (size_t)l, sizeof *G);          // (l, l) W^T W, then its eigenvectors
    double *ev = mc_alloc((size_t)l, sizeof *ev);                    // (l) eigenvalues, ascending
    out->mean = mean;
    out->components = mc_calloc((size_t)k * (size_t)d, sizeof(double));
    out->explained_variance = mc_alloc((size_t)k, sizeof(double));
    out->explained_variance_ratio = mc_alloc((size_t)k, sizeof(double));
    out->singular_values = mc_alloc((size_t)k, sizeof(double));
    mc_status st = MC_STATUS_OK;
    if (!mean || !xc || !W || !Q || !G || !ev || !out->components || !out->explained_variance ||
        !out->explained_variance_ratio || !out->singular_values) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "randomised PCA: out of memory for %lld x %lld", (long long)n, (long long)d);
        goto done;
    }
    out->d = d;
    out->n_components = k;
    out->n_samples = n;
    /* pass 1: the mean and (pass 2) the total sum of squares, for the explained variance ratio */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            const float v = X[i * d + j];
            if (!isfinite(v)) {
                st = mc_error_set(MC_STATUS_NUMERIC, "randomised PCA: row %lld column %lld is not finite", (long long)i, (long long)j);
                goto done;
            }
            mean[j] += v;
        }
    for (int64_t j = 0; j < d; j++) mean[j] /= (double)n;
    double total = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            const double t = (double)X[i * d + j] - mean[j];
            total += t * t;
        }
    mc_rng rng;
    mc_rng_seed(&rng, seed, 0x9ca0ULL);
    for (int64_t i = 0; i < d * l; i++) W[i] = mc_rng_normal(&rng);
    times_w(X, n, d, mean, W, l, Q, xc);
    orthonormalise(Q, n, l);
    for (int it = 0; it < n_iter; it++) {
        times_q(X, n, d, mean, Q, l, W);
        orthonormalise(W, d, l);
        times_w(X, n, d, mean, W, l, Q, xc);
        orthonormalise(Q, n, l);
    }
    times_q(X, n, d, mean, Q, l, W); /* W = Xc^T Q = (Q^T Xc)^T */
    for (int a = 0; a < l; a++)
        for (int b = 0; b < l; b++) {
            double s = 0;
            for (int64_t j = 0; j < d; j++) s += W[j * l + a] * W[j * l + b];
            G[a * l + b] = s;
        }
    /* LAPACK single-threaded (core.h: mc_threads_blas_serial_begin): dsyev's BLAS calls split by
     * OpenBLAS's thread count gave other bits with 1 core (e.g. a rank bound to a core by mpirun) */
    const int blas_prev = mc_threads_blas_serial_begin();
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)l, G, (lapack_int)l, ev);
    mc_threads_blas_serial_end(blas_prev);
    if (info != 0) {
        st = mc_error_set(MC_STATUS_NUMERIC, "randomised PCA: eigen-decomposition failed (LAPACK dsyev info %d)", (int)info);
        goto done;
    }
    double kept = 0;
    for (int c = 0; c < k; c++) {
        const int col = l - 1 - c; /* ascending eigenvalues */
        const double lam = ev[col] > 0 ? ev[col] : 0, s = sqrt(lam);
        kept += lam;
        out->singular_values[c] = s;
        out->explained_variance[c] = lam / (double)(n - 1);
        out->explained_variance_ratio[c] = total > 0 ? lam / total : 0;
        /* component v = W u / s; its scores Q u s; the sign from the largest |score| (svd_flip) */
        double best = -1, sign = 1;
        for (int64_t i = 0; i < n; i++) {
            double t = 0;
            for (int a = 0; a < l; a++) t += Q[i * l + a] * G[a * l + col];
            if (fabs(t) > best) {
                best = fabs(t);
                sign = t < 0 ? -1 : 1;
            }
        }
        double *v = out->components + (size_t)c * (size_t)d;
        const double inv = s > DBL_MIN ? sign / s : 0;
        for (int64_t j = 0; j < d; j++) {
            double t = 0;
            for (int a = 0; a < l; a++) t += W[j * l + a] * G[a * l + col];
            v[j] = t * inv;
        }
        if (Z)
            for (int64_t i = 0; i < n; i++) {
                double t = 0;
                for (int a = 0; a < l; a++) t += Q[i * l + a] * G[a * l + col];
                Z[i * k + c] = (float)(t * s * sign);
            }
    }
    /* what is left of the total variance, over the other m - k directions (sklearn noise_variance_) */
    out->noise_variance = m > k ? (total - kept > 0 ? total - kept : 0) / (double)(m - k) / (double)(n - 1) : 0.0;
done:
    mc_free(xc);
    mc_free(W);
    mc_free(Q);
    mc_free(G);
    mc_free(ev);
    if (st != MC_STATUS_OK) mc_cluster_pca_free(out);
    return st;
}
