/* metrics: every metric against scikit-learn 1.2 (tests/fixtures/metrics_fixture.h, written by
 * tools/make_metrics_fixtures.py) to 1e-6 relative, with the noise convention of metrics.h; the
 * block-wise silhouette against a direct O(n^2) double computation for several block sizes, both
 * algorithms, every SIMD path and several thread counts; the edge cases and bad arguments; the track
 * helpers; and `musiclust evaluate` end to end on a small synthetic feature store. */
#include <musiclust/metrics.h>
#include <musiclust/report.h>

#include "fixtures/metrics_ami_fixture.h"
#include "fixtures/metrics_fixture.h"
#include "mc_test.h"
#include "metrics/metrics_internal.h"

#include <stdint.h>
#include <sys/wait.h>

#define REL_TOL 1e-6

/* Relative difference, with NaN == NaN as 0 and NaN vs a number as infinite. */
static double rel_diff(double got, double want) {
    if (isnan(want) || isnan(got)) return isnan(want) && isnan(got) ? 0.0 : INFINITY;
    double d = fabs(got - want);
    return d == 0.0 ? 0.0 : d / fmax(fabs(want), 1e-300);
}

/* Largest relative difference seen per metric over all fixture cases, printed at the end. */
static double worst[9];
static const char *worst_name[9] = {"silhouette", "calinski_harabasz", "davies_bouldin", "silhouette_samples (abs)",
                                    "ari", "nmi", "purity", "silhouette (ROWS algo)", "store (CLI) values"};

static void check_value(const char *cs, const char *what, int slot, double got, double want) {
    double r = rel_diff(got, want);
    /* A value of exactly 0 has no relative scale: there the difference itself must be below 1e-12. */
    if (want == 0.0) r = fabs(got) <= 1e-12 ? 0.0 : INFINITY;
    if (r > worst[slot]) worst[slot] = r;
    MC_CHECK(r <= REL_TOL, "%s: %s = %.17g, sklearn %.17g (rel diff %.3g)", cs, what, got, want, r);
}

/* ---------------------------------------------------------------- fixture cases */

static void test_fixture_cases(void) {
    printf("sklearn fixture cases:\n");
    for (int ci = 0; ci < METRICS_N_CASES; ci++) {
        const mc_metrics_case *c = &metrics_cases[ci];
        mc_metrics_opts o;
        mc_metrics_opts_default(&o);
        o.threads = 2;
        o.block = 64;
        mc_internal_scores sc;
        MC_CHECK_OK(mc_metrics_internal(c->X, c->n, c->d, c->cluster, &o, &sc));
        check_value(c->name, "silhouette", 0, sc.silhouette, c->sil);
        check_value(c->name, "calinski_harabasz", 1, sc.calinski_harabasz, c->ch);
        check_value(c->name, "davies_bouldin", 2, sc.davies_bouldin, c->db);
        MC_CHECK(sc.n == c->n && sc.n_noise == c->n_noise && sc.n_used == c->n - c->n_noise && sc.n_clusters == c->k,
                 "%s: counts n %lld noise %lld used %lld k %d", c->name, (long long)sc.n, (long long)sc.n_noise,
                 (long long)sc.n_used, sc.n_clusters);
        MC_CHECK(isnan(c->sil) == (sc.note[0] != '\0'), "%s: a note exactly when undefined: '%s'", c->name, sc.note);

        /* per-sample values; the other algorithm gives the same numbers */
        double *s = mc_test_xcalloc((size_t)c->n, sizeof *s), mean = 0;
        for (int algo = MC_SILHOUETTE_SYMMETRIC; algo <= MC_SILHOUETTE_ROWS; algo++) {
            o.algo = (mc_silhouette_algo)algo;
            MC_CHECK_OK(mc_metrics_silhouette(c->X, c->n, c->d, c->cluster, &o, &mean, s, NULL));
            if (algo == MC_SILHOUETTE_ROWS) check_value(c->name, "silhouette (ROWS)", 7, mean, c->sil);
            for (int i = 0; c->samples && i < c->n; i++) {
                double want = c->samples[i], d = isnan(want) ? (isnan(s[i]) ? 0 : INFINITY) : fabs(s[i] - want);
                if (d > worst[3]) worst[3] = d;
                MC_CHECK(d <= 1e-9, "%s: silhouette sample %d = %.17g, sklearn %.17g", c->name, i, s[i], want);
                if (c->cluster[i] == MC_METRICS_NOISE) MC_CHECK(isnan(s[i]), "%s: noise row %d gets NaN", c->name, i);
            }
        }
        free(s);

        /* label metrics: noise pooled, unlabelled rows left out */
        mc_contingency ct;
        MC_CHECK_OK(mc_metrics_contingency(c->cluster, c->cls, c->n, 64, NULL, &ct));
        check_value(c->name, "ari", 4, mc_metrics_ari(&ct), c->ari);
        check_value(c->name, "nmi", 5, mc_metrics_nmi(&ct), c->nmi);
        check_value(c->name, "purity", 6, mc_metrics_purity(&ct), c->purity);
        int64_t labelled_noise = 0;
        for (int i = 0; i < c->n; i++) labelled_noise += c->cls[i] >= 0 && c->cluster[i] == MC_METRICS_NOISE;
        MC_CHECK(ct.n_unlabeled == c->n_unlabeled && ct.n_used == c->n - c->n_unlabeled && ct.n_noise == labelled_noise,
                 "%s: contingency counts used %lld unlabelled %lld noise %lld", c->name, (long long)ct.n_used,
                 (long long)ct.n_unlabeled, (long long)ct.n_noise);
        mc_metrics_contingency_free(&ct);
    }

    /* label metrics alone on 3000 rows */
    mc_contingency ct;
    MC_CHECK_OK(mc_metrics_contingency(big_cluster, big_class, BIG_N, 12, NULL, &ct));
    check_value("big", "ari", 4, mc_metrics_ari(&ct), big_ari);
    check_value("big", "nmi", 5, mc_metrics_nmi(&ct), big_nmi);
    check_value("big", "purity", 6, mc_metrics_purity(&ct), big_purity);
    MC_CHECK(ct.n_clusters == 31 && ct.cluster_ids[0] == -1 && ct.n_classes == 12,
             "big: 30 clusters + the noise row first, 12 classes (%d, first id %d, %d)", ct.n_clusters,
             ct.cluster_ids[0], ct.n_classes);
    mc_metrics_contingency_free(&ct);
}

/* ---------------------------------------------------------------- noise convention, edge cases */

