/* Conversions between NCHW and oneDNN's channel-blocked layout nChw{cb}c, fused with the element-wise
 * work a conv layer needs at that point anyway (bias and activation after the forward, the
 * activation's derivative and the bias-gradient sums before the backward, bf16 copies for the bf16
 * kernels), so that each costs one pass over the activations instead of two or three.
 *
 * One sample of C channels over P positions (P = H W):
 *   NCHW     x[c P + p]
 *   blocked  b[(c / cb) P cb + p cb + c % cb]          (C a multiple of cb)
 * The AVX-512 versions (cb 16, ReLU / LeakyReLU / none) move 16 positions x 16 channels at a time
 * through a register transpose; the portable versions do the same arithmetic one value at a time.
 * Both compute every value with the same float operations in the same order, so which one runs never
 * changes a result. Bias-gradient sums are per channel, over positions in index order, in double.
 * bf16 values are the float rounded to nearest even (NaN stays NaN), the same bits in both versions. */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define NN_HAVE_AVX512_PATH 1
#include <immintrin.h>
#else
#define NN_HAVE_AVX512_PATH 0
#endif

/* ---------------------------------------------------------------- element-wise pieces */

/* act(v), the forward activation (nn_act_forward_serial's formulas) */
static inline float act_f(mc_nn_act act, float slope, float v) {
    switch (act) {
    case MC_NN_ACT_RELU: return v > 0.0f ? v : 0.0f;
    case MC_NN_ACT_LEAKY_RELU: return v > 0.0f ? v : v * slope;
    case MC_NN_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-(double)v)));
    case MC_NN_ACT_TANH: return (float)tanh((double)v);
    default: return v;
    }
}

/* g act'(y) from the output y (nn_act_backward_serial's formulas) */
static inline float act_b(mc_nn_act act, float slope, float y, float g) {
    switch (act) {
    case MC_NN_ACT_RELU: return y > 0.0f ? g : 0.0f;
    case MC_NN_ACT_LEAKY_RELU: return y > 0.0f ? g : g * slope;
    case MC_NN_ACT_SIGMOID: return g * (1.0f - y) * y;
    case MC_NN_ACT_TANH: return g * (1.0f - y * y);
    default: return g;
    }
}

uint16_t nn_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u | 0x00400000u) >> 16); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float nn_bf16_float(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---------------------------------------------------------------- portable versions */

static void pack_c(float *restrict dst, uint16_t *restrict d16, const float *restrict src, int C, int64_t P,
                   int cb, int64_t p0) {
    for (int q = 0; q < C / cb; q++)
        for (int64_t p = p0; p < P; p++)
            for (int c = 0; c < cb; c++) {
                float v = src[(int64_t)(q * cb + c) * P + p];
                int64_t o = ((int64_t)q * P + p) * cb + c;
                if (dst) dst[o] = v;
                if (d16) d16[o] = nn_bf16(v);
            }
}

static void unpack_c(float *restrict dst, const float *restrict src, const uint16_t *restrict s16, int C,
                     int64_t P, int cb, int64_t p0) {
    for (int q = 0; q < C / cb; q++)
        for (int64_t p = p0; p < P; p++)
            for (int c = 0; c < cb; c++) {
                int64_t o = ((int64_t)q * P + p) * cb + c;
                dst[(int64_t)(q * cb + c) * P + p] = src ? src[o] : nn_bf16_float(s16[o]);
            }
}

static void out_c(float *restrict yb, float *restrict y, uint16_t *restrict y16, const float *restrict bias,
                  mc_nn_act act, float slope, int C, int64_t P, int cb, int64_t p0) {
    for (int q = 0; q < C / cb; q++)
        for (int64_t p = p0; p < P; p++)
            for (int c = 0; c < cb; c++) {
                float *b = yb + ((int64_t)q * P + p) * cb + c;
                float v = *b;
                if (bias) {
                    v = act_f(act, slope, v + bias[q * cb + c]);
                    *b = v;
                }
                if (y) y[(int64_t)(q * cb + c) * P + p] = v;
                if (y16) y16[((int64_t)q * P + p) * cb + c] = nn_bf16(v);
            }
}

/* v = g act'(y) with g = dy (NCHW) or gs (blocked), y = yb or yb16; gb / gb16 = v; bsum[c] += v */
static void act_grad_c(float *restrict gb, uint16_t *restrict gb16, const float *restrict dy,
                       const float *restrict gs, const float *restrict yb, const uint16_t *restrict yb16,
                       mc_nn_act act, float slope, int C, int64_t P, int cb, int64_t p0, double *bsum) {
    for (int q = 0; q < C / cb; q++)
        for (int64_t p = p0; p < P; p++)
            for (int c = 0; c < cb; c++) {
                int64_t o = ((int64_t)q * P + p) * cb + c;
                float g = dy ? dy[(int64_t)(q * cb + c) * P + p] : gs[o];
                g = act_b(act, slope, yb ? yb[o] : nn_bf16_float(yb16[o]), g);
                if (gb) gb[o] = g;
                if (gb16) gb16[o] = nn_bf16(g);
                bsum[q * cb + c] += (double)g;
            }
}

/* ---------------------------------------------------------------- AVX-512 versions (cb 16) */

#if NN_HAVE_AVX512_PATH
#define AVX512 __attribute__((target("avx512f")))

/* r[i] (16 floats each) <- the transpose: r[i][j] = old r[j][i] */
AVX512 static inline void tr16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* u[4 g + e]: rows 4g..4g+3 at element 4 lane + e of each 128-bit lane */
    for (int g = 0; g < 4; g++) {
        u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
        u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
        u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
        u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    for (int e = 0; e < 4; e++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x88);
        __m512 v1 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x88);
        __m512 v2 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xDD);
        __m512 v3 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xDD);
        r[e] = _mm512_shuffle_f32x4(v0, v1, 0x88);
        r[e + 8] = _mm512_shuffle_f32x4(v0, v1, 0xDD);
        r[e + 4] = _mm512_shuffle_f32x4(v2, v3, 0x88);
        r[e + 12] = _mm512_shuffle_f32x4(v2, v3, 0xDD);
    }
}

