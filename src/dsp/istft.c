/* The synthesis workspace, the complex STFT and its inverse, as librosa 0.10.2's
 *   librosa.stft(y, n_fft, hop_length, window='hann', center=True, pad_mode='constant')
 *   librosa.istft(D, hop_length, window='hann', center=True, length)
 * librosa.istft: every frame's numpy.fft.irfft (n = n_fft, which ignores the imaginary parts of the DC
 * and Nyquist bins) times the periodic Hann window is overlap-added at t * hop of the padded signal; the
 * sum is divided by window_sumsquare (the squared window overlap-added the same way) wherever that
 * exceeds tiny(float32), and the first n_fft // 2 samples (the centring pad) are dropped. With a length,
 * only the first min(frames, ceil((length + 2 (n_fft // 2)) / hop)) frames are used and the output is
 * cut or zero-padded to that length. librosa accumulates the overlap-add in float32; here it is float64
 * and rounded once at the end. */
#include "dsp_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- workspace */

void mc_dsp_synth_free(mc_dsp_synth *s) {
    if (!s) return;
    fftw_free(s->frame);
    fftw_free(s->spec);
    mc_free(s->a);
    mc_free(s->b);
    mc_free(s->c);
    mc_free(s->mag);
    mc_free(s->ola);
    mc_free(s->wss);
    mc_free(s->sig);
    mc_free(s->power);
    mc_free(s->pinv);
    mc_free(s->nx);
    mc_free(s->ny);
    mc_free(s->ng);
    mc_free(s->nm);
    mc_free(s->nr);
    mc_free(s);
}

mc_status mc_dsp_synth_create(const mc_dsp_plan *p, int64_t max_frames, mc_dsp_synth **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_synth_create: out is NULL");
    *out = NULL;
    if (!p) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_synth_create: plan is NULL");
    const int n_fft = p->cfg.n_fft, n_bins = p->n_bins, n_mels = p->cfg.n_mels, hop = p->cfg.hop;
    /* 2^40 / hop frames keeps every size below 2^63 bytes and within int64 arithmetic */
    if (max_frames < 1 || max_frames > ((int64_t)1 << 40) / hop)
        return mc_error_set(MC_STATUS_INVALID_ARG, "dsp synthesis workspace: max_frames = %lld must be in "
                            "[1, 2^40 / hop]", (long long)max_frames);
    mc_dsp_synth *s = mc_alloc(1, sizeof *s);
    if (!s) return MC_STATUS_NO_MEMORY;
    s->plan = p;
    s->max_frames = max_frames;
    s->max_len = (int64_t)hop * max_frames;
    s->ola_cap = n_fft + s->max_len;
    const size_t spec_n = (size_t)max_frames * (size_t)n_bins; /* (max_frames, n_bins) */
    s->frame = fftw_malloc(sizeof(double) * (size_t)n_fft);
    s->spec = fftw_malloc(sizeof(fftw_complex) * (size_t)n_bins);
    s->a = mc_alloc(spec_n, sizeof(fftw_complex));
    s->b = mc_alloc(spec_n, sizeof(fftw_complex));
    s->c = mc_alloc(spec_n, sizeof(fftw_complex));
    s->mag = mc_alloc(spec_n, sizeof(double));
    s->ola = mc_alloc((size_t)s->ola_cap, sizeof(double));
    s->wss = mc_alloc((size_t)s->ola_cap, sizeof(double));
    s->sig = mc_alloc((size_t)s->max_len, sizeof(double));
    s->power = mc_alloc(spec_n, sizeof(float));
    s->pinv = mc_alloc((size_t)n_bins * (size_t)n_mels, sizeof(double));
    s->nx = mc_alloc(spec_n, sizeof(double));
    s->ny = mc_alloc(spec_n, sizeof(double));
    s->ng = mc_alloc(spec_n, sizeof(double));
    s->nm = mc_alloc((size_t)n_mels * (size_t)max_frames, sizeof(double));
    s->nr = mc_alloc((size_t)n_mels * (size_t)max_frames, sizeof(double));
    if (!s->frame || !s->spec || !s->a || !s->b || !s->c || !s->mag || !s->ola || !s->wss || !s->sig ||
        !s->power || !s->pinv || !s->nx || !s->ny || !s->ng || !s->nm || !s->nr) {
        mc_dsp_synth_free(s);
        return mc_error_nomem("out of memory allocating a dsp synthesis workspace "
                            "for %lld frames", (long long)max_frames);
    }
    mc_status st = mc_dsp_synth_mel_init(s);
    if (st != MC_STATUS_OK) {
        mc_dsp_synth_free(s);
        return st;
    }
    *out = s;
    return MC_STATUS_OK;
}

