//! Self-verification: every printed equation re-evaluated from its printed operands, at the
//! printed precision.
//!
//! An operand printed unrounded (`0.5`) is taken as exactly that decimal; one printed rounded
//! (`0.731059`) as anything within half a unit of its last printed digit. The right-hand side
//! is evaluated over those ranges (interval arithmetic with exact rational ends, num-rational's
//! at any magnitude, with a margin for the rounding of the `f64` computation that printed the
//! result), and the printed result must lie in the range, widened by half a unit of its own
//! last digit when it is printed with `≈`. An equation printed with `=` must hold exactly:
//! every operand unrounded and the printed decimals giving the printed result exactly.
//!
//! This is deliberately a second, separate evaluation: it never feeds a printed number.

use core::cmp::Ordering;
use core::fmt;

use super::doc::{self, Form};
use super::exact;
use crate::layer::Scale;
use crate::number::SIGNIFICANT_DIGITS;
use crate::ops::{Activation, SlopeCase};
use crate::rational::Rational;
use crate::scalar::Scalar;
use crate::trace::{Equation, Expr, Operand, Section, Term, Trace};

/// What [`Derivation::verify`](crate::Derivation::verify) found when every printed equation
/// followed from its printed operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The number of equations re-evaluated.
    pub equations: usize,
}

/// A printed equation whose printed result does not follow from its printed operands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Where: `step 1`, `the final forward pass`, `mistake 2`.
    pub place: String,
    /// The entry, as the derivation names it (`z[0,1]`).
    pub entry: String,
    /// What the printed operands give: a number, or a range at the printed precision.
    pub expected: String,
    /// The printed result, with its `=` or `≈`.
    pub printed: String,
}

