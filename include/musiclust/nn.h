/* musiclust nn: the neural-network core under the VAE family (models/). float32 tensors, one GEMM
 * wrapper, layers with forward and backward, losses with their gradients, the reparameterisation,
 * Adam/AdamW, PyTorch's default initialisation, gradient clipping and finite-difference gradient
 * checks. Definitions follow PyTorch 1.13 (torch.nn / torch.optim); each function names the one it
 * follows. Products run on oneDNN (Debian libdnnl 2.6): its JIT convolution kernels and its sgemm
 * pick their code for the CPU themselves, so the speed does not depend on which kernel OpenBLAS
 * picks (Debian's OpenBLAS 0.3.21 falls back to its generic kernel on CPUs it does not know).
 *
 * Layout. Every batch is (n, per-sample numel) row-major; images are NCHW. A layer is created for a
 * fixed per-sample input shape and a maximum batch, and owns its output buffer (max_batch, out_numel)
 * and its input-gradient buffer (max_batch, in_numel), allocated once: forward and backward never
 * allocate their buffers (exceptions, once each: a conv layer on oneDNN's path allocates its NCHW
 * output / input gradient when first written or asked for (inside an mc_nn_seq only the ends of a
 * linked run write them) and its per-thread gradient scratch at its first backward, again when a
 * larger team runs it; a conv layer linked in an mc_nn_seq gets its own blocked input copy back when
 * it is later run on its own, and a bf16 layer fed by an fp32 one its bf16 input copy; oneDNN itself
 * allocates small bookkeeping per call). A layer may carry an output
 * activation (ReLU, LeakyReLU, Sigmoid, Tanh) applied after its affine map, which saves a buffer and a
 * pass over memory per activation.
 *
 * Training step, as PyTorch's autograd would do it:
 *     mc_nn_params_zero_grad(P);                       // grads accumulate (+=) like .grad
 *     mc_nn_forward(l1, n, x, &h);  mc_nn_forward(l2, n, h, &y);
 *     loss = mc_nn_mse_loss(y, x, n * d, MC_NN_REDUCTION_SUM, 1.0f / n, dy);   // dy += dL/dy / n
 *     mc_nn_backward(l2, dy, &dh);  mc_nn_backward(l1, dh, NULL);
 *     mc_nn_adam_step(opt);
 * The input x of a forward must stay unchanged until the matching backward (layers keep a pointer
 * to it instead of copying it). backward may use dy as scratch (a layer with an activation may
 * overwrite it with the gradient before the activation): pass a buffer that is not needed again.
 *
 * Convolutions. A Conv2d / ConvTranspose2d whose channel counts are multiples of 16 (8 on AVX2-only
 * CPUs; a Conv2d may also read 1 channel, a ConvTranspose2d write 1) runs on oneDNN's direct kernels
 * with channel-blocked activations (nChw16c) kept next to the NCHW buffers; conversions are fused into
 * the passes the layer needs anyway (bias, activation, its derivative, bias-gradient sums). In an
 * mc_nn_seq, consecutive such layers hand over their blocked buffers, run each block of samples
 * through all of them in turn, and leave the intermediate NCHW outputs and input gradients unwritten
 * until mc_nn_layer_output / mc_nn_layer_input_grad asks for them. Other shapes (and CPUs without
 * AVX2) use im2col + GEMM over chunks of samples.
 *
 * Threads. mc_nn_set_threads(n) sets the OpenMP team used by every parallel loop of this module.
 * Work is split into pieces whose shapes depend only on the problem, never on the team: convolutions
 * into blocks of a fixed number of samples (each block one single-threaded oneDNN call, weight
 * gradients one partial per block added in block order), GEMMs into tiles of rows or columns of C
 * (mc_nn_gemm_tiles), element-wise loops into fixed pieces; every sum has a fixed order. So the same
 * inputs and seed give identical bytes for any thread count and any OpenBLAS kernel
 * (tests/test_determinism.c checks 1, 2 and 3 threads under several kernels). OpenBLAS's own pool
 * stays off (it would compete with ours for the cores). */
