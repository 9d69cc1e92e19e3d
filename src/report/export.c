/* Exports of a clustering in formats other tools read (report.h): Audacity / Sonic Visualiser label
 * files per track, and the TensorBoard projector's tensors.tsv + metadata.tsv of a latent. */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the feature store's side */

/* What the exports need of a feature store: index.tsv, the tracks' durations, the segment length. */
typedef struct ex_store {
    mc_table index;
    int pc, tc, sc;       /* path, track, start_s columns of index.tsv */
    double segment_s;     /* extract.json segment_s; 0 = whole tracks */
    double *duration;     /* (index rows) the track's duration from tracks.tsv, NAN if unknown */
} ex_store;

static void ex_store_free(ex_store *s) {
    if (s->index.header) mc_table_free(&s->index);
    free(s->duration);
    memset(s, 0, sizeof *s);
}

static double read_segment_s(const char *featdir) {
    char *p = mc_sprintf("%s/extract.json", featdir);
    FILE *f = p ? fopen(p, "rb") : NULL;
    free(p);
    if (!f) return 0;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    mc_json_value *doc = mc_json_parse(buf, NULL);
    const mc_json_value *v = doc ? mc_json_member(doc, "segment_s") : NULL;
    double s = v && v->type == MC_JSON_NUMBER ? v->num : 0;
    mc_json_value_free(doc);
    return s > 0 ? s : 0;
}

/* Open the store's index for an export of n rows and create out_dir. */
static mc_status ex_store_open(const char *featdir, int64_t n, const char *out_dir, ex_store *s) {
    memset(s, 0, sizeof *s);
    char *p = mc_sprintf("%s/index.tsv", featdir);
    if (!p) return MC_STATUS_NO_MEMORY;
    mc_status st = mc_table_read(p, '\t', &s->index);
    if (st != MC_STATUS_OK) {
        free(p);
        return st;
    }
    s->pc = mc_table_column(&s->index, "path");
    s->tc = mc_table_column(&s->index, "track");
    s->sc = mc_table_column(&s->index, "start_s");
    if (s->pc < 0 || s->sc < 0) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no path or start_s column (not a feature store's index)", p);
    } else if (s->index.nrows != n) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s has %lld rows but the clustering has %lld", p, (long long)s->index.nrows,
                          (long long)n);
    }
    free(p);
    if (st != MC_STATUS_OK) {
        ex_store_free(s);
        return st;
    }
    s->segment_s = read_segment_s(featdir);
    s->duration = mc_calloc((size_t)(n ? n : 1), sizeof *s->duration);
    if (!s->duration) {
        ex_store_free(s);
        return mc_error_nomem("exports: out of memory allocating the segment durations");
    }
    for (int64_t i = 0; i < n; i++) s->duration[i] = NAN;
    mc_table tracks;
    p = mc_sprintf("%s/tracks.tsv", featdir);
    if (p && rp_read_optional(p, '\t', &tracks)) {
        const int dc = mc_table_column(&tracks, "duration_s"), tp = mc_table_column(&tracks, "path");
        for (int64_t i = 0; dc >= 0 && tp >= 0 && s->tc >= 0 && i < n; i++) {
            char *e = NULL;
            long long t = strtoll(mc_table_get(&s->index, i, s->tc), &e, 10);
            if (e && !*e && t >= 0 && t < tracks.nrows && strcmp(mc_table_get(&tracks, t, tp), mc_table_get(&s->index, i, s->pc)) == 0)
                s->duration[i] = strtod(mc_table_get(&tracks, t, dc), NULL);
        }
        mc_table_free(&tracks);
    }
    free(p);
    /* the export's folder */
    if ((st = mc_mkdirs(out_dir)) != MC_STATUS_OK) ex_store_free(s);
    return st;
}

static double ex_start(const ex_store *s, int64_t i) { return strtod(mc_table_get(&s->index, i, s->sc), NULL); }

static double ex_end(const ex_store *s, int64_t i) {
    const double a = ex_start(s, i);
    if (s->segment_s > 0) return a + s->segment_s;
    return isfinite(s->duration[i]) ? s->duration[i] : a;
}

/* The file name without folder and extension. */
static void stem_of(const char *path, char *out, size_t cap) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    if (n >= cap) n = cap - 1;
    memcpy(out, b, n);
    out[n] = '\0';
    for (char *p = out; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
    if (!out[0] || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) snprintf(out, cap, "track");
}

/* ---------------------------------------------------------------- Audacity labels */

