/* Parameter sets: enumeration for the optimiser and checkpoints, zero_grad, gradient-norm clipping,
 * loading from safetensors. */
#include "nn_internal.h"

#include <math.h>
#include <string.h>

struct mc_nn_params {
    int n, cap;
    mc_nn_param **p;
};

mc_status mc_nn_params_create(mc_nn_params **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_params_create: out is NULL");
    *out = mc_alloc(1, sizeof **out);
    return *out ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
}

void mc_nn_params_free(mc_nn_params *p) {
    if (!p) return;
    mc_free(p->p);
    mc_free(p);
}

static mc_status push(mc_nn_params *s, mc_nn_param *q) {
    for (int i = 0; i < s->n; i++) {
        if (s->p[i] == q)
            return mc_error_set(MC_STATUS_INVALID_ARG, "parameter %s added twice", q->name);
        if (strcmp(s->p[i]->name, q->name) == 0)
            return mc_error_set(MC_STATUS_INVALID_ARG, "two parameters are named %s", q->name);
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        mc_nn_param **np = mc_alloc((size_t)cap, sizeof *np);
        if (!np) return MC_STATUS_NO_MEMORY;
        if (s->n) memcpy(np, s->p, (size_t)s->n * sizeof *np);
        mc_free(s->p);
        s->p = np;
        s->cap = cap;
    }
    s->p[s->n++] = q;
    return MC_STATUS_OK;
}

mc_status mc_nn_params_add_layer(mc_nn_params *p, mc_nn_layer *l) {
    if (!p || !l) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_params_add_layer: NULL argument");
    for (int i = 0; i < l->n_params; i++) {
        mc_status st = push(p, &l->params[i]);
        if (st != MC_STATUS_OK) return st;
    }
    return MC_STATUS_OK;
}

mc_status mc_nn_params_add_seq(mc_nn_params *p, mc_nn_seq *s) {
    if (!p || !s) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_params_add_seq: NULL argument");
    for (int i = 0; i < mc_nn_seq_count(s); i++) {
        mc_status st = mc_nn_params_add_layer(p, mc_nn_seq_layer(s, i));
        if (st != MC_STATUS_OK) return st;
    }
    return MC_STATUS_OK;
}

int mc_nn_params_count(const mc_nn_params *p) { return p ? p->n : 0; }

mc_nn_param *mc_nn_params_at(mc_nn_params *p, int i) {
    if (!p || i < 0 || i >= p->n) return NULL;
    return p->p[i];
}

mc_nn_param *mc_nn_params_find(mc_nn_params *p, const char *name) {
    for (int i = 0; p && name && i < p->n; i++)
        if (strcmp(p->p[i]->name, name) == 0) return p->p[i];
    return NULL;
}

int64_t mc_nn_params_trainable_numel(const mc_nn_params *p) {
    int64_t s = 0;
    for (int i = 0; p && i < p->n; i++)
        if (p->p[i]->grad) s += p->p[i]->numel;
    return s;
}

void mc_nn_params_zero_grad(mc_nn_params *p) {
    for (int i = 0; p && i < p->n; i++)
        if (p->p[i]->grad) mc_nn_zero(p->p[i]->grad, p->p[i]->numel);
}

/* Sum of squares in double over fixed blocks, block sums added in order (thread-count independent). */
#define SQ_BLOCK 65536
static double sumsq(const float *x, int64_t count) {
    int64_t nb = (count + SQ_BLOCK - 1) / SQ_BLOCK;
    double total = 0.0;
    /* at most 64 blocks at a time keeps the partials on the stack */
    for (int64_t b0 = 0; b0 < nb; b0 += 64) {
        double part[64];
        int64_t b1 = b0 + 64 < nb ? b0 + 64 : nb;
#pragma omp parallel for schedule(static) if (count > NN_PAR_MIN)
        for (int64_t b = b0; b < b1; b++) {
            int64_t lo = b * SQ_BLOCK, hi = lo + SQ_BLOCK < count ? lo + SQ_BLOCK : count;
            double s = 0.0;
            for (int64_t i = lo; i < hi; i++) s += (double)x[i] * (double)x[i];
            part[b - b0] = s;
        }
        for (int64_t b = b0; b < b1; b++) total += part[b - b0];
    }
    return total;
}

double mc_nn_param_grad_norm(const mc_nn_param *p) {
    if (!p || !p->grad) return 0.0;
    return sqrt(sumsq(p->grad, p->numel));
}

double mc_nn_params_clip_grad_norm(mc_nn_params *p, double max_norm) {
    /* torch.nn.utils.clip_grad_norm_ (norm_type 2): total = ||(||g_1||, ..., ||g_k||)||_2,
     * clip_coef = max_norm / (total + 1e-6), grads *= min(clip_coef, 1). */
    double total = 0.0;
    for (int i = 0; p && i < p->n; i++)
        if (p->p[i]->grad) total += sumsq(p->p[i]->grad, p->p[i]->numel);
    total = sqrt(total);
    double coef = max_norm / (total + 1e-6);
    if (coef < 1.0) {
        const float c = (float)coef;
        for (int i = 0; i < p->n; i++) {
            float *g = p->p[i]->grad;
            int64_t n = p->p[i]->numel;
            if (!g) continue;
#pragma omp parallel for schedule(static) if (n > NN_PAR_MIN)
            for (int64_t j = 0; j < n; j++) g[j] *= c;
        }
    }
    return total;
}

mc_status mc_nn_params_load(mc_nn_params *p, const mc_safetensors *f, const char *path) {
    if (!p || !f) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_params_load: NULL argument");
    if (!path) path = "safetensors";
    for (int i = 0; i < p->n; i++) {
        mc_nn_param *q = p->p[i];
        const mc_tensor_entry *e = mc_safetensors_find(f, q->name);
        if (!e) return mc_error_set(MC_STATUS_FORMAT, "%s: tensor %s is missing", path, q->name);
        mc_dtype want = q->i64 ? MC_DTYPE_I64 : MC_DTYPE_F32;
        bool same = e->dtype == want && e->ndim == q->ndim;
        for (int d = 0; same && d < q->ndim; d++) same = e->shape[d] == q->shape[d];
        if (!same)
            return mc_error_set(MC_STATUS_FORMAT,
                                "%s: tensor %s has dtype %s and %d dims, expected %s %d dims of the "
                                "model's shape",
                                path, q->name, mc_dtype_name(e->dtype), e->ndim, mc_dtype_name(want),
                                q->ndim);
        if (q->i64)
            memcpy(q->i64, e->data, sizeof(int64_t));
        else
            memcpy(q->data, e->data, (size_t)q->numel * sizeof(float));
    }
    return MC_STATUS_OK;
}
