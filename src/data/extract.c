/* musiclust extract: audio files -> feature store (see data.h for the files written).
 *
 * Files are processed in parallel (OpenMP, dynamic schedule, one file per task) and their results are
 * written in file order inside an `ordered` region, so the store is byte-identical for any thread
 * count. Each track is streamed (issue 15): the loader hands out the resampled signal block by block,
 * windows are featurised as soon as they are complete, and the track's rows wait for their turn in a
 * per-thread sink that keeps up to 32 MB / threads in memory and parks the rest in an unlinked temp file, so
 * memory does not grow with a track's length (a 1-hour track: ~38 MB peak RSS for the whole run).
 * Only --segment 0 (the whole track is one window) decodes a track whole.
 *
 * Descriptors (issue 17; on by default, --no-descriptors): librosa's per-frame descriptors of each
 * window from the same STFT and dB mel spectrogram (mc_dsp_mel_power_mag, mc_dsp_descriptors), their
 * mean and variance per window (descriptors.npy), and per track the mean and variance over all the
 * frames of its windows, merged window by window in double (Chan et al.'s pairwise update), so that
 * nothing per frame is kept. Where this departs from librosa's whole-clip call (feature(y=track)):
 * the frames are the windows' own (each window's STFT is centred and zero-padded at its edges, the
 * tail shorter than a window is left out), chroma's tuning is estimated per window, and the contrast's
 * and onset strength's dB floors (top_db 80) are per window. The tempo (--tempo) is librosa's
 * whole-track call exactly: mc_dsp_tempo_stream runs a second STFT over the track's samples as they
 * stream, its dB mel columns wait in the row sink (memory up to the budget, then the temp file: the
 * floor needs the loudest value of the whole track), and are taken back once the track has ended;
 * the track's BPM is the last column of its row and of every one of its windows' rows.
 *
 * Measured (1 thread, CPU time, this machine kind; bench/run.sh): 60 MP3 previews: libmpg123 63% of
 * the time, soxr 8%, FFTW 8%, our features 11%, kernel and libc 9%; with the descriptors 1.18x the
 * time without, 1.53x with --tempo; gtzan-mini's FLACs (cheap decoding) 1.35x and 2.17x. The tempo
 * is not on by default because its second STFT of every track costs about as much as all the MFCC
 * and log-mel features. A simulation of the 2-thread schedule from per-file times puts the cost of
 * writing in file order at 0.3% and the last file's tail at 1.4%, so decoding and featurising are
 * overlapped within each thread (cache-sized blocks) rather than across threads. */
#include "data_internal.h"

#include <musiclust/audio.h>

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mc_extract_config_default(mc_extract_config *c) {
    memset(c, 0, sizeof *c);
    mc_dsp_config_default(&c->dsp);
    c->segment_s = 3.0;
    c->logmel_frames = 0;
    c->threads = 0;
    c->metadata = NULL;
    c->id_column = "track_id";
    c->folder_label = "genre";
    c->keep_unmatched = false;
    c->descriptors = true;
    c->tempo = false;
}

/* ------------------------------------------------------------------ per-thread work */

/* Descriptor columns in the store: the statistics vector of mc_dsp_desc_stats (means, variances),
 * with the tempo last only when it is computed. */
static int desc_columns(const mc_extract_config *cfg) {
    return 2 * MC_DSP_DESC_ROWS + (cfg->tempo ? 1 : 0);
}

typedef struct worker {
    mc_audio_loader *loader;
    mc_dsp_workspace *ws;
    int64_t ws_cap;  /* samples the workspace accepts */
    float *seg;      /* (seg_len) one window */
    float *mel;      /* (n_mels, frames) mel power, then dB in place */
    float *mfcc;     /* (n_mfcc, frames) */
    size_t seg_cap, mel_cap, mfcc_cap; /* in floats */
    mc_row_sink stats;  /* (nseg, 2*n_mfcc) the current track's rows */
    mc_row_sink logmel; /* (nseg, n_mels, out_frames) the current track's rows */
    size_t row_budget; /* bytes of rows each sink keeps in memory */
    /* descriptors (cfg->descriptors) */
    mc_dsp_desc_workspace *dws;
    int64_t dws_cap;  /* frames the descriptor workspace accepts */
    float *mag;       /* (frames, n_bins) |STFT| of one window, frame-major */
    float *desc;      /* (MC_DSP_DESC_ROWS, frames) */
    size_t mag_cap, desc_cap;
    mc_row_sink drows;   /* (nseg, desc_columns) the current track's rows */
    int64_t tr_n;     /* the track's frames so far ... */
    double tr_mean[MC_DSP_DESC_ROWS], tr_m2[MC_DSP_DESC_ROWS]; /* ... their running mean and sum of squared deviations */
    /* the track's tempo (cfg->tempo): the whole-track STFT's dB columns wait in tcols for the end */
    mc_dsp_tempo_stream *ts;
    mc_row_sink tcols;   /* (frames, n_mels) */
    const char *outdir;
} worker;

typedef struct track_result {
    mc_status status;
    bool fatal;      /* the store itself cannot be written: stop the run */
    char reason[1024];
    mc_audio_info info;
    int64_t n;       /* samples at the target rate */
    int64_t nseg;
    bool padded;
    double tempo;    /* BPM (cfg->tempo) */
    float track_desc[MC_DSP_DESC_STATS]; /* the track's descriptor row (cfg->descriptors) */
} track_result;

static void worker_free(worker *w) {
    mc_audio_loader_free(w->loader);
    mc_dsp_workspace_free(w->ws);
    mc_free(w->seg);
    mc_free(w->mel);
    mc_free(w->mfcc);
    mc_data_sink_free(&w->stats);
    mc_data_sink_free(&w->logmel);
    mc_dsp_desc_workspace_free(w->dws);
    mc_free(w->mag);
    mc_free(w->desc);
    mc_data_sink_free(&w->drows);
    mc_dsp_tempo_stream_free(w->ts);
    mc_data_sink_free(&w->tcols);
    memset(w, 0, sizeof *w);
}

