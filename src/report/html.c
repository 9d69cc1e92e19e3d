/* The self-contained HTML report of a RESULTS folder (report.h): the dataset, a summary table with
 * the best method per metric marked and the leaked rows flagged, the full metrics table, and every
 * figure (html_figures.c) rendered in memory by the plot module and inlined as a base64 PNG. No
 * network, no external CSS or JS; the one inline script only records whether every image decoded
 * (for headless checks). */
#include "report_internal.h"

#include <musiclust/metrics.h>
#include <musiclust/plot.h>

#include <ctype.h>
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

/* ---------------------------------------------------------------- inputs (report_internal.h) */

const char *rp_kv_get(const rp_kv *k, const char *key) {
    if (!k->ok) return NULL;
    for (int64_t r = 0; r < k->t.nrows; r++)
        if (strcmp(mc_table_get(&k->t, r, 0), key) == 0) return mc_table_get(&k->t, r, 1);
    return NULL;
}

bool rp_file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool rp_read_optional(const char *path, char delim, mc_table *t) {
    memset(t, 0, sizeof *t);
    if (!path || !rp_file_exists(path)) return false;
    if (mc_table_read(path, delim, t) != MC_STATUS_OK) {
        mc_error_clear();
        return false;
    }
    return true;
}

const char *rp_rep_field(const rp_ctx *c, int64_t r, const char *col) {
    int k = mc_table_column(&c->reps, col);
    return k >= 0 ? mc_table_get(&c->reps, r, k) : "";
}

/* Row of representations.tsv with this display name, -1 if none. */
int64_t rp_rep_by_name(const rp_ctx *c, const char *name) {
    if (!c->have_reps) return -1;
    for (int64_t r = 0; r < c->reps.nrows; r++)
        if (strcmp(rp_rep_field(c, r, "name"), name) == 0) return r;
    return -1;
}

/* ---------------------------------------------------------------- figures (the rest in html_figures.c) */

void rp_note_missing(rp_ctx *c, const char *what) {
    c->missing++;
    fputs("<p class=\"missing\">Figure not available: ", c->f);
    mc__html_text(c->f, what);
    fputs("</p>\n", c->f);
}

/* figures/<stem>.<ext> with every byte outside [A-Za-z0-9._-] of the stem (column and
 * representation names are user text) replaced by '_'; malloc'd. */
