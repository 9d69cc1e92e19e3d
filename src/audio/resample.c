/* Resampling with libsoxr, configured and driven as python-soxr drives it for librosa.
 *
 * librosa 0.10.2's resample(y, orig_sr, target_sr, res_type='soxr_hq', fix=True) calls
 * soxr.resample(y, orig_sr, target_sr, quality='soxr_hq') and then util.fix_length(y_hat,
 * size=ceil(n * target_sr / orig_sr)). python-soxr's resample() (csoxr_divide_proc in soxr_ext.cpp;
 * cysoxr_divide_proc in the older Cython module) does, for a float32 mono signal:
 *   - soxr_create(in, out, 1 channel) with io spec soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I),
 *     quality spec soxr_quality_spec(SOXR_HQ, 0) (no flags: linear phase, default passband) and a
 *     NULL runtime spec (libsoxr's default: one thread);
 *   - feeds the input through soxr_process in chunks of (size_t)(48000 * in / out) input samples
 *     into an output buffer of (size_t)(n * out / in + 1) samples (idone NULL, so each chunk is taken
 *     whole), then flushes with soxr_process(NULL, 0) and keeps the samples produced.
 * We do exactly that. Feeding in chunks rather than soxr_oneshot also keeps libsoxr's internal
 * input FIFO at chunk size instead of a copy of the whole track, which avoids page-faulting a fresh
 * multi-megabyte buffer per file. (Measured on a 30-s 44.1 kHz track: soxr_oneshot, the chunked
 * loop, the older Cython olen = ceil(...) variant and a soxr_t reused through soxr_clear all give
 * bit-identical first ceil(n * out / in) samples.) */
#include "audio_internal.h"

#include <math.h>
#include <string.h>

int64_t mc_audio_resampled_length(int64_t n, int sr_in, int sr_out) {
    if (n <= 0 || sr_in <= 0 || sr_out <= 0) return 0;
    if (sr_in == sr_out) return n;
    /* librosa.resample: ratio = float(target_sr) / orig_sr; n_samples = int(np.ceil(n * ratio)),
     * in double with the ratio rounded first, so that the length matches librosa's even where
     * n * ratio is an integer that double arithmetic lands just above. */
    double ratio = (double)sr_out / (double)sr_in;
    return (int64_t)ceil((double)n * ratio);
}

int64_t mc_audio_soxr_capacity(int64_t n, int sr_in, int sr_out) {
    if (n <= 0 || sr_in <= 0 || sr_out <= 0) return 0;
    /* soxr_ext.cpp: olen = ilen * out_rate / in_rate + 1, evaluated left to right in double. */
    return (int64_t)((double)n * (double)sr_out / (double)sr_in + 1.0);
}

mc_status mc_audio_soxr_create(int sr_in, int sr_out, soxr_t *out, const char *what) {
    soxr_error_t err = NULL;
    soxr_io_spec_t io_spec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q_spec = soxr_quality_spec(SOXR_HQ, 0);
    soxr_t s = soxr_create((double)sr_in, (double)sr_out, 1, &err, &io_spec, &q_spec, NULL);
    if (err || !s) {
        soxr_delete(s);
        *out = NULL;
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: cannot set up resampling %d -> %d Hz: %s", what,
                            sr_in, sr_out, err ? err : "soxr_create failed");
    }
    *out = s;
    return MC_STATUS_OK;
}

mc_status mc_audio_resample_into(const float *x, int64_t n, int sr_in, int sr_out, float *y,
                                 int64_t cap, const char *what) {
    int64_t n_out = mc_audio_resampled_length(n, sr_in, sr_out);
    int64_t olen = mc_audio_soxr_capacity(n, sr_in, sr_out);
    if (n <= 0) return MC_STATUS_OK;
    if (cap < olen || cap < n_out) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: resample buffer of %lld < %lld samples", what,
                            (long long)cap, (long long)(olen > n_out ? olen : n_out));
    }
    soxr_t s = NULL;
    mc_status st = mc_audio_soxr_create(sr_in, sr_out, &s, what);
    if (st != MC_STATUS_OK) return st;
    soxr_error_t err = NULL;
    /* soxr_ext.cpp: chunk_len = 48000 * in_rate / out_rate input samples (about 48000 out). */
    size_t chunk = (size_t)(48000 * (double)sr_in / (double)sr_out);
    if (chunk < 1) chunk = 1;
    size_t ilen = (size_t)n, out_pos = 0, odone = 0;
    for (size_t idx = 0; idx < ilen && !err; idx += chunk) {
        size_t len = ilen - idx < chunk ? ilen - idx : chunk;
        odone = 0;
        err = soxr_process(s, x + idx, len, NULL, y + out_pos, (size_t)olen - out_pos, &odone);
        out_pos += odone;
    }
    if (!err) { /* flush: end of input, drain the filter's tail */
        odone = 0;
        err = soxr_process(s, NULL, 0, NULL, y + out_pos, (size_t)olen - out_pos, &odone);
        out_pos += odone;
    }
    soxr_delete(s);
    if (err) {
        return mc_error_set(MC_STATUS_NUMERIC, "%s: resampling %d -> %d Hz failed: %s", what, sr_in,
                            sr_out, err);
    }
    /* librosa.util.fix_length: zero-pad or trim to exactly n_out. */
    if ((int64_t)out_pos < n_out) memset(y + out_pos, 0, (size_t)(n_out - (int64_t)out_pos) * sizeof *y);
    return MC_STATUS_OK;
}

mc_status mc_audio_resample(const float *x, int64_t n, int sr_in, int sr_out, float *out) {
    if (sr_in <= 0 || sr_out <= 0) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_resample: sample rates %d -> %d must be > 0",
                            sr_in, sr_out);
    }
    if (n < 0 || (n > 0 && (!x || !out))) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_resample: NULL buffer or n = %lld < 0",
                            (long long)n);
    }
    if (n == 0) return MC_STATUS_OK;
    /* librosa.resample returns y unchanged when orig_sr == target_sr. */
    if (sr_in == sr_out) {
        if (out != x) memmove(out, x, (size_t)n * sizeof *x);
        return MC_STATUS_OK;
    }
    int64_t n_out = mc_audio_resampled_length(n, sr_in, sr_out);
    int64_t olen = mc_audio_soxr_capacity(n, sr_in, sr_out);
    if (olen <= n_out) return mc_audio_resample_into(x, n, sr_in, sr_out, out, n_out, "mc_audio_resample");
    /* python-soxr's buffer is one sample longer than librosa keeps when n * ratio is whole: run into a
     * scratch buffer of that size so that libsoxr sees the same output room, then keep n_out. */
    float *tmp = mc_alloc((size_t)olen, sizeof *tmp); // (olen,) soxr output before fix_length
    if (!tmp) return MC_STATUS_NO_MEMORY;
    mc_status st = mc_audio_resample_into(x, n, sr_in, sr_out, tmp, olen, "mc_audio_resample");
    if (st == MC_STATUS_OK) memcpy(out, tmp, (size_t)n_out * sizeof *out);
    mc_free(tmp);
    return st;
}
