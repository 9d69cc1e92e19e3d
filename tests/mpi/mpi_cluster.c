/* GMM and k-means over real MPI ranks (issue 11): run by mpirun -np 2 and 3 (CTest mpi_cluster_np2/np3).
 *
 * GMM: every rank fits alone (dist NULL) and then over the group, full and diag, one and two restarts,
 * 1 and 2 threads, on 13,001 rows (4 blocks of 4096 rows: every rank holds rows at 2 and 3 ranks) and on
 * 5,000 rows (2 blocks: the third rank holds none), all full covariances in one exchange and one per
 * exchange: every rank must get the bytes of one process (parameters, labels, log-likelihood, BIC,
 * iterations) -- the CLI test (mpi_same.sh) sees rank 0's files only. Then failures on the last rank only
 * must fail every rank with its message, not hang: a NaN in its copy of X (before any collective), and
 * reg_covar 0 on it alone with a cluster of identical points, so that its first M-step gives a singular
 * covariance (in the middle of the collectives).
 *
 * k-means: the Lloyd iterations exchange the per-group sums and one count of changed labels; every row's
 * label travels only to reseed an empty cluster and at the end of a run. Seeded runs (1 and 2 restarts,
 * 1 and 2 threads) on 13,001 rows and 700 rows (one group: the other ranks hold none), and runs from given
 * centres with one centre far from every point, so that its cluster is empty after the first E-step and
 * is reseeded with the farthest point (checked to have happened): every rank must get the bytes of one
 * process (labels, centres, inertia, iterations, convergence). */
#include <musiclust/cluster.h>
#include <musiclust/dist.h>

#include "cluster/cluster_internal.h"
#include "mc_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* rows of nc Gaussian clusters (the same on every rank: a fixed seed) */
static float *make(int64_t n, int d, int nc, uint64_t seed) {
    float *X = mc_test_xcalloc((size_t)n * (size_t)d, sizeof *X);
    mc_rng r;
    mc_rng_seed(&r, seed, 0);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % nc);
        for (int f = 0; f < d; f++)
            X[i * d + f] = (float)(1.5 * c * (1 + f % 2) + (1.0 + 0.4 * (c % 2)) * mc_rng_normal(&r));
    }
    return X;
}

static bool same_result(const mc_clustering *a, const mc_clustering *b, int64_t n, int64_t d, bool full) {
    const size_t kd = (size_t)a->k * (size_t)d, cs = kd * (full ? (size_t)d : 1);
    return a->k == b->k && a->n_iter == b->n_iter && a->converged == b->converged &&
           memcmp(&a->log_likelihood, &b->log_likelihood, sizeof(double)) == 0 &&
           memcmp(&a->bic, &b->bic, sizeof(double)) == 0 && memcmp(a->labels, b->labels, (size_t)n * 4) == 0 &&
           memcmp(a->weights, b->weights, (size_t)a->k * sizeof(double)) == 0 &&
           memcmp(a->means, b->means, kd * sizeof(double)) == 0 &&
           memcmp(a->centers, b->centers, kd * sizeof(float)) == 0 &&
           memcmp(a->covariances, b->covariances, cs * sizeof(double)) == 0;
}

/* GMM fits alone and over the group, then failures on the last rank; returns the fits compared. */
static int gmm_cases(mc_dist *dg) {
    const int rank = mc_dist_rank(dg), size = mc_dist_size(dg);
    const int64_t ns[2] = {13001, 5000};
    const int ds[2] = {5, 3};
    int runs = 0;
    for (int s = 0; s < 2; s++) {
        const int64_t n = ns[s];
        const int d = ds[s];
        float *X = make(n, d, 4, 7 + (uint64_t)s);
        for (int cv = 0; cv < 2; cv++)
            for (int ni = 1; ni <= 2; ni++) {
                mc_cluster_config c;
                mc_cluster_config_default(&c);
                c.algo = MC_CLUSTER_ALGO_GMM;
                c.k = 4;
                c.seed = 3;
                c.covariance = (mc_covariance)cv;
                c.n_init = ni;
                c.threads = ni; /* 1 and 2 threads */
                mc_clustering alone, group;
                MC_CHECK_OK(mc_cluster_gmm(&c, X, n, d, &alone));
                c.dist = dg;
                /* with two restarts, one full covariance per exchange (k exchanges per M-step) */
                if (ni == 2) mc_cl_gmm_batch_bytes = 1;
                MC_CHECK_OK(mc_cluster_gmm(&c, X, n, d, &group));
                mc_cl_gmm_batch_bytes = 32e6;
                double dl = fabs(alone.log_likelihood - group.log_likelihood);
                MC_CHECK(same_result(&alone, &group, n, d, cv == MC_COVARIANCE_FULL),
                         "rank %d of %d: n %lld %s n_init %d: the group's GMM differs from one process's "
                         "(log-likelihood |diff| %.3g, iterations %d vs %d)",
                         rank, size, (long long)n, cv ? "diag" : "full", ni, dl, group.n_iter, alone.n_iter);
                mc_clustering_free(&alone);
                mc_clustering_free(&group);
                runs++;
            }
        free(X);
    }
    if (size > 1) {
        const int last = size - 1;
        const int64_t n = 13001;
        const int d = 4;
        float *X = make(n, d, 3, 21);
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.algo = MC_CLUSTER_ALGO_GMM;
        c.k = 4;
        c.dist = dg;
        /* a NaN on the last rank only: its input check fails before any collective */
        if (rank == last) X[77 * d + 2] = NAN;
        mc_clustering r;
        mc_status st = mc_cluster_gmm(&c, X, n, d, &r);
        char want[32];
        snprintf(want, sizeof want, "rank %d", last);
        MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "row 77") &&
                     (rank == last || strstr(mc_error_message(), want)),
                 "rank %d: a NaN on rank %d only: status %d, '%s'", rank, last, (int)st, mc_error_message());
        if (rank == last) X[77 * d + 2] = X[76 * d + 2];
        /* 400 identical rows far from the rest: one k-means cluster whose covariance is 0 + reg_covar,
         * singular on the last rank alone (reg_covar 0 there), which fails in the first M-step */
        for (int64_t i = 0; i < 400; i++)
            for (int f = 0; f < d; f++) X[(i * 31) * d + f] = 60.0f;
        mc_clustering ok;
        c.dist = NULL;
        MC_CHECK_OK(mc_cluster_gmm(&c, X, n, d, &ok)); /* reg_covar 1e-6: fine alone */
        mc_clustering_free(&ok);
        c.dist = dg;
        if (rank == last) c.reg_covar = 0;
        c.covariance = MC_COVARIANCE_FULL;
        st = mc_cluster_gmm(&c, X, n, d, &r);
        MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "ill-defined empirical covariance") &&
                     (rank == last || strstr(mc_error_message(), want)) && r.labels == NULL,
                 "rank %d: a singular covariance on rank %d only (full): status %d, '%s'", rank, last, (int)st,
                 mc_error_message());
        c.covariance = MC_COVARIANCE_DIAG;
        st = mc_cluster_gmm(&c, X, n, d, &r);
        MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "ill-defined empirical covariance") &&
                     (rank == last || strstr(mc_error_message(), want)),
                 "rank %d: a singular covariance on rank %d only (diag): status %d, '%s'", rank, last, (int)st,
                 mc_error_message());
        /* and the group still works after the failures */
        c.reg_covar = 1e-6;
        MC_CHECK_OK(mc_cluster_gmm(&c, X, n, d, &ok));
        mc_clustering_free(&ok);
        free(X);
    }
    return runs;
}

