/* Shared between the files of src/nn; not part of the public API. */
#ifndef MUSICLUST_NN_INTERNAL_H
#define MUSICLUST_NN_INTERNAL_H

#include <musiclust/nn.h>

#include <oneapi/dnnl/dnnl.h>

/* Loops over fewer elements than this stay on the calling thread: an OpenMP fork/join costs a few
 * microseconds, more than the loop itself (this is what keeps the small MLP-VAE fast). */
#define NN_PAR_MIN 32768

/* Budget for one convolution chunk's im2col matrix, in floats (8 MiB): large enough that the GEMM
 * over a chunk has thousands of columns (e.g. 4 samples of 32x32 outputs, 16 samples of 8x8), small
 * enough to stay a modest share of the model's memory. */
#define NN_COLS_BUDGET (2 * 1024 * 1024)

/* Geometry of a 2-D convolution as torch.nn.Conv2d sees it: an image (c, h, w) is read by a k x k
 * window with stride s and zero padding p at (ho, wo) positions. ConvTranspose2d uses the same
 * geometry with its output as the "image" and its input as the (ho, wo) grid. */
typedef struct nn_conv_geom {
    int c, h, w;   /* image channels and size */
    int k, s, p;   /* kernel, stride, padding */
    int ho, wo;    /* window positions */
} nn_conv_geom;

struct mc_nn_layer {
    mc_nn_kind kind;
    char name[MC_NN_NAME_MAX];
    mc_nn_act act;
    float slope;          /* LeakyReLU negative slope */
    int max_batch;
    bool training;
    bool input_grad;
    int in_ndim, out_ndim;
    int64_t in_shape[3], out_shape[3]; /* per sample */
    int64_t in_numel, out_numel;

    int n;                /* batch of the last forward, 0 before the first */
    const float *x;       /* (n, in_numel): input of the last forward, owned by the caller */
    float *y;             /* (max_batch, out_numel); on the blocked path NULL until first needed */
    float *dx;            /* (max_batch, in_numel) or NULL when the input gradient is off (or, on the
                             blocked path, until first needed) */

    int n_params;
    mc_nn_param params[5];
    int64_t num_batches_tracked;

    /* Linear: in_numel -> out_numel, weight (out, in).
     * Conv2d: geom over the input; weight (c_out, c_in k k) = (c_out, K).
     * ConvTranspose2d: geom over the output; weight (c_in, c_out k k) = (c_in, K). */
    nn_conv_geom geom;
    int c_in, c_out;
    int64_t kdim;         /* K = (image channels) k k: rows of the im2col matrix */
    int64_t grid;         /* ho wo: columns per sample of the im2col matrix */
    int chunk;            /* samples per im2col chunk */
    float *cols;          /* (K, chunk grid) */
    float *tmp;           /* (max(c_in, c_out), chunk grid): a chunk in channel-major layout */
    double *bias_acc;     /* (c_out) bias-gradient sums of one backward, in double */
    double *bias_part;    /* (max_batch, c_out) per-sample partial bias sums (conv layers) */

    /* BatchNorm over (n, C, spatial). */
    int64_t spatial;
    double eps, momentum;
    float *mean;          /* (C) the statistics the last forward normalised with */
    float *invstd;        /* (C) 1 / sqrt(var + eps) */

    /* Conv2d / ConvTranspose2d on oneDNN's blocked path (conv_dnnl.c), or NULL: the im2col path.
     * up / down: the conv layer before / after this one in an mc_nn_seq whose blocked output /
     * input gradient this layer reads directly when the sequence runs them back to back. */
    struct nn_dnn *dn;
    mc_nn_layer *up, *down;
    bool dx_blocked;      /* the last backward left dLoss/dx in dn's blocked buffer too */
    bool y_lazy, dx_lazy; /* y / dx not written yet: only dn's blocked copy holds them */
    double times[4];      /* profiling: forward wall, CPU, backward wall, CPU (seconds) */

    size_t bytes;         /* allocated by the layer */
};

/* Allocation that counts into l->bytes. */
void *nn_layer_alloc(mc_nn_layer *l, size_t n, size_t size);
/* Common part of every constructor: name, shapes, buffers y and dx. Returns NULL with the message set. */
/* Why the last nn_layer_new on this thread returned NULL: MC_STATUS_INVALID_ARG or MC_STATUS_NO_MEMORY
 * (the message is set). */
