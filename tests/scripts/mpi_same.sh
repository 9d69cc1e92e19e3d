#!/usr/bin/env bash
# Issue 11: the same commands under `mpirun -np R` write the bytes of one process. Usage:
#   mpi_same.sh MUSICLUST MPIRUN WORK_DIR R DATA_DIR
# Synthesises X.npy and Y.npy (python3, no numpy), then for k-means with one k, the k-means sweep and
# GMMs (full and diag, one and two restarts, a GMM k sweep; GMM shares whole blocks of 4096 rows, so
# Y.npy's 4 blocks give every rank rows at -np 2 and 3, X.npy's 2 blocks leave the third rank none)
# compares ASSIGN.tsv and ASSIGN.json (timings aside) of one process with those of R ranks; extract
# on a small corpus from DATA_DIR/gtzan-mini (with a corrupt file, metadata with unmatched files and
# rows) must write the same store; a failing input must fail every rank (non-zero, no hang) and a
# command that does not run over ranks must refuse (exit 2). Without DATA_DIR: the rest, then exit 77.
set -euo pipefail
MC=$1 MPIRUN=$2 W=$3 R=$4 DATA=${5:-}
rm -rf "$W" && mkdir -p "$W"
cd "$W"
python3 - <<'PY'
import random, struct
random.seed(11)
# X: 6007 rows, 24 chunks of 256, shared unevenly over 2 and 3 ranks; Y: 13001 rows (4 GMM blocks)
for name, n, d, nc in (('X.npy', 6007, 6, 4), ('Y.npy', 13001, 5, 5)):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n, d)
    hdr += ' ' * (64 - (10 + len(hdr) + 1) % 64) + '\n'
    with open(name, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode())
        for i in range(n):
            c = i % nc
            f.write(struct.pack('<%df' % d, *[random.gauss(1.2 * c * (1 + (j % 2)), 1.0 + 0.3 * (c % 2)) for j in range(d)]))
PY
run_np() { # np args...
    local np=$1; shift
    if [ "$np" = 1 ]; then timeout 120 "$MC" "$@"; else
        timeout 120 "$MPIRUN" --allow-run-as-root --oversubscribe -np "$np" "$MC" "$@"; fi
}
fail=0
GMMS="km sweep gmm gmmd gmm2 gmmd2 gsweep"
same() { # label file1 file2
    if cmp -s "$2" "$3"; then echo "  same: $1"; else echo "FAIL: $1: $2 and $3 differ"; diff "$2" "$3" | head -5; fail=1; fi
}
notime() { grep -Ev '"(load|reduce|cluster|sweep|total|processes)": ' "$1" > "$1.notime"; }
for np in 1 "$R"; do # the same relative paths in np1/ and npR/, so the JSON files can match
    mkdir -p "np$np" && cd "np$np"
    run_np "$np" cluster -q --threads 1 --algo kmeans --k 4 --seed 3 ../X.npy -o km.tsv
    run_np "$np" cluster -q --threads 1 --algo kmeans --k-max 5 --n-init 3 --seed 5 ../X.npy -o sweep.tsv
    run_np "$np" cluster -q --threads 1 --algo gmm --k 3 --seed 2 ../X.npy -o gmm.tsv
    run_np "$np" cluster -q --threads 1 --algo gmm --covariance diag --k 3 --seed 2 ../X.npy -o gmmd.tsv
    run_np "$np" cluster -q --threads 2 --algo gmm --k 4 --n-init 2 --seed 4 ../Y.npy -o gmm2.tsv
    run_np "$np" cluster -q --threads 1 --algo gmm --covariance diag --k 5 --n-init 2 --seed 4 ../Y.npy -o gmmd2.tsv
    run_np "$np" cluster -q --threads 1 --algo gmm --k-max 4 --seed 6 ../Y.npy -o gsweep.tsv
    for f in $GMMS; do notime "$f.json"; done
    cd ..
