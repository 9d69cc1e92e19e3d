/* Model configuration, creation, input preparation (normalisation, cropping, condition one-hots, the
 * mm-vae's lyrics rows and mask), encoding, and reading a feature store (and its lyrics) for a model. */
#include "models_internal.h"

#include <musiclust/data.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"vae", "ae", "beta-vae", "conv-vae", "cvae", "mm-vae"};

const char *mc_model_kind_name(mc_model_kind k) {
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

mc_status mc_model_kind_parse(const char *name, mc_model_kind *out) {
    for (int k = 0; k < (int)(sizeof kind_names / sizeof kind_names[0]); k++)
        if (name && strcmp(name, kind_names[k]) == 0) {
            *out = (mc_model_kind)k;
            return MC_STATUS_OK;
        }
    return mc_error_set(MC_STATUS_INVALID_ARG,
                        "unknown model '%s' (choose vae, conv-vae, beta-vae, cvae, ae or mm-vae)",
                        name ? name : "");
}

void mc_model_config_default(mc_model_kind kind, mc_model_config *c) {
    /* The mm-vae fields are set for every kind so that a config switched to mm-vae is complete. */
    *c = (mc_model_config){.kind = kind, .n_hidden = 1, .hidden = {64}, .n_conv = 4, .channels = {32, 64, 128, 256},
                           .latent = 4, .beta = kind == MC_MODEL_KIND_AE ? 0 : 1, .epochs = 100, .batch = 32,
                           .lr = 1e-3, .fusion = MC_MODEL_FUSION_CONCAT, .n_lyr_hidden = 1, .lyr_hidden = {32},
                           .n_fuse = 1, .fuse = {64}, .audio_weight = 1, .lyrics_weight = 1,
                           .lyrics_norm = MC_MODEL_LYRICS_NORM_GLOBAL};
    if (kind == MC_MODEL_KIND_BETA_VAE) c->beta = 4;
    if (kind == MC_MODEL_KIND_CONV_VAE) {
        c->input = MC_MODEL_INPUT_LOGMEL;
        c->latent = 32;
        c->beta = 4;
        c->batch = 128;
        c->epochs = 20;
    }
}

const mc_model_config *mc_model_get_config(const mc_model *m) { return &m->cfg; }
int mc_model_epochs_done(const mc_model *m) { return m->epoch; }
void mc_model_set_epochs(mc_model *m, int epochs) { m->cfg.epochs = epochs; }
int mc_model_latent_dim(const mc_model *m) { return m->cfg.latent; }

void mc_model_input_shape(const mc_model *m, int *ndim, int64_t shape[3]) {
    *ndim = m->ndim == 2 ? 1 : 2;
    shape[0] = m->ndim == 2 ? m->dim : m->n_mels;
    shape[1] = m->ndim == 2 ? 0 : m->frames;
    shape[2] = 0;
}

void mc_model_free(mc_model *m) {
    if (!m) return;
    int np = m->net ? mc_nn_params_count(m->net->params) : 0;
    if (m->best)
        for (int i = 0; i < np; i++) mc_free(m->best[i]);
    free(m->best);
    mdl_net_free(m->net);
    mc_store_free_classes(m->classes, m->n_classes);
    free((char *)m->cfg.condition);
    mc_free(m->norm_mean);
    mc_free(m->norm_std);
    mc_free(m->lyr_mean);
    mc_free(m->lyr_std);
    free(m);
}

bool mdl_uses_early_stopping(const mc_model *m) {
    return m->cfg.patience > 0 && m->cfg.val_fraction > 0;
}

bool mdl_is_complete(const mc_model *m) { return m->stopped_early || m->epoch >= m->cfg.epochs; }

mc_status mdl_best_snapshot(mc_model *m) {
    int np = mc_nn_params_count(m->net->params);
    if (!m->best) {
        m->best = mc_calloc((size_t)np, sizeof *m->best);
        if (!m->best) return mc_error_nomem("out of memory allocating the best-epoch weights copy");
    }
    for (int i = 0; i < np; i++) {
        mc_nn_param *p = mc_nn_params_at(m->net->params, i);
        if (!p->data) continue;
        if (!m->best[i]) {
            m->best[i] = mc_alloc((size_t)p->numel, sizeof(float));
            if (!m->best[i]) return MC_STATUS_NO_MEMORY;
        }
        memcpy(m->best[i], p->data, (size_t)p->numel * sizeof(float));
    }
    return MC_STATUS_OK;
}

void mdl_best_restore(mc_model *m) {
    if (!m->best) return;
    int np = mc_nn_params_count(m->net->params);
    for (int i = 0; i < np; i++) {
        mc_nn_param *p = mc_nn_params_at(m->net->params, i);
        if (p->data && m->best[i]) memcpy(p->data, m->best[i], (size_t)p->numel * sizeof(float));
    }
}

/* ------------------------------------------------------------------ validation */

static mc_status check_widths(const char *what, int n, const int *w, int lo) {
    if (n < lo || n > MC_MODEL_MAX_LAYERS)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%d %s layers (%d..%d allowed)", n, what, lo, MC_MODEL_MAX_LAYERS);
    for (int i = 0; i < n; i++)
        if (w[i] < 1 || w[i] > 1 << 20)
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s layer %d has width %d", what, i, w[i]);
    return MC_STATUS_OK;
}

/* The mm-vae's own fields. */
static mc_status check_mm(const mc_model_config *c) {
    if (c->fusion != MC_MODEL_FUSION_CONCAT && c->fusion != MC_MODEL_FUSION_POE)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae: unknown fusion %d (concat or poe)", (int)c->fusion);
    if (c->lyrics_norm != MC_MODEL_LYRICS_NORM_GLOBAL && c->lyrics_norm != MC_MODEL_LYRICS_NORM_ZSCORE)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae: unknown lyrics norm %d (global or zscore)",
                            (int)c->lyrics_norm);
    if (c->input != MC_MODEL_INPUT_LOGMEL && c->n_hidden < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae: the audio encoder needs at least one hidden layer "
                            "(--hidden)");
    mc_status st = check_widths("lyrics hidden", c->n_lyr_hidden, c->lyr_hidden, 1);
    if (st == MC_STATUS_OK && c->fusion == MC_MODEL_FUSION_CONCAT) st = check_widths("fusion", c->n_fuse, c->fuse, 0);
    if (st != MC_STATUS_OK) return st;
    if (!(c->audio_weight >= 0) || !isfinite(c->audio_weight) || !(c->lyrics_weight >= 0) ||
        !isfinite(c->lyrics_weight) || !(c->audio_weight + c->lyrics_weight > 0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae: audio weight %g and lyrics weight %g must be >= 0 "
                            "and not both 0", c->audio_weight, c->lyrics_weight);
    return MC_STATUS_OK;
}

/* Whether the model reads a condition column: cvae always, mm-vae when one is named. */
static bool has_condition(const mc_model_config *c) {
    return c->kind == MC_MODEL_KIND_CVAE ||
           (c->kind == MC_MODEL_KIND_MM_VAE && c->condition && c->condition[0]);
}

static mc_status check_config(const mc_model_config *c) {
    if ((unsigned)c->kind > MC_MODEL_KIND_MM_VAE)
        return mc_error_set(MC_STATUS_INVALID_ARG, "model: unknown kind %d", (int)c->kind);
    if (c->precision != MC_NN_PRECISION_FP32 && c->precision != MC_NN_PRECISION_BF16)
        return mc_error_set(MC_STATUS_INVALID_ARG, "model: unknown precision %d", (int)c->precision);
    bool conv = c->input == MC_MODEL_INPUT_LOGMEL;
    if (c->kind == MC_MODEL_KIND_CONV_VAE && !conv)
        return mc_error_set(MC_STATUS_INVALID_ARG, "conv-vae reads log-mel input, not vectors");
    if (conv && c->kind != MC_MODEL_KIND_CONV_VAE && c->kind != MC_MODEL_KIND_CVAE &&
        c->kind != MC_MODEL_KIND_MM_VAE && c->kind != MC_MODEL_KIND_AE)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s is an MLP on vectors; log-mel input needs "
                            "conv-vae, ae (the conv autoencoder), cvae or mm-vae", mc_model_kind_name(c->kind));
    if (c->kind == MC_MODEL_KIND_MM_VAE) {
        mc_status st = check_mm(c);
        if (st != MC_STATUS_OK) return st;
    }
    if (c->kind == MC_MODEL_KIND_CVAE && (!c->condition || !c->condition[0]))
        return mc_error_set(MC_STATUS_INVALID_ARG, "cvae needs a condition column (--condition COLUMN)");
    if (c->latent < 1 || c->latent > 1 << 16)
        return mc_error_set(MC_STATUS_INVALID_ARG, "latent dimension %d is out of range (1..65536)", c->latent);
    if (!conv) {
        if (c->n_hidden < 0 || c->n_hidden > MC_MODEL_MAX_LAYERS)
            return mc_error_set(MC_STATUS_INVALID_ARG, "%d hidden layers (0..%d allowed)", c->n_hidden,
                                MC_MODEL_MAX_LAYERS);
        for (int i = 0; i < c->n_hidden; i++)
            if (c->hidden[i] < 1 || c->hidden[i] > 1 << 20)
                return mc_error_set(MC_STATUS_INVALID_ARG, "hidden layer %d has width %d", i, c->hidden[i]);
    } else {
        if (c->n_conv < 1 || c->n_conv > 6)
            return mc_error_set(MC_STATUS_INVALID_ARG, "%d conv layers (1..6 allowed)", c->n_conv);
        for (int i = 0; i < c->n_conv; i++)
            if (c->channels[i] < 1 || c->channels[i] > 4096)
                return mc_error_set(MC_STATUS_INVALID_ARG, "conv layer %d has %d channels", i, c->channels[i]);
    }
    if (!(c->beta >= 0) || !isfinite(c->beta))
        return mc_error_set(MC_STATUS_INVALID_ARG, "beta %g must be >= 0", c->beta);
    if (c->warmup < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "warm-up %d must be >= 0", c->warmup);
    if (c->epochs < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "epochs %d must be >= 0", c->epochs);
    /* The same caps as the model loader's (src/models/io.c): what a file may ask for, a command line
     * may too, and no more -- a batch sizes every step buffer of the network. */
    if (c->batch < 1 || c->batch > MC_MODEL_MAX_BATCH)
        return mc_error_set(MC_STATUS_INVALID_ARG, "batch %d is out of range (1..%d)", c->batch, MC_MODEL_MAX_BATCH);
    if (c->epochs > MC_MODEL_MAX_EPOCHS || c->warmup > MC_MODEL_MAX_EPOCHS || c->patience > MC_MODEL_MAX_EPOCHS)
        return mc_error_set(MC_STATUS_INVALID_ARG, "epochs %d, warm-up %d, patience %d: at most %d each", c->epochs,
                            c->warmup, c->patience, MC_MODEL_MAX_EPOCHS);
    if (c->frames > MC_MODEL_MAX_DIM)
        return mc_error_set(MC_STATUS_INVALID_ARG, "frames %d is more than %d", c->frames, MC_MODEL_MAX_DIM);
    if (!(c->lr > 0) || !isfinite(c->lr))
        return mc_error_set(MC_STATUS_INVALID_ARG, "learning rate %g must be > 0", c->lr);
    if (!(c->val_fraction >= 0 && c->val_fraction < 1))
        return mc_error_set(MC_STATUS_INVALID_ARG, "validation fraction %g must be in [0, 1)", c->val_fraction);
    if (c->patience < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "patience %d must be >= 0", c->patience);
    if (c->patience > 0 && !(c->val_fraction > 0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "early stopping (patience %d) needs a validation "
                            "part (--val FRACTION)", c->patience);
    if (!(c->clip >= 0) || !isfinite(c->clip))
        return mc_error_set(MC_STATUS_INVALID_ARG, "clip %g must be >= 0", c->clip);
    if (c->frames < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "frames %d must be >= 0", c->frames);
    return MC_STATUS_OK;
}

/* Map data class codes to the model's classes by name: map (n_data_classes), -1 = unknown. */
mc_status mdl_class_map(const mc_model *m, const mc_model_data *d, int **map_out) {
    *map_out = NULL;
    if (m->n_classes == 0) return MC_STATUS_OK;
    if (!d->codes)
        return mc_error_set(MC_STATUS_INVALID_ARG, "the model is conditioned on '%s' but the data has "
                            "no condition codes", m->cfg.condition);
    int *map = mc_calloc(1, (size_t)(d->n_classes > 0 ? d->n_classes : 1) * sizeof *map);
    if (!map) return mc_error_nomem("out of memory allocating the class map");
    for (int i = 0; i < d->n_classes; i++) {
        map[i] = -1;
        for (int k = 0; k < m->n_classes; k++)
            if (strcmp(d->classes[i], m->classes[k]) == 0) map[i] = k;
    }
    *map_out = map;
    return MC_STATUS_OK;
}

/* Check data against the model's input; frames_in receives the data's frames per row (log-mel). */
mc_status mdl_check_data(const mc_model *m, const mc_model_data *d) {
    if (!d || !d->x || d->n < 1) return mc_error_set(MC_STATUS_EMPTY, "model: no rows to work on");
    if (m->lyr_dim > 0 && (!d->lyrics || !d->has_lyrics))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae needs the lyrics vector of every row (run musiclust "
                            "lyrics on the store first; mc_model_data_load_lyrics)");
    if (m->lyr_dim > 0 && d->lyr_dim != m->lyr_dim)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae expects %lld-dimensional lyrics vectors, the data has "
                            "%lld (run musiclust lyrics with --dim %lld)", (long long)m->lyr_dim,
                            (long long)d->lyr_dim, (long long)m->lyr_dim);
    if (d->ndim != m->ndim)
        return mc_error_set(MC_STATUS_INVALID_ARG, "model expects %s input, the data has %d dims",
                            m->ndim == 2 ? "vector (n, F)" : "log-mel (n, n_mels, frames)", d->ndim);
    if (m->ndim == 2 && d->shape[1] != m->dim)
        return mc_error_set(MC_STATUS_INVALID_ARG, "model expects %lld features per row, the data has %lld",
                            (long long)m->dim, (long long)d->shape[1]);
    if (m->ndim == 3 && (d->shape[1] != m->n_mels || d->shape[2] < m->frames))
        return mc_error_set(MC_STATUS_INVALID_ARG, "model expects log-mel (n, %d, >= %d frames), the "
                            "data has (n, %lld, %lld)", m->n_mels, m->frames, (long long)d->shape[1],
                            (long long)d->shape[2]);
    if (d->codes)
        for (int64_t i = 0; i < d->n; i++)
            if (d->codes[i] < -1 || d->codes[i] >= d->n_classes)
                return mc_error_set(MC_STATUS_INVALID_ARG, "condition code %d of row %lld is outside "
                                    "-1..%d", d->codes[i], (long long)i, d->n_classes - 1);
    return MC_STATUS_OK;
}

