"""Audio and features: decode a file, resample, and compute log-mel spectrograms, MFCCs and MFCC
statistics from a file or from a numpy array of samples, with the library's definitions (librosa
0.10.2: melspectrogram, power_to_db, mfcc; see include/musiclust/dsp.h). The same numbers as the
rows `musiclust extract` writes."""
import ctypes

import numpy as np

from ._lib import F32P, MusiclustError, check, enc, lib, mc_audio_info, mc_dsp_config

# mc_audio_format, in header order
AUDIO_FORMATS = ["wav16", "wav24", "wav32", "wav8", "wavfloat", "flac16", "flac24", "ogg", "mp3", "au16",
                 "aiff16"]


def load_audio(path, sr=22050):
    """Decode path, downmix to mono and resample to sr (None or <= 0 keeps the file's rate), as
    `musiclust extract` does (mc_audio_loader_load). Returns (y float32 (n,), info dict with
    sample_rate (the file's), channels, frames, format)."""
    loader = ctypes.c_void_p()
    check(lib.mc_audio_loader_create(int(sr or 0), ctypes.byref(loader)))
    try:
        samples = F32P()
        n = ctypes.c_int64(0)
        info = mc_audio_info()
        check(lib.mc_audio_loader_load(loader, enc(path), ctypes.byref(samples), ctypes.byref(n),
                                       ctypes.byref(info)))
        y = np.array(np.ctypeslib.as_array(samples, shape=(n.value,)), dtype=np.float32, copy=True)
        return y, {"sample_rate": info.sample_rate, "channels": info.channels, "frames": info.frames,
                   "format": info.format.decode()}
    finally:
        lib.mc_audio_loader_free(loader)


def resample(y, sr_in, sr_out):
    """soxr HQ resampling as librosa.resample(res_type='soxr_hq') with fix_length (mc_audio_resample)."""
    y = np.ascontiguousarray(y, dtype=np.float32)
    n_out = lib.mc_audio_resampled_length(len(y), sr_in, sr_out)
    out = np.empty(n_out, dtype=np.float32)
    check(lib.mc_audio_resample(y.ctypes.data_as(F32P), len(y), sr_in, sr_out, out.ctypes.data_as(F32P)))
    return out


def write_audio(path, y, sr, fmt="wav16"):
    """Write samples y (n,) mono or (n, channels) to path (mc_audio_write); fmt one of AUDIO_FORMATS."""
    y = np.ascontiguousarray(y, dtype=np.float32)
    channels = 1 if y.ndim == 1 else y.shape[1]
    if fmt not in AUDIO_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(AUDIO_FORMATS)}")
    check(lib.mc_audio_write(enc(path), y.ctypes.data_as(F32P), y.shape[0], channels, int(sr),
                             AUDIO_FORMATS.index(fmt)))


def _config(sr, n_fft, hop, n_mels, n_mfcc, fmin, fmax, top_db):
    c = mc_dsp_config()
    lib.mc_dsp_config_default(ctypes.byref(c))
    for name, value in [("sr", sr), ("n_fft", n_fft), ("hop", hop), ("n_mels", n_mels), ("n_mfcc", n_mfcc),
                        ("fmin", fmin), ("fmax", fmax), ("top_db", top_db)]:
        if value is not None:
            setattr(c, name, value)
    check(lib.mc_dsp_config_validate(ctypes.byref(c)))
    return c


class _Plan:
    def __init__(self, cfg, max_samples):
        self.cfg = cfg
        self.plan = ctypes.c_void_p()
        self.ws = ctypes.c_void_p()
        check(lib.mc_dsp_plan_create(ctypes.byref(cfg), ctypes.byref(self.plan)))
        try:
            check(lib.mc_dsp_workspace_create(self.plan, max(1, max_samples), ctypes.byref(self.ws)))
        except MusiclustError:
            lib.mc_dsp_plan_free(self.plan)
            raise

    def close(self):
        lib.mc_dsp_workspace_free(self.ws)
        lib.mc_dsp_plan_free(self.plan)

    def one(self, y):
        """y (n,) -> (logmel (n_mels, frames) dB, mfcc (n_mfcc, frames), stats (2 n_mfcc))."""
        c = self.cfg
        frames = lib.mc_dsp_frame_count(ctypes.byref(c), len(y))
        mel = np.empty((c.n_mels, frames), dtype=np.float32)
        check(lib.mc_dsp_mel_power(self.plan, self.ws, y.ctypes.data_as(F32P), len(y), mel.ctypes.data_as(F32P)))
        lib.mc_dsp_power_to_db(mel.ctypes.data_as(F32P), mel.size, c.ref, c.amin, c.top_db,
                               mel.ctypes.data_as(F32P))
        mfcc = np.empty((c.n_mfcc, frames), dtype=np.float32)
        lib.mc_dsp_mfcc(self.plan, mel.ctypes.data_as(F32P), frames, mfcc.ctypes.data_as(F32P))
        stats = np.empty(2 * c.n_mfcc, dtype=np.float32)
        lib.mc_dsp_mfcc_stats(mfcc.ctypes.data_as(F32P), c.n_mfcc, frames, stats.ctypes.data_as(F32P))
        return mel, mfcc, stats


def features(y, sr=22050, *, segment=None, n_fft=None, hop=None, n_mels=None, n_mfcc=None, fmin=None,
             fmax=None, top_db=None):
    """Features of samples y (n,) already at rate sr.

    segment None: the whole signal -> dict(logmel (n_mels, frames) dB, mfcc (n_mfcc, frames),
    mfcc_stats (2 n_mfcc,): means then variances). segment = seconds: cut as `musiclust extract
    --segment` does (floor(n / len) windows, a trailing part dropped; a signal shorter than one
    window is zero-padded) -> the same keys with a leading segment axis, plus "padded" (bool)."""
    y = np.ascontiguousarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D samples (downmix first), got shape {y.shape}")
    cfg = _config(sr, n_fft, hop, n_mels, n_mfcc, fmin, fmax, top_db)
    if segment is None:
        plan = _Plan(cfg, len(y))
        try:
            mel, mfcc, stats = plan.one(y)
        finally:
            plan.close()
        return {"logmel": mel, "mfcc": mfcc, "mfcc_stats": stats}
    seg_len = int(round(segment * cfg.sr))
    short = ctypes.c_bool(False)
    count = lib.mc_audio_segment_count(len(y), seg_len, ctypes.byref(short))
    win = seg_len if seg_len > 0 else len(y)
    plan = _Plan(cfg, win)
    out = {"logmel": [], "mfcc": [], "mfcc_stats": []}
    buf = np.empty(win, dtype=np.float32)
    try:
        for i in range(count):
            lib.mc_audio_segment_copy(y.ctypes.data_as(F32P), len(y), win, i, buf.ctypes.data_as(F32P))
            for k, v in zip(("logmel", "mfcc", "mfcc_stats"), plan.one(buf)):
                out[k].append(v)
    finally:
        plan.close()
    frames = lib.mc_dsp_frame_count(ctypes.byref(cfg), win)
    shapes = {"logmel": (cfg.n_mels, frames), "mfcc": (cfg.n_mfcc, frames), "mfcc_stats": (2 * cfg.n_mfcc,)}
    res = {k: np.stack(v) if v else np.zeros((0,) + shapes[k], dtype=np.float32) for k, v in out.items()}
    res["padded"] = bool(short.value)
    return res


def features_from_file(path, sr=22050, **kw):
    """load_audio(path, sr) then features(y, sr, **kw)."""
    y, _ = load_audio(path, sr)
    return features(y, sr, **kw)
