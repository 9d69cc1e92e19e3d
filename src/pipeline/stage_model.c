/* The model stage of `musiclust run`: for one representation and seed, assemble the model's data,
 * pick the training rows (all, or a seeded subset under the conv-vae's sample budget), train (resuming
 * an interrupted run's checkpoint), encode every row into latents/<id>.seed<S>.npy and, for the first
 * seed of a model with reconstructions, write recon/ examples. */
#include "run_internal.h"

#include <stdlib.h>
#include <string.h>

void pl_model_config(const pl_run *R, const pl_rep *r, mc_model_config *mc, int64_t *train_rows) {
    const mc_run_config *c = R->cfg;
    const int64_t n_rows = R->n;
    mc_model_config_default(r->model, mc);
    mc->input = r->input;
    mc->features = R->features;
    if (r->conditioned) mc->condition = R->main_label;
    *train_rows = n_rows;
    if (r->input == MC_MODEL_INPUT_LOGMEL) {
        /* epochs = clamp(budget / rows, min, max); one epoch on a seeded subset when even that is over */
        int64_t budget = c->fast ? 64 : c->conv_budget;
        int maxe = c->fast ? 1 : c->conv_max_epochs, mine = c->conv_min_epochs < 1 ? 1 : c->conv_min_epochs;
        if (mine > maxe) mine = maxe;
        int64_t e = budget / (n_rows > 0 ? n_rows : 1);
        if (e < mine) e = mine;
        if (e > maxe) e = maxe;
        mc->epochs = (int)e;
        if (e * n_rows > budget && e == 1 && budget < n_rows) *train_rows = budget > 0 ? budget : 1;
        mc->batch = c->conv_batch > 0 ? c->conv_batch : 32;
        mc->precision = c->precision;
    } else {
        mc->epochs = c->fast ? 12 : c->mlp_epochs > 0 ? c->mlp_epochs : mc->epochs;
        if (c->mlp_latent > 0) mc->latent = c->mlp_latent;
    }
    if (r->input == MC_MODEL_INPUT_LOGMEL && r->model != MC_MODEL_KIND_CONV_VAE && r->model != MC_MODEL_KIND_MM_VAE) {
        /* the conv autoencoder and the conv cvae: the conv-vae's code size (models.h) */
        mc_model_config conv;
        mc_model_config_default(MC_MODEL_KIND_CONV_VAE, &conv);
        mc->latent = conv.latent;
    }
    const mc_recipe_rep *o = r->opt; /* a recipe's options over the defaults (--fast still wins on epochs) */
    if (!o) return;
    if (o->latent > 0) mc->latent = o->latent;
    if (o->n_hidden > 0) {
        mc->n_hidden = o->n_hidden < MC_MODEL_MAX_LAYERS ? o->n_hidden : MC_MODEL_MAX_LAYERS;
        for (int i = 0; i < mc->n_hidden; i++) mc->hidden[i] = o->hidden[i];
    }
    if (o->beta >= 0) mc->beta = o->beta;
    if (o->lr > 0) mc->lr = o->lr;
    if (o->batch > 0) mc->batch = o->batch;
    if (o->epochs > 0 && !c->fast) {
        mc->epochs = o->epochs; /* the recipe's epochs replace the conv sample budget */
        *train_rows = n_rows;
    }
}

/* ---------------------------------------------------------------- data */

/* What a stage_model works with: the model's data, and the buffers behind it. */
typedef struct model_data {
    mc_model_data data;   /* every row */
    mc_model_data train;  /* the training rows (data itself, or the subset in sub) */
    bool loaded;          /* data came from mc_model_data_load (free it with mc_model_data_free) */
    float *xbuf;          // (n, F + L) [vectors ; lyrics] of a lyrics-input model
    float *sub;           // (train_rows, row) the subset
    int32_t *sub_codes;   // (train_rows) its condition classes (a conditioned model)
    float *sub_lyrics;    // (train_rows, lyr_dim) its lyrics vectors (mm-vae)
    uint8_t *sub_has;     // (train_rows)
    int32_t *codes;       // (n) main-label classes of a lyrics-input model
    char **classes;
    int n_classes;
} model_data;

static void model_data_free(model_data *m) {
    if (m->loaded) mc_model_data_free(&m->data);
    mc_free(m->xbuf);
    mc_free(m->sub);
    mc_free(m->sub_codes);
    mc_free(m->sub_lyrics);
    mc_free(m->sub_has);
    free(m->codes);
    mc_store_free_classes(m->classes, m->n_classes);
    memset(m, 0, sizeof *m);
}

