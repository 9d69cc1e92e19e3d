/* `musiclust assign` (pipeline.h): new songs into an existing RESULTS folder without retraining. */
#include "pipeline_internal.h"

#include <musiclust/embed.h>
#include <musiclust/models.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mc_assign_config_default(mc_assign_config *c) {
    memset(c, 0, sizeof *c);
    c->seed = -1;
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
    mc_status st = pl_read_json(p, &j);
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
    mc_status st = pl_read_json(p, &j);
    const mc_json_value *s = j ? mc_json_member(j, "seeds") : NULL;
    int64_t v = 0;
    if (st == MC_STATUS_OK && (!s || s->type != MC_JSON_ARRAY || s->n < 1 || !mc_json_int_value(s->items[0], &v) || v < 0))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no \"seeds\" list", p);
    if (st == MC_STATUS_OK) *seed = (uint64_t)v;
    mc_json_value_free(j);
    free(p);
    return st;
}

/* The representation assign works with. */
typedef struct rep_info {
    char id[32];
    char model[32];  /* the trained model's kind; "" for a fitted space (raw, pca, pca-logmel, concat) */
} rep_info;

/* A row of representations.tsv that assign can use: a trained model (a conditioned one is given the
 * new tracks' label), or a fitted space; why not otherwise (NULL when it can). */
static const char *unusable(const char *model, const char *leak, const char *input) {
    if (strcmp(model, "cvae") == 0 && strstr(input, "lyrics"))
        return "is the cvae that reads [vectors ; lyrics] as one input: not done by assign";
    if (!model[0] && leak[0]) return "leaks a label into its space";
    return NULL;
}

/* The representation: the one asked for, or the first usable one of representations.tsv. */
static mc_status pick_rep(const char *results, const char *want, rep_info *info) {
    char *p = mc_report_path(results, MC_REPORT_REPRESENTATIONS);
    if (!p) return MC_STATUS_NO_MEMORY;
    mc_table t;
    mc_status st = mc_table_read(p, '\t', &t);
    if (st != MC_STATUS_OK) {
        free(p);
        return st;
    }
    const int ci = mc_table_column(&t, "id"), cm = mc_table_column(&t, "model"), cl = mc_table_column(&t, "leaked"),
              cin = mc_table_column(&t, "input");
    bool found = false;
    char ids[512] = "";
    for (int64_t r = 0; ci >= 0 && cm >= 0 && r < t.nrows && !found; r++) {
        const char *rid = mc_table_get(&t, r, ci), *model = mc_table_get(&t, r, cm), *leak = cl >= 0 ? mc_table_get(&t, r, cl) : "";
        const char *why = unusable(model, leak, cin >= 0 ? mc_table_get(&t, r, cin) : "");
        size_t l = strlen(ids);
        if (!why) snprintf(ids + l, sizeof ids - l, "%s%s", l ? ", " : "", rid);
        if (want ? strcmp(rid, want) == 0 : !why) {
            found = true;
            if (why) st = mc_error_set(MC_STATUS_UNSUPPORTED, "%s: representation '%s' %s", p, rid, why);
            snprintf(info->id, sizeof info->id, "%s", rid);
            snprintf(info->model, sizeof info->model, "%s", model);
        }
    }
    if (st == MC_STATUS_OK && !found)
        st = mc_error_set(MC_STATUS_INVALID_ARG, "%s: %s (representations that assign: %s)", p,
                          want ? "no such representation" : "no representation to assign with", ids[0] ? ids : "none");
    mc_table_free(&t);
    free(p);
    return st;
}

/* Does the run keep one space per seed for id (latents/<id>.seed<S>.npy)? */
static bool rep_seeded(const char *results, const char *id, uint64_t seed) {
    char *p = mc_report_path_latent(results, id, true, seed);
    const bool y = p && pl_file_exists(p);
    free(p);
    return y;
}

