/* librosa 0.10.2's per-frame descriptors of a segment: chroma_stft (with estimate_tuning), spectral
 * centroid, bandwidth, rolloff, flatness and contrast, RMS, zero-crossing rate and onset strength, and
 * their statistics. Each function below names the librosa code it follows; the comments say where an
 * operation is done in float32 as numpy does it (where that decides a discrete result: rolloff's bin,
 * the tuning's histogram bin) and where float64 is used instead (sums whose float32 rounding librosa
 * itself does not control). The tempo is in src/dsp/tempo.c, the plan and workspace in
 * src/dsp/desc_plan.c, rms and zero-crossing rate in src/dsp/desc_time.c. */
#include "desc_internal.h"
#include "desc_simd.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#if MC_DSP_HAVE_AVX2
#include <immintrin.h>
#endif


/* ---------------------------------------------------------------- kernels
 *
 * Each kernel works on 4-lane vectors (src/dsp/desc_simd.h: SSE2, or plain lanes giving the same bits)
 * with a fixed assignment of elements to lanes and a fixed order of combining the lanes, so the result
 * does not depend on the machine or on the thread. */

/* raw[r] = fb[r] . P for 4 rows of fb (4, n) (row stride n), in float32 as librosa's einsum (a float32
 * sgemm): bin k goes to partial sum k mod 8 of its row, the 8 partial sums are added pairwise at the
 * end, the last n mod 8 bins after that. The rows share each load of P. */
static void mc_desc_dot4x8(const float *restrict fb, const float *restrict P, int n, float *raw) {
    const float *r0 = fb, *r1 = fb + n, *r2 = fb + 2 * (size_t)n, *r3 = fb + 3 * (size_t)n;
    /* eight named accumulators, so that they stay in registers */
    mc_v4 a0 = mc_v4_set1(0.0f), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        const mc_v4 p0 = mc_v4_load(P + k), p1 = mc_v4_load(P + k + 4);
        a0 = mc_v4_add(a0, mc_v4_mul(mc_v4_load(r0 + k), p0));
        b0 = mc_v4_add(b0, mc_v4_mul(mc_v4_load(r0 + k + 4), p1));
        a1 = mc_v4_add(a1, mc_v4_mul(mc_v4_load(r1 + k), p0));
        b1 = mc_v4_add(b1, mc_v4_mul(mc_v4_load(r1 + k + 4), p1));
        a2 = mc_v4_add(a2, mc_v4_mul(mc_v4_load(r2 + k), p0));
        b2 = mc_v4_add(b2, mc_v4_mul(mc_v4_load(r2 + k + 4), p1));
        a3 = mc_v4_add(a3, mc_v4_mul(mc_v4_load(r3 + k), p0));
        b3 = mc_v4_add(b3, mc_v4_mul(mc_v4_load(r3 + k + 4), p1));
    }
    const mc_v4 acc[4][2] = {{a0, b0}, {a1, b1}, {a2, b2}, {a3, b3}};
    for (int r = 0; r < 4; r++) {
        float s[8], tail = 0;
        mc_v4_get(acc[r][0], s);
        mc_v4_get(acc[r][1], s + 4);
        for (int kk = k; kk < n; kk++) tail += fb[(size_t)r * (size_t)n + kk] * P[kk];
        raw[r] = (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) + tail;
    }
}

#if MC_DSP_HAVE_AVX2
/* mc_desc_dot4x8 with each row's eight partial sums in one 256-bit vector (lanes 0-3 are the first
 * vector's, 4-7 the second's): the same operations, so the same bits. */
MC_DSP_AVX2 static void mc_desc_dot4x8_avx2(const float *restrict fb, const float *restrict P, int n, float *raw) {
    const float *r0 = fb, *r1 = fb + n, *r2 = fb + 2 * (size_t)n, *r3 = fb + 3 * (size_t)n;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m256 p = _mm256_loadu_ps(P + k);
        a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(r0 + k), p));
        a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(r1 + k), p));
        a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(r2 + k), p));
        a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(r3 + k), p));
    }
    const __m256 acc[4] = {a0, a1, a2, a3};
    for (int r = 0; r < 4; r++) {
        float s[8], tail = 0;
        _mm256_storeu_ps(s, acc[r]);
        for (int kk = k; kk < n; kk++) tail += fb[(size_t)r * (size_t)n + kk] * P[kk];
        raw[r] = (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) + tail;
    }
}
#endif

/* spectral_contrast's sub-band extremes for four frames at once. T (n_bins, 4) holds the magnitudes of
 * four frames transposed (T[4k + j] = frame j's bin k), so one vector is one bin of the four frames.
 * The Q smallest values of each lane over bins [a, b) are kept sorted in Q vectors lo[0] <= ... <=
 * lo[Q-1] by a branchless insertion network: a new vector v makes lo[j] = max(lo[j-1], min(lo[j], v))
 * (lo[0] = min(lo[0], v)), i.e. v enters at its rank in each lane and that lane's largest drops out;
 * the Q largest likewise with min and max exchanged. For Q >= 4 a group of 4 bins none of which would
 * enter any lane is skipped after one comparison (for smaller Q half the groups enter, and the
 * network costs less than the mispredicted branch); as spectra fall with frequency on average, the
 * smallest are
 * searched from the top of the band and the largest from the bottom, where few groups enter. The sums
 * returned (slo[j], shi[j] for lane j) add each lane's values in ascending order in float64, so they do
 * not depend on the order the values were found in. Q is a compile-time constant up to 12, so the
 * vectors stay in registers; larger Q (n_fft > 8192) use the generic version. */
/* One slot of the insertion networks: the new value of slot j from the old slots j - 1 and j. */
static inline mc_v4 mc_desc_ins_lo(mc_v4 prev, mc_v4 cur, mc_v4 v) {
    return mc_v4_max(prev, mc_v4_min(cur, v));
}
static inline mc_v4 mc_desc_ins_hi(mc_v4 prev, mc_v4 cur, mc_v4 v) {
    return mc_v4_min(prev, mc_v4_max(cur, v));
}

/* The networks' loops over slots must be unrolled for the slots to live in registers; -O2 does not
 * unroll them by itself. */
