/* `musiclust cluster` as a library function (pipeline.h, mc_pipeline_cluster): read the points,
 * reduce them (z-score, PCA), cluster with one k or the silhouette sweep, and write ASSIGN.tsv,
 * ASSIGN.json and the sweep's table. The sweep is mc_pipeline_choose_k, the one `musiclust run` uses. */
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void mc_cluster_job_default(mc_cluster_job *j) {
    memset(j, 0, sizeof *j);
    mc_cluster_config_default(&j->cluster);
    j->k_max = 10;
    j->sweep_sample = 10000;
}

void mc_cluster_outcome_free(mc_cluster_outcome *o) {
    if (!o) return;
    mc_clustering_free(&o->result);
    mc_pipeline_ksweep_free(&o->sweep);
}

/* A float32 array file memory-mapped (out of core: page cache, not anonymous memory; never written),
 * any other dtype read and converted. */
static mc_status map_points(const char *file, mc_array *a) {
    mc_status st = mc_npy_map(file, a);
    if (st == MC_STATUS_OK && a->dtype != MC_DTYPE_F32) {
        mc_array_free(a);
        st = mc_npy_read_f32(file, a);
    }
    return st;
}

/* X.npy, or a feature store folder: the vectors of the feature set (mc_store_open_features); (N, ...)
 * flattened. */
static mc_status load_points(const char *input, mc_store_features features, char *file, size_t cap, mc_array *a,
                             int64_t *n, int64_t *d) {
    struct stat sb;
    if (stat(input, &sb) != 0) return mc_error_set(MC_STATUS_IO, "%s: no such file or folder", input);
    mc_status st;
    if (S_ISDIR(sb.st_mode) && features == MC_STORE_FEATURES_MFCC) {
        /* the one file, read as it is (a folder holding only mfcc_stats.npy will do) */
        snprintf(file, cap, "%s/mfcc_stats.npy", input);
        if (stat(file, &sb) != 0) snprintf(file, cap, "%s/features.npy", input);
        if (stat(file, &sb) != 0)
            return mc_error_set(MC_STATUS_IO, "%s: a folder without mfcc_stats.npy or features.npy (not a feature store)",
                                input);
        st = map_points(file, a);
    } else if (S_ISDIR(sb.st_mode)) {
        mc_store s; /* the store's reader: descriptors.npy, alone or beside mfcc_stats.npy */
        st = mc_store_open_features(input, features, &s);
        if (st != MC_STATUS_OK) return st;
        snprintf(file, cap, "%s/%s", input, s.vectors_file);
        *a = s.vectors; /* taken over from the store */
        memset(&s.vectors, 0, sizeof s.vectors);
        mc_store_close(&s);
    } else {
        if (features != MC_STORE_FEATURES_MFCC)
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: --features %s needs a feature store folder, not an array file",
                                input, mc_store_features_name(features));
        snprintf(file, cap, "%s", input);
        st = map_points(file, a);
    }
    if (st != MC_STATUS_OK) return st;
    if (a->ndim < 2) {
        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected a 2-D array (N, D) of points, got %d dimension%s", file,
                          a->ndim, a->ndim == 1 ? "" : "s");
        mc_array_free(a);
        return st;
    }
    /* (N, ...) is flattened to (N, prod(...)), as the Python peer's reshape(len(X), -1). */
    *n = a->shape[0];
    *d = 1;
    for (int i = 1; i < a->ndim; i++) *d *= a->shape[i];
    if (*n < 1 || *d < 1 || *d > INT32_MAX) {
        st = mc_error_set(MC_STATUS_FORMAT, *d > INT32_MAX ? "%s: %lld x %lld: too many columns"
                                                            : "%s: no points (shape %lld x %lld)",
                          file, (long long)*n, (long long)*d);
        mc_array_free(a);
        return st;
    }
    st = mc_cluster_check_input(a->data, *n, *d);
    if (st != MC_STATUS_OK) {
        st = mc_error_set(st, "%s: %s", file, mc_error_message());
        mc_array_free(a);
    }
    return st;
}

