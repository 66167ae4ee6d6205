#!/usr/bin/env bash
# Instructions per step of the numeric path and of the hand-written step, counted by valgrind's
# callgrind: repeatable where times on a shared machine are not (BENCHMARKS.md).
# Usage: scripts/numeric_instructions.sh   (needs valgrind; builds the benchmark first)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
bin=$(cargo bench --bench numeric --no-run --message-format=json 2> /dev/null \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "numeric" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| size | core instructions/step | hand-written instructions/step | ratio |"
echo "| --- | ---: | ---: | ---: |"
for spec in 3x3_2x2:10000 8x8_3x3:2000 28x28_5x5:100 28x28_5x5_s2p2:100; do
    name=${spec%:*} iters=${spec#*:}
    NUMERIC_CALLGRIND=$spec valgrind --tool=callgrind --callgrind-out-file="$out/$name" \
        "$bin" --bench > /dev/null 2>&1
    count() { callgrind_annotate --inclusive=yes "$out/$name" | grep "numeric::callgrind_$1" \
        | awk '{gsub(",", "", $1); print $1}'; }
    python3 -c "c, h = $(count core) / $iters, $(count hand) / $iters
print(f'| $name | {c:.0f} | {h:.0f} | {c / h:.3f} |')"
done
