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
    {"lyrics", cmd_lyrics, "metadata lyrics -> lyrics.npy (TF-IDF + SVD) and language per track"},
    {"demo", cmd_demo, "synthesize the built-in labelled corpus and run --task all on it"},
    {"train", cmd_train, "feature store -> model file (vae, ae, beta-vae, conv-vae, cvae)"},
    {"embed", cmd_embed, "model + feature store -> latent means (.npy)"},
    {"cluster", cmd_cluster, "X.npy or FEATDIR -> cluster assignments (kmeans, agglomerative, dbscan, gmm)"},
    {"evaluate", cmd_evaluate, "X.npy + ASSIGN.tsv (+ labels) -> silhouette, CH, DB, ARI, NMI, purity"},
    {"run", cmd_run, "audio -> features, models, clusters, metrics, report.html (resumable)"},
    {"report", cmd_report, "RESULTS folder of run -> report.html again"},
    {"assign", cmd_assign, "new audio -> the clusters of an existing run (no retraining)"},
    {"map", cmd_map, "X.npy -> (N, 2) t-SNE or UMAP map (.npy) and a scatter by label"},
    {"generate", cmd_generate, "log-mel model (cvae --input logmel, conv-vae) -> WAV samples via Griffin-Lim"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: musiclust COMMAND [options]   (musiclust COMMAND --help for details)\n\n"
               "Cluster music without labels: features, variational autoencoders, clustering, metrics.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n  --version  print the version\n  --help     this text\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return MC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("musiclust %s\n", mc_version());
        return MC_EXIT_OK;
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
