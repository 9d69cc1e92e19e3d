"""Training and embedding: from a store and from arrays (the same numbers), save/load, decode."""
import numpy as np
import pytest

import musiclust as mc


def test_vae_on_a_store_equals_the_vae_on_its_arrays(demo, tmp_path):
    store = demo["store"]
    a = mc.Model.train(store, "vae", latent=3, epochs=5, seed=2, threads=1)
    X = np.load(store / "mfcc_stats.npy")
    b = mc.Model.train(X, "vae", latent=3, epochs=5, seed=2, threads=1)
    Za, Zb = a.embed(store), b.embed(X)
    assert Za.shape == (20, 3)
    np.testing.assert_array_equal(Za, Zb)
    assert a.summary["epochs_run"] == 5 and a.epochs_done == 5 and a.kind == "vae" and a.latent_dim == 3
    a.save(tmp_path / "vae.safetensors")
    c = mc.Model.load(tmp_path / "vae.safetensors")
    np.testing.assert_array_equal(c.embed(X), Za)
    mu, recon = c.embed(X, reconstruct=True)
    assert recon.shape == X.shape
    np.testing.assert_allclose(c.decode(mu), recon, rtol=1e-5, atol=1e-5)


def test_cvae_with_labels_from_arrays_equals_the_store_condition(demo):
    store = demo["store"]
    with mc.Store(store) as s:
        codes, classes = s.labels("genre")
        X = s.vectors
    a = mc.Model.train(store, "cvae", condition="genre", latent=2, epochs=3, seed=0, threads=1)
    b = mc.Model.train(X, "cvae", labels=[classes[c] for c in codes], latent=2, epochs=3, seed=0, threads=1)
    assert a.classes == b.classes == classes
    np.testing.assert_array_equal(a.embed(store), b.embed(X, labels=[classes[c] for c in codes]))


def test_conv_vae_on_logmel(demo):
    m = mc.Model.train(demo["store"], "conv-vae", input="logmel", latent=4, epochs=1, batch=8,
                       channels=[4, 8], seed=0)
    Z = m.embed(demo["store"])
    assert Z.shape == (20, 4) and np.all(np.isfinite(Z))
    assert m.input_shape[0] == 128
    assert m.decode(Z[:2]).shape == (2,) + m.input_shape


def test_model_errors_carry_the_message(demo):
    with pytest.raises(mc.MusiclustError) as e:
        mc.Model.train(demo["store"], "transformer")
    assert e.value.status == "invalid_arg" and "vae" in str(e.value)
    with pytest.raises(mc.MusiclustError) as e:
        mc.Model.load(demo["store"] / "index.tsv")
    assert "index.tsv" in str(e.value)
