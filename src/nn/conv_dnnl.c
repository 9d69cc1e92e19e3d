/* Conv2d and ConvTranspose2d on oneDNN's direct convolution kernels (the "blocked path").
 *
 * oneDNN's JIT kernels for AVX-512 (and AVX2) reach 80-95% of the FMA peak on this model's layers
 * when activations are stored channel-blocked (nChw16c: 16 channels of one position side by side) and
 * weights in the kernels' own layouts; they dispatch on the CPU themselves, so the speed does not
 * depend on which kernel OpenBLAS picks. The layer keeps its public buffers in NCHW (y, dx: allocated
 * when first needed) and a blocked copy of its output (yb); each conversion is fused with work that
 * needs a pass anyway:
 *   forward   [pack x]  conv  ->  yb = act(yb + bias), y = the same in NCHW              (blocked.c)
 *             (Conv2d with ReLU or no activation: the kernel adds the bias and applies the ReLU itself)
 *   backward  gb = dy act'(yb) (+ bias sums)  ->  dW partial, gb -> dxb  ->  dx = unpack(dxb)
 * Inside an mc_nn_seq, a conv layer that follows another reads that layer's yb as its input (no pack),
 * and the one before it reads the follower's dxb as its gradient (no pack): see nn_dnn_link. The NCHW
 * y of a layer whose output only feeds the next conv layer, and the NCHW dx of a layer whose input
 * gradient only feeds the previous one, are then not written at all during mc_nn_seq_forward /
 * _backward: mc_nn_layer_output / mc_nn_layer_input_grad convert them when asked (l->y_lazy,
 * l->dx_lazy).
 * A Conv2d from one channel reads its input as NCHW. A ConvTranspose2d to one channel (the decoder's
 * last layer) keeps its output in NCHW; its forward is cols^T (P_in, k k) = sum over channel blocks q
 * of X_q (P_in, cb) W_q (cb, k k) (X_q: the blocked input, already in that row-major form; W_q: rows
 * of torch's (c_in, k k) weight) and a col2im (oneDNN 2.6 has only a reference kernel for it, or one
 * 16x padded); its backward is oneDNN's kernels with the plain gradient.
 *
 * bf16 (mc_nn_layer_set_precision): a layer with blocked input and output runs its three convolutions
 * on bf16 copies of the input, the weights and the output gradient (oneDNN's AVX512_BF16 / AMX
 * kernels), accumulating in fp32: outputs, input gradients and weight gradients stay fp32, and the
 * weights themselves (the optimiser's) stay fp32 ("master weights"); the bf16 weights are rounded
 * from them before every forward and backward.
 *
 * Determinism. A batch is cut into blocks of B samples (B depends only on max_batch); every block
 * runs the same oneDNN primitives, created for mb = B and a team of one, on one thread (dnnl.c). The
 * last block of a batch whose size is not a multiple of B is padded with zero samples (their output is
 * never read; their gradient is zero, so they add exact zeros to dW). Each block writes its own weight-
 * gradient partial; the partials are added in block order. So every value is computed by the same
 * instructions in the same order for any thread count. The bias of a ConvTranspose2d is added by us
 * (oneDNN 2.6 adds it in a slow separate pass) and the bias gradient is summed in double per (sample,
 * channel), then over samples in order, as on the im2col path. */
#include "nn_internal.h"

#include <omp.h>
#include <string.h>

/* Samples per block: enough for the kernels to run at full speed (their loops run over the block's
 * positions), few enough that a batch of 128 gives 16 blocks to share among threads. */
#define NN_DNN_BLOCK 8

/* The primitives and weight buffers of one precision. */
typedef struct dn_set {
    dnnl_primitive_t fwd, bwd_d, bwd_w, r_wf, r_wd, r_dw;
    bool r_dw_sums;    /* r_dw adds into the gradient (sum post-op); else it writes dw_tmp */
    dnnl_memory_t m_wf, m_wd, m_dwsum, m_grad;
    dnnl_memory_t *m_src, *m_dst, *m_ddst, *m_dsrc, *m_dw; /* [nblk_max], handles set per call */
    void *wf, *wd;     /* weights in the forward / backward-data layouts (wd == wf when they agree) */
    float *dwp;        /* (nblk_max, dw_n) per-block weight-gradient partials in bwd_w's layout */
    float *dw_tmp;     /* (weight numel) when r_dw cannot add: the summed gradient in torch's layout */
    int64_t dw_n;      /* floats per partial */
    size_t scr_bytes;  /* per block */
    size_t bytes;
} dn_set;

struct nn_dnn {
    int cb;            /* channels per block of the activation layouts */
    int B;             /* samples per block */
    int nblk_max;      /* blocks of a max_batch */
    int64_t npad;      /* nblk_max B: rows of the blocked buffers */
    bool src_plain;    /* Conv2d with one input channel: the input is read as NCHW */
    bool dst_plain;    /* ConvTranspose2d to one channel: the output is NCHW (no yb) */
    bool fused;        /* the forward kernel adds the bias and applies the ReLU itself (Conv2d) */
    bool bf16;         /* running on s16 */
    int64_t P_in, P_out; /* positions per channel of the input and the output */

    dn_set s32, s16;   /* fp32 primitives; bf16 ones once mc_nn_layer_set_precision asked (else zero) */
    dnnl_memory_t m_wuser, m_bias, *m_scr;
    unsigned char *scr; /* (nblk_max, scr_bytes) */
    size_t scr_bytes;

    float *xb;         /* (npad, in) blocked input copy; NULL while fed by l->up (allocated on demand) */
    float *yb;         /* (npad, out) blocked output after bias and activation; NULL when dst_plain */
    float *gb;         /* (gb_slots, B, out) the gradient before the activation of the blocks being run
                          (blocked, or NCHW when dst_plain): block b's rows live only while b runs, so a
                          slot per thread that runs blocks at once (not npad rows); fp32 only, allocated
                          by the first backward, regrown when a larger team comes */
    int gb_slots;
    float *dxb;        /* (npad, in) blocked input gradient (NCHW rows when src_plain), when input_grad */
    float *xtail;      /* (B, in) a plain input's last partial block, zero padded */
    float *ct;         /* dst_plain: (nblk_max, P_in, k k) one sample's cols^T per block */
    uint16_t *xb16, *yb16, *gb16; /* bf16: input (unless fed by a bf16 l->up), output, gradient */

    int src_mode;      /* what the last forward read: 0 own xb, 1 l->up's yb, 2 plain x, 3 own xb16,
                          4 l->up's yb16 */
};

/* ---------------------------------------------------------------- allocation helpers */

static void *dn_alloc(mc_nn_layer *l, int64_t count, size_t size) {
    return nn_layer_alloc(l, (size_t)count, size);
}

