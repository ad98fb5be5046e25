#!/usr/bin/env bash
# Measures what 200 distinct `select!` queries cost to compile: the build time of
# select_200.rs minus that of select_0.rs (the same file without queries), over 200.
# Both an incremental rebuild (the default dev profile after `touch`) and a full rebuild of
# the file (CARGO_INCREMENTAL=0) are timed; each is the median of RUNS runs. Beside the wall
# time, the CPU time (user and system, cargo and the compiler) is reported: on a shared
# machine it moves less, since time spent waiting for the CPU is not in it.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}

time_build() { # $1 = 0|200, $2 = CARGO_INCREMENTAL value; prints "wall_ms cpu_ms"
    local s e cpu
    touch "tests/compile_cost/select_$1.rs"
    s=$(date +%s%N)
    cpu=$( { TIMEFORMAT='%3U %3S'; time CARGO_INCREMENTAL=$2 cargo build -q -p txova-db-tests \
        --test "typed_compile_cost_$1"; } 2>&1 | awk 'END {printf "%d", ($1 + $2) * 1000}')
    e=$(date +%s%N)
    echo "$(((e - s) / 1000000)) $cpu"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

for inc in 1 0; do
    # Warm up: dependencies built, and the file's cache (if any) filled.
    time_build 200 "$inc" >/dev/null
    time_build 0 "$inc" >/dev/null
    r200=$(for _ in $(seq "$RUNS"); do time_build 200 "$inc"; done)
    r0=$(for _ in $(seq "$RUNS"); do time_build 0 "$inc"; done)
    t200=$(echo "$r200" | cut -d' ' -f1 | median)
    t0=$(echo "$r0" | cut -d' ' -f1 | median)
    c200=$(echo "$r200" | cut -d' ' -f2 | median)
    c0=$(echo "$r0" | cut -d' ' -f2 | median)
    per=$(awk -v a="$t200" -v b="$t0" 'BEGIN {printf "%.1f", (a - b) / 200}')
    cper=$(awk -v a="$c200" -v b="$c0" 'BEGIN {printf "%.1f", (a - b) / 200}')
    echo "CARGO_INCREMENTAL=$inc: 200 queries ${t200} ms, no query ${t0} ms => ${per} ms per query" \
        "(CPU time: ${c200} ms, ${c0} ms => ${cper} ms per query)"
done
