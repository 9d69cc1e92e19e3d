/* librosa 0.10.2's tempo estimate (librosa.feature.rhythm.tempo, the old librosa.beat.tempo) from an
 * onset envelope, and of a whole track from its samples (onset.onset_strength over the track's own
 * mel spectrogram). */
#include "desc_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* feature.tempogram(onset_envelope, hop, win_length=ac_win, center=True, window='hann', norm=inf),
 * averaged over frames (aggregate=np.mean), then tempo's argmax of log1p(1e6 tg) + logprior:
 *   the envelope is padded with ac_win // 2 values on each side by np.pad(mode='linear_ramp',
 *   end_values=0): np.linspace(0, edge, width, endpoint=False) in float64 cast to float32, reversed on
 *   the right;
 *   frame t (t < frames) is padded[t .. t + ac_win) times the float64 Hann window;
 *   its autocorrelation (librosa.autocorrelate: |rfft(x, n_pad)|^2, irfft, the first ac_win lags; n_pad
 *   768 here, 720 in librosa: the same up to rounding) is
 *   divided by its largest magnitude (by 1 when that is below tiny(float64));
 *   the lags' scores are averaged over frames (in float64, frame order).
 * numpy.argmax returns the first maximum (and the first NaN, which cannot occur here: the envelope is
 * non-negative, so the score of every lag is a number). Returns bpm[best lag]. */
double mc_desc_tempo_core(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *env,
                          int64_t frames, float *padded) {
    const int win = d->ac_win, half = win / 2, nfft = d->ac_nfft, nspec = nfft / 2 + 1;
    const int64_t F = frames;
    {
        const double sl = (double)env[0] / (double)half, sr_ = (double)env[F - 1] / (double)half;
        for (int j = 0; j < half; j++) {
            padded[j] = (float)((double)j * sl);
            padded[half + F + j] = (float)((double)(half - 1 - j) * sr_);
        }
        memcpy(padded + half, env, (size_t)F * sizeof *padded);
    }
    double *x = w->ac_frame;      /* (nfft,), zero past win */
    double *ac = w->ac_out;       /* (nfft,) */
    fftw_complex *X = w->ac_spec; /* (nspec,) */
    double *tg = w->tg;           /* (win,) */
    for (int k = 0; k < win; k++) tg[k] = 0;
    const double scale = 1.0 / (double)nfft; /* numpy's irfft normalisation; FFTW's c2r has none */
    const double *win_w = d->ac_window;
    for (int64_t t = 0; t < F; t++) {
        const float *e = padded + t; /* (win,) */
        int i = 0;
        for (; i + 4 <= win; i += 4)
            for (int j = 0; j < 4; j++) x[i + j] = (double)e[i + j] * win_w[i + j];
        for (; i < win; i++) x[i] = (double)e[i] * win_w[i];
        fftw_execute_dft_r2c(d->ac_fwd, x, X);
        int k = 0;
        for (; k + 2 <= nspec; k += 2)
            for (int j = 0; j < 2; j++) {
                const double re = X[k + j][0], im = X[k + j][1];
                X[k + j][0] = (re * re + im * im) * scale;
                X[k + j][1] = 0;
            }
        for (; k < nspec; k++) {
            const double re = X[k][0], im = X[k][1];
            X[k][0] = (re * re + im * im) * scale;
            X[k][1] = 0;
        }
        fftw_execute_dft_c2r(d->ac_inv, X, ac);
        /* normalize(norm=inf) over the lags: the largest magnitude (at lag 0 up to rounding) */
        double m4[4] = {0, 0, 0, 0};
        k = 0;
        for (; k + 4 <= win; k += 4)
            for (int j = 0; j < 4; j++) {
                const double a = fabs(ac[k + j]);
                m4[j] = a > m4[j] ? a : m4[j];
            }
        for (; k < win; k++) m4[0] = fabs(ac[k]) > m4[0] ? fabs(ac[k]) : m4[0];
        double mx = m4[0];
        for (int j = 1; j < 4; j++) mx = m4[j] > mx ? m4[j] : mx;
        /* an all-zero frame (silence for 8 s) has length 0 < tiny: divided by 1, i.e. adds 0. The
         * division is a multiplication by the reciprocal (within an ulp of numpy's quotient). */
        const double inv = mx < DBL_MIN ? 1.0 : 1.0 / mx;
        k = 0;
        for (; k + 4 <= win; k += 4)
            for (int j = 0; j < 4; j++) tg[k + j] += ac[k + j] * inv;
        for (; k < win; k++) tg[k] += ac[k] * inv;
    }
    int best = 0;
    double best_score = -INFINITY;
    for (int k = 0; k < win; k++) {
        const double s = log1p(1e6 * (tg[k] / (double)F)) + d->logprior[k];
        if (isnan(s)) { /* numpy's argmax stops at the first NaN */
            best = k;
            break;
        }
        if (s > best_score || k == 0) {
            best_score = s;
            best = k;
        }
    }
    return d->bpm[best];
}