/* M (n, Z): a trained model's latent means of the new store featdir. */
static mc_status encode_new(const char *results, const char *id, uint64_t seed, const char *featdir, int threads,
                            float **M, int64_t *n, int *Z, char *note, size_t note_cap) {
    char *mp = mc_report_path_model(results, id, seed);
    mc_model *m = NULL;
    mc_model_data md;
    memset(&md, 0, sizeof md);
    mc_status st = mp ? mc_model_load(mp, &m) : MC_STATUS_NO_MEMORY;
    const char *cond = st == MC_STATUS_OK ? mc_model_get_config(m)->condition : NULL;
    if (cond && !cond[0]) cond = NULL;
    if (st == MC_STATUS_OK) {
        st = mc_model_data_load_features(featdir, mc_model_get_config(m)->input, mc_model_get_config(m)->features, cond, &md);
        if (st != MC_STATUS_OK && cond) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", mc_error_message());
            st = mc_error_set(st, "'%s' is conditioned on '%s': the new tracks need that label (--metadata, or folders named by "
                              "it): %s", id, cond, msg);
        }
    }
    if (st == MC_STATUS_OK && cond) {
        /* the model's rule: a row whose class it does not know gets an all-zero condition */
        int64_t unknown = 0;
        for (int64_t i = 0; i < md.n; i++) {
            int code = 0;
            if (md.codes[i] < 0 || mc_model_class_index(m, md.classes[md.codes[i]], &code) != MC_STATUS_OK) unknown++;
        }
        mc_error_clear();
        snprintf(note, note_cap, "%s is conditioned on the new tracks' %s; %lld of %lld rows have no %s the model knows: "
                 "an all-zero condition, as the model treats unlabelled rows", id, cond, (long long)unknown, (long long)md.n, cond);
    }
    if (st == MC_STATUS_OK && mc_model_get_config(m)->kind == MC_MODEL_KIND_MM_VAE) {
        /* the new tracks' lyrics, embedded with the run's lyrics model (mc_pipeline_assign) */
        char *lp = mc_sprintf("%s/lyrics.npy", featdir);
        st = !lp ? MC_STATUS_NO_MEMORY
             : pl_file_exists(lp) ? mc_model_data_load_lyrics(featdir, &md)
                                  : mc_error_set(MC_STATUS_INVALID_ARG, "'%s' is an mm-vae: it reads the tracks' lyrics; give --metadata "
                                                 "with the run's lyrics column (tracks without a row get no lyrics, as in the run)", id);
        free(lp);
    }
    if (st == MC_STATUS_OK) {
        *Z = mc_model_latent_dim(m);
        *n = md.n;
        if (!(*M = mc_alloc((size_t)md.n * (size_t)*Z, sizeof **M))) st = MC_STATUS_NO_MEMORY;
    }
    if (st == MC_STATUS_OK) st = mc_model_encode(m, &md, threads, *M, NULL, NULL);
    mc_model_data_free(&md);
    mc_model_free(m);
    free(mp);
    return st;
}

/* The lyrics vector of each new row (lyr (n, L), has (n)): the store's lyrics.npy (the run's lyrics model
 * applied by mc_pipeline_assign), or none (has all 0) without it. */
static mc_status new_lyrics(const char *featdir, int64_t n, int L, float **lyr, uint8_t **has) {
    char *lp = mc_sprintf("%s/lyrics.npy", featdir);
    mc_status st = lp ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK && pl_file_exists(lp)) {
        mc_store s;
        int dim = 0;
        if ((st = mc_store_open_index(featdir, &s)) == MC_STATUS_OK) {
            st = mc_store_lyrics(&s, lyr, has, &dim);
            if (st == MC_STATUS_OK && (dim != L || s.index.nrows != n))
                st = mc_error_set(MC_STATUS_FORMAT, "%s: %d columns for %lld rows, the run's lyrics block %d for %lld", lp, dim,
                                  (long long)s.index.nrows, L, (long long)n);
            mc_store_close(&s);
        }
    } else if (st == MC_STATUS_OK) {
        *lyr = mc_alloc((size_t)(n ? n : 1) * (size_t)(L ? L : 1), sizeof **lyr);
        *has = calloc((size_t)(n ? n : 1), 1);
        if (!*lyr || !*has) st = MC_STATUS_NO_MEMORY;
    }
    free(lp);
    return st;
}

/* The run's lyrics model applied to the new tracks' texts (OUT/features/lyrics.npy ...), when the run
 * has one and metadata holds the run's text column; *done tells whether it was. */
