#!/usr/bin/env python3
"""Issue 11's LeNet-like step under JAX `jit` in float64 against cnn-bp's unrecorded step, in
one run (BENCHMARKS.md, part 7).

The network (cnn-bp-bench/src/lenet.rs): a 28×28 input of one channel, conv 5×5 with 6 filters
and a bias, relu, max pool 2×2, flatten (864), dense 864 → 10 with a bias, softmax
cross-entropy against a one-hot target, one step of gradient descent with lr 0.1.

What it does:

1. builds `cargo bench -p cnn-bp-bench --bench network` (if it is not up to date) and finds the
   benchmark binary;
2. runs it for the `lenet` case only (`NETWORK_CASES=lenet NETWORK_PAIRED_ONLY=1`): it asserts
   the ops' step and the hand-written one bit-identical, writes the step's inputs and results
   to `<target>/criterion/lenet_step.json`, and prints its paired ratio with the median time
   of a step of each side;
3. builds the same step in JAX (float64, CPU), `jax.jit` of `value_and_grad` and the update,
   and checks that its loss and next parameters agree with cnn-bp's to 1e-12;
4. then `--rounds` times, one after the other: the Rust binary's measurement (step 2 again)
   and JAX's: the jitted step called `--reps` times after a warm-up, each call timed up to
   `block_until_ready`, the median; and, to see what is Python's dispatch and what XLA's
   computation, the same step `--loop` times inside one jitted `lax.fori_loop`, timed the same
   way, per step; and a jitted function with the step's arguments and results that computes
   next to nothing (each parameter plus 1), timed as the step is: what a call costs JAX
   whatever it computes. Each round gives the ratio JAX/ours; the figures are their medians.

JAX uses its default threads unless `--threads 1` (XLA's Eigen pool off, one intra-op thread);
cnn-bp's step is single-threaded.

Needs Python 3.11 and `pip install -r scripts/golden/requirements.txt` (jax, jaxlib 0.10.2).
Usage: python3 scripts/bench_jax_lenet.py [--rounds 5] [--reps 500] [--loop 200] [--threads 1]
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_binary() -> str:
    """The network benchmark's executable, built first if it is not up to date."""
    cmd = ["cargo", "bench", "-p", "cnn-bp-bench", "--bench", "network", "--no-run",
           "--message-format=json"]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        if (m.get("reason") == "compiler-artifact" and m["target"]["name"] == "network"
                and m.get("executable")):
            return m["executable"]
    sys.exit("no network benchmark executable in cargo's output")


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


PAIRED = re.compile(
    r"network/paired/lenet: core/hand = ([\d.]+) \(quartiles ([\d.]+)–([\d.]+)\); "
    r"medians ([\d.]+) ns and ([\d.]+) ns a step")


