#!/usr/bin/env python3
"""Generate tests/golden_networks.rs: golden values for cnn-bp's networks
(chains of conv and activation layers, issue 10's grammar and API), computed
independently with JAX in float64 and cross-checked, before anything is
written, against the pure-Python loop reference in netref.py (exact fractions
where the arithmetic is rational) and against central finite differences.

Usage (from the repository root):  python3 scripts/golden/networks.py
Options: --out PATH (default tests/golden_networks.rs), --no-rustfmt, --table
(coverage table), --mock-check DIR (compile the generated file against a
stand-in crate with the issue's API, under the workspace's clippy lints, and
run it: it must pass with the reference's values and fail on corrupted ones).

Each case without sigmoid or tanh also runs with `arithmetic: exact` in its test,
checked to 1e-12 against the same values and against the float run
(tests/common/golden.rs; see scripts/golden/README.md).

The single-layer cases stay in generate.py (tests/golden_jax.rs).
"""

import argparse
import math
import os
import random
import shutil
import subprocess
import sys
from fractions import Fraction

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netref  # noqa: E402
from generate import approx_std_const, lit  # noqa: E402  (the same float literals)

SEED = 20240610
MAX_ABS = 1e4  # reject cases whose numbers grow past this
KINK_GAP = 1e-7  # relu/leaky: a pre-activation is exactly 0 (and provably so in f64) or this far
EXACT_REL = 1e-12  # an exact run's values rounded to f64 against JAX's and the float run's
LRS = [0.01, 0.05, 0.1, 0.25, 0.5]
ALPHAS = [0.01, 0.1, 0.2, 0.25, 0.5]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ------------------------------------------------------------------ spec model


def pair_of(v):
    """A setting as written: int -> (v, v) printed as a number, tuple -> printed as a tuple."""
    if isinstance(v, int):
        return (v, v), "scalar"
    return (int(v[0]), int(v[1])), "tuple"


def depth(v):
    return 1 + depth(v[0]) if isinstance(v, list) else 0


def conv(filter, bias=None, stride=1, padding=0, dilation=1, kernel="correlation", show=()):
    """filter: 2-D (one filter on one channel) or 4-D [F][C][KH][KW].
    bias: a number (one filter), a list of F numbers, or None.
    show: keys to write even at their default value."""
    d = depth(filter)
    assert d in (2, 4), d
    f4 = [[filter]] if d == 2 else filter
    if bias is None:
        b, bias_style = None, None
    elif isinstance(bias, list):
        b, bias_style = [float(x) for x in bias], "list"
    else:
        b, bias_style = [float(bias)], "number"
    assert b is None or len(b) == len(f4), "bias length"
    st, st_s = pair_of(stride)
    pd, pd_s = pair_of(padding)
    dl, dl_s = pair_of(dilation)
    return dict(op="conv", filter=f4, filter_2d=d == 2, bias=b, bias_style=bias_style,
                stride=st, padding=pd, dilation=dl, kernel=kernel,
                style=dict(stride=st_s, padding=pd_s, dilation=dl_s), show=set(show))


def act(name, alpha=None):
    if name == "leaky_relu":
        return dict(op="leaky_relu", alpha=float(alpha))
    assert name in ("relu", "sigmoid", "tanh"), name
    return dict(op=name)


def as3(t):
    d = depth(t)
    assert d in (2, 3), d
    return ([t] if d == 2 else t), d == 2


def net(name, note, input, layers, target=None, loss=None, grad_output=None, lr=None,
        steps=None, ints=False):
    """steps=None: the key is absent (one step). ints: write integral numbers as
    integer literals, as the issue's grammar example does."""
    X, x2 = as3(input)
    spec = dict(name=name, note=note, input=X, input_2d=x2, layers=layers, lr=lr, steps=steps,
                ints=ints, target=None, target_2d=False, loss=loss, grad_output=None, go_2d=False)
    if grad_output is not None:
        assert target is None and loss is None
        spec["grad_output"], spec["go_2d"] = as3(grad_output)
    else:
        spec["target"], spec["target_2d"] = as3(target)
        assert loss in ("half_sse", "sse", "mse"), loss
    if lr is None:
        assert steps is None, "no lr: steps absent"
    return spec


def n_steps(spec):
    return spec["steps"] or 1


def shape_chain(spec):
    """(list of (C, H, W) after each layer) — raises on an invalid chain."""
    C, H, W = netref.shape3(spec["input"])
    dims = []
    for l in spec["layers"]:
        if l["op"] == "conv":
            F, C2, KH, KW = (len(l["filter"]), len(l["filter"][0]), len(l["filter"][0][0]),
                             len(l["filter"][0][0][0]))
            if C2 != C:
                raise ValueError(f"filter has {C2} channels, {C} arrive")
            H = netref.out_dim(H, KH, l["stride"][0], l["padding"][0], l["dilation"][0])
            W = netref.out_dim(W, KW, l["stride"][1], l["padding"][1], l["dilation"][1])
            if H < 1 or W < 1:
                raise ValueError("filter larger than padded input")
            C = F
        dims.append((C, H, W))
    return dims


def chain_text(spec):
    """X 2×3×3 → conv 2×2 ×2, stride 2 → 2×1×1 → relu → …"""
    C, H, W = netref.shape3(spec["input"])
    parts = [f"X {C}×{H}×{W}"]
    for l, (c, h, w) in zip(spec["layers"], shape_chain(spec)):
        if l["op"] == "conv":
            F, KH, KW = len(l["filter"]), len(l["filter"][0][0]), len(l["filter"][0][0][0])
            s = f"conv {KH}×{KW}" + (f" ×{F}" if F > 1 else "")
            for key in ("stride", "padding", "dilation"):
                v = l[key]
                if v != (1, 1) if key != "padding" else v != (0, 0):
                    s += f", {key} {v[0]}" if v[0] == v[1] else f", {key} ({v[0]}, {v[1]})"
            if l["bias"] is not None:
                s += ", bias"
            if l["kernel"] == "convolution":
                s += ", convolution"
            parts.append(s)
            parts.append(f"{c}×{h}×{w}")
        else:
            parts.append(l["op"] if l["op"] != "leaky_relu" else f"leaky_relu({l['alpha']})")
    return " → ".join(parts)


# ----------------------------------------------------------------------- JAX


def jax_train(spec):
    layers = spec["layers"]
    X = jnp.asarray(spec["input"], dtype=jnp.float64)

    def layer_fn(l):
        if l["op"] == "conv":
            def f(p, h):
                Wt = p["weight"]
                if l["kernel"] == "convolution":
                    Wt = Wt[:, :, ::-1, ::-1]  # each filter's KH×KW kernel rotated 180°
                (ph, pw) = l["padding"]
                z = lax.conv_general_dilated(
                    h[None], Wt, window_strides=l["stride"], padding=[(ph, ph), (pw, pw)],
                    rhs_dilation=l["dilation"], dimension_numbers=("NCHW", "OIHW", "NCHW"),
                    precision=lax.Precision.HIGHEST)[0]
                if "bias" in p:
                    z = z + p["bias"][:, None, None]
                return z
            return f
        op = l["op"]
        if op == "relu":
            return lambda p, z: jnp.where(z > 0, z, 0.0)  # d/dz at exactly 0 is 0
        if op == "leaky_relu":
            a = l["alpha"]
            return lambda p, z: jnp.where(z > 0, z, a * z)  # d/dz at exactly 0 is alpha
        if op == "sigmoid":
            return lambda p, z: jax.nn.sigmoid(z)
        if op == "tanh":
            return lambda p, z: jnp.tanh(z)
        raise ValueError(op)

    fns = [layer_fn(l) for l in layers]

    def run_from(params, h, k):
        outs = []
        for f, p in zip(fns[k:], params[k:]):
            h = f(p, h)
            outs.append(h)
        return outs

    if spec["grad_output"] is not None:
        G = jnp.asarray(spec["grad_output"], dtype=jnp.float64)

        def loss_of_y(y):
            return jnp.sum(G * y)
    else:
        T = jnp.asarray(spec["target"], dtype=jnp.float64)
        kind = spec["loss"]

        def loss_of_y(y):
            sq = jnp.sum((y - T) ** 2)
            return {"half_sse": 0.5 * sq, "sse": sq, "mse": sq / y.size}[kind]

    def loss(params, x):
        return loss_of_y(run_from(params, x, 0)[-1])

    grad_all = jax.grad(loss, argnums=(0, 1))
    suffix_grads = [jax.grad(lambda h, params, k=k: loss_of_y(run_from(params, h, k)[-1]))
                    for k in range(len(layers))]

    params = []
    for l in layers:
        p = {}
        if l["op"] == "conv":
            p["weight"] = jnp.asarray(l["filter"], dtype=jnp.float64)
            if l["bias"] is not None:
                p["bias"] = jnp.asarray(l["bias"], dtype=jnp.float64)
        params.append(p)

    @jax.jit
    def one_pass(params, x):
        """Forward, loss, ∂L/∂(every parameter, X), ∂L/∂(each layer's input)."""
        outs = run_from(params, x, 0)
        gp, gx = grad_all(params, x)
        ins = [x] + outs[:-1]
        in_grads = [suffix_grads[k](ins[k], params) for k in range(len(layers))]
        return outs, loss_of_y(outs[-1]), gp, gx, in_grads

    steps = []
    for _ in range(n_steps(spec)):
        outs, L, gp, gx, in_grads = one_pass(params, X)
        # the chained suffix gradients and jax.grad's own ∂L/∂X must agree
        assert jnp.allclose(in_grads[0], gx, rtol=1e-13, atol=1e-13), spec["name"]
        steps.append(dict(loss=float(L), params=named_jax(spec, params),
                          grads=named_jax(spec, gp),
                          outputs=[maps_jax(o) for o in outs],
                          input_grads=[maps_jax(g) for g in in_grads]))
        if spec["lr"] is None:
            break
        lr = spec["lr"]
        params = [{k: v - lr * g[k] for k, v in p.items()} for p, g in zip(params, gp)]
    return dict(steps=steps, params=named_jax(spec, params),
                loss_after=float(jax.jit(loss)(params, X)))