/* path with a trailing ".tsv" replaced by `ext` (or ext appended). */
static char *sibling(const char *path, const char *ext) {
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, ".tsv") == 0) n -= 4;
    return mc_sprintf("%.*s%s", (int)n, path, ext);
}

static void json_array_d(mc_json *j, const double *v, int64_t n) {
    mc_json_begin_array(j);
    for (int64_t i = 0; i < n; i++) mc_json_number(j, v[i]);
    mc_json_end_array(j);
}

/* What ASSIGN.json says about the parameters; the defaults are cluster.h's (0 = k-means 10 restarts
 * and 300 iterations, GMM 1 and 100; tol k-means 1e-4, GMM 1e-3). */
static void json_parameters(mc_json *j, const mc_cluster_config *cfg) {
    const bool km = cfg->algo == MC_CLUSTER_ALGO_KMEANS;
    mc_json_begin_object(j);
    if (km || cfg->algo == MC_CLUSTER_ALGO_GMM) {
        mc_json_key(j, "n_init");
        mc_json_int(j, cfg->n_init > 0 ? cfg->n_init : (km ? 10 : 1));
        mc_json_key(j, "max_iter");
        mc_json_int(j, cfg->max_iter > 0 ? cfg->max_iter : (km ? 300 : 100));
        mc_json_key(j, "tol");
        mc_json_number(j, km ? 1e-4 : 1e-3);
    }
    if (cfg->algo == MC_CLUSTER_ALGO_AGGLOMERATIVE) {
        mc_json_key(j, "linkage");
        mc_json_string(j, mc_linkage_name(cfg->linkage));
        mc_json_key(j, "bound_rows");
        mc_json_int(j, cfg->bound_rows);
    }
    if (cfg->algo == MC_CLUSTER_ALGO_DBSCAN) {
        mc_json_key(j, "eps");
        if (cfg->eps > 0) mc_json_number(j, cfg->eps);
        else mc_json_string(j, "auto");
        mc_json_key(j, "min_samples");
        mc_json_int(j, cfg->min_samples);
    }
    if (cfg->algo == MC_CLUSTER_ALGO_GMM) {
        mc_json_key(j, "covariance");
        mc_json_string(j, mc_covariance_name(cfg->covariance));
        mc_json_key(j, "reg_covar");
        mc_json_number(j, cfg->reg_covar);
    }
    mc_json_key(j, "threads");
    mc_json_int(j, cfg->threads);
    mc_json_end_object(j);
}

/* What was found: k, sizes and the algorithm's own numbers. */
static mc_status json_result(mc_json *j, const mc_cluster_job *job, const mc_clustering *res) {
    const mc_cluster_config *cfg = &job->cluster;
    int64_t *sizes = mc_calloc((size_t)(res->k > 0 ? res->k : 1), sizeof *sizes);
    if (!sizes) return MC_STATUS_NO_MEMORY;
    for (int64_t i = 0; i < res->n; i++)
        if (res->labels[i] >= 0) sizes[res->labels[i]]++;
    mc_json_key(j, "seed");
    if (cfg->seed <= (uint64_t)INT64_MAX) {
        mc_json_int(j, (int64_t)cfg->seed);
    } else {
        char sb[32];
        snprintf(sb, sizeof sb, "%llu", (unsigned long long)cfg->seed);
        mc_json_string(j, sb);
    }
    mc_json_key(j, "k"); mc_json_int(j, res->k);
    mc_json_key(j, "k_given"); mc_json_bool(j, !job->sweep && cfg->algo != MC_CLUSTER_ALGO_DBSCAN);
    mc_json_key(j, "n_noise"); mc_json_int(j, res->n_noise);
    if (cfg->algo == MC_CLUSTER_ALGO_AGGLOMERATIVE) {
        /* the bound (issue 11): the tree of a seeded sample, every other row to the nearest centroid */
        mc_json_key(j, "fit_rows"); mc_json_int(j, res->fit_rows);
        mc_json_key(j, "bounded"); mc_json_bool(j, res->fit_rows < res->n);
    }
    mc_json_key(j, "cluster_sizes");
    mc_json_begin_array(j);
    for (int c = 0; c < res->k; c++) mc_json_int(j, sizes[c]);
    mc_json_end_array(j);
    free(sizes);
    if (cfg->algo == MC_CLUSTER_ALGO_KMEANS) {
        mc_json_key(j, "inertia"); mc_json_number(j, res->inertia);
        mc_json_key(j, "n_iter"); mc_json_int(j, res->n_iter);
    }
    if (cfg->algo == MC_CLUSTER_ALGO_GMM) {
        mc_json_key(j, "bic"); mc_json_number(j, res->bic);
        mc_json_key(j, "log_likelihood"); mc_json_number(j, res->log_likelihood);
        mc_json_key(j, "n_iter"); mc_json_int(j, res->n_iter);
        mc_json_key(j, "converged"); mc_json_bool(j, res->converged);
    }
    if (cfg->algo == MC_CLUSTER_ALGO_DBSCAN) {
        mc_json_key(j, "eps_used"); mc_json_number(j, res->eps);
        mc_json_key(j, "eps_auto"); mc_json_bool(j, res->eps_auto);
        if (res->eps_auto) {
            mc_json_key(j, "eps_knee");
            mc_json_number(j, res->eps_knee);
        }
    }
    return MC_STATUS_OK;
}

