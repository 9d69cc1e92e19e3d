/* Thread-count determinism under whatever OpenBLAS kernel the environment picks.
 *
 * CTest runs this binary once per kernel (test_determinism_<kernel>, with OPENBLAS_CORETYPE set for
 * that case only through the ENVIRONMENT property) and once as the environment gives it. Every piece
 * of parallel work of the library is run with 1, 2 and 3 threads and must give the same bytes: GEMM
 * tiles, nn training steps (MLP and conv), one epoch of vae and conv-vae training (the saved model
 * files), k-means, GMM (full and diag), agglomerative, DBSCAN, PCA, silhouette, t-SNE, UMAP, TF-IDF +
 * SVD (lyrics) and extraction (synthetic audio). OpenBLAS's kernels round edge tiles differently from
 * full ones, so any split of a product or a reduction that follows the thread count shows up here as a
 * difference in the last bits.
 *
 * A kernel this CPU cannot run (SkylakeX/Cooperlake without AVX-512) is a skip, said before any check:
 * OpenBLAS would fault on the first call, and nothing of ours is being tested then. */
#include <musiclust/musiclust.h>

#include "mc_test.h"
#include "cluster/cluster_internal.h" /* mc_cl_par_min_work: force the parallel paths */

#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static const int THREADS[] = {1, 2, 3};
#define NT ((int)(sizeof THREADS / sizeof THREADS[0]))

/* Gaussian blobs: n rows of d floats around k centres. */
static float *blobs(int64_t n, int d, int k, uint64_t seed) {
    mc_rng r;
    mc_rng_seed(&r, seed, 0);
    float *C = mc_test_xcalloc((size_t)k * d, sizeof(float)), *X = mc_test_xcalloc((size_t)n * d, sizeof(float));
    for (int64_t i = 0; i < (int64_t)k * d; i++) C[i] = (float)(4.0 * mc_rng_normal(&r));
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % k);
        for (int f = 0; f < d; f++) X[i * d + f] = C[c * d + f] + (float)mc_rng_normal(&r);
    }
    free(C);
    return X;
}

static void check_same(const char *what, const void *a, const void *b, size_t bytes, int threads) {
    int same = a && b && memcmp(a, b, bytes) == 0;
    if (!same && a && b) {
        /* say where and by how much when both are float arrays */
        const float *x = a, *y = b;
        long where = 0;
        double diff = bytes % sizeof(float) == 0
                          ? mc_test_max_abs_diff(x, y, (long)(bytes / sizeof(float)), &where)
                          : 0.0;
        MC_CHECK(same, "%s: 1 thread vs %d threads differ (as floats: max |diff| %.3g at %ld)", what, threads,
                 diff, where);
    } else {
        MC_CHECK(same, "%s: 1 thread vs %d threads: missing output", what, threads);
    }
}

/* ---------------------------------------------------------------- nn */

static void test_gemm(void) {
    /* shapes below and above the tiling threshold, odd edges, both transposes */
    const int64_t shapes[][3] = {{7, 13, 5}, {64, 300, 129}, {333, 77, 250}, {32, 4096, 16}, {129, 1031, 97}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *A = blobs(m * k, 1, 3, 11 + s), *B = blobs(k * n, 1, 3, 12 + s);
        float *C[NT];
        for (int t = 0; t < NT; t++) {
            mc_nn_set_threads(THREADS[t]);
            C[t] = blobs(m * n, 1, 1, 13 + s); /* beta 1: accumulates into existing values */
            mc_nn_gemm(s % 2 == 1, s % 3 == 1, m, n, k, 0.5f, A, s % 2 == 1 ? m : k, B, s % 3 == 1 ? k : n, 1.0f,
                       C[t], n);
        }
        for (int t = 1; t < NT; t++) check_same("mc_nn_gemm", C[0], C[t], (size_t)(m * n) * sizeof(float), THREADS[t]);
        for (int t = 0; t < NT; t++) free(C[t]);
        free(A);
        free(B);
    }
    printf("  mc_nn_gemm: 5 shapes x %d thread counts\n", NT);
}

