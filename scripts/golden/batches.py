#!/usr/bin/env python3
"""Generate tests/golden_batches.rs: golden values for issue 13's mini-batches
(`examples: [{ input, target }, …]`, `reduction: mean | sum`), computed
independently with JAX in float64 and cross-checked, before anything is
written, against the loop reference of classifiers.py (netref.py's conv and
exactness bookkeeping, hand-written backward passes, exact fractions where the
arithmetic is rational, else 50-digit mpmath) and against central finite
differences of every example's loss and of the batch's loss.

Usage (from the repository root):  python3 scripts/golden/batches.py
Options: --out PATH (default tests/golden_batches.rs), --no-rustfmt, --table
(coverage table).

Semantics (issue 13, and cnn_bp_core::network::train_batch): at every step every
example's forward and backward pass at the same parameters; the batch's loss
L = (1/N)·Σₙ Lₙ (`reduction: mean`, the default) or Σₙ Lₙ (`sum`); its gradient
the same mean or sum of the examples' gradients (in JAX: `jax.grad` of the
batch loss itself, held against the mean/sum of the examples' own `jax.grad`s);
one update p ← p − η·∂L/∂p per step.

Each case without sigmoid, tanh or softmax cross-entropy also runs with
`arithmetic: exact` in its test, checked to 1e-12 against the same values and
against the float run (tests/common/golden.rs, tests/common/golden_batch.rs).

networks.py and classifiers.py are untouched: this script imports their spec
model (conv, activations, pools, flatten, dense), literal layout, assertion
blocks, JAX layers and loop reference.
"""

import argparse
import math
import os
import random
import sys
import textwrap
import time
from fractions import Fraction

import mpmath

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import networks as nw  # noqa: E402  (sets jax_enable_x64 before anything else)
import classifiers as cl  # noqa: E402
import netref  # noqa: E402
from generate import lit  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

assert jax.config.jax_enable_x64
mpmath.mp.dps = 50

SEED = 20240613
T0 = time.time()
PROGRESS = True
ROOT = nw.ROOT
conv, act = nw.conv, nw.act
max_pool, avg_pool, flatten, dense = cl.max_pool, cl.avg_pool, cl.flatten, cl.dense


# ------------------------------------------------------------------ spec model


def example(input, target=None, grad_output=None):
    """One example: { input, target } or { input, grad_output }. A softmax cross-entropy
    target may be an int: a class index."""
    assert (target is None) != (grad_output is None)
    return dict(input=input, target=target, grad_output=grad_output)


def single_layer(filter, bias=None, activation=None, stride=None, padding=None,
                 kernel=None):
    """The single-layer keys (`filter`, `bias`, `activation`, `stride`, `padding`,
    `kernel`), written at the top level; None: the key is absent. They make
    `layers: [conv {…}, <activation>]` (relu when absent, no layer for `linear`)."""
    a = activation or "relu"
    layers = [conv(filter, bias=bias, stride=stride or 1, padding=padding or 0,
                   kernel=kernel or "correlation")]
    if isinstance(a, tuple):
        layers.append(act("leaky_relu", a[1]))
    elif a != "linear":
        layers.append(act(a))
    keys = dict(filter=filter, bias=bias, activation=activation, stride=stride,
                padding=padding, kernel=kernel)
    return layers, keys


def batch(name, note, examples, layers=None, single=None, loss=None, reduction=None, lr=None,
          steps=None, ints=False, tags=()):
    """reduction None: the key is absent (mean). single: single_layer(...) instead of
    layers. ints: integral numbers written as integer literals."""
    assert (layers is None) != (single is None)
    keys = None
    if single is not None:
        layers, keys = single
    go = examples[0]["grad_output"] is not None
    assert all((e["grad_output"] is not None) == go for e in examples), "mixed objectives"
    assert go == (loss is None)
    assert 1 <= len(examples) <= 256
    if lr is None:
        assert steps is None
    exs = []
    for e in examples:
        # classifiers.net validates the chain, the shapes and a softmax target
        t, idx = e["target"], None
        if isinstance(t, int) and loss == "softmax_cross_entropy":
            idx = t
            n_cls = cl.shape_chain(dict(input=cl.as_tensor(e["input"])[0], layers=layers))[-1][0]
            assert 0 <= idx < n_cls
            t = [1.0 if k == idx else 0.0 for k in range(n_cls)]
        s = cl.net(name, note, e["input"], layers, target=t, loss=loss,
                   grad_output=e["grad_output"])
        exs.append(dict(input=s["input"], input_kind=s["input_kind"], target=s["target"],
                        target_kind="class" if idx is not None else s["target_kind"],
                        class_index=idx, grad_output=s["grad_output"], go_kind=s["go_kind"]))
    return dict(name=name, note=note, examples=exs, layers=layers, single=keys, loss=loss,
                reduction=reduction, lr=lr, steps=steps, ints=ints, tags=set(tags),
                grad_output=True if go else None)


def reduction_of(b):
    return b["reduction"] or "mean"


def n_steps(b):
    return b["steps"] or 1


def example_spec(b, n):
    """Example n as a single-input spec (classifiers.py's model)."""
    e = b["examples"][n]
    return dict(name=f"{b['name']}[{n}]", input=e["input"], input_kind=e["input_kind"],
                layers=b["layers"], lr=None, steps=None, ints=b["ints"], ties=False, tags=set(),
                target=e["target"], target_kind=e["target_kind"], loss=b["loss"],
                grad_output=e["grad_output"], go_kind=e["go_kind"])


def is_rational(b):
    return cl.is_rational(example_spec(b, 0))


def param_names(b):
    return cl.param_names(b)


# ------------------------------------------------------------- loop reference


def reduce_(b, values, num):
    """The batch's mean or sum of per-example values (exact where num is)."""
    s = num(0)
    for v in values:
        s += v
    return s / len(values) if reduction_of(b) == "mean" else s


