#!/usr/bin/env python3
"""What a `train!` spec costs at compile time, against the same spec written as a direct call.

Generates throwaway crates under `<target>/compile-time/` (never committed) that depend on this
repository's `cnn-bp-core` by path:

- `ct_empty`: no spec, the baseline;
- `ct_macro_N`: N functions, each one `cnn_bp_core::train! { … }` spec;
- `ct_direct_N`: the same N specs as `cnn_bp_core::train(&Layer { … }, lr, steps, &x,
  Params { … }, &t).unwrap()`;
- `ct_verify`: both forms of every spec side by side in a test that asserts they give equal
  derivations, run once first so that the two variants are known to be the same specs.

for N in 1, 25 and 100 (varied shapes, activations, losses, stride, padding, bias, steps and
kernels; a fixed random seed makes every run generate the same specs). All crates share one
target directory, so the dependencies are built once, before any timing. Then each crate is
rebuilt `--repeat` times (its source touched, `cargo build`, the dev profile that tests use,
with incremental compilation off so that the crate is compiled whole each time), the variants
interleaved within each round so that a change in the machine's load hits all of them alike.
Reported: the median wall time of each, and the extra time per spec over the empty crate.

Usage: python3 scripts/compile_time.py [--repeat 5] [--counts 1,25,100] [--seed 4]
Needs only python3 (standard library) and cargo.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ACTIVATIONS = ["relu", "linear", "sigmoid", "tanh", "leaky_relu"]
LOSSES = ["half_sse", "sse", "mse"]


def out_len(n, k, s, p):
    padded = n + 2 * p
    return None if k > padded else (padded - k) // s + 1


def matrix(rng, rows, cols):
    """Small values a person would type: whole numbers and halves in [-3, 3]."""
    return [[rng.choice(range(-6, 7)) / 2 for _ in range(cols)] for _ in range(rows)]


def make_spec(rng):
    while True:
        h, w = rng.randint(2, 8), rng.randint(2, 8)
        kh, kw = rng.randint(1, min(h, 4)), rng.randint(1, min(w, 4))
        sh, sw = rng.choice([(1, 1), (1, 1), (2, 2), (1, 2)])
        ph, pw = rng.choice([(0, 0), (0, 0), (1, 1), (0, 1)])
        oh, ow = out_len(h, kh, sh, ph), out_len(w, kw, sw, pw)
        if oh and ow:
            break
    activation = rng.choice(ACTIVATIONS)
    return {
        "x": matrix(rng, h, w),
        "w": matrix(rng, kh, kw),
        "t": [[v if activation not in ("sigmoid", "tanh") else v / 4 for v in row]
              for row in matrix(rng, oh, ow)],
        "lr": rng.choice([0.5, 0.25, 0.1, 0.05]),
        "steps": rng.choice([1, 1, 2, 3]),
        "bias": rng.choice([None, None, 0.0, 0.5, -1.0]),
        "activation": activation,
        "relu_grad_at_zero": rng.choice([0, 1]),
        "slope": rng.choice([0.01, 0.1, 0.5]),
        "loss": rng.choice(LOSSES),
        "stride": (sh, sw),
        "padding": (ph, pw),
        "kernel": rng.choice(["correlation", "correlation", "convolution"]),
    }


def num(v):
    """A number as the macro takes it: `1`, `-0.5`."""
    return str(int(v)) if float(v).is_integer() else repr(v)


def f64(v):
    """A number as Rust's f64 literal: `1.0`, `-0.5`."""
    return repr(float(v))


def lit(m, fmt):
    return "[" + ", ".join("[" + ", ".join(fmt(v) for v in row) + "]" for row in m) + "]"


