/* Training throughput of the multimodal mm-vae on a feature store with lyrics (musiclust extract, then
 * musiclust lyrics): the default network (audio MLP 40 -> 64, lyrics MLP 64 -> 32, concat fusion
 * 97 -> 64 -> latent 4, both decoders mirrored), batch 32, or the poe fusion. Prints training
 * samples/s and peak memory; the PyTorch peer of the same network is tools/mm_vae_peer.py. Usage:
 *   bench_mm THREADS FEATDIR concat|poe EPOCHS */
#include <musiclust/models.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[3], "concat") != 0 && strcmp(argv[3], "poe") != 0)) {
        fprintf(stderr, "usage: bench_mm THREADS FEATDIR concat|poe EPOCHS\n");
        return 2;
    }
    mc_model_config cfg;
    mc_model_config_default(MC_MODEL_KIND_MM_VAE, &cfg);
    cfg.fusion = strcmp(argv[3], "poe") == 0 ? MC_MODEL_FUSION_POE : MC_MODEL_FUSION_CONCAT;
    cfg.epochs = atoi(argv[4]);
    mc_model_data data;
    mc_model *m = NULL;
    mc_train_summary sum;
    mc_train_options opt = {atoi(argv[1]), NULL, NULL, 0, false};
    mc_status st = mc_model_data_load(argv[2], cfg.input, NULL, &data);
    if (st == MC_STATUS_OK) st = mc_model_data_load_lyrics(argv[2], &data);
    if (st == MC_STATUS_OK) st = mc_model_create(&cfg, &data, &m);
    if (st == MC_STATUS_OK) st = mc_model_train(m, &data, &opt, NULL, &sum);
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "bench_mm: %s\n", mc_error_message());
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  mm-vae %s, audio %lld + lyrics %lld, %lld rows, batch %d, %d epochs, %d threads: %.3f s  %9.1f "
           "samples/s  peak RSS %.0f MB\n", argv[3], (long long)data.shape[1], (long long)data.lyr_dim,
           (long long)data.n, cfg.batch, sum.epochs_run, mc_threads_resolve(opt.threads), sum.seconds,
           sum.samples_per_s, ru.ru_maxrss / 1024.0);
    mc_model_free(m);
    mc_model_data_free(&data);
    return 0;
}
