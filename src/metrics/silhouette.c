/* The exact silhouette (sklearn.metrics.silhouette_samples, euclidean), block-wise.
 *
 * For each non-noise row i with cluster c(i): a(i) = mean distance to the other rows of c(i),
 * b(i) = min over the other clusters c' of the mean distance to the rows of c', and
 * s(i) = (b - a) / max(a, b); 0 for a row alone in its cluster (sklearn: 0/0 -> nan_to_num -> 0).
 * The score is the mean of s over the non-noise rows.
 *
 * How: the used rows are sorted by cluster (so every cluster is a contiguous range of columns),
 * centred (distances do not change, and the expansion below loses far less to cancellation when the
 * data sit far from the origin), and held in double. A tile of distances between row blocks I and J
 * is -2 X_I X_J^T from dgemm, then ||x_i||^2 and ||x_j||^2 are added (in sklearn's order), clamped at
 * 0 and square-rooted, and the diagonal of a tile I = J is set to exactly 0 (as sklearn's
 * pairwise_distances_chunked does). Pairs so close that the expansion's rounding dominates are
 * recomputed directly (MC_SIL_CLOSE), so duplicates are exactly 0 apart. Each tile row is then summed over the cluster ranges it crosses.
 * float32 sgemm is not used: its error on ||x||^2 + ||y||^2 - 2 x.y is ~1e-7 (||x||^2 + ||y||^2),
 * which for nearby points far from the origin is far above the 1e-6 relative target (bench_metrics
 * measures both).
 *
 * SYMMETRIC: every pair of blocks p < q is one tile, summed along its rows (into the per-cluster sums
 * of I's rows) and along its columns (into J's), so each distance is computed once. Tiles run in
 * rounds of the circle method (round-robin tournament): the pairs of one round touch disjoint blocks,
 * so threads never write the same sums, and every sum receives its terms in the same order whatever
 * the thread count. Needs the (m, k) table of sums.
 * ROWS: each row block sweeps every column block in order, keeping per row only the running sum of
 * the current cluster range, its own cluster's sum and the smallest other-cluster mean, so any k fits.
 *
 * Threads: OpenMP over tiles; each thread calls dgemm single-threaded (OpenBLAS's own thread count is
 * set to 1 for the duration and restored). */
#include "metrics_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define MC_SIL_X86 1
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- kernels */

/* A squared distance below MC_SIL_CLOSE (||x||^2 + ||y||^2) is dominated by the expansion's rounding
 * (error ~ d eps (||x||^2 + ||y||^2); above the threshold the relative error of a distance stays
 * below ~d 1e-13), so such pairs (near-duplicates, and the diagonal) are flagged with -1, left out of
 * the sums, and recomputed by the caller as sqrt(sum (x - y)^2). Without this a duplicate point sits
 * ~1e-8 ||x|| away instead of 0. */
#define MC_SIL_CLOSE (1.0 / 1024.0)

/* One distance from -2 x.y: sklearn's distances += XX; distances += YY; np.maximum(., 0); np.sqrt.
 * Returns -1 for a flagged pair. */
static inline double dist_one(double g, double ni, double nj, bool *close) {
    double v = (g + ni) + nj;
    *close = v < (ni + nj) * MC_SIL_CLOSE;
    return *close ? -1.0 : sqrt(v > 0 ? v : 0.0);
}

