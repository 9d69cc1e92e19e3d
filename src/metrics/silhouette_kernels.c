/* metrics: the silhouette's kernels (silhouette.c says how they are used): distance sums of a row of
 * -2 x.y products, fused distance tiles, segment sums; scalar, SSE2, AVX2 and AVX-512 versions that
 * give the same bits, chosen at run time (mc__sil_kernels_get). */
#include "metrics_internal.h"

#include <math.h>
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

/* sqrt(max(v, 0)) to ~1e-13 relative, with half the divider time of a double square root (which
 * bounds the tiles otherwise): a float square root and reciprocal give r ~ 1/sqrt(v) to ~2^-22, then
 * one Newton step in double, y = v r, y + (r / 2)(v - y y), leaves ~1.5 (2^-22)^2 + 2^-53. Every step
 * is an IEEE operation rounded once (no fused multiply-add), so the vector paths below repeat it bit
 * for bit. Outside [2^-120, 2^120] (float range, and v <= 0 or NaN) the exact square root. */
#define MC_SIL_FAST_LO 0x1p-120
#define MC_SIL_FAST_HI 0x1p120
static inline double sqrt_fast(double v) {
    if (!(v >= MC_SIL_FAST_LO && v <= MC_SIL_FAST_HI)) return sqrt(v > 0 ? v : 0.0);
    const float sf = sqrtf((float)v);
    const double r = (double)(1.0f / sf);
    const double y = v * r, h = 0.5 * r, e = v - y * y;
    return y + h * e;
}

