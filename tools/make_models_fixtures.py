#!/usr/bin/env python3
"""Reference fixtures for tests/test_models.c from PyTorch: the two peer networks of
../shared/peers/torch_vae.py (the MLP VAE and the conv beta-VAE, the latter with fewer channels and a
16 x 32 input so that the fixture stays small), one training step each.

For each case a musiclust model file is written with torch's initial weights under musiclust's names
(tests/fixtures/models_<case>.safetensors: weights, norm.mean = 0, norm.std = 1, zero Adam and training
state, the "musiclust" metadata), plus the step's inputs and results as extra tensors:
  ref.x (B, D), ref.eps (B, Z)        the normalised batch and the reparameterisation noise
  ref.mu, ref.logvar (B, Z), ref.recon (B, D), ref.rec, ref.kl (1)   forward
  ref.grad.<param>                    gradients of (rec + beta * kl) / B
  ref.after.<param>                   weights after one torch.optim.Adam(lr=1e-3) step
Run: /usr/bin/python3 tools/make_models_fixtures.py  (writes tests/fixtures/models_mlp.safetensors and
models_conv.safetensors)."""
import json, os, struct
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def write_safetensors(path, tensors, meta):
    header, off, blobs = {"__metadata__": meta}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        code = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class MLP(nn.Module):  # the peer's MLP, same module order
    def __init__(s, d, h, z):
        super().__init__(); s.e = nn.Linear(d, h); s.mu = nn.Linear(h, z); s.lv = nn.Linear(h, z)
        s.d1 = nn.Linear(z, h); s.d2 = nn.Linear(h, d)

    def forward(s, x, eps):
        h = F.relu(s.e(x)); mu, lv = s.mu(h), s.lv(h); z = mu + eps * torch.exp(0.5 * lv)
        return s.d2(F.relu(s.d1(z))), mu, lv

    names = {"e": "enc.fc0", "mu": "enc.mu", "lv": "enc.logvar", "d1": "dec.fc0", "d2": "dec.out"}


class Conv(nn.Module):  # the peer's Conv with channels ch and an (M, T) input
    def __init__(s, ch, M, T, z):
        super().__init__(); ch = [1] + ch; s.k = len(ch) - 1; s.hw = (M >> s.k, T >> s.k); s.c = ch[-1]
        n = ch[-1] * s.hw[0] * s.hw[1]
        s.enc_c = nn.ModuleList([nn.Conv2d(ch[i], ch[i + 1], 4, 2, 1) for i in range(s.k)])
        s.mu = nn.Linear(n, z); s.lv = nn.Linear(n, z); s.fc = nn.Linear(z, n)
        s.dec_c = nn.ModuleList([nn.ConvTranspose2d(ch[s.k - i], ch[s.k - 1 - i], 4, 2, 1) for i in range(s.k)])

    def forward(s, x, eps):
        for c in s.enc_c: x = F.relu(c(x))
        x = x.flatten(1); mu, lv = s.mu(x), s.lv(x); z = mu + eps * torch.exp(0.5 * lv)
        h = s.fc(z).view(-1, s.c, *s.hw)
        for i, c in enumerate(s.dec_c): h = c(h); h = F.relu(h) if i < s.k - 1 else h
        return h, mu, lv

    def name(s, key):
        p = key.split(".")
        if p[0] == "enc_c": return f"enc.conv{p[1]}.{p[2]}"
        if p[0] == "dec_c": return f"dec.deconv{p[1]}.{p[2]}"
        return {"mu": "enc.mu", "lv": "enc.logvar", "fc": "dec.fc"}[p[0]] + "." + p[1]


def case(path, net, rename, x, beta, meta):
    B = x.shape[0]
    Z = meta["latent"]
    g = torch.Generator().manual_seed(7)
    eps = torch.randn(B, Z, generator=g)
    t = {}
    params = {rename(k): v for k, v in net.named_parameters()}
    for n, p in params.items():
        t[n] = p.detach().numpy().copy()
        t[f"adam.{n}.m"] = np.zeros_like(t[n]); t[f"adam.{n}.v"] = np.zeros_like(t[n])
    D = int(np.prod(x.shape[1:]))
    nn_ = 1 if meta["input"] == "logmel" else D
    t["norm.mean"] = np.zeros(nn_, np.float32); t["norm.std"] = np.ones(nn_, np.float32)
    for k in ("adam.step", "train.epoch", "train.best_epoch", "train.bad_epochs"): t[k] = np.zeros(1, np.int64)
    t["train.rng.shuffle"] = np.zeros(6, np.int64); t["train.rng.noise"] = np.zeros(6, np.int64)
    t["train.rng.shuffle"][0] = t["train.rng.noise"][0] = 1  # any non-zero xoshiro state
    t["train.best_val"] = np.array([np.inf])
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    r, mu, lv = net(x, eps)
    rec = F.mse_loss(r, x, reduction="sum"); kl = -0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp())
    loss = (rec + beta * kl) / B
    opt.zero_grad(); loss.backward()
    t["ref.x"] = x.numpy().reshape(B, D); t["ref.eps"] = eps.numpy()
    t["ref.mu"] = mu.detach().numpy(); t["ref.logvar"] = lv.detach().numpy()
    t["ref.recon"] = r.detach().numpy().reshape(B, D)
    t["ref.rec"] = np.array([rec.item()], np.float32); t["ref.kl"] = np.array([kl.item()], np.float32)
    for n, p in params.items(): t[f"ref.grad.{n}"] = p.grad.numpy().copy()
    opt.step()
    for n, p in params.items(): t[f"ref.after.{n}"] = p.detach().numpy().copy()
    write_safetensors(path, t, {"musiclust": json.dumps(meta)})
    print(path, os.path.getsize(path), "bytes, loss", loss.item())


def main():
    torch.manual_seed(0)
    common = {"format": 1, "variational": True, "warmup": 0, "condition": None, "classes": [], "epochs": 1,
              "epochs_done": 0, "complete": False, "stopped_early": False, "lr": 0.001, "optimizer": "adam",
              "seed": 0, "val_fraction": 0, "patience": 0, "clip": 0}
    B = 4
    d, h, z = 12, 16, 3
    net = MLP(d, h, z)
    x = torch.randn(B, d)
    meta = dict(common, model="vae", arch="mlp", input="vectors", input_dim=d, hidden=[h], norm="zscore",
                latent=z, beta=1, batch=B, n_rows=B)
    case(os.path.join(OUT, "models_mlp.safetensors"), net, lambda k: MLP.names[k.split(".")[0]] + "." + k.split(".")[1],
         x, 1.0, meta)
    ch, M, T, z = [4, 8, 8, 8], 16, 32, 3
    net = Conv(ch, M, T, z)
    x = torch.randn(B, 1, M, T)
    meta = dict(common, model="conv-vae", arch="conv", input="logmel", n_mels=M, frames=T, channels=ch,
                norm="global", latent=z, beta=4, batch=B, n_rows=B)
    case(os.path.join(OUT, "models_conv.safetensors"), net, net.name, x, 4.0, meta)


if __name__ == "__main__":
    main()
