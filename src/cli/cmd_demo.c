/* musiclust demo: synthesize the built-in labelled corpus and run the whole pipeline (--task all) on it. */
#include "cli.h"

#include <musiclust/data.h>
#include <musiclust/pipeline.h>

#include <stdio.h>
#include <stdlib.h>

static mc_progress *progress_cb(void *user, const char *label, int64_t total) {
    return cli_progress(*(const bool *)user, label, total);
}

int cmd_demo(int argc, char **argv) {
    const char *out = "demo-results";
    mc_demo_config demo;
    mc_demo_config_default(&demo);
    mc_run_config run;
    mc_run_config_default(&run);
    /* sized so that `make demo` stays within a few minutes on 2 cores (the conv-vae dominates) */
    run.conv_budget = 960;
    int budget = -1;
    bool quiet = false, no_maps = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "RESULTS", "folder for the corpus and the results (default demo-results)"},
        {"seed", 0, CLI_U64, &demo.seed, "S", "seed of the synthesized corpus (default 7)"},
        {"tracks", 0, CLI_INT, &demo.tracks_per_style, "N", "tracks per style (default 6)"},
        {"seconds", 0, CLI_DOUBLE, &demo.track_seconds, "S", "length of each track (default 12)"},
        {"seeds", 0, CLI_INT, &run.seeds, "N", "seeds of the models and clusterings (default 3)"},
        {"conv-budget", 0, CLI_INT, &budget, "SAMPLES", "conv-vae training samples per seed (default 960)"},
        {"no-maps", 0, CLI_FLAG, &no_maps, NULL, "skip t-SNE and UMAP"},
        {"fast", 0, CLI_FLAG, &run.fast, NULL, "(testing) tiny epochs and maps: a smoke test, not a result"},
        {"threads", 0, CLI_INT, &run.threads, "N", "worker threads (default: all cores)"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary"},
    };
    const cli_command cmd = {
        "demo", "musiclust demo [-o RESULTS] [options]",
        "Synthesize a small labelled corpus (5 styles: classical, rock, electronic, jazz, folk; lyrics in\n"
        "English and Bengali) into RESULTS/corpus, then run the whole pipeline on it (musiclust run\n"
        "--task all --metadata RESULTS/corpus/metadata.tsv): features in RESULTS/features, models,\n"
        "clusters, metrics.csv and report.html in RESULTS. A second demo into the same folder reuses\n"
        "what is done.",
        opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    int rc = cli_start(&cmd, argc, argv, &quiet, NULL, NULL);
    if (rc >= 0) return rc;
    if (demo.tracks_per_style < 1 || !(demo.track_seconds > 0))
        return cli_usage(&cmd, "--tracks and --seconds must be positive");
    if (run.seeds < 1 || run.seeds > 64) return cli_usage(&cmd, "--seeds must be in 1..64, got %d", run.seeds);
    if (budget != -1) {
        if (budget < 1) return cli_usage(&cmd, "--conv-budget must be >= 1, got %d", budget);
        run.conv_budget = budget;
    }

    char corpus[4096], meta[4200], audio[4200];
    snprintf(corpus, sizeof corpus, "%s/corpus", out);
    snprintf(meta, sizeof meta, "%s/metadata.tsv", corpus);
    snprintf(audio, sizeof audio, "%s/audio", corpus);

    int nstyles = 0;
    mc_pipeline_demo_styles(&nstyles);
    mc_progress *bar = cli_progress(quiet, "synthesize", (int64_t)nstyles * demo.tracks_per_style);
    mc_status st = mc_pipeline_demo_corpus(corpus, &demo, bar);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    if (st != MC_STATUS_OK) return cli_fail("demo", st);
    if (!quiet)
        printf("demo corpus: %d tracks of %d styles in %s (labels and lyrics in %s)\n",
               nstyles * demo.tracks_per_style, nstyles, audio, meta);

    run.extract.metadata = meta;
    run.maps = !no_maps;
    run.progress = progress_cb;
    run.progress_user = &quiet;
    const char *inputs[1] = {audio};
    mc_run_summary sum;
    st = mc_pipeline_run(&run, inputs, 1, out, &sum);
    if (st != MC_STATUS_OK) {
        mc_run_summary_free(&sum);
        return cli_fail("demo", st);
    }
    if (!quiet) cli_print_run(out, &sum);
    mc_run_summary_free(&sum);
    return MC_EXIT_OK;
}
