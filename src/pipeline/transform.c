/* The fitted transforms of a run's spaces (pipeline_internal.h: pl_xform): what turns new rows into the
 * space of a raw, pca, pca-logmel or concat representation. The space stages write them (one writer,
 * pl_xform_write), `musiclust assign` reads and applies them (pl_xform_read, pl_xform_apply), so the
 * arithmetic that made the run's rows is the arithmetic applied to new ones. */
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mc_status pl_read_json(const char *path, mc_json_value **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return mc_error_set(MC_STATUS_IO, "%s: cannot read (not a musiclust run folder?)", path);
    char *buf = malloc(1 << 22);
    size_t n = buf ? fread(buf, 1, (1 << 22) - 1, f) : 0;
    fclose(f);
    if (!buf) return mc_error_nomem("out of memory");
    buf[n] = '\0';
    const char *err = NULL;
    *out = mc_json_parse(buf, &err);
    free(buf);
    return *out ? MC_STATUS_OK : mc_error_set(MC_STATUS_FORMAT, "%s: not JSON (%s)", path, err ? err : "?");
}

static const char *const KIND_NAMES[] = {"raw", "pca", "pca-logmel", "concat"};

void pl_xform_free(pl_xform *x) {
    if (!x) return;
    free(x->mean);
    free(x->sd);
    free(x->pca_mean);
    free(x->pca_comp);
    free(x->l_mean);
    free(x->l_sd);
    memset(x, 0, sizeof *x);
}

/* latents/<id>[.seed<S>].transform.<ext> under results. */
static char *xform_path(const char *results, const char *id, bool seeded, uint64_t seed, const char *ext) {
    char *lp = mc_report_path_latent(results, id, seeded, seed);
    if (!lp) return NULL;
    size_t l = strlen(lp);
    if (l > 4) lp[l - 4] = '\0'; /* ".npy" */
    char *p = mc_sprintf("%s.transform.%s", lp, ext);
    free(lp);
    return p;
}

char *pl_xform_path(const char *results, const char *id, bool seeded, uint64_t seed, bool json) {
    return xform_path(results, id, seeded, seed, json ? "json" : "npy");
}

/* The arrays of x in file order, with their lengths: (d) mean, (d) sd, (d) pca_mean, (nc, d) pca_comp,
 * (L) l_mean, (L) l_sd; absent ones have length 0. */
static int sections(const pl_xform *x, int64_t len[6]) {
    const bool zs = x->kind != PL_XFORM_PCA_LOGMEL, pca = x->kind == PL_XFORM_PCA || x->kind == PL_XFORM_PCA_LOGMEL;
    len[0] = len[1] = zs ? x->d : 0;
    len[2] = pca ? x->d : 0;
    len[3] = pca ? (int64_t)x->nc * x->d : 0;
    len[4] = len[5] = x->kind == PL_XFORM_CONCAT ? x->L : 0;
    return 6;
}

/* The one way both saved parameter sets (a space's transform, a GMM) reach disk: when st is OK, the
 * float64 arrays as one .npy, then the JSON describing them (built by the caller in j) - the JSON last,
 * so that it only ever names a complete .npy. Frees pn, buf, pj and j in every case; returns st or the
 * first write error. */
static mc_status npy_then_json(mc_status st, char *pn, double *buf, int64_t total, char *pj, mc_json *j) {
    int64_t shape[1] = {total};
    if (st == MC_STATUS_OK) st = mc_npy_write(pn, MC_DTYPE_F64, 1, shape, buf);
    if (st == MC_STATUS_OK) st = mc_json_write_file(j, pj);
    mc_json_free(j);
    mc_free(buf);
    free(pj);
    free(pn);
    return st;
}