static mc_status apply_lyrics(const mc_assign_config *c, const char *results, const char *featdir, bool *done) {
    *done = false;
    char *mp = mc_report_path(results, MC_REPORT_FEATURES "/lyrics_model.safetensors"), *rp = mc_report_path(results, MC_REPORT_RUN_JSON);
    mc_json_value *j = NULL;
    mc_status st = mp && rp ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK && c->metadata && pl_file_exists(mp) && (st = pl_read_json(rp, &j)) == MC_STATUS_OK) {
        const mc_json_value *cf = mc_json_member(j, "configuration"), *tc = cf ? mc_json_member(cf, "text_column") : NULL;
        const char *col = tc && tc->type == MC_JSON_STRING ? tc->str : "lyrics";
        mc_table meta = {0};
        st = mc_table_read(c->metadata, 0, &meta);
        if (st == MC_STATUS_OK && mc_table_column(&meta, col) >= 0) {
            st = mc_pipeline_lyrics_apply(featdir, c->metadata, c->id_column, col, mp, c->threads, NULL);
            *done = st == MC_STATUS_OK;
        }
        mc_table_free(&meta);
    }
    mc_json_value_free(j);
    free(mp);
    free(rp);
    return st;
}

/* X (n, d): the new rows of featdir in the representation's space (the run's model, or its saved
 * fitted transform). note receives what was approximated, if anything. */
static mc_status new_space(const char *results, const rep_info *info, bool seeded, uint64_t seed, const char *featdir,
                           int threads, float **X, int64_t *n, int *d, char *note, size_t note_cap) {
    *X = NULL;
    if (info->model[0]) return encode_new(results, info->id, seed, featdir, threads, X, n, d, note, note_cap);
    pl_xform x;
    mc_status st = pl_xform_read(results, info->id, seeded, seed, &x);
    if (st != MC_STATUS_OK) return st;
    mc_store s;
    memset(&s, 0, sizeof s);
    bool open = false;
    float *in = NULL; // (n, x.d) the transform's input rows
    if (x.kind == PL_XFORM_RAW || x.kind == PL_XFORM_PCA) {
        mc_store_features f;
        st = mc_store_features_parse(x.features, &f);
        if (st == MC_STATUS_OK && (st = mc_store_open_features(featdir, f, &s)) == MC_STATUS_OK) open = true;
        if (st == MC_STATUS_OK) {
            *n = s.vectors.shape[0];
            if (s.vectors.shape[1] != x.d)
                st = mc_error_set(MC_STATUS_FORMAT, "%s: %lld columns of %s, the run's transform reads %d", featdir,
                                  (long long)s.vectors.shape[1], x.features, x.d);
            else if (!(in = mc_alloc((size_t)*n * (size_t)x.d, sizeof *in)))
                st = MC_STATUS_NO_MEMORY;
            else
                memcpy(in, s.vectors.data, (size_t)*n * (size_t)x.d * sizeof *in);
        }
    } else if (x.kind == PL_XFORM_PCA_LOGMEL) {
        mc_array a = {0};
        if ((st = mc_store_open(featdir, &s)) == MC_STATUS_OK) open = true;
        if (st == MC_STATUS_OK) st = mc_store_load_logmel(&s, &a);
        if (st == MC_STATUS_OK && a.shape[1] * a.shape[2] != x.d)
            st = mc_error_set(MC_STATUS_FORMAT, "%s: log-mel of %lld x %lld, the run's PCA reads %d values", featdir,
                              (long long)a.shape[1], (long long)a.shape[2], x.d);
        if (st == MC_STATUS_OK) {
            *n = a.shape[0];
            if (!(in = mc_alloc((size_t)*n * (size_t)x.d, sizeof *in))) st = MC_STATUS_NO_MEMORY;
            else memcpy(in, a.data, (size_t)*n * (size_t)x.d * sizeof *in);
        }
        mc_array_free(&a);

    }
    if (st == MC_STATUS_OK && x.kind != PL_XFORM_CONCAT) {
        *d = x.kind == PL_XFORM_RAW ? x.d : x.nc;
        if (!(*X = mc_alloc((size_t)*n * (size_t)*d, sizeof **X))) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK) st = pl_xform_apply(&x, in, *n, x.d, *X);
    }
    if (st == MC_STATUS_OK && x.kind == PL_XFORM_CONCAT) {
        float *A = NULL, *lyr = NULL; // (n, Z) audio block, (n, L) lyrics block
        uint8_t *has = NULL;
        int Z = 0;
        rep_info from;
        memset(&from, 0, sizeof from);
        if (x.from[0]) st = pick_rep(results, x.from, &from);
        if (st == MC_STATUS_OK && x.from[0] && !from.model[0])
            st = mc_error_set(MC_STATUS_UNSUPPORTED, "'%s' joins the lyrics to '%s', which is not a trained model", info->id, x.from);
        if (st == MC_STATUS_OK && x.from[0]) st = encode_new(results, from.id, seed, featdir, threads, &A, n, &Z, note, note_cap);
        if (st == MC_STATUS_OK && !x.from[0]) {
            if ((st = mc_store_open_index(featdir, &s)) == MC_STATUS_OK) open = true;
            *n = s.index.nrows;
        }
        if (st == MC_STATUS_OK && Z != x.d) st = mc_error_set(MC_STATUS_FORMAT, "'%s': latent %d, the run's audio block %d", x.from, Z, x.d);
        if (st == MC_STATUS_OK) st = new_lyrics(featdir, *n, x.L, &lyr, &has);
        *d = Z + x.L;
        if (st == MC_STATUS_OK && !(*X = mc_alloc((size_t)*n * (size_t)*d, sizeof **X))) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK) {
            if (Z > 0) pl_block_scale_apply(A, *n, Z, x.zscore, x.mean, x.sd, x.a_scale);
            int64_t nl = 0;
            for (int64_t i = 0; i < *n; i++) {
                float *dst = *X + i * *d;
                for (int q = 0; q < Z; q++) dst[q] = A[i * Z + q];
                if (has[i]) {
                    pl_block_scale_apply(lyr + i * x.L, 1, x.L, x.zscore, x.l_mean, x.l_sd, x.l_scale);
                    for (int q = 0; q < x.L; q++) dst[Z + q] = lyr[i * x.L + q];
                    nl++;
                } else {
                    for (int q = 0; q < x.L; q++) dst[Z + q] = 0.0f;
                }
            }
            if (nl == 0)
                snprintf(note, note_cap, "%s: none of the new tracks has lyrics (give --metadata with the run's lyrics column): "
                         "the lyrics block sits at its mean, 0, as for the run's rows without lyrics", info->id);
        }
        mc_free(A);
        mc_free(lyr);
        free(has);
    }
    if (st != MC_STATUS_OK) {
        mc_free(*X);
        *X = NULL;
    }
    mc_free(in);
    if (open) mc_store_close(&s);
    pl_xform_free(&x);
    return st;
}

