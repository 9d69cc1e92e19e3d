/* Generation with a trained model: its condition classes, sampling z ~ N(0, I), running the decoder
 * alone, and turning decoded log-mel spectrograms into audio (librosa.feature.inverse.mel_to_audio via
 * the dsp module), plus finding a track's row in a feature store for interpolation. */
#include "models_internal.h"

#include <musiclust/data.h>
#include <musiclust/dsp.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ classes */

const char *const *mc_model_classes(const mc_model *m, int *n) {
    if (n) *n = m && m->n_classes > 0 ? m->n_classes : 0;
    return m && m->n_classes > 0 ? (const char *const *)m->classes : NULL;
}

mc_status mc_model_class_index(const mc_model *m, const char *name, int *code) {
    if (!m || !name || !code) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_class_index: NULL argument");
    if (m->n_classes == 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "the %s model has no condition: it cannot take '%s'",
                            mc_model_kind_name(m->cfg.kind), name);
    for (int k = 0; k < m->n_classes; k++)
        if (strcmp(m->classes[k], name) == 0) {
            *code = k;
            return MC_STATUS_OK;
        }
    /* the message lists the classes (cut short on a very long list) */
    char list[1024];
    size_t used = 0;
    list[0] = '\0';
    for (int k = 0; k < m->n_classes && used < sizeof list; k++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", m->classes[k]);
        if (w < 0 || (size_t)w >= sizeof list - used) {
            snprintf(list + (used < sizeof list - 5 ? used : sizeof list - 5), 5, "...");
            break;
        }
        used += (size_t)w;
    }
    return mc_error_set(MC_STATUS_INVALID_ARG, "%s '%s' is not a class the model knows (%s)",
                        m->cfg.condition ? m->cfg.condition : "condition", name, list);
}

mc_status mc_model_check_audio(const mc_model *m) {
    if (!m) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_check_audio: NULL model");
    if (m->ndim == 3) return MC_STATUS_OK;
    if (m->cfg.kind == MC_MODEL_KIND_CVAE)
        return mc_error_set(MC_STATUS_UNSUPPORTED,
                            "this cvae was trained on vectors (MFCC statistics), from which no audio can be "
                            "made; train one on log-mel spectrograms: musiclust train --model cvae --input "
                            "logmel --condition %s FEATDIR -o MODEL",
                            m->cfg.condition ? m->cfg.condition : "COLUMN");
    return mc_error_set(MC_STATUS_UNSUPPORTED,
                        "a %s model reads vectors (MFCC statistics), from which no audio can be made; train "
                        "a model on log-mel spectrograms: musiclust train --model cvae --input logmel "
                        "--condition COLUMN FEATDIR -o MODEL (or --model conv-vae)",
                        mc_model_kind_name(m->cfg.kind));
}

/* ------------------------------------------------------------------ sampling and decoding */

void mc_model_sample_latent(const mc_model *m, mc_rng *rng, int64_t n, float *z) {
    if (!m || !rng || !z || n <= 0) return;
    const int64_t count = n * m->cfg.latent;
    for (int64_t i = 0; i < count; i++) z[i] = (float)mc_rng_normal(rng);
}

