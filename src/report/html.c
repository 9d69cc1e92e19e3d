/* The self-contained HTML report of a RESULTS folder (report.h): the dataset, a summary table with
 * the best method per metric marked and the leaked rows flagged, the full metrics table, and every
 * figure rendered in memory by the plot module and inlined as a base64 PNG. No network, no external
 * CSS or JS; the one inline script only records whether every image decoded (for headless checks). */
#include "report_internal.h"

#include <musiclust/metrics.h>
#include <musiclust/plot.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void mc__html_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* ---------------------------------------------------------------- inputs */

typedef struct kv {
    mc_table t; /* key, value */
    bool ok;
} kv;

static const char *kv_get(const kv *k, const char *key) {
    if (!k->ok) return NULL;
    for (int64_t r = 0; r < k->t.nrows; r++)
        if (strcmp(mc_table_get(&k->t, r, 0), key) == 0) return mc_table_get(&k->t, r, 1);
    return NULL;
}

typedef struct ctx {
    const char *dir;
    FILE *f;
    int images, missing;
    mc_report_table metrics;
    bool *best;        /* (rows, metrics) */
    kv summary;
    mc_table reps;     /* representations.tsv */
    bool have_reps;
    mc_table index;    /* features/index.tsv */
    bool have_index;
    const char *main_label;
    const char *columns[16]; /* evaluated label columns */
    int n_columns;
    char *columns_buf;
} ctx;

static bool file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool read_optional(const char *path, char delim, mc_table *t) {
    memset(t, 0, sizeof *t);
    if (!path || !file_exists(path)) return false;
    if (mc_table_read(path, delim, t) != MC_STATUS_OK) {
        mc_error_clear();
        return false;
    }
    return true;
}

static const char *rep_field(const ctx *c, int64_t r, const char *col) {
    int k = mc_table_column(&c->reps, col);
    return k >= 0 ? mc_table_get(&c->reps, r, k) : "";
}

/* Row of representations.tsv with this display name, -1 if none. */
static int64_t rep_by_name(const ctx *c, const char *name) {
    if (!c->have_reps) return -1;
    for (int64_t r = 0; r < c->reps.nrows; r++)
        if (strcmp(rep_field(c, r, "name"), name) == 0) return r;
    return -1;
}

/* ---------------------------------------------------------------- figures */

static void note_missing(ctx *c, const char *what) {
    c->missing++;
    fputs("<p class=\"missing\">Figure not available: ", c->f);
    mc__html_text(c->f, what);
    fputs("</p>\n", c->f);
}

/* Render p to PNG in memory and write <figure><img src="data:..."><figcaption>. */
static void figure(ctx *c, const mc_plot *p, const char *alt, const char *caption, const char *cls) {
    unsigned char *png = NULL;
    size_t len = 0;
    mc_status st = mc_plot_render_png_buffer(p, &png, &len, NULL);
    if (st != MC_STATUS_OK) {
        char what[512];
        snprintf(what, sizeof what, "%s (%s)", alt, mc_error_message());
        mc_error_clear();
        note_missing(c, what);
        return;
    }
    char *b64 = NULL;
    st = mc_report_base64_encode(png, len, &b64);
    mc_free(png);
    if (st != MC_STATUS_OK) {
        mc_error_clear();
        note_missing(c, alt);
        return;
    }
    fprintf(c->f, "<figure class=\"%s\"><img alt=\"", cls ? cls : "fig");
    mc__html_text(c->f, alt);
    fprintf(c->f, "\" src=\"data:image/png;base64,%s\">", b64);
    free(b64);
    if (caption) {
        fputs("<figcaption>", c->f);
        mc__html_text(c->f, caption);
        fputs("</figcaption>", c->f);
    }
    fputs("</figure>\n", c->f);
    c->images++;
}

/* The first seed used (summary "first_seed", default 0). */
static uint64_t first_seed(const ctx *c) {
    const char *s = kv_get(&c->summary, "first_seed");
    return s && *s ? strtoull(s, NULL, 10) : 0;
}

/* The algorithm whose clusters colour a representation's figures: that of its first row in
 * metrics.csv (the run lists k-means first), NULL when it has none. */
static const char *figure_algorithm(const ctx *c, const char *name) {
    for (int i = 0; i < c->metrics.n_rows; i++)
        if (strcmp(c->metrics.rows[i].representation, name) == 0) return c->metrics.rows[i].algorithm;
    return NULL;
}

/* How an algorithm is named in figure titles. */
static const char *algorithm_title(const char *algo) {
    return strcmp(algo, "kmeans") == 0 ? "k-means" : strcmp(algo, "dbscan") == 0 ? "DBSCAN" : algo;
}

