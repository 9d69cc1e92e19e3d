/* The silhouette over real MPI ranks (issue 11): run by mpirun -np 2 and 3 (CTest mpi_metrics_np2/np3).
 * Every rank computes the silhouette alone (dist NULL) and then over the group, for both algorithms,
 * several tile edges and table budgets (max_bytes 1: one table per rank at a time, so SYMMETRIC's rounds
 * go in many batches, added by the chain of broadcasts and, forced, by the ordered sum that many ranks
 * use; ROWS shares whole row blocks unevenly), exact and sampled: every rank must get the
 * bytes of one process, per row and the mean. Then a failure on one rank only (a cluster id -2 in rank
 * 1's copy) must fail every rank with that rank's message, not hang. */
#include <musiclust/dist.h>
#include <musiclust/metrics.h>

#include "mc_test.h"
#include "metrics/metrics_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    mc_dist *d = NULL;
    MC_CHECK_OK(mc_dist_init(&d));
    const int rank = mc_dist_rank(d), size = mc_dist_size(d);
    enum { N = 901, D = 6, K = 4 };
    float *X = mc_test_xcalloc((size_t)N * D, sizeof *X);
    int32_t *c = mc_test_xcalloc(N, sizeof *c);
    double *a = mc_test_xcalloc(N, sizeof *a), *b = mc_test_xcalloc(N, sizeof *b);
    mc_rng r;
    mc_rng_seed(&r, 11, 0); /* the same data on every rank */
    for (int i = 0; i < N; i++) {
        c[i] = (int32_t)(mc_rng_uniform(&r) * K) * 2;
        for (int f = 0; f < D; f++) X[i * D + f] = (float)(5.0 + (f == c[i] / 2 ? 1.2 : 0.0) + mc_rng_normal(&r));
        if (mc_rng_uniform(&r) < 0.03) c[i] = -1;
    }
    c[5] = 77; /* a singleton */
    const int blocks[] = {32, 100, 256};
    const int64_t budgets[] = {0, 1};
    int runs = 0;
    for (int algo = MC_SILHOUETTE_SYMMETRIC; algo <= MC_SILHOUETTE_ROWS; algo++)
        for (size_t bi = 0; bi < sizeof blocks / sizeof *blocks; bi++)
            for (size_t mb = 0; mb < sizeof budgets / sizeof *budgets; mb++) {
                mc_metrics_opts o;
                mc_metrics_opts_default(&o);
                o.algo = (mc_silhouette_algo)algo;
                o.block = blocks[bi];
                o.max_bytes = budgets[mb];
                o.threads = 1 + (int)(mb % 2);
                double ma = NAN, mg = NAN;
                MC_CHECK_OK(mc_metrics_silhouette(X, N, D, c, &o, &ma, a, NULL));
                o.dist = d;
                /* SYMMETRIC: the chain of broadcasts (what 2 or 3 ranks choose), then the ordered sum */
                for (int mode = 0; mode <= (algo == MC_SILHOUETTE_SYMMETRIC ? 2 : 0); mode += 2) {
                    mc__sil_force_ranks(mode);
                    MC_CHECK_OK(mc_metrics_silhouette(X, N, D, c, &o, &mg, b, NULL));
                    mc__sil_force_ranks(0);
                    double worst = fabs(ma - mg);
                    for (int i = 0; i < N; i++)
                        if (c[i] >= 0) worst = fmax(worst, fabs(a[i] - b[i]));
                    MC_CHECK(memcmp(&ma, &mg, sizeof ma) == 0 && memcmp(a, b, sizeof(double) * N) == 0,
                             "rank %d of %d: algo %d block %d max_bytes %lld mode %d: the group's silhouette differs "
                             "from one process's (max |diff| %.3g)", rank, size, algo, blocks[bi],
                             (long long)budgets[mb], mode, worst);
                    runs++;
                }
            }
    /* sampled (mc_metrics_internal): the same sample on every rank, then the silhouette over the group */
    mc_metrics_opts o;
    mc_metrics_opts_default(&o);
    o.silhouette_sample = 400;
    o.sample_seed = 3;
    o.block = 64;
    mc_internal_scores s1, s2;
    MC_CHECK_OK(mc_metrics_internal(X, N, D, c, &o, &s1));
    o.dist = d;
    MC_CHECK_OK(mc_metrics_internal(X, N, D, c, &o, &s2));
    MC_CHECK(s1.silhouette_sampled && memcmp(&s1.silhouette, &s2.silhouette, sizeof(double)) == 0 &&
                 memcmp(&s1.silhouette_se, &s2.silhouette_se, sizeof(double)) == 0 &&
                 memcmp(&s1.calinski_harabasz, &s2.calinski_harabasz, sizeof(double)) == 0,
             "rank %d: sampled silhouette over the group %.17g vs %.17g alone", rank, s2.silhouette, s1.silhouette);
    /* a failure on rank 1 only: every rank fails, with rank 1's message */
    if (size > 1) {
        if (rank == 1) c[17] = -2;
        mc_metrics_opts_default(&o);
        o.dist = d;
        double m = 0;
        mc_status st = mc_metrics_silhouette(X, N, D, c, &o, &m, NULL, NULL);
        MC_CHECK(st == MC_STATUS_INVALID_ARG && strstr(mc_error_message(), "row 17") &&
                     (rank == 1 || strstr(mc_error_message(), "rank 1")),
                 "rank %d: a bad id on rank 1 only: status %d, '%s'", rank, (int)st, mc_error_message());
    }
    printf("rank %d of %d: %d silhouette runs + 1 sampled compared with one process\n", rank, size, runs);
    free(X);
    free(c);
    free(a);
    free(b);
    mc_dist_finalize(d);
    return mc_test_summary("mpi_metrics");
}
