/* Helpers shared by the files of src/dsp; not part of the public API. */
#ifndef MUSICLUST_DSP_INTERNAL_H
#define MUSICLUST_DSP_INTERNAL_H

#include <musiclust/dsp.h>

#include <fftw3.h>

/* A mel filterbank stored sparsely: filter m is nonzero only on the FFT bins
 * [lo[m], lo[m] + len[m]), and its weights there are weights[off[m] .. off[m] + len[m]).
 * The Slaney triangles are contiguous, so one range per filter holds every nonzero entry and the
 * product mel_basis @ S costs about 2 * n_bins multiply-adds per frame instead of n_mels * n_bins. */
typedef struct mc_dsp_sparse_mel {
    int n_mels;
    int n_bins;     /* 1 + n_fft / 2 */
    int *lo;        /* (n_mels,) first nonzero bin */
    int *len;       /* (n_mels,) number of bins from lo (0 for an empty filter) */
    int *off;       /* (n_mels,) start of the filter in weights */
    float *weights; /* (sum of len,) packed, filter after filter */
} mc_dsp_sparse_mel;

/* Build the sparse form of mc_dsp_mel_filterbank's matrix (same float32 values). On failure the
 * struct is left empty and the message is set. */
mc_status mc_dsp_sparse_mel_build(int sr, int n_fft, int n_mels, double fmin, double fmax,
                                  mc_dsp_sparse_mel *out);
void mc_dsp_sparse_mel_free(mc_dsp_sparse_mel *s);

/* The plan (include/musiclust/dsp.h): everything that is the same for every signal. Shared read-only by
 * threads once made. */
struct mc_dsp_plan {
    mc_dsp_config cfg;     /* validated, fmax resolved */
    int n_bins;            /* 1 + n_fft / 2 */
    double *window;        /* (n_fft,) periodic Hann, float64 as scipy returns it */
    fftw_plan fft;         /* r2c of n_fft points, planned once, executed on workspace buffers */
    fftw_plan ifft;        /* c2r of n_fft points (unnormalised), for the iSTFT */
    mc_dsp_sparse_mel mel; /* (n_mels, n_bins) Slaney filterbank, sparse */
    double *dct;           /* (n_mfcc, n_mels) row-major orthonormal DCT-II rows, float64 */
};

/* One frame of the analysis STFT, as mc_dsp_mel_power computes it (shared with src/dsp/descriptors.c and
 * src/dsp/tempo.c so that every feature sees the same spectrum):
 * mc_dsp_frame_fft: frame t of y (n,) (centred, zero-padded), times the window, into frame (n_fft,), and
 *   its float64 r2c transform into spec (n_bins,); frame and spec must be fftw_malloc'd.
 * mc_dsp_frame_power: |X|^2 in float32 (the mel input), power (n_bins,).
 * mc_dsp_frame_magnitude: sqrt of that power, within one float32 ulp of numpy's abs of the complex64
 *   STFT (hypotf), mag (n_bins,).
 * mc_dsp_frame_mel: mel[m * stride] = (mel basis row m) . power, float32, for m < n_mels. */
void mc_dsp_frame_fft(const mc_dsp_plan *p, const float *y, int64_t n, int64_t t, double *frame,
                      fftw_complex *spec);
/* mc_dsp_frame_fft of a frame whose n_fft samples x (n_fft,) the caller assembled (zeros where the
 * frame reaches outside the signal): the same bytes as mc_dsp_frame_fft for the same samples. */
void mc_dsp_frame_fft_samples(const mc_dsp_plan *p, const float *x, double *frame, fftw_complex *spec);
void mc_dsp_frame_power(fftw_complex *spec, float *power, int n_bins);
void mc_dsp_frame_magnitude(fftw_complex *spec, float *mag, int n_bins);
void mc_dsp_frame_mel(const mc_dsp_plan *p, const float *power, float *mel, size_t stride);

/* ---------------------------------------------------------------- vector units
 *
 * The hot loops exist twice where AVX2 helps: compiled for the x86-64 baseline (SSE2) and for AVX2,
 * chosen at run time (mc_dsp_simd_level). Both versions do the same IEEE operations on every element
 * in the same order (wider vectors only process more independent elements at once; no FMA, no
 * reassociation), so the outputs are the same bytes on every machine; tests/test_dsp.c compares them.
 * A kernel is written once as `MC_DSP_INLINE void name_body(params) {...}`; MC_DSP_DISPATCH(name,
 * (params), (args)) then defines static `name` calling its baseline or its AVX2 compilation. */
