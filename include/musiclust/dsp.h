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

/* mc_dsp_mel_power that also keeps the magnitude spectrogram the descriptors (below) are computed from:
 * mag (frames, n_bins) FRAME-major (row t is frame t's spectrum, contiguous, so that each frame's
 * descriptors read one row), mag[t][k] = sqrt of the float32 power |X[k, t]|^2 that the mel spectrogram
 * is made from: within one float32 ulp of numpy's abs of librosa.stft's complex64 result.
 * mel is written exactly as mc_dsp_mel_power writes it (same bytes). Either output may be NULL (not
 * both). Same errors as mc_dsp_mel_power; never allocates. */
mc_status mc_dsp_mel_power_mag(const mc_dsp_plan *p, mc_dsp_workspace *w, const float *y, int64_t n,
                               float *mel, float *mag);

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

/* ---------------------------------------------------------------- descriptors
 *
 * librosa 0.10.2's spectral, rhythm and tonal descriptors of one signal (a segment), with the plan's
 * sr, n_fft, hop and Hann window (the calls of ../shared/reference/librosa-0.10.2/descriptors.json):
 *   S = np.abs(librosa.stft(y, n_fft, hop, center=True, pad_mode='constant'))
 *   chroma_stft(S=S**2, sr, n_fft, hop)   n_chroma 12, tuning=None: estimate_tuning(S=S**2) (piptrack
 *                                         150-4000 Hz, threshold 0.1, resolution 0.01), norm=inf
 *   spectral_centroid(S=S, sr), spectral_bandwidth(S=S, sr) (p 2, norm True),
 *   spectral_rolloff(S=S, sr) (roll_percent 0.85), spectral_flatness(S=S) (amin 1e-10, power 2),
 *   spectral_contrast(S=S, sr) (fmin 200, n_bands 6, quantile 0.02, linear False)
 *   rms(y=y, frame_length=n_fft, hop, center=True, pad_mode='constant')
 *   zero_crossing_rate(y, frame_length=n_fft, hop, center=True)   (edge padding, threshold 1e-10)
 *   onset.onset_strength(y=y, sr, hop)    lag 1, max_size 1, mean over the mel bands, centred
 *   feature.tempo(y=y, sr, hop)           start_bpm 120, std_bpm 1, ac_size 8 s, max_tempo 320,
 *                                         = the old librosa.beat.tempo
 * The onset strength is taken from the plan's mel spectrogram in dB: librosa's onset_strength uses
 * melspectrogram with n_mels 128, fmin 0, fmax sr/2 and power_to_db(ref 1, amin 1e-10, top_db 80), which
 * mc_dsp_config_default gives.
 *
 * Per-frame descriptors are written as one (MC_DSP_DESC_ROWS, frames) row-major float32 array with the
 * rows below; frames = mc_dsp_frame_count(n) as for the mel spectrogram. Values are librosa's up to
 * float32 rounding (tests/test_dsp.c states the tolerance of each and the difference measured).
 *
 * A descriptor plan (mc_dsp_desc_plan) holds what is the same for every signal: the band layout of the
 * contrast, the FFT-frequency grid, the chroma filterbank of each of the 100 tunings estimate_tuning can
 * return (-0.50, -0.49, ..., 0.49 bins; 4.7 MiB for n_fft 2048), the tempo prior and the FFTW plans of
 * the tempogram's autocorrelation. It refers to the mc_dsp_plan it was made from, which must outlive it,
 * and may be shared by threads. A descriptor workspace (mc_dsp_desc_workspace) is one thread's scratch
 * for signals of up to max_frames frames. The compute functions never allocate. */

enum {
    MC_DSP_DESC_CHROMA = 0,    /* 12 rows, pitch classes C, C#, D, ..., B (chroma_stft, base_c) */
    MC_DSP_DESC_CENTROID = 12, /* Hz */
    MC_DSP_DESC_BANDWIDTH = 13,/* Hz */
    MC_DSP_DESC_ROLLOFF = 14,  /* Hz, an FFT bin's frequency */
    MC_DSP_DESC_FLATNESS = 15, /* geometric / arithmetic mean of the power, in (0, 1] */
    MC_DSP_DESC_CONTRAST = 16, /* 7 rows, dB: bands [0, 200], [200, 400], ..., [3200, 6400], [6400, sr/2] Hz */
    MC_DSP_DESC_RMS = 23,
    MC_DSP_DESC_ZCR = 24,      /* crossings per sample */
    MC_DSP_DESC_ONSET = 25,    /* onset strength (mean positive dB increase over the mel bands) */
    MC_DSP_DESC_ROWS = 26,
    /* the statistics vector of one segment (mc_dsp_desc_stats): the mean of each row, then the
     * population variance (ddof 0) of each row, then the tempo in BPM */
    MC_DSP_DESC_STATS = 2 * MC_DSP_DESC_ROWS + 1
};