mc_status mc_report_export_labels(const char *featdir, const int32_t *clusters, int64_t n, const char *out_dir,
                                  int64_t *n_files) {
    if (!featdir || !out_dir || (n > 0 && !clusters)) return mc_error_set(MC_STATUS_INVALID_ARG, "label export: NULL argument");
    if (n_files) *n_files = 0;
    ex_store s;
    mc_status st = ex_store_open(featdir, n, out_dir, &s);
    if (st != MC_STATUS_OK) return st;
    /* One file per track: the rows of a track are consecutive in index.tsv (data.h), a new path starts
     * a new file. Two tracks with one stem (same name in two folders) get ".2", ".3"... */
    char **stems = NULL;
    int64_t n_stems = 0, cap_stems = 0, written = 0;
    int64_t i = 0;
    while (i < n && st == MC_STATUS_OK) {
        const char *path = mc_table_get(&s.index, i, s.pc);
        int64_t j = i;
        while (j < n && strcmp(mc_table_get(&s.index, j, s.pc), path) == 0) j++;
        char stem[256], name[300];
        stem_of(path, stem, sizeof stem);
        int dup = 1;
        for (int64_t k = 0; k < n_stems; k++) dup += strcmp(stems[k], stem) == 0;
        if (n_stems == cap_stems) {
            cap_stems = cap_stems ? 2 * cap_stems : 64;
            char **t = mc_realloc(stems, (size_t)cap_stems, sizeof *t);
            if (!t) {
                st = mc_error_nomem("label export: out of memory growing the list of %lld file stems", (long long)cap_stems);
                break;
            }
            stems = t;
        }
        if (!(stems[n_stems] = mc_strdup(stem))) {
            st = mc_error_nomem("label export: out of memory copying the file stem '%s'", stem);
            break;
        }
        n_stems++;
        if (dup > 1) snprintf(name, sizeof name, "%s.%d.txt", stem, dup);
        else snprintf(name, sizeof name, "%s.txt", stem);
        mc_memfile mf;
        char *out = mc_sprintf("%s/%s", out_dir, name);
        if (!out || (st = mc_memfile_open(&mf, out)) != MC_STATUS_OK) {
            free(out);
            if (st == MC_STATUS_OK) st = MC_STATUS_NO_MEMORY; // mc_sprintf named the path being formatted
            break;
        }
        /* Audacity's label track text: start<TAB>end<TAB>label, seconds with 6 decimals */
        for (int64_t r = i; r < j; r++) {
            if (clusters[r] >= 0) fprintf(mf.f, "%.6f\t%.6f\tcluster %d\n", ex_start(&s, r), ex_end(&s, r), (int)clusters[r]);
            else fprintf(mf.f, "%.6f\t%.6f\tnoise\n", ex_start(&s, r), ex_end(&s, r));
        }
        st = mc_memfile_commit(&mf, out);
        free(out);
        written += st == MC_STATUS_OK;
        i = j;
    }
    for (int64_t k = 0; k < n_stems; k++) free(stems[k]);
    free(stems);
    ex_store_free(&s);
    if (n_files) *n_files = written;
    return st;
}

/* ---------------------------------------------------------------- TensorBoard projector */