/* The scalar tail of a segment: element t of the tail goes into lane t; then the fixed tree. */
static inline double lanes_finish(double a[8], double *g, int64_t from, int64_t to, double ni, const double *nj,
                                  int64_t *flagged) {
    for (int64_t j = from; j < to; j++) {
        bool close;
        g[j] = dist_one(g[j], ni, nj[j], &close);
        *flagged += close;
        a[j - from] += close ? 0.0 : g[j];
    }
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static int64_t dist_sums_scalar(double *g, double ni, const double *nj, const int64_t *bounds, int nseg,
                                double *sums) {
    int64_t flagged = 0;
    for (int s = 0; s < nseg; s++) {
        double a[8] = {0};
        int64_t j = bounds[s];
        for (; j + 8 <= bounds[s + 1]; j += 8)
            for (int l = 0; l < 8; l++) {
                bool close;
                g[j + l] = dist_one(g[j + l], ni, nj[j + l], &close);
                flagged += close;
                a[l] += close ? 0.0 : g[j + l];
            }
        sums[s] = lanes_finish(a, g, j, bounds[s + 1], ni, nj, &flagged);
    }
    return flagged;
}

static void add_scalar(double *restrict acc, const double *restrict x, int64_t n) {
    for (int64_t j = 0; j < n; j++) acc[j] += x[j];
}

#ifdef MC_SIL_X86
/* SSE2 is part of x86-64, so this path needs no target attribute. Two lanes per register: four
 * registers hold lanes 0-1, 2-3, 4-5, 6-7. */
static inline __m128d dist2_sse2(double *g, const double *nj, __m128d vi, __m128d *acc, int64_t *flagged) {
    const __m128d y = _mm_loadu_pd(nj);
    const __m128d v = _mm_add_pd(_mm_add_pd(_mm_loadu_pd(g), vi), y);
    const __m128d close = _mm_cmplt_pd(v, _mm_mul_pd(_mm_add_pd(vi, y), _mm_set1_pd(MC_SIL_CLOSE)));
    const __m128d r = _mm_sqrt_pd(_mm_max_pd(v, _mm_setzero_pd()));
    _mm_storeu_pd(g, _mm_or_pd(_mm_and_pd(close, _mm_set1_pd(-1.0)), _mm_andnot_pd(close, r)));
    *flagged += __builtin_popcount((unsigned)_mm_movemask_pd(close));
    return *acc = _mm_add_pd(*acc, _mm_andnot_pd(close, r));
}

static int64_t dist_sums_sse2(double *g, double ni, const double *nj, const int64_t *bounds, int nseg, double *sums) {
    const __m128d vi = _mm_set1_pd(ni);
    int64_t flagged = 0;
    for (int s = 0; s < nseg; s++) {
        __m128d a0 = _mm_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
        int64_t j = bounds[s];
        for (; j + 8 <= bounds[s + 1]; j += 8) {
            dist2_sse2(g + j, nj + j, vi, &a0, &flagged);
            dist2_sse2(g + j + 2, nj + j + 2, vi, &a1, &flagged);
            dist2_sse2(g + j + 4, nj + j + 4, vi, &a2, &flagged);
            dist2_sse2(g + j + 6, nj + j + 6, vi, &a3, &flagged);
        }
        double a[8];
        _mm_storeu_pd(a, a0);
        _mm_storeu_pd(a + 2, a1);
        _mm_storeu_pd(a + 4, a2);
        _mm_storeu_pd(a + 6, a3);
        sums[s] = lanes_finish(a, g, j, bounds[s + 1], ni, nj, &flagged);
    }
    return flagged;
}

static void add_sse2(double *acc, const double *x, int64_t n) {
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) _mm_storeu_pd(acc + j, _mm_add_pd(_mm_loadu_pd(acc + j), _mm_loadu_pd(x + j)));
    add_scalar(acc + j, x + j, n - j);
}

/* AVX2: two registers hold lanes 0-3 and 4-7. */
__attribute__((target("avx2"))) static inline __m256d dist4_avx2(double *g, const double *nj, __m256d vi,
                                                                 __m256d acc, int64_t *flagged) {
    const __m256d y = _mm256_loadu_pd(nj);
    const __m256d v = _mm256_add_pd(_mm256_add_pd(_mm256_loadu_pd(g), vi), y);
    const __m256d close = _mm256_cmp_pd(v, _mm256_mul_pd(_mm256_add_pd(vi, y), _mm256_set1_pd(MC_SIL_CLOSE)), _CMP_LT_OQ);
    const __m256d r = _mm256_sqrt_pd(_mm256_max_pd(v, _mm256_setzero_pd()));
    _mm256_storeu_pd(g, _mm256_blendv_pd(r, _mm256_set1_pd(-1.0), close));
    *flagged += __builtin_popcount((unsigned)_mm256_movemask_pd(close));
    return _mm256_add_pd(acc, _mm256_blendv_pd(r, _mm256_setzero_pd(), close));
}

