/* musiclust pipeline: the experiments and the runner behind `musiclust run` and `musiclust demo`,
 * the choice of k by silhouette, the lyrics stage of a feature store, and the built-in demo corpus.
 *
 * THE RUN (mc_pipeline_run) takes audio files or folders and writes a RESULTS folder, stage by stage.
 * Every stage writes its outputs atomically (temp file + rename) and then a record
 * RESULTS/stages/<stage>.tsv (key, value: stage, hash, seconds, ...) holding a 64-bit FNV-1a hash of
 * its whole configuration and of the hashes of the stages it reads. A stage whose record has the same
 * hash and whose outputs all exist is not redone, so an interrupted run resumes where it stopped and a
 * repeated run redoes nothing; changing an option redoes exactly the stages it reaches. The conv-vae
 * also resumes inside a stage from its per-epoch checkpoint.
 *
 * Stages, in order:
 *   extract            RESULTS/features/ (the feature store of data.h), with --metadata joined
 *   lyrics             when the metadata has a lyrics column: features/lyrics.npy, lyrics_tracks.tsv,
 *                      lyrics.json, lyrics_model.safetensors and a lyrics_language label column
 *                      (mc_pipeline_lyrics)
 *   ksweep             only without labels and without k: k chosen by the silhouette sweep
 *   space.<id>         deterministic representations: raw (the z-scored MFCC statistics: the ONE
 *                      COMMON SPACE), pca (z-scored, then PCA to the vae's latent size)
 *   model.<id>.seed<S> a trained model: models/<id>.seed<S>.safetensors and .loss.tsv, its latent
 *                      means latents/<id>.seed<S>.npy (and recon/ examples for the first seed)
 *   space.<id>.seed<S> derived spaces (conv-vae+lyrics(concat))
 *   cluster.<id>       assign/<id>.<algo>.seed<S>.tsv for every algorithm and seed
 *   evaluate           metrics.csv, metrics.json (report.h), contingency/<id>.<algo>.<column>.tsv
 *   embed.<id>         embed/<id>.tsne.npy, embed/<id>.umap.npy of the first seed's latent
 *   report             report.html (report.h)
 * and, rewritten by every run (bookkeeping, not stages): summary.tsv, representations.tsv,
 * timings.tsv, run.json (configuration, versions of musiclust, libsndfile, FFTW, OpenBLAS, cairo,
 * seeds, per-stage timings, skipped files with reasons, the dataset).
 *
 * The tasks (representation x algorithm; every pair is one row of metrics.csv per level):
 *   easy    vae (MLP VAE on the MFCC statistics), pca: k-means
 *   medium  conv-vae (on log-mel): k-means, agglomerative (ward), DBSCAN (auto eps); with lyrics also
 *           conv-vae+lyrics(concat): the conv-vae latent and the track's lyrics vector, each block
 *           centred and scaled to total variance 1 so both add the same to the distances while each
 *           keeps its own geometry (the lyrics SVD's first, language-bearing components weigh most),
 *           and mm-vae (the
 *           multimodal VAE of models.h with the MLP audio encoder on the MFCC statistics: a conv audio
 *           encoder would double the conv-vae's cost), with the same three algorithms
 *   hard    beta-vae, cvae(<label>) (conditioned on the main label: its metrics against that column
 *           are LEAKED), with lyrics cvae(<label>)[audio+lyrics] (a cvae over [MFCC statistics ;
 *           lyrics vector], also leaked), baselines pca, ae and raw: k-means; reconstruction
 *           examples of the conv-vae (log-mel) and the vae (MFCC statistics)
 * Seed s trains the model with seed s and seeds the clustering with s; metrics are mean ± std over
 * the seeds. k: --k, else the number of classes of the main label column, else the silhouette sweep
 * (k-means in the common space). Main label: --label, else the first of genre, tag, label, style
 * with 2 .. n/2 classes. Label columns evaluated: mc_pipeline_label_columns (the main label first).
 *
 * The conv-vae is the expensive part: its epochs come from a sample budget per seed,
 * epochs = clamp(budget / rows, min, max); when even one epoch over every row exceeds the budget it
 * trains one epoch on a seeded subset of `budget` rows (and still encodes every row). What was chosen,
 * and whether the budget limited training, is logged and written to run.json and the report. */
#ifndef MUSICLUST_PIPELINE_H
#define MUSICLUST_PIPELINE_H

#include <musiclust/cluster.h>
#include <musiclust/core.h>
#include <musiclust/data.h>
#include <musiclust/metrics.h>
#include <musiclust/nn.h> /* mc_nn_precision */
#include <musiclust/report.h>
#include <musiclust/text.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A progress bar for a long step, made by the caller (the CLI decides the stream and --quiet); the
 * pipeline finishes and frees it. NULL = none. */
typedef mc_progress *(*mc_pipeline_progress_fn)(void *user, const char *label, int64_t total);

/* ------------------------------------------------------------------ the demo corpus */

typedef struct mc_demo_config {
    uint64_t seed;          /* every note, tempo and word comes from this seed */
    int tracks_per_style;   /* 6 */
    double track_seconds;   /* 12 */
} mc_demo_config;

