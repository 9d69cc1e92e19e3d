/* The cluster stage of `musiclust run`: assign/<id>.<algo>.seed<S>.tsv for every algorithm of a
 * representation and every seed (seed s clusters the space of seed s with seed s). */
#include "run_internal.h"

#include <stdlib.h>
#include <string.h>

/* One clustering of X (n, d) with the run's k; DBSCAN's min_samples capped below n. */
static mc_status cluster_one(pl_run *R, const pl_rep *r, unsigned algo, uint64_t seed, const mc_array *X,
                             const char *path) {
    mc_cluster_config cc;
    mc_cluster_config_default(&cc);
    cc.algo = pl_algo_kind(algo);
    cc.k = R->k;
    cc.seed = seed;
    cc.threads = pl_light_threads(R);
    if (algo == PL_ALGO_DBSCAN && cc.min_samples >= R->n) cc.min_samples = (int)(R->n > 2 ? R->n / 2 : 1);
    /* over ranks: k-means and GMM shared by the ranks; agglomerative and DBSCAN are rank 0's alone (no
     * collective inside: the other ranks read its file after the stage) */
    cc.dist = R->dist;
    if (!R->writer && (algo == PL_ALGO_AGGLO || algo == PL_ALGO_DBSCAN)) return MC_STATUS_OK;
    mc_clustering res;
    memset(&res, 0, sizeof res);
    mc_status st = mc_cluster_fit(&cc, X->data, R->n, X->shape[1], &res);
    if (st == MC_STATUS_OK && cc.algo == MC_CLUSTER_ALGO_AGGLOMERATIVE && res.fit_rows < R->n && !R->agglo_noted) {
        /* the bound (issue 11), said once in the report's notes */
        pl_note(R, "agglomerative: above %lld rows, the tree of a seeded sample of %lld rows, every other row in the "
                "cluster of the nearest sample centroid", (long long)cc.bound_rows, (long long)res.fit_rows);
        R->agglo_noted = true;
    }
    if (st == MC_STATUS_OK) st = mc_report_assign_write(path, res.labels, R->n);
    if (st == MC_STATUS_OK && cc.algo == MC_CLUSTER_ALGO_DBSCAN) st = pl_dbscan_params_write(path, res.eps, cc.min_samples);
    if (st == MC_STATUS_OK && cc.algo == MC_CLUSTER_ALGO_GMM) st = pl_gmm_params_write(path, &res, cc.covariance);
    mc_clustering_free(&res);
    if (st != MC_STATUS_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", mc_error_message());
        st = mc_error_set(st, "%s, %s, seed %llu: %s", r->name, pl_algo_name(algo), (unsigned long long)seed, msg);
    }
    return st;
}

/* The space of a seed, checked to have a row per store row. */
static mc_status read_space(pl_run *R, const pl_rep *r, uint64_t seed, mc_array *X) {
    char *lp = mc_report_path_latent(R->dir, r->id, r->seeded, seed);
    mc_array_free(X);
    mc_status st = lp ? mc_npy_read_f32(lp, X) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK && (X->ndim != 2 || X->shape[0] != R->n))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: not (%lld, d)", lp, (long long)R->n);
    free(lp);
    return st;
}

mc_status pl_stage_cluster(pl_run *R, pl_rep *r) {
    const mc_run_config *c = R->cfg;
    char name[96];
    snprintf(name, sizeof name, "cluster.%s", r->id);
    pl_hash h;
    pl_hash_init(&h, "cluster");
    for (int s = 0; s < (r->seeded ? c->seeds : 1); s++) pl_hash_str(&h, "space", r->hash[s]);
    pl_hash_int(&h, "seeds", c->seeds);
    pl_hash_u64(&h, "first_seed", c->first_seed);
    pl_hash_int(&h, "k", R->k);
    pl_hash_int(&h, "algos", r->algos);
    pl_hash_int(&h, "threads", R->threads);
    pl_hash_hex(&h, r->cluster_hash);
    /* DBSCAN: + its .json; GMM: + its .json and .npy */
    const int na = (r->algos & 1) + (r->algos >> 1 & 1) + 2 * (r->algos >> 2 & 1) + 3 * (r->algos >> 3 & 1);
    char **outs = mc_calloc((size_t)(na * c->seeds), sizeof *outs); // (seeds x outputs) relative paths
    if (!outs) return MC_STATUS_NO_MEMORY;
    int no = 0;
    mc_status st = MC_STATUS_OK;
    for (int s = 0; s < c->seeds; s++)
        for (unsigned a = 1; a <= PL_ALGO_LAST; a <<= 1)
            if (r->algos & a) {
                outs[no] = mc_report_path_assign(NULL, r->id, pl_algo_name(a), c->first_seed + (uint64_t)s);
                if (!outs[no++]) st = MC_STATUS_NO_MEMORY;
                if (a == PL_ALGO_DBSCAN && st == MC_STATUS_OK) {
                    outs[no] = pl_dbscan_params_path(outs[no - 1]);
                    if (!outs[no++]) st = MC_STATUS_NO_MEMORY;
                }
                if (a == PL_ALGO_GMM && st == MC_STATUS_OK) {
                    const char *tsv = outs[no - 1];
                    outs[no] = pl_gmm_params_path(tsv, true);
                    outs[no + 1] = pl_gmm_params_path(tsv, false);
                    if (!outs[no] || !outs[no + 1]) st = MC_STATUS_NO_MEMORY;
                    no += 2;
                }
            }
    if (st == MC_STATUS_OK && !pl_cached(R, name, r->cluster_hash, (const char *const *)outs, no)) {
        double t0 = mc_clock_seconds();
        mc_array X = {0};
        no = 0;
        for (int s = 0; st == MC_STATUS_OK && s < c->seeds; s++) {
            const uint64_t seed = c->first_seed + (uint64_t)s;
            if (s == 0 || r->seeded) st = read_space(R, r, seed, &X);
            for (unsigned a = 1; st == MC_STATUS_OK && a <= PL_ALGO_LAST; a <<= 1) {
                if (!(r->algos & a)) continue;
                char *ap = mc_report_path(R->dir, outs[no++]);
                if (a == PL_ALGO_DBSCAN) no++; /* its .json, written by cluster_one */
                if (a == PL_ALGO_GMM) no += 2; /* its .json and .npy, written by cluster_one */
                st = ap ? cluster_one(R, r, a, seed, &X, ap) : MC_STATUS_NO_MEMORY;
                free(ap);
            }
        }
        mc_array_free(&X);
        if (st == MC_STATUS_OK) st = pl_commit(R, name, r->cluster_hash, t0, NULL, NULL, 0);
    }
    for (int i = 0; i < na * c->seeds; i++) free(outs[i]);
    free(outs);
    return st;
}
