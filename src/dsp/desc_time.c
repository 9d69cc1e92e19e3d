/* The time-domain descriptors of a segment (librosa.feature.rms and zero_crossing_rate) from sums
 * over blocks of gcd(n_fft, hop) samples; the frequency-domain ones are in src/dsp/descriptors.c. */
#include "desc_internal.h"
#include "desc_simd.h"

#include <math.h>
#include <stdint.h>
#if MC_DSP_HAVE_AVX2
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- the segment */

/* One block of rms_zcr: y[i0, i1): e4[l] = the sum of the squares (float64) of the samples i0 + l,
 * i0 + l + 4, ... in that order (the last i1 - i0 mod 4 samples in lane 0 after them), *cnt = the
 * sign changes between samples i - 1 and i for i0 <= i < i1, i >= 1 ("negative": v < -1e-10f). */
static void mc_desc_block_sums(const float *y, int64_t i0, int64_t i1, double e4[4], int *cnt_out) {
    const float nthr = -1e-10f;
    int cnt = 0;
    int64_t i = i0;
    if (i == 0 && i + 4 <= i1) { /* the first group has no sample before it */
        for (int j = 1; j < 4; j++) cnt += (y[j] < nthr) != (y[j - 1] < nthr);
    }
#if defined(__SSE2__)
    __m128d e0 = _mm_setzero_pd(), e1 = e0;
    __m128i c4 = _mm_setzero_si128(); /* crossings per lane: masks of -1 subtracted */
    const __m128 t4 = _mm_set1_ps(nthr);
    for (; i + 4 <= i1; i += 4) {
        const __m128 v = _mm_loadu_ps(y + i);
        const __m128d v0 = _mm_cvtps_pd(v), v1 = _mm_cvtps_pd(_mm_movehl_ps(v, v));
        e0 = _mm_add_pd(e0, _mm_mul_pd(v0, v0));
        e1 = _mm_add_pd(e1, _mm_mul_pd(v1, v1));
        if (i >= 1) {
            const __m128 x = _mm_xor_ps(_mm_cmplt_ps(v, t4), _mm_cmplt_ps(_mm_loadu_ps(y + i - 1), t4));
            c4 = _mm_sub_epi32(c4, _mm_castps_si128(x));
        }
    }
    _mm_storeu_pd(e4, e0);
    _mm_storeu_pd(e4 + 2, e1);
    int32_t c[4];
    _mm_storeu_si128((__m128i *)c, c4);
    cnt += (c[0] + c[1]) + (c[2] + c[3]);
#else
    const mc_v4 nthr4 = mc_v4_set1(nthr);
    mc_d2 e0 = mc_d2_set1(0.0), e1 = mc_d2_set1(0.0);
    for (; i + 4 <= i1; i += 4) {
        const mc_v4 v = mc_v4_load(y + i);
        const mc_d2 v0 = mc_d2_lo(v), v1 = mc_d2_hi(v);
        e0 = mc_d2_add(e0, mc_d2_mul(v0, v0));
        e1 = mc_d2_add(e1, mc_d2_mul(v1, v1));
        if (i >= 1) {
            const int m = mc_v4_any_lt(v, nthr4) ^ mc_v4_any_lt(mc_v4_load(y + i - 1), nthr4);
            cnt += (m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1) + ((m >> 3) & 1);
        }
    }
    mc_d2_get(e0, e4);
    mc_d2_get(e1, e4 + 2);
#endif
    for (; i < i1; i++) {
        e4[0] += (double)y[i] * (double)y[i];
        if (i >= 1) cnt += (y[i] < nthr) != (y[i - 1] < nthr);
    }
    *cnt_out = cnt;
}

#if MC_DSP_HAVE_AVX2
/* mc_desc_block_sums eight samples a step: the squares of samples i..i+3, then i+4..i+7, added to the
 * same four float64 lanes in that order (as four a step), crossings counted eight lanes wide. */
