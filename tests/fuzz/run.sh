#!/usr/bin/env bash
# Run every libFuzzer harness of tests/fuzz for SECONDS each (`make fuzz FUZZ_SECONDS=N` calls this after
# building them in BUILD with -DMC_FUZZ=ON). Each starts from its committed seed corpus
# (tests/fuzz/corpus/NAME, read only; for audio, whose seeds are not committed, BUILD/fuzz-seeds/audio,
# synthesized here by fuzz_make_corpus) plus BUILD/fuzz-corpus/NAME (where new inputs go); any crash, leak,
# undefined behaviour, timeout (30 s for one input) or memory overrun (2 GiB RSS, or one malloc over
# 1 GiB) is a finding: its input is saved under BUILD/fuzz-findings/NAME/ and the run fails.
# Reproduce one with: BUILD/tests/fuzz/fuzz_NAME BUILD/fuzz-findings/NAME/crash-...
# Usage: tests/fuzz/run.sh BUILD SECONDS [NAME...]
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: run.sh BUILD SECONDS [NAME...]}
seconds=${2:?usage: run.sh BUILD SECONDS [NAME...]}
shift 2
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(npy table safetensors model store text audio recipe)

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=0
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# The audio seeds (small synthesized WAV/FLAC/Ogg/MP3/AIFF/AU files and hostile headers) are written
# afresh each run rather than kept in the repository.
"$build/tests/fuzz/fuzz_make_corpus" --audio-only "$build/fuzz-seeds" ||
  { echo "fuzz: could not write the audio seeds into $build/fuzz-seeds" >&2; exit 1; }
failed=()
summary=()
for n in "${names[@]}"; do
  bin=$build/tests/fuzz/fuzz_$n
  [ -x "$bin" ] || { echo "fuzz: $bin is missing (build the 'fuzzers' target)" >&2; exit 1; }
  mkdir -p "$build/fuzz-corpus/$n" "$build/fuzz-findings/$n"
  seeds=()
  [ -d "tests/fuzz/corpus/$n" ] && seeds+=("tests/fuzz/corpus/$n")
  [ -d "$build/fuzz-seeds/$n" ] && seeds+=("$build/fuzz-seeds/$n")
  [ ${#seeds[@]} -gt 0 ] || { echo "fuzz: no seed corpus for $n" >&2; exit 1; }
  log=$build/fuzz-findings/$n.log
  echo "fuzz_$n: ${seconds} s"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-findings/$n/" \
    "$build/fuzz-corpus/$n" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    failed+=("$n")
    summary+=("fuzz_$n: FINDING after ${execs:-?} executions (rc $rc); see $log")
    tail -n 40 "$log" >&2
  else
    summary+=("fuzz_$n: ${execs:-?} executions in ${seconds} s, no finding")
  fi
done
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
