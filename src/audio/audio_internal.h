/* Helpers shared by the files of src/audio; not part of the public API. */
#ifndef MUSICLUST_AUDIO_INTERNAL_H
#define MUSICLUST_AUDIO_INTERNAL_H

#include <musiclust/audio.h>

#include <soxr.h>

/* The number of output samples python-soxr's resample() makes room for before librosa trims or pads
 * to mc_audio_resampled_length: (size_t)(n * sr_out / sr_in + 1) in double, as its soxr_ext.cpp
 * computes `olen`. A buffer for mc_audio_resample_soxr needs max(this, resampled_length) samples. */
int64_t mc_audio_soxr_capacity(int64_t n, int sr_in, int sr_out);

/* A libsoxr resampler configured as python-soxr configures it for librosa (resample.c): one float32
 * channel, SOXR_HQ with no flags, libsoxr's default runtime spec. Feeding it a signal in any pieces
 * and flushing gives the samples of one soxr.resample() call. */
mc_status mc_audio_soxr_create(int sr_in, int sr_out, soxr_t *out, const char *what);

/* Resample x (n,) from sr_in to sr_out exactly as python-soxr's soxr.resample(x, sr_in, sr_out,
 * quality='soxr_hq') drives libsoxr, then apply librosa's fix_length: y (cap,) receives
 * mc_audio_resampled_length(n, sr_in, sr_out) samples. cap must be >= mc_audio_soxr_capacity and
 * >= that length. `what` names the input in messages (a path, or "mc_audio_resample"). */
mc_status mc_audio_resample_into(const float *x, int64_t n, int sr_in, int sr_out, float *y,
                                 int64_t cap, const char *what);

/* ------------------------------------------------------------------ MPEG through libmpg123 (mpeg.c) */

/* true when libsndfile 1.2.0 would open this file with its MPEG decoder (its guess_file_type rules:
 * other formats' signatures, ID3v2 tags, the MPEG frame header, then the .mp3 extension); *start is
 * the byte where libsndfile lets libmpg123 start reading. fd is open for reading; nothing is moved. */
bool mc_audio_mpeg_sniff(const char *path, int fd, int64_t file_size, int64_t *start);

typedef struct mc_audio_mpeg mc_audio_mpeg;
/* Open an MPEG decoder configured as libsndfile configures it (mpeg.c says how), reading fd (not
 * owned; it must stay open until mc_audio_mpeg_close) from byte `start`. *frames is libmpg123's
 * length (sf_readf_float's limit), -1 when unknown; format is "mp1", "mp2" or "mp3". Errors:
 * MC_STATUS_FORMAT (no MPEG frame: "not an audio file"), MC_STATUS_NO_MEMORY. Never prints. */
mc_status mc_audio_mpeg_open(const char *path, int fd, int64_t start, int64_t file_size, mc_audio_mpeg **out,
                             int *sample_rate, int *channels, int64_t *frames, char format[16]);
/* Decode up to `frames` interleaved float frames into buf (frames, channels): the frames
 * sf_readf_float would return. 0 at the end of the stream or after a decoding error
 * (mc_audio_mpeg_error then says which). */
int64_t mc_audio_mpeg_read(mc_audio_mpeg *m, float *buf, int64_t frames);
/* The reason decoding stopped early, or NULL when it reached the end normally. */
const char *mc_audio_mpeg_error(const mc_audio_mpeg *m);
void mc_audio_mpeg_close(mc_audio_mpeg *m);

/* ------------------------------------------------------------------ streaming internals (load.c) */

/* Testing hook: decode in blocks of `block_samples` samples (frames x channels, >= channels) and let
 * soxr write at most `out_samples` samples per call (>= 1), instead of the defaults. Takes effect at
 * the next mc_audio_loader_open. The samples must not depend on either. */
mc_status mc_audio_loader_set_blocks(mc_audio_loader *l, int64_t block_samples, int64_t out_samples);

#endif
