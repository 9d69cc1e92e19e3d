/* Tests of the audio module: every file is synthesised here (sines, noise, chirps) and written with
 * mc_audio_write or libsndfile directly; nothing is read from ../shared/data. */
#include <musiclust/audio.h>

#include "mc_test.h"

#include <sndfile.h>
#include <stdint.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static char g_dir[4096];

static const char *tpath(const char *name) {
    static char buf[8][4200];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

/* (n,) sine of amplitude a at f Hz sampled at sr */
static float *make_sine(int64_t n, double f, int sr, double a) {
    float *x = malloc((size_t)n * sizeof *x); // (n,)
    for (int64_t i = 0; i < n; i++) x[i] = (float)(a * sin(2.0 * M_PI * f * (double)i / sr));
    return x;
}

/* Uniform noise in [-a, a) from a fixed LCG, reproducible everywhere. */
static float *make_noise(int64_t n, double a, uint32_t seed) {
    float *x = malloc((size_t)n * sizeof *x); // (n,)
    uint32_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(a * ((double)(s >> 8) / 8388608.0 - 1.0));
    }
    return x;
}

/* Amplitude of the f-Hz component of x[0..n) by a direct DFT (exact for whole cycles). */
static double tone_amp(const float *x, int64_t n, double f, int sr) {
    double re = 0, im = 0;
    for (int64_t i = 0; i < n; i++) {
        double ph = 2.0 * M_PI * f * (double)i / sr;
        re += x[i] * cos(ph);
        im -= x[i] * sin(ph);
    }
    return 2.0 * sqrt(re * re + im * im) / (double)n;
}

/* The frequency (1-Hz grid in [lo, hi]) with the largest DFT amplitude. */
static double peak_freq(const float *x, int64_t n, int sr, double lo, double hi) {
    double best = lo, best_a = -1;
    for (double f = lo; f <= hi; f += 1.0) {
        double a = tone_amp(x, n, f, sr);
        if (a > best_a) {
            best_a = a;
            best = f;
        }
    }
    return best;
}

