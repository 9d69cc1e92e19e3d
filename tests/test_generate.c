/* Generation: a tiny conv cvae trained on a synthetic feature store (three "genres" of tones and noise,
 * log-mel features made with the dsp module) decodes samples and interpolations into WAV files through
 * mc_model_logmel_to_audio and `musiclust generate` (WAV, .npy, PNG, generate.tsv); exit statuses of
 * the CLI. Then, when
 * ../shared/data is present (mc_test_shared_data), Griffin-Lim from the mel spectrograms of the librosa
 * reference clips, with the figures of the numpy peer (tools/make_generate_fixtures.py --report). */
#include "mc_test.h"

#include <musiclust/audio.h>
#include <musiclust/dsp.h>
#include <musiclust/models.h>

#include <stdint.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ the synthetic store */

enum { SR = 8000, NFFT = 512, HOP = 128, NMELS = 16, SEG = 4352, FRAMES = 35, TRACKS = 12, ROWS = 24 };
static const char *const GENRES[3] = {"jazz", "metal", "pop"};

static void dsp_config(mc_dsp_config *c) {
    mc_dsp_config_default(c);
    c->sr = SR;
    c->n_fft = NFFT;
    c->hop = HOP;
    c->n_mels = NMELS;
    c->n_mfcc = 4;
}

/* Track k (genre k % 3), two segments each: jazz a 440 Hz tone with its octave, metal noise, pop a
 * 1500 Hz tone over 200 Hz; amplitudes and phases vary with the track. logmel (ROWS, NMELS, FRAMES) dB. */
static void make_logmel(float *logmel) {
    mc_dsp_config c;
    dsp_config(&c);
    mc_dsp_plan *p = NULL;
    mc_dsp_workspace *w = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    MC_CHECK_OK(mc_dsp_workspace_create(p, SEG, &w));
    MC_CHECK(mc_dsp_frame_count(&c, SEG) == FRAMES, "frames per segment");
    float *y = mc_test_xcalloc(SEG, sizeof *y);
    mc_rng r;
    mc_rng_seed(&r, 11, 0);
    for (int row = 0; row < ROWS; row++) {
        const int track = row / 2, g = track % 3;
        const double a = 0.2 + 0.05 * track, ph = 0.7 * row;
        for (int i = 0; i < SEG; i++) {
            const double t = (double)i / SR;
            double v;
            if (g == 0) v = a * (sin(2 * M_PI * 440 * t + ph) + 0.5 * sin(2 * M_PI * 880 * t));
            else if (g == 1) v = a * 0.5 * mc_rng_normal(&r);
            else v = a * (sin(2 * M_PI * 1500 * t + ph) + 0.7 * sin(2 * M_PI * 200 * t));
            y[i] = (float)v;
        }
        float *o = logmel + (size_t)row * NMELS * FRAMES;
        MC_CHECK_OK(mc_dsp_mel_power(p, w, y, SEG, o));
        mc_dsp_power_to_db(o, NMELS * FRAMES, 1.0, 1e-10, 80.0, o);
    }
    free(y);
    mc_dsp_workspace_free(w);
    mc_dsp_plan_free(p);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    MC_CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* index.tsv, tracks.tsv, mfcc_stats.npy, logmel.npy and extract.json of the synthetic rows */
static void write_store(const char *dir, const float *logmel) {
    MC_CHECK_OK(mc_mkdirs(dir));
    char p[1024];
    snprintf(p, sizeof p, "%s/index.tsv", dir);
    FILE *f = fopen(p, "w");
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tgenre\n", f);
    for (int row = 0; row < ROWS; row++) {
        const int track = row / 2;
        fprintf(f, "%d\t%d\taudio/%s/%s.%05d.wav\t%g\t0\t%s\n", row, track, GENRES[track % 3], GENRES[track % 3],
                track, (row % 2) * 0.544, GENRES[track % 3]);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/tracks.tsv", dir);
    f = fopen(p, "w");
    fputs("track\ttrack_id\tpath\tduration_s\tsample_rate\tchannels\tformat\tsegments\tgenre\n", f);
    for (int t = 0; t < TRACKS; t++)
        fprintf(f, "%d\tid%d\taudio/%s/%s.%05d.wav\t1.088\t8000\t1\twav\t2\t%s\n", t, t, GENRES[t % 3],
                GENRES[t % 3], t, GENRES[t % 3]);
    fclose(f);
    float stats[ROWS * 4];
    for (int i = 0; i < ROWS * 4; i++) stats[i] = (float)sin(i);
    int64_t vs[2] = {ROWS, 4}, ms[3] = {ROWS, NMELS, FRAMES};
    snprintf(p, sizeof p, "%s/mfcc_stats.npy", dir);
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 2, vs, stats));
    snprintf(p, sizeof p, "%s/logmel.npy", dir);
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 3, ms, logmel));
    snprintf(p, sizeof p, "%s/extract.json", dir);
    write_text(p, "{\n  \"sr\": 8000,\n  \"segment_s\": 0.544,\n  \"n_fft\": 512,\n  \"hop_length\": 128,\n"
                  "  \"n_mels\": 16,\n  \"fmin\": 0,\n  \"fmax\": 4000,\n  \"n_mfcc\": 4\n}\n");
}

