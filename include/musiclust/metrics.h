/* musiclust metrics: how good a clustering is, without labels (Silhouette, Calinski-Harabasz,
 * Davies-Bouldin) and against labels (ARI, NMI, AMI, purity, the contingency table).
 *
 * Every metric follows scikit-learn 1.2's definition (sklearn.metrics.silhouette_score /
 * silhouette_samples, calinski_harabasz_score, davies_bouldin_score, adjusted_rand_score,
 * normalized_mutual_info_score and adjusted_mutual_info_score with average_method='arithmetic') and accumulates in double; purity is
 * (1/n) sum_k max_j |c_k ∩ t_j| (clusters k, classes j). tests/test_metrics.c checks each one against
 * scikit-learn 1.2 to 1e-6 relative (tools/make_metrics_fixtures.py).
 *
 * Inputs: X is (n, d) float32 row-major (a latent .npy), cluster is (n) int32 cluster ids, any
 * values >= 0 (they need not be contiguous), and MC_METRICS_NOISE (-1) for DBSCAN's noise points.
 *
 * NOISE CONVENTION (the same everywhere; one internal helper encodes clusters for every metric):
 *   - Internal metrics (Silhouette, Calinski-Harabasz, Davies-Bouldin) are computed on the non-noise
 *     rows only, as `sklearn.metrics.silhouette_score(X[c != -1], c[c != -1])`; the number of noise
 *     rows is reported beside them (n_noise) and n_used excludes them.
 *   - Label metrics (ARI, NMI, purity, contingency) keep every labelled row and pool all noise rows
 *     into ONE extra cluster (id -1, the first row of the contingency table), exactly what scikit-learn
 *     computes when DBSCAN's labels_ are passed as they are. So noise is treated as "not separated
 *     from each other": an all-noise result scores like the trivial one-cluster result (ARI 0, NMI 0,
 *     purity = the largest class's share), never better. (Counting each noise point as its own
 *     singleton cluster was rejected because it rewards noise: all-noise would get purity 1.0 and
 *     NMI = 2 H(T) / (H(T) + ln n), about 0.46 for 100 points in 4 balanced classes.)
 *
 * Undefined values are NaN with a reason, never a silent number: the internal metrics need
 * 2 <= clusters <= n_used - 1 (sklearn raises ValueError there); label metrics are NaN with no
 * labelled row. Failures (bad arguments, NaN/Inf in X, out of memory) return a status and set the
 * one-line message (mc_error_message). */
#ifndef MUSICLUST_METRICS_H
#define MUSICLUST_METRICS_H

#include <musiclust/core.h>
#include <musiclust/dist.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MC_METRICS_NOISE (-1)

/* ---------------------------------------------------------------- options */

typedef enum mc_silhouette_algo {
    /* SYMMETRIC when the (n_used, clusters) table of per-cluster distance sums fits in max_bytes,
     * else ROWS. */
    MC_SILHOUETTE_AUTO = 0,
    /* Each tile pair (I, J), I < J, is computed once and summed both ways (half the work); needs the
     * (n_used, clusters) double table of sums. */
    MC_SILHOUETTE_SYMMETRIC,
    /* Each row block sweeps every column in order and keeps 3 numbers per row (any cluster count). */
    MC_SILHOUETTE_ROWS
} mc_silhouette_algo;

