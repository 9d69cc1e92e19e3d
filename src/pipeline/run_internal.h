/* The state of one `musiclust run` (pipeline.h) and its stages, shared by run.c (the driver), reps.c
 * (the table of representations) and the stage files: stage_data.c (extract, lyrics, labels, k),
 * stage_space.c, stage_model.c, stage_cluster.c, stage_evaluate.c, stage_embed.c, stage_report.c. */
#ifndef MC_PIPELINE_RUN_INTERNAL_H
#define MC_PIPELINE_RUN_INTERNAL_H

#include "pipeline_internal.h"

#include <musiclust/models.h>

#define PL_MAX_SEEDS 64
#define PL_MAX_REPS 16
#define PL_MAX_COLS 8
#define PL_N_EXAMPLES 4

/* PL_ALGO_ALL: the default tasks' set (GMM only where a recipe asks for it); PL_ALGO_LAST: loop bound */
enum { PL_ALGO_KMEANS = 1, PL_ALGO_AGGLO = 2, PL_ALGO_DBSCAN = 4, PL_ALGO_GMM = 8, PL_ALGO_ALL = 7, PL_ALGO_LAST = 8 };

/* "kmeans", "agglomerative", "dbscan", "gmm" (mc_cluster_algo_name); and the cluster.h algorithm of a PL_ALGO_* bit. */
const char *pl_algo_name(unsigned algo);
mc_cluster_algo pl_algo_kind(unsigned algo);

/* How a representation is made. */
typedef enum pl_make {
    PL_MAKE_RAW,    /* the common space itself (the z-scored MFCC statistics) */
    PL_MAKE_PCA,    /* PCA of the common space to the vae's latent size */
    PL_MAKE_MODEL,  /* a trained model's latent means, one model per seed */
    PL_MAKE_CONCAT, /* [latent of `from` ; the lyrics vector], each block centred and scaled to total
                       variance 1 (stage_space.c); without `from` the lyrics alone */
    PL_MAKE_PCA_LOGMEL /* randomised PCA of the flattened log-mel, streamed over the store (recipes) */
} pl_make;

/* Which vectors a raw space is made of: the run's feature set (--features), or a fixed one shown
 * beside it (a row whose set is the run's is left out: "raw" is it). */
typedef enum pl_features {
    PL_FEATURES_RUN = 0,
    PL_FEATURES_MFCC,       /* MC_STORE_FEATURES_MFCC */
    PL_FEATURES_DESCRIPTORS,
    PL_FEATURES_MFCC_DESCRIPTORS
} pl_features;

/* One row of the table of representations (reps.c). A representation may have several rows (one per
 * task that uses it); they merge into one pl_rep. */
typedef struct pl_rep_spec {
    const char *id;          /* file names: latents/<id>..., assign/<id>... */
    const char *name;        /* display name; "%s" stands for the main label */
    unsigned tasks;          /* MC_PIPELINE_TASK_* bits whose runs include this row */
    unsigned algos;          /* PL_ALGO_* it is clustered with; 0: computed for its reconstructions only */
    pl_make make;
    mc_model_kind model;     /* PL_MAKE_MODEL: the model, with models.h's defaults */
    mc_model_input input;    /* vectors (MFCC statistics) or log-mel */
    bool lyrics_input;       /* the MLP reads [vectors ; the track's lyrics vector] */
    bool conditioned;        /* conditioned on the main label: its scores against it are leaked */
    bool needs_lyrics;       /* only when the store has lyrics */
    bool show;               /* t-SNE / UMAP maps and heatmaps */
    bool recon;              /* reconstruction examples of the first seed */
    const char *from;        /* PL_MAKE_CONCAT: the representation joined with the lyrics */
    pl_features features;    /* PL_MAKE_RAW: a fixed feature set beside the run's (PL_FEATURES_RUN) */
} pl_rep_spec;

/* A representation of this run: the merged rows of the table and what the stages found. */
typedef struct pl_rep {
    char id[32];
    char name[96];
    pl_make make;
    mc_model_kind model;
    mc_model_input input;
    bool lyrics_input, conditioned;
    bool fusion_zscore;      /* PL_MAKE_CONCAT: per-column z-scores / sqrt(width) (the old weighting) */
    const char *from;        /* PL_MAKE_CONCAT: the audio block; NULL = the lyrics alone */
    mc_store_features features; /* the vectors it is made of (models, raw, pca) */
    const mc_recipe_rep *opt; /* a recipe's representation: its options over models.h's defaults; NULL */
    unsigned tasks;          /* tasks it is scored in */
    unsigned algos;          /* PL_ALGO_* */
    bool evaluated;          /* rows in metrics.csv */
    bool show;
    bool recon;
    bool seeded;             /* one space per seed (else latents/<id>.npy for every seed) */
    int n_seeds;             /* seeds computed */
    char leaked[128];
    char description[512];   /* generated from the options (reps.c) */
    char note[256];
    int epochs;
    char hash[PL_MAX_SEEDS][17];
    char cluster_hash[17];
    char embed_hash[17];
} pl_rep;

