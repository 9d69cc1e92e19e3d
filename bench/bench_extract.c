/* Extraction throughput: decode + resample + MFCC 20 + log-mel 128 (+ librosa's descriptors) on 3-s
 * segments, as `musiclust extract` does it. Prints tracks/s, ms per track, the CPU time (user + sys: on
 * a shared machine the wall time also counts other jobs) and peak memory (getrusage). Usage:
 *   bench_extract [--reps R] [--librosa-s S] [--no-descriptors] [--tempo] THREADS OUTDIR INPUT...
 *   bench_extract --descriptor-cost [--reps R] THREADS OUTDIR INPUT...
 *   bench_extract --stages [--reps R] [--librosa-s S] THREADS OUTDIR FILE...
 * --reps R runs the extraction R times and reports the fastest (timings on a busy machine are noisy);
 * --librosa-s S prints the ratio to librosa's time S for the same files (librosa is not a Debian
 * package, so the figure is the one measured for the issue on this machine kind).
 * --descriptor-cost runs extraction without descriptors, with them, and with them and the tempo,
 * interleaved R times (default 5), and prints the best CPU time of each and the ratios to the first
 * (issue 17's budget: descriptors <= 1.3x).
 * --stages splits the cost of extraction without descriptors (CPU time, one thread, best of R
 * interleaved rounds): decoding and downmixing alone (the loader at the native rate), plus resampling
 * to the extraction rate, and the whole extraction; then the wall-time floor that decoding alone sets
 * at THREADS threads (its CPU time / THREADS: the decoder is a library whose samples must stay
 * libsndfile's), and, with --librosa-s, the best ratio to librosa that floor allows. */
#include <musiclust/audio.h>
#include <musiclust/data.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

static int descriptor_cost(mc_extract_config cfg, int reps, const char *out, const char *const *inputs, int n) {
    static const char *const names[3] = {"without descriptors", "with descriptors", "with descriptors + tempo"};
    double best[3] = {0, 0, 0};
    mc_extract_summary sum = {0};
    for (int r = 0; r < reps; r++) {
        for (int m = 0; m < 3; m++) {
            cfg.descriptors = m > 0;
            cfg.tempo = m == 2;
            double c0 = cpu_s();
            mc_status st = mc_data_extract(&cfg, inputs, n, out, NULL, &sum);
            double c = cpu_s() - c0;
            if (st != MC_STATUS_OK) {
                fprintf(stderr, "bench_extract: %s\n", mc_error_message());
                return 1;
            }
            if (r == 0 || c < best[m]) best[m] = c;
        }
    }
    printf("  %lld tracks, %lld segments, %d thread(s), CPU time, best of %d interleaved rounds:\n",
           (long long)sum.tracks, (long long)sum.segments, mc_threads_resolve(cfg.threads), reps);
    for (int m = 0; m < 3; m++)
        printf("    %-26s %7.3f s  %5.2fx%s\n", names[m], best[m], best[m] / best[0],
               m == 1 ? "  (issue 17 budget: <= 1.30x)" : "");
    return 0;
}

/* CPU seconds to stream every file through a loader at target_sr (<= 0: the native rate); -1 on error. */
static double load_all(int target_sr, const char *const *files, int n) {
    mc_audio_loader *l = NULL;
    if (mc_audio_loader_create(target_sr, &l) != MC_STATUS_OK) return -1;
    double c0 = cpu_s();
    mc_status st = MC_STATUS_OK;
    for (int i = 0; i < n && st == MC_STATUS_OK; i++) {
        mc_audio_info info;
        st = mc_audio_loader_open(l, files[i], &info);
        const float *x;
        int64_t k = 1;
        while (st == MC_STATUS_OK && k > 0) st = mc_audio_loader_read(l, &x, &k);
        mc_audio_loader_close(l);
    }
    double c = cpu_s() - c0;
    mc_audio_loader_free(l);
    return st == MC_STATUS_OK ? c : -1;
}

