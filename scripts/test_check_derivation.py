#!/usr/bin/env python3
"""Corruption tests for scripts/check_derivation.py (standard library only).

Usage:
    python3 scripts/test_check_derivation.py [PATH ...]

PATH is a derivation text or an insta snapshot, or a directory whose text snapshots (`*.snap`
without `_latex`/`_markdown` in the name) and `*.txt` files are taken; the default is
tests/snapshots. Every original must pass the checker. Then each corruption below is applied to
the first text it applies to (a passing one, if any does) and the checker must fail on the
corrupted text with a failure the original does not have, and with a message naming the rule:

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


def c_result_digit(lines):
    for i, l in enumerate(lines):
        m = RESULT.match(l)
        if m and not l.strip().startswith(("L: ", "Note")) and "·10" not in m.group(2) \
                and cd.sig_digits(m.group(2)) >= 6 and "∞" not in m.group(2):
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
            return out, i
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
        if "is not compared, as these are not finite numbers:" in l and "L(w + h) = " in l:
            out = list(lines)
            out[i] = re.sub(rf"L\(w \+ h\) = {NUM}, ", "", l)
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


def main(argv):
    paths = argv or [os.path.join(os.path.dirname(HERE), "tests", "snapshots")]
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
    order = [f for f in files if not originals[f][1]] + [f for f in files if originals[f][1]]
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
            ok = bool(new) and any(re.search(phrase, m) for m in new)
            where = f"{os.path.basename(f)}, body line {k + 1}"
            if ok:
                print(f"ok   {name:16} caught ({where}): {new[0][:140]}")
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
