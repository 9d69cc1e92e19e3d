/* The model file: safetensors with the weights (torch state_dict names and shapes), the input
 * normalisation, the Adam state, the training state and, in __metadata__["musiclust"], a JSON object
 * with the architecture and training configuration. Written atomically by mc_safetensors_write. */
#include "models_internal.h"

#include <musiclust/data.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define META_KEY "musiclust"
#define FORMAT_VERSION 1

/* An mc_rng as 6 int64: s[0..3], has_spare, the bits of spare_normal. */
static void rng_pack(const mc_rng *r, int64_t out[6]) {
    for (int i = 0; i < 4; i++) out[i] = (int64_t)r->s[i];
    out[4] = r->has_spare;
    memcpy(&out[5], &r->spare_normal, sizeof(double));
}

static void rng_unpack(const int64_t in[6], mc_rng *r) {
    for (int i = 0; i < 4; i++) r->s[i] = (uint64_t)in[i];
    r->has_spare = (int)in[4];
    memcpy(&r->spare_normal, &in[5], sizeof(double));
}

static mc_status build_meta(const mc_model *m, char **out) {
    const mc_model_config *c = &m->cfg;
    mc_json *j = NULL;
    mc_status st = mc_json_create(&j);
    if (st != MC_STATUS_OK) return st;
    bool conv = m->ndim == 3;
    mc_json_begin_object(j);
    mc_json_key(j, "format"); mc_json_int(j, FORMAT_VERSION);
    mc_json_key(j, "model"); mc_json_string(j, mc_model_kind_name(c->kind));
    mc_json_key(j, "arch"); mc_json_string(j, conv ? "conv" : "mlp");
    mc_json_key(j, "input"); mc_json_string(j, conv ? "logmel" : "vectors");
    if (conv) {
        mc_json_key(j, "n_mels"); mc_json_int(j, m->n_mels);
        mc_json_key(j, "frames"); mc_json_int(j, m->frames);
        mc_json_key(j, "channels"); mc_json_begin_array(j);
        for (int i = 0; i < c->n_conv; i++) mc_json_int(j, c->channels[i]);
        mc_json_end_array(j);
        mc_json_key(j, "norm"); mc_json_string(j, "global");
    } else {
        mc_json_key(j, "input_dim"); mc_json_int(j, m->dim);
        mc_json_key(j, "hidden"); mc_json_begin_array(j);
        for (int i = 0; i < c->n_hidden; i++) mc_json_int(j, c->hidden[i]);
        mc_json_end_array(j);
        mc_json_key(j, "norm"); mc_json_string(j, "zscore");
        /* the feature set, written only when it is not the MFCC statistics (older files have none) */
        if (c->features != MC_STORE_FEATURES_MFCC) {
            mc_json_key(j, "features"); mc_json_string(j, mc_store_features_name(c->features));
        }
    }
    if (c->kind == MC_MODEL_KIND_MM_VAE) {
        mc_json_key(j, "fusion"); mc_json_string(j, c->fusion == MC_MODEL_FUSION_POE ? "poe" : "concat");
        mc_json_key(j, "audio_weight"); mc_json_number(j, c->audio_weight);
        mc_json_key(j, "lyrics_weight"); mc_json_number(j, c->lyrics_weight);
        mc_json_key(j, "lyrics_dim"); mc_json_int(j, m->lyr_dim);
        mc_json_key(j, "lyrics_hidden"); mc_json_begin_array(j);
        for (int i = 0; i < c->n_lyr_hidden; i++) mc_json_int(j, c->lyr_hidden[i]);
        mc_json_end_array(j);
        mc_json_key(j, "fuse_hidden"); mc_json_begin_array(j);
        for (int i = 0; c->fusion == MC_MODEL_FUSION_CONCAT && i < c->n_fuse; i++) mc_json_int(j, c->fuse[i]);
        mc_json_end_array(j);
        mc_json_key(j, "lyrics_norm");
        mc_json_string(j, c->lyrics_norm == MC_MODEL_LYRICS_NORM_ZSCORE ? "zscore" : "global");
    }
    mc_json_key(j, "latent"); mc_json_int(j, c->latent);
    mc_json_key(j, "variational"); mc_json_bool(j, c->kind != MC_MODEL_KIND_AE);
    mc_json_key(j, "beta"); mc_json_number(j, c->beta);
    mc_json_key(j, "warmup"); mc_json_int(j, c->warmup);
    mc_json_key(j, "condition"); mc_json_string(j, c->condition); /* NULL -> null */
    mc_json_key(j, "classes"); mc_json_begin_array(j);
    for (int i = 0; i < m->n_classes; i++) mc_json_string(j, m->classes[i]);
    mc_json_end_array(j);
    mc_json_key(j, "epochs"); mc_json_int(j, c->epochs);
    mc_json_key(j, "epochs_done"); mc_json_int(j, m->epoch);
    mc_json_key(j, "complete"); mc_json_bool(j, mdl_is_complete(m));
    mc_json_key(j, "stopped_early"); mc_json_bool(j, m->stopped_early);
    mc_json_key(j, "batch"); mc_json_int(j, c->batch);
    mc_json_key(j, "lr"); mc_json_number(j, c->lr);
    mc_json_key(j, "optimizer"); mc_json_string(j, "adam");
    mc_json_key(j, "seed");
    if (c->seed <= (uint64_t)INT64_MAX) {
        mc_json_int(j, (int64_t)c->seed);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->seed);
        mc_json_string(j, buf);
    }
    mc_json_key(j, "val_fraction"); mc_json_number(j, c->val_fraction);
    mc_json_key(j, "patience"); mc_json_int(j, c->patience);
    mc_json_key(j, "clip"); mc_json_number(j, c->clip);
    mc_json_key(j, "precision"); mc_json_string(j, mc_nn_precision_name(c->precision));
    mc_json_key(j, "n_rows"); mc_json_int(j, m->n_rows);
    mc_json_key(j, "musiclust_version"); mc_json_string(j, mc_version());
    mc_json_end_object(j);
    const char *text = mc_json_text(j);
    *out = text ? mc_strdup(text) : NULL;
    mc_json_free(j);
    if (!*out) return mc_error_nomem("model: out of memory building the metadata");
    return MC_STATUS_OK;
}

