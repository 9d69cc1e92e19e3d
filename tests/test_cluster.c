/* cluster: input checks, StandardScaler, PCA, k-means, agglomerative (4 linkages), DBSCAN (given and
 * automatic eps), GMM (full, diag) against scikit-learn 1.2 fixtures (tools/make_cluster_fixtures.py);
 * determinism across runs and thread counts; the `musiclust cluster` command (outputs, exit statuses);
 * then, with ../shared/data, z-score + PCA(4) + k-means on gtzan-mini features against sklearn's NMI. */
#include <musiclust/cluster.h>
#include <musiclust/data.h>
#include <musiclust/metrics.h>

#include "cluster/cluster_internal.h" /* mc_cl_par_min_work: force the parallel paths */
#include "fixtures/cluster_fixture.h"
#include "mc_test.h"

#include <cblas.h> /* openblas_set_num_threads: the randomised PCA whatever OpenBLAS's threads */
#include <stdint.h>
#include <sys/wait.h>

#define FIX MC_SOURCE_DIR "/tests/fixtures/"

/* A fixture array (fails the test and exits when missing: the fixtures are committed). */
static mc_array load(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, FIX "%s", name);
    mc_array a;
    mc_status st = mc_npy_read(path, &a);
    if (st) {
        fprintf(stderr, "FAIL: cannot read fixture %s: %s\n", path, mc_error_message());
        exit(1);
    }
    return a;
}

static mc_array load_f32(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, FIX "%s", name);
    mc_array a;
    if (mc_npy_read_f32(path, &a)) {
        fprintf(stderr, "FAIL: cannot read fixture %s: %s\n", path, mc_error_message());
        exit(1);
    }
    return a;
}

/* Same partition up to relabelling: a bijection between label values (-1 must map to -1). */
static bool same_partition(const int32_t *a, const int32_t *b, int64_t n) {
    int32_t amax = -1, bmax = -1;
    for (int64_t i = 0; i < n; i++) {
        if (a[i] > amax) amax = a[i];
        if (b[i] > bmax) bmax = b[i];
    }
    if (amax != bmax) return false;
    int32_t *ab = mc_test_xcalloc((size_t)amax + 2, sizeof(int32_t)), *ba = mc_test_xcalloc((size_t)bmax + 2, sizeof(int32_t));
    for (int i = 0; i <= amax + 1; i++) ab[i] = ba[i] = INT32_MIN;
    bool ok = true;
    for (int64_t i = 0; i < n && ok; i++) {
        if ((a[i] < 0) != (b[i] < 0)) {
            ok = false;
            break;
        }
        int32_t x = a[i] + 1, y = b[i] + 1;
        if (ab[x] == INT32_MIN) ab[x] = y;
        if (ba[y] == INT32_MIN) ba[y] = x;
        ok = ab[x] == y && ba[y] == x;
    }
    free(ab);
    free(ba);
    return ok;
}

static int64_t count_equal(const int32_t *a, const int32_t *b, int64_t n) {
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) c += a[i] == b[i];
    return c;
}

static double rel(double a, double b) { return fabs(a - b) / fabs(b); }

/* ---------------------------------------------------------------- bad input */

static void test_bad_input(void) {
    float X[6 * 2] = {0, 0, 1, 0, 0, 1, 5, 5, 6, 5, 5, 6};
    mc_cluster_config c;
    mc_cluster_config_default(&c);
    mc_clustering r;

    MC_CHECK_OK(mc_cluster_check_input(X, 6, 2));
    X[3 * 2 + 1] = NAN;
    mc_status st = mc_cluster_check_input(X, 6, 2);
    MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "row 3") && strstr(mc_error_message(), "NaN"),
             "NaN names the row: %d %s", (int)st, mc_error_message());
    for (int a = 0; a < 4; a++) {
        c.algo = (mc_cluster_algo)a;
        c.k = 2;
        st = mc_cluster_fit(&c, X, 6, 2, &r);
        MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "row 3") && r.labels == NULL,
                 "%s rejects the NaN row: %d %s", mc_cluster_algo_name(c.algo), (int)st, mc_error_message());
    }
    X[3 * 2 + 1] = INFINITY;
    st = mc_cluster_check_input(X, 6, 2);
    MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "row 3") && strstr(mc_error_message(), "Inf"),
             "Inf names the row: %s", mc_error_message());
    X[3 * 2 + 1] = 5;
    X[3 * 2 + 1] = -1e20f;
    st = mc_cluster_check_input(X, 6, 2);
    MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "row 3") && strstr(mc_error_message(), "rescale"),
             "a value beyond 1e15 is refused: %s", mc_error_message());
    X[3 * 2 + 1] = 5;
    MC_CHECK(mc_cluster_check_input(X, 0, 2) == MC_STATUS_EMPTY, "no rows");
    MC_CHECK(mc_cluster_check_input(X, 6, 0) == MC_STATUS_EMPTY, "no columns");
    MC_CHECK(mc_cluster_check_input(NULL, 6, 2) == MC_STATUS_INVALID_ARG, "NULL points");

    /* k larger than the number of points */
    mc_cluster_config_default(&c);
    c.k = 7;
    for (int a = 0; a < 4; a++) {
        if (a == MC_CLUSTER_ALGO_DBSCAN) continue;
        c.algo = (mc_cluster_algo)a;
        st = mc_cluster_fit(&c, X, 6, 2, &r);
        MC_CHECK(st == MC_STATUS_INVALID_ARG && strstr(mc_error_message(), "larger than the number of points"),
                 "%s: k > n: %d %s", mc_cluster_algo_name(c.algo), (int)st, mc_error_message());
    }
    /* fewer distinct points than k: documented error; one distinct point with k = 1 is fine */
    float D[5 * 2] = {1, 2, 1, 2, 3, 4, 1, 2, 3, 4};
    MC_CHECK(mc_cluster_distinct_rows(D, 5, 2, 10) == 2, "distinct rows = 2");
    MC_CHECK(mc_cluster_distinct_rows(D, 5, 2, 1) == 1, "distinct rows capped");
    c.k = 3;
    for (int a = 0; a < 4; a++) {
        if (a == MC_CLUSTER_ALGO_DBSCAN) continue;
        c.algo = (mc_cluster_algo)a;
        st = mc_cluster_fit(&c, D, 5, 2, &r);
        MC_CHECK(st == MC_STATUS_INVALID_ARG && strstr(mc_error_message(), "only 2 distinct"),
                 "%s: distinct < k: %d %s", mc_cluster_algo_name(c.algo), (int)st, mc_error_message());
    }
    float one[4 * 3] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    c.algo = MC_CLUSTER_ALGO_KMEANS;
    c.k = 2;
    st = mc_cluster_fit(&c, one, 4, 3, &r);
    MC_CHECK(st == MC_STATUS_INVALID_ARG && strstr(mc_error_message(), "only 1 distinct value"),
             "one distinct point, k = 2: %s", mc_error_message());
    c.k = 1;
    MC_CHECK_OK(mc_cluster_fit(&c, one, 4, 3, &r));
    MC_CHECK(r.k == 1 && r.labels && r.labels[0] == 0 && r.labels[3] == 0 && r.inertia == 0,
             "one distinct point, k = 1: one cluster, inertia 0");
    mc_clustering_free(&r);
    c.algo = MC_CLUSTER_ALGO_AGGLOMERATIVE;
    MC_CHECK_OK(mc_cluster_fit(&c, one, 4, 3, &r));
    MC_CHECK(r.k == 1 && r.labels[1] == 0 && r.labels[2] == 0, "agglomerative k = 1 on duplicates");
    mc_clustering_free(&r);
    /* DBSCAN on identical points: one cluster with the automatic eps */
    c.algo = MC_CLUSTER_ALGO_DBSCAN;
    c.min_samples = 2;
    MC_CHECK_OK(mc_cluster_fit(&c, one, 4, 3, &r));
    MC_CHECK(r.k == 1 && r.n_noise == 0 && r.eps > 0, "DBSCAN on identical points: k %d noise %lld eps %g", r.k,
             (long long)r.n_noise, r.eps);
    mc_clustering_free(&r);
    c.min_samples = 5;
    c.eps = 0;
    st = mc_cluster_fit(&c, one, 4, 3, &r);
    MC_CHECK(st == MC_STATUS_INVALID_ARG && strstr(mc_error_message(), "min_samples"),
             "automatic eps with min_samples > n: %s", mc_error_message());

    /* configuration errors name the field */
    const char *fields[] = {"k", "n_init", "max_iter", "tol", "eps", "min_samples", "reg_covar"};
    for (int i = 0; i < 7; i++) {
        mc_cluster_config_default(&c);
        switch (i) {
        case 0: c.k = 0; break;
        case 1: c.n_init = -1; break;
        case 2: c.max_iter = -2; break;
        case 3: c.tol = NAN; break;
        case 4: c.eps = -1; break;
        case 5: c.min_samples = 0; break;
        case 6: c.reg_covar = -1; break;
        }
        st = mc_cluster_config_validate(&c);
        MC_CHECK(st == MC_STATUS_INVALID_ARG && strncmp(mc_error_message(), fields[i], strlen(fields[i])) == 0,
                 "config field %s: %s", fields[i], mc_error_message());
    }
    mc_cluster_algo al;
    mc_linkage lk;
    mc_covariance cv;
    MC_CHECK(mc_cluster_algo_parse("gmm", &al) == MC_STATUS_OK && al == MC_CLUSTER_ALGO_GMM, "parse gmm");
    MC_CHECK(mc_cluster_algo_parse("kmean", &al) == MC_STATUS_INVALID_ARG, "parse kmean rejected");
    MC_CHECK(mc_linkage_parse("single", &lk) == MC_STATUS_OK && lk == MC_LINKAGE_SINGLE, "parse single");
    MC_CHECK(mc_covariance_parse("diag", &cv) == MC_STATUS_OK && cv == MC_COVARIANCE_DIAG, "parse diag");

    /* mismatched shapes */
    mc_scaler s;
    MC_CHECK_OK(mc_cluster_scaler_fit(X, 6, 2, &s));
    float out[6 * 3];
    MC_CHECK(mc_cluster_scaler_transform(&s, X, 2, 3, out) == MC_STATUS_INVALID_ARG, "scaler: wrong d");
    mc_cluster_scaler_free(&s);
    mc_cluster_scaler_free(&s); /* twice is fine */
    mc_pca p;
    MC_CHECK(mc_cluster_pca_fit(X, 6, 2, 3, false, &p) == MC_STATUS_INVALID_ARG, "PCA: n_components > d");
    MC_CHECK(mc_cluster_pca_fit(X, 1, 2, 1, false, &p) == MC_STATUS_EMPTY, "PCA: one row");
    MC_CHECK_OK(mc_cluster_pca_fit(X, 6, 2, 1, false, &p));
    MC_CHECK(mc_cluster_pca_transform(&p, X, 2, 3, out) == MC_STATUS_INVALID_ARG, "PCA: wrong d");
    mc_cluster_pca_free(&p);
    mc_dendrogram t;
    MC_CHECK_OK(mc_cluster_linkage(X, 6, 2, MC_LINKAGE_WARD, 1, NULL, &t));
    int32_t lab[6];
    MC_CHECK(mc_cluster_dendrogram_cut(&t, 7, lab) == MC_STATUS_INVALID_ARG, "cut k > n");
    MC_CHECK(mc_cluster_dendrogram_cut(&t, 0, lab) == MC_STATUS_INVALID_ARG, "cut k = 0");
    MC_CHECK_OK(mc_cluster_dendrogram_cut(&t, 2, lab));
    MC_CHECK(lab[0] == lab[1] && lab[1] == lab[2] && lab[3] == lab[4] && lab[4] == lab[5] && lab[0] != lab[3],
             "two obvious groups");
    mc_cluster_dendrogram_free(&t);
    mc_clustering_free(NULL);
    mc_cluster_pca_free(NULL);
    mc_cluster_scaler_free(NULL);
    mc_cluster_dendrogram_free(NULL);
}