static void test_noise_and_edges(void) {
    /* All noise: label metrics equal those of one single cluster (the trivial clustering). */
    int32_t noise[12], one[12], cls[12];
    for (int i = 0; i < 12; i++) {
        noise[i] = -1;
        one[i] = 5;
        cls[i] = i % 3 == 0 ? 0 : i % 3;
    }
    mc_contingency a, b;
    MC_CHECK_OK(mc_metrics_contingency(noise, cls, 12, 3, NULL, &a));
    MC_CHECK_OK(mc_metrics_contingency(one, cls, 12, 3, NULL, &b));
    MC_CHECK(mc_metrics_ari(&a) == mc_metrics_ari(&b) && mc_metrics_nmi(&a) == mc_metrics_nmi(&b) &&
                 mc_metrics_purity(&a) == mc_metrics_purity(&b) && mc_metrics_nmi(&a) == 0.0,
             "all-noise scores like one cluster: ari %g nmi %g purity %g", mc_metrics_ari(&a), mc_metrics_nmi(&a),
             mc_metrics_purity(&a));
    MC_CHECK(a.n_noise == 12 && a.n_clusters == 1 && a.cluster_ids[0] == -1, "noise pooled into one row");
    mc_metrics_contingency_free(&a);
    mc_metrics_contingency_free(&b);

    /* Internal metrics ignore noise rows: adding noise rows anywhere changes nothing but the counts. */
    float X[8 * 2] = {0, 0, 0, 1, 5, 5, 5, 6, 100, 100, 0, 2, -50, 3, 5, 7};
    int32_t c1[8] = {0, 0, 1, 1, -1, 0, -1, 1};
    float Xk[6 * 2] = {0, 0, 0, 1, 5, 5, 5, 6, 0, 2, 5, 7};
    int32_t ck[6] = {0, 0, 1, 1, 0, 1};
    mc_internal_scores s1, s2;
    MC_CHECK_OK(mc_metrics_internal(X, 8, 2, c1, NULL, &s1));
    MC_CHECK_OK(mc_metrics_internal(Xk, 6, 2, ck, NULL, &s2));
    MC_CHECK(s1.silhouette == s2.silhouette && s1.calinski_harabasz == s2.calinski_harabasz &&
                 s1.davies_bouldin == s2.davies_bouldin && s1.n_noise == 2 && s1.n_used == 6,
             "noise rows left out of internal metrics: %.17g vs %.17g", s1.silhouette, s2.silhouette);

    /* Undefined cases: NaN and a reason, never a number. */
    int32_t single[4] = {3, 3, 3, -1};
    MC_CHECK_OK(mc_metrics_internal(X, 4, 2, single, NULL, &s1));
    MC_CHECK(isnan(s1.silhouette) && isnan(s1.calinski_harabasz) && isnan(s1.davies_bouldin) &&
                 strstr(s1.note, "1 cluster") != NULL,
             "one cluster: NaN with note '%s'", s1.note);
    double samples[4] = {1, 1, 1, 1}, mean = 0;
    MC_CHECK_OK(mc_metrics_silhouette(X, 4, 2, single, NULL, &mean, samples, NULL));
    MC_CHECK(isnan(mean) && isnan(samples[0]) && isnan(samples[3]), "undefined silhouette: mean and samples NaN");
    int32_t sing[3] = {0, 1, 2};
    MC_CHECK_OK(mc_metrics_internal(X, 3, 2, sing, NULL, &s1));
    MC_CHECK(isnan(s1.silhouette) && strstr(s1.note, "every row alone"), "all singletons: '%s'", s1.note);
    MC_CHECK_OK(mc_metrics_internal(X, 0, 2, sing, NULL, &s1));
    MC_CHECK(isnan(s1.silhouette) && s1.n == 0, "n = 0: NaN ('%s')", s1.note);
    mc_contingency e;
    int32_t unl[3] = {-1, -1, -1};
    MC_CHECK_OK(mc_metrics_contingency(sing, unl, 3, 0, NULL, &e));
    MC_CHECK(isnan(mc_metrics_ari(&e)) && isnan(mc_metrics_nmi(&e)) && isnan(mc_metrics_purity(&e)) &&
                 e.n_unlabeled == 3,
             "no labelled row: label metrics NaN");
    mc_metrics_contingency_free(&e);

    /* Bad arguments: a status and a message naming the problem. */
    int32_t bad[3] = {0, -2, 1};
    mc_error_clear();
    MC_CHECK(mc_metrics_internal(X, 3, 2, bad, NULL, &s1) == MC_STATUS_INVALID_ARG &&
                 strstr(mc_error_message(), "row 1"),
             "cluster id -2 rejected: '%s'", mc_error_message());
    float Xn[6] = {0, 1, NAN, 2, 3, 4};
    MC_CHECK(mc_metrics_internal(Xn, 3, 2, sing, NULL, &s1) == MC_STATUS_NUMERIC &&
                 strstr(mc_error_message(), "row 1, column 0 is NaN"),
             "NaN rejected: '%s'", mc_error_message());
    Xn[2] = INFINITY;
    MC_CHECK(mc_metrics_calinski_harabasz(Xn, 3, 2, sing, &mean, NULL) == MC_STATUS_NUMERIC &&
                 strstr(mc_error_message(), "infinite"),
             "Inf rejected: '%s'", mc_error_message());
    MC_CHECK(mc_metrics_davies_bouldin(X, 3, 0, sing, &mean, NULL) == MC_STATUS_INVALID_ARG, "d = 0 rejected");
    mc_metrics_opts o;
    mc_metrics_opts_default(&o);
    o.block = 5000;
    MC_CHECK(mc_metrics_silhouette(X, 3, 2, sing, &o, &mean, NULL, NULL) == MC_STATUS_INVALID_ARG, "block > 4096 rejected");
    int32_t cbad[2] = {0, 7};
    MC_CHECK(mc_metrics_contingency(sing, cbad, 2, 3, NULL, &e) == MC_STATUS_INVALID_ARG, "class id out of range rejected");
    mc_metrics_contingency_free(NULL);

    /* Label encoding: sorted bytewise, empty = unlabelled. */
    const char *lab[6] = {"rock", "", "jazz", "rock", NULL, "Ambient"};
    int32_t id[6];
    char **names = NULL;
    int nn = 0;
    MC_CHECK_OK(mc_metrics_encode_labels(lab, 6, id, &names, &nn));
    MC_CHECK(nn == 3 && !strcmp(names[0], "Ambient") && !strcmp(names[1], "jazz") && !strcmp(names[2], "rock") &&
                 id[0] == 2 && id[1] == -1 && id[2] == 1 && id[3] == 2 && id[4] == -1 && id[5] == 0,
             "encode_labels: %d names, ids %d %d %d %d %d %d", nn, id[0], id[1], id[2], id[3], id[4], id[5]);

    /* Contingency file: header with the names, noise row first. */
    int32_t cc[6] = {4, 4, -1, 2, 2, 4};
    MC_CHECK_OK(mc_metrics_contingency(cc, id, 6, nn, (const char *const *)names, &e));
    const char *dir = mc_test_tmpdir("metrics");
    char path[600];
    snprintf(path, sizeof path, "%s/cont.tsv", dir);
    MC_CHECK_OK(mc_metrics_contingency_write(&e, path));
    mc_table t = {0};
    MC_CHECK_OK(mc_table_read(path, 0, &t));
    MC_CHECK(t.ncols == 4 && !strcmp(t.header[0], "cluster") && !strcmp(t.header[1], "Ambient") && t.nrows == 3 &&
                 !strcmp(mc_table_get(&t, 0, 0), "-1") && !strcmp(mc_table_get(&t, 0, 2), "1") &&
                 !strcmp(mc_table_get(&t, 2, 0), "4") && !strcmp(mc_table_get(&t, 2, 3), "1") &&
                 !strcmp(mc_table_get(&t, 2, 1), "1") && !strcmp(mc_table_get(&t, 1, 0), "2") &&
                 !strcmp(mc_table_get(&t, 1, 3), "1") && !strcmp(mc_table_get(&t, 1, 1), "0"),
             "contingency TSV (%d cols, %lld rows)", t.ncols, (long long)t.nrows);
    mc_table_free(&t);
    mc_metrics_contingency_free(&e);
    mc_metrics_names_free(names, nn);
}