typedef struct mc_metrics_opts {
    int threads;             /* <= 0: all cores (mc_threads_resolve) */
    int block;               /* silhouette tile edge in rows; <= 0: 256. Results depend on it in the
                                last bits only; they never depend on the thread count. */
    mc_silhouette_algo algo; /* default MC_SILHOUETTE_AUTO */
    int64_t max_bytes;       /* budget for SYMMETRIC's table of sums; <= 0: 256 MiB */
    mc_progress *progress;   /* the silhouette ticks it once per tile; NULL = none */
    /* The bounded silhouette of mc_metrics_internal (issue 11: the exact one is O(n^2) time): with
     * silhouette_sample > 0 and n > silhouette_sample, the silhouette is the exact one of a seeded
     * sample of silhouette_sample rows drawn without replacement (sklearn silhouette_score's
     * sample_size), and mc_internal_scores says so (silhouette_rows, silhouette_se). 0 (the
     * default): exact on every row. */
    int64_t silhouette_sample;
    uint64_t sample_seed;    /* the sample's seed (mc_rng stream 0) */
    /* The process group the silhouette is shared over (dist.h); NULL (the default) = this process
     * alone. With R > 1 ranks, mc_metrics_silhouette (and so mc_metrics_internal, exact or sampled)
     * is COLLECTIVE: every rank must call it with the same X, clusters and options (the sample is
     * drawn identically on every rank from sample_seed). The work is cut into pieces fixed by the
     * problem alone (the tiles of `block` rows), never by the rank count: ROWS shares whole row
     * blocks and gathers the per-row values in row order (8 n bytes); SYMMETRIC shares the rounds of
     * tiles, and each round's (n, clusters) table of sums is added in round order, the order one
     * process adds them in: rank after rank with a broadcast each (R - 1 tables received per rank and
     * batch of rounds) for few ranks, mc_dist_sum_ordered_f64 (about per-rank rounds + 1 tables) for
     * many; a batch is as many rounds as fit max_bytes per rank. So every rank returns the bytes one
     * process returns, for any R. A
     * failure on one rank (out of memory) fails every rank with its message (mc_dist_check).
     * Calinski-Harabasz and Davies-Bouldin (O(n d)) are computed whole on every rank. Last in the
     * struct, so the fields before it keep their layout. */
    mc_dist *dist;
} mc_metrics_opts;

void mc_metrics_opts_default(mc_metrics_opts *o);

/* ---------------------------------------------------------------- internal metrics */

typedef struct mc_internal_scores {
    double silhouette;        /* mean of the per-sample values (sklearn.metrics.silhouette_score) */
    double calinski_harabasz; /* sklearn.metrics.calinski_harabasz_score */
    double davies_bouldin;    /* sklearn.metrics.davies_bouldin_score */
    int64_t n;                /* rows given */
    int64_t n_used;           /* non-noise rows the scores are computed on */
    int64_t n_noise;          /* rows with cluster -1, left out */
    int n_clusters;           /* distinct non-noise cluster ids */
    int64_t silhouette_rows;  /* rows the silhouette was computed on: n when exact (mc_metrics_internal) */
    bool silhouette_sampled;  /* true: on a seeded sample (mc_metrics_opts.silhouette_sample) */
    double silhouette_se;     /* sampled: the standard error of the mean, std(per-row values) /
                                 sqrt(non-noise sample rows); exact: 0 */
    char note[160];           /* why the scores are NaN; "" when they are defined */
} mc_internal_scores;

/* Silhouette, Calinski-Harabasz and Davies-Bouldin of X (n, d) under cluster (n). opts NULL =
 * defaults. The silhouette is the exact one, or that of a seeded sample above
 * opts->silhouette_sample rows (see mc_metrics_opts; CH and DB are always exact: they are O(n d)). The three are NaN (status OK, reason in out->note) unless 2 <= n_clusters <= n_used - 1. */
mc_status mc_metrics_internal(const float *X, int64_t n, int d, const int32_t *cluster,
                              const mc_metrics_opts *opts, mc_internal_scores *out);

/* The exact silhouette (sklearn.metrics.silhouette_samples / silhouette_score, euclidean), computed
 * block-wise: distance tiles come as ||x||^2 - 2 x.y + ||y||^2 on column-centred doubles (x.y from
 * fused multiply-add kernels; dgemm on CPUs without FMA), clamped at 0, then the square root (to
 * ~1e-13 relative; pairs so close that rounding dominates are recomputed directly); memory
 * is O(n d + n k + threads block^2) (SYMMETRIC) or O(n d + threads block^2) (ROWS), never O(n^2). samples (n, NULL ok) receives each row's value: 0 for a row alone in its cluster (as
 * sklearn), NaN for noise rows and for every row when the silhouette is undefined. mean receives
 * the mean over non-noise rows. info (NULL ok) receives the counts and note (its calinski_harabasz
 * and davies_bouldin are set to NaN). Output is identical for any thread count, and for any number of
 * ranks of opts->dist (collective then: see mc_metrics_opts.dist). */
