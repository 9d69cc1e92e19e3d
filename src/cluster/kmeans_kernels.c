/* cluster: k-means's kernels (kmeans_kernels.h): the x.c products on a block-transposed copy of X
 * (own FMA kernels instead of sgemm; see kmeans.c), the k-means++ rows, the argmin and the row sums,
 * each in an AVX-512, an AVX2 and a scalar version that give the same bits. */
#include "kmeans_kernels.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define MC_KM_X86 1
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- dot-product kernel */

void mc_cl_km_transpose(const float *X, int64_t n, int64_t d, int nt, float *XT) {
    const int64_t nblk = mc_cl_km_nblk(n);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nblk; b++)
        for (int64_t l = 0; l < KM_BLK; l++) {
            const int64_t i = b * KM_BLK + l;
            float *o = XT + b * d * KM_BLK + l;
            for (int64_t f = 0; f < d; f++) o[f * KM_BLK] = i < n ? X[i * d + f] : 0.0f;
        }
}


static void dots_scalar(const float *XT, int64_t nb, int64_t d, const float *C, int k, float *D) {
    for (int64_t b = 0; b < nb; b++)
        for (int j = 0; j < k; j++)
            for (int l = 0; l < KM_BLK; l++) {
                const float *x = XT + b * d * KM_BLK + l, *c = C + (int64_t)j * d;
                float acc = 0.0f;
                for (int64_t f = 0; f < d; f++) acc = fmaf(x[f * KM_BLK], c[f], acc);
                D[(int64_t)j * MC_CL_CHUNK + b * KM_BLK + l] = -2.0f * acc;
            }
}

#ifdef MC_KM_X86
/* Four blocks (64 points) against two centres: eight independent chains hide the latency. */
__attribute__((target("avx512f"))) static void dots_avx512(const float *XT, int64_t nb, int64_t d, const float *C,
                                                           int k, float *D) {
    const __m512 m2 = _mm512_set1_ps(-2.0f);
    const int64_t bs = d * KM_BLK;
    for (int64_t b = 0; b < nb; b += KM_STEP) {
        const float *x = XT + b * bs;
        float *o = D + b * KM_BLK;
        int j = 0;
        for (; j + 2 <= k; j += 2) {
            const float *c0 = C + (int64_t)j * d, *c1 = c0 + d;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            for (int64_t f = 0; f < d; f++) {
                const __m512 v0 = _mm512_loadu_ps(x + f * KM_BLK), v1 = _mm512_loadu_ps(x + bs + f * KM_BLK);
                const __m512 v2 = _mm512_loadu_ps(x + 2 * bs + f * KM_BLK), v3 = _mm512_loadu_ps(x + 3 * bs + f * KM_BLK);
                const __m512 p = _mm512_set1_ps(c0[f]), q = _mm512_set1_ps(c1[f]);
                a0 = _mm512_fmadd_ps(v0, p, a0), a1 = _mm512_fmadd_ps(v1, p, a1);
                a2 = _mm512_fmadd_ps(v2, p, a2), a3 = _mm512_fmadd_ps(v3, p, a3);
                e0 = _mm512_fmadd_ps(v0, q, e0), e1 = _mm512_fmadd_ps(v1, q, e1);
                e2 = _mm512_fmadd_ps(v2, q, e2), e3 = _mm512_fmadd_ps(v3, q, e3);
            }
            float *r = o + (int64_t)j * MC_CL_CHUNK;
            _mm512_storeu_ps(r, _mm512_mul_ps(a0, m2)), _mm512_storeu_ps(r + 16, _mm512_mul_ps(a1, m2));
            _mm512_storeu_ps(r + 32, _mm512_mul_ps(a2, m2)), _mm512_storeu_ps(r + 48, _mm512_mul_ps(a3, m2));
            r += MC_CL_CHUNK;
            _mm512_storeu_ps(r, _mm512_mul_ps(e0, m2)), _mm512_storeu_ps(r + 16, _mm512_mul_ps(e1, m2));
            _mm512_storeu_ps(r + 32, _mm512_mul_ps(e2, m2)), _mm512_storeu_ps(r + 48, _mm512_mul_ps(e3, m2));
        }
        if (j < k) {
            const float *c0 = C + (int64_t)j * d;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int64_t f = 0; f < d; f++) {
                const __m512 p = _mm512_set1_ps(c0[f]);
                a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + f * KM_BLK), p, a0);
                a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + bs + f * KM_BLK), p, a1);
                a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 2 * bs + f * KM_BLK), p, a2);
                a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 3 * bs + f * KM_BLK), p, a3);
            }
            float *r = o + (int64_t)j * MC_CL_CHUNK;
            _mm512_storeu_ps(r, _mm512_mul_ps(a0, m2)), _mm512_storeu_ps(r + 16, _mm512_mul_ps(a1, m2));
            _mm512_storeu_ps(r + 32, _mm512_mul_ps(a2, m2)), _mm512_storeu_ps(r + 48, _mm512_mul_ps(a3, m2));
        }
    }
}