/* The conv layers' precision train_once uses (the bf16 case below). */
static mc_nn_precision g_precision = MC_NN_PRECISION_FP32;
/* The mini-batch train_once uses when > 0 (else 16 for the conv-vae, the default for the rest). */
static int g_batch = 0;
static bool g_low_memory = false; /* mc_train_options.low_memory */

/* One epoch of a model on in-memory rows; returns the saved model file's bytes. */
static char *train_once(mc_model_kind kind, const mc_model_data *d, int threads, const char *path, size_t *len) {
    mc_model_config c;
    mc_model_config_default(kind, &c);
    c.epochs = 1;
    c.seed = 5;
    if (kind == MC_MODEL_KIND_CONV_VAE) c.batch = 16;
    if (g_batch > 0) c.batch = g_batch;
    c.precision = g_precision;
    mc_model *m = NULL;
    mc_train_options o = {.threads = threads, .low_memory = g_low_memory};
    mc_train_summary sum;
    char *bytes = NULL;
    MC_CHECK_OK(mc_model_create(&c, d, &m));
    if (m) {
        MC_CHECK_OK(mc_model_train(m, d, &o, NULL, &sum));
        MC_CHECK_OK(mc_model_save(m, path));
        bytes = mc_test_read_file(path, len);
    }
    mc_model_free(m);
    return bytes;
}

static void test_models(const char *dir) {
    char path[600];
    /* vae on vectors: 300 rows x 40 */
    float *X = blobs(300, 40, 5, 21);
    mc_model_data dv = {.n = 300, .ndim = 2, .shape = {300, 40}, .x = X};
    /* conv-vae on log-mel patches: 40 rows x 32 mels x 32 frames (4 stride-2 layers) */
    float *L = blobs(40 * 32 * 32, 1, 1, 22);
    for (int64_t i = 0; i < 40 * 32 * 32; i++) L[i] = -40.0f + 10.0f * L[i];
    mc_model_data dc = {.n = 40, .ndim = 3, .shape = {40, 32, 32}, .x = L};
    /* 80 rows: 72 training rows, two mini-batches of 36 = two parts each (32 + 4) */
    float *L2 = blobs(80 * 32 * 32, 1, 1, 23);
    for (int64_t i = 0; i < 80 * 32 * 32; i++) L2[i] = -40.0f + 10.0f * L2[i];
    mc_model_data dc2 = {.n = 80, .ndim = 3, .shape = {80, 32, 32}, .x = L2};
    const struct {
        mc_model_kind kind;
        const mc_model_data *d;
        int batch;
    } cases[] = {{MC_MODEL_KIND_VAE, &dv, 0}, {MC_MODEL_KIND_CONV_VAE, &dc, 0},
                 /* mini-batches of several MC_MODEL_PART_ROWS parts: with 2 or 3 threads the parts run
                  * side by side on per-thread nets (train.c), rounds of 3 + 1 parts and a short part
                  * (36 rows: 32 + 4) included; with 1 thread one after another */
                 {MC_MODEL_KIND_VAE, &dv, 128}, {MC_MODEL_KIND_CONV_VAE, &dc2, 36}};
    for (int c = 0; c < 4; c++) {
        char *b[NT] = {0};
        size_t len[NT] = {0};
        g_batch = cases[c].batch;
        for (int t = 0; t < NT; t++) {
            snprintf(path, sizeof path, "%s/%s_%d.safetensors", dir, mc_model_kind_name(cases[c].kind), THREADS[t]);
            b[t] = train_once(cases[c].kind, cases[c].d, THREADS[t], path, &len[t]);
        }
        g_batch = 0;
        for (int t = 1; t < NT; t++) {
            MC_CHECK(b[0] && b[t] && len[0] == len[t], "%s: model files of different sizes", mc_model_kind_name(cases[c].kind));
            if (b[0] && b[t] && len[0] == len[t]) check_same(mc_model_kind_name(cases[c].kind), b[0], b[t], len[0], THREADS[t]);
        }
        printf("  %s (batch %d): one epoch, model file %zu bytes, %d thread counts\n", mc_model_kind_name(cases[c].kind),
               cases[c].batch, len[0], NT);
        if (cases[c].batch > 32) { /* low_memory: the parts in turn on one network, the same bytes */
            size_t ll = 0;
            g_low_memory = true;
            g_batch = cases[c].batch;
            snprintf(path, sizeof path, "%s/%s_low.safetensors", dir, mc_model_kind_name(cases[c].kind));
            char *lb = train_once(cases[c].kind, cases[c].d, 2, path, &ll);
            g_low_memory = false;
            g_batch = 0;
            MC_CHECK(b[0] && lb && ll == len[0], "%s low_memory: model file of another size", mc_model_kind_name(cases[c].kind));
            if (b[0] && lb && ll == len[0]) check_same("low_memory (2 threads)", b[0], lb, ll, 2);
            free(lb);
        }
        for (int t = 0; t < NT; t++) free(b[t]);
    }
    /* conv-vae with bf16 convolutions (fp32 where the CPU lacks them: then this repeats the case above) */
    {
        char *b[NT] = {0};
        size_t len[NT] = {0};
        g_precision = MC_NN_PRECISION_BF16;
        g_batch = 36; /* two parts: side by side on 2 threads (the bf16 copies of the per-thread nets) */
        for (int t = 0; t < NT; t++) {
            snprintf(path, sizeof path, "%s/conv-vae-bf16_%d.safetensors", dir, THREADS[t]);
            b[t] = train_once(MC_MODEL_KIND_CONV_VAE, &dc2, THREADS[t], path, &len[t]);
        }
        g_precision = MC_NN_PRECISION_FP32;
        g_batch = 0;
        for (int t = 1; t < NT; t++) {
            MC_CHECK(b[0] && b[t] && len[0] == len[t], "conv-vae bf16: model files of different sizes");
            if (b[0] && b[t] && len[0] == len[t]) check_same("conv-vae bf16", b[0], b[t], len[0], THREADS[t]);
        }
        printf("  conv-vae %s: one epoch, model file %zu bytes, %d thread counts\n",
               mc_nn_bf16_available() ? "bf16" : "(bf16 asked, no AVX512_BF16: fp32)", len[0], NT);
        for (int t = 0; t < NT; t++) free(b[t]);
    }
    free(X);
    free(L);
    free(L2);
}

