/* Conv2d and ConvTranspose2d on oneDNN's direct convolution kernels (the "blocked path").
 *
 * oneDNN's JIT kernels for AVX-512 (and AVX2) reach 85-95% of the FMA peak on this model's layers
 * when activations are stored channel-blocked (nChw16c: 16 channels of one position side by side) and
 * weights in the kernels' own layouts; they dispatch on the CPU themselves, so the speed does not
 * depend on which kernel OpenBLAS picks. The layer keeps its public buffers in NCHW (y, dx) and a
 * blocked copy of its output (yb); each conversion is fused with work that needs a pass anyway:
 *   forward   [pack x]   conv  ->  yb = act(yb + bias), y = the same in NCHW          (blocked.c)
 *   backward  gb = dy act'(yb) (+ bias sums)  ->  dW partial, gb -> dxb  ->  dx = unpack(dxb)
 * Inside an mc_nn_seq, a conv layer that follows another reads that layer's yb as its input (no pack),
 * and the one before it reads the follower's dxb as its gradient (no pack): see nn_dnn_link. The NCHW
 * y of a layer whose output only feeds the next conv layer, and the NCHW dx of a layer whose input
 * gradient only feeds the previous one, are then not written at all during mc_nn_seq_forward /
 * _backward: mc_nn_layer_output / mc_nn_layer_input_grad convert them when asked (l->y_lazy,
 * l->dx_lazy).
 * A ConvTranspose2d to one channel (the decoder's last layer) keeps its output in NCHW. Its forward
 * is cols^T (P_in, k k) = sum over channel blocks q of X_q (P_in, cb) W_q (cb, k k) (X_q: the
 * blocked input, already in that row-major form; W_q: rows of torch's (c_in, k k) weight) and a
 * col2im (oneDNN 2.6 has only a reference kernel or one 16x padded for it); its backward is oneDNN's
 * kernels with the plain gradient.
 *
 * Determinism. A batch is cut into blocks of B samples (B depends only on max_batch); every block
 * runs the same oneDNN primitives, created for mb = B and a team of one, on one thread (dnnl.c). The
 * last block of a batch whose size is not a multiple of B is padded with zero samples (their output is
 * never read; their gradient is zero, so they add exact zeros to dW). Each block writes its own weight-
 * gradient partial; the partials are added in block order. So every value is computed by the same
 * instructions in the same order for any thread count. The bias terms are added by us (oneDNN 2.6's
 * deconvolution applies a bias in a slow separate pass) and the bias gradient is summed in double per
 * (sample, channel), then over samples in order, as on the im2col path. */
#include "nn_internal.h"

#include <omp.h>
#include <string.h>

/* Samples per block: enough for the kernels to run at full speed (their loops run over the block's
 * positions), few enough that a batch of 128 gives 16 blocks to share among threads. */
#define NN_DNN_BLOCK 8

struct nn_dnn {
    int cb;            /* channels per block of the activation layouts */
    int B;             /* samples per block */
    int nblk_max;      /* blocks of a max_batch */
    int64_t npad;      /* nblk_max B: rows of the blocked buffers */
    bool src_plain;    /* Conv2d with one input channel: the input is read as NCHW */
    bool dst_plain;    /* ConvTranspose2d to one channel: the output is NCHW (no yb; ct for its kernel) */
    bool fused;        /* the forward primitive adds the bias and applies the ReLU itself (Conv2d) */
    int64_t P_in, P_out; /* positions per channel of the input and the output */

    dnnl_primitive_t fwd, bwd_d, bwd_w, r_wf, r_wd, r_dw;
    bool r_dw_sums;    /* r_dw adds into the gradient (sum post-op); else it writes dw_tmp */
    dnnl_memory_t m_wuser, m_wf, m_wd, m_dwsum, m_grad, m_bias;
    dnnl_memory_t *m_src, *m_dst, *m_ddst, *m_dsrc, *m_dw, *m_wf_blk, *m_wd_blk, *m_scr; /* [nblk_max] */
    size_t scr_bytes;  /* per block */