/* Four blocks (eight 8-lane halves) against one centre. */
__attribute__((target("avx2,fma"))) static void dots_avx2(const float *XT, int64_t nb, int64_t d, const float *C,
                                                          int k, float *D) {
    const __m256 m2 = _mm256_set1_ps(-2.0f);
    const int64_t bs = d * KM_BLK;
    for (int64_t b = 0; b < nb; b += KM_STEP) {
        const float *x = XT + b * bs;
        for (int j = 0; j < k; j++) {
            const float *c0 = C + (int64_t)j * d;
            __m256 a[8];
            for (int q = 0; q < 8; q++) a[q] = _mm256_setzero_ps();
            for (int64_t f = 0; f < d; f++) {
                const __m256 p = _mm256_set1_ps(c0[f]);
                a[0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + f * KM_BLK), p, a[0]);
                a[1] = _mm256_fmadd_ps(_mm256_loadu_ps(x + f * KM_BLK + 8), p, a[1]);
                a[2] = _mm256_fmadd_ps(_mm256_loadu_ps(x + bs + f * KM_BLK), p, a[2]);
                a[3] = _mm256_fmadd_ps(_mm256_loadu_ps(x + bs + f * KM_BLK + 8), p, a[3]);
                a[4] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 2 * bs + f * KM_BLK), p, a[4]);
                a[5] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 2 * bs + f * KM_BLK + 8), p, a[5]);
                a[6] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 3 * bs + f * KM_BLK), p, a[6]);
                a[7] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 3 * bs + f * KM_BLK + 8), p, a[7]);
            }
            float *r = D + (int64_t)j * MC_CL_CHUNK + b * KM_BLK;
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(r + 8 * q, _mm256_mul_ps(a[q], m2));
        }
    }
}

#endif

/* ---------------------------------------------------------------- point-wise kernels */

static double lanes16_sum(double l[16]) {
    for (int q = 0; q < 8; q++) l[q] += l[q + 8];
    for (int q = 0; q < 4; q++) l[q] += l[q + 4];
    for (int q = 0; q < 2; q++) l[q] += l[q + 2];
    return l[0] + l[1];
}

static double pp_scalar(const float *xs, float cs, const float *D, const float *cl, float *out, int64_t m) {
    double l[16] = {0};
    for (int64_t i = 0; i < m; i++) {
        float dd = xs[i] + cs + D[i];
        if (!(dd > 0)) dd = 0;
        if (cl && cl[i] < dd) dd = cl[i];
        out[i] = dd;
        l[i & 15] += dd;
    }
    return lanes16_sum(l);
}

static void argmin_scalar(const float *D, const float *c_sq, int k, int64_t m, int32_t *lab) {
    for (int64_t i = 0; i < m; i++) {
        float bv = c_sq[0] + D[i];
        int32_t best = 0;
        for (int j = 1; j < k; j++) {
            const float v = c_sq[j] + D[(int64_t)j * MC_CL_CHUNK + i];
            if (v < bv) bv = v, best = j;
        }
        lab[i] = best;
    }
}

static void add_row_scalar(double *a, const float *x, int64_t d) {
    for (int64_t f = 0; f < d; f++) a[f] += x[f];
}

#ifdef MC_KM_X86
__attribute__((target("avx512f"))) static double pp_avx512(const float *xs, float cs, const float *D, const float *cl,
                                                           float *out, int64_t m) {
    const __m512 vc = _mm512_set1_ps(cs), z = _mm512_setzero_ps();
    __m512d lo = _mm512_setzero_pd(), hi = lo;
    int64_t i = 0;
    for (; i + 16 <= m; i += 16) {
        __m512 dd = _mm512_max_ps(_mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(xs + i), vc), _mm512_loadu_ps(D + i)), z);
        if (cl) dd = _mm512_min_ps(_mm512_loadu_ps(cl + i), dd);
        _mm512_storeu_ps(out + i, dd);
        lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(dd)));
        hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(dd), 1))));
    }
    double l[16];
    _mm512_storeu_pd(l, lo);
    _mm512_storeu_pd(l + 8, hi);
    for (; i < m; i++) {
        float dd = xs[i] + cs + D[i];
        if (!(dd > 0)) dd = 0;
        if (cl && cl[i] < dd) dd = cl[i];
        out[i] = dd;
        l[i & 15] += dd;
    }
    return lanes16_sum(l);
}