#if defined(__GNUC__) && !defined(__clang__)
#define MC_DESC_UNROLL _Pragma("GCC unroll 16")
#else
#define MC_DESC_UNROLL
#endif
#define MC_DESC_NET(Q)                                                                        \
    static void mc_desc_net_##Q(const float *restrict T, int a, int b, double *slo, double *shi) { \
        mc_v4 lo[Q], hi[Q];                                                                   \
        MC_DESC_UNROLL for (int j = 0; j < Q; j++) {                                          \
            lo[j] = mc_v4_set1(INFINITY);                                                     \
            hi[j] = mc_v4_set1(-INFINITY);                                                    \
        }                                                                                     \
        int k = b;                                                                            \
        for (; k - 4 >= a; k -= 4) {                                                          \
            const float *g = T + 4 * (size_t)(k - 4);                                         \
            const mc_v4 v0 = mc_v4_load(g), v1 = mc_v4_load(g + 4), v2 = mc_v4_load(g + 8),   \
                        v3 = mc_v4_load(g + 12);                                              \
            const mc_v4 m = mc_v4_min(mc_v4_min(v0, v1), mc_v4_min(v2, v3));                  \
            if (Q >= 4 && !mc_v4_any_lt(m, lo[Q - 1])) continue;                              \
            const mc_v4 vs[4] = {v3, v2, v1, v0};                                             \
            MC_DESC_UNROLL for (int i = 0; i < 4; i++) {                                      \
                MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--)                               \
                    lo[j] = mc_desc_ins_lo(lo[j - 1], lo[j], vs[i]);                          \
                lo[0] = mc_v4_min(lo[0], vs[i]);                                              \
            }                                                                                 \
        }                                                                                     \
        for (k--; k >= a; k--) {                                                              \
            const mc_v4 v = mc_v4_load(T + 4 * (size_t)k);                                    \
            MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--) lo[j] = mc_desc_ins_lo(lo[j - 1], lo[j], v); \
            lo[0] = mc_v4_min(lo[0], v);                                                      \
        }                                                                                     \
        k = a;                                                                                \
        for (; k + 4 <= b; k += 4) {                                                          \
            const float *g = T + 4 * (size_t)k;                                               \
            const mc_v4 v0 = mc_v4_load(g), v1 = mc_v4_load(g + 4), v2 = mc_v4_load(g + 8),   \
                        v3 = mc_v4_load(g + 12);                                              \
            const mc_v4 m = mc_v4_max(mc_v4_max(v0, v1), mc_v4_max(v2, v3));                  \
            if (Q >= 4 && !mc_v4_any_gt(m, hi[Q - 1])) continue;                              \
            const mc_v4 vs[4] = {v0, v1, v2, v3};                                             \
            MC_DESC_UNROLL for (int i = 0; i < 4; i++) {                                      \
                MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--)                               \
                    hi[j] = mc_desc_ins_hi(hi[j - 1], hi[j], vs[i]);                          \
                hi[0] = mc_v4_max(hi[0], vs[i]);                                              \
            }                                                                                 \
        }                                                                                     \
        for (; k < b; k++) {                                                                  \
            const mc_v4 v = mc_v4_load(T + 4 * (size_t)k);                                    \
            MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--) hi[j] = mc_desc_ins_hi(hi[j - 1], hi[j], v); \
            hi[0] = mc_v4_max(hi[0], v);                                                      \
        }                                                                                     \
        float x[Q][4], y[Q][4];                                                               \
        for (int j = 0; j < Q; j++) {                                                         \
            mc_v4_get(lo[j], x[j]);                                                           \
            mc_v4_get(hi[j], y[j]);                                                           \
        }                                                                                     \
        for (int l = 0; l < 4; l++) {                                                         \
            double u = 0, z = 0;                                                              \
            for (int j = 0; j < Q; j++) u += x[j][l];                                         \
            for (int j = Q - 1; j >= 0; j--) z += y[j][l];                                    \
            slo[l] = u;                                                                       \
            shi[l] = z;                                                                       \
        }                                                                                     \
    }
MC_DESC_NET(1)
MC_DESC_NET(2)
MC_DESC_NET(3)
MC_DESC_NET(4)
MC_DESC_NET(5)
MC_DESC_NET(6)
MC_DESC_NET(7)
MC_DESC_NET(8)
MC_DESC_NET(9)
MC_DESC_NET(10)
MC_DESC_NET(11)
MC_DESC_NET(12)
#undef MC_DESC_NET
#undef MC_DESC_UNROLL

/* The same for any Q, with the buffers in memory: buf (2 Q, 4) scratch. */
static void mc_desc_lohi_any(const float *restrict T, int a, int b, int Q, float *buf, double *slo,
                             double *shi) {
    float *L = buf, *H = buf + 4 * (size_t)Q; /* (Q, 4) each */
    for (int j = 0; j < Q; j++) {
        mc_v4_store(L + 4 * j, mc_v4_set1(INFINITY));
        mc_v4_store(H + 4 * j, mc_v4_set1(-INFINITY));
    }
    for (int k = a; k < b; k++) {
        const mc_v4 v = mc_v4_load(T + 4 * (size_t)k);
        for (int j = Q - 1; j >= 1; j--) {
            mc_v4_store(L + 4 * j, mc_desc_ins_lo(mc_v4_load(L + 4 * (j - 1)), mc_v4_load(L + 4 * j), v));
            mc_v4_store(H + 4 * j, mc_desc_ins_hi(mc_v4_load(H + 4 * (j - 1)), mc_v4_load(H + 4 * j), v));
        }
        mc_v4_store(L, mc_v4_min(mc_v4_load(L), v));
        mc_v4_store(H, mc_v4_max(mc_v4_load(H), v));
    }
    for (int l = 0; l < 4; l++) {
        double x = 0, y = 0;
        for (int j = 0; j < Q; j++) x += L[4 * j + l];
        for (int j = Q - 1; j >= 0; j--) y += H[4 * j + l];
        slo[l] = x;
        shi[l] = y;
    }
}

/* valley and peak sums (before dividing by Q) of bins [a, b) for the four lanes of T */
static void mc_desc_band4(const float *restrict T, int a, int b, int Q, float *buf, double *slo,
                          double *shi) {
    switch (Q) {
#define MC_DESC_CASE(q)                    \
    case q:                                \
        mc_desc_net_##q(T, a, b, slo, shi); \
        return;
        MC_DESC_CASE(1)
        MC_DESC_CASE(2)
        MC_DESC_CASE(3)
        MC_DESC_CASE(4)
        MC_DESC_CASE(5)
        MC_DESC_CASE(6)
        MC_DESC_CASE(7)
        MC_DESC_CASE(8)
        MC_DESC_CASE(9)
        MC_DESC_CASE(10)
        MC_DESC_CASE(11)
        MC_DESC_CASE(12)
#undef MC_DESC_CASE
    default:
        mc_desc_lohi_any(T, a, b, Q, buf, slo, shi);
    }
}

