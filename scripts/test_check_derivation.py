#!/usr/bin/env python3
"""Corruption tests for scripts/check_derivation.py (standard library only).

Usage:
    python3 scripts/test_check_derivation.py [PATH ...]

PATH is a derivation text or an insta snapshot, or a directory whose text snapshots (`*.snap`
without `_latex`/`_markdown` in the name) and `*.txt` files are taken; the default is
tests/snapshots and scripts/checker_texts (networks of the new ops and exact derivations, from
render_corpus). Every original must pass the checker. Then each corruption below is applied to
the first text it applies to (a passing one, if any does; a decimal one before an exact one) and the checker must fail on the
corrupted text with a failure the original does not have, with a message naming the rule, at the
line corrupted (next to it where a sum's continuation is corrupted, which is read with its first
line; anywhere for a line left out and for the title's count, which a later line contradicts):

  result-digit      the last digit of a rounded result (`… ≈ 0.132498` → `… ≈ 0.132499`)
  operand-digits    an operand printed with more digits than 6, so that the arithmetic works out,
                    cut back to 6 digits (the printed operands then no longer give the result)
  missing-approx    the `≈` taken off a rounded cell of the summary table
  spurious-approx   an `≈` put on an exact cell of the summary table
  exact-equals      `≈` turned into `=` where the printed operands do not give v exactly
  misaligned        a continuation line of a long sum moved one column
  over-width        a continuation line of a long sum joined to the line before (> 120 characters)
  early-wrap        the first term of a continuation line moved to a line of its own
  f64-reason        the value X in `(f64 rounding: exactly, these numbers give X)` changed
  title             the count of steps in the title changed
  product-parens    the parentheses around a number with a power of ten in a product dropped
  old-e-form        a number written in the old `e` form (`1.5e−9`)
  note-mark         a rounded z quoted with `=` in the reason of f′ (`(z[0,0] = 0.784444 > 0)`)
  update-change     the new value of an update cut to 6 digits where more showed the change
  trend             `(decreased)` and `(increased)` swapped in `L: a → b`
  summary-row       a row dropped from the summary of a long run
  nonfinite-note    L(w + h) left out of the finite-difference note listing what is not finite
  plain-big         a rounded value with a power of ten written plainly (`1.23442·10⁷` → `12344200`,
                    which reads as 8 significant digits: the arithmetic no longer holds to them)

and of a network's derivation (`Training a network of …`):

  net-forward-number   an operand of a forward sum (`z⁽⁰⁾[0,0] = …`), its result kept
  net-dx-missing-term  a term of ∂L/∂x left out (one whose product is 0: only the terms tell)
  net-dx-extra-term    a term of another entry of ∂L/∂x added (its product 0)
  net-channel-sum      the second channel's terms left out of a sum over channels
  net-flip             a true convolution's weight not rotated in a forward sum's names
  net-stride           the stride of an output size written 1 where Given says 2
  net-matrix-entry     an entry of a computed matrix
  net-update           an update subtracting another entry's gradient
  net-dead-note        a dead-ReLU note naming a live entry too
  net-bias-mean        a bias gradient taken as the mean of δ
  net-header           a true convolution's heading written with ⋆
  net-index-formula    the padding left out of a general formula's index
  net-full-prose       the explanation of the full convolution with the wrong padding of δ
  net-zero-note        the note that no gradient reaches the layers before left out
  net-rise-note        the note that the loss rose left out
  net-upstream         an entry of the upstream gradient taken as another value than Given's
  net-chain            the chain of shapes with a shape that does not follow from Given
  net-channels         a layer said to take one channel where two reach it
  net-missing-entry    one entry's equation left out of a forward pass
  net-symbolic-order   two symbolic lines swapped
  net-delta            an operand of δ = ∂L/∂y·f′(z)
  net-dx-number        an operand of a sum of ∂L/∂x
  net-wgrad-number     an operand of a filter gradient's sum
  net-summary-cell     a cell of the summary of the loss
  net-fd-backprop      the backpropagation value of a row of the finite-difference check
  net-fd-difference    the difference of a row (a tenth of the backpropagation value)
  net-fd-largest       `Largest difference` naming another entry
  net-fd-h             h doubled
  net-fd-kink-quote    the z a kink note quotes
  net-fd-kink-missing  a kink note left out (its row is then not compared without a reason)
  net-mistake-dx       an operand of a mistake's wrong ∂L/∂x
  net-mistake-mean     a mistake's mean bias gradient with the factor of another count
  net-mistake-update   the gradient of an update of a mistake
  net-mistake-table    a cell of the table of the loss each recipe gives
  net-mistake-heading  a wrong ∂L/∂x's heading with the orientations swapped
  net-mistake-formula  a wrong ∂L/∂x's general formula with the correct orientation's indices
  net-mistake-absent   the reason a recipe is not shown replaced by another recipe's
  net-pass-value       the number of a sum of one term that passes a value on (`∂L/∂b = δ[0,0] = v`)
  net-pass-name        the name such a line passes on (another entry's)

and of networks of pools, flatten, dense layers and the softmax cross-entropy (in the texts of
scripts/checker_texts, taken by default too):

  net2-max-operand     an operand of a max pool's max(…)
  net2-max-name        a window entry of a max pool's names line (the next entry's)
  net2-max-result      a max pool's result replaced by the smallest operand
  net2-tie-reason      the note of a tie on a max line left out
  net2-tie-note        a tie note naming the second tied entry as the one taken
  net2-avg-term        a term of an average pool's window left out
  net2-avg-scale       an average pool's factor 1/n written 1/(n + 1)
  net2-flatten-copy    two entries of a flatten's vector swapped (not row-major)
  net2-flatten-back    an entry of a flatten's gradient folded back
  net2-dense-term      a dense forward sum's weight entry transposed
  net2-dense-dx        a dense ∂L/∂x with W in place of Wᵀ in its names
  net2-dense-wgrad     an operand of a dense weight gradient
  net2-softmax-m       the largest logit m replaced by the smallest
  net2-softmax-exp     the last digit of an e[k] = exp(z[k] − m)
  net2-softmax-ratio   the last digit of a p[k] = e[k]/S
  net2-softmax-sum     an operand of S = Σ e
  net2-ce-result       the last digit of the cross-entropy
  net2-ce-target       a target entry of the cross-entropy taken as another class's
  net2-p-minus-t       a δ = p − t line with t − p's numbers
  net2-maxpool-route   a max pool's ∂L/∂x entry passing another window's gradient
  net2-unpicked        an entry no window picked said to lie in no window
  net2-pool-size       a pool's output size with the window's size wrong
  net2-floor-note      the note on the rows and columns no window covers left out
  net2-flatten-n       a flatten's N = C·H·W with a wrong product
  net2-dense-size      a dense layer's size line with its weight's shape transposed
  net2-chain           the chain of shapes without a pool's stride
  net2-given-pool      overlapping windows described without `overlapping`
  net2-given-dense     a dense layer described with one output too many
  net2-onehot-note     Given's note on a one-hot target left out
  net2-why             the explanation of p − t with t − p in it
  net2-fd-pool-quote   the max-pool output a finite-difference note quotes
  net2-fd-pool-missing a finite-difference note on a max-pool window's maximum left out
  net2-spread-scale    the spread max-pool mistake's factor 1/n written 1/(n + 1)
  net2-untransposed    the W-for-Wᵀ mistake written with Wᵀ's entry
  net2-absent          the reason the W-for-Wᵀ recipe is not shown replaced by another's
  net2-flipped         a line of the t − p mistake's loss gradient with p − t's numbers
  net2-tied-reason     an entry that tied for a window's maximum said to be picked by no window
  net2-logp-result     the last digit of a log p[k] = z[k] − m − log(S) (a probability that underflows)
  net2-logp-operand    the logit of such a line changed in its last digit
  net2-underflow-note  the note on probabilities that underflow naming another class
  net2-underflow-none  that note left out
  net2-celog-result    the last digit of the loss from those logs
  net2-celog-parens    the parentheses around a negative log value in that loss dropped
  net2-scale-parens    the parentheses around a single value with a power of ten after a sum's factor
                       dropped (`(1/4)·(3.97742·10²³)` → `(1/4)·3.97742·10²³`)

and of exact derivations (fractions, `=` everywhere; only texts the checker reads as exact):

  exact-numerator       the numerator of a fraction result changed (still in lowest terms)
  exact-denominator     the denominator of a fraction result changed (still in lowest terms)
  exact-minus           the minus sign of a negative fraction result dropped
  exact-minus-operand   the minus sign of a negative fraction factor dropped (`·(−1/4)` → `·(1/4)`)
  exact-unreduced       a fraction result not in lowest terms, its value kept (`16/3` → `32/6`)
  exact-unreduced-wrong a fraction result not in lowest terms and of another value (`16/3` → `34/6`)
  exact-approx          an equation said with `≈`
  exact-decimal         a fraction result written as its decimal (`5/4` → `1.25`: the same value)
  exact-parens          the parentheses around a fraction factor dropped (`3·(1/3)` → `3·1/3`)
  exact-operand         the denominator of a fraction operand changed, its result kept
  exact-matrix          a fraction entry of a computed matrix changed
  exact-fd-difference   a difference of 0 in the finite-difference check written as h
  exact-growth-digits   the digits the note on growing fractions gives changed
  exact-growth-missing  that note left out
  exact-decimals        the final loss in decimals after `L: a → b` changed in its last digit
  exact-decimals-missing the losses in decimals left out of `L: a → b (word; in decimals …)`
  exact-fd-agrees       `Every compared entry agrees exactly …` replaced by `Largest difference: 0, at …`
  exact-fd-intro        the finite-difference introduction without its sentence on exact arithmetic
  exact-alpha-decimal   leaky_relu's α in an equation written as Given's decimal (`0.25·(−5/2)`)

and of batches (rule 14; the `batch_*.txt` texts of scripts/checker_texts):

  batch-loss-quote       two examples' losses swapped in the batch's loss (the sum the same)
  batch-after-loss-quote the same in the result's batch loss
  batch-factor           a mean of two written with the factor of three (`½[…]` → `(1/3)[…]`)
  batch-sum-for-mean     a mean's batch loss written as the sum (no factor, the sum's result)
  batch-reduction        Given's batch line saying `sum` where the title says mean
  batch-count            Given's batch line with one example more than the title
  batch-heading-count    an example's heading with another count (`example 2 of 4` of 3)
  batch-grad-entry       an entry of the batch gradient off in its last digit
  batch-grad-name        a batch gradient's names line quoting another entry of an example's gradient
  batch-grad-operand     an example's gradient quoted as another example's value (its result kept)
  batch-update-example   the update using example 1's gradient in place of the batch's (worked out)
  batch-summary-example  a summary row's loss of an example changed in its last digit
  batch-rest             the examples not written out said to start one later
  batch-rest-missing     the result's line on the examples not written out left out
  batch-summed-factor    the summed-gradient mistake written with the mean's factor, its result halved

Exit status 0 if every original passes and every applicable corruption is caught, 1 otherwise.
A corruption that applies to none of the texts is reported as skipped.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_derivation as cd  # noqa: E402

NUM = cd.NUM


def run_checker(path: str, text: str) -> list[str]:
    """The failure messages (`line: message`) of the checker on `text` (named like `path`)."""
    suffix = ".snap" if path.endswith(".snap") else ".txt"
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as f:
        f.write(text)
        tmp = f.name
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            cd.check_file(tmp, True, False)
    finally:
        os.unlink(tmp)
    fails = []
    for line in out.getvalue().splitlines():
        if line.startswith(tmp + ":"):
            rest = line[len(tmp) + 1:]
            if re.match(r"\d+: ", rest):
                fails.append(rest)
    return fails


def split_header(text: str):
    """(insta header, body): the header is kept as it is."""
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for k in range(1, len(lines)):
            if lines[k].strip() == "---":
                return "\n".join(lines[: k + 1]) + "\n", "\n".join(lines[k + 1:])
    return "", text


def realign(rows: list[str], split=r"\s{2,}") -> list[str]:
    """A table's rows, right-aligned, two spaces apart, indented by 4 (as the checker wants)."""
    cells = [re.split(split, r.strip()) for r in rows]
    widths = [max(len(c[k]) for c in cells if k < len(c)) for k in range(max(len(c) for c in cells))]
    return ["    " + "  ".join(g.rjust(widths[k]) for k, g in enumerate(c)) for c in cells]


def summary_block(lines):
    """(first row index, end index) of the summary table, header row included."""
    for i, l in enumerate(lines):
        if l.strip().startswith("Summary: the loss and the parameters"):
            j = i + 1
            while j < len(lines) and lines[j].strip():
                j += 1
            return i + 1, j
    return None