void mc_demo_config_default(mc_demo_config *c);

/* Names of the synthesized styles, in order; *n receives the count. */
const char *const *mc_pipeline_demo_styles(int *n);

/* Synthesize the built-in labelled corpus into dir:
 *   dir/audio/<style>/<track_id>.wav   (some 22,050 Hz mono, some 44,100 Hz stereo, 16-bit PCM)
 *   dir/metadata.tsv                   track_id, genre, language, tempo_bpm, key, lyrics
 * Styles differ in note patterns (scales, chords, melody), rhythm and tempo, and timbre (additive
 * strings, distorted saw power chords, square-wave arpeggios over a four-on-the-floor kick, swung
 * walking bass and piano, plucked Karplus-Strong strings). Lyrics are generated in English and in
 * Bengali script. Deterministic for a seed. */
mc_status mc_pipeline_demo_corpus(const char *dir, const mc_demo_config *cfg, mc_progress *progress);

/* ------------------------------------------------------------------ choosing k */

typedef struct mc_ksweep_point {
    int k;
    double silhouette;     /* on the (sampled) rows; NaN when undefined */
    double inertia;        /* k-means; NaN otherwise */
    double bic;            /* GMM; NaN otherwise */
    double log_likelihood; /* GMM; NaN otherwise */
} mc_ksweep_point;

typedef struct mc_ksweep {
    int k_max;               /* largest k tried: min(k_max, n - 1, distinct rows) */
    int64_t silhouette_rows; /* rows the silhouettes were computed on */
    int chosen_k;
    int n_points;
    mc_ksweep_point *points; /* (n_points) k = 2..k_max */
    mc_clustering best;      /* the clustering at chosen_k (agglomerative: holding the full tree) */
} mc_ksweep;

/* Cluster X (n, d) with cfg->algo (any but DBSCAN; cfg->k is ignored, cfg->progress must be NULL) for
 * k = 2..k_max and keep the k with the highest silhouette (ties: the smaller k; NaN never wins), as
 * `musiclust cluster` without --k. Agglomerative builds one tree and cuts it at every k. The
 * silhouette uses every row, or, when 0 < sample_rows < n, a seeded sample of sample_rows rows
 * (sklearn silhouette_score's sample_size; the sample is drawn from cfg->seed). progress (NULL ok)
 * ticks once per k. Errors: fewer than 2 usable k (message: rows and distinct values), a clustering
 * failure (message: "k = K: ..."), an undefined silhouette at every k. */
mc_status mc_pipeline_choose_k(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                               int k_max, int64_t sample_rows, mc_progress *progress, mc_ksweep *out);
void mc_pipeline_ksweep_free(mc_ksweep *s); /* NULL ok; zeroes the struct */

/* The k-sweep table (`musiclust cluster` writes ASSIGN.ksweep.tsv, `musiclust run` RESULTS/ksweep.tsv):
 * the header "k<TAB>silhouette<TAB>inertia<TAB>bic<TAB>log_likelihood", then one line per point, "%.17g"
 * numbers, "nan" where a value does not apply to the algorithm. Written atomically. The reader fills
 * points and n_points only (free with mc_pipeline_ksweep_free). */
mc_status mc_pipeline_ksweep_write(const char *path, const mc_ksweep *s);
mc_status mc_pipeline_ksweep_read(const char *path, mc_ksweep *out);

/* ------------------------------------------------------------------ spaces */

/* PCA of X (n, d) to k components (1 <= k <= min(n, d)), as sklearn PCA (cluster.h): *Z (n, k)
 * float32 is mc_alloc'd (mc_free); the fitted PCA is returned in pca (NULL: freed here). */
mc_status mc_pipeline_pca_space(const float *X, int64_t n, int64_t d, int k, float **Z, mc_pca *pca);

/* ------------------------------------------------------------------ `musiclust cluster` */

typedef enum mc_reduce { MC_REDUCE_NONE = 0, MC_REDUCE_RAW, MC_REDUCE_PCA } mc_reduce;

typedef struct mc_cluster_job {
    mc_cluster_config cluster;  /* algorithm and parameters; .k ignored when sweep */
    bool sweep;                 /* choose k by silhouette (mc_pipeline_choose_k) over 2..k_max */
    int k_max;                  /* 10 */
    int64_t sweep_sample;       /* silhouette rows of the sweep: 0 all, else a seeded sample (10000) */
    mc_reduce reduce;           /* none | raw (z-score, sklearn StandardScaler) | pca (z-score, then PCA) */
    int dims;                   /* PCA components (reduce pca; 0 = 4) */
    const char *save_space;     /* NULL, or write the clustered space here (float32 .npy) */
    mc_progress *progress;      /* the clustering (one k) or the sweep (one tick per k); NULL ok */
    mc_store_features features; /* a store folder's feature set (data.h; default mfcc); another set with
                                   an array file is MC_STATUS_INVALID_ARG */
} mc_cluster_job;

void mc_cluster_job_default(mc_cluster_job *j);

