/* Configuration, plan and workspace, and the per-signal computations: centred STFT power spectrum,
 * sparse mel projection, power -> dB, orthonormal DCT-II (MFCC) and MFCC statistics, matching
 * librosa 0.10.2 (see include/musiclust/dsp.h for the calls reproduced). */
#include "dsp_internal.h"

#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if MC_DSP_HAVE_AVX2
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- FFTW planner lock */

static pthread_mutex_t mc_dsp_fftw_mutex = PTHREAD_MUTEX_INITIALIZER;

void mc_dsp_fftw_lock(void) { pthread_mutex_lock(&mc_dsp_fftw_mutex); }
void mc_dsp_fftw_unlock(void) { pthread_mutex_unlock(&mc_dsp_fftw_mutex); }

/* ---------------------------------------------------------------- vector units (dsp_internal.h) */

static atomic_int mc_dsp_simd = 0; /* 0: not chosen yet */

int mc_dsp_simd_level(void) {
    int l = atomic_load_explicit(&mc_dsp_simd, memory_order_relaxed);
    if (l) return l;
    l = MC_DSP_SIMD_BASE;
#if MC_DSP_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) l = MC_DSP_SIMD_AVX2;
#endif
    atomic_store_explicit(&mc_dsp_simd, l, memory_order_relaxed);
    return l;
}

void mc_dsp_simd_force(int level) {
    atomic_store_explicit(&mc_dsp_simd, 0, memory_order_relaxed);
    if (level == MC_DSP_SIMD_BASE || (level == MC_DSP_SIMD_AVX2 && mc_dsp_simd_level() == MC_DSP_SIMD_AVX2))
        atomic_store_explicit(&mc_dsp_simd, level, memory_order_relaxed);
}

/* ---------------------------------------------------------------- precision of the transform
 *
 * librosa computes `numpy.fft.rfft(fft_window * y_frames)` with a float64 window times float32 frames,
 * i.e. a float64 FFT, and only then stores the result as complex64. A float32 FFT (fftwf) has an
 * error that scales with the energy of the whole frame, not of the bin, so the quiet bins of a frame
 * with loud low frequencies lose relative accuracy. Measured on the three librosa references
 * (tests/test_dsp.c; max relative error of the mel power over entries whose reference is > 1e-8,
 * tolerance 1e-3), with everything else as below:
 *   fftwf (float32) r2c:  jazz.00005 8.0e-4, metal.00003 5.4e-4, classical.00007 2.7e-4
 *                         (log-mel dB max |diff| 1.3e-4 / 1.5e-4 / 1.1e-4)
 *   fftw (float64) r2c:   jazz.00005 5.5e-7, metal.00003 5.7e-7, classical.00007 4.6e-7
 *                         (log-mel dB max |diff| 7.6e-6, i.e. 1 float32 ulp, on all three)
 * float32 uses 80% of the tolerance on ordinary music, so a quieter recording would fail it; and it is
 * no faster: 2048-point r2c with FFTW_ESTIMATE took 2.45 us in float32 and 2.0 us in float64 on the
 * development machine (FFTW 3.3.10, AVX codelets), the whole segment about the same either way.
 * So the transform is done with double-precision FFTW (fftw_*, library fftw3); the power spectrum,
 * the mel projection and everything after stay float32 as in librosa. */

/* struct mc_dsp_plan is defined in dsp_internal.h (the synthesis files use it too). */

struct mc_dsp_workspace {
    const mc_dsp_plan *plan;
    int64_t max_samples;
    double *frame;       /* (n_fft,) windowed frame, fftw_malloc'd (the alignment the plan expects) */
    fftw_complex *spec;  /* (n_bins,) its spectrum, fftw_malloc'd */
    float *power;        /* (n_bins,) |X|^2 of one frame, float32 as librosa's S */
};

/* ---------------------------------------------------------------- configuration */