mc_status mc_model_save(const mc_model *m, const char *path) {
    mdl_net *n = m->net;
    int np = mc_nn_params_count(n->params);
    int na = mc_nn_adam_count(n->adam);
    int cap = np * 2 + na * 2 + 16;
    mc_tensor_entry *e = mc_calloc((size_t)cap, sizeof *e);
    char *names = mc_calloc((size_t)cap, MC_NN_NAME_MAX + 16); /* storage for composed names */
    if (!e || !names) {
        free(e);
        free(names);
        return mc_error_nomem("%s: out of memory", path);
    }
    int k = 0, kn = 0;
#define NEWNAME(...) (snprintf(names + (size_t)kn * (MC_NN_NAME_MAX + 16), MC_NN_NAME_MAX + 16, __VA_ARGS__), \
                      names + (size_t)(kn++) * (MC_NN_NAME_MAX + 16))
    for (int i = 0; i < np; i++) mc_nn_param_entry(mc_nn_params_at(n->params, i), &e[k++]);
    e[k++] = (mc_tensor_entry){"norm.mean", MC_DTYPE_F32, 1, {m->norm_n}, m->norm_mean};
    e[k++] = (mc_tensor_entry){"norm.std", MC_DTYPE_F32, 1, {m->norm_n}, m->norm_std};
    if (m->lyr_dim > 0) {
        e[k++] = (mc_tensor_entry){"norm.lyr.mean", MC_DTYPE_F32, 1, {m->lyr_dim}, m->lyr_mean};
        e[k++] = (mc_tensor_entry){"norm.lyr.std", MC_DTYPE_F32, 1, {m->lyr_dim}, m->lyr_std};
    }
    for (int i = 0; i < na; i++) {
        float *ma = NULL, *va = NULL;
        mc_nn_param *p = mc_nn_adam_param(n->adam, i, &ma, &va);
        mc_tensor_entry t;
        mc_nn_param_entry(p, &t);
        t.name = NEWNAME("adam.%s.m", p->name);
        t.data = ma;
        e[k++] = t;
        t.name = NEWNAME("adam.%s.v", p->name);
        t.data = va;
        e[k++] = t;
    }
    int64_t step = mc_nn_adam_steps(n->adam), epoch = m->epoch, best_epoch = m->best_epoch,
            bad = m->bad_epochs, rs[6], rn[6];
    double best_val = m->best_val;
    rng_pack(&m->rng_shuffle, rs);
    rng_pack(&m->rng_noise, rn);
    e[k++] = (mc_tensor_entry){"adam.step", MC_DTYPE_I64, 1, {1}, &step};
    e[k++] = (mc_tensor_entry){"train.epoch", MC_DTYPE_I64, 1, {1}, &epoch};
    e[k++] = (mc_tensor_entry){"train.rng.shuffle", MC_DTYPE_I64, 1, {6}, rs};
    e[k++] = (mc_tensor_entry){"train.rng.noise", MC_DTYPE_I64, 1, {6}, rn};
    e[k++] = (mc_tensor_entry){"train.best_epoch", MC_DTYPE_I64, 1, {1}, &best_epoch};
    e[k++] = (mc_tensor_entry){"train.bad_epochs", MC_DTYPE_I64, 1, {1}, &bad};
    e[k++] = (mc_tensor_entry){"train.best_val", MC_DTYPE_F64, 1, {1}, &best_val};
    /* The best epoch's weights, while a later epoch is current and training is not over (at the end
     * they have been restored into the weights themselves). */
    if (m->best && !mdl_is_complete(m) && m->best_epoch != m->epoch)
        for (int i = 0; i < np; i++) {
            mc_nn_param *p = mc_nn_params_at(n->params, i);
            if (!p->data || !m->best[i]) continue;
            mc_tensor_entry t;
            mc_nn_param_entry(p, &t);
            t.name = NEWNAME("best.%s", p->name);
            t.data = m->best[i];
            e[k++] = t;
        }
