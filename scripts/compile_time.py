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
kernels; a fixed random seed makes every run generate the same specs), and, for networks,

- `ct_netmacro_N`: N functions, each one 3-layer network spec, `train! { input, layers:
  [conv { … }, <activation>, conv { … }], target | grad_output, … }`;
- `ct_netdirect_N`: the same N networks as the calls the macro expands to, written by hand:
  `network::train_network_with(Chain(Chain(Conv::<…>::new(…), Activate::<…>::new(…)),
  Conv::<…>::new(…)), &params, &x, objective, lr, steps, Extras::default()).unwrap()`;

for N in 1, 10 and 25 (1–3 channels and filters, kernels up to 3×3, stride, padding, dilation,
both orientations, every activation and loss, upstream gradients, runs without `lr`). All crates share one
target directory, so the dependencies are built once, before any timing. Then each crate is
rebuilt `--repeat` times (its source touched, `cargo build`, the dev profile that tests use,
with incremental compilation off so that the crate is compiled whole each time), the variants
interleaved within each round so that a change in the machine's load hits all of them alike.
Reported: the median wall time of each, and the extra time per spec over the empty crate.

Usage: python3 scripts/compile_time.py [--repeat 5] [--counts 1,25,100] [--net-counts 1,10,25]
       [--seed 4] [--only single|net]
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

# ---------------------------------------------------------------------------------------------
# Networks: conv, activation, conv


def out_len_dilated(n, k, s, p, d):
    reach = d * (k - 1) + 1
    padded = n + 2 * p
    return None if reach > padded else (padded - reach) // s + 1


def make_conv(rng, c, h, w, last):
    while True:
        f = 1 if last and rng.random() < 0.5 else rng.randint(1, 3)
        kh, kw = rng.randint(1, 3), rng.randint(1, 3)
        stride = rng.choice([(1, 1), (1, 1), (2, 2), (2, 1)])
        padding = rng.choice([(0, 0), (0, 0), (1, 1), (1, 0)])
        dilation = rng.choice([(1, 1), (1, 1), (1, 1), (2, 2), (1, 2)])
        oh = out_len_dilated(h, kh, stride[0], padding[0], dilation[0])
        ow = out_len_dilated(w, kw, stride[1], padding[1], dilation[1])
        if oh and ow:
            return {
                "c": c, "h": h, "w": w, "f": f, "kh": kh, "kw": kw, "oh": oh, "ow": ow,
                "stride": stride, "padding": padding, "dilation": dilation,
                "w_": [[matrix(rng, kh, kw) for _ in range(c)] for _ in range(f)],
                "bias": [rng.choice(range(-2, 3)) / 2 for _ in range(f)] if rng.random() < 0.5 else None,
                "kernel": rng.choice(["correlation", "correlation", "convolution"]),
            }


def make_net(rng):
    c, h, w = rng.randint(1, 3), rng.randint(3, 8), rng.randint(3, 8)
    first = make_conv(rng, c, h, w, False)
    second = make_conv(rng, first["f"], first["oh"], first["ow"], True)
    activation = rng.choice(ACTIVATIONS[:1] + ACTIVATIONS[2:])  # no linear layer in a network
    objective = rng.choice(["half_sse", "sse", "mse", "grad_output"])
    lr = rng.choice([None, 0.1, 0.05])
    return {
        "x": [matrix(rng, h, w) for _ in range(c)],
        "convs": [first, second],
        "activation": activation,
        "slope": rng.choice([0.01, 0.1, 0.5]),
        "objective": objective,
        "t": [matrix(rng, second["oh"], second["ow"]) for _ in range(second["f"])],
        "lr": lr,
        "steps": 1 if lr is None else rng.choice([1, 2, 3]),
    }


def lit3(m, fmt):
    return "[" + ", ".join(lit(c, fmt) for c in m) + "]"


def lit4(m, fmt):
    return "[" + ", ".join(lit3(f, fmt) for f in m) + "]"


