#!/usr/bin/env python3
"""Write tests/fixtures/nn_fixture.h: PyTorch 1.13 reference values for tests/test_nn.c.

Inputs, weights, upstream gradients and the conv beta-VAE's batches are NOT stored: both sides make
them from the same integer hash (fx_u below; exact in numpy and in C, no transcendental functions), so
the header holds only the configurations and PyTorch's outputs and gradients. Every value is written
with 9 significant digits (float32 round trip). The conv beta-VAE's five Adam steps are also run in
float64, so the test can say how far float32 arithmetic itself (PyTorch's or ours) is from exact: a
ReLU whose pre-activation is within rounding of zero can flip, and Adam turns rounding-sized
gradients into lr-sized steps, so float32 trajectories spread slowly from each other.

    /usr/bin/python3 tools/make_nn_fixtures.py > tests/fixtures/nn_fixture.h

Needs Debian's python3-torch (1.13) and python3-numpy."""
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_grad_enabled(True)
M32 = 0xFFFFFFFF
OUT = []


def fx_u(n, salt):
    """Hash of (index, salt) -> double in [-1, 1): murmur3-style finaliser, all in 32-bit integers."""
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(0x9E3779B1) + np.uint64((salt * 0x85EBCA77 + 0x165667B1) & M32)) & np.uint64(M32)
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x2C1B3C6D)) & np.uint64(M32)
    h ^= h >> np.uint64(12)
    h = (h * np.uint64(0x297A2D39)) & np.uint64(M32)
    h ^= h >> np.uint64(15)
    return h.astype(np.float64) / 2147483648.0 - 1.0


def val(shape, salt, scale=1.0, offset=0.0):
    """float32 array: (float)(u * scale + offset), row-major."""
    n = int(np.prod(shape)) if len(shape) else 1
    return torch.from_numpy((fx_u(n, salt) * scale + offset).astype(np.float32).reshape(shape))


def emit(name, t):
    a = t.detach().numpy().astype(np.float32).ravel() if torch.is_tensor(t) else np.asarray(t, np.float32).ravel()
    body = ", ".join("%.9g" % float(v) for v in a)
    OUT.append("static const float %s[%d] = {%s};" % (name, len(a), body))
    return name


ACT = {0: None, 1: F.relu, 2: lambda y: F.leaky_relu(y, 0.01), 3: torch.sigmoid, 4: torch.tanh}

# ------------------------------------------------------------------ Linear: (n, in, out, act)
lin_cases = [(4, 5, 3, 0), (3, 7, 6, 1), (5, 4, 4, 2), (2, 6, 3, 3), (3, 3, 5, 4)]
rows = []
for c, (n, fin, fout, act) in enumerate(lin_cases):
    s = 1000 + 10 * c
    bound = 1 / math.sqrt(fin)
    x = val((n, fin), s + 1).requires_grad_()
    m = nn.Linear(fin, fout)
    with torch.no_grad():
        m.weight.copy_(val((fout, fin), s + 2, bound))
        m.bias.copy_(val((fout,), s + 3, bound))
    y = m(x)
    if ACT[act]:
        y = ACT[act](y)
    dy = val((n, fout), s + 4)
    y.backward(dy)
    k = "nnfx_lin%d" % c
    rows.append("    {%d, %d, %d, %d, %d, %s, %s, %s, %s}," % (n, fin, fout, act, s, emit(k + "_y", y),
                emit(k + "_dx", x.grad), emit(k + "_dw", m.weight.grad), emit(k + "_db", m.bias.grad)))
OUT.append("typedef struct nnfx_linear { int n, in, out, act, salt; const float *y, *dx, *dw, *db; } nnfx_linear;")
OUT.append("static const nnfx_linear nnfx_linears[] = {\n%s\n};" % "\n".join(rows))