done
# the R-rank run really was R processes (the one line that may differ)
for f in $GMMS; do
    grep -q "\"processes\": $R," "np$R/$f.json" || { echo "FAIL: np$R/$f.json does not say $R processes"; fail=1; }
done
for f in $GMMS; do
    same "$f ASSIGN.tsv (np 1 vs $R)" "np1/$f.tsv" "np$R/$f.tsv"
    same "$f ASSIGN.json (np 1 vs $R)" "np1/$f.json.notime" "np$R/$f.json.notime"
done
same "sweep curve (np 1 vs $R)" np1/sweep.ksweep.tsv "np$R/sweep.ksweep.tsv"
same "GMM sweep curve (np 1 vs $R)" np1/gsweep.ksweep.tsv "np$R/gsweep.ksweep.tsv"
# the GMM cases really ran two covariance types and two restarts (the JSON says so)
grep -q '"covariance": "diag"' np1/gmmd2.json && grep -q '"n_init": 2' np1/gmmd2.json &&
    grep -q '"covariance": "full"' np1/gmm2.json && grep -q '"n_init": 2' np1/gmm2.json ||
    { echo "FAIL: the GMM JSON does not name diag / full with 2 restarts"; fail=1; }
# a failing input fails every rank, with the message, and nothing hangs (timeout 120 above)
set +e
run_np "$R" cluster -q --threads 1 --k 3 missing.npy -o bad.tsv 2> bad.err
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "missing.npy" bad.err; then
    echo "FAIL: a missing input under -np $R: exit $rc (want non-zero, no timeout) and a message naming it"; cat bad.err; fail=1
else echo "  failing input: exit $rc on every rank, no hang"; fi
[ -e bad.tsv ] && { echo "FAIL: bad.tsv written after a failure"; fail=1; }
set +e
run_np "$R" map X.npy -o y.npy 2> refuse.err
rc=$?
set -e
if [ $rc -ne 2 ] || ! grep -q "does not run over several processes" refuse.err; then
    echo "FAIL: map under -np $R: exit $rc (want 2 with a message)"; cat refuse.err; fail=1
else echo "  map refuses to run over ranks (exit 2)"; fi
# extract: the store of R ranks is the store of one process, file for file
if [ -d "$DATA/gtzan-mini" ]; then
    mkdir -p corpus/blues corpus/jazz corpus/metal
    for g in blues jazz metal; do
        for i in 0 1 2; do ln -s "$DATA/gtzan-mini/$g/$g.0000$i.flac" "corpus/$g/$g.0000$i.flac"; done
    done
    echo "not audio" > corpus/jazz/jazz.broken.flac
    printf 'track_id\tmood\nblues.00000\tsad\nblues.00001\tsad\njazz.00000\tcalm\njazz.broken\tcalm\nmetal.00001\tloud\nmetal.00002\tloud\nnothere.1\tx\nnothere.2\ty\njazz.00002\tcalm\n' > meta.tsv
    for np in 1 "$R"; do
        run_np "$np" extract -q --threads 1 corpus -o "store$np"
        run_np "$np" extract -q --threads 1 --metadata meta.tsv corpus -o "mstore$np"
    done
    for st in store mstore; do
        for f in $(ls "${st}1"); do same "extract $st/$f (np 1 vs $R)" "${st}1/$f" "$st$R/$f"; done
        [ "$(ls -A "${st}1" | sort)" = "$(ls -A "$st$R" | sort)" ] || { echo "FAIL: $st: other files (shards left?)"; ls -A "$st$R"; fail=1; }
    done
    grep -q broken store1/skipped.tsv || { echo "FAIL: the corrupt file is not in skipped.tsv"; fail=1; }
    grep -q nothere mstore1/unmatched_metadata.tsv || { echo "FAIL: unmatched rows missing"; fail=1; }
else
    echo "no $DATA/gtzan-mini: extract not compared"
    [ $fail = 0 ] && exit 77
fi
exit $fail
