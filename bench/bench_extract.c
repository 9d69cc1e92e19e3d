/* Extraction throughput: decode + resample + MFCC 20 + log-mel 128 on 3-s segments, as `musiclust
 * extract` does it. Prints tracks/s, ms per track and peak memory (getrusage). Usage:
 *   bench_extract THREADS OUTDIR INPUT... */
#include <musiclust/data.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_extract THREADS OUTDIR INPUT...\n");
        return 2;
    }
    mc_extract_config cfg;
    mc_extract_config_default(&cfg);
    cfg.threads = atoi(argv[1]);
    mc_extract_summary sum;
    mc_status st = mc_data_extract(&cfg, (const char *const *)argv + 3, argc - 3, argv[2], NULL, &sum);
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "bench_extract: %s\n", mc_error_message());
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  %4lld tracks, %5lld segments, %d threads: %6.2f s  %7.1f tracks/s  %6.1f ms/track  "
           "peak RSS %.0f MB\n",
           (long long)sum.tracks, (long long)sum.segments, mc_threads_resolve(cfg.threads), sum.seconds,
           sum.tracks / sum.seconds, 1000.0 * sum.seconds / (double)sum.tracks, ru.ru_maxrss / 1024.0);
    return 0;
}
