/* Decoding, downmixing and resampling as a stream, as librosa.load(path, sr=SR, mono=True) does in
 * 0.10.2 for the whole track at once.
 *
 * librosa.load reads through soundfile: SoundFile(path).read(dtype='float32'), i.e. libsndfile's
 * sf_readf_float with its default float normalisation (SFC_SET_NORM_FLOAT on: integer PCM is scaled
 * by 1/2^(bits-1); SFC_SET_SCALE_FLOAT_INT_READ is not involved when reading floats). It then
 * applies librosa.to_mono (np.mean over the channel axis in float32) and, when sr differs from the
 * native rate, librosa.resample with res_type='soxr_hq' (resample.c). MPEG files are decoded by
 * libmpg123 configured exactly as libsndfile configures it (mpeg.c); every other format goes through
 * libsndfile.
 *
 * Streaming: every step works on blocks, so memory does not grow with the track's length. Decoding
 * and downmixing are per sample. libsoxr is a streaming resampler: its output is a function of the
 * input stream and does not depend on how the input is cut into calls, nor on how much output room
 * each call is given (every stage works on its own fixed-size blocks; the flush feeds zeros until
 * the round(n * out / in) samples it promises are out) -- so feeding it block by block and flushing
 * at the end gives python-soxr's samples. The only thing that needs the whole length is librosa's
 * fix_length to ceil(n * out / in): the stream hands out a resampled sample only once it is known to
 * lie below that length (ceil(frames_so_far * out / in) only grows), trims soxr's output at the end
 * and pads it with zeros to that length. tests/test_audio.c checks the stream against the one-shot
 * mc_audio_resample for many rates, lengths and block sizes.
 *
 * Speed: a loader decodes many files on one thread, so it keeps its block buffers between files;
 * nothing is allocated per file but the decoder's and resampler's own state. */
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

/* Samples per decode block (256 KiB of float32: the block and its mono output stay in L2 while they
 * are downmixed). Measured: 2^12 to 2^18 make no difference to decode time. */
#define MC_AUDIO_BLOCK_SAMPLES ((int64_t)1 << 16)
/* Resampled samples per soxr call; more output waits in libsoxr for the next call. */
#define MC_AUDIO_OUT_SAMPLES ((int64_t)1 << 16)
/* mc_audio_loader_load: the header's frame count is used as a size hint only up to this many frames
 * (~6 min at 44.1 kHz) and 64 frames per byte of file, so that a corrupt header cannot make us
 * reserve gigabytes before reading anything; longer files grow the buffer as they are read. */
#define MC_AUDIO_RESERVE_MAX ((int64_t)1 << 24)
/* libsndfile's internal SFE_BAD_FILE, which sf_error(NULL) returns when a decoder finds no stream;
 * its text ("File does not exist or is not a regular file") misleads. */
#define MC_SFE_BAD_FILE 7

enum { MC_STREAM_CLOSED = 0, MC_STREAM_OPEN, MC_STREAM_DONE, MC_STREAM_FAILED };