static void scatter_figures(ctx *c, int64_t r) {
    const char *id = rep_field(c, r, "id"), *name = rep_field(c, r, "name");
    const char *algo = figure_algorithm(c, name);
    char *path = NULL;
    int32_t *cl = NULL, *lab = NULL;
    char **names = NULL;
    int n_names = 0;
    const char *methods[2] = {"tsne", "umap"}, *mtitle[2] = {"t-SNE", "UMAP"};
    fputs("<div class=\"grid\">\n", c->f);
    for (int m = 0; m < 2; m++) {
        free(path);
        path = mc_report_path_embed(c->dir, id, methods[m]);
        mc_array xy = {0};
        if (!path || !file_exists(path) || mc_npy_read_f32(path, &xy) != MC_STATUS_OK || xy.ndim != 2 || xy.shape[1] != 2) {
            mc_error_clear();
            mc_array_free(&xy);
            char what[600];
            snprintf(what, sizeof what, "%s of %s (embed/%s.%s.npy missing or not (n, 2))", mtitle[m], name, id, methods[m]);
            note_missing(c, what);
            continue;
        }
        const int64_t n = xy.shape[0];
        if (!cl && algo) {
            cl = malloc((size_t)n * sizeof *cl);
            free(path);
            path = mc_report_path_assign(c->dir, id, algo, first_seed(c));
            if (cl && (!path || !file_exists(path) || mc_report_assign_read(path, n, "the map", cl) != MC_STATUS_OK)) {
                mc_error_clear();
                free(cl);
                cl = NULL;
            }
        }
        if (!lab && c->have_index && c->main_label && c->index.nrows == n) {
            int col = mc_table_column(&c->index, c->main_label);
            const char **v = malloc((size_t)n * sizeof *v);
            lab = malloc((size_t)n * sizeof *lab);
            if (col >= 0 && v && lab) {
                for (int64_t i = 0; i < n; i++) v[i] = mc_table_get(&c->index, i, col);
                if (mc_metrics_encode_labels(v, n, lab, &names, &n_names) != MC_STATUS_OK) {
                    mc_error_clear();
                    free(lab);
                    lab = NULL;
                }
            } else {
                free(lab);
                lab = NULL;
            }
            free(v);
        }
        char title[512], sub[512], alt[600], cap[1024];
        mc_plot p;
        mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
        p.width = 560;
        p.height = 420;
        p.xlabel = m ? "UMAP 1" : "t-SNE 1";
        p.ylabel = m ? "UMAP 2" : "t-SNE 2";
        p.scatter.xy = xy.data;
        p.scatter.n = n;
        if (cl) {
            snprintf(title, sizeof title, "%s of %s: %s clusters", mtitle[m], name, algorithm_title(algo));
            snprintf(sub, sizeof sub, "%lld segments, first seed", (long long)n);
            p.title = title;
            p.subtitle = sub;
            p.legend_title = "cluster";
            p.scatter.category = cl;
            snprintf(alt, sizeof alt, "%s of %s coloured by cluster", mtitle[m], name);
            snprintf(cap, sizeof cap, "%s of the %s latent space, coloured by %s cluster. Look for compact, "
                     "separated colour groups: clusters that overlap here are not well separated in the space.",
                     mtitle[m], name, algorithm_title(algo));
            figure(c, &p, alt, cap, "half");
        }
        if (lab) {
            snprintf(title, sizeof title, "%s of %s: %s", mtitle[m], name, c->main_label);
            snprintf(sub, sizeof sub, "%lld segments, coloured by label", (long long)n);
            p.title = title;
            p.subtitle = sub;
            p.legend_title = c->main_label;
            p.scatter.category = lab;
            p.scatter.category_names = (const char *const *)names;
            p.scatter.n_category_names = n_names;
            p.scatter.noise_name = "unlabelled";
            snprintf(alt, sizeof alt, "%s of %s coloured by %s", mtitle[m], name, c->main_label);
            snprintf(cap, sizeof cap, "The same points coloured by their %s label. Compare with the cluster "
                     "colours: where a label forms its own island, the space separates it.%s",
                     c->main_label, rep_field(c, r, "leaked")[0] ? " This representation was given the label "
                     "(leaked): separation by it is expected, not found." : "");
            figure(c, &p, alt, cap, "half");
        }
        mc_array_free(&xy);
    }
    fputs("</div>\n", c->f);
    free(path);
    free(cl);
    free(lab);
    mc_metrics_names_free(names, n_names);
}

static void heatmap_figure(ctx *c, int64_t r, const char *column) {
    const char *id = rep_field(c, r, "id"), *name = rep_field(c, r, "name");
    const char *algo = figure_algorithm(c, name);
    char *path = algo ? mc_report_path_contingency(c->dir, id, algo, column) : NULL;
    mc_table t;
    if (!read_optional(path, '\t', &t) || t.ncols < 2 || t.nrows < 1) {
        if (t.header) mc_table_free(&t);
        char what[600], *rel = algo ? mc_report_path_contingency(NULL, id, algo, column) : NULL;
        snprintf(what, sizeof what, "clusters x %s of %s (%s)", column, name, rel ? rel : "no clusters in metrics.csv");
        note_missing(c, what);
        free(rel);
        free(path);
        return;
    }
    free(path);
    const int rows = (int)t.nrows, cols = t.ncols - 1;
    int64_t *counts = malloc((size_t)rows * (size_t)cols * sizeof *counts);
    char **rn = calloc((size_t)rows, sizeof *rn);
    if (counts && rn) {
        for (int i = 0; i < rows; i++) {
            const char *id_s = mc_table_get(&t, i, 0);
            rn[i] = malloc(32);
            if (rn[i]) snprintf(rn[i], 32, strcmp(id_s, "-1") == 0 ? "noise" : "cluster %s", id_s);
            for (int j = 0; j < cols; j++) counts[(size_t)i * (size_t)cols + (size_t)j] = strtoll(mc_table_get(&t, i, j + 1), NULL, 10);
        }
        char title[512], alt[600], cap[1024];
        snprintf(title, sizeof title, "%s: %s clusters x %s", name, algorithm_title(algo), column);
        mc_plot p;
        mc_plot_init(&p, MC_PLOT_KIND_HEATMAP);
        p.width = 560;
        p.height = 420;
        p.title = title;
        p.subtitle = "segments, first seed";
        p.xlabel = column;
        p.ylabel = "cluster";
        p.heatmap.counts = counts;
        p.heatmap.rows = rows;
        p.heatmap.cols = cols;
        p.heatmap.row_names = (const char *const *)rn;
        p.heatmap.col_names = (const char *const *)(t.header + 1);
        p.heatmap.row_normalize = true;
        snprintf(alt, sizeof alt, "contingency of %s clusters and %s", name, column);
        mc_report_row tmp; /* only its leaked list, to reuse the column matching */
        memset(&tmp, 0, sizeof tmp);
        tmp.leaked = (char *)rep_field(c, r, "leaked");
        const bool leak = mc_report_row_leaks(&tmp, column);
        snprintf(cap, sizeof cap, "How the segments of each %s cluster of %s spread over the %s classes "
                 "(colour = share of the row). A cluster that is one dark cell is pure; a row spread evenly over the "
                 "classes means the clusters ignore %s.%s", algorithm_title(algo), name, column, column,
                 leak ? " LEAKED: this representation was given these labels." : "");
        figure(c, &p, alt, cap, "half");
        for (int i = 0; i < rows; i++) free(rn[i]);
    }
    free(counts);
    free(rn);
    mc_table_free(&t);
}

