/* Issue 11 (scale), the parts one process can check: the store's arrays are memory-mapped and
 * mapping changes no result (a model trained from the map is byte-identical to one trained from a
 * heap copy); the bounded silhouette (a seeded sample: its rows, its standard error, close to the
 * exact value, reproducible, the same for any thread count); the bounded agglomerative clustering
 * (a sample tree, every row assigned, the sample rows keep their cut, exact below the bound).
 * The MPI side runs in tests/scripts/mpi_same.sh (mpirun -np 2 and 3). */
#include "mc_test.h"

#include <musiclust/cluster.h>
#include <musiclust/data.h>
#include <musiclust/metrics.h>
#include <musiclust/models.h>
#include <musiclust/pipeline.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same_file(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = false;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* A small store written by hand: index.tsv, mfcc_stats.npy (n, 6), logmel.npy (n, 16, 20). */
static void make_store(const char *dir, int64_t n) {
    char p[1024];
    snprintf(p, sizeof p, "%s/index.tsv", dir);
    FILE *f = fopen(p, "w");
    MC_CHECK(f != NULL, "cannot write %s", p);
    if (!f) return;
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tgenre\n", f);
    for (int64_t i = 0; i < n; i++) fprintf(f, "%lld\t%lld\t/x/%lld.wav\t0\t0\tg%lld\n", (long long)i, (long long)i, (long long)i, (long long)(i % 3));
    fclose(f);
    mc_rng rng;
    mc_rng_seed(&rng, 7, 0);
    float *v = malloc((size_t)n * 6 * sizeof *v);        // (n, 6)
    float *lm = malloc((size_t)n * 16 * 20 * sizeof *lm); // (n, 16, 20)
    for (int64_t i = 0; i < n * 6; i++) v[i] = (float)(mc_rng_uniform(&rng) * 4 - 2 + (double)((i / 6) % 3));
    for (int64_t i = 0; i < n * 16 * 20; i++) lm[i] = (float)(-80 + 80 * mc_rng_uniform(&rng));
    int64_t s2[2] = {n, 6}, s3[3] = {n, 16, 20};
    snprintf(p, sizeof p, "%s/mfcc_stats.npy", dir);
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 2, s2, v));
    snprintf(p, sizeof p, "%s/logmel.npy", dir);
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 3, s3, lm));
    free(v);
    free(lm);
}

static void test_store_mapped(void) {
    printf("store: vectors and logmel memory-mapped, the values of a plain read\n");
    const char *dir = mc_test_tmpdir("scale_store");
    make_store(dir, 96);
    mc_store s;
    MC_CHECK_OK(mc_store_open(dir, &s));
    MC_CHECK(s.vectors.map_base != NULL, "mfcc_stats.npy is not memory-mapped");
    char p[1024];
    snprintf(p, sizeof p, "%s/mfcc_stats.npy", dir);
    mc_array r;
    MC_CHECK_OK(mc_npy_read_f32(p, &r));
    MC_CHECK(memcmp(r.data, s.vectors.data, (size_t)mc_array_count(&r) * 4) == 0, "mapped vectors differ from the read");
    mc_array_free(&r);
    mc_array lm;
    MC_CHECK_OK(mc_store_load_logmel(&s, &lm));
    MC_CHECK(lm.map_base != NULL && lm.ndim == 3 && lm.shape[0] == 96, "logmel.npy: mapped %d, %d dims",
             lm.map_base != NULL, lm.ndim);
    snprintf(p, sizeof p, "%s/logmel.npy", dir);
    MC_CHECK_OK(mc_npy_read_f32(p, &r));
    MC_CHECK(memcmp(r.data, lm.data, (size_t)mc_array_count(&r) * 4) == 0, "mapped logmel differs from the read");
    mc_array_free(&r);
    mc_array_free(&lm);
    mc_store_close(&s);

    printf("training from the map = training from a heap copy, byte for byte (vae, conv-vae)\n");
    for (int conv = 0; conv < 2; conv++) {
        mc_model_data d;
        MC_CHECK_OK(mc_model_data_load(dir, conv ? MC_MODEL_INPUT_LOGMEL : MC_MODEL_INPUT_VECTORS, NULL, &d));
        MC_CHECK(d.owned_x_.map_base != NULL, "%s: the model data is not mapped", conv ? "logmel" : "vectors");
        /* the same rows on the heap */
        mc_model_data h = d;
        size_t bytes = (size_t)mc_array_count(&d.owned_x_) * sizeof(float);
        float *copy = malloc(bytes);
        memcpy(copy, d.x, bytes);
        h.x = copy;
        char out[2][1024];
        for (int k = 0; k < 2; k++) {
            mc_model_config c;
            mc_model_config_default(conv ? MC_MODEL_KIND_CONV_VAE : MC_MODEL_KIND_VAE, &c);
            c.epochs = 2;
            c.batch = 16;
            c.seed = 5;
            if (conv) {
                c.n_conv = 2;
                c.channels[0] = 4;
                c.channels[1] = 8;
                c.latent = 3;
            }
            mc_model *m = NULL;
            const mc_model_data *use = k == 0 ? &d : &h;
            MC_CHECK_OK(mc_model_create(&c, use, &m));
            if (!m) continue;
            mc_train_summary ts;
            MC_CHECK_OK(mc_model_train(m, use, NULL, NULL, &ts));
            snprintf(out[k], sizeof out[k], "%s/%s_%s.safetensors", dir, conv ? "conv" : "vae", k == 0 ? "map" : "heap");
            MC_CHECK_OK(mc_model_save(m, out[k]));
            mc_model_free(m);
        }
        MC_CHECK(same_file(out[0], out[1]), "%s: the model trained from the map differs from the heap one",
                 conv ? "conv-vae" : "vae");
        free(copy);
        mc_model_data_free(&d);
    }
}