void mc_dsp_config_default(mc_dsp_config *c) {
    if (!c) return;
    c->sr = 22050;
    c->n_fft = 2048;
    c->hop = 512;
    c->n_mels = 128;
    c->fmin = 0.0;
    c->fmax = 0.0; /* sr / 2 */
    c->n_mfcc = 20;
    c->ref = 1.0;
    c->amin = 1e-10;
    c->top_db = 80.0;
}

mc_status mc_dsp_config_validate(const mc_dsp_config *c) {
    if (!c) return mc_error_set(MC_STATUS_INVALID_ARG, "dsp config is NULL");
    if (c->sr < 1 || c->sr > 10000000)
        return mc_error_set(MC_STATUS_INVALID_ARG, "sr = %d must be in [1, 10000000]", c->sr);
    if (c->n_fft < 16 || c->n_fft % 2 != 0 || c->n_fft > (1 << 24))
        return mc_error_set(MC_STATUS_INVALID_ARG, "n_fft = %d must be even and in [16, 2^24]",
                            c->n_fft);
    if (c->hop < 1 || c->hop > (1 << 24))
        return mc_error_set(MC_STATUS_INVALID_ARG, "hop = %d must be in [1, 2^24]", c->hop);
    const int n_bins = 1 + c->n_fft / 2;
    if (c->n_mels < 1 || c->n_mels > n_bins)
        return mc_error_set(MC_STATUS_INVALID_ARG, "n_mels = %d must be in [1, n_fft/2+1 = %d]",
                            c->n_mels, n_bins);
    const double nyquist = (double)c->sr / 2.0;
    if (!isfinite(c->fmin) || c->fmin < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "fmin = %g must be >= 0", c->fmin);
    const double fmax = c->fmax <= 0 ? nyquist : c->fmax;
    if (!(fmax <= nyquist)) /* also rejects NaN */
        return mc_error_set(MC_STATUS_INVALID_ARG, "fmax = %g must be <= sr/2 = %g", c->fmax, nyquist);
    if (!(c->fmin < fmax))
        return mc_error_set(MC_STATUS_INVALID_ARG, "fmin = %g must be below fmax = %g", c->fmin, fmax);
    if (c->n_mfcc < 1 || c->n_mfcc > c->n_mels)
        return mc_error_set(MC_STATUS_INVALID_ARG, "n_mfcc = %d must be in [1, n_mels = %d]", c->n_mfcc,
                            c->n_mels);
    if (!isfinite(c->ref) || c->ref <= 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "ref = %g must be > 0", c->ref);
    if (!isfinite(c->amin) || c->amin <= 0) /* librosa raises for amin <= 0 */
        return mc_error_set(MC_STATUS_INVALID_ARG, "amin = %g must be > 0", c->amin);
    if (isnan(c->top_db))
        return mc_error_set(MC_STATUS_INVALID_ARG, "top_db = %g must be a number (<= 0 disables it)",
                            c->top_db);
    return MC_STATUS_OK;
}

int64_t mc_dsp_frame_count(const mc_dsp_config *c, int64_t n_samples) {
    /* center=True pads n_fft/2 zeros on each side: 1 + (n + n_fft - n_fft) / hop frames. */
    if (!c || c->hop < 1 || n_samples < 0) return 0;
    return 1 + n_samples / c->hop;
}

/* ---------------------------------------------------------------- plan */

void mc_dsp_plan_free(mc_dsp_plan *p) {
    if (!p) return;
    if (p->fft || p->ifft) {
        mc_dsp_fftw_lock();
        if (p->fft) fftw_destroy_plan(p->fft);
        if (p->ifft) fftw_destroy_plan(p->ifft);
        mc_dsp_fftw_unlock();
    }
    mc_free(p->window);
    mc_dsp_sparse_mel_free(&p->mel);
    mc_free(p->dct);
    mc_free(p);
}

/* scipy.fft.dct(type=2, norm='ortho') as a matrix: y_k = s_k sum_n x_n cos(pi k (2n + 1) / (2N)),
 * s_0 = sqrt(1/N), s_k = sqrt(2/N). The angle's integer part k (2n + 1) is reduced modulo 4N
 * (one period) before scaling, so cos() sees an argument in [0, 2 pi). dct (n_mfcc, n_mels). */
