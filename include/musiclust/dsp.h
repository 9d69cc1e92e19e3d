/* musiclust dsp: STFT, mel filterbank, power -> dB, DCT-II and MFCC, matching librosa 0.10.2:
 *   librosa.feature.melspectrogram(y, sr, n_fft, hop_length, window='hann', center=True,
 *       pad_mode='constant', power=2.0, n_mels, fmin, fmax, htk=False, norm='slaney')
 *   librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=80.0)
 *   librosa.feature.mfcc(S=logmel_db, n_mfcc, dct_type=2, norm='ortho')
 *
 * A plan holds everything that is the same for every signal (window, FFTW plan, sparse mel filters,
 * DCT matrix) and may be shared by threads; a workspace holds one thread's scratch. The compute
 * functions never allocate. */
#ifndef MUSICLUST_DSP_H
#define MUSICLUST_DSP_H

#include <musiclust/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_dsp_config {
    int sr;          /* 22050 */
    int n_fft;       /* 2048 (window length = n_fft) */
    int hop;         /* 512 */
    int n_mels;      /* 128 */
    double fmin;     /* 0 */
    double fmax;     /* <= 0 means sr / 2 */
    int n_mfcc;      /* 20 */
    double ref;      /* power_to_db ref, 1.0 */
    double amin;     /* 1e-10 */
    double top_db;   /* 80; <= 0 disables the floor */
} mc_dsp_config;

/* The librosa defaults above. */
void mc_dsp_config_default(mc_dsp_config *c);
/* Check ranges (n_fft >= 16 and even, hop >= 1, 1 <= n_mels <= n_fft/2+1, 0 <= fmin < fmax <= sr/2,
 * 1 <= n_mfcc <= n_mels, ...); a message names the bad option. */
mc_status mc_dsp_config_validate(const mc_dsp_config *c);

/* Frames of a centred STFT: 1 + n / hop. */
int64_t mc_dsp_frame_count(const mc_dsp_config *c, int64_t n_samples);

typedef struct mc_dsp_plan mc_dsp_plan;
mc_status mc_dsp_plan_create(const mc_dsp_config *c, mc_dsp_plan **out);
void mc_dsp_plan_free(mc_dsp_plan *p);
const mc_dsp_config *mc_dsp_plan_config(const mc_dsp_plan *p);

typedef struct mc_dsp_workspace mc_dsp_workspace;
/* Scratch for signals of up to max_samples samples. */
mc_status mc_dsp_workspace_create(const mc_dsp_plan *p, int64_t max_samples,
                                  mc_dsp_workspace **out);
void mc_dsp_workspace_free(mc_dsp_workspace *w);

/* Mel power spectrogram of y (n,), n <= the workspace's max_samples:
 * mel (n_mels, frames) row-major, frames = mc_dsp_frame_count(n). */
mc_status mc_dsp_mel_power(const mc_dsp_plan *p, mc_dsp_workspace *w, const float *y, int64_t n,
                           float *mel);

/* librosa.power_to_db over the whole array S (count,): 10 log10(max(amin, S)) - 10 log10(max(amin,
 * ref)), then floored at (max - top_db) when top_db > 0. In-place allowed (out == S). */
void mc_dsp_power_to_db(const float *S, int64_t count, double ref, double amin, double top_db,
                        float *out);

/* MFCC from a dB mel spectrogram: orthonormal DCT-II along the mel axis, first n_mfcc rows.
 * logmel (n_mels, frames) -> mfcc (n_mfcc, frames), row-major. */
void mc_dsp_mfcc(const mc_dsp_plan *p, const float *logmel, int64_t frames, float *mfcc);

/* Per-coefficient mean then population variance (numpy var, ddof=0) over frames, accumulated in
 * double: mfcc (n_mfcc, frames) -> stats (2 * n_mfcc): [mean_0..mean_{n-1}, var_0..var_{n-1}]. */
void mc_dsp_mfcc_stats(const float *mfcc, int n_mfcc, int64_t frames, float *stats);