#ifndef MUSICLUST_NN_H
#define MUSICLUST_NN_H

#include <musiclust/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- threads */

/* Resolve n as mc_threads_resolve (n <= 0: all cores), use that many OpenMP threads for this module,
 * and set OpenBLAS to one thread (see above). Returns the count. */
int mc_nn_set_threads(int n);

/* ---------------------------------------------------------------- tensors */

#define MC_TENSOR_MAX_DIMS 4

/* A float32 array of up to 4 dims, row-major (C order); NCHW for image batches. `cap` is the number
 * of elements owned (0 for a view onto someone else's memory). */
typedef struct mc_tensor {
    int ndim;
    int64_t shape[MC_TENSOR_MAX_DIMS];
    float *data;
    int64_t cap;
} mc_tensor;

/* Owned, zeroed, 64-byte aligned tensor of the given shape (1 <= ndim <= 4, every dim >= 1). */
mc_status mc_tensor_create(int ndim, const int64_t *shape, mc_tensor *out);
/* A non-owning view onto data (no checks; ndim clamped to [0, 4]). */
mc_tensor mc_tensor_view(float *data, int ndim, const int64_t *shape);
/* Product of the shape (1 for ndim 0). */
int64_t mc_tensor_numel(const mc_tensor *t);
/* New shape over the same data; the element count may not exceed the old one (or cap when owned). */
mc_status mc_tensor_reshape(mc_tensor *t, int ndim, const int64_t *shape);
/* Free owned data and zero the struct (views: only zeroed). NULL ok. */
void mc_tensor_free(mc_tensor *t);

/* ---------------------------------------------------------------- GEMM and vector helpers */

/* The tiling mc_nn_gemm uses for an (m, n, k) product: `tiles` tiles of `width` columns of C
 * (by_cols) or rows, the last one shorter. A function of (m, n, k) only. */
void mc_nn_gemm_tiles(int64_t m, int64_t n, int64_t k, int *tiles, bool *by_cols, int64_t *width);

/* C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, row-major, op = transpose when trans_*:
 * A is (m, k) with row stride lda, or (k, m) when trans_a; B is (k, n), or (n, k) when trans_b.
 * cblas_sgemm(CblasRowMajor, ...) semantics. Large products are cut into tiles of rows or columns of
 * C whose shapes depend only on (m, n, k) (mc_nn_gemm_tiles), each tile one single-threaded
 * dnnl_sgemm over the full k (cblas_sgemm only if oneDNN fails, e.g. out of memory); the tiles run
 * over the OpenMP team when called from outside a parallel region (inside one, all on the calling
 * thread). So every element of C is produced by the same call with the same arguments whatever the
 * thread count: results are byte-identical for any team size and any OpenBLAS kernel. Never
 * allocates itself (oneDNN's sgemm may allocate its packing buffers). Dimensions must fit int. */
void mc_nn_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                int64_t ldc);

/* y[i] += x[i], i < count (e.g. summing the input gradients of two heads that read one tensor). */
void mc_nn_add(float *y, const float *x, int64_t count);
/* y[i] = 0. */
void mc_nn_zero(float *y, int64_t count);

/* ---------------------------------------------------------------- parameters */

#define MC_NN_NAME_MAX 96

/* One named tensor of a layer, with PyTorch's state_dict naming ("enc.conv0.weight"). Trainable
 * parameters have data and grad (same shape; grad accumulates over backward calls until zeroed).
 * Buffers (BatchNorm running_mean / running_var) have grad NULL. BatchNorm's num_batches_tracked is
 * an int64 scalar: data NULL, i64 set, ndim 0. */
