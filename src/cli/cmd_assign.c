/* musiclust assign: new songs into an existing `musiclust run` result, without retraining. The work is
 * mc_pipeline_assign; this file parses options and prints. */
#include "cli.h"

#include <musiclust/pipeline.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CMD "assign"

int cmd_assign(int argc, char **argv) {
    mc_assign_config cfg;
    mc_assign_config_default(&cfg);
    const char *out = NULL;
    bool quiet = false;
    uint64_t seed = UINT64_MAX; /* unset: the run's first seed */
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "OUT", "folder for the new tracks' features, latents, assignments and tracks.tsv (required)"},
        {"representation", 0, CLI_STRING, &cfg.representation, "ID", "a representation of the run (default: the first one assign supports)"},
        {"seed", 0, CLI_U64, &seed, "S", "which seed's model and clustering (default: the run's first)"},
        {"metadata", 0, CLI_STRING, &cfg.metadata, "FILE", "CSV/TSV of labels for the new tracks, joined on the file stem"},
        {"id-column", 0, CLI_STRING, &cfg.id_column, "NAME", "metadata column holding the file stem (default track_id)"},
        {"threads", 0, CLI_INT, &cfg.threads, "N", "worker threads (default: all cores)"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary"},
    };
    const cli_command cmd = {
        CMD, "musiclust assign RESULTS NEW_AUDIO... [--representation ID] [--metadata FILE] -o OUT",
        "Put new songs into an existing result without retraining: extract them with the run's feature\n"
        "parameters, put them into a representation's space (its saved model, or the fitted transform of\n"
        "raw / pca / pca-logmel / concat), and into each clustering the run made of it: k-means and\n"
        "agglomerative by the nearest cluster mean, DBSCAN by the nearest core point within eps (else\n"
        "noise); each track gets the majority of its segments, and a place on the run's UMAP / t-SNE maps\n"
        "(weighted mean of its nearest run rows). Writes OUT/features/, OUT/latents/, OUT/assign/,\n"
        "OUT/embed/ (as run) and OUT/tracks.tsv. The run's own audio gives the run's clusters back.",
        opts, (int)(sizeof opts / sizeof opts[0]), 2, -1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    if (!out) return free(pos), cli_usage(&cmd, "-o OUT is required");
    if (seed != UINT64_MAX) {
        if (seed > (uint64_t)INT64_MAX) return free(pos), cli_usage(&cmd, "--seed is too large");
        cfg.seed = (int64_t)seed;
    }
    mc_progress *bar = cli_progress(quiet, "extract", 0);
    cfg.progress = bar;
    mc_assign_summary sum;
    mc_status st = mc_pipeline_assign(&cfg, pos[0], pos + 1, npos - 1, out, &sum);
    free(pos);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    if (st != MC_STATUS_OK) return st == MC_STATUS_INVALID_ARG ? cli_fail(CMD, st) : cli_input(CMD, "%s", mc_error_message());
    if (!quiet) {
        printf("assigned %lld tracks (%lld segments, %lld skipped) with %s (%s, seed %llu) to the run's clusters of %s%s\n"
               "  rules: k-means / agglomerative: nearest cluster mean of the run's rows; DBSCAN: nearest core point within eps, else noise%s\n"
               "%s%s%s  -> %s/tracks.tsv, %s/assign/, %s/latents/%s%s%s\n",
               (long long)sum.tracks, (long long)sum.segments, (long long)sum.skipped, sum.representation, sum.space,
               (unsigned long long)sum.seed, sum.algorithms, sum.maps ? ", and on its maps" : "",
               sum.maps ? "; maps: weighted mean of the nearest run rows' positions (umap-learn's transform start; t-SNE has no transform)" : "",
               sum.note[0] ? "  note: " : "", sum.note[0] ? sum.note : "", sum.note[0] ? "\n" : "", out, out, out,
               sum.maps ? ", " : "", sum.maps ? out : "", sum.maps ? "/embed/" : "");
    }
    return MC_EXIT_OK;
}
