/* Shared by the descriptor sources (src/dsp/desc_plan.c, descriptors.c, desc_time.c) and src/dsp/tempo.c; not part of the public API. */
#ifndef MUSICLUST_DESC_INTERNAL_H
#define MUSICLUST_DESC_INTERNAL_H

#include "dsp_internal.h"

/* librosa.feature.spectral_contrast's bands: n_bands 6 octaves from fmin 200 Hz plus the rest. */
#define MC_DESC_N_BANDS 6
#define MC_DESC_N_CONTRAST (MC_DESC_N_BANDS + 1)
/* chroma_stft's n_chroma and estimate_tuning's resolution 0.01: np.histogram over
 * linspace(-0.5, 0.5, 101), so 100 possible tunings (the left edges). */
#define MC_DESC_N_CHROMA 12
#define MC_DESC_N_TUNINGS 100

struct mc_dsp_desc_plan {
    const mc_dsp_plan *dsp;
    int sr, n_fft, hop, n_bins, n_mels;
    double *freq;  /* (n_bins,) librosa.fft_frequencies: k * (1 / (n_fft * (1 / sr))) */
    double *freq2; /* (n_bins,) freq^2 */

    /* spectral_contrast: sub-band b is mag[band_lo[b] .. band_hi[b]); band_q[b] values are averaged at
     * each end of its sorted values (np.rint(quantile * band size), at least 1) */
    int band_lo[MC_DESC_N_CONTRAST], band_hi[MC_DESC_N_CONTRAST], band_q[MC_DESC_N_CONTRAST];
    int max_q;

    /* piptrack: bins k with fmin (150) <= freq[k] < fmax (min(4000, sr/2)), all interior bins */
    int pip_lo, pip_hi; /* [pip_lo, pip_hi), pip_lo >= 1, pip_hi <= n_bins - 1 */
    double tune_edges[MC_DESC_N_TUNINGS + 1]; /* np.linspace(-0.5, 0.5, 101) */
    float *chroma_fb; /* (MC_DESC_N_TUNINGS, 12, n_bins) filters.chroma for each tuning, float32 */

    /* tempo */
    int onset_pad; /* onset_strength's leading zeros: lag 1 + n_fft // (2 hop) */
    int ac_win;    /* tempogram window, time_to_frames(8.0): int(8 sr) // hop */
    int ac_nfft;   /* the autocorrelation's FFT length >= 2 ac_win - 1: 2^a or 3 2^a (768) */
    double *ac_window; /* (ac_win,) periodic Hann, float64 */
    double *bpm;       /* (ac_win,) tempo_frequencies: inf, then 60 sr / (hop k) */
    double *logprior;  /* (ac_win,) -0.5 (log2 bpm - log2 120)^2, -inf at lags of >= 320 BPM */
    fftw_plan ac_fwd;  /* r2c of ac_nfft points */
    fftw_plan ac_inv;  /* c2r of ac_nfft points */
};

struct mc_dsp_desc_workspace {
    const mc_dsp_desc_plan *plan;
    int64_t max_frames;
    float *power;        /* (n_bins,) S**2 of one frame */
    float *cum;          /* (n_bins, 4) rolloff's float32 cumulative sums of 4 frames */
    float *tr;           /* (n_bins, 4) the magnitudes of 4 frames, transposed */
    float *sel;          /* (2 max_q, 4) contrast's buffers when max_q > 12 */
    double *peak, *valley; /* (7, max_frames) contrast's band means, before dB */
    float *pitch, *pmag; /* (pip_cap,) piptrack's peaks: frequency and magnitude */
    float *psort;        /* (pip_cap,) scratch for the median */
    int64_t pip_cap;
    double *acc;         /* (max_frames,) onset sums */
    double *energy;      /* (n_blocks,) rms: sum of squares per block of gcd(n_fft, hop) samples */
    int *crossings;      /* (n_blocks,) zcr: sign changes per block */
    int64_t n_blocks;
    float *onset;        /* (max_frames,) onset envelope for the tempo */
    float *padded;       /* (max_frames + 2 (ac_win / 2),) the envelope padded for the tempogram */
    double *ac_frame;    /* (ac_nfft,) fftw_malloc'd, zero past ac_win */
    double *ac_out;      /* (ac_nfft,) fftw_malloc'd, the autocorrelation */
    fftw_complex *ac_spec; /* (ac_nfft / 2 + 1,) fftw_malloc'd */
    double *tg;          /* (ac_win,) tempogram summed over frames */
    /* the track tempo's own STFT */
    double *frame;       /* (n_fft,) fftw_malloc'd */
    fftw_complex *spec;  /* (n_bins,) fftw_malloc'd */
    float *fpower;       /* (n_bins,) */
};

/* librosa.feature.tempo from an onset envelope env (frames,) with padded holding frames + 2 (ac_win / 2)
 * floats (written). Never allocates. */
double mc_desc_tempo_core(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *env,
                          int64_t frames, float *padded);

/* Greatest common divisor (the rms/zcr block length gcd(n_fft, hop)). */
static inline int64_t mc_desc_gcd(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* rms and zero-crossing rate rows of desc (src/dsp/desc_time.c; contract there). */
mc_status mc_desc_rms_zcr(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *y, int64_t n,
                          int64_t F, float *desc);

#endif
