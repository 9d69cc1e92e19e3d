/* musiclust models: the VAE family (MLP VAE, AE, beta-VAE, conv beta-VAE, conditional VAE, multimodal
 * audio + lyrics VAE), their training loop with checkpoints, and the model file.
 *
 * Models
 *   vae       MLP  x -> hidden... (ReLU) -> (mu, logvar) -> z -> hidden... (ReLU) -> x'   beta 1
 *   ae        the same network without sampling or KL: the encoder's output is the code; with log-mel
 *             input the conv-vae's encoder / decoder without sampling or KL (the conv autoencoder)
 *   beta-vae  the MLP VAE with a beta-weighted KL (default beta 4), optional linear KL warm-up
 *   conv-vae  the reference conv beta-VAE of ../shared/peers/torch_vae.py on 1 x n_mels x frames
 *             log-mel patches: 4 Conv2d(k4, s2, p1) 1->32->64->128->256 (ReLU) -> flatten ->
 *             Linear mu / logvar (latent 32); Linear z -> 256 x n_mels/16 x frames/16, then 4
 *             ConvTranspose2d(k4, s2, p1) 256->128->64->32->1 (ReLU between, none at the end); beta 4
 *   cvae      a VAE whose encoder and decoder both see a one-hot of a label column: concatenated to
 *             the MLP input and to z; for log-mel input (the conv variant) concatenated to the
 *             flattened conv features before mu / logvar and to z before the decoder's Linear.
 *             Rows with an empty label get an all-zero condition vector.
 *   mm-vae    multimodal (audio + lyrics): an audio encoder (the MLP on vectors, or the conv body on
 *             log-mel) and a lyrics encoder (MLP on the track's lyrics vector, the same for each of
 *             its segments), fused into one latent, and two decoders from z (audio and lyrics).
 *             Fusion "concat" (default): f = [h_audio, m h_lyrics, 1 - m, cond] -> shared ReLU layers
 *             -> (mu, logvar), where m = 1 for a row with lyrics and 0 without: a row without lyrics
 *             has its lyrics features set to zero and a "lyrics missing" indicator of 1, whose weights
 *             in the next Linear are the learned missing embedding. Fusion "poe" (product of experts,
 *             Wu & Goodman 2018): each encoder gives its own Gaussian from [h, cond]; the posterior
 *             is the precision-weighted product with a standard-normal prior expert:
 *               T = 1 + exp(-lv_a) + m exp(-lv_l),  mu = (exp(-lv_a) mu_a + m exp(-lv_l) mu_l) / T,
 *               logvar = -log T   (computed in double; a row without lyrics leaves the lyrics expert out)
 *             Both decoders read [z, cond]. Loss per mini-batch:
 *               (audio_weight SSE_audio + lyrics_weight sum_rows m SSE_lyrics + beta KL) / rows
 *             so a row without lyrics adds no lyrics reconstruction error and no gradient to the
 *             lyrics encoder. With a condition column (the "audio + lyrics + genre" configuration)
 *             the one-hot joins the fused features (concat) or each expert's head input (poe) and z.
 * Loss per mini-batch (as the peer): (sum of squared errors + beta * KL) / batch rows, with
 * KL = -1/2 sum(1 + logvar - mu^2 - exp(logvar)) (Kingma & Welling 2014, appendix B).
 *
 * Input preparation (stored in the model so that embedding applies the same):
 *   vectors (the feature set: mfcc_stats.npy / features.npy, descriptors.npy, or both side by side;
 *   config.features): per-column z-score (mc_data_zscore_fit on all rows)
 *   log-mel (logmel.npy): the first `frames` frames (default: the largest multiple of 2^n_conv not
 *   above the stored count, 130 -> 128), then one global mean / std over all cropped values.
 *   lyrics (mm-vae, lyrics.npy): fitted on the rows with lyrics; "global" (default): each column
 *   centred, then divided by one common std (the root mean square of all centred values), which
 *   keeps the SVD's ordering of the components by variance (the first, language-bearing ones weigh
 *   most); "zscore": per-column mean and std, every component weighing the same.
 *
 * The model file is safetensors (loadable with safetensors.numpy.load_file):
 *   weights           enc.fc<i>.{weight,bias}, enc.mu.*, enc.logvar.*, dec.fc<i>.*, dec.out.*  (MLP)
 *                     enc.conv<i>.*, enc.mu.*, enc.logvar.*, dec.fc.*, dec.deconv<i>.*        (conv)
 *                     mm-vae: enc.aud.fc<i> (or enc.aud.conv<i>), enc.lyr.fc<i>, then
 *                       concat: enc.fuse.fc<i>, enc.mu, enc.logvar
 *                       poe:    enc.aud.mu, enc.aud.logvar, enc.lyr.mu, enc.lyr.logvar
 *                     then dec.aud.fc<i>, dec.aud.out (or dec.aud.fc, dec.aud.deconv<i>), dec.lyr.fc<i>,
 *                     dec.lyr.out
 *                     shapes as torch: Linear (out, in), Conv2d (out, in, 4, 4),
 *                     ConvTranspose2d (in, out, 4, 4); the AE has no enc.logvar (enc.mu is its code)
 *   norm.mean, norm.std                     F32 (F) for vectors, (1) for log-mel
 *   norm.lyr.mean, norm.lyr.std             F32 (lyrics dim), mm-vae only
 *   adam.<param>.m, adam.<param>.v, adam.step   the optimizer state
 *   train.epoch, train.rng.shuffle, train.rng.noise, train.best_epoch, train.bad_epochs  I64
 *   train.best_val F64, best.<param> (only while early stopping keeps a better epoch than the last)
 *   __metadata__["musiclust"]: JSON with the architecture, the training configuration and the
 *   condition classes (see mc_model_save); mm-vae adds "fusion", "audio_weight", "lyrics_weight",
 *   "lyrics_dim", "lyrics_hidden", "fuse_hidden" and "lyrics_norm".
 * Same data + same seed + same thread count -> byte-identical model files, also across a --resume. */
