/* Scoring, once for `musiclust run`, `musiclust evaluate` and the report (pipeline.h): which label
 * columns are scored, the label side built from a store, and one representation x algorithm scored
 * over its seeds at the segment and the track level into the metrics table of report.h. */
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- which columns */

static bool is_label_column(const mc_store *s, const char *col) {
    int n = 0;
    const char *const *c = mc_store_label_columns(s, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(c[i], col) == 0) return true;
    return false;
}

/* Distinct non-empty values of a label column; -1 (message cleared) when it cannot be read. */
static int count_classes(const mc_store *s, const char *col) {
    int32_t *codes = mc_calloc((size_t)s->n, sizeof *codes);
    char **cl = NULL;
    int nc = -1;
    if (codes && mc_store_label_codes(s, col, codes, &cl, &nc) != MC_STATUS_OK) nc = -1;
    if (nc < 0) mc_error_clear();
    mc_store_free_classes(cl, nc > 0 ? nc : 0);
    free(codes);
    return nc;
}

/* 2 .. n/2 classes: a column with one class says nothing, one with a class per row or two is an id. */
static bool usable(const mc_store *s, const char *col) {
    const int nc = count_classes(s, col);
    const bool ok = nc >= 2 && 2 * (int64_t)nc <= s->n;
    if (!ok)
        mc_log(MC_LOG_LEVEL_INFO, "label column '%s' left out: %d class%s (scoring needs 2..N/2 = %lld)", col,
               nc < 0 ? 0 : nc, nc == 1 ? "" : "es", (long long)(s->n / 2));
    return ok;
}

void mc_pipeline_label_columns(const mc_store *s, const char *main, const char **cols, int cap, int *n) {
    static const char *const named[] = {"genre", "tag", "label", "style", "language", "lyrics_language"};
    *n = 0;
    if (main && *n < cap) cols[(*n)++] = main;
    bool any_named = false;
    int nl = 0;
    const char *const *all = mc_store_label_columns(s, &nl);
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        for (int c = 0; c < nl; c++) {
            if (strcmp(all[c], named[i]) != 0) continue;
            any_named = true;
            if ((!main || strcmp(main, all[c]) != 0) && *n < cap && usable(s, all[c])) cols[(*n)++] = all[c];
        }
    for (int c = 0; !any_named && c < nl && *n < cap; c++)
        if ((!main || strcmp(main, all[c]) != 0) && usable(s, all[c])) cols[(*n)++] = all[c];
}

/* ---------------------------------------------------------------- the label side */

void mc_pipeline_score_labels_free(mc_score_labels *l) {
    if (!l) return;
    for (int c = 0; c < l->n_cols; c++) {
        if (l->cols) free(l->cols[c]);
        if (l->codes) free(l->codes[c]);
        if (l->track_codes) free(l->track_codes[c]);
        if (l->classes) mc_store_free_classes(l->classes[c], l->n_classes[c]);
    }
    free(l->cols);
    free(l->codes);
    free(l->track_codes);
    free(l->classes);
    free(l->n_classes);
    free(l->track_of);
    memset(l, 0, sizeof *l);
}

/* The label columns of the store as one line, for messages. */
static void list_columns(const mc_store *s, char *buf, size_t cap) {
    int nl = 0;
    const char *const *all = mc_store_label_columns(s, &nl);
    size_t len = 0;
    buf[0] = '\0';
    for (int c = 0; c < nl; c++) {
        int w = snprintf(buf + len, cap - len, "%s%s", c ? ", " : "", all[c]);
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
    }
    if (!len) snprintf(buf, cap, "(none)");
}

typedef struct track_row {
    int64_t track, row;
} track_row;