#undef NEWNAME
    char *meta = NULL;
    mc_status st = build_meta(m, &meta);
    if (st == MC_STATUS_OK) {
        const char *keys[1] = {META_KEY}, *vals[1] = {meta};
        st = mc_safetensors_write(path, e, k, keys, vals, 1);
    }
    free(meta);
    free(e);
    free(names);
    return st;
}

/* ------------------------------------------------------------------ loading */

static mc_status bad_meta(const char *path, const char *what) {
    return mc_error_set(MC_STATUS_FORMAT, "%s: metadata '%s': %s", path, META_KEY, what);
}

/* What the metadata may ask for. A model file is outside input: its numbers size the network before
 * any tensor is read, so they are capped here and checked against the file's tensors (below) before
 * anything is allocated. The caps are far above what musiclust trains (dims of tens to thousands,
 * batches of 32..128, log-mel of 128 x 130). */
#define LOAD_MAX_DIM MC_MODEL_MAX_DIM      /* input_dim, lyrics_dim, n_mels, frames, n_mels * frames */
#define LOAD_MAX_CLASSES (1 << 16)        /* condition classes */
#define LOAD_MAX_BATCH MC_MODEL_MAX_BATCH  /* mini-batch rows */
#define LOAD_MAX_ROWS ((int64_t)1 << 40)  /* rows of the training data */
/* The step buffers (every layer's output and input gradient, and the net's own row buffers) hold
 * min(batch, n_rows) rows; they may not exceed 2^28 floats (1 GiB). The default conv-vae (batch 128
 * of 128 x 130 log-mel) needs about 2^27. */
#define LOAD_MAX_STEP_FLOATS ((double)(1 << 28))

static int get_int(const mj_value *o, const char *key, int64_t lo, int64_t hi, int64_t *v) {
    return mj_int(mj_get(o, key), v) && *v >= lo && *v <= hi;
}

static int get_num(const mj_value *o, const char *key, double *v) {
    const mj_value *x = mj_get(o, key);
    if (!x || x->type != MJ_NUMBER) return 0;
    *v = x->num;
    return 1;
}

static int get_int_array(const mj_value *o, const char *key, int *v, int *n) {
    const mj_value *a = mj_get(o, key);
    if (!a || a->type != MJ_ARRAY || a->n > MC_MODEL_MAX_LAYERS) return 0;
    for (int i = 0; i < a->n; i++) {
        int64_t x;
        if (!mj_int(a->items[i], &x) || x < 1 || x > INT32_MAX) return 0;
        v[i] = (int)x;
    }
    *n = a->n;
    return 1;
}

/* A tensor of the file with the expected dtype and element count. */
static mc_status find_tensor(const mc_safetensors *f, const char *path, const char *name, mc_dtype dt,
                             int64_t count, const void **data) {
    const mc_tensor_entry *t = mc_safetensors_find(f, name);
    if (!t) return mc_error_set(MC_STATUS_FORMAT, "%s: tensor '%s' is missing", path, name);
    int64_t c = 1;
    for (int d = 0; d < t->ndim; d++) c *= t->shape[d];
    if (t->dtype != dt || c != count)
        return mc_error_set(MC_STATUS_FORMAT, "%s: tensor '%s' is %s with %lld values, expected %s with %lld",
                            path, name, mc_dtype_name(t->dtype), (long long)c, mc_dtype_name(dt),
                            (long long)count);
    *data = t->data;
    return MC_STATUS_OK;
}

/* The mm-vae's keys. */
static mc_status parse_mm(const char *path, const mj_value *o, mc_model_config *c, int64_t *lyr_dim) {
    int64_t v;
    const mj_value *s = mj_get(o, "fusion");
    if (!s || s->type != MJ_STRING || (strcmp(s->str, "concat") != 0 && strcmp(s->str, "poe") != 0))
        return bad_meta(path, "fusion must be \"concat\" or \"poe\"");
    c->fusion = strcmp(s->str, "poe") == 0 ? MC_MODEL_FUSION_POE : MC_MODEL_FUSION_CONCAT;
    if (!get_num(o, "audio_weight", &c->audio_weight)) return bad_meta(path, "bad audio_weight");
    if (!get_num(o, "lyrics_weight", &c->lyrics_weight)) return bad_meta(path, "bad lyrics_weight");
    if (!get_int(o, "lyrics_dim", 1, LOAD_MAX_DIM, &v)) return bad_meta(path, "lyrics_dim is not an integer in 1..2^24");
    *lyr_dim = v;
    if (!get_int_array(o, "lyrics_hidden", c->lyr_hidden, &c->n_lyr_hidden)) return bad_meta(path, "bad lyrics_hidden");
    if (!get_int_array(o, "fuse_hidden", c->fuse, &c->n_fuse)) return bad_meta(path, "bad fuse_hidden");
    s = mj_get(o, "lyrics_norm");
    if (!s || s->type != MJ_STRING || (strcmp(s->str, "global") != 0 && strcmp(s->str, "zscore") != 0))
        return bad_meta(path, "lyrics_norm must be \"global\" or \"zscore\"");
    c->lyrics_norm = strcmp(s->str, "zscore") == 0 ? MC_MODEL_LYRICS_NORM_ZSCORE : MC_MODEL_LYRICS_NORM_GLOBAL;
    return MC_STATUS_OK;
}