/* [vectors ; the track's lyrics vector] of every row, conditioned on the main label (the MLP cvae of
 * the audio + lyrics configuration). */
static mc_status lyrics_input_data(pl_run *R, model_data *m) {
    float *lyr = NULL;
    uint8_t *has = NULL;
    int L = 0;
    const int F = (int)R->store.vectors.shape[1];
    mc_status st = mc_store_lyrics(&R->store, &lyr, &has, &L);
    if (st == MC_STATUS_OK) {
        m->xbuf = mc_alloc((size_t)R->n * (size_t)(F + L), sizeof(float));
        m->codes = mc_calloc((size_t)R->n, sizeof *m->codes);
        if (!m->xbuf || !m->codes) st = MC_STATUS_NO_MEMORY;
    }
    for (int64_t i = 0; st == MC_STATUS_OK && i < R->n; i++) {
        memcpy(m->xbuf + i * (F + L), (const float *)R->store.vectors.data + i * F, (size_t)F * sizeof(float));
        memcpy(m->xbuf + i * (F + L) + F, lyr + i * L, (size_t)L * sizeof(float));
    }
    mc_free(lyr);
    free(has);
    if (st == MC_STATUS_OK) st = mc_store_label_codes(&R->store, R->main_label, m->codes, &m->classes, &m->n_classes);
    m->data.n = R->n;
    m->data.ndim = 2;
    m->data.shape[0] = R->n;
    m->data.shape[1] = F + L;
    m->data.x = m->xbuf;
    m->data.codes = m->codes;
    m->data.n_classes = m->n_classes;
    m->data.classes = (const char *const *)m->classes;
    return st;
}

/* The training rows: all, or train_rows of them drawn with the seed, kept in row order. */
static mc_status training_rows(model_data *m, int64_t train_rows, uint64_t seed) {
    m->train = m->data;
    const mc_model_data *d = &m->data;
    if (train_rows >= d->n) return MC_STATUS_OK;
    const int64_t row = d->ndim == 2 ? d->shape[1] : d->shape[1] * d->shape[2];
    int64_t *perm = mc_alloc((size_t)d->n, sizeof(int64_t)); // (n)
    uint8_t *mark = mc_alloc((size_t)d->n, 1);               // (n)
    m->sub = mc_alloc((size_t)(train_rows * row), sizeof(float));
    /* the subset's conditions and lyrics travel with its rows (a conv cvae / mm-vae on a budget) */
    if (d->codes) m->sub_codes = mc_alloc((size_t)train_rows, sizeof(int32_t));
    if (d->lyrics) {
        m->sub_lyrics = mc_alloc((size_t)(train_rows * d->lyr_dim), sizeof(float));
        m->sub_has = mc_alloc((size_t)train_rows, 1);
    }
    if (!perm || !mark || !m->sub || (d->codes && !m->sub_codes) || (d->lyrics && (!m->sub_lyrics || !m->sub_has))) {
        mc_free(perm);
        mc_free(mark);
        return mc_error_nomem("out of memory for %lld training rows", (long long)train_rows);
    }
    for (int64_t i = 0; i < d->n; i++) perm[i] = i;
    mc_rng rng;
    mc_rng_seed(&rng, seed, 0x5b5e7ULL);
    mc_rng_shuffle(&rng, perm, (size_t)d->n);
    for (int64_t i = 0; i < train_rows; i++) mark[perm[i]] = 1;
    int64_t t = 0;
    for (int64_t i = 0; i < d->n; i++) {
        if (!mark[i]) continue;
        memcpy(m->sub + t * row, d->x + i * row, (size_t)row * sizeof(float));
        if (d->codes) m->sub_codes[t] = d->codes[i];
        if (d->lyrics) {
            memcpy(m->sub_lyrics + t * d->lyr_dim, d->lyrics + i * d->lyr_dim, (size_t)d->lyr_dim * sizeof(float));
            m->sub_has[t] = d->has_lyrics ? d->has_lyrics[i] : 1;
        }
        t++;
    }
    mc_free(mark);
    mc_free(perm);
    memset(&m->train, 0, sizeof m->train);
    m->train.n = train_rows;
    m->train.ndim = d->ndim;
    m->train.shape[0] = train_rows;
    m->train.shape[1] = d->shape[1];
    m->train.shape[2] = d->shape[2];
    m->train.x = m->sub;
    m->train.codes = m->sub_codes;
    m->train.n_classes = d->n_classes;
    m->train.classes = d->classes;
    m->train.lyr_dim = d->lyrics ? d->lyr_dim : 0;
    m->train.lyrics = m->sub_lyrics;
    m->train.has_lyrics = m->sub_has;
    return MC_STATUS_OK;
}