typedef struct mc_cluster_outcome {
    char input[4096];           /* the file clustered (a store folder: its vectors_file, e.g. mfcc_stats.npy) */
    int64_t n, d, dz;           /* rows, columns, columns of the clustered space */
    mc_clustering result;       /* the kept clustering (mc_clustering_free via mc_cluster_outcome_free) */
    mc_ksweep sweep;            /* the sweep's points when job.sweep (best moved to result) */
    double seconds;             /* wall time */
} mc_cluster_outcome;

void mc_cluster_outcome_free(mc_cluster_outcome *o); /* NULL ok */

/* `musiclust cluster` as a library function: read `input` (an (N, ...) array flattened to (N, D), or
 * a feature store folder), reduce it, cluster it (one k, or the silhouette sweep), and write
 * assign_path (ASSIGN.tsv, report.h), ASSIGN.json beside it (parameters, k, inertia / BIC / eps,
 * cluster sizes, the sweep, the fitted scaler / PCA, timings) and with the sweep ASSIGN.ksweep.tsv
 * (mc_pipeline_ksweep_write). Errors name the file (MC_STATUS_IO / FORMAT / NUMERIC / INVALID_ARG).
 * The input is memory-mapped when it is float32. With job->cluster.dist of R > 1 ranks every rank
 * calls this with the same arguments (a collective): the result is the one of R = 1 on every rank,
 * rank 0 alone writes the files, and a failure on any rank fails every rank ("rank R: ..."). */
mc_status mc_pipeline_cluster(const mc_cluster_job *job, const char *input, const char *assign_path,
                              mc_cluster_outcome *out);

/* ------------------------------------------------------------------ scoring */

/* Label columns scored by default, the one rule of `musiclust run` and `musiclust evaluate`: the
 * store's label columns named genre, tag, label, style, language, lyrics_language (in that order;
 * `main`, when given, first), each with 2 .. n/2 classes; when the store has none of these names,
 * every label column with 2 .. n/2 classes in store order. Columns are written into cols (pointers
 * into the store's header), at most cap; *n receives the count. mc_log (INFO) says why a named
 * column was left out. */
void mc_pipeline_label_columns(const mc_store *s, const char *main, const char **cols, int cap, int *n);

/* The label side of scoring: a store's rows, their tracks and the label columns as class codes. */
typedef struct mc_score_labels {
    int64_t n;            /* rows (segments) */
    int64_t n_tracks;     /* 0: no track level */
    int64_t *track_of;    /* (n) the row's track, 0..n_tracks-1 in the order tracks first appear; NULL
                             without tracks */
    int n_cols;
    char **cols;          /* (n_cols) column names */
    int32_t **codes;      /* (n_cols) x (n) class of each row, -1 unlabelled */
    int32_t **track_codes; /* (n_cols) x (n_tracks) class of each track (its segments agree) */
    char ***classes;      /* (n_cols) x (n_classes[c]) class names, sorted */
    int *n_classes;       /* (n_cols) */
} mc_score_labels;

/* Build from an open store (mc_store_open or mc_store_open_index): the columns named (n_cols > 0)
 * or the default rule; with tracks the track of every row (renumbered by first appearance) and each
 * track's class. Errors: an unknown column (MC_STATUS_FORMAT naming the label columns there are),
 * tracks whose segments disagree on a label (MC_STATUS_FORMAT naming the index line). */
mc_status mc_pipeline_score_labels(const mc_store *s, const char *const *cols, int n_cols, bool tracks,
                                   mc_score_labels *out);
void mc_pipeline_score_labels_free(mc_score_labels *l); /* NULL ok; zeroes the struct */

/* The table the scores go into: the metric columns of report.h (silhouette, calinski_harabasz,
 * davies_bouldin, with a common space their *_common, ari_/ami_/nmi_/purity_<column> for each column,
 * n_clusters, noise_fraction) and the label columns (classes, unlabelled rows per level). */
mc_status mc_pipeline_score_table(const mc_score_labels *L, bool common, bool tracks, mc_report_table *t);
/* The same, with two more columns after noise_fraction when losses: recon_loss and kl, a trained
 * model's last-epoch reconstruction error and KL per training row (mc_score_input.recon / .kl; NaN
 * for a space without a model; the same value at both levels; no direction, never best). */
mc_status mc_pipeline_score_table_losses(const mc_score_labels *L, bool common, bool tracks, bool losses,
                                         mc_report_table *t);

/* One representation x algorithm over `seeds` seeds, as one table row per level. */
typedef struct mc_score_input {
    const char *task, *representation, *algorithm; /* the row's names */
    int k;                        /* clusters asked for (0: DBSCAN) */
    const char *leaked;           /* ';'-separated label columns the representation was given ("" none) */
    int seeds;
    uint64_t first_seed;          /* named in notes */
    const float *const *X;        /* (seeds) x (n, d) the space of each seed (the same pointer for a space
                                     shared by the seeds: its track means are computed once) */
    int d;
    const int32_t *const *clusters; /* (seeds) x (n), -1 = noise */
    const float *common;          /* (n, dc) the common space, NULL when the table has no *_common */
    int dc;
    const double *recon, *kl;     /* (seeds) a model's last-epoch losses, for a table with loss columns;
                                     NULL: NaN */
} mc_score_input;

