#!/usr/bin/env python3
"""A numpy transcription of librosa 0.10.2's descriptor code (librosa itself is not packaged by Debian),
written from its sources (feature/spectral.py, onset.py, feature/rhythm.py, filters.chroma, util.normalize,
core/pitch.py estimate_tuning / piptrack / pitch_tuning) to cross-check src/dsp/descriptors.c and
src/dsp/tempo.c.

For each reference clip of ../shared/reference/librosa-0.10.2 it recomputes, from <clip>.seg0.y.npy,
chroma_stft, spectral centroid / bandwidth / rolloff / flatness / contrast, rms, zero-crossing rate and
onset strength and prints the largest difference to the stored librosa output (0 or float32 rounding),
and prints the estimated tuning and the segment's tempo (which tests/test_dsp.c checks against
mc_dsp_descriptors). With --whole CLIP=FILE.npy (the clip decoded at 22050 Hz, float32) it also prints
the whole clip's tempo beside descriptors.json's.

    /usr/bin/python3 tools/librosa_desc_peer.py [--ref DIR] [--whole jazz.00005=/tmp/jazz.npy ...]
"""
import argparse
import json
import os

import numpy as np
import scipy.fft

SR, N_FFT, HOP = 22050, 2048, 512
FREQ = np.fft.rfftfreq(N_FFT, 1.0 / SR)


def hann(n):
    """scipy.signal.get_window('hann', n, fftbins=True)"""
    return (0.5 + 0.5 * np.cos(np.linspace(-np.pi, np.pi, n + 1)))[:n]


def stft_mag(y):
    """np.abs(librosa.stft(y, center=True, pad_mode='constant')): float64 FFT stored as complex64."""
    yp = np.pad(y, (N_FFT // 2, N_FFT // 2))
    frames = 1 + (len(yp) - N_FFT) // HOP
    fr = np.lib.stride_tricks.as_strided(yp, (N_FFT, frames), (yp.itemsize, yp.itemsize * HOP))
    X = np.zeros((N_FFT // 2 + 1, frames), dtype=np.complex64, order="F")
    X[:] = np.fft.rfft(hann(N_FFT)[:, None] * fr, axis=0)
    return np.abs(X)


def normalize(S, norm, axis=-2):
    mag = np.abs(S).astype(float)
    if norm == np.inf:
        length = np.max(mag, axis=axis, keepdims=True)
    else:
        length = np.sum(mag ** norm, axis=axis, keepdims=True) ** (1.0 / norm)
    length[length < np.finfo(S.dtype).tiny] = 1.0
    out = np.empty_like(S)
    out[:] = S / length
    return out


def power_to_db(S, top_db=80.0):
    log_spec = 10.0 * np.log10(np.maximum(1e-10, S))
    return np.maximum(log_spec, log_spec.max() - top_db)


def centroid(S):
    return np.sum(FREQ[:, None] * normalize(S, 1), axis=-2, keepdims=True)


def bandwidth(S):
    c = centroid(S)
    dev = np.abs(np.subtract.outer(c[0, :], FREQ).swapaxes(-2, -1))
    return np.sum(normalize(S, 1) * dev ** 2, axis=-2, keepdims=True) ** 0.5


def rolloff(S, roll_percent=0.85):
    total = np.cumsum(S, axis=-2)
    threshold = roll_percent * total[-1:, :]
    ind = np.where(total < threshold, np.nan, 1)
    return np.nanmin(ind * FREQ[:, None], axis=-2, keepdims=True)


def flatness(S):
    t = np.maximum(1e-10, S ** 2.0)
    return np.exp(np.mean(np.log(t), axis=-2, keepdims=True)) / np.mean(t, axis=-2, keepdims=True)


def contrast(S, fmin=200.0, n_bands=6, quantile=0.02):
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    valley = np.zeros((n_bands + 1, S.shape[1]))
    peak = np.zeros_like(valley)
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:])):
        band = np.logical_and(FREQ >= f_low, FREQ <= f_high)
        idx = np.flatnonzero(band)
        if k > 0:
            band[idx[0] - 1] = True
        if k == n_bands:
            band[idx[-1] + 1:] = True
        sub = S[band, :]
        if k < n_bands:
            sub = sub[:-1, :]
        q = int(np.maximum(np.rint(quantile * np.sum(band)), 1))
        srt = np.sort(sub, axis=-2)
        valley[k] = np.mean(srt[:q], axis=-2)
        peak[k] = np.mean(srt[-q:], axis=-2)
    return power_to_db(peak) - power_to_db(valley)


def hz_to_octs(f, tuning=0.0, bins_per_octave=12):
    a440 = 440.0 * 2.0 ** (tuning / bins_per_octave)
    return np.log2(np.asanyarray(f) / (float(a440) / 16))


def localmax(x):
    m = np.zeros(x.shape, bool)
    m[1:-1] = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])
    m[-1] = x[-1] > x[-2]
    return m