    float *xb;         /* (npad, in) blocked input copy; NULL while fed by l->up (allocated on demand) */
    float *yb;         /* (npad, out) blocked output after bias and activation; NULL when dst_plain */
    float *gb;         /* (npad, out) the gradient before the activation (blocked, or NCHW when dst_plain) */
    float *ct;         /* dst_plain: (nblk_max, P_in, k k) one sample's cols^T per block */
    float *dxb;        /* (npad, in) blocked input gradient (NCHW rows when src_plain), when input_grad */
    float *xtail;      /* (B, in) a plain input's last partial block, zero padded */
    float *wf, *wd;    /* weights in the forward / backward-data layouts (wd == wf when they agree) */
    float *dwp;        /* (nblk_max, dw_n) per-block weight-gradient partials in bwd_w's layout */
    float *dw_tmp;     /* (weight numel) when r_dw cannot add: the summed gradient in torch's layout */
    int64_t dw_n;      /* floats per partial */
    unsigned char *scr; /* (nblk_max, scr_bytes) */

    int src_mode;      /* what the last forward read: 0 own xb, 1 l->up's yb, 2 plain x */
};

/* ---------------------------------------------------------------- allocation helpers */

static float *dn_alloc(mc_nn_layer *l, int64_t count) {
    return nn_layer_alloc(l, (size_t)count, sizeof(float));
}

static void dn_release(mc_nn_layer *l, float **p, int64_t count) {
    if (!*p) return;
    mc_free(*p);
    *p = NULL;
    l->bytes -= (size_t)count * sizeof(float);
}

static void destroy_mems(dnnl_memory_t *m, int n) {
    for (int i = 0; m && i < n; i++)
        if (m[i]) dnnl_memory_destroy(m[i]);
    mc_free(m);
}

