/* data module: scanning, segmentation into the store, labels from folders and metadata, bad input,
 * byte-identical output for any thread count, feature-table import; then the real corpora in
 * ../shared/data (537 GTZAN segments, librosa agreement end to end, the MP3 + metadata set). */
#include "mc_test.h"

#include <musiclust/audio.h>
#include <musiclust/data.h>

#include <math.h>
#include <stdint.h>

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
                                        "skipped.tsv"};
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
    MC_CHECK(file_contains(f, "'ghost') has no audio file"), "metadata row without file reported");
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

/* ------------------------------------------------------------------ real data */

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
    test_synthetic();
    test_import();
    const char *data = mc_test_shared_data();
    test_gtzan(data);
    test_lyrics_set(data);
    test_feature_table(data);
    return mc_test_summary("test_data");
}
