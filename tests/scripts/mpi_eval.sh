#!/usr/bin/env bash
# Issue 11: `musiclust evaluate` under `mpirun -np R` (the silhouette shared over the ranks) writes the
# bytes of one process. Usage: mpi_eval.sh MUSICLUST MPIRUN WORK_DIR R
# Synthesises X.npy (3001 rows: 12 tiles of 256, shared unevenly over 2 and 3 ranks), a common space,
# an index.tsv with a genre column and tracks of 3 segments, and k-means labels with some noise rows;
# then evaluates alone and over R ranks: the exact silhouette with the default tiles (SYMMETRIC: the
# rounds of tiles shared out) and with 100-row tiles, the seeded sample (--silhouette-sample 500), and
# with labels, the common space and the track level (several collective silhouettes in one call).
# The CSV, JSON, contingency tables and stdout must be byte-identical. A write that fails on rank 0
# (the output folder does not exist) and an unreadable input must fail every rank with the message,
# no hang.
set -euo pipefail
MC=$1 MPIRUN=$2 W=$3 R=$4
rm -rf "$W" && mkdir -p "$W"
cd "$W"
python3 - <<'PY'
import random, struct
random.seed(7)
n = 3001
def npy(path, rows, d):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), d)
    hdr += ' ' * (64 - (10 + len(hdr) + 1) % 64) + '\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode())
        for r in rows: f.write(struct.pack('<%df' % d, *r))
cls = [(i // 3) % 5 for i in range(n)]  # tracks of 3 segments
npy('X.npy', [[random.gauss(0.8 * cls[i] * (1 + j % 3), 1.0) for j in range(7)] for i in range(n)], 7)
npy('Z.npy', [[random.gauss(0.5 * cls[i], 1.0) for j in range(3)] for i in range(n)], 3)
with open('index.tsv', 'w') as f:
    f.write('segment\ttrack\tpath\tstart_s\tpadded\tgenre\n')
    for i in range(n):
        t = i // 3  # a label per track (some off its cluster, some unlabelled)
        g = ['blues', 'jazz', 'metal', 'pop', ''][(cls[i] + (t % 7 == 0)) % 5]
        f.write('%d\t%d\tt%d.wav\t%d\t0\t%s\n' % (i, t, t, 3 * (i % 3), g if t % 11 else 'rock'))
PY
"$MC" cluster -q --threads 1 --k 5 --seed 1 X.npy -o km.tsv
# a few noise rows (-1): left out of the internal metrics, pooled in the label metrics
awk 'NR > 1 && (NR % 97) == 0 { $2 = -1 } { print $1 "\t" $2 }' km.tsv > assign.tsv
run_np() { # np args...
    local np=$1; shift
    if [ "$np" = 1 ]; then timeout 300 "$MC" "$@"; else
        timeout 300 "$MPIRUN" --allow-run-as-root --oversubscribe -np "$np" "$MC" "$@"; fi
}
fail=0
same() { # label file1 file2
    if cmp -s "$2" "$3"; then echo "  same: $1"; else echo "FAIL: $1: $2 and $3 differ"; diff "$2" "$3" | head -5; fail=1; fi
}
for np in 1 "$R"; do # the same relative paths in np1/ and npR/, so stdout and the JSON can match
    mkdir -p "np$np" && cd "np$np"
    run_np "$np" evaluate --threads 1 --silhouette-sample 0 ../X.npy ../assign.tsv -o exact > exact.out
    run_np "$np" evaluate --threads 2 --silhouette-sample 0 --block 100 ../X.npy ../assign.tsv -o tiles > tiles.out
    run_np "$np" evaluate --threads 1 --silhouette-sample 500 ../X.npy ../assign.tsv -o sample > sample.out
    run_np "$np" evaluate --threads 1 --silhouette-sample 0 --labels ../index.tsv --column genre --common-space ../Z.npy \
        --track-level ../X.npy ../assign.tsv -o labels > labels.out
    cd ..
done
grep -q "seeded sample of 500" "np1/sample.out" || { echo "FAIL: the sampled silhouette is not said"; cat np1/sample.out; fail=1; }
grep -q "silhouette_common" "np1/labels.out" || { echo "FAIL: no common-space silhouette"; cat np1/labels.out; fail=1; }
for f in $(cd np1 && ls); do same "evaluate $f (np 1 vs $R)" "np1/$f" "np$R/$f"; done
[ "$(ls np1 | sort)" = "$(ls "np$R" | sort)" ] || { echo "FAIL: other files over $R ranks"; ls np1 "np$R"; fail=1; }
# rank 0 alone writes; a failing write stops every rank (non-zero, the message, no hang)
set +e
run_np "$R" evaluate -q --threads 1 X.npy assign.tsv -o nodir/m 2> bad.err
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "nodir/m" bad.err; then
    echo "FAIL: a failing write on rank 0 under -np $R: exit $rc (want non-zero, no timeout) and a message"; cat bad.err; fail=1
else echo "  failing write on rank 0: exit $rc on every rank, no hang"; fi
set +e
run_np "$R" evaluate -q --threads 1 missing.npy assign.tsv -o m 2> bad2.err
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "missing.npy" bad2.err; then
    echo "FAIL: a missing input under -np $R: exit $rc (want non-zero, no timeout) and a message"; cat bad2.err; fail=1
else echo "  missing input: exit $rc on every rank, no hang"; fi
exit $fail
