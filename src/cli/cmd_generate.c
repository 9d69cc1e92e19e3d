/* musiclust generate: sample a log-mel model (cvae --input logmel, or conv-vae) for conditions, or
 * interpolate between two tracks' latent codes, and turn the decoded log-mel spectrograms into WAV files
 * (mel -> linear spectrogram -> Griffin-Lim, include/musiclust/models.h). */
#include "cli.h"

#include <musiclust/audio.h>
#include <musiclust/models.h>
#include <musiclust/plot.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "generate"

/* LeakSanitizer hook (sanitizer/lsan_interface.h), read at exit in the ASan build: fontconfig, which
 * cairo's toy font API loads for the PNG's text, keeps its configuration unreachable at exit (see
 * tests/test_plot.c). Only allocations made inside libfontconfig are excused. Weak, so that one
 * definition elsewhere in the program (e.g. for other plotting commands) replaces this one. */
__attribute__((weak, used, visibility("default"))) const char *__lsan_default_suppressions(void);
__attribute__((weak, used, visibility("default"))) const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\n";
}

/* A class name made safe as a file name: [A-Za-z0-9._-] kept, anything else '_'. */
static void safe_name(const char *s, char *out, size_t cap) {
    size_t k = 0;
    for (; *s && k + 1 < cap; s++) {
        char ch = *s;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        out[k++] = ok ? ch : '_';
    }
    if (k == 0 && cap > 1) out[k++] = '_';
    out[k] = '\0';
}

/* One generated clip's bookkeeping. */
typedef struct clip_info {
    char file[300];       /* WAV file name inside DIR */
    const char *cond;     /* condition value, "" for none */
    double t;             /* interpolation weight, NAN when sampling */
    double gain;          /* applied to keep the peak below 1 (1 = none) */
    double peak;          /* max |y| before the gain */
} clip_info;

/* Write every clip (rows of audio, samples each) as 16-bit WAV, scaling a clip down to a peak of 0.99
 * when it would clip; then the table DIR/generate.tsv. */
static mc_status write_clips(const char *dir, clip_info *info, float *audio, int64_t n, int64_t samples,
                             int sr, const double *resid, const double *sc, bool quiet) {
    char path[4096];
    for (int64_t i = 0; i < n; i++) {
        float *y = audio + i * samples;
        double peak = 0;
        for (int64_t j = 0; j < samples; j++) peak = fmax(peak, fabs((double)y[j]));
        info[i].peak = peak;
        info[i].gain = 1.0;
        if (peak > 1.0) {
            info[i].gain = 0.99 / peak;
            for (int64_t j = 0; j < samples; j++) y[j] = (float)(y[j] * info[i].gain);
            if (!quiet)
                mc_log(MC_LOG_LEVEL_INFO, "%s: peak %.2f scaled to 0.99 to fit 16-bit PCM", info[i].file, peak);
        }
        snprintf(path, sizeof path, "%s/%s", dir, info[i].file);
        mc_status st = mc_audio_write(path, y, samples, 1, sr, MC_AUDIO_FORMAT_WAV_PCM16);
        if (st != MC_STATUS_OK) return st;
    }
    snprintf(path, sizeof path, "%s/generate.tsv", dir);
    FILE *f = NULL;
    char *tmp = NULL;
    mc_status st = mc_file_open_tmp(path, &f, &tmp);
    if (st != MC_STATUS_OK) return st;
    fputs("file\tcondition\tt\tseconds\tpeak\tgain\tmel_residual\tspectral_convergence\n", f);
    for (int64_t i = 0; i < n; i++) {
        mc_csv_write_field(f, info[i].file, '\t');
        fputc('\t', f);
        mc_csv_write_field(f, info[i].cond, '\t');
        if (isnan(info[i].t)) fputs("\t", f);
        else fprintf(f, "\t%.4g", info[i].t);
        fprintf(f, "\t%.4f\t%.4f\t%.4g\t%.3g\t%.4f\n", (double)samples / sr, info[i].peak, info[i].gain,
                resid[i], sc[i]);
    }
    st = mc_file_commit(f, tmp, path);
    free(tmp);
    return st;
}