static int cmp_track_row(const void *a, const void *b) {
    const track_row *x = a, *y = b;
    if (x->track != y->track) return x->track < y->track ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* track_of (n) <- the row's track renumbered 0.. in the order tracks first appear; *T the count.
 * Sorting (track, row) pairs keeps the memory O(n) whatever the track numbers are. */
static mc_status dense_tracks(const mc_store *s, int64_t *track_of, int64_t *T) {
    mc_status st = mc_store_tracks(s, track_of);
    if (st != MC_STATUS_OK) return st;
    const int64_t n = s->n;
    track_row *pairs = mc_calloc((size_t)n, sizeof *pairs); // (n) by track, then row
    track_row *firsts = mc_calloc((size_t)n, sizeof *firsts); // (groups) first row, group
    if (!pairs || !firsts) {
        free(pairs);
        free(firsts);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t i = 0; i < n; i++) pairs[i] = (track_row){track_of[i], i};
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_track_row);
    int64_t g = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || pairs[i].track != pairs[i - 1].track) { /* a new track: its smallest row comes first */
            firsts[g].track = pairs[i].row; /* sorted below by this first row */
            firsts[g].row = g;              /* the group */
            g++;
        }
        track_of[pairs[i].row] = g - 1; /* the group, numbered by track number for now */
    }
    qsort(firsts, (size_t)g, sizeof *firsts, cmp_track_row); /* groups in first-appearance order */
    free(pairs);
    int64_t *rank = mc_calloc((size_t)g, sizeof *rank); // (g) the place of each group in that order
    if (!rank) {
        free(firsts);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t k = 0; k < g; k++) rank[firsts[k].row] = k;
    for (int64_t i = 0; i < n; i++) track_of[i] = rank[track_of[i]];
    free(rank);
    free(firsts);
    *T = g;
    return MC_STATUS_OK;
}

/* Each track's class from its first row; every other row of the track must agree. */
static mc_status track_classes(const mc_store *s, const mc_score_labels *L, int c, int64_t *first) {
    int32_t *tc = L->track_codes[c];
    for (int64_t t = 0; t < L->n_tracks; t++) tc[t] = L->codes[c][first[t]];
    const int col = mc_table_column(&s->index, L->cols[c]), trk = mc_table_column(&s->index, "track");
    for (int64_t r = 0; r < L->n; r++)
        if (L->codes[c][r] != tc[L->track_of[r]])
            return mc_error_set(MC_STATUS_FORMAT, "%s line %lld: track '%s' has segments with different '%s' labels "
                                "('%s' and '%s')", s->index_path, (long long)r + 2, mc_table_get(&s->index, r, trk),
                                L->cols[c], mc_table_get(&s->index, first[L->track_of[r]], col),
                                mc_table_get(&s->index, r, col));
    return MC_STATUS_OK;
}