/* ---------------------------------------------------------------- block-wise silhouette */

static uint32_t rng_state = 12345;
static double urand(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (double)rng_state / 4294967296.0;
}

/* Direct definition in double: d(i, j) = sqrt(sum (x - y)^2), no expansion, no blocks. */
static double naive_silhouette(const float *X, int n, int d, const int32_t *c, double *s) {
    int32_t maxc = 0;
    for (int i = 0; i < n; i++) maxc = c[i] > maxc ? c[i] : maxc;
    double *sum = mc_test_xcalloc((size_t)maxc + 1, sizeof *sum);
    int64_t *size = mc_test_xcalloc((size_t)maxc + 1, sizeof *size);
    for (int i = 0; i < n; i++)
        if (c[i] >= 0) size[c[i]]++;
    double tot = 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (c[i] < 0) continue;
        memset(sum, 0, ((size_t)maxc + 1) * sizeof *sum);
        for (int j = 0; j < n; j++) {
            if (c[j] < 0) continue;
            double q = 0;
            for (int f = 0; f < d; f++) {
                double v = (double)X[i * d + f] - X[j * d + f];
                q += v * v;
            }
            sum[c[j]] += sqrt(q);
        }
        double a = size[c[i]] > 1 ? sum[c[i]] / (double)(size[c[i]] - 1) : 0, b = INFINITY;
        for (int k = 0; k <= maxc; k++)
            if (k != c[i] && size[k] > 0 && sum[k] / (double)size[k] < b) b = sum[k] / (double)size[k];
        s[i] = size[c[i]] > 1 ? (b - a) / fmax(a, b) : 0.0;
        if (isnan(s[i])) s[i] = 0;
        tot += s[i];
        m++;
    }
    free(sum);
    free(size);
    return tot / m;
}

static void test_blockwise(void) {
    const int n = 1100, d = 12, k = 6;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    int32_t *c = mc_test_xcalloc((size_t)n, sizeof *c);
    for (int i = 0; i < n; i++) {
        c[i] = (int32_t)(urand() * k) * 3; /* ids 0, 3, ..., 15 */
        for (int f = 0; f < d; f++) X[i * d + f] = (float)(10.0 + (f == c[i] % d ? 2.0 : 0.0) + 2.0 * (urand() - 0.5));
        if (urand() < 0.05) c[i] = -1;
    }
    c[7] = 99; /* a singleton */
    double *ref = mc_test_xcalloc((size_t)n, sizeof *ref), *s = mc_test_xcalloc((size_t)n, sizeof *s),
           *first = mc_test_xcalloc((size_t)n, sizeof *first);
    double ref_mean = naive_silhouette(X, n, d, c, ref);
    const int blocks[] = {1, 7, 64, 100, 256, 4096};
    double maxdiff = 0;
    int nruns = 0;
    for (int algo = MC_SILHOUETTE_SYMMETRIC; algo <= MC_SILHOUETTE_ROWS; algo++)
        for (size_t bi = 0; bi < sizeof blocks / sizeof *blocks; bi++) {
            double mean1 = 0;
            for (int threads = 1; threads <= 3; threads++) {
                if (blocks[bi] == 1 && threads > 1) continue; /* 1-row tiles are slow; one run covers them */
                mc_metrics_opts o;
                mc_metrics_opts_default(&o);
                o.algo = (mc_silhouette_algo)algo;
                o.block = blocks[bi];
                o.threads = threads;
                double mean = 0;
                MC_CHECK_OK(mc_metrics_silhouette(X, n, d, c, &o, &mean, s, NULL));
                nruns++;
                for (int i = 0; i < n; i++) {
                    double dd = c[i] < 0 ? (isnan(s[i]) ? 0 : INFINITY) : fabs(s[i] - ref[i]);
                    if (dd > maxdiff) maxdiff = dd;
                }
                if (threads == 1) {
                    mean1 = mean;
                    memcpy(first, s, (size_t)n * sizeof *s);
                } else {
                    MC_CHECK(mean == mean1 && memcmp(first, s, (size_t)n * sizeof *s) == 0,
                             "algo %d block %d: %d threads give the same bits as 1 (%.17g vs %.17g)", algo,
                             blocks[bi], threads, mean, mean1);
                }
                MC_CHECK(rel_diff(mean, ref_mean) <= 1e-12, "algo %d block %d threads %d: mean %.17g vs direct %.17g",
                         algo, blocks[bi], threads, mean, ref_mean);
            }
        }
    printf("  block-wise silhouette, %d runs (2 algorithms x blocks 1..4096 x 1-3 threads): max |s - direct| = %.3g\n",
           nruns, maxdiff);
    MC_CHECK(maxdiff <= 1e-12, "per-sample silhouette vs direct: max diff %.3g", maxdiff);

    /* Every SIMD path this CPU has gives identical bits (same lane order everywhere). */
    double mean0 = 0;
    int paths = 0;
    for (int isa = 0; isa < MC__ISA_COUNT; isa++) {
        if (!mc__sil_isa_available(isa)) continue;
        mc__sil_force_isa(isa);
        mc_metrics_opts o;
        mc_metrics_opts_default(&o);
        o.block = 100;
        double mean = 0;
        MC_CHECK_OK(mc_metrics_silhouette(X, n, d, c, &o, &mean, s, NULL));
        if (paths == 0) {
            mean0 = mean;
            memcpy(first, s, (size_t)n * sizeof *s);
        } else {
            MC_CHECK(mean == mean0 && memcmp(first, s, (size_t)n * sizeof *s) == 0, "path %s gives the same bits",
                     mc__sil_kernels_get(isa).name);
        }
        paths++;
    }
    mc__sil_force_isa(-1);
    printf("  %d SIMD paths give identical results (best here: %s)\n", paths, mc__sil_kernels_get(-1).name);

    /* The fused kernel on odd lengths and segmentations: distances and flags as the formula says,
     * segment sums equal to plain sums, and the same bits on every path. */
    double g[37], h[37], nj[37], sums[37], sums0[37];
    int64_t bounds[38];
    for (int i = 0; i < 37; i++) {
        g[i] = urand() - 0.7;
        nj[i] = urand();
        if (i % 5 == 0) g[i] = -0.25 - nj[i] + 1e-5; /* a near-duplicate: flagged */
    }
    for (int len = 0; len <= 37; len++) {
        int nseg = 0;
        bounds[0] = 0;
        while (bounds[nseg] < len) {
            int64_t step = 1 + (int64_t)(urand() * 19);
            bounds[nseg + 1] = bounds[nseg] + step < len ? bounds[nseg] + step : len;
            nseg++;
        }
        for (int isa = 0; isa < MC__ISA_COUNT; isa++) {
            if (!mc__sil_isa_available(isa)) continue;
            mc__sil_kernels K = mc__sil_kernels_get(isa);
            memcpy(h, g, sizeof g);
            int64_t nf = K.dist_sums(h, 0.25, nj, bounds, nseg, sums), flagged = 0;
            int ok = 1;
            for (int sg = 0; sg < nseg; sg++) {
                double plain = 0;
                for (int64_t j = bounds[sg]; j < bounds[sg + 1]; j++) {
                    double v = g[j] + 0.25 + nj[j];
                    bool close = v < (0.25 + nj[j]) / 1024;
                    flagged += close;
                    ok &= h[j] == (close ? -1.0 : sqrt(v > 0 ? v : 0));
                    plain += close ? 0.0 : h[j];
                }
                ok &= fabs(sums[sg] - plain) <= 1e-13;
                if (isa == 0) sums0[sg] = sums[sg];
                else ok &= sums[sg] == sums0[sg];
            }
            MC_CHECK(ok && nf == flagged, "%s kernel, length %d, %d segments", K.name, len, nseg);
        }
    }
    free(X);
    free(c);
    free(ref);
    free(s);
    free(first);
}

