/* embed: input checks, the PCA used for initialisation, and trustworthiness
 * (sklearn.manifold.trustworthiness). */
#include "embed_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <string.h>

void emb_csr_free(emb_csr *m) {
    if (!m) return;
    mc_free(m->indptr);
    mc_free(m->col);
    mc_free(m->val);
    memset(m, 0, sizeof *m);
}

mc_status emb_check_input(const char *what, const float *X, int64_t n, int d, int64_t min_n) {
    if (n < min_n)
        return mc_error_set(n < 1 ? MC_STATUS_EMPTY : MC_STATUS_INVALID_ARG, "%s: needs at least %lld points, got %lld",
                            what, (long long)min_n, (long long)n);
    if (d < 1) return mc_error_set(MC_STATUS_EMPTY, "%s: points have %d columns", what, d);
    if (!X) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: points are NULL", what);
    if (n > INT32_MAX - 1) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %lld points is too many", what, (long long)n);
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            if (!isfinite(X[i * d + j]))
                return mc_error_set(MC_STATUS_NUMERIC, "%s: row %lld has %s in column %d", what, (long long)i,
                                    isnan(X[i * d + j]) ? "NaN" : "Inf", j);
    return MC_STATUS_OK;
}


/* ---------------------------------------------------------------- PCA scores */

/* Orthonormalise the columns of A (m, l) row-major in place (Householder QR, LAPACK dgeqrf + dorgqr). */
static mc_status orthonormalise(double *A, int64_t m, int l, double *tau) {
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)m, l, A, l, tau) != 0 ||
        LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)m, l, l, A, l, tau) != 0)
        return mc_error_set(MC_STATUS_NUMERIC, "pca: QR factorisation failed");
    return MC_STATUS_OK;
}

static mc_status pca_scores(const float *X, int64_t n, int d, int nc, double *out) {
    if (nc < 1 || nc > d) return mc_error_set(MC_STATUS_INVALID_ARG, "pca: %d components of %d columns", nc, d);
    double *Xc = mc_alloc((size_t)n * d, sizeof(double)); // (n, d) centred
    double *mean = mc_alloc((size_t)d, sizeof(double));   // (d)
    if (!Xc || !mean) {
        mc_free(Xc), mc_free(mean);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < d; f++) mean[f] += X[i * d + f];
    for (int f = 0; f < d; f++) mean[f] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < d; f++) Xc[i * d + f] = (double)X[i * d + f] - mean[f];
    mc_status st = MC_STATUS_OK;
    if (d <= 2048) {
        /* Exact: eigenvectors of the scatter matrix Xc^T Xc (= the right singular vectors of Xc). */
        double *C = mc_alloc((size_t)d * d, sizeof(double)); // (d, d)
        double *w = mc_alloc((size_t)d, sizeof(double));     // (d) eigenvalues, ascending
        double *V = mc_alloc((size_t)d * nc, sizeof(double)); // (d, nc) top eigenvectors
        if (!C || !w || !V) st = MC_STATUS_NO_MEMORY;
        if (!st) {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, (int)n, 1.0, Xc, d, 0.0, C, d);
            if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', d, C, d, w) != 0)
                st = mc_error_set(MC_STATUS_NUMERIC, "pca: eigen-decomposition failed");
        }
        if (!st) {
            for (int f = 0; f < d; f++)
                for (int c = 0; c < nc; c++) V[f * nc + c] = C[(size_t)f * d + (d - 1 - c)];
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, nc, d, 1.0, Xc, d, V, nc, 0.0, out, nc);
        }
        mc_free(C), mc_free(w), mc_free(V);
    } else {
        /* Wide data: randomized range finder with 7 power iterations (Halko, Martinsson & Tropp 2011,
         * as sklearn's randomized_svd with n_oversamples 10), from a fixed stream. */
        const int l = nc + 10 < d ? nc + 10 : d;
        double *Q = mc_alloc((size_t)n * l, sizeof(double));  // (n, l)
        double *Z = mc_alloc((size_t)d * l, sizeof(double));  // (d, l)
        double *B = mc_alloc((size_t)l * l, sizeof(double));  // (l, l) Q^T Xc Xc^T Q
        double *w = mc_alloc((size_t)l, sizeof(double));      // (l)
        double *tau = mc_alloc((size_t)(n > d ? n : d), sizeof(double));
        if (!Q || !Z || !B || !w || !tau) st = MC_STATUS_NO_MEMORY;
        if (!st) {
            mc_rng r;
            mc_rng_seed(&r, 0, EMB_STREAM_TSNE_INIT);
            for (int64_t i = 0; i < (int64_t)d * l; i++) Z[i] = mc_rng_normal(&r);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, l, d, 1.0, Xc, d, Z, l, 0.0, Q, l);
            st = orthonormalise(Q, n, l, tau);
            for (int it = 0; it < 7 && !st; it++) {
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, l, (int)n, 1.0, Xc, d, Q, l, 0.0, Z, l);
                st = orthonormalise(Z, d, l, tau);
                if (st) break;
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, l, d, 1.0, Xc, d, Z, l, 0.0, Q, l);
                st = orthonormalise(Q, n, l, tau);
            }
        }
        if (!st) {
            /* B = (Q^T Xc)(Q^T Xc)^T; its eigenvectors u and values s^2 give the scores Q u s */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, l, (int)n, 1.0, Xc, d, Q, l, 0.0, Z, l);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l, l, d, 1.0, Z, l, Z, l, 0.0, B, l);
            if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', l, B, l, w) != 0)
                st = mc_error_set(MC_STATUS_NUMERIC, "pca: eigen-decomposition failed");
        }
        if (!st) {
            for (int64_t i = 0; i < n; i++)
                for (int c = 0; c < nc; c++) {
                    double s = 0;
                    for (int q = 0; q < l; q++) s += Q[i * l + q] * B[q * l + (l - 1 - c)];
                    out[i * nc + c] = s * sqrt(fmax(w[l - 1 - c], 0.0));
                }
        }
        mc_free(Q), mc_free(Z), mc_free(B), mc_free(w), mc_free(tau);
    }
    if (!st) {
        /* sklearn.utils.extmath.svd_flip(u_based_decision=True): the largest |score| (first one on
         * ties) of each component is made positive. */
        for (int c = 0; c < nc; c++) {
            int64_t arg = 0;
            for (int64_t i = 1; i < n; i++)
                if (fabs(out[i * nc + c]) > fabs(out[arg * nc + c])) arg = i;
            if (out[arg * nc + c] < 0)
                for (int64_t i = 0; i < n; i++) out[i * nc + c] = -out[i * nc + c];
        }
    }
    mc_free(Xc), mc_free(mean);
    return st;
}

