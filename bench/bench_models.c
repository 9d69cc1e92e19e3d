/* Training throughput of the models on a feature store: the MLP vae (the peer's 40 -> 64 -> 4 network,
 * batch 32) or the reference conv beta-VAE (1 x 128 x 128 log-mel patches, batch 128). Prints training
 * samples/s (validation and checkpoints excluded: there are none here) and peak memory. Usage:
 *   bench_models THREADS FEATDIR mlp|conv EPOCHS [fp32|bf16]
 * (the last argument: the conv layers' precision, --precision of musiclust train; default fp32) */
#include <musiclust/models.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* CPU seconds of every thread of the process (user + sys) */
static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    mc_model_config cfg;
    if ((argc != 5 && argc != 6) || (strcmp(argv[3], "mlp") != 0 && strcmp(argv[3], "conv") != 0)) {
        fprintf(stderr, "usage: bench_models THREADS FEATDIR mlp|conv EPOCHS [fp32|bf16]\n");
        return 2;
    }
    const bool conv = strcmp(argv[3], "conv") == 0;
    mc_model_config_default(conv ? MC_MODEL_KIND_CONV_VAE : MC_MODEL_KIND_VAE, &cfg);
    if (argc == 6 && mc_nn_precision_parse(argv[5], &cfg.precision) != MC_STATUS_OK) {
        fprintf(stderr, "bench_models: %s\n", mc_error_message());
        return 2;
    }
    cfg.epochs = atoi(argv[4]);
    mc_model_data data;
    mc_model *m = NULL;
    mc_train_summary sum;
    mc_train_options opt = {atoi(argv[1]), NULL, NULL, 0, false};
    mc_status st = mc_model_data_load(argv[2], cfg.input, NULL, &data);
    if (st == MC_STATUS_OK) st = mc_model_create(&cfg, &data, &m);
    double c0 = cpu_s();
    if (st == MC_STATUS_OK) st = mc_model_train(m, &data, &opt, NULL, &sum);
    const double cpu = cpu_s() - c0;
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "bench_models: %s\n", mc_error_message());
        return 1;
    }
    int nd = 0;
    int64_t shape[3];
    mc_model_input_shape(m, &nd, shape);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char in[64];
    if (nd == 1) snprintf(in, sizeof in, "%lld", (long long)shape[0]);
    else snprintf(in, sizeof in, "1x%lldx%lld", (long long)shape[0], (long long)shape[1]);
    /* the cpu figure: training rows of every epoch per CPU second of the whole call (validation
     * included) over the threads: what `threads` otherwise idle cores would give, much less sensitive
     * to other processes on a shared machine than the wall figure */
    const int threads = mc_threads_resolve(opt.threads);
    /* training rows per epoch, as mc_data_split cuts them */
    const double n_train = (double)(data.n - llround(cfg.val_fraction * (double)data.n));
    printf("  %s %s, %lld rows, batch %d, %d epochs, %d threads, %s: %.3f s  %9.1f samples/s  %9.1f samples/cpu-s"
           "  peak RSS %.0f MB\n",
           mc_model_kind_name(cfg.kind), in, (long long)data.n, cfg.batch, sum.epochs_run, threads,
           mc_nn_precision_name(mc_model_get_config(m)->precision), sum.seconds, sum.samples_per_s,
           cpu > 0 ? n_train * sum.epochs_run / (cpu / threads) : 0.0, ru.ru_maxrss / 1024.0);
    mc_model_free(m);
    mc_model_data_free(&data);
    return 0;
}
