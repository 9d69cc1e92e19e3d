/* 4 x float32 and 2 x float64 vectors for the descriptor kernels (src/dsp/descriptors.c, dsp.c): SSE2
 * (part of every x86-64) where available, else structs doing the same IEEE operations lane by lane, so
 * that both give the same bits (min/max follow SSE's operand rule: the second operand when either is
 * NaN or both are equal). Not part of the public API. */
#ifndef MUSICLUST_DESC_SIMD_H
#define MUSICLUST_DESC_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
typedef __m128 mc_v4;   /* 4 floats */
typedef __m128i mc_v4i; /* 4 int32 */
typedef __m128d mc_d2;  /* 2 doubles */
static inline mc_v4 mc_v4_set1(float a) { return _mm_set1_ps(a); }
static inline mc_v4 mc_v4_load(const float *p) { return _mm_loadu_ps(p); }
static inline void mc_v4_store(float *p, mc_v4 a) { _mm_storeu_ps(p, a); }
static inline mc_v4 mc_v4_add(mc_v4 a, mc_v4 b) { return _mm_add_ps(a, b); }
static inline mc_v4 mc_v4_sub(mc_v4 a, mc_v4 b) { return _mm_sub_ps(a, b); }
static inline mc_v4 mc_v4_mul(mc_v4 a, mc_v4 b) { return _mm_mul_ps(a, b); }
static inline mc_v4 mc_v4_min(mc_v4 a, mc_v4 b) { return _mm_min_ps(a, b); } /* a < b ? a : b */
static inline mc_v4 mc_v4_max(mc_v4 a, mc_v4 b) { return _mm_max_ps(a, b); } /* a > b ? a : b */
static inline int mc_v4_any_lt(mc_v4 a, mc_v4 b) { return _mm_movemask_ps(_mm_cmplt_ps(a, b)); }
static inline int mc_v4_any_gt(mc_v4 a, mc_v4 b) { return _mm_movemask_ps(_mm_cmpgt_ps(a, b)); }
static inline int mc_v4_mask_le(mc_v4 a, mc_v4 b) { return _mm_movemask_ps(_mm_cmple_ps(a, b)); }
static inline int mc_v4_mask_ge(mc_v4 a, mc_v4 b) { return _mm_movemask_ps(_mm_cmpge_ps(a, b)); }
static inline void mc_v4_get(mc_v4 a, float *out) { _mm_storeu_ps(out, a); }
/* smallest / largest lane, by shuffles (no round trip through memory); exact in any order */
static inline float mc_v4_hmin(mc_v4 a) {
    a = _mm_min_ps(a, _mm_shuffle_ps(a, a, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(_mm_min_ps(a, _mm_shuffle_ps(a, a, _MM_SHUFFLE(2, 3, 0, 1))));
}
static inline float mc_v4_hmax(mc_v4 a) {
    a = _mm_max_ps(a, _mm_shuffle_ps(a, a, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(_mm_max_ps(a, _mm_shuffle_ps(a, a, _MM_SHUFFLE(2, 3, 0, 1))));
}
/* rows 0..3 of a 4x4 block in, columns out */
static inline void mc_v4_transpose(mc_v4 *r0, mc_v4 *r1, mc_v4 *r2, mc_v4 *r3) {
    _MM_TRANSPOSE4_PS(*r0, *r1, *r2, *r3);
}
static inline mc_v4i mc_v4_bits(mc_v4 a) { return _mm_castps_si128(a); }
static inline mc_v4 mc_v4_from_bits(mc_v4i a) { return _mm_castsi128_ps(a); }
static inline mc_v4i mc_v4i_set1(int32_t a) { return _mm_set1_epi32(a); }
static inline mc_v4i mc_v4i_add(mc_v4i a, mc_v4i b) { return _mm_add_epi32(a, b); }
static inline mc_v4i mc_v4i_sub(mc_v4i a, mc_v4i b) { return _mm_sub_epi32(a, b); }
static inline mc_v4i mc_v4i_and(mc_v4i a, mc_v4i b) { return _mm_and_si128(a, b); }
static inline mc_v4i mc_v4i_or(mc_v4i a, mc_v4i b) { return _mm_or_si128(a, b); }
static inline mc_v4i mc_v4i_srl(mc_v4i a, int n) { return _mm_srli_epi32(a, n); }
static inline void mc_v4i_get(mc_v4i a, int32_t *out) { _mm_storeu_si128((__m128i *)out, a); }
static inline mc_d2 mc_d2_set1(double a) { return _mm_set1_pd(a); }
static inline mc_d2 mc_d2_load(const double *p) { return _mm_loadu_pd(p); }
static inline mc_d2 mc_d2_add(mc_d2 a, mc_d2 b) { return _mm_add_pd(a, b); }
static inline mc_d2 mc_d2_mul(mc_d2 a, mc_d2 b) { return _mm_mul_pd(a, b); }
static inline mc_d2 mc_d2_lo(mc_v4 a) { return _mm_cvtps_pd(a); }                   /* lanes 0, 1 */
static inline mc_d2 mc_d2_hi(mc_v4 a) { return _mm_cvtps_pd(_mm_movehl_ps(a, a)); } /* lanes 2, 3 */
static inline void mc_d2_get(mc_d2 a, double *out) { _mm_storeu_pd(out, a); }
#else
typedef struct mc_v4 { float f[4]; } mc_v4;
typedef struct mc_v4i { int32_t i[4]; } mc_v4i;
typedef struct mc_d2 { double d[2]; } mc_d2;
#define MC_V4_MAP(T, field, expr)      \
    T r_;                              \
    for (int l_ = 0; l_ < 4; l_++)     \
        r_.field[l_] = (expr);         \
    return r_
static inline mc_v4 mc_v4_set1(float a) { MC_V4_MAP(mc_v4, f, a); }
static inline mc_v4 mc_v4_load(const float *p) { MC_V4_MAP(mc_v4, f, p[l_]); }
static inline void mc_v4_store(float *p, mc_v4 a) { memcpy(p, a.f, sizeof a.f); }
static inline mc_v4 mc_v4_add(mc_v4 a, mc_v4 b) { MC_V4_MAP(mc_v4, f, a.f[l_] + b.f[l_]); }
static inline mc_v4 mc_v4_sub(mc_v4 a, mc_v4 b) { MC_V4_MAP(mc_v4, f, a.f[l_] - b.f[l_]); }
static inline mc_v4 mc_v4_mul(mc_v4 a, mc_v4 b) { MC_V4_MAP(mc_v4, f, a.f[l_] * b.f[l_]); }
static inline mc_v4 mc_v4_min(mc_v4 a, mc_v4 b) {
    MC_V4_MAP(mc_v4, f, a.f[l_] < b.f[l_] ? a.f[l_] : b.f[l_]);
}
static inline mc_v4 mc_v4_max(mc_v4 a, mc_v4 b) {
    MC_V4_MAP(mc_v4, f, a.f[l_] > b.f[l_] ? a.f[l_] : b.f[l_]);
}
static inline int mc_v4_any_lt(mc_v4 a, mc_v4 b) {
    int m = 0;
    for (int l = 0; l < 4; l++) m |= (a.f[l] < b.f[l]) << l;
    return m;
}
static inline int mc_v4_any_gt(mc_v4 a, mc_v4 b) {
    int m = 0;
    for (int l = 0; l < 4; l++) m |= (a.f[l] > b.f[l]) << l;
    return m;
}
static inline int mc_v4_mask_le(mc_v4 a, mc_v4 b) {
    int m = 0;
    for (int l = 0; l < 4; l++) m |= (a.f[l] <= b.f[l]) << l;
    return m;
}
static inline int mc_v4_mask_ge(mc_v4 a, mc_v4 b) {
    int m = 0;
    for (int l = 0; l < 4; l++) m |= (a.f[l] >= b.f[l]) << l;
    return m;
}
static inline void mc_v4_get(mc_v4 a, float *out) { memcpy(out, a.f, sizeof a.f); }
static inline float mc_v4_hmin(mc_v4 a) {
    float x = a.f[0] < a.f[2] ? a.f[0] : a.f[2], y = a.f[1] < a.f[3] ? a.f[1] : a.f[3];
    return x < y ? x : y;
}
static inline float mc_v4_hmax(mc_v4 a) {
    float x = a.f[0] > a.f[2] ? a.f[0] : a.f[2], y = a.f[1] > a.f[3] ? a.f[1] : a.f[3];
    return x > y ? x : y;
}
static inline void mc_v4_transpose(mc_v4 *r0, mc_v4 *r1, mc_v4 *r2, mc_v4 *r3) {
    mc_v4 *r[4] = {r0, r1, r2, r3};
    float m[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) m[j][i] = r[i]->f[j];
    for (int i = 0; i < 4; i++) memcpy(r[i]->f, m[i], sizeof m[i]);
}
static inline mc_v4i mc_v4_bits(mc_v4 a) { mc_v4i r; memcpy(r.i, a.f, sizeof r.i); return r; }
static inline mc_v4 mc_v4_from_bits(mc_v4i a) { mc_v4 r; memcpy(r.f, a.i, sizeof r.f); return r; }
static inline mc_v4i mc_v4i_set1(int32_t a) { MC_V4_MAP(mc_v4i, i, a); }
static inline mc_v4i mc_v4i_add(mc_v4i a, mc_v4i b) {
    MC_V4_MAP(mc_v4i, i, (int32_t)((uint32_t)a.i[l_] + (uint32_t)b.i[l_]));
}
static inline mc_v4i mc_v4i_sub(mc_v4i a, mc_v4i b) {
    MC_V4_MAP(mc_v4i, i, (int32_t)((uint32_t)a.i[l_] - (uint32_t)b.i[l_]));
}
static inline mc_v4i mc_v4i_and(mc_v4i a, mc_v4i b) { MC_V4_MAP(mc_v4i, i, a.i[l_] & b.i[l_]); }
static inline mc_v4i mc_v4i_or(mc_v4i a, mc_v4i b) { MC_V4_MAP(mc_v4i, i, a.i[l_] | b.i[l_]); }
static inline mc_v4i mc_v4i_srl(mc_v4i a, int n) { MC_V4_MAP(mc_v4i, i, (int32_t)((uint32_t)a.i[l_] >> n)); }
static inline void mc_v4i_get(mc_v4i a, int32_t *out) { memcpy(out, a.i, sizeof a.i); }
static inline mc_d2 mc_d2_set1(double a) { mc_d2 r = {{a, a}}; return r; }
static inline mc_d2 mc_d2_load(const double *p) { mc_d2 r = {{p[0], p[1]}}; return r; }
static inline mc_d2 mc_d2_add(mc_d2 a, mc_d2 b) { mc_d2 r = {{a.d[0] + b.d[0], a.d[1] + b.d[1]}}; return r; }
static inline mc_d2 mc_d2_mul(mc_d2 a, mc_d2 b) { mc_d2 r = {{a.d[0] * b.d[0], a.d[1] * b.d[1]}}; return r; }
static inline mc_d2 mc_d2_lo(mc_v4 a) { mc_d2 r = {{a.f[0], a.f[1]}}; return r; }
static inline mc_d2 mc_d2_hi(mc_v4 a) { mc_d2 r = {{a.f[2], a.f[3]}}; return r; }
static inline void mc_d2_get(mc_d2 a, double *out) { out[0] = a.d[0]; out[1] = a.d[1]; }
#undef MC_V4_MAP
#endif

#endif
