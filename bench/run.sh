#!/usr/bin/env bash
# make bench: throughput figures on the real data in ../shared/data (never timed inside tests).
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${MC_DATA:-$ROOT/../shared/data}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
if [ ! -d "$DATA" ]; then echo "bench: $DATA not found (needs ../shared/data)"; exit 1; fi
# For the extra peer rows of k-means and the silhouette: the OpenBLAS kernel this CPU would get if
# Debian's OpenBLAS 0.3.21 recognised it (it picks the generic Prescott kernel otherwise). Only those
# peer child processes get it, and their rows say so; nothing else here sets OPENBLAS_CORETYPE.
PEER_CORETYPE=""
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then PEER_CORETYPE=SkylakeX
elif grep -qw avx2 /proc/cpuinfo 2>/dev/null; then PEER_CORETYPE=Haswell; fi

echo "== extract (decode + soxr resample to 22050 + MFCC 20 + log-mel 128 [+ descriptors], 3-s segments) =="
# librosa 0.10.2 is not packaged by Debian, so its time is the figure measured on this machine kind
# and given in issue 16: 9.78 s for the first 60 MP3 of lyrics-en-de (sorted by name), 2 threads here.
LIBROSA_60_S=9.78
mp3s=("$DATA"/lyrics-en-de/audio/*.mp3)
echo "lyrics-en-de: first 60 of ${#mp3s[@]} MP3 (30 s, 44.1 kHz stereo, decoded by libmpg123 directly), best of 3"
echo "(MFCC + log-mel only, the work librosa's figure is for: --no-descriptors; then with the default descriptors)"
"$ROOT/$BUILD/bench_extract" --reps 3 --no-descriptors --librosa-s "$LIBROSA_60_S" 2 "$OUT/a" "${mp3s[@]:0:60}" |
    tee "$OUT/row_extract.txt"
"$ROOT/$BUILD/bench_extract" --reps 3 2 "$OUT/a" "${mp3s[@]:0:60}"
echo "where the time of that row goes (1 thread, CPU time): libmpg123's decoding alone sets a floor on"
echo "the 2-thread wall time, since its samples must stay libsndfile's (what librosa reads)"
"$ROOT/$BUILD/bench_extract" --stages --reps 3 --librosa-s "$LIBROSA_60_S" 2 "$OUT/g" "${mp3s[@]:0:60}"
echo "lyrics-en-de: all ${#mp3s[@]} MP3, 2 threads, then 1 thread"
"$ROOT/$BUILD/bench_extract" 2 "$OUT/b" "$DATA/lyrics-en-de/audio"
"$ROOT/$BUILD/bench_extract" 1 "$OUT/c" "$DATA/lyrics-en-de/audio"
echo "gtzan-mini: 100 FLAC (15-20 s, 22.05 kHz mono)"
"$ROOT/$BUILD/bench_extract" 2 "$OUT/d" "$DATA/gtzan-mini"
echo "cost of librosa's descriptors (issue 17: <= 1.3x) and of --tempo, 1 thread, CPU time, interleaved:"
echo "gtzan-mini (FLAC: cheap decoding, the worst case)"
"$ROOT/$BUILD/bench_extract" --descriptor-cost --reps 3 1 "$OUT/e" "$DATA/gtzan-mini"
echo "lyrics-en-de, first 60 MP3"
"$ROOT/$BUILD/bench_extract" --descriptor-cost --reps 3 1 "$OUT/f" "${mp3s[@]:0:60}"
echo "decode paths, per track (MP3: libmpg123 direct vs through libsndfile; same samples):"
"$ROOT/$BUILD/bench_audio" "${mp3s[@]:0:60}"

echo "== dsp descriptors vs MFCC + log-mel (per 3-s segment; per gtzan-mini track with decoding), 1 thread, CPU time =="; "$ROOT/$BUILD/bench_dsp" "$ROOT"/../shared/reference/librosa-0.10.2/*.seg0.y.npy "$DATA"/gtzan-mini/*/*.flac

echo "== models: training samples/s vs the PyTorch peer (../shared/peers/torch_vae.py, CPU) =="
"$ROOT/$BUILD/musiclust" extract -q --threads 2 "$DATA/gtzan-mini" -o "$OUT/models_gtzan"
echo "gtzan-mini: 537 segments; MLP vae on mfcc_stats (40 -> 64 -> 4, batch 32), 20 epochs"
line=$("$ROOT/$BUILD/bench_models" 2 "$OUT/models_gtzan" mlp 20)
echo "$line"
peer_rate() { # mean samples/s over the peer's epochs (the first one excluded: warm-up)
    /usr/bin/python3 "$ROOT/../shared/peers/torch_vae.py" "$@" 2>/dev/null |
        sed -nE 's/.*samples_per_s=([0-9.]+).*/\1/p' | awk 'NR > 1 || NR == 0 { s += $1; n++ } END { if (n) printf "%.1f", s / n }'
}
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    torch_mlp=$(peer_rate mlp "$OUT/models_gtzan/mfcc_stats.npy" "$OUT/z_mlp.npy" --epochs 20 --threads 2)
    ours=$(echo "$line" | sed -E 's/.* ([0-9.]+) samples\/s.*/\1/')
    awk -v a="$ours" -v b="$torch_mlp" 'BEGIN { printf "  torch (2 threads): %.1f samples/s -> %.1fx\n", b, a / b }'
else
    echo "  (torch not importable: peer not run)"
fi
echo "conv-vae (reference: 1x128x128 log-mel, 32-64-128-256, latent 32, batch 128), 2 epochs, then the peer"
# ours and the peer back to back on the same store; both figures are training samples per wall-clock
# second of this run (bench_nn below adds CPU-time figures, which depend much less on other processes)
line=$("$ROOT/$BUILD/bench_models" 2 "$OUT/models_gtzan" conv 2)
echo "$line"
conv_ours=$(echo "$line" | sed -E 's/.* ([0-9.]+) samples\/s.*/\1/') conv_torch=""
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    conv_torch=$(peer_rate conv "$OUT/models_gtzan/logmel.npy" "$OUT/z_conv.npy" --epochs 2 --threads 2)
    awk -v a="$conv_ours" -v b="$conv_torch" 'BEGIN { printf "  torch (2 threads, its 2nd epoch): %.1f samples/s -> %.2fx\n", b, a / b }'
fi
echo "conv-vae --precision bf16 (AVX512_BF16 kernels where the CPU has them; fp32 otherwise, as printed), 2 epochs"
"$ROOT/$BUILD/bench_models" 2 "$OUT/models_gtzan" conv 2 bf16

echo "== metrics: exact silhouette, 10 Gaussian blobs, 100,000 x 32 (synthetic), 2 threads =="
# musiclust: own FMA distance tiles (no BLAS); one run with its peak memory and its precision on sampled
# rows, then musiclust and scikit-learn's silhouette_score (float64, pairwise_distances_chunked, OpenBLAS
# dgemm) alternately on the same arrays (tools/bench_pair.sh; MC_BENCH_SIL_ROUNDS rounds, default 2).
"$ROOT/$BUILD/bench_metrics" --threads 2 --save-x "$OUT/sil_x.npy" --save-labels "$OUT/sil_l.npy" | grep -v '^RESULT'
if /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    "$ROOT/tools/bench_pair.sh" "silhouette 100,000 x 32" "${MC_BENCH_SIL_ROUNDS:-2}" 15 \
        "$(printf '%q ' "$ROOT/$BUILD/bench_metrics" --threads 2 --no-precision --repeat 1)" \
        "$(printf '%q ' /usr/bin/python3 "$ROOT/tools/bench_sklearn.py" silhouette "$OUT/sil_x.npy" "$OUT/sil_l.npy")" |
        tee "$OUT/row_silhouette.txt"
    if [ -n "$PEER_CORETYPE" ]; then
        echo "  extra row: the peer's child process alone run with OPENBLAS_CORETYPE=$PEER_CORETYPE (Debian's OpenBLAS"
        echo "  0.3.21 does not recognise this CPU and otherwise uses its generic Prescott kernel); musiclust unchanged"
        "$ROOT/tools/bench_pair.sh" "silhouette 100,000 x 32, peer on $PEER_CORETYPE" 1 15 \
            "$(printf '%q ' "$ROOT/$BUILD/bench_metrics" --threads 2 --no-precision --repeat 1)" \
            "OPENBLAS_CORETYPE=$PEER_CORETYPE $(printf '%q ' /usr/bin/python3 "$ROOT/tools/bench_sklearn.py" silhouette "$OUT/sil_x.npy" "$OUT/sil_l.npy")"
    fi
else
    echo "  (scikit-learn not importable: python3-sklearn missing, no peer row)"
fi

echo "== nn: one training step of the reference conv beta-VAE (batch 128) and the MLP VAE (batch 32), 2 threads =="
# Prints samples/s (wall and CPU-time), GFLOP/s against the measured FMA peak, peak RSS, a per-layer time
# breakdown, and PyTorch (torch_vae.py conv on the same random data) measured in the same run, three
# rounds of ours + peer back to back with each round's ratio, the best and the median. The MLP ratio
# uses PyTorch's figure measured earlier on this machine kind (the models section above measures it in
# this run). Random inputs: needs no data.
peer=()
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    peer=(--peer "$ROOT/../shared/peers/torch_vae.py" --peer-samples 128)
    # also the peer with OpenBLAS's AVX-512 kernel forced for that child (comparison only, said in the output)
    if grep -q avx512f /proc/cpuinfo; then peer+=(--peer-coretype SkylakeX); fi
fi
"$ROOT/$BUILD/bench_nn" --threads 2 --batch 128 --steps 3 --rounds 3 "${peer[@]}"
echo "-- the same step with --precision bf16 (the six 32-256-channel conv layers; no peer) --"
"$ROOT/$BUILD/bench_nn" --threads 2 --batch 128 --steps 2 --mlp-seconds 0.5 --precision bf16 | grep -v "^  step "

echo "== cluster (10 Gaussian blobs, 32 dims, synthetic: k-means on 100,000 points; Ward, single, average, DBSCAN, GMM on 20,000) =="
# k-means (own kernels, no BLAS) and scikit-learn's KMeans(10, n_init=10) alternately on the same points
# (tools/bench_pair.sh; MC_BENCH_ROUNDS rounds, default 3); then the other algorithms once.
"$ROOT/$BUILD/bench_cluster" 2 "$OUT/blobs.npy" --kmeans-only --repeat 1 >/dev/null
if /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    "$ROOT/tools/bench_pair.sh" "k-means 100,000 x 32, k = 10, n_init = 10" "${MC_BENCH_ROUNDS:-3}" 3 \
        "$(printf '%q ' "$ROOT/$BUILD/bench_cluster" 2 --kmeans-only --repeat 1)" \
        "$(printf '%q ' /usr/bin/python3 "$ROOT/tools/bench_sklearn.py" kmeans "$OUT/blobs.npy")" |
        tee "$OUT/row_kmeans.txt"
    if [ -n "$PEER_CORETYPE" ]; then
        echo "  extra row: the peer's child process alone run with OPENBLAS_CORETYPE=$PEER_CORETYPE; musiclust unchanged"
        "$ROOT/tools/bench_pair.sh" "k-means, peer on $PEER_CORETYPE" "${MC_BENCH_ROUNDS:-3}" 3 \
            "$(printf '%q ' "$ROOT/$BUILD/bench_cluster" 2 --kmeans-only --repeat 1)" \
            "OPENBLAS_CORETYPE=$PEER_CORETYPE $(printf '%q ' /usr/bin/python3 "$ROOT/tools/bench_sklearn.py" kmeans "$OUT/blobs.npy")"
    fi
else
    "$ROOT/$BUILD/bench_cluster" 2 --kmeans-only --repeat 3 | grep -v '^RESULT'
    echo "  (scikit-learn not importable: python3-sklearn missing, no peer row)"
fi
"$ROOT/$BUILD/bench_cluster" 2 --skip-kmeans
t0=$(date +%s.%N)
"$ROOT/$BUILD/musiclust" cluster --quiet --k 10 --n-init 10 --threads 2 "$OUT/blobs.npy" -o "$OUT/blobs.tsv"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  musiclust cluster --k 10 (whole command: load, k-means, write; 100,000 x 32): %.3f s\n", b - a }'

echo "== text: lyrics embedding of lyrics-en-de (language id + word & char_wb TF-IDF + randomised SVD to 64) =="
# bench_text prints the best / median of 5 runs and a breakdown by stage; the scikit-learn 1.2 figure is
# the same TF-IDF (word + char_wb 2..4, sublinear, min_df 2) + TruncatedSVD(64) pipeline run here (it
# has no language identification; musiclust's time includes it).
"$ROOT/$BUILD/bench_text" "$DATA/lyrics-en-de/metadata.tsv" 2 5
"$ROOT/$BUILD/bench_text" "$DATA/lyrics-en-de/metadata.tsv" 1 5
if /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    /usr/bin/python3 - "$DATA/lyrics-en-de/metadata.tsv" <<'PY' 2>/dev/null || echo "  (scikit-learn run failed)"
import csv, sys, time, warnings
import numpy as np, scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.decomposition import TruncatedSVD
warnings.simplefilter("ignore")
csv.field_size_limit(1 << 30)
docs = [r["lyrics"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8", newline=""), delimiter="\t")]
best = 1e9
for _ in range(3):
    t = time.perf_counter()
    W = TfidfVectorizer(analyzer="word", sublinear_tf=True, min_df=2).fit_transform(docs)
    C = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2).fit_transform(docs)
    TruncatedSVD(64, random_state=0).fit_transform(sp.hstack([W / np.sqrt(2), C / np.sqrt(2)]).tocsr())
    best = min(best, time.perf_counter() - t)
print(f"  scikit-learn {__import__('sklearn').__version__} TfidfVectorizer x2 + TruncatedSVD(64) here: {best:.3f} s (best of 3)")
PY
else
    echo "  (scikit-learn not importable: no peer figure)"
fi

echo "== plot: each report chart rendered to an in-memory 800 x 600 PNG (best of 3), synthetic data =="
# The peer is matplotlib 3.6 (Agg, Debian python3-matplotlib) drawing the same figures at 8 x 6 in,
# 100 dpi; each line gives musiclust's time and the ratio (matplotlib time / musiclust time).
"$ROOT/$BUILD/bench_plot" 3 | tee "$OUT/plot.txt"
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
    /usr/bin/python3 - "$OUT/plot.txt" <<'PY' 2>/dev/null || echo "  (matplotlib run failed)"
import io, re, sys, time
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
ours = {m.group(1).strip(): float(m.group(2)) for m in
        (re.match(r"plot (.+?)\s+([0-9.]+) ms", l) for l in open(sys.argv[1])) if m}
rng = np.random.default_rng(0)
def best(draw):
    t_best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        fig = draw()
        fig.savefig(io.BytesIO(), format="png", dpi=100)
        plt.close(fig)
        t_best = min(t_best, time.perf_counter() - t)
    return t_best * 1e3
def scatter(n):
    k = np.arange(n) % 11 - 1
    c = np.where(k[:, None] < 0, 0, 8 * np.stack([np.cos(k * 0.63), np.sin(k * 0.63)], 1))
    xy = c + 1.5 * rng.standard_normal((n, 2))
    def draw():
        fig, ax = plt.subplots(figsize=(8, 6))
        for j in range(-1, 10):
            m = k == j
            ax.scatter(xy[m, 0], xy[m, 1], s=4 if n > 10000 else 20, alpha=0.5 if n > 10000 else 0.8,
                       label=str(j), linewidths=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1)); ax.set_title("scatter")
        fig.tight_layout(); return fig
    return draw
def heatmap():
    a = rng.integers(0, 12, (11, 10))
    fig, ax = plt.subplots(figsize=(8, 6))
    im = ax.imshow(a, cmap="Blues", aspect="auto"); fig.colorbar(im)
    for i in range(11):
        for j in range(10):
            ax.text(j, i, str(a[i, j]), ha="center", va="center")
    ax.set_title("heatmap"); fig.tight_layout(); return fig
def spectrogram():
    s = -80 + 70 * np.exp(-np.arange(128) / 30.0)[:, None] + 3 * rng.standard_normal((2, 128, 130))
    fig, axs = plt.subplots(1, 2, figsize=(8, 6))
    for ax, d in zip(axs, s):
        im = ax.imshow(d, origin="lower", aspect="auto", cmap="magma", interpolation="nearest")
    fig.colorbar(im, ax=axs); return fig
def line():
    e = np.arange(1, 101)
    fig, ax = plt.subplots(figsize=(8, 6))
    for j in range(4):
        ax.plot(e, 50 * np.exp(-e / (15 + j)) + 20, "--" if j % 2 else "-", label=str(j))
    ax.legend(); ax.set_title("line"); fig.tight_layout(); return fig
def bar():
    v = rng.random((5, 4)) - 0.2
    fig, ax = plt.subplots(figsize=(8, 6))
    for j in range(4):
        b = ax.bar(np.arange(5) + j * 0.2, v[:, j], 0.2, yerr=0.05, capsize=3, label=str(j))
        ax.bar_label(b, fmt="%.3g")
    ax.axhline(0, color="k"); ax.legend(); fig.tight_layout(); return fig
peer = {"scatter 100k (png)": best(scatter(100000)), "scatter 3k (png)": best(scatter(3000)),
        "heatmap 11x10 (png)": best(heatmap), "spectrogram 2x128x130 (png)": best(spectrogram),
        "line 4x100 (png)": best(line), "bar 5x4 (png)": best(bar)}
for name, ms in peer.items():
    if name in ours:
        print(f"  matplotlib {matplotlib.__version__} {name}: {ms:.1f} ms -> musiclust {ms / ours[name]:.1f}x faster")
PY
else
    echo "  (matplotlib not importable: no peer figure)"
fi

echo "== generate: iSTFT, Griffin-Lim (32 iterations), mel inversion (200 FISTA steps) per 3-s clip, 1 thread =="
# The peer is librosa 0.10.2's istft / griffinlim / feature.inverse.mel_to_stft written out with numpy and
# scipy (tools/make_generate_fixtures.py; librosa itself is not packaged by Debian): same algorithms, same
# clips; its nnls is librosa's pinv + scipy L-BFGS-B.
REFCLIPS=("$ROOT"/../shared/reference/librosa-0.10.2/*.seg0.y.npy)
"$ROOT/$BUILD/bench_generate" --reps 5 "${REFCLIPS[@]}"
/usr/bin/python3 "$ROOT/tools/make_generate_fixtures.py" --bench 2>/dev/null || echo "  (numpy peer run failed)"

echo "== mm-vae (audio + lyrics): training samples/s vs the PyTorch peer of the same network (tools/mm_vae_peer.py) =="
"$ROOT/$BUILD/musiclust" extract -q --threads 2 --metadata "$DATA/lyrics-en-de/metadata.tsv" "$DATA/lyrics-en-de/audio" \
    -o "$OUT/mm"
"$ROOT/$BUILD/musiclust" lyrics -q --threads 2 --metadata "$DATA/lyrics-en-de/metadata.tsv" -o "$OUT/mm"
echo "lyrics-en-de: 2920 segments; mfcc_stats 40 + lyrics 64, batch 32, 20 epochs, 1 thread"
for fusion in concat poe; do
    line=$("$ROOT/$BUILD/bench_mm" 1 "$OUT/mm" $fusion 20)
    echo "$line"
    if /usr/bin/python3 -c "import torch" 2>/dev/null; then
        peer=$(/usr/bin/python3 "$ROOT/tools/mm_vae_peer.py" "$OUT/mm" --fusion $fusion --epochs 20 --threads 1 2>/dev/null)
        echo "$peer"
        ours=$(echo "$line" | sed -E 's/.* ([0-9.]+) samples\/s.*/\1/')
        theirs=$(echo "$peer" | sed -E 's/.* ([0-9.]+) samples\/s.*/\1/')
        awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "  -> musiclust %.1fx the torch peer\n", a / b }'
    else
        echo "  (torch not importable: peer not run)"
    fi
done

echo "== embed: t-SNE (Barnes-Hut) and UMAP on 10 Gaussian blobs, 10,000 x 32 (synthetic), 2 threads =="
# UMAP: 3 runs, against umap-learn 0.5.5's figure from issue 16 (10.7 s, trustworthiness 0.9519 on this
# machine kind): umap-learn is not packaged by Debian, so it is not run here. t-SNE: musiclust and
# scikit-learn's TSNE (perplexity 30, 1000 iterations, init pca, learning rate auto) alternately on the
# same points (tools/bench_pair.sh; MC_BENCH_TSNE_ROUNDS rounds, default 2), with trustworthiness (k = 10).
"$ROOT/$BUILD/bench_embed" --threads 2 --repeat 3 --method umap --save-x "$OUT/embed_x.npy" | grep -v '^RESULT' |
    tee "$OUT/row_umap.txt"
if /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    "$ROOT/tools/bench_pair.sh" "t-SNE 10,000 x 32" "${MC_BENCH_TSNE_ROUNDS:-2}" 5 \
        "$(printf '%q ' "$ROOT/$BUILD/bench_embed" --threads 2 --repeat 1 --method tsne)" \
        "$(printf '%q ' /usr/bin/python3 "$ROOT/tools/bench_sklearn.py" tsne "$OUT/embed_x.npy")" |
        tee "$OUT/row_tsne.txt"
else
    "$ROOT/$BUILD/bench_embed" --threads 2 --repeat 3 --method tsne | grep -v '^RESULT'
    echo "  (scikit-learn not importable: python3-sklearn missing, no peer row)"
fi

# Issue 16's table, every row from this run (the figures printed above, collected): ratio = peer time /
# musiclust time (median/median for the alternating pairs); the librosa and umap-learn rows are against
# the issue's reference figures, since neither is a Debian package.
echo "== issue 16: summary of this run =="
pair_row() { # NAME FILE: the median/median ratio and trustworthiness of a tools/bench_pair.sh row
    if [ -s "$2" ] && grep -q -- '-> musiclust' "$2"; then
        r=$(sed -nE 's/.*\(best\/best\), ([0-9.]+x) \(median\/median\); target >= ([0-9.]+x).*/\1 scikit-learn, same run (target >= \2)/p' "$2")
        t=$(sed -nE 's/.*trustworthiness\(k=10\) musiclust ([0-9.]+), scikit-learn ([0-9.]+).*/; trustworthiness musiclust \1, scikit-learn \2/p' "$2")
        printf '  %-44s %s\n' "$1" "$r$t"
    else
        printf '  %-44s %s\n' "$1" "no peer row (python3-sklearn missing or the peer failed)"
    fi
}
awk -v a="${conv_ours:-0}" -v b="${conv_torch:-0}" 'BEGIN { if (b > 0) printf "  %-44s %.1f samples/s, %.1fx PyTorch, same run (target >= 200 samples/s and >= 4x)\n", "conv beta-VAE train, batch 128", a, a / b;
    else printf "  %-44s %.1f samples/s, no PyTorch row (python3-torch missing)\n", "conv beta-VAE train, batch 128", a }'
