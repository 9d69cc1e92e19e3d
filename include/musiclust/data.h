/* musiclust data: scan folders and metadata, join labels, and the feature store.
 *
 * The feature store is a folder a user can open in Python:
 *   index.tsv        one row per segment: segment, track, path, start_s, padded, then label columns
 *   tracks.tsv       one row per track: track, track_id, path, duration_s, sample_rate, channels,
 *                    format, segments, then label columns
 *                    (path: the audio file's absolute path, "." and ".." resolved but symbolic links
 *                    kept, so that the store can be moved; its bytes are the file system's. Labels and
 *                    track_id are valid UTF-8: a folder name or metadata cell that is not is read as
 *                    Windows-1252)
 *   mfcc_stats.npy   (N, 2*n_mfcc) float32: per-segment MFCC means then variances
 *   logmel.npy       (N, n_mels, frames) float32, dB (librosa.power_to_db of the segment)
 *   descriptors.npy  (N, D) float32: per segment the mean, then the population variance, of each of
 *                    librosa's 26 per-frame descriptors (dsp.h: chroma_stft 12, spectral centroid,
 *                    bandwidth, rolloff, flatness, contrast 7, rms, zero-crossing rate, onset strength),
 *                    then with --tempo the track's tempo in BPM: D = 52, or 53 with the tempo
 *   track_descriptors.npy  (tracks, D) float32: the same statistics over all the frames of the
 *                    track's segments, row t for track t of tracks.tsv (and the track's tempo)
 *   descriptor_names.txt   the D column names, one a line ("chroma_00_mean" ... "onset_strength_var",
 *                    "tempo"; dsp.h's mc_dsp_desc_stat_name)
 *   features.npy     (N, F) float32, for a store imported from a feature table (+ feature_names.txt)
 *   skipped.tsv      path, reason: every input that was left out and why
 *   unmatched_metadata.tsv  row, <id column>: metadata rows that no audio file joined (with
 *                    --metadata; these are not skipped files)
 *   extract.json     the parameters and counts of the run */
#ifndef MUSICLUST_DATA_H
#define MUSICLUST_DATA_H

#include <musiclust/core.h>
#include <musiclust/dist.h>
#include <musiclust/dsp.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_extract_config {
    mc_dsp_config dsp;        /* sr, n_fft, hop, n_mels, n_mfcc, ... (librosa defaults) */
    double segment_s;         /* window length in seconds; 0 = whole track */
    int logmel_frames;        /* with segment_s == 0: crop/pad log-mel to this many frames; 0 = no
                                 logmel.npy (tracks differ in length) */
    int threads;              /* <= 0: all cores */
    const char *metadata;     /* CSV/TSV joined on the file stem; NULL = labels from folder names */
    const char *id_column;    /* column of the metadata naming the files ("track_id"): a file joins
                                 the row whose value is its name without extension ("blues.00000"),
                                 or a folder/name path to it ("blues/blues.00000"); an audio
                                 extension in the value ("blues.00000.wav") is ignored */
    const char *folder_label; /* column name for the parent folder's name ("genre") */
    bool keep_unmatched;      /* keep audio files that have no metadata row (empty labels) */
    bool descriptors;         /* librosa's spectral, rhythm and tonal descriptors (descriptors.npy,
                                 track_descriptors.npy); default true */
    bool tempo;               /* with descriptors: the track's tempo (librosa.feature.tempo of the
                                 whole track) as a last column; default false: it costs a second STFT
                                 of every track (see extract.c) */
} mc_extract_config;

void mc_extract_config_default(mc_extract_config *c);

typedef struct mc_extract_summary {
    int64_t files;        /* audio files found */
    int64_t tracks;       /* tracks extracted */
    int64_t segments;     /* rows written */
    int64_t padded;       /* tracks shorter than one window (zero-padded) */
    int64_t skipped;      /* lines in skipped.tsv */
    int64_t unmatched_metadata; /* metadata rows no file joined (unmatched_metadata.tsv) */
    int64_t ignored;      /* files in scanned folders without an audio extension */
    double seconds;       /* wall time */
} mc_extract_summary;

