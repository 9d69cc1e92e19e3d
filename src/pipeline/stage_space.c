/* The space stages of `musiclust run`: the deterministic spaces (raw: the common space itself; pca:
 * its PCA to the vae's latent size) and the spaces built on another representation's latent
 * (conv-vae+lyrics: [z-scored latent / sqrt(Z) ; z-scored lyrics vector / sqrt(L)], per seed). */
#include "run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mc_status pl_stage_space(pl_run *R, pl_rep *r) {
    char name[96];
    snprintf(name, sizeof name, "space.%s", r->id);
    mc_model_config vae; /* PCA keeps the vae's latent size, so that the two compare at one size */
    mc_model_config_default(MC_MODEL_KIND_VAE, &vae);
    const int nc = R->dc < vae.latent ? R->dc : vae.latent;
    pl_hash h;
    pl_hash_init(&h, "space");
    pl_hash_str(&h, "data", R->data_hash);
    pl_hash_str(&h, "id", r->id);
    pl_hash_int(&h, "components", vae.latent);
    pl_hash_hex(&h, r->hash[0]);
    char *out = mc_report_path_latent(NULL, r->id, false, 0);
    if (!out) return MC_STATUS_NO_MEMORY;
    const char *outs[1] = {out};
    mc_status st = MC_STATUS_OK;
    if (!pl_cached(R, name, r->hash[0], outs, 1)) {
        double t0 = mc_clock_seconds();
        char *path = mc_report_path(R->dir, out);
        float *Z = NULL; // (n, nc)
        if (!path) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && r->make == PL_MAKE_PCA) st = mc_pipeline_pca_space(R->common, R->n, R->dc, nc, &Z, NULL);
        int64_t shape[2] = {R->n, r->make == PL_MAKE_PCA ? nc : R->dc};
        if (st == MC_STATUS_OK) st = mc_npy_write(path, MC_DTYPE_F32, 2, shape, Z ? Z : R->common);
        mc_free(Z);
        free(path);
        if (st == MC_STATUS_OK) st = pl_commit(R, name, r->hash[0], t0, NULL, NULL, 0);
    }
    free(out);
    return st;
}

/* X (n, Z + L) = [A z-scored / sqrt(Z) ; lyrics z-scored over the rows that have lyrics / sqrt(L)];
 * rows without lyrics sit at the lyrics mean (0). A (n, Z) is z-scored in place; lyr (n, L) is
 * compacted in place. */
static mc_status concat_space(float *A, int Z, float *lyr, const uint8_t *has, int L, int64_t n, float *X) {
    const int D = Z + L;
    float *mean = mc_alloc((size_t)(Z > L ? Z : L), sizeof(float)), *sd = mc_alloc((size_t)(Z > L ? Z : L), sizeof(float));
    if (!mean || !sd) {
        mc_free(mean);
        mc_free(sd);
        return MC_STATUS_NO_MEMORY;
    }
    mc_data_zscore_fit(A, n, Z, mean, sd);
    mc_data_zscore_apply(A, n, Z, mean, sd);
    const float wa = (float)(1.0 / sqrt((double)Z)), wl = (float)(1.0 / sqrt((double)L));
    int64_t nl = 0;
    for (int64_t i = 0; i < n; i++)
        if (has[i]) memmove(lyr + (nl++) * L, lyr + i * L, (size_t)L * sizeof(float));
    if (nl > 0) mc_data_zscore_fit(lyr, nl, L, mean, sd);
    /* expand back in row order (from the end, so rows are not overwritten before being read) */
    for (int64_t i = n - 1, j = nl - 1; i >= 0; i--) {
        float *dst = X + i * D;
        for (int q = 0; q < Z; q++) dst[q] = A[i * Z + q] * wa;
        if (has[i]) {
            for (int q = 0; q < L; q++) dst[Z + q] = (lyr[j * L + q] - mean[q]) / sd[q] * wl;
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
    const pl_rep *src = pl_find_rep(R, r->from);
    if (!src) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: no representation '%s' to build on", r->id, r->from);
    const uint64_t seed = R->cfg->first_seed + (uint64_t)si;
    char name[96];
    snprintf(name, sizeof name, "space.%s.seed%llu", r->id, (unsigned long long)seed);
    pl_hash h;
    pl_hash_init(&h, "concat");
    pl_hash_str(&h, "audio", src->hash[si]);
    pl_hash_str(&h, "lyrics", R->data_hash);
    pl_hash_hex(&h, r->hash[si]);
    char *out = mc_report_path_latent(NULL, r->id, true, seed);
    char *in = mc_report_path_latent(R->dir, src->id, src->seeded, seed);
    char *path = out ? mc_report_path(R->dir, out) : NULL;
    mc_status st = out && in && path ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    const char *outs[1] = {out};
    if (st == MC_STATUS_OK && !pl_cached(R, name, r->hash[si], outs, 1)) {
        double t0 = mc_clock_seconds();
        mc_array a = {0};
        float *lyr = NULL, *X = NULL;
        uint8_t *has = NULL;
        int L = 0;
        st = mc_npy_read_f32(in, &a);
        if (st == MC_STATUS_OK && (a.ndim != 2 || a.shape[0] != R->n))
            st = mc_error_set(MC_STATUS_FORMAT, "%s: not (n, latent)", in);
        if (st == MC_STATUS_OK) st = mc_store_lyrics(&R->store, &lyr, &has, &L);
        if (st == MC_STATUS_OK && !(X = mc_alloc((size_t)R->n * (size_t)(a.shape[1] + L), sizeof(float))))
            st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK) st = concat_space(a.data, (int)a.shape[1], lyr, has, L, R->n, X);
        int64_t shape[2] = {R->n, a.shape[1] + L};
        if (st == MC_STATUS_OK) st = mc_npy_write(path, MC_DTYPE_F32, 2, shape, X);
        mc_array_free(&a);
        mc_free(lyr);
        free(has);
        mc_free(X);
        if (st == MC_STATUS_OK) st = pl_commit(R, name, r->hash[si], t0, NULL, NULL, 0);
    }
    free(out);
    free(in);
    free(path);
    return st;
}
