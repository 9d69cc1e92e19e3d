/* The report's generation check (issue 17, item 5): for each log-mel model conditioned on the main
 * label, the tables `run` wrote with mc_gen_check_write (models/<id>.seed<S>.check.tsv), averaged over
 * the seeds that have one: per class the k-NN accuracy of the generated clips (chance 1 / classes) and
 * the Fréchet distance real/generated beside the distances between real classes. */
#include "report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GC_COLS 6 /* real_segments, knn_accuracy, fd_real_generated, fd_real_other_mean, fd_real_other_min, generated */

static const char *const gc_names[GC_COLS] = {"real_segments",      "knn_accuracy",       "fd_real_generated",
                                              "fd_real_other_mean", "fd_real_other_min", "generated"};

static unsigned long long summary_u(const rp_ctx *c, const char *key, unsigned long long dflt) {
    const char *s = rp_kv_get(&c->summary, key);
    return s && *s ? strtoull(s, NULL, 10) : dflt;
}

/* One representation's tables: sums (rows, GC_COLS) and sums of squares over the seeds read; the class
 * names of the first table (rows of every table must match it). Returns the tables read. */
static int read_checks(const rp_ctx *c, const char *id, mc_table *first, double *sum, double *sq, int64_t cap) {
    const unsigned long long s0 = summary_u(c, "first_seed", 0), ns = summary_u(c, "seeds", 1);
    int read = 0;
    for (unsigned long long s = s0; s < s0 + ns && s < s0 + 64; s++) {
        char *path = mc_report_path_gencheck(c->dir, id, s);
        mc_table t;
        const bool have = rp_read_optional(path, '\t', &t);
        free(path);
        if (!have) continue;
        int col[GC_COLS];
        bool ok = t.nrows >= 1 && t.nrows <= cap && (!read || t.nrows == first->nrows);
        for (int k = 0; ok && k < GC_COLS; k++) ok = (col[k] = mc_table_column(&t, gc_names[k])) >= 0;
        for (int64_t i = 0; ok && read && i < t.nrows; i++)
            ok = strcmp(mc_table_get(&t, i, 0), mc_table_get(first, i, 0)) == 0;
        if (!ok) {
            mc_table_free(&t);
            continue;
        }
        for (int64_t i = 0; i < t.nrows; i++)
            for (int k = 0; k < GC_COLS; k++) {
                const char *v = mc_table_get(&t, i, col[k]);
                const double x = v && *v ? strtod(v, NULL) : NAN;
                sum[i * GC_COLS + k] += x;
                sq[i * GC_COLS + k] += x * x;
            }
        if (!read) *first = t;
        else mc_table_free(&t);
        read++;
    }
    return read;
}

static void cell(rp_ctx *c, double sum, double sq, int n, const char *fmt, bool with_std) {
    const double m = sum / n, v = sq / n - m * m;
    char b[64];
    if (!isfinite(m)) {
        fputs("<td></td>", c->f);
        return;
    }
    snprintf(b, sizeof b, fmt, m);
    fprintf(c->f, "<td>%s", b);
    if (with_std && n > 1) {
        snprintf(b, sizeof b, fmt, sqrt(v > 0 ? v : 0));
        fprintf(c->f, " &plusmn; %s", b);
    }
    fputs("</td>", c->f);
}

void rp_gencheck_section(rp_ctx *c) {
    if (!c->have_reps) return;
    enum { CAP = 256 };
    double *sum = mc_calloc(CAP * GC_COLS, sizeof(double)), *sq = mc_calloc(CAP * GC_COLS, sizeof(double)); // (CAP, GC_COLS)
    if (!sum || !sq) {
        free(sum);
        free(sq);
        mc_error_clear();
        return;
    }
    bool heading = false;
    for (int64_t r = 0; r < c->reps.nrows; r++) {
        memset(sum, 0, CAP * GC_COLS * sizeof(double));
        memset(sq, 0, CAP * GC_COLS * sizeof(double));
        mc_table t;
        const int n = read_checks(c, rp_rep_field(c, r, "id"), &t, sum, sq, CAP);
        if (!n) continue;
        if (!heading) {
            fputs("<h3 id=\"generation\">Generation check</h3>\n<p>For each class of the label a conditioned log-mel "
                  "model was trained on, latent samples z ~ N(0, I) are decoded with that class and their MFCC "
                  "statistics computed as for real segments. <b>k-NN accuracy</b>: the share of the generated clips "
                  "whose 5 nearest real segments (z-scored MFCC statistics) vote for the class they were generated "
                  "for (chance is 1 / classes). <b>FD real/generated</b>: the Fr&eacute;chet distance between "
                  "Gaussians fitted to the real and the generated statistics of the class, beside the distance "
                  "between that class and the other real classes (mean, nearest): a generator whose classes are like "
                  "their genre has a real/generated distance well below the distance to other genres. "
                  "Tables: models/&lt;id&gt;.seed&lt;S&gt;.check.tsv (<code>musiclust generate MODEL --check</code> "
                  "makes the same table for any model file).</p>\n",
                  c->f);
            heading = true;
        }
        fputs("<p class=\"sub\">", c->f);
        mc__html_text(c->f, rp_rep_field(c, r, "name"));
        fprintf(c->f, ": mean%s over %d seed%s</p>\n", n > 1 ? " &plusmn; std" : "", n, n == 1 ? "" : "s");
        if (t.nrows == 1 && strcmp(mc_table_get(&t, 0, 0), "all") != 0) {
            mc_table_free(&t);
            continue;
        }
        fputs("<table class=\"gencheck\"><thead><tr><th>class</th><th>real segments</th><th>generated</th>"
              "<th>k-NN accuracy</th><th>FD real/generated</th><th>FD real/other (mean)</th>"
              "<th>FD real/other (nearest)</th></tr></thead><tbody>\n",
              c->f);
        for (int64_t i = 0; i < t.nrows; i++) {
            const double *s = sum + i * GC_COLS, *q = sq + i * GC_COLS;
            const bool all = strcmp(mc_table_get(&t, i, 0), "all") == 0;
            fputs(all ? "<tr class=\"all\"><td>all" : "<tr><td>", c->f);
            if (!all) mc__html_text(c->f, mc_table_get(&t, i, 0));
            fputs("</td>", c->f);
            cell(c, s[0], q[0], n, "%.0f", false);
            cell(c, s[5], q[5], n, "%.0f", false);
            cell(c, s[1], q[1], n, "%.3f", true);
            cell(c, s[2], q[2], n, "%.1f", true);
            cell(c, s[3], q[3], n, "%.1f", true);
            cell(c, s[4], q[4], n, "%.1f", true);
            fputs("</tr>\n", c->f);
        }
        fprintf(c->f, "</tbody></table>\n<p class=\"sub\">chance k-NN accuracy: %.3f</p>\n",
                t.nrows > 1 ? 1.0 / (double)(t.nrows - 1) : 1.0);
        mc_table_free(&t);
    }
    free(sum);
    free(sq);
}
