/* dsp: window, mel scale, filterbank, STFT/mel power, power->dB, MFCC, stats, config validation; the
 * synthesis side (complex STFT, iSTFT, Griffin-Lim, mel inversion, dB -> power) against the numpy peer
 * of tools/make_generate_fixtures.py and on a synthetic chord; then the librosa 0.10.2 references in
 * ../shared/reference/librosa-0.10.2 (skipped with exit 77 when that folder is missing and nothing else
 * failed). Griffin-Lim on those real clips is in tests/test_generate.c. */
#include <musiclust/dsp.h>

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

    struct stat st;
    int have_ref = stat(REF_DIR, &st) == 0;
    if (have_ref) test_references();
    int rc = mc_test_summary("test_dsp");
    if (!have_ref) mc_test_skip(REF_DIR " not found; the librosa comparisons did not run (synthetic checks only)");
    return rc;
}
