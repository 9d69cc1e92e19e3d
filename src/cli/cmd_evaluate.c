/* musiclust evaluate: metrics of a clustering (ASSIGN.tsv) of X.npy, without labels (Silhouette,
 * Calinski-Harabasz, Davies-Bouldin) and against the label columns of a feature store's index.tsv
 * (ARI, NMI, purity, contingency tables), per segment and optionally per track. The work is
 * mc_pipeline_evaluate (the scoring of `musiclust run`); this file parses options and prints. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "evaluate"

static mc_progress *progress_cb(void *user, const char *label, int64_t total) {
    return cli_progress(*(const bool *)user, label, total);
}

/* Rows without a label in a column at a level (metrics.json's label_columns), -1 if unknown. */
static int64_t unlabelled(const mc_report_table *t, const char *column, const char *level) {
    for (int c = 0; column && c < t->n_columns; c++)
        if (strcmp(t->columns[c].name, column) == 0)
            return level[0] == 't' ? t->columns[c].unlabelled_tracks : t->columns[c].unlabelled_segments;
    return -1;
}

/* One line per level and metric: the value (the only seed, full precision), the rows it used, the
 * unlabelled rows it left out and the noise rows; the row's note after its level. */
static void print_table(const mc_report_table *t) {
    printf("%-8s %-16s %-24s %12s %8s %12s %8s\n", "level", "column", "metric", "value", "n_used", "n_unlabeled",
           "n_noise");
    const int nf = mc_report_table_metric(t, "noise_fraction");
    for (int i = 0; i < t->n_rows; i++) {
        const mc_report_row *r = &t->rows[i];
        const double noise = nf >= 0 && r->values && isfinite(r->values[nf]) ? r->values[nf] : 0;
        const int64_t n_noise = (int64_t)llround(noise * (double)r->rows);
        for (int m = 0; m < t->n_metrics; m++) {
            const char *metric = t->metrics[m], *column = mc_report_metric_column(metric);
            const double v = r->values ? r->values[m] : r->mean[m];
            const int64_t unl = unlabelled(t, column, r->level);
            char val[40], unl_s[24], name[64];
            if (isnan(v)) snprintf(val, sizeof val, "n/a");
            else snprintf(val, sizeof val, "%.6g%s", v, mc_report_metric_leaked(r, metric) ? "!" : "");
            if (column) snprintf(unl_s, sizeof unl_s, "%lld", (long long)unl);
            else snprintf(unl_s, sizeof unl_s, "-");
            snprintf(name, sizeof name, "%.*s", column ? (int)(column - metric - 1) : 63, metric);
            printf("%-8s %-16s %-24s %12s %8lld %12s %8lld\n", r->level, column ? column : "-", name, val,
                   (long long)(column ? r->rows - unl : r->rows - n_noise), unl_s, (long long)n_noise);
        }
        if (r->note[0]) printf("  %s\n", r->note);
    }
    bool leaked = false;
    for (int i = 0; i < t->n_rows; i++) leaked |= t->rows[i].leaked[0] != '\0';
    if (leaked) printf("! leaked: the label column was an input or a condition of X\n");
}

