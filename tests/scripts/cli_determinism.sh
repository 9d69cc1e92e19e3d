#!/usr/bin/env bash
# The CLI promise of issue 9 on real data, for the OpenBLAS kernel the environment gives:
# extract, train (vae, conv-vae one epoch), cluster (k-means) and run --fast with --threads 1 and 2
# must write identical files. Usage: cli_determinism.sh MUSICLUST DATA_DIR WORK_DIR
# (CTest runs it once per kernel, OPENBLAS_CORETYPE set by the ENVIRONMENT property.)
set -euo pipefail
MC=$1 DATA=$2 W=$3
rm -rf "$W" && mkdir -p "$W"
fail=0
same() { # label file1 file2
    if cmp -s "$2" "$3"; then echo "  same: $1"; else echo "FAIL: $1 differs between --threads 1 and 2 ($2 vs $3)"; fail=1; fi
}
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}"
for t in 1 2; do
    "$MC" extract -q --threads $t "$DATA/gtzan-mini" -o "$W/store$t"
done
for f in mfcc_stats.npy logmel.npy index.tsv tracks.tsv; do same "extract $f" "$W/store1/$f" "$W/store2/$f"; done
S=$W/store1
for t in 1 2; do
    "$MC" train -q --model vae --epochs 3 --seed 1 --threads $t "$S" -o "$W/vae$t.safetensors"
    "$MC" train -q --model conv-vae --epochs 1 --seed 1 --threads $t "$S" -o "$W/conv$t.safetensors"
    "$MC" embed -q --threads $t "$W/vae1.safetensors" "$S" -o "$W/z$t.npy"
    "$MC" cluster -q --algo kmeans --k 10 --seed 1 --threads $t "$W/z$t.npy" -o "$W/assign$t.tsv"
    "$MC" run -q --fast --seeds 1 --threads $t "$DATA/gtzan-mini" -o "$W/run$t"
done
same "train vae" "$W/vae1.safetensors" "$W/vae2.safetensors"
same "train conv-vae (1 epoch)" "$W/conv1.safetensors" "$W/conv2.safetensors"
same "embed" "$W/z1.npy" "$W/z2.npy"
same "cluster kmeans" "$W/assign1.tsv" "$W/assign2.tsv"
same "run --fast metrics.csv" "$W/run1/metrics.csv" "$W/run2/metrics.csv"
exit $fail
