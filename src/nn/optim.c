/* torch.optim.Adam and torch.optim.AdamW, PyTorch 1.13's _single_tensor_adam (the CPU default:
 * foreach off, amsgrad off, maximize off, capturable off). */
#include "nn_internal.h"

#include <math.h>

/* The step is one sweep over all parameters: a fixed list of pieces of at most ADAM_PIECE values
 * (never crossing a parameter), split over the team in one parallel loop. The update is element-wise,
 * so how the pieces are shared never changes a value. */
#define ADAM_PIECE 16384

typedef struct adam_piece {
    int k;          /* parameter index */
    int64_t lo, hi; /* element range */
} adam_piece;

struct mc_nn_adam {
    mc_nn_adam_config cfg;
    int n;
    mc_nn_param **p; /* (n) trainable parameters */
    float **m, **v;  /* (n) exp_avg, exp_avg_sq, each of its parameter's shape */
    int64_t steps;
    int n_pieces;
    adam_piece *pieces; /* (n_pieces) */
    int64_t total;      /* trainable values */
};

void mc_nn_adam_config_default(mc_nn_adam_config *c, bool adamw) {
    /* torch.optim.Adam / AdamW defaults, except lr 1e-3 for both (AdamW's default too) */
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->weight_decay = adamw ? 1e-2 : 0.0;
    c->decoupled = adamw;
}

void mc_nn_adam_free(mc_nn_adam *a) {
    if (!a) return;
    for (int i = 0; i < a->n; i++) {
        if (a->m) mc_free(a->m[i]);
        if (a->v) mc_free(a->v[i]);
    }
    mc_free(a->m);
    mc_free(a->v);
    mc_free(a->p);
    mc_free(a->pieces);
    mc_free(a);
}

