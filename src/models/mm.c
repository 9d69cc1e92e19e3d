/* The multimodal VAE (mm-vae): an audio encoder and a lyrics encoder fused into one latent, and an
 * audio and a lyrics decoder from it (models.h describes the model and its loss).
 *
 * Layers, in module (= initialisation = state_dict) order; C = condition classes (0 without):
 *   enc.aud.fc<i>  Linear + ReLU over cfg->hidden (vectors), or enc.aud.conv<i> Conv2d(4, 2, 1) + ReLU
 *                  over cfg->channels (log-mel, as the conv-vae)             -> h_a (B, H)
 *   enc.lyr.fc<i>  Linear + ReLU over cfg->lyr_hidden                        -> h_l (B, HL)
 *   concat: enc.fuse.fc<i> Linear + ReLU over cfg->fuse on f = [h_a, m h_l, 1 - m, cond] (B, HF0),
 *           enc.mu, enc.logvar Linear(HF, Z)
 *   poe:    enc.aud.mu, enc.aud.logvar Linear(H + C, Z) on [h_a, cond];
 *           enc.lyr.mu, enc.lyr.logvar Linear(HL + C, Z) on [h_l, cond]
 *   dec.aud.fc<i> + dec.aud.out (the MLP decoder mirrored, as the vae's), or dec.aud.fc Linear(Z + C, H)
 *                  + dec.aud.deconv<i> (as the conv-vae's)                   on [z, cond] -> (B, D)
 *   dec.lyr.fc<i> + dec.lyr.out mirrored over cfg->lyr_hidden               on [z, cond] -> (B, L)
 * m is the row's mask (1 = it has lyrics). */
#include "net_build.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