typedef struct mc_nn_param {
    char name[MC_NN_NAME_MAX];
    int ndim;
    int64_t shape[MC_TENSOR_MAX_DIMS];
    int64_t numel;
    float *data;   /* (shape) row-major, or NULL for the int64 counter */
    float *grad;   /* (shape) or NULL for buffers */
    int64_t *i64;  /* num_batches_tracked only */
    int64_t fan_in; /* torch.nn.init._calculate_fan_in_and_fan_out(weight)[0] of the owning layer */
} mc_nn_param;

/* The parameter as a safetensors entry (name, F32 or I64, shape, data) for mc_safetensors_write. */
void mc_nn_param_entry(const mc_nn_param *p, mc_tensor_entry *e);

/* ---------------------------------------------------------------- layers */

typedef enum mc_nn_act {
    MC_NN_ACT_NONE = 0,
    MC_NN_ACT_RELU,       /* torch.nn.ReLU */
    MC_NN_ACT_LEAKY_RELU, /* torch.nn.LeakyReLU, negative slope 0.01 unless set */
    MC_NN_ACT_SIGMOID,    /* torch.nn.Sigmoid */
    MC_NN_ACT_TANH        /* torch.nn.Tanh */
} mc_nn_act;

typedef enum mc_nn_kind {
    MC_NN_KIND_LINEAR = 0,
    MC_NN_KIND_CONV2D,
    MC_NN_KIND_CONV_TRANSPOSE2D,
    MC_NN_KIND_ACTIVATION,
    MC_NN_KIND_BATCHNORM
} mc_nn_kind;

typedef struct mc_nn_layer mc_nn_layer;

/* torch.nn.Linear(in, out) then `act`: y = act(x W^T + b). x (n, in), y (n, out).
 * Parameters "<name>.weight" (out, in), "<name>.bias" (out). */
mc_status mc_nn_linear_create(const char *name, int in, int out, mc_nn_act act, int max_batch,
                              mc_nn_layer **out_layer);

/* torch.nn.Conv2d(c_in, c_out, kernel, stride, padding) (square kernel, zero padding, dilation 1,
 * groups 1) then `act`, on inputs (n, c_in, h_in, w_in) -> (n, c_out, h_out, w_out) with
 * h_out = (h_in + 2 padding - kernel) / stride + 1. Parameters "<name>.weight" (c_out, c_in, k, k),
 * "<name>.bias" (c_out). oneDNN's direct kernels where the shape allows (see the top), else im2col over
 * chunks of samples + one GEMM per chunk. */
mc_status mc_nn_conv2d_create(const char *name, int c_in, int h_in, int w_in, int c_out, int kernel,
                              int stride, int padding, mc_nn_act act, int max_batch,
                              mc_nn_layer **out_layer);

/* torch.nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, output_padding) then `act`:
 * (n, c_in, h_in, w_in) -> (n, c_out, h_out, w_out), h_out = (h_in - 1) stride - 2 padding + kernel +
 * output_padding, output_padding < stride. The adjoint of Conv2d: oneDNN's direct kernels where the
 * shape allows (see the top), else GEMM then col2im. Parameters
 * "<name>.weight" (c_in, c_out, k, k) as torch stores it, "<name>.bias" (c_out). */
mc_status mc_nn_conv_transpose2d_create(const char *name, int c_in, int h_in, int w_in, int c_out,
                                        int kernel, int stride, int padding, int output_padding,
                                        mc_nn_act act, int max_batch, mc_nn_layer **out_layer);

/* A standalone activation on `numel` values per sample (no parameters). */
mc_status mc_nn_activation_create(const char *name, mc_nn_act act, int64_t numel, int max_batch,
                                  mc_nn_layer **out_layer);

/* torch.nn.BatchNorm1d(channels) (spatial == 1: inputs (n, C); spatial L: (n, C, L)) or
 * torch.nn.BatchNorm2d(channels) (spatial = H * W: inputs (n, C, H, W)), eps 1e-5, momentum 0.1,
 * affine, tracking running stats, then `act`. Training mode normalises with the batch mean and the
 * biased variance and updates running_mean/var with momentum 0.1 (the unbiased variance, as PyTorch);
 * eval mode uses the running stats. Parameters "<name>.weight", "<name>.bias" (C); buffers
 * "<name>.running_mean", "<name>.running_var" (C), "<name>.num_batches_tracked" (int64). */