/* dist_one with sqrt_fast: the distance tiles' formula. */
static inline double dist_fast(double g, double ni, double nj) {
    const double v = (g + ni) + nj;
    return v < (ni + nj) * MC_SIL_CLOSE ? -1.0 : sqrt_fast(v);
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

/* ---------------------------------------------------------------- distance tiles
 *
 * tile: D (bi, ldd) row-major, ldd = 8 nv: D[i][j] = the distance between row i of XI (bi, d) and
 * column j of PJ (nv panels of 8 columns, each (d, 8), packed by the caller; columns past the tile
 * zero), or -1 for a flagged pair, as dist_one: g = -2 (x_i . y_j), v = (g + ni[i]) + nj[j], flagged
 * when v < (ni[i] + nj[j]) MC_SIL_CLOSE, else sqrt(max(v, 0)). Each dot is one chain of fused
 * multiply-adds over f = 0..d-1 in order from 0 (acc = fma(x_f, y_f, acc)), the same in every lane of
 * every path, so every path gives the same bits, and entries are independent of each other, so no
 * tiling changes them. The square roots are taken right after each register tile's products, so
 * that the divider works while the multiply-add units go on with the next tile (as two passes, each
 * waited for the other). On a CPU without FMA instructions fma() is a slow software routine, so there
 * every path uses dgemm and dist_sums instead (sil_fma).
 * seg_sums: sums[s] = the sum over segment s of the non-flagged entries of a tile row, in the lanes
 * and order of dist_sums (the same bits); returns the flagged (negative) entries it saw. */

static void tile_scalar(const double *XI, int64_t bi, const double *ni, const double *PJ, const double *nj, int64_t nv,
                        int d, double *D) {
    const int64_t ldd = 8 * nv;
    for (int64_t i = 0; i < bi; i++)
        for (int64_t j = 0; j < ldd; j++) {
            const double *x = XI + i * d, *y = PJ + (j / 8) * d * 8 + j % 8;
            double acc = 0.0;
            for (int f = 0; f < d; f++) acc = fma(x[f], y[8 * f], acc);
            D[i * ldd + j] = dist_fast(-2.0 * acc, ni[i], nj[j]);
        }
}

static int64_t seg_sums_scalar(const double *g, const int64_t *bounds, int nseg, double *sums) {
    int64_t flagged = 0;
    for (int s = 0; s < nseg; s++) {
        double a[8] = {0};
        for (int64_t j = bounds[s]; j < bounds[s + 1]; j++) {
            flagged += g[j] < 0.0;
            a[(j - bounds[s]) % 8] += g[j] > 0.0 ? g[j] : 0.0;
        }
        sums[s] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    }
    return flagged;
}

#ifdef MC_SIL_X86
/* Four rows against four panels (32 columns): 16 independent chains; per coordinate 4 loads and 4
 * broadcasts feed 16 fused multiply-adds, and everything stays in the 32 registers. */
#define SIL_ACC4(v) __m512d a0##v = z, a1##v = z, a2##v = z, a3##v = z
#define SIL_FMA4(v, p)                                                                                             \
    a0##v = _mm512_fmadd_pd(x0, p, a0##v), a1##v = _mm512_fmadd_pd(x1, p, a1##v),                                 \
    a2##v = _mm512_fmadd_pd(x2, p, a2##v), a3##v = _mm512_fmadd_pd(x3, p, a3##v)
#define SIL_DIST4(v)                                                                                               \
    sil_dist8(o + 8 * v, a0##v, n0, nj##v), sil_dist8(o + ldd + 8 * v, a1##v, n1, nj##v),                        \
    sil_dist8(o + 2 * ldd + 8 * v, a2##v, n2, nj##v), sil_dist8(o + 3 * ldd + 8 * v, a3##v, n3, nj##v)
#define SIL_X4                                                                                                     \
    const __m512d x0 = _mm512_set1_pd(x[f]), x1 = _mm512_set1_pd(x[d + f]), x2 = _mm512_set1_pd(x[2 * d + f]);    \
    const __m512d x3 = _mm512_set1_pd(x[3 * d + f])
#define SIL_N4                                                                                                     \
    const __m512d n0 = _mm512_set1_pd(ni[i]), n1 = _mm512_set1_pd(ni[i + 1]), n2 = _mm512_set1_pd(ni[i + 2]);    \
    const __m512d n3 = _mm512_set1_pd(ni[i + 3])

/* dist_fast on 8 lanes: acc = x.y, vi = ni broadcast, y = nj. */
__attribute__((target("avx512f"))) static inline void sil_dist8(double *o, __m512d acc, __m512d vi, __m512d y) {
    const __m512d v = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(acc, _mm512_set1_pd(-2.0)), vi), y);
    const __mmask8 close =
        _mm512_cmp_pd_mask(v, _mm512_mul_pd(_mm512_add_pd(vi, y), _mm512_set1_pd(MC_SIL_CLOSE)), _CMP_LT_OQ);
    const __m256 sf = _mm256_sqrt_ps(_mm512_cvtpd_ps(v));
    const __m512d r = _mm512_cvtps_pd(_mm256_div_ps(_mm256_set1_ps(1.0f), sf));
    const __m512d yy = _mm512_mul_pd(v, r), h = _mm512_mul_pd(_mm512_set1_pd(0.5), r);
    __m512d q = _mm512_add_pd(yy, _mm512_mul_pd(h, _mm512_sub_pd(v, _mm512_mul_pd(yy, yy))));
    const __mmask8 in = _mm512_cmp_pd_mask(v, _mm512_set1_pd(MC_SIL_FAST_LO), _CMP_GE_OQ) &
                        _mm512_cmp_pd_mask(v, _mm512_set1_pd(MC_SIL_FAST_HI), _CMP_LE_OQ);
    if (in != 0xFF) q = _mm512_mask_blend_pd(in, _mm512_sqrt_pd(_mm512_max_pd(v, _mm512_setzero_pd())), q);
    _mm512_storeu_pd(o, _mm512_mask_blend_pd(close, q, _mm512_set1_pd(-1.0)));
}

__attribute__((target("avx512f"))) static void tile_avx512(const double *XI, int64_t bi, const double *ni,
                                                           const double *PJ, const double *nj, int64_t nv, int d,
                                                           double *D) {
    const int64_t ldd = 8 * nv, ps = (int64_t)d * 8;
    const __m512d z = _mm512_setzero_pd();
    int64_t v = 0;
    for (; v + 4 <= nv; v += 4) {
        const double *p = PJ + v * ps;
        const __m512d nj0 = _mm512_loadu_pd(nj + 8 * v), nj1 = _mm512_loadu_pd(nj + 8 * v + 8);
        const __m512d nj2 = _mm512_loadu_pd(nj + 8 * v + 16), nj3 = _mm512_loadu_pd(nj + 8 * v + 24);
        int64_t i = 0;
        for (; i + 4 <= bi; i += 4) {
            const double *x = XI + i * d;
            SIL_ACC4(0);
            SIL_ACC4(1);
            SIL_ACC4(2);
            SIL_ACC4(3);
            for (int f = 0; f < d; f++) {
                SIL_X4;
                const __m512d p0 = _mm512_loadu_pd(p + 8 * f), p1 = _mm512_loadu_pd(p + ps + 8 * f);
                const __m512d p2 = _mm512_loadu_pd(p + 2 * ps + 8 * f), p3 = _mm512_loadu_pd(p + 3 * ps + 8 * f);
                SIL_FMA4(0, p0);
                SIL_FMA4(1, p1);
                SIL_FMA4(2, p2);
                SIL_FMA4(3, p3);
            }
            double *o = D + i * ldd + v * 8;
            SIL_N4;
            SIL_DIST4(0);
            SIL_DIST4(1);
            SIL_DIST4(2);
            SIL_DIST4(3);
        }
        for (; i < bi; i++) {
            const double *x = XI + i * d;
            __m512d b0 = z, b1 = z, b2 = z, b3 = z;
            for (int f = 0; f < d; f++) {
                const __m512d xf = _mm512_set1_pd(x[f]);
                b0 = _mm512_fmadd_pd(xf, _mm512_loadu_pd(p + 8 * f), b0);
                b1 = _mm512_fmadd_pd(xf, _mm512_loadu_pd(p + ps + 8 * f), b1);
                b2 = _mm512_fmadd_pd(xf, _mm512_loadu_pd(p + 2 * ps + 8 * f), b2);
                b3 = _mm512_fmadd_pd(xf, _mm512_loadu_pd(p + 3 * ps + 8 * f), b3);
            }
            double *o = D + i * ldd + v * 8;
            const __m512d vi = _mm512_set1_pd(ni[i]);
            sil_dist8(o, b0, vi, nj0), sil_dist8(o + 8, b1, vi, nj1);
            sil_dist8(o + 16, b2, vi, nj2), sil_dist8(o + 24, b3, vi, nj3);
        }
    }
    for (; v < nv; v++) { /* the last 1-3 panels: four rows at a time, then one */
        const double *p = PJ + v * ps;
        const __m512d nj0 = _mm512_loadu_pd(nj + 8 * v);
        int64_t i = 0;
        for (; i + 4 <= bi; i += 4) {
            const double *x = XI + i * d;
            SIL_ACC4(0);
            for (int f = 0; f < d; f++) {
                SIL_X4;
                const __m512d p0 = _mm512_loadu_pd(p + 8 * f);
                SIL_FMA4(0, p0);
            }
            double *o = D + i * ldd + v * 8;
            SIL_N4;
            SIL_DIST4(0);
        }
        for (; i < bi; i++) {
            const double *x = XI + i * d;
            __m512d b0 = z;
            for (int f = 0; f < d; f++) b0 = _mm512_fmadd_pd(_mm512_set1_pd(x[f]), _mm512_loadu_pd(p + 8 * f), b0);
            sil_dist8(D + i * ldd + v * 8, b0, _mm512_set1_pd(ni[i]), nj0);
        }
    }
}
#undef SIL_ACC4
#undef SIL_FMA4
#undef SIL_DIST4
#undef SIL_X4
#undef SIL_N4

__attribute__((target("avx512f"))) static int64_t seg_sums_avx512(const double *g, const int64_t *bounds, int nseg,
                                                                  double *sums) {
    const __m512d z = _mm512_setzero_pd();
    int64_t flagged = 0;
    for (int s = 0; s < nseg; s++) {
        __m512d acc = z;
        int64_t j = bounds[s];
        for (; j + 8 <= bounds[s + 1]; j += 8) {
            const __m512d v = _mm512_loadu_pd(g + j);
            flagged += __builtin_popcount((unsigned)_mm512_cmp_pd_mask(v, z, _CMP_LT_OQ));
            acc = _mm512_add_pd(acc, _mm512_max_pd(v, z));
        }
        double a[8];
        _mm512_storeu_pd(a, acc);
        for (int64_t t = j; t < bounds[s + 1]; t++) {
            flagged += g[t] < 0.0;
            a[t - j] += g[t] > 0.0 ? g[t] : 0.0;
        }
        sums[s] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    }
    return flagged;
}

/* dist_fast on 4 lanes. */
__attribute__((target("avx2"))) static inline void sil_dist4(double *o, __m256d acc, __m256d vi, __m256d y) {
    const __m256d v = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(acc, _mm256_set1_pd(-2.0)), vi), y);
    const __m256d close =
        _mm256_cmp_pd(v, _mm256_mul_pd(_mm256_add_pd(vi, y), _mm256_set1_pd(MC_SIL_CLOSE)), _CMP_LT_OQ);
    const __m128 sf = _mm_sqrt_ps(_mm256_cvtpd_ps(v));
    const __m256d r = _mm256_cvtps_pd(_mm_div_ps(_mm_set1_ps(1.0f), sf));
    const __m256d yy = _mm256_mul_pd(v, r), h = _mm256_mul_pd(_mm256_set1_pd(0.5), r);
    __m256d q = _mm256_add_pd(yy, _mm256_mul_pd(h, _mm256_sub_pd(v, _mm256_mul_pd(yy, yy))));
    const __m256d in = _mm256_and_pd(_mm256_cmp_pd(v, _mm256_set1_pd(MC_SIL_FAST_LO), _CMP_GE_OQ),
                                     _mm256_cmp_pd(v, _mm256_set1_pd(MC_SIL_FAST_HI), _CMP_LE_OQ));
    if (_mm256_movemask_pd(in) != 0xF)
        q = _mm256_blendv_pd(_mm256_sqrt_pd(_mm256_max_pd(v, _mm256_setzero_pd())), q, in);
    _mm256_storeu_pd(o, _mm256_blendv_pd(q, _mm256_set1_pd(-1.0), close));
}