static mc_status load_data(pl_run *R, const pl_rep *r, const mc_model_config *mc, int64_t train_rows, uint64_t seed,
                           model_data *m) {
    mc_status st;
    if (r->lyrics_input) {
        st = lyrics_input_data(R, m);
    } else {
        char *fd = mc_report_path(R->dir, MC_REPORT_FEATURES);
        st = fd ? mc_model_data_load_features(fd, mc->input, mc->features, r->conditioned ? R->main_label : NULL, &m->data)
                : MC_STATUS_NO_MEMORY;
        m->loaded = st == MC_STATUS_OK;
        if (st == MC_STATUS_OK && r->model == MC_MODEL_KIND_MM_VAE) st = mc_model_data_load_lyrics(fd, &m->data);
        free(fd);
    }
    return st == MC_STATUS_OK ? training_rows(m, train_rows, seed) : st;
}

/* ---------------------------------------------------------------- reconstructions */

static mc_status write_examples_tsv(pl_run *R) {
    mc_memfile m;
    mc_status st = mc_memfile_open(&m, "recon/examples.tsv");
    if (st != MC_STATUS_OK) return st;
    FILE *f = m.f;
    const int tc = mc_table_column(&R->store.index, "track");
    const mc_score_labels *L = &R->labels;
    fputs("example\trow\ttrack\tlabel\n", f);
    for (int e = 0; e < R->n_examples; e++) {
        int64_t i = R->examples[e];
        fprintf(f, "%d\t%lld\t", e, (long long)i);
        mc_csv_write_field(f, tc >= 0 ? mc_table_get(&R->store.index, i, tc) : "", '\t');
        fputc('\t', f);
        mc_csv_write_field(f, R->main_label[0] && L->codes[0][i] >= 0 ? L->classes[0][L->codes[0][i]] : "", '\t');
        fputc('\n', f);
    }
    char *p = mc_report_path_recon(R->dir, NULL, NULL);
    st = mc_memfile_commit(&m, p);
    free(p);
    return st;
}

/* The original and reconstructed examples of the first seed's model. */
static mc_status write_recon(pl_run *R, const pl_rep *r, mc_model *m, const mc_model_data *data) {
    int nd = 0;
    int64_t shape[3];
    mc_model_input_shape(m, &nd, shape);
    const int64_t E = R->n_examples;
    const int64_t row = data->ndim == 2 ? data->shape[1] : data->shape[1] * data->shape[2];
    const int64_t per = nd == 1 ? shape[0] : shape[0] * shape[1]; /* model's row: (F) or (n_mels, frames used) */
    float *x = mc_alloc((size_t)(E * row), sizeof(float));         // (E, row) the example rows
    float *orig = mc_alloc((size_t)(E * per), sizeof(float));      // (E, per) cropped as the model sees them
    float *rec = mc_alloc((size_t)(E * per), sizeof(float));
    float *mu = mc_alloc((size_t)(E * mc_model_latent_dim(m)), sizeof(float));
    mc_status st = x && orig && rec && mu ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    for (int64_t e = 0; st == MC_STATUS_OK && e < E; e++) {
        const float *src = data->x + R->examples[e] * row;
        memcpy(x + e * row, src, (size_t)row * sizeof(float));
        if (nd == 1) memcpy(orig + e * per, src, (size_t)per * sizeof(float));
        else
            for (int64_t b = 0; b < shape[0]; b++)
                memcpy(orig + e * per + b * shape[1], src + b * data->shape[2], (size_t)shape[1] * sizeof(float));
    }
    if (st == MC_STATUS_OK) {
        mc_model_data ex;
        memset(&ex, 0, sizeof ex);
        ex.n = E;
        ex.ndim = data->ndim;
        ex.shape[0] = E;
        ex.shape[1] = data->shape[1];
        ex.shape[2] = data->shape[2];
        ex.x = x;
        st = mc_model_encode(m, &ex, R->threads, mu, rec, NULL);
    }
    char *po = mc_report_path_recon(R->dir, r->id, "original"), *pr = mc_report_path_recon(R->dir, r->id, "recon");
    int64_t oshape[3] = {E, shape[0], nd == 1 ? 0 : shape[1]};
    if (st == MC_STATUS_OK && (!po || !pr)) st = MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_npy_write(po, MC_DTYPE_F32, nd + 1, oshape, orig);
    if (st == MC_STATUS_OK) st = mc_npy_write(pr, MC_DTYPE_F32, nd + 1, oshape, rec);
    if (st == MC_STATUS_OK) st = write_examples_tsv(R);
    free(po);
    free(pr);
    mc_free(x);
    mc_free(orig);
    mc_free(rec);
    mc_free(mu);
    return st;
}

