/* The embed stage of `musiclust run`: t-SNE and UMAP maps (embed/<id>.tsne.npy, embed/<id>.umap.npy)
 * of the first seed's space of every representation shown in the report. */
#include "run_internal.h"

#include <musiclust/embed.h>

#include <math.h>
#include <stdlib.h>

/* One map of X into Y (n, 2) under the run's map rule (bounded above mcfg->sample rows), written to path. */
static mc_status map(pl_run *R, const mc_array *X, const mc_map_config *mcfg, bool tsne, int n_iter, float *Y,
                     const char *path) {
    mc_progress *p = pl_bar(R, tsne ? "t-SNE" : "UMAP", tsne ? n_iter : 0);
    mc_status st = mc_pipeline_map_array(mcfg, tsne ? MC_MAP_TSNE : MC_MAP_UMAP, X->data, R->n, (int)X->shape[1], p, Y);
    pl_bar_end(p, st == MC_STATUS_OK);
    int64_t shape[2] = {R->n, 2};
    return st == MC_STATUS_OK ? mc_npy_write(path, MC_DTYPE_F32, 2, shape, Y) : st;
}

mc_status pl_stage_embed(pl_run *R, pl_rep *r) {
    const mc_run_config *c = R->cfg;
    char name[96];
    snprintf(name, sizeof name, "embed.%s", r->id);
    mc_tsne_opts to;
    mc_umap_opts uo;
    mc_map_config mcfg; /* the one rule of `musiclust map` */
    mc_map_config_default(&mcfg);
    mcfg.seed = c->first_seed;
    mcfg.threads = pl_light_threads(R);
    mcfg.fast = c->fast;
    mcfg.sample = c->map_sample;
    const int64_t mapped = mc_pipeline_map_rows_mapped(&mcfg, R->n);
    mc_pipeline_map_options(&mcfg, mapped, &to, &uo);
    pl_hash h;
    pl_hash_init(&h, "embed");
    pl_hash_str(&h, "space", r->hash[0]);
    pl_hash_dbl(&h, "perplexity", to.perplexity);
    pl_hash_int(&h, "tsne_iter", to.n_iter);
    pl_hash_int(&h, "neighbors", uo.n_neighbors);
    pl_hash_int(&h, "umap_epochs", uo.n_epochs);
    pl_hash_u64(&h, "seed", to.seed);
    if (mapped < R->n) pl_hash_int(&h, "map_sample", (int)mapped); /* unbounded maps keep their hash */
    pl_hash_hex(&h, r->embed_hash);
    if (mapped < R->n && !R->map_noted) { /* the bound (issue 11), said once in the report's notes */
        pl_note(R, "maps: above %lld rows, t-SNE and UMAP of a seeded sample of %lld rows, every other row placed at "
                "the weighted mean of its %d nearest sample rows' positions (umap-learn's transform; --map-sample 0: "
                "every row)", (long long)mcfg.sample, (long long)mapped, uo.n_neighbors);
        R->map_noted = true;
    }
    char *o1 = mc_report_path_embed(NULL, r->id, "tsne"), *o2 = mc_report_path_embed(NULL, r->id, "umap");
    mc_status st = o1 && o2 ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    const char *outs[2] = {o1, o2};
    if (st == MC_STATUS_OK && !pl_cached(R, name, r->embed_hash, outs, 2)) {
        double t0 = mc_clock_seconds();
        char *lp = mc_report_path_latent(R->dir, r->id, r->seeded, c->first_seed);
        char *p1 = mc_report_path(R->dir, o1), *p2 = mc_report_path(R->dir, o2);
        mc_array X = {0};
        float *Y = mc_alloc((size_t)R->n * 2, sizeof(float)); // (n, 2)
        st = lp && p1 && p2 && Y ? mc_npy_read_f32(lp, &X) : MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && (X.ndim != 2 || X.shape[0] != R->n)) st = mc_error_set(MC_STATUS_FORMAT, "%s: not (n, d)", lp);
        if (st == MC_STATUS_OK) st = map(R, &X, &mcfg, true, to.n_iter, Y, p1);
        if (st == MC_STATUS_OK) st = map(R, &X, &mcfg, false, 0, Y, p2);
        mc_array_free(&X);
        mc_free(Y);
        free(lp);
        free(p1);
        free(p2);
        if (st == MC_STATUS_OK) st = pl_commit(R, name, r->embed_hash, t0, NULL, NULL, 0);
    }
    free(o1);
    free(o2);
    return st;
}
