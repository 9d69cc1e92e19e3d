/* musiclust extract: audio files or folders (or a feature table) -> feature store. */
#include "cli.h"

#include <musiclust/data.h>

#include <stdio.h>
#include <stdlib.h>

int cmd_extract(int argc, char **argv) {
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    const char *out = NULL, *features = NULL, *label_column = NULL;
    const char *id_column = NULL;
    bool quiet = false, no_descriptors = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "FEATDIR", "folder to write the feature store into (required)"},
        {"metadata", 0, CLI_STRING, &cfg.metadata, "FILE", "CSV/TSV of labels (and lyrics) joined on the file stem"},
        {"id-column", 0, CLI_STRING, &id_column, "NAME", "metadata column holding the file stem (default track_id; with --features: the first column)"},
        {"folder-label", 0, CLI_STRING, &cfg.folder_label, "NAME", "label column named after each file's folder (default genre)"},
        {"keep-unmatched", 0, CLI_FLAG, &cfg.keep_unmatched, NULL, "keep audio files with no metadata row (empty labels) instead of skipping them"},
        {"sr", 0, CLI_INT, &cfg.dsp.sr, "HZ", "resample every file to this rate (default 22050)"},
        {"segment", 0, CLI_DOUBLE, &cfg.segment_s, "SECONDS", "window length; a trailing part shorter than a window is dropped; 0 = whole track (default 3)"},
        {"frames", 0, CLI_INT, &cfg.logmel_frames, "N", "with --segment 0: crop/pad log-mel to N frames (default 0: no logmel.npy)"},
        {"n-fft", 0, CLI_INT, &cfg.dsp.n_fft, "N", "FFT size = window length (default 2048)"},
        {"hop", 0, CLI_INT, &cfg.dsp.hop, "N", "hop length in samples (default 512)"},
        {"n-mels", 0, CLI_INT, &cfg.dsp.n_mels, "N", "mel bands (default 128)"},
        {"n-mfcc", 0, CLI_INT, &cfg.dsp.n_mfcc, "N", "MFCC coefficients (default 20)"},
        {"fmin", 0, CLI_DOUBLE, &cfg.dsp.fmin, "HZ", "lowest mel frequency (default 0)"},
        {"fmax", 0, CLI_DOUBLE, &cfg.dsp.fmax, "HZ", "highest mel frequency (default sr/2)"},
        {"top-db", 0, CLI_DOUBLE, &cfg.dsp.top_db, "DB", "power_to_db floor below each segment's peak (default 80)"},
        {"no-descriptors", 0, CLI_FLAG, &no_descriptors, NULL, "skip librosa's spectral/tonal descriptors (descriptors.npy, track_descriptors.npy)"},
        {"tempo", 0, CLI_FLAG, &cfg.tempo, NULL, "add each track's tempo (librosa.feature.tempo of the whole track) to the descriptors"},
        {"features", 0, CLI_STRING, &features, "TABLE", "import a numeric feature table (CSV/TSV) instead of audio"},
        {"label-column", 0, CLI_STRING, &label_column, "NAME", "with --features: the column holding the label"},
        {"threads", 0, CLI_INT, &cfg.threads, "N", "worker threads (default: all cores); output is identical for any N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary (warnings still shown)"},
    };
    const cli_command cmd = {
        "extract", "musiclust extract [options] INPUT... -o FEATDIR",
        "Decode audio files (WAV, FLAC, MP3, OGG, AU, AIFF...; folders are searched recursively),\n"
        "resample to --sr, cut into --segment windows and write MFCC statistics and log-mel\n"
        "spectrograms (librosa 0.10.2 definitions) to FEATDIR: index.tsv, tracks.tsv,\n"
        "mfcc_stats.npy (N, 2*n_mfcc), logmel.npy (N, n_mels, frames), skipped.tsv, extract.json,\n"
        "and librosa's descriptors: descriptors.npy (N, 52; 53 with --tempo), track_descriptors.npy\n"
        "(tracks, 52 or 53) and descriptor_names.txt.\n"
        "Labels come from each file's folder name, or from --metadata joined on the file stem\n"
        "(every short column becomes a label column). Files that cannot be used are listed in\n"
        "skipped.tsv with the reason; the rest of the run goes on.\n"
        "With --features TABLE --label-column NAME a feature table is imported instead.\n\nExamples:\n  musiclust extract ~/Music -o feats\n  musiclust extract --metadata songs.csv --id-column track_id ~/Music -o feats\n  musiclust extract --segment 0 --frames 1292 a.flac b.mp3 -o feats",
        opts, (int)(sizeof opts / sizeof opts[0]), 0, -1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    if (!out) return free(pos), cli_usage(&cmd, "-o FEATDIR is required");
    mc_extract_summary sum = {0};
    mc_status st;
    if (features) {
        if (npos > 0) {
            free(pos);
            return cli_usage(&cmd, "give either --features TABLE or audio inputs, not both");
        }
        /* over several ranks, rank 0 alone imports (a table is read in one pass) */
        st = cli_rank() == 0 ? mc_data_import_features(features, id_column, label_column, out, &sum) : MC_STATUS_OK;
        st = mc_dist_check(cli_dist(), st);
        free(pos);
        if (st != MC_STATUS_OK) return cli_fail("extract", st);
        if (!quiet)
            printf("imported %lld rows (%lld skipped) from %s -> %s/features.npy\n",
                   (long long)sum.tracks, (long long)sum.skipped, features, out);
        return MC_EXIT_OK;
    }
    if (npos == 0) {
        free(pos);
        return cli_usage(&cmd, "no INPUT files or folders");
    }
    if (id_column) cfg.id_column = id_column;
    if (no_descriptors) cfg.descriptors = false;
    if (no_descriptors && cfg.tempo) {
        fprintf(stderr, "musiclust extract: --tempo is a descriptor column: it cannot go with --no-descriptors\n");
        free(pos);
        return MC_EXIT_USAGE;
    }
    mc_progress *bar = cli_progress(quiet, "extract", 0);
    /* alone, or the files shared over the ranks of mpirun / srun (the same store, data.h) */
    st = mc_data_extract_group(cli_dist(), &cfg, (const char *const *)pos, npos, out, bar, &sum);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    free(pos);
    if (st != MC_STATUS_OK) return cli_fail("extract", st);
    if (!quiet)
        printf("extracted %lld segments from %lld tracks (%lld skipped, %lld zero-padded) in %.2f s -> %s\n",
               (long long)sum.segments, (long long)sum.tracks, (long long)sum.skipped,
               (long long)sum.padded, sum.seconds, out);
    return MC_EXIT_OK;
}