static void mc_dsp_dct_matrix(int n_mfcc, int n_mels, double *dct) {
    const double s0 = sqrt(1.0 / n_mels), sk = sqrt(2.0 / n_mels);
    const int64_t period = 4 * (int64_t)n_mels;
    for (int k = 0; k < n_mfcc; k++) {
        for (int m = 0; m < n_mels; m++) {
            int64_t q = ((int64_t)k * (2 * (int64_t)m + 1)) % period;
            dct[(size_t)k * n_mels + m] = (k == 0 ? s0 : sk) * cos(M_PI * (double)q / (2.0 * n_mels));
        }
    }
}

mc_status mc_dsp_plan_create(const mc_dsp_config *c, mc_dsp_plan **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_plan_create: out is NULL");
    *out = NULL;
    mc_status st = mc_dsp_config_validate(c);
    if (st != MC_STATUS_OK) return st;
    mc_dsp_plan *p = mc_alloc(1, sizeof *p);
    if (!p) return MC_STATUS_NO_MEMORY;
    p->cfg = *c;
    if (p->cfg.fmax <= 0) p->cfg.fmax = (double)c->sr / 2.0;
    const int n_fft = c->n_fft;
    p->n_bins = 1 + n_fft / 2;

    p->window = mc_alloc((size_t)n_fft, sizeof *p->window);
    p->dct = mc_alloc((size_t)c->n_mfcc * c->n_mels, sizeof *p->dct);
    if (!p->window || !p->dct) {
        mc_dsp_plan_free(p);
        return MC_STATUS_NO_MEMORY;
    }
    mc_dsp_hann_double(n_fft, p->window);
    mc_dsp_dct_matrix(c->n_mfcc, c->n_mels, p->dct);
    st = mc_dsp_sparse_mel_build(c->sr, n_fft, c->n_mels, c->fmin, p->cfg.fmax, &p->mel);
    if (st != MC_STATUS_OK) {
        mc_dsp_plan_free(p);
        return st;
    }

    /* Plan on scratch arrays from the FFTW allocator: workspaces allocate theirs the same way, so
     * they have the alignment the plan was made for, as fftw_execute_dft_r2c requires. FFTW_ESTIMATE
     * picks the algorithm without timing anything, so it (and the output bytes) are the same on every
     * run; it also leaves the arrays untouched. */
    double *in = fftw_malloc(sizeof(double) * (size_t)n_fft);
    fftw_complex *spec = fftw_malloc(sizeof(fftw_complex) * (size_t)p->n_bins);
    if (in && spec) {
        mc_dsp_fftw_lock();
        p->fft = fftw_plan_dft_r2c_1d(n_fft, in, spec, FFTW_ESTIMATE);
        /* The inverse (c2r) for the iSTFT and Griffin-Lim (src/dsp/istft.c); c2r may overwrite its
         * input, which the callers allow for (they copy each frame's spectrum into a scratch buffer). */
        p->ifft = fftw_plan_dft_c2r_1d(n_fft, spec, in, FFTW_ESTIMATE);
        mc_dsp_fftw_unlock();
    }
    fftw_free(in);
    fftw_free(spec);
    if (!p->fft || !p->ifft) {
        mc_dsp_plan_free(p);
        return mc_error_set(MC_STATUS_NO_MEMORY, "FFTW could not plan a %d-point real FFT", n_fft);
    }
    *out = p;
    return MC_STATUS_OK;
}

const mc_dsp_config *mc_dsp_plan_config(const mc_dsp_plan *p) { return p ? &p->cfg : NULL; }

/* ---------------------------------------------------------------- workspace */

void mc_dsp_workspace_free(mc_dsp_workspace *w) {
    if (!w) return;
    fftw_free(w->frame);
    fftw_free(w->spec);
    mc_free(w->power);
    mc_free(w);
}