# ------------------------------------------------------------------ Conv2d / ConvTranspose2d
# (transpose, n, c_in, h, w, c_out, k, s, p, output_padding, act)
conv_cases = [
    (0, 2, 3, 7, 7, 4, 3, 2, 1, 0, 1),
    (0, 2, 2, 8, 8, 3, 4, 2, 1, 0, 0),
    (0, 3, 2, 6, 5, 2, 3, 1, 0, 0, 3),
    (0, 2, 2, 7, 7, 3, 5, 3, 2, 0, 4),
    (0, 2, 1, 16, 16, 4, 4, 2, 1, 0, 2),
    (1, 2, 4, 4, 4, 3, 4, 2, 1, 0, 1),
    (1, 2, 3, 3, 5, 2, 3, 2, 1, 1, 0),
    (1, 3, 2, 4, 3, 2, 3, 1, 0, 0, 3),
    (1, 2, 2, 3, 3, 3, 5, 3, 1, 2, 4),
    (1, 2, 8, 4, 4, 1, 4, 2, 1, 0, 0),
]
rows = []
for c, (tr, n, ci, h, w, co, k, st, p, op, act) in enumerate(conv_cases):
    s = 2000 + 10 * c
    if tr:
        m = nn.ConvTranspose2d(ci, co, k, st, p, output_padding=op)
    else:
        m = nn.Conv2d(ci, co, k, st, p)
    fan_in = nn.init._calculate_fan_in_and_fan_out(m.weight)[0]
    bound = 1 / math.sqrt(fan_in)
    x = val((n, ci, h, w), s + 1).requires_grad_()
    with torch.no_grad():
        m.weight.copy_(val(tuple(m.weight.shape), s + 2, bound))
        m.bias.copy_(val((co,), s + 3, bound))
    y = m(x)
    if ACT[act]:
        y = ACT[act](y)
    dy = val(tuple(y.shape), s + 4)
    y.backward(dy)
    kk = "nnfx_conv%d" % c
    rows.append("    {%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %s, %s, %s, %s},"
                % (tr, n, ci, h, w, co, k, st, p, op, act, s, y.shape[2], y.shape[3], fan_in,
                   emit(kk + "_y", y), emit(kk + "_dx", x.grad), emit(kk + "_dw", m.weight.grad),
                   emit(kk + "_db", m.bias.grad)))
OUT.append("typedef struct nnfx_conv { int transpose, n, c_in, h, w, c_out, k, s, p, op, act, salt, ho, wo, "
           "fan_in; const float *y, *dx, *dw, *db; } nnfx_conv;")
OUT.append("static const nnfx_conv nnfx_convs[] = {\n%s\n};" % "\n".join(rows))

# ------------------------------------------------------------------ BatchNorm (n, C, S-shape, act)
bn_cases = [(6, 4, (), 0), (3, 3, (5,), 1), (3, 2, (4, 5), 0), (2, 3, (3, 3), 4)]
rows = []
for c, (n, C, sp, act) in enumerate(bn_cases):
    s = 3000 + 10 * c
    m = nn.BatchNorm2d(C) if len(sp) == 2 else nn.BatchNorm1d(C)
    shape = (n, C) + sp
    S = int(np.prod(sp)) if sp else 1
    with torch.no_grad():
        m.weight.copy_(val((C,), s + 2, 0.5, 1.0))
        m.bias.copy_(val((C,), s + 3, 0.5))
        m.running_mean.copy_(val((C,), s + 5, 0.2))
        m.running_var.copy_(val((C,), s + 6, 0.3, 1.0))
    x = val(shape, s + 1, 2.0, 0.5).requires_grad_()
    dy = val(shape, s + 4)
    m.train()
    y = m(x)
    if ACT[act]:
        y = ACT[act](y)
    y.backward(dy)
    k = "nnfx_bn%d" % c
    tr = [emit(k + "_y", y), emit(k + "_dx", x.grad), emit(k + "_dg", m.weight.grad), emit(k + "_dbeta", m.bias.grad),
          emit(k + "_rm", m.running_mean), emit(k + "_rv", m.running_var)]
    m.eval()
    x.grad = None
    m.weight.grad = None
    m.bias.grad = None
    y = m(x)
    if ACT[act]:
        y = ACT[act](y)
    y.backward(dy)
    ev = [emit(k + "_ey", y), emit(k + "_edx", x.grad), emit(k + "_edg", m.weight.grad), emit(k + "_edbeta", m.bias.grad)]
    rows.append("    {%d, %d, %d, %d, %d, %d, %s}," % (n, C, S, len(sp) == 2, act, s, ", ".join(tr + ev)))
OUT.append("typedef struct nnfx_bn { int n, c, spatial, is2d, act, salt; const float *y, *dx, *dgamma, *dbeta, "
           "*rm, *rv, *ey, *edx, *edgamma, *edbeta; } nnfx_bn;")
OUT.append("static const nnfx_bn nnfx_bns[] = {\n%s\n};" % "\n".join(rows))

# ------------------------------------------------------------------ losses (count 37)
NL = 37
pred = val((NL,), 4001, 1.5).requires_grad_()
targ = val((NL,), 4002)
for red in ("sum", "mean"):
    pred.grad = None
    l = F.mse_loss(pred, targ, reduction=red)
    l.backward()
    emit("nnfx_mse_%s" % red, torch.stack([l.detach(), ]))
    emit("nnfx_mse_%s_grad" % red, pred.grad)
