//! Self-verification: every printed equation re-evaluated from its printed operands, at the
//! printed precision.
//!
//! An operand printed unrounded (`0.5`) is taken as exactly that decimal; one printed rounded
//! (`0.731059`) as anything within half a unit of its last printed digit. The right-hand side
//! is evaluated over those ranges (interval arithmetic in `f64`, with a margin for `f64`'s
//! own rounding), and the printed result must lie in the range, widened by half a unit of its
//! own last digit when it is printed with `≈`. An equation printed with `=` must hold exactly:
//! every operand unrounded and the printed decimals giving the printed result exactly.
//!
//! This is deliberately a second, separate evaluation: it never feeds a printed number.

use core::fmt;

use super::doc::{self, Form};
use super::exact;
use crate::layer::Scale;
use crate::number::SIGNIFICANT_DIGITS;
use crate::ops::{Activation, SlopeCase};
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

/// A printed number: its decimal value as `f64`, the half-width of its uncertainty (0 when
/// printed unrounded), and its text.
#[derive(Clone, Copy, Debug)]
struct Printed {
    value: f64,
    half_unit: f64,
}

/// A value as printed with `digits` significant digits where it is rounded.
fn printed<S: Scalar>(value: S, digits: usize) -> Printed {
    let (text, rounded) = doc::num_at(value, digits);
    let value = parse(&text);
    Printed { value, half_unit: if rounded { half_unit(&text) } else { 0.0 } }
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

/// The value of a printed number (`−1.5·10⁻⁹`, `∞`, `NaN`).
fn parse(text: &str) -> f64 {
    ascii(text).parse().unwrap_or(f64::NAN)
}

/// Half a unit of the last printed digit of `text`.
fn half_unit(text: &str) -> f64 {
    let ascii = ascii(text);
    let (digits, exponent) = ascii.split_once('e').unwrap_or((&ascii, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let decimals = digits.split_once('.').map_or(0, |(_, f)| f.len());
    let decimals = i32::try_from(decimals).unwrap_or(i32::MAX);
    // Read as a decimal rather than `0.5·10_f64.powi(…)`, whose `10^309` would overflow to ∞
    // and make half a unit of a number near the subnormals 0.
    format!("5e{}", exponent.saturating_sub(decimals).saturating_sub(1)).parse().unwrap_or(0.0)
}

/// A closed range of reals, and the sum of the magnitudes that went into it (for the margin of
/// `f64`'s own rounding).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Range {
    lo: f64,
    hi: f64,
    magnitude: f64,
}

impl Range {
    /// A printed number's range. A finite value's range stays within the finite numbers (the
    /// value was one), so that only a printed `∞` is infinite and `0·∞` is IEEE's NaN.
    fn of(p: Printed) -> Self {
        let (lo, hi) = if p.value.is_finite() {
            ((p.value - p.half_unit).max(f64::MIN), (p.value + p.half_unit).min(f64::MAX))
        } else {
            (p.value, p.value)
        };
        Self { lo, hi, magnitude: p.value.abs() }
    }

    pub(crate) const fn exactly(v: f64) -> Self {
        Self { lo: v, hi: v, magnitude: v.abs() }
    }

    pub(crate) fn add(self, o: Self) -> Self {
        Self { lo: self.lo + o.lo, hi: self.hi + o.hi, magnitude: self.magnitude + o.magnitude }
    }

    pub(crate) fn neg(self) -> Self {
        Self { lo: -self.hi, hi: -self.lo, magnitude: self.magnitude }
    }

    pub(crate) fn mul(self, o: Self) -> Self {
        let products = [self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi];
        let lo = products.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = products.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let magnitude = self.magnitude * o.magnitude;
        if products.iter().any(|p| p.is_nan()) {
            return Self { lo: f64::NAN, hi: f64::NAN, magnitude };
        }
        Self { lo, hi, magnitude }
    }

    /// The square: a range that contains 0 squares to one that starts at 0.
    pub(crate) fn square(self) -> Self {
        let sq = self.mul(self);
        let lo = if self.lo <= 0.0 && self.hi >= 0.0 { 0.0 } else { sq.lo.max(0.0) };
        Self { lo, ..sq }
    }

    fn scale(self, s: Scale) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let (n, d) = (s.num as f64, s.den as f64);
        // As `Scale::apply`: dividing first where the product alone would overflow.
        let f = |x: f64| {
            let product = x * n;
            if product.is_finite() || !x.is_finite() { product / d } else { x / d * n }
        };
        Self { lo: f(self.lo), hi: f(self.hi), magnitude: f(self.magnitude) }
    }

    /// A non-decreasing function applied to both ends; NaN stays NaN, as in the activations.
    pub(crate) fn monotone(self, f: impl Fn(f64) -> f64) -> Self {
        if self.is_nan() {
            return self;
        }
        Self { lo: f(self.lo), hi: f(self.hi), magnitude: f(self.magnitude.abs()).abs().max(1.0) }
    }

    /// The larger of two values, over their ranges.
    fn max(self, other: Self) -> Self {
        Self {
            lo: self.lo.max(other.lo),
            hi: self.hi.max(other.hi),
            magnitude: self.magnitude.max(other.magnitude),
        }
    }

    /// `self/other`, for a divisor whose range is positive (a softmax's denominator); any
    /// other divisor gives the whole line.
    fn div(self, other: Self) -> Self {
        if other.lo > 0.0 {
            let recip = Self { lo: 1.0 / other.hi, hi: 1.0 / other.lo, magnitude: 1.0 / other.lo };
            self.mul(recip)
        } else {
            Self { lo: f64::NEG_INFINITY, hi: f64::INFINITY, magnitude: f64::INFINITY }
        }
    }

    fn is_nan(self) -> bool {
        self.lo.is_nan() || self.hi.is_nan()
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
                if t.lo == 0.0 && t.hi == 0.0 {
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
    if exact_claim && !(exact::holds(eq) && result.half_unit == 0.0) {
        return Some((describe(range), printed_text));
    }
    if range.is_nan() || !result.value.is_finite() {
        // Not-a-number and infinities: they follow when the operands carry them or overflow.
        let overflow = !range.lo.is_finite() || !range.hi.is_finite();
        return if (range.is_nan() && result.value.is_nan())
            || (!result.value.is_finite() && overflow)
        {
            None
        } else {
            Some((describe(range), printed_text))
        };
    }
    #[allow(clippy::cast_precision_loss)]
    let margin = result.half_unit
        + (operations as f64 + 4.0) * 4.0 * f64::EPSILON * range.magnitude.max(result.value.abs());
    if range.lo - margin <= result.value && result.value <= range.hi + margin {
        None
    } else {
        Some((describe(range), printed_text))
    }
}

fn describe(range: Range) -> String {
    if range.lo == range.hi {
        doc::val(range.lo)
    } else {
        format!("a value in [{}, {}]", doc::val(range.lo), doc::val(range.hi))
    }
}