void mdl_gather(mc_model *m, const mc_model_data *data, const int64_t *idx, int B, const int *map) {
    mdl_gather_net(m, m->net, data, idx, B, map);
}

void mdl_gather_net(const mc_model *m, mdl_net *n, const mc_model_data *data, const int64_t *idx, int B,
                    const int *map) {
    const int64_t D = m->D;
    if (m->ndim == 2) {
        for (int b = 0; b < B; b++)
            memcpy(n->x + b * D, data->x + idx[b] * D, (size_t)D * sizeof(float));
        mc_data_zscore_apply(n->x, B, (int)D, m->norm_mean, m->norm_std);
    } else {
        /* (n_mels, T) rows cropped to the first `frames` frames, then the global z-score */
        const int64_t T = data->shape[2], M = m->n_mels, F = m->frames;
        const float mean = m->norm_mean[0], sd = m->norm_std[0];
        for (int b = 0; b < B; b++) {
            const float *src = data->x + idx[b] * M * T;
            float *dst = n->x + b * D;
            for (int64_t r = 0; r < M; r++)
                for (int64_t t = 0; t < F; t++) dst[r * F + t] = (src[r * T + t] - mean) / sd;
            /* a memory-mapped store: the row's pages leave the resident set (issue 11) */
            mc_array_release(&data->owned_x_, src, (size_t)(M * T) * sizeof *src);
        }
    }
    if (n->C > 0) {
        const int C = n->C;
        mc_nn_zero(n->cond, (int64_t)B * C);
        for (int b = 0; b < B; b++) {
            int code = data->codes[idx[b]];
            if (code >= 0 && map) code = map[code];
            if (code >= 0) n->cond[b * C + code] = 1.0f; /* empty / unknown label: all-zero row */
        }
        if (!n->conv && !n->mm) /* the MLP cvae reads [x, cond] */
            for (int b = 0; b < B; b++) {
                memcpy(n->enc_in + b * (D + C), n->x + b * D, (size_t)D * sizeof(float));
                memcpy(n->enc_in + b * (D + C) + D, n->cond + b * C, (size_t)C * sizeof(float));
            }
    }
    if (n->mm) {
        /* the track's lyrics vector, normalised; zeros and mask 0 for a track without lyrics (its
         * stored row is not read, so whatever it holds cannot reach the model) */
        const int64_t L = m->lyr_dim;
        for (int b = 0; b < B; b++) {
            float *dst = n->lyr + b * L;
            if (data->has_lyrics[idx[b]]) {
                const float *src = data->lyrics + idx[b] * L;
                for (int64_t j = 0; j < L; j++) dst[j] = (src[j] - m->lyr_mean[j]) / m->lyr_std[j];
                n->mask[b] = 1.0f;
            } else {
                mc_nn_zero(dst, L);
                n->mask[b] = 0.0f;
            }
        }
    }
}

