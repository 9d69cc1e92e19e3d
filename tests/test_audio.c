/* Tests of the audio module: every file is synthesised here (sines, noise, chirps) and written with
 * mc_audio_write or libsndfile directly; nothing is read from ../shared/data. */
#include <musiclust/audio.h>

#include "audio/audio_internal.h" /* mc_audio_loader_set_blocks: the streaming test hook */
#include "mc_test.h"

#include <fcntl.h>

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


/* ----------------------------------------------------------------------------- streaming */

/* Read the loader's stream to the end into a malloc'd array; *n samples, the status of the read that
 * ended it; *pieces counts the reads that returned samples. */
static mc_status stream_all(mc_audio_loader *l, const char *path, float **y, int64_t *n, int64_t *pieces,
                            mc_audio_info *info) {
    *y = NULL;
    *n = 0;
    *pieces = 0;
    mc_status st = mc_audio_loader_open(l, path, info);
    if (st != MC_STATUS_OK) return st;
    int64_t cap = 1024;
    float *buf = malloc((size_t)cap * sizeof *buf); // (cap,)
    for (;;) {
        const float *x;
        int64_t k;
        st = mc_audio_loader_read(l, &x, &k);
        if (st != MC_STATUS_OK || k == 0) break;
        if (*n + k > cap) {
            while (*n + k > cap) cap *= 2;
            buf = realloc(buf, (size_t)cap * sizeof *buf);
        }
        memcpy(buf + *n, x, (size_t)k * sizeof *x);
        *n += k;
        (*pieces)++;
    }
    if (info && st == MC_STATUS_OK) mc_audio_loader_stream_info(l, info);
    mc_audio_loader_close(l);
    *y = buf;
    return st;
}

/* The stream, read piece by piece, is bit for bit the one-shot mc_audio_resample of the whole signal
 * (python-soxr's single soxr.resample call, then librosa's fix_length), for many rates, lengths
 * (including n * ratio whole, and tracks shorter than soxr's filter) and decode/output block sizes. */