/* A small conv cvae (channels 4, 4, 8, 8, latent 3) trained for 3 epochs, saved to path; with
 * logmel_input false an MLP cvae on the vectors, with kind conv-vae the unconditional conv model. */
static void train_model(const char *store, const char *path, bool logmel_input, mc_model_kind kind) {
    mc_model_data d;
    MC_CHECK_OK(mc_model_data_load(store, logmel_input ? MC_MODEL_INPUT_LOGMEL : MC_MODEL_INPUT_VECTORS,
                                   kind == MC_MODEL_KIND_CVAE ? "genre" : NULL, &d));
    mc_model_config c;
    mc_model_config_default(kind, &c);
    c.condition = kind == MC_MODEL_KIND_CVAE ? "genre" : NULL;
    c.epochs = 3;
    c.batch = 8;
    c.latent = 3;
    c.seed = 4;
    if (logmel_input) {
        c.input = MC_MODEL_INPUT_LOGMEL;
        c.channels[0] = 4;
        c.channels[1] = 4;
        c.channels[2] = 8;
        c.channels[3] = 8;
    }
    mc_model *m = NULL;
    MC_CHECK_OK(mc_model_create(&c, &d, &m));
    if (m) {
        mc_train_options o = {1, NULL, NULL, 0, false};
        mc_train_summary s;
        MC_CHECK_OK(mc_model_train(m, &d, &o, NULL, &s));
        MC_CHECK_OK(mc_model_save(m, path));
    }
    mc_model_free(m);
    mc_model_data_free(&d);
}

/* ------------------------------------------------------------------ the library */

static bool all_finite(const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return false;
    return true;
}

static double rms(const float *x, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)n);
}

