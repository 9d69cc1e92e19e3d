"""The VAE family (include/musiclust/models.h): train on a feature store or on arrays, embed (the
latent means), decode, save and load model files (safetensors, as `musiclust train` writes them).

    m = Model.train("F", "vae", epochs=50, seed=0)     # a store folder ...
    m = Model.train(X, "vae", epochs=50)               # ... or rows (n, F) / log-mel (n, n_mels, frames)
    Z = m.embed("F")                                   # (n, latent) float32
    m.save("vae.safetensors"); m = Model.load("vae.safetensors")
"""
import ctypes
import os

import numpy as np

from ._lib import (F32P, I32P, MAX_LAYERS, c_strings, check, enc, lib, mc_model_config, mc_model_data,
                   mc_train_options, mc_train_summary)

_INPUTS = {"vectors": 0, "logmel": 1}
_FUSION = {"concat": 0, "poe": 1}
_LYRICS_NORM = {"global": 0, "zscore": 1}


class _Data:
    """An mc_model_data either loaded from a store (the library owns it) or pointing at numpy arrays
    (kept alive here)."""

    def __init__(self, source, input="vectors", condition=None, labels=None, lyrics=None, has_lyrics=None,
                 kind=None):
        self.d = mc_model_data()
        self.owned = False
        self._keep = []
        if isinstance(source, (str, bytes, os.PathLike)):
            if labels is not None:
                raise ValueError("labels come from the store's condition column when training on a store")
            check(lib.mc_model_data_load(enc(source), _INPUTS[input], enc(condition), ctypes.byref(self.d)))
            self.owned = True
            if kind == "mm-vae":
                check(lib.mc_model_data_load_lyrics(enc(source), ctypes.byref(self.d)))
            return
        x = np.ascontiguousarray(source, dtype=np.float32)
        if x.ndim not in (2, 3):
            raise ValueError(f"rows must be (n, F) vectors or (n, n_mels, frames) log-mel, got {x.shape}")
        self._keep.append(x)
        self.d.n = x.shape[0]
        self.d.ndim = x.ndim
        for i, s in enumerate(x.shape):
            self.d.shape[i] = s
        self.d.x = x.ctypes.data_as(F32P)
        if labels is not None:
            lab = ["" if v is None else str(v) for v in labels]
            if len(lab) != x.shape[0]:
                raise ValueError(f"labels has {len(lab)} values for {x.shape[0]} rows")
            classes = sorted({v for v in lab if v})
            index = {c: i for i, c in enumerate(classes)}
            codes = np.array([index.get(v, -1) for v in lab], dtype=np.int32)
            names = c_strings(classes)
            self._keep += [codes, names]
            self.d.codes = codes.ctypes.data_as(I32P)
            self.d.n_classes = len(classes)
            self.d.classes = ctypes.cast(names, ctypes.POINTER(ctypes.c_char_p))
        if lyrics is not None:
            ly = np.ascontiguousarray(lyrics, dtype=np.float32)
            if ly.ndim != 2 or ly.shape[0] != x.shape[0]:
                raise ValueError(f"lyrics must be (n, dim) with n = {x.shape[0]}, got {ly.shape}")
            has = np.ones(x.shape[0], dtype=np.uint8) if has_lyrics is None else \
                np.ascontiguousarray(has_lyrics, dtype=np.uint8)
            self._keep += [ly, has]
            self.d.lyr_dim = ly.shape[1]
            self.d.lyrics = ly.ctypes.data_as(F32P)
            self.d.has_lyrics = has.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))

    def close(self):
        if self.owned:
            lib.mc_model_data_free(ctypes.byref(self.d))
            self.owned = False


def _list(values, what):
    values = [int(v) for v in values]
    if len(values) > MAX_LAYERS:
        raise ValueError(f"{what}: at most {MAX_LAYERS} layers")
    return values


def _config(kind, options):
    k = ctypes.c_int(0)
    check(lib.mc_model_kind_parse(enc(kind), ctypes.byref(k)))
    c = mc_model_config()
    lib.mc_model_config_default(k.value, ctypes.byref(c))
    keep = []
    for name, value in options.items():
        if value is None:
            continue
        if name == "input":
            c.input = _INPUTS[value]
        elif name == "fusion":
            c.fusion = _FUSION[value]
        elif name == "lyrics_norm":
            c.lyrics_norm = _LYRICS_NORM[value]
        elif name == "condition":
            b = enc(value)
            keep.append(b)
            c.condition = b
        elif name in ("hidden", "channels", "lyr_hidden", "fuse"):
            vals = _list(value, name)
            count = {"hidden": "n_hidden", "channels": "n_conv", "lyr_hidden": "n_lyr_hidden", "fuse": "n_fuse"}[name]
            setattr(c, count, len(vals))
            arr = getattr(c, name)
            for i, v in enumerate(vals):
                arr[i] = v
        elif name in dict(mc_model_config._fields_):
            setattr(c, name, value)
        else:
            raise TypeError(f"unknown model option '{name}'")
    return c, keep


