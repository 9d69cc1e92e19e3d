/* k-means over real MPI ranks (issue 11): run by mpirun -np 2 and 3 (CTest mpi_kmeans_np2/np3). The
 * Lloyd iterations exchange the per-group sums and one count of changed labels; every row's label
 * travels only to reseed an empty cluster and at the end of a run. Every rank fits alone (dist NULL)
 * and then over the group: seeded runs (1 and 2 restarts, 1 and 2 threads) on 13,001 rows (every rank
 * holds rows) and 700 rows (one group: the other ranks hold none), and runs from given centres with one
 * centre far from every point, so that its cluster is empty after the first E-step and is reseeded with
 * the farthest point (the reseeding is checked to have happened). Every rank must get the bytes of one
 * process: labels, centres, inertia, iterations, convergence. */
#include <musiclust/cluster.h>
#include <musiclust/dist.h>

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
        for (int f = 0; f < d; f++) X[i * d + f] = (float)(2.0 * c * (1 + f % 2) + mc_rng_normal(&r));
    }
    return X;
}

static bool same(const mc_clustering *a, const mc_clustering *b, int64_t n, int64_t d) {
    return a->k == b->k && a->n_iter == b->n_iter && a->converged == b->converged &&
           memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0 && memcmp(a->labels, b->labels, (size_t)n * 4) == 0 &&
           memcmp(a->centers, b->centers, (size_t)a->k * (size_t)d * sizeof(float)) == 0;
}

int main(void) {
    mc_dist *dg = NULL;
    MC_CHECK_OK(mc_dist_init(&dg));
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
            MC_CHECK(same(&alone, &group, n, d),
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
        MC_CHECK(same(&alone, &group, n, d),
                 "rank %d of %d: n %lld, an empty cluster reseeded: the group's k-means differs from one "
                 "process's (inertia |diff| %.3g, iterations %d vs %d)", rank, size, (long long)n,
                 fabs(alone.inertia - group.inertia), group.n_iter, alone.n_iter);
        mc_clustering_free(&alone);
        mc_clustering_free(&group);
        runs++;
        free(X);
    }
    if (rank == 0) printf("mpi_kmeans: %d fits over %d ranks gave the bytes of one process on every rank\n", runs, size);
    int rc = mc_test_summary("mpi_kmeans");
    mc_dist_finalize(dg);
    return rc;
}