__attribute__((target("avx2"))) static int64_t dist_sums_avx2(double *g, double ni, const double *nj,
                                                              const int64_t *bounds, int nseg, double *sums) {
    const __m256d vi = _mm256_set1_pd(ni);
    int64_t flagged = 0;
    for (int s = 0; s < nseg; s++) {
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        int64_t j = bounds[s];
        for (; j + 8 <= bounds[s + 1]; j += 8) {
            a0 = dist4_avx2(g + j, nj + j, vi, a0, &flagged);
            a1 = dist4_avx2(g + j + 4, nj + j + 4, vi, a1, &flagged);
        }
        double a[8];
        _mm256_storeu_pd(a, a0);
        _mm256_storeu_pd(a + 4, a1);
        sums[s] = lanes_finish(a, g, j, bounds[s + 1], ni, nj, &flagged);
    }
    return flagged;
}

__attribute__((target("avx2"))) static void add_avx2(double *acc, const double *x, int64_t n) {
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        _mm256_storeu_pd(acc + j, _mm256_add_pd(_mm256_loadu_pd(acc + j), _mm256_loadu_pd(x + j)));
    add_scalar(acc + j, x + j, n - j);
}

/* AVX-512: one register holds lanes 0-7. */
__attribute__((target("avx512f"))) static int64_t dist_sums_avx512(double *g, double ni, const double *nj,
                                                                   const int64_t *bounds, int nseg, double *sums) {
    const __m512d vi = _mm512_set1_pd(ni), z = _mm512_setzero_pd(), tau = _mm512_set1_pd(MC_SIL_CLOSE),
                  flag = _mm512_set1_pd(-1.0);
    int64_t flagged = 0;
    for (int s = 0; s < nseg; s++) {
        __m512d acc = z;
        int64_t j = bounds[s];
        for (; j + 8 <= bounds[s + 1]; j += 8) {
            const __m512d y = _mm512_loadu_pd(nj + j);
            const __m512d v = _mm512_add_pd(_mm512_add_pd(_mm512_loadu_pd(g + j), vi), y);
            const __mmask8 close = _mm512_cmp_pd_mask(v, _mm512_mul_pd(_mm512_add_pd(vi, y), tau), _CMP_LT_OQ);
            const __m512d r = _mm512_sqrt_pd(_mm512_max_pd(v, z));
            _mm512_storeu_pd(g + j, _mm512_mask_blend_pd(close, r, flag));
            acc = _mm512_add_pd(acc, _mm512_mask_blend_pd(close, r, z));
            flagged += __builtin_popcount((unsigned)close);
        }
        double a[8];
        _mm512_storeu_pd(a, acc);
        sums[s] = lanes_finish(a, g, j, bounds[s + 1], ni, nj, &flagged);
    }
    return flagged;
}

__attribute__((target("avx512f"))) static void add_avx512(double *acc, const double *x, int64_t n) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm512_storeu_pd(acc + j, _mm512_add_pd(_mm512_loadu_pd(acc + j), _mm512_loadu_pd(x + j)));
    add_scalar(acc + j, x + j, n - j);
}
#endif

bool mc__sil_isa_available(int isa) {
    switch (isa) {
    case MC__ISA_SCALAR: return true;
#ifdef MC_SIL_X86
    case MC__ISA_SSE2: return true;
    case MC__ISA_AVX2: return __builtin_cpu_supports("avx2") != 0;
    case MC__ISA_AVX512: return __builtin_cpu_supports("avx512f") != 0;
#endif
    default: return false;
    }
}

static atomic_int forced_isa = -1;

void mc__sil_force_isa(int isa) { atomic_store(&forced_isa, isa); }