AVX512 static inline __m512 act_v(mc_nn_act act, __m512 slope, __m512 v) {
    if (act == MC_NN_ACT_RELU) return _mm512_max_ps(v, _mm512_setzero_ps());
    if (act == MC_NN_ACT_LEAKY_RELU) {
        __mmask16 pos = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ);
        return _mm512_mask_blend_ps(pos, _mm512_mul_ps(v, slope), v);
    }
    return v;
}

AVX512 static inline __m512 act_bv(mc_nn_act act, __m512 slope, __m512 y, __m512 g) {
    if (act == MC_NN_ACT_NONE) return g;
    __mmask16 pos = _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ);
    if (act == MC_NN_ACT_RELU) return _mm512_maskz_mov_ps(pos, g);
    return _mm512_mask_blend_ps(pos, _mm512_mul_ps(g, slope), g);
}

/* nn_bf16 on 16 lanes */
AVX512 static inline void store_bf16(uint16_t *d, __m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb));
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                  _mm512_set1_epi32(0x7f800000));
    r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(u, _mm512_set1_epi32(0x00400000)));
    _mm256_storeu_si256((__m256i *)d, _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16)));
}

AVX512 static inline __m512 load_bf16(const uint16_t *s) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)s)), 16));
}

/* Positions [0, P16) of every channel block, P16 = P rounded down to 16. */
AVX512 static void pack16(float *restrict dst, uint16_t *restrict d16, const float *restrict src, int C, int64_t P,
                          int64_t P16) {
    for (int q = 0; q < C / 16; q++) {
        const float *s = src + (int64_t)q * 16 * P;
        const int64_t o = (int64_t)q * P * 16;
        for (int64_t p = 0; p < P16; p += 16) {
            __m512 r[16];
            for (int c = 0; c < 16; c++) r[c] = _mm512_loadu_ps(s + (int64_t)c * P + p);
            tr16(r);
            for (int i = 0; i < 16; i++) {
                if (dst) _mm512_storeu_ps(dst + o + (p + i) * 16, r[i]);
                if (d16) store_bf16(d16 + o + (p + i) * 16, r[i]);
            }
        }
    }
}

AVX512 static void unpack16(float *restrict dst, const float *restrict src, const uint16_t *restrict s16, int C,
                            int64_t P, int64_t P16) {
    for (int q = 0; q < C / 16; q++) {
        const int64_t o = (int64_t)q * P * 16;
        float *d = dst + (int64_t)q * 16 * P;
        for (int64_t p = 0; p < P16; p += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = src ? _mm512_loadu_ps(src + o + (p + i) * 16) : load_bf16(s16 + o + (p + i) * 16);
            tr16(r);
            for (int c = 0; c < 16; c++) _mm512_storeu_ps(d + (int64_t)c * P + p, r[c]);
        }
    }
}

AVX512 static void out16(float *restrict yb, float *restrict y, uint16_t *restrict y16, const float *restrict bias,
                         mc_nn_act act, float slope, int C, int64_t P, int64_t P16) {
    const __m512 sl = _mm512_set1_ps(slope);
    for (int q = 0; q < C / 16; q++) {
        const int64_t o = (int64_t)q * P * 16;
        float *d = y ? y + (int64_t)q * 16 * P : NULL;
        const __m512 bv = bias ? _mm512_loadu_ps(bias + q * 16) : _mm512_setzero_ps();
        for (int64_t p = 0; p < P16; p += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) {
                float *b = yb + o + (p + i) * 16;
                r[i] = _mm512_loadu_ps(b);
                if (bias) {
                    r[i] = act_v(act, sl, _mm512_add_ps(r[i], bv));
                    _mm512_storeu_ps(b, r[i]);
                }
                if (y16) store_bf16(y16 + o + (p + i) * 16, r[i]);
            }
            if (d) {
                tr16(r);
                for (int c = 0; c < 16; c++) _mm512_storeu_ps(d + (int64_t)c * P + p, r[c]);
            }
        }
    }
}

