/* data module: scanning, segmentation into the store, labels from folders and metadata, bad input,
 * byte-identical output for any thread count, feature-table import; then the real corpora in
 * ../shared/data (537 GTZAN segments, librosa agreement end to end, the MP3 + metadata set). */
#define _DEFAULT_SOURCE /* wait4 */
#include "mc_test.h"

#include <musiclust/audio.h>
#include <musiclust/data.h>

#include <musiclust/dsp.h>

#include "data/data_internal.h" /* mc_data_scan */

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ------------------------------------------------------------------ helpers */

static int count_lines(const char *path) {
    char *b = mc_test_read_file(path, NULL);
    if (!b) return -1;
    int n = 0;
    for (char *p = b; *p; p++) n += *p == '\n';
    free(b);
    return n;
}

static bool file_contains(const char *path, const char *needle) {
    char *b = mc_test_read_file(path, NULL);
    bool r = b && strstr(b, needle);
    free(b);
    return r;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fputs(text, f);
    fclose(f);
}

static int run_cli_rusage(char *const argv[], long *maxrss_kb);

/* A chord with a little noise: enough to give every feature a non-degenerate value. */
static void make_tone(const char *path, double seconds, int sr, int channels, double f0,
                      mc_audio_format fmt) {
    int64_t n = (int64_t)llround(seconds * sr);
    float *x = malloc((size_t)(n * channels + 1) * sizeof *x); /* (n, channels) interleaved */
    uint32_t s = 12345;
    for (int64_t i = 0; i < n; i++) {
        double t = (double)i / sr;
        s = s * 1664525u + 1013904223u;
        double v = 0.3 * sin(2 * M_PI * f0 * t) + 0.2 * sin(2 * M_PI * 1.5 * f0 * t) +
                   0.01 * ((double)s / 4294967296.0 - 0.5);
        for (int c = 0; c < channels; c++) x[i * channels + c] = (float)(v * (c ? 0.8 : 1.0));
    }
    mc_status st = mc_audio_write(path, x, n, channels, sr, fmt);
    if (st != MC_STATUS_OK) { fprintf(stderr, "cannot write %s: %s\n", path, mc_error_message()); exit(1); }
    free(x);
}

static bool same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *x = mc_test_read_file(a, &na), *y = mc_test_read_file(b, &nb);
    bool r = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return r;
}

/* ------------------------------------------------------------------ synthetic corpus */