/* ------------------------------------------------------------------ creation */

/* Everything but the weights' values and the normalisation's: validated config, shapes, the net. Takes
 * ownership of classes. */
/* The conv layers' precision: bf16 where the CPU has the kernels (nn.h); otherwise fp32, said once per
 * process. m->cfg keeps what is used, so the model file records it. */
static mc_status apply_precision(mc_model *m) {
    if (m->cfg.precision == MC_NN_PRECISION_FP32) return MC_STATUS_OK;
    mc_nn_precision e = MC_NN_PRECISION_FP32, d = MC_NN_PRECISION_FP32;
    mc_status st = m->net->enc ? mc_nn_seq_set_precision(m->net->enc, m->cfg.precision, &e) : MC_STATUS_OK;
    if (st == MC_STATUS_OK) st = mc_nn_seq_set_precision(m->net->dec, m->cfg.precision, &d);
    if (st != MC_STATUS_OK) return st;
    mc_nn_precision used = e == MC_NN_PRECISION_BF16 || d == MC_NN_PRECISION_BF16 ? MC_NN_PRECISION_BF16
                                                                                  : MC_NN_PRECISION_FP32;
    if (used != m->cfg.precision) {
        static bool said; /* once per process */
        if (!said)
            mc_log(MC_LOG_LEVEL_WARN, "%s",
                   mc_nn_bf16_available()
                       ? "--precision bf16: this model has no conv layer that runs in bf16; training in fp32"
                       : "--precision bf16: this CPU has no AVX512_BF16 kernels (oneDNN); training in fp32");
        said = true;
        m->cfg.precision = used;
    }
    return MC_STATUS_OK;
}

