/* Timing of the synthesis side of the dsp module on 3-s clips (130 frames at sr 22050, n_fft 2048,
 * hop 512, 128 mels), one thread:
 *   stft + istft (complex STFT and its inverse), the mel inversion (pinv + 200 FISTA steps),
 *   Griffin-Lim (32 iterations, momentum 0.99), and mel -> audio (both), per clip.
 *
 *   bench_generate [--reps R] [CLIP.y.npy ...]      (default: a synthetic chord)
 *
 * Each .y.npy is a (66150,) float32 signal such as the seg0.y.npy files of ../shared/reference/librosa-0.10.2; its
 * mel power spectrogram (mc_dsp_mel_power) is what gets inverted. Prints the best of R repetitions of
 * each step (ms per clip) and the spectral convergence reached. The numpy peer's times come from
 * tools/make_generate_fixtures.py --bench. */
#include <musiclust/dsp.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { N = 66150, T = 130, NB = 1025, NM = 128 };

static int bench_clip(const char *name, const float *y, const mc_dsp_plan *p, mc_dsp_synth *s,
                      mc_dsp_workspace *w, int reps) {
    float *X = calloc((size_t)NB * T * 2, sizeof *X), *S = calloc((size_t)NB * T, sizeof *S);
    float *mel = calloc((size_t)NM * T, sizeof *mel), *pw = calloc((size_t)NB * T, sizeof *pw);
    float *g = calloc(N, sizeof *g);
    if (!X || !S || !mel || !pw || !g) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9}, sc = 0, sc_mel = 0, resid = 0;
    mc_dsp_griffinlim_options o;
    mc_dsp_griffinlim_options_default(&o);
    mc_rng rng;
    o.rng = &rng;
    mc_dsp_inverse_stats st;
    int bad = 0;
    bad |= mc_dsp_mel_power(p, w, y, N, mel) != MC_STATUS_OK;
    for (int r = 0; r < reps && !bad; r++) {
        double t0 = wall_s();
        bad |= mc_dsp_stft(p, s, y, N, X) != MC_STATUS_OK;
        double t1 = wall_s();
        bad |= mc_dsp_istft(p, s, X, T, N, g) != MC_STATUS_OK;
        double t2 = wall_s();
        for (int64_t i = 0; i < (int64_t)NB * T; i++) S[i] = hypotf(X[2 * i], X[2 * i + 1]);
        mc_rng_seed(&rng, 0, 0);
        double t3 = wall_s();
        bad |= mc_dsp_griffinlim(p, s, S, T, &o, N, g, &sc) != MC_STATUS_OK;
        double t4 = wall_s();
        bad |= mc_dsp_mel_to_power(p, s, mel, T, MC_DSP_MEL_INVERSE_ITER, pw, &resid) != MC_STATUS_OK;
        double t5 = wall_s();
        mc_rng_seed(&rng, 0, 0);
        bad |= mc_dsp_mel_to_audio(p, s, mel, T, MC_DSP_MEL_INVERSE_ITER, &o, N, g, &st) != MC_STATUS_OK;
        double t6 = wall_s();
        sc_mel = st.spectral_convergence;
        const double d[5] = {t1 - t0, t2 - t1, t4 - t3, t5 - t4, t6 - t5};
        for (int k = 0; k < 5; k++) best[k] = fmin(best[k], d[k]);
    }
    if (bad) {
        fprintf(stderr, "%s: %s\n", name, mc_error_message());
    } else {
        printf("%-18s stft %.2f ms, istft %.2f ms, griffinlim(32) %.1f ms (convergence %.4f), "
               "mel->power(%d) %.1f ms (residual %.2g), mel->audio %.1f ms (convergence %.4f)\n",
               name, 1e3 * best[0], 1e3 * best[1], 1e3 * best[2], sc, MC_DSP_MEL_INVERSE_ITER, 1e3 * best[3],
               resid, 1e3 * best[4], sc_mel);
    }
    free(X);
    free(S);
    free(mel);
    free(pw);
    free(g);
    return bad;
}

int main(int argc, char **argv) {
    int reps = 5, first = 1;
    if (first + 1 < argc && strcmp(argv[first], "--reps") == 0) {
        reps = atoi(argv[first + 1]);
        first += 2;
    }
    if (reps < 1) reps = 1;
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    c.fmax = 11025.0;
    mc_dsp_plan *p = NULL;
    mc_dsp_synth *s = NULL;
    mc_dsp_workspace *w = NULL;
    double t0 = wall_s();
    if (mc_dsp_plan_create(&c, &p) != MC_STATUS_OK || mc_dsp_synth_create(p, T, &s) != MC_STATUS_OK ||
        mc_dsp_workspace_create(p, N, &w) != MC_STATUS_OK) {
        fprintf(stderr, "bench_generate: %s\n", mc_error_message());
        return 1;
    }
    printf("plan + synthesis workspace (incl. the mel basis' pseudo-inverse): %.1f ms; best of %d, 1 thread, "
           "3-s clips (66150 samples, 130 frames)\n", 1e3 * (wall_s() - t0), reps);
    int bad = 0;
    if (first >= argc) {
        float *y = calloc(N, sizeof *y);
        for (int i = 0; i < N; i++) {
            double t = (double)i / 22050, v = 0;
            static const double f[4] = {261.63, 329.63, 392.0, 523.25}, a[4] = {0.5, 0.35, 0.3, 0.15};
            for (int k = 0; k < 4; k++) v += a[k] * sin(2 * M_PI * f[k] * t);
            y[i] = (float)(0.5 * v * exp(-1.5 * t));
        }
        bad |= bench_clip("chord", y, p, s, w, reps);
        free(y);
    }
    for (int i = first; i < argc; i++) {
        mc_array a;
        if (mc_npy_read_f32(argv[i], &a) != MC_STATUS_OK || a.ndim != 1 || a.shape[0] != N) {
            fprintf(stderr, "%s: need a (66150,) signal (%s)\n", argv[i], mc_error_message());
            bad = 1;
            continue;
        }
        const char *base = strrchr(argv[i], '/');
        char name[64];
        snprintf(name, sizeof name, "%s", base ? base + 1 : argv[i]);
        char *dot = strstr(name, ".seg0");
        if (dot) *dot = '\0';
        bad |= bench_clip(name, a.data, p, s, w, reps);
        mc_array_free(&a);
    }
    mc_dsp_workspace_free(w);
    mc_dsp_synth_free(s);
    mc_dsp_plan_free(p);
    return bad;
}
