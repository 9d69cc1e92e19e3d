#!/usr/bin/env bash
# Fault tests of issue 15 through the CLI: nothing lost under faults.
#   faults.sh MUSICLUST WORK_DIR lock|kill|disk|oom
# lock  two writers into one output: the second refuses at once (run, extract, train); a stale lock of
#       a dead process on this host is taken over and said in the log; another host's lock is refused
# kill  `run` killed with SIGKILL at 10 seeded random moments (twice per round: the first run and the
#       resume), then resumed to the end: metrics.csv, models, latents and features byte-identical to an
#       uninterrupted run, no temp file left behind
# disk  extract, train and run on a small tmpfs (mounted here; root needed: a mount failure is a test
#       failure, never a skip) that fills mid-way: exit 1 naming the file and "no space left", no
#       file that looks complete, and after space is freed the rerun ends with the reference bytes
# oom   commands under `ulimit -v` (train, cluster, map): a clean exit 1 with one line "out of memory ...
#       N bytes" naming what was being allocated (layer, file, or the allocator's buffer, function and
#       file:line), no crash, no output; and extract stays within the limit (streaming decode)
# The audio is synthesized here (python3's wave module, seeded): 4 styles x 5 tracks x 6 s.
set -uo pipefail
MC=$1 W=$2 WHAT=$3
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "  ok: $*"; }
rm -rf "$W" && mkdir -p "$W"
W=$(cd "$W" && pwd)