static char *figure_path(const rp_ctx *c, const char *stem, const char *ext) {
    size_t len = strlen(c->dir) + strlen(stem) + strlen(ext) + 16;
    char *p = mc_calloc(len, 1); // (len) bytes: the figure path
    if (!p) return NULL;
    int k = snprintf(p, len, "%s/figures/", c->dir);
    for (const char *s = stem; *s; s++)
        p[k++] = (isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_') && (unsigned char)*s < 0x80 ? *s : '_';
    snprintf(p + k, len - (size_t)k, ".%s", ext);
    return p;
}

/* Write the PNG bytes (already rendered) and render the SVG of p under figures/. */
static bool write_figure_files(rp_ctx *c, const mc_plot *p, const char *stem, const unsigned char *png, size_t len) {
    char *pp = figure_path(c, stem, "png"), *ps = figure_path(c, stem, "svg");
    bool ok = pp && ps;
    if (ok) {
        char *dir = mc_report_path(c->dir, "figures");
        ok = dir && mc_mkdirs(dir) == MC_STATUS_OK;
        free(dir);
    }
    ok = ok && mc_file_write_atomic(pp, png, len) == MC_STATUS_OK;
    ok = ok && mc_plot_render(p, ps, NULL) == MC_STATUS_OK;
    if (!ok) {
        mc_error_clear();
        c->figure_file_errors++;
    } else {
        c->figure_files += 2;
    }
    free(pp);
    free(ps);
    return ok;
}

bool rp_figure_files(rp_ctx *c, const mc_plot *p, const char *stem) {
    unsigned char *png = NULL;
    size_t len = 0;
    if (mc_plot_render_png_buffer(p, &png, &len, NULL) != MC_STATUS_OK) {
        mc_error_clear();
        c->figure_file_errors++;
        return false;
    }
    bool ok = write_figure_files(c, p, stem, png, len);
    mc_free(png);
    return ok;
}

/* Render p to PNG in memory and write <figure><img src="data:..."><figcaption>. */
void rp_figure(rp_ctx *c, const mc_plot *p, const char *alt, const char *caption, const char *cls, const char *stem) {
    unsigned char *png = NULL;
    size_t len = 0;
    mc_status st = mc_plot_render_png_buffer(p, &png, &len, NULL);
    if (st != MC_STATUS_OK) {
        char what[512];
        snprintf(what, sizeof what, "%s (%s)", alt, mc_error_message());
        mc_error_clear();
        rp_note_missing(c, what);
        return;
    }
    const bool files = stem && write_figure_files(c, p, stem, png, len);
    char *b64 = NULL;
    st = mc_report_base64_encode(png, len, &b64);
    mc_free(png);
    if (st != MC_STATUS_OK) {
        mc_error_clear();
        rp_note_missing(c, alt);
        return;
    }
    fprintf(c->f, "<figure class=\"%s\"><img alt=\"", cls ? cls : "fig");
    mc__html_text(c->f, alt);
    fprintf(c->f, "\" src=\"data:image/png;base64,%s\">", b64);
    free(b64);
    if (caption || files) {
        fputs("<figcaption>", c->f);
        mc__html_text(c->f, caption ? caption : "");
        if (files) {
            char *pp = figure_path(c, stem, "png");
            const char *rel = pp ? strstr(pp, "figures/") : NULL;
            if (rel) {
                size_t n = strlen(rel) - 4; /* without ".png" */
                fprintf(c->f, " <a href=\"%s\">PNG</a> / <a href=\"%.*s.svg\">SVG</a>", rel, (int)n, rel);
            }
            free(pp);
        }
        fputs("</figcaption>", c->f);
    }
    fputs("</figure>\n", c->f);
    c->images++;
}

/* ---------------------------------------------------------------- tables */

static void metric_cell(rp_ctx *c, int row, int m, bool with_std) {
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

static void metrics_table(rp_ctx *c, const char *level, const int *sel, int nsel, bool with_std, const char *id) {
    const mc_report_table *t = &c->metrics;
    fprintf(c->f, "<div class=\"scroll\"><table class=\"metrics\" id=\"%s\"><thead><tr><th>representation</th><th>algorithm</th><th>task</th><th>k</th>", id);
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
        if (r->k > 0) {
            fprintf(c->f, "</td><td>%d</td>", r->k);
        } else { /* DBSCAN chooses no k: show what it found */
            const int nc = mc_report_table_metric(t, "n_clusters");
            char v[64];
            if (nc >= 0 && isfinite(r->mean[nc])) {
                snprintf(v, sizeof v, "%.1f", r->mean[nc]);
                if (strlen(v) > 2 && strcmp(v + strlen(v) - 2, ".0") == 0) v[strlen(v) - 2] = '\0';
                fprintf(c->f, "</td><td class=\"kauto\" title=\"chosen by the algorithm (mean over the seeds)\">auto: %s</td>", v);
            } else {
                fputs("</td><td class=\"kauto\">auto</td>", c->f);
            }
        }
        for (int s = 0; s < nsel; s++) metric_cell(c, i, sel[s], with_std);
        fputs("</tr>\n", c->f);
    }
    fputs("</tbody></table></div>\n", c->f);
}

static void leak_warnings(rp_ctx *c) {
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
        int64_t rr = rp_rep_by_name(c, r->representation);
        if (rr >= 0 && rp_rep_field(c, rr, "description")[0]) {
            fputs(" &mdash; ", c->f);
            mc__html_text(c->f, rp_rep_field(c, rr, "description"));
        }
        fputs("</li>\n", c->f);
    }
    if (any) fputs("</ul></div>\n", c->f);
}

/* ---------------------------------------------------------------- dataset */