/* ---------------------------------------------------------------- the stage */

static void model_hash(const pl_run *R, const pl_rep *r, const mc_model_config *mc, int64_t train_rows,
                       uint64_t seed, bool recon, char out[17]) {
    pl_hash h;
    pl_hash_init(&h, "model");
    pl_hash_str(&h, "data", R->data_hash);
    pl_hash_str(&h, "id", r->id);
    pl_hash_str(&h, "kind", mc_model_kind_name(mc->kind));
    pl_hash_int(&h, "input", mc->input);
    pl_hash_int(&h, "mm_input", r->lyrics_input);
    pl_hash_str(&h, "condition", mc->condition);
    pl_hash_int(&h, "latent", mc->latent);
    for (int i = 0; i < mc->n_hidden; i++) pl_hash_int(&h, "hidden", mc->hidden[i]);
    for (int i = 0; i < mc->n_conv; i++) pl_hash_int(&h, "channels", mc->channels[i]);
    pl_hash_dbl(&h, "beta", mc->beta);
    pl_hash_int(&h, "epochs", mc->epochs);
    pl_hash_int(&h, "batch", mc->batch);
    pl_hash_dbl(&h, "lr", mc->lr);
    /* hashed only when not the default, so results computed before --precision keep their stages */
    if (mc->precision != MC_NN_PRECISION_FP32) pl_hash_str(&h, "precision", mc_nn_precision_name(mc->precision));
    pl_hash_int(&h, "train_rows", train_rows);
    pl_hash_u64(&h, "seed", seed);
    pl_hash_int(&h, "threads", R->threads);
    pl_hash_int(&h, "recon", recon);
    for (int e = 0; recon && e < R->n_examples; e++) pl_hash_int(&h, "example", R->examples[e]);
    pl_hash_hex(&h, out);
}

/* The generation check of a log-mel model conditioned on the main label (models.h) against the run's
 * store, with the model's seed, into models/<id>.seed<S>.check.tsv; the report shows it. */
static mc_status generation_check(pl_run *R, mc_model *m, uint64_t seed, const char *path) {
    mc_gen_check_config gc;
    mc_gen_check_config_default(&gc);
    gc.seed = seed;
    gc.threads = R->threads;
    char *fd = mc_report_path(R->dir, MC_REPORT_FEATURES);
    if (!fd) return MC_STATUS_NO_MEMORY;
    mc_gen_check g;
    mc_status st = mc_model_generation_check(m, fd, &gc, &g);
    free(fd);
    if (st == MC_STATUS_EMPTY || st == MC_STATUS_UNSUPPORTED) {
        /* e.g. a class with one real segment: said in the report, and an empty table keeps the stage whole */
        pl_note(R, "no generation check of %s: %s", path, mc_error_message());
        mc_error_clear();
        const mc_gen_check none = {0};
        return mc_gen_check_write(&none, path);
    }
    if (st == MC_STATUS_OK) {
        st = mc_gen_check_write(&g, path);
        mc_log(MC_LOG_LEVEL_INFO, "generation check (seed %llu): k-NN accuracy %.3f (chance %.3f), Frechet distance "
               "real/generated %.2f vs %.2f between real classes", (unsigned long long)seed, g.accuracy,
               1.0 / g.n_classes, g.fd_generated_mean, g.fd_other_mean_mean);
    }
    mc_gen_check_free(&g);
    return st;
}