mc_status mc_model_decode(mc_model *m, const float *z, const int32_t *codes, int64_t n, int threads,
                          float *out) {
    if (!m || !z || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_decode: NULL argument");
    if (n < 1) return mc_error_set(MC_STATUS_EMPTY, "mc_model_decode: no latent rows");
    mdl_net *net = m->net;
    const int Z = net->Z, C = net->C;
    const int64_t D = m->D;
    if (codes)
        for (int64_t i = 0; i < n; i++)
            if (codes[i] < -1 || codes[i] >= C)
                return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_decode: condition code %d of row %lld "
                                    "is outside -1..%d", codes[i], (long long)i, C - 1);
    for (int64_t i = 0; i < n * Z; i++)
        if (!isfinite(z[i]))
            return mc_error_set(MC_STATUS_NUMERIC, "mc_model_decode: z[%lld] is not finite", (long long)i);
    mc_status st = mdl_model_fit_rows(m, n);
    if (st != MC_STATUS_OK) return st;
    net = m->net;
    mc_nn_set_threads(threads);
    for (int64_t s = 0; s < n; s += net->max_batch) {
        const int B = (int)(n - s < net->max_batch ? n - s : net->max_batch);
        /* decoder input (B, Z + C): [z, one-hot of the condition] as in training; (B, Z) without one */
        if (C > 0) {
            for (int b = 0; b < B; b++) {
                float *row = net->dec_in + (size_t)b * (size_t)(Z + C);
                memcpy(row, z + (s + b) * Z, (size_t)Z * sizeof(float));
                memset(row + Z, 0, (size_t)C * sizeof(float));
                const int code = codes ? codes[s + b] : -1;
                if (code >= 0) row[Z + code] = 1.0f;
            }
        } else {
            memcpy(net->dec_in, z + s * Z, (size_t)B * Z * sizeof(float));
        }
        float *recon = NULL; /* (B, D) normalised */
        st = mc_nn_seq_forward(net->dec, B, net->dec_in, &recon);
        if (st != MC_STATUS_OK) return st;
        /* back to the input's units: x * std + mean (one global pair for log-mel, per column for vectors) */
        for (int b = 0; b < B; b++) {
            float *o = out + (s + b) * D;
            const float *r = recon + (int64_t)b * D;
            for (int64_t j = 0; j < D; j++) {
                const int64_t k = m->ndim == 2 ? j : 0;
                o[j] = r[j] * m->norm_std[k] + m->norm_mean[k];
            }
        }
    }
    return MC_STATUS_OK;
}

/* ------------------------------------------------------------------ audio */

void mc_model_audio_config_default(mc_model_audio_config *c) {
    if (!c) return;
    /* Fields not named are 0: n_mels (the model's), fmin, fmax (sr / 2), threads (all cores). */
    *c = (mc_model_audio_config){.sr = 22050, .n_fft = 2048, .hop = 512, .ref = 1.0, .n_iter = 32,
                                 .momentum = 0.99, .nnls_iter = MC_DSP_MEL_INVERSE_ITER};
}

int64_t mc_model_audio_samples(const mc_model_audio_config *c, int frames) {
    if (!c || c->hop < 1 || frames < 1) return 0;
    return (int64_t)c->hop * (frames - 1);
}

mc_status mc_model_audio_config_from_store(const char *featdir, mc_model_audio_config *c) {
    if (!featdir || !c) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_audio_config_from_store: NULL argument");
    mc_dsp_config d; /* the store's reader (data.h) fills the parameters it recorded */
    mc_dsp_config_default(&d);
    mc_status st = mc_store_extract_params(featdir, &d, NULL);
    if (st != MC_STATUS_OK) return st;
    c->sr = d.sr;
    c->n_fft = d.n_fft;
    c->hop = d.hop;
    c->n_mels = d.n_mels;
    c->fmin = d.fmin;
    c->fmax = d.fmax;
    return MC_STATUS_OK;
}