/* The example's title suffix: " track T (label)". */
static void example_title(char *buf, size_t cap, const char *what, const mc_table *ex, bool have_ex, int64_t i) {
    const int lc = have_ex ? mc_table_column(ex, "label") : -1, tc = have_ex ? mc_table_column(ex, "track") : -1;
    const char *label = lc >= 0 && i < ex->nrows ? mc_table_get(ex, i, lc) : "";
    const char *track = tc >= 0 && i < ex->nrows ? mc_table_get(ex, i, tc) : "";
    snprintf(buf, cap, "%s, track %s%s%s%s", what, track, label[0] ? " (" : "", label, label[0] ? ")" : "");
}

/* Original and reconstructed log-mel examples (m, rows, cols), one spectrogram pair each. */
static void logmel_recon(ctx *c, const char *name, const mc_array *a, const mc_array *b, const mc_table *ex, bool have_ex) {
    const int64_t m = a->shape[0], rows = a->shape[1], cols = a->shape[2];
    char rec_title[160], cap[512];
    snprintf(rec_title, sizeof rec_title, "reconstructed (%s)", name);
    snprintf(cap, sizeof cap, "Original (left) and %s reconstruction (right) of the same segment, "
             "one colour scale. A good reconstruction keeps the band structure and the onsets; a blurred "
             "one that keeps only the average spectrum means the latent holds little beyond loudness and "
             "tilt (expect blur when training was limited by the sample budget).", name);
    fputs("<div class=\"grid\">\n", c->f);
    for (int64_t i = 0; i < m; i++) {
        mc_plot_panel panels[2] = {
            {(const float *)a->data + (size_t)(i * rows * cols), (int)rows, (int)cols, "original"},
            {(const float *)b->data + (size_t)(i * rows * cols), (int)rows, (int)cols, rec_title}};
        char title[512], alt[256];
        example_title(title, sizeof title, "log-mel", ex, have_ex, i);
        snprintf(alt, sizeof alt, "original and reconstructed log-mel, example %lld", (long long)i + 1);
        mc_plot p;
        mc_plot_init(&p, MC_PLOT_KIND_SPECTROGRAM);
        p.width = 560;
        p.height = 300;
        p.title = title;
        p.spectrogram.panels = panels;
        p.spectrogram.n_panels = 2;
        figure(c, &p, alt, i == m - 1 ? cap : NULL, "half");
    }
    fputs("</div>\n", c->f);
}

/* Original and reconstructed MFCC statistics (m, F): the means (first half) as two curves each. */
static void vector_recon(ctx *c, const char *name, const mc_array *a, const mc_array *b, const mc_table *ex, bool have_ex) {
    const int64_t m = a->shape[0], F = a->shape[1];
    double *y = malloc((size_t)(2 * F) * sizeof *y);
    char rec_name[160], cap[512];
    snprintf(rec_name, sizeof rec_name, "reconstructed (%s)", name);
    snprintf(cap, sizeof cap, "The MFCC means of a segment (solid) and the %s's reconstruction from its latent mean "
             "(dashed). Close curves: the low-dimensional latent keeps the spectral envelope.", name);
    fputs("<div class=\"grid\">\n", c->f);
    for (int64_t i = 0; y && i < m; i++) {
        /* MFCC means on a linear axis: the variances (second half) span decades, so only the means are
         * drawn; the file keeps both. */
        const int64_t half = F / 2 > 0 ? F / 2 : F;
        for (int64_t k = 0; k < half; k++) {
            y[k] = ((const float *)a->data)[i * F + k];
            y[F + k] = ((const float *)b->data)[i * F + k];
        }
        mc_plot_series s[2] = {{NULL, y, half, "original", 1, false}, {NULL, y + F, half, rec_name, 2, true}};
        char title[512], alt[256];
        example_title(title, sizeof title, "MFCC means", ex, have_ex, i);
        snprintf(alt, sizeof alt, "original and %s-reconstructed MFCC means, example %lld", name, (long long)i + 1);
        mc_plot p;
        mc_plot_init(&p, MC_PLOT_KIND_LINE);
        p.width = 560;
        p.height = 300;
        p.title = title;
        p.xlabel = "MFCC coefficient (1-based)";
        p.ylabel = "mean over the segment";
        p.line.series = s;
        p.line.n_series = 2;
        figure(c, &p, alt, i == m - 1 ? cap : NULL, "half");
    }
    fputs("</div>\n", c->f);
    free(y);
}

/* The reconstruction examples of every representation that has them (recon/<id>.original.npy and
 * recon/<id>.recon.npy): the log-mel ones (3-D) first, then the MFCC statistics ones (2-D). */
static void recon_figures(ctx *c) {
    mc_table ex;
    char *pe = mc_report_path_recon(c->dir, NULL, NULL);
    const bool have_ex = read_optional(pe, '\t', &ex);
    free(pe);
    for (int ndim = 3; ndim >= 2; ndim--) {
        int drawn = 0;
        for (int64_t r = 0; c->have_reps && r < c->reps.nrows; r++) {
            const char *id = rep_field(c, r, "id");
            char *po = mc_report_path_recon(c->dir, id, "original"), *pr = mc_report_path_recon(c->dir, id, "recon");
            mc_array a = {0}, b = {0};
            bool ok = po && pr && file_exists(po) && file_exists(pr) && mc_npy_read_f32(po, &a) == MC_STATUS_OK &&
                      mc_npy_read_f32(pr, &b) == MC_STATUS_OK && a.ndim == ndim && b.ndim == ndim;
            for (int k = 0; ok && k < ndim; k++) ok = a.shape[k] == b.shape[k];
            if (ok && ndim == 3) logmel_recon(c, rep_field(c, r, "name"), &a, &b, &ex, have_ex);
            if (ok && ndim == 2) vector_recon(c, rep_field(c, r, "name"), &a, &b, &ex, have_ex);
            drawn += ok;
            mc_error_clear();
            mc_array_free(&a);
            mc_array_free(&b);
            free(po);
            free(pr);
        }
        if (!drawn)
            note_missing(c, ndim == 3 ? "log-mel reconstructions (recon/<id>.original.npy, recon/<id>.recon.npy)"
                                      : "MFCC statistics reconstructions (recon/<id>.original.npy, recon/<id>.recon.npy)");
    }
    if (have_ex) mc_table_free(&ex);
}