/* The model of an interrupted run of this very configuration (its per-epoch checkpoint), or a new one.
 * Over ranks rank 0 decides from its records and the other ranks load the checkpoint it resumes (nothing
 * writes it before the training's first collective) or create the same new model. */
static mc_status resume_or_create(pl_run *R, const char *name, const char *hash, const char *p_model,
                                  const mc_model_config *mc, const mc_model_data *train, mc_model **m, bool *resumed) {
    char *partial = mc_sprintf("%s.partial", name), ph[64];
    if (!partial) return MC_STATUS_NO_MEMORY;
    *resumed = false;
    mc_status st = MC_STATUS_OK;
    if (R->writer && pl_stage_value(&R->S, partial, "hash", ph, sizeof ph) && strcmp(ph, hash) == 0 &&
        pl_file_exists(p_model) && mc_model_load(p_model, m) == MC_STATUS_OK) {
        *resumed = mc_model_epochs_done(*m) <= mc->epochs;
        if (!*resumed) {
            mc_model_free(*m);
            *m = NULL;
        }
    }
    mc_error_clear();
    if (R->dist) {
        double v = *resumed ? 1.0 : 0.0;
        st = mc_dist_bcast(R->dist, &v, sizeof v, 0);
        if (st == MC_STATUS_OK && !R->writer && v != 0) {
            st = mc_model_load(p_model, m);
            *resumed = st == MC_STATUS_OK;
        }
    }
    if (st == MC_STATUS_OK && !*m) {
        st = mc_model_create(mc, train, m);
        if (st == MC_STATUS_OK) st = pl_stage_commit(&R->S, partial, hash, 0, NULL, NULL, 0);
    }
    free(partial);
    return st;
}

