#!/bin/sh
# Issue 17, item 4: the conv-vae's clustering quality against its training epochs. One model (seed 0) is
# trained epoch by epoch (train --resume gives the same bytes as one uninterrupted run); after each
# listed epoch its latent means are embedded and clustered with k-means (k = KCLASSES, seeds 0..2), and
# tools/quality_ami.py-style AMI / ARI / NMI at the track level are printed (needs python3-sklearn).
#   tools/quality_conv_curve.sh MUSICLUST STORE WORKDIR "1 2 4 8 12 16 20" [K [LABEL]]
# LABEL: the index.tsv column scored (default genre; e.g. tag or language for lyrics-en-de).
set -eu
M=$1; STORE=$2; W=$3; EPOCHS=$4; K=${5:-10}; LABEL=${6:-genre}
PY=${PYTHON:-/usr/bin/python3} # Debian's python3 with python3-sklearn (not a pyenv shim)
mkdir -p "$W"
first=1
for e in $EPOCHS; do
    if [ $first = 1 ]; then
        "$M" train -q --model conv-vae --epochs "$e" --seed 0 --threads 2 "$STORE" -o "$W/conv.safetensors"
        first=0
    else
        "$M" train -q --resume --epochs "$e" --threads 2 "$STORE" -o "$W/conv.safetensors"
    fi
    "$M" embed -q --threads 2 "$W/conv.safetensors" "$STORE" -o "$W/conv.e$e.npy"
    for s in 0 1 2; do
        "$M" cluster -q --k "$K" --seed "$s" --reduce raw --threads 1 "$W/conv.e$e.npy" -o "$W/conv.e$e.s$s.tsv"
    done
    "$PY" - "$STORE" "$W" "$e" "$LABEL" <<'PY'
import csv, sys
import numpy as np
from sklearn.metrics import adjusted_mutual_info_score as ami, adjusted_rand_score as ari, normalized_mutual_info_score as nmi
store, w, e, label = sys.argv[1:]
rows = list(csv.DictReader(open(f"{store}/index.tsv", newline=""), delimiter="\t"))
tr = np.array([int(r["track"]) for r in rows]); lab = np.array([r[label] for r in rows])
T = np.unique(tr); tl = np.array([lab[tr == t][0] for t in T]); out = []
for s in range(3):
    c = np.array([int(r["cluster"]) for r in csv.DictReader(open(f"{w}/conv.e{e}.s{s}.tsv", newline=""), delimiter="\t")])
    v = np.array([np.bincount(c[tr == t]).argmax() for t in T])
    out.append((ami(tl, v), ari(tl, v), nmi(tl, v)))
m, sd = np.mean(out, 0), np.std(out, 0)
print(f"conv-vae\t{label}\tepochs {e}\tAMI {m[0]:.3f} ± {sd[0]:.3f}\tARI {m[1]:.3f} ± {sd[1]:.3f}\tNMI {m[2]:.3f} ± {sd[2]:.3f}", flush=True)
PY
done