def bump_last_digit(num: str) -> str:
    """The number with its last mantissa digit changed by one (never to a trailing zero)."""
    m = re.match(r"^(−?\d+(?:\.\d+)?)(.*)$", num)
    mant, rest = m.group(1), m.group(2)
    last = int(mant[-1])
    new = last + 1 if last < 8 else last - 1
    if new == 0:
        new = 2
    return mant[:-1] + str(new) + rest


# -- the corruptions: each takes the body's lines and returns (lines, line number) or None ----

RESULT = re.compile(rf"^(.* ≈ )({NUM})$")


def still_rounds(line: str, new: str) -> bool:
    """Whether `new` is still a rounding of what the printed operands of the equation on `line`
    give (a value halfway between two roundings has both)."""
    rhs = line.rsplit(" ≈ ", 1)[0].split(" = ")[-1]
    try:
        p = cd.Parser(rhs)
        e, _ = cd.evaluate(p.parse(), p.leaves)
    except Exception:
        return False
    v = cd.parse_value(new)
    return cd.finite(e) and abs(e - v) <= cd.half_unit(v, cd.precision(new))


def c_result_digit(lines):
    for i, l in enumerate(lines):
        m = RESULT.match(l)
        if m and not l.strip().startswith(("L: ", "Note")) and "·10" not in m.group(2) \
                and cd.sig_digits(m.group(2)) >= 6 and "∞" not in m.group(2) \
                and not still_rounds(l, bump_last_digit(m.group(2))):
            out = list(lines)
            out[i] = m.group(1) + bump_last_digit(m.group(2))
            return out, i
    return None


def c_operand_digits(lines):
    """An operand shown with 7 or more digits cut back to 6, where that changes what the printed
    operands give by more than the result's rounding allows."""
    for i, l in enumerate(lines):
        m = re.match(rf"^(\s*(?:\S.*?)?(?:= |← ))(.*) ≈ ({NUM})$", l)
        if not m or "(f64 rounding" in l or l.strip().startswith(("L: ", "Note")):
            continue
        body = m.group(2)
        for n in re.finditer(r"(?<![\d.·⁰¹²³⁴⁵⁶⁷⁸⁹\[,])(−?\d+\.\d+)(?![\d·])", body):
            t = n.group(1)
            if cd.sig_digits(t) <= 6:
                continue
            short = cd.fmt_sig(cd.parse_value(t), 6)
            if "·" in short:
                continue
            new_body = body[: n.start()] + short + body[n.end():]
            try:
                p_new = cd.Parser(new_body.split(" = ")[-1])
                e_new, _ = cd.evaluate(p_new.parse(), p_new.leaves)
            except Exception:
                continue
            v = cd.parse_value(m.group(3))
            if not (cd.finite(e_new) and cd.finite(v)):
                continue
            # the rule is broken by more than a rounding margin: a corruption, not a borderline case
            if abs(e_new - v) > 2 * cd.half_unit(v, cd.precision(m.group(3))):
                out = list(lines)
                out[i] = m.group(1) + new_body + " ≈ " + m.group(3)
                return out, i
    return None


def c_missing_approx(lines):
    blk = summary_block(lines)
    if not blk:
        return None
    a, b = blk
    for r in range(a + 1, b):
        cells = lines[r].split()
        for k, c in enumerate(cells):
            if k == 1 and c.startswith("≈") and cd.sig_digits(c[1:]) == 6 and "·10" not in c:
                cells[k] = c[1:]
                rows = [lines[x] for x in range(a, b)]
                rows[r - a] = "  ".join(cells)
                out = list(lines)
                out[a:b] = realign(rows, r"\s+")
                return out, r
    return None


def c_spurious_approx(lines):
    blk = summary_block(lines)
    if not blk:
        return None
    a, b = blk
    for r in range(a + 1, b):
        cells = lines[r].split()
        for k in range(2, len(cells)):
            c = cells[k]
            if not c.startswith("≈") and "∞" not in c and c != "NaN":
                cells[k] = "≈" + c
                rows = [lines[x] for x in range(a, b)]
                rows[r - a] = "  ".join(cells)
                out = list(lines)
                out[a:b] = realign(rows, r"\s+")
                return out, r
    return None


def c_exact_equals(lines):
    """`≈ v` turned into `= v` where the printed operands do not give v exactly."""
    for i, l in enumerate(lines):
        m = RESULT.match(l)
        if not m or "(f64" in l or "∞" in l or l.strip().startswith(("L: ", "Note")):
            continue
        rhs = m.group(1)[:-3].split(" = ")[-1].split(" ← ")[-1]
        try:
            p = cd.Parser(rhs)
            e, _ = cd.evaluate(p.parse(), p.leaves)
        except Exception:
            continue
        if cd.finite(e) and e != cd.parse_value(m.group(2)):
            out = list(lines)
            out[i] = m.group(1)[:-2] + "= " + m.group(2)
            return out, i
    return None


def wrapped(lines):
    for i in range(1, len(lines)):
        if lines[i].lstrip().startswith("+ ") and not lines[i - 1].lstrip().startswith("+ "):
            yield i - 1, i


def c_misaligned(lines):
    for first, cont in wrapped(lines):
        out = list(lines)
        out[cont] = " " + lines[cont]
        return out, cont
    return None


def c_over_width(lines):
    for first, cont in wrapped(lines):
        out = list(lines)
        joined = lines[first] + " + " + lines[cont].strip()[2:]
        if len(joined) <= cd.WIDTH:
            continue
        out[first:cont + 1] = [joined]
        return out, first
    return None


def c_early_wrap(lines):
    """The last term of a filled line moved to the continuation line after it."""
    for first, cont in wrapped(lines):
        head, sep, last = lines[first].rpartition(" + ")
        if not sep or "=" not in head:
            continue
        col = lines[first].index("=")
        out = list(lines)
        out[first] = head
        out[cont] = " " * col + "+ " + last + " + " + lines[cont].strip()[2:]
        if len(out[cont]) > cd.WIDTH:
            continue
        return out, first
    return None


def c_f64_reason(lines):
    for i, l in enumerate(lines):
        m = re.match(rf"^(.*\(f64 rounding: exactly, these numbers give ≈?)({NUM})\)$", l)
        if m:
            x = m.group(2)
            new = "1" if x == "0" else bump_last_digit(x) if cd.sig_digits(x) >= 6 else \
                cd.fmt_sig(cd.parse_value(x) * 2, 6)
            out = list(lines)
            out[i] = m.group(1) + new + ")"
            return out, i
    return None


def c_title(lines):
    for i, l in enumerate(lines):
        m = re.match(r"^(Training one convolutional layer: )(\d+)( steps? of gradient descent)$", l)
        if m:
            n = int(m.group(2))
            out = list(lines)
            out[i] = m.group(1) + str(n + 1) + " steps of gradient descent"
            return out, i
    return None


def c_product_parens(lines):
    for i, l in enumerate(lines):
        m = re.search(rf"·\((\d(?:\.\d+)?·10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)\)", l)
        if m and "=" in l:
            out = list(lines)
            out[i] = l[: m.start()] + "·" + m.group(1) + l[m.end():]
            return out, i
    return None


def c_old_e_form(lines):
    for i, l in enumerate(lines):
        m = re.search(r"(\d(?:\.\d+)?)·10(⁻?)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", l)
        if m and "=" in l and not l.strip().startswith(("Note", "Step", "Largest")):
            e = "".join(str(cd.SUP.index(c)) for c in m.group(3))
            out = list(lines)
            out[i] = l[: m.start()] + f"{m.group(1)}e{'−' if m.group(2) else ''}{e}" + l[m.end():]
            return out, i
    return None


def c_plain_big(lines):
    """A rounded result `≈ 1.23442·10⁷` written as `12344200`."""
    for i, l in enumerate(lines):
        m = re.search(r"≈ (\d(?:\.\d+)?·10([⁰¹²³⁴⁵⁶⁷⁸⁹]+))$", l)
        if not m:
            continue
        e = int("".join(str(cd.SUP.index(c)) for c in m.group(2)))
        if 6 <= e <= 15:
            v = cd.parse_value(m.group(1))
            out = list(lines)
            out[i] = l[: m.start(1)] + str(int(v))
            # a wrapped sum is read, and its failure reported, from its first line
            j = i
            while j > 0 and lines[j].lstrip().startswith("+ "):
                j -= 1
            return out, j
    return None


def c_note_mark(lines):
    """A rounded z quoted in a reason or a note with `=` instead of `≈`."""
    for i, l in enumerate(lines):
        m = re.search(rf"\((z\[\d+,\d+\]) ≈ ({NUM}) [<>]", l)
        if m:
            out = list(lines)
            out[i] = l[: m.start()] + f"({m.group(1)} = {m.group(2)}" + l[m.start() + len(m.group(1)) + 4 + len(m.group(2)):]
            return out, i
    return None


def c_update_change(lines):
    """An update whose old and new values show the change with more digits, its new value cut to
    6 digits: the printed change becomes 0 (or of the wrong size)."""
    for i, l in enumerate(lines):
        m = re.match(rf"^(\s*(?:w\[\d+,\d+\]|b) ← )(−?\d+(?:\.\d+)?)( − .* ≈ )(−?\d+\.\d+)$", l)
        if m and cd.sig_digits(m.group(4)) > 6 and "(f64" not in l:
            short = cd.fmt_sig(cd.parse_value(m.group(4)), 6)
            if cd.parse_value(short) == cd.parse_value(m.group(2)):
                out = list(lines)
                out[i] = m.group(1) + m.group(2) + m.group(3) + short
                return out, i
    return None


def c_trend(lines):
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*L: .* \()(decreased|increased)\)$", l)
        if m:
            out = list(lines)
            out[i] = m.group(1) + ("increased" if m.group(2) == "decreased" else "decreased") + ")"
            return out, i
    return None


def c_summary_row(lines):
    """A row dropped from the summary of a long run."""
    blk = summary_block(lines)
    if not blk or "one step in every" not in lines[blk[0] - 1]:
        return None
    a, b = blk
    out = list(lines)
    del out[b - 3]
    return out, b - 3


def c_nonfinite_note(lines):
    """A not-finite value left out of the finite-difference note that lists them."""
    for i, l in enumerate(lines):
        # (where L(w − h) is not listed either, nothing else explains the central difference)
        if "is not compared, as these are not finite numbers:" in l and "L(w + h) = " in l and "L(w − h)" not in l:
            out = list(lines)
            out[i] = re.sub(rf"L\(w \+ h\) = {NUM}, ", "", l)
            return out, i
    return None


# -- corruptions of a network's derivation ---------------------------------------------------

NET_SUM = re.compile(r"^(\s*)(\S+⁽?[⁰¹²³⁴⁵⁶⁷⁸⁹]*⁾?\[[\d,]+\]|\S+) = (\S.*)$")


def stage_of(lines, i):
    """The heading of the stage line i belongs to (`Layer 0, input gradient: …`)."""
    for k in range(i, -1, -1):
        if re.match(r"^  (Layer \d+, |Loss: |Gradient of the loss(?:, the mistake)?: |Update: )", lines[k]):
            return lines[k].strip()
    return ""


def sums(lines, stage=""):
    """The sums printed as a names line and a numbers line under it (each possibly continued on
    `+ ` lines), in stages whose heading starts with `stage`: (first index, end index, lhs, name
    terms, number terms, sign, result)."""
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(\S+) = (.*)$", lines[i])
        if not m or re.search(rf" [=≈] {NUM}$", m.group(3)) or "   (" in m.group(3) or "Σ" in lines[i] \
                or not stage_of(lines, i).startswith(stage):
            i += 1
            continue
        j = i + 1
        names = m.group(3)
        while j < len(lines) and lines[j].lstrip().startswith("+ "):
            names += " + " + lines[j].strip()[2:]
            j += 1
        c = re.match(r"^\s*= (.*)$", lines[j]) if j < len(lines) else None
        if not c:
            i += 1
            continue
        nums = c.group(1)
        k = j + 1
        while k < len(lines) and lines[k].lstrip().startswith("+ "):
            nums += " + " + lines[k].strip()[2:]
            k += 1
        r = re.match(rf"^(.*) (=|≈) ({NUM})$", nums)
        if r and len(names.split(" + ")) == len(r.group(1).split(" + ")):
            out.append((i, k, m.group(2), names.split(" + "), r.group(1).split(" + "), r.group(2), r.group(3)))
        i = k
    return out


def wrap(first: str, terms: list[str], col: int) -> list[str]:
    """A sum's terms after `first`, as the renderer breaks them: before a ` + ` wherever a line
    would pass the width, each further line starting `+ ` under the `=` in column `col`."""
    out, cur = [], first + terms[0]
    for t in terms[1:]:
        if len(cur) + 3 + len(t) <= cd.WIDTH:
            cur += " + " + t
        else:
            out.append(cur)
            cur = " " * col + "+ " + t
    return out + [cur]