/* Adds the 16 floats of v to the double sums lo (channels 0-7) and hi (8-15). */
AVX512 static inline void acc16(__m512d *lo, __m512d *hi, __m512 v) {
    *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    *hi = _mm512_add_pd(*hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

AVX512 static void act_grad16(float *restrict gb, uint16_t *restrict gb16, const float *restrict dy,
                              const float *restrict gs, const float *restrict yb, const uint16_t *restrict yb16,
                              mc_nn_act act, float slope, int C, int64_t P, int64_t P16, double *bsum) {
    const __m512 sl = _mm512_set1_ps(slope);
    for (int q = 0; q < C / 16; q++) {
        const int64_t o = (int64_t)q * P * 16;
        __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
        for (int64_t p = 0; p < P16; p += 16) {
            __m512 r[16];
            if (dy) {
                const float *s = dy + (int64_t)q * 16 * P;
                for (int c = 0; c < 16; c++) r[c] = _mm512_loadu_ps(s + (int64_t)c * P + p);
                tr16(r);
            } else {
                for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(gs + o + (p + i) * 16);
            }
            for (int i = 0; i < 16; i++) {
                const int64_t oi = o + (p + i) * 16;
                __m512 yv = yb ? _mm512_loadu_ps(yb + oi) : load_bf16(yb16 + oi);
                __m512 v = act_bv(act, sl, yv, r[i]);
                if (gb) _mm512_storeu_ps(gb + oi, v);
                if (gb16) store_bf16(gb16 + oi, v);
                acc16(&lo, &hi, v);
            }
        }
        /* the sums so far are in position order per channel; the tail continues them */
        double part[16];
        _mm512_storeu_pd(part, lo);
        _mm512_storeu_pd(part + 8, hi);
        for (int c = 0; c < 16; c++) bsum[q * 16 + c] += part[c];
    }
}

AVX512 static void cvt16(uint16_t *restrict d, const float *restrict s, int64_t n16) {
    for (int64_t i = 0; i < n16; i += 16) store_bf16(d + i, _mm512_loadu_ps(s + i));
}
#endif

static bool use_avx512(int cb, mc_nn_act act) {
#if NN_HAVE_AVX512_PATH
    static int have = -1;
    if (have < 0) have = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return have && cb == 16 &&
           (act == MC_NN_ACT_NONE || act == MC_NN_ACT_RELU || act == MC_NN_ACT_LEAKY_RELU);
#else
    (void)cb;
    (void)act;
    return false;
#endif
}

/* ---------------------------------------------------------------- entry points */

void nn_blk_pack(float *dst, uint16_t *d16, const float *src, int C, int64_t P, int cb) {
    int64_t p0 = 0;
#if NN_HAVE_AVX512_PATH
    if (use_avx512(cb, MC_NN_ACT_NONE)) {
        p0 = P / 16 * 16;
        pack16(dst, d16, src, C, P, p0);
    }
#endif
    pack_c(dst, d16, src, C, P, cb, p0);
}

void nn_blk_unpack(float *dst, const float *src, const uint16_t *s16, int C, int64_t P, int cb) {
    int64_t p0 = 0;
#if NN_HAVE_AVX512_PATH
    if (use_avx512(cb, MC_NN_ACT_NONE)) {
        p0 = P / 16 * 16;
        unpack16(dst, src, s16, C, P, p0);
    }
#endif
    unpack_c(dst, src, s16, C, P, cb, p0);
}

void nn_blk_out(float *yb, float *y, uint16_t *y16, const float *bias, mc_nn_act act, float slope, int C, int64_t P,
                int cb) {
    int64_t p0 = 0;
#if NN_HAVE_AVX512_PATH
    if (use_avx512(cb, bias ? act : MC_NN_ACT_NONE)) {
        p0 = P / 16 * 16;
        out16(yb, y, y16, bias, act, slope, C, P, p0);
    }
#endif
    out_c(yb, y, y16, bias, act, slope, C, P, cb, p0);
}

void nn_blk_act_grad(float *gb, uint16_t *gb16, const float *dy, const float *gs, const float *yb,
                     const uint16_t *yb16, mc_nn_act act, float slope, int C, int64_t P, int cb, double *bsum) {
    for (int c = 0; c < C; c++) bsum[c] = 0.0;
    int64_t p0 = 0;
#if NN_HAVE_AVX512_PATH
    if (use_avx512(cb, act)) {
        p0 = P / 16 * 16;
        act_grad16(gb, gb16, dy, gs, yb, yb16, act, slope, C, P, p0, bsum);
    }
#endif
    act_grad_c(gb, gb16, dy, gs, yb, yb16, act, slope, C, P, cb, p0, bsum);
}

void nn_cvt_bf16(uint16_t *dst, const float *src, int64_t count) {
    int64_t i = 0;
#if NN_HAVE_AVX512_PATH
    if (use_avx512(16, MC_NN_ACT_NONE)) {
        i = count / 16 * 16;
        cvt16(dst, src, i);
    }
#endif
    for (; i < count; i++) dst[i] = nn_bf16(src[i]);
}
