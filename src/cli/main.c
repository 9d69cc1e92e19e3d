/* musiclust command-line entry point: the only place that prints or exits. */
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
    bool group; /* runs under mpirun / srun with R > 1 processes (the others refuse) */
} subcommand;

static mc_dist *g_dist = NULL;

mc_dist *cli_dist(void) { return g_dist; }
int cli_rank(void) { return mc_dist_rank(g_dist); }

static const subcommand commands[] = {
    {"extract", cmd_extract, "audio files/folders (or a feature table) -> feature store", true},
    {"lyrics", cmd_lyrics, "metadata lyrics -> lyrics.npy (TF-IDF + SVD), language per track", false},
    {"demo", cmd_demo, "synthesize the built-in labelled corpus and run --task all on it", false},
    {"train", cmd_train, "feature store -> model file (vae, ae, beta-vae, conv-vae, cvae)", true},
    {"embed", cmd_embed, "model + feature store -> latent means (.npy)", true},
    {"cluster", cmd_cluster, "X.npy or FEATDIR -> clusters (kmeans, agglomerative, dbscan, gmm)", true},
    {"evaluate", cmd_evaluate, "X.npy + ASSIGN.tsv (+ labels) -> silhouette, CH, DB, ARI, NMI...", true},
    {"run", cmd_run, "audio -> features, models, clusters, metrics, report.html", true},
    {"report", cmd_report, "RESULTS folder of run -> report.html again", false},
    {"assign", cmd_assign, "new audio -> the clusters of an existing run (no retraining)", false},
    {"map", cmd_map, "X.npy -> (N, 2) t-SNE or UMAP map (.npy) and a scatter by label", false},
    {"generate", cmd_generate, "log-mel model (cvae, conv-vae) -> WAV samples via Griffin-Lim", false},
};

static void usage(FILE *f) {
    fprintf(f, "usage: musiclust COMMAND [options]   (musiclust COMMAND --help for details)\n\n"
               "Cluster music without labels: features, variational autoencoders, clusters,\nmetrics.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n  -V, --version     print the version\n  -h, --help        this text\n"
               "  help COMMAND      the help of a command (= musiclust COMMAND --help)\n\n"
               "Examples:\n"
               "  musiclust run ~/Music -o results    (then open results/report.html)\n"
               "  musiclust run --metadata songs.csv ~/Music -o results\n"
               "  musiclust help extract\n");
}

/* A command in its process group: alone as always, or under mpirun / srun (dist.h). Every rank
 * parses the same options and reaches the same verdict on them, and a failure of one rank reaches
 * the others through the library's collective checks, so every rank exits with the same status. */
static int run_command(const subcommand *c, int argc, char **argv) {
    mc_status st = mc_dist_init(&g_dist);
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "musiclust %s: %s\n", c->name, mc_error_message());
        return MC_EXIT_USAGE;
    }
    int size = mc_dist_size(g_dist), rc;
    if (size > 1 && !c->group) {
        if (mc_dist_rank(g_dist) == 0) {
            fprintf(stderr, "musiclust %s: does not run over several processes (mpirun -np %d); run it alone; "
                    "these do:", c->name, size);
            for (size_t i = 0, n = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (commands[i].group) fprintf(stderr, "%s %s", n++ ? "," : "", commands[i].name);
            fprintf(stderr, "\n");
        }
        rc = MC_EXIT_USAGE;
    } else {
        if (mc_dist_rank(g_dist) > 0 && !freopen("/dev/null", "w", stdout)) {
            /* stdout stays as it was: the output is only duplicated */
        }
        rc = c->run(argc, argv);
    }
    fflush(stdout);
    mc_dist_finalize(g_dist);
    g_dist = NULL;
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return MC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("musiclust %s\n", mc_version());
        return MC_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0 && argc >= 3) { /* musiclust help CMD = musiclust CMD --help */
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[2], commands[i].name) == 0) {
                char help[] = "--help";
                char *args[] = {help, NULL};
                return commands[i].run(1, args);
            }
        fprintf(stderr, "musiclust help: unknown command '%s'\n", argv[2]);
        usage(stderr);
        return MC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return MC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return run_command(&commands[i], argc - 2, argv + 2);
    fprintf(stderr, "musiclust: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return MC_EXIT_USAGE;
}
