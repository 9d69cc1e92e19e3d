/* `musiclust assign` (pipeline.h): new songs into an existing RESULTS folder without retraining. */
#include "pipeline_internal.h"

#include <musiclust/models.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mc_assign_config_default(mc_assign_config *c) {
    memset(c, 0, sizeof *c);
    c->seed = -1;
}

/* A JSON file (at most 4 MiB) read with core's reader. */
static mc_status read_json(const char *path, mc_json_value **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return mc_error_set(MC_STATUS_IO, "%s: cannot read (not a musiclust run folder?)", path);
    char *buf = malloc(1 << 22);
    size_t n = buf ? fread(buf, 1, (1 << 22) - 1, f) : 0;
    fclose(f);
    if (!buf) return MC_STATUS_NO_MEMORY;
    buf[n] = '\0';
    const char *err = NULL;
    *out = mc_json_parse(buf, &err);
    free(buf);
    return *out ? MC_STATUS_OK : mc_error_set(MC_STATUS_FORMAT, "%s: not JSON (%s)", path, err ? err : "?");
}

static bool num(const mc_json_value *o, const char *key, double *out) {
    const mc_json_value *v = mc_json_member(o, key);
    if (!v || v->type != MC_JSON_NUMBER) return false;
    *out = v->num;
    return true;
}

/* The run's extraction parameters (features/extract.json) onto cfg. */
static mc_status run_extract_config(const char *results, mc_extract_config *cfg) {
    char *p = mc_report_path(results, MC_REPORT_FEATURES "/extract.json");
    if (!p) return MC_STATUS_NO_MEMORY;
    mc_json_value *j = NULL;
    mc_status st = read_json(p, &j);
    double v = 0;
    mc_dsp_config *d = &cfg->dsp;
    static const char *const keys[] = {"sr", "segment_s", "n_fft", "hop_length", "n_mels", "n_mfcc", "fmin", "fmax"};
    for (size_t i = 0; st == MC_STATUS_OK && i < sizeof keys / sizeof *keys; i++)
        if (!num(j, keys[i], &v)) st = mc_error_set(MC_STATUS_FORMAT, "%s: no number '%s'", p, keys[i]);
    if (st == MC_STATUS_OK) {
        num(j, "sr", &v), d->sr = (int)v;
        num(j, "segment_s", &cfg->segment_s);
        num(j, "n_fft", &v), d->n_fft = (int)v;
        num(j, "hop_length", &v), d->hop = (int)v;
        num(j, "n_mels", &v), d->n_mels = (int)v;
        num(j, "n_mfcc", &v), d->n_mfcc = (int)v;
        num(j, "fmin", &d->fmin);
        num(j, "fmax", &d->fmax);
        if (num(j, "top_db", &v)) d->top_db = v;
        if (cfg->segment_s == 0 && num(j, "logmel_frames", &v)) cfg->logmel_frames = (int)v;
        const mc_json_value *b = mc_json_member(j, "descriptors");
        if (b && b->type == MC_JSON_BOOL) cfg->descriptors = b->num != 0;
        b = mc_json_member(j, "tempo");
        if (b && b->type == MC_JSON_BOOL) cfg->tempo = b->num != 0;
    }
    mc_json_value_free(j);
    free(p);
    return st;
}

/* The run's first seed (run.json "seeds"[0]). */
static mc_status run_first_seed(const char *results, uint64_t *seed) {
    char *p = mc_report_path(results, MC_REPORT_RUN_JSON);
    if (!p) return MC_STATUS_NO_MEMORY;
    mc_json_value *j = NULL;
    mc_status st = read_json(p, &j);
    const mc_json_value *s = j ? mc_json_member(j, "seeds") : NULL;
    int64_t v = 0;
    if (st == MC_STATUS_OK && (!s || s->type != MC_JSON_ARRAY || s->n < 1 || !mc_json_int_value(s->items[0], &v) || v < 0))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no \"seeds\" list", p);
    if (st == MC_STATUS_OK) *seed = (uint64_t)v;
    mc_json_value_free(j);
    free(p);
    return st;
}

