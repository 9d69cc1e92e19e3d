/* Griffin-Lim phase reconstruction, as librosa 0.10.2's librosa.griffinlim (the "fast" Griffin-Lim of
 * N. Perraudin, P. Balazs and P. L. Sondergaard, "A fast Griffin-Lim algorithm", IEEE WASPAA 2013, with
 * librosa's update order), and the spectral convergence that measures it.
 *
 * librosa.griffinlim(S, n_iter, momentum, init):
 *   A = S * exp(2 pi i U[0, 1))  (init='random')  or  A = S  (init=None)
 *   repeat n_iter times:
 *     y = istft(A); R = stft(y)
 *     A = R - momentum / (1 + momentum) * R_prev     (A = R on the first pass: R_prev does not exist)
 *     A = S * A / (|A| + tiny)                        (tiny = numpy.finfo(float32).tiny for complex64)
 *     R_prev = R
 *   return istft(A)
 * Here the spectra are complex128 and the signal float64 between the transforms (librosa: complex64 and
 * float32); the initial phases come from the caller's mc_rng rather than numpy's generator. */
#include "dsp_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

void mc_dsp_griffinlim_options_default(mc_dsp_griffinlim_options *o) {
    if (!o) return;
    o->n_iter = 32;
    o->momentum = 0.99;
    o->rng = NULL;
}

/* Shared checks of S (n_bins, frames) and the signal length; resolves *length (0 -> hop (frames - 1)). */
static mc_status check_args(const char *fn, const mc_dsp_plan *p, const mc_dsp_synth *s, int64_t frames,
                            int64_t *length) {
    if (s->plan != p) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: workspace made for another plan", fn);
    if (frames < 1 || frames > s->max_frames)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %lld frames; the workspace holds 1 to %lld", fn,
                            (long long)frames, (long long)s->max_frames);
    if (*length == 0) *length = mc_dsp_istft_length(&p->cfg, frames);
    if (*length < 1 || 1 + *length / p->cfg.hop != frames)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: a signal of %lld samples has %lld STFT frames, "
                            "not %lld (length must be in [hop * (frames - 1), hop * frames))", fn,
                            (long long)*length, (long long)(1 + *length / p->cfg.hop), (long long)frames);
    return MC_STATUS_OK;
}

/* Copy magnitudes S (n_bins, frames) float32 into s->mag (frames, n_bins) float64; fails on a negative or
 * non-finite value. */
static mc_status load_magnitudes(const char *fn, const mc_dsp_plan *p, mc_dsp_synth *s, const float *S,
                                 int64_t frames) {
    const int n_bins = p->n_bins;
    for (int k = 0; k < n_bins; k++) {
        const float *row = S + (size_t)k * (size_t)frames;
        for (int64_t t = 0; t < frames; t++) {
            float v = row[t];
            if (!(v >= 0) || !isfinite(v))
                return mc_error_set(v >= 0 || isnan(v) ? MC_STATUS_NUMERIC : MC_STATUS_INVALID_ARG,
                                    "%s: magnitude S[%d, %lld] = %g must be finite and >= 0", fn, k,
                                    (long long)t, (double)v);
            s->mag[t * n_bins + k] = (double)v;
        }
    }
    return MC_STATUS_OK;
}

/* sqrt(sum (S - |R|)^2) / sqrt(sum S^2) over (frames, n_bins); 0 when S is all zero. */
static double convergence_rows(const double *mag, fftw_complex *R, int64_t count) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < count; i++) {
        double d = mag[i] - sqrt(R[i][0] * R[i][0] + R[i][1] * R[i][1]);
        num += d * d;
        den += mag[i] * mag[i];
    }
    return den > 0 ? sqrt(num / den) : 0.0;
}

/* STFT of the float32 signal y (n,) into s->b and its spectral convergence against s->mag. */
static double convergence_of(const mc_dsp_plan *p, mc_dsp_synth *s, const float *y, int64_t n,
                             int64_t frames) {
    for (int64_t i = 0; i < n; i++) s->sig[i] = (double)y[i];
    mc_dsp_stft_rows(p, s, s->sig, n, s->b);
    return convergence_rows(s->mag, s->b, frames * p->n_bins);
}

