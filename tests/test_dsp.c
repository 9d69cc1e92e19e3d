/* dsp: window, mel scale, filterbank, STFT/mel power, power->dB, MFCC, stats, config validation; the
 * synthesis side (complex STFT, iSTFT, Griffin-Lim, mel inversion, dB -> power) against the numpy peer
 * of tools/make_generate_fixtures.py and on a synthetic chord; then the librosa 0.10.2 references in
 * ../shared/reference/librosa-0.10.2 (skipped with exit 77 when that folder is missing and nothing else
 * failed). Griffin-Lim on those real clips is in tests/test_generate.c. Then the descriptors
 * (chroma_stft, spectral centroid / bandwidth / rolloff / flatness / contrast, rms, zero-crossing rate,
 * onset strength, tempo): their API, synthetic signals with known answers, the librosa references of
 * segment 0 of the three clips and librosa's tempo of the whole clips (../shared/data). */
#include <musiclust/audio.h>
#include <musiclust/dsp.h>

#include "dsp/dsp_internal.h" /* mc_dsp_simd_force: the baseline and AVX2 kernels compared */
#include "fixtures/dsp_fixture.h"
#include "mc_test.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define REF_DIR MC_SHARED_DIR "/reference/librosa-0.10.2"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Deterministic noise in [-1, 1) (xorshift32), so the test needs nothing from core's RNG. */
static float noise(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (float)((double)*s / 2147483648.0 - 1.0);
}

/* ---------------------------------------------------------------- config validation */

static void test_config(void) {
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    MC_CHECK(c.sr == 22050 && c.n_fft == 2048 && c.hop == 512 && c.n_mels == 128 && c.n_mfcc == 20 &&
                 c.fmin == 0 && c.fmax <= 0 && c.ref == 1.0 && c.amin == 1e-10 && c.top_db == 80.0,
             "librosa defaults");
    MC_CHECK_OK(mc_dsp_config_validate(&c));
    MC_CHECK(mc_dsp_config_validate(NULL) == MC_STATUS_INVALID_ARG, "NULL config");

    /* each case breaks one option; the message must name it */
    for (int i = 0; i < 17; i++) {
        mc_dsp_config b;
        mc_dsp_config_default(&b);
        const char *opt = "";
        switch (i) {
        case 0: b.sr = 0; opt = "sr"; break;
        case 1: b.n_fft = 15; opt = "n_fft"; break;
        case 2: b.n_fft = 2050 + 1; opt = "n_fft"; break;
        case 3: b.n_fft = 8; opt = "n_fft"; break;
        case 4: b.hop = 0; opt = "hop"; break;
        case 5: b.n_mels = 0; opt = "n_mels"; break;
        case 6: b.n_mels = 1026; opt = "n_mels"; break;
        case 7: b.fmin = -1; opt = "fmin"; break;
        case 8: b.fmax = 12000; opt = "fmax"; break;
        case 9: b.fmin = 11025; opt = "fmin"; break;
        case 10: b.fmin = 5000; b.fmax = 4000; opt = "fmin"; break;
        case 11: b.n_mfcc = 0; opt = "n_mfcc"; break;
        case 12: b.n_mfcc = 129; opt = "n_mfcc"; break;
        case 13: b.amin = 0; opt = "amin"; break;
        case 14: b.ref = 0; opt = "ref"; break;
        case 15: b.fmin = NAN; opt = "fmin"; break;
        case 16: b.top_db = NAN; opt = "top_db"; break;
        }
        mc_error_clear();
        mc_status st = mc_dsp_config_validate(&b);
        const char *msg = mc_error_message();
        MC_CHECK(st == MC_STATUS_INVALID_ARG && strncmp(msg, opt, strlen(opt)) == 0,
                 "case %d (%s): status %d, message \"%s\"", i, opt, (int)st, msg);
        mc_dsp_plan *p = (mc_dsp_plan *)&b; /* any non-NULL value: must be reset */
        MC_CHECK(mc_dsp_plan_create(&b, &p) == MC_STATUS_INVALID_ARG && p == NULL,
                 "case %d: plan_create rejects and leaves NULL", i);
    }
    printf("  config: 17 bad values rejected, e.g. \"%s\"\n", mc_error_message());

    /* valid non-defaults, including fmax <= 0 meaning sr/2 */
    mc_dsp_config ok;
    mc_dsp_config_default(&ok);
    ok.sr = 16000;
    ok.n_fft = 512;
    ok.hop = 160;
    ok.n_mels = 40;
    ok.fmin = 20;
    ok.fmax = 8000;
    ok.n_mfcc = 40;
    ok.top_db = 0;
    MC_CHECK_OK(mc_dsp_config_validate(&ok));
    mc_dsp_plan *p = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&ok, &p));
    MC_CHECK(p && mc_dsp_plan_config(p)->fmax == 8000 && mc_dsp_plan_config(p)->n_mels == 40,
             "plan keeps the config");
    mc_dsp_plan_free(p);
    mc_dsp_config_default(&ok);
    MC_CHECK_OK(mc_dsp_plan_create(&ok, &p));
    MC_CHECK(p && mc_dsp_plan_config(p)->fmax == 11025.0, "fmax <= 0 resolves to sr/2 (%g)",
             p ? mc_dsp_plan_config(p)->fmax : -1.0);

    mc_dsp_workspace *w = (mc_dsp_workspace *)p;
    MC_CHECK(mc_dsp_workspace_create(p, 0, &w) == MC_STATUS_INVALID_ARG && w == NULL,
             "workspace max_samples 0 rejected");
    mc_dsp_plan_free(p);
    mc_dsp_plan_free(NULL);
    mc_dsp_workspace_free(NULL);
}

/* ---------------------------------------------------------------- window, mel scale */

static void test_hann(void) {
    float w8[8];
    mc_dsp_hann(8, w8);
    /* periodic Hann, 0.5 - 0.5 cos(2 pi i / 8) */
    const float want8[8] = {0.0f,        0.14644661f, 0.5f,        0.85355339f,
                            1.0f,        0.85355339f, 0.5f,        0.14644661f};
    MC_CHECK_CLOSE("hann(8) vs 0.5-0.5cos(2 pi i/8)", w8, want8, 8, 1e-7);
    MC_CHECK(w8[0] == 0.0f && w8[4] == 1.0f, "hann(8) ends %g, centre %g", w8[0], w8[4]);

    enum { N = 2048 };
    float w[N], want[N];
    mc_dsp_hann(N, w);
    for (int i = 0; i < N; i++) want[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / N));
    MC_CHECK_CLOSE("hann(2048) vs closed form", w, want, N, 1e-7);
    double asym = 0;
    for (int i = 1; i < N; i++) asym = fmax(asym, fabs((double)w[i] - (double)w[N - i]));
    MC_CHECK(asym <= 1e-7, "periodic Hann symmetric about n/2: %g", asym);
    float one;
    mc_dsp_hann(1, &one);
    MC_CHECK(one == 1.0f, "hann(1) = %g (scipy gives [1.])", one);
}

static void test_mel_scale(void) {
    double worst = 0;
    int n = (int)(sizeof mc_fx_hz / sizeof mc_fx_hz[0]);
    for (int i = 0; i < n; i++) {
        double m = mc_dsp_hz_to_mel(mc_fx_hz[i]);
        worst = fmax(worst, fabs(m - mc_fx_mel[i]));
    }
    printf("  hz_to_mel vs fixture                    max |diff| = %.3g\n", worst);
    MC_CHECK(worst <= 1e-12, "hz_to_mel vs fixture %g", worst);

    /* the 1 kHz breakpoint: 15 mel, continuous, linear (3 mel / 200 Hz) below it */
    MC_CHECK(fabs(mc_dsp_hz_to_mel(1000.0) - 15.0) < 1e-12, "hz_to_mel(1000) = %.17g",
             mc_dsp_hz_to_mel(1000.0));
    MC_CHECK(fabs(mc_dsp_mel_to_hz(15.0) - 1000.0) < 1e-9, "mel_to_hz(15) = %.17g",
             mc_dsp_mel_to_hz(15.0));
    double below = mc_dsp_hz_to_mel(1000.0 - 1e-7), above = mc_dsp_hz_to_mel(1000.0 + 1e-7);
    MC_CHECK(fabs(above - below) < 1e-8, "continuous at 1 kHz: %.17g vs %.17g", below, above);
    MC_CHECK(fabs(mc_dsp_hz_to_mel(200.0) - 3.0) < 1e-12, "200 Hz = 3 mel (linear part)");
    MC_CHECK(fabs(mc_dsp_hz_to_mel(6400.0) - 42.0) < 1e-9, "6.4 kHz = 15 + 27 mel (log part): %.17g",
             mc_dsp_hz_to_mel(6400.0));

    double rt = 0;
    for (double hz = 0; hz <= 22050.0; hz += 7.3) {
        double back = mc_dsp_mel_to_hz(mc_dsp_hz_to_mel(hz));
        rt = fmax(rt, fabs(back - hz) / fmax(hz, 1.0));
    }
    printf("  hz -> mel -> hz round trip              max rel diff = %.3g\n", rt);
    MC_CHECK(rt <= 1e-12, "round trip %g", rt);
}

/* ---------------------------------------------------------------- filterbank */

static void check_fixture_bank(const char *name, int sr, int n_fft, int n_mels, double f_lo,
                               double f_hi, const mc_dsp_fixture_entry *e, size_t ne, double total) {
    const int n_bins = 1 + n_fft / 2;
    float *W = mc_test_xcalloc((size_t)n_mels * n_bins, sizeof *W); /* (n_mels, n_bins) row-major */
    MC_CHECK_OK(mc_dsp_mel_filterbank(sr, n_fft, n_mels, f_lo, f_hi, W));
    double worst = 0;
    for (size_t i = 0; i < ne; i++) {
        double d = fabs((double)W[(size_t)e[i].mel * n_bins + e[i].bin] - (double)e[i].w);
        worst = fmax(worst, d / e[i].w);
    }
    /* every nonzero of a fixture row is listed: the entries just outside must be zero */
    int outside_nonzero = 0;
    for (size_t i = 0; i < ne; i++) {
        const float *row = W + (size_t)e[i].mel * n_bins;
        int first = (i == 0 || e[i - 1].mel != e[i].mel);
        int last = (i + 1 == ne || e[i + 1].mel != e[i].mel);
        if (first && e[i].bin > 0 && row[e[i].bin - 1] != 0) outside_nonzero++;
        if (last && e[i].bin + 1 < n_bins && row[e[i].bin + 1] != 0) outside_nonzero++;
    }
    double sum = 0;
    for (size_t i = 0; i < (size_t)n_mels * n_bins; i++) sum += W[i];
    printf("  %-40s max rel diff = %.3g over %zu entries, total %.9g vs %.9g\n", name, worst, ne, sum,
           total);
    MC_CHECK(worst <= 1e-6, "%s: filterbank entries vs fixture, max rel %g", name, worst);
    MC_CHECK(outside_nonzero == 0, "%s: %d nonzeros outside the fixture's ranges", name,
             outside_nonzero);
    MC_CHECK(fabs(sum - total) <= 1e-6 * total, "%s: total %.9g vs %.9g", name, sum, total);
    free(W);
}

static void test_filterbank(void) {
    check_fixture_bank("filterbank 22050/2048/128 vs fixture", 22050, 2048, 128, 0.0, 11025.0,
                       mc_fx_a_entries, sizeof mc_fx_a_entries / sizeof mc_fx_a_entries[0],
                       mc_fx_a_total);
    check_fixture_bank("filterbank 16000/512/40/20-8000 vs fixture", 16000, 512, 40, 20.0, 8000.0,
                       mc_fx_b_entries, sizeof mc_fx_b_entries / sizeof mc_fx_b_entries[0],
                       mc_fx_b_total);

    /* properties of the default bank */
    enum { SR = 22050, NFFT = 2048, NM = 128, NB = 1 + NFFT / 2 };
    float *W = mc_test_xcalloc((size_t)NM * NB, sizeof *W); /* (NM, NB) row-major */
    MC_CHECK_OK(mc_dsp_mel_filterbank(SR, NFFT, NM, 0.0, 0.0, W)); /* fmax 0 -> sr/2 */
    const double df = (double)SR / NFFT;
    double mel_f[NM + 2];
    for (int i = 0; i < NM + 2; i++) {
        mel_f[i] = mc_dsp_mel_to_hz(mc_dsp_hz_to_mel(11025.0) * i / (NM + 1));
    }
    double worst_peak_off = 0, worst_height = 0, worst_area = 0;
    int wide = 0, negative = 0;
    for (int m = 0; m < NM; m++) {
        const float *row = W + (size_t)m * NB;
        int kmax = 0, nz = 0;
        for (int k = 0; k < NB; k++) {
            if (row[k] > row[kmax]) kmax = k;
            if (row[k] < 0) negative++;
            if (row[k] > 0) nz++;
        }
        /* the peak lies within one bin of the centre frequency */
        worst_peak_off = fmax(worst_peak_off, fabs(kmax * df - mel_f[m + 1]) / df);
        /* Slaney area normalisation: the triangle's height is 2 / (f_hi - f_lo), so no weight
         * exceeds it, and its area is 1. sum(w) * df is the trapezoid rule on the triangle, whose
         * error from the three kinks is below 2 / nz^2 for nz sampled bins: check it against that
         * bound (relative to it), for filters wide enough for the bound to mean something. */
        double height = 2.0 / (mel_f[m + 2] - mel_f[m]);
        worst_height = fmax(worst_height, row[kmax] / height - 1.0);
        if (nz >= 6) {
            double area = 0;
            for (int k = 0; k < NB; k++) area += row[k] * df;
            worst_area = fmax(worst_area, fabs(area - 1.0) / (2.0 / ((double)nz * nz)));
            wide++;
        }
    }
    printf("  filterbank: peak-to-centre max %.3g bins, max weight/height - 1 = %.3g, "
           "|area - 1| <= %.3g of its bound 2/nz^2 over %d filters\n",
           worst_peak_off, worst_height, worst_area, wide);
    MC_CHECK(worst_peak_off <= 1.0, "peak within a bin of the centre: %g bins", worst_peak_off);
    MC_CHECK(worst_height <= 1e-6, "weights <= 2/(f_hi - f_lo): %g", worst_height);
    MC_CHECK(wide > 50 && worst_area <= 1.0, "area ~1: %g of the bound over %d filters", worst_area,
             wide);
    MC_CHECK(negative == 0, "%d negative weights", negative);

    MC_CHECK(mc_dsp_mel_filterbank(SR, NFFT, NM, 100.0, 50.0, W) == MC_STATUS_INVALID_ARG,
             "fmin > fmax rejected");
    MC_CHECK(mc_dsp_mel_filterbank(SR, NFFT, 0, 0.0, 0.0, W) == MC_STATUS_INVALID_ARG,
             "n_mels 0 rejected");
    free(W);
}

