/* Timing of the exact silhouette (and the other metrics) on 10 well-separated Gaussian blobs.
 *
 *   bench_metrics [--n 100000] [--d 32] [--threads N] [--algo auto|symmetric|rows] [--block B]
 *                 [--no-precision] [--repeat R] [--save-x X.npy --save-labels L.npy]
 *
 * Prints the silhouette's wall time (best and median of R runs, and a RESULT line that bench/run.sh
 * sets beside scikit-learn's time measured in the same run by tools/bench_sklearn.py on the arrays
 * written with --save-x / --save-labels), the process's peak memory (getrusage ru_maxrss, which
 * includes the data), and the kernel path used. It also measures
 * the precision on 256 sampled rows against a direct double computation (sqrt(sum (x - y)^2), no
 * expansion): the library's path (FMA tiles in double), and, to show why float32 was not used, the
 * same expansion done with float32 sgemm, on raw and on centred data. */
#include <musiclust/metrics.h>

#include "../src/metrics/metrics_internal.h" /* the name of the kernel path in use */

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double peak_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* s(i) for row i against all rows, with distances from dist(i, j). */
typedef double (*dist_fn)(const void *ctx, int64_t i, int64_t j);

static double sample_value(int64_t i, int64_t n, int k, const int32_t *c, const int64_t *size, dist_fn dist,
                           const void *ctx, double *sums) {
    memset(sums, 0, (size_t)k * sizeof *sums);
    for (int64_t j = 0; j < n; j++)
        if (j != i) sums[c[j]] += dist(ctx, i, j);
    double a = sums[c[i]] / (double)(size[c[i]] - 1), b = INFINITY;
    for (int q = 0; q < k; q++)
        if (q != c[i] && sums[q] / (double)size[q] < b) b = sums[q] / (double)size[q];
    return (b - a) / (a > b ? a : b);
}

typedef struct direct_ctx {
    const float *X;
    int d;
} direct_ctx;

static double dist_direct(const void *p, int64_t i, int64_t j) {
    const direct_ctx *c = p;
    double s = 0;
    for (int f = 0; f < c->d; f++) {
        double v = (double)c->X[i * c->d + f] - (double)c->X[j * c->d + f];
        s += v * v;
    }
    return sqrt(s);
}

typedef struct f32_ctx {
    const float *G;  /* (n) -2 x_i . x_j of the current row, float32 */
    const float *nrm; /* (n) float32 squared norms */
    int64_t i;
} f32_ctx;

static double dist_f32(const void *p, int64_t i, int64_t j) {
    const f32_ctx *c = p;
    (void)i;
    float v = (c->G[j] + c->nrm[c->i]) + c->nrm[j];
    return (double)sqrtf(v > 0 ? v : 0.0f);
}

