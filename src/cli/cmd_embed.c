/* musiclust embed: model + feature store -> latent means (and reconstructions). */
#include "cli.h"

#include <musiclust/models.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_embed(int argc, char **argv) {
    const char *out = NULL, *recon_path = NULL;
    int threads = 0;
    bool quiet = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "LATENT.npy", "latent means, (N, latent) float32 in row order (required)"},
        {"reconstruct", 0, CLI_STRING, &recon_path, "RECON.npy", "also write the reconstructions (decoder of mu) in the input's units"},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (default: all cores); output is identical for any N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no summary (warnings still shown)"},
    };
    const cli_command cmd = {
        "embed", "musiclust embed [options] MODEL FEATDIR -o LATENT.npy",
        "Encode every row of a feature store with a trained model (musiclust train): the latent\n"
        "mean mu of each row (the code for an ae), in row order, as (N, latent) float32. The model's\n"
        "stored normalisation (and log-mel crop) is applied first; no sampling, so the output is\n"
        "deterministic. A cvae (or an mm-vae with a condition) reads its condition column from the\n"
        "store's index.tsv; labels the model has not seen get a zero condition (with a warning). An\n"
        "mm-vae also reads the store's lyrics (lyrics.npy, lyrics_tracks.tsv: run musiclust lyrics\n"
        "first); a track without lyrics is encoded by the audio-only path. --reconstruct also writes\n"
        "the (audio) decoder's output for z = mu, de-normalised: (N, F) for vectors, (N, n_mels,\n"
        "frames used) for log-mel. Under mpirun / srun the rows are shared over the ranks (parts of 32\n"
        "rows) and rank 0 writes: the same bytes as one process.\n\nExamples:\n  musiclust embed models/vae.safetensors feats -o latent.npy",
        opts, (int)(sizeof opts / sizeof opts[0]), 2, 2};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    const char *model_path = pos[0], *featdir = pos[1];
    free(pos);
    if (!out) return cli_usage(&cmd, "-o LATENT.npy is required");
    /* Over the ranks of mpirun / srun (NULL alone): every rank loads the model and the store, encodes
     * its share of the rows (mc_model_encode_group: the bytes of one process) and rank 0 writes. Each
     * step that can fail on one rank only is checked by every rank before the next collective. */
    mc_dist *dist = cli_dist();
    const bool group = mc_dist_size(dist) > 1, writer = mc_dist_rank(dist) == 0;
    mc_model *m = NULL;
    mc_model_data data;
    memset(&data, 0, sizeof data);
    mc_status st = mc_model_load(model_path, &m);
    const mc_model_config *cfg = st == MC_STATUS_OK ? mc_model_get_config(m) : NULL;
    if (st == MC_STATUS_OK) /* condition NULL unless it has one */
        st = mc_model_data_load_features(featdir, cfg->input, cfg->features, cfg->condition, &data);
    if (st == MC_STATUS_OK && cfg->kind == MC_MODEL_KIND_MM_VAE) st = mc_model_data_load_lyrics(featdir, &data);
    if (group) st = mc_dist_check(dist, st);
    if (st != MC_STATUS_OK) {
        mc_model_data_free(&data);
        mc_model_free(m);
        return cli_fail("embed", st);
    }
    const int Z = mc_model_latent_dim(m);
    int ndim = 0;
    int64_t shape[3];
    mc_model_input_shape(m, &ndim, shape);
    int64_t per_row = ndim == 1 ? shape[0] : shape[0] * shape[1];
    float *mu = mc_alloc((size_t)data.n * (size_t)Z, sizeof(float)); /* (N, Z) */
    float *recon = recon_path ? mc_alloc((size_t)data.n * (size_t)per_row, sizeof(float)) : NULL; /* (N, per_row) */
    int64_t unknown = 0;
    if (!mu || (recon_path && !recon)) st = mc_error_nomem("embed: out of memory for %lld rows", (long long)data.n);
    if (group) st = mc_dist_check(dist, st);
    if (st == MC_STATUS_OK) st = mc_model_encode_group(dist, m, &data, threads, mu, recon, &unknown);
    if (st == MC_STATUS_OK && unknown > 0)
        mc_log(MC_LOG_LEVEL_WARN, "%lld rows have a '%s' label the model was not trained on: zero condition",
               (long long)unknown, cfg->condition);
    int64_t zshape[2] = {data.n, Z};
    if (st == MC_STATUS_OK && writer) st = mc_npy_write(out, MC_DTYPE_F32, 2, zshape, mu);
    if (st == MC_STATUS_OK && recon && writer) {
        int64_t rshape[3] = {data.n, shape[0], shape[1]};
        st = mc_npy_write(recon_path, MC_DTYPE_F32, ndim + 1, rshape, recon);
    }
    /* a write that failed on rank 0 fails every rank (no rank reports success alone) */
    if (group) st = mc_dist_check(dist, st);
    if (st == MC_STATUS_OK && !quiet) {
        printf("embedded %lld rows with %s (%s) -> %s (%lld, %d)", (long long)data.n, model_path,
               mc_model_kind_name(cfg->kind), out, (long long)data.n, Z);
        if (recon_path) printf(", reconstructions -> %s", recon_path);
        printf("\n");
    }
    mc_free(mu);
    mc_free(recon);
    mc_model_data_free(&data);
    mc_model_free(m);
    if (st != MC_STATUS_OK) return cli_fail("embed", st);
    return MC_EXIT_OK;
}