#if MC_DSP_HAVE_AVX2
#if defined(__GNUC__) && !defined(__clang__)
#define MC_DESC_UNROLL _Pragma("GCC unroll 16")
#else
#define MC_DESC_UNROLL
#endif
/* ---- eight frames at once (AVX2): the same rolloff and contrast as the four-frame kernels above, lane
 * by lane (the rolloff's float32 running sums advance bin by bin in each lane; the contrast's sums add
 * each lane's Q extremes in ascending order whatever found them), so the same bits. */

#define MC_DESC_NET8(Q)                                                                              \
    MC_DSP_AVX2 static void mc_desc_net8_##Q(const float *restrict T, int a, int b, double *slo,     \
                                             double *shi) {                                          \
        __m256 lo[Q], hi[Q];                                                                         \
        MC_DESC_UNROLL for (int j = 0; j < Q; j++) {                                                 \
            lo[j] = _mm256_set1_ps(INFINITY);                                                        \
            hi[j] = _mm256_set1_ps(-INFINITY);                                                       \
        }                                                                                            \
        int k = b;                                                                                   \
        for (; k - 4 >= a; k -= 4) {                                                                 \
            const float *g = T + 8 * (size_t)(k - 4);                                                \
            const __m256 v0 = _mm256_loadu_ps(g), v1 = _mm256_loadu_ps(g + 8),                      \
                         v2 = _mm256_loadu_ps(g + 16), v3 = _mm256_loadu_ps(g + 24);                 \
            const __m256 m = _mm256_min_ps(_mm256_min_ps(v0, v1), _mm256_min_ps(v2, v3));           \
            if (Q >= 4 && !_mm256_movemask_ps(_mm256_cmp_ps(m, lo[Q - 1], _CMP_LT_OQ))) continue;    \
            const __m256 vs[4] = {v3, v2, v1, v0};                                                   \
            MC_DESC_UNROLL for (int i = 0; i < 4; i++) {                                             \
                MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--)                                      \
                    lo[j] = _mm256_max_ps(lo[j - 1], _mm256_min_ps(lo[j], vs[i]));                   \
                lo[0] = _mm256_min_ps(lo[0], vs[i]);                                                 \
            }                                                                                        \
        }                                                                                            \
        for (k--; k >= a; k--) {                                                                     \
            const __m256 v = _mm256_loadu_ps(T + 8 * (size_t)k);                                     \
            MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--)                                          \
                lo[j] = _mm256_max_ps(lo[j - 1], _mm256_min_ps(lo[j], v));                           \
            lo[0] = _mm256_min_ps(lo[0], v);                                                         \
        }                                                                                            \
        k = a;                                                                                       \
        for (; k + 4 <= b; k += 4) {                                                                 \
            const float *g = T + 8 * (size_t)k;                                                      \
            const __m256 v0 = _mm256_loadu_ps(g), v1 = _mm256_loadu_ps(g + 8),                      \
                         v2 = _mm256_loadu_ps(g + 16), v3 = _mm256_loadu_ps(g + 24);                 \
            const __m256 m = _mm256_max_ps(_mm256_max_ps(v0, v1), _mm256_max_ps(v2, v3));           \
            if (Q >= 4 && !_mm256_movemask_ps(_mm256_cmp_ps(m, hi[Q - 1], _CMP_GT_OQ))) continue;    \
            const __m256 vs[4] = {v0, v1, v2, v3};                                                   \
            MC_DESC_UNROLL for (int i = 0; i < 4; i++) {                                             \
                MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--)                                      \
                    hi[j] = _mm256_min_ps(hi[j - 1], _mm256_max_ps(hi[j], vs[i]));                   \
                hi[0] = _mm256_max_ps(hi[0], vs[i]);                                                 \
            }                                                                                        \
        }                                                                                            \
        for (; k < b; k++) {                                                                         \
            const __m256 v = _mm256_loadu_ps(T + 8 * (size_t)k);                                     \
            MC_DESC_UNROLL for (int j = Q - 1; j >= 1; j--)                                          \
                hi[j] = _mm256_min_ps(hi[j - 1], _mm256_max_ps(hi[j], v));                           \
            hi[0] = _mm256_max_ps(hi[0], v);                                                         \
        }                                                                                            \
        float x[Q][8], y[Q][8];                                                                      \
        for (int j = 0; j < Q; j++) {                                                                \
            _mm256_storeu_ps(x[j], lo[j]);                                                           \
            _mm256_storeu_ps(y[j], hi[j]);                                                           \
        }                                                                                            \
        for (int l = 0; l < 8; l++) {                                                                \
            double u = 0, z = 0;                                                                     \
            for (int j = 0; j < Q; j++) u += x[j][l];                                                \
            for (int j = Q - 1; j >= 0; j--) z += y[j][l];                                           \
            slo[l] = u;                                                                              \
            shi[l] = z;                                                                              \
        }                                                                                            \
    }
MC_DESC_NET8(1)
MC_DESC_NET8(2)
MC_DESC_NET8(3)
MC_DESC_NET8(4)
MC_DESC_NET8(5)
MC_DESC_NET8(6)
MC_DESC_NET8(7)
MC_DESC_NET8(8)
MC_DESC_NET8(9)
MC_DESC_NET8(10)
MC_DESC_NET8(11)
MC_DESC_NET8(12)
#undef MC_DESC_NET8
#undef MC_DESC_UNROLL

/* valley and peak sums of bins [a, b) for the eight lanes of T (n_bins, 8); Q <= 12 */
MC_DSP_AVX2 static void mc_desc_band8(const float *restrict T, int a, int b, int Q, double *slo, double *shi) {
    switch (Q) {
#define MC_DESC_CASE(q)                     \
    case q:                                 \
        mc_desc_net8_##q(T, a, b, slo, shi); \
        return;
        MC_DESC_CASE(1)
        MC_DESC_CASE(2)
        MC_DESC_CASE(3)
        MC_DESC_CASE(4)
        MC_DESC_CASE(5)
        MC_DESC_CASE(6)
        MC_DESC_CASE(7)
        MC_DESC_CASE(8)
        MC_DESC_CASE(9)
        MC_DESC_CASE(10)
        MC_DESC_CASE(11)
        MC_DESC_CASE(12)
#undef MC_DESC_CASE
    default:
        return; /* not reached: the caller uses the four-frame path when a band needs Q > 12 */
    }
}