int mdl_batch(const mc_model *m) {
    const int64_t b = m->cfg.batch < m->n_rows ? m->cfg.batch : m->n_rows;
    return b < 1 ? 1 : (int)b;
}

/* The rows a network for work on `rows` rows of data holds (models_internal.h). */
static int net_rows(const mc_model *m, int64_t rows) {
    (void)rows; /* the net holds one part of a step whatever the data: see models_internal.h */
    const int64_t b = mdl_batch(m);
    return (int)(b < MC_MODEL_PART_ROWS ? b : MC_MODEL_PART_ROWS);
}

mc_status mdl_model_fit_rows(mc_model *m, int64_t rows) {
    const int want = net_rows(m, rows);
    if (m->net && m->net->max_batch >= want) return MC_STATUS_OK;
    mdl_net *old = m->net, *n = NULL;
    mc_status st = mdl_net_create(&m->cfg, m->D, m->n_mels, m->frames, m->n_classes, m->lyr_dim, want, &n);
    if (st != MC_STATUS_OK) return st;
    m->net = n;
    st = apply_precision(m);
    if (st != MC_STATUS_OK) {
        m->net = old;
        mdl_net_free(n);
        return st;
    }
    if (old) mdl_net_copy_state(n, old);
    mdl_net_free(old);
    return MC_STATUS_OK;
}