static mc_status parse_meta(const char *path, const mj_value *o, mc_model_config *c, int *ndim,
                            int64_t *dim, int *n_mels, int *frames, int64_t *lyr_dim, char ***classes,
                            int *n_classes, int64_t *n_rows, bool *stopped_early) {
    int64_t v;
    double x;
    if (!o || o->type != MJ_OBJECT) return bad_meta(path, "not a JSON object");
    if (!get_int(o, "format", 1, 1, &v)) return bad_meta(path, "unknown or missing format version");
    const mj_value *s = mj_get(o, "model");
    if (!s || s->type != MJ_STRING || mc_model_kind_parse(s->str, &c->kind) != MC_STATUS_OK)
        return bad_meta(path, "unknown model");
    s = mj_get(o, "input");
    if (!s || s->type != MJ_STRING || (strcmp(s->str, "vectors") != 0 && strcmp(s->str, "logmel") != 0))
        return bad_meta(path, "input must be \"vectors\" or \"logmel\"");
    c->input = strcmp(s->str, "logmel") == 0 ? MC_MODEL_INPUT_LOGMEL : MC_MODEL_INPUT_VECTORS;
    if (c->input == MC_MODEL_INPUT_LOGMEL) {
        *ndim = 3;
        if (!get_int(o, "n_mels", 1, LOAD_MAX_DIM, &v)) return bad_meta(path, "n_mels is not an integer in 1..2^24");
        *n_mels = (int)v;
        if (!get_int(o, "frames", 1, LOAD_MAX_DIM, &v)) return bad_meta(path, "frames is not an integer in 1..2^24");
        *frames = (int)v;
        c->frames = *frames;
        if ((int64_t)*n_mels * *frames > LOAD_MAX_DIM) return bad_meta(path, "n_mels x frames is more than 2^24");
        if (!get_int_array(o, "channels", c->channels, &c->n_conv) || c->n_conv < 1)
            return bad_meta(path, "bad channels");
    } else {
        *ndim = 2;
        if (!get_int(o, "input_dim", 1, LOAD_MAX_DIM, dim))
            return bad_meta(path, "input_dim is not an integer in 1..2^24");
        if (!get_int_array(o, "hidden", c->hidden, &c->n_hidden)) return bad_meta(path, "bad hidden");
        s = mj_get(o, "features"); /* absent: the MFCC statistics */
        c->features = MC_STORE_FEATURES_MFCC;
        if (s && (s->type != MJ_STRING || mc_store_features_parse(s->str, &c->features) != MC_STATUS_OK)) {
            mc_error_clear();
            return bad_meta(path, "features must be \"mfcc\", \"descriptors\" or \"mfcc+descriptors\"");
        }
    }
    if (c->kind == MC_MODEL_KIND_MM_VAE) {
        mc_status st = parse_mm(path, o, c, lyr_dim);
        if (st != MC_STATUS_OK) return st;
    }
    if (!get_int(o, "latent", 1, INT32_MAX, &v)) return bad_meta(path, "bad latent");
    c->latent = (int)v;
    if (!get_num(o, "beta", &c->beta)) return bad_meta(path, "bad beta");
    if (!get_int(o, "warmup", 0, INT32_MAX, &v)) return bad_meta(path, "bad warmup");
    c->warmup = (int)v;
    if (!get_int(o, "epochs", 0, INT32_MAX, &v)) return bad_meta(path, "bad epochs");
    c->epochs = (int)v;
    if (!get_int(o, "batch", 1, LOAD_MAX_BATCH, &v)) return bad_meta(path, "batch is not an integer in 1..65536");
    c->batch = (int)v;
    if (!get_num(o, "lr", &c->lr)) return bad_meta(path, "bad lr");
    s = mj_get(o, "seed");
    if (s && s->type == MJ_STRING) {
        char *e = NULL;
        c->seed = strtoull(s->str, &e, 10);
        if (!s->str[0] || *e) return bad_meta(path, "bad seed");
    } else {
        if (!get_int(o, "seed", 0, INT64_MAX, &v)) return bad_meta(path, "bad seed");
        c->seed = (uint64_t)v;
    }
    if (!get_num(o, "val_fraction", &c->val_fraction)) return bad_meta(path, "bad val_fraction");
    if (!get_int(o, "patience", 0, INT32_MAX, &v)) return bad_meta(path, "bad patience");
    c->patience = (int)v;
    if (!get_num(o, "clip", &x)) return bad_meta(path, "bad clip");
    c->clip = x;
    /* absent in files written before issue 16: fp32 */
    const mj_value *pr = mj_get(o, "precision");
    if (pr && (pr->type != MJ_STRING || mc_nn_precision_parse(pr->str, &c->precision) != MC_STATUS_OK))
        return bad_meta(path, "bad precision (fp32 or bf16)");
    if (!get_int(o, "n_rows", 1, LOAD_MAX_ROWS, n_rows)) return bad_meta(path, "n_rows is not an integer in 1..2^40");
    const mj_value *b = mj_get(o, "stopped_early");
    *stopped_early = b && b->type == MJ_BOOL && b->num != 0;
    s = mj_get(o, "condition");
    if (s && s->type == MJ_STRING) c->condition = s->str; /* copied by mdl_model_alloc */
    else if (s && s->type != MJ_NULL) return bad_meta(path, "bad condition");
    const mj_value *a = mj_get(o, "classes");
    if (!a || a->type != MJ_ARRAY) return bad_meta(path, "bad classes");
    if (a->n > LOAD_MAX_CLASSES) return bad_meta(path, "more than 2^16 classes");
    if (a->n > 0) {
        *classes = mc_calloc((size_t)a->n, sizeof **classes);
        if (!*classes) return mc_error_nomem("out of memory allocating the class names");
        *n_classes = a->n;
        for (int i = 0; i < a->n; i++) {
            if (a->items[i]->type != MJ_STRING) return bad_meta(path, "a class name is not a string");
            if (!((*classes)[i] = mc_strdup(a->items[i]->str))) return MC_STATUS_NO_MEMORY;
        }
    }
    if (c->kind == MC_MODEL_KIND_CVAE && (!c->condition || *n_classes < 1))
        return bad_meta(path, "a cvae needs a condition and its classes");
    if (c->kind == MC_MODEL_KIND_MM_VAE && c->condition && *n_classes < 1)
        return bad_meta(path, "an mm-vae with a condition needs its classes");
    if ((c->kind != MC_MODEL_KIND_CVAE && c->kind != MC_MODEL_KIND_MM_VAE) && (c->condition || *n_classes > 0))
        return bad_meta(path, "only cvae and mm-vae take a condition");
    return MC_STATUS_OK;
}