/* (n, 4) points around k centres. */
static float *blobs(int64_t n, int k, uint64_t seed, int32_t *truth) {
    float *X = malloc((size_t)n * 4 * sizeof *X);
    mc_rng rng;
    mc_rng_seed(&rng, seed, 0);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % k);
        if (truth) truth[i] = c;
        for (int f = 0; f < 4; f++) X[i * 4 + f] = (float)(3.0 * c * (f % 2 ? 1 : -1) + 2 * mc_rng_uniform(&rng) - 1);
    }
    return X;
}

static void test_silhouette_sample(void) {
    printf("silhouette: a seeded sample above the bound, with its standard error\n");
    const int64_t n = 3000;
    int32_t *cl = malloc((size_t)n * sizeof *cl);
    float *X = blobs(n, 3, 1, cl);
    for (int64_t i = 0; i < n; i += 7) cl[i] = (cl[i] + 1) % 3; /* some misplaced rows: s < 1 */
    mc_metrics_opts o;
    mc_metrics_opts_default(&o);
    mc_internal_scores exact, s1, s2, s3;
    MC_CHECK_OK(mc_metrics_internal(X, n, 4, cl, &o, &exact));
    MC_CHECK(!exact.silhouette_sampled && exact.silhouette_rows == n && exact.silhouette_se == 0,
             "exact: sampled %d, rows %lld", exact.silhouette_sampled, (long long)exact.silhouette_rows);
    o.silhouette_sample = 500;
    o.sample_seed = 3;
    o.threads = 1;
    MC_CHECK_OK(mc_metrics_internal(X, n, 4, cl, &o, &s1));
    o.threads = 2;
    MC_CHECK_OK(mc_metrics_internal(X, n, 4, cl, &o, &s2));
    MC_CHECK(s1.silhouette_sampled && s1.silhouette_rows == 500 && s1.n == n && s1.n_used == n && s1.n_clusters == 3,
             "sample: sampled %d rows %lld n %lld clusters %d", s1.silhouette_sampled, (long long)s1.silhouette_rows,
             (long long)s1.n, s1.n_clusters);
    MC_CHECK(memcmp(&s1.silhouette, &s2.silhouette, sizeof(double)) == 0 && s1.silhouette_se == s2.silhouette_se,
             "sample: threads 1 and 2 differ (%.17g vs %.17g)", s1.silhouette, s2.silhouette);
    MC_CHECK(s1.silhouette_se > 0 && s1.silhouette_se < 0.05, "sample: standard error %g", s1.silhouette_se);
    double z = fabs(s1.silhouette - exact.silhouette) / s1.silhouette_se;
    MC_CHECK(z < 4, "sample %.5f vs exact %.5f: %.1f standard errors apart", s1.silhouette, exact.silhouette, z);
    MC_CHECK(s1.calinski_harabasz == exact.calinski_harabasz && s1.davies_bouldin == exact.davies_bouldin,
             "CH and DB must stay exact");
    o.sample_seed = 4;
    MC_CHECK_OK(mc_metrics_internal(X, n, 4, cl, &o, &s3));
    MC_CHECK(s3.silhouette != s1.silhouette, "another seed gave the same sample value %.17g", s3.silhouette);
    o.silhouette_sample = n; /* not above the bound: exact */
    MC_CHECK_OK(mc_metrics_internal(X, n, 4, cl, &o, &s3));
    MC_CHECK(!s3.silhouette_sampled && s3.silhouette == exact.silhouette, "at the bound: not exact");
    printf("  exact %.5f, sample of 500 %.5f (se %.4f)\n", exact.silhouette, s1.silhouette, s1.silhouette_se);
    free(X);
    free(cl);
}

