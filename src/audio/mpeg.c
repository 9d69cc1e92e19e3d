/* MPEG audio (MP1/MP2/MP3) decoded with libmpg123 directly, giving the samples libsndfile 1.2.0 gives.
 *
 * librosa reads MP3 through soundfile, i.e. libsndfile, whose MPEG reader (src/mpeg_decode.c of
 * libsndfile 1.2.0) is a thin layer over libmpg123. Going through libsndfile costs little in itself,
 * but libsndfile gives no way to set libmpg123's quiet flag, so every damaged or non-MPEG file named
 * .mp3 printed libmpg123's own "Illegal Audio-MPEG-Header" notes on stderr, and a file libmpg123
 * cannot open comes back as libsndfile's SFE_BAD_FILE ("File does not exist or is not a regular
 * file"). Here we drive the same system libmpg123 exactly as libsndfile does, so the samples are
 * bit for bit libsndfile's (tests/test_audio.c and tests/test_data.c compare them):
 *   - which files are MPEG: libsndfile's guess_file_type() looks at the first 12 bytes; a file that
 *     starts with one of the other formats' magic is not MPEG; ID3v2 tags are skipped (repeatedly)
 *     while the tag ends inside the file; then an MPEG frame header (identify_mpeg) makes it MPEG --
 *     for a file without ID3v2 tag only after checking for a Mac resource fork; failing all that,
 *     the extension ".mp3" makes it MPEG ("let libmpg123 have a try"). mc_audio_mpeg_sniff follows
 *     those rules; a file it does not claim goes to libsndfile as before.
 *   - the handle: mpg123_new(NULL) (the default, CPU-dispatched decoder), MPG123_AUTO_RESAMPLE
 *     removed, MPG123_FORCE_FLOAT | MPG123_GAPLESS and MPG123_NO_FRANKENSTEIN added, resync and every
 *     other parameter left at libmpg123's defaults. We add MPG123_QUIET, which only silences
 *     messages. The stream is read through mpg123_replace_reader_handle from the byte where
 *     libsndfile positions it (the start of the file, or of the last ID3v2 tag when several are
 *     chained), seekable, so libmpg123 may peek at the end for an ID3v1 tag and its length estimate.
 *   - the length: libsndfile takes mpg123_length() after mpg123_getformat() as SF_INFO.frames and
 *     sf_readf_float never returns more frames than that (libmpg123's gapless trimming of the
 *     encoder delay and padding is already inside both the length and the samples); when the length
 *     is unknown (< 0) it reads to the end.
 *   - reading: libsndfile's float read is one mpg123_read() per request; MPG123_OK or MPG123_DONE
 *     deliver what was decoded, MPG123_NEW_FORMAT (a change of rate or channels mid-stream) and any
 *     error end the stream there, keeping the frames already delivered.
 * Our reader buffers the file in 64 KiB reads where libsndfile's does one read(2) per libmpg123
 * request (a few hundred bytes); the bytes libmpg123 sees are the same. */
#include "audio_internal.h"

#include <ctype.h>
#include <errno.h>
#include <mpg123.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------- sniffing */

