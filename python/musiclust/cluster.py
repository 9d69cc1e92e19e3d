"""Clustering and PCA (include/musiclust/cluster.h): each follows scikit-learn 1.2's estimator of the
same name. X is any (n, d) array (converted to float32); results are numpy arrays."""
import ctypes
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ._lib import (F32P, F64P, I32P, I64P, check, copy_array, f32_matrix, lib, mc_cluster_config,
                   mc_clustering, mc_dendrogram, mc_ksweep, mc_pca, mc_scaler, parse_enum)


@dataclass
class Clustering:
    """What mc_cluster_fit returns. labels (n,) int32 in 0..k-1 (DBSCAN noise -1); centers (k, d)
    for k-means / GMM means; children (n-1, 2), distances (n-1,) the agglomerative tree
    (sklearn's children_ / scipy's linkage heights)."""
    algo: str
    labels: np.ndarray
    k: int
    n_noise: int = 0
    centers: Optional[np.ndarray] = None
    n_iter: int = 0
    converged: bool = False
    inertia: float = float("nan")
    eps: float = float("nan")
    eps_auto: bool = False
    log_likelihood: float = float("nan")
    bic: float = float("nan")
    weights: Optional[np.ndarray] = None
    covariances: Optional[np.ndarray] = None
    children: Optional[np.ndarray] = None
    distances: Optional[np.ndarray] = None
    extra: dict = field(default_factory=dict)


def _result(c, algo, covariance):
    n, d, k = c.n, c.d, c.k
    r = Clustering(algo=algo, labels=copy_array(c.labels, (n,), np.int32), k=k, n_noise=c.n_noise,
                   centers=copy_array(c.centers, (k, d), np.float32), n_iter=c.n_iter,
                   converged=bool(c.converged))
    if algo == "kmeans":
        r.inertia = c.inertia
    if algo == "dbscan":
        r.eps, r.eps_auto = c.eps, bool(c.eps_auto)
        r.extra["eps_knee"] = c.eps_knee
    if algo == "gmm":
        r.log_likelihood, r.bic = c.log_likelihood, c.bic
        r.weights = copy_array(c.weights, (k,), np.float64)
        r.covariances = copy_array(c.covariances, (k, d, d) if covariance == "full" else (k, d), np.float64)
    if algo == "agglomerative" and c.tree.children:
        t = c.tree
        r.children = copy_array(t.children, (t.n - 1, 2), np.int64)
        r.distances = copy_array(t.distances, (t.n - 1,), np.float64)
        r.extra["sizes"] = copy_array(t.sizes, (t.n - 1,), np.int64)
        r.extra["linkage"] = t.linkage
    return r


def _config(algo, k=None, n_init=None, max_iter=None, tol=None, seed=0, threads=0, linkage=None, eps=None,
            min_samples=None, covariance=None, reg_covar=None):
    cfg = mc_cluster_config()
    lib.mc_cluster_config_default(ctypes.byref(cfg))
    cfg.algo = parse_enum(lib.mc_cluster_algo_parse, algo, "algo")
    for name, value in [("k", k), ("n_init", n_init), ("max_iter", max_iter), ("tol", tol), ("eps", eps),
                        ("min_samples", min_samples), ("reg_covar", reg_covar)]:
        if value is not None:
            setattr(cfg, name, value)
    cfg.seed = int(seed)
    cfg.threads = int(threads)
    if linkage is not None:
        cfg.linkage = parse_enum(lib.mc_linkage_parse, linkage, "linkage")
    if covariance is not None:
        cfg.covariance = parse_enum(lib.mc_covariance_parse, covariance, "covariance")
    return cfg


def cluster(X, algo="kmeans", **options):
    """Cluster the rows of X with algo = kmeans | agglomerative | dbscan | gmm (mc_cluster_fit).
    options: k, n_init, max_iter, tol, seed, threads, linkage, eps, min_samples, covariance,
    reg_covar (None = the library's default, as `musiclust cluster`)."""
    X = f32_matrix(X)
    cfg = _config(algo, **options)
    c = mc_clustering()
    check(lib.mc_cluster_fit(ctypes.byref(cfg), X.ctypes.data_as(F32P), X.shape[0], X.shape[1], ctypes.byref(c)))
    try:
        return _result(c, algo, options.get("covariance") or "full")
    finally:
        lib.mc_clustering_free(ctypes.byref(c))


