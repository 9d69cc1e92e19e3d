/* The evaluate stage of `musiclust run`: every representation x algorithm scored over the seeds by
 * mc_pipeline_score (the scoring of `musiclust evaluate`) into metrics.csv and metrics.json (with each
 * model's last-epoch recon_loss and kl), with the
 * first seed's segment-level contingency tables in contingency/<id>.<algo>.<column>.tsv. */
#include "run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct contingency_sink {
    const pl_run *R;
    const pl_rep *rep;
    unsigned algo;
} contingency_sink;

/* The report's heatmaps read the segment level of the first seed. */
static mc_status write_contingency(void *user, const char *level, const char *column, const mc_contingency *ct) {
    const contingency_sink *k = user;
    if (strcmp(level, "segment") != 0) return MC_STATUS_OK;
    char *p = mc_report_path_contingency(k->R->dir, k->rep->id, pl_algo_name(k->algo), column);
    mc_status st = p ? mc_metrics_contingency_write(ct, p) : MC_STATUS_NO_MEMORY;
    free(p);
    return st;
}

/* The spaces and assignments of every seed of one representation x algorithm. */
typedef struct seeded_inputs {
    mc_array lat[PL_MAX_SEEDS];          /* the representation's spaces (one for an unseeded space) */
    const float *X[PL_MAX_SEEDS];        /* per seed */
    int32_t *cl[PL_MAX_SEEDS];           /* per seed (n) */
} seeded_inputs;

static void seeded_free(seeded_inputs *in, int seeds) {
    for (int s = 0; s < seeds; s++) {
        mc_array_free(&in->lat[s]);
        free(in->cl[s]);
    }
    memset(in, 0, sizeof *in);
}

static mc_status read_seeds(pl_run *R, const pl_rep *rep, unsigned algo, seeded_inputs *in) {
    const mc_run_config *c = R->cfg;
    mc_status st = MC_STATUS_OK;
    for (int s = 0; st == MC_STATUS_OK && s < c->seeds; s++) {
        const uint64_t seed = c->first_seed + (uint64_t)s;
        char *lp = mc_report_path_latent(R->dir, rep->id, rep->seeded, seed);
        char *ap = mc_report_path_assign(R->dir, rep->id, pl_algo_name(algo), seed);
        if (!lp || !ap) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && (s == 0 || rep->seeded)) {
            st = mc_npy_read_f32(lp, &in->lat[s]);
            const mc_array *a = &in->lat[s];
            if (st == MC_STATUS_OK && (a->ndim != 2 || a->shape[0] != R->n || a->shape[1] != in->lat[0].shape[1]))
                st = mc_error_set(MC_STATUS_FORMAT, "%s: expected (%lld, %lld), found %d dims / %lld rows", lp,
                                  (long long)R->n, (long long)in->lat[0].shape[1], a->ndim,
                                  a->ndim ? (long long)a->shape[0] : 0LL);
        }
        in->X[s] = in->lat[rep->seeded ? s : 0].data;
        if (st == MC_STATUS_OK && !(in->cl[s] = mc_calloc((size_t)R->n, sizeof(int32_t)))) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK) st = mc_report_assign_read(ap, R->n, lp, in->cl[s]);
        free(lp);
        free(ap);
    }
    return st;
}

/* A model's last-epoch recon and KL per training row (models/<id>.seed<S>.loss.tsv); NaN when its
 * curve is empty (a complete checkpoint resumed) or unreadable. */
static void model_losses(const pl_run *R, const pl_rep *rep, double *recon, double *kl) {
    for (int s = 0; s < R->cfg->seeds; s++) {
        recon[s] = kl[s] = NAN;
        char *p = mc_report_path_loss(R->dir, rep->id, R->cfg->first_seed + (uint64_t)s);
        mc_table t;
        if (p && mc_table_read(p, '\t', &t) == MC_STATUS_OK) {
            const int cr = mc_table_column(&t, "recon"), ck = mc_table_column(&t, "kl");
            if (t.nrows > 0 && cr >= 0 && ck >= 0) {
                recon[s] = strtod(mc_table_get(&t, t.nrows - 1, cr), NULL);
                kl[s] = strtod(mc_table_get(&t, t.nrows - 1, ck), NULL);
            }
            mc_table_free(&t);
        }
        mc_error_clear();
        free(p);
    }
}

