/* The cost of the librosa descriptors (mc_dsp_descriptors, mc_dsp_track_tempo) beside the MFCC + log-mel
 * features that extraction computes today, on one thread, as CPU time of this thread (so that other
 * processes on a shared machine count less), each figure the best of several interleaved rounds.
 *
 *   bench_dsp [--reps R] SEGMENT.npy... [AUDIO...]
 *
 * SEGMENT.npy: float32 3-s segments at 22050 Hz (the seg0.y.npy files of ../shared/reference/librosa-0.10.2).
 * Per segment it prints
 *   base      mel power + power_to_db + MFCC + MFCC statistics (what extract does per segment)
 *   +mag      the same with mc_dsp_mel_power_mag (the magnitude spectrogram kept for the descriptors)
 *   desc      mc_dsp_descriptors without the tempo, + mc_dsp_desc_stats
 *   tempo     mc_dsp_descriptors' segment tempo (its tempogram) alone
 * and the ratios to base. AUDIO: tracks decoded at 22050 Hz (mc_audio_loader): per track the decode,
 * the base features of its 3-s segments, the descriptors of those segments and mc_dsp_track_tempo,
 * and the ratio of decode + features with descriptors to decode + features without (extraction's
 * other costs, writing the store, are left out: the ratio is an upper bound of extract's). */
#include <musiclust/audio.h>
#include <musiclust/dsp.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct ctx {
    mc_dsp_plan *p;
    mc_dsp_workspace *w;
    mc_dsp_desc_plan *d;
    mc_dsp_desc_workspace *dw;
    float *mel, *mag, *mfcc, *desc; /* (128, F), (F, 1025), (20, F), (26, F) for F = 130 */
    float st[40], dst[MC_DSP_DESC_STATS];
} ctx;

enum { SEG = 66150, FR = 130 };

static int base(ctx *c, const float *y, int with_mag) {
    mc_status s = with_mag ? mc_dsp_mel_power_mag(c->p, c->w, y, SEG, c->mel, c->mag)
                           : mc_dsp_mel_power(c->p, c->w, y, SEG, c->mel);
    if (s != MC_STATUS_OK) return 0;
    mc_dsp_power_to_db(c->mel, 128 * FR, 1.0, 1e-10, 80.0, c->mel);
    mc_dsp_mfcc(c->p, c->mel, FR, c->mfcc);
    mc_dsp_mfcc_stats(c->mfcc, 20, FR, c->st);
    return 1;
}

static int desc(ctx *c, const float *y, int with_tempo) {
    double tuning, tempo = NAN;
    if (mc_dsp_descriptors(c->d, c->dw, y, SEG, c->mag, c->mel, c->desc, &tuning, with_tempo ? &tempo : NULL) !=
        MC_STATUS_OK)
        return 0;
    mc_dsp_desc_stats(c->desc, FR, tempo, c->dst);
    return 1;
}