mc_status pl_xform_write(const char *results, const char *id, bool seeded, uint64_t seed, const pl_xform *x) {
    char *pj = xform_path(results, id, seeded, seed, "json"), *pn = xform_path(results, id, seeded, seed, "npy");
    int64_t len[6], total = 0;
    sections(x, len);
    for (int i = 0; i < 6; i++) total += len[i];
    double *buf = mc_alloc((size_t)(total ? total : 1), sizeof *buf); // (total) the arrays one after another
    mc_json *j = NULL;
    mc_status st = pj && pn && buf ? mc_json_create(&j) : mc_error_nomem("transform: out of memory");
    if (st == MC_STATUS_OK) {
        int64_t o = 0;
        for (int64_t i = 0; i < len[0]; i++) buf[o++] = x->mean[i];
        for (int64_t i = 0; i < len[1]; i++) buf[o++] = x->sd[i];
        for (int64_t i = 0; i < len[2]; i++) buf[o++] = x->pca_mean[i];
        for (int64_t i = 0; i < len[3]; i++) buf[o++] = x->pca_comp[i];
        for (int64_t i = 0; i < len[4]; i++) buf[o++] = x->l_mean[i];
        for (int64_t i = 0; i < len[5]; i++) buf[o++] = x->l_sd[i];
        mc_json_begin_object(j);
        mc_json_key(j, "format"); mc_json_string(j, "musiclust-space-transform");
        mc_json_key(j, "version"); mc_json_int(j, 1);
        mc_json_key(j, "kind"); mc_json_string(j, KIND_NAMES[x->kind]);
        mc_json_key(j, "features"); mc_json_string(j, x->features);
        mc_json_key(j, "d"); mc_json_int(j, x->d);
        mc_json_key(j, "components"); mc_json_int(j, x->nc);
        mc_json_key(j, "from"); mc_json_string(j, x->from);
        mc_json_key(j, "fusion"); mc_json_string(j, x->zscore ? "zscore" : "block-variance");
        mc_json_key(j, "lyrics_dim"); mc_json_int(j, x->L);
        mc_json_key(j, "audio_scale"); mc_json_number(j, x->a_scale);
        mc_json_key(j, "lyrics_scale"); mc_json_number(j, x->l_scale);
        mc_json_key(j, "arrays"); mc_json_string(j, "float64: mean (d), sd (d), pca_mean (d), pca_components (components, d), "
                                                    "lyrics_mean (lyrics_dim), lyrics_sd (lyrics_dim); each only where its kind uses it");
        mc_json_end_object(j);
    }
    return npy_then_json(st, pn, buf, total, pj, j);
}

static bool jnum(const mc_json_value *o, const char *key, double *v) {
    const mc_json_value *m = mc_json_member(o, key);
    if (!m || m->type != MC_JSON_NUMBER) return false;
    *v = m->num;
    return true;
}

static const char *jstr(const mc_json_value *o, const char *key) {
    const mc_json_value *m = mc_json_member(o, key);
    return m && m->type == MC_JSON_STRING ? m->str : NULL;
}

static double *take(const double *src, int64_t n) {
    double *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (d && n) memcpy(d, src, (size_t)n * sizeof *d);
    return d;
}

static float *take_f(const double *src, int64_t n) {
    float *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    for (int64_t i = 0; d && i < n; i++) d[i] = (float)src[i]; /* written from floats: exact */
    return d;
}