mc_status mc_dsp_griffinlim(const mc_dsp_plan *p, mc_dsp_synth *s, const float *S, int64_t frames,
                            const mc_dsp_griffinlim_options *o, int64_t length, float *y, double *sc) {
    static const char fn[] = "mc_dsp_griffinlim";
    if (!p || !s || !S || !o || !y) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL argument", fn);
    if (o->n_iter < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: n_iter = %d must be >= 0", fn, o->n_iter);
    if (!(o->momentum >= 0) || !isfinite(o->momentum))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: momentum = %g must be >= 0", fn, o->momentum);
    mc_status st = check_args(fn, p, s, frames, &length);
    if (st != MC_STATUS_OK) return st;
    st = load_magnitudes(fn, p, s, S, frames);
    if (st != MC_STATUS_OK) return st;

    const int n_bins = p->n_bins;
    const int64_t count = frames * n_bins;
    const double *mag = s->mag;      /* (frames, n_bins) S */
    fftw_complex *A = s->a;          /* (frames, n_bins) the current estimate S * phase */
    fftw_complex *R = s->b;          /* (frames, n_bins) rebuilt = stft(istft(A)) */
    fftw_complex *Rprev = s->c;      /* (frames, n_bins) the previous pass's rebuilt */

    /* initial phases, drawn in S's (bin, frame) order as numpy's rng.random(size=S.shape) */
    if (o->rng) {
        for (int k = 0; k < n_bins; k++)
            for (int64_t t = 0; t < frames; t++) {
                const double phi = 2.0 * M_PI * mc_rng_uniform(o->rng);
                const double m = mag[t * n_bins + k];
                A[t * n_bins + k][0] = m * cos(phi);
                A[t * n_bins + k][1] = m * sin(phi);
            }
    } else {
        for (int64_t i = 0; i < count; i++) {
            A[i][0] = mag[i];
            A[i][1] = 0;
        }
    }

    /* the weight of the previous rebuilt spectrum (Perraudin et al.'s alpha, as librosa scales it) */
    const double c = o->momentum / (1.0 + o->momentum);
    const double tiny = (double)FLT_MIN;
    int64_t n = 0;
    for (int it = 0; it < o->n_iter; it++) {
        const double *inv = mc_dsp_istft_rows(p, s, A, frames, length, &n); /* (length,) */
        mc_dsp_stft_rows(p, s, inv, length, R);
        const bool first = it == 0;
        for (int64_t i = 0; i < count; i++) {
            double re = R[i][0], im = R[i][1];
            if (!first) {
                re -= c * Rprev[i][0];
                im -= c * Rprev[i][1];
            }
            /* angles /= |angles| + tiny; angles *= S. sqrt(re^2 + im^2) rather than hypot(): the
             * spectra of audio are far from overflow, and hypot() alone took half the time of the loop */
            const double scale = mag[i] / (sqrt(re * re + im * im) + tiny);
            A[i][0] = re * scale;
            A[i][1] = im * scale;
        }
        fftw_complex *tmp = Rprev; /* R_prev = R; the old buffer is rebuilt next */
        Rprev = R;
        R = tmp;
    }
    const double *out = mc_dsp_istft_rows(p, s, A, frames, length, &n);
    for (int64_t j = 0; j < n; j++) y[j] = (float)out[j];
    for (int64_t j = n; j < length; j++) y[j] = 0.0f;
    if (sc) *sc = convergence_of(p, s, y, length, frames);
    return MC_STATUS_OK;
}

mc_status mc_dsp_spectral_convergence(const mc_dsp_plan *p, mc_dsp_synth *s, const float *S,
                                      int64_t frames, const float *y, int64_t n, double *sc) {
    static const char fn[] = "mc_dsp_spectral_convergence";
    if (!p || !s || !S || !y || !sc) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL argument", fn);
    if (n < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: the signal is empty", fn);
    int64_t length = n;
    mc_status st = check_args(fn, p, s, frames, &length);
    if (st != MC_STATUS_OK) return st;
    st = load_magnitudes(fn, p, s, S, frames);
    if (st != MC_STATUS_OK) return st;
    *sc = convergence_of(p, s, y, n, frames);
    return MC_STATUS_OK;
}