/* ---------------------------------------------------------------- cluster, metrics */

static void test_cluster(void) {
    /* above MC_CL_SUM_ROWS and many MC_CL_CHUNKs, and every step split however small */
    const int64_t n = 9000;
    mc_cl_par_min_work = 0;
    const int d = 12;
    float *X = blobs(n, d, 6, 31);
    const struct {
        mc_cluster_algo algo;
        mc_covariance cov;
        int64_t n;
        const char *name;
    } cases[] = {{MC_CLUSTER_ALGO_KMEANS, 0, n, "k-means"},
                 {MC_CLUSTER_ALGO_GMM, MC_COVARIANCE_FULL, n, "GMM full"},
                 {MC_CLUSTER_ALGO_GMM, MC_COVARIANCE_DIAG, n, "GMM diag"},
                 {MC_CLUSTER_ALGO_AGGLOMERATIVE, 0, 700, "agglomerative"},
                 {MC_CLUSTER_ALGO_DBSCAN, 0, 1500, "DBSCAN"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mc_clustering r[NT];
        memset(r, 0, sizeof r);
        for (int t = 0; t < NT; t++) {
            mc_cluster_config cfg;
            mc_cluster_config_default(&cfg);
            cfg.algo = cases[c].algo;
            cfg.covariance = cases[c].cov;
            cfg.k = 6;
            cfg.seed = 3;
            cfg.threads = THREADS[t];
            MC_CHECK_OK(mc_cluster_fit(&cfg, X, cases[c].n, d, &r[t]));
        }
        for (int t = 1; t < NT; t++) {
            check_same(cases[c].name, r[0].labels, r[t].labels, (size_t)cases[c].n * sizeof(int32_t), THREADS[t]);
            if (r[0].centers && r[t].centers)
                check_same(cases[c].name, r[0].centers, r[t].centers, (size_t)r[0].k * d * sizeof(float), THREADS[t]);
            MC_CHECK(memcmp(&r[0].inertia, &r[t].inertia, sizeof(double)) == 0 &&
                         memcmp(&r[0].log_likelihood, &r[t].log_likelihood, sizeof(double)) == 0 &&
                         memcmp(&r[0].eps, &r[t].eps, sizeof(double)) == 0,
                     "%s: inertia / log-likelihood / eps differ between 1 and %d threads", cases[c].name, THREADS[t]);
            if (r[0].covariances && r[t].covariances) {
                size_t nc = (size_t)r[0].k * d * (cases[c].cov == MC_COVARIANCE_FULL ? d : 1);
                MC_CHECK(memcmp(r[0].covariances, r[t].covariances, nc * sizeof(double)) == 0,
                         "%s: covariances differ between 1 and %d threads", cases[c].name, THREADS[t]);
            }
        }
        for (int t = 0; t < NT; t++) mc_clustering_free(&r[t]);
    }
    /* PCA (whitened) */
    float *Z[NT];
    for (int t = 0; t < NT; t++) {
        mc_nn_set_threads(THREADS[t]); /* PCA follows the OpenMP default */
        mc_pca p = {0};
        Z[t] = mc_test_xcalloc((size_t)n * 4, sizeof(float));
        MC_CHECK_OK(mc_cluster_pca_fit(X, n, d, 4, true, &p));
        MC_CHECK_OK(mc_cluster_pca_transform(&p, X, n, d, Z[t]));
        mc_cluster_pca_free(&p);
    }
    for (int t = 1; t < NT; t++) check_same("PCA", Z[0], Z[t], (size_t)n * 4 * sizeof(float), THREADS[t]);
    for (int t = 0; t < NT; t++) free(Z[t]);
    /* silhouette (exact), CH, DB */
    int32_t *lab = mc_test_xcalloc((size_t)n, sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) lab[i] = (int32_t)((i * 7) % 6);
    mc_internal_scores s[NT];
    for (int t = 0; t < NT; t++) {
        mc_metrics_opts o;
        mc_metrics_opts_default(&o);
        o.threads = THREADS[t];
        MC_CHECK_OK(mc_metrics_internal(X, n, d, lab, &o, &s[t]));
    }
    for (int t = 1; t < NT; t++)
        MC_CHECK(memcmp(&s[0].silhouette, &s[t].silhouette, sizeof(double)) == 0 &&
                     memcmp(&s[0].calinski_harabasz, &s[t].calinski_harabasz, sizeof(double)) == 0 &&
                     memcmp(&s[0].davies_bouldin, &s[t].davies_bouldin, sizeof(double)) == 0,
                 "silhouette/CH/DB differ between 1 and %d threads (%.17g vs %.17g)", THREADS[t], s[0].silhouette,
                 s[t].silhouette);
    printf("  k-means, GMM full/diag, agglomerative, DBSCAN, PCA, silhouette/CH/DB: %d thread counts\n", NT);
    free(lab);
    free(X);
}

/* ---------------------------------------------------------------- embed */

static void test_embed(void) {
    const int64_t n = 700;
    const int d = 10;
    float *X = blobs(n, d, 5, 41);
    float *Y[NT];
    for (int t = 0; t < NT; t++) {
        mc_tsne_opts o;
        mc_tsne_opts_default(&o);
        o.n_iter = 300;
        o.threads = THREADS[t];
        Y[t] = mc_test_xcalloc((size_t)n * 2, sizeof(float));
        MC_CHECK_OK(mc_embed_tsne(X, n, d, &o, Y[t], NULL));
    }
    for (int t = 1; t < NT; t++) check_same("t-SNE", Y[0], Y[t], (size_t)n * 2 * sizeof(float), THREADS[t]);
    for (int t = 0; t < NT; t++) {
        mc_umap_opts o;
        mc_umap_opts_default(&o);
        o.n_epochs = 100;
        o.threads = THREADS[t];
        MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y[t], NULL));
    }
    for (int t = 1; t < NT; t++) check_same("UMAP", Y[0], Y[t], (size_t)n * 2 * sizeof(float), THREADS[t]);
    /* UMAP with NN-descent (the approximate neighbours used above 20,000 points) */
    for (int t = 0; t < NT; t++) {
        mc_umap_opts o;
        mc_umap_opts_default(&o);
        o.n_epochs = 50;
        o.knn = MC_EMBED_KNN_NNDESCENT;
        o.threads = THREADS[t];
        MC_CHECK_OK(mc_embed_umap(X, n, d, &o, Y[t], NULL));
    }
    for (int t = 1; t < NT; t++) check_same("UMAP (NN-descent)", Y[0], Y[t], (size_t)n * 2 * sizeof(float), THREADS[t]);
    for (int t = 0; t < NT; t++) free(Y[t]);
    printf("  t-SNE, UMAP (exact and NN-descent neighbours): %d thread counts\n", NT);
    free(X);
}