static void test_stream_vs_oneshot(void) {
    printf("streamed resampling = one-shot resampling, bit for bit:\n");
    const int rates[] = {8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000};
    const int64_t lengths_ms[] = {1, 37, 1000, 3000, 12345};
    const struct { int64_t block, out; } blocks[] = {{0, 0}, {1000, 777}, {4096, 65536}, {333, 1}};
    int cases = 0, mismatches = 0;
    double worst = 0;
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        const int sr = rates[r];
        for (size_t li = 0; li < sizeof lengths_ms / sizeof lengths_ms[0]; li++) {
            int64_t n = lengths_ms[li] * sr / 1000 + (int64_t)li; /* not a round number of samples */
            if (n < 1) n = 1;
            float *x = make_noise(n, 0.7, 31u + (uint32_t)r);
            float *t = make_sine(n, 997.0, sr, 0.2);
            for (int64_t i = 0; i < n; i++) x[i] += t[i];
            free(t);
            char name[64];
            snprintf(name, sizeof name, "stream_%d_%lld.wav", sr, (long long)n);
            const char *path = tpath(name);
            MC_CHECK_OK(mc_audio_write(path, x, n, 1, sr, MC_AUDIO_FORMAT_WAV_FLOAT));
            int64_t want_n = mc_audio_resampled_length(n, sr, 22050);
            float *want = malloc((size_t)want_n * sizeof *want); // (want_n,)
            MC_CHECK_OK(mc_audio_resample(x, n, sr, 22050, want));
            for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
                if (blocks[b].out == 1 && n > 40000) continue; /* one sample per soxr call: short tracks only */
                mc_audio_loader *l = NULL;
                MC_CHECK_OK(mc_audio_loader_create(22050, &l));
                if (blocks[b].block) MC_CHECK_OK(mc_audio_loader_set_blocks(l, blocks[b].block, blocks[b].out));
                float *y;
                int64_t ny, pieces;
                mc_audio_info info;
                mc_status st = stream_all(l, path, &y, &ny, &pieces, &info);
                cases++;
                bool same = st == MC_STATUS_OK && ny == want_n && memcmp(y, want, (size_t)ny * sizeof *y) == 0;
                if (!same) {
                    mismatches++;
                    double d = ny == want_n ? mc_test_max_abs_diff(y, want, (long)ny, NULL) : INFINITY;
                    if (d > worst) worst = d;
                    fprintf(stderr, "  %s blocks %lld/%lld: status %s, %lld samples (want %lld), max |diff| %g\n",
                            name, (long long)blocks[b].block, (long long)blocks[b].out, mc_status_name(st),
                            (long long)ny, (long long)want_n, d);
                }
                MC_CHECK(st != MC_STATUS_OK || info.frames == n, "%s: stream_info frames %lld != %lld", name,
                         (long long)info.frames, (long long)n);
                free(y);
                mc_audio_loader_free(l);
            }
            free(want);
            free(x);
        }
    }
    printf("  %d streams (8 rates x 5 lengths x 4 block settings): %d differ from one-shot (max |diff| %g)\n",
           cases, mismatches, worst);
    MC_CHECK(mismatches == 0, "%d of %d streamed resamplings differ from the one-shot result", mismatches, cases);

    /* A stereo 44.1 kHz track in small pieces: the stream = downmix then one-shot resample. */
    {
        const int64_t n = 44100 * 7 + 5;
        float *a = make_noise(n, 0.5, 5u), *b = make_sine(n, 330.0, 44100, 0.4);
        float *st = malloc((size_t)n * 2 * sizeof *st); // (n, 2)
        float *mono = malloc((size_t)n * sizeof *mono);
        for (int64_t i = 0; i < n; i++) {
            st[2 * i] = a[i];
            st[2 * i + 1] = b[i];
            mono[i] = (a[i] + b[i]) * 0.5f;
        }
        const char *path = tpath("stream_stereo.wav");
        MC_CHECK_OK(mc_audio_write(path, st, n, 2, 44100, MC_AUDIO_FORMAT_WAV_FLOAT));
        int64_t want_n = mc_audio_resampled_length(n, 44100, 22050);
        float *want = malloc((size_t)want_n * sizeof *want);
        MC_CHECK_OK(mc_audio_resample(mono, n, 44100, 22050, want));
        mc_audio_loader *l = NULL;
        MC_CHECK_OK(mc_audio_loader_create(22050, &l));
        MC_CHECK_OK(mc_audio_loader_set_blocks(l, 2 * 1237, 999));
        float *y;
        int64_t ny, pieces;
        MC_CHECK_OK(stream_all(l, path, &y, &ny, &pieces, NULL));
        printf("  stereo 44.1 kHz, 7 s, in %lld pieces:\n", (long long)pieces);
        MC_CHECK(ny == want_n && pieces > 100, "stereo stream: %lld samples (want %lld) in %lld pieces", (long long)ny,
                 (long long)want_n, (long long)pieces);
        if (ny == want_n) MC_CHECK_CLOSE("stereo stream vs downmix + one-shot", y, want, ny, 0.0);
        /* the API's contract on a finished stream and misuse */
        const float *x = (const float *)1;
        int64_t k = -1;
        MC_CHECK(mc_audio_loader_read(l, &x, &k) == MC_STATUS_INVALID_ARG && x == NULL && k == 0,
                 "read with no open stream");
        MC_CHECK_OK(mc_audio_loader_open(l, path, NULL));
        mc_audio_loader_close(l);
        mc_audio_loader_close(l); /* twice: no-op */
        mc_audio_info zero;
        mc_audio_loader_stream_info(l, &zero);
        MC_CHECK(zero.sample_rate == 0, "stream_info after close");
        free(y);
        free(want);
        free(a);
        free(b);
        free(st);
        free(mono);
        mc_audio_loader_free(l);
    }
    /* An error mid-stream (a NaN at 2.5 s) ends the stream with the same message as a whole load. */
    {
        const int64_t n = 44100 * 4;
        float *x = make_sine(n, 440.0, 44100, 0.5);
        x[44100 * 5 / 2] = NAN;
        const char *path = tpath("stream_nan.wav");
        MC_CHECK_OK(mc_audio_write(path, x, n, 1, 44100, MC_AUDIO_FORMAT_WAV_FLOAT));
        mc_audio_loader *l = NULL;
        MC_CHECK_OK(mc_audio_loader_create(22050, &l));
        float *y;
        int64_t ny, pieces;
        mc_status st = stream_all(l, path, &y, &ny, &pieces, NULL);
        printf("  NaN at 2.5 s: %s after %lld samples: %s\n", mc_status_name(st), (long long)ny, mc_error_message());
        MC_CHECK(st == MC_STATUS_NUMERIC && strstr(mc_error_message(), "2.500 s"), "NaN mid-stream: %s",
                 mc_error_message());
        free(y);
        free(x);
        mc_audio_loader_free(l);
    }
}