static void test_synthetic(void) {
    printf("synthetic corpus\n");
    const char *dir = mc_test_tmpdir("data_synth");
    char p[1024], in[1024];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(p, sizeof p, "%s/in/alpha", dir); mc_mkdirs(p);
    snprintf(p, sizeof p, "%s/in/beta", dir); mc_mkdirs(p);
    /* alpha: 7 s -> 2 windows (1 s dropped); exactly 3 s -> 1; 1 s -> 1 padded */
    snprintf(p, sizeof p, "%s/in/alpha/a_seven.wav", dir); make_tone(p, 7.0, 22050, 1, 220, MC_AUDIO_FORMAT_WAV_PCM16);
    snprintf(p, sizeof p, "%s/in/alpha/a_three.flac", dir); make_tone(p, 3.0, 22050, 1, 330, MC_AUDIO_FORMAT_FLAC_PCM16);
    snprintf(p, sizeof p, "%s/in/alpha/a_short.wav", dir); make_tone(p, 1.0, 22050, 1, 440, MC_AUDIO_FORMAT_WAV_FLOAT);
    /* beta: 44.1 kHz stereo 6.5 s -> 2 windows; 16 kHz AU 9 s -> 3 */
    snprintf(p, sizeof p, "%s/in/beta/b_stereo.wav", dir); make_tone(p, 6.5, 44100, 2, 550, MC_AUDIO_FORMAT_WAV_PCM24);
    snprintf(p, sizeof p, "%s/in/beta/b_au.au", dir); make_tone(p, 9.0, 16000, 1, 660, MC_AUDIO_FORMAT_AU_PCM16);
    /* bad inputs, each must end up in skipped.tsv */
    snprintf(p, sizeof p, "%s/in/beta/empty.wav", dir); write_text(p, "");
    snprintf(p, sizeof p, "%s/in/beta/text.wav", dir); write_text(p, "this is not audio at all, just text\n");
    snprintf(p, sizeof p, "%s/in/beta/notes.txt", dir); write_text(p, "ignored: not an audio name\n");
    {
        /* a float WAV holding a NaN */
        float x[22050];
        for (int i = 0; i < 22050; i++) x[i] = (float)sin(i * 0.05);
        x[11025] = NAN;
        snprintf(p, sizeof p, "%s/in/beta/nan.wav", dir);
        MC_CHECK_OK(mc_audio_write(p, x, 22050, 1, 22050, MC_AUDIO_FORMAT_WAV_FLOAT));
    }
    {
        /* a FLAC cut to its first 200 bytes: header intact, frames gone */
        char full[1024], cmd[2200];
        snprintf(full, sizeof full, "%s/full.flac", dir);
        make_tone(full, 4.0, 22050, 1, 300, MC_AUDIO_FORMAT_FLAC_PCM16);
        snprintf(cmd, sizeof cmd, "head -c 200 '%s' > '%s/in/beta/truncated.flac'", full, dir);
        MC_CHECK(system(cmd) == 0, "truncate");
        snprintf(cmd, sizeof cmd, "ln -sf /nonexistent/file.wav '%s/in/beta/dangling.wav'", dir);
        MC_CHECK(system(cmd) == 0, "symlink");
    }

    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    const char *inputs[1] = {in};
    char out1[1024], out2[1024];
    snprintf(out1, sizeof out1, "%s/out1", dir);
    snprintf(out2, sizeof out2, "%s/out2", dir);
    mc_extract_summary s1 = {0}, s2 = {0};
    cfg.threads = 1;
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out1, NULL, &s1));
    cfg.threads = 2;
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out2, NULL, &s2));
    printf("  tracks %lld segments %lld skipped %lld padded %lld ignored %lld\n", (long long)s1.tracks,
           (long long)s1.segments, (long long)s1.skipped, (long long)s1.padded, (long long)s1.ignored);
    MC_CHECK(s1.tracks == 5, "tracks %lld, want 5", (long long)s1.tracks);
    MC_CHECK(s1.segments == 2 + 1 + 1 + 2 + 3, "segments %lld, want 9", (long long)s1.segments);
    MC_CHECK(s1.padded == 1, "padded %lld, want 1", (long long)s1.padded);
    MC_CHECK(s1.ignored == 1, "ignored %lld, want 1 (notes.txt)", (long long)s1.ignored);
    MC_CHECK(s1.skipped == 5, "skipped %lld, want 5 (empty, text, nan, truncated, dangling)",
             (long long)s1.skipped);

    static const char *const files[] = {"index.tsv", "tracks.tsv", "mfcc_stats.npy", "logmel.npy",
                                        "skipped.tsv", "descriptors.npy", "track_descriptors.npy",
                                        "descriptor_names.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char a[2100], b[2100];
        snprintf(a, sizeof a, "%s/%s", out1, files[i]);
        snprintf(b, sizeof b, "%s/%s", out2, files[i]);
        MC_CHECK(same_file(a, b), "%s differs between 1 and 2 threads", files[i]);
    }

    char f[2100];
    snprintf(f, sizeof f, "%s/index.tsv", out1);
    MC_CHECK(count_lines(f) == 10, "index.tsv has %d lines, want header + 9", count_lines(f));
    MC_CHECK(file_contains(f, "segment\ttrack\tpath\tstart_s\tpadded\tgenre\n"), "index header");
    MC_CHECK(file_contains(f, "a_seven.wav\t3\t0\talpha\n"), "second window of a_seven starts at 3 s");
    MC_CHECK(file_contains(f, "a_short.wav\t0\t1\talpha\n"), "short track flagged as padded");
    MC_CHECK(file_contains(f, "b_au.au\t6\t0\tbeta\n"), "third window of b_au at 6 s, label beta");
    snprintf(f, sizeof f, "%s/skipped.tsv", out1);
    static const char *const bad[] = {"empty.wav\t", "text.wav\t", "nan.wav\t", "truncated.flac\t",
                                      "dangling.wav\t"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        MC_CHECK(file_contains(f, bad[i]), "skipped.tsv lacks %s", bad[i]);
    MC_CHECK(file_contains(f, "NaN") || file_contains(f, "nan") , "NaN reason given");

    mc_array a = {0};
    snprintf(f, sizeof f, "%s/mfcc_stats.npy", out1);
    MC_CHECK_OK(mc_npy_read(f, &a));
    MC_CHECK(a.ndim == 2 && a.shape[0] == 9 && a.shape[1] == 40, "mfcc_stats shape (%lld, %lld)",
             (long long)a.shape[0], (long long)a.shape[1]);
    bool finite = true, var_pos = true;
    for (int64_t i = 0; i < mc_array_count(&a); i++) finite &= isfinite(((float *)a.data)[i]);
    for (int64_t r = 0; r < a.shape[0]; r++)
        for (int k = 20; k < 40; k++) var_pos &= ((float *)a.data)[r * 40 + k] >= 0;
    MC_CHECK(finite && var_pos, "stats finite and variances >= 0");
    mc_array_free(&a);
    snprintf(f, sizeof f, "%s/logmel.npy", out1);
    MC_CHECK_OK(mc_npy_read(f, &a));
    MC_CHECK(a.ndim == 3 && a.shape[0] == 9 && a.shape[1] == 128 && a.shape[2] == 130,
             "logmel shape (%lld, %lld, %lld)", (long long)a.shape[0], (long long)a.shape[1],
             (long long)a.shape[2]);
    mc_array_free(&a);
    /* descriptors by default: (9, 52) per segment, (5, 52) per track, 52 names */
    snprintf(f, sizeof f, "%s/descriptors.npy", out1);
    MC_CHECK_OK(mc_npy_read(f, &a));
    MC_CHECK(a.ndim == 2 && a.shape[0] == 9 && a.shape[1] == 52, "descriptors shape (%lld, %lld)",
             (long long)a.shape[0], (long long)a.shape[1]);
    mc_array_free(&a);
    snprintf(f, sizeof f, "%s/track_descriptors.npy", out1);
    MC_CHECK_OK(mc_npy_read(f, &a));
    MC_CHECK(a.ndim == 2 && a.shape[0] == 5 && a.shape[1] == 52, "track_descriptors shape (%lld, %lld)",
             (long long)a.shape[0], (long long)a.shape[1]);
    mc_array_free(&a);
    snprintf(f, sizeof f, "%s/descriptor_names.txt", out1);
    MC_CHECK(count_lines(f) == 52 && file_contains(f, "chroma_00_mean\nchroma_01_mean\n") &&
                 file_contains(f, "\nzero_crossing_rate_var\nonset_strength_var\n") && !file_contains(f, "tempo\n"),
             "descriptor_names.txt: 52 names, no tempo by default");
    snprintf(f, sizeof f, "%s/extract.json", out1);
    MC_CHECK(file_contains(f, "\"descriptors\": true") && file_contains(f, "\"descriptor_columns\": 52") &&
                 file_contains(f, "\"tempo\": false"), "extract.json records the descriptors");
    {
        /* --no-descriptors: none of the three files; --tempo needs the descriptors */
        char out_nd[1100];
        snprintf(out_nd, sizeof out_nd, "%s/out_nodesc", dir);
        mc_extract_config c2 = cfg;
        c2.descriptors = false;
        mc_extract_summary s_nd = {0};
        MC_CHECK_OK(mc_data_extract(&c2, inputs, 1, out_nd, NULL, &s_nd));
        snprintf(f, sizeof f, "%s/descriptors.npy", out_nd);
        MC_CHECK(access(f, F_OK) != 0, "no descriptors.npy without descriptors");
        snprintf(f, sizeof f, "%s/extract.json", out_nd);
        MC_CHECK(file_contains(f, "\"descriptors\": false") && file_contains(f, "\"descriptor_columns\": 0"),
                 "extract.json: descriptors false");
        char a1[2100], b1[2100];
        snprintf(a1, sizeof a1, "%s/mfcc_stats.npy", out_nd);
        snprintf(b1, sizeof b1, "%s/mfcc_stats.npy", out1);
        MC_CHECK(same_file(a1, b1), "the MFCC statistics do not depend on the descriptors");
        c2.tempo = true;
        MC_CHECK(mc_data_extract(&c2, inputs, 1, out_nd, NULL, &s_nd) == MC_STATUS_INVALID_ARG &&
                     strstr(mc_error_message(), "--tempo needs the descriptors"),
                 "tempo without descriptors: '%s'", mc_error_message());
        /* the same through the CLI: --no-descriptors, and --tempo with it is a usage error */
        char out_cli[1100], in_a[1100];
        snprintf(out_cli, sizeof out_cli, "%s/out_cli", dir);
        snprintf(in_a, sizeof in_a, "%s/in/alpha", dir);
        long rss = 0;
        char *argv1[] = {"musiclust", "extract", "-q", "--no-descriptors", in_a, "-o", out_cli, NULL};
        MC_CHECK(run_cli_rusage(argv1, &rss) == 0, "musiclust extract --no-descriptors");
        snprintf(f, sizeof f, "%s/descriptors.npy", out_cli);
        MC_CHECK(access(f, F_OK) != 0, "CLI --no-descriptors: no descriptors.npy");
        char *argv2[] = {"musiclust", "extract", "-q", "--no-descriptors", "--tempo", in_a, "-o", out_cli, NULL};
        MC_CHECK(run_cli_rusage(argv2, &rss) == 2, "musiclust extract --no-descriptors --tempo: usage error");
    }


    /* Reading the store back. */
    mc_store store;
    MC_CHECK_OK(mc_store_open(out1, &store));
    MC_CHECK(store.n == 9 && store.vectors.shape[1] == 40 && strcmp(store.vectors_file, "mfcc_stats.npy") == 0,
             "store: %lld rows from %s", (long long)store.n, store.vectors_file);
    int nlab = 0;
    const char *const *labs = mc_store_label_columns(&store, &nlab);
    MC_CHECK(nlab == 1 && strcmp(labs[0], "genre") == 0, "one label column 'genre'");
    int32_t codes[9];
    char **classes = NULL;
    int ncls = 0;
    MC_CHECK_OK(mc_store_label_codes(&store, "genre", codes, &classes, &ncls));
    MC_CHECK(ncls == 2 && strcmp(classes[0], "alpha") == 0 && codes[0] == 0 && codes[8] == 1,
             "codes by sorted class name");
    mc_store_free_classes(classes, ncls);
    MC_CHECK(mc_store_label_codes(&store, "mood", codes, &classes, &ncls) == MC_STATUS_INVALID_ARG &&
             strstr(mc_error_message(), "available: genre"), "unknown column lists the available ones");
    int64_t tr[9];
    MC_CHECK_OK(mc_store_tracks(&store, tr));
    MC_CHECK(tr[0] == 0 && tr[1] == 0 && tr[2] == 1 && tr[8] == 4, "track index per row");
    mc_array lmel = {0};
    MC_CHECK_OK(mc_store_load_logmel(&store, &lmel));
    MC_CHECK(lmel.ndim == 3 && lmel.shape[0] == 9, "logmel loaded");
    mc_array_free(&lmel);
    {
        float X[9 * 40], mean[40], sd[40];
        memcpy(X, store.vectors.data, sizeof X);
        mc_data_zscore_fit(X, 9, 40, mean, sd);
        mc_data_zscore_apply(X, 9, 40, mean, sd);
        double worst = 0;
        for (int j = 0; j < 40; j++) {
            double m = 0, v = 0;
            for (int i = 0; i < 9; i++) m += X[i * 40 + j];
            m /= 9;
            for (int i = 0; i < 9; i++) v += (X[i * 40 + j] - m) * (X[i * 40 + j] - m);
            v /= 9;
            worst = fmax(worst, fmax(fabs(m), fabs(v - 1)));
        }
        printf("  z-score: max |mean| or |var - 1| = %.3g\n", worst);
        MC_CHECK(worst < 1e-4, "z-scored columns have mean 0, variance 1 (worst %.3g)", worst);
        float C[3 * 2] = {1, 5, 2, 5, 3, 5}, cm[2], cs[2];
        mc_data_zscore_fit(C, 3, 2, cm, cs);
        mc_data_zscore_apply(C, 3, 2, cm, cs);
        MC_CHECK(cs[1] == 1.0f && C[1] == 0 && C[3] == 0, "a constant column maps to 0, not NaN");
        mc_rng rng;
        mc_rng_seed(&rng, 1, 0);
        int64_t idx[10], ntr = 0;
        mc_data_split(10, 0.2, &rng, idx, &ntr);
        int seen[10] = {0};
        for (int i = 0; i < 10; i++) seen[idx[i]]++;
        bool perm = true;
        for (int i = 0; i < 10; i++) perm &= seen[i] == 1;
        MC_CHECK(ntr == 8 && perm, "split: permutation with 8 training rows");
    }
    mc_store_close(&store);

    /* Metadata join: one row per good file except a_three, plus a row with no file, and a long
     * multi-line lyrics column that must stay out of index.tsv. */
    char meta[1200];
    snprintf(meta, sizeof meta, "%s/meta.tsv", dir);
    write_text(meta, "track_id\tmood\tlyrics\n"
                     "a_seven\thappy\t\"line one\nline \"\"two\"\"\"\n"
                     "a_short\tsad\t\"x\"\n"
                     "b_stereo\tcalm\t\n"
                     "b_au\tangry\t\n"
                     "ghost\tnone\t\n");
    cfg.metadata = meta;
    cfg.threads = 2;
    char out3[1024];
    snprintf(out3, sizeof out3, "%s/out3", dir);
    mc_extract_summary s3 = {0};
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out3, NULL, &s3));
    MC_CHECK(s3.tracks == 4, "with metadata: %lld tracks, want 4", (long long)s3.tracks);
    snprintf(f, sizeof f, "%s/index.tsv", out3);
    MC_CHECK(file_contains(f, "\tpadded\tgenre\tmood\n"), "label columns genre (folder) and mood");
    MC_CHECK(!file_contains(f, "lyrics"), "lyrics column kept out of index.tsv");
    MC_CHECK(file_contains(f, "a_seven.wav\t0\t0\talpha\thappy\n"), "joined label");
    snprintf(f, sizeof f, "%s/skipped.tsv", out3);
    MC_CHECK(file_contains(f, "a_three.flac\tno row in"), "file without metadata row reported");
    MC_CHECK(!file_contains(f, "ghost"), "a metadata row without a file is not a skipped file");
    snprintf(f, sizeof f, "%s/unmatched_metadata.tsv", out3);
    MC_CHECK(file_contains(f, "row\ttrack_id\n5\tghost\n"), "metadata row without file in unmatched_metadata.tsv");
    MC_CHECK(s3.unmatched_metadata == 1 && s3.skipped == 6, "unmatched rows %lld (want 1), skipped %lld (want 6: "
             "5 bad files and a_three)",
             (long long)s3.unmatched_metadata, (long long)s3.skipped);
    /* keep_unmatched keeps a_three with empty labels */
    cfg.keep_unmatched = true;
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out3, NULL, &s3));
    MC_CHECK(s3.tracks == 5, "keep_unmatched: %lld tracks, want 5", (long long)s3.tracks);
    cfg.keep_unmatched = false;

    /* A metadata file without the id column is an error naming it. */
    char meta2[1200];
    snprintf(meta2, sizeof meta2, "%s/meta2.csv", dir);
    write_text(meta2, "id,mood\na_seven,happy\n");
    cfg.metadata = meta2;
    mc_status st = mc_data_extract(&cfg, inputs, 1, out3, NULL, &s3);
    MC_CHECK(st == MC_STATUS_FORMAT && strstr(mc_error_message(), "track_id"),
             "missing id column: status %d '%s'", (int)st, mc_error_message());
    cfg.metadata = NULL;

    /* Nothing usable: EMPTY, and skipped.tsv still says why. */
    char only_bad[1200], out4[1200];
    snprintf(only_bad, sizeof only_bad, "%s/in/beta/text.wav", dir);
    snprintf(out4, sizeof out4, "%s/out4", dir);
    const char *bad_in[1] = {only_bad};
    st = mc_data_extract(&cfg, bad_in, 1, out4, NULL, &s3);
    MC_CHECK(st == MC_STATUS_EMPTY, "all-bad input gives EMPTY, got %d", (int)st);
    snprintf(f, sizeof f, "%s/skipped.tsv", out4);
    MC_CHECK(file_contains(f, "text.wav\t"), "skipped.tsv written for an all-bad run");
    snprintf(f, sizeof f, "%s/index.tsv", out4);
    MC_CHECK(access(f, F_OK) != 0, "no index.tsv when nothing was extracted");

    /* Whole-track mode: one row per track, logmel only with --frames. */
    cfg.segment_s = 0;
    cfg.logmel_frames = 64;
    char out5[1200];
    snprintf(out5, sizeof out5, "%s/out5", dir);
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out5, NULL, &s3));
    MC_CHECK(s3.segments == 5 && s3.padded == 0, "segment 0: %lld rows, want 5", (long long)s3.segments);
    snprintf(f, sizeof f, "%s/logmel.npy", out5);
    MC_CHECK_OK(mc_npy_read(f, &a));
    MC_CHECK(a.ndim == 3 && a.shape[0] == 5 && a.shape[2] == 64, "whole-track logmel cropped to 64 frames");
    mc_array_free(&a);
    cfg.segment_s = -1;
    MC_CHECK(mc_data_extract(&cfg, inputs, 1, out5, NULL, &s3) == MC_STATUS_INVALID_ARG,
             "negative segment rejected");
}