static void dataset_section(rp_ctx *c) {
    mc_table tracks, skipped;
    char *path = mc_report_path(c->dir, MC_REPORT_FEATURES "/tracks.tsv");
    bool ht = rp_read_optional(path, '\t', &tracks);
    free(path);
    path = mc_report_path(c->dir, MC_REPORT_FEATURES "/skipped.tsv");
    bool hs = rp_read_optional(path, '\t', &skipped);
    free(path);
    fputs("<h2 id=\"dataset\">Dataset</h2>\n<ul>", c->f);
    if (ht) fprintf(c->f, "<li><b>%lld</b> tracks</li>", (long long)tracks.nrows);
    if (c->have_index) fprintf(c->f, "<li><b>%lld</b> segments (rows clustered at the segment level)</li>", (long long)c->index.nrows);
    fprintf(c->f, "<li><b>%lld</b> files skipped</li>", hs ? (long long)skipped.nrows : 0LL);
    const char *v;
    if ((v = rp_kv_get(&c->summary, "inputs"))) {
        fputs("<li>input: ", c->f);
        mc__html_text(c->f, v);
        fputs("</li>", c->f);
    }
    if ((v = rp_kv_get(&c->summary, "metadata")) && *v) {
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
            const char **vals = mc_calloc((size_t)(tracks.nrows ? tracks.nrows : 1), sizeof *vals);
            int32_t *ids = mc_calloc((size_t)(tracks.nrows ? tracks.nrows : 1), sizeof *ids);
            char **names = NULL;
            int nn = 0;
            if (vals && ids) {
                for (int64_t r = 0; r < tracks.nrows; r++) vals[r] = mc_table_get(&tracks, r, col);
                if (mc_metrics_encode_labels(vals, tracks.nrows, ids, &names, &nn) == MC_STATUS_OK) {
                    int64_t *cnt = mc_calloc((size_t)(nn + 1), sizeof *cnt);
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

static void notes_section(rp_ctx *c) {
    fputs("<h2 id=\"setup\">How this run was set up</h2>\n<ul>\n", c->f);
    static const struct { const char *key, *label; } facts[] = {
        {"tasks", "tasks"}, {"main_label", "main label column"}, {"evaluated_columns", "label columns evaluated"},
        {"k", "clusters k"}, {"k_source", "k chosen by"}, {"seeds", "seeds"}, {"threads", "threads"},
        {"common_space", "common space"}, {"conv_vae", "conv-vae training"}, {"wall_seconds", "wall time of this run (s)"},
        {"version", "musiclust"}, {"libraries", "libraries"}};
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        const char *v = rp_kv_get(&c->summary, facts[i].key);
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
            mc__html_text(c->f, rp_rep_field(c, r, "name"));
            fputs("</td><td>", c->f);
            mc__html_text(c->f, rp_rep_field(c, r, "tasks"));
            fputs("</td><td>", c->f);
            mc__html_text(c->f, rp_rep_field(c, r, "description"));
            if (rp_rep_field(c, r, "note")[0]) {
                fputs(" <i>", c->f);
                mc__html_text(c->f, rp_rep_field(c, r, "note"));
                fputs("</i>", c->f);
            }
            fputs("</td><td>", c->f);
            if (rp_rep_field(c, r, "leaked")[0]) {
                fputs("<span class=\"warn\">&#9888; ", c->f);
                mc__html_text(c->f, rp_rep_field(c, r, "leaked"));
                fputs("</span>", c->f);
            }
            fputs("</td></tr>\n", c->f);
        }
        fputs("</tbody></table>\n", c->f);
    }
}

static void timings_section(rp_ctx *c) {
    mc_table t;
    char *path = mc_report_path(c->dir, MC_REPORT_TIMINGS);
    const bool have = rp_read_optional(path, '\t', &t);
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
    "figcaption{font-size:12px;color:#444;margin-top:2px}.sub{color:#666}li.note{color:#6b4e00}"
    /* wide tables scroll inside the page instead of overflowing it */
    ".scroll{overflow-x:auto;max-width:100%}table.classes,table.skipped,table.reps,table.timings{display:block;overflow-x:auto;max-width:100%}"
    "td.kauto{color:#555;white-space:nowrap}.verdict{border-left:4px solid #0072B2;background:#f3f8fc;padding:6px 14px;margin:12px 0}";

static const char *const script =
    "window.addEventListener('load',function(){var im=document.images,ok=0;"
    "for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)ok++;}"
    "document.body.setAttribute('data-images-loaded',ok+'/'+im.length);});";

/* The clean row (no leaked column) of a level with the best mean of a metric, -1 if none. */
static int best_row(const rp_ctx *c, const char *level, const char *metric) {
    const int m = mc_report_table_metric(&c->metrics, metric);
    const int dir = m >= 0 ? mc_report_metric_direction(metric) : 0;
    int best = -1;
    for (int i = 0; dir && i < c->metrics.n_rows; i++) {
        const mc_report_row *r = &c->metrics.rows[i];
        if (r->leaked[0] || strcmp(r->level, level) != 0 || !isfinite(r->mean[m])) continue;
        if (best < 0 || (dir > 0 ? r->mean[m] > c->metrics.rows[best].mean[m] : r->mean[m] < c->metrics.rows[best].mean[m])) best = i;
    }
    return best;
}

/* ARI in words (0 = chance, 1 = the labels exactly); the thresholds are this report's reading aid. */
static const char *ari_words(double a) {
    return a < 0.05 ? "no better than chance" : a < 0.2 ? "weakly" : a < 0.5 ? "moderately" : a < 0.8 ? "well" : "very closely";
}

static void row_name(rp_ctx *c, const mc_report_row *r) {
    fputs("<b>", c->f);
    mc__html_text(c->f, r->representation);
    fputs("</b> with ", c->f);
    mc__html_text(c->f, rp_algorithm_title(r->algorithm));
}

/* A few sentences at the top: which method recovers the main label best (ARI, chance-adjusted) and
 * which clusters are the most separated in the common space, from the clean rows only. */
static void verdict(rp_ctx *c) {
    const char *level = "segment";
    bool have_track = false;
    for (int i = 0; i < c->metrics.n_rows; i++) have_track |= strcmp(c->metrics.rows[i].level, "track") == 0;
    fputs("<div class=\"verdict\" id=\"verdict\"><b>Verdict.</b> ", c->f);
    int said = 0;
    if (c->main_label) {
        char name[300];
        snprintf(name, sizeof name, "ari_%s", c->main_label);
        const int m = mc_report_table_metric(&c->metrics, name);
        const int b = best_row(c, level, name), bt = have_track ? best_row(c, "track", name) : -1;
        if (b >= 0) {
            const mc_report_row *r = &c->metrics.rows[b];
            char v[64];
            mc_report_format_value(r->mean[m], v, sizeof v);
            fputs("The clusters that follow the <b>", c->f);
            mc__html_text(c->f, c->main_label);
            fputs("</b> labels best come from ", c->f);
            row_name(c, r);
            fprintf(c->f, ": ARI %s over segments (0 = chance, 1 = the labels exactly), so they match it %s.", v, ari_words(r->mean[m]));
            if (bt >= 0) {
                const mc_report_row *q = &c->metrics.rows[bt];
                mc_report_format_value(q->mean[m], v, sizeof v);
                fputs(" Per track (majority vote of its segments): ", c->f);
                row_name(c, q);
                fprintf(c->f, ", ARI %s.", v);
            }
            said++;
        }
    }
    const int b = best_row(c, level, "silhouette_common");
    if (b >= 0) {
        const int m = mc_report_table_metric(&c->metrics, "silhouette_common");
        const mc_report_row *r = &c->metrics.rows[b];
        char v[64];
        mc_report_format_value(r->mean[m], v, sizeof v);
        fputs(said ? " The most separated clusters in the common space (the same z-scored MFCC statistics for every "
                     "method) come from " : "The most separated clusters in the common space (the same z-scored MFCC "
                     "statistics for every method) come from ", c->f);
        row_name(c, r);
        fprintf(c->f, " (silhouette %s; above 0.25 is some structure, above 0.5 clear structure).", v);
        said++;
    }
    if (!said) fputs("No comparable score (ARI against a label, or a common-space metric) in this run.", c->f);
    bool leak = false;
    for (int i = 0; i < c->metrics.n_rows; i++) leak |= c->metrics.rows[i].leaked[0] != 0;
    if (leak) fputs(" Rows with a leaked label column are left out of this verdict.", c->f);
    fputs(" Listen for yourself: hover and click the points of the <a href=\"#maps\">maps</a>.</div>\n", c->f);
}

static void summary_tables(rp_ctx *c) {
    const mc_report_table *t = &c->metrics;
    int sel[32], ns = 0;
    static const char *const key[] = {"silhouette_common", "calinski_harabasz_common", "davies_bouldin_common", "silhouette"};
    for (size_t i = 0; i < sizeof key / sizeof *key; i++) {
        int m = mc_report_table_metric(t, key[i]);
        if (m >= 0) sel[ns++] = m;
    }
    for (int k = 0; k < c->n_columns && ns < 28; k++) {
        const char *pre[4] = {"ari_", "ami_", "nmi_", "purity_"};
        bool main = c->main_label && strcmp(c->columns[k], c->main_label) == 0;
        for (int p = 0; p < (main ? 4 : 2) && ns < 30; p++) {
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
    rp_ctx c;
    memset(&c, 0, sizeof c);
    c.dir = results_dir;
    char outp[4096];
    if (out_path) snprintf(outp, sizeof outp, "%s", out_path);
    else snprintf(outp, sizeof outp, "%s/" MC_REPORT_HTML, results_dir);
    char *path = mc_report_path(results_dir, MC_REPORT_METRICS_CSV);
    mc_status st = path ? mc_report_table_read_csv(path, &c.metrics) : MC_STATUS_NO_MEMORY;
    free(path);
    if (st != MC_STATUS_OK) return st;
    c.best = mc_calloc((size_t)c.metrics.n_rows * (size_t)c.metrics.n_metrics, sizeof *c.best);
    if (!c.best) {
        mc_report_table_free(&c.metrics);
        return mc_error_nomem("report: out of memory");
    }
    mc_report_best(&c.metrics, c.best);
    path = mc_report_path(results_dir, MC_REPORT_SUMMARY);
    c.summary.ok = rp_read_optional(path, '\t', &c.summary.t);
    free(path);
    path = mc_report_path(results_dir, MC_REPORT_REPRESENTATIONS);
    c.have_reps = rp_read_optional(path, '\t', &c.reps);
    free(path);
    path = mc_report_path(results_dir, MC_REPORT_FEATURES "/index.tsv");
    c.have_index = rp_read_optional(path, '\t', &c.index);
    free(path);
    c.artist_col = c.title_col = -1;
    c.main_label = rp_kv_get(&c.summary, "main_label");
    if (c.main_label && !*c.main_label) c.main_label = NULL;
    /* evaluated columns: from summary.tsv, else every column named by a label metric */
    const char *ev = rp_kv_get(&c.summary, "evaluated_columns");
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

    rp_labels_prepare(&c);
    char *buf = NULL;
    size_t len = 0;
    mc_memfile page;
    if ((st = mc_memfile_open(&page, outp)) != MC_STATUS_OK) goto done;
    c.f = page.f;
    fprintf(c.f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>musiclust report</title>\n"
                 "<style>%s%s</style>\n<script>%s</script>\n</head><body>\n", css, rp_map_css(), script);
    fputs("<h1>musiclust report</h1>\n<p class=\"sub\">", c.f);
    mc__html_text(c.f, results_dir);
    const char *ver = rp_kv_get(&c.summary, "version");
    fprintf(c.f, " &middot; musiclust %s</p>\n", ver && *ver ? ver : mc_version());
    verdict(&c);
    fputs("<p>Contents: <a href=\"#maps\">maps</a> &middot; <a href=\"#dataset\">dataset</a> &middot; <a href=\"#setup\">set-up</a> &middot; "
          "<a href=\"#summary\">summary</a> &middot; <a href=\"#all\">all metrics</a> &middot; "
          "<a href=\"#figures\">figures</a> &middot; <a href=\"#timings\">timings</a></p>\n", c.f);
    fputs("<h2 id=\"maps\">Maps: every point is a segment of a song</h2>\n<p>Each representation's latent space in "
          "two dimensions (t-SNE or UMAP of the first seed). Points close together sound alike to that representation. "
          "Colour by the clusters or by a label column: a class has the same colour in every map and figure, and a "
          "cluster takes the colour of the class it mostly holds (clusters matched to no class get further colours).</p>\n", c.f);
    rp_map_section(&c, outp);
    dataset_section(&c);
    notes_section(&c);

    fputs("<h2 id=\"summary\">Summary</h2>\n<p>The key metrics of every representation / algorithm pair. "
          "&#9733; marks the best value of each column among the rows without a leaked label column (higher is "
          "better except for Davies-Bouldin, &darr;), on the chance-adjusted label metrics (ARI, AMI) and the "
          "common-space internal metrics only: NMI and purity grow with the number of clusters, and each "
          "method's own-space internal metrics are in a different space. Compare methods with the <b>common-space</b> internal metrics "
          "(the same z-scored MFCC statistics for every method) and the label metrics; each method's own-space "
          "silhouette is shown for reference only.</p>\n", c.f);
    leak_warnings(&c);
    summary_tables(&c);

    fputs("<h2 id=\"all\">All metrics (mean &plusmn; std over the seeds)</h2>\n", c.f);
    {
        int *sel = mc_calloc((size_t)(c.metrics.n_metrics ? c.metrics.n_metrics : 1), sizeof *sel);
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
        fputs("<h3>Clusters against labels (contingency heatmaps)</h3>\n<div class=\"grid\">\n", c.f);
        for (int64_t r = 0; r < c.reps.nrows; r++) {
            if (strcmp(rp_rep_field(&c, r, "show"), "1") != 0) continue;
            /* the main column and the language columns */
            for (int k = 0; k < c.n_columns; k++) {
                bool main = c.main_label && strcmp(c.columns[k], c.main_label) == 0;
                bool lang = strstr(c.columns[k], "language") != NULL;
                if (main || lang) rp_heatmap_figure(&c, r, c.columns[k]);
            }
        }
        fputs("</div>\n", c.f);
    }
    fputs("<h3>Reconstructions</h3>\n", c.f);
    path = mc_report_path_recon(results_dir, NULL, NULL);
    const bool have_recon = path && rp_file_exists(path);
    free(path);
    if (have_recon) rp_recon_figures(&c);
    else fputs("<p class=\"sub\">No reconstruction examples in this run (the hard task makes them).</p>\n", c.f);
    rp_gencheck_section(&c);
    fputs("<h3>Training</h3>\n", c.f);
    rp_loss_figure(&c);
    fputs("<h3>Each metric across methods</h3>\n", c.f);
    rp_bar_figures(&c, "segment");
    timings_section(&c);
    path = mc_report_path(results_dir, "exports/README.txt");
    if (path && rp_file_exists(path))
        fputs("<h2 id=\"exports\">Exports</h2>\n<p>The clustering the verdict names, in formats other tools open: "
              "<a href=\"exports/labels/\">exports/labels/</a> (one Audacity label file per track: start, end, cluster "
              "of each segment; also Sonic Visualiser) and <a href=\"exports/projector/\">exports/projector/</a> "
              "(TensorBoard projector: tensors.tsv + metadata.tsv). See <a href=\"exports/README.txt\">exports/README.txt</a>.</p>\n", c.f);
    free(path);
    fputs("<p class=\"sub\">Written by musiclust from the files of this folder (metrics.csv, summary.tsv, "
          "representations.tsv, timings.tsv, embed/, assign/, contingency/, recon/, models/); "
          "<code>musiclust report</code> regenerates it. Every figure is also a PNG and an SVG file under figures/.</p>\n</body></html>\n", c.f);
    c.f = NULL;
    st = mc_memfile_take(&page, outp, &buf, &len);
    if (st == MC_STATUS_OK) st = mc_file_write_atomic(outp, buf, len);
    if (st == MC_STATUS_OK && summary) {
        summary->images = c.images;
        summary->figures_missing = c.missing;
        summary->bytes = (int64_t)len;
        summary->figure_files = c.figure_files;
        summary->figure_file_errors = c.figure_file_errors;
    }
done:
    free(buf);
    free(c.best);
    free(c.columns_buf);
    mc_report_table_free(&c.metrics);
    if (c.summary.ok) mc_table_free(&c.summary.t);
    if (c.have_reps) mc_table_free(&c.reps);
    if (c.have_index) mc_table_free(&c.index);
    for (int k = 0; k < c.n_labels; k++) rp_labels_free(&c.labels[k]);
    return st;
}