mc_status nn_layer_new_status(void);
mc_nn_layer *nn_layer_new(mc_nn_kind kind, const char *name, mc_nn_act act, int max_batch,
                          int in_ndim, const int64_t *in_shape, int out_ndim,
                          const int64_t *out_shape);
/* The NCHW output y (max_batch, out_numel) / input gradient dx (max_batch, in_numel, only while the
 * input gradient is on) allocated when still NULL: a blocked-path layer allocates them when first
 * needed (inside an mc_nn_seq only the ends of a linked run write them). False on out-of-memory
 * (message set). */
bool nn_layer_ensure_y(mc_nn_layer *l);
bool nn_layer_ensure_dx(mc_nn_layer *l);
/* Add parameter "<layer>.<suffix>" with data (and grad when trainable). */
mc_status nn_layer_add_param(mc_nn_layer *l, const char *suffix, int ndim, const int64_t *shape,
                             bool trainable, int64_t fan_in);
mc_status nn_check_act(mc_nn_act act, const char *name);

/* Activations on count values: y = act(y) in place; dy *= act'(y) from the output y. The plain
 * versions split large arrays over the team; the _serial ones are for use inside a parallel loop. */
void nn_act_forward(mc_nn_act act, float slope, float *y, int64_t count);
void nn_act_backward(mc_nn_act act, float slope, const float *y, float *dy, int64_t count);
void nn_act_forward_serial(mc_nn_act act, float slope, float *y, int64_t count);
void nn_act_backward_serial(mc_nn_act act, float slope, const float *y, float *dy, int64_t count);
/* dst = act(src + bias) (dst may equal src) */
void nn_bias_act_serial(mc_nn_act act, float slope, float *dst, const float *src, float bias,
                        int64_t count);
/* dst = dy act'(y); returns the sum of dst in double, in index order */
double nn_act_backward_copy_sum(mc_nn_act act, float slope, const float *y, const float *dy,
                                float *dst, int64_t count);

/* Per-kind forward/backward (n, x, y set by the dispatcher; dx NULL when off). */
void nn_linear_forward(mc_nn_layer *l);
void nn_linear_backward(mc_nn_layer *l, const float *dy);
void nn_conv_forward(mc_nn_layer *l);
void nn_conv_backward(mc_nn_layer *l, float *dy);
void nn_convt_forward(mc_nn_layer *l);
void nn_convt_backward(mc_nn_layer *l, float *dy);
void nn_bn_forward(mc_nn_layer *l);
void nn_bn_backward(mc_nn_layer *l, const float *dy);

/* ---------------------------------------------------------------- oneDNN (dnnl.c, conv_dnnl.c) */

/* The process's CPU engine and stream (created once; NULL when oneDNN cannot make them). */
dnnl_engine_t nn_dnnl_engine(void);
dnnl_stream_t nn_dnnl_stream(void);
/* Make oneDNN calls from this task run on one thread (see dnnl.c); returns what _end restores. */
int nn_dnnl_serial_begin(void);
void nn_dnnl_serial_end(int saved);
/* Execute p single-threaded on the module's stream; false on failure. */
bool nn_dnnl_exec(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args);
/* Execute a reorder (pure data movement: the same bytes on any team) on the current OpenMP team. */
bool nn_dnnl_exec_team(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args);
/* dnnl_primitive_create for a team of one. */
dnnl_status_t nn_dnnl_primitive(dnnl_primitive_t *p, const_dnnl_primitive_desc_t pd);
/* The implementation oneDNN picked ("jit:avx512_core", "ref:any", ...). */
const char *nn_dnnl_impl(const_dnnl_primitive_desc_t pd);

/* Set up l (a new Conv2d / ConvTranspose2d with its parameters) for the blocked path when oneDNN has
 * fast kernels for its shape on this CPU; otherwise leave l->dn NULL (the im2col path). Fails only
 * on out-of-memory. */
mc_status nn_dnn_setup(mc_nn_layer *l);
void nn_dnn_free(mc_nn_layer *l);
/* Blocked-path forward / backward. from_up: x is the unchanged output of l->up's last forward (its
 * blocked copy is read instead of x); from_down: dy is the unchanged input gradient of l->down's
 * last backward (its blocked copy is read instead). need_y / need_dx false: leave the NCHW output /
 * input gradient unwritten (l->y_lazy / l->dx_lazy; nn_dnn_materialize allocates and writes them).
 * The NCHW buffers are allocated when first written (nn_layer_ensure_y / _dx). */