def named_jax(spec, params):
    out = []
    for i, kind in netref.param_names(spec):
        v = params[i][kind]
        out.append((f"{i}.{kind}", list(v.shape), [float(x) for x in v.reshape(-1).tolist()]))
    return out


def maps_jax(t):
    return (list(t.shape), [float(x) for x in t.reshape(-1).tolist()])


# -------------------------------------------------------------------- checking


def walk(res):
    """(label, shape-or-name key, value) for every number of a result, in order."""
    for k, s in enumerate(res["steps"]):
        yield f"step {k} loss", None, s["loss"]
        for what in ("params", "grads"):
            for name, shape, vals in s[what]:
                for i, v in enumerate(vals):
                    yield f"step {k} {what} {name}[{i}]", (name, tuple(shape)), v
        for what in ("outputs", "input_grads"):
            for j, (shape, vals) in enumerate(s[what]):
                for i, v in enumerate(vals):
                    yield f"step {k} {what} {j}[{i}]", tuple(shape), v
    for name, shape, vals in res["params"]:
        for i, v in enumerate(vals):
            yield f"final {name}[{i}]", (name, tuple(shape)), v
    yield "loss_after", None, res["loss_after"]


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def exact_close(a, b, rel=EXACT_REL):
    """The exact run's tolerance in the generated tests: |a − b| ≤ rel·max(1, |a|, |b|)."""
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def rel_gap(a, b):
    """|a − b| / max(1, |a|, |b|): what exact_close bounds."""
    return abs(a - b) / max(1.0, abs(a), abs(b))


def decimal(v):
    """A number as an `arithmetic: exact` spec reads it: the decimal written for it (num_lit
    writes an integer or lit's shortest round-trip decimal, the same value), exactly."""
    return Fraction(lit(v))


def as_written(spec):
    """The spec's numbers as the exact run reads them: the decimals written in the generated
    file, exactly, not their f64 roundings. Convs, leaky slopes and (classifiers.py) dense
    layers carry numbers; other layers are copied."""
    def tensor(t):
        return [tensor(x) for x in t] if isinstance(t, list) else decimal(t)
    w = dict(spec)
    for key in ("input", "target", "grad_output"):
        if spec.get(key) is not None:
            w[key] = tensor(spec[key])
    if spec["lr"] is not None:
        w["lr"] = decimal(spec["lr"])
    layers = []
    for l in spec["layers"]:
        l = dict(l)
        for key in ("filter", "weight", "bias"):
            if l.get(key) is not None:
                l[key] = tensor(l[key])
        if l["op"] == "leaky_relu":
            l["alpha"] = decimal(l["alpha"])
        layers.append(l)
    w["layers"] = layers
    return w


def exact_gap(spec, jx, ref):
    """A rational case also runs with `arithmetic: exact` in the generated test, from the
    decimals as written. `ref` is the loop reference's result in Fractions from those
    decimals: rounded to f64, every value must be within EXACT_REL of JAX's, as the test
    asserts. Returns the largest relative gap; raises where a case would fail."""
    worst = 0.0
    for (lj, kj, vj), (lr_, kr, vr) in zip(walk(jx), walk(ref), strict=True):
        assert lj == lr_ and kj == kr, (spec["name"], lj, lr_, kj, kr)
        fr = float(vr)
        assert exact_close(vj, fr), (
            f"{spec['name']}: {lj}: exact run from the written decimals {fr!r} vs JAX {vj!r}: "
            f"relative gap {rel_gap(vj, fr):.3e} > {EXACT_REL}")
        worst = max(worst, rel_gap(vj, fr))
    return worst


def check_case(spec, jx):
    """Raises AssertionError where JAX and the loop reference disagree; returns
    (reason to reject the draw or None, stats)."""
    ref, rnet = netref.train(spec)
    wj, wr = list(walk(jx)), list(walk(ref))
    assert len(wj) == len(wr), (spec["name"], len(wj), len(wr))
    rational = rnet.exact
    exact_all = rational and rnet.ex.clean
    n_bit = 0
    for (lj, kj, vj), (lr_, kr, vr) in zip(wj, wr):
        assert lj == lr_ and kj == kr, (spec["name"], lj, lr_, kj, kr)
        if not math.isfinite(vj):
            return f"{lj} not finite", None, None
        if abs(vj) > MAX_ABS:
            return f"{lj} = {vj:.6g} too large", None, None
        fr = float(vr)
        if exact_all:
            assert vj == fr, f"{spec['name']}: {lj}: JAX {vj!r} != exact {vr} (exact case)"
        else:
            assert close(vj, fr), f"{spec['name']}: {lj}: JAX {vj!r} vs reference {fr!r}"
        n_bit += vj == fr
    # relu/leaky_relu: the branch taken at every pre-activation must not depend on rounding
    n_zero = 0
    for step, where, idx, z, safe in rnet.kinks:
        if z == 0:
            if not safe:
                return f"{where} z{list(idx)} == 0 but not provably so in f64", None, None
            n_zero += 1
        elif abs(z) < KINK_GAP:
            return f"{where} z{list(idx)} = {float(z):.3g} too close to the kink", None, None
    # every exact zero must be a zero in JAX too, bit for bit; count those whose
    # upstream gradient is not 0 (there the derivative's value at 0 is visible)
    visible = {}
    for step, where, idx, z, safe in rnet.kinks:
        if z == 0:
            k = int(where.split()[3])
            shape, vals = jx["steps"][step]["outputs"][k - 1]
            c, i, j = idx
            flat_i = (c * shape[1] + i) * shape[2] + j
            assert vals[flat_i] == 0.0, (spec["name"], where, idx)
            s = ref["steps"][step]
            up = s["input_grads"][k + 1][1] if k + 1 < len(spec["layers"]) else s["out_grad"][1]
            if up[flat_i] != 0:
                op = spec["layers"][k]["op"]
                visible[op] = visible.get(op, 0) + 1
                # and the derivative used there is PyTorch's
                want = 0 if op == "relu" else Fraction(spec["layers"][k]["alpha"]) * up[flat_i]
                got = s["input_grads"][k][1][flat_i]
                assert (got == want) if rational else close(float(got), float(want)), \
                    (spec["name"], where, idx, got, want)
    exact_ref = netref.train(as_written(spec), exact=True)[0] if rational else None
    return None, ref, dict(rational=rational, exact_all=exact_all, bit=n_bit, total=len(wj),
                           zeros=n_zero, visible=visible, inexact=rnet.ex.first_inexact,
                           exact_ref=exact_ref,
                           exact_gap=exact_gap(spec, jx, exact_ref) if rational else None)


def pattern(spec, net, outs, X):
    """Signs of every relu/leaky input (for finite differences across kinks)."""
    sig = []
    for k, l in enumerate(spec["layers"]):
        if l["op"] in ("relu", "leaky_relu"):
            h = X if k == 0 else outs[k - 1]
            sig.append(tuple((v > 0) - (v < 0) for v in netref.flat(h)))
    return tuple(sig)


def finite_differences(spec, ref, step=0):
    """Central differences of the loss, at the parameters step `step` started
    from, for every parameter entry and every entry of X.  Rational cases run
    in exact fractions with h = 2^-24: within a fixed relu pattern the loss is
    quadratic in any one entry, so the central difference equals the gradient
    exactly; entries whose ±h move changes some relu/leaky sign pattern (a
    pre-activation at exactly 0) are counted as skipped.  Others run in floats
    with h = 1e-6.  Returns (n checked, n skipped, max relative error)."""
    exact = netref.is_rational(spec)
    num = Fraction if exact else float
    h = Fraction(1, 2 ** 24) if exact else 1e-6
    s = ref["steps"][step]
    base = [(n, sh, [num(v) for v in vals]) for n, sh, vals in s["params"]]
    X0 = [[[num(v) for v in r] for r in ch] for ch in spec["input"]]

    def L_and_pattern(params, X):
        net = netref.Net(spec, exact)
        outs = net.forward(_params_from(spec, params, num), X)
        L, _ = net.loss(outs[-1])
        return L, pattern(spec, net, outs, X)

    _, pat0 = L_and_pattern(base, X0)
    checked = skipped = 0
    worst = 0.0
    targets = []
    for pi, (name, _, vals) in enumerate(base):
        grads = dict((n, g) for n, _, g in s["grads"])[name]
        for i in range(len(vals)):
            targets.append(("param", pi, i, grads[i]))
    gx = s["input_grads"][0][1]
    for i in range(len(gx)):
        targets.append(("input", None, i, gx[i]))
    for kind, pi, i, g in targets:
        vals = []
        pats = []
        for sign in (1, -1):
            if kind == "param":
                params = [(n, sh, list(v)) for n, sh, v in base]
                params[pi][2][i] += sign * h
                X = X0
            else:
                params = base
                fl = netref.flat(X0)
                fl[i] += sign * h
                X = netref.reshape(fl, X0)
            L, pat = L_and_pattern(params, X)
            vals.append(L)
            pats.append(pat)
        fd = (vals[0] - vals[1]) / (2 * h)
        if pats[0] != pat0 or pats[1] != pat0:
            skipped += 1  # the ±h move crosses a relu/leaky kink
            continue
        if exact:
            assert fd == Fraction(g), (spec["name"], kind, pi, i, float(fd), float(g))
        else:
            err = abs(float(fd) - float(g)) / max(1.0, abs(float(g)))
            worst = max(worst, err)
            assert err < 1e-6, (spec["name"], kind, pi, i, float(fd), float(g))
        checked += 1
    return checked, skipped, worst