__attribute__((target("avx2"))) static double pp_avx2(const float *xs, float cs, const float *D, const float *cl,
                                                      float *out, int64_t m) {
    const __m256 vc = _mm256_set1_ps(cs), z = _mm256_setzero_ps();
    __m256d l0 = _mm256_setzero_pd(), l1 = l0, l2 = l0, l3 = l0;
    int64_t i = 0;
    for (; i + 16 <= m; i += 16) {
        __m256 a = _mm256_max_ps(_mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(xs + i), vc), _mm256_loadu_ps(D + i)), z);
        __m256 b = _mm256_max_ps(_mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(xs + i + 8), vc), _mm256_loadu_ps(D + i + 8)), z);
        if (cl) a = _mm256_min_ps(_mm256_loadu_ps(cl + i), a), b = _mm256_min_ps(_mm256_loadu_ps(cl + i + 8), b);
        _mm256_storeu_ps(out + i, a);
        _mm256_storeu_ps(out + i + 8, b);
        l0 = _mm256_add_pd(l0, _mm256_cvtps_pd(_mm256_castps256_ps128(a)));
        l1 = _mm256_add_pd(l1, _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)));
        l2 = _mm256_add_pd(l2, _mm256_cvtps_pd(_mm256_castps256_ps128(b)));
        l3 = _mm256_add_pd(l3, _mm256_cvtps_pd(_mm256_extractf128_ps(b, 1)));
    }
    double l[16];
    _mm256_storeu_pd(l, l0);
    _mm256_storeu_pd(l + 4, l1);
    _mm256_storeu_pd(l + 8, l2);
    _mm256_storeu_pd(l + 12, l3);
    for (; i < m; i++) {
        float dd = xs[i] + cs + D[i];
        if (!(dd > 0)) dd = 0;
        if (cl && cl[i] < dd) dd = cl[i];
        out[i] = dd;
        l[i & 15] += dd;
    }
    return lanes16_sum(l);
}

__attribute__((target("avx512f"))) static void argmin_avx512(const float *D, const float *c_sq, int k, int64_t m,
                                                             int32_t *lab) {
    int64_t i = 0;
    for (; i + 16 <= m; i += 16) {
        __m512 bv = _mm512_add_ps(_mm512_set1_ps(c_sq[0]), _mm512_loadu_ps(D + i));
        __m512i best = _mm512_setzero_si512();
        for (int j = 1; j < k; j++) {
            const __m512 v = _mm512_add_ps(_mm512_set1_ps(c_sq[j]), _mm512_loadu_ps(D + (int64_t)j * MC_CL_CHUNK + i));
            const __mmask16 lt = _mm512_cmp_ps_mask(v, bv, _CMP_LT_OQ);
            bv = _mm512_mask_mov_ps(bv, lt, v);
            best = _mm512_mask_mov_epi32(best, lt, _mm512_set1_epi32(j));
        }
        _mm512_storeu_si512(lab + i, best);
    }
    if (i < m) argmin_scalar(D + i, c_sq, k, m - i, lab + i);
}

__attribute__((target("avx2"))) static void argmin_avx2(const float *D, const float *c_sq, int k, int64_t m,
                                                        int32_t *lab) {
    int64_t i = 0;
    for (; i + 8 <= m; i += 8) {
        __m256 bv = _mm256_add_ps(_mm256_set1_ps(c_sq[0]), _mm256_loadu_ps(D + i));
        __m256 best = _mm256_castsi256_ps(_mm256_setzero_si256());
        for (int j = 1; j < k; j++) {
            const __m256 v = _mm256_add_ps(_mm256_set1_ps(c_sq[j]), _mm256_loadu_ps(D + (int64_t)j * MC_CL_CHUNK + i));
            const __m256 lt = _mm256_cmp_ps(v, bv, _CMP_LT_OQ);
            bv = _mm256_blendv_ps(bv, v, lt);
            best = _mm256_blendv_ps(best, _mm256_castsi256_ps(_mm256_set1_epi32(j)), lt);
        }
        _mm256_storeu_si256((__m256i *)(lab + i), _mm256_castps_si256(best));
    }
    if (i < m) argmin_scalar(D + i, c_sq, k, m - i, lab + i);
}