/* Building blocks, exposed for tests and later modules. */
/* Periodic Hann window (scipy.signal.get_window('hann', n, fftbins=True)): w (n,). */
void mc_dsp_hann(int n, float *w);
/* Slaney mel filterbank (librosa.filters.mel, htk=False, norm='slaney'): W (n_mels, 1 + n_fft/2). */
mc_status mc_dsp_mel_filterbank(int sr, int n_fft, int n_mels, double fmin, double fmax, float *W);
/* Hz <-> mel, Slaney scale (linear below 1 kHz, logarithmic above), as librosa htk=False. */
double mc_dsp_hz_to_mel(double hz);
double mc_dsp_mel_to_hz(double mel);

/* ---------------------------------------------------------------- synthesis
 *
 * The way back from a spectrogram to audio, as librosa 0.10.2's
 *   librosa.stft / librosa.istft(window='hann', center=True, pad_mode='constant')
 *   librosa.griffinlim(S, n_iter=32, momentum=0.99, init='random' or None)   ("fast" Griffin-Lim of
 *       Perraudin, Balazs & Sondergaard, WASPAA 2013)
 *   librosa.feature.inverse.mel_to_stft(M, power=2.0) and mel_to_audio
 *   librosa.db_to_power(S_db, ref)
 * with the plan's sr, n_fft, hop, n_mels, fmin and fmax. The transforms run in float64 (librosa keeps the
 * spectra in complex64 and the signal in float32 between its float64 FFTs); the results are float32.
 *
 * A synthesis workspace (mc_dsp_synth) holds one thread's scratch for spectrograms of up to max_frames
 * frames: the complex spectra Griffin-Lim iterates on, the overlap-add and window-sum buffers, and the
 * pseudo-inverse of the mel basis the mel inversion starts from. The functions below never allocate. */

typedef struct mc_dsp_synth mc_dsp_synth;
mc_status mc_dsp_synth_create(const mc_dsp_plan *p, int64_t max_frames, mc_dsp_synth **out);
void mc_dsp_synth_free(mc_dsp_synth *s);

/* Samples of librosa.istft(center=True, length=None) of `frames` frames: hop * (frames - 1). */
int64_t mc_dsp_istft_length(const mc_dsp_config *c, int64_t frames);

/* Complex STFT, librosa.stft(y, n_fft, hop, window='hann', center=True, pad_mode='constant') stored as
 * complex64: y (n,) -> X (n_bins, frames, 2) row-major, [re, im] pairs, n_bins = 1 + n_fft/2,
 * frames = mc_dsp_frame_count(n) <= the workspace's max_frames. */
mc_status mc_dsp_stft(const mc_dsp_plan *p, mc_dsp_synth *s, const float *y, int64_t n, float *X);

/* Inverse STFT, librosa.istft(X, hop, window='hann', center=True, length): each frame's irfft (the
 * imaginary parts of the DC and Nyquist bins ignored, as numpy.fft.irfft) times the window, overlap-added,
 * divided by the window's sum-square where that exceeds tiny(float32), the first n_fft/2 samples dropped.
 * X (n_bins, frames, 2) -> y (length,); length 0 means mc_dsp_istft_length(frames). With a length, only
 * the frames that reach it are used and samples past the last frame are 0, as librosa. */
mc_status mc_dsp_istft(const mc_dsp_plan *p, mc_dsp_synth *s, const float *X, int64_t frames,
                       int64_t length, float *y);

typedef struct mc_dsp_griffinlim_options {
    int n_iter;      /* iterations, >= 0 (librosa's default 32) */
    double momentum; /* >= 0; 0.99 as librosa ("fast" Griffin-Lim); 0 = the original Griffin & Lim 1984 */
    mc_rng *rng;     /* initial phases uniform on [0, 2 pi), drawn in (bin, frame) row-major order
                        (init='random'); NULL = zero phase (init=None) */
} mc_dsp_griffinlim_options;

/* n_iter 32, momentum 0.99, rng NULL. */
void mc_dsp_griffinlim_options_default(mc_dsp_griffinlim_options *o);

