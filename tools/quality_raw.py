#!/usr/bin/env python3
"""Issue 17, item 2: which raw feature representation clusters best at the track level.

Reads a musiclust feature store (mfcc_stats.npy, descriptors.npy, index.tsv) and scores variants of
the per-row vectors with scikit-learn k-means (n_init=10, k = the label's classes) over seeds:
AMI / ARI / NMI of the track labels. Two ways to get a track's cluster: "vote" (cluster the segments,
each track takes its segments' majority, as `musiclust run` scores the track level) and "pool"
(average each track's segment rows, then cluster the tracks).

  python3 tools/quality_raw.py STORE [--label genre] [--seeds 5] [--part all|tune|check]

--part splits the tracks of each class in two halves by their order in tracks.tsv (tune: the first
half, check: the second), so that a choice made on `tune` can be checked on tracks not looked at.
Reference-only: scikit-learn is the clusterer, the numbers say which input to give musiclust.
"""
import argparse, csv, sys
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score as ami, adjusted_rand_score as ari, \
    normalized_mutual_info_score as nmi


def read_index(store, label):
    with open(f"{store}/index.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return np.array([int(r["track"]) for r in rows]), np.array([r[label] for r in rows])


def zscore(X):
    sd = X.std(0)
    sd[sd == 0] = 1
    return (X - X.mean(0)) / sd


def log_var(X, names):
    """log of the variance columns (heavy-tailed), the means as they are."""
    X = X.copy()
    for j, n in enumerate(names):
        if n.endswith("_var"):
            X[:, j] = np.log(X[:, j] + 1e-6 * max(X[:, j].mean(), 1e-12))
    return X


def variants(mfcc, desc, dnames, n_mfcc):
    mnames = [f"mfcc_{i}_mean" for i in range(n_mfcc)] + [f"mfcc_{i}_var" for i in range(n_mfcc)]
    m, d = mfcc, desc
    ml, dl = log_var(mfcc, mnames), log_var(desc, dnames)
    blk = lambda A, B: np.hstack([zscore(A) / np.sqrt(A.shape[1]), zscore(B) / np.sqrt(B.shape[1])])
    return {
        "mfcc": zscore(m),
        "descriptors": zscore(d),
        "mfcc+descriptors": zscore(np.hstack([m, d])),
        "mfcc(logvar)": zscore(ml),
        "descriptors(logvar)": zscore(dl),
        "mfcc+descriptors(logvar)": zscore(np.hstack([ml, dl])),
        "mfcc+descriptors(blocks)": blk(m, d),
        "mfcc+descriptors(logvar,blocks)": blk(ml, dl),
    }


def score(X, tracks, labels, seeds, mode):
    T = np.unique(tracks)
    tl = np.array([labels[tracks == t][0] for t in T])
    k = len(np.unique(tl))
    out = []
    for s in seeds:
        if mode == "pool":
            P = np.vstack([X[tracks == t].mean(0) for t in T])
            tc = KMeans(k, n_init=10, random_state=s).fit_predict(P)
        else:
            c = KMeans(k, n_init=10, random_state=s).fit_predict(X)
            tc = np.array([np.bincount(c[tracks == t], minlength=k).argmax() for t in T])
        out.append((ami(tl, tc), ari(tl, tc), nmi(tl, tc)))
    return np.array(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--label", default="genre")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--part", default="all", choices=["all", "tune", "check"])
    a = ap.parse_args()
    tracks, labels = read_index(a.store, a.label)
    keep = labels != ""
    mfcc = np.load(f"{a.store}/mfcc_stats.npy").astype(np.float64)
    desc = np.load(f"{a.store}/descriptors.npy").astype(np.float64)
    dnames = open(f"{a.store}/descriptor_names.txt").read().split()
    if a.part != "all":
        sel = np.zeros(len(tracks), bool)
        for c in np.unique(labels[keep]):
            T = np.unique(tracks[(labels == c)])
            half = T[: (len(T) + 1) // 2] if a.part == "tune" else T[(len(T) + 1) // 2:]
            sel |= np.isin(tracks, half)
        keep &= sel
    tracks, labels, mfcc, desc = tracks[keep], labels[keep], mfcc[keep], desc[keep]
    print(f"# {a.store} part={a.part} label={a.label}: {len(np.unique(tracks))} tracks, {len(tracks)} segments, "
          f"{len(np.unique(labels))} classes, seeds 0..{a.seeds - 1}")
    print("variant\tlevel\tAMI\tARI\tNMI")
    for name, X in variants(mfcc, desc, dnames, mfcc.shape[1] // 2).items():
        for mode in ("vote", "pool"):
            r = score(X, tracks, labels, range(a.seeds), mode)
            m, sd = r.mean(0), r.std(0)
            print(f"{name}\t{mode}\t{m[0]:.3f} ± {sd[0]:.3f}\t{m[1]:.3f} ± {sd[1]:.3f}\t{m[2]:.3f} ± {sd[2]:.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
