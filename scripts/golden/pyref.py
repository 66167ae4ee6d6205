"""Pure-Python reference for one conv layer's training step (explicit loops).

Deliberately independent of JAX: the forward pass is written as loops over the
zero-padded input, and the gradients are derived by hand (chain rule), not by
autodiff.  When every operation is rational (relu / linear / leaky_relu with a
rational alpha) it runs on fractions.Fraction, i.e. exactly; otherwise on
Python floats with math.exp / math.tanh.
"""

import math
from fractions import Fraction


def is_rational_case(spec):
    return spec["activation"][0] in ("relu", "linear", "leaky_relu")


def out_dims(spec):
    H, W = len(spec["input"]), len(spec["input"][0])
    KH, KW = len(spec["filter"]), len(spec["filter"][0])
    (sh, sw), (ph, pw) = spec["stride"], spec["padding"]
    return (H + 2 * ph - KH) // sh + 1, (W + 2 * pw - KW) // sw + 1


def _act(kind, alpha, z):
    if kind == "relu":
        return z if z > 0 else z * 0
    if kind == "linear":
        return z
    if kind == "leaky_relu":
        return z if z > 0 else alpha * z
    if kind == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if kind == "tanh":
        return math.tanh(z)
    raise ValueError(kind)


def _act_deriv(kind, alpha, z, y):
    one = z * 0 + 1
    if kind == "relu":
        return one if z > 0 else one * 0
    if kind == "linear":
        return one
    if kind == "leaky_relu":
        return one if z > 0 else alpha * one
    if kind == "sigmoid":
        return y * (1 - y)
    if kind == "tanh":
        return 1 - y * y
    raise ValueError(kind)


def train(spec, exact=None):
    """Returns dict(steps=[...], filter, bias, loss_after); numbers are Fraction
    when exact (default: exact iff the case is rational), else float."""
    if exact is None:
        exact = is_rational_case(spec)
    num = Fraction if exact else float
    X = [[num(v) for v in row] for row in spec["input"]]
    Wt = [[num(v) for v in row] for row in spec["filter"]]
    T = [[num(v) for v in row] for row in spec["target"]]
    b = None if spec["bias"] is None else num(spec["bias"])
    lr = num(spec["lr"])
    kind = spec["activation"][0]
    alpha = num(spec["activation"][1]) if kind == "leaky_relu" else None
    loss_kind = spec["loss"]
    conv = spec["kernel"] == "convolution"
    H, Wd = len(X), len(X[0])
    KH, KW = len(Wt), len(Wt[0])
    (sh, sw), (ph, pw) = spec["stride"], spec["padding"]
    OH, OW = out_dims(spec)
    N = OH * OW

    def xpad(r, c):  # padded coordinates -> value (zero outside the input)
        r -= ph
        c -= pw
        if 0 <= r < H and 0 <= c < Wd:
            return X[r][c]
        return num(0)

    def eff(W, a, c):  # the filter entry actually slid over the input
        return W[KH - 1 - a][KW - 1 - c] if conv else W[a][c]

    def forward(W, b):
        z = [[num(0)] * OW for _ in range(OH)]
        for i in range(OH):
            for j in range(OW):
                s = num(0)
                for a in range(KH):
                    for c in range(KW):
                        s += xpad(i * sh + a, j * sw + c) * eff(W, a, c)
                if b is not None:
                    s += b
                z[i][j] = s
        y = [[_act(kind, alpha, z[i][j]) for j in range(OW)] for i in range(OH)]
        diff = [[y[i][j] - T[i][j] for j in range(OW)] for i in range(OH)]
        sq = sum(d * d for row in diff for d in row)
        if loss_kind == "half_sse":
            L, dLdy = sq / 2, [[d for d in row] for row in diff]
        elif loss_kind == "sse":
            L, dLdy = sq, [[2 * d for d in row] for row in diff]
        elif loss_kind == "mse":
            L, dLdy = sq / N, [[2 * d / N for d in row] for row in diff]
        else:
            raise ValueError(loss_kind)
        return z, y, L, dLdy

    steps = []
    for _ in range(spec["steps"]):
        z, y, L, dLdy = forward(Wt, b)
        delta = [[dLdy[i][j] * _act_deriv(kind, alpha, z[i][j], y[i][j])
                  for j in range(OW)] for i in range(OH)]
        # dL/dW_eff[a][c] = sum_ij delta[i][j] * Xpad[i*sh+a][j*sw+c];
        # for convolution W_eff[a][c] = W[KH-1-a][KW-1-c], so flip back.
        geff = [[num(0)] * KW for _ in range(KH)]
        for a in range(KH):
            for c in range(KW):
                s = num(0)
                for i in range(OH):
                    for j in range(OW):
                        s += delta[i][j] * xpad(i * sh + a, j * sw + c)
                geff[a][c] = s
        gW = [[(geff[KH - 1 - a][KW - 1 - c] if conv else geff[a][c])
               for c in range(KW)] for a in range(KH)]
        gb = None if b is None else sum(d for row in delta for d in row)
        steps.append(dict(filter=[row[:] for row in Wt], output=z, activated=y,
                          loss=L, delta=delta, filter_grad=gW, bias_grad=gb))
        Wt = [[Wt[a][c] - lr * gW[a][c] for c in range(KW)] for a in range(KH)]
        if b is not None:
            b = b - lr * gb
    _, _, L_after, _ = forward(Wt, b)
    return dict(steps=steps, filter=Wt, bias=b, loss_after=L_after)
