/* musiclust report: the metrics table of a run (metrics.csv, metrics.json, a plain-text table for the
 * terminal) and the self-contained HTML report of a RESULTS folder.
 *
 * THE METRICS TABLE. One row per representation x clustering algorithm x level ("segment", or "track":
 * the majority vote of a track's segments, internal metrics on the track means), with the mean and the
 * population standard deviation (numpy.std, ddof 0) over the seeds of every metric. Metric names:
 *   silhouette, calinski_harabasz, davies_bouldin             in the representation's own space
 *   silhouette_common, calinski_harabasz_common, davies_bouldin_common
 *                                                             in the ONE COMMON SPACE of the run (the
 *                                                             z-scored MFCC statistics of the same rows),
 *                                                             so that methods can be compared at all
 *   ari_<column>, ami_<column>, nmi_<column>, purity_<column> against a label column (AMI: adjusted
 *                                                             mutual information, arithmetic mean)
 *   n_clusters, noise_fraction                                what the algorithm found (no direction)
 * Higher is better for silhouette, Calinski-Harabasz, ARI, AMI, NMI and purity; lower for Davies-Bouldin.
 * BEST MARKS go only to the chance-adjusted label metrics (ARI, AMI) and the common-space internal
 * metrics (mc_report_metric_rankable): NMI and purity grow with the number of clusters (DBSCAN rows with
 * many small clusters would win with ARI about 0), and own-space internal metrics of different spaces
 * do not compare.
 *
 * LEAKS. A row's `leaked` field names the label columns (';'-separated) that were an input or a
 * condition of its representation (a CVAE conditioned on genre; a model that read genre). Its label
 * metrics against those columns measure what the model was given, not what it found: they are marked
 * in every output (metrics.csv `leaked`, metrics.json "leaked": true per metric, '!' in the text table,
 * a warning in the HTML), and a row with any leaked column is never marked "best".
 *
 * NUMBERS. Every value in metrics.csv, the text table and report.html is printed by
 * mc_report_format_value ("%.4f") from the same double; metrics.json holds the same rounded mean and
 * std, plus each seed's value at full precision. Reading metrics.csv back and formatting again gives
 * the same text (a 4-decimal number survives strtod + "%.4f").
 *
 * metrics.csv columns: task, representation, algorithm, level, k, seeds, rows, leaked, note, then
 * <metric>_mean, <metric>_std for every metric. `note` says when a metric was undefined for some seeds
 * (the mean is over the seeds where it is defined).
 *
 * THE RESULTS FOLDER the HTML report reads (written by musiclust run, see pipeline.h):
 *   metrics.csv                        the table above
 *   summary.tsv                        key, value: facts of the run (main_label, evaluated_columns, k,
 *                                      k_source, seeds, threads, wall_seconds, version, notes...)
 *   representations.tsv                id, name, tasks, model, input, leaked, show, epochs, note,
 *                                      description
 *   timings.tsv                        stage, status (ran | cached), seconds, seconds_when_computed
 *   features/index.tsv, tracks.tsv, skipped.tsv   the feature store (dataset, labels, skipped files)
 *   embed/<id>.tsne.npy, embed/<id>.umap.npy      (n, 2) coordinates of the first seed's latent
 *   assign/<id>.<algo>.seed<S>.tsv                row, cluster
 *   contingency/<id>.<algo>.<column>.tsv          clusters x classes (first seed, segment level)
 *   recon/<id>.original.npy, recon/<id>.recon.npy   the first seed's reconstruction examples of a
 *                                      model: (m, n_mels, frames) log-mel or (m, F) MFCC statistics
 *   recon/examples.tsv                 row, track, label of those examples
 *   models/<id>.seed<S>.loss.tsv       per-epoch losses (first seed)
 * and what the report writes there itself:
 *   report.html, figures/<name>.png and .svg   (mc_report_html)
 *   exports/labels/<id>.<algo>/, exports/projector/<id>/, exports/README.txt   (mc_report_exports)
 * Missing figure inputs are skipped with a note in the report, never an error. */
#ifndef MUSICLUST_REPORT_H
#define MUSICLUST_REPORT_H

#include <musiclust/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The printf format of every metric value. */
#define MC_REPORT_VALUE_FORMAT "%.4f"

/* v with MC_REPORT_VALUE_FORMAT, or "nan" when v is not finite. buf holds >= 40 bytes. */
void mc_report_format_value(double v, char *buf, size_t cap);

/* +1 higher is better, -1 lower is better, 0 no direction (n_clusters, noise_fraction, unknown). */
int mc_report_metric_direction(const char *metric);
/* Whether rows can be ranked on the metric, so that "best" means something: the chance-adjusted label
 * metrics (ari_<column>, ami_<column>: 0 = chance for any k) and the common-space internal metrics (*_common: every
 * method measured in the same space). Not rankable: own-space silhouette / CH / DB (spaces differ in
 * size and scale), NMI and purity (not adjusted for chance: they grow with the number of clusters),
 * n_clusters and noise_fraction (no direction). */
