/* The representations of `musiclust run` as data: one row per representation and task (what it is
 * made from, how, with which options, which label it is given), merged per id in table order; their
 * descriptions are generated from the same options the stages use. Adding a representation to the
 * run is adding a row here. */
#include "run_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EASY = MC_PIPELINE_TASK_EASY, MEDIUM = MC_PIPELINE_TASK_MEDIUM, HARD = MC_PIPELINE_TASK_HARD };

/* In this order: rows of metrics.csv, representations.tsv, stages. */
static const pl_rep_spec TABLE[] = {
    {.id = "vae", .name = "vae", .tasks = EASY, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_MODEL,
     .model = MC_MODEL_KIND_VAE, .show = true},
    {.id = "pca", .name = "pca", .tasks = EASY, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_PCA},
    {.id = "conv-vae", .name = "conv-vae", .tasks = MEDIUM, .algos = PL_ALGO_ALL, .make = PL_MAKE_MODEL,
     .model = MC_MODEL_KIND_CONV_VAE, .input = MC_MODEL_INPUT_LOGMEL, .show = true},
    {.id = "conv-vae-lyrics", .name = "conv-vae+lyrics(concat)", .tasks = MEDIUM, .algos = PL_ALGO_ALL,
     .make = PL_MAKE_CONCAT, .needs_lyrics = true, .show = true, .from = "conv-vae"},
    {.id = "mm-vae", .name = "mm-vae", .tasks = MEDIUM, .algos = PL_ALGO_ALL, .make = PL_MAKE_MODEL,
     .model = MC_MODEL_KIND_MM_VAE, .needs_lyrics = true, .show = true},
    {.id = "beta-vae", .name = "beta-vae", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_MODEL,
     .model = MC_MODEL_KIND_BETA_VAE, .show = true},
    {.id = "cvae", .name = "cvae(%s)", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_MODEL,
     .model = MC_MODEL_KIND_CVAE, .conditioned = true, .show = true},
    {.id = "cvae-mm", .name = "cvae(%s)[audio+lyrics]", .tasks = HARD, .algos = PL_ALGO_KMEANS,
     .make = PL_MAKE_MODEL, .model = MC_MODEL_KIND_CVAE, .lyrics_input = true, .conditioned = true,
     .needs_lyrics = true, .show = true},
    {.id = "pca", .name = "pca", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_PCA},
    {.id = "ae", .name = "ae", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_MODEL,
     .model = MC_MODEL_KIND_AE},
    {.id = "raw", .name = "raw(z-scored %F)", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_RAW,
     .show = true},
    /* the other feature sets of the store beside the run's (--features), for comparison */
    {.id = "raw-mfcc", .name = "raw(z-scored %F)", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_RAW,
     .features = PL_FEATURES_MFCC},
    {.id = "raw-descriptors", .name = "raw(z-scored %F)", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_RAW,
     .features = PL_FEATURES_DESCRIPTORS},
    {.id = "raw-mfcc-descriptors", .name = "raw(z-scored %F)", .tasks = HARD, .algos = PL_ALGO_KMEANS,
     .make = PL_MAKE_RAW, .features = PL_FEATURES_MFCC_DESCRIPTORS},
    /* the hard task's reconstruction examples, even when the tasks that score these models are off */
    {.id = "conv-vae", .name = "conv-vae", .tasks = HARD, .make = PL_MAKE_MODEL, .model = MC_MODEL_KIND_CONV_VAE,
     .input = MC_MODEL_INPUT_LOGMEL, .recon = true},
    {.id = "vae", .name = "vae", .tasks = HARD, .make = PL_MAKE_MODEL, .model = MC_MODEL_KIND_VAE, .recon = true},
};

const char *pl_algo_name(unsigned algo) {
    return mc_cluster_algo_name(pl_algo_kind(algo));
}

mc_cluster_algo pl_algo_kind(unsigned algo) {
    return algo == PL_ALGO_KMEANS  ? MC_CLUSTER_ALGO_KMEANS
           : algo == PL_ALGO_AGGLO ? MC_CLUSTER_ALGO_AGGLOMERATIVE
           : algo == PL_ALGO_GMM   ? MC_CLUSTER_ALGO_GMM
                                   : MC_CLUSTER_ALGO_DBSCAN;
}

const char *pl_tasks_text(unsigned t, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s%s%s%s", t & EASY ? "easy" : "", (t & EASY) && (t & (MEDIUM | HARD)) ? " " : "",
             t & MEDIUM ? "medium" : "", (t & MEDIUM) && (t & HARD) ? " " : "", t & HARD ? "hard" : "");
    if (!buf[0]) snprintf(buf, cap, "(reconstructions)");
    return buf;
}