mc__sil_kernels mc__sil_kernels_get(int isa) {
    if (isa < 0 || isa >= MC__ISA_COUNT || !mc__sil_isa_available(isa)) {
        isa = MC__ISA_SCALAR;
        for (int i = MC__ISA_COUNT - 1; i > 0; i--)
            if (mc__sil_isa_available(i)) { isa = i; break; }
    }
    mc__sil_kernels k = {MC__ISA_SCALAR, "scalar", dist_sums_scalar, add_scalar};
#ifdef MC_SIL_X86
    if (isa == MC__ISA_SSE2) k = (mc__sil_kernels){MC__ISA_SSE2, "sse2", dist_sums_sse2, add_sse2};
    if (isa == MC__ISA_AVX2) k = (mc__sil_kernels){MC__ISA_AVX2, "avx2", dist_sums_avx2, add_avx2};
    if (isa == MC__ISA_AVX512) k = (mc__sil_kernels){MC__ISA_AVX512, "avx512", dist_sums_avx512, add_avx512};
#endif
    return k;
}

/* ---------------------------------------------------------------- tiles */

typedef struct sil_ctx {
    int64_t m;             /* used (non-noise) rows */
    int d, k;
    int64_t B, nb;         /* block edge, number of blocks */
    const double *Xc;      /* (m, d) row-major: centred, sorted by cluster */
    const double *nrm;     /* (m) squared norms of Xc's rows */
    const int32_t *cl;     /* (m) dense cluster of each sorted row */
    const int64_t *start;  /* (k + 1) first sorted row of each cluster */
    const int64_t *size;   /* (k) */
    mc__sil_kernels K;
    mc_progress *progress;
} sil_ctx;

/* Per-thread scratch, allocated once. */
typedef struct sil_work {
    double *D;         /* (B, B) distance tile */
    double *rs;        /* (B, B) per-row segment sums (at most B segments) */
    double *acc;       /* (B) column sums of one segment of rows; ROWS: running sums */
    double *own, *best; /* (B) ROWS: own-cluster sum, smallest other-cluster mean */
    int64_t *bounds;   /* (B + 1) segment bounds of the tile's columns, relative to j0 */
    int32_t *segc;     /* (B) cluster of each column segment */
} sil_work;

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Split the sorted rows [j0, j0+bj) into cluster ranges. */
static int tile_segments(const sil_ctx *c, int64_t j0, int64_t bj, int64_t *bounds, int32_t *segc) {
    int ns = 0;
    bounds[0] = 0;
    for (int64_t lo = j0; lo < j0 + bj;) {
        const int32_t cc = c->cl[lo];
        const int64_t hi = min64(c->start[cc + 1], j0 + bj);
        segc[ns] = cc;
        bounds[++ns] = hi - j0;
        lo = hi;
    }
    return ns;
}

/* w->D (bi, bj) <- distances between sorted rows [i0, i0+bi) and [j0, j0+bj); w->rs (bi, nseg) <-
 * each row's sum over each column segment. The diagonal of a tile i0 == j0 comes out exactly 0: it
 * is flagged (its squared norm is far above the rounding) and recomputed from x - x = 0. */
static int tile_distances(const sil_ctx *c, int64_t i0, int64_t bi, int64_t j0, int64_t bj, sil_work *w) {
    const int d = c->d;
    const int nseg = tile_segments(c, j0, bj, w->bounds, w->segc);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)bi, (int)bj, d, -2.0, c->Xc + i0 * d, d,
                c->Xc + j0 * d, d, 0.0, w->D, (int)bj);
    for (int64_t i = 0; i < bi; i++) {
        double *row = w->D + i * bj, *sums = w->rs + i * nseg;
        if (c->K.dist_sums(row, c->nrm[i0 + i], c->nrm + j0, w->bounds, nseg, sums) == 0) continue;
        /* Flagged pairs: the direct distance, added to its segment after the lanes. */
        const double *x = c->Xc + (i0 + i) * d;
        int s = 0;
        for (int64_t j = 0; j < bj; j++) {
            while (j >= w->bounds[s + 1]) s++;
            if (row[j] >= 0.0) continue;
            const double *y = c->Xc + (j0 + j) * d;
            double q = 0.0;
            for (int f = 0; f < d; f++) q += (x[f] - y[f]) * (x[f] - y[f]);
            row[j] = sqrt(q);
            sums[s] += row[j];
        }
    }
    return nseg;
}