class Model:
    """A trained (or loaded) model of the VAE family; see Model.train."""

    def __init__(self, handle):
        self._m = handle
        self.summary = None

    @classmethod
    def train(cls, data, kind="vae", *, labels=None, lyrics=None, has_lyrics=None, threads=0, checkpoint=None,
              loss_tsv=None, **options):
        """Create a model of `kind` (vae, ae, beta-vae, conv-vae, cvae, mm-vae) for data and train it
        (mc_model_create + mc_model_train). data: a feature store folder (with input="logmel" its
        logmel.npy; a condition column for cvae) or an array of rows (n, F) / (n, n_mels, frames)
        with labels (n strings) as the condition classes of a cvae (mm-vae: lyrics (n, dim) and
        has_lyrics (n,)). options: the fields of mc_model_config -- latent, hidden=[64], channels,
        beta, warmup, condition, input, frames, epochs, batch, lr, seed, val_fraction, patience,
        clip, fusion, lyr_hidden, fuse, audio_weight, lyrics_weight, lyrics_norm; None keeps the
        kind's default. The training summary is in model.summary."""
        cfg, keep = _config(kind, options)
        if labels is not None and cfg.condition is None and kind in ("cvae", "mm-vae"):
            cfg.condition = b"label"  # the name the model records for the classes of `labels`
        src = _Data(data, options.get("input") or "vectors", options.get("condition"), labels, lyrics,
                    has_lyrics, kind)
        try:
            m = ctypes.c_void_p()
            check(lib.mc_model_create(ctypes.byref(cfg), ctypes.byref(src.d), ctypes.byref(m)))
            model = cls(m)
            model.fit(src, threads=threads, checkpoint=checkpoint, loss_tsv=loss_tsv)
            return model
        finally:
            src.close()
            del keep  # the condition string lived until mc_model_create copied it

    def fit(self, data, *, threads=0, checkpoint=None, loss_tsv=None, epochs=None, **data_options):
        """Train further (up to `epochs` in total, or the configured number) on the same rows."""
        if epochs is not None:
            lib.mc_model_set_epochs(self._m, int(epochs))
        src = data if isinstance(data, _Data) else _Data(data, self.input, self.condition, kind=self.kind,
                                                           **data_options)
        try:
            o = mc_train_options(threads=int(threads), checkpoint=enc(checkpoint), loss_tsv=enc(loss_tsv),
                                 stop_after=0)
            s = mc_train_summary()
            check(lib.mc_model_train(self._m, ctypes.byref(src.d), ctypes.byref(o), None, ctypes.byref(s)))
            self.summary = {f: getattr(s, f) for f, _ in mc_train_summary._fields_}
            return self
        finally:
            if src is not data:
                src.close()

    @classmethod
    def load(cls, path):
        """Read a model file (mc_model_load)."""
        m = ctypes.c_void_p()
        check(lib.mc_model_load(enc(path), ctypes.byref(m)))
        return cls(m)

    def save(self, path):
        """Write the model file atomically (mc_model_save); `musiclust embed` reads it."""
        check(lib.mc_model_save(self._m, enc(path)))

    def close(self):
        if self._m is not None:
            lib.mc_model_free(self._m)
            self._m = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def config(self):
        return lib.mc_model_get_config(self._m).contents

    @property
    def kind(self):
        return lib.mc_model_kind_name(self.config.kind).decode()

    @property
    def input(self):
        return "logmel" if self.config.input == 1 else "vectors"

    @property
    def condition(self):
        c = self.config.condition
        return c.decode() if c else None

    @property
    def latent_dim(self):
        return lib.mc_model_latent_dim(self._m)

    @property
    def epochs_done(self):
        return lib.mc_model_epochs_done(self._m)

    @property
    def classes(self):
        """The condition classes, in code order ([] without a condition)."""
        n = ctypes.c_int(0)
        p = lib.mc_model_classes(self._m, ctypes.byref(n))
        return [p[i].decode() for i in range(n.value)]

    @property
    def input_shape(self):
        """The shape of one input row: (F,) or (n_mels, frames used)."""
        nd = ctypes.c_int(0)
        shape = (ctypes.c_int64 * 3)()
        lib.mc_model_input_shape(self._m, ctypes.byref(nd), shape)
        return tuple(shape[i] for i in range(nd.value))

    def embed(self, data, *, labels=None, lyrics=None, has_lyrics=None, threads=0, reconstruct=False):
        """The latent means of data's rows (mc_model_encode, deterministic): (n, latent) float32; with
        reconstruct=True also the decoder's output for z = mu in the input's units."""
        src = _Data(data, self.input, self.condition, labels, lyrics, has_lyrics, self.kind)
        try:
            n = src.d.n
            mu = np.empty((n, self.latent_dim), dtype=np.float32)
            recon = np.empty((n,) + self.input_shape, dtype=np.float32) if reconstruct else None
            check(lib.mc_model_encode(self._m, ctypes.byref(src.d), int(threads), mu.ctypes.data_as(F32P),
                                      recon.ctypes.data_as(F32P) if reconstruct else None, None))
            return (mu, recon) if reconstruct else mu
        finally:
            src.close()

    encode = embed

    def decode(self, z, codes=None, *, threads=0):
        """Decode latent rows z (n, latent) (with condition codes (n,) for a conditional model, -1 = none)
        into the input's units (mc_model_decode): (n, F) or (n, n_mels, frames)."""
        z = np.ascontiguousarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must be (n, {self.latent_dim}), got {z.shape}")
        c = None if codes is None else np.ascontiguousarray(codes, dtype=np.int32)
        out = np.empty((z.shape[0],) + self.input_shape, dtype=np.float32)
        check(lib.mc_model_decode(self._m, z.ctypes.data_as(F32P), None if c is None else c.ctypes.data_as(I32P),
                                  z.shape[0], int(threads), out.ctypes.data_as(F32P)))
        return out


def train(data, kind="vae", **options):
    """Model.train(data, kind, **options)."""
    return Model.train(data, kind, **options)


def load(path):
    """Model.load(path)."""
    return Model.load(path)