static void dn_release(mc_nn_layer *l, void *pp, int64_t count, size_t size) {
    void **p = pp;
    if (!*p) return;
    mc_free(*p);
    *p = NULL;
    l->bytes -= (size_t)count * size;
}

static void destroy_mems(dnnl_memory_t *m, int n) {
    for (int i = 0; m && i < n; i++)
        if (m[i]) dnnl_memory_destroy(m[i]);
    mc_free(m);
}

static void set_free(mc_nn_layer *l, dn_set *s, int nblk) {
    dnnl_primitive_t prims[6] = {s->fwd, s->bwd_d, s->bwd_w, s->r_wf, s->r_wd, s->r_dw};
    for (int i = 0; i < 6; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[4] = {s->m_wf, s->m_wd, s->m_dwsum, s->m_grad};
    for (int i = 0; i < 4; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    dnnl_memory_t *blk[5] = {s->m_src, s->m_dst, s->m_ddst, s->m_dsrc, s->m_dw};
    for (int i = 0; i < 5; i++) destroy_mems(blk[i], nblk);
    if (s->wd != s->wf) mc_free(s->wd);
    mc_free(s->wf);
    mc_free(s->dwp);
    mc_free(s->dw_tmp);
    l->bytes -= s->bytes;
    memset(s, 0, sizeof *s);
}

void nn_dnn_free(mc_nn_layer *l) {
    if (!l || !l->dn) return;
    struct nn_dnn *d = l->dn;
    set_free(l, &d->s32, d->nblk_max);
    set_free(l, &d->s16, d->nblk_max);
    if (d->m_wuser) dnnl_memory_destroy(d->m_wuser);
    if (d->m_bias) dnnl_memory_destroy(d->m_bias);
    destroy_mems(d->m_scr, d->nblk_max);
    if (d->scr) {
        mc_free(d->scr);
        l->bytes -= (size_t)d->nblk_max * d->scr_bytes;
    }
    const int64_t in = d->npad * l->in_numel, out = d->npad * l->out_numel;
    dn_release(l, &d->xb, in, sizeof(float));
    dn_release(l, &d->yb, out, sizeof(float));
    dn_release(l, &d->gb, (int64_t)d->gb_slots * d->B * l->out_numel, sizeof(float));
    dn_release(l, &d->dxb, in, sizeof(float));
    dn_release(l, &d->xtail, (int64_t)d->B * l->in_numel, sizeof(float));
    dn_release(l, &d->ct, (int64_t)d->nblk_max * d->P_in * l->geom.k * l->geom.k, sizeof(float));
    dn_release(l, &d->xb16, in, sizeof(uint16_t));
    dn_release(l, &d->yb16, out, sizeof(uint16_t));
    dn_release(l, &d->gb16, out, sizeof(uint16_t));
    mc_free(d);
    l->dn = NULL;
    if (l->up) l->up->down = NULL;
    if (l->down) l->down->up = NULL;
    l->up = l->down = NULL;
}

/* ---------------------------------------------------------------- construction */

static bool is_jit(const_dnnl_primitive_desc_t pd) { return strncmp(nn_dnnl_impl(pd), "jit", 3) == 0; }

static dnnl_status_t md4(dnnl_memory_desc_t *md, int64_t a, int64_t b, int64_t c, int64_t d, dnnl_data_type_t dt,
                         dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {a, b, c, d};
    return dnnl_memory_desc_init_by_tag(md, 4, dims, dt, tag);
}

static dnnl_memory_t *make_mems(const dnnl_memory_desc_t *md, int n, bool *ok) {
    dnnl_memory_t *m = mc_alloc((size_t)n, sizeof *m);
    if (!m) {
        *ok = false;
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (dnnl_memory_create(&m[i], md, nn_dnnl_engine(), DNNL_MEMORY_NONE) != dnnl_success) *ok = false;
    return m;
}

static dnnl_status_t make_reorder(dnnl_primitive_t *p, const dnnl_memory_desc_t *from,
                                  const dnnl_memory_desc_t *to, bool sum) {
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success && sum) {
        s = dnnl_post_ops_create(&po);
        if (s == dnnl_success) s = dnnl_post_ops_append_sum(po, 1.0f);
        if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, po);
    }
    int saved = nn_dnnl_serial_begin();
    if (s == dnnl_success)
        s = dnnl_reorder_primitive_desc_create(&pd, from, nn_dnnl_engine(), to, nn_dnnl_engine(), attr);
    nn_dnnl_serial_end(saved);
    if (s == dnnl_success) s = nn_dnnl_primitive(p, pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return s;
}

/* The three convolution primitive descriptors of l for channel block cb and a data type. */
typedef struct dn_pds {
    dnnl_primitive_desc_t fwd, bwd_d, bwd_w;
} dn_pds;

static void pds_free(dn_pds *p) {
    if (p->fwd) dnnl_primitive_desc_destroy(p->fwd);
    if (p->bwd_d) dnnl_primitive_desc_destroy(p->bwd_d);
    if (p->bwd_w) dnnl_primitive_desc_destroy(p->bwd_w);
    memset(p, 0, sizeof *p);
}

/* Conv2d's forward kernel adds the bias and applies a ReLU as it writes its output (free, where a
 * separate pass costs a trip through memory); ConvTranspose2d's does both in a slow extra pass in
 * oneDNN 2.6, so there we do them. Other activations keep our formulas. */
static bool fuses(const mc_nn_layer *l) {
    return l->kind == MC_NN_KIND_CONV2D && (l->act == MC_NN_ACT_NONE || l->act == MC_NN_ACT_RELU);
}

/* bf16: src, weights and diff_dst in bf16; dst, diff_src, diff_weights and bias in f32. */
static bool make_pds(const mc_nn_layer *l, int cb, int B, bool bf16, dn_pds *out) {
    memset(out, 0, sizeof *out);
    const bool conv = l->kind == MC_NN_KIND_CONV2D;
    const nn_conv_geom *g = &l->geom;
    const dnnl_format_tag_t blk = cb == 16 ? dnnl_nChw16c : dnnl_nChw8c;
    const bool plain = conv && l->c_in == 1, dplain = !conv && l->c_out == 1;
    const dnnl_data_type_t lo = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t src, srcf, dst, ddst, w, wf32, bias;
    dnnl_dims_t strides = {g->s, g->s}, pad = {g->p, g->p}, bdims = {l->c_out};
    const int64_t hi = l->in_shape[1], wi = l->in_shape[2], ho = l->out_shape[1], wo = l->out_shape[2];
    const dnnl_format_tag_t stag = plain ? dnnl_nchw : blk, dtag = dplain ? dnnl_nchw : blk;
    if (md4(&src, B, l->c_in, hi, wi, lo, stag) != dnnl_success ||
        md4(&srcf, B, l->c_in, hi, wi, dnnl_f32, stag) != dnnl_success ||
        md4(&dst, B, l->c_out, ho, wo, dnnl_f32, dtag) != dnnl_success ||
        md4(&ddst, B, l->c_out, ho, wo, lo, dtag) != dnnl_success ||
        md4(&w, l->c_out, l->c_in, g->k, g->k, lo, dnnl_format_tag_any) != dnnl_success ||
        md4(&wf32, l->c_out, l->c_in, g->k, g->k, dnnl_f32, dnnl_format_tag_any) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&bias, 1, bdims, dnnl_f32, dnnl_x) != dnnl_success)
        return false;
    dnnl_primitive_attr_t attr = NULL, fattr = NULL;
    dnnl_post_ops_t po = NULL;
    bool ok = dnnl_primitive_attr_create(&attr) == dnnl_success && dnnl_primitive_attr_create(&fattr) == dnnl_success &&
              dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success &&
              dnnl_primitive_attr_set_scratchpad_mode(fattr, dnnl_scratchpad_mode_user) == dnnl_success;
    if (ok && fuses(l) && l->act == MC_NN_ACT_RELU)
        ok = dnnl_post_ops_create(&po) == dnnl_success &&
             dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(fattr, po) == dnnl_success;
    /* descriptors are configured for the team they are created in: one thread (dnnl.c) */
    int saved = nn_dnnl_serial_begin();
    if (ok && conv) {
        dnnl_convolution_desc_t f, bd, bw;
        ok = dnnl_convolution_forward_desc_init(&f, dnnl_forward_training, dnnl_convolution_direct, &src, &w,
                                                fuses(l) ? &bias : NULL, &dst, strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->fwd, &f, fattr, nn_dnnl_engine(), NULL) == dnnl_success &&
             dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &srcf, &w, &ddst, strides,
                                                      pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_d, &bd, attr, nn_dnnl_engine(), out->fwd) == dnnl_success &&
             dnnl_convolution_backward_weights_desc_init(&bw, dnnl_convolution_direct, &src, &wf32, NULL, &ddst,
                                                         strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_w, &bw, attr, nn_dnnl_engine(), out->fwd) == dnnl_success;
    } else if (ok) {
        dnnl_deconvolution_desc_t f, bd, bw;
        ok = dnnl_deconvolution_forward_desc_init(&f, dnnl_forward_training, dnnl_deconvolution_direct, &src,
                                                  &w, NULL, &dst, strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->fwd, &f, attr, nn_dnnl_engine(), NULL) == dnnl_success &&
             dnnl_deconvolution_backward_data_desc_init(&bd, dnnl_deconvolution_direct, &srcf, &w, &ddst,
                                                        strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_d, &bd, attr, nn_dnnl_engine(), out->fwd) == dnnl_success &&
             dnnl_deconvolution_backward_weights_desc_init(&bw, dnnl_deconvolution_direct, &src, &wf32, NULL,
                                                           &ddst, strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_w, &bw, attr, nn_dnnl_engine(), out->fwd) == dnnl_success;
    }
    nn_dnnl_serial_end(saved);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (fattr) dnnl_primitive_attr_destroy(fattr);
    if (po) dnnl_post_ops_destroy(po);
    /* Only kernels that are fast: JIT ones (the reference and GEMM-based ones are slower than the
     * im2col path). The input gradient of a one-channel input is allowed any kernel: models never
     * ask for it, and it stays correct. A one-channel output's forward is our own. */
    if (ok) ok = (dplain || is_jit(out->fwd)) && is_jit(out->bwd_w) && (plain || is_jit(out->bwd_d));
    if (!ok) pds_free(out);
    return ok;
}

