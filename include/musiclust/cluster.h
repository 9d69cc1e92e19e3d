/* musiclust cluster: standardisation, PCA, k-means(++), agglomerative clustering (Ward, average,
 * complete, single), DBSCAN (with an automatic eps) and Gaussian mixtures.
 *
 * Every algorithm follows scikit-learn 1.2's definition of the same estimator (named at each entry
 * point) so that results can be compared with it; tests/test_cluster.c checks them against
 * scikit-learn fixtures. Input matrices are float32, row-major (n, d): one row per point.
 *
 * Determinism: all randomness comes from a seeded mc_rng; reductions over points are done in fixed
 * blocks whose partial results are added in block order, so the output for a given seed is the same
 * for every thread count (the contract asks only for "same seed + same thread count"; the tests check
 * 1 against 2 threads). DBSCAN and the k-distance curve set OpenBLAS to one thread while they run
 * (their BLAS calls are made per block from OpenMP threads) and restore it after: OpenBLAS's thread
 * count is process-wide, so do not run them concurrently with other BLAS work. k-means makes no BLAS
 * call.
 *
 * Bad input is an error, never a crash or a silent number: NaN/Inf (the message names the row and
 * column), k larger than the number of points, or fewer distinct points than k (scikit-learn warns and
 * returns duplicate centres; musiclust refuses with MC_STATUS_INVALID_ARG, because a partition into k
 * non-empty clusters does not exist). */
#ifndef MUSICLUST_CLUSTER_H
#define MUSICLUST_CLUSTER_H

#include <musiclust/core.h>
#include <musiclust/dist.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- input checks */

/* Largest |value| accepted: squared distances are formed in float32, and sums of d squares of
 * values up to 1e15 stay finite for any practical d. */
#define MC_CLUSTER_MAX_ABS 1e15

/* MC_STATUS_EMPTY when n < 1 or d < 1; MC_STATUS_NUMERIC naming the first row (0-based) and column
 * holding NaN, Inf or a value larger than MC_CLUSTER_MAX_ABS in magnitude; NULL X with n > 0:
 * MC_STATUS_INVALID_ARG. */
mc_status mc_cluster_check_input(const float *X, int64_t n, int64_t d);

/* Number of distinct rows of X (n, d), counting no further than `cap` (returns min(distinct, cap));
 * cheap when cap is small: O(n * cap * d) at worst, usually one pass over the first rows. */
int64_t mc_cluster_distinct_rows(const float *X, int64_t n, int64_t d, int64_t cap);

/* ---------------------------------------------------------------- standardisation */

/* z-score standardisation as sklearn.preprocessing.StandardScaler (with_mean, with_std): population
 * variance (ddof 0), accumulated in double; a constant column (sklearn's _is_constant_feature test)
 * gets scale 1, so it maps to 0 after centring instead of NaN. */
typedef struct mc_scaler {
    int64_t d;
    int64_t n_samples;
    double *mean;  // (d)
    double *var;   // (d) population variance
    double *scale; // (d) sqrt(var), or 1 for a constant column
} mc_scaler;

mc_status mc_cluster_scaler_fit(const float *X, int64_t n, int64_t d, mc_scaler *out);
/* out (n, d) = (X - mean) / scale; out may be X. d must equal the fitted d. */
mc_status mc_cluster_scaler_transform(const mc_scaler *s, const float *X, int64_t n, int64_t d,
                                      float *out);
void mc_cluster_scaler_free(mc_scaler *s); /* NULL ok; zeroes the struct */

/* ---------------------------------------------------------------- PCA */

/* Principal component analysis as sklearn.decomposition.PCA(svd_solver="full"): X is centred,
 * the eigen-decomposition of the covariance (d <= n) or of the Gram matrix (d > n) is computed in
 * double with LAPACK (dsyevd), and the signs of the components follow sklearn 1.2's svd_flip with
 * u_based_decision=True (the largest |score| of each component is positive). The fitted struct is
 * plain data: it can be kept and applied to other rows later with mc_cluster_pca_transform. */
typedef struct mc_pca {
    int64_t d;                        /* input features */
    int n_components;
    int64_t n_samples;
    bool whiten;
    double *mean;                     // (d)
    double *components;               // (n_components, d) row-major, orthonormal rows
    double *explained_variance;       // (n_components) covariance eigenvalues (ddof 1)
    double *explained_variance_ratio; // (n_components) share of the total variance
    double *singular_values;          // (n_components) of the centred X
    double noise_variance;            /* mean of the discarded eigenvalues (sklearn noise_variance_) */
} mc_pca;