/* 8 x 8 block: rows in, columns out */
MC_DSP_AVX2 static inline void mc_desc_transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Frames t0 .. t0 + 7 (rows r[j] of the magnitudes): the rolloff (desc row MC_DSP_DESC_ROLLOFF) and the
 * contrast's valley and peak band means (w->valley, w->peak), as the four-frame loop does them. */
MC_DSP_AVX2 static void mc_desc_block8(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *r[8],
                                       int64_t t0, int64_t F, float *desc) {
    const int nb = d->n_bins;
    const size_t Fs = (size_t)F;
    float *T = w->tr, *cum = w->cum; /* (n_bins, 8) each */
    int k = 0;
    for (; k + 8 <= nb; k += 8) {
        __m256 v[8];
        for (int j = 0; j < 8; j++) v[j] = _mm256_loadu_ps(r[j] + k);
        mc_desc_transpose8(v); /* v[i]: bin k + i of the eight frames */
        for (int i = 0; i < 8; i++) _mm256_storeu_ps(T + 8 * (size_t)(k + i), v[i]);
    }
    for (; k < nb; k++)
        for (int j = 0; j < 8; j++) T[8 * (size_t)k + (size_t)j] = r[j][k];
    __m256 c = _mm256_setzero_ps();
    for (k = 0; k < nb; k++) {
        c = _mm256_add_ps(c, _mm256_loadu_ps(T + 8 * (size_t)k));
        _mm256_storeu_ps(cum + 8 * (size_t)k, c);
    }
    const float rp = 0.85f;
    for (int j = 0; j < 8; j++) {
        const float thr = rp * cum[8 * (size_t)(nb - 1) + j];
        int lo = 0, hi = nb - 1; /* first k with cum[k] >= thr; cum is non-decreasing */
        while (lo < hi) {
            const int mid = lo + (hi - lo) / 2;
            if (cum[8 * (size_t)mid + j] >= thr) hi = mid;
            else lo = mid + 1;
        }
        desc[(size_t)MC_DSP_DESC_ROLLOFF * Fs + (size_t)(t0 + j)] = (float)d->freq[lo];
    }
    for (int b = 0; b < MC_DESC_N_CONTRAST; b++) {
        const int len = d->band_hi[b] - d->band_lo[b];
        const int qq = d->band_q[b] < len ? d->band_q[b] : len;
        double slo[8], shi[8];
        mc_desc_band8(T, d->band_lo[b], d->band_hi[b], qq, slo, shi);
        for (int j = 0; j < 8; j++) {
            w->valley[(size_t)b * Fs + (size_t)(t0 + j)] = (double)(float)(slo[j] / qq);
            w->peak[(size_t)b * Fs + (size_t)(t0 + j)] = (double)(float)(shi[j] / qq);
        }
    }
}
#endif

/* k-th smallest (0-based) of x (n,), reordering x: quickselect with a median-of-three pivot. */
static float mc_desc_select(float *x, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1;
    while (hi > lo) {
        int64_t mid = lo + (hi - lo) / 2;
        float a = x[lo], b = x[mid], c = x[hi];
        float piv = (a < b) ? ((b < c) ? b : (a < c ? c : a)) : ((a < c) ? a : (b < c ? c : b));
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < piv) i++;
            while (x[j] > piv) j--;
            if (i <= j) {
                float t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return x[k];
    }
    return x[k];
}

/* ---------------------------------------------------------------- per-frame spectral descriptors */

/* mc_desc_frame's pass over the bins [0, nb - nb mod 4): P = S * S, and per lane (bin k in lane
 * k mod 4) the float64 sums L, M1, M2 and AM, the mantissa product PR (renormalised, its exponents in
 * *esum) and the largest P. Returns the first bin not done (nb - nb mod 4). */
static int mc_desc_pass(const float *restrict S, float *restrict P, const double *restrict f,
                        const double *restrict f2, int nb, double L4[4], double M14[4], double M24[4],
                        double AM4[4], double PR4[4], float MX4[4], int64_t *esum_out) {
    enum { BLOCK = 16, RENORM = 16 };
    const mc_v4 amin = mc_v4_set1(1e-10f), fone = mc_v4_set1(1.0f), fzero = mc_v4_set1(0.0f);
    const mc_v4i man = mc_v4i_set1(0x007fffff), one = mc_v4i_set1(0x3f800000), bias = mc_v4i_set1(127);
    mc_d2 l[2], m1[2], m2[2], am[2], pr[2];
    for (int h = 0; h < 2; h++) {
        l[h] = m1[h] = m2[h] = am[h] = mc_d2_set1(0.0);
        pr[h] = mc_d2_set1(1.0);
    }
    mc_v4 mx = fzero;
    mc_v4i e32 = mc_v4i_set1(0);
    int64_t esum = 0;
    int k = 0, nblocks = 0;
    while (k + 4 <= nb) {
        /* S_thresh's sum and mantissa product in float32 over blocks of 16 values a lane (relative
         * error below 1e-6 a block), carried into float64 after each block */
        mc_v4 amf = fzero, prf = fone;
        for (int blk = 0; k + 4 <= nb && blk < BLOCK; k += 4, blk++) {
            const mc_v4 s = mc_v4_load(S + k);
            const mc_v4 p = mc_v4_mul(s, s);
            mc_v4_store(P + k, p);
            const mc_d2 s0 = mc_d2_lo(s), s1 = mc_d2_hi(s);
            l[0] = mc_d2_add(l[0], s0);
            l[1] = mc_d2_add(l[1], s1);
            m1[0] = mc_d2_add(m1[0], mc_d2_mul(mc_d2_load(f + k), s0));
            m1[1] = mc_d2_add(m1[1], mc_d2_mul(mc_d2_load(f + k + 2), s1));
            m2[0] = mc_d2_add(m2[0], mc_d2_mul(mc_d2_load(f2 + k), s0));
            m2[1] = mc_d2_add(m2[1], mc_d2_mul(mc_d2_load(f2 + k + 2), s1));
            const mc_v4 th = mc_v4_max(p, amin); /* p > amin ? p : amin */
            amf = mc_v4_add(amf, th);
            mx = mc_v4_max(p, mx);
            const mc_v4i u = mc_v4_bits(th);
            e32 = mc_v4i_add(e32, mc_v4i_sub(mc_v4i_srl(u, 23), bias));
            prf = mc_v4_mul(prf, mc_v4_from_bits(mc_v4i_or(mc_v4i_and(u, man), one))); /* < 2^16 */
        }
        am[0] = mc_d2_add(am[0], mc_d2_lo(amf));
        am[1] = mc_d2_add(am[1], mc_d2_hi(amf));
        pr[0] = mc_d2_mul(pr[0], mc_d2_lo(prf));
        pr[1] = mc_d2_mul(pr[1], mc_d2_hi(prf));
        if (++nblocks % RENORM == 0 || k + 4 > nb) { /* keep the float64 products in range */
            int32_t e[4];
            double q[4];
            mc_v4i_get(e32, e);
            mc_d2_get(pr[0], q);
            mc_d2_get(pr[1], q + 2);
            for (int j = 0; j < 4; j++) {
                int e2;
                q[j] = frexp(q[j], &e2);
                esum += (int64_t)e[j] + e2;
            }
            pr[0] = mc_d2_load(q);
            pr[1] = mc_d2_load(q + 2);
            e32 = mc_v4i_set1(0);
        }
    }
    mc_d2_get(l[0], L4), mc_d2_get(l[1], L4 + 2);
    mc_d2_get(m1[0], M14), mc_d2_get(m1[1], M14 + 2);
    mc_d2_get(m2[0], M24), mc_d2_get(m2[1], M24 + 2);
    mc_d2_get(am[0], AM4), mc_d2_get(am[1], AM4 + 2);
    mc_d2_get(pr[0], PR4), mc_d2_get(pr[1], PR4 + 2);
    mc_v4_get(mx, MX4);
    *esum_out = esum;
    return k;
}