/* ---------------------------------------------------------------- STFT / mel power */

/* The mel power spectrogram by definition, independent of FFTW and of the sparse filter storage:
 * naive DFT of each zero-padded Hann-windowed frame in double, |X|^2, dense filterbank, in double.
 * y (n,) -> mel (n_mels, frames). */
static void mel_power_naive(const mc_dsp_config *c, const float *y, int64_t n, double *mel) {
    const int N = c->n_fft, NB = 1 + N / 2;
    const int64_t frames = mc_dsp_frame_count(c, n);
    float *W = mc_test_xcalloc((size_t)c->n_mels * NB, sizeof *W); /* (n_mels, NB) */
    double *ct = mc_test_xcalloc((size_t)N, sizeof *ct), *st = mc_test_xcalloc((size_t)N, sizeof *st); /* (N,) */
    double *x = mc_test_xcalloc((size_t)N, sizeof *x), *P = mc_test_xcalloc((size_t)NB, sizeof *P);
    if (mc_dsp_mel_filterbank(c->sr, N, c->n_mels, c->fmin, c->fmax, W) != MC_STATUS_OK) exit(1);
    for (int i = 0; i < N; i++) {
        ct[i] = cos(2.0 * M_PI * i / N);
        st[i] = sin(2.0 * M_PI * i / N);
    }
    for (int64_t t = 0; t < frames; t++) {
        for (int i = 0; i < N; i++) {
            int64_t s = t * c->hop - N / 2 + i;
            x[i] = (s >= 0 && s < n) ? (0.5 - 0.5 * ct[i]) * (double)y[s] : 0.0;
        }
        for (int k = 0; k < NB; k++) {
            double re = 0, im = 0;
            for (int i = 0; i < N; i++) {
                int q = (int)(((int64_t)k * i) % N);
                re += x[i] * ct[q];
                im -= x[i] * st[q];
            }
            P[k] = re * re + im * im;
        }
        for (int m = 0; m < c->n_mels; m++) {
            double acc = 0;
            for (int k = 0; k < NB; k++) acc += (double)W[(size_t)m * NB + k] * P[k];
            mel[(size_t)m * frames + t] = acc;
        }
    }
    free(W);
    free(ct);
    free(st);
    free(x);
    free(P);
}

static void test_mel_power(void) {
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    MC_CHECK(mc_dsp_frame_count(&c, 66150) == 130, "frames(66150) = %lld",
             (long long)mc_dsp_frame_count(&c, 66150));
    MC_CHECK(mc_dsp_frame_count(&c, 1) == 1 && mc_dsp_frame_count(&c, 511) == 1 &&
                 mc_dsp_frame_count(&c, 512) == 2 && mc_dsp_frame_count(&c, 0) == 1,
             "frames = 1 + n // hop");

    mc_dsp_plan *p = NULL;
    mc_dsp_workspace *w = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    if (!p) return;
    enum { N = 5000 };
    MC_CHECK_OK(mc_dsp_workspace_create(p, N, &w));
    if (!w) {
        mc_dsp_plan_free(p);
        return;
    }

    /* against the naive definition, on noise with a loud low tone (quiet high bins) */
    static float y[N];
    uint32_t s = 12345;
    for (int i = 0; i < N; i++)
        y[i] = 0.8f * (float)sin(2 * M_PI * 60.0 * i / 22050.0) + 1e-3f * noise(&s);
    const int64_t frames = mc_dsp_frame_count(&c, N); /* 10 */
    float *mel = mc_test_xcalloc((size_t)128 * frames, sizeof *mel);     /* (128, frames) */
    double *ref = mc_test_xcalloc((size_t)128 * frames, sizeof *ref);    /* (128, frames) */
    MC_CHECK_OK(mc_dsp_mel_power(p, w, y, N, mel));
    mel_power_naive(&c, y, N, ref);
    double worst = 0, peak = 0;
    for (int64_t i = 0; i < 128 * frames; i++) peak = fmax(peak, ref[i]);
    for (int64_t i = 0; i < 128 * frames; i++)
        if (ref[i] > 1e-9 * peak) worst = fmax(worst, fabs(mel[i] - ref[i]) / ref[i]);
    printf("  mel power vs naive DFT (double)         max rel diff = %.3g (entries > 1e-9 peak)\n",
           worst);
    MC_CHECK(worst <= 1e-5, "mel power vs naive DFT: %g", worst);

    /* a pure 1 kHz sine: its energy lands in the band around 1 kHz */
    for (int i = 0; i < N; i++) y[i] = 0.5f * (float)sin(2 * M_PI * 1000.0 * i / 22050.0);
    MC_CHECK_OK(mc_dsp_mel_power(p, w, y, N, mel));
    const int64_t t = frames / 2;
    int best = 0;
    double total = 0;
    for (int m = 0; m < 128; m++) {
        total += mel[(size_t)m * frames + t];
        if (mel[(size_t)m * frames + t] > mel[(size_t)best * frames + t]) best = m;
    }
    const double top = mc_dsp_hz_to_mel(11025.0);
    double lo = mc_dsp_mel_to_hz(top * best / 129), hi = mc_dsp_mel_to_hz(top * (best + 2) / 129);
    double share = mel[(size_t)best * frames + t] / total;
    printf("  1 kHz sine: loudest band %d (%.0f-%.0f Hz) holds %.0f%% of the frame's mel power\n", best,
           lo, hi, 100 * share);
    MC_CHECK(lo < 1000.0 && 1000.0 < hi, "band %d spans %g-%g Hz", best, lo, hi);
    MC_CHECK(share > 0.4, "share %g", share);

    /* short signals (all padding), the size limit, a workspace from another plan */
    MC_CHECK_OK(mc_dsp_mel_power(p, w, y, 1, mel));
    MC_CHECK_OK(mc_dsp_mel_power(p, w, y, 700, mel));
    MC_CHECK(mc_dsp_mel_power(p, w, y, N + 1, mel) == MC_STATUS_INVALID_ARG, "n > max_samples");
    MC_CHECK(mc_dsp_mel_power(p, w, y, 0, mel) == MC_STATUS_INVALID_ARG, "n = 0");
    mc_dsp_plan *p2 = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p2));
    MC_CHECK(mc_dsp_mel_power(p2, w, y, N, mel) == MC_STATUS_INVALID_ARG, "workspace of another plan");
    mc_dsp_plan_free(p2);

    /* zeros in -> zeros out */
    memset(y, 0, sizeof y);
    MC_CHECK_OK(mc_dsp_mel_power(p, w, y, N, mel));
    int nonzero = 0;
    for (int64_t i = 0; i < 128 * frames; i++) nonzero += mel[i] != 0;
    MC_CHECK(nonzero == 0, "silence gives %d nonzero mel entries", nonzero);

    free(mel);
    free(ref);
    mc_dsp_workspace_free(w);
    mc_dsp_plan_free(p);
}

/* ---------------------------------------------------------------- power -> dB */

static void test_power_to_db(void) {
    const float S[6] = {0.0f, 1e-12f, 1e-10f, 1.0f, 100.0f, 1e-5f};
    float out[6];
    mc_dsp_power_to_db(S, 6, 1.0, 1e-10, 80.0, out);
    /* max is 20 dB; floor 20 - 80 = -60 */
    const float want[6] = {-60.0f, -60.0f, -60.0f, 0.0f, 20.0f, -50.0f};
    MC_CHECK_CLOSE("power_to_db top_db 80", out, want, 6, 1e-5);
    mc_dsp_power_to_db(S, 6, 1.0, 1e-10, 0.0, out);
    const float want_nofloor[6] = {-100.0f, -100.0f, -100.0f, 0.0f, 20.0f, -50.0f};
    MC_CHECK_CLOSE("power_to_db amin floor, no top_db", out, want_nofloor, 6, 1e-5);
    mc_dsp_power_to_db(S, 6, 10.0, 1e-10, 0.0, out);
    const float want_ref[6] = {-110.0f, -110.0f, -110.0f, -10.0f, 10.0f, -60.0f};
    MC_CHECK_CLOSE("power_to_db ref 10", out, want_ref, 6, 1e-5);
    float inplace[6];
    memcpy(inplace, S, sizeof S);
    mc_dsp_power_to_db(inplace, 6, 1.0, 1e-10, 80.0, inplace);
    MC_CHECK_CLOSE("power_to_db in place", inplace, want, 6, 1e-5);
    mc_dsp_power_to_db(S, 6, 1.0, 1e-3, 80.0, out);
    const float want_amin[6] = {-30.0f, -30.0f, -30.0f, 0.0f, 20.0f, -30.0f};
    MC_CHECK_CLOSE("power_to_db amin 1e-3", out, want_amin, 6, 1e-5);
}

/* ---------------------------------------------------------------- MFCC */

static void test_mfcc(void) {
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    mc_dsp_plan *p = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    if (!p) return;

    /* constant across mel: only coefficient 0, = value * sqrt(n_mels) */
    enum { F = 13 }; /* not a multiple of the internal tile */
    float logmel[128 * F], mf[20 * F];
    for (int m = 0; m < 128; m++)
        for (int t = 0; t < F; t++) logmel[m * F + t] = -37.5f + (float)t;
    mc_dsp_mfcc(p, logmel, F, mf);
    double c0 = 0, rest = 0;
    for (int t = 0; t < F; t++) {
        c0 = fmax(c0, fabs(mf[t] - (-37.5 + t) * sqrt(128.0)));
        for (int k = 1; k < 20; k++) rest = fmax(rest, fabs(mf[k * F + t]));
    }
    printf("  DCT of a constant: |c0 - v sqrt(128)| max %.3g, |c1..c19| max %.3g\n", c0, rest);
    MC_CHECK(c0 <= 1e-4 && rest <= 1e-4, "constant: c0 err %g, others %g", c0, rest);

    /* a DCT-II basis vector gives a single unit... times sqrt(N/2) */
    for (int m = 0; m < 128; m++)
        for (int t = 0; t < F; t++) logmel[m * F + t] = (float)cos(M_PI * 5 * (2 * m + 1) / 256.0);
    mc_dsp_mfcc(p, logmel, F, mf);
    double c5 = 0, others = 0;
    for (int t = 0; t < F; t++)
        for (int k = 0; k < 20; k++) {
            if (k == 5)
                c5 = fmax(c5, fabs(mf[k * F + t] - sqrt(64.0)));
            else
                others = fmax(others, fabs(mf[k * F + t]));
        }
    MC_CHECK(c5 <= 1e-5 && others <= 1e-5, "basis vector 5: c5 err %g, others %g", c5, others);
    mc_dsp_plan_free(p);

    /* orthonormality of the whole matrix: n_mfcc = n_mels = 24, identity in -> D out, D D^T = I */
    mc_dsp_config_default(&c);
    c.n_mels = 24;
    c.n_mfcc = 24;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    if (!p) return;
    float eye[24 * 24], D[24 * 24];
    for (int i = 0; i < 24 * 24; i++) eye[i] = (i / 24 == i % 24) ? 1.0f : 0.0f;
    mc_dsp_mfcc(p, eye, 24, D); /* D[k][t] = dct row k at mel t */
    double orth = 0;
    for (int a = 0; a < 24; a++)
        for (int b = 0; b < 24; b++) {
            double dot = 0;
            for (int m = 0; m < 24; m++) dot += (double)D[a * 24 + m] * D[b * 24 + m];
            orth = fmax(orth, fabs(dot - (a == b)));
        }
    printf("  DCT-II ortho (24 x 24): max |D D^T - I| = %.3g\n", orth);
    MC_CHECK(orth <= 1e-6, "D D^T = I: %g", orth);
    mc_dsp_plan_free(p);
}

