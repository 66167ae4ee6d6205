#!/usr/bin/env bash
# Instructions per run of each measure of the exact benchmark (BENCHMARKS.md, part 8), in
# Rational and in f64, counted by valgrind's callgrind: repeatable where times on a shared
# machine are not.
# Usage: scripts/exact_instructions.sh [case…]   (cases: seed seed_10 net_4; needs valgrind;
# builds the benchmark first)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
bin=$(cargo bench --bench exact --no-run --message-format=json 2> /dev/null \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "exact" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cases=(seed seed_10 net_4)
[ $# -gt 0 ] && cases=("$@")
# Runs of each measure (numeric, trace, total) per case: enough to drown the set-up.
runs() {
    case $1 in seed) echo "1000 200 20" ;; seed_10) echo "200 50 5" ;; net_4) echo "3 2 2" ;;
        *) echo "unknown case $1" >&2; exit 1 ;; esac
}
echo "| case | measure | Rational instructions/run | f64 instructions/run | ratio |"
echo "| --- | --- | ---: | ---: | ---: |"
for case in "${cases[@]}"; do
    read -r -a counts <<< "$(runs "$case")"
    measures=(numeric trace total)
    for k in 0 1 2; do
        measure=${measures[$k]} n=${counts[$k]}
        count() {
            EXACT_CALLGRIND="$case:$measure:$1:$n" valgrind --tool=callgrind \
                --callgrind-out-file="$out/$case.$measure.$1.%p" "$bin" --bench > /dev/null 2>&1
            # (criterion's check for gnuplot forks a child: only the benchmark's own file
            # has the function.)
            for f in "$out/$case.$measure.$1".*; do
                callgrind_annotate --inclusive=yes "$f" | { grep "exact::callgrind_runs" || true; } \
                    | awk '{gsub(",", "", $1); print $1}'
            done | head -1
        }
        e=$(count rational) f=$(count f64)
        python3 -c "e, f = $e / $n, $f / $n
print(f'| $case | $measure | {e:,.0f} | {f:,.0f} | {e / f:.2f} |')"
    done
done