static double rms(const float *x, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return n > 0 ? sqrt(s / (double)n) : 0;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* ------------------------------------------------------------------------------- round trips */

typedef struct fmt_case {
    mc_audio_format fmt;
    const char *file;
    const char *name; /* expected mc_audio_info.format */
    double tol;       /* max |diff| for lossless formats; < 0: lossy, compare tone and energy */
} fmt_case;

static void test_round_trip(mc_audio_loader *l0) {
    printf("round trip through every format (mono and stereo 440 Hz + 1 kHz, 22050 Hz):\n");
    /* Quantisation: libsndfile writes x * 2^(b-1) (or 2^(b-1)-1) rounded and reads back / 2^(b-1),
     * so the error is at most half a step plus |x| / 2^(b-1) <= 1.5 steps for |x| <= 1. */
    const fmt_case cases[] = {
        {MC_AUDIO_FORMAT_WAV_PCM16, "rt16.wav", "wav", 1.5 / 32768.0},
        {MC_AUDIO_FORMAT_WAV_PCM24, "rt24.wav", "wav", 1.5 / 8388608.0},
        {MC_AUDIO_FORMAT_WAV_PCM32, "rt32.wav", "wav", 1e-7},
        {MC_AUDIO_FORMAT_WAV_U8, "rtu8.wav", "wav", 1.5 / 128.0},
        {MC_AUDIO_FORMAT_WAV_FLOAT, "rtf.wav", "wav", 0.0},
        {MC_AUDIO_FORMAT_FLAC_PCM16, "rt16.flac", "flac", 1.5 / 32768.0},
        {MC_AUDIO_FORMAT_FLAC_PCM24, "rt24.flac", "flac", 1.5 / 8388608.0},
        {MC_AUDIO_FORMAT_OGG_VORBIS, "rt.ogg", "ogg", -1},
        {MC_AUDIO_FORMAT_MP3, "rt.mp3", "mp3", -1},
        {MC_AUDIO_FORMAT_AU_PCM16, "rt16.au", "au", 1.5 / 32768.0},
        {MC_AUDIO_FORMAT_AIFF_PCM16, "rt16.aiff", "aiff", 1.5 / 32768.0},
    };
    const int sr = 22050;
    const int64_t n = 2 * sr + 17; /* 2 s and a bit: not a multiple of any block size */
    float *tone = make_sine(n, 440.0, sr, 0.5);   // (n,)
    float *tone2 = make_sine(n, 1000.0, sr, 0.3); // (n,)
    float *st = malloc((size_t)n * 2 * sizeof *st); // (n, 2) interleaved: 440 Hz left, 1 kHz right
    for (int64_t i = 0; i < n; i++) {
        st[2 * i] = tone[i];
        st[2 * i + 1] = tone2[i];
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const fmt_case *fc = &cases[c];
        for (int channels = 1; channels <= 2; channels++) {
            char name[64];
            snprintf(name, sizeof name, "%dch_%s", channels, fc->file);
            const char *path = tpath(name);
            mc_status ws = mc_audio_write(path, channels == 1 ? tone : st, n, channels, sr, fc->fmt);
            if (ws == MC_STATUS_UNSUPPORTED && fc->fmt == MC_AUDIO_FORMAT_MP3) {
                printf("  %-14s MP3 writing unsupported here: %s\n", name, mc_error_message());
                continue;
            }
            MC_CHECK(ws == MC_STATUS_OK, "%s: write status %d: %s", name, (int)ws, mc_error_message());
            if (ws != MC_STATUS_OK) continue;
            mc_audio_info probe;
            MC_CHECK_OK(mc_audio_probe(path, &probe));
            MC_CHECK(strcmp(probe.format, fc->name) == 0, "%s: probe format '%s' != '%s'", name, probe.format,
                     fc->name);
            MC_CHECK(probe.sample_rate == sr && probe.channels == channels, "%s: probe %d Hz %d ch", name,
                     probe.sample_rate, probe.channels);
            const float *y;
            int64_t ny;
            mc_audio_info info;
            mc_status ls = mc_audio_loader_load(l0, path, &y, &ny, &info);
            MC_CHECK(ls == MC_STATUS_OK, "%s: load status %d: %s", name, (int)ls, mc_error_message());
            if (ls != MC_STATUS_OK) continue;
            MC_CHECK(info.sample_rate == sr && info.channels == channels && strcmp(info.format, fc->name) == 0,
                     "%s: info %d Hz %d ch '%s'", name, info.sample_rate, info.channels, info.format);
            MC_CHECK(info.frames == ny, "%s: info.frames %lld != n %lld", name, (long long)info.frames,
                     (long long)ny);
            /* what the loader should return: the mono signal, or librosa.to_mono's (l + r) / 2 */
            float *want = malloc((size_t)n * sizeof *want); // (n,)
            for (int64_t i = 0; i < n; i++) want[i] = channels == 1 ? tone[i] : (st[2 * i] + st[2 * i + 1]) * 0.5f;
            if (fc->tol >= 0) {
                MC_CHECK(ny == n, "%s: %lld frames back, wrote %lld", name, (long long)ny, (long long)n);
                char what[96];
                snprintf(what, sizeof what, "%s samples", name);
                MC_CHECK_CLOSE(what, y, want, ny < n ? ny : n, fc->tol * (channels == 2 ? 1.0 : 1.0) + 1e-12);
            } else {
                /* Lossy: the length may differ by the codec's padding; compare the tones and energy of
                 * a 1-s window (whole cycles of both tones) in the middle of the signal. */
                int64_t dn = ny - n;
                printf("  %-40s %lld frames back (wrote %lld)\n", name, (long long)ny, (long long)n);
                MC_CHECK(ny > n - 2400 && ny < n + 2400, "%s: %lld frames back, wrote %lld", name, (long long)ny,
                         (long long)n);
                int64_t off = sr / 2;
                if (ny >= off + sr) {
                    double a440 = tone_amp(y + off, sr, 440.0, sr), w440 = tone_amp(want + off, sr, 440.0, sr);
                    double e_y = rms(y + off, sr), e_w = rms(want + off, sr);
                    double pk = peak_freq(y + off, sr, sr, 400, 480);
                    printf("  %-40s 440 Hz amplitude %.4f (want %.4f), rms %.4f (want %.4f), peak %.0f Hz\n", name,
                           a440, w440, e_y, e_w, pk);
                    MC_CHECK(fabs(a440 - w440) < 0.05 * w440, "%s: 440 Hz amplitude %.4f vs %.4f", name, a440, w440);
                    MC_CHECK(fabs(e_y - e_w) < 0.05 * e_w, "%s: rms %.4f vs %.4f", name, e_y, e_w);
                    MC_CHECK(pk == 440.0, "%s: peak at %.0f Hz", name, pk);
                    if (channels == 2) {
                        double a1k = tone_amp(y + off, sr, 1000.0, sr);
                        MC_CHECK(fabs(a1k - 0.15) < 0.05 * 0.15, "%s: 1 kHz amplitude %.4f, want 0.15", name, a1k);
                    }
                }
                (void)dn;
            }
            free(want);
        }
    }
    free(tone);
    free(tone2);
    free(st);
}

/* Integer formats clip to [-1, 1] instead of wrapping. */
static void test_write_clips(mc_audio_loader *l0) {
    float x[6] = {0.0f, 1.5f, -2.0f, 0.25f, 1.0f, -1.0f}; // (6,)
    const char *path = tpath("clip.wav");
    MC_CHECK_OK(mc_audio_write(path, x, 6, 1, 8000, MC_AUDIO_FORMAT_WAV_PCM16));
    const float *y;
    int64_t n;
    MC_CHECK_OK(mc_audio_loader_load(l0, path, &y, &n, NULL));
    if (n == 6) {
        float want[6] = {0.0f, 32767.0f / 32768.0f, -1.0f, 0.25f, 32767.0f / 32768.0f, -1.0f};
        MC_CHECK_CLOSE("clipped PCM16 samples", y, want, 6, 1.0 / 32768.0);
        MC_CHECK(y[1] > 0.99f && y[2] < -0.99f, "clip: %g %g (wrapped?)", y[1], y[2]);
    } else {
        MC_CHECK(n == 6, "clip.wav: %lld frames", (long long)n);
    }
    /* no temp file left beside the output */
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    MC_CHECK(file_size(tmp) < 0, "temp file %s left behind", tmp);
}

/* ---------------------------------------------------------------------------------- downmix */

static void test_downmix(mc_audio_loader *l0) {
    printf("downmix = mean over channels (librosa.to_mono):\n");
    const int sr = 16000;
    const int64_t n = 40000;
    for (int ch = 2; ch <= 5; ch += 3) {
        float *x = malloc((size_t)(n * ch) * sizeof *x); // (n, ch) interleaved
        for (int c = 0; c < ch; c++) {
            float *s = c == 0 ? make_sine(n, 440.0, sr, 0.7) : make_noise(n, 0.9, 17u + (uint32_t)c);
            for (int64_t i = 0; i < n; i++) x[i * ch + c] = s[i];
            free(s);
        }
        float *want = malloc((size_t)n * sizeof *want); // (n,) float32 sum in channel order / ch
        for (int64_t i = 0; i < n; i++) {
            float s = x[i * ch];
            for (int c = 1; c < ch; c++) s += x[i * ch + c];
            want[i] = s / (float)ch;
        }
        char name[64];
        snprintf(name, sizeof name, "mix%d.wav", ch);
        const char *path = tpath(name);
        MC_CHECK_OK(mc_audio_write(path, x, n, ch, sr, MC_AUDIO_FORMAT_WAV_FLOAT));
        const float *y;
        int64_t ny;
        mc_audio_info info;
        MC_CHECK_OK(mc_audio_loader_load(l0, path, &y, &ny, &info));
        MC_CHECK(ny == n && info.channels == ch, "%s: %lld frames, %d channels", name, (long long)ny, info.channels);
        char what[64];
        snprintf(what, sizeof what, "%d-channel mean (exact)", ch);
        if (ny == n) MC_CHECK_CLOSE(what, y, want, n, 0.0);
        free(x);
        free(want);
    }
}

/* ------------------------------------------------------------------------------- resampling */

static void test_resample(void) {
    printf("resampling to 22050 Hz (soxr HQ, as librosa res_type='soxr_hq'):\n");
    const int rates[] = {44100, 48000, 8000};
    const int out_sr = 22050;
    mc_audio_loader *l22 = NULL;
    MC_CHECK_OK(mc_audio_loader_create(out_sr, &l22));
    if (!l22) return;
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        const int sr = rates[r];
        const int64_t n = (int64_t)sr * 3 / 2 + 3; /* 1.5 s and 3 samples */
        float *x = make_sine(n, 440.0, sr, 0.5);
        char name[64];
        snprintf(name, sizeof name, "sine440_%d.wav", sr);
        const char *path = tpath(name);
        MC_CHECK_OK(mc_audio_write(path, x, n, 1, sr, MC_AUDIO_FORMAT_WAV_FLOAT));
        const float *y;
        int64_t ny;
        mc_audio_info info;
        mc_status st = mc_audio_loader_load(l22, path, &y, &ny, &info);
        MC_CHECK(st == MC_STATUS_OK, "%s: %s", name, mc_error_message());
        if (st != MC_STATUS_OK) {
            free(x);
            continue;
        }
        int64_t want_n = (n * out_sr + sr - 1) / sr; /* ceil(n * out / in) in integers */
        MC_CHECK(ny == want_n, "%s: %lld samples, want ceil(%lld * %d / %d) = %lld", name, (long long)ny,
                 (long long)n, out_sr, sr, (long long)want_n);
        MC_CHECK(mc_audio_resampled_length(n, sr, out_sr) == want_n, "resampled_length %lld",
                 (long long)mc_audio_resampled_length(n, sr, out_sr));
        MC_CHECK(info.sample_rate == sr && info.frames == n, "%s: info %d Hz %lld frames", name, info.sample_rate,
                 (long long)info.frames);
        /* a 1-s window away from the edges (whole cycles of 440 Hz at 22050 Hz) */
        int64_t off = out_sr / 4;
        double amp = tone_amp(y + off, out_sr, 440.0, out_sr);
        double pk = peak_freq(y + off, out_sr, out_sr, 400, 480);
        int64_t zc = 0; /* zero crossings over 1 s: 2 per cycle */
        for (int64_t i = off + 1; i < off + out_sr; i++) zc += (y[i - 1] < 0) != (y[i] < 0);
        printf("  %5d -> %d: n %lld -> %lld, 440 Hz amplitude %.5f (want 0.5), peak %.0f Hz, %lld zero crossings/s\n",
               sr, out_sr, (long long)n, (long long)ny, amp, pk, (long long)zc);
        MC_CHECK(fabs(amp - 0.5) < 0.005, "%s: amplitude %.5f not within 1%% of 0.5", name, amp);
        MC_CHECK(pk == 440.0, "%s: peak at %.0f Hz", name, pk);
        MC_CHECK(zc >= 879 && zc <= 881, "%s: %lld zero crossings in 1 s", name, (long long)zc);
        /* the one-shot API gives the loader's samples bit for bit */
        float *z = malloc((size_t)want_n * sizeof *z); // (want_n,)
        MC_CHECK_OK(mc_audio_resample(x, n, sr, out_sr, z));
        char what[96];
        snprintf(what, sizeof what, "mc_audio_resample vs loader %d Hz", sr);
        MC_CHECK_CLOSE(what, z, y, want_n, 0.0);
        free(z);
        free(x);
    }

    /* A chirp sweeping 100 Hz -> 9 kHz (below the new Nyquist) keeps its energy through 44.1k -> 22.05k. */
    {
        const int sr = 44100;
        const int64_t n = sr * 2;
        float *x = malloc((size_t)n * sizeof *x); // (n,)
        double f0 = 100, f1 = 9000, T = (double)n / sr;
        for (int64_t i = 0; i < n; i++) {
            double t = (double)i / sr;
            x[i] = (float)(0.5 * sin(2 * M_PI * (f0 * t + (f1 - f0) * t * t / (2 * T))));
        }
        int64_t m = mc_audio_resampled_length(n, sr, 22050);
        float *y = malloc((size_t)m * sizeof *y); // (m,)
        MC_CHECK_OK(mc_audio_resample(x, n, sr, 22050, y));
        double ex = rms(x + sr / 10, n - sr / 5), ey = rms(y + 2205, m - 4410);
        printf("  chirp 100 Hz-9 kHz 44100 -> 22050: rms %.5f -> %.5f\n", ex, ey);
        MC_CHECK(fabs(ey - ex) < 0.01 * ex, "chirp rms %.5f -> %.5f", ex, ey);
        /* content above the new Nyquist is removed: a 15 kHz tone almost vanishes */
        float *hi = make_sine(n, 15000.0, sr, 0.5);
        MC_CHECK_OK(mc_audio_resample(hi, n, sr, 22050, y));
        double eh = rms(y + 2205, m - 4410);
        printf("  15 kHz tone 44100 -> 22050: rms %.3g (anti-aliased)\n", eh);
        MC_CHECK(eh < 1e-3, "15 kHz tone leaks through with rms %g", eh);
        free(hi);
        free(x);
        free(y);
    }

    /* Same rate: the loader and mc_audio_resample return the input unchanged (librosa skips resample). */
    {
        const int64_t n = 22050 + 5;
        float *x = make_noise(n, 0.8, 99u);
        const char *path = tpath("same_rate.wav");
        MC_CHECK_OK(mc_audio_write(path, x, n, 1, 22050, MC_AUDIO_FORMAT_WAV_FLOAT));
        const float *y;
        int64_t ny;
        MC_CHECK_OK(mc_audio_loader_load(l22, path, &y, &ny, NULL));
        MC_CHECK(ny == n, "same rate: %lld samples, want %lld", (long long)ny, (long long)n);
        if (ny == n) MC_CHECK_CLOSE("same-rate load is the identity", y, x, n, 0.0);
        float *z = malloc((size_t)n * sizeof *z); // (n,)
        MC_CHECK_OK(mc_audio_resample(x, n, 22050, 22050, z));
        MC_CHECK_CLOSE("same-rate mc_audio_resample is a copy", z, x, n, 0.0);
        MC_CHECK(mc_audio_resampled_length(n, 22050, 22050) == n, "same-rate length");
        free(z);
        free(x);
    }
    MC_CHECK(mc_audio_resample(NULL, 10, 44100, 22050, NULL) == MC_STATUS_INVALID_ARG, "NULL buffers");
    MC_CHECK(mc_audio_resample(NULL, 0, 0, 22050, NULL) == MC_STATUS_INVALID_ARG, "sr_in 0");
    MC_CHECK(mc_audio_resampled_length(0, 44100, 22050) == 0, "length of nothing");
    mc_audio_loader_free(l22);
}

