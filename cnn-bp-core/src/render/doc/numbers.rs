//! How values are written: rounded or not, marked `≈` where they stand alone, in the brackets
//! their place needs.

use crate::number::SIGNIFICANT_DIGITS;
use crate::render::exact;
use crate::scalar::Scalar;
use crate::trace::Sym;

use super::Rich;
use super::names::name;

/// A value as printed, and whether printing rounded it.
pub(crate) fn num<S: Scalar>(value: S) -> (String, bool) {
    num_at(value, SIGNIFICANT_DIGITS)
}

/// A value as printed with `digits` significant digits where it is rounded.
pub(crate) fn num_at<S: Scalar>(value: S, digits: usize) -> (String, bool) {
    let mut text = String::new();
    let rounded = value.write_number_digits(digits, &mut text);
    (text, rounded)
}

pub(crate) fn val<S: Scalar>(value: S) -> String {
    num(value).0
}

/// A value on its own, outside an equation (a table cell, `L: a → b`): `≈` in front when it
/// is rounded, so that no rounded number passes for an exact one.
pub(super) fn approx_at<S: Scalar>(value: S, digits: usize) -> String {
    match num_at(value, digits) {
        (text, true) => format!("≈{text}"),
        (text, false) => text,
    }
}

pub(crate) fn approx<S: Scalar>(value: S) -> String {
    approx_at(value, SIGNIFICANT_DIGITS)
}

/// Two values whose difference is the point (the loss before and after), each marked `≈`
/// where rounded, with as many digits as show that difference.
pub(super) fn compared<S: Scalar>(a: S, b: S) -> (String, String) {
    let digits = exact::resolving_digits(a, b);
    (approx_at(a, digits), approx_at(b, digits))
}

/// `L: 2 → 1.5 (decreased)`: the loss before training and after it, and which way it went;
/// in an exact derivation with fractions, their decimals too
/// (`L: 2 → 3/2 (decreased; in decimals 2 → 1.5)`).
pub(super) fn loss_change<S: Scalar>(before: S, after: S) -> Rich {
    let trend = if !(before.is_finite() && after.is_finite()) {
        "not finite"
    } else if after < before {
        "decreased"
    } else if after > before {
        "increased"
    } else {
        "unchanged"
    };
    let (b, a) = compared(before, after);
    let line = Rich::math(format!("L: {b} → {a}"));
    match in_decimals(before, after) {
        Some(decimals) => line.t(format!(" ({trend}; in decimals ")).m(decimals).t(")"),
        None => line.t(format!(" ({trend})")),
    }
}

/// For an exact derivation whose `a` or `b` is not a whole number, what they are in decimals
/// (`2 → 1.5`, `≈0.00996101`): the size of a fraction is hard to see. `None` otherwise.
fn in_decimals<S: Scalar>(a: S, b: S) -> Option<String> {
    // Read off the text: an f64 holds no fraction of 28 digits (4542562745876484331238637854/729
    // is a whole number to it).
    let whole = |v: S| !num(v).0.contains('/');
    if !S::EXACT || (whole(a) && whole(b)) {
        return None;
    }
    let (a, b) = compared(a.to_f64(), b.to_f64());
    Some(format!("{a} → {b}"))
}

/// A value inside a product or squared: in parentheses when negative, a fraction or written
/// with a power of ten (`2·(−1)`, `2·(3/2)`, `2·(1.5·10⁷)`, `(1.5·10⁻⁸)²`).
pub(crate) fn factor_at<S: Scalar>(value: S, digits: usize) -> String {
    let mut out = String::new();
    push_number(&mut out, value, digits, Place::Factor);
    out
}

/// A value after a plus or minus sign: in parentheses when negative (`1 − (−2)`).
pub(crate) fn signed_at<S: Scalar>(value: S, digits: usize) -> String {
    let mut out = String::new();
    push_number(&mut out, value, digits, Place::Signed);
    out
}

/// Appends a value with the brackets its place needs (see [`Place`]): written in place, since
/// this runs for every operand of every equation.
pub(super) fn push_number<S: Scalar>(out: &mut String, value: S, digits: usize, place: Place) {
    let start = out.len();
    value.write_number_digits(digits, out);
    let bracket = match place {
        Place::Alone => false,
        Place::Signed => value < S::ZERO,
        // A power of ten is read off the digits written: a value just below one (999999.9312345678)
        // can round up to it.
        // A fraction too: `2·(3/2)`, `(3/2)²`.
        Place::Factor => value < S::ZERO || out[start..].contains(['·', '/']),
    };
    if bracket {
        out.insert(start, '(');
        out.push(')');
    }
}

/// `= v`, or `≈ v` unless `exact` and `v` is printed unrounded: a value given on its own.
pub(super) fn is_value<S: Scalar>(value: S, exact: bool) -> String {
    let (text, rounded) = num(value);
    format!("{} {text}", if exact && !rounded { '=' } else { '≈' })
}

/// `sym = v`, or `sym ≈ v` when `v` is rounded: a value quoted in a note.
pub(crate) fn quoted<S: Scalar>(sym: Sym, value: S) -> String {
    format!("{} {}", name(sym), is_value(value, true))
}

/// Where an operand stands, which decides its brackets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// First, or on its own.
    Alone,
    /// After a `+` or `−`: negative values in brackets.
    Signed,
    /// A factor of a product: negative values and powers of ten in brackets.
    Factor,
}

#[cfg(test)]
mod tests {
    use super::{Place, push_number};

    fn factor(value: f64) -> String {
        let mut out = String::new();
        push_number(&mut out, value, 6, Place::Factor);
        out
    }

    /// A factor with a power of ten is bracketed, also where the value is just below the
    /// power it rounds to: `1·10⁶·0` would read as a product of three.
    #[test]
    fn powers_of_ten_as_factors_are_bracketed() {
        assert_eq!(factor(999_999.931_234_567_8), "(1·10⁶)");
        assert_eq!(factor(25_000_000.123_456_7), "(2.5·10⁷)");
        assert_eq!(factor(999_999.0), "999999");
        assert_eq!(factor(-3.0), "(−3)");
    }
}