int64_t mc_dsp_istft_length(const mc_dsp_config *c, int64_t frames) {
    if (!c || c->hop < 1 || frames < 1) return 0;
    return (int64_t)c->hop * (frames - 1);
}

/* ---------------------------------------------------------------- STFT (float64 rows) */

/* The loops below run in chunks of constant length so that -O2's cheap vectoriser takes them (as in
 * dsp.c); the rest one by one. */
enum { MC_SYNTH_CHUNK = 8 };

/* frame[i] = win[i] * y[i], i < n */
static void window_times(const double *restrict win, const double *restrict y, double *restrict frame, int n) {
    int i = 0;
    for (; i + MC_SYNTH_CHUNK <= n; i += MC_SYNTH_CHUNK)
        for (int j = 0; j < MC_SYNTH_CHUNK; j++) frame[i + j] = win[i + j] * y[i + j];
    for (; i < n; i++) frame[i] = win[i] * y[i];
}

/* o[i] += win[i] * (frame[i] * scale), i < n: one windowed, normalised irfft frame overlap-added */
static void overlap_add(double *restrict o, const double *restrict win, const double *restrict frame,
                        double scale, int n) {
    int i = 0;
    for (; i + MC_SYNTH_CHUNK <= n; i += MC_SYNTH_CHUNK)
        for (int j = 0; j < MC_SYNTH_CHUNK; j++) o[i + j] += win[i + j] * (frame[i + j] * scale);
    for (; i < n; i++) o[i] += win[i] * (frame[i] * scale);
}

void mc_dsp_stft_rows(const mc_dsp_plan *p, mc_dsp_synth *s, const double *y, int64_t n,
                      fftw_complex *X) {
    const int n_fft = p->cfg.n_fft, n_bins = p->n_bins, half = n_fft / 2;
    const int64_t frames = 1 + n / p->cfg.hop;
    const double *win = p->window; /* (n_fft,) */
    double *frame = s->frame;      /* (n_fft,) */
    for (int64_t t = 0; t < frames; t++) {
        /* frame t of the zero-padded signal (center=True, pad_mode='constant') starts at sample
         * t * hop - n_fft/2 of y; samples outside [0, n) are the padding's zeros */
        const int64_t start = t * (int64_t)p->cfg.hop - half;
        const int i0 = start < 0 ? (int)(-start < n_fft ? -start : n_fft) : 0;
        const int64_t avail = n - start;
        int i1 = avail > n_fft ? n_fft : (int)avail;
        if (i1 < i0) i1 = i0;
        for (int i = 0; i < i0; i++) frame[i] = 0;
        window_times(win + i0, y + (start + i0), frame + i0, i1 - i0);
        for (int i = i1; i < n_fft; i++) frame[i] = 0;
        fftw_execute_dft_r2c(p->fft, frame, s->spec);
        memcpy(X + t * n_bins, s->spec, sizeof(fftw_complex) * (size_t)n_bins);
    }
}

/* ---------------------------------------------------------------- iSTFT (float64 rows) */

/* librosa.filters.window_sumsquare(window='hann', n_frames, hop, n_fft): w^2 overlap-added at t * hop,
 * in padded coordinates; wss (n_fft + hop * (nf - 1)). Cached for the last frame count. */
static void window_sumsquare(const mc_dsp_plan *p, mc_dsp_synth *s, int64_t nf) {
    if (s->wss_frames == nf) return;
    const int n_fft = p->cfg.n_fft, hop = p->cfg.hop;
    const int64_t len = n_fft + (int64_t)hop * (nf - 1);
    double *wss = s->wss;
    memset(wss, 0, sizeof(double) * (size_t)len);
    for (int64_t t = 0; t < nf; t++) {
        double *o = wss + t * hop;
        for (int i = 0; i < n_fft; i++) o[i] += p->window[i] * p->window[i];
    }
    s->wss_frames = nf;
}

