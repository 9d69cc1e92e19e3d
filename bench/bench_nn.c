/* Training-step throughput of the nn module on the two reference models of
 * ../shared/peers/torch_vae.py, with a per-layer time breakdown.
 *
 *   bench_nn [--threads 2] [--batch 128] [--steps 3] [--mlp-batch 32] [--mlp-seconds 2]
 *
 * conv: the reference conv beta-VAE on 1x128x128 (random N(0,1) inputs), one step = forward +
 *       backward + Adam, batch 128; samples/s, GFLOP/s (multiply-adds x 2 of every GEMM a step
 *       runs), peak RSS (getrusage), and the PyTorch 1.13 figure for the same step on this machine
 *       kind (2 threads): 29 samples/s (../shared/peers/README.md; torch_vae.py conv run here in quiet
 *       moments gave 34-40 samples/s).
 * mlp:  the MLP VAE 40 -> 64 -> 4 -> 64 -> 40 at batch 32; PyTorch 1.13's figure measured here with
 *       torch_vae.py mlp (2 threads) is the constant TORCH_MLP_SPS below. */
#include <musiclust/nn.h>

#include "../tests/fixtures/nn_ref_vae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define TORCH_CONV_SPS 29.0
#define TORCH_MLP_SPS 60000.0

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(mc_status st, const char *what) {
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "bench_nn: %s: %s\n", what, mc_error_message());
        exit(1);
    }
}

/* Multiply-adds of one sample's forward through a layer (GEMM work only). */
static double layer_macs(mc_nn_layer *l) {
    mc_nn_param *w = mc_nn_layer_param(l, 0);
    int64_t shape[3];
    int nd = mc_nn_layer_out_shape(l, shape);
    switch (mc_nn_layer_kind(l)) {
    case MC_NN_KIND_LINEAR: return (double)w->numel;
    case MC_NN_KIND_CONV2D: return (double)w->numel * (double)(shape[1] * shape[2]);
    case MC_NN_KIND_CONV_TRANSPOSE2D:
        /* weight (c_in, c_out k k) times the input grid */
        return (double)w->numel * (double)(mc_nn_layer_in_numel(l) / w->shape[0]);
    default: (void)nd; return 0.0;
    }
}

typedef struct lt {
    const char *name;
    double fwd, bwd;
} lt;