static void test_mfcc_stats(void) {
    enum { K = 20, F = 130 };
    static float mf[K * F];
    uint32_t s = 777;
    for (int k = 0; k < K; k++)
        for (int t = 0; t < F; t++) mf[k * F + t] = 100.0f * (float)k - 300.0f + 40.0f * noise(&s);
    float stats[2 * K], want[2 * K];
    mc_dsp_mfcc_stats(mf, K, F, stats);
    for (int k = 0; k < K; k++) {
        double sum = 0;
        for (int t = 0; t < F; t++) sum += mf[k * F + t];
        double mean = sum / F, ss = 0;
        for (int t = 0; t < F; t++) ss += (mf[k * F + t] - mean) * (mf[k * F + t] - mean);
        want[k] = (float)mean;
        want[K + k] = (float)(ss / F);
    }
    MC_CHECK_CLOSE("mfcc_stats means vs double", stats, want, K, 1e-4);
    double worst = 0;
    for (int k = 0; k < K; k++) worst = fmax(worst, fabs(stats[K + k] - want[K + k]) / want[K + k]);
    printf("  mfcc_stats variances vs double         max rel diff = %.3g\n", worst);
    MC_CHECK(worst <= 1e-6, "variances %g", worst);
    float one[2];
    const float c[3] = {2.0f, 2.0f, 2.0f};
    mc_dsp_mfcc_stats(c, 1, 3, one);
    MC_CHECK(one[0] == 2.0f && one[1] == 0.0f, "constant row: mean %g var %g", one[0], one[1]);
}

/* ---------------------------------------------------------------- synthesis: STFT / iSTFT / Griffin-Lim /
 * mel inversion */

/* max |a - b| <= tol * max |b|, printing both */
static void check_rel(const char *what, const float *a, const float *b, long n, double tol) {
    double scale = 0;
    for (long i = 0; i < n; i++) scale = fmax(scale, fabs((double)b[i]));
    long w = 0;
    double d = mc_test_max_abs_diff(a, b, n, &w);
    printf("  %-44s max |diff| = %.3g (%.3g of max %.3g, at %ld; tol %.3g)\n", what, d,
           scale > 0 ? d / scale : d, scale, w, tol);
    MC_CHECK(d <= tol * scale, "%s: max |diff| %.6g at %ld > %.3g x %.3g", what, d, w, tol, scale);
}

static int load_fixture(const char *name, mc_array *a) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s.npy", MC_SOURCE_DIR, name);
    mc_status st = mc_npy_read_f32(path, a);
    MC_CHECK(st == MC_STATUS_OK, "%s: %s", path, mc_error_message());
    return st == MC_STATUS_OK;
}

/* A C major chord (C4 E4 G4 C5) with an exponential decay, as tools/make_generate_fixtures.py chord(). */
static void chord(float *y, int64_t n, int sr) {
    static const double f[4] = {261.63, 329.63, 392.0, 523.25}, a[4] = {0.5, 0.35, 0.3, 0.15};
    for (int64_t i = 0; i < n; i++) {
        double t = (double)i / sr, v = 0;
        for (int k = 0; k < 4; k++) v += a[k] * sin(2 * M_PI * f[k] * t);
        y[i] = (float)(v * exp(-1.5 * t) * 0.5);
    }
}

/* power_to_db(mel power of y) with the plan's settings: db (n_mels, frames) */
static void logmel_of(const mc_dsp_plan *p, mc_dsp_workspace *w, const float *y, int64_t n, float *db) {
    const mc_dsp_config *c = mc_dsp_plan_config(p);
    const int64_t frames = mc_dsp_frame_count(c, n);
    MC_CHECK_OK(mc_dsp_mel_power(p, w, y, n, db));
    mc_dsp_power_to_db(db, (int64_t)c->n_mels * frames, c->ref, c->amin, c->top_db, db);
}

static double rmse(const float *a, const float *b, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(s / (double)n);
}

/* The fixtures of tools/make_generate_fixtures.py: librosa's stft / istft / griffinlim (init=None) /
 * nnls written out in numpy, on a noisy chord at sr 8000, n_fft 512, hop 128, 32 mels, 4000 samples. */
static void test_synth_peer(void) {
    printf("synthesis vs the numpy peer (tools/make_generate_fixtures.py)\n");
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    c.sr = 8000;
    c.n_fft = 512;
    c.hop = 128;
    c.n_mels = 32;
    mc_dsp_plan *p = NULL;
    mc_dsp_synth *s = NULL;
    mc_array y = {0}, X = {0}, yi = {0}, y1000 = {0}, y4200 = {0}, gl = {0}, mel = {0};
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    if (p) MC_CHECK_OK(mc_dsp_synth_create(p, 40, &s));
    if (!s || !load_fixture("gen_y", &y) || !load_fixture("gen_stft", &X) ||
        !load_fixture("gen_istft", &yi) || !load_fixture("gen_istft_1000", &y1000) ||
        !load_fixture("gen_istft_4200", &y4200) || !load_fixture("gen_gl8_zero", &gl) ||
        !load_fixture("gen_mel", &mel))
        goto out;
    const int64_t n = y.shape[0], frames = mc_dsp_frame_count(&c, n);
    MC_CHECK(n == 4000 && frames == 32 && X.shape[0] == 257 && X.shape[1] == 32 && X.shape[2] == 2 &&
                 yi.shape[0] == 3968 && mel.shape[0] == 32 && mel.shape[1] == 32,
             "fixture shapes");
    if (n != 4000 || X.shape[1] != 32 || yi.shape[0] != 3968) goto out;
    MC_CHECK(mc_dsp_istft_length(&c, frames) == 3968, "istft length hop * (frames - 1)");

    float *Xc = mc_test_xcalloc((size_t)257 * 32 * 2, sizeof *Xc);
    float *out = mc_test_xcalloc(4200, sizeof *out);
    MC_CHECK_OK(mc_dsp_stft(p, s, y.data, n, Xc));
    check_rel("stft (complex64) vs peer", Xc, X.data, 257L * 32 * 2, 1e-6);
    MC_CHECK_OK(mc_dsp_istft(p, s, X.data, frames, 0, out));
    check_rel("istft(length=None) vs peer", out, yi.data, 3968, 1e-6);
    MC_CHECK_OK(mc_dsp_istft(p, s, X.data, frames, 1000, out));
    check_rel("istft(length=1000: 12 frames) vs peer", out, y1000.data, 1000, 1e-6);
    out[4199] = 123.0f;
    MC_CHECK_OK(mc_dsp_istft(p, s, X.data, frames, 4200, out));
    check_rel("istft(length=4200: zero tail) vs peer", out, y4200.data, 4200, 1e-6);

    /* Griffin-Lim from zero phase (init=None) is deterministic: the same algorithm gives the same
     * signal up to the precision the peer keeps (complex64 spectra, float32 signal; the same peer in
     * float64 gives this function's output to the last bit, 3.9e-5 away from the float32 one) */
    float *S = mc_test_xcalloc((size_t)257 * 32, sizeof *S); /* (257, 32) |X| */
    const float *Xf = X.data;
    for (long i = 0; i < 257L * 32; i++) S[i] = hypotf(Xf[2 * i], Xf[2 * i + 1]);
    mc_dsp_griffinlim_options o;
    mc_dsp_griffinlim_options_default(&o);
    o.n_iter = 8;
    double sc = -1;
    MC_CHECK_OK(mc_dsp_griffinlim(p, s, S, frames, &o, n, out, &sc));
    check_rel("griffinlim(n_iter 8, init=None) vs peer", out, gl.data, n, 1e-4);
    double sc_peer = -1;
    MC_CHECK_OK(mc_dsp_spectral_convergence(p, s, S, frames, gl.data, n, &sc_peer));
    printf("  spectral convergence after 8 iterations: %.4f (peer's signal %.4f)\n", sc, sc_peer);
    MC_CHECK(fabs(sc - sc_peer) < 1e-4, "spectral convergence %g vs the peer's %g", sc, sc_peer);

    /* NNLS: the peer (librosa's pinv + L-BFGS-B) reaches residual 0.0211 on this mel */
    float *pw = mc_test_xcalloc((size_t)257 * 32, sizeof *pw);
    double resid = -1, resid0 = -1;
    MC_CHECK_OK(mc_dsp_mel_to_power(p, s, mel.data, 32, 0, pw, &resid0));
    int neg = 0;
    for (long i = 0; i < 257L * 32; i++) neg += !(pw[i] >= 0);
    MC_CHECK_OK(mc_dsp_mel_to_power(p, s, mel.data, 32, MC_DSP_MEL_INVERSE_ITER, pw, &resid));
    for (long i = 0; i < 257L * 32; i++) neg += !(pw[i] >= 0);
    printf("  mel -> power: residual ||W x - M|| / ||M|| = %.3g (clipped pinv %.3g; peer's L-BFGS-B "
           "0.0211)\n", resid, resid0);
    MC_CHECK(neg == 0, "%d negative or NaN power entries", neg);
    MC_CHECK(resid < 0.0211 && resid < resid0, "residual %g (clipped pinv %g)", resid, resid0);
    free(pw);
    free(S);
    free(Xc);
    free(out);
out:
    mc_array_free(&y);
    mc_array_free(&X);
    mc_array_free(&yi);
    mc_array_free(&y1000);
    mc_array_free(&y4200);
    mc_array_free(&gl);
    mc_array_free(&mel);
    mc_dsp_synth_free(s);
    mc_dsp_plan_free(p);
}

/* iSTFT(STFT(x)) = x: the window-sum-square normalisation makes the centred STFT invertible. */
static void roundtrip_case(int sr, int n_fft, int hop, int64_t n) {
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    c.sr = sr;
    c.n_fft = n_fft;
    c.hop = hop;
    c.n_mels = 40;
    mc_dsp_plan *p = NULL;
    mc_dsp_synth *s = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    const int64_t frames = mc_dsp_frame_count(&c, n);
    if (p) MC_CHECK_OK(mc_dsp_synth_create(p, frames, &s));
    if (!s) {
        mc_dsp_plan_free(p);
        return;
    }
    float *x = mc_test_xcalloc((size_t)n, sizeof *x), *y = mc_test_xcalloc((size_t)n, sizeof *y);
    float *X = mc_test_xcalloc((size_t)(1 + n_fft / 2) * (size_t)frames * 2, sizeof *X);
    uint32_t r = 99;
    chord(x, n, sr);
    for (int64_t i = 0; i < n; i++) x[i] += 0.05f * noise(&r);
    MC_CHECK_OK(mc_dsp_stft(p, s, x, n, X));
    MC_CHECK_OK(mc_dsp_istft(p, s, X, frames, n, y));
    /* away from the edges (one window from each end) and over the whole signal */
    const int64_t e = n_fft;
    char what[128];
    snprintf(what, sizeof what, "istft(stft(x)) n_fft %d hop %d, interior", n_fft, hop);
    MC_CHECK_CLOSE(what, y + e, x + e, n - 2 * e, 1e-6);
    snprintf(what, sizeof what, "istft(stft(x)) n_fft %d hop %d, whole", n_fft, hop);
    MC_CHECK_CLOSE(what, y, x, n, 1e-5);
    free(x);
    free(y);
    free(X);
    mc_dsp_synth_free(s);
    mc_dsp_plan_free(p);
}

static void test_istft_roundtrip(void) {
    printf("iSTFT(STFT(x)) = x\n");
    roundtrip_case(22050, 2048, 512, 22050);
    roundtrip_case(16000, 400, 160, 8000);  /* hop does not divide n_fft */
    roundtrip_case(22050, 1024, 256, 7777); /* n not a multiple of hop */
}

