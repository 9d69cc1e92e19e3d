/* GMM over real MPI ranks (issue 11): run by mpirun -np 2 and 3 (CTest mpi_gmm_np2/np3). Every rank
 * fits alone (dist NULL) and then over the group, full and diag, one and two restarts, 1 and 2 threads,
 * on 13,001 rows (4 blocks of 4096 rows: every rank holds rows at 2 and 3 ranks) and on 5,000 rows (2
 * blocks: the third rank holds none), all full covariances in one exchange and one per exchange:
 * every rank must get the bytes of one process (parameters, labels, log-likelihood, BIC, iterations) -- the CLI test (mpi_same.sh) sees rank 0's files only. Then
 * failures on the last rank only must fail every rank with its message, not hang: a NaN in its copy of
 * X (before any collective), and reg_covar 0 on it alone with a cluster of identical points, so that
 * its first M-step gives a singular covariance (in the middle of the collectives). */
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

int main(void) {
    mc_dist *dg = NULL;
    MC_CHECK_OK(mc_dist_init(&dg));
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
    printf("rank %d of %d: %d GMM fits compared with one process\n", rank, size, runs);
    mc_dist_finalize(dg);
    return mc_test_summary("mpi_gmm");
}
