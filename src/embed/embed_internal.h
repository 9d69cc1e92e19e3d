/* embed: the pieces behind mc_embed_tsne / mc_embed_umap, shared between the files of src/embed and
 * exposed to tests/test_embed.c (which checks each against its definition). */
#ifndef MC_EMBED_INTERNAL_H
#define MC_EMBED_INTERNAL_H

#include <musiclust/embed.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Stream numbers of mc_rng_seed(seed, stream), one per purpose, so that no two draw the same numbers. */
enum {
    EMB_STREAM_TSNE_INIT = 0x7501,
    EMB_STREAM_UMAP_INIT = 0x7502,
    EMB_STREAM_UMAP_NEG = 0x7503,
    EMB_STREAM_NND = 0x7504,
    EMB_STREAM_SPECTRAL = 0x7505
};

#define EMB_KNN_EXACT_MAX_DEFAULT 20000

/* A sparse square matrix in CSR form, columns sorted within each row. */
typedef struct emb_csr {
    int64_t n;
    int64_t nnz;
    int64_t *indptr; // (n + 1)
    int32_t *col;    // (nnz)
    double *val;     // (nnz)
} emb_csr;

void emb_csr_free(emb_csr *m); /* NULL ok; zeroes */

/* NaN/Inf check naming the row and column; n >= min_n. */
mc_status emb_check_input(const char *what, const float *X, int64_t n, int d, int64_t min_n);

/* Exact k-NN: idx (n, k), d2 (n, k) squared euclidean distances in double, re-measured directly. */
mc_status emb_knn_exact(const float *X, int64_t n, int d, int k, int threads, int32_t *idx, double *d2);
/* NN-descent (approximate), same outputs. */
mc_status emb_knn_nndescent(const float *X, int64_t n, int d, int k, uint64_t seed, int threads,
                            int32_t *idx, double *d2);
/* Dispatcher used by t-SNE and UMAP (method AUTO resolved by knn_exact_max). */
mc_status emb_knn(const float *X, int64_t n, int d, int k, mc_embed_knn_method method, int64_t exact_max,
                  uint64_t seed, int threads, int32_t *idx, double *d2);

/* PCA scores: out (n, nc) = (X - mean) V with V the top nc eigenvectors of the covariance, each
 * signed as sklearn's svd_flip (largest |score| positive). nc <= d. */
mc_status emb_pca_scores(const float *X, int64_t n, int d, int nc, double *out);

/* M + M^T for the sparse M with rows (idx[i], C[i]) (n, k): entries merged as a + b (mode 0,
 * t-SNE) or mix (a + b - a b) + (1 - mix) a b (mode 1, UMAP's fuzzy union); diagonal and zeros dropped. */
mc_status emb_symmetrise(const double *C, const int32_t *idx, int64_t n, int k, int mode, double mix, emb_csr *out);

/* ---------------------------------------------------------------- t-SNE pieces */

/* sklearn.manifold._utils._binary_search_perplexity on squared distances d2 (n, k): P (n, k) rows
 * of conditional probabilities whose entropy (nats) is log(perplexity) to 1e-5 (100 bisection
 * steps at most). beta (n) receives the precisions 1 / (2 sigma^2) (NULL ok). */
void emb_tsne_binary_search(const double *d2, int64_t n, int k, double perplexity, int threads, double *P,
                            double *beta);
/* sklearn's _joint_probabilities_nn: P = (C + C^T) / sum(C + C^T) from the conditional rows C (n, k)
 * with neighbours idx (n, k). */
mc_status emb_tsne_joint(const double *C, const int32_t *idx, int64_t n, int k, emb_csr *P);

/* The starting positions Y (n, 2) of mc_embed_tsne (see mc_tsne_init). */
mc_status emb_tsne_init(const float *X, int64_t n, int d, mc_tsne_init init, uint64_t seed, double *Y);

/* One Barnes-Hut t-SNE gradient (sklearn _kl_divergence_bh with dof 1): grad (n, 2) = 4 (exag F_attr
 * - F_rep / Z), Y (n, 2), the attraction from exag * P (early exaggeration). kl receives the KL
 * divergence of exag * P when compute_error (as sklearn, which scales P itself), else 0. The workspace
 * comes from emb_tsne_ws_create. */
typedef struct emb_tsne_ws emb_tsne_ws;
mc_status emb_tsne_ws_create(const emb_csr *P, emb_tsne_ws **out);
void emb_tsne_ws_free(emb_tsne_ws *w);
mc_status emb_tsne_gradient(emb_tsne_ws *w, const emb_csr *P, double exag, const double *Y, double angle,
                            bool compute_error, int threads, double *grad, double *kl);

