/* musiclust train: feature store -> model file (the VAE family of include/musiclust/models.h). */
#include "cli.h"

#include <musiclust/models.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "64" or "128,64" -> widths; "0" = none. Returns the count, or -1 if malformed. */
static int parse_list(const char *s, int *v, int max) {
    if (strcmp(s, "0") == 0) return 0;
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end = NULL;
        long x = strtol(p, &end, 10);
        if (end == p || x < 1 || x > 1 << 20 || n >= max || (*end && *end != ',')) return -1;
        v[n++] = (int)x;
        p = *end ? end + 1 : end;
        if (*end && !*p) return -1;
    }
    return n;
}

/* MODEL.safetensors -> MODEL.loss.tsv (other names: + ".loss.tsv"). Caller frees. */
static char *loss_path(const char *model) {
    size_t n = strlen(model);
    const char *ext = ".safetensors";
    size_t e = strlen(ext);
    char *p = mc_calloc(n + 16, 1);
    if (!p) return NULL;
    if (n > e && strcmp(model + n - e, ext) == 0) snprintf(p, n + 16, "%.*s.loss.tsv", (int)(n - e), model);
    else snprintf(p, n + 16, "%s.loss.tsv", model);
    return p;
}

static int train(int argc, char **argv, mc_lock **lock) {
    const char *out = NULL, *model_name = NULL, *hidden = NULL, *channels = NULL, *condition = NULL,
               *input = NULL, *features = NULL, *fusion = NULL, *lyr_hidden = NULL, *fuse_hidden = NULL, *lyr_norm = NULL;
    int latent = -1, warmup = -1, frames = -1, epochs = -1, batch = -1, patience = -1, threads = 0,
        stop_after = 0;
    double beta = NAN, lr = NAN, val = NAN, clip = NAN, w_audio = NAN, w_lyrics = NAN;
    const char *precision = NULL;
    uint64_t seed = 0;
    bool quiet = false, resume = false, low_memory = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "MODEL", "model file to write (required); also the checkpoint, rewritten after every epoch"},
        {"model", 'm', CLI_STRING, &model_name, "NAME", "vae, ae, beta-vae, conv-vae, cvae or mm-vae (default vae)"},
        {"latent", 0, CLI_INT, &latent, "D", "latent dimension (default 4; conv-vae and --input logmel 32)"},
        {"hidden", 0, CLI_STRING, &hidden, "LIST", "MLP hidden widths, e.g. 64 or 128,64; 0 = none (default 64; mm-vae: the audio encoder's, >= 1 layer)"},
        {"channels", 0, CLI_STRING, &channels, "LIST", "conv channels of the stride-2 layers (default 32,64,128,256)"},
        {"beta", 0, CLI_DOUBLE, &beta, "B", "KL weight (default 1; beta-vae and conv-vae 4; ignored by ae)"},
        {"warmup", 0, CLI_INT, &warmup, "N", "ramp the KL weight linearly over the first N epochs: beta*epoch/N (default 0)"},
        {"condition", 0, CLI_STRING, &condition, "COLUMN", "cvae (required), mm-vae (optional): the label column to condition on (e.g. genre); empty labels get a zero vector"},
        {"input", 0, CLI_STRING, &input, "KIND", "cvae, mm-vae: vectors (MLP on the --features set, default) or logmel (the conv network)"},
        {"features", 0, CLI_STRING, &features, "SET", "vectors the MLP reads: mfcc (mfcc_stats.npy or features.npy, default), descriptors (descriptors.npy) or mfcc+descriptors (both side by side); kept in the model for embed"},
        {"fusion", 0, CLI_STRING, &fusion, "KIND", "mm-vae: concat (hidden features concatenated + shared layers, default) or poe (product of experts)"},
        {"audio-weight", 0, CLI_DOUBLE, &w_audio, "W", "mm-vae: weight of the audio reconstruction error (default 1)"},
        {"lyrics-weight", 0, CLI_DOUBLE, &w_lyrics, "W", "mm-vae: weight of the lyrics reconstruction error (default 1)"},
        {"lyrics-hidden", 0, CLI_STRING, &lyr_hidden, "LIST", "mm-vae: lyrics encoder hidden widths, >= 1 layer (default 32)"},
        {"fuse-hidden", 0, CLI_STRING, &fuse_hidden, "LIST", "mm-vae concat: shared layers after the fusion; 0 = none (default 64)"},
        {"lyrics-norm", 0, CLI_STRING, &lyr_norm, "KIND", "mm-vae: global (column means, one common std; default) or zscore (per column)"},
        {"frames", 0, CLI_INT, &frames, "N", "log-mel frames used (the first N), a multiple of 16 (default: the largest that fits, 130 -> 128)"},
        {"epochs", 0, CLI_INT, &epochs, "E", "epochs in total (default 100; conv-vae 20); with --resume: the new total"},
        {"batch", 0, CLI_INT, &batch, "N", "mini-batch rows (default 32; conv-vae 128)"},
        {"lr", 0, CLI_DOUBLE, &lr, "RATE", "Adam learning rate (default 0.001)"},
        {"seed", 0, CLI_U64, &seed, "S", "seed of initialisation, split, shuffles and sampling (default 0)"},
        {"val", 0, CLI_DOUBLE, &val, "FRACTION", "hold out this fraction of rows for a validation loss, computed with z = mu (default 0)"},
        {"patience", 0, CLI_INT, &patience, "N", "with --val: stop after N epochs without a better validation loss and keep the best epoch (default 0: never)"},
        {"clip", 0, CLI_DOUBLE, &clip, "NORM", "clip the gradient's global L2 norm (default 0: off)"},
        {"precision", 0, CLI_STRING, &precision, "P", "conv layers' arithmetic: fp32 (default) or bf16 (AVX512_BF16 kernels, fp32 master weights and accumulation; fp32 where the CPU lacks them)"},
        {"resume", 0, CLI_FLAG, &resume, NULL, "continue from the checkpoint MODEL (its stored options are used; only --epochs may change)"},
        {"low-memory", 0, CLI_FLAG, &low_memory, NULL, "one network, the parts of each mini-batch in turn: the conv-vae needs ~200 MB less per extra thread and trains 10-27% slower (the same model bytes)"},
        {"stop-after", 0, CLI_INT, &stop_after, "N", "(testing) end after N epochs of this run as if killed after the checkpoint"},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (default: all cores); the same seed gives identical bytes for any N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary (warnings still shown)"},
    };
    const cli_command cmd = {
        "train", "musiclust train [options] FEATDIR -o MODEL.safetensors",
        "Train a model of the VAE family on a feature store (musiclust extract):\n"
        "  vae       MLP on mfcc_stats.npy (or features.npy): in -> 64 ReLU -> (mu, logvar) 4 -> 64 ReLU -> in\n"
        "  ae        the same without sampling or KL;  beta-vae: KL weighted by --beta (default 4)\n"
        "  conv-vae  the reference conv beta-VAE on 1 x n_mels x frames log-mel patches (logmel.npy):\n"
        "            4 Conv2d(4, 2, 1) 32,64,128,256 -> latent 32 -> mirrored ConvTranspose2d; beta 4\n"
        "  cvae      a VAE conditioned on a one-hot of --condition COLUMN (encoder and decoder)\n"
        "  mm-vae    audio + lyrics (needs FEATDIR/lyrics.npy: run musiclust lyrics first): an audio\n"
        "            encoder (the MLP, or the conv network with --input logmel) and a lyrics encoder (MLP\n"
        "            on the track's lyrics vector, the same for each of its segments) fused into one\n"
        "            latent; an audio and a lyrics decoder. --fusion concat: [h_audio, m h_lyrics, 1 - m]\n"
        "            -> shared layers -> (mu, logvar), m = 1 with lyrics, 0 without (the lyrics features\n"
        "            are zeroed and a 'missing' indicator takes their place); --fusion poe: each encoder\n"
        "            gives a Gaussian, multiplied with a N(0, 1) prior expert (precision-weighted); a\n"
        "            track without lyrics uses the audio expert alone. With --condition COLUMN (the audio\n"
        "            + lyrics + genre configuration) its one-hot joins the fused features and z.\n"
        "Loss per batch: (sum of squared errors + beta * KL) / rows; Adam. mm-vae: (audio-weight *\n"
        "SSE_audio + lyrics-weight * SSE_lyrics over the rows with lyrics + beta * KL) / rows. Vectors\n"
        "are z-scored per column; log-mel patches keep their first frames (the largest multiple of 16:\n"
        "130 -> 128) and get one global mean / std; lyrics vectors are centred per column and divided\n"
        "by one common std (--lyrics-norm global, keeping the SVD components' relative variance) or\n"
        "per column (zscore), fitted on the tracks with lyrics. All are stored in MODEL and applied\n"
        "again by musiclust embed.\n"
        "Every epoch rewrites MODEL (atomically) and MODEL.loss.tsv (epoch, recon, kl, total,\n"
        "val_recon, val_kl, val_total, seconds; per row); --resume continues an interrupted run and\n"
        "ends with the same bytes as an uninterrupted one. A NaN/Inf loss stops the run (exit 1)\n"
        "and leaves the previous epoch's MODEL in place.\n"
        "Under mpirun / srun (R processes) every mini-batch is shared over the ranks in parts of 32\n"
        "rows and their gradients are added in part order: MODEL is the same file as one process\n"
        "writes (one process runs the same parts in turn); rank 0 writes it.\n\nExamples:\n  musiclust train feats -o models/vae.safetensors\n  musiclust train -m conv-vae --epochs 20 feats -o models/conv.safetensors\n  musiclust train -m cvae --condition genre feats -o cvae.safetensors\n  musiclust train --resume feats -o models/vae.safetensors",
        opts, (int)(sizeof opts / sizeof opts[0]), 1, 1};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_start(&cmd, argc, argv, &quiet, &pos, &npos);
    if (rc >= 0) return rc;
    const char *featdir = pos[0];
    free(pos);
    if (!out) return cli_usage(&cmd, "-o MODEL is required");
    const bool seed_given = cli_given(&seed);
    if (stop_after < 0) return cli_usage(&cmd, "--stop-after must be >= 0");
    const bool model_given = model_name != NULL;
    if (!model_name) model_name = "vae";
    mc_model_kind kind;
    if (mc_model_kind_parse(model_name, &kind) != MC_STATUS_OK)
        return cli_usage(&cmd, "unknown --model '%s' (choose vae, ae, beta-vae, conv-vae, cvae or mm-vae)", model_name);
    const bool mm_opts = fusion || lyr_hidden || fuse_hidden || lyr_norm || !isnan(w_audio) || !isnan(w_lyrics);

    /* the model's folder, as extract creates its own (-o models/vae.safetensors); before the lock
     * file, which lives beside the model */
    {
        char *dir = mc_strdup(out), *slash = dir ? strrchr(dir, '/') : NULL;
        mc_status ds = dir ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
        if (slash && slash != dir) {
            *slash = '\0';
            ds = mc_mkdirs(dir);
        }
        free(dir);
        if (ds != MC_STATUS_OK) return cli_fail("train", ds);
    }
    /* One writer per model file: MODEL.lock (core.h, mc_lock), released by cmd_train; over several
     * ranks rank 0 holds it (it alone writes) and every rank learns whether it got it. */
    {
        mc_status ls = MC_STATUS_OK;
        if (cli_rank() == 0) {
            char *lp = mc_sprintf("%s.lock", out);
            char *what = mc_sprintf("model %s", out);
            ls = lp && what ? mc_lock_acquire(lp, what, lock) : MC_STATUS_NO_MEMORY;
            free(lp);
            free(what);
        }
        ls = mc_dist_check(cli_dist(), ls);
        if (ls != MC_STATUS_OK) return cli_fail("train", ls);
    }
    mc_model *m = NULL;
    mc_status st;
    if (resume) {
        if (hidden || channels || condition || input || features || latent >= 0 || warmup >= 0 || frames >= 0 ||
            batch >= 0 || patience >= 0 || !isnan(beta) || !isnan(lr) || !isnan(val) || !isnan(clip) ||
            seed_given || mm_opts || precision)
            return cli_usage(&cmd, "with --resume the options stored in %s are used; only --epochs, --threads, --quiet "
                  "and --stop-after may be given", out);
        st = mc_dist_check(cli_dist(), mc_model_load(out, &m));
        if (st != MC_STATUS_OK) {
            mc_model_free(m);
            return cli_fail("train", st);
        }
        if (model_given && mc_model_get_config(m)->kind != kind) {
            const char *held = mc_model_kind_name(mc_model_get_config(m)->kind);
            mc_model_free(m);
            return cli_usage(&cmd, "%s holds a %s model, not %s", out, held, model_name);
        }
        if (epochs >= 0) mc_model_set_epochs(m, epochs);
    }
    mc_model_config cfg;
    if (!resume) {
        mc_model_config_default(kind, &cfg);
        if (features && mc_store_features_parse(features, &cfg.features) != MC_STATUS_OK) {
            mc_error_clear();
            return cli_usage(&cmd, "--features must be mfcc, descriptors or mfcc+descriptors, got '%s'", features);
        }
        if (input) {
            if (strcmp(input, "vectors") == 0) cfg.input = MC_MODEL_INPUT_VECTORS;
            else if (strcmp(input, "logmel") == 0) cfg.input = MC_MODEL_INPUT_LOGMEL;
            else return cli_usage(&cmd, "--input must be vectors or logmel, got '%s'", input);
            const bool either = kind == MC_MODEL_KIND_CVAE || kind == MC_MODEL_KIND_MM_VAE;
            if (!either && cfg.input != (kind == MC_MODEL_KIND_CONV_VAE ? MC_MODEL_INPUT_LOGMEL : MC_MODEL_INPUT_VECTORS))
                return cli_usage(&cmd, "--input %s does not fit --model %s (vae, ae, beta-vae read vectors, conv-vae logmel)", input, model_name);
            if (either && cfg.input == MC_MODEL_INPUT_LOGMEL) {
                /* the conditional / multimodal conv network takes the conv-vae's defaults */
                mc_model_config conv;
                mc_model_config_default(MC_MODEL_KIND_CONV_VAE, &conv);
                cfg.latent = conv.latent;
                cfg.batch = conv.batch;
                cfg.epochs = conv.epochs;
            }
        }
        if (hidden && (cfg.n_hidden = parse_list(hidden, cfg.hidden, MC_MODEL_MAX_LAYERS)) < 0)
            return cli_usage(&cmd, "--hidden expects widths like 64 or 128,64 (at most %d), got '%s'", MC_MODEL_MAX_LAYERS, hidden);
        if (channels && (cfg.n_conv = parse_list(channels, cfg.channels, MC_MODEL_MAX_LAYERS)) < 1)
            return cli_usage(&cmd, "--channels expects channel counts like 32,64,128,256, got '%s'", channels);
        if (condition && kind != MC_MODEL_KIND_CVAE && kind != MC_MODEL_KIND_MM_VAE)
            return cli_usage(&cmd, "--condition is for --model cvae or mm-vae");
        if (mm_opts && kind != MC_MODEL_KIND_MM_VAE)
            return cli_usage(&cmd, "--fusion, --audio-weight, --lyrics-weight, --lyrics-hidden, --fuse-hidden and --lyrics-norm are "
                  "for --model mm-vae");
        if (fusion) {
            if (strcmp(fusion, "concat") == 0) cfg.fusion = MC_MODEL_FUSION_CONCAT;
            else if (strcmp(fusion, "poe") == 0) cfg.fusion = MC_MODEL_FUSION_POE;
            else return cli_usage(&cmd, "--fusion must be concat or poe, got '%s'", fusion);
        }
        if (lyr_norm) {
            if (strcmp(lyr_norm, "global") == 0) cfg.lyrics_norm = MC_MODEL_LYRICS_NORM_GLOBAL;
            else if (strcmp(lyr_norm, "zscore") == 0) cfg.lyrics_norm = MC_MODEL_LYRICS_NORM_ZSCORE;
            else return cli_usage(&cmd, "--lyrics-norm must be global or zscore, got '%s'", lyr_norm);
        }
        if (lyr_hidden && (cfg.n_lyr_hidden = parse_list(lyr_hidden, cfg.lyr_hidden, MC_MODEL_MAX_LAYERS)) < 1)
            return cli_usage(&cmd, "--lyrics-hidden expects widths like 32 or 64,32 (1 to %d layers), got '%s'", MC_MODEL_MAX_LAYERS,
                  lyr_hidden);
        if (fuse_hidden && (cfg.n_fuse = parse_list(fuse_hidden, cfg.fuse, MC_MODEL_MAX_LAYERS)) < 0)
            return cli_usage(&cmd, "--fuse-hidden expects widths like 64 or 0 (at most %d), got '%s'", MC_MODEL_MAX_LAYERS, fuse_hidden);
        if (fuse_hidden && cfg.fusion != MC_MODEL_FUSION_CONCAT) return cli_usage(&cmd, "--fuse-hidden is for --fusion concat");
        if (kind == MC_MODEL_KIND_MM_VAE && hidden && cfg.input == MC_MODEL_INPUT_VECTORS && cfg.n_hidden < 1)
            return cli_usage(&cmd, "--model mm-vae needs at least one audio hidden layer (--hidden)");
        if (!isnan(w_audio)) cfg.audio_weight = w_audio;
        if (!isnan(w_lyrics)) cfg.lyrics_weight = w_lyrics;
        if ((!isnan(w_audio) && !(w_audio >= 0)) || (!isnan(w_lyrics) && !(w_lyrics >= 0)) ||
            !(cfg.audio_weight + cfg.lyrics_weight > 0) || !isfinite(cfg.audio_weight + cfg.lyrics_weight))
            return cli_usage(&cmd, "--audio-weight and --lyrics-weight must be >= 0 and not both 0");
        if (kind == MC_MODEL_KIND_CVAE && !condition) return cli_usage(&cmd, "--model cvae needs --condition COLUMN");
        cfg.condition = condition;
        if (latent >= 0) cfg.latent = latent;
        if (warmup >= 0) cfg.warmup = warmup;
        if (frames >= 0) cfg.frames = frames;
        if (epochs >= 0) cfg.epochs = epochs;
        if (batch >= 0) cfg.batch = batch;
        if (patience >= 0) cfg.patience = patience;
        if (!isnan(beta)) cfg.beta = beta;
        if (!isnan(lr)) cfg.lr = lr;
        if (!isnan(val)) cfg.val_fraction = val;
        if (!isnan(clip)) cfg.clip = clip;
        if (precision && mc_nn_precision_parse(precision, &cfg.precision) != MC_STATUS_OK)
            return cli_usage(&cmd, "--precision must be fp32 or bf16, got '%s'", precision);
        cfg.seed = seed;
    } else {
        cfg = *mc_model_get_config(m);
    }

    mc_model_data data;
    const bool cond = cfg.kind == MC_MODEL_KIND_CVAE || (cfg.kind == MC_MODEL_KIND_MM_VAE && cfg.condition);
    st = mc_model_data_load_features(featdir, cfg.input, cfg.features, cond ? cfg.condition : NULL, &data);
    if (st == MC_STATUS_OK && cfg.kind == MC_MODEL_KIND_MM_VAE) st = mc_model_data_load_lyrics(featdir, &data);
    st = mc_dist_check(cli_dist(), st);
    if (st != MC_STATUS_OK) {
        mc_model_data_free(&data);
        mc_model_free(m);
        return cli_fail("train", st);
    }
    if (!resume) {
        st = mc_dist_check(cli_dist(), mc_model_create(&cfg, &data, &m));
        if (st != MC_STATUS_OK) {
            mc_model_free(m);
            mc_model_data_free(&data);
            return cli_fail("train", st);
        }
    }
    char *tsv = loss_path(out);
    mc_train_options topt = {threads, out, tsv, stop_after, low_memory};
    mc_train_summary sum;
    mc_progress *bar = cli_progress(quiet, "train", 0);
    const int start_epoch = mc_model_epochs_done(m);
    /* alone, or data-parallel over the ranks of mpirun / srun (the same model bytes, models.h) */
    st = mc_model_train_group(cli_dist(), m, &data, &topt, bar, &sum);
    if (st == MC_STATUS_OK && sum.epochs_run == 0 && !resume) /* --epochs 0 */
        st = mc_dist_check(cli_dist(), cli_rank() == 0 ? mc_model_save(m, out) : MC_STATUS_OK);
    if (st == MC_STATUS_OK && sum.epochs_run > 0) mc_progress_finish(bar);
    mc_progress_free(bar);
    const mc_model_config *mc = mc_model_get_config(m);
    if (st == MC_STATUS_OK && !quiet && sum.epochs_run == 0 && resume) {
        printf("%s is already complete (epoch %d of %d%s): nothing to train\n", out, sum.last_epoch,
               mc->epochs, sum.stopped_early ? ", stopped early" : "; raise --epochs to go on");
    } else if (st == MC_STATUS_OK && !quiet) {
        printf("trained %s for %d epochs (%d..%d of %d) on %lld rows, %.0f samples/s: recon %.4g kl %.4g",
               mc_model_kind_name(mc->kind), sum.epochs_run, sum.epochs_run ? start_epoch + 1 : start_epoch,
               sum.last_epoch, mc->epochs, (long long)data.n, sum.samples_per_s, sum.recon, sum.kl);
        if (mc->kind == MC_MODEL_KIND_MM_VAE && sum.epochs_run > 0)
            printf(" (audio %.4g, lyrics %.4g)", sum.recon_audio, sum.recon_lyrics);
        if (!isnan(sum.val_total)) printf(" val %.4g", sum.val_total);
        printf(" -> %s (losses in %s)\n", out, tsv ? tsv : "");
        if (sum.stopped_early)
            printf("stopped early after epoch %d: no better validation loss for %d epochs; kept epoch %d\n",
                   sum.last_epoch, mc->patience, sum.best_epoch);
        if (sum.interrupted)
            printf("stopped after %d epochs as asked (--stop-after); continue with --resume\n", sum.epochs_run);
    }
    free(tsv);
    mc_model_free(m);
    mc_model_data_free(&data);
    if (st != MC_STATUS_OK) return cli_fail("train", st);
    return MC_EXIT_OK;
#undef USAGE
}

int cmd_train(int argc, char **argv) {
    mc_lock *lock = NULL;
    int rc = train(argc, argv, &lock);
    mc_lock_release(lock);
    return rc;
}
