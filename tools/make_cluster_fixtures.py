#!/usr/bin/env python3
"""Write the scikit-learn 1.2 reference fixtures of tests/test_cluster.c into tests/fixtures/:

  cluster_blobs.npy      (300, 5) float32  4 well-separated blobs (k-means, auto-eps DBSCAN)
  cluster_overlap.npy    (400, 6) float32  5 overlapping blobs (k-means on less separated data, PCA)
  cluster_empty*.npy     (90, 2)  float32  3 blobs + initial centres that leave clusters empty
  cluster_wide.npy       (10, 15) float32  more columns than rows (PCA through the Gram matrix)
  cluster_agglo.npy      (60, 3)  float32  no tied distances (agglomerative, all linkages)
  cluster_agglo_big.npy  (4200, 4) float32 6 blobs (Ward, average, single on the blocked/threaded paths)
  cluster_dbscan.npy     (230, 2) float32  two moons + uniform noise (DBSCAN with given eps)
  cluster_gmm.npy        (300, 3) float32  3 separated anisotropic blobs (GMM)
  cluster_pca_*.npy      float64  components, explained variance (+ratio), singular values, transform
  cluster_agglo_*.npy    int32 labels (k = 4) / float64 merge heights, per linkage
  cluster_dbscan_*.npy   int32 labels for two (eps, min_samples) settings
  cluster_fixture.h      the scalar references (inertias, GMM scores/BIC, GTZAN NMI)

Every estimator is fitted on the float32 data converted to float64 (what the C code reads).
The GTZAN figure needs the feature store written by the C CLI on the shared data:

    build/musiclust extract /work/shared/data/gtzan-mini -o /tmp/F
    /usr/bin/python3 tools/make_cluster_fixtures.py --features /tmp/F

It reproduces the peer ../shared/peers/sklearn_cluster.py pipeline (StandardScaler, PCA(4,
random_state=seed), KMeans(10, n_init=10, random_state=seed)) and stores the NMI against the genre
column of index.tsv for seeds 0..9 and their mean.
"""
import argparse
import csv
import os
import sys

import numpy as np
import sklearn
from scipy.cluster import hierarchy
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs, make_moons
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")