#ifndef MUSICLUST_MODELS_H
#define MUSICLUST_MODELS_H

#include <musiclust/core.h>
#include <musiclust/data.h>
#include <musiclust/dist.h>
#include <musiclust/nn.h> /* mc_nn_precision */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mc_model_kind {
    MC_MODEL_KIND_VAE = 0,
    MC_MODEL_KIND_AE,
    MC_MODEL_KIND_BETA_VAE,
    MC_MODEL_KIND_CONV_VAE,
    MC_MODEL_KIND_CVAE,
    MC_MODEL_KIND_MM_VAE /* multimodal: audio + lyrics */
} mc_model_kind;

/* What the network reads: per-row vectors (an MLP) or log-mel patches (the conv network). */
typedef enum mc_model_input {
    MC_MODEL_INPUT_VECTORS = 0,
    MC_MODEL_INPUT_LOGMEL
} mc_model_input;

/* mm-vae: how the two encoders make one posterior. */
typedef enum mc_model_fusion {
    MC_MODEL_FUSION_CONCAT = 0, /* concatenated hidden features + shared layers -> (mu, logvar) */
    MC_MODEL_FUSION_POE         /* product of the experts' Gaussians and a N(0, 1) prior expert */
} mc_model_fusion;

/* mm-vae: how the lyrics vectors are scaled (see "Input preparation"). */
typedef enum mc_model_lyrics_norm {
    MC_MODEL_LYRICS_NORM_GLOBAL = 0, /* per-column mean, one common std */
    MC_MODEL_LYRICS_NORM_ZSCORE      /* per-column mean and std */
} mc_model_lyrics_norm;

#define MC_MODEL_MAX_LAYERS 8
/* Caps on what a configuration (and a model file's metadata) may ask for: mini-batch rows, epochs (also
 * warm-up and patience), and input widths (vector dims, n_mels x frames). mc_model_create and the
 * loader refuse more (MC_STATUS_INVALID_ARG / MC_STATUS_FORMAT) before allocating anything. */
#define MC_MODEL_MAX_BATCH (1 << 16)
#define MC_MODEL_MAX_EPOCHS (1 << 20)
#define MC_MODEL_MAX_DIM (1 << 24)