def pair(p):
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def macro_call(s):
    keys = [
        f"input: {lit(s['x'], num)}",
        f"filter: {lit(s['w'], num)}",
        f"target: {lit(s['t'], num)}",
        f"lr: {num(s['lr'])}",
    ]
    if s["bias"] is not None:
        keys.append(f"bias: {num(s['bias'])}")
    a = s["activation"]
    keys.append(f"activation: leaky_relu({num(s['slope'])})" if a == "leaky_relu"
                else f"activation: {a}")
    if a == "relu" and s["relu_grad_at_zero"]:
        keys.append("relu_grad_at_zero: 1")
    keys.append(f"loss: {s['loss']}")
    if s["steps"] != 1:
        keys.append(f"steps: {s['steps']}")
    if s["stride"] != (1, 1):
        keys.append(f"stride: {pair(s['stride'])}")
    if s["padding"] != (0, 0):
        keys.append(f"padding: {pair(s['padding'])}")
    if s["kernel"] != "correlation":
        keys.append(f"kernel: {s['kernel']}")
    return "cnn_bp_core::train! { " + ", ".join(keys) + " }"


def direct_call(s):
    a = s["activation"]
    activation = {
        "relu": f"Activation::Relu {{ grad_at_zero: {f64(s['relu_grad_at_zero'])} }}",
        "linear": "Activation::Linear",
        "sigmoid": "Activation::Sigmoid",
        "tanh": "Activation::Tanh",
        "leaky_relu": f"Activation::LeakyRelu {{ slope: {f64(s['slope'])} }}",
    }[a]
    loss = {"half_sse": "Loss::HalfSse", "sse": "Loss::Sse", "mse": "Loss::Mse"}[s["loss"]]
    kernel = "Kernel::Convolution" if s["kernel"] == "convolution" else "Kernel::Correlation"
    bias = "None" if s["bias"] is None else f"Some({f64(s['bias'])})"
    layer = (f"Layer {{ stride: {s['stride']}, padding: {s['padding']}, kernel: {kernel}, "
             f"activation: {activation}, loss: {loss} }}")
    return (f"train(&{layer}, {f64(s['lr'])}, {s['steps']}, &{lit(s['x'], f64)}, "
            f"Params {{ filter: {lit(s['w'], f64)}, bias: {bias} }}, "
            f"&{lit(s['t'], f64)}).unwrap()")


DIRECT_USE = "use cnn_bp_core::{Activation, Kernel, Layer, Loss, Params, train};\n"


def write_crate(root, name, lib_rs, core, tests_rs=None):
    d = root / name
    (d / "src").mkdir(parents=True, exist_ok=True)
    (d / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
        f'[dependencies]\ncnn-bp-core = {{ path = "{core}" }}\n\n'
        "# Not part of the repository's workspace.\n[workspace]\n"
    )
    # The repository's lock file, so that the same versions build (and nothing is fetched).
    shutil.copy(REPO / "Cargo.lock", d / "Cargo.lock")
    (d / "src" / "lib.rs").write_text(lib_rs)
    if tests_rs is not None:
        (d / "tests").mkdir(exist_ok=True)
        (d / "tests" / "same.rs").write_text(tests_rs)
    return d


def lib_source(specs, form):
    head = "//! Generated by scripts/compile_time.py; throwaway.\n#![allow(clippy::all)]\n"
    if form == "direct":
        head += DIRECT_USE
    fns = []
    for k, s in enumerate(specs):
        call = macro_call(s) if form == "macro" else direct_call(s)
        fns.append(f"pub fn spec_{k}() -> f64 {{\n    {call}.loss_after()\n}}\n")
    return head + "\n" + "\n".join(fns)


def verify_source(specs):
    body = [DIRECT_USE, "#[test]\nfn the_macro_and_the_direct_call_agree() {"]
    for s in specs:
        body.append(f"    let (m, d) = ({macro_call(s)}, {direct_call(s)});")
        body.append("    assert_eq!(m, d);")
        body.append("    assert_eq!(m.to_string(), d.to_string());")
    body.append("}\n")
    return "\n".join(body)


