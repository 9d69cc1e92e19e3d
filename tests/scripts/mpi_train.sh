#!/usr/bin/env bash
# Issue 11: `musiclust train` under `mpirun -np R` (data-parallel) writes the model bytes of one
# process. Usage: mpi_train.sh MUSICLUST MPIRUN WORK_DIR R
# Synthesises a small corpus of WAV files (python3, no numpy), extracts one store (96 segments), then
# trains alone and over R ranks: vae (3 epochs, --val 0.2 leaves 77 training rows; --batch 70 cuts
# them into parts of 32, 32, 6 rows, then 7, so R = 3 gives every rank a part and R = 2 an uneven
# share; --threads 1 alone vs 2 per rank), the same vae stopped after one epoch and resumed over the
# ranks, and conv-vae (one epoch; parts of 32, 32, 13). Validation rows are shared over the ranks
# too. The model files, the loss tables (the seconds column aside) and embed's output must be
# byte-identical; embed itself over R ranks (latents and --reconstruct, 2 threads per rank) must write
# the bytes of one process. A write that fails on rank 0 only (train: the model path is a folder;
# embed: a missing folder) must fail every rank with its message, no hang.
set -euo pipefail
MC=$1 MPIRUN=$2 W=$3 R=$4
rm -rf "$W" && mkdir -p "$W"
cd "$W"
python3 - <<'PY'
import math, os, random, struct, wave
random.seed(11)
sr = 22050
os.makedirs('corpus', exist_ok=True)
for i in range(12):  # 12 tracks x 24 s = 96 segments of 3 s
    f0 = 110.0 * (1 + i % 4) * (1.5 if i >= 4 else 1.0) * (1.25 if i >= 8 else 1.0)
    w = wave.open('corpus/t%02d.wav' % i, 'wb')
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
    out = bytearray()
    for k in range(sr * 24):
        t = k / sr
        v = 0.3 * math.sin(2 * math.pi * f0 * t * (1 + 0.05 * math.sin(t))) + 0.1 * (random.random() - 0.5)
        if i % 2 and int(t * 4) % 2: v *= 0.3
        out += struct.pack('<h', int(v * 32767))
    w.writeframes(bytes(out)); w.close()
PY
"$MC" extract -q --threads 1 corpus -o store
run_np() { # np threads args...
    local np=$1 t=$2; shift 2
    if [ "$np" = 1 ]; then timeout 300 "$MC" "$@" --threads "$t"; else
        timeout 300 "$MPIRUN" --allow-run-as-root --oversubscribe -np "$np" "$MC" "$@" --threads "$t"; fi
}
fail=0
same() { # label file1 file2
    if cmp -s "$2" "$3"; then echo "  same: $1"; else echo "FAIL: $1: $2 and $3 differ"; fail=1; fi
}
for np in 1 "$R"; do
    t=1; [ "$np" = 1 ] || t=2
    run_np "$np" $t train -q --model vae --epochs 3 --batch 70 --val 0.2 --seed 4 store -o "vae$np.safetensors"
    run_np "$np" $t train -q --model vae --epochs 3 --batch 70 --val 0.2 --seed 4 --stop-after 1 store -o "res$np.safetensors"
    run_np "$np" $t train -q --resume store -o "res$np.safetensors"
    run_np "$np" 1 train -q --model conv-vae --epochs 1 --val 0.2 --seed 2 store -o "conv$np.safetensors"
    for m in vae conv; do "$MC" embed -q --threads 1 "$m$np.safetensors" store -o "z$m$np.npy"; done
    # embed over the ranks (parts of 32 rows shared out, gathered in row order), of the model of one process
    for m in vae conv; do run_np "$np" $t embed -q "${m}1.safetensors" store -o "e${m}_np$np.npy" --reconstruct "r${m}_np$np.npy"; done
    for m in vae res conv; do cut -f1-7 "$m$np.loss.tsv" > "$m$np.loss.nosec"; done
done
same "train vae (np 1 vs $R)" vae1.safetensors "vae$R.safetensors"
same "train vae, stopped and resumed (np 1 vs $R)" res1.safetensors "res$R.safetensors"
same "train vae: resumed = uninterrupted" vae1.safetensors res1.safetensors
same "train conv-vae (np 1 vs $R)" conv1.safetensors "conv$R.safetensors"
for m in vae res conv; do same "$m loss table (np 1 vs $R)" "${m}1.loss.nosec" "$m$R.loss.nosec"; done
for m in vae conv; do same "embed $m (np 1 vs $R)" "z${m}1.npy" "z$m$R.npy"; done
for m in vae conv; do
    same "embed $m over $R ranks (latent)" "e${m}_np1.npy" "e${m}_np$R.npy"
    same "embed $m over $R ranks (reconstructions)" "r${m}_np1.npy" "r${m}_np$R.npy"
done
[ "$(wc -l < vae1.loss.nosec)" = 4 ] || { echo "FAIL: vae1.loss.tsv has not 3 epochs"; fail=1; }
# rank 0 alone writes; when that fails the other ranks stop too (exit non-zero, the message, no hang)
mkdir -p folder.safetensors
set +e
run_np "$R" 1 train -q --model vae --epochs 1 --seed 4 store -o folder.safetensors 2> bad.err
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "folder.safetensors" bad.err; then
    echo "FAIL: a failing write on rank 0 under -np $R: exit $rc (want non-zero, no timeout) and a message"; cat bad.err; fail=1
else echo "  failing write on rank 0: exit $rc on every rank, no hang"; fi
# embed: rank 0 writes; a write failing there stops every rank
set +e
run_np "$R" 1 embed -q vae1.safetensors store -o nodir/z.npy 2> bad_embed.err
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "nodir/z.npy" bad_embed.err; then
    echo "FAIL: embed with a failing write on rank 0 under -np $R: exit $rc (want non-zero, no timeout)"; cat bad_embed.err; fail=1
else echo "  embed, failing write on rank 0: exit $rc on every rank, no hang"; fi
exit $fail
