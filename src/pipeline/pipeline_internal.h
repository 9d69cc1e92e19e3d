/* Shared pieces of the pipeline: configuration hashes and stage records. */
#ifndef MC_PIPELINE_INTERNAL_H
#define MC_PIPELINE_INTERNAL_H

#include <musiclust/pipeline.h>

#include <stdio.h>

/* ---------------------------------------------------------------- configuration hashes */

/* 64-bit FNV-1a over "key=value\n" lines: a stage's hash covers every option that changes its
 * outputs and the hashes of the stages it reads. */
typedef struct pl_hash {
    uint64_t h;
} pl_hash;

void pl_hash_init(pl_hash *h, const char *stage_kind);
void pl_hash_str(pl_hash *h, const char *key, const char *value);
void pl_hash_int(pl_hash *h, const char *key, int64_t v);
void pl_hash_dbl(pl_hash *h, const char *key, double v);
void pl_hash_u64(pl_hash *h, const char *key, uint64_t v);
/* Paths with the bytes of their files (folders: every file below, by name, sorted). */
mc_status pl_hash_paths(pl_hash *h, const char *key, const char *const *paths, int n);
/* "%016llx" of the hash. */
void pl_hash_hex(const pl_hash *h, char out[17]);

/* ---------------------------------------------------------------- stage records */

typedef struct pl_stages {
    char *results;           /* RESULTS folder */
    mc_run_stage_time *t;    /* (n) in order of execution */
    int n, cap;
} pl_stages;

/* true when RESULTS/stages/<name>.tsv holds this hash and every output (relative to RESULTS) exists;
 * *seconds receives the recorded time. */
bool pl_stage_fresh(pl_stages *S, const char *name, const char *hash, const char *const *outputs, int n_out,
                    double *seconds);
/* The record's value for key (extra values written by pl_stage_commit), copied into buf; false if none. */
bool pl_stage_value(const pl_stages *S, const char *name, const char *key, char *buf, size_t cap);
/* Write the record (atomically) after the outputs: stage, hash, seconds, then the extra key/value pairs. */
mc_status pl_stage_commit(pl_stages *S, const char *name, const char *hash, double seconds,
                          const char *const *keys, const char *const *values, int n_extra);
/* Remember the stage's timing for timings.tsv / run.json. */
void pl_stage_time(pl_stages *S, const char *name, bool ran, double seconds, double when_computed);

/* ---------------------------------------------------------------- misc */

bool pl_file_exists(const char *path);
/* A JSON file of at most 4 MiB, parsed; errors name the file. */
mc_status pl_read_json(const char *path, mc_json_value **out);

/* DBSCAN's parameters beside its assignment (what assign needs to place new rows): ASSIGN.tsv ->
 * ASSIGN.json {"eps", "min_samples"}; the path is malloc'ed (NULL out of memory). */
char *pl_dbscan_params_path(const char *assign_tsv);
mc_status pl_dbscan_params_write(const char *assign_tsv, double eps, int min_samples);
mc_status pl_dbscan_params_read(const char *assign_tsv, double *eps, int *min_samples);
/* A run's fitted GMM beside its assign/<id>.gmm.seed<S>.tsv: <same>.json (algorithm, covariance, k, d)
 * and <same>.npy, float64 (k + k d + covariance values): weights (k), means (k, d), covariances full
 * (k, d, d) or diag (k, d), the doubles of mc_clustering. One writer (the cluster stage), one reader
 * (assign); the .npy first, then the JSON that names it, each written atomically. */
typedef struct pl_gmm {
    int k, d;
    mc_covariance covariance;
    double *weights, *means, *covariances; // (k), (k, d), (k, d, d) | (k, d)
} pl_gmm;
char *pl_gmm_params_path(const char *assign_tsv, bool json);
mc_status pl_gmm_params_write(const char *assign_tsv, const mc_clustering *g, mc_covariance covariance);
mc_status pl_gmm_params_read(const char *assign_tsv, pl_gmm *g);
void pl_gmm_free(pl_gmm *g); /* NULL ok */

/* ---------------------------------------------------------------- fitted space transforms (transform.c) */

/* What turns new rows into the space of a fitted representation, saved by the run beside the space:
 * latents/<id>[.seed<S>].transform.json (kind, sizes, scalars; written last) and .transform.npy
 * (float64: the arrays one after another). raw: z = (x - mean) / sd (mc_data_zscore_apply) of the
 * store vectors `features`; pca: the same, then (z - pca_mean) @ pca_comp^T (mc_cluster_pca_transform);
 * pca-logmel: the flattened log-mel (d = n_mels x frames) through the PCA (pl_pca_scores); concat: [audio block of
 * `from` ; lyrics block], each block (B - mean) * scale, or (B - mean) / sd * scale with zscore
 * (pl_block_scale_apply), rows without lyrics at 0 in the lyrics block. */
typedef enum pl_xform_kind { PL_XFORM_RAW = 0, PL_XFORM_PCA, PL_XFORM_PCA_LOGMEL, PL_XFORM_CONCAT } pl_xform_kind;

typedef struct pl_xform {
    pl_xform_kind kind;
    char features[32];  /* store feature set of the vectors (raw, pca); "logmel"; concat: "" */
    int d;              /* input columns; concat: the audio block's width (0: the lyrics alone) */
    float *mean, *sd;   // (d) z-score (raw, pca); concat: the audio block's mean / sd
    int nc;             /* PCA components */
    double *pca_mean;   // (d)
    double *pca_comp;   // (nc, d) row-major
    char from[32];      /* concat: the audio representation ("" = none) */
    bool zscore;        /* concat: the old per-column weighting */
    double a_scale, l_scale; /* concat: the blocks' factors */
    int L;              /* concat: lyrics width */
    float *l_mean, *l_sd; // (L)
} pl_xform;

void pl_xform_free(pl_xform *x); /* NULL ok; zeroes */
/* RESULTS/latents/<id>[.seed<S>].transform.{json,npy} (json false: the .npy); NULL out of memory. */
char *pl_xform_path(const char *results, const char *id, bool seeded, uint64_t seed, bool json);
/* Write x atomically (the .npy, then the .json). */
mc_status pl_xform_write(const char *results, const char *id, bool seeded, uint64_t seed, const pl_xform *x);
/* Read what pl_xform_write wrote; a run without it is MC_STATUS_UNSUPPORTED saying to rerun. */
mc_status pl_xform_read(const char *results, const char *id, bool seeded, uint64_t seed, pl_xform *x);
/* Z (n, nc) = (X - mean) @ comp^T for X (n, d), comp (nc, d), mean (d): plain double loops in a fixed
 * order, so a row's scores depend on nothing but the row (any BLAS kernel, any position): the scores of
 * pca-logmel, in the run and in assign. */
void pl_pca_scores(const double *mean, const double *comp, int nc, const float *X, int64_t n, int64_t d, float *Z);
/* raw / pca / pca-logmel: Z (n, nc or d) from X (n, d); X is z-scored in place on the way (raw, pca). */
mc_status pl_xform_apply(const pl_xform *x, float *X, int64_t n, int64_t d, float *Z);
/* B (rows, w) <- (B - mean) * scale, or (B - mean) / sd * scale (0 where sd is 0) with zscore: the
 * concat blocks' arithmetic (the run's and assign's). */
void pl_block_scale_apply(float *B, int64_t rows, int w, bool zscore, const float *mean, const float *sd, double scale);

#endif
