/* musiclust cluster: X.npy (or a feature store) -> ASSIGN.tsv + ASSIGN.json, optionally after
 * z-scoring / PCA, with k chosen by silhouette when --k is not given. The work is
 * mc_pipeline_cluster (pipeline.h; its sweep is the one `musiclust run` uses); this file parses
 * options and prints. */
#include "cli.h"

#include <musiclust/cluster.h>
#include <musiclust/pipeline.h>
#include <musiclust/report.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "cluster"

static void print_outcome(const mc_cluster_job *job, const mc_cluster_outcome *o, const char *out) {
    const mc_cluster_algo algo = job->cluster.algo;
    const mc_clustering *res = &o->result;
    for (int i = 0; job->sweep && i < o->sweep.n_points; i++) {
        const mc_ksweep_point *p = &o->sweep.points[i];
        printf("k=%d silhouette=%.4f", p->k, p->silhouette);
        if (algo == MC_CLUSTER_ALGO_KMEANS) printf(" inertia=%.6g", p->inertia);
        if (algo == MC_CLUSTER_ALGO_GMM) printf(" bic=%.6g", p->bic);
        printf("\n");
    }
    printf("%s: %lld rows x %lld, k = %d%s", mc_cluster_algo_name(algo), (long long)o->n, (long long)o->dz, res->k,
           job->sweep ? " (chosen by silhouette)" : "");
    if (algo == MC_CLUSTER_ALGO_KMEANS) printf(", inertia %.6g", res->inertia);
    if (algo == MC_CLUSTER_ALGO_GMM) printf(", BIC %.6g, log-likelihood %.6g", res->bic, res->log_likelihood);
    if (algo == MC_CLUSTER_ALGO_AGGLOMERATIVE && res->fit_rows < o->n)
        printf(", bounded: tree of a seeded sample of %lld rows, the rest to the nearest centroid (--bound 0: exact)",
               (long long)res->fit_rows);
    if (algo == MC_CLUSTER_ALGO_DBSCAN)
        printf(", eps %.6g%s, %lld noise", res->eps,
               !res->eps_auto ? "" : res->eps == res->eps_knee ? " (knee of the k-distance curve)"
                                                                : " (k-distance quantile: the knee gave one cluster)",
               (long long)res->n_noise);
    printf(" -> %s (%.2f s)\n", out, o->seconds);
}