bool mc_report_metric_rankable(const char *metric);
/* The label column of a label metric ("ari_genre" -> "genre"), or NULL for an internal metric. */
const char *mc_report_metric_column(const char *metric);
/* A short human name: "Silhouette", "Silhouette (common space)", "ARI genre", ... (static or into buf). */
const char *mc_report_metric_title(const char *metric, char *buf, size_t cap);

typedef struct mc_report_row {
    char *task;           /* the task(s) it belongs to: "easy", "easy hard", ... */
    char *representation; /* display name, e.g. "vae", "cvae(genre)", "conv-vae+lyrics(concat)" */
    char *algorithm;      /* "kmeans", "agglomerative", "dbscan", "gmm" */
    char *level;          /* "segment" or "track" */
    char *leaked;         /* label columns that were an input or a condition, ';'-separated; "" none */
    char *note;           /* "" or why some values are undefined */
    int k;                /* clusters asked for (0 for DBSCAN) */
    int seeds;
    int64_t rows;         /* points clustered at this level */
    double *mean, *std;   /* (n_metrics) rounded to MC_REPORT_VALUE_FORMAT; NaN = undefined */
    double *values;       /* (n_metrics, seeds) per-seed values at full precision; NULL when read back */
} mc_report_row;

/* A label column the rows were scored against: its classes and the rows without a label at each
 * level (what ARI, NMI and purity leave out). metrics.json only; not in metrics.csv. */
typedef struct mc_report_column {
    char *name;
    int classes;
    int64_t unlabelled_segments; /* -1: the level was not scored */
    int64_t unlabelled_tracks;
} mc_report_column;

typedef struct mc_report_table {
    int n_metrics;
    char **metrics;       /* (n_metrics) names, see above */
    int n_rows, cap_rows;
    mc_report_row *rows;  /* (n_rows) */
    int n_columns;
    mc_report_column *columns; /* (n_columns) label columns scored (metrics.json "label_columns") */
    int n_inputs;
    char **input_keys, **input_values; /* (n_inputs) what was scored (metrics.json "inputs", when any) */
} mc_report_table;

/* An empty table with these metric columns (copied). */
mc_status mc_report_table_init(mc_report_table *t, const char *const *metrics, int n_metrics);
void mc_report_table_free(mc_report_table *t); /* NULL ok; zeroes the struct */
/* Append a row: values (n_metrics, seeds) row-major, NaN where undefined. Mean and std are taken over
 * the finite values of each metric (NaN if none) and rounded to MC_REPORT_VALUE_FORMAT. Strings are
 * copied (NULL = ""). */
mc_status mc_report_table_add(mc_report_table *t, const char *task, const char *representation,
                              const char *algorithm, const char *level, int k, int64_t rows,
                              const char *leaked, const char *note, int seeds, const double *values);
/* Record a label column (copied): classes and unlabelled rows per level (-1 = level not scored). */
mc_status mc_report_table_add_column(mc_report_table *t, const char *name, int classes,
                                     int64_t unlabelled_segments, int64_t unlabelled_tracks);
/* Record what the table scored, e.g. ("x", "latent.npy") (copied); written as metrics.json "inputs". */
mc_status mc_report_table_add_input(mc_report_table *t, const char *key, const char *value);
/* Index of a metric column, -1 if absent. */
int mc_report_table_metric(const mc_report_table *t, const char *metric);
/* Whether `column` is one of the row's leaked columns. */
bool mc_report_row_leaks(const mc_report_row *r, const char *column);
/* Whether this metric of the row is a leaked one (a label metric of a leaked column). */
bool mc_report_metric_leaked(const mc_report_row *r, const char *metric);

/* Write / read metrics.csv (atomically; the reader checks the header and every number). */
mc_status mc_report_table_write_csv(const mc_report_table *t, const char *path);
mc_status mc_report_table_read_csv(const char *path, mc_report_table *out);
/* metrics.json: {"musiclust_version", "value_format", "std", "noise_convention", "leak_rule",
 * "label_columns": [{column, classes, unlabelled_rows: {segment, track}}], ["inputs": {key: value}
 * when the table records any,] "rows": [{task, representation, algorithm, level, k, seeds, rows,
 * leaked: [..], note, metrics: {name: {mean, std, leaked, seed_values: [..]}}}]}. Written
 * atomically. An unlabelled count of a level that was not scored is null. */
mc_status mc_report_table_write_json(const mc_report_table *t, const char *path);

/* best (n_rows, n_metrics): true where the row's mean is the best of its level among the rows without
 * any leaked column (ties: every row equal to the best after rounding). Only rankable metrics
 * (mc_report_metric_rankable) are ever best. */