mc_status mc_nn_adam_create(mc_nn_params *p, const mc_nn_adam_config *c, mc_nn_adam **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_adam_create: out is NULL");
    *out = NULL;
    if (!p || !c) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_nn_adam_create: NULL argument");
    /* torch.optim.Adam's argument checks */
    if (!(c->lr >= 0.0)) return mc_error_set(MC_STATUS_INVALID_ARG, "adam: invalid learning rate %g", c->lr);
    if (!(c->eps >= 0.0)) return mc_error_set(MC_STATUS_INVALID_ARG, "adam: invalid eps %g", c->eps);
    if (!(c->beta1 >= 0.0 && c->beta1 < 1.0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "adam: invalid beta1 %g (need [0, 1))", c->beta1);
    if (!(c->beta2 >= 0.0 && c->beta2 < 1.0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "adam: invalid beta2 %g (need [0, 1))", c->beta2);
    if (!(c->weight_decay >= 0.0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "adam: invalid weight_decay %g", c->weight_decay);
    mc_nn_adam *a = mc_alloc(1, sizeof *a);
    if (!a) return MC_STATUS_NO_MEMORY;
    a->cfg = *c;
    int cnt = 0;
    for (int i = 0; i < mc_nn_params_count(p); i++)
        if (mc_nn_params_at(p, i)->grad) cnt++;
    if (cnt == 0) {
        mc_nn_adam_free(a);
        return mc_error_set(MC_STATUS_EMPTY, "adam: no trainable parameters");
    }
    a->p = mc_alloc((size_t)cnt, sizeof *a->p);
    a->m = mc_alloc((size_t)cnt, sizeof *a->m);
    a->v = mc_alloc((size_t)cnt, sizeof *a->v);
    if (!a->p || !a->m || !a->v) {
        mc_nn_adam_free(a);
        return MC_STATUS_NO_MEMORY;
    }
    for (int i = 0; i < mc_nn_params_count(p); i++) {
        mc_nn_param *q = mc_nn_params_at(p, i);
        if (!q->grad) continue;
        a->p[a->n] = q;
        a->m[a->n] = mc_alloc((size_t)q->numel, sizeof(float));
        a->v[a->n] = mc_alloc((size_t)q->numel, sizeof(float));
        a->n++;
        if (!a->m[a->n - 1] || !a->v[a->n - 1]) {
            mc_nn_adam_free(a);
            return MC_STATUS_NO_MEMORY;
        }
    }
    int np = 0;
    for (int k = 0; k < a->n; k++) np += (int)((a->p[k]->numel + ADAM_PIECE - 1) / ADAM_PIECE);
    a->pieces = mc_alloc((size_t)np, sizeof *a->pieces);
    if (!a->pieces) {
        mc_nn_adam_free(a);
        return MC_STATUS_NO_MEMORY;
    }
    for (int k = 0; k < a->n; k++) {
        for (int64_t lo = 0; lo < a->p[k]->numel; lo += ADAM_PIECE) {
            int64_t hi = lo + ADAM_PIECE < a->p[k]->numel ? lo + ADAM_PIECE : a->p[k]->numel;
            a->pieces[a->n_pieces++] = (adam_piece){k, lo, hi};
        }
        a->total += a->p[k]->numel;
    }
    *out = a;
    return MC_STATUS_OK;
}

void mc_nn_adam_step(mc_nn_adam *a) {
    if (!a) return;
    a->steps++;
    const mc_nn_adam_config *c = &a->cfg;
    /* Python scalars (double) in torch; each becomes a float where it meets a float tensor. */
    const double t = (double)a->steps;
    const double bc1 = 1.0 - pow(c->beta1, t), bc2 = 1.0 - pow(c->beta2, t);
    const double step_size = c->lr / bc1, bc2_sqrt = sqrt(bc2);
    const float b1 = (float)c->beta1, omb1 = (float)(1.0 - c->beta1);
    const float b2 = (float)c->beta2, omb2 = (float)(1.0 - c->beta2);
    const float eps = (float)c->eps, wd = (float)c->weight_decay, nss = (float)(-step_size);
    const float bc2s = (float)bc2_sqrt, decay = (float)(1.0 - c->lr * c->weight_decay);
    const bool adamw = c->decoupled, l2 = !c->decoupled && c->weight_decay != 0.0;
#pragma omp parallel for schedule(static) if (a->total > NN_PAR_MIN)
    for (int q = 0; q < a->n_pieces; q++) {
        const int k = a->pieces[q].k;
        float *p = a->p[k]->data, *m = a->m[k], *v = a->v[k];
        const float *gr = a->p[k]->grad;
        for (int64_t i = a->pieces[q].lo; i < a->pieces[q].hi; i++) {
            float pi = p[i], g = gr[i];
            if (adamw) pi = pi * decay;   /* param.mul_(1 - lr * weight_decay) */
            if (l2) g = g + wd * pi;      /* grad = grad.add(param, alpha=weight_decay) */
            float mi = m[i] * b1;         /* exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1) */
            mi = mi + omb1 * g;
            float vi = v[i] * b2;         /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2) */
            vi = vi + omb2 * g * g;
            float denom = sqrtf(vi) / bc2s + eps; /* (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps) */
            p[i] = pi + nss * mi / denom; /* param.addcdiv_(exp_avg, denom, value=-step_size) */
            m[i] = mi;
            v[i] = vi;
        }
    }
}

void mc_nn_adam_set_lr(mc_nn_adam *a, double lr) {
    if (a) a->cfg.lr = lr;
}
int64_t mc_nn_adam_steps(const mc_nn_adam *a) { return a ? a->steps : 0; }
void mc_nn_adam_set_steps(mc_nn_adam *a, int64_t steps) {
    if (a) a->steps = steps;
}
int mc_nn_adam_count(const mc_nn_adam *a) { return a ? a->n : 0; }

mc_nn_param *mc_nn_adam_param(mc_nn_adam *a, int i, float **exp_avg, float **exp_avg_sq) {
    if (!a || i < 0 || i >= a->n) return NULL;
    if (exp_avg) *exp_avg = a->m[i];
    if (exp_avg_sq) *exp_avg_sq = a->v[i];
    return a->p[i];
}