mc_status mdl_model_alloc(const mc_model_config *cfg, int ndim, int64_t dim, int n_mels, int frames,
                          int64_t lyr_dim, char **classes, int n_classes, int64_t n_rows, int64_t data_rows,
                          mc_model **out) {
    *out = NULL;
    mc_status st = check_config(cfg);
    if (st != MC_STATUS_OK) { mc_store_free_classes(classes, n_classes); return st; }
    mc_model *m = mc_calloc(1, sizeof *m);
    if (!m) { mc_store_free_classes(classes, n_classes); return mc_error_nomem("out of memory allocating the model"); }
    m->cfg = *cfg;
    m->cfg.condition = NULL;
    m->classes = classes;
    m->n_classes = n_classes;
    if (has_condition(cfg)) {
        m->cfg.condition = mc_strdup(cfg->condition);
        if (!m->cfg.condition) { mc_model_free(m); return MC_STATUS_NO_MEMORY; }
    }
    if (cfg->kind == MC_MODEL_KIND_MM_VAE) {
        if (lyr_dim < 1 || lyr_dim > INT32_MAX) {
            mc_model_free(m);
            return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae: lyrics dimension %lld is out of range",
                                (long long)lyr_dim);
        }
        m->lyr_dim = lyr_dim;
        m->lyr_mean = mc_alloc((size_t)lyr_dim, sizeof(float));
        m->lyr_std = mc_alloc((size_t)lyr_dim, sizeof(float));
        if (!m->lyr_mean || !m->lyr_std) { mc_model_free(m); return MC_STATUS_NO_MEMORY; }
    }
    m->ndim = ndim;
    m->dim = dim;
    m->n_mels = n_mels;
    m->frames = frames;
    m->n_rows = n_rows;
    if (ndim == 3) m->cfg.frames = frames;
    m->D = ndim == 2 ? dim : (int64_t)n_mels * frames;
    m->norm_n = ndim == 2 ? dim : 1;
    m->norm_mean = mc_alloc((size_t)m->norm_n, sizeof(float));
    m->norm_std = mc_alloc((size_t)m->norm_n, sizeof(float));
    if (!m->norm_mean || !m->norm_std) { mc_model_free(m); return MC_STATUS_NO_MEMORY; }
    st = mdl_model_fit_rows(m, data_rows);
    if (st != MC_STATUS_OK) { mc_model_free(m); return st; }
    mc_rng_seed(&m->rng_shuffle, cfg->seed, 3);
    mc_rng_seed(&m->rng_noise, cfg->seed, 4);
    m->best_val = INFINITY;
    *out = m;
    return MC_STATUS_OK;
}