MC_DSP_AVX2 static void mc_desc_block_sums_avx2(const float *y, int64_t i0, int64_t i1, double e4[4], int *cnt_out) {
    const float nthr = -1e-10f;
    int cnt = 0;
    int64_t i = i0;
    __m256d e = _mm256_setzero_pd();
    if (i == 0 && i + 4 <= i1) { /* the first group has no sample before it */
        for (int j = 1; j < 4; j++) cnt += (y[j] < nthr) != (y[j - 1] < nthr);
        const __m256d v0 = _mm256_cvtps_pd(_mm_loadu_ps(y));
        e = _mm256_add_pd(e, _mm256_mul_pd(v0, v0));
        i = 4;
    }
    __m256i c8 = _mm256_setzero_si256();
    const __m256 t8 = _mm256_set1_ps(nthr);
    for (; i + 8 <= i1; i += 8) {
        const __m256 v = _mm256_loadu_ps(y + i);
        const __m256d v0 = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), v1 = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        e = _mm256_add_pd(e, _mm256_mul_pd(v0, v0));
        e = _mm256_add_pd(e, _mm256_mul_pd(v1, v1));
        const __m256 x = _mm256_xor_ps(_mm256_cmp_ps(v, t8, _CMP_LT_OQ),
                                       _mm256_cmp_ps(_mm256_loadu_ps(y + i - 1), t8, _CMP_LT_OQ));
        c8 = _mm256_sub_epi32(c8, _mm256_castps_si256(x));
    }
    if (i + 4 <= i1) {
        const __m128 v = _mm_loadu_ps(y + i);
        const __m256d v0 = _mm256_cvtps_pd(v);
        e = _mm256_add_pd(e, _mm256_mul_pd(v0, v0));
        const __m128 t4 = _mm_set1_ps(nthr);
        const int m = _mm_movemask_ps(_mm_xor_ps(_mm_cmplt_ps(v, t4), _mm_cmplt_ps(_mm_loadu_ps(y + i - 1), t4)));
        cnt += (m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1) + ((m >> 3) & 1);
        i += 4;
    }
    _mm256_storeu_pd(e4, e);
    int32_t c[8];
    _mm256_storeu_si256((__m256i *)c, c8);
    cnt += ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
    for (; i < i1; i++) {
        e4[0] += (double)y[i] * (double)y[i];
        if (i >= 1) cnt += (y[i] < nthr) != (y[i - 1] < nthr);
    }
    *cnt_out = cnt;
}
#endif

/* rms and zero-crossing rate of y (n,) for F frames, from sums over blocks of g = gcd(n_fft, hop)
 * samples of the padded signal (frame t is blocks t hop / g .. (t hop + n_fft) / g - 1).
 * rms: constant (zero) padding, sqrt(mean(y^2)) over the frame, the squares summed in float64 (sample
 *   i of a block in lane i mod 4 from the block's first sample).
 * zcr: edge padding, which adds no crossing. zero_crossings(threshold 1e-10, zero_pos): a sample with
 *   |v| <= 1e-10 (as float32) counts as +0, so a sample is "negative" iff v < -1e-10f; a crossing at
 *   padded sample p is a change between p - 1 and p, and a frame counts those at its samples 1 ..
 *   n_fft - 1. Returns MC_STATUS_NUMERIC on a NaN or Inf sample. */
mc_status mc_desc_rms_zcr(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *y, int64_t n,
                           int64_t F, float *desc) {
    const int hop = d->hop, n_fft = d->n_fft;
    const int64_t g = mc_desc_gcd(n_fft, hop), half = n_fft / 2;
    const int64_t nblk = ((F - 1) * hop + n_fft) / g;
    const float nthr = -1e-10f;
    double bad = 0; /* y - y summed: NaN if a sample is NaN or Inf */
    for (int64_t b = 0; b < nblk; b++) {
        int64_t i0 = b * g - half, i1 = i0 + g;
        if (i0 < 0) i0 = 0;
        if (i1 > n) i1 = n;
        double e4[4];
        int cnt;
#if MC_DSP_HAVE_AVX2
        if (mc_dsp_simd_level() == MC_DSP_SIMD_AVX2) mc_desc_block_sums_avx2(y, i0, i1, e4, &cnt);
        else
#endif
            mc_desc_block_sums(y, i0, i1, e4, &cnt);
        const double e = (e4[0] + e4[1]) + (e4[2] + e4[3]);
        bad += e - e;
        w->energy[b] = e;
        w->crossings[b] = cnt;
    }
    if (bad != 0 || isnan(bad))
        return mc_error_set(MC_STATUS_NUMERIC, "mc_dsp_descriptors: NaN or Inf in the signal");
    const int64_t per = n_fft / g;
    for (int64_t t = 0; t < F; t++) {
        const int64_t b0 = t * hop / g;
        double e = 0;
        int64_t cnt = 0;
        for (int64_t j = 0; j < per; j++) {
            e += w->energy[b0 + j];
            cnt += w->crossings[b0 + j];
        }
        /* the crossing at the frame's first sample is not the frame's */
        const int64_t i = t * hop - half; /* signal index of the frame's first sample */
        if (i >= 1 && i <= n - 1) cnt -= (y[i] < nthr) != (y[i - 1] < nthr);
        desc[(size_t)MC_DSP_DESC_RMS * (size_t)F + (size_t)t] = (float)sqrt(e / (double)n_fft);
        desc[(size_t)MC_DSP_DESC_ZCR * (size_t)F + (size_t)t] = (float)((double)cnt / (double)n_fft);
    }
    return MC_STATUS_OK;
}
