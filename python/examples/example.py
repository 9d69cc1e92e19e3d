"""musiclust from Python: numpy in, numpy out (the README's example; python/tests/test_example.py runs it)."""
import numpy as np

import musiclust as mc

# Three blobs in 8 dimensions, and the blob each row came from.
rng = np.random.default_rng(0)
X = np.concatenate([rng.normal(c, 1.0, size=(100, 8)) for c in (0.0, 4.0, 8.0)]).astype(np.float32)
truth = np.repeat(["a", "b", "c"], 100)

# A VAE trained in C on the rows, its latent means, k-means on them, and the scores.
model = mc.Model.train(X, "vae", latent=2, epochs=40, seed=0)
Z = model.embed(X)                                   # (300, 2) float32
labels = mc.kmeans(Z, 3, seed=0).labels              # (300,) int32
print(f"vae + k-means: ARI {mc.adjusted_rand_score(truth, labels):.3f}, "
      f"NMI {mc.normalized_mutual_info_score(truth, labels):.3f}, "
      f"silhouette {mc.silhouette_score(Z, labels):.3f}")

# PCA and a 2-D map of the raw rows.
print("PCA explained variance ratio", np.round(mc.PCA(2).fit(X).explained_variance_ratio_, 3))
Y = mc.umap(X, seed=0)                               # (300, 2) float32
print(f"UMAP trustworthiness {mc.trustworthiness(X, Y, 5):.3f}")

# Errors carry the library's message.
try:
    mc.kmeans(X, 1000)
except mc.MusiclustError as e:
    print(f"error ({e.status}): {e}")