def save(name, a):
    np.save(os.path.join(FIX, name), np.ascontiguousarray(a))


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", help="feature store written by `musiclust extract` on gtzan-mini")
    a = ap.parse_args()
    assert sklearn.__version__.startswith("1.2"), sklearn.__version__
    consts = []

    # ---------------------------------------------------------------- k-means
    blobs, _ = make_blobs(n_samples=300, centers=4, n_features=5, cluster_std=1.0, random_state=0)
    blobs = f32(blobs)
    save("cluster_blobs.npy", blobs)
    overlap, _ = make_blobs(n_samples=400, centers=5, n_features=6, cluster_std=3.0, center_box=(-6, 6),
                            random_state=1)
    overlap = f32(overlap)
    save("cluster_overlap.npy", overlap)
    for name, X, k in (("BLOBS", blobs, 4), ("OVERLAP", overlap, 5)):
        X64 = X.astype(np.float64)
        km = KMeans(k, n_init=10, random_state=0).fit(X64)
        # the best of many more restarts: tells whether n_init=10 reached the global optimum
        many = min(KMeans(k, n_init=10, random_state=s).fit(X64).inertia_ for s in range(20))
        consts.append((f"KM_{name}_K", k))
        consts.append((f"KM_{name}_INERTIA", km.inertia_))
        consts.append((f"KM_{name}_INERTIA_BEST200", many))
        print(f"kmeans {name}: inertia n_init=10 {km.inertia_:.9g}, best of 200 restarts {many:.9g}",
              file=sys.stderr)

    # empty clusters: given initial centres far from every point (sklearn reseeds them with the points
    # farthest from their centres, _relocate_empty_clusters_dense)
    rs = np.random.RandomState(6)
    empty = f32(np.concatenate([c + 0.5 * rs.normal(size=(30, 2)) for c in ((0, 0), (10, 0), (0, 10))]))
    save("cluster_empty.npy", empty)
    E64 = empty.astype(np.float64)
    for i, init in enumerate((f32([[0, 0], [10, 0], [100, 100]]), f32([[0, 0], [50, 50], [60, 60], [10, 0]]))):
        save(f"cluster_empty_init{i}.npy", init)
        km = KMeans(len(init), init=init.astype(np.float64), n_init=1).fit(E64)
        save(f"cluster_empty_labels{i}.npy", km.labels_.astype(np.int32))
        save(f"cluster_empty_centers{i}.npy", km.cluster_centers_)
        consts.append((f"KM_EMPTY{i}_INERTIA", km.inertia_))
        print(f"kmeans from init {i}: inertia {km.inertia_:.6g}, {km.n_iter_} iterations", file=sys.stderr)

    # ---------------------------------------------------------------- PCA
    X64 = overlap.astype(np.float64)
    p = PCA(n_components=6, svd_solver="full").fit(X64)
    save("cluster_pca_components.npy", p.components_)
    save("cluster_pca_explained_variance.npy", p.explained_variance_)
    save("cluster_pca_explained_variance_ratio.npy", p.explained_variance_ratio_)
    save("cluster_pca_singular_values.npy", p.singular_values_)
    p3 = PCA(n_components=3, svd_solver="full", whiten=True).fit(X64)
    save("cluster_pca_whiten_transform.npy", p3.transform(X64[:20]))
    consts.append(("PCA_NOISE_VARIANCE3", p3.noise_variance_))
    wide = f32(np.random.RandomState(3).normal(size=(10, 15)) * np.linspace(3, 0.5, 15))
    save("cluster_wide.npy", wide)
    pw = PCA(n_components=4, svd_solver="full").fit(wide.astype(np.float64))
    save("cluster_pca_wide_components.npy", pw.components_)
    save("cluster_pca_wide_explained_variance.npy", pw.explained_variance_)
    sc = StandardScaler().fit(X64)
    save("cluster_scaler_scale.npy", sc.scale_)

    # ---------------------------------------------------------------- agglomerative
    rs = np.random.RandomState(7)
    centres = np.array([[0, 0, 0], [4, 0, 1], [0, 5, -1], [4, 5, 3]], dtype=np.float64)
    agg = f32(np.concatenate([c + rs.normal(scale=1.1, size=(15, 3)) for c in centres]))
    agg = agg[rs.permutation(len(agg))]
    save("cluster_agglo.npy", agg)
    A64 = agg.astype(np.float64)
    for link in ("ward", "average", "complete", "single"):
        lab = AgglomerativeClustering(n_clusters=4, linkage=link).fit_predict(A64)
        save(f"cluster_agglo_{link}.npy", lab.astype(np.int32))
        Z = hierarchy.linkage(A64, method=link)
        save(f"cluster_agglo_{link}_heights.npy", Z[:, 2].copy())
        save(f"cluster_agglo_{link}_children.npy", Z[:, :2].astype(np.int32))
        h = np.sort(Z[:, 2])
        print(f"agglo {link}: cluster sizes {np.bincount(lab)}, smallest relative gap between heights "
              f"{np.min(np.diff(h) / h[1:]):.3g}", file=sys.stderr)

    # big enough (4,200 points) for the blocked and multi-threaded paths of the C code
    rs = np.random.RandomState(8)
    centres = rs.uniform(-8, 8, size=(6, 4))
    big = f32(np.concatenate([c + rs.normal(size=(700, 4)) for c in centres]))
    big = big[rs.permutation(len(big))]
    save("cluster_agglo_big.npy", big)
    B64 = big.astype(np.float64)
    for link in ("ward", "average", "single"):
        lab = AgglomerativeClustering(n_clusters=6, linkage=link).fit_predict(B64)
        save(f"cluster_agglo_big_{link}.npy", lab.astype(np.int32))
        save(f"cluster_agglo_big_{link}_heights.npy", hierarchy.linkage(B64, method=link)[:, 2].copy())
        print(f"agglo big {link}: cluster sizes {np.bincount(lab)}", file=sys.stderr)

    # ---------------------------------------------------------------- DBSCAN
    moons, _ = make_moons(n_samples=200, noise=0.07, random_state=2)
    noise = np.random.RandomState(4).uniform(low=(-1.5, -1.0), high=(2.5, 1.5), size=(30, 2))
    db = f32(np.concatenate([moons, noise]))
    save("cluster_dbscan.npy", db)
    for i, (eps, ms) in enumerate(((0.2, 5), (0.12, 4))):
        lab = DBSCAN(eps=eps, min_samples=ms, algorithm="brute").fit_predict(db.astype(np.float64))
        save(f"cluster_dbscan_labels{i}.npy", lab.astype(np.int32))
        consts.append((f"DBSCAN_EPS{i}", eps))
        consts.append((f"DBSCAN_MIN_SAMPLES{i}", ms))
        print(f"dbscan eps={eps} min_samples={ms}: {lab.max() + 1} clusters, {np.sum(lab < 0)} noise",
              file=sys.stderr)

    # ---------------------------------------------------------------- GMM
    rs = np.random.RandomState(5)
    parts = []
    for c, A in (([0, 0, 0], [[1.0, 0.3, 0], [0, 0.5, 0.2], [0, 0, 0.8]]),
                 ([8, 2, -3], [[0.6, 0, 0], [0.4, 1.2, 0], [0, 0.3, 0.5]]),
                 ([-6, 7, 4], [[0.9, 0, 0.4], [0, 0.7, 0], [0, 0, 1.1]])):
        parts.append(np.asarray(c) + rs.normal(size=(100, 3)) @ np.asarray(A))
    gmm = f32(np.concatenate(parts))
    gmm = gmm[rs.permutation(len(gmm))]
    save("cluster_gmm.npy", gmm)
    G64 = gmm.astype(np.float64)
    for cov in ("full", "diag"):
        g = GaussianMixture(3, covariance_type=cov, random_state=0).fit(G64)
        consts.append((f"GMM_{cov.upper()}_SCORE", g.score(G64)))
        consts.append((f"GMM_{cov.upper()}_BIC", g.bic(G64)))
        save(f"cluster_gmm_{cov}_labels.npy", g.predict(G64).astype(np.int32))

    # ---------------------------------------------------------------- GTZAN NMI (peer pipeline)
    if a.features:
        F = np.load(os.path.join(a.features, "mfcc_stats.npy")).astype(np.float64)
        with open(os.path.join(a.features, "index.tsv")) as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        y = np.unique([r["genre"] for r in rows], return_inverse=True)[1]
        assert len(y) == len(F)
        Xs = StandardScaler().fit_transform(F)
        nmis = []
        for seed in range(10):
            Z = PCA(4, random_state=seed).fit_transform(Xs)
            p = KMeans(10, n_init=10, random_state=seed).fit_predict(Z)
            nmis.append(normalized_mutual_info_score(y, p))
        print(f"gtzan-mini: {len(F)} rows, NMI per seed {np.round(nmis, 4)}, mean {np.mean(nmis):.4f}",
              file=sys.stderr)
        consts.append(("GTZAN_ROWS", len(F)))
        consts.append(("GTZAN_NMI_MEAN", float(np.mean(nmis))))
        for s, v in enumerate(nmis):
            consts.append((f"GTZAN_NMI_SEED{s}", float(v)))

    with open(os.path.join(FIX, "cluster_fixture.h"), "w") as f:
        f.write("/* Generated by tools/make_cluster_fixtures.py with scikit-learn %s; do not edit. */\n"
                % sklearn.__version__)
        f.write("#ifndef CLUSTER_FIXTURE_H\n#define CLUSTER_FIXTURE_H\n")
        for name, v in consts:
            if isinstance(v, (int, np.integer)):
                f.write(f"#define CF_{name} {int(v)}\n")
            else:
                f.write(f"#define CF_{name} {float(v)!r}\n")
        f.write("#endif\n")


if __name__ == "__main__":
    main()