def kmeans(X, k, *, n_init=None, max_iter=None, tol=None, seed=0, threads=0, init=None):
    """sklearn.cluster.KMeans(n_clusters=k, algorithm="lloyd"): k-means++ seeding, n_init restarts
    (default 10). init (k, d): one Lloyd run from these centres (mc_cluster_kmeans_from)."""
    if init is None:
        return cluster(X, "kmeans", k=k, n_init=n_init, max_iter=max_iter, tol=tol, seed=seed, threads=threads)
    X = f32_matrix(X)
    C = f32_matrix(init, "init")
    cfg = _config("kmeans", k=k, n_init=n_init, max_iter=max_iter, tol=tol, seed=seed, threads=threads)
    c = mc_clustering()
    check(lib.mc_cluster_kmeans_from(ctypes.byref(cfg), X.ctypes.data_as(F32P), X.shape[0], X.shape[1],
                                     C.ctypes.data_as(F32P), ctypes.byref(c)))
    try:
        return _result(c, "kmeans", "full")
    finally:
        lib.mc_clustering_free(ctypes.byref(c))


def agglomerative(X, k, *, linkage="ward", threads=0):
    """sklearn.cluster.AgglomerativeClustering(n_clusters=k, linkage=...) (ward, average, complete,
    single); the full tree comes back in children / distances."""
    return cluster(X, "agglomerative", k=k, linkage=linkage, threads=threads)


def dbscan(X, eps=None, *, min_samples=None, threads=0):
    """sklearn.cluster.DBSCAN(eps, min_samples) (default 5); eps None: chosen from the k-distance
    curve (result.eps, result.eps_auto). Noise is labelled -1."""
    return cluster(X, "dbscan", eps=eps, min_samples=min_samples, threads=threads)


def gmm(X, k, *, covariance="full", n_init=None, max_iter=None, tol=None, reg_covar=None, seed=0, threads=0):
    """sklearn.mixture.GaussianMixture(n_components=k, covariance_type=full|diag, init_params="kmeans")."""
    return cluster(X, "gmm", k=k, covariance=covariance, n_init=n_init, max_iter=max_iter, tol=tol,
                   reg_covar=reg_covar, seed=seed, threads=threads)


def choose_k(X, algo="kmeans", k_max=10, *, sample_rows=0, seed=0, threads=0, **options):
    """`musiclust cluster` without --k (mc_pipeline_choose_k): k = 2..k_max, the k with the highest
    silhouette kept. Returns (best Clustering, sweep dict of arrays k, silhouette, inertia, bic)."""
    X = f32_matrix(X)
    cfg = _config(algo, seed=seed, threads=threads, **options)
    s = mc_ksweep()
    check(lib.mc_pipeline_choose_k(ctypes.byref(cfg), X.ctypes.data_as(F32P), X.shape[0], X.shape[1], int(k_max),
                                   int(sample_rows), None, ctypes.byref(s)))
    try:
        pts = [s.points[i] for i in range(s.n_points)]
        sweep = {f: np.array([getattr(p, f) for p in pts]) for f in ("k", "silhouette", "inertia", "bic",
                                                                      "log_likelihood")}
        sweep["chosen_k"] = s.chosen_k
        return _result(s.best, algo, options.get("covariance") or "full"), sweep
    finally:
        lib.mc_pipeline_ksweep_free(ctypes.byref(s))