mc_status mc_report_best(const mc_report_table *t, bool *best);

/* A plain-text table of one level for a terminal: representation, algorithm, then "mean±std" of the
 * given metrics (NULL = a default selection); '*' after the best value, '!' after a leaked one, and a
 * legend line. *out is malloc'd (free()). */
mc_status mc_report_text_table(const mc_report_table *t, const char *level, const char *const *metrics,
                               int n_metrics, char **out);

/* ------------------------------------------------------------------ cluster assignments */

/* ASSIGN.tsv, as `musiclust cluster` and `musiclust run` write it: the header "row<TAB>cluster", then
 * one line "i<TAB>c" per row i of the clustered array (c = -1: DBSCAN noise). Written atomically. */
mc_status mc_report_assign_write(const char *path, const int32_t *clusters, int64_t n);
/* Read ASSIGN.tsv into clusters (n): a `cluster` column of integers >= -1 and optionally a `row`
 * column (every row number 0..n-1 exactly once, so lines may come in any order); exactly n lines.
 * `against` names what n counts, for the message "<path> has R rows but <against> has n".
 * Errors: MC_STATUS_FORMAT naming the file and the line. */
mc_status mc_report_assign_read(const char *path, int64_t n, const char *against, int32_t *clusters);

/* ------------------------------------------------------------------ the results folder */

/* Every path of a RESULTS folder (THE RESULTS FOLDER above) is made here: `musiclust run` writes
 * through these, the report reads through them. Each returns a malloc'd string (free()) or NULL with
 * the message set. results NULL gives the path relative to the folder (what stage records list). */
#define MC_REPORT_METRICS_CSV "metrics.csv"
#define MC_REPORT_METRICS_JSON "metrics.json"
#define MC_REPORT_SUMMARY "summary.tsv"
#define MC_REPORT_REPRESENTATIONS "representations.tsv"
#define MC_REPORT_TIMINGS "timings.tsv"
#define MC_REPORT_RUN_JSON "run.json"
#define MC_REPORT_HTML "report.html"
#define MC_REPORT_KSWEEP "ksweep.tsv"
#define MC_REPORT_FEATURES "features" /* the feature store (data.h) */

/* The folders of a results folder, in the order `musiclust run` creates them; *n receives the count. */
const char *const *mc_report_folders(int *n);
/* results/name, for a name above or a file of the store ("features/index.tsv"). */
char *mc_report_path(const char *results, const char *name);
/* latents/<id>.seed<S>.npy for a seeded space, latents/<id>.npy for one shared by every seed. */
char *mc_report_path_latent(const char *results, const char *id, bool seeded, uint64_t seed);
/* assign/<id>.<algo>.seed<S>.tsv */
char *mc_report_path_assign(const char *results, const char *id, const char *algo, uint64_t seed);
/* contingency/<id>.<algo>.<column>.tsv (first seed, segment level) */
char *mc_report_path_contingency(const char *results, const char *id, const char *algo, const char *column);
/* embed/<id>.<method>.npy, method "tsne" or "umap" */
char *mc_report_path_embed(const char *results, const char *id, const char *method);
/* models/<id>.seed<S>.safetensors and models/<id>.seed<S>.loss.tsv */
char *mc_report_path_model(const char *results, const char *id, uint64_t seed);
char *mc_report_path_loss(const char *results, const char *id, uint64_t seed);
/* models/<id>.seed<S>.check.tsv: the generation check of a log-mel model conditioned on the main label
 * (mc_gen_check_write's table) */
char *mc_report_path_gencheck(const char *results, const char *id, uint64_t seed);
/* recon/<id>.<which>.npy, which "original" or "recon"; recon/examples.tsv for id NULL */
char *mc_report_path_recon(const char *results, const char *id, const char *which);
/* stages/<stage>.tsv, the record of a stage */
char *mc_report_path_stage(const char *results, const char *stage);

/* ------------------------------------------------------------------ the HTML report */

typedef struct mc_report_summary {
    int images;          /* <img> elements written (each a data:image/png;base64 URI) */
    int figures_missing; /* figures left out because an input file was missing */
    int64_t bytes;       /* size of the HTML */
    int figure_files;    /* PNG and SVG files written under results_dir/figures/ (two per figure) */
    int figure_file_errors; /* figures whose files could not be written (the page still has them) */
} mc_report_summary;