/* The distance tiles (fused products, flags and square roots) on odd shapes: every path gives the
 * scalar path's bits; each distance is within 2e-13 (relative) of sqrt of the same squared distance, or
 * -1 exactly where the pair is flagged; data scaled far out of float range take the exact root. */
/* The silhouette's path over ranks (mc_metrics_opts.dist, R > 1), taken by one process (a NULL dist:
 * share 0 of 1, the broadcasts, the ordered sum and the gather are the identity): SYMMETRIC's parts (the
 * diagonal tiles, then one round each) added in order by the chain and by the ordered sum, in batches
 * down to one or two tables at once (the running sums carried into the next batch), and ROWS's whole row blocks gathered in row order must give the bytes
 * of the usual path: the per-row values and the mean, exact and sampled, with noise and a singleton. */
static void test_ranks_path(void) {
    const int n = 700, d = 5, k = 5;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X);
    int32_t *c = mc_test_xcalloc((size_t)n, sizeof *c);
    for (int i = 0; i < n; i++) {
        c[i] = (int32_t)(urand() * k);
        for (int f = 0; f < d; f++) X[i * d + f] = (float)(3.0 + (f == c[i] ? 1.5 : 0.0) + (urand() - 0.5));
        if (urand() < 0.04) c[i] = -1;
    }
    c[11] = 40; /* a singleton */
    double *a = mc_test_xcalloc((size_t)n, sizeof *a), *b = mc_test_xcalloc((size_t)n, sizeof *b);
    const int blocks[] = {16, 33, 64, 256};
    const int64_t budgets[] = {0, 1, (int64_t)n * 6 * 8 * 3}; /* default; two tables a batch; three */
    int runs = 0, differ = 0;
    for (int algo = MC_SILHOUETTE_SYMMETRIC; algo <= MC_SILHOUETTE_ROWS; algo++)
        for (size_t bi = 0; bi < sizeof blocks / sizeof *blocks; bi++)
            for (size_t mb = 0; mb < sizeof budgets / sizeof *budgets; mb++) {
                if (algo == MC_SILHOUETTE_ROWS && mb > 0) continue; /* ROWS has no table */
                mc_metrics_opts o;
                mc_metrics_opts_default(&o);
                o.algo = (mc_silhouette_algo)algo;
                o.block = blocks[bi];
                o.max_bytes = budgets[mb];
                o.threads = 1 + (int)(bi % 3);
                double ma = 0, mb_ = 0;
                MC_CHECK_OK(mc_metrics_silhouette(X, n, d, c, &o, &ma, a, NULL));
                for (int mode = 1; mode <= (algo == MC_SILHOUETTE_SYMMETRIC ? 2 : 1); mode++) {
                    mc__sil_force_ranks(mode);
                    MC_CHECK_OK(mc_metrics_silhouette(X, n, d, c, &o, &mb_, b, NULL));
                    mc__sil_force_ranks(0);
                    runs++;
                    if (memcmp(&ma, &mb_, sizeof ma) != 0 || memcmp(a, b, (size_t)n * sizeof *a) != 0) {
                        double worst = fabs(ma - mb_);
                        for (int i = 0; i < n; i++)
                            if (c[i] >= 0) worst = fmax(worst, fabs(a[i] - b[i]));
                        MC_CHECK(0, "algo %d block %d max_bytes %lld mode %d: the ranks path differs (max |diff| %.3g)",
                                 algo, blocks[bi], (long long)budgets[mb], mode, worst);
                        differ++;
                    }
                }
            }
    /* the sampled silhouette (mc_metrics_internal): the sample drawn the same, then the ranks path */
    mc_metrics_opts o;
    mc_metrics_opts_default(&o);
    o.silhouette_sample = 300;
    o.sample_seed = 9;
    o.block = 32;
    mc_internal_scores s1, s2;
    MC_CHECK_OK(mc_metrics_internal(X, n, d, c, &o, &s1));
    mc__sil_force_ranks(1);
    MC_CHECK_OK(mc_metrics_internal(X, n, d, c, &o, &s2));
    mc__sil_force_ranks(0);
    MC_CHECK(s1.silhouette_sampled && s1.silhouette_rows == 300 && memcmp(&s1.silhouette, &s2.silhouette, sizeof(double)) == 0 &&
                 memcmp(&s1.silhouette_se, &s2.silhouette_se, sizeof(double)) == 0,
             "sampled silhouette: ranks path %.17g (se %.17g) vs %.17g (se %.17g)", s2.silhouette, s2.silhouette_se,
             s1.silhouette, s1.silhouette_se);
    printf("  silhouette over ranks (one process, forced): %d runs + 1 sampled, %d differ in any bit\n", runs, differ);
    free(X);
    free(c);
    free(a);
    free(b);
}