/* SYMMETRIC: tile (p, q), p <= q. S (m, k) row-major per-cluster distance sums. */
static void sym_tile(const sil_ctx *c, int64_t p, int64_t q, sil_work *w, double *S) {
    const int64_t B = c->B, k = c->k;
    const int64_t i0 = p * B, bi = min64(B, c->m - i0), j0 = q * B, bj = min64(B, c->m - j0);
    const int nseg = tile_distances(c, i0, bi, j0, bj, w);
    /* Along rows: row i of I gets its sum over each cluster range of J. */
    for (int64_t i = 0; i < bi; i++)
        for (int s = 0; s < nseg; s++) S[(i0 + i) * k + w->segc[s]] += w->rs[i * nseg + s];
    if (p == q) return; /* a diagonal tile holds both directions already */
    /* Along columns: row j of J gets the sum over each cluster range of I (rows added in order). */
    for (int64_t lo = i0; lo < i0 + bi;) {
        const int32_t cc = c->cl[lo];
        const int64_t hi = min64(c->start[cc + 1], i0 + bi);
        double *acc = w->acc;
        memcpy(acc, w->D + (lo - i0) * bj, (size_t)bj * sizeof *acc);
        for (int64_t r = lo + 1; r < hi; r++) c->K.add(acc, w->D + (r - i0) * bj, bj);
        for (int64_t j = 0; j < bj; j++) S[(j0 + j) * k + cc] += acc[j];
        lo = hi;
    }
}

/* s(i) from its own cluster's distance sum and the smallest mean over the other clusters, as
 * sklearn's silhouette_samples: intra /= (size - 1); (inter - intra) / max(intra, inter);
 * nan_to_num (a row alone in its cluster, or a = b = 0, gives 0). */
static double sil_value(double own_sum, int64_t own_size, double best) {
    if (own_size <= 1) return 0.0;
    double a = own_sum / (double)(own_size - 1);
    double s = (best - a) / (a > best ? a : best);
    return isnan(s) ? 0.0 : s;
}

/* ROWS: fold the finished cluster range curc of every row into own / best. */
static void rows_fold(const sil_ctx *c, int64_t i0, int64_t bi, int32_t curc, sil_work *w) {
    for (int64_t i = 0; curc >= 0 && i < bi; i++) {
        if (c->cl[i0 + i] == curc) w->own[i] = w->acc[i];
        else if (w->acc[i] / (double)c->size[curc] < w->best[i]) w->best[i] = w->acc[i] / (double)c->size[curc];
    }
}

/* ROWS: row block p against every column block in order; acc holds the running sum of the
 * current cluster range, which may span several column blocks. */
static void rows_block(const sil_ctx *c, int64_t p, sil_work *w, double *sv) {
    const int64_t B = c->B, i0 = p * B, bi = min64(B, c->m - i0);
    for (int64_t i = 0; i < bi; i++) {
        w->acc[i] = 0.0;
        w->own[i] = 0.0;
        w->best[i] = INFINITY;
    }
    int32_t curc = -1;
    for (int64_t q = 0; q < c->nb; q++) {
        const int64_t j0 = q * B, bj = min64(B, c->m - j0);
        const int nseg = tile_distances(c, i0, bi, j0, bj, w);
        for (int s = 0; s < nseg; s++) {
            if (w->segc[s] != curc) {
                rows_fold(c, i0, bi, curc, w);
                for (int64_t i = 0; i < bi; i++) w->acc[i] = 0.0;
                curc = w->segc[s];
            }
            for (int64_t i = 0; i < bi; i++) w->acc[i] += w->rs[i * nseg + s];
        }
        mc_progress_tick(c->progress, 1);
    }
    rows_fold(c, i0, bi, curc, w);
    for (int64_t i = 0; i < bi; i++) sv[i0 + i] = sil_value(w->own[i], c->size[c->cl[i0 + i]], w->best[i]);
}