/* Griffin-Lim and the mel inversion on a synthetic chord at the librosa defaults. */
static void test_griffinlim_chord(void) {
    printf("Griffin-Lim on a chord (sr 22050, n_fft 2048, hop 512, 128 mels)\n");
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    enum { N = 33075 }; /* 1.5 s */
    mc_dsp_plan *p = NULL;
    mc_dsp_synth *s = NULL;
    mc_dsp_workspace *w = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    const int64_t frames = mc_dsp_frame_count(&c, N); /* 65 */
    if (p) MC_CHECK_OK(mc_dsp_synth_create(p, frames, &s));
    if (p) MC_CHECK_OK(mc_dsp_workspace_create(p, N, &w));
    if (!s || !w) goto out;
    const int nb = 1025;
    float *y = mc_test_xcalloc(N, sizeof *y), *g = mc_test_xcalloc(N, sizeof *g), *g2 = mc_test_xcalloc(N, sizeof *g2);
    float *X = mc_test_xcalloc((size_t)nb * frames * 2, sizeof *X), *S = mc_test_xcalloc((size_t)nb * frames, sizeof *S);
    float *db = mc_test_xcalloc((size_t)128 * frames, sizeof *db), *dbg = mc_test_xcalloc((size_t)128 * frames, sizeof *dbg);
    float *mel = mc_test_xcalloc((size_t)128 * frames, sizeof *mel), *pw = mc_test_xcalloc((size_t)nb * frames, sizeof *pw);
    chord(y, N, c.sr);
    MC_CHECK_OK(mc_dsp_stft(p, s, y, N, X));
    for (long i = 0; i < nb * frames; i++) S[i] = hypotf(X[2 * i], X[2 * i + 1]);
    logmel_of(p, w, y, N, db);

    /* from the true magnitudes, random initial phase */
    mc_rng rng;
    mc_dsp_griffinlim_options o;
    mc_dsp_griffinlim_options_default(&o);
    o.rng = &rng;
    double sc[4];
    const int iters[4] = {0, 8, 32, 100};
    for (int k = 0; k < 4; k++) {
        mc_rng_seed(&rng, 5, 0);
        o.n_iter = iters[k];
        MC_CHECK_OK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g, &sc[k]));
    }
    logmel_of(p, w, g, N, dbg);
    const double r32 = rmse(dbg, db, 128 * frames);
    printf("  spectral convergence from |STFT|: %.4f (0 iterations), %.4f (8), %.4f (32; log-mel dB "
           "RMSE %.3f), %.4f (100)\n", sc[0], sc[1], sc[2], r32, sc[3]);
    MC_CHECK(sc[1] < sc[0] && sc[2] < sc[1] && sc[3] < sc[2], "spectral convergence falls with iterations");
    MC_CHECK(sc[2] < 0.08 && r32 < 1.5, "32 iterations: spectral convergence %g, dB RMSE %g", sc[2], r32);

    /* momentum: the "fast" variant converges faster than the original Griffin-Lim */
    o.n_iter = 32;
    o.momentum = 0.0;
    mc_rng_seed(&rng, 5, 0);
    double sc_plain = -1;
    MC_CHECK_OK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g2, &sc_plain));
    printf("  32 iterations without momentum: %.4f (with 0.99: %.4f)\n", sc_plain, sc[2]);
    MC_CHECK(sc[2] < sc_plain, "momentum 0.99 %g vs 0 %g", sc[2], sc_plain);
    o.momentum = 0.99;

    /* determinism: the same seed gives the same bytes; another seed another signal */
    mc_rng_seed(&rng, 5, 0);
    MC_CHECK_OK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g2, NULL));
    mc_rng_seed(&rng, 5, 0);
    o.n_iter = 32;
    MC_CHECK_OK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g, NULL));
    MC_CHECK(memcmp(g, g2, N * sizeof *g) == 0, "same seed, same bytes");
    mc_rng_seed(&rng, 6, 0);
    MC_CHECK_OK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g2, NULL));
    MC_CHECK(memcmp(g, g2, N * sizeof *g) != 0, "another seed, another signal");

    /* the whole way from the mel spectrogram */
    MC_CHECK_OK(mc_dsp_mel_power(p, w, y, N, mel));
    mc_dsp_inverse_stats st = {-1, -1};
    mc_rng_seed(&rng, 5, 0);
    MC_CHECK_OK(mc_dsp_mel_to_audio(p, s, mel, frames, MC_DSP_MEL_INVERSE_ITER, &o, N, g, &st));
    logmel_of(p, w, g, N, dbg);
    const double rm = rmse(dbg, db, 128 * frames);
    int finite = 1;
    for (int i = 0; i < N; i++) finite &= isfinite(g[i]);
    printf("  mel -> audio: mel residual %.3g, spectral convergence %.4f, log-mel dB RMSE %.3f\n",
           st.mel_residual, st.spectral_convergence, rm);
    MC_CHECK(finite, "mel_to_audio output has NaN/Inf");
    MC_CHECK(st.mel_residual < 1e-3 && st.spectral_convergence < 0.25 && rm < 3.0,
             "mel -> audio: residual %g, convergence %g, dB RMSE %g", st.mel_residual,
             st.spectral_convergence, rm);

    /* the mel inverse is non-negative and projects back onto the mel input */
    double resid = -1;
    MC_CHECK_OK(mc_dsp_mel_to_power(p, s, mel, frames, MC_DSP_MEL_INVERSE_ITER, pw, &resid));
    int neg = 0;
    for (long i = 0; i < nb * frames; i++) neg += !(pw[i] >= 0);
    float *back = mc_test_xcalloc((size_t)128 * frames, sizeof *back);
    float *W = mc_test_xcalloc((size_t)128 * nb, sizeof *W);
    MC_CHECK_OK(mc_dsp_mel_filterbank(c.sr, c.n_fft, 128, 0, 11025.0, W));
    double num = 0, den = 0;
    for (int m = 0; m < 128; m++)
        for (int64_t t = 0; t < frames; t++) {
            double acc = 0;
            for (int k = 0; k < nb; k++) acc += (double)W[(size_t)m * nb + k] * pw[(size_t)k * frames + t];
            back[m * frames + t] = (float)acc;
            double d = acc - mel[m * frames + t];
            num += d * d;
            den += (double)mel[m * frames + t] * mel[m * frames + t];
        }
    printf("  mel inverse: %d negative entries, ||W x - M|| / ||M|| = %.3g (reported %.3g)\n", neg,
           sqrt(num / den), resid);
    MC_CHECK(neg == 0, "%d negative entries", neg);
    MC_CHECK(sqrt(num / den) < 1e-3 && fabs(sqrt(num / den) - resid) < 1e-6 + 1e-3 * resid,
             "mel projection residual %g (reported %g)", sqrt(num / den), resid);

    /* db_to_power inverts power_to_db (without the top_db floor) */
    for (long i = 0; i < 128 * frames; i++) mel[i] = mel[i] + 1e-6f;
    mc_dsp_power_to_db(mel, 128 * frames, 1.0, 1e-10, 0.0, db);
    mc_dsp_db_to_power(db, 128 * frames, 1.0, back);
    double worst = 0;
    for (long i = 0; i < 128 * frames; i++) worst = fmax(worst, fabs(back[i] - mel[i]) / mel[i]);
    printf("  db_to_power(power_to_db(S)): max rel diff %.3g\n", worst);
    MC_CHECK(worst < 1e-5, "db_to_power round trip %g", worst);
    const float d3[3] = {0.0f, -10.0f, 20.0f};
    float p3[3];
    const float want3[3] = {2.0f, 0.2f, 200.0f};
    mc_dsp_db_to_power(d3, 3, 2.0, p3);
    MC_CHECK_CLOSE("db_to_power ref 2", p3, want3, 3, 1e-5);

    /* errors */
    MC_CHECK(mc_dsp_griffinlim(p, s, S, frames, &o, N + 512, g, NULL) == MC_STATUS_INVALID_ARG,
             "length inconsistent with the frames");
    MC_CHECK(mc_dsp_griffinlim(p, s, S, frames + 1, &o, 0, g, NULL) == MC_STATUS_INVALID_ARG,
             "more frames than the workspace");
    S[7] = -1.0f;
    MC_CHECK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g, NULL) == MC_STATUS_INVALID_ARG &&
                 strstr(mc_error_message(), "S[0, 7]"),
             "negative magnitude: %s", mc_error_message());
    S[7] = NAN;
    MC_CHECK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g, NULL) == MC_STATUS_NUMERIC, "NaN magnitude");
    o.momentum = -0.5;
    MC_CHECK(mc_dsp_griffinlim(p, s, S, frames, &o, N, g, NULL) == MC_STATUS_INVALID_ARG, "momentum < 0");
    mel[5] = INFINITY;
    MC_CHECK(mc_dsp_mel_to_power(p, s, mel, frames, 10, pw, NULL) == MC_STATUS_NUMERIC, "Inf in the mel");
    MC_CHECK(mc_dsp_stft(p, s, y, (int64_t)512 * frames, X) == MC_STATUS_INVALID_ARG, "signal too long");
    mc_dsp_synth *none = NULL;
    MC_CHECK(mc_dsp_synth_create(p, 0, &none) == MC_STATUS_INVALID_ARG && !none, "max_frames 0");
    mc_dsp_synth_free(NULL);

    free(back);
    free(W);
    free(y);
    free(g);
    free(g2);
    free(X);
    free(S);
    free(db);
    free(dbg);
    free(mel);
    free(pw);
out:
    mc_dsp_workspace_free(w);
    mc_dsp_synth_free(s);
    mc_dsp_plan_free(p);
}

/* ---------------------------------------------------------------- librosa references */

typedef struct ref_clip {
    const char *name;
    mc_array y, mel, db, mfcc;
    float *out_mel, *out_db, *out_mfcc; /* (128, 130), (128, 130), (20, 130) */
    int64_t frames;
} ref_clip;

static int load(const char *clip, const char *what, mc_array *a) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.seg0.%s.npy", REF_DIR, clip, what);
    mc_status st = mc_npy_read_f32(path, a);
    MC_CHECK(st == MC_STATUS_OK, "%s: %s", path, mc_error_message());
    return st == MC_STATUS_OK;
}

/* mel power + dB + MFCC + stats of one segment; returns 0 on failure */
static int features(const mc_dsp_plan *p, mc_dsp_workspace *w, const float *y, int64_t n, float *mel,
                    float *db, float *mfcc, float *stats) {
    const mc_dsp_config *c = mc_dsp_plan_config(p);
    const int64_t frames = mc_dsp_frame_count(c, n);
    if (mc_dsp_mel_power(p, w, y, n, mel) != MC_STATUS_OK) return 0;
    mc_dsp_power_to_db(mel, (int64_t)c->n_mels * frames, c->ref, c->amin, c->top_db, db);
    mc_dsp_mfcc(p, db, frames, mfcc);
    mc_dsp_mfcc_stats(mfcc, c->n_mfcc, frames, stats);
    return 1;
}

typedef struct thread_job {
    const mc_dsp_plan *plan;
    ref_clip *clips;
    int n_clips;
    int mismatches; /* out */
} thread_job;

static void *thread_main(void *arg) {
    thread_job *j = arg;
    mc_dsp_workspace *w = NULL;
    if (mc_dsp_workspace_create(j->plan, 66150, &w) != MC_STATUS_OK) {
        j->mismatches = -1;
        return NULL;
    }
    float *mel = mc_test_xcalloc(128 * 130, sizeof *mel), *db = mc_test_xcalloc(128 * 130, sizeof *db);
    float *mf = mc_test_xcalloc(20 * 130, sizeof *mf), st[40];
    for (int rep = 0; rep < 5; rep++)
        for (int i = 0; i < j->n_clips; i++) {
            ref_clip *c = &j->clips[i];
            if (!features(j->plan, w, c->y.data, c->y.shape[0], mel, db, mf, st)) {
                j->mismatches++;
                continue;
            }
            j->mismatches += memcmp(mel, c->out_mel, 128 * 130 * sizeof(float)) != 0;
            j->mismatches += memcmp(mf, c->out_mfcc, 20 * 130 * sizeof(float)) != 0;
        }
    free(mel);
    free(db);
    free(mf);
    mc_dsp_workspace_free(w);
    return NULL;
}

static void test_references(void) {
    static ref_clip clips[3] = {
        {.name = "jazz.00005"}, {.name = "metal.00003"}, {.name = "classical.00007"}};
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    c.fmax = 11025.0; /* as params.json */
    mc_dsp_plan *p = NULL;
    mc_dsp_workspace *w = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    MC_CHECK_OK(mc_dsp_workspace_create(p, 66150, &w));
    if (!p || !w) goto out;
    int loaded = 0;
    for (int i = 0; i < 3; i++) {
        ref_clip *r = &clips[i];
        if (!load(r->name, "y", &r->y) || !load(r->name, "mel_power", &r->mel) ||
            !load(r->name, "logmel_db", &r->db) || !load(r->name, "mfcc20", &r->mfcc))
            continue;
        const int64_t n = r->y.shape[0];
        r->frames = mc_dsp_frame_count(&c, n);
        MC_CHECK(r->y.ndim == 1 && n == 66150 && r->frames == 130 && r->mel.shape[0] == 128 &&
                     r->mel.shape[1] == 130 && r->mfcc.shape[0] == 20 && r->mfcc.shape[1] == 130,
                 "%s: reference shapes", r->name);
        if (r->frames != 130 || r->mel.shape[1] != 130) continue;
        r->out_mel = mc_test_xcalloc(128 * 130, sizeof(float));
        r->out_db = mc_test_xcalloc(128 * 130, sizeof(float));
        r->out_mfcc = mc_test_xcalloc(20 * 130, sizeof(float));
        float stats[40], mf_from_ref[20 * 130];
        MC_CHECK(features(p, w, r->y.data, n, r->out_mel, r->out_db, r->out_mfcc, stats),
                 "%s: features: %s", r->name, mc_error_message());
        loaded++;

        const float *rm = r->mel.data;
        double rel = 0, quiet_rel = 0;
        long counted = 0, quiet = 0;
        for (long i2 = 0; i2 < 128 * 130; i2++) {
            if (rm[i2] > 1e-8f) {
                double d = fabs((double)r->out_mel[i2] - rm[i2]) / rm[i2];
                rel = fmax(rel, d);
                counted++;
                if (rm[i2] < 1e-6f) {
                    quiet_rel = fmax(quiet_rel, d);
                    quiet++;
                }
            }
        }
        printf("  %-16s mel power  max rel diff = %.3g over %ld entries > 1e-8 (%.3g over the %ld "
               "quiet ones < 1e-6; tol 1e-3)\n",
               r->name, rel, counted, quiet_rel, quiet);
        MC_CHECK(rel <= 1e-3, "%s: mel power relative error %g", r->name, rel);
        char what[96];
        snprintf(what, sizeof what, "%s log-mel dB", r->name);
        MC_CHECK_CLOSE(what, r->out_db, (const float *)r->db.data, 128 * 130, 0.01);
        snprintf(what, sizeof what, "%s MFCC (end to end)", r->name);
        MC_CHECK_CLOSE(what, r->out_mfcc, (const float *)r->mfcc.data, 20 * 130, 0.02);
        mc_dsp_mfcc(p, r->db.data, 130, mf_from_ref);
        snprintf(what, sizeof what, "%s MFCC of librosa's dB", r->name);
        MC_CHECK_CLOSE(what, mf_from_ref, (const float *)r->mfcc.data, 20 * 130, 0.02);

        /* same input, same bytes */
        float *again = mc_test_xcalloc(128 * 130, sizeof(float));
        MC_CHECK_OK(mc_dsp_mel_power(p, w, r->y.data, n, again));
        MC_CHECK(memcmp(again, r->out_mel, 128 * 130 * sizeof(float)) == 0, "%s: rerun differs",
                 r->name);
        free(again);
    }

    if (loaded == 3) {
        /* one plan shared by four threads, each with its own workspace: identical bytes */
        pthread_t th[4];
        thread_job jobs[4];
        for (int i = 0; i < 4; i++) {
            jobs[i] = (thread_job){.plan = p, .clips = clips, .n_clips = 3, .mismatches = 0};
            pthread_create(&th[i], NULL, thread_main, &jobs[i]);
        }
        int bad = 0;
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            bad += jobs[i].mismatches;
        }
        MC_CHECK(bad == 0, "4 threads sharing the plan: %d mismatching results", bad);
        printf("  4 threads sharing one plan: %s\n", bad == 0 ? "byte-identical" : "MISMATCH");

        /* time per 3-s segment: mel power + dB + MFCC + stats, best of several batches */
        float *mel = mc_test_xcalloc(128 * 130, sizeof *mel), *db = mc_test_xcalloc(128 * 130, sizeof *db);
        float *mf = mc_test_xcalloc(20 * 130, sizeof *mf), st[40];
        double best = 1e9;
        for (int b = 0; b < 15; b++) {
            double t0 = now_s();
            for (int r = 0; r < 20; r++)
                features(p, w, clips[r % 3].y.data, 66150, mel, db, mf, st);
            best = fmin(best, (now_s() - t0) / 20);
        }
        printf("  time per 3-s segment (mel power + dB + MFCC + stats, 1 thread): %.0f us\n",
               best * 1e6);
        free(mel);
        free(db);
        free(mf);
    }
