/* Decoding with libsndfile and downmixing, as librosa.load(path, sr=SR, mono=True) does in 0.10.2.
 *
 * librosa.load reads through soundfile: SoundFile(path).read(dtype='float32'), i.e. libsndfile's
 * sf_readf_float with its default float normalisation (SFC_SET_NORM_FLOAT on: integer PCM is scaled
 * by 1/2^(bits-1); SFC_SET_SCALE_FLOAT_INT_READ is not involved when reading floats). It then
 * applies librosa.to_mono (np.mean over the channel axis in float32) and, when sr differs from the
 * native rate, librosa.resample with res_type='soxr_hq' (resample.c).
 *
 * Speed: a loader decodes many files on one thread, so it keeps its buffers between files. Multichannel
 * audio is decoded into a small block (a few hundred KiB, stays in cache) and downmixed from there
 * into the growable mono buffer; mono audio is decoded straight into the mono buffer. Nothing is
 * allocated per file once the buffers are large enough, which avoids the kernel page-faulting a
 * fresh multi-megabyte buffer for every track. Frame counts in headers are unreliable for compressed
 * formats, so we read until libsndfile reports the end and use the header only as a size hint. */
#include "audio_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Samples per decode block for multichannel input (256 KiB of float32: the block and its mono output
 * both stay in L2 while they are downmixed). Mono input is read in blocks of this many frames.
 * Measured: 2^12 to 2^18 make no difference to decode time (libmpg123/libFLAC dominate). */
#define MC_AUDIO_BLOCK_SAMPLES ((int64_t)1 << 16)
/* The header's frame count is used as a size hint only up to this many frames (~6 min at 44.1 kHz)
 * and 64 frames per byte of file, so that a corrupt header cannot make us reserve gigabytes before
 * reading anything; longer files grow the buffer as they are read. */
#define MC_AUDIO_RESERVE_MAX ((int64_t)1 << 24)
/* libsndfile's internal SFE_BAD_FILE, which sf_error(NULL) returns when the MPEG decoder finds no
 * stream in a file named .mp3; its text ("File does not exist or is not a regular file") misleads. */
#define MC_SFE_BAD_FILE 7

struct mc_audio_loader {
    int target_sr;   /* <= 0: keep the native rate */
    float *block;    // (block_cap / channels, channels) interleaved decode block for multichannel files
    int64_t block_cap;
    float *mono;     // (mono_cap,) downmixed native-rate samples; the first `frames` are valid
    int64_t mono_cap;
    float *out;      // (out_cap,) resampled samples (python-soxr's buffer, then librosa's fix_length)
    int64_t out_cap;
};

/* ------------------------------------------------------------------------------------------- open */

static void mc_audio_format_name(const SF_INFO *sfi, char name[16]) {
    const char *s = NULL;
    switch (sfi->format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX: s = "wav"; break;
    case SF_FORMAT_RF64: s = "rf64"; break;
    case SF_FORMAT_W64: s = "w64"; break;
    case SF_FORMAT_AIFF: s = "aiff"; break;
    case SF_FORMAT_AU: s = "au"; break;
    case SF_FORMAT_FLAC: s = "flac"; break;
    case SF_FORMAT_CAF: s = "caf"; break;
    case SF_FORMAT_RAW: s = "raw"; break;
    case SF_FORMAT_OGG: s = (sfi->format & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS ? "opus" : "ogg"; break;
    case SF_FORMAT_MPEG:
        s = (sfi->format & SF_FORMAT_SUBMASK) == SF_FORMAT_MPEG_LAYER_I    ? "mp1"
            : (sfi->format & SF_FORMAT_SUBMASK) == SF_FORMAT_MPEG_LAYER_II ? "mp2"
                                                                           : "mp3";
        break;
    default: break;
    }
    if (!s) { /* the less common containers: libsndfile's own file extension for the format */
        SF_FORMAT_INFO fi;
        memset(&fi, 0, sizeof fi);
        fi.format = sfi->format & SF_FORMAT_TYPEMASK;
        if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, (int)sizeof fi) == 0 && fi.extension)
            s = fi.extension;
        else
            s = "unknown";
    }
    size_t i = 0;
    for (; s[i] && i < 15; i++) name[i] = (char)tolower((unsigned char)s[i]);
    name[i] = '\0';
}

