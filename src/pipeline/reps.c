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
    {.id = "raw", .name = "raw(z-scored mfcc stats)", .tasks = HARD, .algos = PL_ALGO_KMEANS, .make = PL_MAKE_RAW,
     .show = true},
    /* the hard task's reconstruction examples, even when the tasks that score these models are off */
    {.id = "conv-vae", .name = "conv-vae", .tasks = HARD, .make = PL_MAKE_MODEL, .model = MC_MODEL_KIND_CONV_VAE,
     .input = MC_MODEL_INPUT_LOGMEL, .recon = true},
    {.id = "vae", .name = "vae", .tasks = HARD, .make = PL_MAKE_MODEL, .model = MC_MODEL_KIND_VAE, .recon = true},
};

const char *pl_algo_name(unsigned algo) {
    return algo == PL_ALGO_KMEANS ? "kmeans" : algo == PL_ALGO_AGGLO ? "agglomerative" : "dbscan";
}

mc_cluster_algo pl_algo_kind(unsigned algo) {
    return algo == PL_ALGO_KMEANS  ? MC_CLUSTER_ALGO_KMEANS
           : algo == PL_ALGO_AGGLO ? MC_CLUSTER_ALGO_AGGLOMERATIVE
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

/* PCA components: the vae's latent size, so that the two baselines compare at one size. */
static int pca_components(const pl_run *R) {
    mc_model_config vae;
    mc_model_config_default(MC_MODEL_KIND_VAE, &vae);
    return R->dc < vae.latent ? R->dc : vae.latent;
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
        snprintf(b, cap, "the z-scored MFCC statistics themselves (the common space)");
        return;
    case PL_MAKE_PCA:
        snprintf(b, cap, "PCA of the z-scored MFCC statistics to %d components (the vae's latent size)", pca_components(R));
        return;
    case PL_MAKE_CONCAT:
        snprintf(b, cap, "audio + lyrics by concatenation (no multimodal model): the z-scored %s latent and the "
                 "track's z-scored lyrics vector, each block scaled by 1/sqrt(its width)", r->from);
        return;
    case PL_MAKE_MODEL:
        break;
    }
    pl_model_config(R, r, &mc, &rows);
    int mels = 0, frames = 0;
    switch (r->model) {
    case MC_MODEL_KIND_VAE:
        snprintf(b, cap, "MLP VAE (%d hidden, latent %d, beta %g) on the MFCC statistics; latent means", mc.hidden[0],
                 mc.latent, mc.beta);
        break;
    case MC_MODEL_KIND_BETA_VAE:
        snprintf(b, cap, "MLP beta-VAE (beta %g, latent %d) on the MFCC statistics", mc.beta, mc.latent);
        break;
    case MC_MODEL_KIND_AE:
        snprintf(b, cap, "MLP autoencoder (no KL) on the MFCC statistics; its code");
        break;
    case MC_MODEL_KIND_CONV_VAE:
        logmel_patch(R, &mc, &mels, &frames);
        snprintf(b, cap, "conv beta-VAE (beta %g, latent %d) on %d x %d log-mel patches; latent means", mc.beta,
                 mc.latent, mels, frames);
        break;
    case MC_MODEL_KIND_CVAE:
        if (r->lyrics_input)
            snprintf(b, cap, "the audio + lyrics + %s configuration: an MLP conditional VAE on [MFCC statistics ; the "
                     "track's lyrics vector], conditioned on '%s' (its scores against '%s' are leaked)", label, label, label);
        else
            snprintf(b, cap, "MLP conditional VAE on the MFCC statistics, encoder and decoder given a one-hot of '%s' "
                     "(its scores against '%s' are leaked)", label, label);
        break;
    case MC_MODEL_KIND_MM_VAE:
        snprintf(b, cap, "multimodal VAE: an MLP audio encoder on the MFCC statistics and an MLP lyrics encoder on the "
                 "track's lyrics vector fused into one latent (%d), two decoders; rows without lyrics use the "
                 "learned missing-lyrics embedding", mc.latent);
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

void pl_build_reps(pl_run *R) {
    R->n_reps = 0;
    for (size_t i = 0; i < sizeof TABLE / sizeof *TABLE; i++) {
        const pl_rep_spec *row = &TABLE[i];
        if (!(row->tasks & R->cfg->tasks) || (row->needs_lyrics && !R->have_lyrics) ||
            (row->conditioned && !R->main_label[0]))
            continue;
        add_row(R, row);
    }
    for (int i = 0; i < R->n_reps; i++) {
        pl_rep *r = &R->reps[i];
        /* a space shared by the seeds, or a model computed for its reconstructions only: one seed */
        r->n_seeds = r->seeded && r->evaluated ? R->cfg->seeds : 1;
        describe(R, r);
    }
}
