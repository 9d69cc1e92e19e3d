#!/usr/bin/env python3
"""The Python peer of musiclust's audio synthesis (src/dsp/istft.c, griffinlim.c, mel_inverse.c) and the
fixtures tests/test_dsp.c compares against.

librosa is not installed on the build machines, so this file writes out librosa 0.10.2's definitions
with numpy / scipy, step by step and with librosa's dtypes (float32 signals, complex64 spectra, float64
FFTs), from its documented behaviour:
  stft        librosa.stft(center=True, pad_mode='constant', window='hann'): rfft (float64) of the
              windowed frames of the zero-padded signal, stored as complex64
  istft       librosa.istft(center=True, length=None or n): irfft (float64) * window, overlap-added into
              a float32 buffer, divided by window_sumsquare (float32) where it exceeds tiny(float32),
              the first n_fft // 2 samples dropped
  griffinlim  librosa.griffinlim: angles = exp(2 pi i U[0,1)) or 1 (init=None), times S; n_iter times
              inverse = istft(angles), rebuilt = stft(inverse), angles = rebuilt - m / (1 + m) * tprev
              (not on the first pass), angles /= |angles| + tiny, angles *= S; then istft(angles)
  nnls        librosa.util.nnls: pinv(A) @ B clipped at 0, then scipy.optimize.fmin_l_bfgs_b on
              0.5 / B.size * ||A x - B||^2 with x >= 0 and m = A.shape[1], in blocks of
              MAX_MEM_BLOCK // (n_bins * 4) columns
  mel_to_stft librosa.feature.inverse.mel_to_stft(power=2): nnls(mel_basis, M) ** 0.5
  db_to_power ref * 10 ** (0.1 * S_db)

Usage:
  /usr/bin/python3 tools/make_generate_fixtures.py            # writes tests/fixtures/gen_*.npy
  /usr/bin/python3 tools/make_generate_fixtures.py --report   # peer figures on the librosa clips
  /usr/bin/python3 tools/make_generate_fixtures.py --bench    # peer times (bench/run.sh)
The overlap-add loops run in Python here where librosa uses numba, so the peer's iSTFT (and with it
Griffin-Lim) is somewhat slower than librosa's would be.
"""
import os
import sys
import time

import numpy as np
import scipy.optimize

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_dsp_fixture import mel_filterbank  # noqa: E402  (librosa.filters.mel, Slaney)

ROOT = os.path.dirname(HERE)
FIX = os.path.join(ROOT, "tests", "fixtures")
REF = os.path.join(ROOT, "..", "shared", "reference", "librosa-0.10.2")
TINY32 = np.finfo(np.float32).tiny
MAX_MEM_BLOCK = 2**8 * 2**10


def hann(n):
    """scipy.signal.get_window('hann', n, fftbins=True), float64."""
    return 0.5 + 0.5 * np.cos(np.linspace(-np.pi, np.pi, n + 1)[:n])