static void test_agglomerative_bound(void) {
    printf("agglomerative: bounded on a seeded sample, every row assigned; exact below the bound\n");
    const int64_t n = 2400;
    int32_t *truth = malloc((size_t)n * sizeof *truth);
    float *X = blobs(n, 4, 2, truth);
    mc_cluster_config c;
    mc_cluster_config_default(&c);
    MC_CHECK(c.bound_rows == 20000, "default bound %lld", (long long)c.bound_rows);
    c.algo = MC_CLUSTER_ALGO_AGGLOMERATIVE;
    c.k = 4;
    c.seed = 9;
    c.bound_rows = 0;
    mc_clustering ex, b1, b2;
    MC_CHECK_OK(mc_cluster_fit(&c, X, n, 4, &ex));
    MC_CHECK(ex.fit_rows == n, "exact: fit_rows %lld", (long long)ex.fit_rows);
    c.bound_rows = 600;
    c.threads = 1;
    MC_CHECK_OK(mc_cluster_fit(&c, X, n, 4, &b1));
    c.threads = 2;
    MC_CHECK_OK(mc_cluster_fit(&c, X, n, 4, &b2));
    MC_CHECK(b1.fit_rows == 600 && b1.k == 4 && b1.tree.n == 600, "bounded: fit_rows %lld k %d tree %lld",
             (long long)b1.fit_rows, b1.k, (long long)b1.tree.n);
    MC_CHECK(b1.labels && b2.labels && memcmp(b1.labels, b2.labels, (size_t)n * sizeof(int32_t)) == 0,
             "bounded: threads 1 and 2 differ");
    /* well separated blobs: the bounded partition is the exact one (up to the cluster numbering) */
    int map[4] = {-1, -1, -1, -1};
    int64_t bad = 0;
    for (int64_t i = 0; b1.labels && ex.labels && i < n; i++) {
        int a = ex.labels[i], b = b1.labels[i];
        if (a < 0 || a > 3 || b < 0 || b > 3) { bad++; continue; }
        if (map[a] < 0) map[a] = b;
        bad += map[a] != b;
    }
    MC_CHECK(bad == 0, "bounded vs exact: %lld rows in another cluster", (long long)bad);
    mc_clustering_free(&ex);
    mc_clustering_free(&b1);
    mc_clustering_free(&b2);
    /* the k sweep honours the bound too (no tree of every row) */
    c.bound_rows = 600;
    mc_ksweep sw;
    memset(&sw, 0, sizeof sw);
    MC_CHECK_OK(mc_pipeline_choose_k(&c, X, n, 4, 5, 1000, NULL, &sw));
    MC_CHECK(sw.chosen_k == 4 && sw.best.fit_rows == 600, "bounded sweep: k %d, fit_rows %lld", sw.chosen_k,
             (long long)sw.best.fit_rows);
    mc_pipeline_ksweep_free(&sw);
    c.bound_rows = 0;
    MC_CHECK_OK(mc_pipeline_choose_k(&c, X, n, 4, 5, 1000, NULL, &sw));
    MC_CHECK(sw.chosen_k == 4 && sw.best.fit_rows == n, "exact sweep: k %d, fit_rows %lld", sw.chosen_k,
             (long long)sw.best.fit_rows);
    mc_pipeline_ksweep_free(&sw);
    c.bound_rows = -1;
    MC_CHECK(mc_cluster_config_validate(&c) == MC_STATUS_INVALID_ARG, "bound_rows -1 accepted");
    free(X);
    free(truth);
}

int main(void) {
    test_store_mapped();
    test_silhouette_sample();
    test_agglomerative_bound();
    return mc_test_summary("test_scale");
}