/* Squared euclidean distance in double. */
static double dist2(const float *a, const float *b, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) {
        const double t = (double)a[j] - (double)b[j];
        s += t * t;
    }
    return s;
}

/* New rows X (n, d) into the clusters cl (nr) of the run's rows R (nr, d):
 * k-means, agglomerative: the nearest cluster mean of the run's rows (k-means' centroid at convergence;
 * for agglomerative the centroid of each cluster of the cut), ties to the smaller id;
 * DBSCAN: the cluster of the nearest core point of the run (a row with at least min_samples rows,
 * itself included, within eps) if it lies within eps, else noise (-1). */
static mc_status place_rows(const float *X, int64_t n, const float *R, int64_t nr, int d, const int32_t *cl, bool dbscan,
                            double eps, int min_samples, int32_t *out, int *k_out) {
    int k = 0;
    for (int64_t i = 0; i < nr; i++) k = cl[i] + 1 > k ? cl[i] + 1 : k;
    *k_out = k;
    if (k < 1) {
        for (int64_t i = 0; i < n; i++) out[i] = -1;
        return MC_STATUS_OK;
    }
    if (dbscan) {
        uint8_t *core = calloc((size_t)nr, 1); // (nr)
        if (!core) return mc_error_nomem("assign: out of memory");
        const double e2 = eps * eps;
        for (int64_t i = 0; i < nr; i++) {
            if (cl[i] < 0) continue; /* noise is never core */
            int64_t c = 0;
            for (int64_t j = 0; j < nr && c < min_samples; j++) c += dist2(R + i * d, R + j * d, d) <= e2;
            core[i] = c >= min_samples;
        }
        for (int64_t i = 0; i < n; i++) {
            double best = INFINITY;
            out[i] = -1;
            for (int64_t j = 0; j < nr; j++) {
                if (!core[j]) continue;
                const double t = dist2(X + i * d, R + j * d, d);
                if (t <= e2 && t < best) best = t, out[i] = cl[j];
            }
        }
        free(core);
        return MC_STATUS_OK;
    }
    double *C = calloc((size_t)k * (size_t)d, sizeof *C); // (k, d) cluster means
    int64_t *cnt = calloc((size_t)k, sizeof *cnt);
    if (!C || !cnt) {
        free(C);
        free(cnt);
        return mc_error_nomem("assign: out of memory");
    }
    for (int64_t i = 0; i < nr; i++) {
        if (cl[i] < 0) continue;
        cnt[cl[i]]++;
        for (int j = 0; j < d; j++) C[(size_t)cl[i] * d + j] += R[i * d + j];
    }
    for (int c = 0; c < k; c++)
        for (int j = 0; j < d; j++) C[(size_t)c * d + j] = cnt[c] ? C[(size_t)c * d + j] / (double)cnt[c] : NAN;
    for (int64_t i = 0; i < n; i++) {
        double best = INFINITY;
        out[i] = 0;
        for (int q = 0; q < k; q++) {
            double d2 = 0;
            for (int j = 0; j < d; j++) {
                const double t = (double)X[i * d + j] - C[(size_t)q * d + j];
                d2 += t * t;
            }
            if (d2 < best) { /* NaN (an empty cluster) never wins */
                best = d2;
                out[i] = q;
            }
        }
    }
    free(C);
    free(cnt);
    return MC_STATUS_OK;
}