static void test_sil_tiles(void) {
    const int d = 5, bi = 7, nv = 3, bj = 19; /* columns 19..23 are padding (zero) */
    double XI[7 * 5], YJ[24 * 5], PJ[3 * 5 * 8], ni[7], nj[24], D0[7 * 24], D1[7 * 24];
    const double scales[3] = {1.0, 1e-70, 1e70};
    int64_t bad = 0, checked = 0;
    double worst = 0;
    int tiles = 0;
    for (int sc = 0; sc < 3; sc++) {
        for (int i = 0; i < bi * d; i++) XI[i] = (urand() - 0.5) * scales[sc];
        for (int j = 0; j < 24 * d; j++) YJ[j] = j < bj * d ? (urand() - 0.5) * scales[sc] : 0.0;
        for (int f = 0; f < d; f++) YJ[3 * d + f] = XI[2 * d + f];                  /* a duplicate: flagged */
        for (int f = 0; f < d; f++) YJ[5 * d + f] = XI[d + f] * (1 + 1e-9);         /* a near-duplicate */
        for (int i = 0; i < bi; i++) {
            ni[i] = 0;
            for (int f = 0; f < d; f++) ni[i] += XI[i * d + f] * XI[i * d + f];
        }
        for (int j = 0; j < 24; j++) {
            nj[j] = 0;
            for (int f = 0; f < d; f++) nj[j] += YJ[j * d + f] * YJ[j * d + f];
            for (int f = 0; f < d; f++) PJ[((j / 8) * d + f) * 8 + j % 8] = YJ[j * d + f];
        }
        int first = 1;
        for (int isa = 0; isa < MC__ISA_COUNT; isa++) {
            if (!mc__sil_isa_available(isa)) continue;
            mc__sil_kernels K = mc__sil_kernels_get(isa);
            if (!K.tile) continue;
            K.tile(XI, bi, ni, PJ, nj, nv, d, first ? D0 : D1);
            tiles++;
            if (!first) {
                bad += memcmp(D0, D1, sizeof D0) != 0;
                continue;
            }
            first = 0;
            for (int i = 0; i < bi; i++)
                for (int j = 0; j < bj; j++) {
                    double acc = 0;
                    for (int f = 0; f < d; f++) acc = fma(XI[i * d + f], YJ[j * d + f], acc);
                    const double v = (-2.0 * acc + ni[i]) + nj[j], got = D0[i * 24 + j];
                    checked++;
                    if (v < (ni[i] + nj[j]) / 1024) {
                        bad += got != -1.0;
                    } else {
                        const double want = sqrt(v);
                        const double rel = fabs(got - want) / want;
                        worst = fmax(worst, rel);
                        bad += !(rel <= 2e-13);
                    }
                }
        }
    }
    if (tiles == 0) {
        printf("  distance tiles: this CPU has no FMA, dgemm and dist_sums are used (nothing to check)\n");
        return;
    }
    printf("  distance tiles: %d path runs on 3 scales, %lld distances, max relative error vs sqrt %.3g\n", tiles,
           (long long)checked, worst);
    MC_CHECK(bad == 0 && checked > 0, "distance tiles: %lld wrong (max relative error %.3g)", (long long)bad, worst);
}

/* ---------------------------------------------------------------- track helpers */

static void test_tracks(void) {
    int32_t c[9] = {2, -1, 3, 1, 3, 1, 0, 0, 5};
    int64_t tr[9] = {0, 0, 1, 1, 1, 1, 2, 2, 2};
    int32_t v[4];
    MC_CHECK_OK(mc_metrics_track_vote(c, tr, 9, 4, v));
    MC_CHECK(v[0] == -1 && v[1] == 1 && v[2] == 0 && v[3] == -1, "vote: ties to the smallest id (%d %d %d %d)", v[0], v[1],
             v[2], v[3]);
    int64_t badtr[2] = {0, 4};
    MC_CHECK(mc_metrics_track_vote(c, badtr, 2, 4, v) == MC_STATUS_INVALID_ARG, "track index out of range rejected");
    float X[9 * 2];
    for (int i = 0; i < 18; i++) X[i] = (float)i;
    float m[3 * 2];
    MC_CHECK_OK(mc_metrics_track_means(X, 9, 2, tr, 3, m));
    MC_CHECK(m[0] == 1 && m[1] == 2 && m[2] == 7 && m[3] == 8 && m[4] == 14 && m[5] == 15, "track means");
    MC_CHECK(mc_metrics_track_means(X, 9, 2, tr, 4, m) == MC_STATUS_INVALID_ARG, "a track with no row rejected");

    /* the fixture store's votes, from Python */
    int64_t *t64 = mc_test_xcalloc(STORE_N, sizeof *t64);
    int32_t tv[STORE_TRACKS];
    for (int i = 0; i < STORE_N; i++) t64[i] = store_track[i];
    MC_CHECK_OK(mc_metrics_track_vote(store_cluster, t64, STORE_N, STORE_TRACKS, tv));
    int same = 1;
    for (int t = 0; t < STORE_TRACKS; t++) same &= tv[t] == store_track_vote[t];
    MC_CHECK(same, "store track votes equal Python's");
    free(t64);
}

/* ---------------------------------------------------------------- the CLI */

static int run(const char *args, char *err, size_t cap) { return mc_test_cli("metrics", args, err, cap); }

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* The fixture store as files: index.tsv (n_index_rows rows; row relabel_row gets genre "polka"),
 * X.npy (row nan_row gets a NaN), assign.tsv (n_assign_rows rows; all cluster 4 if single_cluster). */