# BCE on probabilities, with p = 0 and p = 1 exactly at indices 0 and 1 (log clamped at -100)
p = (val((NL,), 4003, 0.49, 0.5)).clone()
p[0] = 0.0
p[1] = 1.0
p.requires_grad_()
t = val((NL,), 4004, 0.5, 0.5)
for red in ("sum", "mean"):
    p.grad = None
    l = F.binary_cross_entropy(p, t, reduction=red)
    l.backward()
    emit("nnfx_bce_%s" % red, torch.stack([l.detach()]))
    emit("nnfx_bce_%s_grad" % red, p.grad)
z = val((NL,), 4005, 4.0).requires_grad_()
for red in ("sum", "mean"):
    z.grad = None
    l = F.binary_cross_entropy_with_logits(z, t, reduction=red)
    l.backward()
    emit("nnfx_bcel_%s" % red, torch.stack([l.detach()]))
    emit("nnfx_bcel_%s_grad" % red, z.grad)
mu = val((NL,), 4006).requires_grad_()
lv = val((NL,), 4007, 1.5).requires_grad_()
kl = -0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp())
kl.backward()
emit("nnfx_kl", torch.stack([kl.detach()]))
emit("nnfx_kl_dmu", mu.grad)
emit("nnfx_kl_dlv", lv.grad)
mu.grad = None
lv.grad = None
eps = val((NL,), 4008, math.sqrt(3.0))
zz = mu + eps * torch.exp(0.5 * lv)
zz.backward(val((NL,), 4009))
emit("nnfx_rep_z", zz)
emit("nnfx_rep_dmu", mu.grad)
emit("nnfx_rep_dlv", lv.grad)
OUT.append("#define NNFX_NL %d" % NL)

# ------------------------------------------------------------------ Adam / AdamW, 6 steps
# two tensors (3, 4) and (3,): the weight and bias of a Linear(4, 3) on the C side
ADAM_STEPS = 6
adam_cases = [("adam", 0.01, 0.0), ("adam", 0.01, 0.1), ("adamw", 0.01, 0.1)]
rows = []
for c, (kind, lr, wd) in enumerate(adam_cases):
    s = 5000 + 100 * c
    p1 = val((3, 4), s + 1).requires_grad_()
    p2 = val((3,), s + 2).requires_grad_()
    opt = (torch.optim.AdamW if kind == "adamw" else torch.optim.Adam)([p1, p2], lr=lr, weight_decay=wd)
    traj = []
    for step in range(ADAM_STEPS):
        p1.grad = val((3, 4), s + 10 + 2 * step, 0.1 * (step + 1))
        p2.grad = val((3,), s + 11 + 2 * step, 1e-3)
        opt.step()
        traj.append(torch.cat([p1.detach().ravel(), p2.detach().ravel()]))
    rows.append("    {%d, %.17g, %.17g, %d, %s}," % (kind == "adamw", lr, wd, s, emit("nnfx_adam%d" % c, torch.stack(traj))))
OUT.append("#define NNFX_ADAM_STEPS %d" % ADAM_STEPS)
OUT.append("typedef struct nnfx_adam { int adamw; double lr, wd; int salt; const float *traj; } nnfx_adam;")
OUT.append("static const nnfx_adam nnfx_adams[] = {\n%s\n};" % "\n".join(rows))

# ------------------------------------------------------------------ clip_grad_norm_
for c, mx in enumerate((0.5, 100.0)):
    p1 = torch.zeros(3, 4, requires_grad=True)
    p2 = torch.zeros(3, requires_grad=True)
    p1.grad = val((3, 4), 5900, 1.0)
    p2.grad = val((3,), 5901, 2.0)
    tot = torch.nn.utils.clip_grad_norm_([p1, p2], mx)
    emit("nnfx_clip%d_total" % c, torch.stack([tot]))
    emit("nnfx_clip%d_grads" % c, torch.cat([p1.grad.ravel(), p2.grad.ravel()]))


# ------------------------------------------------------------------ the conv beta-VAE, 5 Adam steps
class Conv(nn.Module):  # verbatim from ../shared/peers/torch_vae.py
    def __init__(s, z=32):
        super().__init__(); ch = [1, 32, 64, 128, 256]
        s.enc_c = nn.ModuleList([nn.Conv2d(ch[i], ch[i+1], 4, 2, 1) for i in range(4)])
        s.mu = nn.Linear(256 * 64, z); s.lv = nn.Linear(256 * 64, z); s.fc = nn.Linear(z, 256 * 64)
        s.dec_c = nn.ModuleList([nn.ConvTranspose2d(ch[4-i], ch[3-i], 4, 2, 1) for i in range(4)])

    def enc(s, x):
        for c in s.enc_c: x = F.relu(c(x))
        x = x.flatten(1); return s.mu(x), s.lv(x)


