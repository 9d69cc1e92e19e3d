/* embed: t-SNE and UMAP pieces against their definitions and against scikit-learn 1.2 / scipy
 * (tests/fixtures/embed_fixture.h, written by tools/make_embed_fixtures.py): trustworthiness, the
 * exact and NN-descent k-NN, the perplexity calibration and sklearn's joint probabilities, sklearn's
 * PCA start, umap-learn's a/b fit, smooth k-NN distances and fuzzy union, the Lanczos spectral
 * initialisation against a dense eigen-decomposition; then whole runs: blobs kept apart, byte-identical
 * output for the same seed and for 1 vs 2 threads, and the edge cases (too few points, clamps,
 * duplicate points, NaN input, bad options). */
#include <musiclust/embed.h>

#include "embed/embed_internal.h"
#include "fixtures/embed_fixture.h"
#include "mc_test.h"

#include <lapacke.h>
#include <stdint.h>

/* k blobs in d dimensions: centres sep * N(0, I), points centre + N(0, I), labels uniform. */
static void blobs(int64_t n, int d, int k, double sep, uint64_t seed, float *X, int32_t *label) {
    mc_rng r;
    mc_rng_seed(&r, seed, 99);
    double *c = mc_test_xcalloc((size_t)k * d, sizeof *c);
    for (int i = 0; i < k * d; i++) c[i] = sep * mc_rng_normal(&r);
    for (int64_t i = 0; i < n; i++) {
        label[i] = (int32_t)mc_rng_below(&r, (uint64_t)k);
        for (int f = 0; f < d; f++) X[i * d + f] = (float)(c[label[i] * d + f] + mc_rng_normal(&r));
    }
    free(c);
}

static bool all_finite(const float *Y, int64_t m) {
    for (int64_t i = 0; i < m; i++)
        if (!isfinite(Y[i])) return false;
    return true;
}

/* Separation of the blobs in a 2-D map: the share of points whose nearest other point is in their
 * own blob, and the share whose own blob's centroid is the nearest centroid. */
static void separation(const float *Y, const int32_t *label, int64_t n, int k, double *nn_same, double *centroid_same) {
    double *cx = mc_test_xcalloc((size_t)k, sizeof *cx), *cy = mc_test_xcalloc((size_t)k, sizeof *cy);
    double *cnt = mc_test_xcalloc((size_t)k, sizeof *cnt);
    for (int64_t i = 0; i < n; i++) cx[label[i]] += Y[2 * i], cy[label[i]] += Y[2 * i + 1], cnt[label[i]]++;
    for (int c = 0; c < k; c++)
        if (cnt[c] > 0) cx[c] /= cnt[c], cy[c] /= cnt[c];
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < n; i++) {
        double best = INFINITY;
        int64_t arg = -1;
        for (int64_t j = 0; j < n; j++) {
            if (j == i) continue;
            const double dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1], dd = dx * dx + dy * dy;
            if (dd < best) best = dd, arg = j;
        }
        a += label[arg] == label[i];
        int bc = -1;
        best = INFINITY;
        for (int c = 0; c < k; c++) {
            if (cnt[c] == 0) continue;
            double dd = (Y[2 * i] - cx[c]) * (Y[2 * i] - cx[c]) + (Y[2 * i + 1] - cy[c]) * (Y[2 * i + 1] - cy[c]);
            if (dd < best) best = dd, bc = c;
        }
        b += bc == label[i];
    }
    *nn_same = (double)a / (double)n;
    *centroid_same = (double)b / (double)n;
    free(cx), free(cy), free(cnt);
}

/* ---------------------------------------------------------------- trustworthiness */

static void test_trustworthiness(void) {
    printf("trustworthiness vs sklearn.manifold.trustworthiness:\n");
    double worst = 0;
    for (int c = 0; c < 4; c++) {
        double t = NAN;
        MC_CHECK_OK(mc_embed_trustworthiness(emb_fx_X, EMB_FX_N, EMB_FX_D, emb_fx_map, 2, emb_fx_trust_k[c], 2, &t));
        double dd = fabs(t - emb_fx_trust[c]);
        if (dd > worst) worst = dd;
        MC_CHECK(dd <= 1e-12, "k = %d: %.17g, sklearn %.17g", emb_fx_trust_k[c], t, emb_fx_trust[c]);
    }
    printf("  k = 1, 5, 10, 20: max |diff| = %.3g (tol 1e-12)\n", worst);
    /* a map with exact ties: sklearn's kNN breaks them its own way (tree order), musiclust by index, so
     * only closeness is required */
    double t = NAN;
    MC_CHECK_OK(mc_embed_trustworthiness(emb_fx_X, EMB_FX_N, EMB_FX_D, emb_fx_grid, 2, 5, 1, &t));
    printf("  tied map, k = 5: %.6f, sklearn %.6f (|diff| %.3g, tol 0.02)\n", t, EMB_FX_TRUST_GRID, fabs(t - EMB_FX_TRUST_GRID));
    MC_CHECK(fabs(t - EMB_FX_TRUST_GRID) <= 0.02, "tied map: %.6f vs sklearn %.6f", t, EMB_FX_TRUST_GRID);
    /* identity map: 1 */
    MC_CHECK_OK(mc_embed_trustworthiness(emb_fx_X, EMB_FX_N, EMB_FX_D, emb_fx_X, EMB_FX_D, 10, 1, &t));
    MC_CHECK(t == 1.0, "X mapped to itself: %.17g", t);
    /* sklearn's bound: k < n / 2 */
    MC_CHECK(mc_embed_trustworthiness(emb_fx_X, EMB_FX_N, EMB_FX_D, emb_fx_map, 2, 75, 1, &t) == MC_STATUS_INVALID_ARG,
             "k = n / 2 is rejected");
    MC_CHECK(strstr(mc_error_message(), "n / 2") != NULL, "message: %s", mc_error_message());
}

/* ---------------------------------------------------------------- k-NN */

