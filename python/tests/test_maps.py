"""t-SNE, UMAP and k nearest neighbours: shapes, seeds, thread counts, quality against scikit-learn."""
import numpy as np
from sklearn.neighbors import NearestNeighbors

import musiclust as mc


def test_tsne_is_seeded_thread_independent_and_keeps_neighbours(blobs):
    X, y = blobs
    X, y = X[::2], y[::2]  # 200 points
    Y1, info = mc.tsne(X, seed=0, threads=1, return_info=True)
    Y2 = mc.tsne(X, seed=0, threads=2)
    assert Y1.shape == (200, 2) and Y1.dtype == np.float32
    np.testing.assert_array_equal(Y1, Y2)
    assert info["n_neighbors"] == 91 and 250 <= info["n_iter"] <= 1000 and info["kl_divergence"] > 0
    # (Comparing with sklearn's TSNE run by run is a comparison of two random maps; the C tests
    # compare KL and trustworthiness over seeds. Here: the map keeps neighbourhoods and blobs.)
    assert mc.trustworthiness(X, Y1, 10) > 0.9
    assert mc.adjusted_rand_score(y, mc.kmeans(Y1, 4, seed=0).labels) > 0.95
    # init="pca" is deterministic (the seed does not enter, as in sklearn); init="random" draws from it.
    np.testing.assert_array_equal(Y1, mc.tsne(X, seed=1))
    assert not np.array_equal(mc.tsne(X, init="random", seed=0, n_iter=300),
                              mc.tsne(X, init="random", seed=1, n_iter=300))


def test_umap_is_seeded_and_thread_independent(blobs):
    X, y = blobs
    Y1, info = mc.umap(X, seed=1, threads=1, return_info=True)
    Y2 = mc.umap(X, seed=1, threads=2)
    np.testing.assert_array_equal(Y1, Y2)
    assert Y1.shape == (400, 2) and info["n_neighbors"] == 15
    assert mc.trustworthiness(X, Y1, 10) > 0.9
    # The blobs stay apart in the map: k-means on it finds them.
    assert mc.adjusted_rand_score(y, mc.kmeans(Y1, 4, seed=0).labels) > 0.95
    assert mc.umap(X, n_components=3, seed=1, n_epochs=50).shape == (400, 3)


def test_knn_equals_sklearn():
    X = np.random.default_rng(4).normal(size=(200, 6)).astype(np.float32)
    idx, dist = mc.knn(X, 7, method="exact")
    sk_dist, sk_idx = NearestNeighbors(n_neighbors=8).fit(X.astype(np.float64)).kneighbors(X.astype(np.float64))
    np.testing.assert_array_equal(idx, sk_idx[:, 1:])
    np.testing.assert_allclose(dist, sk_dist[:, 1:], rtol=1e-5)


def test_map_errors_carry_the_message(blobs):
    X, _ = blobs
    try:
        mc.tsne(X[:10], perplexity=30)
    except mc.MusiclustError as e:
        assert e.status == "invalid_arg" and "perplexity" in str(e)
    else:
        raise AssertionError("t-SNE with perplexity >= n must fail")
