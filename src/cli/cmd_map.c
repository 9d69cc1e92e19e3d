/* musiclust map: t-SNE or UMAP of any array -> (N, 2) .npy, and a scatter coloured by a label column.
 * The work is mc_pipeline_map (the same options as the maps of `musiclust run`); this file parses
 * options and prints. */
#include "cli.h"

#include <musiclust/pipeline.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "map"

int cmd_map(int argc, char **argv) {
    mc_map_config cfg;
    mc_map_config_default(&cfg);
    const char *out = NULL, *method = "umap";
    bool quiet = false;
    int sample = -1;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "Y.npy", "the (N, 2) map, float32 (required)"},
        {"method", 0, CLI_STRING, &method, "M", "tsne | umap (default umap)"},
        {"perplexity", 0, CLI_DOUBLE, &cfg.perplexity, "P", "t-SNE perplexity (default 30; at most (N - 1) / 3)"},
        {"neighbors", 0, CLI_INT, &cfg.neighbors, "K", "UMAP neighbours (default 15; at most N - 1)"},
        {"min-dist", 0, CLI_DOUBLE, &cfg.min_dist, "D", "UMAP min_dist (default 0.1)"},
        {"iterations", 0, CLI_INT, &cfg.iterations, "N", "t-SNE iterations (>= 250; default 1000) / UMAP epochs (default 500 up to 10000 rows, else 200)"},
        {"fast", 0, CLI_FLAG, &cfg.fast, NULL, "as run --fast: t-SNE 250 iterations, UMAP 60 epochs"},
        {"sample", 0, CLI_INT, &sample, "N", "above N rows, t-SNE / UMAP of a seeded sample of N rows and every other row placed on it (the weighted mean of its nearest sample rows' positions, as umap-learn's transform starts; default 20000, as run's --map-sample; 0 = every row)"},
        {"seed", 0, CLI_U64, &cfg.seed, "S", "seed (default 0; run's maps use its first seed)"},
        {"labels", 0, CLI_STRING, &cfg.labels, "FILE", "a store (folder or index.tsv) or CSV/TSV with one row per row of X"},
        {"column", 0, CLI_STRING, &cfg.column, "C", "the label column that colours --plot"},
        {"plot", 0, CLI_STRING, &cfg.plot, "FILE", "draw the scatter to FILE (.png, .svg or .pdf)"},
        {"threads", 0, CLI_INT, &cfg.threads, "N", "worker threads (default: all cores); the map never depends on it"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary"},
    };
    const cli_command cmd = {
        CMD, "musiclust map X.npy -o Y.npy [--method tsne|umap] [options] [--labels F --column C --plot Y.png]",
        "The 2-D map of any (N, ...) array (rows flattened): Barnes-Hut t-SNE (as scikit-learn) or UMAP\n"
        "(as umap-learn), with the options `musiclust run` uses for its maps, so the map of a run's\n"
        "latent (RESULTS/latents/ID.seedS.npy, --seed S --threads 1 or any) equals its\n"
        "RESULTS/embed/ID.METHOD.npy. With --plot, the scatter coloured by --column of --labels.",
        opts, (int)(sizeof opts / sizeof opts[0]), 1, 1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    const char *x = pos[0];
    free(pos);
    if (!out) return cli_usage(&cmd, "-o Y.npy is required");
    if (strcmp(method, "tsne") == 0) cfg.method = MC_MAP_TSNE;
    else if (strcmp(method, "umap") == 0) cfg.method = MC_MAP_UMAP;
    else return cli_usage(&cmd, "--method must be tsne or umap, got '%s'", method);
    if ((cfg.labels != NULL) != (cfg.column != NULL)) return cli_usage(&cmd, "--labels and --column go together");
    if (cfg.column && !cfg.plot) return cli_usage(&cmd, "--column colours --plot: give --plot FILE");
    if (sample != -1) {
        if (sample != 0 && sample < 10) return cli_usage(&cmd, "--sample must be 0 or >= 10, got %d", sample);
        cfg.sample = sample;
    }
    if (cfg.iterations < 0 || cfg.neighbors < 0 || cfg.perplexity < 0) return cli_usage(&cmd, "--iterations, --neighbors and --perplexity must be >= 1");
    mc_progress *bar = cli_progress(quiet, cfg.method == MC_MAP_TSNE ? "t-SNE" : "UMAP", 0);
    cfg.progress = bar;
    int64_t rows = 0, mapped = 0;
    mc_status st = mc_pipeline_map(&cfg, x, out, &rows, &mapped);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    if (st != MC_STATUS_OK) return st == MC_STATUS_INVALID_ARG ? cli_fail(CMD, st) : cli_input(CMD, "%s", mc_error_message());
    if (!quiet) {
        printf("wrote %s (%s map)%s%s\n", out, method, cfg.plot ? " and " : "", cfg.plot ? cfg.plot : "");
        if (mapped < rows)
            printf("bounded: %s of a seeded sample of %lld of %lld rows, the others placed on it (--sample 0: every row)\n",
                   method, (long long)mapped, (long long)rows);
    }
    return MC_EXIT_OK;
}
