/* The Hann window, the Slaney mel scale and the Slaney mel filterbank, reproducing
 * scipy.signal.get_window('hann', n, fftbins=True) and librosa 0.10.2's hz_to_mel / mel_to_hz /
 * mel_frequencies / fft_frequencies / filters.mel (htk=False, norm='slaney', dtype=float32)
 * operation by operation in float64, so that the float32 weights come out bit-identical to
 * librosa's in all but rare last-ulp cases (libm's exp/log against numpy's). */
#include "dsp_internal.h"

#include <math.h>
#include <string.h>

/* Slaney's Auditory Toolbox mel scale, as librosa htk=False: linear, 3 mel per 200 Hz, from 0 Hz up to
 * the 1 kHz breakpoint (= 15 mel), logarithmic above it with 27 steps per factor 6.4 in frequency. */
#define MC_MEL_F_SP (200.0 / 3.0)
#define MC_MEL_MIN_LOG_HZ 1000.0

static double mc_mel_logstep(void) { return log(6.4) / 27.0; }

double mc_dsp_hz_to_mel(double hz) {
    const double min_log_mel = MC_MEL_MIN_LOG_HZ / MC_MEL_F_SP;
    if (hz >= MC_MEL_MIN_LOG_HZ) return min_log_mel + log(hz / MC_MEL_MIN_LOG_HZ) / mc_mel_logstep();
    return hz / MC_MEL_F_SP;
}

double mc_dsp_mel_to_hz(double mel) {
    const double min_log_mel = MC_MEL_MIN_LOG_HZ / MC_MEL_F_SP;
    if (mel >= min_log_mel) return MC_MEL_MIN_LOG_HZ * exp(mc_mel_logstep() * (mel - min_log_mel));
    return MC_MEL_F_SP * mel;
}

/* scipy's periodic Hann: general_cosine(n + 1, [0.5, 0.5]) truncated to n points, where
 * general_cosine evaluates 0.5 + 0.5 cos(fac) on fac = linspace(-pi, pi, n + 1). Computed in double
 * with numpy's linspace arithmetic (i * step + start); get_window(..., 1) is [1.0]. */
void mc_dsp_hann_double(int n, double *w) {
    if (n <= 0 || !w) return;
    if (n == 1) {
        w[0] = 1.0;
        return;
    }
    const double step = (M_PI - -M_PI) / (double)n; /* linspace(-pi, pi, n + 1): div = n */
    for (int i = 0; i < n; i++) w[i] = 0.5 + 0.5 * cos((double)i * step + -M_PI);
}

void mc_dsp_hann(int n, float *w) {
    if (n <= 0 || !w) return;
    if (n == 1) {
        w[0] = 1.0f;
        return;
    }
    const double step = (M_PI - -M_PI) / (double)n;
    for (int i = 0; i < n; i++) w[i] = (float)(0.5 + 0.5 * cos((double)i * step + -M_PI));
}

static mc_status mc_dsp_mel_check(int sr, int n_fft, int n_mels, double fmin, double *fmax) {
    if (sr < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "mel filterbank: sr = %d must be >= 1", sr);
    if (n_fft < 2 || n_fft > (1 << 24))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mel filterbank: n_fft = %d must be in [2, 2^24]",
                            n_fft);
    if (n_mels < 1 || n_mels > (1 << 16))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mel filterbank: n_mels = %d must be in [1, 65536]",
                            n_mels);
    if (*fmax <= 0) *fmax = (double)sr / 2.0; /* librosa's fmax=None */
    if (!(fmin >= 0) || !isfinite(fmin))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mel filterbank: fmin = %g must be >= 0", fmin);
    if (!(*fmax > fmin) || !(*fmax <= (double)sr / 2.0))
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "mel filterbank: fmax = %g must be > fmin (%g) and <= sr/2 (%g)", *fmax,
                            fmin, (double)sr / 2.0);
    return MC_STATUS_OK;
}

/* The common part of the dense and sparse builders.
 * mel_f (n_mels + 2,): librosa.mel_frequencies(n_mels + 2, fmin, fmax), i.e. mel_to_hz of
 *   numpy.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2) (i * step + start, last = stop).
 * fftfreqs (n_bins,): numpy.fft.rfftfreq(n_fft, 1/sr) = k * (1 / (n_fft * (1 / sr))). */
static void mc_dsp_mel_grid(int sr, int n_fft, int n_mels, double fmin, double fmax, double *mel_f,
                            double *fftfreqs) {
    const int n_pts = n_mels + 2;
    const double min_mel = mc_dsp_hz_to_mel(fmin);
    const double max_mel = mc_dsp_hz_to_mel(fmax);
    const double step = (max_mel - min_mel) / (double)(n_pts - 1);
    for (int i = 0; i < n_pts; i++) {
        double m = (i == n_pts - 1) ? max_mel : (double)i * step + min_mel;
        mel_f[i] = mc_dsp_mel_to_hz(m);
    }
    const int n_bins = 1 + n_fft / 2;
    const double val = 1.0 / ((double)n_fft * (1.0 / (double)sr));
    for (int k = 0; k < n_bins; k++) fftfreqs[k] = (double)k * val;
}

