/* The space stages of `musiclust run`: the deterministic spaces (raw: the common space itself; pca:
 * its PCA to the vae's latent size) and the spaces built on another representation's latent
 * (conv-vae+lyrics: [z-scored latent / sqrt(Z) ; z-scored lyrics vector / sqrt(L)], per seed). */
#include "run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Z (n, d) <- the z-scored vectors of another feature set of the store (a raw row beside the run's). */
static mc_status other_raw(pl_run *R, mc_store_features f, float **Z, int *d, pl_xform *x) {
    char *fd = mc_report_path(R->dir, MC_REPORT_FEATURES);
    if (!fd) return MC_STATUS_NO_MEMORY;
    mc_store s;
    mc_status st = mc_store_open_features(fd, f, &s);
    free(fd);
    if (st != MC_STATUS_OK) return st;
    *d = (int)s.vectors.shape[1];
    float *mean = mc_alloc((size_t)*d, sizeof(float)), *sd = mc_alloc((size_t)*d, sizeof(float));
    *Z = mc_alloc((size_t)R->n * (size_t)*d, sizeof(float)); // (n, d)
    if (!mean || !sd || !*Z) {
        st = mc_error_nomem("out of memory allocating the standardised vectors (%lld x %d)", (long long)R->n, *d);
    } else {
        memcpy(*Z, s.vectors.data, (size_t)R->n * (size_t)*d * sizeof(float));
        mc_data_zscore_fit(*Z, R->n, *d, mean, sd);
        mc_data_zscore_apply(*Z, R->n, *d, mean, sd);
        x->mean = malloc((size_t)*d * sizeof(float));
        x->sd = malloc((size_t)*d * sizeof(float));
        if (!x->mean || !x->sd) st = mc_error_nomem("out of memory");
        else memcpy(x->mean, mean, (size_t)*d * sizeof(float)), memcpy(x->sd, sd, (size_t)*d * sizeof(float));
        x->d = *d;
    }
    mc_free(mean);
    mc_free(sd);
    mc_store_close(&s);
    return st;
}

/* The randomised PCA of the store's log-mel (n, n_mels x frames), read from its memory map. */
static mc_status pca_logmel(pl_run *R, int nc, int iters, float **Z, mc_pca *pca) {
    mc_array a;
    mc_status st = mc_store_load_logmel(&R->store, &a);
    if (st != MC_STATUS_OK) return st;
    const int64_t n = a.shape[0], d = a.shape[1] * a.shape[2];
    if (n != R->n) st = mc_error_set(MC_STATUS_FORMAT, "logmel.npy has %lld rows, the store %lld", (long long)n, (long long)R->n);
    if (st == MC_STATUS_OK && nc > (n < d ? n : d))
        st = mc_error_set(MC_STATUS_INVALID_ARG, "pca-logmel: %d components of %lld x %lld log-mel", nc, (long long)n, (long long)d);
    if (st == MC_STATUS_OK && !(*Z = mc_alloc((size_t)n * (size_t)nc, sizeof(float)))) st = MC_STATUS_NO_MEMORY;
    mc_pca p;
    memset(&p, 0, sizeof p);
    if (st == MC_STATUS_OK) st = mc_cluster_pca_randomized((const float *)a.data, n, d, nc, iters, R->cfg->first_seed, &p, NULL);
    /* the scores as `assign` computes them for new rows (pl_pca_scores: plain loops, the same bytes
     * for any BLAS kernel; the randomised scores agree to float rounding), so that the run's own rows
     * come back byte for byte */
    if (st == MC_STATUS_OK) pl_pca_scores(p.mean, p.components, nc, (const float *)a.data, n, d, *Z);
    double ratio = 0;
    for (int c = 0; st == MC_STATUS_OK && c < nc; c++) ratio += p.explained_variance_ratio[c];
    if (st == MC_STATUS_OK)
        mc_log(MC_LOG_LEVEL_INFO, "pca-logmel: %d components of %lld x %lld log-mel explain %.1f%% of the variance", nc,
               (long long)n, (long long)d, 100.0 * ratio);
    if (st == MC_STATUS_OK) *pca = p;
    else mc_cluster_pca_free(&p);
    mc_array_free(&a);
    return st;
}

