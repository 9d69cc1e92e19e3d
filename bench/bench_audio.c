/* Timing of the audio loader: decoding (libsndfile, or libmpg123 directly for MPEG), resampling, and
 * the whole stream, per track.
 *
 *   bench_audio [--sr 22050] [--reps R] FILE...
 *
 * For every file:
 *   - "libsndfile decode": sf_readf_float in 64 Ki-sample blocks + downmix, as the loader decoded every
 *     format before MP3 went to libmpg123 directly (the samples are compared with ours: identical);
 *   - "loader decode": mc_audio_loader_open/read at the native rate (for MP3: libmpg123 directly);
 *   - "resample one-shot": mc_audio_resample of the decoded track (python-soxr's single call);
 *   - "stream": open/read at --sr to the end: decode + downmix + soxr fed block by block.
 * Prints ms per track (wall and CPU: CPU is the steadier figure on a shared machine) and tracks/s. */
#include <musiclust/audio.h>

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct timer {
    double wall, cpu, w0, c0;
} timer;
static void t_start(timer *t) {
    t->w0 = wall_s();
    t->c0 = cpu_s();
}
static void t_stop(timer *t) {
    t->wall += wall_s() - t->w0;
    t->cpu += cpu_s() - t->c0;
}

/* Grow *buf to hold n floats. */
static float *reserve(float **buf, size_t *cap, size_t n) {
    if (n > *cap) {
        free(*buf);
        *cap = n * 2;
        *buf = malloc(*cap * sizeof **buf);
    }
    return *buf;
}

/* libsndfile decode + downmix of the whole file into *y; returns frames, -1 on error. */
static int64_t sndfile_decode(const char *path, float **y, size_t *cap, float *blk, int64_t blk_samples) {
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) return -1;
    int ch = si.channels;
    int64_t n = 0;
    sf_count_t got;
    while ((got = sf_readf_float(sf, blk, blk_samples / ch)) > 0) {
        if (!reserve(y, cap, (size_t)(n + got))) return -1;
        for (sf_count_t i = 0; i < got; i++) {
            float s = blk[i * ch];
            for (int c = 1; c < ch; c++) s += blk[i * ch + c];
            (*y)[n + i] = ch == 2 ? s * 0.5f : s / (float)ch;
        }
        n += got;
    }
    sf_close(sf);
    return n;
}