/* The lyrics normalisation, fitted on the rows with lyrics (no labels involved), in double, two passes:
 * the column means, then either each column's population std ("zscore") or one common std, the root
 * mean square of all centred values ("global"); a zero spread gives std 1. */
static void fit_lyrics_norm(mc_model *m, const mc_model_data *d, int64_t with_lyrics) {
    const int64_t L = m->lyr_dim;
    double all = 0;
    for (int64_t j = 0; j < L; j++) {
        double s = 0, v = 0;
        for (int64_t i = 0; i < d->n; i++)
            if (d->has_lyrics[i]) s += d->lyrics[i * L + j];
        const double mean = s / (double)with_lyrics;
        for (int64_t i = 0; i < d->n; i++)
            if (d->has_lyrics[i]) {
                double e = d->lyrics[i * L + j] - mean;
                v += e * e;
            }
        m->lyr_mean[j] = (float)mean;
        m->lyr_std[j] = v > 0 ? (float)sqrt(v / (double)with_lyrics) : 1.0f;
        all += v;
    }
    if (m->cfg.lyrics_norm == MC_MODEL_LYRICS_NORM_GLOBAL) {
        double sd = sqrt(all / ((double)with_lyrics * (double)L));
        for (int64_t j = 0; j < L; j++) m->lyr_std[j] = sd > 0 ? (float)sd : 1.0f;
    }
}

mc_status mc_model_create(const mc_model_config *cfg, const mc_model_data *data, mc_model **out) {
    *out = NULL;
    mc_status st = check_config(cfg);
    if (st != MC_STATUS_OK) return st;
    if (!data || !data->x || data->n < 1) return mc_error_set(MC_STATUS_EMPTY, "model: no rows to train on");
    bool conv = cfg->input == MC_MODEL_INPUT_LOGMEL;
    if (data->ndim != (conv ? 3 : 2))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s needs %s input, the data has %d dims",
                            mc_model_kind_name(cfg->kind), conv ? "log-mel (n, n_mels, frames)" : "vector (n, F)",
                            data->ndim);
    int n_mels = 0, frames = 0;
    if (conv) {
        int64_t unit = (int64_t)1 << cfg->n_conv;
        if (data->shape[1] % unit != 0 || data->shape[1] > INT32_MAX)
            return mc_error_set(MC_STATUS_INVALID_ARG, "log-mel has %lld mel bands, not a multiple of %lld "
                                "(2^%d conv layers): extract with --n-mels 128 (or a multiple of %lld)",
                                (long long)data->shape[1], (long long)unit, cfg->n_conv, (long long)unit);
        int64_t T = data->shape[2];
        int64_t f = cfg->frames > 0 ? cfg->frames : T / unit * unit;
        if (f < unit || f > T || f % unit != 0 || f > INT32_MAX)
            return mc_error_set(MC_STATUS_INVALID_ARG, "log-mel has %lld frames: cannot use %lld (need a "
                                "multiple of %lld, >= %lld and <= the frames stored)", (long long)T,
                                (long long)f, (long long)unit, (long long)unit);
        n_mels = (int)data->shape[1];
        frames = (int)f;
    } else if (data->shape[1] < 1) {
        return mc_error_set(MC_STATUS_EMPTY, "model: the rows have no features");
    }
    const int64_t width = conv ? (int64_t)n_mels * frames : data->shape[1];
    if (width > MC_MODEL_MAX_DIM)
        return mc_error_set(MC_STATUS_INVALID_ARG, "model: %lld input values per row is more than %d (2^24)%s",
                            (long long)width, MC_MODEL_MAX_DIM, conv ? " (n_mels x frames; --frames crops)" : "");
    char **classes = NULL;
    int n_classes = 0;
    const bool mm = cfg->kind == MC_MODEL_KIND_MM_VAE;
    if (mm && (!data->lyrics || !data->has_lyrics || data->lyr_dim < 1))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mm-vae needs the lyrics vector of every row (run musiclust "
                            "lyrics on the store first; mc_model_data_load_lyrics)");
    int64_t with_lyrics = 0;
    for (int64_t i = 0; mm && i < data->n; i++) with_lyrics += data->has_lyrics[i] != 0;
    if (mm && with_lyrics == 0)
        return mc_error_set(MC_STATUS_EMPTY, "mm-vae: none of the %lld rows has lyrics (has_lyrics is 0 "
                            "everywhere): train an audio-only model instead", (long long)data->n);
    if (has_condition(cfg)) {
        if (!data->codes || data->n_classes < 1)
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: column '%s' has no class to condition on",
                                mc_model_kind_name(cfg->kind), cfg->condition);
        classes = mc_calloc((size_t)data->n_classes, sizeof *classes);
        if (!classes) return mc_error_nomem("out of memory allocating the class names");
        for (int i = 0; i < data->n_classes; i++)
            if (!(classes[i] = mc_strdup(data->classes[i]))) {
                mc_store_free_classes(classes, data->n_classes);
                return MC_STATUS_NO_MEMORY;
            }
        n_classes = data->n_classes;
    }
    mc_model *m = NULL;
    st = mdl_model_alloc(cfg, data->ndim, conv ? 0 : data->shape[1], n_mels, frames, mm ? data->lyr_dim : 0,
                         classes, n_classes, data->n, data->n, &m);
    if (st != MC_STATUS_OK) return st;
    st = mdl_check_data(m, data);
    if (st != MC_STATUS_OK) { mc_model_free(m); return st; }
    /* normalisation, fitted on all rows (no labels involved) */
    if (!conv) {
        mc_data_zscore_fit(data->x, data->n, (int)m->dim, m->norm_mean, m->norm_std);
    } else {
        /* one mean / population std over every value used, in double, two passes (as the peer's
         * X.mean() / X.std() on the cropped patches; a constant input gets std 1) */
        const int64_t T = data->shape[2];
        double s = 0, v = 0, cnt = (double)data->n * n_mels * frames;
        for (int64_t i = 0; i < data->n * n_mels; i++) {
            for (int t = 0; t < frames; t++) s += data->x[i * T + t];
            if ((i + 1) % n_mels == 0) /* a row done: its pages leave the resident set (issue 11) */
                mc_array_release(&data->owned_x_, data->x + (i + 1 - n_mels) * T, (size_t)(n_mels * T) * sizeof(float));
        }
        double mean = s / cnt;
        for (int64_t i = 0; i < data->n * n_mels; i++) {
            for (int t = 0; t < frames; t++) {
                double e = data->x[i * T + t] - mean;
                v += e * e;
            }
            if ((i + 1) % n_mels == 0)
                mc_array_release(&data->owned_x_, data->x + (i + 1 - n_mels) * T, (size_t)(n_mels * T) * sizeof(float));
        }
        v /= cnt;
        m->norm_mean[0] = (float)mean;
        m->norm_std[0] = v > 0 ? (float)sqrt(v) : 1.0f;
    }
    if (mm) fit_lyrics_norm(m, data, with_lyrics);
    for (int64_t j = 0; j < m->lyr_dim; j++)
        if (!isfinite(m->lyr_mean[j]) || !isfinite(m->lyr_std[j])) {
            mc_model_free(m);
            return mc_error_set(MC_STATUS_NUMERIC, "mm-vae: the lyrics vectors have NaN/Inf or overflowing values "
                                "(column %lld)", (long long)j);
        }
    for (int64_t j = 0; j < m->norm_n; j++)
        if (!isfinite(m->norm_mean[j]) || !isfinite(m->norm_std[j])) {
            mc_model_free(m);
            return mc_error_set(MC_STATUS_NUMERIC, "model: the input has NaN/Inf or overflowing values "
                                "(feature %lld)", (long long)j);
        }
    mc_rng init;
    mc_rng_seed(&init, cfg->seed, 1);
    mdl_net_init(m->net, &init);
    *out = m;
    return MC_STATUS_OK;
}