static void json_sweep(mc_json *j, const mc_cluster_job *job, const mc_ksweep *sw, const char *sweep_path) {
    mc_json_key(j, "k_sweep");
    if (!job->sweep) {
        mc_json_null(j);
        return;
    }
    mc_json_begin_object(j);
    mc_json_key(j, "k_max"); mc_json_int(j, job->k_max);
    mc_json_key(j, "silhouette_rows"); mc_json_int(j, sw->silhouette_rows);
    mc_json_key(j, "chosen_k"); mc_json_int(j, sw->chosen_k);
    mc_json_key(j, "curve_file"); mc_json_string(j, sweep_path);
    mc_json_key(j, "curve");
    mc_json_begin_array(j);
    for (int i = 0; i < sw->n_points; i++) {
        mc_json_begin_object(j);
        mc_json_key(j, "k"); mc_json_int(j, sw->points[i].k);
        mc_json_key(j, "silhouette"); mc_json_number(j, sw->points[i].silhouette);
        if (job->cluster.algo == MC_CLUSTER_ALGO_KMEANS) {
            mc_json_key(j, "inertia");
            mc_json_number(j, sw->points[i].inertia);
        }
        if (job->cluster.algo == MC_CLUSTER_ALGO_GMM) {
            mc_json_key(j, "bic");
            mc_json_number(j, sw->points[i].bic);
        }
        mc_json_end_object(j);
    }
    mc_json_end_array(j);
    mc_json_end_object(j);
}

/* The fitted transforms, so that the space can be rebuilt for new rows. */
static void json_space(mc_json *j, const mc_cluster_job *job, const mc_scaler *scaler, const mc_pca *pca, int64_t d) {
    if (job->reduce != MC_REDUCE_NONE) {
        mc_json_key(j, "scaler");
        mc_json_begin_object(j);
        mc_json_key(j, "mean"); json_array_d(j, scaler->mean, d);
        mc_json_key(j, "scale"); json_array_d(j, scaler->scale, d);
        mc_json_end_object(j);
    }
    if (job->reduce == MC_REDUCE_PCA) {
        mc_json_key(j, "pca");
        mc_json_begin_object(j);
        mc_json_key(j, "n_components"); mc_json_int(j, pca->n_components);
        mc_json_key(j, "explained_variance"); json_array_d(j, pca->explained_variance, pca->n_components);
        mc_json_key(j, "explained_variance_ratio"); json_array_d(j, pca->explained_variance_ratio, pca->n_components);
        mc_json_key(j, "mean"); json_array_d(j, pca->mean, d);
        mc_json_key(j, "components");
        mc_json_begin_array(j);
        for (int c = 0; c < pca->n_components; c++) json_array_d(j, pca->components + (size_t)c * (size_t)d, d);
        mc_json_end_array(j);
        mc_json_end_object(j);
    }
    if (job->save_space) {
        mc_json_key(j, "space_file");
        mc_json_string(j, job->save_space);
    }
}

