/* torch.nn.Conv2d and torch.nn.ConvTranspose2d (square kernel, zero padding, dilation 1, groups 1).
 *
 * Both go through the im2col matrix of a convolution geometry g (image (c, h, w), kernel k, stride
 * s, padding p, ho x wo window positions): row r = (ci k + ki) k + kj, column (oy, ox) holds
 * image[ci, oy s - p + ki, ox s - p + kj] (0 outside). Samples are processed in chunks of B: the
 * chunk's matrices sit side by side, (K, B ho wo), so each layer does one large GEMM per chunk instead
 * of B thin ones (the 8x8 layers would otherwise multiply by 64-column matrices).
 *
 *   Conv2d (g over the input, W (c_out, K), K = c_in k k):
 *     forward   Y_b = W cols(X_b) + b                       GEMM (c_out, K) x (K, B G)
 *     backward  dW += dY cols(X)^T,  db += sum dY,  dX = col2im(W^T dY)
 *   ConvTranspose2d (g over the OUTPUT, W (c_in, K), K = c_out k k): the adjoint of the Conv2d that
 *   maps (c_out, h_out, w_out) to (c_in, h_in, w_in) with the same weight, plus a bias:
 *     forward   Y_b = col2im(W^T X_b) + b                   GEMM (K, c_in) x (c_in, B G)
 *     backward  dW += X cols(dY)^T,  db += sum dY,  dX = W cols(dY)
 * G = ho wo = window positions = the Conv2d's output size or the ConvTranspose2d's input size. */
#include "nn_internal.h"

#include <omp.h>
#include <string.h>

/* ---------------------------------------------------------------- im2col / col2im */

/* The strided inner loops, compiled for AVX-512 and AVX2 besides the baseline and picked at load
 * time (GNU ifunc): d[i] = src[2 i] and dst[2 i] += r[i] vectorise into permutes. They only copy or
 * add one value per element in a fixed order, so every version gives the same bytes. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define NN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NN_CLONES
#endif

/* d[ox] = src[2 ox + off], ox in [lo, hi) (2 lo + off >= 0) */
NN_CLONES static void gather_s2(float *restrict d, const float *restrict src, int off, int lo, int hi) {
#pragma omp simd
    for (int ox = lo; ox < hi; ox++) d[ox] = src[2 * ox + off];
}

/* dst[2 ox + off] += r[ox] */
NN_CLONES static void scatter_add_s2(float *restrict dst, const float *restrict r, int off, int lo,
                                     int hi) {
#pragma omp simd
    for (int ox = lo; ox < hi; ox++) dst[2 * ox + off] += r[ox];
}

/* dst[ox + off] += r[ox] */
NN_CLONES static void add_s1(float *restrict dst, const float *restrict r, int off, int lo, int hi) {
#pragma omp simd
    for (int ox = lo; ox < hi; ox++) dst[ox + off] += r[ox];
}

/* Window positions ox whose column ox s - p + kj falls inside [0, w): [lo, hi). */
static void valid_range(int n_pos, int s, int off, int size, int *lo, int *hi) {
    /* ix = ox s + off in [0, size)  <=>  ox >= ceil(-off / s), ox <= floor((size - 1 - off) / s) */
    int a = 0;
    if (off < 0) a = (-off + s - 1) / s;
    int b = size - 1 - off < 0 ? -1 : (size - 1 - off) / s;
    if (b > n_pos - 1) b = n_pos - 1;
    *lo = a;
    *hi = b + 1 > a ? b + 1 : a;
}