static void loss_figure(ctx *c) {
    if (!c->have_reps) return;
    mc_plot_series s[16];
    double *buf[16];
    char *names[16];
    int ns = 0;
    for (int64_t r = 0; r < c->reps.nrows && ns < 16; r++) {
        const char *id = rep_field(c, r, "id");
        if (!rep_field(c, r, "model")[0]) continue;
        char *path = mc_report_path_loss(c->dir, id, first_seed(c));
        mc_table t;
        const bool have = read_optional(path, '\t', &t);
        free(path);
        if (!have) continue;
        int tc = mc_table_column(&t, "total");
        if (tc < 0 || t.nrows < 1) {
            mc_table_free(&t);
            continue;
        }
        buf[ns] = malloc((size_t)t.nrows * sizeof(double));
        names[ns] = mc_strdup(rep_field(c, r, "name"));
        if (!buf[ns] || !names[ns]) {
            free(buf[ns]);
            free(names[ns]);
            mc_table_free(&t);
            continue;
        }
        for (int64_t i = 0; i < t.nrows; i++) buf[ns][i] = strtod(mc_table_get(&t, i, tc), NULL);
        s[ns] = (mc_plot_series){NULL, buf[ns], t.nrows, names[ns], 0, false};
        ns++;
        mc_table_free(&t);
    }
    if (ns == 0) {
        note_missing(c, "loss curves (models/<id>.seed<S>.loss.tsv)");
        return;
    }
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_LINE);
    p.width = 800;
    p.height = 420;
    p.title = "training loss per epoch (first seed)";
    p.subtitle = "(reconstruction error + beta * KL) per training row";
    p.xlabel = "epoch";
    p.ylabel = "loss (log scale)";
    p.line.series = s;
    p.line.n_series = ns;
    p.line.log_y = true;
    figure(c, &p, "training loss curves",
           "Loss of every trained model over its epochs. It should fall and flatten; a curve still falling at "
           "the last epoch means more training would change the latent (the conv-vae's epochs come from a sample "
           "budget, see the notes above). Models differ in input size and beta, so compare shapes, not levels.",
           "wide");
    for (int i = 0; i < ns; i++) {
        free(buf[i]);
        free(names[i]);
    }
}

/* One grouped bar chart per metric (segment level): groups = rows, one series. */
static void bar_figures(ctx *c, const char *level) {
    const mc_report_table *t = &c->metrics;
    int *rows = malloc((size_t)(t->n_rows ? t->n_rows : 1) * sizeof *rows);
    char **gn = calloc((size_t)(t->n_rows ? t->n_rows : 1), sizeof *gn);
    double *v = malloc((size_t)(t->n_rows ? t->n_rows : 1) * sizeof *v);
    double *e = malloc((size_t)(t->n_rows ? t->n_rows : 1) * sizeof *e);
    if (!rows || !gn || !v || !e) goto out;
    int nr = 0;
    for (int i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i].level, level) == 0) rows[nr++] = i;
    for (int g = 0; g < nr; g++) {
        const mc_report_row *r = &t->rows[rows[g]];
        size_t len = strlen(r->representation) + strlen(r->algorithm) + 16;
        gn[g] = malloc(len);
        const char *a = strcmp(r->algorithm, "kmeans") == 0 ? "k-means" : strcmp(r->algorithm, "agglomerative") == 0 ? "agglo" : r->algorithm;
        if (gn[g]) snprintf(gn[g], len, "%s / %s%s", r->representation, a, r->leaked[0] ? " (!)" : "");
    }
    for (int m = 0; m < t->n_metrics; m++) {
        int dir = mc_report_metric_direction(t->metrics[m]);
        if (!dir) continue;
        int finite = 0, best_g = -1;
        for (int g = 0; g < nr; g++) {
            const mc_report_row *r = &t->rows[rows[g]];
            bool leak = mc_report_metric_leaked(r, t->metrics[m]);
            v[g] = leak ? NAN : r->mean[m]; /* a leaked label metric is not drawn: it measures the input */
            e[g] = leak ? NAN : r->std[m];
            if (isfinite(v[g])) {
                finite++;
                if (best_g < 0 || (dir > 0 ? v[g] > v[best_g] : v[g] < v[best_g])) best_g = g;
            }
        }
        if (finite == 0) continue;
        char tb[128], title[256], alt[300], cap[1024];
        const char *mt = mc_report_metric_title(t->metrics[m], tb, sizeof tb);
        snprintf(title, sizeof title, "%s per method (%s level)", mt, level);
        mc_plot p;
        mc_plot_init(&p, MC_PLOT_KIND_BAR);
        p.width = 960;
        p.height = 460;
        p.title = title;
        p.subtitle = dir > 0 ? "higher is better" : "lower is better";
        p.note = "error bars: +- 1 std over the seeds; (!) = representation with a leaked label column";
        bool lower = dir < 0;
        p.bar.values = v;
        p.bar.errors = e;
        p.bar.n_groups = nr;
        p.bar.n_series = 1;
        p.bar.group_names = (const char *const *)gn;
        p.bar.lower_is_better = &lower;
        p.bar.value_format = "%.3f";
        /* the star agrees with the tables: never on a row with a leaked column */
        p.bar.no_best_marker = best_g >= 0 && t->rows[rows[best_g]].leaked[0];
        snprintf(alt, sizeof alt, "bar chart of %s", mt);
        snprintf(cap, sizeof cap, "%s of every representation / algorithm pair, mean over the seeds. %s%s", mt,
                 mc_report_metric_column(t->metrics[m])
                     ? "Against labels: 0 is chance level, 1 a perfect match. Leaked values are left out (n/a)."
                     : strstr(t->metrics[m], "_common") ? "Computed in the one common space (z-scored MFCC statistics), "
                                                          "so the methods are compared on the same ground."
                                                        : "Computed in each method's own space: not comparable "
                                                          "across spaces of different size and scale; see the common-space chart.",
                 p.bar.no_best_marker ? " No star: the best bar belongs to a representation with a leaked column." : "");
        figure(c, &p, alt, cap, "wide");
    }
out:
    if (gn)
        for (int g = 0; g < t->n_rows; g++) free(gn[g]);
    free(gn);
    free(rows);
    free(v);
    free(e);
}

