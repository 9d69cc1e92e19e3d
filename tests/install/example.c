/* Using libmusiclust from C (the README's example; ctest install_tree builds it against an installed
 * tree with `pkg-config --cflags --libs musiclust` and runs it):
 * three seeded Gaussian blobs -> k-means -> silhouette and ARI against the true blob of each point. */
#include <musiclust/musiclust.h>

#include <stdio.h>
#include <stdlib.h>

int main(void) {
    enum { N = 300, D = 2, K = 3 };
    static float X[N * D];     // (N, D) row-major
    static int32_t truth[N];   // (N) blob of each point
    mc_rng rng;
    mc_rng_seed(&rng, 42, 0);
    for (int i = 0; i < N; i++) {
        truth[i] = i % K;
        X[i * D + 0] = (float)(10.0 * truth[i] + mc_rng_normal(&rng));
        X[i * D + 1] = (float)(5.0 * (truth[i] == 1) + mc_rng_normal(&rng));
    }

    mc_cluster_config cfg;
    mc_cluster_config_default(&cfg);
    cfg.algo = MC_CLUSTER_ALGO_KMEANS;
    cfg.k = K;
    cfg.seed = 0;
    mc_clustering result;
    if (mc_cluster_fit(&cfg, X, N, D, &result) != MC_STATUS_OK) {
        fprintf(stderr, "k-means failed: %s\n", mc_error_message());
        return 1;
    }

    mc_internal_scores internal;
    mc_contingency table;
    if (mc_metrics_internal(X, N, D, result.labels, NULL, &internal) != MC_STATUS_OK ||
        mc_metrics_contingency(result.labels, truth, N, K, NULL, &table) != MC_STATUS_OK) {
        fprintf(stderr, "metrics failed: %s\n", mc_error_message());
        mc_clustering_free(&result);
        return 1;
    }
    printf("musiclust %s: k-means inertia %.3f, silhouette %.4f, ARI %.4f, NMI %.4f\n", mc_version(),
           result.inertia, internal.silhouette, mc_metrics_ari(&table), mc_metrics_nmi(&table));
    int ok = mc_metrics_ari(&table) > 0.99;

    /* Errors come back as a status and a one-line message. */
    cfg.k = N + 1;
    mc_clustering bad;
    if (mc_cluster_fit(&cfg, X, N, D, &bad) != MC_STATUS_OK) printf("as expected: %s\n", mc_error_message());
    else ok = 0;

    mc_metrics_contingency_free(&table);
    mc_clustering_free(&result);
    return ok ? 0 : 1;
}
