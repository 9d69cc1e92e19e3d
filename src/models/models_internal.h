/* Pieces shared by the files of src/models; not part of the public API. */
#ifndef MUSICLUST_MODELS_INTERNAL_H
#define MUSICLUST_MODELS_INTERNAL_H

#include <musiclust/models.h>
#include <musiclust/nn.h>

/* ------------------------------------------------------------------ JSON reading */

/* The model file's metadata is read with core's JSON reader (core.h); these are its names here. */
typedef mc_json_value mj_value;
#define MJ_NULL MC_JSON_NULL
#define MJ_BOOL MC_JSON_BOOL
#define MJ_NUMBER MC_JSON_NUMBER
#define MJ_STRING MC_JSON_STRING
#define MJ_ARRAY MC_JSON_ARRAY
#define MJ_OBJECT MC_JSON_OBJECT
#define mj_parse mc_json_parse
#define mj_free mc_json_value_free
#define mj_get mc_json_member
#define mj_int mc_json_int_value

/* ------------------------------------------------------------------ the network (net.c) */

/* The layers of one model and the buffers of a training step, sized for max_batch rows (see
 * mdl_model_fit_rows: the rows of the data worked on, never more than the model's mini-batch).
 *   D = input numel per row (dim, or n_mels * frames), C = condition classes (0 without), Z = latent,
 *   H = encoder body output numel (last hidden width, 256 * n_mels/16 * frames/16 for conv, or D
 *   when the MLP has no hidden layer). */
typedef struct mdl_net {
    bool conv, variational;
    int64_t D, H;
    int C, Z, max_batch;
    mc_nn_seq *enc;          /* encoder body (NULL for an MLP without hidden layers) */
    mc_nn_layer *mu, *logvar; /* heads; logvar NULL for the AE */
    mc_nn_seq *dec;          /* decoder: Linear(s) [+ ConvTranspose2d...] */
    mc_nn_params *params;    /* every parameter, state_dict order: enc, mu, logvar, dec */
    mc_nn_adam *adam;
    /* step buffers */
    float *x;       /* (B, D) normalised input rows, the reconstruction target */
    float *cond;    /* (B, C) one-hot rows (NULL without condition) */
    float *enc_in;  /* (B, D + C) [x, cond] for the conditional MLP; else == x */
    float *head_in; /* (B, H + C) [h, cond] for the conditional conv net; else the body output */
    float *eps;     /* (B, Z) N(0, 1) draws */
    float *z;       /* (B, Z) */
    float *dec_in;  /* (B, Z + C) [z, cond]; else == z */
    float *recon;   /* (B, D) the decoder's output (points into the last layer) */
    float *mu_out, *lv_out; /* (B, Z) head outputs (point into the layers) */
    float *drecon;  /* (B, D) dLoss/drecon */
    float *dmu, *dlv; /* (B, Z) */
    float *dz;      /* (B, Z) */
    float *dh;      /* (B, H) gradient into the encoder body (conditional conv: cut from head grads) */
    /* ---- mm-vae (mm.c); enc / dec above are the audio encoder body and decoder, mu / logvar the
     * fused heads (concat) or the audio expert's heads (poe). */
    bool mm;
    mc_model_fusion fusion;
    int64_t L;          /* lyrics dims */
    int64_t HL;         /* lyrics encoder output width */
    int64_t HF0;        /* concat: fused width H + HL + 1 + C */
    int64_t HF;         /* concat: what the heads read (last shared width, or HF0) */
    double w_audio, w_lyrics; /* loss weights */
    mc_nn_seq *enc_lyr; /* lyrics encoder body */
    mc_nn_seq *fuse;    /* concat: shared layers (NULL when none) */
    mc_nn_layer *mu_l, *lv_l; /* poe: the lyrics expert's heads */
    mc_nn_seq *dec_lyr; /* lyrics decoder */
    float *lyr;         /* (B, L) normalised lyrics rows, the lyrics target (zeros without lyrics) */
    float *mask;        /* (B) 1 = the row has lyrics */
    float *fused;       /* concat: (B, HF0) [h_audio, m h_lyrics, 1 - m, cond] */
    float *head_in_l;   /* poe with a condition: (B, HL + C) [h_lyrics, cond] */
    float *poe_mu, *poe_lv; /* poe: (B, Z) the product's mean and log-variance (mu_out, lv_out) */
    float *mu_a_out, *lv_a_out, *mu_l_out, *lv_l_out; /* poe: (B, Z) the experts (point into layers) */
    float *dmu_l, *dlv_l; /* poe: (B, Z) gradients of the lyrics expert (dmu / dlv: the audio one's) */
    float *recon_l;     /* (B, L) the lyrics decoder's output (points into its last layer) */
    float *drecon_l;    /* (B, L) */
    float *dhl;         /* (B, HL) gradient into the lyrics encoder body */
    double last_rec_a, last_rec_l; /* unweighted SSE of the last mdl_net_loss */
    int loss_rows; /* rows the loss is averaged over (the whole mini-batch when train.c runs a step in
                      parts of it); 0 = the B of each mdl_net_loss call */
} mdl_net;

mc_status mdl_net_create(const mc_model_config *cfg, int64_t D, int n_mels, int frames, int C,
                         int64_t L, int max_batch, mdl_net **out);
/* The same network without an optimiser (n->adam NULL): train.c's extra nets, which run parts of a
 * mini-batch on nets[0]'s weights and never step, so Adam's moments (2 floats per parameter) would
 * be dead weight. Not for the mm-vae. */
mc_status mdl_net_create_worker(const mc_model_config *cfg, int64_t D, int n_mels, int frames, int C,
                                int64_t L, int max_batch, mdl_net **out);