/* --------------------------------------------------------------------------- MPEG decoding */

/* All frames of a file through libsndfile's sf_readf_float, downmixed (librosa.to_mono): what soundfile
 * gives librosa. NULL if libsndfile cannot open it. */
static float *sndfile_mono(const char *path, int64_t *n, int *sr, int *ch) {
    SF_INFO si;
    memset(&si, 0, sizeof si);
    *n = 0;
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) return NULL;
    *sr = si.samplerate;
    *ch = si.channels;
    int64_t cap = 1 << 16;
    float *y = malloc((size_t)cap * sizeof *y);
    float *blk = malloc((size_t)1000 * si.channels * sizeof *blk); // (1000, channels)
    sf_count_t got;
    while ((got = sf_readf_float(sf, blk, 1000)) > 0) {
        if (*n + got > cap) {
            cap *= 2;
            y = realloc(y, (size_t)cap * sizeof *y);
        }
        for (sf_count_t i = 0; i < got; i++) {
            float s = blk[i * si.channels];
            for (int c = 1; c < si.channels; c++) s += blk[i * si.channels + c];
            y[*n + i] = si.channels == 2 ? s * 0.5f : s / (float)si.channels;
        }
        *n += got;
    }
    sf_close(sf);
    free(blk);
    return y;
}

static void copy_file(const char *from, const char *to, const unsigned char *prefix, size_t np,
                      const unsigned char *suffix, size_t ns) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    if (!a || !b) {
        perror(to);
        exit(1);
    }
    if (np) fwrite(prefix, 1, np, b);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, k, b);
    if (ns) fwrite(suffix, 1, ns, b);
    fclose(a);
    fclose(b);
}

/* An ID3v2.3 tag of `size` bytes in all (header included) holding one TIT2 frame and padding. */
static size_t id3v2_tag(unsigned char *t, size_t size, const char *title) {
    memset(t, 0, size);
    memcpy(t, "ID3\3\0\0", 6);
    size_t body = size - 10;
    t[6] = (unsigned char)((body >> 21) & 0x7f);
    t[7] = (unsigned char)((body >> 14) & 0x7f);
    t[8] = (unsigned char)((body >> 7) & 0x7f);
    t[9] = (unsigned char)(body & 0x7f);
    size_t len = strlen(title) + 1;
    memcpy(t + 10, "TIT2", 4);
    t[17] = (unsigned char)len;
    t[20] = 0; /* ISO-8859-1 */
    memcpy(t + 21, title, len - 1);
    return size;
}

