/* Writing audio with libsndfile (generated audio, test fixtures), through a temp file and rename so
 * that a crash never leaves a half-written file under the final name (as mc_file_write_atomic). */
#include "audio_internal.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Frames per write call; integer formats are clipped through a copy of this size. */
#define MC_AUDIO_WRITE_BLOCK_SAMPLES ((int64_t)1 << 13)

static bool mc_audio_format_sf(mc_audio_format f, int *sf_format, bool *is_int, const char **name) {
    *is_int = true;
    switch (f) {
    case MC_AUDIO_FORMAT_WAV_PCM16: *sf_format = SF_FORMAT_WAV | SF_FORMAT_PCM_16; *name = "WAV PCM16"; return true;
    case MC_AUDIO_FORMAT_WAV_PCM24: *sf_format = SF_FORMAT_WAV | SF_FORMAT_PCM_24; *name = "WAV PCM24"; return true;
    case MC_AUDIO_FORMAT_WAV_PCM32: *sf_format = SF_FORMAT_WAV | SF_FORMAT_PCM_32; *name = "WAV PCM32"; return true;
    case MC_AUDIO_FORMAT_WAV_U8: *sf_format = SF_FORMAT_WAV | SF_FORMAT_PCM_U8; *name = "WAV unsigned 8-bit"; return true;
    case MC_AUDIO_FORMAT_WAV_FLOAT:
        *sf_format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        *is_int = false;
        *name = "WAV float";
        return true;
    case MC_AUDIO_FORMAT_FLAC_PCM16: *sf_format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16; *name = "FLAC 16-bit"; return true;
    case MC_AUDIO_FORMAT_FLAC_PCM24: *sf_format = SF_FORMAT_FLAC | SF_FORMAT_PCM_24; *name = "FLAC 24-bit"; return true;
    case MC_AUDIO_FORMAT_OGG_VORBIS:
        *sf_format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
        *is_int = false;
        *name = "OGG Vorbis";
        return true;
    case MC_AUDIO_FORMAT_MP3:
        *sf_format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
        *is_int = false;
        *name = "MP3";
        return true;
    case MC_AUDIO_FORMAT_AU_PCM16: *sf_format = SF_FORMAT_AU | SF_FORMAT_PCM_16; *name = "AU PCM16"; return true;
    case MC_AUDIO_FORMAT_AIFF_PCM16: *sf_format = SF_FORMAT_AIFF | SF_FORMAT_PCM_16; *name = "AIFF PCM16"; return true;
    }
    return false;
}

mc_status mc_audio_write(const char *path, const float *x, int64_t frames, int channels, int sample_rate,
                         mc_audio_format format) {
    if (!path || !*path) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_write: no file name given");
    if (frames < 0 || (frames > 0 && !x))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: cannot write %lld frames from a NULL buffer", path,
                            (long long)frames);
    if (channels < 1 || channels > 1024) /* 1024: libsndfile's SF_MAX_CHANNELS */
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %d channels is out of range [1, 1024]", path, channels);
    if (sample_rate < 1 || sample_rate > 1000000)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: sample rate %d Hz is out of range", path, sample_rate);
    int sf_format = 0;
    bool is_int = true;
    const char *name = "";
    if (!mc_audio_format_sf(format, &sf_format, &is_int, &name))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: unknown audio format %d", path, (int)format);

    /* Integer and lossy encodings have no meaning for NaN/Inf; only float WAV stores them faithfully. */
    if (format != MC_AUDIO_FORMAT_WAV_FLOAT) {
        for (int64_t i = 0; i < frames * channels; i++) {
            if (!isfinite(x[i]))
                return mc_error_set(MC_STATUS_NUMERIC, "%s: cannot write a %s sample (frame %lld) as %s", path,
                                    isnan(x[i]) ? "NaN" : "Inf", (long long)(i / channels), name);
        }
    }

    SF_INFO sfi;
    memset(&sfi, 0, sizeof sfi);
    sfi.samplerate = sample_rate;
    sfi.channels = channels;
    sfi.format = sf_format;
    if (!sf_format_check(&sfi))
        return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: this libsndfile cannot write %s with %d channels at %d Hz",
                            path, name, channels, sample_rate);

    if (mc_file_writes_discarded()) return MC_STATUS_OK; /* a rank that computes what rank 0 writes (core.h) */
    char tmp[4096];
    int len = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (len < 0 || (size_t)len >= sizeof tmp) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: path too long", path);
    SNDFILE *sf = sf_open(tmp, SFM_WRITE, &sfi);
    if (!sf) {
        int e = sf_error(NULL);
        return mc_error_set(e == SF_ERR_SYSTEM ? MC_STATUS_IO : MC_STATUS_UNSUPPORTED, "%s: cannot write %s: %s", path,
                            name, sf_strerror(NULL));
    }
    /* Saturate rather than wrap out-of-range floats in integer formats (we also clip ourselves). */
    if (is_int) sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);

    /* libsndfile writes FLAC and MP3 headers lazily with the first frames: force them out so that an
     * empty signal still gives a valid file with 0 frames (not a 0-byte one). Not for Ogg, where
     * it breaks the stream. */
    if (frames == 0 && (format == MC_AUDIO_FORMAT_FLAC_PCM16 || format == MC_AUDIO_FORMAT_FLAC_PCM24 ||
                        format == MC_AUDIO_FORMAT_MP3))
        sf_command(sf, SFC_UPDATE_HEADER_NOW, NULL, 0);

    mc_status st = MC_STATUS_OK;
    float block[MC_AUDIO_WRITE_BLOCK_SAMPLES]; // (block_frames, channels) interleaved, clipped copy
    int64_t block_frames = MC_AUDIO_WRITE_BLOCK_SAMPLES / channels;
    if (block_frames < 1) block_frames = 1; /* channels <= 1024 < block size: never taken */
    for (int64_t f0 = 0; f0 < frames && st == MC_STATUS_OK; f0 += block_frames) {
        int64_t nf = frames - f0 < block_frames ? frames - f0 : block_frames;
        const float *src = x + f0 * channels;
        if (is_int) {
            for (int64_t i = 0; i < nf * channels; i++) {
                float v = src[i];
                block[i] = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
            }
            src = block;
        }
        sf_count_t put = sf_writef_float(sf, src, (sf_count_t)nf);
        if (put != (sf_count_t)nf)
            st = mc_error_set(MC_STATUS_IO, "%s: write failed after %lld frames: %s", path, (long long)(f0 + put),
                              sf_strerror(sf));
    }
    int close_err = sf_close(sf);
    if (st == MC_STATUS_OK && close_err != 0)
        st = mc_error_set(MC_STATUS_IO, "%s: closing %s failed: %s", path, tmp, sf_error_number(close_err));
    if (st == MC_STATUS_OK && rename(tmp, path) != 0)
        st = mc_error_set(MC_STATUS_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
    if (st != MC_STATUS_OK) remove(tmp);
    return st;
}