mc_status emb_pca_scores(const float *X, int64_t n, int d, int nc, double *out) {
    /* BLAS/LAPACK single-threaded (core.h: mc_threads_blas_serial_begin) */
    int blas_prev = mc_threads_blas_serial_begin();
    mc_status st = pca_scores(X, n, d, nc, out);
    mc_threads_blas_serial_end(blas_prev);
    return st;
}

/* ---------------------------------------------------------------- trustworthiness */

mc_status mc_embed_trustworthiness(const float *X, int64_t n, int d, const float *Y, int dy, int k, int threads,
                                   double *out) {
    mc_status st = emb_check_input("trustworthiness X", X, n, d, 3);
    if (st) return st;
    st = emb_check_input("trustworthiness Y", Y, n, dy, 3);
    if (st) return st;
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "trustworthiness: out is NULL");
    /* sklearn: "n_neighbors (k) should be less than n_samples / 2" */
    if (k < 1 || (double)k >= (double)n / 2.0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "trustworthiness: k = %d must be >= 1 and < n / 2 = %g", k,
                            (double)n / 2.0);
    const int nt = mc_threads_resolve(threads);
    int32_t *nnY = mc_alloc((size_t)n * k, sizeof(int32_t)); // (n, k) neighbours in the embedding
    double *tmp = mc_alloc((size_t)n * k, sizeof(double));   // (n, k) their squared distances (unused)
    if (!nnY || !tmp) {
        mc_free(nnY), mc_free(tmp);
        return MC_STATUS_NO_MEMORY;
    }
    st = emb_knn_exact(Y, n, dy, k, nt, nnY, tmp);
    mc_free(tmp);
    if (st) {
        mc_free(nnY);
        return st;
    }
    /* Rows of X's distances, a block at a time: D = ||x_i||^2 - 2 x_i.x_l + ||x_l||^2 on centred
     * doubles (the same expression for every l, so the ranks are consistent). */
    int64_t RB = ((int64_t)1 << 21) / n;
    if (RB < 1) RB = 1;
    if (RB > 64) RB = 64;
    double *Xc = mc_alloc((size_t)n * d, sizeof(double));      // (n, d) centred
    double *nrm = mc_alloc((size_t)n, sizeof(double));         // (n)
    double *mean = mc_alloc((size_t)d, sizeof(double));        // (d)
    double *rows = mc_alloc((size_t)nt * RB * n, sizeof(double)); // (nt, RB, n) distance rows
    double *penalty = mc_alloc((size_t)n, sizeof(double));     // (n) sum_j max(0, r(i, j) - k) per row
    if (!Xc || !nrm || !mean || !rows || !penalty) {
        mc_free(nnY), mc_free(Xc), mc_free(nrm), mc_free(mean), mc_free(rows), mc_free(penalty);
        return MC_STATUS_NO_MEMORY;
    }
    emb_centre(X, n, d, mean, Xc, nrm);
    const int64_t nb = (n + RB - 1) / RB;
    const int blas_prev = mc_threads_blas_serial_begin();
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; b++) {
        double *D = rows + (size_t)omp_get_thread_num() * RB * n;
        const int64_t r0 = b * RB, rb = n - r0 < RB ? n - r0 : RB;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rb, (int)n, d, -2.0, Xc + r0 * d, d, Xc, d, 0.0, D,
                    (int)n);
        for (int64_t r = 0; r < rb; r++) {
            const int64_t i = r0 + r;
            double *Di = D + r * n;
            for (int64_t l = 0; l < n; l++) Di[l] += nrm[i] + nrm[l];
            /* targets: i's embedded neighbours, sorted by (distance in X, index) */
            double tv[64];
            int32_t tj[64];
            int64_t hist[65];
            int m = 0;
            double sum = 0;
            for (int q0 = 0; q0 < k; q0 += 64) {
                m = k - q0 < 64 ? k - q0 : 64;
                for (int q = 0; q < m; q++) {
                    tj[q] = nnY[i * k + q0 + q];
                    tv[q] = Di[tj[q]];
                }
                for (int a = 1; a < m; a++) { /* insertion sort on (tv, tj) */
                    double v = tv[a];
                    int32_t j = tj[a];
                    int c = a - 1;
                    while (c >= 0 && (tv[c] > v || (tv[c] == v && tj[c] > j))) {
                        tv[c + 1] = tv[c];
                        tj[c + 1] = tj[c];
                        c--;
                    }
                    tv[c + 1] = v;
                    tj[c + 1] = j;
                }
                /* hist[q]: points l (not i) that come before target q but not before target q - 1; the
                 * rank of target q is then 1 + hist[0] + ... + hist[q]. */
                memset(hist, 0, sizeof hist);
                const double vmax = tv[m - 1];
                const int32_t jmax = tj[m - 1];
                for (int64_t l = 0; l < n; l++) {
                    if (l == i) continue;
                    const double v = Di[l];
                    if (v > vmax || (v == vmax && l >= jmax)) continue;
                    int q = 0;
                    while (!(v < tv[q] || (v == tv[q] && l < tj[q]))) q++;
                    hist[q]++;
                }
                int64_t before = 0;
                for (int q = 0; q < m; q++) {
                    before += hist[q];
                    const int64_t rank = before + 1;
                    if (rank > k) sum += (double)(rank - k);
                }
            }
            penalty[i] = sum;
        }
    }
    mc_threads_blas_serial_end(blas_prev);
    double t = 0;
    for (int64_t i = 0; i < n; i++) t += penalty[i];
    const double nn = (double)n, kk = (double)k;
    *out = 1.0 - t * (2.0 / (nn * kk * (2.0 * nn - 3.0 * kk - 1.0)));
    mc_free(nnY), mc_free(Xc), mc_free(nrm), mc_free(mean), mc_free(rows), mc_free(penalty);
    return MC_STATUS_OK;
}

void emb_centre(const float *X, int64_t n, int d, double *mean, double *Xc, double *nrm) {
    for (int f = 0; f < d; f++) mean[f] = 0;
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < d; f++) mean[f] += X[i * d + f];
    for (int f = 0; f < d; f++) mean[f] /= (double)n;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int f = 0; f < d; f++) {
            double v = (double)X[i * d + f] - mean[f];
            Xc[i * d + f] = v;
            s += v * v;
        }
        nrm[i] = s;
    }
}