static int stages(mc_extract_config cfg, int reps, double librosa_s, const char *out, const char *const *files,
                  int n) {
    static const char *const names[3] = {"decode + downmix", "+ resample to the extraction rate",
                                         "whole extraction (no descriptors)"};
    const int threads = mc_threads_resolve(cfg.threads);
    double best[3] = {0, 0, 0};
    cfg.descriptors = false;
    cfg.tempo = false;
    cfg.threads = 1;
    mc_extract_summary sum = {0};
    for (int r = 0; r < reps; r++) {
        for (int m = 0; m < 3; m++) {
            double c = 0;
            if (m < 2) {
                c = load_all(m == 0 ? 0 : cfg.dsp.sr, files, n);
            } else {
                double c0 = cpu_s();
                c = mc_data_extract(&cfg, files, n, out, NULL, &sum) == MC_STATUS_OK ? cpu_s() - c0 : -1;
            }
            if (c < 0) {
                fprintf(stderr, "bench_extract: %s\n", mc_error_message());
                return 1;
            }
            if (r == 0 || c < best[m]) best[m] = c;
        }
    }
    printf("  %d files, 1 thread, CPU time, best of %d interleaved rounds:\n", n, reps);
    for (int m = 0; m < 3; m++)
        printf("    %-34s %7.3f s  %5.1f%% of the extraction\n", names[m], best[m], 100.0 * best[m] / best[2]);
    const double floor_s = best[0] / threads;
    printf("  decoding alone at %d threads: >= %.3f s wall", threads, floor_s);
    if (librosa_s > 0) printf(", so at most %.1fx librosa's %.2f s however fast the features", librosa_s / floor_s, librosa_s);
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    int reps = 1, a = 1, cost = 0;
    double librosa_s = 0;
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    while (a < argc && argv[a][0] == '-' && argv[a][1] == '-') {
        if (!strcmp(argv[a], "--reps") && a + 1 < argc) reps = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--librosa-s") && a + 1 < argc) librosa_s = atof(argv[++a]);
        else if (!strcmp(argv[a], "--no-descriptors")) cfg.descriptors = false;
        else if (!strcmp(argv[a], "--tempo")) cfg.tempo = true;
        else if (!strcmp(argv[a], "--descriptor-cost")) cost = 1;
        else if (!strcmp(argv[a], "--stages")) cost = 2;
        else break;
        a++;
    }
    if (argc - a < 3 || reps < 1) {
        fprintf(stderr, "usage: bench_extract [--reps R] [--librosa-s S] [--no-descriptors] [--tempo] THREADS OUTDIR "
                        "INPUT...\n       bench_extract --descriptor-cost [--reps R] THREADS OUTDIR INPUT...\n"
                        "       bench_extract --stages [--reps R] [--librosa-s S] THREADS OUTDIR FILE...\n");
        return 2;
    }
    cfg.threads = atoi(argv[a]);
    const char *const *inputs = (const char *const *)argv + a + 2;
    if (cost == 2) return stages(cfg, reps, librosa_s, argv[a + 1], inputs, argc - a - 2);
    if (cost) return descriptor_cost(cfg, reps > 1 ? reps : 5, argv[a + 1], inputs, argc - a - 2);
    mc_extract_summary sum, best = {0};
    double best_cpu = 0;
    for (int r = 0; r < reps; r++) {
        double c0 = cpu_s();
        mc_status st = mc_data_extract(&cfg, inputs, argc - a - 2, argv[a + 1], NULL, &sum);
        double c1 = cpu_s();
        if (st != MC_STATUS_OK) {
            fprintf(stderr, "bench_extract: %s\n", mc_error_message());
            return 1;
        }
        if (r == 0 || sum.seconds < best.seconds) best = sum;
        if (r == 0 || c1 - c0 < best_cpu) best_cpu = c1 - c0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  %4lld tracks, %5lld segments, %d threads%s: %6.3f s  %7.1f tracks/s  %6.1f ms/track  cpu %.2f s  "
           "peak RSS %.0f MB%s\n",
           (long long)best.tracks, (long long)best.segments, mc_threads_resolve(cfg.threads),
           !cfg.descriptors ? ", no descriptors" : cfg.tempo ? ", descriptors + tempo" : ", descriptors", best.seconds,
           best.tracks / best.seconds, 1000.0 * best.seconds / (double)best.tracks, best_cpu, ru.ru_maxrss / 1024.0,
           reps > 1 ? " (best of reps)" : "");
    if (librosa_s > 0)
        printf("  vs librosa 0.10.2 (%.2f s for these files, reference figure): %.1fx faster (target >= 15x: "
               "<= %.3f s)\n",
               librosa_s, librosa_s / best.seconds, librosa_s / 15.0);
    return 0;
}
