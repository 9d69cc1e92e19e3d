/* Tensors, the GEMM wrapper, thread setup and small vector helpers. */
#include "nn_internal.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <string.h>

int mc_nn_set_threads(int n) {
    n = mc_threads_resolve(n);
    /* GEMMs are split over the OpenMP team (mc_nn_gemm), each tile one single-threaded sgemm; see
     * nn.h and core.h for why OpenBLAS's own pool stays off. */
    mc_threads_blas_serial_begin();
    return n;
}

/* ---------------------------------------------------------------- tensors */

mc_status mc_tensor_create(int ndim, const int64_t *shape, mc_tensor *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_tensor_create: out is NULL");
    memset(out, 0, sizeof *out);
    if (ndim < 1 || ndim > MC_TENSOR_MAX_DIMS || !shape)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_tensor_create: ndim %d not in [1, %d]", ndim,
                            MC_TENSOR_MAX_DIMS);
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || count > INT64_MAX / shape[i])
            return mc_error_set(MC_STATUS_INVALID_ARG, "mc_tensor_create: shape[%d] = %lld is invalid",
                                i, (long long)shape[i]);
        count *= shape[i];
    }
    float *d = mc_alloc((size_t)count, sizeof(float));
    if (!d) return MC_STATUS_NO_MEMORY;
    out->ndim = ndim;
    for (int i = 0; i < ndim; i++) out->shape[i] = shape[i];
    out->data = d;
    out->cap = count;
    return MC_STATUS_OK;
}

mc_tensor mc_tensor_view(float *data, int ndim, const int64_t *shape) {
    mc_tensor t;
    memset(&t, 0, sizeof t);
    if (ndim < 0) ndim = 0;
    if (ndim > MC_TENSOR_MAX_DIMS) ndim = MC_TENSOR_MAX_DIMS;
    t.ndim = ndim;
    for (int i = 0; i < ndim && shape; i++) t.shape[i] = shape[i];
    t.data = data;
    return t;
}

int64_t mc_tensor_numel(const mc_tensor *t) {
    if (!t) return 0;
    int64_t c = 1;
    for (int i = 0; i < t->ndim; i++) c *= t->shape[i];
    return c;
}

mc_status mc_tensor_reshape(mc_tensor *t, int ndim, const int64_t *shape) {
    if (!t || !shape || ndim < 1 || ndim > MC_TENSOR_MAX_DIMS)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_tensor_reshape: bad tensor or ndim %d", ndim);
    int64_t limit = t->cap > 0 ? t->cap : mc_tensor_numel(t), count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || count > INT64_MAX / shape[i])
            return mc_error_set(MC_STATUS_INVALID_ARG, "mc_tensor_reshape: shape[%d] = %lld is invalid",
                                i, (long long)shape[i]);
        count *= shape[i];
    }
    if (count > limit)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "mc_tensor_reshape: %lld elements do not fit in %lld", (long long)count,
                            (long long)limit);
    t->ndim = ndim;
    for (int i = 0; i < MC_TENSOR_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 0;
    return MC_STATUS_OK;
}