/* Run a load with stderr redirected to a file; returns the number of bytes the decoders printed. */
static long load_silently(mc_audio_loader *l, const char *path, mc_status *st, int64_t *n) {
    const char *errp = tpath("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    const float *y;
    *st = mc_audio_loader_load(l, path, &y, n, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return file_size(errp);
}

/* MP3 is decoded by libmpg123 directly, configured as libsndfile configures it: every sample and the
 * length must be libsndfile's, for MP3s of every rate and channel count, with ID3v2 tags (one, two
 * chained), an ID3v1 tag, trailing junk, a cut-off end; a WAV named .mp3 stays a WAV; and libmpg123
 * prints nothing. */
static void test_mpeg(void) {
    printf("MP3 through libmpg123 directly = libsndfile's samples:\n");
    const int rates[] = {8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000};
    static char made[32][4200];
    int nmade = 0;
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        for (int ch = 1; ch <= 2; ch++) {
            const int sr = rates[r];
            const int64_t n = sr * 2 + 101 * (int64_t)r;
            float *x = malloc((size_t)n * ch * sizeof *x); // (n, ch)
            float *a = make_sine(n, 523.0, sr, 0.5), *b = make_noise(n, 0.3, 9u + (uint32_t)r);
            for (int64_t i = 0; i < n; i++)
                for (int c = 0; c < ch; c++) x[i * ch + c] = c ? b[i] : a[i] + 0.2f * b[i];
            free(a);
            free(b);
            char name[64];
            snprintf(name, sizeof name, "mpeg_%d_%d.mp3", sr, ch);
            const char *path = tpath(name);
            mc_status ws = mc_audio_write(path, x, n, ch, sr, MC_AUDIO_FORMAT_MP3);
            free(x);
            if (ws == MC_STATUS_UNSUPPORTED) {
                printf("  MP3 writing unsupported here: %s\n", mc_error_message());
                return;
            }
            MC_CHECK_OK(ws);
            snprintf(made[nmade++], sizeof made[0], "%s", path);
        }
    }
    /* variants of the 44.1 kHz stereo file */
    /* (tpath's buffers rotate: keep the names in our own) */
    static char base[4200], id3[4200], id3x2[4200], idv1[4200], tail[4200], named_wav[4200], cut[4200],
        wav_mp3[4200];
    snprintf(base, sizeof base, "%s", tpath("mpeg_44100_2.mp3"));
    snprintf(id3, sizeof id3, "%s", tpath("mpeg_id3.mp3"));
    snprintf(id3x2, sizeof id3x2, "%s", tpath("mpeg_id3x2.mp3"));
    snprintf(idv1, sizeof idv1, "%s", tpath("mpeg_id3v1.mp3"));
    snprintf(tail, sizeof tail, "%s", tpath("mpeg_junk_tail.mp3"));
    snprintf(named_wav, sizeof named_wav, "%s", tpath("mpeg_named.wav"));
    snprintf(cut, sizeof cut, "%s", tpath("mpeg_cut.mp3"));
    snprintf(wav_mp3, sizeof wav_mp3, "%s", tpath("really_a_wav.mp3"));
    unsigned char tag[4096], tag2[700], v1[128];
    size_t nt = id3v2_tag(tag, 4096, "A title"), nt2 = id3v2_tag(tag2, 700, "Second tag");
    unsigned char two[4796];
    memcpy(two, tag, nt);
    memcpy(two + nt, tag2, nt2);
    memset(v1, 0, sizeof v1);
    memcpy(v1, "TAGSome title", 13);
    unsigned char junk[3000];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 7 + 3);
    copy_file(base, id3, tag, nt, NULL, 0);
    copy_file(base, id3x2, two, nt + nt2, NULL, 0);
    copy_file(base, idv1, NULL, 0, v1, sizeof v1);
    copy_file(base, tail, NULL, 0, junk, sizeof junk);
    copy_file(base, named_wav, NULL, 0, NULL, 0);
    copy_file(base, cut, NULL, 0, NULL, 0);
    cut_file(cut, file_size(cut) * 2 / 3);
    const char *extra[] = {id3, id3x2, idv1, tail, named_wav, cut};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) snprintf(made[nmade++], sizeof made[0], "%s", extra[i]);
    /* a WAV named .mp3 is a WAV for libsndfile, and for us */
    {
        float *x = make_sine(30000, 440.0, 16000, 0.5);
        MC_CHECK_OK(mc_audio_write(wav_mp3, x, 30000, 1, 16000, MC_AUDIO_FORMAT_WAV_PCM16));
        free(x);
    }

    mc_audio_loader *l = NULL;
    MC_CHECK_OK(mc_audio_loader_create(0, &l));
    if (!l) return;
    int differ = 0, total = 0;
    for (int i = 0; i <= nmade; i++) {
        const char *path = i < nmade ? made[i] : wav_mp3;
        int64_t nref = 0;
        int sr = 0, ch = 0;
        float *ref = sndfile_mono(path, &nref, &sr, &ch);
        MC_CHECK(ref != NULL, "libsndfile cannot open %s", path);
        mc_status st;
        int64_t n = 0;
        long noise = load_silently(l, path, &st, &n);
        const float *y;
        mc_audio_info info;
        if (st == MC_STATUS_OK) st = mc_audio_loader_load(l, path, &y, &n, &info);
        total++;
        bool same = ref && st == MC_STATUS_OK && n == nref && memcmp(y, ref, (size_t)n * sizeof *y) == 0;
        const char *slash = strrchr(path, '/');
        printf("  %-24s %5d Hz %d ch: %7lld frames (libsndfile %7lld) %s, format %s, %ld bytes on stderr\n",
               slash ? slash + 1 : path, sr, ch, (long long)n, (long long)nref, same ? "identical" : "DIFFERENT",
               st == MC_STATUS_OK ? info.format : "-", noise);
        if (!same) differ++;
        MC_CHECK(noise == 0, "%s: %ld bytes printed on stderr while decoding", path, noise);
        if (st == MC_STATUS_OK && ref)
            MC_CHECK(info.sample_rate == sr && info.channels == ch &&
                         strcmp(info.format, i == nmade ? "wav" : "mp3") == 0,
                     "%s: info %d Hz %d ch %s", path, info.sample_rate, info.channels, info.format);
        free(ref);
    }
    MC_CHECK(differ == 0, "%d of %d MPEG files decode differently from libsndfile", differ, total);

    /* Not MPEG at all, named .mp3: one clear line, nothing from libmpg123 on stderr. */
    static char txt[4200], junk_mp3[4200];
    snprintf(txt, sizeof txt, "%s", tpath("lyrics.mp3"));
    snprintf(junk_mp3, sizeof junk_mp3, "%s", tpath("random.mp3"));
    write_text(txt, "Verse 1\nThis is not audio, just the lyrics of a song.\n");
    mc_status st;
    int64_t n;
    long noise = load_silently(l, txt, &st, &n);
    printf("  text file named .mp3 -> %s: %s (%ld bytes on stderr)\n", mc_status_name(st), mc_error_message(), noise);
    MC_CHECK(st == MC_STATUS_FORMAT && strstr(mc_error_message(), "not an audio file") &&
                 !strstr(mc_error_message(), "does not exist"),
             "text .mp3: %s", mc_error_message());
    MC_CHECK(noise == 0, "text .mp3: %ld bytes on stderr", noise);
    unsigned char rnd[20000];
    uint32_t s = 3u;
    for (size_t i = 0; i < sizeof rnd; i++) {
        s = s * 1664525u + 1013904223u;
        rnd[i] = (unsigned char)(s >> 24);
    }
    FILE *f = fopen(junk_mp3, "wb");
    fwrite(rnd, 1, sizeof rnd, f);
    fclose(f);
    noise = load_silently(l, junk_mp3, &st, &n);
    printf("  20 kB of random bytes named .mp3 -> %s (%lld frames), %ld bytes on stderr\n", mc_status_name(st),
           (long long)n, noise);
    MC_CHECK(noise == 0, "random .mp3: %ld bytes on stderr", noise);
    mc_audio_loader_free(l);
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
    test_stream_vs_oneshot();
    test_mpeg();
    mc_audio_loader_free(l0);
    return mc_test_summary("test_audio");
}