mc_status mc_pipeline_score_labels(const mc_store *s, const char *const *cols, int n_cols, bool tracks,
                                   mc_score_labels *out) {
    memset(out, 0, sizeof *out);
    enum { MAX_DEFAULT = 64 };
    const char *chosen[MAX_DEFAULT];
    if (n_cols == 0) {
        mc_pipeline_label_columns(s, NULL, chosen, MAX_DEFAULT, &n_cols);
        cols = chosen;
    }
    char avail[1024];
    for (int c = 0; c < n_cols; c++)
        if (!is_label_column(s, cols[c])) {
            list_columns(s, avail, sizeof avail);
            return mc_error_set(MC_STATUS_FORMAT, "%s: no column '%s'; label columns: %s", s->index_path, cols[c], avail);
        }
    out->n = s->n;
    out->cols = mc_calloc((size_t)n_cols, sizeof *out->cols);
    out->codes = mc_calloc((size_t)n_cols, sizeof *out->codes);
    out->track_codes = mc_calloc((size_t)n_cols, sizeof *out->track_codes);
    out->classes = mc_calloc((size_t)n_cols, sizeof *out->classes);
    out->n_classes = mc_calloc((size_t)n_cols, sizeof *out->n_classes);
    mc_status st = out->cols && out->codes && out->track_codes && out->classes && out->n_classes ? MC_STATUS_OK
                                                                                                   : MC_STATUS_NO_MEMORY;
    for (int c = 0; st == MC_STATUS_OK && c < n_cols; c++) {
        out->n_cols = c + 1;
        if (!(out->cols[c] = mc_strdup(cols[c])) || !(out->codes[c] = mc_calloc((size_t)s->n, sizeof(int32_t))))
            st = MC_STATUS_NO_MEMORY;
        else
            st = mc_store_label_codes(s, cols[c], out->codes[c], &out->classes[c], &out->n_classes[c]);
    }
    int64_t *first = NULL; // (n_tracks) first row of each track
    if (st == MC_STATUS_OK && tracks) {
        out->track_of = mc_calloc((size_t)s->n, sizeof *out->track_of);
        st = out->track_of ? dense_tracks(s, out->track_of, &out->n_tracks) : MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && !(first = mc_calloc((size_t)out->n_tracks, sizeof *first))) st = MC_STATUS_NO_MEMORY;
        for (int64_t i = s->n - 1; st == MC_STATUS_OK && i >= 0; i--) first[out->track_of[i]] = i;
        for (int c = 0; st == MC_STATUS_OK && c < n_cols; c++) {
            out->track_codes[c] = mc_calloc((size_t)out->n_tracks, sizeof(int32_t));
            st = out->track_codes[c] ? track_classes(s, out, c, first) : MC_STATUS_NO_MEMORY;
        }
    }
    free(first);
    if (st != MC_STATUS_OK) mc_pipeline_score_labels_free(out);
    return st;
}

/* ---------------------------------------------------------------- the table */

enum { N_INTERNAL = 3, PER_COLUMN = 4 /* ari, ami, nmi, purity */ };

mc_status mc_pipeline_score_table(const mc_score_labels *L, bool common, bool tracks, mc_report_table *t) {
    return mc_pipeline_score_table_losses(L, common, tracks, false, t);
}

mc_status mc_pipeline_score_table_losses(const mc_score_labels *L, bool common, bool tracks, bool losses,
                                         mc_report_table *t) {
    static const char *const internal[] = {"silhouette", "calinski_harabasz", "davies_bouldin",
                                           "silhouette_common", "calinski_harabasz_common",
                                           "davies_bouldin_common"};
    const int ni = common ? 2 * N_INTERNAL : N_INTERNAL, total = ni + PER_COLUMN * L->n_cols + 2 + (losses ? 2 : 0);
    char **v = mc_calloc((size_t)total, sizeof *v);
    if (!v) return MC_STATUS_NO_MEMORY;
    int k = 0;
    for (int i = 0; i < ni; i++) v[k++] = mc_strdup(internal[i]);
    for (int c = 0; c < L->n_cols; c++) {
        v[k++] = mc_sprintf("ari_%s", L->cols[c]);
        v[k++] = mc_sprintf("ami_%s", L->cols[c]);
        v[k++] = mc_sprintf("nmi_%s", L->cols[c]);
        v[k++] = mc_sprintf("purity_%s", L->cols[c]);
    }
    v[k++] = mc_strdup("n_clusters");
    v[k++] = mc_strdup("noise_fraction");
    if (losses) {
        v[k++] = mc_strdup("recon_loss");
        v[k++] = mc_strdup("kl");
    }
    mc_status st = MC_STATUS_OK;
    for (int i = 0; i < total; i++)
        if (!v[i]) st = MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_report_table_init(t, (const char *const *)v, total);
    for (int i = 0; i < total; i++) free(v[i]);
    free(v);
    for (int c = 0; st == MC_STATUS_OK && c < L->n_cols; c++) {
        int64_t us = 0, ut = 0;
        for (int64_t i = 0; i < L->n; i++) us += L->codes[c][i] < 0;
        for (int64_t i = 0; tracks && i < L->n_tracks; i++) ut += L->track_codes[c][i] < 0;
        st = mc_report_table_add_column(t, L->cols[c], L->n_classes[c], us, tracks ? ut : -1);
    }
    if (st != MC_STATUS_OK) mc_report_table_free(t);
    return st;
}

