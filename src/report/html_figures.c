/* The figures of the HTML report (html.c): t-SNE / UMAP maps coloured by cluster and by label, the
 * clusters x label heatmaps, the reconstruction examples of every representation that has them, the
 * loss curves and one bar chart per metric. Every figure whose input is missing becomes a note. */
#include "report_internal.h"

#include <musiclust/metrics.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A plot of this kind and size with its title (NULL: set later); the caller sets the rest. */
static mc_plot new_plot(mc_plot_kind kind, int width, int height, const char *title) {
    mc_plot p;
    mc_plot_init(&p, kind);
    p.width = width;
    p.height = height;
    p.title = title;
    return p;
}

/* The first seed used (summary "first_seed", default 0). */
static uint64_t first_seed(const rp_ctx *c) {
    const char *s = rp_kv_get(&c->summary, "first_seed");
    return s && *s ? strtoull(s, NULL, 10) : 0;
}

/* The algorithm whose clusters colour a representation's figures: that of its first row in
 * metrics.csv (the run lists k-means first), NULL when it has none. */
const char *rp_figure_algorithm(const rp_ctx *c, const char *name) {
    for (int i = 0; i < c->metrics.n_rows; i++)
        if (strcmp(c->metrics.rows[i].representation, name) == 0) return c->metrics.rows[i].algorithm;
    return NULL;
}

const char *rp_algorithm_title(const char *algo) {
    return strcmp(algo, "kmeans") == 0 ? "k-means" : strcmp(algo, "dbscan") == 0 ? "DBSCAN" : strcmp(algo, "gmm") == 0 ? "GMM" : algo;
}
#define figure_algorithm rp_figure_algorithm
#define algorithm_title rp_algorithm_title

/* A link to figures/<stem>.png and .svg. */
static void figure_links(rp_ctx *c, const char *what, const char *stem) {
    fputs("<a href=\"figures/", c->f);
    mc__html_text(c->f, stem);
    fputs(".png\">", c->f);
    mc__html_text(c->f, what);
    fputs(" PNG</a> / <a href=\"figures/", c->f);
    mc__html_text(c->f, stem);
    fputs(".svg\">SVG</a>", c->f);
}

/* The static maps of representation r, coloured by cluster and by the main label, as files under
 * figures/ (the page shows the interactive map instead) with links to them. The colours are those
 * of the interactive map: the main label's class j is palette colour j, a cluster the colour of the
 * class it is matched to (rp_cluster_palette). */
void rp_scatter_figures(rp_ctx *c, int64_t r) {
    const char *id = rp_rep_field(c, r, "id"), *name = rp_rep_field(c, r, "name");
    const char *algo = figure_algorithm(c, name);
    const rp_labels *lab = rp_main_labels(c);
    const char *methods[2] = {"tsne", "umap"}, *mtitle[2] = {"t-SNE", "UMAP"};
    int32_t *cl = NULL, *pal = NULL;
    int K = 0, links = 0;
    fputs("<p class=\"sub\">Static figures: ", c->f);
    for (int m = 0; m < 2; m++) {
        char *path = mc_report_path_embed(c->dir, id, methods[m]);
        mc_array xy = {0};
        if (!path || !rp_file_exists(path) || mc_npy_read_f32(path, &xy) != MC_STATUS_OK || xy.ndim != 2 || xy.shape[1] != 2) {
            mc_error_clear();
            mc_array_free(&xy);
            free(path);
            continue;
        }
        free(path);
        const int64_t n = xy.shape[0];
        if (!cl && algo) {
            cl = mc_calloc((size_t)n, sizeof *cl);
            if (cl && rp_read_clusters(c, id, algo, n, cl, &K) && K > 0) {
                pal = mc_calloc((size_t)K, sizeof *pal);
                if (pal) rp_cluster_palette(cl, lab && c->index.nrows == n ? lab : NULL, n, K, pal);
            }
            if (!pal) {
                free(cl);
                cl = NULL;
            }
        }
        char title[512], sub[512], stem[600], what[64];
        mc_plot p = new_plot(MC_PLOT_KIND_SCATTER, 800, 600, NULL);
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
            p.scatter.category_color = pal;
            p.scatter.n_category_colors = K;
            snprintf(stem, sizeof stem, "map.%s.%s.clusters", id, methods[m]);
            if (rp_figure_files(c, &p, stem)) {
                snprintf(what, sizeof what, "%s by cluster", mtitle[m]);
                fputs(links++ ? " &middot; " : "", c->f);
                figure_links(c, what, stem);
            }
        }
        if (lab && c->index.nrows == n) {
            snprintf(title, sizeof title, "%s of %s: %s", mtitle[m], name, lab->name);
            snprintf(sub, sizeof sub, "%lld segments, coloured by label", (long long)n);
            p.title = title;
            p.subtitle = sub;
            p.legend_title = lab->name;
            p.scatter.category = lab->ids;
            p.scatter.category_color = NULL;
            p.scatter.n_category_colors = 0;
            p.scatter.category_names = (const char *const *)lab->names;
            p.scatter.n_category_names = lab->n_names;
            p.scatter.noise_name = "unlabelled";
            snprintf(stem, sizeof stem, "map.%s.%s.%s", id, methods[m], lab->name);
            if (rp_figure_files(c, &p, stem)) {
                snprintf(what, sizeof what, "%s by %.40s", mtitle[m], lab->name);
                fputs(links++ ? " &middot; " : "", c->f);
                figure_links(c, what, stem);
            }
        }
        mc_array_free(&xy);
    }
    if (!links) fputs("none (no map or clusters)", c->f);
    fputs("</p>\n", c->f);
    free(cl);
    free(pal);
}