int main(int argc, char **argv) {
    int threads = 2, batch = 128, steps = 3, mlp_batch = 32;
    double mlp_seconds = 2.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mlp-batch")) mlp_batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mlp-seconds")) mlp_seconds = atof(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_nn [--threads 2] [--batch 128] [--steps 3] [--mlp-batch 32] "
                            "[--mlp-seconds 2]\n");
            return 2;
        }
    }
    threads = mc_nn_set_threads(threads);

    /* ------------------------------------------------------------ conv beta-VAE */
    ref_vae v;
    die(ref_vae_conv_create(&v, batch), "conv VAE");
    mc_rng rng;
    mc_rng_seed(&rng, 1, 0);
    mc_nn_seq_init(v.enc, &rng);
    mc_nn_layer_init(v.mu, &rng);
    mc_nn_layer_init(v.lv, &rng);
    mc_nn_layer_init(v.fc, &rng);
    mc_nn_seq_init(v.dec, &rng);
    mc_nn_adam_config cfg;
    mc_nn_adam_config_default(&cfg, false);
    mc_nn_adam *opt = NULL;
    die(mc_nn_adam_create(v.params, &cfg, &opt), "adam");
    float *x = mc_alloc((size_t)batch * 128 * 128, sizeof(float));
    if (!x) die(MC_STATUS_NO_MEMORY, "data");
    mc_nn_normal_fill(&rng, x, (int64_t)batch * 128 * 128);

    double macs = 0.0; /* per sample: forward + backward (dW always, dX except the first layer) */
    for (int i = 0; i < 4; i++) {
        double f = layer_macs(mc_nn_seq_layer(v.enc, i));
        macs += f * (i == 0 ? 2.0 : 3.0);
        macs += 3.0 * layer_macs(mc_nn_seq_layer(v.dec, i));
    }
    macs += 3.0 * (layer_macs(v.mu) + layer_macs(v.lv) + layer_macs(v.fc));

    printf("== nn: conv beta-VAE (1x128x128, 4x Conv2d 32-256, latent 32, 4x ConvTranspose2d), batch %d, "
           "%d threads ==\n", batch, threads);
    printf("parameters: %lld trainable\n", (long long)mc_nn_params_trainable_numel(v.params));
    double loss = 0.0, best = 1e30, total = 0.0;
    for (int s = 0; s <= steps; s++) { /* step 0 warms up (page faults, OpenMP pool) */
        double t0 = now_s();
        mc_nn_params_zero_grad(v.params);
        mc_nn_normal_fill(&rng, v.eps, (int64_t)batch * v.latent);
        die(ref_vae_forward_backward(&v, batch, x, &loss, NULL, NULL), "step");
        mc_nn_adam_step(opt);
        double dt = now_s() - t0;
        if (s > 0) {
            total += dt;
            if (dt < best) best = dt;
        }
        printf("  step %d: %.3f s, loss %.2f\n", s, dt, loss);
    }
    double sps = batch * steps / total;
    printf("conv step: %.1f samples/s (best step %.1f), %.2f GFLOP per sample, %.1f GFLOP/s; "
           "PyTorch 1.13 (2 threads): %.0f samples/s -> %.2fx\n",
           sps, batch / best, 2.0 * macs * 1e-9, sps * 2.0 * macs * 1e-9, TORCH_CONV_SPS,
           sps / TORCH_CONV_SPS);

    /* per-layer breakdown of one more step, timing each call */
    {
        lt rows[16];
        int nr = 0;
        float *h, *m, *lvv, *hd, *r, *g, *g1, *g2, *gz;
        const int n = batch;
        const int64_t nl = (int64_t)n * v.latent, nx = (int64_t)n * v.in_numel;
        double t;
        mc_nn_params_zero_grad(v.params);
        const float *in = x;
        for (int i = 0; i < 4; i++) {
            mc_nn_layer *l = mc_nn_seq_layer(v.enc, i);
            t = now_s();
            die(mc_nn_forward(l, n, in, &h), "fwd");
            rows[nr++] = (lt){mc_nn_layer_name(l), now_s() - t, 0};
            in = h;
        }
        t = now_s();
        die(mc_nn_forward(v.mu, n, h, &m), "mu");
        die(mc_nn_forward(v.lv, n, h, &lvv), "lv");
        rows[nr++] = (lt){"mu+lv", now_s() - t, 0};
        mc_nn_reparam_forward(m, lvv, v.eps, nl, v.z);
        t = now_s();
        die(mc_nn_forward(v.fc, n, v.z, &hd), "fc");
        rows[nr++] = (lt){"fc", now_s() - t, 0};
        in = hd;
        for (int i = 0; i < 4; i++) {
            mc_nn_layer *l = mc_nn_seq_layer(v.dec, i);
            t = now_s();
            die(mc_nn_forward(l, n, in, &r), "fwd");
            rows[nr++] = (lt){mc_nn_layer_name(l), now_s() - t, 0};
            in = r;
        }
        t = now_s();
        mc_nn_zero(v.drec, nx);
        mc_nn_zero(v.dmu, nl);
        mc_nn_zero(v.dlv, nl);
        mc_nn_mse_loss(r, x, nx, MC_NN_REDUCTION_SUM, 1.0f / n, v.drec);
        mc_nn_kl_normal(m, lvv, nl, v.beta / n, v.dmu, v.dlv);
        double t_loss = now_s() - t;
        g = v.drec;
        for (int i = 3; i >= 0; i--) {
            mc_nn_layer *l = mc_nn_seq_layer(v.dec, i);
            t = now_s();
            die(mc_nn_backward(l, g, &g), "bwd");
            rows[6 + i].bwd = now_s() - t;
        }
        t = now_s();
        die(mc_nn_backward(v.fc, g, &gz), "fc");
        rows[5].bwd = now_s() - t;
        mc_nn_reparam_backward(lvv, v.eps, gz, nl, v.dmu, v.dlv);
        t = now_s();
        die(mc_nn_backward(v.mu, v.dmu, &g1), "mu");
        die(mc_nn_backward(v.lv, v.dlv, &g2), "lv");
        mc_nn_add(g1, g2, (int64_t)n * 256 * 64);
        rows[4].bwd = now_s() - t;
        g = g1;
        for (int i = 3; i >= 0; i--) {
            mc_nn_layer *l = mc_nn_seq_layer(v.enc, i);
            t = now_s();
            die(mc_nn_backward(l, g, &g), "bwd");
            rows[i].bwd = now_s() - t;
        }
        t = now_s();
        mc_nn_adam_step(opt);
        double t_adam = now_s() - t;
        printf("per layer (ms for the batch):  forward  backward\n");
        double sum = t_loss + t_adam;
        for (int i = 0; i < nr; i++) {
            printf("  %-10s %8.1f %8.1f\n", rows[i].name, 1e3 * rows[i].fwd, 1e3 * rows[i].bwd);
            sum += rows[i].fwd + rows[i].bwd;
        }
        printf("  loss %.1f ms, adam %.1f ms, total %.1f ms\n", 1e3 * t_loss, 1e3 * t_adam, 1e3 * sum);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("conv peak memory (max RSS): %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    mc_nn_adam_free(opt);
    ref_vae_free(&v);
    mc_free(x);

    /* ------------------------------------------------------------ MLP VAE */
    const int d = 40;
    die(ref_vae_mlp_create(&v, d, mlp_batch), "MLP VAE");
    mc_nn_seq_init(v.enc, &rng);
    mc_nn_layer_init(v.mu, &rng);
    mc_nn_layer_init(v.lv, &rng);
    mc_nn_layer_init(v.fc, &rng);
    mc_nn_seq_init(v.dec, &rng);
    die(mc_nn_adam_create(v.params, &cfg, &opt), "adam");
    const int nbatches = 64;
    x = mc_alloc((size_t)nbatches * mlp_batch * d, sizeof(float));
    if (!x) die(MC_STATUS_NO_MEMORY, "data");
    mc_nn_normal_fill(&rng, x, (int64_t)nbatches * mlp_batch * d);
    int64_t done = 0;
    double t0 = now_s(), el = 0.0;
    do {
        for (int b = 0; b < nbatches; b++) {
            mc_nn_params_zero_grad(v.params);
            mc_nn_normal_fill(&rng, v.eps, (int64_t)mlp_batch * v.latent);
            const float *xb = x + (size_t)b * mlp_batch * d;
            die(ref_vae_forward_backward(&v, mlp_batch, xb, &loss, NULL, NULL), "mlp step");
            mc_nn_adam_step(opt);
        }
        done += (int64_t)nbatches * mlp_batch;
        el = now_s() - t0;
    } while (el < mlp_seconds);
    double msps = (double)done / el;
    printf("== nn: MLP VAE (%d -> 64 -> 4), batch %d, %d threads ==\n", d, mlp_batch, threads);
    printf("mlp step: %.0f samples/s (%.1f us per step), loss %.3f; PyTorch 1.13: %.0f samples/s -> "
           "%.1fx\n",
           msps, 1e6 * el / ((double)done / mlp_batch), loss, TORCH_MLP_SPS, msps / TORCH_MLP_SPS);
    mc_nn_adam_free(opt);
    ref_vae_free(&v);
    mc_free(x);
    return 0;
}
