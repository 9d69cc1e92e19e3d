#!/usr/bin/env bash
# Issue 11: `musiclust run` under `mpirun -np R` writes the outputs of one process. Usage:
#   mpi_run.sh MUSICLUST MPIRUN WORK_DIR R
# The demo's synthesized corpus (5 styles, metadata with lyrics in two languages: every task's
# representations, lyrics, the mm-vae and the cvae) through `run --fast --seeds 2`, and through the
# conv-beta-vae recipe (batch 128: training shared over the ranks; the randomised PCA of the log-mel),
# alone and over R ranks: every file of the results folders must be byte-identical, except the seconds (the loss tables'
# seconds column, the stage records' timings, timings.tsv, run.json's seconds and processes, the
# report's timing rows). A second run over the ranks into the same folder finds every stage cached
# and changes nothing. A write failing on rank 0 alone (metrics.csv is a folder) and a missing input
# must end every rank non-zero with the message, no hang (timeout 300).
set -euo pipefail
MC=$1 MPIRUN=$2 W=$3 R=$4
rm -rf "$W" && mkdir -p "$W"
cd "$W"
"$MC" demo -q --fast --no-maps --seeds 1 --tracks 3 --seconds 6 --threads 1 -o demo > /dev/null
[ -f demo/corpus/metadata.tsv ] || { echo "FAIL: the demo wrote no corpus"; exit 1; }
run_np() { # np args...
    local np=$1; shift
    if [ "$np" = 1 ]; then timeout 300 "$MC" "$@"; else
        timeout 300 "$MPIRUN" --allow-run-as-root --oversubscribe -np "$np" "$MC" "$@"; fi
}
args=(run --fast --seeds 2 --threads 1 --metadata ../demo/corpus/metadata.tsv ../demo/corpus -o res)
# and a recipe: batch 128 (4 parts of 32 rows: the conv networks' training shared out) and the randomised
# PCA of the log-mel (computed by every rank: it must not depend on a rank's core binding)
rargs=(run --fast --recipe conv-beta-vae --seeds 1 --threads 1 --metadata ../demo/corpus/metadata.tsv ../demo/corpus -o rres)
for np in 1 "$R"; do # the same relative paths in np1/ and npR/, so that the report's title matches
    mkdir -p "np$np" && (cd "np$np" && run_np "$np" "${args[@]}" -q && run_np "$np" "${rargs[@]}" -q)
done
fail=0
# what may differ: seconds (and run.json's process count)
strip() { # file -> the file without its timings, on stdout
    case "$1" in
        *.loss.tsv) cut -f1-7 "$1" ;;
        */stages/*.tsv) grep -Ev '^(seconds|samples_per_s|train_seconds|encode_seconds)	' "$1" ;;
        */run.json) grep -Ev '"(seconds|seconds_when_computed|wall_seconds|processes)": ' "$1" ;;
        */features/lyrics.json) grep -Ev '"seconds": ' "$1" ;;
        */report.html) grep -Ev '<td>(ran|cached)</td>' "$1" ;;
        *) cat "$1" ;;
    esac
}
same_folder() { # RESULTS MIN_FILES: np1/RESULTS and npR/RESULTS hold the same files, the seconds aside
    local res=$1 n=0 f g rel extra
    while IFS= read -r f; do
        rel=${f#np1/$res/}
        [ "$rel" = timings.tsv ] && continue
        g="np$R/$res/$rel"
        if [ ! -f "$g" ]; then echo "FAIL: $res/$rel: written alone, not over $R ranks"; fail=1; continue; fi
        if ! cmp -s <(strip "$f") <(strip "$g"); then
            echo "FAIL: $res/$rel differs (np 1 vs $R)"; diff <(strip "$f") <(strip "$g") | head -4 || true; fail=1
        fi
        n=$((n + 1))
    done < <(find "np1/$res" -type f ! -name '.musiclust.lock' | sort)
    extra=$(cd "np$R/$res" && find . -type f | sed 's|^\./||' | while IFS= read -r r; do [ -f "../../np1/$res/$r" ] || echo "$r"; done)
    [ -z "$extra" ] || { echo "FAIL: over $R ranks, files one process does not write in $res: $extra"; fail=1; }
    [ $n -ge "$2" ] || { echo "FAIL: only $n files of $res compared"; fail=1; }
    echo "  same: $n files of $res (np 1 vs $R), the seconds aside"
    grep -q "\"processes\": $R," "np$R/$res/run.json" || { echo "FAIL: $res/run.json does not say $R processes"; fail=1; }
}
same_folder res 100
same_folder rres 40
grep -q "\"wall_seconds\"" np1/res/run.json || { echo "FAIL: np1 run.json has no wall_seconds"; fail=1; }
# again over the ranks: every stage cached, nothing rewritten
cp np1/res/metrics.csv metrics.before
(cd "np$R" && run_np "$R" "${args[@]}") > again.out
if ! grep -q "stages: 0 ran" again.out; then echo "FAIL: a second run over $R ranks recomputed:"; grep stages: again.out; fail=1
else echo "  second run over $R ranks: every stage cached"; fi
cmp -s metrics.before "np$R/res/metrics.csv" || { echo "FAIL: metrics.csv changed by the cached run"; fail=1; }
# a write failing on rank 0 alone (the evaluate stage again, metrics.csv a folder): every rank ends
mkdir bad && cp -r "np$R/res" bad/res
rm -f bad/res/stages/evaluate.tsv bad/res/metrics.csv
mkdir bad/res/metrics.csv
set +e
(cd bad && run_np "$R" "${args[@]}" -q) 2> bad.err
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "metrics.csv" bad.err; then
    echo "FAIL: a failing write on rank 0 under -np $R: exit $rc (want non-zero, no timeout) and a message"; cat bad.err; fail=1
else echo "  failing write on rank 0: exit $rc, every rank ended, no hang"; fi
set +e
run_np "$R" run -q --fast --threads 1 missing-folder -o missres 2> miss.err
rc=$?
set -e
if [ $rc -eq 0 ] || [ $rc -eq 124 ] || ! grep -q "missing-folder" miss.err; then
    echo "FAIL: a missing input under -np $R: exit $rc (want non-zero, no timeout) and a message"; cat miss.err; fail=1
else echo "  missing input: exit $rc on every rank, no hang"; fi
exit $fail