/// The equations whose printed results do not follow from their printed operands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// Every mismatch, in the order of the derivation.
    pub mismatches: Vec<Mismatch>,
    /// The number of equations re-evaluated.
    pub equations: usize,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} printed equations do not follow from their printed operands:",
            self.mismatches.len(),
            self.equations
        )?;
        for m in &self.mismatches {
            write!(
                f,
                "\n  {}, {}: printed {}, expected {}",
                m.place, m.entry, m.printed, m.expected
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifyError {}

/// Re-evaluates every equation of the trace.
pub(crate) fn verify<S: Scalar>(trace: &Trace<S>) -> Result<Verified, VerifyError> {
    let mut places: Vec<(String, &Section<S>)> = trace
        .steps
        .iter()
        .map(|s| (format!("step {}", s.step.unwrap_or_default() + 1), s))
        .collect();
    places.push(("the final forward pass".to_owned(), &trace.after));
    for (k, m) in trace.mistakes.iter().enumerate() {
        places.push((format!("mistake {}", k + 1), &m.section));
    }
    verify_sections(places)
}

/// Re-evaluates every equation of the sections, each named by its place.
pub(crate) fn verify_sections<'a, S: Scalar + 'a>(
    places: impl IntoIterator<Item = (String, &'a Section<S>)>,
) -> Result<Verified, VerifyError> {
    let mut mismatches = Vec::new();
    let mut equations = 0;
    for (place, section) in places {
        for eq in &section.equations {
            equations += 1;
            if let Some((expected, printed)) = check(eq) {
                let entry = doc::name(eq.lhs);
                mismatches.push(Mismatch { place: place.clone(), entry, expected, printed });
            }
        }
    }
    if mismatches.is_empty() {
        Ok(Verified { equations })
    } else {
        Err(VerifyError { mismatches, equations })
    }
}

/// A printed number: its value (exactly, as the decimal it is, and as `f64`) and the
/// half-width of its uncertainty (0 when printed unrounded).
#[derive(Clone, Copy, Debug)]
struct Printed {
    exact: Ext,
    value: f64,
    half_unit: Rational,
}

/// A value as printed with `digits` significant digits where it is rounded.
fn printed<S: Scalar>(value: S, digits: usize) -> Printed {
    let (text, rounded) = doc::num_at(value, digits);
    let ascii = ascii(&text);
    let exact = match ascii.as_str() {
        "inf" => Ext::PosInf,
        "-inf" => Ext::NegInf,
        _ => ascii.parse().map_or(Ext::NaN, Ext::Finite),
    };
    let value = ascii.parse().unwrap_or(f64::NAN);
    Printed { exact, value, half_unit: if rounded { half_unit(&ascii) } else { Rational::ZERO } }
}

/// A printed number in Rust's syntax: `−1.5·10⁻⁹` is `-1.5e-9`, `∞` is `inf`.
fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.replace("·10", "e").chars() {
        match c {
            '−' | '⁻' => out.push('-'),
            '∞' => out.push_str("inf"),
            c => match crate::number::superscript_digit(c) {
                Some(d) => out.push(char::from_digit(d, 10).unwrap_or('?')),
                None => out.push(c),
            },
        }
    }
    out
}

/// Half a unit of the last printed digit of a number in Rust's syntax, exactly.
fn half_unit(ascii: &str) -> Rational {
    let (digits, exponent) = ascii.split_once('e').unwrap_or((ascii, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let decimals = digits.split_once('.').map_or(0, |(_, f)| f.len());
    let decimals = i32::try_from(decimals).unwrap_or(i32::MAX);
    Rational::from_decimal(5, exponent.saturating_sub(decimals).saturating_sub(1))
}

/// A real number, exactly, or one of IEEE's non-finite values: what a range's ends are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ext {
    Finite(Rational),
    PosInf,
    NegInf,
    NaN,
}

impl Ext {
    const ZERO: Self = Self::Finite(Rational::ZERO);

    /// The exact value of a double.
    fn of(v: f64) -> Self {
        if v.is_nan() {
            Self::NaN
        } else if v == f64::INFINITY {
            Self::PosInf
        } else if v == f64::NEG_INFINITY {
            Self::NegInf
        } else {
            Self::Finite(Rational::from_f64_exact(v))
        }
    }

    fn to_f64(self) -> f64 {
        match self {
            Self::Finite(r) => f64::from(r),
            Self::PosInf => f64::INFINITY,
            Self::NegInf => f64::NEG_INFINITY,
            Self::NaN => f64::NAN,
        }
    }

    /// The sign: −1, 0 or 1; `None` for NaN.
    fn sign(self) -> Option<i8> {
        match self {
            Self::Finite(r) => Some(match r.cmp(&Rational::ZERO) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            }),
            Self::PosInf => Some(1),
            Self::NegInf => Some(-1),
            Self::NaN => None,
        }
    }

    fn add(self, o: Self) -> Self {
        match (self, o) {
            (Self::NaN, _)
            | (_, Self::NaN)
            | (Self::PosInf, Self::NegInf)
            | (Self::NegInf, Self::PosInf) => Self::NaN,
            (Self::PosInf, _) | (_, Self::PosInf) => Self::PosInf,
            (Self::NegInf, _) | (_, Self::NegInf) => Self::NegInf,
            (Self::Finite(a), Self::Finite(b)) => Self::Finite(a + b),
        }
    }

    fn neg(self) -> Self {
        match self {
            Self::Finite(r) => Self::Finite(-r),
            Self::PosInf => Self::NegInf,
            Self::NegInf => Self::PosInf,
            Self::NaN => Self::NaN,
        }
    }

    fn mul(self, o: Self) -> Self {
        match (self, o) {
            (Self::Finite(a), Self::Finite(b)) => Self::Finite(a * b),
            _ => match (self.sign(), o.sign()) {
                // ∞·0 is NaN, as in IEEE.
                (Some(a), Some(b)) if a != 0 && b != 0 => {
                    if a == b {
                        Self::PosInf
                    } else {
                        Self::NegInf
                    }
                }
                _ => Self::NaN,
            },
        }
    }

    fn is_finite(self) -> bool {
        matches!(self, Self::Finite(_))
    }

    /// Whether a double holds this value without overflowing.
    fn within_f64(self) -> bool {
        match self {
            Self::Finite(r) => r.abs_le_f64_max(),
            _ => false,
        }
    }
}

impl PartialOrd for Ext {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        match (self, o) {
            (Self::NaN, _) | (_, Self::NaN) => None,
            (Self::Finite(a), Self::Finite(b)) => Some(a.cmp(b)),
            (a, b) if a == b => Some(Ordering::Equal),
            (Self::NegInf, _) | (_, Self::PosInf) => Some(Ordering::Less),
            _ => Some(Ordering::Greater),
        }
    }
}

/// The smaller or larger of two ends, NaN if either is.
fn pick(a: Ext, b: Ext, larger: bool) -> Ext {
    match a.partial_cmp(&b) {
        None => Ext::NaN,
        Some(order) => {
            if (order == Ordering::Greater) == larger {
                a
            } else {
                b
            }
        }
    }
}

/// A closed range of reals with exact ends (exact interval arithmetic at any magnitude, so
/// that no finite range overflows), and the sum of the magnitudes that went into it (for the
/// margin of `f64`'s own rounding).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Range {
    lo: Ext,
    hi: Ext,
    magnitude: f64,
}

