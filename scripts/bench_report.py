#!/usr/bin/env python3
"""Tables of the last `cargo bench` run, for BENCHMARKS.md.

Reads criterion's medians (`<target>/criterion/<group>/<function>/<size>/new/estimates.json`)
and the figures the benchmarks write beside them (`numeric_paired.csv`,
`derivation_sizes.csv`, `long_run.csv`, `network_paired.csv`), and prints Markdown tables: the
numeric path against the hand-written step (criterion medians, their ratio, and the paired
ratio), the derivation's time and memory per printed term, a long run through `train()` against
the numeric path with its peak memory, the derivation of one LeNet-like network step
(`derivation_lenet.csv`), the NoTrace steps through the ops (a network's, and
the single-layer shorthand's as `train!` takes them) against hand-written loops, and exact
(`Rational`) runs against float ones (`exact.csv`).

Usage: cargo bench && python3 scripts/bench_report.py
Needs only python3 (standard library).
"""

import csv
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CRITERION = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "criterion"
SIZES = ["3x3_2x2", "8x8_3x3", "16x16_4x4", "28x28_5x5_s2p2", "28x28_5x5"]
LABEL = {
    "3x3_2x2": "3×3 / 2×2 (seed)",
    "8x8_3x3": "8×8 / 3×3",
    "16x16_4x4": "16×16 / 4×4",
    "28x28_5x5": "28×28 / 5×5",
    "28x28_5x5_s2p2": "28×28 / 5×5, stride 2, padding 2",
    "net_28x28": "network (net_step): 28×28, conv 5×5 ×4, relu, conv 3×3 on 4 channels",
    "lenet": "LeNet-like (net_step): 28×28, conv 5×5 ×6 + bias, relu, max pool 2×2, flatten, "
             "dense 864→10 + bias, softmax cross-entropy",
}
NETWORK_CASES = ["net_28x28", "lenet", "3x3_2x2", "8x8_3x3", "28x28_5x5"]


