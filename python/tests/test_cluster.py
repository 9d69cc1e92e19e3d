"""Clustering and PCA against scikit-learn 1.2 (the definitions the library follows)."""
import numpy as np
import pytest
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA as SkPCA
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler as SkScaler

import musiclust as mc
from conftest import rel_diff


def test_kmeans_inertia_equals_sklearn(blobs):
    X, y = blobs
    ours = mc.kmeans(X, 4, seed=0)
    sk = KMeans(4, n_init=10, random_state=0, algorithm="lloyd").fit(X.astype(np.float64))
    assert adjusted_rand_score(sk.labels_, ours.labels) == 1.0
    d = rel_diff(ours.inertia, sk.inertia_)
    assert d < 1e-5, f"inertia {ours.inertia} vs sklearn {sk.inertia_}: rel diff {d:.2e}"
    # The inertia is the sum of squared distances to the returned centres.
    own = float(((X.astype(np.float64) - ours.centers[ours.labels]) ** 2).sum())
    assert rel_diff(ours.inertia, own) < 1e-5


def test_kmeans_from_given_centres_equals_sklearn(blobs):
    X, _ = blobs
    init = X[[0, 1, 2, 3]].copy()  # all from blob 0: a run that has to move
    ours = mc.kmeans(X, 4, init=init)
    sk = KMeans(4, init=init.astype(np.float64), n_init=1, algorithm="lloyd").fit(X.astype(np.float64))
    np.testing.assert_array_equal(ours.labels, sk.labels_)
    assert rel_diff(ours.inertia, sk.inertia_) < 1e-5
    np.testing.assert_allclose(ours.centers, sk.cluster_centers_, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("linkage", ["ward", "average", "complete", "single"])
def test_agglomerative_equals_sklearn(linkage):
    X = np.random.default_rng(2).normal(size=(120, 3)).astype(np.float32)
    ours = mc.agglomerative(X, 5, linkage=linkage)
    sk = AgglomerativeClustering(5, linkage=linkage).fit(X.astype(np.float64))
    np.testing.assert_array_equal(ours.labels, sk.labels_)
    assert ours.children.shape == (119, 2) and ours.distances.shape == (119,)
    np.testing.assert_array_equal(mc.dendrogram_cut(ours, 5), ours.labels)
    np.testing.assert_array_equal(mc.dendrogram_cut(ours, 3),
                                  AgglomerativeClustering(3, linkage=linkage).fit(X.astype(np.float64)).labels_)


def test_dbscan_equals_sklearn(blobs):
    X, _ = blobs
    ours = mc.dbscan(X, 1.2, min_samples=5)
    sk = DBSCAN(eps=1.2, min_samples=5).fit(X.astype(np.float64))
    np.testing.assert_array_equal(ours.labels, sk.labels_)
    assert ours.n_noise == int((sk.labels_ == -1).sum())
    auto = mc.dbscan(X)
    assert auto.eps_auto and auto.eps > 0 and auto.k >= 2


@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_gmm_agrees_with_sklearn(blobs, covariance):
    X, y = blobs
    ours = mc.gmm(X, 4, covariance=covariance, seed=0)
    sk = GaussianMixture(4, covariance_type=covariance, random_state=0).fit(X.astype(np.float64))
    assert adjusted_rand_score(sk.predict(X.astype(np.float64)), ours.labels) == 1.0
    # Same partition -> the same fitted model, to EM's tolerance.
    assert abs(ours.log_likelihood - sk.score(X.astype(np.float64))) < 1e-3
    order = [int(np.argmin(((sk.means_ - c) ** 2).sum(1))) for c in ours.centers]
    np.testing.assert_allclose(ours.weights, sk.weights_[order], atol=1e-4)
    assert ours.covariances.shape == ((4, 5, 5) if covariance == "full" else (4, 5))


def test_pca_equals_sklearn(blobs):
    X, _ = blobs
    ours = mc.PCA(3).fit(X)
    sk = SkPCA(3, svd_solver="full").fit(X.astype(np.float64))
    for name in ("mean_", "explained_variance_", "explained_variance_ratio_", "singular_values_"):
        d = rel_diff(getattr(ours, name), getattr(sk, name))
        assert d < 1e-5, f"{name}: rel diff {d:.2e}"
    np.testing.assert_allclose(ours.components_, sk.components_, atol=1e-5)  # signs by svd_flip, as sklearn
    np.testing.assert_allclose(ours.transform(X), sk.transform(X.astype(np.float64)), rtol=1e-4, atol=1e-4)
    assert rel_diff(ours.noise_variance_, sk.noise_variance_) < 1e-4
    w = mc.PCA(2, whiten=True).fit_transform(X)
    np.testing.assert_allclose(w, SkPCA(2, whiten=True, svd_solver="full").fit_transform(X.astype(np.float64)),
                               rtol=1e-4, atol=1e-4)


def test_standard_scaler_equals_sklearn(blobs):
    X, _ = blobs
    X = X.copy()
    X[:, 2] = 3.0  # a constant column: scale 1, maps to 0
    ours = mc.StandardScaler().fit(X)
    sk = SkScaler().fit(X.astype(np.float64))
    np.testing.assert_allclose(ours.mean_, sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, sk.var_, rtol=1e-9)
    np.testing.assert_allclose(ours.scale_, sk.scale_, rtol=1e-9)
    np.testing.assert_allclose(ours.transform(X), sk.transform(X.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_choose_k_finds_the_blobs(blobs):
    X, y = blobs
    best, sweep = mc.choose_k(X, "kmeans", 8)
    assert sweep["chosen_k"] == 4 and best.k == 4
    np.testing.assert_array_equal(sweep["k"], np.arange(2, 9))
    assert adjusted_rand_score(y, best.labels) > 0.98  # the blobs touch: a few points are ambiguous


def test_cluster_errors_carry_the_message(blobs):
    X, _ = blobs
    bad = X.copy()
    bad[7, 3] = np.nan
    with pytest.raises(mc.MusiclustError) as e:
        mc.kmeans(bad, 3)
    assert e.value.status == "numeric" and "row 7" in str(e.value) and "column 3" in str(e.value)
    with pytest.raises(mc.MusiclustError) as e:
        mc.cluster(X, "spectral")
    assert e.value.status == "invalid_arg" and "kmeans" in str(e.value)