/* ---------------------------------------------------------------- StandardScaler and PCA */

static void test_scaler_pca(void) {
    mc_array X = load_f32("cluster_overlap.npy");
    const int64_t n = X.shape[0], d = X.shape[1];
    mc_scaler s;
    MC_CHECK_OK(mc_cluster_scaler_fit(X.data, n, d, &s));
    mc_array ref = load("cluster_scaler_scale.npy");
    double md = 0;
    for (int64_t j = 0; j < d; j++) md = fmax(md, rel(s.scale[j], ((double *)ref.data)[j]));
    printf("  %-40s max rel diff = %.3g\n", "StandardScaler scale_", md);
    MC_CHECK(md < 1e-9, "scaler scale rel diff %g", md);
    mc_array_free(&ref);
    mc_cluster_scaler_free(&s);

    /* a constant column maps to 0 (not NaN) */
    float C[4 * 2] = {1, 3, 2, 3, 3, 3, 4, 3}, Cz[8];
    MC_CHECK_OK(mc_cluster_scaler_fit(C, 4, 2, &s));
    MC_CHECK_OK(mc_cluster_scaler_transform(&s, C, 4, 2, Cz));
    MC_CHECK(s.scale[1] == 1.0 && Cz[1] == 0 && Cz[7] == 0 && fabs(Cz[0] + 1.3416407865) < 1e-6,
             "constant column -> 0, other z-scored (%g %g %g)", s.scale[1], Cz[1], Cz[0]);
    mc_cluster_scaler_free(&s);

    /* full PCA: components equal to sklearn's, signs included (svd_flip) */
    mc_pca p;
    MC_CHECK_OK(mc_cluster_pca_fit(X.data, n, d, (int)d, false, &p));
    mc_array comp = load("cluster_pca_components.npy"), ev = load("cluster_pca_explained_variance.npy");
    mc_array evr = load("cluster_pca_explained_variance_ratio.npy"), sv = load("cluster_pca_singular_values.npy");
    double dc = 0, dcs = 0, dev = 0, devr = 0, dsv = 0;
    for (int64_t c = 0; c < d; c++) {
        double dot = 0;
        for (int64_t j = 0; j < d; j++) dot += p.components[c * d + j] * ((double *)comp.data)[c * d + j];
        double sign = dot < 0 ? -1 : 1;
        for (int64_t j = 0; j < d; j++) {
            dcs = fmax(dcs, fabs(sign * p.components[c * d + j] - ((double *)comp.data)[c * d + j]));
            dc = fmax(dc, fabs(p.components[c * d + j] - ((double *)comp.data)[c * d + j]));
        }
        dev = fmax(dev, rel(p.explained_variance[c], ((double *)ev.data)[c]));
        devr = fmax(devr, rel(p.explained_variance_ratio[c], ((double *)evr.data)[c]));
        dsv = fmax(dsv, rel(p.singular_values[c], ((double *)sv.data)[c]));
    }
    printf("  %-40s max |diff| up to sign = %.3g, with sign = %.3g\n", "PCA components_", dcs, dc);
    printf("  %-40s max rel diff = %.3g / %.3g / %.3g\n", "explained variance / ratio / singular", dev, devr, dsv);
    MC_CHECK(dcs < 1e-5, "components up to sign: %g", dcs);
    MC_CHECK(dc < 1e-5, "components with sklearn's svd_flip signs: %g", dc);
    MC_CHECK(dev < 1e-6 && devr < 1e-6 && dsv < 1e-6, "explained variance %g ratio %g singular values %g", dev, devr, dsv);
    MC_CHECK(p.noise_variance == 0, "all components kept: noise variance 0");
    mc_cluster_pca_free(&p);

    /* 3 whitened components: transform of the first 20 rows, noise variance */
    MC_CHECK_OK(mc_cluster_pca_fit(X.data, n, d, 3, true, &p));
    mc_array wt = load("cluster_pca_whiten_transform.npy");
    float Z[20 * 3], Zr[20 * 3];
    MC_CHECK_OK(mc_cluster_pca_transform(&p, X.data, 20, d, Z));
    for (int i = 0; i < 60; i++) Zr[i] = (float)((double *)wt.data)[i];
    MC_CHECK_CLOSE("PCA(3, whiten).transform", Z, Zr, 60, 1e-5);
    MC_CHECK(rel(p.noise_variance, CF_PCA_NOISE_VARIANCE3) < 1e-6, "noise variance %.10g vs %.10g", p.noise_variance,
             CF_PCA_NOISE_VARIANCE3);
    mc_cluster_pca_free(&p);
    mc_array_free(&wt);
    mc_array_free(&comp);
    mc_array_free(&ev);
    mc_array_free(&evr);
    mc_array_free(&sv);

    /* more columns than rows: the Gram-matrix path */
    mc_array W = load_f32("cluster_wide.npy");
    const int64_t wn = W.shape[0], wd = W.shape[1];
    MC_CHECK_OK(mc_cluster_pca_fit(W.data, wn, wd, 4, false, &p));
    comp = load("cluster_pca_wide_components.npy");
    ev = load("cluster_pca_wide_explained_variance.npy");
    dc = 0;
    dev = 0;
    for (int64_t c = 0; c < 4; c++) {
        for (int64_t j = 0; j < wd; j++)
            dc = fmax(dc, fabs(p.components[c * wd + j] - ((double *)comp.data)[c * wd + j]));
        dev = fmax(dev, rel(p.explained_variance[c], ((double *)ev.data)[c]));
    }
    printf("  %-40s max |diff| = %.3g, variance rel %.3g\n", "PCA (n < d) components_", dc, dev);
    MC_CHECK(dc < 1e-5 && dev < 1e-6, "wide PCA: components %g variance %g", dc, dev);
    mc_cluster_pca_free(&p);
    mc_array_free(&comp);
    mc_array_free(&ev);
    mc_array_free(&W);
    mc_array_free(&X);
}