def ref_train_batch(b, exact=None):
    """The batch trained with classifiers.py's loop reference, one Ref per example
    (its own loss and objective), the reduction and the update written out.
    Returns (result, nets, batch exactness)."""
    if exact is None:
        exact = is_rational(b)
    specs = [example_spec(b, n) for n in range(len(b["examples"]))]
    nets = [cl.Ref(s, exact) for s in specs]
    num = nets[0].num
    bex = netref.Exactness(exact)
    if not exact:
        bex.clean = False
    N = len(specs)
    inv = Fraction(1, N) if reduction_of(b) == "mean" else Fraction(1)
    Xs = [cl.to_num(s["input"], num) for s in specs]
    params = cl.initial_params(b, num)
    lr = None if b["lr"] is None else num(b["lr"])
    steps = []
    for k in range(n_steps(b)):
        per = []
        for r, X in zip(nets, Xs):
            r.step = k
            outs, L, grads, in_grads = r.pass_(params, X)
            per.append(dict(loss=L, grads=cl.named(b, grads),
                            outputs=[(cl.shape_of(o), netref.flat(o)) for o in outs],
                            input_grads=[(cl.shape_of(g), netref.flat(g)) for g in in_grads],
                            out_grad=netref.flat(r.out_grad), grads_raw=grads))
        L = reduce_(b, [p["loss"] for p in per], num)
        bex.note(f"step {k} batch loss", [(p["loss"], inv) for p in per], L)
        bgrads = []
        for j, (name, shape, _) in enumerate(per[0]["grads"]):
            vals = []
            for i in range(len(per[0]["grads"][j][2])):
                g = reduce_(b, [p["grads"][j][2][i] for p in per], num)
                bex.note(f"step {k} batch grad {name}[{i}]",
                         [(p["grads"][j][2][i], inv) for p in per], g)
                vals.append(g)
            bgrads.append((name, shape, vals))
        steps.append(dict(loss=L, params=cl.named(b, params), grads=bgrads, examples=per))
        if lr is None:
            break
        gd = {name: vals for name, _, vals in bgrads}
        new = []
        for li, p in enumerate(params):
            q = {}
            for key, v in p.items():
                upd = []
                for a, g in zip(netref.flat(v), gd[f"{li}.{key}"]):
                    r_ = a - lr * g
                    bex.note(f"step {k} update", [(a,), (-1, lr, g)], r_)
                    upd.append(r_)
                q[key] = cl.reshape_like(upd, v)
            new.append(q)
        params = new
    losses = []
    for r, X in zip(nets, Xs):
        r.step = None
        outs = r.forward(params, X)
        losses.append(r.loss(outs[-1])[0])
    L_after = reduce_(b, losses, num)
    bex.note("loss_after", [(l_, inv) for l_ in losses], L_after)
    return dict(steps=steps, params=cl.named(b, params), loss_after=L_after), nets, bex


# ----------------------------------------------------------------------- JAX


def jax_train_batch(b):
    """JAX: the batch loss as a function of the parameters, differentiated as it is."""
    layers = b["layers"]
    N = len(b["examples"])
    fns = [cl.jax_layer(l) for l in layers]
    specs = [example_spec(b, n) for n in range(N)]
    loss_fns = [cl.jax_loss_fn(s) for s in specs]
    Xs = [jnp.asarray(s["input"], dtype=jnp.float64) for s in specs]
    mean = reduction_of(b) == "mean"

    def run_from(params, h, k):
        outs = []
        for f, p in zip(fns[k:], params[k:]):
            h = f(p, h)
            outs.append(h)
        return outs

    def ex_loss(params, x, n):
        return loss_fns[n](run_from(params, x, 0)[-1])

    def batch_loss(params, xs):
        total = sum(ex_loss(params, xs[n], n) for n in range(N))
        return total / N if mean else total

    batch_grad = jax.grad(batch_loss)
    ex_grads = [jax.grad(lambda p, x, n=n: ex_loss(p, x, n), argnums=(0, 1)) for n in range(N)]
    suffix = [[jax.grad(lambda h, p, k=k, n=n: loss_fns[n](run_from(p, h, k)[-1]))
               for k in range(len(layers))] for n in range(N)]

    params = cl.jax_params(layers)

    @jax.jit
    def one_pass(params, xs):
        per = []
        for n in range(N):
            outs = run_from(params, xs[n], 0)
            gp, gx = ex_grads[n](params, xs[n])
            ins = [xs[n]] + outs[:-1]
            in_grads = [suffix[n][k](ins[k], params) for k in range(len(layers))]
            per.append((loss_fns[n](outs[-1]), gp, gx, outs, in_grads))
        return batch_loss(params, xs), batch_grad(params, xs), per

    steps = []
    for _ in range(n_steps(b)):
        L, gp, per = one_pass(params, Xs)
        exs = []
        for n, (Ln, gpn, gxn, outs, in_grads) in enumerate(per):
            assert jnp.allclose(in_grads[0], gxn, rtol=1e-13, atol=1e-13), b["name"]
            exs.append(dict(loss=float(Ln), grads=cl.named_jax(b, gpn),
                            outputs=[nw.maps_jax(o) for o in outs],
                            input_grads=[nw.maps_jax(g) for g in in_grads]))
        # jax.grad of the batch loss against the mean/sum of the examples' own gradients
        for li, p in enumerate(gp):
            for key, v in p.items():
                red = sum(e_[1][li][key] for e_ in per)
                red = red / N if mean else red
                assert jnp.allclose(v, red, rtol=1e-13, atol=1e-13), (b["name"], li, key)
        steps.append(dict(loss=float(L), params=cl.named_jax(b, params),
                          grads=cl.named_jax(b, gp), examples=exs))
        if b["lr"] is None:
            break
        lr = b["lr"]
        params = [{k: v - lr * g[k] for k, v in p.items()} for p, g in zip(params, gp)]
    return dict(steps=steps, params=cl.named_jax(b, params),
                loss_after=float(jax.jit(batch_loss)(params, Xs)))


# -------------------------------------------------------------------- checking


def walk(res):
    """(label, key, value) for every number of a batch result, in order."""
    for k, s in enumerate(res["steps"]):
        yield f"step {k} loss", None, s["loss"]
        for what in ("params", "grads"):
            for name, shape, vals in s[what]:
                for i, v in enumerate(vals):
                    yield f"step {k} {what} {name}[{i}]", (name, tuple(shape)), v
        for n, e in enumerate(s["examples"]):
            yield f"step {k} example {n} loss", None, e["loss"]
            for name, shape, vals in e["grads"]:
                for i, v in enumerate(vals):
                    yield f"step {k} example {n} grads {name}[{i}]", (name, tuple(shape)), v
            for what in ("outputs", "input_grads"):
                for j, (shape, vals) in enumerate(e[what]):
                    for i, v in enumerate(vals):
                        yield f"step {k} example {n} {what} {j}[{i}]", tuple(shape), v
    for name, shape, vals in res["params"]:
        for i, v in enumerate(vals):
            yield f"final {name}[{i}]", (name, tuple(shape)), v
    yield "loss_after", None, res["loss_after"]


def as_written(b):
    """The batch's numbers as an `arithmetic: exact` run reads them: the decimals written."""
    def tensor(t):
        return [tensor(x) for x in t] if isinstance(t, list) else nw.decimal(t)
    base = nw.as_written(dict(b, input=None, target=None, grad_output=None))
    w = dict(b, layers=base["layers"], lr=base["lr"])
    w["examples"] = [dict(e, input=tensor(e["input"]),
                          target=None if e["target"] is None else tensor(e["target"]),
                          grad_output=None if e["grad_output"] is None else
                          tensor(e["grad_output"])) for e in b["examples"]]
    return w


def single_run_check(b, jx):
    """Each example's step-0 values against classifiers.py's own JAX pipeline run on that
    example alone (no lr): a code path independent of the batch's."""
    n_vals = 0
    for n in range(len(b["examples"])):
        one = cl.jax_train(example_spec(b, n))["steps"][0]
        e = jx["steps"][0]["examples"][n]
        assert nw.close(one["loss"], e["loss"]), (b["name"], n)
        for (na, sa, va), (nb_, sb, vb) in zip(one["grads"], e["grads"], strict=True):
            assert (na, sa) == (nb_, sb) and all(map(nw.close, va, vb)), (b["name"], n, na)
            n_vals += len(va)
        for what in ("outputs", "input_grads"):
            for (sa, va), (sb, vb) in zip(one[what], e[what], strict=True):
                assert sa == sb and all(map(nw.close, va, vb)), (b["name"], n, what)
                n_vals += len(va)
    return n_vals