void rp_heatmap_figure(rp_ctx *c, int64_t r, const char *column) {
    const char *id = rp_rep_field(c, r, "id"), *name = rp_rep_field(c, r, "name");
    const char *algo = figure_algorithm(c, name);
    char *path = algo ? mc_report_path_contingency(c->dir, id, algo, column) : NULL;
    mc_table t;
    if (!rp_read_optional(path, '\t', &t) || t.ncols < 2 || t.nrows < 1) {
        if (t.header) mc_table_free(&t);
        char what[600], *rel = algo ? mc_report_path_contingency(NULL, id, algo, column) : NULL;
        snprintf(what, sizeof what, "clusters x %s of %s (%s)", column, name, rel ? rel : "no clusters in metrics.csv");
        rp_note_missing(c, what);
        free(rel);
        free(path);
        return;
    }
    free(path);
    const int rows = (int)t.nrows, cols = t.ncols - 1;
    int64_t *counts = mc_calloc((size_t)rows * (size_t)cols, sizeof *counts);
    char **rn = mc_calloc((size_t)rows, sizeof *rn);
    if (counts && rn) {
        for (int i = 0; i < rows; i++) {
            const char *id_s = mc_table_get(&t, i, 0);
            rn[i] = mc_calloc(32, 1);
            if (rn[i]) snprintf(rn[i], 32, strcmp(id_s, "-1") == 0 ? "noise" : "cluster %s", id_s);
            for (int j = 0; j < cols; j++) counts[(size_t)i * (size_t)cols + (size_t)j] = strtoll(mc_table_get(&t, i, j + 1), NULL, 10);
        }
        char title[512], alt[600], cap[1024];
        snprintf(title, sizeof title, "%s: %s clusters x %s", name, algorithm_title(algo), column);
        mc_plot p = new_plot(MC_PLOT_KIND_HEATMAP, 560, 420, title);
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
        tmp.leaked = (char *)rp_rep_field(c, r, "leaked");
        const bool leak = mc_report_row_leaks(&tmp, column);
        snprintf(cap, sizeof cap, "How the segments of each %s cluster of %s spread over the %s classes "
                 "(colour = share of the row). A cluster that is one dark cell is pure; a row spread evenly over the "
                 "classes means the clusters ignore %s.%s", algorithm_title(algo), name, column, column,
                 leak ? " LEAKED: this representation was given these labels." : "");
        char stem[600];
        snprintf(stem, sizeof stem, "contingency.%s.%s.%s", id, algo, column);
        rp_figure(c, &p, alt, cap, "half", stem);
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

/* The figures of one representation's reconstruction examples: each titled "WHAT, track T (label)"
 * (example_title), written as recon.NAME.KIND.I (I from 1), the caption under the last of the m. */
typedef struct recon_set {
    rp_ctx *c;
    const char *name, *kind, *what, *cap;
    const mc_table *ex;
    bool have_ex;
    int64_t m;
} recon_set;

/* Example i of s as a half-width figure: p has its kind's fields set; its title is set here. The alt text
 * is "ALT, example I". */
static void recon_figure(const recon_set *s, mc_plot *p, const char *alt, int64_t i) {
    char title[512], alt_i[256], stem[300];
    example_title(title, sizeof title, s->what, s->ex, s->have_ex, i);
    p->title = title;
    snprintf(alt_i, sizeof alt_i, "%s, example %lld", alt, (long long)i + 1);
    snprintf(stem, sizeof stem, "recon.%s.%s.%lld", s->name, s->kind, (long long)i + 1);
    rp_figure(s->c, p, alt_i, i == s->m - 1 ? s->cap : NULL, "half", stem);
}

/* Original and reconstructed log-mel examples (m, rows, cols), one spectrogram pair each. */
static void logmel_recon(rp_ctx *c, const char *name, const mc_array *a, const mc_array *b, const mc_table *ex, bool have_ex) {
    const int64_t rows = a->shape[1], cols = a->shape[2];
    char rec_title[160], cap[512];
    snprintf(rec_title, sizeof rec_title, "reconstructed (%s)", name);
    snprintf(cap, sizeof cap, "Original (left) and %s reconstruction (right) of the same segment, "
             "one colour scale. A good reconstruction keeps the band structure and the onsets; a blurred "
             "one that keeps only the average spectrum means the latent holds little beyond loudness and "
             "tilt (expect blur when training was limited by the sample budget).", name);
    const recon_set s = {c, name, "logmel", "log-mel", cap, ex, have_ex, a->shape[0]};
    fputs("<div class=\"grid\">\n", c->f);
    for (int64_t i = 0; i < s.m; i++) {
        mc_plot_panel panels[2] = {
            {(const float *)a->data + (size_t)(i * rows * cols), (int)rows, (int)cols, "original"},
            {(const float *)b->data + (size_t)(i * rows * cols), (int)rows, (int)cols, rec_title}};
        mc_plot p = new_plot(MC_PLOT_KIND_SPECTROGRAM, 560, 300, NULL);
        p.spectrogram.panels = panels;
        p.spectrogram.n_panels = 2;
        recon_figure(&s, &p, "original and reconstructed log-mel", i);
    }
    fputs("</div>\n", c->f);
}

/* Original and reconstructed MFCC statistics (m, F): the means (first half) as two curves each. */
static void vector_recon(rp_ctx *c, const char *name, const mc_array *a, const mc_array *b, const mc_table *ex, bool have_ex) {
    const int64_t F = a->shape[1];
    double *y = mc_calloc((size_t)(2 * F), sizeof *y); // (2, F): original, reconstructed
    char rec_name[160], cap[512], alt[256];
    snprintf(rec_name, sizeof rec_name, "reconstructed (%s)", name);
    snprintf(cap, sizeof cap, "The MFCC means of a segment (solid) and the %s's reconstruction from its latent mean "
             "(dashed). Close curves: the low-dimensional latent keeps the spectral envelope.", name);
    snprintf(alt, sizeof alt, "original and %s-reconstructed MFCC means", name);
    const recon_set s = {c, name, "mfcc", "MFCC means", cap, ex, have_ex, a->shape[0]};
    fputs("<div class=\"grid\">\n", c->f);
    for (int64_t i = 0; y && i < s.m; i++) {
        /* MFCC means on a linear axis: the variances (second half) span decades, so only the means are
         * drawn; the file keeps both. */
        const int64_t half = F / 2 > 0 ? F / 2 : F;
        for (int64_t k = 0; k < half; k++) {
            y[k] = ((const float *)a->data)[i * F + k];
            y[F + k] = ((const float *)b->data)[i * F + k];
        }
        mc_plot_series ser[2] = {{NULL, y, half, "original", 1, false}, {NULL, y + F, half, rec_name, 2, true}};
        mc_plot p = new_plot(MC_PLOT_KIND_LINE, 560, 300, NULL);
        p.xlabel = "MFCC coefficient (1-based)";
        p.ylabel = "mean over the segment";
        p.line.series = ser;
        p.line.n_series = 2;
        recon_figure(&s, &p, alt, i);
    }
    fputs("</div>\n", c->f);
    free(y);
}

/* The reconstruction examples of every representation that has them (recon/<id>.original.npy and
 * recon/<id>.recon.npy): the log-mel ones (3-D) first, then the MFCC statistics ones (2-D). */
void rp_recon_figures(rp_ctx *c) {
    mc_table ex;
    char *pe = mc_report_path_recon(c->dir, NULL, NULL);
    const bool have_ex = rp_read_optional(pe, '\t', &ex);
    free(pe);
    for (int ndim = 3; ndim >= 2; ndim--) {
        int drawn = 0;
        for (int64_t r = 0; c->have_reps && r < c->reps.nrows; r++) {
            const char *id = rp_rep_field(c, r, "id");
            char *po = mc_report_path_recon(c->dir, id, "original"), *pr = mc_report_path_recon(c->dir, id, "recon");
            mc_array a = {0}, b = {0};
            bool ok = po && pr && rp_file_exists(po) && rp_file_exists(pr) && mc_npy_read_f32(po, &a) == MC_STATUS_OK &&
                      mc_npy_read_f32(pr, &b) == MC_STATUS_OK && a.ndim == ndim && b.ndim == ndim;
            for (int k = 0; ok && k < ndim; k++) ok = a.shape[k] == b.shape[k];
            if (ok && ndim == 3) logmel_recon(c, rp_rep_field(c, r, "name"), &a, &b, &ex, have_ex);
            if (ok && ndim == 2) vector_recon(c, rp_rep_field(c, r, "name"), &a, &b, &ex, have_ex);
            drawn += ok;
            mc_error_clear();
            mc_array_free(&a);
            mc_array_free(&b);
            free(po);
            free(pr);
        }
        if (!drawn)
            rp_note_missing(c, ndim == 3 ? "log-mel reconstructions (recon/<id>.original.npy, recon/<id>.recon.npy)"
                                      : "MFCC statistics reconstructions (recon/<id>.original.npy, recon/<id>.recon.npy)");
    }
    if (have_ex) mc_table_free(&ex);
}

void rp_loss_figure(rp_ctx *c) {
    if (!c->have_reps) return;
    mc_plot_series s[16];
    double *buf[16];
    char *names[16];
    int ns = 0;
    for (int64_t r = 0; r < c->reps.nrows && ns < 16; r++) {
        const char *id = rp_rep_field(c, r, "id");
        if (!rp_rep_field(c, r, "model")[0]) continue;
        char *path = mc_report_path_loss(c->dir, id, first_seed(c));
        mc_table t;
        const bool have = rp_read_optional(path, '\t', &t);
        free(path);
        if (!have) continue;
        int tc = mc_table_column(&t, "total");
        if (tc < 0 || t.nrows < 1) {
            mc_table_free(&t);
            continue;
        }
        buf[ns] = mc_calloc((size_t)t.nrows, sizeof(double));
        names[ns] = mc_strdup(rp_rep_field(c, r, "name"));
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
        rp_note_missing(c, "loss curves (models/<id>.seed<S>.loss.tsv)");
        return;
    }
    mc_plot p = new_plot(MC_PLOT_KIND_LINE, 800, 420, "training loss per epoch (first seed)");
    p.subtitle = "(reconstruction error + beta * KL) per training row";
    p.xlabel = "epoch";
    p.ylabel = "loss (log scale)";
    p.line.series = s;
    p.line.n_series = ns;
    p.line.log_y = true;
    rp_figure(c, &p, "training loss curves",
           "Loss of every trained model over its epochs. It should fall and flatten; a curve still falling at "
           "the last epoch means more training would change the latent (the conv-vae's epochs come from a sample "
           "budget, see the notes above). Models differ in input size and beta, so compare shapes, not levels.",
           "wide", "loss");
    for (int i = 0; i < ns; i++) {
        free(buf[i]);
        free(names[i]);
    }
}

/* One grouped bar chart per metric (segment level): groups = rows, one series. */
void rp_bar_figures(rp_ctx *c, const char *level) {
    const mc_report_table *t = &c->metrics;
    int *rows = mc_calloc((size_t)(t->n_rows ? t->n_rows : 1), sizeof *rows);
    char **gn = mc_calloc((size_t)(t->n_rows ? t->n_rows : 1), sizeof *gn);
    double *v = mc_calloc((size_t)(t->n_rows ? t->n_rows : 1), sizeof *v);
    double *e = mc_calloc((size_t)(t->n_rows ? t->n_rows : 1), sizeof *e);
    if (!rows || !gn || !v || !e) goto out;
    int nr = 0;
    for (int i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i].level, level) == 0) rows[nr++] = i;
    for (int g = 0; g < nr; g++) {
        const mc_report_row *r = &t->rows[rows[g]];
        size_t len = strlen(r->representation) + strlen(r->algorithm) + 16;
        gn[g] = mc_calloc(len, 1);
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
        mc_plot p = new_plot(MC_PLOT_KIND_BAR, 960, 460, title);
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
        /* and only on a rankable metric (common space, ARI) */
        const bool rankable = mc_report_metric_rankable(t->metrics[m]);
        p.bar.no_best_marker = !rankable || (best_g >= 0 && t->rows[rows[best_g]].leaked[0]);
        snprintf(alt, sizeof alt, "bar chart of %s", mt);
        snprintf(cap, sizeof cap, "%s of every representation / algorithm pair, mean over the seeds. %s%s", mt,
                 mc_report_metric_column(t->metrics[m])
                     ? "Against labels: 0 is chance level, 1 a perfect match. Leaked values are left out (n/a)."
                     : strstr(t->metrics[m], "_common") ? "Computed in the one common space (z-scored MFCC statistics), "
                                                          "so the methods are compared on the same ground."
                                                        : "Computed in each method's own space: not comparable "
                                                          "across spaces of different size and scale; see the common-space chart.",
                 !rankable ? " No star: this metric does not rank methods (not comparable across spaces, or not adjusted for chance)."
                 : p.bar.no_best_marker ? " No star: the best bar belongs to a representation with a leaked column." : "");
        char stem[300];
        snprintf(stem, sizeof stem, "bars.%s.%s", level, t->metrics[m]);
        rp_figure(c, &p, alt, cap, "wide", stem);
    }
out:
    if (gn)
        for (int g = 0; g < t->n_rows; g++) free(gn[g]);
    free(gn);
    free(rows);
    free(v);
    free(e);
}