int cmd_evaluate(int argc, char **argv) {
    mc_evaluate_config c;
    memset(&c, 0, sizeof c);
    const char *prefix_opt = NULL;
    cli_list columns = {0}, leaked = {0};
    bool quiet = false;
    c.block = 256;
    int sil_sample = 20000;
    const cli_opt opts[] = {
        {"labels", 0, CLI_STRING, &c.labels, "INDEX", "the feature store's index.tsv (FEATDIR/index.tsv) with the label columns"},
        {"column", 0, CLI_LIST, &columns, "NAME", "label column to compare with; repeat for several (default: genre, tag, label, style, language, lyrics_language with 2..N/2 classes; without any of those, every label column with 2..N/2 classes)"},
        {"leaked", 0, CLI_LIST, &leaked, "COLUMN", "a label column that was an input or a condition of X (e.g. the cvae's --condition): its scores are marked leaked; repeatable"},
        {"common-space", 0, CLI_STRING, &c.common_path, "Z.npy", "also score the clusters in this space (N rows, e.g. the z-scored mfcc_stats): *_common metrics"},
        {"track-level", 0, CLI_FLAG, &c.track_level, NULL, "also evaluate per track (majority vote of its segments; X = mean of its rows)"},
        {"output", 'o', CLI_STRING, &prefix_opt, "PREFIX", "write PREFIX.csv, PREFIX.json, PREFIX.contingency_<column>.tsv (default: ASSIGN without .tsv + .metrics)"},
        {"threads", 0, CLI_INT, &c.threads, "N", "worker threads for the silhouette (default: all cores); output is identical for any N"},
        {"block", 0, CLI_INT, &c.block, "ROWS", "silhouette tile edge (default 256)"},
        {"silhouette-sample", 0, CLI_INT, &sil_sample, "N", "above N rows, the silhouette of a seeded sample of N rows (stated in the note with its standard error); 0 = exact on every row (default 20000)"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no table on stdout and no progress (files are still written)"},
    };
    const cli_command cmd = {
        CMD, "musiclust evaluate [options] [--labels FEATDIR/index.tsv [--column NAME]...] X.npy ASSIGN.tsv",
        "Score a clustering. X.npy is (N, D) (e.g. a latent space from `musiclust embed`; more dimensions are\n"
        "flattened); ASSIGN.tsv has the header 'row<TAB>cluster' and one line per row of X (cluster -1 =\n"
        "noise), as `musiclust cluster` writes it. Without labels: Silhouette (exact up to --silhouette-sample rows), Calinski-Harabasz and\n"
        "Davies-Bouldin, on the non-noise rows. With --labels: ARI, NMI (arithmetic mean) and purity against\n"
        "each label column, with noise rows pooled into one cluster and unlabelled (empty) rows left out and\n"
        "counted; the contingency table of each column is written too. Definitions: scikit-learn 1.2.\n"
        "The scores are those of `musiclust run`, in its metrics.csv / metrics.json schema (one seed: the\n"
        "full-precision value is the JSON's seed_values). Undefined values (one cluster, every row its own\n"
        "cluster, no labelled row) are n/a (nan in the CSV, null in the JSON) with the reason in the note.\n"
        "--leaked COLUMN marks the label metrics of a column the representation was given (the `leaked`\n"
        "field of the CSV, \"leaked\": true in the JSON, '!' in the table); --common-space Z.npy adds\n"
        "silhouette_common, calinski_harabasz_common and davies_bouldin_common: the same clusters scored in\n"
        "one space shared by every method compared. Under mpirun / srun the silhouette is shared over the\n"
        "ranks and rank 0 writes: the same bytes as one process.\n\nExamples:\n  musiclust evaluate --labels feats/index.tsv --column genre latent.npy assign.tsv",
        opts, (int)(sizeof opts / sizeof opts[0]), 2, 2};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    c.x_path = pos[0];
    c.assign_path = pos[1];
    free(pos);
    if ((columns.n > 0 || leaked.n > 0 || c.track_level) && !c.labels)
        return cli_usage(&cmd, "%s needs --labels FEATDIR/index.tsv",
                         columns.n > 0 ? "--column" : leaked.n > 0 ? "--leaked" : "--track-level");
    if (c.block < 1 || c.block > 4096) return cli_usage(&cmd, "--block must be in 1..4096, got %d", c.block);
    if (sil_sample < 0 || (sil_sample > 0 && sil_sample < 3))
        return cli_usage(&cmd, "--silhouette-sample must be 0 (exact) or >= 3, got %d", sil_sample);
    c.silhouette_sample = sil_sample;
    size_t len = strlen(c.assign_path);
    if (len > 4 && strcmp(c.assign_path + len - 4, ".tsv") == 0) len -= 4;
    char *prefix = prefix_opt ? mc_strdup(prefix_opt) : mc_sprintf("%.*s.metrics", (int)len, c.assign_path);
    if (!prefix) return cli_input(CMD, "%s", mc_error_message());
    c.prefix = prefix;
    c.columns = columns.v;
    c.n_columns = columns.n;
    c.leaked = leaked.v;
    c.n_leaked = leaked.n;
    c.dist = cli_dist(); /* the silhouette over the ranks of mpirun / srun (NULL alone); rank 0 writes */
    c.progress = progress_cb;
    c.progress_user = &quiet;
    mc_evaluate_outcome out;
    mc_status st = mc_pipeline_evaluate(&c, &out);
    free(prefix);
    /* every option was checked above: what the library rejects is the input (exit 1) */
    if (st != MC_STATUS_OK) return cli_input(CMD, "%s", mc_error_message());
    if (!quiet) {
        print_table(&out.table);
        printf("wrote");
        for (int i = 0; i < out.n_files; i++) printf("%s %s", i ? "," : "", out.files[i]);
        printf("\n");
    }
    mc_evaluate_outcome_free(&out);
    return MC_EXIT_OK;
}