#if MC_DSP_HAVE_AVX2
/* mc_desc_pass with the four lanes' float64 sums in one 256-bit vector each (the float32 part stays
 * 4 lanes wide): the same operations on the same lanes, so the same bits. */
MC_DSP_AVX2 static int mc_desc_pass_avx2(const float *restrict S, float *restrict P, const double *restrict f,
                                         const double *restrict f2, int nb, double L4[4], double M14[4],
                                         double M24[4], double AM4[4], double PR4[4], float MX4[4],
                                         int64_t *esum_out) {
    enum { BLOCK = 16, RENORM = 16 };
    const __m128 amin = _mm_set1_ps(1e-10f), fone = _mm_set1_ps(1.0f), fzero = _mm_set1_ps(0.0f);
    const __m128i man = _mm_set1_epi32(0x007fffff), one = _mm_set1_epi32(0x3f800000), bias = _mm_set1_epi32(127);
    __m256d l = _mm256_set1_pd(0.0), m1 = l, m2 = l, am = l, pr = _mm256_set1_pd(1.0);
    __m128 mx = fzero;
    __m128i e32 = _mm_set1_epi32(0);
    int64_t esum = 0;
    int k = 0, nblocks = 0;
    while (k + 4 <= nb) {
        __m128 amf = fzero, prf = fone;
        for (int blk = 0; k + 4 <= nb && blk < BLOCK; k += 4, blk++) {
            const __m128 sv = _mm_loadu_ps(S + k);
            const __m128 p = _mm_mul_ps(sv, sv);
            _mm_storeu_ps(P + k, p);
            const __m256d sd = _mm256_cvtps_pd(sv);
            l = _mm256_add_pd(l, sd);
            m1 = _mm256_add_pd(m1, _mm256_mul_pd(_mm256_loadu_pd(f + k), sd));
            m2 = _mm256_add_pd(m2, _mm256_mul_pd(_mm256_loadu_pd(f2 + k), sd));
            const __m128 th = _mm_max_ps(p, amin);
            amf = _mm_add_ps(amf, th);
            mx = _mm_max_ps(p, mx);
            const __m128i u = _mm_castps_si128(th);
            e32 = _mm_add_epi32(e32, _mm_sub_epi32(_mm_srli_epi32(u, 23), bias));
            prf = _mm_mul_ps(prf, _mm_castsi128_ps(_mm_or_si128(_mm_and_si128(u, man), one)));
        }
        am = _mm256_add_pd(am, _mm256_cvtps_pd(amf));
        pr = _mm256_mul_pd(pr, _mm256_cvtps_pd(prf));
        if (++nblocks % RENORM == 0 || k + 4 > nb) {
            int32_t e[4];
            double q[4];
            _mm_storeu_si128((__m128i *)e, e32);
            _mm256_storeu_pd(q, pr);
            for (int j = 0; j < 4; j++) {
                int e2;
                q[j] = frexp(q[j], &e2);
                esum += (int64_t)e[j] + e2;
            }
            pr = _mm256_loadu_pd(q);
            e32 = _mm_set1_epi32(0);
        }
    }
    _mm256_storeu_pd(L4, l);
    _mm256_storeu_pd(M14, m1);
    _mm256_storeu_pd(M24, m2);
    _mm256_storeu_pd(AM4, am);
    _mm256_storeu_pd(PR4, pr);
    _mm_storeu_ps(MX4, mx);
    *esum_out = esum;
    return k;
}
#endif


/* One frame's centroid, bandwidth, flatness and piptrack peaks, from
 * its magnitudes S (n_bins,); P (n_bins,) receives S**2 (float32, as numpy squares a float32 array). */
