/* musiclust cluster: X.npy (or a feature store) -> ASSIGN.tsv + ASSIGN.json, optionally after
 * z-scoring / PCA, with k chosen by silhouette when --k is not given.
 *
 * The k sweep is mc_pipeline_choose_k (pipeline.h): it needs the silhouette of the metrics module,
 * which sits below cluster in DESIGN.md's table, and `musiclust run` uses the same function. */
#include "cli.h"

#include <musiclust/cluster.h>
#include <musiclust/pipeline.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CMD "cluster"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int fail_input(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int fail_input(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "musiclust " CMD ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return MC_EXIT_INPUT;
}

static int usage_error(const char *usage, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int usage_error(const char *usage, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "musiclust " CMD ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nusage: %s\n", usage);
    va_end(ap);
    return MC_EXIT_USAGE;
}

/* X.npy, or a feature store folder: its mfcc_stats.npy, else its features.npy. */
static int load_points(const char *input, char *file, size_t cap, mc_array *a, int64_t *n, int64_t *d) {
    struct stat st;
    if (stat(input, &st) != 0) return fail_input("%s: no such file or folder", input);
    if (S_ISDIR(st.st_mode)) {
        snprintf(file, cap, "%s/mfcc_stats.npy", input);
        if (stat(file, &st) != 0) {
            snprintf(file, cap, "%s/features.npy", input);
            if (stat(file, &st) != 0)
                return fail_input("%s: a folder without mfcc_stats.npy or features.npy (not a feature store)", input);
        }
    } else {
        snprintf(file, cap, "%s", input);
    }
    mc_status s = mc_npy_read_f32(file, a);
    if (s) {
        const char *msg = mc_error_message();
        return fail_input("%s", msg && *msg ? msg : mc_status_name(s));
    }
    if (a->ndim < 2) {
        fail_input("%s: expected a 2-D array (N, D) of points, got %d dimension%s", file, a->ndim,
                   a->ndim == 1 ? "" : "s");
        mc_array_free(a);
        return MC_EXIT_INPUT;
    }
    /* (N, ...) is flattened to (N, prod(...)), as the Python peer's reshape(len(X), -1). */
    *n = a->shape[0];
    *d = 1;
    for (int i = 1; i < a->ndim; i++) *d *= a->shape[i];
    if (*n < 1 || *d < 1) {
        fail_input("%s: no points (shape %lld x %lld)", file, (long long)*n, (long long)*d);
        mc_array_free(a);
        return MC_EXIT_INPUT;
    }
    if (*d > INT32_MAX) {
        fail_input("%s: %lld columns is too many", file, (long long)*d);
        mc_array_free(a);
        return MC_EXIT_INPUT;
    }
    return -1;
}

/* ASSIGN.tsv: "row<TAB>cluster", then one line per row. Written atomically. */
static mc_status write_assign(const char *path, const int32_t *labels, int64_t n) {
    size_t cap = 16 + (size_t)n * 34, len = 0; /* "%lld\t%d\n" is at most 20 + 1 + 11 + 1 characters */
    char *buf = malloc(cap);
    if (!buf) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path);
    len += (size_t)snprintf(buf, cap, "row\tcluster\n");
    for (int64_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%lld\t%d\n", (long long)i, (int)labels[i]);
    mc_status st = mc_file_write_atomic(path, buf, len);
    free(buf);
    return st;
}

/* path with a trailing ".tsv" replaced by `ext` (or ext appended). */
static char *sibling(const char *path, const char *ext) {
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, ".tsv") == 0) n -= 4;
    char *s = malloc(n + strlen(ext) + 1);
    if (!s) return NULL;
    memcpy(s, path, n);
    strcpy(s + n, ext);
    return s;
}

typedef struct sweep_point {
    int k;
    double silhouette;
    double inertia, bic, log_likelihood; /* NaN where it does not apply */
} sweep_point;

static void json_array_d(mc_json *j, const double *v, int64_t n) {
    mc_json_begin_array(j);
    for (int64_t i = 0; i < n; i++) mc_json_number(j, v[i]);
    mc_json_end_array(j);
}

