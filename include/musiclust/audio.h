/* musiclust audio: decode anything libsndfile reads (WAV, FLAC, OGG, MP3, AU, AIFF...; 8/16/24/32-bit
 * integer or float), downmix to mono, resample with soxr, cut into segments, write WAV.
 *
 * Loading follows librosa.load(path, sr=SR, mono=True) of librosa 0.10.2: samples are decoded to
 * float32 as soundfile does (libsndfile's sf_readf_float, integer PCM scaled by 1/2^(bits-1); MPEG
 * files by libmpg123 configured exactly as libsndfile 1.2.0 configures it, so the samples are the
 * same, but without libmpg123's messages on stderr), downmixed by the mean over channels
 * (librosa.to_mono), and resampled with soxr at HQ quality (res_type='soxr_hq') to
 * ceil(n * sr_out / sr_in) samples (librosa.resample with fix=True).
 *
 * Everything is done as a stream, block by block: mc_audio_loader_open/read/close hand out the
 * resampled mono signal in pieces, with memory independent of the track's length, and the
 * concatenated pieces are bit for bit the samples of a whole-track load. */
#ifndef MUSICLUST_AUDIO_H
#define MUSICLUST_AUDIO_H

#include <musiclust/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_audio_info {
    int sample_rate;      /* native rate of the file */
    int channels;
    int64_t frames;       /* native frames as decoded (after a full read; header value from probe) */
    char format[16];      /* "wav", "flac", "ogg", "mp3", "au", ... (lowercase) */
} mc_audio_info;

/* Open the file's header only. */
mc_status mc_audio_probe(const char *path, mc_audio_info *info);

/* A reusable loader: owns growable buffers (decode, downmix, resample) so that a thread loading many
 * files does not allocate per file once its buffers are large enough. One loader per thread. */
typedef struct mc_audio_loader mc_audio_loader;

/* target_sr <= 0 keeps the native rate. */
mc_status mc_audio_loader_create(int target_sr, mc_audio_loader **out);
void mc_audio_loader_free(mc_audio_loader *l);

/* Decode path, downmix to mono, resample to the loader's rate: the whole track in memory (n floats;
 * extract streams instead). Closes any open stream. *samples points into the loader and stays valid
 * until the next load, open or free. Errors (each with a message naming the file):
 *   MC_STATUS_IO          the file cannot be opened/read (missing, permission, a directory)
 *   MC_STATUS_FORMAT      not audio or corrupt/truncated beyond decoding
 *   MC_STATUS_EMPTY       zero samples
 *   MC_STATUS_NUMERIC     a NaN or Inf sample (the message gives the time of the first one). */
mc_status mc_audio_loader_load(mc_audio_loader *l, const char *path, const float **samples,
                               int64_t *n, mc_audio_info *info);

/* Streaming: open a file, then read the decoded, downmixed, resampled samples piece by piece.
 * open fills info with the header's values (frames: the header's count, 0 when unknown; the true
 * count is known only at the end, from mc_audio_loader_stream_info). Errors of open: those of
 * mc_audio_loader_load that concern the header (IO, FORMAT, NO_MEMORY). Any stream already open on
 * the loader is closed first. */
mc_status mc_audio_loader_open(mc_audio_loader *l, const char *path, mc_audio_info *info);
/* The next samples: *samples points to *n samples (at the loader's rate) inside the loader, valid
 * until the next call on it. *n == 0 (status OK) at the end of the track. The pieces have no fixed
 * size. Errors (the stream is then finished; later reads repeat the status):
 *   MC_STATUS_FORMAT   nothing decodable (a decoding error after some samples ends the track there,
 *                      keeping what was decoded, as soundfile does)
 *   MC_STATUS_EMPTY    zero samples
 *   MC_STATUS_NUMERIC  a NaN or Inf sample (the message gives its time), or a resampler failure. */
mc_status mc_audio_loader_read(mc_audio_loader *l, const float **samples, int64_t *n);
/* The open stream's info; frames counts the native frames decoded so far (all of them once read has
 * returned *n == 0). Zeros when no stream is open. */
void mc_audio_loader_stream_info(const mc_audio_loader *l, mc_audio_info *info);
/* Close the open stream (nothing open: no-op). The loader keeps its buffers for the next file. */
void mc_audio_loader_close(mc_audio_loader *l);

/* Resample x (n,) from sr_in to sr_out with soxr HQ (one-shot, linear phase), writing exactly
 * mc_audio_resampled_length(n, sr_in, sr_out) samples to out (zero-padded or trimmed as
 * librosa's fix_length). */
int64_t mc_audio_resampled_length(int64_t n, int sr_in, int sr_out);
mc_status mc_audio_resample(const float *x, int64_t n, int sr_in, int sr_out, float *out);

/* Segmentation into windows of seg_len samples (seg_len = round(segment_s * sr)):
 *   seg_len == 0 (segment 0 = whole track): one window of n samples;
 *   n >= seg_len: floor(n / seg_len) windows starting at i*seg_len; the trailing part is dropped;
 *   0 < n < seg_len: one window, zero-padded to seg_len, and *is_short is set.
 * Returns the number of windows (0 if n == 0). */
int64_t mc_audio_segment_count(int64_t n, int64_t seg_len, bool *is_short);
/* Copy window i (seg_len samples; zero-padded past n) into out. */
void mc_audio_segment_copy(const float *x, int64_t n, int64_t seg_len, int64_t i, float *out);

typedef enum mc_audio_format {
    MC_AUDIO_FORMAT_WAV_PCM16 = 0,
    MC_AUDIO_FORMAT_WAV_PCM24,
    MC_AUDIO_FORMAT_WAV_PCM32,
    MC_AUDIO_FORMAT_WAV_U8,
    MC_AUDIO_FORMAT_WAV_FLOAT,
    MC_AUDIO_FORMAT_FLAC_PCM16,
    MC_AUDIO_FORMAT_FLAC_PCM24,
    MC_AUDIO_FORMAT_OGG_VORBIS,
    MC_AUDIO_FORMAT_MP3,
    MC_AUDIO_FORMAT_AU_PCM16,
    MC_AUDIO_FORMAT_AIFF_PCM16
} mc_audio_format;

/* Write interleaved frames x (frames, channels) in the given format; integer formats are clipped to
 * [-1, 1]. Written to a temp file and renamed. */
mc_status mc_audio_write(const char *path, const float *x, int64_t frames, int channels,
                         int sample_rate, mc_audio_format format);

/* The libraries this module runs on, with their versions: "sndfile" (libsndfile) and "soxr";
 * fills at most cap entries of out and returns how many it has (2). Strings are static. */
int mc_audio_versions(mc_library_version *out, int cap);

#ifdef __cplusplus
}
#endif
#endif