def zero_product(term: str) -> bool:
    return any(f.strip("()") == "0" for f in term.split("·"))


def sum_lines(lines, span, lhs, names, nums, sign, result):
    """The sum printed on lines span = (first, end), rewritten with these terms."""
    i, k = span
    lead = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    col = len(lead) + len(lhs) + 1
    nums = list(nums)
    nums[-1] = f"{nums[-1]} {sign} {result}"
    new = wrap(f"{lead}{lhs} = ", names, col) + wrap(f"{lead}{' ' * len(lhs)} = ", nums, col)
    return lines[:i] + new + lines[k:]


def c_net_forward_number(lines):
    """An operand of a forward sum of a network changed, its result kept."""
    for i, k_, lhs, names, nums, sign, result in sums(lines, "Layer"):
        if "⁽" not in lhs or not lhs.startswith("z"):
            continue
        for k, t in enumerate(nums):
            f = t.split("·")[0]
            if re.fullmatch(r"\d+(\.\d+)?", f) and f != "0":
                nums2 = list(nums)
                nums2[k] = bump_last_digit(f) + t[len(f):]
                return sum_lines(lines, (i, k_), lhs, names, nums2, sign, result), i + 1
    return None


def c_net_dx_missing_term(lines):
    """A term of an input gradient's sum left out: one whose product is 0, so that the sum still
    adds up and nothing after it changes; only the set of terms tells."""
    for i, k_, lhs, names, nums, sign, result in sums(lines, "Layer"):
        if "input gradient" not in stage_of(lines, i) or len(names) < 2:
            continue
        for k, t in enumerate(nums):
            if zero_product(t):
                return sum_lines(lines, (i, k_), lhs, names[:k] + names[k + 1:], nums[:k] + nums[k + 1:], sign,
                                 result), i
    return None


def c_net_dx_extra_term(lines):
    """A term that does not reach an input gradient's entry added to its sum (another entry's,
    whose product is 0, so that the sum still adds up)."""
    entries = [e for e in sums(lines, "Layer") if "input gradient" in stage_of(lines, e[0])]
    foreign = [(n, t) for e in entries for n, t in zip(e[3], e[4]) if zero_product(t)]
    for i, k_, lhs, names, nums, sign, result in entries:
        for n, t in foreign:
            if n not in names:
                return sum_lines(lines, (i, k_), lhs, names + [n], nums + [t], sign, result), i
    return None


def c_net_channel_sum(lines):
    """The second channel's terms left out of a sum over channels (the channels' contributions
    not summed), its result worked out again from what is left."""
    for i, k_, lhs, names, nums, sign, result in sums(lines, "Layer"):
        if not lhs.startswith("z⁽") or lhs.count(",") != 2:
            continue
        keep = [k for k, n in enumerate(names) if not re.match(r"^\S+\[1,", n)]
        if len(keep) == len(names) or not keep:
            continue
        names2, nums2 = [names[k] for k in keep], [nums[k] for k in keep]
        p = cd.Parser(" + ".join(nums2))
        e, _ = cd.evaluate(p.parse(), p.leaves)
        if cd.finite(e) and cd.show(e) == cd.fmt_sig(e, 17) and "≈" not in cd.show(e):
            return sum_lines(lines, (i, k_), lhs, names2, nums2, "=", cd.show(e)), i
    return None


def c_net_flip(lines):
    """A true convolution's forward sum with the weight not rotated (w[2,2] ↔ w[0,0] in its names,
    the numbers kept: equal weights print alike, so only the set of terms tells)."""
    for i, k_, lhs, names, nums, sign, result in sums(lines, "Layer"):
        if "∗" not in stage_of(lines, i) or not lhs.startswith("z"):
            continue
        ws = [re.search(r"·(w\S*\[[\d,]+\])$", n) for n in names]
        idx = [k for k, w in enumerate(ws) if w]
        if len(idx) < 2:
            continue
        a, b = idx[0], idx[-1]
        names2 = list(names)
        wa, wb = ws[a].group(1), ws[b].group(1)
        names2[a] = names[a].replace(wa, wb)
        names2[b] = names[b].replace(wb, wa)
        return sum_lines(lines, (i, k_), lhs, names2, nums, sign, result), i
    return None


def c_net_stride(lines):
    """The stride of an output size written 1 where Given says 2, its arithmetic redone."""
    for i, l in enumerate(lines):
        m = re.search(r"OH = \((\d+) \+ 2·(\d+) − (\d+)·\((\d+) − 1\) − 1\)/2 \+ 1 = (\d+)", l)
        if m and l.strip().startswith("layer "):
            n, p, d, k = (int(m.group(g)) for g in (1, 2, 3, 4))
            new = f"OH = ({n} + 2·{p} − {d}·({k} − 1) − 1)/1 + 1 = {n + 2 * p - d * (k - 1) - 1 + 1}"
            out = list(lines)
            out[i] = l[: m.start()] + new + l[m.end():]
            return out, i
    return None


def c_net_matrix_entry(lines):
    """An entry of a network's computed matrix changed (its width kept)."""
    in_step = False
    for i, l in enumerate(lines):
        if re.match(r"^Step \d+", l):
            in_step = True
        m = re.match(r"^(\s*\S+⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾\S* [=≈] \[ )(\S+)(.*)$", l)
        if in_step and m and re.fullmatch(r"−?\d+(\.\d+)?", m.group(2)) and m.group(2).strip("−") != "0":
            out = list(lines)
            out[i] = m.group(1) + bump_last_digit(m.group(2)) + m.group(3)
            return out, i
    return None


def c_net_update(lines):
    """An update that subtracts another entry's gradient (its arithmetic redone, exactly)."""
    upd = [(i, m) for i, l in enumerate(lines)
           for m in [re.match(rf"^(\s*w⁽\S+ ← )({NUM}) − ({NUM})·({NUM}|\({NUM}\)) = ({NUM})$", l)] if m]
    for i, m in upd:
        for j, m2 in upd:
            if m2.group(4) != m.group(4):
                e = cd.parse_value(m.group(2)) - cd.parse_value(m.group(3)) * cd.parse_value(m2.group(4).strip("()"))
                out = list(lines)
                out[i] = f"{m.group(1)}{m.group(2)} − {m.group(3)}·{m2.group(4)} = {cd.show(e)}"
                return out, i
    return None


def c_net_dead_note(lines):
    """A dead-ReLU note that names a live entry (of the same tensor, above 0) too."""
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*Note: )((z⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾)\[[\d,]+\]) < 0: (.*) that entry sends nothing back\.$", l)
        if not m:
            continue
        for k in range(i, -1, -1):
            mm = re.match(rf"^\s*f′\(({re.escape(m.group(3))}\[[\d,]+\])\) = 1   \(", lines[k])
            if mm and mm.group(1) != m.group(2):
                out = list(lines)
                out[i] = f"{m.group(1)}{mm.group(1)}, {m.group(2)} < 0: {m.group(4)} those entries send nothing back."
                return out, i
    return None


def c_net_bias_mean(lines):
    """A bias gradient taken as the mean of δ instead of its sum."""
    for i, k_, lhs, names, nums, sign, result in sums(lines, "Layer"):
        if "bias gradient" not in stage_of(lines, i) or len(names) < 2:
            continue
        n = len(names)
        e = cd.parse_value(result) / n
        names2 = [f"(1/{n})[{names[0]}"] + names[1:-1] + [f"{names[-1]}]"]
        nums2 = [f"(1/{n})[{nums[0]}"] + nums[1:-1] + [f"{nums[-1]}]"]
        return sum_lines(lines, (i, k_), lhs, names2, nums2, sign, cd.show(e)), i
    return None


def c_net_header(lines):
    """A true convolution's forward heading written with ⋆ (the filter as given)."""
    for i, l in enumerate(lines):
        if re.match(r"^  Layer \d+, forward: z\S* = \S+ ∗ ", l):
            out = list(lines)
            out[i] = l.replace(" ∗ ", " ⋆ ", 1)
            return out, i
    return None


def c_net_index_formula(lines):
    """The padding left out of a general formula's input index (`2p + i − 1` → `2p + i`)."""
    for i, l in enumerate(lines):
        if re.match(r"^\s*z\S*\[[a-z,]+\] = .*Σ", l) and " − 1, " in l:
            out = list(lines)
            out[i] = l.replace(" − 1, ", ", ", 1)
            return out, i
    return None


def c_net_full_prose(lines):
    """The explanation of the full convolution with the wrong padding of δ."""
    for i, l in enumerate(lines):
        m = re.search(r"is padded with (\d+) rows? and (\d+) columns? of zeros", l)
        if m:
            a, b = int(m.group(1)) + 1, int(m.group(2)) + 1
            out = list(lines)
            out[i] = l[: m.start()] + f"is padded with {a} rows and {b} columns of zeros" + l[m.end():]
            return out, i
    return None


def c_net_zero_note(lines):
    """The note that no gradient reaches the layers before left out."""
    for i, l in enumerate(lines):
        if re.match(r"^\s*Note: \S+ = 0 everywhere: ", l):
            return lines[:i] + lines[i + 1:], i
    return None


def c_net_rise_note(lines):
    """The note that the loss rose left out of a network's derivation."""
    if not any(l.startswith("Training a network") for l in lines):
        return None
    for i, l in enumerate(lines):
        if re.match(r"^\s*Note: the loss rose from ", l):
            return lines[:i] + lines[i + 1:], i
    return None


def c_net_upstream(lines):
    """An upstream gradient's entry taken as another value than Given's."""
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*δ\S*\[[\d,]+\] = g\[[\d,]+\] = )(\d+)$", l)
        if m:
            out = list(lines)
            out[i] = m.group(1) + ("0.5" if m.group(2) != "0.5" else "2")
            return out, i
    return None


def c_net_chain(lines):
    """The chain of shapes with a shape that does not follow from Given."""
    for i, l in enumerate(lines):
        m = re.match(r"^(  x \S+ → [^→]+ → )(\d+)×(\d+)×(\d+)( → .*)$", l)
        if m:
            out = list(lines)
            out[i] = f"{m.group(1)}{m.group(2)}×{int(m.group(3)) + 1}×{m.group(4)}{m.group(5)}"
            return out, i
    return None


def c_net_channels(lines):
    """A layer said to take one channel where two reach it."""
    for i, l in enumerate(lines):
        if re.match(r"^  layer [1-9]\d*: conv, .* on 2 channels, ", l):
            out = list(lines)
            out[i] = l.replace(" on 2 channels, ", " on 1 channel, ", 1)
            return out, i
    return None


def c_net_missing_entry(lines):
    """One entry's equation (names and numbers) left out of a network's forward pass."""
    for i, k_, lhs, names, nums, sign, result in sums(lines, "Layer"):
        if lhs.startswith("z⁽") and "forward" in stage_of(lines, i):
            return lines[:i] + lines[i + 2:], i
    return None


def c_net_symbolic_order(lines):
    """Two symbolic lines of a network swapped."""
    for i in range(len(lines) - 1):
        a, b = lines[i], lines[i + 1]
        if re.match(r"^\s*y⁽\d*[⁰¹²³⁴⁵⁶⁷⁸⁹]*⁾\[[\d,]+\] = max\(0, z\S+\)$", a) and \
                re.match(r"^\s*y⁽\S+ = max\(0, z\S+\)$", b):
            out = list(lines)
            out[i], out[i + 1] = b, a
            return out, i
    return None


def section_of(lines, i):
    """The heading of the section line i belongs to (`Step 1`, `Mistake 2: …`, …)."""
    for k in range(i, -1, -1):
        if lines[k] and not lines[k].startswith(" "):
            return lines[k]
    return ""


def bump_factor(term: str):
    """A term with its first plain nonzero number changed in its last digit, or None."""
    for n in re.finditer(r"(?<![\d.·⁰¹²³⁴⁵⁶⁷⁸⁹\[,])\d+(?:\.\d+)?(?![\d·⁰¹²³⁴⁵⁶⁷⁸⁹\]])", term):
        if cd.parse_value(n.group(0)) != 0:
            return term[: n.start()] + bump_last_digit(n.group(0)) + term[n.end():]
    return None


def c_net_delta(lines):
    """An operand of a δ = ∂L/∂y·f′ line changed (its result kept)."""
    for i, l in enumerate(lines):
        m = re.match(rf"^(\s*δ\S*\[[\d,]+\] = )({cd.FAC})(·{cd.FAC} [=≈] {NUM})$", l)
        if m and "backward" in stage_of(lines, i):
            new = bump_factor(m.group(2))
            if new:
                out = list(lines)
                out[i] = m.group(1) + new + m.group(3)
                return out, i
    return None


def c_net_dx_number(lines):
    """An operand of a sum of ∂L/∂x changed (its result kept)."""
    return bump_sum_in(lines, "input gradient:")