static void test_knn(void) {
    printf("k-NN:\n");
    const int64_t n = 300;
    const int d = 5, k = 12;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    mc_rng r;
    mc_rng_seed(&r, 5, 0);
    for (int64_t i = 0; i < n * d; i++) X[i] = (float)(100.0 + mc_rng_normal(&r)); /* far from 0: cancellation */
    for (int f = 0; f < d; f++) X[7 * d + f] = X[3 * d + f];                        /* a duplicate pair */
    int32_t *idx = mc_test_xcalloc((size_t)n * k, sizeof *idx);
    float *dist = mc_test_xcalloc((size_t)n * k, sizeof *dist);
    MC_CHECK_OK(mc_embed_knn(X, n, d, k, MC_EMBED_KNN_EXACT, 0, 0, 2, idx, dist));
    /* brute force in double, ties by index */
    int64_t bad = 0;
    double worst = 0;
    double *row = mc_test_xcalloc((size_t)n, sizeof *row);
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int f = 0; f < d; f++) s += ((double)X[i * d + f] - X[j * d + f]) * ((double)X[i * d + f] - X[j * d + f]);
            row[j] = j == i ? INFINITY : s;
        }
        for (int q = 0; q < k; q++) {
            int64_t best = -1;
            for (int64_t j = 0; j < n; j++)
                if (row[j] < INFINITY && (best < 0 || row[j] < row[best])) best = j;
            if (idx[i * k + q] != best) bad++;
            double dd = fabs(dist[i * k + q] - sqrt(row[best]));
            if (dd > worst) worst = dd;
            row[best] = INFINITY;
        }
    }
    printf("  exact: %lld of %lld neighbours differ from brute force; max |distance diff| = %.3g\n", (long long)bad,
           (long long)(n * k), worst);
    MC_CHECK(bad == 0, "exact k-NN: %lld neighbours differ", (long long)bad);
    MC_CHECK(worst <= 1e-5, "distances: max diff %.3g", worst);
    MC_CHECK(idx[3 * k] == 7 && dist[3 * k] == 0.0f && idx[7 * k] == 3, "duplicate rows are each other's nearest, at 0");
    free(row);
    free(X), free(idx), free(dist);

    /* NN-descent: recall against exact on clustered data, and the same graph for 1 and 2 threads */
    const int64_t m = 3000;
    const int dd = 16, kk = 15;
    float *B = mc_test_xcalloc((size_t)m * dd, sizeof *B);
    int32_t *lab = mc_test_xcalloc((size_t)m, sizeof *lab);
    blobs(m, dd, 10, 1.0, 3, B, lab);
    int32_t *ex = mc_test_xcalloc((size_t)m * kk, sizeof *ex), *a1 = mc_test_xcalloc((size_t)m * kk, sizeof *a1),
            *a2 = mc_test_xcalloc((size_t)m * kk, sizeof *a2);
    MC_CHECK_OK(mc_embed_knn(B, m, dd, kk, MC_EMBED_KNN_EXACT, 0, 0, 2, ex, NULL));
    MC_CHECK_OK(mc_embed_knn(B, m, dd, kk, MC_EMBED_KNN_NNDESCENT, 0, 11, 1, a1, NULL));
    MC_CHECK_OK(mc_embed_knn(B, m, dd, kk, MC_EMBED_KNN_NNDESCENT, 0, 11, 2, a2, NULL));
    int64_t hit = 0;
    for (int64_t i = 0; i < m; i++)
        for (int q = 0; q < kk; q++)
            for (int p = 0; p < kk; p++) hit += a1[i * kk + q] == ex[i * kk + p];
    const double recall = (double)hit / (double)(m * kk);
    printf("  NN-descent on %lld x %d blobs, k = %d: recall %.4f (threshold 0.95)\n", (long long)m, dd, kk, recall);
    MC_CHECK(recall >= 0.95, "NN-descent recall %.4f", recall);
    MC_CHECK(memcmp(a1, a2, (size_t)m * kk * sizeof *a1) == 0, "NN-descent: 1 and 2 threads give the same graph");
    MC_CHECK(mc_embed_knn(B, m, dd, (int)m, MC_EMBED_KNN_EXACT, 0, 0, 1, ex, NULL) == MC_STATUS_INVALID_ARG, "k = n rejected");
    free(B), free(lab), free(ex), free(a1), free(a2);
}

/* ---------------------------------------------------------------- t-SNE pieces */

static void test_tsne_pieces(void) {
    printf("t-SNE affinities and start:\n");
    const int64_t n = EMB_FX_N;
    const int k = EMB_FX_K;
    int32_t *idx = mc_test_xcalloc((size_t)n * k, sizeof *idx);
    double *d2 = mc_test_xcalloc((size_t)n * k, sizeof *d2), *C = mc_test_xcalloc((size_t)n * k, sizeof *C), *beta = mc_test_xcalloc((size_t)n, sizeof *beta);
    MC_CHECK_OK(emb_knn_exact(emb_fx_X, n, EMB_FX_D, k, 2, idx, d2));
    for (int64_t e = 0; e < n * k; e++) d2[e] = (float)d2[e]; /* as mc_embed_tsne and sklearn */
    /* perplexity calibration: each conditional row's entropy (nats) is log(perplexity) to 1e-5 */
    for (int trial = 0; trial < 2; trial++) {
        const double perp = trial == 0 ? EMB_FX_PERPLEXITY : 12.5;
        emb_tsne_binary_search(d2, n, k, perp, 2, C, beta);
        double worst = 0, wsum = 0;
        for (int64_t i = 0; i < n; i++) {
            double h = 0, s = 0;
            for (int j = 0; j < k; j++) {
                const double p = C[i * k + j];
                if (p > 0) h -= p * log(p);
                s += p;
            }
            worst = fmax(worst, fabs(h - log(perp)));
            wsum = fmax(wsum, fabs(s - 1.0));
        }
        printf("  perplexity %g: max |H(P_i) - log(perplexity)| = %.3g (tol 1e-5), max |sum - 1| = %.3g\n", perp, worst, wsum);
        MC_CHECK(worst <= 1e-5, "perplexity %g: entropy off by %.3g", perp, worst);
        MC_CHECK(wsum <= 1e-12, "rows sum to 1 (off by %.3g)", wsum);
    }
    emb_tsne_binary_search(d2, n, k, EMB_FX_PERPLEXITY, 1, C, beta);
    emb_csr P;
    MC_CHECK_OK(emb_tsne_joint(C, idx, n, k, &P));
    bool same_pattern = P.nnz == EMB_FX_P_NNZ;
    for (int64_t i = 0; same_pattern && i <= n; i++) same_pattern = P.indptr[i] == emb_fx_P_indptr[i];
    for (int64_t e = 0; same_pattern && e < P.nnz; e++) same_pattern = P.col[e] == emb_fx_P_col[e];
    MC_CHECK(same_pattern, "P has sklearn's sparsity pattern (nnz %lld vs %d)", (long long)P.nnz, EMB_FX_P_NNZ);
    if (same_pattern) {
        double worst = 0, pmax = 0, sum = 0;
        for (int64_t e = 0; e < P.nnz; e++) {
            worst = fmax(worst, fabs(P.val[e] - emb_fx_P_val[e]) / emb_fx_P_val[e]);
            pmax = fmax(pmax, P.val[e]);
            sum += P.val[e];
        }
        printf("  joint P vs sklearn _joint_probabilities_nn: max relative diff = %.3g (tol 1e-6), sum %.15f\n", worst, sum);
        MC_CHECK(worst <= 1e-6, "P: max relative diff %.3g", worst);
        MC_CHECK(fabs(sum - 1.0) <= 1e-12, "P sums to 1 (%.17g)", sum);
    }
    /* symmetric */
    int64_t asym = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = P.indptr[i]; e < P.indptr[i + 1]; e++) {
            const int32_t j = P.col[e];
            bool found = false;
            for (int64_t f = P.indptr[j]; f < P.indptr[j + 1]; f++)
                if (P.col[f] == i) found = P.val[f] == P.val[e];
            asym += !found;
        }
    MC_CHECK(asym == 0, "P is symmetric (%lld entries without an equal mirror)", (long long)asym);
    emb_csr_free(&P);

    /* sklearn's init='pca' */
    double *Y0 = mc_test_xcalloc((size_t)n * 2, sizeof *Y0);
    MC_CHECK_OK(emb_tsne_init(emb_fx_X, n, EMB_FX_D, MC_TSNE_INIT_PCA, 0, Y0));
    double worst = 0;
    for (int64_t i = 0; i < 2 * n; i++) worst = fmax(worst, fabs(Y0[i] - emb_fx_init[i]));
    printf("  init='pca' vs sklearn: max |diff| = %.3g (coordinates ~1e-4; tol 1e-9)\n", worst);
    MC_CHECK(worst <= 1e-9, "pca init: max diff %.3g", worst);
    free(Y0);
    free(idx), free(d2), free(C), free(beta);
}

