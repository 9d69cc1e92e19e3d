/* musiclust run: audio -> features -> latent spaces -> clusters -> metrics and report, resumable stage
 * by stage (pipeline.h); and musiclust report: the HTML report of a RESULTS folder again. */
#include "cli.h"

#include <musiclust/pipeline.h>
#include <musiclust/report.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mc_progress *progress_cb(void *user, const char *label, int64_t total) {
    return cli_progress(*(const bool *)user, label, total);
}

/* The tables and the stage breakdown after a run (also used by musiclust demo). */
void cli_print_run(const char *results, const mc_run_summary *sum) {
    printf("\n%lld tracks, %lld segments, %lld skipped; k = %d (%s)\n", (long long)sum->tracks,
           (long long)sum->segments, (long long)sum->skipped, sum->k, sum->k_source);
    if (sum->conv_epochs > 0)
        printf("conv-vae: %d epoch%s over %lld rows per seed%s\n", sum->conv_epochs, sum->conv_epochs == 1 ? "" : "s",
               (long long)sum->conv_rows, sum->conv_budget_limited ? " (limited by the sample budget: --conv-budget)" : "");
    char *path = mc_report_path(results, MC_REPORT_METRICS_CSV);
    mc_report_table t;
    if (path && mc_report_table_read_csv(path, &t) == MC_STATUS_OK) {
        const char *levels[2] = {"segment", "track"};
        for (int l = 0; l < 2; l++) {
            char *txt = NULL;
            if (mc_report_text_table(&t, levels[l], NULL, 0, &txt) == MC_STATUS_OK) {
                printf("\n%s level (mean±std over the seeds; all columns in %s):\n%s", levels[l], path, txt);
                free(txt);
            }
        }
        mc_report_table_free(&t);
    }
    free(path);
    printf("\nstages: %d ran, %d cached, %.1f s in all\n", sum->stages_run, sum->stages_cached, sum->seconds);
    for (int i = 0; i < sum->n_stages; i++)
        if (sum->stages[i].ran) printf("  %-36s %8.1f s\n", sum->stages[i].name, sum->stages[i].seconds);
    printf("\nresults in %s/ (report.html, metrics.csv, metrics.json, run.json)\n", results);
}

/* The value of --recipe in argv, or NULL: the recipe is applied before the other options are parsed,
 * so that options given on the command line override it. */
static const char *recipe_arg(int argc, char **argv) {
    const char *v = NULL;
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--recipe") == 0 && i + 1 < argc) v = argv[i + 1];
        else if (strncmp(argv[i], "--recipe=", 9) == 0) v = argv[i] + 9;
    }
    return v;
}