/* ------------------------------------------------------------------ metadata join (issue 14) */

typedef struct log_capture {
    int warn, info;
    char last_warn[4096];
    char all[16384];
} log_capture;

static void capture_log(mc_log_level level, const char *msg, void *user) {
    log_capture *c = user;
    if (level == MC_LOG_LEVEL_WARN) {
        c->warn++;
        snprintf(c->last_warn, sizeof c->last_warn, "%s", msg);
    }
    if (level == MC_LOG_LEVEL_INFO) c->info++;
    size_t used = strlen(c->all);
    if (level >= MC_LOG_LEVEL_INFO) snprintf(c->all + used, sizeof c->all - used, "%s\n", msg);
}

/* Every cell of a TSV is valid UTF-8, except the column `skip` (NULL: none). */
static bool file_utf8(const char *path, const char *skip) {
    if (!skip) {
        char *b = mc_test_read_file(path, NULL);
        bool ok = b && mc_data_utf8_valid(b);
        free(b);
        return ok;
    }
    mc_table t = {0};
    if (mc_table_read(path, '\t', &t) != MC_STATUS_OK) return false;
    bool ok = true;
    int sc = mc_table_column(&t, skip);
    for (int c = 0; c < t.ncols; c++) ok &= mc_data_utf8_valid(t.header[c]);
    for (int64_t r = 0; r < t.nrows; r++)
        for (int c = 0; c < t.ncols; c++)
            if (c != sc) ok &= mc_data_utf8_valid(mc_table_get(&t, r, c));
    mc_table_free(&t);
    return ok;
}

static void test_metadata_join(void) {
    printf("metadata join: summaries, encodings, extensions, folders, absolute paths (issue 14)\n");
    const char *dir = mc_test_tmpdir("data_join"); /* relative to the test's folder */
    char p[1200], in[1024], meta[1200], out[1200], f[2400];
    snprintf(in, sizeof in, "%s/in", dir);
    /* rock/x1, rock/x2, pop/x3, pop/x1 (x1 twice: same stem in two folders), and a Latin-1 folder */
    snprintf(p, sizeof p, "%s/rock", in); mc_mkdirs(p);
    snprintf(p, sizeof p, "%s/pop", in); mc_mkdirs(p);
    snprintf(p, sizeof p, "%s/caf\xe9", in); mc_mkdirs(p);
    snprintf(p, sizeof p, "%s/rock/x1.flac", in); make_tone(p, 3.0, 22050, 1, 220, MC_AUDIO_FORMAT_FLAC_PCM16);
    snprintf(p, sizeof p, "%s/rock/x2.wav", in); make_tone(p, 3.0, 22050, 1, 330, MC_AUDIO_FORMAT_WAV_PCM16);
    snprintf(p, sizeof p, "%s/pop/x3.wav", in); make_tone(p, 3.0, 22050, 1, 440, MC_AUDIO_FORMAT_WAV_PCM16);
    snprintf(p, sizeof p, "%s/pop/x1.wav", in); make_tone(p, 3.0, 22050, 1, 550, MC_AUDIO_FORMAT_WAV_PCM16);
    snprintf(p, sizeof p, "%s/caf\xe9/x4.wav", in); make_tone(p, 3.0, 22050, 1, 660, MC_AUDIO_FORMAT_WAV_PCM16);
    const char *inputs[1] = {in};
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    cfg.threads = 2;
    mc_extract_summary s = {0};
    log_capture cap;

    /* (a) + (b) + (c): ids with an audio extension ("x2.mp3" joins x2.wav), 295 more rows without a
     * file, Latin-1 bytes in a label cell. */
    snprintf(meta, sizeof meta, "%s/meta.tsv", dir);
    {
        FILE *m = fopen(meta, "wb");
        MC_CHECK(m != NULL, "cannot write %s", meta);
        if (!m) return;
        fputs("filename\tartist\tmood\n", m);
        fputs("x2.mp3\tBeyonc\xe9\tcalm\n", m);             /* Latin-1 e-acute */
        fputs("x3.WAV\tMot\xf6rhead \x93live\x94\tloud\n", m);  /* Latin-1 o-umlaut, Windows quotes */
        fputs("x4\tplain\tsoft\n", m);
        for (int r = 0; r < 295; r++) fprintf(m, "other_%03d.wav\tnobody\tnone\n", r);
        fclose(m);
    }
    cfg.metadata = meta;
    cfg.id_column = "filename";
    memset(&cap, 0, sizeof cap);
    mc_log_set_handler(capture_log, &cap);
    snprintf(out, sizeof out, "%s/store1", dir);
    mc_status st = mc_data_extract(&cfg, inputs, 1, out, NULL, &s);
    mc_log_set_handler(NULL, NULL);
    MC_CHECK_OK(st);
    printf("  %lld tracks, %lld skipped, %lld unmatched metadata rows; %d WARN and %d INFO lines:\n%s",
           (long long)s.tracks, (long long)s.skipped, (long long)s.unmatched_metadata, cap.warn, cap.info, cap.all);
    MC_CHECK(s.tracks == 3 && s.skipped == 2 && s.unmatched_metadata == 295,
             "(c) ids with extensions join: %lld tracks (want 3: x2, x3, x4), %lld skipped (want 2: the x1), "
             "%lld unmatched rows (want 295)", (long long)s.tracks, (long long)s.skipped,
             (long long)s.unmatched_metadata);
    MC_CHECK(cap.warn == 1 && strstr(cap.last_warn, "2 audio file(s) have no row"),
             "(a) one WARN line for the files without a row, got %d: '%s'", cap.warn, cap.last_warn);
    MC_CHECK(strstr(cap.all, "295 of 298 rows") && strstr(cap.all, "other_000"),
             "(a) the rows without a file summarised in one line with examples");
    snprintf(f, sizeof f, "%s/skipped.tsv", out);
    MC_CHECK(count_lines(f) == 3 && !file_contains(f, "other_"), "(a) skipped.tsv: header + the 2 files, no metadata rows");
    snprintf(f, sizeof f, "%s/unmatched_metadata.tsv", out);
    MC_CHECK(count_lines(f) == 296 && file_contains(f, "row\tfilename\n4\tother_000.wav\n"),
             "(a) unmatched_metadata.tsv: header + 295 rows (%d lines)", count_lines(f));
    snprintf(f, sizeof f, "%s/index.tsv", out);
    MC_CHECK(file_contains(f, "\tBeyonc\xc3\xa9\tcalm\n") && file_contains(f, "Mot\xc3\xb6rhead \xe2\x80\x9clive\xe2\x80\x9d"),
             "(b) Latin-1 / Windows-1252 cells written as UTF-8");
    MC_CHECK(file_contains(f, "\tcaf\xc3\xa9\tplain\tsoft\n"), "(b) a Latin-1 folder name as a UTF-8 label");
    /* every text file is valid UTF-8 but for the path column (the file system's bytes, so that the
     * path opens the file: here the Latin-1 folder) */
    static const char *const written[] = {"index.tsv", "tracks.tsv", "extract.json", "unmatched_metadata.tsv"};
    for (size_t i = 0; i < sizeof written / sizeof written[0]; i++) {
        snprintf(f, sizeof f, "%s/%s", out, written[i]);
        MC_CHECK(file_utf8(f, strstr(written[i], ".json") ? NULL : "path"), "(b) %s is valid UTF-8", written[i]);
    }

    /* (e) paths in index.tsv are absolute (the inputs were given relative to the test's folder), so
     * the store can be moved: every path still opens from another folder. */
    {
        char moved[1300];
        snprintf(moved, sizeof moved, "%s/moved_store", dir);
        MC_CHECK(rename(out, moved) == 0, "rename the store");
        mc_table t = {0};
        snprintf(f, sizeof f, "%s/index.tsv", moved);
        MC_CHECK_OK(mc_table_read(f, '\t', &t));
        int pc = mc_table_column(&t, "path");
        int bad_paths = 0;
        for (int64_t r = 0; pc >= 0 && r < t.nrows; r++) {
            const char *q = mc_table_get(&t, r, pc);
            bad_paths += q[0] != '/' || strstr(q, "/./") != NULL || access(q, R_OK) != 0;
        }
        MC_CHECK(pc >= 0 && t.nrows == 3 && bad_paths == 0, "(e) %d of %lld index.tsv paths not absolute or not readable",
                 bad_paths, (long long)t.nrows);
        mc_table_free(&t);
        snprintf(f, sizeof f, "%s/tracks.tsv", moved);
        MC_CHECK_OK(mc_table_read(f, '\t', &t));
        pc = mc_table_column(&t, "path");
        MC_CHECK(pc >= 0 && t.nrows == 3 && mc_table_get(&t, 0, pc)[0] == '/', "(e) tracks.tsv paths absolute");
        mc_table_free(&t);
        char *a = mc_data_abs_path("a/./b//c/../d.wav");
        char *b = mc_data_abs_path("/x/../../y/./z");
        MC_CHECK(a && a[0] == '/' && strstr(a, "/a/b/d.wav") && !strstr(a, "/./") && b && strcmp(b, "/y/z") == 0,
                 "(e) lexical normalisation: '%s', '%s'", a ? a : "", b ? b : "");
        free(a);
        free(b);
    }

    /* (d) the same stem in two folders joins one row to both files: one WARN line naming them; a
     * folder/name column tells them apart. */
    snprintf(meta, sizeof meta, "%s/meta2.csv", dir);
    write_text(meta, "track_id,path_id,mood\nx1,rock/x1,a\nx2,rock/x2.wav,b\nx3,pop/x3,c\nx4,caf\xe9/x4,d\n"
                     "x9,pop/x1.wav,e\n");
    cfg.metadata = meta;
    cfg.id_column = "track_id";
    memset(&cap, 0, sizeof cap);
    mc_log_set_handler(capture_log, &cap);
    snprintf(out, sizeof out, "%s/store2", dir);
    st = mc_data_extract(&cfg, inputs, 1, out, NULL, &s);
    mc_log_set_handler(NULL, NULL);
    MC_CHECK_OK(st);
    printf("  same stem in two folders: %lld tracks, WARN: %s\n", (long long)s.tracks, cap.last_warn);
    MC_CHECK(s.tracks == 5 && cap.warn == 1 && strstr(cap.last_warn, "1 metadata row(s) joined more than one file") &&
                 strstr(cap.last_warn, "pop/x1.wav") && strstr(cap.last_warn, "rock/x1.flac"),
             "(d) %lld tracks, one WARN naming both files: '%s'", (long long)s.tracks, cap.last_warn);
    cfg.id_column = "path_id";
    memset(&cap, 0, sizeof cap);
    mc_log_set_handler(capture_log, &cap);
    snprintf(out, sizeof out, "%s/store3", dir);
    st = mc_data_extract(&cfg, inputs, 1, out, NULL, &s);
    mc_log_set_handler(NULL, NULL);
    MC_CHECK_OK(st);
    snprintf(f, sizeof f, "%s/index.tsv", out);
    MC_CHECK(s.tracks == 5 && cap.warn == 0 && file_contains(f, "/pop/x1.wav\t0\t0\tpop\tx9\te\n") &&
                 file_contains(f, "/rock/x1.flac\t0\t0\trock\tx1\ta\n"),
             "(d) a folder/name column joins each file to its own row (%lld tracks, %d WARN)", (long long)s.tracks,
             cap.warn);

    /* (c) nothing joins: the error names the column, shows its values and the files' names, and the
     * column that would join. */
    snprintf(meta, sizeof meta, "%s/meta3.csv", dir);
    write_text(meta, "id,name,mood\n101,x1.wav,a\n102,x2.wav,b\n103,x3.flac,c\n");
    cfg.metadata = meta;
    cfg.id_column = "id";
    snprintf(out, sizeof out, "%s/store4", dir);
    st = mc_data_extract(&cfg, inputs, 1, out, NULL, &s);
    printf("  nothing joins: %s\n", mc_error_message());
    MC_CHECK(st == MC_STATUS_EMPTY && strstr(mc_error_message(), "column 'id' holds values like '101', '102', '103'") &&
                 strstr(mc_error_message(), "named like 'x4.wav', 'x1.wav'") && strstr(mc_error_message(), "--id-column name"),
             "(c) a useful message when nothing joins: %d '%s'", (int)st, mc_error_message());
    cfg.metadata = NULL;
    cfg.id_column = "track_id";
}

