/* torch.nn.BatchNorm1d / BatchNorm2d (eps 1e-5, momentum 0.1, affine, track_running_stats) on
 * inputs (n, C, S) with S = 1 (BatchNorm1d on (n, C)), L, or H W. Statistics are per channel over
 * the n S values, accumulated in double in index order; threads own whole channels. */
#include "nn_internal.h"

#include <math.h>

mc_status mc_nn_batchnorm_create(const char *name, int channels, int64_t spatial, mc_nn_act act,
                                 int max_batch, mc_nn_layer **out_layer) {
    if (!out_layer) return mc_error_set(MC_STATUS_INVALID_ARG, "batchnorm: out_layer is NULL");
    *out_layer = NULL;
    if (channels < 1 || spatial < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: BatchNorm(%d) over %lld positions: sizes must be >= 1",
                            name ? name : "batchnorm", channels, (long long)spatial);
    int64_t shape[2] = {channels, spatial};
    int nd = spatial == 1 ? 1 : 2;
    mc_nn_layer *l = nn_layer_new(MC_NN_KIND_BATCHNORM, name, act, max_batch, nd, shape, nd, shape);
    if (!l) return nn_layer_new_status();
    l->spatial = spatial;
    l->eps = 1e-5;
    l->momentum = 0.1;
    int64_t c = channels;
    mc_status st = nn_layer_add_param(l, "weight", 1, &c, true, 0);
    if (st == MC_STATUS_OK) st = nn_layer_add_param(l, "bias", 1, &c, true, 0);
    if (st == MC_STATUS_OK) st = nn_layer_add_param(l, "running_mean", 1, &c, false, 0);
    if (st == MC_STATUS_OK) st = nn_layer_add_param(l, "running_var", 1, &c, false, 0);
    if (st == MC_STATUS_OK) st = nn_layer_add_param(l, "num_batches_tracked", 0, NULL, false, 0);
    if (st == MC_STATUS_OK) {
        l->mean = nn_layer_alloc(l, (size_t)channels, sizeof(float));
        l->invstd = nn_layer_alloc(l, (size_t)channels, sizeof(float));
        if (!l->mean || !l->invstd) st = MC_STATUS_NO_MEMORY;
    }
    if (st != MC_STATUS_OK) {
        mc_nn_layer_free(l);
        return st;
    }
    /* torch's constructor state: weight 1, bias 0, running mean 0, running var 1 */
    mc_nn_layer_init(l, NULL);
    *out_layer = l;
    return MC_STATUS_OK;
}

void nn_bn_forward(mc_nn_layer *l) {
    const int64_t n = l->n, S = l->spatial, C = l->params[0].numel;
    const int64_t m = n * S;
    const float *x = l->x, *gamma = l->params[0].data, *beta = l->params[1].data;
    float *rm = l->params[2].data, *rv = l->params[3].data, *y = l->y;
    const bool train = l->training;
    const double mom = l->momentum, eps = l->eps;
#pragma omp parallel for schedule(static) if (m * C > NN_PAR_MIN)
    for (int64_t c = 0; c < C; c++) {
        double mean, var;
        if (train) {
            /* batch mean and biased variance (two passes) */
            double s = 0.0;
            for (int64_t b = 0; b < n; b++)
                for (int64_t i = 0; i < S; i++) s += (double)x[(b * C + c) * S + i];
            mean = s / (double)m;
            double q = 0.0;
            for (int64_t b = 0; b < n; b++)
                for (int64_t i = 0; i < S; i++) {
                    double d = (double)x[(b * C + c) * S + i] - mean;
                    q += d * d;
                }
            var = q / (double)m;
            /* running stats: (1 - momentum) old + momentum new, with the unbiased variance
             * (torch.nn.functional.batch_norm in training mode) */
            rm[c] = (float)((1.0 - mom) * (double)rm[c] + mom * mean);
            rv[c] = (float)((1.0 - mom) * (double)rv[c] + mom * var * (double)m / (double)(m - 1));
        } else {
            mean = (double)rm[c];
            var = (double)rv[c];
        }
        double invstd = 1.0 / sqrt(var + eps);
        l->mean[c] = (float)mean;
        l->invstd[c] = (float)invstd;
        /* y = (x - mean) invstd gamma + beta */
        double a = invstd * (double)gamma[c], bb = (double)beta[c] - mean * a;
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < S; i++) {
                int64_t o = (b * C + c) * S + i;
                y[o] = (float)((double)x[o] * a + bb);
            }
    }
    if (train) l->num_batches_tracked++;
}

void nn_bn_backward(mc_nn_layer *l, const float *dy) {
    const int64_t n = l->n, S = l->spatial, C = l->params[0].numel;
    const int64_t m = n * S;
    const float *x = l->x, *gamma = l->params[0].data;
    float *dgamma = l->params[0].grad, *dbeta = l->params[1].grad, *dx = l->dx;
    const bool train = l->training, want_dx = l->input_grad;
#pragma omp parallel for schedule(static) if (m * C > NN_PAR_MIN)
    for (int64_t c = 0; c < C; c++) {
        const double mean = (double)l->mean[c], invstd = (double)l->invstd[c];
        /* sum_dy = sum dy, sum_dyx = sum dy xhat, xhat = (x - mean) invstd */
        double sum_dy = 0.0, sum_dyx = 0.0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < S; i++) {
                int64_t o = (b * C + c) * S + i;
                sum_dy += (double)dy[o];
                sum_dyx += (double)dy[o] * ((double)x[o] - mean) * invstd;
            }
        /* dgamma += sum dy xhat; dbeta += sum dy */
        dgamma[c] += (float)sum_dyx;
        dbeta[c] += (float)sum_dy;
        if (!want_dx) continue;
        const double gi = (double)gamma[c] * invstd;
        if (train) {
            /* the batch statistics depend on x: dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat)) */
            const double mdy = sum_dy / (double)m, mdyx = sum_dyx / (double)m;
            for (int64_t b = 0; b < n; b++)
                for (int64_t i = 0; i < S; i++) {
                    int64_t o = (b * C + c) * S + i;
                    double xhat = ((double)x[o] - mean) * invstd;
                    dx[o] = (float)(gi * ((double)dy[o] - mdy - xhat * mdyx));
                }
        } else {
            /* running statistics are constants: dx = gamma invstd dy */
            for (int64_t b = 0; b < n; b++)
                for (int64_t i = 0; i < S; i++) {
                    int64_t o = (b * C + c) * S + i;
                    dx[o] = (float)(gi * (double)dy[o]);
                }
        }
    }
}
