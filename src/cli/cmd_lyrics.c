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
    /* The defaults in the help are the library's (mc_text_lyrics_config_default), not restated. */
    char h_dim[96], h_seed[96], h_min[128], h_max[128], about[1536];
    snprintf(h_dim, sizeof h_dim, "dimensions of the lyrics vectors (default %d)", cfg.dim);
    snprintf(h_seed, sizeof h_seed, "seed of the randomised SVD (default %llu)", (unsigned long long)cfg.seed);
    snprintf(h_min, sizeof h_min, "keep terms in at least N tracks (< 1: a fraction of the tracks; default %g)",
             cfg.min_df);
    snprintf(h_max, sizeof h_max, "keep terms in at most a fraction F of tracks (> 1: a count; default %g)",
             cfg.max_df);
    const char *tokens = cfg.char_tokens == MC_TEXT_TOKENS_CHUNKS
                             ? "whitespace-separated chunks, punctuation and digits kept"
                             : "words, letters only";
    char words[128] = "";
    if (cfg.word_weight > 0)
        snprintf(words, sizeof words, "; word %d..%d-grams at %g of the squared norm", cfg.word_ngram_min,
                 cfg.word_ngram_max, cfg.word_weight);
    snprintf(about, sizeof about,
             "Embed the lyrics of every track. Vectors: TF-IDF of character %d..%d-grams (char_wb) of\n"
             "%s%s (sublinear tf, smooth idf, rows L2-normalised),\n"
             "reduced to --dim dimensions by a randomised truncated SVD%s%s.\n"
             "Languages: en, de, es, fr, it, pt, nl by character n-grams; bn, hi, ta, ko, ja, ru, ar... by\n"
             "script; 'unknown' when unsure.\n"
             "If FEATDIR holds a feature store (tracks.tsv), there is one row per store track, joined on\n"
             "track_id, and a `lyrics_language` label column is added to tracks.tsv and index.tsv (empty\n"
             "for unknown or missing lyrics); otherwise one row per metadata row. Writes lyrics.npy\n"
             "(tracks, dim) float32, lyrics_tracks.tsv (track, track_id, lyrics_language,\n"
             "lyrics_confidence, has_lyrics), lyrics.json and the fitted model lyrics_model.safetensors.\n"
             "A track with no lyrics gets a zero vector.\n\nExamples:\n"
             "  musiclust lyrics --metadata songs.tsv --text-column lyrics -o feats",
             cfg.char_ngram_min, cfg.char_ngram_max, tokens, words,
             cfg.drop_first ? " (the first component left out)" : "",
             cfg.normalize ? ",\nthen every vector scaled to unit length" : "");
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "FEATDIR", "feature store (or new folder) to write into (required)"},
        {"metadata", 0, CLI_STRING, &metadata, "FILE", "CSV/TSV with an id column and a lyrics column (required)"},
        {"id-column", 0, CLI_STRING, &id_column, "NAME", "column joined on the store's track_id (default track_id)"},
        {"text-column", 0, CLI_STRING, &text_column, "NAME", "column holding the lyrics (default lyrics)"},
        {"dim", 0, CLI_INT, &cfg.dim, "N", h_dim},
        {"seed", 0, CLI_U64, &cfg.seed, "S", h_seed},
        {"min-df", 0, CLI_DOUBLE, &cfg.min_df, "N", h_min},
        {"max-df", 0, CLI_DOUBLE, &cfg.max_df, "F", h_max},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (default: all cores); output is identical for any N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary (warnings still shown)"},
    };
    const cli_command cmd = {CMD, "musiclust lyrics --metadata FILE [options] -o FEATDIR", about,
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
        printf("\n  model: %s/lyrics_model.safetensors\n", out);
        if (sum.store)
            printf("  added column lyrics_language to %s/tracks.tsv%s\n", out, sum.index_updated ? " and index.tsv" : "");
    }
    return MC_EXIT_OK;
}