/* 1 <= n_components <= min(n, d); n >= 2. */
mc_status mc_cluster_pca_fit(const float *X, int64_t n, int64_t d, int n_components, bool whiten,
                             mc_pca *out);
/* Z (n, n_components) = (X - mean) @ components.T, divided by sqrt(explained_variance) when
 * whitened (as sklearn). X (n, d) with d equal to the fitted d. */
mc_status mc_cluster_pca_transform(const mc_pca *p, const float *X, int64_t n, int64_t d, float *Z);
void mc_cluster_pca_free(mc_pca *p); /* NULL ok; zeroes the struct */

/* Randomised PCA (Halko, Martinsson & Tropp 2011, algorithm 4.4: subspace iteration with n_iter
 * power iterations, k + 10 oversampling columns, a Gaussian start drawn from seed) for X (n, d) too
 * wide or too long to copy: X is read row by row in 2 + 2 (n_iter + 1) passes and never copied (it may
 * be memory-mapped); memory O((n + d)(k + 10)) doubles. Fills out as mc_cluster_pca_fit does (whiten
 * false; noise_variance from the variance left over), and Z (n, k) with the scores when not NULL.
 * The top components agree with the exact PCA up to the accuracy of the subspace iteration (close
 * when the spectrum decays; n_iter 4 to 7 as sklearn's "auto"); signs follow svd_flip. Same bytes for
 * any thread count and BLAS kernel. Errors: bad sizes (INVALID_ARG), a non-finite value (NUMERIC,
 * naming row and column), out of memory. */
mc_status mc_cluster_pca_randomized(const float *X, int64_t n, int64_t d, int n_components, int n_iter,
                                    uint64_t seed, mc_pca *out, float *Z);

/* ---------------------------------------------------------------- configuration */

typedef enum mc_cluster_algo {
    MC_CLUSTER_ALGO_KMEANS = 0,
    MC_CLUSTER_ALGO_AGGLOMERATIVE,
    MC_CLUSTER_ALGO_DBSCAN,
    MC_CLUSTER_ALGO_GMM
} mc_cluster_algo;

typedef enum mc_linkage {
    MC_LINKAGE_WARD = 0,
    MC_LINKAGE_AVERAGE,
    MC_LINKAGE_COMPLETE,
    MC_LINKAGE_SINGLE
} mc_linkage;

typedef enum mc_covariance { MC_COVARIANCE_FULL = 0, MC_COVARIANCE_DIAG } mc_covariance;

typedef struct mc_cluster_config {
    mc_cluster_algo algo;
    int k;                    /* clusters (k-means, agglomerative, GMM); >= 1 */
    int n_init;               /* restarts, best kept; 0 = default (k-means 10, GMM 1) */
    int max_iter;             /* 0 = default (k-means 300, GMM 100) */
    double tol;               /* <= 0: default (k-means 1e-4, relative to the mean feature variance;
                                 GMM 1e-3 on the mean log-likelihood), as sklearn */
    uint64_t seed;
    int threads;              /* <= 0: all cores */
    mc_linkage linkage;       /* agglomerative; default Ward */
    double eps;               /* DBSCAN radius; <= 0: chosen from the k-distance curve */
    int min_samples;          /* DBSCAN, counting the point itself; default 5 */
    mc_covariance covariance; /* GMM; default full */
    double reg_covar;         /* GMM: added to the covariance diagonal; default 1e-6 */
    mc_progress *progress;    /* optional; advanced per restart / merge block / row block */
    int64_t bound_rows;       /* agglomerative (O(n^2) time): above this many rows, the tree of a seeded
                                 sample of bound_rows rows (seed, stream "aglo") is cut at k and every
                                 other row joins the cluster whose sample centroid is nearest
                                 (mc_clustering.fit_rows says so); 0 = exact on every row. Default 20000. */
    mc_dist *dist;            /* the process group (dist.h); NULL = this process alone. k-means and GMM
                                 with R > 1 ranks: every rank passes the same X (e.g. the same
                                 memory-mapped file) and config, and calls in step (a collective); the
                                 E-step (k-means labels; GMM log-probabilities and responsibilities) and
                                 the sums over points are shared by row blocks fixed by the problem and
                                 added in a fixed order, so every rank returns the bytes R = 1 returns
                                 (labels all-gathered). k-means++ seeding runs whole on every rank; GMM
                                 keeps its double copies and responsibilities for its own rows only,
                                 and its k-means initialisation runs over the group. A failure on one
                                 rank fails every rank (mc_dist_check), never a hang. Agglomerative and
                                 DBSCAN ignore it: they run whole on every rank. */
} mc_cluster_config;