def net_macro_call(s):
    layers = []
    for k, c in enumerate(s["convs"]):
        keys = [f"filter: {lit4(c['w_'], num)}"]
        if c["bias"] is not None:
            keys.append("bias: [" + ", ".join(num(b) for b in c["bias"]) + "]")
        for key, default in [("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1))]:
            if c[key] != default:
                keys.append(f"{key}: {pair(c[key])}")
        if c["kernel"] != "correlation":
            keys.append(f"kernel: {c['kernel']}")
        layers.append("conv { " + ", ".join(keys) + " }")
        if k == 0:
            a = s["activation"]
            layers.append(f"leaky_relu({num(s['slope'])})" if a == "leaky_relu" else a)
    keys = [f"input: {lit3(s['x'], num)}", "layers: [" + ", ".join(layers) + "]"]
    if s["objective"] == "grad_output":
        keys.append(f"grad_output: {lit3(s['t'], num)}")
    else:
        keys += [f"target: {lit3(s['t'], num)}", f"loss: {s['objective']}"]
    if s["lr"] is not None:
        keys.append(f"lr: {num(s['lr'])}")
    if s["steps"] != 1:
        keys.append(f"steps: {s['steps']}")
    return "cnn_bp_core::train! { " + ", ".join(keys) + " }"


def net_direct_call(s):
    ops, params = [], []
    for k, c in enumerate(s["convs"]):
        dims = ", ".join(str(c[d]) for d in ["c", "h", "w", "f", "kh", "kw", "oh", "ow"])
        geometry = ", ".join(str(v) for v in [*c["stride"], *c["padding"], *c["dilation"]])
        orientation = "Convolve" if c["kernel"] == "convolution" else "Correlate"
        ops.append(f"Conv::<{dims}, Geometry<{geometry}>, {orientation}>::new({str(c['bias'] is not None).lower()})")
        params += [f64(v) for f in c["w_"] for ch in f for row in ch for v in row]
        if c["bias"] is not None:
            params += [f64(b) for b in c["bias"]]
        if k == 0:
            a = s["activation"]
            f = {"relu": "Relu { grad_at_zero: 0.0 }", "sigmoid": "Sigmoid", "tanh": "Tanh",
                 "leaky_relu": f"LeakyRelu {{ slope: {f64(s['slope'])} }}"}[a]
            name = f.split(" ")[0]
            ops.append(f"Activate::<{name}, [[[f64; {c['ow']}]; {c['oh']}]; {c['f']}]>::new({f})")
    net = f"Chain(Chain({ops[0]}, {ops[1]}), {ops[2]})"
    flat_t = "vec![" + ", ".join(f64(v) for ch in s["t"] for row in ch for v in row) + "]"
    if s["objective"] == "grad_output":
        objective = f"Objective::GradOutput({flat_t})"
    else:
        loss = {"half_sse": "HalfSse", "sse": "Sse", "mse": "Mse"}[s["objective"]]
        objective = f"Objective::Loss {{ loss: cnn_bp_core::Loss::{loss}, target: {flat_t} }}"
    lr = "None" if s["lr"] is None else f"Some({f64(s['lr'])})"
    return (f"train_network_with({net}, &[{', '.join(params)}], &{lit3(s['x'], f64)}, "
            f"{objective}, {lr}, {s['steps']}, Extras::default()).unwrap()")


NET_DIRECT_USE = ("use cnn_bp_core::network::{Objective, train_network_with};\n"
                  "use cnn_bp_core::ops::{Activate, Chain, Conv, Convolve, Correlate, Geometry, "
                  "LeakyRelu, Relu, Sigmoid, Tanh};\n"
                  "use cnn_bp_core::Extras;\n")


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
    if form == "netdirect":
        head += NET_DIRECT_USE
    calls = {"macro": macro_call, "direct": direct_call, "netmacro": net_macro_call,
             "netdirect": net_direct_call}
    fns = []
    for k, s in enumerate(specs):
        call = calls[form](s)
        fns.append(f"pub fn spec_{k}() -> f64 {{\n    {call}.loss_after()\n}}\n")
    return head + "\n" + "\n".join(fns)


def verify_source(specs, nets):
    body = ["#![allow(unused_imports)]", DIRECT_USE, NET_DIRECT_USE,
            "#[test]\nfn the_macro_and_the_direct_call_agree() {"]
    for s in specs:
        body.append(f"    let (m, d) = ({macro_call(s)}, {direct_call(s)});")
        body.append("    assert_eq!(m, d);")
        body.append("    assert_eq!(m.to_string(), d.to_string());")
    for s in nets:
        body.append(f"    let (m, d) = ({net_macro_call(s)}, {net_direct_call(s)});")
        body.append("    assert_eq!(m.loss_after().to_bits(), d.loss_after().to_bits());")
        body.append("    assert_eq!(m.named_parameters(), d.named_parameters());")
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
    ap.add_argument("--net-counts", default="1,10,25", help="numbers of 3-layer network specs")
    ap.add_argument("--only", choices=["single", "net"], help="measure only these specs")
    ap.add_argument("--seed", type=int, default=4, help="seed of the generated specs")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--core", type=Path, default=REPO / "cnn-bp-core",
                    help="the cnn-bp-core to build against (another checkout, to compare)")
    args = ap.parse_args()
    counts = [] if args.only == "net" else [int(n) for n in args.counts.split(",")]
    net_counts = [] if args.only == "single" else [int(n) for n in args.net_counts.split(",")]

    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    root = target / "compile-time" / args.core.resolve().parent.name
    if root.exists():
        shutil.rmtree(root / "crates", ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(root / "target"), CARGO_INCREMENTAL="0")

    rng = random.Random(args.seed)
    specs = [make_spec(rng) for _ in range(max(counts, default=0))]
    net_rng = random.Random(args.seed + 1)
    nets = [make_net(net_rng) for _ in range(max(net_counts, default=0))]
    crates = root / "crates"
    core = args.core.resolve()
    variants = {"empty": write_crate(crates, "ct_empty", "//! No spec: the baseline.\n", core)}
    for n in counts:
        variants[f"macro_{n}"] = write_crate(crates, f"ct_macro_{n}",
                                             lib_source(specs[:n], "macro"), core)
        variants[f"direct_{n}"] = write_crate(crates, f"ct_direct_{n}",
                                              lib_source(specs[:n], "direct"), core)
    for n in net_counts:
        variants[f"netmacro_{n}"] = write_crate(crates, f"ct_netmacro_{n}",
                                                lib_source(nets[:n], "netmacro"), core)
        variants[f"netdirect_{n}"] = write_crate(crates, f"ct_netdirect_{n}",
                                                 lib_source(nets[:n], "netdirect"), core)
    verify = write_crate(crates, "ct_verify", "//! See tests/same.rs.\n", core,
                         verify_source(specs, nets))

    print(f"crates in {crates}; building the dependencies and checking that the two forms of "
          f"all {len(specs)} single-layer and {len(nets)} network specs agree …", flush=True)
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
    rows = table(med, base, counts, "macro", "direct", "single layer") + \
        table(med, base, net_counts, "netmacro", "netdirect", "3-layer network")
    if args.json:
        args.json.write_text(json.dumps({"empty_s": base, "rows": rows, "times": times}, indent=1))


def table(med, base, counts, macro, direct, what):
    """The table of one kind of spec; its rows."""
    if not counts:
        return []
    print(f"\n{what} specs:\n")
    print("| specs | train! build | direct build | ratio | train! extra/spec | direct extra/spec "
          "| train! marginal/spec | direct marginal/spec | train! − direct per spec |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    first = counts[0]
    for n in counts:
        m, d = med[f"{macro}_{n}"], med[f"{direct}_{n}"]
        em, ed = (m - base) / n, (d - base) / n
        row = {"kind": what, "specs": n, "macro_s": m, "direct_s": d,
               "macro_extra_per_spec_ms": em * 1000, "direct_extra_per_spec_ms": ed * 1000,
               "macro_minus_direct_per_spec_ms": (m - d) / n * 1000}
        marginal = "| – | – |"
        if n > first:
            mm = (m - med[f"{macro}_{first}"]) / (n - first)
            md = (d - med[f"{direct}_{first}"]) / (n - first)
            row |= {"macro_marginal_per_spec_ms": mm * 1000, "direct_marginal_per_spec_ms": md * 1000}
            marginal = f"| {mm * 1000:.1f} ms | {md * 1000:.1f} ms |"
        rows.append(row)
        print(f"| {n} | {m * 1000:.0f} ms | {d * 1000:.0f} ms | {m / d:.2f} | {em * 1000:.1f} ms "
              f"| {ed * 1000:.1f} ms {marginal} {(m - d) / n * 1000:.1f} ms |")
    return rows


if __name__ == "__main__":
    main()