/* AVX2: four rows against one panel (two 4-lane halves): 8 chains. */
__attribute__((target("avx2,fma"))) static void tile_avx2(const double *XI, int64_t bi, const double *ni,
                                                          const double *PJ, const double *nj, int64_t nv, int d,
                                                          double *D) {
    const int64_t ldd = 8 * nv, ps = (int64_t)d * 8;
    const __m256d z = _mm256_setzero_pd();
    for (int64_t v = 0; v < nv; v++) {
        const double *p = PJ + v * ps;
        const __m256d jl = _mm256_loadu_pd(nj + 8 * v), jh = _mm256_loadu_pd(nj + 8 * v + 4);
        int64_t i = 0;
        for (; i + 4 <= bi; i += 4) {
            const double *x = XI + i * d;
            __m256d a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z;
            for (int f = 0; f < d; f++) {
                const __m256d lo = _mm256_loadu_pd(p + 8 * f), hi = _mm256_loadu_pd(p + 8 * f + 4);
                __m256d xf = _mm256_set1_pd(x[f]);
                a0 = _mm256_fmadd_pd(xf, lo, a0), b0 = _mm256_fmadd_pd(xf, hi, b0);
                xf = _mm256_set1_pd(x[d + f]);
                a1 = _mm256_fmadd_pd(xf, lo, a1), b1 = _mm256_fmadd_pd(xf, hi, b1);
                xf = _mm256_set1_pd(x[2 * d + f]);
                a2 = _mm256_fmadd_pd(xf, lo, a2), b2 = _mm256_fmadd_pd(xf, hi, b2);
                xf = _mm256_set1_pd(x[3 * d + f]);
                a3 = _mm256_fmadd_pd(xf, lo, a3), b3 = _mm256_fmadd_pd(xf, hi, b3);
            }
            double *o = D + i * ldd + v * 8;
            __m256d vi = _mm256_set1_pd(ni[i]);
            sil_dist4(o, a0, vi, jl), sil_dist4(o + 4, b0, vi, jh);
            o += ldd, vi = _mm256_set1_pd(ni[i + 1]);
            sil_dist4(o, a1, vi, jl), sil_dist4(o + 4, b1, vi, jh);
            o += ldd, vi = _mm256_set1_pd(ni[i + 2]);
            sil_dist4(o, a2, vi, jl), sil_dist4(o + 4, b2, vi, jh);
            o += ldd, vi = _mm256_set1_pd(ni[i + 3]);
            sil_dist4(o, a3, vi, jl), sil_dist4(o + 4, b3, vi, jh);
        }
        for (; i < bi; i++) {
            const double *x = XI + i * d;
            __m256d a0 = z, b0 = z;
            for (int f = 0; f < d; f++) {
                const __m256d xf = _mm256_set1_pd(x[f]);
                a0 = _mm256_fmadd_pd(xf, _mm256_loadu_pd(p + 8 * f), a0);
                b0 = _mm256_fmadd_pd(xf, _mm256_loadu_pd(p + 8 * f + 4), b0);
            }
            double *o = D + i * ldd + v * 8;
            const __m256d vi = _mm256_set1_pd(ni[i]);
            sil_dist4(o, a0, vi, jl), sil_dist4(o + 4, b0, vi, jh);
        }
    }
}