def _params_from(spec, named, num):
    params = netref.initial_params(spec, num)
    for name, _, vals in named:
        i, kind = name.split(".")
        params[int(i)][kind] = netref.reshape(list(vals), params[int(i)][kind])
    return params


# ----------------------------------------------------------------------- cases


def q(*rows):
    """A matrix from rows of numbers (readability helper)."""
    return [list(map(float, r)) for r in rows]


def handcrafted():
    c = []
    # The issue's grammar example, literally (integer literals and all).
    c.append(net(
        "issue_grammar_example",
        "the issue's grammar example as written: 2 channels, 2 filters with a bias each, "
        "relu, a 1×1 conv summing the channels",
        [q([1, 0, 2], [0, 1, 0], [2, 0, 1]), q([0, 1, 0], [1, 0, 1], [0, 1, 0])],
        [conv([[q([1, 0], [0, 1]), q([1, 1], [0, 0])], [q([0, 1], [1, 0]), q([0, 0], [1, 1])]],
              bias=[0.5, -0.5], show=("stride", "padding", "dilation", "kernel")),
         act("relu"),
         conv([[q([1]), q([1])]])],
        target=q([1, 0], [0, 1]), loss="half_sse", lr=0.1, steps=2, ints=True))
    # Hidden relu with an exact 0 pre-activation whose upstream gradient is not 0:
    # δ there is 0 (relu′(0) = 0, as PyTorch).
    kx = q([1, -1, 0.5], [0.5, 0, -0.5], [-1, 1, 1])
    c.append(net(
        "relu_exact_zero_hidden",
        "hidden relu with z[0,0,0] = 0 exactly and ∂L/∂y ≠ 0 there: relu′(0) = 0",
        kx, [conv(q([0.5, 1], [1, 0.75])), act("relu"), conv(q([2]), bias=0.5)],
        target=q([1, 0.5], [-0.5, 1]), loss="half_sse", lr=0.25, steps=2))
    c.append(net(
        "leaky_exact_zero_hidden",
        "hidden leaky_relu(0.25) with z[0,0,0] = 0 exactly: leaky_relu′(0) = α (PyTorch's)",
        kx, [conv(q([0.5, 1], [1, 0.75])), act("leaky_relu", 0.25), conv(q([2]), bias=0.5)],
        target=q([1, 0.5], [-0.5, 1]), loss="sse", lr=0.25, steps=2))
    c.append(net(
        "leaky_0_1_exact_zero_last_layer",
        "leaky_relu(0.1) as the last layer with an exact 0 at step 0, two filters; mse over "
        "C·H·W = 8 entries",
        kx, [conv([[q([0.5, 1], [1, 0.75])], [q([1, 0.5], [-0.5, 0.25])]]),
             act("leaky_relu", 0.1)],
        target=[q([0.5, 0], [1, -0.5]), q([0, 0.25], [-0.25, 0.5])], loss="mse", lr=0.1,
        steps=2))
    c.append(net(
        "relu_exact_zero_last_layer_grad_output",
        "relu last with an exact 0 under a nonzero upstream gradient; grad_output, no lr",
        kx, [conv(q([0.5, 1], [1, 0.75])), act("relu")],
        grad_output=q([1, -1], [0.5, 2])))
    # The classic upstream-gradient exercise: ∂L/∂X = full convolution of δ with the
    # rotated filter.
    c.append(net(
        "upstream_gradient_dx_no_lr",
        "one conv, upstream gradient given (out.backward(g)), no lr: ∂L/∂X as the full "
        "convolution of g with the rotated filter",
        q([1, 2, 0, -1], [0, 1, 3, 1], [2, -1, 0, 1], [1, 0, 2, 2]),
        [conv(q([1, 0], [-1, 2]))],
        grad_output=q([1, 0, -1], [2, 1, 0], [0, -1, 1])))
    c.append(net(
        "dx_stride_2_padding_1_grad_output",
        "∂L/∂X through stride 2 and padding 1 (δ dilated by the stride, border cropped), "
        "bias, no lr",
        q([0.5, -1, 1.5, 0, 1], [1, 0.25, -0.5, 2, -1], [0, 1, 1, -0.5, 0.5],
          [-1.5, 0.5, 0, 1, 0.25], [1, -0.25, 0.5, -1, 0]),
        [conv(q([1, -0.5, 0.25], [0, 0.5, -1], [0.75, 0, 0.5]), bias=0.25, stride=2,
              padding=1)],
        grad_output=q([1, -0.5, 0.25], [0, 2, -1], [0.5, 0.5, -0.25])))
    c.append(net(
        "three_channels_two_filters_bias_sums",
        "3 input channels summed per filter, 2 filters with a bias each (∂L/∂b sums δ)",
        [q([1, 0.5, -1], [0, 1, 0.5], [-0.5, 0, 1]), q([0.5, -0.5, 0], [1, 0, -1], [0, 0.5, 0.5]),
         q([-1, 0, 0.5], [0.25, 0.5, 0], [1, -0.25, 0])],
        [conv([[q([0.5, 0], [0, 0.5]), q([0, -0.5], [0.5, 0]), q([0.25, 0.25], [0, 0])],
               [q([0, 0.5], [0.5, 0]), q([0.5, 0], [0, -0.5]), q([0, 0], [0.25, -0.25])]],
              bias=[0.25, -0.5]), act("tanh")],
        target=[q([0.5, 0], [0, 0.5]), q([-0.5, 0], [0.25, 0])], loss="sse", lr=0.05,
        steps=2))
    c.append(net(
        "true_convolution_inside_chain",
        "kernel: convolution in the second conv only, asymmetric filters (rotation visible)",
        q([0.5, 1, -0.5, 0], [1, -1, 0.5, 0.25], [0, 0.5, 1, -1], [0.25, 0, -0.5, 1]),
        [conv([[q([1, 0.5], [0, -0.5])], [q([0, 0.25], [0.5, 1])]], kernel="correlation",
              show=("kernel",)),
         act("tanh"),
         conv([[q([1, 0], [0, 0]), q([0, 0], [0.5, -0.5])]], kernel="convolution", bias=0.25)],
        target=q([0.5, 0], [0, -0.5]), loss="half_sse", lr=0.1, steps=2))
    c.append(net(
        "dilation_2_and_per_axis",
        "dilation 2 (convolution) then dilation (1, 2) with padding (1, 0)",
        q([0.5, -0.5, 1, 0, 0.25, -1], [1, 0, -1, 0.5, 0.5, 0], [0, 0.25, 0.5, -0.5, 1, 1],
          [-1, 1, 0, 0.25, 0, 0.5], [0.5, 0.5, -0.25, 1, -1, 0], [0, -1, 0.5, 0, 0.25, 0.5]),
        [conv(q([1, -0.5], [0.25, 0.5]), dilation=2, kernel="convolution"),
         act("leaky_relu", 0.2),
         conv(q([0.5, -1], [1, 0.5]), dilation=(1, 2), padding=(1, 0), bias=-0.25)],
        target=q([0.25, 0], [0, 0.5], [-0.5, 0.25], [0, 0], [0.5, -0.25]), loss="half_sse",
        lr=0.25, steps=2))
    c.append(net(
        "two_d_literals_everywhere",
        "2-D literals: the input (one channel), every filter (one filter on one channel), "
        "the target (one channel)",
        q([1, 0.5, 0, -0.5], [0, -1, 0.5, 1], [0.5, 0, 1, 0.25], [-0.25, 0.5, 0, 1]),
        [conv(q([0.5, 0.25], [-0.5, 1]), bias=0.25), act("sigmoid"),
         conv(q([1, -1], [0.5, 0.5])), act("relu"), conv(q([1.5]))],
        target=q([0.5, 1], [0, 0.25]), loss="half_sse", lr=0.5, steps=3))
    c.append(net(
        "single_channel_written_3d_and_4d",
        "one channel written as 3-D (input, target), one filter on one channel written as "
        "4-D, bias as a list of one number",
        [q([0.5, 1, -1], [0, 0.5, 0.25], [1, -0.5, 0])],
        [conv([[q([1, -0.5], [0.5, 0.25])]], bias=[0.25]), act("tanh")],
        target=[q([0.5, 0], [0.25, -0.25])], loss="sse", lr=0.1, steps=2))
    c.append(net(
        "dead_relu_in_the_middle",
        "three convs; the middle relu is dead (every z < 0): ∂L/∂ everything before it is 0",
        q([1, 0.5, 0.25], [0.5, 1, 0], [0.25, 0, 1]),
        [conv(q([0.5, 0.5], [0.5, 0.5]), bias=0.25), act("relu"),
         conv(q([-1]), bias=-0.5), act("relu"),
         conv(q([2]), bias=0.5)],
        target=q([1, 0], [0, 1]), loss="half_sse", lr=0.5, steps=2))
    c.append(net(
        "single_conv_no_activation",
        "layers: [conv] alone (no activation), 3 filters on 2 channels, mse, 3 steps",
        [q([0.5, 1, 0], [0, -0.5, 1], [1, 0, 0.5]), q([1, 0, -1], [0.5, 0.5, 0], [0, 1, 0.25])],
        [conv([[q([0.5], ), q([0.25])], [q([-0.5]), q([1])], [q([0]), q([0.5])]],
              bias=[0, 0.5, -0.25], stride=(2, 1))],
        target=[q([0, 0.5, 1], [0.5, 0, -0.5]), q([1, 0, 0], [0, 1, 0]),
                q([0, 0, 0], [0.5, 0.5, 0.5])], loss="mse", lr=0.25, steps=3))
    c.append(net(
        "sigmoid_last_mse_two_filters",
        "sigmoid as the last layer on two filters, mse over both channels",
        q([1, -1, 0.5], [0, 0.5, -0.5], [1, 1, 0]),
        [conv([[q([1, 0.5], [-0.5, 1])], [q([0, -1], [1, 0.5])]], bias=[0.5, 0]),
         act("sigmoid")],
        target=[q([1, 0], [0, 1]), q([0.5, 0.5], [0, 0])], loss="mse", lr=0.5, steps=3))
    c.append(net(
        "explicit_defaults_and_unit_tuples",
        "every conv key written at its default: numbers in the first conv, (rows, columns) "
        "in the second",
        q([0.5, 1, 0], [1, -1, 0.5], [0, 0.5, 1]),
        [conv(q([1, 0], [0.5, -0.5]), stride=1, padding=0, dilation=1, kernel="correlation",
              show=("stride", "padding", "dilation", "kernel")),
         act("relu"),
         conv(q([0.5, 1]), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
              kernel="correlation", show=("stride", "padding", "dilation", "kernel"))],
        target=q([0.5], [1]), loss="half_sse", lr=0.25, steps=2))
    c.append(net(
        "grad_output_with_lr_3_steps",
        "an upstream gradient and lr: L = Σ g ⊙ y is minimised for 3 steps",
        q([0.5, -0.5, 1], [1, 0, -1], [0.25, 0.5, 0]),
        [conv(q([1, 0.5], [0, -0.5]), bias=0.25), act("tanh"), conv(q([0.5]), bias=-0.25)],
        grad_output=q([1, -1], [0.5, 0]), lr=0.1, steps=3))
    c.append(net(
        "grad_output_two_channels",
        "a 3-D upstream gradient over 2 output channels, 2 input channels, no lr",
        [q([1, 0, 0.5], [0.5, 1, 0], [0, -0.5, 1]), q([0, 1, 0], [-1, 0, 1], [0.5, 0.5, 0])],
        [conv([[q([1, 0], [0, 1]), q([0, 0.5], [0.5, 0])], [q([0, 1], [-1, 0]), q([1, 1], [0, 0])]],
              bias=[0.25, 0.5], kernel="convolution"),
         act("leaky_relu", 0.01)],
        grad_output=[q([1, 0], [-1, 0.5]), q([0, 2], [0.5, -0.5])]))
    c.append(net(
        "floor_leaves_rows_unused",
        "stride (3, 2) leaves the last input row and column unused: their ∂L/∂X is 0",
        q([0.5, -1, 1.5, 0.25, 2], [1, 0.75, -0.5, -1.25, -2], [-1.5, 2, 1.75, -0.75, 1],
          [0.25, -0.25, 1.25, 1.5, -1]),
        [conv(q([1, -0.5], [0.25, 0.75]), stride=(3, 2)), act("relu"),
         conv(q([0.5, 1]), bias=0.25)],
        target=q([0.5]), loss="sse", lr=0.05, steps=2))
    c.append(net(
        "four_convs_every_activation",
        "4 convs, one of each activation between/after them (8 layers)",
        q([0.5, 1, 0, -0.5, 1], [0, -0.5, 1, 0.5, 0], [1, 0.5, -1, 0, 0.5], [0.25, 0, 0.5, 1, -0.5],
          [0, 1, 0.25, -0.25, 0.5]),
        [conv(q([0.5, -0.25], [0.25, 0.5]), bias=0.25), act("relu"),
         conv([[q([0.5, 0.5], [0, -0.5])], [q([0.25, 0], [0.5, 0.25])]], bias=[0, 0.25]),
         act("leaky_relu", 0.1),
         conv([[q([0.5, -0.5]), q([0.25, 0.5])]], padding=(0, 1)), act("sigmoid"),
         conv(q([1, -1], [0.5, 0.5]), bias=-0.5, kernel="convolution"), act("tanh")],
        target=q([0.25, -0.25, 0], [0.5, 0, -0.5]), loss="half_sse", lr=0.5, steps=2))
    c.append(net(
        "lr_without_steps",
        "lr given, steps absent: one step and its update",
        q([1, 0.5], [-0.5, 1]),
        [conv(q([0.5, -1], [1, 0.5]), bias=-0.25, padding=1), act("sigmoid")],
        target=q([0, 0.5, 1], [0.5, 1, 0.5], [1, 0.5, 0]), loss="half_sse", lr=0.5))
    c.append(net(
        "padding_2_one_by_one_relu_structural_zeros",
        "1×1 filter, padding 2, no bias: the border z are exactly 0 (only padding under "
        "the filter), relu′(0) = 0 there",
        q([1.5, -0.75]),
        [conv(q([2]), padding=2), act("relu"), conv(q([0.5, 0.5], [0.5, 0.5]), bias=0.25)],
        target=q([0, 0, 0, 0, 0], [0, 0.5, 1, 0.5, 0], [0, 1, 2, 1, 0], [0, 0, 0, 0, 0]),
        loss="half_sse", lr=0.05, steps=2))
    return c