mc_status mc_dsp_workspace_create(const mc_dsp_plan *p, int64_t max_samples, mc_dsp_workspace **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_workspace_create: out is NULL");
    *out = NULL;
    if (!p) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_workspace_create: plan is NULL");
    if (max_samples < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "dsp workspace: max_samples = %lld must be >= 1",
                            (long long)max_samples);
    mc_dsp_workspace *w = mc_alloc(1, sizeof *w);
    if (!w) return MC_STATUS_NO_MEMORY;
    w->plan = p;
    w->max_samples = max_samples;
    w->frame = fftw_malloc(sizeof(double) * (size_t)p->cfg.n_fft);
    w->spec = fftw_malloc(sizeof(fftw_complex) * (size_t)p->n_bins);
    w->power = mc_alloc((size_t)p->n_bins, sizeof *w->power);
    if (!w->frame || !w->spec || !w->power) {
        mc_dsp_workspace_free(w);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating a dsp workspace");
    }
    *out = w;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- mel power spectrogram */

/* frame[i] = win[i] * y[i] for i < len: the float64 window times the float32 sample, in float64, as
 * numpy promotes librosa's `fft_window * y_frames`. Element by element (the same bits however the
 * compiler vectorises it; -O2 alone leaves this loop scalar, `omp simd` makes it 2.4x faster). */
MC_DSP_INLINE void mc_dsp_window_product_body(const double *restrict win, const float *restrict y,
                                              double *restrict frame, int len) {
#pragma omp simd
    for (int i = 0; i < len; i++) frame[i] = win[i] * (double)y[i];
}
MC_DSP_DISPATCH(mc_dsp_window_product, (const double *restrict win, const float *restrict y, double *restrict frame,
                                        int len), (win, y, frame, len))

/* sum_j w[j] * s[j] over j < len in float32 (librosa's einsum is a float32 sgemm), as four interleaved
 * partial sums (j mod 4) that the compiler vectorises, added pairwise at the end: a fixed order, so
 * the result does not depend on the machine. Float32 is enough: against the librosa references the
 * mel power's max relative error was 5.5e-7 with this sum and 4.6e-7 accumulating in double. */
static float mc_dsp_dot_f32(const float *restrict w, const float *restrict s, int len) {
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int j = 0;
    for (; j + 4 <= len; j += 4) {
        a0 += w[j] * s[j];
        a1 += w[j + 1] * s[j + 1];
        a2 += w[j + 2] * s[j + 2];
        a3 += w[j + 3] * s[j + 3];
    }
    float tail = 0;
    for (; j < len; j++) tail += w[j] * s[j];
    return ((a0 + a1) + (a2 + a3)) + tail;
}

/* |X|^2 of the spectrum: librosa stores the rfft result as complex64, then S = np.abs(X) ** 2 in
 * float32; (float)re^2 + (float)im^2 is that square up to the last ulp of np.abs's hypot.
 * spec (n_bins,) complex -> power (n_bins,). Chunks of 4 for vectorisation. */
MC_DSP_INLINE void mc_dsp_power_spectrum_body(fftw_complex *restrict spec, float *restrict power, int n_bins) {
    /* (spec is not const: ISO C before C2x cannot convert fftw_complex * to pointer-to-const-array) */
#pragma omp simd
    for (int k = 0; k < n_bins; k++) {
        const float re = (float)spec[k][0], im = (float)spec[k][1];
        power[k] = re * re + im * im;
    }
}
MC_DSP_DISPATCH(mc_dsp_power_spectrum, (fftw_complex *restrict spec, float *restrict power, int n_bins),
                (spec, power, n_bins))

void mc_dsp_frame_fft(const mc_dsp_plan *p, const float *y, int64_t n, int64_t t, double *frame,
                      fftw_complex *spec) {
    const int n_fft = p->cfg.n_fft;
    /* Frame t of the zero-padded signal (center=True, pad_mode='constant') starts at sample
     * t * hop - n_fft/2 of y; samples outside [0, n) are the padding zeros. */
    const int64_t start = t * (int64_t)p->cfg.hop - n_fft / 2;
    const int i0 = start < 0 ? (int)(-start < n_fft ? -start : n_fft) : 0;
    const int64_t avail = n - start;
    int i1 = avail > n_fft ? n_fft : (int)avail;
    if (i1 < i0) i1 = i0;
    for (int i = 0; i < i0; i++) frame[i] = 0;
    mc_dsp_window_product(p->window + i0, y + (start + i0), frame + i0, i1 - i0);
    for (int i = i1; i < n_fft; i++) frame[i] = 0;
    fftw_execute_dft_r2c(p->fft, frame, spec);
}

void mc_dsp_frame_fft_samples(const mc_dsp_plan *p, const float *x, double *frame, fftw_complex *spec) {
    /* the window times every sample (a padding zero gives +0, as mc_dsp_frame_fft's explicit zeros) */
    mc_dsp_window_product(p->window, x, frame, p->cfg.n_fft);
    fftw_execute_dft_r2c(p->fft, frame, spec);
}

void mc_dsp_frame_power(fftw_complex *spec, float *power, int n_bins) {
    mc_dsp_power_spectrum(spec, power, n_bins);
}

/* mag[k] = sqrt(power[k]) in float32 (correctly rounded, by SSE2 four at a time or sqrtf). */
/* mag[k] = sqrt(power[k]), in place allowed: IEEE square roots are correctly rounded, so every width
 * gives the same bits (sqrtf itself is not vectorised: it may set errno). */
static void mc_dsp_sqrt_row_base(const float *power, float *mag, int n_bins) {
    int k = 0;
#if defined(__SSE2__)
    for (; k + 4 <= n_bins; k += 4) _mm_storeu_ps(mag + k, _mm_sqrt_ps(_mm_loadu_ps(power + k)));
#endif
    for (; k < n_bins; k++) mag[k] = sqrtf(power[k]);
}
#if MC_DSP_HAVE_AVX2
MC_DSP_AVX2 static void mc_dsp_sqrt_row_avx2(const float *power, float *mag, int n_bins) {
    int k = 0;
    for (; k + 8 <= n_bins; k += 8) _mm256_storeu_ps(mag + k, _mm256_sqrt_ps(_mm256_loadu_ps(power + k)));
    for (; k < n_bins; k++) mag[k] = sqrtf(power[k]);
}
#endif
static void mc_dsp_sqrt_row(const float *power, float *mag, int n_bins) {
#if MC_DSP_HAVE_AVX2
    if (mc_dsp_simd_level() == MC_DSP_SIMD_AVX2) {
        mc_dsp_sqrt_row_avx2(power, mag, n_bins);
        return;
    }
#endif
    mc_dsp_sqrt_row_base(power, mag, n_bins);
}

void mc_dsp_frame_magnitude(fftw_complex *restrict spec, float *restrict mag, int n_bins) {
    /* np.abs of the complex64 STFT is hypotf(re, im), i.e. sqrt(re^2 + im^2) evaluated in float64 and
     * rounded once. Here the square root of the float32 power re^2 + im^2 that the mel spectrogram
     * uses: within one float32 ulp of it, and a quarter of the cost (a float64 sqrt per bin costs as
     * much as the FFT's share of the frame). */
    mc_dsp_power_spectrum(spec, mag, n_bins);
    mc_dsp_sqrt_row(mag, mag, n_bins);
}

void mc_dsp_frame_mel(const mc_dsp_plan *p, const float *power, float *mel, size_t stride) {
    const mc_dsp_sparse_mel *fb = &p->mel;
    /* melspec = mel_basis @ S over each filter's nonzero bins only. */
    for (int m = 0; m < fb->n_mels; m++)
        mel[(size_t)m * stride] = mc_dsp_dot_f32(fb->weights + fb->off[m], power + fb->lo[m], fb->len[m]);
}

static mc_status mc_dsp_mel_power_impl(const mc_dsp_plan *p, mc_dsp_workspace *w, const float *y,
                                       int64_t n, float *mel, float *mag, const char *fn) {
    if (!p || !w || !y || (!mel && !mag))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL argument", fn);
    if (w->plan != p)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: workspace made for another plan", fn);
    if (n < 1 || n > w->max_samples)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %lld samples, the workspace holds 1 to %lld", fn,
                            (long long)n, (long long)w->max_samples);
    const int n_bins = p->n_bins;
    const int64_t frames = mc_dsp_frame_count(&p->cfg, n);
    for (int64_t t = 0; t < frames; t++) {
        mc_dsp_frame_fft(p, y, n, t, w->frame, w->spec);
        mc_dsp_power_spectrum(w->spec, w->power, n_bins);
        if (mag) mc_dsp_sqrt_row(w->power, mag + (size_t)t * (size_t)n_bins, n_bins); /* row t */
        if (mel) mc_dsp_frame_mel(p, w->power, mel + t, (size_t)frames); /* column t of (n_mels, frames) */
    }
    return MC_STATUS_OK;
}