pl_rep *pl_find_rep(pl_run *R, const char *id) {
    for (int i = 0; i < R->n_reps; i++)
        if (strcmp(R->reps[i].id, id) == 0) return &R->reps[i];
    return NULL;
}

const char *pl_features_text(mc_store_features f) {
    return f == MC_STORE_FEATURES_DESCRIPTORS        ? "descriptor statistics"
           : f == MC_STORE_FEATURES_MFCC_DESCRIPTORS ? "MFCC + descriptor statistics"
                                                     : "MFCC statistics";
}

/* The short name of a feature set in a representation's display name. */
static const char *features_short(mc_store_features f) {
    return f == MC_STORE_FEATURES_DESCRIPTORS        ? "descriptors"
           : f == MC_STORE_FEATURES_MFCC_DESCRIPTORS ? "mfcc stats+descriptors"
                                                     : "mfcc stats";
}

static mc_store_features row_features(const pl_run *R, const pl_rep_spec *row) {
    return row->features == PL_FEATURES_RUN ? R->features : (mc_store_features)(row->features - 1);
}

/* PCA components: the recipe's, else the MLP models' latent size (--mlp-latent, else the vae's
 * default), so that the two baselines compare at one size; at most min(rows, columns). */
int pl_pca_components(const pl_run *R, const pl_rep *r) {
    mc_model_config vae;
    mc_model_config_default(MC_MODEL_KIND_VAE, &vae);
    int k = r && r->opt && r->opt->components > 0 ? r->opt->components
            : R->cfg->mlp_latent > 0              ? R->cfg->mlp_latent
                                                  : vae.latent;
    if (k > R->dc && !(r && r->make == PL_MAKE_PCA_LOGMEL)) k = R->dc;
    if (k > R->n) k = (int)R->n;
    return k;
}
static void logmel_patch(const pl_run *R, const mc_model_config *mc, int *mels, int *frames);

int pl_pca_logmel_iters(const pl_run *R, const pl_rep *r) {
    /* sklearn's randomized_svd n_iter="auto": 7 when k < 0.1 min(n, d), else 4 */
    int mels = 0, frames = 0;
    mc_model_config mc;
    mc_model_config_default(MC_MODEL_KIND_CONV_VAE, &mc);
    mc.n_conv = 0; /* the stored frames, uncropped */
    logmel_patch(R, &mc, &mels, &frames);
    const int64_t d = (int64_t)mels * frames, m = R->n < d ? R->n : d;
    return (double)pl_pca_components(R, r) < 0.1 * (double)m ? 7 : 4;
}

const char *pl_rep_task(const pl_run *R, const pl_rep *r, char *buf, size_t cap) {
    if (r->opt && R->cfg->recipe) {
        snprintf(buf, cap, "%s", R->cfg->recipe->name);
        return buf;
    }
    return pl_tasks_text(r->tasks, buf, cap);
}

/* The log-mel patch a conv model reads: n_mels x the stored frames cropped to a multiple of
 * 2^n_conv (models.h, mc_model_config.frames = 0). */
static void logmel_patch(const pl_run *R, const mc_model_config *mc, int *mels, int *frames) {
    mc_dsp_config d = R->cfg->extract.dsp;
    int stored = 0;
    char *fd = mc_report_path(R->dir, MC_REPORT_FEATURES);
    if (!fd || mc_store_extract_params(fd, &d, &stored) != MC_STATUS_OK) mc_error_clear();
    free(fd);
    const int step = 1 << mc->n_conv;
    *mels = d.n_mels;
    *frames = stored - stored % step;
}