mc_status pl_stage_model(pl_run *R, pl_rep *r, int si) {
    const mc_run_config *c = R->cfg;
    const uint64_t seed = c->first_seed + (uint64_t)si;
    const bool logmel = r->input == MC_MODEL_INPUT_LOGMEL;
    char name[96];
    snprintf(name, sizeof name, "model.%s.seed%llu", r->id, (unsigned long long)seed);
    mc_model_config mc;
    int64_t train_rows = 0;
    pl_model_config(R, r, &mc, &train_rows);
    mc.seed = seed;
    r->epochs = mc.epochs;
    if (logmel) {
        R->conv_epochs = mc.epochs;
        R->conv_rows = train_rows;
        R->conv_limited = !(r->opt && r->opt->epochs > 0 && !c->fast) &&
                          (mc.epochs < (c->fast ? 1 : c->conv_max_epochs) || train_rows < R->n);
    }
    const bool recon = r->recon && si == 0 &&
                       (r->model == MC_MODEL_KIND_VAE || r->model == MC_MODEL_KIND_CONV_VAE ||
                        (r->model == MC_MODEL_KIND_AE && logmel));
    /* a log-mel model conditioned on the main label: its generations are checked (issue 17, item 5) */
    const bool check = logmel && r->conditioned && r->model == MC_MODEL_KIND_CVAE;
    model_hash(R, r, &mc, train_rows, seed, recon, r->hash[si]);
    char *o[6] = {mc_report_path_model(NULL, r->id, seed), mc_report_path_loss(NULL, r->id, seed),
                  mc_report_path_latent(NULL, r->id, true, seed), mc_report_path_gencheck(NULL, r->id, seed),
                  mc_report_path_recon(NULL, r->id, "original"), mc_report_path_recon(NULL, r->id, "recon")};
    const char **outs = (const char **)o, *outs_nocheck[5] = {o[0], o[1], o[2], o[4], o[5]};
    if (!check) outs = outs_nocheck;
    char *p_model = mc_report_path_model(R->dir, r->id, seed), *p_loss = mc_report_path_loss(R->dir, r->id, seed);
    char *p_lat = mc_report_path_latent(R->dir, r->id, true, seed);
    char *p_check = mc_report_path_gencheck(R->dir, r->id, seed);
    mc_status st = o[0] && o[1] && o[2] && o[3] && o[4] && o[5] && p_model && p_loss && p_lat && p_check
                       ? MC_STATUS_OK
                       : MC_STATUS_NO_MEMORY;
    model_data md;
    memset(&md, 0, sizeof md);
    mc_model *m = NULL;
    float *mu = NULL; // (n, Z)
    if (st != MC_STATUS_OK || pl_cached(R, name, r->hash[si], outs, (check ? 4 : 3) + (recon ? 2 : 0))) goto done;
    const double t0 = mc_clock_seconds();
    bool resumed = false;
    if ((st = load_data(R, r, &mc, train_rows, seed, &md)) != MC_STATUS_OK) goto done;
    if ((st = resume_or_create(R, name, r->hash[si], p_model, &mc, &md.train, &m, &resumed)) != MC_STATUS_OK) goto done;
    if (logmel || si == 0)
        mc_log(MC_LOG_LEVEL_INFO, "%s: %s%d epoch%s over %lld rows%s", name, resumed ? "resuming, " : "", mc.epochs,
               mc.epochs == 1 ? "" : "s", (long long)md.train.n,
               !logmel                    ? ""
               : md.train.n < md.data.n   ? " (a subset: the sample budget is below one epoch)"
               : mc.epochs < (c->fast ? 1 : c->conv_max_epochs) ? " (limited by the sample budget)" : "");
    mc_train_options topt = {R->threads, logmel ? p_model : NULL, p_loss, 0, c->low_memory};
    mc_train_summary ts;
    mc_progress *pb = logmel ? pl_bar(R, name, mc.epochs - mc_model_epochs_done(m)) : NULL;
    st = mc_model_train_group(R->dist, m, &md.train, &topt, pb, &ts); /* data-parallel over ranks (models.h) */
    pl_bar_end(pb, st == MC_STATUS_OK);
    if (st == MC_STATUS_OK) st = mc_model_save(m, p_model);
    if (st == MC_STATUS_OK && !pl_file_exists(p_loss)) /* 0 epochs to train (a complete checkpoint): an empty curve */
        st = mc_file_write_atomic(p_loss, "epoch\trecon\tkl\ttotal\n", 21);
    const int Z = st == MC_STATUS_OK ? mc_model_latent_dim(m) : 0;
    if (st == MC_STATUS_OK && !(mu = mc_alloc((size_t)R->n * (size_t)Z, sizeof(float)))) st = MC_STATUS_NO_MEMORY;
    const double t_enc = mc_clock_seconds();
    /* the same parts alone and over ranks, so the latents are the same bytes (models.h) */
    if (st == MC_STATUS_OK) st = mc_model_encode_group(R->dist, m, &md.data, R->threads, mu, NULL, NULL);
    const double enc_s = mc_clock_seconds() - t_enc;
    int64_t zshape[2] = {R->n, Z};
    if (st == MC_STATUS_OK) st = mc_npy_write(p_lat, MC_DTYPE_F32, 2, zshape, mu);
    if (st == MC_STATUS_OK && recon) st = write_recon(R, r, m, &md.data);
    if (st == MC_STATUS_OK && check && R->writer) st = generation_check(R, m, seed, p_check); /* rank 0's file */
    if (st != MC_STATUS_OK) goto done;
    char eb[32], rb[32], sp[32], tt[32], et[32];
    snprintf(eb, sizeof eb, "%d", mc.epochs);
    snprintf(rb, sizeof rb, "%lld", (long long)md.train.n);
    snprintf(sp, sizeof sp, "%.1f", ts.samples_per_s);
    snprintf(tt, sizeof tt, "%.2f", ts.seconds);
    snprintf(et, sizeof et, "%.2f", enc_s);
    if (logmel)
        mc_log(MC_LOG_LEVEL_INFO, "%s: trained %.1f s (%.1f samples/s), encoded %lld rows in %.1f s", name, ts.seconds,
               ts.samples_per_s, (long long)R->n, enc_s);
    const char *keys[5] = {"epochs", "train_rows", "samples_per_s", "train_seconds", "encode_seconds"};
    const char *vals[5] = {eb, rb, sp, tt, et};
    st = pl_commit(R, name, r->hash[si], t0, keys, vals, 5);
    if (st == MC_STATUS_OK) { /* the resume marker is no longer needed */
        char *partial = mc_sprintf("%s.partial", name), *pp = partial ? mc_report_path_stage(R->dir, partial) : NULL;
        if (pp && !mc_file_writes_discarded()) remove(pp); /* rank 0's to remove over ranks */
        free(pp);
        free(partial);
    }
done:
    mc_free(mu);
    mc_model_free(m);
    model_data_free(&md);
    for (int i = 0; i < 6; i++) free(o[i]);
    free(p_check);
    free(p_model);
    free(p_loss);
    free(p_lat);
    return st;
}