synth() { # DIR: 20 short WAV files in 4 style folders
    python3 - "$1" <<'EOF'
import math, os, random, struct, sys, wave
root = sys.argv[1]
rng = random.Random(15)
sr = 22050
for s, style in enumerate(["tones", "noise", "pulses", "chords"]):
    os.makedirs(os.path.join(root, style), exist_ok=True)
    for k in range(5):
        f0 = 110 * 2 ** (rng.randrange(24) / 12)
        n = 6 * sr
        out = bytearray()
        ph = 0.0
        for i in range(n):
            t = i / sr
            if s == 0:
                v = 0.5 * math.sin(2 * math.pi * f0 * t)
            elif s == 1:
                v = 0.3 * (rng.random() * 2 - 1)
            elif s == 2:
                v = (0.6 if (i % (sr // 4)) < 800 else 0.0) * math.sin(2 * math.pi * f0 * 2 * t)
            else:
                v = 0.2 * (math.sin(2 * math.pi * f0 * t) + math.sin(2 * math.pi * f0 * 1.25 * t)
                           + math.sin(2 * math.pi * f0 * 1.5 * t))
            out += struct.pack("<h", int(max(-1, min(1, v + 0.01 * (rng.random() - 0.5))) * 32000))
        with wave.open(os.path.join(root, style, "%s%02d.wav" % (style, k)), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(sr)
            w.writeframes(bytes(out))
EOF
}
A=$W/audio
synth "$A" || { echo "FAIL: cannot synthesize the test audio"; exit 1; }
RUN=(run -q --fast --task easy --seeds 2 --threads 1)

# files whose bytes must match: metrics.csv, models, latents, the store's arrays and index
compare_run() { # REF GOT LABEL
    local n=0 f
    for f in metrics.csv models/*.safetensors latents/*.npy features/*.npy features/index.tsv; do
        for r in "$1"/$f; do
            local rel=${r#"$1"/}
            n=$((n + 1))
            cmp -s "$r" "$2/$rel" || { bad "$3: $rel differs from the uninterrupted run"; return 1; }
        done
    done
    [ "$n" -ge 6 ] || { bad "$3: only $n reference files"; return 1; }
    return 0
}
no_tmp() { # DIR LABEL
    local left
    left=$(find "$1" -name '*.tmp.*' | head -3)
    [ -z "$left" ] || { bad "$2: temp files left: $left"; return 1; }
    return 0
}
now_ms() { date +%s%3N; }
# hold FILE: flock(2) it for 20 s in one process (as a running musiclust would), until killed
# (FILE.held appears once the lock is taken: wait_held FILE)
hold() { exec python3 -c 'import fcntl, sys, time; f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[1] + ".held", "w").close(); time.sleep(20)' "$1"; }
wait_held() { for _ in $(seq 500); do [ -e "$1.held" ] && return 0; sleep 0.02; done; echo "FAIL: the lock holder did not start"; exit 1; }

case $WHAT in
# ------------------------------------------------------------------------------------------- lock
lock)
    R=$W/res
    "$MC" "${RUN[@]}" "$A" -o "$R" > "$W/first.log" 2>&1 &
    first=$!
    for _ in $(seq 200); do [ -s "$R/.musiclust.lock" ] && break; sleep 0.02; done
    t0=$(now_ms)
    "$MC" "${RUN[@]}" "$A" -o "$R" > "$W/second.log" 2>&1
    rc=$? dt=$(( $(now_ms) - t0 ))
    if kill -0 $first 2>/dev/null; then
        [ $rc -eq 1 ] && grep -q "in use by another musiclust process (pid $first on host" "$W/second.log" \
            && [ $dt -lt 3000 ] && ok "second run refused in $dt ms: $(head -1 "$W/second.log")" \
            || bad "second run: rc $rc after $dt ms: $(cat "$W/second.log")"
    else
        bad "the first run ended before the second started (cannot test the refusal)"
    fi
    wait $first || bad "first run failed: $(tail -3 "$W/first.log")"
    [ ! -e "$R/.musiclust.lock" ] && ok "lock file removed at the end" || bad "lock file left after the run"
    # a stale lock of a dead process on this host: taken over, said in the log
    sh -c 'exit 0' & dead=$!; wait $dead
    echo "$dead $(hostname)" > "$R/.musiclust.lock"
    "$MC" "${RUN[@]}" "$A" -o "$R" > "$W/stale.log" 2>&1 \
        && grep -q "took over the stale lock .* left by pid $dead" "$W/stale.log" \
        && ok "stale lock taken over: $(grep -m1 'stale lock' "$W/stale.log")" \
        || bad "stale lock: $(cat "$W/stale.log")"
    # a lock written on another host (no flock here): refused, telling what to do
    echo "4242 some-other-host" > "$R/.musiclust.lock"
    "$MC" "${RUN[@]}" "$A" -o "$R" > "$W/host.log" 2>&1
    rc=$?
    [ $rc -eq 1 ] && grep -q "locked by pid 4242 on host some-other-host" "$W/host.log" \
        && ok "another host's lock refused" || bad "other host: rc $rc: $(cat "$W/host.log")"
    rm -f "$R/.musiclust.lock"
    # extract into one store and train to one model while a live process holds the lock (`hold`
    # locks it like a running musiclust; the file says who)
    S=$W/store
    mkdir -p "$S"
    echo "$$ $(hostname)" > "$S/.musiclust.lock"
    hold "$S/.musiclust.lock" & holder=$!
    wait_held "$S/.musiclust.lock"
    "$MC" extract -q "$A" -o "$S" > "$W/extract.log" 2>&1
    rc=$?
    [ $rc -eq 1 ] && grep -q "feature store .* is in use by another musiclust process (pid $$" "$W/extract.log" \
        && ok "extract refused: $(head -1 "$W/extract.log")" || bad "extract: rc $rc: $(cat "$W/extract.log")"
    kill $holder; wait $holder 2>/dev/null
    rm -f "$S/.musiclust.lock.held"
    "$MC" extract -q "$A" -o "$S" > "$W/extract2.log" 2>&1 && grep -q "took over the stale lock" "$W/extract2.log" \
        && ok "extract after the holder ended: stale lock taken over" || bad "extract after: $(cat "$W/extract2.log")"
    M=$W/m.safetensors
    echo "$$ $(hostname)" > "$M.lock"
    hold "$M.lock" & holder=$!
    wait_held "$M.lock"
    "$MC" train -q --epochs 2 "$S" -o "$M" > "$W/train.log" 2>&1
    rc=$?
    [ $rc -eq 1 ] && grep -q "model .* is in use by another musiclust process" "$W/train.log" && [ ! -e "$M" ] \
        && ok "train refused: $(head -1 "$W/train.log")" || bad "train: rc $rc: $(cat "$W/train.log")"
    kill $holder; wait $holder 2>/dev/null
    ;;
# ------------------------------------------------------------------------------------------- kill -9
kill)
    t0=$(now_ms)
    "$MC" "${RUN[@]}" "$A" -o "$W/ref" > "$W/ref.log" 2>&1 || { bad "reference run: $(tail -3 "$W/ref.log")"; exit 1; }
    T=$(( $(now_ms) - t0 ))
    echo "uninterrupted run: $T ms"
    RANDOM=15 # the kill moments are seeded: the same 20 moments every time
    killed=0
    for i in $(seq 10); do
        R=$W/k$i
        rm -rf "$R"
        moments=""
        for attempt in 1 2; do # kill the first run, then kill the resume too
            ms=$(( (RANDOM * 32768 + RANDOM) % (T + 1) ))
            "$MC" "${RUN[@]}" "$A" -o "$R" > "$W/k$i.$attempt.log" 2>&1 &
            pid=$!
            sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
            if kill -9 $pid 2>/dev/null; then alive=1; else alive=0; fi
            wait $pid 2>/dev/null
            moments="$moments ${ms}ms ($(ls "$R/stages" 2>/dev/null | grep -c '') stages done$([ $alive = 1 ] || echo ', had ended'))"
            killed=$((killed + alive))
        done
        "$MC" "${RUN[@]}" "$A" -o "$R" > "$W/k$i.final.log" 2>&1 || { bad "round $i: the rerun failed: $(tail -3 "$W/k$i.final.log")"; continue; }
        compare_run "$W/ref" "$R" "round $i (killed at$moments)" && no_tmp "$R" "round $i" \
            && ok "round $i: killed at$moments; resumed: identical"
    done
    [ $killed -ge 10 ] && ok "$killed of 20 kills hit a running process" || bad "only $killed of 20 kills hit a running process"
    ;;
# ------------------------------------------------------------------------------------------- disk full
disk)
    M=$W/mnt
    mkdir -p "$M"
    if ! mount -t tmpfs -o size=16m tmpfs "$M"; then
        echo "FAIL: cannot mount a tmpfs at $M (the disk-full test needs root and mount(8))"
        exit 1
    fi
    trap 'umount "$M" 2>/dev/null || umount -l "$M"' EXIT
    avail() { df -B1 --output=avail "$M" | tail -1 | tr -d ' '; }
    fill_to() { # leave BYTES free
        rm -f "$M/filler"
        local a; a=$(avail)
        [ "$a" -gt "$1" ] && head -c $((a - $1)) /dev/zero > "$M/filler" 2>/dev/null
        sync
        echo "    free: $(avail) bytes (asked $1)"
    }
    full_msg() { # LOG FILE-PATTERN LABEL
        grep -qi "no space left" "$1" && grep -q "$2" "$1" && ok "$3 failed: $(grep -i -m1 'no space left' "$1")" \
            || bad "$3: no message naming $2 and 'no space left': $(cat "$1")"
    }
    # references on the ordinary disk
    "$MC" extract -q --threads 1 "$A" -o "$W/ref_store" > "$W/ref.log" 2>&1 || { bad "reference extract: $(cat "$W/ref.log")"; exit 1; }
    "$MC" train -q --epochs 6 --threads 1 "$W/ref_store" -o "$W/ref.safetensors" >> "$W/ref.log" 2>&1 || bad "reference train"
    "$MC" "${RUN[@]}" "$A" -o "$W/ref_run" >> "$W/ref.log" 2>&1 || bad "reference run"
    logmel=$(stat -c %s "$W/ref_store/logmel.npy")
    model=$(stat -c %s "$W/ref.safetensors")
    store=$(du -sb "$W/ref_store" | cut -f1)
    run=$(du -sb "$W/ref_run" | cut -f1)
    echo "sizes: logmel.npy $logmel, store $store, model $model, run folder $run bytes"

    # extract: the disk fills while logmel.npy is written
    fill_to $((logmel / 2))
    "$MC" extract -q --threads 1 "$A" -o "$M/store" > "$W/x.log" 2>&1
    rc=$?
    [ $rc -eq 1 ] || bad "extract on a full disk: exit $rc, not 1"
    full_msg "$W/x.log" "$M/store/" "extract"
    [ ! -e "$M/store/index.tsv" ] && ok "no index.tsv: the store does not open as complete" || bad "index.tsv of a failed extract"
    "$MC" cluster -q --algo kmeans --k 2 "$M/store" -o "$W/c.tsv" > /dev/null 2>&1 && bad "the half-written store opened"
    no_tmp "$M" "extract"
    rm -f "$M/filler"
    "$MC" extract -q --threads 1 "$A" -o "$M/store" > "$W/x2.log" 2>&1 || bad "extract after freeing: $(cat "$W/x2.log")"
    for f in "$W"/ref_store/*; do
        b=$(basename "$f")
        [ "$b" = extract.json ] && continue # its "seconds" differ
        cmp -s "$f" "$M/store/$b" || bad "extract rerun: $b differs from the reference"
    done
    ok "extract rerun after freeing space: the reference bytes"
    cp -r "$M/store" "$W/store" && rm -rf "$M/store"

    # train: room for one checkpoint, not for the next one's temp file next to it
    fill_to $((model + model / 2 + 8192))
    "$MC" train -q --epochs 6 --threads 1 "$W/store" -o "$M/m.safetensors" > "$W/t.log" 2>&1
    rc=$?
    [ $rc -eq 1 ] || bad "train on a full disk: exit $rc, not 1"
    full_msg "$W/t.log" "$M/m" "train"
    no_tmp "$M" "train"
    [ -e "$M/m.safetensors" ] && ok "the last complete checkpoint is in place" || bad "no checkpoint left to resume from"
    rm -f "$M/filler"
    "$MC" train -q --resume --threads 1 "$W/store" -o "$M/m.safetensors" > "$W/t2.log" 2>&1 || bad "train --resume: $(cat "$W/t2.log")"
    cmp -s "$W/ref.safetensors" "$M/m.safetensors" && ok "train --resume after freeing space: the reference bytes" \
        || bad "train --resume: the model differs from an uninterrupted train"
    rm -f "$M"/m.*

    # run: the features fit, a later stage does not
    fill_to $((store + (run - store) / 3))
    "$MC" "${RUN[@]}" "$A" -o "$M/res" > "$W/r.log" 2>&1
    rc=$?
    [ $rc -eq 1 ] || bad "run on a full disk: exit $rc, not 1"
    full_msg "$W/r.log" "$M/res/" "run"
    no_tmp "$M" "run"
    rm -f "$M/filler"
    "$MC" "${RUN[@]}" "$A" -o "$M/res" > "$W/r2.log" 2>&1 || bad "run after freeing: $(cat "$W/r2.log")"
    compare_run "$W/ref_run" "$M/res" "run resumed after freeing space" && ok "run resumed after freeing space: the reference bytes"
    ;;
# ------------------------------------------------------------------------------------------- out of memory
oom)
    export OPENBLAS_NUM_THREADS=1 # OpenBLAS's per-thread buffers would take the address space at start
    LIM=600000                   # KiB of address space
    "$MC" extract -q --threads 1 "$A" -o "$W/store" > "$W/x.log" 2>&1 || { bad "extract: $(cat "$W/x.log")"; exit 1; }
    oom() { # LABEL WHAT-REGEX ARGS...: exit 1, one line "out of memory ... N bytes" that also names what
            # was being allocated (WHAT-REGEX: the buffer, layer, file or function) and its size
        local label=$1 what=$2; shift 2
        ( ulimit -v $LIM; exec "$MC" "$@" ) > "$W/o.out" 2> "$W/o.err"
        local rc=$? lines; lines=$(grep -c '' "$W/o.err")
        if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -Eq "out of memory .*[a-z].*[ (][0-9]+ bytes" "$W/o.err" \
            && grep -Eq "$what" "$W/o.err"; then
            ok "$label: $(cat "$W/o.err")"
        else
            bad "$label under ulimit -v $LIM: exit $rc, $lines stderr lines (want one naming /$what/): $(head -5 "$W/o.err")"
        fi
    }
    oom "train, a 1M-wide hidden layer" "layer enc[.]fc1 .*[(]128000000 bytes[)]" \
        train -q --threads 1 --hidden 1000000,1000 "$W/store" -o "$W/m1.safetensors"
    oom "train conv-vae, 4096 channels" "layer enc[.]conv0 .*[(][0-9]{9,} bytes[)]" \
        train -q --threads 1 --model conv-vae --channels 4096,4096 "$W/store" -o "$W/m2.safetensors"
    # big.npy: 4,000,000 x 64 float32 (1 GB, sparse on disk), more than the limit; mid.npy: 12,000 x 4
    # float32 (192 KB) of seeded noise, small to read but large to cluster with --min-samples 12000
    python3 - "$W/big.npy" "$W/mid.npy" <<'EOF'
import random, struct, sys
def header(shape):
    h = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % shape
    h += " " * (128 - 10 - 1 - len(h)) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()
with open(sys.argv[1], "wb") as f:
    f.write(header((4000000, 64)))
    f.truncate(128 + 4000000 * 64 * 4)
rng = random.Random(15)
with open(sys.argv[2], "wb") as f:
    f.write(header((12000, 4)))
    f.write(struct.pack("<48000f", *[rng.gauss(0, 1) for _ in range(48000)]))
EOF
    oom "cluster kmeans, 4M x 64" "big[.]npy: out of memory for 1024000000 bytes of data" \
        cluster -q --threads 1 --algo kmeans --k 3 "$W/big.npy" -o "$W/a.tsv"
    # the allocator's own message: the buffer's expression, the function and its file:line, n x size = bytes
    oom "cluster dbscan, 12000 neighbours per point" \
        "allocating .*min_samples.* in mc_cluster_dbscan_auto_eps[(][)] at src/cluster/dbscan[.]c:[0-9]+: 144000000 x 8 = 1152000000 bytes" \
        cluster -q --threads 1 --algo dbscan --min-samples 12000 "$W/mid.npy" -o "$W/d.tsv"
    oom "map, 4M x 64" "big[.]npy: out of memory for 1024000000 bytes of data" \
        map --threads 1 "$W/big.npy" -o "$W/y.npy"
    for o in a.tsv d.tsv y.npy; do [ -e "$W/$o" ] && bad "an output was written: $o"; done
    # the streaming decode keeps extract inside the same limit
    ( ulimit -v $LIM; exec "$MC" extract -q --threads 1 "$A" -o "$W/store2" ) > "$W/x2.log" 2>&1 \
        && cmp -s "$W/store/logmel.npy" "$W/store2/logmel.npy" && ok "extract within ulimit -v $LIM" \
        || bad "extract under ulimit -v $LIM: $(cat "$W/x2.log")"
    ;;
*)
    echo "usage: faults.sh MUSICLUST WORK_DIR lock|kill|disk|oom"; exit 2 ;;
esac
[ $fail -eq 0 ] && echo "PASS: $WHAT" || echo "FAILED: $WHAT"
exit $fail