static void test_import(void) {
    printf("feature table import\n");
    const char *dir = mc_test_tmpdir("data_import");
    char t[1024], out[1024], f[2100];
    snprintf(t, sizeof t, "%s/feat.csv", dir);
    snprintf(out, sizeof out, "%s/store", dir);
    write_text(t, "filename,length,f1,f2,label\n"
                  "a.wav,100,1.5,-2,rock\n"
                  "b.wav,100,2.5,3e-1,jazz\n"
                  "c.wav,100,oops,1,jazz\n"
                  "\"d,e.wav\",100,0,1,\"rock\"\n");
    mc_extract_summary s = {0};
    MC_CHECK_OK(mc_data_import_features(t, NULL, "label", out, &s));
    MC_CHECK(s.tracks == 3 && s.skipped == 1, "import: %lld rows, %lld skipped", (long long)s.tracks,
             (long long)s.skipped);
    mc_array a = {0};
    snprintf(f, sizeof f, "%s/features.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &a));
    MC_CHECK(a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 3, "features (3, 3)");
    if (a.data && a.shape[0] == 3 && a.shape[1] == 3) {
        const float want[9] = {100, 1.5f, -2, 100, 2.5f, 0.3f, 100, 0, 1};
        MC_CHECK_CLOSE("imported values", (float *)a.data, want, 9, 0);
    }
    mc_array_free(&a);
    snprintf(f, sizeof f, "%s/index.tsv", out);
    MC_CHECK(file_contains(f, "\tlabel\n") && file_contains(f, "d,e.wav\t0\t0\trock\n"), "index labels");
    snprintf(f, sizeof f, "%s/skipped.tsv", out);
    MC_CHECK(file_contains(f, "'f1' value 'oops'"), "bad cell reported");
    MC_CHECK(mc_data_import_features(t, NULL, "genre", out, &s) == MC_STATUS_FORMAT,
             "missing label column is a format error");
}


/* ------------------------------------------------------------------ streaming extraction */

/* The whole-track reference for one file: libsndfile's sf_readf_float over the whole file (also for
 * MP3, which extract decodes with libmpg123 directly), librosa.to_mono, the one-shot resampler,
 * mc_audio_segment_count/copy, then the per-window features as extract defines them. Rows go to
 * stats (nseg, 2*n_mfcc) and logmel (nseg, n_mels, frames); returns nseg, or -1. */
/* The store's rows of one track computed from the whole decoded track, window by window with the dsp
 * calls: MFCC statistics (nseg, 2 n_mfcc), log-mel (nseg, n_mels, frames) and, with dplan, descriptor
 * rows (nseg, 53: the statistics with the track's tempo last) and the track's row track_out (53,):
 * means and variances over all the windows' frames, two passes in double, and mc_dsp_track_tempo of
 * the whole track. */
static int64_t whole_track_features(const char *path, const mc_dsp_plan *plan, const mc_dsp_config *d,
                                    double segment_s, float **stats_out, float **logmel_out,
                                    const mc_dsp_desc_plan *dplan, float **desc_out, float *track_out) {
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) return -1;
    int ch = si.channels;
    int64_t cap = 1 << 20, n = 0;
    float *x = malloc((size_t)cap * sizeof *x); // (cap,) mono at the native rate
    float *blk = malloc((size_t)4096 * ch * sizeof *blk); // (4096, ch)
    sf_count_t got;
    while ((got = sf_readf_float(sf, blk, 4096)) > 0) {
        if (n + got > cap) { cap *= 2; x = realloc(x, (size_t)cap * sizeof *x); }
        for (sf_count_t i = 0; i < got; i++) {
            float acc = blk[i * ch];
            for (int c = 1; c < ch; c++) acc += blk[i * ch + c];
            x[n + i] = ch == 2 ? acc * 0.5f : acc / (float)ch;
        }
        n += got;
    }
    sf_close(sf);
    free(blk);
    float *y = x;
    int64_t ny = n;
    if (si.samplerate != d->sr) {
        ny = mc_audio_resampled_length(n, si.samplerate, d->sr);
        y = malloc((size_t)ny * sizeof *y); // (ny,)
        if (mc_audio_resample(x, n, si.samplerate, d->sr, y) != MC_STATUS_OK) ny = -1;
    }
    int64_t seg_len = (int64_t)llround(segment_s * d->sr);
    int64_t nseg = ny > 0 ? mc_audio_segment_count(ny, seg_len, NULL) : -1;
    int64_t frames = mc_dsp_frame_count(d, seg_len);
    int nm = d->n_mels, nc = d->n_mfcc;
    mc_dsp_workspace *ws = NULL;
    float *seg = malloc((size_t)seg_len * sizeof *seg);            // (seg_len,)
    float *mfcc = malloc((size_t)nc * (size_t)frames * sizeof *mfcc); // (n_mfcc, frames)
    float *stats = malloc((size_t)(nseg > 0 ? nseg : 1) * 2 * (size_t)nc * sizeof *stats);
    float *logmel = malloc((size_t)(nseg > 0 ? nseg : 1) * (size_t)nm * (size_t)frames * sizeof *logmel);
    if (nseg > 0 && mc_dsp_workspace_create(plan, seg_len, &ws) != MC_STATUS_OK) nseg = -1;
    mc_dsp_desc_workspace *dws = NULL;
    float *mag = NULL, *desc = NULL, *drows = NULL;
    if (dplan && nseg > 0) {
        mag = malloc((size_t)frames * (size_t)(d->n_fft / 2 + 1) * sizeof *mag);     // (frames, n_bins)
        desc = malloc((size_t)nseg * MC_DSP_DESC_ROWS * (size_t)frames * sizeof *desc); // (nseg, 26, frames)
        drows = malloc((size_t)nseg * MC_DSP_DESC_STATS * sizeof *drows);              // (nseg, 53)
        if (mc_dsp_desc_workspace_create(dplan, frames, &dws) != MC_STATUS_OK) nseg = -1;
    }
    for (int64_t s = 0; s < nseg; s++) {
        float *mel = logmel + s * nm * frames; /* (n_mels, frames) */
        mc_audio_segment_copy(y, ny, seg_len, s, seg);
        if (mc_dsp_mel_power_mag(plan, ws, seg, seg_len, mel, dplan ? mag : NULL) != MC_STATUS_OK) { nseg = -1; break; }
        mc_dsp_power_to_db(mel, (int64_t)nm * frames, d->ref, d->amin, d->top_db, mel);
        mc_dsp_mfcc(plan, mel, frames, mfcc);
        mc_dsp_mfcc_stats(mfcc, nc, frames, stats + s * 2 * nc);
        if (dplan) {
            float *ds = desc + s * MC_DSP_DESC_ROWS * frames;
            if (mc_dsp_descriptors(dplan, dws, seg, seg_len, mag, mel, ds, NULL, NULL) != MC_STATUS_OK) { nseg = -1; break; }
            mc_dsp_desc_stats(ds, frames, NAN, drows + s * MC_DSP_DESC_STATS);
        }
    }
    if (dplan && nseg > 0) {
        double tempo = NAN;
        float *sc = malloc((size_t)mc_dsp_track_tempo_scratch(dplan, ny) * sizeof *sc);
        if (mc_dsp_track_tempo(dplan, dws, y, ny, sc, &tempo) != MC_STATUS_OK) nseg = -1;
        free(sc);
        for (int64_t s = 0; s < nseg; s++) drows[s * MC_DSP_DESC_STATS + MC_DSP_DESC_STATS - 1] = (float)tempo;
        for (int r = 0; r < MC_DSP_DESC_ROWS && nseg > 0; r++) {
            double m = 0, q = 0, cnt = (double)(nseg * frames);
            for (int64_t s = 0; s < nseg; s++)
                for (int64_t t = 0; t < frames; t++) m += desc[(s * MC_DSP_DESC_ROWS + r) * frames + t];
            m /= cnt;
            for (int64_t s = 0; s < nseg; s++)
                for (int64_t t = 0; t < frames; t++) {
                    double v = desc[(s * MC_DSP_DESC_ROWS + r) * frames + t] - m;
                    q += v * v;
                }
            track_out[r] = (float)m;
            track_out[MC_DSP_DESC_ROWS + r] = (float)(q / cnt);
        }
        track_out[MC_DSP_DESC_STATS - 1] = (float)tempo;
    }
    mc_dsp_desc_workspace_free(dws);
    free(mag);
    free(desc);
    if (desc_out) *desc_out = drows;
    else free(drows);
    mc_dsp_workspace_free(ws);
    if (y != x) free(y);
    free(x);
    free(seg);
    free(mfcc);
    *stats_out = stats;
    *logmel_out = logmel;
    return nseg;
}