static mc_status score_all(pl_run *R, mc_report_table *t) {
    const mc_run_config *c = R->cfg;
    mc_metrics_opts mo;
    mc_metrics_opts_default(&mo);
    mo.threads = pl_light_threads(R);
    /* bounded (issue 11): above 20000 rows the silhouette of a seeded sample of 20000, said in the notes */
    mo.silhouette_sample = 20000;
    mo.dist = R->dist; /* the silhouettes shared by the ranks (metrics.h) */
    mc_status st = MC_STATUS_OK;
    seeded_inputs *in = mc_calloc(1, sizeof *in);
    if (!in) return MC_STATUS_NO_MEMORY;
    double recon[PL_MAX_SEEDS], kl[PL_MAX_SEEDS];
    for (int i = 0; st == MC_STATUS_OK && i < R->n_reps; i++) {
        const pl_rep *rep = &R->reps[i];
        const bool model = rep->make == PL_MAKE_MODEL;
        if (model) model_losses(R, rep, recon, kl);
        for (unsigned algo = 1; st == MC_STATUS_OK && rep->evaluated && algo <= PL_ALGO_LAST; algo <<= 1) {
            if (!(rep->algos & algo)) continue;
            st = read_seeds(R, rep, algo, in);
            char tasks[64];
            mc_score_input si = {pl_rep_task(R, rep, tasks, sizeof tasks), rep->name, pl_algo_name(algo),
                                 algo == PL_ALGO_DBSCAN ? 0 : R->k, rep->leaked, c->seeds, c->first_seed,
                                 (const float *const *)in->X, st == MC_STATUS_OK ? (int)in->lat[0].shape[1] : 0,
                                 (const int32_t *const *)in->cl, R->common, R->dc, model ? recon : NULL,
                                 model ? kl : NULL};
            contingency_sink sink = {R, rep, algo};
            if (st == MC_STATUS_OK) st = mc_pipeline_score(&R->labels, &si, &mo, write_contingency, &sink, t);
            seeded_free(in, c->seeds);
        }
    }
    free(in);
    return st;
}

mc_status pl_stage_evaluate(pl_run *R) {
    pl_hash h;
    pl_hash_init(&h, "evaluate");
    pl_hash_str(&h, "data", R->data_hash);
    for (int i = 0; i < R->n_reps; i++)
        if (R->reps[i].evaluated) {
            char tb[64];
            pl_hash_str(&h, "rep", R->reps[i].name);
            pl_hash_str(&h, "clusters", R->reps[i].cluster_hash);
            pl_hash_str(&h, "leaked", R->reps[i].leaked);
            pl_hash_str(&h, "tasks", pl_rep_task(R, &R->reps[i], tb, sizeof tb));
        }
    for (int k = 0; k < R->labels.n_cols; k++) pl_hash_str(&h, "column", R->labels.cols[k]);
    pl_hash_int(&h, "threads", R->threads);
    char hash[17];
    pl_hash_hex(&h, hash);
    static const char *const outs[] = {MC_REPORT_METRICS_CSV, MC_REPORT_METRICS_JSON};
    if (pl_cached(R, "evaluate", hash, outs, 2)) return MC_STATUS_OK;
    const double t0 = mc_clock_seconds();
    mc_report_table t;
    mc_status st = mc_pipeline_score_table_losses(&R->labels, true, true, true, &t);
    if (st != MC_STATUS_OK) return st;
    st = score_all(R, &t);
    char *pc = mc_report_path(R->dir, MC_REPORT_METRICS_CSV), *pj = mc_report_path(R->dir, MC_REPORT_METRICS_JSON);
    if (st == MC_STATUS_OK) st = pc && pj ? mc_report_table_write_csv(&t, pc) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_report_table_write_json(&t, pj);
    free(pc);
    free(pj);
    char *txt = NULL; /* the table of the log */
    if (st == MC_STATUS_OK && mc_report_text_table(&t, "segment", NULL, 0, &txt) == MC_STATUS_OK) {
        mc_log(MC_LOG_LEVEL_DEBUG, "segment level:\n%s", txt);
        free(txt);
    }
    mc_report_table_free(&t);
    if (st == MC_STATUS_OK) st = pl_commit(R, "evaluate", hash, t0, NULL, NULL, 0);
    return st;
}
