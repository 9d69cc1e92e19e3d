"""Cluster quality (include/musiclust/metrics.h), scikit-learn 1.2's definitions computed in C.

Internal metrics take X (n, d) and labels (n,) ints; label -1 marks noise (DBSCAN) and those rows are
left out, as `silhouette_score(X[l != -1], l[l != -1])`. A score that is undefined (fewer than 2
clusters, or as many clusters as rows) is NaN, where scikit-learn raises.

Label metrics take two labelings of any values (ints or strings) and treat every distinct value,
-1 included, as one group -- exactly what scikit-learn computes."""
import ctypes

import numpy as np

from ._lib import (F32P, F64P, I32P, I64P, check, copy_array, f32_matrix, lib, mc_contingency,
                   mc_internal_scores, mc_metrics_opts)


def _labels(labels, n):
    a = np.ascontiguousarray(labels, dtype=np.int32)
    if a.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {a.shape}")
    return a


def _opts(threads):
    o = mc_metrics_opts()
    lib.mc_metrics_opts_default(ctypes.byref(o))
    o.threads = int(threads)
    return o


def _info(s):
    return {"silhouette": s.silhouette, "calinski_harabasz": s.calinski_harabasz,
            "davies_bouldin": s.davies_bouldin, "n": s.n, "n_used": s.n_used, "n_noise": s.n_noise,
            "n_clusters": s.n_clusters, "note": s.note.decode("utf-8", "replace")}


def internal_scores(X, labels, *, threads=0):
    """Silhouette, Calinski-Harabasz and Davies-Bouldin together (mc_metrics_internal), with the
    counts (n, n_used, n_noise, n_clusters) and the note saying why a score is NaN."""
    X = f32_matrix(X)
    lab = _labels(labels, X.shape[0])
    o = _opts(threads)
    s = mc_internal_scores()
    check(lib.mc_metrics_internal(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], lab.ctypes.data_as(I32P),
                                  ctypes.byref(o), ctypes.byref(s)))
    return _info(s)


def silhouette_samples(X, labels, *, threads=0):
    """sklearn.metrics.silhouette_samples (euclidean): (n,) float64; NaN for noise rows."""
    X = f32_matrix(X)
    lab = _labels(labels, X.shape[0])
    o = _opts(threads)
    mean = ctypes.c_double(0)
    out = np.empty(X.shape[0], dtype=np.float64)
    check(lib.mc_metrics_silhouette(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], lab.ctypes.data_as(I32P),
                                    ctypes.byref(o), ctypes.byref(mean), out.ctypes.data_as(F64P), None))
    return out


def silhouette_score(X, labels, *, threads=0):
    """sklearn.metrics.silhouette_score (euclidean, all rows)."""
    X = f32_matrix(X)
    lab = _labels(labels, X.shape[0])
    o = _opts(threads)
    mean = ctypes.c_double(0)
    check(lib.mc_metrics_silhouette(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], lab.ctypes.data_as(I32P),
                                    ctypes.byref(o), ctypes.byref(mean), None, None))
    return mean.value


def calinski_harabasz_score(X, labels):
    """sklearn.metrics.calinski_harabasz_score."""
    X = f32_matrix(X)
    lab = _labels(labels, X.shape[0])
    out = ctypes.c_double(0)
    check(lib.mc_metrics_calinski_harabasz(X.ctypes.data_as(F32P), X.shape[0], X.shape[1],
                                           lab.ctypes.data_as(I32P), ctypes.byref(out), None))
    return out.value


def davies_bouldin_score(X, labels):
    """sklearn.metrics.davies_bouldin_score."""
    X = f32_matrix(X)
    lab = _labels(labels, X.shape[0])
    out = ctypes.c_double(0)
    check(lib.mc_metrics_davies_bouldin(X.ctypes.data_as(F32P), X.shape[0], X.shape[1],
                                        lab.ctypes.data_as(I32P), ctypes.byref(out), None))
    return out.value