mc_status mc_dsp_tempo(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *onset,
                       int64_t frames, double *bpm) {
    if (!d || !w || !onset || !bpm)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo: NULL argument");
    if (w->plan != d)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo: workspace made for another plan");
    if (frames < 1 || frames > w->max_frames)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "mc_dsp_tempo: %lld frames, the workspace holds 1 to %lld",
                            (long long)frames, (long long)w->max_frames);
    for (int64_t t = 0; t < frames; t++)
        if (!isfinite(onset[t]))
            return mc_error_set(MC_STATUS_NUMERIC, "mc_dsp_tempo: onset envelope value %lld is %g",
                                (long long)t, (double)onset[t]);
    *bpm = mc_desc_tempo_core(d, w, onset, frames, w->padded);
    return MC_STATUS_OK;
}

int64_t mc_dsp_track_tempo_scratch(const mc_dsp_desc_plan *d, int64_t n) {
    if (!d || n < 1) return 0;
    const int64_t F = mc_dsp_frame_count(&d->dsp->cfg, n);
    /* dB mel spectrogram (frames, n_mels), envelope (frames,), padded envelope */
    return F * ((int64_t)d->n_mels + 2) + 2 * (int64_t)(d->ac_win / 2);
}

mc_status mc_dsp_track_tempo(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *y,
                             int64_t n, float *scratch, double *bpm) {
    if (!d || !w || !y || !scratch || !bpm)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_track_tempo: NULL argument");
    if (w->plan != d)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_track_tempo: workspace made for another plan");
    if (n < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_track_tempo: %lld samples", (long long)n);
    {
        double bad = 0; /* NaN if any sample is NaN or Inf */
        for (int64_t i = 0; i < n; i++) bad += (double)y[i] - (double)y[i];
        if (bad != 0 || isnan(bad))
            return mc_error_set(MC_STATUS_NUMERIC, "mc_dsp_track_tempo: NaN or Inf in the signal");
    }
    const mc_dsp_plan *p = d->dsp;
    const int nm = d->n_mels, nb = d->n_bins;
    const int64_t F = mc_dsp_frame_count(&p->cfg, n);
    float *db = scratch;                          /* (F, n_mels) frame-major */
    float *env = db + (size_t)F * (size_t)nm;     /* (F,) */
    float *padded = env + F;                      /* (F + 2 (ac_win / 2),) */

    /* onset_strength(y, sr, hop): melspectrogram (the plan's STFT and mel basis, as for the segments),
     * power_to_db(ref 1, amin 1e-10, top_db 80) over the whole track: each frame in dB now, the floor
     * (loudest value - 80) once the whole track is seen */
    float mx = -INFINITY;
    for (int64_t t = 0; t < F; t++) {
        float *col = db + (size_t)t * (size_t)nm;
        mc_dsp_frame_fft(p, y, n, t, w->frame, w->spec);
        mc_dsp_frame_power(w->spec, w->fpower, nb);
        mc_dsp_frame_mel(p, w->fpower, col, 1);
        mc_dsp_power_to_db(col, nm, 1.0, 1e-10, 0.0, col);
        for (int m = 0; m < nm; m++) mx = col[m] > mx ? col[m] : mx;
    }
    const float floor_db = (float)((double)mx - 80.0);
    const int pad = d->onset_pad;
    for (int64_t t = 0; t < F; t++) {
        if (t < pad) {
            env[t] = 0.0f;
            continue;
        }
        const float *a = db + (size_t)(t - pad) * (size_t)nm, *b = a + nm; /* frames j, j + 1 */
        float acc = 0.0f; /* float32 in band order, as numpy and mc_dsp_descriptors */
        for (int m = 0; m < nm; m++) {
            const float va = a[m] > floor_db ? a[m] : floor_db;
            const float vb = b[m] > floor_db ? b[m] : floor_db;
            const float df = vb - va;
            acc += df > 0.0f ? df : 0.0f;
        }
        env[t] = acc / (float)nm;
    }
    *bpm = mc_desc_tempo_core(d, w, env, F, padded);
    return MC_STATUS_OK;
}