static void im2col_channel(const nn_conv_geom *g, const float *xc, int ci, float *cols, int64_t ld) {
    const int k = g->k, s = g->s, p = g->p, wo = g->wo, ho = g->ho;
    for (int ki = 0; ki < k; ki++) {
        for (int kj = 0; kj < k; kj++) {
            float *row = cols + ((int64_t)(ci * k + ki) * k + kj) * ld;
            int lo, hi;
            valid_range(wo, s, kj - p, g->w, &lo, &hi);
            for (int oy = 0; oy < ho; oy++) {
                float *d = row + (int64_t)oy * wo;
                int iy = oy * s - p + ki;
                if (iy < 0 || iy >= g->h) {
                    memset(d, 0, (size_t)wo * sizeof(float));
                    continue;
                }
                /* d[ox] = image row iy at column ox s + off (off = kj - p may be negative; the
                 * valid range keeps every index inside the row) */
                const float *src = xc + (int64_t)iy * g->w;
                const int off = kj - p;
                for (int ox = 0; ox < lo; ox++) d[ox] = 0.0f;
                if (s == 1) {
                    if (hi > lo) memcpy(d + lo, src + lo + off, (size_t)(hi - lo) * sizeof(float));
                } else if (s == 2) {
                    gather_s2(d, src, off, lo, hi);
                } else {
                    for (int ox = lo; ox < hi; ox++) d[ox] = src[ox * s + off];
                }
                for (int ox = hi; ox < wo; ox++) d[ox] = 0.0f;
            }
        }
    }
}

/* The adjoint of im2col_channel: xc (h, w) = init + the sum over the rows of channel ci of their
 * values put back where they were read from. Overwrites xc. The accumulation order (ki, kj, oy, ox)
 * is fixed. */
