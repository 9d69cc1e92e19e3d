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

#endif
