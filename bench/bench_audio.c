/* Timing of the audio loader: decode (+ downmix) and resample, per track.
 *
 *   bench_audio [--sr 22050] [--reps R] FILE...
 *
 * For every file: mc_audio_probe (header frame count), a decode-only load (loader at the native rate),
 * mc_audio_resample of that mono signal, and the full load (decode + downmix + resample) that the
 * extractor uses. Also times resampling through one soxr_t kept across files and reset with
 * soxr_clear, and checks that it gives the same samples, to decide whether holding a soxr_t per
 * loader is worth it. Prints tracks/s and ms per track (wall and CPU). */
#include <musiclust/audio.h>

#include <math.h>
#include <soxr.h>
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

/* python-soxr's chunked drive (as src/audio/resample.c), but on a soxr_t that lives across files. */
static size_t resample_reused(soxr_t s, const float *x, size_t n, int sr_in, int sr_out, float *y, size_t olen) {
    size_t chunk = (size_t)(48000 * (double)sr_in / (double)sr_out), pos = 0, odone = 0;
    for (size_t i = 0; i < n; i += chunk) {
        size_t len = n - i < chunk ? n - i : chunk;
        soxr_process(s, x + i, len, NULL, y + pos, olen - pos, &odone);
        pos += odone;
    }
    soxr_process(s, NULL, 0, NULL, y + pos, olen - pos, &odone);
    return pos + odone;
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
    float *y = NULL, *y2 = NULL; // (cap,) resample outputs, reused
    size_t cap = 0;
    soxr_t reused = NULL;
    int reused_rate = 0;
    timer t_dec = {0}, t_res = {0}, t_reuse = {0}, t_full = {0};
    long tracks = 0, failed = 0, header_mismatch = 0, reuse_differs = 0, resampled = 0;
    double audio_s = 0;
    for (int r = 0; r < reps; r++) {
        for (int f = first; f < argc; f++) {
            const char *path = argv[f];
            mc_audio_info hdr, info;
            const float *x;
            int64_t n;
            if (mc_audio_probe(path, &hdr) != MC_STATUS_OK) {
                failed++;
                if (r == 0) fprintf(stderr, "skip: %s\n", mc_error_message());
                continue;
            }
            t_start(&t_dec);
            mc_status st = mc_audio_loader_load(dec, path, &x, &n, &info);
            t_stop(&t_dec);
            if (st != MC_STATUS_OK) {
                failed++;
                if (r == 0) fprintf(stderr, "skip: %s\n", mc_error_message());
                continue;
            }
            tracks++;
            audio_s += (double)n / info.sample_rate;
            if (r == 0 && hdr.frames != info.frames) {
                header_mismatch++;
                fprintf(stderr, "%s: header says %lld frames, decoded %lld\n", path, (long long)hdr.frames,
                        (long long)info.frames);
            }
            if (info.sample_rate != sr) {
                resampled++;
                size_t olen = (size_t)((double)n * sr / info.sample_rate + 1.0) + 1;
                if (olen > cap) {
                    free(y);
                    free(y2);
                    cap = olen * 2;
                    y = malloc(cap * sizeof *y);
                    y2 = malloc(cap * sizeof *y2);
                    if (!y || !y2) return 1;
                }
                int64_t n_out = mc_audio_resampled_length(n, info.sample_rate, sr);
                t_start(&t_res);
                st = mc_audio_resample(x, n, info.sample_rate, sr, y);
                t_stop(&t_res);
                if (st != MC_STATUS_OK) {
                    fprintf(stderr, "%s\n", mc_error_message());
                    return 1;
                }
                t_start(&t_reuse);
                if (!reused || reused_rate != info.sample_rate) {
                    soxr_delete(reused);
                    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
                    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
                    soxr_error_t err = NULL;
                    reused = soxr_create(info.sample_rate, sr, 1, &err, &io, &q, NULL);
                    reused_rate = info.sample_rate;
                } else {
                    soxr_clear(reused);
                }
                size_t got = resample_reused(reused, x, (size_t)n, info.sample_rate, sr, y2, olen - 1);
                t_stop(&t_reuse);
                if ((int64_t)got < n_out) memset(y2 + got, 0, (size_t)(n_out - (int64_t)got) * sizeof *y2);
                if (memcmp(y, y2, (size_t)n_out * sizeof *y) != 0) reuse_differs++;
            }
            t_start(&t_full);
            st = mc_audio_loader_load(full, path, &x, &n, &info);
            t_stop(&t_full);
            if (st != MC_STATUS_OK) {
                fprintf(stderr, "%s\n", mc_error_message());
                return 1;
            }
        }
    }
    printf("%ld tracks (%d files x %d reps), %.1f s of audio per pass, %ld failed, %ld resampled to %d Hz\n", tracks,
           nfiles, reps, audio_s / reps, failed / reps, resampled / reps, sr);
    printf("header frame count != decoded: %ld files\n", header_mismatch);
    double k = tracks > 0 ? 1e3 / (double)tracks : 0;
    printf("%-34s %10s %10s %10s\n", "stage", "wall ms/tr", "cpu ms/tr", "tracks/s");
    printf("%-34s %10.2f %10.2f %10.1f\n", "decode + downmix", t_dec.wall * k, t_dec.cpu * k, tracks / t_dec.wall);
    if (resampled > 0) {
        double kr = 1e3 / (double)resampled;
        printf("%-34s %10.2f %10.2f %10.1f  (per resampled track)\n", "resample (soxr per call)", t_res.wall * kr,
               t_res.cpu * kr, resampled / t_res.wall);
        printf("%-34s %10.2f %10.2f %10.1f  (identical: %s)\n", "resample (reused soxr_t + clear)",
               t_reuse.wall * kr, t_reuse.cpu * kr, resampled / t_reuse.wall, reuse_differs ? "NO" : "yes");
    }
    printf("%-34s %10.2f %10.2f %10.1f\n", "full load (decode+mono+resample)", t_full.wall * k, t_full.cpu * k,
           tracks / t_full.wall);
    soxr_delete(reused);
    free(y);
    free(y2);
    mc_audio_loader_free(dec);
    mc_audio_loader_free(full);
    return 0;
}