mc_status mdl_mm_create(const mc_model_config *cfg, int64_t D, int n_mels, int frames, int C, int64_t L,
                        int B, mdl_net *n) {
    n->mm = true;
    n->fusion = cfg->fusion;
    n->L = L;
    n->w_audio = cfg->audio_weight;
    n->w_lyrics = cfg->lyrics_weight;
    const int Z = n->Z;
    const bool poe = cfg->fusion == MC_MODEL_FUSION_POE;
    mc_status st = mc_nn_seq_create(&n->enc);
    if (st == MC_STATUS_OK) st = mc_nn_seq_create(&n->enc_lyr);
    if (st == MC_STATUS_OK) st = mc_nn_seq_create(&n->dec);
    if (st == MC_STATUS_OK) st = mc_nn_seq_create(&n->dec_lyr);
    if (st != MC_STATUS_OK) return st;

    /* ---- encoder bodies */
    if (n->conv) st = mdl_conv_body(n->enc, "enc.aud", cfg->channels, cfg->n_conv, n_mels, frames, B, &n->H);
    else st = mdl_mlp_body(n->enc, "enc.aud", D, cfg->hidden, cfg->n_hidden, B, &n->H);
    if (st == MC_STATUS_OK) st = mdl_mlp_body(n->enc_lyr, "enc.lyr", L, cfg->lyr_hidden, cfg->n_lyr_hidden, B, &n->HL);
    /* the first layers read the data: no input gradient */
    if (st == MC_STATUS_OK) st = mc_nn_layer_set_input_grad(mc_nn_seq_layer(n->enc, 0), false);
    if (st == MC_STATUS_OK) st = mc_nn_layer_set_input_grad(mc_nn_seq_layer(n->enc_lyr, 0), false);
    if (st != MC_STATUS_OK) return st;

    /* ---- fusion and heads */
    if (!poe) {
        n->HF0 = n->H + n->HL + 1 + C;
        n->HF = n->HF0;
        if (cfg->n_fuse > 0) {
            st = mc_nn_seq_create(&n->fuse);
            if (st == MC_STATUS_OK) st = mdl_mlp_body(n->fuse, "enc.fuse", n->HF0, cfg->fuse, cfg->n_fuse, B, &n->HF);
        }
        if (st == MC_STATUS_OK) st = mdl_head("enc.mu", n->HF, Z, B, &n->mu);
        if (st == MC_STATUS_OK) st = mdl_head("enc.logvar", n->HF, Z, B, &n->logvar);
    } else {
        st = mdl_head("enc.aud.mu", n->H + C, Z, B, &n->mu);
        if (st == MC_STATUS_OK) st = mdl_head("enc.aud.logvar", n->H + C, Z, B, &n->logvar);
        if (st == MC_STATUS_OK) st = mdl_head("enc.lyr.mu", n->HL + C, Z, B, &n->mu_l);
        if (st == MC_STATUS_OK) st = mdl_head("enc.lyr.logvar", n->HL + C, Z, B, &n->lv_l);
    }
    if (st != MC_STATUS_OK) return st;

    /* ---- decoders */
    if (n->conv)
        st = mdl_conv_decoder(n->dec, "dec.aud", Z + C, n->H, cfg->channels, cfg->n_conv, n_mels, frames, B);
    else
        st = mdl_mlp_decoder(n->dec, "dec.aud", Z + C, cfg->hidden, cfg->n_hidden, D, B);
    if (st == MC_STATUS_OK) st = mdl_mlp_decoder(n->dec_lyr, "dec.lyr", Z + C, cfg->lyr_hidden, cfg->n_lyr_hidden, L, B);
    if (st != MC_STATUS_OK) return st;

    /* ---- parameters in module order, the optimiser */
    st = mc_nn_params_create(&n->params);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_seq(n->params, n->enc);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_seq(n->params, n->enc_lyr);
    if (st == MC_STATUS_OK && n->fuse) st = mc_nn_params_add_seq(n->params, n->fuse);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_layer(n->params, n->mu);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_layer(n->params, n->logvar);
    if (st == MC_STATUS_OK && poe) st = mc_nn_params_add_layer(n->params, n->mu_l);
    if (st == MC_STATUS_OK && poe) st = mc_nn_params_add_layer(n->params, n->lv_l);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_seq(n->params, n->dec);
    if (st == MC_STATUS_OK) st = mc_nn_params_add_seq(n->params, n->dec_lyr);
    if (st != MC_STATUS_OK) return st;
    mc_nn_adam_config ac;
    mc_nn_adam_config_default(&ac, false);
    ac.lr = cfg->lr;
    st = mc_nn_adam_create(n->params, &ac, &n->adam);
    if (st != MC_STATUS_OK) return st;

    /* ---- step buffers (the shared ones first, as mdl_net_create allocates them) */
    const size_t b = (size_t)B;
    if ((st = mdl_step_buffers(n, B)) != MC_STATUS_OK) return st;
    n->lyr = mc_alloc(b * (size_t)L, sizeof(float));
    n->mask = mc_alloc(b, sizeof(float));
    n->drecon_l = mc_alloc(b * (size_t)L, sizeof(float));
    n->dhl = mc_alloc(b * (size_t)n->HL, sizeof(float));
    bool ok = n->lyr && n->mask && n->drecon_l && n->dhl;
    n->enc_in = n->x; /* the condition joins later, not at the input */
    n->dec_in = n->z;
    if (C > 0) {
        n->cond = mc_alloc(b * (size_t)C, sizeof(float));
        n->dec_in = mc_alloc(b * (size_t)(Z + C), sizeof(float));
        ok = ok && n->cond && n->dec_in;
    }
    if (!poe) {
        n->fused = mc_alloc(b * (size_t)n->HF0, sizeof(float));
        ok = ok && n->fused;
    } else {
        n->poe_mu = mc_alloc(b * (size_t)Z, sizeof(float));
        n->poe_lv = mc_alloc(b * (size_t)Z, sizeof(float));
        n->dmu_l = mc_alloc(b * (size_t)Z, sizeof(float));
        n->dlv_l = mc_alloc(b * (size_t)Z, sizeof(float));
        ok = ok && n->poe_mu && n->poe_lv && n->dmu_l && n->dlv_l;
        if (C > 0) {
            n->head_in = mc_alloc(b * (size_t)(n->H + C), sizeof(float));
            n->head_in_l = mc_alloc(b * (size_t)(n->HL + C), sizeof(float));
            ok = ok && n->head_in && n->head_in_l;
        }
    }
    if (!ok) return mc_error_nomem("model: out of memory for the mm-vae buffers");
    return MC_STATUS_OK;
}

void mdl_mm_free(mdl_net *n) {
    mc_nn_seq_free(n->enc_lyr);
    mc_nn_seq_free(n->fuse);
    mc_nn_layer_free(n->mu_l);
    mc_nn_layer_free(n->lv_l);
    mc_nn_seq_free(n->dec_lyr);
    mc_free(n->lyr);
    mc_free(n->mask);
    mc_free(n->fused);
    mc_free(n->head_in_l);
    mc_free(n->poe_mu);
    mc_free(n->poe_lv);
    mc_free(n->dmu_l);
    mc_free(n->dlv_l);
    mc_free(n->drecon_l);
    mc_free(n->dhl);
}