VAE_N, VAE_STEPS, BETA = 4, 5, 4.0


def run_vae(dtype):
    """Five Adam steps of Conv from hash-made weights, batches and eps; per step: loss, rec, kl, and the
    gradient norms of every parameter (torch's named_parameters() order)."""
    net = Conv().to(dtype)
    names = []
    for j, (name, prm) in enumerate(net.named_parameters()):
        w = prm if prm.dim() > 1 else dict(net.named_parameters())[name.replace("bias", "weight")]
        fan_in = nn.init._calculate_fan_in_and_fan_out(w)[0]
        with torch.no_grad():
            prm.copy_(val(tuple(prm.shape), 6000 + j, 1 / math.sqrt(fan_in)).to(dtype))
        names.append((name, fan_in))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    res = []
    for step in range(VAE_STEPS):
        xb = val((VAE_N, 1, 128, 128), 7000 + step, 1.7).to(dtype)
        eps = val((VAE_N, 32), 7100 + step, math.sqrt(3.0)).to(dtype)
        mu, lv = net.enc(xb)
        z = mu + eps * torch.exp(0.5 * lv)
        h = net.fc(z).view(-1, 256, 8, 8)
        for i, c in enumerate(net.dec_c):
            h = c(h)
            h = F.relu(h) if i < 3 else h
        rec = F.mse_loss(h, xb, reduction="sum")
        kl = -0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp())
        loss = (rec + BETA * kl) / len(xb)
        opt.zero_grad()
        loss.backward()
        norms = torch.stack([p.grad.norm() for p in net.parameters()]).double()
        res.append((loss.item(), rec.item(), kl.item(), norms))
        opt.step()
    return names, sum(p.numel() for p in net.parameters()), res


names, numel, r32 = run_vae(torch.float32)
_, _, r64 = run_vae(torch.float64)
losses = [r[0] for r in r32]
recs = [r[1] for r in r32]
kls = [r[2] for r in r32]
gn0, gn4 = r32[0][3], r32[-1][3]
OUT.append("#define NNFX_VAE_N %d\n#define NNFX_VAE_STEPS %d" % (VAE_N, VAE_STEPS))
OUT.append("static const double nnfx_vae_loss[%d] = {%s};" % (VAE_STEPS, ", ".join("%.17g" % v for v in losses)))
OUT.append("static const double nnfx_vae_rec[%d] = {%s};" % (VAE_STEPS, ", ".join("%.17g" % v for v in recs)))
OUT.append("static const double nnfx_vae_kl[%d] = {%s};" % (VAE_STEPS, ", ".join("%.17g" % v for v in kls)))
emit("nnfx_vae_gn0", gn0)
emit("nnfx_vae_gn4", gn4)
# the same steps in float64: how far float32 itself (PyTorch's or ours) is from exact arithmetic
OUT.append("static const double nnfx_vae_loss64[%d] = {%s};" % (VAE_STEPS, ", ".join("%.17g" % r[0] for r in r64)))
OUT.append("static const double nnfx_vae_kl64[%d] = {%s};" % (VAE_STEPS, ", ".join("%.17g" % r[2] for r in r64)))
OUT.append("static const double nnfx_vae_gn0_64[%d] = {%s};" % (len(names), ", ".join("%.17g" % v for v in r64[0][3])))
OUT.append("static const double nnfx_vae_gn4_64[%d] = {%s};" % (len(names), ", ".join("%.17g" % v for v in r64[-1][3])))
OUT.append("static const char *const nnfx_vae_names[%d] = {%s};" % (len(names), ", ".join('"%s"' % n for n, _ in names)))
OUT.append("#define NNFX_VAE_NUMEL %d" % numel)
OUT.append("static const int nnfx_vae_fan_in[%d] = {%s};" % (len(names), ", ".join(str(f) for _, f in names)))

print("/* Generated by tools/make_nn_fixtures.py (torch %s, numpy %s); do not edit. */" % (torch.__version__, np.__version__))
print("#ifndef MC_NN_FIXTURE_H\n#define MC_NN_FIXTURE_H")
print("\n".join(OUT))
print("#endif")