/* ---------------------------------------------------------------- k-means */

static void test_kmeans(void) {
    mc_clustering r0;
    const char *files[2] = {"cluster_blobs.npy", "cluster_overlap.npy"};
    const int ks[2] = {CF_KM_BLOBS_K, CF_KM_OVERLAP_K};
    const double ref[2] = {CF_KM_BLOBS_INERTIA, CF_KM_OVERLAP_INERTIA};
    for (int f = 0; f < 2; f++) {
        mc_array X = load_f32(files[f]);
        const int64_t n = X.shape[0], d = X.shape[1];
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.k = ks[f];
        c.n_init = 10;
        mc_clustering r1, r2, r3;
        for (uint64_t seed = 0; seed < 3; seed++) {
            c.seed = seed;
            c.threads = 2;
            MC_CHECK_OK(mc_cluster_kmeans(&c, X.data, n, d, &r1));
            printf("  %-40s inertia %.10g vs sklearn %.10g: rel diff %.3g\n", files[f], r1.inertia, ref[f],
                   rel(r1.inertia, ref[f]));
            MC_CHECK(rel(r1.inertia, ref[f]) <= 1e-4, "%s seed %d: inertia %.10g vs sklearn %.10g", files[f],
                     (int)seed, r1.inertia, ref[f]);
            /* labels are the nearest centres, every cluster used, inertia consistent with them */
            int64_t *cnt = mc_test_xcalloc((size_t)c.k, sizeof(int64_t));
            int64_t wrong = 0;
            double in = 0;
            for (int64_t i = 0; i < n; i++) {
                const float *x = (const float *)X.data + i * d;
                double best = INFINITY, own = 0;
                for (int j = 0; j < c.k; j++) {
                    double s = 0;
                    for (int64_t t = 0; t < d; t++) {
                        double u = (double)x[t] - r1.centers[j * d + t];
                        s += u * u;
                    }
                    if (s < best) best = s;
                    if (j == r1.labels[i]) own = s;
                }
                wrong += own > best * (1 + 1e-5) + 1e-9;
                in += own;
                cnt[r1.labels[i]]++;
            }
            int empty = 0;
            for (int j = 0; j < c.k; j++) empty += cnt[j] == 0;
            free(cnt);
            MC_CHECK(wrong == 0 && empty == 0 && rel(in, r1.inertia) < 1e-9,
                     "labels = nearest centre (%lld wrong), %d empty, inertia recomputed %.10g", (long long)wrong, empty, in);
            /* byte-identical for the same seed, and for another thread count */
            MC_CHECK_OK(mc_cluster_kmeans(&c, X.data, n, d, &r2));
            c.threads = 1;
            MC_CHECK_OK(mc_cluster_kmeans(&c, X.data, n, d, &r3));
            MC_CHECK(memcmp(r1.labels, r2.labels, (size_t)n * 4) == 0 &&
                         memcmp(r1.centers, r2.centers, (size_t)(c.k * d) * 4) == 0 && r1.inertia == r2.inertia,
                     "same seed, same output");
            MC_CHECK(memcmp(r1.labels, r3.labels, (size_t)n * 4) == 0 &&
                         memcmp(r1.centers, r3.centers, (size_t)(c.k * d) * 4) == 0 && r1.inertia == r3.inertia,
                     "1 thread = 2 threads");
            mc_clustering_free(&r1);
            mc_clustering_free(&r2);
            mc_clustering_free(&r3);
        }
        /* one restart only: still a local optimum, never better than the best of 10 */
        c.n_init = 1;
        c.seed = 5;
        MC_CHECK_OK(mc_cluster_kmeans(&c, X.data, n, d, &r1));
        MC_CHECK(r1.inertia >= ref[f] * (1 - 1e-6), "n_init = 1: inertia %.10g >= best %.10g", r1.inertia, ref[f]);
        mc_clustering_free(&r1);
        mc_array_free(&X);
    }
    /* empty clusters: runs from given centres, one or two far from every point, as
     * KMeans(init=array, n_init=1): sklearn moves the farthest points into the empty clusters */
    const double einert[2] = {CF_KM_EMPTY0_INERTIA, CF_KM_EMPTY1_INERTIA};
    mc_array E = load_f32("cluster_empty.npy");
    for (int i = 0; i < 2; i++) {
        char f[64];
        snprintf(f, sizeof f, "cluster_empty_init%d.npy", i);
        mc_array init = load_f32(f);
        snprintf(f, sizeof f, "cluster_empty_labels%d.npy", i);
        mc_array lab = load(f);
        snprintf(f, sizeof f, "cluster_empty_centers%d.npy", i);
        mc_array cen = load_f32(f);
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.k = (int)init.shape[0];
        mc_clustering r;
        MC_CHECK_OK(mc_cluster_kmeans_from(&c, E.data, E.shape[0], E.shape[1], init.data, &r));
        if (r.labels) {
            printf("  %-40s inertia %.8g vs sklearn %.8g, labels equal %lld/%lld\n", "k-means with empty clusters",
                   r.inertia, einert[i], (long long)count_equal(r.labels, lab.data, E.shape[0]), (long long)E.shape[0]);
            MC_CHECK(count_equal(r.labels, lab.data, E.shape[0]) == E.shape[0], "empty-cluster run %d: labels = sklearn's", i);
            MC_CHECK(rel(r.inertia, einert[i]) < 1e-6, "empty-cluster run %d: inertia %.10g vs %.10g", i, r.inertia, einert[i]);
            MC_CHECK_CLOSE("centres after reseeding", r.centers, (float *)cen.data, c.k * E.shape[1], 1e-5);
        }
        mc_clustering_free(&r);
        mc_array_free(&init);
        mc_array_free(&lab);
        mc_array_free(&cen);
    }
    float bad_init[3 * 2] = {0, 0, NAN, 1, 2, 2};
    mc_cluster_config ce;
    mc_cluster_config_default(&ce);
    ce.k = 3;
    MC_CHECK(mc_cluster_kmeans_from(&ce, E.data, E.shape[0], E.shape[1], bad_init, &r0) == MC_STATUS_NUMERIC,
             "NaN in the initial centres: %s", mc_error_message());
    mc_array_free(&E);

    /* heavy duplicates: 3 distinct values, k = 3 -> exactly those groups, inertia 0 */
    float D[9 * 2] = {0, 0, 9, 9, 0, 0, 5, 1, 9, 9, 5, 1, 0, 0, 9, 9, 5, 1};
    mc_cluster_config c;
    mc_cluster_config_default(&c);
    c.k = 3;
    mc_clustering r;
    MC_CHECK_OK(mc_cluster_kmeans(&c, D, 9, 2, &r));
    MC_CHECK(r.inertia == 0 && r.labels[0] == r.labels[2] && r.labels[1] == r.labels[4] && r.labels[3] == r.labels[5] &&
                 r.labels[0] != r.labels[1] && r.labels[1] != r.labels[3] && r.labels[0] != r.labels[3],
             "duplicates: three exact groups, inertia %g", r.inertia);
    mc_clustering_free(&r);
}

/* k-means's kernel paths (AVX-512, AVX2+FMA, scalar) give the same bits: odd n, d and k so that every
 * tail (rows past a 16-point block, a centre without a pair, d not a multiple of the vector width) is
 * used, one restart on many threads (the chunk-parallel path) and ten on two (restarts in parallel). */