/* Name of descriptor row r in [0, MC_DSP_DESC_ROWS): "chroma_00" ... "chroma_11" (00 = C), "spectral_centroid",
 * "spectral_bandwidth", "spectral_rolloff", "spectral_flatness", "spectral_contrast_0" ... "_6", "rms",
 * "zero_crossing_rate", "onset_strength". NULL out of range. */
const char *mc_dsp_desc_row_name(int r);
/* Name of column i of the statistics vector in [0, MC_DSP_DESC_STATS): "<row>_mean" for i < ROWS,
 * "<row>_var" for ROWS <= i < 2 ROWS, then "tempo". NULL out of range. Static strings. */
const char *mc_dsp_desc_stat_name(int i);

typedef struct mc_dsp_desc_plan mc_dsp_desc_plan;
/* Errors: MC_STATUS_INVALID_ARG (NULL; a contrast band without FFT bins or reaching past sr/2, e.g.
 * sr < 12800 Hz or a tiny n_fft; a tempo window of 0 frames), MC_STATUS_NO_MEMORY. *out is NULL on
 * failure. */
mc_status mc_dsp_desc_plan_create(const mc_dsp_plan *p, mc_dsp_desc_plan **out);
void mc_dsp_desc_plan_free(mc_dsp_desc_plan *d);

typedef struct mc_dsp_desc_workspace mc_dsp_desc_workspace;
/* Scratch for signals of up to max_frames frames (>= 1; about 100 KiB plus 2.4 KiB per frame for
 * n_fft 2048). Errors: MC_STATUS_INVALID_ARG, MC_STATUS_NO_MEMORY. */
mc_status mc_dsp_desc_workspace_create(const mc_dsp_desc_plan *d, int64_t max_frames,
                                       mc_dsp_desc_workspace **out);
void mc_dsp_desc_workspace_free(mc_dsp_desc_workspace *w);

/* The per-frame descriptors of one signal y (n,), n >= 1, frames = mc_dsp_frame_count(n) <= the
 * workspace's max_frames, from what the MFCC path already computed for the same y:
 *   mag (frames, n_bins)       frame-major |STFT| from mc_dsp_mel_power_mag,
 *   logmel_db (n_mels, frames) mc_dsp_power_to_db of that mel power (ref 1, amin 1e-10, top_db 80 for
 *                              librosa's onset strength),
 * -> desc (MC_DSP_DESC_ROWS, frames) row-major. *tuning (may be NULL) receives chroma's estimated tuning
 * in fractions of a chroma bin; with tempo non-NULL, *tempo receives librosa.feature.tempo(y) in BPM
 * (its tempogram costs about half as much again as the other descriptors; pass NULL to skip it).
 * Inputs are read, never changed. Errors: MC_STATUS_INVALID_ARG (NULL, a workspace of another plan,
 * frames out of range), MC_STATUS_NUMERIC (a NaN or Inf in y). Never allocates.
 * Cost per 3-s segment at 22050 Hz (bench/bench_dsp.c, AVX2): about 0.7x the MFCC + log-mel features
 * without the tempo, 0.55x more with it. */
mc_status mc_dsp_descriptors(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *y,
                             int64_t n, const float *mag, const float *logmel_db, float *desc,
                             double *tuning, double *tempo);

/* librosa.feature.tempo(onset_envelope=onset, sr, hop) of an onset-strength envelope onset (frames,),
 * 1 <= frames <= the workspace's max_frames: the autocorrelation tempogram (Hann window of ac_size 8 s
 * = floor(8 sr) / hop frames, centred with linear-ramp padding, each frame normalised by its largest
 * value), averaged over frames, weighted by the log-normal prior around 120 BPM (std 1 octave), the
 * best lag below 320 BPM -> *bpm = 60 sr / (hop lag), exactly librosa's value when the same lag wins.
 * Errors as mc_dsp_descriptors (MC_STATUS_NUMERIC: a NaN or Inf in onset). Never allocates. */
mc_status mc_dsp_tempo(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *onset,
                       int64_t frames, double *bpm);

/* Floats of scratch mc_dsp_track_tempo needs for a track of n samples ((n_mels + 2) frames + the
 * tempogram window); 0 for n < 1. */