/* ------------------------------------------------------------------ the architecture's size */

/* Parameters and per-row step-buffer floats of the network a config describes, counted layer by layer
 * as net.c and mm.c build it (their header comments list the layers), in double so that no width from
 * a file can overflow the count. Allocates nothing: mc_model_load compares it with the file before
 * building anything. */
typedef struct arch_size {
    double params; /* trainable scalars */
    double act;    /* floats per batch row: each layer's output and input gradient, the net's row buffers */
} arch_size;

static void est_linear(arch_size *a, double in, double out) {
    a->params += in * out + out;
    a->act += in + out;
}

/* Conv2d / ConvTranspose2d with a 4 x 4 kernel from (c_in, in_numel) to (c_out, out_numel). */
static void est_conv(arch_size *a, double c_in, double c_out, double in_numel, double out_numel) {
    a->params += c_in * c_out * 16 + c_out;
    a->act += in_numel + out_numel;
}

/* An MLP body over w[0..n) from width in; returns the output width. */
static double est_body(arch_size *a, double in, const int *w, int n) {
    for (int i = 0; i < n; i++) {
        est_linear(a, in, w[i]);
        in = w[i];
    }
    return in;
}

/* The mirrored MLP decoder: w reversed from width in, then a Linear to out. */
static void est_decoder(arch_size *a, double in, const int *w, int n, double out) {
    for (int i = n - 1; i >= 0; i--) {
        est_linear(a, in, w[i]);
        in = w[i];
    }
    est_linear(a, in, out);
}

/* The conv encoder body (Conv2d(4, 2, 1) halves each side); returns H = c_last * h * w. */
static double est_conv_body(arch_size *a, const mc_model_config *c, int n_mels, int frames) {
    double ci = 1;
    int64_t h = n_mels, w = frames;
    for (int i = 0; i < c->n_conv; i++) {
        est_conv(a, ci, c->channels[i], ci * (double)h * (double)w, c->channels[i] * (double)(h / 2) * (double)(w / 2));
        ci = c->channels[i];
        h /= 2;
        w /= 2;
    }
    return ci * (double)h * (double)w;
}