/* What the representation is, from the options its stage uses. */
static void describe(const pl_run *R, pl_rep *r) {
    char *b = r->description;
    const size_t cap = sizeof r->description;
    const char *label = R->main_label;
    mc_model_config mc;
    int64_t rows = 0;
    switch (r->make) {
    case PL_MAKE_RAW:
        snprintf(b, cap, "the z-scored %s themselves%s", pl_features_text(r->features),
                 r->features == R->features ? " (the common space)" : "");
        return;
    case PL_MAKE_PCA:
        snprintf(b, cap, "PCA of the z-scored %s to %d components%s", pl_features_text(r->features),
                 pl_pca_components(R, r), r->opt && r->opt->components ? "" : " (the vae's latent size)");
        return;
    case PL_MAKE_PCA_LOGMEL:
        snprintf(b, cap, "randomised PCA (Halko et al. 2011, %d power iterations) of the flattened log-mel patches "
                 "to %d components, streamed over the store", pl_pca_logmel_iters(R, r), pl_pca_components(R, r));
        return;
    case PL_MAKE_CONCAT:
        if (!r->from)
            snprintf(b, cap, "the track's lyrics vector alone (TF-IDF + SVD), centred (rows without lyrics at the mean)");
        else if (r->fusion_zscore)
            snprintf(b, cap, "audio + lyrics by concatenation (no multimodal model): the z-scored %s latent and the "
                     "track's z-scored lyrics vector, each block scaled by 1/sqrt(its width)", r->from);
        else
            snprintf(b, cap, "audio + lyrics by concatenation (no multimodal model): the %s latent and the track's "
                     "lyrics vector, each block centred and scaled to total variance 1 so that both add the same to "
                     "the distances, each keeping its own geometry", r->from);
        return;
    case PL_MAKE_MODEL:
        break;
    }
    pl_model_config(R, r, &mc, &rows);
    int mels = 0, frames = 0;
    switch (r->model) {
    case MC_MODEL_KIND_VAE:
        snprintf(b, cap, "MLP VAE (%d hidden, latent %d, beta %g) on the %s; latent means", mc.hidden[0],
                 mc.latent, mc.beta, pl_features_text(mc.features));
        break;
    case MC_MODEL_KIND_BETA_VAE:
        snprintf(b, cap, "MLP beta-VAE (beta %g, latent %d) on the %s", mc.beta, mc.latent, pl_features_text(mc.features));
        break;
    case MC_MODEL_KIND_AE:
        if (r->input == MC_MODEL_INPUT_LOGMEL) {
            logmel_patch(R, &mc, &mels, &frames);
            snprintf(b, cap, "conv autoencoder (the conv beta-VAE's encoder / decoder, no sampling, no KL; code %d) on "
                     "%d x %d log-mel patches; its code", mc.latent, mels, frames);
        } else
            snprintf(b, cap, "MLP autoencoder (no KL) on the %s; its code", pl_features_text(mc.features));
        break;
    case MC_MODEL_KIND_CONV_VAE:
        logmel_patch(R, &mc, &mels, &frames);
        snprintf(b, cap, "conv beta-VAE (beta %g, latent %d) on %d x %d log-mel patches; latent means", mc.beta,
                 mc.latent, mels, frames);
        break;
    case MC_MODEL_KIND_CVAE:
        if (r->input == MC_MODEL_INPUT_LOGMEL) {
            logmel_patch(R, &mc, &mels, &frames);
            snprintf(b, cap, "conv conditional VAE (latent %d, beta %g) on %d x %d log-mel patches, conditioned on '%s' "
                     "(its scores against '%s' are leaked; `musiclust generate` samples it)", mc.latent, mc.beta, mels,
                     frames, label, label);
        } else if (r->lyrics_input)
            snprintf(b, cap, "the audio + lyrics + %s configuration: an MLP conditional VAE on [%s ; the "
                     "track's lyrics vector], conditioned on '%s' (its scores against '%s' are leaked)", label,
                     pl_features_text(mc.features), label, label);
        else
            snprintf(b, cap, "MLP conditional VAE on the %s, encoder and decoder given a one-hot of '%s' "
                     "(its scores against '%s' are leaked)", pl_features_text(mc.features), label, label);
        break;
    case MC_MODEL_KIND_MM_VAE:
        snprintf(b, cap, "multimodal VAE: an MLP audio encoder on the %s and an MLP lyrics encoder on the "
                 "track's lyrics vector fused into one latent (%d), two decoders; rows without lyrics use the "
                 "learned missing-lyrics embedding", pl_features_text(mc.features), mc.latent);
        break;
    }
}