void nn_dnn_free(mc_nn_layer *l) {
    if (!l || !l->dn) return;
    struct nn_dnn *d = l->dn;
    dnnl_primitive_t prims[6] = {d->fwd, d->bwd_d, d->bwd_w, d->r_wf, d->r_wd, d->r_dw};
    for (int i = 0; i < 6; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[6] = {d->m_wuser, d->m_wf, d->m_wd, d->m_dwsum, d->m_grad, d->m_bias};
    for (int i = 0; i < 6; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    dnnl_memory_t *blk[8] = {d->m_src, d->m_dst, d->m_ddst, d->m_dsrc, d->m_dw, d->m_wf_blk, d->m_wd_blk, d->m_scr};
    for (int i = 0; i < 8; i++) destroy_mems(blk[i], d->nblk_max);
    dn_release(l, &d->xb, d->npad * l->in_numel);
    dn_release(l, &d->yb, d->npad * l->out_numel);
    dn_release(l, &d->gb, d->npad * l->out_numel);
    dn_release(l, &d->dxb, d->npad * l->in_numel);
    dn_release(l, &d->ct, (int64_t)d->nblk_max * d->P_in * l->geom.k * l->geom.k);
    dn_release(l, &d->xtail, (int64_t)d->B * l->in_numel);
    if (d->wd != d->wf) mc_free(d->wd);
    mc_free(d->wf);
    mc_free(d->dwp);
    mc_free(d->dw_tmp);
    mc_free(d->scr);
    mc_free(d);
    l->dn = NULL;
    if (l->up) l->up->down = NULL;
    if (l->down) l->down->up = NULL;
    l->up = l->down = NULL;
}

/* ---------------------------------------------------------------- construction */

static bool is_jit(const_dnnl_primitive_desc_t pd) { return strncmp(nn_dnnl_impl(pd), "jit", 3) == 0; }

static dnnl_status_t md4(dnnl_memory_desc_t *md, int64_t a, int64_t b, int64_t c, int64_t d,
                         dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {a, b, c, d};
    return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
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

/* The three convolution primitive descriptors of l for channel block cb; NULL pds on failure. */
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

static bool make_pds(const mc_nn_layer *l, int cb, int B, dn_pds *out) {
    memset(out, 0, sizeof *out);
    const bool conv = l->kind == MC_NN_KIND_CONV2D;
    const nn_conv_geom *g = &l->geom;
    const dnnl_format_tag_t blk = cb == 16 ? dnnl_nChw16c : dnnl_nChw8c;
    const bool plain = conv && l->c_in == 1, dplain = !conv && l->c_out == 1;
    dnnl_memory_desc_t src, dst, w;
    dnnl_dims_t strides = {g->s, g->s}, pad = {g->p, g->p};
    if (md4(&src, B, l->c_in, l->in_shape[1], l->in_shape[2], plain ? dnnl_nchw : blk) != dnnl_success ||
        md4(&dst, B, l->c_out, l->out_shape[1], l->out_shape[2], dplain ? dnnl_nchw : blk) != dnnl_success ||
        md4(&w, l->c_out, l->c_in, g->k, g->k, dnnl_format_tag_any) != dnnl_success)
        return false;
    dnnl_memory_desc_t bias;
    dnnl_dims_t bdims = {l->c_out};
    if (dnnl_memory_desc_init_by_tag(&bias, 1, bdims, dnnl_f32, dnnl_x) != dnnl_success) return false;
    dnnl_primitive_attr_t attr = NULL, fattr = NULL;
    dnnl_post_ops_t po = NULL;
    bool ok = dnnl_primitive_attr_create(&attr) == dnnl_success && dnnl_primitive_attr_create(&fattr) == dnnl_success &&
              dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success &&
              dnnl_primitive_attr_set_scratchpad_mode(fattr, dnnl_scratchpad_mode_user) == dnnl_success;
    if (ok && fuses(l) && l->act == MC_NN_ACT_RELU)
        ok = dnnl_post_ops_create(&po) == dnnl_success &&
             dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(fattr, po) == dnnl_success;
    if (!ok) {
        if (po) dnnl_post_ops_destroy(po);
        if (attr) dnnl_primitive_attr_destroy(attr);
        if (fattr) dnnl_primitive_attr_destroy(fattr);
        return false;
    }
    /* descriptors are configured for the team they are created in: one thread (dnnl.c) */
    int saved = nn_dnnl_serial_begin();
    if (conv) {
        dnnl_convolution_desc_t f, bd, bw;
        ok = dnnl_convolution_forward_desc_init(&f, dnnl_forward_training, dnnl_convolution_direct, &src, &w,
                                                fuses(l) ? &bias : NULL, &dst, strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->fwd, &f, fattr, nn_dnnl_engine(), NULL) == dnnl_success &&
             dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src, &w, &dst, strides,
                                                      pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_d, &bd, attr, nn_dnnl_engine(), out->fwd) == dnnl_success &&
             dnnl_convolution_backward_weights_desc_init(&bw, dnnl_convolution_direct, &src, &w, NULL, &dst,
                                                         strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_w, &bw, attr, nn_dnnl_engine(), out->fwd) == dnnl_success;
    } else {
        dnnl_deconvolution_desc_t f, bd, bw;
        ok = dnnl_deconvolution_forward_desc_init(&f, dnnl_forward_training, dnnl_deconvolution_direct, &src,
                                                  &w, NULL, &dst, strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->fwd, &f, attr, nn_dnnl_engine(), NULL) == dnnl_success &&
             dnnl_deconvolution_backward_data_desc_init(&bd, dnnl_deconvolution_direct, &src, &w, &dst,
                                                        strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_d, &bd, attr, nn_dnnl_engine(), out->fwd) == dnnl_success &&
             dnnl_deconvolution_backward_weights_desc_init(&bw, dnnl_deconvolution_direct, &src, &w, NULL,
                                                           &dst, strides, pad, pad) == dnnl_success &&
             dnnl_primitive_desc_create(&out->bwd_w, &bw, attr, nn_dnnl_engine(), out->fwd) == dnnl_success;
    }
    nn_dnnl_serial_end(saved);
    dnnl_primitive_attr_destroy(attr);
    dnnl_primitive_attr_destroy(fattr);
    if (po) dnnl_post_ops_destroy(po);
    /* Only kernels that are fast: JIT ones (the reference and GEMM-based ones are slower than the
     * im2col path). The input gradient of a one-channel input is allowed any kernel: models never
     * ask for it, and it stays correct. A one-channel output's forward is our own kernel. */
    if (ok) ok = (dplain || is_jit(out->fwd)) && is_jit(out->bwd_w) && (plain || is_jit(out->bwd_d));
    if (!ok) pds_free(out);
    return ok;
}

static size_t scratch_bytes(const_dnnl_primitive_desc_t pd) {
    const dnnl_memory_desc_t *m = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    return m ? dnnl_memory_desc_get_size(m) : 0;
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
        bool shapes = (l->c_out % c == 0 || (!conv && l->c_out == 1)) &&
                      (l->c_in % c == 0 || (conv && l->c_in == 1));
        if (shapes && make_pds(l, c, B, &pds)) cb = c;
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
    mc_status st = MC_STATUS_NO_MEMORY;
    bool ok = true;

    const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md(pds.fwd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dst = dnnl_primitive_desc_query_md(pds.fwd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *wf = dnnl_primitive_desc_query_md(pds.fwd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *wd = dnnl_primitive_desc_query_md(pds.bwd_d, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dw = dnnl_primitive_desc_query_md(pds.bwd_w, dnnl_query_diff_weights_md, 0);
    const dnnl_memory_desc_t *dsrc = dnnl_primitive_desc_query_md(pds.bwd_d, dnnl_query_diff_src_md, 0);
    dnnl_memory_desc_t wuser;
    const nn_conv_geom *g = &l->geom;
    /* torch's layouts: Conv2d (c_out, c_in, k, k), ConvTranspose2d (c_in, c_out, k, k); oneDNN's
     * logical weight dims are (c_out, c_in, k, k) for both */
    if (md4(&wuser, l->c_out, l->c_in, g->k, g->k, conv ? dnnl_oihw : dnnl_iohw) != dnnl_success) ok = false;

    if (ok && ((!d->dst_plain && nn_dnnl_primitive(&d->fwd, pds.fwd) != dnnl_success) ||
               nn_dnnl_primitive(&d->bwd_d, pds.bwd_d) != dnnl_success ||
               nn_dnnl_primitive(&d->bwd_w, pds.bwd_w) != dnnl_success))
        ok = false;
    const bool same_w = ok && dnnl_memory_desc_equal(wf, wd);
    if (ok && !d->dst_plain && make_reorder(&d->r_wf, &wuser, wf, false) != dnnl_success) ok = false;
    if (ok && !same_w && make_reorder(&d->r_wd, &wuser, wd, false) != dnnl_success) ok = false;
    if (ok) {
        d->r_dw_sums = make_reorder(&d->r_dw, dw, &wuser, true) == dnnl_success;
        if (!d->r_dw_sums && make_reorder(&d->r_dw, dw, &wuser, false) != dnnl_success) ok = false;
    }
    if (!ok) {
        /* oneDNN offered the kernels but not the rest: use the im2col path */
        pds_free(&pds);
        nn_dnn_free(l);
        return MC_STATUS_OK;
    }

    d->scr_bytes = d->dst_plain ? 0 : scratch_bytes(pds.fwd);
    size_t s2 = scratch_bytes(pds.bwd_d), s3 = scratch_bytes(pds.bwd_w);
    if (s2 > d->scr_bytes) d->scr_bytes = s2;
    if (s3 > d->scr_bytes) d->scr_bytes = s3;
    d->scr_bytes = (d->scr_bytes + 63) / 64 * 64;
    const int64_t wn = l->params[0].numel;
    const int64_t wf_n = (int64_t)(dnnl_memory_desc_get_size(wf) / sizeof(float));
    const int64_t wd_n = (int64_t)(dnnl_memory_desc_get_size(wd) / sizeof(float));
    d->dw_n = (int64_t)((dnnl_memory_desc_get_size(dw) / sizeof(float) + 15) / 16 * 16);

    d->wf = mc_alloc((size_t)wf_n, sizeof(float));
    d->wd = same_w ? d->wf : mc_alloc((size_t)wd_n, sizeof(float));
    d->dwp = mc_alloc((size_t)d->nblk_max * (size_t)d->dw_n, sizeof(float));
    d->dw_tmp = d->r_dw_sums ? NULL : mc_alloc((size_t)wn, sizeof(float));
    d->scr = d->scr_bytes ? mc_alloc((size_t)d->nblk_max, d->scr_bytes) : NULL;
    if (d->dst_plain)
        d->ct = dn_alloc(l, (int64_t)d->nblk_max * d->P_in * g->k * g->k);
    else
        d->yb = dn_alloc(l, d->npad * l->out_numel);
    d->gb = dn_alloc(l, d->npad * l->out_numel);
    if (d->src_plain)
        d->xtail = dn_alloc(l, (int64_t)B * l->in_numel);
    else
        d->xb = dn_alloc(l, d->npad * l->in_numel);
    if (l->input_grad) d->dxb = dn_alloc(l, d->npad * l->in_numel);
    if (!d->wf || !d->wd || !d->dwp || (!d->r_dw_sums && !d->dw_tmp) || (d->scr_bytes && !d->scr) ||
        (d->dst_plain ? !d->ct : !d->yb) || !d->gb || (d->src_plain ? !d->xtail : !d->xb) ||
        (l->input_grad && !d->dxb))
        goto fail;
    l->bytes += (size_t)(wf_n + (same_w ? 0 : wd_n) + d->nblk_max * d->dw_n + (d->dw_tmp ? wn : 0)) *
                    sizeof(float) + (size_t)d->nblk_max * d->scr_bytes;

    dnnl_engine_t e = nn_dnnl_engine();
    if (dnnl_memory_create(&d->m_wuser, &wuser, e, l->params[0].data) != dnnl_success ||
        dnnl_memory_create(&d->m_wf, wf, e, d->wf) != dnnl_success ||
        dnnl_memory_create(&d->m_wd, wd, e, d->wd) != dnnl_success ||
        dnnl_memory_create(&d->m_dwsum, dw, e, d->dwp) != dnnl_success ||
        dnnl_memory_create(&d->m_grad, &wuser, e, d->r_dw_sums ? l->params[0].grad : d->dw_tmp) != dnnl_success)
        goto fail;
    if (d->fused) {
        dnnl_memory_desc_t bmd;
        dnnl_dims_t bdims = {l->c_out};
        if (dnnl_memory_desc_init_by_tag(&bmd, 1, bdims, dnnl_f32, dnnl_x) != dnnl_success ||
            dnnl_memory_create(&d->m_bias, &bmd, e, l->params[1].data) != dnnl_success)
            goto fail;
    }
    d->m_src = make_mems(src, d->nblk_max, &ok);
    d->m_dst = make_mems(dst, d->nblk_max, &ok);
    d->m_ddst = make_mems(dst, d->nblk_max, &ok);
    d->m_dsrc = make_mems(dsrc, d->nblk_max, &ok);
    d->m_dw = make_mems(dw, d->nblk_max, &ok);
    if (!ok) goto fail;
    if (d->scr_bytes) {
        const dnnl_memory_desc_t *sm = dnnl_primitive_desc_query_md(pds.bwd_w, dnnl_query_scratchpad_md, 0);
        dnnl_memory_desc_t flat;
        dnnl_dims_t sd = {(int64_t)d->scr_bytes};
        (void)sm;
        if (dnnl_memory_desc_init_by_tag(&flat, 1, sd, dnnl_u8, dnnl_x) != dnnl_success) goto fail;
        d->m_scr = make_mems(&flat, d->nblk_max, &ok);
        if (!ok) goto fail;
        for (int b = 0; b < d->nblk_max; b++)
            dnnl_memory_set_data_handle(d->m_scr[b], d->scr + (size_t)b * d->scr_bytes);
    }
    for (int b = 0; b < d->nblk_max; b++)
        dnnl_memory_set_data_handle(d->m_dw[b], d->dwp + (int64_t)b * d->dw_n);
    pds_free(&pds);
    return MC_STATUS_OK;
fail:
    pds_free(&pds);
    nn_dnn_free(l);
    return mc_error_set(st, "%s: out of memory setting up the oneDNN convolution", l->name);
}

void nn_dnn_link(mc_nn_layer *a, mc_nn_layer *b) {
    if (!a || !b || !a->dn || !b->dn || b->dn->src_plain || a->dn->dst_plain || a->dn->cb != b->dn->cb ||
        a->dn->B != b->dn->B ||
        a->down || b->up || a->out_ndim != 3 || b->in_ndim != 3)
        return;
    for (int i = 0; i < 3; i++)
        if (a->out_shape[i] != b->in_shape[i]) return;
    a->down = b;
    b->up = a;
    /* b reads a's blocked output: its own copy goes (it comes back on demand if b is later run on
     * its own) */
    dn_release(b, &b->dn->xb, b->dn->npad * b->in_numel);
}

mc_status nn_dnn_set_input_grad(mc_nn_layer *l, bool on) {
    struct nn_dnn *d = l->dn;
    if (on && !d->dxb) {
        d->dxb = dn_alloc(l, d->npad * l->in_numel);
        if (!d->dxb) return MC_STATUS_NO_MEMORY;
    } else if (!on) {
        dn_release(l, &d->dxb, d->npad * l->in_numel);
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- forward */

static mc_status exec_fail(mc_nn_layer *l, const char *what) {
    return mc_error_set(MC_STATUS_UNSUPPORTED, "%s: oneDNN %s failed", l->name, what);
}

static bool run1(dnnl_primitive_t p, dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    return nn_dnnl_exec(p, 2, a);
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

/* One block's forward for samples [j0, j1) (padded to B). */
static bool fwd_block(mc_nn_layer *l, int b, int j0, int j1, const float *xsrc, bool need_y) {
    struct nn_dnn *d = l->dn;
    const int B = d->B, cb = d->cb;
    const int64_t in_n = l->in_numel, out_n = l->out_numel;
    const float *bias = l->params[1].data;
    const float *src = xsrc + (int64_t)j0 * in_n;
    if (d->src_mode == 0) {
        for (int j = j0; j < j1; j++)
            nn_blk_pack(d->xb + (int64_t)j * in_n, l->x + (int64_t)j * in_n, l->c_in, d->P_in, cb);
        /* padding samples of the last block: zeros (their output is never read) */
        if (j1 - j0 < B)
            memset(d->xb + (int64_t)j1 * in_n, 0, (size_t)(j0 + B - j1) * (size_t)in_n * sizeof(float));
    } else if (d->src_mode == 2 && j1 - j0 < B) {
        memcpy(d->xtail, src, (size_t)(j1 - j0) * (size_t)in_n * sizeof(float));
        memset(d->xtail + (int64_t)(j1 - j0) * in_n, 0, (size_t)(j0 + B - j1) * (size_t)in_n * sizeof(float));
        src = d->xtail;
    }
    if (d->dst_plain) {
        float *ct = d->ct + (int64_t)b * d->P_in * l->geom.k * l->geom.k;
        for (int j = j0; j < j1; j++) convt1_sample(l, src + (int64_t)(j - j0) * in_n, ct, l->y + (int64_t)j * out_n);
        return true;
    }
    dnnl_memory_set_data_handle(d->m_src[b], (void *)src);
    dnnl_memory_set_data_handle(d->m_dst[b], d->yb + (int64_t)j0 * out_n);
    dnnl_exec_arg_t a[5] = {{DNNL_ARG_SRC, d->m_src[b]}, {DNNL_ARG_WEIGHTS, d->m_wf}, {DNNL_ARG_DST, d->m_dst[b]}};
    int na = 3;
    if (d->fused) a[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, d->m_bias};
    if (d->m_scr) a[na++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, d->m_scr[b]};
    if (!nn_dnnl_exec(d->fwd, na, a)) return false;
    for (int j = j0; j < j1; j++) {
        float *ybj = d->yb + (int64_t)j * out_n;
        if (d->fused) {
            if (need_y) nn_blk_unpack(l->y + (int64_t)j * out_n, ybj, l->c_out, d->P_out, cb);
        } else if (need_y)
            nn_blk_bias_act_unpack(ybj, l->y + (int64_t)j * out_n, bias, l->act, l->slope, l->c_out, d->P_out, cb);
        else
            nn_blk_bias_act(ybj, bias, l->act, l->slope, l->c_out, d->P_out, cb);
    }
    return true;
}

mc_status nn_dnn_forward(mc_nn_layer *l, bool from_up, bool need_y) {
    struct nn_dnn *d = l->dn;
    const int n = l->n, B = d->B, nblk = (n + B - 1) / B;
    if (!from_up && !d->src_plain && !d->xb) {
        /* a linked layer run on its own: it needs its own blocked input after all */
        d->xb = dn_alloc(l, d->npad * l->in_numel);
        if (!d->xb) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", l->name);
    }
    if (d->dst_plain) need_y = true;
    d->src_mode = from_up ? 1 : d->src_plain ? 2 : 0;
    /* weights in the kernel's layout: they change after every optimiser step */
    if (!d->dst_plain && !run1(d->r_wf, d->m_wuser, d->m_wf)) return exec_fail(l, "weight reorder");
    const float *xsrc = from_up ? l->up->dn->yb : d->src_plain ? l->x : d->xb;
    int bad = 0;
#pragma omp parallel for schedule(static, 1) if (par_worth(nblk, n, l->in_numel + l->out_numel)) reduction(+ : bad)
    for (int b = 0; b < nblk; b++) {
        const int j0 = b * B, j1 = j0 + B < n ? j0 + B : n;
        if (!fwd_block(l, b, j0, j1, xsrc, need_y)) bad++;
    }
    l->y_lazy = !need_y;
    return bad ? exec_fail(l, "forward convolution") : MC_STATUS_OK;
}

/* ---------------------------------------------------------------- backward */

/* One block's backward for samples [j0, j1): bias sums into part, the weight-gradient partial of
 * block b, and (want_dx) the input gradient. */
static bool bwd_block(mc_nn_layer *l, int b, int j0, int j1, const float *dy, const float *gdown,
                      const float *xsrc, bool want_dx, bool need_dx) {
    struct nn_dnn *d = l->dn;
    const int B = d->B, cb = d->cb, c_out = l->c_out;
    const int64_t in_n = l->in_numel, out_n = l->out_numel;
    double *part = l->bias_part;
    float *g = d->gb + (int64_t)j0 * out_n;
    /* the gradient before the activation and its per-(sample, channel) sums */
    for (int j = j0; j < j1; j++) {
        float *gj = d->gb + (int64_t)j * out_n;
        if (d->dst_plain)
            part[j] = nn_act_backward_copy_sum(l->act, l->slope, l->y + (int64_t)j * out_n, dy + (int64_t)j * out_n,
                                               gj, out_n);
        else
            nn_blk_act_grad(gj, gdown ? NULL : dy + (int64_t)j * out_n, gdown ? gdown + (int64_t)j * out_n : NULL,
                            d->yb + (int64_t)j * out_n, l->act, l->slope, c_out, d->P_out, cb,
                            part + (int64_t)j * c_out);
    }
    /* padding samples: a zero gradient, so they add exact zeros to dW */
    if (j1 - j0 < B) memset(d->gb + (int64_t)j1 * out_n, 0, (size_t)(j0 + B - j1) * (size_t)out_n * sizeof(float));
    const float *src = xsrc + (int64_t)j0 * in_n;
    if (d->src_mode == 2 && j1 - j0 < B) src = d->xtail; /* the forward's padded copy */
    dnnl_memory_set_data_handle(d->m_src[b], (void *)src);
    dnnl_memory_set_data_handle(d->m_ddst[b], g);
    dnnl_exec_arg_t aw[4] = {{DNNL_ARG_SRC, d->m_src[b]},
                             {DNNL_ARG_DIFF_DST, d->m_ddst[b]},
                             {DNNL_ARG_DIFF_WEIGHTS, d->m_dw[b]},
                             {DNNL_ARG_SCRATCHPAD, d->m_scr ? d->m_scr[b] : NULL}};
    if (!nn_dnnl_exec(d->bwd_w, d->m_scr ? 4 : 3, aw)) return false;
    if (!want_dx) return true;
    dnnl_memory_set_data_handle(d->m_dsrc[b], d->dxb + (int64_t)j0 * in_n);
    dnnl_exec_arg_t ad[4] = {{DNNL_ARG_DIFF_DST, d->m_ddst[b]},
                             {DNNL_ARG_WEIGHTS, d->m_wd},
                             {DNNL_ARG_DIFF_SRC, d->m_dsrc[b]},
                             {DNNL_ARG_SCRATCHPAD, d->m_scr ? d->m_scr[b] : NULL}};
    if (!nn_dnnl_exec(d->bwd_d, d->m_scr ? 4 : 3, ad)) return false;
    if (!need_dx) return true;
    for (int j = j0; j < j1; j++) {
        float *dxj = l->dx + (int64_t)j * in_n;
        const float *bj = d->dxb + (int64_t)j * in_n;
        if (d->src_plain)
            memcpy(dxj, bj, (size_t)in_n * sizeof(float));
        else
            nn_blk_unpack(dxj, bj, l->c_in, d->P_in, cb);
    }
    return true;
}

mc_status nn_dnn_backward(mc_nn_layer *l, float *dy, bool from_down, bool need_dx) {
    struct nn_dnn *d = l->dn;
    const int n = l->n, B = d->B, nblk = (n + B - 1) / B;
    const int c_out = l->c_out;
    const bool want_dx = l->input_grad;
    if (want_dx && d->r_wd && !run1(d->r_wd, d->m_wuser, d->m_wd)) return exec_fail(l, "weight reorder");
    const float *gdown = from_down ? l->down->dn->dxb : NULL;
    const float *xsrc = d->src_mode == 1 ? l->up->dn->yb : d->src_mode == 2 ? l->x : d->xb;
    const double *part = l->bias_part;
    int bad = 0;
#pragma omp parallel for schedule(static, 1) if (par_worth(nblk, n, l->in_numel + l->out_numel)) reduction(+ : bad)
    for (int b = 0; b < nblk; b++) {
        const int j0 = b * B, j1 = j0 + B < n ? j0 + B : n;
        if (!bwd_block(l, b, j0, j1, dy, gdown, xsrc, want_dx, need_dx)) bad++;
    }
    if (bad) return exec_fail(l, "backward convolution");
    /* db[c] += sum over samples in order of the per-(sample, channel) sums */
    float *db = l->params[1].grad;
    for (int c = 0; c < c_out; c++) {
        double s = 0.0;
        for (int j = 0; j < n; j++) s += part[(int64_t)j * c_out + c];
        db[c] += (float)s;
    }
    /* dW: the blocks' partials added in block order (element-wise, so the split over threads does
     * not matter), then into the gradient in torch's layout */
    const int64_t dwn = d->dw_n, chunk = 4096, nch = (dwn + chunk - 1) / chunk;
    float *p0 = d->dwp;
    if (nblk > 1) {
#pragma omp parallel for schedule(static) if (dwn * nblk > NN_PAR_MIN)
        for (int64_t c = 0; c < nch; c++) {
            const int64_t lo = c * chunk, hi = lo + chunk < dwn ? lo + chunk : dwn;
            for (int b = 1; b < nblk; b++) {
                const float *pb = d->dwp + (int64_t)b * dwn;
#pragma omp simd
                for (int64_t i = lo; i < hi; i++) p0[i] += pb[i];
            }
        }
    }
    if (!run1(d->r_dw, d->m_dwsum, d->m_grad)) return exec_fail(l, "weight-gradient reorder");
    if (!d->r_dw_sums) mc_nn_add(l->params[0].grad, d->dw_tmp, l->params[0].numel);
    l->dx_blocked = want_dx && !d->src_plain;
    l->dx_lazy = want_dx && !need_dx;
    return MC_STATUS_OK;
}

void nn_dnn_materialize(mc_nn_layer *l) {
    struct nn_dnn *d = l->dn;
    if (!d) return;
    if (l->y_lazy) {
        for (int j = 0; j < l->n; j++)
            nn_blk_unpack(l->y + (int64_t)j * l->out_numel, d->yb + (int64_t)j * l->out_numel, l->c_out, d->P_out,
                          d->cb);
        l->y_lazy = false;
    }
    if (l->dx_lazy && d->dxb) {
        for (int j = 0; j < l->n; j++)
            nn_blk_unpack(l->dx + (int64_t)j * l->in_numel, d->dxb + (int64_t)j * l->in_numel, l->c_in, d->P_in,
                          d->cb);
        l->dx_lazy = false;
    }
}