/* Extract features of every audio file in inputs (files, or folders scanned recursively for audio
 * extensions) into outdir. Files are decoded and featurised in parallel; the output is byte-identical
 * for any thread count. Every file that cannot be used is logged (mc_log, WARN) and written to
 * skipped.tsv with the reason; the run goes on. With metadata: files without a row are skipped (one
 * WARN line for all of them) unless keep_unmatched; rows without a file go to unmatched_metadata.tsv
 * (one INFO line); a row joined by several files (the same name in several folders) is one WARN
 * line. Returns MC_STATUS_EMPTY if no track was extracted (when no file joins the metadata, the
 * message shows the column's values, the files' names and a column that would join), another error
 * if the store cannot be written or the options are invalid. */
mc_status mc_data_extract(const mc_extract_config *cfg, const char *const *inputs, int n_inputs,
                          const char *outdir, mc_progress *progress, mc_extract_summary *summary);

/* mc_data_extract over the process group `dist` (dist.h; NULL or one process: mc_data_extract
 * itself). A collective: every rank passes the same arguments, and outdir must be on a file system
 * every rank sees. The audio files, listed as one process lists them, are shared out in contiguous
 * blocks; each rank extracts its block into outdir/.shard-RANK and rank 0 joins the shards into the
 * store one process writes, byte for byte (index.tsv and tracks.tsv renumbered, the .npy rows
 * appended in order, skipped.tsv, unmatched_metadata.tsv and extract.json for the whole run); the
 * shards are then removed. Warnings of other ranks' files reach skipped.tsv, not the log. Every rank
 * returns the same status and summary; a failure on one rank fails them all ("rank R: ..."). */
mc_status mc_data_extract_group(mc_dist *dist, const mc_extract_config *cfg, const char *const *inputs, int n_inputs,
                                const char *outdir, mc_progress *progress, mc_extract_summary *summary);

/* Import a numeric feature table (CSV/TSV, e.g. the GTZAN features_30_sec.csv) into a store:
 * features.npy (every numeric column except id and label), feature_names.txt, index.tsv (label as
 * column `label_column`, other text columns as labels too), skipped.tsv (rows with a missing or
 * non-numeric value). id_column NULL = the first column. */
mc_status mc_data_import_features(const char *table_path, const char *id_column,
                                  const char *label_column, const char *outdir,
                                  mc_extract_summary *summary);

/* True if the file name ends in an extension we treat as audio when scanning folders. */
bool mc_data_is_audio_name(const char *name);

/* ------------------------------------------------------------------ reading a store */

/* An opened feature store: index.tsv and the per-row vectors (mfcc_stats.npy, or features.npy for an
 * imported table). The log-mel array is loaded on demand. */
typedef struct mc_store {
    char *dir;
    char *index_path;      /* dir/index.tsv, or the index file mc_store_open_index was given */
    mc_table index;        /* index.tsv as read */
    int64_t n;             /* rows (segments) */
    int first_label;       /* index column of the first label (after `padded`); == ncols if none */
    mc_array vectors;      /* (n, F) float32: the feature set's columns; memory-mapped read-only when
                              one float32 file holds them (never write it) */
    char vectors_file[32]; /* the file(s) read, see mc_store_open_features */
} mc_store;

/* Which per-row vectors a reader takes from a store (`--features` of train, cluster and run). */
typedef enum mc_store_features {
    MC_STORE_FEATURES_MFCC = 0,        /* mfcc_stats.npy (2*n_mfcc columns), or features.npy of a store
                                          imported from a table */
    MC_STORE_FEATURES_DESCRIPTORS,     /* descriptors.npy (52 or 53 columns, descriptor_names.txt) */
    MC_STORE_FEATURES_MFCC_DESCRIPTORS /* [mfcc_stats ; descriptors] per row (92 or 93 columns for
                                          n_mfcc 20): mfcc_stats' columns first */
} mc_store_features;

/* "mfcc", "descriptors", "mfcc+descriptors". */
const char *mc_store_features_name(mc_store_features f);
/* Parse one of those names; anything else is MC_STATUS_INVALID_ARG listing them. */
mc_status mc_store_features_parse(const char *name, mc_store_features *out);

/* Open dir: read index.tsv and the vectors of the feature set (the store's one reader of per-row
 * features), and check that every file has index.tsv's row count and only finite values.
 * vectors_file names what was read ("mfcc_stats.npy", "features.npy", "descriptors.npy",
 * "mfcc_stats.npy+descriptors.npy"). A feature set with descriptors in a store without
 * descriptors.npy is MC_STATUS_IO saying so. */