int cmd_cluster(int argc, char **argv) {
    mc_cluster_job job;
    mc_cluster_job_default(&job);
    mc_cluster_config *cfg = &job.cluster;
    const char *out = NULL, *algo_s = "kmeans", *linkage_s = NULL, *cov_s = NULL, *reduce_s = "none", *features_s = NULL;
    const char *labels_dir = NULL, *featdir = NULL;
    int bound = 20000;
    int k = INT32_MIN /* not given: sweep */, dims = 0, sweep_sample = 10000, min_samples = -1;
    double eps = 0;
    bool quiet = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "ASSIGN.tsv", "assignments to write (required); ASSIGN.json is written beside it"},
        {"algo", 0, CLI_STRING, &algo_s, "NAME", "kmeans | agglomerative | dbscan | gmm (default kmeans)"},
        {"k", 'k', CLI_INT, &k, "K", "number of clusters; without it k = 2..--k-max is swept and chosen by silhouette"},
        {"k-max", 0, CLI_INT, &job.k_max, "K", "largest k of the sweep (default 10, capped at N-1)"},
        {"sweep-sample", 0, CLI_INT, &sweep_sample, "N", "silhouette of the sweep on a seeded sample of N rows; 0 = all (default 10000)"},
        {"linkage", 0, CLI_STRING, &linkage_s, "NAME", "agglomerative: ward | average | complete | single (default ward)"},
        {"bound", 0, CLI_INT, &bound, "N", "agglomerative: above N rows, the tree of a seeded sample of N rows, every other row to the nearest sample cluster's centroid; 0 = exact (default 20000)"},
        {"eps", 0, CLI_DOUBLE, &eps, "E", "dbscan: neighbourhood radius (default: the knee of the k-distance curve)"},
        {"min-samples", 0, CLI_INT, &min_samples, "M", "dbscan: points within eps, itself included, for a core point (default 5)"},
        {"covariance", 0, CLI_STRING, &cov_s, "TYPE", "gmm: full | diag (default full)"},
        {"n-init", 0, CLI_INT, &cfg->n_init, "N", "restarts, best kept (default: kmeans 10, gmm 1)"},
        {"max-iter", 0, CLI_INT, &cfg->max_iter, "N", "iterations per run (default: kmeans 300, gmm 100)"},
        {"seed", 0, CLI_U64, &cfg->seed, "S", "random seed (default 0)"},
        {"features", 0, CLI_STRING, &features_s, "SET", "with a feature store folder: mfcc (mfcc_stats.npy or features.npy, default), descriptors (descriptors.npy) or mfcc+descriptors (side by side; use --reduce raw)"},
        {"reduce", 0, CLI_STRING, &reduce_s, "HOW", "none: cluster X as given (default); raw: z-score first; pca: z-score then PCA"},
        {"dims", 0, CLI_INT, &dims, "D", "with --reduce pca: principal components kept (default 4)"},
        {"save-space", 0, CLI_STRING, &job.save_space, "Z.npy", "write the space that was clustered (after --reduce) as float32"},
        {"labels", 0, CLI_STRING, &labels_dir, "DIR", "also write one Audacity / Sonic Visualiser label file per track into DIR (start, end, cluster of each segment); needs the feature store: the input folder, or --featdir"},
        {"featdir", 0, CLI_STRING, &featdir, "FEATDIR", "with --labels and an X.npy input: the feature store whose rows X holds"},
        {"threads", 0, CLI_INT, &cfg->threads, "N", "worker threads (default: all cores); output is identical for any N"},
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
        "kept (curve in ASSIGN.ksweep.tsv: k, silhouette, inertia, bic, log_likelihood). Writes\n"
        "ASSIGN.tsv ('row<TAB>cluster', noise = -1) and ASSIGN.json (parameters, k, inertia / BIC /\n"
        "eps, sizes, the sweep, timings).\n\nExamples:\n  musiclust cluster -k3 latent.npy -o assign.tsv\n  musiclust cluster --algo gmm --k 8 latent.npy -o gmm.tsv\n  musiclust cluster --algo dbscan --reduce raw feats -o db.tsv\n"
        "  musiclust cluster -k 8 --labels labels/ --featdir feats latent.npy -o a.tsv",
        opts, (int)(sizeof opts / sizeof opts[0]), 1, 1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    const char *input = pos[0];
    free(pos);

    /* ---- options (exit 2 on any inconsistency, before reading anything) */
    if (!out) return cli_usage(&cmd, "-o ASSIGN.tsv is required");
    if (mc_cluster_algo_parse(algo_s, &cfg->algo)) return cli_usage(&cmd, "--%s", mc_error_message());
    if (linkage_s) {
        if (cfg->algo != MC_CLUSTER_ALGO_AGGLOMERATIVE) return cli_usage(&cmd, "--linkage applies to --algo agglomerative only");
        if (mc_linkage_parse(linkage_s, &cfg->linkage)) return cli_usage(&cmd, "--%s", mc_error_message());
    }
    if (cov_s) {
        if (cfg->algo != MC_CLUSTER_ALGO_GMM) return cli_usage(&cmd, "--covariance applies to --algo gmm only");
        if (mc_covariance_parse(cov_s, &cfg->covariance)) return cli_usage(&cmd, "--%s", mc_error_message());
    }
    if (bound < 0) return cli_usage(&cmd, "--bound must be 0 (exact) or > 0, got %d", bound);
    cfg->bound_rows = bound;
    const bool is_dbscan = cfg->algo == MC_CLUSTER_ALGO_DBSCAN;
    if ((eps != 0 || min_samples >= 0) && !is_dbscan) return cli_usage(&cmd, "--eps and --min-samples apply to --algo dbscan only");
    if (is_dbscan && k != INT32_MIN) return cli_usage(&cmd, "--k does not apply to dbscan (it finds the number of clusters)");
    if (eps < 0) return cli_usage(&cmd, "--eps must be > 0, got %g", eps);
    if (min_samples >= 0) cfg->min_samples = min_samples;
    if (k != INT32_MIN && k < 1) return cli_usage(&cmd, "--k must be >= 1, got %d", k);
    if (job.k_max < 2) return cli_usage(&cmd, "--k-max must be >= 2, got %d", job.k_max);
    if (sweep_sample < 0 || (sweep_sample > 0 && sweep_sample < 3))
        return cli_usage(&cmd, "--sweep-sample must be 0 (all rows) or >= 3, got %d", sweep_sample);
    if (features_s && mc_store_features_parse(features_s, &job.features) != MC_STATUS_OK) {
        mc_error_clear();
        return cli_usage(&cmd, "--features must be mfcc, descriptors or mfcc+descriptors, got '%s'", features_s);
    }
    if (strcmp(reduce_s, "none") == 0) job.reduce = MC_REDUCE_NONE;
    else if (strcmp(reduce_s, "raw") == 0) job.reduce = MC_REDUCE_RAW;
    else if (strcmp(reduce_s, "pca") == 0) job.reduce = MC_REDUCE_PCA;
    else return cli_usage(&cmd, "--reduce must be none, raw or pca, got '%s'", reduce_s);
    if (dims != 0 && job.reduce != MC_REDUCE_PCA) return cli_usage(&cmd, "--dims applies to --reduce pca only");
    if (dims < 0) return cli_usage(&cmd, "--dims must be >= 1, got %d", dims);
    if (featdir && !labels_dir) return cli_usage(&cmd, "--featdir goes with --labels DIR");
    struct stat in_st;
    if (labels_dir && !featdir) {
        if (stat(input, &in_st) != 0 || !S_ISDIR(in_st.st_mode))
            return cli_usage(&cmd, "--labels needs the feature store: give a FEATDIR as input, or --featdir FEATDIR");
        featdir = input;
    }
    job.dims = dims;
    job.sweep_sample = sweep_sample;
    job.sweep = !is_dbscan && k == INT32_MIN;
    cfg->eps = eps;
    cfg->k = k > 0 ? k : 2;
    if (mc_cluster_config_validate(cfg)) return cli_usage(&cmd, "%s", mc_error_message());

    cfg->dist = cli_dist(); /* k-means over the ranks of mpirun / srun (NULL alone) */
    job.progress = is_dbscan && !job.sweep ? NULL : cli_progress(quiet, job.sweep ? "k sweep" : algo_s, 0);
    mc_cluster_outcome o;
    mc_status st = mc_pipeline_cluster(&job, input, out, &o);
    if (st == MC_STATUS_OK) mc_progress_finish(job.progress);
    mc_progress_free(job.progress);
    /* every option was checked above: what the library rejects is the input (exit 1) */
    if (st != MC_STATUS_OK) return cli_input(CMD, "%s", mc_error_message());
    if (labels_dir) {
        int64_t files = 0;
        st = mc_report_export_labels(featdir, o.result.labels, o.result.n, labels_dir, &files);
        if (st != MC_STATUS_OK) {
            mc_cluster_outcome_free(&o);
            return cli_input(CMD, "%s", mc_error_message());
        }
        if (!quiet) printf("%lld label files (Audacity format) -> %s\n", (long long)files, labels_dir);
    }
    if (!quiet) print_outcome(&job, &o, out);
    if (is_dbscan && o.result.k == 0) mc_log(MC_LOG_LEVEL_WARN, "DBSCAN found no cluster: every point is noise");
    mc_cluster_outcome_free(&o);
    return MC_EXIT_OK;
}