/* The space to cluster: X itself, z-scored, or z-scored then PCA (*Z owned by the caller unless X). */
static mc_status reduce_space(const mc_cluster_job *job, const char *file, const float *X, int64_t n, int64_t d,
                              mc_scaler *scaler, mc_pca *pca, float **zbuf, float **sbuf, const float **Z,
                              int64_t *dz) {
    *Z = X;
    *dz = d;
    if (job->reduce == MC_REDUCE_NONE) return MC_STATUS_OK;
    if (!(*zbuf = mc_alloc((size_t)n * (size_t)d, sizeof(float)))) return MC_STATUS_NO_MEMORY;
    mc_status st = mc_cluster_scaler_fit(X, n, d, scaler);
    if (st == MC_STATUS_OK) st = mc_cluster_scaler_transform(scaler, X, n, d, *zbuf);
    if (st != MC_STATUS_OK) return mc_error_set(st, "%s: %s", file, mc_error_message());
    *Z = *zbuf;
    if (job->reduce != MC_REDUCE_PCA) return MC_STATUS_OK;
    const int dims = job->dims > 0 ? job->dims : 4;
    const int64_t r = n < d ? n : d;
    if (dims > r)
        return mc_error_set(MC_STATUS_FORMAT, "%s: --dims %d is more than min(rows, columns) = %lld", file, dims,
                            (long long)r);
    st = mc_pipeline_pca_space(*zbuf, n, d, dims, sbuf, pca);
    if (st != MC_STATUS_OK) return mc_error_set(st, "%s: PCA: %s", file, mc_error_message());
    *Z = *sbuf;
    *dz = dims;
    return MC_STATUS_OK;
}