/* ---------------------------------------------------------------- k-means's and the silhouette's other paths */

/* One k-means restart (its chunks shared among the threads, not restarts run side by side), and the
 * silhouette with small tiles (many rounds of the barrier-free tile schedule) and the ROWS algorithm. */
static void test_cluster_paths(void) {
    const int64_t n = 5003;
    const int d = 9;
    float *X = blobs(n, d, 7, 61);
    mc_clustering r[NT];
    memset(r, 0, sizeof r);
    for (int t = 0; t < NT; t++) {
        mc_cluster_config cfg;
        mc_cluster_config_default(&cfg);
        cfg.k = 7;
        cfg.n_init = 1;
        cfg.seed = 5;
        cfg.threads = THREADS[t];
        MC_CHECK_OK(mc_cluster_kmeans(&cfg, X, n, d, &r[t]));
    }
    for (int t = 1; t < NT; t++) {
        check_same("k-means (one restart)", r[0].labels, r[t].labels, (size_t)n * sizeof(int32_t), THREADS[t]);
        check_same("k-means (one restart)", r[0].centers, r[t].centers, (size_t)7 * d * sizeof(float), THREADS[t]);
        MC_CHECK(memcmp(&r[0].inertia, &r[t].inertia, sizeof(double)) == 0,
                 "k-means (one restart): inertia differs between 1 and %d threads", THREADS[t]);
    }
    int32_t *lab = mc_test_xcalloc((size_t)n, sizeof(int32_t));
    for (int t = 0; t < NT; t++) {
        memcpy(lab, r[t].labels, (size_t)n * sizeof(int32_t));
        mc_clustering_free(&r[t]);
    }
    for (int algo = MC_SILHOUETTE_SYMMETRIC; algo <= MC_SILHOUETTE_ROWS; algo++) {
        double sv[NT];
        for (int t = 0; t < NT; t++) {
            mc_metrics_opts o;
            mc_metrics_opts_default(&o);
            o.threads = THREADS[t];
            o.block = 64;
            o.algo = (mc_silhouette_algo)algo;
            MC_CHECK_OK(mc_metrics_silhouette(X, n, d, lab, &o, &sv[t], NULL, NULL));
        }
        for (int t = 1; t < NT; t++)
            MC_CHECK(memcmp(&sv[0], &sv[t], sizeof(double)) == 0,
                     "silhouette (%s, block 64) differs between 1 and %d threads (%.17g vs %.17g)",
                     algo == MC_SILHOUETTE_ROWS ? "rows" : "symmetric", THREADS[t], sv[0], sv[t]);
    }
    printf("  k-means (one restart), silhouette (block 64, symmetric and rows): %d thread counts\n", NT);
    free(lab);
    free(X);
}