def median_ns(group, function, size):
    path = CRITERION / group / function / size / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def show(ns):
    if ns is None:
        return "–"
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def numeric():
    paired = {}
    path = CRITERION / "numeric_paired.csv"
    if path.exists():
        for name, median, q1, q3 in csv.reader(path.open()):
            paired[name] = (float(median), float(q1), float(q3))
    print("Numeric path (forward, loss, backward, update; NoTrace) against the hand-written step\n")
    print("| size | core (median) | hand-written (median) | ratio of medians | paired ratio (quartiles) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for size in SIZES:
        core, hand = median_ns("numeric", "core", size), median_ns("numeric", "hand", size)
        if core is None or hand is None:
            continue
        p = paired.get(size)
        pr = f"{p[0]:.3f} ({p[1]:.3f}–{p[2]:.3f})" if p else "–"
        print(f"| {LABEL[size]} | {show(core)} | {show(hand)} | {core / hand:.3f} | {pr} |")


def derivation():
    path = CRITERION / "derivation_sizes.csv"
    if not path.exists():
        return
    rows = list(csv.DictReader(path.open()))
    print("\nWhole derivation, one step (train + to_string), and what it holds\n")
    print("| size | printed terms | trace (median) | trace + text (median) | per term | "
          "trace bytes | per term | text bytes | per term |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        size, terms = r["size"], int(r["terms"])
        trace, total = median_ns("derivation", "trace", size), median_ns("derivation", "total", size)
        tb, xb = int(r["trace_bytes"]), int(r["text_bytes"])
        per = f"{total / terms / 1e3:.2f} µs" if total else "–"
        print(f"| {LABEL.get(size, size)} | {terms} | {show(trace)} | {show(total)} | {per} | "
              f"{tb:,} | {tb / terms:.0f} | {xb:,} | {xb / terms:.0f} |")


def long_run():
    path = CRITERION / "long_run.csv"
    if not path.exists():
        return
    rows = list(csv.reader(path.open()))
    print("\nLong run: train() against the numeric path (step with NoTrace) for the same steps\n")
    print("| size | steps | train() (median) | numeric path (median) | ratio of medians | "
          "paired ratio (range) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind, size, steps, median, low, high in (r for r in rows if r[0] == "paired"):
        train = median_ns("long_run", "train", size)
        plain = median_ns("long_run", "numeric", size)
        ratio = f"{train / plain:.3f}" if train and plain else "–"
        print(f"| {LABEL.get(size, size)} | {int(steps):,} | {show(train)} | {show(plain)} | "
              f"{ratio} | {float(median):.3f} ({float(low):.3f}–{float(high):.3f}) |")
    print("\nPeak memory (VmHWM of a process doing one run)\n")
    print("| size | steps | train() | train() + text | numeric loop (the process alone) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    mb = lambda kb: f"{int(kb) / 1024:.1f} MiB"
    for kind, size, steps, train, text, plain in (r for r in rows if r[0] == "memory"):
        print(f"| {LABEL.get(size, size)} | {int(steps):,} | {mb(train)} | {mb(text)} | {mb(plain)} |")


def network():
    paired = {}
    path = CRITERION / "network_paired.csv"
    if path.exists():
        for name, median, q1, q3 in csv.reader(path.open()):
            paired[name] = (float(median), float(q1), float(q3))
    if not paired:
        return
    print("\nNoTrace steps through the ops against hand-written loops (network.rs)\n")
    print("| case | ops (median) | hand-written (median) | ratio of medians | paired ratio (quartiles) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for case in NETWORK_CASES:
        core, hand = median_ns("network", "core", case), median_ns("network", "hand", case)
        p = paired.get(case)
        if p is None and core is None:
            continue
        ratio = f"{core / hand:.3f}" if core and hand else "–"
        pr = f"{p[0]:.3f} ({p[1]:.3f}–{p[2]:.3f})" if p else "–"
        label = LABEL[case] if case in ("net_28x28", "lenet") else f"shorthand, {LABEL[case]}"
        print(f"| {label} | {show(core)} | {show(hand)} | {ratio} | {pr} |")


def lenet_derivation():
    path = CRITERION / "derivation_lenet.csv"
    if not path.exists():
        return
    r = next(csv.DictReader(path.open()))
    terms = int(r["terms"])
    print("\nWhole derivation of one LeNet-like step (train_network_with, then a rendering)\n")
    print(f"{int(r['equations']):,} equations, {terms:,} printed terms, "
          f"{int(r['trace_bytes']):,} trace bytes\n")
    print("| | median | per printed term | bytes | lines |")
    print("| --- | ---: | ---: | ---: | ---: |")
    trace = median_ns("derivation", "trace", "lenet")
    print(f"| trace alone | {show(trace)} | {show(trace / terms if trace else None)} | – | – |")
    for function, label, key in [("total", "trace + text", "text"),
                                 ("latex", "trace + LaTeX", "latex"),
                                 ("markdown", "trace + Markdown", "markdown")]:
        ns = median_ns("derivation", function, "lenet")
        per = show(ns / terms) if ns else "–"
        print(f"| {label} | {show(ns)} | {per} | {int(r[key + '_bytes']):,} | "
              f"{int(r[key + '_lines']):,} |")


EXACT_CASES = {
    "seed": "seed question, lr 1/2, 1 step",
    "seed_10": "seed spec, lr 1/4, 10 steps",
    "net_4": "two-layer network, lr 1/50, 4 steps",
}
EXACT_MEASURES = {
    "numeric": "steps alone (NoTrace)",
    "trace": "train (traced)",
    "total": "train + text",
}


def exact():
    path = CRITERION / "exact.csv"
    if not path.exists():
        return
    rows = list(csv.reader(path.open()))
    print("\nExact (Rational) against float (f64), the same runs in one process (exact.rs)\n")
    print("| case | measure | exact (paired median) | float (paired median) | **paired ratio** "
          "exact/float (quartiles) | exact / float (criterion medians) | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for kind, case, measure, median, q1, q3, e, f in (r for r in rows if r[0] == "paired"):
        ce = median_ns("exact", f"{measure}_rational", case)
        cf = median_ns("exact", f"{measure}_f64", case)
        ratio = f"{ce / cf:.2f}" if ce and cf else "–"
        print(f"| {EXACT_CASES.get(case, case)} | {EXACT_MEASURES.get(measure, measure)} | "
              f"{show(float(e) * 1e9)} | {show(float(f) * 1e9)} | "
              f"**{float(median):.2f}** ({float(q1):.2f}–{float(q3):.2f}) | "
              f"{show(ce)} / {show(cf)} | {ratio} |")
    print("\n| case | exact values | largest numerator | largest denominator | all fit i64 |")
    print("| --- | ---: | ---: | ---: | --- |")
    for kind, case, values, numerator, denominator, fits in (r for r in rows if r[0] == "digits"):
        print(f"| {EXACT_CASES.get(case, case)} | {values} | {numerator} digits | "
              f"{denominator} digits | {'yes' if fits == 'true' else 'no'} |")


def main():
    if not CRITERION.exists():
        sys.exit(f"no {CRITERION}: run `cargo bench` first")
    numeric()
    derivation()
    lenet_derivation()
    long_run()
    network()
    exact()


if __name__ == "__main__":
    main()
