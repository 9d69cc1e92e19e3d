/* Choosing k by silhouette: the sweep behind `musiclust cluster` without --k and `musiclust run`
 * without labels. It lives in the pipeline because it needs both the cluster and the metrics
 * modules (metrics sits below cluster in DESIGN.md's table, so cluster may not call it). */
#include <musiclust/metrics.h>
#include <musiclust/pipeline.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mc_pipeline_ksweep_free(mc_ksweep *s) {
    if (!s) return;
    free(s->points);
    mc_clustering_free(&s->best);
    memset(s, 0, sizeof *s);
}

mc_status mc_pipeline_choose_k(const mc_cluster_config *cfg_in, const float *X, int64_t n, int64_t d,
                               int k_max, int64_t sample_rows, mc_progress *progress, mc_ksweep *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "k sweep: NULL output");
    memset(out, 0, sizeof *out);
    if (!cfg_in || !X) return mc_error_set(MC_STATUS_INVALID_ARG, "k sweep: NULL argument");
    if (cfg_in->algo == MC_CLUSTER_ALGO_DBSCAN)
        return mc_error_set(MC_STATUS_INVALID_ARG, "k sweep: DBSCAN finds its own number of clusters");
    if (k_max < 2) return mc_error_set(MC_STATUS_INVALID_ARG, "k sweep: k_max must be >= 2, got %d", k_max);
    if (sample_rows < 0 || (sample_rows > 0 && sample_rows < 3))
        return mc_error_set(MC_STATUS_INVALID_ARG, "k sweep: sample_rows must be 0 (all rows) or >= 3, got %lld",
                            (long long)sample_rows);
    if (d > INT32_MAX) return mc_error_set(MC_STATUS_INVALID_ARG, "k sweep: %lld columns is too many", (long long)d);
    mc_status st = mc_cluster_check_input(X, n, d);
    if (st != MC_STATUS_OK) return st;
    mc_cluster_config cfg = *cfg_in;
    cfg.progress = NULL;
    cfg.k = 2;
    st = mc_cluster_config_validate(&cfg);
    if (st != MC_STATUS_OK) return st;

    int kmax = k_max;
    if ((int64_t)kmax > n - 1) kmax = (int)(n - 1);
    int64_t distinct = mc_cluster_distinct_rows(X, n, d, kmax > 0 ? kmax : 1);
    if (distinct < kmax) kmax = (int)distinct;
    if (kmax < 2)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "cannot choose k: %lld rows with %lld distinct value%s (a silhouette needs 2 <= k <= N-1)",
                            (long long)n, (long long)distinct, distinct == 1 ? "" : "s");

    /* silhouette rows: all, or a seeded sample (sklearn silhouette_score's sample_size) in row order */
    const int64_t m = (sample_rows > 0 && n > sample_rows) ? sample_rows : n;
    int64_t *sample = NULL; // (n) permutation, its first m entries the sample in row order
    float *Xs = NULL;       // (m, d) the sampled rows
    int32_t *labels = mc_alloc((size_t)m, sizeof(int32_t)); // (m)
    mc_ksweep_point *pts = mc_calloc((size_t)kmax, sizeof *pts);
    mc_dendrogram tree;
    memset(&tree, 0, sizeof tree);
    if (!labels || !pts) {
        st = mc_error_nomem("k sweep: out of memory");
        goto fail;
    }
    if (m < n) {
        sample = mc_alloc((size_t)n, sizeof(int64_t));
        Xs = mc_alloc((size_t)m * (size_t)d, sizeof(float));
        unsigned char *mark = mc_alloc((size_t)n, 1);
        if (!sample || !Xs || !mark) {
            mc_free(mark);
            st = mc_error_nomem("k sweep: out of memory");
            goto fail;
        }
        for (int64_t i = 0; i < n; i++) sample[i] = i;
        mc_rng rng;
        mc_rng_seed(&rng, cfg.seed, 0x5eed5a3b1eULL);
        mc_rng_shuffle(&rng, sample, (size_t)n);
        for (int64_t i = 0; i < m; i++) mark[sample[i]] = 1;
        int64_t t = 0;
        for (int64_t i = 0; i < n; i++)
            if (mark[i]) sample[t++] = i;
        mc_free(mark);
        for (int64_t i = 0; i < m; i++) memcpy(Xs + i * d, X + sample[i] * d, (size_t)d * sizeof(float));
    }
    /* agglomerative: one tree, cut at every k -- unless bounded (issue 11: above cfg.bound_rows rows each
     * k is mc_cluster_fit's seeded-sample tree, never the O(n^2) tree of every row) */
    const bool one_tree = cfg.algo == MC_CLUSTER_ALGO_AGGLOMERATIVE && !(cfg.bound_rows > 0 && n > cfg.bound_rows);
    if (one_tree) {
        st = mc_cluster_linkage(X, n, d, cfg.linkage, cfg.threads, NULL, &tree);
        if (st != MC_STATUS_OK) goto fail;
    }
    mc_metrics_opts mo;
    mc_metrics_opts_default(&mo);
    mo.threads = cfg.threads;
    double best_sil = -INFINITY;
    int npts = 0, chosen = 0;
    for (int kk = 2; kk <= kmax; kk++) {
        const char *what = "k";
        mc_clustering r;
        memset(&r, 0, sizeof r);
        cfg.k = kk;
        if (one_tree) {
            r.algo = cfg.algo;
            r.n = n;
            r.d = d;
            r.k = kk;
            r.fit_rows = n;
            r.labels = mc_alloc((size_t)n, sizeof(int32_t));
            st = r.labels ? mc_cluster_dendrogram_cut(&tree, kk, r.labels) : MC_STATUS_NO_MEMORY;
        } else {
            st = mc_cluster_fit(&cfg, X, n, d, &r);
        }
        double sil = NAN;
        if (st == MC_STATUS_OK) {
            for (int64_t i = 0; i < m; i++) labels[i] = r.labels[sample ? sample[i] : i];
            st = mc_metrics_silhouette(sample ? Xs : X, m, (int)d, labels, &mo, &sil, NULL, NULL);
            if (st != MC_STATUS_OK) what = "silhouette at k";
        }
        if (st != MC_STATUS_OK) { /* the message says which k */
            char msg[512];
            snprintf(msg, sizeof msg, "%s", mc_error_message());
            mc_clustering_free(&r);
            st = mc_error_set(st, "%s = %d: %s", what, kk, msg);
            goto fail;
        }
        mc_ksweep_point *p = &pts[npts++];
        p->k = kk;
        p->silhouette = sil;
        p->inertia = cfg.algo == MC_CLUSTER_ALGO_KMEANS ? r.inertia : NAN;
        p->bic = cfg.algo == MC_CLUSTER_ALGO_GMM ? r.bic : NAN;
        p->log_likelihood = cfg.algo == MC_CLUSTER_ALGO_GMM ? r.log_likelihood : NAN;
        /* the highest silhouette wins; NaN never; ties keep the smaller k */
        if (sil > best_sil) {
            best_sil = sil;
            chosen = kk;
            mc_clustering_free(&out->best);
            out->best = r;
        } else {
            mc_clustering_free(&r);
        }
        mc_progress_tick(progress, 1);
    }
    if (chosen == 0) {
        st = mc_error_set(MC_STATUS_NUMERIC, "the silhouette is undefined for every k in 2..%d", kmax);
        goto fail;
    }
    if (one_tree) {
        out->best.tree = tree; /* the full tree belongs to the result */
        memset(&tree, 0, sizeof tree);
    }
    out->k_max = kmax;
    out->silhouette_rows = m;
    out->chosen_k = chosen;
    out->n_points = npts;
    out->points = pts;
    mc_free(labels);
    mc_free(sample);
    mc_free(Xs);
    return MC_STATUS_OK;