/* The fitted transform x of a space made by pl_stage_space: z-score (the common space's, or another
 * feature set's) and the PCA (mean, components), into pl_xform's own arrays. */
static mc_status keep_pca(pl_xform *x, const mc_pca *p) {
    x->nc = p->n_components;
    x->pca_mean = malloc((size_t)p->d * sizeof(double));
    x->pca_comp = malloc((size_t)p->d * (size_t)p->n_components * sizeof(double));
    if (!x->pca_mean || !x->pca_comp) return mc_error_nomem("out of memory");
    memcpy(x->pca_mean, p->mean, (size_t)p->d * sizeof(double));
    memcpy(x->pca_comp, p->components, (size_t)p->d * (size_t)p->n_components * sizeof(double));
    return MC_STATUS_OK;
}

static mc_status keep_common(const pl_run *R, pl_xform *x) {
    x->d = R->dc;
    x->mean = malloc((size_t)R->dc * sizeof(float));
    x->sd = malloc((size_t)R->dc * sizeof(float));
    if (!x->mean || !x->sd) return mc_error_nomem("out of memory");
    memcpy(x->mean, R->common_mean, (size_t)R->dc * sizeof(float));
    memcpy(x->sd, R->common_sd, (size_t)R->dc * sizeof(float));
    return MC_STATUS_OK;
}

mc_status pl_stage_space(pl_run *R, pl_rep *r) {
    char name[96];
    snprintf(name, sizeof name, "space.%s", r->id);
    const int nc = pl_pca_components(R, r);
    const bool logmel = r->make == PL_MAKE_PCA_LOGMEL;
    const int iters = logmel ? pl_pca_logmel_iters(R, r) : 0;
    pl_hash h;
    pl_hash_init(&h, "space");
    pl_hash_str(&h, "data", R->data_hash);
    pl_hash_str(&h, "id", r->id);
    pl_hash_int(&h, "components", nc);
    const bool other = r->make == PL_MAKE_RAW && r->features != R->features;
    if (other) pl_hash_str(&h, "features", mc_store_features_name(r->features));
    if (logmel) {
        pl_hash_int(&h, "logmel", 1);
        pl_hash_int(&h, "iters", iters);
        pl_hash_u64(&h, "seed", R->cfg->first_seed);
        pl_hash_str(&h, "scores", "pl_pca_scores"); /* since the scores are assign's arithmetic */
    }
    pl_hash_hex(&h, r->hash[0]);
    char *out = mc_report_path_latent(NULL, r->id, false, 0);
    char *xj = pl_xform_path(NULL, r->id, false, 0, true), *xn = pl_xform_path(NULL, r->id, false, 0, false);
    const char *outs[3] = {out, xj, xn};
    mc_status st = out && xj && xn ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK && !pl_cached(R, name, r->hash[0], outs, 3)) {
        double t0 = mc_clock_seconds();
        char *path = mc_report_path(R->dir, out);
        float *Z = NULL; // (n, nc) PCA, or (n, d) another feature set
        int d = R->dc;
        mc_pca pca;
        memset(&pca, 0, sizeof pca);
        pl_xform x; /* what assign applies to new rows */
        memset(&x, 0, sizeof x);
        x.kind = r->make == PL_MAKE_PCA ? PL_XFORM_PCA : logmel ? PL_XFORM_PCA_LOGMEL : PL_XFORM_RAW;
        snprintf(x.features, sizeof x.features, "%s", logmel ? "logmel" : mc_store_features_name(other ? r->features : R->features));
        if (!path) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && r->make == PL_MAKE_PCA) st = mc_pipeline_pca_space(R->common, R->n, R->dc, nc, &Z, &pca);
        if (st == MC_STATUS_OK && other) st = other_raw(R, r->features, &Z, &d, &x);
        if (st == MC_STATUS_OK && logmel) st = pca_logmel(R, nc, iters, &Z, &pca);
        if (st == MC_STATUS_OK && !other && !logmel) st = keep_common(R, &x);
        if (st == MC_STATUS_OK && logmel) x.d = (int)pca.d;
        if (st == MC_STATUS_OK && (r->make == PL_MAKE_PCA || logmel)) st = keep_pca(&x, &pca);
        int64_t shape[2] = {R->n, r->make == PL_MAKE_PCA || logmel ? nc : d};
        if (st == MC_STATUS_OK) st = mc_npy_write(path, MC_DTYPE_F32, 2, shape, Z ? Z : R->common);
        if (st == MC_STATUS_OK) st = pl_xform_write(R->dir, r->id, false, 0, &x);
        pl_xform_free(&x);
        mc_cluster_pca_free(&pca);
        mc_free(Z);
        free(path);
        if (st == MC_STATUS_OK) st = pl_commit(R, name, r->hash[0], t0, NULL, NULL, 0);
    }
    free(out);
    free(xj);
    free(xn);
    return st;
}

