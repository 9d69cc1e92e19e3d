/* cluster: z-score standardisation (sklearn StandardScaler) and PCA (sklearn PCA, svd_solver="full").
 *
 * PCA goes through the eigen-decomposition of the scatter matrix Xc^T Xc (d <= n) or of the Gram
 * matrix Xc Xc^T (d > n), in double with LAPACK dsyevd: the eigenvalues are the squared singular
 * values of Xc and the eigenvectors its right (or left) singular vectors, so the result is sklearn's
 * full SVD up to the sign of each component, which is then fixed as sklearn 1.2's svd_flip does. */
#include "cluster_internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- StandardScaler */

mc_status mc_cluster_scaler_fit(const float *X, int64_t n, int64_t d, mc_scaler *out) {
    memset(out, 0, sizeof *out);
    mc_status st = mc_cluster_check_input(X, n, d);
    if (st) return st;
    out->d = d;
    out->n_samples = n;
    out->mean = mc_alloc((size_t)d, sizeof(double));
    out->var = mc_alloc((size_t)d, sizeof(double));
    out->scale = mc_alloc((size_t)d, sizeof(double));
    if (!out->mean || !out->var || !out->scale) {
        mc_cluster_scaler_free(out);
        return MC_STATUS_NO_MEMORY;
    }
    /* Two passes in double (mean, then the sum of squared deviations): as accurate as sklearn's
     * _incremental_mean_and_var with float64 accumulators. */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) out->mean[j] += X[i * d + j];
    for (int64_t j = 0; j < d; j++) out->mean[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double t = X[i * d + j] - out->mean[j];
            out->var[j] += t * t;
        }
    for (int64_t j = 0; j < d; j++) {
        double v = out->var[j] / (double)n, m = out->mean[j];
        out->var[j] = v;
        /* sklearn.preprocessing._data._is_constant_feature: the variance is below what rounding in
         * its computation can produce, so the column is constant; and _handle_zeros_in_scale. */
        double eps = DBL_EPSILON, nn = (double)n;
        double bound = nn * eps * v + (nn * m * eps) * (nn * m * eps);
        double s = sqrt(v);
        out->scale[j] = (v <= bound || s < 10 * eps) ? 1.0 : s;
    }
    return MC_STATUS_OK;
}

mc_status mc_cluster_scaler_transform(const mc_scaler *s, const float *X, int64_t n, int64_t d,
                                      float *out) {
    if (!s || !s->mean) return mc_error_set(MC_STATUS_INVALID_ARG, "scaler is not fitted");
    if (d != s->d)
        return mc_error_set(MC_STATUS_INVALID_ARG, "scaler was fitted on %lld columns, got %lld",
                            (long long)s->d, (long long)d);
    if (n < 0 || (n > 0 && (!X || !out))) return mc_error_set(MC_STATUS_INVALID_ARG, "scaler: bad arrays");
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            out[i * d + j] = (float)(((double)X[i * d + j] - s->mean[j]) / s->scale[j]);
    return MC_STATUS_OK;
}