impl Range {
    /// A printed number's range.
    fn of(p: Printed) -> Self {
        let (lo, hi) = match p.exact {
            Ext::Finite(v) => (Ext::Finite(v - p.half_unit), Ext::Finite(v + p.half_unit)),
            other => (other, other),
        };
        Self { lo, hi, magnitude: p.value.abs() }
    }

    pub(crate) fn exactly(v: f64) -> Self {
        Self { lo: Ext::of(v), hi: Ext::of(v), magnitude: v.abs() }
    }

    pub(crate) fn add(self, o: Self) -> Self {
        Self {
            lo: self.lo.add(o.lo),
            hi: self.hi.add(o.hi),
            magnitude: self.magnitude + o.magnitude,
        }
    }

    pub(crate) fn neg(self) -> Self {
        Self { lo: self.hi.neg(), hi: self.lo.neg(), magnitude: self.magnitude }
    }

    pub(crate) fn mul(self, o: Self) -> Self {
        let products = [self.lo.mul(o.lo), self.lo.mul(o.hi), self.hi.mul(o.lo), self.hi.mul(o.hi)];
        let magnitude = self.magnitude * o.magnitude;
        if products.contains(&Ext::NaN) {
            return Self { lo: Ext::NaN, hi: Ext::NaN, magnitude };
        }
        let lo = products[1..].iter().fold(products[0], |m, &p| pick(m, p, false));
        let hi = products[1..].iter().fold(products[0], |m, &p| pick(m, p, true));
        Self { lo, hi, magnitude }
    }

    /// The square: a range that contains 0 squares to one that starts at 0.
    pub(crate) fn square(self) -> Self {
        let sq = self.mul(self);
        let straddles = self.lo <= Ext::ZERO && self.hi >= Ext::ZERO;
        let lo = if straddles { Ext::ZERO } else { pick(sq.lo, Ext::ZERO, true) };
        Self { lo, ..sq }
    }

    fn scale(self, s: Scale) -> Self {
        let factor = Ext::Finite(Rational::from_usize(s.num) / Rational::from_usize(s.den.max(1)));
        #[allow(clippy::cast_precision_loss)]
        let magnitude = self.magnitude * s.num as f64 / s.den.max(1) as f64;
        Self { lo: self.lo.mul(factor), hi: self.hi.mul(factor), magnitude }
    }

    /// A non-decreasing function applied to both ends (in `f64`: `exp`, `log`, `σ`); NaN
    /// stays NaN, as in the activations.
    pub(crate) fn monotone(self, f: impl Fn(f64) -> f64) -> Self {
        if self.is_nan() {
            return self;
        }
        Self {
            lo: Ext::of(f(self.lo.to_f64())),
            hi: Ext::of(f(self.hi.to_f64())),
            magnitude: f(self.magnitude.abs()).abs().max(1.0),
        }
    }

    /// The larger of two values, over their ranges.
    fn max(self, other: Self) -> Self {
        Self {
            lo: pick(self.lo, other.lo, true),
            hi: pick(self.hi, other.hi, true),
            magnitude: self.magnitude.max(other.magnitude),
        }
    }

    /// `self/other`, for a divisor whose range is positive (a softmax's denominator); any
    /// other divisor gives the whole line.
    fn div(self, other: Self) -> Self {
        if let (Ext::Finite(lo), Ext::Finite(hi)) = (other.lo, other.hi)
            && lo > Rational::ZERO
        {
            let recip = Self {
                lo: Ext::Finite(Rational::ONE / hi),
                hi: Ext::Finite(Rational::ONE / lo),
                magnitude: 1.0 / f64::from(lo),
            };
            return self.mul(recip);
        }
        Self { lo: Ext::NegInf, hi: Ext::PosInf, magnitude: f64::INFINITY }
    }