static void test_library(const char *store, const char *model_path, const char *mlp_path) {
    printf("library: decode, audio, rows of a store\n");
    mc_model *m = NULL;
    MC_CHECK_OK(mc_model_load(model_path, &m));
    if (!m) return;
    MC_CHECK_OK(mc_model_check_audio(m));
    int nc = 0;
    const char *const *cls = mc_model_classes(m, &nc);
    MC_CHECK(nc == 3 && cls && strcmp(cls[0], "jazz") == 0 && strcmp(cls[2], "pop") == 0, "classes (%d)", nc);
    int code = -1;
    MC_CHECK_OK(mc_model_class_index(m, "metal", &code));
    MC_CHECK(code == 1, "metal is class %d", code);
    MC_CHECK(mc_model_class_index(m, "polka", &code) == MC_STATUS_INVALID_ARG &&
                 strstr(mc_error_message(), "jazz, metal, pop"),
             "unknown class lists the known ones: %s", mc_error_message());

    int nd = 0;
    int64_t shape[3];
    mc_model_input_shape(m, &nd, shape);
    MC_CHECK(nd == 2 && shape[0] == NMELS && shape[1] == 32, "input shape (%lld, %lld)", (long long)shape[0],
             (long long)shape[1]);
    const int Z = mc_model_latent_dim(m), F = 32, D = NMELS * F;

    /* the decoder alone gives what encode's reconstruction gives for z = mu */
    mc_model_data d;
    MC_CHECK_OK(mc_model_data_load(store, MC_MODEL_INPUT_LOGMEL, "genre", &d));
    float *mu = mc_test_xcalloc((size_t)ROWS * Z, sizeof *mu), *rec = mc_test_xcalloc((size_t)ROWS * D, sizeof *rec);
    float *dec = mc_test_xcalloc((size_t)ROWS * D, sizeof *dec);
    MC_CHECK_OK(mc_model_encode(m, &d, 1, mu, rec, NULL));
    MC_CHECK_OK(mc_model_decode(m, mu, d.codes, ROWS, 1, dec));
    MC_CHECK_CLOSE("decode(mu, class) vs encode's reconstruction", dec, rec, (long)ROWS * D, 0.0);

    /* samples: z ~ N(0, I) from a seeded stream */
    enum { N = 4 };
    mc_rng r;
    mc_rng_seed(&r, 3, 0);
    float z[N * 8];
    mc_model_sample_latent(m, &r, N, z);
    int32_t codes[N] = {0, 1, 2, -1};
    float *lm = mc_test_xcalloc((size_t)N * D, sizeof *lm);
    MC_CHECK_OK(mc_model_decode(m, z, codes, N, 1, lm));
    MC_CHECK(all_finite(lm, (int64_t)N * D), "decoded log-mel is finite");
    /* the condition matters: the three classes decode the same z differently */
    float zz[3 * 8];
    for (int k = 0; k < 3; k++) memcpy(zz + k * Z, z, (size_t)Z * sizeof(float));
    int32_t c3[3] = {0, 1, 2};
    float *l3 = mc_test_xcalloc((size_t)3 * D, sizeof *l3);
    MC_CHECK_OK(mc_model_decode(m, zz, c3, 3, 1, l3));
    MC_CHECK(memcmp(l3, l3 + D, (size_t)D * sizeof(float)) != 0 && memcmp(l3 + D, l3 + 2 * D, (size_t)D * sizeof(float)) != 0,
             "one z decodes differently per class");
    int32_t bad[1] = {3};
    MC_CHECK(mc_model_decode(m, z, bad, 1, 1, lm) == MC_STATUS_INVALID_ARG, "class code out of range");

    /* audio: the store's parameters, rows in parallel, thread count irrelevant */
    mc_model_audio_config ac;
    mc_model_audio_config_default(&ac);
    MC_CHECK(ac.sr == 22050 && ac.n_fft == 2048 && ac.hop == 512 && ac.n_iter == 32, "defaults");
    MC_CHECK_OK(mc_model_audio_config_from_store(store, &ac));
    MC_CHECK(ac.sr == SR && ac.n_fft == NFFT && ac.hop == HOP && ac.n_mels == NMELS && ac.fmax == 4000.0,
             "extract.json read: sr %d n_fft %d hop %d n_mels %d fmax %g", ac.sr, ac.n_fft, ac.hop, ac.n_mels, ac.fmax);
    const int64_t samples = mc_model_audio_samples(&ac, F);
    MC_CHECK(samples == HOP * (F - 1), "samples %lld", (long long)samples);
    float *a1 = mc_test_xcalloc((size_t)N * samples, sizeof *a1), *a2 = mc_test_xcalloc((size_t)N * samples, sizeof *a2);
    double res[N], sc[N];
    ac.threads = 1;
    MC_CHECK_OK(mc_model_logmel_to_audio(&ac, lm, N, NMELS, F, 9, a1, res, sc));
    ac.threads = 2;
    MC_CHECK_OK(mc_model_logmel_to_audio(&ac, lm, N, NMELS, F, 9, a2, NULL, NULL));
    MC_CHECK(memcmp(a1, a2, (size_t)N * samples * sizeof(float)) == 0, "1 and 2 threads give the same bytes");
    for (int i = 0; i < N; i++) {
        const double v = rms(a1 + i * samples, samples);
        printf("  clip %d: rms %.4f, mel residual %.3g, spectral convergence %.4f\n", i, v, res[i], sc[i]);
        MC_CHECK(all_finite(a1 + i * samples, samples) && v > 1e-4, "clip %d finite and audible (rms %g)", i, v);
        MC_CHECK(res[i] < 0.05 && sc[i] < 0.6, "clip %d: residual %g, convergence %g", i, res[i], sc[i]);
    }
    /* the audio's log-mel is close to the decoded log-mel it came from */
    {
        mc_dsp_config c;
        dsp_config(&c);
        c.fmax = 4000.0;
        mc_dsp_plan *p = NULL;
        mc_dsp_workspace *w = NULL;
        MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
        MC_CHECK_OK(mc_dsp_workspace_create(p, samples, &w));
        float *back = mc_test_xcalloc((size_t)D, sizeof *back);
        double worst = 0;
        for (int i = 0; p && w && i < N; i++) {
            MC_CHECK_OK(mc_dsp_mel_power(p, w, a1 + i * samples, samples, back));
            mc_dsp_power_to_db(back, D, 1.0, 1e-10, 0.0, back);
            double s = 0;
            for (int k = 0; k < D; k++) s += ((double)back[k] - lm[i * D + k]) * ((double)back[k] - lm[i * D + k]);
            worst = fmax(worst, sqrt(s / D));
        }
        printf("  log-mel of the audio vs the decoded log-mel: dB RMSE <= %.3f\n", worst);
        MC_CHECK(worst < 3.0, "dB RMSE %g", worst);
        free(back);
        mc_dsp_workspace_free(w);
        mc_dsp_plan_free(p);
    }
    ac.n_mels = 20;
    MC_CHECK(mc_model_logmel_to_audio(&ac, lm, N, NMELS, F, 9, a1, NULL, NULL) == MC_STATUS_INVALID_ARG,
             "n_mels mismatch");

    /* rows of the store: file stem (first segment), track_id, row number */
    int64_t row = -1;
    MC_CHECK_OK(mc_model_find_row(store, "metal.00004", &row));
    MC_CHECK(row == 8, "stem metal.00004 -> row %lld, want 8", (long long)row);
    MC_CHECK_OK(mc_model_find_row(store, "id5", &row));
    MC_CHECK(row == 10, "track_id id5 -> row %lld, want 10", (long long)row);
    MC_CHECK_OK(mc_model_find_row(store, "13", &row));
    MC_CHECK(row == 13, "row number 13 -> %lld", (long long)row);
    MC_CHECK(mc_model_find_row(store, "24", &row) == MC_STATUS_INVALID_ARG, "row 24 is past the end");
    MC_CHECK(mc_model_find_row(store, "nosuch", &row) == MC_STATUS_INVALID_ARG &&
                 strstr(mc_error_message(), "nosuch"),
             "unknown track: %s", mc_error_message());
    MC_CHECK(mc_model_audio_config_from_store("/nonexistent", &ac) != MC_STATUS_OK, "missing extract.json");

    /* a cvae on vectors cannot make audio */
    mc_model *mlp = NULL;
    MC_CHECK_OK(mc_model_load(mlp_path, &mlp));
    MC_CHECK(mlp && mc_model_check_audio(mlp) == MC_STATUS_UNSUPPORTED &&
                 strstr(mc_error_message(), "--input logmel"),
             "MLP cvae: %s", mc_error_message());
    mc_model_free(mlp);

    free(mu);
    free(rec);
    free(dec);
    free(lm);
    free(l3);
    free(a1);
    free(a2);
    mc_model_data_free(&d);
    mc_model_free(m);
}