static void write_store(const char *dir, int n_index_rows, int n_assign_rows, int nan_row, bool single_cluster,
                        int relabel_row) {
    char p[700];
    snprintf(p, sizeof p, "%s/index.tsv", dir);
    FILE *f = fopen(p, "w");
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tgenre\tlanguage\ttag\tsource\n", f);
    for (int i = 0; i < n_index_rows; i++)
        fprintf(f, "%d\t%d\t/music/t%d.mp3\t%d\t0\t%s\t%s\t%s\t%s\n", i, store_track[i], store_track[i], 3 * i,
                i == relabel_row ? "polka" : store_genre[i], store_language[i], store_tag[i], store_source[i]);
    fclose(f);
    float *X = mc_test_xcalloc((size_t)STORE_N * STORE_D, sizeof *X);
    memcpy(X, store_X, sizeof store_X);
    if (nan_row >= 0) X[nan_row * STORE_D + 2] = NAN;
    int64_t shape[2] = {STORE_N, STORE_D};
    snprintf(p, sizeof p, "%s/X.npy", dir);
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 2, shape, X));
    free(X);
    snprintf(p, sizeof p, "%s/assign.tsv", dir);
    f = fopen(p, "w");
    fputs("row\tcluster\n", f);
    for (int i = 0; i < n_assign_rows; i++) fprintf(f, "%d\t%d\n", i, single_cluster ? 4 : store_cluster[i]);
    fclose(f);
}

/* The output of `musiclust evaluate` (the run's metrics.csv / metrics.json schema, report.h): the
 * JSON for full-precision values and counts, the CSV for what a spreadsheet sees. */
typedef struct eval_out {
    mc_json_value *json;
    mc_report_table csv;
} eval_out;

static void eval_read(const char *prefix, eval_out *e) {
    char p[700];
    snprintf(p, sizeof p, "%s.json", prefix);
    e->json = mc_test_json_file(p);
    MC_CHECK(e->json != NULL, "%s parses", p);
    snprintf(p, sizeof p, "%s.csv", prefix);
    MC_CHECK_OK(mc_report_table_read_csv(p, &e->csv));
}

static void eval_free(eval_out *e) {
    mc_json_value_free(e->json);
    mc_report_table_free(&e->csv);
}

/* Whether the output has this metric ("ari" of column "genre" is ari_genre) at this level. */
static bool has_metric(const eval_out *e, const char *level, const char *column, const char *metric) {
    char name[128];
    snprintf(name, sizeof name, "%s%s%s", metric, column[0] ? "_" : "", column);
    double v;
    return mc_test_metric_value(mc_test_metrics_row(e->json, level, NULL), name, &v, NULL);
}

/* Rows without a label in a column at a level (label_columns of the JSON), -1 if not there. */
static long long unlabelled_rows(const eval_out *e, const char *column, const char *level) {
    const mc_json_value *cols = mc_json_member(e->json, "label_columns");
    for (int i = 0; cols && i < cols->n; i++) {
        const mc_json_value *c = cols->items[i];
        if (strcmp(mc_json_member(c, "column")->str, column) != 0) continue;
        const mc_json_value *u = mc_json_member(mc_json_member(c, "unlabelled_rows"), level);
        return u && u->type == MC_JSON_NUMBER ? (long long)u->num : -1;
    }
    return -1;
}

/* The value of (level, column, metric) against sklearn, and the rows it counted: used (rows minus
 * noise for the internal metrics, minus the unlabelled for the label metrics), unlabelled, noise. */
static void check_csv_value(const eval_out *e, const char *level, const char *column, const char *metric, double want,
                            long long n_used, long long n_unlabeled, long long n_noise) {
    char name[128];
    snprintf(name, sizeof name, "%s%s%s", metric, column[0] ? "_" : "", column);
    const mc_json_value *row = mc_test_metrics_row(e->json, level, NULL);
    double got = NAN, noise = NAN;
    const bool have = mc_test_metric_value(row, name, &got, NULL) && mc_test_metric_value(row, "noise_fraction", &noise, NULL);
    MC_CHECK(have, "output has %s/%s/%s", level, column, metric);
    if (!have) return;
    double rd = rel_diff(got, want);
    if (rd > worst[8]) worst[8] = rd;
    MC_CHECK(rd <= REL_TOL, "evaluate %s/%s/%s = %.17g, sklearn %.17g", level, column, metric, got, want);
    const long long rows = (long long)mc_json_member(row, "rows")->num, noise_rows = llround(noise * (double)rows);
    const long long unl = column[0] ? unlabelled_rows(e, column, level) : 0;
    const long long used = column[0] ? rows - unl : rows - noise_rows;
    MC_CHECK(used == n_used && unl == n_unlabeled && noise_rows == n_noise,
             "evaluate %s/%s/%s counts %lld %lld %lld, want %lld %lld %lld", level, column, metric, used, unl, noise_rows,
             n_used, n_unlabeled, n_noise);
    /* the CSV prints the same value rounded (report.h, NUMBERS) */
    int r = -1, m = mc_report_table_metric(&e->csv, name);
    for (int i = 0; i < e->csv.n_rows; i++)
        if (!strcmp(e->csv.rows[i].level, level)) r = i;
    char a[64], b[64] = "(none)";
    mc_report_format_value(got, a, sizeof a);
    if (r >= 0 && m >= 0) mc_report_format_value(e->csv.rows[r].mean[m], b, sizeof b);
    MC_CHECK(!strcmp(a, b), "CSV %s/%s/%s = %s, JSON %s", level, column, metric, b, a);
}