/* ---------------------------------------------------------------- t-SNE runs */

static void test_tsne(void) {
    printf("t-SNE runs:\n");
    /* the fixture's 150 points, perplexity 5: close to sklearn's optimum */
    float *Y = mc_test_xcalloc((size_t)EMB_FX_N * 2, sizeof *Y);
    mc_tsne_opts o;
    mc_tsne_opts_default(&o);
    o.perplexity = EMB_FX_PERPLEXITY;
    o.threads = 1;
    mc_tsne_info info;
    MC_CHECK_OK(mc_embed_tsne(emb_fx_X, EMB_FX_N, EMB_FX_D, &o, Y, &info));
    double t = 0;
    MC_CHECK_OK(mc_embed_trustworthiness(emb_fx_X, EMB_FX_N, EMB_FX_D, Y, 2, 10, 1, &t));
    printf("  fixture (150 x 8, perplexity 5): KL %.4f (sklearn %.4f), trustworthiness %.4f (sklearn %.4f), %d iterations, "
           "learning rate %.1f\n",
           info.kl_divergence, EMB_FX_TSNE_KL, t, EMB_FX_TSNE_TRUST, info.n_iter, info.learning_rate);
    MC_CHECK(info.n_neighbors == EMB_FX_K && info.learning_rate == 50.0, "k %d, rate %g", info.n_neighbors, info.learning_rate);
    MC_CHECK(info.kl_divergence <= 1.15 * EMB_FX_TSNE_KL, "KL %.4f vs sklearn %.4f", info.kl_divergence, EMB_FX_TSNE_KL);
    MC_CHECK(t >= EMB_FX_TSNE_TRUST - 0.02, "trustworthiness %.4f vs sklearn %.4f", t, EMB_FX_TSNE_TRUST);
    free(Y);

    /* 10 blobs: kept apart, and the same bytes for a seed whatever the thread count */
    const int64_t n = 300;
    const int d = 16;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    int32_t *lab = mc_test_xcalloc((size_t)n, sizeof *lab);
    blobs(n, d, 10, 2.0, 1, X, lab);
    float *Y1 = mc_test_xcalloc((size_t)n * 2, sizeof *Y1), *Y2 = mc_test_xcalloc((size_t)n * 2, sizeof *Y2), *Y3 = mc_test_xcalloc((size_t)n * 2, sizeof *Y3);
    mc_tsne_opts_default(&o);
    o.seed = 3;
    o.threads = 1;
    MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y1, &info));
    MC_CHECK(all_finite(Y1, n * 2), "finite output");
    MC_CHECK_OK(mc_embed_trustworthiness(X, n, d, Y1, 2, 10, 1, &t));
    double nn_same = 0, cen_same = 0;
    separation(Y1, lab, n, 10, &nn_same, &cen_same);
    printf("  10 blobs (300 x 16): trustworthiness %.4f, nearest point in own blob %.1f%%, nearest centroid own %.1f%%, KL %.3f\n",
           t, 100 * nn_same, 100 * cen_same, info.kl_divergence);
    MC_CHECK(t >= 0.93, "blobs: trustworthiness %.4f", t);
    MC_CHECK(nn_same >= 0.99 && cen_same >= 0.99, "blobs kept apart: %.3f %.3f", nn_same, cen_same);
    /* determinism (260 iterations: the exaggeration phase and 10 more) */
    o.n_iter = 260;
    o.threads = 2;
    MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y1, NULL));
    MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y2, NULL));
    o.threads = 1;
    MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y3, NULL));
    MC_CHECK(memcmp(Y1, Y2, (size_t)n * 2 * sizeof *Y1) == 0, "same seed, 2 threads twice: identical bytes");
    MC_CHECK(memcmp(Y1, Y3, (size_t)n * 2 * sizeof *Y1) == 0, "1 thread vs 2 threads: identical bytes");
    /* random init: the seed matters, and is repeatable */
    o.init = MC_TSNE_INIT_RANDOM;
    MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y1, NULL));
    MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y2, NULL));
    o.seed = 4;
    MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y3, NULL));
    MC_CHECK(memcmp(Y1, Y2, (size_t)n * 2 * sizeof *Y1) == 0, "random init: same seed, same bytes");
    MC_CHECK(memcmp(Y1, Y3, (size_t)n * 2 * sizeof *Y1) != 0, "random init: another seed, another map");
    free(X), free(lab), free(Y1), free(Y2), free(Y3);
}

