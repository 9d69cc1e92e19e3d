#!/usr/bin/env bash
# `make bench-scale` (issue 11; not in CI): wall seconds, CPU seconds (user + system, all processes) and
# peak RSS per stage at several corpus sizes, the growth exponent of each stage between sizes, and
# np 1 vs np 2 (1 thread each) for extract, train and k-means.
# The corpus is made without downloads: ../shared/data/gtzan-mini's 100 clips (~5.4 three-second segments
# each) linked many times under new names, ceil(N / 5.37) links for N segments.
# Usage: bench/scale.sh BUILD_DIR [N...]   (default N: 2000 20000 200000)
#   SCALE_WORK=folder (default /tmp); SCALE_NP_MAX=N: the np 2 rows of train only up to N segments
#   (default 20000: two 1-thread conv-vae epochs over 200,000 segments take hours on 2 cores).
# Writes SCALE_WORK/musiclust-scale/scale.tsv (N, stage, np, threads, seconds, cpu_seconds, peak_rss_mb) and
# prints a table. Peak RSS is that of the largest process (for np > 1 of one rank: GNU time's %M of
# mpirun covers its children); a memory-mapped store's pages are page cache, counted in RSS here although
# they are not anonymous memory (issue 11 measures RssAnon separately).
set -euo pipefail
BUILD=$(cd "$1" && pwd); shift
NS=${*:-2000 20000 200000}
MC=$BUILD/musiclust
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA=$HERE/../shared/data/gtzan-mini
W=${SCALE_WORK:-/tmp}/musiclust-scale
NP_MAX=${SCALE_NP_MAX:-20000}
MPIRUN=$(command -v mpirun || true)
[ -x "$MC" ] || { echo "no $MC: build first"; exit 1; }
[ -d "$DATA" ] || { echo "no $DATA: the corpus is made from it"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
mkdir -p "$W"
OUT=$W/scale.tsv
echo -e "N\tstage\tnp\tthreads\tseconds\tcpu_seconds\tpeak_rss_mb" > "$OUT"
stage() { # N name np threads cmd...: time one stage; a failing stage is reported and the bench goes on
    local n=$1 name=$2 np=$3 th=$4; shift 4
    local t; t=$(mktemp)
    local rc=0
    if [ "$np" = 1 ]; then /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" > "$W/last.log" 2>&1 || rc=$?
    else /usr/bin/time -f "%e %U %S %M" -o "$t" "$MPIRUN" --allow-run-as-root --oversubscribe -np "$np" "$@" \
        > "$W/last.log" 2>&1 || rc=$?; fi
    if [ "$rc" != 0 ]; then
        echo "FAILED ($rc): N $n $name np $np: $(tail -2 "$W/last.log" | tr '\n' ' ')" | tee -a "$W/failures.txt"
        rm -f "$t"
        return 0
    fi
    read -r s u y kb < <(tail -1 "$t")
    rm -f "$t"
    echo -e "$n\t$name\t$np\t$th\t$s\t$(awk -v u="$u" -v y="$y" 'BEGIN { printf "%.2f", u + y }')\t$((kb / 1024))" | tee -a "$OUT"
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
    stage "$N" extract 1 1 "$MC" extract -q --threads 1 --no-descriptors "$C/corpus" -o "$C/store"
    if [ -n "$MPIRUN" ]; then
        stage "$N" extract 2 1 "$MC" extract -q --threads 1 --no-descriptors "$C/corpus" -o "$C/store2"
        cmp -s "$C/store/logmel.npy" "$C/store2/logmel.npy" || echo "WARNING: np 2 store differs" | tee -a "$W/failures.txt"
        rm -rf "$C/store2"
    fi
    stage "$N" train-vae 1 1 "$MC" train -q --threads 1 --model vae --epochs 2 --seed 1 "$C/store" -o "$C/vae.safetensors"
    stage "$N" train-conv-vae-1epoch 1 2 "$MC" train -q --threads 2 --model conv-vae --epochs 1 --seed 1 "$C/store" -o "$C/conv.safetensors"
    if [ -n "$MPIRUN" ] && [ "$N" -le "$NP_MAX" ]; then
        stage "$N" train-vae 2 1 "$MC" train -q --threads 1 --model vae --epochs 2 --seed 1 "$C/store" -o "$C/vae2.safetensors"
        cmp -s "$C/vae.safetensors" "$C/vae2.safetensors" || echo "WARNING: np 2 vae differs" | tee -a "$W/failures.txt"
        stage "$N" train-conv-vae-1epoch 1 1 "$MC" train -q --threads 1 --model conv-vae --epochs 1 --seed 1 "$C/store" -o "$C/conv1.safetensors"
        stage "$N" train-conv-vae-1epoch 2 1 "$MC" train -q --threads 1 --model conv-vae --epochs 1 --seed 1 "$C/store" -o "$C/conv2.safetensors"
        cmp -s "$C/conv.safetensors" "$C/conv2.safetensors" || echo "WARNING: np 2 conv-vae differs" | tee -a "$W/failures.txt"
        rm -f "$C"/conv1.safetensors* "$C"/conv2.safetensors* "$C"/vae2.safetensors*
    fi
    stage "$N" embed-conv-vae 1 2 "$MC" embed -q --threads 2 "$C/conv.safetensors" "$C/store" -o "$C/zc.npy"
    stage "$N" embed-vae 1 2 "$MC" embed -q --threads 2 "$C/vae.safetensors" "$C/store" -o "$C/z.npy"
    stage "$N" cluster-kmeans 1 1 "$MC" cluster -q --threads 1 --k 10 --seed 1 "$C/z.npy" -o "$C/km.tsv"
    [ -n "$MPIRUN" ] && stage "$N" cluster-kmeans 2 1 "$MC" cluster -q --threads 1 --k 10 --seed 1 "$C/z.npy" -o "$C/km2.tsv"
    stage "$N" cluster-agglomerative 1 2 "$MC" cluster -q --threads 2 --algo agglomerative --k 10 "$C/z.npy" -o "$C/ag.tsv"
    stage "$N" evaluate 1 2 "$MC" evaluate -q --threads 2 --labels "$C/store/index.tsv" "$C/z.npy" "$C/km.tsv"
    [ -n "$MPIRUN" ] && stage "$N" evaluate 2 1 "$MC" evaluate -q --threads 1 --labels "$C/store/index.tsv" "$C/z.npy" "$C/km.tsv"
    stage "$N" map-umap 1 2 "$MC" map -q --threads 2 --method umap "$C/z.npy" -o "$C/umap.npy"
    stage "$N" map-tsne 1 2 "$MC" map -q --threads 2 --method tsne "$C/z.npy" -o "$C/tsne.npy"
    rm -rf "$C/corpus"
done
echo
echo "growth exponent per stage (log t2/t1 / log N2/N1 between consecutive sizes; wall, then CPU):"
awk -F'\t' 'NR > 1 { k = $2 "\t" $3 "\t" $4; if (k in t) printf "  %-26s np %s threads %s  N %s -> %s: wall %.2f  cpu %.2f\n", $2, $3, $4, n[k], $1, log($5 / t[k]) / log($1 / n[k]), log($6 / c[k]) / log($1 / n[k]); t[k] = $5; c[k] = $6; n[k] = $1 }' "$OUT"
echo "table: $OUT"
[ -s "$W/failures.txt" ] && { echo "failures:"; cat "$W/failures.txt"; }
exit 0