ACT_CYCLE = ["relu", "leaky_relu", "sigmoid", "tanh", None]
LOSS_CYCLE = ["half_sse", "sse", "mse", "grad_output"]


def random_case(rng, i):
    n_conv = 1 + i % 4
    loss = LOSS_CYCLE[i % 4]
    no_lr = i % 5 == 3
    use_float = rng.random() < 0.2
    digits = 3 if rng.random() < 0.6 else None  # random decimals, or full-precision floats

    def val():
        while use_float:
            v = rng.uniform(-1.0, 1.0)
            v = round(v, digits) if digits else v
            if not approx_std_const(repr(v)):  # clippy::approx_constant would refuse it
                return v
        return rng.randint(-4, 4) / 4

    def tval():
        return rng.randint(-4, 4) / 4

    for _ in range(1000):
        C = rng.randint(1, 3)
        H, W = rng.randint(2, 7), rng.randint(2, 7)
        layers, c_in, h, w, ok = [], C, H, W, True
        for k in range(n_conv):
            F = rng.randint(1, 3) if k < n_conv - 1 else rng.randint(1, 2)
            KH, KW = rng.randint(1, 3), rng.randint(1, 3)

            def setting(lo, hi, p_tuple=0.3):
                if rng.random() < p_tuple:
                    return (rng.randint(lo, hi), rng.randint(lo, hi))
                return rng.randint(lo, hi)
            stride = setting(1, 2) if rng.random() < 0.5 else 1
            padding = setting(0, 1) if rng.random() < 0.5 else 0
            dilation = setting(1, 2) if rng.random() < 0.3 else 1
            (sh, sw), _ = pair_of(stride)
            (ph, pw), _ = pair_of(padding)
            (dh, dw), _ = pair_of(dilation)
            oh, ow = netref.out_dim(h, KH, sh, ph, dh), netref.out_dim(w, KW, sw, pw, dw)
            if oh < 1 or ow < 1:
                ok = False
                break
            two_d = F == 1 and c_in == 1 and rng.random() < 0.5
            filt = [[[[val() for _ in range(KW)] for _ in range(KH)] for _ in range(c_in)]
                    for _ in range(F)]
            if rng.random() < 0.5:
                bias = [val() for _ in range(F)]
                if F == 1 and rng.random() < 0.8:
                    bias = bias[0]
            else:
                bias = None
            kernel = rng.choice(["correlation", "convolution"])
            show = [key for key in ("stride", "padding", "dilation", "kernel")
                    if rng.random() < 0.1]
            layers.append(conv(filt[0][0] if two_d else filt, bias=bias, stride=stride,
                               padding=padding, dilation=dilation, kernel=kernel, show=show))
            a = ACT_CYCLE[(i + 3 * k) % 5] if k < n_conv - 1 else rng.choice(ACT_CYCLE)
            if a is not None:
                layers.append(act(a, rng.choice(ALPHAS)) if a == "leaky_relu" else act(a))
            c_in, h, w = F, oh, ow
        if not ok:
            continue
        n_out = sum(c * hh * ww for c, hh, ww in shape_chain_of(C, H, W, layers))
        n_par = sum(len(netref.flat(l["filter"])) for l in layers if l["op"] == "conv")
        if n_out + C * H * W > 160 or n_par > 90 or c_in * h * w > 24:
            continue
        break
    else:
        raise RuntimeError("no geometry found")
    X = [[[val() for _ in range(W)] for _ in range(H)] for _ in range(C)]
    two_d_in = C == 1 and rng.random() < 0.5
    out = [[[tval() for _ in range(w)] for _ in range(h)] for _ in range(c_in)]
    two_d_out = c_in == 1 and rng.random() < 0.5
    lr = None if no_lr else rng.choice(LRS if n_conv <= 2 else LRS[:3])
    steps = None if no_lr else rng.choice([None, 1, 2, 2, 3, 3])
    kw = dict(grad_output=out[0] if two_d_out else out) if loss == "grad_output" else \
        dict(target=out[0] if two_d_out else out, loss=loss)
    spec = net("", "", X[0] if two_d_in else X, layers, lr=lr, steps=steps, **kw)
    spec["name"] = random_name(spec, use_float)
    spec["note"] = random_note(spec, use_float)
    return spec


def shape_chain_of(C, H, W, layers):
    return shape_chain(dict(input=[[[0.0] * W for _ in range(H)] for _ in range(C)],
                            layers=layers))