/* Open path for reading. File-system problems (missing, unreadable, a directory) are MC_STATUS_IO and
 * are told apart here, before libsndfile, whose single error code for them would read as "not audio";
 * anything libsndfile cannot parse is MC_STATUS_FORMAT with its reason. */
static mc_status mc_audio_open(const char *path, SNDFILE **sf, SF_INFO *sfi, int64_t *file_bytes) {
    *sf = NULL;
    *file_bytes = 0;
    memset(sfi, 0, sizeof *sfi);
    if (!path || !*path) return mc_error_set(MC_STATUS_INVALID_ARG, "audio: no file name given");
    struct stat st;
    if (stat(path, &st) != 0) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return mc_error_set(MC_STATUS_IO, "%s: cannot open: is a directory, not an audio file", path);
    if (!S_ISREG(st.st_mode)) /* a FIFO or device could block or never end */
        return mc_error_set(MC_STATUS_IO, "%s: cannot open: not a regular file", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    close(fd);
    *file_bytes = (int64_t)st.st_size;
    if (st.st_size == 0) return mc_error_set(MC_STATUS_FORMAT, "%s: not audio: the file is empty (0 bytes)", path);

    /* sf_open with the path (not sf_open_fd), as soundfile does: libsndfile falls back on the file
     * extension for formats it cannot recognise from the content (e.g. .mp3 without an ID3 tag). */
    *sf = sf_open(path, SFM_READ, sfi);
    if (!*sf) {
        int e = sf_error(NULL);
        if (e == MC_SFE_BAD_FILE) /* we checked it is a readable regular file: the stream is bad */
            return mc_error_set(MC_STATUS_FORMAT, "%s: cannot decode: no valid audio stream found (libsndfile: %s)",
                                path, sf_strerror(NULL));
        return mc_error_set(e == SF_ERR_SYSTEM ? MC_STATUS_IO : MC_STATUS_FORMAT, "%s: cannot decode: %s",
                            path, sf_strerror(NULL));
    }
    if (sfi->channels < 1 || sfi->samplerate < 1) {
        sf_close(*sf);
        *sf = NULL;
        return mc_error_set(MC_STATUS_FORMAT, "%s: invalid header: %d channels at %d Hz", path, sfi->channels,
                            sfi->samplerate);
    }
    /* soundfile's float reads use libsndfile's default normalisation; make it explicit. */
    sf_command(*sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    return MC_STATUS_OK;
}

mc_status mc_audio_probe(const char *path, mc_audio_info *info) {
    if (!info) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_probe: NULL info");
    memset(info, 0, sizeof *info);
    SNDFILE *sf;
    SF_INFO sfi;
    int64_t bytes;
    mc_status st = mc_audio_open(path, &sf, &sfi, &bytes);
    if (st != MC_STATUS_OK) return st;
    info->sample_rate = sfi.samplerate;
    info->channels = sfi.channels;
    /* header value; may be an estimate; 0 when unknown (SF_COUNT_MAX) */
    info->frames = sfi.frames > 0 && sfi.frames != SF_COUNT_MAX ? (int64_t)sfi.frames : 0;
    mc_audio_format_name(&sfi, info->format);
    sf_close(sf);
    return MC_STATUS_OK;
}

/* --------------------------------------------------------------------------------------- loader */

mc_status mc_audio_loader_create(int target_sr, mc_audio_loader **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_create: NULL out");
    *out = NULL;
    if (target_sr > 1000000) /* above any audio rate: a unit mistake, not a request */
        return mc_error_set(MC_STATUS_INVALID_ARG, "audio loader: target rate %d Hz is out of range", target_sr);
    mc_audio_loader *l = mc_alloc(1, sizeof *l);
    if (!l) return MC_STATUS_NO_MEMORY;
    l->target_sr = target_sr > 0 ? target_sr : 0;
    *out = l;
    return MC_STATUS_OK;
}

void mc_audio_loader_free(mc_audio_loader *l) {
    if (!l) return;
    mc_free(l->block);
    mc_free(l->mono);
    mc_free(l->out);
    mc_free(l);
}

/* Make *buf hold at least `need` floats, keeping its first `keep`. Grows geometrically so that a
 * file read to EOF costs O(log) reallocations, and never shrinks: the next file reuses it. */
static mc_status mc_audio_reserve(float **buf, int64_t *cap, int64_t need, int64_t keep, const char *path) {
    if (need <= *cap) return MC_STATUS_OK;
    int64_t new_cap = *cap * 2 > need ? *cap * 2 : need;
    float *p = mc_alloc((size_t)new_cap, sizeof *p); // (new_cap,)
    if (!p) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory for %lld samples", path, (long long)new_cap);
    if (keep > 0) memcpy(p, *buf, (size_t)keep * sizeof *p);
    mc_free(*buf);
    *buf = p;
    *cap = new_cap;
    return MC_STATUS_OK;
}

/* Report the first NaN/Inf among x (count, channels) interleaved, frames counted from frame0. */
static mc_status mc_audio_nonfinite(const char *path, const float *x, int64_t count, int channels, int64_t frame0,
                                    int sr) {
    for (int64_t i = 0; i < count * channels; i++) {
        if (!isfinite(x[i])) {
            int64_t frame = frame0 + i / channels;
            return mc_error_set(MC_STATUS_NUMERIC, "%s: %s sample at %.3f s (frame %lld, channel %d)", path,
                                isnan(x[i]) ? "NaN" : "Inf", (double)frame / sr, (long long)frame,
                                (int)(i % channels));
        }
    }
    /* every input sample finite but the channel sum overflowed float32 */
    return mc_error_set(MC_STATUS_NUMERIC, "%s: samples near %.3f s overflow float32 when downmixed", path,
                        (double)frame0 / sr);
}

/* Decode the whole file into l->mono (frames,), downmixed. */
static mc_status mc_audio_decode(mc_audio_loader *l, SNDFILE *sf, const SF_INFO *sfi, int64_t file_bytes,
                                 const char *path, int64_t *frames_out) {
    const int ch = sfi->channels;
    const int sr = sfi->samplerate;
    const int64_t block_frames = ch == 1 ? MC_AUDIO_BLOCK_SAMPLES
                                         : (MC_AUDIO_BLOCK_SAMPLES / ch > 0 ? MC_AUDIO_BLOCK_SAMPLES / ch : 1);
    int64_t have = 0;
    *frames_out = 0;

    /* Size hint: the header's count plus one block, so that the read that hits EOF needs no growth.
     * libsndfile reports SF_COUNT_MAX when the count is unknown (e.g. FLAC without total samples). */
    int64_t hint = sfi->frames > 0 && sfi->frames != SF_COUNT_MAX ? (int64_t)sfi->frames : 0;
    if (hint > MC_AUDIO_RESERVE_MAX) hint = MC_AUDIO_RESERVE_MAX;
    if (file_bytes < MC_AUDIO_RESERVE_MAX && hint > 64 * file_bytes) hint = 64 * file_bytes;
    mc_status st = mc_audio_reserve(&l->mono, &l->mono_cap, hint + block_frames, 0, path);
    if (st != MC_STATUS_OK) return st;
    if (ch > 1) {
        st = mc_audio_reserve(&l->block, &l->block_cap, block_frames * ch, 0, path);
        if (st != MC_STATUS_OK) return st;
    }

    for (;;) {
        st = mc_audio_reserve(&l->mono, &l->mono_cap, have + block_frames, have, path);
        if (st != MC_STATUS_OK) return st;
        float *dst = l->mono + have; // (block_frames,) mono output of this block
        if (ch == 1) {
            sf_count_t got = sf_readf_float(sf, dst, (sf_count_t)block_frames);
            if (got <= 0) break;
            /* x - x is 0 for finite x and NaN for NaN or +-Inf: a branch-free test per sample. */
            int bad = 0;
            for (sf_count_t i = 0; i < got; i++) bad |= (dst[i] - dst[i]) != 0.0f;
            if (bad) return mc_audio_nonfinite(path, dst, got, 1, have, sr);
            have += got;
        } else {
            const float *src = l->block; // (got, ch) interleaved
            sf_count_t got = sf_readf_float(sf, l->block, (sf_count_t)block_frames);
            if (got <= 0) break;
            int bad = 0;
            if (ch == 2) {
                /* librosa.to_mono: np.mean over channels in float32 = (l + r) / 2; * 0.5f is the same
                 * correctly rounded value as / 2.0f. */
                for (sf_count_t i = 0; i < got; i++) {
                    float m = (src[2 * i] + src[2 * i + 1]) * 0.5f;
                    dst[i] = m;
                    bad |= (m - m) != 0.0f;
                }
            } else {
                /* np.mean: float32 sum over the channels in order, then divided by their count. */
                const float count = (float)ch;
                for (sf_count_t i = 0; i < got; i++) {
                    const float *f = src + i * ch;
                    float s = f[0];
                    for (int c = 1; c < ch; c++) s += f[c];
                    float m = s / count;
                    dst[i] = m;
                    bad |= (m - m) != 0.0f;
                }
            }
            if (bad) return mc_audio_nonfinite(path, src, got, ch, have, sr);
            have += got;
        }
    }
    if (have == 0) {
        int e = sf_error(sf);
        if (e != SF_ERR_NO_ERROR)
            return mc_error_set(MC_STATUS_FORMAT, "%s: cannot decode: %s", path, sf_strerror(sf));
        return mc_error_set(MC_STATUS_EMPTY, "%s: no audio: the file holds 0 frames", path);
    }
    /* A decode error after some frames (a truncated or damaged tail) keeps what was decoded, as
     * soundfile does: it returns the frames libsndfile delivered. */
    *frames_out = have;
    return MC_STATUS_OK;
}

mc_status mc_audio_loader_load(mc_audio_loader *l, const char *path, const float **samples, int64_t *n,
                               mc_audio_info *info) {
    if (samples) *samples = NULL;
    if (n) *n = 0;
    if (info) memset(info, 0, sizeof *info);
    if (!l || !samples || !n) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_load: NULL argument");

    SNDFILE *sf;
    SF_INFO sfi;
    int64_t bytes;
    mc_status st = mc_audio_open(path, &sf, &sfi, &bytes);
    if (st != MC_STATUS_OK) return st;
    int64_t frames = 0;
    st = mc_audio_decode(l, sf, &sfi, bytes, path, &frames);
    sf_close(sf);
    if (st != MC_STATUS_OK) return st;

    if (info) {
        info->sample_rate = sfi.samplerate;
        info->channels = sfi.channels;
        info->frames = frames;
        mc_audio_format_name(&sfi, info->format);
    }
    /* librosa.load resamples only when sr != the native rate. */
    if (l->target_sr == 0 || l->target_sr == sfi.samplerate) {
        *samples = l->mono;
        *n = frames;
        return MC_STATUS_OK;
    }
    int64_t n_out = mc_audio_resampled_length(frames, sfi.samplerate, l->target_sr);
    int64_t need = mc_audio_soxr_capacity(frames, sfi.samplerate, l->target_sr);
    if (need < n_out) need = n_out;
    st = mc_audio_reserve(&l->out, &l->out_cap, need, 0, path);
    if (st != MC_STATUS_OK) return st;
    st = mc_audio_resample_into(l->mono, frames, sfi.samplerate, l->target_sr, l->out, l->out_cap, path);
    if (st != MC_STATUS_OK) return st;
    if (n_out == 0) return mc_error_set(MC_STATUS_EMPTY, "%s: no audio left after resampling", path);
    *samples = l->out;
    *n = n_out;
    return MC_STATUS_OK;
}