mc_status mc_pipeline_cluster(const mc_cluster_job *job_in, const char *input, const char *assign_path,
                              mc_cluster_outcome *out) {
    if (!job_in || !input || !assign_path || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "cluster: NULL argument");
    memset(out, 0, sizeof *out);
    mc_cluster_job job = *job_in;
    job.cluster.threads = mc_threads_resolve(job.cluster.threads);
    job.cluster.k = job.sweep ? 2 : job.cluster.k;
    mc_status st = mc_cluster_config_validate(&job.cluster);
    if (st != MC_STATUS_OK) return st;
    const double t_start = mc_clock_seconds();
    /* Over R ranks (job.cluster.dist): every rank reads the same input and runs the same steps (k-means
     * shares its Lloyd steps, cluster.h); rank 0 alone writes, and the outcome is checked collectively. */
    const bool writer = mc_dist_rank(job.cluster.dist) == 0;
    mc_array arr = {0};
    mc_scaler scaler;
    mc_pca pca;
    memset(&scaler, 0, sizeof scaler);
    memset(&pca, 0, sizeof pca);
    float *zbuf = NULL, *sbuf = NULL;
    char *json_path = NULL, *sweep_path = NULL;
    mc_json *j = NULL;
    const float *Z = NULL;
    st = load_points(input, job.features, out->input, sizeof out->input, &arr, &out->n, &out->d);
    /* a rank that could not read the input (another machine's file system) stops them all here,
     * before the collectives of the clustering */
    if (mc_dist_size(job.cluster.dist) > 1) st = mc_dist_check(job.cluster.dist, st);
    const double t_loaded = mc_clock_seconds();
    if (st == MC_STATUS_OK)
        st = reduce_space(&job, out->input, arr.data, out->n, out->d, &scaler, &pca, &zbuf, &sbuf, &Z, &out->dz);
    if (st == MC_STATUS_OK && job.save_space && writer) {
        int64_t shape[2] = {out->n, out->dz};
        st = mc_npy_write(job.save_space, MC_DTYPE_F32, 2, shape, Z);
    }
    const double t_reduced = mc_clock_seconds();
    double t_sweep = 0;
    if (st == MC_STATUS_OK && !job.sweep) {
        job.cluster.progress = job.progress;
        st = mc_cluster_fit(&job.cluster, Z, out->n, out->dz, &out->result);
        job.cluster.progress = NULL;
        if (st != MC_STATUS_OK) st = mc_error_set(st, "%s: %s", out->input, mc_error_message());
    } else if (st == MC_STATUS_OK) {
        mc_progress_set_total(job.progress, (job.k_max < out->n - 1 ? job.k_max : out->n - 1) - 1); /* a tick per k */
        st = mc_pipeline_choose_k(&job.cluster, Z, out->n, out->dz, job.k_max, job.sweep_sample, job.progress, &out->sweep);
        if (st != MC_STATUS_OK) st = mc_error_set(st, "%s: %s", out->input, mc_error_message());
        else {
            out->result = out->sweep.best; /* ownership moves to the result */
            memset(&out->sweep.best, 0, sizeof out->sweep.best);
            job.cluster.k = out->sweep.chosen_k;
        }
        t_sweep = mc_clock_seconds() - t_reduced;
    }
    const double t_clustered = mc_clock_seconds();
    if (st == MC_STATUS_OK && writer) st = mc_report_assign_write(assign_path, out->result.labels, out->n);
    if (st == MC_STATUS_OK) {
        json_path = sibling(assign_path, ".json");
        sweep_path = job.sweep ? sibling(assign_path, ".ksweep.tsv") : NULL;
        if (!json_path || (job.sweep && !sweep_path)) st = MC_STATUS_NO_MEMORY;
    }
    if (st == MC_STATUS_OK && job.sweep && writer) st = mc_pipeline_ksweep_write(sweep_path, &out->sweep);
    const double t_end = mc_clock_seconds();
    if (st == MC_STATUS_OK) st = mc_json_create(&j);
    if (st == MC_STATUS_OK) {
        mc_json_begin_object(j);
        mc_json_key(j, "command"); mc_json_string(j, "cluster");
        mc_json_key(j, "version"); mc_json_string(j, mc_version());
        mc_json_key(j, "processes"); mc_json_int(j, mc_dist_size(job.cluster.dist)); /* mpirun -np R */
        mc_json_key(j, "input"); mc_json_string(j, out->input);
        mc_json_key(j, "rows"); mc_json_int(j, out->n);
        mc_json_key(j, "columns"); mc_json_int(j, out->d);
        mc_json_key(j, "reduce");
        mc_json_string(j, job.reduce == MC_REDUCE_RAW ? "raw" : job.reduce == MC_REDUCE_PCA ? "pca" : "none");
        mc_json_key(j, "space_columns"); mc_json_int(j, out->dz);
        mc_json_key(j, "algorithm"); mc_json_string(j, mc_cluster_algo_name(job.cluster.algo));
        mc_json_key(j, "parameters");
        json_parameters(j, &job.cluster);
        st = json_result(j, &job, &out->result);
    }
    if (st == MC_STATUS_OK) {
        json_sweep(j, &job, &out->sweep, sweep_path);
        json_space(j, &job, &scaler, &pca, out->d);
        mc_json_key(j, "timing_s");
        mc_json_begin_object(j);
        mc_json_key(j, "load"); mc_json_number(j, t_loaded - t_start);
        mc_json_key(j, "reduce"); mc_json_number(j, t_reduced - t_loaded);
        mc_json_key(j, "cluster"); mc_json_number(j, t_clustered - t_reduced);
        mc_json_key(j, "sweep"); mc_json_number(j, t_sweep);
        mc_json_key(j, "total"); mc_json_number(j, t_end - t_start);
        mc_json_end_object(j);
        mc_json_end_object(j);
        if (writer) st = mc_json_write_file(j, json_path);
    }
    /* a write that failed on rank 0 fails every rank (no rank reports success alone) */
    if (mc_dist_size(job.cluster.dist) > 1) st = mc_dist_check(job.cluster.dist, st);
    out->seconds = t_end - t_start;
    mc_json_free(j);
    free(json_path);
    free(sweep_path);
    mc_cluster_pca_free(&pca);
    mc_cluster_scaler_free(&scaler);
    mc_free(zbuf);
    mc_free(sbuf);
    mc_array_free(&arr);
    if (st != MC_STATUS_OK) mc_cluster_outcome_free(out);
    return st;
}