mc_status mc_nn_batchnorm_create(const char *name, int channels, int64_t spatial, mc_nn_act act,
                                 int max_batch, mc_nn_layer **out_layer);

void mc_nn_layer_free(mc_nn_layer *l); /* NULL ok */

/* Forward n samples (1 <= n <= max_batch): x (n, in_numel) -> *y (n, out_numel), the layer's own
 * buffer, valid until its next forward. x must stay unchanged until backward. */
mc_status mc_nn_forward(mc_nn_layer *l, int n, const float *x, float **y);
/* Backward of the last forward: dy (n, out_numel) is dLoss/dy. Adds dLoss/dparam to every grad and,
 * unless the input gradient is switched off, writes dLoss/dx to the layer's buffer *dx (n, in_numel);
 * *dx is NULL when it is off (dx itself may be NULL). dy may be overwritten (scratch). */
mc_status mc_nn_backward(mc_nn_layer *l, float *dy, float **dx);

/* Whether backward computes the input gradient (default true). Switch it off on a layer that reads
 * the data (saves a GEMM and col2im); switching it on again allocates the buffer. */
mc_status mc_nn_layer_set_input_grad(mc_nn_layer *l, bool on);
/* Training (default) or eval mode: only BatchNorm behaves differently. */
void mc_nn_layer_set_training(mc_nn_layer *l, bool training);
/* LeakyReLU's negative slope (>= 0; default 0.01 as torch). */
mc_status mc_nn_layer_set_negative_slope(mc_nn_layer *l, float slope);

mc_nn_kind mc_nn_layer_kind(const mc_nn_layer *l);
const char *mc_nn_layer_name(const mc_nn_layer *l);
int mc_nn_layer_max_batch(const mc_nn_layer *l);
int64_t mc_nn_layer_in_numel(const mc_nn_layer *l);
int64_t mc_nn_layer_out_numel(const mc_nn_layer *l);
/* Per-sample output shape (without the batch dim), e.g. (C, H, W); returns its ndim (1..3). */
int mc_nn_layer_out_shape(const mc_nn_layer *l, int64_t shape[3]);
/* The buffers (valid for the batch of the last forward): output (max_batch, out_numel), input
 * gradient (max_batch, in_numel) or NULL when off. A conv layer on oneDNN's path allocates them here
 * when it has not yet (NULL on out-of-memory, with the message set). */
float *mc_nn_layer_output(mc_nn_layer *l);
float *mc_nn_layer_input_grad(mc_nn_layer *l);
/* Parameters and buffers in state_dict order (weight, bias[, running_mean, running_var,
 * num_batches_tracked]). */
int mc_nn_layer_param_count(const mc_nn_layer *l);
mc_nn_param *mc_nn_layer_param(mc_nn_layer *l, int i);
/* Bytes the layer allocated (parameters, grads, buffers, workspace). */
size_t mc_nn_layer_bytes(const mc_nn_layer *l);

/* PyTorch's reset_parameters: Linear / Conv2d / ConvTranspose2d weights and biases
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt(5) gives exactly that bound),
 * fan_in = weight.size(1) * kernel area (for ConvTranspose2d that is c_out * k * k, as torch computes
 * it from the stored weight); BatchNorm weight 1, bias 0, running mean 0, var 1, count 0. Draws the
 * weight then the bias, in row-major order, from rng. */
void mc_nn_layer_init(mc_nn_layer *l, mc_rng *rng);
/* w[i] ~ U(-bound, bound): (2 u - 1) bound with u = mc_rng_uniform. */
void mc_nn_init_uniform(float *w, int64_t count, double bound, mc_rng *rng);