/* ------------------------------------------------------------------ the generation check */

/* Closed forms of the Fréchet distance on any sample X: FD(X, X) = 0, FD(X, X + s) = |s|^2, and for
 * Y = a X: |(1 - a) mu|^2 + (1 - a)^2 tr(S). */
static void test_frechet(void) {
    printf("Fréchet distance: closed forms\n");
    enum { N = 60, D = 6 };
    float X[N * D], Y[N * D];
    mc_rng r;
    mc_rng_seed(&r, 11, 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) X[i * D + j] = (float)(mc_rng_normal(&r) * (1 + j) + (i % 3) * 0.5 * j);
    double fd = -1, mu2 = 0, tr = 0;
    MC_CHECK_OK(mc_model_frechet_distance(X, N, X, N, D, &fd));
    MC_CHECK(fabs(fd) < 1e-6, "FD(X, X) = %.3g, want 0", fd);
    const float shift[D] = {1, -2, 0.5f, 0, 3, -1};
    double want = 0;
    for (int j = 0; j < D; j++) want += (double)shift[j] * shift[j];
    for (int i = 0; i < N * D; i++) Y[i] = X[i] + shift[i % D];
    MC_CHECK_OK(mc_model_frechet_distance(X, N, Y, N, D, &fd));
    MC_CHECK(fabs(fd - want) < 1e-4 * want, "FD(X, X + s) = %.6g, want |s|^2 = %.6g", fd, want);
    const double a = 1.7;
    for (int i = 0; i < N * D; i++) Y[i] = (float)(a * X[i]);
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++) m += X[i * D + j];
        m /= N;
        for (int i = 0; i < N; i++) v += (X[i * D + j] - m) * (X[i * D + j] - m);
        mu2 += m * m;
        tr += v / (N - 1);
    }
    want = (1 - a) * (1 - a) * (mu2 + tr);
    MC_CHECK_OK(mc_model_frechet_distance(X, N, Y, N, D, &fd));
    MC_CHECK(fabs(fd - want) < 1e-4 * want, "FD(X, aX) = %.6g, want (1-a)^2 (|mu|^2 + tr S) = %.6g", fd, want);
    MC_CHECK(mc_model_frechet_distance(X, 1, Y, N, D, &fd) == MC_STATUS_INVALID_ARG, "one row: invalid");
}

/* The check against an oracle store whose real segments are the model's own samples for the check's
 * seed and streams (their MFCC statistics computed here with the dsp module): every class's generated
 * statistics equal its real ones (FD 0), and 1-NN finds each clip itself (accuracy 1). Against the
 * ordinary store: shapes, ranges, determinism over threads; a vector model is unsupported. */