/* ----------------------------------------------------------------------------- segmentation */

static void test_segments(void) {
    const int64_t L = 100;
    bool is_short = true;
    MC_CHECK(mc_audio_segment_count(3 * L, L, &is_short) == 3 && !is_short, "exact multiple: 3 windows");
    MC_CHECK(mc_audio_segment_count(3 * L + 99, L, &is_short) == 3 && !is_short, "remainder dropped: 3 windows");
    MC_CHECK(mc_audio_segment_count(L, L, &is_short) == 1 && !is_short, "exactly one window");
    MC_CHECK(mc_audio_segment_count(L - 1, L, &is_short) == 1 && is_short, "short track: 1 padded window");
    MC_CHECK(mc_audio_segment_count(1, L, &is_short) == 1 && is_short, "1 sample: 1 padded window");
    MC_CHECK(mc_audio_segment_count(0, L, &is_short) == 0 && !is_short, "no samples: no window");
    MC_CHECK(mc_audio_segment_count(12345, 0, &is_short) == 1 && !is_short, "segment 0 = whole track");
    MC_CHECK(mc_audio_segment_count(12345, L, NULL) == 123, "NULL is_short accepted");

    const int64_t n = 3 * L + 40;
    float *x = make_noise(n, 1.0, 5u); // (n,)
    float *w = malloc((size_t)n * sizeof *w); // (max(n, L),) one window
    for (int64_t i = 0; i < 3; i++) {
        mc_audio_segment_copy(x, n, L, i, w);
        char what[64];
        snprintf(what, sizeof what, "window %lld = x[%lld:%lld]", (long long)i, (long long)(i * L),
                 (long long)((i + 1) * L));
        MC_CHECK_CLOSE(what, w, x + i * L, L, 0.0);
    }
    /* a short track: its samples, then zeros up to seg_len */
    mc_audio_segment_copy(x, 30, L, 0, w);
    float zeros[100] = {0};
    MC_CHECK_CLOSE("short window head = samples", w, x, 30, 0.0);
    MC_CHECK_CLOSE("short window tail = zeros", w + 30, zeros, L - 30, 0.0);
    mc_audio_segment_copy(x, n, 0, 0, w);
    MC_CHECK_CLOSE("segment 0 copies the whole track", w, x, n, 0.0);
    free(x);
    free(w);
}

