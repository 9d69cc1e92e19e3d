/* embed: t-SNE's input affinities (tsne.c runs the optimisation): per-row precisions by bisection on
 * the k-NN distances (sklearn _utils._binary_search_perplexity) and the symmetrised joint P
 * (_joint_probabilities_nn); emb_symmetrise also serves UMAP's fuzzy union. */
#include "embed_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- perplexity calibration */

void emb_tsne_binary_search(const double *d2, int64_t n, int k, double perplexity, int threads, double *P,
                            double *beta_out) {
    /* sklearn _binary_search_perplexity: 100 steps at most, |H - log(perplexity)| <= 1e-5 (nats), beta
     * doubled / halved until bracketed, then bisected; a row whose sum underflows uses 1e-8. */
    const double desired = log(perplexity);
#pragma omp parallel for num_threads(threads < 1 ? 1 : threads) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        const double *di = d2 + i * k;
        double *pi = P + i * k;
        double beta = 1.0, lo = -INFINITY, hi = INFINITY;
        for (int step = 0; step < 100; step++) {
            double sum = 0.0;
            for (int j = 0; j < k; j++) {
                pi[j] = exp(-di[j] * beta);
                sum += pi[j];
            }
            if (sum == 0.0) sum = 1e-8;
            double sdp = 0.0;
            for (int j = 0; j < k; j++) {
                pi[j] /= sum;
                sdp += di[j] * pi[j];
            }
            const double diff = log(sum) + beta * sdp - desired;
            if (fabs(diff) <= 1e-5) break;
            if (diff > 0.0) {
                lo = beta;
                beta = hi == INFINITY ? beta * 2.0 : (beta + hi) / 2.0;
            } else {
                hi = beta;
                beta = lo == -INFINITY ? beta / 2.0 : (beta + lo) / 2.0;
            }
        }
        if (beta_out) beta_out[i] = beta;
    }
}

/* ---------------------------------------------------------------- symmetric joint probabilities */

/* Sort a row's (col, val) pairs by column (insertion sort: a k-NN row holds k entries). */
static void sort_row(int32_t *c, double *v, int64_t m) {
    for (int64_t a = 1; a < m; a++) {
        int32_t cc = c[a];
        double vv = v[a];
        int64_t b = a - 1;
        while (b >= 0 && c[b] > cc) {
            c[b + 1] = c[b];
            v[b + 1] = v[b];
            b--;
        }
        c[b + 1] = cc;
        v[b + 1] = vv;
    }
}

/* M + M^T for the sparse M with rows (idx[i], C[i]) (n, k), merged per entry as
 * mode 0: a + b (t-SNE's P + P^T); mode 1: mix (a + b - a b) + (1 - mix) a b (UMAP's fuzzy union),
 * with a missing entry counting 0; the diagonal and zeros are dropped. Each row is the merge of its
 * own k entries (sorted) and its transposed entries, which arrive in increasing row order: O(nnz),
 * whatever the in-degrees. */
mc_status emb_symmetrise(const double *C, const int32_t *idx, int64_t n, int k, int mode, double mix, emb_csr *out) {
    memset(out, 0, sizeof *out);
    int64_t *tptr = mc_alloc((size_t)n + 1, sizeof(int64_t));   // (n + 1) transposed rows
    int32_t *tcol = mc_alloc((size_t)n * k, sizeof(int32_t));   // (n k)
    double *tval = mc_alloc((size_t)n * k, sizeof(double));     // (n k)
    int32_t *fcol = mc_alloc((size_t)n * k, sizeof(int32_t));   // (n k) forward rows, sorted
    double *fval = mc_alloc((size_t)n * k, sizeof(double));     // (n k)
    int64_t *ptr = mc_alloc((size_t)n + 1, sizeof(int64_t));    // (n + 1) result
    int32_t *col = mc_alloc((size_t)n * k * 2, sizeof(int32_t)); // (<= 2 n k)
    double *val = mc_alloc((size_t)n * k * 2, sizeof(double));   // (<= 2 n k)
    if (!tptr || !tcol || !tval || !fcol || !fval || !ptr || !col || !val) {
        mc_free(tptr), mc_free(tcol), mc_free(tval), mc_free(fcol), mc_free(fval), mc_free(ptr), mc_free(col),
            mc_free(val);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t e = 0; e < n * k; e++) tptr[idx[e] + 1]++;
    for (int64_t i = 0; i < n; i++) tptr[i + 1] += tptr[i];
    for (int64_t i = 0; i < n; i++)
        for (int q = 0; q < k; q++) {
            const int32_t j = idx[i * k + q];
            tcol[tptr[j]] = (int32_t)i;
            tval[tptr[j]++] = C[i * k + q];
        }
    for (int64_t i = n; i > 0; i--) tptr[i] = tptr[i - 1];
    tptr[0] = 0;
    memcpy(fcol, idx, (size_t)n * k * sizeof(int32_t));
    memcpy(fval, C, (size_t)n * k * sizeof(double));
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t *fc = fcol + i * k;
        double *fv = fval + i * k;
        sort_row(fc, fv, k);
        ptr[i] = w;
        int q = 0;
        int64_t t = tptr[i];
        while (q < k || t < tptr[i + 1]) {
            int32_t c;
            double a = 0, b = 0;
            if (t == tptr[i + 1] || (q < k && fc[q] < tcol[t])) {
                c = fc[q], a = fv[q++];
            } else if (q == k || tcol[t] < fc[q]) {
                c = tcol[t], b = tval[t++];
            } else {
                c = fc[q], a = fv[q++], b = tval[t++];
            }
            const double v = mode == 0 ? a + b : mix * (a + b - a * b) + (1.0 - mix) * (a * b);
            if (c != (int32_t)i && v != 0.0) { /* no self loops; scipy's eliminate_zeros */
                col[w] = c;
                val[w] = v;
                w++;
            }
        }
    }
    ptr[n] = w;
    mc_free(tptr), mc_free(tcol), mc_free(tval), mc_free(fcol), mc_free(fval);
    *out = (emb_csr){.n = n, .nnz = w, .indptr = ptr, .col = col, .val = val};
    return MC_STATUS_OK;
}

mc_status emb_tsne_joint(const double *C, const int32_t *idx, int64_t n, int k, emb_csr *P) {
    mc_status st = emb_symmetrise(C, idx, n, k, 0, 1.0, P);
    if (st) return st;
    double sum = 0.0;
    for (int64_t e = 0; e < P->nnz; e++) sum += P->val[e];
    sum = fmax(sum, DBL_EPSILON); /* np.maximum(P.sum(), MACHINE_EPSILON) */
    for (int64_t e = 0; e < P->nnz; e++) P->val[e] /= sum;
    return MC_STATUS_OK;
}