mc_status mc_dsp_mel_power(const mc_dsp_plan *p, mc_dsp_workspace *w, const float *y, int64_t n,
                           float *mel) {
    if (!mel) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_mel_power: NULL argument");
    return mc_dsp_mel_power_impl(p, w, y, n, mel, NULL, "mc_dsp_mel_power");
}

mc_status mc_dsp_mel_power_mag(const mc_dsp_plan *p, mc_dsp_workspace *w, const float *y, int64_t n,
                               float *mel, float *mag) {
    return mc_dsp_mel_power_impl(p, w, y, n, mel, mag, "mc_dsp_mel_power_mag");
}

/* ---------------------------------------------------------------- power -> dB */

/* log10 of positive normal floats, correctly rounded to float32: x = m 2^e with m in [sqrt(1/2),
 * sqrt(2)) taken from the bits (no branch, so the loop vectorises), ln m = 2 atanh(s), s = (m - 1) /
 * (m + 1), |s| <= 0.1716, by its series to s^15 in float64 (truncation below 1e-13 relative), then
 * e log10(2) + ln(m) log10(e) rounded once. Checked against (float)log10((double)x) on 79.6 million
 * floats from 1e-10 to 1e10 (every 7th bit pattern): no difference. glibc's log10f differs from the
 * correctly rounded value on 4.1% of them (by one ulp), and librosa's own values (numpy's float32
 * log10 on the reference machine) agree with either on only ~57% of the reference mel powers, so
 * neither is "librosa's" log; this one is exact, and 2x (SSE2) to 4x (AVX2) faster than log10f.
 * Zero, subnormal, infinite and NaN inputs are not handled here (see mc_dsp_power_to_db). */