static void col2im_channel(const nn_conv_geom *g, const float *cols, int64_t ld, int ci, float init,
                           float *xc) {
    const int k = g->k, s = g->s, p = g->p, wo = g->wo, ho = g->ho;
    const int64_t plane = (int64_t)g->h * g->w;
    if (init == 0.0f) {
        memset(xc, 0, (size_t)plane * sizeof(float));
    } else {
        for (int64_t i = 0; i < plane; i++) xc[i] = init;
    }
    for (int ki = 0; ki < k; ki++) {
        for (int kj = 0; kj < k; kj++) {
            const float *row = cols + ((int64_t)(ci * k + ki) * k + kj) * ld;
            int lo, hi;
            valid_range(wo, s, kj - p, g->w, &lo, &hi);
            for (int oy = 0; oy < ho; oy++) {
                int iy = oy * s - p + ki;
                if (iy < 0 || iy >= g->h) continue;
                const float *r = row + (int64_t)oy * wo;
                float *dst = xc + (int64_t)iy * g->w;
                const int off = kj - p;
                if (s == 1) {
                    add_s1(dst, r, off, lo, hi);
                } else if (s == 2) {
                    scatter_add_s2(dst, r, off, lo, hi);
                } else {
                    for (int ox = lo; ox < hi; ox++) dst[ox * s + off] += r[ox];
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- helpers */

/* Add per-(sample, channel) partial sums part (n, channels) to l->bias_acc in a fixed order: per
 * channel, samples in index order, in double (independent of the thread count). */
static void reduce_bias(mc_nn_layer *l, const double *part, int n, int channels) {
    for (int c = 0; c < channels; c++) {
        double s = 0.0;
        for (int b = 0; b < n; b++) s += part[(int64_t)b * channels + c];
        l->bias_acc[c] += s;
    }
}

/* Activation backward over the whole dy (n, C, S) in place, and per-(sample, channel) sums of the
 * result into l->bias_part. */
static void act_backward_bias(mc_nn_layer *l, float *dy, int channels, int64_t plane) {
    const int64_t n = l->n;
    const float *y = l->y;
    double *part = l->bias_part;
#pragma omp parallel for schedule(static) if (n * channels * plane > NN_PAR_MIN)
    for (int64_t bc = 0; bc < n * channels; bc++) {
        int64_t off = bc * plane;
        nn_act_backward_serial(l->act, l->slope, y + off, dy + off, plane);
        part[bc] = nn_sum_f64(dy + off, plane);
    }
}

/* ---------------------------------------------------------------- sample blocks
 *
 * A chunk's columns are its samples side by side, so a block of consecutive samples can run im2col,
 * its columns of the GEMM and the output pass on its own, with no barrier in between: one fork/join
 * per chunk instead of one per step. The blocks depend only on the chunk size (never on the team),
 * and each block's GEMM goes through mc_nn_gemm, whose tiles depend only on the block's shape: every
 * output element is computed by the same sgemm call whatever the thread count, so the result is
 * byte-identical for 1, 2 or 16 threads and any OpenBLAS kernel. A chunk of one sample is one block
 * whose GEMM tiles run over the team instead. */
#define NN_SAMPLE_BLOCKS 16

/* Number of sample blocks of a chunk of nb samples. */
static int sample_blocks(int nb) { return nb < NN_SAMPLE_BLOCKS ? nb : NN_SAMPLE_BLOCKS; }

/* Samples [*j0, *j1) of block b of nblk. */
static void block_range(int nb, int nblk, int b, int *j0, int *j1) {
    *j0 = (int)((int64_t)nb * b / nblk);
    *j1 = (int)((int64_t)nb * (b + 1) / nblk);
}

/* ---------------------------------------------------------------- construction */

void nn_layer_set_chunk(mc_nn_layer *l, int chunk) {
    if (!l || (l->kind != MC_NN_KIND_CONV2D && l->kind != MC_NN_KIND_CONV_TRANSPOSE2D)) return;
    int cap = (int)(NN_COLS_BUDGET / (l->kdim * l->grid));
    if (cap < 1) cap = 1;
    if (cap > l->max_batch) cap = l->max_batch;
    l->chunk = chunk < 1 ? 1 : chunk > cap ? cap : chunk;
}

/* The im2col path's workspaces: cols (K, chunk G) and tmp (max(c_in, c_out), chunk G). */
static mc_status im2col_workspace(mc_nn_layer *l) {
    if (l->cols) return MC_STATUS_OK;
    int cmax = l->c_in > l->c_out ? l->c_in : l->c_out;
    l->cols = nn_layer_alloc(l, (size_t)(l->kdim * l->grid * l->chunk), sizeof(float));
    l->tmp = nn_layer_alloc(l, (size_t)cmax * (size_t)(l->grid * l->chunk), sizeof(float));
    return l->cols && l->tmp ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
}

mc_status nn_conv_use_im2col(mc_nn_layer *l) {
    if (!l || (l->kind != MC_NN_KIND_CONV2D && l->kind != MC_NN_KIND_CONV_TRANSPOSE2D)) return MC_STATUS_OK;
    nn_dnn_free(l);
    /* the im2col path writes its NCHW buffers on every call */
    if (!nn_layer_ensure_y(l) || !nn_layer_ensure_dx(l)) return MC_STATUS_NO_MEMORY;
    return im2col_workspace(l);
}

/* Weight (w0, w1, k, k), bias (c_out), chunk size and workspaces. img_c: channels of the image the
 * geometry reads (c_in for Conv2d, c_out for ConvTranspose2d). */
static mc_status conv_common(mc_nn_layer *l, int c_in, int c_out, int k, int img_c, int w0, int w1,
                             int64_t grid) {
    l->c_in = c_in;
    l->c_out = c_out;
    l->kdim = (int64_t)img_c * k * k;
    l->grid = grid;
    int64_t per = l->kdim * grid;
    int64_t chunk = NN_COLS_BUDGET / per;
    if (chunk < 1) chunk = 1;
    if (chunk > l->max_batch) chunk = l->max_batch;
    l->chunk = (int)chunk;
    int64_t wshape[4] = {w0, w1, k, k};
    int64_t bshape[1] = {c_out};
    int64_t fan_in = wshape[1] * k * k; /* torch: weight.size(1) * receptive field */
    mc_status st = nn_layer_add_param(l, "weight", 4, wshape, true, fan_in);
    if (st == MC_STATUS_OK) st = nn_layer_add_param(l, "bias", 1, bshape, true, fan_in);
    if (st != MC_STATUS_OK) return st;
    l->bias_acc = nn_layer_alloc(l, (size_t)c_out, sizeof(double));
    l->bias_part = nn_layer_alloc(l, (size_t)l->max_batch * (size_t)c_out, sizeof(double));
    if (!l->bias_acc || !l->bias_part) return MC_STATUS_NO_MEMORY;
    /* oneDNN's kernels where they are fast for this shape on this CPU, else im2col + GEMM */
    st = nn_dnn_setup(l);
    if (st != MC_STATUS_OK) return st;
    if (l->dn) return MC_STATUS_OK; /* its NCHW buffers come when first needed */
    if (!nn_layer_ensure_y(l) || !nn_layer_ensure_dx(l)) return MC_STATUS_NO_MEMORY;
    return im2col_workspace(l);
}

static mc_status check_conv_args(const char *what, const char *name, int c_in, int h, int w, int c_out,
                                 int k, int s, int p) {
    if (c_in < 1 || c_out < 1 || h < 1 || w < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %s(%d, %d) on %dx%d: sizes must be >= 1", name,
                            what, c_in, c_out, h, w);
    if (k < 1 || s < 1 || p < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: kernel %d, stride %d, padding %d: need kernel >= 1, stride >= 1, "
                            "padding >= 0",
                            name, k, s, p);
    return MC_STATUS_OK;
}

/* The index arithmetic of im2col / col2im runs in int: the padded image sides (h + 2p, w + 2p) and the
 * rows of the column matrix (img_c k k) must stay within INT32_MAX, the window positions (grid) and
 * a sample's columns (img_c k k grid) within int64. Checked in 64-bit before any product is formed
 * (n_mels or frames near INT32_MAX overflowed int before). */
static mc_status check_conv_geometry(const char *name, int img_c, int64_t h, int64_t w, int k, int p, int64_t grid) {
    if (h + 2 * (int64_t)p > INT32_MAX || w + 2 * (int64_t)p > INT32_MAX)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: padded image %lldx%lld is larger than 2^31-1 per side", name,
                            (long long)(h + 2 * (int64_t)p), (long long)(w + 2 * (int64_t)p));
    const int64_t kk = (int64_t)k * k;
    if (kk > INT32_MAX / img_c)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %d channels x kernel %dx%d is more than 2^31-1 rows", name,
                            img_c, k, k);
    if (grid > INT64_MAX / (kk * img_c))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: the column matrix of one sample is too large", name);
    return MC_STATUS_OK;
}

mc_status mc_nn_conv2d_create(const char *name, int c_in, int h_in, int w_in, int c_out, int kernel,
                              int stride, int padding, mc_nn_act act, int max_batch,
                              mc_nn_layer **out_layer) {
    if (!out_layer) return mc_error_set(MC_STATUS_INVALID_ARG, "conv2d: out_layer is NULL");
    *out_layer = NULL;
    if (!name) name = "";
    mc_status st = check_conv_args("Conv2d", name, c_in, h_in, w_in, c_out, kernel, stride, padding);
    if (st != MC_STATUS_OK) return st;
    /* torch.nn.Conv2d: H_out = floor((H_in + 2 padding - kernel) / stride) + 1 */
    int64_t ho64 = (int64_t)h_in + 2 * (int64_t)padding - kernel, wo64 = (int64_t)w_in + 2 * (int64_t)padding - kernel;
    if (ho64 < 0 || wo64 < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: kernel %d is larger than the padded input %lldx%lld",
                            name, kernel, (long long)(ho64 + kernel), (long long)(wo64 + kernel));
    if (ho64 / stride + 1 > INT32_MAX || wo64 / stride + 1 > INT32_MAX)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: output size is too large", name);
    int ho = (int)(ho64 / stride + 1), wo = (int)(wo64 / stride + 1);
    st = check_conv_geometry(name, c_in, h_in, w_in, kernel, padding, (int64_t)ho * wo);
    if (st != MC_STATUS_OK) return st;
    int64_t ishape[3] = {c_in, h_in, w_in}, oshape[3] = {c_out, ho, wo};
    mc_nn_layer *l = nn_layer_new(MC_NN_KIND_CONV2D, name, act, max_batch, 3, ishape, 3, oshape);
    if (!l) return nn_layer_new_status();
    l->geom = (nn_conv_geom){c_in, h_in, w_in, kernel, stride, padding, ho, wo};
    st = conv_common(l, c_in, c_out, kernel, c_in, c_out, c_in, (int64_t)ho * wo);
    if (st != MC_STATUS_OK) {
        mc_nn_layer_free(l);
        return st;
    }
    *out_layer = l;
    return MC_STATUS_OK;
}

mc_status mc_nn_conv_transpose2d_create(const char *name, int c_in, int h_in, int w_in, int c_out,
                                        int kernel, int stride, int padding, int output_padding,
                                        mc_nn_act act, int max_batch, mc_nn_layer **out_layer) {
    if (!out_layer) return mc_error_set(MC_STATUS_INVALID_ARG, "conv_transpose2d: out_layer is NULL");
    *out_layer = NULL;
    if (!name) name = "";
    mc_status st =
        check_conv_args("ConvTranspose2d", name, c_in, h_in, w_in, c_out, kernel, stride, padding);
    if (st != MC_STATUS_OK) return st;
    if (output_padding < 0 || output_padding >= stride)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: output_padding %d must be in [0, stride %d)",
                            name, output_padding, stride);
    /* torch.nn.ConvTranspose2d: H_out = (H_in - 1) stride - 2 padding + kernel + output_padding */
    int64_t ho64 = ((int64_t)h_in - 1) * stride - 2 * (int64_t)padding + kernel + output_padding;
    int64_t wo64 = ((int64_t)w_in - 1) * stride - 2 * (int64_t)padding + kernel + output_padding;
    if (ho64 < 1 || wo64 < 1 || ho64 > INT32_MAX || wo64 > INT32_MAX)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: output size %lldx%lld is empty or too large", name,
                            (long long)ho64, (long long)wo64);
    int ho = (int)ho64, wo = (int)wo64;
    /* the geometry reads the (ho, wo) output image with c_out channels at h_in x w_in positions */
    st = check_conv_geometry(name, c_out, ho, wo, kernel, padding, (int64_t)h_in * w_in);
    if (st != MC_STATUS_OK) return st;
    int64_t ishape[3] = {c_in, h_in, w_in}, oshape[3] = {c_out, ho, wo};
    mc_nn_layer *l =
        nn_layer_new(MC_NN_KIND_CONV_TRANSPOSE2D, name, act, max_batch, 3, ishape, 3, oshape);
    if (!l) return nn_layer_new_status();
    /* The Conv2d with the same kernel, stride and padding on the (ho, wo) output has exactly
     * (h_in, w_in) window positions: floor((ho + 2p - k) / s) + 1 = h_in since output_padding < s. */
    l->geom = (nn_conv_geom){c_out, ho, wo, kernel, stride, padding, h_in, w_in};
    st = conv_common(l, c_in, c_out, kernel, c_out, c_in, c_out, (int64_t)h_in * w_in);
    if (st != MC_STATUS_OK) {
        mc_nn_layer_free(l);
        return st;
    }
    *out_layer = l;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- Conv2d */

void nn_conv_forward(mc_nn_layer *l) {
    const nn_conv_geom *g = &l->geom;
    const int64_t K = l->kdim, G = l->grid, in_n = l->in_numel, out_n = l->out_numel;
    const int c_out = l->c_out;
    const float *w = l->params[0].data, *bias = l->params[1].data;
    nn_blas_serial();
    for (int b0 = 0; b0 < l->n; b0 += l->chunk) {
        const int nb = l->n - b0 < l->chunk ? l->n - b0 : l->chunk, nblk = sample_blocks(nb);
        const int64_t ld = nb * G;
        const float *x = l->x + b0 * in_n;
        float *y = l->y + b0 * out_n, *cols = l->cols, *t = l->tmp;
#pragma omp parallel for schedule(static, 1) if (nblk > 1 && ld * (K + c_out) > NN_PAR_MIN)
        for (int blk = 0; blk < nblk; blk++) {
            int j0, j1;
            block_range(nb, nblk, blk, &j0, &j1);
            const int64_t c0 = j0 * G, nc = (int64_t)(j1 - j0) * G;
            /* cols[:, c0 : c0 + nc] = im2col of samples j0..j1-1 */
            for (int j = j0; j < j1; j++)
                for (int c = 0; c < g->c; c++)
                    im2col_channel(g, x + j * in_n + (int64_t)c * g->h * g->w, c, cols + j * G, ld);
            /* tmp[:, c0 : c0 + nc] (c_out, nc) = W (c_out, K) cols[:, c0 : c0 + nc] */
            mc_nn_gemm(false, false, c_out, nc, K, 1.0f, w, K, cols + c0, ld, 0.0f, t + c0, ld);
            /* y[b0 + j, co, :] = act(tmp[co, j G : (j + 1) G] + bias[co]) */
            for (int j = j0; j < j1; j++)
                for (int c = 0; c < c_out; c++)
                    nn_bias_act_serial(l->act, l->slope, y + ((int64_t)j * c_out + c) * G, t + c * ld + j * G,
                                       bias[c], G);
        }
    }
}

/* Conv2d backward, stage 1 for samples [j0, j1) of a chunk: tmp[:, samples] = dy act'(y) in
 * channel-major order, with per-(sample, channel) sums into part; cols[:, samples] = im2col(x). */
static void conv_bwd_gather(mc_nn_layer *l, const float *dyc, const float *yc, const float *xc, int nb,
                            int j0, int j1) {
    const nn_conv_geom *g = &l->geom;
    const int64_t G = l->grid, ld = nb * G, in_n = l->in_numel, plane = (int64_t)g->h * g->w;
    const int c_out = l->c_out;
    for (int j = j0; j < j1; j++) {
        for (int c = 0; c < c_out; c++) {
            int64_t jc = (int64_t)j * c_out + c;
            l->bias_part[jc] = nn_act_backward_copy_sum(l->act, l->slope, yc + jc * G, dyc + jc * G,
                                                        l->tmp + c * ld + j * G, G);
        }
        /* im2col of the input, recomputed (caching it for the whole batch would take K G floats
         * per sample, ~2 MB for the 64x64x32 layer) */
        for (int c = 0; c < g->c; c++) im2col_channel(g, xc + j * in_n + c * plane, c, l->cols + j * G, ld);
    }
}

/* Conv2d backward, stage 3 for samples [j0, j1): dcols = W^T dY on their columns, then col2im into
 * dx. */
static void conv_bwd_dx(mc_nn_layer *l, float *dxc, int nb, int j0, int j1) {
    const nn_conv_geom *g = &l->geom;
    const int64_t K = l->kdim, G = l->grid, ld = nb * G, in_n = l->in_numel, plane = (int64_t)g->h * g->w;
    const int64_t c0 = j0 * G, nc = (int64_t)(j1 - j0) * G;
    /* dcols[:, c0 : c0 + nc] (K, nc) = W^T (K, c_out) dY[:, c0 : c0 + nc], written over cols */
    mc_nn_gemm(true, false, K, nc, l->c_out, 1.0f, l->params[0].data, K, l->tmp + c0, ld, 0.0f, l->cols + c0,
               ld);
    for (int j = j0; j < j1; j++)
        for (int c = 0; c < g->c; c++)
            col2im_channel(g, l->cols + j * G, ld, c, 0.0f, dxc + j * in_n + c * plane);
}

void nn_conv_backward(mc_nn_layer *l, float *dy) {
    const int64_t K = l->kdim, G = l->grid, in_n = l->in_numel, out_n = l->out_numel;
    const int c_out = l->c_out;
    float *dw = l->params[0].grad;
    nn_blas_serial();
    for (int c = 0; c < c_out; c++) l->bias_acc[c] = 0.0;
    for (int b0 = 0; b0 < l->n; b0 += l->chunk) {
        const int nb = l->n - b0 < l->chunk ? l->n - b0 : l->chunk, nblk = sample_blocks(nb);
        const int64_t ld = nb * G;
        const float *dyc = dy + b0 * out_n, *yc = l->y + b0 * out_n, *xc = l->x + b0 * in_n;
        float *dxc = l->input_grad ? l->dx + b0 * in_n : NULL;
        const bool par = nblk > 1 && ld * (K + c_out) > NN_PAR_MIN;
        /* 1. tmp (c_out, nb G) = the gradient before the activation, channel-major; cols = im2col(x) */
#pragma omp parallel for schedule(static, 1) if (par)
        for (int blk = 0; blk < nblk; blk++) {
            int j0, j1;
            block_range(nb, nblk, blk, &j0, &j1);
            conv_bwd_gather(l, dyc, yc, xc, nb, j0, j1);
        }
        reduce_bias(l, l->bias_part, nb, c_out);
        /* 2. dW (c_out, K) += dY (c_out, nb G) cols^T (nb G, K): a reduction over the columns, so
         * tiled over the columns of dW instead; chunks add in order */
        mc_nn_gemm(false, true, c_out, K, ld, 1.0f, l->tmp, ld, l->cols, ld, 1.0f, dw, K);
        if (!dxc) continue;
        /* 3. dx = col2im(W^T dY) */
#pragma omp parallel for schedule(static, 1) if (par)
        for (int blk = 0; blk < nblk; blk++) {
            int j0, j1;
            block_range(nb, nblk, blk, &j0, &j1);
            conv_bwd_dx(l, dxc, nb, j0, j1);
        }
    }
    /* db[co] += sum over (b, oy, ox) of the gradient before the activation */
    for (int c = 0; c < c_out; c++) l->params[1].grad[c] += (float)l->bias_acc[c];
}

/* ---------------------------------------------------------------- ConvTranspose2d */

/* ConvTranspose2d forward for samples [j0, j1) of a chunk. */
static void convt_fwd_block(mc_nn_layer *l, const float *xc, float *yc, int nb, int j0, int j1) {
    const nn_conv_geom *g = &l->geom; /* over the output */
    const int64_t K = l->kdim, G = l->grid, ld = nb * G, in_n = l->in_numel, out_n = l->out_numel;
    const int64_t plane = (int64_t)g->h * g->w, c0 = j0 * G, nc = (int64_t)(j1 - j0) * G;
    const int c_in = l->c_in, c_out = l->c_out;
    const float *bias = l->params[1].data;
    /* tmp[:, samples] (c_in, nc): the input, channel-major */
    for (int j = j0; j < j1; j++)
        for (int c = 0; c < c_in; c++)
            memcpy(l->tmp + c * ld + j * G, xc + j * in_n + c * G, (size_t)G * sizeof(float));
    /* cols[:, c0 : c0 + nc] (K, nc) = W^T (K, c_in) X[:, c0 : c0 + nc] */
    mc_nn_gemm(true, false, K, nc, c_in, 1.0f, l->params[0].data, K, l->tmp + c0, ld, 0.0f, l->cols + c0, ld);
    /* y[b0 + j, co] = act(bias[co] + col2im(cols of sample j, channel co)) */
    for (int j = j0; j < j1; j++)
        for (int c = 0; c < c_out; c++) {
            float *yp = yc + j * out_n + c * plane;
            col2im_channel(g, l->cols + j * G, ld, c, bias[c], yp);
            nn_act_forward_serial(l->act, l->slope, yp, plane);
        }
}

void nn_convt_forward(mc_nn_layer *l) {
    const int64_t K = l->kdim, G = l->grid, in_n = l->in_numel, out_n = l->out_numel;
    nn_blas_serial();
    for (int b0 = 0; b0 < l->n; b0 += l->chunk) {
        const int nb = l->n - b0 < l->chunk ? l->n - b0 : l->chunk, nblk = sample_blocks(nb);
        const int64_t ld = nb * G;
        const float *xc = l->x + b0 * in_n;
        float *yc = l->y + b0 * out_n;
#pragma omp parallel for schedule(static, 1) if (nblk > 1 && ld * (K + l->c_in) > NN_PAR_MIN)
        for (int blk = 0; blk < nblk; blk++) {
            int j0, j1;
            block_range(nb, nblk, blk, &j0, &j1);
            convt_fwd_block(l, xc, yc, nb, j0, j1);
        }
    }
}

/* ConvTranspose2d backward, stage 1 for samples [j0, j1): cols = im2col(dy) over the output
 * geometry, tmp = the input, channel-major. */
static void convt_bwd_gather(mc_nn_layer *l, const float *dyc, const float *xc, int nb, int j0, int j1) {
    const nn_conv_geom *g = &l->geom;
    const int64_t G = l->grid, ld = nb * G, in_n = l->in_numel, out_n = l->out_numel;
    const int64_t plane = (int64_t)g->h * g->w;
    for (int j = j0; j < j1; j++) {
        for (int c = 0; c < g->c; c++) im2col_channel(g, dyc + j * out_n + c * plane, c, l->cols + j * G, ld);
        for (int c = 0; c < l->c_in; c++)
            memcpy(l->tmp + c * ld + j * G, xc + j * in_n + c * G, (size_t)G * sizeof(float));
    }
}

/* ConvTranspose2d backward, stage 3 for samples [j0, j1): dX = W cols on their columns (into tmp),
 * then back to (n, c_in, G). */
static void convt_bwd_dx(mc_nn_layer *l, float *dxc, int nb, int j0, int j1) {
    const int64_t K = l->kdim, G = l->grid, ld = nb * G, in_n = l->in_numel;
    const int64_t c0 = j0 * G, nc = (int64_t)(j1 - j0) * G;
    mc_nn_gemm(false, false, l->c_in, nc, K, 1.0f, l->params[0].data, K, l->cols + c0, ld, 0.0f, l->tmp + c0,
               ld);
    for (int j = j0; j < j1; j++)
        for (int c = 0; c < l->c_in; c++)
            memcpy(dxc + j * in_n + c * G, l->tmp + c * ld + j * G, (size_t)G * sizeof(float));
}

void nn_convt_backward(mc_nn_layer *l, float *dy) {
    const nn_conv_geom *g = &l->geom;
    const int64_t K = l->kdim, G = l->grid, in_n = l->in_numel, out_n = l->out_numel;
    const int c_in = l->c_in, c_out = l->c_out;
    float *dw = l->params[0].grad;
    nn_blas_serial();
    /* dy <- dy * act'(y); db[co] += sum over (b, y, x) */
    act_backward_bias(l, dy, c_out, (int64_t)g->h * g->w);
    for (int c = 0; c < c_out; c++) l->bias_acc[c] = 0.0;
    reduce_bias(l, l->bias_part, l->n, c_out);
    for (int c = 0; c < c_out; c++) l->params[1].grad[c] += (float)l->bias_acc[c];
    for (int b0 = 0; b0 < l->n; b0 += l->chunk) {
        const int nb = l->n - b0 < l->chunk ? l->n - b0 : l->chunk, nblk = sample_blocks(nb);
        const int64_t ld = nb * G;
        const float *dyc = dy + b0 * out_n, *xc = l->x + b0 * in_n;
        float *dxc = l->input_grad ? l->dx + b0 * in_n : NULL;
        const bool par = nblk > 1 && ld * (K + c_in) > NN_PAR_MIN;
        /* 1. cols (K, nb G) = im2col(dy); tmp (c_in, nb G) = X channel-major */
#pragma omp parallel for schedule(static, 1) if (par)
        for (int blk = 0; blk < nblk; blk++) {
            int j0, j1;
            block_range(nb, nblk, blk, &j0, &j1);
            convt_bwd_gather(l, dyc, xc, nb, j0, j1);
        }
        /* 2. dW (c_in, K) += X (c_in, nb G) cols^T (nb G, K) */
        mc_nn_gemm(false, true, c_in, K, ld, 1.0f, l->tmp, ld, l->cols, ld, 1.0f, dw, K);
        if (!dxc) continue;
        /* 3. dX (c_in, nb G) = W (c_in, K) cols (K, nb G) */
#pragma omp parallel for schedule(static, 1) if (par)
        for (int blk = 0; blk < nblk; blk++) {
            int j0, j1;
            block_range(nb, nblk, blk, &j0, &j1);
            convt_bwd_dx(l, dxc, nb, j0, j1);
        }
    }
}