/* A picture of up to 16 generated log-mel spectrograms side by side (one colour scale), as PNG. */
static mc_status plot_logmel(const char *path, const char *title, const float *logmel, int64_t n, int n_mels,
                             int frames, double frame_s, const clip_info *info) {
    mc_plot_panel panels[16];
    const int np = n < 16 ? (int)n : 16;
    for (int k = 0; k < np; k++) {
        panels[k].data = logmel + (int64_t)k * n_mels * frames; /* (n_mels, frames) */
        panels[k].rows = n_mels;
        panels[k].cols = frames;
        panels[k].title = info[k].file;
    }
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_SPECTROGRAM);
    p.title = title;
    p.width = 260 * np + 200 > 800 ? 260 * np + 200 : 800;
    p.height = 420;
    p.spectrogram.panels = panels;
    p.spectrogram.n_panels = np;
    p.spectrogram.frame_seconds = frame_s;
    return mc_plot_render(&p, path, NULL);
}

/* --check: the generation check of models.h into DIR/check.tsv (one row per class, then "all"). */
static int run_check(mc_model *m, const char *model_path, const char *featdir, int per_class, uint64_t seed, int threads,
                     const char *dir, bool quiet) {
    mc_gen_check_config gc;
    mc_gen_check_config_default(&gc);
    gc.per_class = per_class;
    gc.seed = seed;
    gc.threads = threads;
    mc_gen_check r;
    mc_status st = mc_model_generation_check(m, featdir, &gc, &r);
    if (st == MC_STATUS_UNSUPPORTED || st == MC_STATUS_EMPTY || st == MC_STATUS_FORMAT)
        return cli_input(CMD, "%s: %s", model_path, mc_error_message());
    if (st != MC_STATUS_OK) return cli_fail(CMD, st);
    st = mc_mkdirs(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/check.tsv", dir);
    if (st == MC_STATUS_OK) st = mc_gen_check_write(&r, path);
    if (st != MC_STATUS_OK) {
        mc_gen_check_free(&r);
        return cli_fail(CMD, st);
    }
    if (!quiet) {
        printf("generation check of %s against %s (%d clips per class, %d-NN on z-scored MFCC statistics, %d columns)\n",
               model_path, featdir, r.per_class, r.k, r.dim);
        printf("%-14s %8s %12s %14s %14s\n", "class", "k-NN acc", "FD real/gen", "FD real/other", "(nearest)");
        for (int c = 0; c < r.n_classes; c++)
            printf("%-14s %8.3f %12.2f %14.2f %14.2f\n", r.classes[c], r.knn_accuracy[c], r.fd_generated[c],
                   r.fd_other_mean[c], r.fd_other_min[c]);
        printf("%-14s %8.3f %12.2f %14.2f   (chance %.3f) -> %s\n", "all", r.accuracy, r.fd_generated_mean, r.fd_other_mean_mean, 1.0 / r.n_classes, path);
    }
    mc_gen_check_free(&r);
    return MC_EXIT_OK;
}

/* Pull "--interpolate A B" out of argv (the option parser takes one value per option). Returns -1 to go
 * on, or an exit status after a usage error. */
static int take_interpolate(const cli_command *cmd, int *argc, char **argv, const char **a, const char **b) {
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--interpolate") != 0) continue;
        if (*a) return cli_usage(cmd, "--interpolate given twice");
        if (i + 2 >= *argc) return cli_usage(cmd, "--interpolate needs two tracks: --interpolate A B");
        if (argv[i + 1][0] == '-' || argv[i + 2][0] == '-')
            return cli_usage(cmd, "--interpolate needs two tracks: --interpolate A B (got '%s' '%s')", argv[i + 1],
                             argv[i + 2]);
        *a = argv[i + 1];
        *b = argv[i + 2];
        for (int k = i; k + 3 < *argc; k++) argv[k] = argv[k + 3];
        *argc -= 3;
        i--;
    }
    return -1;
}