void mc_tensor_free(mc_tensor *t) {
    if (!t) return;
    if (t->cap > 0) mc_free(t->data);
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- GEMM */

void nn_blas_serial(void) {
    /* OpenBLAS must not start its own threads under ours (nn.h); another module may have raised it. */
    mc_threads_blas_serial_begin();
}

/* Below this many multiply-adds one sgemm call beats a fork/join (a fork/join costs a few
 * microseconds; 8M multiply-adds take about 50 us on one core). */
#define GEMM_SPLIT_MIN (1 << 23)
/* At most this many tiles per product: enough to keep 16 threads busy. */
#define GEMM_MAX_TILES 16

/* One tile: oneDNN's sgemm (row-major, JIT kernels picked for this CPU by oneDNN itself, so the speed
 * does not depend on the kernel OpenBLAS picks: Debian's OpenBLAS 0.3.21 runs its generic kernel on
 * CPUs it does not know, 4-5x slower), on this thread only (dnnl.c). OpenBLAS only if it fails. */
static void sgemm1(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                   int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    int saved = nn_dnnl_serial_begin();
    dnnl_status_t s = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    nn_dnnl_serial_end(saved);
    if (s == dnnl_success) return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m,
                (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

void mc_nn_gemm_tiles(int64_t m, int64_t n, int64_t k, int *tiles, bool *by_cols, int64_t *width) {
    /* Everything here depends on (m, n, k) only, never on the team: OpenBLAS kernels (Haswell's, for
     * one) round an edge tile differently from a full one, so the same element computed inside calls
     * of other shapes can differ in the last bit. With tiles fixed by the problem, every element of C
     * comes from the same sgemm call with the same arguments for 1, 2 or 16 threads. */
    *by_cols = n >= m;
    int64_t len = *by_cols ? n : m;
    /* Each tile packs the whole of the operand it shares with the other tiles (op(B) for row tiles,
     * op(A) for column tiles) and uses every packed value once per row (column) of its own: tiles of
     * at least 32 rows or 64 columns keep the packing a small part of the work (the k-heavy Linear
     * products of the conv VAE, 128 x 32 x 16384, would otherwise spend more time packing than
     * multiplying). */
    int64_t unit = *by_cols ? 64 : 32;
    double work = (double)m * (double)n * (double)k;
    int64_t want = work < (double)GEMM_SPLIT_MIN ? 1 : (int64_t)ceil(work / (double)GEMM_SPLIT_MIN);
    if (want > GEMM_MAX_TILES) want = GEMM_MAX_TILES;
    int64_t w = (len + want - 1) / want;
    w = (w + unit - 1) / unit * unit;
    if (w > len) w = len;
    *width = w;
    *tiles = (int)((len + w - 1) / w);
}

void mc_nn_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        /* op(A) op(B) is empty: only the beta scaling remains (BLAS semantics, beta 0 clears). */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return;
    }
    nn_blas_serial();
    int tiles;
    bool by_cols;
    int64_t blk;
    mc_nn_gemm_tiles(m, n, k, &tiles, &by_cols, &blk);
    const int64_t len = by_cols ? n : m;
    /* Each tile is one single-threaded sgemm over the full k, so no reduction crosses tiles; the team
     * only decides which thread runs which tile (inside a parallel region: all on this thread). */
#pragma omp parallel for schedule(static, 1) if (tiles > 1 && !omp_in_parallel())
    for (int t = 0; t < tiles; t++) {
        int64_t lo = (int64_t)t * blk, hi = lo + blk < len ? lo + blk : len;
        if (by_cols) {
            /* columns [lo, hi) of C need columns [lo, hi) of op(B) */
            const float *bb = tb ? b + lo * ldb : b + lo;
            sgemm1(ta, tb, m, hi - lo, k, alpha, a, lda, bb, ldb, beta, c + lo, ldc);
        } else {
            /* rows [lo, hi) of C need rows [lo, hi) of op(A) */
            const float *aa = ta ? a + lo : a + lo * lda;
            sgemm1(ta, tb, hi - lo, n, k, alpha, aa, lda, b, ldb, beta, c + lo * ldc, ldc);
        }
    }
}

/* ---------------------------------------------------------------- vector helpers */

void mc_nn_add(float *y, const float *x, int64_t count) {
#pragma omp parallel for if (count > NN_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < count; i++) y[i] += x[i];
}

void mc_nn_zero(float *y, int64_t count) {
    if (count > 0) memset(y, 0, (size_t)count * sizeof(float));
}

double nn_sum_f64(const float *x, int64_t count) {
    /* Eight running sums (lane i % 8) combined pairwise at the end: a fixed order, so the value
     * depends only on x, and no chain of dependent additions (one add per element would wait on
     * the previous one). */
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= count; i += 8)
        for (int k = 0; k < 8; k++) a[k] += (double)x[i + k];
    for (int k = 0; i + k < count; k++) a[k] += (double)x[i + k];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}