/* ---------------------------------------------------------------- text */

static void test_text(void) {
    enum { N = 120 };
    static const char *words[] = {"love", "night", "herz", "nacht", "dance", "fire", "liebe", "feuer", "road",
                                  "straße", "heart", "dream", "traum", "rain", "regen", "sun", "sonne", "home"};
    const int nw = (int)(sizeof words / sizeof words[0]);
    char *texts[N];
    mc_rng r;
    mc_rng_seed(&r, 51, 0);
    for (int i = 0; i < N; i++) {
        texts[i] = mc_test_xcalloc(1024, 1);
        size_t off = 0;
        for (int w = 0; w < 40; w++)
            off += (size_t)snprintf(texts[i] + off, 1024 - off, "%s ", words[((i % 3) * 6 + (int)mc_rng_below(&r, 8)) % nw]);
    }
    mc_lyrics L[NT];
    memset(L, 0, sizeof L);
    for (int t = 0; t < NT; t++) {
        mc_lyrics_config c;
        mc_text_lyrics_config_default(&c);
        c.dim = 16;
        c.threads = THREADS[t];
        MC_CHECK_OK(mc_text_lyrics_embed(&c, (const char *const *)texts, N, &L[t]));
    }
    for (int t = 1; t < NT; t++)
        if (L[0].vectors && L[t].vectors)
            check_same("lyrics TF-IDF + SVD", L[0].vectors, L[t].vectors, (size_t)N * 16 * sizeof(float), THREADS[t]);
    for (int t = 0; t < NT; t++) mc_text_lyrics_free(&L[t]);
    for (int i = 0; i < N; i++) free(texts[i]);
    printf("  lyrics (TF-IDF, SVD): %d thread counts\n", NT);
}