typedef struct mc_model_config {
    mc_model_kind kind;
    mc_model_input input;   /* conv-vae: logmel; cvae: either; the others: vectors */
    int n_hidden;           /* MLP hidden layers (encoder order; the decoder mirrors them) */
    int hidden[MC_MODEL_MAX_LAYERS];
    int n_conv;             /* conv: stride-2 conv layers; n_mels and frames must be multiples of 2^n_conv */
    int channels[MC_MODEL_MAX_LAYERS];
    int latent;             /* latent dimension */
    double beta;            /* KL weight (ignored by ae) */
    int warmup;             /* epochs of linear KL warm-up: beta * min(1, epoch / warmup); 0 = none */
    const char *condition;  /* cvae (required), mm-vae (optional): the label column (copied into the model) */
    int frames;             /* log-mel frames used; 0 = the largest multiple of 2^n_conv <= stored */
    /* training */
    int epochs;             /* total epochs (a resumed run goes on up to this) */
    int batch;              /* mini-batch rows */
    double lr;              /* Adam learning rate (betas 0.9, 0.999, eps 1e-8 as torch.optim.Adam) */
    uint64_t seed;          /* initialisation, split, shuffling and sampling streams */
    double val_fraction;    /* rows held out for validation; 0 = none */
    int patience;           /* with a validation part: stop after this many epochs without a better
                               validation loss and keep the best epoch's weights; 0 = never stop */
    double clip;            /* clip the gradient's global L2 norm to this (torch clip_grad_norm_); 0 = off */
    mc_nn_precision precision; /* conv layers' arithmetic (nn.h): fp32 (default) or bf16 where the CPU has
                               AVX512_BF16 (else fp32, said once through mc_log); the model keeps and
                               its file records the precision actually used */
    /* mm-vae (ignored by the other kinds); hidden / channels above are the audio encoder's */
    mc_model_fusion fusion;
    int n_lyr_hidden;       /* lyrics encoder hidden layers (>= 1; the lyrics decoder mirrors them) */
    int lyr_hidden[MC_MODEL_MAX_LAYERS];
    int n_fuse;             /* concat: shared ReLU layers after the fusion (0 = the heads read it) */
    int fuse[MC_MODEL_MAX_LAYERS];
    double audio_weight;    /* weight of the audio reconstruction error */
    double lyrics_weight;   /* weight of the lyrics reconstruction error */
    mc_model_lyrics_norm lyrics_norm;
    /* input vectors: the store's feature set (data.h; stored in the model so that embedding reads the
       same columns). Default MC_STORE_FEATURES_MFCC; ignored for log-mel input */
    mc_store_features features;
} mc_model_config;

/* Defaults per kind (documented in `musiclust train --help`):
 *   vae      hidden [64], latent 4, beta 1, 100 epochs, batch 32, lr 1e-3  (the peer's network; 100
 *            epochs instead of the peer's 20 because the k-means NMI of the latent keeps rising to ~100)
 *   ae       as vae without KL;  beta-vae  as vae with beta 4
 *   cvae     as vae, input vectors (set input = MC_MODEL_INPUT_LOGMEL for the conv variant; the CLI
 *            then takes conv-vae's latent, batch and epochs)
 *   conv-vae channels 32,64,128,256, latent 32, beta 4, batch 128, 20 epochs, lr 1e-3
 *   mm-vae   audio hidden [64], lyrics hidden [32], concat fusion with shared [64], latent 4 (as the
 *            vae, so that the two compare at one size), beta 1, audio and lyrics weights 1, lyrics
 *            norm "global", 100 epochs, batch 32, lr 1e-3
 *            (input vectors; with input = MC_MODEL_INPUT_LOGMEL the CLI takes conv-vae's latent,
 *            batch, epochs)
 * seed 0, no validation, no clipping, no warm-up. */
void mc_model_config_default(mc_model_kind kind, mc_model_config *c);

/* "vae", "ae", "beta-vae", "conv-vae", "cvae", "mm-vae". */
const char *mc_model_kind_name(mc_model_kind k);
/* Parse a kind name; unknown -> MC_STATUS_INVALID_ARG listing the names. */
mc_status mc_model_kind_parse(const char *name, mc_model_kind *out);

/* ------------------------------------------------------------------ data */

/* Rows in the model's input layout, in raw units (normalisation is the model's job). */
typedef struct mc_model_data {
    int64_t n;                  /* rows */
    int ndim;                   /* 2: vectors (n, dim); 3: log-mel (n, n_mels, frames) */
    int64_t shape[3];
    const float *x;             /* (shape) C order */
    const int32_t *codes;       /* (n) condition class of each row, -1 = none; NULL = no condition */
    int n_classes;
    const char *const *classes; /* (n_classes) class names; codes index these */
    /* mm-vae: the lyrics vector of each row's track (broadcast to its segments); NULL otherwise */
    int64_t lyr_dim;
    const float *lyrics;        /* (n, lyr_dim) raw lyrics.npy rows */
    const uint8_t *has_lyrics;  /* (n) 1 = the track has lyrics, 0 = none (its lyrics row is unused) */
    /* storage owned when filled by mc_model_data_load / mc_model_data_load_lyrics */
    mc_array owned_x_;
    int32_t *owned_codes_;
    char **owned_classes_;
    float *owned_lyrics_;
    uint8_t *owned_has_;
} mc_model_data;