static void test_tsne_edges(void) {
    printf("t-SNE edge cases:\n");
    const int d = 4;
    float X[60 * 4];
    mc_rng r;
    mc_rng_seed(&r, 1, 0);
    for (int i = 0; i < 60 * d; i++) X[i] = (float)mc_rng_normal(&r);
    float Y[60 * 2];
    mc_tsne_opts o;
    mc_tsne_opts_default(&o);
    o.threads = 1;
    /* perplexity >= n: sklearn's ValueError */
    MC_CHECK(mc_embed_tsne(X, 20, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "perplexity 30 with 20 points rejected");
    MC_CHECK(strstr(mc_error_message(), "perplexity") != NULL, "message: %s", mc_error_message());
    /* n < 3 perplexity + 1: k clamps to n - 1 (sklearn) */
    o.perplexity = 10;
    mc_tsne_info info;
    MC_CHECK_OK(mc_embed_tsne(X, 20, d, &o, Y, &info));
    MC_CHECK(info.n_neighbors == 19 && all_finite(Y, 40), "n = 20, perplexity 10: k = %d (19), finite", info.n_neighbors);
    /* duplicate points: half of them copies, then all identical */
    float D[60 * 4];
    memcpy(D, X, sizeof D);
    for (int i = 30; i < 60; i++)
        for (int f = 0; f < d; f++) D[i * d + f] = D[(i - 30) * d + f];
    MC_CHECK_OK(mc_embed_tsne(D, 60, d, &o, Y, NULL));
    MC_CHECK(all_finite(Y, 120), "half duplicates: finite");
    for (int i = 0; i < 60 * d; i++) D[i] = 1.5f;
    MC_CHECK_OK(mc_embed_tsne(D, 60, d, &o, Y, NULL));
    MC_CHECK(all_finite(Y, 120), "all points identical: finite");
    /* NaN: a clear error naming the row */
    memcpy(D, X, sizeof D);
    D[3 * d + 2] = NAN;
    MC_CHECK(mc_embed_tsne(D, 60, d, &o, Y, NULL) == MC_STATUS_NUMERIC, "NaN rejected");
    MC_CHECK(strstr(mc_error_message(), "row 3") != NULL && strstr(mc_error_message(), "NaN") != NULL, "message: %s",
             mc_error_message());
    D[3 * d + 2] = INFINITY;
    MC_CHECK(mc_embed_tsne(D, 60, d, &o, Y, NULL) == MC_STATUS_NUMERIC, "Inf rejected");
    /* options and arguments */
    MC_CHECK(mc_embed_tsne(X, 1, d, &o, Y, NULL) != MC_STATUS_OK, "one point rejected");
    MC_CHECK(mc_embed_tsne(NULL, 60, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "NULL X rejected");
    MC_CHECK(mc_embed_tsne(X, 60, d, &o, NULL, NULL) == MC_STATUS_INVALID_ARG, "NULL Y rejected");
    o.n_iter = 100;
    MC_CHECK(mc_embed_tsne(X, 60, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "n_iter < 250 rejected (sklearn)");
    o.n_iter = 1000;
    o.angle = 1.5;
    MC_CHECK(mc_embed_tsne(X, 60, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "angle > 1 rejected");
    o.angle = 0.5;
    o.perplexity = -1;
    MC_CHECK(mc_embed_tsne(X, 60, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "negative perplexity rejected");
    /* one input column */
    o.perplexity = 5;
    o.n_iter = 300;
    MC_CHECK_OK(mc_embed_tsne(X, 60, 1, &o, Y, NULL));
    MC_CHECK(all_finite(Y, 120), "one input column: finite");
}

/* ---------------------------------------------------------------- UMAP pieces */

/* find_ab_params' least-squares cost at (a, b). */
static double ab_cost(double spread, double min_dist, double a, double b) {
    double c = 0;
    for (int i = 0; i < 300; i++) {
        const double x = 3.0 * spread * i / 299.0, y = x < min_dist ? 1.0 : exp(-(x - min_dist) / spread);
        const double r = 1.0 / (1.0 + a * (x > 0 ? pow(x, 2 * b) : 0.0)) - y;
        c += r * r;
    }
    return c;
}

static void test_umap_pieces(void) {
    printf("UMAP pieces:\n");
    /* a, b against scipy's curve_fit, and umap-learn's well-known values for the defaults */
    double worst = 0;
    for (int c = 0; c < 4; c++) {
        double a = 0, b = 0;
        MC_CHECK_OK(mc_embed_umap_find_ab(emb_fx_ab_in[2 * c], emb_fx_ab_in[2 * c + 1], &a, &b));
        const double da = fabs(a - emb_fx_ab_out[2 * c]), db = fabs(b - emb_fx_ab_out[2 * c + 1]);
        worst = fmax(worst, fmax(da, db));
        MC_CHECK(da <= 1e-6 && db <= 1e-6, "spread %g min_dist %g: a %.9f b %.9f, scipy %.9f %.9f", emb_fx_ab_in[2 * c],
                 emb_fx_ab_in[2 * c + 1], a, b, emb_fx_ab_out[2 * c], emb_fx_ab_out[2 * c + 1]);
        const double co = ab_cost(emb_fx_ab_in[2 * c], emb_fx_ab_in[2 * c + 1], a, b),
                     cs = ab_cost(emb_fx_ab_in[2 * c], emb_fx_ab_in[2 * c + 1], emb_fx_ab_out[2 * c], emb_fx_ab_out[2 * c + 1]);
        MC_CHECK(co <= cs * (1 + 1e-14), "cost %.17g above scipy's %.17g", co, cs);
    }
    printf("  find_ab_params vs scipy curve_fit, 4 cases: max |diff| = %.3g (tol 1e-6; the least-squares cost is never above "
           "scipy's, which stops at xtol 1.5e-8)\n",
           worst);
    double a = 0, b = 0;
    MC_CHECK_OK(mc_embed_umap_find_ab(1.0, 0.1, &a, &b));
    printf("  min_dist 0.1, spread 1: a = %.6f, b = %.6f (umap-learn: 1.577, 0.895)\n", a, b);
    MC_CHECK(fabs(a - 1.577) < 1e-3 && fabs(b - 0.895) < 1e-3, "a %.6f b %.6f", a, b);
    MC_CHECK(mc_embed_umap_find_ab(0.0, 0.1, &a, &b) == MC_STATUS_INVALID_ARG, "spread 0 rejected");

    /* smooth k-NN distances: sum_j exp(-max(0, d - rho) / sigma) = log2(k) */
    const int64_t n = EMB_FX_N;
    const int k = 15;
    int32_t *nidx = mc_test_xcalloc((size_t)n * (k - 1), sizeof *nidx), *idx = mc_test_xcalloc((size_t)n * k, sizeof *idx);
    double *nd2 = mc_test_xcalloc((size_t)n * (k - 1), sizeof *nd2), *dist = mc_test_xcalloc((size_t)n * k, sizeof *dist);
    double *sigma = mc_test_xcalloc((size_t)n, sizeof *sigma), *rho = mc_test_xcalloc((size_t)n, sizeof *rho);
    MC_CHECK_OK(emb_knn_exact(emb_fx_X, n, EMB_FX_D, k - 1, 1, nidx, nd2));
    for (int64_t i = 0; i < n; i++) {
        idx[i * k] = (int32_t)i;
        for (int j = 1; j < k; j++) idx[i * k + j] = nidx[i * (k - 1) + j - 1], dist[i * k + j] = sqrt(nd2[i * (k - 1) + j - 1]);
    }
    emb_umap_smooth_knn(dist, n, k, 1.0, 1.0, sigma, rho);
    worst = 0;
    int64_t rho_ok = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 1; j < k; j++) s += exp(-fmax(0.0, dist[i * k + j] - rho[i]) / sigma[i]);
        worst = fmax(worst, fabs(s - log2((double)k)));
        rho_ok += rho[i] == dist[i * k + 1];
    }
    printf("  smooth_knn_dist: max |sum exp(-(d - rho) / sigma) - log2(15)| = %.3g (tol 1e-5)\n", worst);
    MC_CHECK(worst <= 1e-5, "smooth kNN: off by %.3g", worst);
    MC_CHECK(rho_ok == n, "rho = nearest positive distance for every row (%lld of %lld)", (long long)rho_ok, (long long)n);

    /* fuzzy union: symmetric, values in (0, 1], no self loops */
    emb_csr G;
    MC_CHECK_OK(emb_umap_fuzzy_graph(idx, dist, sigma, rho, n, k, 1.0, &G));
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = G.indptr[i]; e < G.indptr[i + 1]; e++) {
            const int32_t j = G.col[e];
            if (j == i || !(G.val[e] > 0 && G.val[e] <= 1)) bad++;
            bool found = false;
            for (int64_t f = G.indptr[j]; f < G.indptr[j + 1]; f++)
                if (G.col[f] == i) found = G.val[f] == G.val[e];
            bad += !found;
        }
    MC_CHECK(bad == 0, "fuzzy graph symmetric, in (0, 1], no self loops (%lld bad entries)", (long long)bad);

    /* the spectral start: Lanczos against a dense eigen-decomposition of D^-1/2 W D^-1/2 */
    double *M = mc_test_xcalloc((size_t)n * n, sizeof *M), *ev = mc_test_xcalloc((size_t)n, sizeof *ev), *deg = mc_test_xcalloc((size_t)n, sizeof *deg);
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = G.indptr[i]; e < G.indptr[i + 1]; e++) deg[i] += G.val[e];
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = G.indptr[i]; e < G.indptr[i + 1]; e++) M[i * n + G.col[e]] = G.val[e] / sqrt(deg[i] * deg[G.col[e]]);
    MC_CHECK(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, M, (lapack_int)n, ev) == 0, "dense eigen-decomposition");
    /* the graph of 3 well-separated blobs has 3 pieces: check the Lanczos solver on one piece */
    int comps = 0;
    double resid = 0;
    double *lay = mc_test_xcalloc((size_t)n * 2, sizeof *lay);
    MC_CHECK_OK(emb_spectral_layout(&G, emb_fx_X, EMB_FX_D, 2, 0, 1, lay, &comps, &resid));
    printf("  fixture graph: %d connected piece(s), largest Lanczos residual %.3g\n", comps, resid);
    MC_CHECK(comps == 3, "3 blobs give 3 pieces (%d)", comps);
    int64_t fin = 0;
    for (int64_t i = 0; i < 2 * n; i++) fin += isfinite(lay[i]);
    MC_CHECK(fin == 2 * n, "multi-component layout finite");
    free(M), free(ev), free(deg), free(lay);
    emb_csr_free(&G);

    /* one connected graph (a union with a chain through all points): Lanczos vs dense */
    {
        const int64_t m = 120;
        float *Xc = mc_test_xcalloc((size_t)m * 3, sizeof *Xc);
        mc_rng r;
        mc_rng_seed(&r, 8, 0);
        for (int64_t i = 0; i < m * 3; i++) Xc[i] = (float)mc_rng_normal(&r);
        const int kk = 8;
        int32_t *ni = mc_test_xcalloc((size_t)m * kk, sizeof *ni);
        double *nd = mc_test_xcalloc((size_t)m * kk, sizeof *nd), *w = mc_test_xcalloc((size_t)m * kk, sizeof *w);
        MC_CHECK_OK(emb_knn_exact(Xc, m, 3, kk, 1, ni, nd));
        for (int64_t i = 0; i < m * kk; i++) w[i] = exp(-nd[i]);
        emb_csr H;
        MC_CHECK_OK(emb_symmetrise(w, ni, m, kk, 1, 1.0, &H));
        double *Md = mc_test_xcalloc((size_t)m * m, sizeof *Md), *evd = mc_test_xcalloc((size_t)m, sizeof *evd), *dg = mc_test_xcalloc((size_t)m, sizeof *dg);
        for (int64_t i = 0; i < m; i++)
            for (int64_t e = H.indptr[i]; e < H.indptr[i + 1]; e++) dg[i] += H.val[e];
        for (int64_t i = 0; i < m; i++)
            for (int64_t e = H.indptr[i]; e < H.indptr[i + 1]; e++) Md[i * m + H.col[e]] = H.val[e] / sqrt(dg[i] * dg[H.col[e]]);
        MC_CHECK(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)m, Md, (lapack_int)m, evd) == 0, "dense eig");
        double vec[120 * 2], val[2], res = 0;
        MC_CHECK_OK(emb_lanczos_top(&H, 2, 0, 1e-10, vec, val, &res));
        /* dense: ascending; the largest (m - 1) is the trivial 1, then m - 2, m - 3 */
        double dv = fmax(fabs(val[0] - evd[m - 2]), fabs(val[1] - evd[m - 3]));
        double dvec = 0;
        for (int c = 0; c < 2; c++) {
            double dot = 0;
            for (int64_t i = 0; i < m; i++) dot += vec[i * 2 + c] * Md[i * m + (m - 2 - c)];
            dvec = fmax(dvec, 1.0 - fabs(dot));
        }
        printf("  Lanczos vs LAPACK dsyev (%lld vertices): eigenvalues 2, 3 max |diff| = %.3g, 1 - |cos| = %.3g, residual %.3g\n",
               (long long)m, dv, dvec, res);
        MC_CHECK(fabs(evd[m - 1] - 1.0) < 1e-10, "the trivial eigenvalue is 1 (%.17g)", evd[m - 1]);
        MC_CHECK(dv <= 1e-9 && dvec <= 1e-8, "Lanczos: eigenvalues off by %.3g, vectors by %.3g", dv, dvec);
        int cc = 0;
        double rr = 0;
        double *lay2 = mc_test_xcalloc((size_t)m * 2, sizeof *lay2);
        MC_CHECK_OK(emb_spectral_layout(&H, Xc, 3, 2, 0, 1, lay2, &cc, &rr));
        MC_CHECK(cc == 1, "chain-connected graph: one piece (%d)", cc);
        free(lay2);
        emb_csr_free(&H);
        free(Xc), free(ni), free(nd), free(w), free(Md), free(evd), free(dg);
    }
    free(nidx), free(idx), free(nd2), free(dist), free(sigma), free(rho);
}