def parabolic_shift(x):
    """core.pitch._parabolic_interpolation along axis 0, with numba's float64 arithmetic."""
    sh = np.zeros_like(x)
    a = (x[2:] + x[:-2]).astype(np.float64) - 2 * x[1:-1].astype(np.float64)
    b = (x[2:] - x[:-2]).astype(np.float64) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        sh[1:-1] = np.where(np.abs(b) >= np.abs(a), 0.0, -b / a)
    return sh


def estimate_tuning(P):
    avg = np.gradient(P, axis=-2)
    shift = parabolic_shift(P)
    dskew = 0.5 * avg * shift
    pitches = np.zeros_like(P)
    mags = np.zeros_like(P)
    mask = ((150.0 <= FREQ) & (FREQ < min(4000.0, SR / 2)))[:, None]
    ref = 0.1 * np.max(P, axis=-2, keepdims=True)
    idx = np.nonzero(mask & localmax(P * (P > ref)))
    pitches[idx] = (idx[-2] + shift[idx]) * float(SR) / N_FFT
    mags[idx] = P[idx] + dskew[idx]
    pm = pitches > 0
    threshold = np.median(mags[pm]) if pm.any() else 0.0
    f = pitches[(mags >= threshold) & pm]
    f = f[f > 0]
    if not f.size:
        return 0.0
    resid = np.mod(12 * hz_to_octs(f), 1.0)
    resid[resid >= 0.5] -= 1.0
    counts, edges = np.histogram(resid, np.linspace(-0.5, 0.5, 101))
    return edges[np.argmax(counts)]


def chroma_filters(tuning, n_chroma=12, ctroct=5.0, octwidth=2):
    frequencies = np.linspace(0, SR, N_FFT, endpoint=False)[1:]
    frq = n_chroma * hz_to_octs(frequencies, tuning=tuning, bins_per_octave=n_chroma)
    frq = np.concatenate(([frq[0] - 1.5 * n_chroma], frq))
    bw = np.concatenate((np.maximum(frq[1:] - frq[:-1], 1.0), [1]))
    D = np.subtract.outer(frq, np.arange(0, n_chroma, dtype="d")).T
    half = np.round(float(n_chroma) / 2)
    D = np.remainder(D + half + 10 * n_chroma, n_chroma) - half
    w = np.exp(-0.5 * (2 * D / np.tile(bw, (n_chroma, 1))) ** 2)
    w = normalize(w, 2, axis=0)
    w *= np.tile(np.exp(-0.5 * (((frq / n_chroma - ctroct) / octwidth) ** 2)), (n_chroma, 1))
    w = np.roll(w, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(w[:, : int(1 + N_FFT / 2)], dtype=np.float32)


def chroma(S):
    P = S ** 2
    tuning = estimate_tuning(P)
    raw = np.einsum("cf,...ft->...ct", chroma_filters(tuning), P, optimize=True)
    return normalize(raw, np.inf), tuning


def hz_to_mel(f):
    f = np.asanyarray(f, dtype=float)
    logstep = np.log(6.4) / 27.0
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-300) / 1000.0) / logstep, f / (200.0 / 3))


def mel_to_hz(m):
    m = np.asanyarray(m, dtype=float)
    logstep = np.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), (200.0 / 3) * m)


