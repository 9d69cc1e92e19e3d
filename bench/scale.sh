#!/usr/bin/env bash
# `make bench-scale` (issue 11; not in CI): seconds and peak RSS per stage at several corpus sizes, the
# growth exponent of each stage between sizes, and np 1 vs np 2 (1 thread each) for extract and k-means.
# The corpus is made without downloads: ../shared/data/gtzan-mini's 100 clips (~5.4 three-second segments
# each) linked many times under new names, ceil(N / 5.37) links for N segments.
# Usage: bench/scale.sh BUILD_DIR [N...]   (default N: 2000 20000 200000; SCALE_WORK=folder, default /tmp)
# Writes SCALE_WORK/musiclust-scale/scale.tsv (N, stage, np, seconds, peak_rss_mb) and prints a table.
set -euo pipefail
BUILD=$(cd "$1" && pwd); shift
NS=${*:-2000 20000 200000}
MC=$BUILD/musiclust
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA=$HERE/../shared/data/gtzan-mini
W=${SCALE_WORK:-/tmp}/musiclust-scale
MPIRUN=$(command -v mpirun || true)
[ -x "$MC" ] || { echo "no $MC: build first"; exit 1; }
[ -d "$DATA" ] || { echo "no $DATA: the corpus is made from it"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
mkdir -p "$W"
OUT=$W/scale.tsv
echo -e "N\tstage\tnp\tseconds\tpeak_rss_mb" > "$OUT"
stage() { # N name np cmd...: time one stage (peak RSS of the largest process; for np > 1, of one rank)
    local n=$1 name=$2 np=$3; shift 3
    local t; t=$(mktemp)
    if [ "$np" = 1 ]; then /usr/bin/time -f "%e %M" -o "$t" "$@" > /dev/null 2>&1
    else /usr/bin/time -f "%e %M" -o "$t" "$MPIRUN" --allow-run-as-root --oversubscribe -np "$np" "$@" > /dev/null 2>&1; fi
    read -r s kb < <(tail -1 "$t")
    rm -f "$t"
    echo -e "$n\t$name\t$np\t$s\t$((kb / 1024))" | tee -a "$OUT"
}
clips=("$DATA"/*/*.flac)
for N in $NS; do
    C=$W/n$N
    rm -rf "$C" && mkdir -p "$C/corpus"
    links=$(( (N * 100 + 536) / 537 ))
    for ((i = 0; i < links; i++)); do
        g=$((i / 100)); c=${clips[$((i % 100))]}
        mkdir -p "$C/corpus/c$g"
        ln -s "$c" "$C/corpus/c$g/c${g}_$(basename "$c")"
    done
    stage "$N" extract 1 "$MC" extract -q --threads 1 --no-descriptors "$C/corpus" -o "$C/store"
    if [ -n "$MPIRUN" ]; then
        stage "$N" extract 2 "$MC" extract -q --threads 1 --no-descriptors "$C/corpus" -o "$C/store2"
        cmp -s "$C/store/logmel.npy" "$C/store2/logmel.npy" || echo "WARNING: np 2 store differs"
        rm -rf "$C/store2"
    fi
    stage "$N" train-vae 1 "$MC" train -q --model vae --epochs 2 --seed 1 "$C/store" -o "$C/vae.safetensors"
    stage "$N" train-conv-vae-1epoch 1 "$MC" train -q --model conv-vae --epochs 1 --seed 1 "$C/store" -o "$C/conv.safetensors"
    stage "$N" embed 1 "$MC" embed -q "$C/vae.safetensors" "$C/store" -o "$C/z.npy"
    stage "$N" cluster-kmeans 1 "$MC" cluster -q --threads 1 --k 10 --seed 1 "$C/z.npy" -o "$C/km.tsv"
    [ -n "$MPIRUN" ] && stage "$N" cluster-kmeans 2 "$MC" cluster -q --threads 1 --k 10 --seed 1 "$C/z.npy" -o "$C/km2.tsv"
    stage "$N" cluster-agglomerative 1 "$MC" cluster -q --algo agglomerative --k 10 "$C/z.npy" -o "$C/ag.tsv"
    stage "$N" evaluate 1 "$MC" evaluate -q --labels "$C/store/index.tsv" "$C/z.npy" "$C/km.tsv"
    rm -rf "$C/corpus"
done
echo
echo "growth exponent per stage (log t2/t1 / log N2/N1 between consecutive sizes):"
awk -F'\t' 'NR > 1 { k = $2 "\t" $3; if (k in t) printf "  %-26s np %s  N %s -> %s: %.2f\n", $2, $3, n[k], $1, log($4 / t[k]) / log($1 / n[k]); t[k] = $4; n[k] = $1 }' "$OUT"
echo "table: $OUT"