def cargo(args, cwd, env, quiet=True):
    out = subprocess.DEVNULL if quiet else None
    r = subprocess.run(["cargo", *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        sys.exit(f"cargo {' '.join(args)} failed in {cwd}:\n{r.stderr}")


def timed_build(crate, env):
    (crate / "src" / "lib.rs").touch()
    start = time.perf_counter()
    cargo(["build", "--quiet"], crate, env)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed builds of each crate")
    ap.add_argument("--counts", default="1,25,100", help="numbers of specs")
    ap.add_argument("--seed", type=int, default=4, help="seed of the generated specs")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--core", type=Path, default=REPO / "cnn-bp-core",
                    help="the cnn-bp-core to build against (another checkout, to compare)")
    args = ap.parse_args()
    counts = [int(n) for n in args.counts.split(",")]

    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    root = target / "compile-time" / args.core.resolve().parent.name
    if root.exists():
        shutil.rmtree(root / "crates", ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(root / "target"), CARGO_INCREMENTAL="0")

    rng = random.Random(args.seed)
    specs = [make_spec(rng) for _ in range(max(counts))]
    crates = root / "crates"
    core = args.core.resolve()
    variants = {"empty": write_crate(crates, "ct_empty", "//! No spec: the baseline.\n", core)}
    for n in counts:
        variants[f"macro_{n}"] = write_crate(crates, f"ct_macro_{n}",
                                             lib_source(specs[:n], "macro"), core)
        variants[f"direct_{n}"] = write_crate(crates, f"ct_direct_{n}",
                                              lib_source(specs[:n], "direct"), core)
    verify = write_crate(crates, "ct_verify", "//! See tests/same.rs.\n", core,
                         verify_source(specs))

    print(f"crates in {crates}; building the dependencies and checking that the two forms of "
          f"all {len(specs)} specs agree …", flush=True)
    cargo(["test", "--quiet"], verify, env)
    for crate in variants.values():
        cargo(["build", "--quiet"], crate, env)

    times = {name: [] for name in variants}
    for r in range(args.repeat):
        for name, crate in variants.items():
            times[name].append(timed_build(crate, env))
        print(f"round {r + 1}/{args.repeat} done", flush=True)

    med = {name: statistics.median(t) for name, t in times.items()}
    base = med["empty"]
    print(f"\nrustc {subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"{os.cpu_count()} CPUs, dev profile, CARGO_INCREMENTAL=0, median of {args.repeat} builds")
    print(f"empty crate: {base * 1000:.0f} ms\n")
    print("Extra per spec: (build − empty build) / specs. Marginal: the same from the smallest "
          "count on, (build(N) − build(first)) / (N − first), without the one-time cost of the "
          "first spec (the renderer and the run-time code it pulls in).\n")
    print("| specs | train! build | direct build | ratio | train! extra/spec | direct extra/spec "
          "| train! marginal/spec | direct marginal/spec |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    first = counts[0]
    for n in counts:
        m, d = med[f"macro_{n}"], med[f"direct_{n}"]
        em, ed = (m - base) / n, (d - base) / n
        row = {"specs": n, "macro_s": m, "direct_s": d, "macro_extra_per_spec_ms": em * 1000,
               "direct_extra_per_spec_ms": ed * 1000}
        marginal = "| – | – |"
        if n > first:
            mm = (m - med[f"macro_{first}"]) / (n - first)
            md = (d - med[f"direct_{first}"]) / (n - first)
            row |= {"macro_marginal_per_spec_ms": mm * 1000, "direct_marginal_per_spec_ms": md * 1000}
            marginal = f"| {mm * 1000:.1f} ms | {md * 1000:.1f} ms |"
        rows.append(row)
        print(f"| {n} | {m * 1000:.0f} ms | {d * 1000:.0f} ms | {m / d:.2f} | {em * 1000:.1f} ms "
              f"| {ed * 1000:.1f} ms {marginal}")
    if args.json:
        args.json.write_text(json.dumps({"empty_s": base, "rows": rows, "times": times}, indent=1))


if __name__ == "__main__":
    main()