int main(int argc, char **argv) {
    int reps = 7, a = 1;
    if (argc > 2 && strcmp(argv[1], "--reps") == 0) {
        reps = atoi(argv[2]);
        a = 3;
    }
    if (a >= argc || reps < 1) {
        fprintf(stderr, "usage: bench_dsp [--reps R] SEGMENT.npy... [AUDIO...]\n");
        return 2;
    }
    ctx c;
    memset(&c, 0, sizeof c);
    mc_dsp_config cfg;
    mc_dsp_config_default(&cfg);
    double t0 = cpu_now();
    if (mc_dsp_plan_create(&cfg, &c.p) != MC_STATUS_OK || mc_dsp_workspace_create(c.p, SEG, &c.w) != MC_STATUS_OK)
        goto fail;
    const double t_plan = cpu_now() - t0;
    t0 = cpu_now();
    if (mc_dsp_desc_plan_create(c.p, &c.d) != MC_STATUS_OK) goto fail;
    const double t_dplan = cpu_now() - t0;
    if (mc_dsp_desc_workspace_create(c.d, FR, &c.dw) != MC_STATUS_OK) goto fail;
    c.mel = calloc(128 * FR, sizeof(float));
    c.mag = calloc(1025 * FR, sizeof(float));
    c.mfcc = calloc(20 * FR, sizeof(float));
    c.desc = calloc(MC_DSP_DESC_ROWS * FR, sizeof(float));
    if (!c.mel || !c.mag || !c.mfcc || !c.desc) goto fail;
    printf("  plans: dsp %.1f ms, descriptors %.1f ms (chroma filterbanks of the 100 tunings, once)\n",
           1e3 * t_plan, 1e3 * t_dplan);

    /* segments */
    int nseg = 0;
    mc_array segs[16];
    memset(segs, 0, sizeof segs);
    for (; a < argc && nseg < 16; a++) {
        size_t L = strlen(argv[a]);
        if (L < 4 || strcmp(argv[a] + L - 4, ".npy") != 0) break;
        if (mc_npy_read_f32(argv[a], &segs[nseg]) != MC_STATUS_OK || segs[nseg].ndim != 1 ||
            segs[nseg].shape[0] != SEG) {
            fprintf(stderr, "bench_dsp: %s: need a (66150,) float32 segment: %s\n", argv[a], mc_error_message());
            goto fail;
        }
        nseg++;
    }
    if (nseg > 0) {
        double best[4] = {1e9, 1e9, 1e9, 1e9};
        for (int r = 0; r < reps; r++) {
            double t[4] = {0, 0, 0, 0};
            for (int i = 0; i < nseg; i++) {
                const float *y = segs[i].data;
                double s0 = cpu_now();
                int ok = base(&c, y, 0);
                double s1 = cpu_now();
                ok &= base(&c, y, 1);
                double s2 = cpu_now();
                ok &= desc(&c, y, 0);
                double s3 = cpu_now();
                ok &= desc(&c, y, 1);
                double s4 = cpu_now();
                if (!ok) goto fail;
                t[0] += s1 - s0;
                t[1] += s2 - s1;
                t[2] += s3 - s2;
                t[3] += (s4 - s3) - (s3 - s2); /* the tempogram alone */
            }
            for (int k = 0; k < 4; k++) best[k] = fmin(best[k], t[k] / nseg);
        }
        printf("  per 3-s segment, 1 thread (CPU time, best of %d rounds over %d segments):\n", reps, nseg);
        printf("    base (mel power + dB + MFCC + stats)  %7.0f us\n", 1e6 * best[0]);
        printf("    +mag (mc_dsp_mel_power_mag instead)   %7.0f us  (+%.0f us, %.2fx base)\n", 1e6 * best[1],
               1e6 * (best[1] - best[0]), best[1] / best[0]);
        printf("    descriptors (no tempo) + stats        %7.0f us  (%.2fx base)\n", 1e6 * best[2],
               best[2] / best[0]);
        printf("    segment tempo (tempogram)             %7.0f us  (%.2fx base)\n", 1e6 * best[3],
               best[3] / best[0]);
        printf("    features with descriptors / without: %.2fx without the segment tempo, %.2fx with it\n",
               (best[1] + best[2]) / best[0], (best[1] + best[2] + best[3]) / best[0]);
    }

    /* tracks */
    if (a < argc) {
        mc_audio_loader *l = NULL;
        if (mc_audio_loader_create(22050, &l) != MC_STATUS_OK) goto fail;
        float *seg = calloc(SEG, sizeof *seg), *scratch = NULL;
        int64_t scap = 0;
        double T[5] = {0, 0, 0, 0, 0}; /* decode, base, +mag & desc, seg tempo, track tempo */
        int tracks = 0;
        int64_t segments = 0;
        for (; a < argc; a++) {
            double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9};
            int64_t ns = 0;
            for (int r = 0; r < (reps < 3 ? reps : 3); r++) {
                const float *x = NULL;
                int64_t n = 0;
                mc_audio_info info;
                double s0 = cpu_now();
                if (mc_audio_loader_load(l, argv[a], &x, &n, &info) != MC_STATUS_OK) {
                    fprintf(stderr, "bench_dsp: %s\n", mc_error_message());
                    goto fail;
                }
                double s1 = cpu_now(), tb = 0, td = 0, tt = 0;
                bool short_;
                ns = mc_audio_segment_count(n, SEG, &short_);
                for (int64_t s = 0; s < ns; s++) {
                    mc_audio_segment_copy(x, n, SEG, s, seg);
                    double u0 = cpu_now();
                    base(&c, seg, 0);
                    double u1 = cpu_now();
                    base(&c, seg, 1);
                    double u2 = cpu_now();
                    desc(&c, seg, 0);
                    double u3 = cpu_now();
                    desc(&c, seg, 1);
                    double u4 = cpu_now();
                    tb += u1 - u0;
                    td += u3 - u1;                 /* base with the magnitude + descriptors */
                    tt += (u4 - u3) - (u3 - u2);   /* descriptors with the tempo minus without */
                }
                const int64_t need = mc_dsp_track_tempo_scratch(c.d, n);
                if (need > scap) {
                    free(scratch);
                    scratch = malloc((size_t)need * sizeof *scratch);
                    scap = need;
                    if (!scratch) goto fail;
                }
                mc_dsp_desc_workspace *tw = c.dw;
                double bpm;
                double v0 = cpu_now();
                if (mc_dsp_track_tempo(c.d, tw, x, n, scratch, &bpm) != MC_STATUS_OK) goto fail;
                double v1 = cpu_now();
                const double parts[5] = {s1 - s0, tb, td, tt, v1 - v0};
                for (int k = 0; k < 5; k++) best[k] = fmin(best[k], parts[k]);
            }
            for (int k = 0; k < 5; k++) T[k] += best[k];
            tracks++;
            segments += ns;
        }
        const double without = T[0] + T[1];
        printf("  %d tracks, %lld 3-s segments (CPU time per track, best of %d):\n", tracks, (long long)segments,
               reps < 3 ? reps : 3);
        printf("    decode + resample %.2f ms, base features %.2f ms, with magnitude + descriptors %.2f ms, "
               "segment tempi %.2f ms, whole-track tempo %.2f ms\n",
               1e3 * T[0] / tracks, 1e3 * T[1] / tracks, 1e3 * T[2] / tracks, 1e3 * T[3] / tracks,
               1e3 * T[4] / tracks);
        printf("    decode + features, with descriptors / without: %.2fx (no tempo), %.2fx (+ whole-track "
               "tempo), %.2fx (+ segment tempi too)\n",
               (T[0] + T[2]) / without, (T[0] + T[2] + T[4]) / without,
               (T[0] + T[2] + T[3] + T[4]) / without);
        free(seg);
        free(scratch);
        mc_audio_loader_free(l);
    }
    for (int i = 0; i < nseg; i++) mc_array_free(&segs[i]);
    free(c.mel);
    free(c.mag);
    free(c.mfcc);
    free(c.desc);
    mc_dsp_desc_workspace_free(c.dw);
    mc_dsp_desc_plan_free(c.d);
    mc_dsp_workspace_free(c.w);
    mc_dsp_plan_free(c.p);
    return 0;
fail:
    fprintf(stderr, "bench_dsp: %s\n", mc_error_message());
    return 1;
}
