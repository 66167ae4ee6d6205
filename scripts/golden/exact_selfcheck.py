#!/usr/bin/env python3
"""Self-check of exact.py's reference (`python3 scripts/golden/exact.py --self-check`).

1. The seed question by hand: L = 2 before, 3/2 after, W = [[0, 0], [1, 0]].
2. Every test of the three float golden files (tests/golden_jax.rs, golden_networks.rs,
   golden_classifiers.rs, whose values come from JAX in float64) whose arithmetic is
   rational (no sigmoid, tanh or softmax_cross_entropy): its `train!` spec is parsed
   with exact.py's parser, trained by exact.py's reference in fractions, and every value
   the test asserts is compared with the fraction, to 1e-9 relative (the float tests'
   tolerance): the step count, losses, matrices, names, shapes and values.

3. Every spec exact.py writes: at its first and last step, ∂L/∂p for every parameter entry
   and ∂L/∂X for every input entry against the symmetric difference (L(p + h) − L(p − h))/2h
   in fractions, h = 10⁻⁴⁰. Between kinks the loss is a polynomial of degree at most 2 in any
   one entry (every layer is linear in each of its parameters and inputs, relu, leaky_relu and
   max pool are linear while no sign or argmax changes, the losses are squares or Σ g·y), so
   the difference is exact and must equal the gradient exactly. Entries whose ±h move changes
   a relu/leaky sign or a max pool's argmax (only where a pre-activation is exactly 0 or a
   window's maximum is tied) are skipped and counted: there the derivative is a convention.

Standard library only. Exits 1 on any disagreement.
"""

import copy

import os
import re
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exact  # noqa: E402

FILES = ["tests/golden_jax.rs", "tests/golden_networks.rs", "tests/golden_classifiers.rs"]
NOT_RATIONAL = ("sigmoid", "tanh", "softmax_cross_entropy")


def close(a, b):
    a, b = float(a), float(b)
    return abs(a - b) <= 1e-9 * (1 + max(abs(a), abs(b)))


class ArgParser(exact.Parser):
    """exact.Parser plus what the assertions' arguments hold: &, strings, Some/None."""

    def value(self):
        kind, tok = self.peek()
        if tok == "&":
            self.take()
            return self.value()
        if kind == "str":
            self.take()
            return tok[1:-1]
        return super().value()

    def expr_text(self):
        """An accessor expression such as `&s.named_grads()`, as text, up to the comma."""
        out, level = [], 0
        while True:
            tok = self.peek()[1]
            if level == 0 and tok == ",":
                self.take()
                return "".join(out).lstrip("&")
            level += tok in "([{"
            level -= tok in ")]}"
            out.append(tok)
            self.take()


def functions(text):
    """(name, body) of every #[test] fn."""
    for m in re.finditer(r"#\[test\]\s*(?:#\[[^\]]*\]\s*)*fn (\w+)\(\) \{", text):
        start, level, i = m.end(), 1, m.end()
        while level:
            level += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        yield m.group(1), text[start:i - 1]


ASSERTIONS = ("assert_scalar", "assert_matrix", "assert_option", "assert_named", "assert_maps")
EXACT_KEY = "arithmetic: exact,"


def macro_body(body):
    """The spec of a test's `train!` and the rest of the test (its assertions). A test whose
    arithmetic is rational has its assertions in a `fn check` before two `train!` calls, the
    float spec and the same spec with `arithmetic: exact,` first: both are cut out, and they
    must be the same spec."""
    specs, rest, pos = [], [], 0
    for m in re.finditer(r"train! \{", body):
        if m.start() < pos:
            continue
        start, level, i = m.end(), 1, m.end()
        while level:
            level += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        rest.append(body[pos:m.start()])
        specs.append(body[start:i - 1])
        pos = i
    rest.append(body[pos:])
    if len(specs) == 2:
        exact_spec = specs[1].strip()
        assert exact_spec.startswith(EXACT_KEY), exact_spec[:80]
        assert exact_spec[len(EXACT_KEY):].strip() == specs[0].strip(), "float and exact specs differ"
    else:
        assert len(specs) == 1, len(specs)
    return specs[0], "".join(rest)


def num(v):
    if isinstance(v, tuple) and v[0] == "call" and v[1] == "Some":
        return num(v[2][0])
    if isinstance(v, tuple) and v == ("ident", "None"):
        return None
    if isinstance(v, list):
        return [num(x) for x in v]
    if isinstance(v, tuple):
        return tuple(num(x) for x in v)
    if isinstance(v, exact.Num):
        return v.value()
    return v


