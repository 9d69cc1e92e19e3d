#!/usr/bin/env python3
"""Issue 17, item 2: representations of a store measured with musiclust itself (train, embed, cluster),
scored at the track level with AMI / ARI / NMI (scikit-learn's definitions) over seeds.

For each variant and seed: the space (z-scored features, PCA, or a model's latent means), clustered with
`musiclust cluster --algo kmeans --k K --seed S` two ways: "vote" (the segments are clustered, each
track takes its segments' majority) and "pool" (each track's segment rows are averaged, the tracks are
clustered).

  python3 tools/quality_sweep.py MUSICLUST STORE WORKDIR [--seeds 5] [--label genre] [--only NAME,...]
      [--epochs 100]

Variants: raw:<set>, pca<D>:<set>, <model>-z<L>[-b<beta>]:<set> for set in mfcc, mfcc+descriptors.
Small and slow-machine friendly: every model is ~1 s of training per 500 rows x 100 epochs; outputs
are kept in WORKDIR and reused on a second call.
"""
import argparse, csv, os, subprocess, sys
import numpy as np
from sklearn.metrics import adjusted_mutual_info_score as ami, adjusted_rand_score as ari, \
    normalized_mutual_info_score as nmi


def sh(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(args)}\n{r.stderr}")


def variants():
    out = []
    for fs in ("mfcc", "mfcc+descriptors"):
        out.append((f"raw:{fs}", dict(kind="raw", features=fs)))
        for d in (4, 8, 16):
            out.append((f"pca{d}:{fs}", dict(kind="pca", features=fs, dims=d)))
        for model, beta in (("vae", None), ("beta-vae", 4), ("ae", None)):
            for z in (4, 8, 16):
                name = f"{model}-z{z}" + (f"-b{beta}" if beta else "") + f":{fs}"
                out.append((name, dict(kind="model", model=model, latent=z, beta=beta, features=fs)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("musiclust")
    ap.add_argument("store")
    ap.add_argument("work")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--label", default="genre")
    ap.add_argument("--only", default="")
    ap.add_argument("--epochs", type=int, default=100)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    with open(os.path.join(a.store, "index.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    track = np.array([int(r["track"]) for r in rows])
    lab = np.array([r[a.label] for r in rows])
    T = np.unique(track)
    tl = np.array([lab[track == t][0] for t in T])
    k = len(np.unique(tl))
    only = set(a.only.split(",")) if a.only else None
    M = a.musiclust
    print(f"# {a.store}: {len(T)} tracks, {len(track)} segments, k = {k}, seeds 0..{a.seeds - 1}, MLP epochs {a.epochs}")
    print("variant\tlevel\tAMI\tARI\tNMI", flush=True)
    for name, v in variants():
        if only and name not in only:
            continue
        tag = name.replace(":", "_").replace("+", "")
        res = {"vote": [], "pool": []}
        for s in range(a.seeds):
            base = os.path.join(a.work, f"{tag}.s{s}")
            space = base + ".npy"
            if not os.path.exists(space):
                if v["kind"] in ("raw", "pca"):
                    args = [M, "cluster", "-q", "--k", str(k), "--seed", "0", "--features", v["features"],
                            "--reduce", v["kind"], "--save-space", space, "-o", base + ".tmp.tsv", a.store]
                    if v["kind"] == "pca":
                        args[args.index("--reduce") + 2:args.index("--reduce") + 2] = ["--dims", str(v["dims"])]
                    sh(args)
                else:
                    model = base + ".safetensors"
                    args = [M, "train", "-q", "--model", v["model"], "--features", v["features"], "--latent",
                            str(v["latent"]), "--epochs", str(a.epochs), "--seed", str(s), "--threads", "1",
                            a.store, "-o", model]
                    if v["beta"]:
                        args[3:3] = ["--beta", str(v["beta"])]
                    sh(args)
                    sh([M, "embed", "-q", "--threads", "1", model, a.store, "-o", space])
            X = np.load(space).astype(np.float32)
            pooled = base + ".pool.npy"
            np.save(pooled, np.vstack([X[track == t].mean(0) for t in T]).astype(np.float32))
            for level, inp in (("vote", space), ("pool", pooled)):
                out = f"{base}.{level}.tsv"
                sh([M, "cluster", "-q", "--k", str(k), "--seed", str(s), "--threads", "1", inp, "-o", out])
                with open(out, newline="") as f:
                    c = np.array([int(r["cluster"]) for r in csv.DictReader(f, delimiter="\t")])
                if level == "vote":
                    c = np.array([np.bincount(c[track == t]).argmax() for t in T])
                res[level].append((ami(tl, c), ari(tl, c), nmi(tl, c)))
        for level in ("vote", "pool"):
            r = np.array(res[level])
            m, sd = r.mean(0), r.std(0)
            print(f"{name}\t{level}\t{m[0]:.3f} ± {sd[0]:.3f}\t{m[1]:.3f} ± {sd[1]:.3f}\t{m[2]:.3f} ± {sd[2]:.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
