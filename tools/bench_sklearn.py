#!/usr/bin/env python3
"""Peer timings for bench/run.sh: scikit-learn on the same arrays as musiclust's benches.

  bench_sklearn.py kmeans X.npy [--repeat R]             KMeans(10, n_init=10, random_state=0).fit(X)
  bench_sklearn.py silhouette X.npy LABELS.npy [--repeat R]   silhouette_score(float64(X), labels)
  bench_sklearn.py tsne X.npy [--repeat R]               TSNE(perplexity=30, n_iter=1000, init='pca',
                                                          learning_rate='auto', random_state=0) + trustworthiness(k=10)

Prints one line per run and a summary line
  RESULT <job> best=<s> median=<s> cpu=<s> [trust=<t>] sklearn=<version> blas=<OpenBLAS kernel> threads=<n>
Times are wall seconds of the fit alone (data loading excluded); cpu is the process CPU time of the best run.
The OpenBLAS kernel is what threadpoolctl reports (Debian's OpenBLAS 0.3.21 picks 'Prescott' on CPUs it
does not know unless OPENBLAS_CORETYPE is set by the caller)."""
import argparse, os, sys, time, warnings

import numpy as np

warnings.simplefilter("ignore")
ap = argparse.ArgumentParser()
ap.add_argument("job", choices=["kmeans", "silhouette", "tsne"])
ap.add_argument("X")
ap.add_argument("labels", nargs="?")
ap.add_argument("--repeat", type=int, default=1)
a = ap.parse_args()

import sklearn
try:
    from threadpoolctl import threadpool_info
    info = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
    blas = info[0].get("architecture", "?") if info else "not-openblas"
    threads = info[0].get("num_threads", 0) if info else 0
except Exception:  # threadpoolctl missing: say so rather than guess
    blas, threads = "unknown", 0

X = np.load(a.X)
times, cpus, trust = [], [], None
for r in range(max(1, a.repeat)):
    t0, c0 = time.perf_counter(), time.process_time()
    if a.job == "kmeans":
        from sklearn.cluster import KMeans
        m = KMeans(10, n_init=10, random_state=0).fit(X)
        note = f"inertia {m.inertia_:.6g}, {m.n_iter_} iterations"
    elif a.job == "silhouette":
        from sklearn.metrics import silhouette_score
        s = silhouette_score(X.astype(np.float64), np.load(a.labels))
        note = f"score {s:.6f}"
    else:
        from sklearn.manifold import TSNE
        Y = TSNE(n_components=2, perplexity=30.0, n_iter=1000, init="pca", learning_rate="auto",
                 random_state=0).fit_transform(X)
        note = ""
    times.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
    if a.job == "tsne":
        from sklearn.manifold import trustworthiness
        trust = trustworthiness(X, Y, n_neighbors=10)
        note = f"trustworthiness(k=10) {trust:.4f}"
    print(f"  scikit-learn {sklearn.__version__} {a.job} run {r + 1}: {times[-1]:.3f} s (CPU {cpus[-1]:.3f} s) {note}",
          flush=True)
best = min(times)
line = (f"RESULT {a.job} best={best:.4f} median={float(np.median(times)):.4f} cpu={cpus[times.index(best)]:.4f}")
if trust is not None:
    line += f" trust={trust:.4f}"
print(line + f" sklearn={sklearn.__version__} blas={blas} threads={threads}")
