/* musiclust embed: 2-D maps of a latent space for plots — t-SNE (Barnes-Hut) and UMAP — plus the
 * trustworthiness score that says how well a map keeps each point's neighbours.
 *
 * t-SNE follows sklearn.manifold.TSNE 1.2 (method='barnes_hut', init='pca', learning_rate='auto');
 * UMAP follows umap-learn 0.5 (UMAP(n_neighbors=15, min_dist=0.1, spread=1, init='spectral')). The
 * definitions followed are named at each step in src/embed/; deviations from the peers are listed
 * below and there.
 *
 * Input: X is (n, d) float32 row-major (one row per point, e.g. a latent .npy). Output: Y is
 * (n, n_components) float32 row-major, allocated by the caller.
 *
 * Determinism: all randomness comes from opts->seed through mc_rng streams. Both methods give
 * byte-identical output for the same input, seed and options WHATEVER THE THREAD COUNT (stronger than
 * the project's "same thread count" contract):
 *   - t-SNE computes every point's attractive and repulsive force on its own (one point per loop
 *     iteration, the Barnes-Hut tree walked in a fixed child order), and adds the per-point
 *     normalisation terms sum_j q_ij in point order; the tree is built sequentially.
 *   - UMAP runs each epoch as "owner computes": point i walks its own edges in order, moving only
 *     itself, against the other points' positions as they were at the start of the epoch (a double
 *     buffer); its negative samples come from an mc_rng stream keyed by (epoch, i). umap-learn
 *     instead updates both ends of an edge in place (Hogwild when parallel, deterministic only when
 *     single-threaded); here each point applies both halves of the symmetric edge update itself (its
 *     own pull and the one umap-learn's move_other would give it from the reverse edge), so the
 *     attraction-to-repulsion balance is the same.
 *   - the k-NN (exact blocked dgemm, or NN-descent written as "each point updates its own list")
 *     and the spectral initialisation reduce in fixed orders.
 * (Bits may differ between machines whose BLAS picks other kernels: the contract is per machine.)
 *
 * Numerics that differ from the peers on purpose (each documented where it is done):
 *   - t-SNE: P is sklearn's to rounding (the same float32 squared distances go into the same
 *     bisection); the optimiser keeps positions, gradients and gains in double; the force kernels
 *     work in float32 like sklearn's, 4 lanes at a time (SSE2), and the quadtree is rebuilt every
 *     iteration inserting points in the previous tree's leaf order (sklearn: index order; the tree is
 *     the same). Output differs from sklearn's run to run like two seeds do: the measured KL and
 *     trustworthiness are within a few percent (tests/test_embed.c, bench/bench_embed.c).
 *   - UMAP: d^2b in the SGD comes from float log2/exp2 polynomials (relative error < 2e-7; umap-learn
 *     uses numba fastmath), four points per SSE vector; the exact k-NN is used up to 20000 points
 *     (umap-learn: 4096), NN-descent beyond; see MC_UMAP_INIT_SPECTRAL for the disconnected-graph
 *     start.
 *
 * Bad input is an error with a one-line message, never a crash or NaN output: NaN/Inf in X
 * (MC_STATUS_NUMERIC naming the row and column), too few points, out-of-range options
 * (MC_STATUS_INVALID_ARG). Duplicate points are allowed. */
#ifndef MUSICLUST_EMBED_H
#define MUSICLUST_EMBED_H

#include <musiclust/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- nearest neighbours */

typedef enum mc_embed_knn_method {
    /* EXACT when n <= knn_exact_max, else NNDESCENT. */
    MC_EMBED_KNN_AUTO = 0,
    /* Every distance, block by block (||x||^2 - 2 x.y + ||y||^2 on column-centred doubles with
     * dgemm); the k kept per row are then re-measured directly in double. O(n^2 d) time. */
    MC_EMBED_KNN_EXACT,
    /* NN-descent (Dong, Moses & Li 2011, as pynndescent's NNDescent used by umap-learn: started from
     * the leaves of min(64, 5 + round(sqrt(n) / 20)) random projection trees, max_candidates 60,
     * at most max(5, round(log2 n)) rounds, delta 0.001), seeded; approximate: recall 0.995 on
     * 3000 x 16 blobs (tests), 0.97 on 30000 x 32 overlapping blobs, where it takes 1.8 s against
     * 2.6 s for the exact search. */
    MC_EMBED_KNN_NNDESCENT
} mc_embed_knn_method;