/* Read a feature store's rows for `input` (the vectors of the feature set `features`, read by
 * mc_store_open_features; or logmel.npy, `features` then unused) and, with a condition column, its
 * class codes (mc_store_label_codes). */
mc_status mc_model_data_load_features(const char *featdir, mc_model_input input, mc_store_features features,
                                      const char *condition, mc_model_data *out);
/* mc_model_data_load_features with the MFCC statistics (MC_STORE_FEATURES_MFCC). */
mc_status mc_model_data_load(const char *featdir, mc_model_input input, const char *condition,
                             mc_model_data *out);
/* Add the lyrics of a store (musiclust lyrics: lyrics.npy (tracks, dim) and lyrics_tracks.tsv with
 * columns track and has_lyrics) to data loaded from the same store: each index.tsv row gets its
 * track's vector, joined on the `track` column. A missing lyrics.npy is MC_STATUS_IO with "run
 * musiclust lyrics first"; a track of index.tsv absent from lyrics_tracks.tsv, a row count or a
 * shape that disagrees, or a non-finite value is MC_STATUS_FORMAT naming the file. */
mc_status mc_model_data_load_lyrics(const char *featdir, mc_model_data *d);
void mc_model_data_free(mc_model_data *d); /* NULL ok */

/* ------------------------------------------------------------------ the model */

typedef struct mc_model mc_model;

/* Build a fresh model for `data` (which fixes the input shape, the normalisation and the condition
 * classes) with weights initialised as PyTorch does (kaiming_uniform(a=sqrt(5)) weights, uniform
 * +-1/sqrt(fan_in) biases) from cfg->seed. Validates the configuration (sizes, kind vs input). */
mc_status mc_model_create(const mc_model_config *cfg, const mc_model_data *data, mc_model **out);
void mc_model_free(mc_model *m); /* NULL ok */

const mc_model_config *mc_model_get_config(const mc_model *m);
/* Epochs trained so far. */
int mc_model_epochs_done(const mc_model *m);
/* Change the total epochs (to train further after loading). */
void mc_model_set_epochs(mc_model *m, int epochs);
int mc_model_latent_dim(const mc_model *m);
/* The shape of one input row the model was built for: *ndim 1 with shape[0] = F (vectors), or 2 with
 * (n_mels, frames used) (log-mel). */
void mc_model_input_shape(const mc_model *m, int *ndim, int64_t shape[3]);

/* Write the model (weights, normalisation, optimizer and training state, metadata) atomically. */
mc_status mc_model_save(const mc_model *m, const char *path);
/* Read a model file written by mc_model_save; checks every tensor's presence and shape. The metadata
 * is capped (MC_MODEL_MAX_*) and checked against the tensors before anything is allocated, and the
 * network's step buffers are not sized from the file's batch and n_rows: the loaded network holds 64
 * rows at most, and mc_model_train / _encode / _decode size it for the data they are given (at most
 * min(batch, n_rows) rows; grown once per call, outside the forward and backward passes, never shrunk).
 * Outputs are those of a network built for the full mini-batch, byte for byte. */
mc_status mc_model_load(const char *path, mc_model **out);

/* ------------------------------------------------------------------ training */

typedef struct mc_train_options {
    int threads;            /* <= 0: all cores */
    const char *checkpoint; /* model file written after every epoch (atomically); NULL = none */
    const char *loss_tsv;   /* per-epoch losses; NULL = none. A resumed run keeps the rows up to
                               the resumed epoch and appends */
    int stop_after;         /* > 0: return after this many epochs of this call, as if killed after
                               the checkpoint (tests the resume path) */
    bool low_memory;        /* one network: the parts of a mini-batch one after another, each split
                               over the threads, instead of side by side on a network per thread (the
                               conv-vae: ~200 MB less per extra thread - 322 vs 537 MB RssAnon at 2
                               threads on 29,200 segments - and 10-27% slower); the same bytes either way */
} mc_train_options;