out:
    for (int i = 0; i < 3; i++) {
        mc_array_free(&clips[i].y);
        mc_array_free(&clips[i].mel);
        mc_array_free(&clips[i].db);
        mc_array_free(&clips[i].mfcc);
        free(clips[i].out_mel);
        free(clips[i].out_db);
        free(clips[i].out_mfcc);
    }
    mc_dsp_workspace_free(w);
    mc_dsp_plan_free(p);
}

/* ---------------------------------------------------------------- descriptors (synthetic) */

/* One plan (the librosa defaults) with its descriptor plan, and the buffers of one signal. */
typedef struct desc_ctx {
    mc_dsp_plan *p;
    mc_dsp_workspace *w;
    mc_dsp_desc_plan *d;
    mc_dsp_desc_workspace *dw;
    int64_t max_n, max_frames;
    float *mel, *mag, *desc; /* (n_mels, F) dB, (F, n_bins), (ROWS, F) */
} desc_ctx;

static int desc_open(desc_ctx *x, int64_t max_n) {
    memset(x, 0, sizeof *x);
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    x->max_n = max_n;
    x->max_frames = mc_dsp_frame_count(&c, max_n);
    MC_CHECK_OK(mc_dsp_plan_create(&c, &x->p));
    if (!x->p) return 0;
    MC_CHECK_OK(mc_dsp_workspace_create(x->p, max_n, &x->w));
    MC_CHECK_OK(mc_dsp_desc_plan_create(x->p, &x->d));
    if (!x->w || !x->d) return 0;
    MC_CHECK_OK(mc_dsp_desc_workspace_create(x->d, x->max_frames, &x->dw));
    x->mel = mc_test_xcalloc((size_t)c.n_mels * (size_t)x->max_frames, sizeof(float));
    x->mag = mc_test_xcalloc(1025 * (size_t)x->max_frames, sizeof(float));
    x->desc = mc_test_xcalloc(MC_DSP_DESC_ROWS * (size_t)x->max_frames, sizeof(float));
    return x->dw != NULL;
}

static void desc_close(desc_ctx *x) {
    free(x->mel);
    free(x->mag);
    free(x->desc);
    mc_dsp_desc_workspace_free(x->dw);
    mc_dsp_desc_plan_free(x->d);
    mc_dsp_workspace_free(x->w);
    mc_dsp_plan_free(x->p);
}

/* The MFCC path's spectra of y, then its descriptors. Returns the frame count (0 on failure). */
static int64_t desc_run(desc_ctx *x, const float *y, int64_t n, double *tuning, double *tempo) {
    const mc_dsp_config *c = mc_dsp_plan_config(x->p);
    const int64_t F = mc_dsp_frame_count(c, n);
    mc_status st = mc_dsp_mel_power_mag(x->p, x->w, y, n, x->mel, x->mag);
    MC_CHECK(st == MC_STATUS_OK, "mel_power_mag: %s", mc_error_message());
    if (st != MC_STATUS_OK) return 0;
    mc_dsp_power_to_db(x->mel, (int64_t)c->n_mels * F, c->ref, c->amin, c->top_db, x->mel);
    st = mc_dsp_descriptors(x->d, x->dw, y, n, x->mag, x->mel, x->desc, tuning, tempo);
    MC_CHECK(st == MC_STATUS_OK, "descriptors: %s", mc_error_message());
    return st == MC_STATUS_OK ? F : 0;
}

static const float *desc_row(const desc_ctx *x, int row, int64_t F) { return x->desc + (size_t)row * (size_t)F; }

static void test_desc_api(void) {
    /* names: 26 distinct rows; stats = row_mean..., row_var..., tempo */
    int ok = 1;
    for (int r = 0; r < MC_DSP_DESC_ROWS; r++) {
        const char *a = mc_dsp_desc_row_name(r);
        ok &= a != NULL;
        for (int q = 0; q < r && a; q++) ok &= strcmp(a, mc_dsp_desc_row_name(q)) != 0;
        char m[64], v[64];
        snprintf(m, sizeof m, "%s_mean", a ? a : "?");
        snprintf(v, sizeof v, "%s_var", a ? a : "?");
        ok &= mc_dsp_desc_stat_name(r) && strcmp(mc_dsp_desc_stat_name(r), m) == 0;
        ok &= mc_dsp_desc_stat_name(MC_DSP_DESC_ROWS + r) &&
              strcmp(mc_dsp_desc_stat_name(MC_DSP_DESC_ROWS + r), v) == 0;
    }
    MC_CHECK(ok, "row and statistic names");
    MC_CHECK(strcmp(mc_dsp_desc_row_name(0), "chroma_00") == 0 &&
                 strcmp(mc_dsp_desc_row_name(MC_DSP_DESC_CONTRAST + 6), "spectral_contrast_6") == 0 &&
                 strcmp(mc_dsp_desc_row_name(MC_DSP_DESC_ONSET), "onset_strength") == 0 &&
                 strcmp(mc_dsp_desc_stat_name(MC_DSP_DESC_STATS - 1), "tempo") == 0,
             "named columns");
    MC_CHECK(!mc_dsp_desc_row_name(-1) && !mc_dsp_desc_row_name(MC_DSP_DESC_ROWS) &&
                 !mc_dsp_desc_stat_name(MC_DSP_DESC_STATS),
             "names out of range are NULL");

    /* plan errors: sr 8000 puts the 6400-12800 Hz contrast band past Nyquist */
    mc_dsp_config c;
    mc_dsp_config_default(&c);
    c.sr = 8000;
    mc_dsp_plan *p = NULL;
    mc_dsp_desc_plan *d = (mc_dsp_desc_plan *)&c;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    mc_error_clear();
    mc_status st = mc_dsp_desc_plan_create(p, &d);
    MC_CHECK(st == MC_STATUS_INVALID_ARG && d == NULL && strstr(mc_error_message(), "sr = 8000"),
             "sr 8000: status %d, \"%s\"", (int)st, mc_error_message());
    mc_dsp_plan_free(p);
    /* n_fft 16 at 22050 Hz: bins 1378 Hz apart, the 200-400 Hz band holds none */
    mc_dsp_config_default(&c);
    c.n_fft = 16;
    c.hop = 4;
    c.n_mels = 4;
    c.n_mfcc = 4;
    p = NULL;
    MC_CHECK_OK(mc_dsp_plan_create(&c, &p));
    mc_error_clear();
    st = mc_dsp_desc_plan_create(p, &d);
    MC_CHECK(st == MC_STATUS_INVALID_ARG && strstr(mc_error_message(), "n_fft = 16"),
             "n_fft 16: status %d, \"%s\"", (int)st, mc_error_message());
    mc_dsp_plan_free(p);
    MC_CHECK(mc_dsp_desc_plan_create(NULL, &d) == MC_STATUS_INVALID_ARG, "NULL plan");
    mc_dsp_desc_plan_free(NULL);
    mc_dsp_desc_workspace_free(NULL);

    desc_ctx x, x2;
    if (!desc_open(&x, 4096) || !desc_open(&x2, 4096)) {
        desc_close(&x);
        desc_close(&x2);
        return;
    }
    mc_dsp_desc_workspace *w0 = (mc_dsp_desc_workspace *)&c;
    MC_CHECK(mc_dsp_desc_workspace_create(x.d, 0, &w0) == MC_STATUS_INVALID_ARG && w0 == NULL,
             "max_frames 0");
    float y[4096 * 2];
    uint32_t s = 7;
    for (int i = 0; i < 8192; i++) y[i] = 0.3f * noise(&s);
    double tu, te;
    MC_CHECK(desc_run(&x, y, 4096, &tu, &te) == 9, "frames of 4096 samples");
    /* signals shorter than a frame, or than the onset's 3 leading frames: no error, finite values */
    for (int n = 1; n <= 1500; n += 1499) {
        const int64_t F = desc_run(&x, y, n, &tu, &te);
        int finite = F == 1 + n / 512 && isfinite(te);
        for (int64_t i = 0; i < MC_DSP_DESC_ROWS * F; i++) finite &= isfinite(x.desc[i]);
        MC_CHECK(finite, "%d samples: %lld frames, finite descriptors and tempo %g", n, (long long)F, te);
    }
    MC_CHECK(mc_dsp_descriptors(x.d, x.dw, y, 8192, x.mag, x.mel, x.desc, NULL, NULL) ==
                 MC_STATUS_INVALID_ARG,
             "more frames than the workspace holds");
    MC_CHECK(mc_dsp_descriptors(x.d, x2.dw, y, 4096, x.mag, x.mel, x.desc, NULL, NULL) ==
                 MC_STATUS_INVALID_ARG,
             "workspace of another plan");
    MC_CHECK(mc_dsp_descriptors(x.d, x.dw, NULL, 4096, x.mag, x.mel, x.desc, NULL, NULL) ==
                 MC_STATUS_INVALID_ARG,
             "NULL signal");
    MC_CHECK(mc_dsp_tempo(x.d, x.dw, desc_row(&x, MC_DSP_DESC_ONSET, 9), 10, &te) == MC_STATUS_INVALID_ARG,
             "tempo: more frames than the workspace holds");
    y[1000] = NAN;
    MC_CHECK(mc_dsp_descriptors(x.d, x.dw, y, 4096, x.mag, x.mel, x.desc, NULL, NULL) == MC_STATUS_NUMERIC,
             "NaN in the signal");
    float sc[2000];
    MC_CHECK(mc_dsp_track_tempo_scratch(x.d, 4096) <= 2000, "track scratch size");
    MC_CHECK(mc_dsp_track_tempo(x.d, x.dw, y, 4096, sc, &te) == MC_STATUS_NUMERIC, "track tempo: NaN");
    y[1000] = INFINITY;
    MC_CHECK(mc_dsp_descriptors(x.d, x.dw, y, 4096, x.mag, x.mel, x.desc, NULL, NULL) == MC_STATUS_NUMERIC,
             "Inf in the signal");
    MC_CHECK(mc_dsp_track_tempo_scratch(x.d, 0) == 0, "scratch of an empty track");
    desc_close(&x);
    desc_close(&x2);
}

/* A sine at the centre of FFT bin k0 (k0 whole periods per frame): the Hann window's spectrum is
 * exactly bins k0 - 1, k0, k0 + 1 with magnitudes 1/4, 1/2, 1/4 (relative), so for every frame the
 * signal fills: centroid = k0 df, bandwidth = df / sqrt(2) (but see below), rolloff = (k0 + 1) df (85% of the sum
 * is reached at the third bin), rms = A / sqrt(2), zcr = 2 k0 / n_fft, flatness ~ 0 (the other 1022
 * bins sit near the 1e-10 floor), the onset strength of a steady tone 0, and piptrack's peak at exactly
 * k0 df (symmetric neighbours), so the tuning is the histogram bin of 12 log2(k0 df / 27.5) mod 1. */