def flatten(v):
    return [x for y in v for x in flatten(y)] if isinstance(v, list) else [v]


class Checker:
    def __init__(self):
        self.compared = 0
        self.failures = []

    def fail(self, where, msg):
        self.failures.append(f"{where}: {msg}")

    def values(self, where, got, want):
        got, want = flatten(got), flatten(want)
        if len(got) != len(want):
            return self.fail(where, f"{len(got)} values, want {len(want)}")
        for k, (g, w) in enumerate(zip(got, want)):
            self.compared += 1
            if (g is None) != (w is None) or g is not None and not close(g, w):
                return self.fail(where, f"[{k}] exact {g} = {float(g) if g is not None else g}, "
                                        f"JAX {float(w) if w is not None else w}")

    def named(self, where, got, want):
        if [n for n, _, _ in got] != [n for n, _, _ in want]:
            return self.fail(where, f"names {[n for n, _, _ in got]} vs {[n for n, _, _ in want]}")
        for (n, s, v), (_, ws, wv) in zip(got, want):
            if list(s) != [int(x) for x in ws]:
                self.fail(f"{where} {n}", f"shape {s} vs {ws}")
            self.values(f"{where} {n}", v, wv)

    def maps(self, where, got, want):
        if len(got) != len(want):
            return self.fail(where, f"{len(got)} maps, want {len(want)}")
        for k, ((s, v), (ws, wv)) in enumerate(zip(got, want)):
            if list(s) != [int(x) for x in ws]:
                self.fail(f"{where}[{k}]", f"shape {s} vs {ws}")
            self.values(f"{where}[{k}]", v, wv)


def check_file(path, chk):
    text = open(os.path.join(exact.ROOT, path)).read()
    done = skipped = 0
    for name, body in functions(text):
        spec_text, rest = macro_body(body)
        if any(re.search(rf"\b{w}\b", spec_text) for w in NOT_RATIONAL):
            skipped += 1
            continue
        where = f"{path}::{name}"
        try:
            spec = exact.parse_spec(spec_text)
        except SyntaxError as e:
            chk.fail(where, f"spec not parsed: {e}")
            continue
        if isinstance(spec.get("target"), exact.Num):  # a class index: softmax only
            skipped += 1
            continue
        net = exact.network_of(spec)
        res = exact.train(net)
        p = ArgParser(exact.tokenize(rest))
        step = None
        while p.peek()[0] is not None:
            kind, tok = p.take()
            if tok == "steps" and p.peek()[1] == "[":
                p.take()
                step = int(p.take()[1])
                continue
            if tok == "len" and p.peek()[1] == "(":
                p.take()
                p.take(")")
                p.take(",")
                want = int(p.take()[1])
                if want != len(res["steps"]):
                    chk.fail(where, f"{len(res['steps'])} steps, want {want}")
                continue
            if kind != "ident" or tok not in ASSERTIONS or p.peek()[1] != "(":
                continue
            p.take("(")
            what = p.value()
            p.take(",")
            expr = p.expr_text()
            want = num(p.value())
            w = f"{where} {what}"
            st = res["steps"][step] if step is not None else None
            acc = expr.split(".")[1].split("(")[0]
            final = expr.startswith("d.")
            if tok == "assert_named":
                chk.named(w, res["params"] if final else st[
                    {"named_parameters": "params", "named_grads": "grads"}[acc]], want)
            elif tok == "assert_maps":
                chk.maps(w, st[{"layer_outputs": "outputs", "input_grads": "input_grads"}[acc]], want)
            else:
                if final:
                    got = {"filter": res["filter"], "bias": res["bias"],
                           "loss_after": res["loss_after"]}[acc]
                else:
                    got = {"filter": st["filter"], "output": st["z"], "activated": st["y"],
                           "loss": st["loss"], "delta": st["delta"],
                           "filter_grad": st["filter_grad"],
                           "bias_grad": st["bias_grad"]}[acc]
                chk.values(w, got, want)
        done += 1
    return done, skipped


H = Fraction(1, 10 ** 40)