printf '  %-44s %s\n' "extract, 60 MP3" "$(sed -nE 's/.*vs librosa 0.10.2 .*: ([0-9.]+x) faster.*/\1 librosa 0.10.2 (reference figure 9.78 s; target >= 15x)/p' "$OUT/row_extract.txt")"
pair_row "k-means k=10 n_init=10, 100,000 x 32" "$OUT/row_kmeans.txt"
pair_row "silhouette, 100,000 x 32" "$OUT/row_silhouette.txt"
pair_row "t-SNE 10,000 x 32, perplexity 30, 1000 it" "$OUT/row_tsne.txt"
printf '  %-44s %s\n' "UMAP 10,000 x 32" "$(sed -nE 's/.*: ([0-9.]+x) faster \(target: keep >= 5x\).*/\1 umap-learn 0.5.5 (reference figure 10.7 s; keep >= 5x)/p' "$OUT/row_umap.txt" | head -1)"

echo "== recipes: every built-in recipe, fully (run --recipe NAME), wall time of each =="
# (a)-(c) on gtzan-mini, (d) on lyrics-en-de with its metadata; (e) easy..all on gtzan-mini. The conv
# recipes train two conv models x 3 seeds x 35 epochs: expect the longest entries here.
for r in mfcc-vae linear-vae conv-beta-vae easy medium hard all; do
    t0=$(date +%s.%N)
    "$ROOT/$BUILD/musiclust" run -q --threads 2 --recipe "$r" --no-report "$DATA/gtzan-mini" -o "$OUT/recipe_$r"
    awk -v a="$t0" -v b="$(date +%s.%N)" -v r="$r" 'BEGIN { printf "  %-16s gtzan-mini   %8.1f s\n", r, b - a }'
done
t0=$(date +%s.%N)
"$ROOT/$BUILD/musiclust" run -q --threads 2 --recipe multimodal-cvae --no-report --metadata "$DATA/lyrics-en-de/metadata.tsv" \
    "$DATA/lyrics-en-de/audio" -o "$OUT/recipe_mm"
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "  %-16s lyrics-en-de %8.1f s\n", "multimodal-cvae", b - a }'