/* Precision of the convolutions. bf16: a Conv2d / ConvTranspose2d whose input and output both have a
 * multiple of 16 (8 on AVX2-only CPUs) channels multiplies bf16 copies of its input, weights and output
 * gradient with oneDNN's AVX512_BF16 (or AMX) kernels, accumulating in fp32; its outputs and all
 * gradients stay fp32, and the parameters themselves stay fp32 (the optimiser updates them; the bf16
 * weights are rounded from them at every forward and backward). Linear layers, the first conv layer of
 * a one-channel image and the last of a one-channel output stay fp32. Results are deterministic as in
 * fp32 (the same bytes for any thread count), but not equal to fp32's. */
typedef enum mc_nn_precision {
    MC_NN_PRECISION_FP32 = 0,
    MC_NN_PRECISION_BF16
} mc_nn_precision;
/* "fp32", "bf16". */
const char *mc_nn_precision_name(mc_nn_precision p);
/* Parse "fp32" / "bf16"; anything else -> MC_STATUS_INVALID_ARG naming the choices. */
mc_status mc_nn_precision_parse(const char *s, mc_nn_precision *out);
/* Whether this CPU has oneDNN bf16 convolution kernels (AVX512_BF16 or AMX); checked once, with a
 * small probe layer. */
bool mc_nn_bf16_available(void);
/* Set a layer's precision. *used (may be NULL) gets what the layer will run: fp32 for layers that
 * stay fp32 (see above) or when the CPU lacks bf16 kernels. Allocates the bf16 buffers and kernels
 * on the first switch to bf16 (out of memory -> MC_STATUS_NO_MEMORY, the layer unchanged). */
mc_status mc_nn_layer_set_precision(mc_nn_layer *l, mc_nn_precision p, mc_nn_precision *used);

/* Diagnostics (bench_nn's per-layer table): while profiling is on, every layer adds the wall-clock
 * and process-CPU seconds of each forward and backward call to its counters. Off by default (it
 * costs four clock reads per call). Process CPU time counts all threads of the process. */
void mc_nn_set_profiling(bool on);
/* t[0] forward wall, t[1] forward CPU, t[2] backward wall, t[3] backward CPU, in seconds. */
void mc_nn_layer_times(const mc_nn_layer *l, double t[4]);
void mc_nn_layer_times_reset(mc_nn_layer *l);

/* ---------------------------------------------------------------- sequential */

/* A chain of layers (torch.nn.Sequential): each layer's input numel must equal the previous one's
 * output numel (a Linear may feed a ConvTranspose2d: the reshape is free). Owns its layers. */
typedef struct mc_nn_seq mc_nn_seq;
mc_status mc_nn_seq_create(mc_nn_seq **out);
/* Append l (ownership moves to s even on failure, which frees l). */
mc_status mc_nn_seq_add(mc_nn_seq *s, mc_nn_layer *l);
void mc_nn_seq_free(mc_nn_seq *s); /* frees the layers; NULL ok */
int mc_nn_seq_count(const mc_nn_seq *s);
mc_nn_layer *mc_nn_seq_layer(mc_nn_seq *s, int i);
mc_status mc_nn_seq_forward(mc_nn_seq *s, int n, const float *x, float **y);
/* dy may be overwritten, as may the layers' input-gradient buffers on the way down. */
mc_status mc_nn_seq_backward(mc_nn_seq *s, float *dy, float **dx);
void mc_nn_seq_set_training(mc_nn_seq *s, bool training);
/* mc_nn_layer_set_precision on every layer; *used: bf16 when at least one layer runs in bf16. */
mc_status mc_nn_seq_set_precision(mc_nn_seq *s, mc_nn_precision p, mc_nn_precision *used);
void mc_nn_seq_init(mc_nn_seq *s, mc_rng *rng);

/* ---------------------------------------------------------------- parameter sets */

/* An ordered list of the parameters of several layers (not owning them), for the optimiser,
 * gradient clipping and checkpoints. Order = the order layers were added = torch's
 * model.parameters() order when layers are added in module order. */
