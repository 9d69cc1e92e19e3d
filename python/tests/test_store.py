"""Feature stores: extract, open, read, write from arrays, import a table; the library's messages."""
import csv
import os

import numpy as np
import pytest

import musiclust as mc


def read_index(store):
    with open(os.path.join(store, "index.tsv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_extract_summary(demo):
    s = demo["summary"]
    assert s["tracks"] == 10 and s["segments"] == 20 and s["skipped"] == 0, s


def test_store_reads_what_numpy_reads(demo):
    store = demo["store"]
    with mc.Store(store) as s:
        assert s.n == len(s) == 20
        assert s.vectors_file == "mfcc_stats.npy"
        np.testing.assert_array_equal(s.vectors, np.load(store / "mfcc_stats.npy"))
        np.testing.assert_array_equal(s.logmel(), np.load(store / "logmel.npy"))
        rows = read_index(store)
        assert s.columns[:5] == ["segment", "track", "path", "start_s", "padded"]
        assert "genre" in s.label_columns and "language" in s.label_columns
        codes, classes = s.labels("genre")
        assert classes == sorted({r["genre"] for r in rows})
        assert [classes[c] for c in codes] == [r["genre"] for r in rows]
        np.testing.assert_array_equal(s.tracks(), [int(r["track"]) for r in rows])
        assert s.column("path") == [r["path"] for r in rows]


def test_unknown_label_column_message(demo):
    with mc.Store(demo["store"]) as s:
        with pytest.raises(mc.MusiclustError) as e:
            s.labels("colour")
    assert e.value.status == "invalid_arg"
    assert "no label column 'colour'" in str(e.value) and "genre" in str(e.value)


def test_missing_store_message(tmp_path):
    with pytest.raises(mc.MusiclustError) as e:
        mc.Store(tmp_path / "nowhere")
    assert e.value.status == "io"
    assert str(e.value) == f"{tmp_path / 'nowhere'}: not a feature store folder (run musiclust extract first)"


def test_write_store_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4)).astype(np.float32)
    genre = ["rock", "jazz", ""] * 4
    L = rng.normal(size=(12, 8, 16)).astype(np.float32)
    out = mc.write_store(tmp_path / "S", X, labels={"genre": genre, "tab\there": ["x"] * 12},
                         tracks=np.arange(12) // 2, logmel=L, feature_names=["a", "b", "c", "d"])
    with mc.Store(out) as s:
        np.testing.assert_array_equal(s.vectors, X)
        np.testing.assert_array_equal(s.logmel(), L)
        np.testing.assert_array_equal(s.tracks(), np.arange(12) // 2)
        codes, classes = s.labels("genre")
        assert classes == ["jazz", "rock"]
        np.testing.assert_array_equal(codes, [1, 0, -1] * 4)
        assert s.label_columns == ["genre", "tab\there"]  # quoted in the TSV, read back whole
    # And the stores it writes train like extracted ones.
    m = mc.Model.train(out, "vae", latent=2, epochs=2, seed=0)
    assert m.embed(out).shape == (12, 2)


def test_store_with_disagreeing_rows_is_refused(tmp_path):
    mc.write_store(tmp_path / "S", np.zeros((3, 2)))
    np.save(tmp_path / "S" / "features.npy", np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(mc.MusiclustError) as e:
        mc.Store(tmp_path / "S")
    assert e.value.status == "format"
    assert "features.npy: 4 rows but index.tsv has 3" in str(e.value)


def test_import_features(tmp_path):
    table = tmp_path / "features.csv"
    table.write_text("filename,f1,f2,label\na.wav,1,2,rock\nb.wav,3,4,jazz\nc.wav,5,x,jazz\n")
    summary = mc.import_features(table, tmp_path / "F", label_column="label")
    assert summary["segments"] == 2 and summary["skipped"] == 1
    with mc.Store(tmp_path / "F") as s:
        assert s.vectors_file == "features.npy"
        np.testing.assert_array_equal(s.vectors, [[1, 2], [3, 4]])
        assert s.labels("label")[1] == ["jazz", "rock"]