static void mc_desc_frame(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *restrict S,
                          float *restrict P, int64_t t, int64_t frames, float *desc, int64_t *npitch) {
    const int nb = d->n_bins;
    const double *restrict f = d->freq, *restrict f2 = d->freq2;

    /* One pass over the bins, bin k in lane k mod 4 (the last nb mod 4 bins in lane 0):
     *   P = S * S in float32;
     *   L = sum S, M1 = sum f S, M2 = sum f^2 S in float64 (centroid c = M1 / L; bandwidth^2 =
     *     sum S (f - c)^2 / L = (M2 - 2 c M1 + c^2 L) / L, whose cancellation costs at most a factor
     *     (c^2 + bw^2) / bw^2 of float64's precision: below 1e-9 relative even for a pure tone);
     *   flatness's S_thresh = max(1e-10, S**2) (float32): its sum, and the sum of its logs as the sum
     *     of the exponents (integers) plus the log of the product of the mantissas (in [1, 2) each):
     *     one log per frame, where a log per bin would cost as much as the rest of the frame; the
     *     flatness moves by less than 1e-7 relative;
     *   the largest P (piptrack's reference). */
    double L4[4], M14[4], M24[4], AM4[4], PR4[4];
    float MX4[4];
    int64_t esum = 0;
    int k;
#if MC_DSP_HAVE_AVX2
    if (mc_dsp_simd_level() == MC_DSP_SIMD_AVX2)
        k = mc_desc_pass_avx2(S, P, f, f2, nb, L4, M14, M24, AM4, PR4, MX4, &esum);
    else
#endif
        k = mc_desc_pass(S, P, f, f2, nb, L4, M14, M24, AM4, PR4, MX4, &esum);
    for (; k < nb; k++) { /* the last nb mod 4 bins, in lane 0 */
        const float s = S[k], p = s * s, th = p > 1e-10f ? p : 1e-10f;
        P[k] = p;
        L4[0] += (double)s;
        M14[0] += f[k] * (double)s;
        M24[0] += f2[k] * (double)s;
        AM4[0] += (double)th;
        MX4[0] = p > MX4[0] ? p : MX4[0];
        int e2;
        PR4[0] = frexp(PR4[0] * (double)th, &e2);
        esum += e2;
    }
    const double Ls = (L4[0] + L4[1]) + (L4[2] + L4[3]);
    const double M1 = (M14[0] + M14[1]) + (M14[2] + M14[3]);
    const double M2 = (M24[0] + M24[1]) + (M24[2] + M24[3]);
    const double AM = (AM4[0] + AM4[1]) + (AM4[2] + AM4[3]);
    const double logsum = (double)esum * M_LN2 + log((PR4[0] * PR4[1]) * (PR4[2] * PR4[3]));
    float pmax = MX4[0];
    for (int j = 1; j < 4; j++) pmax = MX4[j] > pmax ? MX4[j] : pmax;

    /* spectral_centroid: sum(freq * normalize(S, norm=1)); normalize divides by the float64 L1 norm
     * unless it is below tiny(float32), then by 1 (the per-element float32 rounding of S / L is not
     * reproduced: it moves the result by < 1e-7 relative). bandwidth: sqrt(sum(S/L (freq - c)^2)). */
    const double L = Ls < (double)FLT_MIN ? 1.0 : Ls;
    const double cen = M1 / L;
    double var = (M2 - 2.0 * cen * M1 + cen * cen * Ls) / L;
    if (var < 0) var = 0;
    desc[(size_t)MC_DSP_DESC_CENTROID * frames + t] = (float)cen;
    desc[(size_t)MC_DSP_DESC_BANDWIDTH * frames + t] = (float)sqrt(var);
    /* spectral_flatness: exp(mean(log(S_thresh))) / mean(S_thresh) */
    desc[(size_t)MC_DSP_DESC_FLATNESS * frames + t] = (float)(exp(logsum / nb) / (AM / nb));

    /* piptrack(S=P, sr, n_fft): peaks of P * (P > 0.1 max P) inside [150, 4000) Hz (util.localmax:
     * strictly above the left neighbour, not below the right one), refined by parabolic
     * interpolation. Types as numpy and numba evaluate them: the threshold 0.1 * max in float32;
     * the stencil's a = (x[k+1] + x[k-1]) - 2 x[k] and b = (x[k+1] - x[k-1]) / 2 in float64 from
     * float32 sums, shift = -b / a stored as float32 (0 when |b| >= |a|); np.gradient's avg in
     * float32; mag = P + 0.5 avg shift in float32; pitch = (k + shift) sr / n_fft in float64 stored as
     * float32. A peak needs P[k] > ref, so runs of 8 bins none of which exceeds it are skipped. */
    {
        const float ref = 0.1f * pmax;
        const mc_v4 ref4 = mc_v4_set1(ref);
        int64_t np_ = *npitch;
        for (int k0 = d->pip_lo; k0 < d->pip_hi; k0 += 8) {
            const int k1 = k0 + 8 < d->pip_hi ? k0 + 8 : d->pip_hi;
            if (k1 - k0 == 8 && !mc_v4_any_gt(mc_v4_max(mc_v4_load(P + k0), mc_v4_load(P + k0 + 4)), ref4))
                continue;
            for (int kk = k0; kk < k1; kk++) {
                const float xk = P[kk] > ref ? P[kk] : 0.0f;
                if (!(xk > 0.0f)) continue;
                const float xl = P[kk - 1] > ref ? P[kk - 1] : 0.0f;
                const float xr = P[kk + 1] > ref ? P[kk + 1] : 0.0f;
                if (!(xk > xl && xk >= xr)) continue;
                const double a = (double)(P[kk + 1] + P[kk - 1]) - 2.0 * (double)P[kk];
                const double bb = (double)(P[kk + 1] - P[kk - 1]) / 2.0;
                const float shift = fabs(bb) >= fabs(a) ? 0.0f : (float)(-bb / a);
                const float avg = (P[kk + 1] - P[kk - 1]) / 2.0f;
                const float dskew = (0.5f * avg) * shift;
                w->pitch[np_] = (float)((((double)kk + (double)shift) * (double)d->sr) / (double)d->n_fft);
                w->pmag[np_] = P[kk] + dskew;
                np_++;
            }
        }
        *npitch = np_;
    }
}

/* estimate_tuning from the piptrack peaks: the median magnitude of the peaks with pitch > 0 as the
 * threshold, then pitch_tuning of the pitches whose magnitude reaches it: residual = 12 log2(f / 27.5)
 * mod 1 in float32 (as numpy on the float32 pitches), moved to [-0.5, 0.5), histogrammed on
 * linspace(-0.5, 0.5, 101), the left edge of the first fullest bin. Returns the index of that edge
 * (the tuning is d->tune_edges[index]); no peaks: tuning 0 (librosa warns and returns 0.0). */