mc_status pl_xform_read(const char *results, const char *id, bool seeded, uint64_t seed, pl_xform *x) {
    memset(x, 0, sizeof *x);
    char *pj = xform_path(results, id, seeded, seed, "json"), *pn = xform_path(results, id, seeded, seed, "npy");
    if (!pj || !pn) {
        free(pj);
        free(pn);
        return mc_error_nomem("transform: out of memory");
    }
    mc_status st = MC_STATUS_OK;
    mc_json_value *j = NULL;
    if (!pl_file_exists(pj))
        st = mc_error_set(MC_STATUS_UNSUPPORTED, "%s: no saved transform (the run predates it): rerun `musiclust run` on the "
                          "same folder (finished stages are reused) to assign with '%s'", pj, id);
    if (st == MC_STATUS_OK) st = pl_read_json(pj, &j);
    double d = 0, nc = 0, L = 0;
    const char *kind = j ? jstr(j, "kind") : NULL, *feat = j ? jstr(j, "features") : NULL, *from = j ? jstr(j, "from") : NULL,
               *fusion = j ? jstr(j, "fusion") : NULL;
    if (st == MC_STATUS_OK && (!kind || !feat || !from || !fusion || !jnum(j, "d", &d) || !jnum(j, "components", &nc) ||
                               !jnum(j, "lyrics_dim", &L) || !jnum(j, "audio_scale", &x->a_scale) ||
                               !jnum(j, "lyrics_scale", &x->l_scale) || d < 0 || nc < 0 || L < 0 || d > 1e9 || nc > 1e6 || L > 1e6))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: not a musiclust space transform", pj);
    int ki = -1;
    for (int i = 0; st == MC_STATUS_OK && i < 4; i++)
        if (strcmp(kind, KIND_NAMES[i]) == 0) ki = i;
    if (st == MC_STATUS_OK && ki < 0) st = mc_error_set(MC_STATUS_FORMAT, "%s: unknown kind '%s'", pj, kind);
    if (st == MC_STATUS_OK) {
        x->kind = (pl_xform_kind)ki;
        x->d = (int)d;
        x->nc = (int)nc;
        x->L = (int)L;
        x->zscore = strcmp(fusion, "zscore") == 0;
        snprintf(x->features, sizeof x->features, "%s", feat);
        snprintf(x->from, sizeof x->from, "%s", from);
    }
    mc_array a = {0};
    int64_t len[6], total = 0;
    sections(x, len);
    for (int i = 0; i < 6; i++) total += len[i];
    if (st == MC_STATUS_OK) st = mc_npy_read(pn, &a);
    if (st == MC_STATUS_OK && (a.dtype != MC_DTYPE_F64 || a.ndim != 1 || a.shape[0] != total))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected %lld float64 values", pn, (long long)total);
    if (st == MC_STATUS_OK) {
        const double *v = a.data;
        x->mean = take_f(v, len[0]), v += len[0];
        x->sd = take_f(v, len[1]), v += len[1];
        x->pca_mean = take(v, len[2]), v += len[2];
        x->pca_comp = take(v, len[3]), v += len[3];
        x->l_mean = take_f(v, len[4]), v += len[4];
        x->l_sd = take_f(v, len[5]);
        if (!x->mean || !x->sd || !x->pca_mean || !x->pca_comp || !x->l_mean || !x->l_sd) st = mc_error_nomem("transform: out of memory");
    }
    if (st != MC_STATUS_OK) pl_xform_free(x);
    mc_array_free(&a);
    mc_json_value_free(j);
    free(pj);
    free(pn);
    return st;
}

void pl_block_scale_apply(float *B, int64_t rows, int w, bool zscore, const float *mean, const float *sd, double scale) {
    for (int64_t i = 0; i < rows; i++)
        for (int q = 0; q < w; q++) {
            const double c = (double)B[i * w + q] - mean[q];
            B[i * w + q] = (float)((zscore ? (sd[q] > 0 ? c / sd[q] : 0.0) : c) * scale);
        }
}

void pl_pca_scores(const double *mean, const double *comp, int nc, const float *X, int64_t n, int64_t d, float *Z) {
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < nc; c++) {
            double t = 0;
            for (int64_t j = 0; j < d; j++) t += ((double)X[i * d + j] - mean[j]) * comp[(size_t)c * (size_t)d + (size_t)j];
            Z[i * nc + c] = (float)t;
        }
}