def bump_sum_in(lines, what, section="Step"):
    """bump_sum for a stage whose heading contains `what`."""
    for i, k_, lhs, names, nums, sign, result in sums(lines, "Layer"):
        if what not in stage_of(lines, i) or not section_of(lines, i).startswith(section):
            continue
        for k, t in enumerate(nums):
            new = bump_factor(t)
            if new is not None:
                nums2 = list(nums)
                nums2[k] = new
                out = sum_lines(lines, (i, k_), lhs, names, nums2, sign, result)
                # the numbers line that now holds the changed term
                j = next(j for j in range(i, len(out)) if out[j].lstrip().startswith("= "))
                while new not in out[j]:
                    j += 1
                return out, j
    return None


def c_net_wgrad_number(lines):
    """An operand of a filter gradient's sum changed (its result kept)."""
    return bump_sum_in(lines, "filter gradient:")


def c_net_summary_cell(lines):
    """A cell of a network's summary changed."""
    if not any(l.startswith("Training a network") for l in lines):
        return None
    for i, l in enumerate(lines):
        if l.strip().startswith("Summary: the loss at the parameters each step started from"):
            m = re.match(rf"^(\s+\d+\s+≈?)({NUM})$", lines[i + 2])
            if m and re.fullmatch(r"\d+(\.\d+)?", m.group(2)):
                out = list(lines)
                out[i + 2] = m.group(1) + bump_last_digit(m.group(2))
                return out, i + 2
    return None


def fd_rows(lines):
    """(index, cells) of the rows of a network's finite-difference tables."""
    out = []
    net = any(l.startswith("Training a network") for l in lines)
    inside = False
    for i, l in enumerate(lines):
        if l.startswith("Check: finite differences"):
            inside = net
        elif l and not l.startswith(" "):
            inside = False
        if inside and l.strip().startswith("∂L/∂"):
            out.append((i, re.split(r"\s{2,}", l.strip())))
    return out


def c_net_fd_backprop(lines):
    """The backpropagation value of a row of the finite-difference check changed."""
    for i, cells in fd_rows(lines):
        if len(cells) == 4 and re.fullmatch(r"≈?\d+(\.\d+)?", cells[1]) and cd.parse_value(cells[1]) != 0:
            out = list(lines)
            out[i] = lines[i].replace(f" {cells[1]} ", f" {bump_last_digit(cells[1].lstrip('≈'))} ".rjust(
                len(cells[1]) + 2), 1)
            return out, i
    return None


def c_net_fd_difference(lines):
    """The difference of a row of the finite-difference check written as a tenth of the
    backpropagation value (far more than the rounding of the printed numbers allows)."""
    for i, cells in fd_rows(lines):
        if len(cells) == 4 and re.fullmatch(rf"≈{NUM}", cells[3]) and "·10⁻" in cells[3] \
                and re.fullmatch(rf"≈?{NUM}", cells[1]) and cd.finite(cd.parse_value(cells[1])) \
                and cd.parse_value(cells[1]) != 0:
            new = "≈" + cd.fmt_sig(abs(cd.parse_value(cells[1])) / 10, 6)
            out = list(lines)
            out[i] = lines[i][: len(lines[i]) - len(cells[3])].rstrip() + "  " + new
            return out, i
    return None


def c_net_fd_largest(lines):
    """`Largest difference` naming another entry of the same step."""
    rows = fd_rows(lines)
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*Largest difference: \S+, at )(\S+)( of step \d+\.)$", l)
        if m and rows:
            other = next((c[0] for _, c in rows if c[0] != m.group(2) and len(c) == 4 and c[3] != "not compared"), None)
            if other:
                out = list(lines)
                out[i] = m.group(1) + other + m.group(3)
                return out, i
    return None


def c_net_fd_h(lines):
    """h of a step of a network's finite-difference check doubled."""
    if not fd_rows(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(rf"^(\s*Step \d+, h [=≈] )({NUM})$", l)
        if m:
            out = list(lines)
            out[i] = m.group(1) + cd.show(cd.parse_value(m.group(2)) * 2)
            return out, i
    return None


def c_net_fd_kink_quote(lines):
    """The z a kink note quotes changed."""
    if not fd_rows(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(rf"^(\s*Note: \S+: \S+ [=≈] )({NUM})( is within reach of .*)$", l)
        if m and cd.parse_value(m.group(2)) != 0 and re.fullmatch(r"−?\d+(\.\d+)?", m.group(2)):
            out = list(lines)
            out[i] = m.group(1) + bump_last_digit(m.group(2)) + m.group(3)
            return out, i
    return None


def c_net_fd_kink_missing(lines):
    """A kink note of a network's finite-difference check left out."""
    if not fd_rows(lines):
        return None
    for i, l in enumerate(lines):
        if re.match(r"^\s*Note: \S+: \S+ [=≈] \S+ is within reach of ", l):
            return lines[:i] + lines[i + 1:], i
    return None


def c_net_mistake_dx(lines):
    """An operand of a mistake's wrong ∂L/∂x changed (its result kept)."""
    return bump_sum_in(lines, "input gradient, the mistake:", "Mistake")


def c_net_mistake_mean(lines):
    """A mistake's mean bias gradient with the factor of another count of positions."""
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*∂L/∂b\S* = )\(1/(\d+)\)(\[.*)$", l)
        if m and section_of(lines, i).startswith("Mistake"):
            out = list(lines)
            out[i] = f"{m.group(1)}(1/{int(m.group(2)) + 1}){m.group(3)}"
            return out, i
    return None


def c_net_mistake_update(lines):
    """An update of a mistake with its gradient changed (its result kept)."""
    for i, l in enumerate(lines):
        m = re.match(rf"^(\s*\S+ ← {NUM} − {cd.FAC}·)(\(?)(\d+(?:\.\d+)?)(\)? [=≈] {NUM})$", l)
        if m and section_of(lines, i).startswith("Mistake") and cd.parse_value(m.group(3)) != 0:
            out = list(lines)
            out[i] = m.group(1) + m.group(2) + bump_last_digit(m.group(3)) + m.group(4)
            return out, i
    return None


def c_net_mistake_table(lines):
    """A cell of the table of the loss each recipe gives changed."""
    for i, l in enumerate(lines):
        if l.strip() == "The loss after step 1's update, by recipe":
            m = re.match(rf"^(.*  ≈?)(\d+(?:\.\d+)?)$", lines[i + 2])
            if m:
                out = list(lines)
                out[i + 2] = m.group(1) + bump_last_digit(m.group(2))
                return out, i + 2
    return None


def c_net_mistake_heading(lines):
    """A wrong ∂L/∂x's heading with the orientations swapped (the mistake said to be the correct
    one)."""
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*Layer \d+, input gradient, the mistake: \S+ = )(.*) ⋆ (\S+), the filter the wrong way "
                     r"round, in place of (.*) ⋆ (\S+)$", l)
        if m:
            out = list(lines)
            out[i] = f"{m.group(1)}{m.group(2)} ⋆ {m.group(5)}, the filter the wrong way round, in place of " \
                     f"{m.group(4)} ⋆ {m.group(3)}"
            return out, i
    return None


def c_net_mistake_formula(lines):
    """A wrong ∂L/∂x's general formula with the filter's indices of the correct orientation."""
    for i, l in enumerate(lines):
        if section_of(lines, i).startswith("Mistake") and re.match(r"^\s*∂L/∂\S+\[[a-z,]+\] = Σ ", l) \
                and re.search(r"\d − i, ?\d − j", l):
            out = list(lines)
            out[i] = re.sub(r"\d − i, ?\d − j", "i, j", l, count=1)
            return out, i
    return None


def c_net_mistake_absent(lines):
    """The reason a recipe concerns no layer replaced by another recipe's."""
    reasons = list(cd.RECIPE_ABSENT.values())
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*Note: .* is not shown: )(.+)(\.)$", l)
        if m and m.group(2) in reasons:
            other = reasons[(reasons.index(m.group(2)) + 1) % len(reasons)]
            out = list(lines)
            out[i] = m.group(1) + other + m.group(3)
            return out, i
    return None


CORRUPTIONS = [
    ("result-digit", c_result_digit, "do not give the rounded result"),
    ("operand-digits", c_operand_digits, "do not give the rounded result"),
    ("missing-approx", c_missing_approx, "with `≈`"),
    ("spurious-approx", c_spurious_approx, "no `≈`"),
    ("exact-equals", c_exact_equals, "after `=` is not the exact value"),
    ("misaligned", c_misaligned, "not exactly under the `=`"),
    ("over-width", c_over_width, "characters"),
    ("early-wrap", c_early_wrap, "wrapped early"),
    ("f64-reason", c_f64_reason, "the reason"),
    ("title", c_title, "title"),
    ("product-parens", c_product_parens, "parentheses"),
    ("old-e-form", c_old_e_form, "not a number|not understood|cannot"),
    ("plain-big", c_plain_big, "power of ten|significant digits"),
    ("note-mark", c_note_mark, "with `≈`"),
    ("update-change", c_update_change, "change"),
    ("trend", c_trend, "trend"),
    ("summary-row", c_summary_row, "rows"),
    ("nonfinite-note", c_nonfinite_note, "central difference"),
    # networks
    ("net-forward-number", c_net_forward_number, "not a printing|do not give|not the exact value"),
    ("net-dx-missing-term", c_net_dx_missing_term, "terms differ from the definition"),
    ("net-dx-extra-term", c_net_dx_extra_term, "terms differ from the definition"),
    ("net-channel-sum", c_net_channel_sum, "terms differ from the definition"),
    ("net-flip", c_net_flip, "terms differ from the definition"),
    ("net-stride", c_net_stride, "stride"),
    ("net-matrix-entry", c_net_matrix_entry, "is not the value its equation"),
    ("net-update", c_net_update, "not a printing"),
    ("net-dead-note", c_net_dead_note, "not those below 0"),
    ("net-bias-mean", c_net_bias_mean, "factor in front of the sum differs from its definition"),
    ("net-header", c_net_header, "heading does not follow from Given"),
    ("net-index-formula", c_net_index_formula, "index"),
    ("net-full-prose", c_net_full_prose, "explanation of the full convolution"),
    ("net-zero-note", c_net_zero_note, "no note says so"),
    ("net-rise-note", c_net_rise_note, "no note says so"),
    ("net-upstream", c_net_upstream, "not the value of g"),
    ("net-chain", c_net_chain, "chain of shapes"),
    ("net-channels", c_net_channels, "channels"),
    ("net-missing-entry", c_net_missing_entry, "no equation printed|before every equation"),
    ("net-symbolic-order", c_net_symbolic_order, "out of order"),
    ("net-delta", c_net_delta, "not a printing of"),
    ("net-dx-number", c_net_dx_number, "not a printing of|do not give|not the exact value"),
    ("net-wgrad-number", c_net_wgrad_number, "not a printing of|do not give|not the exact value"),
    ("net-summary-cell", c_net_summary_cell, "summary row .*not a printing"),
    ("net-fd-backprop", c_net_fd_backprop, "backpropagation value .*not a printing|not what the step's printed"),
    ("net-fd-difference", c_net_fd_difference, r"not \|backpropagation − central difference\|"),
    ("net-fd-largest", c_net_fd_largest, "largest difference is not at the entry named"),
    ("net-fd-h", c_net_fd_h, "h is not 10⁻⁶"),
    ("net-fd-kink-quote", c_net_fd_kink_quote, "not a printing of"),
    ("net-fd-kink-missing", c_net_fd_kink_missing, "no note says why"),
    ("net-mistake-dx", c_net_mistake_dx, "not a printing of|do not give|not the exact value"),
    ("net-mistake-mean", c_net_mistake_mean, "factor in front of the sum differs"),
    ("net-mistake-update", c_net_mistake_update, "not a printing of"),
    ("net-mistake-table", c_net_mistake_table, "mistakes' table.*not a printing"),
    ("net-mistake-heading", c_net_mistake_heading, "heading does not follow from Given"),
    ("net-mistake-formula", c_net_mistake_formula, "the weight's indices"),
    ("net-mistake-absent", c_net_mistake_absent, "why the recipe concerns no layer"),
]


PASS_LINE = re.compile(rf"^(\s+(?:∂L/∂[bxyv]|δ)\S* = )(\S+)\[([\d,]+)\] ([=≈]) ({NUM})$")


def c_net_pass_value(lines):
    for i, l in enumerate(lines):
        m = PASS_LINE.match(l)
        if m and "∞" not in m.group(5) and m.group(5) != "NaN" and m.group(5) != "0":
            out = list(lines)
            out[i] = f"{m.group(1)}{m.group(2)}[{m.group(3)}] {m.group(4)} {bump_last_digit(m.group(5))}"
            return out, i
    return None