/* The lyrics model: fitted (default configuration and words + chars) and saved with 1, 2, 3 threads,
 * the files byte-identical; new texts transformed with each thread count, the same bytes. */
static void test_text_model(const char *dir) {
    enum { N = 90, NNEW = 7 };
    static const char *words[] = {"love,", "night", "herz!", "nacht", "dance", "fire", "liebe", "feuer", "road",
                                  "straße", "heart", "[chorus]", "traum", "rain", "regen", "sun", "sonne", "(x2)"};
    const int nw = (int)(sizeof words / sizeof words[0]);
    char *texts[N + NNEW];
    mc_rng r;
    mc_rng_seed(&r, 52, 0);
    for (int i = 0; i < N + NNEW; i++) {
        texts[i] = mc_test_xcalloc(1024, 1);
        size_t off = 0;
        for (int w = 0; w < 30 + i % 7; w++)
            off += (size_t)snprintf(texts[i] + off, 1024 - off, "%s%s", words[(int)mc_rng_below(&r, (uint64_t)nw)],
                                    w % 6 == 5 ? "\n" : " ");
    }
    for (int variant = 0; variant < 2; variant++) {
        char path[NT][700];
        float *Z[NT];
        for (int t = 0; t < NT; t++) {
            mc_lyrics_config c;
            mc_text_lyrics_config_default(&c);
            c.dim = 12;
            c.threads = THREADS[t];
            if (variant == 1) {
                c.word_weight = 0.5;
                c.char_tokens = MC_TEXT_TOKENS_WORDS;
                c.min_df = 2;
            }
            mc_lyrics_model *m = NULL;
            MC_CHECK_OK(mc_text_lyrics_fit(&c, (const char *const *)texts, N, &m));
            snprintf(path[t], sizeof path[t], "%s/lyrics_model_%d_%d.safetensors", dir, variant, THREADS[t]);
            Z[t] = mc_test_xcalloc((size_t)NNEW * 12, sizeof(float));
            if (m) {
                MC_CHECK_OK(mc_text_lyrics_model_save(m, path[t]));
                MC_CHECK_OK(mc_text_lyrics_transform(m, (const char *const *)texts + N, NNEW, THREADS[t], Z[t], NULL));
            }
            mc_text_lyrics_model_free(m);
        }
        for (int t = 1; t < NT; t++) {
            size_t la = 0, lb = 0;
            unsigned char *a = NULL, *b = NULL;
            FILE *fa = fopen(path[0], "rb"), *fb = fopen(path[t], "rb");
            if (fa && fb) {
                fseek(fa, 0, SEEK_END);
                fseek(fb, 0, SEEK_END);
                la = (size_t)ftell(fa);
                lb = (size_t)ftell(fb);
                rewind(fa);
                rewind(fb);
                a = mc_test_xcalloc(la + 1, 1);
                b = mc_test_xcalloc(lb + 1, 1);
                la = fread(a, 1, la, fa);
                lb = fread(b, 1, lb, fb);
            }
            if (fa) fclose(fa);
            if (fb) fclose(fb);
            MC_CHECK(a && b && la == lb && la > 0, "lyrics model files: %zu and %zu bytes", la, lb);
            if (a && b && la == lb) check_same("lyrics model file", a, b, la, THREADS[t]);
            check_same("lyrics model transform", Z[0], Z[t], (size_t)NNEW * 12 * sizeof(float), THREADS[t]);
            free(a);
            free(b);
        }
        for (int t = 0; t < NT; t++) {
            free(Z[t]);
            remove(path[t]);
        }
    }
    for (int i = 0; i < N + NNEW; i++) free(texts[i]);
    printf("  lyrics model (fit, save, transform): %d thread counts, 2 configurations\n", NT);
}