def stft(y, n_fft, hop):
    win = hann(n_fft)
    yp = np.pad(y, n_fft // 2, mode="constant")
    frames = 1 + len(y) // hop
    idx = np.arange(n_fft)[:, None] + hop * np.arange(frames)[None, :]
    return np.fft.rfft(win[:, None] * yp[idx], axis=0).astype(np.complex64)  # (n_bins, frames)


def window_sumsquare(n_frames, n_fft, hop):
    x = np.zeros(n_fft + hop * (n_frames - 1), dtype=np.float32)
    w2 = hann(n_fft) ** 2
    for i in range(n_frames):
        s = i * hop
        x[s:s + n_fft] = (x[s:s + n_fft].astype(np.float64) + w2).astype(np.float32)
    return x


def istft(X, hop, length=None):
    n_fft = 2 * (X.shape[0] - 1)
    n_frames = X.shape[1]
    if length:
        n_frames = min(n_frames, int(np.ceil((length + 2 * (n_fft // 2)) / hop)))
    win = hann(n_fft)
    full = np.zeros(n_fft + hop * (n_frames - 1), dtype=np.float32)
    ytmp = win[:, None] * np.fft.irfft(X[:, :n_frames].astype(np.complex128), n=n_fft, axis=0)
    for i in range(n_frames):  # numba's __overlap_add: float64 frame added into the float32 buffer
        s = i * hop
        full[s:s + n_fft] = (full[s:s + n_fft].astype(np.float64) + ytmp[:, i]).astype(np.float32)
    wss = window_sumsquare(n_frames, n_fft, hop)
    start = n_fft // 2
    out_len = length if length else len(full) - 2 * start
    y = np.zeros(out_len, dtype=np.float32)
    seg = full[start:start + out_len]
    y[:len(seg)] = seg
    w = np.zeros(out_len, dtype=np.float32)
    ws = wss[start:start + out_len]
    w[:len(ws)] = ws
    nz = w > TINY32
    y[nz] /= w[nz]
    return y


def griffinlim(S, hop, n_iter=32, momentum=0.99, init="random", seed=0, length=None):
    S = S.astype(np.float32)
    n_fft = 2 * (S.shape[0] - 1)
    angles = np.empty(S.shape, dtype=np.complex64)
    if init == "random":
        rng = np.random.RandomState(seed)
        angles[:] = np.exp(1j * (2 * np.pi * rng.random_sample(S.shape)))
    else:
        angles[:] = 1.0
    angles *= S
    tprev = None
    for _ in range(n_iter):
        inverse = istft(angles, hop, length=length)
        rebuilt = stft(inverse, n_fft, hop)
        angles[:] = rebuilt
        if tprev is not None:
            angles -= np.complex64(momentum / (1 + momentum)) * tprev
        angles /= np.abs(angles) + TINY32
        angles *= S
        tprev = rebuilt
    return istft(angles, hop, length=length)


def _nnls_obj(x, shape, A, B):
    x = x.reshape(shape)
    diff = A @ x - B
    value = (1 / B.size) * 0.5 * np.sum(diff ** 2)
    grad = (1 / B.size) * (A.T @ diff)
    return value, grad.flatten()


def _nnls_block(A, B, x_init):
    shape = x_init.shape
    x, _, _ = scipy.optimize.fmin_l_bfgs_b(_nnls_obj, x_init.ravel(), args=(shape, A, B),
                                           bounds=[(0, None)] * x_init.size, m=A.shape[1])
    return x.reshape(shape)


def nnls(A, B):
    n_columns = max(int(MAX_MEM_BLOCK // (A.shape[-1] * A.itemsize)), 1)
    x = (np.linalg.pinv(A) @ B).astype(A.dtype)
    np.clip(x, 0, None, out=x)
    if B.shape[-1] <= n_columns:
        return _nnls_block(A, B, x).astype(A.dtype)
    for s in range(0, B.shape[-1], n_columns):
        t = min(s + n_columns, B.shape[-1])
        x[:, s:t] = _nnls_block(A, B[:, s:t], x[:, s:t])
    return x


def mel_to_stft(M, sr, n_fft, fmin=0.0, fmax=None):
    A, _ = mel_filterbank(sr, n_fft, M.shape[0], fmin, fmax if fmax else sr / 2.0)
    return np.power(nnls(A, M.astype(np.float32)), 0.5), A


def power_to_db(S, top_db=80.0):
    d = 10.0 * np.log10(np.maximum(np.float32(1e-10), S))
    return np.maximum(d, d.max() - top_db)


def melspec(y, sr, n_fft, hop, n_mels, fmin=0.0, fmax=None):
    A, _ = mel_filterbank(sr, n_fft, n_mels, fmin, fmax if fmax else sr / 2.0)
    return A @ (np.abs(stft(y, n_fft, hop)) ** 2)


def spectral_convergence(S, y, n_fft, hop):
    """||S - |STFT(y)| ||_F / ||S||_F (Perraudin et al. 2013, eq. 8's normalised inconsistency)."""
    R = np.abs(stft(y.astype(np.float32), n_fft, hop)).astype(np.float64)
    S = S.astype(np.float64)
    return np.linalg.norm(S - R) / np.linalg.norm(S)


def chord(n, sr):
    """A C major chord with a decaying envelope, deterministic (the test's synthetic signal)."""
    t = np.arange(n) / sr
    y = np.zeros(n)
    for f, a in ((261.63, 0.5), (329.63, 0.35), (392.0, 0.3), (523.25, 0.15)):
        y += a * np.sin(2 * np.pi * f * t)
    return (y * np.exp(-1.5 * t) * 0.5).astype(np.float32)


def write_fixtures():
    """Small config: sr 8000, n_fft 512, hop 128, 32 mels; 4000 samples (32 frames)."""
    sr, n_fft, hop, n_mels, n = 8000, 512, 128, 32, 4000
    rng = np.random.RandomState(7)
    y = chord(n, sr) + (0.01 * rng.standard_normal(n)).astype(np.float32)
    X = stft(y, n_fft, hop)
    y_istft = istft(X, hop)                     # length hop * (frames - 1) = 3968
    y_istft_short = istft(X, hop, length=1000)  # only the first 12 frames are used
    y_istft_long = istft(X, hop, length=4200)   # zeros past the last frame
    # |X| rounded once to float32 (C's hypotf); numpy's complex64 abs differs from it in the last ulp of
    # a third of the entries, and Griffin-Lim's normalisation amplifies such differences
    S = np.abs(X.astype(np.complex128)).astype(np.float32)
    y_gl = griffinlim(S, hop, n_iter=8, init=None, length=n)
    M = melspec(y, sr, n_fft, hop, n_mels)
    Sm, A = mel_to_stft(M, sr, n_fft)
    resid = np.linalg.norm(A @ (Sm.astype(np.float64) ** 2) - M) / np.linalg.norm(M)
    os.makedirs(FIX, exist_ok=True)
    out = {
        "gen_y": y, "gen_stft": np.ascontiguousarray(X).view(np.float32).reshape(X.shape[0], X.shape[1], 2),
        "gen_istft": y_istft, "gen_istft_1000": y_istft_short, "gen_istft_4200": y_istft_long, "gen_gl8_zero": y_gl,
        "gen_mel": M.astype(np.float32),
    }
    for k, v in out.items():
        np.save(os.path.join(FIX, k + ".npy"), np.ascontiguousarray(v))
    print(f"fixtures written: sr {sr}, n_fft {n_fft}, hop {hop}, n_mels {n_mels}, n {n}, frames {X.shape[1]}")
    print(f"  peer nnls mel residual ||A x - M|| / ||M|| = {resid:.3g}")
    print(f"  peer GL8 (init=None) spectral convergence = {spectral_convergence(S, y_gl, n_fft, hop):.4f}")


def report():
    """Peer figures on the librosa reference clips: mel -> NNLS -> Griffin-Lim (32, random init)."""
    sr, n_fft, hop, n_mels = 22050, 2048, 512, 128
    for clip in ("jazz.00005", "metal.00003", "classical.00007"):
        p = os.path.join(REF, clip + ".seg0.y.npy")
        if not os.path.exists(p):
            print(f"{p} missing")
            return
        y = np.load(p)
        M = np.load(os.path.join(REF, clip + ".seg0.mel_power.npy"))
        db = power_to_db(M)
        S_true = np.abs(stft(y, n_fft, hop))
        t0 = time.perf_counter()
        Sm, A = mel_to_stft(M, sr, n_fft)
        t1 = time.perf_counter()
        yg = griffinlim(Sm, hop, n_iter=32, seed=0, length=len(y))
        t2 = time.perf_counter()
        yt = griffinlim(S_true, hop, n_iter=32, seed=0, length=len(y))
        resid = np.linalg.norm(A @ (Sm.astype(np.float64) ** 2) - M) / np.linalg.norm(M)
        db_m = power_to_db(A @ (Sm.astype(np.float64) ** 2))
        db_g = power_to_db(melspec(yg, sr, n_fft, hop, n_mels))
        rmse_nnls = np.sqrt(np.mean((db_m - db) ** 2))
        rmse = np.sqrt(np.mean((db_g - db) ** 2))
        print(f"{clip}: nnls {t1 - t0:.2f} s (mel resid {resid:.3g}, dB RMSE {rmse_nnls:.3f}), "
              f"GL32 {t2 - t1:.2f} s; SC(mel path) {spectral_convergence(Sm, yg, n_fft, hop):.4f}, "
              f"SC(true |STFT|) {spectral_convergence(S_true, yt, n_fft, hop):.4f}, log-mel dB RMSE {rmse:.3f}")


def bench(reps=3):
    """Peer times per 3-s clip, best of reps (the counterpart of bench/bench_generate.c)."""
    sr, n_fft, hop, n_mels = 22050, 2048, 512, 128
    for clip in ("jazz.00005", "metal.00003", "classical.00007"):
        p = os.path.join(REF, clip + ".seg0.y.npy")
        if not os.path.exists(p):
            print(f"{p} missing")
            return
        y = np.load(p)
        M = melspec(y, sr, n_fft, hop, n_mels).astype(np.float32)
        best = [1e9] * 5
        for _ in range(reps):
            t0 = time.perf_counter()
            X = stft(y, n_fft, hop)
            t1 = time.perf_counter()
            istft(X, hop, length=len(y))
            t2 = time.perf_counter()
            griffinlim(np.abs(X), hop, n_iter=32, seed=0, length=len(y))
            t3 = time.perf_counter()
            Sm, _ = mel_to_stft(M, sr, n_fft)
            t4 = time.perf_counter()
            griffinlim(Sm, hop, n_iter=32, seed=0, length=len(y))
            t5 = time.perf_counter()
            d = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t3)
            best = [min(a, b) for a, b in zip(best, d)]
        print(f"{clip:18s} peer (numpy {np.__version__}, scipy {scipy.__version__}): stft {1e3 * best[0]:.2f} ms, "
              f"istft {1e3 * best[1]:.2f} ms, griffinlim(32) {1e3 * best[2]:.1f} ms, "
              f"mel->power (nnls) {1e3 * best[3]:.1f} ms, mel->audio {1e3 * best[4]:.1f} ms")


if __name__ == "__main__":
    if "--bench" in sys.argv:
        bench()
    elif "--report" in sys.argv:
        report()
    else:
        write_fixtures()