mc_status mc_store_open_features(const char *dir, mc_store_features features, mc_store *out);
/* mc_store_open_features(dir, MC_STORE_FEATURES_MFCC, out). */
mc_status mc_store_open(const char *dir, mc_store *out);
/* Open only the index of a store: `path` is the store's folder or an index.tsv (the label side, for
 * scoring, joins and row lookups; vectors stays empty). Checks the columns segment, track, padded. */
mc_status mc_store_open_index(const char *path, mc_store *out);
void mc_store_close(mc_store *s); /* NULL ok */

/* logmel.npy as (n, n_mels, frames) float32; MC_STATUS_IO with a clear message if the store has
 * none (e.g. imported from a table, or --segment 0 without --frames). Out of core: a float32 file
 * is memory-mapped read-only (out->map_base non-NULL; the caller must not write out->data), so the
 * array costs page cache, not anonymous memory; other dtypes are read and converted. Free with
 * mc_array_free. */
mc_status mc_store_load_logmel(const mc_store *s, mc_array *out);

/* Names of the label columns (pointers into the index header), *n receives the count. */
const char *const *mc_store_label_columns(const mc_store *s, int *n);

/* Encode a label column: codes (n) int32 in 0..n_classes-1 by sorted class name, -1 for an empty
 * cell; class names (n_classes) are malloc'd copies freed by mc_store_free_classes. Unknown column:
 * MC_STATUS_INVALID_ARG listing the available columns. */
mc_status mc_store_label_codes(const mc_store *s, const char *column, int32_t *codes,
                               char ***classes, int *n_classes);
void mc_store_free_classes(char **classes, int n_classes);

/* Track index (the `track` column) of every row: tracks (n) int64. */
mc_status mc_store_tracks(const mc_store *s, int64_t *tracks);

/* The lyrics vector of every row's track (the store's lyrics stage: lyrics.npy (T, L) float32 and
 * lyrics_tracks.tsv with columns track and has_lyrics, one row per row of lyrics.npy), joined on the
 * `track` column of index.tsv. Strict: every row's track must appear exactly once in
 * lyrics_tracks.tsv, has_lyrics must be 0 or 1 and the vectors finite (MC_STATUS_FORMAT naming the
 * file and line, "re-run musiclust lyrics"); no lyrics.npy is MC_STATUS_IO ("run musiclust lyrics
 * first"). *rows (n, L) is mc_alloc'd (mc_free), *has (n) malloc'd 0/1 (free), *dim = L. */
mc_status mc_store_lyrics(const mc_store *s, float **rows, uint8_t **has, int *dim);

/* The row of a track named by key: a file stem of index.tsv's paths (the track's first row), else a
 * track_id of tracks.tsv (optional file), else a row number. MC_STATUS_INVALID_ARG saying what keys
 * are accepted when none matches. */
mc_status mc_store_find_row(const mc_store *s, const char *key, int64_t *row);

/* The feature parameters a store was extracted with, from dir/extract.json: sr, n_fft, hop
 * (hop_length), n_mels, fmin and fmax are set in dsp, the other fields are left as they are;
 * *logmel_frames (NULL ok) receives the frames of a logmel.npy row (0 when there is none).
 * MC_STATUS_IO when the file is missing, MC_STATUS_FORMAT naming a missing or bad key. */
mc_status mc_store_extract_params(const char *dir, mc_dsp_config *dsp, int *logmel_frames);

/* Standardisation fitted on rows of X (n, d): mean (d) and population std (d); a column with zero
 * spread gets std 1 so that it maps to 0, not NaN. Accumulated in double. */
void mc_data_zscore_fit(const float *X, int64_t n, int d, float *mean, float *std);
/* X <- (X - mean) / std in place; X (n, d). */
void mc_data_zscore_apply(float *X, int64_t n, int d, const float *mean, const float *std);

/* A seeded shuffle of 0..n-1 split into a training part and a validation part of
 * round(val_fraction * n) rows: idx (n) receives the permutation, *n_train its first part. */
void mc_data_split(int64_t n, double val_fraction, mc_rng *rng, int64_t *idx, int64_t *n_train);

#ifdef __cplusplus
}
#endif
#endif