int64_t mc_dsp_track_tempo_scratch(const mc_dsp_desc_plan *d, int64_t n);
/* librosa.feature.tempo(y=y, sr, hop) of a whole track y (n,), n >= 1 (its own STFT, mel spectrogram,
 * power_to_db with ref 1, amin 1e-10 and top_db 80 over the whole track, onset strength, tempogram):
 * what librosa reports for a whole clip, whatever the workspace's max_frames. scratch holds
 * mc_dsp_track_tempo_scratch(n) floats, owned by the caller (the dB spectrogram must be kept whole:
 * top_db's floor depends on the loudest value of the track). Equals librosa's tempo to the last bit on
 * the three reference clips (tests/test_dsp.c). Costs a second STFT of the track: about 0.8x the MFCC
 * + log-mel features of its segments. Errors as mc_dsp_descriptors. Never allocates. */
mc_status mc_dsp_track_tempo(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *y,
                             int64_t n, float *scratch, double *bpm);

/* mc_dsp_track_tempo of a track whose samples arrive block by block, in memory that does not grow
 * with the track (what `musiclust extract` uses). librosa's onset envelope floors the dB mel
 * spectrogram at the loudest value of the whole track - 80 dB, so the columns of the track's STFT
 * (n_mels floats each, before that floor) must be kept until the end; the stream hands them to the
 * caller, who keeps them (in memory, in a file), and takes them back in order:
 *   mc_dsp_tempo_stream_push(s, x, k, emit, user) ...   samples in order, any block sizes; emit(user, col)
 *                                                        receives each column (n_mels,) as soon as its
 *                                                        frame is complete (col is valid during the call)
 *   mc_dsp_tempo_stream_end(s, emit, user, &frames)      the last columns (frames reaching past the end);
 *                                                        frames = mc_dsp_frame_count(samples pushed)
 *   mc_dsp_tempo_stream_column(s, col) x frames          the columns again, in the order emitted
 *   mc_dsp_tempo_stream_bpm(s, &bpm)                     the tempo; then mc_dsp_tempo_stream_reset
 * The operations are mc_dsp_track_tempo's, value by value and in the same order: the tempo is the same
 * to the last bit for any block sizes (tests/test_dsp.c). The stream holds about 2 n_fft + 16384 samples,
 * 2 n_mels floats and the tempogram's window (about 150 KB for the defaults) and never allocates after
 * create. An emit that returns an error stops push/end with that error. Errors: MC_STATUS_INVALID_ARG
 * (NULL, calls out of order, more columns than frames), MC_STATUS_NUMERIC (a NaN or Inf sample),
 * MC_STATUS_EMPTY (end without samples); after an error, reset. The plan must outlive the stream;
 * one stream per thread. */
typedef struct mc_dsp_tempo_stream mc_dsp_tempo_stream;
typedef mc_status (*mc_dsp_column_fn)(void *user, const float *col);
mc_status mc_dsp_tempo_stream_create(const mc_dsp_desc_plan *d, mc_dsp_tempo_stream **out);
void mc_dsp_tempo_stream_free(mc_dsp_tempo_stream *s);
void mc_dsp_tempo_stream_reset(mc_dsp_tempo_stream *s);
mc_status mc_dsp_tempo_stream_push(mc_dsp_tempo_stream *s, const float *x, int64_t k, mc_dsp_column_fn emit,
                                   void *user);
mc_status mc_dsp_tempo_stream_end(mc_dsp_tempo_stream *s, mc_dsp_column_fn emit, void *user, int64_t *frames);
mc_status mc_dsp_tempo_stream_column(mc_dsp_tempo_stream *s, const float *col);
mc_status mc_dsp_tempo_stream_bpm(mc_dsp_tempo_stream *s, double *bpm);

/* The statistics of one segment: desc (MC_DSP_DESC_ROWS, frames) -> stats (MC_DSP_DESC_STATS,):
 * [mean of each row (26), population variance (ddof 0) of each row (26), tempo], as numpy's mean and
 * var(axis=1) but accumulated in double (mc_dsp_mfcc_stats); tempo is stored as given (the segment's
 * or the track's BPM, or NAN when not computed). Columns named by mc_dsp_desc_stat_name. */
void mc_dsp_desc_stats(const float *desc, int64_t frames, double tempo, float *stats);

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

/* The library this module runs on: "fftw" (FFTW, double precision); fills at most cap entries of
 * out and returns how many it has (1). Strings are static. */
int mc_dsp_versions(mc_library_version *out, int cap);

#ifdef __cplusplus
}
#endif
#endif