def random_note(spec, use_float):
    """What a random case covers, in words."""
    convs = [l for l in spec["layers"] if l["op"] == "conv"]
    bits = [f"random draw: {len(convs)} conv{'s' if len(convs) > 1 else ''}"]
    if spec["grad_output"] is not None:
        bits.append("grad_output" + (" (2-D)" if spec["go_2d"] else ""))
    else:
        bits.append(f"{spec['loss']}" + (", 2-D target" if spec["target_2d"] else ""))
    bits.append("no lr" if spec["lr"] is None else
                f"lr {spec['lr']}, " + (f"steps: {spec['steps']}" if spec["steps"] is not None
                                        else "steps absent"))
    if spec["input_2d"]:
        bits.append("2-D input")
    if any(l["filter_2d"] for l in convs):
        bits.append("a 2-D filter")
    if any(l["bias_style"] == "number" for l in convs):
        bits.append("bias as a number")
    if any(l["bias_style"] == "list" for l in convs):
        bits.append("bias as a list")
    for key in ("stride", "padding", "dilation"):
        if any(l["style"][key] == "tuple" and
               (key in l["show"] or l[key] != ((0, 0) if key == "padding" else (1, 1)))
               for l in convs):
            bits.append(f"{key} as (rows, columns)")
    dflt = dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1))
    shown = sorted({k for l in convs for k in l["show"]
                    if (l[k] == dflt[k] if k in dflt else l[k] == "correlation")})
    if shown:
        bits.append("defaults written out (" + ", ".join(shown) + ")")
    kernels = [l["kernel"][:4] for l in convs]
    if "conv" in kernels:
        bits.append("kernel per conv: " + "/".join(kernels))
    if use_float:
        bits.append("random floats")
    return "; ".join(bits)


def random_name(spec, use_float):
    convs = [l for l in spec["layers"] if l["op"] == "conv"]
    acts = [l["op"].replace("leaky_relu", "leaky") for l in spec["layers"] if l["op"] != "conv"]
    parts = [f"{len(convs)}conv"]
    parts += acts or ["linear"]
    parts.append("grad_output" if spec["grad_output"] is not None else spec["loss"])
    if any(l["stride"] != (1, 1) for l in convs):
        parts.append("stride")
    if any(l["padding"] != (0, 0) for l in convs):
        parts.append("pad")
    if any(l["dilation"] != (1, 1) for l in convs):
        parts.append("dil")
    if any(l["kernel"] == "convolution" for l in convs):
        parts.append("conv")
    if spec["lr"] is None:
        parts.append("no_lr")
    else:
        parts.append(f"{n_steps(spec)}step" + ("s" if n_steps(spec) > 1 else ""))
    if use_float:
        parts.append("floats")
    return "_".join(parts)


N_RANDOM = 52


def build_cases():
    cases, refs, results, stats, rejected = [], [], [], [], []
    for spec in handcrafted():
        shape_chain(spec)
        jx = jax_train(spec)
        why, ref, st = check_case(spec, jx)
        if why:
            raise SystemExit(f"handcrafted case {spec['name']} rejected: {why}")
        cases.append(spec), refs.append(ref), results.append(jx), stats.append(st)
    rng = random.Random(SEED)
    i = 0
    names = {s["name"] for s in cases}
    while i < N_RANDOM:
        spec = random_case(rng, i)
        jx = jax_train(spec)
        why, ref, st = check_case(spec, jx)
        if not why and all(v == 0 for _, _, vals in ref["steps"][0]["grads"] for v in vals):
            why = "every parameter gradient is 0 (nothing to learn from)"
        if why:
            rejected.append((spec["name"], why))
            continue  # same i again: a new draw for the same feature slot
        base, n = spec["name"], 2
        while spec["name"] in names:
            spec["name"] = f"{base}_{n}"
            n += 1
        names.add(spec["name"])
        cases.append(spec), refs.append(ref), results.append(jx), stats.append(st)
        i += 1
    return cases, refs, results, stats, rejected


# ---------------------------------------------------------------------- emit


def num_lit(v, ints):
    v = float(v)
    if ints and v == int(v):
        return str(int(v))
    return lit(v)


def nested(v, ints, indent, width=100, first=0):
    """A nested-bracket literal: on one line if it fits, else one element a line."""
    one = flat_lit(v, ints)
    if indent + first + len(one) + 1 <= width:  # + 1: the comma after it
        return [one]
    if depth(v) == 1:  # a long row of numbers: as many a line as fit
        lines, line = ["["], " " * 4
        for x in v:
            item = num_lit(x, ints) + ","
            if indent + len(line) + len(item) > width and line.strip():
                lines.append(line.rstrip())
                line = " " * 4
            line += item + " "
        lines += [line.rstrip(), "]"]
        return lines
    lines = ["["]
    for x in v:
        sub = nested(x, ints, indent + 4, width, 0)
        sub[-1] += ","
        lines += [" " * 4 + s for s in sub]
    lines.append("]")
    return lines


def flat_lit(v, ints):
    if isinstance(v, list):
        return "[" + ", ".join(flat_lit(x, ints) for x in v) + "]"
    return num_lit(v, ints)


def keyed(key, v, ints, indent):
    """key: <literal>, laid out from the given indentation."""
    pad = " " * indent
    lines = nested(v, ints, indent, first=len(key) + 2)
    out = [f"{pad}{key}: {lines[0]}"] + [pad + s for s in lines[1:]]
    out[-1] += ","
    return out


def setting_text(l, key):
    v = l[key]
    if l["style"][key] == "tuple":
        return f"({v[0]}, {v[1]})"
    return str(v[0])


def conv_text(l, ints, indent):
    """conv { filter: …, bias: …, stride: …, … } laid out like the issue's example."""
    items = []
    f = l["filter"][0][0] if l["filter_2d"] else l["filter"]
    items.append(("filter", f))
    if l["bias"] is not None:
        items.append(("bias", l["bias"][0] if l["bias_style"] == "number" else l["bias"]))
    defaults = dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1))
    for key in ("stride", "padding", "dilation"):
        if l[key] != defaults[key] or key in l["show"]:
            items.append((key, setting_text(l, key)))
    if l["kernel"] != "correlation" or "kernel" in l["show"]:
        items.append(("kernel", l["kernel"]))

    def text_of(k, v):
        if isinstance(v, str):
            return v
        if isinstance(v, list):
            return flat_lit(v, ints)
        return num_lit(v, ints)
    one = "conv { " + ", ".join(f"{k}: {text_of(k, v)}" for k, v in items) + " },"
    if indent + len(one) <= 100:
        return [" " * indent + one]
    pad = " " * indent
    lines = [pad + "conv {"]
    for k, v in items:
        if isinstance(v, list):
            lines += keyed(k, v, ints, indent + 4)
        else:
            lines.append(f"{pad}    {k}: {text_of(k, v)},")
    lines.append(pad + "},")
    return lines


def spec_body(spec):
    """The lines inside train! { … } (no comments: the mock check keys on them)."""
    ints = spec["ints"]
    ind = 8
    L = []
    L += keyed("input", spec["input"][0] if spec["input_2d"] else spec["input"], ints, ind)
    L.append(" " * ind + "layers: [")
    for l in spec["layers"]:
        if l["op"] == "conv":
            L += conv_text(l, ints, ind + 4)
        elif l["op"] == "leaky_relu":
            L.append(" " * (ind + 4) + f"leaky_relu({lit(l['alpha'])}),")
        else:
            L.append(" " * (ind + 4) + l["op"] + ",")
    L.append(" " * ind + "],")
    if spec["grad_output"] is not None:
        g = spec["grad_output"]
        L += keyed("grad_output", g[0] if spec["go_2d"] else g, ints, ind)
    else:
        t = spec["target"]
        L += keyed("target", t[0] if spec["target_2d"] else t, ints, ind)
        L.append(" " * ind + f"loss: {spec['loss']},")
    if spec["lr"] is not None:
        L.append(" " * ind + f"lr: {lit(spec['lr'])},")
    if spec["steps"] is not None:
        L.append(" " * ind + f"steps: {spec['steps']},")
    return L


def values_lines(shape, vals, indent):
    """Row-major values, one matrix row (the last axis) a line; where there are
    several matrices (channels, or filter × channel), the first row of each is
    marked with its leading indices."""
    pad = " " * indent
    row = shape[-1] if shape else 1
    block = row * (shape[-2] if len(shape) >= 2 else 1)
    lead = shape[:-2]
    n_blocks = len(vals) // block if block else 0
    lines = []
    for k in range(0, len(vals), row):
        chunk = [lit(v) + "," for v in vals[k:k + row]]
        note = ""
        if n_blocks > 1 and k % block == 0:
            idx, b = [], k // block
            for n in reversed(lead):
                idx.append(b % n)
                b //= n
            note = " // [" + ", ".join(map(str, reversed(idx))) + "]"
        line, first = pad, True
        for item in chunk:
            room = 100 - (len(note) if first else 0)
            if len(line) + len(item) > room and line.strip():
                lines.append(line.rstrip() + (note if first else ""))
                line, first = pad, False
            line += item + " "
        lines.append(line.rstrip() + (note if first else ""))
    return lines


def shape_lit(shape):
    return "&[" + ", ".join(str(n) for n in shape) + "]"


def named_block(call, what, got, entries, ind=4):
    pad = " " * ind
    L = [f'{pad}assert_named("{what}", &{got}, &[']
    for name, shape, vals in entries:
        one = (f'{pad}    ("{name}", {shape_lit(shape)}, &['
               + ", ".join(lit(v) for v in vals) + "]),")
        if len(vals) <= 4 and len(one) <= 100:
            L.append(one)
        else:
            L.append(f'{pad}    ("{name}", {shape_lit(shape)}, &[')
            L += values_lines(shape, vals, ind + 8)
            L.append(f"{pad}    ]),")
    L.append(f"{pad}]);")
    return L


def maps_block(what, got, entries, labels, ind=4):
    pad = " " * ind
    L = [f'{pad}assert_maps("{what}", &{got}, &[']
    for (shape, vals), label in zip(entries, labels):
        L.append(f"{pad}    // {label}")
        one = f"{pad}    ({shape_lit(shape)}, &[" + ", ".join(lit(v) for v in vals) + "]),"
        if len(vals) <= 4 and len(one) <= 100:
            L.append(one)
        else:
            L.append(f"{pad}    ({shape_lit(shape)}, &[")
            L += values_lines(shape, vals, ind + 8)
            L.append(f"{pad}    ]),")
    L.append(f"{pad}]);")
    return L