/* librosa.griffinlim(S, n_iter, hop, window='hann', center=True, length, pad_mode='constant', momentum):
 * magnitudes S (n_bins, frames), non-negative -> y (length,). length 0 means mc_dsp_istft_length(frames);
 * otherwise 1 + length / hop must equal frames (so that STFT(y) has S's shape). Each iteration:
 * y = iSTFT(A); R = STFT(y); A = R - momentum / (1 + momentum) * R_prev (not on the first); A = S * A /
 * (|A| + tiny); the result is iSTFT(A). With sc non-NULL, *sc receives the spectral convergence of the
 * returned signal, ||S - |STFT(y)| ||_F / ||S||_F (Perraudin et al. 2013; 0 when S is all zero). */
mc_status mc_dsp_griffinlim(const mc_dsp_plan *p, mc_dsp_synth *s, const float *S, int64_t frames,
                            const mc_dsp_griffinlim_options *o, int64_t length, float *y, double *sc);

/* ||S - |STFT(y)| ||_F / ||S||_F for magnitudes S (n_bins, frames) and a signal y (n,) with
 * 1 + n / hop == frames (0 when S is all zero). */
mc_status mc_dsp_spectral_convergence(const mc_dsp_plan *p, mc_dsp_synth *s, const float *S,
                                      int64_t frames, const float *y, int64_t n, double *sc);

/* librosa.db_to_power: ref * 10^(S_db / 10), computed in float64 and rounded: db (count,) -> out
 * (count,); in place allowed. */
void mc_dsp_db_to_power(const float *db, int64_t count, double ref, float *out);

/* The iterations mc_dsp_mel_to_power runs by default (and musiclust generate uses). */
#define MC_DSP_MEL_INVERSE_ITER 200

/* Linear power spectrogram from a mel power spectrogram: the non-negative least-squares problem
 * librosa.feature.inverse.mel_to_stft solves (librosa.util.nnls: min ||W x - M||_F over x >= 0, W the
 * plan's mel basis) with librosa's starting point, the pseudo-inverse solution pinv(W) M clipped at 0,
 * but then n_iter iterations of accelerated projected gradient (FISTA, Beck & Teboulle 2009, step
 * 1 / sigma_max(W)^2) instead of scipy's L-BFGS-B. On the three librosa reference clips this reaches
 * mel residuals of 5e-4, 6e-8 and 4e-5 in 200 iterations where librosa's L-BFGS-B stops at 7.5e-3,
 * 4.3e-3 and 7.1e-2 (tests/test_generate.c prints both). n_iter 0 gives the clipped pseudo-inverse.
 * mel (n_mels, frames) >= 0 -> power (n_bins, frames) >= 0; librosa's mel_to_stft returns its square
 * root. With residual non-NULL, *residual = ||W x - M||_F / ||M||_F (0 when M is all zero). A NaN or
 * Inf in mel is MC_STATUS_NUMERIC. */
mc_status mc_dsp_mel_to_power(const mc_dsp_plan *p, mc_dsp_synth *s, const float *mel, int64_t frames,
                              int n_iter, float *power, double *residual);

typedef struct mc_dsp_inverse_stats {
    double mel_residual;         /* ||W x - M||_F / ||M||_F of the linear power x */
    double spectral_convergence; /* of the Griffin-Lim output against sqrt(x) */
} mc_dsp_inverse_stats;

/* librosa.feature.inverse.mel_to_audio(M, power=2): mc_dsp_mel_to_power (nnls_iter iterations), the
 * square root, mc_dsp_griffinlim. mel (n_mels, frames) -> y (length,) (length 0: hop * (frames - 1));
 * stats may be NULL. */
mc_status mc_dsp_mel_to_audio(const mc_dsp_plan *p, mc_dsp_synth *s, const float *mel, int64_t frames,
                              int nnls_iter, const mc_dsp_griffinlim_options *o, int64_t length,
                              float *y, mc_dsp_inverse_stats *stats);

/* The library this module runs on: "fftw" (FFTW, single precision); fills at most cap entries of
 * out and returns how many it has (1). Strings are static. */
int mc_dsp_versions(mc_library_version *out, int cap);

#ifdef __cplusplus
}
#endif
#endif