mc_status pl_xform_apply(const pl_xform *x, float *X, int64_t n, int64_t d, float *Z) {
    if (x->kind == PL_XFORM_CONCAT) return mc_error_set(MC_STATUS_INVALID_ARG, "transform: concat is applied block by block");
    if (d != x->d) return mc_error_set(MC_STATUS_FORMAT, "the run's transform reads %d columns, the new rows have %lld", x->d, (long long)d);
    if (x->kind != PL_XFORM_PCA_LOGMEL) mc_data_zscore_apply(X, n, (int)d, x->mean, x->sd);
    if (x->kind == PL_XFORM_RAW) {
        memcpy(Z, X, (size_t)n * (size_t)d * sizeof *Z);
        return MC_STATUS_OK;
    }
    if (x->kind == PL_XFORM_PCA_LOGMEL) {
        pl_pca_scores(x->pca_mean, x->pca_comp, x->nc, X, n, d, Z);
        return MC_STATUS_OK;
    }
    /* the PCA the run fitted: only mean, components and sizes are read by the (non-whitened) transform */
    mc_pca p;
    memset(&p, 0, sizeof p);
    p.d = x->d;
    p.n_components = x->nc;
    p.mean = x->pca_mean;
    p.components = x->pca_comp;
    return mc_cluster_pca_transform(&p, X, n, d, Z);
}

char *pl_dbscan_params_path(const char *assign_tsv) {
    size_t l = strlen(assign_tsv);
    const size_t cut = l > 4 && strcmp(assign_tsv + l - 4, ".tsv") == 0 ? l - 4 : l;
    return mc_sprintf("%.*s.json", (int)cut, assign_tsv);
}

mc_status pl_dbscan_params_write(const char *assign_tsv, double eps, int min_samples) {
    char *p = pl_dbscan_params_path(assign_tsv);
    mc_json *j = NULL;
    mc_status st = p ? mc_json_create(&j) : mc_error_nomem("out of memory");
    if (st == MC_STATUS_OK) {
        mc_json_begin_object(j);
        mc_json_key(j, "algorithm"); mc_json_string(j, "dbscan");
        mc_json_key(j, "eps"); mc_json_number(j, eps);
        mc_json_key(j, "min_samples"); mc_json_int(j, min_samples);
        mc_json_end_object(j);
        st = mc_json_write_file(j, p);
    }
    mc_json_free(j);
    free(p);
    return st;
}

mc_status pl_dbscan_params_read(const char *assign_tsv, double *eps, int *min_samples) {
    char *p = pl_dbscan_params_path(assign_tsv);
    if (!p) return mc_error_nomem("out of memory");
    mc_json_value *j = NULL;
    mc_status st = pl_file_exists(p) ? pl_read_json(p, &j)
                                     : mc_error_set(MC_STATUS_UNSUPPORTED, "%s: no saved DBSCAN parameters (the run predates "
                                                    "them): rerun `musiclust run` on the same folder", p);
    double ms = 0;
    if (st == MC_STATUS_OK && (!jnum(j, "eps", eps) || !jnum(j, "min_samples", &ms) || !(*eps > 0) || ms < 1))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no eps / min_samples", p);
    if (st == MC_STATUS_OK) *min_samples = (int)ms;
    mc_json_value_free(j);
    free(p);
    return st;
}

char *pl_gmm_params_path(const char *assign_tsv, bool json) {
    size_t l = strlen(assign_tsv);
    const size_t cut = l > 4 && strcmp(assign_tsv + l - 4, ".tsv") == 0 ? l - 4 : l;
    return mc_sprintf("%.*s.%s", (int)cut, assign_tsv, json ? "json" : "npy");
}

static size_t gmm_cov_len(int k, int d, mc_covariance cov) {
    return (size_t)k * (size_t)d * (cov == MC_COVARIANCE_FULL ? (size_t)d : 1);
}