/* ---------------------------------------------------------------- UMAP runs */

static void test_umap(void) {
    printf("UMAP runs:\n");
    const int64_t n = 300;
    const int d = 16;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    int32_t *lab = mc_test_xcalloc((size_t)n, sizeof *lab);
    blobs(n, d, 10, 1.0, 2, X, lab); /* touching blobs: one connected graph */
    float *Y1 = mc_test_xcalloc((size_t)n * 3, sizeof *Y1), *Y2 = mc_test_xcalloc((size_t)n * 3, sizeof *Y2), *Y3 = mc_test_xcalloc((size_t)n * 3, sizeof *Y3);
    mc_umap_opts o;
    mc_umap_opts_default(&o);
    o.seed = 5;
    o.threads = 1;
    mc_umap_info info;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y1, &info));
    MC_CHECK(all_finite(Y1, n * 2), "finite output");
    MC_CHECK(info.n_epochs == 500 && info.n_neighbors == 15, "defaults: %d epochs, %d neighbours", info.n_epochs,
             info.n_neighbors);
    MC_CHECK(fabs(info.a - 1.577) < 1e-3 && fabs(info.b - 0.895) < 1e-3, "a %.4f b %.4f", info.a, info.b);
    double t = 0, nn_same = 0, cen_same = 0;
    MC_CHECK_OK(mc_embed_trustworthiness(X, n, d, Y1, 2, 10, 2, &t));
    separation(Y1, lab, n, 10, &nn_same, &cen_same);
    /* the blobs overlap: the share of points whose nearest neighbour shares their blob in the input
     * space is the yardstick for the map's */
    int64_t same_x = 0;
    int32_t *nn1 = mc_test_xcalloc((size_t)n, sizeof *nn1);
    MC_CHECK_OK(mc_embed_knn(X, n, d, 1, MC_EMBED_KNN_EXACT, 0, 0, 1, nn1, NULL));
    for (int64_t i = 0; i < n; i++) same_x += lab[nn1[i]] == lab[i];
    free(nn1);
    const double x_same = (double)same_x / (double)n;
    printf("  10 touching blobs (300 x 16): trustworthiness %.4f, nearest point in own blob %.1f%% (input space %.1f%%), "
           "nearest centroid own %.1f%%; graph %d piece(s), %lld edges, init residual %.2g\n",
           t, 100 * nn_same, 100 * x_same, 100 * cen_same, info.n_graph_components, (long long)info.n_edges,
           info.init_residual);
    MC_CHECK(t >= 0.90, "trustworthiness %.4f", t);
    MC_CHECK(nn_same >= x_same - 0.05 && cen_same >= 0.80, "blobs kept together: %.3f (input %.3f), %.3f", nn_same, x_same,
             cen_same);
    MC_CHECK(info.n_graph_components == 1, "one connected graph (%d)", info.n_graph_components);
    /* determinism (100 epochs) */
    o.n_epochs = 100;
    o.threads = 2;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y1, NULL));
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y2, NULL));
    o.threads = 1;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y3, NULL));
    MC_CHECK(memcmp(Y1, Y2, (size_t)n * 2 * sizeof *Y1) == 0, "same seed, 2 threads twice: identical bytes");
    MC_CHECK(memcmp(Y1, Y3, (size_t)n * 2 * sizeof *Y1) == 0, "1 thread vs 2 threads: identical bytes");
    o.seed = 6;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y2, NULL));
    MC_CHECK(memcmp(Y1, Y2, (size_t)n * 2 * sizeof *Y1) != 0, "another seed, another map");
    o.n_epochs = 200;

    /* well-separated blobs: a graph in pieces (multi_component_layout) */
    blobs(n, d, 10, 6.0, 2, X, lab);
    o.seed = 5;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y1, &info));
    separation(Y1, lab, n, 10, &nn_same, &cen_same);
    MC_CHECK_OK(mc_embed_trustworthiness(X, n, d, Y1, 2, 10, 2, &t));
    printf("  10 separate blobs: graph in %d pieces, trustworthiness %.4f, nearest point in own blob %.1f%%, centroid %.1f%%\n",
           info.n_graph_components, t, 100 * nn_same, 100 * cen_same);
    MC_CHECK(info.n_graph_components >= 10, "separate blobs: %d pieces", info.n_graph_components);
    MC_CHECK(all_finite(Y1, n * 2) && nn_same >= 0.99 && cen_same >= 0.99, "separate blobs kept apart: %.3f %.3f", nn_same,
             cen_same);

    /* other starts, 3 output dimensions, short runs */
    o.n_epochs = 60;
    o.init = MC_UMAP_INIT_PCA;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y1, NULL));
    MC_CHECK(all_finite(Y1, n * 2), "init pca: finite");
    o.init = MC_UMAP_INIT_RANDOM;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y1, NULL));
    MC_CHECK(all_finite(Y1, n * 2), "init random: finite");
    o.init = MC_UMAP_INIT_SPECTRAL;
    o.n_components = 3;
    o.threads = 2;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y1, NULL));
    o.threads = 1;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y2, NULL));
    MC_CHECK(all_finite(Y1, n * 3) && memcmp(Y1, Y2, (size_t)n * 3 * sizeof *Y1) == 0,
             "3 components: finite, same for 1 and 2 threads");
    /* NN-descent inside UMAP */
    o.n_components = 2;
    o.knn = MC_EMBED_KNN_NNDESCENT;
    MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y1, NULL));
    MC_CHECK(all_finite(Y1, n * 2), "NN-descent graph: finite");
    free(X), free(lab), free(Y1), free(Y2), free(Y3);
}