static void test_cli(void) {
    char err[8192], args[4096], p[700];
    const char *dir = mc_test_tmpdir("metrics_cli");
    write_store(dir, STORE_N, STORE_N, -1, false, -1);

    MC_CHECK(run("evaluate --help", err, sizeof err) == 0, "evaluate --help exits 0");
    MC_CHECK(run("--help", err, sizeof err) == 0, "musiclust --help");
    FILE *f = fopen("metrics_stdout.txt", "r");
    char out[8192] = {0};
    if (f) {
        out[fread(out, 1, sizeof out - 1, f)] = 0;
        fclose(f);
    }
    MC_CHECK(strstr(out, "evaluate") != NULL, "evaluate listed in musiclust --help");
    MC_CHECK(run("evaluate", err, sizeof err) == 2, "no arguments: usage error");
    snprintf(args, sizeof args, "evaluate --track-level '%s/X.npy' '%s/assign.tsv'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--labels"), "--track-level without --labels: %s", err);
    snprintf(args, sizeof args, "evaluate --column genre '%s/X.npy' '%s/assign.tsv'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--labels"), "--column without --labels: %s", err);

    /* The full run: segment and track level, default columns (genre and language; tag has a value
     * per row and source only one, so both are left out). */
    snprintf(args, sizeof args, "evaluate --labels '%s/index.tsv' --track-level --threads 2 '%s/X.npy' '%s/assign.tsv'",
             dir, dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "evaluate exits 0: %s", err);
    f = fopen("metrics_stdout.txt", "r");
    memset(out, 0, sizeof out);
    if (f) {
        out[fread(out, 1, sizeof out - 1, f)] = 0;
        fclose(f);
    }
    MC_CHECK(strstr(out, "silhouette") && strstr(out, "purity") && strstr(out, "n_noise"), "table on stdout:\n%s", out);
    mc_table t = {0};
    eval_out e;
    snprintf(p, sizeof p, "%s/assign.metrics", dir); /* default prefix */
    eval_read(p, &e);
    MC_CHECK(e.csv.n_rows == 2 && e.csv.n_metrics == 3 + 2 * 4 + 2,
             "CSV: 2 rows (levels) x (3 internal + 2 columns x 4 (ari, ami, nmi, purity) + n_clusters, noise_fraction), got %d x %d",
             e.csv.n_rows, e.csv.n_metrics);
    const store_internal *si[2] = {&store_internal_seg, &store_internal_trk};
    const store_label *sl[2] = {store_labels_seg, store_labels_trk};
    const char *lv[2] = {"segment", "track"};
    const long long nrows[2] = {STORE_N, STORE_TRACKS};
    for (int l = 0; l < 2; l++) {
        long long used = nrows[l] - si[l]->n_noise;
        check_csv_value(&e, lv[l], "", "silhouette", si[l]->sil, used, 0, si[l]->n_noise);
        check_csv_value(&e, lv[l], "", "calinski_harabasz", si[l]->ch, used, 0, si[l]->n_noise);
        check_csv_value(&e, lv[l], "", "davies_bouldin", si[l]->db, used, 0, si[l]->n_noise);
        for (int c = 0; c < 2; c++) {
            const store_label *x = &sl[l][c];
            check_csv_value(&e, lv[l], x->column, "ari", x->ari, x->n_used, x->n_unlabeled, x->n_noise);
            check_csv_value(&e, lv[l], x->column, "nmi", x->nmi, x->n_used, x->n_unlabeled, x->n_noise);
            check_csv_value(&e, lv[l], x->column, "purity", x->purity, x->n_used, x->n_unlabeled, x->n_noise);
        }
    }
    MC_CHECK(!has_metric(&e, "segment", "tag", "ari") && !has_metric(&e, "segment", "source", "ari"),
             "tag (N distinct) and source (1 value) left out by default");
    const char *files[] = {"assign.metrics.json", "assign.metrics.contingency_genre.tsv",
                           "assign.metrics.contingency_language.tsv", "assign.metrics.contingency_genre.track.tsv",
                           "assign.metrics.contingency_language.track.tsv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        struct stat sb;
        MC_CHECK(stat(p, &sb) == 0 && sb.st_size > 0, "%s written", files[i]);
    }
    snprintf(p, sizeof p, "%s/assign.metrics.contingency_genre.tsv", dir);
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    long long total = 0;
    for (int64_t r = 0; r < t.nrows; r++)
        for (int c = 1; c < t.ncols; c++) total += atoll(mc_table_get(&t, r, c));
    MC_CHECK(t.ncols == 5 && !strcmp(t.header[1], "blues") && !strcmp(mc_table_get(&t, 0, 0), "-1") &&
                 total == store_labels_seg[0].n_used,
             "genre contingency: 4 genres, noise row first, %lld labelled rows", total);
    mc_table_free(&t);
    const mc_json_value *trk = mc_test_metrics_row(e.json, "track", NULL), *rows = mc_json_member(trk, "rows");
    MC_CHECK(mc_json_member(e.json, "noise_convention") && has_metric(&e, "segment", "", "davies_bouldin") && rows &&
                 rows->num == 50,
             "JSON has the convention, the metrics and the track count");
    eval_free(&e);

    /* An explicit column, -o PREFIX, --quiet: nothing on stdout; and the same numbers for another
     * thread count and block (the silhouette never depends on threads). */
    snprintf(args, sizeof args,
             "evaluate --quiet --labels '%s/index.tsv' --column tag --column=language --threads 1 -o '%s/q' '%s/X.npy' "
             "'%s/assign.tsv'",
             dir, dir, dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "explicit columns exit 0: %s", err);
    f = fopen("metrics_stdout.txt", "r");
    long sz = 1;
    if (f) {
        fseek(f, 0, SEEK_END);
        sz = ftell(f);
        fclose(f);
    }
    MC_CHECK(sz == 0, "--quiet: nothing on stdout (%ld bytes)", sz);
    snprintf(p, sizeof p, "%s/q", dir);
    eval_read(p, &e);
    MC_CHECK(e.csv.n_rows == 1 && e.csv.n_metrics == 3 + 2 * 4 + 2 && has_metric(&e, "segment", "tag", "purity") &&
                 !has_metric(&e, "segment", "genre", "ari"),
             "only the named columns (%d metrics)", e.csv.n_metrics);
    double tag_purity = NAN;
    /* every row is its own tag class, so each cluster (and the pooled noise row) has max 1:
     * purity = (clusters + 1) / N */
    if (mc_test_metric_value(mc_test_metrics_row(e.json, "segment", NULL), "purity_tag", &tag_purity, NULL))
        MC_CHECK(fabs(tag_purity - (store_internal_seg.k + 1.0) / STORE_N) < 1e-15, "tag purity %.17g", tag_purity);
    check_csv_value(&e, "segment", "", "silhouette", store_internal_seg.sil, STORE_N - store_internal_seg.n_noise, 0,
                    store_internal_seg.n_noise);
    eval_free(&e);

    /* Single cluster: exit 0, silhouette n/a with the reason (nan in the CSV). */
    const char *d1 = "tmp_metrics_cli/single";
    MC_CHECK(system("mkdir -p tmp_metrics_cli/single") == 0, "mkdir");
    write_store(d1, STORE_N, STORE_N, -1, true, -1);
    snprintf(args, sizeof args, "evaluate --labels '%s/index.tsv' '%s/X.npy' '%s/assign.tsv'", d1, d1, d1);
    MC_CHECK(run(args, err, sizeof err) == 0, "one cluster exits 0: %s", err);
    f = fopen("metrics_stdout.txt", "r");
    memset(out, 0, sizeof out);
    if (f) {
        out[fread(out, 1, sizeof out - 1, f)] = 0;
        fclose(f);
    }
    MC_CHECK(strstr(out, "n/a") && strstr(out, "1 cluster"), "table shows n/a and the reason:\n%s", out);
    snprintf(p, sizeof p, "%s/assign.metrics", d1);
    eval_read(p, &e);
    const int ms = mc_report_table_metric(&e.csv, "silhouette"), ma = mc_report_table_metric(&e.csv, "ari_genre");
    MC_CHECK(e.csv.n_rows == 1 && ms >= 0 && isnan(e.csv.rows[0].mean[ms]) && strstr(e.csv.rows[0].note, "1 cluster"),
             "CSV silhouette nan with note");
    MC_CHECK(e.csv.n_rows == 1 && ma >= 0 && e.csv.rows[0].mean[ma] == 0.0, "ARI of one cluster is 0");
    eval_free(&e);

    /* Bad input: exit 1, one line naming the file and the problem. */
    const char *d2 = "tmp_metrics_cli/bad";
    MC_CHECK(system("mkdir -p tmp_metrics_cli/bad") == 0, "mkdir");
    char want[256];
    write_store(d2, STORE_N, STORE_N - 1, -1, false, -1);
    snprintf(args, sizeof args, "evaluate --labels '%s/index.tsv' '%s/X.npy' '%s/assign.tsv'", d2, d2, d2);
    snprintf(want, sizeof want, "assign.tsv has %d rows but X has %d", STORE_N - 1, STORE_N);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, want) && count_lines(err) == 1,
             "ASSIGN row count mismatch: %s", err);
    write_store(d2, STORE_N - 2, STORE_N, -1, false, -1);
    snprintf(want, sizeof want, "index.tsv has %d rows but", STORE_N - 2);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, want) && count_lines(err) == 1,
             "index row count mismatch: %s", err);
    write_store(d2, STORE_N, STORE_N, 17, false, -1);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "X.npy: row 17 has a NaN") && count_lines(err) == 1,
             "NaN row: %s", err);
    write_store(d2, STORE_N, STORE_N, -1, false, -1);
    snprintf(args, sizeof args, "evaluate --labels '%s/index.tsv' --column mood '%s/X.npy' '%s/assign.tsv'", d2, d2, d2);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "no column 'mood'") &&
                 strstr(err, "genre, language, tag, source") && count_lines(err) == 1,
             "missing column lists the label columns: %s", err);
    snprintf(p, sizeof p, "%s/assign.tsv", d2);
    f = fopen(p, "w");
    fputs("row\tcluster\n0\t1\n1\tx\n", f);
    fclose(f);
    snprintf(args, sizeof args, "evaluate '%s/X.npy' '%s/assign.tsv'", d2, d2);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "assign.tsv") && count_lines(err) == 1, "short ASSIGN: %s", err);
    f = fopen(p, "w");
    fputs("row\tcluster\n", f);
    for (int i = 0; i < STORE_N; i++) fprintf(f, "%d\t%s\n", i, i == 5 ? "-3" : "1");
    fclose(f);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "line 7: cluster '-3'") && count_lines(err) == 1,
             "cluster id -3: %s", err);
    snprintf(args, sizeof args, "evaluate '%s/missing.npy' '%s/assign.tsv'", d2, d2);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "missing.npy") && count_lines(err) == 1, "missing X: %s", err);
    /* segments of one track with different labels cannot give the track a label */
    int shared = 1;
    while (shared < STORE_N && store_track[shared] != store_track[shared - 1]) shared++;
    MC_CHECK(shared < STORE_N, "the store has a track with two segments");
    write_store(d2, STORE_N, STORE_N, -1, false, shared);
    snprintf(args, sizeof args, "evaluate --quiet --labels '%s/index.tsv' --track-level '%s/X.npy' '%s/assign.tsv'", d2,
             d2, d2);
    snprintf(want, sizeof want, "line %d: track '%d' has segments with different 'genre' labels", shared + 2,
             store_track[shared]);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, want) && count_lines(err) == 1, "inconsistent track: %s", err);
    /* without --track-level the same store is fine */
    snprintf(args, sizeof args, "evaluate --quiet --labels '%s/index.tsv' '%s/X.npy' '%s/assign.tsv'", d2, d2, d2);
    MC_CHECK(run(args, err, sizeof err) == 0, "segment level ignores track consistency: %s", err);
}