typedef struct mc_train_summary {
    int epochs_run;         /* epochs trained by this call */
    int last_epoch;         /* epochs done in total */
    int best_epoch;         /* with validation: epoch (1-based) of the best validation loss; else last */
    bool stopped_early;     /* early stopping ended the run (the best epoch's weights were restored) */
    bool interrupted;       /* stop_after ended the run */
    double recon, kl, total;            /* last epoch, per training row (mm-vae: recon is the weighted
                                           sum audio_weight recon_audio + lyrics_weight recon_lyrics) */
    double val_recon, val_kl, val_total; /* last epoch, per validation row (NaN without validation) */
    double seconds;
    double samples_per_s;   /* training rows processed per second of training */
    double recon_audio, recon_lyrics; /* mm-vae: last epoch's unweighted SSE per training row (lyrics:
                                         summed over the rows with lyrics); others: recon and 0 */
} mc_train_summary;

/* Train m on data (the same rows it was created with: a resumed model checks the row count) from its
 * current epoch up to its config's epochs. Each epoch: a seeded shuffle of the training rows,
 * mini-batches, Adam steps; then the validation loss (z = mu, no sampling, so early stopping does
 * not react to sampling noise); a loss row; a checkpoint. A non-finite loss stops with
 * MC_STATUS_NUMERIC naming the epoch, without writing the checkpoint (the previous epoch's file stays).
 * The progress bar counts this call's training batches (epochs still to run x batches per epoch),
 * ticked after every batch so that a long epoch shows progress; its note names the epoch ("epoch
 * 3/20") and, after each epoch, its losses. */
mc_status mc_model_train(mc_model *m, const mc_model_data *data, const mc_train_options *opt,
                         mc_progress *progress, mc_train_summary *summary);

/* mc_model_train over the process group d (dist.h; NULL = one process, exactly mc_model_train):
 * synchronous data parallelism. Every rank holds the same model, data and options and runs the same
 * shuffles; each mini-batch is cut into parts of MC_MODEL_PART_ROWS rows (the last one shorter), a
 * cut fixed by the mini-batch alone, and each rank runs the forward and backward of a contiguous range
 * of parts (mc_dist_share). The parts' gradients and loss sums are added in part order in double
 * (mc_dist_sum_ordered_f64), rounded once to float, and every rank takes the same clipped Adam step.
 * The same additions happen for one process (parts in turn), so the trained model is byte-identical
 * for any number of ranks and any threads. With 2-4 threads and at least that many parts per rank
 * (the conv-vae's batch 128: 4 parts), the parts run side by side, one per thread, each on its own
 * copy of the network (the same bytes; it costs one more network's buffers per extra thread, ~200 MB
 * for the 128x128 conv-vae: the copies hold no optimiser state). Validation batches are shared the same way. Only rank 0
 * writes opt->checkpoint and opt->loss_tsv; a failure on any rank (a file, memory, a diverged loss)
 * ends the call on every rank with that rank's message (mc_dist_check), never a hang. Collective:
 * every rank must call it with the same arguments. Rank > 0 may pass a NULL progress. */
#define MC_MODEL_PART_ROWS 32
mc_status mc_model_train_group(mc_dist *d, mc_model *m, const mc_model_data *data, const mc_train_options *opt,
                               mc_progress *progress, mc_train_summary *summary);

/* ------------------------------------------------------------------ using a model */

/* Encode rows: mu (n, latent) float32 (the AE's code); with recon non-NULL also the decoder's output
 * for z = mu, de-normalised to the input's units: (n, dim) or (n, n_mels, frames used) (mm-vae: the
 * audio decoder's). An mm-vae needs data->lyrics (mc_model_data_load_lyrics). Data classes are
 * matched to the model's by name; rows with a class the model does not know get a zero condition
 * (*unknown receives their count; may be NULL). Log-mel rows need >= the model's frames (the first
 * ones are used). Deterministic: no sampling. */
mc_status mc_model_encode(mc_model *m, const mc_model_data *data, int threads, float *mu,
                          float *recon, int64_t *unknown);