static void test_check(const char *dir, const char *store, const char *model_path, const char *mlp_path) {
    printf("generation check\n");
    mc_model *m = NULL;
    MC_CHECK_OK(mc_model_load(model_path, &m));
    if (!m) return;
    enum { P = 5, C = 3, NM = 4 };
    const int Z = mc_model_latent_dim(m), F = 32;
    char oracle[800], p[1024];
    snprintf(oracle, sizeof oracle, "%s/oracle", dir);
    MC_CHECK_OK(mc_mkdirs(oracle));
    mc_dsp_config dc;
    dsp_config(&dc);
    mc_dsp_plan *plan = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&dc, &plan));
    float z[P * 8], stats[C * P * 2 * NM], mf[NM * 32];
    float *lm = mc_test_xcalloc((size_t)P * NMELS * F, sizeof *lm);
    int32_t codes[P];
    snprintf(p, sizeof p, "%s/index.tsv", oracle);
    FILE *f = fopen(p, "w");
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tgenre\n", f);
    for (int c = 0; c < C && Z <= 8; c++) {
        mc_rng r;
        mc_rng_seed(&r, 9, 0x67656eULL + (uint64_t)c);
        mc_model_sample_latent(m, &r, P, z);
        for (int i = 0; i < P; i++) codes[i] = c;
        MC_CHECK_OK(mc_model_decode(m, z, codes, P, 1, lm));
        for (int i = 0; i < P; i++) {
            mc_dsp_mfcc(plan, lm + (int64_t)i * NMELS * F, F, mf);
            mc_dsp_mfcc_stats(mf, NM, F, stats + (c * P + i) * 2 * NM);
            fprintf(f, "%d\t%d\tx%d.wav\t0\t0\t%s\n", c * P + i, c * P + i, c * P + i, GENRES[c]);
        }
    }
    fclose(f);
    int64_t vs[2] = {C * P, 2 * NM};
    snprintf(p, sizeof p, "%s/mfcc_stats.npy", oracle);
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 2, vs, stats));
    snprintf(p, sizeof p, "%s/extract.json", oracle);
    write_text(p, "{\n  \"sr\": 8000,\n  \"segment_s\": 0.544,\n  \"n_fft\": 512,\n  \"hop_length\": 128,\n"
                  "  \"n_mels\": 16,\n  \"fmin\": 0,\n  \"fmax\": 4000,\n  \"n_mfcc\": 4\n}\n");
    mc_dsp_plan_free(plan);
    free(lm);

    mc_gen_check_config gc;
    mc_gen_check_config_default(&gc);
    gc.per_class = P;
    gc.k = 1;
    gc.seed = 9;
    gc.threads = 1;
    mc_gen_check r;
    MC_CHECK_OK(mc_model_generation_check(m, oracle, &gc, &r));
    if (r.n_classes == C) {
        double worst = 0;
        for (int c = 0; c < C; c++) {
            worst = fmax(worst, r.fd_generated[c]);
            MC_CHECK(r.knn_accuracy[c] == 1.0, "oracle: 1-NN accuracy of %s = %g, want 1", r.classes[c], r.knn_accuracy[c]);
            MC_CHECK(r.fd_other_min[c] > 0 && r.fd_other_min[c] <= r.fd_other_mean[c] && r.real_rows[c] == P,
                     "oracle: %s real/other FD min %g mean %g, %lld real rows", r.classes[c], r.fd_other_min[c],
                     r.fd_other_mean[c], (long long)r.real_rows[c]);
        }
        printf("  oracle: max FD(real, generated) = %.3g (want 0), accuracy %.3f\n", worst, r.accuracy);
        MC_CHECK(worst < 1e-6 && r.accuracy == 1.0, "oracle: FD %.3g, accuracy %g", worst, r.accuracy);
    } else {
        MC_CHECK(0, "oracle: %d classes, want %d", r.n_classes, C);
    }
    mc_gen_check_free(&r);

    /* the ordinary store: ranges, and the same figures for 1 and 2 threads */
    gc.k = 3;
    gc.per_class = 4;
    mc_gen_check a, b;
    MC_CHECK_OK(mc_model_generation_check(m, store, &gc, &a));
    gc.threads = 2;
    MC_CHECK_OK(mc_model_generation_check(m, store, &gc, &b));
    bool same = a.n_classes == C && b.n_classes == C && a.accuracy == b.accuracy, ranged = a.n_classes == C;
    double sum = 0;
    for (int c = 0; c < a.n_classes && c < b.n_classes; c++) {
        same &= a.fd_generated[c] == b.fd_generated[c] && a.knn_accuracy[c] == b.knn_accuracy[c];
        ranged &= a.knn_accuracy[c] >= 0 && a.knn_accuracy[c] <= 1 && a.fd_generated[c] >= 0 && isfinite(a.fd_generated[c]) &&
                  a.real_rows[c] == ROWS / C;
        sum += a.knn_accuracy[c];
    }
    MC_CHECK(same, "the check does not depend on the thread count");
    MC_CHECK(ranged && fabs(sum / C - a.accuracy) < 1e-12, "accuracies in [0, 1], overall = mean of the classes");
    mc_gen_check_free(&a);
    mc_gen_check_free(&b);
    mc_model_free(m);
    MC_CHECK_OK(mc_model_load(mlp_path, &m));
    MC_CHECK(m && mc_model_generation_check(m, store, &gc, &a) == MC_STATUS_UNSUPPORTED, "a vector model: unsupported");
    mc_model_free(m);
}

/* ------------------------------------------------------------------ the CLI */

static int run(const char *args, char *err, size_t cap) { return mc_test_cli("gen", args, err, cap); }

/* Read a WAV back: sample rate and samples; checks finite and audible. */
static void check_wav(mc_audio_loader *l, const char *dir, const char *name, int64_t want_n) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    const float *x = NULL;
    int64_t n = 0;
    mc_audio_info info;
    mc_status st = mc_audio_loader_load(l, p, &x, &n, &info);
    MC_CHECK(st == MC_STATUS_OK, "%s: %s", p, mc_error_message());
    if (st != MC_STATUS_OK) return;
    const double v = rms(x, n);
    MC_CHECK(info.sample_rate == SR && info.channels == 1 && n == want_n,
             "%s: %d Hz, %d channels, %lld samples (want %d Hz mono, %lld)", name, info.sample_rate,
             info.channels, (long long)n, SR, (long long)want_n);
    MC_CHECK(all_finite(x, n) && v > 1e-4, "%s: finite and audible (rms %g)", name, v);
}