fail:
    mc_cluster_dendrogram_free(&tree);
    mc_clustering_free(&out->best);
    free(pts);
    mc_free(labels);
    mc_free(sample);
    mc_free(Xs);
    memset(out, 0, sizeof *out);
    return st;
}

/* ---------------------------------------------------------------- the k-sweep table */

mc_status mc_pipeline_ksweep_write(const char *path, const mc_ksweep *s) {
    if (!path || !s) return mc_error_set(MC_STATUS_INVALID_ARG, "k-sweep table: NULL argument");
    mc_memfile m;
    mc_status st = mc_memfile_open(&m, path);
    if (st != MC_STATUS_OK) return st;
    fputs("k\tsilhouette\tinertia\tbic\tlog_likelihood\n", m.f);
    for (int i = 0; i < s->n_points; i++) {
        const mc_ksweep_point *p = &s->points[i];
        fprintf(m.f, "%d\t%.17g\t%.17g\t%.17g\t%.17g\n", p->k, p->silhouette, p->inertia, p->bic, p->log_likelihood);
    }
    return mc_memfile_commit(&m, path);
}

mc_status mc_pipeline_ksweep_read(const char *path, mc_ksweep *out) {
    if (!path || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "k-sweep table: NULL argument");
    memset(out, 0, sizeof *out);
    static const char *const cols[5] = {"k", "silhouette", "inertia", "bic", "log_likelihood"};
    mc_table t;
    mc_status st = mc_table_read(path, '\t', &t);
    if (st != MC_STATUS_OK) return st;
    int c[5];
    for (int i = 0; i < 5 && st == MC_STATUS_OK; i++)
        if ((c[i] = mc_table_column(&t, cols[i])) < 0)
            st = mc_error_set(MC_STATUS_FORMAT, "%s: no '%s' column (expected k, silhouette, inertia, bic, log_likelihood)",
                              path, cols[i]);
    if (st == MC_STATUS_OK && !(out->points = mc_calloc((size_t)t.nrows, sizeof *out->points))) st = MC_STATUS_NO_MEMORY;
    for (int64_t r = 0; st == MC_STATUS_OK && r < t.nrows; r++) {
        mc_ksweep_point *p = &out->points[r];
        char *end = NULL;
        long k = strtol(mc_table_get(&t, r, c[0]), &end, 10);
        double *v[4] = {&p->silhouette, &p->inertia, &p->bic, &p->log_likelihood};
        bool ok = *end == '\0' && k >= 2 && k <= INT32_MAX;
        for (int i = 0; i < 4 && ok; i++) {
            const char *x = mc_table_get(&t, r, c[i + 1]);
            *v[i] = strtod(x, &end);
            ok = *x && *end == '\0';
        }
        if (!ok) st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: not a k and four numbers", path, (long long)r + 2);
        p->k = (int)k;
        out->n_points = (int)r + 1;
    }
    mc_table_free(&t);
    if (st != MC_STATUS_OK) mc_pipeline_ksweep_free(out);
    return st;
}

/* ---------------------------------------------------------------- PCA spaces */

mc_status mc_pipeline_pca_space(const float *X, int64_t n, int64_t d, int k, float **Z, mc_pca *pca_out) {
    *Z = NULL;
    mc_pca pca;
    float *z = mc_alloc((size_t)n * (size_t)(k > 0 ? k : 1), sizeof(float)); // (n, k)
    mc_status st = z ? mc_cluster_pca_fit(X, n, d, k, false, &pca) : MC_STATUS_NO_MEMORY;
    if (st != MC_STATUS_OK) {
        mc_free(z);
        return st;
    }
    st = mc_cluster_pca_transform(&pca, X, n, d, z);
    if (st == MC_STATUS_OK && pca_out) *pca_out = pca;
    else mc_cluster_pca_free(&pca);
    if (st != MC_STATUS_OK) {
        mc_free(z);
        return st;
    }
    *Z = z;
    return MC_STATUS_OK;
}