static void test_umap_edges(void) {
    printf("UMAP edge cases:\n");
    const int d = 3;
    float X[40 * 3], Y[40 * 2];
    mc_rng r;
    mc_rng_seed(&r, 2, 0);
    for (int i = 0; i < 40 * d; i++) X[i] = (float)mc_rng_normal(&r);
    mc_umap_opts o;
    mc_umap_opts_default(&o);
    o.threads = 1;
    o.n_epochs = 50;
    mc_umap_info info;
    /* n_neighbors > n - 1: clamped as umap-learn */
    MC_CHECK_OK(mc_embed_umap(X, 10, d, &o, Y, &info));
    MC_CHECK(info.n_neighbors == 9 && all_finite(Y, 20), "10 points, 15 neighbours: clamped to %d (9)", info.n_neighbors);
    MC_CHECK_OK(mc_embed_umap(X, 3, d, &o, Y, &info));
    MC_CHECK(info.n_neighbors == 2 && all_finite(Y, 6), "3 points: %d neighbours", info.n_neighbors);
    MC_CHECK(mc_embed_umap(X, 2, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "2 points rejected");
    MC_CHECK(strstr(mc_error_message(), "at least 3") != NULL, "message: %s", mc_error_message());
    /* duplicates */
    float D[40 * 3];
    memcpy(D, X, sizeof D);
    for (int i = 20; i < 40; i++)
        for (int f = 0; f < d; f++) D[i * d + f] = D[(i - 20) * d + f];
    MC_CHECK_OK(mc_embed_umap(D, 40, d, &o, Y, NULL));
    MC_CHECK(all_finite(Y, 80), "half duplicates: finite");
    for (int i = 0; i < 40 * d; i++) D[i] = -2.0f;
    MC_CHECK_OK(mc_embed_umap(D, 40, d, &o, Y, NULL));
    MC_CHECK(all_finite(Y, 80), "all identical: finite");
    /* NaN */
    memcpy(D, X, sizeof D);
    D[5 * d] = NAN;
    MC_CHECK(mc_embed_umap(D, 40, d, &o, Y, NULL) == MC_STATUS_NUMERIC, "NaN rejected");
    MC_CHECK(strstr(mc_error_message(), "row 5") != NULL, "message: %s", mc_error_message());
    /* options */
    o.min_dist = 2.0;
    MC_CHECK(mc_embed_umap(X, 40, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "min_dist > spread rejected");
    o.min_dist = 0.1;
    o.n_neighbors = 1;
    MC_CHECK(mc_embed_umap(X, 40, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "n_neighbors 1 rejected");
    o.n_neighbors = 15;
    o.n_components = 0;
    MC_CHECK(mc_embed_umap(X, 40, d, &o, Y, NULL) == MC_STATUS_INVALID_ARG, "0 components rejected");
    o.n_components = 2;
    o.negative_sample_rate = 0;
    MC_CHECK_OK(mc_embed_umap(X, 40, d, &o, Y, NULL));
    MC_CHECK(all_finite(Y, 80), "no negative samples: finite");
    MC_CHECK(mc_embed_umap(X, 40, d, &o, NULL, NULL) == MC_STATUS_INVALID_ARG, "NULL Y rejected");
}

#include <time.h>
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
#define TIMED(f)                                                   \
    do {                                                           \
        double t0_ = now_s();                                      \
        f();                                                       \
        printf("  (%s: %.2f s)\n", #f, now_s() - t0_);              \
    } while (0)

/* The repulsion's paths (the 4-lane walk and AVX-512's four-at-a-time walks) give the same bytes: a
 * whole run (the exaggeration phase and 10 more iterations) on blobs with exact duplicates (leaves of
 * several points, skipped by their own points) and 3 threads (work handed out by counters). */
static void test_tsne_paths(void) {
    const int64_t n = 701;
    const int d = 12;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    int32_t *lab = mc_test_xcalloc((size_t)n, sizeof *lab);
    blobs(n, d, 7, 3.0, 5, X, lab);
    for (int64_t i = 600; i < n; i++) memcpy(X + i * d, X + (i % 37) * d, (size_t)d * sizeof *X); /* duplicates */
    float *Y0 = mc_test_xcalloc((size_t)n * 2, sizeof *Y0), *Y1 = mc_test_xcalloc((size_t)n * 2, sizeof *Y1);
    mc_tsne_opts o;
    mc_tsne_opts_default(&o);
    o.n_iter = 260;
    o.threads = 3;
    int paths = 0;
    for (int path = 0; path < 2; path++) {
        if (!emb_tsne_path_available(path)) continue;
        emb_tsne_force_path(path);
        MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, paths == 0 ? Y0 : Y1, NULL));
        if (paths > 0)
            MC_CHECK(memcmp(Y0, Y1, (size_t)n * 2 * sizeof *Y0) == 0, "t-SNE repulsion path %d differs from path 0", path);
        paths++;
    }
    emb_tsne_force_path(-1);
    MC_CHECK(all_finite(Y0, n * 2), "finite output");
    printf("  t-SNE: %d repulsion path(s) compared byte for byte (701 x 12 with 101 duplicates, 3 threads)\n", paths);
    free(X), free(lab), free(Y0), free(Y1);
}

/* UMAP's SGD paths in 2 dimensions (four lanes; AVX-512's 16) give the same bytes, with duplicates
 * (d2 = 0 samples) and 3 threads. */
static void test_umap_paths(void) {
    const int64_t n = 603;
    const int d = 9;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    int32_t *lab = mc_test_xcalloc((size_t)n, sizeof *lab);
    blobs(n, d, 6, 3.0, 8, X, lab);
    for (int64_t i = 550; i < n; i++) memcpy(X + i * d, X + (i % 29) * d, (size_t)d * sizeof *X); /* duplicates */
    float *Y0 = mc_test_xcalloc((size_t)n * 2, sizeof *Y0), *Y1 = mc_test_xcalloc((size_t)n * 2, sizeof *Y1);
    mc_umap_opts o;
    mc_umap_opts_default(&o);
    o.n_epochs = 120;
    o.threads = 3;
    int paths = 0;
    for (int path = 0; path < 2; path++) {
        if (!emb_umap_path_available(path)) continue;
        emb_umap_force_path(path);
        MC_CHECK_OK(mc_embed_umap(X, n, d, &o, paths == 0 ? Y0 : Y1, NULL));
        if (paths > 0)
            MC_CHECK(memcmp(Y0, Y1, (size_t)n * 2 * sizeof *Y0) == 0, "UMAP SGD path %d differs from path 0", path);
        paths++;
    }
    emb_umap_force_path(-1);
    MC_CHECK(all_finite(Y0, n * 2), "finite output");
    printf("  UMAP: %d SGD path(s) compared byte for byte (603 x 9 with 53 duplicates, 3 threads)\n", paths);
    free(X), free(lab), free(Y0), free(Y1);
}

/* ---------------------------------------------------------------- placement */

/* mc_embed_place against its definition written out row by row (the k nearest by a plain scan,
 * umap-learn's transform weights), byte for byte; 1 vs 2 threads; a new row equal to a reference row
 * far from the others lands on that row's position; k clamped to the reference rows; bad sizes. */
static void place_naive(const float *X, int64_t n, const float *R, int64_t nr, int d, const float *Y, int k,
                        float *out) {
    if (k > nr) k = (int)nr;
    double *dk = mc_test_xcalloc((size_t)k, sizeof *dk);
    int64_t *ik = mc_test_xcalloc((size_t)k, sizeof *ik);
    for (int64_t i = 0; i < n; i++) {
        int m = 0;
        for (int64_t j = 0; j < nr; j++) {
            double s = 0;
            for (int f = 0; f < d; f++) {
                const double u = (double)X[i * d + f] - (double)R[j * d + f];
                s += u * u;
            }
            const double t = sqrt(s);
            if (m == k && t >= dk[k - 1]) continue;
            int p = m < k ? m++ : k - 1;
            while (p > 0 && dk[p - 1] > t) dk[p] = dk[p - 1], ik[p] = ik[p - 1], p--;
            dk[p] = t, ik[p] = j;
        }
        double lo = 0, hi = INFINITY, mid = 1, mean = 0;
        for (int q = 0; q < m; q++) mean += dk[q];
        mean /= m;
        for (int it = 0; it < 64; it++) {
            double psum = 0;
            for (int q = 1; q < m; q++) psum += dk[q] > 0 ? exp(-dk[q] / mid) : 1.0;
            if (fabs(psum - log2((double)k)) < 1e-5) break;
            if (psum > log2((double)k)) hi = mid, mid = (lo + hi) / 2;
            else if (isinf(hi)) lo = mid, mid *= 2;
            else lo = mid, mid = (lo + hi) / 2;
        }
        if (mid < 1e-3 * mean) mid = 1e-3 * mean;
        double w = 0, x = 0, y = 0;
        for (int q = 0; q < m; q++) {
            const double wq = dk[q] > 0 && mid > 0 ? exp(-dk[q] / mid) : 1.0;
            w += wq, x += wq * Y[ik[q] * 2], y += wq * Y[ik[q] * 2 + 1];
        }
        out[i * 2] = (float)(x / w);
        out[i * 2 + 1] = (float)(y / w);
    }
    free(dk);
    free(ik);
}

static void test_place(void) {
    const int64_t nr = 700, n = 333; /* reference rows: two tiles and a part; queries: not a multiple of 16 */
    const int d = 7;
    float *R = mc_test_xcalloc((size_t)nr * d, sizeof *R), *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    float *Y = mc_test_xcalloc((size_t)nr * 2, sizeof *Y);
    int32_t *lr = mc_test_xcalloc((size_t)nr, sizeof *lr), *lx = mc_test_xcalloc((size_t)n, sizeof *lx);
    blobs(nr, d, 4, 6.0, 5, R, lr);
    blobs(n, d, 4, 6.0, 5, X, lx); /* the same centres (same seed), other points */
    mc_rng r;
    mc_rng_seed(&r, 3, 0);
    for (int64_t j = 0; j < nr * 2; j++) Y[j] = (float)(10 * mc_rng_normal(&r));
    memcpy(X + 5 * d, R + 17 * d, (size_t)d * sizeof *X); /* a query equal to a reference row */
    memcpy(R + 300 * d, R + 301 * d, (size_t)d * sizeof *R); /* a tie: the smaller index first */
    float *a = mc_test_xcalloc((size_t)n * 2, sizeof *a), *b = mc_test_xcalloc((size_t)n * 2, sizeof *b);
    float *e = mc_test_xcalloc((size_t)n * 2, sizeof *e);
    const int ks[3] = {15, 1, 5000};
    for (int q = 0; q < 3; q++) {
        place_naive(X, n, R, nr, d, Y, ks[q] > 256 ? 256 : ks[q], e);
        MC_CHECK_OK(mc_embed_place(X, n, R, nr, d, Y, ks[q], 1, a));
        MC_CHECK_OK(mc_embed_place(X, n, R, nr, d, Y, ks[q], 2, b));
        MC_CHECK(memcmp(a, e, (size_t)n * 2 * sizeof *a) == 0, "place k %d: differs from the definition (max %.3g)", ks[q],
                 mc_test_max_abs_diff(a, e, (long)n * 2, NULL));
        MC_CHECK(memcmp(a, b, (size_t)n * 2 * sizeof *a) == 0, "place k %d: 1 vs 2 threads differ", ks[q]);
    }
    /* k = 1: the query equal to reference row 17 sits on row 17's position */
    MC_CHECK_OK(mc_embed_place(X + 5 * d, 1, R, nr, d, Y, 1, 1, a));
    MC_CHECK(a[0] == Y[34] && a[1] == Y[35], "place: a copy of reference row 17 at (%g, %g), not (%g, %g)", a[0], a[1], Y[34], Y[35]);
    MC_CHECK(mc_embed_place(X, n, R, 0, d, Y, 15, 1, a) == MC_STATUS_INVALID_ARG, "place: no reference rows accepted");
    MC_CHECK(mc_embed_place(X, n, R, nr, 0, Y, 15, 1, a) == MC_STATUS_INVALID_ARG, "place: d = 0 accepted");
    MC_CHECK(mc_embed_place(X, n, R, nr, d, Y, 0, 1, a) == MC_STATUS_INVALID_ARG, "place: k = 0 accepted");
    MC_CHECK_OK(mc_embed_place(NULL, 0, R, nr, d, Y, 15, 1, NULL));
    free(R), free(X), free(Y), free(lr), free(lx), free(a), free(b), free(e);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines in order with stderr's FAIL lines */
    TIMED(test_trustworthiness);
    TIMED(test_knn);
    TIMED(test_tsne_pieces);
    TIMED(test_tsne);
    TIMED(test_tsne_edges);
    TIMED(test_tsne_paths);
    TIMED(test_umap_pieces);
    TIMED(test_umap);
    TIMED(test_umap_edges);
    TIMED(test_umap_paths);
    TIMED(test_place);
    return mc_test_summary("test_embed");
}
