/* Shared pieces of the report module: HTML escaping, and the state of one HTML report (html.c writes
 * the page and its tables, html_figures.c its figures). */
#ifndef MC_REPORT_INTERNAL_H
#define MC_REPORT_INTERNAL_H

#include <musiclust/plot.h>
#include <musiclust/report.h>

#include <stdio.h>

/* Write s to f with HTML escaping (& < > " '). */
void mc__html_text(FILE *f, const char *s);

/* ---------------------------------------------------------------- one HTML report */

/* A key, value table (summary.tsv) read if present. */
typedef struct rp_kv {
    mc_table t; /* key, value */
    bool ok;
} rp_kv;

/* A label column of index.tsv encoded for colours: class j is palette colour j everywhere. */
typedef struct rp_labels {
    const char *name; /* the column (points into the index header) */
    int32_t *ids;     /* (index rows) class id, -1 unlabelled */
    char **names;     /* (n_names) class names, mc_metrics_encode_labels order */
    int n_names;
} rp_labels;

#define RP_MAX_LABELS 16

typedef struct rp_ctx {
    const char *dir;
    FILE *f;
    int images, missing;
    mc_report_table metrics;
    bool *best;        /* (rows, metrics) */
    rp_kv summary;
    mc_table reps;     /* representations.tsv */
    bool have_reps;
    mc_table index;    /* features/index.tsv */
    bool have_index;
    const char *main_label;
    const char *columns[16]; /* evaluated label columns */
    int n_columns;
    char *columns_buf;
    rp_labels labels[RP_MAX_LABELS]; /* colourable label columns of index.tsv, the main one first */
    int n_labels;
    int artist_col, title_col;       /* columns of index.tsv, -1 if none */
    int figure_files;                /* PNG + SVG files written under figures/ */
    int figure_file_errors;
} rp_ctx;

/* The value of key in a key, value table, NULL if absent. */
const char *rp_kv_get(const rp_kv *k, const char *key);
bool rp_file_exists(const char *p);
/* Read a table that may be missing (path NULL ok): false, message cleared, when it cannot be read. */
bool rp_read_optional(const char *path, char delim, mc_table *t);
/* A field of representations.tsv row r ("" when the column is absent). */
const char *rp_rep_field(const rp_ctx *c, int64_t r, const char *col);
/* Row of representations.tsv with this display name, -1 if none. */
int64_t rp_rep_by_name(const rp_ctx *c, const char *name);
/* A note in place of a figure whose input is missing (counted). */
void rp_note_missing(rp_ctx *c, const char *what);
/* Render p to PNG in memory and write <figure><img src="data:..."><figcaption> (counted); with a file
 * stem, also write figures/<stem>.png and figures/<stem>.svg and link them under the figure. */
void rp_figure(rp_ctx *c, const mc_plot *p, const char *alt, const char *caption, const char *cls, const char *stem);
/* Only the files figures/<stem>.png and .svg; returns whether both were written. */
bool rp_figure_files(rp_ctx *c, const mc_plot *p, const char *stem);

/* The interactive maps (html_map.c). rp_labels_prepare encodes the label columns of index.tsv (after
 * the summary and index are read); rp_map_section writes the search box, the maps of the shown
 * representations with their data, the audio player and the script, returns the maps written. */
void rp_labels_prepare(rp_ctx *c);
void rp_labels_free(rp_labels *l);
const rp_labels *rp_main_labels(const rp_ctx *c); /* NULL when the main label is not encoded */
int rp_map_section(rp_ctx *c, const char *out_path);
const char *rp_map_css(void);
/* pal (n_clusters): the palette index of each cluster id, matched one-to-one to the classes of lab
 * (NULL: none) by the largest overlaps; the clusters left over take indices after the classes'. */
void rp_cluster_palette(const int32_t *cl, const rp_labels *lab, int64_t n, int n_clusters, int32_t *pal);
/* The first seed's assignments of (id, algo) into out (n); *n_clusters = max id + 1. */
bool rp_read_clusters(const rp_ctx *c, const char *id, const char *algo, int64_t n, int32_t *out, int *n_clusters);
/* The algorithm whose clusters colour a representation's maps (its first row in metrics.csv), or NULL;
 * and how an algorithm is named in titles. */
const char *rp_figure_algorithm(const rp_ctx *c, const char *name);
const char *rp_algorithm_title(const char *algo);

/* The figures (html_figures.c): maps of representation row r, the clusters x column heatmap of row r,
 * the reconstruction examples, the loss curves, one bar chart per metric of a level. */
void rp_scatter_figures(rp_ctx *c, int64_t r);
void rp_heatmap_figure(rp_ctx *c, int64_t r, const char *column);
void rp_recon_figures(rp_ctx *c);
void rp_loss_figure(rp_ctx *c);
void rp_bar_figures(rp_ctx *c, const char *level);
/* The generation check tables of the conditioned log-mel models (html_gencheck.c); nothing when the run
 * has none. */
void rp_gencheck_section(rp_ctx *c);

#endif