static void test_desc_tone(void) {
    desc_ctx x;
    const int64_t n = 22050;
    if (!desc_open(&x, n)) {
        desc_close(&x);
        return;
    }
    const int k0 = 93; /* 1001.29 Hz, between B5 (987.8) and C6 (1046.5) */
    const double df = 22050.0 / 2048.0, f0 = k0 * df, A = 0.5;
    float *y = mc_test_xcalloc((size_t)n, sizeof *y);
    for (int64_t i = 0; i < n; i++) y[i] = (float)(A * sin(2 * M_PI * (double)k0 * (double)(i % 2048) / 2048.0));
    double tuning = -9, tempo = -9;
    const int64_t F = desc_run(&x, y, n, &tuning, &tempo);
    double e_c = 0, e_b = 0, e_r = 0, e_rms = 0, e_z = 0, max_flat = 0, max_on = 0;
    int chroma_ok = 1;
    /* frames entirely inside the signal: t in [2, F - 3] */
    for (int64_t t = 2; t + 2 < F; t++) {
        e_c = fmax(e_c, fabs(desc_row(&x, MC_DSP_DESC_CENTROID, F)[t] - f0) / f0);
        {   /* bandwidth: the float32 rounding of the samples spreads ~1e-6 of the magnitude over all bins,
             * which moves a bandwidth of df / sqrt(2) = 7.6 Hz by ~9%; so checked against its definition,
             * sqrt(sum S (f - c)^2 / sum S), evaluated directly in float64 on the same magnitudes */
            const float *S = x.mag + (size_t)t * 1025;
            double L = 0, M = 0, V = 0;
            for (int k = 0; k < 1025; k++) {
                L += S[k];
                M += S[k] * (k * df);
            }
            for (int k = 0; k < 1025; k++) V += S[k] * (k * df - M / L) * (k * df - M / L);
            const double bw = sqrt(V / L);
            e_b = fmax(e_b, fabs(desc_row(&x, MC_DSP_DESC_BANDWIDTH, F)[t] - bw) / bw);
        }
        e_r = fmax(e_r, fabs(desc_row(&x, MC_DSP_DESC_ROLLOFF, F)[t] - (k0 + 1) * df));
        e_rms = fmax(e_rms, fabs(desc_row(&x, MC_DSP_DESC_RMS, F)[t] - A / sqrt(2.0)) / (A / sqrt(2.0)));
        e_z = fmax(e_z, fabs(desc_row(&x, MC_DSP_DESC_ZCR, F)[t] - 2.0 * k0 / 2048.0));
        max_flat = fmax(max_flat, desc_row(&x, MC_DSP_DESC_FLATNESS, F)[t]);
        if (t >= 5) max_on = fmax(max_on, desc_row(&x, MC_DSP_DESC_ONSET, F)[t]);
        /* the tone is 0.23 semitone above B5; with the estimated tuning the filterbank is centred on
         * it: chroma B (row 11) is 1, the others below */
        chroma_ok &= desc_row(&x, MC_DSP_DESC_CHROMA + 11, F)[t] == 1.0f;
        for (int q = 0; q < 11; q++) chroma_ok &= desc_row(&x, MC_DSP_DESC_CHROMA + q, F)[t] < 0.5f;
    }
    printf("  pure tone %.2f Hz: centroid rel err %.2g, bandwidth rel err %.2g (vs definition), rolloff err %.2g Hz, rms rel "
           "err %.2g, zcr err %.2g, flatness <= %.2g, onset <= %.2g, tuning %.2f\n",
           f0, e_c, e_b, e_r, e_rms, e_z, max_flat, max_on, tuning);
    MC_CHECK(e_c <= 1e-5, "tone centroid: rel err %g", e_c); /* the samples' float32 rounding: 1.5e-6 */
    MC_CHECK(e_b <= 1e-6, "tone bandwidth vs its definition: rel err %g", e_b);
    MC_CHECK(e_r == 0, "tone rolloff: err %g Hz", e_r);
    MC_CHECK(e_rms <= 1e-6, "tone rms: rel err %g", e_rms);
    /* the sine is exactly 0 every 1024 samples; whether such a zero falls on a frame's first sample
     * (whose crossing belongs to the frame before) moves the count by one */
    MC_CHECK(e_z <= 1.0 / 2048, "tone zcr: err %g", e_z);
    MC_CHECK(max_flat < 1e-6, "tone flatness %g", max_flat);
    MC_CHECK(max_on < 1e-3, "steady tone onset %g", max_on);
    const double resid = fmod(12.0 * log2(f0 / 27.5), 1.0); /* 0.2339: in the bin [0.23, 0.24) */
    MC_CHECK(fabs(tuning - floor(resid * 100.0) / 100.0) < 1e-12, "tuning %.17g, residual %.6f", tuning, resid);
    MC_CHECK(chroma_ok, "tone chroma: B = 1, the rest < 0.5");
    free(y);
    desc_close(&x);
}

/* A square wave of +-A with half-period 64 samples, starting high: a crossing at every multiple of 64.
 * Frames start at multiples of 512 - 1024, so an inner frame counts the crossings at its offsets 64,
 * 128, ..., 1984 (31; the one at offset 0 is the previous frame's), frame 0 (edge padding) those at
 * samples 64 .. 960 (15). rms: A inside, A / sqrt(2) in frame 0 (half of it is the zero padding). */
static void test_desc_square(void) {
    desc_ctx x;
    const int64_t n = 16384;
    if (!desc_open(&x, n)) {
        desc_close(&x);
        return;
    }
    float *y = mc_test_xcalloc((size_t)n, sizeof *y);
    for (int amp = 0; amp < 2; amp++) {
        const float A = amp ? 1e-11f : 0.5f; /* 1e-11 is below zero_crossings' threshold 1e-10 */
        for (int64_t i = 0; i < n; i++) y[i] = ((i / 64) % 2) ? -A : A;
        const int64_t F = desc_run(&x, y, n, NULL, NULL);
        const float *z = desc_row(&x, MC_DSP_DESC_ZCR, F), *r = desc_row(&x, MC_DSP_DESC_RMS, F);
        int ok = 1;
        double er = 0;
        for (int64_t t = 2; t + 2 < F; t++) {
            ok &= z[t] == (amp ? 0.0f : 31.0f / 2048.0f);
            er = fmax(er, fabs(r[t] - A) / A);
        }
        ok &= z[0] == (amp ? 0.0f : 15.0f / 2048.0f);
        er = fmax(er, fabs(r[0] - A / sqrt(2.0)) / (A / sqrt(2.0)));
        printf("  square wave +-%g: zcr frame 0 %.6f (15/2048 = %.6f), inner %.6f (31/2048 = %.6f); rms max "
               "rel err %.2g\n",
               (double)A, z[0], 15.0 / 2048, z[5], 31.0 / 2048, er);
        MC_CHECK(ok, "square wave +-%g: zero-crossing rate", (double)A);
        MC_CHECK(er <= 1e-6, "square wave +-%g: rms rel err %g", (double)A, er);
    }
    free(y);
    desc_close(&x);
}

/* Silence: every descriptor at librosa's value for all-zero input (centroid, bandwidth, rolloff, rms,
 * zcr, onset, chroma 0; flatness 1 (1e-10 / 1e-10); contrast 0 dB (both ends floored alike); tuning 0
 * (no pitch); tempo: the prior alone, whose best lag 22 is 117.45 BPM). */
static void test_desc_silence(void) {
    desc_ctx x;
    const int64_t n = 66150;
    if (!desc_open(&x, n)) {
        desc_close(&x);
        return;
    }
    float *y = mc_test_xcalloc((size_t)n, sizeof *y);
    double tuning = -9, tempo = -9;
    const int64_t F = desc_run(&x, y, n, &tuning, &tempo);
    int ok = 1;
    for (int r = 0; r < MC_DSP_DESC_ROWS; r++)
        for (int64_t t = 0; t < F; t++) {
            const float v = desc_row(&x, r, F)[t];
            if (r == MC_DSP_DESC_FLATNESS) ok &= fabsf(v - 1.0f) < 1e-6f;
            else ok &= v == 0.0f;
        }
    const double expect = 60.0 * 22050.0 / (512.0 * 22.0);
    printf("  silence: tuning %g, tempo %.6f BPM (prior's best %.6f)\n", tuning, tempo, expect);
    MC_CHECK(ok, "silence: descriptors");
    MC_CHECK(tuning == 0.0 && tempo == expect, "silence: tuning %g, tempo %g", tuning, tempo);
    float stats[MC_DSP_DESC_STATS];
    mc_dsp_desc_stats(x.desc, F, tempo, stats);
    MC_CHECK(stats[MC_DSP_DESC_FLATNESS] > 0.999f && stats[MC_DSP_DESC_ROWS + MC_DSP_DESC_FLATNESS] < 1e-10f &&
                 stats[MC_DSP_DESC_STATS - 1] == (float)expect,
             "silence: statistics");
    free(y);
    desc_close(&x);
}

/* ---------------------------------------------------------------- the tempo of a stream */

typedef struct col_store {
    float *v; /* (n, nm) the columns the stream emitted */
    int64_t n, cap;
    int nm;
} col_store;

static mc_status store_col(void *u, const float *col) {
    col_store *c = u;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->v = realloc(c->v, (size_t)c->cap * (size_t)c->nm * sizeof *c->v);
        if (!c->v) return mc_error_set(MC_STATUS_NO_MEMORY, "test: out of memory");
    }
    memcpy(c->v + (size_t)c->n * (size_t)c->nm, col, (size_t)c->nm * sizeof *col);
    c->n++;
    return MC_STATUS_OK;
}

/* mc_dsp_tempo_stream over y (n,) in blocks of pseudo-random sizes in [1, 2 block] (block 0: one
 * push of everything); -1 on an error (reported). */
static double stream_tempo(const mc_dsp_desc_plan *d, mc_dsp_tempo_stream *s, const float *y, int64_t n,
                           int64_t block, uint32_t seed) {
    col_store c = {.nm = 128};
    mc_dsp_tempo_stream_reset(s);
    mc_status st = MC_STATUS_OK;
    for (int64_t at = 0; at < n && st == MC_STATUS_OK;) {
        seed = seed * 1664525u + 1013904223u;
        int64_t k = block > 0 ? 1 + (int64_t)(seed >> 8) % (2 * block) : n;
        if (k > n - at) k = n - at;
        st = mc_dsp_tempo_stream_push(s, y + at, k, store_col, &c);
        at += k;
    }
    int64_t F = -1;
    if (st == MC_STATUS_OK) st = mc_dsp_tempo_stream_end(s, store_col, &c, &F);
    MC_CHECK(st != MC_STATUS_OK || (F == c.n && F == 1 + n / 512), "stream: %lld frames, %lld columns, want %lld",
             (long long)F, (long long)c.n, (long long)(1 + n / 512));
    for (int64_t j = 0; st == MC_STATUS_OK && j < c.n; j++) st = mc_dsp_tempo_stream_column(s, c.v + j * 128);
    double bpm = -1;
    if (st == MC_STATUS_OK) st = mc_dsp_tempo_stream_bpm(s, &bpm);
    MC_CHECK(st == MC_STATUS_OK, "tempo stream (block %lld): %s", (long long)block, mc_error_message());
    (void)d;
    free(c.v);
    return st == MC_STATUS_OK ? bpm : -1;
}

/* Clicks (8 ms noise bursts) every 26 hops exactly, 20 s: the onset envelope is periodic with lag 26,
 * so the tempo is 60 sr / (hop 26) = 99.38 BPM, from mc_dsp_track_tempo and from mc_dsp_descriptors'
 * envelope of the same signal (the two must agree to the bit: same STFT, same dB, same envelope). The
 * statistics are the rows' mean and population variance. */