int cmd_generate(int argc, char **argv) {
    const char *out = NULL, *condition = NULL, *featdir = NULL, *interp_a = NULL, *interp_b = NULL;
    const char *interp_help = NULL; /* only for --help: the option is taken out of argv beforehand */
    int n_per = 3, n_iter = -1, nnls_iter = -1, steps = 5, threads = 0, sr = 0, n_fft = 0, hop = 0;
    double momentum = NAN, f_min = NAN, f_max = NAN;
    uint64_t seed = 0;
    bool quiet = false, check = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "DIR", "folder for the WAV files, the log-mel .npy files and generate.tsv (required)"},
        {"condition", 0, CLI_STRING, &condition, "COL=V[,V]", "cvae: the class(es) to generate, e.g. genre=jazz or genre=jazz,metal (default: every class)"},
        {"n", 'n', CLI_INT, &n_per, "N", "clips per condition (default 3)"},
        {"seed", 0, CLI_U64, &seed, "S", "seed of the latent samples and of Griffin-Lim's initial phases (default 0)"},
        {"iter", 0, CLI_INT, &n_iter, "N", "Griffin-Lim iterations (default 32, as librosa)"},
        {"momentum", 0, CLI_DOUBLE, &momentum, "M", "Griffin-Lim momentum (default 0.99; 0 = the original algorithm)"},
        {"nnls-iter", 0, CLI_INT, &nnls_iter, "N", "iterations of the mel -> linear spectrogram inversion (default 200)"},
        {"interpolate", 0, CLI_STRING, &interp_help, "A B", "decode (1-t) mu_A + t mu_B between two tracks of --featdir (file stem, track_id or row number)"},
        {"steps", 0, CLI_INT, &steps, "N", "with --interpolate: points t = 0, 1/(N-1), ..., 1 (default 5)"},
        {"featdir", 0, CLI_STRING, &featdir, "FEATDIR", "the model's feature store: its extract.json gives sr, n_fft, hop, fmin, fmax; needed by --interpolate"},
        {"sr", 0, CLI_INT, &sr, "HZ", "sample rate of the features and the WAV files (default: FEATDIR's, else 22050)"},
        {"n-fft", 0, CLI_INT, &n_fft, "N", "FFT size of the features (default: FEATDIR's, else 2048)"},
        {"hop", 0, CLI_INT, &hop, "N", "hop of the features (default: FEATDIR's, else 512)"},
        {"fmin", 0, CLI_DOUBLE, &f_min, "HZ", "lowest mel band edge (default: FEATDIR's, else 0)"},
        {"fmax", 0, CLI_DOUBLE, &f_max, "HZ", "highest mel band edge (default: FEATDIR's, else sr/2)"},
        {"check", 0, CLI_FLAG, &check, NULL, "no audio: measure the model's generations against --featdir's real segments (k-NN genre accuracy and Fréchet distances of MFCC statistics, --n clips per class, default 50) into DIR/check.tsv"},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (default: all cores); the output does not depend on it"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no summary (warnings still shown)"},
    };
    const cli_command cmd = {
        CMD, "musiclust generate [options] MODEL -o DIR   (or: MODEL --interpolate A B --featdir FEATDIR -o DIR)",
        "Make audio with a model trained on log-mel spectrograms (musiclust train --model cvae --input\n"
        "logmel --condition COLUMN, or --model conv-vae). Sampling: z ~ N(0, I) (seeded), decoded with\n"
        "the condition's one-hot, gives a log-mel spectrogram in dB (the model's normalisation undone);\n"
        "dB -> power, mel -> linear power by non-negative least squares (librosa's mel_to_stft problem),\n"
        "square root, then 'fast' Griffin-Lim (librosa.griffinlim, momentum 0.99) -> 16-bit WAV at the\n"
        "features' sample rate (a clip whose peak exceeds 1 is scaled to 0.99). Writes\n"
        "DIR/<value>_<i>.wav, DIR/<value>.logmel.npy (n, n_mels, frames), DIR/<value>.png (the\n"
        "spectrograms) and DIR/generate.tsv (per clip: peak, gain, mel residual, spectral convergence).\n"
        "--interpolate A B encodes the first segment of tracks A and B to their latent means and decodes\n"
        "(1-t) mu_A + t mu_B with A's class (or --condition's) into DIR/interp_<k>.wav,\n"
        "DIR/interp.logmel.npy and DIR/interp.png. A model trained on MFCC statistics (vectors) cannot\n"
        "make audio (exit 1).\n\nExamples:\n  musiclust generate cvae.safetensors --condition genre=jazz -o samples\n  musiclust generate conv.safetensors --interpolate 0 12 --featdir feats -o interp",
        opts, (int)(sizeof opts / sizeof opts[0]), 1, 1};
    int rc = take_interpolate(&cmd, &argc, argv, &interp_a, &interp_b);
    if (rc >= 0) return rc;
    const char **pos = NULL;
    int npos = 0;
    rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    const char *model_path = pos[0];
    free(pos);
    if (!out) return cli_usage(&cmd, "-o DIR is required");
    if (interp_help) return cli_usage(&cmd, "--interpolate takes two tracks: --interpolate A B");
    if (check && !cli_given(&n_per)) n_per = 50;
    if (n_per < 1 || n_per > 10000) return cli_usage(&cmd, "--n must be in 1..10000, got %d", n_per);
    if (check && (!featdir || interp_a)) return cli_usage(&cmd, "--check needs --featdir FEATDIR (the real segments) and no --interpolate");
    if (check && n_per < 2) return cli_usage(&cmd, "--check needs --n >= 2");
    if (interp_a && !featdir) return cli_usage(&cmd, "--interpolate needs the feature store the tracks are in: --featdir FEATDIR");
    if (steps < 2 || steps > 1000) return cli_usage(&cmd, "--steps must be in 2..1000, got %d", steps);
    if (n_iter < -1 || nnls_iter < -1) return cli_usage(&cmd, "--iter and --nnls-iter must be >= 0");
    if (!isnan(momentum) && !(momentum >= 0)) return cli_usage(&cmd, "--momentum must be >= 0, got %g", momentum);

    mc_model *m = NULL;
    mc_status st = mc_model_load(model_path, &m);
    if (st != MC_STATUS_OK) return cli_fail(CMD, st);
    int exit_code = MC_EXIT_OK;
    float *z = NULL, *logmel = NULL, *audio = NULL;
    double *resid = NULL, *sc = NULL;
    int32_t *codes = NULL;
    clip_info *info = NULL;
    char **values = NULL;
    int n_values = 0;
    char *cond_copy = NULL;
    mc_model_data data;
    memset(&data, 0, sizeof data);