/* ------------------------------------------------------------------ encoding */

mc_status mc_model_encode(mc_model *m, const mc_model_data *data, int threads, float *mu, float *recon,
                          int64_t *unknown) {
    mc_status st = mdl_check_data(m, data);
    if (st != MC_STATUS_OK) return st;
    int *map = NULL;
    st = mdl_class_map(m, data, &map);
    if (st != MC_STATUS_OK) return st;
    if (unknown) {
        *unknown = 0;
        if (map)
            for (int64_t i = 0; i < data->n; i++)
                *unknown += data->codes[i] >= 0 && map[data->codes[i]] < 0;
    }
    st = mdl_model_fit_rows(m, data->n);
    if (st != MC_STATUS_OK) { free(map); return st; }
    mc_nn_set_threads(threads);
    mdl_net *n = m->net;
    const int Z = n->Z;
    int64_t *idx = mc_calloc(1, (size_t)n->max_batch * sizeof *idx); /* (max_batch) row numbers */
    if (!idx) { free(map); return mc_error_nomem("out of memory allocating the embedding batch row numbers"); }
    for (int64_t s = 0; s < data->n; s += n->max_batch) {
        int B = (int)(data->n - s < n->max_batch ? data->n - s : n->max_batch);
        for (int b = 0; b < B; b++) idx[b] = s + b;
        mdl_gather(m, data, idx, B, map);
        st = mdl_net_forward(n, B, false);
        if (st != MC_STATUS_OK) break;
        memcpy(mu + s * Z, n->mu_out, (size_t)B * Z * sizeof(float));
        if (recon) {
            /* back to the input's units: x * std + mean */
            float *r = recon + s * m->D;
            for (int b = 0; b < B; b++)
                for (int64_t j = 0; j < m->D; j++) {
                    int64_t k = m->ndim == 2 ? j : 0;
                    r[b * m->D + j] = n->recon[b * m->D + j] * m->norm_std[k] + m->norm_mean[k];
                }
        }
    }
    free(idx);
    free(map);
    return st;
}