void mc_cluster_config_default(mc_cluster_config *c);
/* MC_STATUS_INVALID_ARG naming the field ("k", "n_init", "eps"...) when out of range. */
mc_status mc_cluster_config_validate(const mc_cluster_config *c);

const char *mc_cluster_algo_name(mc_cluster_algo a);    /* "kmeans", "agglomerative", ... */
const char *mc_linkage_name(mc_linkage l);              /* "ward", "average", ... */
const char *mc_covariance_name(mc_covariance c);        /* "full", "diag" */
/* Parse the names above (exact, lower case); MC_STATUS_INVALID_ARG listing the choices. */
mc_status mc_cluster_algo_parse(const char *s, mc_cluster_algo *out);
mc_status mc_linkage_parse(const char *s, mc_linkage *out);
mc_status mc_covariance_parse(const char *s, mc_covariance *out);

/* ---------------------------------------------------------------- dendrogram */

/* A full agglomerative tree in scipy.cluster.hierarchy.linkage's form: merge i joins the nodes
 * children[i][0] and children[i][1] (ids < n are points, n + j is the node made by merge j) at height
 * distances[i] (non-decreasing), making a node of sizes[i] points. The array is sklearn's children_:
 * ordered (smaller id first) as scipy's for ward/average/complete; for single, in the order of the
 * minimum-spanning-tree edge (sklearn's _single_linkage_label), which is what numbers its clusters.
 * Heights are Euclidean; Ward's is sqrt(2 na nb / (na + nb)) * |ca - cb| as scipy's. */
typedef struct mc_dendrogram {
    int64_t n;
    mc_linkage linkage;
    int64_t *children; // (n-1, 2)
    double *distances; // (n-1)
    int64_t *sizes;    // (n-1)
} mc_dendrogram;

/* Exact hierarchical clustering of X (n, d), n >= 2:
 *   ward      nearest-neighbour chain on centroids (a float32 scan, then the few candidates within
 *             its rounding bound exactly in double): O(n^2 d) time, O(n d) memory;
 *   average,  nearest-neighbour chain with Lance-Williams updates on an (n, n) float32 distance
 *   complete  matrix: O(n^2 d) time, n^2 floats of memory;
 *   single    Prim's minimum spanning tree as sklearn's mst_linkage_core: O(n^2 d), O(n) memory.
 * threads <= 0: all cores. progress may be NULL. */
mc_status mc_cluster_linkage(const float *X, int64_t n, int64_t d, mc_linkage linkage, int threads,
                             mc_progress *progress, mc_dendrogram *out);
/* Cut the tree into k clusters (1 <= k <= n): labels (n) numbered as sklearn's _hc_cut numbers them. */
mc_status mc_cluster_dendrogram_cut(const mc_dendrogram *t, int k, int32_t *labels);
void mc_cluster_dendrogram_free(mc_dendrogram *t); /* NULL ok; zeroes the struct */

/* ---------------------------------------------------------------- clustering */

typedef struct mc_clustering {
    mc_cluster_algo algo;
    int64_t n, d;
    int k;                 /* clusters found (DBSCAN: without noise) */
    int32_t *labels;       // (n) in 0..k-1; DBSCAN noise = -1
    int64_t n_noise;       /* DBSCAN: points labelled -1 */
    float *centers;        // (k, d) k-means centres / GMM means; NULL otherwise
    int n_iter;            /* k-means / GMM: iterations of the kept run */
    bool converged;        /* k-means: stopped by tol or unchanged labels; GMM: |change| < tol */
    double inertia;        /* k-means: sum of squared distances to the nearest centre (inertia_) */
    double eps;            /* DBSCAN: the radius used (given or chosen) */
    bool eps_auto;         /* DBSCAN: eps was chosen from the k-distance curve */
    double eps_knee;       /* DBSCAN, automatic eps: the knee of the curve (eps unless the fallback won) */
    double log_likelihood; /* GMM: mean log-likelihood per point (sklearn score) */
    double bic;            /* GMM: -2 n log_likelihood + n_parameters log n (sklearn bic) */
    double *weights;       // GMM: (k)
    double *covariances;   // GMM: full (k, d, d); diag (k, d)
    mc_dendrogram tree;    /* agglomerative: the full tree (cut again with mc_cluster_dendrogram_cut); when
                              bounded, the tree of the sample (its point ids index the sample rows) */
    int64_t fit_rows;      /* agglomerative: the rows the tree was built on: n, or the bounded sample's size */
    double *means;         // GMM: (k, d) the means in double (centers holds them rounded to float); last, so
                           // the layout of the fields before it is that of earlier versions
} mc_clustering;