static void test_kmeans_paths(void) {
    const int64_t n = 1237, d = 13;
    float *X = mc_test_xcalloc((size_t)(n * d), sizeof(float));
    mc_rng r;
    mc_rng_seed(&r, 17, 0);
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++) X[i * d + f] = (float)(3.0 * (double)((i * 7 + f) % 5) + mc_rng_normal(&r));
    const int ks[3] = {7, 2, 19};
    int paths = 0;
    for (int kc = 0; kc < 3; kc++)
        for (int ninit = 1; ninit <= 10; ninit += 9) {
            mc_clustering ref = {0};
            int got = 0;
            for (int isa = 0; isa < MC_CL_ISA_COUNT; isa++) {
                if (!mc_cl_kmeans_isa_available(isa)) continue;
                mc_cl_kmeans_force_isa(isa);
                mc_cluster_config c;
                mc_cluster_config_default(&c);
                c.k = ks[kc];
                c.n_init = ninit;
                c.seed = 3;
                c.threads = ninit == 1 ? 3 : 2;
                mc_clustering o;
                MC_CHECK_OK(mc_cluster_kmeans(&c, X, n, d, &o));
                if (got == 0) {
                    ref = o;
                } else {
                    MC_CHECK(memcmp(ref.labels, o.labels, (size_t)n * 4) == 0 &&
                                 memcmp(ref.centers, o.centers, (size_t)(c.k * d) * 4) == 0 && ref.inertia == o.inertia,
                             "k-means k = %d, n_init %d: kernel path %d differs from the scalar path (inertia %.17g vs %.17g)",
                             c.k, ninit, isa, o.inertia, ref.inertia);
                    mc_clustering_free(&o);
                }
                got++;
            }
            paths = got;
            mc_clustering_free(&ref);
        }
    mc_cl_kmeans_force_isa(-1);
    /* the kernels themselves, bit for bit, on every length up to one chunk */
    const int kk = 11;
    float C[11 * 13], D0[11 * MC_CL_CHUNK], D1[11 * MC_CL_CHUNK], p0[2 * MC_CL_CHUNK], p1[2 * MC_CL_CHUNK];
    int32_t l0[MC_CL_CHUNK], l1[MC_CL_CHUNK];
    double s0[2], s1[2];
    for (int i = 0; i < kk * d; i++) C[i] = X[(i * 31) % (n * d)] + 0.125f;
    int64_t bad = 0;
    double worst = 0;
    for (int64_t m = 1; m <= MC_CL_CHUNK; m += (m < 40 ? 1 : 23)) {
        MC_CHECK_OK(mc_cl_kmeans_probe(MC_CL_ISA_SCALAR, X + 5 * d, m, d, C, kk, D0, l0, p0, s0));
        /* the scalar path against the definition: a chain of fmaf from 0, times -2 */
        for (int j = 0; j < kk; j++)
            for (int64_t i = 0; i < m; i++) {
                float acc = 0;
                for (int64_t f = 0; f < d; f++) acc = fmaf(X[(5 + i) * d + f], C[j * d + f], acc);
                bad += D0[j * MC_CL_CHUNK + i] != -2.0f * acc;
                worst = fmax(worst, fabs(D0[j * MC_CL_CHUNK + i] - -2.0 * acc));
            }
        for (int isa = 1; isa < MC_CL_ISA_COUNT; isa++) {
            if (!mc_cl_kmeans_isa_available(isa)) continue;
            MC_CHECK_OK(mc_cl_kmeans_probe(isa, X + 5 * d, m, d, C, kk, D1, l1, p1, s1));
            for (int j = 0; j < kk; j++) bad += memcmp(D0 + j * MC_CL_CHUNK, D1 + j * MC_CL_CHUNK, (size_t)m * 4) != 0;
            bad += memcmp(l0, l1, (size_t)m * 4) != 0;
            bad += memcmp(p0, p1, (size_t)(2 * m) * 4) != 0;
            bad += memcmp(s0, s1, sizeof s0) != 0;
        }
    }
    MC_CHECK(bad == 0, "k-means kernels: %lld differences between paths or from the definition (max %.3g)", (long long)bad,
             worst);
    printf("  k-means: %d kernel paths compared (labels, centres, inertia; k = 7, 2, 19; n_init 1, 10; kernel bits on 1..256 points)\n", paths);
    MC_CHECK(paths >= 1, "no k-means kernel path ran");
    free(X);
}

/* ---------------------------------------------------------------- agglomerative */

static void test_agglomerative(void) {
    mc_array X = load_f32("cluster_agglo.npy");
    const int64_t n = X.shape[0], d = X.shape[1];
    const char *names[4] = {"ward", "average", "complete", "single"};
    for (int l = 0; l < 4; l++) {
        char f[128];
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.algo = MC_CLUSTER_ALGO_AGGLOMERATIVE;
        c.linkage = (mc_linkage)l;
        c.k = 4;
        mc_clustering r;
        MC_CHECK_OK(mc_cluster_agglomerative(&c, X.data, n, d, &r));
        snprintf(f, sizeof f, "cluster_agglo_%s.npy", names[l]);
        mc_array lab = load(f);
        MC_CHECK(same_partition(r.labels, lab.data, n), "%s: partition = sklearn's", names[l]);
        MC_CHECK(count_equal(r.labels, lab.data, n) == n, "%s: labels numbered as sklearn (%lld of %lld equal)", names[l],
                 (long long)count_equal(r.labels, lab.data, n), (long long)n);
        snprintf(f, sizeof f, "cluster_agglo_%s_heights.npy", names[l]);
        mc_array h = load(f);
        snprintf(f, sizeof f, "cluster_agglo_%s_children.npy", names[l]);
        mc_array ch = load(f);
        double dh = 0;
        int64_t same_children = 0;
        for (int64_t i = 0; i < n - 1; i++) {
            dh = fmax(dh, rel(r.tree.distances[i], ((double *)h.data)[i]));
            int64_t c0 = r.tree.children[2 * i], c1 = r.tree.children[2 * i + 1];
            if (l == MC_LINKAGE_SINGLE && c0 > c1) { /* sklearn keeps the MST edge order; scipy sorts */
                int64_t t = c0;
                c0 = c1;
                c1 = t;
            }
            same_children += c0 == ((int32_t *)ch.data)[2 * i] && c1 == ((int32_t *)ch.data)[2 * i + 1];
        }
        printf("  %-40s merge heights max rel diff = %.3g, children equal %lld/%lld\n", names[l], dh,
               (long long)same_children, (long long)(n - 1));
        /* the float32 matrix of average/complete rounds heights to ~6e-8 */
        MC_CHECK(dh < (l == MC_LINKAGE_AVERAGE || l == MC_LINKAGE_COMPLETE ? 1e-6 : 1e-9), "%s heights %g", names[l], dh);
        MC_CHECK(same_children == n - 1, "%s: scipy's linkage matrix (%lld/%lld rows)", names[l], (long long)same_children,
                 (long long)(n - 1));
        /* thread count does not matter */
        mc_clustering r1;
        c.threads = 1;
        MC_CHECK_OK(mc_cluster_agglomerative(&c, X.data, n, d, &r1));
        MC_CHECK(memcmp(r.tree.distances, r1.tree.distances, (size_t)(n - 1) * sizeof(double)) == 0 &&
                     memcmp(r.labels, r1.labels, (size_t)n * 4) == 0,
                 "%s: 1 thread = default threads", names[l]);
        mc_clustering_free(&r1);
        mc_clustering_free(&r);
        mc_array_free(&lab);
        mc_array_free(&h);
        mc_array_free(&ch);
    }
    mc_array_free(&X);

    /* 4,200 points: the float32 scan + exact check of Ward, the tiled distance matrix of average,
     * the blocked Prim of single, with 2 threads */
    X = load_f32("cluster_agglo_big.npy");
    const int64_t bn = X.shape[0], bd = X.shape[1];
    const mc_linkage big[3] = {MC_LINKAGE_WARD, MC_LINKAGE_AVERAGE, MC_LINKAGE_SINGLE};
    for (int l = 0; l < 3; l++) {
        const char *name = mc_linkage_name(big[l]);
        char f[128];
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.algo = MC_CLUSTER_ALGO_AGGLOMERATIVE;
        c.linkage = big[l];
        c.k = 6;
        c.threads = 2;
        mc_clustering r, r1, rp;
        MC_CHECK_OK(mc_cluster_agglomerative(&c, X.data, bn, bd, &r));
        /* on the first 400 points, every step split between the 2 threads (normally only long steps
         * are: many short joins are slow on a loaded machine) gives the same tree as one thread */
        const int64_t sn = 400;
        int64_t saved = mc_cl_par_min_work;
        mc_cl_par_min_work = 0;
        MC_CHECK_OK(mc_cluster_agglomerative(&c, X.data, sn, bd, &rp));
        mc_cl_par_min_work = saved;
        c.threads = 1;
        MC_CHECK_OK(mc_cluster_agglomerative(&c, X.data, sn, bd, &r1));
        MC_CHECK(r1.labels && rp.labels && memcmp(r1.labels, rp.labels, (size_t)sn * 4) == 0 &&
                     memcmp(r1.tree.distances, rp.tree.distances, (size_t)(sn - 1) * sizeof(double)) == 0 &&
                     memcmp(r1.tree.children, rp.tree.children, (size_t)(sn - 1) * 2 * sizeof(int64_t)) == 0,
                 "%s: parallel steps give the same tree as one thread", name);
        mc_clustering_free(&rp);
        mc_clustering_free(&r1);
        snprintf(f, sizeof f, "cluster_agglo_big_%s.npy", name);
        mc_array lab = load(f);
        snprintf(f, sizeof f, "cluster_agglo_big_%s_heights.npy", name);
        mc_array h = load(f);
        double dh = 0;
        for (int64_t i = 0; i < bn - 1 && r.labels; i++) dh = fmax(dh, rel(r.tree.distances[i], ((double *)h.data)[i]));
        printf("  %-40s 4200 points: heights max rel diff %.3g, labels equal %lld/%lld\n", name, dh,
               r.labels ? (long long)count_equal(r.labels, lab.data, bn) : 0LL, (long long)bn);
        MC_CHECK(r.labels && same_partition(r.labels, lab.data, bn), "%s 4200: partition = sklearn's", name);
        MC_CHECK(r.labels && count_equal(r.labels, lab.data, bn) == bn, "%s 4200: labels numbered as sklearn", name);
        MC_CHECK(dh < (big[l] == MC_LINKAGE_AVERAGE ? 1e-6 : 1e-9), "%s 4200: heights %g", name, dh);
        mc_clustering_free(&r);
        mc_array_free(&lab);
        mc_array_free(&h);
    }
    mc_array_free(&X);
}