/* ----------------------------------------------------------------------------------- errors */

static int msg_has(const char *s) { return strstr(mc_error_message(), s) != NULL; }

static void expect_status_v(mc_audio_loader *l, const char *path, mc_status want, const char *what, int verbose) {
    const float *y = (const float *)1;
    int64_t n = -1;
    mc_status st = mc_audio_loader_load(l, path, &y, &n, NULL);
    if (verbose) printf("  %-34s -> %-15s %s\n", what, mc_status_name(st), mc_error_message());
    MC_CHECK(st == want, "%s: status %s, want %s (%s)", what, mc_status_name(st), mc_status_name(want),
             mc_error_message());
    MC_CHECK(msg_has(path), "%s: message does not name the file: %s", what, mc_error_message());
    MC_CHECK(strchr(mc_error_message(), '\n') == NULL, "%s: message is not one line", what);
    MC_CHECK(y == NULL && n == 0, "%s: outputs not cleared on error", what);
}

static void expect_status(mc_audio_loader *l, const char *path, mc_status want, const char *what) {
    expect_status_v(l, path, want, what, 1);
}

/* Cut a file to `keep` bytes with truncate(2). */
static void cut_file(const char *path, long keep) {
    if (truncate(path, keep) != 0) {
        perror(path);
        exit(1);
    }
}