/* Called with the first seed's contingency table of every column at every level (NULL: none). */
typedef mc_status (*mc_score_contingency_fn)(void *user, const char *level, const char *column,
                                            const mc_contingency *ct);

/* Score one clustering per seed at the segment level and, when the table has track rows (L has
 * tracks), at the track level (a track takes the majority cluster of its segments and the mean of
 * their vectors): the internal metrics in its own space (and in the common space), ARI, AMI, NMI and purity
 * against every column (noise pooled into one cluster), what was found. Appends the rows to t
 * (mean ± std over the seeds, report.h); metrics.opts threads / block apply; progress, when given,
 * advances with the segment-level silhouette of each seed. Never prints. */
mc_status mc_pipeline_score(const mc_score_labels *L, const mc_score_input *in, const mc_metrics_opts *opts,
                            mc_score_contingency_fn contingency, void *user, mc_report_table *t);

/* ------------------------------------------------------------------ `musiclust evaluate` */

typedef struct mc_evaluate_config {
    const char *x_path;           /* (N, ...) array, flattened to (N, D) */
    const char *assign_path;      /* ASSIGN.tsv */
    const char *labels;           /* a store's index.tsv (or folder); NULL: internal metrics only */
    const char *const *columns;   /* label columns; n_columns 0 = the default rule */
    int n_columns;
    const char *const *leaked;    /* label columns X was given: their scores are marked leaked */
    int n_leaked;
    const char *common_path;      /* (N, D') the common space, NULL: no *_common metrics */
    bool track_level;             /* also per track (needs labels) */
    const char *prefix;           /* PREFIX.csv, PREFIX.json, PREFIX.contingency_<column>[.track].tsv */
    int threads;                  /* silhouette workers (<= 0: all cores); results never depend on it */
    int block;                    /* silhouette tile edge (<= 0: 256) */
    int64_t silhouette_sample;    /* 0: the exact silhouette; > 0: above this many rows, the silhouette of
                                     a seeded sample of this many (seed 0), said in the row's note with
                                     its standard error (mc_metrics_opts); the CLI's default is 20000 */
    mc_pipeline_progress_fn progress; /* a bar for the silhouette of more than 20000 rows; NULL: none */
    void *progress_user;
    /* The process group (dist.h); NULL = this process alone. With R > 1 ranks the call is collective:
     * every rank passes the same config, reads the same inputs and scores the same (the silhouette
     * shared over the ranks, mc_metrics_opts.dist: the bytes of one process); rank 0 alone writes the
     * files (the outcome lists them on every rank); a failure on one rank (an input it cannot read, a
     * write on rank 0) fails every rank with its message, never a hang. Last in the struct. */
    mc_dist *dist;
} mc_evaluate_config;

typedef struct mc_evaluate_outcome {
    mc_report_table table;        /* what PREFIX.csv / .json hold */
    int n_files;
    char **files;                 /* (n_files) every file written */
} mc_evaluate_outcome;

void mc_evaluate_outcome_free(mc_evaluate_outcome *o); /* NULL ok */

/* `musiclust evaluate` as a library function: score one clustering of X (one seed) with
 * mc_pipeline_score and write the table (report.h's metrics.csv and metrics.json schema: the
 * representation is X's file name, seeds 1) and the contingency tables. Errors name the file: X with
 * a non-finite value, ASSIGN.tsv or the index not matching X row for row, an unknown --column or
 * --leaked column (MC_STATUS_FORMAT), a track whose segments disagree. */
mc_status mc_pipeline_evaluate(const mc_evaluate_config *c, mc_evaluate_outcome *out);

/* ------------------------------------------------------------------ `musiclust map` */

typedef enum mc_map_method { MC_MAP_TSNE = 0, MC_MAP_UMAP } mc_map_method;

typedef struct mc_map_config {
    mc_map_method method;
    double perplexity;        /* t-SNE; <= 0: 30. Clamped to (n - 1) / 3 as `run` does */
    int neighbors;            /* UMAP; <= 0: 15. Clamped to n - 1 */
    double min_dist;          /* UMAP; < 0: 0.1 */
    int iterations;           /* t-SNE iterations / UMAP epochs; <= 0: the defaults (embed.h) */
    bool fast;                /* as `run --fast`: t-SNE 250 iterations, UMAP 60 epochs */
    uint64_t seed;            /* 0 */
    int threads;              /* <= 0: all cores; the output never depends on it */
    const char *labels;       /* NULL, or a store (folder or index.tsv) / table with one row per row of X */
    const char *column;       /* the label column that colours the plot (needs labels) */
    const char *plot;         /* NULL, or a .png / .svg / .pdf to draw */
    mc_progress *progress;    /* ticked per iteration / epoch; NULL = none */
    /* The bound of the map (issue 11: t-SNE and UMAP of a million rows take hours): with N > sample,
     * t-SNE / UMAP map a seeded sample of `sample` rows (the first of a seeded shuffle of the rows, in
     * increasing order) and every other row is placed on that map by mc_embed_place (embed.h) with the
     * UMAP neighbour count: the output still has one position per row. 0 = map every row.
     * Default MC_MAP_SAMPLE (20000). */
    int64_t sample;
} mc_map_config;

