#!/usr/bin/env bash
# Counts the instructions the compiler executes to build select_200.rs and select_0.rs (a full
# build, no incremental cache; the macros' expansion included, linking not), under valgrind's
# callgrind, and prints the difference over 200: what one query costs to compile. Unlike the
# times of measure.sh, the count does not move with the load of a shared machine, so it
# compares two versions of the macros (run it on each, same toolchain). Read the difference
# per query: each file's own count has been seen to move with the state of the build
# directory (the empty file's from 330 million to 1.8 billion after a rebuild of the macros),
# while the difference stayed within 0.1 million.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() { # $1 = 0|200: the instructions rustc executes to build typed_compile_cost_$1
    local cmd
    touch "tests/compile_cost/select_$1.rs"
    # The compiler's command line for the file, as cargo runs it (it rebuilds the touched file,
    # and whatever changed since the last build).
    cmd=$(CARGO_INCREMENTAL=0 cargo build -v -p txova-db-tests --test "typed_compile_cost_$1" 2>&1 |
        grep "Running \`.*--crate-name typed_compile_cost_$1 " | tail -1 | sed -e 's/^ *Running `//' -e 's/`$//' \
        -e "s#--out-dir [^ ]*#--out-dir $out#" -e 's/--error-format=json --json=[^ ]*//')
    eval "valgrind --tool=callgrind --callgrind-out-file=$out/cg.$1 $cmd" >"$out/log.$1" 2>&1 || {
        cat "$out/log.$1" >&2
        return 1
    }
    awk '/^totals:/ {print $2}' "$out/cg.$1"
}

i200=$(count 200)
i0=$(count 0)
per=$(awk -v a="$i200" -v b="$i0" 'BEGIN {printf "%.1f", (a - b) / 200 / 1e6}')
echo "200 queries ${i200} instructions, no query ${i0} => ${per} million instructions per query"
