#!/usr/bin/env bash
# make bench: throughput figures on the real data in ../shared/data (never timed inside tests).
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${MC_DATA:-$ROOT/../shared/data}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
if [ ! -d "$DATA" ]; then echo "bench: $DATA not found (needs ../shared/data)"; exit 1; fi

echo "== extract (decode + soxr resample to 22050 + MFCC 20 + log-mel 128, 3-s segments) =="
# librosa 0.10.2 is not packaged by Debian, so its time is the figure measured on this machine kind
# and given in the project's issue: ~190 ms per 30-s MP3 track (load with soxr ~140 ms + features).
LIBROSA_MS=190
mp3s=("$DATA"/lyrics-en-de/audio/*.mp3)
echo "lyrics-en-de: ${#mp3s[@]} MP3 (30 s, 44.1 kHz stereo)"
"$ROOT/$BUILD/bench_extract" 2 "$OUT/a" "${mp3s[@]:0:50}"
line=$("$ROOT/$BUILD/bench_extract" 2 "$OUT/b" "$DATA/lyrics-en-de/audio")
echo "$line"
ms=$(echo "$line" | sed -E 's/.* ([0-9.]+) ms\/track.*/\1/')
awk -v ms="$ms" -v lib="$LIBROSA_MS" 'BEGIN { printf "  vs librosa (%d ms/track): %.1fx faster\n", lib, lib / ms }'
"$ROOT/$BUILD/bench_extract" 1 "$OUT/c" "$DATA/lyrics-en-de/audio"
echo "gtzan-mini: 100 FLAC (15-20 s, 22.05 kHz mono)"
"$ROOT/$BUILD/bench_extract" 2 "$OUT/d" "$DATA/gtzan-mini"