/* Row i of librosa.filters.mel: the triangle max(0, min(lower, upper)) with
 * lower = -(mel_f[i] - f) / (mel_f[i+1] - mel_f[i]),
 * upper = (mel_f[i+2] - f) / (mel_f[i+2] - mel_f[i+1]),
 * stored into librosa's float32 `weights` array (first rounding), then `weights *= enorm` with the
 * float64 Slaney area normalisation enorm = 2 / (mel_f[i+2] - mel_f[i]) (float32 * float64 computed in
 * float64, second rounding back to float32). Both roundings are reproduced. row (n_bins,). */
static void mc_dsp_mel_row(int i, const double *mel_f, const double *fftfreqs, int n_bins, float *row) {
    const double fdiff_lo = mel_f[i + 1] - mel_f[i];
    const double fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
    const double enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
    for (int k = 0; k < n_bins; k++) {
        double lower = -(mel_f[i] - fftfreqs[k]) / fdiff_lo;
        double upper = (mel_f[i + 2] - fftfreqs[k]) / fdiff_hi;
        double t = lower < upper ? lower : upper;
        float w32 = (float)(t > 0.0 ? t : 0.0);
        row[k] = (float)((double)w32 * enorm);
    }
}

mc_status mc_dsp_mel_filterbank(int sr, int n_fft, int n_mels, double fmin, double fmax, float *W) {
    if (!W) return mc_error_set(MC_STATUS_INVALID_ARG, "mel filterbank: output is NULL");
    mc_status st = mc_dsp_mel_check(sr, n_fft, n_mels, fmin, &fmax);
    if (st != MC_STATUS_OK) return st;
    const int n_bins = 1 + n_fft / 2;
    double *mel_f = mc_alloc((size_t)n_mels + 2, sizeof *mel_f); /* (n_mels + 2,) Hz */
    double *fftfreqs = mc_alloc((size_t)n_bins, sizeof *fftfreqs); /* (n_bins,) Hz */
    if (!mel_f || !fftfreqs) {
        mc_free(mel_f);
        mc_free(fftfreqs);
        return MC_STATUS_NO_MEMORY;
    }
    mc_dsp_mel_grid(sr, n_fft, n_mels, fmin, fmax, mel_f, fftfreqs);
    for (int i = 0; i < n_mels; i++) mc_dsp_mel_row(i, mel_f, fftfreqs, n_bins, W + (size_t)i * n_bins);
    mc_free(mel_f);
    mc_free(fftfreqs);
    return MC_STATUS_OK;
}

void mc_dsp_sparse_mel_free(mc_dsp_sparse_mel *s) {
    if (!s) return;
    mc_free(s->lo);
    mc_free(s->len);
    mc_free(s->off);
    mc_free(s->weights);
    memset(s, 0, sizeof *s);
}

mc_status mc_dsp_sparse_mel_build(int sr, int n_fft, int n_mels, double fmin, double fmax,
                                  mc_dsp_sparse_mel *out) {
    memset(out, 0, sizeof *out);
    mc_status st = mc_dsp_mel_check(sr, n_fft, n_mels, fmin, &fmax);
    if (st != MC_STATUS_OK) return st;
    const int n_bins = 1 + n_fft / 2;
    double *mel_f = mc_alloc((size_t)n_mels + 2, sizeof *mel_f);   /* (n_mels + 2,) Hz */
    double *fftfreqs = mc_alloc((size_t)n_bins, sizeof *fftfreqs); /* (n_bins,) Hz */
    float *row = mc_alloc((size_t)n_bins, sizeof *row);            /* (n_bins,) one dense row */
    out->lo = mc_alloc((size_t)n_mels, sizeof *out->lo);
    out->len = mc_alloc((size_t)n_mels, sizeof *out->len);
    out->off = mc_alloc((size_t)n_mels, sizeof *out->off);
    if (!mel_f || !fftfreqs || !row || !out->lo || !out->len || !out->off) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    mc_dsp_mel_grid(sr, n_fft, n_mels, fmin, fmax, mel_f, fftfreqs);
    /* Pass 1: each filter's nonzero range (contiguous: a triangle). */
    size_t nnz = 0;
    for (int i = 0; i < n_mels; i++) {
        mc_dsp_mel_row(i, mel_f, fftfreqs, n_bins, row);
        int first = -1, last = -1;
        for (int k = 0; k < n_bins; k++) {
            if (row[k] != 0.0f) {
                if (first < 0) first = k;
                last = k;
            }
        }
        out->lo[i] = first < 0 ? 0 : first;
        out->len[i] = first < 0 ? 0 : last - first + 1; /* librosa would warn "empty filters" here */
        out->off[i] = (int)nnz;
        nnz += (size_t)out->len[i];
    }
    /* Pass 2: the weights of those ranges, packed (the rows are cheap to recompute). */
    out->weights = mc_alloc(nnz ? nnz : 1, sizeof *out->weights); /* (nnz,) packed */
    if (!out->weights) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    for (int i = 0; i < n_mels; i++) {
        mc_dsp_mel_row(i, mel_f, fftfreqs, n_bins, row);
        memcpy(out->weights + out->off[i], row + out->lo[i], (size_t)out->len[i] * sizeof(float));
    }
    out->n_mels = n_mels;
    out->n_bins = n_bins;
done:
    mc_free(mel_f);
    mc_free(fftfreqs);
    mc_free(row);
    if (st != MC_STATUS_OK) mc_dsp_sparse_mel_free(out);
    return st;
}
