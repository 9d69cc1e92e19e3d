/* The generic layer: construction helpers, forward/backward dispatch, activations, accessors,
 * initialisation, and the sequential container. */
#include "nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- construction */

/* The status of the last nn_layer_new that returned NULL on this thread (nn_internal.h). */
static _Thread_local mc_status nn_new_status = MC_STATUS_OK;

mc_status nn_layer_new_status(void) { return nn_new_status; }

void *nn_layer_alloc(mc_nn_layer *l, size_t n, size_t size) {
    void *p = mc_alloc(n, size);
    if (p) l->bytes += n * size;
    else mc_error_nomem("out of memory allocating a buffer of layer %s (batch %d)", l->name[0] ? l->name : "(unnamed)",
                        l->max_batch);
    return p;
}

/* numel of a shape, or -1 when a side is < 1 or the product passes INT64_MAX (checked before each
 * multiplication: three sides near INT32_MAX would overflow int64, undefined behaviour). */
static int64_t shape_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || n > INT64_MAX / shape[i]) return -1;
        n *= shape[i];
    }
    return n;
}

mc_status nn_check_act(mc_nn_act act, const char *name) {
    if (act < MC_NN_ACT_NONE || act > MC_NN_ACT_TANH)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: unknown activation %d", name, (int)act);
    return MC_STATUS_OK;
}

mc_nn_layer *nn_layer_new(mc_nn_kind kind, const char *name, mc_nn_act act, int max_batch,
                          int in_ndim, const int64_t *in_shape, int out_ndim,
                          const int64_t *out_shape) {
    if (!name) name = "";
    if (strlen(name) + 32 >= MC_NN_NAME_MAX) {
        mc_error_set(MC_STATUS_INVALID_ARG, "layer name \"%.40s...\" is longer than %d characters", name,
                     MC_NN_NAME_MAX - 32);
        return NULL;
    }
    nn_new_status = MC_STATUS_INVALID_ARG;
    if (max_batch < 1) {
        mc_error_set(MC_STATUS_INVALID_ARG, "%s: max_batch %d must be >= 1", name, max_batch);
        return NULL;
    }
    if (nn_check_act(act, name) != MC_STATUS_OK) return NULL;
    const int64_t in_numel = shape_numel(in_ndim, in_shape), out_numel = shape_numel(out_ndim, out_shape);
    /* per-sample sizes stay within int (BLAS dimensions) and batches within int64 */
    if (in_numel < 1 || out_numel < 1 || in_numel > INT32_MAX || out_numel > INT32_MAX) {
        mc_error_set(MC_STATUS_INVALID_ARG, "%s: per-sample size %lld -> %lld is out of range (1..2^31-1; -1: "
                     "a side < 1 or a product past 2^63)", name, (long long)in_numel, (long long)out_numel);
        return NULL;
    }
    nn_new_status = MC_STATUS_NO_MEMORY;
    mc_nn_layer *l = mc_alloc(1, sizeof *l);
    if (!l) {
        mc_error_nomem("out of memory allocating layer %s", name);
        return NULL;
    }
    l->kind = kind;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->act = act;
    l->slope = 0.01f;
    l->max_batch = max_batch;
    l->training = true;
    l->input_grad = true;
    l->in_ndim = in_ndim;
    l->out_ndim = out_ndim;
    for (int i = 0; i < in_ndim; i++) l->in_shape[i] = in_shape[i];
    for (int i = 0; i < out_ndim; i++) l->out_shape[i] = out_shape[i];
    l->in_numel = in_numel;
    l->out_numel = out_numel;
    /* conv layers allocate theirs once they know their path (conv.c: on oneDNN's, when first needed) */
    if (kind == MC_NN_KIND_CONV2D || kind == MC_NN_KIND_CONV_TRANSPOSE2D) return l;
    if (!nn_layer_ensure_y(l) || !nn_layer_ensure_dx(l)) {
        mc_nn_layer_free(l);
        return NULL;
    }
    return l;
}