/* ---------------------------------------------------------------- DBSCAN */

static void test_dbscan(void) {
    mc_array X = load_f32("cluster_dbscan.npy");
    const int64_t n = X.shape[0], d = X.shape[1];
    const double eps[2] = {CF_DBSCAN_EPS0, CF_DBSCAN_EPS1};
    const int ms[2] = {CF_DBSCAN_MIN_SAMPLES0, CF_DBSCAN_MIN_SAMPLES1};
    for (int s = 0; s < 2; s++) {
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.algo = MC_CLUSTER_ALGO_DBSCAN;
        c.eps = eps[s];
        c.min_samples = ms[s];
        mc_clustering r;
        MC_CHECK_OK(mc_cluster_dbscan(&c, X.data, n, d, &r));
        char f[64];
        snprintf(f, sizeof f, "cluster_dbscan_labels%d.npy", s);
        mc_array lab = load(f);
        int64_t eq = count_equal(r.labels, lab.data, n), noise = 0;
        int32_t kmax = -1;
        for (int64_t i = 0; i < n; i++) {
            noise += ((int32_t *)lab.data)[i] < 0;
            if (((int32_t *)lab.data)[i] > kmax) kmax = ((int32_t *)lab.data)[i];
        }
        printf("  %-40s labels equal %lld/%lld (%d clusters, %lld noise)\n", "DBSCAN", (long long)eq, (long long)n,
               r.k, (long long)r.n_noise);
        MC_CHECK(eq == n, "DBSCAN eps %g min_samples %d: labels identical to sklearn (%lld/%lld)", eps[s], ms[s],
                 (long long)eq, (long long)n);
        MC_CHECK(r.k == kmax + 1 && r.n_noise == noise && r.eps == eps[s] && !r.eps_auto, "k %d noise %lld", r.k,
                 (long long)r.n_noise);
        c.threads = 1;
        mc_clustering r1;
        MC_CHECK_OK(mc_cluster_dbscan(&c, X.data, n, d, &r1));
        MC_CHECK(memcmp(r.labels, r1.labels, (size_t)n * 4) == 0, "DBSCAN: 1 thread = default");
        mc_clustering_free(&r1);
        mc_clustering_free(&r);
        mc_array_free(&lab);
    }
    mc_array_free(&X);

    /* 4,200 points (several row and column blocks, both threads busy) against a plain reference:
     * exact double distances and sklearn's dbscan_inner depth-first expansion over sorted neighbours */
    mc_array G = load_f32("cluster_agglo_big.npy");
    {
        const int64_t gn = G.shape[0], gd = G.shape[1];
        const float *P = G.data;
        const double geps = 0.7; /* 12 clusters, ~1900 noise: many border decisions */
        const int gms = 8;
        int64_t *deg = mc_test_xcalloc((size_t)gn, sizeof(int64_t));
        int64_t *start = mc_test_xcalloc((size_t)gn + 1, sizeof(int64_t));
        /* neighbourhoods in CSR, row by row (ascending column order) */
        for (int pass = 0; pass < 2; pass++) {
            int64_t *nbr = pass ? mc_test_xcalloc((size_t)start[gn] + 1, sizeof(int64_t)) : NULL;
            int32_t *ref = NULL;
            for (int64_t i = 0; i < gn; i++) {
                int64_t c = 0;
                for (int64_t j = 0; j < gn; j++) {
                    double s2 = 0;
                    for (int64_t f = 0; f < gd; f++) {
                        double t = (double)P[i * gd + f] - P[j * gd + f];
                        s2 += t * t;
                    }
                    if (s2 <= geps * geps) {
                        if (pass) nbr[start[i] + c] = j;
                        c++;
                    }
                }
                deg[i] = c;
                if (!pass) start[i + 1] = start[i] + c;
            }
            if (!pass) continue;
            ref = mc_test_xcalloc((size_t)gn, sizeof(int32_t));
            int64_t *stack = mc_test_xcalloc((size_t)start[gn] + (size_t)gn + 1, sizeof(int64_t));
            for (int64_t i = 0; i < gn; i++) ref[i] = -1;
            int32_t label = 0;
            for (int64_t i0 = 0; i0 < gn; i0++) {
                if (ref[i0] != -1 || deg[i0] < gms) continue;
                int64_t sp = 0, i = i0;
                for (;;) {
                    if (ref[i] == -1) {
                        ref[i] = label;
                        if (deg[i] >= gms)
                            for (int64_t t = start[i]; t < start[i + 1]; t++)
                                if (ref[nbr[t]] == -1) stack[sp++] = nbr[t];
                    }
                    if (sp == 0) break;
                    i = stack[--sp];
                }
                label++;
            }
            mc_cluster_config c;
            mc_cluster_config_default(&c);
            c.algo = MC_CLUSTER_ALGO_DBSCAN;
            c.eps = geps;
            c.min_samples = gms;
            c.threads = 2;
            mc_clustering r;
            MC_CHECK_OK(mc_cluster_dbscan(&c, P, gn, gd, &r));
            int64_t eq = r.labels ? count_equal(r.labels, ref, gn) : 0;
            printf("  %-40s 4200 points: labels equal to the reference %lld/%lld (%d clusters, %lld noise)\n", "DBSCAN",
                   (long long)eq, (long long)gn, r.k, (long long)r.n_noise);
            MC_CHECK(eq == gn && r.k == label, "DBSCAN 4200 points = reference DFS (%lld/%lld, %d vs %d clusters)",
                     (long long)eq, (long long)gn, r.k, label);
            mc_clustering_free(&r);
            free(stack);
            free(ref);
            free(nbr);
        }
        free(deg);
        free(start);
    }
    mc_array_free(&G);

    /* automatic eps on z-scored blobs: several clusters, not all noise, most points clustered */
    mc_array B = load_f32("cluster_blobs.npy");
    const int64_t bn = B.shape[0], bd = B.shape[1];
    mc_scaler s;
    MC_CHECK_OK(mc_cluster_scaler_fit(B.data, bn, bd, &s));
    MC_CHECK_OK(mc_cluster_scaler_transform(&s, B.data, bn, bd, B.data));
    mc_cluster_scaler_free(&s);
    for (int msv = 3; msv <= 10; msv += 7) {
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.algo = MC_CLUSTER_ALGO_DBSCAN;
        c.min_samples = msv;
        mc_clustering r;
        MC_CHECK_OK(mc_cluster_fit(&c, B.data, bn, bd, &r));
        printf("  %-40s min_samples %d: eps %.4g, %d clusters, %lld noise of %lld\n", "DBSCAN automatic eps", msv, r.eps,
               r.k, (long long)r.n_noise, (long long)bn);
        MC_CHECK(r.eps_auto && r.eps > 0 && r.k > 1 && r.n_noise < bn / 4,
                 "automatic eps on z-scored blobs: eps %g, %d clusters, %lld noise", r.eps, r.k, (long long)r.n_noise);
        mc_clustering_free(&r);
    }
    float *kd = mc_test_xcalloc((size_t)bn, sizeof(float));
    double e;
    MC_CHECK_OK(mc_cluster_dbscan_auto_eps(B.data, bn, bd, 5, 0, &e, kd));
    bool sorted = true;
    for (int64_t i = 1; i < bn; i++) sorted &= kd[i] >= kd[i - 1];
    MC_CHECK(sorted && e >= kd[0] && e <= kd[bn - 1], "k-distance curve sorted and eps on it");
    free(kd);
    mc_array_free(&B);
}

