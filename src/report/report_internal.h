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
/* Render p to PNG in memory and write <figure><img src="data:..."><figcaption> (counted). */
void rp_figure(rp_ctx *c, const mc_plot *p, const char *alt, const char *caption, const char *cls);

/* The figures (html_figures.c): maps of representation row r, the clusters x column heatmap of row r,
 * the reconstruction examples, the loss curves, one bar chart per metric of a level. */
void rp_scatter_figures(rp_ctx *c, int64_t r);
void rp_heatmap_figure(rp_ctx *c, int64_t r, const char *column);
void rp_recon_figures(rp_ctx *c);
void rp_loss_figure(rp_ctx *c);
void rp_bar_figures(rp_ctx *c, const char *level);

#endif