/* ---------------------------------------------------------------- UMAP pieces */

/* umap-learn's smooth_knn_dist on the distances dist (n, k) (column 0: the point itself): rho (n)
 * and sigma (n) such that sum_{j >= 1} exp(-max(0, d_ij - rho_i) / sigma_i) = log2(k) * bandwidth. */
void emb_umap_smooth_knn(const double *dist, int64_t n, int k, double local_connectivity, double bandwidth,
                         double *sigma, double *rho);
/* fuzzy_simplicial_set: membership strengths from (idx, dist, sigma, rho), then the fuzzy union
 * mix * (A + A^T - A o A^T) + (1 - mix) A o A^T, zeros dropped. */
mc_status emb_umap_fuzzy_graph(const int32_t *idx, const double *dist, const double *sigma, const double *rho,
                               int64_t n, int k, double set_op_mix_ratio, emb_csr *G);

/* Spectral layout (umap-learn spectral_layout / multi_component_layout) of the symmetric graph G into
 * out (n, dim) double. n_comp receives the number of connected pieces, resid the largest residual. */
mc_status emb_spectral_layout(const emb_csr *G, const float *X, int d, int dim, uint64_t seed, int threads,
                              double *out, int *n_comp, double *resid);

/* Top `want` eigenpairs of the normalised adjacency D^-1/2 W D^-1/2 of the symmetric graph G, with
 * the trivial eigenvector sqrt(deg) projected out (thick-restart Lanczos). vecs (n, want) row-major,
 * vals (want) descending. Used for connected graphs (and each piece of a disconnected one). */
mc_status emb_lanczos_top(const emb_csr *G, int want, uint64_t seed, double tol, double *vecs, double *vals,
                          double *resid);

/* ---------------------------------------------------------------- 4-lane vectors */

/* The force kernels (t-SNE's quadtree walk and attraction, UMAP's SGD) work on 4 floats at a time:
 * SSE2 (part of every x86-64) where available, else plain structs doing the same lane-by-lane IEEE
 * operations (min/max with SSE's operand rules), so that both give the same bits. */