/* ---------------------------------------------------------------- GMM */

static void test_gmm(void) {
    mc_array X = load_f32("cluster_gmm.npy");
    const int64_t n = X.shape[0], d = X.shape[1];
    const double score[2] = {CF_GMM_FULL_SCORE, CF_GMM_DIAG_SCORE}, bic[2] = {CF_GMM_FULL_BIC, CF_GMM_DIAG_BIC};
    const char *lf[2] = {"cluster_gmm_full_labels.npy", "cluster_gmm_diag_labels.npy"};
    for (int cv = 0; cv < 2; cv++) {
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.algo = MC_CLUSTER_ALGO_GMM;
        c.k = 3;
        c.covariance = (mc_covariance)cv;
        mc_clustering r;
        MC_CHECK_OK(mc_cluster_gmm(&c, X.data, n, d, &r));
        mc_array lab = load(lf[cv]);
        printf("  %-40s log-likelihood %.10g vs %.10g (rel %.3g), BIC %.8g vs %.8g (rel %.3g)\n",
               cv ? "GMM diag" : "GMM full", r.log_likelihood, score[cv], rel(r.log_likelihood, score[cv]), r.bic,
               bic[cv], rel(r.bic, bic[cv]));
        MC_CHECK(rel(r.log_likelihood, score[cv]) < 1e-5, "log-likelihood %.10g vs sklearn %.10g", r.log_likelihood,
                 score[cv]);
        MC_CHECK(rel(r.bic, bic[cv]) < 1e-5, "BIC %.10g vs sklearn %.10g", r.bic, bic[cv]);
        MC_CHECK(same_partition(r.labels, lab.data, n), "GMM %s: partition = sklearn's", cv ? "diag" : "full");
        double ws = 0;
        for (int j = 0; j < 3; j++) ws += r.weights[j];
        MC_CHECK(fabs(ws - 1) < 1e-12 && r.converged && r.centers && r.covariances, "weights sum to 1 (%g), converged", ws);
        /* predict (GaussianMixture.predict) with the fitted double parameters gives the fit's labels back */
        int32_t *pl = malloc((size_t)n * sizeof *pl);
        MC_CHECK(pl && r.means && mc_cluster_gmm_predict(r.weights, r.means, r.covariances, c.covariance, r.k, X.data, n, d, 2,
                                                         pl) == MC_STATUS_OK && memcmp(pl, r.labels, (size_t)n * 4) == 0,
                 "GMM %s: predict on the fitted rows = the fit's labels: %s", cv ? "diag" : "full", mc_error_message());
        free(pl);
        mc_clustering r1;
        c.threads = 1;
        MC_CHECK_OK(mc_cluster_gmm(&c, X.data, n, d, &r1));
        MC_CHECK(memcmp(r.labels, r1.labels, (size_t)n * 4) == 0 && r.log_likelihood == r1.log_likelihood,
                 "GMM: 1 thread = default (%.17g vs %.17g)", r.log_likelihood, r1.log_likelihood);
        mc_clustering_free(&r1);
        /* the full covariances summed one component at a time (as a large problem is): the same bytes */
        mc_cl_gmm_batch_bytes = 1;
        MC_CHECK_OK(mc_cluster_gmm(&c, X.data, n, d, &r1));
        mc_cl_gmm_batch_bytes = 32e6;
        const size_t cs = (size_t)3 * (size_t)d * (cv ? 1 : (size_t)d);
        MC_CHECK(memcmp(r.labels, r1.labels, (size_t)n * 4) == 0 && r.log_likelihood == r1.log_likelihood &&
                     memcmp(r.covariances, r1.covariances, cs * sizeof(double)) == 0,
                 "GMM %s: one covariance per sum = all at once (%.17g vs %.17g)", cv ? "diag" : "full",
                 r.log_likelihood, r1.log_likelihood);
        mc_clustering_free(&r1);
        mc_clustering_free(&r);
        mc_array_free(&lab);
    }
    mc_array_free(&X);
}

/* ---------------------------------------------------------------- the CLI */

static int run(const char *args, char *err, size_t cap) { return mc_test_cli("cluster", args, err, cap); }

/* ASSIGN.tsv -> labels; returns the number of rows or -1 when the format is wrong. */
static int64_t read_assign(const char *path, int32_t *labels, int64_t cap) {
    mc_table t;
    if (mc_table_read(path, '\t', &t)) return -1;
    int64_t rows = -1;
    if (t.ncols == 2 && strcmp(t.header[0], "row") == 0 && strcmp(t.header[1], "cluster") == 0 && t.nrows <= cap) {
        rows = t.nrows;
        for (int64_t i = 0; i < t.nrows; i++) {
            if (atoll(mc_table_get(&t, i, 0)) != i) rows = -1;
            labels[i] = atoi(mc_table_get(&t, i, 1));
        }
    }
    mc_table_free(&t);
    return rows;
}