/* AMI against sklearn.metrics.adjusted_mutual_info_score (tools/make_ami_fixture.py): absolute
 * difference 1e-9 (values near 0 have no relative scale); NMI of the same tables as a cross-check;
 * symmetric in clusters and classes; random labelings with many clusters get AMI about 0 where NMI
 * grows (the reason AMI marks the best rows). */
static double ami_worst;
static void test_ami(void) {
    for (int ci = 0; ci < AMI_N_CASES; ci++) {
        const mc_ami_case *c = &ami_cases[ci];
        mc_contingency ct, tr;
        MC_CHECK_OK(mc_metrics_contingency(c->cluster, c->cls, c->n, 64, NULL, &ct));
        const double ami = mc_metrics_ami(&ct), d = fabs(ami - c->ami);
        if (!(d <= ami_worst)) ami_worst = isnan(d) ? INFINITY : d;
        MC_CHECK(d <= 1e-9, "%s: ami = %.17g, sklearn %.17g (diff %.3g)", c->name, ami, c->ami, d);
        check_value(c->name, "nmi (ami fixture)", 5, mc_metrics_nmi(&ct), c->nmi);
        /* the transposed labeling (classes as clusters), where every class is labelled */
        bool all = true;
        for (int i = 0; i < c->n; i++) all &= c->cls[i] >= 0 && c->cluster[i] >= 0;
        if (all) {
            MC_CHECK_OK(mc_metrics_contingency(c->cls, c->cluster, c->n, 64, NULL, &tr));
            MC_CHECK(fabs(mc_metrics_ami(&tr) - ami) <= 1e-12, "%s: ami symmetric: %.17g vs %.17g", c->name,
                     mc_metrics_ami(&tr), ami);
            mc_metrics_contingency_free(&tr);
        }
        mc_metrics_contingency_free(&ct);
    }
    MC_CHECK(isnan(mc_metrics_ami(NULL)), "ami of NULL is NaN");
    printf("  ami: %d sklearn cases, max abs difference %.3g (tolerance 1e-9)\n", AMI_N_CASES, ami_worst);
}

int main(void) {
    test_fixture_cases();
    test_ami();
    test_noise_and_edges();
    test_blockwise();
    test_ranks_path();
    test_sil_tiles();
    test_tracks();
    test_cli();
    printf("max relative difference vs scikit-learn 1.2 (tolerance %.0e; samples: absolute, tolerance 1e-9):\n", REL_TOL);
    for (int i = 0; i < 9; i++) printf("  %-26s %.3g\n", worst_name[i], worst[i]);
    return mc_test_summary("test_metrics");
}