#define MC_MAP_SAMPLE 20000

void mc_map_config_default(mc_map_config *c);

/* `musiclust map` as a library function: read x_path (an (N, ...) array flattened to (N, D)), map it
 * to (N, 2) with t-SNE or UMAP (embed.h) with exactly the options `musiclust run` uses for its maps
 * (so the map of a run's latent equals its embed/<id>.<method>.npy), write y_path (float32 .npy) and,
 * when asked, the scatter coloured by a label column. Errors name the file: X with a non-finite value
 * or fewer than 3 rows (MC_STATUS_FORMAT), labels not matching X row for row, an unknown column.
 * *rows (may be NULL) receives N, *mapped (may be NULL) the rows t-SNE / UMAP mapped (N unless bounded). */
mc_status mc_pipeline_map(const mc_map_config *c, const char *x_path, const char *y_path, int64_t *rows,
                          int64_t *mapped);

/* The t-SNE / UMAP options of `run` and `map` for n rows (the one rule both follow); n is the number
 * of rows mapped (the sample under the bound: mc_pipeline_map_rows_mapped). */
struct mc_tsne_opts;
struct mc_umap_opts;
void mc_pipeline_map_options(const mc_map_config *c, int64_t n, struct mc_tsne_opts *to, struct mc_umap_opts *uo);

/* How many of n rows t-SNE / UMAP map under c's bound: min(n, c->sample), or n when sample is 0. */
int64_t mc_pipeline_map_rows_mapped(const mc_map_config *c, int64_t n);

/* Y (n, 2) = the map of X (n, d) by `method` under c (options, seed, threads, bound), ticking
 * `progress` (may be NULL) per iteration / epoch: what `map` writes and what `run` writes for each
 * representation. Allocates its own work space (the sample's rows and map when bounded); never prints.
 * Errors as mc_embed_tsne / mc_embed_umap / mc_embed_place. */
mc_status mc_pipeline_map_array(const mc_map_config *c, mc_map_method method, const float *X, int64_t n, int d,
                                mc_progress *progress, float *Y);

/* ------------------------------------------------------------------ `musiclust assign` */

typedef struct mc_assign_config {
    const char *representation;  /* the id of a representation of the run; NULL = the first one
                                    (representations.tsv order) that assign supports */
    int64_t seed;                /* < 0: the run's first seed (run.json) */
    const char *metadata;        /* labels of the new tracks, joined as `run` does; NULL = folder names */
    const char *id_column;       /* NULL = "track_id" */
    int threads;                 /* <= 0: all cores */
    mc_progress *progress;       /* extraction; NULL = none */
} mc_assign_config;

void mc_assign_config_default(mc_assign_config *c);

typedef struct mc_assign_summary {
    char representation[32];
    char space[32];              /* "its saved model" or "its saved fitted transform" */
    char algorithms[64];         /* the run's algorithms applied, "kmeans, agglomerative, dbscan, gmm" */
    char note[256];              /* what was approximated ("" if nothing) */
    uint64_t seed;
    int k;                       /* clusters of the first algorithm */
    int maps;                    /* bit 0: placed on the run's UMAP map, bit 1: on its t-SNE map */
    int map_neighbors;           /* neighbours used for the placement */
    bool lyrics;                 /* the new tracks' lyrics were embedded with the run's lyrics model */
    int64_t tracks, segments, skipped;
} mc_assign_summary;

/* New songs into an existing result, without retraining: extract inputs with the run's feature
 * parameters (RESULTS/features/extract.json) into OUT/features, put them into the representation's
 * space, place them in every clustering the run made of it, and on its maps.
 * The space: a trained model (vae, ae, beta-vae, conv-vae, conv-ae) encodes them with the saved
 * models/<id>.seed<S>.safetensors; a fitted space applies the transform the run saved beside it
 * (latents/<id>[.seed<S>].transform.json + .npy): raw / raw-* the z-score of its feature set, pca the
 * z-score then the PCA, pca-logmel the PCA of the flattened log-mel, concat the audio model's latent and
 * the lyrics block scaled with the run's block means and factors (the new tracks' lyrics are not
 * embedded: their lyrics block sits at its mean, 0, as the run's rows without lyrics; summary->note).
 * The clusters, for each of assign/<id>.<algo>.seed<S>.tsv the run wrote (squared euclidean distance in
 * double, ties to the smaller id): k-means and agglomerative: the nearest cluster mean of the run's rows
 * (k-means' centroid at convergence; for agglomerative the centroid of each cluster of its cut, which is
 * not how Ward would have merged the row); DBSCAN (it has no predict): the cluster of the nearest core
 * point of the run (a row with min_samples rows within eps, itself included; eps and min_samples from
 * assign/<id>.dbscan.seed<S>.json) if within eps, else noise -1; GMM: the most likely component
 * (mc_cluster_gmm_predict, GaussianMixture.predict) under the mixture the run fitted and saved
 * (assign/<id>.gmm.seed<S>.json + .npy). Every track gets the majority of its
 * segments (ties to the smaller id; noise only when it outvotes every cluster).
 * The maps (the run's embed/<id>.{umap,tsne}.npy, first seed only): each new row at the weighted mean
 * of the map positions of its n_neighbors nearest run rows, with umap-learn transform's weights
 * (smooth_knn_dist with local_connectivity 0); umap-learn's further optimisation epochs are not run,
 * and t-SNE, which has no transform, gets the same rule.
 * Writes, as `run` does: OUT/latents/<id>[.seed<S>].npy, OUT/assign/<id>.<algo>.seed<S>.tsv,
 * OUT/embed/<id>.{umap,tsne}.npy, and OUT/tracks.tsv (track, path, cluster (first algorithm), segments,
 * cluster_mostly: the run's most common main label in that cluster, then a column per other algorithm,
 * then umap_x, umap_y, tsne_x, tsne_y: the mean of the track's rows). Assigning the run's own audio
 * reproduces the run's latents and k-means and GMM clusters byte for byte.
 * Errors: MC_STATUS_UNSUPPORTED with the reason for cvae (needs the new tracks' label), mm-vae (the
 * lyrics of new tracks), a leaked space, and a run that predates the saved transforms (rerun it). */