typedef struct mc_nn_params mc_nn_params;
mc_status mc_nn_params_create(mc_nn_params **out);
void mc_nn_params_free(mc_nn_params *p);
mc_status mc_nn_params_add_layer(mc_nn_params *p, mc_nn_layer *l);
mc_status mc_nn_params_add_seq(mc_nn_params *p, mc_nn_seq *s);
/* Everything (trainable and buffers), in order. */
int mc_nn_params_count(const mc_nn_params *p);
mc_nn_param *mc_nn_params_at(mc_nn_params *p, int i);
mc_nn_param *mc_nn_params_find(mc_nn_params *p, const char *name);
/* Number of trainable scalars (torch: sum(p.numel() for p in model.parameters())). */
int64_t mc_nn_params_trainable_numel(const mc_nn_params *p);
/* grad = 0 for every trainable parameter (optimizer.zero_grad(set_to_none=False)). */
void mc_nn_params_zero_grad(mc_nn_params *p);
/* torch.nn.utils.clip_grad_norm_(params, max_norm) (L2): total = sqrt(sum of squared grads) over all
 * trainable parameters, every grad *= min(1, max_norm / (total + 1e-6)). Returns total. */
double mc_nn_params_clip_grad_norm(mc_nn_params *p, double max_norm);
/* L2 norm of one parameter's gradient (accumulated in double). */
double mc_nn_param_grad_norm(const mc_nn_param *p);
/* Copy every parameter and buffer from a safetensors file by name; a missing name or a shape or dtype
 * mismatch is a format error naming the tensor. */
mc_status mc_nn_params_load(mc_nn_params *p, const mc_safetensors *f, const char *path_for_messages);

/* ---------------------------------------------------------------- losses */

typedef enum mc_nn_reduction { MC_NN_REDUCTION_SUM = 0, MC_NN_REDUCTION_MEAN } mc_nn_reduction;

/* Every loss returns its value (accumulated in double, before `scale`) and, when grad is not NULL,
 * ADDS scale * dLoss/dinput to grad (like autograd accumulation; zero it first when it is the only
 * contribution). `scale` is the upstream factor, e.g. 1/n for a loss divided by the batch. */

/* torch.nn.functional.mse_loss: sum (or mean) of (pred - target)^2 over count values. */
double mc_nn_mse_loss(const float *pred, const float *target, int64_t count, mc_nn_reduction red,
                      float scale, float *grad);
/* torch.nn.functional.binary_cross_entropy on probabilities p in [0, 1]: -(t max(log p, -100) +
 * (1 - t) max(log(1 - p), -100)); gradient (p - t) / max(p (1 - p), 1e-12) as torch's backward. */
double mc_nn_bce_loss(const float *prob, const float *target, int64_t count, mc_nn_reduction red,
                      float scale, float *grad);
/* torch.nn.functional.binary_cross_entropy_with_logits: (1 - t) x + log(1 + exp(-x)), computed
 * stably; gradient sigmoid(x) - t. */
double mc_nn_bce_logits_loss(const float *logits, const float *target, int64_t count,
                             mc_nn_reduction red, float scale, float *grad);
/* KL(N(mu, exp(logvar)) || N(0, 1)) summed over count values: -0.5 sum(1 + lv - mu^2 - exp(lv)).
 * Gradients: dmu += scale mu, dlogvar += scale 0.5 (exp(lv) - 1) (either may be NULL). */
double mc_nn_kl_normal(const float *mu, const float *logvar, int64_t count, float scale, float *dmu,
                       float *dlogvar);

/* The reparameterisation trick z = mu + eps * exp(0.5 logvar), eps ~ N(0, 1).
 * mc_nn_normal_fill draws eps[i] = mc_rng_normal(rng) in index order (reproducible from the seed). */
