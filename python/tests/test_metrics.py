"""Every metric against scikit-learn 1.2 (purity from its contingency matrix)."""
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.manifold import trustworthiness as sk_trust
from sklearn.metrics.cluster import contingency_matrix

import musiclust as mc
from conftest import rel_diff


@pytest.fixture(scope="module")
def scored(blobs):
    X, y = blobs
    rng = np.random.default_rng(3)
    pred = y.copy()
    flip = rng.choice(len(y), 60, replace=False)
    pred[flip] = rng.integers(0, 5, size=60)  # a noisy 5-cluster labelling
    return X, y, pred


def test_internal_metrics_equal_sklearn(scored):
    X, _, pred = scored
    X64 = X.astype(np.float64)
    checks = [
        ("silhouette", mc.silhouette_score(X, pred), skm.silhouette_score(X64, pred)),
        ("calinski_harabasz", mc.calinski_harabasz_score(X, pred), skm.calinski_harabasz_score(X64, pred)),
        ("davies_bouldin", mc.davies_bouldin_score(X, pred), skm.davies_bouldin_score(X64, pred)),
    ]
    for name, ours, sk in checks:
        assert rel_diff(ours, sk) < 1e-9, f"{name}: {ours!r} vs sklearn {sk!r}, rel diff {rel_diff(ours, sk):.2e}"
    samples = mc.silhouette_samples(X, pred)
    d = rel_diff(samples, skm.silhouette_samples(X64, pred))
    assert d < 1e-9, f"silhouette_samples: max rel diff {d:.2e}"
    s = mc.internal_scores(X, pred)
    assert s["silhouette"] == checks[0][1] and s["n_clusters"] == 5 and s["note"] == ""


def test_label_metrics_equal_sklearn(scored):
    _, y, pred = scored
    truth = np.array(["rock", "jazz", "folk", "pop"])[y]  # strings work as labels too
    assert mc.adjusted_rand_score(truth, pred) == pytest.approx(skm.adjusted_rand_score(truth, pred), abs=1e-14)
    assert mc.normalized_mutual_info_score(truth, pred) == pytest.approx(
        skm.normalized_mutual_info_score(truth, pred, average_method="arithmetic"), abs=1e-14)
    cm = contingency_matrix(truth, pred)  # (classes, clusters)
    assert mc.purity_score(truth, pred) == pytest.approx(cm.max(axis=0).sum() / cm.sum(), abs=1e-15)
    c = mc.contingency(truth, pred)
    np.testing.assert_array_equal(c.counts, cm.T)
    assert list(c.classes) == sorted(set(truth)) and list(c.clusters) == list(range(5))


def test_noise_convention(scored):
    X, y, pred = scored
    noisy = pred.copy()
    noisy[:10] = -1
    # Label metrics: -1 is one more group, as scikit-learn computes them.
    assert mc.adjusted_rand_score(y, noisy) == pytest.approx(skm.adjusted_rand_score(y, noisy), abs=1e-14)
    # Internal metrics leave the noise rows out.
    keep = noisy != -1
    assert rel_diff(mc.silhouette_score(X, noisy), skm.silhouette_score(X[keep].astype(np.float64), noisy[keep])) < 1e-9
    s = mc.internal_scores(X, noisy)
    assert s["n_noise"] == 10 and s["n_used"] == len(y) - 10


def test_undefined_scores_are_nan_with_a_note(blobs):
    X, _ = blobs
    s = mc.internal_scores(X, np.zeros(len(X), dtype=np.int32))
    assert np.isnan(s["silhouette"]) and np.isnan(s["calinski_harabasz"]) and s["note"]


def test_trustworthiness_equals_sklearn(blobs):
    X, _ = blobs
    Y = mc.PCA(2).fit_transform(X)
    ours = mc.trustworthiness(X, Y, 5)
    sk = sk_trust(X.astype(np.float64), Y.astype(np.float64), n_neighbors=5)
    assert abs(ours - sk) < 1e-12, (ours, sk)


def test_track_vote_and_means():
    labels = np.array([0, 0, 1, 2, 2, -1], dtype=np.int32)
    tracks = np.array([0, 0, 0, 1, 1, 2])
    np.testing.assert_array_equal(mc.track_vote(labels, tracks), [0, 2, -1])
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_allclose(mc.track_means(X, tracks), [[2, 3], [7, 8], [10, 11]])


def test_metric_errors_carry_the_message(blobs):
    X, y = blobs
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(mc.MusiclustError) as e:
        mc.silhouette_score(bad, y)
    assert "row 3" in str(e.value)