/* ---------------------------------------------------------------- tables */

static void metric_cell(ctx *c, int row, int m, bool with_std) {
    const mc_report_row *r = &c->metrics.rows[row];
    char a[64], b[64];
    mc_report_format_value(r->mean[m], a, sizeof a);
    mc_report_format_value(r->std[m], b, sizeof b);
    bool leak = mc_report_metric_leaked(r, c->metrics.metrics[m]);
    bool best = c->best[(size_t)row * (size_t)c->metrics.n_metrics + (size_t)m];
    fprintf(c->f, "<td class=\"num%s%s\" data-row=\"%d\" data-metric=\"", leak ? " leakcell" : "", best ? " best" : "", row);
    mc__html_text(c->f, c->metrics.metrics[m]);
    fprintf(c->f, "\"%s><span class=\"mean\">%s</span>", best ? " data-best=\"1\"" : "", a);
    if (with_std) fprintf(c->f, " &plusmn; <span class=\"std\">%s</span>", b);
    if (best) fputs(" <span class=\"star\" title=\"best of the rows without a leaked column\">&#9733;</span>", c->f);
    if (leak) fputs(" <span class=\"warn\" title=\"leaked: this label column was an input or a condition\">&#9888;</span>", c->f);
    fputs("</td>", c->f);
}

static void metrics_table(ctx *c, const char *level, const int *sel, int nsel, bool with_std, const char *id) {
    const mc_report_table *t = &c->metrics;
    fprintf(c->f, "<table class=\"metrics\" id=\"%s\"><thead><tr><th>representation</th><th>algorithm</th><th>task</th><th>k</th>", id);
    for (int s = 0; s < nsel; s++) {
        char tb[128];
        const char *title = mc_report_metric_title(t->metrics[sel[s]], tb, sizeof tb);
        int dir = mc_report_metric_direction(t->metrics[sel[s]]);
        fputs("<th>", c->f);
        mc__html_text(c->f, title);
        fputs(dir > 0 ? " &uarr;" : dir < 0 ? " &darr;" : "", c->f);
        fputs("</th>", c->f);
    }
    fputs("</tr></thead><tbody>\n", c->f);
    for (int i = 0; i < t->n_rows; i++) {
        const mc_report_row *r = &t->rows[i];
        if (strcmp(r->level, level) != 0) continue;
        fprintf(c->f, "<tr%s data-row=\"%d\"><td>", r->leaked[0] ? " class=\"leaked\"" : "", i);
        mc__html_text(c->f, r->representation);
        if (r->leaked[0]) {
            fputs(" <span class=\"warn\">&#9888; leaked: ", c->f);
            mc__html_text(c->f, r->leaked);
            fputs("</span>", c->f);
        }
        fputs("</td><td>", c->f);
        mc__html_text(c->f, r->algorithm);
        fputs("</td><td>", c->f);
        mc__html_text(c->f, r->task);
        fprintf(c->f, "</td><td>%d</td>", r->k);
        for (int s = 0; s < nsel; s++) metric_cell(c, i, sel[s], with_std);
        fputs("</tr>\n", c->f);
    }
    fputs("</tbody></table>\n", c->f);
}

static void leak_warnings(ctx *c) {
    const mc_report_table *t = &c->metrics;
    bool any = false;
    for (int i = 0; i < t->n_rows; i++) {
        const mc_report_row *r = &t->rows[i];
        if (!r->leaked[0] || strcmp(r->level, "segment") != 0) continue;
        if (!any) fputs("<div class=\"leakbox\"><p><b>&#9888; Leaked labels.</b> These representations were given a "
                        "label column as an input or a condition, so their scores against that column measure what "
                        "they were told, not what they found. They are marked &#9888;, kept out of the bar charts' "
                        "label metrics and never marked best.</p><ul>\n", c->f);
        any = true;
        fputs("<li class=\"leakwarn\"><b>", c->f);
        mc__html_text(c->f, r->representation);
        fputs("</b> / ", c->f);
        mc__html_text(c->f, r->algorithm);
        fputs(": leaked column(s) <b>", c->f);
        mc__html_text(c->f, r->leaked);
        fputs("</b>", c->f);
        int64_t rr = rep_by_name(c, r->representation);
        if (rr >= 0 && rep_field(c, rr, "description")[0]) {
            fputs(" &mdash; ", c->f);
            mc__html_text(c->f, rep_field(c, rr, "description"));
        }
        fputs("</li>\n", c->f);
    }
    if (any) fputs("</ul></div>\n", c->f);
}

/* ---------------------------------------------------------------- dataset */