def c_net_pass_name(lines):
    for i, l in enumerate(lines):
        m = PASS_LINE.match(l)
        if m:
            idx = m.group(3).split(",")
            idx[-1] = str(int(idx[-1]) + 1)
            out = list(lines)
            out[i] = f"{m.group(1)}{m.group(2)}[{','.join(idx)}] {m.group(4)} {m.group(5)}"
            return out, i
    return None


CORRUPTIONS += [
    ("net-pass-value", c_net_pass_value, "not a printing of|exact value|not the shortest"),
    ("net-pass-name", c_net_pass_name, "passes that value on"),
]


# -- networks of pools, flatten, dense layers and a softmax cross-entropy ------------------------

def find(lines, pattern, stage="", section="", pred=None):
    """(index, match) of the first line matching `pattern` in a stage whose heading starts with
    `stage` and a section whose heading starts with `section` (and `pred(i, m)`), or None."""
    rx = re.compile(pattern)
    for i, l in enumerate(lines):
        m = rx.match(l)
        if m and stage_of(lines, i).startswith(stage) and section_of(lines, i).startswith(section) \
                and (pred is None or pred(i, m)):
            return i, m
    return None


def replace_line(lines, i, new):
    out = list(lines)
    out[i] = new
    return out, i


def bump_num(text: str):
    """The number with its last digit changed (0 → 1, ∞ and NaN left as they are: None)."""
    if text in ("0", "−0"):
        return "1"
    if "∞" in text or text == "NaN":
        return None
    return bump_last_digit(text)


MAX_NUMS = rf"^(\s*(?:\S+ )?= )max\((.*)\) ([=≈]) ({NUM})(.*)$"


def c_net2_max_operand(lines):
    """An operand of a max pool's max(…) changed (its result kept)."""
    f = find(lines, MAX_NUMS, "Layer", pred=lambda i, m: "max_pool(" in stage_of(lines, i))
    if not f:
        return None
    i, m = f
    ops = m.group(2).split(", ")
    k = max(range(len(ops)), key=lambda k: 0 if "∞" in ops[k] or ops[k] == "NaN" else 1)
    new = bump_num(ops[k])
    if new is None:
        return None
    ops[k] = new
    return replace_line(lines, i, f"{m.group(1)}max({', '.join(ops)}) {m.group(3)} {m.group(4)}{m.group(5)}")


def c_net2_max_name(lines):
    """A window entry of a max pool's names line replaced by the entry next to it."""
    f = find(lines, r"^(\s*y\S*\[[\d,]+\] = )max\((.*)\)$", "Layer", pred=lambda i, m: "max_pool(" in stage_of(lines, i))
    if not f:
        return None
    i, m = f
    names = m.group(2).split(", ")
    names[-1] = re.sub(r"(\d+)\]$", lambda d: f"{int(d.group(1)) + 1}]", names[-1])
    return replace_line(lines, i, f"{m.group(1)}max({', '.join(names)})")


def c_net2_max_result(lines):
    """A max pool's result replaced by the smallest of its operands (a max that is not the max)."""
    def ok(i, m):
        vals = [cd.parse_value(t) for t in m.group(2).split(", ")]
        return all(cd.finite(v) for v in vals) and len(set(vals)) > 1
    f = find(lines, MAX_NUMS, "Layer", pred=lambda i, m: ok(i, m) and "max_pool(" in stage_of(lines, i))
    if not f:
        return None
    i, m = f
    ops = m.group(2).split(", ")
    low = min(ops, key=cd.parse_value)
    return replace_line(lines, i, f"{m.group(1)}max({m.group(2)}) = {low}")


def c_net2_tie_reason(lines):
    """The note of a tie on a max line left out."""
    f = find(lines, rf"^(.*max\(.*\) [=≈] {NUM})   \(a tie between .*\)$", "Layer")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1))


def c_net2_tie_note(lines):
    """A max pool's tie note naming the second of the tied entries as the one taken."""
    f = find(lines, r"^(\s*Note: \S+: a tie for the maximum, between )(.+)(; the first in row-major order, )(\S+)(, .*)$")
    if not f:
        return None
    i, m = f
    second = cd.names_of(m.group(2))[1]
    return replace_line(lines, i, m.group(1) + m.group(2) + m.group(3) + second + m.group(5))


def c_net2_avg_term(lines):
    """A term of an average pool's window left out of its names line (and its number)."""
    for s in sums(lines, "Layer"):
        i, k, lhs, names, nums, sign, result = s
        if "avg_pool" in stage_of(lines, i) and names[0].startswith("(1/") and len(names) > 2:
            return sum_lines(lines, (i, k), lhs, names[:1] + names[2:], nums[:1] + nums[2:], sign, result), i
    return None


def c_net2_avg_scale(lines):
    """An average pool's factor (1/n) written (1/(n+1)) on its names line."""
    for s in sums(lines, "Layer"):
        i, k, lhs, names, nums, sign, result = s
        m = re.match(r"^\((\d+)/(\d+)\)(.*)$", names[0])
        if m and "avg_pool" in stage_of(lines, i):
            names = [f"({m.group(1)}/{int(m.group(2)) + 1}){m.group(3)}"] + names[1:]
            return sum_lines(lines, (i, k), lhs, names, nums, sign, result), i
    return None


def c_net2_flatten_copy(lines):
    """Two entries of a flatten's vector swapped (not the map's row-major order)."""
    def ok(i, m):
        return "laid out in one row" in stage_of(lines, i) and len(set(m.group(3).split())) > 1
    f = find(lines, r"^(\s*v\S* )([=≈]) \[ (.*) \]$", "Layer", pred=ok)
    if not f:
        return None
    i, m = f
    cells = m.group(3).split()
    a = next(k for k in range(1, len(cells)) if cells[k] != cells[0])
    cells[0], cells[a] = cells[a], cells[0]
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)} [ {'  '.join(cells)} ]")


def c_net2_flatten_back(lines):
    """An entry of a flatten's gradient folded back changed."""
    f = find(lines, rf"^(\s*\S+ [=≈] \[ )({NUM})(.*)$", "Layer", pred=lambda i, m: "folded back" in stage_of(lines, i)
             and bump_num(m.group(2)) is not None)
    if not f:
        return None
    i, m = f
    new = bump_num(m.group(2))
    return replace_line(lines, i, m.group(1) + new + m.group(3))


def c_net2_dense_term(lines):
    """A dense forward sum's weight entry transposed (w[o,i] → w[i,o]) in its names line."""
    for s in sums(lines, "Layer"):
        i, k, lhs, names, nums, sign, result = s
        if re.match(r"z\S*\[\d+\]$", lhs) and "·" in names[0]:
            for t, term in enumerate(names):
                m = re.match(r"^(w\S*)\[(\d+),(\d+)\](·.*)$", term)
                if m and m.group(2) != m.group(3):
                    names = list(names)
                    names[t] = f"{m.group(1)}[{m.group(3)},{m.group(2)}]{m.group(4)}"
                    return sum_lines(lines, (i, k), lhs, names, nums, sign, result), i
    return None


def c_net2_dense_dx(lines):
    """A dense layer's ∂L/∂x with W in place of Wᵀ in its names (w[o,i] → w[i,o])."""
    for s in sums(lines, "Layer"):
        i, k, lhs, names, nums, sign, result = s
        if "input gradient:" in stage_of(lines, i) and "ᵀ·δ" in stage_of(lines, i):
            for t, term in enumerate(names):
                m = re.match(r"^(w\S*)\[(\d+),(\d+)\](·.*)$", term)
                if m and m.group(2) != m.group(3):
                    names = list(names)
                    names[t] = f"{m.group(1)}[{m.group(3)},{m.group(2)}]{m.group(4)}"
                    return sum_lines(lines, (i, k), lhs, names, nums, sign, result), i
    return None


def c_net2_dense_wgrad(lines):
    """An operand of a dense weight gradient's product changed (its result kept)."""
    for s in sums(lines, "Layer"):
        i, k, lhs, names, nums, sign, result = s
        if "weight gradient" in stage_of(lines, i) and len(nums) == 1:
            new = bump_factor(nums[0])
            if new:
                return sum_lines(lines, (i, k), lhs, names, [new], sign, result), k - 1
    return None


def worked(lines, lhs_re, body_re):
    """(index, match) of the numbers line (`= …` under the names) of a softmax's equation,
    its result shown with 6 digits."""
    return find(lines, rf"^(\s*(?:{lhs_re} )?= )({body_re}) ([=≈]) ({NUM})(.*)$", "Loss: L = −Σ",
                pred=lambda i, m: cd.sig_digits(m.group(4)) >= 6 and "·10" not in m.group(4))


def c_net2_softmax_m(lines):
    """The softmax's largest logit m replaced by its smallest."""
    def ok(i, m):
        vals = [cd.parse_value(t) for t in m.group(2)[4:-1].split(", ")]
        return all(cd.finite(v) for v in vals) and len(set(vals)) > 1 and lines[i - 1].strip().startswith("m =")
    f = find(lines, rf"^(\s*= )(max\(.*\)) ([=≈]) ({NUM})(.*)$", "Loss: L = −Σ", pred=ok)
    if not f:
        return None
    i, m = f
    low = min(m.group(2)[4:-1].split(", "), key=cd.parse_value)
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)} = {low}")


def c_net2_softmax_exp(lines):
    """The result of an e[k] = exp(z[k] − m) changed in its last digit."""
    f = worked(lines, r"e\[\d+\]", r"exp\(.*\)")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)} {m.group(3)} {bump_num(m.group(4))}{m.group(5)}")


def c_net2_softmax_ratio(lines):
    """The result of a p[k] = e[k]/S changed in its last digit."""
    f = find(lines, rf"^(\s*(?:p\[\d+\] )?= )({cd.FAC}/{cd.FAC}) ([=≈]) ({NUM})$", "Loss: L = −Σ",
             pred=lambda i, m: cd.sig_digits(m.group(4)) >= 6)
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)} {m.group(3)} {bump_num(m.group(4))}")


def c_net2_softmax_sum(lines):
    """An operand of S = e[0] + … changed (its result kept)."""
    for s in sums(lines, "Loss: L = −Σ"):
        i, k, lhs, names, nums, sign, result = s
        if lhs == "S":
            for t, n in enumerate(nums):
                new = bump_num(n.strip("()"))
                if new and new != "1":
                    nums = list(nums)
                    nums[t] = new
                    return sum_lines(lines, (i, k), lhs, names, nums, sign, result), k - 1
    return None


def c_net2_ce_result(lines):
    """The cross-entropy's result changed in its last digit."""
    f = find(lines, rf"^(\s*(?:L )?= )(−.*log\(.*) ([=≈]) ({NUM})$", "Loss: L = −Σ",
             pred=lambda i, m: cd.sig_digits(m.group(4)) >= 6 and "∞" not in m.group(4)
             and " − log(" not in m.group(2))
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)} {m.group(3)} {bump_num(m.group(4))}")


def c_net2_ce_target(lines):
    """A target entry of the cross-entropy's numbers taken as another class's."""
    f = find(lines, rf"^(\s*(?:L )?= −\[)(.*)(\] [=≈] {NUM})$", "Loss: L = −Σ")
    if not f:
        return None
    i, m = f
    parts = m.group(2).split(" + ")
    ts = [p.split("·log")[0] for p in parts]
    k = next((k for k in range(1, len(ts)) if ts[k] != ts[0]), None)
    if k is None:
        return None
    parts[0] = ts[k] + "·log" + parts[0].split("·log", 1)[1]
    return replace_line(lines, i, m.group(1) + " + ".join(parts) + m.group(3))


def c_net2_p_minus_t(lines):
    """A δ = p − t line written with t − p's numbers."""
    f = find(lines, rf"^(\s*\S+\[\d+\] = )({NUM}) − ({NUM}) ([=≈]) ({NUM})$", "Gradient of the loss: ∂L/∂",
             pred=lambda i, m: "p − t" in stage_of(lines, i) and m.group(2) != m.group(3))
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(3)} − {m.group(2)} {m.group(4)} {m.group(5)}")


def c_net2_maxpool_route(lines):
    """A max pool's ∂L/∂x entry that one window picked passed another window's gradient."""
    f = find(lines, rf"^(\s*\S+ = )(∂L/∂y\S*)\[([\d,]+)\] ([=≈]) ({NUM})$", "Layer",
             pred=lambda i, m: "routed to each window's maximum" in stage_of(lines, i))
    if not f:
        return None
    i, m = f
    idx = m.group(3).split(",")
    idx[-1] = str(1 - int(idx[-1])) if idx[-1] in "01" else "0"
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)}[{','.join(idx)}] {m.group(4)} {m.group(5)}")


def c_net2_unpicked(lines):
    """A max pool's entry no window picked said to lie in no window (the floor)."""
    f = find(lines, r"^(\s*\S+ = 0   \()no window picked this entry as its maximum(\))$", "Layer")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + "no pooling window covers this entry: the output size is floored" +
                        m.group(2))