/* mc_model_encode over the process group d (dist.h; NULL = one process), the same bytes for any number
 * of ranks: the rows are cut into parts of MC_MODEL_PART_ROWS (the last one shorter), a cut fixed by
 * the data alone, and each part is encoded by mc_model_encode on a view of its rows (so a row's latent
 * comes from exactly the same arithmetic whichever rank runs it, even where a network's output for a
 * row depended on the other rows of its batch). Whole parts are shared over the ranks (mc_dist_share,
 * in batches of at most ~256 MiB of output rows), and the rows gathered in row order: every rank
 * receives the whole mu (n, latent) and recon (as mc_model_encode's), and *unknown the count over all
 * rows. Collective: every rank passes the same model and data. A part failing on one rank (its message
 * names the rows) fails every rank (mc_dist_check), never a hang. Writes nothing. */
mc_status mc_model_encode_group(mc_dist *d, mc_model *m, const mc_model_data *data, int threads, float *mu,
                                float *recon, int64_t *unknown);

/* ------------------------------------------------------------------ generation (generate.c)
 *
 * A model on log-mel patches (conv-vae, or cvae trained with --input logmel) decodes latent vectors into
 * log-mel spectrograms in dB (the store's units, de-normalised); mc_model_logmel_to_audio turns those
 * into waveforms as librosa.feature.inverse.mel_to_audio does (dB -> power, mel -> linear power by
 * non-negative least squares, square root, fast Griffin-Lim; see include/musiclust/dsp.h). */

/* The condition classes stored in the model, in code order; *n receives the count (0 and NULL without
 * a condition). */
const char *const *mc_model_classes(const mc_model *m, int *n);
/* The code of class `name`; MC_STATUS_INVALID_ARG listing the model's classes when it has no such class
 * (or no condition at all). */
mc_status mc_model_class_index(const mc_model *m, const char *name, int *code);

/* MC_STATUS_OK when the model decodes to log-mel spectrograms (and so to audio); otherwise
 * MC_STATUS_UNSUPPORTED with a message saying what to train instead. */
mc_status mc_model_check_audio(const mc_model *m);

/* z ~ N(0, I): z (n, latent), drawn row by row with mc_rng_normal. */
void mc_model_sample_latent(const mc_model *m, mc_rng *rng, int64_t n, float *z);

/* Run the decoder on latent rows z (n, latent) with condition codes (n) (-1: the all-zero condition;
 * codes NULL: no condition, or all zero) and de-normalise: out (n, n_mels, frames) in dB for log-mel
 * models, (n, F) for vector models. Deterministic. */
mc_status mc_model_decode(mc_model *m, const float *z, const int32_t *codes, int64_t n, int threads,
                          float *out);

/* How the log-mel spectrograms were made, and how to invert them. */
typedef struct mc_model_audio_config {
    int sr, n_fft, hop;  /* of the features (22050, 2048, 512) */
    int n_mels;          /* 0 = the model's; otherwise checked against it */
    double fmin, fmax;   /* mel band edges (0, 0 = sr / 2) */
    double ref;          /* power_to_db's reference of the log-mel (1.0) */
    int n_iter;          /* Griffin-Lim iterations (32) */
    double momentum;     /* Griffin-Lim momentum (0.99) */
    int nnls_iter;       /* iterations of the mel inversion (200, MC_DSP_MEL_INVERSE_ITER) */
    int threads;         /* clips inverted in parallel; <= 0: all cores */
} mc_model_audio_config;

/* The defaults above (librosa's and musiclust extract's). */
void mc_model_audio_config_default(mc_model_audio_config *c);
/* Take sr, n_fft, hop_length, n_mels, fmin and fmax from FEATDIR/extract.json (musiclust extract). */
mc_status mc_model_audio_config_from_store(const char *featdir, mc_model_audio_config *c);
/* Samples of the clip made from `frames` log-mel frames: hop * (frames - 1) (librosa.istft, center). */
int64_t mc_model_audio_samples(const mc_model_audio_config *c, int frames);

/* The RNG streams of the Griffin-Lim phases: row i of mc_model_logmel_to_audio uses
 * mc_rng_seed(seed, MC_MODEL_AUDIO_STREAM + i), apart from the small streams callers use for sampling. */
#define MC_MODEL_AUDIO_STREAM ((uint64_t)1 << 32)

/* Log-mel dB rows -> audio: logmel (n, n_mels, frames) -> audio (n, samples), samples =
 * mc_model_audio_samples(frames). Each row has its own RNG stream (above) and rows are independent, so
 * the output does not depend on the thread count. mel_residual (n) and spectral_convergence (n) receive the
 * inversion's figures (see mc_dsp_inverse_stats); either may be NULL. */
