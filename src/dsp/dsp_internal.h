/* Helpers shared by the files of src/dsp; not part of the public API. */
#ifndef MUSICLUST_DSP_INTERNAL_H
#define MUSICLUST_DSP_INTERNAL_H

#include <musiclust/dsp.h>

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

/* mc_dsp_hann in float64, as scipy returns it: w (n,). The STFT multiplies the float32 frame by this
 * float64 window, as librosa's `fft_window * y_frames` does. */
void mc_dsp_hann_double(int n, double *w);

/* FFTW's planner (plan creation and destruction) is not thread-safe, its execution is. Every file
 * of the library that makes or destroys an FFTW plan holds this lock around the call. */
void mc_dsp_fftw_lock(void);
void mc_dsp_fftw_unlock(void);

#endif