mc_status pl_gmm_params_write(const char *assign_tsv, const mc_clustering *g, mc_covariance covariance) {
    if (!g->weights || !g->means || !g->covariances || g->k < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "GMM parameters: not a fitted mixture");
    const int k = g->k, d = (int)g->d;
    const size_t cl = gmm_cov_len(k, d, covariance), total = (size_t)k + (size_t)k * (size_t)d + cl;
    char *pj = pl_gmm_params_path(assign_tsv, true), *pn = pl_gmm_params_path(assign_tsv, false);
    double *buf = mc_alloc(total, sizeof *buf); // (total) weights, means, covariances one after another
    mc_json *j = NULL;
    mc_status st = pj && pn && buf ? mc_json_create(&j) : mc_error_nomem("GMM parameters: out of memory");
    if (st == MC_STATUS_OK) {
        memcpy(buf, g->weights, (size_t)k * sizeof *buf);
        memcpy(buf + k, g->means, (size_t)k * (size_t)d * sizeof *buf);
        memcpy(buf + k + (size_t)k * (size_t)d, g->covariances, cl * sizeof *buf);
        mc_json_begin_object(j);
        mc_json_key(j, "algorithm"); mc_json_string(j, "gmm");
        mc_json_key(j, "covariance"); mc_json_string(j, mc_covariance_name(covariance));
        mc_json_key(j, "k"); mc_json_int(j, k);
        mc_json_key(j, "d"); mc_json_int(j, d);
        mc_json_key(j, "arrays"); mc_json_string(j, "float64: weights (k), means (k, d), covariances (k, d, d) full or (k, d) diag");
        mc_json_end_object(j);
    }
    return npy_then_json(st, pn, buf, (int64_t)total, pj, j);
}

void pl_gmm_free(pl_gmm *g) {
    if (!g) return;
    free(g->weights);
    free(g->means);
    free(g->covariances);
    memset(g, 0, sizeof *g);
}

mc_status pl_gmm_params_read(const char *assign_tsv, pl_gmm *g) {
    memset(g, 0, sizeof *g);
    char *pj = pl_gmm_params_path(assign_tsv, true), *pn = pl_gmm_params_path(assign_tsv, false);
    mc_status st = pj && pn ? MC_STATUS_OK : mc_error_nomem("out of memory");
    mc_json_value *j = NULL;
    if (st == MC_STATUS_OK)
        st = pl_file_exists(pj) ? pl_read_json(pj, &j)
                                : mc_error_set(MC_STATUS_UNSUPPORTED, "%s: no saved GMM (the run predates it): rerun "
                                               "`musiclust run` on the same folder", pj);
    double k = 0, d = 0;
    const char *cov = j ? jstr(j, "covariance") : NULL;
    if (st == MC_STATUS_OK && (!cov || !jnum(j, "k", &k) || !jnum(j, "d", &d) || k < 1 || d < 1 || k > 1e6 || d > 46340))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: not a musiclust GMM (k, d, covariance)", pj);
    if (st == MC_STATUS_OK && mc_covariance_parse(cov, &g->covariance) != MC_STATUS_OK)
        st = mc_error_set(MC_STATUS_FORMAT, "%s: unknown covariance '%s'", pj, cov);
    mc_array a = {0};
    size_t cl = 0, kd = 0;
    if (st == MC_STATUS_OK) {
        g->k = (int)k;
        g->d = (int)d;
        kd = (size_t)g->k * (size_t)g->d;
        cl = gmm_cov_len(g->k, g->d, g->covariance);
        st = mc_npy_read(pn, &a);
    }
    if (st == MC_STATUS_OK && (a.dtype != MC_DTYPE_F64 || a.ndim != 1 || a.shape[0] != (int64_t)((size_t)g->k + kd + cl)))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected %lld float64 values", pn, (long long)((size_t)g->k + kd + cl));
    if (st == MC_STATUS_OK) {
        const double *v = a.data;
        g->weights = take(v, g->k);
        g->means = take(v + g->k, (int64_t)kd);
        g->covariances = take(v + g->k + kd, (int64_t)cl);
        if (!g->weights || !g->means || !g->covariances) st = mc_error_nomem("GMM parameters: out of memory");
    }
    if (st != MC_STATUS_OK) pl_gmm_free(g);
    mc_array_free(&a);
    mc_json_value_free(j);
    free(pj);
    free(pn);
    return st;
}
