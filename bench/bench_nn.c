/* Training-step throughput of the nn module on the two reference models of
 * ../shared/peers/torch_vae.py, with a per-layer time breakdown, and the PyTorch peer measured in the
 * same run.
 *
 *   bench_nn [--threads 2] [--batch 128] [--steps 3] [--mlp-batch 32] [--mlp-seconds 2]
 *            [--peer PATH/torch_vae.py] [--peer-samples 256] [--rounds 1] [--precision fp32|bf16]
 *
 * conv: the reference conv beta-VAE on 1x128x128 (random N(0,1) inputs), one step = forward +
 *       backward + Adam, batch 128. Two figures per run:
 *         wall  samples / elapsed seconds (what this run got; on a shared machine it depends on the
 *               other processes)
 *         cpu   samples / (process CPU seconds / threads): the rate the same work gives on `threads`
 *               otherwise idle cores (CPU time counts every thread of the process, OpenMP's waiting
 *               included), much less sensitive to other processes than the wall figure
 *       plus GFLOP/s (2 x the multiply-adds of every convolution and Linear GEMM a step runs), the
 *       fraction of the FMA peak (threads x the FMA rate measured below), and peak RSS.
 * peer: with --peer, torch_vae.py conv runs in a child on the same random data (--peer-samples rows,
 *       batch 128, 2 threads) right after ours: its wall figure is the mean samples_per_s of its
 *       epochs after the first; its cpu figure is (3 - 1) epochs' rows / the difference between the
 *       child CPU time of a 3-epoch and a 1-epoch run (start-up and data loading cancel). --rounds R
 *       repeats ours + peer R times back to back and prints each round's ratios, their best and median.
 *       Debian's PyTorch runs ConvTranspose2d through OpenBLAS, whose 0.3.21 falls back to its generic
 *       kernel on CPUs it does not know; --peer-coretype NAME runs the peer once more with
 *       OPENBLAS_CORETYPE=NAME set for that child only, for comparison (said in the output; nothing of
 *       ours reads that variable: our GEMMs and convolutions dispatch through oneDNN).
 * peak: the FMA rate of one core, measured here with 12 independent vfmadd231ps zmm chains (AVX-512
 *       machines; 8 lanes with AVX2) on the thread's own CPU clock, times `threads`. On a shared
 *       machine it can come out low (another guest on the core's sibling): the figure is
 *       2 x 2.6 GHz x 64 = 333 GFLOP/s.
 * --precision bf16: the conv layers' bf16 mode (mc_nn_seq_set_precision; fp32 where the CPU lacks
 *       AVX512_BF16, said in the output). The GFLOP/s and peak figures stay fp32's.
 * mlp:  the MLP VAE 40 -> 64 -> 4 -> 64 -> 40 at batch 32; PyTorch 1.13's figure measured on this
 *       machine kind with torch_vae.py mlp (2 threads) is TORCH_MLP_SPS (bench/run.sh runs that peer
 *       on the real data in the same run). */
#include <musiclust/nn.h>

#include "../tests/fixtures/nn_ref_vae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TORCH_MLP_SPS 60000.0

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of the calling thread only (the peak loop: the process clock would also count other
 * threads, e.g. a BLAS pool's). */
static double thread_cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double child_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

static void die(mc_status st, const char *what) {
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "bench_nn: %s: %s\n", what, mc_error_message());
        exit(1);
    }
}

/* ---------------------------------------------------------------- FMA peak of one core */

#if defined(__GNUC__) && defined(__x86_64__)
#define FMA12(op, r)                                                                                      \
    op " %%" r "14,%%" r "15,%%" r "0\n" op " %%" r "14,%%" r "15,%%" r "1\n" op " %%" r "14,%%" r           \
       "15,%%" r "2\n" op " %%" r "14,%%" r "15,%%" r "3\n" op " %%" r "14,%%" r "15,%%" r "4\n" op " %%" r     \
       "14,%%" r "15,%%" r "5\n" op " %%" r "14,%%" r "15,%%" r "6\n" op " %%" r "14,%%" r "15,%%" r "7\n" op   \
       " %%" r "14,%%" r "15,%%" r "8\n" op " %%" r "14,%%" r "15,%%" r "9\n" op " %%" r "14,%%" r "15,%%" r  \
       "10\n" op " %%" r "14,%%" r "15,%%" r "11\n"