def c_net2_pool_size(lines):
    """A pool's output size with the window's size quoted wrong."""
    f = find(lines, r"^(\s*layer \d+ \((?:max|avg)_pool\): OH = ⌊?\(\d+ − )(\d+)(.*)$")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + str(int(m.group(2)) + 1) + m.group(3))


def c_net2_floor_note(lines):
    """The note on the rows and columns no pooling window covers left out."""
    f = find(lines, r"^(\s*layer \d+ \((?:max|avg)_pool\): .*\d) \(.* in no window.*\)$")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1))


def c_net2_flatten_n(lines):
    """A flatten's N = C·H·W with a wrong product."""
    f = find(lines, r"^(\s*layer \d+ \(flatten\): N = \S+ = )(\d+)$")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + str(int(m.group(2)) + 1))


def c_net2_dense_size(lines):
    """A dense layer's size line with its weight's shape transposed."""
    f = find(lines, r"^(\s*layer \d+ \(dense\): )(\d+)×(\d+)( weight: .*)$", pred=lambda i, m: m.group(2) != m.group(3))
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(3)}×{m.group(2)}{m.group(4)}")


def c_net2_chain(lines):
    """The chain of shapes with a pool's stride left out where it differs from the window."""
    f = find(lines, r"^(\s*x .*(?:max|avg)_pool \d+×\d+), stride [^→]+( → .*)$")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + m.group(2))


def c_net2_given_pool(lines):
    """A pool with overlapping windows described without `overlapping`."""
    f = find(lines, r"^(\s*layer \d+: (?:max|avg)_pool, .*), overlapping(, .*)$")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + m.group(2))


def c_net2_given_dense(lines):
    """A dense layer described with one output too many."""
    f = find(lines, r"^(\s*layer \d+: dense, \d+ inputs to )(\d+)( outputs, weight )(\d+)(×.*)$")
    if not f:
        return None
    i, m = f
    n = str(int(m.group(2)) + 1)
    return replace_line(lines, i, m.group(1) + n + m.group(3) + n + m.group(5))


def c_net2_onehot_note(lines):
    """Given's note on the one-hot target a softmax never reaches left out."""
    f = find(lines, r"^\s*Note: a softmax gives every class a probability")
    if not f:
        return None
    i, _ = f
    return lines[:i] + lines[i + 1:], i


def c_net2_why(lines):
    """The explanation of p − t with the sign of the result turned."""
    f = find(lines, r"^(\s*weighted by t\[k\] and summed, with Σ_k t\[k\] = 1, that is )p\[j\] − t\[j\](.*)$")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + "t[j] − p[j]" + m.group(2))


def c_net2_fd_pool_quote(lines):
    """The max-pool output a finite-difference note quotes changed."""
    f = find(lines, rf"^(\s*Note: \S+: \S+ [=≈] )({NUM})( is within reach of a change of its max-pool window's maximum.*)$",
             pred=lambda i, m: bump_num(m.group(2)) is not None)
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + bump_num(m.group(2)) + m.group(3))


def c_net2_fd_pool_missing(lines):
    """A finite-difference note on a max-pool window's maximum left out (its row is then not
    compared without a reason)."""
    f = find(lines, r"^\s*Note: \S+: \S+ [=≈] \S+ is within reach of a change of its max-pool window's maximum")
    if not f:
        return None
    i, _ = f
    return lines[:i] + lines[i + 1:], i


def c_net2_spread_scale(lines):
    """The spread max-pool mistake's factor 1/n written 1/(n+1) on a names line."""
    for s in sums(lines, "Layer"):
        i, k, lhs, names, nums, sign, result = s
        m = re.match(r"^\((\d+)/(\d+)\)(.*)$", names[0])
        if m and "spread evenly" in stage_of(lines, i):
            names = [f"({m.group(1)}/{int(m.group(2)) + 1}){m.group(3)}"] + names[1:]
            return sum_lines(lines, (i, k), lhs, names, nums, sign, result), i
    return None


def c_net2_untransposed(lines):
    """The W-for-Wᵀ mistake's ∂L/∂x with the correct (transposed) weight entry in its names."""
    for s in sums(lines, "Layer"):
        i, k, lhs, names, nums, sign, result = s
        if "the weight as it stands" in stage_of(lines, i):
            for t, term in enumerate(names):
                m = re.match(r"^(w\S*)\[(\d+),(\d+)\](·.*)$", term)
                if m and m.group(2) != m.group(3):
                    names = list(names)
                    names[t] = f"{m.group(1)}[{m.group(3)},{m.group(2)}]{m.group(4)}"
                    return sum_lines(lines, (i, k), lhs, names, nums, sign, result), i
    return None


def c_net2_absent(lines):
    """The reason the W-for-Wᵀ recipe is not shown replaced by the spread max pool's."""
    f = find(lines, r"^(\s*Note: the dense input gradient with W in place of Wᵀ is not shown: ).*$")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + "no max pool after the first layer has a window of more than one entry.")


def c_net2_flipped(lines):
    """A line of the t − p mistake's loss gradient written with p − t's numbers."""
    f = find(lines, rf"^(\s*\S+\[\d+\] = )({NUM}) − ({NUM}) ([=≈]) ({NUM})$", "Gradient of the loss, the mistake",
             pred=lambda i, m: m.group(2) != m.group(3))
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(3)} − {m.group(2)} {m.group(4)} {m.group(5)}")


def c_net2_tied_reason(lines):
    """A max pool's entry that tied for a window's maximum (and lost it to the first) said to be
    picked by no window."""
    f = find(lines, r"^(\s*\S+ = 0   \()tied for its window's maximum, but the first of the tie, \S+, takes the "
                    r"gradient(\))$", "Layer")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, m.group(1) + "no window picked this entry as its maximum" + m.group(2))


LOGP_NUMS = rf"^(\s*(?:log p\S* )?= )({NUM})( − {cd.FAC} − log\({NUM}\)) ([=≈]) ({NUM})$"


def c_net2_logp_result(lines):
    """The result of a log p[k] = z[k] − m − log(S) changed in its last digit."""
    f = find(lines, LOGP_NUMS, "Loss: L = −Σ", pred=lambda i, m: cd.sig_digits(m.group(5)) >= 6)
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{m.group(3)} {m.group(4)} {bump_num(m.group(5))}")


def c_net2_logp_operand(lines):
    """The logit of a log p[k] = z[k] − m − log(S) changed in its last digit (its result kept)."""
    f = find(lines, LOGP_NUMS, "Loss: L = −Σ", pred=lambda i, m: cd.sig_digits(m.group(2)) >= 6)
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{bump_num(m.group(2))}{m.group(3)} {m.group(4)} {m.group(5)}")


UNDERFLOW_ONE = r"^(\s*Note: p(?:⁽⁰⁾)?\[)(\d+)(\] underflows below the smallest normal f64.*)$"


def c_net2_underflow_note(lines):
    """The note on a probability that underflows naming another class."""
    f = find(lines, UNDERFLOW_ONE, "Loss: L = −Σ")
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{1 if m.group(2) == '0' else 0}{m.group(3)}")


def c_net2_underflow_none(lines):
    """The note on probabilities that underflow left out."""
    f = find(lines, r"^\s*Note: p\S* .*underflows? below the smallest normal f64", "Loss: L = −Σ")
    if not f:
        return None
    i, _ = f
    return lines[:i] + lines[i + 1:], i


CELOG_NUMS = rf"^(\s*(?:L )?= )(−\[?{cd.FAC}·{cd.FAC}(?: \+ {cd.FAC}·{cd.FAC})*\]?) ([=≈]) ({NUM})$"


def c_net2_celog_result(lines):
    """The loss from the logs of probabilities that underflow changed in its last digit."""
    f = find(lines, CELOG_NUMS, "Loss: L = −Σ", pred=lambda i, m: cd.sig_digits(m.group(4)) >= 6
             and "∞" not in m.group(4))
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)} {m.group(3)} {bump_num(m.group(4))}")


def c_net2_celog_parens(lines):
    """The parentheses around a negative log value of that loss dropped."""
    f = find(lines, CELOG_NUMS, "Loss: L = −Σ", pred=lambda i, m: "·(−" in m.group(2))
    if not f:
        return None
    i, m = f
    body = re.sub(rf"·\((−{NUM})\)", r"·\1", m.group(2), count=1)
    return replace_line(lines, i, f"{m.group(1)}{body} {m.group(3)} {m.group(4)}")


def c_net2_scale_parens(lines):
    """The parentheses around a single value with a power of ten after a sum's factor dropped."""
    f = find(lines, rf"^(.* = \(1/\d+\)·)\(({NUM})\)( [=≈] {NUM})$", "Layer",
             pred=lambda i, m: "·10" in m.group(2) and not m.group(2).startswith("−"))
    if not f:
        return None
    i, m = f
    return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{m.group(3)}")


CORRUPTIONS += [
    ("net2-logp-result", c_net2_logp_result, "do not give the rounded result.*z − m − log\\(S\\)"),
    ("net2-logp-operand", c_net2_logp_operand, "not a printing of"),
    ("net2-underflow-note", c_net2_underflow_note, "classes named are not exactly"),
    ("net2-underflow-none", c_net2_underflow_none, "smallest normal f64, but no note says so"),
    ("net2-celog-result", c_net2_celog_result, "do not give|not the exact value"),
    ("net2-celog-parens", c_net2_celog_parens, "in parentheses"),
    ("net2-scale-parens", c_net2_scale_parens, "in parentheses"),
    ("net2-flipped", c_net2_flipped, "not a printing of"),
    ("net2-tied-reason", c_net2_tied_reason, "an empty sum"),
    ("net2-max-operand", c_net2_max_operand, "not a printing of|do not give|not the exact value"),
    ("net2-max-name", c_net2_max_name, "names line is not the formula"),
    ("net2-max-result", c_net2_max_result, "not the exact value|do not give|wrong result"),
    ("net2-tie-reason", c_net2_tie_reason, "a tie, but no note|print alike as the maximum, and no tie is noted"),
    ("net2-tie-note", c_net2_tie_note, "not the tie"),
    ("net2-avg-term", c_net2_avg_term, "terms differ from the definition"),
    ("net2-avg-scale", c_net2_avg_scale, "factor in front of the sum differs"),
    ("net2-flatten-copy", c_net2_flatten_copy, "is not the value its equation"),
    ("net2-flatten-back", c_net2_flatten_back, "is not the value its equation"),
    ("net2-dense-term", c_net2_dense_term, "terms differ from the definition"),
    ("net2-dense-dx", c_net2_dense_dx, "terms differ from the definition"),
    ("net2-dense-wgrad", c_net2_dense_wgrad, "not a printing of|do not give|not the exact value"),
    ("net2-softmax-m", c_net2_softmax_m, "not the exact value|do not give|wrong result"),
    ("net2-softmax-exp", c_net2_softmax_exp, "do not give the rounded result.*exp evaluated"),
    ("net2-softmax-ratio", c_net2_softmax_ratio, "do not give|not the exact value"),
    ("net2-softmax-sum", c_net2_softmax_sum, "not a printing of|do not give"),
    ("net2-ce-result", c_net2_ce_result, "do not give the rounded result.*cross-entropy evaluated"),
    ("net2-ce-target", c_net2_ce_target, "not a printing of"),
    ("net2-p-minus-t", c_net2_p_minus_t, "not a printing of"),
    ("net2-maxpool-route", c_net2_maxpool_route, "passes that value on|terms differ"),
    ("net2-unpicked", c_net2_unpicked, "an empty sum"),
    ("net2-pool-size", c_net2_pool_size, "operand differs from Given"),
    ("net2-floor-note", c_net2_floor_note, "no window covers"),
    ("net2-flatten-n", c_net2_flatten_n, "not the exact value|N:"),
    ("net2-dense-size", c_net2_dense_size, "a dense layer"),
    ("net2-chain", c_net2_chain, "chain of shapes"),
    ("net2-given-pool", c_net2_given_pool, "overlapping"),
    ("net2-given-dense", c_net2_given_dense, "dense layer|shape"),
    ("net2-onehot-note", c_net2_onehot_note, "no note says so"),
    ("net2-why", c_net2_why, "explains|explanation|not understood"),
    ("net2-fd-pool-quote", c_net2_fd_pool_quote, "not a printing of"),
    ("net2-fd-pool-missing", c_net2_fd_pool_missing, "no note says why"),
    ("net2-spread-scale", c_net2_spread_scale, "factor in front of the sum differs"),
    ("net2-untransposed", c_net2_untransposed, "terms differ from the definition"),
    ("net2-absent", c_net2_absent, "why the recipe concerns no layer"),
]


# -- exact derivations (fractions, `=` everywhere): only texts the checker reads as exact ------

