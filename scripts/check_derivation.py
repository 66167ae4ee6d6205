#!/usr/bin/env python3
"""Independent checker for cnn-bp derivations (the plain text that `Display` prints).

Usage:
    python3 scripts/check_derivation.py [--quiet] [--pedantic] FILE [FILE ...]
    cargo run -q --example seed_question | python3 scripts/check_derivation.py -

FILE is a plain derivation text (one or more derivations one after another), or an
insta snapshot `*.snap`, whose header between its first two `---` lines is skipped. `-` reads
standard input.

It re-derives nothing from the Rust code. It reads the printed text and checks that every
printed number follows from numbers printed before it:

1. arithmetic: each equation line is re-evaluated from its printed operands in exact rational
   arithmetic (fractions.Fraction; sigmoid and tanh in float). A result after ` = ` must be the
   exact value; a result after ` ≈ ` must lie within the rounding tolerance described at
   `tolerance()` below;
2. provenance: each operand must be the value printed earlier for the symbol it stands for
   (named in the symbolic line above, or implied by the line form: y and t in the loss, the
   current w, this step's ∂L/∂w, η from Given, ...), and the terms of every sum must be the
   ones the convolution's definition (stride, padding, kernel) calls for;
3. matrices: every printed matrix lists exactly the values its entries' equations printed, with
   `≈` exactly when one of them is rounded, right-aligned in columns;
4. the result: the last forward pass uses the last updated W and b; `L: a → b` shows the first
   and the final L; each `Summary` row matches what its step printed (and is aligned);
5. notes: notes that quote values (`z[1,0] < 0`, `t[1,0] = 0`, `the loss rose from a to b`,
   `… is not a finite number`) quote them truly, and the ones the values call for are there;
6. the symbolic form: a line written with symbols only (`z[0,0] = x[0,0]·w[0,0] + …`,
   `y[0,0] = max(0, z[0,0])`, `L = ½[(y[0,0] − t[0,0])² + …]`, `∂L/∂y[0,0] = y[0,0] − t[0,0]`,
   `f′(z[0,0]) = relu′(z[0,0])`, `δ[0,0] = ∂L/∂y[0,0]·f′(z[0,0])`, `w[0,0] ← w[0,0] − η·∂L/∂w[0,0]`,
   …) must be the formula of its entry (the terms of a sum: by the definition); the numbers line
   for the same entry must come after it and substitute the printed values of exactly those
   operands, in that order; in a symbolic derivation every numbers line needs its symbolic line
   and every symbolic line its numbers line;
7. `Check: finite differences`: per step, h is positive; each backpropagation value is the one
   that step printed; each difference is |backpropagation − central difference| within half a
   unit in the 6th significant digit of each of the three printed numbers; an entry is
   `not compared` exactly when a note flags it, the note quotes that step's z truly and
   |z| ≤ h·max|x|; a compared entry whose z is within reach of the relu/leaky_relu kink
   (|z| < h·|its x|) needs a note; `Largest difference` names the largest compared difference;
8. the mistakes (`Common mistakes, applied to step 1's numbers`): each mistake's fixed lines
   match the layer and its recipe (for a convolving layer, ∂L/∂W = rot180(X ⋆ δ)); every
   equation is checked as in a step, its operands being step 1's values or the ones printed
   before in the same mistake section (e, δ̃, g, the new w and b, then z and y of its forward
   pass, which uses the new w and b); the terms of g[i,j] follow the index maps of the layer
   (mistake 1: δ̃; mistake 2: ∂L/∂y; mistake 3: the terms of ∂L/∂w[KH−1−i, KW−1−j]); g_b sums
   δ̃ or ∂L/∂y, mistake 3 updates b with step 1's ∂L/∂b; `Mistakes compared` lists step 1's
   update with the loss it gives (step 2's L, or the final L) and each mistake's update and
   last L; its note lists exactly the mistakes whose loss ends above step 1's L.

Nothing is skipped: a line the checker does not recognise, in any section, is a failure, even
without digits (only the known headings and explanatory paragraphs pass as prose), and so is a
section after the result that it does not know. --allow-trailing instead skips, with a note,
unknown text after a blank line following the last known section (an example's own output).

Every failure is printed as `file:line: message (expected …, printed …)`; then one summary line
per file with the counts of what was checked. Exit status: 0 if everything checks, 1 on any
failure, 2 on a usage error.

--quiet      print only failures and the summary lines
--pedantic   also list (as notes, not failures) ` ≈ ` lines whose printed operands give the
             printed result exactly, where ` = ` would have been true
--allow-trailing
             skip (with a note) unknown text after the derivation's last known section
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction

# ---------------------------------------------------------------------------------------------
# Numbers

NUM = r"(?:−?(?:\d+(?:\.\d+)?(?:e−?\d+)?|∞)|NaN)"
FAC = rf"(?:\({NUM}\)|{NUM})"  # an operand inside a product: negatives in parentheses
NUM_RE = re.compile(NUM)
SIGN = r"(=|≈)"

# Values are rounded to this many significant digits when they are printed after `≈`.
SIGNIFICANT = 6


def half_unit(v) -> float:
    """The largest rounding error of `v` printed with SIGNIFICANT significant digits: half a
    unit in its last place, 0.5·10^(e − 5) for |v| = m·10^e, 1 ≤ m < 10 (≤ 5e-6·|v|)."""
    if not finite(v) or v == 0:
        return 0.0
    a = abs(v)
    e = math.floor(math.log10(a))
    # log10 of a Fraction goes through float; fix the exponent if it landed one off
    if Fraction(10) ** e > a:
        e -= 1
    elif Fraction(10) ** (e + 1) <= a:
        e += 1
    return 0.5 * 10.0 ** (e - (SIGNIFICANT - 1))


def parse_value(text: str):
    """The value of a printed number: a Fraction, or a float for NaN and ±∞."""
    t = text.strip()
    if t.startswith("(") and t.endswith(")"):
        t = t[1:-1]
    if t == "NaN":
        return math.nan
    neg = t.startswith("−")
    if neg:
        t = t[1:]
    if t == "∞":
        v = math.inf
    else:
        if not re.fullmatch(r"\d+(?:\.\d+)?(?:e−?\d+)?", t):
            raise ValueError(f"not a number: {text!r}")
        v = Fraction(t.replace("e−", "e-"))
    return -v if neg else v


def finite(v) -> bool:
    return not (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))


def same(a, b) -> bool:
    if not finite(a) or not finite(b):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b
    return a == b


def sig_digits(text: str) -> int:
    t = text.strip("()").lstrip("−").split("e")[0].replace(".", "").lstrip("0")
    return len(t)


def show(v) -> str:
    """A value for a message: exact when it is a short decimal, else 12 significant digits."""
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        s = f"{v:.12g}"
    else:
        d = v.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        s = None
        if d == 1:
            # terminating decimal: print it exactly if it is not too long
            for places in range(0, 25):
                scaled = v * 10**places
                if scaled.denominator == 1:
                    n = abs(scaled.numerator)
                    digits = str(n).rjust(places + 1, "0")
                    s = digits if places == 0 else digits[:-places] + "." + digits[-places:]
                    if v < 0:
                        s = "-" + s
                    break
        if s is None:
            s = "≈" + f"{float(v):.12g}"
    return s.replace("-", "−")


# Roundedness of a printed value: False (exact), True (printed after `≈`), or MAYBE (printed
# after a `=` that the renderer writes whatever the value, as in `b (bias) = …`). MAYBE counts
# as rounded for tolerances and as exact for --pedantic.
MAYBE = "maybe"


class Val:
    """A printed value: its text, its value, whether it was printed rounded, and where."""

    __slots__ = ("text", "value", "rounded", "line")

    def __init__(self, text: str, rounded: bool, line: int):
        self.text = text.strip("()")
        self.value = parse_value(self.text)
        self.rounded = rounded
        self.line = line


# ---------------------------------------------------------------------------------------------
# Arithmetic expressions as printed: numbers, + − · / ², ( ), [ ], ⌊ ⌋ and ½


class ExprError(Exception):
    pass


def tokenize(s: str):
    toks = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == " ":
            i += 1
            continue
        m = NUM_RE.match(s, i)
        if m and (ch != "−" or (i + 1 < len(s) and (s[i + 1].isdigit() or s[i + 1] == "∞"))):
            toks.append(("num", m.group(0)))
            i = m.end()
            continue
        if ch in "+−·/²()[]⌊⌋½":
            toks.append((ch, ch))
            i += 1
            continue
        raise ExprError(f"unexpected character {ch!r} in {s!r}")
    return toks


class Parser:
    """expr := term ((+|−) term)* ; term := power ((·|/|juxtaposed [) power)* ;
    power := atom ²* ; atom := number | ( expr ) | [ expr ] | ⌊ expr ⌋ | ½"""

    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.pos = 0
        self.leaves: list[str] = []

    def peek(self):
        return self.toks[self.pos][0] if self.pos < len(self.toks) else None

    def take(self, kind):
        if self.peek() != kind:
            raise ExprError(f"expected {kind!r} at token {self.pos}")
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self):
        node = self.expr()
        if self.pos != len(self.toks):
            raise ExprError(f"unexpected {self.toks[self.pos][1]!r}")
        return node

    def expr(self):
        node = self.term()
        while self.peek() in ("+", "−"):
            op = self.take(self.peek())[0]
            node = ("add" if op == "+" else "sub", node, self.term())
        return node

    def term(self):
        node = self.power()
        while self.peek() in ("·", "/", "["):
            if self.peek() == "[":
                node = ("mul", node, self.power())
                continue
            op = self.take(self.peek())[0]
            node = ("mul" if op == "·" else "div", node, self.power())
        return node

    def power(self):
        node = self.atom()
        while self.peek() == "²":
            self.take("²")
            node = ("sq", node)
        return node

    def atom(self):
        kind = self.peek()
        if kind == "num":
            text = self.take("num")[1]
            self.leaves.append(text)
            return ("num", len(self.leaves) - 1)
        if kind == "½":
            self.take("½")
            return ("const", Fraction(1, 2))
        for open_, close in (("(", ")"), ("[", "]"), ("⌊", "⌋")):
            if kind == open_:
                self.take(open_)
                node = self.expr()
                self.take(close)
                return ("floor", node) if open_ == "⌊" else node
        raise ExprError(f"expected a number, got {kind!r}")


def to_float(v) -> float:
    """`float(v)`, but ±∞ where an exact value is beyond f64's range (as f64 arithmetic gives)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def evaluate(node, leaves, rounded):
    """(value, E, A): the exact value; E, the first-order bound on how far the value can move
    when each rounded leaf moves by up to half a unit in its last printed place; A, the value
    with every leaf and operation replaced by its absolute value (Σ|monomials|)."""
    kind = node[0]
    if kind == "num":
        v = parse_value(leaves[node[1]])
        a = abs(v)
        return v, (half_unit(v) if rounded[node[1]] and finite(v) else 0.0), a
    if kind == "const":
        return node[1], 0.0, abs(node[1])
    if kind == "sq":
        v, e, a = evaluate(node[1], leaves, rounded)
        return v * v, 2 * float(abs(v)) * e if finite(v) else 0.0, a * a
    if kind == "floor":
        v, e, a = evaluate(node[1], leaves, rounded)
        return (Fraction(math.floor(v)) if finite(v) else v), e, a
    x, ex, ax = evaluate(node[1], leaves, rounded)
    y, ey, ay = evaluate(node[2], leaves, rounded)
    if not (finite(x) and finite(y)):
        x, y = to_float(x), to_float(y)
    if not (finite(ax) and finite(ay)):
        ax, ay = to_float(ax), to_float(ay)
    if kind == "add":
        return x + y, ex + ey, ax + ay
    if kind == "sub":
        return x - y, ex + ey, ax + ay
    if kind == "mul":
        e = float(abs(x)) * ey + float(abs(y)) * ex if finite(x) and finite(y) else 0.0
        return x * y, e, ax * ay
    if kind == "div":
        if y == 0:
            return math.nan, 0.0, math.inf
        e = ex / float(abs(y)) + float(abs(x)) * ey / float(y) ** 2 if finite(x) else 0.0
        return x / y, e, ax / abs(y)
    raise ExprError(kind)


def tolerance(E: float, A, printed) -> float:
    """How far a result printed after ` ≈ ` may lie from the exact value of its printed
    operands: E + h(printed) + 1e-10·(1 + Σ|monomials|).

    Two roundings separate them, and both are known exactly from the text:
    (a) every operand that was itself printed rounded (its own line showed ` ≈ `) is off from
        the value the program used by at most h = half a unit in its 6th significant digit
        (≤ 5e-6 of itself). E propagates these bounds through the printed expression to first
        order (|a|·h(b) + |b|·h(a) for a product, the sum for a sum, 2|a|·h(a) for a square,
        f′(z)·h(z) for σ and tanh), so it scales with Σ|terms|, not with a small result, and
        stays honest under cancellation;
    (b) the result itself is printed rounded: at most h(printed).
    The last term absorbs what the first order leaves out (products of two roundings, ≤ 2.5e-11
    of a term), the f64 arithmetic of the program, and the gap (≤ 1.1e-16 relative) between a
    short decimal such as `0.1` and the double it stands for; it is what lets
    `0.1·3 − 0.3 ≈ 5.55112e−17` pass.
    This is tighter than the rule of thumb 1e-5·(Σ|terms| + |printed|): h ≤ 5e-6·|v|, and
    E ≤ 1e-5·Σ|terms| when every term has two rounded factors. Being tight matters: it catches
    a changed last digit of a rounded result (σ(3.1) ≈ 0.956896 instead of 0.956893), which the
    rule of thumb lets through. Being rigorous matters too: on the 63 golden cases the worst
    line uses 0.9999 of the bound (dyadic values such as 1.71328125 sit exactly halfway between
    two 6-digit numbers, so their rounding error is exactly h), hence the 0.1 % margin.
    """
    return (E + half_unit(printed)) * 1.001 + 1e-10 * (1.0 + float(A))


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# ---------------------------------------------------------------------------------------------
# Line forms

IDX = r"\[(\d+),(\d+)\]"
SYMNAME = r"(?:x\[\d+,\d+\]|w\[\d+,\d+\]|b|δ̃?\[\d+,\d+\]|∂L/∂y\[\d+,\d+\])"
NAMED_SUM = re.compile(
    rf"^(z{IDX}|∂L/∂w{IDX}|∂L/∂b|g{IDX}|g_b) = ({SYMNAME}(?:·{SYMNAME})?(?: \+ {SYMNAME}(?:·{SYMNAME})?)*)$"
)
EMPTY_SUM = re.compile(rf"^(z{IDX}|∂L/∂w{IDX}|g{IDX}) = 0   \(the window lies entirely on zero padding\)$")
# a sum printed with numbers only (symbolic form, and the g lines of the mistakes): no `[`
NUM_SUM = re.compile(rf"^(z{IDX}|∂L/∂w{IDX}|∂L/∂b|g{IDX}|g_b) = ([^\[\]]*) {SIGN} ({NUM})$")
# a line of the symbolic form: symbols only, no result
SYM_LINE = re.compile(r"^(y\[\d+,\d+\]|L|∂L/∂y\[\d+,\d+\]|f′\(z\[\d+,\d+\]\)|δ̃?\[\d+,\d+\]|e\[\d+,\d+\]|w\[\d+,\d+\]|b) (=|←) (.*)$")
E_LINE = re.compile(rf"^e{IDX} = (.*) {SIGN} ({NUM})$")
DTILDE_LINE = re.compile(rf"^δ̃{IDX} = ({FAC})·({FAC}) {SIGN} ({NUM})$")
CONT = re.compile(rf"^= (.*) {SIGN} ({NUM})$")
MAT_HEAD = re.compile(r"^(X \(input, (\d+)×(\d+)\)|W \(filter, (\d+)×(\d+)\)|t \(target, (\d+)×(\d+)\)|z|y|δ|δ̃|e|g|∂L/∂W|W|final W) (=|≈) \[(.*) \]$")
MAT_ROW = re.compile(r"^\[(.*) \]$")
Y_LINE = re.compile(rf"^y{IDX} = (.*) {SIGN} ({NUM})$")
L_LINE = re.compile(rf"^L = (.*) {SIGN} ({NUM})$")
DY_LINE = re.compile(rf"^∂L/∂y{IDX} = (.*) {SIGN} ({NUM})$")
FP_LINE = re.compile(rf"^f′\(z{IDX}\) (=|≈) (.*)$")
DELTA_LINE = re.compile(rf"^δ{IDX} = ({FAC})·({FAC}) {SIGN} ({NUM})$")
UPD_LINE = re.compile(rf"^(w{IDX}|b) ← ({NUM}) − ({FAC})·({FAC}) {SIGN} ({NUM})$")
OUT_LINE = re.compile(rf"^(OH|OW) = (.*) = (\d+)$")

SIGN_PROSE = (
    'Sign: this is output minus target. The "error" e = t − y is its negative. Descent',
    "subtracts η·∂L/∂W, built from y − t; building it from t − y and still subtracting",
    "moves W uphill and increases the loss.",
)


def scale_text(s: Fraction) -> str:
    if s == Fraction(1, 2):
        return "½"
    if s.denominator == 1:
        return str(s.numerator)
    return f"({s.numerator}/{s.denominator})"


def parse_scale(text: str) -> Fraction:
    if text == "½":
        return Fraction(1, 2)
    m = re.fullmatch(r"\((\d+)/(\d+)\)", text)
    if m:
        return Fraction(int(m.group(1)), int(m.group(2)))
    return Fraction(int(text))


def split_scale(rhs: str):
    """`(2/4)·(…)` → ((2/4) as text, 2/4, `(…)`); no prefix → (None, 1, rhs)."""
    m = re.match(r"^(½|\(\d+/\d+\)|\d+)(?=[\[·])", rhs)
    if not m:
        return None, Fraction(1), rhs
    body = rhs[m.end():]
    if body.startswith("·"):
        body = body[1:]
    elif body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    return m.group(1), parse_scale(m.group(1)), body


def names_of(lst: str) -> list[str]:
    """`z[1,0], z[1,1] and z[0,0]` → the names."""
    parts = re.split(r", | and ", lst.strip())
    return [p for p in parts if p]


def sym_kind(key: str) -> str:
    """`z[0,1]` → `z`, `f′(z[0,1])` → `f′(z`, `w[0,1] ←` → `w ←`, `L` → `L`."""
    if key.endswith(" ←"):
        return key[0] + " ←"
    return key.split("[")[0]


# ---------------------------------------------------------------------------------------------
# The checker of one derivation


class Checker:
    def __init__(self, fname: str, lines: list[tuple[int, str]], report, pedantic: bool,
                 allow_trailing: bool = False):
        self.fname = fname
        self.lines = lines
        self.report = report  # callable(kind, line, message)
        self.pedantic = pedantic
        self.count = {"equations": 0, "operands": 0, "matrices": 0, "structure": 0, "notes": 0}
        self.failures = 0
        # Given
        self.X: dict[tuple[int, int], Val] = {}
        self.T: dict[tuple[int, int], Val] = {}
        self.W0: dict[tuple[int, int], Val] = {}
        self.xshape = self.wshape = self.tshape = None
        self.bias: Val | None = None
        self.has_bias = None
        self.eta: Val | None = None
        self.act = None  # 'relu' | 'linear' | 'sigmoid' | 'tanh' | 'leaky_relu'
        self.alpha: Val | None = None
        self.g0: Val | None = None
        self.loss = None
        self.lscale = self.gscale = None
        self.kernel = None
        self.stride = self.padding = None
        self.nsteps = None
        # state
        self.ctx = "given"
        self.step = 0
        self.cur_w: dict[tuple[int, int], Val] = {}
        self.cur_b: Val | None = None
        self.sv: dict[str, Val] = {}
        self.new_w: dict[tuple[int, int], Val] = {}
        self.new_b: Val | None = None
        self.history: list[dict] = []  # per step: L, w (start), b (start), new_w, new_b
        self.after_L: Val | None = None
        self.first_nonfinite = None  # (symbol, text, line) of the first value printed that is not finite
        self.noted: set[str] = set()  # kinds of notes seen in the current section
        self.deferred: list = []
        self.unused_note = None
        self.x_used_after: set = set()
        self.final_w_seen = False
        self.allow_trailing = allow_trailing
        self.after_ended = False
        # symbolic form: the entries whose symbolic line was printed and whose numbers line is
        # still to come (key → (line, terms of a sum or None)); kinds seen in this section
        self.symbolic = False
        self.pending: dict[str, tuple] = {}
        self.sym_kinds: set[str] = set()
        # the sections after the result
        self.fd_seen = False
        self.fd_steps: dict[int, dict] = {}
        self.fd_cur = None
        self.fd_largest = None
        self.mistakes_seen = False
        self.mistake = None  # number of the mistake section being read
        self.mistake_kind = None  # 'sign' | 'noact' | 'flip'
        self.mstate = None  # 'grad' (before `A forward pass …`) | 'forward'
        self.mistakes: dict[int, dict] = {}
        self.base_sv: dict[str, Val] = {}
        self.compared_seen = False
        self.compared_rows = None
        self.compared_note = None

    # -- reporting --------------------------------------------------------------------------

    def fail(self, line: int, msg: str, expected=None, printed=None):
        self.failures += 1
        extra = ""
        if expected is not None or printed is not None:
            extra = f" (expected {expected}, printed {printed})"
        self.report("fail", line, msg + extra)

    def note(self, line: int, msg: str):
        self.report("note", line, msg)

    # -- lookups ----------------------------------------------------------------------------

    def lookup(self, sym: str) -> Val | None:
        m = re.fullmatch(r"([xwt])\[(\d+),(\d+)\]", sym)
        if m:
            key = (int(m.group(2)), int(m.group(3)))
            table = {"x": self.X, "w": self.cur_w, "t": self.T}[m.group(1)]
            return table.get(key)
        if sym == "b":
            return self.cur_b
        if sym == "η":
            return self.eta
        rec = self.sv.get(sym)
        if rec is None and self.ctx == "mistake":
            # a mistake section refers to step 1's values where it prints none of its own
            rec = self.base_sv.get(sym)
        return rec

    def operand(self, line: int, sym: str, text: str, what: str) -> bool:
        """Checks that `text` is the value printed earlier for `sym`; returns its roundedness."""
        self.count["operands"] += 1
        rec = self.lookup(sym)
        text = text.strip("()")
        if rec is None:
            self.fail(line, f"{what}: operand {sym} has no value printed before this line",
                      "an earlier value", text)
            return sig_digits(text) >= 6
        try:
            v = parse_value(text)
        except ValueError:
            self.fail(line, f"{what}: operand {text!r} is not a number")
            return True
        if rec.text != text and not same(rec.value, v):
            self.fail(line, f"{what}: operand {sym} differs from its value printed on line {rec.line}",
                      rec.text, text)
            return sig_digits(text) >= 6
        return rec.rounded

    def judge(self, line: int, what: str, expr: str, leaves_rounded, sign: str, result: str,
              scale: Fraction = Fraction(1)):
        """Evaluates the printed expression `expr` (times `scale`) and compares it with the
        printed result under `sign`."""
        self.count["equations"] += 1
        try:
            p = Parser(expr)
            node = p.parse()
        except ExprError as e:
            self.fail(line, f"{what}: cannot parse the expression {expr!r}: {e}")
            return None
        rounded = leaves_rounded(p.leaves) if callable(leaves_rounded) else leaves_rounded
        if len(rounded) != len(p.leaves):
            rounded = [sig_digits(t) >= 6 for t in p.leaves]
        try:
            value, E, A = evaluate(node, p.leaves, rounded)
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            self.fail(line, f"{what}: cannot evaluate {expr!r}: {e}")
            return None
        if scale != 1:
            value = value * scale if finite(value) else float(value) * float(scale)
            E, A = E * float(scale), A * scale
        self.compare(line, what, value, E, A, sign, result, all(r is not True for r in rounded))
        return value

    def compare(self, line, what, exact, E, A, sign, result, operands_exact=False):
        why = " (some operands are printed rounded)" if E > 0 else ""
        printed = parse_value(result)
        F64_MAX = 1.7976931348623157e308
        if finite(exact) and not finite(printed) and not math.isnan(printed) and abs(exact) > F64_MAX \
                and (exact > 0) == (printed > 0):
            self.note(line, f"{what}: {show(exact)[:12]}… overflows f64; printed {result}")
            return
        if finite(exact) and finite(printed) and printed == 0 and exact != 0 and abs(exact) < 2.3e-308:
            self.note(line, f"{what}: {float(exact):.3g} underflows f64 to 0")
            return
        if not finite(exact) or not finite(printed):
            if not same(exact, printed):
                self.fail(line, f"{what}: wrong result", show(exact), result)
            return
        if sign == "=":
            if exact != printed:
                self.fail(line, f"{what}: result after `=` is not the exact value of the printed expression{why}",
                          show(exact), result)
        else:
            tol = tolerance(E, A, printed)
            if abs(float(exact - printed)) > tol:
                self.fail(line, f"{what}: rounded result too far from the printed expression's value "
                                f"(tolerance {tol:.3g})", show(exact), result)
            elif self.pedantic and exact == printed and operands_exact:
                self.note(line, f"{what}: printed `≈`, but its operands are all exact and give exactly {result}")

    def store(self, key: str, line: int, text: str, sign: str):
        if key in self.sv:
            self.fail(line, f"{key} printed twice in this section (first on line {self.sv[key].line})")
        self.sv[key] = Val(text, sign == "≈", line)
        self.saw_value(key, self.sv[key])

    def saw_value(self, key: str, v: Val):
        if self.first_nonfinite is None and not finite(v.value):
            self.first_nonfinite = (key, v.text, v.line)

    # -- expected structure -----------------------------------------------------------------

    def z_terms(self, p: int, q: int) -> list[str]:
        (H, Wd), (KH, KW) = self.xshape, self.wshape
        (sh, sw), (ph, pw) = self.stride, self.padding
        out = []
        for i in range(KH):
            for j in range(KW):
                r, c = p * sh + i - ph, q * sw + j - pw
                if 0 <= r < H and 0 <= c < Wd:
                    wi, wj = (i, j) if self.kernel == "correlation" else (KH - 1 - i, KW - 1 - j)
                    out.append(f"x[{r},{c}]·w[{wi},{wj}]")
        if self.has_bias:
            out.append("b")
        return out

    def gw_terms(self, fi: int, fj: int) -> list[str]:
        (H, Wd), (KH, KW) = self.xshape, self.wshape
        (sh, sw), (ph, pw) = self.stride, self.padding
        (OH, OW) = self.tshape
        oi, oj = (fi, fj) if self.kernel == "correlation" else (KH - 1 - fi, KW - 1 - fj)
        out = []
        for p in range(OH):
            for q in range(OW):
                r, c = p * sh + oi - ph, q * sw + oj - pw
                if 0 <= r < H and 0 <= c < Wd:
                    out.append(f"δ[{p},{q}]·x[{r},{c}]")
        return out

    def gb_terms(self) -> list[str]:
        OH, OW = self.tshape
        return [f"δ[{p},{q}]" for p in range(OH) for q in range(OW)]

    # -- main loop --------------------------------------------------------------------------

    def run(self):
        i = 0
        n = len(self.lines)
        while i < n:
            ln, raw = self.lines[i]
            text = raw.strip()
            if self.ctx == "after" and text == "" and self.after_L is not None:
                # the result section has no blank line inside: it ends here; what follows must
                # be one of the sections known to come after it
                self.end_after(ln)
                self.ctx = "tail"
                i += 1
                continue
            if self.ctx == "tail" and text and self.allow_trailing and text not in (
                    "Check: finite differences", "Common mistakes, applied to step 1's numbers"):
                rest = [t for _, t in self.lines[i:] if t.strip()]
                self.note(ln, f"{len(rest)} line(s) after the end of the derivation are not checked")
                break
            try:
                i = self.dispatch(i, ln, raw, text)
            except (ValueError, ExprError, KeyError, IndexError, TypeError, ZeroDivisionError) as e:
                self.fail(ln, f"could not check this line ({type(e).__name__}: {e}): {text!r}")
                i += 1
        self.finish()

    POST = ("fd", "mistakes_intro", "mistake", "compared")

    def dispatch(self, i, ln, raw, text) -> int:
        if text == "":
            if self.ctx in self.POST:
                # the sections after the result have no blank line inside
                self.end_post(ln)
                self.ctx = "tail"
            return i + 1
        m = re.fullmatch(r"Training one convolutional layer: (\d+) steps? of gradient descent", text)
        if m and i == 0:
            self.nsteps = int(m.group(1))
            return i + 1
        if text == "Given" and self.ctx == "given":
            return i + 1
        # the sections after the result, each after a blank line
        if text == "Check: finite differences":
            self.count["structure"] += 1
            if self.ctx != "tail" or self.fd_seen or self.mistakes_seen:
                self.fail(ln, "finite-difference check out of place (it comes once, after the result and before the mistakes)")
            self.fd_seen = True
            self.ctx = "fd"
            return i + 1
        if text == "Common mistakes, applied to step 1's numbers":
            self.count["structure"] += 1
            if self.ctx != "tail" or self.mistakes_seen or not self.history:
                self.fail(ln, "mistakes section out of place (it comes once, after the result)")
            self.mistakes_seen = True
            self.ctx = "mistakes_intro"
            return i + 1
        m = re.fullmatch(r"Mistake (\d+): (.+)", text)
        if m:
            self.begin_mistake(ln, int(m.group(1)), m.group(2))
            return i + 1
        if text == "Mistakes compared":
            self.count["structure"] += 1
            if self.ctx != "tail" or not self.mistakes or self.compared_seen:
                self.fail(ln, "`Mistakes compared` out of place (it comes once, after the mistakes)")
            self.compared_seen = True
            self.ctx = "compared"
            return i + 1
        if self.ctx == "fd":
            return self.fd_line(i, ln, raw, text)
        if self.ctx == "compared":
            return self.compared_line(i, ln, raw, text)
        if self.ctx == "mistakes_intro":
            if text != "Each recipe below replaces one part of the correct step; everything else is as in step 1.":
                self.fail(ln, f"line not understood in the mistakes introduction: {text!r}")
            return i + 1
        if self.ctx == "tail":
            self.fail(ln, f"line not understood after the end of the derivation (an unknown section is not checked): {text!r}")
            return i + 1
        m = MAT_HEAD.match(text)
        if m:
            return self.matrix(i, m)
        if text.startswith("Note: "):
            self.check_note(ln, text[6:])
            return i + 1
        if self.ctx == "given":
            r = self.given_line(ln, text)
            if r:
                return i + 1
        m = re.fullmatch(r"Step (\d+)", text)
        if m and self.ctx in ("given", "step"):
            self.begin_step(ln, int(m.group(1)))
            return i + 1
        m = re.fullmatch(r"Result after (\d+) steps?", text)
        if m and self.ctx in ("given", "step"):
            self.begin_after(ln, int(m.group(1)))
            return i + 1
        if self.ctx == "mistake":
            r = self.mistake_line(i, ln, raw, text)
            if r is not None:
                return r
        if self.ctx in ("step", "after", "mistake"):
            r = self.step_line(i, ln, raw, text)
            if r is not None:
                return r
        if self.ctx == "after":
            r = self.after_line(i, ln, text)
            if r is not None:
                return r
        # nothing may pass unchecked: a line of prose that is not known is a failure too
        if re.search(r"\d", text):
            self.fail(ln, f"line not understood, its numbers are unchecked: {text!r}")
        else:
            self.fail(ln, f"line not understood (in section {self.ctx}): {text!r}")
        return i + 1

    # -- Given ------------------------------------------------------------------------------

    def given_line(self, ln, text) -> bool:
        m = re.fullmatch(rf"b \(bias\) ([=≈]) ({NUM})", text)
        if m:
            self.bias = Val(m.group(2), m.group(1) == "≈", ln)
            self.saw_value("b", self.bias)
            self.has_bias = True
            return True
        if text == "no bias term":
            self.has_bias = False
            return True
        m = re.fullmatch(rf"η \(learning rate\) ([=≈]) ({NUM})", text)
        if m:
            self.eta = Val(m.group(2), m.group(1) == "≈", ln)
            return True
        if text.startswith("activation: "):
            self.given_activation(ln, text[len("activation: "):])
            return True
        if text.startswith("loss: "):
            self.given_loss(ln, text[len("loss: "):])
            return True
        m = re.fullmatch(r"kernel: (correlation|convolution) \((.*)\)", text)
        if m:
            self.kernel = m.group(1)
            want = ("z = X ⋆ W: W slides over X as given, not flipped" if self.kernel == "correlation"
                    else "z = X ∗ W: W is rotated by 180° before it slides over X")
            if m.group(2) != want:
                self.fail(ln, "kernel description does not match the kernel", want, m.group(2))
            return True
        m = re.fullmatch(r"stride: (\d+|\((\d+), (\d+)\) \(rows, columns\)), padding: (\d+|\((\d+), (\d+)\) \(rows, columns\))", text)
        if m:
            def pair(whole, a, b):
                if a is not None:
                    if a == b:
                        self.fail(ln, "a pair with equal entries should be written as one number", a, whole)
                    return int(a), int(b)
                return int(whole), int(whole)
            self.stride = pair(m.group(1), m.group(2), m.group(3))
            self.padding = pair(m.group(4), m.group(5), m.group(6))
            return True
        if text == "Output size: ⌊(input + 2·padding − filter)/stride⌋ + 1":
            return True
        m = OUT_LINE.match(text)
        if m:
            self.output_size(ln, m)
            return True
        return False

    def given_activation(self, ln, s):
        m = re.fullmatch(rf"relu, y = max\(0, z\); f′ = 1 where z > 0, 0 where z < 0, and ({NUM}) at z = 0 \(relu_grad_at_zero\)", s)
        if m:
            self.act = "relu"
            self.g0 = Val(m.group(1), False, ln)
            if self.g0.value not in (0, 1):
                self.fail(ln, "relu_grad_at_zero must be 0 or 1", "0 or 1", m.group(1))
            return
        if s == "linear, y = z":
            self.act = "linear"
            return
        if s == "sigmoid, y = σ(z) = 1/(1 + e^(−z)); f′ = y·(1 − y)":
            self.act = "sigmoid"
            return
        if s == "tanh, y = tanh(z); f′ = 1 − y²":
            self.act = "tanh"
            return
        m = re.fullmatch(rf"leaky_relu\(({NUM})\), y = z where z > 0, ({NUM})·z elsewhere; f′ = 1 where z > 0, ({NUM}) elsewhere", s)
        if m:
            self.act = "leaky_relu"
            self.alpha = Val(m.group(1), MAYBE, ln)  # see b above
            for k in (2, 3):
                if m.group(k) != m.group(1):
                    self.fail(ln, "the leaky_relu slope is quoted inconsistently", m.group(1), m.group(k))
            return
        self.fail(ln, f"activation line not understood: {s!r}")

    def given_loss(self, ln, s):
        m = re.fullmatch(r"(half_sse|sse|mse), L = (?:(½|\(\d+/\d+\)|\d+)·)?Σ\(y − t\)², so ∂L/∂y = (?:(½|\(\d+/\d+\)|\d+)·\(y − t\)|y − t)", s)
        if not m:
            self.fail(ln, f"loss line not understood: {s!r}")
            return
        self.loss = m.group(1)
        self.lscale = parse_scale(m.group(2)) if m.group(2) else Fraction(1)
        self.gscale = parse_scale(m.group(3)) if m.group(3) else Fraction(1)
        self.lscale_text, self.gscale_text = m.group(2), m.group(3)
        n = self.tshape[0] * self.tshape[1] if self.tshape else None
        want = {"half_sse": (Fraction(1, 2), Fraction(1)), "sse": (Fraction(1), Fraction(2))}.get(self.loss)
        if self.loss == "mse" and n:
            want = (Fraction(1, n), Fraction(2, n))
        self.count["equations"] += 1
        if want and (self.lscale, self.gscale) != want:
            self.fail(ln, f"{self.loss}: scales of L and ∂L/∂y are wrong",
                      f"{show(want[0])} and {show(want[1])}", f"{show(self.lscale)} and {show(self.gscale)}")
        if self.gscale != 2 * self.lscale:
            self.fail(ln, "∂L/∂y's factor must be twice L's factor (d/dy of s·(y − t)² is 2s·(y − t))",
                      show(2 * self.lscale), show(self.gscale))

    def output_size(self, ln, m):
        which, expr, out = m.group(1), m.group(2), m.group(3)
        k = 0 if which == "OH" else 1
        if not (self.xshape and self.wshape and self.stride and self.padding):
            self.fail(ln, "output size printed before the shapes, stride and padding")
            return
        inp, flt = self.xshape[k], self.wshape[k]
        s, pad = self.stride[k], self.padding[k]
        plain = re.fullmatch(r"\((\d+) \+ 2·(\d+) − (\d+)\)/(\d+) \+ 1", expr)
        floor = re.fullmatch(r"⌊\((\d+) \+ 2·(\d+) − (\d+)\)/(\d+)⌋ \+ 1 = ⌊(\d+)/(\d+)⌋ \+ 1", expr)
        mm = plain or floor
        if not mm:
            self.fail(ln, f"output-size line not understood: {expr!r}")
            return
        for got, want, name in zip(mm.groups()[:4], (inp, pad, flt, s), ("input", "padding", "filter", "stride")):
            self.count["operands"] += 1
            if int(got) != want:
                self.fail(ln, f"{which}: the {name} operand differs from Given", want, got)
        if floor:
            self.count["operands"] += 2
            span, s2 = int(floor.group(5)), int(floor.group(6))
            self.count["equations"] += 1
            a, p2, f = (int(floor.group(j)) for j in (1, 2, 3))
            if span != a + 2 * p2 - f:
                self.fail(ln, f"{which}: input + 2·padding − filter", a + 2 * p2 - f, span)
            if s2 != int(floor.group(4)):
                self.fail(ln, f"{which}: the stride is quoted inconsistently", floor.group(4), s2)
            self.judge(ln, which, f"⌊{span}/{s2}⌋ + 1", [False, False, False], "=", out)
            self.judge(ln, which, f"⌊({floor.group(1)} + 2·{floor.group(2)} − {floor.group(3)})/{floor.group(4)}⌋ + 1",
                       [False] * 6, "=", out)
        else:
            self.judge(ln, which, expr, [False] * 6, "=", out)
        self.count["structure"] += 1
        if self.tshape and int(out) != self.tshape[k]:
            self.fail(ln, f"{which} differs from the target's shape", self.tshape[k], out)

    # -- matrices ---------------------------------------------------------------------------

    def matrix(self, i, m) -> int:
        ln, raw = self.lines[i]
        label, sign, first = m.group(1), m.group(8), m.group(9)
        indent = raw[: len(raw) - len(raw.lstrip(" "))]
        head = f"{label} {sign} "
        rows = [(ln, raw, first)]
        j = i + 1
        while j < len(self.lines):
            ln2, raw2 = self.lines[j]
            mm = MAT_ROW.match(raw2.strip())
            if not mm:
                break
            rows.append((ln2, raw2, mm.group(1)))
            j += 1
        self.count["matrices"] += 1
        cells = [r[2].split() for r in rows]
        ncols = len(cells[0])
        if any(len(c) != ncols for c in cells):
            self.fail(ln, f"matrix {label}: rows have different numbers of entries",
                      ncols, [len(c) for c in cells])
            return j
        try:
            vals = [[parse_value(c) for c in row] for row in cells]
        except ValueError as e:
            self.fail(ln, f"matrix {label}: {e}")
            return j
        # alignment: right-aligned columns, one space after `[`, two between columns
        widths = [max(len(cells[r][c]) for r in range(len(cells))) for c in range(ncols)]
        for r, (ln2, raw2, _) in enumerate(rows):
            want = indent + (head if r == 0 else " " * len(head)) + "["
            for c in range(ncols):
                gap = 1 if c == 0 else 2
                want += " " * (gap + widths[c] - len(cells[r][c])) + cells[r][c]
            want += " ]"
            if raw2.rstrip("\n") != want:
                self.fail(ln2, f"matrix {label}: row {r} is not column-aligned", repr(want.strip() if r else want.lstrip()), repr(raw2.strip() if r else raw2.lstrip()))
        shape = (len(cells), ncols)
        given = re.match(r"^(X|W|t) \(\w+, (\d+)×(\d+)\)$", label)
        if given:
            name = given.group(1)
            declared = (int(given.group(2)), int(given.group(3)))
            self.count["structure"] += 1
            if declared != shape:
                self.fail(ln, f"matrix {name}: declared shape differs from its rows", f"{declared[0]}×{declared[1]}",
                          f"{shape[0]}×{shape[1]}")
            # which entries of a Given matrix marked `≈` are rounded cannot be told from the
            # text (−0.6221601977 prints as −0.62216): treat them all as rounded, which only
            # widens the tolerance of the lines that use them
            table = {}
            for r in range(shape[0]):
                for c in range(shape[1]):
                    table[(r, c)] = Val(cells[r][c], sign == "≈", rows[r][0])
            for (r, c), v in table.items():
                self.saw_value(f"{name.lower()}[{r},{c}]", v)
            if name == "X":
                self.X, self.xshape = table, shape
            elif name == "W":
                self.W0, self.wshape = table, shape
                self.cur_w = dict(table)
            else:
                self.T, self.tshape = table, shape
            return j
        # computed matrices: compare with the values their equations printed
        kinds = {"z": "z", "y": "y", "δ": "δ", "∂L/∂W": "∂L/∂w", "e": "e", "δ̃": "δ̃", "g": "g"}
        if label in kinds:
            expect_shape = self.wshape if label in ("∂L/∂W", "g") else self.tshape
            get = lambda r, c: self.sv.get(f"{kinds[label]}[{r},{c}]")
        elif label == "W":
            expect_shape = self.wshape
            get = lambda r, c: self.new_w.get((r, c))
        else:  # final W
            expect_shape = self.wshape
            last = self.history[-1]["new_w"] if self.history else self.W0
            get = lambda r, c: last.get((r, c))
            self.final_w_seen = True
        if shape != expect_shape:
            self.fail(ln, f"matrix {label}: wrong shape", expect_shape, shape)
            return j
        any_rounded = False
        for r in range(shape[0]):
            for c in range(shape[1]):
                rec = get(r, c)
                self.count["operands"] += 1
                sym = f"{kinds.get(label, 'w')}[{r},{c}]"
                if rec is None:
                    self.fail(rows[r][0], f"matrix {label}: no equation for {sym} was printed before it",
                              "an equation", cells[r][c])
                    continue
                any_rounded |= rec.rounded is True
                if rec.text != cells[r][c]:
                    self.fail(rows[r][0], f"matrix {label}: entry {sym} differs from its equation on line {rec.line}",
                              rec.text, cells[r][c])
        want_sign = "≈" if any_rounded else "="
        if sign != want_sign:
            self.fail(ln, f"matrix {label}: sign should be `{want_sign}` "
                          f"({'an entry is' if any_rounded else 'no entry is'} rounded)", want_sign, sign)
        return j

    # -- steps ------------------------------------------------------------------------------

    def missing_notes(self, ln):
        """Notes the renderer owes: a rise of the loss, and (in a step) ReLU outputs that are off
        or exactly at the kink."""
        L = self.sv.get("L")
        prev = None
        if self.ctx == "step" and self.step > 1:
            prev = self.history[-2].get("L")
        elif self.ctx == "after" and self.history:
            prev = self.history[-1].get("L")
        if L and prev and finite(L.value) and finite(prev.value) and L.value > prev.value \
                and "rose" not in self.noted:
            self.fail(ln, f"the loss rose from {prev.text} to {L.text} but no note says so")
        if self.ctx != "step":
            return
        zs = {k: v for k, v in self.sv.items() if k.startswith("z[")}
        if self.act == "relu" and "negative" not in self.noted and any(
                finite(v.value) and v.value < 0 for v in zs.values()):
            self.fail(ln, f"step {self.step}: some z < 0 (the ReLU is off there) but no note says so")
        if self.act in ("relu", "leaky_relu") and "zero" not in self.noted and any(
                same(v.value, Fraction(0)) for v in zs.values()):
            self.fail(ln, f"step {self.step}: some z = 0 exactly (the kink) but no note says so")

    def close_step(self, ln):
        """Ends the current step: its updated W and b become the current parameters."""
        if self.ctx == "given" and self.act and self.tshape and "unreachable" not in self.noted:
            rng = {"relu": (0, math.inf, True), "sigmoid": (0, 1, False), "tanh": (-1, 1, False)}.get(self.act)
            if rng and any(finite(v.value) and (v.value < rng[0] or v.value >= rng[1] or
                                                (not rng[2] and v.value == rng[0])) for v in self.T.values()):
                self.fail(ln, "a target lies outside the activation's range but no note says so")
            self.noted = set()
        if self.ctx != "step":
            return
        self.flush_pending(ln)
        self.missing_notes(ln)
        rec = self.history[-1]
        rec["sv"] = dict(self.sv)
        if "L" not in self.sv:
            self.fail(ln, f"step {self.step}: no loss line")
        rec["L"] = self.sv.get("L")
        KH, KW = self.wshape
        for i in range(KH):
            for j in range(KW):
                if (i, j) not in self.new_w:
                    self.fail(ln, f"step {self.step}: no update printed for w[{i},{j}]")
                    self.new_w[(i, j)] = self.cur_w[(i, j)]
        if self.has_bias and self.new_b is None:
            self.fail(ln, f"step {self.step}: no update printed for b")
            self.new_b = self.cur_b
        rec["new_w"], rec["new_b"] = dict(self.new_w), self.new_b
        for check in self.deferred:
            check()
        self.deferred = []
        self.cur_w, self.cur_b = dict(self.new_w), self.new_b

    def begin_step(self, ln, k):
        if self.ctx == "given":
            self.setup(ln)
        self.close_step(ln)
        self.count["structure"] += 1
        if k != self.step + 1:
            self.fail(ln, "steps are not numbered consecutively", self.step + 1, k)
        self.ctx, self.step = "step", k
        self.sv, self.new_w, self.new_b = {}, {}, None
        self.noted = set()
        self.history.append({"w": dict(self.cur_w), "b": self.cur_b, "line": ln})

    def setup(self, ln):
        missing = [n for n, v in (("X", self.xshape), ("W", self.wshape), ("t", self.tshape),
                                  ("η", self.eta), ("activation", self.act), ("loss", self.loss),
                                  ("kernel", self.kernel), ("stride", self.stride),
                                  ("bias", self.has_bias)) if v is None]
        if missing:
            raise ValueError(f"Given section lacks {', '.join(missing)}")
        self.cur_b = self.bias
        self.cur_w = dict(self.W0)

    def begin_after(self, ln, k):
        if self.ctx == "given":
            self.setup(ln)
        self.close_step(ln)
        self.count["structure"] += 1
        if k != self.step:
            self.fail(ln, "`Result after N steps` does not match the number of steps printed", self.step, k)
        if self.nsteps is not None and k != self.nsteps and not self.stopped_note_expected():
            self.fail(ln, "fewer steps than announced in the title, and no non-finite value explains it",
                      self.nsteps, k)
        self.ctx = "after"
        self.sv, self.new_w, self.new_b = {}, {}, None
        self.noted = set()

    def stopped_note_expected(self) -> bool:
        return getattr(self, "saw_nonfinite_note", False)

    def step_line(self, i, ln, raw, text):
        if self.symbolic_line(ln, text):
            return i + 1
        m = re.fullmatch(r"Forward: z = X ([⋆∗]) W( \+ b)?", text)
        if m:
            self.count["structure"] += 1
            want_op = "⋆" if self.kernel == "correlation" else "∗"
            if m.group(1) != want_op or bool(m.group(2)) != self.has_bias:
                self.fail(ln, "forward header does not match the kernel or the bias",
                          f"X {want_op} W{' + b' if self.has_bias else ''}", text[len('Forward: z = '):])
            return i + 1
        if text.startswith("z[p,q] = Σ "):
            self.index_formula(ln, text, forward=True)
            return i + 1
        if text.startswith("∂L/∂w[i,j] = Σ "):
            self.index_formula(ln, text, forward=False)
            return i + 1
        m = NAMED_SUM.match(text)
        if m:
            return self.named_sum(i, ln, raw, m)
        m = EMPTY_SUM.match(text)
        if m:
            lhs = m.group(1)
            self.count["structure"] += 1
            want = self.expected_terms(lhs)
            if want:
                self.fail(ln, f"{lhs}: printed as an empty sum, but its sum has terms", " + ".join(want), "0")
            self.count["equations"] += 1
            self.check_place(ln, lhs)
            self.pending.pop(lhs, None)
            self.store(lhs, ln, "0", "=")
            return i + 1
        m = NUM_SUM.match(text)
        if m:
            self.num_sum(ln, m)
            return i + 1
        m = re.fullmatch(r"Activation: (linear, y = z|y = (.*))", text)
        if m:
            want = {"relu": "max(0, z)", "sigmoid": "σ(z)", "tanh": "tanh(z)",
                    "leaky_relu": f"z where z > 0, {self.alpha.text if self.alpha else '?'}·z elsewhere"}.get(self.act)
            self.count["structure"] += 1
            if m.group(1).startswith("linear"):
                if self.act != "linear":
                    self.fail(ln, "activation header says linear but Given does not", self.act, "linear")
                for key, v in list(self.sv.items()):
                    if key.startswith("z["):
                        self.sv["y" + key[1:]] = v
            elif m.group(2) != want:
                self.fail(ln, "activation header does not match Given", want, m.group(2))
            return i + 1
        m = Y_LINE.match(text)
        if m:
            self.y_line(ln, m)
            return i + 1
        m = re.fullmatch(r"Loss: L = (?:(.+)·)?Σ\(y − t\)²", text)
        if m:
            self.count["structure"] += 1
            if (parse_scale(m.group(1)) if m.group(1) else 1) != self.lscale:
                self.fail(ln, "loss header's factor differs from Given", scale_text(self.lscale), m.group(1) or "1")
            return i + 1
        m = L_LINE.match(text)
        if m:
            self.loss_line(ln, m)
            return i + 1
        if self.ctx in ("after", "mistake"):
            return None
        m = re.fullmatch(r"Gradient of the loss: ∂L/∂y = (?:(.+)·\(y − t\)|y − t)", text)
        if m:
            self.count["structure"] += 1
            if (parse_scale(m.group(1)) if m.group(1) else 1) != self.gscale:
                self.fail(ln, "∂L/∂y header's factor differs from Given", scale_text(self.gscale), m.group(1) or "1")
            return i + 1
        if text in SIGN_PROSE:
            return i + 1
        m = DY_LINE.match(text)
        if m:
            self.dy_line(ln, m)
            return i + 1
        if text == "Activation derivative f′(z)":
            if self.act == "linear":
                self.fail(ln, "linear activation should not list f′ values")
            return i + 1
        if text == "Activation derivative: f′(z) = 1 everywhere (linear), so δ = ∂L/∂y":
            self.count["structure"] += 1
            if self.act != "linear":
                self.fail(ln, "says f′ = 1 everywhere, but the activation is not linear", self.act, "linear")
            OH, OW = self.tshape
            for p in range(OH):
                for q in range(OW):
                    self.sv[f"f′(z[{p},{q}])"] = Val("1", False, ln)
            return i + 1
        m = FP_LINE.match(text)
        if m:
            self.fp_line(ln, m)
            return i + 1
        if text == "δ = ∂L/∂z = ∂L/∂y ⊙ f′(z)":
            return i + 1
        m = DELTA_LINE.match(text)
        if m:
            self.delta_line(ln, m)
            return i + 1
        if text.startswith("Filter gradient: "):
            want = ("∂L/∂W = X ⋆ δ, the input correlated with δ" if self.kernel == "correlation" else
                    "∂L/∂W = rot180(X ⋆ δ), the input correlated with δ, then rotated by 180°")
            self.count["structure"] += 1
            if text[len("Filter gradient: "):] != want:
                self.fail(ln, "filter-gradient header does not match the kernel", want, text[len('Filter gradient: '):])
            return i + 1
        if text == "(the forward pass used W rotated, so w[i,j] met the inputs of kernel offset (KH−1−i, KW−1−j))":
            if self.kernel != "convolution":
                self.fail(ln, "rotation remark printed for a correlation kernel")
            return i + 1
        m = re.fullmatch(r"\(with stride (.+), the entries of δ are spread (.+) apart over the input\)", text)
        if m:
            self.count["structure"] += 1
            sh, sw = self.stride
            want = str(sh) if sh == sw else f"({sh}, {sw}) (rows, columns)"
            if m.group(1) != want or m.group(2) != want or self.stride == (1, 1):
                self.fail(ln, "stride remark does not match Given", want, f"{m.group(1)} / {m.group(2)}")
            return i + 1
        if text == "Bias gradient: ∂L/∂b = Σ δ":
            if not self.has_bias:
                self.fail(ln, "bias gradient printed for a layer without bias")
            return i + 1
        m = re.fullmatch(r"Update: W ← W − η·∂L/∂W(, b ← b − η·∂L/∂b)?", text)
        if m:
            if bool(m.group(1)) != self.has_bias:
                self.fail(ln, "update header does not match the bias")
            return i + 1
        m = UPD_LINE.match(text)
        if m:
            self.update_line(ln, m)
            return i + 1
        return None

    def index_formula(self, ln, text, forward: bool):
        """Checks `z[p,q] = Σ x[3p + i − 1, …]·w[2 − i, 2 − j]` (and the ∂L/∂w one) against the
        definition, for every output and filter position."""
        self.count["structure"] += 1
        (H, Wd), (KH, KW), (OH, OW) = self.xshape, self.wshape, self.tshape
        (sh, sw), (ph, pw) = self.stride, self.padding
        if forward:
            pad_note = "" if (ph, pw) == (0, 0) else " (terms on zero padding are 0 and left out)"
            m = re.fullmatch(r"z\[p,q\] = Σ x\[([^],]+), ([^],]+)\]·w\[([^],]+), ?([^],]+)\]( \+ b)?, over all filter entries \(i,j\)(.*)", text)
        else:
            pad_note = ""
            m = re.fullmatch(r"∂L/∂w\[i,j\] = Σ δ\[p,q\]·x\[([^],]+), ([^],]+)\], over all outputs \(p,q\)()()()()", text)
        if not m:
            self.fail(ln, f"index formula not understood: {text!r}")
            return
        if forward and (bool(m.group(5)) != self.has_bias or m.group(6) != pad_note):
            self.fail(ln, "index formula: bias or padding remark does not match Given")

        def ev(expr, env):
            e = expr.replace("−", "-")
            e = re.sub(r"(\d)([pqij])", r"\1*\2", e)
            if not re.fullmatch(r"[0-9pqij+\-* ]+", e):
                raise ValueError(expr)
            return eval(e, {"__builtins__": {}}, env)  # noqa: S307 (digits, p q i j, + - * only)

        conv = self.kernel == "convolution"
        # a general formula: test it beyond the actual ranges too, so that a 1-wide output or
        # filter (p = 0 only) still pins down its coefficients
        for p in range(max(OH, 2)):
            for q in range(max(OW, 2)):
                for i in range(max(KH, 2)):
                    for j in range(max(KW, 2)):
                        env = {"p": p, "q": q, "i": i, "j": j}
                        if forward:
                            # z[p,q] = Σ_(i,j) xpad[s·p + i, s·q + j]·w'[i,j], w' = W or rot180(W)
                            want = (p * sh + i - ph, q * sw + j - pw,
                                    (KH - 1 - i) if conv else i, (KW - 1 - j) if conv else j)
                            got = tuple(ev(m.group(k), env) for k in (1, 2, 3, 4))
                        else:
                            # ∂L/∂w[i,j] = Σ_(p,q) δ[p,q]·xpad[s·p + o_i, s·q + o_j], o = the
                            # kernel offset at which w[i,j] met the input
                            oi, oj = ((KH - 1 - i), (KW - 1 - j)) if conv else (i, j)
                            want = (p * sh + oi - ph, q * sw + oj - pw)
                            got = tuple(ev(m.group(k), env) for k in (1, 2))
                        if got != want:
                            self.fail(ln, f"index formula wrong at p={p}, q={q}, i={i}, j={j}",
                                      want, got)
                            return

    def expected_terms(self, lhs: str) -> list[str]:
        m = re.fullmatch(r"(z|∂L/∂w|g)\[(\d+),(\d+)\]", lhs)
        if m:
            a, b = int(m.group(2)), int(m.group(3))
            if m.group(1) == "z":
                return self.z_terms(a, b)
            if m.group(1) == "∂L/∂w":
                return self.gw_terms(a, b)
            KH, KW = self.wshape
            if self.mistake_kind == "flip":
                # the other kernel orientation: the terms of ∂L/∂w[KH−1−i, KW−1−j]
                return self.gw_terms(KH - 1 - a, KW - 1 - b)
            terms = self.gw_terms(a, b)
            return [t.replace("δ[", "δ̃[" if self.mistake_kind == "sign" else "∂L/∂y[") for t in terms]
        if lhs == "g_b":
            return [t.replace("δ[", "δ̃[" if self.mistake_kind == "sign" else "∂L/∂y[") for t in self.gb_terms()]
        return self.gb_terms()

    def check_place(self, ln, key: str) -> bool:
        """Is an equation for `key` in its place: the forward pass (z, y, L) in a step, in the
        result and in a mistake's forward pass; the backward pass in a step; e, δ̃, g, g_b and
        the updates of a mistake before its forward pass."""
        kind = sym_kind(key)
        forward = kind in ("z", "y", "L")
        if self.ctx == "step":
            ok = kind not in ("e", "δ̃", "g", "g_b")
        elif self.ctx == "after":
            ok = forward
        elif self.ctx == "mistake":
            if self.mstate == "forward":
                ok = forward
            else:
                allowed = {"sign": ("e", "δ̃", "g", "g_b"), "noact": ("g", "g_b"), "flip": ("g",)}[self.mistake_kind]
                ok = kind in allowed or kind in ("w ←", "b ←")
        else:
            ok = False
        if not ok:
            where = {"after": "the final forward pass", "mistake": f"mistake {self.mistake} ({self.mstate} part)"}.get(self.ctx, self.ctx)
            self.fail(ln, f"{key} printed in {where}, where it does not belong")
        return ok

    def check_terms(self, ln, lhs, terms, names):
        # structure: the terms the definition calls for
        self.count["structure"] += 1
        want = self.expected_terms(lhs)
        if sorted(terms) != sorted(want):
            missing = [t for t in want if t not in terms]
            extra = [t for t in terms if t not in want]
            self.fail(ln, f"{lhs}: the terms differ from the definition (missing {missing or 'none'}, unexpected {extra or 'none'})",
                      " + ".join(want), names)
        elif terms != want:
            self.note(ln, f"{lhs}: terms in an unusual order")

    def named_sum(self, i, ln, raw, m) -> int:
        lhs, names = m.group(1), m.group(m.lastindex)
        self.check_place(ln, lhs)
        terms = names.split(" + ")
        self.check_terms(ln, lhs, terms, names)
        c = CONT.match(self.lines[i + 1][1].strip()) if i + 1 < len(self.lines) else None
        if not c:
            # the symbolic form: the numbers come on their own line further down
            self.mark_symbolic(ln, lhs, terms)
            return i + 1
        ln2, raw2 = self.lines[i + 1]
        lead = raw[: len(raw) - len(raw.lstrip(" "))]
        want_lead = lead + " " * len(lhs) + " = "
        if not raw2.startswith(want_lead):
            self.fail(ln2, f"{lhs}: the `=` of the numbers line is not under the `=` of the names line")
        self.sum_numbers(ln2, lhs, terms, c.group(1), c.group(2), c.group(3))
        return i + 2

    def num_sum(self, ln, m):
        """A sum printed with numbers only: its terms are those of its symbolic line (symbolic
        form) or, for g and g_b in a mistake, those the mistake's recipe calls for."""
        lhs, body, sign, result = m.group(1), m.group(8), m.group(9), m.group(10)
        self.check_place(ln, lhs)
        pend = self.pending.pop(lhs, None)
        if pend is not None:
            terms = pend[1]
        else:
            terms = self.expected_terms(lhs)
            if not (self.ctx == "mistake" and sym_kind(lhs) in ("g", "g_b")) or sym_kind(lhs) in self.sym_kinds:
                self.fail(ln, f"{lhs}: a numbers line without its symbolic line before it "
                              f"(or without the names line above it)")
            else:
                self.count["structure"] += 1  # the terms are implied by the recipe
        self.sum_numbers(ln, lhs, terms, body, sign, result)

    def sum_numbers(self, ln2, lhs, terms, body, sign, result):
        """Checks the numbers of a sum against its terms, operand by operand, and its result."""
        nterms = body.split(" + ")
        if len(nterms) != len(terms):
            self.fail(ln2, f"{lhs}: the numbers line has {len(nterms)} terms, the names line {len(terms)}",
                      len(terms), len(nterms))
            self.store(lhs, ln2, result, sign)
            return
        rounded = []
        alone = len(terms) == 1
        for k, (sym_t, num_t) in enumerate(zip(terms, nterms)):
            syms = sym_t.split("·")
            nums = num_t.split("·")
            if len(syms) != len(nums):
                self.fail(ln2, f"{lhs}: term {k + 1} is `{num_t}`, the names say `{sym_t}`")
                self.store(lhs, ln2, result, sign)
                return
            for s, t in zip(syms, nums):
                is_product = len(syms) > 1 or not alone
                if not re.fullmatch(FAC if is_product else NUM, t):
                    self.fail(ln2, f"{lhs}: operand {t!r} of {s} is not a number in the printed form "
                                   f"(negatives in parentheses inside sums and products)")
                rounded.append(self.operand(ln2, s, t, f"{lhs} (term {k + 1}, {sym_t})"))
        self.judge(ln2, lhs, body, rounded, sign, result)
        self.store(lhs, ln2, result, sign)
        if lhs.startswith("z[") and self.ctx == "after":
            for t in terms:
                mx = re.match(r"x\[(\d+),(\d+)\]", t)
                if mx:
                    self.x_used_after.add((int(mx.group(1)), int(mx.group(2))))

    # -- the symbolic form ------------------------------------------------------------------

    def mark_symbolic(self, ln, key, terms=None):
        self.count["structure"] += 1
        if key in self.pending:
            self.fail(ln, f"{key}: symbolic line printed twice (first on line {self.pending[key][0]})")
        if key in self.sv or (key.endswith(" ←") and self.update_done(key)):
            self.fail(ln, f"{key}: symbolic line after the numbers it stands for")
        self.pending[key] = (ln, terms)
        self.sym_kinds.add(sym_kind(key))
        if self.ctx in ("step", "after"):
            self.symbolic = True

    def update_done(self, key) -> bool:
        if key == "b ←":
            return self.new_b is not None
        m = re.match(r"w\[(\d+),(\d+)\]", key)
        return bool(m) and (int(m.group(1)), int(m.group(2))) in self.new_w

    def numeric_done(self, ln, key):
        """A numbers line for `key`: in the symbolic form its symbolic line must come first."""
        if self.pending.pop(key, None) is not None:
            return
        if (self.symbolic and self.ctx in ("step", "after")) or sym_kind(key) in self.sym_kinds:
            self.fail(ln, f"{key}: a numbers line without its symbolic line before it")

    def flush_pending(self, ln):
        for key, (lns, _) in sorted(self.pending.items(), key=lambda kv: kv[1][0]):
            self.fail(lns, f"{key}: symbolic line without the numbers line after it")
        self.pending = {}
        self.sym_kinds = set()

    def symbolic_line(self, ln, text) -> bool:
        """`y[0,0] = max(0, z[0,0])`, `δ[0,0] = ∂L/∂y[0,0]·f′(z[0,0])`, `w[0,0] ← w[0,0] − η·∂L/∂w[0,0]`,
        …: checks that it is the right formula for its entry."""
        m = SYM_LINE.match(text)
        if not m:
            return False
        lhs, op, rhs = m.groups()
        if re.search(rf" [=≈] {NUM}$", rhs) or "   (z[" in rhs:
            return False
        if not (re.search(r"\[\d+,\d+\]", rhs) or "η" in rhs):
            return False
        if (op == "←") != (lhs.startswith("w[") or lhs == "b"):
            return False
        key = f"{lhs} ←" if op == "←" else lhs
        self.count["equations"] += 1
        self.check_place(ln, key)
        idx = re.search(IDX, lhs)
        p, q = (int(idx.group(1)), int(idx.group(2))) if idx else (None, None)
        want = None
        scale_of = None  # (Given's factor, its text) for the forms with a loss factor
        kind = sym_kind(key)
        if kind == "y":
            want = {"relu": f"max(0, z[{p},{q}])", "sigmoid": f"σ(z[{p},{q}])", "tanh": f"tanh(z[{p},{q}])",
                    "leaky_relu": f"leaky_relu(z[{p},{q}])"}.get(self.act)
        elif kind == "L":
            OH, OW = self.tshape
            body = " + ".join(f"(y[{a},{b}] − t[{a},{b}])²" for a in range(OH) for b in range(OW))
            want = f"{self.lscale_text}[{body}]" if self.lscale_text else body
            scale_of = (self.lscale, body)
        elif kind in ("∂L/∂y", "e"):
            diff = f"y[{p},{q}] − t[{p},{q}]" if kind == "∂L/∂y" else f"t[{p},{q}] − y[{p},{q}]"
            want = f"{self.gscale_text}·({diff})" if self.gscale_text else diff
            scale_of = (self.gscale, f"({diff})" if self.gscale_text else diff)
        elif kind == "f′(z":
            want = {"relu": f"relu′(z[{p},{q}])", "leaky_relu": f"leaky_relu′(z[{p},{q}])",
                    "sigmoid": f"y[{p},{q}]·(1 − y[{p},{q}])", "tanh": f"1 − y[{p},{q}]²"}.get(self.act)
        elif kind == "δ":
            want = f"∂L/∂y[{p},{q}]·f′(z[{p},{q}])"
        elif kind == "δ̃":
            want = f"e[{p},{q}]·f′(z[{p},{q}])"
        elif kind == "w ←":
            g = "g" if self.ctx == "mistake" else "∂L/∂w"
            want = f"w[{p},{q}] − η·{g}[{p},{q}]"
        elif kind == "b ←":
            if not self.has_bias:
                self.fail(ln, "b updated in a layer without bias")
            g = "∂L/∂b" if self.ctx != "mistake" or self.mistake_kind == "flip" else "g_b"
            want = f"b − η·{g}"
        if want is None:
            self.fail(ln, f"{key}: no symbolic line of this kind belongs to the {self.act} activation: {rhs!r}")
        elif rhs != want:
            ok = False
            if scale_of is not None:
                # a factor written differently (as (2/4) for (1/2)) is still the same factor
                stext, scale, body = split_scale(rhs)
                ok = stext is not None and scale == scale_of[0] and body in (scale_of[1], scale_of[1].strip("[]"))
            if not ok:
                self.fail(ln, f"{key}: the symbolic line is not the formula for this entry", want, rhs)
        self.mark_symbolic(ln, key)
        return True

    def y_line(self, ln, m):
        p, q, rhs, sign, result = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5)
        key = f"y[{p},{q}]"
        zsym = f"z[{p},{q}]"
        self.count["equations"] += 1
        self.check_place(ln, key)
        self.numeric_done(ln, key)
        forms = {
            "relu": rf"max\(0, ({NUM})\)",
            "sigmoid": rf"σ\(({NUM})\)",
            "tanh": rf"tanh\(({NUM})\)",
            "leaky_relu": rf"leaky_relu\(({NUM})\)(?: = ({NUM})·({FAC}))?",
        }
        form = forms.get(self.act)
        mm = re.fullmatch(form, rhs) if form else None
        if not mm:
            self.fail(ln, f"{key}: not the form of the {self.act} activation: {rhs!r}")
            self.store(key, ln, result, sign)
            return
        z_text = mm.group(1)
        z_rounded = self.operand(ln, zsym, z_text, key)
        z = parse_value(z_text)
        printed = parse_value(result)
        if self.act == "relu":
            exact = z if not finite(z) else max(Fraction(0), z)
            if isinstance(z, float) and math.isnan(z):
                exact = z
            E = half_unit(z) if z_rounded and finite(z) else 0.0
            self.compare(ln, key, exact, E, abs(z) if finite(z) else 0, sign, result)
        elif self.act in ("sigmoid", "tanh"):
            if not finite(z):
                exact = {math.inf: 1.0, -math.inf: 0.0 if self.act == "sigmoid" else -1.0}.get(z, math.nan)
                self.compare(ln, key, exact, 0.0, 0, sign, result)
            else:
                zf = float(z)
                f = sigmoid(zf) if self.act == "sigmoid" else math.tanh(zf)
                slope = f * (1 - f) if self.act == "sigmoid" else 1 - f * f
                if sign == "=":
                    # σ(z) and tanh(z) are irrational for every rational z ≠ 0
                    zero = Fraction(1, 2) if self.act == "sigmoid" else Fraction(0)
                    if not (z == 0 and printed == zero):
                        self.fail(ln, f"{key}: {self.act}({z_text}) is irrational; it cannot equal {result} exactly "
                                      f"(`≈` expected)", f"≈ {f:.12g}".replace("-", "−"), f"= {result}")
                else:
                    E = half_unit(z) * slope if z_rounded else 0.0
                    tol = tolerance(E, 0, printed)
                    if abs(f - float(printed)) > tol:
                        self.fail(ln, f"{key}: {self.act}({z_text}) is not {result} to 6 significant digits "
                                      f"(tolerance {tol:.3g})", f"{f:.12g}".replace("-", "−"), result)
        else:  # leaky_relu
            a_text, z2_text = mm.group(2), mm.group(3)
            negative = finite(z) and z < 0 or z == -math.inf
            if negative and a_text is None:
                self.fail(ln, f"{key}: z < 0, so the line should show α·z", f"leaky_relu({z_text}) = α·({z_text})", rhs)
            if not negative and a_text is not None:
                self.fail(ln, f"{key}: z ≥ 0, so leaky_relu(z) = z and no α·z", f"leaky_relu({z_text})", rhs)
            if a_text is not None:
                self.count["operands"] += 2
                if z2_text.strip("()") != z_text:
                    self.fail(ln, f"{key}: the z in α·z differs from the argument", z_text, z2_text)
                if self.alpha is None or a_text != self.alpha.text:
                    self.fail(ln, f"{key}: α differs from Given", self.alpha.text if self.alpha else None, a_text)
                a_rounded = self.alpha.rounded if self.alpha else True
                self.judge(ln, key, f"{a_text}·{z2_text}", [a_rounded, z_rounded], sign, result)
                self.count["equations"] -= 1
            else:
                E = half_unit(z) if z_rounded and finite(z) else 0.0
                self.compare(ln, key, z, E, abs(z) if finite(z) else 0, sign, result)
        self.store(key, ln, result, sign)

    def loss_line(self, ln, m):
        rhs, sign, result = m.group(1), m.group(2), m.group(3)
        self.check_place(ln, "L")
        self.numeric_done(ln, "L")
        stext, scale, body = split_scale(rhs)
        self.count["structure"] += 1
        if scale != self.lscale:
            self.fail(ln, "L: the factor differs from Given's loss", scale_text(self.lscale), stext or "1")
        OH, OW = self.tshape
        terms = body.split(" + ")
        syms = [(f"y[{p},{q}]", f"t[{p},{q}]") for p in range(OH) for q in range(OW)]
        if len(terms) != len(syms):
            self.fail(ln, "L: the number of (y − t)² terms differs from the number of outputs", len(syms), len(terms))
            return
        rounded = []
        for (ys, ts), term in zip(syms, terms):
            mm = re.fullmatch(rf"\(({NUM}) − ({FAC})\)²", term)
            if not mm:
                self.fail(ln, f"L: term {term!r} is not of the form (y − t)²")
                return
            rounded.append(self.operand(ln, ys, mm.group(1), "L"))
            rounded.append(self.operand(ln, ts, mm.group(2), "L"))
        self.judge(ln, "L", body, rounded, sign, result, scale)
        self.store("L", ln, result, sign)
        if self.ctx == "after":
            self.after_L = self.sv["L"]

    def dy_line(self, ln, m):
        self.scaled_difference(ln, m, "∂L/∂y", ("y", "t"))

    def scaled_difference(self, ln, m, name, operands):
        """`name[p,q] = a − b`, or `s·(a − b)` with Given's factor of ∂L/∂y: the lines of
        ∂L/∂y (`y − t`) and of a mistake's error e (`t − y`)."""
        p, q, rhs, sign, result = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5)
        key = f"{name}[{p},{q}]"
        first, second = operands
        self.check_place(ln, key)
        self.numeric_done(ln, key)
        stext, scale, body = split_scale(rhs)
        self.count["structure"] += 1
        if scale != self.gscale:
            self.fail(ln, f"{key}: the factor differs from Given's ∂L/∂y", scale_text(self.gscale), stext or "1")
        form = rf"\(({NUM}) − ({FAC})\)" if stext else rf"({NUM}) − ({FAC})"
        mm = re.fullmatch(form, body)
        if not mm:
            shape = f"s·({first} − {second})" if stext else f"{first} − {second}"
            self.fail(ln, f"{key}: not of the form {shape}: {rhs!r}")
            self.store(key, ln, result, sign)
            return
        rounded = [self.operand(ln, f"{first}[{p},{q}]", mm.group(1), key),
                   self.operand(ln, f"{second}[{p},{q}]", mm.group(2), key)]
        self.judge(ln, key, body, rounded, sign, result, scale)
        self.store(key, ln, result, sign)

    def fp_line(self, ln, m):
        p, q, fsign, rest = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        key = f"f′(z[{p},{q}])"
        self.check_place(ln, key)
        if self.act in ("sigmoid", "tanh") and key in self.pending and not rest.startswith(("y·", "1 − y² =")):
            # in the symbolic form the formula is on the symbolic line: `= 0.9·(1 − 0.9) ≈ …`
            rest = ("y·(1 − y) = " if self.act == "sigmoid" else "1 − y² = ") + rest
        self.numeric_done(ln, key)
        if self.act in ("sigmoid", "tanh") and fsign != "=":
            self.fail(ln, f"{key}: expected `= formula = numbers ≈ result`")
            return
        zsym, ysym = f"z[{p},{q}]", f"y[{p},{q}]"
        self.count["equations"] += 1
        if self.act == "sigmoid":
            mm = re.fullmatch(rf"y·\(1 − y\) = ({FAC})·\(1 − ({FAC})\) {SIGN} ({NUM})", rest)
            if not mm:
                self.fail(ln, f"{key}: not of the form y·(1 − y) = …: {rest!r}")
                return
            r1 = self.operand(ln, ysym, mm.group(1), key)
            r2 = self.operand(ln, ysym, mm.group(2), key)
            self.judge(ln, key, f"{mm.group(1)}·(1 − {mm.group(2)})", [r1, False, r2], mm.group(3), mm.group(4))
            self.count["equations"] -= 1
            self.store(key, ln, mm.group(4), mm.group(3))
            return
        if self.act == "tanh":
            mm = re.fullmatch(rf"1 − y² = 1 − ({FAC})² {SIGN} ({NUM})", rest)
            if not mm:
                self.fail(ln, f"{key}: not of the form 1 − y² = …: {rest!r}")
                return
            r1 = self.operand(ln, ysym, mm.group(1), key)
            self.judge(ln, key, f"1 − {mm.group(1)}²", [False, r1], mm.group(2), mm.group(3))
            self.count["equations"] -= 1
            self.store(key, ln, mm.group(3), mm.group(2))
            return
        mm = re.fullmatch(rf"({NUM})(?:   \(z{IDX} = ({NUM})(?: (> 0|< 0|< 0: the slope α)|: (leaky_relu takes its slope α at 0|the convention relu_grad_at_zero = ({NUM})))\))?", rest)
        if not mm:
            self.fail(ln, f"{key}: not of the form `value   (z = … reason)`: {rest!r}")
            return
        value_t = mm.group(1)
        self.store(key, ln, value_t, fsign)
        if mm.group(2) is None:
            # no reason: only for a z that is not a number (NaN passes through)
            zrec = self.lookup(zsym)
            if not (zrec and not finite(zrec.value) and not finite(parse_value(value_t))):
                self.fail(ln, f"{key}: no reason given for a piecewise derivative", f"{value_t}   (z = … )", rest)
            return
        if (int(mm.group(2)), int(mm.group(3))) != (p, q):
            self.fail(ln, f"{key}: the reason quotes another z", zsym, f"z[{mm.group(2)},{mm.group(3)}]")
        z_t = mm.group(4)
        self.operand(ln, zsym, z_t, key)
        z = parse_value(z_t)
        v = parse_value(value_t)
        case, zero_reason, conv = mm.group(5), mm.group(6), mm.group(7)
        alpha = self.alpha.value if self.alpha else None
        if case == "> 0":
            ok_case, want = (finite(z) and z > 0) or z == math.inf, Fraction(1)
        elif case == "< 0":
            ok_case, want = (finite(z) and z < 0) or z == -math.inf, Fraction(0)
            if self.act != "relu":
                self.fail(ln, f"{key}: reason form `z < 0` belongs to relu, the activation is {self.act}")
        elif case is not None:  # < 0: the slope α
            ok_case, want = (finite(z) and z < 0) or z == -math.inf, alpha
            if self.act != "leaky_relu":
                self.fail(ln, f"{key}: reason names the slope α, but the activation is {self.act}")
        elif zero_reason.startswith("leaky"):
            ok_case, want = finite(z) and z == 0, alpha
            if self.act != "leaky_relu":
                self.fail(ln, f"{key}: reason names leaky_relu, but the activation is {self.act}")
        else:
            ok_case = finite(z) and z == 0
            want = self.g0.value if self.g0 else None
            self.count["operands"] += 1
            if self.act != "relu" or self.g0 is None or conv != self.g0.text:
                self.fail(ln, f"{key}: the quoted relu_grad_at_zero differs from Given",
                          self.g0.text if self.g0 else None, conv)
        if not ok_case:
            self.fail(ln, f"{key}: the stated case does not hold for z = {z_t}")
        elif want is not None and not same(v, want):
            if fsign == "≈" and finite(want) and abs(float(want - v)) <= half_unit(v) * 1.001:
                pass  # α itself printed rounded
            else:
                self.fail(ln, f"{key}: wrong derivative for this case", show(want), value_t)
        elif fsign == "≈" and want is not None and not (self.alpha and want == self.alpha.value):
            self.fail(ln, f"{key}: an exact derivative printed with `≈`", f"= {value_t}", f"≈ {value_t}")

    def delta_line(self, ln, m):
        p, q = int(m.group(1)), int(m.group(2))
        a, b, sign, result = m.group(3), m.group(4), m.group(5), m.group(6)
        key = f"δ[{p},{q}]"
        self.check_place(ln, key)
        self.numeric_done(ln, key)
        rounded = [self.operand(ln, f"∂L/∂y[{p},{q}]", a, key),
                   self.operand(ln, f"f′(z[{p},{q}])", b, key)]
        self.judge(ln, key, f"{a}·{b}", rounded, sign, result)
        self.store(key, ln, result, sign)

    def update_line(self, ln, m):
        lhs = m.group(1)
        w_t, lr_t, g_t, sign, result = m.group(4), m.group(5), m.group(6), m.group(7), m.group(8)
        self.check_place(ln, f"{lhs} ←")
        self.numeric_done(ln, f"{lhs} ←")
        mistake = self.ctx == "mistake"
        if lhs == "b":
            psym, gsym = "b", ("g_b" if mistake and self.mistake_kind != "flip" else "∂L/∂b")
            if not self.has_bias:
                self.fail(ln, "b updated in a layer without bias")
        else:
            psym, gsym = lhs, f"{'g' if mistake else '∂L/∂w'}[{m.group(2)},{m.group(3)}]"
        rounded = [self.operand(ln, psym, w_t, f"{lhs} ←"),
                   self.operand(ln, "η", lr_t, f"{lhs} ←"),
                   self.operand(ln, gsym, g_t, f"{lhs} ←")]
        self.judge(ln, f"{lhs} ←", f"{w_t} − {lr_t}·{g_t}", rounded, sign, result)
        v = Val(result, sign == "≈", ln)
        self.saw_value(lhs, v)
        if lhs == "b":
            if self.new_b is not None:
                self.fail(ln, "b updated twice in this step")
            self.new_b = v
        else:
            key = (int(m.group(2)), int(m.group(3)))
            if key in self.new_w:
                self.fail(ln, f"{lhs} updated twice in this step")
            self.new_w[key] = v

    # -- result -----------------------------------------------------------------------------

    def after_line(self, i, ln, text):
        if text == "A last forward pass, with the final parameters:":
            return i + 1
        m = re.fullmatch(rf"final b ([=≈]) ({NUM})", text)
        if m:
            self.count["operands"] += 1
            sign, shown = m.group(1), m.group(2)
            want = self.history[-1]["new_b"] if self.history else self.bias
            if want is None:
                self.fail(ln, "final b printed for a layer without bias")
            elif want.text != shown:
                self.fail(ln, f"final b differs from the last update (line {want.line})", want.text, shown)
            elif (want.rounded is True) != (sign == "≈"):
                self.fail(ln, f"final b says `{sign}`, but its update on line {want.line} says the other",
                          f"final b {'≈' if want.rounded is True else '='} {want.text}", f"final b {sign} {shown}")
            self.final_b_seen = True
            return i + 1
        m = re.fullmatch(rf"L: ({NUM}) → ({NUM}) \((decreased|increased|unchanged|not finite)\)", text)
        if m:
            self.count["operands"] += 2
            self.count["equations"] += 1
            first = self.history[0].get("L") if self.history else None
            if first is None or first.text != m.group(1):
                self.fail(ln, "L: the first value is not step 1's loss", first.text if first else None, m.group(1))
            if self.after_L is None or self.after_L.text != m.group(2):
                self.fail(ln, "L: the second value is not the final loss",
                          self.after_L.text if self.after_L else None, m.group(2))
            a, b = parse_value(m.group(1)), parse_value(m.group(2))
            if (m.group(3) == "not finite") == (finite(a) and finite(b)):
                self.fail(ln, "L: `not finite` must be said exactly when a loss is not finite",
                          "not finite" if m.group(3) != "not finite" else "a trend", m.group(3))
            elif finite(a) and finite(b) and a != b:
                # rounding to 6 digits is monotone, so distinct printed values keep the order
                want = "decreased" if b < a else "increased"
                if m.group(3) != want:
                    self.fail(ln, "L: the trend word contradicts the values", want, m.group(3))
            elif finite(a) and finite(b) and m.group(3) != "unchanged" and not (self.history[0]["L"].rounded or self.after_L.rounded):
                self.fail(ln, "L: equal exact values but the trend is not `unchanged`", "unchanged", m.group(3))
            self.trend_line = ln
            return i + 1
        if text == "Summary: the loss and the parameters each step started from":
            return self.summary(i, ln)
        return None

    def summary(self, i, ln) -> int:
        j = i + 1
        rows = []
        while j < len(self.lines) and self.lines[j][1].strip() and not self.lines[j][1].startswith("Training"):
            rows.append(self.lines[j])
            j += 1
        self.count["matrices"] += 1
        if not rows:
            self.fail(ln, "summary table is empty")
            return j
        cells = [r[1].split() for r in rows]
        KH, KW = self.wshape
        header = ["step", "L"] + [f"w[{a},{b}]" for a in range(KH) for b in range(KW)] + (["b"] if self.has_bias else [])
        if cells[0] != header:
            self.fail(rows[0][0], "summary header", " ".join(header), " ".join(cells[0]))
        ncol = len(header)
        # what each row must say: step k's L and the parameters it started from; then the final row
        want_rows = []
        for k, h in enumerate(self.history):
            row = [str(k + 1), h["L"].text if h.get("L") else ""]
            row += [h["w"][(a, b)].text for a in range(KH) for b in range(KW)]
            if self.has_bias:
                row.append(h["b"].text if h["b"] else "")
            want_rows.append(row)
        last = self.history[-1] if self.history else {"new_w": self.W0, "new_b": self.bias}
        row = ["final", self.after_L.text if self.after_L else ""]
        row += [last["new_w"][(a, b)].text for a in range(KH) for b in range(KW)]
        if self.has_bias:
            row.append(last["new_b"].text if last["new_b"] else "")
        want_rows.append(row)
        if len(cells) - 1 != len(want_rows):
            self.fail(ln, "summary has the wrong number of rows", len(want_rows), len(cells) - 1)
        for (lnr, raw), got, want in zip(rows[1:], cells[1:], want_rows):
            for c, (g, w) in enumerate(zip(got, want)):
                self.count["operands"] += 1
                if g != w:
                    what = header[c] if c < len(header) else f"column {c}"
                    self.fail(lnr, f"summary row {got[0]}: {what} differs from what the step printed", w, g)
            if len(got) != ncol:
                self.fail(lnr, f"summary row {got[0]}: wrong number of columns", ncol, len(got))
        # alignment: right-aligned columns, two spaces apart, indented by 4
        widths = [max(len(r[c]) for r in cells if c < len(r)) for c in range(max(len(r) for r in cells))]
        for (lnr, raw), got in zip(rows, cells):
            want = "    " + "  ".join(g.rjust(widths[c]) for c, g in enumerate(got))
            if raw.rstrip() != want.rstrip():
                self.fail(lnr, "summary table is not column-aligned", repr(want.strip()), repr(raw.strip()))
        return j

    # -- the sections after the result -------------------------------------------------------

    def end_post(self, ln):
        if self.ctx == "fd":
            self.end_fd(ln)
        elif self.ctx == "mistake":
            self.end_mistake(ln)
        elif self.ctx == "compared":
            self.end_compared(ln)

    def table_cells(self, rows):
        """Cells of a table whose columns are right-aligned and at least two spaces apart."""
        return [re.split(r"\s{2,}", raw.strip()) for _, raw in rows]

    def check_aligned(self, rows, cells, what):
        widths = [max(len(r[c]) for r in cells if c < len(r)) for c in range(max(len(r) for r in cells))]
        for (lnr, raw), got in zip(rows, cells):
            want = "    " + "  ".join(g.rjust(widths[c]) for c, g in enumerate(got))
            if raw.rstrip() != want.rstrip():
                self.fail(lnr, f"{what} is not column-aligned", repr(want.strip()), repr(raw.strip()))

    # finite differences

    def fd_line(self, i, ln, raw, text):
        if text == ("Each gradient entry next to the central difference (L(w + h) − L(w − h))/(2h), "
                    "with L computed by the same forward pass at the nudged parameter."):
            return i + 1
        m = re.fullmatch(rf"Step (\d+), h = ({NUM})", text)
        if m:
            self.fd_end_step(ln)
            k = int(m.group(1))
            self.count["structure"] += 1
            want = max(self.fd_steps) + 1 if self.fd_steps else 1
            if k != want:
                self.fail(ln, "finite-difference steps are not numbered consecutively from 1", want, k)
            if not 1 <= k <= len(self.history) or "sv" not in self.history[k - 1]:
                self.fail(ln, f"finite differences for step {k}, which was not printed")
                self.fd_cur = None
                return i + 1
            h = Val(m.group(2), MAYBE, ln)
            if not (finite(h.value) and h.value > 0):
                self.fail(ln, "h must be a positive number", "> 0", m.group(2))
            self.fd_cur = {"k": k, "h": h, "line": ln, "rows": {}, "flagged": {}, "table": False}
            self.fd_steps[k] = self.fd_cur
            return i + 1
        if text.startswith("entry"):
            return self.fd_table(i, ln)
        if text.startswith("Note: "):
            self.fd_note(ln, text[6:])
            return i + 1
        m = re.fullmatch(rf"Largest difference: ({NUM}), at (∂L/∂w{IDX}|∂L/∂b) of step (\d+)\.", text)
        if m:
            self.fd_end_step(ln)
            self.fd_largest = (ln, m.group(1), m.group(2), int(m.group(5)))
            return i + 1
        self.fail(ln, f"line not understood in the finite-difference check: {text!r}")
        return i + 1

    def fd_entries(self):
        KH, KW = self.wshape
        return [f"∂L/∂w[{a},{b}]" for a in range(KH) for b in range(KW)] + (["∂L/∂b"] if self.has_bias else [])

    def fd_table(self, i, ln):
        j = i + 1
        while j < len(self.lines) and self.lines[j][1].strip().startswith("∂L/∂"):
            j += 1
        rows = self.lines[i:j]
        self.count["matrices"] += 1
        cur = self.fd_cur
        if cur is None or cur["table"]:
            self.fail(ln, "finite-difference table without its `Step k, h = …` line")
            return j
        cur["table"] = True
        cells = self.table_cells(rows)
        header = ["entry", "backpropagation", "central difference", "difference"]
        if cells[0] != header:
            self.fail(ln, "finite-difference table header", "  ".join(header), "  ".join(cells[0]))
        entries = self.fd_entries()
        got_entries = [c[0] for c in cells[1:]]
        if got_entries != entries:
            self.fail(ln, "finite-difference table: the entries are not every ∂L/∂w[i,j] (and ∂L/∂b) in order",
                      ", ".join(entries), ", ".join(got_entries))
        sv = self.history[cur["k"] - 1]["sv"]
        for (lnr, _), row in zip(rows[1:], cells[1:]):
            if len(row) != 4:
                self.fail(lnr, "finite-difference row: expected 4 cells", 4, len(row))
                continue
            entry, bp_t, cd_t, diff_t = row
            self.count["operands"] += 1
            rec = sv.get(entry)
            if rec is None:
                self.fail(lnr, f"{entry}: step {cur['k']} printed no such value")
                continue
            if bp_t != rec.text:
                self.fail(lnr, f"{entry}: the backpropagation value is not the one step {cur['k']} printed "
                               f"on line {rec.line}", rec.text, bp_t)
            try:
                bp, cd = parse_value(bp_t), parse_value(cd_t)
            except ValueError as e:
                self.fail(lnr, f"{entry}: {e}")
                continue
            if entry in cur["rows"]:
                self.fail(lnr, f"{entry} listed twice")
            cur["rows"][entry] = {"line": lnr, "bp": bp, "cd": cd, "diff": diff_t}
            if diff_t == "not compared":
                continue
            if not re.fullmatch(NUM, diff_t):
                self.fail(lnr, f"{entry}: the difference is neither a number nor `not compared`", "a number", diff_t)
                continue
            d = parse_value(diff_t)
            cur["rows"][entry]["d"] = d
            self.count["equations"] += 1
            if not (finite(bp) and finite(cd) and finite(d)):
                if finite(bp) and finite(cd) or not math.isnan(d) and finite(d):
                    self.fail(lnr, f"{entry}: a difference of numbers that are not finite", "NaN", diff_t)
                continue
            if d < 0:
                self.fail(lnr, f"{entry}: the difference is an absolute value, it cannot be negative", "≥ 0", diff_t)
            exact = abs(bp - cd)
            # all three printed to 6 significant digits: each may be off by half a unit in its
            # last place
            tol = (half_unit(bp) + half_unit(cd) + half_unit(d)) * 1.001 + 1e-300
            if abs(float(exact - d)) > tol:
                self.fail(lnr, f"{entry}: the difference is not |backpropagation − central difference| "
                               f"(tolerance {tol:.3g})", show(exact), diff_t)
        self.check_aligned(rows, cells, "finite-difference table")
        return j

    def fd_note(self, ln, s):
        self.count["notes"] += 1
        m = re.fullmatch(rf"(∂L/∂w{IDX}|∂L/∂b): (.+) (is|are) within reach of (relu|leaky_relu)'s kink at 0 when the "
                         r"parameter moves by ±h, so the central difference straddles the kink and is not compared\.", s)
        cur = self.fd_cur
        if not m or cur is None:
            self.fail(ln, f"note not understood in the finite-difference check: {s!r}")
            return
        entry, zs, verb, act = m.group(1), names_of(m.group(4)), m.group(5), m.group(6)
        if act != self.act:
            self.fail(ln, "note: names another activation than Given", self.act, act)
        if (verb == "is") != (len(zs) == 1):
            self.fail(ln, "note: singular/plural mismatch")
        row = cur["rows"].get(entry)
        if row is None:
            self.fail(ln, f"note: {entry} is not in the table above")
        elif row["diff"] != "not compared":
            self.fail(ln, f"note: says {entry} is not compared, but the table compares it", "not compared", row["diff"])
        if entry in cur["flagged"]:
            self.fail(ln, f"note: {entry} flagged twice")
        cur["flagged"][entry] = ln
        sv = self.history[cur["k"] - 1]["sv"]
        h = cur["h"].value
        xmax = max((abs(v.value) for v in self.X.values() if finite(v.value)), default=Fraction(0))
        reach = h * (max(xmax, Fraction(1)) if entry == "∂L/∂b" else xmax) if finite(h) else None
        for part in zs:
            mm = re.fullmatch(rf"(z{IDX}) = ({NUM})", part)
            if not mm:
                self.fail(ln, f"note: cannot read {part!r}")
                continue
            self.count["operands"] += 1
            rec = sv.get(mm.group(1))
            if rec is None or rec.text != mm.group(4):
                self.fail(ln, f"note: {mm.group(1)} is not the value step {cur['k']} printed",
                          rec.text if rec else None, mm.group(4))
            z = parse_value(mm.group(4))
            if reach is not None and finite(z) and abs(z) > reach * Fraction(1001, 1000):
                self.fail(ln, f"note: {mm.group(1)} = {mm.group(4)} is not within reach of the kink: a move by ±h "
                              f"changes z by at most h·max|x|", f"|z| ≤ {show(reach)}", mm.group(4))

    def fd_end_step(self, ln):
        cur, self.fd_cur = self.fd_cur, None
        if cur is None:
            return
        if not cur["table"]:
            self.fail(cur["line"], f"finite differences of step {cur['k']}: no table")
            return
        for entry, row in cur["rows"].items():
            if row["diff"] == "not compared" and entry not in cur["flagged"]:
                self.fail(row["line"], f"{entry} is not compared, but no note says why")
        if self.act not in ("relu", "leaky_relu"):
            return
        # a compared entry whose central difference straddles the kink: the renderer owes a note
        sv = self.history[cur["k"] - 1]["sv"]
        h = cur["h"].value
        OH, OW = self.tshape
        for entry, row in cur["rows"].items():
            if row["diff"] == "not compared" or not finite(h):
                continue
            for p in range(OH):
                for q in range(OW):
                    if entry == "∂L/∂b":
                        coef = Fraction(1)
                    else:
                        w = entry[len("∂L/∂"):]
                        coef = Fraction(0)
                        for t in self.z_terms(p, q):
                            if t.endswith("·" + w):
                                coef = self.X[tuple(int(k) for k in re.findall(r"\d+", t.split("·")[0]))].value
                    zrec = sv.get(f"z[{p},{q}]")
                    if zrec is None or not finite(zrec.value) or not finite(coef) or coef == 0:
                        continue
                    if abs(zrec.value) < h * abs(coef) * Fraction(999, 1000):
                        self.fail(row["line"], f"{entry}: z[{p},{q}] = {zrec.text} is within reach of the kink "
                                               f"(a move by ±h changes it by {show(h * abs(coef))}), but the "
                                               f"central difference is compared and no note says so")

    def end_fd(self, ln):
        self.fd_end_step(ln)
        missing = [k for k in range(1, len(self.history) + 1) if k not in self.fd_steps]
        if missing:
            self.note(ln, f"finite differences: no table for step(s) {', '.join(map(str, missing))}")
        compared = [(row["d"], k, e, row) for k, st in self.fd_steps.items() for e, row in st["rows"].items()
                    if "d" in row and finite(row["d"])]
        if self.fd_largest is None:
            if compared:
                self.fail(ln, "finite differences: no `Largest difference` line")
            return
        lnl, v_t, entry, k = self.fd_largest
        self.count["operands"] += 1
        self.count["structure"] += 1
        if not compared:
            self.fail(lnl, "`Largest difference` but nothing was compared")
            return
        top = max(compared, key=lambda c: c[0])
        if parse_value(v_t) != top[0] or v_t != top[3]["diff"]:
            self.fail(lnl, "the largest difference is not the largest compared difference",
                      f"{top[3]['diff']} (at {top[2]} of step {top[1]})", v_t)
        row = self.fd_steps.get(k, {}).get("rows", {}).get(entry)
        if row is None or "d" not in row or row["d"] != top[0]:
            self.fail(lnl, "the largest difference is not at the entry named",
                      f"{top[2]} of step {top[1]}", f"{entry} of step {k}")

    # mistakes

    MISTAKES = {"the sign": "sign", "no activation derivative": "noact", "the filter gradient flipped": "flip"}

    def begin_mistake(self, ln, k, title):
        self.count["structure"] += 1
        if self.ctx != "tail" or not self.mistakes_seen or self.compared_seen:
            self.fail(ln, "mistake section out of place (after `Common mistakes, …` and before `Mistakes compared`)")
        if k != len(self.mistakes) + 1:
            self.fail(ln, "mistakes are not numbered consecutively", len(self.mistakes) + 1, k)
        kind = self.MISTAKES.get(title)
        if kind is None:
            self.fail(ln, f"unknown mistake {title!r}: its lines cannot be checked")
        elif any(mm["kind"] == kind for mm in self.mistakes.values()):
            self.fail(ln, f"mistake {title!r} shown twice")
        if not self.history or "sv" not in self.history[0]:
            raise ValueError("mistakes without a step 1")
        self.ctx = "mistake" if kind else "tail"
        self.mistake, self.mistake_kind, self.mstate = k, kind, "grad"
        self.sv, self.new_w, self.new_b = {}, {}, None
        self.noted = set()
        self.pending, self.sym_kinds = {}, set()
        self.base_sv = self.history[0]["sv"]
        self.cur_w, self.cur_b = dict(self.history[0]["w"]), self.history[0]["b"]
        self.mistakes[k] = {"kind": kind, "title": title, "line": ln, "seen": set()}

    def mistake_texts(self):
        """The fixed lines (prose and headers) a mistake section prints: id → text."""
        kind, conv = self.mistake_kind, self.kernel == "convolution"
        rot = (lambda e: f"rot180({e})") if conv else (lambda e: e)
        out = {}
        if kind == "sign":
            out["prose"] = 'The "error" e = t − y is sent back where ∂L/∂y = y − t belongs, and the result is still subtracted.'
            out["e"] = f"e = {self.gscale_text}·(t − y)" if self.gscale_text else "e = t − y"
            out["δ̃"] = "δ̃ = e ⊙ f′(z)"
            out["g"] = f"g = {rot('X ⋆ δ̃')} in place of ∂L/∂W"
        elif kind == "noact":
            out["prose"] = ("∂L/∂y is sent back as it is, without multiplying by f′(z), so outputs the activation "
                            "blocks still move the filter.")
            out["g"] = f"g = {rot('X ⋆ ∂L/∂y')} in place of ∂L/∂W = {rot('X ⋆ (∂L/∂y ⊙ f′(z))')}"
        else:
            out["prose"] = ("The layer convolves, but the filter gradient is taken without the rotation: "
                            "g = X ⋆ δ in place of ∂L/∂W = rot180(X ⋆ δ)." if conv else
                            "The layer correlates, but the filter gradient is taken as a true convolution: "
                            "g = rot180(X ⋆ δ) in place of ∂L/∂W = X ⋆ δ.")
            out["g"] = "g, entry by entry"
        if self.has_bias and kind != "flip":
            out["g_b"] = "g_b in place of ∂L/∂b"
        out["update"] = "Update: W ← W − η·g" + (
            (", b ← b − η·∂L/∂b" if kind == "flip" else ", b ← b − η·g_b") if self.has_bias else "")
        out["forward"] = "A forward pass with these parameters:"
        return out

    def mistake_line(self, i, ln, raw, text):
        texts = self.mistake_texts()
        seen = self.mistakes[self.mistake]["seen"]
        # which fixed line this is meant to be, told by its beginning
        which = None
        for key, pat in (("prose", r"The \"error\"|∂L/∂y is sent back|The layer (correlates|convolves)"),
                         ("e", r"e = "), ("δ̃", r"δ̃ = "), ("g", r"g(, entry by entry| = .* in place of)"),
                         ("g_b", r"g_b in place of"), ("update", r"Update: "), ("forward", r"A forward pass")):
            if re.match(pat, text) and not re.match(r"(e|δ̃)\[", text):
                which = key
                break
        if which is not None:
            self.count["structure"] += 1
            if which not in texts:
                self.fail(ln, f"mistake {self.mistake}: a line this recipe does not have: {text!r}")
            elif text != texts[which]:
                self.fail(ln, f"mistake {self.mistake}: the line does not match the layer and the recipe",
                          repr(texts[which]), repr(text))
            if which in seen:
                self.fail(ln, f"mistake {self.mistake}: line printed twice: {text!r}")
            seen.add(which)
            if which == "forward":
                self.mistake_forward(ln)
            return i + 1
        if self.mstate == "grad" and re.match(r"(Forward:|z\[|Activation:|y\[|Loss:|L = )", text):
            self.fail(ln, f"mistake {self.mistake}: a forward-pass line before `A forward pass with these parameters:`")
            return i + 1
        if self.mstate == "forward":
            return None
        m = E_LINE.match(text)
        if m:
            self.e_line(ln, m)
            return i + 1
        m = DTILDE_LINE.match(text)
        if m:
            p, q = int(m.group(1)), int(m.group(2))
            a, b, sign, result = m.group(3), m.group(4), m.group(5), m.group(6)
            key = f"δ̃[{p},{q}]"
            self.check_place(ln, key)
            self.numeric_done(ln, key)
            rounded = [self.operand(ln, f"e[{p},{q}]", a, key), self.operand(ln, f"f′(z[{p},{q}])", b, key)]
            self.judge(ln, key, f"{a}·{b}", rounded, sign, result)
            self.store(key, ln, result, sign)
            return i + 1
        m = UPD_LINE.match(text)
        if m:
            self.update_line(ln, m)
            return i + 1
        return None

    def e_line(self, ln, m):
        self.scaled_difference(ln, m, "e", ("t", "y"))

    def mistake_forward(self, ln):
        """`A forward pass with these parameters:` the mistake's updated W and b replace step 1's."""
        KH, KW = self.wshape
        for a in range(KH):
            for b in range(KW):
                if (a, b) not in self.new_w:
                    self.fail(ln, f"mistake {self.mistake}: no update printed for w[{a},{b}]")
                    self.new_w[(a, b)] = self.cur_w[(a, b)]
        if self.has_bias and self.new_b is None:
            self.fail(ln, f"mistake {self.mistake}: no update printed for b")
            self.new_b = self.cur_b
        self.cur_w, self.cur_b = dict(self.new_w), self.new_b
        self.mstate = "forward"

    def end_mistake(self, ln):
        self.flush_pending(ln)
        rec = self.mistakes[self.mistake]
        OH, OW = self.tshape
        KH, KW = self.wshape
        texts = self.mistake_texts()
        for key in texts:
            if key not in rec["seen"]:
                self.fail(ln, f"mistake {self.mistake}: missing the line {texts[key]!r}")
        need = []
        if self.mistake_kind == "sign":
            need += [f"{s}[{p},{q}]" for s in ("e", "δ̃") for p in range(OH) for q in range(OW)]
        need += [f"g[{a},{b}]" for a in range(KH) for b in range(KW)]
        if self.has_bias and self.mistake_kind != "flip":
            need.append("g_b")
        need += [f"z[{p},{q}]" for p in range(OH) for q in range(OW)]
        if self.act != "linear":
            need += [f"y[{p},{q}]" for p in range(OH) for q in range(OW)]
        need.append("L")
        missing = [k for k in need if k not in self.sv]
        if missing:
            self.fail(ln, f"mistake {self.mistake}: no equation printed for {', '.join(missing)}")
        if self.mstate != "forward":
            self.mistake_forward(ln)
        rec.update(new_w=dict(self.new_w), new_b=self.new_b, L=self.sv.get("L"))

    # the comparison of the mistakes

    def compared_line(self, i, ln, raw, text):
        if text == "The parameters after one step, and the loss they give":
            return i + 1
        if text.startswith("update  ") or text == "update":
            return self.compared_table(i, ln)
        if text.startswith("Note: "):
            self.compared_note_line(ln, text[6:])
            return i + 1
        self.fail(ln, f"line not understood in `Mistakes compared`: {text!r}")
        return i + 1

    def compared_table(self, i, ln):
        j = i + 1
        while j < len(self.lines) and self.lines[j][1].strip() and not self.lines[j][1].strip().startswith("Note:"):
            j += 1
        rows = self.lines[i:j]
        self.count["matrices"] += 1
        if self.compared_rows is not None:
            self.fail(ln, "a second comparison table")
        cells = self.table_cells(rows)
        KH, KW = self.wshape
        header = ["update"] + [f"w[{a},{b}]" for a in range(KH) for b in range(KW)] + \
                 (["b"] if self.has_bias else []) + ["loss after"]
        if cells[0] != header:
            self.fail(ln, "comparison table header", "  ".join(header), "  ".join(cells[0]))
        first = self.history[0]
        after = self.history[1].get("L") if len(self.history) > 1 else self.after_L

        def row(name, w, b, L):
            r = [name] + [w[(a, c)].text if (a, c) in w else "?" for a in range(KH) for c in range(KW)]
            if self.has_bias:
                r.append(b.text if b else "?")
            return r + [L.text if L else "?"]
        want = [row("correct (step 1)", first["new_w"], first["new_b"], after)]
        for k in sorted(self.mistakes):
            mm = self.mistakes[k]
            want.append(row(f"mistake {k}: {mm['title']}", mm.get("new_w", {}), mm.get("new_b"), mm.get("L")))
        if len(cells) - 1 != len(want):
            self.fail(ln, "comparison table: wrong number of rows", len(want), len(cells) - 1)
        what = ["update"] + header[1:]
        for (lnr, _), got, exp in zip(rows[1:], cells[1:], want):
            if len(got) != len(exp):
                self.fail(lnr, f"comparison row {got[0]!r}: wrong number of columns", len(exp), len(got))
                continue
            for c, (g, w) in enumerate(zip(got, exp)):
                self.count["operands"] += 1
                if g != w:
                    self.fail(lnr, f"comparison row {exp[0]!r}: {what[c] if c < len(what) else c} is not what "
                                   f"{'step 1 and the loss after it' if exp[0].startswith('correct') else 'the mistake'} printed",
                              w, g)
        self.check_aligned(rows, cells, "comparison table")
        self.compared_rows = True
        return j

    def compared_note_line(self, ln, s):
        self.count["notes"] += 1
        m = re.fullmatch(rf"(mistakes?) (.+) (leaves?) the loss higher than the L = ({NUM}) it started from\.", s)
        if not m:
            self.fail(ln, f"note not understood in `Mistakes compared`: {s!r}")
            return
        if self.compared_note is not None:
            self.fail(ln, "a second note on the mistakes")
        nums = names_of(m.group(2))
        plural = len(nums) > 1
        if (m.group(1) == "mistakes") != plural or (m.group(3) == "leave") != plural:
            self.fail(ln, "note: singular/plural mismatch")
        L0 = self.history[0].get("L")
        self.count["operands"] += 1
        if L0 is None or L0.text != m.group(4):
            self.fail(ln, "note: the L it started from is not step 1's L", L0.text if L0 else None, m.group(4))
        try:
            listed = [int(n) for n in nums]
        except ValueError:
            self.fail(ln, f"note: cannot read the mistakes {m.group(2)!r}")
            return
        if listed != sorted(set(listed)):
            self.fail(ln, "note: the mistakes are not listed once each, in order")
        self.compared_note = (ln, set(listed))

    def end_compared(self, ln):
        L0 = self.history[0].get("L")
        if L0 is None or not finite(L0.value):
            return
        higher, unsure = set(), set()
        for k, mm in self.mistakes.items():
            L = mm.get("L")
            if L is None or not finite(L.value):
                unsure.add(k)
            elif L.value > L0.value:
                higher.add(k)
            elif L.value == L0.value and (L.rounded or L0.rounded):
                unsure.add(k)  # equal when rounded: cannot tell
        noted = self.compared_note[1] if self.compared_note else set()
        self.count["structure"] += 1
        if noted - unsure != higher - unsure or not noted <= higher | unsure:
            where = self.compared_note[0] if self.compared_note else ln
            self.fail(where, f"the mistakes that leave the loss higher than step 1's L = {L0.text}",
                      ", ".join(map(str, sorted(higher))) or "none (no note)",
                      ", ".join(map(str, sorted(noted))) or "none (no note)")

    # -- notes ------------------------------------------------------------------------------

    def check_note(self, ln, s):
        self.count["notes"] += 1
        m = re.fullmatch(r"(.+): (relu never outputs a negative number|sigmoid outputs only numbers strictly between 0 and 1|tanh outputs only numbers strictly between −1 and 1), so y can never reach this target and L can never reach 0\.", s)
        if m:
            rng = {"relu": (0, math.inf, True), "sigmoid": (0, 1, False), "tanh": (-1, 1, False)}.get(self.act)
            if rng is None or not m.group(2).startswith(self.act):
                self.fail(ln, "note names another activation than Given", self.act, m.group(2).split()[0])
                return
            listed = set()
            for part in m.group(1).split(", "):
                mm = re.fullmatch(rf"t\[(\d+),(\d+)\] = ({NUM})", part)
                if not mm:
                    self.fail(ln, f"note: cannot read {part!r}")
                    continue
                key = (int(mm.group(1)), int(mm.group(2)))
                listed.add(key)
                self.operand(ln, f"t[{key[0]},{key[1]}]", mm.group(3), "note")
            low, high, closed = rng
            outside = {k for k, v in self.T.items()
                       if finite(v.value) and (v.value < low or v.value >= high or (not closed and v.value == low))}
            self.noted.add("unreachable")
            if listed != outside:
                self.fail(ln, "note: the unreachable targets listed are not the ones outside the activation's range",
                          sorted(outside), sorted(listed))
            return
        m = re.fullmatch(r"(.+) < 0: the ReLU is off there and f′ = 0 blocks the gradient, so (.+) = 0 whatever the target; (that output sends|those outputs send) nothing back to W\.", s)
        if m:
            zs, ds = names_of(m.group(1)), names_of(m.group(2))
            if [d.replace("δ", "z") for d in ds] != zs:
                self.fail(ln, "note: the δ's named do not match the z's", ", ".join(z.replace("z", "δ") for z in zs), m.group(2))
            if (len(zs) == 1) != (m.group(3) == "that output sends"):
                self.fail(ln, "note: singular/plural mismatch")
            for z in zs:
                self.count["operands"] += 1
                rec = self.lookup(z)
                if rec is None or not (finite(rec.value) and rec.value < 0 or rec.value == -math.inf):
                    self.fail(ln, f"note: {z} < 0 is not what was printed", "< 0", rec.text if rec else None)
            negatives = sorted(k for k, v in self.sv.items() if k.startswith("z[") and
                               (finite(v.value) and v.value < 0 or v.value == -math.inf))
            if self.act == "relu" and sorted(zs) != negatives:
                self.fail(ln, "note: the z's listed are not all the negative z's", ", ".join(negatives), m.group(1))

            def later(ds=ds, ln=ln):
                for d in ds:
                    rec = self.sv.get(d)
                    if rec is None or not same(rec.value, Fraction(0)):
                        self.fail(ln, f"note: says {d} = 0", "0", rec.text if rec else None)
            self.deferred.append(later)
            self.noted.add("negative")
            return
        m = re.fullmatch(r"(.+) = 0 exactly, where the ReLU has no derivative; this derivation uses relu_grad_at_zero = (\d+) \(PyTorch, JAX and micrograd use 0; set relu_grad_at_zero: (\d+) for the other convention\)\.", s)
        if m:
            self.zero_note(ln, names_of(m.group(1)))
            self.noted.add("zero")
            if self.g0 is None or m.group(2) != self.g0.text or int(m.group(3)) != 1 - int(m.group(2)):
                self.fail(ln, "note: relu_grad_at_zero quoted wrongly", self.g0.text if self.g0 else None,
                          f"{m.group(2)} (other: {m.group(3)})")
            return
        m = re.fullmatch(rf"(.+) = 0 exactly: leaky_relu uses its slope ({NUM}) there, as PyTorch does\.", s)
        if m:
            self.zero_note(ln, names_of(m.group(1)))
            self.noted.add("zero")
            if self.alpha is None or m.group(2) != self.alpha.text:
                self.fail(ln, "note: α quoted wrongly", self.alpha.text if self.alpha else None, m.group(2))
            return
        m = re.fullmatch(rf"the loss rose from ({NUM}) to ({NUM}) with step (\d+)'s update: the step overshot \(η may be too large\)\.", s)
        if m:
            k = int(m.group(3))
            self.noted.add("rose")
            before = self.history[k - 1].get("L") if 0 < k <= len(self.history) else None
            after = self.sv.get("L")
            self.count["operands"] += 2
            if self.ctx == "step" and k != self.step - 1 or self.ctx == "after" and k != self.step:
                self.fail(ln, "note: wrong step number", self.step - 1 if self.ctx == "step" else self.step, k)
            if before is None or before.text != m.group(1):
                self.fail(ln, f"note: the loss before is not step {k}'s L", before.text if before else None, m.group(1))
            if after is None or after.text != m.group(2):
                self.fail(ln, "note: the loss after is not this L", after.text if after else None, m.group(2))
            a, b = parse_value(m.group(1)), parse_value(m.group(2))
            if finite(a) and finite(b) and b < a:
                self.fail(ln, "note: says the loss rose, but it fell", f"{m.group(2)} ≥ {m.group(1)}", "smaller")
            return
        m = (re.fullmatch(rf"(.+?)(?: = ({NUM}))? is not a finite number, so no step can be computed\.", s)
             or re.fullmatch(rf"(.+?)(?: = ({NUM}))? is not a finite number \(its first appearance\): training stops after this step\.", s)
             or re.fullmatch(rf"(.+?)(?: = ({NUM}))? is the first value that is not a finite number; everything computed from it is meaningless, so training stops after this step\.", s))
        if m:
            self.saw_nonfinite_note = True
            sym, quoted = m.group(1), m.group(2)
            rec = self.lookup(sym) if self.ctx != "given" or sym[0] in "xwtb" else None
            if self.ctx == "given" and sym.startswith("w["):
                rec = self.W0.get(tuple(int(k) for k in re.findall(r"\d+", sym)))
            self.count["operands"] += 1
            if rec is None or finite(rec.value):
                self.fail(ln, f"note: {sym} is said not to be finite", "NaN or ∞", rec.text if rec else None)
            elif quoted is not None and quoted != rec.text:
                self.fail(ln, f"note: quotes {sym} wrongly (line {rec.line})", rec.text, quoted)
            first = self.first_nonfinite
            if first is not None and rec is not None and first[0] != sym:
                self.fail(ln, f"note: {sym} is not the first value that is not finite: {first[0]} = {first[1]} "
                              f"came before it, on line {first[2]}", first[0], sym)
            return
        m = re.fullmatch(r"training stopped after step (\d+) of (\d+) because a value stopped being finite \(see that step\)\.", s)
        if m:
            self.saw_nonfinite_note = True
            if int(m.group(1)) != self.step or (self.nsteps and int(m.group(2)) != self.nsteps):
                self.fail(ln, "note: step counts", f"{self.step} of {self.nsteps}", f"{m.group(1)} of {m.group(2)}")
            return
        m = re.fullmatch(r"input (.+) never falls? under the filter at this stride and padding, so they affect neither z nor ∂L/∂W\.", s)
        if m:
            self.unused_note = (ln, m.group(1))
            return
        if re.search(r"\d", s):
            self.fail(ln, f"note not understood, its numbers are unchecked: {s!r}")
        else:
            self.fail(ln, f"note not understood: {s!r}")

    def zero_note(self, ln, zs):
        for z in zs:
            self.count["operands"] += 1
            rec = self.lookup(z)
            if rec is None or not same(rec.value, Fraction(0)):
                self.fail(ln, f"note: says {z} = 0 exactly", "0", rec.text if rec else None)
        zeros = sorted(k for k, v in self.sv.items() if k.startswith("z[") and same(v.value, Fraction(0)))
        if sorted(zs) != zeros:
            self.fail(ln, "note: the z's listed are not all the zero z's", ", ".join(zeros), ", ".join(zs))

    # -- end --------------------------------------------------------------------------------

    def finish(self):
        last_ln = self.lines[-1][0] if self.lines else 0
        if self.ctx == "after":
            self.end_after(last_ln)
        elif self.ctx in self.POST:
            self.end_post(last_ln)
        if not self.after_ended:
            self.fail(last_ln, "derivation ends without a `Result after N steps` section")
            return
        if self.mistakes and not self.compared_seen:
            self.fail(last_ln, "mistake sections but no `Mistakes compared` table")
        if self.mistakes_seen and not self.mistakes:
            self.fail(last_ln, "a mistakes introduction but no mistake section")

    def end_after(self, last_ln):
        """Ends the result section: the checks that need all of it."""
        self.after_ended = True
        self.flush_pending(last_ln)
        for check in self.deferred:
            check()
        self.deferred = []
        self.missing_notes(last_ln)
        # the final forward pass: one z and y per output, and the final W printed
        OH, OW = self.tshape
        for p in range(OH):
            for q in range(OW):
                if f"z[{p},{q}]" not in self.sv:
                    self.fail(last_ln, f"final forward pass: no z[{p},{q}]")
        if self.after_L is None:
            self.fail(last_ln, "final forward pass: no loss")
        if not self.final_w_seen:
            self.fail(last_ln, "no `final W` matrix")
        if self.has_bias and not getattr(self, "final_b_seen", False):
            self.fail(last_ln, "no `final b` line")
        if self.history and self.history[0].get("L") and self.after_L and not hasattr(self, "trend_line"):
            self.fail(last_ln, "no `L: first → final` line")
        if len(self.history) > 1 and not any(t.strip().startswith("Summary:") for _, t in self.lines):
            self.fail(last_ln, "more than one step but no Summary table")
        # unused input rows/columns (judged from the final forward pass)
        H, Wd = self.xshape
        rows = [r for r in range(H) if not any(x[0] == r for x in self.x_used_after)]
        cols = [c for c in range(Wd) if not any(x[1] == c for x in self.x_used_after)]
        parts = []
        if rows:
            parts.append(f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}")
        if cols:
            parts.append(f"column{'s' if len(cols) > 1 else ''} {', '.join(map(str, cols))}")
        want = " and ".join(parts)
        if self.unused_note is not None:
            self.count["structure"] += 1
            if self.unused_note[1] != want:
                self.fail(self.unused_note[0], "note: the unused input rows/columns", want or "none", self.unused_note[1])
        elif want:
            self.fail(last_ln, f"input {want} never fall under the filter, but no note says so")