__attribute__((target("avx2"))) static int64_t seg_sums_avx2(const double *g, const int64_t *bounds, int nseg,
                                                             double *sums) {
    const __m256d z = _mm256_setzero_pd();
    int64_t flagged = 0;
    for (int s = 0; s < nseg; s++) {
        __m256d a0 = z, a1 = z;
        int64_t j = bounds[s];
        for (; j + 8 <= bounds[s + 1]; j += 8) {
            const __m256d v = _mm256_loadu_pd(g + j), w = _mm256_loadu_pd(g + j + 4);
            flagged += __builtin_popcount((unsigned)_mm256_movemask_pd(_mm256_cmp_pd(v, z, _CMP_LT_OQ)));
            flagged += __builtin_popcount((unsigned)_mm256_movemask_pd(_mm256_cmp_pd(w, z, _CMP_LT_OQ)));
            a0 = _mm256_add_pd(a0, _mm256_max_pd(v, z));
            a1 = _mm256_add_pd(a1, _mm256_max_pd(w, z));
        }
        double a[8];
        _mm256_storeu_pd(a, a0);
        _mm256_storeu_pd(a + 4, a1);
        for (int64_t t = j; t < bounds[s + 1]; t++) {
            flagged += g[t] < 0.0;
            a[t - j] += g[t] > 0.0 ? g[t] : 0.0;
        }
        sums[s] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    }
    return flagged;
}
#endif