/* ---------------------------------------------------------------- extract */

static void test_extract(const char *dir) {
    char audio[600], path[700], store[NT][700];
    snprintf(audio, sizeof audio, "%s/audio", dir);
    mc_mkdirs(audio);
    const int sr = 22050;
    for (int f = 0; f < 6; f++) {
        int64_t frames = sr * (4 + f % 3);
        float *x = mc_test_xcalloc((size_t)frames, sizeof(float));
        mc_rng r;
        mc_rng_seed(&r, 61 + (uint64_t)f, 0);
        for (int64_t i = 0; i < frames; i++)
            x[i] = (float)(0.3 * sin(2 * M_PI * (220.0 * (f + 1)) * (double)i / sr) + 0.05 * mc_rng_normal(&r));
        snprintf(path, sizeof path, "%s/clip%d.wav", audio, f);
        MC_CHECK_OK(mc_audio_write(path, x, frames, 1, f % 2 ? 44100 : sr, MC_AUDIO_FORMAT_WAV_PCM16));
        free(x);
    }
    const char *inputs[] = {audio};
    for (int t = 0; t < NT; t++) {
        mc_extract_config c;
        mc_extract_config_default(&c);
        c.threads = THREADS[t];
        snprintf(store[t], sizeof store[t], "%s/store%d", dir, THREADS[t]);
        mc_extract_summary s;
        MC_CHECK_OK(mc_data_extract(&c, inputs, 1, store[t], NULL, &s));
    }
    const char *files[] = {"mfcc_stats.npy", "logmel.npy", "index.tsv", "tracks.tsv"};
    for (int t = 1; t < NT; t++)
        for (int f = 0; f < 4; f++) {
            char a[800], b[800];
            snprintf(a, sizeof a, "%s/%s", store[0], files[f]);
            snprintf(b, sizeof b, "%s/%s", store[t], files[f]);
            MC_CHECK(mc_test_same_file(a, b), "extract: %s differs between 1 and %d threads", files[f], THREADS[t]);
        }
    printf("  extract (6 synthetic WAVs, 22.05/44.1 kHz): %d thread counts\n", NT);
}

int main(int argc, char **argv) {
    /* argv[1]: the CTest case name, so that cases running side by side use their own folders */
    const char *want = getenv("OPENBLAS_CORETYPE");
    if (want && (!strcasecmp(want, "SkylakeX") || !strcasecmp(want, "Cooperlake") || !strcasecmp(want, "SapphireRapids"))) {
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("avx512f")) {
            char why[200];
            snprintf(why, sizeof why, "OPENBLAS_CORETYPE=%s needs AVX-512, which this CPU lacks", want);
            mc_test_skip(why);
        }
    }
    printf("OpenBLAS kernel: %s (OPENBLAS_CORETYPE=%s)\n", openblas_get_corename(), want ? want : "(unset)");
    const char *dir = mc_test_tmpdir(argc > 1 ? argv[1] : "determinism");
    test_gemm();
    test_models(dir);
    test_cluster();
    test_cluster_paths();
    test_embed();
    test_text();
    test_text_model(dir);
    test_extract(dir);
    return mc_test_summary("test_determinism");
}
