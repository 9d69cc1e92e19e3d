/* Helpers shared by the files of src/audio; not part of the public API. */
#ifndef MUSICLUST_AUDIO_INTERNAL_H
#define MUSICLUST_AUDIO_INTERNAL_H

#include <musiclust/audio.h>

/* The number of output samples python-soxr's resample() makes room for before librosa trims or pads
 * to mc_audio_resampled_length: (size_t)(n * sr_out / sr_in + 1) in double, as its soxr_ext.cpp
 * computes `olen`. A buffer for mc_audio_resample_soxr needs max(this, resampled_length) samples. */
int64_t mc_audio_soxr_capacity(int64_t n, int sr_in, int sr_out);

/* Resample x (n,) from sr_in to sr_out exactly as python-soxr's soxr.resample(x, sr_in, sr_out,
 * quality='soxr_hq') drives libsoxr, then apply librosa's fix_length: y (cap,) receives
 * mc_audio_resampled_length(n, sr_in, sr_out) samples. cap must be >= mc_audio_soxr_capacity and
 * >= that length. `what` names the input in messages (a path, or "mc_audio_resample"). */
mc_status mc_audio_resample_into(const float *x, int64_t n, int sr_in, int sr_out, float *y,
                                 int64_t cap, const char *what);

#endif