# ---------------------------------------------------------------------------------------------
# Files


def read_lines(path: str) -> list[tuple[int, str]]:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    start = 0
    if path.endswith(".snap") and lines and lines[0].strip() == "---":
        for k in range(1, len(lines)):
            if lines[k].strip() == "---":
                start = k + 1
                break
    return [(k + 1, lines[k]) for k in range(start, len(lines))]


def check_file(path: str, quiet: bool, pedantic: bool, allow_trailing: bool = False) -> int:
    name = "<stdin>" if path == "-" else path
    try:
        lines = read_lines(path)
    except OSError as e:
        print(f"{name}: cannot read: {e}")
        return 1
    failures = 0

    def report(kind, line, msg):
        nonlocal failures
        if kind == "fail":
            failures += 1
            print(f"{name}:{line}: {msg}")
        elif not quiet:
            print(f"{name}:{line}: note: {msg}")

    # one file may hold several derivations, each starting with its title line
    starts = [k for k, (_, t) in enumerate(lines) if t.startswith("Training one convolutional layer:")]
    if not starts:
        report("fail", lines[0][0] if lines else 1, "no derivation found (no `Training one convolutional layer:` line)")
    elif any(t.strip() for _, t in lines[: starts[0]]):
        report("note", lines[0][0], "text before the first derivation is ignored")
    totals = {"equations": 0, "operands": 0, "matrices": 0, "structure": 0, "notes": 0}
    for n, s in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        c = Checker(name, lines[s:end], report, pedantic, allow_trailing)
        c.run()
        for k in totals:
            totals[k] += c.count[k]
    status = "OK" if failures == 0 else f"FAILED ({failures} failure{'s' if failures != 1 else ''})"
    print(f"{name}: {status}: {len(starts)} derivation{'s' if len(starts) != 1 else ''}, "
          f"{totals['equations']} equations, {totals['operands']} operands, {totals['matrices']} matrices/tables, "
          f"{totals['structure']} structure checks, {totals['notes']} notes checked")
    return failures


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--quiet", "--pedantic", "--help", "--allow-trailing"}
    if "--help" in flags or not args or unknown:
        print(__doc__)
        return 2 if (unknown or not args) and "--help" not in flags else 0
    bad = 0
    for path in args:
        bad += check_file(path, "--quiet" in flags, "--pedantic" in flags, "--allow-trailing" in flags)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