def check_case(b, jx):
    """Raises AssertionError where JAX and the loop reference disagree; returns
    (reason to reject the draw or None, reference result, stats)."""
    ref, nets, bex = ref_train_batch(b)
    wj, wr = list(walk(jx)), list(walk(ref))
    assert len(wj) == len(wr), (b["name"], len(wj), len(wr))
    rational = nets[0].exact
    exact_all = rational and bex.clean and all(r.ex.clean for r in nets)
    n_bit = 0
    for (lj, kj, vj), (lr_, kr, vr) in zip(wj, wr):
        assert lj == lr_ and kj == kr, (b["name"], lj, lr_, kj, kr)
        if not math.isfinite(vj):
            return f"{lj} not finite", None, None
        if abs(vj) > nw.MAX_ABS:
            return f"{lj} = {vj:.6g} too large", None, None
        fr = float(vr)
        if exact_all:
            assert vj == fr, f"{b['name']}: {lj}: JAX {vj!r} != exact {vr} (exact case)"
        else:
            assert nw.close(vj, fr), f"{b['name']}: {lj}: JAX {vj!r} vs reference {fr!r}"
        n_bit += vj == fr
    n_zero = n_visible = 0
    for n, r in enumerate(nets):
        for step, where, idx, z, safe in r.kinks:
            if z == 0:
                if not safe:
                    return f"example {n} {where} z{list(idx)} == 0, not provably in f64", \
                        None, None
                n_zero += 1
                # the exact 0 is under a nonzero upstream gradient: relu′(0) is visible
                k = int(where.split()[3])
                s = ref["steps"][step]["examples"][n]
                up = s["input_grads"][k + 1][1] if k + 1 < len(b["layers"]) else s["out_grad"]
                flat_i = 0
                shape = s["outputs"][k][0]
                for d_, i_ in zip(shape, idx):
                    flat_i = flat_i * d_ + i_
                n_visible += up[flat_i] != 0
            elif abs(z) < nw.KINK_GAP:
                return f"example {n} {where} z{list(idx)} = {float(z):.3g} near the kink", \
                    None, None
        for w in r.windows:
            where = f"example {n} step {w['step']} layer {w['layer']} window {list(w['idx'])}"
            if w["gap"] is not None and w["gap"] < cl.POOL_GAP:
                return f"{where}: max beats the next by only {float(w['gap']):.3g}", None, None
            if len(w["tied"]) > 1:
                return f"{where}: tie {w['tied']}", None, None
    n_single = single_run_check(b, jx)
    exact_ref = ref_train_batch(as_written(b), exact=True)[0] if rational else None
    gap = None
    if rational:
        gap = 0.0
        for (lj, kj, vj), (le, ke, ve) in zip(wj, walk(exact_ref), strict=True):
            assert lj == le and kj == ke
            fe = float(ve)
            assert nw.exact_close(vj, fe), (
                f"{b['name']}: {lj}: exact run from the written decimals {fe!r} vs JAX {vj!r}")
            gap = max(gap, nw.rel_gap(vj, fe))
    return None, ref, dict(rational=rational, exact_all=exact_all, bit=n_bit, total=len(wj),
                           zeros=n_zero, visible=n_visible, single=n_single,
                           exact_ref=exact_ref, exact_gap=gap)


def finite_differences(b, ref, step=0):
    """Central differences at the parameters step `step` started from: of every example's
    loss for every parameter entry and every entry of its input, and of the batch's loss for
    every parameter entry (the mean/sum of the examples' losses at p ± h). Rational cases:
    exact fractions, h = 2^-24, equal exactly (quadratic in any one entry between kinks);
    others: 50-digit mpmath, h = 1e-15, within 1e-18 relative. Entries whose ±h move changes
    a relu sign or a window's maximum are skipped. Returns (checked, skipped, worst)."""
    exact = is_rational(b)
    num = Fraction if exact else cl.mpf_of
    h = Fraction(1, 2 ** 24) if exact else mpmath.mpf(10) ** -15
    s = ref["steps"][step]
    base = [(n, sh, [num(v) for v in vals]) for n, sh, vals in s["params"]]
    specs = [example_spec(b, n) for n in range(len(b["examples"]))]
    X0s = [cl.to_num(sp["input"], num) for sp in specs]

    def L_and_pattern(n, named_params, X):
        rnet = cl.Ref(specs[n], exact)
        params = cl.initial_params(b, num)
        for name, _, vals in named_params:
            i, kind = name.split(".")
            params[int(i)][kind] = cl.reshape_like(vals, params[int(i)][kind])
        outs = rnet.forward(params, X)
        L, _ = rnet.loss(outs[-1])
        return L, cl.pattern(specs[n], rnet, outs, X)

    pat0 = [L_and_pattern(n, base, X0s[n])[1] for n in range(len(specs))]
    checked = skipped = 0
    worst = 0.0

    def agree(fd, g, what):
        nonlocal worst
        if exact:
            assert fd == Fraction(g), (b["name"], what, float(fd), float(g))
        else:
            err = abs(fd - g) / max(1, abs(g))
            worst = max(worst, float(err))
            assert err < 1e-18, (b["name"], what, float(fd), float(g))

    bgrads = {name: g for name, _, g in s["grads"]}
    for pi, (name, _, vals) in enumerate(base):
        for i in range(len(vals)):
            Ls, ok = [], True
            for n in range(len(specs)):
                pair, ok_n = [], True
                for sign in (1, -1):
                    params = [(nm, sh, list(v)) for nm, sh, v in base]
                    params[pi][2][i] += sign * h
                    L, pat = L_and_pattern(n, params, X0s[n])
                    ok_n = ok_n and pat == pat0[n]
                    pair.append(L)
                Ls.append(pair)
                ok = ok and ok_n
                if not ok_n:
                    skipped += 1
                    continue
                eg = dict((nm, g) for nm, _, g in s["examples"][n]["grads"])[name][i]
                agree((pair[0] - pair[1]) / (2 * h), eg, f"example {n} {name}[{i}]")
                checked += 1
            if not ok:
                skipped += 1
                continue
            fd = (reduce_(b, [p[0] for p in Ls], num) - reduce_(b, [p[1] for p in Ls], num)) \
                / (2 * h)
            agree(fd, bgrads[name][i], f"batch {name}[{i}]")
            checked += 1
    for n in range(len(specs)):
        for i, g in enumerate(s["examples"][n]["input_grads"][0][1]):
            pair, ok = [], True
            for sign in (1, -1):
                fl = netref.flat(X0s[n])
                fl[i] += sign * h
                L, pat = L_and_pattern(n, base, cl.reshape_like(fl, X0s[n]))
                ok = ok and pat == pat0[n]
                pair.append(L)
            if not ok:
                skipped += 1
                continue
            agree((pair[0] - pair[1]) / (2 * h), g, f"example {n} x[{i}]")
            checked += 1
    return checked, skipped, worst