static size_t scratch_bytes(const_dnnl_primitive_desc_t pd) {
    const dnnl_memory_desc_t *m = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    return m ? dnnl_memory_desc_get_size(m) : 0;
}

/* Primitives, reorders, weight buffers and per-block memory objects of one precision. */
static bool build_set(mc_nn_layer *l, const dn_pds *pds, dn_set *s) {
    struct nn_dnn *d = l->dn;
    memset(s, 0, sizeof *s);
    const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md(pds->fwd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dst = dnnl_primitive_desc_query_md(pds->fwd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *wf = dnnl_primitive_desc_query_md(pds->fwd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *wd = dnnl_primitive_desc_query_md(pds->bwd_d, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dw = dnnl_primitive_desc_query_md(pds->bwd_w, dnnl_query_diff_weights_md, 0);
    const dnnl_memory_desc_t *dsrc = dnnl_primitive_desc_query_md(pds->bwd_d, dnnl_query_diff_src_md, 0);
    const dnnl_memory_desc_t *ddst = dnnl_primitive_desc_query_md(pds->bwd_w, dnnl_query_diff_dst_md, 0);
    dnnl_memory_desc_t wuser;
    const nn_conv_geom *g = &l->geom;
    const bool conv = l->kind == MC_NN_KIND_CONV2D;
    /* torch's layouts: Conv2d (c_out, c_in, k, k), ConvTranspose2d (c_in, c_out, k, k); oneDNN's
     * logical weight dims are (c_out, c_in, k, k) for both */
    if (md4(&wuser, l->c_out, l->c_in, g->k, g->k, dnnl_f32, conv ? dnnl_oihw : dnnl_iohw) != dnnl_success)
        return false;
    if ((!d->dst_plain && nn_dnnl_primitive(&s->fwd, pds->fwd) != dnnl_success) ||
        nn_dnnl_primitive(&s->bwd_d, pds->bwd_d) != dnnl_success ||
        nn_dnnl_primitive(&s->bwd_w, pds->bwd_w) != dnnl_success)
        return false;
    const bool same_w = dnnl_memory_desc_equal(wf, wd);
    if (!d->dst_plain && make_reorder(&s->r_wf, &wuser, wf, false) != dnnl_success) return false;
    if ((d->dst_plain || !same_w) && make_reorder(&s->r_wd, &wuser, wd, false) != dnnl_success) return false;
    s->r_dw_sums = make_reorder(&s->r_dw, dw, &wuser, true) == dnnl_success;
    if (!s->r_dw_sums && make_reorder(&s->r_dw, dw, &wuser, false) != dnnl_success) return false;

    s->scr_bytes = d->dst_plain ? 0 : scratch_bytes(pds->fwd);
    size_t s2 = scratch_bytes(pds->bwd_d), s3 = scratch_bytes(pds->bwd_w);
    if (s2 > s->scr_bytes) s->scr_bytes = s2;
    if (s3 > s->scr_bytes) s->scr_bytes = s3;
    const int64_t wn = l->params[0].numel;
    const size_t wf_b = d->dst_plain ? 0 : dnnl_memory_desc_get_size(wf), wd_b = dnnl_memory_desc_get_size(wd);
    const bool share = !d->dst_plain && same_w;
    s->dw_n = (int64_t)((dnnl_memory_desc_get_size(dw) / sizeof(float) + 15) / 16 * 16);
    s->wf = wf_b ? mc_alloc(1, wf_b) : NULL;
    s->wd = share ? s->wf : mc_alloc(1, wd_b);
    s->dwp = mc_alloc((size_t)d->nblk_max * (size_t)s->dw_n, sizeof(float));
    s->dw_tmp = s->r_dw_sums ? NULL : mc_alloc((size_t)wn, sizeof(float));
    s->bytes = wf_b + (share ? 0 : wd_b) + ((size_t)d->nblk_max * (size_t)s->dw_n + (s->dw_tmp ? (size_t)wn : 0)) *
                                               sizeof(float);
    l->bytes += s->bytes;
    if ((wf_b && !s->wf) || !s->wd || !s->dwp || (!s->r_dw_sums && !s->dw_tmp)) return false;
    dnnl_engine_t e = nn_dnnl_engine();
    if ((wf_b && dnnl_memory_create(&s->m_wf, wf, e, s->wf) != dnnl_success) ||
        dnnl_memory_create(&s->m_wd, wd, e, s->wd) != dnnl_success ||
        dnnl_memory_create(&s->m_dwsum, dw, e, s->dwp) != dnnl_success ||
        dnnl_memory_create(&s->m_grad, &wuser, e, s->r_dw_sums ? l->params[0].grad : s->dw_tmp) != dnnl_success)
        return false;
    bool ok = true;
    s->m_src = make_mems(src, d->nblk_max, &ok);
    s->m_dst = make_mems(dst, d->nblk_max, &ok);
    s->m_ddst = make_mems(ddst, d->nblk_max, &ok);
    s->m_dsrc = make_mems(dsrc, d->nblk_max, &ok);
    s->m_dw = make_mems(dw, d->nblk_max, &ok);
    if (!ok) return false;
    for (int b = 0; b < d->nblk_max; b++) dnnl_memory_set_data_handle(s->m_dw[b], s->dwp + (int64_t)b * s->dw_n);
    return true;
}

/* Per-block scratchpads for the largest need of the built sets. */
static bool ensure_scratch(mc_nn_layer *l) {
    struct nn_dnn *d = l->dn;
    size_t need = d->s32.scr_bytes > d->s16.scr_bytes ? d->s32.scr_bytes : d->s16.scr_bytes;
    need = (need + 63) / 64 * 64;
    if (need <= d->scr_bytes) return true;
    destroy_mems(d->m_scr, d->nblk_max);
    d->m_scr = NULL;
    if (d->scr) {
        mc_free(d->scr);
        l->bytes -= (size_t)d->nblk_max * d->scr_bytes;
    }
    d->scr_bytes = 0;
    d->scr = mc_alloc((size_t)d->nblk_max, need);
    if (!d->scr) return false;
    d->scr_bytes = need;
    l->bytes += (size_t)d->nblk_max * need;
    dnnl_memory_desc_t flat;
    dnnl_dims_t sd = {(int64_t)need};
    if (dnnl_memory_desc_init_by_tag(&flat, 1, sd, dnnl_u8, dnnl_x) != dnnl_success) return false;
    bool ok = true;
    d->m_scr = make_mems(&flat, d->nblk_max, &ok);
    if (!ok) return false;
    for (int b = 0; b < d->nblk_max; b++) dnnl_memory_set_data_handle(d->m_scr[b], d->scr + (size_t)b * need);
    return true;
}

mc_status nn_dnn_setup(mc_nn_layer *l) {
    l->dn = NULL;
    if (!nn_dnnl_engine()) return MC_STATUS_OK;
    const bool conv = l->kind == MC_NN_KIND_CONV2D;
    const int B = l->max_batch < NN_DNN_BLOCK ? l->max_batch : NN_DNN_BLOCK;
    dn_pds pds;
    int cb = 0;
    const int cands[2] = {16, 8};
    for (int i = 0; i < 2 && !cb; i++) {
        int c = cands[i];
        bool shapes = (l->c_out % c == 0 || (!conv && l->c_out == 1)) && (l->c_in % c == 0 || (conv && l->c_in == 1));
        if (shapes && make_pds(l, c, B, false, &pds)) cb = c;
    }
    if (!cb) return MC_STATUS_OK; /* no fast kernel for this shape here: the im2col path */

    struct nn_dnn *d = mc_alloc(1, sizeof *d);
    if (!d) {
        pds_free(&pds);
        return MC_STATUS_NO_MEMORY;
    }
    l->dn = d;
    d->cb = cb;
    d->B = B;
    d->nblk_max = (l->max_batch + B - 1) / B;
    d->npad = (int64_t)d->nblk_max * B;
    d->src_plain = conv && l->c_in == 1;
    d->dst_plain = !conv && l->c_out == 1;
    d->fused = fuses(l);
    d->P_in = l->in_shape[1] * l->in_shape[2];
    d->P_out = l->out_shape[1] * l->out_shape[2];
    const nn_conv_geom *g = &l->geom;
    dnnl_memory_desc_t wuser, bmd;
    dnnl_dims_t bdims = {l->c_out};
    bool ok = md4(&wuser, l->c_out, l->c_in, g->k, g->k, dnnl_f32, conv ? dnnl_oihw : dnnl_iohw) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&bmd, 1, bdims, dnnl_f32, dnnl_x) == dnnl_success &&
              dnnl_memory_create(&d->m_wuser, &wuser, nn_dnnl_engine(), l->params[0].data) == dnnl_success &&
              dnnl_memory_create(&d->m_bias, &bmd, nn_dnnl_engine(), l->params[1].data) == dnnl_success &&
              build_set(l, &pds, &d->s32);
    pds_free(&pds);
    if (!ok) {
        /* oneDNN offered the kernels but not the rest (or memory ran out): the im2col path */
        nn_dnn_free(l);
        return MC_STATUS_OK;
    }
    const int64_t in = d->npad * l->in_numel, out = d->npad * l->out_numel;
    if (d->dst_plain)
        d->ct = dn_alloc(l, (int64_t)d->nblk_max * d->P_in * g->k * g->k, sizeof(float));
    else
        d->yb = dn_alloc(l, out, sizeof(float));
    if (d->src_plain)
        d->xtail = dn_alloc(l, (int64_t)B * l->in_numel, sizeof(float));
    else
        d->xb = dn_alloc(l, in, sizeof(float));
    if (l->input_grad) d->dxb = dn_alloc(l, in, sizeof(float));
    if ((d->dst_plain ? !d->ct : !d->yb) || (d->src_plain ? !d->xtail : !d->xb) || (l->input_grad && !d->dxb)) {
        nn_dnn_free(l);
        return MC_STATUS_NO_MEMORY; /* nn_layer_alloc's message: the layer, its batch and the bytes */
    }
    if (!ensure_scratch(l)) {
        nn_dnn_free(l);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory setting up the oneDNN convolution", l->name);
    }
    /* l->y and l->dx stay NULL until first needed (nn_layer_ensure_y / _dx): inside an mc_nn_seq the
     * layers of a linked run hand each other their blocked copies and never write them (the conv-vae's
     * 8 layers: 117 MB of 124 MB at 32 rows) */
    return MC_STATUS_OK;
}

void nn_dnn_link(mc_nn_layer *a, mc_nn_layer *b) {
    if (!a || !b || !a->dn || !b->dn || b->dn->src_plain || a->dn->dst_plain || a->dn->cb != b->dn->cb ||
        a->dn->B != b->dn->B || a->down || b->up || a->out_ndim != 3 || b->in_ndim != 3)
        return;
    for (int i = 0; i < 3; i++)
        if (a->out_shape[i] != b->in_shape[i]) return;
    a->down = b;
    b->up = a;
    /* b reads a's blocked output: its own copies go (they come back on demand if b is later run on
     * its own, or reads an fp32 a in bf16) */
    dn_release(b, &b->dn->xb, b->dn->npad * b->in_numel, sizeof(float));
    if (a->dn->bf16) dn_release(b, &b->dn->xb16, b->dn->npad * b->in_numel, sizeof(uint16_t));
}

mc_status nn_dnn_set_input_grad(mc_nn_layer *l, bool on) {
    struct nn_dnn *d = l->dn;
    if (on && !d->dxb) {
        d->dxb = dn_alloc(l, d->npad * l->in_numel, sizeof(float));
        if (!d->dxb) return MC_STATUS_NO_MEMORY;
    } else if (!on) {
        dn_release(l, &d->dxb, d->npad * l->in_numel, sizeof(float));
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- precision */

static int g_bf16_cpu = -1; /* whether oneDNN runs bf16 convolutions with JIT kernels here */

bool mc_nn_bf16_available(void) {
    if (g_bf16_cpu >= 0) return g_bf16_cpu == 1;
    /* a probe layer: oneDNN answers with a JIT kernel only where AVX512_BF16 (or AMX) is there */
    int ok = 0;
    mc_nn_layer *l = NULL;
    if (nn_dnnl_engine() && mc_nn_conv2d_create("bf16_probe", 16, 8, 8, 16, 3, 1, 1, MC_NN_ACT_NONE, 1, &l) ==
                                MC_STATUS_OK && l->dn) {
        dn_pds pds;
        if (make_pds(l, l->dn->cb, 1, true, &pds)) {
            ok = 1;
            pds_free(&pds);
        }
    }
    mc_nn_layer_free(l);
    g_bf16_cpu = ok;
    return ok == 1;
}

mc_status nn_dnn_set_precision(mc_nn_layer *l, mc_nn_precision p, mc_nn_precision *used) {
    *used = MC_NN_PRECISION_FP32;
    struct nn_dnn *d = l->dn;
    if (!d) return MC_STATUS_OK;
    if (p == MC_NN_PRECISION_FP32 || d->src_plain || d->dst_plain || !mc_nn_bf16_available()) {
        d->bf16 = false;
        return MC_STATUS_OK;
    }
    if (!d->s16.bwd_w) {
        dn_pds pds;
        if (!make_pds(l, d->cb, d->B, true, &pds)) return MC_STATUS_OK; /* no bf16 kernel for this shape */
        bool ok = build_set(l, &pds, &d->s16);
        pds_free(&pds);
        const int64_t out = d->npad * l->out_numel;
        if (ok && !d->yb16) ok = (d->yb16 = dn_alloc(l, out, sizeof(uint16_t))) != NULL;
        if (ok && !d->gb16) ok = (d->gb16 = dn_alloc(l, out, sizeof(uint16_t))) != NULL;
        /* its own bf16 input unless a bf16 layer before it hands over its copy */
        if (ok && !(l->up && l->up->dn && l->up->dn->bf16) && !d->xb16)
            ok = (d->xb16 = dn_alloc(l, d->npad * l->in_numel, sizeof(uint16_t))) != NULL;
        if (ok) ok = ensure_scratch(l);
        if (!ok) {
            set_free(l, &d->s16, d->nblk_max);
            return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory setting up bf16 convolutions", l->name);
        }
    }
    d->bf16 = true;
    *used = MC_NN_PRECISION_BF16;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- forward */

static mc_status exec_fail(mc_nn_layer *l, const char *what) {
    return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: oneDNN %s failed", l->name, what);
}

/* Weights smaller than this are reordered on the calling thread: a team's fork/join costs more than
 * the copy, and oneDNN's blocked reorder of a one-channel ConvTranspose2d weight (1x32x4x4 to Bcda16b)
 * took ~7 ms on the team against ~0.01 ms alone (DNNL_VERBOSE=2). */
#define NN_REORDER_TEAM_BYTES (256 * 1024)

/* A weight reorder: a copy (f32 -> bf16 rounding, or an element-wise sum into the gradient), so it may
 * run on the whole team. */
static bool run1(dnnl_primitive_t p, dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    const dnnl_memory_desc_t *md = NULL;
    if (dnnl_memory_get_memory_desc(to, &md) == dnnl_success && dnnl_memory_desc_get_size(md) < NN_REORDER_TEAM_BYTES)
        return nn_dnnl_exec(p, 2, a);
    return nn_dnnl_exec_team(p, 2, a);
}

/* Whether the loop over nblk blocks of work (per-sample numel `per`) is worth a fork/join. */
static bool par_worth(int nblk, int n, int64_t per) { return nblk > 1 && (int64_t)n * per > NN_PAR_MIN; }

/* dst_plain: sample j's output y (h_out, w_out) = act(bias + col2im(cols^T)) from its blocked input xj
 * (see the top of the file); ct: (P_in, k k) scratch. The col2im adds in the order (iy, ix, ki, kj). */
static void convt1_sample(mc_nn_layer *l, const float *xj, float *ct, float *y) {
    const struct nn_dnn *d = l->dn;
    const nn_conv_geom *g = &l->geom; /* over the output */
    const int k = g->k, s = g->s, p = g->p, cb = d->cb, H = (int)l->in_shape[1], W = (int)l->in_shape[2];
    const int64_t K = (int64_t)k * k, P = d->P_in;
    const float *w = l->params[0].data; /* (c_in, 1, k, k) = (c_in, K) */
    for (int q = 0; q < l->c_in / cb; q++)
        mc_nn_gemm(false, false, P, K, cb, 1.0f, xj + (int64_t)q * P * cb, cb, w + (int64_t)q * cb * K, K,
                   q ? 1.0f : 0.0f, ct, K);
    const float bias = l->params[1].data[0];
    const int64_t plane = (int64_t)g->h * g->w;
    for (int64_t i = 0; i < plane; i++) y[i] = bias;
    for (int iy = 0; iy < H; iy++)
        for (int ix = 0; ix < W; ix++) {
            const float *c = ct + ((int64_t)iy * W + ix) * K;
            for (int ki = 0; ki < k; ki++) {
                const int oy = iy * s - p + ki;
                if (oy < 0 || oy >= g->h) continue;
                float *yr = y + (int64_t)oy * g->w;
                for (int kj = 0; kj < k; kj++) {
                    const int ox = ix * s - p + kj;
                    if (ox >= 0 && ox < g->w) yr[ox] += c[ki * k + kj];
                }
            }
        }
    nn_act_forward_serial(l->act, l->slope, y, plane);
}

static inline dnnl_exec_arg_t arg(int a, dnnl_memory_t m) { return (dnnl_exec_arg_t){a, m}; }

/* One block's forward for samples [j0, j1) (padded to B). */
static bool fwd_block(mc_nn_layer *l, int b, int j0, int j1, const void *xsrc, bool need_y) {
    struct nn_dnn *d = l->dn;
    const dn_set *S = d->bf16 ? &d->s16 : &d->s32;
    const int B = d->B, cb = d->cb;
    const int64_t in_n = l->in_numel, out_n = l->out_numel, pad = (int64_t)(j0 + B - j1);
    const float *bias = l->params[1].data;
    const void *src;
    switch (d->src_mode) {
    case 0: /* pack x into xb */
        for (int j = j0; j < j1; j++)
            nn_blk_pack(d->xb + (int64_t)j * in_n, NULL, l->x + (int64_t)j * in_n, l->c_in, d->P_in, cb);
        /* padding samples of the last block: zeros (their output is never read) */
        if (pad) memset(d->xb + (int64_t)j1 * in_n, 0, (size_t)(pad * in_n) * sizeof(float));
        src = d->xb + (int64_t)j0 * in_n;
        break;
    case 3: /* bf16 of x or of an fp32 l->up's yb into xb16 */
        for (int j = j0; j < j1; j++) {
            uint16_t *dj = d->xb16 + (int64_t)j * in_n;
            if (l->up && l->up->dn && xsrc == l->up->dn->yb)
                nn_cvt_bf16(dj, l->up->dn->yb + (int64_t)j * in_n, in_n);
            else
                nn_blk_pack(NULL, dj, l->x + (int64_t)j * in_n, l->c_in, d->P_in, cb);
        }
        if (pad) memset(d->xb16 + (int64_t)j1 * in_n, 0, (size_t)(pad * in_n) * sizeof(uint16_t));
        src = d->xb16 + (int64_t)j0 * in_n;
        break;
    case 2: /* plain x, the last partial block through xtail */
        src = (const float *)xsrc + (int64_t)j0 * in_n;
        if (pad) {
            memcpy(d->xtail, src, (size_t)((j1 - j0) * in_n) * sizeof(float));
            memset(d->xtail + (int64_t)(j1 - j0) * in_n, 0, (size_t)(pad * in_n) * sizeof(float));
            src = d->xtail;
        }
        break;
    case 4: src = (const uint16_t *)xsrc + (int64_t)j0 * in_n; break;
    default: src = (const float *)xsrc + (int64_t)j0 * in_n; break;
    }
    if (d->dst_plain) {
        float *ct = d->ct + (int64_t)b * d->P_in * l->geom.k * l->geom.k;
        for (int j = j0; j < j1; j++)
            convt1_sample(l, (const float *)src + (int64_t)(j - j0) * in_n, ct, l->y + (int64_t)j * out_n);
        return true;
    }
    dnnl_memory_set_data_handle(S->m_src[b], (void *)src);
    dnnl_memory_set_data_handle(S->m_dst[b], d->yb + (int64_t)j0 * out_n);
    dnnl_exec_arg_t a[5] = {arg(DNNL_ARG_SRC, S->m_src[b]), arg(DNNL_ARG_WEIGHTS, S->m_wf), arg(DNNL_ARG_DST, S->m_dst[b])};
    int na = 3;
    if (d->fused) a[na++] = arg(DNNL_ARG_BIAS, d->m_bias);
    if (d->m_scr) a[na++] = arg(DNNL_ARG_SCRATCHPAD, d->m_scr[b]);
    if (!nn_dnnl_exec(S->fwd, na, a)) return false;
    for (int j = j0; j < j1; j++) {
        float *y = need_y ? l->y + (int64_t)j * out_n : NULL;
        uint16_t *y16 = d->bf16 ? d->yb16 + (int64_t)j * out_n : NULL;
        if (d->fused && !y && !y16) continue;
        nn_blk_out(d->yb + (int64_t)j * out_n, y, y16, d->fused ? NULL : bias, l->act, l->slope, l->c_out, d->P_out,
                   cb);
    }
    return true;
}

/* Everything before the blocks: buffers a layer run on its own needs, what the blocks read, the
 * weights in the kernel's layout (they change after every optimiser step). */
static mc_status fwd_prepare(mc_nn_layer *l, bool from_up, bool *need_y, const void **xsrc) {
    struct nn_dnn *d = l->dn;
    const bool up16 = from_up && l->up->dn->bf16;
    if (d->bf16 && !up16 && !d->xb16) {
        d->xb16 = dn_alloc(l, d->npad * l->in_numel, sizeof(uint16_t));
        if (!d->xb16) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", l->name);
    }
    if (!d->bf16 && !from_up && !d->src_plain && !d->xb) {
        /* a linked layer run on its own: it needs its own blocked input after all */
        d->xb = dn_alloc(l, d->npad * l->in_numel, sizeof(float));
        if (!d->xb) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", l->name);
    }
    if (d->dst_plain) *need_y = true;
    if (*need_y && !nn_layer_ensure_y(l)) return MC_STATUS_NO_MEMORY;
    if (d->bf16) {
        d->src_mode = up16 ? 4 : 3;
        *xsrc = up16 ? (const void *)l->up->dn->yb16 : from_up ? (const void *)l->up->dn->yb : NULL;
    } else {
        d->src_mode = from_up ? 1 : d->src_plain ? 2 : 0;
        *xsrc = from_up ? l->up->dn->yb : d->src_plain ? l->x : d->xb;
    }
    const dn_set *S = d->bf16 ? &d->s16 : &d->s32;
    if (S->r_wf && !run1(S->r_wf, d->m_wuser, S->m_wf)) return exec_fail(l, "weight reorder");
    return MC_STATUS_OK;
}

mc_status nn_dnn_forward(mc_nn_layer *l, bool from_up, bool need_y) {
    const int n = l->n, B = l->dn->B, nblk = (n + B - 1) / B;
    const void *xsrc = NULL;
    mc_status st = fwd_prepare(l, from_up, &need_y, &xsrc);
    if (st != MC_STATUS_OK) return st;
    int bad = 0;
#pragma omp parallel for schedule(static, 1) if (par_worth(nblk, n, l->in_numel + l->out_numel)) reduction(+ : bad)
    for (int b = 0; b < nblk; b++) {
        const int j0 = b * B, j1 = j0 + B < n ? j0 + B : n;
        if (!fwd_block(l, b, j0, j1, xsrc, need_y)) bad++;
    }
    l->y_lazy = !need_y;
    return bad ? exec_fail(l, "forward convolution") : MC_STATUS_OK;
}

/* Layers of a linked run: the blocks go through all of them in turn, so a block's output is still in
 * the thread's caches when the next layer reads it (the same primitives on the same data as layer by
 * layer: the same bytes). */
#define NN_RUN_MAX 16

mc_status nn_dnn_forward_run(mc_nn_layer **ls, int k, int n) {
    const void *xsrc[NN_RUN_MAX];
    bool need[NN_RUN_MAX];
    if (k > NN_RUN_MAX) return mc_error_set(MC_STATUS_INVALID_ARG, "nn_dnn_forward_run: %d layers", k);
    int64_t per = 0;
    for (int i = 0; i < k; i++) {
        need[i] = i == k - 1;
        mc_status st = fwd_prepare(ls[i], i > 0, &need[i], &xsrc[i]);
        if (st != MC_STATUS_OK) return st;
        per += ls[i]->in_numel + ls[i]->out_numel;
    }
    const int B = ls[0]->dn->B, nblk = (n + B - 1) / B;
    int bad = 0;
#pragma omp parallel for schedule(static, 1) if (par_worth(nblk, n, per)) reduction(+ : bad)
    for (int b = 0; b < nblk; b++) {
        const int j0 = b * B, j1 = j0 + B < n ? j0 + B : n;
        for (int i = 0; i < k && !bad; i++)
            if (!fwd_block(ls[i], b, j0, j1, xsrc[i], need[i])) bad++;
    }
    for (int i = 0; i < k; i++) ls[i]->y_lazy = !need[i];
    return bad ? exec_fail(ls[0], "forward convolution") : MC_STATUS_OK;
}

/* ---------------------------------------------------------------- backward */

/* One block's backward for samples [j0, j1): bias sums into part, the weight-gradient partial of
 * block b, and (want_dx) the input gradient. */
static bool bwd_block(mc_nn_layer *l, int b, int slot, int j0, int j1, const float *dy, const float *gdown,
                      const void *xsrc, bool want_dx, bool need_dx) {
    struct nn_dnn *d = l->dn;
    float *gs = d->bf16 ? NULL : d->gb + (int64_t)slot * d->B * l->out_numel; /* (B, out) this block's gb */
    const dn_set *S = d->bf16 ? &d->s16 : &d->s32;
    const int B = d->B, cb = d->cb, c_out = l->c_out;
    const int64_t in_n = l->in_numel, out_n = l->out_numel, pad = (int64_t)(j0 + B - j1);
    double *part = l->bias_part;
    /* the gradient before the activation and its per-(sample, channel) sums */
    for (int j = j0; j < j1; j++) {
        const int64_t o = (int64_t)j * out_n;
        if (d->dst_plain)
            part[j] = nn_act_backward_copy_sum(l->act, l->slope, l->y + o, dy + o, gs + (int64_t)(j - j0) * out_n,
                                               out_n);
        else
            nn_blk_act_grad(d->bf16 ? NULL : gs + (int64_t)(j - j0) * out_n, d->bf16 ? d->gb16 + o : NULL, gdown ? NULL : dy + o,
                            gdown ? gdown + o : NULL, d->bf16 ? NULL : d->yb + o, d->bf16 ? d->yb16 + o : NULL,
                            l->act, l->slope, c_out, d->P_out, cb, part + (int64_t)j * c_out);
    }
    /* padding samples: a zero gradient, so they add exact zeros to dW */
    void *g;
    if (d->bf16) {
        if (pad) memset(d->gb16 + (int64_t)j1 * out_n, 0, (size_t)(pad * out_n) * sizeof(uint16_t));
        g = d->gb16 + (int64_t)j0 * out_n;
    } else {
        if (pad) memset(gs + (int64_t)(j1 - j0) * out_n, 0, (size_t)(pad * out_n) * sizeof(float));
        g = gs;
    }
    const void *src;
    if (d->src_mode >= 3)
        src = (d->src_mode == 4 ? (const uint16_t *)xsrc : d->xb16) + (int64_t)j0 * in_n;
    else if (d->src_mode == 2 && pad)
        src = d->xtail; /* the forward's padded copy */
    else
        src = (const float *)xsrc + (int64_t)j0 * in_n;
    dnnl_memory_set_data_handle(S->m_src[b], (void *)src);
    dnnl_memory_set_data_handle(S->m_ddst[b], g);
    dnnl_exec_arg_t aw[4] = {arg(DNNL_ARG_SRC, S->m_src[b]), arg(DNNL_ARG_DIFF_DST, S->m_ddst[b]),
                             arg(DNNL_ARG_DIFF_WEIGHTS, S->m_dw[b])};
    int na = 3;
    if (d->m_scr) aw[na++] = arg(DNNL_ARG_SCRATCHPAD, d->m_scr[b]);
    if (!nn_dnnl_exec(S->bwd_w, na, aw)) return false;
    if (!want_dx) return true;
    dnnl_memory_set_data_handle(S->m_dsrc[b], d->dxb + (int64_t)j0 * in_n);
    dnnl_exec_arg_t ad[4] = {arg(DNNL_ARG_DIFF_DST, S->m_ddst[b]), arg(DNNL_ARG_WEIGHTS, S->m_wd),
                             arg(DNNL_ARG_DIFF_SRC, S->m_dsrc[b])};
    na = 3;
    if (d->m_scr) ad[na++] = arg(DNNL_ARG_SCRATCHPAD, d->m_scr[b]);
    if (!nn_dnnl_exec(S->bwd_d, na, ad)) return false;
    if (!need_dx) return true;
    for (int j = j0; j < j1; j++) {
        float *dxj = l->dx + (int64_t)j * in_n;
        const float *bj = d->dxb + (int64_t)j * in_n;
        if (d->src_plain)
            memcpy(dxj, bj, (size_t)in_n * sizeof(float));
        else
            nn_blk_unpack(dxj, bj, NULL, l->c_in, d->P_in, cb);
    }
    return true;
}

static mc_status bwd_prepare(mc_nn_layer *l, bool from_down, bool need_dx, int team, const float **gdown,
                             const void **xsrc) {
    struct nn_dnn *d = l->dn;
    if (need_dx && !nn_layer_ensure_dx(l)) return MC_STATUS_NO_MEMORY;
    if (!d->bf16 && d->gb_slots < team) {
        const int64_t per = (int64_t)d->B * l->out_numel;
        dn_release(l, &d->gb, d->gb_slots * per, sizeof(float));
        d->gb_slots = 0;
        d->gb = dn_alloc(l, team * per, sizeof(float));
        if (!d->gb) return MC_STATUS_NO_MEMORY;
        d->gb_slots = team;
    }
    const dn_set *S = d->bf16 ? &d->s16 : &d->s32;
    if (l->input_grad && S->r_wd && !run1(S->r_wd, d->m_wuser, S->m_wd)) return exec_fail(l, "weight reorder");
    *gdown = from_down ? l->down->dn->dxb : NULL;
    *xsrc = d->src_mode == 4 ? (const void *)l->up->dn->yb16
            : d->src_mode == 1 ? (const void *)l->up->dn->yb
            : d->src_mode == 2 ? (const void *)l->x
                               : (const void *)d->xb;
    return MC_STATUS_OK;
}

/* After the blocks: the bias gradient, the weight-gradient partials added in block order (element-
 * wise, so the split over threads does not matter) and into the gradient in torch's layout. */
static mc_status bwd_finish(mc_nn_layer *l, bool need_dx) {
    struct nn_dnn *d = l->dn;
    const dn_set *S = d->bf16 ? &d->s16 : &d->s32;
    const int n = l->n, B = d->B, nblk = (n + B - 1) / B, c_out = l->c_out;
    const double *part = l->bias_part;
    /* db[c] += sum over samples in order of the per-(sample, channel) sums */
    float *db = l->params[1].grad;
    for (int c = 0; c < c_out; c++) {
        double s = 0.0;
        for (int j = 0; j < n; j++) s += part[(int64_t)j * c_out + c];
        db[c] += (float)s;
    }
    const int64_t dwn = S->dw_n, chunk = 4096, nch = (dwn + chunk - 1) / chunk;
    float *p0 = S->dwp;
    if (nblk > 1) {
#pragma omp parallel for schedule(static) if (dwn * nblk > NN_PAR_MIN)
        for (int64_t c = 0; c < nch; c++) {
            const int64_t lo = c * chunk, hi = lo + chunk < dwn ? lo + chunk : dwn;
            for (int b = 1; b < nblk; b++) {
                const float *pb = S->dwp + (int64_t)b * dwn;
#pragma omp simd
                for (int64_t i = lo; i < hi; i++) p0[i] += pb[i];
            }
        }
    }
    if (!run1(S->r_dw, S->m_dwsum, S->m_grad)) return exec_fail(l, "weight-gradient reorder");
    if (!S->r_dw_sums) mc_nn_add(l->params[0].grad, S->dw_tmp, l->params[0].numel);
    l->dx_blocked = l->input_grad && !d->src_plain;
    l->dx_lazy = l->input_grad && !need_dx;
    return MC_STATUS_OK;
}

/* Threads of the backward's team over nblk blocks (at most this many run blocks at once: one gb slot
 * each). A team's size changes no byte (see the top of the file). */
static int bwd_team(int nblk, int n, int64_t per) {
    if (!par_worth(nblk, n, per)) return 1;
    const int t = omp_get_max_threads();
    return t < 1 ? 1 : t < nblk ? t : nblk;
}

mc_status nn_dnn_backward(mc_nn_layer *l, float *dy, bool from_down, bool need_dx) {
    const int n = l->n, B = l->dn->B, nblk = (n + B - 1) / B;
    const int team = bwd_team(nblk, n, l->in_numel + l->out_numel);
    const float *gdown = NULL;
    const void *xsrc = NULL;
    mc_status st = bwd_prepare(l, from_down, need_dx, team, &gdown, &xsrc);
    if (st != MC_STATUS_OK) return st;
    int bad = 0;
#pragma omp parallel for schedule(static, 1) num_threads(team) if (team > 1) reduction(+ : bad)
    for (int b = 0; b < nblk; b++) {
        const int j0 = b * B, j1 = j0 + B < n ? j0 + B : n;
        if (!bwd_block(l, b, omp_get_thread_num(), j0, j1, dy, gdown, xsrc, l->input_grad, need_dx)) bad++;
    }
    if (bad) return exec_fail(l, "backward convolution");
    return bwd_finish(l, need_dx);
}

mc_status nn_dnn_backward_run(mc_nn_layer **ls, int k, float *dy) {
    const float *gdown[NN_RUN_MAX];
    const void *xsrc[NN_RUN_MAX];
    if (k > NN_RUN_MAX) return mc_error_set(MC_STATUS_INVALID_ARG, "nn_dnn_backward_run: %d layers", k);
    int64_t per = 0;
    for (int i = 0; i < k; i++) per += ls[i]->in_numel + ls[i]->out_numel;
    const int n = ls[0]->n, B = ls[0]->dn->B, nblk = (n + B - 1) / B, team = bwd_team(nblk, n, per);
    for (int i = 0; i < k; i++) {
        mc_status st = bwd_prepare(ls[i], i < k - 1, i == 0, team, &gdown[i], &xsrc[i]);
        if (st != MC_STATUS_OK) return st;
    }
    int bad = 0;
#pragma omp parallel for schedule(static, 1) num_threads(team) if (team > 1) reduction(+ : bad)
    for (int b = 0; b < nblk; b++) {
        const int j0 = b * B, j1 = j0 + B < n ? j0 + B : n;
        for (int i = k - 1; i >= 0 && !bad; i--)
            if (!bwd_block(ls[i], b, omp_get_thread_num(), j0, j1, dy, gdown[i], xsrc[i], ls[i]->input_grad, i == 0))
                bad++;
    }
    if (bad) return exec_fail(ls[0], "backward convolution");
    for (int i = 0; i < k; i++) {
        mc_status st = bwd_finish(ls[i], i == 0);
        if (st != MC_STATUS_OK) return st;
    }
    return MC_STATUS_OK;
}

mc_status nn_dnn_materialize(mc_nn_layer *l) {
    struct nn_dnn *d = l->dn;
    if (!d) return MC_STATUS_OK;
    if ((l->y_lazy && !nn_layer_ensure_y(l)) || (l->dx_lazy && !nn_layer_ensure_dx(l))) return MC_STATUS_NO_MEMORY;
    if (l->y_lazy) {
        for (int j = 0; j < l->n; j++)
            nn_blk_unpack(l->y + (int64_t)j * l->out_numel, d->yb + (int64_t)j * l->out_numel, NULL, l->c_out,
                          d->P_out, d->cb);
        l->y_lazy = false;
    }
    if (l->dx_lazy && d->dxb) {
        for (int j = 0; j < l->n; j++)
            nn_blk_unpack(l->dx + (int64_t)j * l->in_numel, d->dxb + (int64_t)j * l->in_numel, NULL, l->c_in,
                          d->P_in, d->cb);
        l->dx_lazy = false;
    }
    return MC_STATUS_OK;
}
