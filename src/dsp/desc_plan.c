/* The descriptor plan and workspace (include/musiclust/dsp.h, mc_dsp_desc_plan_create and
 * mc_dsp_desc_workspace_create): the names of the descriptor rows and statistics, librosa's chroma
 * filterbank for every tuning, the spectral-contrast bands, piptrack's range and the tempo's
 * autocorrelation set-up. The per-frame work is in src/dsp/descriptors.c. */
#include "desc_internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- names */

/* The rows in order, once: the row names, and the statistics' names (every row's mean, then every
 * row's variance, then the tempo) are made from it. */
#define MC_DESC_ROW_LIST(X)                                                                            \
    X("chroma_00") X("chroma_01") X("chroma_02") X("chroma_03") X("chroma_04") X("chroma_05")          \
    X("chroma_06") X("chroma_07") X("chroma_08") X("chroma_09") X("chroma_10") X("chroma_11")          \
    X("spectral_centroid") X("spectral_bandwidth") X("spectral_rolloff") X("spectral_flatness")      \
    X("spectral_contrast_0") X("spectral_contrast_1") X("spectral_contrast_2")                       \
    X("spectral_contrast_3") X("spectral_contrast_4") X("spectral_contrast_5")                       \
    X("spectral_contrast_6") X("rms") X("zero_crossing_rate") X("onset_strength")
#define MC_DESC_NAME(a) a,
#define MC_DESC_MEAN(a) a "_mean",
#define MC_DESC_VAR(a) a "_var",
static const char *const mc_desc_row_names[MC_DSP_DESC_ROWS] = {MC_DESC_ROW_LIST(MC_DESC_NAME)};
static const char *const mc_desc_stat_names[MC_DSP_DESC_STATS] = {
    MC_DESC_ROW_LIST(MC_DESC_MEAN) MC_DESC_ROW_LIST(MC_DESC_VAR) "tempo"};

const char *mc_dsp_desc_row_name(int r) {
    return r >= 0 && r < MC_DSP_DESC_ROWS ? mc_desc_row_names[r] : NULL;
}

const char *mc_dsp_desc_stat_name(int i) {
    return i >= 0 && i < MC_DSP_DESC_STATS ? mc_desc_stat_names[i] : NULL;
}

void mc_dsp_desc_stats(const float *desc, int64_t frames, double tempo, float *stats) {
    if (!desc || !stats) return;
    /* mean then variance of each row, as the MFCC statistics (two passes in double) */
    mc_dsp_mfcc_stats(desc, MC_DSP_DESC_ROWS, frames, stats);
    stats[2 * MC_DSP_DESC_ROWS] = (float)tempo;
}

/* ---------------------------------------------------------------- chroma filterbank */

/* librosa.filters.chroma(sr, n_fft, n_chroma=12, tuning, ctroct=5.0, octwidth=2, norm=2, base_c=True),
 * operation by operation in float64 as numpy evaluates it, the first n_bins columns, cast to float32:
 *   frequencies = linspace(0, sr, n_fft, endpoint=False)[1:]  (i * (sr / n_fft))
 *   frqbins = 12 * log2(frequencies / (A440 / 16)), A440 = 440 * 2^(tuning / 12); prepended with
 *             frqbins[0] - 18 for the DC column
 *   binwidthbins[i] = max(frqbins[i+1] - frqbins[i], 1)  (1 for the last column)
 *   D = remainder(frqbins - c + 6 + 120, 12) - 6;  wts = exp(-0.5 (2 D / binwidth)^2)
 *   each column divided by its L2 norm over the 12 chroma (summed in c order), then times the octave
 *   weight exp(-0.5 ((frqbins / 12 - 5) / 2)^2), and the rows rolled by -3 so that row 0 is C.
 * fb (12, n_bins). Scratch frq (n_bins + 1,) and w (12, n_bins). */