/* Render results_dir (the layout above) into a self-contained HTML page at out_path (NULL =
 * results_dir/report.html), written atomically: no network, no external CSS or JS. It holds:
 *   a verdict     which clean method follows the main label best (ARI, chance-adjusted) and which is
 *                 the most separated in the common space
 *   the maps      per shown representation an interactive t-SNE / UMAP map (canvas + inline script
 *                 written in this repository, src/report/map.js): hover names the file, artist / title
 *                 (index.tsv columns artist / title or name, when present), the labels and the cluster;
 *                 click plays the segment from the original audio through an <audio> element whose
 *                 src is the file's path relative to the report's folder (start..end as a media
 *                 fragment #t=); a search box filters every map; colour by cluster or any label
 *                 column of index.tsv with at most 64 classes. Class j of a column is palette colour
 *                 j (mc_plot_category_hex), a cluster the colour of the class of the main label it is
 *                 matched to (largest overlaps, one-to-one), in the maps and the figure files alike.
 *   the tables    metrics (scrolling sideways when wide), best marks only on rankable metrics
 *                 (mc_report_metric_rankable), DBSCAN's k shown as "auto: <clusters found>"
 *   the figures   every other figure a PNG rendered in memory (plot.h) inlined as base64; every figure
 *                 (the maps' static versions too) also written as results_dir/figures/<name>.png and
 *                 .svg, linked from the page (names: map.<id>.<tsne|umap>.<clusters|column>,
 *                 contingency.<id>.<algo>.<column>, recon.<rep>.<logmel|mfcc>.<i>, loss,
 *                 bars.<level>.<metric>; bytes outside [A-Za-z0-9._-] become '_').
 * A small inline script sets <body data-images-loaded="OK/TOTAL"> once the page has loaded, and
 * data-maps-ready="N" once the maps are drawn, for headless checks. Needs metrics.csv; every other
 * input is optional (a missing one leaves a note). */
mc_status mc_report_html(const char *results_dir, const char *out_path, mc_report_summary *summary);

/* ------------------------------------------------------------------ exports for other tools */

/* Audacity / Sonic Visualiser label files of a clustering of a feature store's segments: one file per
 * track, out_dir/<file stem>.txt (a stem met before gets ".2", ".3"...: the same name in two
 * folders), one line per segment in Audacity's label-track text format
 *     start<TAB>end<TAB>cluster K        (or "noise" for DBSCAN's -1)
 * with seconds printed "%.6f": start_s of index.tsv, end = start + extract.json's segment_s (whole
 * tracks: tracks.tsv's duration_s). clusters (n) are per row of featdir/index.tsv (n must equal its
 * rows: MC_STATUS_FORMAT naming the file otherwise). out_dir is created; each file written
 * atomically; *n_files (NULL ok) receives the files written. */
mc_status mc_report_export_labels(const char *featdir, const int32_t *clusters, int64_t n, const char *out_dir,
                                  int64_t *n_files);
/* TensorBoard's projector pair for a latent x (n, d) row-major float32 of the store's rows:
 * out_dir/tensors.tsv (n lines of d tab-separated "%.9g" values; non-finite written as 0),
 * out_dir/metadata.tsv (a header row, then per row: file name, start_s, end_s, cluster when clusters
 * is not NULL, and every label column of index.tsv; tabs and line breaks in cells become spaces) and
 * out_dir/projector_config.pbtxt naming them (for `tensorboard --logdir out_dir`). */
mc_status mc_report_export_projector(const char *featdir, const float *x, int64_t n, int64_t d, const int32_t *clusters,
                                     const char *out_dir);

/* The row the report's verdict names at a level: the clean row (no leaked column) with the best
 * ari_<main_label>, else the best silhouette_common; -1 if none. */
int mc_report_verdict_row(const mc_report_table *t, const char *main_label, const char *level);

typedef struct mc_report_exports_summary {
    int row;                 /* the metrics.csv row exported (mc_report_verdict_row, segment level), -1 none */
    char representation[64]; /* its representation id and algorithm */
    char algorithm[32];
    int64_t rows;            /* segments exported */
    int64_t label_files;     /* Audacity label files written */
    char note[256];          /* why nothing was exported (row -1), else "" */
} mc_report_exports_summary;

/* The exports of a RESULTS folder, for the clustering the verdict names (first seed):
 *   exports/labels/<id>.<algo>/<stem>.txt     mc_report_export_labels
 *   exports/projector/<id>/                   mc_report_export_projector of latents/<id>[.seed<S>].npy
 *   exports/README.txt                        what they are and how to open them
 * Nothing is written (MC_STATUS_OK, out->row = -1, out->note says why) when no clean row qualifies
 * or its latent file is missing. Errors: metrics.csv unreadable, a latent or ASSIGN.tsv that does not
 * match the store. */
mc_status mc_report_exports(const char *results, mc_report_exports_summary *out);

/* Standard base64 (RFC 4648, with padding) of len bytes: *out malloc'd, NUL-terminated. Exposed for
 * tests; decode returns MC_STATUS_FORMAT on anything that is not canonical base64. */
mc_status mc_report_base64_encode(const unsigned char *data, size_t len, char **out);
mc_status mc_report_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