mc_status nn_dnn_forward(mc_nn_layer *l, bool from_up, bool need_y);
mc_status nn_dnn_backward(mc_nn_layer *l, float *dy, bool from_down, bool need_dx);
mc_status nn_dnn_materialize(mc_nn_layer *l);
/* A linked run ls[0..k) (ls[i]->down == ls[i + 1], n, x and the flags already set by the caller):
 * forward with ls[0] reading its own input and only ls[k - 1] writing its NCHW output; backward
 * with ls[k - 1] reading dy (NCHW) and only ls[0] writing its NCHW input gradient. Each sample block
 * goes through every layer in turn (fewer trips through memory); the same bytes as layer by layer. */
mc_status nn_dnn_forward_run(mc_nn_layer **ls, int k, int n);
mc_status nn_dnn_backward_run(mc_nn_layer **ls, int k, float *dy);
/* Whether a seq may link a -> b (b reads a's blocked output); releases the buffers the link makes
 * unneeded and records it. */
void nn_dnn_link(mc_nn_layer *a, mc_nn_layer *b);
/* The precision of a blocked-path layer (fp32 when bf16 is not possible for it); *used: the outcome. */
mc_status nn_dnn_set_precision(mc_nn_layer *l, mc_nn_precision p, mc_nn_precision *used);
/* Input gradient switched on/off: the blocked copy follows. */
mc_status nn_dnn_set_input_grad(mc_nn_layer *l, bool on);
/* Put l on the im2col path (frees its oneDNN state; tests compare the two paths). */
mc_status nn_conv_use_im2col(mc_nn_layer *l);

/* NCHW <-> channel-blocked nChw{cb}c conversions of one sample (blocked.c); C a multiple of cb,
 * P = H W positions. bf16 copies (uint16_t) hold the float rounded to nearest even. */
uint16_t nn_bf16(float f);
float nn_bf16_float(uint16_t h);
/* dst (blocked, may be NULL) and d16 (blocked bf16, may be NULL) = src (NCHW). */
void nn_blk_pack(float *dst, uint16_t *d16, const float *src, int C, int64_t P, int cb);
/* dst (NCHW) = src (blocked) or, when src is NULL, s16 (blocked bf16). */
void nn_blk_unpack(float *dst, const float *src, const uint16_t *s16, int C, int64_t P, int cb);
/* The forward's output pass: v = act(yb + bias[c]) written back to yb, or v = yb when bias is NULL
 * (the kernel applied both); then y (NCHW, may be NULL) = v and y16 (blocked bf16, may be NULL). */
void nn_blk_out(float *yb, float *y, uint16_t *y16, const float *bias, mc_nn_act act, float slope, int C, int64_t P,
                int cb);
/* v = g act'(y) with g = dy (NCHW) or, when dy is NULL, gs (blocked), and y = yb or, when yb is NULL,
 * yb16; gb (may be NULL) = v, gb16 (may be NULL) = bf16(v); bsum[c] = the sum of channel c's v,
 * positions in order, in double. */
void nn_blk_act_grad(float *gb, uint16_t *gb16, const float *dy, const float *gs, const float *yb,
                     const uint16_t *yb16, mc_nn_act act, float slope, int C, int64_t P, int cb, double *bsum);
/* dst[i] = bf16(src[i]) */
void nn_cvt_bf16(uint16_t *dst, const float *src, int64_t count);

/* Tests only: process convolutions in chunks of at most `chunk` samples (clamped to [1, the chunk the
 * workspace was sized for]), so that small shapes exercise the multi-chunk path. */
void nn_layer_set_chunk(mc_nn_layer *l, int chunk);

/* Make sure OpenBLAS runs single-threaded (the GEMMs are split over our own team; see nn.h). Call
 * outside parallel regions, before calling cblas_sgemm from inside one. */
void nn_blas_serial(void);

/* Fixed-order sums in double: sum of x[0..count), and of x[i]^2. */
double nn_sum_f64(const float *x, int64_t count);

#endif