static void test_desc_clicks(void) {
    desc_ctx x;
    const int64_t n = 20 * 22050;
    if (!desc_open(&x, n)) {
        desc_close(&x);
        return;
    }
    float *y = mc_test_xcalloc((size_t)n, sizeof *y);
    uint32_t s = 99;
    for (int64_t c0 = 3000; c0 + 200 < n; c0 += 26 * 512)
        for (int i = 0; i < 180; i++) y[c0 + i] = 0.8f * (float)exp(-i / 40.0) * noise(&s);
    double tempo = -9, track = -9;
    const int64_t F = desc_run(&x, y, n, NULL, &tempo);
    const int64_t ns = mc_dsp_track_tempo_scratch(x.d, n);
    float *sc = mc_test_xcalloc((size_t)ns, sizeof *sc);
    MC_CHECK_OK(mc_dsp_track_tempo(x.d, x.dw, y, n, sc, &track));
    double direct = -9;
    MC_CHECK_OK(mc_dsp_tempo(x.d, x.dw, desc_row(&x, MC_DSP_DESC_ONSET, F), F, &direct));
    const double expect = 60.0 * 22050.0 / (512.0 * 26.0);
    printf("  clicks every 26 hops: tempo %.6f (track %.6f, from the envelope %.6f; expected %.6f BPM)\n",
           tempo, track, direct, expect);
    MC_CHECK(tempo == expect && track == expect && direct == expect, "click tempo %g / %g / %g, expected %g",
             tempo, track, direct, expect);
    {
        /* the same tempo from the stream, for any block sizes; and short signals, whose envelope is
         * shorter than the onset lag or the tempogram window, against mc_dsp_track_tempo */
        mc_dsp_tempo_stream *ts = NULL;
        MC_CHECK_OK(mc_dsp_tempo_stream_create(x.d, &ts));
        const int64_t blocks[] = {0, 1, 7, 511, 512, 4096, 100000};
        int bad = 0;
        for (size_t b = 0; ts && b < sizeof blocks / sizeof blocks[0]; b++) {
            double v = stream_tempo(x.d, ts, y, n, blocks[b], 5u + (uint32_t)b);
            bad += v != track;
        }
        const int64_t shorts[] = {1, 100, 1024, 1025, 2048, 3000, 66150, 5 * 22050 + 17};
        for (size_t i = 0; ts && i < sizeof shorts / sizeof shorts[0]; i++) {
            double want = -9;
            float *sc2 = mc_test_xcalloc((size_t)mc_dsp_track_tempo_scratch(x.d, shorts[i]), sizeof *sc2);
            MC_CHECK_OK(mc_dsp_track_tempo(x.d, x.dw, y + 2000, shorts[i], sc2, &want));
            free(sc2);
            double v1 = stream_tempo(x.d, ts, y + 2000, shorts[i], 0, 1), v2 = stream_tempo(x.d, ts, y + 2000, shorts[i], 300, 2);
            bad += v1 != want || v2 != want;
        }
        printf("  tempo stream (7 block patterns; 8 short signals of 1 to 110267 samples): %d differ from "
               "mc_dsp_track_tempo\n", bad);
        MC_CHECK(bad == 0, "tempo stream: %d results differ from mc_dsp_track_tempo", bad);
        /* errors: NaN sample, calls out of order, end without samples */
        if (ts) {
            col_store c = {.nm = 128};
            float bad_y[600];
            for (int i = 0; i < 600; i++) bad_y[i] = 0.1f;
            bad_y[300] = NAN;
            double bpm = 0;
            mc_dsp_tempo_stream_reset(ts);
            MC_CHECK(mc_dsp_tempo_stream_bpm(ts, &bpm) == MC_STATUS_INVALID_ARG, "stream: bpm before end");
            MC_CHECK(mc_dsp_tempo_stream_column(ts, bad_y) == MC_STATUS_INVALID_ARG, "stream: column before end");
            MC_CHECK(mc_dsp_tempo_stream_end(ts, store_col, &c, NULL) == MC_STATUS_EMPTY, "stream: end without samples");
            mc_dsp_tempo_stream_reset(ts);
            MC_CHECK(mc_dsp_tempo_stream_push(ts, bad_y, 600, store_col, &c) == MC_STATUS_NUMERIC, "stream: NaN sample");
            MC_CHECK(mc_dsp_tempo_stream_push(ts, y, 600, store_col, &c) == MC_STATUS_INVALID_ARG, "stream: push after an error");
            mc_dsp_tempo_stream_reset(ts);
            MC_CHECK_OK(mc_dsp_tempo_stream_push(ts, y, 600, store_col, &c));
            int64_t F = 0;
            MC_CHECK_OK(mc_dsp_tempo_stream_end(ts, store_col, &c, &F));
            MC_CHECK(mc_dsp_tempo_stream_bpm(ts, &bpm) == MC_STATUS_INVALID_ARG, "stream: bpm before the columns");
            for (int64_t j = 0; j < F; j++) MC_CHECK_OK(mc_dsp_tempo_stream_column(ts, bad_y));
            MC_CHECK(mc_dsp_tempo_stream_column(ts, bad_y) == MC_STATUS_INVALID_ARG, "stream: one column too many");
            free(c.v);
        }
        mc_dsp_tempo_stream_free(ts);
        mc_dsp_tempo_stream_free(NULL);
    }

    /* statistics against a direct float64 computation */
    float stats[MC_DSP_DESC_STATS];
    mc_dsp_desc_stats(x.desc, F, tempo, stats);
    double worst = 0;
    for (int r = 0; r < MC_DSP_DESC_ROWS; r++) {
        const float *v = desc_row(&x, r, F);
        double m = 0, q = 0;
        for (int64_t t = 0; t < F; t++) m += v[t];
        m /= (double)F;
        for (int64_t t = 0; t < F; t++) q += (v[t] - m) * (v[t] - m);
        q /= (double)F;
        worst = fmax(worst, fabs(stats[r] - m) / fmax(fabs(m), 1e-30));
        worst = fmax(worst, fabs(stats[MC_DSP_DESC_ROWS + r] - q) / fmax(fabs(q), 1e-30));
    }
    printf("  statistics: max rel diff %.2g from a float64 mean / var (tol 1e-6)\n", worst);
    MC_CHECK(worst <= 1e-6, "statistics rel diff %g", worst);
    MC_CHECK(stats[MC_DSP_DESC_STATS - 1] == (float)tempo, "tempo column");
    free(sc);
    free(y);
    desc_close(&x);
}

/* mc_dsp_mel_power_mag: the mel output is mc_dsp_mel_power's to the byte, the magnitude within one
 * float32 ulp of |X| of the complex STFT (mc_dsp_stft, float64 transform stored as complex64). */
static void test_desc_mag(void) {
    desc_ctx x;
    const int64_t n = 20000;
    if (!desc_open(&x, n)) {
        desc_close(&x);
        return;
    }
    float *y = mc_test_xcalloc((size_t)n, sizeof *y);
    chord(y, n, 22050);
    uint32_t s = 3;
    for (int64_t i = 0; i < n; i++) y[i] += 0.01f * noise(&s);
    const int64_t F = mc_dsp_frame_count(mc_dsp_plan_config(x.p), n);
    float *mel = mc_test_xcalloc(128 * (size_t)F, sizeof *mel);
    MC_CHECK_OK(mc_dsp_mel_power(x.p, x.w, y, n, mel));
    MC_CHECK_OK(mc_dsp_mel_power_mag(x.p, x.w, y, n, x.mel, x.mag));
    MC_CHECK(memcmp(mel, x.mel, 128 * (size_t)F * sizeof *mel) == 0, "mel of mel_power_mag == mel_power");
    mc_dsp_synth *sy = NULL;
    MC_CHECK_OK(mc_dsp_synth_create(x.p, F, &sy));
    float *X = mc_test_xcalloc(1025 * 2 * (size_t)F, sizeof *X); /* (n_bins, F, 2) */
    MC_CHECK_OK(mc_dsp_stft(x.p, sy, y, n, X));
    double worst = 0;
    for (int64_t t = 0; t < F; t++)
        for (int k = 0; k < 1025; k++) {
            const float re = X[((size_t)k * F + t) * 2], im = X[((size_t)k * F + t) * 2 + 1];
            const double ref = (float)sqrt((double)re * re + (double)im * im); /* hypotf */
            const double m = x.mag[(size_t)t * 1025 + k];
            if (ref > 1e-6) worst = fmax(worst, fabs(m - ref) / ref);
        }
    printf("  magnitude vs |complex STFT|: max rel diff %.3g (tol 2.4e-7, 2 float32 ulp)\n", worst);
    MC_CHECK(worst <= 2.4e-7, "magnitude rel diff %g", worst);
    MC_CHECK(mc_dsp_mel_power_mag(x.p, x.w, y, n, NULL, NULL) == MC_STATUS_INVALID_ARG, "no output");
    mc_dsp_synth_free(sy);
    free(X);
    free(mel);
    free(y);
    desc_close(&x);
}

/* ---------------------------------------------------------------- descriptors vs librosa */

/* A float32 .npy of any memory order (the chroma reference is saved Fortran-ordered, which
 * mc_npy_read_f32 refuses): (rows, cols) row-major into out (rows * cols,). Returns 1 on success. */
static int load_any_order(const char *path, int rows, int cols, float *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char head[10];
    int ok = fread(head, 1, 10, f) == 10 && memcmp(head, "\x93NUMPY", 6) == 0 && head[6] == 1;
    const int hlen = head[8] | (head[9] << 8);
    char hdr[1024] = {0};
    ok = ok && hlen < (int)sizeof hdr && fread(hdr, 1, (size_t)hlen, f) == (size_t)hlen;
    char want[64];
    snprintf(want, sizeof want, "(%d, %d)", rows, cols);
    ok = ok && strstr(hdr, "'<f4'") && strstr(hdr, want);
    const int fortran = ok && strstr(hdr, "'fortran_order': True") != NULL;
    float *raw = mc_test_xcalloc((size_t)rows * cols, sizeof *raw);
    ok = ok && fread(raw, sizeof *raw, (size_t)rows * cols, f) == (size_t)rows * cols;
    fclose(f);
    for (int r = 0; ok && r < rows; r++)
        for (int c = 0; c < cols; c++)
            out[(size_t)r * cols + c] = fortran ? raw[(size_t)c * rows + r] : raw[(size_t)r * cols + c];
    free(raw);
    return ok;
}

/* librosa's whole-clip tempo of a clip, read from descriptors.json ("<clip>": {"tempo_bpm_whole_clip":
 * value, ...}); NAN if not found. */
static double json_tempo(const char *clip) {
    char path[1024];
    snprintf(path, sizeof path, "%s/descriptors.json", REF_DIR);
    FILE *f = fopen(path, "rb");
    if (!f) return NAN;
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char key[128];
    snprintf(key, sizeof key, "\"%s\"", clip);
    const char *p = strstr(buf, "\"clips\"");
    p = p ? strstr(p, key) : NULL;
    p = p ? strstr(p, "\"tempo_bpm_whole_clip\"") : NULL;
    p = p ? strchr(p, ':') : NULL;
    return p ? strtod(p + 1, NULL) : NAN;
}

typedef struct desc_feat {
    const char *file; /* reference name */
    int row, nrow;
    int relative;     /* tolerance relative to |reference| (else absolute) */
    double tol;
} desc_feat;

/* Tolerances, and why: the spectra here differ from librosa's by float32 rounding (FFTW vs numpy's
 * pocketfft, stored as complex64; the magnitude within an ulp), and librosa's float32 sums are done in
 * float64 here; measured maximum differences are printed beside each. */
static const desc_feat desc_feats[] = {
    {"chroma_stft", MC_DSP_DESC_CHROMA, 12, 0, 1e-5},        /* values in [0, 1] */
    {"spectral_centroid", MC_DSP_DESC_CENTROID, 1, 1, 1e-6},
    {"spectral_bandwidth", MC_DSP_DESC_BANDWIDTH, 1, 1, 1e-6},
    {"spectral_rolloff", MC_DSP_DESC_ROLLOFF, 1, 0, 0.0},   /* an FFT bin: exact */
    {"spectral_flatness", MC_DSP_DESC_FLATNESS, 1, 1, 1e-5}, /* librosa's float32 log and mean */
    {"spectral_contrast", MC_DSP_DESC_CONTRAST, 7, 0, 1e-4}, /* dB */
    {"rms", MC_DSP_DESC_RMS, 1, 1, 1e-6},
    {"zero_crossing_rate", MC_DSP_DESC_ZCR, 1, 0, 0.0},     /* counts / 2048: exact */
    {"onset_strength", MC_DSP_DESC_ONSET, 1, 0, 1e-5},      /* dB per band, values up to ~10 */
};

typedef struct desc_job {
    const mc_dsp_plan *p;
    const mc_dsp_desc_plan *d;
    const float *y[3];
    const float *expect[3]; /* (ROWS, 130) single-threaded results */
    int mismatches;
} desc_job;

static void *desc_thread(void *arg) {
    desc_job *j = arg;
    mc_dsp_workspace *w = NULL;
    mc_dsp_desc_workspace *dw = NULL;
    float *mel = mc_test_xcalloc(128 * 130, sizeof *mel), *mag = mc_test_xcalloc(1025 * 130, sizeof *mag);
    float *desc = mc_test_xcalloc(MC_DSP_DESC_ROWS * 130, sizeof *desc);
    if (mc_dsp_workspace_create(j->p, 66150, &w) != MC_STATUS_OK ||
        mc_dsp_desc_workspace_create(j->d, 130, &dw) != MC_STATUS_OK) {
        j->mismatches = -1;
    } else {
        for (int rep = 0; rep < 3; rep++)
            for (int i = 0; i < 3; i++) {
                double tu, te;
                if (mc_dsp_mel_power_mag(j->p, w, j->y[i], 66150, mel, mag) != MC_STATUS_OK) {
                    j->mismatches++;
                    continue;
                }
                mc_dsp_power_to_db(mel, 128 * 130, 1.0, 1e-10, 80.0, mel);
                if (mc_dsp_descriptors(j->d, dw, j->y[i], 66150, mag, mel, desc, &tu, &te) != MC_STATUS_OK)
                    j->mismatches++;
                else
                    j->mismatches += memcmp(desc, j->expect[i], MC_DSP_DESC_ROWS * 130 * sizeof *desc) != 0;
            }
    }
    free(mel);
    free(mag);
    free(desc);
    mc_dsp_desc_workspace_free(dw);
    mc_dsp_workspace_free(w);
    return NULL;
}

/* The three librosa reference clips: the per-frame descriptors of segment 0 against
 * <clip>.seg0.<feature>.npy, the estimated tuning and the segment's tempo against the numpy
 * transcription of librosa (tools/librosa_desc_peer.py, which reproduces every reference exactly),
 * and the whole clip's tempo (decoded from ../shared/data/gtzan-mini) against descriptors.json,
 * exactly. Returns 0 when ../shared/data is missing (the whole-clip tempo is then not checked). */