static bool same_kmeans(const mc_clustering *a, const mc_clustering *b, int64_t n, int64_t d) {
    return a->k == b->k && a->n_iter == b->n_iter && a->converged == b->converged &&
           memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0 && memcmp(a->labels, b->labels, (size_t)n * 4) == 0 &&
           memcmp(a->centers, b->centers, (size_t)a->k * (size_t)d * sizeof(float)) == 0;
}

/* k-means fits alone and over the group; returns the fits compared. */
static int kmeans_cases(mc_dist *dg) {
    const int rank = mc_dist_rank(dg), size = mc_dist_size(dg);
    const int64_t ns[2] = {13001, 700};
    const int ds[2] = {5, 3};
    int runs = 0;
    for (int s = 0; s < 2; s++) {
        const int64_t n = ns[s];
        const int d = ds[s];
        float *X = make(n, d, 4, 5 + (uint64_t)s);
        for (int ni = 1; ni <= 2; ni++) {
            mc_cluster_config c;
            mc_cluster_config_default(&c);
            c.k = 5;
            c.seed = 9;
            c.n_init = ni;
            c.threads = ni;
            mc_clustering alone, group;
            MC_CHECK_OK(mc_cluster_kmeans(&c, X, n, d, &alone));
            c.dist = dg;
            MC_CHECK_OK(mc_cluster_kmeans(&c, X, n, d, &group));
            MC_CHECK(same_kmeans(&alone, &group, n, d),
                     "rank %d of %d: n %lld n_init %d: the group's k-means differs from one process's (inertia "
                     "|diff| %.3g, iterations %d vs %d)", rank, size, (long long)n, ni,
                     fabs(alone.inertia - group.inertia), group.n_iter, alone.n_iter);
            mc_clustering_free(&alone);
            mc_clustering_free(&group);
            runs++;
        }
        /* from given centres: 4 near the clusters, the last far from every point (empty, reseeded) */
        float init[5 * 5];
        for (int j = 0; j < 5; j++)
            for (int f = 0; f < d; f++) init[j * d + f] = j < 4 ? (float)(2.0 * j * (1 + f % 2) + 0.3) : 1000.0f;
        mc_cluster_config c;
        mc_cluster_config_default(&c);
        c.k = 5;
        c.threads = 1;
        mc_clustering alone, group;
        MC_CHECK_OK(mc_cluster_kmeans_from(&c, X, n, d, init, &alone));
        c.dist = dg;
        MC_CHECK_OK(mc_cluster_kmeans_from(&c, X, n, d, init, &group));
        MC_CHECK(alone.centers[4 * d] < 100.0f, "n %lld: the far centre was not reseeded (%.1f): the test does not "
                 "reach the reseeding", (long long)n, (double)alone.centers[4 * d]);
        MC_CHECK(same_kmeans(&alone, &group, n, d),
                 "rank %d of %d: n %lld, an empty cluster reseeded: the group's k-means differs from one "
                 "process's (inertia |diff| %.3g, iterations %d vs %d)", rank, size, (long long)n,
                 fabs(alone.inertia - group.inertia), group.n_iter, alone.n_iter);
        mc_clustering_free(&alone);
        mc_clustering_free(&group);
        runs++;
        free(X);
    }
    return runs;
}

int main(void) {
    mc_dist *dg = NULL;
    MC_CHECK_OK(mc_dist_init(&dg));
    const int gmm = gmm_cases(dg), km = kmeans_cases(dg);
    printf("rank %d of %d: %d GMM and %d k-means fits compared with one process\n", mc_dist_rank(dg),
           mc_dist_size(dg), gmm, km);
    mc_dist_finalize(dg);
    return mc_test_summary("mpi_cluster");
}
