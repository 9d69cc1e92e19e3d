/* The evaluate stage's inputs (internal to the pipeline). */
#ifndef MC_PIPELINE_EVAL_H
#define MC_PIPELINE_EVAL_H

#include "pipeline_internal.h"

#include <musiclust/report.h>

enum { PL_ALGO_KMEANS = 1, PL_ALGO_AGGLO = 2, PL_ALGO_DBSCAN = 4 };

/* "kmeans", "agglomerative", "dbscan". */
const char *pl_algo_name(unsigned algo);

typedef struct pl_eval_rep {
    const char *id;     /* file names: latents/<id>[.seed<S>].npy, assign/<id>.<algo>.seed<S>.tsv */
    const char *name;   /* display name in metrics.csv */
    const char *tasks;  /* "easy", "easy hard", ... */
    const char *leaked; /* ';'-separated label columns, "" */
    unsigned algos;     /* PL_ALGO_* bits */
    bool seeded;        /* one latent per seed (else latents/<id>.npy for every seed) */
} pl_eval_rep;

typedef struct pl_eval_input {
    const char *results;
    int64_t n, n_tracks;
    const int64_t *track_of;           /* (n) track index in 0..n_tracks-1 */
    const float *common;               /* (n, dc) the common space */
    int dc;
    int n_cols;
    const char *const *cols;           /* (n_cols) evaluated label columns */
    int32_t *const *codes;             /* (n_cols) x (n) class ids, -1 unlabelled */
    const char *const *const *class_names; /* (n_cols) x (n_classes[c]) */
    const int *n_classes;
    int seeds;
    uint64_t first_seed;
    int k;
    int threads;
    int n_reps;
    const pl_eval_rep *reps;
} pl_eval_input;

/* Metric column names (see report.h): *names (n) malloc'd strings. */
mc_status pl_eval_metric_names(const pl_eval_input *in, char ***names, int *n);
/* Score every rep x algo x seed; writes contingency/<id>.<algo>.<column>.tsv (first seed). */
mc_status pl_evaluate(const pl_eval_input *in, mc_report_table *out);

#endif