class PCA:
    """sklearn.decomposition.PCA(n_components, whiten, svd_solver="full") (mc_cluster_pca_fit):
    fit(X) sets components_ (n_components, d), explained_variance_, explained_variance_ratio_,
    singular_values_, mean_, noise_variance_; transform(X) -> (n, n_components) float32."""

    def __init__(self, n_components, whiten=False):
        self.n_components = int(n_components)
        self.whiten = bool(whiten)
        self._p = None

    def fit(self, X):
        X = f32_matrix(X)
        p = mc_pca()
        check(lib.mc_cluster_pca_fit(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], self.n_components,
                                     self.whiten, ctypes.byref(p)))
        self._free()
        self._p = p
        k, d = p.n_components, p.d
        self.mean_ = copy_array(p.mean, (d,), np.float64)
        self.components_ = copy_array(p.components, (k, d), np.float64)
        self.explained_variance_ = copy_array(p.explained_variance, (k,), np.float64)
        self.explained_variance_ratio_ = copy_array(p.explained_variance_ratio, (k,), np.float64)
        self.singular_values_ = copy_array(p.singular_values, (k,), np.float64)
        self.noise_variance_ = p.noise_variance
        self.n_samples_ = p.n_samples
        return self

    def transform(self, X):
        if self._p is None:
            raise ValueError("PCA: call fit first")
        X = f32_matrix(X)
        Z = np.empty((X.shape[0], self._p.n_components), dtype=np.float32)
        check(lib.mc_cluster_pca_transform(ctypes.byref(self._p), X.ctypes.data_as(F32P), X.shape[0], X.shape[1],
                                           Z.ctypes.data_as(F32P)))
        return Z

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def _free(self):
        if self._p is not None:
            lib.mc_cluster_pca_free(ctypes.byref(self._p))
            self._p = None

    def __del__(self):
        try:
            self._free()
        except Exception:
            pass


def pca(X, n_components, whiten=False):
    """PCA(n_components, whiten).fit_transform(X)."""
    return PCA(n_components, whiten).fit_transform(X)


class StandardScaler:
    """sklearn.preprocessing.StandardScaler (mc_cluster_scaler_fit): mean_, var_ (ddof 0), scale_
    (1 for a constant column); transform(X) -> float32."""

    def fit(self, X):
        X = f32_matrix(X)
        s = mc_scaler()
        check(lib.mc_cluster_scaler_fit(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], ctypes.byref(s)))
        try:
            d = s.d
            self.mean_ = copy_array(s.mean, (d,), np.float64)
            self.var_ = copy_array(s.var, (d,), np.float64)
            self.scale_ = copy_array(s.scale, (d,), np.float64)
            self.n_samples_seen_ = s.n_samples
        finally:
            lib.mc_cluster_scaler_free(ctypes.byref(s))
        return self

    def transform(self, X):
        X = f32_matrix(X)
        s = mc_scaler()
        s.d = len(self.mean_)
        s.n_samples = self.n_samples_seen_
        keep = [np.ascontiguousarray(a, dtype=np.float64) for a in (self.mean_, self.var_, self.scale_)]
        s.mean, s.var, s.scale = [a.ctypes.data_as(F64P) for a in keep]
        out = np.empty_like(X)
        check(lib.mc_cluster_scaler_transform(ctypes.byref(s), X.ctypes.data_as(F32P), X.shape[0], X.shape[1],
                                              out.ctypes.data_as(F32P)))
        return out

    def fit_transform(self, X):
        return self.fit(X).transform(X)


def dendrogram_cut(result, k):
    """Labels (n,) int32 of an agglomerative result's full tree cut into k clusters, numbered as
    sklearn's _hc_cut (mc_cluster_dendrogram_cut): one tree, any k, without clustering again."""
    if result.children is None:
        raise ValueError("dendrogram_cut needs the result of agglomerative()")
    n = result.children.shape[0] + 1
    ch = np.ascontiguousarray(result.children, dtype=np.int64)
    dist = np.ascontiguousarray(result.distances, dtype=np.float64)
    sizes = np.ascontiguousarray(result.extra["sizes"], dtype=np.int64)
    t = mc_dendrogram(n=n, linkage=result.extra["linkage"], children=ch.ctypes.data_as(I64P),
                      distances=dist.ctypes.data_as(F64P), sizes=sizes.ctypes.data_as(I64P))
    labels = np.empty(n, dtype=np.int32)
    check(lib.mc_cluster_dendrogram_cut(ctypes.byref(t), int(k), labels.ctypes.data_as(I32P)))
    return labels
