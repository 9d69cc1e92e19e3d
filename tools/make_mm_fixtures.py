#!/usr/bin/env python3
"""Reference fixtures for the multimodal VAE (mm-vae) of tests/test_models.c from PyTorch: one training
step of a small mm-vae with a condition (the audio + lyrics + genre configuration) on a batch where two
rows have no lyrics, for both fusions (concat and poe), written as musiclust model files
(tests/fixtures/models_mm_concat.safetensors, models_mm_poe.safetensors) with torch's initial weights
under musiclust's names, zero Adam and training state, the "musiclust" metadata, and the step:
  ref.x (B, D), ref.lyr (B, L), ref.mask (B), ref.cond (B, C), ref.eps (B, Z)   the normalised batch
  ref.mu, ref.logvar (B, Z)        the (fused) posterior
  ref.recon (B, D), ref.recon_lyr (B, L), ref.rec_a, ref.rec_l, ref.kl (1)
  ref.grad.<param>                 gradients of (w_a rec_a + w_l rec_l + beta kl) / B
  ref.after.<param>                weights after one torch.optim.Adam(lr=1e-3) step
The network is the one src/models/mm.c builds (see include/musiclust/models.h):
  concat: f = [relu(enc.aud.fc0(x)), m relu(enc.lyr.fc0(lyr)), 1 - m, cond] -> relu(enc.fuse.fc0) ->
          enc.mu, enc.logvar
  poe:    each expert (enc.aud.mu/logvar on [h_a, cond], enc.lyr.mu/logvar on [h_l, cond]) times a
          N(0, 1) prior expert: T = 1 + exp(-lv_a) + m exp(-lv_l), mu = (exp(-lv_a) mu_a + m exp(-lv_l)
          mu_l) / T, logvar = -log T
  decoders dec.aud.fc0 -> dec.aud.out and dec.lyr.fc0 -> dec.lyr.out on [z, cond]
  rec_a = sum (recon - x)^2; rec_l = sum over the rows with lyrics of (recon_lyr - lyr)^2
Run: /usr/bin/python3 tools/make_mm_fixtures.py"""
import json, os, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_models_fixtures import OUT, write_safetensors  # noqa: E402

B, D, L, C, HA, HL, HF, Z = 6, 12, 10, 3, 16, 8, 16, 3
W_A, W_L, BETA = 0.7, 1.3, 1.5


class MM(nn.Module):
    def __init__(s, fusion):
        super().__init__()
        s.fusion = fusion
        s.ea = nn.Linear(D, HA); s.el = nn.Linear(L, HL)
        if fusion == "concat":
            s.ef = nn.Linear(HA + HL + 1 + C, HF); s.mu = nn.Linear(HF, Z); s.lv = nn.Linear(HF, Z)
        else:
            s.mua = nn.Linear(HA + C, Z); s.lva = nn.Linear(HA + C, Z)
            s.mul = nn.Linear(HL + C, Z); s.lvl = nn.Linear(HL + C, Z)
        s.da1 = nn.Linear(Z + C, HA); s.da2 = nn.Linear(HA, D)
        s.dl1 = nn.Linear(Z + C, HL); s.dl2 = nn.Linear(HL, L)

    names = {"ea": "enc.aud.fc0", "el": "enc.lyr.fc0", "ef": "enc.fuse.fc0", "mu": "enc.mu", "lv": "enc.logvar",
             "mua": "enc.aud.mu", "lva": "enc.aud.logvar", "mul": "enc.lyr.mu", "lvl": "enc.lyr.logvar",
             "da1": "dec.aud.fc0", "da2": "dec.aud.out", "dl1": "dec.lyr.fc0", "dl2": "dec.lyr.out"}

    def forward(s, x, lyr, m, cond, eps):
        ha, hl = F.relu(s.ea(x)), F.relu(s.el(lyr))
        if s.fusion == "concat":
            f = torch.cat([ha, hl * m[:, None], (1 - m)[:, None], cond], 1)
            g = F.relu(s.ef(f)); mu, lv = s.mu(g), s.lv(g)
        else:
            a, l_ = torch.cat([ha, cond], 1), torch.cat([hl, cond], 1)
            mua, lva, mul, lvl = s.mua(a), s.lva(a), s.mul(l_), s.lvl(l_)
            pa, pl = torch.exp(-lva), m[:, None] * torch.exp(-lvl)
            t = 1 + pa + pl
            mu, lv = (pa * mua + pl * mul) / t, -torch.log(t)
        z = mu + eps * torch.exp(0.5 * lv)
        zc = torch.cat([z, cond], 1)
        return s.da2(F.relu(s.da1(zc))), s.dl2(F.relu(s.dl1(zc))), mu, lv