def layer_label(l, k):
    if l["op"] == "conv":
        return f"{k}: conv"
    if l["op"] == "leaky_relu":
        return f"{k}: leaky_relu({l['alpha']})"
    return f"{k}: {l['op']}"


def check_lines(spec, res, ind):
    """The assertions on a run `d` against JAX's values, at indentation ind."""
    layers = spec["layers"]
    pad = " " * ind
    L = [f"{pad}let steps = d.steps();",
         f'{pad}assert_eq!(steps.len(), {len(res["steps"])}, "number of steps");']
    out_labels = [layer_label(l, k) for k, l in enumerate(layers)]
    in_labels = ["∂L/∂X (the network's input)"] + [
        f"∂L/∂(input of layer {k}) = ∂L/∂(output of layer {k - 1})"
        for k in range(1, len(layers))]
    for k, s in enumerate(res["steps"]):
        L.append("")
        L.append(f"{pad}let s = &steps[{k}];")
        L.append(f'{pad}assert_scalar("step {k} loss", s.loss(), {lit(s["loss"])});')
        L += named_block(None, f"step {k} named_parameters", "s.named_parameters()", s["params"],
                         ind)
        L += named_block(None, f"step {k} named_grads", "s.named_grads()", s["grads"], ind)
        L += maps_block(f"step {k} layer_outputs", "s.layer_outputs()", s["outputs"], out_labels,
                        ind)
        L += maps_block(f"step {k} input_grads", "s.input_grads()", s["input_grads"], in_labels,
                        ind)
    L.append("")
    L += named_block(None, "final named_parameters", "d.named_parameters()", res["params"], ind)
    L.append(f'{pad}assert_scalar("loss_after", d.loss_after(), {lit(res["loss_after"])});')
    return L


def test_lines(name, spec_lines, checks, rational):
    """A test: the spec run in f64 and checked; for a rational spec (no sigmoid, tanh or
    softmax cross-entropy) the same spec also runs with `arithmetic: exact`, the same checks
    take both runs (written once, generic over the number type: the exact run's values
    to 1e-12), and the exact run is held against the float run figure by figure.
    `arithmetic: exact` comes first: the mock check's stand-in train! keys on it there."""
    L = ["#[test]", "#[rustfmt::skip]", f"fn {name}() {{"]
    if not rational:
        return L + ["    let d = train! {"] + spec_lines + ["    };"] + checks(4) + ["}"]
    L.append("    // JAX's values, against the float run to 1e-9 and the exact run to 1e-12")
    L.append("    fn check<S: Figure>(d: &NetDerivation<S>) {")
    L += checks(8)
    L.append("    }")
    L += ["    let float = train! {"] + spec_lines + ["    };"]
    L += ["    let exact = train! {", "        arithmetic: exact,"] + spec_lines + ["    };"]
    L += ["    check(&float);", "    check(&exact);", "    assert_exact_net(&exact, &float);", "}"]
    return L


def emit_case(idx, spec, res):
    import textwrap
    L = textwrap.wrap(f"{idx:02d}. {spec['note']}", 97, initial_indent="// ",
                      subsequent_indent="//     ", break_on_hyphens=False)
    L += textwrap.wrap(chain_text(spec), 97, initial_indent="//     ",
                       subsequent_indent="//         ", break_on_hyphens=False)
    L += test_lines(f"net_{idx:02d}_{spec['name']}", spec_body(spec),
                    lambda ind: check_lines(spec, res, ind), netref.is_rational(spec))
    return "\n".join(L)


PRELUDE = '''\
//! Golden values for networks from JAX {jax} (jaxlib {jaxlib}), float64: {n} cases, seed {seed}.
//!
//! @generated by scripts/golden/networks.py. DO NOT EDIT: rerun
//! `python3 scripts/golden/networks.py` instead (see scripts/golden/README.md).
//!
//! Independent reference values for chains of conv and activation layers (PyTorch's
//! semantics): each conv is the cross-correlation of the zero-padded input with every
//! filter, summed over channels, with stride and dilation (`kernel: convolution` rotates
//! each filter's kernel by 180° first), plus one bias per filter; the loss is over every
//! entry of the last layer's output (`grad_output: g` makes it Σ g ⊙ y); gradients by
//! `jax.grad`; then p ← p − η·∂L/∂p for every parameter (no update without `lr`). Every
//! number was cross-checked against a pure-Python loop reference with a hand-written
//! backward pass (exact fractions where the arithmetic is rational) and the gradients
//! against central finite differences, before being written.
//!
//! relu′(0) = 0 and leaky_relu′(0) = α, as PyTorch; cases that reach an exact 0 there
//! reach it in every f64 evaluation order. Values are compared to 1e-9, relative above 1.
//!
//! The {n_exact} cases without sigmoid or tanh also run with `arithmetic: exact`, from the
//! decimals as written: each exact value, rounded to f64, must be within 1e-12 relative
//! (`|a − b| ≤ 1e-12·max(1, |a|, |b|)`) of JAX's and of the float run's.
#![allow(clippy::unreadable_literal, clippy::too_many_lines)]

use cnn_bp_core::network::NetDerivation;
use cnn_bp_core::train;
'''

# The assertion helpers are tests/common/golden.rs's, shared with tests/golden_classifiers.rs.
SHARED = '''
#[path = "common/golden.rs"]
mod golden;
use golden::{Figure, assert_exact_net, assert_maps, assert_named, assert_scalar};
'''


def render(cases, results):
    import importlib.metadata as md
    head = PRELUDE.format(jax=jax.__version__, jaxlib=md.version("jaxlib"), n=len(cases),
                          seed=SEED, n_exact=sum(map(netref.is_rational, cases)))
    body = [emit_case(i, s, r) for i, (s, r) in enumerate(zip(cases, results))]
    return head + SHARED + "\n" + "\n\n".join(body) + "\n"


def rustfmt(path):
    rf = shutil.which("rustfmt")
    if not rf:
        print("warning: rustfmt not found; output left unformatted", file=sys.stderr)
        return
    # --config-path: the repository's rustfmt.toml, wherever the output goes
    subprocess.run([rf, "--edition", "2024", "--config-path", ROOT, path], check=True)


# ------------------------------------------------------------------- coverage