/* ---------------------------------------------------------------- scoring */

/* One level of one seed: the space, the common space, the clusters and the classes. */
typedef struct level_data {
    const char *name;            /* "segment" / "track" */
    const float *X;              /* (n, d) own space */
    const float *C;              /* (n, dc) common space, or NULL */
    int64_t n;
    const int32_t *cl;           /* (n) */
    int32_t *const *codes;       /* per column (n) */
} level_data;

/* Scores of one clustering at one level into vals[m * seeds + s] for metric m (the table's columns). */
static mc_status score_level(const mc_score_labels *L, const mc_score_input *in, const mc_metrics_opts *opts,
                             const level_data *D, int s, double *vals, char *note, size_t note_cap,
                             mc_score_contingency_fn contingency, void *user) {
    const size_t S = (size_t)in->seeds;
    mc_metrics_opts mo = *opts;
    if (D->name[0] != 's') mo.progress = NULL; /* the bar follows the segment-level silhouette only */
    mc_internal_scores a, b;
    mc_status st = mc_metrics_internal(D->X, D->n, in->d, D->cl, &mo, &a);
    mo.progress = NULL;
    if (st == MC_STATUS_OK && D->C) st = mc_metrics_internal(D->C, D->n, in->dc, D->cl, &mo, &b);
    if (st != MC_STATUS_OK) return st;
    const int ni = D->C ? 2 * N_INTERNAL : N_INTERNAL;
    const double iv[2 * N_INTERNAL] = {a.silhouette, a.calinski_harabasz, a.davies_bouldin,
                                       D->C ? b.silhouette : NAN, D->C ? b.calinski_harabasz : NAN,
                                       D->C ? b.davies_bouldin : NAN};
    for (int m = 0; m < ni; m++) vals[(size_t)m * S + (size_t)s] = iv[m];
    if (a.note[0] && note && !note[0])
        snprintf(note, note_cap, "%s level, seed %llu: internal metrics undefined (%s)", D->name,
                 (unsigned long long)(in->first_seed + (uint64_t)s), a.note);
    /* the bound of the silhouette (issue 11), said where the scores are: the row's note */
    if (a.silhouette_sampled && note && s == 0) {
        size_t used = strlen(note);
        if (used + 2 < note_cap)
            snprintf(note + used, note_cap - used, "%s%s silhouette on a seeded sample of %lld of %lld rows "
                     "(standard error %.2g; exact: --silhouette-sample 0)", used ? "; " : "", D->name,
                     (long long)a.silhouette_rows, (long long)D->n, a.silhouette_se);
    }
    for (int c = 0; c < L->n_cols; c++) {
        mc_contingency ct;
        st = mc_metrics_contingency(D->cl, D->codes[c], D->n, L->n_classes[c], (const char *const *)L->classes[c], &ct);
        if (st != MC_STATUS_OK) return st;
        double *v = vals + (size_t)(ni + PER_COLUMN * c) * S + (size_t)s;
        v[0] = mc_metrics_ari(&ct);
        v[S] = mc_metrics_ami(&ct);
        v[2 * S] = mc_metrics_nmi(&ct);
        v[3 * S] = mc_metrics_purity(&ct);
        if (s == 0 && contingency) st = contingency(user, D->name, L->cols[c], &ct);
        mc_metrics_contingency_free(&ct);
        if (st != MC_STATUS_OK) return st;
    }
    vals[(size_t)(ni + PER_COLUMN * L->n_cols) * S + (size_t)s] = a.n_clusters;
    vals[(size_t)(ni + PER_COLUMN * L->n_cols + 1) * S + (size_t)s] = D->n ? (double)a.n_noise / (double)D->n : 0;
    return MC_STATUS_OK;
}

