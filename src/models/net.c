/* The networks of the VAE family built from nn's layers, and one training step's forward and backward.
 *
 * MLP (vae, ae, beta-vae, cvae on vectors), as the peer's MLP in ../shared/peers/torch_vae.py:
 *   enc.fc<i>  Linear(in_i, hidden[i]) + ReLU, in_0 = D + C          (body)
 *   enc.mu, enc.logvar  Linear(H, Z)                                   (heads; the AE has enc.mu only)
 *   dec.fc<i>  Linear(Z + C, hidden[last]) + ReLU ... mirrored, dec.out Linear(hidden[0], D)
 * Conv (conv-vae, cvae on log-mel), the peer's Conv class generalised to n_conv layers:
 *   enc.conv<i> Conv2d(c_{i-1}, c_i, 4, 2, 1) + ReLU, c_{-1} = 1      (body, H = c_last * h * w)
 *   enc.mu, enc.logvar  Linear(H + C, Z)
 *   dec.fc  Linear(Z + C, H) (no activation, as the peer), viewed as (c_last, h, w)
 *   dec.deconv<i> ConvTranspose2d(c_{n-1-i}, c_{n-2-i} (1 for the last), 4, 2, 1) + ReLU but the last.
 * C = condition classes (one-hot), 0 without a condition.
 * The multimodal VAE (mm-vae) is built and run by mm.c; the functions here hand over to it. */
#include "net_build.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void mdl_net_free(mdl_net *n) {
    if (!n) return;
    if (n->mm) mdl_mm_free(n);
    mc_nn_adam_free(n->adam);
    mc_nn_params_free(n->params);
    mc_nn_seq_free(n->enc);
    mc_nn_seq_free(n->dec);
    mc_nn_layer_free(n->mu);
    mc_nn_layer_free(n->logvar);
    if (n->enc_in != n->x) mc_free(n->enc_in);
    if (n->dec_in != n->z) mc_free(n->dec_in);
    mc_free(n->x);
    mc_free(n->cond);
    mc_free(n->head_in);
    mc_free(n->eps);
    mc_free(n->z);
    mc_free(n->drecon);
    mc_free(n->dmu);
    mc_free(n->dlv);
    mc_free(n->dz);
    mc_free(n->dh);
    mc_free(n);
}

void mdl_net_copy_state(mdl_net *dst, const mdl_net *src) {
    const int np = mc_nn_params_count(src->params);
    for (int i = 0; i < np; i++) {
        const mc_nn_param *a = mc_nn_params_at(src->params, i);
        mc_nn_param *b = mc_nn_params_at(dst->params, i);
        if (a->data) memcpy(b->data, a->data, (size_t)a->numel * sizeof(float));
        else if (a->i64 && b->i64) *b->i64 = *a->i64;
    }
    const int na = mc_nn_adam_count(src->adam);
    for (int i = 0; i < na; i++) {
        float *ma = NULL, *va = NULL, *mb = NULL, *vb = NULL;
        const mc_nn_param *p = mc_nn_adam_param(src->adam, i, &ma, &va);
        mc_nn_adam_param(dst->adam, i, &mb, &vb);
        memcpy(mb, ma, (size_t)p->numel * sizeof(float));
        memcpy(vb, va, (size_t)p->numel * sizeof(float));
    }
    mc_nn_adam_set_steps(dst->adam, mc_nn_adam_steps(src->adam));
}

/* ---------------------------------------------------------------- builders (net_build.h) */

mc_status mdl_add_linear(mc_nn_seq *s, const char *name, int64_t in, int64_t out, mc_nn_act act, int B) {
    mc_nn_layer *l = NULL;
    if (in > INT32_MAX || out > INT32_MAX)
        return mc_error_set(MC_STATUS_INVALID_ARG, "model: layer %s is too large (%lld -> %lld)", name,
                            (long long)in, (long long)out);
    mc_status st = mc_nn_linear_create(name, (int)in, (int)out, act, B, &l);
    if (st != MC_STATUS_OK) return st;
    return mc_nn_seq_add(s, l);
}