MC_DSP_INLINE void mc_dsp_log10_normal_body(const float *restrict x, float *restrict out, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        const uint32_t t = u - 0x3f3504f3u; /* the bits of sqrt(1/2) */
        const int32_t e = (int32_t)t >> 23;
        const uint32_t mb = (t & 0x7fffffu) + 0x3f3504f3u;
        float mf;
        memcpy(&mf, &mb, sizeof mf);
        const double m = (double)mf;
        const double s = (m - 1.0) / (m + 1.0), z = s * s;
        double p = 1.0 / 15;
        p = p * z + 1.0 / 13;
        p = p * z + 1.0 / 11;
        p = p * z + 1.0 / 9;
        p = p * z + 1.0 / 7;
        p = p * z + 1.0 / 5;
        p = p * z + 1.0 / 3;
        p = p * z + 1.0;
        out[i] = (float)((double)e * 0.30102999566398119521 + (2.0 * s * p) * 0.43429448190325182765);
    }
}
MC_DSP_DISPATCH(mc_dsp_log10_normal, (const float *restrict x, float *restrict out, int64_t n), (x, out, n))

/* max(m, the largest of x (n,)), NaN entries left out: the maximum is exact, so any order gives the
 * same value (SSE's maxps returns its second operand when the first is NaN). */