typedef struct pl_run {
    const mc_run_config *cfg;
    mc_dist *dist;            /* cfg->dist: the process group (NULL alone) */
    bool writer;              /* rank 0: decides the cache, writes the files, runs the rank-0 stages */
    bool tail;                /* every rank passed the evaluate stage (then rank 0 alone goes on) */
    char *dir;
    pl_stages S;
    int threads;
    char extract_hash[17], data_hash[17];
    bool have_lyrics;
    mc_store store;
    bool store_open;
    mc_score_labels labels;   /* the evaluated columns (the main label first) and the tracks */
    int64_t n, n_tracks;
    mc_store_features features; /* the run's feature set: cfg->features, or the MFCC statistics when the
                                   store has no descriptors.npy (noted) */
    bool have_descriptors;    /* the store has descriptors.npy */
    float *common;            // (n, dc) z-scored vectors of `features`: the one common space
    float *common_mean, *common_sd; // (dc) its z-score (the raw and pca spaces' saved transforms)
    int dc;
    char main_label[64];
    int k;
    char k_source[96];
    pl_rep reps[PL_MAX_REPS];
    int n_reps;
    char *notes[16];
    int n_notes;
    int64_t examples[PL_N_EXAMPLES];
    int n_examples;
    int conv_epochs;
    int64_t conv_rows;
    bool conv_limited;
    bool agglo_noted;         /* the agglomerative bound was noted (issue 11) */
    bool map_noted;   /* the maps' bound said in the notes (once) */
    pl_hash all;              /* every stage hash of this run, for the report stage */
    mc_pipeline_lyrics_summary lyr;
} pl_run;

/* ---------------------------------------------------------------- run.c: shared by the stages */

void pl_note(pl_run *R, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Threads for the clustering, metrics and maps: 1 below 1000 rows (their outputs do not depend on
 * the thread count, and small parallel regions cost more than they save). */
int pl_light_threads(const pl_run *R);
mc_progress *pl_bar(pl_run *R, const char *label, int64_t total);
void pl_bar_end(mc_progress *p, bool ok);
/* Over ranks: the barrier after a stage (rank 0's files are then there for every rank to read); a
 * failure returns at once (st) without entering it. OK and no communication for one process. */
mc_status pl_sync(pl_run *R, mc_status st);
/* Stage prologue: true (and the timing recorded) when the stage is fresh. outs are relative paths.
 * Over ranks a collective: rank 0's answer (after its earlier writes) is every rank's. */
bool pl_cached(pl_run *R, const char *name, const char *hash, const char *const *outs, int n_out);
/* Stage epilogue: the record written after the outputs, the timing logged. */
mc_status pl_commit(pl_run *R, const char *name, const char *hash, double t0, const char *const *keys,
                    const char *const *vals, int n);
/* "easy medium hard" of MC_PIPELINE_TASK_* bits ("(reconstructions)" for none). */
const char *pl_tasks_text(unsigned t, char *buf, size_t cap);

/* ---------------------------------------------------------------- reps.c */

/* The representations of the selected tasks, from the table, in order; or a recipe's representations.
 * Errors (a recipe's): a cvae without a label column, a lyrics representation without lyrics. */
mc_status pl_build_reps(pl_run *R);
/* The task column of a representation's rows: its tasks ("easy hard"), or the recipe's name. */
const char *pl_rep_task(const pl_run *R, const pl_rep *r, char *buf, size_t cap);
/* PCA components of a pca representation: the recipe's, else the MLP models' latent size
 * (--mlp-latent, else the vae's default); at most min(rows, columns) (pca-logmel: rows). */
int pl_pca_components(const pl_run *R, const pl_rep *r);
/* Power iterations of a pca-logmel representation (sklearn randomized_svd's "auto" rule). */
int pl_pca_logmel_iters(const pl_run *R, const pl_rep *r);
/* The representation called id, or NULL. */
pl_rep *pl_find_rep(pl_run *R, const char *id);
/* The model configuration of a model representation for this run (epochs from the budget). */
void pl_model_config(const pl_run *R, const pl_rep *r, mc_model_config *mc, int64_t *train_rows);
/* "MFCC statistics", "descriptor statistics", "MFCC + descriptor statistics". */
const char *pl_features_text(mc_store_features f);

/* ---------------------------------------------------------------- the stages */

mc_status pl_stage_extract(pl_run *R, const char *const *inputs, int n_inputs); /* stage_data.c */
mc_status pl_stage_lyrics(pl_run *R);
mc_status pl_prepare(pl_run *R);   /* the store, labels, tracks, the common space, examples */
mc_status pl_choose_k(pl_run *R);  /* --k, the main label's classes, or the ksweep stage */
mc_status pl_stage_space(pl_run *R, pl_rep *r);            /* stage_space.c: raw, pca */
mc_status pl_stage_concat(pl_run *R, pl_rep *r, int si);   /* stage_space.c */
mc_status pl_stage_model(pl_run *R, pl_rep *r, int si);    /* stage_model.c */
mc_status pl_stage_cluster(pl_run *R, pl_rep *r);          /* stage_cluster.c */
mc_status pl_stage_evaluate(pl_run *R);                    /* stage_evaluate.c */
mc_status pl_stage_embed(pl_run *R, pl_rep *r);            /* stage_embed.c */
/* stage_report.c: summary.tsv and representations.tsv (content hashed for the report stage),
 * timings.tsv, the report stage, run.json */
mc_status pl_write_tables(pl_run *R, const char *const *inputs, int n_inputs, pl_hash *content);
mc_status pl_write_timings(pl_run *R);
mc_status pl_stage_report(pl_run *R, pl_hash *content);
mc_status pl_write_run_json(pl_run *R, const char *const *inputs, int n_inputs, double wall);

#endif