class Contingency:
    """Clusters x classes counts (mc_metrics_contingency) of two labelings: counts
    (n_clusters, n_classes) int64, clusters and classes (the distinct values, sorted, as
    numpy.unique gives them). Note the orientation: the transpose of
    sklearn.metrics.cluster.contingency_matrix(labels_true, labels_pred)."""

    def __init__(self, labels_true, labels_pred):
        t = np.asarray(labels_true)
        p = np.asarray(labels_pred)
        if t.ndim != 1 or p.shape != t.shape:
            raise ValueError(f"labels_true and labels_pred must be 1-D of one length, got {t.shape} and {p.shape}")
        self.classes, t_codes = np.unique(t, return_inverse=True)
        self.clusters, p_codes = np.unique(p, return_inverse=True)
        tc = np.ascontiguousarray(t_codes, dtype=np.int32)
        pc = np.ascontiguousarray(p_codes, dtype=np.int32)
        self._c = mc_contingency()
        check(lib.mc_metrics_contingency(pc.ctypes.data_as(I32P), tc.ctypes.data_as(I32P), len(tc),
                                         len(self.classes), None, ctypes.byref(self._c)))
        c = self._c
        # Only clusters/classes that occur are kept; both come from np.unique, so all occur.
        self.counts = copy_array(c.counts, (c.n_clusters, c.n_classes), np.int64)
        self.ari = lib.mc_metrics_ari(ctypes.byref(c))
        self.nmi = lib.mc_metrics_nmi(ctypes.byref(c))
        self.purity = lib.mc_metrics_purity(ctypes.byref(c))
        lib.mc_metrics_contingency_free(ctypes.byref(c))
        self._c = None


def contingency(labels_true, labels_pred):
    """The Contingency of two labelings (counts, clusters, classes, ari, nmi, purity)."""
    return Contingency(labels_true, labels_pred)


def adjusted_rand_score(labels_true, labels_pred):
    """sklearn.metrics.adjusted_rand_score (exact pair counts)."""
    return Contingency(labels_true, labels_pred).ari


def normalized_mutual_info_score(labels_true, labels_pred):
    """sklearn.metrics.normalized_mutual_info_score(average_method="arithmetic")."""
    return Contingency(labels_true, labels_pred).nmi


def purity_score(labels_true, labels_pred):
    """Purity (1/n) sum_k max_j |c_k & t_j| over clusters k and classes j."""
    return Contingency(labels_true, labels_pred).purity


def trustworthiness(X, Y, n_neighbors=5, *, threads=0):
    """sklearn.manifold.trustworthiness(X, Y, n_neighbors) (euclidean, exact)."""
    X = f32_matrix(X)
    Y = f32_matrix(Y, "Y")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows and Y {Y.shape[0]}")
    out = ctypes.c_double(0)
    check(lib.mc_embed_trustworthiness(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], Y.ctypes.data_as(F32P),
                                       Y.shape[1], int(n_neighbors), int(threads), ctypes.byref(out)))
    return out.value


def track_vote(labels, tracks, n_tracks=None):
    """Each track's majority cluster (ties: the smallest id; noise votes like any id) from segment
    labels (n,) and the track of each row (n,) in 0..n_tracks-1 (mc_metrics_track_vote)."""
    lab = np.ascontiguousarray(labels, dtype=np.int32)
    tr = np.ascontiguousarray(tracks, dtype=np.int64)
    n_tracks = int(tr.max()) + 1 if n_tracks is None else int(n_tracks)
    out = np.empty(n_tracks, dtype=np.int32)
    check(lib.mc_metrics_track_vote(lab.ctypes.data_as(I32P), tr.ctypes.data_as(I64P), len(lab), n_tracks,
                                    out.ctypes.data_as(I32P)))
    return out


def track_means(X, tracks, n_tracks=None):
    """Mean of each track's rows of X: (n_tracks, d) float32 (mc_metrics_track_means)."""
    X = f32_matrix(X)
    tr = np.ascontiguousarray(tracks, dtype=np.int64)
    n_tracks = int(tr.max()) + 1 if n_tracks is None else int(n_tracks)
    out = np.empty((n_tracks, X.shape[1]), dtype=np.float32)
    check(lib.mc_metrics_track_means(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], tr.ctypes.data_as(I64P),
                                     n_tracks, out.ctypes.data_as(F32P)))
    return out
