/* musiclust demo: synthesize the built-in labelled corpus and run the pipeline on it. */
#include "cli.h"

#include <musiclust/data.h>
#include <musiclust/pipeline.h>

#include <stdio.h>
#include <stdlib.h>

int cmd_demo(int argc, char **argv) {
    const char *out = "demo-results";
    mc_demo_config demo;
    mc_demo_config_default(&demo);
    int threads = 0;
    bool quiet = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "RESULTS", "folder for the corpus, features and results (default demo-results)"},
        {"seed", 0, CLI_U64, &demo.seed, "S", "seed of the synthesized corpus (default 7)"},
        {"tracks", 0, CLI_INT, &demo.tracks_per_style, "N", "tracks per style (default 6)"},
        {"seconds", 0, CLI_DOUBLE, &demo.track_seconds, "S", "length of each track (default 12)"},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (default: all cores)"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary"},
    };
    const cli_command cmd = {
        "demo", "musiclust demo [-o RESULTS] [options]",
        "Synthesize a small labelled corpus (5 styles: classical, rock, electronic, jazz, folk;\n"
        "lyrics in English and Bengali) into RESULTS/corpus, then extract its features into\n"
        "RESULTS/features with the metadata's labels.",
        opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_parse(&cmd, argc, argv, &pos, &npos);
    free(pos);
    if (rc >= 0) return rc;
    cli_init_logging(quiet);

    char corpus[4096], meta[4200], audio[4200], feats[4096];
    snprintf(corpus, sizeof corpus, "%s/corpus", out);
    snprintf(meta, sizeof meta, "%s/metadata.tsv", corpus);
    snprintf(audio, sizeof audio, "%s/audio", corpus);
    snprintf(feats, sizeof feats, "%s/features", out);

    int nstyles = 0;
    mc_pipeline_demo_styles(&nstyles);
    mc_progress *bar = cli_progress(quiet, "synthesize", (int64_t)nstyles * demo.tracks_per_style);
    mc_status st = mc_pipeline_demo_corpus(corpus, &demo, bar);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    if (st != MC_STATUS_OK) return cli_fail("demo", st);

    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    cfg.metadata = meta;
    cfg.threads = threads;
    const char *inputs[1] = {audio};
    mc_extract_summary sum = {0};
    bar = cli_progress(quiet, "extract", 0);
    st = mc_data_extract(&cfg, inputs, 1, feats, bar, &sum);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    if (st != MC_STATUS_OK) return cli_fail("demo", st);
    if (!quiet) {
        printf("demo corpus: %lld tracks of %d styles in %s (labels and lyrics in %s)\n",
               (long long)sum.tracks, nstyles, audio, meta);
        printf("features:    %lld segments in %s (index.tsv, mfcc_stats.npy, logmel.npy)\n",
               (long long)sum.segments, feats);
    }
    return MC_EXIT_OK;
}