/* The representation: the one asked for, or the first usable one of representations.tsv. */
static mc_status pick_rep(const char *results, const char *want, char *id, size_t cap) {
    char *p = mc_report_path(results, MC_REPORT_REPRESENTATIONS);
    if (!p) return MC_STATUS_NO_MEMORY;
    mc_table t;
    mc_status st = mc_table_read(p, '\t', &t);
    if (st != MC_STATUS_OK) {
        free(p);
        return st;
    }
    const int ci = mc_table_column(&t, "id"), cm = mc_table_column(&t, "model"), cl = mc_table_column(&t, "leaked");
    bool found = false;
    char ids[512] = "";
    for (int64_t r = 0; ci >= 0 && cm >= 0 && r < t.nrows && !found; r++) {
        const char *rid = mc_table_get(&t, r, ci), *model = mc_table_get(&t, r, cm), *leak = cl >= 0 ? mc_table_get(&t, r, cl) : "";
        const bool usable = model[0] && strcmp(model, "cvae") != 0 && strcmp(model, "mm-vae") != 0 && !leak[0];
        size_t l = strlen(ids);
        if (usable) snprintf(ids + l, sizeof ids - l, "%s%s", l ? ", " : "", rid);
        if (want ? strcmp(rid, want) == 0 : usable) {
            found = true;
            if (!usable)
                st = mc_error_set(MC_STATUS_UNSUPPORTED, "%s: representation '%s' %s", p, rid,
                                  !model[0]            ? "is a fitted space (pca / raw / concat): no transform is saved, only trained models assign"
                                  : strcmp(model, "cvae") == 0 ? "is a cvae: it needs the new tracks' label"
                                                               : "reads lyrics: new tracks' lyrics are not embedded yet");
            snprintf(id, cap, "%s", rid);
        }
    }
    if (st == MC_STATUS_OK && !found)
        st = mc_error_set(MC_STATUS_INVALID_ARG, "%s: %s (representations that assign: %s)", p,
                          want ? "no such representation" : "no trained model to assign with", ids[0] ? ids : "none");
    mc_table_free(&t);
    free(p);
    return st;
}

/* Centroids (k, Z) of the run: the mean of its latent rows in each k-means cluster. */
static mc_status centroids(const char *results, const char *id, uint64_t seed, double **C, int *k, int *Z) {
    char *lp = mc_report_path_latent(results, id, true, seed), *ap = mc_report_path_assign(results, id, "kmeans", seed);
    mc_array L = {0};
    int32_t *cl = NULL;
    mc_status st = lp && ap ? mc_npy_read_f32(lp, &L) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK && L.ndim != 2) st = mc_error_set(MC_STATUS_FORMAT, "%s: not (n, latent)", lp);
    const int64_t n = st == MC_STATUS_OK ? L.shape[0] : 0;
    if (st == MC_STATUS_OK && !(cl = malloc((size_t)n * sizeof *cl))) st = MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_report_assign_read(ap, n, lp, cl);
    int kk = 0;
    for (int64_t i = 0; st == MC_STATUS_OK && i < n; i++) kk = cl[i] + 1 > kk ? cl[i] + 1 : kk;
    const int z = st == MC_STATUS_OK ? (int)L.shape[1] : 0;
    int64_t *cnt = NULL;
    if (st == MC_STATUS_OK && (kk < 1 || !(*C = calloc((size_t)kk * (size_t)z, sizeof **C)) ||
                               !(cnt = calloc((size_t)kk, sizeof *cnt))))
        st = kk < 1 ? mc_error_set(MC_STATUS_FORMAT, "%s: no cluster", ap) : MC_STATUS_NO_MEMORY;
    for (int64_t i = 0; st == MC_STATUS_OK && i < n; i++) {
        if (cl[i] < 0) continue;
        cnt[cl[i]]++;
        for (int j = 0; j < z; j++) (*C)[(size_t)cl[i] * z + j] += ((const float *)L.data)[i * z + j];
    }
    for (int c = 0; st == MC_STATUS_OK && c < kk; c++)
        for (int j = 0; j < z; j++) (*C)[(size_t)c * z + j] = cnt[c] ? (*C)[(size_t)c * z + j] / (double)cnt[c] : NAN;
    *k = kk;
    *Z = z;
    free(cnt);
    free(cl);
    mc_array_free(&L);
    free(lp);
    free(ap);
    return st;
}