/* The k nearest neighbours of every row of X (n, d), the row itself excluded (by index: a
 * duplicate of the row is a neighbour at distance 0), ordered by (distance, index).
 * idx (n, k) row-major receives the indices, dist (n, k) the euclidean distances (NULL ok).
 * 1 <= k <= n - 1. knn_exact_max <= 0 means 20000. */
mc_status mc_embed_knn(const float *X, int64_t n, int d, int k, mc_embed_knn_method method,
                       int64_t knn_exact_max, uint64_t seed, int threads, int32_t *idx, float *dist);

/* ---------------------------------------------------------------- t-SNE */

typedef enum mc_tsne_init {
    /* sklearn 1.2 init='pca': the first two principal components, both divided by the standard
     * deviation of the first and multiplied by 1e-4. (Components from the exact covariance
     * eigen-decomposition — sklearn uses randomized SVD, which converges to the same vectors; the
     * sign of each follows svd_flip: its largest |score| is positive.) Falls back to RANDOM when the
     * first component is constant (all points equal). */
    MC_TSNE_INIT_PCA = 0,
    /* init='random': N(0, 1e-4^2) from the seed. */
    MC_TSNE_INIT_RANDOM
} mc_tsne_init;

typedef struct mc_tsne_opts {
    double perplexity;          /* 30; must be < n (sklearn raises "perplexity must be less than n_samples") */
    double early_exaggeration;  /* 12 */
    double learning_rate;       /* <= 0: 'auto' = max(n / early_exaggeration / 4, 50) */
    int n_iter;                 /* 1000 (total, exploration included); >= 250 */
    int n_iter_exploration;     /* 250 iterations with exaggeration and momentum 0.5, then 0.8 */
    int n_iter_without_progress;/* 300 (sklearn): stop when the KL divergence, checked every 50
                                   iterations, has not improved for this many iterations */
    double min_grad_norm;       /* 1e-7: stop when the (gain-scaled) gradient norm falls below */
    double angle;               /* 0.5: Barnes-Hut theta; a cell is summarised when width/dist < angle */
    mc_tsne_init init;          /* MC_TSNE_INIT_PCA */
    uint64_t seed;              /* 0 */
    int threads;                /* <= 0: all cores (mc_threads_resolve), at most 1 + n / 2048 of them (each
                                   iteration forks and joins); > 0: exactly that many. The output does not
                                   depend on it. */
    mc_embed_knn_method knn;    /* AUTO (sklearn is always exact) */
    int64_t knn_exact_max;      /* <= 0: 20000 */
    mc_progress *progress;      /* ticked once per iteration (total n_iter); NULL = none */
} mc_tsne_opts;

void mc_tsne_opts_default(mc_tsne_opts *o);

typedef struct mc_tsne_info {
    int n_neighbors;       /* min(n - 1, floor(3 * perplexity + 1)), as sklearn */
    double learning_rate;  /* the rate used ('auto' resolved) */
    int n_iter;            /* iterations run (fewer than n_iter when a stopping rule fired) */
    double kl_divergence;  /* KL(P || Q) at the last iteration (Barnes-Hut estimate of Q, as sklearn's kl_divergence_) */
} mc_tsne_info;

/* Barnes-Hut t-SNE of X (n, d) into Y (n, 2) float32 row-major. n >= 2; opts NULL = defaults;
 * info NULL ok. Only 2 output dimensions (the quadtree). */
mc_status mc_embed_tsne(const float *X, int64_t n, int d, const mc_tsne_opts *opts, float *Y,
                        mc_tsne_info *info);

/* ---------------------------------------------------------------- UMAP */

typedef enum mc_umap_init {
    /* umap-learn init='spectral': eigenvectors 2..dim+1 of the normalised Laplacian of the fuzzy
     * graph (thick-restart Lanczos here, ARPACK eigsh there), scaled to max |coord| 10 plus N(0,
     * 1e-4^2) noise. A graph in several pieces is laid out piece by piece as umap-learn's
     * multi_component_layout, except that the pieces' centres are placed by PCA of the piece
     * centroids (umap-learn: a spectral embedding of exp(-d^2) centroid affinities, which underflows
     * to 0 for pieces more than ~27 units apart). */
    MC_UMAP_INIT_SPECTRAL = 0,
    /* init='pca': the first dim principal components scaled to max |coord| 10, plus the noise. */
    MC_UMAP_INIT_PCA,
    /* init='random': uniform on [-10, 10]. */
    MC_UMAP_INIT_RANDOM
} mc_umap_init;