mc_status mc_metrics_silhouette(const float *X, int64_t n, int d, const int32_t *cluster,
                                const mc_metrics_opts *opts, double *mean, double *samples,
                                mc_internal_scores *info);

/* sklearn.metrics.calinski_harabasz_score and davies_bouldin_score of the non-noise rows; NaN
 * (status OK) when undefined, info as above (NULL ok). */
mc_status mc_metrics_calinski_harabasz(const float *X, int64_t n, int d, const int32_t *cluster,
                                       double *out, mc_internal_scores *info);
mc_status mc_metrics_davies_bouldin(const float *X, int64_t n, int d, const int32_t *cluster,
                                    double *out, mc_internal_scores *info);

/* ---------------------------------------------------------------- labels and the contingency table */

/* Map label strings to class ids: the distinct non-empty strings sorted bytewise (as numpy.unique)
 * get 0..n_names-1; NULL or "" (unlabelled) gets -1. names (n_names) is allocated; free it with
 * mc_metrics_names_free. */
mc_status mc_metrics_encode_labels(const char *const *labels, int64_t n, int32_t *class_id,
                                   char ***names, int *n_names);
void mc_metrics_names_free(char **names, int n_names);

/* Clusters x classes counts over the labelled rows (class_id >= 0); rows with class_id -1 are left
 * out and counted in n_unlabeled. Only clusters and classes that occur are kept. Noise rows pool into
 * the cluster -1 row (see NOISE CONVENTION). */
typedef struct mc_contingency {
    int n_clusters;       /* rows */
    int n_classes;        /* columns */
    int32_t *cluster_ids; /* (n_clusters) ascending, so -1 (noise) first when present */
    char **class_names;   /* (n_classes) in class-id order */
    int64_t *counts;      /* (n_clusters, n_classes) row-major */
    int64_t n_used;       /* labelled rows = sum of counts */
    int64_t n_unlabeled;  /* rows with class_id -1 */
    int64_t n_noise;      /* labelled noise rows (the -1 row's total) */
} mc_contingency;

/* cluster, class_id: (n). class_id values in [-1, n_names). names (n_names) NULL = "0", "1", ... */
mc_status mc_metrics_contingency(const int32_t *cluster, const int32_t *class_id, int64_t n,
                                 int n_names, const char *const *names, mc_contingency *out);
void mc_metrics_contingency_free(mc_contingency *c); /* NULL ok; zeroes the struct */
/* TSV: header "cluster" then the class names; one line per cluster id. Written atomically. */
mc_status mc_metrics_contingency_write(const mc_contingency *c, const char *path);

/* sklearn.metrics.adjusted_rand_score (exact 128-bit pair counts), normalized_mutual_info_score
 * (average_method='arithmetic') and purity of a contingency table; NaN when n_used == 0. */
double mc_metrics_ari(const mc_contingency *c);
double mc_metrics_nmi(const mc_contingency *c);
double mc_metrics_purity(const mc_contingency *c);
/* sklearn.metrics.adjusted_mutual_info_score (average_method='arithmetic'): (MI - E[MI]) /
 * (mean(H(classes), H(clusters)) - E[MI]), E[MI] under the hypergeometric model (Vinh et al. 2010);
 * 1.0 when both sides are one group, about 0 for a random clustering whatever its number of clusters
 * (unlike NMI, which grows with it). NaN when n_used == 0 or out of memory. O(n_used min(clusters,
 * classes)) time. */
double mc_metrics_ami(const mc_contingency *c);

/* ---------------------------------------------------------------- track level */

/* Majority vote of each track's rows: track_of_row (n) in [0, n_tracks); track_cluster (n_tracks)
 * receives the most frequent cluster id among the track's rows, noise (-1) voting like any id; ties
 * go to the smallest id (so a noise/cluster tie gives noise). A track with no row gets -1. */
mc_status mc_metrics_track_vote(const int32_t *cluster, const int64_t *track_of_row, int64_t n,
                                int64_t n_tracks, int32_t *track_cluster);
/* Mean of each track's rows of X (n, d) in double, stored as float: out (n_tracks, d). */
mc_status mc_metrics_track_means(const float *X, int64_t n, int d, const int64_t *track_of_row,
                                 int64_t n_tracks, float *out);

#ifdef __cplusplus
}
#endif
#endif
