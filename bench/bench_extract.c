/* Extraction throughput: decode + resample + MFCC 20 + log-mel 128 on 3-s segments, as `musiclust
 * extract` does it. Prints tracks/s, ms per track, the CPU time (user + sys: on a shared machine the
 * wall time also counts other jobs) and peak memory (getrusage). Usage:
 *   bench_extract [--reps R] [--librosa-s S] THREADS OUTDIR INPUT...
 * --reps R runs the extraction R times and reports the fastest (timings on a busy machine are noisy);
 * --librosa-s S prints the ratio to librosa's time S for the same files (librosa is not a Debian
 * package, so the figure is the one measured for the issue on this machine kind). */
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

int main(int argc, char **argv) {
    int reps = 1, a = 1;
    double librosa_s = 0;
    while (a + 1 < argc && argv[a][0] == '-' && argv[a][1] == '-') {
        if (!strcmp(argv[a], "--reps")) reps = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--librosa-s")) librosa_s = atof(argv[a + 1]);
        else break;
        a += 2;
    }
    if (argc - a < 3 || reps < 1) {
        fprintf(stderr, "usage: bench_extract [--reps R] [--librosa-s S] THREADS OUTDIR INPUT...\n");
        return 2;
    }
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    cfg.threads = atoi(argv[a]);
    mc_extract_summary sum, best = {0};
    double best_cpu = 0;
    for (int r = 0; r < reps; r++) {
        double c0 = cpu_s();
        mc_status st = mc_data_extract(&cfg, (const char *const *)argv + a + 2, argc - a - 2, argv[a + 1], NULL, &sum);
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
    printf("  %4lld tracks, %5lld segments, %d threads: %6.3f s  %7.1f tracks/s  %6.1f ms/track  cpu %.2f s  "
           "peak RSS %.0f MB%s\n",
           (long long)best.tracks, (long long)best.segments, mc_threads_resolve(cfg.threads), best.seconds,
           best.tracks / best.seconds, 1000.0 * best.seconds / (double)best.tracks, best_cpu, ru.ru_maxrss / 1024.0,
           reps > 1 ? " (best of reps)" : "");
    if (librosa_s > 0)
        printf("  vs librosa 0.10.2 (%.2f s for these files, reference figure): %.1fx faster (target >= 15x: "
               "<= %.3f s)\n",
               librosa_s, librosa_s / best.seconds, librosa_s / 15.0);
    return 0;
}
