/* Central finite-difference gradient checks (as torch.autograd.gradcheck, but with an error measured
 * relative to the gradient's scale). */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

static mc_status check_args(bool has_f, const void *x, const void *grad, int64_t count,
                            int64_t max_checks, double h, mc_nn_gradcheck_result *res) {
    if (!has_f || !x || !grad || !res)
        return mc_error_set(MC_STATUS_INVALID_ARG, "gradcheck: NULL argument");
    if (count < 1 || max_checks < 1 || !(h > 0.0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "gradcheck: count %lld, max_checks %lld, h %g invalid",
                            (long long)count, (long long)max_checks, h);
    return MC_STATUS_OK;
}

/* Indices checked: all, or max_checks spread evenly (i count / max_checks). */
static int64_t index_at(int64_t i, int64_t count, int64_t checks) {
    return checks >= count ? i : (int64_t)((double)i * (double)count / (double)checks);
}

mc_status mc_nn_gradcheck_f64(double (*f)(void *ctx), void *ctx, double *x, const double *grad,
                              int64_t count, int64_t max_checks, double h,
                              mc_nn_gradcheck_result *res) {
    mc_status st = check_args(f != NULL, x, grad, count, max_checks, h, res);
    if (st != MC_STATUS_OK) return st;
    memset(res, 0, sizeof *res);
    int64_t checks = max_checks < count ? max_checks : count;
    double scale = 0.0;
    for (int64_t i = 0; i < checks; i++) {
        double g = fabs(grad[index_at(i, count, checks)]);
        if (g > scale) scale = g;
    }
    for (int64_t i = 0; i < checks; i++) {
        int64_t j = index_at(i, count, checks);
        double save = x[j];
        x[j] = save + h;
        double fp = f(ctx);
        x[j] = save - h;
        double fm = f(ctx);
        x[j] = save;
        double fd = (fp - fm) / (2.0 * h);
        double d = fabs(fd - grad[j]);
        if (d != d) d = INFINITY;
        double e = d / (scale + 1e-300);
        if (d > res->max_abs) res->max_abs = d;
        if (e > res->max_err || i == 0) {
            res->max_err = e;
            res->worst = j;
        }
    }
    res->grad_scale = scale;
    res->checked = checks;
    return MC_STATUS_OK;
}

mc_status mc_nn_gradcheck_f32(double (*f)(void *ctx), void *ctx, float *x, const float *grad,
                              int64_t count, int64_t max_checks, double h,
                              mc_nn_gradcheck_result *res) {
    mc_status st = check_args(f != NULL, x, grad, count, max_checks, h, res);
    if (st != MC_STATUS_OK) return st;
    memset(res, 0, sizeof *res);
    int64_t checks = max_checks < count ? max_checks : count;
    double scale = 0.0;
    for (int64_t i = 0; i < checks; i++) {
        double g = fabs((double)grad[index_at(i, count, checks)]);
        if (g > scale) scale = g;
    }
    for (int64_t i = 0; i < checks; i++) {
        int64_t j = index_at(i, count, checks);
        float save = x[j];
        /* the steps actually taken after rounding to float */
        float xp = (float)((double)save + h), xm = (float)((double)save - h);
        x[j] = xp;
        double fp = f(ctx);
        x[j] = xm;
        double fm = f(ctx);
        x[j] = save;
        double fd = (fp - fm) / ((double)xp - (double)xm);
        double d = fabs(fd - (double)grad[j]);
        if (d != d) d = INFINITY;
        double e = d / (scale + 1e-300);
        if (d > res->max_abs) res->max_abs = d;
        if (e > res->max_err || i == 0) {
            res->max_err = e;
            res->worst = j;
        }
    }
    res->grad_scale = scale;
    res->checked = checks;
    return MC_STATUS_OK;
}