mc_status mc_pipeline_score(const mc_score_labels *L, const mc_score_input *in, const mc_metrics_opts *opts_in,
                            mc_score_contingency_fn contingency, void *user, mc_report_table *t) {
    if (!L || !in || !t || in->seeds < 1 || !in->X || !in->clusters || in->d < 1 || (in->common && in->dc < 1))
        return mc_error_set(MC_STATUS_INVALID_ARG, "score: bad input");
    const int ni = in->common ? 2 * N_INTERNAL : N_INTERNAL, nm0 = ni + PER_COLUMN * L->n_cols + 2;
    const bool losses = t->n_metrics == nm0 + 2 && strcmp(t->metrics[nm0], "recon_loss") == 0;
    const int nm = losses ? nm0 + 2 : nm0;
    if (t->n_metrics != nm)
        return mc_error_set(MC_STATUS_INVALID_ARG, "score: the table has %d metric columns, the input %d", t->n_metrics, nm);
    mc_metrics_opts opts;
    if (opts_in) opts = *opts_in;
    else mc_metrics_opts_default(&opts);
    const int64_t n = L->n, T = L->track_of ? L->n_tracks : 0;
    const int S = in->seeds;
    const size_t nv = (size_t)nm * (size_t)S;
    double *vseg = mc_calloc(nv, sizeof *vseg), *vtrk = mc_calloc(nv, sizeof *vtrk); // (nm, S)
    int32_t *tcl = T ? mc_calloc((size_t)T, sizeof *tcl) : NULL;                     // (T)
    float *Ct = T && in->common ? mc_alloc((size_t)T * (size_t)in->dc, sizeof *Ct) : NULL; // (T, dc) track means
    float *Xt = T ? mc_alloc((size_t)T * (size_t)in->d, sizeof *Xt) : NULL;              // (T, d) track means
    mc_status st = vseg && vtrk && (!T || (tcl && Xt && (!in->common || Ct))) ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    char note[512] = "";
    for (size_t i = 0; st == MC_STATUS_OK && i < nv; i++) vseg[i] = vtrk[i] = NAN;
    if (st == MC_STATUS_OK && Ct) st = mc_metrics_track_means(in->common, n, in->dc, L->track_of, T, Ct);
    for (int s = 0; st == MC_STATUS_OK && s < S; s++) {
        if (!in->X[s] || !in->clusters[s]) {
            st = mc_error_set(MC_STATUS_INVALID_ARG, "score: no space or clusters for seed %d", s);
            break;
        }
        level_data seg = {"segment", in->X[s], in->common, n, in->clusters[s], L->codes};
        st = score_level(L, in, &opts, &seg, s, vseg, note, sizeof note, contingency, user);
        if (st != MC_STATUS_OK || !T) continue;
        if (s == 0 || in->X[s] != in->X[s - 1]) st = mc_metrics_track_means(in->X[s], n, in->d, L->track_of, T, Xt);
        if (st == MC_STATUS_OK) st = mc_metrics_track_vote(in->clusters[s], L->track_of, n, T, tcl);
        level_data trk = {"track", Xt, Ct, T, tcl, L->track_codes};
        if (st == MC_STATUS_OK) st = score_level(L, in, &opts, &trk, s, vtrk, note, sizeof note, contingency, user);
    }
    for (int s = 0; losses && s < S; s++) /* a model's losses: the same at both levels */
        for (int j = 0; j < 2; j++) {
            const double *src = j ? in->kl : in->recon;
            vseg[(size_t)(nm0 + j) * S + (size_t)s] = vtrk[(size_t)(nm0 + j) * S + (size_t)s] = src ? src[s] : NAN;
        }
    if (st == MC_STATUS_OK)
        st = mc_report_table_add(t, in->task, in->representation, in->algorithm, "segment", in->k, n, in->leaked, note,
                                 S, vseg);
    if (st == MC_STATUS_OK && T)
        st = mc_report_table_add(t, in->task, in->representation, in->algorithm, "track", in->k, T, in->leaked, note,
                                 S, vtrk);
    free(vseg);
    free(vtrk);
    free(tcl);
    mc_free(Ct);
    mc_free(Xt);
    return st;
}