FRACTION = r"(−?)(\d+)/(\d+)"
# an equation whose result is a fraction: `… = (16/3)·1 = 16/3`, a continuation `= … = 35/6`
FRAC_RESULT = re.compile(rf"^(\s*(?:\S.*? )?= .*[·+−\]²].* = ){FRACTION}$")


def exact_text(lines) -> bool:
    return cd.is_exact(list(enumerate(lines)))


def frac_results(lines):
    """(index, match) of the equations of an exact text whose result is a fraction, in a step
    (not a note or the result line)."""
    if not exact_text(lines):
        return
    in_step = False
    for i, l in enumerate(lines):
        if re.match(r"^Step \d+", l):
            in_step = True
        m = FRAC_RESULT.match(l)
        if in_step and m and not l.strip().startswith(("Note", "L: ")):
            yield i, m


def coprime_after(n: int, d: int) -> int:
    """The first numerator after n (n + 1, n + 2, …) in lowest terms over d."""
    k = n + 1
    while cd.math.gcd(k, d) != 1:
        k += 1
    return k


def c_exact_numerator(lines):
    """The numerator of a fraction result changed (still in lowest terms: only the value tells)."""
    for i, m in frac_results(lines):
        n, d = int(m.group(3)), int(m.group(4))
        return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{coprime_after(n, d)}/{d}")
    return None


def c_exact_denominator(lines):
    """The denominator of a fraction result changed (still in lowest terms)."""
    for i, m in frac_results(lines):
        n, d = int(m.group(3)), int(m.group(4))
        d2 = coprime_after(d, n)
        return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{n}/{d2}")
    return None


def c_exact_minus(lines):
    """The minus sign of a negative fraction result dropped."""
    for i, m in frac_results(lines):
        if m.group(2):
            return replace_line(lines, i, f"{m.group(1)}{m.group(3)}/{m.group(4)}")
    return None


def c_exact_minus_operand(lines):
    """The minus sign of a negative fraction factor dropped (`·(−1/4)` → `·(1/4)`), the result
    kept."""
    for i, m in frac_results(lines):
        body = m.group(1)
        f = re.search(r"·\(−(\d+/\d+)\)", body)
        if f:
            new = body[: f.start()] + f"·({f.group(1)})" + body[f.end():]
            return replace_line(lines, i, f"{new}{m.group(2)}{m.group(3)}/{m.group(4)}")
    return None


def c_exact_unreduced(lines):
    """A fraction result written not in lowest terms, its value kept (`16/3` → `32/6`)."""
    for i, m in frac_results(lines):
        n, d = int(m.group(3)), int(m.group(4))
        return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{2 * n}/{2 * d}")
    return None


def c_exact_unreduced_wrong(lines):
    """A fraction result written not in lowest terms and with another value (`16/3` → `34/6`)."""
    for i, m in frac_results(lines):
        n, d = int(m.group(3)), int(m.group(4))
        return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{2 * n + 2}/{2 * d}")
    return None


def c_exact_approx(lines):
    """An equation of an exact text said with `≈` (its value kept)."""
    for i, m in frac_results(lines):
        head = m.group(1)
        return replace_line(lines, i, f"{head[:-2]}≈ {m.group(2)}{m.group(3)}/{m.group(4)}")
    return None


def c_exact_decimal(lines):
    """A fraction result with a terminating decimal written as that decimal (`5/4` → `1.25`):
    the same value, not the printed form of an exact value."""
    for i, m in frac_results(lines):
        d = int(m.group(4))
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            v = cd.Fraction(int(m.group(3)), int(m.group(4)))
            return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{cd.show(v)}")
    return None


def c_exact_parens(lines):
    """The parentheses around a positive fraction factor of a product dropped (`3·(1/3)` →
    `3·1/3`, which reads as (3·1)/3)."""
    for i, m in frac_results(lines):
        body = m.group(1)
        f = re.search(r"(?<=\d)·\((\d+/\d+)\)", body)
        if f:
            new = body[: f.start()] + f"·{f.group(1)}" + body[f.end():]
            return replace_line(lines, i, f"{new}{m.group(2)}{m.group(3)}/{m.group(4)}")
    return None


def c_exact_operand(lines):
    """The denominator of a fraction operand of an equation changed (its result kept)."""
    for i, m in frac_results(lines):
        body = m.group(1)
        f = re.search(r"(?<=·)\((−?)(\d+)/(\d+)\)", body)
        if f:
            n, d = int(f.group(2)), int(f.group(3))
            new = body[: f.start()] + f"({f.group(1)}{n}/{coprime_after(d, n)})" + body[f.end():]
            return replace_line(lines, i, f"{new}{m.group(2)}{m.group(3)}/{m.group(4)}")
    return None


def c_exact_matrix(lines):
    """A fraction entry of a computed matrix changed in the last digit of its numerator (the
    width kept)."""
    if not exact_text(lines):
        return None
    in_step = False
    for i, l in enumerate(lines):
        if re.match(r"^Step \d+", l):
            in_step = True
        m = re.match(r"^(\s*(?:\S+ )?(?:= )?\[\s+)(−?)(\d+)/(\d+)( .*)$", l)
        if in_step and m and "Given" not in section_of(lines, i):
            d = int(m.group(4))
            n = bump_last_digit(m.group(3))
            if cd.math.gcd(int(n), d) != 1:
                n = str(int(n) + 2) if len(str(int(n) + 2)) == len(n) else n
            if cd.math.gcd(int(n), d) == 1 and n != m.group(3):
                return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{n}/{d}{m.group(5)}")
    return None


def c_exact_fd_difference(lines):
    """A difference of 0 in an exact finite-difference check written as h itself (the table
    realigned)."""
    if not exact_text(lines):
        return None
    h = None
    for i, l in enumerate(lines):
        mh = re.match(r"^\s*Step \d+, h = (\d+/\d+)$", l)
        if mh:
            h = mh.group(1)
        cells = re.split(r"\s{2,}", l.strip())
        if h and l.strip().startswith("∂L/∂") and len(cells) == 4 and cells[3] == "0":
            a = i
            while not lines[a - 1].strip().startswith("entry"):
                a -= 1
            b = i
            while b + 1 < len(lines) and lines[b + 1].strip().startswith("∂L/∂"):
                b += 1
            rows = lines[a - 1: b + 1]
            rows[i - a + 1] = "  ".join(cells[:3] + [h])
            out = list(lines)
            out[a - 1: b + 1] = realign(rows)
            return out, i
    return None


