/* `musiclust evaluate` as a library function (pipeline.h, mc_pipeline_evaluate): one clustering of an
 * array scored by mc_pipeline_score, the scoring `musiclust run` uses, into the same metrics.csv and
 * metrics.json schema (report.h), with the contingency table of every label column. */
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mc_evaluate_outcome_free(mc_evaluate_outcome *o) {
    if (!o) return;
    mc_report_table_free(&o->table);
    for (int i = 0; i < o->n_files; i++) free(o->files[i]);
    free(o->files);
    memset(o, 0, sizeof *o);
}

static mc_status add_file(mc_evaluate_outcome *o, char *path) {
    if (!path) return MC_STATUS_NO_MEMORY;
    char **f = mc_realloc(o->files, (size_t)o->n_files + 1, sizeof *f);
    if (!f) {
        free(path);
        return MC_STATUS_NO_MEMORY;
    }
    o->files = f;
    o->files[o->n_files++] = path;
    return MC_STATUS_OK;
}

/* An (N, ...) float array flattened to (N, D) with finite values only. */
static mc_status read_rows(const char *path, mc_array *a, int64_t *n, int *d) {
    mc_status st = mc_npy_read_f32(path, a);
    if (st != MC_STATUS_OK) return st;
    int64_t dd = 1;
    for (int i = 1; i < a->ndim; i++) dd *= a->shape[i];
    if (a->ndim < 1 || a->shape[0] < 1) return mc_error_set(MC_STATUS_FORMAT, "%s: no rows", path);
    if (dd < 1 || dd > INT32_MAX) return mc_error_set(MC_STATUS_FORMAT, "%s: %lld features per row", path, (long long)dd);
    *n = a->shape[0];
    *d = (int)dd;
    const float *X = a->data;
    for (int64_t i = 0; i < *n * dd; i++)
        if (!isfinite(X[i]))
            return mc_error_set(MC_STATUS_FORMAT, "%s: row %lld has a %s value (column %lld); metrics need finite values",
                                path, (long long)(i / dd), isnan(X[i]) ? "NaN" : "infinite", (long long)(i % dd));
    return MC_STATUS_OK;
}

/* File-name-safe copy of a column name. */
static void safe_name(const char *s, char *out, size_t cap) {
    size_t i = 0;
    for (; *s && i + 1 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                    ch == '_' || ch == '.' || ch >= 0x80;
        out[i++] = keep ? (char)ch : '_';
    }
    out[i] = '\0';
}

typedef struct sink {
    const char *prefix;
    mc_evaluate_outcome *out;
    mc_dist *dist; /* rank 0 writes; the outcome is checked on every rank */
} sink;

/* PREFIX.contingency_<column>[.track].tsv of the first (only) seed. */
static mc_status write_contingency(void *user, const char *level, const char *column, const mc_contingency *ct) {
    const sink *k = user;
    char safe[256];
    safe_name(column, safe, sizeof safe);
    char *path = mc_sprintf("%s.contingency_%s%s.tsv", k->prefix, safe, level[0] == 't' ? ".track" : "");
    mc_status st = !path ? MC_STATUS_NO_MEMORY : mc_dist_rank(k->dist) == 0 ? mc_metrics_contingency_write(ct, path)
                                                                         : MC_STATUS_OK;
    /* every rank gets here in the same order (the scoring is the same everywhere): a write failing on
     * rank 0 stops every rank before the next collective silhouette */
    if (mc_dist_size(k->dist) > 1) st = mc_dist_check(k->dist, st);
    if (st != MC_STATUS_OK) {
        free(path);
        return st;
    }
    return add_file(k->out, path);
}

/* The file name of path without folders and the .npy extension. */
static void stem(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".npy") == 0) len -= 4;
    snprintf(out, cap, "%.*s", (int)len, base);
}

/* The label side from the index: the columns, and warnings about what will not be scored. */
static mc_status labels_side(const mc_evaluate_config *c, int64_t n, mc_store *store, mc_score_labels *L) {
    mc_status st = mc_store_open_index(c->labels, store);
    if (st != MC_STATUS_OK) return st;
    if (store->n != n)
        return mc_error_set(MC_STATUS_FORMAT, "%s has %lld rows but %s has %lld; they must match row for row",
                            store->index_path, (long long)store->n, c->x_path, (long long)n);
    int nl = 0;
    const char *const *all = mc_store_label_columns(store, &nl);
    for (int l = 0; l < c->n_leaked; l++) {
        bool found = false;
        for (int i = 0; i < nl; i++) found |= strcmp(all[i], c->leaked[l]) == 0;
        if (!found) {
            char avail[1024] = "";
            for (int i = 0; i < nl && strlen(avail) < 900; i++)
                snprintf(avail + strlen(avail), sizeof avail - strlen(avail), "%s%s", i ? ", " : "", all[i]);
            return mc_error_set(MC_STATUS_FORMAT, "%s: --leaked %s: no such column; label columns: %s", store->index_path,
                                c->leaked[l], avail[0] ? avail : "(none)");
        }
    }
    st = mc_pipeline_score_labels(store, c->columns, c->n_columns, c->track_level, L);
    if (st != MC_STATUS_OK) return st;
    if (L->n_cols == 0)
        mc_log(MC_LOG_LEVEL_WARN, "%s: no label column to score by default; only the internal metrics are computed",
               store->index_path);
    for (int l = 0; l < c->n_leaked; l++) {
        bool scored = false;
        for (int k = 0; k < L->n_cols; k++) scored |= strcmp(L->cols[k], c->leaked[l]) == 0;
        if (!scored)
            mc_log(MC_LOG_LEVEL_WARN, "--leaked %s: the column is not evaluated (add --column %s), nothing to mark",
                   c->leaked[l], c->leaked[l]);
    }
    return MC_STATUS_OK;
}