    fn is_nan(self) -> bool {
        self.lo == Ext::NaN || self.hi == Ext::NaN
    }
}

fn operand<S: Scalar>(op: &Operand<S>, digits: usize) -> Range {
    Range::of(printed(op.value, digits))
}

fn term<S: Scalar>(t: &Term<S>, digits: usize) -> Range {
    let operand = |op| operand(op, digits);
    match t {
        Term::Product(a, b) => operand(a).mul(operand(b)),
        Term::Single(a) => operand(a),
        Term::Diff(a, b) => operand(a).add(operand(b).neg()),
        Term::SquaredDiff(a, b) => operand(a).add(operand(b).neg()).square(),
    }
}

/// The range the printed operands (with `digits` significant digits where rounded) allow for
/// the right-hand side, and the number of operations in it; `None` for a piecewise-constant
/// slope, checked on its own.
fn evaluate<S: Scalar>(expr: &Expr<S>, digits: usize) -> Option<(Range, usize)> {
    let operand = |op| operand(op, digits);
    Some(match expr {
        Expr::Sum { scale, terms } => {
            let sum = terms.iter().fold(Range::exactly(0.0), |acc, t| acc.add(term(t, digits)));
            (sum.scale(*scale), 2 * terms.len() + 2)
        }
        Expr::Activate { f, z } => (f.output_range(operand(z)), 8),
        Expr::Slope { f, y, .. } => (f.slope_range(operand(y))?, 4),
        Expr::Update { param, lr, grad } => {
            let step = Range::of(printed(*lr, digits)).mul(operand(grad));
            (operand(param).add(step.neg()), 4)
        }
        Expr::Max { of, .. } => {
            let first = operand(of.first()?);
            (of.iter().skip(1).fold(first, |m, o| m.max(operand(o))), 1)
        }
        Expr::Exp { z, shift } => (operand(z).add(operand(shift).neg()).monotone(f64::exp), 8),
        Expr::Ratio { num, den } => (operand(num).div(operand(den)), 4),
        Expr::CrossEntropy { terms } => {
            let mut sum = Range::exactly(0.0);
            for (t, p) in terms {
                let t = operand(t);
                // A target entry of exactly 0 contributes 0, whatever `log p` is.
                if t.lo == Ext::ZERO && t.hi == Ext::ZERO {
                    continue;
                }
                sum = sum.add(t.mul(operand(p).monotone(f64::ln)));
            }
            (sum.neg(), 8 * terms.len() + 2)
        }
        Expr::LogSoftmax { z, shift, sum } => {
            let log_sum = operand(sum).monotone(f64::ln);
            (operand(z).add(operand(shift).neg()).add(log_sum.neg()), 8)
        }
        Expr::CrossEntropyOfLogs { terms } => {
            let sum = terms
                .iter()
                .fold(Range::exactly(0.0), |acc, (t, l)| acc.add(operand(t).mul(operand(l))));
            (sum.neg(), 2 * terms.len() + 2)
        }
    })
}

/// The constant a piecewise-linear derivative must have: on a kinked function's branch, the
/// one the sign of the printed `z` picks.
fn constant_slope<S: Scalar>(f: Activation, z: &Operand<S>, case: SlopeCase) -> Option<f64> {
    if f.kink().is_some() {
        let z = printed(z.value, SIGNIFICANT_DIGITS).value;
        let expected_case = if z > 0.0 {
            SlopeCase::Positive
        } else if z < 0.0 {
            SlopeCase::Negative
        } else {
            SlopeCase::AtZero
        };
        if z.is_nan() || case != expected_case {
            return None;
        }
    }
    f.constant_slope(case)
}

/// The spacing of doubles near 0: the most an operation's rounding moves a result there
/// (`2·(2.5·10⁻³²⁴)` is `4.9·10⁻³²⁴` or 0), beyond any relative error.
const SMALLEST_SUBNORMAL: f64 = 5e-324;