void mdl_mm_init(mdl_net *n, mc_rng *rng) {
    /* module order: audio body, lyrics body, [shared layers], heads, decoders */
    mc_nn_seq_init(n->enc, rng);
    mc_nn_seq_init(n->enc_lyr, rng);
    if (n->fuse) mc_nn_seq_init(n->fuse, rng);
    mc_nn_layer_init(n->mu, rng);
    mc_nn_layer_init(n->logvar, rng);
    if (n->mu_l) mc_nn_layer_init(n->mu_l, rng);
    if (n->lv_l) mc_nn_layer_init(n->lv_l, rng);
    mc_nn_seq_init(n->dec, rng);
    mc_nn_seq_init(n->dec_lyr, rng);
}

/* rows of dst (B, wa + wb) = [a row, b row] */
static void concat_rows(float *dst, const float *a, int64_t wa, const float *b, int64_t wb, int B) {
    for (int r = 0; r < B; r++) {
        memcpy(dst + r * (wa + wb), a + r * wa, (size_t)wa * sizeof(float));
        memcpy(dst + r * (wa + wb) + wa, b + r * wb, (size_t)wb * sizeof(float));
    }
}

/* dst (B, w) = columns [off, off + w) of src (B, stride) */
static void cut_cols(float *dst, const float *src, int64_t off, int64_t w, int64_t stride, int B) {
    for (int r = 0; r < B; r++) memcpy(dst + r * w, src + r * stride + off, (size_t)w * sizeof(float));
}

/* The product of the experts N(mu_a, exp(lv_a)), [m] N(mu_l, exp(lv_l)) and the prior N(0, 1), per
 * latent value, in double (Wu & Goodman 2018, "Multimodal generative models for scalable weakly-
 * supervised learning", eq. for the PoE of Gaussians): precisions P = exp(-lv) add up with the
 * prior's 1, T = 1 + P_a + m P_l; the mean is the precision-weighted mean
 * mu = (P_a mu_a + m P_l mu_l) / T (the prior's mean is 0), the log-variance -log T. */
static void poe_forward(mdl_net *n, int B) {
    const int Z = n->Z;
    for (int b = 0; b < B; b++) {
        const bool has = n->mask[b] > 0;
        for (int j = 0; j < Z; j++) {
            const int64_t i = (int64_t)b * Z + j;
            double pa = exp(-(double)n->lv_a_out[i]);
            double num = pa * n->mu_a_out[i], t = 1.0 + pa;
            if (has) { /* a row without lyrics leaves the lyrics expert out */
                double pl = exp(-(double)n->lv_l_out[i]);
                num += pl * n->mu_l_out[i];
                t += pl;
            }
            n->poe_mu[i] = (float)(num / t);
            n->poe_lv[i] = (float)(-log(t));
        }
    }
}

/* Backward of poe_forward: dmu, dlv (B, Z) hold dLoss/dmu, dLoss/dlogvar of the product; on return
 * they hold the audio expert's gradients, dmu_l / dlv_l the lyrics expert's. With P_e = exp(-lv_e):
 *   dmu/dmu_e = P_e / T
 *   dmu/dlv_e = (dmu/dP_e) (dP_e/dlv_e) = ((mu_e - mu) / T) (-P_e)
 *   dlogvar/dlv_e = (dlogvar/dT) (dT/dP_e) (dP_e/dlv_e) = (-1/T) (1) (-P_e) = P_e / T
 * so dL/dmu_e = dmu P_e / T and dL/dlv_e = (P_e / T) (dlv - dmu (mu_e - mu)). */
static void poe_backward(mdl_net *n, int B) {
    const int Z = n->Z;
    for (int b = 0; b < B; b++) {
        const bool has = n->mask[b] > 0;
        for (int j = 0; j < Z; j++) {
            const int64_t i = (int64_t)b * Z + j;
            const double g_mu = n->dmu[i], g_lv = n->dlv[i];
            const double ma = n->mu_a_out[i], pa = exp(-(double)n->lv_a_out[i]);
            double num = pa * ma, t = 1.0 + pa, ml = 0, pl = 0;
            if (has) {
                ml = n->mu_l_out[i];
                pl = exp(-(double)n->lv_l_out[i]);
                num += pl * ml;
                t += pl;
            }
            const double mu = num / t;
            n->dmu[i] = (float)(g_mu * pa / t);
            n->dlv[i] = (float)(pa / t * (g_lv - g_mu * (ma - mu)));
            n->dmu_l[i] = has ? (float)(g_mu * pl / t) : 0.0f;
            n->dlv_l[i] = has ? (float)(pl / t * (g_lv - g_mu * (ml - mu))) : 0.0f;
        }
    }
}