/* Centre the columns of B (rows, w) and scale the whole block so that its total variance (the mean
 * squared distance of a row to the block's mean) is 1: the block's own geometry, e.g. the lyrics SVD's
 * ordering of components by variance, is kept, and every block adds the same expected amount to the
 * squared distances the clustering sees. With zscore, each column is z-scored instead and the block
 * divided by sqrt(w) (the weighting before issue 12: it gives every SVD component of the lyrics the
 * weight of the first, language-bearing one). mean, sd: (w) scratch. */
static double scale_block(float *B, int64_t rows, int w, bool zscore, float *mean, float *sd) {
    if (rows < 1 || w < 1) return 0.0;
    mc_data_zscore_fit(B, rows, w, mean, sd);
    /* the block's total variance from the data itself (zscore_fit gives a constant column sd 1) */
    double total = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int q = 0; q < w; q++) {
            const double c = (double)B[i * w + q] - mean[q];
            total += c * c;
        }
    total /= (double)rows;
    const double scale = zscore ? 1.0 / sqrt((double)w) : total > 0 ? 1.0 / sqrt(total) : 0.0;
    pl_block_scale_apply(B, rows, w, zscore, mean, sd, scale);
    return scale;
}

/* X (n, Z + L) = [A scaled ; the rows' lyrics scaled over the rows that have lyrics] (scale_block);
 * rows without lyrics sit at the lyrics mean (0). A (n, Z), Z may be 0 (the lyrics alone), is scaled
 * in place; lyr (n, L) is compacted in place. x receives both blocks' means, sds and factors. */
static mc_status concat_space(float *A, int Z, float *lyr, const uint8_t *has, int L, int64_t n, bool zscore, float *X,
                              pl_xform *x) {
    const int D = Z + L, W = Z > L ? Z : L;
    float *mean = mc_alloc((size_t)W, sizeof(float)), *sd = mc_alloc((size_t)W, sizeof(float)); // (W)
    if (!mean || !sd) {
        mc_free(mean);
        mc_free(sd);
        return MC_STATUS_NO_MEMORY;
    }
    x->kind = PL_XFORM_CONCAT;
    x->zscore = zscore;
    x->d = Z;
    x->L = L;
    x->mean = malloc((size_t)(Z ? Z : 1) * sizeof(float));
    x->sd = malloc((size_t)(Z ? Z : 1) * sizeof(float));
    x->l_mean = malloc((size_t)(L ? L : 1) * sizeof(float));
    x->l_sd = malloc((size_t)(L ? L : 1) * sizeof(float));
    if (!x->mean || !x->sd || !x->l_mean || !x->l_sd) {
        mc_free(mean);
        mc_free(sd);
        return mc_error_nomem("out of memory");
    }
    for (int q = 0; q < W; q++) mean[q] = 0.0f, sd[q] = 1.0f; /* a block without rows */
    if (Z > 0) x->a_scale = scale_block(A, n, Z, zscore, mean, sd);
    memcpy(x->mean, mean, (size_t)Z * sizeof(float));
    memcpy(x->sd, sd, (size_t)Z * sizeof(float));
    int64_t nl = 0;
    for (int64_t i = 0; i < n; i++)
        if (has[i]) memmove(lyr + (nl++) * L, lyr + i * L, (size_t)L * sizeof(float));
    for (int q = 0; q < W; q++) mean[q] = 0.0f, sd[q] = 1.0f;
    x->l_scale = scale_block(lyr, nl, L, zscore, mean, sd);
    memcpy(x->l_mean, mean, (size_t)L * sizeof(float));
    memcpy(x->l_sd, sd, (size_t)L * sizeof(float));
    /* expand back in row order (from the end, so rows are not overwritten before being read) */
    for (int64_t i = n - 1, j = nl - 1; i >= 0; i--) {
        float *dst = X + i * D;
        for (int q = 0; q < Z; q++) dst[q] = A[i * Z + q];
        if (has[i]) {
            for (int q = 0; q < L; q++) dst[Z + q] = lyr[j * L + q];
            j--;
        } else {
            for (int q = 0; q < L; q++) dst[Z + q] = 0.0f;
        }
    }
    mc_free(mean);
    mc_free(sd);
    return MC_STATUS_OK;
}