void mc_clustering_free(mc_clustering *c); /* NULL ok; zeroes the struct */

/* Run cfg->algo on X (n, d) (checks the input first: see mc_cluster_check_input). */
mc_status mc_cluster_fit(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                         mc_clustering *out);

/* sklearn.cluster.KMeans(algorithm="lloyd"): greedy k-means++ seeding with 2 + floor(ln k) local
 * trials, n_init restarts keeping the lowest inertia, Lloyd iterations with distances
 * ||c||^2 - 2 x.c (x.c from the library's own fused multiply-add kernels: the same bits on every
 * instruction set), tolerance tol * mean(var(X)) on the summed squared centre shift, empty clusters
 * re-seeded with the points farthest from their centres. Besides its result it holds a copy of X
 * (n x d floats, transposed in blocks of 16 points) for the duration of the call. */
mc_status mc_cluster_kmeans(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                            mc_clustering *out);
/* One Lloyd run from given centres init (k, d), as KMeans(init=array, n_init=1) (warm starts,
 * reproducing a run). cfg->n_init and cfg->seed are not used. */
mc_status mc_cluster_kmeans_from(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                                 const float *init, mc_clustering *out);
/* sklearn.cluster.AgglomerativeClustering(n_clusters=k, linkage=cfg->linkage) (Euclidean); above
 * cfg->bound_rows rows, on a seeded sample with every other row assigned to the nearest sample
 * cluster centroid (see mc_cluster_config.bound_rows). */
mc_status mc_cluster_agglomerative(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                                   mc_clustering *out);
/* sklearn.cluster.DBSCAN(eps, min_samples): a point is core when at least min_samples points
 * (itself included) lie within eps (<=); clusters are numbered by their lowest core point, and a border
 * point joins the lowest-numbered cluster with a core point within eps (what sklearn's depth-first
 * expansion does). cfg->eps <= 0 chooses eps: the knee of the k-distance curve
 * (mc_cluster_dbscan_auto_eps) when it gives 2 or more clusters and at most half the points as noise;
 * otherwise (data without density gaps collapse into one cluster there) the 10%..90% quantiles of the
 * curve are tried and the one putting the most points into clusters other than the largest is kept
 * (the knee if none separates anything). out->eps is the radius used, out->eps_knee the knee. */
mc_status mc_cluster_dbscan(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                            mc_clustering *out);
/* The distance of every point to its min_samples-th nearest point (itself counted, so the smallest
 * eps that makes it a core point), sorted ascending; eps is the knee of that curve: the point
 * farthest from the chord joining its ends, both axes scaled to [0, 1]. An eps of 0 (duplicates) is
 * raised to the smallest positive k-distance. kdist (n) may be NULL. */
mc_status mc_cluster_dbscan_auto_eps(const float *X, int64_t n, int64_t d, int min_samples,
                                     int threads, double *eps, float *kdist);
/* sklearn.mixture.GaussianMixture(covariance_type=full|diag, reg_covar, tol, max_iter, n_init,
 * init_params="kmeans"): EM in double, log-sum-exp responsibilities; labels = argmax
 * responsibility under the best initialisation's parameters. With cfg->dist over R > 1 ranks: a
 * collective, distributed EM (see mc_cluster_config.dist) returning R = 1's bytes on every rank. */
mc_status mc_cluster_gmm(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                         mc_clustering *out);
/* sklearn GaussianMixture.predict: labels (n) = the component of highest weighted log-density of each
 * row of X (n, d), ties to the smaller component, under a fitted mixture: weights (k), means (k, d),
 * covariances full (k, d, d) or diag (k, d) as mc_clustering holds them (out->means, not the float
 * centers). It runs mc_cluster_gmm's own E-step, so the rows a mixture was fitted on get its labels
 * byte for byte. threads <= 0: all cores (the result does not depend on it). Errors: INVALID_ARG
 * (k < 1, d < 1, a weight <= 0), NUMERIC (a covariance not positive definite), out of memory. */
mc_status mc_cluster_gmm_predict(const double *weights, const double *means, const double *covariances,
                                 mc_covariance covariance, int k, const float *X, int64_t n, int64_t d, int threads,
                                 int32_t *labels);

#ifdef __cplusplus
}
#endif
#endif