__attribute__((target("avx512f"))) static void add_row_avx512(double *a, const float *x, int64_t d) {
    int64_t f = 0;
    for (; f + 8 <= d; f += 8)
        _mm512_storeu_pd(a + f, _mm512_add_pd(_mm512_loadu_pd(a + f), _mm512_cvtps_pd(_mm256_loadu_ps(x + f))));
    for (; f < d; f++) a[f] += x[f];
}

__attribute__((target("avx2"))) static void add_row_avx2(double *a, const float *x, int64_t d) {
    int64_t f = 0;
    for (; f + 4 <= d; f += 4)
        _mm256_storeu_pd(a + f, _mm256_add_pd(_mm256_loadu_pd(a + f), _mm256_cvtps_pd(_mm_loadu_ps(x + f))));
    for (; f < d; f++) a[f] += x[f];
}
#endif


static atomic_int km_forced_isa = -1;

void mc_cl_kmeans_force_isa(int isa) { atomic_store(&km_forced_isa, isa); }

bool mc_cl_kmeans_isa_available(int isa) {
    switch (isa) {
    case MC_CL_ISA_SCALAR: return true;
#ifdef MC_KM_X86
    case MC_CL_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case MC_CL_ISA_AVX512: return __builtin_cpu_supports("avx512f") != 0;
#endif
    default: return false;
    }
}

/* The kernels of the forced path if it runs here, else of the best available. */
mc_cl_km_kern mc_cl_km_kernels(void) {
    int isa = atomic_load(&km_forced_isa);
    if (isa < 0 || isa >= MC_CL_ISA_COUNT || !mc_cl_kmeans_isa_available(isa)) {
        isa = MC_CL_ISA_SCALAR;
        for (int i = MC_CL_ISA_COUNT - 1; i > 0; i--)
            if (mc_cl_kmeans_isa_available(i)) {
                isa = i;
                break;
            }
    }
#ifdef MC_KM_X86
    if (isa == MC_CL_ISA_AVX512) return (mc_cl_km_kern){dots_avx512, pp_avx512, argmin_avx512, add_row_avx512};
    if (isa == MC_CL_ISA_AVX2) return (mc_cl_km_kern){dots_avx2, pp_avx2, argmin_avx2, add_row_avx2};
#endif
    return (mc_cl_km_kern){dots_scalar, pp_scalar, argmin_scalar, add_row_scalar};
}

/* Tests only (cluster_internal.h): the kernels of one path on m <= MC_CL_CHUNK points. */
mc_status mc_cl_kmeans_probe(int isa, const float *X, int64_t m, int64_t d, const float *C, int k, float *D,
                             int32_t *lab, float *pp_out, double *pp_sum) {
    const int forced = atomic_load(&km_forced_isa);
    mc_cl_kmeans_force_isa(isa);
    const mc_cl_km_kern K = mc_cl_km_kernels();
    atomic_store(&km_forced_isa, forced);
    if (m < 1 || m > MC_CL_CHUNK || k < 1 || k > 64)
        return mc_error_set(MC_STATUS_INVALID_ARG, "k-means probe: m = %lld, k = %d", (long long)m, k);
    float *XT = mc_alloc((size_t)(mc_cl_km_nblk(m) * d * KM_BLK), sizeof(float));
    float *xs = mc_alloc((size_t)m, sizeof(float));
    if (!XT || !xs) {
        mc_free(XT);
        mc_free(xs);
        return mc_error_nomem("k-means probe: out of memory allocating the transposed sample");
    }
    mc_cl_km_transpose(X, m, d, 1, XT);
    for (int64_t i = 0; i < m; i++) xs[i] = (float)i * 0.25f - 3.0f;
    K.dots(XT, mc_cl_km_nblk(m), d, C, k, D);
    float c_sq[64];
    for (int j = 0; j < k; j++) c_sq[j] = (float)j * 0.5f;
    K.argmin(D, c_sq, k, m, lab);
    *pp_sum = K.pp(xs, 1.5f, D, NULL, pp_out, m);
    pp_sum[1] = K.pp(xs, 0.5f, D, pp_out, pp_out + m, m);
    mc_free(XT);
    mc_free(xs);
    return MC_STATUS_OK;
}