int main(int argc, char **argv) {
    int64_t n = 100000;
    int d = 32, threads = 0, block = 0, precision = 1, repeat = 1;
    const char *save_x = NULL, *save_labels = NULL;
    mc_silhouette_algo algo = MC_SILHOUETTE_AUTO;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--d") && i + 1 < argc) d = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--block") && i + 1 < argc) block = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-precision")) precision = 0;
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--save-x") && i + 1 < argc) save_x = argv[++i];
        else if (!strcmp(argv[i], "--save-labels") && i + 1 < argc) save_labels = argv[++i];
        else if (!strcmp(argv[i], "--algo") && i + 1 < argc) {
            i++;
            algo = !strcmp(argv[i], "rows") ? MC_SILHOUETTE_ROWS
                   : !strcmp(argv[i], "symmetric") ? MC_SILHOUETTE_SYMMETRIC
                                                   : MC_SILHOUETTE_AUTO;
        } else {
            fprintf(stderr, "usage: bench_metrics [--n 100000] [--d 32] [--threads N] [--algo auto|symmetric|rows] [--block B] "
                            "[--no-precision] [--repeat R] [--save-x X.npy --save-labels L.npy]\n");
            return 2;
        }
    }
    const int k = 10;
    int nt = mc_threads_resolve(threads);
    /* 10 blobs: centres N(0, 10^2) per coordinate, points centre + N(0, 1). */
    mc_rng rng;
    mc_rng_seed(&rng, 42, 0);
    float *X = malloc((size_t)n * d * sizeof *X);          // (n, d)
    int32_t *c = malloc((size_t)n * sizeof *c);             // (n)
    double *centre = malloc((size_t)k * d * sizeof *centre); // (k, d)
    if (!X || !c || !centre) return 1;
    for (int i = 0; i < k * d; i++) centre[i] = 10.0 * mc_rng_normal(&rng);
    for (int64_t i = 0; i < n; i++) {
        c[i] = (int32_t)mc_rng_below(&rng, (uint64_t)k);
        for (int f = 0; f < d; f++) X[i * d + f] = (float)(centre[c[i] * d + f] + mc_rng_normal(&rng));
    }
    if (repeat < 1 || repeat > 100) repeat = 1;
    if (save_x) {
        int64_t shape[2] = {n, d};
        if (mc_npy_write(save_x, MC_DTYPE_F32, 2, shape, X) != MC_STATUS_OK) {
            fprintf(stderr, "%s\n", mc_error_message());
            return 1;
        }
    }
    if (save_labels) {
        int64_t shape[1] = {n};
        if (mc_npy_write(save_labels, MC_DTYPE_I32, 1, shape, c) != MC_STATUS_OK) {
            fprintf(stderr, "%s\n", mc_error_message());
            return 1;
        }
    }
    double base_mb = peak_mb();

    mc_metrics_opts o;
    mc_metrics_opts_default(&o);
    o.threads = nt;
    o.algo = algo;
    if (block > 0) o.block = block;
    double *s = malloc((size_t)n * sizeof *s); // (n) per-sample values
    double mean = 0, times[100], t_sil = 0, c_best = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = wall_s(), c0 = cpu_s();
        mc_status st = mc_metrics_silhouette(X, n, d, c, &o, &mean, s, NULL);
        times[r] = wall_s() - t0;
        if (st != MC_STATUS_OK) {
            fprintf(stderr, "silhouette: %s\n", mc_error_message());
            return 1;
        }
        if (r == 0 || times[r] < t_sil) t_sil = times[r], c_best = cpu_s() - c0;
    }
    qsort(times, (size_t)repeat, sizeof *times, cmp_double);
    double t0;
    double sil_mb = peak_mb();
    bool sym = algo == MC_SILHOUETTE_SYMMETRIC || (algo == MC_SILHOUETTE_AUTO && (double)n * k * 8 <= (double)o.max_bytes);
    printf("silhouette %lld x %d, %d blobs, %d threads, %s, block %d, kernels %s: best %.2f s, median %.2f s of %d "
           "(CPU %.2f s; %.3g distances/s), score %.6f\n",
           (long long)n, d, k, nt, sym ? "symmetric" : "rows", o.block, mc__sil_kernels_get(-1).name, t_sil,
           times[repeat / 2], repeat, c_best, (double)n * (double)n / (sym ? 2.0 : 1.0) / t_sil, mean);
    printf("RESULT silhouette best=%.4f median=%.4f cpu=%.4f\n", t_sil, times[repeat / 2], c_best);
    printf("  peak memory (whole process, incl. the %.0f MB of data): %.0f MB; before the silhouette %.0f MB\n",
           (double)n * d * 4 / 1e6, sil_mb, base_mb);

    /* the other metrics */
    mc_internal_scores sc;
    t0 = wall_s();
    mc_metrics_calinski_harabasz(X, n, d, c, &sc.calinski_harabasz, NULL);
    double t_ch = wall_s() - t0;
    t0 = wall_s();
    mc_metrics_davies_bouldin(X, n, d, c, &sc.davies_bouldin, NULL);
    double t_db = wall_s() - t0;
    int32_t *cls = malloc((size_t)n * sizeof *cls);
    for (int64_t i = 0; i < n; i++) cls[i] = (int32_t)((c[i] + (mc_rng_uniform(&rng) < 0.2 ? 1 : 0)) % k);
    mc_contingency ct;
    t0 = wall_s();
    mc_metrics_contingency(c, cls, n, k, NULL, &ct);
    double ari = mc_metrics_ari(&ct), nmi = mc_metrics_nmi(&ct), pur = mc_metrics_purity(&ct);
    double t_lab = wall_s() - t0;
    mc_metrics_contingency_free(&ct);
    printf("calinski_harabasz %.1f in %.3f s; davies_bouldin %.4f in %.3f s; ari %.4f nmi %.4f purity %.4f in %.3f s\n",
           sc.calinski_harabasz, t_ch, sc.davies_bouldin, t_db, ari, nmi, pur, t_lab);

    /* Precision on sampled rows against direct double distances. */
    const int ns = precision ? 256 : 0;
    double *sums = malloc((size_t)k * sizeof *sums);
    int64_t size[10] = {0};
    for (int64_t i = 0; i < n; i++) size[c[i]]++;
    float *G = malloc((size_t)n * sizeof *G), *nrm = malloc((size_t)n * sizeof *nrm);
    float *Xc = malloc((size_t)n * d * sizeof *Xc), *nrmc = malloc((size_t)n * sizeof *nrmc);
    double *mu = calloc((size_t)d, sizeof *mu); // (d) column means
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < d; f++) mu[f] += X[i * d + f] / (double)n;
    for (int64_t i = 0; i < n; i++) {
        float a = 0, b = 0;
        for (int f = 0; f < d; f++) {
            Xc[i * d + f] = (float)(X[i * d + f] - mu[f]);
            a += X[i * d + f] * X[i * d + f];
            b += Xc[i * d + f] * Xc[i * d + f];
        }
        nrm[i] = a;
        nrmc[i] = b;
    }
    double e_lib = 0, e_f32 = 0, e_f32c = 0;
    direct_ctx dc = {X, d};
    t0 = wall_s();
    for (int q = 0; q < ns; q++) {
        int64_t i = (int64_t)((double)q * (double)n / ns);
        double ref = sample_value(i, n, k, c, size, dist_direct, &dc, sums);
        e_lib = fmax(e_lib, fabs(s[i] - ref));
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, d, -2.0f, X, d, X + i * d, 1, 0.0f, G, 1);
        f32_ctx fc = {G, nrm, i};
        e_f32 = fmax(e_f32, fabs(sample_value(i, n, k, c, size, dist_f32, &fc, sums) - ref));
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, d, -2.0f, Xc, d, Xc + i * d, 1, 0.0f, G, 1);
        f32_ctx fcc = {G, nrmc, i};
        e_f32c = fmax(e_f32c, fabs(sample_value(i, n, k, c, size, dist_f32, &fcc, sums) - ref));
    }
    if (ns) printf("precision on %d sampled rows, max |s_i - direct double| (%.1f s): library (FMA tiles) %.2g; "
           "float32 sgemm expansion: raw %.2g, centred %.2g\n",
           ns, wall_s() - t0, e_lib, e_f32, e_f32c);
    free(X);
    free(c);
    free(centre);
    free(s);
    free(cls);
    free(sums);
    free(G);
    free(nrm);
    free(Xc);
    free(nrmc);
    free(mu);
    return 0;
}
