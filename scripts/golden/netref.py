"""Pure-Python reference for a chain of conv / activation layers (explicit loops).

Deliberately independent of JAX: the forward pass is loops over the
zero-padded input (channels, stride, dilation, optional 180° kernel rotation),
and the backward pass is the chain rule written out by hand (no autodiff):
δ through each activation, then for each conv ∂L/∂W, ∂L/∂b and ∂L/∂X by
scattering every output entry's δ back over the entries that produced it.

When no layer is transcendental (no sigmoid/tanh) it runs on
fractions.Fraction, i.e. exactly; otherwise on Python floats (math.exp,
math.tanh).  In exact mode it also tracks whether every operation so far would
be exact in f64 whatever the order of summation (see Exactness), which decides
whether an exact 0 at a relu/leaky_relu input is the same 0 in every f64
implementation.

A spec (as made by networks.py) holds: input [C][H][W]; layers, each
{"op": "conv", "filter": [F][C][KH][KW], "bias": [F] or None, "stride",
"padding", "dilation": (rows, cols), "kernel": "correlation"|"convolution"} or
{"op": "relu"|"sigmoid"|"tanh"} or {"op": "leaky_relu", "alpha": a};
target [C][H][W] with loss half_sse|sse|mse, or grad_output [C][H][W];
lr (None: one pass, no update); steps.
"""

import math
from fractions import Fraction

TRANSCENDENTAL = ("sigmoid", "tanh")
F64_BITS = 53


def is_rational(spec):
    return not any(l["op"] in TRANSCENDENTAL for l in spec["layers"])