# ----------------------------------------------------------------------- cases


q = cl.q
grid, fgrid = cl.grid, cl.fgrid


def vec(rng, n, lo=-4, hi=4, den=4):
    return [rng.randint(lo, hi) / den for _ in range(n)]


def probs(rng, n):
    """A dyadic probability vector (quarters or eighths)."""
    while True:
        ks = [rng.randint(0, 4) for _ in range(n)]
        if sum(ks) and (8 % sum(ks) == 0):
            return [k / sum(ks) for k in ks]


def handcrafted():
    """(builder, fixed) pairs, as in classifiers.py: a fixed builder must pass as written,
    the others are redrawn (from the fixed seed) until they pass the checks."""
    B = []

    def case(fixed=False):
        def deco(f):
            B.append((f, fixed))
            return f
        return deco

    pair_x = [q([1, -1, 0], [0, 1, 0], [0, -1, 1]), q([1, 0, 1], [0, 1, 0], [1, 0, 1])]
    pair_t = [q([1, 0], [0, 1]), q([1, 1], [0, 0])]

    @case(fixed=True)
    def issue_pair(rng):
        return batch(
            "issue_pair", "the issue's batch example, verbatim: two examples, one conv 2×2 and "
            "relu, half_sse, reduction mean, lr 0.5, one step: L = (2 + 3)/2 = 5/2, "
            "∂L/∂w = ([[2, −2], [0, 2]] + [[3, 0], [0, 3]])/2 = [[2.5, −1], [0, 2.5]], "
            "w ← [[−0.25, −0.5], [1, −0.25]]; relu′(0) = 0 at example 1's z[0,1] = 0 under "
            "δ = −1",
            [example(x, target=t) for x, t in zip(pair_x, pair_t)],
            layers=[conv(q([1, -1], [1, 1])), act("relu")], loss="half_sse", reduction="mean",
            lr=0.5, steps=1, ints=True, tags=("issue example",))

    @case(fixed=True)
    def issue_pair_sum(rng):
        return batch(
            "issue_pair_sum_two_steps", "the issue's pair with reduction: sum (L = 2 + 3 = 5, "
            "the gradient the sum) and lr 0.125, two steps",
            [example(x, target=t) for x, t in zip(pair_x, pair_t)],
            layers=[conv(q([1, -1], [1, 1])), act("relu")], loss="half_sse", reduction="sum",
            lr=0.125, steps=2, ints=True)

    @case()
    def one_example(rng):
        return batch(
            "one_example_sse", "a batch of one (reduction absent: mean of one): conv, relu, "
            "1×1 conv with bias; sse, 2 steps",
            [example(grid(rng, [4, 4]), target=grid(rng, [3, 3], -4, 4))],
            layers=[conv(grid(rng, [2, 2], -4, 4), bias=0.25), act("relu"),
                    conv(q([0.5]), bias=-0.25)], loss="sse", lr=0.05, steps=2)

    @case()
    def three_mse_channels(rng):
        return batch(
            "three_examples_mse_two_channels", "3 examples (the mean divides by 3), 2 input "
            "channels, 2 filters with a bias each, leaky_relu(0.1), mse over C·H·W = 8",
            [example(grid(rng, [2, 3, 3]), target=grid(rng, [2, 2, 2], -4, 4))
             for _ in range(3)],
            layers=[conv(grid(rng, [2, 2, 2, 2], -4, 4), bias=[0.25, -0.5]),
                    act("leaky_relu", 0.1)], loss="mse", reduction="mean", lr=0.25, steps=2)

    @case()
    def five_sum_stride(rng):
        return batch(
            "five_examples_sum_stride_padding", "5 examples summed: stride 2 and padding 1, "
            "relu, then a 2×2 conv; half_sse, 1 step",
            [example(grid(rng, [5, 5]), target=grid(rng, [2, 2], -4, 4)) for _ in range(5)],
            layers=[conv(grid(rng, [3, 3], -4, 4), bias=0.5, stride=2, padding=1), act("relu"),
                    conv(grid(rng, [2, 2], -4, 4))], loss="half_sse", reduction="sum",
            lr=0.05, steps=1)

    @case()
    def grad_output_no_lr(rng):
        return batch(
            "four_grad_outputs_no_lr", "4 examples with upstream gradients, mean, no lr: one "
            "pass, the mean of Σ gₙ ⊙ yₙ and its gradient, no update",
            [example(grid(rng, [4, 5]), grad_output=grid(rng, [2, 2, 4], -4, 4))
             for _ in range(4)],
            layers=[conv(grid(rng, [2, 1, 3, 2], -4, 4), bias=[0.5, -0.25]), act("relu")],
            reduction="mean")

    @case()
    def grad_output_dilation(rng):
        return batch(
            "two_grad_outputs_sum_dilation_convolution", "2 upstream gradients summed, 3 steps "
            "of lr 0.1: dilation 2 and kernel: convolution, then leaky_relu(0.25) and a conv "
            "with dilation (1, 2)",
            [example(grid(rng, [6, 6]), grad_output=grid(rng, [3, 2], -4, 4)) for _ in range(2)],
            layers=[conv(grid(rng, [2, 2], -4, 4), dilation=2, kernel="convolution"),
                    act("leaky_relu", 0.25), conv(grid(rng, [2, 2], -4, 4), dilation=(1, 2))],
            reduction="sum", lr=0.1, steps=3)

    @case()
    def tanh_hidden(rng):
        return batch(
            "three_examples_tanh_hidden_sse", "3 examples, tanh between two convs (2 filters, "
            "then 1 on 2 channels), sse, mean, 2 steps",
            [example(grid(rng, [4, 4]), target=grid(rng, [2, 2], -4, 4)) for _ in range(3)],
            layers=[conv(grid(rng, [2, 1, 2, 2], -4, 4), bias=[0.25, 0]), act("tanh"),
                    conv(grid(rng, [1, 2, 2, 2], -4, 4), bias=0.25)], loss="sse",
            reduction="mean", lr=0.1, steps=2)

    @case()
    def sigmoid_last(rng):
        return batch(
            "two_examples_sigmoid_mse_sum", "2 examples summed, sigmoid last, mse, 3 steps",
            [example(grid(rng, [3, 4]), target=grid(rng, [2, 3], 0, 4)) for _ in range(2)],
            layers=[conv(grid(rng, [2, 2], -4, 4), bias=-0.25), act("sigmoid")], loss="mse",
            reduction="sum", lr=0.5, steps=3)

    @case()
    def three_convs(rng):
        return batch(
            "three_convs_three_channels", "2 examples of 3 channels; conv ×2, relu, conv ×2 "
            "padding (0, 1), leaky_relu(0.2), 1×1 conv; half_sse, mean, 2 steps",
            [example(grid(rng, [3, 4, 4]), target=grid(rng, [1, 2, 4], -4, 4))
             for _ in range(2)],
            layers=[conv(grid(rng, [2, 3, 2, 2], -4, 4), bias=[0.25, -0.25]), act("relu"),
                    conv(grid(rng, [2, 2, 2, 2], -4, 4), padding=(0, 1)),
                    act("leaky_relu", 0.2), conv(grid(rng, [1, 2, 1, 1], -4, 4), bias=0.5)],
            loss="half_sse", reduction="mean", lr=0.05, steps=2)

    @case()
    def float_literals(rng):
        return batch(
            "two_examples_decimal_literals", "2 examples with 3-digit decimals (not dyadic: the "
            "exact run starts from the decimals as written), conv, relu, sse, mean, 2 steps",
            [example(fgrid(rng, [4, 4]), target=fgrid(rng, [3, 3])) for _ in range(2)],
            layers=[conv(fgrid(rng, [2, 2]), bias=0.125), act("relu")], loss="sse",
            reduction="mean", lr=0.1, steps=2)

    # ---- classifiers
    @case()
    def cls_indices(rng):
        return batch(
            "conv_max_pool_dense_class_indices", "3 examples with class indices (the same "
            "class twice): conv, relu, 2×2 max pool, flatten, dense 4→3; softmax "
            "cross-entropy, mean, 2 steps",
            [example(fgrid(rng, [5, 5]), target=c) for c in (1, 0, 1)],
            layers=[conv(fgrid(rng, [2, 2], -0.5, 0.5), bias=0.5), act("relu"), max_pool(2),
                    flatten(), dense(grid(rng, [3, 4], -4, 4), bias=vec(rng, 3))],
            loss="softmax_cross_entropy", reduction="mean", lr=0.1, steps=2,
            tags=("class indices",))

    @case()
    def cls_probs(rng):
        return batch(
            "conv_two_filters_max_pool_probabilities_sum", "4 examples summed, probability "
            "targets: conv ×2, relu, overlapping 2×2 max pool (stride 1), flatten, dense 8→3; "
            "softmax cross-entropy, 2 steps",
            [example(fgrid(rng, [4, 4]), target=probs(rng, 3)) for _ in range(4)],
            layers=[conv(fgrid(rng, [2, 1, 2, 2], -0.5, 0.5), bias=[0.5, 0.25]), act("relu"),
                    max_pool(2, 1), flatten(), dense(grid(rng, [3, 8], -4, 4))],
            loss="softmax_cross_entropy", reduction="sum", lr=0.05, steps=2)

    @case()
    def mlp_indices(rng):
        return batch(
            "mlp_five_class_indices", "an MLP on vectors: dense 4→3, relu, dense 3→3; 5 "
            "examples with class indices, mean, 3 steps",
            [example(vec(rng, 4), target=c) for c in (0, 2, 1, 2, 0)],
            layers=[dense(grid(rng, [3, 4], -4, 4), bias=vec(rng, 3)), act("relu"),
                    dense(grid(rng, [3, 3], -4, 4), bias=vec(rng, 3))],
            loss="softmax_cross_entropy", lr=0.25, steps=3, tags=("class indices",))

    @case()
    def mlp_tanh_half_sse(rng):
        return batch(
            "mlp_tanh_half_sse_sum", "an MLP on vectors: dense 3→4, tanh, dense 4→2; half_sse "
            "on vector targets, 2 examples summed, 2 steps",
            [example(vec(rng, 3), target=vec(rng, 2)) for _ in range(2)],
            layers=[dense(grid(rng, [4, 3], -4, 4), bias=vec(rng, 4)), act("tanh"),
                    dense(grid(rng, [2, 4], -4, 4))],
            loss="half_sse", reduction="sum", lr=0.1, steps=2)

    @case()
    def avg_pool_mse(rng):
        return batch(
            "conv_avg_pool_dense_mse_three", "3 examples (÷3), conv, 2×2 avg pool (÷4), "
            "flatten, dense 4→2 with bias; mse on vectors, mean, 2 steps",
            [example(grid(rng, [5, 5]), target=vec(rng, 2)) for _ in range(3)],
            layers=[conv(grid(rng, [2, 2], -4, 4), bias=0.25), avg_pool(2), flatten(),
                    dense(grid(rng, [2, 4], -4, 4), bias=vec(rng, 2))],
            loss="mse", reduction="mean", lr=0.1, steps=2)

    @case()
    def max_pool_grad_output(rng):
        return batch(
            "max_pool_grad_output_sum", "2 upstream gradients summed through 3×3 max pool with "
            "stride 2 (overlapping), flatten, dense 4→2; lr 0.25, 2 steps",
            [example(grid(rng, [5, 5], -12, 12, 4, distinct=True), grad_output=vec(rng, 2))
             for _ in range(2)],
            layers=[max_pool(3, 2), flatten(), dense(grid(rng, [2, 4], -4, 4), bias=vec(rng, 2))],
            reduction="sum", lr=0.25, steps=2)

    @case()
    def dense_probs_no_steps(rng):
        return batch(
            "dense_probabilities_lr_without_steps", "one dense 3→3 with bias, probability "
            "targets, 2 examples, reduction absent (mean), lr given and steps absent",
            [example(vec(rng, 3), target=probs(rng, 3)) for _ in range(2)],
            layers=[dense(grid(rng, [3, 3], -4, 4), bias=vec(rng, 3))],
            loss="softmax_cross_entropy", lr=0.5)

    @case()
    def cls_probs_five(rng):
        return batch(
            "conv_classifier_two_dense_five_sum", "5 examples summed, probability targets: conv "
            "×2, relu, 2×2 max pool, flatten, dense 8→4, leaky_relu(0.1), dense 4→3; 3 steps",
            [example(fgrid(rng, [2, 4, 4]), target=probs(rng, 3)) for _ in range(5)],
            layers=[conv(fgrid(rng, [2, 2, 1, 1], -0.75, 0.75), bias=[0.5, 0.25]), act("relu"),
                    max_pool(2), flatten(), dense(grid(rng, [4, 8], -4, 4), bias=vec(rng, 4)),
                    act("leaky_relu", 0.1), dense(grid(rng, [3, 4], -4, 4))],
            loss="softmax_cross_entropy", reduction="sum", lr=0.05, steps=3)

    @case()
    def mlp_sigmoid_indices(rng):
        return batch(
            "mlp_sigmoid_four_class_indices", "4 examples with class indices, dense 2→3, "
            "sigmoid, dense 3→2; mean, 2 steps",
            [example(vec(rng, 2), target=c) for c in (0, 1, 1, 0)],
            layers=[dense(grid(rng, [3, 2], -4, 4), bias=vec(rng, 3)), act("sigmoid"),
                    dense(grid(rng, [2, 3], -4, 4))],
            loss="softmax_cross_entropy", reduction="mean", lr=0.5, steps=2,
            tags=("class indices",))

    @case()
    def cls_half_sse(rng):
        return batch(
            "conv_flatten_dense_sse_sum", "3 examples summed: conv ×2 with stride 2, relu, "
            "flatten, dense 8→2; sse on vectors, 1 step",
            [example(grid(rng, [5, 5]), target=vec(rng, 2)) for _ in range(3)],
            layers=[conv(grid(rng, [2, 1, 2, 2], -4, 4), stride=2), act("relu"), flatten(),
                    dense(grid(rng, [2, 8], -4, 4), bias=vec(rng, 2))],
            loss="sse", reduction="sum", lr=0.1, steps=1)

    # ---- the single-layer keys
    @case()
    def single_relu(rng):
        return batch(
            "single_layer_keys_relu_default", "the single-layer keys with examples: filter and "
            "bias, activation absent (relu); 3 examples, half_sse, mean, 2 steps",
            [example(grid(rng, [3, 3]), target=grid(rng, [2, 2], -4, 4)) for _ in range(3)],
            single=single_layer(grid(rng, [2, 2], -4, 4), bias=0.25), loss="half_sse",
            reduction="mean", lr=0.5, steps=2, tags=("single-layer keys",))

    @case()
    def single_leaky(rng):
        return batch(
            "single_layer_keys_leaky_stride_padding", "single-layer keys: filter, bias, "
            "activation: leaky_relu(0.2), stride 2, padding 1, kernel: convolution; 2 "
            "examples, sse, sum, 2 steps",
            [example(grid(rng, [5, 5]), target=grid(rng, [3, 3], -4, 4)) for _ in range(2)],
            single=single_layer(grid(rng, [3, 3], -4, 4), bias=-0.25,
                                activation=("leaky_relu", 0.2), stride=2, padding=1,
                                kernel="convolution"),
            loss="sse", reduction="sum", lr=0.05, steps=2, tags=("single-layer keys",))

    @case()
    def single_sigmoid(rng):
        return batch(
            "single_layer_keys_sigmoid_mse", "single-layer keys: activation: sigmoid, stride "
            "(1, 2); 4 examples, mse, mean, 3 steps",
            [example(grid(rng, [3, 5]), target=grid(rng, [2, 2], 0, 4)) for _ in range(4)],
            single=single_layer(grid(rng, [2, 2], -4, 4), bias=0.5, activation="sigmoid",
                                stride=(1, 2)),
            loss="mse", reduction="mean", lr=0.5, steps=3, tags=("single-layer keys",))

    @case()
    def single_linear(rng):
        return batch(
            "single_layer_keys_linear_grad_output", "single-layer keys: activation: linear "
            "(the conv alone), padding (1, 0); 2 upstream gradients summed, no lr",
            [example(grid(rng, [3, 3]), grad_output=grid(rng, [4, 2], -4, 4))
             for _ in range(2)],
            single=single_layer(grid(rng, [2, 2], -4, 4), activation="linear",
                                padding=(1, 0)),
            reduction="sum", tags=("single-layer keys",))

    @case()
    def single_tanh(rng):
        return batch(
            "single_layer_keys_tanh_five", "single-layer keys: activation: tanh, bias; 5 "
            "examples summed, half_sse, 1 step",
            [example(grid(rng, [3, 3]), target=grid(rng, [2, 2], -3, 3)) for _ in range(5)],
            single=single_layer(grid(rng, [2, 2], -4, 4), bias=0.25, activation="tanh"),
            loss="half_sse", reduction="sum", lr=0.1, steps=1, tags=("single-layer keys",))

    return B