mc_status mc_model_logmel_to_audio(const mc_model_audio_config *c, const float *logmel, int64_t n,
                                   int n_mels, int frames, uint64_t seed, float *audio,
                                   double *mel_residual, double *spectral_convergence);

/* ------------------------------------------------------------------ generation check (gencheck.c)
 *
 * Is what a conditioned log-mel model generates like the real segments of its class? For each class c
 * of the model's condition, per_class latent samples z ~ N(0, I) (stream 0x67656e + c of seed) are
 * decoded with c, and each decoded log-mel (dB) gets its MFCC statistics as extract computes them
 * (mc_dsp_mfcc, mc_dsp_mfcc_stats with the store's n_mfcc). Both sides are z-scored with the real
 * rows' mean and std, then:
 *   knn_accuracy[c]  fraction of class c's clips whose k nearest real segments (Euclidean) vote c
 *                    (ties: the smaller summed distance); chance is about 1 / n_classes
 *   fd_generated[c]  Fréchet distance between Gaussians fitted (mean, covariance with ddof 1) to the
 *                    real and the generated statistics of c:
 *                    |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))
 *   fd_other_mean[c], fd_other_min[c]  the same distance between real c and each other real class c'
 *                    (mean and smallest): a generated class is "like c" when fd_generated[c] is small
 *                    beside these. */
typedef struct mc_gen_check_config {
    int per_class;     /* generated clips per class (50; >= 2) */
    int k;             /* neighbours of the k-NN (5) */
    uint64_t seed;     /* latent samples (0) */
    int threads;       /* decoding; <= 0 all cores; results do not depend on it */
} mc_gen_check_config;

void mc_gen_check_config_default(mc_gen_check_config *c);

typedef struct mc_gen_check {
    int n_classes, dim, per_class, k;
    char **classes;         /* (n_classes) the model's classes, in code order */
    int64_t *real_rows;     /* (n_classes) real segments of each class in the store */
    double *knn_accuracy;   /* (n_classes) */
    double accuracy;        /* over every generated clip */
    double *fd_generated;   /* (n_classes) */
    double *fd_other_mean;  /* (n_classes) */
    double *fd_other_min;   /* (n_classes) */
    double fd_generated_mean, fd_other_mean_mean; /* class means of fd_generated and fd_other_mean */
} mc_gen_check;

/* Run the check of model m (a log-mel model conditioned on a label column with >= 2 classes, else
 * MC_STATUS_UNSUPPORTED) against the store featdir (its mfcc_stats.npy, extract.json and the model's
 * label column; a class with fewer than 2 real segments is MC_STATUS_EMPTY). Fills *out (free with
 * mc_gen_check_free; zeroed on error). Deterministic for a seed, whatever the thread count. */
mc_status mc_model_generation_check(mc_model *m, const char *featdir, const mc_gen_check_config *cfg,
                                    mc_gen_check *out);
void mc_gen_check_free(mc_gen_check *c); /* NULL ok */
/* The check as a TSV table, written atomically (mc_file_open_tmp / mc_file_commit): the header
 * "class real_segments generated knn_accuracy fd_real_generated fd_real_other_mean fd_real_other_min",
 * one row per class in code order, then the row "all" (the generated clips of every class, accuracy,
 * fd_generated_mean and fd_other_mean_mean). Values with 4 decimals. A check with no classes (a zeroed
 * struct: no check could be made) writes the header alone.
 * The one writer of this table (`generate --check` and `run`). Errors: MC_STATUS_IO naming path. */
mc_status mc_gen_check_write(const mc_gen_check *c, const char *path);

/* The Fréchet distance between Gaussians fitted to the rows of X (nx, d) and Y (ny, d) (the formula
 * above; nx, ny >= 2, 1 <= d <= 4096). */
mc_status mc_model_frechet_distance(const float *X, int64_t nx, const float *Y, int64_t ny, int d, double *out);

/* The row of a feature store named by `key`: the first row (segment) of the track whose file stem
 * (index.tsv's path without folder and extension) or tracks.tsv track_id is key, else key as a row
 * number 0..N-1. Unknown: MC_STATUS_INVALID_ARG naming the store and what may be given. */
mc_status mc_model_find_row(const char *featdir, const char *key, int64_t *row);

#ifdef __cplusplus
}
#endif
#endif