static uint32_t be32(const unsigned char *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* libsndfile's identify_mpeg on the first four bytes, read big-endian: frame sync, a valid MPEG
 * version, layer, bitrate index and sample-rate index. */
static bool mpeg_frame_header(const unsigned char *b) {
    uint32_t m = be32(b);
    return (m & 0xFFE00000u) == 0xFFE00000u && (m & 0x00180000u) != 0x00080000u &&
           (m & 0x00060000u) != 0 && (m & 0x0000F000u) != 0x0000F000u && (m & 0x00000C00u) != 0x00000C00u;
}

static bool tag4(const unsigned char *b, const char *t) { return memcmp(b, t, 4) == 0; }

/* 1: the 12 bytes are another format's signature in libsndfile's guess_file_type (it opens the file as
 * that format); -1: a signature it names and then rejects (it falls back on the extension); 0: none. */
static int other_format(const unsigned char *b, int64_t file_size) {
    static const unsigned char mat4a[12] = {0, 0, 3, 0xE8, 0, 0, 0, 1, 0, 0, 0, 1};
    static const unsigned char mat4b[12] = {0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
    static const unsigned char wma[8] = {0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11};
    if ((tag4(b, "RIFF") || tag4(b, "RIFX")) && tag4(b + 8, "WAVE")) return 1;
    if (tag4(b, "FORM"))
        return tag4(b + 8, "AIFF") || tag4(b + 8, "AIFC") || tag4(b + 8, "8SVX") || tag4(b + 8, "16SV") ? 1 : -1;
    if (tag4(b, ".snd") || tag4(b, "dns.") || tag4(b, "fap ") || tag4(b, " paf") || tag4(b, "NIST")) return 1;
    if (tag4(b, "Crea") && tag4(b + 4, "tive")) return 1;
    uint32_t w0 = be32(b);
    if ((w0 & 0xFFFFF8FFu) == 0x64A30000u || (w0 & 0xFFF8FFFFu) == 0x0000A364u) return 1; /* IRCAM */
    if (tag4(b, "riff")) return 1;                                                   /* W64 */
    if (memcmp(b, mat4a, 12) == 0 || memcmp(b, mat4b, 12) == 0) return 1;
    if (tag4(b, "MATL") && tag4(b + 4, "AB 5")) return 1;
    if (tag4(b, "PVF1")) return 1;
    if (tag4(b, "Exte") && tag4(b + 4, "nded") && tag4(b + 8, " Ins")) return 1; /* XI */
    if (tag4(b, "caff") && tag4(b + 8, "desc")) return 1;
    if (tag4(b, "OggS")) return 1;
    if (tag4(b, "ALaw") && tag4(b + 4, "Soun") && tag4(b + 8, "dFil")) return 1; /* WVE */
    if (tag4(b, "Diam") && tag4(b + 4, "ondW") && tag4(b + 8, "are ")) return 1; /* DWD */
    if (tag4(b, "LM89") || (b[0] == '5' && b[1] == '3' && b[2] == 0 && b[3] == 0)) return 1; /* TXW */
    if ((w0 & 0xFFFF80FFu) == 0xF07E0001u) return 1;                                       /* SDS */
    if ((w0 & 0xFFFF0000u) == 0x01040000u) return 1;                                       /* MPC2K */
    if (tag4(b, "CAT ") && tag4(b + 8, "REX2")) return 1;
    if (memcmp(b, wma, 8) == 0) return -1;
    if (be32(b + 8) == 0x00020000u && 2 * (int64_t)w0 + 12 == file_size) return 1; /* HTK */
    if (tag4(b, "fLaC") || tag4(b, "2BIT")) return 1;
    if (tag4(b, "RF64") && tag4(b + 8, "WAVE")) return 1;
    return 0;
}

/* libsndfile's psf_open_rsrc: a Mac resource fork beside the file makes it try Sound Designer II
 * before the bare-MPEG check. */
static bool has_resource_fork(const char *path) {
    char p[4200];
    struct stat st;
    if ((size_t)snprintf(p, sizeof p, "%s/..namedfork/rsrc", path) < sizeof p && stat(p, &st) == 0 && st.st_size > 0)
        return true;
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    const char *name = slash ? slash + 1 : path;
    if ((size_t)snprintf(p, sizeof p, "%.*s._%s", dir_len, path, name) < sizeof p && stat(p, &st) == 0) return true;
    if ((size_t)snprintf(p, sizeof p, "%.*s.AppleDouble/%s", dir_len, path, name) < sizeof p && stat(p, &st) == 0)
        return true;
    return false;
}

static bool has_mp3_extension(const char *path) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return false;
    return tolower((unsigned char)dot[1]) == 'm' && tolower((unsigned char)dot[2]) == 'p' && dot[3] == '3' &&
           dot[4] == '\0';
}

/* Read exactly n bytes at off (fewer at the end of the file); returns the count read. */
static int64_t pread_all(int fd, void *buf, int64_t n, int64_t off) {
    int64_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, (size_t)(n - got), (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += r;
    }
    return got;
}

bool mc_audio_mpeg_sniff(const char *path, int fd, int64_t file_size, int64_t *start) {
    unsigned char b[12];
    int64_t off = 0;       /* libsndfile's fileoffset while it skips ID3v2 tags */
    int64_t id3_off = 0, id3_len = 0;
    *start = 0;
    for (int tags = 0;; tags++) {
        /* a file too short for the 12-byte check: libsndfile's read fails and it falls back on the
         * extension, as below */
        int other = pread_all(fd, b, 12, off) == 12 ? other_format(b, file_size) : -1;
        if (other > 0) return false;
        if (other == 0 && b[0] == 'I' && b[1] == 'D' && b[2] == '3' && b[3] >= 2 && b[3] <= 4 && tags < 1000) {
            int64_t len = ((int64_t)(b[6] & 0x7f) << 21 | (int64_t)(b[7] & 0x7f) << 14 | (int64_t)(b[8] & 0x7f) << 7 |
                           (int64_t)(b[9] & 0x7f)) + 10;
            id3_off = off;
            id3_len = len;
            if (off + len < file_size) { /* id3_skip: jump over the tag and look again */
                off += len;
                continue;
            }
            other = -1; /* a tag reaching the end: libsndfile gives up on the content */
        }
        if (other == 0) {
            if (id3_len > 0 && mpeg_frame_header(b)) break;
            /* Turtle Beach SMP, Yamaha SY80/SY85 and Shorten are named and rejected (extension next) */
            bool rejected = (tag4(b, "SOUN") && tag4(b + 4, "D SA")) || tag4(b, "SY80") || tag4(b, "SY85") ||
                            tag4(b, "ajkg");
            if (!rejected) {
                if (file_size > 0 && has_resource_fork(path)) return false; /* Sound Designer II first */
                if (id3_len == 0 && mpeg_frame_header(b)) break;
            }
        }
        if (!has_mp3_extension(path)) return false;
        break;
    }
    /* mpeg_decoder_init: libmpg123 parses the ID3v2 tag itself, so the tag that ends where the audio
     * starts is handed back to it. */
    *start = id3_len > 0 && id3_off + id3_len == off ? id3_off : off;
    return true;
}

/* -------------------------------------------------------------------------------------- decoder */

#define MC_MPEG_IOBUF ((int64_t)1 << 16)

struct mc_audio_mpeg {
    mpg123_handle *mh;
    int fd;
    int64_t start;       /* byte where libmpg123's stream begins */
    int64_t size;        /* file size in bytes */
    int64_t pos;         /* libmpg123's position, relative to start */
    unsigned char *io;   // (MC_MPEG_IOBUF,) read-ahead buffer holding bytes [io_at, io_at + io_len)
    int64_t io_at, io_len;
    int channels;
    int64_t length;      /* mpg123_length at open; -1 unknown (libsndfile: SF_COUNT_MAX) */
    int64_t delivered;   /* frames handed out */
    int error;           /* the libmpg123 code that ended the stream, or 0 */
    bool done;
};

/* mpg123_init is global; libsndfile calls it per file, libmpg123 >= 1.27 makes it a no-op. */
static pthread_once_t g_mpg123_once = PTHREAD_ONCE_INIT;
static int g_mpg123_init = MPG123_ERR;
static void mpg123_init_once(void) { g_mpg123_init = mpg123_init(); }

/* Reader callbacks: the bytes of [start, size) through a read-ahead buffer. */
static ssize_t mpeg_io_read(void *handle, void *buf, size_t count) {
    mc_audio_mpeg *m = handle;
    size_t done = 0;
    while (done < count) {
        int64_t abs = m->start + m->pos;
        if (abs >= m->io_at && abs < m->io_at + m->io_len) {
            int64_t k = m->io_at + m->io_len - abs;
            if ((int64_t)(count - done) < k) k = (int64_t)(count - done);
            memcpy((char *)buf + done, m->io + (abs - m->io_at), (size_t)k);
            done += (size_t)k;
            m->pos += k;
            continue;
        }
        int64_t got = pread_all(m->fd, m->io, MC_MPEG_IOBUF, abs);
        if (got < 0) return done ? (ssize_t)done : -1;
        m->io_at = abs;
        m->io_len = got;
        if (got == 0) break; /* end of file */
    }
    return (ssize_t)done;
}

/* As libsndfile's psf_fseek: SEEK_SET counts from the stream's start, SEEK_END from the file's end,
 * and the result is relative to the stream's start. */
static off_t mpeg_io_lseek(void *handle, off_t offset, int whence) {
    mc_audio_mpeg *m = handle;
    int64_t abs;
    switch (whence) {
    case SEEK_SET: abs = m->start + (int64_t)offset; break;
    case SEEK_CUR: abs = m->start + m->pos + (int64_t)offset; break;
    case SEEK_END: abs = m->size + (int64_t)offset; break;
    default: return -1;
    }
    if (abs < 0) return -1;
    m->pos = abs - m->start;
    return (off_t)m->pos;
}

void mc_audio_mpeg_close(mc_audio_mpeg *m) {
    if (!m) return;
    if (m->mh) {
        mpg123_close(m->mh);
        mpg123_delete(m->mh);
    }
    mc_free(m->io);
    mc_free(m);
}

mc_status mc_audio_mpeg_open(const char *path, int fd, int64_t start, int64_t file_size, mc_audio_mpeg **out,
                             int *sample_rate, int *channels, int64_t *frames, char format[16]) {
    *out = NULL;
    pthread_once(&g_mpg123_once, mpg123_init_once);
    if (g_mpg123_init != MPG123_OK)
        return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: cannot decode MPEG audio: libmpg123 failed to initialise",
                            path);
    mc_audio_mpeg *m = mc_alloc(1, sizeof *m);
    if (!m) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory for the MPEG decoder state", path);
    m->fd = fd;
    m->start = start;
    m->size = file_size;
    m->io = mc_alloc((size_t)MC_MPEG_IOBUF, 1);
    int err = MPG123_OK;
    m->mh = m->io ? mpg123_new(NULL, &err) : NULL;
    if (!m->mh) {
        mc_audio_mpeg_close(m);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: cannot create an MPEG decoder: %s", path,
                            m->io ? mpg123_plain_strerror(err) : "out of memory");
    }
    mpg123_param(m->mh, MPG123_ADD_FLAGS, MPG123_QUIET, 0.0);
    mpg123_param(m->mh, MPG123_REMOVE_FLAGS, MPG123_AUTO_RESAMPLE, 1.0);
    mpg123_param(m->mh, MPG123_ADD_FLAGS, MPG123_FORCE_FLOAT | MPG123_GAPLESS, 1.0);
