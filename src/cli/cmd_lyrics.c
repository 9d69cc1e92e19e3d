/* musiclust lyrics: lyrics of a metadata table -> FEATDIR/lyrics.npy (one vector per track), the
 * language of every track, and a `lyrics_language` label column in the feature store. The work is
 * mc_pipeline_lyrics (shared with `musiclust run`); this file parses options and prints. */
#include "cli.h"

#include <musiclust/pipeline.h>
#include <musiclust/text.h>

#include <stdio.h>
#include <stdlib.h>

#define CMD "lyrics"

int cmd_lyrics(int argc, char **argv) {
    mc_lyrics_config cfg;
    mc_text_lyrics_config_default(&cfg);
    const char *out = NULL, *metadata = NULL, *id_column = "track_id", *text_column = "lyrics";
    int threads = 0;
    bool quiet = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "FEATDIR", "feature store (or new folder) to write into (required)"},
        {"metadata", 0, CLI_STRING, &metadata, "FILE", "CSV/TSV with an id column and a lyrics column (required)"},
        {"id-column", 0, CLI_STRING, &id_column, "NAME", "column joined on the store's track_id (default track_id)"},
        {"text-column", 0, CLI_STRING, &text_column, "NAME", "column holding the lyrics (default lyrics)"},
        {"dim", 0, CLI_INT, &cfg.dim, "N", "dimensions of the lyrics vectors (default 64)"},
        {"seed", 0, CLI_U64, &cfg.seed, "S", "seed of the randomised SVD (default 0)"},
        {"min-df", 0, CLI_DOUBLE, &cfg.min_df, "N", "keep terms in at least N tracks (< 1: a fraction; default 2)"},
        {"max-df", 0, CLI_DOUBLE, &cfg.max_df, "F", "keep terms in at most a fraction F of tracks (> 1: a count; default 1.0)"},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (default: all cores); output is identical for a given N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary (warnings still shown)"},
    };
    const cli_command cmd = {
        CMD, "musiclust lyrics --metadata FILE [options] -o FEATDIR",
        "Embed the lyrics of every track: word and character (2..4, within words) n-gram TF-IDF\n"
        "(sublinear tf, smooth idf, each block L2-normalised) reduced to --dim dimensions by a\n"
        "randomised truncated SVD, and identify each track's language (en, de, es, fr, it, pt, nl by\n"
        "character n-grams; bn, hi, ta, ko, ja, ru, ar... by script; 'unknown' when unsure).\n"
        "If FEATDIR holds a feature store (tracks.tsv), there is one row per store track, joined on\n"
        "track_id, and a `lyrics_language` label column is added to tracks.tsv and index.tsv (empty\n"
        "for unknown or missing lyrics); otherwise one row per metadata row. Writes lyrics.npy\n"
        "(tracks, dim) float32, lyrics_tracks.tsv (track, track_id, lyrics_language,\n"
        "lyrics_confidence, has_lyrics) and lyrics.json. A track with no lyrics gets a zero vector.\n\nExamples:\n  musiclust lyrics --metadata songs.tsv --text-column lyrics -o feats",
        opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    int rc = cli_start(&cmd, argc, argv, &quiet, NULL, NULL);
    if (rc >= 0) return rc;
    if (!out || !metadata) return cli_usage(&cmd, "%s is required", !metadata ? "--metadata FILE" : "-o FEATDIR");
    threads = mc_threads_resolve(threads);
    cfg.threads = threads;
    mc_status st = mc_text_lyrics_config_validate(&cfg);
    if (st != MC_STATUS_OK) return cli_usage(&cmd, "%s", mc_error_message());

    mc_progress *bar = cli_progress(quiet, "lyrics", 0);
    cfg.progress = bar;
    mc_pipeline_lyrics_summary sum;
    st = mc_pipeline_lyrics(out, metadata, id_column, text_column, &cfg, &sum);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    /* A missing column or no lyrics is a fault of the input file (exit 1), not of the options. */
    if (st != MC_STATUS_OK) return cli_input(CMD, "%s", mc_error_message());
    if (!quiet) {
        printf("embedded lyrics of %lld tracks in %.2f s -> %s/lyrics.npy (%lld x %d)\n", (long long)sum.tracks,
               sum.seconds, out, (long long)sum.tracks, sum.dim);
        printf("  %lld with lyrics, %lld without (zero vectors, has_lyrics = 0)", (long long)sum.with_lyrics,
               (long long)(sum.tracks - sum.with_lyrics));
        if (sum.store) printf(", %lld without a metadata row", (long long)sum.missing);
        printf("\n  vocabulary: %lld words, %lld character n-grams; SVD rank %d\n  languages:",
               (long long)sum.word_terms, (long long)sum.char_terms, sum.rank);
        for (int k = 0; k < sum.n_codes; k++) printf(" %s %lld", sum.codes[k], (long long)sum.counts[k]);
        printf("\n");
        if (sum.store)
            printf("  added column lyrics_language to %s/tracks.tsv%s\n", out, sum.index_updated ? " and index.tsv" : "");
    }
    return MC_EXIT_OK;
}