int main(int argc, char **argv) {
    int sr = 22050, reps = 1, first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "--sr") && first + 1 < argc) {
            sr = atoi(argv[first + 1]);
            first += 2;
        } else if (!strcmp(argv[first], "--reps") && first + 1 < argc) {
            reps = atoi(argv[first + 1]);
            first += 2;
        } else {
            fprintf(stderr, "usage: bench_audio [--sr 22050] [--reps R] FILE...\n");
            return 2;
        }
    }
    int nfiles = argc - first;
    if (nfiles <= 0) {
        fprintf(stderr, "usage: bench_audio [--sr 22050] [--reps R] FILE...\n");
        return 2;
    }
    mc_audio_loader *dec = NULL, *full = NULL;
    if (mc_audio_loader_create(0, &dec) || mc_audio_loader_create(sr, &full)) {
        fprintf(stderr, "%s\n", mc_error_message());
        return 1;
    }
    const int64_t blk_samples = 1 << 16;
    float *blk = malloc((size_t)blk_samples * sizeof *blk); // (blk_samples,) libsndfile decode block
    float *ref = NULL, *mine = NULL, *res = NULL;           // (cap,) whole-track buffers, reused
    size_t ref_cap = 0, mine_cap = 0, res_cap = 0;
    timer t_sf = {0}, t_dec = {0}, t_res = {0}, t_full = {0};
    long tracks = 0, failed = 0, differ = 0, resampled = 0;
    double audio_s = 0;
    for (int r = 0; r < reps; r++) {
        for (int f = first; f < argc; f++) {
            const char *path = argv[f];
            t_start(&t_sf);
            int64_t nref = sndfile_decode(path, &ref, &ref_cap, blk, blk_samples);
            t_stop(&t_sf);

            mc_audio_info info;
            t_start(&t_dec);
            mc_status st = mc_audio_loader_open(dec, path, &info);
            int64_t n = 0;
            while (st == MC_STATUS_OK) {
                const float *x;
                int64_t k;
                st = mc_audio_loader_read(dec, &x, &k);
                if (st != MC_STATUS_OK || k == 0) break;
                if (!reserve(&mine, &mine_cap, (size_t)(n + k))) return 1;
                memcpy(mine + n, x, (size_t)k * sizeof *x);
                n += k;
            }
            mc_audio_loader_close(dec);
            t_stop(&t_dec);
            if (st != MC_STATUS_OK) {
                failed++;
                if (r == 0) fprintf(stderr, "skip: %s\n", mc_error_message());
                continue;
            }
            tracks++;
            audio_s += (double)n / info.sample_rate;
            if (n != nref || memcmp(mine, ref, (size_t)n * sizeof *ref) != 0) {
                differ++;
                if (r == 0) fprintf(stderr, "%s: loader and libsndfile differ (%lld vs %lld frames)\n", path,
                                    (long long)n, (long long)nref);
            }
            if (info.sample_rate != sr) {
                resampled++;
                int64_t n_out = mc_audio_resampled_length(n, info.sample_rate, sr);
                if (!reserve(&res, &res_cap, (size_t)n_out)) return 1;
                t_start(&t_res);
                st = mc_audio_resample(mine, n, info.sample_rate, sr, res);
                t_stop(&t_res);
                if (st != MC_STATUS_OK) {
                    fprintf(stderr, "%s\n", mc_error_message());
                    return 1;
                }
            }
            t_start(&t_full);
            st = mc_audio_loader_open(full, path, NULL);
            while (st == MC_STATUS_OK) {
                const float *x;
                int64_t k;
                st = mc_audio_loader_read(full, &x, &k);
                if (st != MC_STATUS_OK || k == 0) break;
            }
            mc_audio_loader_close(full);
            t_stop(&t_full);
            if (st != MC_STATUS_OK) {
                fprintf(stderr, "%s\n", mc_error_message());
                return 1;
            }
        }
    }
    printf("%ld tracks (%d files x %d reps), %.1f s of audio per pass, %ld failed, %ld resampled to %d Hz\n", tracks,
           nfiles, reps, audio_s / reps, failed / reps, resampled / reps, sr);
    printf("loader decode vs libsndfile: %ld tracks differ\n", differ);
    double k = tracks > 0 ? 1e3 / (double)tracks : 0;
    printf("%-40s %10s %10s %10s\n", "stage", "wall ms/tr", "cpu ms/tr", "tracks/s");
    printf("%-40s %10.2f %10.2f %10.1f\n", "libsndfile decode + downmix", t_sf.wall * k, t_sf.cpu * k,
           tracks / t_sf.wall);
    printf("%-40s %10.2f %10.2f %10.1f\n", "loader decode + downmix (mpg123 direct)", t_dec.wall * k, t_dec.cpu * k,
           tracks / t_dec.wall);
    if (resampled > 0) {
        double kr = 1e3 / (double)resampled;
        printf("%-40s %10.2f %10.2f %10.1f  (per resampled track)\n", "resample one-shot (soxr)", t_res.wall * kr,
               t_res.cpu * kr, resampled / t_res.wall);
    }
    printf("%-40s %10.2f %10.2f %10.1f\n", "stream: decode + downmix + soxr blocks", t_full.wall * k, t_full.cpu * k,
           tracks / t_full.wall);
    free(blk);
    free(ref);
    free(mine);
    free(res);
    mc_audio_loader_free(dec);
    mc_audio_loader_free(full);
    return differ ? 1 : 0;
}