mc_status mc_pipeline_assign(const mc_assign_config *c, const char *results, const char *const *inputs,
                             int n_inputs, const char *out, mc_assign_summary *summary);

/* ------------------------------------------------------------------ lyrics into a store */

typedef struct mc_pipeline_lyrics_summary {
    int64_t tracks;         /* rows of lyrics.npy: store tracks, or metadata rows without a store */
    int64_t with_lyrics;    /* tracks with at least one word of lyrics */
    int64_t missing;        /* store tracks without a metadata row */
    int64_t languages;      /* distinct languages (not `unknown`) among the tracks with lyrics */
    int rank;               /* SVD rank */
    int dim;                /* columns of lyrics.npy */
    int64_t word_terms, char_terms; /* vocabulary sizes */
    bool store;             /* joined on a feature store (tracks.tsv existed) */
    bool index_updated;     /* index.tsv got the lyrics_language column */
    int n_codes;            /* per-language counts of the tracks with lyrics, first appearance order */
    char codes[64][16];
    int64_t counts[64];
    double seconds;
} mc_pipeline_lyrics_summary;

/* `musiclust lyrics` as a library function (also the lyrics stage of `musiclust run`). If featdir holds
 * a feature store (tracks.tsv), metadata's text_column is joined on id_column to the store's track_id
 * (first row of a repeated id, with a warning), one row per store track, and a `lyrics_language` label
 * column (empty for unknown or no lyrics) is added to or replaced in tracks.tsv and index.tsv;
 * otherwise featdir is created and there is one row per metadata row. The lyrics are embedded with
 * mc_text_lyrics_embed_model(cfg) (cfg->progress is ticked); the fitted model is saved as
 * featdir/lyrics_model.safetensors (mc_text_lyrics_model_save: mc_text_lyrics_model_load +
 * mc_text_lyrics_apply put new lyrics into the same space), and featdir/lyrics.npy (tracks, dim) float32,
 * lyrics_tracks.tsv (track, track_id, lyrics_language, lyrics_confidence, has_lyrics) and lyrics.json
 * are written atomically. A missing column is MC_STATUS_FORMAT (naming the columns there are);
 * MC_STATUS_EMPTY when no track has lyrics. */
mc_status mc_pipeline_lyrics(const char *featdir, const char *metadata, const char *id_column,
                             const char *text_column, const mc_lyrics_config *lyrics_config,
                             mc_pipeline_lyrics_summary *summary);
/* mc_pipeline_lyrics with a saved model (model_path, a lyrics_model.safetensors) instead of a fit:
 * the texts go into that model's space (mc_text_lyrics_apply: a run's own texts get the run's
 * vectors byte for byte), the same files are written (the model copied), and a store whose tracks
 * have no lyrics at all is fine (zero rows, has_lyrics 0). Used by `musiclust assign`. */
mc_status mc_pipeline_lyrics_apply(const char *featdir, const char *metadata, const char *id_column,
                                   const char *text_column, const char *model_path, int threads,
                                   mc_pipeline_lyrics_summary *summary);

/* ------------------------------------------------------------------ the run */

enum {
    MC_PIPELINE_TASK_EASY = 1,
    MC_PIPELINE_TASK_MEDIUM = 2,
    MC_PIPELINE_TASK_HARD = 4,
    MC_PIPELINE_TASK_ALL = 7
};

/* "easy", "medium", "hard", "all", or a comma-separated list of them -> MC_PIPELINE_TASK_* bits. */
mc_status mc_pipeline_parse_tasks(const char *s, unsigned *out);