mc_status mc_model_logmel_to_audio(const mc_model_audio_config *c, const float *logmel, int64_t n,
                                   int n_mels, int frames, uint64_t seed, float *audio,
                                   double *mel_residual, double *spectral_convergence) {
    if (!c || !logmel || !audio)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_logmel_to_audio: NULL argument");
    if (n < 1 || frames < 2)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_logmel_to_audio: %lld rows of %d frames (need "
                            ">= 1 row of >= 2 frames)", (long long)n, frames);
    if (c->n_mels > 0 && c->n_mels != n_mels)
        return mc_error_set(MC_STATUS_INVALID_ARG, "the features have %d mel bands, the log-mel %d",
                            c->n_mels, n_mels);
    if (c->n_iter < 0 || c->nnls_iter < 0 || !(c->momentum >= 0) || !isfinite(c->momentum))
        return mc_error_set(MC_STATUS_INVALID_ARG, "Griffin-Lim iterations %d, momentum %g and mel "
                            "inversion iterations %d must be >= 0", c->n_iter, c->momentum, c->nnls_iter);
    mc_dsp_config dc;
    mc_dsp_config_default(&dc);
    dc.sr = c->sr;
    dc.n_fft = c->n_fft;
    dc.hop = c->hop;
    dc.n_mels = n_mels;
    dc.fmin = c->fmin;
    dc.fmax = c->fmax;
    dc.n_mfcc = 1; /* unused here; keeps n_mfcc <= n_mels for any n_mels */
    mc_dsp_plan *plan = NULL;
    mc_status st = mc_dsp_plan_create(&dc, &plan);
    if (st != MC_STATUS_OK) return st;
    const int nt = (int)(n < mc_threads_resolve(c->threads) ? n : mc_threads_resolve(c->threads));
    const int64_t samples = mc_model_audio_samples(c, frames);
    const int64_t cells = (int64_t)n_mels * frames;
    /* one synthesis workspace and one mel buffer per thread, made here, outside the parallel region
     * (the pseudo-inverse's SVD runs through LAPACK) */
    mc_dsp_synth **ws = mc_calloc((size_t)nt, sizeof *ws);
    float **mel = mc_calloc((size_t)nt, sizeof *mel); /* nt x (n_mels, frames) */
    if (!ws || !mel) st = mc_error_nomem("out of memory allocating the Griffin-Lim workers and mel buffer");
    for (int t = 0; t < nt && st == MC_STATUS_OK; t++) {
        st = mc_dsp_synth_create(plan, frames, &ws[t]);
        if (st == MC_STATUS_OK && !(mel[t] = mc_alloc((size_t)cells, sizeof(float)))) st = MC_STATUS_NO_MEMORY;
    }
    if (st == MC_STATUS_OK) {
        mc_status fail = MC_STATUS_OK;
        char msg[512] = "";
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
        for (int64_t i = 0; i < n; i++) {
            const int t = omp_get_thread_num();
            mc_rng rng;
            mc_rng_seed(&rng, seed, MC_MODEL_AUDIO_STREAM + (uint64_t)i);
            mc_dsp_griffinlim_options o;
            mc_dsp_griffinlim_options_default(&o);
            o.n_iter = c->n_iter;
            o.momentum = c->momentum;
            o.rng = &rng;
            mc_dsp_db_to_power(logmel + i * cells, cells, c->ref, mel[t]);
            mc_dsp_inverse_stats stats;
            mc_status rs = mc_dsp_mel_to_audio(plan, ws[t], mel[t], frames, c->nnls_iter, &o, samples,
                                               audio + i * samples, &stats);
            if (rs != MC_STATUS_OK) {
#pragma omp critical(mc_model_audio_fail)
                if (fail == MC_STATUS_OK) {
                    fail = rs;
                    snprintf(msg, sizeof msg, "clip %lld: %s", (long long)i, mc_error_message());
                }
            } else {
                if (mel_residual) mel_residual[i] = stats.mel_residual;
                if (spectral_convergence) spectral_convergence[i] = stats.spectral_convergence;
            }
        }
        if (fail != MC_STATUS_OK) st = mc_error_set(fail, "%s", msg);
    }
    for (int t = 0; ws && mel && t < nt; t++) {
        mc_dsp_synth_free(ws[t]);
        mc_free(mel[t]);
    }
    free(ws);
    free(mel);
    mc_dsp_plan_free(plan);
    return st;
}

/* ------------------------------------------------------------------ rows of a store */

mc_status mc_model_find_row(const char *featdir, const char *key, int64_t *row) {
    if (!featdir || !key || !row) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_find_row: NULL argument");
    mc_store s;
    mc_status st = mc_store_open_index(featdir, &s);
    if (st != MC_STATUS_OK) return st;
    st = mc_store_find_row(&s, key, row);
    mc_store_close(&s);
    return st;
}