/* the error idiom of cli.h, with the cleanup below */
#define FAIL_USAGE(...) do { exit_code = cli_usage(&cmd, __VA_ARGS__); goto done; } while (0)
#define FAIL_INPUT(...) do { exit_code = cli_input(CMD, __VA_ARGS__); goto done; } while (0)
#define FAIL_ST(s) do { exit_code = cli_fail(CMD, (s)); goto done; } while (0)

    st = mc_model_check_audio(m);
    if (st != MC_STATUS_OK) FAIL_INPUT("%s: %s", model_path, mc_error_message());
    if (check) {
        exit_code = run_check(m, model_path, featdir, n_per, seed, threads, out, quiet);
        goto done;
    }
    const mc_model_config *mcfg = mc_model_get_config(m);
    int in_ndim = 0;
    int64_t in_shape[3];
    mc_model_input_shape(m, &in_ndim, in_shape);
    const int n_mels = (int)in_shape[0], frames = (int)in_shape[1];
    const int Z = mc_model_latent_dim(m);
    int n_classes = 0;
    const char *const *classes = mc_model_classes(m, &n_classes);

    /* the features' parameters: FEATDIR/extract.json, then the options */
    mc_model_audio_config ac;
    mc_model_audio_config_default(&ac);
    if (featdir) {
        st = mc_model_audio_config_from_store(featdir, &ac);
        if (st != MC_STATUS_OK) FAIL_INPUT("%s", mc_error_message());
        if (ac.n_mels != n_mels)
            FAIL_INPUT("%s has %d mel bands, the model %s was trained on %d", featdir, ac.n_mels, model_path, n_mels);
    }
    if (sr) ac.sr = sr;
    if (n_fft) ac.n_fft = n_fft;
    if (hop) ac.hop = hop;
    if (!isnan(f_min)) ac.fmin = f_min;
    if (!isnan(f_max)) ac.fmax = f_max;
    if (n_iter >= 0) ac.n_iter = n_iter;
    if (nnls_iter >= 0) ac.nnls_iter = nnls_iter;
    if (!isnan(momentum)) ac.momentum = momentum;
    ac.n_mels = n_mels;
    ac.threads = threads;
    if (ac.sr < 1 || ac.n_fft < 16 || ac.hop < 1) FAIL_USAGE("--sr, --n-fft and --hop must be positive (n-fft >= 16)");

    /* the condition option: COLUMN=V1,V2 (or V1,V2 for the model's column) */
    if (condition) {
        if (n_classes == 0)
            FAIL_INPUT("%s is a %s model without a condition; leave out --condition", model_path,
                       mc_model_kind_name(mcfg->kind));
        cond_copy = mc_strdup(condition);
        if (!cond_copy) FAIL_ST(MC_STATUS_NO_MEMORY);
        char *vals = cond_copy;
        char *eq = strchr(cond_copy, '=');
        if (eq) {
            *eq = '\0';
            if (strcmp(cond_copy, mcfg->condition) != 0)
                FAIL_INPUT("%s is conditioned on '%s', not '%s' (--condition %s=VALUE)", model_path,
                           mcfg->condition, cond_copy, mcfg->condition);
            vals = eq + 1;
        }
        values = mc_calloc(strlen(vals) + 1, sizeof *values);
        if (!values) FAIL_ST(MC_STATUS_NO_MEMORY);
        for (char *tok = vals;;) {
            char *comma = strchr(tok, ',');
            if (comma) *comma = '\0';
            if (!*tok) FAIL_USAGE("--condition has an empty value: '%s'", condition);
            values[n_values++] = tok;
            if (!comma) break;
            tok = comma + 1;
        }
    }

    const int64_t samples = mc_model_audio_samples(&ac, frames);
    int64_t rows = 0;
    if (interp_a) {
        /* ---- interpolation between two tracks' latent means */
        if (n_values > 1) FAIL_USAGE("--interpolate takes one condition value, got %d", n_values);
        int64_t ra = -1, rb = -1;
        st = mc_model_find_row(featdir, interp_a, &ra);
        if (st == MC_STATUS_OK) st = mc_model_find_row(featdir, interp_b, &rb);
        if (st != MC_STATUS_OK) FAIL_INPUT("%s", mc_error_message());
        st = mc_model_data_load(featdir, MC_MODEL_INPUT_LOGMEL, n_classes > 0 ? mcfg->condition : NULL, &data);
        if (st != MC_STATUS_OK) FAIL_ST(st);
        /* the two rows as a data set of their own */
        const int64_t per = data.shape[1] * data.shape[2];
        float *x2 = mc_alloc((size_t)(2 * per), sizeof(float)); /* (2, n_mels, T) */
        float mu[2 * 4096];
        if (Z > 4096) { mc_free(x2); FAIL_INPUT("latent dimension %d is too large to interpolate", Z); }
        if (!x2) FAIL_ST(MC_STATUS_NO_MEMORY);
        memcpy(x2, data.x + ra * per, (size_t)per * sizeof(float));
        memcpy(x2 + per, data.x + rb * per, (size_t)per * sizeof(float));
        int32_t c2[2] = {data.codes ? data.codes[ra] : -1, data.codes ? data.codes[rb] : -1};
        mc_model_data d2;
        memset(&d2, 0, sizeof d2);
        d2.n = 2;
        d2.ndim = 3;
        d2.shape[0] = 2;
        d2.shape[1] = data.shape[1];
        d2.shape[2] = data.shape[2];
        d2.x = x2;
        d2.codes = data.codes ? c2 : NULL;
        d2.n_classes = data.n_classes;
        d2.classes = data.classes;
        st = mc_model_encode(m, &d2, threads, mu, NULL, NULL);
        mc_free(x2);
        if (st != MC_STATUS_OK) FAIL_ST(st);
        /* the condition: --condition's value, else track A's class (none: the all-zero condition) */
        int code = -1;
        const char *cname = "";
        if (n_values == 1) {
            cname = values[0];
        } else if (n_classes > 0 && data.codes && data.codes[ra] >= 0) {
            cname = data.classes[data.codes[ra]];
        }
        if (*cname) {
            st = mc_model_class_index(m, cname, &code);
            if (st != MC_STATUS_OK) FAIL_INPUT("%s", mc_error_message());
        }
        rows = steps;
        z = mc_alloc((size_t)rows * Z, sizeof(float));
        codes = mc_calloc((size_t)rows, sizeof *codes);
        info = mc_calloc((size_t)rows, sizeof *info);
        if (!z || !codes || !info) FAIL_ST(MC_STATUS_NO_MEMORY);
        for (int k = 0; k < steps; k++) {
            const double t = (double)k / (steps - 1);
            for (int j = 0; j < Z; j++) z[k * Z + j] = (float)((1.0 - t) * mu[j] + t * mu[Z + j]);
            codes[k] = code;
            snprintf(info[k].file, sizeof info[k].file, "interp_%d.wav", k);
            info[k].cond = cname;
            info[k].t = t;
        }
    } else {
        /* ---- samples per condition value */
        if (n_classes > 0 && n_values == 0) { /* every class */
            values = mc_calloc((size_t)n_classes, sizeof *values);
            if (!values) FAIL_ST(MC_STATUS_NO_MEMORY);
            for (int k = 0; k < n_classes; k++) values[n_values++] = (char *)classes[k];
        }
        const int groups = n_values > 0 ? n_values : 1;
        int32_t *group_code = mc_calloc((size_t)groups, sizeof *group_code);
        if (!group_code) FAIL_ST(MC_STATUS_NO_MEMORY);
        for (int g = 0; g < n_values; g++)
            if ((st = mc_model_class_index(m, values[g], &group_code[g])) != MC_STATUS_OK) {
                free(group_code);
                FAIL_INPUT("%s", mc_error_message());
            }
        if (n_values == 0) group_code[0] = -1;
        rows = (int64_t)groups * n_per;
        z = mc_alloc((size_t)rows * Z, sizeof(float));
        codes = mc_calloc((size_t)rows, sizeof *codes);
        info = mc_calloc((size_t)rows, sizeof *info);
        if (!z || !codes || !info) { free(group_code); FAIL_ST(MC_STATUS_NO_MEMORY); }
        mc_rng rng;
        mc_rng_seed(&rng, seed, 0);
        mc_model_sample_latent(m, &rng, rows, z);
        char safe[256];
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < n_per; i++) {
                const int64_t r = (int64_t)g * n_per + i;
                codes[r] = group_code[g];
                safe_name(n_values > 0 ? values[g] : "sample", safe, sizeof safe);
                snprintf(info[r].file, sizeof info[r].file, "%s_%d.wav", safe, i);
                info[r].cond = n_values > 0 ? values[g] : "";
                info[r].t = NAN;
            }
        free(group_code);
    }

    /* decode, invert, write */
    logmel = mc_alloc((size_t)rows * (size_t)n_mels * (size_t)frames, sizeof(float)); /* (rows, n_mels, frames) */
    audio = mc_alloc((size_t)rows * (size_t)(samples > 0 ? samples : 1), sizeof(float)); /* (rows, samples) */
    resid = mc_calloc((size_t)rows, sizeof *resid);
    sc = mc_calloc((size_t)rows, sizeof *sc);
    if (!logmel || !audio || !resid || !sc) FAIL_ST(MC_STATUS_NO_MEMORY);
    st = mc_model_decode(m, z, n_classes > 0 ? codes : NULL, rows, threads, logmel);
    if (st != MC_STATUS_OK) FAIL_ST(st);
    st = mc_model_logmel_to_audio(&ac, logmel, rows, n_mels, frames, seed, audio, resid, sc);
    if (st != MC_STATUS_OK) FAIL_INPUT("%s", mc_error_message());
    st = mc_mkdirs(out);
    if (st != MC_STATUS_OK) FAIL_ST(st);
    char path[4096], safe[256];
    const int64_t per_file = interp_a ? rows : n_per;
    for (int64_t r0 = 0; r0 < rows; r0 += per_file) {
        if (interp_a) snprintf(path, sizeof path, "%s/interp.logmel.npy", out);
        else {
            safe_name(n_values > 0 ? values[r0 / n_per] : "samples", safe, sizeof safe);
            snprintf(path, sizeof path, "%s/%s.logmel.npy", out, safe);
        }
        const int64_t shape[3] = {per_file, n_mels, frames};
        st = mc_npy_write(path, MC_DTYPE_F32, 3, shape, logmel + r0 * n_mels * frames);
        if (st != MC_STATUS_OK) FAIL_ST(st);
        /* the same spectrograms as a picture: DIR/<value>.png (interp.png) */
        char title[300];
        if (interp_a) snprintf(title, sizeof title, "interpolation %s -> %s", interp_a, interp_b);
        else if (n_values > 0) snprintf(title, sizeof title, "%s = %s", mcfg->condition, values[r0 / n_per]);
        else snprintf(title, sizeof title, "samples");
        memcpy(path + strlen(path) - strlen(".logmel.npy"), ".png", 5);
        st = plot_logmel(path, title, logmel + r0 * n_mels * frames, per_file, n_mels, frames,
                         (double)ac.hop / ac.sr, info + r0);
        if (st != MC_STATUS_OK) FAIL_ST(st);
    }
    st = write_clips(out, info, audio, rows, samples, ac.sr, resid, sc, quiet);
    if (st != MC_STATUS_OK) FAIL_ST(st);
    if (!quiet) {
        double lo = INFINITY, hi = 0;
        for (int64_t r = 0; r < rows; r++) {
            lo = fmin(lo, sc[r]);
            hi = fmax(hi, sc[r]);
        }
        if (interp_a)
            printf("interpolated %s -> %s in %d steps", interp_a, interp_b, steps);
        else if (n_values > 0)
            printf("generated %d clip%s for each of %d %s value%s", n_per, n_per > 1 ? "s" : "", n_values,
                   mcfg->condition, n_values > 1 ? "s" : "");
        else
            printf("generated %d clip%s", n_per, n_per > 1 ? "s" : "");
        printf(": %.2f s at %d Hz, %d Griffin-Lim iterations, spectral convergence %.3f..%.3f -> %s\n",
               (double)samples / ac.sr, ac.sr, ac.n_iter, lo, hi, out);
    }
done:
    free(cond_copy);
    free(values);
    free(codes);
    free(info);
    free(resid);
    free(sc);
    mc_free(z);
    mc_free(logmel);
    mc_free(audio);
    mc_model_data_free(&data);
    mc_model_free(m);
    return exit_code;
}