__attribute__((target("avx512f"))) static double fma_loop512(long n) {
    double t = thread_cpu_s();
    __asm__ volatile("vpxord %%zmm14,%%zmm14,%%zmm14\n vpxord %%zmm15,%%zmm15,%%zmm15\n"
                     "1:\n" FMA12("vfmadd231ps", "zmm") "dec %0\n jnz 1b\n"
                     : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                       "xmm10", "xmm11", "xmm14", "xmm15", "cc");
    return thread_cpu_s() - t;
}

__attribute__((target("avx2,fma"))) static double fma_loop256(long n) {
    double t = thread_cpu_s();
    __asm__ volatile("vpxor %%ymm14,%%ymm14,%%ymm14\n vpxor %%ymm15,%%ymm15,%%ymm15\n"
                     "1:\n" FMA12("vfmadd231ps", "ymm") "dec %0\n jnz 1b\n"
                     : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                       "xmm10", "xmm11", "xmm14", "xmm15", "cc");
    return thread_cpu_s() - t;
}

/* fp32 GFLOP/s of one core (best of 5 CPU-timed runs of 12 x 4M FMAs), and the vector width used */
static double core_peak(const char **what) {
    const long n = 4000000;
    int lanes = 0;
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t;
        if (__builtin_cpu_supports("avx512f")) {
            t = fma_loop512(n);
            lanes = 16;
        } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            t = fma_loop256(n);
            lanes = 8;
        } else {
            *what = "no FMA unit";
            return 0.0;
        }
        if (t < best) best = t;
    }
    *what = lanes == 16 ? "AVX-512 FMA" : "AVX2 FMA";
    return 12.0 * (double)n * lanes * 2.0 / best * 1e-9;
}
#else
static double core_peak(const char **what) {
    *what = "not measured on this architecture";
    return 0.0;
}
#endif

/* ---------------------------------------------------------------- the peer */

/* Runs torch_vae.py conv on xpath for `epochs` epochs; returns the child's CPU seconds (or -1) and the
 * mean wall samples/s of its epochs after the first (or of the only one) in *wall_sps. */
static double run_peer(const char *peer, const char *xpath, const char *zpath, int epochs, int threads,
                       const char *coretype, double *wall_sps) {
    char cmd[4096], env[128] = "";
    if (coretype) snprintf(env, sizeof env, "env OPENBLAS_CORETYPE='%s' ", coretype);
    snprintf(cmd, sizeof cmd, "%s/usr/bin/python3 '%s' conv '%s' '%s' --epochs %d --threads %d 2>/dev/null", env,
             peer, xpath, zpath, epochs, threads);
    double c0 = child_cpu_s();
    FILE *p = popen(cmd, "r");
    if (!p) return -1.0;
    char line[512];
    double sum = 0.0, first = 0.0;
    int count = 0;
    while (fgets(line, sizeof line, p)) {
        const char *s = strstr(line, "samples_per_s=");
        if (!s) continue;
        double v = atof(s + 14);
        if (count == 0) first = v;
        else sum += v;
        count++;
    }
    int rc = pclose(p);
    if (rc != 0 || count == 0) return -1.0;
    *wall_sps = count > 1 ? sum / (count - 1) : first;
    return child_cpu_s() - c0;
}

/* ---------------------------------------------------------------- helpers */