mc_status mdl_mm_forward(mdl_net *n, int B, bool sample) {
    const int Z = n->Z, C = n->C;
    const int64_t H = n->H, HL = n->HL;
    float *ha = NULL, *hl = NULL; /* (B, H), (B, HL) the bodies' outputs */
    mc_status st = mc_nn_seq_forward(n->enc, B, n->x, &ha);
    if (st == MC_STATUS_OK) st = mc_nn_seq_forward(n->enc_lyr, B, n->lyr, &hl);
    if (st != MC_STATUS_OK) return st;
    if (n->fusion == MC_MODEL_FUSION_CONCAT) {
        /* f = [h_a, m h_l, 1 - m, cond]: a row without lyrics gets zeros and the missing indicator */
        const int64_t HF0 = n->HF0;
        for (int b = 0; b < B; b++) {
            float *f = n->fused + b * HF0;
            const bool has = n->mask[b] > 0;
            memcpy(f, ha + b * H, (size_t)H * sizeof(float));
            if (has) memcpy(f + H, hl + b * HL, (size_t)HL * sizeof(float));
            else mc_nn_zero(f + H, HL);
            f[H + HL] = has ? 0.0f : 1.0f;
            if (C > 0) memcpy(f + H + HL + 1, n->cond + b * C, (size_t)C * sizeof(float));
        }
        float *g = n->fused; /* (B, HF) what the heads read */
        if (n->fuse) st = mc_nn_seq_forward(n->fuse, B, n->fused, &g);
        if (st == MC_STATUS_OK) st = mc_nn_forward(n->mu, B, g, &n->mu_out);
        if (st == MC_STATUS_OK) st = mc_nn_forward(n->logvar, B, g, &n->lv_out);
        if (st != MC_STATUS_OK) return st;
    } else {
        const float *ain = ha, *lin = hl; /* (B, H + C), (B, HL + C) the experts' head inputs */
        if (C > 0) {
            concat_rows(n->head_in, ha, H, n->cond, C, B);
            concat_rows(n->head_in_l, hl, HL, n->cond, C, B);
            ain = n->head_in;
            lin = n->head_in_l;
        }
        st = mc_nn_forward(n->mu, B, ain, &n->mu_a_out);
        if (st == MC_STATUS_OK) st = mc_nn_forward(n->logvar, B, ain, &n->lv_a_out);
        if (st == MC_STATUS_OK) st = mc_nn_forward(n->mu_l, B, lin, &n->mu_l_out);
        if (st == MC_STATUS_OK) st = mc_nn_forward(n->lv_l, B, lin, &n->lv_l_out);
        if (st != MC_STATUS_OK) return st;
        poe_forward(n, B);
        n->mu_out = n->poe_mu;
        n->lv_out = n->poe_lv;
    }
    /* z = mu + eps exp(logvar / 2), or mu when not sampling */
    if (sample) mc_nn_reparam_forward(n->mu_out, n->lv_out, n->eps, (int64_t)B * Z, n->z);
    else memcpy(n->z, n->mu_out, (size_t)B * Z * sizeof(float));
    if (C > 0) concat_rows(n->dec_in, n->z, Z, n->cond, C, B);
    st = mc_nn_seq_forward(n->dec, B, n->dec_in, &n->recon);
    if (st == MC_STATUS_OK) st = mc_nn_seq_forward(n->dec_lyr, B, n->dec_in, &n->recon_l);
    return st;
}