def case(fusion):
    torch.manual_seed(1 if fusion == "concat" else 2)
    net = MM(fusion)
    g = torch.Generator().manual_seed(11)
    x = torch.randn(B, D, generator=g)
    m = torch.tensor([1, 0, 1, 1, 0, 1], dtype=torch.float32)
    lyr = torch.randn(B, L, generator=g) * m[:, None]  # rows without lyrics: zeros, as mdl_gather writes
    cond = torch.zeros(B, C)
    for b, k in enumerate([0, 2, 1, -1, 0, 2]):  # row 3: an empty label, all-zero condition
        if k >= 0: cond[b, k] = 1
    eps = torch.randn(B, Z, generator=g)
    params = {MM.names[k.split(".")[0]] + "." + k.split(".")[1]: v for k, v in net.named_parameters()}
    t = {}
    for n, p in params.items():
        t[n] = p.detach().numpy().copy()
        t[f"adam.{n}.m"] = np.zeros_like(t[n]); t[f"adam.{n}.v"] = np.zeros_like(t[n])
    t["norm.mean"] = np.zeros(D, np.float32); t["norm.std"] = np.ones(D, np.float32)
    t["norm.lyr.mean"] = np.zeros(L, np.float32); t["norm.lyr.std"] = np.ones(L, np.float32)
    for k in ("adam.step", "train.epoch", "train.best_epoch", "train.bad_epochs"): t[k] = np.zeros(1, np.int64)
    t["train.rng.shuffle"] = np.zeros(6, np.int64); t["train.rng.noise"] = np.zeros(6, np.int64)
    t["train.rng.shuffle"][0] = t["train.rng.noise"][0] = 1
    t["train.best_val"] = np.array([np.inf])
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    ra, rl, mu, lv = net(x, lyr, m, cond, eps)
    rec_a = F.mse_loss(ra, x, reduction="sum")
    rec_l = torch.sum(m[:, None] * (rl - lyr) ** 2)
    kl = -0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp())
    loss = (W_A * rec_a + W_L * rec_l + BETA * kl) / B
    opt.zero_grad(); loss.backward()
    for k, v in (("x", x), ("lyr", lyr), ("mask", m), ("cond", cond), ("eps", eps), ("mu", mu), ("logvar", lv),
                 ("recon", ra), ("recon_lyr", rl)):
        t["ref." + k] = v.detach().numpy().copy()
    for k, v in (("rec_a", rec_a), ("rec_l", rec_l), ("kl", kl)): t["ref." + k] = np.array([v.item()], np.float32)
    for n, p in params.items(): t[f"ref.grad.{n}"] = p.grad.numpy().copy()
    opt.step()
    for n, p in params.items(): t[f"ref.after.{n}"] = p.detach().numpy().copy()
    meta = {"format": 1, "model": "mm-vae", "arch": "mlp", "input": "vectors", "input_dim": D, "hidden": [HA],
            "norm": "zscore", "fusion": fusion, "audio_weight": W_A, "lyrics_weight": W_L, "lyrics_dim": L,
            "lyrics_hidden": [HL], "fuse_hidden": [HF] if fusion == "concat" else [], "lyrics_norm": "global",
            "latent": Z, "variational": True, "beta": BETA, "warmup": 0, "condition": "genre",
            "classes": ["a", "b", "c"], "epochs": 1, "epochs_done": 0, "complete": False, "stopped_early": False,
            "batch": B, "lr": 0.001, "optimizer": "adam", "seed": 0, "val_fraction": 0, "patience": 0, "clip": 0,
            "n_rows": B}
    path = os.path.join(OUT, f"models_mm_{fusion}.safetensors")
    write_safetensors(path, t, {"musiclust": json.dumps(meta)})
    print(path, os.path.getsize(path), "bytes, loss", loss.item())


if __name__ == "__main__":
    case("concat")
    case("poe")