/* extract streams each track (decode, downmix, resample and segment block by block, rows past a
 * memory budget parked in a temp file): its store must be bit for bit what the whole-track path
 * gives, at 1, 2 and 4 threads, including a track long enough for its rows to spill at 2 and 4 threads
 * (the budget is 32 MB / threads of rows; 13 minutes of 3-s windows are 17.3 MB of log-mel rows)
 * and an MP3. */
static void test_stream_matches_whole(void) {
    printf("streaming extract = whole-track features, bit for bit\n");
    const char *dir = mc_test_tmpdir("data_stream");
    char in[1024], p[1100];
    snprintf(in, sizeof in, "%s/in/x", dir);
    mc_mkdirs(in);
    const struct { const char *name; double secs; int sr, ch; mc_audio_format fmt; } files[] = {
        {"a_stereo44k.wav", 100.0, 44100, 2, MC_AUDIO_FORMAT_WAV_PCM16},
        {"b_mono48k.wav", 40.3, 48000, 1, MC_AUDIO_FORMAT_WAV_FLOAT},
        {"c_long22k.wav", 13.0 * 60 + 1.5, 22050, 1, MC_AUDIO_FORMAT_WAV_PCM16},
        {"d_short8k.wav", 2.2, 8000, 1, MC_AUDIO_FORMAT_WAV_PCM16},
        {"e_stereo.mp3", 20.0, 44100, 2, MC_AUDIO_FORMAT_MP3},
        {"f_three_ch.flac", 9.7, 32000, 3, MC_AUDIO_FORMAT_FLAC_PCM24},
    };
    const int nfiles = (int)(sizeof files / sizeof files[0]);
    int written = 0;
    for (int i = 0; i < nfiles; i++) {
        snprintf(p, sizeof p, "%s/%s", in, files[i].name);
        int64_t n = (int64_t)llround(files[i].secs * files[i].sr);
        int ch = files[i].ch;
        float *x = malloc((size_t)n * ch * sizeof *x); // (n, ch) interleaved
        uint32_t r = 777u + (uint32_t)i;
        for (int64_t k = 0; k < n; k++) {
            double t = (double)k / files[i].sr;
            double f = 180.0 + 40.0 * floor(t / 1.7); /* a new pitch every 1.7 s */
            for (int c = 0; c < ch; c++) {
                r = r * 1664525u + 1013904223u;
                x[k * ch + c] = (float)(0.4 * sin(2 * M_PI * f * (1 + 0.01 * c) * t) +
                                        0.05 * ((double)(r >> 8) / 8388608.0 - 1.0));
            }
        }
        mc_status ws = mc_audio_write(p, x, n, ch, files[i].sr, files[i].fmt);
        free(x);
        if (ws == MC_STATUS_UNSUPPORTED) { printf("  (%s: format not writable here)\n", files[i].name); continue; }
        MC_CHECK_OK(ws);
        written++;
    }
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    cfg.descriptors = true;
    cfg.tempo = true;
    mc_dsp_plan *plan = NULL;
    mc_dsp_desc_plan *dplan = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&cfg.dsp, &plan));
    if (plan) MC_CHECK_OK(mc_dsp_desc_plan_create(plan, &dplan));
    if (!plan || !dplan) return;
    const int nm = cfg.dsp.n_mels, nc = cfg.dsp.n_mfcc;
    const int64_t frames = mc_dsp_frame_count(&cfg.dsp, (int64_t)llround(cfg.segment_s * cfg.dsp.sr));
    for (int threads = 1; threads <= 4; threads *= 2) {
        char out[1100], f[1200];
        snprintf(out, sizeof out, "%s/out%d", dir, threads);
        cfg.threads = threads;
        const char *inputs[1] = {in};
        mc_extract_summary sum = {0};
        MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out, NULL, &sum));
        MC_CHECK(sum.tracks == written, "%d threads: %lld tracks of %d", threads, (long long)sum.tracks, written);
        mc_array st = {0}, lm = {0}, de = {0}, td = {0};
        snprintf(f, sizeof f, "%s/mfcc_stats.npy", out);
        MC_CHECK_OK(mc_npy_read(f, &st));
        snprintf(f, sizeof f, "%s/logmel.npy", out);
        MC_CHECK_OK(mc_npy_read(f, &lm));
        snprintf(f, sizeof f, "%s/descriptors.npy", out);
        MC_CHECK_OK(mc_npy_read(f, &de));
        snprintf(f, sizeof f, "%s/track_descriptors.npy", out);
        MC_CHECK_OK(mc_npy_read(f, &td));
        if (!st.data || !lm.data || !de.data || !td.data) continue;
        MC_CHECK(de.ndim == 2 && de.shape[1] == MC_DSP_DESC_STATS && td.ndim == 2 && td.shape[1] == MC_DSP_DESC_STATS &&
                     td.shape[0] == sum.tracks && de.shape[0] == st.shape[0],
                 "descriptors (%lld, %lld), track_descriptors (%lld, %lld)", (long long)de.shape[0],
                 (long long)de.shape[1], (long long)td.shape[0], (long long)td.shape[1]);
        double worst_track = 0;
        int64_t track = 0;
        int64_t row = 0;
        for (int i = 0; i < nfiles; i++) {
            snprintf(p, sizeof p, "%s/%s", in, files[i].name);
            if (access(p, F_OK) != 0) continue;
            float *ws = NULL, *wl = NULL, *wd = NULL, wt[MC_DSP_DESC_STATS];
            int64_t nseg = whole_track_features(p, plan, &cfg.dsp, cfg.segment_s, &ws, &wl, dplan, &wd, wt);
            MC_CHECK(nseg > 0 && row + nseg <= st.shape[0], "%s: %lld windows (store has %lld rows from %lld)",
                     files[i].name, (long long)nseg, (long long)st.shape[0], (long long)row);
            if (nseg > 0 && row + nseg <= st.shape[0]) {
                char what[160];
                snprintf(what, sizeof what, "%s %dT: %lld MFCC stats rows", files[i].name, threads, (long long)nseg);
                MC_CHECK_CLOSE(what, (float *)st.data + row * 2 * nc, ws, nseg * 2 * nc, 0.0);
                snprintf(what, sizeof what, "%s %dT: log-mel rows", files[i].name, threads);
                MC_CHECK_CLOSE(what, (float *)lm.data + row * nm * frames, wl, nseg * nm * frames, 0.0);
                MC_CHECK(memcmp((float *)lm.data + row * nm * frames, wl, (size_t)(nseg * nm * frames) * 4) == 0 &&
                             memcmp((float *)st.data + row * 2 * nc, ws, (size_t)(nseg * 2 * nc) * 4) == 0,
                         "%s: rows not bit-identical", files[i].name);
                /* descriptor rows bit for bit, the track's tempo in each; the track's row: the tempo bit for
                 * bit (the streamed whole-track STFT, its columns parked in a temp file for the 13-minute
                 * track), the statistics as a direct two-pass float64 computation over all frames */
                snprintf(what, sizeof what, "%s %dT: descriptor rows", files[i].name, threads);
                MC_CHECK_CLOSE(what, (float *)de.data + row * MC_DSP_DESC_STATS, wd, nseg * MC_DSP_DESC_STATS, 0.0);
                const float *tr = (float *)td.data + track * MC_DSP_DESC_STATS;
                MC_CHECK(tr[MC_DSP_DESC_STATS - 1] == wt[MC_DSP_DESC_STATS - 1],
                         "%s: track tempo %.9g, mc_dsp_track_tempo %.9g", files[i].name, tr[MC_DSP_DESC_STATS - 1],
                         wt[MC_DSP_DESC_STATS - 1]);
                for (int k = 0; k < 2 * MC_DSP_DESC_ROWS; k++) {
                    double e = fabs(tr[k] - wt[k]) / fmax(fabs(wt[k]), 1e-6);
                    if (e > worst_track) worst_track = e;
                }
                if (threads == 1)
                    printf("  %s: track tempo %.4f BPM (= mc_dsp_track_tempo of the whole track)\n", files[i].name,
                           tr[MC_DSP_DESC_STATS - 1]);
                row += nseg;
                track++;
            }
            free(ws);
            free(wl);
            free(wd);
        }
        MC_CHECK(row == st.shape[0] && row == lm.shape[0], "%lld rows compared, store has %lld", (long long)row,
                 (long long)st.shape[0]);
        printf("  %d threads: track descriptor statistics vs float64 over all frames: max rel diff %.3g (tol 1e-5)\n",
               threads, worst_track);
        MC_CHECK(worst_track < 1e-5, "track descriptor statistics off by %.3g relative", worst_track);
        mc_array_free(&de);
        mc_array_free(&td);
        mc_array_free(&st);
        mc_array_free(&lm);
    }
    mc_dsp_desc_plan_free(dplan);
    mc_dsp_plan_free(plan);
}

