"""Features from a file or an array: the same numbers as the store `musiclust extract` writes."""
import csv
import os

import numpy as np
import pytest

import musiclust as mc


def first_track(demo):
    with open(os.path.join(demo["store"], "index.tsv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    path = rows[0]["path"]
    idx = [i for i, r in enumerate(rows) if r["path"] == path]
    return path, idx


def test_file_features_equal_the_store_rows(demo):
    path, idx = first_track(demo)
    f = mc.features_from_file(path, 22050, segment=3)
    stats = np.load(demo["store"] / "mfcc_stats.npy")[idx]
    logmel = np.load(demo["store"] / "logmel.npy")[idx]
    assert f["mfcc_stats"].shape == stats.shape and f["logmel"].shape == logmel.shape
    np.testing.assert_array_equal(f["mfcc_stats"], stats)
    np.testing.assert_array_equal(f["logmel"], logmel)
    assert f["padded"] is False


def test_array_features_equal_file_features(demo):
    path, _ = first_track(demo)
    y, info = mc.load_audio(path, 22050)
    assert info["sample_rate"] in (22050, 44100) and y.dtype == np.float32
    a = mc.features(y, 22050, segment=3)
    b = mc.features_from_file(path, 22050, segment=3)
    for k in ("logmel", "mfcc", "mfcc_stats"):
        np.testing.assert_array_equal(a[k], b[k])


def test_whole_signal_features_of_a_tone():
    sr = 22050
    t = np.arange(2 * sr) / sr
    y = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    f = mc.features(y, sr)
    frames = 1 + len(y) // 512
    assert f["logmel"].shape == (128, frames) and f["mfcc"].shape == (20, frames)
    # The loudest mel band is the one centred at 1 kHz: Slaney mel (linear 15 mel at 1 kHz below,
    # log above), 130 points from 0 to mel(sr / 2), band i centred on point i + 1.
    def mel(hz):
        return hz / (200 / 3) if hz < 1000 else 15 + np.log(hz / 1000) / (np.log(6.4) / 27)
    expected = 15 / mel(sr / 2) * 129 - 1
    peak = int(np.argmax(f["logmel"][:, frames // 2]))
    assert abs(peak - expected) <= 1, (peak, expected)
    # mfcc_stats are the per-coefficient mean then population variance over frames.
    m = f["mfcc"].astype(np.float64)
    np.testing.assert_allclose(f["mfcc_stats"][:20], m.mean(axis=1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(f["mfcc_stats"][20:], m.var(axis=1), rtol=1e-5, atol=1e-3)


def test_resample_and_write_audio(tmp_path):
    sr = 44100
    y = (0.25 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype(np.float32)
    z = mc.resample(y, 44100, 22050)
    assert z.shape == (22050,)
    mc.write_audio(tmp_path / "a.wav", y, sr, "wavfloat")
    back, info = mc.load_audio(tmp_path / "a.wav", None)
    assert info == {"sample_rate": 44100, "channels": 1, "frames": 44100, "format": "wav"}
    np.testing.assert_array_equal(back, y)
    np.testing.assert_allclose(mc.load_audio(tmp_path / "a.wav", 22050)[0], z, atol=1e-6)


def test_bad_options_and_files_raise_the_library_message(tmp_path):
    with pytest.raises(mc.MusiclustError) as e:
        mc.features(np.zeros(4096, dtype=np.float32), 22050, n_fft=2047)
    assert e.value.status == "invalid_arg" and "n_fft" in str(e.value)
    (tmp_path / "x.wav").write_bytes(b"not audio at all")
    with pytest.raises(mc.MusiclustError) as e:
        mc.load_audio(tmp_path / "x.wav")
    assert str(tmp_path / "x.wav") in str(e.value)
