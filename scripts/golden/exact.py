#!/usr/bin/env python3
"""Generate tests/golden_exact.rs: an independent exact reference for
`arithmetic: exact` (issue 12), computed with the standard library's
fractions.Fraction only (no JAX, no numpy).

Every spec is written once, as the text of a `train!` call (the grammar of the
README); this script parses that text, reads every number literal exactly as
the decimal it is written as (`0.1` is 1/10, `-0.25` is -1/4), trains the
network with explicit loops and a hand-written backward pass (chain rule, no
autodiff), and writes one #[test] per spec that calls `train!` with
`arithmetic: exact` and asserts every figure of every step as the fraction in
lowest terms (`to_string()`: "3/2", "-5/32", "2").

Semantics (PyTorch's):
- conv: weight [F][C][KH][KW] (a 2-D filter is one filter on one channel),
  cross-correlation of the zero-padded input, summed over channels, with stride
  and dilation, OH = (H + 2·ph − dh·(KH − 1) − 1) // sh + 1;
  `kernel: convolution` rotates every KH×KW kernel by 180°; one bias per filter.
- relu (relu′(0) = relu_grad_at_zero, default 0), leaky_relu(α) (α read exactly;
  derivative α for z ≤ 0, as PyTorch), linear (single layer only).
- max_pool { size, stride } (stride absent = size, no padding, floor): each
  window's first maximum in row-major order takes the window's gradient;
  avg_pool: the mean of the window, each entry gets g / (KH·KW); overlapping
  windows add up.
- flatten: [C, H, W] -> C·H·W row-major; dense { weight [O][I], bias [O] }.
- losses over every entry of the last output: half_sse = ½Σ(y−t)²,
  sse = Σ(y−t)², mse = Σ(y−t)²/n; `grad_output: g` instead: L = Σ g ⊙ y.
- SGD: p ← p − lr·∂L/∂p for every parameter; without `lr`, one pass, no update.

Usage (from the repository root):  python3 scripts/golden/exact.py
Options: --out PATH (default tests/golden_exact.rs), --no-rustfmt, --table
(coverage), --self-check (the seed question's 2 → 3/2 and the rational cases
of the float golden files against their JAX values, see exact_selfcheck.py).
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
from fractions import Fraction

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEED = 20240612
MAX_CHARS = 400  # random draws whose longest fraction is longer than this are redrawn


# ------------------------------------------------------------ spec text parser

TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:_?f64)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<punct>[\[\](){},:;&.=!<>\-*/+])
""", re.VERBOSE)