enum { MC_DSP_SIMD_BASE = 1, MC_DSP_SIMD_AVX2 = 2 };
int mc_dsp_simd_level(void);
/* Tests: use `level` from now on (MC_DSP_SIMD_BASE always works; AVX2 only where the CPU has it);
 * 0 chooses by the CPU again. Not thread-safe against running kernels. */
void mc_dsp_simd_force(int level);

#define MC_DSP_INLINE static inline __attribute__((always_inline))
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(__clang__)
#define MC_DSP_HAVE_AVX2 1
#define MC_DSP_AVX2 __attribute__((target("avx2")))
#define MC_DSP_DISPATCH(name, params, args)                                                          \
    static void name##_base params { name##_body args; }                                             \
    MC_DSP_AVX2 static void name##_avx2 params { name##_body args; }                                 \
    static void name params {                                                                        \
        if (mc_dsp_simd_level() == MC_DSP_SIMD_AVX2) name##_avx2 args;                               \
        else name##_base args;                                                                       \
    }
#else
#define MC_DSP_HAVE_AVX2 0
#define MC_DSP_DISPATCH(name, params, args)                                                          \
    static void name params { name##_body args; }
#endif

/* mc_dsp_hann in float64, as scipy returns it: w (n,). The STFT multiplies the float32 frame by this
 * float64 window, as librosa's `fft_window * y_frames` does. */
void mc_dsp_hann_double(int n, double *w);

/* FFTW's planner (plan creation and destruction) is not thread-safe, its execution is. Every file
 * of the library that makes or destroys an FFTW plan holds this lock around the call. */
void mc_dsp_fftw_lock(void);
void mc_dsp_fftw_unlock(void);

/* ---------------------------------------------------------------- synthesis (istft.c, griffinlim.c,
 * mel_inverse.c)
 *
 * Inside the synthesis code a complex spectrogram is stored frame-major, (frames, n_bins) fftw_complex,
 * so that each frame's transform reads and writes one contiguous row; the public functions take and give
 * librosa's (n_bins, frames) layout. */
struct mc_dsp_synth {
    const mc_dsp_plan *plan;
    int64_t max_frames;
    int64_t max_len;          /* hop * max_frames: longer than any signal of max_frames frames */
    int64_t ola_cap;          /* n_fft + hop * max_frames */
    double *frame;            /* (n_fft,) one frame, fftw_malloc'd (the alignment the plans expect) */
    fftw_complex *spec;       /* (n_bins,) one spectrum, fftw_malloc'd */
    fftw_complex *a, *b, *c;  /* (max_frames, n_bins) Griffin-Lim's angles, rebuilt and previous rebuilt */
    double *mag;              /* (max_frames, n_bins) target magnitudes, frame-major */
    double *ola;              /* (ola_cap,) overlap-add buffer, padded coordinates */
    double *wss;              /* (ola_cap,) window sum-square of wss_frames frames, padded coordinates */
    int64_t wss_frames;       /* 0 = wss not computed yet */
    double *sig;              /* (max_len,) a signal in float64 */
    float *power;             /* (n_bins, max_frames) mc_dsp_mel_to_audio's linear spectrogram */
    /* mel inversion (mel_inverse.c) */
    double *pinv;             /* (n_bins, n_mels) Moore-Penrose pseudo-inverse of the mel basis */
    double lipschitz;         /* sigma_max(W)^2: the gradient step of the projected gradient is 1 / it */
    double *nx, *ny, *ng;     /* (n_bins, max_frames) iterate, extrapolated point, gradient */
    double *nm, *nr;          /* (n_mels, max_frames) target, residual */
};

/* Fill s->pinv and s->lipschitz from the plan's mel basis (SVD, LAPACKE_dgesdd). */
mc_status mc_dsp_synth_mel_init(mc_dsp_synth *s);

/* Centred STFT of y (n,) in float64 into X (frames, n_bins), frames = 1 + n / hop <= max_frames. */
void mc_dsp_stft_rows(const mc_dsp_plan *p, mc_dsp_synth *s, const double *y, int64_t n,
                      fftw_complex *X);
/* Centred iSTFT of X (frames, n_bins), as librosa.istft(length=length), length >= 1, computed in place in
 * s->ola. Returns the first output sample (inside s->ola); *n_out = min(length, ola_cap - n_fft/2)
 * samples from there are the result (zero past the last frame's reach). X is read, not changed. */
const double *mc_dsp_istft_rows(const mc_dsp_plan *p, mc_dsp_synth *s, fftw_complex *X, int64_t frames,
                                int64_t length, int64_t *n_out);

#endif
