/* Losses with their gradients, and the reparameterisation trick. Sums are taken in double over fixed
 * blocks (the partition depends only on the count), then the block sums in block order: the value
 * is the same for every thread count. */
#include "nn_internal.h"

#include <math.h>

#define LOSS_MAX_BLOCKS 256
#define LOSS_MIN_BLOCK 16384

/* Blocks of at least LOSS_MIN_BLOCK values, at most LOSS_MAX_BLOCKS of them. */
static int64_t block_len(int64_t count) {
    int64_t len = (count + LOSS_MAX_BLOCKS - 1) / LOSS_MAX_BLOCKS;
    return len < LOSS_MIN_BLOCK ? LOSS_MIN_BLOCK : len;
}

static double sum_parts(const double *part, int64_t nb) {
    double s = 0.0;
    for (int64_t b = 0; b < nb; b++) s += part[b];
    return s;
}

double mc_nn_mse_loss(const float *pred, const float *target, int64_t count, mc_nn_reduction red,
                      float scale, float *grad) {
    if (count <= 0) return 0.0;
    double part[LOSS_MAX_BLOCKS];
    const int64_t bl = block_len(count), nb = (count + bl - 1) / bl;
    /* torch mse_loss backward: 2 (pred - target) grad_out, grad_out = scale (sum) or scale / N (mean) */
    const float gs = red == MC_NN_REDUCTION_MEAN ? (float)((double)scale / (double)count) : scale;
#pragma omp parallel for schedule(static) if (count > NN_PAR_MIN)
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * bl, hi = lo + bl < count ? lo + bl : count;
        double s = 0.0;
        for (int64_t i = lo; i < hi; i++) {
            float d = pred[i] - target[i];
            s += (double)d * (double)d;
            if (grad) grad[i] += 2.0f * d * gs;
        }
        part[b] = s;
    }
    double loss = sum_parts(part, nb);
    return red == MC_NN_REDUCTION_MEAN ? loss / (double)count : loss;
}

/* One element of binary cross-entropy: the loss term, and (when g is not NULL) gs times its
 * derivative in *g. logits: x is a logit (torch binary_cross_entropy_with_logits), else a
 * probability (torch binary_cross_entropy). */
static inline double bce_term(bool logits, double v, double t, double gs, double *g) {
    if (logits) {
        const double x = v;
        /* torch binary_cross_entropy_with_logits: m = max(-x, 0);
         * (1 - t) x + m + log(exp(-m) + exp(-x - m)) */
        double m = -x > 0.0 ? -x : 0.0;
        /* backward: sigmoid(x) - t */
        if (g) *g = gs * (1.0 / (1.0 + exp(-x)) - t);
        return (1.0 - t) * x + m + log(exp(-m) + exp(-x - m));
    }
    const double p = v;
    /* torch binary_cross_entropy (CPU): (t - 1) max(log1p(-p), -100) - t max(log p, -100) */
    double l1 = log1p(-p), l0 = log(p);
    if (!(l1 >= -100.0)) l1 = -100.0;
    if (!(l0 >= -100.0)) l0 = -100.0;
    if (g) {
        /* binary_cross_entropy_backward: (p - t) / max((1 - p) p, 1e-12) */
        double den = (1.0 - p) * p;
        if (den < 1e-12) den = 1e-12;
        *g = gs * (p - t) / den;
    }
    return (t - 1.0) * l1 - t * l0;
}

/* Both BCE losses: the fixed-block reduction around bce_term. */
static double bce_loss(bool logits, const float *in, const float *target, int64_t count, mc_nn_reduction red,
                       float scale, float *grad) {
    /* the fixed-block reduction: blocks of block_len(count) elements whatever the thread count, each
     * summed in double, the parts added in block order (byte-identical for any --threads) */
    if (count <= 0) return 0.0;
    double part[LOSS_MAX_BLOCKS];
    const int64_t bl = block_len(count), nb = (count + bl - 1) / bl;
    const double gs = red == MC_NN_REDUCTION_MEAN ? (double)scale / (double)count : (double)scale;
#pragma omp parallel for schedule(static) if (count > NN_PAR_MIN)
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * bl, hi = lo + bl < count ? lo + bl : count;
        double s = 0.0;
        for (int64_t i = lo; i < hi; i++) {
            double g = 0.0;
            s += bce_term(logits, in[i], target[i], gs, grad ? &g : NULL);
            if (grad) grad[i] += (float)g;
        }
        part[b] = s;
    }
    double loss = sum_parts(part, nb);
    return red == MC_NN_REDUCTION_MEAN ? loss / (double)count : loss;
}

double mc_nn_bce_loss(const float *prob, const float *target, int64_t count, mc_nn_reduction red,
                      float scale, float *grad) {
    return bce_loss(false, prob, target, count, red, scale, grad);
}

double mc_nn_bce_logits_loss(const float *logits, const float *target, int64_t count,
                             mc_nn_reduction red, float scale, float *grad) {
    return bce_loss(true, logits, target, count, red, scale, grad);
}

double mc_nn_kl_normal(const float *mu, const float *logvar, int64_t count, float scale, float *dmu,
                       float *dlogvar) {
    if (count <= 0) return 0.0;
    double part[LOSS_MAX_BLOCKS];
    const int64_t bl = block_len(count), nb = (count + bl - 1) / bl;
#pragma omp parallel for schedule(static) if (count > NN_PAR_MIN)
    for (int64_t b = 0; b < nb; b++) {
        int64_t lo = b * bl, hi = lo + bl < count ? lo + bl : count;
        double s = 0.0;
        for (int64_t i = lo; i < hi; i++) {
            double m = mu[i], lv = logvar[i], e = exp(lv);
            /* -0.5 (1 + lv - mu^2 - exp(lv)) */
            s += -0.5 * (1.0 + lv - m * m - e);
            /* d/dmu = mu; d/dlv = -0.5 (1 - exp(lv)) */
            if (dmu) dmu[i] += scale * mu[i];
            if (dlogvar) dlogvar[i] += (float)((double)scale * 0.5 * (e - 1.0));
        }
        part[b] = s;
    }
    return sum_parts(part, nb);
}

void mc_nn_normal_fill(mc_rng *rng, float *eps, int64_t count) {
    for (int64_t i = 0; i < count; i++) eps[i] = (float)mc_rng_normal(rng);
}

void mc_nn_reparam_forward(const float *mu, const float *logvar, const float *eps, int64_t count,
                           float *z) {
    /* z = mu + eps * exp(0.5 lv), in float in that order (as the PyTorch expression) */
#pragma omp parallel for schedule(static) if (count > NN_PAR_MIN)
    for (int64_t i = 0; i < count; i++) z[i] = mu[i] + eps[i] * expf(0.5f * logvar[i]);
}

void mc_nn_reparam_backward(const float *logvar, const float *eps, const float *dz, int64_t count,
                            float *dmu, float *dlogvar) {
#pragma omp parallel for schedule(static) if (count > NN_PAR_MIN)
    for (int64_t i = 0; i < count; i++) {
        /* dz/dmu = 1 */
        dmu[i] += dz[i];
        /* dz/dlv = eps * exp(0.5 lv) * 0.5 */
        dlogvar[i] += dz[i] * eps[i] * expf(0.5f * logvar[i]) * 0.5f;
    }
}