/* ------------------------------------------------------------------ recipes
 *
 * A recipe is a whole experiment as a JSON file (the files in recipes/ are the built-in ones; copy and edit):
 *   {
 *     "recipe": "linear-vae",                       name (default: the file's stem)
 *     "description": "...",
 *     "features": {"sr": 22050, "segment": 3, "n_fft": 2048, "hop": 512, "n_mels": 128, "n_mfcc": 13},
 *     "tasks": ["easy"],                            the built-in tasks (e) instead of "representations"
 *     "representations": [                          in order: rows of metrics.csv
 *       {"id": "vae", "kind": "vae", "latent": 4, "hidden": [64], "beta": 1, "epochs": 20,
 *        "batch": 32, "lr": 0.001, "algorithms": ["kmeans"], "maps": true},
 *       {"id": "pca", "kind": "pca", "components": 4},
 *       {"id": "audio+lyrics", "kind": "concat", "from": "conv-vae"}
 *     ],
 *     "algorithms": ["kmeans", "agglomerative"],   default of the representations (["kmeans"]);
 *                                                  kmeans, agglomerative, dbscan, gmm (full covariances)
 *     "k": 5 | "label" | "sweep",  "k_max": 10,  "label": "genre",
 *     "seeds": 3, "first_seed": 0,
 *     "budget": {"conv_samples": 8000, "conv_max_epochs": 20, "conv_batch": 32, "mlp_epochs": 100},
 *     "figures": {"maps": true, "report": true, "reconstructions": true}
 *   }
 * kind: raw (the z-scored MFCC statistics), pca (of them; "components"), pca-logmel (randomised PCA of
 * the flattened log-mel, streamed over the store; "components"), vae, ae, beta-vae, cvae (conditioned
 * on the main label: leaked; "input": "logmel" for the conv variant), mm-vae, conv-vae (on log-mel),
 * conv-ae (the conv-vae's encoder / decoder without sampling or KL), concat ("from" + the lyrics,
 * each block centred and scaled to total variance 1; "fusion": "zscore" for the old per-column
 * weighting), lyrics (the track's lyrics vector alone, centred).
 * A model's "epochs" replace the conv sample budget; --fast still shrinks everything.
 * Every key is optional except representations-or-tasks; an unknown key is an error (a typo never
 * passes silently). Model options left out take models.h's defaults. */

enum { MC_RECIPE_ALGO_KMEANS = 1, MC_RECIPE_ALGO_AGGLOMERATIVE = 2, MC_RECIPE_ALGO_DBSCAN = 4, MC_RECIPE_ALGO_GMM = 8 };
#define MC_RECIPE_MAX_REPS 16
#define MC_RECIPE_MAX_HIDDEN 8

typedef struct mc_recipe_rep {
    char id[32];                 /* [A-Za-z0-9._+-], unique: file names latents/<id>... */
    char kind[16];               /* see above */
    char from[32];               /* concat: the representation joined with the lyrics */
    bool logmel, input_set;      /* "input": "logmel" | "vectors" (cvae, mm-vae) */
    bool fusion_zscore;          /* concat "fusion": "block" (default: each block centred, scaled to total
                                    variance 1) | "zscore" (per-column z-scores / sqrt(width)) */
    unsigned algos;              /* MC_RECIPE_ALGO_* bits (the recipe's "algorithms" when absent) */
    int latent, epochs, batch, components; /* 0 = default */
    int n_hidden;                /* 0 = default */
    int hidden[MC_RECIPE_MAX_HIDDEN];
    double beta, lr;             /* < 0 = default */
    bool maps;                   /* t-SNE / UMAP of it (true) */
} mc_recipe_rep;

typedef struct mc_recipe {
    char name[64];
    char path[4096];             /* the file it came from ("" when parsed from memory) */
    char description[512];
    unsigned tasks;              /* MC_PIPELINE_TASK_* when the recipe names tasks, else 0 */
    int n_reps;
    mc_recipe_rep reps[MC_RECIPE_MAX_REPS];
    bool recon;                  /* reconstruction examples of the vae / conv-vae representations */
    char label[64];              /* "label" (cfg->label points here) */
} mc_recipe;

/* The file of a recipe: name_or_file itself when it names an existing file (or has a '/' or ends in
 * .json), else NAME.json in $MUSICLUST_RECIPES (folders separated by :), the installed share/musiclust/recipes and the source
 * tree's recipes/. MC_STATUS_IO names the folders searched. */
mc_status mc_pipeline_recipe_find(const char *name_or_file, char *path, size_t cap);
/* Names of the built-in recipes found (sorted, ", "-separated) into buf; "" when none. */
void mc_pipeline_recipe_list(char *buf, size_t cap);

struct mc_run_config;
/* Parse a recipe (text of len bytes; origin names it in messages) into out and apply its settings to
 * cfg (features, tasks, k, label, seeds, budgets, figures); cfg->recipe is set to out, which must
 * outlive cfg's use. The label string points into out. Errors (MC_STATUS_FORMAT) are one line naming
 * origin, the key path ("representations[1].latent") and what was expected. Never reads files. */
mc_status mc_pipeline_recipe_parse(const char *text, size_t len, const char *origin, mc_recipe *out,
                                   struct mc_run_config *cfg);
/* mc_pipeline_recipe_find, read the file (at most 1 MiB), mc_pipeline_recipe_parse. */
mc_status mc_pipeline_recipe_load(const char *name_or_file, mc_recipe *out, struct mc_run_config *cfg);