static void test_cli(void) {
    const char *dir = mc_test_tmpdir("cluster_cli");
    char err[8192], args[4096], path[1024];
    int32_t lab[1000];
    mc_array B = load_f32("cluster_blobs.npy");
    const int64_t n = B.shape[0];

    MC_CHECK(run("cluster --help", err, sizeof err) == 0, "cluster --help exits 0");
    snprintf(args, sizeof args, "cluster --quiet --k 4 '%s' -o '%s/a.tsv'", FIX "cluster_blobs.npy", dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "kmeans --k 4: %s", err);
    snprintf(path, sizeof path, "%s/a.tsv", dir);
    int64_t rows = read_assign(path, lab, 1000);
    int32_t mx = -1, mn = 99;
    for (int64_t i = 0; i < rows; i++) {
        if (lab[i] > mx) mx = lab[i];
        if (lab[i] < mn) mn = lab[i];
    }
    MC_CHECK(rows == n && mn == 0 && mx == 3, "ASSIGN.tsv: header row<TAB>cluster, %lld rows, ids %d..%d", (long long)rows, mn, mx);
    snprintf(path, sizeof path, "%s/a.json", dir);
    char *js = mc_test_read_file(path, NULL);
    MC_CHECK(js && strstr(js, "\"algorithm\": \"kmeans\"") && strstr(js, "\"inertia\"") && strstr(js, "\"k\": 4") &&
                 strstr(js, "\"timing_s\"") && strstr(js, "\"k_sweep\": null"),
             "ASSIGN.json has the algorithm, k, inertia, timing");
    free(js);
    /* the same run with another thread count: byte-identical assignments */
    char *a1 = mc_test_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/a.tsv", dir);
    char *t1 = mc_test_read_file(path, NULL);
    snprintf(args, sizeof args, "cluster --quiet --k 4 --threads 1 '%s' -o '%s/b.tsv'", FIX "cluster_blobs.npy", dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "--threads 1: %s", err);
    snprintf(path, sizeof path, "%s/b.tsv", dir);
    char *t2 = mc_test_read_file(path, NULL);
    MC_CHECK(t1 && t2 && strcmp(t1, t2) == 0, "ASSIGN.tsv identical for 1 and 2 threads");
    free(a1);
    free(t1);
    free(t2);

    /* no --k: the sweep picks the 4 blobs, curve saved and in the JSON */
    snprintf(args, sizeof args, "cluster --quiet --k-max 8 '%s' -o '%s/s.tsv'", FIX "cluster_blobs.npy", dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "sweep: %s", err);
    snprintf(path, sizeof path, "%s/s.ksweep.tsv", dir);
    char *curve = mc_test_read_file(path, NULL);
    /* the k-sweep table of pipeline.h: k, silhouette, inertia, bic, log_likelihood */
    MC_CHECK(curve && strncmp(curve, "k\tsilhouette\tinertia\tbic\tlog_likelihood\n2\t", 42) == 0 && strstr(curve, "\n8\t"),
             "curve TSV k=2..8");
    free(curve);
    snprintf(path, sizeof path, "%s/s.json", dir);
    js = mc_test_read_file(path, NULL);
    MC_CHECK(js && strstr(js, "\"chosen_k\": 4") && strstr(js, "\"k\": 4,"), "silhouette chooses k = 4 on 4 blobs");
    free(js);
    snprintf(args, sizeof args, "cluster --quiet --algo agglomerative --k-max 6 '%s' -o '%s/s2.tsv'",
             FIX "cluster_blobs.npy", dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "agglomerative sweep: %s", err);
    snprintf(path, sizeof path, "%s/s2.json", dir);
    js = mc_test_read_file(path, NULL);
    MC_CHECK(js && strstr(js, "\"chosen_k\": 4"), "agglomerative sweep chooses 4");
    free(js);

    /* reduce + save-space, DBSCAN automatic eps, GMM, from a feature store folder */
    snprintf(path, sizeof path, "%s/store", dir);
    mc_mkdirs(path);
    snprintf(path, sizeof path, "%s/store/mfcc_stats.npy", dir);
    MC_CHECK_OK(mc_npy_write(path, MC_DTYPE_F32, 2, B.shape, B.data));
    snprintf(args, sizeof args, "cluster --quiet --algo dbscan --reduce pca --dims 3 --save-space '%s/z.npy' '%s/store' -o '%s/d.tsv'",
             dir, dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "dbscan on a FEATDIR with --reduce pca: %s", err);
    snprintf(path, sizeof path, "%s/z.npy", dir);
    mc_array z;
    MC_CHECK(mc_npy_read(path, &z) == MC_STATUS_OK && z.ndim == 2 && z.shape[0] == n && z.shape[1] == 3,
             "--save-space writes (N, dims)");
    mc_array_free(&z);
    snprintf(path, sizeof path, "%s/d.json", dir);
    js = mc_test_read_file(path, NULL);
    MC_CHECK(js && strstr(js, "\"eps_auto\": true") && strstr(js, "\"eps_used\"") && strstr(js, "\"n_noise\"") &&
                 strstr(js, "\"pca\"") && strstr(js, "\"explained_variance_ratio\""),
             "DBSCAN JSON reports the chosen eps and the PCA");
    free(js);
    snprintf(args, sizeof args, "cluster --quiet --algo gmm --covariance diag --k 3 '%s' -o '%s/g.tsv'", FIX "cluster_gmm.npy", dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "gmm: %s", err);
    snprintf(path, sizeof path, "%s/g.json", dir);
    js = mc_test_read_file(path, NULL);
    MC_CHECK(js && strstr(js, "\"bic\"") && strstr(js, "\"log_likelihood\""), "GMM JSON has BIC");
    free(js);

    /* bad input: exit 1 with one line naming the file */
    float *bad = mc_test_xcalloc(40, sizeof(float));
    for (int i = 0; i < 40; i++) bad[i] = (float)(i * i % 7);
    bad[17] = NAN;
    int64_t shape[2] = {10, 4};
    snprintf(path, sizeof path, "%s/nan.npy", dir);
    mc_npy_write(path, MC_DTYPE_F32, 2, shape, bad);
    snprintf(args, sizeof args, "cluster --k 2 '%s' -o '%s/x.tsv'", path, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "nan.npy") && strstr(err, "row 4") && strchr(err, '\n') == strrchr(err, '\n'),
             "NaN row: exit 1, one line naming file and row: %s", err);
    snprintf(args, sizeof args, "cluster --k 500 '%s' -o '%s/x.tsv'", FIX "cluster_blobs.npy", dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "cluster_blobs.npy") && strstr(err, "larger than"),
             "k > N: exit 1: %s", err);
    snprintf(args, sizeof args, "cluster --k 2 '%s/missing.npy' -o '%s/x.tsv'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "missing.npy"), "missing file: exit 1: %s", err);
    int64_t shape1[1] = {40};
    snprintf(path, sizeof path, "%s/vec.npy", dir);
    mc_npy_write(path, MC_DTYPE_F32, 1, shape1, bad);
    snprintf(args, sizeof args, "cluster --k 2 '%s' -o '%s/x.tsv'", path, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "vec.npy") && strstr(err, "2-D"), "1-D array: exit 1: %s", err);
    snprintf(args, sizeof args, "cluster --k 2 '%s' -o '%s/x.tsv'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "mfcc_stats.npy"), "folder without features: exit 1: %s", err);
    snprintf(args, sizeof args, "cluster --reduce pca --dims 9 --k 2 '%s' -o '%s/x.tsv'", FIX "cluster_blobs.npy", dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "--dims"), "--dims > D: exit 1: %s", err);
    free(bad);

    /* usage errors: exit 2 */
    const char *usage[] = {
        "cluster --algo kmedoids x.npy -o y.tsv", "cluster x.npy", "cluster --k 0 x.npy -o y.tsv",
        "cluster --algo dbscan --k 3 x.npy -o y.tsv", "cluster --eps 0.3 x.npy -o y.tsv",
        "cluster --linkage ward x.npy -o y.tsv", "cluster --reduce zca x.npy -o y.tsv",
        "cluster --dims 3 x.npy -o y.tsv", "cluster --k-max 1 x.npy -o y.tsv", "cluster --k 2x x.npy -o y.tsv",
        "cluster --algo agglomerative --linkage median x.npy -o y.tsv", "cluster --bogus x.npy -o y.tsv",
    };
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++)
        MC_CHECK(run(usage[i], err, sizeof err) == 2, "usage error exits 2: %s: %s", usage[i], err);
    mc_array_free(&B);
}

/* ---------------------------------------------------------------- gtzan-mini (../shared/data) */

static void test_gtzan(void) {
    const char *data = mc_test_shared_data();
    const char *dir = mc_test_tmpdir("cluster_gtzan");
    char in[4200], path[1024];
    snprintf(in, sizeof in, "%s/gtzan-mini", data);
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    mc_extract_summary sum;
    const char *inputs[1] = {in};
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, dir, NULL, &sum));
    snprintf(path, sizeof path, "%s/mfcc_stats.npy", dir);
    mc_array F;
    MC_CHECK_OK(mc_npy_read_f32(path, &F));
    const int64_t n = F.shape[0], d = F.shape[1];
    MC_CHECK(n == CF_GTZAN_ROWS, "gtzan-mini: %lld rows (fixture %d)", (long long)n, CF_GTZAN_ROWS);
    snprintf(path, sizeof path, "%s/index.tsv", dir);
    mc_table t;
    MC_CHECK_OK(mc_table_read(path, '\t', &t));
    int gc = mc_table_column(&t, "genre");
    MC_CHECK(gc >= 0 && t.nrows == n, "index.tsv has a genre column and one row per segment");
    if (gc < 0 || t.nrows != n || n != CF_GTZAN_ROWS) {
        mc_table_free(&t);
        mc_array_free(&F);
        return;
    }
    const char **genre = mc_test_xcalloc((size_t)n, sizeof *genre);
    for (int64_t i = 0; i < n; i++) genre[i] = mc_table_get(&t, i, gc);
    int32_t *cls = mc_test_xcalloc((size_t)n, sizeof(int32_t));
    char **names = NULL;
    int nn = 0;
    MC_CHECK_OK(mc_metrics_encode_labels(genre, n, cls, &names, &nn));
    /* z-score + PCA(4) + k-means(10, n_init 10), seeds 0..9 (the mean of 10 local optima is a steadier
     * figure than one), as the peer sklearn_cluster.py */
    float *Xs = mc_test_xcalloc((size_t)(n * d), sizeof(float)), *Z = mc_test_xcalloc((size_t)n * 4, sizeof(float));
    mc_scaler s;
    mc_pca p;
    MC_CHECK_OK(mc_cluster_scaler_fit(F.data, n, d, &s));
    MC_CHECK_OK(mc_cluster_scaler_transform(&s, F.data, n, d, Xs));
    MC_CHECK_OK(mc_cluster_pca_fit(Xs, n, d, 4, false, &p));
    MC_CHECK_OK(mc_cluster_pca_transform(&p, Xs, n, d, Z));
    const double ref[10] = {CF_GTZAN_NMI_SEED0, CF_GTZAN_NMI_SEED1, CF_GTZAN_NMI_SEED2, CF_GTZAN_NMI_SEED3,
                            CF_GTZAN_NMI_SEED4, CF_GTZAN_NMI_SEED5, CF_GTZAN_NMI_SEED6, CF_GTZAN_NMI_SEED7,
                            CF_GTZAN_NMI_SEED8, CF_GTZAN_NMI_SEED9};
    double mean = 0;
    for (int seed = 0; seed < 10; seed++) {
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.k = 10;
        c.n_init = 10;
        c.seed = (uint64_t)seed;
        mc_clustering r;
        MC_CHECK_OK(mc_cluster_kmeans(&c, Z, n, 4, &r));
        mc_contingency ct;
        double nmi = NAN;
        if (r.labels && mc_metrics_contingency(r.labels, cls, n, nn, (const char *const *)names, &ct) == MC_STATUS_OK) {
            nmi = mc_metrics_nmi(&ct);
            mc_metrics_contingency_free(&ct);
        }
        printf("  gtzan-mini seed %d: NMI %.4f (sklearn %.4f)\n", seed, nmi, ref[seed]);
        mean += nmi / 10;
        mc_clustering_free(&r);
    }
    printf("  %-40s NMI mean %.4f vs sklearn %.4f: diff %.4f (tol 0.03)\n", "gtzan-mini z-score+PCA4+kmeans10", mean,
           CF_GTZAN_NMI_MEAN, fabs(mean - CF_GTZAN_NMI_MEAN));
    MC_CHECK(fabs(mean - CF_GTZAN_NMI_MEAN) <= 0.03, "NMI %.4f vs sklearn %.4f", mean, CF_GTZAN_NMI_MEAN);

    /* DBSCAN with the automatic eps on real z-scored features (no density gaps: the knee alone gives
     * one cluster): neither one cluster nor all noise */
    mc_cluster_config c;
    mc_cluster_config_default(&c);
    c.algo = MC_CLUSTER_ALGO_DBSCAN;
    mc_clustering r;
    MC_CHECK_OK(mc_cluster_fit(&c, Xs, n, d, &r));
    printf("  %-40s eps %.4g (knee %.4g): %d clusters, %lld noise of %lld\n", "gtzan-mini z-scored, DBSCAN auto eps",
           r.eps, r.eps_knee, r.k, (long long)r.n_noise, (long long)n);
    MC_CHECK(r.k >= 2 && r.n_noise < n, "automatic eps on z-scored gtzan-mini: %d clusters, %lld noise", r.k,
             (long long)r.n_noise);
    mc_clustering_free(&r);
    mc_cluster_scaler_free(&s);
    mc_cluster_pca_free(&p);
    mc_metrics_names_free(names, nn);
    free(Xs);
    free(Z);
    free(cls);
    free(genre);
    mc_table_free(&t);
    mc_array_free(&F);
}