static bool same_file(const char *a, const char *b) {
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void test_cli(const char *dir, const char *store, const char *model, const char *mlp, const char *conv) {
    printf("musiclust generate\n");
    char args[4096], err[8192], a[1024], b[1024];
    const int64_t samples = HOP * 31;
    mc_audio_loader *l = NULL;
    MC_CHECK_OK(mc_audio_loader_create(0, &l));

    snprintf(args, sizeof args, "generate --help");
    MC_CHECK(run(args, err, sizeof err) == 0, "generate --help exits 0");
    /* --check: check.tsv with a row per class and "all"; it needs --featdir */
    snprintf(args, sizeof args, "generate -q --check --n 4 '%s' --featdir '%s' -o '%s/chk'", model, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "generate --check exits 0: %s", err);
    snprintf(a, sizeof a, "%s/chk/check.tsv", dir);
    {
        mc_table t;
        MC_CHECK_OK(mc_table_read(a, '\t', &t));
        MC_CHECK(t.nrows == 4 && mc_table_column(&t, "knn_accuracy") == 3 && strcmp(mc_table_get(&t, 3, 0), "all") == 0,
                 "check.tsv: 3 classes and all");
        mc_table_free(&t);
    }
    snprintf(args, sizeof args, "generate -q --check '%s' -o '%s/chk2'", model, dir);
    MC_CHECK(run(args, err, sizeof err) == 2, "generate --check without --featdir: usage error");
    snprintf(args, sizeof args, "generate -q --check '%s' --featdir '%s' -o '%s/chk3'", mlp, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 1, "generate --check of a vector model: exit 1");
    snprintf(args, sizeof args, "generate -q --threads 1 '%s' --featdir '%s' --condition genre=jazz,pop --n 2 "
             "--seed 5 -o '%s/g1'", model, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "generate exits 0: %s", err);
    static const char *const files[] = {"jazz_0.wav", "jazz_1.wav", "pop_0.wav", "pop_1.wav"};
    snprintf(a, sizeof a, "%s/g1", dir);
    for (int i = 0; i < 4; i++) check_wav(l, a, files[i], samples);
    mc_array arr;
    snprintf(b, sizeof b, "%s/g1/jazz.logmel.npy", dir);
    MC_CHECK_OK(mc_npy_read(b, &arr));
    MC_CHECK(arr.ndim == 3 && arr.shape[0] == 2 && arr.shape[1] == NMELS && arr.shape[2] == 32,
             "jazz.logmel.npy (%lld, %lld, %lld)", (long long)arr.shape[0], (long long)arr.shape[1],
             (long long)arr.shape[2]);
    mc_array_free(&arr);
    struct stat sb;
    snprintf(b, sizeof b, "%s/g1/pop.png", dir);
    MC_CHECK(stat(b, &sb) == 0 && sb.st_size > 1000, "%s written", b);
    mc_table t;
    snprintf(b, sizeof b, "%s/g1/generate.tsv", dir);
    MC_CHECK_OK(mc_table_read(b, '\t', &t));
    MC_CHECK(t.nrows == 4 && mc_table_column(&t, "spectral_convergence") >= 0 &&
                 strcmp(mc_table_get(&t, 2, mc_table_column(&t, "condition")), "pop") == 0,
             "generate.tsv: %lld rows", (long long)t.nrows);
    mc_table_free(&t);

    /* the same seed gives the same files, with any thread count */
    snprintf(args, sizeof args, "generate -q --threads 2 '%s' --featdir '%s' --condition genre=jazz,pop --n 2 "
             "--seed 5 -o '%s/g2'", model, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "generate (2 threads) exits 0: %s", err);
    int same = 0;
    for (int i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "%s/g1/%s", dir, files[i]);
        snprintf(b, sizeof b, "%s/g2/%s", dir, files[i]);
        same += same_file(a, b);
    }
    MC_CHECK(same == 4, "%d of 4 WAV files identical across runs and thread counts", same);
    snprintf(args, sizeof args, "generate -q '%s' --featdir '%s' --condition genre=jazz --n 1 --seed 6 -o '%s/g3'",
             model, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "generate --seed 6 exits 0: %s", err);
    snprintf(a, sizeof a, "%s/g1/jazz_0.wav", dir);
    snprintf(b, sizeof b, "%s/g3/jazz_0.wav", dir);
    MC_CHECK(!same_file(a, b), "another seed gives another clip");

    /* no --condition: every class; parameters given as options instead of --featdir */
    snprintf(args, sizeof args, "generate -q '%s' --sr 8000 --n-fft 512 --hop 128 --n 1 --iter 4 -o '%s/g4'",
             model, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "generate without --condition exits 0: %s", err);
    snprintf(a, sizeof a, "%s/g4", dir);
    check_wav(l, a, "metal_0.wav", samples);

    /* an unconditional conv-vae: samples without a condition; --condition is refused */
    snprintf(args, sizeof args, "generate -q '%s' --featdir '%s' --n 2 -o '%s/g5'", conv, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "generate with a conv-vae exits 0: %s", err);
    snprintf(a, sizeof a, "%s/g5", dir);
    check_wav(l, a, "sample_1.wav", samples);
    snprintf(args, sizeof args, "generate -q '%s' --condition genre=jazz -o '%s/x'", conv, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "without a condition"),
             "--condition with a conv-vae exits 1: %s", err);

    /* interpolation between a file stem and a row number */
    snprintf(args, sizeof args, "generate -q '%s' --featdir '%s' --interpolate jazz.00000 9 -o '%s/gi'", model,
             store, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "generate --interpolate exits 0: %s", err);
    snprintf(a, sizeof a, "%s/gi", dir);
    for (int k = 0; k < 5; k++) {
        char name[32];
        snprintf(name, sizeof name, "interp_%d.wav", k);
        check_wav(l, a, name, samples);
    }
    snprintf(b, sizeof b, "%s/gi/interp.png", dir);
    MC_CHECK(stat(b, &sb) == 0 && sb.st_size > 1000, "%s written", b);
    snprintf(b, sizeof b, "%s/gi/generate.tsv", dir);
    MC_CHECK_OK(mc_table_read(b, '\t', &t));
    MC_CHECK(t.nrows == 5 && strcmp(mc_table_get(&t, 2, mc_table_column(&t, "t")), "0.5") == 0 &&
                 strcmp(mc_table_get(&t, 4, mc_table_column(&t, "condition")), "jazz") == 0,
             "interpolation table: t 0.5 in the middle, track A's class");
    mc_table_free(&t);

    /* exit statuses */
    snprintf(args, sizeof args, "generate -q '%s' -o '%s/x'", mlp, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "--input logmel"), "MLP cvae exits 1: %s", err);
    snprintf(args, sizeof args, "generate -q '%s' --condition genre=polka -o '%s/x'", model, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "polka") && strstr(err, "jazz, metal, pop"),
             "unknown class exits 1 listing the known ones: %s", err);
    snprintf(args, sizeof args, "generate -q '%s' --condition mood=sad -o '%s/x'", model, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "'genre'"), "other column exits 1: %s", err);
    snprintf(args, sizeof args, "generate -q '%s' --featdir '%s' --interpolate jazz.00000 nosuch -o '%s/x'",
             model, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "nosuch"), "unknown track exits 1: %s", err);
    snprintf(args, sizeof args, "generate -q '%s/missing.safetensors' -o '%s/x'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "missing.safetensors"), "missing model exits 1: %s", err);
    snprintf(args, sizeof args, "generate -q '%s'", model);
    MC_CHECK(run(args, err, sizeof err) == 2, "no -o exits 2: %s", err);
    snprintf(args, sizeof args, "generate -q '%s' --interpolate a b -o '%s/x'", model, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--featdir"), "--interpolate without --featdir exits 2: %s", err);
    snprintf(args, sizeof args, "generate -q '%s' --featdir '%s' --interpolate a -o '%s/x'", model, store, dir);
    MC_CHECK(run(args, err, sizeof err) == 2, "--interpolate with one track exits 2: %s", err);
    snprintf(args, sizeof args, "generate -q '%s' --n 0 -o '%s/x'", model, dir);
    MC_CHECK(run(args, err, sizeof err) == 2, "--n 0 exits 2: %s", err);
    mc_audio_loader_free(l);
}

/* ------------------------------------------------------------------ librosa reference clips */

/* Figures of the numpy peer (tools/make_generate_fixtures.py --report: librosa's nnls = pinv + L-BFGS-B,
 * then griffinlim with 32 iterations from numpy.random.RandomState(0) phases). */
typedef struct peer_fig {
    const char *clip;
    double nnls_resid, sc_mel, sc_true, db_rmse;
} peer_fig;

static void test_reference_clips(void) {
    static const peer_fig peers[3] = {{"jazz.00005", 0.00751, 0.1855, 0.0551, 1.467},
                                      {"metal.00003", 0.00425, 0.1528, 0.0822, 0.805},
                                      {"classical.00007", 0.0707, 0.1947, 0.0635, 3.115}};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/reference/librosa-0.10.2", MC_SHARED_DIR);
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        printf("SKIP: %s not found: the reference-clip checks did not run\n", dir);
        return;
    }
    printf("Griffin-Lim on the librosa reference clips (sr 22050, n_fft 2048, hop 512, 128 mels)\n");
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    c.fmax = 11025.0;
    mc_dsp_plan *p = NULL;
    mc_dsp_synth *s = NULL;
    mc_dsp_workspace *w = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    if (p) MC_CHECK_OK(mc_dsp_synth_create(p, 130, &s));
    if (p) MC_CHECK_OK(mc_dsp_workspace_create(p, 66150, &w));
    if (!s || !w) goto out;
    const int64_t N = 66150, T = 130, NB = 1025, CELLS = 128 * T;
    float *X = mc_test_xcalloc((size_t)NB * T * 2, sizeof *X), *S = mc_test_xcalloc((size_t)NB * T, sizeof *S);
    float *g = mc_test_xcalloc((size_t)N, sizeof *g), *db = mc_test_xcalloc((size_t)CELLS, sizeof *db);
    float *pw = mc_test_xcalloc((size_t)NB * T, sizeof *pw), *mproj = mc_test_xcalloc((size_t)CELLS, sizeof *mproj);
    for (int k = 0; k < 3; k++) {
        char path[1200];
        mc_array y = {0}, mel = {0}, ref_db = {0};
        snprintf(path, sizeof path, "%s/%s.seg0.y.npy", dir, peers[k].clip);
        MC_CHECK_OK(mc_npy_read_f32(path, &y));
        snprintf(path, sizeof path, "%s/%s.seg0.mel_power.npy", dir, peers[k].clip);
        MC_CHECK_OK(mc_npy_read_f32(path, &mel));
        snprintf(path, sizeof path, "%s/%s.seg0.logmel_db.npy", dir, peers[k].clip);
        MC_CHECK_OK(mc_npy_read_f32(path, &ref_db));
        if (!y.data || !mel.data || !ref_db.data || y.shape[0] != N || mel.shape[1] != T) {
            MC_CHECK(0, "%s: reference arrays missing or of the wrong shape", peers[k].clip);
        } else {
            mc_rng rng;
            mc_dsp_griffinlim_options o;
            mc_dsp_griffinlim_options_default(&o);
            o.rng = &rng;
            /* Griffin-Lim from the true magnitudes */
            MC_CHECK_OK(mc_dsp_stft(p, s, y.data, N, X));
            for (int64_t i = 0; i < NB * T; i++) S[i] = hypotf(X[2 * i], X[2 * i + 1]);
            double sc_true = -1;
            mc_rng_seed(&rng, 0, 0);
            MC_CHECK_OK(mc_dsp_griffinlim(p, s, S, T, &o, N, g, &sc_true));
            /* the mel inverse and its projection back onto the mel basis */
            double resid = -1;
            MC_CHECK_OK(mc_dsp_mel_to_power(p, s, mel.data, T, MC_DSP_MEL_INVERSE_ITER, pw, &resid));
            float *Wm = mc_test_xcalloc((size_t)128 * NB, sizeof *Wm);
            MC_CHECK_OK(mc_dsp_mel_filterbank(c.sr, c.n_fft, 128, 0, 11025.0, Wm));
            int neg = 0;
            for (int64_t i = 0; i < NB * T; i++) neg += !(pw[i] >= 0);
            for (int m = 0; m < 128; m++)
                for (int64_t t = 0; t < T; t++) {
                    double acc = 0;
                    for (int64_t q = 0; q < NB; q++) acc += (double)Wm[m * NB + q] * pw[q * T + t];
                    mproj[m * T + t] = (float)acc;
                }
            free(Wm);
            mc_dsp_power_to_db(mproj, CELLS, 1.0, 1e-10, 80.0, mproj);
            double e = 0;
            for (int64_t i = 0; i < CELLS; i++) e += pow((double)mproj[i] - ((float *)ref_db.data)[i], 2);
            const double nnls_db = sqrt(e / CELLS);
            /* the whole way: mel -> audio, then its log-mel against librosa's */
            mc_dsp_inverse_stats st = {-1, -1};
            mc_rng_seed(&rng, 0, 0);
            MC_CHECK_OK(mc_dsp_mel_to_audio(p, s, mel.data, T, MC_DSP_MEL_INVERSE_ITER, &o, N, g, &st));
            MC_CHECK_OK(mc_dsp_mel_power(p, w, g, N, db));
            mc_dsp_power_to_db(db, CELLS, 1.0, 1e-10, 80.0, db);
            e = 0;
            for (int64_t i = 0; i < CELLS; i++) e += pow((double)db[i] - ((float *)ref_db.data)[i], 2);
            const double rmse = sqrt(e / CELLS);
            printf("  %-16s mel inverse: residual %.3g (peer %.3g), projection dB RMSE %.3f, %d negative\n",
                   peers[k].clip, resid, peers[k].nnls_resid, nnls_db, neg);
            printf("  %-16s spectral convergence %.4f from the mel (peer %.4f), %.4f from |STFT| (peer "
                   "%.4f); log-mel dB RMSE %.3f (peer %.3f)\n", "", st.spectral_convergence, peers[k].sc_mel,
                   sc_true, peers[k].sc_true, rmse, peers[k].db_rmse);
            MC_CHECK(neg == 0 && resid < 1e-3 && resid < peers[k].nnls_resid && nnls_db < 0.5,
                     "%s: mel inverse residual %g (peer %g), dB RMSE %g, %d negative", peers[k].clip, resid,
                     peers[k].nnls_resid, nnls_db, neg);
            MC_CHECK(sc_true < 0.12 && st.spectral_convergence < 0.25 && rmse < 2.5 &&
                         fabs(st.mel_residual - resid) < 1e-12,
                     "%s: convergence %g / %g, dB RMSE %g", peers[k].clip, sc_true, st.spectral_convergence, rmse);
        }
        mc_array_free(&y);
        mc_array_free(&mel);
        mc_array_free(&ref_db);
    }
    free(X);
    free(S);
    free(g);
    free(db);
    free(pw);
    free(mproj);
out:
    mc_dsp_workspace_free(w);
    mc_dsp_synth_free(s);
    mc_dsp_plan_free(p);
}

int main(void) {
    const char *tmp = mc_test_tmpdir("generate");
    char dir[600], store[700], model[700], mlp[700], conv[700];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(store, sizeof store, "%s/store", dir);
    snprintf(model, sizeof model, "%s/cvae.safetensors", dir);
    snprintf(mlp, sizeof mlp, "%s/mlp.safetensors", dir);
    snprintf(conv, sizeof conv, "%s/conv.safetensors", dir);
    float *logmel = mc_test_xcalloc((size_t)ROWS * NMELS * FRAMES, sizeof *logmel);
    make_logmel(logmel);
    write_store(store, logmel);
    free(logmel);
    train_model(store, model, true, MC_MODEL_KIND_CVAE);
    train_model(store, mlp, false, MC_MODEL_KIND_CVAE);
    train_model(store, conv, true, MC_MODEL_KIND_CONV_VAE);
    test_library(store, model, mlp);
    test_frechet();
    test_check(dir, store, model, mlp);
    test_cli(dir, store, model, mlp, conv);

    /* a failure above must not turn into a skip below */
    if (mc_test_failed) return mc_test_summary("test_generate");
    mc_test_shared_data(); /* skips (77) without ../shared/data */
    test_reference_clips();
    return mc_test_summary("test_generate");
}