/* The run's most common main-label class of each cluster ("" without labels), as names into *out. */
static void cluster_labels(const char *results, const char *id, uint64_t seed, int k, char ***out) {
    *out = calloc((size_t)k, sizeof **out);
    char *sp = mc_report_path(results, MC_REPORT_SUMMARY), *ap = mc_report_path_assign(results, id, "kmeans", seed);
    char *fp = mc_report_path(results, MC_REPORT_FEATURES);
    mc_table sum = {0};
    mc_store s;
    memset(&s, 0, sizeof s);
    bool open = false;
    if (*out && sp && ap && fp && mc_table_read(sp, '\t', &sum) == MC_STATUS_OK && mc_store_open_index(fp, &s) == MC_STATUS_OK) {
        open = true;
        const char *label = NULL;
        for (int64_t r = 0; r < sum.nrows; r++)
            if (strcmp(mc_table_get(&sum, r, 0), "main_label") == 0) label = mc_table_get(&sum, r, 1);
        const int64_t n = s.index.nrows;
        int32_t *codes = malloc((size_t)n * sizeof *codes), *cl = malloc((size_t)n * sizeof *cl);
        char **classes = NULL;
        int nc = 0;
        if (label && label[0] && codes && cl && mc_store_label_codes(&s, label, codes, &classes, &nc) == MC_STATUS_OK &&
            mc_report_assign_read(ap, n, fp, cl) == MC_STATUS_OK) {
            int64_t *tab = calloc((size_t)k * (size_t)(nc ? nc : 1), sizeof *tab);
            for (int64_t i = 0; tab && i < n; i++)
                if (cl[i] >= 0 && cl[i] < k && codes[i] >= 0) tab[(size_t)cl[i] * nc + codes[i]]++;
            for (int c = 0; tab && c < k; c++) {
                int best = -1;
                for (int j = 0; j < nc; j++)
                    if (tab[(size_t)c * nc + j] > 0 && (best < 0 || tab[(size_t)c * nc + j] > tab[(size_t)c * nc + best])) best = j;
                (*out)[c] = mc_strdup(best >= 0 ? classes[best] : "");
            }
            free(tab);
        }
        mc_store_free_classes(classes, nc);
        free(codes);
        free(cl);
    }
    mc_error_clear(); /* the labels are a courtesy: a run without them is fine */
    if (open) mc_store_close(&s);
    mc_table_free(&sum);
    free(sp);
    free(ap);
    free(fp);
}

static mc_status write_tracks(const char *out, const mc_store *s, const int32_t *cl, int k, char **names) {
    const int64_t n = s->index.nrows;
    const int ct = mc_table_column(&s->index, "track"), cp = mc_table_column(&s->index, "path");
    int64_t T = 0;
    for (int64_t i = 0; i < n; i++) T = atoll(mc_table_get(&s->index, i, ct)) + 1 > T ? atoll(mc_table_get(&s->index, i, ct)) + 1 : T;
    int64_t *votes = calloc((size_t)(T ? T : 1) * (size_t)k, sizeof *votes), *first = malloc((size_t)(T ? T : 1) * sizeof *first);
    if (!votes || !first) {
        free(votes);
        free(first);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t t = 0; t < T; t++) first[t] = -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t t = atoll(mc_table_get(&s->index, i, ct));
        if (t < 0 || t >= T) continue;
        if (first[t] < 0) first[t] = i;
        votes[t * k + cl[i]]++;
    }
    mc_memfile m;
    mc_status st = mc_memfile_open(&m, "tracks.tsv");
    if (st == MC_STATUS_OK) {
        fputs("track\tpath\tcluster\tsegments\tcluster_mostly\n", m.f);
        for (int64_t t = 0; t < T; t++) {
            if (first[t] < 0) continue;
            int best = 0;
            int64_t segs = 0;
            for (int c = 0; c < k; c++) {
                segs += votes[t * k + c];
                if (votes[t * k + c] > votes[t * k + best]) best = c;
            }
            fprintf(m.f, "%lld\t", (long long)t);
            mc_csv_write_field(m.f, mc_table_get(&s->index, first[t], cp), '\t');
            fprintf(m.f, "\t%d\t%lld\t", best, (long long)segs);
            mc_csv_write_field(m.f, names && names[best] ? names[best] : "", '\t');
            fputc('\n', m.f);
        }
        char *p = mc_sprintf("%s/tracks.tsv", out);
        st = p ? mc_memfile_commit(&m, p) : MC_STATUS_NO_MEMORY;
        free(p);
    }
    free(votes);
    free(first);
    return st;
}