/* Multiply-adds of one sample's forward through a layer (GEMM work only). */
static double layer_macs(mc_nn_layer *l) {
    mc_nn_param *w = mc_nn_layer_param(l, 0);
    int64_t shape[3];
    mc_nn_layer_out_shape(l, shape);
    switch (mc_nn_layer_kind(l)) {
    case MC_NN_KIND_LINEAR: return (double)w->numel;
    case MC_NN_KIND_CONV2D: return (double)w->numel * (double)(shape[1] * shape[2]);
    case MC_NN_KIND_CONV_TRANSPOSE2D:
        /* weight (c_in, c_out k k) times the input grid */
        return (double)w->numel * (double)(mc_nn_layer_in_numel(l) / w->shape[0]);
    default: return 0.0;
    }
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct conv_run {
    double wall_sps, best_sps, cpu_sps;
} conv_run;

static conv_run conv_steps(ref_vae *v, mc_nn_adam *opt, mc_rng *rng, const float *x, int batch, int steps,
                           int threads, bool print) {
    double loss = 0.0, best = 1e30, total = 0.0, cpu_total = 0.0;
    for (int s = 0; s <= steps; s++) { /* step 0 warms up (page faults, OpenMP pool) */
        double t0 = now_s(), c0 = cpu_s();
        mc_nn_params_zero_grad(v->params);
        mc_nn_normal_fill(rng, v->eps, (int64_t)batch * v->latent);
        die(ref_vae_forward_backward(v, batch, x, &loss, NULL, NULL), "step");
        mc_nn_adam_step(opt);
        double dt = now_s() - t0, dc = cpu_s() - c0;
        if (s > 0) {
            total += dt;
            cpu_total += dc;
            if (dt < best) best = dt;
        }
        if (print) printf("  step %d: %.3f s wall, %.3f s CPU, loss %.2f\n", s, dt, dc, loss);
    }
    conv_run r = {batch * steps / total, batch / best, batch * steps / (cpu_total / threads)};
    return r;
}

int main(int argc, char **argv) {
    int threads = 2, batch = 128, steps = 3, mlp_batch = 32, peer_samples = 256, rounds = 1;
    double mlp_seconds = 2.0;
    const char *peer = NULL, *precision = "fp32", *coretype = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mlp-batch")) mlp_batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mlp-seconds")) mlp_seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--peer")) peer = argv[i + 1];
        else if (!strcmp(argv[i], "--peer-samples")) peer_samples = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--precision")) precision = argv[i + 1];
        else if (!strcmp(argv[i], "--peer-coretype")) coretype = argv[i + 1];
        else {
            fprintf(stderr, "usage: bench_nn [--threads 2] [--batch 128] [--steps 3] [--mlp-batch 32] "
                            "[--mlp-seconds 2] [--peer torch_vae.py] [--peer-samples 256] [--rounds 1] "
                            "[--precision fp32|bf16] [--peer-coretype NAME]\n");
            return 2;
        }
    }
    if (argc % 2 == 0 || steps < 1 || rounds < 1 || batch < 1) {
        fprintf(stderr, "bench_nn: options come in pairs; steps, rounds and batch must be >= 1\n");
        return 2;
    }
    threads = mc_nn_set_threads(threads);
    const char *peak_what = "";
    const double peak = core_peak(&peak_what) * threads;

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
    mc_nn_precision prec, used_e = MC_NN_PRECISION_FP32, used_d = MC_NN_PRECISION_FP32;
    die(mc_nn_precision_parse(precision, &prec), "--precision");
    die(mc_nn_seq_set_precision(v.enc, prec, &used_e), "precision");
    die(mc_nn_seq_set_precision(v.dec, prec, &used_d), "precision");
    const bool bf16 = used_e == MC_NN_PRECISION_BF16 || used_d == MC_NN_PRECISION_BF16;
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
    const double gflop = 2.0 * macs * 1e-9;

    printf("== nn: conv beta-VAE (1x128x128, 4x Conv2d 32-256, latent 32, 4x ConvTranspose2d), batch %d, "
           "%d threads, %s ==\n", batch, threads,
           prec == MC_NN_PRECISION_FP32 ? "fp32"
           : bf16 ? "bf16 (the six 32-256-channel conv layers; the rest fp32)"
                  : "bf16 asked, fp32 used: no bf16 kernels on this CPU");
    printf("parameters: %lld trainable; %.3f GFLOP per sample per step; FMA peak %.0f GFLOP/s (%d x %s, "
           "measured)\n", (long long)mc_nn_params_trainable_numel(v.params), gflop, peak, threads, peak_what);

    /* the peer's input: the same kind of data, written once */
    char xpath[64] = "", zpath[64] = "";
    if (peer) {
        snprintf(xpath, sizeof xpath, "/tmp/bench_nn_%d_x.npy", (int)getpid());
        snprintf(zpath, sizeof zpath, "/tmp/bench_nn_%d_z.npy", (int)getpid());
        int64_t ps = peer_samples, shape[3] = {ps, 128, 128};
        float *px = mc_alloc((size_t)ps * 128 * 128, sizeof(float));
        if (!px) die(MC_STATUS_NO_MEMORY, "peer data");
        mc_nn_normal_fill(&rng, px, ps * 128 * 128);
        die(mc_npy_write(xpath, MC_DTYPE_F32, 3, shape, px), "peer data");
        mc_free(px);
    }
    double *r_wall = calloc((size_t)rounds, sizeof(double)), *r_cpu = calloc((size_t)rounds, sizeof(double));
    double *o_wall = calloc((size_t)rounds, sizeof(double)), *o_cpu = calloc((size_t)rounds, sizeof(double));
    int n_ratio = 0;
    for (int r = 0; r < rounds; r++) {
        conv_run o = conv_steps(&v, opt, &rng, x, batch, steps, threads, r == 0);
        o_wall[r] = o.wall_sps;
        o_cpu[r] = o.cpu_sps;
        printf("conv step%s: %.1f samples/s wall (best step %.1f), %.1f samples/s cpu; %.1f GFLOP/s wall, "
               "%.1f GFLOP/s cpu = %.0f%% of the FMA peak\n",
               rounds > 1 ? "" : "", o.wall_sps, o.best_sps, o.cpu_sps, o.wall_sps * gflop, o.cpu_sps * gflop,
               peak > 0 ? 100.0 * o.cpu_sps * gflop / peak : 0.0);
        if (peer) {
            double w1 = 0, w3 = 0;
            double c1 = run_peer(peer, xpath, zpath, 1, threads, NULL, &w1);
            double c3 = c1 >= 0 ? run_peer(peer, xpath, zpath, 3, threads, NULL, &w3) : -1;
            if (c1 < 0 || c3 < 0 || c3 <= c1) {
                printf("  peer: %s did not run (python3 with torch missing?)\n", peer);
            } else {
                double pcpu = 2.0 * peer_samples / ((c3 - c1) / threads);
                r_wall[n_ratio] = o.wall_sps / w3;
                r_cpu[n_ratio] = o.cpu_sps / pcpu;
                printf("  peer PyTorch (torch_vae.py conv, %d rows, %d threads): %.1f samples/s wall, %.1f cpu "
                       "-> ours %.2fx (wall), %.2fx (cpu)\n",
                       peer_samples, threads, w3, pcpu, r_wall[n_ratio], r_cpu[n_ratio]);
                n_ratio++;
            }
        }
    }
    if (peer && coretype) {
        double w1 = 0, w3 = 0;
        double c1 = run_peer(peer, xpath, zpath, 1, threads, coretype, &w1);
        double c3 = c1 >= 0 ? run_peer(peer, xpath, zpath, 3, threads, coretype, &w3) : -1;
        if (c1 >= 0 && c3 > c1)
            printf("  peer with OPENBLAS_CORETYPE=%s set for that child only (comparison; OpenBLAS's own pick here "
                   "is above): %.1f samples/s wall, %.1f cpu -> ours %.2fx (wall, last round), %.2fx (cpu)\n",
                   coretype, w3, 2.0 * peer_samples / ((c3 - c1) / threads), o_wall[rounds - 1] / w3,
                   o_cpu[rounds - 1] / (2.0 * peer_samples / ((c3 - c1) / threads)));
    }
    if (rounds > 1) {
        double bw = 0, bc = 0;
        for (int r = 0; r < rounds; r++) {
            if (o_wall[r] > bw) bw = o_wall[r];
            if (o_cpu[r] > bc) bc = o_cpu[r];
        }
        printf("conv over %d rounds: best %.1f / median %.1f samples/s wall, best %.1f / median %.1f cpu\n", rounds,
               bw, median(o_wall, rounds), bc, median(o_cpu, rounds));
    }
    if (n_ratio > 0) {
        double bw = 0, bc = 0;
        for (int r = 0; r < n_ratio; r++) {
            if (r_wall[r] > bw) bw = r_wall[r];
            if (r_cpu[r] > bc) bc = r_cpu[r];
        }
        printf("ratio to PyTorch over %d round(s): best %.2fx / median %.2fx (wall), best %.2fx / median %.2fx "
               "(cpu)\n", n_ratio, bw, median(r_wall, n_ratio), bc, median(r_cpu, n_ratio));
    }
    if (peer) {
        remove(xpath);
        remove(zpath);
    }
    free(r_wall);
    free(r_cpu);
    free(o_wall);
    free(o_cpu);

    /* per-layer breakdown of two more steps, from the layers' own timers */
    {
        mc_nn_layer *layers[16];
        int nl = 0;
        for (int i = 0; i < mc_nn_seq_count(v.enc); i++) layers[nl++] = mc_nn_seq_layer(v.enc, i);
        layers[nl++] = v.mu;
        layers[nl++] = v.lv;
        layers[nl++] = v.fc;
        for (int i = 0; i < mc_nn_seq_count(v.dec); i++) layers[nl++] = mc_nn_seq_layer(v.dec, i);
        for (int i = 0; i < nl; i++) mc_nn_layer_times_reset(layers[i]);
        mc_nn_set_profiling(true);
        const int ps = 2;
        double t0 = now_s(), c0 = cpu_s();
        conv_steps(&v, opt, &rng, x, batch, ps - 1, threads, false); /* ps steps (one "warm-up") */
        double wall = now_s() - t0, cpu = cpu_s() - c0;
        mc_nn_set_profiling(false);
        printf("per layer (ms per step, batch %d): forward wall / cpu, backward wall / cpu, GFLOP/s cpu\n", batch);
        double sw = 0, sc = 0;
        for (int i = 0; i < nl; i++) {
            double t[4];
            mc_nn_layer_times(layers[i], t);
            double m = layer_macs(layers[i]) * batch;
            double work = 2.0 * m * (1.0 + 1.0 + (mc_nn_layer_input_grad(layers[i]) ? 1.0 : 0.0));
            printf("  %-10s %8.1f %8.1f %8.1f %8.1f %8.1f\n", mc_nn_layer_name(layers[i]), 1e3 * t[0] / ps,
                   1e3 * t[1] / ps, 1e3 * t[2] / ps, 1e3 * t[3] / ps,
                   t[1] + t[3] > 0 ? work / ((t[1] + t[3]) / ps / threads) * 1e-9 : 0.0);
            sw += t[0] + t[2];
            sc += t[1] + t[3];
        }
        printf("  layers   %8.1f ms wall, %.1f ms cpu; the rest (loss, KL, reparam, zero_grad, Adam) %.1f ms wall, "
               "%.1f ms cpu\n", 1e3 * sw / ps, 1e3 * sc / ps, 1e3 * (wall - sw) / ps, 1e3 * (cpu - sc) / ps);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("conv peak memory (max RSS): %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    mc_nn_adam_free(opt);
    ref_vae_free(&v);
    mc_free(x);

    /* ------------------------------------------------------------ MLP VAE */
    const int d = 40;
    double loss = 0.0;
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
    double t0 = now_s(), c0 = cpu_s(), el = 0.0;
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
    double cel = cpu_s() - c0;
    double msps = (double)done / el;
    printf("== nn: MLP VAE (%d -> 64 -> 4), batch %d, %d threads ==\n", d, mlp_batch, threads);
    printf("mlp step: %.0f samples/s wall (%.1f us per step), %.0f samples per CPU second, loss %.3f; "
           "PyTorch 1.13 (measured earlier on this machine kind): %.0f samples/s -> %.1fx\n",
           msps, 1e6 * el / ((double)done / mlp_batch), (double)done / cel, loss, TORCH_MLP_SPS,
           msps / TORCH_MLP_SPS);
    mc_nn_adam_free(opt);
    ref_vae_free(&v);
    mc_free(x);
    return 0;
}
