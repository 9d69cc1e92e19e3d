/* musiclust command-line entry point: the only place that prints or exits. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} subcommand;

static const subcommand commands[] = {
    {"extract", cmd_extract, "audio files/folders (or a feature table) -> feature store"},
    {"lyrics", cmd_lyrics, "metadata lyrics -> lyrics.npy (TF-IDF + SVD), language per track"},
    {"demo", cmd_demo, "synthesize the built-in labelled corpus and run --task all on it"},
    {"train", cmd_train, "feature store -> model file (vae, ae, beta-vae, conv-vae, cvae)"},
    {"embed", cmd_embed, "model + feature store -> latent means (.npy)"},
    {"cluster", cmd_cluster, "X.npy or FEATDIR -> clusters (kmeans, agglomerative, dbscan, gmm)"},
    {"evaluate", cmd_evaluate, "X.npy + ASSIGN.tsv (+ labels) -> silhouette, CH, DB, ARI, NMI..."},
    {"run", cmd_run, "audio -> features, models, clusters, metrics, report.html"},
    {"report", cmd_report, "RESULTS folder of run -> report.html again"},
    {"assign", cmd_assign, "new audio -> the clusters of an existing run (no retraining)"},
    {"map", cmd_map, "X.npy -> (N, 2) t-SNE or UMAP map (.npy) and a scatter by label"},
    {"generate", cmd_generate, "log-mel model (cvae, conv-vae) -> WAV samples via Griffin-Lim"},
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
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "musiclust: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return MC_EXIT_USAGE;
}