static void dataset_section(ctx *c) {
    mc_table tracks, skipped;
    char *path = mc_report_path(c->dir, MC_REPORT_FEATURES "/tracks.tsv");
    bool ht = read_optional(path, '\t', &tracks);
    free(path);
    path = mc_report_path(c->dir, MC_REPORT_FEATURES "/skipped.tsv");
    bool hs = read_optional(path, '\t', &skipped);
    free(path);
    fputs("<h2 id=\"dataset\">Dataset</h2>\n<ul>", c->f);
    if (ht) fprintf(c->f, "<li><b>%lld</b> tracks</li>", (long long)tracks.nrows);
    if (c->have_index) fprintf(c->f, "<li><b>%lld</b> segments (rows clustered at the segment level)</li>", (long long)c->index.nrows);
    fprintf(c->f, "<li><b>%lld</b> files skipped</li>", hs ? (long long)skipped.nrows : 0LL);
    const char *v;
    if ((v = kv_get(&c->summary, "inputs"))) {
        fputs("<li>input: ", c->f);
        mc__html_text(c->f, v);
        fputs("</li>", c->f);
    }
    if ((v = kv_get(&c->summary, "metadata")) && *v) {
        fputs("<li>metadata: ", c->f);
        mc__html_text(c->f, v);
        fputs("</li>", c->f);
    }
    fputs("</ul>\n", c->f);
    /* label columns and class counts (tracks) */
    if (ht && c->n_columns > 0) {
        fputs("<h3>Label columns</h3>\n<table class=\"classes\"><thead><tr><th>column</th><th>classes (tracks)</th></tr></thead><tbody>\n", c->f);
        for (int k = 0; k < c->n_columns; k++) {
            int col = mc_table_column(&tracks, c->columns[k]);
            if (col < 0) continue;
            const char **vals = malloc((size_t)(tracks.nrows ? tracks.nrows : 1) * sizeof *vals);
            int32_t *ids = malloc((size_t)(tracks.nrows ? tracks.nrows : 1) * sizeof *ids);
            char **names = NULL;
            int nn = 0;
            if (vals && ids) {
                for (int64_t r = 0; r < tracks.nrows; r++) vals[r] = mc_table_get(&tracks, r, col);
                if (mc_metrics_encode_labels(vals, tracks.nrows, ids, &names, &nn) == MC_STATUS_OK) {
                    int64_t *cnt = calloc((size_t)(nn + 1), sizeof *cnt);
                    if (cnt) {
                        for (int64_t r = 0; r < tracks.nrows; r++) cnt[ids[r] >= 0 ? ids[r] : nn]++;
                        fputs("<tr><td>", c->f);
                        mc__html_text(c->f, c->columns[k]);
                        if (c->main_label && strcmp(c->columns[k], c->main_label) == 0) fputs(" <i>(main)</i>", c->f);
                        fprintf(c->f, "</td><td>%d classes: ", nn);
                        for (int j = 0; j < nn; j++) {
                            fputs(j ? ", " : "", c->f);
                            mc__html_text(c->f, names[j]);
                            fprintf(c->f, " %lld", (long long)cnt[j]);
                        }
                        if (cnt[nn]) fprintf(c->f, "; unlabelled %lld", (long long)cnt[nn]);
                        fputs("</td></tr>\n", c->f);
                        free(cnt);
                    }
                } else {
                    mc_error_clear();
                }
            }
            mc_metrics_names_free(names, nn);
            free(vals);
            free(ids);
        }
        fputs("</tbody></table>\n", c->f);
    }
    if (hs && skipped.nrows > 0) {
        fputs("<h3>Skipped files</h3>\n<table class=\"skipped\"><thead><tr><th>path</th><th>reason</th></tr></thead><tbody>\n", c->f);
        int pc = mc_table_column(&skipped, "path"), rc = mc_table_column(&skipped, "reason");
        for (int64_t r = 0; r < skipped.nrows && r < 100; r++) {
            fputs("<tr><td>", c->f);
            mc__html_text(c->f, pc >= 0 ? mc_table_get(&skipped, r, pc) : "");
            fputs("</td><td>", c->f);
            mc__html_text(c->f, rc >= 0 ? mc_table_get(&skipped, r, rc) : "");
            fputs("</td></tr>\n", c->f);
        }
        if (skipped.nrows > 100) fprintf(c->f, "<tr><td colspan=\"2\">&hellip; and %lld more (features/skipped.tsv)</td></tr>\n",
                                         (long long)(skipped.nrows - 100));
        fputs("</tbody></table>\n", c->f);
    }
    if (ht) mc_table_free(&tracks);
    if (hs) mc_table_free(&skipped);
}

static void notes_section(ctx *c) {
    fputs("<h2 id=\"setup\">How this run was set up</h2>\n<ul>\n", c->f);
    static const struct { const char *key, *label; } facts[] = {
        {"tasks", "tasks"}, {"main_label", "main label column"}, {"evaluated_columns", "label columns evaluated"},
        {"k", "clusters k"}, {"k_source", "k chosen by"}, {"seeds", "seeds"}, {"threads", "threads"},
        {"common_space", "common space"}, {"conv_vae", "conv-vae training"}, {"wall_seconds", "wall time of this run (s)"},
        {"version", "musiclust"}, {"libraries", "libraries"}};
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        const char *v = kv_get(&c->summary, facts[i].key);
        if (!v || !*v) continue;
        fputs("<li>", c->f);
        mc__html_text(c->f, facts[i].label);
        fputs(": <b>", c->f);
        mc__html_text(c->f, v);
        fputs("</b></li>\n", c->f);
    }
    if (c->summary.ok)
        for (int64_t r = 0; r < c->summary.t.nrows; r++)
            if (strcmp(mc_table_get(&c->summary.t, r, 0), "note") == 0) {
                fputs("<li class=\"note\">", c->f);
                mc__html_text(c->f, mc_table_get(&c->summary.t, r, 1));
                fputs("</li>\n", c->f);
            }
    fputs("<li>Every number is the mean &plusmn; population std over the seeds (seed s trains the model and seeds "
          "the clustering). Track level: each track takes the majority cluster of its segments; its internal "
          "metrics use the mean of its segments' vectors. DBSCAN's noise is left out of the internal metrics and "
          "pooled into one cluster for the label metrics.</li>\n</ul>\n", c->f);
    if (c->have_reps) {
        fputs("<h3>Representations</h3>\n<table class=\"reps\"><thead><tr><th>name</th><th>task</th><th>what it is</th><th>leaked</th></tr></thead><tbody>\n", c->f);
        for (int64_t r = 0; r < c->reps.nrows; r++) {
            fputs("<tr><td>", c->f);
            mc__html_text(c->f, rep_field(c, r, "name"));
            fputs("</td><td>", c->f);
            mc__html_text(c->f, rep_field(c, r, "tasks"));
            fputs("</td><td>", c->f);
            mc__html_text(c->f, rep_field(c, r, "description"));
            if (rep_field(c, r, "note")[0]) {
                fputs(" <i>", c->f);
                mc__html_text(c->f, rep_field(c, r, "note"));
                fputs("</i>", c->f);
            }
            fputs("</td><td>", c->f);
            if (rep_field(c, r, "leaked")[0]) {
                fputs("<span class=\"warn\">&#9888; ", c->f);
                mc__html_text(c->f, rep_field(c, r, "leaked"));
                fputs("</span>", c->f);
            }
            fputs("</td></tr>\n", c->f);
        }
        fputs("</tbody></table>\n", c->f);
    }
}