def build_cases():
    cases, refs, results, stats, rejected = [], [], [], [], []
    rng = random.Random(SEED)
    for builder, fixed in handcrafted():
        for attempt in range(300):
            b = builder(rng)
            jx = jax_train_batch(b)
            why, ref, st = check_case(b, jx)
            if not why and all(v == 0 for _, _, vals in ref["steps"][0]["grads"] for v in vals):
                why = "every parameter gradient is 0"
            if not why and any(all(v == 0 for _, _, vals in e["grads"] for v in vals)
                               for e in ref["steps"][0]["examples"]):
                why = "an example's own gradient is all 0"
            if not why:
                break
            if fixed:
                raise SystemExit(f"case {b['name']} rejected: {why}")
            rejected.append((b["name"], why))
            if PROGRESS:
                print(f"    rejected {b['name']}: {why}", file=sys.stderr)
        else:
            raise SystemExit(f"no acceptable draw for {b['name']}")
        if PROGRESS:
            print(f"  case {len(cases):02d} {b['name']}: {attempt + 1} draw(s), "
                  f"{time.time() - T0:.0f} s", file=sys.stderr)
        cases.append(b), refs.append(ref), results.append(jx), stats.append(st)
    return cases, refs, results, stats, rejected


# ---------------------------------------------------------------------- emit