bool nn_layer_ensure_y(mc_nn_layer *l) {
    if (!l->y) l->y = nn_layer_alloc(l, (size_t)l->max_batch * (size_t)l->out_numel, sizeof(float));
    return l->y != NULL;
}

bool nn_layer_ensure_dx(mc_nn_layer *l) {
    if (l->input_grad && !l->dx) l->dx = nn_layer_alloc(l, (size_t)l->max_batch * (size_t)l->in_numel, sizeof(float));
    return !l->input_grad || l->dx != NULL;
}

mc_status nn_layer_add_param(mc_nn_layer *l, const char *suffix, int ndim, const int64_t *shape,
                             bool trainable, int64_t fan_in) {
    mc_nn_param *p = &l->params[l->n_params];
    memset(p, 0, sizeof *p);
    if (l->name[0])
        snprintf(p->name, sizeof p->name, "%.63s.%.31s", l->name, suffix); /* names < 64 chars */
    else
        snprintf(p->name, sizeof p->name, "%.31s", suffix);
    p->ndim = ndim;
    p->numel = shape_numel(ndim, shape);
    if (p->numel < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: parameter shape out of range (a side < 1 or more than 2^63 "
                            "values)", p->name);
    for (int i = 0; i < ndim; i++) p->shape[i] = shape[i];
    p->fan_in = fan_in;
    if (ndim == 0) {
        /* the int64 counter (num_batches_tracked) lives in the layer */
        p->i64 = &l->num_batches_tracked;
    } else {
        p->data = nn_layer_alloc(l, (size_t)p->numel, sizeof(float));
        if (!p->data) return MC_STATUS_NO_MEMORY;
        if (trainable) {
            p->grad = nn_layer_alloc(l, (size_t)p->numel, sizeof(float));
            if (!p->grad) return MC_STATUS_NO_MEMORY;
        }
    }
    l->n_params++;
    return MC_STATUS_OK;
}

void mc_nn_layer_free(mc_nn_layer *l) {
    if (!l) return;
    for (int i = 0; i < l->n_params; i++) {
        mc_free(l->params[i].data);
        mc_free(l->params[i].grad);
    }
    nn_dnn_free(l);
    mc_free(l->y);
    mc_free(l->dx);
    mc_free(l->cols);
    mc_free(l->tmp);
    mc_free(l->bias_acc);
    mc_free(l->bias_part);
    mc_free(l->mean);
    mc_free(l->invstd);
    mc_free(l);
}

mc_status mc_nn_activation_create(const char *name, mc_nn_act act, int64_t numel, int max_batch,
                                  mc_nn_layer **out_layer) {
    if (!out_layer) return mc_error_set(MC_STATUS_INVALID_ARG, "activation: out_layer is NULL");
    *out_layer = NULL;
    if (numel < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: numel %lld must be >= 1",
                                       name ? name : "activation", (long long)numel);
    mc_nn_layer *l = nn_layer_new(MC_NN_KIND_ACTIVATION, name, act, max_batch, 1, &numel, 1, &numel);
    if (!l) return nn_layer_new_status();
    *out_layer = l;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- activations */

/* The loops below are written branch-free with restrict pointers and `omp simd` so that they
 * vectorise (element-wise: the vector width cannot change a result). */
void nn_act_forward_serial(mc_nn_act act, float slope, float *restrict y, int64_t count) {
    switch (act) {
    case MC_NN_ACT_NONE: break;
    case MC_NN_ACT_RELU: /* torch.relu: max(x, 0) */
#pragma omp simd
        for (int64_t i = 0; i < count; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        break;
    case MC_NN_ACT_LEAKY_RELU: /* torch.nn.functional.leaky_relu: x > 0 ? x : slope x */
#pragma omp simd
        for (int64_t i = 0; i < count; i++) y[i] = y[i] > 0.0f ? y[i] : y[i] * slope;
        break;
    case MC_NN_ACT_SIGMOID: /* 1 / (1 + exp(-x)), in double then rounded once */
        for (int64_t i = 0; i < count; i++) y[i] = (float)(1.0 / (1.0 + exp(-(double)y[i])));
        break;
    case MC_NN_ACT_TANH:
        for (int64_t i = 0; i < count; i++) y[i] = (float)tanh((double)y[i]);
        break;
    }
}

void nn_bias_act_serial(mc_nn_act act, float slope, float *dst, const float *src, float bias,
                        int64_t count) {
    switch (act) {
    case MC_NN_ACT_RELU:
#pragma omp simd
        for (int64_t i = 0; i < count; i++) {
            float v = src[i] + bias;
            dst[i] = v > 0.0f ? v : 0.0f;
        }
        break;
    case MC_NN_ACT_LEAKY_RELU:
#pragma omp simd
        for (int64_t i = 0; i < count; i++) {
            float v = src[i] + bias;
            dst[i] = v > 0.0f ? v : v * slope;
        }
        break;
    default:
#pragma omp simd
        for (int64_t i = 0; i < count; i++) dst[i] = src[i] + bias;
        nn_act_forward_serial(act, slope, dst, count);
        break;
    }
}

void nn_act_backward_serial(mc_nn_act act, float slope, const float *restrict y, float *restrict dy,
                            int64_t count) {
    /* Derivatives written in terms of the output y, as torch's backward formulas:
     * relu: threshold_backward(grad, result, 0) = grad where y > 0; leaky_relu: x > 0 <=> y > 0
     * for slope >= 0; sigmoid_backward: grad (1 - y) y; tanh_backward: grad (1 - y^2). */
    switch (act) {
    case MC_NN_ACT_NONE: break;
    case MC_NN_ACT_RELU:
#pragma omp simd
        for (int64_t i = 0; i < count; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case MC_NN_ACT_LEAKY_RELU:
#pragma omp simd
        for (int64_t i = 0; i < count; i++) dy[i] = y[i] > 0.0f ? dy[i] : dy[i] * slope;
        break;
    case MC_NN_ACT_SIGMOID:
#pragma omp simd
        for (int64_t i = 0; i < count; i++) dy[i] = dy[i] * (1.0f - y[i]) * y[i];
        break;
    case MC_NN_ACT_TANH:
#pragma omp simd
        for (int64_t i = 0; i < count; i++) dy[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    }
}

double nn_act_backward_copy_sum(mc_nn_act act, float slope, const float *restrict y,
                                const float *restrict dy, float *restrict dst, int64_t count) {
    /* dst = dy * act'(y) as nn_act_backward_serial, then the sum of dst (nn_sum_f64's order) */
    if (act == MC_NN_ACT_RELU) {
#pragma omp simd
        for (int64_t i = 0; i < count; i++) dst[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    } else {
        memcpy(dst, dy, (size_t)count * sizeof(float));
        nn_act_backward_serial(act, slope, y, dst, count);
    }
    return nn_sum_f64(dst, count);
}

/* Element-wise, so splitting into blocks cannot change a result. */
#define ACT_BLOCK 16384

void nn_act_forward(mc_nn_act act, float slope, float *y, int64_t count) {
    if (act == MC_NN_ACT_NONE) return;
    int64_t nblk = (count + ACT_BLOCK - 1) / ACT_BLOCK;
#pragma omp parallel for if (count > NN_PAR_MIN) schedule(static)
    for (int64_t b = 0; b < nblk; b++) {
        int64_t lo = b * ACT_BLOCK, len = count - lo < ACT_BLOCK ? count - lo : ACT_BLOCK;
        nn_act_forward_serial(act, slope, y + lo, len);
    }
}

void nn_act_backward(mc_nn_act act, float slope, const float *y, float *dy, int64_t count) {
    if (act == MC_NN_ACT_NONE) return;
    int64_t nblk = (count + ACT_BLOCK - 1) / ACT_BLOCK;
#pragma omp parallel for if (count > NN_PAR_MIN) schedule(static)
    for (int64_t b = 0; b < nblk; b++) {
        int64_t lo = b * ACT_BLOCK, len = count - lo < ACT_BLOCK ? count - lo : ACT_BLOCK;
        nn_act_backward_serial(act, slope, y + lo, dy + lo, len);
    }
}

/* ---------------------------------------------------------------- profiling */

static bool g_profiling;

void mc_nn_set_profiling(bool on) { g_profiling = on; }

void mc_nn_layer_times(const mc_nn_layer *l, double t[4]) {
    for (int i = 0; i < 4; i++) t[i] = l ? l->times[i] : 0.0;
}

void mc_nn_layer_times_reset(mc_nn_layer *l) {
    if (l) memset(l->times, 0, sizeof l->times);
}

static void clocks(double c[2]) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    c[0] = (double)a.tv_sec + 1e-9 * (double)a.tv_nsec;
    c[1] = (double)b.tv_sec + 1e-9 * (double)b.tv_nsec;
}

static mc_status layer_forward_impl(mc_nn_layer *l, int n, const float *x, float **y, bool from_up,
                                    bool need_y);
static mc_status layer_backward_impl(mc_nn_layer *l, float *dy, float **dx, bool from_down, bool need_dx);

static mc_status layer_forward(mc_nn_layer *l, int n, const float *x, float **y, bool from_up, bool need_y) {
    if (!g_profiling || !l) return layer_forward_impl(l, n, x, y, from_up, need_y);
    double a[2], b[2];
    clocks(a);
    mc_status st = layer_forward_impl(l, n, x, y, from_up, need_y);
    clocks(b);
    l->times[0] += b[0] - a[0];
    l->times[1] += b[1] - a[1];
    return st;
}

static mc_status layer_backward(mc_nn_layer *l, float *dy, float **dx, bool from_down, bool need_dx) {
    if (!g_profiling || !l) return layer_backward_impl(l, dy, dx, from_down, need_dx);
    double a[2], b[2];
    clocks(a);
    mc_status st = layer_backward_impl(l, dy, dx, from_down, need_dx);
    clocks(b);
    l->times[2] += b[0] - a[0];
    l->times[3] += b[1] - a[1];
    return st;
}

/* ---------------------------------------------------------------- dispatch */

/* from_up: x is the unchanged output of l->up's last forward; need_y false: only l->down reads the
 * output (only mc_nn_seq_forward knows these). */
static mc_status layer_forward_impl(mc_nn_layer *l, int n, const float *x, float **y, bool from_up,
                                    bool need_y) {
    if (y) *y = NULL;
    /* from_up: the blocked copy of l->up's output is read and x may be NULL (not written) */
    if (!l || (!x && !from_up)) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_forward: layer or x is NULL");
    if (n < 1 || n > l->max_batch)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: batch %d not in [1, max_batch %d]", l->name, n,
                            l->max_batch);
    if (l->kind == MC_NN_KIND_BATCHNORM && l->training && (int64_t)n * l->spatial < 2)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: training BatchNorm needs more than 1 value per channel (batch %d)",
                            l->name, n);
    l->n = n;
    l->x = x;
    l->dx_blocked = l->y_lazy = l->dx_lazy = false;
    if (l->dn) {
        mc_status st = nn_dnn_forward(l, from_up, need_y);
        if (y) *y = st == MC_STATUS_OK ? l->y : NULL;
        return st;
    }
    switch (l->kind) {
    case MC_NN_KIND_LINEAR: nn_linear_forward(l); break;
    case MC_NN_KIND_CONV2D: nn_conv_forward(l); break;
    case MC_NN_KIND_CONV_TRANSPOSE2D: nn_convt_forward(l); break;
    case MC_NN_KIND_BATCHNORM: nn_bn_forward(l); break;
    case MC_NN_KIND_ACTIVATION:
        memcpy(l->y, x, (size_t)n * (size_t)l->in_numel * sizeof(float));
        break;
    }
    /* Conv layers apply the activation in their output pass; the others here. */
    if (l->kind != MC_NN_KIND_CONV2D && l->kind != MC_NN_KIND_CONV_TRANSPOSE2D)
        nn_act_forward(l->act, l->slope, l->y, (int64_t)n * l->out_numel);
    if (y) *y = l->y;
    return MC_STATUS_OK;
}

mc_status mc_nn_forward(mc_nn_layer *l, int n, const float *x, float **y) {
    return layer_forward(l, n, x, y, false, true);
}

/* from_down: dy is the unchanged input gradient of l->down's last backward, which left a blocked
 * copy; need_dx false: only l->up reads the input gradient (only mc_nn_seq_backward knows these). */
static mc_status layer_backward_impl(mc_nn_layer *l, float *dy, float **dx, bool from_down, bool need_dx) {
    if (dx) *dx = NULL;
    /* from_down: the blocked copy of l->down's input gradient is read and dy may be NULL */
    if (!l || (!dy && !from_down)) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_backward: layer or dy is NULL");
    if (l->n < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: backward before any forward", l->name);
    int64_t count = (int64_t)l->n * l->out_numel;
    l->dx_blocked = l->dx_lazy = false;
    if (l->dn) {
        mc_status st = nn_dnn_backward(l, dy, from_down, need_dx);
        if (dx && st == MC_STATUS_OK) *dx = l->input_grad ? l->dx : NULL;
        return st;
    }
    switch (l->kind) {
    case MC_NN_KIND_LINEAR:
        nn_act_backward(l->act, l->slope, l->y, dy, count);
        nn_linear_backward(l, dy);
        break;
    case MC_NN_KIND_CONV2D: nn_conv_backward(l, dy); break; /* activation fused in */
    case MC_NN_KIND_CONV_TRANSPOSE2D: nn_convt_backward(l, dy); break;
    case MC_NN_KIND_BATCHNORM:
        nn_act_backward(l->act, l->slope, l->y, dy, count);
        nn_bn_backward(l, dy);
        break;
    case MC_NN_KIND_ACTIVATION:
        nn_act_backward(l->act, l->slope, l->y, dy, count);
        if (l->input_grad) memcpy(l->dx, dy, (size_t)count * sizeof(float));
        break;
    }
    if (dx) *dx = l->input_grad ? l->dx : NULL;
    return MC_STATUS_OK;
}

mc_status mc_nn_backward(mc_nn_layer *l, float *dy, float **dx) {
    return layer_backward(l, dy, dx, false, true);
}

/* ---------------------------------------------------------------- settings and accessors */

mc_status mc_nn_layer_set_input_grad(mc_nn_layer *l, bool on) {
    if (!l) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_layer_set_input_grad: layer is NULL");
    if (l->dn) {
        mc_status st = nn_dnn_set_input_grad(l, on);
        if (st != MC_STATUS_OK) return st;
    }
    if (on && !l->dx && !l->dn) { /* a blocked-path layer allocates it when first needed */
        l->dx = nn_layer_alloc(l, (size_t)l->max_batch * (size_t)l->in_numel, sizeof(float));
        if (!l->dx) return MC_STATUS_NO_MEMORY;
    } else if (!on && l->dx) {
        l->bytes -= (size_t)l->max_batch * (size_t)l->in_numel * sizeof(float);
        mc_free(l->dx);
        l->dx = NULL;
    }
    l->input_grad = on;
    return MC_STATUS_OK;
}

const char *mc_nn_precision_name(mc_nn_precision p) { return p == MC_NN_PRECISION_BF16 ? "bf16" : "fp32"; }

mc_status mc_nn_precision_parse(const char *s, mc_nn_precision *out) {
    if (s && strcmp(s, "fp32") == 0) {
        *out = MC_NN_PRECISION_FP32;
        return MC_STATUS_OK;
    }
    if (s && strcmp(s, "bf16") == 0) {
        *out = MC_NN_PRECISION_BF16;
        return MC_STATUS_OK;
    }
    return mc_error_set(MC_STATUS_INVALID_ARG, "unknown precision \"%s\" (choose fp32 or bf16)", s ? s : "");
}

mc_status mc_nn_layer_set_precision(mc_nn_layer *l, mc_nn_precision p, mc_nn_precision *used) {
    mc_nn_precision u = MC_NN_PRECISION_FP32;
    if (used) *used = u;
    if (!l) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_layer_set_precision: layer is NULL");
    if (p != MC_NN_PRECISION_FP32 && p != MC_NN_PRECISION_BF16)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: unknown precision %d", l->name, (int)p);
    mc_status st = l->dn ? nn_dnn_set_precision(l, p, &u) : MC_STATUS_OK;
    if (used) *used = u;
    return st;
}

void mc_nn_layer_set_training(mc_nn_layer *l, bool training) {
    if (l) l->training = training;
}

mc_status mc_nn_layer_set_negative_slope(mc_nn_layer *l, float slope) {
    if (!l || !(slope >= 0.0f) || !isfinite(slope))
        return mc_error_set(MC_STATUS_INVALID_ARG, "negative slope must be finite and >= 0");
    l->slope = slope;
    return MC_STATUS_OK;
}

mc_nn_kind mc_nn_layer_kind(const mc_nn_layer *l) { return l->kind; }
const char *mc_nn_layer_name(const mc_nn_layer *l) { return l->name; }
int mc_nn_layer_max_batch(const mc_nn_layer *l) { return l->max_batch; }
int64_t mc_nn_layer_in_numel(const mc_nn_layer *l) { return l->in_numel; }
int64_t mc_nn_layer_out_numel(const mc_nn_layer *l) { return l->out_numel; }
/* A blocked-path layer allocates its NCHW buffers when first needed, and inside an mc_nn_seq may have
 * left them in its blocked copy only: allocate and write them now. */
float *mc_nn_layer_output(mc_nn_layer *l) {
    if (!nn_layer_ensure_y(l)) return NULL;
    if ((l->y_lazy || l->dx_lazy) && nn_dnn_materialize(l) != MC_STATUS_OK) return NULL;
    return l->y;
}
float *mc_nn_layer_input_grad(mc_nn_layer *l) {
    if (!nn_layer_ensure_dx(l)) return NULL;
    if ((l->y_lazy || l->dx_lazy) && nn_dnn_materialize(l) != MC_STATUS_OK) return NULL;
    return l->dx;
}
int mc_nn_layer_param_count(const mc_nn_layer *l) { return l ? l->n_params : 0; }
size_t mc_nn_layer_bytes(const mc_nn_layer *l) { return l ? l->bytes + sizeof *l : 0; }

int mc_nn_layer_out_shape(const mc_nn_layer *l, int64_t shape[3]) {
    for (int i = 0; i < l->out_ndim; i++) shape[i] = l->out_shape[i];
    return l->out_ndim;
}

mc_nn_param *mc_nn_layer_param(mc_nn_layer *l, int i) {
    if (!l || i < 0 || i >= l->n_params) return NULL;
    return &l->params[i];
}

void mc_nn_param_entry(const mc_nn_param *p, mc_tensor_entry *e) {
    memset(e, 0, sizeof *e);
    e->name = p->name;
    e->ndim = p->ndim;
    for (int i = 0; i < p->ndim; i++) e->shape[i] = p->shape[i];
    if (p->i64) {
        e->dtype = MC_DTYPE_I64;
        e->data = p->i64;
    } else {
        e->dtype = MC_DTYPE_F32;
        e->data = p->data;
    }
}

/* ---------------------------------------------------------------- initialisation */

void mc_nn_init_uniform(float *w, int64_t count, double bound, mc_rng *rng) {
    for (int64_t i = 0; i < count; i++) w[i] = (float)((2.0 * mc_rng_uniform(rng) - 1.0) * bound);
}

void mc_nn_layer_init(mc_nn_layer *l, mc_rng *rng) {
    if (!l) return;
    switch (l->kind) {
    case MC_NN_KIND_LINEAR:
    case MC_NN_KIND_CONV2D:
    case MC_NN_KIND_CONV_TRANSPOSE2D: {
        /* torch.nn.Linear / _ConvNd.reset_parameters: kaiming_uniform_(w, a=sqrt(5)) has gain
         * sqrt(2 / (1 + 5)) and bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in); the bias uses
         * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the same fan_in. */
        double bound = 1.0 / sqrt((double)l->params[0].fan_in);
        mc_nn_init_uniform(l->params[0].data, l->params[0].numel, bound, rng);
        mc_nn_init_uniform(l->params[1].data, l->params[1].numel, bound, rng);
        break;
    }
    case MC_NN_KIND_BATCHNORM:
        /* _NormBase.reset_parameters / reset_running_stats */
        for (int64_t c = 0; c < l->params[0].numel; c++) {
            l->params[0].data[c] = 1.0f;
            l->params[1].data[c] = 0.0f;
            l->params[2].data[c] = 0.0f;
            l->params[3].data[c] = 1.0f;
        }
        l->num_batches_tracked = 0;
        break;
    case MC_NN_KIND_ACTIVATION: break;
    }
}

/* ---------------------------------------------------------------- sequential */

struct mc_nn_seq {
    int n, cap;
    mc_nn_layer **layers;
};

mc_status mc_nn_seq_create(mc_nn_seq **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_seq_create: out is NULL");
    *out = mc_alloc(1, sizeof **out);
    return *out ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
}

mc_status mc_nn_seq_add(mc_nn_seq *s, mc_nn_layer *l) {
    if (!s || !l) {
        mc_nn_layer_free(l);
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_seq_add: sequence or layer is NULL");
    }
    if (s->n > 0) {
        mc_nn_layer *prev = s->layers[s->n - 1];
        if (prev->out_numel != l->in_numel || prev->max_batch != l->max_batch) {
            mc_status st = mc_error_set(MC_STATUS_INVALID_ARG,
                                        "%s: input size %lld (max batch %d) does not match %s's output "
                                        "%lld (max batch %d)",
                                        l->name, (long long)l->in_numel, l->max_batch, prev->name,
                                        (long long)prev->out_numel, prev->max_batch);
            mc_nn_layer_free(l);
            return st;
        }
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        mc_nn_layer **nl = mc_alloc((size_t)cap, sizeof *nl);
        if (!nl) {
            mc_nn_layer_free(l);
            return MC_STATUS_NO_MEMORY;
        }
        if (s->n) memcpy(nl, s->layers, (size_t)s->n * sizeof *nl);
        mc_free(s->layers);
        s->layers = nl;
        s->cap = cap;
    }
    /* consecutive conv layers on the blocked path hand each other their blocked buffers */
    if (s->n > 0) nn_dnn_link(s->layers[s->n - 1], l);
    s->layers[s->n++] = l;
    return MC_STATUS_OK;
}

void mc_nn_seq_free(mc_nn_seq *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) mc_nn_layer_free(s->layers[i]);
    mc_free(s->layers);
    mc_free(s);
}

int mc_nn_seq_count(const mc_nn_seq *s) { return s ? s->n : 0; }

mc_nn_layer *mc_nn_seq_layer(mc_nn_seq *s, int i) {
    if (!s || i < 0 || i >= s->n) return NULL;
    return s->layers[i];
}

/* The end (exclusive) of the run of linked conv layers that starts at layer i: block-by-block
 * execution through several layers (nn_dnn_forward_run) needs at least two, and is off while
 * profiling (the per-layer timers need the layers one at a time). */
static int run_end(const mc_nn_seq *s, int i) {
    int j = i + 1;
    while (j < s->n && s->layers[j - 1]->down == s->layers[j]) j++;
    return g_profiling || j - i < 2 ? i + 1 : j;
}

mc_status mc_nn_seq_forward(mc_nn_seq *s, int n, const float *x, float **y) {
    if (y) *y = NULL;
    if (!s || s->n == 0) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_seq_forward: empty sequence");
    const float *h = x;
    float *out = NULL;
    for (int i = 0; i < s->n; i++) {
        const int j = run_end(s, i);
        if (j > i + 1) {
            /* a run of linked conv layers: each block of samples through all of them */
            mc_nn_layer **ls = s->layers + i;
            if (!h) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_forward: layer or x is NULL");
            if (n < 1 || n > ls[0]->max_batch)
                return mc_error_set(MC_STATUS_INVALID_ARG, "%s: batch %d not in [1, max_batch %d]", ls[0]->name, n,
                                    ls[0]->max_batch);
            for (int k = 0; k < j - i; k++) {
                ls[k]->n = n;
                ls[k]->x = k ? ls[k - 1]->y : h;
                ls[k]->dx_blocked = ls[k]->y_lazy = ls[k]->dx_lazy = false;
            }
            mc_status st = nn_dnn_forward_run(ls, j - i, n);
            if (st != MC_STATUS_OK) return st;
            out = ls[j - i - 1]->y;
            h = out;
            i = j - 1;
            continue;
        }
        mc_nn_layer *l = s->layers[i];
        bool from_up = i > 0 && l->up == s->layers[i - 1];
        bool need_y = !(i + 1 < s->n && l->down == s->layers[i + 1]);
        mc_status st = layer_forward(l, n, h, &out, from_up, need_y);
        if (st != MC_STATUS_OK) return st;
        h = out;
    }
    if (y) *y = out;
    return MC_STATUS_OK;
}

mc_status mc_nn_seq_backward(mc_nn_seq *s, float *dy, float **dx) {
    if (dx) *dx = NULL;
    if (!s || s->n == 0) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_seq_backward: empty sequence");
    float *g = dy;
    for (int i = s->n - 1; i >= 0; i--) {
        /* the run of linked conv layers that ends at i, when each one computes its input gradient */
        int i0 = i;
        while (i0 > 0 && s->layers[i0 - 1]->down == s->layers[i0] && s->layers[i0]->input_grad) i0--;
        if (i - i0 >= 1 && !g_profiling && run_end(s, i0) == i + 1) {
            mc_nn_layer **ls = s->layers + i0;
            for (int k = 0; k <= i - i0; k++) {
                if (ls[k]->n < 1)
                    return mc_error_set(MC_STATUS_INVALID_ARG, "%s: backward before any forward", ls[k]->name);
                ls[k]->dx_blocked = ls[k]->dx_lazy = false;
            }
            mc_status st = nn_dnn_backward_run(ls, i - i0 + 1, g);
            if (st != MC_STATUS_OK) return st;
            g = ls[0]->input_grad ? ls[0]->dx : NULL;
            if (i0 > 0 && !g)
                return mc_error_set(MC_STATUS_INVALID_ARG, "%s: input gradient is off but %s needs it",
                                    ls[0]->name, s->layers[i0 - 1]->name);
            i = i0;
            continue;
        }
        float *gi = NULL;
        mc_nn_layer *next = i + 1 < s->n ? s->layers[i + 1] : NULL;
        bool from_down = next && s->layers[i]->down == next && next->dx_blocked;
        bool need_dx = !(i > 0 && s->layers[i]->up == s->layers[i - 1]);
        mc_status st = layer_backward(s->layers[i], g, &gi, from_down, need_dx);
        if (st != MC_STATUS_OK) return st;
        /* a layer whose input gradient only l->up reads (in its blocked copy) hands over no NCHW one */
        if (i > 0 && !gi && !(s->layers[i]->dx_blocked && !need_dx))
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: input gradient is off but %s needs it",
                                s->layers[i]->name, s->layers[i - 1]->name);
        g = gi;
    }
    if (dx) *dx = g;
    return MC_STATUS_OK;
}

void mc_nn_seq_set_training(mc_nn_seq *s, bool training) {
    for (int i = 0; s && i < s->n; i++) mc_nn_layer_set_training(s->layers[i], training);
}

mc_status mc_nn_seq_set_precision(mc_nn_seq *s, mc_nn_precision p, mc_nn_precision *used) {
    mc_nn_precision any = MC_NN_PRECISION_FP32;
    for (int i = 0; s && i < s->n; i++) {
        mc_nn_precision u;
        mc_status st = mc_nn_layer_set_precision(s->layers[i], p, &u);
        if (st != MC_STATUS_OK) return st;
        if (u == MC_NN_PRECISION_BF16) any = u;
    }
    if (used) *used = any;
    return MC_STATUS_OK;
}

void mc_nn_seq_init(mc_nn_seq *s, mc_rng *rng) {
    for (int i = 0; s && i < s->n; i++) mc_nn_layer_init(s->layers[i], rng);
}