static void mc_desc_chroma_fb(int sr, int n_fft, int n_bins, double tuning, double *frq, double *w,
                              float *fb) {
    const int nc = MC_DESC_N_CHROMA;
    const double a440 = 440.0 * pow(2.0, tuning / (double)nc);
    const double base = a440 / 16.0;
    const double step = (double)sr / (double)n_fft;
    /* frq[i] for the columns 0..n_bins (one past the last kept column, for its bin width); column i
     * >= 1 is frequency i, column 0 the prepended value */
    for (int i = 1; i <= n_bins && i < n_fft; i++) frq[i] = (double)nc * log2(((double)i * step) / base);
    frq[0] = frq[1] - 1.5 * (double)nc;
    const double half = 6.0; /* np.round(12 / 2) */
    for (int i = 0; i < n_bins; i++) {
        double bw = (i + 1 < n_fft) ? frq[i + 1] - frq[i] : 1.0;
        if (i + 1 < n_fft && !(bw > 1.0)) bw = 1.0; /* np.maximum(., 1.0) */
        double ss = 0;
        for (int c = 0; c < nc; c++) {
            double x = frq[i] - (double)c + half + 10.0 * (double)nc;
            double r = fmod(x, (double)nc); /* np.remainder, x > 0 here */
            if (r != 0 && r < 0) r += (double)nc;
            double D = r - half;
            double q = 2.0 * D / bw;
            double v = exp(-0.5 * (q * q));
            w[(size_t)c * n_bins + i] = v;
            ss += v * v;
        }
        double len = sqrt(ss);
        if (len < DBL_MIN) len = 1.0; /* util.normalize's threshold, tiny(float64) */
        double o = (frq[i] / (double)nc - 5.0) / 2.0;
        double oct = exp(-0.5 * (o * o));
        for (int c = 0; c < nc; c++) {
            double *v = &w[(size_t)c * n_bins + i];
            *v = *v / len;
            *v = *v * oct;
        }
    }
    for (int c = 0; c < nc; c++) { /* np.roll(wts, -3, axis=0): row c of the result is row c + 3 */
        const double *src = w + (size_t)((c + 3) % nc) * n_bins;
        for (int i = 0; i < n_bins; i++) fb[(size_t)c * n_bins + i] = (float)src[i];
    }
}

/* ---------------------------------------------------------------- plan */

void mc_dsp_desc_plan_free(mc_dsp_desc_plan *d) {
    if (!d) return;
    if (d->ac_fwd || d->ac_inv) {
        mc_dsp_fftw_lock();
        if (d->ac_fwd) fftw_destroy_plan(d->ac_fwd);
        if (d->ac_inv) fftw_destroy_plan(d->ac_inv);
        mc_dsp_fftw_unlock();
    }
    mc_free(d->freq);
    mc_free(d->freq2);
    mc_free(d->chroma_fb);
    mc_free(d->ac_window);
    mc_free(d->bpm);
    mc_free(d->logprior);
    mc_free(d);
}

/* The autocorrelation's FFT length: the smaller of the power of two >= n and 3/4 of it, if that is
 * still >= n. librosa pads to scipy's next_fast_len(n, real=True), the smallest 5-smooth number (720
 * for the 8-s window at 22050 Hz, hop 512); any length >= n gives the same linear autocorrelation up
 * to rounding (below 1e-15 relative), and FFTW_ESTIMATE is 20% faster at 768 than at 720 (and at
 * 729 = 3^6 slower than both) on the development machine. */
static int mc_desc_fft_len(int n) {
    int p2 = 1;
    while (p2 < n) p2 *= 2;
    return (p2 >= 4 && p2 / 4 * 3 >= n) ? p2 / 4 * 3 : p2;
}

