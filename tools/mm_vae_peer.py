#!/usr/bin/env python3
"""PyTorch peer of musiclust's mm-vae (src/models/mm.c, include/musiclust/models.h) for bench/run.sh:
the same default network, input preparation, loss and optimiser, trained on a feature store with
lyrics (index.tsv, mfcc_stats.npy, lyrics.npy, lyrics_tracks.tsv). Prints training samples/s and, with
--eval COLUMN..., k-means (sklearn, n_init 10) ARI for k = 2 and NMI for k = 5 of the latent means
against those index.tsv columns.
  audio: per-column z-score; lyrics: column means, one common std (the "global" norm), fitted on the
  rows with lyrics; concat: f = [relu(Linear(40, 64) x), m relu(Linear(64, 32) l), 1 - m] -> ReLU
  Linear(97, 64) -> mu, logvar (4); poe: experts on h_a, h_l times N(0, 1); decoders Linear(4, 64) ->
  Linear(64, 40) and Linear(4, 32) -> Linear(32, 64); loss (SSE_a + sum_m SSE_l + KL) / batch; Adam 1e-3.
Usage: mm_vae_peer.py FEATDIR [--fusion concat|poe] [--epochs 100] [--threads 1] [--seed 0] [--eval COL...]"""
import argparse, csv, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F


class MM(nn.Module):
    def __init__(s, D, L, fusion, ha=64, hl=32, hf=64, z=4):
        super().__init__()
        s.fusion = fusion
        s.ea, s.el = nn.Linear(D, ha), nn.Linear(L, hl)
        if fusion == "concat":
            s.ef = nn.Linear(ha + hl + 1, hf); s.mu = nn.Linear(hf, z); s.lv = nn.Linear(hf, z)
        else:
            s.mua, s.lva, s.mul, s.lvl = nn.Linear(ha, z), nn.Linear(ha, z), nn.Linear(hl, z), nn.Linear(hl, z)
        s.da1, s.da2, s.dl1, s.dl2 = nn.Linear(z, ha), nn.Linear(ha, D), nn.Linear(z, hl), nn.Linear(hl, L)

    def encode(s, x, l, m):
        ha, hl = F.relu(s.ea(x)), F.relu(s.el(l))
        if s.fusion == "concat":
            g = F.relu(s.ef(torch.cat([ha, hl * m[:, None], (1 - m)[:, None]], 1)))
            return s.mu(g), s.lv(g)
        pa, pl = torch.exp(-s.lva(ha)), m[:, None] * torch.exp(-s.lvl(hl))
        t = 1 + pa + pl
        return (pa * s.mua(ha) + pl * s.mul(hl)) / t, -torch.log(t)

    def forward(s, x, l, m):
        mu, lv = s.encode(x, l, m)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
        return s.da2(F.relu(s.da1(z))), s.dl2(F.relu(s.dl1(z))), mu, lv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("featdir"); ap.add_argument("--fusion", default="concat"); ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1); ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval", nargs="*", default=[])
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
    rows = list(csv.DictReader(open(f"{a.featdir}/index.tsv"), delimiter="\t"))
    lt = list(csv.DictReader(open(f"{a.featdir}/lyrics_tracks.tsv"), delimiter="\t"))
    pos = {r["track"]: i for i, r in enumerate(lt)}
    t = np.array([pos[r["track"]] for r in rows])
    X = np.load(f"{a.featdir}/mfcc_stats.npy").astype(np.float64)
    Lv = np.load(f"{a.featdir}/lyrics.npy").astype(np.float64)[t]
    m = np.array([int(lt[i]["has_lyrics"]) for i in t], np.float32)
    sd = X.std(0); sd[sd == 0] = 1
    X = (X - X.mean(0)) / sd
    w = m > 0
    mean = Lv[w].mean(0); s = np.sqrt(((Lv[w] - mean) ** 2).mean()) or 1.0
    Lv = np.where(w[:, None], (Lv - mean) / s, 0)
    x, l, mm_ = torch.tensor(X, dtype=torch.float32), torch.tensor(Lv, dtype=torch.float32), torch.tensor(m)
    net = MM(x.shape[1], l.shape[1], a.fusion)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    n, B = x.shape[0], 32
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        for i in range(0, n, B):
            idx = perm[i:i + B]
            xb, lb, mb = x[idx], l[idx], mm_[idx]
            ra, rl, mu, lv = net(xb, lb, mb)
            loss = (F.mse_loss(ra, xb, reduction="sum") + torch.sum(mb[:, None] * (rl - lb) ** 2)
                    - 0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp())) / len(idx)
            opt.zero_grad(); loss.backward(); opt.step()
    secs = time.perf_counter() - t0
    print(f"  torch {torch.__version__} mm-vae {a.fusion}, {n} rows, batch {B}, {a.epochs} epochs, {a.threads} threads: "
          f"{secs:.3f} s  {n * a.epochs / secs:9.1f} samples/s")
    if a.eval:
        from sklearn.cluster import KMeans
        from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
        with torch.no_grad():
            z = net.encode(x, l, mm_)[0].numpy()
        for col in a.eval:
            y = [r[col] for r in rows]
            k2 = KMeans(2, n_init=10, random_state=0).fit_predict(z)
            k5 = KMeans(5, n_init=10, random_state=0).fit_predict(z)
            print(f"  torch peer latent vs {col}: ARI (k = 2) {adjusted_rand_score(y, k2):.4f}, "
                  f"NMI (k = 5) {normalized_mutual_info_score(y, k5):.4f}")


if __name__ == "__main__":
    main()