def c_exact_growth_digits(lines):
    """The digits the note on growing fractions gives changed by one."""
    if not exact_text(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(r"^(.*Note: the fractions grow .*together: )(\d+)(\).*)$", l)
        if m:
            return replace_line(lines, i, f"{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}")
    return None


def c_exact_growth_missing(lines):
    """The note on growing fractions left out."""
    if not exact_text(lines):
        return None
    for i, l in enumerate(lines):
        if l.strip().startswith("Note: the fractions grow with every step"):
            return lines[:i] + lines[i + 1:], i
    return None


DECIMALS = re.compile(rf"^(\s*L: .*; in decimals ≈?{NUM} → )(≈?)({NUM})(\))$")


def c_exact_decimals(lines):
    """The final loss in decimals changed in its last digit."""
    if not exact_text(lines):
        return None
    for i, l in enumerate(lines):
        m = DECIMALS.match(l)
        if m and "·10" not in m.group(3):
            return replace_line(lines, i, f"{m.group(1)}{m.group(2)}{bump_num(m.group(3))}{m.group(4)}")
    return None


def c_exact_decimals_missing(lines):
    """The losses in decimals left out of `L: a → b (word; in decimals …)`."""
    if not exact_text(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*L: .* \((?:decreased|increased|unchanged))(; in decimals .*)\)$", l)
        if m:
            return replace_line(lines, i, m.group(1) + ")")
    return None


def c_exact_fd_agrees(lines):
    """An exact check whose differences are all 0 concluding `Largest difference: 0, at …`
    instead of saying that every compared entry agrees exactly."""
    if not exact_text(lines):
        return None
    entry = None
    for i, l in enumerate(lines):
        cells = re.split(r"\s{2,}", l.strip())
        if entry is None and l.strip().startswith("∂L/∂") and len(cells) == 4 and cells[3] == "0":
            entry = cells[0]
        if l.strip() == "Every compared entry agrees exactly: the largest difference is 0." and entry:
            return replace_line(lines, i, l[: len(l) - len(l.lstrip())] + f"Largest difference: 0, at {entry} of step 1.")
    return None


def c_exact_fd_intro(lines):
    """The finite-difference check's introduction without the sentence on exact arithmetic."""
    if not exact_text(lines):
        return None
    for i, l in enumerate(lines):
        if l.strip().startswith("Each gradient entry next to the central difference") and " In exact arithmetic" in l:
            return replace_line(lines, i, l.split(" In exact arithmetic")[0])
    return None


def c_exact_alpha_decimal(lines):
    """leaky_relu's α in an equation written as Given's decimal (`(1/4)·(−5/2)` → `0.25·(−5/2)`)."""
    if not exact_text(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(r"^(.* = leaky_relu\(.*\) = )\((\d+)/(\d+)\)(·.*)$", l)
        if m:
            v = cd.Fraction(int(m.group(2)), int(m.group(3)))
            dec = cd.show(v)
            if "." in dec:
                return replace_line(lines, i, f"{m.group(1)}{dec}{m.group(4)}")
    return None


CORRUPTIONS += [
    ("exact-numerator", c_exact_numerator, "not the exact value"),
    ("exact-denominator", c_exact_denominator, "not the exact value"),
    ("exact-minus", c_exact_minus, "not the exact value"),
    ("exact-minus-operand", c_exact_minus_operand, "not a printing of"),
    ("exact-unreduced", c_exact_unreduced, "not in lowest terms"),
    ("exact-unreduced-wrong", c_exact_unreduced_wrong, "not the exact value"),
    ("exact-approx", c_exact_approx, "says `=` everywhere"),
    ("exact-decimal", c_exact_decimal, "not decimals"),
    ("exact-parens", c_exact_parens, "in parentheses"),
    ("exact-operand", c_exact_operand, "not a printing of"),
    ("exact-matrix", c_exact_matrix, "is not the value its equation"),
    ("exact-fd-difference", c_exact_fd_difference, r"not \|backpropagation − central difference\|"),
    ("exact-growth-digits", c_exact_growth_digits, "does not name the sections and digits"),
    ("exact-growth-missing", c_exact_growth_missing, "no note says the fractions grow"),
    ("exact-decimals", c_exact_decimals, "in decimals"),
    ("exact-decimals-missing", c_exact_decimals_missing, "in decimals exactly when"),
    ("exact-fd-agrees", c_exact_fd_agrees, "agrees exactly"),
    ("exact-fd-intro", c_exact_fd_intro, "why its central differences are exact"),
    ("exact-alpha-decimal", c_exact_alpha_decimal, "not decimals"),
]


# -- the corruptions of a batch's derivation (rule 14) ------------------------------------------

def is_batch(lines) -> bool:
    return any(" on a batch of " in l for l in lines[:1])


BATCH_LOSS_NUMS = re.compile(rf"^(\s+L = )((?:½|\(\d+/\d+\))\[)?(.*?)(\]?) (=|≈) ({NUM})$")


def batch_loss_line(lines, after_result=False):
    """The index of the numbers line of a batch's loss (the first, or the result's)."""
    seen_result = False
    for i, l in enumerate(lines):
        if l.startswith("Result"):
            seen_result = True
        if l.strip().startswith("Batch loss: ") and seen_result == after_result and i + 1 < len(lines):
            j = i + 1
            if not BATCH_LOSS_NUMS.match(lines[j]) or "L₁" in lines[j]:
                j += 1  # the symbolic form's names line first
            if BATCH_LOSS_NUMS.match(lines[j]):
                return j
    return None


def c_batch_loss_quote(lines):
    """Two examples' losses swapped in the batch's loss: the sum is the same, but each operand
    is another example's."""
    if not is_batch(lines):
        return None
    i = batch_loss_line(lines)
    if i is None:
        return None
    m = BATCH_LOSS_NUMS.match(lines[i])
    terms = m.group(3).split(" + ")
    if len(terms) < 2 or terms[0] == terms[1]:
        return None
    terms[0], terms[1] = terms[1], terms[0]
    return replace_line(lines, i, f"{m.group(1)}{m.group(2) or ''}{' + '.join(terms)}{m.group(4)} {m.group(5)} "
                                  f"{m.group(6)}")


def c_batch_after_loss_quote(lines):
    """The same in the result's batch loss (the examples' losses after the update)."""
    if not is_batch(lines):
        return None
    i = batch_loss_line(lines, after_result=True)
    if i is None:
        return None
    m = BATCH_LOSS_NUMS.match(lines[i])
    terms = m.group(3).split(" + ")
    if len(terms) < 2 or terms[0] == terms[1]:
        return None
    terms[0], terms[1] = terms[1], terms[0]
    return replace_line(lines, i, f"{m.group(1)}{m.group(2) or ''}{' + '.join(terms)}{m.group(4)} {m.group(5)} "
                                  f"{m.group(6)}")


def c_batch_factor(lines):
    """The batch loss of a mean of two with the factor of three: `½[…]` → `(1/3)[…]`."""
    if not is_batch(lines):
        return None
    i = batch_loss_line(lines)
    if i is None or "½[" not in lines[i]:
        return None
    return replace_line(lines, i, lines[i].replace("½[", "(1/3)[", 1))


def c_batch_sum_for_mean(lines):
    """A mean's batch loss written as the sum (its factor dropped, its result the sum's)."""
    if not is_batch(lines):
        return None
    i = batch_loss_line(lines)
    if i is None:
        return None
    m = BATCH_LOSS_NUMS.match(lines[i])
    if not m.group(2):
        return None
    terms = m.group(3).split(" + ")
    try:
        total = sum((cd.parse_value(t.strip("()")) for t in terms), cd.Fraction(0))
    except ValueError:
        return None
    return replace_line(lines, i, f"{m.group(1)}{' + '.join(terms)} ≈ {cd.fmt_sig(total, 6)}")


def c_batch_reduction(lines):
    """Given's batch line saying `sum` where the title (and every factor) says mean."""
    if not is_batch(lines):
        return None
    for i, l in enumerate(lines):
        if l.strip().startswith("batch: ") and "reduction mean" in l:
            return replace_line(lines, i, l.replace("reduction mean", "reduction sum"))
    return None


def c_batch_count(lines):
    """Given's batch line with one example more than the title."""
    if not is_batch(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(r"^(\s+batch: )(\d+)( examples, .* n = 1 to )(\d+)(,.*)$", l)
        if m:
            n = int(m.group(2)) + 1
            return replace_line(lines, i, f"{m.group(1)}{n}{m.group(3)}{n}{m.group(5)}")
    return None


def c_batch_heading_count(lines):
    """An example's heading with another count of examples (`example 2 of 3` in a batch of 2)."""
    if not is_batch(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(r"^Step (\d+), example (\d+) of (\d+)$", l)
        if m and m.group(2) != "1":
            return replace_line(lines, i, f"Step {m.group(1)}, example {m.group(2)} of {int(m.group(3)) + 1}")
    return None


def batch_grad_line(lines, mistake=False):
    """(index of the names line, index of the numbers line) of the first entry of a batch's
    gradient (in a step, or in the summed mistake)."""
    inside = False
    for i, l in enumerate(lines):
        t = l.strip()
        if t.startswith("Batch gradient"):
            inside = mistake == ("the mistake" in t)
            continue
        if inside and re.match(r"^∂L/∂\S+ = (?:½|\(\d+/\d+\))?\[?∂L₁/", t) and i + 1 < len(lines) and \
                lines[i + 1].strip().startswith("= "):
            return i, i + 1
    return None


def c_batch_grad_entry(lines):
    """An entry of the batch gradient off: its result changed in its last digit."""
    if not is_batch(lines):
        return None
    found = batch_grad_line(lines)
    if found is None:
        return None
    _, j = found
    m = re.match(rf"^(.* [=≈] )({NUM})$", lines[j])
    if not m or "∞" in m.group(2):
        return None
    return replace_line(lines, j, m.group(1) + bump_last_digit(m.group(2)))


def c_batch_grad_name(lines):
    """A batch gradient's names line quoting another entry of an example's gradient."""
    if not is_batch(lines):
        return None
    found = batch_grad_line(lines)
    if found is None:
        return None
    i, _ = found
    m = re.search(r"∂L₂/∂(\S+?)\[(\d+)", lines[i])
    if not m:
        return None
    k = int(m.group(2))
    new = lines[i][: m.start(2)] + str(k + 1) + lines[i][m.end(2):]
    return replace_line(lines, i, new)


def c_batch_grad_operand(lines):
    """An example's gradient quoted in the batch gradient as the value another example printed
    (its result kept: the arithmetic and the provenance no longer agree)."""
    if not is_batch(lines):
        return None
    found = batch_grad_line(lines)
    if found is None:
        return None
    _, j = found
    m = re.match(rf"^(\s+= (?:½|\(\d+/\d+\))?\[?)(.*?)(\]? [=≈] {NUM})$", lines[j])
    if not m:
        return None
    terms = m.group(2).split(" + ")
    if len(terms) < 2 or terms[0] == terms[1]:
        return None
    terms[0] = terms[1] if not terms[1].startswith("(") else terms[1][1:-1]
    return replace_line(lines, j, m.group(1) + " + ".join(terms) + m.group(3))


def c_batch_update_example(lines):
    """The update using example 1's gradient in place of the batch's, its result worked out
    from it (the arithmetic holds; the gradient is not the batch's)."""
    if not is_batch(lines):
        return None
    found = batch_grad_line(lines)
    if found is None:
        return None
    _, j = found
    ex1 = re.match(rf"^\s+= (?:½|\(\d+/\d+\))?\[?\(?({NUM})", lines[j])
    name = lines[found[0]].strip().split(" = ")[0]  # ∂L/∂w⁽⁰⁾[0,0]
    pname = name[len("∂L/∂"):]
    for i in range(j, len(lines)):
        m = re.match(rf"^(\s+{re.escape(pname)} ← )({NUM}) − ({NUM})·(\(?{NUM}\)?) (=|≈) ({NUM})$", lines[i])
        if m and ex1:
            g = ex1.group(1)
            if g == m.group(4).strip("()"):
                return None
            v = cd.parse_value(m.group(2)) - cd.parse_value(m.group(3)) * cd.parse_value(g)
            gt = f"({g})" if g.startswith("−") else g
            return replace_line(lines, i, f"{m.group(1)}{m.group(2)} − {m.group(3)}·{gt} ≈ {cd.fmt_sig(v, 6)}")
    return None


def c_batch_summary_example(lines):
    """A summary row's loss of an example changed in its last digit."""
    if not is_batch(lines):
        return None
    for i, l in enumerate(lines):
        if l.strip().startswith("Summary: the loss at the parameters each step started from, the batch's"):
            rows = []
            j = i + 1
            while j < len(lines) and lines[j].strip():
                rows.append(lines[j])
                j += 1
            if len(rows) < 2:
                return None
            cells = rows[1].split()
            if len(cells) < 3 or "∞" in cells[2] or "NaN" in cells[2]:
                return None
            mark = "≈" if cells[2].startswith("≈") else ""
            cells[2] = mark + bump_last_digit(cells[2].lstrip("≈"))
            rows[1] = "  ".join(cells)
            out = list(lines)
            out[i + 1:j] = realign(rows, r"\s+")
            return out, i + 2
    return None


def c_batch_rest(lines):
    """The examples not written out said to start one later."""
    if not is_batch(lines):
        return None
    for i, l in enumerate(lines):
        m = re.match(r"^(\s+Examples )(\d+)( to \d+ are computed the same way.*)$", l)
        if m:
            return replace_line(lines, i, f"{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}")
    return None


def c_batch_rest_missing(lines):
    """The result's line on the examples whose last forward pass is not written out left out."""
    if not is_batch(lines):
        return None
    for i, l in enumerate(lines):
        if re.match(r"^\s+Examples \d+ to \d+: computed the same way, not written out\.$", l):
            return lines[:i] + lines[i + 1:], i
    return None


def c_batch_summed_factor(lines):
    """The mistake of the summed gradient written with the mean's factor, its result halved (the
    arithmetic holds): it is then no longer N times the mean's gradient."""
    if not is_batch(lines):
        return None
    found = batch_grad_line(lines, mistake=True)
    if found is None:
        return None
    i, j = found
    m = re.match(rf"^(\s+= )(.*) (=|≈) ({NUM})$", lines[j])
    if not m or "[" in m.group(2):
        return None
    v = cd.parse_value(m.group(4)) / 2
    names = lines[i].split(" = ", 1)
    return (lines[:i] + [f"{names[0]} = ½[{names[1]}]", f"{m.group(1)}½[{m.group(2)}] ≈ {cd.fmt_sig(v, 6)}"]
            + lines[j + 1:]), i


CORRUPTIONS += [
    ("batch-loss-quote", c_batch_loss_quote, "operand L₁ is not a printing"),
    ("batch-after-loss-quote", c_batch_after_loss_quote, "operand L₁ is not a printing"),
    ("batch-factor", c_batch_factor, "factor in front of the sum differs"),
    ("batch-sum-for-mean", c_batch_sum_for_mean, "factor in front of the sum differs"),
    ("batch-reduction", c_batch_reduction, "not the title's reduction"),
    ("batch-count", c_batch_count, "not the title's count of examples"),
    ("batch-heading-count", c_batch_heading_count, "not the batch's count of examples"),
    ("batch-grad-entry", c_batch_grad_entry, "not the exact value|do not give"),
    ("batch-grad-name", c_batch_grad_name, "terms differ from the definition"),
    ("batch-grad-operand", c_batch_grad_operand, "operand ∂L₁/\\S+ is not a printing"),
    ("batch-update-example", c_batch_update_example, "operand ∂L/∂\\S+ is not a printing"),
    ("batch-summary-example", c_batch_summary_example, "summary row 1, L₁"),
    ("batch-rest", c_batch_rest, "examples not written out"),
    ("batch-rest-missing", c_batch_rest_missing, "not written out"),
    ("batch-summed-factor", c_batch_summed_factor, "times the mean's|factor in front of the sum differs"),
]


def texts_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                full = os.path.join(p, name)
                if (name.endswith(".snap") and "_latex" not in name and "_markdown" not in name) \
                        or name.endswith(".txt"):
                    out.append(full)
        else:
            out.append(p)
    return out


# The corruptions whose failure is reported elsewhere than on the line corrupted: next to it
# (a sum wrapped early is reported at its continuation), or anywhere (the title's count of
# steps, which the result contradicts).
AT_ANOTHER_LINE = {"early-wrap": "near", "f64-reason": "near", "plain-big": "near", "title": "anywhere",
                   "summary-row": "anywhere", "net-fd-kink-missing": "anywhere", "net2-onehot-note": "anywhere",
                   "net2-fd-pool-missing": "anywhere", "net2-given-dense": "near",
                   "net2-underflow-none": "anywhere", "batch-rest-missing": "anywhere",
                   "batch-summary-example": "near"}


def main(argv):
    paths = argv or [os.path.join(os.path.dirname(HERE), "tests", "snapshots"), os.path.join(HERE, "checker_texts")]
    files = texts_of(paths)
    if not files:
        print("no derivation texts found in", ", ".join(paths))
        return 1
    bad = 0
    originals = {}
    for f in files:
        text = open(f, encoding="utf-8").read()
        fails = run_checker(f, text)
        originals[f] = (text, fails)
        if fails:
            bad += 1
            print(f"FAIL original {f}: the checker fails on it ({len(fails)}): {fails[0]}")
    print(f"{len(files) - bad} of {len(files)} originals pass the checker")
    # the passing texts first, the decimal ones before the exact ones (so that a corruption of
    # decimal texts applies to the text it applied to before there were exact ones)
    exact = {f for f in files if cd.is_exact(list(enumerate(split_header(originals[f][0])[1].split("\n"))))}
    order = [f for f in files if not originals[f][1] and f not in exact] + \
        [f for f in files if not originals[f][1] and f in exact] + [f for f in files if originals[f][1]]
    for name, corrupt, phrase in CORRUPTIONS:
        done = False
        for f in order:
            text, before = originals[f]
            header, body = split_header(text)
            lines = body.split("\n")
            got = corrupt(lines)
            if got is None:
                continue
            new_lines, k = got
            new_text = header + "\n".join(new_lines)
            after = run_checker(f, new_text)
            new = [m for m in after if m not in before]
            # the failure names the rule, at the line corrupted (a line left out: where it was)
            at = header.count("\n") + k + 1
            near = (at,) if name not in AT_ANOTHER_LINE else range(at - 1, at + 2) if \
                AT_ANOTHER_LINE[name] == "near" else None
            hits = [m for m in new if re.search(phrase, m) and (near is None or int(m.split(":")[0]) in near)]
            ok = bool(hits)
            where = f"{os.path.basename(f)}, body line {k + 1}"
            if ok:
                print(f"ok   {name:16} caught ({where}): {hits[0][:140]}")
            else:
                bad += 1
                print(f"FAIL {name:16} not caught ({where})" +
                      (f"; new failures: {new[:2]}" if new else ""))
                print(f"     corrupted line: {new_lines[k][:160]!r}")
            done = True
            break
        if not done:
            print(f"skip {name:16} applies to none of the texts")
    print("FAILED" if bad else "all corruption tests passed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