def features(spec):
    convs = [l for l in spec["layers"] if l["op"] == "conv"]
    acts = [l["op"] for l in spec["layers"] if l["op"] != "conv"]
    f = {}
    f[f"convs: {len(convs)}"] = 1
    f[f"layers (Sequential length): {len(spec['layers'])}"] = 1
    f[f"input channels: {len(spec['input'])}"] = 1
    for l in convs:
        f[f"filters per conv: {len(l['filter'])}"] = 1
        f[f"channels into a conv: {len(l['filter'][0])}"] = 1
    for key, dflt in (("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1))):
        vs = [l[key] for l in convs]
        if any(v != dflt for v in vs):
            f[f"{key} ≠ default"] = 1
        if any(v[0] != v[1] for v in vs):
            f[f"{key} (rows, cols) unequal"] = 1
        if any(l["style"][key] == "tuple" for l in convs if key in l["show"] or l[key] != dflt):
            f[f"{key} written as a tuple"] = 1
        if any(key in l["show"] and l[key] == dflt for l in convs):
            f[f"{key} written at its default"] = 1
    ks = {l["kernel"] for l in convs}
    if "convolution" in ks:
        f["kernel: convolution"] = 1
    if "correlation" in ks:
        f["kernel: correlation"] = 1
    if any(l["kernel"] == "correlation" and "kernel" in l["show"] for l in convs):
        f["kernel: correlation written out"] = 1
    if "correlation" in ks and "convolution" in ks:
        f["both kernels in one network"] = 1
    for a in acts:
        f[f"activation: {a}"] = 1
    if not acts:
        f["no activation layer"] = 1
    if spec["layers"][-1]["op"] == "conv":
        f["last layer a conv"] = 1
    if spec["grad_output"] is not None:
        f["grad_output"] = 1
        f["grad_output 2-D" if spec["go_2d"] else "grad_output 3-D"] = 1
    else:
        f[f"loss: {spec['loss']}"] = 1
        f["target 2-D" if spec["target_2d"] else "target 3-D"] = 1
    if spec["lr"] is None:
        f["no lr (one pass, no update)"] = 1
    else:
        f[f"steps: {n_steps(spec)}"] = 1
        if spec["steps"] is None:
            f["lr with steps absent"] = 1
    for l in convs:
        if l["bias"] is None:
            f["conv without bias"] = 1
        elif l["bias_style"] == "number":
            f["bias: a number (F = 1)"] = 1
        else:
            f[f"bias: a list ({'F = 1' if len(l['bias']) == 1 else 'F > 1'})"] = 1
        if l["filter_2d"]:
            f["filter 2-D"] = 1
        else:
            f["filter 4-D"] = 1
    f["input 2-D" if spec["input_2d"] else "input 3-D"] = 1
    if spec["ints"]:
        f["integer literals"] = 1
    return f


def coverage(cases, stats):
    counts = {}
    for s, st in zip(cases, stats):
        for k in features(s):
            counts[k] = counts.get(k, 0) + 1
        if st["zeros"]:
            counts["exact 0 at a relu/leaky input"] = counts.get(
                "exact 0 at a relu/leaky input", 0) + 1
        if st["exact_all"]:
            counts["exact in f64 end to end (bit-identical to Fraction)"] = counts.get(
                "exact in f64 end to end (bit-identical to Fraction)", 0) + 1
        counts["rational (Fraction reference)" if st["rational"] else
               "float reference (sigmoid/tanh)"] = counts.get(
            "rational (Fraction reference)" if st["rational"] else
            "float reference (sigmoid/tanh)", 0) + 1
    rows = sorted(counts.items())
    return "| feature | cases |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


# ------------------------------------------------------------------ mock check


def mock_check(out_path, cases, refs, stats, work):
    """Compile the generated file against a stand-in `cnn_bp_core` whose
    `train!` returns the pure-Python reference's numbers for the spec it is
    given (looked up by the spec's tokens; with `arithmetic: exact`, the
    reference's in fractions from the decimals as written), under the
    workspace's lints (clippy pedantic, -D warnings); run it (every test must
    pass); then run it with one number (or a name or shape) per case corrupted:
    in the float run (every test must fail), in the exact run, and in the float
    run by only 1e-11 (every test with an exact run must fail, the others pass)."""
    mock_crate(work, MOCK_LIB)
    table = mock_table(spec_body, cases, refs, stats)
    run_mock(out_path, work, table, len(cases), sum(st["exact_ref"] is not None for st in stats))


def mock_crate(work, lib):
    """The stand-in crate in work (a package with the workspace's own lints, its tests/ and
    the stand-in cnn_bp_core in core/)."""
    import json
    import tomllib
    os.makedirs(os.path.join(work, "core", "src"), exist_ok=True)
    os.makedirs(os.path.join(work, "tests", "common"), exist_ok=True)
    os.makedirs(os.path.join(work, "src"), exist_ok=True)
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
        ws_lints = tomllib.load(f)["workspace"]["lints"]  # the workspace's own lints

    def toml_value(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)
    lints = "".join(f"[lints.{tool}]\n" + "".join(f"{k} = {toml_value(v)}\n"
                                                   for k, v in table.items()) + "\n"
                    for tool, table in ws_lints.items())
    with open(os.path.join(work, "Cargo.toml"), "w") as f:
        f.write('[package]\nname = "golden-mock"\nversion = "0.0.0"\nedition = "2024"\n'
                'publish = false\n\n[dependencies]\ncnn-bp-core = { path = "core" }\n'
                '\n[workspace]\nexclude = ["core"]\n\n' + lints)
    with open(os.path.join(work, "core", "Cargo.toml"), "w") as f:
        f.write('[package]\nname = "cnn-bp-core"\nversion = "0.0.0"\nedition = "2024"\n'
                'publish = false\n')
    with open(os.path.join(work, "src", "lib.rs"), "w") as f:
        f.write("//! mock\n")
    with open(os.path.join(work, "core", "src", "lib.rs"), "w") as f:
        f.write(lib)
    # the assertion helpers the generated files name
    shutil.copy(os.path.join(ROOT, "tests", "common", "golden.rs"),
                os.path.join(work, "tests", "common", "golden.rs"))


def mock_table(body, cases, refs, stats):
    """What the stand-in train! returns, keyed by the spec's tokens: the float run's numbers
    and, for a case with an exact run, the exact run's."""
    table = []
    for spec, ref, st in zip(cases, refs, stats):
        entry = dict(key="".join("".join(body(spec)).split()), res=to_float(ref))
        if st["exact_ref"] is not None:
            entry["exact"] = to_float(st["exact_ref"])
        table.append(entry)
    return table


def run_mock(out_path, work, table, n_cases, n_exact):
    import json
    test = os.path.splitext(os.path.basename(out_path))[0]
    with open(os.path.join(work, "core", "table.json"), "w") as f:
        json.dump(table, f)
    shutil.copy(out_path, os.path.join(work, "tests", f"{test}.rs"))
    env = dict(os.environ, GOLDEN_TABLE=os.path.join(work, "core", "table.json"))
    r = subprocess.run(["cargo", "clippy", "--offline", "--all-targets", "--quiet", "--",
                        "-D", "warnings"], cwd=work, env=env)
    assert r.returncode == 0, "clippy on the generated file failed"

    def run(corrupt):
        e = dict(env, GOLDEN_CORRUPT=corrupt) if corrupt else env
        r = subprocess.run(["cargo", "test", "--offline", "--quiet", "--test", test, "--",
                            "--test-threads=8"], cwd=work, env=e, capture_output=True,
                           text=True)
        tail = [l for l in r.stdout.splitlines() if l.startswith("test result")]
        kinds = {}
        for line in r.stdout.splitlines():
            if "CORRUPTED" in line:
                k = line.split("CORRUPTED")[1].split()[0]
                kinds[k] = kinds.get(k, 0) + 1
        return r, (tail[-1] if tail else r.stdout[-2000:] + r.stderr[-2000:]), kinds
    r, tail, _ = run(None)
    print("  mock check, true values:", tail)
    assert r.returncode == 0
    for corrupt, failing in (("float", n_cases), ("exact", n_exact), ("float-1e-11", n_exact)):
        r, tail, kinds = run(corrupt)
        print(f"  mock check, {corrupt} corrupted:", tail)
        assert f"{n_cases - failing} passed; {failing} failed" in tail, r.stdout[-3000:]
        print("    corruptions (each made its test fail, where it has the run):",
              dict(sorted(kinds.items())))


def to_float(res):
    def named(lst):
        return [[n, list(sh), [float(v) for v in vals]] for n, sh, vals in lst]

    def maps(lst):
        return [[list(sh), [float(v) for v in vals]] for sh, vals in lst]
    return dict(steps=[dict(loss=float(s["loss"]), params=named(s["params"]),
                            grads=named(s["grads"]), outputs=maps(s["outputs"]),
                            input_grads=maps(s["input_grads"])) for s in res["steps"]],
                params=named(res["params"]), loss_after=float(res["loss_after"]))


MOCK_LIB = r'''//! A stand-in for cnn_bp_core with issue 10's API: `train!` returns the
//! pure-Python reference's numbers for the spec it is given; with `arithmetic: exact` first,
//! the exact run's (the reference in fractions from the decimals as written, rounded to f64)
//! in a stand-in `Rational`.
#![allow(missing_docs, clippy::missing_panics_doc, clippy::must_use_candidate)]

use std::fmt;
use std::marker::PhantomData;

/// The exact scalar's stand-in: the exact run's values, rounded to f64.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Rational(f64);

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{}", self.0) }
}

impl From<Rational> for f64 {
    fn from(r: Rational) -> f64 { r.0 }
}

pub trait Scalar: Copy + fmt::Debug + 'static {
    fn of(v: f64) -> Self;
}
impl Scalar for f64 { fn of(v: f64) -> Self { v } }
impl Scalar for Rational { fn of(v: f64) -> Self { Rational(v) } }

type NamedT = (String, Vec<usize>, Vec<f64>);
type MapT = (Vec<usize>, Vec<f64>);

fn named_as<S: Scalar>(n: &[NamedT]) -> Vec<(String, Vec<usize>, Vec<S>)> {
    n.iter().map(|(name, shape, v)| (name.clone(), shape.clone(), v.iter().map(|&x| S::of(x)).collect())).collect()
}
fn maps_as<S: Scalar>(m: &[MapT]) -> Vec<(Vec<usize>, Vec<S>)> {
    m.iter().map(|(shape, v)| (shape.clone(), v.iter().map(|&x| S::of(x)).collect())).collect()
}

pub mod network {
    use super::{MapT, NamedT, PhantomData, Scalar, maps_as, named_as};

    #[derive(Clone, Debug)]
    pub struct NetStep<S = f64> {
        pub(crate) loss: f64,
        pub(crate) params: Vec<NamedT>,
        pub(crate) grads: Vec<NamedT>,
        pub(crate) outputs: Vec<MapT>,
        pub(crate) input_grads: Vec<MapT>,
        pub(crate) scalar: PhantomData<S>,
    }

    impl<S: Scalar> NetStep<S> {
        pub fn loss(&self) -> S { S::of(self.loss) }
        pub fn named_parameters(&self) -> Vec<(String, Vec<usize>, Vec<S>)> { named_as(&self.params) }
        pub fn named_grads(&self) -> Vec<(String, Vec<usize>, Vec<S>)> { named_as(&self.grads) }
        pub fn layer_outputs(&self) -> Vec<(Vec<usize>, Vec<S>)> { maps_as(&self.outputs) }
        pub fn input_grads(&self) -> Vec<(Vec<usize>, Vec<S>)> { maps_as(&self.input_grads) }
    }

    pub struct NetDerivation<S = f64> {
        pub(crate) steps: Vec<NetStep<S>>,
        pub(crate) params: Vec<NamedT>,
        pub(crate) loss_after: f64,
    }

    impl<S: Scalar> NetDerivation<S> {
        pub fn steps(&self) -> &[NetStep<S>] { &self.steps }
        pub fn named_parameters(&self) -> Vec<(String, Vec<usize>, Vec<S>)> { named_as(&self.params) }
        pub fn loss_after(&self) -> S { S::of(self.loss_after) }
    }
}

/// The single-layer types tests/common/golden.rs names: not mocked (no network test uses them).
pub struct Derivation<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64>(PhantomData<S>);
pub struct Step<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64>(PhantomData<S>);

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> Derivation<KH, KW, OH, OW, S> {
    pub fn steps(&self) -> &[Step<KH, KW, OH, OW, S>] { unimplemented!() }
    pub fn filter(&self) -> [[S; KW]; KH] { unimplemented!() }
    pub fn bias(&self) -> Option<S> { unimplemented!() }
    pub fn loss_after(&self) -> S { unimplemented!() }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> Step<KH, KW, OH, OW, S> {
    pub fn filter(&self) -> [[S; KW]; KH] { unimplemented!() }
    pub fn output(&self) -> [[S; OW]; OH] { unimplemented!() }
    pub fn activated(&self) -> [[S; OW]; OH] { unimplemented!() }
    pub fn loss(&self) -> S { unimplemented!() }
    pub fn delta(&self) -> [[S; OW]; OH] { unimplemented!() }
    pub fn filter_grad(&self) -> [[S; KW]; KH] { unimplemented!() }
    pub fn bias_grad(&self) -> Option<S> { unimplemented!() }
}

#[macro_export]
macro_rules! train {
    (arithmetic: exact, $($t:tt)*) => { $crate::lookup::<$crate::Rational>(stringify!($($t)*), true) };
    ($($t:tt)*) => { $crate::lookup::<f64>(stringify!($($t)*), false) };
}

// A tiny JSON reader: the table is generated, so it only needs what is in it.
struct P<'a> { s: &'a [u8], i: usize }
enum J { N(f64), S(String), A(Vec<J>), O(Vec<(String, J)>) }
impl P<'_> {
    fn ws(&mut self) { while self.i < self.s.len() && (self.s[self.i] as char).is_whitespace() { self.i += 1; } }
    fn v(&mut self) -> J {
        self.ws();
        match self.s[self.i] {
            b'[' => { self.i += 1; let mut a = vec![]; loop { self.ws(); if self.s[self.i] == b']' { self.i += 1; break; } a.push(self.v()); self.ws(); if self.s[self.i] == b',' { self.i += 1; } } J::A(a) }
            b'{' => { self.i += 1; let mut o = vec![]; loop { self.ws(); if self.s[self.i] == b'}' { self.i += 1; break; } let J::S(k) = self.v() else { panic!() }; self.ws(); self.i += 1; let v = self.v(); o.push((k, v)); self.ws(); if self.s[self.i] == b',' { self.i += 1; } } J::O(o) }
            b'"' => { self.i += 1; let st = self.i; while self.s[self.i] != b'"' { if self.s[self.i] == b'\\' { self.i += 1; } self.i += 1; } let r = String::from_utf8(self.s[st..self.i].to_vec()).unwrap(); self.i += 1; J::S(unescape(&r)) }
            _ => { let st = self.i; while self.i < self.s.len() && !b",]} \n".contains(&self.s[self.i]) { self.i += 1; } J::N(std::str::from_utf8(&self.s[st..self.i]).unwrap().parse().unwrap()) }
        }
    }
}
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next().unwrap() {
                'u' => { let h: String = it.by_ref().take(4).collect(); let cp = u32::from_str_radix(&h, 16).unwrap(); out.push(char::from_u32(cp).unwrap_or('?')); }
                'n' => out.push('\n'),
                o => out.push(o),
            }
        } else { out.push(c); }
    }
    out
}
fn get<'a>(o: &'a J, k: &str) -> &'a J { let J::O(o) = o else { panic!() }; &o.iter().find(|(kk, _)| kk == k).unwrap().1 }
fn num(j: &J) -> f64 { let J::N(x) = j else { panic!() }; *x }
fn arr(j: &J) -> &[J] { let J::A(a) = j else { panic!() }; a }
fn named(j: &J) -> Vec<NamedT> {
    arr(j).iter().map(|e| { let a = arr(e); let J::S(n) = &a[0] else { panic!() };
        (n.clone(), arr(&a[1]).iter().map(|x| num(x) as usize).collect(), arr(&a[2]).iter().map(num).collect()) }).collect()
}
fn maps(j: &J) -> Vec<MapT> {
    arr(j).iter().map(|e| { let a = arr(e); (arr(&a[0]).iter().map(|x| num(x) as usize).collect(), arr(&a[1]).iter().map(num).collect()) }).collect()
}

/// GOLDEN_CORRUPT: `float` bumps one number of every float run by 2e-9 relative (or changes
/// a name, a shape, the step count): every test must fail. `exact` does that to every exact
/// run, by 2e-12: every test with an exact run must fail, the others pass. `float-1e-11`
/// bumps one number of every float run by 1e-11, within the float checks' 1e-9 but not within
/// the exact run's 1e-12 of it: again every test with an exact run must fail.
pub fn lookup<S: Scalar>(spec: &str, exact: bool) -> network::NetDerivation<S> {
    let key: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let text = std::fs::read_to_string(std::env::var("GOLDEN_TABLE").unwrap()).unwrap();
    let table = P { s: text.as_bytes(), i: 0 }.v();
    let (idx, entry) = arr(&table).iter().enumerate().find(|(_, e)| { let J::S(k) = get(e, "key") else { panic!() }; *k == key })
        .unwrap_or_else(|| panic!("spec not in the table: {key}"));
    let res = get(entry, if exact { "exact" } else { "res" });
    let mut d = network::NetDerivation {
        steps: arr(get(res, "steps")).iter().map(|s| network::NetStep {
            loss: num(get(s, "loss")), params: named(get(s, "params")), grads: named(get(s, "grads")),
            outputs: maps(get(s, "outputs")), input_grads: maps(get(s, "input_grads")), scalar: PhantomData,
        }).collect(),
        params: named(get(res, "params")),
        loss_after: num(get(res, "loss_after")),
    };
    let mode = std::env::var("GOLDEN_CORRUPT").unwrap_or_default();
    let (mine, size, kinds) = match mode.as_str() {
        "" => (false, 0.0, 10),
        "exact" => (exact, 2e-12, 10),
        "float-1e-11" => (!exact, 1e-11, 7),
        _ => (!exact, 2e-9, 10),
    };
    if mine {
        let last = d.steps.len() - 1;
        let bump = |x: &mut f64| *x += size * (1.0 + x.abs());
        let what = match idx % kinds {
            0 => { bump(&mut d.steps[last].loss); "loss" }
            1 => { let p = &mut d.steps[0].params[0].2; let n = p.len() - 1; bump(&mut p[n]); "named_parameters" }
            2 => { let g = &mut d.steps[last].grads; let n = g.len() - 1; let v = &mut g[n].2; bump(&mut v[0]); "named_grads" }
            3 => { let o = &mut d.steps[0].outputs; let n = o.len() - 1; let v = &mut o[n].1; let m = v.len() / 2; bump(&mut v[m]); "layer_outputs" }
            4 => { let v = &mut d.steps[last].input_grads[0].1; let m = v.len() - 1; bump(&mut v[m]); "input_grads[0]" }
            5 => { let p = &mut d.params; let n = p.len() - 1; bump(&mut p[n].2[0]); "final_named_parameters" }
            6 => { bump(&mut d.loss_after); "loss_after" }
            7 => { d.steps[0].params[0].0 = "1.weight".into(); "name" }
            8 => { let s = &mut d.steps[0].outputs[0].0; s.rotate_left(1); if s[0] == s[1] && s[1] == s[2] { s.push(1); } "shape" }
            _ => { d.steps.push(d.steps[last].clone()); "step_count" }
        };
        println!("CORRUPTED {what}");
    }
    d
}
'''


# ----------------------------------------------------------------------- main


def exact_summary(cases, stats):
    gaps = [st["exact_gap"] for st in stats if st["exact_gap"] is not None]
    return (f"  arithmetic: exact: {len(gaps)} of {len(cases)} cases also run exactly, from the "
            f"decimals as written; the exact values rounded to f64 are within "
            f"{max(gaps):.2e} of JAX's (relative, the test allows {EXACT_REL})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "golden_networks.rs"))
    ap.add_argument("--no-rustfmt", action="store_true")
    ap.add_argument("--table", action="store_true", help="print a coverage table")
    ap.add_argument("--mock-check", metavar="DIR",
                    help="compile and run the output against a stand-in crate in DIR")
    ap.add_argument("--fd", choices=["all", "some", "none"], default="all",
                    help="finite-difference check of every case (default), a few, or none")
    args = ap.parse_args()

    cases, refs, results, stats, rejected = build_cases()
    names = [s["name"] for s in cases]
    assert len(set(names)) == len(names), "duplicate case names"

    # Central finite differences of the loss (pure Python, no JAX, no hand-written
    # backward) against the gradients, for every parameter entry and every entry of X.
    fd_cases = range(len(cases)) if args.fd == "all" else \
        range(0, len(cases), 7) if args.fd == "some" else []
    n_fd = n_skip = 0
    worst = 0.0
    n_fd_cases = 0
    for i in fd_cases:
        for step in sorted({0, len(refs[i]["steps"]) - 1}):
            c, s, w = finite_differences(cases[i], refs[i], step)
            n_fd, n_skip, worst = n_fd + c, n_skip + s, max(worst, w)
        n_fd_cases += 1

    text = render(cases, results)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    if not args.no_rustfmt:
        rustfmt(args.out)

    n_exact = sum(st["exact_all"] for st in stats)
    n_rat = sum(st["rational"] for st in stats)
    bit = sum(st["bit"] for st in stats)
    tot = sum(st["total"] for st in stats)
    n_zero = sum(1 for st in stats if st["zeros"])
    print(f"wrote {args.out}: {len(cases)} cases (JAX {jax.__version__})")
    print(f"  JAX vs pure-Python loops: {n_rat} rational cases (Fraction), {n_exact} of them "
          f"exact in f64 end to end and bit-identical; the others within 1e-12; "
          f"{bit}/{tot} numbers bit-identical overall")
    vis = {}
    for st in stats:
        for op, n in st["visible"].items():
            vis.setdefault(op, [0, 0])
            vis[op][0] += 1
            vis[op][1] += n
    print(f"  {n_zero} cases reach an exact 0 at a relu/leaky_relu input "
          f"({sum(st['zeros'] for st in stats)} entries over all steps); under a nonzero "
          f"upstream gradient: " + ", ".join(f"{op} in {c} cases ({n} entries)"
                                             for op, (c, n) in sorted(vis.items())))
    print(f"  finite differences: {n_fd_cases} cases, first and last step, {n_fd} gradient "
          f"entries (parameters and ∂L/∂X) agree (exact in Fraction for rational cases; "
          f"max relative error {worst:.2e} in float ones), {n_skip} skipped at a kink")
    print(exact_summary(cases, stats))
    print(f"  {len(rejected)} random draws rejected:")
    for n, why in rejected:
        print(f"    {n}: {why}")
    if args.table:
        print(coverage(cases, stats))
    if args.mock_check:
        mock_check(args.out, cases, refs, stats, args.mock_check)


if __name__ == "__main__":
    main()