mc_status mdl_mm_loss(mdl_net *n, int B, double beta, bool backward, double *rec, double *kl) {
    const int Z = n->Z, C = n->C;
    const int64_t D = n->D, L = n->L, H = n->H, HL = n->HL, BZ = (int64_t)B * Z;
    const int BN = n->loss_rows > 0 ? n->loss_rows : B; /* rows of the mean: the mini-batch */
    const float sa = (float)(n->w_audio / BN), sl = (float)(n->w_lyrics / BN);
    if (backward) {
        mc_nn_params_zero_grad(n->params);
        mc_nn_zero(n->drecon, (int64_t)B * D);
        mc_nn_zero(n->drecon_l, (int64_t)B * L);
        mc_nn_zero(n->dmu, BZ);
        mc_nn_zero(n->dlv, BZ);
    }
    /* audio: SSE (F.mse_loss(reduction="sum")); d/drecon of w_a SSE / B */
    double ra = mc_nn_mse_loss(n->recon, n->x, (int64_t)B * D, MC_NN_REDUCTION_SUM, sa,
                               backward ? n->drecon : NULL);
    /* lyrics: SSE over the rows with lyrics only (the mask); d/drecon_l of w_l SSE / B, 0 elsewhere */
    double rl = 0;
    for (int b = 0; b < B; b++)
        if (n->mask[b] > 0)
            rl += mc_nn_mse_loss(n->recon_l + b * L, n->lyr + b * L, L, MC_NN_REDUCTION_SUM, sl,
                                 backward ? n->drecon_l + b * L : NULL);
    n->last_rec_a = ra;
    n->last_rec_l = rl;
    *rec = n->w_audio * ra + n->w_lyrics * rl;
    /* KL of the (fused) posterior: -1/2 sum(1 + lv - mu^2 - exp(lv)); d/dmu, d/dlv of beta KL / B */
    *kl = mc_nn_kl_normal(n->mu_out, n->lv_out, BZ, (float)(beta / BN), backward ? n->dmu : NULL,
                          backward ? n->dlv : NULL);
    if (!backward) return MC_STATUS_OK;

    /* decoders: both read [z, cond], so d[z, cond] is the sum of their input gradients */
    float *dda = NULL, *ddl = NULL; /* (B, Z + C) */
    mc_status st = mc_nn_seq_backward(n->dec, n->drecon, &dda);
    if (st == MC_STATUS_OK) st = mc_nn_seq_backward(n->dec_lyr, n->drecon_l, &ddl);
    if (st != MC_STATUS_OK) return st;
    mc_nn_add(dda, ddl, (int64_t)B * (Z + C));
    const float *dz = dda; /* (B, Z); the condition columns are data: their gradient is dropped */
    if (C > 0) {
        cut_cols(n->dz, dda, 0, Z, Z + C, B);
        dz = n->dz;
    }
    /* z = mu + eps exp(lv / 2): dmu += dz, dlv += dz eps exp(lv / 2) / 2 (on top of the KL terms) */
    mc_nn_reparam_backward(n->lv_out, n->eps, dz, BZ, n->dmu, n->dlv);

    float *da = NULL, *db = NULL;
    if (n->fusion == MC_MODEL_FUSION_CONCAT) {
        /* heads: d(head input) = dmu W_mu + dlv W_lv */
        st = mc_nn_backward(n->mu, n->dmu, &da);
        if (st == MC_STATUS_OK) st = mc_nn_backward(n->logvar, n->dlv, &db);
        if (st != MC_STATUS_OK) return st;
        mc_nn_add(da, db, (int64_t)B * n->HF);
        float *df = da; /* (B, HF0) dLoss/df */
        if (n->fuse && (st = mc_nn_seq_backward(n->fuse, da, &df)) != MC_STATUS_OK) return st;
        /* f = [h_a, m h_l, 1 - m, cond]: dh_a = df[:, :H]; dh_l = m df[:, H:H+HL]; the indicator and
         * condition columns are data */
        for (int b = 0; b < B; b++) {
            const float *f = df + b * n->HF0;
            memcpy(n->dh + b * H, f, (size_t)H * sizeof(float));
            if (n->mask[b] > 0) memcpy(n->dhl + b * HL, f + H, (size_t)HL * sizeof(float));
            else mc_nn_zero(n->dhl + b * HL, HL);
        }
    } else {
        poe_backward(n, B); /* dmu, dlv: audio expert; dmu_l, dlv_l: lyrics expert */
        st = mc_nn_backward(n->mu, n->dmu, &da);
        if (st == MC_STATUS_OK) st = mc_nn_backward(n->logvar, n->dlv, &db);
        if (st != MC_STATUS_OK) return st;
        mc_nn_add(da, db, (int64_t)B * (H + C));
        cut_cols(n->dh, da, 0, H, H + C, B); /* drop the condition columns */
        st = mc_nn_backward(n->mu_l, n->dmu_l, &da);
        if (st == MC_STATUS_OK) st = mc_nn_backward(n->lv_l, n->dlv_l, &db);
        if (st != MC_STATUS_OK) return st;
        mc_nn_add(da, db, (int64_t)B * (HL + C));
        cut_cols(n->dhl, da, 0, HL, HL + C, B);
    }
    st = mc_nn_seq_backward(n->enc, n->dh, NULL);
    if (st == MC_STATUS_OK) st = mc_nn_seq_backward(n->enc_lyr, n->dhl, NULL);
    return st;
}
