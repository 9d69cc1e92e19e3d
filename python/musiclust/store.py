"""Feature stores (the folder `musiclust extract` writes): make one from audio or a feature table,
open one, and write one from numpy arrays.

A store is index.tsv (one row per segment: segment, track, path, start_s, padded, then label
columns), the per-row vectors mfcc_stats.npy (or features.npy) and, for audio, logmel.npy; see
include/musiclust/data.h. Every .npy in it also opens with numpy.load.
"""
import csv
import ctypes
import os

import numpy as np

from ._lib import (F32P, I32P, I64P, c_strings, check, enc, lib, mc_array, mc_demo_config,
                   mc_extract_config, mc_extract_summary, mc_store, strings, take_mc_array)


def _summary(s):
    return {f: getattr(s, f) for f, _ in mc_extract_summary._fields_}


def extract(inputs, outdir, *, metadata=None, id_column=None, folder_label=None, keep_unmatched=False,
            sr=None, segment=None, frames=None, n_fft=None, hop=None, n_mels=None, n_mfcc=None,
            fmin=None, fmax=None, top_db=None, threads=0):
    """`musiclust extract` (mc_data_extract): audio files or folders -> a feature store in outdir.
    Options left at None keep the library's defaults (librosa's: sr 22050, segment 3 s, n_fft 2048,
    hop 512, n_mels 128, n_mfcc 20). Returns the summary (files, tracks, segments, padded, skipped,
    ignored, seconds) as a dict."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    cfg = mc_extract_config()
    lib.mc_extract_config_default(ctypes.byref(cfg))
    for name, value in [("sr", sr), ("n_fft", n_fft), ("hop", hop), ("n_mels", n_mels), ("n_mfcc", n_mfcc),
                        ("fmin", fmin), ("fmax", fmax), ("top_db", top_db)]:
        if value is not None:
            setattr(cfg.dsp, name, value)
    if segment is not None:
        cfg.segment_s = segment
    if frames is not None:
        cfg.logmel_frames = frames
    cfg.threads = threads
    cfg.metadata = enc(metadata)
    if id_column is not None:
        cfg.id_column = enc(id_column)
    if folder_label is not None:
        cfg.folder_label = enc(folder_label)
    cfg.keep_unmatched = bool(keep_unmatched)
    paths = c_strings([os.fspath(p) for p in inputs])
    summary = mc_extract_summary()
    check(lib.mc_data_extract(ctypes.byref(cfg), paths, len(inputs), enc(outdir), None, ctypes.byref(summary)))
    return _summary(summary)


def import_features(table, outdir, *, id_column=None, label_column="label"):
    """`musiclust extract --features` (mc_data_import_features): a numeric feature table (CSV/TSV)
    -> a store with features.npy. Returns the summary dict."""
    summary = mc_extract_summary()
    check(lib.mc_data_import_features(enc(table), enc(id_column), enc(label_column), enc(outdir),
                                      ctypes.byref(summary)))
    return _summary(summary)


def demo_corpus(outdir, *, tracks_per_style=None, seconds=None, seed=None):
    """Synthesize the built-in labelled corpus (mc_pipeline_demo_corpus): outdir/audio/<style>/*.wav and
    outdir/metadata.tsv (track_id, genre, language, tempo_bpm, key, lyrics)."""
    cfg = mc_demo_config()
    lib.mc_demo_config_default(ctypes.byref(cfg))
    if tracks_per_style is not None:
        cfg.tracks_per_style = tracks_per_style
    if seconds is not None:
        cfg.track_seconds = seconds
    if seed is not None:
        cfg.seed = seed
    check(lib.mc_pipeline_demo_corpus(enc(outdir), ctypes.byref(cfg), None))


class Store:
    """An opened feature store (mc_store_open): the index and the per-row vectors are read and
    checked (row counts agree, values finite); everything returned is a numpy copy.

        s = Store("F")            # or with Store("F") as s:
        s.vectors                  # (n, F) float32: mfcc_stats.npy or features.npy
        s.labels("genre")          # (codes (n,) int32, -1 = empty; class names sorted)
    """

    def __init__(self, path):
        self._s = mc_store()
        check(lib.mc_store_open(enc(path), ctypes.byref(self._s)))
        self.path = os.fspath(path)

    def close(self):
        if self._s is not None:
            lib.mc_store_close(ctypes.byref(self._s))
            self._s = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _open(self):
        if self._s is None:
            raise ValueError("the store is closed")
        return self._s

    @property
    def n(self):
        """Rows (segments)."""
        return int(self._open().n)

    def __len__(self):
        return self.n

    @property
    def vectors_file(self):
        """"mfcc_stats.npy" or "features.npy"."""
        return self._open().vectors_file.decode()

    @property
    def vectors(self):
        """The per-row vectors, (n, F) float32."""
        s = self._open()
        shape = (s.vectors.shape[0], s.vectors.shape[1])
        buf = np.ctypeslib.as_array(ctypes.cast(s.vectors.data, F32P), shape=(shape[0] * shape[1],))
        return np.array(buf, copy=True).reshape(shape)

    @property
    def columns(self):
        """index.tsv's header."""
        s = self._open()
        return strings(s.index.header, s.index.ncols)

    @property
    def label_columns(self):
        """The label columns (after `padded`)."""
        n = ctypes.c_int(0)
        p = lib.mc_store_label_columns(ctypes.byref(self._open()), ctypes.byref(n))
        return strings(p, n.value)

    def column(self, name):
        """One column of index.tsv as a list of str."""
        s = self._open()
        cols = self.columns
        if name not in cols:
            raise KeyError(f"{self.path}/index.tsv has no column '{name}' (columns: {', '.join(cols)})")
        c = cols.index(name)
        return [lib.mc_table_get(ctypes.byref(s.index), r, c).decode("utf-8", "replace") for r in range(s.n)]

    def labels(self, column):
        """(codes, classes): codes (n,) int32 in 0..len(classes)-1 by sorted class name, -1 for an
        empty cell (mc_store_label_codes)."""
        s = self._open()
        codes = np.empty(s.n, dtype=np.int32)
        classes = ctypes.POINTER(ctypes.c_char_p)()
        n = ctypes.c_int(0)
        check(lib.mc_store_label_codes(ctypes.byref(s), enc(column), codes.ctypes.data_as(I32P),
                                       ctypes.byref(classes), ctypes.byref(n)))
        try:
            return codes, strings(classes, n.value)
        finally:
            lib.mc_store_free_classes(classes, n.value)

    def tracks(self):
        """The track index of every row, (n,) int64."""
        s = self._open()
        t = np.empty(s.n, dtype=np.int64)
        check(lib.mc_store_tracks(ctypes.byref(s), t.ctypes.data_as(I64P)))
        return t

    def logmel(self):
        """logmel.npy, (n, n_mels, frames) float32 in dB (mc_store_load_logmel)."""
        a = mc_array()
        check(lib.mc_store_load_logmel(ctypes.byref(self._open()), ctypes.byref(a)))
        return take_mc_array(a)


def write_store(outdir, vectors, *, labels=None, tracks=None, paths=None, start_s=None, logmel=None,
                feature_names=None):
    """Write a feature store from arrays, readable by Store, `musiclust train/cluster/...`:
    index.tsv (segment, track, path, start_s, padded, then one column per entry of labels),
    features.npy (n, F) float32 (as `musiclust extract --features` writes), optionally logmel.npy
    (n, n_mels, frames) and feature_names.txt. labels: {column: n strings} ("" = no label);
    tracks: (n,) track index of each row (default: one track per row); paths: n names (default
    "row<i>"). The files are written with numpy and csv here; the store is then opened with the
    library's reader to check it."""
    X = np.ascontiguousarray(vectors, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n, F), got shape {X.shape}")
    n = X.shape[0]
    labels = dict(labels or {})
    for k, v in labels.items():
        if len(v) != n:
            raise ValueError(f"labels['{k}'] has {len(v)} values for {n} rows")
    tracks = np.arange(n) if tracks is None else np.asarray(tracks, dtype=np.int64)
    paths = [f"row{i}" for i in range(n)] if paths is None else [str(p) for p in paths]
    start_s = np.zeros(n) if start_s is None else np.asarray(start_s, dtype=np.float64)
    if len(tracks) != n or len(paths) != n or len(start_s) != n:
        raise ValueError("tracks, paths and start_s need one value per row")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "index.tsv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["segment", "track", "path", "start_s", "padded"] + list(labels))
        for i in range(n):
            w.writerow([i, int(tracks[i]), paths[i], f"{start_s[i]:g}", 0] +
                       ["" if labels[k][i] is None else str(labels[k][i]) for k in labels])
    np.save(os.path.join(outdir, "features.npy"), X)
    if logmel is not None:
        L = np.ascontiguousarray(logmel, dtype=np.float32)
        if L.ndim != 3 or L.shape[0] != n:
            raise ValueError(f"logmel must be (n, n_mels, frames) with n = {n}, got {L.shape}")
        np.save(os.path.join(outdir, "logmel.npy"), L)
    if feature_names is not None:
        with open(os.path.join(outdir, "feature_names.txt"), "w", encoding="utf-8") as f:
            f.writelines(f"{name}\n" for name in feature_names)
    Store(outdir).close()  # the library's reader accepts it (raises MusiclustError otherwise)
    return os.fspath(outdir)
