/* torch.nn.Linear: y = x W^T + b, W (out, in), b (out). */
#include "nn_internal.h"

#include <string.h>

mc_status mc_nn_linear_create(const char *name, int in, int out, mc_nn_act act, int max_batch,
                              mc_nn_layer **out_layer) {
    if (!out_layer) return mc_error_set(MC_STATUS_INVALID_ARG, "linear: out_layer is NULL");
    *out_layer = NULL;
    if (in < 1 || out < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: Linear(%d, %d): sizes must be >= 1",
                            name ? name : "linear", in, out);
    int64_t is = in, os = out;
    mc_nn_layer *l = nn_layer_new(MC_NN_KIND_LINEAR, name, act, max_batch, 1, &is, 1, &os);
    if (!l) return nn_layer_new_status();
    int64_t wshape[2] = {out, in};
    mc_status st = nn_layer_add_param(l, "weight", 2, wshape, true, in);
    if (st == MC_STATUS_OK) st = nn_layer_add_param(l, "bias", 1, &os, true, in);
    if (st == MC_STATUS_OK) {
        l->bias_acc = nn_layer_alloc(l, (size_t)out, sizeof(double));
        if (!l->bias_acc) st = MC_STATUS_NO_MEMORY;
    }
    if (st != MC_STATUS_OK) {
        mc_nn_layer_free(l);
        return st;
    }
    *out_layer = l;
    return MC_STATUS_OK;
}

void nn_linear_forward(mc_nn_layer *l) {
    const int64_t n = l->n, in = l->in_numel, out = l->out_numel;
    const float *w = l->params[0].data, *b = l->params[1].data;
    float *y = l->y;
    /* y (n, out) = x (n, in) W^T (in, out) */
    mc_nn_gemm(false, true, n, out, in, 1.0f, l->x, in, w, in, 0.0f, y, out);
#pragma omp parallel for if (n * out > NN_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < out; j++) y[i * out + j] += b[j];
}

void nn_linear_backward(mc_nn_layer *l, const float *dy) {
    const int64_t n = l->n, in = l->in_numel, out = l->out_numel;
    const float *w = l->params[0].data;
    float *dw = l->params[0].grad, *db = l->params[1].grad;
    /* db[j] += sum_i dy[i, j]: per column, rows in index order, in double (the same sum for any
     * thread count: threads only own disjoint column blocks). */
    double *acc = l->bias_acc;
    const int64_t cb = 256, nblk = (out + cb - 1) / cb;
#pragma omp parallel for if (n * out > NN_PAR_MIN) schedule(static)
    for (int64_t blk = 0; blk < nblk; blk++) {
        int64_t j0 = blk * cb, j1 = j0 + cb < out ? j0 + cb : out;
        for (int64_t j = j0; j < j1; j++) acc[j] = 0.0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = j0; j < j1; j++) acc[j] += (double)dy[i * out + j];
        for (int64_t j = j0; j < j1; j++) db[j] += (float)acc[j];
    }
    /* dW (out, in) += dy^T (out, n) x (n, in) */
    mc_nn_gemm(true, false, out, in, n, 1.0f, dy, out, l->x, in, 1.0f, dw, in);
    /* dx (n, in) = dy (n, out) W (out, in) */
    if (l->input_grad) mc_nn_gemm(false, false, n, in, out, 1.0f, dy, out, w, in, 0.0f, l->dx, in);
}