void mc_nn_normal_fill(mc_rng *rng, float *eps, int64_t count);
void mc_nn_reparam_forward(const float *mu, const float *logvar, const float *eps, int64_t count,
                           float *z);
/* dmu += dz; dlogvar += dz * eps * 0.5 exp(0.5 logvar). */
void mc_nn_reparam_backward(const float *logvar, const float *eps, const float *dz, int64_t count,
                            float *dmu, float *dlogvar);

/* ---------------------------------------------------------------- optimiser */

/* torch.optim.Adam / AdamW (amsgrad off, maximize off), single-tensor path of PyTorch 1.13:
 *   AdamW: p *= 1 - lr wd                Adam with wd != 0: g = g + wd p (L2, grad left unchanged)
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * with the bias corrections in double and the element math in float, in that order. */
typedef struct mc_nn_adam_config {
    double lr;           /* 1e-3 */
    double beta1, beta2; /* 0.9, 0.999 */
    double eps;          /* 1e-8 */
    double weight_decay; /* Adam 0, AdamW 0.01 */
    bool decoupled;      /* true: AdamW */
} mc_nn_adam_config;
void mc_nn_adam_config_default(mc_nn_adam_config *c, bool adamw);

typedef struct mc_nn_adam mc_nn_adam;
/* Optimises the trainable parameters of p (p must outlive the optimiser and not change). */
mc_status mc_nn_adam_create(mc_nn_params *p, const mc_nn_adam_config *c, mc_nn_adam **out);
void mc_nn_adam_free(mc_nn_adam *a);
void mc_nn_adam_step(mc_nn_adam *a);
void mc_nn_adam_set_lr(mc_nn_adam *a, double lr);
/* Steps taken (torch's state['step']); settable for resuming from a checkpoint. */
int64_t mc_nn_adam_steps(const mc_nn_adam *a);
void mc_nn_adam_set_steps(mc_nn_adam *a, int64_t steps);
/* Moments of the i-th trainable parameter (same shape as it): exp_avg, exp_avg_sq. */
int mc_nn_adam_count(const mc_nn_adam *a);
mc_nn_param *mc_nn_adam_param(mc_nn_adam *a, int i, float **exp_avg, float **exp_avg_sq);

/* ---------------------------------------------------------------- gradient checks */

/* Central finite differences (f(x + h) - f(x - h)) / 2h against an analytic gradient, at up to
 * max_checks indices spread evenly over [0, count) (all of them when count <= max_checks). f must
 * recompute its value from the current x (it is called with x[i] perturbed and x restored after).
 * err = |fd - grad| / (max |grad| over the checked indices + tiny): relative to the gradient's scale,
 * so that entries that are zero by cancellation do not dominate. */
typedef struct mc_nn_gradcheck_result {
    double max_err;     /* max over checked indices of err */
    double max_abs;     /* max |fd - grad| */
    double grad_scale;  /* max |grad| over checked indices */
    int64_t worst;      /* index of max_err */
    int64_t checked;
} mc_nn_gradcheck_result;
/* Double precision: the check the layers' math is validated with (tests/test_nn.c runs it on double
 * reference implementations that the float layers are compared with). */
mc_status mc_nn_gradcheck_f64(double (*f)(void *ctx), void *ctx, double *x, const double *grad,
                              int64_t count, int64_t max_checks, double h,
                              mc_nn_gradcheck_result *res);
/* The same on float inputs (the function still returns double): for a quick check of a composed
 * model; h must be large enough for float rounding (1e-2 to 1e-3 relative to x). */
mc_status mc_nn_gradcheck_f32(double (*f)(void *ctx), void *ctx, float *x, const float *grad,
                              int64_t count, int64_t max_checks, double h,
                              mc_nn_gradcheck_result *res);

/* The library this module runs on: "openblas" (its configuration string, which starts with the
 * version); fills at most cap entries of out and returns how many it has (1). Strings are static. */
int mc_nn_versions(mc_library_version *out, int cap);

#ifdef __cplusplus
}
#endif
#endif
