"""musiclust for Python: numpy arrays in and out of libmusiclust (ctypes; numpy is the only dependency).

The library is found through MUSICLUST_LIB (a path to libmusiclust.so.0), else a build/ folder of the
source tree this package sits in, else the system's loader (LD_LIBRARY_PATH, ldconfig).
Every failure raises MusiclustError carrying the library's one-line message.

    import musiclust as mc
    labels = mc.kmeans(X, 4, seed=0).labels
    mc.adjusted_rand_score(truth, labels), mc.silhouette_score(X, labels)
    Y = mc.umap(X, seed=0)
"""
from ._lib import MusiclustError, library_path, version
from .cluster import (PCA, Clustering, StandardScaler, agglomerative, choose_k, cluster, dbscan,
                      dendrogram_cut, gmm, kmeans, pca)
from .features import AUDIO_FORMATS, features, features_from_file, load_audio, resample, write_audio
from .maps import knn, tsne, umap
from .metrics import (Contingency, adjusted_rand_score, calinski_harabasz_score, contingency,
                      davies_bouldin_score, internal_scores, normalized_mutual_info_score, purity_score,
                      silhouette_samples, silhouette_score, track_means, track_vote, trustworthiness)
from .models import Model, load, train
from .store import Store, demo_corpus, extract, import_features, write_store

__version__ = "0.1.0"

__all__ = [
    "MusiclustError", "library_path", "version",
    "Store", "extract", "import_features", "write_store", "demo_corpus",
    "load_audio", "resample", "write_audio", "features", "features_from_file", "AUDIO_FORMATS",
    "Model", "train", "load",
    "cluster", "kmeans", "agglomerative", "dbscan", "gmm", "choose_k", "dendrogram_cut", "Clustering",
    "PCA", "pca", "StandardScaler",
    "silhouette_score", "silhouette_samples", "calinski_harabasz_score", "davies_bouldin_score",
    "internal_scores", "adjusted_rand_score", "normalized_mutual_info_score", "purity_score",
    "contingency", "Contingency", "trustworthiness", "track_vote", "track_means",
    "tsne", "umap", "knn",
]