#if MPG123_API_VERSION >= 45
    mpg123_param(m->mh, MPG123_ADD_FLAGS, MPG123_NO_FRANKENSTEIN, 1.0);
#endif
    mpg123_replace_reader_handle(m->mh, mpeg_io_read, mpeg_io_lseek, NULL);
    long rate = 0;
    int ch = 0, enc = 0;
    if (mpg123_open_handle(m->mh, m) != MPG123_OK || mpg123_getformat(m->mh, &rate, &ch, &enc) != MPG123_OK) {
        mc_audio_mpeg_close(m);
        return mc_error_set(MC_STATUS_FORMAT, "%s: not an audio file: no MPEG audio frame found in its %lld bytes",
                            path, (long long)file_size);
    }
    off_t len = mpg123_length(m->mh);
    m->length = len >= 0 ? (int64_t)len : -1;
    if (enc != MPG123_ENC_FLOAT_32 && mpg123_format(m->mh, rate, ch, MPG123_ENC_FLOAT_32) != MPG123_OK) {
        mc_audio_mpeg_close(m);
        return mc_error_set(MC_STATUS_FORMAT, "%s: cannot decode MPEG audio as 32-bit float", path);
    }
    struct mpg123_frameinfo fi;
    if (mpg123_info(m->mh, &fi) != MPG123_OK || fi.layer < 1 || fi.layer > 3 || rate < 1 || ch < 1) {
        mc_audio_mpeg_close(m);
        return mc_error_set(MC_STATUS_FORMAT, "%s: not an audio file: invalid MPEG frame header", path);
    }
    m->channels = ch;
    *sample_rate = (int)rate;
    *channels = ch;
    *frames = m->length;
    snprintf(format, 16, "mp%d", fi.layer);
    *out = m;
    return MC_STATUS_OK;
}

int64_t mc_audio_mpeg_read(mc_audio_mpeg *m, float *buf, int64_t frames) {
    if (m->done || frames <= 0) return 0;
    /* sf_readf_float: nothing past SF_INFO.frames */
    if (m->length >= 0 && m->delivered >= m->length) {
        m->done = true;
        return 0;
    }
    size_t bytes = 0;
    int rc = mpg123_read(m->mh, buf, (size_t)frames * (size_t)m->channels * sizeof(float), &bytes);
    if (rc != MPG123_OK && rc != MPG123_DONE) {
        m->error = rc;
        m->done = true;
        return 0;
    }
    int64_t got = (int64_t)(bytes / sizeof(float)) / m->channels;
    if (got <= 0) {
        m->done = true;
        return 0;
    }
    if (m->length >= 0 && m->delivered + got > m->length) got = m->length - m->delivered;
    m->delivered += got;
    return got;
}

const char *mc_audio_mpeg_error(const mc_audio_mpeg *m) {
    if (!m->error) return NULL;
    return m->error == MPG123_NEW_FORMAT ? "the stream changes its sample rate or channel count"
                                         : mpg123_plain_strerror(m->error);
}