def out_dim(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def shape3(t):
    return [len(t), len(t[0]), len(t[0][0])]


def flat(t):
    if isinstance(t, list):
        return [v for x in t for v in flat(x)]
    return [t]


def zeros(*dims, zero=0):
    if len(dims) == 1:
        return [zero] * dims[0]
    return [zeros(*dims[1:], zero=zero) for _ in range(dims[0])]


def param_names(spec):
    """nn.Sequential's names, by layer position (activations count)."""
    names = []
    for i, l in enumerate(spec["layers"]):
        if l["op"] == "conv":
            names.append((i, "weight"))
            if l["bias"] is not None:
                names.append((i, "bias"))
    return names


class Exactness:
    """Tracks whether every value computed so far is an f64 reached by
    operations that are exact in f64 in any order, so that any f64
    implementation computes the very same values: a sum of products
    t_1 + … + t_n (each a product of f64 values) is, when all t_i are
    multiples of 2^-k and Σ|t_i| < 2^(53-k), since then every product and every
    partial sum is such a multiple below 2^(53-k).  Works in both modes (the
    exact terms are formed from the factors); sigmoid/tanh end it."""

    def __init__(self, exact):
        self.exact = exact
        self.clean = True
        self.first_inexact = None

    def note(self, what, terms, result):
        """terms: the summands, each a tuple of f64 factors; result: the value
        the reference computed for their sum."""
        if not self.clean:
            return
        exact_terms = []
        for t in terms:
            p = Fraction(1)
            for x in t:
                p *= Fraction(x)
            exact_terms.append(p)
        ok = (result is not None and is_f64(result)
              and Fraction(result) == sum(exact_terms, Fraction(0)))
        if ok:
            k, s = 0, Fraction(0)
            for t in exact_terms:
                d = t.denominator
                if d & (d - 1):
                    ok = False
                    break
                k = max(k, d.bit_length() - 1)
                s += abs(t)
            ok = ok and s * 2 ** k < 2 ** F64_BITS
        if not ok:
            self.clean = False
            self.first_inexact = what


def is_f64(q):
    q = Fraction(q)
    try:
        return Fraction(float(q)) == q
    except OverflowError:
        return False


def _act(op, alpha, z):
    if op == "relu":
        return z if z > 0 else z * 0
    if op == "leaky_relu":
        return z if z > 0 else alpha * z
    if op == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if op == "tanh":
        return math.tanh(z)
    raise ValueError(op)


def _act_deriv(op, alpha, z, y):
    """PyTorch's: relu′(0) = 0, leaky_relu′(0) = α."""
    one = z * 0 + 1
    if op == "relu":
        return one if z > 0 else one * 0
    if op == "leaky_relu":
        return one if z > 0 else alpha * one
    if op == "sigmoid":
        return y * (1 - y)
    if op == "tanh":
        return 1 - y * y
    raise ValueError(op)


class Net:
    def __init__(self, spec, exact=None):
        if exact is None:
            exact = is_rational(spec)
        self.exact = exact
        self.num = Fraction if exact else float
        self.spec = spec
        self.ex = Exactness(exact)
        # kink records: (step, layer, index, z, safe) for relu/leaky inputs
        self.kinks = []
        self.step = None

    def conv_geom(self, l, h):
        C, H, W = shape3(h)
        F, C2, KH, KW = len(l["filter"]), len(l["filter"][0]), len(l["filter"][0][0]), \
            len(l["filter"][0][0][0])
        assert C == C2, (C, C2)
        (sh, sw), (ph, pw), (dh, dw) = l["stride"], l["padding"], l["dilation"]
        OH, OW = out_dim(H, KH, sh, ph, dh), out_dim(W, KW, sw, pw, dw)
        assert OH >= 1 and OW >= 1
        return C, H, W, F, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW

    @staticmethod
    def eff(l, Wt, f, c, a, e):
        """The filter entry actually slid over the input (rotated for convolution)."""
        KH, KW = len(Wt[0][0]), len(Wt[0][0][0])
        if l["kernel"] == "convolution":
            return Wt[f][c][KH - 1 - a][KW - 1 - e]
        return Wt[f][c][a][e]

    def conv_forward(self, l, p, h, rz_in, where):
        C, H, W, F, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW = self.conv_geom(l, h)
        Wt, b = p["weight"], p.get("bias")
        z = zeros(F, OH, OW, zero=self.num(0))
        rz = zeros(F, OH, OW, zero=False)  # robustly 0 in any f64 implementation
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    terms, robust = [], b is None
                    for c in range(C):
                        for a in range(KH):
                            for e in range(KW):
                                r, q = i * sh + a * dh - ph, j * sw + e * dw - pw
                                if 0 <= r < H and 0 <= q < W:
                                    terms.append((h[c][r][q], self.eff(l, Wt, f, c, a, e)))
                                    robust = robust and rz_in[c][r][q]
                    s = self.num(0)
                    for x, w in terms:
                        s += x * w
                    if b is not None:
                        s += b[f]
                        terms.append((b[f],))
                    self.ex.note(f"{where} z[{f},{i},{j}]", terms, s)
                    z[f][i][j] = s
                    rz[f][i][j] = robust
        return z, rz

    def act_forward(self, l, h, rz_in, where):
        op, alpha = l["op"], self.num(l["alpha"]) if l["op"] == "leaky_relu" else None
        C, H, W = shape3(h)
        y = zeros(C, H, W, zero=self.num(0))
        rz = zeros(C, H, W, zero=False)
        clean = self.ex.clean  # as it was when every z of this layer had been computed
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    z = h[c][i][j]
                    if op in ("relu", "leaky_relu") and self.step is not None:
                        safe = rz_in[c][i][j] or clean
                        self.kinks.append((self.step, where, (c, i, j), z, safe))
                    v = _act(op, alpha, z)
                    if op == "leaky_relu":
                        self.ex.note(f"{where} y[{c},{i},{j}]", [(alpha, z) if z <= 0 else (z,)], v)
                    elif op != "relu":
                        self.ex.note(f"{where} {op}", [], None)  # transcendental: not exact
                    y[c][i][j] = v
                    rz[c][i][j] = (op == "relu" and z < 0) or (op != "sigmoid" and rz_in[c][i][j])
        return y, rz

    def forward(self, params, X):
        h = X
        rz = [[[v == 0 for v in row] for row in ch] for ch in X]
        outs = []
        for k, (l, p) in enumerate(zip(self.spec["layers"], params)):
            where = f"step {self.step} layer {k}"
            if l["op"] == "conv":
                h, rz = self.conv_forward(l, p, h, rz, where)
            else:
                h, rz = self.act_forward(l, h, rz, where)
            outs.append(h)
        return outs

    def loss(self, y):
        """(L, ∂L/∂y) over all C·H·W entries of the last output."""
        spec, num = self.spec, self.num
        C, H, W = shape3(y)
        n = C * H * W
        if spec.get("grad_output") is not None:
            g = [[[num(v) for v in r] for r in ch] for ch in spec["grad_output"]]
            L = num(0)
            for c in range(C):
                for i in range(H):
                    for j in range(W):
                        L += g[c][i][j] * y[c][i][j]
            return L, g
        T = [[[num(v) for v in r] for r in ch] for ch in spec["target"]]
        assert shape3(T) == [C, H, W], (shape3(T), [C, H, W])
        kind = spec["loss"]
        sq = num(0)
        dLdy = zeros(C, H, W, zero=num(0))
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    d = y[c][i][j] - T[c][i][j]
                    self.ex.note("loss difference", [(y[c][i][j],), (-T[c][i][j],)], d)
                    sq += d * d
                    if kind == "half_sse":
                        g = d
                    elif kind == "sse":
                        g = 2 * d
                    elif kind == "mse":
                        g = 2 * d / n
                    else:
                        raise ValueError(kind)
                    self.ex.note("loss gradient", [(g,)] if kind != "mse" else
                                 [(2, d, Fraction(1, n))], g)
                    dLdy[c][i][j] = g
        L = {"half_sse": sq / 2, "sse": sq, "mse": sq / n}[kind]
        return L, dLdy

    def conv_backward(self, l, p, h, g, where):
        """Given g = ∂L/∂z: (∂L/∂W, ∂L/∂b or None, ∂L/∂h), by loops."""
        C, H, W, F, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW = self.conv_geom(l, h)
        num = self.num
        Wt = p["weight"]
        conv = l["kernel"] == "convolution"
        gW_terms = {}
        gX_terms = {}
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    dz = g[f][i][j]
                    for c in range(C):
                        for a in range(KH):
                            for e in range(KW):
                                r, q = i * sh + a * dh - ph, j * sw + e * dw - pw
                                if not (0 <= r < H and 0 <= q < W):
                                    continue  # the padding: no parameter or input there
                                # z[f,i,j] += h[c,r,q] * Weff[f,c,a,e], and Weff[f,c,a,e]
                                # is W[f,c,KH-1-a,KW-1-e] under convolution.
                                wa, we = (KH - 1 - a, KW - 1 - e) if conv else (a, e)
                                gW_terms.setdefault((f, c, wa, we), []).append((dz, h[c][r][q]))
                                gX_terms.setdefault((c, r, q), []).append((dz, Wt[f][c][wa][we]))
        gW = zeros(F, C, KH, KW, zero=num(0))
        for (f, c, a, e), ts in gW_terms.items():
            s = num(0)
            for x, w in ts:
                s += x * w
            self.ex.note(f"{where} dW", ts, s)
            gW[f][c][a][e] = s
        gX = zeros(C, H, W, zero=num(0))
        for (c, r, q), ts in gX_terms.items():
            s = num(0)
            for x, w in ts:
                s += x * w
            self.ex.note(f"{where} dX", ts, s)
            gX[c][r][q] = s
        gb = None
        if p.get("bias") is not None:
            gb = []
            for f in range(F):
                ts = [(g[f][i][j],) for i in range(OH) for j in range(OW)]
                s = num(0)
                for (t,) in ts:
                    s += t
                self.ex.note(f"{where} db", ts, s)
                gb.append(s)
        return gW, gb, gX

    def act_backward(self, l, z, y, g, where):
        op, alpha = l["op"], self.num(l["alpha"]) if l["op"] == "leaky_relu" else None
        C, H, W = shape3(z)
        out = zeros(C, H, W, zero=self.num(0))
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    fp = _act_deriv(op, alpha, z[c][i][j], y[c][i][j])
                    d = g[c][i][j] * fp
                    self.ex.note(f"{where} delta", [(g[c][i][j], fp)], d)
                    out[c][i][j] = d
        return out

    def pass_(self, params, X):
        outs = self.forward(params, X)
        L, g = self.loss(outs[-1])
        self.out_grad = g
        layers = self.spec["layers"]
        grads = [None] * len(layers)
        in_grads = [None] * len(layers)
        for k in range(len(layers) - 1, -1, -1):
            l = layers[k]
            h = X if k == 0 else outs[k - 1]
            where = f"step {self.step} layer {k}"
            if l["op"] == "conv":
                gW, gb, g = self.conv_backward(l, params[k], h, g, where)
                grads[k] = {"weight": gW} if gb is None else {"weight": gW, "bias": gb}
            else:
                g = self.act_backward(l, h, outs[k], g, where)
            in_grads[k] = g
        return outs, L, grads, in_grads


def named(spec, params):
    out = []
    for i, kind in param_names(spec):
        v = params[i][kind]
        out.append((f"{i}.{kind}", [len(v)] if kind == "bias" else
                    [len(v), len(v[0]), len(v[0][0]), len(v[0][0][0])], flat(v)))
    return out


def initial_params(spec, num):
    params = []
    for l in spec["layers"]:
        if l["op"] != "conv":
            params.append({})
            continue
        p = {"weight": [[[[num(v) for v in r] for r in ch] for ch in f] for f in l["filter"]]}
        if l["bias"] is not None:
            p["bias"] = [num(v) for v in l["bias"]]
        params.append(p)
    return params


def train(spec, exact=None):
    """Returns (result, net).  result = dict(steps=[dict(loss, params, grads,
    outputs, input_grads)], params, loss_after) with named lists as the Rust
    API gives them: params/grads [(name, shape, values)], outputs/input_grads
    [(shape, values)]."""
    net = Net(spec, exact)
    num = net.num
    X = [[[num(v) for v in r] for r in ch] for ch in spec["input"]]
    params = initial_params(spec, num)
    lr = None if spec["lr"] is None else num(spec["lr"])
    steps = []
    for k in range(spec["steps"] or 1):
        net.step = k
        outs, L, grads, in_grads = net.pass_(params, X)
        steps.append(dict(loss=L, params=named(spec, params), grads=named(spec, grads),
                          outputs=[(shape3(o), flat(o)) for o in outs],
                          input_grads=[(shape3(g), flat(g)) for g in in_grads],
                          out_grad=(shape3(net.out_grad), flat(net.out_grad))))
        if lr is None:
            break
        new = []
        for p, gp in zip(params, grads):
            q = {}
            for key, v in p.items():
                fv, fg = flat(v), flat(gp[key])
                upd = []
                for a, b in zip(fv, fg):
                    r = a - lr * b
                    net.ex.note(f"step {k} update", [(a,), (-1, lr, b)], r)
                    upd.append(r)
                q[key] = reshape(upd, v)
            new.append(q)
        params = new
    net.step = None
    outs = net.forward(params, X)
    L_after, _ = net.loss(outs[-1])
    return dict(steps=steps, params=named(spec, params), loss_after=L_after), net


def reshape(values, like):
    it = iter(values)

    def go(t):
        if isinstance(t, list):
            return [go(x) for x in t]
        return next(it)
    return go(like)