/* ---------------------------------------------------------------- entry point */

mc_status mc_metrics_silhouette(const float *X, int64_t n, int d, const int32_t *cluster,
                                const mc_metrics_opts *opts_in, double *mean, double *samples,
                                mc_internal_scores *info) {
    mc_metrics_opts opts;
    mc_metrics_opts_default(&opts);
    if (opts_in) opts = *opts_in;
    if (opts.block <= 0) opts.block = 256;
    if (opts.max_bytes <= 0) opts.max_bytes = (int64_t)256 << 20;
    mc_internal_scores local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    info->silhouette = info->calinski_harabasz = info->davies_bouldin = NAN;
    if (mean) *mean = NAN;
    if (opts.block > 4096)
        return mc_error_set(MC_STATUS_INVALID_ARG, "silhouette: block %d is above 4096 rows", opts.block);
    if (opts.algo < MC_SILHOUETTE_AUTO || opts.algo > MC_SILHOUETTE_ROWS)
        return mc_error_set(MC_STATUS_INVALID_ARG, "silhouette: unknown algorithm %d", (int)opts.algo);
    mc_status st = mc__metrics_check_input(X, n, d, cluster, "silhouette");
    if (st != MC_STATUS_OK) return st;
    mc__clusters cl;
    st = mc__clusters_encode(cluster, n, &cl);
    if (st != MC_STATUS_OK) return st;
    for (int64_t i = 0; samples && i < n; i++) samples[i] = NAN;
    if (!mc__internal_defined(&cl, info)) {
        mc__clusters_free(&cl);
        return MC_STATUS_OK;
    }

    const int64_t m = cl.n_used;
    const int k = cl.k;
    sil_ctx c = {0};
    c.m = m;
    c.d = d;
    c.k = k;
    c.B = min64(opts.block, m);
    c.nb = (m + c.B - 1) / c.B;
    c.K = mc__sil_kernels_get(atomic_load(&forced_isa));
    c.progress = opts.progress;
    const bool sym = opts.algo == MC_SILHOUETTE_SYMMETRIC ||
                     (opts.algo == MC_SILHOUETTE_AUTO && (double)m * k * sizeof(double) <= (double)opts.max_bytes);
    const int nt = mc_threads_resolve(opts.threads);

    int64_t *start = mc_alloc((size_t)k + 1, sizeof *start);      // (k + 1)
    int64_t *fill = mc_alloc((size_t)k, sizeof *fill);            // (k)
    int64_t *order = mc_alloc((size_t)m, sizeof *order);          // (m) original row of sorted row
    int32_t *scl = mc_alloc((size_t)m, sizeof *scl);              // (m)
    double *Xc = mc_alloc((size_t)m * (size_t)d, sizeof *Xc);     // (m, d)
    double *nrm = mc_alloc((size_t)m, sizeof *nrm);               // (m)
    double *mu = mc_alloc((size_t)d, sizeof *mu);                 // (d)
    double *sv = mc_alloc((size_t)m, sizeof *sv);                 // (m) s of each sorted row
    const size_t B = (size_t)c.B;
    double *fwork = mc_alloc((size_t)nt * (2 * B * B + 3 * B), sizeof *fwork); // (nt, 2 B^2 + 3 B)
    int64_t *bwork = mc_alloc((size_t)nt * (B + 1), sizeof *bwork);           // (nt, B + 1)
    int32_t *cwork = mc_alloc((size_t)nt * B, sizeof *cwork);                 // (nt, B)
    sil_work *work = mc_alloc((size_t)nt, sizeof *work);                      // (nt)
    double *S = sym ? mc_alloc((size_t)m * (size_t)k, sizeof *S) : NULL;       // (m, k)
    if (!start || !fill || !order || !scl || !Xc || !nrm || !mu || !sv || !fwork || !bwork || !cwork || !work ||
        (sym && !S)) {
        st = mc_error_nomem("silhouette: out of memory for %lld rows x %d clusters",
                          (long long)m, k);
        goto done;
    }
    /* Counting sort by dense cluster, stable: cluster ranges [start[c], start[c+1]). */
    for (int i = 0; i < k; i++) start[i + 1] = start[i] + cl.size[i];
    for (int64_t i = 0; i < n; i++) {
        int32_t dc = cl.dense[i];
        if (dc < 0) continue;
        int64_t r = start[dc] + fill[dc]++;
        order[r] = i;
        scl[r] = dc;
    }
    for (int64_t r = 0; r < m; r++)
        for (int f = 0; f < d; f++) mu[f] += X[order[r] * d + f];
    for (int f = 0; f < d; f++) mu[f] /= (double)m;
    for (int64_t r = 0; r < m; r++) {
        double s = 0.0;
        for (int f = 0; f < d; f++) {
            double v = (double)X[order[r] * d + f] - mu[f];
            Xc[r * d + f] = v;
            s += v * v;
        }
        nrm[r] = s;
    }
    for (int t = 0; t < nt; t++) {
        double *f = fwork + (size_t)t * (2 * B * B + 3 * B);
        work[t] = (sil_work){f, f + B * B, f + 2 * B * B, f + 2 * B * B + B, f + 2 * B * B + 2 * B,
                             bwork + (size_t)t * (B + 1), cwork + (size_t)t * B};
    }
    c.Xc = Xc;
    c.nrm = nrm;
    c.cl = scl;
    c.start = start;
    c.size = cl.size;

    const int64_t nb = c.nb;
    mc_progress_set_total(opts.progress, sym ? nb * (nb + 1) / 2 : nb * nb);
    const int blas_threads = mc_threads_blas_serial_begin();
    if (sym) {
        /* Circle method over P (even) slots; slot P-1 is fixed, a slot >= nb is a bye. */
        const int64_t P = nb + (nb & 1);
#pragma omp parallel num_threads(nt)
        {
            sil_work *w = &work[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
            for (int64_t p = 0; p < nb; p++) {
                sym_tile(&c, p, p, w, S);
                mc_progress_tick(c.progress, 1);
            }
            for (int64_t r = 0; r < P - 1; r++) {
                /* Which thread takes which tile of a round does not change any sum's order. */
#pragma omp for schedule(dynamic, 1)
                for (int64_t i = 0; i < P / 2; i++) {
                    int64_t a = i == 0 ? P - 1 : (r + i) % (P - 1);
                    int64_t b = i == 0 ? r : (r - i + (P - 1)) % (P - 1);
                    if (a >= nb || b >= nb) continue;
                    sym_tile(&c, a < b ? a : b, a < b ? b : a, w, S);
                    mc_progress_tick(c.progress, 1);
                }
            }
        }
        for (int64_t r = 0; r < m; r++) {
            const int32_t ci = scl[r];
            double best = INFINITY;
            for (int cc = 0; cc < k; cc++) {
                if (cc == ci) continue;
                double v = S[r * k + cc] / (double)cl.size[cc];
                if (v < best) best = v;
            }
            sv[r] = sil_value(S[r * k + ci], cl.size[ci], best);
        }
    } else {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (int64_t p = 0; p < nb; p++) rows_block(&c, p, &work[omp_get_thread_num()], sv);
    }
    mc_threads_blas_serial_end(blas_threads);

    double total = 0.0;
    for (int64_t r = 0; r < m; r++) {
        total += sv[r];
        if (samples) samples[order[r]] = sv[r];
    }
    info->silhouette = total / (double)m;
    if (mean) *mean = info->silhouette;

done:
    mc_free(start);
    mc_free(fill);
    mc_free(order);
    mc_free(scl);
    mc_free(Xc);
    mc_free(nrm);
    mc_free(mu);
    mc_free(sv);
    mc_free(fwork);
    mc_free(bwork);
    mc_free(cwork);
    mc_free(work);
    mc_free(S);
    mc__clusters_free(&cl);
    return st;
}