typedef struct mc_umap_opts {
    int n_components;          /* 2 */
    int n_neighbors;           /* 15 (itself included, as umap-learn); clamped to n - 1 with a
                                  warning when larger (umap-learn does the same); must end >= 2 */
    double min_dist;           /* 0.1 */
    double spread;             /* 1.0 */
    double a, b;               /* <= 0 (both): fitted to min_dist and spread as umap-learn's find_ab_params */
    int n_epochs;              /* <= 0: 500 when n <= 10000, else 200 (umap-learn's default) */
    double learning_rate;      /* 1.0, decaying linearly to 0 */
    double negative_sample_rate; /* 5 */
    double repulsion_strength; /* gamma, 1.0 */
    double local_connectivity; /* 1.0 */
    double set_op_mix_ratio;   /* 1.0 (pure fuzzy union) */
    mc_umap_init init;         /* MC_UMAP_INIT_SPECTRAL */
    uint64_t seed;             /* 0 */
    int threads;               /* as mc_tsne_opts.threads; the output does not depend on it */
    mc_embed_knn_method knn;   /* AUTO: exact up to knn_exact_max points, then NN-descent */
    int64_t knn_exact_max;     /* <= 0: 20000 */
    mc_progress *progress;     /* ticked once per epoch; NULL = none */
} mc_umap_opts;

void mc_umap_opts_default(mc_umap_opts *o);

typedef struct mc_umap_info {
    int n_neighbors;  /* after clamping */
    double a, b;      /* the curve used */
    int n_epochs;
    int64_t n_edges;  /* directed edges of the fuzzy graph after pruning weights < max / n_epochs */
    int n_graph_components; /* connected pieces of the fuzzy graph */
    double init_residual;   /* spectral init: largest Lanczos residual ||L v - lambda v|| (0 otherwise) */
} mc_umap_info;

/* UMAP of X (n, d) into Y (n, n_components) float32 row-major. n >= 3; opts NULL = defaults; info
 * NULL ok. */
mc_status mc_embed_umap(const float *X, int64_t n, int d, const mc_umap_opts *opts, float *Y,
                        mc_umap_info *info);

/* umap-learn's find_ab_params: least-squares fit (Levenberg-Marquardt, as scipy's curve_fit from
 * a = b = 1) of 1 / (1 + a x^(2b)) to the target 1 for x < min_dist, exp(-(x - min_dist) / spread)
 * beyond, on 300 points of [0, 3 spread]. min_dist 0.1, spread 1 gives a = 1.5769, b = 0.8951. */
mc_status mc_embed_umap_find_ab(double spread, double min_dist, double *a, double *b);

/* ---------------------------------------------------------------- placement */

/* New rows X (n, d) onto an existing 2-D map Y (nr, 2) of reference rows R (nr, d), as umap-learn's
 * transform initialises new points: the k nearest reference rows (euclidean, the distance summed in
 * double column by column; ties to the smaller reference index), weights exp(-dist / sigma) with sigma
 * found by bisection so that they sum to log2(k) (smooth_knn_dist with rho = 0; sigma at least 1e-3 of
 * the mean neighbour distance), weight 1 at distance 0, normalised; the position is the weighted mean
 * of the neighbours' map coordinates (umap-learn's further optimisation epochs are not run). out (n, 2).
 * k is clamped to nr and to 256. Exact brute force: O(n nr d) time on `threads` threads (<= 0: all),
 * O(nr d) extra memory; the output never depends on the thread count. Used by `assign` and by the
 * bounded maps of `map` / `run` (pipeline.h). MC_STATUS_INVALID_ARG for bad sizes or NULL arrays;
 * MC_STATUS_NO_MEMORY. Never reads past the given shapes; X and out may not alias. */
mc_status mc_embed_place(const float *X, int64_t n, const float *R, int64_t nr, int d, const float *Y, int k,
                         int threads, float *out);

/* ---------------------------------------------------------------- quality */

/* sklearn.manifold.trustworthiness(X, Y, n_neighbors=k) (euclidean): 1 - 2 / (n k (2n - 3k - 1))
 * sum_i sum_{j in kNN_Y(i)} max(0, r(i, j) - k), with r(i, j) the rank of j among i's neighbours
 * in X (1 = nearest; ties in X broken by index). X (n, d), Y (n, dy); 1 <= k < n / 2 (sklearn's
 * bound). Exact, O(n^2 (d + dy)) time, O(threads * block * n) memory. */
mc_status mc_embed_trustworthiness(const float *X, int64_t n, int d, const float *Y, int dy, int k,
                                   int threads, double *out);

#ifdef __cplusplus
}
#endif
#endif