void mc_cluster_scaler_free(mc_scaler *s) {
    if (!s) return;
    mc_free(s->mean);
    mc_free(s->var);
    mc_free(s->scale);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- PCA */

void mc_cluster_pca_free(mc_pca *p) {
    if (!p) return;
    mc_free(p->mean);
    mc_free(p->components);
    mc_free(p->explained_variance);
    mc_free(p->explained_variance_ratio);
    mc_free(p->singular_values);
    memset(p, 0, sizeof *p);
}

static mc_status pca_fit(const float *X, int64_t n, int64_t d, int n_components, bool whiten,
                         mc_pca *out) {
    memset(out, 0, sizeof *out);
    mc_status st = mc_cluster_check_input(X, n, d);
    if (st) return st;
    if (n < 2) return mc_error_set(MC_STATUS_EMPTY, "PCA needs at least 2 points, got %lld", (long long)n);
    int64_t r = n < d ? n : d; /* number of singular values of Xc */
    if (n_components < 1 || n_components > r)
        return mc_error_set(MC_STATUS_INVALID_ARG, "PCA: n_components must be in 1..%lld (min(n, d)), got %d",
                            (long long)r, n_components);
    if (r > 46340) /* the eigenproblem is r x r doubles and LAPACK indexes it with int */
        return mc_error_set(MC_STATUS_UNSUPPORTED, "PCA: min(n, d) = %lld is too large for a dense "
                            "eigen-decomposition", (long long)r);
    const int nc = n_components;
    out->d = d;
    out->n_components = nc;
    out->n_samples = n;
    out->whiten = whiten;
    out->mean = mc_alloc((size_t)d, sizeof(double));
    out->components = mc_alloc((size_t)nc * (size_t)d, sizeof(double));
    out->explained_variance = mc_alloc((size_t)nc, sizeof(double));
    out->explained_variance_ratio = mc_alloc((size_t)nc, sizeof(double));
    out->singular_values = mc_alloc((size_t)nc, sizeof(double));
    double *Xc = mc_alloc((size_t)n * (size_t)d, sizeof(double)); // (n, d) centred, row-major
    double *S = mc_alloc((size_t)r * (size_t)r, sizeof(double));  // (r, r) scatter or Gram matrix
    double *w = mc_alloc((size_t)r, sizeof(double));              // (r) eigenvalues, ascending
    double *U = mc_alloc((size_t)n * (size_t)nc, sizeof(double)); // (n, nc) scores Xc V
    if (!out->mean || !out->components || !out->explained_variance || !out->explained_variance_ratio ||
        !out->singular_values || !Xc || !S || !w || !U) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) out->mean[j] += X[i * d + j];
    for (int64_t j = 0; j < d; j++) out->mean[j] /= (double)n;
    double trace = 0; /* sum of squares of Xc = sum of all eigenvalues, computed exactly */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double t = X[i * d + j] - out->mean[j];
            Xc[i * d + j] = t;
            trace += t * t;
        }
    const bool gram = d > n;
    /* S = Xc^T Xc (d, d) or Xc Xc^T (n, n), upper triangle. */
    if (!gram)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0, Xc, (int)d, 0.0, S, (int)d);
    else
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)d, 1.0, Xc, (int)d, 0.0, S, (int)n);
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)r, S, (lapack_int)r, w);
    if (info != 0) {
        st = mc_error_set(MC_STATUS_NUMERIC, "PCA: eigen-decomposition failed (LAPACK dsyevd info %d)", (int)info);
        goto done;
    }
    /* Eigenvalues come ascending with eigenvectors in the columns of S: component c is column
     * r-1-c. Rounding can make the (theoretically >= 0) smallest ones slightly negative. */
    for (int c = 0; c < nc; c++) {
        int64_t col = r - 1 - c;
        double lam = w[col] > 0 ? w[col] : 0;
        out->singular_values[c] = sqrt(lam);
        out->explained_variance[c] = lam / (double)(n - 1);
        out->explained_variance_ratio[c] = trace > 0 ? lam / trace : 0;
        double *v = out->components + (size_t)c * (size_t)d;
        if (!gram) {
            for (int64_t j = 0; j < d; j++) v[j] = S[j * r + col];
        } else {
            /* Right singular vector from the left one: v = Xc^T u / s (u = column col of S). */
            for (int64_t i = 0; i < n; i++) {
                double ui = S[i * r + col];
                for (int64_t j = 0; j < d; j++) v[j] += ui * Xc[i * d + j];
            }
            double norm = 0;
            for (int64_t j = 0; j < d; j++) norm += v[j] * v[j];
            norm = sqrt(norm);
            for (int64_t j = 0; j < d; j++) v[j] = norm > 0 ? v[j] / norm : 0;
        }
    }
    double rest = 0;
    for (int64_t c = nc; c < r; c++) rest += w[r - 1 - c] > 0 ? w[r - 1 - c] : 0;
    out->noise_variance = nc < r ? rest / (double)(r - nc) / (double)(n - 1) : 0.0;
    /* sklearn.utils.extmath.svd_flip(U, Vt, u_based_decision=True): for each component, the score
     * (column of U = Xc v / s) with the largest magnitude (first one on ties) is made positive. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, nc, (int)d, 1.0, Xc, (int)d,
                out->components, (int)d, 0.0, U, nc);
    for (int c = 0; c < nc; c++) {
        double best = -1;
        int64_t at = 0;
        for (int64_t i = 0; i < n; i++) {
            double a = fabs(U[i * nc + c]);
            if (a > best) {
                best = a;
                at = i;
            }
        }
        if (U[at * nc + c] < 0) {
            double *v = out->components + (size_t)c * (size_t)d;
            for (int64_t j = 0; j < d; j++) v[j] = -v[j];
        }
    }
    st = MC_STATUS_OK;
done:
    mc_free(Xc);
    mc_free(S);
    mc_free(w);
    mc_free(U);
    if (st) {
        mc_cluster_pca_free(out);
        if (st == MC_STATUS_NO_MEMORY) mc_error_set(st, "PCA: out of memory for %lld x %lld points", (long long)n, (long long)d);
    }
    return st;
}

mc_status mc_cluster_pca_fit(const float *X, int64_t n, int64_t d, int n_components, bool whiten,
                             mc_pca *out) {
    /* BLAS/LAPACK single-threaded (core.h: mc_threads_blas_serial_begin) */
    int blas_prev = mc_threads_blas_serial_begin();
    mc_status st = pca_fit(X, n, d, n_components, whiten, out);
    mc_threads_blas_serial_end(blas_prev);
    return st;
}