mc_status mdl_head(const char *name, int64_t in, int Z, int B, mc_nn_layer **out) {
    if (in > INT32_MAX) return mc_error_set(MC_STATUS_INVALID_ARG, "model: %s input too large", name);
    return mc_nn_linear_create(name, (int)in, Z, MC_NN_ACT_NONE, B, out);
}

mc_status mdl_mlp_body(mc_nn_seq *s, const char *prefix, int64_t in, const int *w, int nw, int B, int64_t *width) {
    char name[MC_NN_NAME_MAX];
    mc_status st = MC_STATUS_OK;
    for (int i = 0; i < nw && st == MC_STATUS_OK; i++) {
        snprintf(name, sizeof name, "%s.fc%d", prefix, i);
        st = mdl_add_linear(s, name, in, w[i], MC_NN_ACT_RELU, B);
        in = w[i];
    }
    *width = in;
    return st;
}

mc_status mdl_mlp_decoder(mc_nn_seq *s, const char *prefix, int64_t in, const int *w, int nw, int64_t out, int B) {
    char name[MC_NN_NAME_MAX];
    mc_status st = MC_STATUS_OK;
    for (int i = 0; i < nw && st == MC_STATUS_OK; i++) {
        snprintf(name, sizeof name, "%s.fc%d", prefix, i);
        st = mdl_add_linear(s, name, in, w[nw - 1 - i], MC_NN_ACT_RELU, B);
        in = w[nw - 1 - i];
    }
    snprintf(name, sizeof name, "%s.out", prefix);
    if (st == MC_STATUS_OK) st = mdl_add_linear(s, name, in, out, MC_NN_ACT_NONE, B);
    return st;
}

mc_status mdl_conv_body(mc_nn_seq *s, const char *prefix, const int *channels, int n_conv, int n_mels, int frames,
                        int B, int64_t *width) {
    char name[MC_NN_NAME_MAX];
    mc_status st = MC_STATUS_OK;
    int c_in = 1, h = n_mels, w = frames;
    for (int i = 0; i < n_conv && st == MC_STATUS_OK; i++) {
        mc_nn_layer *l = NULL;
        snprintf(name, sizeof name, "%s.conv%d", prefix, i);
        st = mc_nn_conv2d_create(name, c_in, h, w, channels[i], 4, 2, 1, MC_NN_ACT_RELU, B, &l);
        if (st == MC_STATUS_OK) st = mc_nn_seq_add(s, l);
        c_in = channels[i];
        h /= 2;
        w /= 2;
    }
    *width = (int64_t)c_in * h * w;
    return st;
}

mc_status mdl_conv_decoder(mc_nn_seq *s, const char *prefix, int64_t in, int64_t H, const int *channels, int n_conv,
                           int n_mels, int frames, int B) {
    char name[MC_NN_NAME_MAX];
    snprintf(name, sizeof name, "%s.fc", prefix);
    mc_status st = mdl_add_linear(s, name, in, H, MC_NN_ACT_NONE, B);
    const int k = n_conv;
    int h = n_mels >> k, w = frames >> k;
    for (int i = 0; i < k && st == MC_STATUS_OK; i++) {
        int c_in = channels[k - 1 - i], c_out = i == k - 1 ? 1 : channels[k - 2 - i];
        mc_nn_layer *l = NULL;
        snprintf(name, sizeof name, "%s.deconv%d", prefix, i);
        st = mc_nn_conv_transpose2d_create(name, c_in, h, w, c_out, 4, 2, 1, 0,
                                           i == k - 1 ? MC_NN_ACT_NONE : MC_NN_ACT_RELU, B, &l);
        if (st == MC_STATUS_OK) st = mc_nn_seq_add(s, l);
        h *= 2;
        w *= 2;
    }
    return st;
}