mc_status mc_dsp_desc_plan_create(const mc_dsp_plan *p, mc_dsp_desc_plan **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_desc_plan_create: out is NULL");
    *out = NULL;
    if (!p) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_desc_plan_create: plan is NULL");
    const mc_dsp_config *c = &p->cfg;
    mc_dsp_desc_plan *d = mc_alloc(1, sizeof *d);
    if (!d) return MC_STATUS_NO_MEMORY;
    d->dsp = p;
    d->sr = c->sr;
    d->n_fft = c->n_fft;
    d->hop = c->hop;
    d->n_bins = p->n_bins;
    d->n_mels = c->n_mels;
    const int nb = d->n_bins;
    mc_status st = MC_STATUS_OK;

    d->freq = mc_alloc((size_t)nb, sizeof *d->freq);
    d->freq2 = mc_alloc((size_t)nb, sizeof *d->freq2);
    if (!d->freq || !d->freq2) goto oom;
    const double val = 1.0 / ((double)c->n_fft * (1.0 / (double)c->sr)); /* numpy.fft.rfftfreq */
    for (int k = 0; k < nb; k++) d->freq[k] = (double)k * val;
    for (int k = 0; k < nb; k++) d->freq2[k] = d->freq[k] * d->freq[k];

    /* spectral_contrast: octa = [0, 200, 400, ..., 200 * 2^6]; band k holds freq in [octa[k],
     * octa[k+1]], plus the bin below it for k > 0 and everything above it for the last; the sub-band
     * drops its last bin except for the last band. */
    {
        double octa[MC_DESC_N_BANDS + 2];
        octa[0] = 0;
        for (int k = 1; k < MC_DESC_N_BANDS + 2; k++) octa[k] = 200.0 * pow(2.0, (double)(k - 1));
        for (int k = 0; k < MC_DESC_N_BANDS + 1; k++)
            if (octa[k] >= 0.5 * (double)c->sr) {
                st = mc_error_set(MC_STATUS_INVALID_ARG,
                                  "sr = %d: spectral contrast band from %g Hz reaches past sr/2 (needs "
                                  "sr > %g)", c->sr, octa[k], 2 * octa[MC_DESC_N_BANDS]);
                goto fail;
            }
        d->max_q = 1;
        for (int k = 0; k < MC_DESC_N_CONTRAST; k++) {
            int first = -1, last = -1;
            for (int i = 0; i < nb; i++)
                if (d->freq[i] >= octa[k] && d->freq[i] <= octa[k + 1]) {
                    if (first < 0) first = i;
                    last = i;
                }
            if (first < 0 || (k > 0 && first < 1)) {
                st = mc_error_set(MC_STATUS_INVALID_ARG,
                                  "n_fft = %d: spectral contrast band %g-%g Hz holds no FFT bin",
                                  c->n_fft, octa[k], octa[k + 1]);
                goto fail;
            }
            if (k > 0) first--;
            if (k == MC_DESC_N_BANDS) last = nb - 1;
            const int count = last - first + 1;
            d->band_lo[k] = first;
            d->band_hi[k] = (k < MC_DESC_N_BANDS) ? last : last + 1; /* sub_band[:-1] */
            double q = rint(0.02 * (double)count);                   /* np.rint: half to even */
            d->band_q[k] = q < 1 ? 1 : (int)q;
            if (d->band_q[k] > d->max_q) d->max_q = d->band_q[k];
        }
    }

    /* piptrack: fmin 150, fmax min(4000, sr/2), freq_mask fmin <= f < fmax */
    {
        const double fmin = 150.0, fmax = 4000.0 < 0.5 * c->sr ? 4000.0 : 0.5 * c->sr;
        d->pip_lo = -1;
        d->pip_hi = -1;
        for (int k = 0; k < nb; k++)
            if (fmin <= d->freq[k] && d->freq[k] < fmax) {
                if (d->pip_lo < 0) d->pip_lo = k;
                d->pip_hi = k + 1;
            }
        if (d->pip_lo < 0) d->pip_lo = d->pip_hi = 1; /* no bin: no pitch, tuning 0 */
        if (d->pip_lo < 1) d->pip_lo = 1;               /* never: freq[0] = 0 < 150 */
        if (d->pip_hi > nb - 1) d->pip_hi = nb - 1;     /* never: f < sr/2 excludes the last bin */
    }
    /* np.linspace(-0.5, 0.5, 101): i * step + start, the last exactly 0.5 */
    for (int i = 0; i <= MC_DESC_N_TUNINGS; i++)
        d->tune_edges[i] = i == MC_DESC_N_TUNINGS ? 0.5 : (double)i * (1.0 / MC_DESC_N_TUNINGS) + -0.5;

    d->chroma_fb = mc_alloc((size_t)MC_DESC_N_TUNINGS * MC_DESC_N_CHROMA * (size_t)nb, sizeof(float));
    {
        double *frq = mc_alloc((size_t)nb + 1, sizeof *frq);
        double *w = mc_alloc((size_t)MC_DESC_N_CHROMA * (size_t)nb, sizeof *w);
        if (d->chroma_fb && frq && w)
            for (int t = 0; t < MC_DESC_N_TUNINGS; t++)
                mc_desc_chroma_fb(c->sr, c->n_fft, nb, d->tune_edges[t], frq, w,
                                  d->chroma_fb + (size_t)t * MC_DESC_N_CHROMA * nb);
        mc_free(frq);
        mc_free(w);
        if (!d->chroma_fb || !frq || !w) goto oom;
    }

    /* tempo */
    d->onset_pad = 1 + c->n_fft / (2 * c->hop);
    {
        const int64_t win = (int64_t)(8.0 * (double)c->sr) / c->hop; /* time_to_frames(8.0) */
        if (win < 1 || win > (1 << 20)) {
            st = mc_error_set(MC_STATUS_INVALID_ARG,
                              "sr = %d, hop = %d: the tempo's 8-s autocorrelation window is %lld frames "
                              "(must be 1 to 2^20)", c->sr, c->hop, (long long)win);
            goto fail;
        }
        d->ac_win = (int)win;
    }
    d->ac_nfft = mc_desc_fft_len(2 * d->ac_win - 1);
    d->ac_window = mc_alloc((size_t)d->ac_win, sizeof *d->ac_window);
    d->bpm = mc_alloc((size_t)d->ac_win, sizeof *d->bpm);
    d->logprior = mc_alloc((size_t)d->ac_win, sizeof *d->logprior);
    if (!d->ac_window || !d->bpm || !d->logprior) goto oom;
    mc_dsp_hann_double(d->ac_win, d->ac_window); /* get_window('hann', win, fftbins=True) */
    {
        /* tempo_frequencies(win, hop, sr) and the log-normal prior (start_bpm 120, std_bpm 1) */
        const double lg120 = log2(120.0);
        d->bpm[0] = INFINITY;
        for (int k = 1; k < d->ac_win; k++) d->bpm[k] = (60.0 * (double)c->sr) / ((double)c->hop * (double)k);
        int max_idx = 0; /* np.argmax(bpms < 320): the first lag below 320 BPM (0 if none) */
        for (int k = 0; k < d->ac_win; k++)
            if (d->bpm[k] < 320.0) {
                max_idx = k;
                break;
            }
        for (int k = 0; k < d->ac_win; k++) {
            double z = (log2(d->bpm[k]) - lg120) / 1.0;
            d->logprior[k] = k < max_idx ? -INFINITY : -0.5 * (z * z);
        }
    }
    {
        /* r2c from the frame (kept: its zero tail is written once), c2r into a separate array */
        double *in = fftw_malloc(sizeof(double) * (size_t)d->ac_nfft);
        double *o = fftw_malloc(sizeof(double) * (size_t)d->ac_nfft);
        fftw_complex *sp = fftw_malloc(sizeof(fftw_complex) * (size_t)(d->ac_nfft / 2 + 1));
        if (in && o && sp) {
            mc_dsp_fftw_lock();
            d->ac_fwd = fftw_plan_dft_r2c_1d(d->ac_nfft, in, sp, FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
            d->ac_inv = fftw_plan_dft_c2r_1d(d->ac_nfft, sp, o, FFTW_ESTIMATE);
            mc_dsp_fftw_unlock();
        }
        fftw_free(in);
        fftw_free(o);
        fftw_free(sp);
        if (!d->ac_fwd || !d->ac_inv) {
            st = mc_error_set(MC_STATUS_NO_MEMORY, "FFTW could not plan a %d-point real FFT", d->ac_nfft);
            goto fail;
        }
    }
    *out = d;
    return MC_STATUS_OK;
oom:
    st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory making a descriptor plan");
fail:
    mc_dsp_desc_plan_free(d);
    return st;
}

/* ---------------------------------------------------------------- workspace */

void mc_dsp_desc_workspace_free(mc_dsp_desc_workspace *w) {
    if (!w) return;
    mc_free(w->power);
    mc_free(w->cum);
    mc_free(w->sel);
    mc_free(w->tr);
    mc_free(w->peak);
    mc_free(w->valley);
    mc_free(w->pitch);
    mc_free(w->pmag);
    mc_free(w->psort);
    mc_free(w->acc);
    mc_free(w->energy);
    mc_free(w->crossings);
    mc_free(w->onset);
    mc_free(w->padded);
    fftw_free(w->ac_frame);
    fftw_free(w->ac_out);
    fftw_free(w->ac_spec);
    mc_free(w->tg);
    fftw_free(w->frame);
    fftw_free(w->spec);
    mc_free(w->fpower);
    mc_free(w);
}

mc_status mc_dsp_desc_workspace_create(const mc_dsp_desc_plan *d, int64_t max_frames,
                                       mc_dsp_desc_workspace **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_desc_workspace_create: out is NULL");
    *out = NULL;
    if (!d) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_desc_workspace_create: plan is NULL");
    if (max_frames < 1 || max_frames > ((int64_t)1 << 32))
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "descriptor workspace: max_frames = %lld must be in [1, 2^32]",
                            (long long)max_frames);
    mc_dsp_desc_workspace *w = mc_alloc(1, sizeof *w);
    if (!w) return MC_STATUS_NO_MEMORY;
    w->plan = d;
    w->max_frames = max_frames;
    const size_t nb = (size_t)d->n_bins, F = (size_t)max_frames;
    const int64_t g = mc_desc_gcd(d->n_fft, d->hop);
    /* blocks of g samples over the padded signal's frames: (F - 1) hop + n_fft samples */
    w->n_blocks = ((int64_t)(max_frames - 1) * d->hop + d->n_fft) / g + 1;
    /* at most one piptrack peak in every other bin of the masked range (a peak is strictly above its
     * left neighbour and not below its right one, so two neighbours are never both peaks) */
    w->pip_cap = (int64_t)F * ((d->pip_hi - d->pip_lo) / 2 + 1);
    w->power = mc_alloc(nb, sizeof *w->power);
    w->cum = mc_alloc(8 * nb, sizeof *w->cum); /* (n_bins, 8): 4 frames, or 8 on the AVX2 path */
    w->sel = mc_alloc(8 * (size_t)d->max_q, sizeof *w->sel);
    w->tr = mc_alloc(8 * nb, sizeof *w->tr);
    w->peak = mc_alloc(MC_DESC_N_CONTRAST * F, sizeof *w->peak);
    w->valley = mc_alloc(MC_DESC_N_CONTRAST * F, sizeof *w->valley);
    w->pitch = mc_alloc((size_t)w->pip_cap, sizeof *w->pitch);
    w->pmag = mc_alloc((size_t)w->pip_cap, sizeof *w->pmag);
    w->psort = mc_alloc((size_t)w->pip_cap, sizeof *w->psort);
    w->acc = mc_alloc(F, sizeof *w->acc);
    w->energy = mc_alloc((size_t)w->n_blocks, sizeof *w->energy);
    w->crossings = mc_alloc((size_t)w->n_blocks, sizeof *w->crossings);
    w->onset = mc_alloc(F, sizeof *w->onset);
    w->padded = mc_alloc(F + 2 * (size_t)(d->ac_win / 2), sizeof *w->padded);
    w->ac_frame = fftw_malloc(sizeof(double) * (size_t)d->ac_nfft);
    w->ac_out = fftw_malloc(sizeof(double) * (size_t)d->ac_nfft);
    if (w->ac_frame) memset(w->ac_frame, 0, sizeof(double) * (size_t)d->ac_nfft); /* the zero tail */
    w->ac_spec = fftw_malloc(sizeof(fftw_complex) * (size_t)(d->ac_nfft / 2 + 1));
    w->tg = mc_alloc((size_t)d->ac_win, sizeof *w->tg);
    w->frame = fftw_malloc(sizeof(double) * (size_t)d->n_fft);
    w->spec = fftw_malloc(sizeof(fftw_complex) * nb);
    w->fpower = mc_alloc(nb, sizeof *w->fpower);
    if (!w->power || !w->cum || !w->sel || !w->tr || !w->peak || !w->valley || !w->pitch || !w->pmag ||
        !w->psort || !w->acc || !w->energy || !w->crossings || !w->onset || !w->padded ||
        !w->ac_frame || !w->ac_out || !w->ac_spec || !w->tg || !w->frame || !w->spec || !w->fpower) {
        mc_dsp_desc_workspace_free(w);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating a descriptor workspace");
    }
    *out = w;
    return MC_STATUS_OK;
}