static void test_errors(mc_audio_loader *l0) {
    printf("error cases:\n");
    expect_status(l0, tpath("does_not_exist.wav"), MC_STATUS_IO, "missing file");
    expect_status(l0, g_dir, MC_STATUS_IO, "a directory");

    const char *empty = tpath("empty.wav");
    write_text(empty, "");
    expect_status(l0, empty, MC_STATUS_FORMAT, "zero-byte .wav");

    const char *txt = tpath("lyrics.flac");
    write_text(txt, "This is not audio.\nJust some lyrics, la la la.\n");
    expect_status(l0, txt, MC_STATUS_FORMAT, "text file named .flac");
    const char *txtw = tpath("lyrics.wav");
    write_text(txtw, "RIFF....WAVEfmt but then nothing sensible at all\n");
    expect_status(l0, txtw, MC_STATUS_FORMAT, "garbage after a RIFF tag (.wav)");

    if (geteuid() != 0) { /* root reads anything: the check only means something for a normal user */
        const char *locked = tpath("locked.wav");
        float one = 0.1f;
        MC_CHECK_OK(mc_audio_write(locked, &one, 1, 1, 8000, MC_AUDIO_FORMAT_WAV_PCM16));
        chmod(locked, 0);
        expect_status(l0, locked, MC_STATUS_IO, "permission denied");
        chmod(locked, 0644);
    }

    /* a valid header with no frames */
    const char *zero = tpath("zero_frames.wav");
    MC_CHECK_OK(mc_audio_write(zero, NULL, 0, 1, 22050, MC_AUDIO_FORMAT_WAV_PCM16));
    expect_status(l0, zero, MC_STATUS_EMPTY, "WAV header with 0 frames");
    const char *zerof = tpath("zero_frames.flac");
    MC_CHECK_OK(mc_audio_write(zerof, NULL, 0, 2, 44100, MC_AUDIO_FORMAT_FLAC_PCM16));
    expect_status(l0, zerof, MC_STATUS_EMPTY, "FLAC with 0 frames");
    const char *zerom = tpath("zero_frames.mp3");
    mc_status zs = mc_audio_write(zerom, NULL, 0, 1, 22050, MC_AUDIO_FORMAT_MP3);
    if (zs != MC_STATUS_UNSUPPORTED) {
        MC_CHECK_OK(zs);
        expect_status(l0, zerom, MC_STATUS_EMPTY, "MP3 with 0 frames");
    }
    mc_audio_info pi;
    MC_CHECK_OK(mc_audio_probe(zero, &pi));
    MC_CHECK(pi.frames == 0 && pi.sample_rate == 22050, "probe of 0-frame WAV: %lld frames", (long long)pi.frames);

    /* NaN and Inf in float WAVs, at known times: 0.5 s and 1.25 s at 22050 Hz */
    {
        const int sr = 22050;
        const int64_t n = 2 * sr;
        float *x = make_sine(n, 440.0, sr, 0.5);
        x[sr / 2] = NAN;
        const char *pn = tpath("nan.wav");
        MC_CHECK_OK(mc_audio_write(pn, x, n, 1, sr, MC_AUDIO_FORMAT_WAV_FLOAT));
        expect_status(l0, pn, MC_STATUS_NUMERIC, "float WAV with a NaN at 0.5 s");
        MC_CHECK(msg_has("NaN") && msg_has("0.500 s"), "NaN message lacks kind or time: %s", mc_error_message());
        x[sr / 2] = 0.0f;
        x[sr + sr / 4] = INFINITY;
        const char *pi2 = tpath("inf.wav");
        MC_CHECK_OK(mc_audio_write(pi2, x, n, 1, sr, MC_AUDIO_FORMAT_WAV_FLOAT));
        expect_status(l0, pi2, MC_STATUS_NUMERIC, "float WAV with an Inf at 1.25 s");
        MC_CHECK(msg_has("Inf") && msg_has("1.250 s"), "Inf message lacks kind or time: %s", mc_error_message());
        /* stereo: -Inf in the right channel at 1.0 s (frame 22050) */
        float *st = calloc((size_t)n * 2, sizeof *st); // (n, 2) interleaved
        st[2 * sr + 1] = -INFINITY;
        const char *ps = tpath("inf_stereo.wav");
        MC_CHECK_OK(mc_audio_write(ps, st, n, 2, sr, MC_AUDIO_FORMAT_WAV_FLOAT));
        expect_status(l0, ps, MC_STATUS_NUMERIC, "stereo float WAV, -Inf at 1.0 s");
        MC_CHECK(msg_has("Inf") && msg_has("1.000 s") && msg_has("channel 1"), "stereo Inf message: %s",
                 mc_error_message());
        /* writing NaN into an integer format is refused */
        x[3] = NAN;
        MC_CHECK(mc_audio_write(tpath("nan16.wav"), x, n, 1, sr, MC_AUDIO_FORMAT_WAV_PCM16) == MC_STATUS_NUMERIC,
                 "NaN into PCM16 accepted");
        free(st);
        free(x);
    }

    /* truncated files (cut in half with truncate): decode what is there, or a clean error */
    {
        const int sr = 22050;
        const int64_t n = 3 * sr;
        float *x = make_noise(n, 0.5, 1234u);
        for (int64_t i = 0; i < n; i++) x[i] = 0.5f * x[i] + 0.4f * sinf((float)(2 * M_PI * 330.0 * i / sr));
        const struct {
            mc_audio_format fmt;
            const char *name;
            double tol;
        } tr[] = {{MC_AUDIO_FORMAT_WAV_PCM16, "trunc.wav", 1.5 / 32768},
                  {MC_AUDIO_FORMAT_FLAC_PCM16, "trunc.flac", 1.5 / 32768},
                  {MC_AUDIO_FORMAT_OGG_VORBIS, "trunc.ogg", -1},
                  {MC_AUDIO_FORMAT_MP3, "trunc.mp3", -1}};
        for (size_t k = 0; k < sizeof tr / sizeof tr[0]; k++) {
            const char *p = tpath(tr[k].name);
            mc_status ws = mc_audio_write(p, x, n, 1, sr, tr[k].fmt);
            if (ws == MC_STATUS_UNSUPPORTED) continue;
            MC_CHECK_OK(ws);
            long size = file_size(p);
            cut_file(p, size / 2);
            const float *y;
            int64_t ny;
            mc_status st = mc_audio_loader_load(l0, p, &y, &ny, NULL);
            printf("  %-34s -> %-15s %lld of %lld frames %s\n", tr[k].name, mc_status_name(st), (long long)ny,
                   (long long)n, st ? mc_error_message() : "");
            MC_CHECK(st == MC_STATUS_OK || st == MC_STATUS_FORMAT, "%s cut in half: status %s", tr[k].name,
                     mc_status_name(st));
            if (st == MC_STATUS_OK) {
                MC_CHECK(ny > 0 && ny < n, "%s cut in half: %lld frames of %lld", tr[k].name, (long long)ny,
                         (long long)n);
                if (tr[k].tol >= 0 && ny <= n) {
                    char what[64];
                    snprintf(what, sizeof what, "%s: decoded prefix", tr[k].name);
                    MC_CHECK_CLOSE(what, y, x, ny, tr[k].tol);
                }
                int finite = 1;
                for (int64_t i = 0; i < ny; i++) finite &= isfinite(y[i]) != 0;
                MC_CHECK(finite, "%s: non-finite samples", tr[k].name);
            } else {
                MC_CHECK(msg_has(p), "%s: message does not name the file", tr[k].name);
            }
            /* a header only: the first 40 bytes */
            cut_file(p, 40);
            st = mc_audio_loader_load(l0, p, &y, &ny, NULL);
            printf("  %-34s -> %-15s %s\n", "  ... cut to 40 bytes", mc_status_name(st), mc_error_message());
            MC_CHECK(st == MC_STATUS_FORMAT || st == MC_STATUS_EMPTY, "%s cut to 40 bytes: status %s", tr[k].name,
                     mc_status_name(st));
        }
        free(x);
    }

    /* random bytes under every audio extension: any error status, never a crash */
    {
        const char *ext[] = {"wav", "flac", "ogg", "mp3", "au", "aiff"};
        unsigned char junk[4096];
        uint32_t s = 7u;
        for (size_t i = 0; i < sizeof junk; i++) {
            s = s * 1664525u + 1013904223u;
            junk[i] = (unsigned char)(s >> 24);
        }
        for (size_t e = 0; e < sizeof ext / sizeof ext[0]; e++) {
            char name[32];
            snprintf(name, sizeof name, "junk.%s", ext[e]);
            const char *p = tpath(name);
            FILE *f = fopen(p, "wb");
            fwrite(junk, 1, sizeof junk, f);
            fclose(f);
            const float *y;
            int64_t ny;
            mc_status st = mc_audio_loader_load(l0, p, &y, &ny, NULL);
            printf("  %-34s -> %-15s %s\n", name, mc_status_name(st), st ? mc_error_message() : "");
            MC_CHECK(st == MC_STATUS_FORMAT || st == MC_STATUS_EMPTY || st == MC_STATUS_OK, "%s: status %s", name,
                     mc_status_name(st));
        }
    }

    /* argument checks */
    const float *y;
    int64_t n;
    MC_CHECK(mc_audio_loader_load(NULL, "x.wav", &y, &n, NULL) == MC_STATUS_INVALID_ARG, "NULL loader");
    MC_CHECK(mc_audio_loader_load(l0, NULL, &y, &n, NULL) == MC_STATUS_INVALID_ARG, "NULL path");
    mc_audio_info info;
    MC_CHECK(mc_audio_probe(tpath("nope.flac"), &info) == MC_STATUS_IO, "probe of a missing file");
    float one = 0.0f;
    MC_CHECK(mc_audio_write(tpath("x.wav"), &one, 1, 0, 22050, MC_AUDIO_FORMAT_WAV_PCM16) == MC_STATUS_INVALID_ARG,
             "0 channels");
    MC_CHECK(mc_audio_write(tpath("x.wav"), &one, 1, 1, 0, MC_AUDIO_FORMAT_WAV_PCM16) == MC_STATUS_INVALID_ARG,
             "0 Hz");
    MC_CHECK(mc_audio_write(tpath("x.wav"), &one, 1, 1, 22050, (mc_audio_format)99) == MC_STATUS_INVALID_ARG,
             "unknown format");
    MC_CHECK(mc_audio_write(tpath("no_such_dir/x.wav"), &one, 1, 1, 22050, MC_AUDIO_FORMAT_WAV_PCM16) ==
                 MC_STATUS_IO,
             "write into a missing folder: %s", mc_error_message());
    mc_audio_loader *bad = (mc_audio_loader *)1;
    MC_CHECK(mc_audio_loader_create(5000000, &bad) == MC_STATUS_INVALID_ARG && bad == NULL, "absurd target rate");
    mc_audio_loader_free(NULL);
}