typedef struct mc_run_config {
    unsigned tasks;             /* MC_PIPELINE_TASK_* bits (ALL) */
    const mc_recipe *recipe;    /* NULL: the tasks; else its representations (when it has any) */
    bool k_sweep;               /* choose k by the silhouette sweep even with labels */
    mc_extract_config extract;  /* features (data.h defaults); .metadata joins a table; .threads unused */
    const char *text_column;    /* metadata column with lyrics ("lyrics"); absent column = no lyrics */
    int lyrics_dim;             /* 64 */
    const char *label;          /* main label column; NULL = first of genre, tag, label, style with >= 2 classes */
    int seeds;                  /* 3: seeds first_seed .. first_seed + seeds - 1 */
    uint64_t first_seed;        /* 0 */
    int k;                      /* <= 0: classes of the main label, else the silhouette sweep */
    int k_max;                  /* 10: largest k of the sweep */
    int threads;                /* <= 0: all cores. Same inputs, seeds and threads -> same bytes */
    int64_t conv_budget;        /* conv-vae training samples per seed (8000) */
    int conv_min_epochs;        /* 1 */
    int conv_max_epochs;        /* 20 */
    int conv_batch;             /* 32 */
    int mlp_epochs;             /* MLP models' epochs; <= 0 = the model default (100) */
    int mlp_latent;             /* latent size of the MLP models (vae, beta-vae, ae, cvae, mm-vae) and
                                   pca's components (16: better than the models' default 4 on held-out
                                   gtzan-mini tracks, issue 17); <= 0 = the model default (4) */
    mc_nn_precision precision;  /* conv-vae arithmetic (mc_model_config.precision): fp32 (default) or bf16
                                   where the CPU has AVX512_BF16 (else fp32, said once) */
    bool fast;                  /* test-sized: MLP 12 epochs, conv-vae 1 epoch on at most 64 rows,
                                   t-SNE 250 iterations, UMAP 60 epochs (a smoke test, not a result) */
    bool maps;                  /* t-SNE and UMAP maps (true) */
    bool report;                /* report.html (true) */
    mc_pipeline_progress_fn progress;
    void *progress_user;
    mc_store_features features; /* the per-row vectors of the common space, raw, pca and every MLP model
                                   (MC_STORE_FEATURES_MFCC_DESCRIPTORS: the best raw input on gtzan-mini,
                                   issue 17); a set with descriptors needs extract.descriptors */
    bool low_memory;            /* training on one network per model (mc_train_options.low_memory) */
    int64_t map_sample;         /* the maps' bound (mc_map_config.sample): above it, t-SNE / UMAP of a seeded
                                   sample and the other rows placed (MC_MAP_SAMPLE); 0 = every row */
    mc_dist *dist;              /* the process group (dist.h); NULL = this process alone. See mc_pipeline_run */
} mc_run_config;

void mc_run_config_default(mc_run_config *c);

typedef struct mc_run_stage_time {
    char name[96];
    bool ran;                     /* false: cached (outputs and hash matched) */
    double seconds;               /* this run */
    double seconds_when_computed; /* from the stage record */
} mc_run_stage_time;

typedef struct mc_run_summary {
    int stages_run, stages_cached;
    double seconds;               /* wall time of the run */
    int64_t tracks, segments, skipped;
    int k;
    char k_source[128];           /* how k was chosen */
    char main_label[64];          /* "" without labels */
    int conv_epochs;              /* conv-vae epochs per seed (0 when not trained) */
    int64_t conv_rows;            /* rows it trained on */
    bool conv_budget_limited;
    int n_stages;
    mc_run_stage_time *stages;    /* (n_stages) malloc'd: mc_run_summary_free */
} mc_run_summary;

void mc_run_summary_free(mc_run_summary *s); /* NULL ok */

/* Run the selected tasks on inputs (audio files or folders) into results_dir (created). Logs each
 * stage through mc_log (INFO) and never prints. Returns the first failing stage's status with its
 * message; the stages done before it stay valid for the next run.
 *
 * Over R > 1 ranks (cfg->dist): a collective; every rank passes the same config and inputs, and
 * results_dir is on a file system every rank sees. Every rank walks the same stages in the same
 * order: rank 0 decides which stages are cached (and broadcasts it) and alone writes files (the other
 * ranks compute the same values with their writes discarded, mc_file_discard_writes, and read what
 * rank 0 wrote after a barrier). Distributed: extract (mc_data_extract_group), model training and
 * encoding (mc_model_train_group, mc_model_encode_group), k-means and GMM (in the ksweep and cluster
 * stages), and the scores of the evaluate stage; every rank computes the spaces (PCA) and lyrics
 * itself; agglomerative and DBSCAN, the maps (t-SNE / UMAP of the bounded sample), the tables and
 * the report run on rank 0 alone while the others wait. The outputs are the bytes of one process.
 * A failure returns at once on the failing rank, without entering another collective (the other
 * ranks may be waiting in one): the caller must then end the group (mc_dist_abort), as the CLI does;
 * a failure after the evaluate stage (rank 0's alone) reaches every rank through a last check. */
mc_status mc_pipeline_run(const mc_run_config *cfg, const char *const *inputs, int n_inputs,
                          const char *results_dir, mc_run_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