mc_status mc_pipeline_evaluate(const mc_evaluate_config *c, mc_evaluate_outcome *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "evaluate: NULL outcome");
    memset(out, 0, sizeof *out);
    if (!c || !c->x_path || !c->assign_path || !c->prefix)
        return mc_error_set(MC_STATUS_INVALID_ARG, "evaluate: no X, ASSIGN.tsv or output prefix");
    if ((c->n_columns > 0 || c->n_leaked > 0 || c->track_level) && !c->labels)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s needs --labels FEATDIR/index.tsv",
                            c->n_columns > 0 ? "--column" : c->n_leaked > 0 ? "--leaked" : "--track-level");
    mc_array xa = {0}, za = {0};
    int64_t n = 0, nz = 0;
    int d = 0, dc = 0;
    int32_t *clusters = NULL; // (n)
    mc_store store;
    memset(&store, 0, sizeof store);
    mc_score_labels L;
    memset(&L, 0, sizeof L);
    char *leaked = NULL;
    mc_status st = read_rows(c->x_path, &xa, &n, &d);
    if (st == MC_STATUS_OK && c->common_path) {
        st = read_rows(c->common_path, &za, &nz, &dc);
        if (st == MC_STATUS_OK && (za.ndim < 2 || nz != n))
            st = mc_error_set(MC_STATUS_FORMAT, "%s: expected (%lld, D) rows matching %s, got %d dimension%s with %lld rows",
                              c->common_path, (long long)n, c->x_path, za.ndim, za.ndim == 1 ? "" : "s", (long long)nz);
    }
    if (st == MC_STATUS_OK && !(clusters = mc_calloc((size_t)n, sizeof *clusters))) st = MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_report_assign_read(c->assign_path, n, "X", clusters);
    if (st == MC_STATUS_OK && c->labels) st = labels_side(c, n, &store, &L);
    if (st == MC_STATUS_OK && !c->labels) L.n = n;
    /* a rank that could not read an input stops every rank here, before the collectives of the scoring */
    if (mc_dist_size(c->dist) > 1) st = mc_dist_check(c->dist, st);
    if (st == MC_STATUS_OK) st = mc_pipeline_score_table(&L, c->common_path != NULL, c->track_level, &out->table);
    const char *keys[4] = {"x", "assign", "labels", "common_space"};
    const char *vals[4] = {c->x_path, c->assign_path, c->labels, c->common_path};
    for (int i = 0; i < 4 && st == MC_STATUS_OK; i++) st = mc_report_table_add_input(&out->table, keys[i], vals[i]);
    /* the leaked columns as the table lists them, ';'-separated */
    size_t len = 1;
    for (int l = 0; l < c->n_leaked; l++) len += strlen(c->leaked[l]) + 1;
    if (st == MC_STATUS_OK && !(leaked = mc_calloc(len, 1))) st = MC_STATUS_NO_MEMORY;
    for (int l = 0; st == MC_STATUS_OK && l < c->n_leaked; l++) {
        if (l) strcat(leaked, ";");
        strcat(leaked, c->leaked[l]);
    }
    char name[256];
    stem(c->x_path, name, sizeof name);
    int k = 0; /* clusters in ASSIGN.tsv (noise aside) */
    for (int64_t i = 0; st == MC_STATUS_OK && i < n; i++)
        if (clusters[i] + 1 > k) k = clusters[i] + 1;
    const float *X = xa.data;
    const int32_t *cl = clusters;
    mc_score_input in = {"", name, "", k, leaked, 1, 0, &X, d, &cl, za.data, dc, NULL, NULL};
    sink snk = {c->prefix, out, c->dist};
    if (st == MC_STATUS_OK) st = add_file(out, mc_sprintf("%s.csv", c->prefix));
    if (st == MC_STATUS_OK) st = add_file(out, mc_sprintf("%s.json", c->prefix));
    mc_metrics_opts mo;
    mc_metrics_opts_default(&mo);
    mo.threads = c->threads;
    mo.block = c->block;
    mo.silhouette_sample = c->silhouette_sample;
    mo.dist = c->dist;
    mo.progress = st == MC_STATUS_OK && c->progress && n > 20000 ? c->progress(c->progress_user, "silhouette", 0) : NULL;
    if (st == MC_STATUS_OK) st = mc_pipeline_score(&L, &in, &mo, write_contingency, &snk, &out->table);
    if (st == MC_STATUS_OK) mc_progress_finish(mo.progress);
    mc_progress_free(mo.progress);
    const bool writer = mc_dist_rank(c->dist) == 0;
    if (st == MC_STATUS_OK && writer) st = mc_report_table_write_csv(&out->table, out->files[0]);
    if (st == MC_STATUS_OK && writer) st = mc_report_table_write_json(&out->table, out->files[1]);
    /* a write that failed on rank 0 fails every rank (no rank reports success alone) */
    if (mc_dist_size(c->dist) > 1) st = mc_dist_check(c->dist, st);
    free(leaked);
    free(clusters);
    mc_pipeline_score_labels_free(&L);
    mc_store_close(&store);
    mc_array_free(&xa);
    mc_array_free(&za);
    if (st != MC_STATUS_OK) {
        char msg[1024]; /* the cleanup must not lose the message */
        snprintf(msg, sizeof msg, "%s", mc_error_message());
        mc_evaluate_outcome_free(out);
        mc_error_set(st, "%s", msg);
    }
    return st;
}