static mc_status pca_transform(const mc_pca *p, const float *X, int64_t n, int64_t d, float *Z) {
    if (!p || !p->components) return mc_error_set(MC_STATUS_INVALID_ARG, "PCA is not fitted");
    if (d != p->d)
        return mc_error_set(MC_STATUS_INVALID_ARG, "PCA was fitted on %lld columns, got %lld",
                            (long long)p->d, (long long)d);
    if (n < 0 || (n > 0 && (!X || !Z))) return mc_error_set(MC_STATUS_INVALID_ARG, "PCA: bad arrays");
    const int nc = p->n_components;
    /* Row blocks through dgemm: centred block (MC_CL_CHUNK, d) times components^T (d, nc). */
    double *buf = mc_alloc((size_t)MC_CL_CHUNK * (size_t)(d + nc) + (size_t)nc, sizeof(double));
    if (!buf) return MC_STATUS_NO_MEMORY;
    double *xc = buf;                                      // (CHUNK, d) centred rows
    double *z = buf + (size_t)MC_CL_CHUNK * (size_t)d;     // (CHUNK, nc) projections
    double *scale = z + (size_t)MC_CL_CHUNK * (size_t)nc;  // (nc) 1 / sqrt(explained variance) if whitening
    for (int c = 0; c < nc; c++)
        scale[c] = p->whiten ? (p->explained_variance[c] > 0 ? 1.0 / sqrt(p->explained_variance[c]) : 0.0) : 1.0;
    for (int64_t i0 = 0; i0 < n; i0 += MC_CL_CHUNK) {
        int64_t m = n - i0 < MC_CL_CHUNK ? n - i0 : MC_CL_CHUNK;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < d; j++) xc[i * d + j] = (double)X[(i0 + i) * d + j] - p->mean[j];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, nc, (int)d, 1.0, xc, (int)d,
                    p->components, (int)d, 0.0, z, nc);
        for (int64_t i = 0; i < m; i++)
            for (int c = 0; c < nc; c++) Z[(i0 + i) * nc + c] = (float)(z[i * nc + c] * scale[c]);
    }
    mc_free(buf);
    return MC_STATUS_OK;
}

mc_status mc_cluster_pca_transform(const mc_pca *p, const float *X, int64_t n, int64_t d, float *Z) {
    /* BLAS/LAPACK single-threaded (core.h: mc_threads_blas_serial_begin) */
    int blas_prev = mc_threads_blas_serial_begin();
    mc_status st = pca_transform(p, X, n, d, Z);
    mc_threads_blas_serial_end(blas_prev);
    return st;
}