static void timings_section(ctx *c) {
    mc_table t;
    char *path = mc_report_path(c->dir, MC_REPORT_TIMINGS);
    const bool have = read_optional(path, '\t', &t);
    free(path);
    if (!have) return;
    int sc = mc_table_column(&t, "stage"), st = mc_table_column(&t, "status"), se = mc_table_column(&t, "seconds"),
        sw = mc_table_column(&t, "seconds_when_computed");
    fputs("<h2 id=\"timings\">Stages and timings</h2>\n<table class=\"timings\"><thead><tr><th>stage</th><th>this run</th>"
          "<th>seconds</th><th>seconds when computed</th></tr></thead><tbody>\n", c->f);
    for (int64_t r = 0; r < t.nrows; r++) {
        fputs("<tr><td>", c->f);
        mc__html_text(c->f, sc >= 0 ? mc_table_get(&t, r, sc) : "");
        fputs("</td><td>", c->f);
        mc__html_text(c->f, st >= 0 ? mc_table_get(&t, r, st) : "");
        fputs("</td><td class=\"num\">", c->f);
        mc__html_text(c->f, se >= 0 ? mc_table_get(&t, r, se) : "");
        fputs("</td><td class=\"num\">", c->f);
        mc__html_text(c->f, sw >= 0 ? mc_table_get(&t, r, sw) : "");
        fputs("</td></tr>\n", c->f);
    }
    fputs("</tbody></table>\n", c->f);
    mc_table_free(&t);
}

/* ---------------------------------------------------------------- the page */