/// `None` when the equation follows; otherwise what was expected and what is printed.
fn check<S: Scalar>(eq: &Equation<S>) -> Option<(String, String)> {
    if S::EXACT {
        return super::fractions::check(eq);
    }
    let shown = doc::equation(eq, Form::Numeric);
    let (exact_claim, text) = shown.result?;
    let printed_text = format!("{} {text}", if exact_claim { '=' } else { '≈' });
    let result = printed(eq.value, shown.result_digits);
    if let Expr::Slope { f, z, case, .. } = &eq.expr
        && !f.slope_from_output()
    {
        return match constant_slope(*f, z, *case) {
            Some(c) if doc::val(c) == text => None,
            Some(c) => Some((doc::val(c), printed_text)),
            None => Some((
                format!("a branch that matches the sign of {}", doc::name(z.sym)),
                printed_text,
            )),
        };
    }
    let (range, operations) = evaluate(&eq.expr, shown.digits)?;
    // `=` also needs the printed decimals to give the printed result exactly (decided in
    // exact decimal arithmetic), besides the range check below.
    if exact_claim && !(exact::holds(eq) && result.half_unit == Rational::ZERO) {
        return Some((describe(range), printed_text));
    }
    if range.is_nan() || !result.exact.is_finite() {
        // Not-a-number and infinities: they follow when the operands carry them, or when the
        // exact range leaves what a double holds (an overflow).
        // (`magnitude`, summed in `f64`, overflows where an intermediate of the computation
        // did: `½·Σ(y − t)²` is finite but its sum was not.)
        let overflow =
            !range.lo.within_f64() || !range.hi.within_f64() || !range.magnitude.is_finite();
        return if (range.is_nan() && result.value.is_nan())
            || (!result.value.is_finite() && !result.value.is_nan() && overflow)
        {
            None
        } else {
            Some((describe(range), printed_text))
        };
    }
    // The printed result within the range, widened by half a unit of its own last digit where
    // it is rounded and by what `f64`'s own rounding of the computation can have moved it.
    #[allow(clippy::cast_precision_loss)]
    let rounding = (operations as f64 + 4.0)
        * (4.0 * f64::EPSILON * range.magnitude.max(result.value.abs()) + SMALLEST_SUBNORMAL);
    let margin = Ext::Finite(result.half_unit).add(Ext::of(rounding));
    if range.lo.add(margin.neg()) <= result.exact && result.exact <= range.hi.add(margin) {
        None
    } else {
        Some((describe(range), printed_text))
    }
}

fn describe(range: Range) -> String {
    let (lo, hi) = (range.lo.to_f64(), range.hi.to_f64());
    if range.lo == range.hi {
        doc::val(lo)
    } else {
        format!("a value in [{}, {}]", doc::val(lo), doc::val(hi))
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::layer::Scale;
    use crate::trace::{Equation, Expr, Operand, Sym, Term};

    fn sum(products: &[(f64, f64)], value: f64) -> Equation<f64> {
        let op = |v| Operand::new(Sym::delta(0, 0), v);
        let terms = products.iter().map(|&(a, b)| Term::Product(op(a), op(b))).collect();
        Equation { lhs: Sym::grad_b(), expr: Expr::Sum { scale: Scale::ONE, terms }, value }
    }

    /// A result that follows passes; one off by more than its printed precision (and `f64`'s
    /// rounding) does not, with `=` or `≈`.
    #[test]
    fn wrong_results_are_caught() {
        assert_eq!(check(&sum(&[(1.5, 2.0), (0.25, -4.0)], 2.0)), None);
        assert!(check(&sum(&[(1.5, 2.0), (0.25, -4.0)], 2.5)).is_some());
        let third = 1.0 / 3.0;
        assert_eq!(check(&sum(&[(third, 3.0)], third * 3.0)), None);
        assert!(check(&sum(&[(third, 3.0)], 1.001)).is_some());
    }

    /// The ranges are exact at any magnitude, so `∞` follows only where a double overflows:
    /// `10²⁰⁰·10²⁰⁰` does, `10¹⁰⁰·10¹⁰⁰` does not; and below the normal doubles, the spacing
    /// of the subnormals is allowed for.
    #[test]
    fn overflow_and_underflow_are_decided() {
        assert_eq!(check(&sum(&[(1e200, 1e200)], f64::INFINITY)), None);
        assert!(check(&sum(&[(1e100, 1e100)], f64::INFINITY)).is_some());
        assert_eq!(check(&sum(&[(1e-200, 1e-200)], 0.0)), None);
        assert!(check(&sum(&[(1e-200, 1e-200)], 1e-300)).is_some());
    }
}