static float mc_dsp_max_skip_nan(const float *x, int64_t n, float m) {
    int64_t i = 0;
#if defined(__SSE2__)
    __m128 a = _mm_set1_ps(m), b = a;
    for (; i + 8 <= n; i += 8) {
        a = _mm_max_ps(_mm_loadu_ps(x + i), a);
        b = _mm_max_ps(_mm_loadu_ps(x + i + 4), b);
    }
    float l[8];
    _mm_storeu_ps(l, a);
    _mm_storeu_ps(l + 4, b);
    for (int j = 0; j < 8; j++) m = l[j] > m ? l[j] : m;
#endif
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

void mc_dsp_power_to_db(const float *S, int64_t count, double ref, double amin, double top_db,
                        float *out) {
    if (!S || !out || count <= 0) return;
    /* librosa.power_to_db on a float32 array: np.maximum(amin, S) and np.log10 run in float32 (the
     * Python-float amin is cast to float32), 10.0 * that stays float32; the float64 reference offset
     * 10 log10(max(amin, |ref|)) is cast to float32 when subtracted in place. Blocks of 256: the
     * thresholded values, their log10 (mc_dsp_log10_normal; log10f for the rare zero, subnormal, Inf
     * or NaN), then the dB values. */
    const float amin32 = (float)amin;
    const double r = fabs(ref);
    const float offset = (float)(10.0 * log10(r > amin ? r : amin));
    float mx = -INFINITY;
    enum { B = 256 };
    float v[B], lg[B];
    for (int64_t i0 = 0; i0 < count; i0 += B) {
        const int64_t nb = count - i0 < B ? count - i0 : B;
        const float *s = S + i0;
        int special = 0;
#pragma omp simd reduction(| : special)
        for (int64_t j = 0; j < nb; j++) {
            const float sv = s[j];
            /* np.maximum propagates NaN; a NaN entry stays NaN and is left out of the max below
             * (numpy's max would make the whole array NaN) */
            v[j] = sv > amin32 ? sv : (sv != sv ? sv : amin32);
            uint32_t u;
            memcpy(&u, &v[j], sizeof u);
            const uint32_t ex = (u >> 23) & 0xffu;
            special |= ex == 0 || ex == 0xffu;
        }
        mc_dsp_log10_normal(v, lg, nb);
        if (special)
            for (int64_t j = 0; j < nb; j++) {
                uint32_t u;
                memcpy(&u, &v[j], sizeof u);
                const uint32_t ex = (u >> 23) & 0xffu;
                if (ex == 0 || ex == 0xffu) lg[j] = log10f(v[j]);
            }
        float *o = out + i0;
#pragma omp simd
        for (int64_t j = 0; j < nb; j++) o[j] = 10.0f * lg[j] - offset;
        mx = mc_dsp_max_skip_nan(o, nb, mx);
    }
    if (top_db > 0) {
        /* log_spec.max() - top_db in float64, cast to float32 by np.maximum against the array. */
        const float floor_db = (float)((double)mx - top_db);
        for (int64_t i = 0; i < count; i++)
            if (out[i] < floor_db) out[i] = floor_db;
    }
}

/* ---------------------------------------------------------------- MFCC */

MC_DSP_INLINE void mc_dsp_mfcc_kernel_body(const mc_dsp_plan *p, const float *logmel, int64_t frames, float *mfcc);
MC_DSP_DISPATCH(mc_dsp_mfcc_kernel, (const mc_dsp_plan *p, const float *logmel, int64_t frames, float *mfcc),
                (p, logmel, frames, mfcc))

void mc_dsp_mfcc(const mc_dsp_plan *p, const float *logmel, int64_t frames, float *mfcc) {
    if (!p || !logmel || !mfcc || frames <= 0) return;
    mc_dsp_mfcc_kernel(p, logmel, frames, mfcc);
}

MC_DSP_INLINE void mc_dsp_mfcc_kernel_body(const mc_dsp_plan *p, const float *logmel, int64_t frames, float *mfcc) {
    const int n_mels = p->cfg.n_mels, n_mfcc = p->cfg.n_mfcc;
    /* scipy.fft.dct(logmel, type=2, norm='ortho', axis=0)[:n_mfcc] as a product with the plan's
     * float64 (n_mfcc, n_mels) DCT rows. scipy runs its float32 DCT in float32; doing it in float64
     * leaves only the final rounding, and the MFCCs then differ from librosa's by at most 3e-5 (one
     * float32 ulp of the largest coefficient). mfcc[k, t] = sum_m dct[k, m] * logmel[m, t], each sum in
     * increasing m whatever the blocking. The call may not allocate, so the work is tiled to fit fixed
     * stack buffers: TB frames at a time (the compiler vectorises the constant-length loops over
     * them; a last partial tile is zero-padded and its padding not stored), KB coefficients and MB mel
     * bands, the mel tile converted to double once and reused by every coefficient. */
    enum { TB = 8, KB = 32, MB = 64 };
    for (int64_t t0 = 0; t0 < frames; t0 += TB) {
        const int nb = (int)(frames - t0 < TB ? frames - t0 : TB);
        for (int k0 = 0; k0 < n_mfcc; k0 += KB) {
            const int kb = n_mfcc - k0 < KB ? n_mfcc - k0 : KB;
            double acc[KB][TB];
            for (int k = 0; k < kb; k++)
                for (int j = 0; j < TB; j++) acc[k][j] = 0.0;
            for (int m0 = 0; m0 < n_mels; m0 += MB) {
                const int mb = n_mels - m0 < MB ? n_mels - m0 : MB;
                double xd[MB][TB]; /* logmel[m0 + m, t0 + j] in double */
                for (int m = 0; m < mb; m++) {
                    const float *x = logmel + (size_t)(m0 + m) * (size_t)frames + (size_t)t0;
                    if (nb == TB) {
                        for (int j = 0; j < TB; j++) xd[m][j] = (double)x[j];
                    } else {
                        for (int j = 0; j < TB; j++) xd[m][j] = j < nb ? (double)x[j] : 0.0;
                    }
                }
                for (int k = 0; k < kb; k++) {
                    const double *d = p->dct + (size_t)(k0 + k) * n_mels + m0;
                    /* eight named accumulators stay in registers across the m loop */
                    double a0 = acc[k][0], a1 = acc[k][1], a2 = acc[k][2], a3 = acc[k][3];
                    double a4 = acc[k][4], a5 = acc[k][5], a6 = acc[k][6], a7 = acc[k][7];
                    for (int m = 0; m < mb; m++) {
                        const double dm = d[m];
                        const double *x = xd[m];
                        a0 += dm * x[0];
                        a1 += dm * x[1];
                        a2 += dm * x[2];
                        a3 += dm * x[3];
                        a4 += dm * x[4];
                        a5 += dm * x[5];
                        a6 += dm * x[6];
                        a7 += dm * x[7];
                    }
                    acc[k][0] = a0;
                    acc[k][1] = a1;
                    acc[k][2] = a2;
                    acc[k][3] = a3;
                    acc[k][4] = a4;
                    acc[k][5] = a5;
                    acc[k][6] = a6;
                    acc[k][7] = a7;
                }
            }
            for (int k = 0; k < kb; k++) {
                float *o = mfcc + (size_t)(k0 + k) * (size_t)frames + (size_t)t0;
                for (int j = 0; j < nb; j++) o[j] = (float)acc[k][j];
            }
        }
    }
}

void mc_dsp_mfcc_stats(const float *mfcc, int n_mfcc, int64_t frames, float *stats) {
    if (!mfcc || !stats || n_mfcc <= 0) return;
    for (int k = 0; k < n_mfcc; k++) {
        if (frames <= 0) {
            stats[k] = NAN; /* numpy's mean/var of an empty axis */
            stats[n_mfcc + k] = NAN;
            continue;
        }
        const float *x = mfcc + (size_t)k * (size_t)frames; /* (frames,) */
        double sum = 0;
        for (int64_t t = 0; t < frames; t++) sum += x[t];
        const double mean = sum / (double)frames;
        double ss = 0; /* two passes, as numpy.var: mean((x - mean)^2) */
        for (int64_t t = 0; t < frames; t++) {
            double d = (double)x[t] - mean;
            ss += d * d;
        }
        stats[k] = (float)mean;
        stats[n_mfcc + k] = (float)(ss / (double)frames);
    }
}