/* A metadata cell: tabs and line breaks would split the row, so they become spaces. */
static void tsv_cell(FILE *f, const char *s) {
    for (; s && *s; s++) fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

mc_status mc_report_export_projector(const char *featdir, const float *x, int64_t n, int64_t d, const int32_t *clusters,
                                     const char *out_dir) {
    if (!featdir || !out_dir || (n > 0 && (!x || d < 1))) return mc_error_set(MC_STATUS_INVALID_ARG, "projector export: bad argument");
    ex_store s;
    mc_status st = ex_store_open(featdir, n, out_dir, &s);
    if (st != MC_STATUS_OK) return st;
    char *p = mc_sprintf("%s/tensors.tsv", out_dir);
    mc_memfile mf;
    if (!p || (st = mc_memfile_open(&mf, p)) != MC_STATUS_OK) goto done;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t k = 0; k < d; k++) {
            const float v = x[i * d + k];
            fprintf(mf.f, k ? "\t%.9g" : "%.9g", isfinite(v) ? (double)v : 0.0);
        }
        fputc('\n', mf.f);
    }
    if ((st = mc_memfile_commit(&mf, p)) != MC_STATUS_OK) goto done;
    free(p);
    /* metadata.tsv: a header row (the projector reads one when there are several columns), then one
     * row per tensor row: file, start_s, end_s, cluster, the label columns */
    p = mc_sprintf("%s/metadata.tsv", out_dir);
    if (!p || (st = mc_memfile_open(&mf, p)) != MC_STATUS_OK) goto done;
    fputs("file\tstart_s\tend_s", mf.f);
    if (clusters) fputs("\tcluster", mf.f);
    static const char *const fixed[] = {"segment", "track", "path", "start_s", "padded"};
    bool *label = mc_calloc((size_t)s.index.ncols, sizeof *label);
    if (!label) {
        mc_memfile_commit(&mf, p);
        st = mc_error_nomem("projector export: out of memory allocating the label column flags");
        goto done;
    }
    for (int j = 0; j < s.index.ncols; j++) {
        label[j] = true;
        for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++) label[j] &= strcmp(s.index.header[j], fixed[k]) != 0;
        if (label[j]) {
            fputc('\t', mf.f);
            tsv_cell(mf.f, s.index.header[j]);
        }
    }
    fputc('\n', mf.f);
    for (int64_t i = 0; i < n; i++) {
        const char *path = mc_table_get(&s.index, i, s.pc), *b = strrchr(path, '/');
        tsv_cell(mf.f, b ? b + 1 : path);
        fprintf(mf.f, "\t%.3f\t%.3f", ex_start(&s, i), ex_end(&s, i));
        if (clusters) fprintf(mf.f, "\t%d", (int)clusters[i]);
        for (int j = 0; j < s.index.ncols; j++)
            if (label[j]) {
                fputc('\t', mf.f);
                tsv_cell(mf.f, mc_table_get(&s.index, i, j));
            }
        fputc('\n', mf.f);
    }
    free(label);
    if ((st = mc_memfile_commit(&mf, p)) != MC_STATUS_OK) goto done;
    free(p);
    /* for `tensorboard --logdir OUT_DIR`: the projector plugin reads this file */
    p = mc_sprintf("%s/projector_config.pbtxt", out_dir);
    {
        static const char cfg[] = "embeddings {\n  tensor_name: \"musiclust\"\n  tensor_path: \"tensors.tsv\"\n"
                                  "  metadata_path: \"metadata.tsv\"\n}\n";
        st = p ? mc_file_write_atomic(p, cfg, sizeof cfg - 1) : mc_error_nomem("projector export: out of memory composing the path of projector_config.pbtxt");
    }
done:
    free(p);
    ex_store_free(&s);
    return st;
}

/* ---------------------------------------------------------------- the exports of a run */

int mc_report_verdict_row(const mc_report_table *t, const char *main_label, const char *level) {
    if (!t || !level) return -1;
    char name[300];
    const char *metrics[2] = {NULL, "silhouette_common"};
    if (main_label && *main_label) {
        snprintf(name, sizeof name, "ari_%s", main_label);
        metrics[0] = name;
    }
    for (int k = 0; k < 2; k++) {
        const int m = metrics[k] ? mc_report_table_metric(t, metrics[k]) : -1;
        if (m < 0) continue;
        const int dir = mc_report_metric_direction(metrics[k]);
        int best = -1;
        for (int i = 0; i < t->n_rows; i++) {
            const mc_report_row *r = &t->rows[i];
            if (r->leaked[0] || strcmp(r->level, level) != 0 || !isfinite(r->mean[m])) continue;
            if (best < 0 || (dir > 0 ? r->mean[m] > t->rows[best].mean[m] : r->mean[m] < t->rows[best].mean[m])) best = i;
        }
        if (best >= 0) return best;
    }
    return -1;
}