/* Randomised PCA against the exact PCA (mc_cluster_pca_fit) on a wide matrix with a decaying
 * spectrum (rank-12 signal with singular values 2^-j/2 plus small noise): the top components agree
 * (|cos| and explained variance), the scores equal mc_cluster_pca_transform of the fitted struct, the
 * signs follow svd_flip as the exact PCA's, two calls give the same bytes; bad sizes fail. */
static void test_pca_randomized(void) {
    const int64_t n = 240, d = 1500;
    const int k = 6;
    float *X = mc_test_xcalloc((size_t)(n * d), sizeof *X);
    mc_rng rng;
    mc_rng_seed(&rng, 5, 0);
    double *U = mc_test_xcalloc((size_t)(n * 12), sizeof *U), *V = mc_test_xcalloc((size_t)(12 * d), sizeof *V);
    for (int64_t i = 0; i < n * 12; i++) U[i] = mc_rng_normal(&rng);
    for (int64_t i = 0; i < 12 * d; i++) V[i] = mc_rng_normal(&rng) / sqrt((double)d);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v = 3.0 + 0.01 * mc_rng_normal(&rng); /* an offset: the mean must come off */
            for (int r = 0; r < 12; r++) v += pow(2.0, -r / 2.0) * U[i * 12 + r] * V[r * d + j];
            X[i * d + j] = (float)v;
        }
    mc_pca exact, rnd, again;
    float *Z = mc_test_xcalloc((size_t)(n * k), sizeof *Z), *Z2 = mc_test_xcalloc((size_t)(n * k), sizeof *Z2);
    float *Zt = mc_test_xcalloc((size_t)(n * k), sizeof *Zt);
    MC_CHECK_OK(mc_cluster_pca_fit(X, n, d, k, false, &exact));
    MC_CHECK_OK(mc_cluster_pca_randomized(X, n, d, k, 4, 11, &rnd, Z));
    double worst_cos = 1, worst_ev = 0, worst_z = 0;
    for (int c = 0; c < k; c++) {
        double dot = 0;
        for (int64_t j = 0; j < d; j++) dot += exact.components[c * d + j] * rnd.components[c * d + j];
        if (dot < worst_cos) worst_cos = dot; /* signed: svd_flip gives both the same sign */
        double ev = fabs(rnd.explained_variance[c] - exact.explained_variance[c]) / exact.explained_variance[c];
        if (ev > worst_ev) worst_ev = ev;
    }
    MC_CHECK(worst_cos > 0.9999, "randomised PCA: components match the exact ones with the same sign: min cos %.8f", worst_cos);
    MC_CHECK(worst_ev < 1e-6, "randomised PCA: explained variance rel diff %.3g", worst_ev);
    MC_CHECK_OK(mc_cluster_pca_transform(&rnd, X, n, d, Zt));
    for (int64_t i = 0; i < n * k; i++) worst_z = fmax(worst_z, fabs((double)Z[i] - Zt[i]));
    MC_CHECK(worst_z < 1e-4, "randomised PCA: scores = transform(X): max diff %.3g", worst_z);
    MC_CHECK_OK(mc_cluster_pca_randomized(X, n, d, k, 4, 11, &again, Z2));
    MC_CHECK(memcmp(Z, Z2, (size_t)(n * k) * sizeof *Z) == 0 &&
                 memcmp(rnd.components, again.components, (size_t)(k * d) * sizeof(double)) == 0,
             "randomised PCA: the same bytes twice");
    /* the same bytes whatever OpenBLAS's own thread count (a rank bound to one core by mpirun has 1):
     * 32 components (a 42 x 42 eigenproblem, split by a multi-threaded OpenBLAS) */
    {
        mc_pca a1, a2;
        const int kk = 32;
        float *Za = mc_test_xcalloc((size_t)(n * kk), sizeof *Za), *Zb = mc_test_xcalloc((size_t)(n * kk), sizeof *Zb);
        const int prev = openblas_get_num_threads();
        openblas_set_num_threads(1);
        MC_CHECK_OK(mc_cluster_pca_randomized(X, n, d, kk, 4, 11, &a1, Za));
        openblas_set_num_threads(2);
        MC_CHECK_OK(mc_cluster_pca_randomized(X, n, d, kk, 4, 11, &a2, Zb));
        openblas_set_num_threads(prev);
        double dz = 0;
        for (int64_t i = 0; i < n * kk; i++) dz = fmax(dz, fabs((double)Za[i] - Zb[i]));
        MC_CHECK(memcmp(Za, Zb, (size_t)(n * kk) * sizeof *Za) == 0 &&
                     memcmp(a1.components, a2.components, (size_t)(kk * d) * sizeof(double)) == 0,
                 "randomised PCA, 32 components: OpenBLAS on 1 vs 2 threads gave other bytes (scores max diff %.3g)", dz);
        mc_cluster_pca_free(&a1);
        mc_cluster_pca_free(&a2);
        free(Za);
        free(Zb);
    }
    printf("  randomised PCA (%lld x %lld, k %d, 4 iterations) vs exact: min cos %.10f, explained variance rel diff %.3g, "
           "|Z - transform| %.3g\n", (long long)n, (long long)d, k, worst_cos, worst_ev, worst_z);
    mc_pca bad;
    MC_CHECK(mc_cluster_pca_randomized(X, 1, d, 1, 4, 0, &bad, NULL) == MC_STATUS_INVALID_ARG, "one row: invalid");
    MC_CHECK(mc_cluster_pca_randomized(X, n, d, (int)n + 1, 4, 0, &bad, NULL) == MC_STATUS_INVALID_ARG, "k > min(n, d): invalid");
    X[7] = NAN;
    MC_CHECK(mc_cluster_pca_randomized(X, n, d, k, 1, 0, &bad, NULL) == MC_STATUS_NUMERIC && strstr(mc_error_message(), "row 0"),
             "a NaN: numeric error naming the row: %s", mc_error_message());
    mc_cluster_pca_free(&exact);
    mc_cluster_pca_free(&rnd);
    mc_cluster_pca_free(&again);
    free(X);
    free(U);
    free(V);
    free(Z);
    free(Z2);
    free(Zt);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines in order with stderr's FAIL lines */
    test_pca_randomized();
    test_bad_input();
    test_scaler_pca();
    test_kmeans();
    test_kmeans_paths();
    test_agglomerative();
    test_dbscan();
    test_gmm();
    test_cli();
    if (mc_test_failed) return mc_test_summary("test_cluster"); /* report before any skip */
    test_gtzan();
    return mc_test_summary("test_cluster");
}