def rust_round(binary: str) -> dict:
    """One run of the Rust benchmark's lenet case: its paired ratio and medians (ns a step)."""
    env = dict(os.environ, NETWORK_CASES="lenet", NETWORK_PAIRED_ONLY="1")
    out = subprocess.run([binary, "--bench"], cwd=ROOT / "cnn-bp-bench", env=env, check=True,
                         capture_output=True, text=True).stdout
    m = PAIRED.search(out)
    if not m:
        sys.exit(f"no paired line for lenet in the benchmark's output:\n{out}")
    ratio, q1, q3, ops, hand = map(float, m.groups())
    return {"ratio": ratio, "q1": q1, "q3": q3, "ops_ns": ops, "hand_ns": hand}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=500, help="timed calls of the jitted step a round")
    ap.add_argument("--loop", type=int, default=200, help="steps in the timed fori_loop")
    ap.add_argument("--threads", type=int, default=0, help="1: XLA on one thread (default: its own)")
    args = ap.parse_args()

    if args.threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_cpu_multi_thread_eigen=false"
                                   + " intra_op_parallelism_threads=1").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp
    import jaxlib
    from jax import lax

    jax.config.update("jax_enable_x64", True)

    binary = bench_binary()
    first = rust_round(binary)
    data = json.loads((target_dir() / "criterion" / "lenet_step.json").read_text())

    x = jnp.array(data["x"], dtype=jnp.float64).reshape(1, 1, 28, 28)
    params = (
        jnp.array(data["w1"], dtype=jnp.float64).reshape(6, 1, 5, 5),
        jnp.array(data["b1"], dtype=jnp.float64),
        jnp.array(data["w2"], dtype=jnp.float64).reshape(10, 864),
        jnp.array(data["b2"], dtype=jnp.float64),
    )
    t = jnp.array(data["target"], dtype=jnp.float64)
    lr = data["lr"]

    def loss_fn(params, x, t):
        w1, b1, w2, b2 = params
        z1 = lax.conv_general_dilated(x, w1, (1, 1), "VALID",
                                      dimension_numbers=("NCHW", "OIHW", "NCHW"))
        y1 = jax.nn.relu(z1 + b1[None, :, None, None])
        pooled = lax.reduce_window(y1, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        z2 = w2 @ pooled.reshape(-1) + b2
        return -jnp.sum(t * jax.nn.log_softmax(z2))

    def update(params, x, t):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, t)
        return loss, tuple(p - lr * g for p, g in zip(params, grads))

    step = jax.jit(update)

    @jax.jit
    def floor(params, x, t):
        return jnp.sum(t), tuple(p + 1.0 for p in params)

    @jax.jit
    def steps(params, x, t):
        return lax.fori_loop(0, args.loop, lambda _, p: update(p, x, t)[1], params)

    # The same step: loss and next parameters against cnn-bp's, to 1e-12.
    loss, after = jax.block_until_ready(step(params, x, t))
    flat = jnp.concatenate([p.reshape(-1) for p in after])
    ours = jnp.array(data["after"], dtype=jnp.float64)
    param_diff = float(jnp.max(jnp.abs(flat - ours)))
    loss_diff = abs(float(loss) - data["loss"])
    rel_diff = float(jnp.max(jnp.abs(flat - ours) / jnp.maximum(jnp.abs(ours), 1e-300)))
    print(f"JAX {jax.__version__} (jaxlib {jaxlib.__version__}), {jax.devices()[0].platform}, "
          f"float64, threads: {'1' if args.threads == 1 else 'XLA default'}; "
          f"Python {platform.python_version()}")
    print(f"same step: loss {float(loss)!r} (cnn-bp {data['loss']!r}, |Δ| {loss_diff:.1e}); "
          f"next parameters, largest |Δ| {param_diff:.1e} (relative {rel_diff:.1e}) "
          f"over {flat.size} values")
    if not (param_diff <= 1e-12 and loss_diff <= 1e-12):
        sys.exit("JAX and cnn-bp differ by more than 1e-12")

    for _ in range(50):
        jax.block_until_ready(step(params, x, t))
        jax.block_until_ready(floor(params, x, t))
    jax.block_until_ready(steps(params, x, t))

    def calls(f):
        times = []
        for _ in range(args.reps):
            start = time.perf_counter()
            jax.block_until_ready(f(params, x, t))
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e9

    def jax_round():
        call_ns, floor_ns = calls(step), calls(floor)
        loops = []
        for _ in range(5):
            start = time.perf_counter()
            jax.block_until_ready(steps(params, x, t))
            loops.append((time.perf_counter() - start) / args.loop)
        return call_ns, statistics.median(loops) * 1e9, floor_ns

    rows = []
    print(f"{'round':>5} {'ours (ops)':>12} {'hand':>10} {'ops/hand':>9} {'JAX jit call':>13} "
          f"{'JAX in loop':>12} {'JAX floor':>10} {'JAX/ours':>9} {'loop/ours':>10}")
    for k in range(args.rounds):
        rust = first if k == 0 else rust_round(binary)
        call_ns, loop_ns, floor_ns = jax_round()
        row = dict(rust, jax_ns=call_ns, loop_ns=loop_ns, floor_ns=floor_ns,
                   jax_ratio=call_ns / rust["ops_ns"], loop_ratio=loop_ns / rust["ops_ns"])
        rows.append(row)
        print(f"{k + 1:>5} {rust['ops_ns'] / 1e3:>9.1f} µs {rust['hand_ns'] / 1e3:>7.1f} µs "
              f"{rust['ratio']:>9.3f} {call_ns / 1e3:>10.1f} µs {loop_ns / 1e3:>9.1f} µs "
              f"{floor_ns / 1e3:>7.1f} µs "
              f"{row['jax_ratio']:>9.2f} {row['loop_ratio']:>10.2f}")

    def med(key):
        return statistics.median(r[key] for r in rows)

    print(f"median: ours {med('ops_ns') / 1e3:.1f} µs a step (hand-written {med('hand_ns') / 1e3:.1f}"
          f" µs, paired ops/hand {med('ratio'):.3f}); JAX jit {med('jax_ns') / 1e3:.1f} µs a call,"
          f" {med('loop_ns') / 1e3:.1f} µs a step in a fori_loop, {med('floor_ns') / 1e3:.1f} µs a"
          f" call that computes next to nothing; JAX/ours {med('jax_ratio'):.2f}"
          f" (a call), {med('loop_ratio'):.2f} (in a loop)")


if __name__ == "__main__":
    main()