static const char *const css =
    "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;line-height:1.4}"
    "h1{margin-bottom:0}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:32px}"
    "table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    "td.best{background:#dff3df;font-weight:bold}.star{color:#1a7f1a}"
    "tr.leaked td{background:#fff4e0}td.leakcell{color:#a05a00;text-decoration:line-through}"
    ".warn{color:#b35900;font-weight:bold}.leakbox{border:2px solid #e69500;background:#fff8ec;padding:6px 14px;margin:10px 0}"
    ".missing{color:#888;font-style:italic}.grid{display:flex;flex-wrap:wrap;gap:8px}"
    "figure{margin:6px 0}figure.half{width:570px}figure.wide{width:100%}figure img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{font-size:12px;color:#444;margin-top:2px}.sub{color:#666}li.note{color:#6b4e00}";

static const char *const script =
    "window.addEventListener('load',function(){var im=document.images,ok=0;"
    "for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++;}"
    "document.body.setAttribute('data-images-loaded',ok+'/'+im.length);});";

static void summary_tables(ctx *c) {
    const mc_report_table *t = &c->metrics;
    int sel[32], ns = 0;
    static const char *const key[] = {"silhouette_common", "calinski_harabasz_common", "davies_bouldin_common", "silhouette"};
    for (size_t i = 0; i < sizeof key / sizeof *key; i++) {
        int m = mc_report_table_metric(t, key[i]);
        if (m >= 0) sel[ns++] = m;
    }
    for (int k = 0; k < c->n_columns && ns < 28; k++) {
        const char *pre[3] = {"ari_", "nmi_", "purity_"};
        bool main = c->main_label && strcmp(c->columns[k], c->main_label) == 0;
        for (int p = 0; p < (main ? 3 : 1); p++) {
            char name[300];
            snprintf(name, sizeof name, "%s%s", pre[p], c->columns[k]);
            int m = mc_report_table_metric(t, name);
            if (m >= 0) sel[ns++] = m;
        }
    }
    const char *levels[2] = {"segment", "track"};
    for (int l = 0; l < 2; l++) {
        bool any = false;
        for (int i = 0; i < t->n_rows; i++) any |= strcmp(t->rows[i].level, levels[l]) == 0;
        if (!any) continue;
        fprintf(c->f, "<h3>%s level</h3>\n", l ? "Track" : "Segment");
        char id[32];
        snprintf(id, sizeof id, "summary-%s", levels[l]);
        metrics_table(c, levels[l], sel, ns, false, id);
    }
}

mc_status mc_report_html(const char *results_dir, const char *out_path, mc_report_summary *summary) {
    if (!results_dir) return mc_error_set(MC_STATUS_INVALID_ARG, "report: NULL results folder");
    if (summary) memset(summary, 0, sizeof *summary);
    ctx c;
    memset(&c, 0, sizeof c);
    c.dir = results_dir;
    char outp[4096];
    if (out_path) snprintf(outp, sizeof outp, "%s", out_path);
    else snprintf(outp, sizeof outp, "%s/" MC_REPORT_HTML, results_dir);
    char *path = mc_report_path(results_dir, MC_REPORT_METRICS_CSV);
    mc_status st = path ? mc_report_table_read_csv(path, &c.metrics) : MC_STATUS_NO_MEMORY;
    free(path);
    if (st != MC_STATUS_OK) return st;
    c.best = malloc((size_t)(c.metrics.n_rows ? c.metrics.n_rows : 1) * (size_t)(c.metrics.n_metrics ? c.metrics.n_metrics : 1) * sizeof *c.best);
    if (!c.best) {
        mc_report_table_free(&c.metrics);
        return mc_error_set(MC_STATUS_NO_MEMORY, "report: out of memory");
    }
    mc_report_best(&c.metrics, c.best);
    path = mc_report_path(results_dir, MC_REPORT_SUMMARY);
    c.summary.ok = read_optional(path, '\t', &c.summary.t);
    free(path);
    path = mc_report_path(results_dir, MC_REPORT_REPRESENTATIONS);
    c.have_reps = read_optional(path, '\t', &c.reps);
    free(path);
    path = mc_report_path(results_dir, MC_REPORT_FEATURES "/index.tsv");
    c.have_index = read_optional(path, '\t', &c.index);
    free(path);
    c.main_label = kv_get(&c.summary, "main_label");
    if (c.main_label && !*c.main_label) c.main_label = NULL;
    /* evaluated columns: from summary.tsv, else every column named by a label metric */
    const char *ev = kv_get(&c.summary, "evaluated_columns");
    if (ev && *ev) {
        c.columns_buf = mc_strdup(ev);
        for (char *p = c.columns_buf; p && *p && c.n_columns < 16;) {
            char *e = strchr(p, ';');
            if (e) *e = '\0';
            if (*p) c.columns[c.n_columns++] = p;
            p = e ? e + 1 : NULL;
        }
    } else {
        for (int m = 0; m < c.metrics.n_metrics && c.n_columns < 16; m++)
            if (strncmp(c.metrics.metrics[m], "ari_", 4) == 0) c.columns[c.n_columns++] = c.metrics.metrics[m] + 4;
    }

    char *buf = NULL;
    size_t len = 0;
    c.f = open_memstream(&buf, &len);
    if (!c.f) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", outp);
        goto done;
    }
    fprintf(c.f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>musiclust report</title>\n"
                 "<style>%s</style>\n<script>%s</script>\n</head><body>\n", css, script);
    fputs("<h1>musiclust report</h1>\n<p class=\"sub\">", c.f);
    mc__html_text(c.f, results_dir);
    const char *ver = kv_get(&c.summary, "version");
    fprintf(c.f, " &middot; musiclust %s</p>\n", ver && *ver ? ver : mc_version());
    fputs("<p>Contents: <a href=\"#dataset\">dataset</a> &middot; <a href=\"#setup\">set-up</a> &middot; "
          "<a href=\"#summary\">summary</a> &middot; <a href=\"#all\">all metrics</a> &middot; "
          "<a href=\"#figures\">figures</a> &middot; <a href=\"#timings\">timings</a></p>\n", c.f);
    dataset_section(&c);
    notes_section(&c);

    fputs("<h2 id=\"summary\">Summary</h2>\n<p>The key metrics of every representation / algorithm pair. "
          "&#9733; marks the best value of each column among the rows without a leaked label column (higher is "
          "better except for Davies-Bouldin, &darr;). Compare methods with the <b>common-space</b> internal metrics "
          "(the same z-scored MFCC statistics for every method) and the label metrics; each method's own-space "
          "silhouette is shown for reference only.</p>\n", c.f);
    leak_warnings(&c);
    summary_tables(&c);

    fputs("<h2 id=\"all\">All metrics (mean &plusmn; std over the seeds)</h2>\n", c.f);
    {
        int *sel = malloc((size_t)(c.metrics.n_metrics ? c.metrics.n_metrics : 1) * sizeof *sel);
        if (sel) {
            const char *levels[2] = {"segment", "track"};
            for (int l = 0; l < 2; l++) {
                for (int part = 0; part < 2; part++) { /* internal metrics, then the label metrics */
                    int ns = 0;
                    for (int m = 0; m < c.metrics.n_metrics; m++)
                        if ((mc_report_metric_column(c.metrics.metrics[m]) != NULL) == (part == 1)) sel[ns++] = m;
                    if (!ns) continue;
                    fprintf(c.f, "<h3>%s level: %s</h3>\n", l ? "Track" : "Segment",
                            part ? "against the label columns" : "internal metrics (own space, common space) and what was found");
                    char id[48];
                    snprintf(id, sizeof id, "all-%s-%s", levels[l], part ? "labels" : "internal");
                    metrics_table(&c, levels[l], sel, ns, true, id);
                }
            }
            free(sel);
        }
        for (int i = 0; i < c.metrics.n_rows; i++)
            if (c.metrics.rows[i].note[0] && strcmp(c.metrics.rows[i].level, "segment") == 0) {
                fputs("<p class=\"sub\">", c.f);
                mc__html_text(c.f, c.metrics.rows[i].representation);
                fputs(" / ", c.f);
                mc__html_text(c.f, c.metrics.rows[i].algorithm);
                fputs(": ", c.f);
                mc__html_text(c.f, c.metrics.rows[i].note);
                fputs("</p>\n", c.f);
            }
    }

    fputs("<h2 id=\"figures\">Figures</h2>\n", c.f);
    if (c.have_reps) {
        fputs("<h3>Latent spaces (t-SNE and UMAP)</h3>\n", c.f);
        for (int64_t r = 0; r < c.reps.nrows; r++) {
            if (strcmp(rep_field(&c, r, "show"), "1") != 0) continue;
            fputs("<h4>", c.f);
            mc__html_text(c.f, rep_field(&c, r, "name"));
            fputs("</h4>\n", c.f);
            scatter_figures(&c, r);
        }
        fputs("<h3>Clusters against labels (contingency heatmaps)</h3>\n<div class=\"grid\">\n", c.f);
        for (int64_t r = 0; r < c.reps.nrows; r++) {
            if (strcmp(rep_field(&c, r, "show"), "1") != 0) continue;
            /* the main column and the language columns */
            for (int k = 0; k < c.n_columns; k++) {
                bool main = c.main_label && strcmp(c.columns[k], c.main_label) == 0;
                bool lang = strstr(c.columns[k], "language") != NULL;
                if (main || lang) heatmap_figure(&c, r, c.columns[k]);
            }
        }
        fputs("</div>\n", c.f);
    }
    fputs("<h3>Reconstructions</h3>\n", c.f);
    path = mc_report_path_recon(results_dir, NULL, NULL);
    const bool have_recon = path && file_exists(path);
    free(path);
    if (have_recon) recon_figures(&c);
    else fputs("<p class=\"sub\">No reconstruction examples in this run (the hard task makes them).</p>\n", c.f);
    fputs("<h3>Training</h3>\n", c.f);
    loss_figure(&c);
    fputs("<h3>Each metric across methods</h3>\n", c.f);
    bar_figures(&c, "segment");
    timings_section(&c);
    fputs("<p class=\"sub\">Written by musiclust from the files of this folder (metrics.csv, summary.tsv, "
          "representations.tsv, timings.tsv, embed/, assign/, contingency/, recon/, models/); "
          "<code>musiclust report</code> regenerates it.</p>\n</body></html>\n", c.f);
    if (fclose(c.f) != 0 || !buf) {
        free(buf);
        buf = NULL;
        st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", outp);
        goto done;
    }
    st = mc_file_write_atomic(outp, buf, len);
    if (st == MC_STATUS_OK && summary) {
        summary->images = c.images;
        summary->figures_missing = c.missing;
        summary->bytes = (int64_t)len;
    }
done:
    free(buf);
    free(c.best);
    free(c.columns_buf);
    mc_report_table_free(&c.metrics);
    if (c.summary.ok) mc_table_free(&c.summary.t);
    if (c.have_reps) mc_table_free(&c.reps);
    if (c.have_index) mc_table_free(&c.index);
    return st;
}