const double *mc_dsp_istft_rows(const mc_dsp_plan *p, mc_dsp_synth *s, fftw_complex *X, int64_t frames,
                                int64_t length, int64_t *n_out) {
    const int n_fft = p->cfg.n_fft, n_bins = p->n_bins, hop = p->cfg.hop, half = n_fft / 2;
    /* the frames that reach the requested length: ceil((length + 2 (n_fft // 2)) / hop) */
    int64_t nf = (length + 2 * (int64_t)half + hop - 1) / hop;
    if (nf > frames) nf = frames;
    const int64_t olen = n_fft + (int64_t)hop * (nf - 1); /* padded signal covered by nf frames */
    const double inv_n = 1.0 / n_fft;                      /* numpy's irfft normalisation */
    const double *win = p->window;                         /* (n_fft,) */
    double *ola = s->ola;                                  /* (ola_cap,) */
    memset(ola, 0, sizeof(double) * (size_t)olen);
    for (int64_t t = 0; t < nf; t++) {
        memcpy(s->spec, X + t * n_bins, sizeof(fftw_complex) * (size_t)n_bins);
        /* irfft of a real signal's half spectrum: the DC and Nyquist bins are real */
        s->spec[0][1] = 0;
        s->spec[n_bins - 1][1] = 0;
        fftw_execute_dft_c2r(p->ifft, s->spec, s->frame); /* unnormalised: n_fft * irfft */
        overlap_add(ola + t * hop, win, s->frame, inv_n, n_fft);
    }
    window_sumsquare(p, s, nf);
    /* y[j] = ola[j + n_fft/2] / wss[j + n_fft/2] where wss > tiny(float32), the threshold librosa applies
     * to its float32 window sum */
    int64_t n = length < s->ola_cap - half ? length : s->ola_cap - half;
    const double *wss = s->wss;
    for (int64_t j = half; j < olen && j < half + n; j++)
        if (wss[j] > (double)FLT_MIN) ola[j] /= wss[j];
    for (int64_t j = olen; j < half + n; j++) ola[j] = 0; /* past the last frame */
    *n_out = n;
    return ola + half;
}

/* ---------------------------------------------------------------- public STFT / iSTFT */

mc_status mc_dsp_stft(const mc_dsp_plan *p, mc_dsp_synth *s, const float *y, int64_t n, float *X) {
    if (!p || !s || !y || !X) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_stft: NULL argument");
    if (s->plan != p)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_stft: workspace made for another plan");
    const int64_t frames = n >= 1 ? mc_dsp_frame_count(&p->cfg, n) : 0;
    if (n < 1 || frames > s->max_frames)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_stft: %lld samples (%lld frames); the "
                            "workspace holds 1 to %lld frames", (long long)n, (long long)frames,
                            (long long)s->max_frames);
    const int n_bins = p->n_bins;
    for (int64_t i = 0; i < n; i++) s->sig[i] = (double)y[i]; /* n < hop * max_frames = max_len */
    mc_dsp_stft_rows(p, s, s->sig, n, s->b);
    /* (frames, n_bins) complex128 -> (n_bins, frames, 2) float32, as librosa's complex64 result */
    for (int64_t t = 0; t < frames; t++) {
        fftw_complex *row = s->b + t * n_bins;
        for (int k = 0; k < n_bins; k++) {
            float *o = X + ((size_t)k * (size_t)frames + (size_t)t) * 2;
            o[0] = (float)row[k][0];
            o[1] = (float)row[k][1];
        }
    }
    return MC_STATUS_OK;
}

mc_status mc_dsp_istft(const mc_dsp_plan *p, mc_dsp_synth *s, const float *X, int64_t frames,
                       int64_t length, float *y) {
    if (!p || !s || !X || !y) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_istft: NULL argument");
    if (s->plan != p)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_istft: workspace made for another plan");
    if (frames < 1 || frames > s->max_frames)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_istft: %lld frames; the workspace holds 1 to "
                            "%lld", (long long)frames, (long long)s->max_frames);
    if (length < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_istft: length = %lld must be >= 0 (0: hop * "
                            "(frames - 1))", (long long)length);
    if (length == 0) length = mc_dsp_istft_length(&p->cfg, frames);
    if (length == 0) return MC_STATUS_OK; /* one frame and no length: librosa returns an empty signal */
    const int n_bins = p->n_bins;
    /* (n_bins, frames, 2) float32 -> (frames, n_bins) complex128 */
    for (int k = 0; k < n_bins; k++) {
        const float *row = X + (size_t)k * (size_t)frames * 2;
        for (int64_t t = 0; t < frames; t++) {
            s->a[t * n_bins + k][0] = (double)row[2 * t];
            s->a[t * n_bins + k][1] = (double)row[2 * t + 1];
        }
    }
    int64_t n = 0;
    const double *r = mc_dsp_istft_rows(p, s, s->a, frames, length, &n);
    for (int64_t j = 0; j < n; j++) y[j] = (float)r[j];
    for (int64_t j = n; j < length; j++) y[j] = 0.0f;
    return MC_STATUS_OK;
}
