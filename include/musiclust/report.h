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
 *   ari_<column>, nmi_<column>, purity_<column>               against a label column
 *   n_clusters, noise_fraction                                what the algorithm found (no direction)
 * Higher is better for silhouette, Calinski-Harabasz, ARI, NMI and purity; lower for Davies-Bouldin.
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
 *   recon/conv-vae.original.npy, recon/conv-vae.recon.npy   (m, n_mels, frames) log-mel examples
 *   recon/vae.original.npy, recon/vae.recon.npy             (m, F) MFCC statistics examples
 *   recon/examples.tsv                 row, track, label of those examples
 *   models/<id>.seed<S>.loss.tsv       per-epoch losses (first seed)
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

typedef struct mc_report_table {
    int n_metrics;
    char **metrics;       /* (n_metrics) names, see above */
    int n_rows, cap_rows;
    mc_report_row *rows;  /* (n_rows) */
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
/* Index of a metric column, -1 if absent. */
int mc_report_table_metric(const mc_report_table *t, const char *metric);
/* Whether `column` is one of the row's leaked columns. */
bool mc_report_row_leaks(const mc_report_row *r, const char *column);
/* Whether this metric of the row is a leaked one (a label metric of a leaked column). */
bool mc_report_metric_leaked(const mc_report_row *r, const char *metric);

/* Write / read metrics.csv (atomically; the reader checks the header and every number). */
mc_status mc_report_table_write_csv(const mc_report_table *t, const char *path);
mc_status mc_report_table_read_csv(const char *path, mc_report_table *out);
/* metrics.json: {"value_format", "std", "noise_convention", "leak_rule", "rows": [{task,
 * representation, algorithm, level, k, seeds, rows, leaked: [..], note, metrics: {name: {mean, std,
 * leaked, seed_values: [..]}}}]}. Written atomically. */
mc_status mc_report_table_write_json(const mc_report_table *t, const char *path);

/* best (n_rows, n_metrics): true where the row's mean is the best of its level among the rows without
 * any leaked column (ties: every row equal to the best after rounding). Metrics without a direction
 * are never best. */
mc_status mc_report_best(const mc_report_table *t, bool *best);

/* A plain-text table of one level for a terminal: representation, algorithm, then "mean±std" of the
 * given metrics (NULL = a default selection); '*' after the best value, '!' after a leaked one, and a
 * legend line. *out is malloc'd (free()). */
mc_status mc_report_text_table(const mc_report_table *t, const char *level, const char *const *metrics,
                               int n_metrics, char **out);

/* ------------------------------------------------------------------ the HTML report */

typedef struct mc_report_summary {
    int images;          /* <img> elements written (each a data:image/png;base64 URI) */
    int figures_missing; /* figures left out because an input file was missing */
    int64_t bytes;       /* size of the HTML */
} mc_report_summary;

/* Render results_dir (the layout above) into a self-contained HTML page at out_path (NULL =
 * results_dir/report.html), written atomically: no network, no external CSS or JS; every image is a
 * PNG rendered in memory (plot.h) and inlined as base64. A small inline script sets
 * <body data-images-loaded="OK/TOTAL"> once the page has loaded, for headless checks. Needs
 * metrics.csv; every other input is optional. */
mc_status mc_report_html(const char *results_dir, const char *out_path, mc_report_summary *summary);

/* Standard base64 (RFC 4648, with padding) of len bytes: *out malloc'd, NUL-terminated. Exposed for
 * tests; decode returns MC_STATUS_FORMAT on anything that is not canonical base64. */
mc_status mc_report_base64_encode(const unsigned char *data, size_t len, char **out);
mc_status mc_report_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