def target_text(e, key, ints):
    if key == "target" and e["target_kind"] == "class":
        return str(e["class_index"])
    kind = e["target_kind"] if key == "target" else e["go_kind"]
    return nw.flat_lit(cl.tensor_literal(e[key], kind), ints)


def examples_lines(b, ind):
    ints = b["ints"]
    pad = " " * ind
    L = [pad + "examples: ["]
    for e in b["examples"]:
        key = "target" if e["grad_output"] is None else "grad_output"
        x = cl.tensor_literal(e["input"], e["input_kind"])
        one = (f"{pad}    {{ input: {nw.flat_lit(x, ints)}, {key}: "
               f"{target_text(e, key, ints)} }},")
        if len(one) <= 100:
            L.append(one)
            continue
        L.append(pad + "    {")
        L += nw.keyed("input", x, ints, ind + 8)
        if e["target_kind"] == "class":
            L.append(f"{pad}        target: {e['class_index']},")
        else:
            kind = e["target_kind"] if key == "target" else e["go_kind"]
            L += nw.keyed(key, cl.tensor_literal(e[key], kind), ints, ind + 8)
        L.append(pad + "    },")
    L.append(pad + "],")
    return L


def single_lines(b, ind):
    """The single-layer keys as written."""
    k, ints, pad = b["single"], b["ints"], " " * ind
    L = nw.keyed("filter", k["filter"], ints, ind)
    if k["bias"] is not None:
        L.append(f"{pad}bias: {nw.num_lit(k['bias'], ints)},")
    a = k["activation"]
    if a is not None:
        L.append(f"{pad}activation: " + (f"leaky_relu({lit(a[1])})" if isinstance(a, tuple)
                                         else a) + ",")
    for key in ("stride", "padding"):
        v = k[key]
        if v is not None:
            L.append(f"{pad}{key}: " + (f"({v[0]}, {v[1]})" if isinstance(v, tuple) else str(v))
                     + ",")
    if k["kernel"] is not None:
        L.append(f"{pad}kernel: {k['kernel']},")
    return L