def tokenize(text):
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise SyntaxError(f"cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
    return out


class Num(str):
    """A number literal as written (a str, so that the Rust text keeps it)."""

    def value(self):
        return Fraction(re.sub(r"_?f64$", "", self))


class Parser:
    def __init__(self, tokens):
        self.t, self.i = tokens, 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def take(self, want=None):
        tok = self.peek()
        if want is not None and tok[1] != want:
            raise SyntaxError(f"expected {want!r}, got {tok[1]!r} at token {self.i}")
        self.i += 1
        return tok

    def fields(self, end=None):
        """key: value, … up to `end` (or the end of input)."""
        d = {}
        while self.peek()[1] != end and self.peek()[0] is not None:
            _, key = self.take()
            self.take(":")
            d[key] = self.value()
            if self.peek()[1] == ",":
                self.take()
        return d

    def seq(self, end):
        items = []
        while self.peek()[1] != end:
            items.append(self.value())
            if self.peek()[1] == ",":
                self.take()
            elif self.peek()[1] == ";":  # [x; n]
                self.take()
                _, n = self.take()
                items = [items[0]] * int(n)
        self.take(end)
        return items

    def value(self):
        kind, tok = self.peek()
        if tok == "[":
            self.take()
            return self.seq("]")
        if tok == "(":
            self.take()
            return tuple(self.seq(")"))
        if tok == "{":
            self.take()
            d = self.fields("}")
            self.take("}")
            return d
        if tok == "-":
            self.take()
            _, n = self.take()
            return Num("-" + n)
        if kind == "num":
            self.take()
            return Num(tok)
        if kind == "ident":
            self.take()
            if self.peek()[1] == "(":
                self.take()
                return ("call", tok, self.seq(")"))
            if self.peek()[1] == "{":
                self.take()
                d = self.fields("}")
                self.take("}")
                return ("block", tok, d)
            return ("ident", tok)
        raise SyntaxError(f"unexpected {tok!r}")


def parse_spec(text):
    p = Parser(tokenize(text))
    d = p.fields()
    if p.peek()[0] is not None:
        raise SyntaxError(f"trailing {p.peek()}")
    return d


# ------------------------------------------------------------------ the model


def ident(v):
    assert isinstance(v, tuple) and v[0] == "ident", v
    return v[1]


def pair(v, default):
    if v is None:
        return default
    if isinstance(v, tuple):
        assert len(v) == 2 and all(isinstance(x, Num) for x in v), v
        return int(v[0]), int(v[1])
    return int(v), int(v)


def depth(v):
    return 1 + depth(v[0]) if isinstance(v, list) else 0


def tensor(v):
    if isinstance(v, list):
        return [tensor(x) for x in v]
    return v.value()


def as_map(v):
    """A 2-D or 3-D literal as [C][H][W]; a 1-D one as a vector."""
    t = tensor(v)
    return {1: t, 2: [t], 3: t}[depth(t)]


def activation(v):
    """('relu',) | ('linear',) | ('leaky_relu', α) | ('sigmoid',) …"""
    if v[0] == "ident":
        return (v[1],)
    assert v[0] == "call" and v[1] == "leaky_relu", v
    return ("leaky_relu", v[2][0].value(), str(v[2][0]))


def network_of(spec):
    """The spec as a list of layers (dicts) plus the top-level settings; a
    single-layer spec becomes the network [conv, activation] ([conv] if
    linear), which is what it is."""
    single = "layers" not in spec
    if single:
        conv = dict(op="conv", weight=[[tensor(spec["filter"])]],
                    bias=None if "bias" not in spec else [spec["bias"].value()],
                    stride=pair(spec.get("stride"), (1, 1)),
                    padding=pair(spec.get("padding"), (0, 0)), dilation=(1, 1),
                    kernel=ident(spec.get("kernel", ("ident", "correlation"))))
        act = activation(spec.get("activation", ("ident", "relu")))
        layers = [conv] + ([] if act[0] == "linear" else [act_layer(act)])
    else:
        layers = [layer_of(l) for l in spec["layers"]]
    g0 = spec.get("relu_grad_at_zero")
    net = dict(
        single=single,
        input=as_map(spec["input"]),
        layers=layers,
        target=None if "target" not in spec else as_map(spec["target"]),
        grad_output=None if "grad_output" not in spec else as_map(spec["grad_output"]),
        loss=ident(spec.get("loss", ("ident", "half_sse"))),
        lr=None if "lr" not in spec else spec["lr"].value(),
        steps=int(spec.get("steps", Num("1"))),
        relu_grad_at_zero=Fraction(0) if g0 is None else g0.value(),
        input_grad=ident(spec.get("input_grad", ("ident", "false"))) == "true",
    )
    if single:
        assert net["lr"] is not None, "a single-layer spec has an lr"
    return net


def act_layer(a):
    if a[0] == "relu":
        return dict(op="relu")
    if a[0] == "leaky_relu":
        return dict(op="leaky_relu", alpha=a[1], alpha_text=a[2])
    raise ValueError(f"not rational: {a}")


def layer_of(v):
    if v[0] in ("ident", "call"):
        if v[0] == "ident" and v[1] == "flatten":
            return dict(op="flatten")
        return act_layer(activation(v))
    _, name, d = v
    if name == "conv":
        f = tensor(d["filter"])
        w = [[f]] if depth(f) == 2 else f
        assert depth(w) == 4, "a conv filter is 2-D or 4-D"
        b = d.get("bias")
        if b is None:
            bias = None
        elif isinstance(b, list):
            bias = [x.value() for x in b]
        else:
            bias = [b.value()] * len(w)
        assert bias is None or len(bias) == len(w)
        return dict(op="conv", weight=w, bias=bias, stride=pair(d.get("stride"), (1, 1)),
                    padding=pair(d.get("padding"), (0, 0)),
                    dilation=pair(d.get("dilation"), (1, 1)),
                    kernel=ident(d.get("kernel", ("ident", "correlation"))))
    if name in ("max_pool", "avg_pool"):
        size = pair(d["size"], None)
        return dict(op=name, size=size, stride=pair(d.get("stride"), size))
    if name == "dense":
        return dict(op="dense", weight=tensor(d["weight"]),
                    bias=None if "bias" not in d else [x.value() for x in d["bias"]])
    raise ValueError(name)


# ------------------------------------------------------------- the reference


def zeros(*dims):
    if len(dims) == 1:
        return [Fraction(0)] * dims[0]
    return [zeros(*dims[1:]) for _ in range(dims[0])]


def shape(t):
    return [len(t)] + shape(t[0]) if isinstance(t, list) else []


def flat(t):
    return [v for x in t for v in flat(x)] if isinstance(t, list) else [t]


def out_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_geometry(l, x):
    C, H, W = shape(x)
    w = l["weight"]
    F, C2, KH, KW = shape(w)
    assert C == C2, f"a conv on {C} channels with a {C2}-channel filter"
    (sh, sw), (ph, pw), (dh, dw) = l["stride"], l["padding"], l["dilation"]
    OH, OW = out_size(H, KH, sh, ph, dh), out_size(W, KW, sw, pw, dw)
    assert OH >= 1 and OW >= 1
    return C, H, W, F, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW


def conv_taps(l, x):
    """Every (f, i, j, c, r, q, a, e): output entry (f,i,j) takes input entry
    (c,r,q) times weight entry w[f][c][a][e] (the weight's own indices, after
    the convolution's rotation); taps on the padding are left out (zero)."""
    C, H, W, F, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW = conv_geometry(l, x)
    rot = l["kernel"] == "convolution"
    for f in range(F):
        for i in range(OH):
            for j in range(OW):
                for c in range(C):
                    for u in range(KH):
                        for v in range(KW):
                            r, q = i * sh + u * dh - ph, j * sw + v * dw - pw
                            if 0 <= r < H and 0 <= q < W:
                                a, e = (KH - 1 - u, KW - 1 - v) if rot else (u, v)
                                yield f, i, j, c, r, q, a, e


def conv_forward(l, x):
    *_, F, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW = conv_geometry(l, x)
    w, b = l["weight"], l["bias"]
    z = zeros(F, OH, OW)
    for f, i, j, c, r, q, a, e in conv_taps(l, x):
        z[f][i][j] += x[c][r][q] * w[f][c][a][e]
    if b is not None:
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    z[f][i][j] += b[f]
    return z


def conv_backward(l, x, g):
    C, H, W, F, KH, KW, *_ = conv_geometry(l, x)
    w = l["weight"]
    gw, gx = zeros(F, C, KH, KW), zeros(C, H, W)
    for f, i, j, c, r, q, a, e in conv_taps(l, x):
        gw[f][c][a][e] += g[f][i][j] * x[c][r][q]
        gx[c][r][q] += g[f][i][j] * w[f][c][a][e]
    gb = None if l["bias"] is None else [sum(flat(g[f]), Fraction(0)) for f in range(F)]
    return gx, dict(weight=gw, bias=gb)


def elementwise(fn, *ts):
    if isinstance(ts[0], list):
        return [elementwise(fn, *xs) for xs in zip(*ts)]
    return fn(*ts)


def act_fn(l, z):
    if l["op"] == "relu":
        return z if z > 0 else Fraction(0)
    return z if z > 0 else l["alpha"] * z  # leaky_relu


def act_grad(l, z, g0):
    if l["op"] == "relu":
        return Fraction(1) if z > 0 else (g0 if z == 0 else Fraction(0))
    return Fraction(1) if z > 0 else l["alpha"]  # leaky_relu: α at 0, as PyTorch


def pool_windows(l, x):
    """(c, i, j, [(r, q) in row-major order]) for every window."""
    C, H, W = shape(x)
    (kh, kw), (sh, sw) = l["size"], l["stride"]
    OH, OW = (H - kh) // sh + 1, (W - kw) // sw + 1
    assert OH >= 1 and OW >= 1
    for c in range(C):
        for i in range(OH):
            for j in range(OW):
                yield c, i, j, [(i * sh + u, j * sw + v) for u in range(kh) for v in range(kw)]


def pool_out_shape(l, x):
    C, H, W = shape(x)
    (kh, kw), (sh, sw) = l["size"], l["stride"]
    return C, (H - kh) // sh + 1, (W - kw) // sw + 1


def pool_forward(l, x):
    y = zeros(*pool_out_shape(l, x))
    for c, i, j, win in pool_windows(l, x):
        vals = [x[c][r][q] for r, q in win]
        y[c][i][j] = max(vals) if l["op"] == "max_pool" else sum(vals, Fraction(0)) / len(vals)
    return y


def pool_backward(l, x, g):
    gx = zeros(*shape(x))
    for c, i, j, win in pool_windows(l, x):
        if l["op"] == "max_pool":
            vals = [x[c][r][q] for r, q in win]
            r, q = win[vals.index(max(vals))]  # the first maximum, row-major
            gx[c][r][q] += g[c][i][j]
        else:
            for r, q in win:
                gx[c][r][q] += g[c][i][j] / len(win)
    return gx


def dense_forward(l, x):
    w, b = l["weight"], l["bias"]
    assert depth(x) == 1, "dense takes a vector (add flatten)"
    assert all(len(row) == len(x) for row in w)
    return [sum((w[o][i] * x[i] for i in range(len(x))), Fraction(0))
            + (b[o] if b is not None else 0) for o in range(len(w))]


def dense_backward(l, x, g):
    w = l["weight"]
    gw = [[g[o] * x[i] for i in range(len(x))] for o in range(len(w))]
    gx = [sum((w[o][i] * g[o] for o in range(len(w))), Fraction(0)) for i in range(len(x))]
    return gx, dict(weight=gw, bias=None if l["bias"] is None else list(g))


def forward(net, layers):
    outs, h = [], net["input"]
    for l in layers:
        op = l["op"]
        if op == "conv":
            h = conv_forward(l, h)
        elif op in ("relu", "leaky_relu"):
            h = elementwise(lambda z, l=l: act_fn(l, z), h)
        elif op in ("max_pool", "avg_pool"):
            h = pool_forward(l, h)
        elif op == "flatten":
            assert depth(h) == 3
            h = flat(h)
        elif op == "dense":
            h = dense_forward(l, h)
        else:
            raise ValueError(op)
        outs.append(h)
    return outs


def objective(net, y):
    """(L, ∂L/∂y) over every entry of the last output."""
    if net["grad_output"] is not None:
        g = net["grad_output"]
        assert shape(g) == shape(y), (shape(g), shape(y))
        return sum((a * b for a, b in zip(flat(g), flat(y))), Fraction(0)), g
    t = net["target"]
    assert shape(t) == shape(y), f"target {shape(t)}, output {shape(y)}"
    n = len(flat(y))
    diff = elementwise(lambda a, b: a - b, y, t)
    sq = sum((d * d for d in flat(diff)), Fraction(0))
    kind = net["loss"]
    if kind == "half_sse":
        return sq / 2, diff
    if kind == "sse":
        return sq, elementwise(lambda d: 2 * d, diff)
    if kind == "mse":
        return sq / n, elementwise(lambda d: 2 * d / n, diff)
    raise ValueError(kind)


def backward(net, layers, outs, g):
    """∂L/∂ every layer's input (entry 0: the network's input) and every
    layer's parameter gradients (None for layers without parameters)."""
    grads, in_grads = [None] * len(layers), [None] * len(layers)
    for k in range(len(layers) - 1, -1, -1):
        l, x = layers[k], (net["input"] if k == 0 else outs[k - 1])
        op = l["op"]
        if op == "conv":
            g, grads[k] = conv_backward(l, x, g)
        elif op in ("relu", "leaky_relu"):
            g = elementwise(lambda gg, z, l=l: gg * act_grad(l, z, net["relu_grad_at_zero"]),
                            g, x)
        elif op in ("max_pool", "avg_pool"):
            g = pool_backward(l, x, g)
        elif op == "flatten":
            C, H, W = shape(x)
            g = [[[g[c * H * W + i * W + j] for j in range(W)] for i in range(H)]
                 for c in range(C)]
        elif op == "dense":
            g, grads[k] = dense_backward(l, x, g)
        in_grads[k] = g
    return grads, in_grads


def named(layers, which):
    """nn.Sequential's names by layer position: (name, shape, values)."""
    out = []
    for k, l in enumerate(layers):
        src = which(k, l)
        if src is None:
            continue
        for key in ("weight", "bias"):
            if src.get(key) is not None:
                out.append((f"{k}.{key}", shape(src[key]), flat(src[key])))
    return out


def params_of(l):
    return dict(weight=l["weight"], bias=l["bias"]) if "weight" in l else None


def train(net):
    """Every figure of the run: dict(steps=[…], params, loss_after)."""
    layers = [dict(l) for l in net["layers"]]
    steps = []
    for _ in range(net["steps"]):
        outs = forward(net, layers)
        L, g = objective(net, outs[-1])
        grads, in_grads = backward(net, layers, outs, g)
        steps.append(dict(
            loss=L,
            params=named(layers, lambda k, l: params_of(l)),
            grads=named(layers, lambda k, l: grads[k]),
            outputs=[(shape(o), flat(o)) for o in outs],
            input_grads=[(shape(gi) if depth(gi) == 1 else shape(gi), flat(gi))
                         for gi in in_grads],
            # the single layer's own matrices (one filter on one channel)
            z=outs[0][0], y=outs[-1][0] if depth(outs[-1]) == 3 else None,
            delta=(in_grads[1] if len(layers) > 1 else g)[0] if net["single"] else None,
            filter=layers[0]["weight"][0][0] if net["single"] else None,
            bias=(layers[0]["bias"] or [None])[0] if net["single"] else None,
            filter_grad=grads[0]["weight"][0][0] if net["single"] else None,
            bias_grad=(grads[0]["bias"] or [None])[0] if net["single"] else None,
        ))
        if net["lr"] is None:
            break
        lr = net["lr"]
        for k, l in enumerate(layers):
            if grads[k] is None:
                continue
            l["weight"] = elementwise(lambda p, gp: p - lr * gp, l["weight"], grads[k]["weight"])
            if l["bias"] is not None:
                l["bias"] = [p - lr * gp for p, gp in zip(l["bias"], grads[k]["bias"])]
    outs = forward(net, layers)
    L_after, _ = objective(net, outs[-1])
    return dict(steps=steps, params=named(layers, lambda k, l: params_of(l)),
                loss_after=L_after, filter=layers[0]["weight"][0][0] if net["single"] else None,
                bias=(layers[0]["bias"] or [None])[0] if net["single"] else None)


def kinks(net):
    """Every relu/leaky_relu input that is exactly 0 at some step (step, layer, index)."""
    out = []
    res = train(net)
    for k, st in enumerate(res["steps"]):
        for li, l in enumerate(net["layers"]):
            if l["op"] in ("relu", "leaky_relu"):
                vals = st["outputs"][li - 1][1] if li > 0 else flat(net["input"])
                out += [(k, li, idx) for idx, v in enumerate(vals) if v == 0]
    return out


# ------------------------------------------------------------------ the specs
#
# (name, description, spec text, zeros): `zeros` is True where a relu/leaky_relu
# input that is exactly 0 is intended (its derivative convention is the point).

SEED_X = "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],"
SEED_W = "filter: [[1, -1], [1, 1]],"

HAND = [
    ("seed_question", "the seed question: L = 2 -> 3/2 (z[0,1] = 0 takes relu'(0) = 0)",
     f"""{SEED_X} {SEED_W}
     target: [[1, 0], [0, 1]],
     lr: 0.5,""", True),
    ("seed_lr_quarter_6_steps", "the seed question, lr 0.25, 6 steps (fractions of 2^k)",
     f"""{SEED_X} {SEED_W}
     target: [[1, 0], [0, 1]],
     lr: 0.25,
     steps: 6,""", True),
    ("seed_lr_tenth_5_steps", "the seed question, lr 0.1, 5 steps (denominators 10^k grow)",
     f"""{SEED_X} {SEED_W}
     target: [[1, 0], [0, 1]],
     lr: 0.1,
     steps: 5,""", True),
    ("multi_step_unreachable_target", "the answer's target [[1, -1], [0, 1]], lr 0.25, 4 steps",
     f"""{SEED_X} {SEED_W}
     target: [[1, -1], [0, 1]],
     lr: 0.25,
     steps: 4,""", True),
    ("seed_relu_grad_at_zero_1", "relu_grad_at_zero: 1 where z[0,1] is exactly 0",
     f"""{SEED_X} {SEED_W}
     target: [[1, 0], [0, 1]],
     lr: 0.5,
     relu_grad_at_zero: 1,
     steps: 2,""", True),
    ("seed_bias_quarter_3_steps", "a bias 0.25, trained, lr 0.2, 3 steps",
     f"""{SEED_X} {SEED_W}
     target: [[1, 0], [0, 1]],
     lr: 0.2,
     bias: 0.25,
     steps: 3,""", False),
    ("seed_convolution_4_steps", "kernel: convolution (the filter rotated 180°), lr 0.25",
     f"""{SEED_X} {SEED_W}
     target: [[1, 0], [0, 1]],
     lr: 0.25,
     steps: 4,
     kernel: convolution,""", True),
    ("linear_sse_decimals", "linear, sse, tenths in the input, lr 0.1, 4 steps",
     """input: [[0.1, 0.3, -0.2], [0.5, -0.25, 0.3], [-0.1, 0.2, 0.4]],
     filter: [[1, -0.5], [0.3, 0.2]],
     target: [[0.1, 0], [0.2, -0.3]],
     lr: 0.1,
     activation: linear,
     loss: sse,
     steps: 4,""", False),
    ("leaky_tenth_mse_bias", "leaky_relu(0.1), mse, a bias, 3 steps",
     """input: [[1, -2, 0.5, 1], [0, 1.5, -1, 2], [-0.5, 1, 1, -1], [2, 0, -1.5, 0.5]],
     filter: [[0.5, -1], [1, 0.25]],
     target: [[1, 0, 0.5], [0, 1, 0], [0.5, 0, 1]],
     lr: 0.25,
     bias: -0.1,
     activation: leaky_relu(0.1),
     loss: mse,
     steps: 3,""", False),
    ("leaky_quarter_half_sse", "leaky_relu(0.25), half_sse, 3 steps",
     """input: [[0.5, -1, 1], [1, 0.5, -0.5], [-1, 1, 0.25]],
     filter: [[1, -1], [-0.5, 0.75]],
     target: [[0, 1], [-0.25, 0.5]],
     lr: 0.5,
     activation: leaky_relu(0.25),
     steps: 3,""", False),
    ("leaky_at_zero", "leaky_relu(0.2) with z exactly 0: its derivative there is 0.2",
     f"""{SEED_X} {SEED_W}
     target: [[1, 0.5], [0, 1]],
     lr: 0.5,
     activation: leaky_relu(0.2),
     steps: 2,""", True),
    ("stride_2", "stride 2: a 5×5 input, a 3×3 filter, 2×2 output, 3 steps",
     """input: [[1, 0, -1, 2, 0], [0.5, 1, 0, -1, 1], [-1, 2, 1, 0, 0.5],
             [0, -0.5, 1, 1, -1], [2, 1, 0, -1, 1]],
     filter: [[0.5, 0, -0.5], [1, 0.25, 0], [0, -1, 0.5]],
     target: [[1, 0], [0.5, 1]],
     lr: 0.1,
     stride: 2,
     steps: 3,""", False),
    ("padding_1", "padding 1 (zero rows and columns round the input), relu, 2 steps",
     """input: [[1, -1, 0.5], [0.25, 1, -0.5], [-1, 0.5, 1]],
     filter: [[1, 0.5], [-0.5, 1]],
     target: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
     lr: 0.1,
     padding: 1,
     bias: 0.1,
     steps: 2,""", False),
    ("stride_padding_tuples_convolution", "stride (1, 2), padding (1, 0), convolution, sse",
     """input: [[1, 2, -1, 0.5, 1], [0, -1, 1, 2, -0.5], [0.5, 1, -1, 0, 1], [1, -0.5, 0, 1, 2]],
     filter: [[0.5, -1, 0.25], [1, 0, -0.5]],
     target: [[1, 0], [0, 1], [1, 1], [0, 0.5], [0.5, 0]],
     lr: 0.02,
     stride: (1, 2),
     padding: (1, 0),
     kernel: convolution,
     loss: sse,
     activation: linear,
     steps: 3,""", False),
    ("linear_mse_bias_lr_0_3", "linear, mse, a bias, lr 0.3, 5 steps",
     """input: [[0.3, -0.1], [0.2, 0.5]],
     filter: [[1]],
     target: [[0.1, 0.2], [-0.3, 0.4]],
     lr: 0.3,
     bias: 0.1,
     activation: linear,
     loss: mse,
     steps: 5,""", False),
    ("relu_sse_decimals_tenths", "relu, sse, decimals 0.1/0.3/-0.25, lr 0.1, 4 steps",
     """input: [[0.1, 0.3, -0.25, 1], [0.3, -0.1, 0.5, 0.2], [-0.25, 0.4, 0.1, 0.3]],
     filter: [[0.3, 0.1], [-0.2, 0.5]],
     target: [[0.1, 0.2, 0.3], [0, 0.1, 0.2]],
     lr: 0.1,
     bias: 0.06,
     loss: sse,
     steps: 4,""", False),
]

NET_HAND = [
    ("net_issue_grammar_example", "issue 10's example: 2 channels, 2 filters, biases, relu, 1×1 conv",
     """input: [[[1, 0, 2], [0, 1, 0], [2, 0, 1]], [[0, 1, 0], [1, 0, 1], [0, 1, 0]]],
     layers: [
         conv { filter: [[[[1, 0], [0, 1]], [[1, 1], [0, 0]]],
                         [[[0, 1], [1, 0]], [[0, 0], [1, 1]]]],
                bias: [0.5, -0.5], stride: 1, padding: 0, dilation: 1, kernel: correlation },
         relu,
         conv { filter: [[[[1]], [[1]]]] },
     ],
     target: [[1, 0], [0, 1]],
     loss: half_sse,
     lr: 0.1,
     steps: 2,""", False),
    ("net_seed_two_layers", "the seed through conv, relu, conv 1×1 (w = 2), lr 0.05, 3 steps",
     f"""{SEED_X}
     layers: [conv {{ {SEED_W} }}, relu, conv {{ filter: [[2]] }}],
     target: [[1, 0], [0, 1]],
     lr: 0.05,
     steps: 3,""", True),
    ("net_three_convs_leaky_mse", "three convs: conv, relu, conv, leaky_relu(0.1), conv; mse",
     """input: [[1, 0.5, -1, 0], [0, 1, 0.5, -0.5], [-1, 0, 1, 1], [0.5, -0.5, 0, 1]],
     layers: [
         conv { filter: [[1, -0.5], [0.5, 1]], bias: 0.25 },
         relu,
         conv { filter: [[0.5, 1], [-1, 0.5]], bias: -0.1 },
         leaky_relu(0.1),
         conv { filter: [[1, -1], [0.5, 0.5]], bias: -0.25 },
     ],
     target: [[0.5]],
     loss: mse,
     lr: 0.1,
     steps: 3,""", False),
    ("net_three_channels_two_filters_stride_padding", "3 channels, 2 filters, stride 2, padding 1, convolution",
     """input: [[[1, -1, 0.5, 0], [0, 1, -0.5, 1], [0.5, 0, 1, -1], [1, 0.5, 0, 1]],
             [[0, 1, 1, -1], [0.5, -0.5, 0, 1], [1, 0, -1, 0.5], [0, 1, 0.5, 0]],
             [[-1, 0, 0.5, 1], [1, 1, 0, -0.5], [0, -1, 1, 0], [0.5, 0, 0, 1]]],
     layers: [
         conv { filter: [[[[1, 0, -1], [0.5, 1, 0], [0, -0.5, 1]],
                          [[0, 1, 0], [1, -1, 0.5], [0.5, 0, 0]],
                          [[-0.5, 0, 1], [0, 0.5, 0], [1, 0, -1]]],
                         [[[0, 0.5, 0], [1, 0, -1], [0, 1, 0.5]],
                          [[1, 0, 0], [0, 0.5, 1], [-1, 0, 0]],
                          [[0.5, -1, 0], [0, 0, 1], [0, 0.5, -0.5]]]],
                bias: [0.1, -0.1], stride: 2, padding: 1, kernel: convolution },
         relu,
     ],
     target: [[[1, 0], [0, 1]], [[0, 1], [1, 0]]],
     loss: half_sse,
     lr: 0.1,
     steps: 2,""", False),
    ("net_dilation_2", "dilation 2, two filters then a 1×1 conv on their 2 channels, sse",
     """input: [[1, 0, -1, 0.5, 1], [0.5, 1, 0, -1, 0], [-1, 0.5, 1, 0, 1], [0, 1, -0.5, 1, 0.5],
             [1, -1, 0, 0.5, 1]],
     layers: [
         conv { filter: [[[[1, -0.5], [0.5, 1]]], [[[0, 1], [-1, 0.5]]]], bias: [0.1, -0.2], dilation: 2 },
         leaky_relu(0.25),
         conv { filter: [[[[0.5]], [[-1]]]], bias: 0.5 },
     ],
     target: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
     loss: sse,
     lr: 0.02,
     steps: 2,""", False),
    ("net_grad_output_no_lr_input_grad", "grad_output, no lr (one pass), input_grad: true",
     """input: [[1, -1, 0.5], [0, 2, -0.5], [1, 0, 1]],
     layers: [conv { filter: [[1, 0.5], [-1, 1]], bias: 0.25 }, relu, conv { filter: [[0.5, -1], [1, 0.5]] }],
     grad_output: [[0.3]],
     input_grad: true,""", False),
    ("net_grad_output_lr_2_steps", "grad_output on a 2×2 output, lr 0.25, 2 steps",
     """input: [[[0.5, 1, -1], [1, 0, 0.5], [-0.5, 1, 0.5]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]],
     layers: [conv { filter: [[[[1, -1], [0, 0.5]], [[0.5, 0], [1, -0.5]]]], padding: (0, 0) }, leaky_relu(0.1)],
     grad_output: [[1, -0.5], [0.25, 0.2]],
     lr: 0.25,
     steps: 2,
     input_grad: true,""", False),
    ("net_avg_pool_thirds_and_quarters", "avg_pool 1×3 (thirds) then avg_pool 2×2 (quarters)",
     """input: [[1, 2, -1, 0.5, 1, 0, 1], [0, 1, 1, -1, 2, 0.5, 1], [2, -1, 0, 1, 0, 1, -0.5],
             [1, 0.5, 1, 0, -1, 2, 1], [0, 1, 2, 1, 0.5, -1, 0]],
     layers: [
         conv { filter: [[1, 0.5], [0.5, -1]], bias: 0.3 },
         relu,
         avg_pool { size: (1, 3), stride: 1 },
         avg_pool { size: 2, stride: 2 },
     ],
     target: [[1, 0], [0.5, 1]],
     loss: half_sse,
     lr: 0.5,
     steps: 3,""", False),
    ("net_avg_pool_overlap_ninths", "avg_pool 3×3 stride 1 overlapping (ninths), sse",
     """input: [[1, 0, 1, -1, 0.5], [0, 1, 0.5, 1, 0], [-1, 0.5, 1, 0, 1], [1, 1, 0, 0.5, -1],
             [0.5, 0, -1, 1, 1]],
     layers: [conv { filter: [[0.5, 1], [1, -0.5]], bias: 0.1 }, relu, avg_pool { size: 3, stride: 1 }],
     target: [[1, 0], [0, 1]],
     loss: sse,
     lr: 0.1,
     steps: 2,""", False),
    ("net_max_pool_tie_first_max", "max_pool 2×2 with tied maxima: the first in row-major order",
     """input: [[1, 1, 0, 2], [1, 0, 2, 2], [0.5, 0.5, -1, 3], [0.5, 0.5, 3, 0]],
     layers: [max_pool { size: 2 }, flatten, dense { weight: [[1, -1, 0.5, 1], [0.5, 1, -1, 0]], bias: [0, 0.5] }],
     target: [1, 0],
     loss: half_sse,
     lr: 0.1,
     steps: 2,
     input_grad: true,""", False),
    ("net_max_pool_overlap_plateau", "max_pool 2×2 stride 1 over a plateau of ties, gradients add up",
     """input: [[1, 2, 2, 0], [2, 2, 1, 0], [0, 2, 2, 1], [1, 0, 2, 2]],
     layers: [
         conv { filter: [[1]], bias: 0 },
         max_pool { size: 2, stride: 1 },
     ],
     target: [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
     loss: half_sse,
     lr: 0.05,
     steps: 2,""", False),
    ("net_max_pool_relu_zero_ties", "max_pool over relu's zeros (a tie of zeros takes the first)",
     """input: [[-1, -2, 1, 0.5], [-0.5, -1, 0.25, 1], [2, -1, -1, -2], [1, 0.5, -0.5, -1]],
     layers: [conv { filter: [[1]], bias: 0.1 }, relu, max_pool { size: 2 }],
     target: [[0.5, 0.5], [1, 0.5]],
     loss: half_sse,
     lr: 0.25,
     steps: 2,""", False),
    ("net_conv_max_flatten_dense", "conv, relu, max_pool, flatten, dense: a classifier with half_sse, lr 0.25, 3 steps",
     """input: [[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -1, 1, 0, 1], [-1, 2, 0, 1, -1], [1, 0, 1, -1, 2]],
     layers: [
         conv { filter: [[0.5, 0, -0.5], [0, 1, 0], [-0.5, 0, 0.5]], bias: 0.1 },
         relu,
         max_pool { size: 2, stride: 1 },
         flatten,
         dense { weight: [[1, -1, 0, 0.5], [0, 0.5, 1, -1], [-1, 0, 0.5, 1]], bias: [0, 0, 0] },
     ],
     target: [0, 1, 0],
     loss: half_sse,
     lr: 0.05,
     steps: 3,""", False),
    ("mlp_relu_1d_input", "an MLP from a 1-D input: dense, relu, dense; lr 0.1, 3 steps",
     """input: [0.5, -1, 2],
     layers: [
         dense { weight: [[1, 0.5, -0.5], [-1, 1, 0.25], [0.5, 0, 1]], bias: [0.1, 0, -0.2] },
         relu,
         dense { weight: [[1, -1, 0.5], [0.5, 0.5, -1]], bias: [0, 0.1] },
     ],
     target: [1, 0],
     loss: half_sse,
     lr: 0.1,
     steps: 3,""", False),
    ("mlp_leaky_mse_no_bias", "an MLP: dense without bias, leaky_relu(0.25), dense; mse",
     """input: [1, 0.5, -0.5, 2],
     layers: [
         dense { weight: [[0.5, -1, 1, 0], [1, 0.5, 0, -0.5]] },
         leaky_relu(0.25),
         dense { weight: [[1, -0.5], [0.25, 1], [-1, 0.5]], bias: [0.1, 0.2, 0.3] },
     ],
     target: [1, 0, -1],
     loss: mse,
     lr: 0.2,
     steps: 3,""", False),
    ("mlp_grad_output_input_grad", "an MLP with grad_output on its vector, input_grad: true, lr 0.5",
     """input: [2, -1, 0.5],
     layers: [
         dense { weight: [[1, 1, 0], [0, -1, 2]], bias: [0.5, 0] },
         relu,
         dense { weight: [[1, 0.5], [-0.5, 1], [0.25, 0]] },
     ],
     grad_output: [1, -0.5, 0.25],
     lr: 0.5,
     steps: 2,
     input_grad: true,""", False),
    ("net_conv_relu_avg_flatten_dense", "conv (2 filters), relu, avg_pool 2×2, flatten, dense: sse",
     """input: [[1, 0.5, -1, 0], [0, 1, 1, -0.5], [0.5, -1, 0, 1], [1, 0, 0.5, 1]],
     layers: [
         conv { filter: [[[[1, -1], [0.5, 0.5]]], [[[0, 1], [1, 0]]]], bias: [0, 0.25] },
         relu,
         avg_pool { size: 2, stride: 1 },
         flatten,
         dense { weight: [[0.5, -0.5, 1, 0, 0.25, 0, -1, 0.5], [0, 1, -0.5, 0.5, 1, -1, 0, 0.25]],
                 bias: [0.1, -0.1] },
     ],
     target: [1, 0],
     loss: sse,
     lr: 0.1,
     steps: 2,""", False),
    ("net_relu_grad_at_zero_1", "a network with relu_grad_at_zero: 1 where a relu input is exactly 0",
     f"""{SEED_X}
     layers: [conv {{ {SEED_W} }}, relu, conv {{ filter: [[1, 1], [1, 1]], bias: 0.5 }}],
     target: [[2]],
     relu_grad_at_zero: 1,
     lr: 0.1,
     steps: 2,""", True),
    ("net_relu_grad_at_zero_0", "the same network at the default relu'(0) = 0",
     f"""{SEED_X}
     layers: [conv {{ {SEED_W} }}, relu, conv {{ filter: [[1, 1], [1, 1]], bias: 0.5 }}],
     target: [[2]],
     lr: 0.1,
     steps: 2,""", True),
    ("net_tenths_growing_4_steps", "tenths everywhere, two convs, lr 0.1, 4 steps (fractions grow)",
     """input: [[0.1, 0.3, -0.2], [0.4, -0.1, 0.2], [0.3, 0.2, 0.1]],
     layers: [conv { filter: [[0.3, -0.1], [0.2, 0.1]], bias: 0.1 }, leaky_relu(0.1), conv { filter: [[0.5, 0.3], [-0.2, 0.1]] }],
     target: [[0.3]],
     loss: half_sse,
     lr: 0.1,
     steps: 4,""", False),
    ("net_3d_target_two_filters_last", "two filters in the last layer, a 3-D target, sse, 3-D filter",
     """input: [[[1, 0, -1], [0.5, 1, 0], [0, -0.5, 1]], [[0, 1, 0], [1, 0, 0.5], [-1, 0, 1]]],
     layers: [
         conv { filter: [[[[1, 0], [0, 1]], [[0.5, -0.5], [0, 1]]], [[[0, 1], [-1, 0]], [[1, 0], [0.5, 0.5]]]],
                bias: [0.25, -0.25] },
     ],
     target: [[[1, 0], [0, 1]], [[0, 1], [1, 0]]],
     loss: sse,
     lr: 0.05,
     steps: 3,""", False),
    ("net_bias_number_stride_padding_convolution", "bias as a number, stride (2, 1), padding (1, 0), convolution",
     """input: [[1, -1, 0.5, 1], [0, 1, 1, -0.5], [1, 0.5, -1, 0], [0.5, 0, 1, 1], [-1, 1, 0, 0.5]],
     layers: [conv { filter: [[1, 0.5], [-0.5, 1], [0.25, 0]], bias: 0.5, stride: (2, 1), padding: (1, 0), kernel: convolution }, relu],
     target: [[1, 0, 0.5], [0, 1, 0], [0.5, 0, 1]],
     loss: half_sse,
     lr: 0.05,
     steps: 2,""", False),
    ("net_flatten_input_dense", "flatten straight on the input map, then a dense layer (mse)",
     """input: [[[1, -0.5], [0.5, 2]], [[0, 1], [-1, 0.25]]],
     layers: [flatten, dense { weight: [[1, 0, -1, 0.5, 0, 1, 0.5, -0.5], [0, 1, 0.5, 0, -1, 0, 1, 1]], bias: [0, 0.5] }],
     target: [0.5, -0.5],
     loss: mse,
     lr: 0.1,
     steps: 3,""", False),
    ("net_avg_pool_on_input_dense", "avg_pool 2×2 on the input itself, flatten, dense, leaky_relu(0.1)",
     """input: [[1, 0.5, -1, 0], [0, 1, 2, -1], [0.5, -0.5, 1, 1], [1, 0, 0, 0.5]],
     layers: [avg_pool { size: 2 }, flatten, dense { weight: [[1, -1, 0.5, 1]], bias: [0.1] }, leaky_relu(0.1)],
     target: [-0.5],
     loss: half_sse,
     lr: 0.5,
     steps: 3,""", False),
    ("mlp_three_dense", "three dense layers with relu between, lr 0.25, 2 steps",
     """input: [1, -0.5],
     layers: [
         dense { weight: [[1, 0.5], [-0.5, 1], [0.5, 0.5]], bias: [0, 0.1, -0.1] },
         relu,
         dense { weight: [[0.5, -1, 1], [1, 0.5, -0.5]], bias: [0.2, 0] },
         relu,
         dense { weight: [[1, -1]], bias: [0.5] },
     ],
     target: [1],
     loss: half_sse,
     lr: 0.1,
     steps: 2,""", False),
    ("net_deep_classifier", "conv ×2 (2 filters), relu, max_pool, flatten, dense, leaky, dense; sse",
     """input: [[1, 0, -1, 0.5, 1], [0.5, 1, 0, -1, 0], [-1, 0.5, 1, 0, 1], [0, 1, -0.5, 1, 0.5],
             [1, -1, 0, 0.5, 1]],
     layers: [
         conv { filter: [[[[1, -0.5], [0.5, 1]]], [[[0, 1], [-1, 0.5]]]], bias: [0.1, 0.2] },
         relu,
         conv { filter: [[[[0.5, 0], [0, 0.5]], [[1, 0], [0, -0.5]]]], bias: 0.05 },
         relu,
         max_pool { size: 3, stride: 3 },
         flatten,
         dense { weight: [[1], [-0.5]], bias: [0, 0.1] },
         leaky_relu(0.25),
         dense { weight: [[1, -1]] },
     ],
     target: [0.5],
     loss: sse,
     lr: 0.1,
     steps: 2,""", False),
]


# random draws: a fixed seed, numbers from a small set of decimals

DECIMALS = ["-1", "-0.75", "-0.5", "-0.3", "-0.25", "-0.1", "0", "0.1", "0.2", "0.25", "0.3",
            "0.5", "0.75", "1", "1.5", "2"]
LRS = ["0.1", "0.25", "0.05", "0.2", "0.5"]


def lit(v):
    if isinstance(v, list):
        return "[" + ", ".join(lit(x) for x in v) + "]"
    return v


def draw_matrix(rng, *dims):
    if len(dims) == 1:
        return [rng.choice(DECIMALS) for _ in range(dims[0])]
    return [draw_matrix(rng, *dims[1:]) for _ in range(dims[0])]


def draw_single(rng):
    H, W = rng.randint(2, 5), rng.randint(2, 5)
    KH, KW = rng.randint(1, min(3, H)), rng.randint(1, min(3, W))
    sh, sw = rng.choice([1, 1, 2]), rng.choice([1, 1, 2])
    ph, pw = rng.choice([0, 0, 1]), rng.choice([0, 0, 1])
    OH, OW = (H + 2 * ph - KH) // sh + 1, (W + 2 * pw - KW) // sw + 1
    act = rng.choice(["relu", "linear", "leaky_relu(0.1)", "leaky_relu(0.25)", "relu"])
    lines = [f"input: {lit(draw_matrix(rng, H, W))},",
             f"filter: {lit(draw_matrix(rng, KH, KW))},",
             f"target: {lit(draw_matrix(rng, OH, OW))},",
             f"lr: {rng.choice(LRS)},"]
    if rng.random() < 0.5:
        lines.append(f"bias: {rng.choice(DECIMALS)},")
    lines.append(f"activation: {act},")
    lines.append(f"loss: {rng.choice(['half_sse', 'sse', 'mse'])},")
    if (sh, sw) != (1, 1):
        lines.append(f"stride: {sh}," if sh == sw else f"stride: ({sh}, {sw}),")
    if (ph, pw) != (0, 0):
        lines.append(f"padding: {ph}," if ph == pw else f"padding: ({ph}, {pw}),")
    if rng.random() < 0.4:
        lines.append("kernel: convolution,")
    lines.append(f"steps: {rng.randint(2, 4)},")
    return "\n".join(lines)


def draw_network(rng):
    C, H, W = rng.randint(1, 2), rng.randint(4, 6), rng.randint(4, 6)
    layers, shp = [], (C, H, W)
    n_conv = rng.randint(1, 2)
    for k in range(n_conv):
        c, h, w = shp
        F = rng.randint(1, 2)
        kh, kw = rng.randint(1, min(2, h)), rng.randint(1, min(2, w))
        pad = rng.choice([0, 0, 1])
        oh, ow = h + 2 * pad - kh + 1, w + 2 * pad - kw + 1
        bias = f", bias: {lit(draw_matrix(rng, F))}" if rng.random() < 0.6 else ""
        padding = f", padding: {pad}" if pad else ""
        layers.append(f"conv {{ filter: {lit(draw_matrix(rng, F, c, kh, kw))}{bias}{padding} }}")
        layers.append(rng.choice(["relu", "leaky_relu(0.1)", "leaky_relu(0.5)"]))
        shp = (F, oh, ow)
    c, h, w = shp
    if rng.random() < 0.7 and h >= 2 and w >= 2:
        layers.append(f"{rng.choice(['max_pool', 'avg_pool'])} {{ size: 2 }}")
        shp = (c, (h - 2) // 2 + 1, (w - 2) // 2 + 1)
    c, h, w = shp
    if rng.random() < 0.6:
        n = c * h * w
        o = rng.randint(1, 3)
        layers.append("flatten")
        layers.append(f"dense {{ weight: {lit(draw_matrix(rng, o, n))}, bias: {lit(draw_matrix(rng, o))} }}")
        target = lit(draw_matrix(rng, o))
    else:
        target = lit(draw_matrix(rng, c, h, w))
    objective = (f"grad_output: {target}," if rng.random() < 0.2 else
                 f"target: {target},\nloss: {rng.choice(['half_sse', 'sse', 'mse'])},")
    return "\n".join([f"input: {lit(draw_matrix(rng, C, H, W))},",
                      "layers: [" + ", ".join(layers) + "],", objective,
                      f"lr: {rng.choice(LRS)},", f"steps: {rng.randint(1, 3)},"])


def longest(res):
    vals = [res["loss_after"]]
    for st in res["steps"]:
        vals.append(st["loss"])
        for _, _, v in st["grads"]:
            vals += v
        for _, v in st["outputs"] + st["input_grads"]:
            vals += v
    for _, _, v in res["params"]:
        vals += v
    return max(len(str(v)) for v in vals)


def acceptable(net, res):
    """A random draw is kept when no relu/leaky input is exactly 0, some gradient
    is nonzero at every step, and no fraction is longer than MAX_CHARS."""
    if kinks(net):
        return False
    for st in res["steps"]:
        if all(v == 0 for _, _, g in st["grads"] for v in g):
            return False
    return longest(res) <= MAX_CHARS


def random_specs():
    rng = random.Random(SEED)
    out = []
    for k in range(8):
        while True:
            text = draw_single(rng)
            net = network_of(parse_spec(text))
            if acceptable(net, train(net)):
                break
        out.append((f"random_single_{k}", "random draw (single layer)", text, False))
    for k in range(10):
        while True:
            text = draw_network(rng)
            try:
                net = network_of(parse_spec(text))
                res = train(net)
            except AssertionError:
                continue
            if acceptable(net, res):
                break
        out.append((f"random_net_{k}", "random draw (network)", text, False))
    return out


def all_specs():
    return HAND + NET_HAND + random_specs()


# ------------------------------------------------------------------ the writer

HEADER = """\
//! Golden values in exact fractions for `arithmetic: exact`: {n} specs.
//!
//! @generated by scripts/golden/exact.py. DO NOT EDIT: rerun
//! `python3 scripts/golden/exact.py` instead (see scripts/golden/README.md).
//!
//! An independent reference: the script reads every literal of the spec as the decimal it is
//! written as and trains with Python's `fractions.Fraction` (explicit loops, the chain rule by
//! hand, PyTorch's conventions), and every figure of every step is asserted here as the
//! fraction in lowest terms (`to_string()`), so equal means equal.
#![allow(clippy::too_many_lines)]

use cnn_bp_core::{{Rational, train}};

type Named<'a> = (&'a str, &'a [usize], &'a [&'a str]);
type Map<'a> = (&'a [usize], &'a [&'a str]);

fn strs<'a>(values: impl IntoIterator<Item = &'a Rational>) -> Vec<String> {{
    values.into_iter().map(ToString::to_string).collect()
}}

fn owned(values: &[&str]) -> Vec<String> {{
    values.iter().map(|v| (*v).to_owned()).collect()
}}

fn rows<const R: usize, const C: usize>(m: &[[Rational; C]; R]) -> Vec<Vec<String>> {{
    m.iter().map(strs).collect()
}}

fn assert_named(what: &str, got: &[(String, Vec<usize>, Vec<Rational>)], want: &[Named]) {{
    let got: Vec<(&str, &[usize], Vec<String>)> =
        got.iter().map(|(n, s, v)| (n.as_str(), s.as_slice(), strs(v))).collect();
    let want: Vec<(&str, &[usize], Vec<String>)> =
        want.iter().map(|(n, s, v)| (*n, *s, owned(v))).collect();
    assert_eq!(got, want, "{{what}}");
}}

fn assert_maps(what: &str, got: &[(Vec<usize>, Vec<Rational>)], want: &[Map]) {{
    let got: Vec<(&[usize], Vec<String>)> =
        got.iter().map(|(s, v)| (s.as_slice(), strs(v))).collect();
    let want: Vec<(&[usize], Vec<String>)> = want.iter().map(|(s, v)| (*s, owned(v))).collect();
    assert_eq!(got, want, "{{what}}");
}}
"""


def q(v):
    return f'"{v}"'


def qlist(vals, indent):
    """&["a", "b", …] on one line, or one value a line (indented) when long."""
    one = "&[" + ", ".join(q(v) for v in vals) + "]"
    if len(one) + indent <= 100:
        return one
    pad = " " * (indent + 4)
    lines, cur = [], ""
    for v in (q(v) + "," for v in vals):
        if cur and len(pad) + len(cur) + 1 + len(v) > 100:
            lines.append(pad + cur)
            cur = v
        else:
            cur = f"{cur} {v}" if cur else v
    lines.append(pad + cur)
    return "&[\n" + "\n".join(lines) + "\n" + " " * indent + "]"


def qrows(m):
    return "[" + ", ".join("[" + ", ".join(q(v) for v in row) + "]" for row in m) + "]"


def opt(v):
    return "None" if v is None else f"Some({q(v)})"


def shp(s):
    return "&[" + ", ".join(str(x) for x in s) + "]"


def emit_named(what, expr, items):
    if not items:
        return f'    assert_named("{what}", &{expr}, &[]);'
    body = "\n".join(f"        ({q(n)}, {shp(s)}, {qlist(v, 8)})," for n, s, v in items)
    return f'    assert_named("{what}", &{expr}, &[\n{body}\n    ]);'


def emit_maps(what, expr, items, labels):
    body = "\n".join(f"        // {lab}\n        ({shp(s)}, {qlist(v, 8)}),"
                     for lab, (s, v) in zip(labels, items))
    return f'    assert_maps("{what}", &{expr}, &[\n{body}\n    ]);'


def layer_label(k, l):
    op = l["op"]
    if op == "conv":
        F, C, KH, KW = shape(l["weight"])
        return f"{k}: conv {KH}×{KW}" + (f" ×{F}" if F > 1 else "") + \
            (", bias" if l["bias"] is not None else "")
    if op == "leaky_relu":
        return f"{k}: leaky_relu({l['alpha_text']})"
    if op in ("max_pool", "avg_pool"):
        return f"{k}: {op} {l['size'][0]}×{l['size'][1]}, stride {l['stride']}"
    if op == "dense":
        return f"{k}: dense {len(l['weight'][0])}→{len(l['weight'])}" + \
            (", bias" if l["bias"] is not None else "")
    return f"{k}: {op}"


def emit_case(idx, name, desc, text, net, res):
    spec_lines = [ln.strip() for ln in text.strip().splitlines()]
    L = [f"// {idx:02d}. {desc}", "#[test]", "#[rustfmt::skip]", f"fn exact_{idx:02d}_{name}() {{",
         "    let d = train! {"]
    L += [f"        {ln}" for ln in spec_lines]
    L += ["        arithmetic: exact,", "    };", "    let steps = d.steps();",
          f'    assert_eq!(steps.len(), {len(res["steps"])}, "number of steps");']
    for k, st in enumerate(res["steps"]):
        L.append(f"    let s = &steps[{k}];")
        L.append(f'    assert_eq!(s.loss().to_string(), {q(st["loss"])}, "step {k} loss");')
        if net["single"]:
            L.append(f'    assert_eq!(rows(&s.filter()), {qrows(st["filter"])}, "step {k} filter");')
            L.append(f'    assert_eq!(s.bias().map(|b| b.to_string()).as_deref(), {opt(st["bias"])}, "step {k} bias");')
            L.append(f'    assert_eq!(rows(&s.output()), {qrows(st["z"])}, "step {k} output");')
            L.append(f'    assert_eq!(rows(&s.activated()), {qrows(st["y"])}, "step {k} activated");')
            L.append(f'    assert_eq!(rows(&s.delta()), {qrows(st["delta"])}, "step {k} delta");')
            L.append(f'    assert_eq!(rows(&s.filter_grad()), {qrows(st["filter_grad"])}, "step {k} filter_grad");')
            L.append(f'    assert_eq!(s.bias_grad().map(|b| b.to_string()).as_deref(), {opt(st["bias_grad"])}, "step {k} bias_grad");')
        L.append(emit_named(f"step {k} named_parameters", "s.named_parameters()", st["params"]))
        L.append(emit_named(f"step {k} named_grads", "s.named_grads()", st["grads"]))
        labels = [layer_label(i, l) for i, l in enumerate(net["layers"])]
        L.append(emit_maps(f"step {k} layer_outputs", "s.layer_outputs()", st["outputs"], labels))
        L.append(emit_maps(f"step {k} input_grads", "s.input_grads()", st["input_grads"],
                           ["∂L/∂X (the network's input)"] +
                           [f"∂L/∂(input of layer {i}) = ∂L/∂(output of layer {i - 1})"
                            for i in range(1, len(labels))]))
    if net["single"]:
        L.append(f'    assert_eq!(rows(&d.filter()), {qrows(res["filter"])}, "final filter");')
        L.append(f'    assert_eq!(d.bias().map(|b| b.to_string()).as_deref(), {opt(res["bias"])}, "final bias");')
    L.append(emit_named("final named_parameters", "d.named_parameters()", res["params"]))
    L.append(f'    assert_eq!(d.loss_after().to_string(), {q(res["loss_after"])}, "loss_after");')
    L.append("}")
    return "\n".join(L)


def generate(specs):
    cases = []
    for idx, (name, desc, text, zeros_ok) in enumerate(specs):
        net = network_of(parse_spec(text))
        res = train(net)
        z = kinks(net)
        if z and not zeros_ok:
            raise SystemExit(f"{name}: a relu/leaky input is exactly 0 at {z} (not intended)")
        if zeros_ok and not z:
            raise SystemExit(f"{name}: meant to reach a relu/leaky input of exactly 0, but none is")
        cases.append(emit_case(idx, name, desc, text, net, res))
    return HEADER.format(n=len(specs)) + "\n" + "\n\n".join(cases) + "\n"


# ---------------------------------------------------------------- coverage


def features(text, net):
    f = set()
    ops = [l["op"] for l in net["layers"]]
    f.add("single layer" if net["single"] else "network")
    convs = [l for l in net["layers"] if l["op"] == "conv"]
    if not net["single"]:
        f.add(f"{len(net['layers'])} layers")
    for l in net["layers"]:
        if l["op"] == "leaky_relu":
            f.add(f"leaky_relu({l['alpha_text']})")
        elif l["op"] != "conv":
            f.add(l["op"])
    if net["single"] and "relu" not in ops and "leaky_relu" not in ops:
        f.add("linear")
    if len(convs) >= 2:
        f.add(f"{len(convs)} convs")
    for l in convs:
        F, C = len(l["weight"]), len(l["weight"][0])
        if C > 1:
            f.add("multi-channel conv")
        if F > 1:
            f.add("multi-filter conv")
        if l["bias"] is not None:
            f.add("conv bias")
        if l["stride"] != (1, 1):
            f.add("stride")
        if l["padding"] != (0, 0):
            f.add("padding")
        if l["dilation"] != (1, 1):
            f.add("dilation")
        if l["kernel"] == "convolution":
            f.add("kernel: convolution")
    if any(l["op"] == "dense" and l["bias"] is None for l in net["layers"]):
        f.add("dense without bias")
    f.add("grad_output" if net["grad_output"] is not None else f"loss {net['loss']}")
    if net["input_grad"]:
        f.add("input_grad: true")
    if net["relu_grad_at_zero"] == 1:
        f.add("relu_grad_at_zero: 1")
    if depth(net["input"]) == 1:
        f.add("1-D input")
    if net["lr"] is None:
        f.add("no lr")
    f.add(f"{net['steps']} steps")
    if kinks(net):
        f.add("relu/leaky input exactly 0")
    if re.search(r"\b0\.[1379]\b|-0\.[1379]\b", text):
        f.add("decimals with tenths")
    return f


def table(specs):
    counts = {}
    for name, _, text, _ in specs:
        net = network_of(parse_spec(text))
        for feat in features(text, net):
            counts[feat] = counts.get(feat, 0) + 1
    for feat in sorted(counts):
        print(f"{counts[feat]:4d}  {feat}")


def rustfmt(path):
    rf = shutil.which("rustfmt")
    if not rf:
        print("warning: rustfmt not found; output left unformatted", file=sys.stderr)
        return
    subprocess.run([rf, "--edition", "2024", "--config-path", ROOT, path], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "golden_exact.rs"))
    ap.add_argument("--no-rustfmt", action="store_true")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--self-check", action="store_true")
    args = ap.parse_args()
    if args.self_check:
        import exact_selfcheck
        sys.exit(exact_selfcheck.main())
    specs = all_specs()
    if args.table:
        table(specs)
        return
    text = generate(specs)
    with open(args.out, "w") as fh:
        fh.write(text)
    if not args.no_rustfmt:
        rustfmt(args.out)
    print(f"wrote {args.out}: {len(specs)} specs")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