def pattern(net, layers, outs):
    """Which branch every relu/leaky input and max pool took: signs and argmaxes."""
    pat = []
    for k, l in enumerate(layers):
        x = net["input"] if k == 0 else outs[k - 1]
        if l["op"] in ("relu", "leaky_relu"):
            pat.append(tuple((v > 0) - (v < 0) for v in exact.flat(x)))
        elif l["op"] == "max_pool":
            for c, i, j, win in exact.pool_windows(l, x):
                vals = [x[c][r][q] for r, q in win]
                pat.append(tuple(k2 for k2, v in enumerate(vals) if v == max(vals)))
    return pat


def evaluate(net, layers):
    outs = exact.forward(net, layers)
    L, _ = exact.objective(net, outs[-1])
    return L, pattern(net, layers, outs)


def set_flat(t, idx, value):
    """A copy of nested list t with its row-major entry idx set to value."""
    t = copy.deepcopy(t)
    shape = exact.shape(t)
    pos = []
    for n in reversed(shape):
        pos.append(idx % n)
        idx //= n
    cur = t
    for p in reversed(pos[1:]):
        cur = cur[p]
    cur[pos[0]] = value
    return t


def finite_differences(name, net, chk, counts):
    layers = [dict(l) for l in net["layers"]]
    last = net["steps"] - 1
    for k in range(net["steps"]):
        outs = exact.forward(net, layers)
        L, g = exact.objective(net, outs[-1])
        grads, in_grads = exact.backward(net, layers, outs, g)
        if k in (0, last):
            base = pattern(net, layers, outs)
            probes = []  # (what, analytic gradient, evaluate at value)
            for li, l in enumerate(layers):
                for key in ("weight", "bias"):
                    if grads[li] is None or l.get(key) is None:
                        continue
                    for idx, (v, gv) in enumerate(zip(exact.flat(l[key]), exact.flat(grads[li][key]))):
                        def at(x, li=li, key=key, idx=idx):
                            ls = list(layers)
                            ls[li] = dict(layers[li], **{key: set_flat(layers[li][key], idx, x)})
                            return evaluate(net, ls)
                        probes.append((f"{li}.{key}[{idx}]", v, gv, at))
            for idx, (v, gv) in enumerate(zip(exact.flat(net["input"]), exact.flat(in_grads[0]))):
                def at(x, idx=idx):
                    return evaluate(dict(net, input=set_flat(net["input"], idx, x)), layers)
                probes.append((f"X[{idx}]", v, gv, at))
            for what, v, gv, at in probes:
                (lp, pp), (lm, pm) = at(v + H), at(v - H)
                if pp != base or pm != base:
                    counts["skipped"] += 1
                    continue
                counts["compared"] += 1
                fd = (lp - lm) / (2 * H)
                if fd != gv:
                    chk.fail(f"{name} step {k} {what}", f"backprop {gv}, symmetric difference {fd}")
        if net["lr"] is None:
            break
        for li, l in enumerate(layers):
            if grads[li] is None:
                continue
            l["weight"] = exact.elementwise(lambda p, gp: p - net["lr"] * gp, l["weight"],
                                            grads[li]["weight"])
            if l["bias"] is not None:
                l["bias"] = [p - net["lr"] * gp for p, gp in zip(l["bias"], grads[li]["bias"])]


def main():
    chk = Checker()
    seed = exact.network_of(exact.parse_spec(exact.HAND[0][2]))
    r = exact.train(seed)
    if (r["steps"][0]["loss"], r["loss_after"]) != (2, Fraction(3, 2)) or \
            r["filter"] != [[0, 0], [1, 0]]:
        chk.fail("seed question", f"L {r['steps'][0]['loss']} -> {r['loss_after']}, W {r['filter']}")
    for path in FILES:
        done, skipped = check_file(path, chk)
        print(f"{path}: {done} rational cases compared, {skipped} not rational skipped")
    print(f"{chk.compared} values compared with JAX")
    counts = dict(compared=0, skipped=0)
    specs = exact.all_specs()
    for name, _, text, _ in specs:
        finite_differences(name, exact.network_of(exact.parse_spec(text)), chk, counts)
    print(f"exact.py's {len(specs)} specs: {counts['compared']} gradient entries equal to their "
          f"exact symmetric difference, {counts['skipped']} skipped at a kink or tie")
    print(f"{len(chk.failures)} disagreements")
    for f in chk.failures:
        print("  " + f)
    return 1 if chk.failures else 0


if __name__ == "__main__":
    sys.exit(main())