/* The run's most common main-label class of each cluster of algo ("" without labels), as names into *out. */
static void cluster_labels(const char *results, const char *id, const char *algo, uint64_t seed, int k, char ***out) {
    *out = calloc((size_t)(k ? k : 1), sizeof **out);
    char *sp = mc_report_path(results, MC_REPORT_SUMMARY), *ap = mc_report_path_assign(results, id, algo, seed);
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

#define N_ALGOS 4
static const char *const ALGOS[N_ALGOS] = {"kmeans", "agglomerative", "dbscan", "gmm"};

/* OUT/tracks.tsv: per track the majority cluster of its segments under the first algorithm (ties to the
 * smaller id; DBSCAN noise is -1), the run's label its cluster mostly held, the other algorithms'
 * majorities, and the track's mean position on the run's maps. cl[a] (n) per algorithm (NULL: not run),
 * maps[m] (n, 2) for umap / tsne (NULL: none). */
static mc_status write_tracks(const char *out, const mc_store *s, int32_t *const cl[N_ALGOS], const int k[N_ALGOS],
                              char **names, int first, float *const maps[2]) {
    const int64_t n = s->index.nrows;
    const int ct = mc_table_column(&s->index, "track"), cp = mc_table_column(&s->index, "path");
    int64_t T = 0;
    for (int64_t i = 0; i < n; i++) T = atoll(mc_table_get(&s->index, i, ct)) + 1 > T ? atoll(mc_table_get(&s->index, i, ct)) + 1 : T;
    int K = 1;
    for (int a = 0; a < N_ALGOS; a++) K = cl[a] && k[a] + 1 > K ? k[a] + 1 : K;
    int64_t *votes = calloc((size_t)(T ? T : 1) * (size_t)K, sizeof *votes), *first_row = malloc((size_t)(T ? T : 1) * sizeof *first_row);
    double *pos = calloc((size_t)(T ? T : 1) * 4, sizeof *pos); // (T, 4) summed umap x, y, tsne x, y
    int64_t *segs = calloc((size_t)(T ? T : 1), sizeof *segs);
    mc_memfile m;
    mc_status st = votes && first_row && pos && segs ? mc_memfile_open(&m, "tracks.tsv") : mc_error_nomem("assign: out of memory");
    if (st == MC_STATUS_OK) {
        for (int64_t t = 0; t < T; t++) first_row[t] = -1;
        for (int64_t i = 0; i < n; i++) {
            int64_t t = atoll(mc_table_get(&s->index, i, ct));
            if (t < 0 || t >= T) continue;
            if (first_row[t] < 0) first_row[t] = i;
            segs[t]++;
            for (int q = 0; q < 2; q++)
                if (maps[q]) pos[t * 4 + 2 * q] += maps[q][i * 2], pos[t * 4 + 2 * q + 1] += maps[q][i * 2 + 1];
        }
        fputs("track\tpath\tcluster\tsegments\tcluster_mostly", m.f);
        for (int a = 0; a < N_ALGOS; a++)
            if (cl[a] && a != first) fprintf(m.f, "\t%s", ALGOS[a]);
        if (maps[0]) fputs("\tumap_x\tumap_y", m.f);
        if (maps[1]) fputs("\ttsne_x\ttsne_y", m.f);
        fputc('\n', m.f);
        /* the majority of each algorithm, in the column order above */
        int order[N_ALGOS], no = 0;
        order[no++] = first;
        for (int a = 0; a < N_ALGOS; a++)
            if (cl[a] && a != first) order[no++] = a;
        int32_t *maj = malloc((size_t)(T ? T : 1) * (size_t)no * sizeof *maj); // (T, no)
        if (!maj) st = mc_error_nomem("assign: out of memory");
        for (int o = 0; st == MC_STATUS_OK && o < no; o++) {
            const int a = order[o];
            memset(votes, 0, (size_t)(T ? T : 1) * (size_t)K * sizeof *votes);
            for (int64_t i = 0; i < n; i++) {
                int64_t t = atoll(mc_table_get(&s->index, i, ct));
                if (t >= 0 && t < T) votes[t * K + cl[a][i] + 1]++; /* slot 0: noise */
            }
            for (int64_t t = 0; t < T; t++) {
                int best = 1;
                for (int c = 2; c <= k[a]; c++)
                    if (votes[t * K + c] > votes[t * K + best]) best = c;
                maj[t * no + o] = votes[t * K] > votes[t * K + best] ? -1 : best - 1;
            }
        }
        for (int64_t t = 0; st == MC_STATUS_OK && t < T; t++) {
            if (first_row[t] < 0) continue;
            fprintf(m.f, "%lld\t", (long long)t);
            mc_csv_write_field(m.f, mc_table_get(&s->index, first_row[t], cp), '\t');
            const int c0 = maj[t * no];
            fprintf(m.f, "\t%d\t%lld\t", c0, (long long)segs[t]);
            mc_csv_write_field(m.f, c0 >= 0 && names && names[c0] ? names[c0] : "", '\t');
            for (int o = 1; o < no; o++) fprintf(m.f, "\t%d", maj[t * no + o]);
            for (int q = 0; q < 2; q++)
                if (maps[q]) fprintf(m.f, "\t%.6g\t%.6g", pos[t * 4 + 2 * q] / (double)segs[t], pos[t * 4 + 2 * q + 1] / (double)segs[t]);
            fputc('\n', m.f);
        }
        free(maj);
        char *p = mc_sprintf("%s/tracks.tsv", out);
        if (st == MC_STATUS_OK) {
            st = p ? mc_memfile_commit(&m, p) : MC_STATUS_NO_MEMORY;
        } else {
            char *b = NULL;
            size_t bl = 0;
            const mc_status keep = st;
            if (mc_memfile_take(&m, "tracks.tsv", &b, &bl) == MC_STATUS_OK) free(b);
            st = keep;
        }
        free(p);
    }
    free(votes);
    free(first_row);
    free(pos);
    free(segs);
    return st;
}

mc_status mc_pipeline_assign(const mc_assign_config *c, const char *results, const char *const *inputs, int n_inputs,
                             const char *out, mc_assign_summary *summary) {
    if (!c || !results || !inputs || n_inputs < 1 || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "assign: no input or no output");
    mc_assign_summary sum;
    memset(&sum, 0, sizeof sum);
    mc_extract_config ec;
    mc_extract_config_default(&ec);
    rep_info info;
    memset(&info, 0, sizeof info);
    uint64_t seed = c->seed >= 0 ? (uint64_t)c->seed : 0, first_seed = 0;
    mc_status st = pick_rep(results, c->representation, &info);
    if (st == MC_STATUS_OK) st = run_first_seed(results, &first_seed);
    if (st == MC_STATUS_OK && c->seed < 0) seed = first_seed;
    if (st == MC_STATUS_OK) st = run_extract_config(results, &ec);
    const bool seeded = st == MC_STATUS_OK && (info.model[0] || rep_seeded(results, info.id, seed));
    /* the run's space of this seed and the algorithms it was clustered with */
    char *rl = st == MC_STATUS_OK ? mc_report_path_latent(results, info.id, seeded, seed) : NULL;
    mc_array Rs = {0};
    if (st == MC_STATUS_OK) st = rl ? mc_npy_read_f32(rl, &Rs) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK && Rs.ndim != 2) st = mc_error_set(MC_STATUS_FORMAT, "%s: not (n, d)", rl);
    const int64_t nr = st == MC_STATUS_OK ? Rs.shape[0] : 0;
    int32_t *run_cl[N_ALGOS] = {NULL}, *cl[N_ALGOS] = {NULL};
    int k[N_ALGOS] = {0}, first = -1;
    for (int a = 0; st == MC_STATUS_OK && a < N_ALGOS; a++) {
        char *ap = mc_report_path_assign(results, info.id, ALGOS[a], seed);
        if (!ap) st = MC_STATUS_NO_MEMORY;
        else if (pl_file_exists(ap)) {
            if (!(run_cl[a] = malloc((size_t)(nr ? nr : 1) * sizeof **run_cl))) st = MC_STATUS_NO_MEMORY;
            if (st == MC_STATUS_OK) st = mc_report_assign_read(ap, nr, rl, run_cl[a]);
            if (first < 0) first = a;
        }
        free(ap);
    }
    if (st == MC_STATUS_OK && first < 0)
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no assign/%s.<algorithm>.seed%llu.tsv of the run", results, info.id, (unsigned long long)seed);
    double eps = 0;
    int min_samples = 0;
    if (st == MC_STATUS_OK && run_cl[2]) {
        char *ap = mc_report_path_assign(results, info.id, ALGOS[2], seed);
        st = ap ? pl_dbscan_params_read(ap, &eps, &min_samples) : MC_STATUS_NO_MEMORY;
        free(ap);
    }
    char *feat = mc_sprintf("%s/features", out);
    char *lat = mc_report_path_latent(out, info.id, seeded, seed);
    if (st == MC_STATUS_OK && (!feat || !lat)) st = MC_STATUS_NO_MEMORY;
    int n_sub = 0;
    const char *const *sub = mc_report_folders(&n_sub);
    for (int i = 0; st == MC_STATUS_OK && i < n_sub; i++) {
        char *p = mc_report_path(out, sub[i]);
        st = p ? mc_mkdirs(p) : MC_STATUS_NO_MEMORY;
        free(p);
    }
    /* extract with the run's parameters */
    mc_extract_summary es;
    memset(&es, 0, sizeof es);
    ec.metadata = c->metadata;
    if (c->id_column) ec.id_column = c->id_column;
    ec.threads = c->threads;
    if (st == MC_STATUS_OK) st = mc_data_extract(&ec, inputs, n_inputs, feat, c->progress, &es);
    bool lyrics = false;
    if (st == MC_STATUS_OK) st = apply_lyrics(c, results, feat, &lyrics);
    /* into the representation's space: the saved model or the saved fitted transform */
    float *X = NULL; // (n, d)
    int64_t n = 0;
    int d = 0;
    if (st == MC_STATUS_OK) st = new_space(results, &info, seeded, seed, feat, c->threads, &X, &n, &d, sum.note, sizeof sum.note);
    if (st == MC_STATUS_OK && d != (int)Rs.shape[1])
        st = mc_error_set(MC_STATUS_FORMAT, "%s: %lld columns, the new rows %d", rl, (long long)Rs.shape[1], d);
    int64_t zshape[2] = {n, d};
    if (st == MC_STATUS_OK) st = mc_npy_write(lat, MC_DTYPE_F32, 2, zshape, X);
    /* every algorithm the run used */
    size_t al = 0;
    for (int a = 0; st == MC_STATUS_OK && a < N_ALGOS; a++) {
        if (!run_cl[a]) continue;
        char *ap = mc_report_path_assign(out, info.id, ALGOS[a], seed);
        if (!ap || !(cl[a] = malloc((size_t)(n ? n : 1) * sizeof **cl))) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && a == 3) { /* GMM: the run's fitted mixture predicts (GaussianMixture.predict) */
            char *rp = mc_report_path_assign(results, info.id, ALGOS[a], seed);
            pl_gmm g;
            memset(&g, 0, sizeof g);
            st = rp ? pl_gmm_params_read(rp, &g) : MC_STATUS_NO_MEMORY;
            if (st == MC_STATUS_OK && g.d != d) st = mc_error_set(MC_STATUS_FORMAT, "%s: a GMM of %d columns, the space has %d", rp, g.d, d);
            if (st == MC_STATUS_OK)
                st = mc_cluster_gmm_predict(g.weights, g.means, g.covariances, g.covariance, g.k, X, n, d, c->threads, cl[a]);
            k[a] = g.k;
            pl_gmm_free(&g);
            free(rp);
        } else if (st == MC_STATUS_OK)
            st = place_rows(X, n, Rs.data, nr, d, run_cl[a], a == 2, eps, min_samples, cl[a], &k[a]);
        if (st == MC_STATUS_OK) st = mc_report_assign_write(ap, cl[a], n);
        free(ap);
        al += (size_t)snprintf(sum.algorithms + al, sizeof sum.algorithms - al, "%s%s", al ? ", " : "", ALGOS[a]);
        if (al >= sizeof sum.algorithms) al = sizeof sum.algorithms - 1;
    }
    /* the run's maps (of its first seed's space): new rows placed as umap-learn's transform starts */
    float *maps[2] = {NULL, NULL}; // (n, 2) umap, tsne
    if (st == MC_STATUS_OK && seed == first_seed) {
        static const char *const meth[2] = {"umap", "tsne"};
        mc_map_config mcfg;
        mc_map_config_default(&mcfg);
        mc_tsne_opts to;
        mc_umap_opts uo;
        mc_pipeline_map_options(&mcfg, nr, &to, &uo);
        for (int q = 0; st == MC_STATUS_OK && q < 2; q++) {
            char *yp = mc_report_path_embed(results, info.id, meth[q]), *op = mc_report_path_embed(out, info.id, meth[q]);
            mc_array Y = {0};
            if (!yp || !op) st = MC_STATUS_NO_MEMORY;
            else if (pl_file_exists(yp)) {
                st = mc_npy_read_f32(yp, &Y);
                if (st == MC_STATUS_OK && (Y.ndim != 2 || Y.shape[0] != nr || Y.shape[1] != 2))
                    st = mc_error_set(MC_STATUS_FORMAT, "%s: not (%lld, 2)", yp, (long long)nr);
                if (st == MC_STATUS_OK && !(maps[q] = mc_alloc((size_t)(n ? n : 1) * 2, sizeof(float)))) st = MC_STATUS_NO_MEMORY;
                if (st == MC_STATUS_OK) st = mc_embed_place(X, n, Rs.data, nr, d, Y.data, uo.n_neighbors, c->threads, maps[q]);
                int64_t yshape[2] = {n, 2};
                if (st == MC_STATUS_OK) st = mc_npy_write(op, MC_DTYPE_F32, 2, yshape, maps[q]);
                if (st == MC_STATUS_OK) sum.maps |= 1 << q, sum.map_neighbors = uo.n_neighbors;
            }
            mc_array_free(&Y);
            free(yp);
            free(op);
        }
    }
    if (st == MC_STATUS_OK) {
        mc_store s;
        char **names = NULL;
        cluster_labels(results, info.id, ALGOS[first], seed, k[first], &names);
        st = mc_store_open_index(feat, &s);
        if (st == MC_STATUS_OK) {
            st = write_tracks(out, &s, cl, k, names, first, maps);
            sum.tracks = es.tracks;
            sum.segments = n;
            sum.skipped = es.skipped;
            mc_store_close(&s);
        }
        for (int q = 0; names && q < k[first]; q++) free(names[q]);
        free(names);
    }
    snprintf(sum.representation, sizeof sum.representation, "%s", st == MC_STATUS_OK ? info.id : "");
    snprintf(sum.space, sizeof sum.space, "%s", info.model[0] ? "its saved model" : "its saved fitted transform");
    sum.seed = seed;
    sum.k = first >= 0 ? k[first] : 0;
    sum.lyrics = lyrics;
    if (summary) *summary = sum;
    for (int a = 0; a < N_ALGOS; a++) free(run_cl[a]), free(cl[a]);
    mc_free(maps[0]);
    mc_free(maps[1]);
    mc_free(X);
    mc_array_free(&Rs);
    free(rl);
    free(feat);
    free(lat);
    return st;
}
