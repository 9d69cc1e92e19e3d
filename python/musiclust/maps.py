"""2-D maps of a space (include/musiclust/embed.h): t-SNE (sklearn.manifold.TSNE 1.2, Barnes-Hut) and
UMAP (umap-learn 0.5), byte-identical for a seed whatever the thread count; and k nearest neighbours."""
import ctypes

import numpy as np

from ._lib import F32P, I32P, check, f32_matrix, lib, mc_tsne_info, mc_tsne_opts, mc_umap_info, mc_umap_opts

_KNN = {"auto": 0, "exact": 1, "nndescent": 2}
_TSNE_INIT = {"pca": 0, "random": 1}
_UMAP_INIT = {"spectral": 0, "pca": 1, "random": 2}


def _choice(table, value, what):
    if value not in table:
        raise ValueError(f"{what} must be one of {', '.join(table)}, got {value!r}")
    return table[value]


def tsne(X, *, perplexity=None, early_exaggeration=None, learning_rate=None, n_iter=None, angle=None,
         init="pca", seed=0, threads=0, knn="auto", return_info=False):
    """Barnes-Hut t-SNE of X (n, d) -> Y (n, 2) float32 (mc_embed_tsne). None keeps sklearn's
    defaults (perplexity 30, early_exaggeration 12, learning_rate 'auto', n_iter 1000, angle 0.5).
    return_info: also a dict (n_neighbors, learning_rate, n_iter, kl_divergence)."""
    X = f32_matrix(X)
    o = mc_tsne_opts()
    lib.mc_tsne_opts_default(ctypes.byref(o))
    for name, value in [("perplexity", perplexity), ("early_exaggeration", early_exaggeration),
                        ("learning_rate", learning_rate), ("n_iter", n_iter), ("angle", angle)]:
        if value is not None:
            setattr(o, name, value)
    o.init = _choice(_TSNE_INIT, init, "init")
    o.knn = _choice(_KNN, knn, "knn")
    o.seed = int(seed)
    o.threads = int(threads)
    Y = np.empty((X.shape[0], 2), dtype=np.float32)
    info = mc_tsne_info()
    check(lib.mc_embed_tsne(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], ctypes.byref(o),
                            Y.ctypes.data_as(F32P), ctypes.byref(info)))
    if return_info:
        return Y, {f: getattr(info, f) for f, _ in mc_tsne_info._fields_}
    return Y


def umap(X, *, n_components=None, n_neighbors=None, min_dist=None, spread=None, n_epochs=None,
         learning_rate=None, negative_sample_rate=None, init="spectral", seed=0, threads=0, knn="auto",
         return_info=False):
    """UMAP of X (n, d) -> Y (n, n_components) float32 (mc_embed_umap). None keeps umap-learn's
    defaults (2 components, 15 neighbours, min_dist 0.1, spread 1, 500/200 epochs).
    return_info: also a dict (n_neighbors, a, b, n_epochs, n_edges, n_graph_components, init_residual)."""
    X = f32_matrix(X)
    o = mc_umap_opts()
    lib.mc_umap_opts_default(ctypes.byref(o))
    for name, value in [("n_components", n_components), ("n_neighbors", n_neighbors), ("min_dist", min_dist),
                        ("spread", spread), ("n_epochs", n_epochs), ("learning_rate", learning_rate),
                        ("negative_sample_rate", negative_sample_rate)]:
        if value is not None:
            setattr(o, name, value)
    o.init = _choice(_UMAP_INIT, init, "init")
    o.knn = _choice(_KNN, knn, "knn")
    o.seed = int(seed)
    o.threads = int(threads)
    Y = np.empty((X.shape[0], o.n_components), dtype=np.float32)
    info = mc_umap_info()
    check(lib.mc_embed_umap(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], ctypes.byref(o),
                            Y.ctypes.data_as(F32P), ctypes.byref(info)))
    if return_info:
        return Y, {f: getattr(info, f) for f, _ in mc_umap_info._fields_}
    return Y


def knn(X, k, *, method="auto", seed=0, threads=0):
    """The k nearest neighbours of every row of X, itself excluded (mc_embed_knn): (idx (n, k) int32,
    dist (n, k) float32), ordered by (distance, index)."""
    X = f32_matrix(X)
    idx = np.empty((X.shape[0], int(k)), dtype=np.int32)
    dist = np.empty((X.shape[0], int(k)), dtype=np.float32)
    check(lib.mc_embed_knn(X.ctypes.data_as(F32P), X.shape[0], X.shape[1], int(k), _choice(_KNN, method, "method"),
                           0, int(seed), int(threads), idx.ctypes.data_as(I32P), dist.ctypes.data_as(F32P)))
    return idx, dist
