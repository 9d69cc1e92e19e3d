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
/* One frame of the tempogram: e (win,) the padded envelope from the frame's first value; its windowed
 * autocorrelation divided by its largest magnitude is added to tg (win,). x (nfft,) zero past win, ac
 * (nfft,) and X (nfft / 2 + 1,) are fftw_malloc'd scratch. */
static void mc_desc_tempogram_frame(const mc_dsp_desc_plan *d, const float *e, double *x, double *ac,
                                    fftw_complex *X, double *tg) {
    const int win = d->ac_win, nfft = d->ac_nfft, nspec = nfft / 2 + 1;
    const double scale = 1.0 / (double)nfft; /* numpy's irfft normalisation; FFTW's c2r has none */
    const double *win_w = d->ac_window;
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

/* The argmax of log1p(1e6 mean tempogram) + logprior over the lags: tg (win,) summed over F frames. */
static double mc_desc_tempo_pick(const mc_dsp_desc_plan *d, const double *tg, int64_t F) {
    int best = 0;
    double best_score = -INFINITY;
    for (int k = 0; k < d->ac_win; k++) {
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

/* The left (linear_ramp from 0 to env[0]) and right (from env[F-1] down to 0) padding of the
 * envelope: half values each, np.linspace in float64 cast to float32. */
static void mc_desc_ramp_left(float edge, int half, float *out) {
    const double sl = (double)edge / (double)half;
    for (int j = 0; j < half; j++) out[j] = (float)((double)j * sl);
}
static void mc_desc_ramp_right(float edge, int half, float *out) {
    const double sr_ = (double)edge / (double)half;
    for (int j = 0; j < half; j++) out[j] = (float)((double)(half - 1 - j) * sr_);
}

double mc_desc_tempo_core(const mc_dsp_desc_plan *d, mc_dsp_desc_workspace *w, const float *env,
                          int64_t frames, float *padded) {
    const int win = d->ac_win, half = win / 2;
    const int64_t F = frames;
    mc_desc_ramp_left(env[0], half, padded);
    memcpy(padded + half, env, (size_t)F * sizeof *padded);
    mc_desc_ramp_right(env[F - 1], half, padded + half + F);
    double *tg = w->tg; /* (win,) */
    for (int k = 0; k < win; k++) tg[k] = 0;
    for (int64_t t = 0; t < F; t++) mc_desc_tempogram_frame(d, padded + t, w->ac_frame, w->ac_out, w->ac_spec, tg);
    return mc_desc_tempo_pick(d, tg, F);
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

/* ---------------------------------------------------------------- the tempo of a stream
 *
 * mc_dsp_track_tempo computed as the samples arrive (see dsp.h): phase 1 turns samples into the dB mel
 * columns of the whole-track STFT (frame u covers samples u hop - n_fft/2 .. + n_fft, zero outside the
 * track), handed to the caller one by one because top_db's floor needs the loudest value of the whole
 * track; phase 2 takes them back in order, makes the onset envelope value by value and runs the
 * tempogram frame by frame as soon as its 8-s window is complete. Every value goes through the same
 * operations, in the same order, as in mc_dsp_track_tempo, so the tempo is the same. */

enum { MC_TEMPO_CHUNK = 16384 }; /* samples taken in at a time */

struct mc_dsp_tempo_stream {
    const mc_dsp_desc_plan *d;
    /* phase 1 */
    float *buf;          /* (n_fft + MC_TEMPO_CHUNK,) samples buf_start .. buf_start + buf_len */
    int64_t buf_start, buf_len;
    int64_t n;           /* samples pushed */
    int64_t skip;        /* samples still to drop before buf_start (hop > n_fft leaves gaps) */
    int64_t next;        /* the next STFT frame */
    int64_t frames;      /* the track's frame count once ended, else -1 */
    float *fr;           /* (n_fft,) one frame's samples */
    double *frame;       /* (n_fft,) fftw_malloc'd */
    fftw_complex *spec;  /* (n_bins,) fftw_malloc'd */
    float *power;        /* (n_bins,) */
    float *col;          /* (n_mels,) the frame's dB column */
    float mx;            /* the loudest dB value so far */
    /* phase 2 */
    float floor_db;
    float *prev;         /* (n_mels,) the previous column */
    int64_t cols;        /* columns taken back */
    int64_t env_n;       /* envelope values made */
    float env_last;
    float *pad;          /* (2 ac_win + 1,) the padded envelope from padded index pad_start */
    int64_t pad_start, pad_len;
    int64_t tframe;      /* the next tempogram frame */
    double *ac_frame, *ac_out; /* (ac_nfft,) fftw_malloc'd; ac_frame zero past ac_win */
    fftw_complex *ac_spec;     /* (ac_nfft / 2 + 1,) fftw_malloc'd */
    double *tg;          /* (ac_win,) */
    bool failed;
};

void mc_dsp_tempo_stream_free(mc_dsp_tempo_stream *s) {
    if (!s) return;
    mc_free(s->buf);
    mc_free(s->fr);
    fftw_free(s->frame);
    fftw_free(s->spec);
    mc_free(s->power);
    mc_free(s->col);
    mc_free(s->prev);
    mc_free(s->pad);
    fftw_free(s->ac_frame);
    fftw_free(s->ac_out);
    fftw_free(s->ac_spec);
    mc_free(s->tg);
    mc_free(s);
}

void mc_dsp_tempo_stream_reset(mc_dsp_tempo_stream *s) {
    if (!s) return;
    s->buf_start = s->buf_len = s->n = s->skip = s->next = 0;
    s->frames = -1;
    s->mx = -INFINITY;
    s->floor_db = 0;
    s->cols = s->env_n = 0;
    s->env_last = 0;
    s->pad_start = s->pad_len = s->tframe = 0;
    for (int k = 0; k < s->d->ac_win; k++) s->tg[k] = 0;
    s->failed = false;
}

mc_status mc_dsp_tempo_stream_create(const mc_dsp_desc_plan *d, mc_dsp_tempo_stream **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_create: out is NULL");
    *out = NULL;
    if (!d) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_create: plan is NULL");
    mc_dsp_tempo_stream *s = mc_alloc(1, sizeof *s);
    if (!s) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory for a tempo stream");
    s->d = d;
    const size_t n_fft = (size_t)d->n_fft, nb = (size_t)d->n_bins, nm = (size_t)d->n_mels;
    s->buf = mc_alloc(n_fft + MC_TEMPO_CHUNK, sizeof *s->buf);
    s->fr = mc_alloc(n_fft, sizeof *s->fr);
    s->frame = fftw_malloc(sizeof(double) * n_fft);
    s->spec = fftw_malloc(sizeof(fftw_complex) * nb);
    s->power = mc_alloc(nb, sizeof *s->power);
    s->col = mc_alloc(nm, sizeof *s->col);
    s->prev = mc_alloc(nm, sizeof *s->prev);
    s->pad = mc_alloc(2 * (size_t)d->ac_win + 1, sizeof *s->pad);
    s->ac_frame = fftw_malloc(sizeof(double) * (size_t)d->ac_nfft);
    s->ac_out = fftw_malloc(sizeof(double) * (size_t)d->ac_nfft);
    s->ac_spec = fftw_malloc(sizeof(fftw_complex) * (size_t)(d->ac_nfft / 2 + 1));
    s->tg = mc_alloc((size_t)d->ac_win, sizeof *s->tg);
    if (!s->buf || !s->fr || !s->frame || !s->spec || !s->power || !s->col || !s->prev || !s->pad ||
        !s->ac_frame || !s->ac_out || !s->ac_spec || !s->tg) {
        mc_dsp_tempo_stream_free(s);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory for a tempo stream");
    }
    memset(s->ac_frame, 0, sizeof(double) * (size_t)d->ac_nfft); /* the zero tail */
    mc_dsp_tempo_stream_reset(s);
    *out = s;
    return MC_STATUS_OK;
}

/* Frame u's dB column (its samples in buf, zero outside [0, n_end) with n_end the samples known to be
 * the track's, or all that arrived), handed to emit. */
static mc_status mc_tempo_emit_frame(mc_dsp_tempo_stream *s, int64_t u, mc_dsp_column_fn emit, void *user) {
    const mc_dsp_desc_plan *d = s->d;
    const mc_dsp_plan *p = d->dsp;
    const int n_fft = d->n_fft, nm = d->n_mels;
    const int64_t a = u * (int64_t)d->hop - n_fft / 2; /* the frame's first sample */
    /* samples [i0, i1) of the frame are in buf; the rest is padding */
    const int64_t i0 = a < 0 ? (-a < n_fft ? -a : n_fft) : 0;
    int64_t i1 = s->n - a < n_fft ? s->n - a : n_fft;
    if (i1 < i0) i1 = i0;
    memset(s->fr, 0, (size_t)i0 * sizeof *s->fr);
    memcpy(s->fr + i0, s->buf + (a + i0 - s->buf_start), (size_t)(i1 - i0) * sizeof *s->fr);
    memset(s->fr + i1, 0, (size_t)(n_fft - i1) * sizeof *s->fr);
    mc_dsp_frame_fft_samples(p, s->fr, s->frame, s->spec);
    mc_dsp_frame_power(s->spec, s->power, d->n_bins);
    mc_dsp_frame_mel(p, s->power, s->col, 1);
    mc_dsp_power_to_db(s->col, nm, 1.0, 1e-10, 0.0, s->col); /* the floor comes once the track is seen */
    for (int m = 0; m < nm; m++) s->mx = s->col[m] > s->mx ? s->col[m] : s->mx;
    return emit(user, s->col);
}

/* Drop the samples before frame s->next's first one. */
static void mc_tempo_compact(mc_dsp_tempo_stream *s) {
    const int64_t keep = s->next * (int64_t)s->d->hop - s->d->n_fft / 2;
    if (keep <= s->buf_start) return;
    const int64_t drop = keep - s->buf_start;
    if (drop >= s->buf_len) {
        s->skip += drop - s->buf_len; /* samples not here yet: dropped as they come */
        s->buf_start = keep;
        s->buf_len = 0;
        return;
    }
    memmove(s->buf, s->buf + drop, (size_t)(s->buf_len - drop) * sizeof *s->buf);
    s->buf_start = keep;
    s->buf_len -= drop;
}

mc_status mc_dsp_tempo_stream_push(mc_dsp_tempo_stream *s, const float *x, int64_t k, mc_dsp_column_fn emit,
                                   void *user) {
    if (!s || (!x && k > 0) || k < 0 || !emit)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_push: bad argument");
    if (s->frames >= 0 || s->failed)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_push: the stream has ended; reset it");
    {
        double bad = 0; /* NaN if any sample is NaN or Inf */
        for (int64_t i = 0; i < k; i++) bad += (double)x[i] - (double)x[i];
        if (bad != 0 || isnan(bad)) {
            s->failed = true;
            return mc_error_set(MC_STATUS_NUMERIC, "mc_dsp_tempo_stream_push: NaN or Inf in the signal");
        }
    }
    const int half = s->d->n_fft / 2, hop = s->d->hop;
    const int64_t cap = (int64_t)s->d->n_fft + MC_TEMPO_CHUNK;
    while (k > 0) {
        int64_t take = cap - s->buf_len < k ? cap - s->buf_len : k;
        if (s->skip > 0) { /* samples before the next frame's first one */
            const int64_t dr = s->skip < k ? s->skip : k;
            s->skip -= dr;
            s->n += dr;
            x += dr;
            k -= dr;
            continue;
        }
        memcpy(s->buf + s->buf_len, x, (size_t)take * sizeof *x);
        s->buf_len += take;
        s->n += take;
        x += take;
        k -= take;
        /* every frame whose last sample has arrived */
        while (s->next * (int64_t)hop + half <= s->n) {
            mc_status st = mc_tempo_emit_frame(s, s->next, emit, user);
            if (st != MC_STATUS_OK) {
                s->failed = true;
                return st;
            }
            s->next++;
        }
        mc_tempo_compact(s);
    }
    return MC_STATUS_OK;
}

mc_status mc_dsp_tempo_stream_end(mc_dsp_tempo_stream *s, mc_dsp_column_fn emit, void *user, int64_t *frames) {
    if (!s || !emit) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_end: NULL argument");
    if (s->frames >= 0 || s->failed)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_end: the stream has ended; reset it");
    if (s->n < 1) return mc_error_set(MC_STATUS_EMPTY, "mc_dsp_tempo_stream_end: no samples");
    const int64_t F = mc_dsp_frame_count(&s->d->dsp->cfg, s->n);
    for (; s->next < F; s->next++) { /* the frames that reach past the end: zero padding */
        mc_status st = mc_tempo_emit_frame(s, s->next, emit, user);
        if (st != MC_STATUS_OK) {
            s->failed = true;
            return st;
        }
    }
    s->frames = F;
    s->floor_db = (float)((double)s->mx - 80.0); /* power_to_db's top_db over the whole track */
    if (frames) *frames = F;
    return MC_STATUS_OK;
}

/* Append v to the padded envelope and run every tempogram frame whose window is now complete. */
static void mc_tempo_pad_push(mc_dsp_tempo_stream *s, float v) {
    const int win = s->d->ac_win;
    const int64_t cap = 2 * (int64_t)win + 1;
    if (s->pad_len == cap) { /* keep from the next frame's first value: fewer than win values */
        const int64_t drop = s->tframe - s->pad_start;
        memmove(s->pad, s->pad + drop, (size_t)(s->pad_len - drop) * sizeof *s->pad);
        s->pad_start += drop;
        s->pad_len -= drop;
    }
    s->pad[s->pad_len++] = v;
    /* frames whose win values are all here; the last F frames' windows only exist once F is known,
     * but frame t < F never needs more than padded[t + win - 1] */
    while (s->tframe < s->frames && s->tframe + win <= s->pad_start + s->pad_len) {
        mc_desc_tempogram_frame(s->d, s->pad + (s->tframe - s->pad_start), s->ac_frame, s->ac_out, s->ac_spec,
                                s->tg);
        s->tframe++;
    }
}

static void mc_tempo_env_push(mc_dsp_tempo_stream *s, float v) {
    const int half = s->d->ac_win / 2;
    if (s->env_n == 0) { /* the left ramp (mc_desc_ramp_left), from 0 up to the first value */
        const double sl = (double)v / (double)half;
        for (int j = 0; j < half; j++) mc_tempo_pad_push(s, (float)((double)j * sl));
    }
    mc_tempo_pad_push(s, v);
    s->env_n++;
    s->env_last = v;
}

mc_status mc_dsp_tempo_stream_column(mc_dsp_tempo_stream *s, const float *col) {
    if (!s || !col) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_column: NULL argument");
    if (s->frames < 0 || s->failed)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_column: before mc_dsp_tempo_stream_end");
    if (s->cols >= s->frames)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_column: more than %lld columns",
                            (long long)s->frames);
    const int nm = s->d->n_mels, pad = s->d->onset_pad;
    const int64_t F = s->frames, j = s->cols++;
    if (j == 0) {
        /* onset_strength's leading zeros: lag 1 + n_fft // (2 hop) frames */
        for (int64_t t = 0; t < pad && t < F; t++) mc_tempo_env_push(s, 0.0f);
    } else if (j - 1 + pad < F) {
        /* frame j - 1 + pad of the envelope from columns j - 1 and j, as mc_dsp_track_tempo */
        const float *a = s->prev, *b = col;
        const float floor_db = s->floor_db;
        float acc = 0.0f;
        for (int m = 0; m < nm; m++) {
            const float va = a[m] > floor_db ? a[m] : floor_db;
            const float vb = b[m] > floor_db ? b[m] : floor_db;
            const float df = vb - va;
            acc += df > 0.0f ? df : 0.0f;
        }
        mc_tempo_env_push(s, acc / (float)nm);
    }
    memcpy(s->prev, col, (size_t)nm * sizeof *col);
    return MC_STATUS_OK;
}

mc_status mc_dsp_tempo_stream_bpm(mc_dsp_tempo_stream *s, double *bpm) {
    if (!s || !bpm) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_tempo_stream_bpm: NULL argument");
    if (s->frames < 0 || s->failed || s->cols != s->frames)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "mc_dsp_tempo_stream_bpm: %lld of %lld columns given back", (long long)s->cols,
                            (long long)s->frames);
    const int half = s->d->ac_win / 2;
    const double sr_ = (double)s->env_last / (double)half; /* the right ramp (mc_desc_ramp_right) */
    for (int j = 0; j < half; j++) mc_tempo_pad_push(s, (float)((double)(half - 1 - j) * sr_));
    *bpm = mc_desc_tempo_pick(s->d, s->tg, s->frames);
    s->failed = true; /* the stream is spent: reset for the next track */
    return MC_STATUS_OK;
}