void mdl_net_free(mdl_net *n);
/* Copy the state of src into dst, a net of the same architecture (any max_batch): every parameter
 * and buffer (weights, running statistics, counters), the Adam moments and step count. */
void mdl_net_copy_state(mdl_net *dst, const mdl_net *src);
/* PyTorch default init of every layer in module order from rng. */
void mdl_net_init(mdl_net *n, mc_rng *rng);
/* Forward B rows of n->x (and n->cond): encoder, z (= mu + eps * exp(logvar / 2) with sample, else
 * mu), decoder. Fills mu_out, lv_out, z, recon. */
mc_status mdl_net_forward(mdl_net *n, int B, bool sample);
/* Loss of the last forward: *rec = sum (recon - x)^2, *kl = KL sum (0 for the AE). With backward,
 * also the gradients of (rec + beta kl) / B' into every parameter's grad (zeroed first), B' =
 * n->loss_rows when > 0, else B.
 * mm-vae: *rec = w_audio SSE_audio + w_lyrics SSE_lyrics (rows with lyrics); last_rec_a / _l keep the
 * two unweighted terms. */
mc_status mdl_net_loss(mdl_net *n, int B, double beta, bool backward, double *rec, double *kl);

/* ------------------------------------------------------------------ the multimodal net (mm.c) */

/* Layers and buffers of an mm-vae (called by mdl_net_create for that kind). */
mc_status mdl_mm_create(const mc_model_config *cfg, int64_t D, int n_mels, int frames, int C, int64_t L,
                        int max_batch, mdl_net *n);
void mdl_mm_free(mdl_net *n);
void mdl_mm_init(mdl_net *n, mc_rng *rng);
mc_status mdl_mm_forward(mdl_net *n, int B, bool sample);
mc_status mdl_mm_loss(mdl_net *n, int B, double beta, bool backward, double *rec, double *kl);

/* ------------------------------------------------------------------ the model */

struct mc_model {
    mc_model_config cfg;   /* strings owned: cfg.condition */
    int ndim;              /* input: 2 vectors, 3 log-mel */
    int64_t dim;           /* vectors: F */
    int n_mels, frames;    /* log-mel: bands and frames used */
    int64_t D;             /* numel per row fed to the net */
    char **classes;        /* (n_classes) condition classes */
    int n_classes;
    float *norm_mean, *norm_std; /* (F) for vectors, (1) for log-mel */
    int64_t norm_n;
    int64_t lyr_dim;       /* mm-vae: lyrics dims (0 otherwise) */
    float *lyr_mean, *lyr_std; /* mm-vae: (lyr_dim) lyrics normalisation */
    int64_t n_rows;        /* rows of the training data */
    mdl_net *net;
    /* training state (saved in the file) */
    int epoch;             /* epochs done */
    mc_rng rng_shuffle, rng_noise;
    int best_epoch, bad_epochs;
    double best_val;       /* +Inf until a validation loss is seen */
    float **best;          /* (n trainable params) copies of the best epoch's weights, or NULL */
    bool stopped_early;
};

/* A model with a validated config, its shapes and an (uninitialised) network whose step buffers hold
 * the rows mdl_model_fit_rows gives for data_rows (the loader passes 0: it has no data yet); takes
 * ownership of classes (n_classes) even on failure. */
mc_status mdl_model_alloc(const mc_model_config *cfg, int ndim, int64_t dim, int n_mels, int frames,
                          int64_t lyr_dim, char **classes, int n_classes, int64_t n_rows, int64_t data_rows,
                          mc_model **out);

/* The model's mini-batch: min(cfg.batch, n_rows), the rows of one training step and one encode or
 * decode block. */
int mdl_batch(const mc_model *m);
/* Size the network for work on `rows` rows of data: it holds min(mdl_batch, MC_MODEL_PART_ROWS) rows,
 * one part of a training step (train.c runs each mini-batch part by part, issue 11) and one encode or
 * decode block, whatever batch or n_rows a model file names and however many rows are passed (`rows`
 * is not used: a fixed size keeps every output byte independent of the data's length). When the net
 * holds fewer, one with that many is built and the state (weights, Adam moments, counters) moved into
 * it; it never shrinks. Called once at the start of mc_model_train / _encode / _decode and by the
 * constructors, never in a hot loop. On failure the model is unchanged. */
mc_status mdl_model_fit_rows(mc_model *m, int64_t rows);

/* Allocate best-weight copies (if not there) and copy the current weights into them. */
mc_status mdl_best_snapshot(mc_model *m);
/* Copy best weights back into the network. */
void mdl_best_restore(mc_model *m);
bool mdl_uses_early_stopping(const mc_model *m);
bool mdl_is_complete(const mc_model *m);

/* Check data against the model's input shape and condition codes. */
mc_status mdl_check_data(const mc_model *m, const mc_model_data *d);
/* Map data class codes to the model's classes by name: *map (d->n_classes), -1 = unknown; NULL when
 * the model has no condition. Free with free(). */
mc_status mdl_class_map(const mc_model *m, const mc_model_data *d, int **map);

/* Fill n->x (and n->cond, enc_in; mm-vae: lyr, mask) with rows idx[0..B) of data, normalised with the
 * model's stats. class_map maps data codes to model classes (NULL = identity). */
void mdl_gather(mc_model *m, const mc_model_data *data, const int64_t *idx, int B,
                const int *class_map);
/* The same into n, a net of m's architecture (train.c's per-thread nets; reads only m's stats). */
void mdl_gather_net(const mc_model *m, mdl_net *n, const mc_model_data *data, const int64_t *idx, int B,
                    const int *class_map);

#endif