/* Write a 16-bit stereo WAV of `seconds` at sr without holding it in memory: window k (of seg_s
 * seconds) is a 440 Hz tone (a whole number of cycles per 3-s window) plus the same noise in every
 * window, all scaled by amp(k), so that its log-mel rows are window 0's shifted by
 * 20 log10(amp(k) / amp(0)) dB, up to 16-bit rounding. */
static double long_amp(int64_t k) { return 0.05 + 0.9 * (double)((k * 37) % 100) / 100.0; }

static bool write_long_wav(const char *path, double seconds, int sr, double seg_s) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    int64_t n = (int64_t)llround(seconds * sr);
    uint32_t data_bytes = (uint32_t)(n * 4);
    unsigned char h[44];
    memcpy(h, "RIFF", 4);
    uint32_t v = 36 + data_bytes;
    for (int i = 0; i < 4; i++) h[4 + i] = (unsigned char)(v >> (8 * i));
    memcpy(h + 8, "WAVEfmt ", 8);
    const uint32_t fmt[4] = {16, 1 | (2u << 16), (uint32_t)sr, (uint32_t)sr * 4};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 4; i++) h[16 + 4 * k + i] = (unsigned char)(fmt[k] >> (8 * i));
    const uint32_t align = 4 | (16u << 16);
    for (int i = 0; i < 4; i++) h[32 + i] = (unsigned char)(align >> (8 * i));
    memcpy(h + 36, "data", 4);
    for (int i = 0; i < 4; i++) h[40 + i] = (unsigned char)(data_bytes >> (8 * i));
    bool ok = fwrite(h, 1, 44, f) == 44;
    int16_t buf[2 * 8192];
    uint32_t r = 99u;
    const int64_t seg = (int64_t)llround(seg_s * sr);
    for (int64_t i0 = 0; i0 < n && ok; i0 += 8192) {
        int64_t m = n - i0 < 8192 ? n - i0 : 8192;
        for (int64_t j = 0; j < m; j++) {
            int64_t i = i0 + j;
            double a = long_amp(i / seg);
            double t = (double)i / sr;
            if (i % seg == 0) r = 99u; /* the same noise in every window */
            r = r * 1664525u + 1013904223u;
            double v0 = a * (0.8 * sin(2 * M_PI * 440.0 * t) + 0.05 * ((double)(r >> 8) / 8388608.0 - 1.0));
            buf[2 * j] = (int16_t)lrint(32767.0 * v0);
            buf[2 * j + 1] = (int16_t)lrint(32767.0 * v0 * 0.9);
        }
        ok = fwrite(buf, 4, (size_t)m, f) == (size_t)m;
    }
    return fclose(f) == 0 && ok;
}

/* Run the CLI with argv; returns its exit status, and its peak resident set in *maxrss_kb. The
 * child's ru_maxrss also covers the moment between fork and exec, when it shares this process's
 * pages, so callers run this while the test process is still small (its RSS is printed too). */