/* Whether fma() is an instruction here (else every path takes dgemm: the same bits on all of them). */
static bool sil_fma(void) {
#ifdef MC_SIL_X86
    return __builtin_cpu_supports("fma") != 0;
#elif defined(FP_FAST_FMA)
    return true;
#else
    return false;
#endif
}

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

int mc__sil_forced_isa(void) { return atomic_load(&forced_isa); }

mc__sil_kernels mc__sil_kernels_get(int isa) {
    if (isa < 0 || isa >= MC__ISA_COUNT || !mc__sil_isa_available(isa)) {
        isa = MC__ISA_SCALAR;
        for (int i = MC__ISA_COUNT - 1; i > 0; i--)
            if (mc__sil_isa_available(i)) { isa = i; break; }
    }
    const bool fma_ok = sil_fma();
    mc__sil_kernels k = {MC__ISA_SCALAR, "scalar", dist_sums_scalar, add_scalar, fma_ok ? tile_scalar : NULL,
                         seg_sums_scalar};
#ifdef MC_SIL_X86
    if (isa == MC__ISA_SSE2) k = (mc__sil_kernels){MC__ISA_SSE2, "sse2", dist_sums_sse2, add_sse2, k.tile, k.seg_sums};
    if (isa == MC__ISA_AVX2)
        k = (mc__sil_kernels){MC__ISA_AVX2, "avx2", dist_sums_avx2, add_avx2, fma_ok ? tile_avx2 : NULL, seg_sums_avx2};
    if (isa == MC__ISA_AVX512)
        k = (mc__sil_kernels){MC__ISA_AVX512, "avx512", dist_sums_avx512, add_avx512, fma_ok ? tile_avx512 : NULL,
                              seg_sums_avx512};
#endif
    return k;
}