static int mc_desc_tuning_index(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, int64_t np_) {
    const int zero = MC_DESC_N_TUNINGS / 2; /* edge 50 is 0.0 */
    int64_t m = 0;
    for (int64_t i = 0; i < np_; i++)
        if (w->pitch[i] > 0) w->psort[m++] = w->pmag[i];
    if (m == 0) return zero;
    /* np.median: the middle value, or the float32 mean of the two middle values */
    float thr;
    if (m % 2 == 1) {
        thr = mc_desc_select(w->psort, m, m / 2);
    } else {
        float hi = mc_desc_select(w->psort, m, m / 2);
        float lo = w->psort[0]; /* after selection everything left of m/2 is <= hi: take their max */
        for (int64_t i = 1; i < m / 2; i++) lo = w->psort[i] > lo ? w->psort[i] : lo;
        thr = (lo + hi) / 2.0f;
    }
    int counts[MC_DESC_N_TUNINGS];
    memset(counts, 0, sizeof counts);
    int64_t used = 0;
    for (int64_t i = 0; i < np_; i++) {
        if (!(w->pitch[i] > 0) || !(w->pmag[i] >= thr)) continue;
        const float octs = log2f(w->pitch[i] / 27.5f);
        float r = 12.0f * octs;
        float md = fmodf(r, 1.0f); /* np.mod (npy_divmodf): the sign of the divisor */
        if (md != 0 && md < 0) md += 1.0f;
        if (md == 0) md = 0.0f;
        if (md >= 0.5f) md -= 1.0f;
        const double v = (double)md;
        /* bin b holds edges[b] <= v < edges[b+1]; the last also holds v == 0.5 */
        int b = (int)floor((v + 0.5) * MC_DESC_N_TUNINGS);
        if (b < 0) b = 0;
        if (b > MC_DESC_N_TUNINGS - 1) b = MC_DESC_N_TUNINGS - 1;
        while (b > 0 && d->tune_edges[b] > v) b--;
        while (b < MC_DESC_N_TUNINGS - 1 && d->tune_edges[b + 1] <= v) b++;
        if (v < d->tune_edges[0] || v > d->tune_edges[MC_DESC_N_TUNINGS]) continue; /* outside range */
        counts[b]++;
        used++;
    }
    if (used == 0) return zero;
    int best = 0;
    for (int b = 1; b < MC_DESC_N_TUNINGS; b++)
        if (counts[b] > counts[best]) best = b;
    return best;
}


mc_status mc_dsp_descriptors(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *y,
                             int64_t n, const float *mag, const float *logmel_db, float *desc,
                             double *tuning, double *tempo) {
    if (!d || !w || !y || !mag || !logmel_db || !desc)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_descriptors: NULL argument");
    if (w->plan != d)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_descriptors: workspace made for another plan");
    const int64_t F = mc_dsp_frame_count(&d->dsp->cfg, n);
    if (n < 1 || F > w->max_frames)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "mc_dsp_descriptors: %lld samples (%lld frames), the workspace holds 1 to "
                            "%lld frames", (long long)n, (long long)F, (long long)w->max_frames);
    const int nb = d->n_bins;
    const size_t Fs = (size_t)F;
    mc_status st = mc_desc_rms_zcr(d, w, y, n, F, desc);
    if (st != MC_STATUS_OK) return st;

    /* Four frames at a time: their magnitudes transposed into T (n_bins, 4), so that one vector holds
     * one bin of the four frames, for
     * spectral_rolloff: the lowest bin where the float32 cumulative sum of S (numpy's sequential
     *   cumsum, here four sums advancing together, cum (n_bins, 4)) reaches 0.85 * total, 0.85 rounded
     *   to float32 as numpy multiplies a float32 array by a Python float;
     * spectral_contrast: the means of the q smallest (valley) and q largest (peak) magnitudes of each
     *   sub-band, np.mean of float32 values, so rounded to float32;
     * then frame by frame the centroid, bandwidth, flatness and piptrack peaks. */
    const float rp = 0.85f;
    float *T = w->tr, *cum = w->cum; /* (n_bins, 4) each */
    int64_t np_ = 0;
#if MC_DSP_HAVE_AVX2
    const bool wide = mc_dsp_simd_level() == MC_DSP_SIMD_AVX2 && d->max_q <= 12;