static int run_cli_rusage(char *const argv[], long *maxrss_kb) {
    *maxrss_kb = -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
#ifdef __SANITIZE_ADDRESS__
        /* ASan keeps freed blocks in a 256 MB quarantine: measure the program, not that. */
        char opts[2048];
        const char *old = getenv("ASAN_OPTIONS");
        snprintf(opts, sizeof opts, "%s%squarantine_size_mb=4", old ? old : "", old && *old ? ":" : "");
        setenv("ASAN_OPTIONS", opts, 1);
#endif
        execv(MC_CLI_PATH, argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (wait4(pid, &status, 0, &ru) != pid) return -1;
    *maxrss_kb = ru.ru_maxrss; /* kilobytes on Linux */
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Issue 15.2: a 1-hour 44.1 kHz stereo recording extracts with bounded memory (the whole track
 * decoded would be 1.27 GB of float32 before resampling). */
static void test_long_track_memory(void) {
    printf("1-hour 44.1 kHz stereo WAV: extract's peak memory\n");
    const char *dir = mc_test_tmpdir("data_long");
    char wav[1100], out[1100], f[1200];
    snprintf(wav, sizeof wav, "%s/in/hour.wav", dir);
    snprintf(out, sizeof out, "%s/store", dir);
    snprintf(f, sizeof f, "%s/in", dir);
    mc_mkdirs(f);
    const double seconds = 3600.0;
    bool ok = write_long_wav(wav, seconds, 44100, 3.0);
    MC_CHECK(ok, "cannot write %s (635 MB)", wav);
    if (!ok) { remove(wav); return; }
    /* with the descriptors (default) and the track's tempo: its whole-track STFT's columns (80 MB for
     * the hour) go through the row budget and the temp file too */
    char *argv[] = {"musiclust", "extract", "-q", "--tempo", "--threads", "2", wav, "-o", out, NULL};
    long rss_kb = 0;
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    printf("  (this test process: %.1f MB peak RSS when it forks the CLI)\n", self.ru_maxrss / 1024.0);
    int rc = run_cli_rusage(argv, &rss_kb);
    remove(wav);
    printf("  exit %d, peak RSS %.1f MB (limit 200 MB)\n", rc, rss_kb / 1024.0);
    MC_CHECK(rc == 0, "extract of the 1-hour file exited %d", rc);
    MC_CHECK(rss_kb > 0 && rss_kb < 200 * 1024, "peak RSS %.1f MB >= 200 MB", rss_kb / 1024.0);
    /* 3600 s = 1200 windows of 3 s; window k is window 0 scaled by amp(k), i.e. every log-mel value
     * (above the 80-dB floor, which moves with the maximum) shifted by 20 log10(amp(k) / amp(0)) dB,
     * so MFCC 0 (sum over 128 bands / sqrt(128)) moves by sqrt(128) times that: checks that the rows
     * past the memory budget (parked in a temp file) come back complete and in order. */
    mc_array st = {0}, lm = {0};
    snprintf(f, sizeof f, "%s/mfcc_stats.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &st));
    snprintf(f, sizeof f, "%s/logmel.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &lm));
    MC_CHECK(st.ndim == 2 && st.shape[0] == 1200 && lm.ndim == 3 && lm.shape[0] == 1200,
             "1200 windows: mfcc_stats %lld rows, logmel %lld rows", (long long)st.shape[0], (long long)lm.shape[0]);
    if (st.data && st.shape[0] == 1200) {
        const float *s = st.data; /* (1200, 40) */
        double worst = 0;
        int64_t worst_k = 0;
        for (int64_t k = 1; k < 1200; k++) {
            double want = s[0] + sqrt(128.0) * 20.0 * log10(long_amp(k) / long_amp(0));
            double d = fabs(s[k * 40] - want);
            if (d > worst) { worst = d; worst_k = k; }
        }
        printf("  MFCC-0 mean of window k vs window 0 + sqrt(128) * 20 log10(amp k / amp 0): max |diff| %.3g at %lld\n",
               worst, (long long)worst_k);
        MC_CHECK(worst < 0.3, "window %lld: MFCC-0 off by %.3g (rows lost or out of order?)", (long long)worst_k, worst);
    }
    mc_array_free(&st);
    mc_array_free(&lm);
    /* the track's row: 53 columns, a tempo in librosa's range; every window row carries it */
    mc_array td = {0}, de = {0};
    snprintf(f, sizeof f, "%s/track_descriptors.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &td));
    snprintf(f, sizeof f, "%s/descriptors.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &de));
    if (td.data && de.data && td.ndim == 2 && td.shape[0] == 1 && td.shape[1] == 53 && de.shape[0] == 1200) {
        const float bpm = ((const float *)td.data)[52];
        int same = 0;
        for (int64_t r = 0; r < 1200; r++) same += ((const float *)de.data)[r * 53 + 52] == bpm;
        printf("  the hour's tempo %.3f BPM, in all %d window rows\n", bpm, same);
        MC_CHECK(bpm > 30 && bpm < 320 && same == 1200, "tempo %g, in %d of 1200 rows", bpm, same);
    } else {
        MC_CHECK(0, "track_descriptors (1, 53) and descriptors (1200, 53) expected");
    }
    mc_array_free(&td);
    mc_array_free(&de);
}

/* ------------------------------------------------------------------ real data */

/* A float32 (rows, 130) reference of any memory order (chroma_stft is saved Fortran-ordered, which
 * mc_npy_read_f32 refuses) into out (rows, 130) row-major. Returns true on success. */
static bool load_ref(const char *path, int rows, float *out) {
    size_t len = 0;
    char *b = mc_test_read_file(path, &len);
    bool ok = b && len > 10 && memcmp(b, "\x93NUMPY", 6) == 0 && b[6] == 1;
    const size_t hlen = ok ? (size_t)((unsigned char)b[8] | ((unsigned char)b[9] << 8)) : 0;
    char want[64];
    snprintf(want, sizeof want, "(%d, 130)", rows);
    ok = ok && 10 + hlen + (size_t)rows * 130 * 4 == len;
    if (ok) {
        char hdr[1024] = {0};
        memcpy(hdr, b + 10, hlen < sizeof hdr - 1 ? hlen : sizeof hdr - 1);
        ok = strstr(hdr, "'<f4'") && strstr(hdr, want);
        const bool fortran = strstr(hdr, "'fortran_order': True") != NULL;
        const float *raw = (const float *)(b + 10 + hlen); /* the data is 16-byte aligned in the file */
        float v;
        for (int r = 0; ok && r < rows; r++)
            for (int t = 0; t < 130; t++) {
                memcpy(&v, fortran ? raw + (size_t)t * rows + r : raw + (size_t)r * 130 + t, sizeof v);
                out[r * 130 + t] = v;
            }
    }
    free(b);
    return ok;
}

/* librosa's whole-clip tempo of a reference clip (descriptors.json), NAN if absent. */
static double json_tempo(const char *clip) {
    char path[1024];
    snprintf(path, sizeof path, "%s/reference/librosa-0.10.2/descriptors.json", MC_SHARED_DIR);
    char *buf = mc_test_read_file(path, NULL);
    if (!buf) return NAN;
    char key[128];
    snprintf(key, sizeof key, "\"%s\"", clip);
    const char *p = strstr(buf, "\"clips\"");
    p = p ? strstr(p, key) : NULL;
    p = p ? strstr(p, "\"tempo_bpm_whole_clip\"") : NULL;
    p = p ? strchr(p, ':') : NULL;
    double v = p ? strtod(p + 1, NULL) : NAN;
    free(buf);
    return v;
}

/* The descriptors of the gtzan-mini store (out, extracted with the defaults) end to end: the first
 * segment of the three reference clips against the mean and variance of librosa's per-frame arrays;
 * then those three clips extracted with the tempo: the track's tempo is librosa's whole-clip tempo. */
static void test_gtzan_descriptors(const char *data, const char *out) {
    static const char *const clips[3] = {"jazz.00005", "metal.00003", "classical.00007"};
    static const struct { const char *file; int row, nrow; double tol_mean, tol_var; } feats[] = {
        /* tolerances relative to max(1, |reference|): the per-frame values agree to 1e-5 or better
         * (tests/test_dsp.c), so do their mean and variance */
        {"chroma_stft", MC_DSP_DESC_CHROMA, 12, 1e-5, 1e-5},
        {"spectral_centroid", MC_DSP_DESC_CENTROID, 1, 1e-6, 1e-5},
        {"spectral_bandwidth", MC_DSP_DESC_BANDWIDTH, 1, 1e-6, 1e-5},
        {"spectral_rolloff", MC_DSP_DESC_ROLLOFF, 1, 1e-6, 1e-6},
        {"spectral_flatness", MC_DSP_DESC_FLATNESS, 1, 1e-5, 1e-5},
        {"spectral_contrast", MC_DSP_DESC_CONTRAST, 7, 1e-4, 1e-4},
        {"rms", MC_DSP_DESC_RMS, 1, 1e-6, 1e-6},
        {"zero_crossing_rate", MC_DSP_DESC_ZCR, 1, 1e-6, 1e-6},
        {"onset_strength", MC_DSP_DESC_ONSET, 1, 1e-5, 1e-4},
    };
    char f[2100];
    mc_array de = {0}, td = {0};
    snprintf(f, sizeof f, "%s/descriptors.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &de));
    snprintf(f, sizeof f, "%s/track_descriptors.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &td));
    MC_CHECK(de.ndim == 2 && de.shape[0] == 537 && de.shape[1] == 52 && td.ndim == 2 && td.shape[0] == 100 &&
                 td.shape[1] == 52, "gtzan descriptors (537, 52) and (100, 52)");
    snprintf(f, sizeof f, "%s/index.tsv", out);
    char *index = mc_test_read_file(f, NULL);
    for (int c = 0; c < 3 && index && de.data && de.shape[1] == 52; c++) {
        char needle[128];
        snprintf(needle, sizeof needle, "/%s.flac\t0\t", clips[c]);
        char *hit = strstr(index, needle);
        if (!hit) continue;
        while (hit > index && hit[-1] != '\n') hit--;
        const float *row = (const float *)de.data + atol(hit) * 52;
        double worst_m = 0, worst_v = 0;
        const char *wm = "", *wv = "";
        for (size_t k = 0; k < sizeof feats / sizeof feats[0]; k++) {
            char ref[1200];
            float r[12 * 130]; /* (nrow, 130) */
            snprintf(ref, sizeof ref, "%s/reference/librosa-0.10.2/%s.seg0.%s.npy", MC_SHARED_DIR, clips[c],
                     feats[k].file);
            bool ok = load_ref(ref, feats[k].nrow, r);
            MC_CHECK(ok, "%s: cannot read a (%d, 130) float32 array", ref, feats[k].nrow);
            if (!ok) continue;
            const int64_t F = 130;
            for (int q = 0; q < feats[k].nrow; q++) {
                const float *v = r + q * F;
                double m = 0, var = 0;
                for (int64_t t = 0; t < F; t++) m += v[t];
                m /= (double)F;
                for (int64_t t = 0; t < F; t++) var += (v[t] - m) * (v[t] - m);
                var /= (double)F;
                const int col = feats[k].row + q;
                const double em = fabs(row[col] - m) / fmax(1.0, fabs(m));
                const double ev = fabs(row[MC_DSP_DESC_ROWS + col] - var) / fmax(1.0, fabs(var));
                MC_CHECK(em <= feats[k].tol_mean && ev <= feats[k].tol_var,
                         "%s seg0 %s: mean %.9g (librosa %.9g), var %.9g (librosa %.9g)", clips[c],
                         mc_dsp_desc_row_name(col), row[col], m, row[MC_DSP_DESC_ROWS + col], var);
                if (em > worst_m) { worst_m = em; wm = mc_dsp_desc_row_name(col); }
                if (ev > worst_v) { worst_v = ev; wv = mc_dsp_desc_row_name(col); }
            }
        }
        printf("  %s seg0 descriptor statistics vs librosa: max rel diff mean %.2g (%s), variance %.2g (%s)\n",
               clips[c], worst_m, wm, worst_v, wv);
    }
    free(index);
    mc_array_free(&de);
    mc_array_free(&td);

    /* --tempo on the three clips: 53 columns, the tempo last, librosa's whole-clip value */
    char paths[3][1200], tout[1200];
    const char *inputs[3];
    static const char *const genres[3] = {"jazz", "metal", "classical"};
    for (int c = 0; c < 3; c++) {
        snprintf(paths[c], sizeof paths[c], "%s/gtzan-mini/%s/%s.flac", data, genres[c], clips[c]);
        inputs[c] = paths[c];
    }
    snprintf(tout, sizeof tout, "%s/gtzan_tempo", mc_test_tmpdir("data_gtzan_tempo"));
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    cfg.tempo = true;
    mc_extract_summary s = {0};
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 3, tout, NULL, &s));
    snprintf(f, sizeof f, "%s/track_descriptors.npy", tout);
    MC_CHECK_OK(mc_npy_read(f, &td));
    snprintf(f, sizeof f, "%s/descriptors.npy", tout);
    MC_CHECK_OK(mc_npy_read(f, &de));
    snprintf(f, sizeof f, "%s/descriptor_names.txt", tout);
    MC_CHECK(count_lines(f) == 53 && file_contains(f, "onset_strength_var\ntempo\n"), "53 names, tempo last");
    if (td.data && td.shape[0] == 3 && td.shape[1] == 53 && de.data && de.shape[1] == 53) {
        int64_t seg = 0;
        for (int c = 0; c < 3; c++) {
            const float got = ((const float *)td.data)[c * 53 + 52];
            const double want = json_tempo(clips[c]);
            printf("  %s: track tempo %.6f BPM, librosa's whole clip %.6f\n", clips[c], got, want);
            MC_CHECK(got == (float)want, "%s: tempo %.9g, librosa %.9g", clips[c], got, want);
            /* every segment row of the track carries it (the three tempi differ from their neighbours') */
            for (; seg < de.shape[0]; seg++) {
                const float v = ((const float *)de.data)[seg * 53 + 52];
                if (v != got) break;
            }
        }
        MC_CHECK(seg == de.shape[0], "every segment row carries its track's tempo (%lld of %lld)", (long long)seg,
                 (long long)de.shape[0]);
    } else {
        MC_CHECK(0, "track_descriptors with --tempo: shape (%lld, %lld), want (3, 53)", (long long)td.shape[0],
                 (long long)td.shape[1]);
    }
    mc_array_free(&de);
    mc_array_free(&td);
}

static void test_gtzan(const char *data) {
    printf("gtzan-mini (real FLAC)\n");
    char in[1024], out[1024], f[2100];
    snprintf(in, sizeof in, "%s/gtzan-mini", data);
    snprintf(out, sizeof out, "%s/gtzan", mc_test_tmpdir("data_gtzan"));
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    const char *inputs[1] = {in};
    mc_extract_summary s = {0};
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out, NULL, &s));
    printf("  %lld tracks, %lld segments in %.2f s\n", (long long)s.tracks, (long long)s.segments, s.seconds);
    MC_CHECK(s.tracks == 100 && s.segments == 537, "gtzan-mini: %lld tracks %lld segments, want 100 / 537",
             (long long)s.tracks, (long long)s.segments);
    snprintf(f, sizeof f, "%s/tracks.tsv", out);
    char *tracks = mc_test_read_file(f, NULL);
    int bad_counts = 0;
    for (char *line = tracks ? strchr(tracks, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
        /* columns: track track_id path duration_s sample_rate channels format segments genre */
        char *cols[9] = {0};
        char *p = line + 1;
        for (int c = 0; c < 9 && p; c++) {
            cols[c] = p;
            p = strpbrk(p, "\t\n");
            if (p) p++;
        }
        int segs = cols[7] ? atoi(cols[7]) : 0;
        bad_counts += segs < 5 || segs > 6;
        /* the genre label is the folder, which is also the file name's prefix */
        if (cols[8] && cols[1]) bad_counts += strncmp(cols[8], cols[1], strcspn(cols[8], "\t\n")) != 0;
    }
    MC_CHECK(bad_counts == 0, "%d clips with a segment count outside 5..6 or a wrong genre", bad_counts);
    free(tracks);

    /* End to end against librosa: the first segment of three clips, decoded by us. */
    mc_array st = {0}, lm = {0};
    snprintf(f, sizeof f, "%s/mfcc_stats.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &st));
    snprintf(f, sizeof f, "%s/logmel.npy", out);
    MC_CHECK_OK(mc_npy_read(f, &lm));
    static const char *const clips[3] = {"jazz.00005", "metal.00003", "classical.00007"};
    snprintf(f, sizeof f, "%s/index.tsv", out);
    char *index = mc_test_read_file(f, NULL);
    for (int c = 0; c < 3 && index && st.data && lm.data; c++) {
        char needle[128];
        snprintf(needle, sizeof needle, "/%s.flac\t0\t", clips[c]);
        char *hit = strstr(index, needle);
        MC_CHECK(hit != NULL, "%s seg0 in index", clips[c]);
        if (!hit) continue;
        while (hit > index && hit[-1] != '\n') hit--;
        long row = atol(hit);
        char ref[1200];
        mc_array rl = {0}, rm = {0};
        snprintf(ref, sizeof ref, "%s/reference/librosa-0.10.2/%s.seg0.logmel_db.npy", MC_SHARED_DIR, clips[c]);
        MC_CHECK_OK(mc_npy_read_f32(ref, &rl));
        snprintf(ref, sizeof ref, "%s/reference/librosa-0.10.2/%s.seg0.mfcc20.npy", MC_SHARED_DIR, clips[c]);
        MC_CHECK_OK(mc_npy_read_f32(ref, &rm));
        if (!rl.data || !rm.data) continue;
        char what[128];
        snprintf(what, sizeof what, "%s log-mel dB (extract)", clips[c]);
        MC_CHECK_CLOSE(what, (float *)lm.data + row * 128 * 130, (float *)rl.data, 128 * 130, 0.01);
        float want[40];
        const float *m = rm.data; /* (20, 130) */
        for (int k = 0; k < 20; k++) {
            double mean = 0, var = 0;
            for (int t = 0; t < 130; t++) mean += m[k * 130 + t];
            mean /= 130;
            for (int t = 0; t < 130; t++) var += (m[k * 130 + t] - mean) * (m[k * 130 + t] - mean);
            want[k] = (float)mean;
            want[20 + k] = (float)(var / 130);
        }
        snprintf(what, sizeof what, "%s MFCC means (extract)", clips[c]);
        MC_CHECK_CLOSE(what, (float *)st.data + row * 40, want, 20, 0.02);
        /* variances are ~1e2..1e4: compare relative */
        float rel[20], zero[20] = {0};
        for (int k = 0; k < 20; k++)
            rel[k] = (float)fabs(((float *)st.data)[row * 40 + 20 + k] - want[20 + k]) / fmaxf(1.0f, want[20 + k]);
        snprintf(what, sizeof what, "%s MFCC variances, relative", clips[c]);
        MC_CHECK_CLOSE(what, rel, zero, 20, 1e-3);
        mc_array_free(&rl);
        mc_array_free(&rm);
    }
    free(index);
    mc_array_free(&st);
    mc_array_free(&lm);
    test_gtzan_descriptors(data, out);
}

static void test_lyrics_set(const char *data) {
    printf("lyrics-en-de (real MP3 + metadata)\n");
    char in[1024], meta[1024], out[1024], f[2100];
    snprintf(in, sizeof in, "%s/lyrics-en-de/audio", data);
    snprintf(meta, sizeof meta, "%s/lyrics-en-de/metadata.tsv", data);
    snprintf(out, sizeof out, "%s/lyr", mc_test_tmpdir("data_lyrics"));
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    cfg.metadata = meta;
    const char *inputs[1] = {in};
    mc_extract_summary s = {0};
    MC_CHECK_OK(mc_data_extract(&cfg, inputs, 1, out, NULL, &s));
    printf("  %lld tracks, %lld segments, %lld skipped in %.2f s\n", (long long)s.tracks,
           (long long)s.segments, (long long)s.skipped, s.seconds);
    MC_CHECK(s.tracks == 292 && s.skipped == 0, "292 MP3s all extracted (%lld, %lld skipped)",
             (long long)s.tracks, (long long)s.skipped);
    MC_CHECK(s.segments >= 9 * 292 && s.segments <= 10 * 292, "9-10 windows per 30-s preview: %lld",
             (long long)s.segments);
    snprintf(f, sizeof f, "%s/index.tsv", out);
    char *idx = mc_test_read_file(f, NULL);
    MC_CHECK(idx && strstr(idx, "\tlanguage") && strstr(idx, "\ttag"), "language and tag label columns");
    MC_CHECK(idx && !strstr(idx, "\tlyrics"), "lyrics kept out");
    free(idx);
    snprintf(f, sizeof f, "%s/tracks.tsv", out);
    MC_CHECK(file_contains(f, "\t44100\t2\tmp3\t"), "tracks.tsv records native rate, channels, format");

    /* extract decodes MP3 with libmpg123 directly: every 4th preview, at the native rate, must be
     * libsndfile's sf_readf_float (what soundfile hands librosa) downmixed, bit for bit. */
    mc_path_list files = {0}, bad = {0};
    int64_t ignored = 0;
    MC_CHECK_OK(mc_data_scan(inputs, 1, &files, &bad, &ignored));
    mc_audio_loader *l = NULL;
    MC_CHECK_OK(mc_audio_loader_create(0, &l));
    int compared = 0, differ = 0;
    for (size_t i = 0; l && i < files.n; i += 4) {
        SF_INFO si;
        memset(&si, 0, sizeof si);
        SNDFILE *sf = sf_open(files.items[i], SFM_READ, &si);
        if (!sf) { differ++; continue; }
        float *blk = malloc((size_t)4096 * si.channels * sizeof *blk); // (4096, channels)
        const float *y = NULL;
        int64_t n = 0, at = 0;
        bool same = mc_audio_loader_load(l, files.items[i], &y, &n, NULL) == MC_STATUS_OK;
        sf_count_t got;
        while (same && (got = sf_readf_float(sf, blk, 4096)) > 0) {
            for (sf_count_t k = 0; k < got && same; k++) {
                float m = si.channels == 2 ? (blk[2 * k] + blk[2 * k + 1]) * 0.5f : blk[k * si.channels];
                same = at + k < n && memcmp(&m, &y[at + k], sizeof m) == 0;
            }
            at += got;
        }
        same = same && at == n;
        sf_close(sf);
        free(blk);
        compared++;
        if (!same) {
            differ++;
            fprintf(stderr, "  %s: libmpg123 direct != libsndfile (%lld vs %lld frames)\n", files.items[i],
                    (long long)n, (long long)at);
        }
    }
    printf("  %d MP3s decoded directly vs through libsndfile: %d differ\n", compared, differ);
    MC_CHECK(compared >= 70 && differ == 0, "%d of %d MP3s differ from libsndfile's samples", differ, compared);
    mc_audio_loader_free(l);
    mc_path_list_free(&files);
    mc_path_list_free(&bad);
}

static void test_feature_table(const char *data) {
    printf("gtzan-features table import\n");
    char t[1024], out[1024];
    snprintf(t, sizeof t, "%s/gtzan-features/features_30_sec.csv", data);
    snprintf(out, sizeof out, "%s/tab", mc_test_tmpdir("data_table"));
    mc_extract_summary s = {0};
    MC_CHECK_OK(mc_data_import_features(t, NULL, "label", out, &s));
    char f[2100];
    snprintf(f, sizeof f, "%s/features.npy", out);
    mc_array a = {0};
    MC_CHECK_OK(mc_npy_read(f, &a));
    MC_CHECK(s.tracks == 910 && a.shape[0] == 910 && a.shape[1] == 58,
             "910 rows x 58 numeric columns (length + 57 features): %lld x %lld",
             (long long)a.shape[0], (long long)a.shape[1]);
    mc_array_free(&a);
}

int main(void) {
    test_long_track_memory(); /* first: a forked child's ru_maxrss starts at this process's RSS */
    test_synthetic();
    test_metadata_join();
    test_import();
    test_stream_matches_whole();
    const char *data = mc_test_shared_data();
    test_gtzan(data);
    test_lyrics_set(data);
    test_feature_table(data);
    return mc_test_summary("test_data");
}