def mel_filters(n_mels=128):
    w = np.zeros((n_mels, 1 + N_FFT // 2), dtype=np.float32)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, FREQ)
    for i in range(n_mels):
        w[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    w *= (2.0 / (mel_f[2: n_mels + 2] - mel_f[:n_mels]))[:, None]
    return w


MEL = mel_filters()


def onset_strength(y):
    S = stft_mag(y)
    D = power_to_db(np.einsum("...ft,mf->...mt", S ** 2, MEL, optimize=True))
    env = np.mean(np.maximum(0.0, D[:, 1:] - D[:, :-1]), axis=0, keepdims=True)
    return np.pad(env, [(0, 0), (1 + N_FFT // (2 * HOP), 0)])[:, : D.shape[1]]


def rms(y):
    yp = np.pad(y, (N_FFT // 2, N_FFT // 2))
    frames = 1 + (len(yp) - N_FFT) // HOP
    x = np.lib.stride_tricks.as_strided(yp, (N_FFT, frames), (yp.itemsize, yp.itemsize * HOP))
    return np.sqrt(np.mean(np.square(np.abs(x)), axis=-2, keepdims=True))


def zero_crossing_rate(y):
    yp = np.pad(y, (N_FFT // 2, N_FFT // 2), mode="edge")
    frames = 1 + (len(yp) - N_FFT) // HOP
    x = np.lib.stride_tricks.as_strided(yp, (N_FFT, frames), (yp.itemsize, yp.itemsize * HOP)).copy()
    x[np.abs(x) <= np.float32(1e-10)] = 0
    sb = np.signbit(x)
    c = np.zeros_like(sb)
    c[1:] = sb[1:] != sb[:-1]
    return np.mean(c, axis=-2, keepdims=True)


def tempo(env, start_bpm=120.0, std_bpm=1.0, max_tempo=320.0):
    win = int(8.0 * SR) // HOP
    n = env.shape[-1]
    e = np.pad(env, [(0, 0), (win // 2, win // 2)], mode="linear_ramp", end_values=[0, 0])
    fr = np.lib.stride_tricks.as_strided(e[0], (win, e.shape[1] - win + 1), (e.itemsize, e.itemsize))[:, :n]
    x = fr * hann(win)[:, None]
    n_pad = scipy.fft.next_fast_len(2 * win - 1, real=True)
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, n=n_pad, axis=0)) ** 2, n=n_pad, axis=0)[:win]
    tg = np.mean(normalize(ac, np.inf, axis=0), axis=-1, keepdims=True)
    bpms = np.zeros(win)
    bpms[0] = np.inf
    bpms[1:] = 60.0 * SR / (HOP * np.arange(1.0, win))
    prior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    prior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    return float(bpms[np.argmax(np.log1p(1e6 * tg) + prior[:, None], axis=0)][0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--ref", default=os.path.join(here, "..", "..", "shared", "reference", "librosa-0.10.2"))
    ap.add_argument("--whole", action="append", default=[], help="CLIP=FILE.npy, the decoded whole clip")
    a = ap.parse_args()
    desc = json.load(open(os.path.join(a.ref, "descriptors.json")))
    whole = dict(w.split("=", 1) for w in a.whole)
    for clip in desc["clips"]:
        y = np.load(os.path.join(a.ref, clip + ".seg0.y.npy"))
        S = stft_mag(y)
        ch, tuning = chroma(S)
        ours = {"chroma_stft": ch, "spectral_centroid": centroid(S), "spectral_bandwidth": bandwidth(S),
                "spectral_rolloff": rolloff(S), "spectral_flatness": flatness(S),
                "spectral_contrast": contrast(S), "rms": rms(y), "zero_crossing_rate": zero_crossing_rate(y),
                "onset_strength": onset_strength(y)}
        for name, v in ours.items():
            r = np.load(os.path.join(a.ref, clip + ".seg0." + name + ".npy"))
            d = np.abs(v - r)
            print(f"{clip} {name:20s} max |diff| {d.max():.3g}, max rel {np.max(d / np.maximum(np.abs(r), 1e-30)):.3g}")
        print(f"{clip} tuning {tuning:.2f}, segment tempo {tempo(onset_strength(y)):.14f} BPM")
        if clip in whole:
            yw = np.load(whole[clip])
            print(f"{clip} whole clip tempo {tempo(onset_strength(yw)):.14f} BPM, "
                  f"descriptors.json {desc['clips'][clip]['tempo_bpm_whole_clip']:.14f}")


if __name__ == "__main__":
    main()