mc_status pl_stage_concat(pl_run *R, pl_rep *r, int si) {
    const pl_rep *src = r->from ? pl_find_rep(R, r->from) : NULL; /* NULL: the lyrics alone */
    if (r->from && !src) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: no representation '%s' to build on", r->id, r->from);
    const uint64_t seed = R->cfg->first_seed + (uint64_t)si;
    char name[96];
    snprintf(name, sizeof name, "space.%s.seed%llu", r->id, (unsigned long long)seed);
    pl_hash h;
    pl_hash_init(&h, "concat");
    pl_hash_str(&h, "audio", src ? src->hash[si] : "none");
    pl_hash_str(&h, "lyrics", R->data_hash);
    pl_hash_str(&h, "fusion", r->fusion_zscore ? "zscore" : "block-variance");
    pl_hash_hex(&h, r->hash[si]);
    char *out = mc_report_path_latent(NULL, r->id, true, seed);
    char *xj = pl_xform_path(NULL, r->id, true, seed, true), *xn = pl_xform_path(NULL, r->id, true, seed, false);
    char *in = src ? mc_report_path_latent(R->dir, src->id, src->seeded, seed) : NULL;
    char *path = out ? mc_report_path(R->dir, out) : NULL;
    mc_status st = out && xj && xn && (in || !src) && path ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    const char *outs[3] = {out, xj, xn};
    pl_xform x;
    memset(&x, 0, sizeof x);
    if (st == MC_STATUS_OK && !pl_cached(R, name, r->hash[si], outs, 3)) {
        double t0 = mc_clock_seconds();
        mc_array a = {0};
        float *lyr = NULL, *X = NULL;
        uint8_t *has = NULL;
        int L = 0;
        if (src) st = mc_npy_read_f32(in, &a);
        else a.shape[0] = R->n, a.ndim = 2; /* no audio block: (n, 0) */
        if (st == MC_STATUS_OK && (a.ndim != 2 || a.shape[0] != R->n))
            st = mc_error_set(MC_STATUS_FORMAT, "%s: not (n, latent)", in);
        if (st == MC_STATUS_OK) st = mc_store_lyrics(&R->store, &lyr, &has, &L);
        if (st == MC_STATUS_OK && !(X = mc_alloc((size_t)R->n * (size_t)(a.shape[1] + L), sizeof(float))))
            st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK) st = concat_space(a.data, (int)a.shape[1], lyr, has, L, R->n, r->fusion_zscore, X, &x);
        int64_t shape[2] = {R->n, a.shape[1] + L};
        snprintf(x.from, sizeof x.from, "%s", src ? src->id : "");
        if (st == MC_STATUS_OK) st = mc_npy_write(path, MC_DTYPE_F32, 2, shape, X);
        if (st == MC_STATUS_OK) st = pl_xform_write(R->dir, r->id, true, seed, &x);
        mc_array_free(&a);
        mc_free(lyr);
        free(has);
        mc_free(X);
        if (st == MC_STATUS_OK) st = pl_commit(R, name, r->hash[si], t0, NULL, NULL, 0);
    }
    pl_xform_free(&x);
    free(out);
    free(xj);
    free(xn);
    free(in);
    free(path);
    return st;
}