static int test_desc_references(void) {
    static const char *clips[3] = {"jazz.00005", "metal.00003", "classical.00007"};
    static const char *files[3] = {"jazz/jazz.00005.flac", "metal/metal.00003.flac",
                                   "classical/classical.00007.flac"};
    static const double peer_tuning[3] = {0.13, 0.24, 0.06};
    /* librosa.feature.tempo(y=seg0) by the transcription: lags 22, 20, 22 */
    static const double peer_tempo[3] = {60.0 * 22050 / (512 * 22.0), 60.0 * 22050 / (512 * 20.0),
                                         60.0 * 22050 / (512 * 22.0)};
    desc_ctx x;
    if (!desc_open(&x, 66150)) {
        desc_close(&x);
        return 1;
    }
    float *ref = mc_test_xcalloc(12 * 130, sizeof *ref);
    float *results[3];
    mc_array ys[3];
    memset(ys, 0, sizeof ys);
    double worst[sizeof desc_feats / sizeof desc_feats[0]] = {0};
    for (int c = 0; c < 3; c++) {
        results[c] = mc_test_xcalloc(MC_DSP_DESC_ROWS * 130, sizeof(float));
        if (!load(clips[c], "y", &ys[c])) continue;
        double tuning = -9, tempo = -9;
        const int64_t F = desc_run(&x, ys[c].data, 66150, &tuning, &tempo);
        if (F != 130) continue;
        memcpy(results[c], x.desc, MC_DSP_DESC_ROWS * 130 * sizeof(float));
        printf("  %-16s tuning %.2f (transcription %.2f), segment tempo %.4f BPM (transcription %.4f)\n",
               clips[c], tuning, peer_tuning[c], tempo, peer_tempo[c]);
        MC_CHECK(fabs(tuning - peer_tuning[c]) < 1e-9, "%s: tuning %g", clips[c], tuning);
        MC_CHECK(tempo == peer_tempo[c], "%s: segment tempo %.17g", clips[c], tempo);
        for (size_t f = 0; f < sizeof desc_feats / sizeof desc_feats[0]; f++) {
            const desc_feat *df = &desc_feats[f];
            char path[1024];
            snprintf(path, sizeof path, "%s/%s.seg0.%s.npy", REF_DIR, clips[c], df->file);
            const int ok = load_any_order(path, df->nrow, 130, ref);
            MC_CHECK(ok, "%s: cannot read a (%d, 130) float32 array", path, df->nrow);
            if (!ok) continue;
            const float *got = desc_row(&x, df->row, 130);
            double m = 0;
            long at = 0;
            for (long i = 0; i < (long)df->nrow * 130; i++) {
                double d = fabs((double)got[i] - ref[i]);
                if (df->relative) d /= fmax(fabs((double)ref[i]), 1e-30);
                if (!(d <= m)) {
                    m = d;
                    at = i;
                }
            }
            worst[f] = fmax(worst[f], m);
            MC_CHECK(m <= df->tol, "%s %s: max %s diff %.3g at %ld (ours %.9g, librosa %.9g) > %.3g", clips[c],
                     df->file, df->relative ? "rel" : "abs", m, at, got[at], ref[at], df->tol);
        }
    }
    for (size_t f = 0; f < sizeof desc_feats / sizeof desc_feats[0]; f++)
        printf("  %-20s max %s |diff| over the 3 clips = %.3g (tol %.3g)\n", desc_feats[f].file,
               desc_feats[f].relative ? "relative" : "absolute", worst[f], desc_feats[f].tol);

    /* one descriptor plan shared by four threads, each with its workspaces: the same bytes */
    if (ys[0].data && ys[1].data && ys[2].data) {
        pthread_t th[4];
        desc_job jobs[4];
        for (int i = 0; i < 4; i++) {
            jobs[i] = (desc_job){.p = x.p, .d = x.d, .mismatches = 0};
            for (int c = 0; c < 3; c++) {
                jobs[i].y[c] = ys[c].data;
                jobs[i].expect[c] = results[c];
            }
            pthread_create(&th[i], NULL, desc_thread, &jobs[i]);
        }
        int bad = 0;
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            bad += jobs[i].mismatches;
        }
        printf("  4 threads sharing one descriptor plan: %s\n", bad == 0 ? "byte-identical" : "MISMATCH");
        MC_CHECK(bad == 0, "4 threads: %d mismatching results", bad);
    }

    /* whole clips: librosa.beat.tempo(y=clip) must be reproduced exactly */
    int have_data = 1;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/gtzan-mini", MC_SHARED_DIR);
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        printf("  SKIP: %s missing, whole-clip tempo not checked\n", dir);
        have_data = 0;
    } else {
        mc_audio_loader *l = NULL;
        MC_CHECK_OK(mc_audio_loader_create(22050, &l));
        for (int c = 0; l && c < 3; c++) {
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, files[c]);
            const float *yy = NULL;
            int64_t n = 0;
            mc_audio_info info;
            mc_status st = mc_audio_loader_load(l, path, &yy, &n, &info);
            MC_CHECK(st == MC_STATUS_OK, "%s: %s", path, mc_error_message());
            if (st != MC_STATUS_OK) continue;
            /* the decoded clip starts with the reference segment */
            MC_CHECK(n > 66150 && ys[c].data && memcmp(yy, ys[c].data, 66150 * sizeof(float)) == 0,
                     "%s: decoded samples differ from the reference segment", path);
            const int64_t ns = mc_dsp_track_tempo_scratch(x.d, n);
            float *sc = mc_test_xcalloc((size_t)ns, sizeof *sc);
            double bpm = -9;
            MC_CHECK_OK(mc_dsp_track_tempo(x.d, x.dw, yy, n, sc, &bpm));
            const double want = json_tempo(clips[c]);
            printf("  %-16s whole clip (%lld samples): tempo %.14f BPM, librosa %.14f\n", clips[c],
                   (long long)n, bpm, want);
            MC_CHECK(bpm == want, "%s: whole-clip tempo %.17g, librosa %.17g", clips[c], bpm, want);
            free(sc);
            /* the same from the stream extract uses, in blocks of several sizes */
            mc_dsp_tempo_stream *ts = NULL;
            MC_CHECK_OK(mc_dsp_tempo_stream_create(x.d, &ts));
            const int64_t blocks[] = {0, 333, 4096, 65536};
            for (size_t b = 0; ts && b < sizeof blocks / sizeof blocks[0]; b++) {
                double v = stream_tempo(x.d, ts, yy, n, blocks[b], 11u + (uint32_t)b);
                MC_CHECK(v == want, "%s: streamed tempo (blocks ~%lld) %.17g, librosa %.17g", clips[c],
                         (long long)blocks[b], v, want);
            }
            printf("  %-16s streamed whole-clip tempo (4 block patterns) = librosa's\n", clips[c]);
            mc_dsp_tempo_stream_free(ts);
        }
        mc_audio_loader_free(l);
    }
    for (int c = 0; c < 3; c++) {
        mc_array_free(&ys[c]);
        free(results[c]);
    }
    free(ref);
    desc_close(&x);
    return have_data;
}

/* ---------------------------------------------------------------- baseline vs AVX2 kernels */

/* Everything one signal gives: mel power, |STFT|, dB, MFCC + statistics, descriptors + tuning + segment
 * tempo, and the streamed whole-signal tempo; appended to out (a growing float buffer). */
typedef struct fbuf { float *v; size_t n, cap; } fbuf;
static void fb_add(fbuf *b, const float *x, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = 2 * (b->n + n);
        b->v = realloc(b->v, b->cap * sizeof *b->v);
    }
    memcpy(b->v + b->n, x, n * sizeof *x);
    b->n += n;
}

static void simd_run(desc_ctx *x, mc_dsp_tempo_stream *ts, const float *y, int64_t n, fbuf *out) {
    const mc_dsp_config *c = mc_dsp_plan_config(x->p);
    const int64_t F = mc_dsp_frame_count(c, n);
    MC_CHECK_OK(mc_dsp_mel_power_mag(x->p, x->w, y, n, x->mel, x->mag));
    fb_add(out, x->mel, (size_t)c->n_mels * (size_t)F);
    fb_add(out, x->mag, (size_t)F * 1025);
    mc_dsp_power_to_db(x->mel, (int64_t)c->n_mels * F, c->ref, c->amin, c->top_db, x->mel);
    fb_add(out, x->mel, (size_t)c->n_mels * (size_t)F);
    float *mfcc = mc_test_xcalloc((size_t)20 * (size_t)F, sizeof *mfcc), st[40];
    mc_dsp_mfcc(x->p, x->mel, F, mfcc);
    mc_dsp_mfcc_stats(mfcc, 20, F, st);
    fb_add(out, mfcc, (size_t)20 * (size_t)F);
    fb_add(out, st, 40);
    free(mfcc);
    double tuning = 0, tempo = 0;
    MC_CHECK_OK(mc_dsp_descriptors(x->d, x->dw, y, n, x->mag, x->mel, x->desc, &tuning, &tempo));
    fb_add(out, x->desc, (size_t)MC_DSP_DESC_ROWS * (size_t)F);
    float ds[MC_DSP_DESC_STATS];
    mc_dsp_desc_stats(x->desc, F, tempo, ds);
    fb_add(out, ds, MC_DSP_DESC_STATS);
    const float tt[2] = {(float)tuning, (float)stream_tempo(x->d, ts, y, n, 777, 3)};
    fb_add(out, tt, 2);
}

static void test_simd_paths(void) {
    printf("kernels: baseline (SSE2) and AVX2 compilations give the same bytes\n");
    const int have_avx2 = mc_dsp_simd_level() == MC_DSP_SIMD_AVX2;
    desc_ctx x;
    const int64_t lens[] = {66150, 66150 - 37, 5001, 2048, 1100, 3 * 66150 + 5};
    if (!desc_open(&x, 3 * 66150 + 5)) {
        desc_close(&x);
        return;
    }
    mc_dsp_tempo_stream *ts = NULL;
    MC_CHECK_OK(mc_dsp_tempo_stream_create(x.d, &ts));
    float *y = mc_test_xcalloc(3 * 66150 + 5, sizeof *y);
    uint32_t r = 4242;
    for (int64_t i = 0; i < 3 * 66150 + 5; i++) {
        const double t = (double)i / 22050;
        y[i] = (float)(0.3 * sin(2 * M_PI * 220 * t) + 0.2 * sin(2 * M_PI * 1337 * t) * (i % 9000 < 4000) +
                       0.05 * noise(&r));
        if (i > 100000 && i < 110000) y[i] = 0; /* silence: amin in the dB, flat frames */
    }
    fbuf out[2] = {{0}, {0}};
    const int levels[2] = {MC_DSP_SIMD_BASE, MC_DSP_SIMD_AVX2};
    for (int l = 0; l < (have_avx2 ? 2 : 1); l++) {
        mc_dsp_simd_force(levels[l]);
        MC_CHECK(mc_dsp_simd_level() == levels[l], "forced level %d, got %d", levels[l], mc_dsp_simd_level());
        for (size_t k = 0; ts && k < sizeof lens / sizeof lens[0]; k++) simd_run(&x, ts, y, lens[k], &out[l]);
    }
    mc_dsp_simd_force(0);
    if (have_avx2) {
        size_t diff = 0, first = 0;
        for (size_t i = 0; i < out[0].n && i < out[1].n; i++)
            if (memcmp(&out[0].v[i], &out[1].v[i], sizeof(float)) != 0 && diff++ == 0) first = i;
        printf("  %zu values from 6 signals (mel, |STFT|, dB, MFCC, descriptors, tempi): %zu differ\n", out[0].n, diff);
        MC_CHECK(out[0].n == out[1].n && diff == 0, "AVX2 vs baseline: %zu of %zu values differ (first at %zu)", diff,
                 out[0].n, first);
    } else {
        printf("  this CPU has no AVX2: only the baseline kernels ran (nothing to compare)\n");
    }
    free(out[0].v);
    free(out[1].v);

    /* power_to_db's log10 is correctly rounded: 10 (float)log10((double)v) - offset, every value; the
     * rare zero, subnormal, Inf and NaN through log10f; at both levels */
    float S[600], got[600], want[600];
    for (int i = 0; i < 600; i++) S[i] = (float)exp(-40.0 + 0.15 * i) * (1.0f + 0.001f * (float)(i % 7));
    S[3] = 0.0f;
    S[5] = 1e-42f; /* subnormal */
    S[7] = INFINITY;
    S[9] = NAN;
    for (int l = 0; l < (have_avx2 ? 2 : 1); l++) {
        mc_dsp_simd_force(levels[l]);
        mc_dsp_power_to_db(S, 600, 1.0, 1e-45, 0.0, got);
        int bad = 0;
        for (int i = 0; i < 600; i++) {
            float v = S[i] > 1e-45f ? S[i] : (isnan(S[i]) ? S[i] : 1e-45f);
            uint32_t u;
            memcpy(&u, &v, 4);
            const int special = ((u >> 23) & 0xff) == 0 || ((u >> 23) & 0xff) == 0xff;
            want[i] = 10.0f * (special ? log10f(v) : (float)log10((double)v)) - 0.0f;
            bad += memcmp(&want[i], &got[i], 4) != 0 && !(isnan(want[i]) && isnan(got[i]));
        }
        MC_CHECK(bad == 0, "power_to_db level %d: %d of 600 values differ from the correctly rounded log10", levels[l], bad);
    }
    mc_dsp_simd_force(0);
    printf("  power_to_db: 600 values from 1e-42 to 1e13 and 0, Inf, NaN equal the correctly rounded 10 log10\n");
    mc_dsp_tempo_stream_free(ts);
    free(y);
    desc_close(&x);
}

int main(void) {
    test_config();
    test_hann();
    test_mel_scale();
    test_filterbank();
    test_mel_power();
    test_power_to_db();
    test_mfcc();
    test_mfcc_stats();
    test_synth_peer();
    test_istft_roundtrip();
    test_griffinlim_chord();
    test_desc_api();
    test_desc_mag();
    test_desc_tone();
    test_desc_square();
    test_desc_silence();
    test_desc_clicks();
    test_simd_paths();

    struct stat st;
    int have_ref = stat(REF_DIR, &st) == 0, have_data = 1;
    if (have_ref) {
        test_references();
        have_data = test_desc_references();
    }
    int rc = mc_test_summary("test_dsp");
    if (!have_ref) mc_test_skip(REF_DIR " not found; the librosa comparisons did not run (synthetic checks only)");
    if (!have_data) mc_test_skip("../shared/data/gtzan-mini not found; the whole-clip tempo comparison did not run");
    return rc;
}