#endif
    for (int64_t t0 = 0; t0 < F; t0 += 4) {
#if MC_DSP_HAVE_AVX2
        if (wide && F - t0 >= 8) { /* eight frames: rolloff and contrast at once, then frame by frame */
            const float *r8[8];
            for (int j = 0; j < 8; j++) r8[j] = mag + (size_t)(t0 + j) * (size_t)nb;
            mc_desc_block8(d, w, r8, t0, F, desc);
            for (int j = 0; j < 8; j++) mc_desc_frame(d, w, r8[j], w->power, t0 + j, F, desc, &np_);
            t0 += 4; /* and 4 more by the loop */
            continue;
        }
#endif
        const int B = (int)(F - t0 < 4 ? F - t0 : 4);
        const float *r[4];
        for (int j = 0; j < 4; j++) r[j] = mag + (size_t)(t0 + (j < B ? j : B - 1)) * (size_t)nb;
        mc_v4 c = mc_v4_set1(0.0f);
        int k = 0;
        for (; k + 4 <= nb; k += 4) {
            mc_v4 a0 = mc_v4_load(r[0] + k), a1 = mc_v4_load(r[1] + k), a2 = mc_v4_load(r[2] + k),
                  a3 = mc_v4_load(r[3] + k);
            mc_v4_transpose(&a0, &a1, &a2, &a3);
            float *tk = T + 4 * (size_t)k, *ck = cum + 4 * (size_t)k;
            mc_v4_store(tk, a0);
            mc_v4_store(tk + 4, a1);
            mc_v4_store(tk + 8, a2);
            mc_v4_store(tk + 12, a3);
            c = mc_v4_add(c, a0);
            mc_v4_store(ck, c);
            c = mc_v4_add(c, a1);
            mc_v4_store(ck + 4, c);
            c = mc_v4_add(c, a2);
            mc_v4_store(ck + 8, c);
            c = mc_v4_add(c, a3);
            mc_v4_store(ck + 12, c);
        }
        for (; k < nb; k++) {
            float v[4];
            for (int j = 0; j < 4; j++) v[j] = r[j][k];
            const mc_v4 a0 = mc_v4_load(v);
            mc_v4_store(T + 4 * (size_t)k, a0);
            c = mc_v4_add(c, a0);
            mc_v4_store(cum + 4 * (size_t)k, c);
        }
        for (int j = 0; j < B; j++) {
            const float thr = rp * cum[4 * (size_t)(nb - 1) + j];
            int lo = 0, hi = nb - 1; /* first k with cum[k] >= thr; cum is non-decreasing */
            while (lo < hi) {
                const int mid = lo + (hi - lo) / 2;
                if (cum[4 * (size_t)mid + j] >= thr) hi = mid;
                else lo = mid + 1;
            }
            desc[(size_t)MC_DSP_DESC_ROLLOFF * Fs + (size_t)(t0 + j)] = (float)d->freq[lo];
        }
        for (int b = 0; b < MC_DESC_N_CONTRAST; b++) {
            const int len = d->band_hi[b] - d->band_lo[b];
            const int qq = d->band_q[b] < len ? d->band_q[b] : len;
            double slo[4], shi[4];
            mc_desc_band4(T, d->band_lo[b], d->band_hi[b], qq, w->sel, slo, shi);
            for (int j = 0; j < B; j++) {
                w->valley[(size_t)b * Fs + (size_t)(t0 + j)] = (double)(float)(slo[j] / qq);
                w->peak[(size_t)b * Fs + (size_t)(t0 + j)] = (double)(float)(shi[j] / qq);
            }
        }
        for (int j = 0; j < B; j++) mc_desc_frame(d, w, r[j], w->power, t0 + j, F, desc, &np_);
    }

    /* spectral_contrast: power_to_db(peak) - power_to_db(valley), each with amin 1e-10 and top_db 80
     * over its whole (7, frames) float64 array. 10 log10(max(amin, x)) is floored at its largest
     * value - 80 dB, i.e. x at 1e-8 times the largest x; so each difference is 10 log10 of a ratio of
     * floored values: one log per element instead of two (the same up to float64 rounding). */
    {
        const size_t cnt = MC_DESC_N_CONTRAST * Fs;
        double pmax = 1e-10, vmax = 1e-10;
        for (size_t i = 0; i < cnt; i++) {
            pmax = w->peak[i] > pmax ? w->peak[i] : pmax;
            vmax = w->valley[i] > vmax ? w->valley[i] : vmax;
        }
        const double pfloor = pmax * 1e-8 > 1e-10 ? pmax * 1e-8 : 1e-10;
        const double vfloor = vmax * 1e-8 > 1e-10 ? vmax * 1e-8 : 1e-10;
        float *out = desc + (size_t)MC_DSP_DESC_CONTRAST * Fs;
        for (size_t i = 0; i < cnt; i++) {
            const double pe = w->peak[i] > pfloor ? w->peak[i] : pfloor;
            const double ve = w->valley[i] > vfloor ? w->valley[i] : vfloor;
            out[i] = (float)(10.0 * log10(pe / ve));
        }
    }

    /* chroma: the filterbank of the estimated tuning applied to S**2, normalised by the largest of the
     * 12 per frame (norm=inf; by 1 when that is below tiny(float32)). */
    const int ti = mc_desc_tuning_index(d, w, np_);
    if (tuning) *tuning = d->tune_edges[ti];
    const float *fb = d->chroma_fb + (size_t)ti * MC_DESC_N_CHROMA * (size_t)nb; /* (12, n_bins) */
    for (int64_t t = 0; t < F; t++) {
        float *P = w->power;
        const float *S = mag + (size_t)t * (size_t)nb;
        int kk = 0;
        for (; kk + 4 <= nb; kk += 4) {
            const mc_v4 v = mc_v4_load(S + kk);
            mc_v4_store(P + kk, mc_v4_mul(v, v));
        }
        for (; kk < nb; kk++) P[kk] = S[kk] * S[kk];
        float raw[MC_DESC_N_CHROMA];
        for (int c0 = 0; c0 < MC_DESC_N_CHROMA; c0 += 4) {
#if MC_DSP_HAVE_AVX2
            if (mc_dsp_simd_level() == MC_DSP_SIMD_AVX2) {
                mc_desc_dot4x8_avx2(fb + (size_t)c0 * nb, P, nb, raw + c0);
                continue;
            }
#endif
            mc_desc_dot4x8(fb + (size_t)c0 * nb, P, nb, raw + c0);
        }
        double mx = 0;
        for (int q = 0; q < MC_DESC_N_CHROMA; q++) {
            const double a = fabs((double)raw[q]);
            mx = a > mx ? a : mx;
        }
        if (mx < (double)FLT_MIN) mx = 1.0;
        for (int q = 0; q < MC_DESC_N_CHROMA; q++)
            desc[(size_t)(MC_DSP_DESC_CHROMA + q) * Fs + (size_t)t] = (float)((double)raw[q] / mx);
    }

    /* onset_strength: S = the dB mel spectrogram; the mean over bands of max(0, S[:, j+1] - S[:, j]),
     * placed at frame j + pad (pad = lag + n_fft // (2 hop) zeros first) and cut to the frame count.
     * As numpy: float32 differences, summed over the bands in band order in float32, divided by
     * n_mels in float32. Four frames at a time. */
    {
        const int pad = d->onset_pad, nm = d->n_mels;
        float *on = desc + (size_t)MC_DSP_DESC_ONSET * Fs;
        float *acc = w->onset; /* (F,) */
        for (int64_t t = 0; t < F; t++) acc[t] = 0.0f;
        const mc_v4 zero = mc_v4_set1(0.0f);
        for (int m = 0; m < nm; m++) {
            const float *row = logmel_db + (size_t)m * Fs; /* (F,) */
            int64_t t = pad;
            for (; t + 4 <= F; t += 4) {
                const mc_v4 df = mc_v4_sub(mc_v4_load(row + t - pad + 1), mc_v4_load(row + t - pad));
                mc_v4_store(acc + t, mc_v4_add(mc_v4_load(acc + t), mc_v4_max(df, zero)));
            }
            for (; t < F; t++) {
                const float df = row[t - pad + 1] - row[t - pad];
                acc[t] += df > 0.0f ? df : 0.0f;
            }
        }
        for (int64_t t = 0; t < F; t++) on[t] = t < pad ? 0.0f : acc[t] / (float)nm;
        if (tempo) *tempo = mc_desc_tempo_core(d, w, on, F, w->padded);
    }
    return MC_STATUS_OK;
}