int cmd_run(int argc, char **argv) {
    mc_run_config cfg;
    mc_run_config_default(&cfg);
    static mc_recipe recipe; /* cfg.recipe points here */
    const char *out = NULL, *task = NULL, *metadata = NULL, *features = NULL, *precision = NULL, *recipe_name = recipe_arg(argc, argv);
    if (recipe_name && mc_pipeline_recipe_load(recipe_name, &recipe, &cfg) != MC_STATUS_OK)
        return cli_input("run", "%s", mc_error_message());
    int64_t budget = cfg.conv_budget;
    int budget_i = -1, map_sample_i = -1;
    bool quiet = false, no_maps = false, no_report = false, no_desc = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "RESULTS", "results folder (required); a second run into it resumes / skips what is done"},
        {"recipe", 0, CLI_STRING, &recipe_name, "NAME|FILE", "a whole experiment as JSON: a built-in (recipes/: mfcc-vae, linear-vae, conv-beta-vae, multimodal-cvae, easy, medium, hard, all) or a file; the options below override it"},
        {"task", 0, CLI_STRING, &task, "TASK", "easy | medium | hard | all (default all; a comma list works too)"},
        {"metadata", 0, CLI_STRING, &metadata, "FILE", "CSV/TSV of labels (and lyrics) joined on the file stem"},
        {"id-column", 0, CLI_STRING, &cfg.extract.id_column, "NAME", "metadata column holding the file stem (default track_id)"},
        {"text-column", 0, CLI_STRING, &cfg.text_column, "NAME", "metadata column holding lyrics (default lyrics; used when present)"},
        {"label", 0, CLI_STRING, &cfg.label, "COLUMN", "main label column (default: first of genre, tag, label, style with >= 2 classes)"},
        {"seeds", 0, CLI_INT, &cfg.seeds, "N", "seeds per model and clustering, reported as mean ± std (default 3)"},
        {"seed", 0, CLI_U64, &cfg.first_seed, "S", "first seed (default 0): seeds S .. S+N-1"},
        {"k", 'k', CLI_INT, &cfg.k, "K", "clusters (default: classes of the main label, else chosen by silhouette)"},
        {"k-max", 0, CLI_INT, &cfg.k_max, "K", "largest k of the silhouette sweep (default 10)"},
        {"segment", 0, CLI_DOUBLE, &cfg.extract.segment_s, "S", "segment length in seconds (default 3)"},
        {"n-mfcc", 0, CLI_INT, &cfg.extract.dsp.n_mfcc, "N", "MFCCs per frame (default 20): the MFCC statistics have 2N columns"},
        {"n-mels", 0, CLI_INT, &cfg.extract.dsp.n_mels, "N", "mel bands of the log-mel and the MFCCs (default 128)"},
        {"conv-budget", 0, CLI_INT, &budget_i, "SAMPLES", "conv-vae training samples per seed; epochs = clamp(SAMPLES / rows, 1, 20) (default 8000)"},
        {"conv-batch", 0, CLI_INT, &cfg.conv_batch, "ROWS", "conv-vae mini-batch rows (default 32). Over R ranks a batch of 32 x R or more lets every rank train a part of each batch"},
        {"features", 0, CLI_STRING, &features, "SET", "vectors of the common space, raw, pca and the MLP models: mfcc, descriptors or mfcc+descriptors (default; the best raw input on gtzan-mini, issue 17)"},
        {"no-descriptors", 0, CLI_FLAG, &no_desc, NULL, "extract without librosa's descriptors (then --features is mfcc)"},
        {"precision", 0, CLI_STRING, &precision, "P", "conv-vae arithmetic: fp32 (default) or bf16 (AVX512_BF16 kernels, fp32 master weights and accumulation; fp32 where the CPU lacks them)"},
        {"mlp-epochs", 0, CLI_INT, &cfg.mlp_epochs, "E", "epochs of the MLP models (default 100)"},
        {"mlp-latent", 0, CLI_INT, &cfg.mlp_latent, "D", "latent size of the MLP models and pca's components (default 16, measured in issue 17; 0 = the models' own default, 4)"},
        {"no-maps", 0, CLI_FLAG, &no_maps, NULL, "skip t-SNE and UMAP"},
        {"low-memory", 0, CLI_FLAG, &cfg.low_memory, NULL, "train each model on one network, mini-batch parts in turn (the conv-vae: ~200 MB less per extra thread, 10-27% slower; the same results)"},
        {"map-sample", 0, CLI_INT, &map_sample_i, "N", "above N rows, the maps of a seeded sample of N rows, every other row placed on them (default 20000; 0 = every row)"},
        {"no-report", 0, CLI_FLAG, &no_report, NULL, "skip report.html"},
        {"fast", 0, CLI_FLAG, &cfg.fast, NULL, "(testing) tiny epochs and maps: a smoke test, not a result"},
        {"threads", 0, CLI_INT, &cfg.threads, "N", "worker threads (default: all cores); the same seeds give identical files for any N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress, log or tables (warnings still shown)"},
    };
    const cli_command cmd = {
        "run", "musiclust run [--recipe NAME|FILE | --task easy|medium|hard|all] [--metadata FILE] [options] INPUT... -o RESULTS",
        "The whole experiment on audio files or folders: extract features (with --metadata joined; lyrics\n"
        "embedded when it has a lyrics column), train the models of the task for every seed, cluster, and\n"
        "score every representation x algorithm at the segment and track level (Silhouette, CH, DB in its\n"
        "own space and in the common z-scored space of --features; ARI, NMI, purity against the label columns; label\n"
        "columns a model was given are marked leaked). Tasks: easy = vae and pca + k-means; medium =\n"
        "conv-vae (and audio+lyrics) + k-means, agglomerative, DBSCAN; hard = beta-vae, cvae, the\n"
        "audio+lyrics+label cvae and the pca / ae / raw baselines, with reconstructions. Writes RESULTS/\n"
        "metrics.csv, metrics.json, report.html, run.json, features/, models/, latents/, assign/,\n"
        "contingency/, embed/, recon/. Every stage is skipped when its outputs exist with the same\n"
        "configuration (RESULTS/stages/), so an interrupted run resumes. A recipe (--recipe) gives the\n"
        "feature parameters, representations, algorithms, k, seeds, budgets and figures as one JSON file.\n"
        "Under mpirun / srun (R processes) extract, training, k-means and the scores are shared out over\n"
        "the ranks and rank 0 writes RESULTS: the files of one process (RESULTS on a file system every\n"
        "rank sees).\n\n"
        "Examples:\n  musiclust run ~/Music -o results\n  musiclust run --metadata songs.csv --label genre ~/Music -o results\n"
        "  musiclust run --task easy --seeds 1 -k 8 ~/Music -o quick\n  musiclust run --recipe conv-beta-vae ~/Music -o conv\n"
        "  mpirun -np 4 musiclust run --threads 2 /shared/music -o /shared/results",
        opts, (int)(sizeof opts / sizeof opts[0]), 1, -1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
#define USAGE(...) do { free(pos); return cli_usage(&cmd, __VA_ARGS__); } while (0)
    if (!out) USAGE("-o RESULTS is required");
    if (task && mc_pipeline_parse_tasks(task, &cfg.tasks) != MC_STATUS_OK) USAGE("--%s", mc_error_message());
    if (task && cfg.recipe && cfg.recipe->n_reps > 0) USAGE("--task and a recipe with representations: give one of them");
    if (mc_dsp_config_validate(&cfg.extract.dsp) != MC_STATUS_OK) USAGE("%s", mc_error_message());
    if (cfg.seeds < 1 || cfg.seeds > 64) USAGE("--seeds must be in 1..64, got %d", cfg.seeds);
    if (cfg.k != 0 && cfg.k < 2) USAGE("--k must be >= 2, got %d", cfg.k);
    if (cfg.k_max < 2) USAGE("--k-max must be >= 2, got %d", cfg.k_max);
    if (cfg.conv_batch < 1) USAGE("--conv-batch must be >= 1, got %d", cfg.conv_batch);
    if (budget_i != -1) {
        if (budget_i < 1) USAGE("--conv-budget must be >= 1, got %d", budget_i);
        budget = budget_i;
    }
    if (features && mc_store_features_parse(features, &cfg.features) != MC_STATUS_OK) {
        mc_error_clear();
        USAGE("--features must be mfcc, descriptors or mfcc+descriptors, got '%s'", features);
    }
    if (no_desc && features && cfg.features != MC_STORE_FEATURES_MFCC)
        USAGE("--features %s needs the descriptors: drop --no-descriptors", features);
    if (no_desc) {
        cfg.extract.descriptors = false;
        cfg.features = MC_STORE_FEATURES_MFCC;
    }
    if (precision && mc_nn_precision_parse(precision, &cfg.precision) != MC_STATUS_OK)
        USAGE("--precision must be fp32 or bf16, got '%s'", precision);
    if (cfg.mlp_epochs < 0) USAGE("--mlp-epochs must be >= 1, got %d", cfg.mlp_epochs);
    if (cfg.mlp_latent < 0 || cfg.mlp_latent > 4096) USAGE("--mlp-latent must be in 0..4096, got %d", cfg.mlp_latent);
    if (!(cfg.extract.segment_s >= 0)) USAGE("--segment must be >= 0");
    if (map_sample_i != -1) {
        if (map_sample_i != 0 && map_sample_i < 10) USAGE("--map-sample must be 0 or >= 10, got %d", map_sample_i);
        cfg.map_sample = map_sample_i;
    }
    cfg.conv_budget = budget;
    cfg.extract.metadata = metadata;
    if (no_maps) cfg.maps = false; /* the flags only switch off: a recipe's figures stand otherwise */
    if (no_report) cfg.report = false;
    cfg.progress = progress_cb;
    cfg.progress_user = &quiet;
#undef USAGE
    cfg.dist = cli_dist(); /* alone, or one of the ranks of mpirun / srun (pipeline.h) */
    mc_run_summary sum;
    mc_status st = mc_pipeline_run(&cfg, pos, npos, out, &sum);
    free(pos);
    if (st != MC_STATUS_OK) {
        mc_run_summary_free(&sum);
        if (cli_rank() > 0 && strncmp(mc_error_message(), "rank ", 5) != 0) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", mc_error_message());
            mc_error_set(st, "rank %d: %s", cli_rank(), msg);
        }
        rc = cli_fail("run", st);
        /* over ranks the others may be waiting in a collective this rank will not enter: end the group */
        fflush(stdout);
        fflush(stderr);
        mc_dist_abort(cli_dist(), rc);
        return rc;
    }
    if (!quiet) cli_print_run(out, &sum);
    mc_run_summary_free(&sum);
    return MC_EXIT_OK;
}

