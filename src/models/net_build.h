/* Layer builders shared by the networks of net.c (the VAE family) and mm.c (the multimodal VAE), so
 * that a layer is named and sized in one place. Every builder appends to a sequence created by the
 * caller and returns mc_status with the message set. B = the largest batch (rows). */
#ifndef MC_MODELS_NET_BUILD_H
#define MC_MODELS_NET_BUILD_H

#include "models_internal.h"

/* name: Linear(in, out) + act. */
mc_status mdl_add_linear(mc_nn_seq *s, const char *name, int64_t in, int64_t out, mc_nn_act act, int B);
/* A head name: Linear(in, Z), no activation, as a lone layer. */
mc_status mdl_head(const char *name, int64_t in, int Z, int B, mc_nn_layer **out);
/* prefix.fc<i>: Linear(in_i, w[i]) + ReLU for i < nw; *width receives the output width (in if nw 0). */
mc_status mdl_mlp_body(mc_nn_seq *s, const char *prefix, int64_t in, const int *w, int nw, int B, int64_t *width);
/* The mirrored MLP decoder: prefix.fc<i> Linear + ReLU over w reversed, then prefix.out Linear(., out). */
mc_status mdl_mlp_decoder(mc_nn_seq *s, const char *prefix, int64_t in, const int *w, int nw, int64_t out, int B);
/* prefix.conv<i>: Conv2d(c_{i-1}, channels[i], 4, 2, 1) + ReLU on 1 x n_mels x frames; *width receives
 * the flattened output numel (channels[last] * n_mels/2^n * frames/2^n). */
mc_status mdl_conv_body(mc_nn_seq *s, const char *prefix, const int *channels, int n_conv, int n_mels, int frames,
                        int B, int64_t *width);
/* The conv decoder: prefix.fc Linear(in, H) (no activation, as the peer), viewed as (c_last, h, w), then
 * prefix.deconv<i> ConvTranspose2d(4, 2, 1) back to 1 x n_mels x frames, ReLU on all but the last. */
mc_status mdl_conv_decoder(mc_nn_seq *s, const char *prefix, int64_t in, int64_t H, const int *channels, int n_conv,
                           int n_mels, int frames, int B);
/* The step buffers every network has (x, eps, z, drecon, dmu, dlv, dz, dh for B rows of D, Z, H). */
mc_status mdl_step_buffers(mdl_net *n, int B);

#endif