/* ------------------------------------------------------------------ data from a store */

void mc_model_data_free(mc_model_data *d) {
    if (!d) return;
    mc_array_free(&d->owned_x_);
    free(d->owned_codes_);
    mc_free(d->owned_lyrics_);
    free(d->owned_has_);
    mc_store_free_classes(d->owned_classes_, d->n_classes);
    memset(d, 0, sizeof *d);
}

mc_status mc_model_data_load(const char *featdir, mc_model_input input, const char *condition,
                             mc_model_data *out) {
    return mc_model_data_load_features(featdir, input, MC_STORE_FEATURES_MFCC, condition, out);
}

mc_status mc_model_data_load_features(const char *featdir, mc_model_input input, mc_store_features features,
                                      const char *condition, mc_model_data *out) {
    memset(out, 0, sizeof *out);
    mc_store s;
    /* log-mel input reads the index here and logmel.npy below: any vectors will do */
    mc_status st = mc_store_open_features(featdir, input == MC_MODEL_INPUT_VECTORS ? features : MC_STORE_FEATURES_MFCC, &s);
    if (st != MC_STATUS_OK) return st;
    if (s.n < 1) {
        mc_store_close(&s);
        return mc_error_set(MC_STATUS_EMPTY, "%s: the feature store has no rows", featdir);
    }
    if (condition) {
        out->owned_codes_ = mc_calloc(1, (size_t)s.n * sizeof *out->owned_codes_);
        if (!out->owned_codes_) { mc_store_close(&s); return mc_error_nomem("out of memory allocating the class codes of the rows"); }
        st = mc_store_label_codes(&s, condition, out->owned_codes_, &out->owned_classes_, &out->n_classes);
        if (st != MC_STATUS_OK) { mc_store_close(&s); mc_model_data_free(out); return st; }
        out->codes = out->owned_codes_;
        out->classes = (const char *const *)out->owned_classes_;
    }
    if (input == MC_MODEL_INPUT_VECTORS) {
        out->owned_x_ = s.vectors; /* take the array over from the store */
        memset(&s.vectors, 0, sizeof s.vectors);
    } else {
        st = mc_store_load_logmel(&s, &out->owned_x_);
        if (st == MC_STATUS_OK) {
            const float *x = out->owned_x_.data;
            const int64_t row = out->owned_x_.shape[1] * out->owned_x_.shape[2];
            for (int64_t r = 0; r < out->owned_x_.shape[0] && st == MC_STATUS_OK; r++) {
                for (int64_t i = r * row; i < (r + 1) * row; i++)
                    if (!isfinite(x[i])) {
                        st = mc_error_set(MC_STATUS_NUMERIC, "%s/logmel.npy: row %lld has a NaN or Inf value",
                                          featdir, (long long)r);
                        break;
                    }
                mc_array_release(&out->owned_x_, x + r * row, (size_t)row * sizeof *x); /* issue 11 */
            }
        }
    }
    mc_store_close(&s);
    if (st != MC_STATUS_OK) { mc_model_data_free(out); return st; }
    out->n = out->owned_x_.shape[0];
    out->ndim = out->owned_x_.ndim;
    for (int i = 0; i < out->ndim && i < 3; i++) out->shape[i] = out->owned_x_.shape[i];
    out->x = out->owned_x_.data;
    return MC_STATUS_OK;
}

/* ------------------------------------------------------------------ lyrics of a store (mm-vae) */

mc_status mc_model_data_load_lyrics(const char *featdir, mc_model_data *d) {
    /* the store's lyrics join (data.h): strict, every row's track must have a lyrics row */
    mc_store s;
    mc_status st = mc_store_open_index(featdir, &s);
    if (st != MC_STATUS_OK) return st;
    if (s.n != d->n) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected %lld rows (the loaded features), got %lld rows", s.index_path,
                          (long long)d->n, (long long)s.n);
        mc_store_close(&s);
        return st;
    }
    float *lyr = NULL;
    uint8_t *has = NULL;
    int L = 0;
    st = mc_store_lyrics(&s, &lyr, &has, &L);
    mc_store_close(&s);
    if (st != MC_STATUS_OK) return st;
    mc_free(d->owned_lyrics_);
    free(d->owned_has_);
    d->owned_lyrics_ = lyr;
    d->owned_has_ = has;
    d->lyrics = lyr;
    d->has_lyrics = has;
    d->lyr_dim = L;
    return MC_STATUS_OK;
}