mc_status mc_report_exports(const char *results, mc_report_exports_summary *out) {
    if (!results) return mc_error_set(MC_STATUS_INVALID_ARG, "exports: NULL results folder");
    mc_report_exports_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.row = -1;
    mc_report_table t;
    char *p = mc_report_path(results, MC_REPORT_METRICS_CSV);
    mc_status st = p ? mc_report_table_read_csv(p, &t) : MC_STATUS_NO_MEMORY;
    free(p);
    if (st != MC_STATUS_OK) return st;
    rp_kv summary;
    p = mc_report_path(results, MC_REPORT_SUMMARY);
    summary.ok = rp_read_optional(p, '\t', &summary.t);
    free(p);
    mc_table reps;
    p = mc_report_path(results, MC_REPORT_REPRESENTATIONS);
    const bool have_reps = rp_read_optional(p, '\t', &reps);
    free(p);
    const char *main_label = rp_kv_get(&summary, "main_label"), *fs = rp_kv_get(&summary, "first_seed");
    const uint64_t seed = fs && *fs ? strtoull(fs, NULL, 10) : 0;
    const int row = mc_report_verdict_row(&t, main_label, "segment");
    const int nc = have_reps ? mc_table_column(&reps, "name") : -1, ic = have_reps ? mc_table_column(&reps, "id") : -1;
    const char *id = NULL;
    for (int64_t r = 0; row >= 0 && nc >= 0 && ic >= 0 && r < reps.nrows; r++)
        if (strcmp(mc_table_get(&reps, r, nc), t.rows[row].representation) == 0) id = mc_table_get(&reps, r, ic);
    char *feat = mc_report_path(results, MC_REPORT_FEATURES);
    mc_array z = {0};
    int32_t *cl = NULL;
    if (!id || !feat) { /* nothing to export: no clean row, or no representation of it */
        snprintf(sum.note, sizeof sum.note, "no exports: no clean row with an ARI or a common-space silhouette");
        goto out;
    }
    sum.row = row;
    snprintf(sum.representation, sizeof sum.representation, "%s", id);
    snprintf(sum.algorithm, sizeof sum.algorithm, "%s", t.rows[row].algorithm);
    /* the first seed's latent (seeded, else shared by every seed) and assignments */
    p = mc_report_path_latent(results, id, true, seed);
    if (!p || !rp_file_exists(p)) {
        free(p);
        p = mc_report_path_latent(results, id, false, 0);
    }
    if (p && !rp_file_exists(p)) { /* a results folder without its latents (copied without them) */
        snprintf(sum.note, sizeof sum.note, "no exports: latents/%s.npy (or .seed%llu.npy) is missing", id, (unsigned long long)seed);
        sum.row = -1;
        free(p);
        goto out;
    }
    if (!p || mc_npy_read_f32(p, &z) != MC_STATUS_OK || z.ndim != 2) {
        st = p ? mc_error_set(MC_STATUS_FORMAT, "exports: %s is not an (n, d) latent", p) : MC_STATUS_NO_MEMORY;
        free(p);
        goto out;
    }
    free(p);
    cl = mc_calloc((size_t)(z.shape[0] ? z.shape[0] : 1), sizeof *cl);
    p = mc_report_path_assign(results, id, t.rows[row].algorithm, seed);
    st = !cl || !p ? mc_error_nomem("exports: out of memory allocating the cluster labels or their path")
                   : mc_report_assign_read(p, z.shape[0], "the latent", cl);
    free(p);
    if (st != MC_STATUS_OK) goto out;
    p = mc_sprintf("%s/exports/labels/%s.%s", results, id, t.rows[row].algorithm);
    st = p ? mc_report_export_labels(feat, cl, z.shape[0], p, &sum.label_files) : MC_STATUS_NO_MEMORY;
    free(p);
    if (st != MC_STATUS_OK) goto out;
    p = mc_sprintf("%s/exports/projector/%s", results, id);
    st = p ? mc_report_export_projector(feat, z.data, z.shape[0], z.shape[1], cl, p) : MC_STATUS_NO_MEMORY;
    free(p);
    if (st != MC_STATUS_OK) goto out;
    sum.rows = z.shape[0];
    p = mc_sprintf("%s/exports/README.txt", results);
    {
        char *text = mc_sprintf(
            "Exports of the clustering the report's verdict names: %s with %s (first seed).\n\n"
            "labels/%s.%s/<file>.txt  one per track, Audacity's label format: start<TAB>end<TAB>cluster N, in\n"
            "    seconds, one line per segment. Audacity: File > Import > Labels; Sonic Visualiser: File > Import\n"
            "    Annotation Layer (columns: time, end time, label).\n"
            "projector/%s/  tensors.tsv (one latent vector per segment) and metadata.tsv (file, start_s, end_s,\n"
            "    cluster, labels; a header row) for TensorBoard's projector: load both at\n"
            "    projector.tensorflow.org, or `tensorboard --logdir projector/%s` (projector_config.pbtxt).\n",
            t.rows[row].representation, t.rows[row].algorithm, id, t.rows[row].algorithm, id, id);
        st = p && text ? mc_file_write_atomic(p, text, strlen(text)) : mc_error_nomem("exports: out of memory composing the README");
        free(text);
    }
    free(p);
out:
    mc_array_free(&z);
    free(cl);
    free(feat);
    mc_report_table_free(&t);
    if (summary.ok) mc_table_free(&summary.t);
    if (have_reps) mc_table_free(&reps);
    if (out) *out = sum;
    return st;
}
