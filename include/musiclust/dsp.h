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

#ifdef __cplusplus
}
#endif
#endif