struct mc_audio_loader {
    int target_sr;           /* <= 0: keep the native rate */
    int64_t block_samples;   /* decode block size in samples (frames x channels) */
    int64_t out_samples;     /* soxr output room per call */
    /* buffers kept between files */
    float *block;            // (block_cap,) interleaved decode block (block_frames, channels)
    int64_t block_cap;
    float *mono;             // (mono_cap,) downmixed native-rate block; decode target for mono files
    int64_t mono_cap;
    float *out;              // (out_cap,) resampled samples; [out_pos, out_len) not yet handed out
    int64_t out_cap;
    float *whole;            // (whole_cap,) mc_audio_loader_load's whole track
    int64_t whole_cap;
    /* the open stream */
    int state;
    char *path;              /* owned copy, for messages */
    int fd;                  /* MPEG: the file libmpg123 reads; -1 otherwise */
    SNDFILE *sf;
    mc_audio_mpeg *mp;
    mc_audio_info info;      /* rate, channels, format; frames = header value until the end */
    int64_t file_bytes;
    int64_t block_frames;    /* frames per decode block */
    int64_t frames_in;       /* native frames decoded so far */
    bool input_done;
    soxr_t soxr;             /* NULL when no resampling is needed */
    bool soxr_more;          /* the last soxr call filled its room: more output may wait inside */
    bool flushed;            /* soxr has given its last sample */
    int64_t n_final;         /* output length once input_done: ceil(frames * out / in) */
    int64_t emitted;         /* samples handed out */
    int64_t out_pos, out_len;
    mc_status failed;        /* the error that ended the stream */
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

/* An opened source: exactly one of sf and mp is set (mp reads fd). */
typedef struct mc_audio_source {
    SNDFILE *sf;
    mc_audio_mpeg *mp;
    int fd;
    int64_t file_bytes;
    mc_audio_info info; /* frames: the header's count, 0 when unknown */
} mc_audio_source;

static void mc_audio_source_close(mc_audio_source *src) {
    if (src->sf) sf_close(src->sf);
    mc_audio_mpeg_close(src->mp);
    if (src->fd >= 0) close(src->fd);
    src->sf = NULL;
    src->mp = NULL;
    src->fd = -1;
}

/* Open path for reading. File-system problems (missing, unreadable, a directory) are MC_STATUS_IO and
 * are told apart here, before any decoder, whose single error code for them would read as "not
 * audio"; anything the decoders cannot parse is MC_STATUS_FORMAT with its reason. */
static mc_status mc_audio_source_open(const char *path, mc_audio_source *src) {
    memset(src, 0, sizeof *src);
    src->fd = -1;
    if (!path || !*path) return mc_error_set(MC_STATUS_INVALID_ARG, "audio: no file name given");
    struct stat st;
    if (stat(path, &st) != 0) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return mc_error_set(MC_STATUS_IO, "%s: cannot open: is a directory, not an audio file", path);
    if (!S_ISREG(st.st_mode)) /* a FIFO or device could block or never end */
        return mc_error_set(MC_STATUS_IO, "%s: cannot open: not a regular file", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    src->file_bytes = (int64_t)st.st_size;
    if (st.st_size == 0) {
        close(fd);
        return mc_error_set(MC_STATUS_FORMAT, "%s: not audio: the file is empty (0 bytes)", path);
    }

    int64_t start = 0;
    if (mc_audio_mpeg_sniff(path, fd, src->file_bytes, &start)) {
        int64_t frames = -1;
        mc_status s = mc_audio_mpeg_open(path, fd, start, src->file_bytes, &src->mp, &src->info.sample_rate,
                                         &src->info.channels, &frames, src->info.format);
        if (s != MC_STATUS_OK) {
            close(fd);
            return s;
        }
        src->fd = fd;
        src->info.frames = frames > 0 ? frames : 0;
        return MC_STATUS_OK;
    }
    close(fd);

    /* sf_open with the path (not sf_open_fd), as soundfile does: libsndfile falls back on the file
     * extension for formats it cannot recognise from the content. */
    SF_INFO sfi;
    memset(&sfi, 0, sizeof sfi);
    src->sf = sf_open(path, SFM_READ, &sfi);
    if (!src->sf) {
        int e = sf_error(NULL);
        if (e == MC_SFE_BAD_FILE) /* we checked it is a readable regular file: the stream is bad */
            return mc_error_set(MC_STATUS_FORMAT, "%s: cannot decode: no valid audio stream found (libsndfile: %s)",
                                path, sf_strerror(NULL));
        if (e == SF_ERR_UNRECOGNISED_FORMAT)
            return mc_error_set(MC_STATUS_FORMAT, "%s: not an audio file (libsndfile: %s)", path, sf_strerror(NULL));
        return mc_error_set(e == SF_ERR_SYSTEM ? MC_STATUS_IO : MC_STATUS_FORMAT, "%s: cannot decode: %s", path,
                            sf_strerror(NULL));
    }
    if (sfi.channels < 1 || sfi.samplerate < 1) {
        mc_audio_source_close(src);
        return mc_error_set(MC_STATUS_FORMAT, "%s: invalid header: %d channels at %d Hz", path, sfi.channels,
                            sfi.samplerate);
    }
    /* soundfile's float reads use libsndfile's default normalisation; make it explicit. */
    sf_command(src->sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    src->info.sample_rate = sfi.samplerate;
    src->info.channels = sfi.channels;
    /* header value; may be an estimate; 0 when unknown (SF_COUNT_MAX) */
    src->info.frames = sfi.frames > 0 && sfi.frames != SF_COUNT_MAX ? (int64_t)sfi.frames : 0;
    mc_audio_format_name(&sfi, src->info.format);
    return MC_STATUS_OK;
}

mc_status mc_audio_probe(const char *path, mc_audio_info *info) {
    if (!info) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_probe: NULL info");
    memset(info, 0, sizeof *info);
    mc_audio_source src;
    mc_status st = mc_audio_source_open(path, &src);
    if (st != MC_STATUS_OK) return st;
    *info = src.info;
    mc_audio_source_close(&src);
    return MC_STATUS_OK;
}

/* --------------------------------------------------------------------------------------- loader */

mc_status mc_audio_loader_create(int target_sr, mc_audio_loader **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_create: NULL out");
    *out = NULL;
    if (target_sr > 1000000) /* above any audio rate: a unit mistake, not a request */
        return mc_error_set(MC_STATUS_INVALID_ARG, "audio loader: target rate %d Hz is out of range", target_sr);
    mc_audio_loader *l = mc_alloc(1, sizeof *l);
    if (!l) return mc_error_set(MC_STATUS_NO_MEMORY, "audio loader: out of memory (%zu bytes)", sizeof *l);
    l->target_sr = target_sr > 0 ? target_sr : 0;
    l->block_samples = MC_AUDIO_BLOCK_SAMPLES;
    l->out_samples = MC_AUDIO_OUT_SAMPLES;
    l->fd = -1;
    *out = l;
    return MC_STATUS_OK;
}

mc_status mc_audio_loader_set_blocks(mc_audio_loader *l, int64_t block_samples, int64_t out_samples) {
    if (!l || block_samples < 1 || out_samples < 1 || block_samples > ((int64_t)1 << 26) ||
        out_samples > ((int64_t)1 << 26))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_set_blocks: sizes %lld, %lld out of range",
                            (long long)block_samples, (long long)out_samples);
    l->block_samples = block_samples;
    l->out_samples = out_samples;
    return MC_STATUS_OK;
}

void mc_audio_loader_close(mc_audio_loader *l) {
    if (!l) return;
    mc_audio_source src = {l->sf, l->mp, l->fd, 0, {0}};
    mc_audio_source_close(&src);
    l->sf = NULL;
    l->mp = NULL;
    l->fd = -1;
    if (l->soxr) soxr_delete(l->soxr);
    l->soxr = NULL;
    mc_free(l->path);
    l->path = NULL;
    l->state = MC_STREAM_CLOSED;
}

void mc_audio_loader_free(mc_audio_loader *l) {
    if (!l) return;
    mc_audio_loader_close(l);
    mc_free(l->block);
    mc_free(l->mono);
    mc_free(l->out);
    mc_free(l->whole);
    mc_free(l);
}

/* Make *buf hold at least `need` floats, keeping its first `keep`. Grows geometrically and never
 * shrinks: the next file reuses it. */
static mc_status mc_audio_reserve(float **buf, int64_t *cap, int64_t need, int64_t keep, const char *path) {
    if (need <= *cap) return MC_STATUS_OK;
    int64_t new_cap = *cap * 2 > need ? *cap * 2 : need;
    float *p = mc_alloc((size_t)new_cap, sizeof *p); // (new_cap,)
    if (!p)
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory for %lld samples (%lld MB)", path,
                            (long long)new_cap, (long long)(new_cap * (int64_t)sizeof *p >> 20));
    if (keep > 0) memcpy(p, *buf, (size_t)keep * sizeof *p);
    mc_free(*buf);
    *buf = p;
    *cap = new_cap;
    return MC_STATUS_OK;
}

mc_status mc_audio_loader_open(mc_audio_loader *l, const char *path, mc_audio_info *info) {
    if (info) memset(info, 0, sizeof *info);
    if (!l) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_open: NULL loader");
    mc_audio_loader_close(l);
    mc_audio_source src;
    mc_status st = mc_audio_source_open(path, &src);
    if (st != MC_STATUS_OK) return st;
    size_t plen = strlen(path);
    l->path = mc_alloc(plen + 1, 1);
    if (!l->path) {
        mc_audio_source_close(&src);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    memcpy(l->path, path, plen + 1);
    l->sf = src.sf;
    l->mp = src.mp;
    l->fd = src.fd;
    l->info = src.info;
    l->file_bytes = src.file_bytes;
    const int ch = l->info.channels;
    l->block_frames = l->block_samples / ch > 0 ? l->block_samples / ch : 1;
    l->frames_in = 0;
    l->input_done = l->soxr_more = l->flushed = false;
    l->n_final = l->emitted = l->out_pos = l->out_len = 0;
    l->failed = MC_STATUS_OK;
    l->state = MC_STREAM_OPEN;
    st = mc_audio_reserve(&l->mono, &l->mono_cap, l->block_frames, 0, path);
    if (st == MC_STATUS_OK && ch > 1) st = mc_audio_reserve(&l->block, &l->block_cap, l->block_frames * ch, 0, path);
    /* librosa.load resamples only when sr != the native rate. */
    if (st == MC_STATUS_OK && l->target_sr > 0 && l->target_sr != l->info.sample_rate) {
        st = mc_audio_reserve(&l->out, &l->out_cap, l->out_samples, 0, path);
        if (st == MC_STATUS_OK) st = mc_audio_soxr_create(l->info.sample_rate, l->target_sr, &l->soxr, path);
    }
    if (st != MC_STATUS_OK) {
        mc_audio_loader_close(l);
        return st;
    }
    if (info) *info = l->info;
    return MC_STATUS_OK;
}

void mc_audio_loader_stream_info(const mc_audio_loader *l, mc_audio_info *info) {
    if (!info) return;
    memset(info, 0, sizeof *info);
    if (!l || l->state == MC_STREAM_CLOSED) return;
    *info = l->info;
    if (l->input_done) info->frames = l->frames_in;
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

/* Decode the next block into l->mono (*got frames, downmixed); *got == 0 at the end. */
static mc_status mc_audio_decode_block(mc_audio_loader *l, int64_t *got_out) {
    const int ch = l->info.channels;
    const int64_t want = l->block_frames;
    *got_out = 0;
    float *dst = l->mono;                   // (want,) mono output of this block
    float *src = ch == 1 ? l->mono : l->block; // (want, ch) interleaved decoder output
    int64_t got = l->mp ? mc_audio_mpeg_read(l->mp, src, want) : (int64_t)sf_readf_float(l->sf, src, (sf_count_t)want);
    if (got <= 0) return MC_STATUS_OK;
    /* x - x is 0 for finite x and NaN for NaN or +-Inf: a branch-free test per sample, vectorised
     * with the downmix (omp simd). */
    int bad = 0;
    if (ch == 1) {
        const float *restrict y = dst;
#pragma omp simd reduction(| : bad)
        for (int64_t i = 0; i < got; i++) bad |= (y[i] - y[i]) != 0.0f;
    } else if (ch == 2) {
        /* librosa.to_mono: np.mean over channels in float32 = (l + r) / 2; * 0.5f is the same
         * correctly rounded value as / 2.0f. */
        const float *restrict in = src;
        float *restrict out = dst;
#pragma omp simd reduction(| : bad)
        for (int64_t i = 0; i < got; i++) {
            float m = (in[2 * i] + in[2 * i + 1]) * 0.5f;
            out[i] = m;
            bad |= (m - m) != 0.0f;
        }
    } else {
        /* np.mean: float32 sum over the channels in order, then divided by their count. */
        const float count = (float)ch;
        for (int64_t i = 0; i < got; i++) {
            const float *f = src + i * ch;
            float s = f[0];
            for (int c = 1; c < ch; c++) s += f[c];
            float m = s / count;
            dst[i] = m;
            bad |= (m - m) != 0.0f;
        }
    }
    if (bad) return mc_audio_nonfinite(l->path, src, got, ch, l->frames_in, l->info.sample_rate);
    l->frames_in += got;
    *got_out = got;
    return MC_STATUS_OK;
}

/* The input has ended: an empty stream is an error (a decoder error when there is one). A decode
 * error after some frames (a truncated or damaged tail) keeps what was decoded, as soundfile does:
 * it returns the frames libsndfile delivered. */
static mc_status mc_audio_end_of_input(mc_audio_loader *l) {
    l->input_done = true;
    if (l->frames_in > 0) {
        l->n_final = l->soxr ? mc_audio_resampled_length(l->frames_in, l->info.sample_rate, l->target_sr)
                             : l->frames_in;
        return MC_STATUS_OK;
    }
    if (l->mp) {
        const char *why = mc_audio_mpeg_error(l->mp);
        if (why) return mc_error_set(MC_STATUS_FORMAT, "%s: cannot decode: %s", l->path, why);
    } else if (sf_error(l->sf) != SF_ERR_NO_ERROR) {
        return mc_error_set(MC_STATUS_FORMAT, "%s: cannot decode: %s", l->path, sf_strerror(l->sf));
    }
    return mc_error_set(MC_STATUS_EMPTY, "%s: no audio: the file holds 0 frames", l->path);
}

static mc_status mc_audio_soxr_call(mc_audio_loader *l, const float *in, size_t len, bool flush) {
    int64_t room = l->out_cap - l->out_len;
    size_t odone = 0;
    /* in == NULL flushes; a non-NULL pointer with len 0 only collects output */
    soxr_error_t err = soxr_process(l->soxr, flush ? NULL : (in ? (const void *)in : (const void *)l->out), len,
                                    NULL, l->out + l->out_len, (size_t)room, &odone);
    if (err)
        return mc_error_set(MC_STATUS_NUMERIC, "%s: resampling %d -> %d Hz failed: %s", l->path,
                            l->info.sample_rate, l->target_sr, err);
    l->out_len += (int64_t)odone;
    l->soxr_more = (int64_t)odone == room;
    if (flush && !l->soxr_more) l->flushed = true;
    return MC_STATUS_OK;
}

static mc_status mc_audio_read_resampled(mc_audio_loader *l, const float **samples, int64_t *n) {
    for (;;) {
        /* A resampled sample is final once it lies below librosa's output length, which is at least
         * ceil(frames_in * out / in) however much input is still to come. */
        int64_t limit = l->input_done ? l->n_final
                                      : mc_audio_resampled_length(l->frames_in, l->info.sample_rate, l->target_sr);
        if (l->out_pos < l->out_len) {
            int64_t k = l->out_len - l->out_pos;
            if (k > limit - l->emitted) k = limit - l->emitted;
            if (k > 0) {
                *samples = l->out + l->out_pos;
                *n = k;
                l->out_pos += k;
                l->emitted += k;
                return MC_STATUS_OK;
            }
            if (l->input_done) l->out_pos = l->out_len; /* past fix_length's end: trimmed */
        }
        if (l->flushed) {
            /* fix_length: zero-pad what soxr gave up to ceil(n * out / in) */
            if (l->emitted < l->n_final) {
                int64_t k = l->n_final - l->emitted;
                if (k > l->out_cap) k = l->out_cap;
                memset(l->out, 0, (size_t)k * sizeof *l->out);
                l->out_pos = l->out_len = 0;
                *samples = l->out;
                *n = k;
                l->emitted += k;
                return MC_STATUS_OK;
            }
            return MC_STATUS_OK; /* *n == 0: the end */
        }
        /* Keep samples held back by the limit at the front, then make room for more. */
        if (l->out_pos > 0) {
            memmove(l->out, l->out + l->out_pos, (size_t)(l->out_len - l->out_pos) * sizeof *l->out);
            l->out_len -= l->out_pos;
            l->out_pos = 0;
        }
        if (l->out_len == l->out_cap) {
            mc_status st = mc_audio_reserve(&l->out, &l->out_cap, l->out_cap * 2, l->out_len, l->path);
            if (st != MC_STATUS_OK) return st;
        }
        mc_status st;
        if (l->input_done) {
            st = mc_audio_soxr_call(l, NULL, 0, true);
        } else if (l->soxr_more) {
            st = mc_audio_soxr_call(l, NULL, 0, false);
        } else {
            int64_t got = 0;
            st = mc_audio_decode_block(l, &got);
            if (st == MC_STATUS_OK)
                st = got > 0 ? mc_audio_soxr_call(l, l->mono, (size_t)got, false) : mc_audio_end_of_input(l);
        }
        if (st != MC_STATUS_OK) return st;
    }
}

mc_status mc_audio_loader_read(mc_audio_loader *l, const float **samples, int64_t *n) {
    if (samples) *samples = NULL;
    if (n) *n = 0;
    if (!l || !samples || !n) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_read: NULL argument");
    if (l->state == MC_STREAM_CLOSED)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_read: no stream is open");
    if (l->state == MC_STREAM_FAILED)
        return mc_error_set(l->failed, "%s: read after the stream failed (%s)", l->path, mc_status_name(l->failed));
    if (l->state == MC_STREAM_DONE) return MC_STATUS_OK;
    mc_status st;
    if (l->soxr) {
        st = mc_audio_read_resampled(l, samples, n);
    } else {
        int64_t got = 0;
        st = mc_audio_decode_block(l, &got);
        if (st == MC_STATUS_OK && got == 0) st = mc_audio_end_of_input(l);
        if (st == MC_STATUS_OK && got > 0) {
            *samples = l->mono;
            *n = got;
            l->emitted += got;
        }
    }
    if (st != MC_STATUS_OK) {
        *samples = NULL;
        *n = 0;
        l->failed = st;
        l->state = MC_STREAM_FAILED;
    } else if (*n == 0) {
        l->state = MC_STREAM_DONE;
    }
    return st;
}

mc_status mc_audio_loader_load(mc_audio_loader *l, const char *path, const float **samples, int64_t *n,
                               mc_audio_info *info) {
    if (samples) *samples = NULL;
    if (n) *n = 0;
    if (info) memset(info, 0, sizeof *info);
    if (!l || !samples || !n) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_audio_loader_load: NULL argument");
    mc_audio_info hdr;
    mc_status st = mc_audio_loader_open(l, path, &hdr);
    if (st != MC_STATUS_OK) return st;
    /* Size hint: the header's count (resampled), so that a whole-track read needs no growth. */
    int64_t hint = hdr.frames < MC_AUDIO_RESERVE_MAX ? hdr.frames : MC_AUDIO_RESERVE_MAX;
    if (l->file_bytes < MC_AUDIO_RESERVE_MAX && hint > 64 * l->file_bytes) hint = 64 * l->file_bytes;
    if (l->soxr) hint = mc_audio_resampled_length(hint, hdr.sample_rate, l->target_sr);
    st = mc_audio_reserve(&l->whole, &l->whole_cap, hint + 1, 0, l->path);
    int64_t have = 0;
    while (st == MC_STATUS_OK) {
        const float *x;
        int64_t k;
        st = mc_audio_loader_read(l, &x, &k);
        if (st != MC_STATUS_OK || k == 0) break;
        st = mc_audio_reserve(&l->whole, &l->whole_cap, have + k, have, l->path);
        if (st != MC_STATUS_OK) break;
        memcpy(l->whole + have, x, (size_t)k * sizeof *x);
        have += k;
    }
    if (st == MC_STATUS_OK && info) mc_audio_loader_stream_info(l, info);
    mc_audio_loader_close(l);
    if (st != MC_STATUS_OK) return st;
    *samples = l->whole;
    *n = have;
    return MC_STATUS_OK;
}