mc_status mc_pipeline_assign(const mc_assign_config *c, const char *results, const char *const *inputs, int n_inputs,
                             const char *out, mc_assign_summary *summary) {
    if (!c || !results || !inputs || n_inputs < 1 || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "assign: no input or no output");
    mc_assign_summary sum;
    memset(&sum, 0, sizeof sum);
    mc_extract_config ec;
    mc_extract_config_default(&ec);
    char id[32];
    uint64_t seed = c->seed >= 0 ? (uint64_t)c->seed : 0;
    mc_status st = pick_rep(results, c->representation, id, sizeof id);
    if (st == MC_STATUS_OK && c->seed < 0) st = run_first_seed(results, &seed);
    if (st == MC_STATUS_OK) st = run_extract_config(results, &ec);
    double *C = NULL;
    int k = 0, Z = 0;
    if (st == MC_STATUS_OK) st = centroids(results, id, seed, &C, &k, &Z);
    char *feat = mc_sprintf("%s/features", out), *mp = mc_report_path_model(results, id, seed);
    char *lat = mc_report_path_latent(out, id, true, seed), *asg = mc_report_path_assign(out, id, "kmeans", seed);
    if (st == MC_STATUS_OK && (!feat || !mp || !lat || !asg)) st = MC_STATUS_NO_MEMORY;
    int n_sub = 0;
    const char *const *sub = mc_report_folders(&n_sub);
    for (int i = 0; st == MC_STATUS_OK && i < n_sub; i++) {
        char *p = mc_report_path(out, sub[i]);
        st = p ? mc_mkdirs(p) : MC_STATUS_NO_MEMORY;
        free(p);
    }
    /* extract with the run's parameters */
    mc_extract_summary es;
    ec.metadata = c->metadata;
    if (c->id_column) ec.id_column = c->id_column;
    ec.threads = c->threads;
    if (st == MC_STATUS_OK) st = mc_data_extract(&ec, inputs, n_inputs, feat, c->progress, &es);
    /* encode with the saved model */
    mc_model *m = NULL;
    mc_model_data md;
    memset(&md, 0, sizeof md);
    float *mu = NULL;  // (n, Z)
    int32_t *cl = NULL; // (n)
    if (st == MC_STATUS_OK) st = mc_model_load(mp, &m);
    if (st == MC_STATUS_OK && mc_model_latent_dim(m) != Z)
        st = mc_error_set(MC_STATUS_FORMAT, "%s: latent %d, the run's latents %d", mp, mc_model_latent_dim(m), Z);
    if (st == MC_STATUS_OK) st = mc_model_data_load_features(feat, mc_model_get_config(m)->input, mc_model_get_config(m)->features, NULL, &md);
    if (st == MC_STATUS_OK && (!(mu = mc_alloc((size_t)md.n * (size_t)Z, sizeof *mu)) || !(cl = malloc((size_t)md.n * sizeof *cl))))
        st = MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_model_encode(m, &md, c->threads, mu, NULL, NULL);
    /* the nearest centroid */
    for (int64_t i = 0; st == MC_STATUS_OK && i < md.n; i++) {
        double best = INFINITY;
        cl[i] = 0;
        for (int q = 0; q < k; q++) {
            double d2 = 0;
            for (int j = 0; j < Z; j++) {
                double t = (double)mu[i * Z + j] - C[(size_t)q * Z + j];
                d2 += t * t;
            }
            if (d2 < best) { /* NaN (an empty cluster) never wins */
                best = d2;
                cl[i] = q;
            }
        }
    }
    int64_t zshape[2] = {md.n, Z};
    if (st == MC_STATUS_OK) st = mc_npy_write(lat, MC_DTYPE_F32, 2, zshape, mu);
    if (st == MC_STATUS_OK) st = mc_report_assign_write(asg, cl, md.n);
    if (st == MC_STATUS_OK) {
        mc_store s;
        char **names = NULL;
        cluster_labels(results, id, seed, k, &names);
        st = mc_store_open_index(feat, &s);
        if (st == MC_STATUS_OK) {
            st = write_tracks(out, &s, cl, k, names);
            sum.tracks = es.tracks;
            sum.segments = md.n;
            sum.skipped = es.skipped;
            mc_store_close(&s);
        }
        for (int q = 0; names && q < k; q++) free(names[q]);
        free(names);
    }
    snprintf(sum.representation, sizeof sum.representation, "%s", st == MC_STATUS_OK ? id : "");
    sum.seed = seed;
    sum.k = k;
    if (summary) *summary = sum;
    mc_model_data_free(&md);
    mc_model_free(m);
    mc_free(mu);
    free(cl);
    free(C);
    free(feat);
    free(mp);
    free(lat);
    free(asg);
    return st;
}
