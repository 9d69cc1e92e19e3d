#!/usr/bin/env bash
# Run musiclust and a peer back to back, ROUNDS times alternately (ours first), and print one row:
# the best and median wall time of each side, the ratios peer/ours of the bests and of the medians,
# and trustworthiness when the commands report it. Used by bench/run.sh.
#
#   tools/bench_pair.sh NAME ROUNDS TARGET 'OURS COMMAND' 'PEER COMMAND'
#
# Each command runs one timed repetition and prints a line
#   RESULT <job> best=<s> median=<s> cpu=<s> [trust=<t>] [sklearn=<version>] [blas=<kernel>]
# (bench_cluster/bench_metrics/bench_embed --repeat 1, tools/bench_sklearn.py --repeat 1); the
# commands' other output is shown indented. TARGET is the ratio asked for (printed beside the result).
# Timings on a shared machine are noisy: the ratio of the medians is the steadier figure; the CPU
# times (all threads, spinning included) show the work each side did.
set -uo pipefail
name=$1 rounds=$2 target=$3 ours=$4 peer=$5
ot=() pt=() oc=() pc=() otrust="" ptrust="" pver="" pblas=""
field() { sed -nE "s/.*[ ]$1=([^ ]+).*/\1/p" <<<"$2"; }
for ((r = 1; r <= rounds; r++)); do
    out=$(bash -c "$ours" 2>&1) || { echo "  $name: musiclust failed:"; sed 's/^/    /' <<<"$out"; exit 1; }
    line=$(grep '^RESULT' <<<"$out" | tail -1)
    grep -v '^RESULT' <<<"$out" | sed 's/^/  | /'
    ot+=("$(field best "$line")"); oc+=("$(field cpu "$line")"); t=$(field trust "$line"); [ -n "$t" ] && otrust=$t
    out=$(bash -c "$peer" 2>&1) || { echo "  $name: peer failed:"; sed 's/^/    /' <<<"$out"; exit 1; }
    line=$(grep '^RESULT' <<<"$out" | tail -1)
    grep -v '^RESULT' <<<"$out" | sed 's/^/  | /'
    pt+=("$(field best "$line")"); pc+=("$(field cpu "$line")"); t=$(field trust "$line"); [ -n "$t" ] && ptrust=$t
    pver=$(field sklearn "$line"); pblas=$(field blas "$line")
done
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s", v[1], (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
read -r ob om <<<"$(stats "${ot[@]}")"
read -r pb pm <<<"$(stats "${pt[@]}")"
read -r _ ocm <<<"$(stats "${oc[@]}")"
read -r _ pcm <<<"$(stats "${pc[@]}")"
awk -v n="$name" -v r="$rounds" -v ob="$ob" -v om="$om" -v pb="$pb" -v pm="$pm" -v tg="$target" -v v="$pver" \
    -v bl="$pblas" -v ot="$otrust" -v pt="$ptrust" -v oc="$ocm" -v pc="$pcm" 'BEGIN {
    printf "  %s: musiclust best %.3f s, median %.3f s | scikit-learn %s best %.3f s, median %.3f s (%d rounds, alternating)\n", n, ob, om, v, pb, pm, r
    printf "    -> musiclust %.1fx faster (best/best), %.1fx (median/median); target >= %sx", pb / ob, pm / om, tg
    if (ot != "") printf "; trustworthiness(k=10) musiclust %s, scikit-learn %s", ot, pt
    printf "; scikit-learn'"'"'s OpenBLAS kernel: %s\n", bl
    printf "    (median CPU time, all threads: musiclust %.2f s, scikit-learn %.2f s: %.1fx less work)\n", oc, pc, pc / oc
}'