/* Grow *buf to at least n floats (contents not kept). */
static mc_status grow(float **buf, size_t *cap, size_t n) {
    if (n <= *cap) return MC_STATUS_OK;
    size_t c = n + n / 4;
    float *p = mc_alloc(c, sizeof *p);
    if (!p) return mc_error_nomem("extract: out of memory for %zu floats", c);
    mc_free(*buf);
    *buf = p;
    *cap = c;
    return MC_STATUS_OK;
}

/* Strip a leading "path: " from a library message so skipped.tsv's reason column is just the reason. */
static void set_reason(track_result *r, const char *path, const char *msg) {
    size_t lp = strlen(path);
    if (strncmp(msg, path, lp) == 0 && msg[lp] == ':') {
        msg += lp + 1;
        while (*msg == ' ') msg++;
    }
    snprintf(r->reason, sizeof r->reason, "%s", msg);
    for (char *p = r->reason; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r') *p = ' ';
}

/* Size the per-thread buffers for windows of seg_len samples (frames STFT frames), and start a track. */
static mc_status worker_prepare(worker *w, const mc_extract_config *cfg, const mc_dsp_plan *plan,
                                const mc_dsp_desc_plan *dplan, int64_t seg_len, int64_t frames, int out_frames) {
    const mc_dsp_config *d = &cfg->dsp;
    size_t nm = (size_t)d->n_mels, nc = (size_t)d->n_mfcc, nb = (size_t)(d->n_fft / 2 + 1);
    mc_status st = MC_STATUS_OK;
    if (seg_len > w->ws_cap) {
        mc_dsp_workspace_free(w->ws);
        w->ws = NULL;
        w->ws_cap = 0;
        st = mc_dsp_workspace_create(plan, seg_len, &w->ws);
        if (st == MC_STATUS_OK) w->ws_cap = seg_len;
    }
    if (st == MC_STATUS_OK) st = grow(&w->seg, &w->seg_cap, (size_t)seg_len);
    if (st == MC_STATUS_OK) st = grow(&w->mel, &w->mel_cap, nm * (size_t)frames);
    if (st == MC_STATUS_OK) st = grow(&w->mfcc, &w->mfcc_cap, nc * (size_t)frames);
    mc_data_sink_reset(&w->stats, 2 * nc, w->row_budget);
    mc_data_sink_reset(&w->logmel, out_frames > 0 ? nm * (size_t)out_frames : 1, w->row_budget);
    if (dplan && st == MC_STATUS_OK) {
        if (frames > w->dws_cap) {
            mc_dsp_desc_workspace_free(w->dws);
            w->dws = NULL;
            w->dws_cap = 0;
            st = mc_dsp_desc_workspace_create(dplan, frames, &w->dws);
            if (st == MC_STATUS_OK) w->dws_cap = frames;
        }
        if (st == MC_STATUS_OK) st = grow(&w->mag, &w->mag_cap, nb * (size_t)frames);
        if (st == MC_STATUS_OK) st = grow(&w->desc, &w->desc_cap, (size_t)MC_DSP_DESC_ROWS * (size_t)frames);
        mc_data_sink_reset(&w->drows, (size_t)desc_columns(cfg), w->row_budget);
        w->tr_n = 0;
        for (int r = 0; r < MC_DSP_DESC_ROWS; r++) w->tr_mean[r] = w->tr_m2[r] = 0;
    }
    if (cfg->tempo && st == MC_STATUS_OK) {
        if (!w->ts) st = mc_dsp_tempo_stream_create(dplan, &w->ts);
        mc_dsp_tempo_stream_reset(w->ts);
        mc_data_sink_reset(&w->tcols, nm, w->row_budget);
    }
    return st;
}

/* The descriptors of one window: its row of statistics, and the track's running mean and sum of
 * squared deviations per descriptor over all frames (each window's two-pass mean and M2 in double,
 * merged in window order by Chan, Golub & LeVeque's pairwise update). */
static void desc_accumulate(worker *w, int64_t frames) {
    for (int r = 0; r < MC_DSP_DESC_ROWS; r++) {
        const float *x = w->desc + (size_t)r * (size_t)frames; /* (frames,) */
        double sum = 0;
        for (int64_t t = 0; t < frames; t++) sum += x[t];
        const double mb = sum / (double)frames;
        double m2 = 0;
        for (int64_t t = 0; t < frames; t++) m2 += ((double)x[t] - mb) * ((double)x[t] - mb);
        const double na = (double)w->tr_n, nb = (double)frames, n = na + nb;
        const double delta = mb - w->tr_mean[r];
        w->tr_mean[r] += delta * (nb / n);
        w->tr_m2[r] += m2 + delta * delta * (na * nb / n);
    }
    w->tr_n += frames;
}

/* Features of window s (w->seg, seg_len samples) into the track's next rows. Each window is
 * featurised on its own, centred and zero-padded as librosa does when a tool calls it per 3-s
 * segment. *fatal is set when the rows cannot be kept (temp file), not for a bad signal. */
static mc_status featurize(const mc_extract_config *cfg, const mc_dsp_plan *plan, const mc_dsp_desc_plan *dplan,
                           worker *w, const char *path, const char *outdir, int64_t seg_len, int64_t s,
                           int out_frames, bool *fatal) {
    const mc_dsp_config *d = &cfg->dsp;
    size_t nm = (size_t)d->n_mels, nc = (size_t)d->n_mfcc;
    int64_t frames = mc_dsp_frame_count(d, seg_len);
    mc_status st = dplan ? mc_dsp_mel_power_mag(plan, w->ws, w->seg, seg_len, w->mel, w->mag)
                         : mc_dsp_mel_power(plan, w->ws, w->seg, seg_len, w->mel);
    if (st != MC_STATUS_OK) return st;
    mc_dsp_power_to_db(w->mel, (int64_t)nm * frames, d->ref, d->amin, d->top_db, w->mel);
    mc_dsp_mfcc(plan, w->mel, frames, w->mfcc);
    float *row = NULL; /* (2*n_mfcc) */
    st = mc_data_sink_row(&w->stats, outdir, &row);
    if (st != MC_STATUS_OK) {
        *fatal = true;
        return st;
    }
    mc_dsp_mfcc_stats(w->mfcc, d->n_mfcc, frames, row);
    for (size_t k = 0; k < 2 * nc; k++) {
        if (!isfinite(row[k]))
            return mc_error_set(MC_STATUS_NUMERIC, "%s: non-finite MFCC statistics in segment %lld", path, (long long)s);
    }
    float dstats[MC_DSP_DESC_STATS];
    if (dplan) {
        /* librosa's descriptors of the window from the same STFT and dB mel spectrogram (onset strength:
         * librosa's own call uses power_to_db with top_db 80, the extract default) */
        st = mc_dsp_descriptors(dplan, w->dws, w->seg, seg_len, w->mag, w->mel, w->desc, NULL, NULL);
        if (st != MC_STATUS_OK) return st;
        mc_dsp_desc_stats(w->desc, frames, NAN, dstats);
        for (int k = 0; k < 2 * MC_DSP_DESC_ROWS; k++)
            if (!isfinite(dstats[k]))
                return mc_error_set(MC_STATUS_NUMERIC, "%s: non-finite descriptor %s in segment %lld", path,
                                    mc_dsp_desc_stat_name(k), (long long)s);
    }
    st = mc_data_sink_push_done(&w->stats, outdir);
    if (st == MC_STATUS_OK && out_frames > 0) {
        /* (n_mels, out_frames): crop, or pad with the segment's floor (its minimum dB), which
         * is what silence looks like after power_to_db's top_db clamp. */
        float *dst = NULL;
        st = mc_data_sink_row(&w->logmel, outdir, &dst);
        if (st == MC_STATUS_OK) {
            float floor_db = w->mel[0];
            for (size_t k = 1; k < nm * (size_t)frames; k++)
                if (w->mel[k] < floor_db) floor_db = w->mel[k];
            int64_t keep = frames < out_frames ? frames : out_frames;
            for (size_t m = 0; m < nm; m++) {
                memcpy(dst + m * (size_t)out_frames, w->mel + m * (size_t)frames, (size_t)keep * sizeof(float));
                for (int64_t t = keep; t < out_frames; t++) dst[m * (size_t)out_frames + (size_t)t] = floor_db;
            }
            st = mc_data_sink_push_done(&w->logmel, outdir);
        }
    }
    if (st == MC_STATUS_OK && dplan) {
        float *drow = NULL; /* (desc_columns) the tempo column, if any, is set when the track is written */
        st = mc_data_sink_row(&w->drows, outdir, &drow);
        if (st == MC_STATUS_OK) {
            memcpy(drow, dstats, (size_t)desc_columns(cfg) * sizeof *drow);
            st = mc_data_sink_push_done(&w->drows, outdir);
        }
        if (st == MC_STATUS_OK) desc_accumulate(w, frames);
    }
    if (st != MC_STATUS_OK) *fatal = true;
    return st;
}

/* ---- the track's tempo: the tempo stream's columns kept in w->tcols, then given back */

static mc_status keep_column(void *user, const float *col) {
    worker *w = user;
    float *row = NULL;
    mc_status st = mc_data_sink_row(&w->tcols, w->outdir, &row);
    if (st != MC_STATUS_OK) return st;
    memcpy(row, col, w->tcols.row_floats * sizeof *row);
    return mc_data_sink_push_done(&w->tcols, w->outdir);
}

static mc_status give_back_columns(void *user, float *rows, int64_t count) {
    worker *w = user;
    mc_status st = MC_STATUS_OK;
    for (int64_t r = 0; r < count && st == MC_STATUS_OK; r++)
        st = mc_dsp_tempo_stream_column(w->ts, rows + (size_t)r * w->tcols.row_floats);
    return st;
}

/* After the last sample: the tempo (its columns read back: temp file errors are fatal), and the
 * track's descriptor row. */
static mc_status track_finish(const mc_extract_config *cfg, worker *w, track_result *r) {
    mc_status st = MC_STATUS_OK;
    r->tempo = NAN;
    if (cfg->tempo) {
        st = mc_dsp_tempo_stream_end(w->ts, keep_column, w, NULL);
        if (st == MC_STATUS_OK) st = mc_data_sink_foreach(&w->tcols, w->outdir, give_back_columns, w);
        if (st == MC_STATUS_OK) st = mc_dsp_tempo_stream_bpm(w->ts, &r->tempo);
        if (st != MC_STATUS_OK) {
            r->fatal = st == MC_STATUS_IO || st == MC_STATUS_NO_MEMORY;
            return st;
        }
    }
    if (cfg->descriptors) {
        for (int k = 0; k < MC_DSP_DESC_ROWS; k++) {
            r->track_desc[k] = (float)w->tr_mean[k];
            r->track_desc[MC_DSP_DESC_ROWS + k] = (float)(w->tr_m2[k] / (double)w->tr_n);
        }
        r->track_desc[2 * MC_DSP_DESC_ROWS] = (float)r->tempo;
    }
    return st;
}

/* --segment 0: the whole track is one window, so it is decoded whole (its STFT and top_db clamp
 * span the track). */
static mc_status process_whole(const mc_extract_config *cfg, const mc_dsp_plan *plan, const mc_dsp_desc_plan *dplan,
                               worker *w, const char *path, const char *outdir, int out_frames, track_result *r) {
    const float *x = NULL;
    int64_t n = 0;
    mc_status st = mc_audio_loader_load(w->loader, path, &x, &n, &r->info);
    if (st != MC_STATUS_OK) return st;
    if (n <= 0) return mc_error_set(MC_STATUS_EMPTY, "%s: no samples after decoding", path);
    st = worker_prepare(w, cfg, plan, dplan, n, mc_dsp_frame_count(&cfg->dsp, n), out_frames);
    if (st != MC_STATUS_OK) return st;
    memcpy(w->seg, x, (size_t)n * sizeof *x);
    st = featurize(cfg, plan, dplan, w, path, outdir, n, 0, out_frames, &r->fatal);
    if (st != MC_STATUS_OK) return st;
    if (cfg->tempo) {
        st = mc_dsp_tempo_stream_push(w->ts, w->seg, n, keep_column, w);
        if (st != MC_STATUS_OK) {
            r->fatal = st == MC_STATUS_IO || st == MC_STATUS_NO_MEMORY;
            return st;
        }
    }
    st = track_finish(cfg, w, r);
    if (st != MC_STATUS_OK) return st;
    r->n = n;
    r->nseg = 1;
    return MC_STATUS_OK;
}

/* Segments as the audio streams in: decode, downmix, resample and featurise block by block, so that
 * memory does not depend on the track's length. Windows as mc_audio_segment_count defines them:
 * floor(n / seg_len) full windows, the remainder dropped; a track shorter than one window gives one
 * zero-padded window. The track's tempo takes every block as it comes. */
static mc_status process_stream(const mc_extract_config *cfg, const mc_dsp_plan *plan, const mc_dsp_desc_plan *dplan,
                                worker *w, const char *path, const char *outdir, int out_frames, track_result *r) {
    mc_status st = mc_audio_loader_open(w->loader, path, &r->info);
    if (st != MC_STATUS_OK) return st;
    const int64_t seg_len = (int64_t)llround(cfg->segment_s * cfg->dsp.sr);
    st = worker_prepare(w, cfg, plan, dplan, seg_len, mc_dsp_frame_count(&cfg->dsp, seg_len), out_frames);
    int64_t fill = 0, nseg = 0, total = 0;
    /* A window that fails (non-finite features) is reported only if the whole track decodes: a
     * decoding error later in the file is the reason given, as when the track was decoded first. */
    mc_status feat_st = MC_STATUS_OK;
    char feat_msg[1024] = "";
    while (st == MC_STATUS_OK) {
        const float *x;
        int64_t k;
        st = mc_audio_loader_read(w->loader, &x, &k);
        if (st != MC_STATUS_OK || k == 0) break;
        total += k;
        if (cfg->tempo && feat_st == MC_STATUS_OK) {
            feat_st = mc_dsp_tempo_stream_push(w->ts, x, k, keep_column, w);
            if (feat_st != MC_STATUS_OK) {
                snprintf(feat_msg, sizeof feat_msg, "%s", mc_error_message());
                if (feat_st == MC_STATUS_IO || feat_st == MC_STATUS_NO_MEMORY) {
                    r->fatal = true;
                    st = feat_st;
                }
            }
        }
        while (k > 0) {
            int64_t take = seg_len - fill < k ? seg_len - fill : k;
            memcpy(w->seg + fill, x, (size_t)take * sizeof *x);
            fill += take;
            x += take;
            k -= take;
            if (fill == seg_len) {
                if (feat_st == MC_STATUS_OK) {
                    feat_st = featurize(cfg, plan, dplan, w, path, outdir, seg_len, nseg, out_frames, &r->fatal);
                    if (feat_st != MC_STATUS_OK) snprintf(feat_msg, sizeof feat_msg, "%s", mc_error_message());
                    if (r->fatal) st = feat_st;
                }
                nseg++;
                fill = 0;
            }
        }
    }
    if (st == MC_STATUS_OK) mc_audio_loader_stream_info(w->loader, &r->info);
    mc_audio_loader_close(w->loader);
    if (st != MC_STATUS_OK) return st;
    if (feat_st != MC_STATUS_OK) return mc_error_set(feat_st, "%s", feat_msg);
    if (total <= 0) return mc_error_set(MC_STATUS_EMPTY, "%s: no samples after decoding", path);
    if (nseg == 0) { /* shorter than one window: one window, zero-padded */
        memset(w->seg + fill, 0, (size_t)(seg_len - fill) * sizeof *w->seg);
        st = featurize(cfg, plan, dplan, w, path, outdir, seg_len, 0, out_frames, &r->fatal);
        if (st != MC_STATUS_OK) return st;
        nseg = 1;
        r->padded = true;
    }
    st = track_finish(cfg, w, r);
    if (st != MC_STATUS_OK) return st;
    r->n = total;
    r->nseg = nseg;
    return MC_STATUS_OK;
}

static void process_file(const mc_extract_config *cfg, const mc_dsp_plan *plan, const mc_dsp_desc_plan *dplan,
                         worker *w, const char *path, const char *outdir, int out_frames, track_result *r) {
    memset(r, 0, sizeof *r);
    w->outdir = outdir;
    mc_status st = cfg->segment_s > 0 ? process_stream(cfg, plan, dplan, w, path, outdir, out_frames, r)
                                      : process_whole(cfg, plan, dplan, w, path, outdir, out_frames, r);
    r->status = st;
    if (st != MC_STATUS_OK && r->fatal) snprintf(r->reason, sizeof r->reason, "%s", mc_error_message());
    else if (st != MC_STATUS_OK) set_reason(r, path, mc_error_message());
}

/* ------------------------------------------------------------------ output */

typedef struct store_out {
    char *dir;
    FILE *index, *tracks, *skipped, *unmatched;
    char *index_tmp, *tracks_tmp, *skipped_tmp, *unmatched_tmp;
    mc_npy_writer *stats, *logmel, *desc, *tdesc;
    mc_status io; /* first write error */
} store_out;

/* A row of skipped.tsv; also one WARN line unless the caller summarises (log false). */
static void write_skip(store_out *o, const char *path, const char *reason, bool log) {
    mc_csv_write_field(o->skipped, path, '\t');
    fputc('\t', o->skipped);
    mc_csv_write_field(o->skipped, reason, '\t');
    fputc('\n', o->skipped);
    if (log) mc_log(MC_LOG_LEVEL_WARN, "skipped %s: %s", path, reason);
}

/* ------------------------------------------------------------------ the run */

mc_status mc_data_extract(const mc_extract_config *cfg, const char *const *inputs, int n_inputs,
                          const char *outdir, mc_progress *progress, mc_extract_summary *summary) {
    double t0 = mc_clock_seconds();
    mc_extract_summary sum = {0};
    if (summary) *summary = sum;
    if (!cfg || !inputs || n_inputs <= 0 || !outdir)
        return mc_error_set(MC_STATUS_INVALID_ARG, "extract: no input files or folders given");
    mc_status st = mc_dsp_config_validate(&cfg->dsp);
    if (st != MC_STATUS_OK) return st;
    if (!(cfg->segment_s >= 0) || cfg->segment_s > 3600)
        return mc_error_set(MC_STATUS_INVALID_ARG, "--segment must be between 0 and 3600 seconds");
    if (cfg->segment_s > 0 && llround(cfg->segment_s * cfg->dsp.sr) < cfg->dsp.n_fft / 2 + 1)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "--segment %.3g s is shorter than half an FFT window (%d samples)",
                            cfg->segment_s, cfg->dsp.n_fft / 2 + 1);
    if (cfg->logmel_frames < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "--frames must be >= 0");
    if (cfg->tempo && !cfg->descriptors)
        return mc_error_set(MC_STATUS_INVALID_ARG, "the tempo is a descriptor column: --tempo needs the descriptors");

    mc_meta meta = {0};
    bool have_meta = cfg->metadata && cfg->metadata[0];
    mc_extract_config cfg_local = *cfg;
    if (!cfg_local.id_column) cfg_local.id_column = "track_id";
    cfg = &cfg_local;
    if (have_meta) {
        st = mc_meta_load(cfg->metadata, cfg->id_column, &meta);
        if (st != MC_STATUS_OK) return st;
    }
    /* The folder name becomes a label column unless the metadata already has a column of that name. */
    bool folder_col = cfg->folder_label && cfg->folder_label[0] &&
                      !(have_meta && mc_table_column(&meta.table, cfg->folder_label) >= 0);

    mc_path_list files = {0}, bad = {0};
    st = mc_data_scan(inputs, n_inputs, &files, &bad, &sum.ignored);
    if (st != MC_STATUS_OK) {
        mc_meta_free(&meta);
        return st;
    }
    sum.files = (int64_t)files.n;
    mc_progress_set_total(progress, sum.files);

    st = mc_mkdirs(outdir);
    /* One writer per store (core.h, mc_lock); then the old store's entry points go first: index.tsv
     * (what mc_store_open reads) and extract.json are committed last, so a store whose extract failed
     * part-way (a full disk, a kill) never opens as a complete one. */
    mc_lock *lock = NULL;
    if (st == MC_STATUS_OK) {
        char *lp = mc_sprintf("%s/.musiclust.lock", outdir);
        char *what = mc_sprintf("feature store %s", outdir);
        st = lp && what ? mc_lock_acquire(lp, what, &lock)
                        : mc_error_nomem("out of memory allocating the lock path of %s", outdir);
        free(lp);
        free(what);
    }
    if (st == MC_STATUS_OK) mc_file_remove_stale_tmp(outdir, 0);
    static const char *const entry_points[2] = {"index.tsv", "extract.json"};
    for (int k = 0; st == MC_STATUS_OK && k < 2; k++) {
        char *p = mc_sprintf("%s/%s", outdir, entry_points[k]);
        if (!p) st = mc_error_nomem("out of memory allocating a path in %s", outdir);
        else if (remove(p) != 0 && errno != ENOENT)
            st = mc_error_set(MC_STATUS_IO, "%s: cannot remove the old store's file: %s", p, strerror(errno));
        free(p);
    }
    if (st != MC_STATUS_OK) {
        mc_lock_release(lock);
        mc_meta_free(&meta);
        mc_path_list_free(&files);
        mc_path_list_free(&bad);
        return st;
    }

    const mc_dsp_config *d = &cfg->dsp;
    int64_t seg_len = cfg->segment_s > 0 ? (int64_t)llround(cfg->segment_s * d->sr) : 0;
    int out_frames = cfg->segment_s > 0 ? (int)mc_dsp_frame_count(d, seg_len) : cfg->logmel_frames;

    store_out o = {0};
    o.dir = (char *)outdir;
    mc_dsp_plan *plan = NULL;
    mc_dsp_desc_plan *dplan = NULL;
    const int dcols = desc_columns(cfg);
    int nt = mc_threads_resolve(cfg->threads);
    worker *workers = mc_calloc((size_t)nt, sizeof *workers);
    char (*stems)[256] = mc_calloc(files.n ? files.n : 1, sizeof *stems);
    int64_t *meta_row = mc_calloc(files.n ? files.n : 1, sizeof *meta_row);
    char join_hint[2048] = "";
    if (!workers || !stems || !meta_row) st = mc_error_nomem("out of memory allocating the extraction workers and track table");
    if (st == MC_STATUS_OK) st = mc_dsp_plan_create(d, &plan);
    if (st == MC_STATUS_OK && cfg->descriptors) {
        st = mc_dsp_desc_plan_create(plan, &dplan);
        if (st == MC_STATUS_INVALID_ARG) { /* e.g. --sr below 12800 Hz: no room for the contrast bands */
            char why[512];
            snprintf(why, sizeof why, "%s", mc_error_message());
            mc_error_set(st, "%s; the descriptors need it (--no-descriptors extracts without them)", why);
        }
    }
    for (int t = 0; st == MC_STATUS_OK && t < nt; t++) {
        st = mc_audio_loader_create(d->sr, &workers[t].loader);
        size_t budget = MC_EXTRACT_ROW_BUDGET / (size_t)nt;
        workers[t].row_budget = budget > MC_EXTRACT_ROW_BUDGET_MIN ? budget : MC_EXTRACT_ROW_BUDGET_MIN;
    }
    if (st == MC_STATUS_OK) st = mc_data_open_tmp(outdir, "index.tsv", &o.index, &o.index_tmp);
    if (st == MC_STATUS_OK) st = mc_data_open_tmp(outdir, "tracks.tsv", &o.tracks, &o.tracks_tmp);
    if (st == MC_STATUS_OK) st = mc_data_open_tmp(outdir, "skipped.tsv", &o.skipped, &o.skipped_tmp);
    if (st == MC_STATUS_OK && have_meta)
        st = mc_data_open_tmp(outdir, "unmatched_metadata.tsv", &o.unmatched, &o.unmatched_tmp);
    char *stats_path = mc_sprintf("%s/mfcc_stats.npy", outdir);
    char *logmel_path = mc_sprintf("%s/logmel.npy", outdir);
    if (st == MC_STATUS_OK) {
        int64_t row_shape[1] = {2 * (int64_t)d->n_mfcc};
        st = mc_npy_writer_open(stats_path, MC_DTYPE_F32, 1, row_shape, &o.stats);
    }
    if (st == MC_STATUS_OK && out_frames > 0) {
        int64_t row_shape[2] = {d->n_mels, out_frames};
        st = mc_npy_writer_open(logmel_path, MC_DTYPE_F32, 2, row_shape, &o.logmel);
    }
    char *desc_path = mc_sprintf("%s/descriptors.npy", outdir);
    char *tdesc_path = mc_sprintf("%s/track_descriptors.npy", outdir);
    if (st == MC_STATUS_OK && cfg->descriptors) {
        int64_t row_shape[1] = {dcols};
        st = mc_npy_writer_open(desc_path, MC_DTYPE_F32, 1, row_shape, &o.desc);
        if (st == MC_STATUS_OK) st = mc_npy_writer_open(tdesc_path, MC_DTYPE_F32, 1, row_shape, &o.tdesc);
    }

    if (st == MC_STATUS_OK) {
        /* Headers. Label columns: the folder name, then the metadata's short columns. */
        fputs("segment\ttrack\tpath\tstart_s\tpadded", o.index);
        fputs("track\ttrack_id\tpath\tduration_s\tsample_rate\tchannels\tformat\tsegments", o.tracks);
        FILE *hs[2] = {o.index, o.tracks};
        for (int h = 0; h < 2; h++) {
            if (folder_col) { fputc('\t', hs[h]); mc_csv_write_field(hs[h], cfg->folder_label, '\t'); }
            for (int k = 0; k < meta.nlabels; k++) {
                fputc('\t', hs[h]);
                mc_csv_write_field(hs[h], meta.table.header[meta.label_cols[k]], '\t');
            }
            fputc('\n', hs[h]);
        }
        fputs("path\treason\n", o.skipped);
        for (size_t i = 0; i < bad.n; i++) {
            char *tab = strchr(bad.items[i], '\t');
            if (tab) *tab = '\0';
            write_skip(&o, bad.items[i], tab ? tab + 1 : "cannot read", true);
        }
        for (size_t i = 0; i < files.n; i++) {
            /* the track id: the file's stem, valid UTF-8 (a Latin-1 file name read as such) */
            char raw[256];
            mc_data_file_stem(files.items[i], raw, sizeof raw);
            char *u = mc_data_utf8_dup(raw);
            snprintf(stems[i], sizeof stems[i], "%s", u ? u : raw);
            free(u);
            meta_row[i] = -1;
        }
        if (have_meta) {
            join_hint[0] = '\0';
            int64_t joined = mc_meta_join_files(&meta, cfg->metadata, cfg->id_column, &files, meta_row, join_hint, sizeof join_hint);
            if (joined == 0 && cfg->keep_unmatched && files.n > 0)
                mc_log(MC_LOG_LEVEL_WARN, "%s; every file is kept with empty labels (--keep-unmatched)", join_hint);
            if (joined < (int64_t)files.n && joined > 0 && !cfg->keep_unmatched) {
                char ex[400] = "";
                int ne = 0;
                for (size_t i = 0; i < files.n; i++)
                    if (meta_row[i] < 0) mc_data_add_example(ex, sizeof ex, &ne, mc_data_last_components(files.items[i], 2));
                mc_log(MC_LOG_LEVEL_WARN, "%lld audio file(s) have no row in %s (column %s), e.g. %s: skipped "
                       "(listed in skipped.tsv; --keep-unmatched keeps them with empty labels)",
                       (long long)files.n - joined, cfg->metadata, cfg->id_column, ex);
            }
        }
    }

    int64_t seg_counter = 0, track_counter = 0;
    atomic_int fatal = st != MC_STATUS_OK;
    mc_status fatal_status = st;
    char fatal_msg[1024] = "";

    if (!fatal && files.n > 0) {
        int64_t nfiles = (int64_t)files.n;
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(nt)
        for (int64_t i = 0; i < nfiles; i++) {
            worker *w = &workers[omp_get_thread_num()];
            track_result r;
            bool unmatched = have_meta && meta_row[i] < 0 && !cfg->keep_unmatched;
            if (!fatal && !unmatched) {
                process_file(cfg, plan, dplan, w, files.items[i], outdir, out_frames, &r);
            } else {
                memset(&r, 0, sizeof r);
                r.status = MC_STATUS_INVALID_ARG;
                snprintf(r.reason, sizeof r.reason, "no row in %s with %s = '%s'",
                         cfg->metadata ? cfg->metadata : "", cfg->id_column, stems[i]);
            }
#pragma omp ordered
            {
                if (!fatal) {
                    const char *path = files.items[i];
                    if (r.fatal) {
                        fatal = 1;
                        fatal_status = r.status;
                        memcpy(fatal_msg, r.reason, sizeof fatal_msg);
                    } else if (r.status != MC_STATUS_OK) {
                        /* files without a metadata row were summarised in one line above */
                        write_skip(&o, path, r.reason, !unmatched);
                        sum.skipped++;
                    } else {
                        mc_status ws = mc_data_sink_write(&w->stats, o.stats, outdir, -1, 0);
                        if (ws == MC_STATUS_OK && o.logmel) ws = mc_data_sink_write(&w->logmel, o.logmel, outdir, -1, 0);
                        /* descriptors: the segment rows get the track's tempo (known only now) */
                        if (ws == MC_STATUS_OK && o.desc)
                            ws = mc_data_sink_write(&w->drows, o.desc, outdir, cfg->tempo ? dcols - 1 : -1, (float)r.tempo);
                        if (ws == MC_STATUS_OK && o.tdesc) ws = mc_npy_writer_append(o.tdesc, r.track_desc, 1);
                        if (ws != MC_STATUS_OK) {
                            fatal = 1;
                            fatal_status = ws;
                            snprintf(fatal_msg, sizeof fatal_msg, "%s", mc_error_message());
                        } else {
                            char folder_raw[256];
                            mc_data_parent_name(path, folder_raw, sizeof folder_raw);
                            char *folder_u = mc_data_utf8_dup(folder_raw); /* a label: valid UTF-8 */
                            const char *folder = folder_u ? folder_u : folder_raw;
                            int64_t mrow = meta_row[i];
                            /* Label cells of this track, shared by its rows in both tables. */
                            for (int64_t s = 0; s < r.nseg; s++) {
                                double start = seg_len > 0 ? (double)(s * seg_len) / d->sr : 0.0;
                                fprintf(o.index, "%lld\t%lld\t", (long long)(seg_counter + s),
                                        (long long)track_counter);
                                mc_csv_write_field(o.index, path, '\t');
                                fprintf(o.index, "\t%.6g\t%d", start, r.padded ? 1 : 0);
                                if (folder_col) { fputc('\t', o.index); mc_csv_write_field(o.index, folder, '\t'); }
                                for (int k = 0; k < meta.nlabels; k++) {
                                    fputc('\t', o.index);
                                    mc_csv_write_field(o.index, mrow >= 0 ? mc_table_get(&meta.table, mrow, meta.label_cols[k]) : "", '\t');
                                }
                                fputc('\n', o.index);
                            }
                            fprintf(o.tracks, "%lld\t", (long long)track_counter);
                            mc_csv_write_field(o.tracks, stems[i], '\t');
                            fputc('\t', o.tracks);
                            mc_csv_write_field(o.tracks, path, '\t');
                            fprintf(o.tracks, "\t%.6f\t%d\t%d\t%s\t%lld",
                                    (double)r.n / d->sr, r.info.sample_rate, r.info.channels,
                                    r.info.format, (long long)r.nseg);
                            if (folder_col) { fputc('\t', o.tracks); mc_csv_write_field(o.tracks, folder, '\t'); }
                            for (int k = 0; k < meta.nlabels; k++) {
                                fputc('\t', o.tracks);
                                mc_csv_write_field(o.tracks, mrow >= 0 ? mc_table_get(&meta.table, mrow, meta.label_cols[k]) : "", '\t');
                            }
                            fputc('\n', o.tracks);
                            free(folder_u);
                            if (r.padded) {
                                sum.padded++;
                                mc_log(MC_LOG_LEVEL_INFO, "%s: shorter than one %.3g-s window; zero-padded",
                                       path, cfg->segment_s);
                            }
                            seg_counter += r.nseg;
                            track_counter++;
                        }
                    }
                }
                mc_progress_tick(progress, 1);
            }
        }
    }
    if (fatal && st == MC_STATUS_OK) {
        st = fatal_status;
        mc_error_set(st, "%s", fatal_msg);
    }

    /* Metadata rows that no file joined: not skipped files (a table may describe a whole collection
     * and extract be run on part of it), so one line and unmatched_metadata.tsv (row, id). */
    if (st == MC_STATUS_OK && have_meta) {
        bool *used = mc_calloc((size_t)(meta.table.nrows ? meta.table.nrows : 1), sizeof *used);
        if (!used) st = mc_error_nomem("out of memory allocating the metadata row flags");
        for (size_t i = 0; used && i < files.n; i++)
            if (meta_row[i] >= 0) used[meta_row[i]] = true;
        char ex[400] = "";
        int ne = 0;
        fputs("row\t", o.unmatched);
        mc_csv_write_field(o.unmatched, cfg->id_column, '\t');
        fputc('\n', o.unmatched);
        for (int64_t r = 0; used && r < meta.table.nrows; r++) {
            if (used[r]) continue;
            const char *id = mc_table_get(&meta.table, r, meta.id_col);
            fprintf(o.unmatched, "%lld\t", (long long)r + 1);
            mc_csv_write_field(o.unmatched, id, '\t');
            fputc('\n', o.unmatched);
            mc_data_add_example(ex, sizeof ex, &ne, id);
            sum.unmatched_metadata++;
        }
        free(used);
        if (sum.unmatched_metadata > 0)
            mc_log(MC_LOG_LEVEL_INFO, "%lld of %lld rows of %s have no audio file among the inputs (e.g. %s); "
                   "listed in %s/unmatched_metadata.tsv", (long long)sum.unmatched_metadata,
                   (long long)meta.table.nrows, cfg->metadata, ex, outdir);
    }
    sum.skipped += (int64_t)bad.n;
    sum.tracks = track_counter;
    sum.segments = seg_counter;

    bool keep = st == MC_STATUS_OK && track_counter > 0;
    mc_status cs;
    /* skipped.tsv is kept even when nothing was extracted: it says why. */
    cs = mc_data_close_rename(outdir, "skipped.tsv", &o.skipped, &o.skipped_tmp, st == MC_STATUS_OK);
    if (st == MC_STATUS_OK) st = cs;
    cs = mc_data_close_rename(outdir, "unmatched_metadata.tsv", &o.unmatched, &o.unmatched_tmp, st == MC_STATUS_OK);
    if (st == MC_STATUS_OK) st = cs;
    cs = mc_data_close_rename(outdir, "tracks.tsv", &o.tracks, &o.tracks_tmp, keep && st == MC_STATUS_OK);
    if (st == MC_STATUS_OK && keep) st = cs;
    if (keep && st == MC_STATUS_OK) {
        st = mc_npy_writer_close(o.stats);
        o.stats = NULL;
        mc_npy_writer **rest[3] = {&o.logmel, &o.desc, &o.tdesc};
        for (int k = 0; k < 3; k++) {
            if (!*rest[k]) continue;
            cs = mc_npy_writer_close(*rest[k]);
            *rest[k] = NULL;
            if (st == MC_STATUS_OK) st = cs;
        }
    }
    if (keep && st == MC_STATUS_OK && cfg->descriptors) {
        /* descriptor_names.txt: the columns of descriptors.npy and track_descriptors.npy, one a line */
        mc_memfile m;
        st = mc_memfile_open(&m, "descriptor_names.txt");
        if (st == MC_STATUS_OK) {
            for (int k = 0; k < dcols; k++) fprintf(m.f, "%s\n", mc_dsp_desc_stat_name(k));
            char *np = mc_sprintf("%s/descriptor_names.txt", outdir);
            st = mc_memfile_commit(&m, np);
            free(np);
        }
    }
    mc_npy_writer_abort(o.stats);
    mc_npy_writer_abort(o.logmel);
    mc_npy_writer_abort(o.desc);
    mc_npy_writer_abort(o.tdesc);

    sum.seconds = mc_clock_seconds() - t0;
    if (keep && st == MC_STATUS_OK) {
        mc_json *j = NULL;
        st = mc_json_create(&j);
        if (st == MC_STATUS_OK) {
            mc_json_begin_object(j);
            mc_json_key(j, "musiclust_version"); mc_json_string(j, mc_version());
            mc_json_key(j, "sr"); mc_json_int(j, d->sr);
            mc_json_key(j, "segment_s"); mc_json_number(j, cfg->segment_s);
            mc_json_key(j, "n_fft"); mc_json_int(j, d->n_fft);
            mc_json_key(j, "hop_length"); mc_json_int(j, d->hop);
            mc_json_key(j, "n_mels"); mc_json_int(j, d->n_mels);
            mc_json_key(j, "fmin"); mc_json_number(j, d->fmin);
            mc_json_key(j, "fmax"); mc_json_number(j, d->fmax > 0 ? d->fmax : d->sr / 2.0);
            mc_json_key(j, "n_mfcc"); mc_json_int(j, d->n_mfcc);
            mc_json_key(j, "top_db"); mc_json_number(j, d->top_db);
            mc_json_key(j, "logmel_frames"); mc_json_int(j, out_frames);
            mc_json_key(j, "descriptors"); mc_json_bool(j, cfg->descriptors);
            mc_json_key(j, "descriptor_columns"); mc_json_int(j, cfg->descriptors ? dcols : 0);
            mc_json_key(j, "tempo"); mc_json_bool(j, cfg->tempo);
            char *meta_utf8 = have_meta ? mc_data_utf8_dup(cfg->metadata) : NULL;
            mc_json_key(j, "metadata"); mc_json_string(j, meta_utf8);
            free(meta_utf8);
            mc_json_key(j, "id_column"); mc_json_string(j, have_meta ? cfg->id_column : NULL);
            mc_json_key(j, "paths"); mc_json_string(j, "absolute");
            mc_json_key(j, "files"); mc_json_int(j, sum.files);
            mc_json_key(j, "tracks"); mc_json_int(j, sum.tracks);
            mc_json_key(j, "segments"); mc_json_int(j, sum.segments);
            mc_json_key(j, "padded_tracks"); mc_json_int(j, sum.padded);
            mc_json_key(j, "skipped"); mc_json_int(j, sum.skipped);
            mc_json_key(j, "unmatched_metadata_rows"); mc_json_int(j, sum.unmatched_metadata);
            mc_json_end_object(j);
            char *jp = mc_sprintf("%s/extract.json", outdir);
            st = jp ? mc_json_write_file(j, jp) : mc_error_nomem("out of memory allocating the extract.json path");
            free(jp);
            mc_json_free(j);
        }
    }
    /* index.tsv last: the store opens only once everything else is in place */
    cs = mc_data_close_rename(outdir, "index.tsv", &o.index, &o.index_tmp, keep && st == MC_STATUS_OK);
    if (st == MC_STATUS_OK && keep) st = cs;
    if (st == MC_STATUS_OK && track_counter == 0) {
        if (join_hint[0] && !cfg->keep_unmatched)
            st = mc_error_set(MC_STATUS_EMPTY, "%s", join_hint);
        else
            st = mc_error_set(MC_STATUS_EMPTY, "no track could be extracted from %lld file(s); see %s/skipped.tsv",
                              (long long)sum.files, outdir);
    }

    for (int t = 0; workers && t < nt; t++) worker_free(&workers[t]);
    free(workers);
    free(stems);
    free(meta_row);
    free(stats_path);
    free(logmel_path);
    free(desc_path);
    free(tdesc_path);
    mc_dsp_desc_plan_free(dplan);
    mc_dsp_plan_free(plan);
    mc_meta_free(&meta);
    mc_path_list_free(&files);
    mc_path_list_free(&bad);
    mc_lock_release(lock);
    if (summary) *summary = sum;
    return st;
}