def spec_body(b):
    """The lines inside train! { … }."""
    ints, ind = b["ints"], 8
    pad = " " * ind
    L = examples_lines(b, ind)
    if b["single"] is not None:
        L += single_lines(b, ind)
    else:
        L.append(pad + "layers: [")
        for l in b["layers"]:
            op = l["op"]
            if op == "conv":
                L += nw.conv_text(l, ints, ind + 4)
            elif op in ("max_pool", "avg_pool"):
                L.append(" " * (ind + 4) + cl.pool_text(l))
            elif op == "dense":
                L += cl.dense_text(l, ints, ind + 4)
            elif op == "leaky_relu":
                L.append(" " * (ind + 4) + f"leaky_relu({lit(l['alpha'])}),")
            else:
                L.append(" " * (ind + 4) + op + ",")
        L.append(pad + "],")
    if b["loss"] is not None:
        L.append(f"{pad}loss: {b['loss']},")
    if b["reduction"] is not None:
        L.append(f"{pad}reduction: {b['reduction']},")
    if b["lr"] is not None:
        L.append(f"{pad}lr: {lit(b['lr'])},")
    if b["steps"] is not None:
        L.append(f"{pad}steps: {b['steps']},")
    return L


def check_lines(b, res, ind):
    layers = b["layers"]
    pad = " " * ind
    N = len(b["examples"])
    L = [f"{pad}let steps = d.steps();",
         f'{pad}assert_eq!(steps.len(), {len(res["steps"])}, "number of steps");']
    out_labels = [cl.layer_label(l, k) for k, l in enumerate(layers)]
    in_labels = ["∂Lₙ/∂X (the example's input)"] + [
        f"∂Lₙ/∂(input of layer {k}) = ∂Lₙ/∂(output of layer {k - 1})"
        for k in range(1, len(layers))]
    for k, s in enumerate(res["steps"]):
        L.append("")
        L.append(f"{pad}let s = &steps[{k}];")
        L.append(f'{pad}assert_scalar("step {k} loss", s.loss(), {lit(s["loss"])});')
        L += nw.named_block(None, f"step {k} named_parameters", "s.named_parameters()",
                            s["params"], ind)
        L += nw.named_block(None, f"step {k} named_grads", "s.named_grads()", s["grads"], ind)
        L.append(f"{pad}let examples = s.examples();")
        L.append(f'{pad}assert_eq!(examples.len(), {N}, "step {k} number of examples");')
        for n, e in enumerate(s["examples"]):
            L.append(f"{pad}// example {n}")
            L.append(f"{pad}let e = &examples[{n}];")
            L.append(f'{pad}assert_scalar("step {k} example {n} loss", e.loss(), '
                     f'{lit(e["loss"])});')
            L += nw.named_block(None, f"step {k} example {n} named_grads", "e.named_grads()",
                                e["grads"], ind)
            L += nw.maps_block(f"step {k} example {n} layer_outputs", "e.layer_outputs()",
                               e["outputs"], out_labels, ind)
            L += nw.maps_block(f"step {k} example {n} input_grads", "e.input_grads()",
                               e["input_grads"], in_labels, ind)
    L.append("")
    L += nw.named_block(None, "final named_parameters", "d.named_parameters()", res["params"],
                        ind)
    L.append(f'{pad}assert_scalar("loss_after", d.loss_after(), {lit(res["loss_after"])});')
    return L


def test_lines(name, spec_lines, checks, rational):
    """As networks.py's test_lines, with the exact run held against the float run by
    assert_exact_batch (every example's figures too)."""
    L = ["#[test]", "#[rustfmt::skip]", f"fn {name}() {{"]
    if not rational:
        return L + ["    let d = train! {"] + spec_lines + ["    };"] + checks(4) + ["}"]
    L.append("    // JAX's values, against the float run to 1e-9 and the exact run to 1e-12")
    L.append("    fn check<S: Figure>(d: &NetDerivation<S>) {")
    L += checks(8)
    L.append("    }")
    L += ["    let float = train! {"] + spec_lines + ["    };"]
    L += ["    let exact = train! {", "        arithmetic: exact,"] + spec_lines + ["    };"]
    L += ["    check(&float);", "    check(&exact);", "    assert_exact_batch(&exact, &float);",
          "}"]
    return L


def chain_text(b):
    return cl.chain_text(example_spec(b, 0))


def summary_text(b):
    N = len(b["examples"])
    return (f"{N} example{'s' if N > 1 else ''}, reduction {reduction_of(b)}"
            + ("" if b["reduction"] else " (absent)")
            + (", no lr" if b["lr"] is None else f", lr {b['lr']}, {n_steps(b)} step"
               + ("s" if n_steps(b) > 1 else "") + ("" if b["steps"] else " (steps absent)")))


def emit_case(idx, b, res):
    L = textwrap.wrap(f"{idx:02d}. {b['note']}", 97, initial_indent="// ",
                      subsequent_indent="//     ", break_on_hyphens=False)
    L += textwrap.wrap(chain_text(b) + "; " + summary_text(b), 97, initial_indent="//     ",
                       subsequent_indent="//         ", break_on_hyphens=False)
    L += test_lines(f"batch_{idx:02d}_{b['name']}", spec_body(b),
                    lambda ind: check_lines(b, res, ind), is_rational(b))
    return "\n".join(L)


PRELUDE = '''\
//! Golden values for mini-batches from JAX {jax} (jaxlib {jaxlib}), float64: {n} cases, seed {seed}.
//!
//! @generated by scripts/golden/batches.py. DO NOT EDIT: rerun
//! `python3 scripts/golden/batches.py` instead (see scripts/golden/README.md).
//!
//! Independent reference values for issue 13's `examples: [{{ input, target }}, …]` (or
//! `{{ input, grad_output }}`) with `reduction: mean | sum`, on conv/activation chains and on
//! classifiers (pools, flatten, dense, softmax cross-entropy with probability targets and class
//! indices), and with the single-layer keys (`filter`, `bias`, `activation`, …). At every step
//! every example's forward and backward pass at the same parameters; the batch loss
//! L = (1/N)·Σₙ Lₙ or Σₙ Lₙ; its gradient by `jax.grad` of L itself; one update
//! p ← p − η·∂L/∂p (none without `lr`). Each test asserts every step's batch loss, parameters
//! and gradient, each example's own loss, gradient of its own loss, layer outputs and input
//! gradients, then the final parameters and the batch loss after them.
//!
//! Cross-checked before being written: JAX's batch gradient against the mean/sum of JAX's
//! per-example gradients; every number against a pure-Python loop reference with hand-written
//! backward passes (classifiers.py's, one per example, the reduction and update written out),
//! in exact fractions where the arithmetic is rational ({n_bit} cases bit-identical, where every
//! operation is exact in f64) and 50-digit mpmath otherwise (within 1e-12); every example's
//! step-0 values against classifiers.py's single-input JAX run of that example alone; and
//! central finite differences of every example's loss (every parameter and input entry) and
//! of the batch loss (every parameter entry), at the first and last step (exact in fractions,
//! or to 1e-18 in mpmath). relu inputs are ≥ 1e-7 from 0 or exactly 0 in every f64 evaluation;
//! max-pool windows have no ties (each maximum ≥ 1e-6 clear). Values are compared to 1e-9,
//! relative above 1.
//!
//! The {n_exact} cases without sigmoid, tanh or softmax cross-entropy also run with
//! `arithmetic: exact`, from the decimals as written: each exact value, rounded to f64, must be
//! within 1e-12 relative (`|a − b| ≤ 1e-12·max(1, |a|, |b|)`) of JAX's and of the float run's.
#![allow(clippy::unreadable_literal, clippy::too_many_lines)]

use cnn_bp_core::network::NetDerivation;
use cnn_bp_core::train;
'''