mc_status mdl_step_buffers(mdl_net *n, int B) {
    const size_t b = (size_t)B, D = (size_t)n->D, Z = (size_t)n->Z;
    n->x = mc_alloc(b * D, sizeof(float));
    n->eps = mc_alloc(b * Z, sizeof(float));
    n->z = mc_alloc(b * Z, sizeof(float));
    n->drecon = mc_alloc(b * D, sizeof(float));
    n->dmu = mc_alloc(b * Z, sizeof(float));
    n->dlv = mc_alloc(b * Z, sizeof(float));
    n->dz = mc_alloc(b * Z, sizeof(float));
    n->dh = mc_alloc(b * (size_t)n->H, sizeof(float));
    if (!(n->x && n->eps && n->z && n->drecon && n->dmu && n->dlv && n->dz && n->dh))
        return mc_error_nomem("model: out of memory for the step buffers of %d rows", B);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- the VAE family */

static mc_status net_create(const mc_model_config *cfg, int64_t D, int n_mels, int frames, int C, int64_t L,
                            int max_batch, bool optimiser, mdl_net **out) {
    *out = NULL;
    mdl_net *n = mc_alloc(1, sizeof *n);
    if (!n) return MC_STATUS_NO_MEMORY;
    n->conv = cfg->input == MC_MODEL_INPUT_LOGMEL;
    n->variational = cfg->kind != MC_MODEL_KIND_AE;
    n->D = D;
    n->C = C;
    n->Z = cfg->latent;
    n->max_batch = max_batch;
    const int Z = n->Z, B = max_batch;
    mc_status st = MC_STATUS_OK;
    int64_t HI; /* width the heads read */
    if (cfg->kind == MC_MODEL_KIND_MM_VAE) {
        n->variational = true;
        st = mdl_mm_create(cfg, D, n_mels, frames, C, L, max_batch, n);
        if (st != MC_STATUS_OK) goto fail;
        *out = n;
        return MC_STATUS_OK;
    }

    /* ---- encoder body */
    if (n->conv) {
        st = mc_nn_seq_create(&n->enc);
        if (st == MC_STATUS_OK) st = mdl_conv_body(n->enc, "enc", cfg->channels, cfg->n_conv, n_mels, frames, B, &n->H);
        HI = n->H + C;
    } else if (cfg->n_hidden > 0) {
        st = mc_nn_seq_create(&n->enc);
        if (st == MC_STATUS_OK) st = mdl_mlp_body(n->enc, "enc", D + C, cfg->hidden, cfg->n_hidden, B, &n->H);
        HI = n->H;
    } else {
        n->H = D + C; /* the heads read [x, cond] directly */
        HI = n->H;
    }
    if (st != MC_STATUS_OK) goto fail;
    /* The first layer reads the data: no input gradient needed (saves a GEMM / col2im). */
    if (n->enc) st = mc_nn_layer_set_input_grad(mc_nn_seq_layer(n->enc, 0), false);
    if (st != MC_STATUS_OK) goto fail;

    /* ---- heads */
    st = mdl_head("enc.mu", HI, Z, B, &n->mu);
    if (st == MC_STATUS_OK && n->variational) st = mdl_head("enc.logvar", HI, Z, B, &n->logvar);
    if (st == MC_STATUS_OK && !n->enc) {
        st = mc_nn_layer_set_input_grad(n->mu, false);
        if (st == MC_STATUS_OK && n->logvar) st = mc_nn_layer_set_input_grad(n->logvar, false);
    }
    if (st != MC_STATUS_OK) goto fail;

    /* ---- decoder */
    st = mc_nn_seq_create(&n->dec);
    if (st != MC_STATUS_OK) goto fail;
    if (n->conv)
        st = mdl_conv_decoder(n->dec, "dec", Z + C, n->H, cfg->channels, cfg->n_conv, n_mels, frames, B);
    else
        st = mdl_mlp_decoder(n->dec, "dec", Z + C, cfg->hidden, cfg->n_hidden, D, B);
    if (st != MC_STATUS_OK) goto fail;

    /* ---- parameters (state_dict order) and the optimiser */
    st = mc_nn_params_create(&n->params);
    if (st == MC_STATUS_OK && n->enc) st = mc_nn_params_add_seq(n->params, n->enc);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_layer(n->params, n->mu);
    if (st == MC_STATUS_OK && n->logvar) st = mc_nn_params_add_layer(n->params, n->logvar);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_seq(n->params, n->dec);
    if (st != MC_STATUS_OK) goto fail;
    if (optimiser) {
        mc_nn_adam_config ac;
        mc_nn_adam_config_default(&ac, false);
        ac.lr = cfg->lr;
        st = mc_nn_adam_create(n->params, &ac, &n->adam);
        if (st != MC_STATUS_OK) goto fail;
    }

    /* ---- step buffers */
    if ((st = mdl_step_buffers(n, B)) != MC_STATUS_OK) goto fail;
    bool ok = true;
    n->enc_in = n->x;
    n->dec_in = n->z;
    if (C > 0) {
        n->cond = mc_alloc((size_t)B * C, sizeof(float));
        n->dec_in = mc_alloc((size_t)B * (Z + C), sizeof(float));
        if (!n->conv) n->enc_in = mc_alloc((size_t)B * (size_t)(D + C), sizeof(float));
        else n->head_in = mc_alloc((size_t)B * (size_t)HI, sizeof(float));
        ok = ok && n->cond && n->dec_in && n->enc_in && (!n->conv || n->head_in);
    }
    if (!ok) { st = mc_error_nomem("model: out of memory for the condition buffers"); goto fail; }
    *out = n;
    return MC_STATUS_OK;
fail:
    mdl_net_free(n);
    return st;
}

mc_status mdl_net_create(const mc_model_config *cfg, int64_t D, int n_mels, int frames, int C,
                         int64_t L, int max_batch, mdl_net **out) {
    return net_create(cfg, D, n_mels, frames, C, L, max_batch, true, out);
}

mc_status mdl_net_create_worker(const mc_model_config *cfg, int64_t D, int n_mels, int frames, int C,
                                int64_t L, int max_batch, mdl_net **out) {
    *out = NULL;
    if (cfg->kind == MC_MODEL_KIND_MM_VAE)
        return mc_error_set(MC_STATUS_INVALID_ARG, "model: no worker copies of an mm-vae");
    return net_create(cfg, D, n_mels, frames, C, L, max_batch, false, out);
}

void mdl_net_init(mdl_net *n, mc_rng *rng) {
    if (n->mm) {
        mdl_mm_init(n, rng);
        return;
    }
    /* Module order, as torch constructs them: encoder body, mu, logvar, decoder. */
    if (n->enc) mc_nn_seq_init(n->enc, rng);
    mc_nn_layer_init(n->mu, rng);
    if (n->logvar) mc_nn_layer_init(n->logvar, rng);
    mc_nn_seq_init(n->dec, rng);
}

/* rows of dst (B, a + b) = [src_a row, src_b row] */
static void concat_rows(float *dst, const float *a, int64_t wa, const float *b, int64_t wb, int B) {
    for (int r = 0; r < B; r++) {
        memcpy(dst + r * (wa + wb), a + r * wa, (size_t)wa * sizeof(float));
        memcpy(dst + r * (wa + wb) + wa, b + r * wb, (size_t)wb * sizeof(float));
    }
}

/* dst (B, w) = the first w columns of src (B, stride) */
static void cut_cols(float *dst, const float *src, int64_t w, int64_t stride, int B) {
    for (int r = 0; r < B; r++) memcpy(dst + r * w, src + r * stride, (size_t)w * sizeof(float));
}

mc_status mdl_net_forward(mdl_net *n, int B, bool sample) {
    if (n->mm) return mdl_mm_forward(n, B, sample);
    const int Z = n->Z, C = n->C;
    mc_status st = MC_STATUS_OK;
    float *h = n->enc_in; /* (B, H) body output; [x, cond] when there is no body */
    if (n->enc) st = mc_nn_seq_forward(n->enc, B, n->enc_in, &h);
    if (st != MC_STATUS_OK) return st;
    const float *hin = h; /* (B, H + C) what the heads read */
    if (n->conv && C > 0) {
        concat_rows(n->head_in, h, n->H, n->cond, C, B);
        hin = n->head_in;
    }
    st = mc_nn_forward(n->mu, B, hin, &n->mu_out);
    if (st == MC_STATUS_OK && n->variational) st = mc_nn_forward(n->logvar, B, hin, &n->lv_out);
    if (st != MC_STATUS_OK) return st;
    /* z = mu + eps * exp(logvar / 2) (Kingma & Welling's reparameterisation), or mu when not sampling */
    if (n->variational && sample)
        mc_nn_reparam_forward(n->mu_out, n->lv_out, n->eps, (int64_t)B * Z, n->z);
    else
        memcpy(n->z, n->mu_out, (size_t)B * Z * sizeof(float));
    if (C > 0) concat_rows(n->dec_in, n->z, Z, n->cond, C, B);
    return mc_nn_seq_forward(n->dec, B, n->dec_in, &n->recon);
}

mc_status mdl_net_loss(mdl_net *n, int B, double beta, bool backward, double *rec, double *kl) {
    if (n->mm) return mdl_mm_loss(n, B, beta, backward, rec, kl);
    const int Z = n->Z, C = n->C;
    const int64_t D = n->D, BZ = (int64_t)B * Z;
    const int BN = n->loss_rows > 0 ? n->loss_rows : B; /* rows of the mean: the mini-batch */
    const float inv_b = 1.0f / (float)BN;
    if (backward) {
        mc_nn_params_zero_grad(n->params);
        mc_nn_zero(n->drecon, (int64_t)B * D);
    }
    /* rec = sum (recon - x)^2 (F.mse_loss(reduction="sum")); d/drecon of rec / B */
    *rec = mc_nn_mse_loss(n->recon, n->x, (int64_t)B * D, MC_NN_REDUCTION_SUM, inv_b,
                          backward ? n->drecon : NULL);
    *kl = 0;
    if (n->variational) {
        if (backward) {
            mc_nn_zero(n->dmu, BZ);
            mc_nn_zero(n->dlv, BZ);
        }
        /* kl = -1/2 sum(1 + lv - mu^2 - exp(lv)); d/dmu, d/dlv of beta kl / B */
        *kl = mc_nn_kl_normal(n->mu_out, n->lv_out, BZ, (float)(beta / BN), backward ? n->dmu : NULL,
                              backward ? n->dlv : NULL);
    }
    if (!backward) return MC_STATUS_OK;
    /* decoder: drecon -> d[z, cond] */
    float *ddec = NULL;
    mc_status st = mc_nn_seq_backward(n->dec, n->drecon, &ddec);
    if (st != MC_STATUS_OK) return st;
    const float *dz = ddec; /* (B, Z) dLoss/dz */
    if (C > 0) {
        cut_cols(n->dz, ddec, Z, Z + C, B);
        dz = n->dz;
    }
    if (n->variational) {
        /* z = mu + eps exp(lv / 2): dmu += dz, dlv += dz eps exp(lv / 2) / 2 (on top of the KL terms) */
        mc_nn_reparam_backward(n->lv_out, n->eps, dz, BZ, n->dmu, n->dlv);
    } else {
        memcpy(n->dmu, dz, (size_t)BZ * sizeof(float)); /* AE: z = mu */
    }
    /* heads: d(head input) = dmu W_mu + dlv W_lv, summed over the two heads that read it */
    float *da = NULL, *db = NULL;
    st = mc_nn_backward(n->mu, n->dmu, &da);
    if (st == MC_STATUS_OK && n->variational) st = mc_nn_backward(n->logvar, n->dlv, &db);
    if (st != MC_STATUS_OK || !n->enc) return st;
    int64_t HI = n->H + (n->conv ? C : 0);
    if (db) mc_nn_add(da, db, (int64_t)B * HI);
    float *dh = da; /* (B, H) */
    if (n->conv && C > 0) {
        cut_cols(n->dh, da, n->H, HI, B); /* the condition columns are data: their gradient is dropped */
        dh = n->dh;
    }
    return mc_nn_seq_backward(n->enc, dh, NULL);
}