#if defined(__SSE2__)
#include <emmintrin.h>
typedef __m128 v4;
typedef __m128i v4i;
static inline v4 v4_set1(float a) { return _mm_set1_ps(a); }
static inline v4 v4_set(float a, float b, float c, float d) { return _mm_setr_ps(a, b, c, d); }
static inline v4 v4_load(const float *p) { return _mm_loadu_ps(p); }
static inline void v4_store(float *p, v4 a) { _mm_storeu_ps(p, a); }
static inline v4 v4_add(v4 a, v4 b) { return _mm_add_ps(a, b); }
static inline v4 v4_sub(v4 a, v4 b) { return _mm_sub_ps(a, b); }
static inline v4 v4_mul(v4 a, v4 b) { return _mm_mul_ps(a, b); }
static inline v4 v4_div(v4 a, v4 b) { return _mm_div_ps(a, b); }
static inline v4 v4_min(v4 a, v4 b) { return _mm_min_ps(a, b); } /* a < b ? a : b */
static inline v4 v4_max(v4 a, v4 b) { return _mm_max_ps(a, b); } /* a > b ? a : b */
static inline v4 v4_lt(v4 a, v4 b) { return _mm_cmplt_ps(a, b); }
static inline v4 v4_le(v4 a, v4 b) { return _mm_cmple_ps(a, b); }
static inline v4 v4_and(v4 a, v4 b) { return _mm_and_ps(a, b); }
static inline v4 v4_or(v4 a, v4 b) { return _mm_or_ps(a, b); }
static inline v4 v4_andnot(v4 a, v4 b) { return _mm_andnot_ps(a, b); } /* ~a & b */
static inline v4 v4_abs(v4 a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
static inline int v4_mask(v4 a) { return _mm_movemask_ps(a); }
static inline v4 v4_ineg(const int32_t *p) { /* all-ones lanes where p[l] < 0 */
    return _mm_castsi128_ps(_mm_cmplt_epi32(_mm_loadu_si128((const __m128i *)p), _mm_setzero_si128()));
}
static inline v4i v4_bits(v4 a) { return _mm_castps_si128(a); }
static inline v4 v4_from_bits(v4i a) { return _mm_castsi128_ps(a); }
static inline v4i v4i_set1(int32_t a) { return _mm_set1_epi32(a); }
static inline v4i v4i_add(v4i a, v4i b) { return _mm_add_epi32(a, b); }
static inline v4i v4i_sub(v4i a, v4i b) { return _mm_sub_epi32(a, b); }
static inline v4i v4i_and(v4i a, v4i b) { return _mm_and_si128(a, b); }
static inline v4i v4i_or(v4i a, v4i b) { return _mm_or_si128(a, b); }
static inline v4i v4i_srl(v4i a, int n) { return _mm_srli_epi32(a, n); }
static inline v4i v4i_sll(v4i a, int n) { return _mm_slli_epi32(a, n); }
static inline v4 v4_cvt(v4i a) { return _mm_cvtepi32_ps(a); }   /* exact for |a| < 2^24 */
static inline v4i v4_trunc(v4 a) { return _mm_cvttps_epi32(a); } /* toward 0, in range */
#else
typedef struct v4 { float f[4]; } v4;
typedef struct v4i { int32_t i[4]; } v4i;
static inline float v4_f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t v4_u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
#define V4_MAP(T, field, expr)         \
    T r_;                              \
    for (int l_ = 0; l_ < 4; l_++) {   \
        r_.field[l_] = (expr);         \
    }                                  \
    return r_
static inline v4 v4_set1(float a) { V4_MAP(v4, f, a); }
static inline v4 v4_set(float a, float b, float c, float d) { v4 r_ = {{a, b, c, d}}; return r_; }
static inline v4 v4_load(const float *p) { V4_MAP(v4, f, p[l_]); }
static inline void v4_store(float *p, v4 a) { memcpy(p, a.f, sizeof a.f); }
static inline v4 v4_add(v4 a, v4 b) { V4_MAP(v4, f, a.f[l_] + b.f[l_]); }
static inline v4 v4_sub(v4 a, v4 b) { V4_MAP(v4, f, a.f[l_] - b.f[l_]); }
static inline v4 v4_mul(v4 a, v4 b) { V4_MAP(v4, f, a.f[l_] * b.f[l_]); }
static inline v4 v4_div(v4 a, v4 b) { V4_MAP(v4, f, a.f[l_] / b.f[l_]); }
static inline v4 v4_min(v4 a, v4 b) { V4_MAP(v4, f, a.f[l_] < b.f[l_] ? a.f[l_] : b.f[l_]); }
static inline v4 v4_max(v4 a, v4 b) { V4_MAP(v4, f, a.f[l_] > b.f[l_] ? a.f[l_] : b.f[l_]); }
static inline v4 v4_lt(v4 a, v4 b) { V4_MAP(v4, f, v4_f(a.f[l_] < b.f[l_] ? 0xFFFFFFFFu : 0u)); }
static inline v4 v4_le(v4 a, v4 b) { V4_MAP(v4, f, v4_f(a.f[l_] <= b.f[l_] ? 0xFFFFFFFFu : 0u)); }
static inline v4 v4_and(v4 a, v4 b) { V4_MAP(v4, f, v4_f(v4_u(a.f[l_]) & v4_u(b.f[l_]))); }
static inline v4 v4_or(v4 a, v4 b) { V4_MAP(v4, f, v4_f(v4_u(a.f[l_]) | v4_u(b.f[l_]))); }
static inline v4 v4_andnot(v4 a, v4 b) { V4_MAP(v4, f, v4_f(~v4_u(a.f[l_]) & v4_u(b.f[l_]))); }
static inline v4 v4_abs(v4 a) { V4_MAP(v4, f, v4_f(v4_u(a.f[l_]) & 0x7FFFFFFFu)); }
static inline int v4_mask(v4 a) {
    int m = 0;
    for (int l = 0; l < 4; l++) m |= (int)(v4_u(a.f[l]) >> 31) << l;
    return m;
}
static inline v4 v4_ineg(const int32_t *p) { V4_MAP(v4, f, v4_f(p[l_] < 0 ? 0xFFFFFFFFu : 0u)); }
static inline v4i v4_bits(v4 a) { V4_MAP(v4i, i, (int32_t)v4_u(a.f[l_])); }
static inline v4 v4_from_bits(v4i a) { V4_MAP(v4, f, v4_f((uint32_t)a.i[l_])); }
static inline v4i v4i_set1(int32_t a) { V4_MAP(v4i, i, a); }
static inline v4i v4i_add(v4i a, v4i b) { V4_MAP(v4i, i, (int32_t)((uint32_t)a.i[l_] + (uint32_t)b.i[l_])); }
static inline v4i v4i_sub(v4i a, v4i b) { V4_MAP(v4i, i, (int32_t)((uint32_t)a.i[l_] - (uint32_t)b.i[l_])); }
static inline v4i v4i_and(v4i a, v4i b) { V4_MAP(v4i, i, a.i[l_] & b.i[l_]); }
static inline v4i v4i_or(v4i a, v4i b) { V4_MAP(v4i, i, a.i[l_] | b.i[l_]); }
static inline v4i v4i_srl(v4i a, int n) { V4_MAP(v4i, i, (int32_t)((uint32_t)a.i[l_] >> n)); }
static inline v4i v4i_sll(v4i a, int n) { V4_MAP(v4i, i, (int32_t)((uint32_t)a.i[l_] << n)); }
static inline v4 v4_cvt(v4i a) { V4_MAP(v4, f, (float)a.i[l_]); }
static inline v4i v4_trunc(v4 a) { V4_MAP(v4i, i, (int32_t)a.f[l_]); }
#undef V4_MAP
#endif

/* Sum of the 4 lanes in a fixed order, in double. */
static inline double v4_hsum(v4 a) {
    float t[4];
    v4_store(t, a);
    return ((double)t[0] + (double)t[1]) + ((double)t[2] + (double)t[3]);
}

/* log2 of x > 0 (normal floats): x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(t),
 * t = (m - 1) / (m + 1), |t| < 0.172, by its series to t^9; relative error < 2e-7. */
static inline v4 v4_log2(v4 x) {
    const v4i u = v4_bits(x);
    v4i e = v4i_sub(v4i_and(v4i_srl(u, 23), v4i_set1(0xFF)), v4i_set1(127));
    v4 m = v4_from_bits(v4i_or(v4i_and(u, v4i_set1(0x007FFFFF)), v4i_set1(0x3F800000)));
    const v4 big = v4_lt(v4_set1(1.41421356f), m);
    m = v4_or(v4_and(big, v4_mul(m, v4_set1(0.5f))), v4_andnot(big, m));
    e = v4i_sub(e, v4_bits(big)); /* + 1 where big (the mask is -1) */
    const v4 one = v4_set1(1.0f);
    const v4 t = v4_div(v4_sub(m, one), v4_add(m, one)), t2 = v4_mul(t, t);
    v4 p = v4_add(v4_set1(0.285714286f), v4_mul(t2, v4_set1(0.222222222f)));
    p = v4_add(v4_set1(0.4f), v4_mul(t2, p));
    p = v4_add(v4_set1(0.666666667f), v4_mul(t2, p));
    p = v4_add(v4_set1(2.0f), v4_mul(t2, p));
    return v4_add(v4_cvt(e), v4_mul(v4_mul(t, p), v4_set1(1.44269504f)));
}

/* 2^y for y clamped to [-126, 127]: 2^k 2^f with k = floor(y + 1/2), |f| <= 1/2, 2^f = e^(f ln 2)
 * by its Taylor series to degree 7; relative error < 2e-7. */
static inline v4 v4_exp2(v4 y) {
    y = v4_min(v4_max(y, v4_set1(-126.0f)), v4_set1(127.0f));
    const v4 yk = v4_add(y, v4_set1(0.5f));
    v4i k = v4_trunc(yk);
    k = v4i_add(k, v4_bits(v4_lt(yk, v4_cvt(k)))); /* truncation rounded up a negative: - 1 */
    const v4 f = v4_mul(v4_sub(y, v4_cvt(k)), v4_set1(0.693147181f));
    v4 p = v4_add(v4_set1(0.00138888889f), v4_mul(f, v4_set1(0.000198412698f)));
    p = v4_add(v4_set1(0.00833333333f), v4_mul(f, p));
    p = v4_add(v4_set1(0.0416666667f), v4_mul(f, p));
    p = v4_add(v4_set1(0.166666667f), v4_mul(f, p));
    p = v4_add(v4_set1(0.5f), v4_mul(f, p));
    p = v4_add(v4_set1(1.0f), v4_mul(f, p));
    p = v4_add(v4_set1(1.0f), v4_mul(f, p));
    return v4_mul(p, v4_from_bits(v4i_sll(v4i_add(k, v4i_set1(127)), 23)));
}

/* X (n, d) centred in double: mean (d) = the column means (summed in row order), Xc (n, d) = X - mean,
 * nrm (n) = squared norms of the rows of Xc. Centring first keeps ||x||^2 - 2 x.y + ||y||^2 from
 * cancelling catastrophically when the data sit far from the origin. */
void emb_centre(const float *X, int64_t n, int d, double *mean, double *Xc, double *nrm);

#endif