/* The conv decoder: Linear(Z + C, H), then ConvTranspose2d(4, 2, 1) doubling each side back. */
static void est_conv_decoder(arch_size *a, const mc_model_config *c, double ZC, double H, int n_mels, int frames) {
    est_linear(a, ZC, H);
    const int k = c->n_conv;
    int64_t h = n_mels >> k, w = frames >> k;
    for (int i = 0; i < k; i++) {
        double c_in = c->channels[k - 1 - i], c_out = i == k - 1 ? 1 : c->channels[k - 2 - i];
        est_conv(a, c_in, c_out, c_in * (double)h * (double)w, c_out * (double)(2 * h) * (double)(2 * w));
        h *= 2;
        w *= 2;
    }
}

static arch_size arch_estimate(const mc_model_config *c, int ndim, int64_t dim, int n_mels, int frames, int n_classes,
                               int64_t lyr_dim) {
    arch_size a = {0, 0};
    const bool conv = ndim == 3;
    const double D = conv ? (double)n_mels * frames : (double)dim, C = n_classes, Z = c->latent;
    if (c->kind == MC_MODEL_KIND_MM_VAE) {
        const double L = (double)lyr_dim;
        double H = conv ? est_conv_body(&a, c, n_mels, frames) : est_body(&a, D, c->hidden, c->n_hidden);
        double HL = est_body(&a, L, c->lyr_hidden, c->n_lyr_hidden), HF0 = 0;
        if (c->fusion == MC_MODEL_FUSION_CONCAT) {
            HF0 = H + HL + 1 + C;
            double HF = est_body(&a, HF0, c->fuse, c->n_fuse);
            est_linear(&a, HF, Z);
            est_linear(&a, HF, Z);
        } else {
            est_linear(&a, H + C, Z);
            est_linear(&a, H + C, Z);
            est_linear(&a, HL + C, Z);
            est_linear(&a, HL + C, Z);
        }
        if (conv) est_conv_decoder(&a, c, Z + C, H, n_mels, frames);
        else est_decoder(&a, Z + C, c->hidden, c->n_hidden, D);
        est_decoder(&a, Z + C, c->lyr_hidden, c->n_lyr_hidden, L);
        a.act += 2 * D + 2 * L + 2 * H + 2 * HL + HF0 + 12 * Z + 3 * C + 1; /* mm.c's row buffers */
        return a;
    }
    double H, HI;
    if (conv) {
        H = est_conv_body(&a, c, n_mels, frames);
        HI = H + C;
    } else {
        H = c->n_hidden > 0 ? est_body(&a, D + C, c->hidden, c->n_hidden) : D + C;
        HI = H;
    }
    est_linear(&a, HI, Z);
    if (c->kind != MC_MODEL_KIND_AE) est_linear(&a, HI, Z);
    if (conv) est_conv_decoder(&a, c, Z + C, H, n_mels, frames);
    else est_decoder(&a, Z + C, c->hidden, c->n_hidden, D);
    a.act += 3 * (D + C) + 2 * (H + C) + 8 * (Z + C); /* net.c's row buffers */
    return a;
}

/* Before anything is allocated: the file must hold the architecture's every parameter (as float32), a
 * conv net's input must survive its n_conv halvings, and the step buffers must fit the cap. */
static mc_status check_architecture(const char *path, const mc_safetensors *f, const mc_model_config *c, int ndim,
                                    int64_t dim, int n_mels, int frames, int n_classes, int64_t lyr_dim,
                                    int64_t n_rows, arch_size *size) {
    if (ndim == 3 && ((n_mels >> c->n_conv) < 1 || (frames >> c->n_conv) < 1))
        return mc_error_set(MC_STATUS_FORMAT, "%s: metadata '%s': %d x %d log-mel cannot go through %d conv layers "
                            "(each halves both sides)", path, META_KEY, n_mels, frames, c->n_conv);
    *size = arch_estimate(c, ndim, dim, n_mels, frames, n_classes, lyr_dim);
    double stored = 0; /* float32 values in the file */
    for (int i = 0; i < mc_safetensors_count(f); i++) {
        const mc_tensor_entry *e = mc_safetensors_at(f, i);
        if (e->dtype != MC_DTYPE_F32) continue;
        double cnt = 1;
        for (int d = 0; d < e->ndim; d++) cnt *= (double)e->shape[d];
        stored += cnt;
    }
    if (size->params > stored)
        return mc_error_set(MC_STATUS_FORMAT, "%s: the metadata describes a %s with %.0f parameters but the file "
                            "holds only %.0f float32 values: damaged, or not the architecture it claims", path,
                            mc_model_kind_name(c->kind), size->params, stored);
    const double B = c->batch < n_rows ? c->batch : (double)n_rows;
    if (B * size->act > LOAD_MAX_STEP_FLOATS)
        return mc_error_set(MC_STATUS_FORMAT, "%s: metadata '%s': batch %.0f x %.0f buffer floats per row is more "
                            "than the %.0f a model may ask for (1 GiB)", path, META_KEY, B, size->act,
                            LOAD_MAX_STEP_FLOATS);
    return MC_STATUS_OK;
}

