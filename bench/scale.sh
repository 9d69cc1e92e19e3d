#!/usr/bin/env bash
# `make bench-scale` (issue 11; not in CI): wall seconds, CPU seconds (user + system, all processes) and
# peak RSS per stage at several corpus sizes, the growth exponent of each stage between sizes, and
# np 1 vs np 2 (1 thread each) for extract, train and k-means.
# The corpus is made without downloads: ../shared/data/gtzan-mini's 100 clips (~5.4 three-second segments
# each) linked many times under new names, ceil(N / 5.37) links for N segments.
# Usage: bench/scale.sh BUILD_DIR [N...]   (default N: 2000 20000 200000)
#   SCALE_WORK=folder (default /tmp); SCALE_NP_MAX=N: the np 2 rows of extract and train and the conv-vae
#   embed only up to N segments (default 20000; at 200,000 segments logmel.npy is 13 GB, and an np 2 extract
#   needs its shards beside the joined store: check the free disk); SCALE_CONV_WINDOW=S: conv-vae training runs one epoch or S seconds,
#   whichever ends first (default 300: one epoch over 200,000 segments is hours on 2 cores), and its row
#   gives the mini-batches done and samples per second (the conv-vae's budget in `run` is fixed too:
#   8,000 samples per seed).
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
WINDOW=${SCALE_CONV_WINDOW:-300}
MPIRUN=$(command -v mpirun || true)
[ -x "$MC" ] || { echo "no $MC: build first"; exit 1; }
[ -d "$DATA" ] || { echo "no $DATA: the corpus is made from it"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
mkdir -p "$W"
OUT=$W/scale.tsv
rm -f "$W/failures.txt"
echo -e "N\tstage\tnp\tthreads\tseconds\tcpu_seconds\tpeak_rss_mb\tnote" > "$OUT"
stage() { # N name np threads cmd...: time one stage; a failing stage is reported and the bench goes on
    local n=$1 name=$2 np=$3 th=$4; shift 4
    local t; t=$(mktemp)
    local rc=0
    local pre=() # a training window: timeout around the whole job (mpirun included); 124 when it ended it
    [ -n "${STAGE_TIMEOUT:-}" ] && pre=(timeout -s INT "$STAGE_TIMEOUT")
    if [ "$np" = 1 ]; then /usr/bin/time -f "%e %U %S %M" -o "$t" "${pre[@]}" "$@" > "$W/last.log" 2>&1 || rc=$?
    else /usr/bin/time -f "%e %U %S %M" -o "$t" "${pre[@]}" "$MPIRUN" --allow-run-as-root --oversubscribe -np "$np" "$@" \
        > "$W/last.log" 2>&1 || rc=$?; fi
    local note=""
    if [ "$rc" = 124 ] && [ -n "${STAGE_TIMEOUT:-}" ]; then rc=0; note="window"; fi
    if [ -n "${STAGE_TIMEOUT:-}" ]; then # mini-batches done (the last progress line of train)
        local done_; done_=$(grep -o '\] *[0-9]*/[0-9]*' "$W/last.log" | tail -1 | tr -d '] ')
        note="${note:+$note, }batches ${done_:-?} (128 rows each)"
    fi
    if [ "$rc" != 0 ]; then
        echo "FAILED ($rc): N $n $name np $np: $(tail -2 "$W/last.log" | tr '\n' ' ')" | tee -a "$W/failures.txt"
        rm -f "$t"
        return 0
    fi
    read -r s u y kb < <(tail -1 "$t")
    rm -f "$t"
    echo -e "$n\t$name\t$np\t$th\t$s\t$(awk -v u="$u" -v y="$y" 'BEGIN { printf "%.2f", u + y }')\t$((kb / 1024))\t$note" | tee -a "$OUT"
}
conv() { # N np threads out: conv-vae training, one epoch or WINDOW seconds (SIGINT), progress kept for the note
    local n=$1 np=$2 th=$3 out=$4
    STAGE_TIMEOUT=$WINDOW stage "$n" train-conv-vae "$np" "$th" "$MC" train --threads "$th" --model conv-vae --epochs 1 \
        --seed 1 "$C/store" -o "$out"
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
    if [ -n "$MPIRUN" ] && [ "$N" -le "$NP_MAX" ]; then # the shards and the joined store: twice the store's disk
        stage "$N" extract 2 1 "$MC" extract -q --threads 1 --no-descriptors "$C/corpus" -o "$C/store2"
        cmp -s "$C/store/logmel.npy" "$C/store2/logmel.npy" || echo "WARNING: np 2 store differs" | tee -a "$W/failures.txt"
        rm -rf "$C/store2"
    fi
    stage "$N" train-vae 1 1 "$MC" train -q --threads 1 --model vae --epochs 2 --seed 1 "$C/store" -o "$C/vae.safetensors"
    conv "$N" 1 2 "$C/conv.safetensors"
    if [ -n "$MPIRUN" ] && [ "$N" -le "$NP_MAX" ]; then
        stage "$N" train-vae 2 1 "$MC" train -q --threads 1 --model vae --epochs 2 --seed 1 "$C/store" -o "$C/vae2.safetensors"
        cmp -s "$C/vae.safetensors" "$C/vae2.safetensors" || echo "WARNING: np 2 vae differs" | tee -a "$W/failures.txt"
        conv "$N" 1 1 "$C/conv1.safetensors"
        conv "$N" 2 1 "$C/conv2.safetensors"
        rm -f "$C"/conv1.safetensors* "$C"/conv2.safetensors* "$C"/vae2.safetensors*
        [ -f "$C/conv.safetensors" ] && stage "$N" embed-conv-vae 1 2 "$MC" embed -q --threads 2 "$C/conv.safetensors" "$C/store" -o "$C/zc.npy"
    fi
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
awk -F'\t' 'NR > 1 && $8 !~ /window/ { k = $2 "\t" $3 "\t" $4; if (k in t) printf "  %-26s np %s threads %s  N %s -> %s: wall %.2f  cpu %.2f\n", $2, $3, $4, n[k], $1, log($5 / t[k]) / log($1 / n[k]), log($6 / c[k]) / log($1 / n[k]); t[k] = $5; c[k] = $6; n[k] = $1 }' "$OUT"
echo "table: $OUT"
[ -s "$W/failures.txt" ] && { echo "failures:"; cat "$W/failures.txt"; }
exit 0
