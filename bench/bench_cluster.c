/* Clustering speed on 10 well-separated Gaussian blobs (32 dimensions, std 1, centres uniform in
 * [-10, 10]^32, seeded): k-means (k = 10, n_init = 10) on 100,000 points; Ward on 20,000 points with
 * its time and peak memory (getrusage); average linkage, DBSCAN (automatic eps and a given one) and
 * GMM (full, diag) on 20,000 points.
 * Usage: bench_cluster [THREADS [X.npy]] [--kmeans-only] [--repeat R]  -- X.npy (optional) receives the
 * 100,000 x 32 points, so that bench/run.sh can time scikit-learn (tools/bench_sklearn.py) and the whole
 * `musiclust cluster` command on the same data; k-means runs R times (best, median and a RESULT line
 * for bench/run.sh, which prints the ratio to the peer measured in the same run). */
#include <musiclust/cluster.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

char *openblas_get_corename(void);

static double peak_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static int check(mc_status st, const char *what) {
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "bench_cluster: %s: %s\n", what, mc_error_message());
        return 1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int threads = 2, repeat = 1, kmeans_only = 0, skip_kmeans = 0, pos = 0;
    const char *save = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kmeans-only")) kmeans_only = 1;
        else if (!strcmp(argv[i], "--skip-kmeans")) skip_kmeans = 1;
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (pos == 0) threads = atoi(argv[i]), pos++;
        else if (pos == 1) save = argv[i], pos++;
        else {
            fprintf(stderr, "usage: bench_cluster [THREADS [X.npy]] [--kmeans-only | --skip-kmeans] [--repeat R]\n");
            return 2;
        }
    }
    if (repeat < 1 || repeat > 100) repeat = 1;
    threads = mc_threads_resolve(threads);
    const int64_t n = 100000, d = 32, k = 10;
    float *X = mc_alloc((size_t)(n * d), sizeof(float)); // (n, d)
    float *C = mc_alloc((size_t)(k * d), sizeof(float)); // (k, d)
    if (!X || !C) return 1;
    mc_rng rng;
    mc_rng_seed(&rng, 42, 0);
    for (int64_t i = 0; i < k * d; i++) C[i] = (float)(20 * mc_rng_uniform(&rng) - 10);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = i % k;
        for (int64_t f = 0; f < d; f++) X[i * d + f] = C[c * d + f] + (float)mc_rng_normal(&rng);
    }
    if (save) {
        int64_t shape[2] = {n, d};
        if (check(mc_npy_write(save, MC_DTYPE_F32, 2, shape, X), save)) return 1;
    }
    printf("  %d threads; 10 blobs, 32 dims; OpenBLAS kernel %s (k-means does not call BLAS)\n", threads,
           openblas_get_corename());

    mc_cluster_config cfg;
    mc_cluster_config_default(&cfg);
    cfg.threads = threads;
    cfg.k = (int)k;
    cfg.n_init = 10;
    mc_clustering r;
    double tk[100], ck[100];
    for (int rep = 0; rep < repeat && !skip_kmeans; rep++) {
        double t0 = now_s(), c0 = cpu_s();
        if (check(mc_cluster_kmeans(&cfg, X, n, d, &r), "k-means")) return 1;
        tk[rep] = now_s() - t0;
        ck[rep] = cpu_s() - c0;
        if (rep + 1 < repeat) mc_clustering_free(&r);
    }
    if (!skip_kmeans) {
        double best = tk[0], cbest = ck[0];
        for (int rep = 1; rep < repeat; rep++)
            if (tk[rep] < best) best = tk[rep], cbest = ck[rep];
        qsort(tk, (size_t)repeat, sizeof *tk, cmp_double);
        printf("  k-means    100,000 x 32, k = 10, n_init = 10: best %.3f s, median %.3f s of %d (CPU of the best %.3f s)  "
               "(inertia %.6g, %d iterations)\n",
               best, tk[repeat / 2], repeat, cbest, r.inertia, r.n_iter);
        printf("RESULT kmeans best=%.4f median=%.4f cpu=%.4f\n", best, tk[repeat / 2], cbest);
        mc_clustering_free(&r);
    }
    if (kmeans_only) {
        mc_free(X);
        mc_free(C);
        return 0;
    }

    const int64_t m = 20000;
    double rss0 = peak_mb();
    mc_dendrogram t;
    double t0 = now_s();
    if (check(mc_cluster_linkage(X, m, d, MC_LINKAGE_WARD, threads, NULL, &t), "ward")) return 1;
    double tw = now_s() - t0;
    printf("  ward        20,000 x 32: %6.2f s, peak RSS %.0f MB (%.0f MB before)  targets: <= 60 s, <= 2048 MB\n", tw,
           peak_mb(), rss0);
    mc_cluster_dendrogram_free(&t);

    t0 = now_s();
    if (check(mc_cluster_linkage(X, m, d, MC_LINKAGE_SINGLE, threads, NULL, &t), "single")) return 1;
    printf("  single      20,000 x 32: %6.2f s, peak RSS %.0f MB\n", now_s() - t0, peak_mb());
    mc_cluster_dendrogram_free(&t);

    t0 = now_s();
    if (check(mc_cluster_linkage(X, m, d, MC_LINKAGE_AVERAGE, threads, NULL, &t), "average")) return 1;
    printf("  average     20,000 x 32: %6.2f s, peak RSS %.0f MB (n^2 float32 matrix)\n", now_s() - t0, peak_mb());
    mc_cluster_dendrogram_free(&t);

    cfg.algo = MC_CLUSTER_ALGO_DBSCAN;
    cfg.eps = 0;
    cfg.min_samples = 5;
    t0 = now_s();
    if (check(mc_cluster_dbscan(&cfg, X, m, d, &r), "dbscan")) return 1;
    printf("  dbscan      20,000 x 32, automatic eps: %6.2f s  (eps %.4g, %d clusters, %lld noise)\n", now_s() - t0,
           r.eps, r.k, (long long)r.n_noise);
    double eps = r.eps;
    mc_clustering_free(&r);
    cfg.eps = eps;
    t0 = now_s();
    if (check(mc_cluster_dbscan(&cfg, X, m, d, &r), "dbscan")) return 1;
    printf("  dbscan      20,000 x 32, eps %.4g given: %6.2f s  (%d clusters, %lld noise)\n", eps, now_s() - t0, r.k,
           (long long)r.n_noise);
    mc_clustering_free(&r);

    cfg.algo = MC_CLUSTER_ALGO_GMM;
    cfg.n_init = 1;
    for (int cv = 0; cv < 2; cv++) {
        cfg.covariance = (mc_covariance)cv;
        t0 = now_s();
        if (check(mc_cluster_gmm(&cfg, X, m, d, &r), "gmm")) return 1;
        printf("  gmm %-4s    20,000 x 32, k = 10: %6.2f s  (%d EM iterations, log-likelihood %.6g)\n",
               mc_covariance_name(cfg.covariance), now_s() - t0, r.n_iter, r.log_likelihood);
        mc_clustering_free(&r);
    }
    mc_free(X);
    mc_free(C);
    return 0;
}