/* Every float32 the model holds (weights, Adam moments, early stopping's best weights) is finite: a
 * NaN weight would make every row encode to the same NaN-driven latent without any error. */
static mc_status check_finite(const char *path, const char *what, const char *name, const float *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return mc_error_set(MC_STATUS_NUMERIC, "%s: %s '%s' holds a NaN or Inf value (at index %lld): the model "
                                "file is damaged or its training diverged", path, what, name, (long long)i);
    return MC_STATUS_OK;
}

mc_status mc_model_load(const char *path, mc_model **out) {
    *out = NULL;
    mc_safetensors *f = NULL;
    mc_status st = mc_safetensors_read(path, &f);
    if (st != MC_STATUS_OK) return st;
    const char *text = mc_safetensors_meta(f, META_KEY);
    if (!text) {
        mc_safetensors_free(f);
        return mc_error_set(MC_STATUS_FORMAT, "%s: no '%s' metadata: not a musiclust model file", path, META_KEY);
    }
    const char *err = NULL;
    mj_value *meta = mj_parse(text, &err);
    if (!meta) {
        mc_safetensors_free(f);
        return mc_error_set(MC_STATUS_FORMAT, "%s: metadata '%s' is not valid JSON (%s)", path, META_KEY, err);
    }
    mc_model_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int ndim = 0, n_mels = 0, frames = 0, n_classes = 0;
    int64_t dim = 0, n_rows = 0, lyr_dim = 0;
    char **classes = NULL;
    bool stopped = false;
    mc_model *m = NULL;
    st = parse_meta(path, meta, &cfg, &ndim, &dim, &n_mels, &frames, &lyr_dim, &classes, &n_classes, &n_rows,
                    &stopped);
    arch_size size = {0, 0};
    if (st == MC_STATUS_OK)
        st = check_architecture(path, f, &cfg, ndim, dim, n_mels, frames, n_classes, lyr_dim, n_rows, &size);
    if (st == MC_STATUS_OK) {
        /* the network for one part of a step (MC_MODEL_PART_ROWS rows at most), whatever batch and
         * n_rows the file names (mdl_model_fit_rows) */
        st = mdl_model_alloc(&cfg, ndim, dim, n_mels, frames, lyr_dim, classes, n_classes, n_rows, 0, &m);
        classes = NULL; /* owned by m now (or freed) */
        if (st != MC_STATUS_OK) {
            const char *msg = mc_error_message();
            char copy[512];
            snprintf(copy, sizeof copy, "%s", msg);
            st = mc_error_set(MC_STATUS_FORMAT, "%s: %s", path, copy);
        }
    }
    mc_store_free_classes(classes, n_classes);
    mj_free(meta);
    /* The estimate above is what kept a file from sizing the network: it must never count less than
     * the network built (tests load every kind, so a layer added to net.c / mm.c without it shows). */
    if (st == MC_STATUS_OK && (double)mc_nn_params_trainable_numel(m->net->params) > size.params)
        st = mc_error_set(MC_STATUS_FORMAT, "%s: the loader counted %.0f parameters for this %s but the network "
                          "has %lld (arch_estimate in src/models/io.c is out of date)", path, size.params,
                          mc_model_kind_name(cfg.kind), (long long)mc_nn_params_trainable_numel(m->net->params));
    if (st == MC_STATUS_OK) st = mc_nn_params_load(m->net->params, f, path);
    for (int i = 0; st == MC_STATUS_OK && i < mc_nn_params_count(m->net->params); i++) {
        const mc_nn_param *p = mc_nn_params_at(m->net->params, i);
        if (p->data) st = check_finite(path, "tensor", p->name, p->data, p->numel);
    }
    const void *d = NULL;
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "norm.mean", MC_DTYPE_F32, m->norm_n, &d)) == MC_STATUS_OK)
        memcpy(m->norm_mean, d, (size_t)m->norm_n * sizeof(float));
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "norm.std", MC_DTYPE_F32, m->norm_n, &d)) == MC_STATUS_OK)
        memcpy(m->norm_std, d, (size_t)m->norm_n * sizeof(float));
    for (int64_t j = 0; st == MC_STATUS_OK && j < m->norm_n; j++)
        if (!isfinite(m->norm_mean[j]) || !(m->norm_std[j] > 0) || !isfinite(m->norm_std[j]))
            st = mc_error_set(MC_STATUS_FORMAT, "%s: norm.mean / norm.std [%lld] is not usable", path, (long long)j);
    if (st == MC_STATUS_OK && m->lyr_dim > 0) {
        if ((st = find_tensor(f, path, "norm.lyr.mean", MC_DTYPE_F32, m->lyr_dim, &d)) == MC_STATUS_OK)
            memcpy(m->lyr_mean, d, (size_t)m->lyr_dim * sizeof(float));
        if (st == MC_STATUS_OK && (st = find_tensor(f, path, "norm.lyr.std", MC_DTYPE_F32, m->lyr_dim, &d)) == MC_STATUS_OK)
            memcpy(m->lyr_std, d, (size_t)m->lyr_dim * sizeof(float));
        for (int64_t j = 0; st == MC_STATUS_OK && j < m->lyr_dim; j++)
            if (!isfinite(m->lyr_mean[j]) || !(m->lyr_std[j] > 0) || !isfinite(m->lyr_std[j]))
                st = mc_error_set(MC_STATUS_FORMAT, "%s: norm.lyr.mean / norm.lyr.std [%lld] is not usable", path,
                                  (long long)j);
    }
    int na = st == MC_STATUS_OK ? mc_nn_adam_count(m->net->adam) : 0;
    char name[MC_NN_NAME_MAX + 16];
    for (int i = 0; st == MC_STATUS_OK && i < na; i++) {
        float *ma = NULL, *va = NULL;
        mc_nn_param *p = mc_nn_adam_param(m->net->adam, i, &ma, &va);
        snprintf(name, sizeof name, "adam.%s.m", p->name);
        if ((st = find_tensor(f, path, name, MC_DTYPE_F32, p->numel, &d)) != MC_STATUS_OK) break;
        memcpy(ma, d, (size_t)p->numel * sizeof(float));
        snprintf(name, sizeof name, "adam.%s.v", p->name);
        if ((st = find_tensor(f, path, name, MC_DTYPE_F32, p->numel, &d)) != MC_STATUS_OK) break;
        memcpy(va, d, (size_t)p->numel * sizeof(float));
        if ((st = check_finite(path, "Adam state of", p->name, ma, p->numel)) != MC_STATUS_OK) break;
        if ((st = check_finite(path, "Adam state of", p->name, va, p->numel)) != MC_STATUS_OK) break;
    }
    int64_t i64[6];
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "adam.step", MC_DTYPE_I64, 1, &d)) == MC_STATUS_OK) {
        memcpy(i64, d, sizeof(int64_t));
        mc_nn_adam_set_steps(m->net->adam, i64[0]);
    }
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "train.epoch", MC_DTYPE_I64, 1, &d)) == MC_STATUS_OK) {
        memcpy(i64, d, sizeof(int64_t));
        if (i64[0] < 0 || i64[0] > INT32_MAX) st = mc_error_set(MC_STATUS_FORMAT, "%s: bad train.epoch", path);
        else m->epoch = (int)i64[0];
    }
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "train.rng.shuffle", MC_DTYPE_I64, 6, &d)) == MC_STATUS_OK) {
        memcpy(i64, d, sizeof i64);
        rng_unpack(i64, &m->rng_shuffle);
    }
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "train.rng.noise", MC_DTYPE_I64, 6, &d)) == MC_STATUS_OK) {
        memcpy(i64, d, sizeof i64);
        rng_unpack(i64, &m->rng_noise);
    }
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "train.best_epoch", MC_DTYPE_I64, 1, &d)) == MC_STATUS_OK) {
        memcpy(i64, d, sizeof(int64_t));
        m->best_epoch = (int)i64[0];
    }
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "train.bad_epochs", MC_DTYPE_I64, 1, &d)) == MC_STATUS_OK) {
        memcpy(i64, d, sizeof(int64_t));
        m->bad_epochs = (int)i64[0];
    }
    if (st == MC_STATUS_OK && (st = find_tensor(f, path, "train.best_val", MC_DTYPE_F64, 1, &d)) == MC_STATUS_OK)
        memcpy(&m->best_val, d, sizeof(double));
    if (st == MC_STATUS_OK) m->stopped_early = stopped;
    /* Early stopping's best weights: stored while they differ from the current ones. */
    if (st == MC_STATUS_OK && mdl_uses_early_stopping(m) && m->best_epoch > 0) {
        st = mdl_best_snapshot(m);
        int np = mc_nn_params_count(m->net->params);
        for (int i = 0; st == MC_STATUS_OK && i < np; i++) {
            mc_nn_param *p = mc_nn_params_at(m->net->params, i);
            snprintf(name, sizeof name, "best.%s", p->name);
            if (!p->data || !mc_safetensors_find(f, name)) continue;
            if ((st = find_tensor(f, path, name, MC_DTYPE_F32, p->numel, &d)) == MC_STATUS_OK) {
                memcpy(m->best[i], d, (size_t)p->numel * sizeof(float));
                st = check_finite(path, "tensor", name, m->best[i], p->numel);
            }
        }
    }
    mc_safetensors_free(f);
    if (st != MC_STATUS_OK) {
        mc_model_free(m);
        return st;
    }
    *out = m;
    return MC_STATUS_OK;
}
