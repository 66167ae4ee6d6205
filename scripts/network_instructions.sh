#!/usr/bin/env bash
# Instructions per step of a network's NoTrace step through the ops (`net_step`) and of the
# hand-written step for the same network, counted by valgrind's callgrind (BENCHMARKS.md,
# parts 6 and 7): repeatable where times on a shared machine are not.
# Usage: scripts/network_instructions.sh [case…]   (needs valgrind; builds the benchmark first)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
bin=$(cargo bench --bench network --no-run --message-format=json 2> /dev/null \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "network" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
specs=(net_28x28:20 lenet:20 3x3_2x2:10000 8x8_3x3:2000 28x28_5x5:100)
if [ $# -gt 0 ]; then
    specs=()
    for name in "$@"; do
        case $name in net_28x28 | lenet) specs+=("$name:20") ;; 3x3_2x2) specs+=("$name:10000") ;;
            8x8_3x3) specs+=("$name:2000") ;; *) specs+=("$name:100") ;; esac
    done
fi
echo "| case | core instructions/step | hand-written instructions/step | ratio |"
echo "| --- | ---: | ---: | ---: |"
for spec in "${specs[@]}"; do
    name=${spec%:*} iters=${spec#*:}
    NETWORK_CALLGRIND=$spec valgrind --tool=callgrind --callgrind-out-file="$out/$name" \
        "$bin" --bench > /dev/null 2>&1
    count() { callgrind_annotate --inclusive=yes "$out/$name" | grep "network::callgrind_$1" \
        | awk '{gsub(",", "", $1); print $1}'; }
    python3 -c "c, h = $(count core) / $iters, $(count hand) / $iters
print(f'| $name | {c:.0f} | {h:.0f} | {c / h:.3f} |')"
done
