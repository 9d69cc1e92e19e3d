/* Randomised truncated SVD of a sparse matrix, as sklearn.decomposition.TruncatedSVD
 * (algorithm='randomized', n_oversamples=10, n_iter=5) over sklearn.utils.extmath.randomized_svd:
 * Halko, Martinsson & Tropp (2011), "Finding structure with randomness", algorithm 4.4 (randomised
 * subspace iteration re-orthonormalised by QR, LAPACKE dgeqrf + dorgqr, once per iteration on the
 * smaller side and always on the range basis Q) followed by
 * algorithm 5.1 (SVD of the small matrix B = Q^T X with LAPACKE dgesdd). Everything dense is double
 * and row-major unless noted. */
#include "text_internal.h"

#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

void mc_text_svd_config_default(mc_svd_config *c) {
    /* Fields not named are 0: seed, threads (all cores). */
    *c = (mc_svd_config){.n_components = 2, .n_oversamples = 10, .n_iter = 5};
}

void mc_text_svd_free(mc_svd *s) {
    if (!s) return;
    mc_free(s->components);
    mc_free(s->singular_values);
    mc_free(s->explained_variance);
    mc_free(s->explained_variance_ratio);
    memset(s, 0, sizeof *s);
}

/* Y (A.n_rows, l) = A X with X (A.n_cols, l). One row of Y per iteration, so the sums are in the
 * same order for any thread count. */
static void spmm(const mc_csr *A, const double *X, int l, double *Y, int nt) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < A->n_rows; i++) {
        double *y = Y + i * l;
        for (int j = 0; j < l; j++) y[j] = 0.0;
        for (int64_t p = A->indptr[i]; p < A->indptr[i + 1]; p++) {
            double v = A->data[p];
            const double *x = X + (int64_t)A->indices[p] * l;
            /* independent outputs: vectorised without changing any sum's order */
#pragma omp simd
            for (int j = 0; j < l; j++) y[j] += v * x[j];
        }
    }
}

/* Replace Y (rows, l), rows >= l, by the orthonormal factor Q of its QR decomposition. */
static mc_status orthonormalize(double *Y, int64_t rows, int l, double *tau) {
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)rows, l, Y, l, tau);
    if (info == 0) info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)rows, l, l, Y, l, tau);
    if (info != 0)
        return mc_error_set(info < 0 ? MC_STATUS_INVALID_ARG : MC_STATUS_NUMERIC,
                            "svd: QR of a %lld x %d matrix failed (LAPACK info %d)", (long long)rows, l,
                            (int)info);
    return MC_STATUS_OK;
}