SHARED = '''
#[path = "common/golden.rs"]
mod golden;
#[path = "common/golden_batch.rs"]
mod golden_batch;
use golden::{Figure, assert_maps, assert_named, assert_scalar};
use golden_batch::assert_exact_batch;
'''


def render(cases, results, stats):
    import importlib.metadata as md
    head = PRELUDE.format(jax=jax.__version__, jaxlib=md.version("jaxlib"), n=len(cases),
                          seed=SEED, n_exact=sum(map(is_rational, cases)),
                          n_bit=sum(st["exact_all"] for st in stats))
    body = [emit_case(i, b, r) for i, (b, r) in enumerate(zip(cases, results))]
    return head + SHARED + "\n" + "\n\n".join(body) + "\n"


# ------------------------------------------------------------------- coverage


def features(b, st):
    f = set(b["tags"])
    N = len(b["examples"])
    f.add(f"examples: {N}")
    f.add(f"reduction: {reduction_of(b)}" + ("" if b["reduction"] else " (absent)"))
    f.add("grad_output" if b["grad_output"] else f"loss: {b['loss']}")
    if b["loss"] == "softmax_cross_entropy":
        kinds = {e["target_kind"] for e in b["examples"]}
        f.add("softmax targets: " + ("class indices" if kinds == {"class"} else "probabilities"))
    f.add("no lr" if b["lr"] is None else f"steps: {n_steps(b)}")
    if b["lr"] is not None and b["steps"] is None:
        f.add("lr without steps")
    ops = {l["op"] for l in b["layers"]}
    kind = "classifier (pool/flatten/dense)" if ops & {"max_pool", "avg_pool", "flatten",
                                                        "dense"} else "conv/activation chain"
    f.add(kind)
    for op in ops:
        f.add(f"layer: {op}")
    convs = [l for l in b["layers"] if l["op"] == "conv"]
    if any(len(l["filter"][0]) > 1 for l in convs):
        f.add("channels > 1 into a conv")
    for key, dflt in (("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1))):
        if any(l[key] != dflt for l in convs):
            f.add(f"conv {key}")
    if any(l["kernel"] == "convolution" for l in convs):
        f.add("kernel: convolution")
    f.add("exact run (rational)" if st["rational"] else "float only")
    if st["exact_all"]:
        f.add("bit-identical to fractions")
    if st["visible"]:
        f.add("relu/leaky exact 0 under a nonzero δ")
    if b["ints"]:
        f.add("integer literals")
    in_kinds = {e["input_kind"] for e in b["examples"]}
    f.add("input: " + "/".join(sorted(in_kinds)))
    return f


def coverage(cases, stats):
    counts = {}
    for b, st in zip(cases, stats):
        for k in features(b, st):
            counts[k] = counts.get(k, 0) + 1
    return "| feature | cases |\n|---|---|\n" + "\n".join(
        f"| {k} | {v} |" for k, v in sorted(counts.items()))


def case_table(cases, stats):
    rows = ["| # | name | N | reduction | objective | steps | network | exact |",
            "|---|---|---|---|---|---|---|---|"]
    for i, (b, st) in enumerate(zip(cases, stats)):
        obj = "grad_output" if b["grad_output"] else b["loss"]
        if b["loss"] == "softmax_cross_entropy":
            obj += " (classes)" if b["examples"][0]["target_kind"] == "class" else " (probs)"
        steps = "no lr" if b["lr"] is None else str(n_steps(b))
        netw = ("single-layer keys: " if b["single"] else "") + cl.chain_text(
            example_spec(b, 0)).split(";")[0]
        rows.append(f"| {i:02d} | {b['name']} | {len(b['examples'])} | {reduction_of(b)}"
                    f"{'' if b['reduction'] else ' (absent)'} | {obj} | {steps} | {netw} | "
                    f"{'yes' if st['rational'] else 'no'} |")
    return "\n".join(rows)


# ----------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "golden_batches.rs"))
    ap.add_argument("--no-rustfmt", action="store_true")
    ap.add_argument("--table", action="store_true", help="print coverage tables")
    args = ap.parse_args()

    cases, refs, results, stats, rejected = build_cases()
    names = [b["name"] for b in cases]
    assert len(set(names)) == len(names), "duplicate case names"

    n_fd = n_skip = 0
    worst = 0.0
    for b, ref in zip(cases, refs):
        for step in sorted({0, len(ref["steps"]) - 1}):
            c, s, w = finite_differences(b, ref, step)
            n_fd, n_skip, worst = n_fd + c, n_skip + s, max(worst, w)

    text = render(cases, results, stats)
    with open(args.out, "w") as f:
        f.write(text)
    if not args.no_rustfmt:
        nw.rustfmt(args.out)

    n_rat = sum(st["rational"] for st in stats)
    n_exact = sum(st["exact_all"] for st in stats)
    bit = sum(st["bit"] for st in stats)
    tot = sum(st["total"] for st in stats)
    print(f"wrote {args.out}: {len(cases)} cases (JAX {jax.__version__})")
    print(f"  JAX vs the loop reference: {n_rat} rational cases (Fraction), {n_exact} of them "
          f"exact in f64 end to end and bit-identical; the others within 1e-12 (mpmath for "
          f"sigmoid/tanh/softmax); {bit}/{tot} numbers bit-identical overall")
    print(f"  every example's step 0 against classifiers.py's single-input JAX run: "
          f"{sum(st['single'] for st in stats)} values within 1e-12")
    print(f"  {sum(1 for st in stats if st['zeros'])} cases reach an exact 0 at a relu/leaky "
          f"input ({sum(st['zeros'] for st in stats)} entries), "
          f"{sum(st['visible'] for st in stats)} of them under a nonzero upstream gradient")
    print(f"  finite differences: first and last step of every case, {n_fd} gradient entries "
          f"(each example's parameters and input, the batch's parameters) agree (exact in "
          f"Fraction for rational cases; max relative error {worst:.2e} in mpmath ones), "
          f"{n_skip} skipped at a kink")
    gaps = [st["exact_gap"] for st in stats if st["exact_gap"] is not None]
    print(f"  arithmetic: exact: {len(gaps)} of {len(cases)} cases also run exactly, from the "
          f"decimals as written; within {max(gaps):.2e} of JAX's (relative, the test allows "
          f"{nw.EXACT_REL})")
    print(f"  {len(rejected)} draws rejected:")
    for n, why in rejected:
        print(f"    {n}: {why}")
    if args.table:
        print(case_table(cases, stats))
        print(coverage(cases, stats))


if __name__ == "__main__":
    main()