/* ------------------------------------------------------------------------------ loader reuse */

/* One loader over many files of different lengths, rates, channel counts and formats, in an order
 * that makes its buffers grow and then be reused: each result must equal a fresh loader's. */
static void test_loader_reuse(void) {
    printf("loader reuse across files:\n");
    const struct {
        int sr, ch;
        double secs;
        mc_audio_format fmt;
        const char *ext;
    } spec[] = {{44100, 2, 0.5, MC_AUDIO_FORMAT_WAV_PCM16, "wav"},   {22050, 1, 3.0, MC_AUDIO_FORMAT_FLAC_PCM16, "flac"},
                {48000, 2, 2.0, MC_AUDIO_FORMAT_OGG_VORBIS, "ogg"},  {8000, 1, 0.2, MC_AUDIO_FORMAT_AU_PCM16, "au"},
                {44100, 2, 4.0, MC_AUDIO_FORMAT_FLAC_PCM24, "flac"}, {16000, 3, 1.0, MC_AUDIO_FORMAT_WAV_FLOAT, "wav"},
                {44100, 1, 1.0, MC_AUDIO_FORMAT_AIFF_PCM16, "aiff"}};
    const int nspec = (int)(sizeof spec / sizeof spec[0]);
    char paths[8][4200];
    for (int i = 0; i < nspec; i++) {
        int64_t n = (int64_t)(spec[i].secs * spec[i].sr) + i;
        float *x = make_noise(n * spec[i].ch, 0.6, 100u + (uint32_t)i); // (n, ch) interleaved
        char name[64];
        snprintf(name, sizeof name, "reuse%d.%s", i, spec[i].ext);
        snprintf(paths[i], sizeof paths[i], "%s", tpath(name));
        MC_CHECK_OK(mc_audio_write(paths[i], x, n, spec[i].ch, spec[i].sr, spec[i].fmt));
        free(x);
    }
    mc_audio_loader *shared = NULL;
    MC_CHECK_OK(mc_audio_loader_create(22050, &shared));
    if (!shared) return;
    int mismatches = 0, loads = 0;
    for (int round = 0; round < 6; round++) {
        for (int k = 0; k < nspec; k++) {
            int i = (k * 3 + round) % nspec; /* a different order each round */
            const float *a, *b;
            int64_t na, nb;
            mc_audio_loader *fresh = NULL;
            MC_CHECK_OK(mc_audio_loader_create(22050, &fresh));
            mc_status s1 = mc_audio_loader_load(shared, paths[i], &a, &na, NULL);
            mc_status s2 = mc_audio_loader_load(fresh, paths[i], &b, &nb, NULL);
            loads++;
            if (s1 != MC_STATUS_OK || s2 != MC_STATUS_OK || na != nb || memcmp(a, b, (size_t)na * sizeof *a) != 0) {
                mismatches++;
                fprintf(stderr, "reuse: %s: %s\n", paths[i], mc_error_message());
            }
            /* an error in between must not disturb the next load */
            expect_status_v(shared, tpath("does_not_exist.flac"), MC_STATUS_IO, "missing file between loads", 0);
            mc_audio_loader_free(fresh);
        }
    }
    printf("  %d loads through one loader, %d differ from a fresh loader\n", loads, mismatches);
    MC_CHECK(mismatches == 0, "%d of %d reused loads differ", mismatches, loads);
    mc_audio_loader_free(shared);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "%s", mc_test_tmpdir("audio"));
    mc_audio_loader *l0 = NULL;
    MC_CHECK_OK(mc_audio_loader_create(0, &l0));
    if (!l0) return mc_test_summary("test_audio");
    test_round_trip(l0);
    test_write_clips(l0);
    test_downmix(l0);
    test_resample();
    test_segments();
    test_errors(l0);
    test_loader_reuse();
    mc_audio_loader_free(l0);
    return mc_test_summary("test_audio");
}
