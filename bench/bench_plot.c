/* Time to draw each chart of the report into an in-memory 800 x 600 PNG (and the 100,000-point scatter
 * as SVG too), best of `reps` renders. Synthetic data, so it needs nothing from ../shared/data.
 *
 *   bench_plot [reps]
 *
 * One line per chart: "plot <chart>: <ms> ms (<bytes> bytes)". bench/run.sh times matplotlib 3.6 (Agg)
 * drawing the same figures, for the ratio. */
#include <musiclust/plot.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Normal variates from a fixed-seed xorshift (Box-Muller): the same figure every run. */
static uint32_t rng_state = 12345;
static double uni(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (rng_state + 0.5) / 4294967296.0;
}
static double gauss(void) { return sqrt(-2 * log(uni())) * cos(6.283185307179586 * uni()); }

static void timeit(const char *name, const mc_plot *p, mc_plot_format fmt, int reps) {
    double best = 1e30;
    size_t bytes = 0;
    for (int r = 0; r < reps; r++) {
        unsigned char *buf = NULL;
        double t = wall_s();
        mc_status st = mc_plot_render_buffer(p, fmt, &buf, &bytes, NULL);
        t = wall_s() - t;
        if (st != MC_STATUS_OK) {
            fprintf(stderr, "bench_plot: %s: %s\n", name, mc_error_message());
            exit(1);
        }
        mc_free(buf);
        if (t < best) best = t;
    }
    printf("plot %-28s %8.1f ms (%zu bytes)\n", name, best * 1e3, bytes);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    if (reps < 1) reps = 1;
    mc_plot p;

    enum { N = 100000, K = 10 };
    float *xy = malloc(sizeof(float) * 2 * N);   /* (N, 2) */
    int32_t *cat = malloc(sizeof(int32_t) * N); /* (N) */
    if (!xy || !cat) return 1;
    for (int i = 0; i < N; i++) {
        int k = i % (K + 1) - 1;
        cat[i] = k;
        double cx = k < 0 ? 0 : 8 * cos(k * 0.63), cy = k < 0 ? 0 : 8 * sin(k * 0.63);
        xy[2 * i] = (float)(cx + 1.5 * gauss());
        xy[2 * i + 1] = (float)(cy + 1.5 * gauss());
    }
    mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
    p.title = "100,000 points";
    p.xlabel = "t-SNE 1";
    p.ylabel = "t-SNE 2";
    p.scatter.xy = xy;
    p.scatter.n = N;
    p.scatter.category = cat;
    timeit("scatter 100k (png)", &p, MC_PLOT_FORMAT_PNG, reps);
    timeit("scatter 100k (svg)", &p, MC_PLOT_FORMAT_SVG, reps);
    p.scatter.n = 3000;
    timeit("scatter 3k (png)", &p, MC_PLOT_FORMAT_PNG, reps);

    int64_t counts[11 * 10]; /* (11, 10) */
    for (int i = 0; i < 110; i++) counts[i] = (i / 10 - 1 == i % 10) ? 90 : (int64_t)(uni() * 12);
    mc_plot_init(&p, MC_PLOT_KIND_HEATMAP);
    p.title = "Clusters vs genres";
    p.heatmap.counts = counts;
    p.heatmap.rows = 11;
    p.heatmap.cols = 10;
    timeit("heatmap 11x10 (png)", &p, MC_PLOT_FORMAT_PNG, reps);

    enum { M = 128, F = 130 };
    float *spec = malloc(sizeof(float) * 2 * M * F); /* two (M, F) panels */
    if (!spec) return 1;
    for (int i = 0; i < 2 * M * F; i++) spec[i] = (float)(-80 + 70 * exp(-(i / F % M) / 30.0) + 3 * gauss());
    mc_plot_panel panels[2] = {{spec, M, F, "original"}, {spec + M * F, M, F, "reconstructed"}};
    mc_plot_init(&p, MC_PLOT_KIND_SPECTROGRAM);
    p.title = "Log-mel";
    p.spectrogram.panels = panels;
    p.spectrogram.n_panels = 2;
    timeit("spectrogram 2x128x130 (png)", &p, MC_PLOT_FORMAT_PNG, reps);

    enum { E = 100 };
    double y[4][E];
    for (int e = 0; e < E; e++) {
        y[0][e] = 50 * exp(-e / 15.0) + 20;
        y[1][e] = 52 * exp(-e / 15.0) + 22;
        y[2][e] = 3 + 5 * (1 - exp(-e / 10.0));
        y[3][e] = y[2][e] * 1.05;
    }
    mc_plot_series ser[4] = {{NULL, y[0], E, "train recon", 1, false}, {NULL, y[1], E, "val recon", 1, true},
                             {NULL, y[2], E, "train KL", 2, false}, {NULL, y[3], E, "val KL", 2, true}};
    mc_plot_init(&p, MC_PLOT_KIND_LINE);
    p.title = "Losses";
    p.line.series = ser;
    p.line.n_series = 4;
    timeit("line 4x100 (png)", &p, MC_PLOT_FORMAT_PNG, reps);

    double vals[20], errs[20]; /* (5, 4) */
    for (int i = 0; i < 20; i++) {
        vals[i] = uni() - 0.2;
        errs[i] = 0.05 * uni();
    }
    mc_plot_init(&p, MC_PLOT_KIND_BAR);
    p.title = "Scores";
    p.bar.values = vals;
    p.bar.errors = errs;
    p.bar.n_groups = 5;
    p.bar.n_series = 4;
    timeit("bar 5x4 (png)", &p, MC_PLOT_FORMAT_PNG, reps);

    free(xy);
    free(cat);
    free(spec);
    return 0;
}