/* Merge a table row into the representation of its id (created in table order). */
static void add_row(pl_run *R, const pl_rep_spec *row) {
    pl_rep *r = pl_find_rep(R, row->id);
    if (!r) {
        if (R->n_reps == PL_MAX_REPS) return;
        r = &R->reps[R->n_reps++];
        memset(r, 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", row->id);
        r->features = row_features(R, row);
        if (strstr(row->name, "%F")) /* "%F" = the feature set */
            snprintf(r->name, sizeof r->name, "raw(z-scored %s)", features_short(r->features));
        else
            snprintf(r->name, sizeof r->name, row->name, R->main_label); /* "%s" = the main label */
        r->make = row->make;
        r->model = row->model;
        r->input = row->input;
        r->lyrics_input = row->lyrics_input;
        r->conditioned = row->conditioned;
        r->from = row->from;
        r->seeded = row->make == PL_MAKE_MODEL || row->make == PL_MAKE_CONCAT;
        if (row->conditioned) snprintf(r->leaked, sizeof r->leaked, "%s", R->main_label);
    }
    if (row->algos) {
        r->tasks |= row->tasks;
        r->algos |= row->algos;
        r->evaluated = true;
    }
    r->show |= row->show;
    r->recon |= row->recon;
}

/* A recipe's representations, in its order. */
static mc_status recipe_reps(pl_run *R) {
    const mc_recipe *rc = R->cfg->recipe;
    for (int i = 0; i < rc->n_reps && i < PL_MAX_REPS; i++) {
        const mc_recipe_rep *o = &rc->reps[i];
        pl_rep *r = &R->reps[R->n_reps++];
        memset(r, 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", o->id);
        snprintf(r->name, sizeof r->name, "%s", o->id);
        r->opt = o;
        r->features = R->features; /* the run's feature set (--features) */
        r->algos = o->algos;
        r->evaluated = true;
        r->show = o->maps;
        r->tasks = MC_PIPELINE_TASK_ALL;
        if (strcmp(o->kind, "raw") == 0) r->make = PL_MAKE_RAW;
        else if (strcmp(o->kind, "pca") == 0) r->make = PL_MAKE_PCA;
        else if (strcmp(o->kind, "pca-logmel") == 0) r->make = PL_MAKE_PCA_LOGMEL;
        else if (strcmp(o->kind, "concat") == 0 || strcmp(o->kind, "lyrics") == 0) {
            r->make = PL_MAKE_CONCAT;
            r->from = o->from[0] ? o->from : NULL;
            r->fusion_zscore = o->fusion_zscore;
            if (!R->have_lyrics)
                return mc_error_set(MC_STATUS_FORMAT, "recipe %s: representation '%s' (%s) needs lyrics: give "
                                    "--metadata with a '%s' column", rc->name, o->id, o->kind, R->cfg->text_column);
        } else {
            r->make = PL_MAKE_MODEL;
            const bool conv_ae = strcmp(o->kind, "conv-ae") == 0;
            if (conv_ae) r->model = MC_MODEL_KIND_AE;
            else if (mc_model_kind_parse(o->kind, &r->model) != MC_STATUS_OK) return MC_STATUS_FORMAT;
            r->input = r->model == MC_MODEL_KIND_CONV_VAE || conv_ae || o->logmel ? MC_MODEL_INPUT_LOGMEL
                                                                                  : MC_MODEL_INPUT_VECTORS;
            r->conditioned = r->model == MC_MODEL_KIND_CVAE;
            r->recon = rc->recon && (r->model == MC_MODEL_KIND_VAE || r->model == MC_MODEL_KIND_CONV_VAE || conv_ae);
            if (r->conditioned && !R->main_label[0])
                return mc_error_set(MC_STATUS_FORMAT, "recipe %s: representation '%s' (cvae) is conditioned on the "
                                    "main label, and the data has no label column with 2 or more classes",
                                    rc->name, o->id);
            if (r->model == MC_MODEL_KIND_MM_VAE && !R->have_lyrics)
                return mc_error_set(MC_STATUS_FORMAT, "recipe %s: representation '%s' (mm-vae) needs lyrics: give "
                                    "--metadata with a '%s' column", rc->name, o->id, R->cfg->text_column);
            if (r->conditioned) snprintf(r->leaked, sizeof r->leaked, "%s", R->main_label);
        }
        r->seeded = r->make == PL_MAKE_MODEL || r->make == PL_MAKE_CONCAT;
    }
    return MC_STATUS_OK;
}

mc_status pl_build_reps(pl_run *R) {
    R->n_reps = 0;
    if (R->cfg->recipe && R->cfg->recipe->n_reps > 0) {
        mc_status st = recipe_reps(R);
        for (int i = 0; st == MC_STATUS_OK && i < R->n_reps; i++) {
            pl_rep *r = &R->reps[i];
            r->n_seeds = r->seeded ? R->cfg->seeds : 1;
            describe(R, r);
        }
        return st;
    }
    for (size_t i = 0; i < sizeof TABLE / sizeof *TABLE; i++) {
        const pl_rep_spec *row = &TABLE[i];
        if (!(row->tasks & R->cfg->tasks) || (row->needs_lyrics && !R->have_lyrics) ||
            (row->conditioned && !R->main_label[0]))
            continue;
        /* a fixed feature set: not when it is the run's (that is "raw"), nor without descriptors */
        if (row->features != PL_FEATURES_RUN &&
            (row_features(R, row) == R->features ||
             (row->features != PL_FEATURES_MFCC && !R->have_descriptors)))
            continue;
        add_row(R, row);
    }
    for (int i = 0; i < R->n_reps; i++) {
        pl_rep *r = &R->reps[i];
        /* a space shared by the seeds, or a model computed for its reconstructions only: one seed */
        r->n_seeds = r->seeded && r->evaluated ? R->cfg->seeds : 1;
        describe(R, r);
    }
    return MC_STATUS_OK;
}