int cmd_cluster(int argc, char **argv) {
    mc_cluster_config cfg;
    mc_cluster_config_default(&cfg);
    const char *out = NULL, *algo_s = "kmeans", *linkage_s = NULL, *cov_s = NULL, *reduce_s = "none";
    const char *save_space = NULL;
    int k = INT32_MIN /* not given: sweep */, dims = 0, k_max = 10, sweep_sample = 10000, min_samples = -1;
    double eps = 0;
    uint64_t seed = 0;
    bool quiet = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "ASSIGN.tsv", "assignments to write (required); ASSIGN.json is written beside it"},
        {"algo", 0, CLI_STRING, &algo_s, "NAME", "kmeans | agglomerative | dbscan | gmm (default kmeans)"},
        {"k", 'k', CLI_INT, &k, "K", "number of clusters; without it k = 2..--k-max is swept and chosen by silhouette"},
        {"k-max", 0, CLI_INT, &k_max, "K", "largest k of the sweep (default 10, capped at N-1)"},
        {"sweep-sample", 0, CLI_INT, &sweep_sample, "N", "silhouette of the sweep on a seeded sample of N rows; 0 = all (default 10000)"},
        {"linkage", 0, CLI_STRING, &linkage_s, "NAME", "agglomerative: ward | average | complete | single (default ward)"},
        {"eps", 0, CLI_DOUBLE, &eps, "E", "dbscan: neighbourhood radius (default: the knee of the k-distance curve)"},
        {"min-samples", 0, CLI_INT, &min_samples, "M", "dbscan: points within eps, itself included, for a core point (default 5)"},
        {"covariance", 0, CLI_STRING, &cov_s, "TYPE", "gmm: full | diag (default full)"},
        {"n-init", 0, CLI_INT, &cfg.n_init, "N", "restarts, best kept (default: kmeans 10, gmm 1)"},
        {"max-iter", 0, CLI_INT, &cfg.max_iter, "N", "iterations per run (default: kmeans 300, gmm 100)"},
        {"seed", 0, CLI_U64, &seed, "S", "random seed (default 0)"},
        {"reduce", 0, CLI_STRING, &reduce_s, "HOW", "none: cluster X as given (default); raw: z-score first; pca: z-score then PCA"},
        {"dims", 0, CLI_INT, &dims, "D", "with --reduce pca: principal components kept (default 4)"},
        {"save-space", 0, CLI_STRING, &save_space, "Z.npy", "write the space that was clustered (after --reduce) as float32"},
        {"threads", 0, CLI_INT, &cfg.threads, "N", "worker threads (default: all cores); output is identical for a given N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary (warnings still shown)"},
    };
    const cli_command cmd = {
        CMD,
        "musiclust cluster --algo kmeans|agglomerative|dbscan|gmm [--k K] [options] X.npy|FEATDIR -o ASSIGN.tsv",
        "Cluster the rows of X.npy (any (N, D) array; a feature store folder means its mfcc_stats.npy,\n"
        "or features.npy) as scikit-learn 1.2 does: k-means(++), agglomerative (ward, average,\n"
        "complete, single), DBSCAN (eps from the k-distance knee when not given), Gaussian mixtures.\n"
        "--reduce raw z-scores the features first; --reduce pca --dims D z-scores and keeps D\n"
        "principal components. Without --k, k = 2..K is swept and the k with the highest silhouette\n"
        "kept (curve in ASSIGN.ksweep.tsv). Writes ASSIGN.tsv ('row<TAB>cluster', noise = -1) and\n"
        "ASSIGN.json (parameters, k, inertia / BIC / eps, sizes, the sweep, timings).",
        opts, (int)(sizeof opts / sizeof opts[0]), 1, 1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_parse(&cmd, argc, argv, &pos, &npos);
    if (rc >= 0) {
        free(pos);
        return rc;
    }
    const char *input = pos[0];
    free(pos);
    cli_init_logging(quiet);
    double t_start = now_s();

    /* ---- options (exit 2 on any inconsistency, before reading anything) */
    if (!out) return usage_error(cmd.usage, "-o ASSIGN.tsv is required");
    if (mc_cluster_algo_parse(algo_s, &cfg.algo)) return usage_error(cmd.usage, "--%s", mc_error_message());
    if (linkage_s) {
        if (cfg.algo != MC_CLUSTER_ALGO_AGGLOMERATIVE) return usage_error(cmd.usage, "--linkage applies to --algo agglomerative only");
        if (mc_linkage_parse(linkage_s, &cfg.linkage)) return usage_error(cmd.usage, "--%s", mc_error_message());
    }
    if (cov_s) {
        if (cfg.algo != MC_CLUSTER_ALGO_GMM) return usage_error(cmd.usage, "--covariance applies to --algo gmm only");
        if (mc_covariance_parse(cov_s, &cfg.covariance)) return usage_error(cmd.usage, "--%s", mc_error_message());
    }
    bool is_dbscan = cfg.algo == MC_CLUSTER_ALGO_DBSCAN;
    if ((eps != 0 || min_samples >= 0) && !is_dbscan)
        return usage_error(cmd.usage, "--eps and --min-samples apply to --algo dbscan only");
    if (is_dbscan && k != INT32_MIN) return usage_error(cmd.usage, "--k does not apply to dbscan (it finds the number of clusters)");
    if (eps < 0) return usage_error(cmd.usage, "--eps must be > 0, got %g", eps);
    if (min_samples >= 0) cfg.min_samples = min_samples;
    if (k != INT32_MIN && k < 1) return usage_error(cmd.usage, "--k must be >= 1, got %d", k);
    if (k_max < 2) return usage_error(cmd.usage, "--k-max must be >= 2, got %d", k_max);
    if (sweep_sample < 0 || (sweep_sample > 0 && sweep_sample < 3))
        return usage_error(cmd.usage, "--sweep-sample must be 0 (all rows) or >= 3, got %d", sweep_sample);
    enum { R_NONE, R_RAW, R_PCA } reduce;
    if (strcmp(reduce_s, "none") == 0) reduce = R_NONE;
    else if (strcmp(reduce_s, "raw") == 0) reduce = R_RAW;
    else if (strcmp(reduce_s, "pca") == 0) reduce = R_PCA;
    else return usage_error(cmd.usage, "--reduce must be none, raw or pca, got '%s'", reduce_s);
    if (dims != 0 && reduce != R_PCA) return usage_error(cmd.usage, "--dims applies to --reduce pca only");
    if (dims < 0) return usage_error(cmd.usage, "--dims must be >= 1, got %d", dims);
    if (reduce == R_PCA && dims == 0) dims = 4;
    cfg.seed = seed;
    cfg.eps = eps;
    cfg.k = k > 0 ? k : 2;
    if (mc_cluster_config_validate(&cfg)) return usage_error(cmd.usage, "%s", mc_error_message());
    cfg.threads = mc_threads_resolve(cfg.threads);
    const bool sweep = !is_dbscan && k == INT32_MIN;

    /* ---- points */
    char file[4096];
    mc_array arr;
    memset(&arr, 0, sizeof arr);
    int64_t n = 0, d = 0;
    rc = load_points(input, file, sizeof file, &arr, &n, &d);
    if (rc >= 0) return rc;
    const float *X = arr.data;
    mc_status st = mc_cluster_check_input(X, n, d);
    if (st) {
        mc_array_free(&arr);
        return fail_input("%s: %s", file, mc_error_message());
    }
    double t_loaded = now_s();

    /* ---- the space to cluster */
    mc_scaler scaler;
    mc_pca pca;
    memset(&scaler, 0, sizeof scaler);
    memset(&pca, 0, sizeof pca);
    float *Z = (float *)X; // (n, dz) the clustered space
    int64_t dz = d;
    float *zbuf = NULL, *sbuf = NULL;
    mc_clustering res;
    memset(&res, 0, sizeof res);
    sweep_point *curve = NULL;
    int ncurve = 0, chosen = 0;
    int64_t m = 0;
    char *json_path = NULL, *sweep_path = NULL;
    mc_json *j = NULL;
    rc = MC_EXIT_OK;
    if (reduce != R_NONE) {
        zbuf = mc_alloc((size_t)n * (size_t)d, sizeof(float));
        if (!zbuf) {
            rc = fail_input("%s: out of memory for %lld x %lld points", file, (long long)n, (long long)d);
            goto done;
        }
        st = mc_cluster_scaler_fit(X, n, d, &scaler);
        if (!st) st = mc_cluster_scaler_transform(&scaler, X, n, d, zbuf);
        if (st) {
            rc = fail_input("%s: %s", file, mc_error_message());
            goto done;
        }
        Z = zbuf;
        if (reduce == R_PCA) {
            int64_t r = n < d ? n : d;
            if (dims > r) {
                rc = fail_input("%s: --dims %d is more than min(rows, columns) = %lld", file, dims, (long long)r);
                goto done;
            }
            st = mc_cluster_pca_fit(zbuf, n, d, dims, false, &pca);
            if (!st) {
                sbuf = mc_alloc((size_t)n * (size_t)dims, sizeof(float));
                if (!sbuf) st = MC_STATUS_NO_MEMORY;
            }
            if (!st) st = mc_cluster_pca_transform(&pca, zbuf, n, d, sbuf);
            if (st) {
                rc = fail_input("%s: PCA: %s", file, mc_error_message());
                goto done;
            }
            Z = sbuf;
            dz = dims;
        }
    }
    if (save_space) {
        int64_t shape[2] = {n, dz};
        if (mc_npy_write(save_space, MC_DTYPE_F32, 2, shape, Z)) {
            rc = fail_input("%s", mc_error_message());
            goto done;
        }
    }
    double t_reduced = now_s();

    /* ---- cluster (one k, or the sweep) */
    double t_sweep = 0;
    if (!sweep) {
        mc_progress *bar = NULL;
        if (!is_dbscan) bar = cli_progress(quiet, algo_s, 0);
        cfg.progress = bar;
        st = mc_cluster_fit(&cfg, Z, n, dz, &res);
        if (!st) mc_progress_finish(bar);
        mc_progress_free(bar);
        cfg.progress = NULL;
        if (st) {
            rc = fail_input("%s: %s", file, mc_error_message());
            goto done;
        }
    } else {
        /* the sweep itself is mc_pipeline_choose_k (one implementation for cluster and run) */
        double t0 = now_s();
        mc_ksweep sw;
        mc_progress *bar = cli_progress(quiet, "k sweep", (k_max < n - 1 ? k_max : n - 1) - 1);
        st = mc_pipeline_choose_k(&cfg, Z, n, dz, k_max, sweep_sample, bar, &sw);
        if (!st) mc_progress_finish(bar);
        mc_progress_free(bar);
        if (st) {
            rc = fail_input("%s: %s", file, mc_error_message());
            goto done;
        }
        curve = calloc((size_t)(sw.n_points ? sw.n_points : 1), sizeof *curve);
        if (!curve) {
            mc_pipeline_ksweep_free(&sw);
            rc = fail_input("%s: out of memory", file);
            goto done;
        }
        for (int i = 0; i < sw.n_points; i++) {
            const mc_ksweep_point *p = &sw.points[i];
            curve[i] = (sweep_point){p->k, p->silhouette, p->inertia, p->bic, p->log_likelihood};
            if (!quiet) {
                printf("k=%d silhouette=%.4f", p->k, p->silhouette);
                if (cfg.algo == MC_CLUSTER_ALGO_KMEANS) printf(" inertia=%.6g", p->inertia);
                if (cfg.algo == MC_CLUSTER_ALGO_GMM) printf(" bic=%.6g", p->bic);
                printf("\n");
            }
        }
        ncurve = sw.n_points;
        chosen = sw.chosen_k;
        m = sw.silhouette_rows;
        res = sw.best; /* ownership moves to res */
        memset(&sw.best, 0, sizeof sw.best);
        mc_pipeline_ksweep_free(&sw);
        cfg.k = chosen;
        t_sweep = now_s() - t0;
    }
    double t_clustered = now_s();

    /* ---- outputs */
    st = write_assign(out, res.labels, n);
    if (st) {
        rc = fail_input("%s", mc_error_message());
        goto done;
    }
    json_path = sibling(out, ".json");
    sweep_path = sweep ? sibling(out, ".ksweep.tsv") : NULL;
    if (!json_path || (sweep && !sweep_path)) {
        rc = fail_input("out of memory");
        goto done;
    }
    if (sweep) {
        size_t cap = 64 + (size_t)ncurve * 48, len = 0;
        char *buf = malloc(cap);
        if (!buf) {
            rc = fail_input("out of memory");
            goto done;
        }
        len += (size_t)snprintf(buf, cap, "k\tsilhouette\n");
        for (int i = 0; i < ncurve; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%d\t%.17g\n", curve[i].k, curve[i].silhouette);
        st = mc_file_write_atomic(sweep_path, buf, len);
        free(buf);
        if (st) {
            rc = fail_input("%s", mc_error_message());
            goto done;
        }
    }
    int64_t *sizes = calloc((size_t)(res.k > 0 ? res.k : 1), sizeof(int64_t));
    if (!sizes) {
        rc = fail_input("out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        if (res.labels[i] >= 0) sizes[res.labels[i]]++;
    double t_end = now_s();
    if (mc_json_create(&j)) {
        free(sizes);
        rc = fail_input("out of memory");
        goto done;
    }
    mc_json_begin_object(j);
    mc_json_key(j, "command");
    mc_json_string(j, CMD);
    mc_json_key(j, "version");
    mc_json_string(j, mc_version());
    mc_json_key(j, "input");
    mc_json_string(j, file);
    mc_json_key(j, "rows");
    mc_json_int(j, n);
    mc_json_key(j, "columns");
    mc_json_int(j, d);
    mc_json_key(j, "reduce");
    mc_json_string(j, reduce_s);
    mc_json_key(j, "space_columns");
    mc_json_int(j, dz);
    mc_json_key(j, "algorithm");
    mc_json_string(j, mc_cluster_algo_name(cfg.algo));
    mc_json_key(j, "parameters");
    mc_json_begin_object(j);
    if (cfg.algo == MC_CLUSTER_ALGO_KMEANS || cfg.algo == MC_CLUSTER_ALGO_GMM) {
        mc_json_key(j, "n_init");
        mc_json_int(j, cfg.n_init > 0 ? cfg.n_init : (cfg.algo == MC_CLUSTER_ALGO_KMEANS ? 10 : 1));
        mc_json_key(j, "max_iter");
        mc_json_int(j, cfg.max_iter > 0 ? cfg.max_iter : (cfg.algo == MC_CLUSTER_ALGO_KMEANS ? 300 : 100));
        mc_json_key(j, "tol");
        mc_json_number(j, cfg.algo == MC_CLUSTER_ALGO_KMEANS ? 1e-4 : 1e-3);
    }
    if (cfg.algo == MC_CLUSTER_ALGO_AGGLOMERATIVE) {
        mc_json_key(j, "linkage");
        mc_json_string(j, mc_linkage_name(cfg.linkage));
    }
    if (is_dbscan) {
        mc_json_key(j, "eps");
        if (cfg.eps > 0) mc_json_number(j, cfg.eps);
        else mc_json_string(j, "auto");
        mc_json_key(j, "min_samples");
        mc_json_int(j, cfg.min_samples);
    }
    if (cfg.algo == MC_CLUSTER_ALGO_GMM) {
        mc_json_key(j, "covariance");
        mc_json_string(j, mc_covariance_name(cfg.covariance));
        mc_json_key(j, "reg_covar");
        mc_json_number(j, cfg.reg_covar);
    }
    mc_json_key(j, "threads");
    mc_json_int(j, cfg.threads);
    mc_json_end_object(j);
    mc_json_key(j, "seed");
    if (seed <= (uint64_t)INT64_MAX) {
        mc_json_int(j, (int64_t)seed);
    } else {
        char sb[32];
        snprintf(sb, sizeof sb, "%llu", (unsigned long long)seed);
        mc_json_string(j, sb);
    }
    mc_json_key(j, "k");
    mc_json_int(j, res.k);
    mc_json_key(j, "k_given");
    mc_json_bool(j, !sweep && !is_dbscan);
    mc_json_key(j, "n_noise");
    mc_json_int(j, res.n_noise);
    mc_json_key(j, "cluster_sizes");
    mc_json_begin_array(j);
    for (int c = 0; c < res.k; c++) mc_json_int(j, sizes[c]);
    mc_json_end_array(j);
    free(sizes);
    if (cfg.algo == MC_CLUSTER_ALGO_KMEANS) {
        mc_json_key(j, "inertia");
        mc_json_number(j, res.inertia);
        mc_json_key(j, "n_iter");
        mc_json_int(j, res.n_iter);
    }
    if (cfg.algo == MC_CLUSTER_ALGO_GMM) {
        mc_json_key(j, "bic");
        mc_json_number(j, res.bic);
        mc_json_key(j, "log_likelihood");
        mc_json_number(j, res.log_likelihood);
        mc_json_key(j, "n_iter");
        mc_json_int(j, res.n_iter);
        mc_json_key(j, "converged");
        mc_json_bool(j, res.converged);
    }
    if (is_dbscan) {
        mc_json_key(j, "eps_used");
        mc_json_number(j, res.eps);
        mc_json_key(j, "eps_auto");
        mc_json_bool(j, res.eps_auto);
        if (res.eps_auto) {
            mc_json_key(j, "eps_knee");
            mc_json_number(j, res.eps_knee);
        }
    }
    mc_json_key(j, "k_sweep");
    if (sweep) {
        mc_json_begin_object(j);
        mc_json_key(j, "k_max");
        mc_json_int(j, k_max);
        mc_json_key(j, "silhouette_rows");
        mc_json_int(j, m);
        mc_json_key(j, "chosen_k");
        mc_json_int(j, chosen);
        mc_json_key(j, "curve_file");
        mc_json_string(j, sweep_path);
        mc_json_key(j, "curve");
        mc_json_begin_array(j);
        for (int i = 0; i < ncurve; i++) {
            mc_json_begin_object(j);
            mc_json_key(j, "k");
            mc_json_int(j, curve[i].k);
            mc_json_key(j, "silhouette");
            mc_json_number(j, curve[i].silhouette);
            if (cfg.algo == MC_CLUSTER_ALGO_KMEANS) {
                mc_json_key(j, "inertia");
                mc_json_number(j, curve[i].inertia);
            }
            if (cfg.algo == MC_CLUSTER_ALGO_GMM) {
                mc_json_key(j, "bic");
                mc_json_number(j, curve[i].bic);
            }
            mc_json_end_object(j);
        }
        mc_json_end_array(j);
        mc_json_end_object(j);
    } else {
        mc_json_null(j);
    }
    if (reduce != R_NONE) { /* the fitted transforms, so the space can be rebuilt for new rows */
        mc_json_key(j, "scaler");
        mc_json_begin_object(j);
        mc_json_key(j, "mean");
        json_array_d(j, scaler.mean, d);
        mc_json_key(j, "scale");
        json_array_d(j, scaler.scale, d);
        mc_json_end_object(j);
    }
    if (reduce == R_PCA) {
        mc_json_key(j, "pca");
        mc_json_begin_object(j);
        mc_json_key(j, "n_components");
        mc_json_int(j, pca.n_components);
        mc_json_key(j, "explained_variance");
        json_array_d(j, pca.explained_variance, pca.n_components);
        mc_json_key(j, "explained_variance_ratio");
        json_array_d(j, pca.explained_variance_ratio, pca.n_components);
        mc_json_key(j, "mean");
        json_array_d(j, pca.mean, d);
        mc_json_key(j, "components");
        mc_json_begin_array(j);
        for (int c = 0; c < pca.n_components; c++) json_array_d(j, pca.components + (size_t)c * (size_t)d, d);
        mc_json_end_array(j);
        mc_json_end_object(j);
    }
    if (save_space) {
        mc_json_key(j, "space_file");
        mc_json_string(j, save_space);
    }
    mc_json_key(j, "timing_s");
    mc_json_begin_object(j);
    mc_json_key(j, "load");
    mc_json_number(j, t_loaded - t_start);
    mc_json_key(j, "reduce");
    mc_json_number(j, t_reduced - t_loaded);
    mc_json_key(j, "cluster");
    mc_json_number(j, t_clustered - t_reduced);
    mc_json_key(j, "sweep");
    mc_json_number(j, t_sweep);
    mc_json_key(j, "total");
    mc_json_number(j, t_end - t_start);
    mc_json_end_object(j);
    mc_json_end_object(j);
    if (mc_json_write_file(j, json_path)) {
        rc = fail_input("%s", mc_error_message());
        goto done;
    }
    if (!quiet) {
        printf("%s: %lld rows x %lld, k = %d%s", mc_cluster_algo_name(cfg.algo), (long long)n, (long long)dz,
               res.k, sweep ? " (chosen by silhouette)" : "");
        if (cfg.algo == MC_CLUSTER_ALGO_KMEANS) printf(", inertia %.6g", res.inertia);
        if (cfg.algo == MC_CLUSTER_ALGO_GMM) printf(", BIC %.6g, log-likelihood %.6g", res.bic, res.log_likelihood);
        if (is_dbscan)
            printf(", eps %.6g%s, %lld noise", res.eps,
                   !res.eps_auto ? "" : res.eps == res.eps_knee ? " (knee of the k-distance curve)"
                                                                : " (k-distance quantile: the knee gave one cluster)",
                   (long long)res.n_noise);
        printf(" -> %s (%.2f s)\n", out, t_end - t_start);
    }
    if (is_dbscan && res.k == 0) mc_log(MC_LOG_LEVEL_WARN, "DBSCAN found no cluster: every point is noise");
done:
    mc_json_free(j);
    free(json_path);
    free(sweep_path);
    free(curve);
    mc_clustering_free(&res);
    mc_cluster_pca_free(&pca);
    mc_cluster_scaler_free(&scaler);
    mc_free(zbuf);
    mc_free(sbuf);
    mc_array_free(&arr);
    return rc;
}