static mc_status svd_fit(const mc_svd_config *c, const mc_csr *X, mc_svd *out, float *Z) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "svd: out is NULL");
    memset(out, 0, sizeof *out);
    if (!c || !X || !X->indptr) return mc_error_set(MC_STATUS_INVALID_ARG, "svd: no config or matrix");
    const int64_t n = X->n_rows, m = X->n_cols;
    const int64_t nm = n < m ? n : m;
    const int k = c->n_components;
    if (n < 1 || m < 1) return mc_error_set(MC_STATUS_EMPTY, "svd: the matrix is %lld x %lld", (long long)n, (long long)m);
    if (k < 1 || k > nm)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd: n_components %d: need 1..min(rows, columns) = %lld", k,
                            (long long)nm);
    if (c->n_oversamples < 0 || c->n_iter < 0 || c->n_iter > 100)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd: n_oversamples %d / n_iter %d out of range",
                            c->n_oversamples, c->n_iter);
    if (n > INT32_MAX || m > INT32_MAX)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd: a %lld x %lld matrix is too large for LAPACK",
                            (long long)n, (long long)m);
    for (int64_t p = 0; p < mc_csr_nnz(X); p++)
        if (!isfinite(X->data[p]))
            return mc_error_set(MC_STATUS_NUMERIC, "svd: the matrix holds a NaN or Inf value");
    const int l = (int)((int64_t)k + c->n_oversamples < nm ? k + c->n_oversamples : nm);
    const int nt = c->threads > 0 ? c->threads : mc_threads_available();

    mc_csr Xt = {0};
    mc_status st = mc_text_csr_transpose(X, &Xt);
    if (st != MC_STATUS_OK) return st;
    double *Q = mc_alloc((size_t)n * l, sizeof *Q);      // (n, l)
    double *W = mc_alloc((size_t)m * l, sizeof *W);      // (m, l): Omega, then X^T Q
    double *tau = mc_alloc((size_t)l, sizeof *tau);      // (l)
    double *s = mc_alloc((size_t)l, sizeof *s);          // (l)
    double *Ub = mc_alloc((size_t)l * l, sizeof *Ub);    // (l, l) column-major
    double *VT = mc_alloc((size_t)l * m, sizeof *VT);    // (l, m) column-major, ld l
    double *U = mc_alloc((size_t)n * k, sizeof *U);      // (n, k)
    out->components = mc_alloc((size_t)k * m, sizeof *out->components);
    out->singular_values = mc_alloc((size_t)k, sizeof *out->singular_values);
    out->explained_variance = mc_alloc((size_t)k, sizeof *out->explained_variance);
    out->explained_variance_ratio = mc_alloc((size_t)k, sizeof *out->explained_variance_ratio);
    if (!Q || !W || !tau || !s || !Ub || !VT || !U || !out->components || !out->singular_values ||
        !out->explained_variance || !out->explained_variance_ratio)
        st = mc_error_set(MC_STATUS_NO_MEMORY, "svd: out of memory for a %lld x %lld matrix, %d components",
                          (long long)n, (long long)m, l);
    if (st == MC_STATUS_OK) {
        /* Gaussian test matrix (sklearn: random_state.normal(size=(n_features, l))). */
        mc_rng rng;
        mc_rng_seed(&rng, c->seed, 0x737664ULL /* "svd" */);
        for (int64_t i = 0; i < m * l; i++) W[i] = mc_rng_normal(&rng);
        spmm(X, W, l, Q, nt); /* Y = X Omega */
        st = orthonormalize(Q, n, l, tau);
    }
    for (int it = 0; st == MC_STATUS_OK && it < c->n_iter; it++) {
        /* Power iteration: the spectrum of (X X^T)^q X Omega decays faster, so the range of the top
         * k singular vectors is found more accurately; a QR after the products keeps the basis well
         * conditioned (Halko et al. algorithm 4.4). Q (n, l) is re-orthonormalised every iteration;
         * W (m, l) only when it is the smaller side: with many more terms than texts its QR would
         * cost most of the time, and one unnormalised half step loses at most (s_1 / s_l)^2 in
         * conditioning, harmless in double. */
        spmm(&Xt, Q, l, W, nt);
        if (m < n) st = orthonormalize(W, m, l, tau);
        if (st == MC_STATUS_OK) spmm(X, W, l, Q, nt);
        if (st == MC_STATUS_OK) st = orthonormalize(Q, n, l, tau);
    }
    if (st == MC_STATUS_OK) {
        /* B = Q^T X (l, m). W = X^T Q (m, l) row-major is B in column-major order with ld l. */
        spmm(&Xt, Q, l, W, nt);
        lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', l, (lapack_int)m, W, l, s, Ub, l, VT, l);
        if (info != 0)
            st = mc_error_set(MC_STATUS_NUMERIC, "svd: dgesdd of a %d x %lld matrix failed (LAPACK info %d)", l,
                              (long long)m, (int)info);
    }
    if (st == MC_STATUS_OK) {
        /* components_ = the first k rows of V^T, row-major; after that VT's memory is free and
         * holds Ub[:, :k] row-major (l, k), so that U = Q Ub[:, :k] (n, k) runs over contiguous
         * rows. */
        for (int j = 0; j < k; j++)
            for (int64_t col = 0; col < m; col++) out->components[(int64_t)j * m + col] = VT[j + col * l];
        double *UbK = VT; // (l, k) row-major, reusing VT's memory
        for (int r = 0; r < l; r++)
            for (int j = 0; j < k; j++) UbK[r * k + j] = Ub[r + j * l];
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            double *u = U + i * k;
            for (int j = 0; j < k; j++) u[j] = 0.0;
            for (int r = 0; r < l; r++) {
                double q = Q[i * l + r];
                const double *b = UbK + r * k;
#pragma omp simd
                for (int j = 0; j < k; j++) u[j] += q * b[j];
            }
        }
        /* Total variance of X: the sum of its column variances (sklearn: mean_variance_axis). */
        double total_var = 0;
        for (int64_t col = 0; col < m; col++) {
            double sum = 0, sq = 0;
            for (int64_t p = Xt.indptr[col]; p < Xt.indptr[col + 1]; p++) {
                sum += Xt.data[p];
                sq += (double)Xt.data[p] * Xt.data[p];
            }
            double mean = sum / (double)n;
            double v = sq / (double)n - mean * mean;
            total_var += v > 0 ? v : 0;
        }
        for (int j = 0; j < k; j++) {
            /* sklearn.utils.extmath.svd_flip (u_based_decision, what randomized_svd applies to the
             * original matrix): the entry of largest |value| in each column of U is made positive. */
            int64_t best = 0;
            double big = -1;
            for (int64_t i = 0; i < n; i++) {
                double a = fabs(U[i * k + j]);
                if (a > big) {
                    big = a;
                    best = i;
                }
            }
            double sign = U[best * k + j] < 0 ? -1.0 : 1.0;
            out->singular_values[j] = s[j];
            if (sign < 0)
                for (int64_t col = 0; col < m; col++) out->components[(int64_t)j * m + col] *= -1.0;
            /* TruncatedSVD: explained_variance_ = var(U * S, axis=0), over the total variance of X */
            double mean = 0, var = 0;
            for (int64_t i = 0; i < n; i++) {
                U[i * k + j] *= sign * s[j];
                mean += U[i * k + j];
            }
            mean /= (double)n;
            for (int64_t i = 0; i < n; i++) var += (U[i * k + j] - mean) * (U[i * k + j] - mean);
            var /= (double)n;
            out->explained_variance[j] = var;
            out->explained_variance_ratio[j] = total_var > 0 ? var / total_var : 0.0;
        }
        if (Z)
            for (int64_t i = 0; i < n * k; i++) Z[i] = (float)U[i];
        out->n_features = m;
        out->k = k;
    }
    mc_free(Q);
    mc_free(W);
    mc_free(tau);
    mc_free(s);
    mc_free(Ub);
    mc_free(VT);
    mc_free(U);
    mc_text_csr_free(&Xt);
    if (st != MC_STATUS_OK) mc_text_svd_free(out);
    return st;
}

mc_status mc_text_svd_fit(const mc_svd_config *c, const mc_csr *X, mc_svd *out, float *Z) {
    /* BLAS/LAPACK single-threaded (core.h: mc_threads_blas_serial_begin) */
    int blas_prev = mc_threads_blas_serial_begin();
    mc_status st = svd_fit(c, X, out, Z);
    mc_threads_blas_serial_end(blas_prev);
    return st;
}

mc_status mc_text_svd_transform(const mc_svd *s, const mc_csr *X, int threads, float *Z) {
    if (!s || !s->components || !X || !Z) return mc_error_set(MC_STATUS_INVALID_ARG, "svd transform: NULL argument");
    if (X->n_cols != s->n_features)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd transform: %lld columns, the SVD was fitted on %lld",
                            (long long)X->n_cols, (long long)s->n_features);
    const int k = s->k;
    const int64_t m = s->n_features;
    int nt = threads > 0 ? threads : mc_threads_available();
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < X->n_rows; i++) {
        for (int j = 0; j < k; j++) {
            const double *v = s->components + (int64_t)j * m;
            double z = 0;
            for (int64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) z += X->data[p] * v[X->indices[p]];
            Z[i * k + j] = (float)z;
        }
    }
    return MC_STATUS_OK;
}