int cmd_report(int argc, char **argv) {
    const char *out = NULL;
    bool quiet = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "FILE", "HTML file to write (default RESULTS/report.html)"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no summary"},
    };
    const cli_command cmd = {
        "report", "musiclust report [-o FILE] RESULTS",
        "Write the self-contained HTML report of a `musiclust run` results folder again from its files\n"
        "(metrics.csv, summary.tsv, representations.tsv, timings.tsv, features/, embed/, assign/,\n"
        "contingency/, recon/, models/): a verdict, interactive t-SNE / UMAP maps (hover for the song,\n"
        "click to hear it, search), tables, heatmaps, reconstructions, loss curves and bar charts;\n"
        "every figure also as PNG and SVG under RESULTS/figures/. Also writes RESULTS/exports/:\n"
        "Audacity label files per track and TensorBoard projector files of the verdict's clustering.\n\n"
        "Examples:\n"
        "  musiclust report results\n"
        "  musiclust report -o /tmp/r.html results",
        opts, (int)(sizeof opts / sizeof opts[0]), 1, 1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    mc_report_summary rs;
    mc_report_exports_summary es;
    char *path = out ? mc_strdup(out) : mc_report_path(pos[0], MC_REPORT_HTML);
    mc_status st = path ? mc_report_exports(pos[0], &es) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_report_html(pos[0], path, &rs);
    if (st == MC_STATUS_OK && !quiet) {
        printf("wrote %s: %d images inlined, %d figures not available, %.1f kB; %d figure files under figures/\n", path,
               rs.images, rs.figures_missing, (double)rs.bytes / 1024.0, rs.figure_files);
        if (es.row >= 0)
            printf("wrote exports/: %lld Audacity label files (labels/%s.%s/) and TensorBoard projector files (projector/%s/)\n",
                   (long long)es.label_files, es.representation, es.algorithm, es.representation);
        else
            printf("%s\n", es.note);
    }
    free(path);
    free(pos);
    return st == MC_STATUS_OK ? MC_EXIT_OK : cli_fail("report", st);
}
