//! How an equation is printed so that it can be checked from its own printed numbers.
//!
//! A reader redoes an equation's arithmetic on the printed operands and compares with the
//! printed result. So every equation is laid out such that this works: the exact value of the
//! printed right-hand side (exact decimal arithmetic, at any magnitude) must round to the
//! printed result at the result's precision. Six significant digits are enough almost always;
//! where they are not, the operands are printed with more (cancellation: `y·(1 − y)` with
//! `y = 0.99999996`), or the result is (a value on a rounding boundary), up to the shortest
//! round-trip form. An equation says `=` only when the printed arithmetic gives exactly the
//! printed, unrounded result.
//!
//! Everything here decides how a value is written; nothing computed here is ever printed as a
//! value of the derivation (those are always the computation's own).

use core::cmp::Ordering;

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use crate::layer::Scale;
use crate::number::{MAX_DIGITS, ROUND_TRIP_DIGITS, SIGNIFICANT_DIGITS, superscript_digit};
use crate::scalar::Scalar;
use crate::trace::{Equation, Expr, Operand, Term};

// ---------------------------------------------------------------------------------------------
// Exact decimals

/// A whole number: machine-sized while it fits, arbitrary precision beyond.
#[derive(Clone, Debug)]
enum Int {
    Small(i128),
    Big(BigInt),
}

impl Int {
    fn big(&self) -> BigInt {
        match self {
            Self::Small(v) => BigInt::from(*v),
            Self::Big(v) => v.clone(),
        }
    }

    fn add(&self, other: &Self) -> Self {
        if let (Self::Small(a), Self::Small(b)) = (self, other)
            && let Some(sum) = a.checked_add(*b)
        {
            return Self::Small(sum);
        }
        Self::Big(self.big() + other.big())
    }

    fn mul(&self, other: &Self) -> Self {
        if let (Self::Small(a), Self::Small(b)) = (self, other)
            && let Some(product) = a.checked_mul(*b)
        {
            return Self::Small(product);
        }
        Self::Big(self.big() * other.big())
    }

    fn neg(&self) -> Self {
        match self {
            Self::Small(v) if *v != i128::MIN => Self::Small(-v),
            other => Self::Big(-other.big()),
        }
    }

    /// `self·10^shift`.
    fn shifted(&self, shift: u32) -> Self {
        /// `10^k` for every `k` an `i128` holds.
        const POWERS: [i128; 39] = {
            let mut powers = [1_i128; 39];
            let mut k = 1;
            while k < 39 {
                powers[k] = powers[k - 1] * 10;
                k += 1;
            }
            powers
        };
        if shift == 0 {
            return self.clone();
        }
        if let Self::Small(v) = self
            && let Some(product) = POWERS.get(shift as usize).and_then(|p| v.checked_mul(*p))
        {
            return Self::Small(product);
        }
        Self::Big(self.big() * num_traits::pow(BigInt::from(10), shift as usize))
    }

    fn signum(&self) -> Ordering {
        match self {
            Self::Small(v) => v.cmp(&0),
            Self::Big(v) => {
                if v.is_zero() {
                    Ordering::Equal
                } else if v.is_positive() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Small(a), Self::Small(b)) => a.cmp(b),
            _ => self.big().cmp(&other.big()),
        }
    }
}

/// A decimal `mantissa·10^exponent`, exactly.
#[derive(Clone, Debug)]
pub(crate) struct Decimal {
    mantissa: Int,
    exponent: i32,
}

impl Decimal {
    pub(crate) const ZERO: Self = Self { mantissa: Int::Small(0), exponent: 0 };
    pub(crate) const ONE: Self = Self { mantissa: Int::Small(1), exponent: 0 };
    pub(crate) const HALF: Self = Self { mantissa: Int::Small(5), exponent: -1 };

    fn whole(n: usize) -> Self {
        let mantissa = i128::try_from(n).map_or_else(|_| Int::Big(BigInt::from(n)), Int::Small);
        Self { mantissa, exponent: 0 }
    }

    /// Reads what [`Scalar::write_number`] writes: `−12.5`, `0.001`, `3.33333·10⁻¹⁰`; `None`
    /// for `∞`, `NaN` and anything else.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (negative, text) = match text.strip_prefix('−') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        // `·` only ever starts the power of ten of a number (a char search, not a substring
        // one: this runs for every operand of every equation).
        let (digits, power) = match text.find('·') {
            Some(at) => (&text[..at], Some(text[at..].strip_prefix("·10")?)),
            None => (text, None),
        };
        // Up to 38 digits in a machine integer; the rare longer mantissa (an operand written
        // with up to 40 digits) goes on in arbitrary precision.
        let (mut exponent, mut count, mut seen_point) = (0_i32, 0_usize, false);
        for b in digits.bytes() {
            match b {
                b'0'..=b'9' => {
                    exponent -= i32::from(seen_point);
                    count += 1;
                }
                b'.' if !seen_point && count > 0 => seen_point = true,
                _ => return None,
            }
        }
        if count == 0 {
            return None;
        }
        let digit = |b: &u8| b.is_ascii_digit().then(|| u64::from(b - b'0'));
        let mantissa = if count <= 19 {
            // Every number written with at most 19 digits (all but some widened operands).
            let value = digits.as_bytes().iter().filter_map(digit).fold(0_u64, |v, d| v * 10 + d);
            Int::Small(i128::from(value))
        } else {
            let text: String = digits.chars().filter(char::is_ascii_digit).collect();
            Int::Big(BigInt::parse_bytes(text.as_bytes(), 10)?)
        };
        if let Some(power) = power {
            let (sign, power) = match power.strip_prefix('⁻') {
                Some(rest) => (-1, rest),
                None => (1, power),
            };
            let mut value = 0_i32;
            for c in power.chars() {
                let digit = i32::try_from(superscript_digit(c)?).ok()?;
                value = value.checked_mul(10)?.checked_add(digit)?;
            }
            if power.is_empty() {
                return None;
            }
            exponent = exponent.checked_add(sign * value)?;
        }
        let mantissa = if negative { mantissa.neg() } else { mantissa };
        Some(Self { mantissa, exponent })
    }

    fn neg(&self) -> Self {
        Self { mantissa: self.mantissa.neg(), exponent: self.exponent }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.mantissa.signum() == Ordering::Equal
    }

    pub(crate) fn is_negative(&self) -> bool {
        self.mantissa.signum() == Ordering::Less
    }

    fn abs(&self) -> Self {
        if self.is_negative() { self.neg() } else { self.clone() }
    }

    pub(crate) fn mul(&self, other: &Self) -> Self {
        Self {
            mantissa: self.mantissa.mul(&other.mantissa),
            exponent: self.exponent.saturating_add(other.exponent),
        }
    }

    /// Both mantissas at the smaller exponent.
    fn aligned(&self, other: &Self) -> (Int, Int) {
        let exponent = self.exponent.min(other.exponent);
        let at = |d: &Self| d.mantissa.shifted(d.exponent.abs_diff(exponent));
        (at(self), at(other))
    }

    fn add(&self, other: &Self) -> Self {
        if self.is_zero() {
            return other.clone();
        }
        if other.is_zero() {
            return self.clone();
        }
        let (a, b) = self.aligned(other);
        Self { mantissa: a.add(&b), exponent: self.exponent.min(other.exponent) }
    }

    pub(crate) fn sub(&self, other: &Self) -> Self {
        self.add(&other.neg())
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => Ordering::Equal,
            (true, false) => other.mantissa.signum().reverse(),
            (false, true) => self.mantissa.signum(),
            (false, false) => {
                let (a, b) = self.aligned(other);
                a.cmp(&b)
            }
        }
    }

    /// The digits of the mantissa as written: 6 for `216900` and `1.23442·10⁷`, 3 for
    /// `0.00125`.
    fn digits(&self) -> usize {
        match &self.mantissa {
            Int::Small(v) => v.unsigned_abs().checked_ilog10().map_or(1, |l| l as usize + 1),
            Int::Big(v) => v.abs().to_string().len(),
        }
    }

    /// The decimal exponent of the leading digit: 2 for 345, −3 for 0.00125.
    fn leading_exponent(&self) -> i32 {
        let digits = match &self.mantissa {
            Int::Small(v) => v.unsigned_abs().checked_ilog10().map_or(1, |l| l + 1),
            Int::Big(v) => u32::try_from(v.abs().to_string().len()).unwrap_or(u32::MAX),
        };
        self.exponent.saturating_add_unsigned(digits).saturating_sub(1)
    }

    /// Half a unit in the `digits`-th significant digit of this value (0 for 0).
    fn half_unit(&self, digits: usize) -> Self {
        if self.is_zero() {
            return Self::ZERO;
        }
        let digits = i32::try_from(digits).unwrap_or(i32::MAX);
        Self { mantissa: Int::Small(5), exponent: self.leading_exponent().saturating_sub(digits) }
    }

    /// `self/denominator`, rounded to [`MAX_DIGITS`] significant digits: exact for the
    /// denominators a derivation has (1, 2, a count of outputs) whenever the quotient
    /// terminates within them, and far finer than anything it is shown at otherwise.
    fn divided(&self, denominator: usize) -> Self {
        if denominator <= 1 || self.is_zero() {
            return self.clone();
        }
        let places = u32::try_from(MAX_DIGITS).unwrap_or(40);
        let scaled = self.mantissa.shifted(places).big() / BigInt::from(denominator);
        Self {
            mantissa: Int::Big(scaled),
            exponent: self.exponent.saturating_sub(i32::try_from(places).unwrap_or(40)),
        }
    }

    /// This value as the derivation writes numbers, rounded to `digits` significant digits
    /// (half away from zero), with `≈` in front when that rounds it: `≈2.13283·10⁻³⁸⁵`, `0`.
    fn written(&self, digits: usize) -> String {
        if self.is_zero() {
            return "0".to_owned();
        }
        let magnitude = self.mantissa.big().abs();
        let length = self.digits();
        let mut lead =
            self.exponent.saturating_add_unsigned(u32::try_from(length).unwrap_or(0)) - 1;
        let (kept, rounded) = if length <= digits {
            (magnitude, false)
        } else {
            let unit = num_traits::pow(BigInt::from(10), length - digits);
            let (kept, rest) = (&magnitude / &unit, &magnitude % &unit);
            let up = rest.clone() * 2 >= unit;
            (if up { kept + 1 } else { kept }, !rest.is_zero())
        };
        let mut text = kept.to_string();
        if text.len() > digits {
            // 99…9 rounded up to 100…0: one more in the exponent.
            lead += 1;
            text.truncate(digits);
        }
        let text = text.trim_end_matches('0');
        let mut out = String::new();
        if rounded {
            out.push('≈');
        }
        if self.is_negative() {
            out.push('−');
        }
        crate::number::write_digits(text, lead, rounded, digits, &mut out);
        out
    }

    /// The nearest `f64`, for a note.
    pub(crate) fn to_f64(&self) -> f64 {
        let mantissa = match &self.mantissa {
            Int::Small(v) => v.to_string(),
            Int::Big(v) => v.to_string(),
        };
        format!("{mantissa}e{}", self.exponent).parse().unwrap_or(f64::NAN)
    }
}

// ---------------------------------------------------------------------------------------------
// Printed values

/// A value as this equation prints it: its decimal (`None` for `∞` and `NaN`) and whether the
/// printed text is rounded.
struct Shown {
    decimal: Option<Decimal>,
    rounded: bool,
}

fn shown<S: Scalar>(value: S, digits: usize) -> Shown {
    if let Some(((mantissa, exponent), rounded)) = value.written_decimal(digits) {
        return Shown {
            decimal: Some(Decimal { mantissa: Int::Small(mantissa), exponent }),
            rounded,
        };
    }
    // Otherwise from the text (∞, NaN, a mantissa of more than 38 digits, a scalar of another
    // kind), written into one small buffer, reused.
    std::thread_local! {
        static TEXT: core::cell::RefCell<String> = const { core::cell::RefCell::new(String::new()) };
    }
    TEXT.with_borrow_mut(|text| {
        text.clear();
        let rounded = value.write_number_digits(digits, text);
        Shown { decimal: Decimal::parse(text), rounded }
    })
}

/// The decimal a value prints as with `digits` significant digits.
pub(crate) fn printed<S: Scalar>(value: S, digits: usize) -> Option<Decimal> {
    shown(value, digits).decimal
}

/// The least number of significant digits (at least [`SIGNIFICANT_DIGITS`]) with which the
/// printed `a` and `b` show their difference: its sign, and its size within a half. For the
/// pairs where the difference is the point (a parameter and its update, the loss before and
/// after), so that `1 − 0.1·2.48396·10⁻⁷` does not print as `1`. Values that are equal, or
/// not finite, need nothing more.
pub(crate) fn resolving_digits<S: Scalar>(a: S, b: S) -> usize {
    let (Some(exact_a), Some(exact_b)) =
        (printed(a, ROUND_TRIP_DIGITS), printed(b, ROUND_TRIP_DIGITS))
    else {
        return SIGNIFICANT_DIGITS;
    };
    let difference = exact_a.sub(&exact_b);
    if difference.is_zero() {
        return SIGNIFICANT_DIGITS;
    }
    let two = Decimal::whole(2);
    (SIGNIFICANT_DIGITS..ROUND_TRIP_DIGITS)
        .find(|&digits| {
            let (Some(a), Some(b)) = (printed(a, digits), printed(b, digits)) else {
                return true;
            };
            let shown = a.sub(&b);
            shown.is_negative() == difference.is_negative()
                && !shown.is_zero()
                && shown.sub(&difference).abs().mul(&two).cmp(&difference.abs()).is_le()
        })
        .unwrap_or(ROUND_TRIP_DIGITS)
}

/// The least number of significant digits (at least [`SIGNIFICANT_DIGITS`]) with which `a`
/// prints differently from `b`, when the two differ.
pub(crate) fn distinguishing_digits<S: Scalar>(a: S, b: S) -> usize {
    let text = |value: S, digits: usize| {
        let mut out = String::new();
        value.write_number_digits(digits, &mut out);
        out
    };
    if text(a, ROUND_TRIP_DIGITS) == text(b, ROUND_TRIP_DIGITS) {
        return SIGNIFICANT_DIGITS;
    }
    (SIGNIFICANT_DIGITS..ROUND_TRIP_DIGITS)
        .find(|&digits| text(a, digits) != text(b, digits))
        .unwrap_or(ROUND_TRIP_DIGITS)
}

// ---------------------------------------------------------------------------------------------
// The value of a printed right-hand side

/// What the printed right-hand side of an equation is worth.
enum Value {
    /// `numerator/denominator`, exactly.
    Exact(Decimal, usize),
    /// Not a decimal (`σ(1)`): the `f64` nearest to the function of the printed argument.
    Approximate(f64),
    /// `a/b` of two printed decimals: exact where the printed result times `b` is `a`.
    Quotient(Decimal, Decimal),
    /// A constant printed as it is: the slope of a piecewise-linear activation.
    Constant,
    /// Some operand is `∞` or `NaN`.
    NotFinite,
}

/// The operands of an equation as printed with `digits` significant digits, and whether all
/// of them are finite.
struct Operands {
    digits: usize,
    finite: bool,
}

impl Operands {
    fn get<S: Scalar>(&mut self, op: &Operand<S>) -> Option<Decimal> {
        self.number(op.value)
    }

    fn number<S: Scalar>(&mut self, value: S) -> Option<Decimal> {
        let shown = shown(value, self.digits);
        self.finite &= shown.decimal.is_some();
        shown.decimal
    }

    fn term<S: Scalar>(&mut self, term: &Term<S>) -> Option<Decimal> {
        Some(match term {
            Term::Product(a, b) => self.get(a)?.mul(&self.get(b)?),
            Term::Single(a) => self.get(a)?,
            Term::Diff(a, b) => self.get(a)?.sub(&self.get(b)?),
            Term::SquaredDiff(a, b) => {
                let d = self.get(a)?.sub(&self.get(b)?);
                d.mul(&d)
            }
        })
    }
}

/// The value of `expr` with its operands printed as `ops` says.
fn evaluate<S: Scalar>(expr: &Expr<S>, ops: &mut Operands) -> Value {
    let value = match expr {
        Expr::Sum { scale, terms } => {
            let mut sum = Some(Decimal::ZERO);
            for t in terms {
                // Every operand is printed (and so counted) even after one that is not finite.
                let term = ops.term(t);
                sum = sum.zip(term).map(|(s, t)| s.add(&t));
            }
            sum.map(|s| scaled(*scale, &s))
        }
        Expr::Activate { f, z } => {
            let Some(z) = ops.get(z) else {
                return Value::NotFinite;
            };
            match f.exact_output(z, |setting| ops.number(setting)) {
                Ok(value) => value.map(|v| (v, 1)),
                Err(nearest) => return Value::Approximate(nearest),
            }
        }
        Expr::Slope { f, y, .. } => match f.exact_slope() {
            Some(slope) => ops.get(y).map(|y| (slope(&y), 1)),
            // The constant slopes of the piecewise-linear activations: printed as they are.
            None => return Value::Constant,
        },
        Expr::Update { param, lr, grad } => {
            let param = ops.get(param);
            let lr = ops.number(*lr);
            let grad = ops.get(grad);
            param.zip(lr).zip(grad).map(|((p, lr), g)| (p.sub(&lr.mul(&g)), 1))
        }
        Expr::Max { of, .. } => {
            let mut largest: Option<Decimal> = None;
            let mut all = true;
            for op in of {
                match ops.get(op) {
                    Some(v) => {
                        largest = Some(match largest {
                            Some(m) if m.cmp(&v).is_ge() => m,
                            _ => v,
                        });
                    }
                    None => all = false,
                }
            }
            largest.filter(|_| all).map(|m| (m, 1))
        }
        // Not decimals: the `f64` nearest to the function of the printed operands.
        Expr::Exp { z, shift } => {
            let (Some(z), Some(m)) = (ops.get(z), ops.get(shift)) else {
                return Value::NotFinite;
            };
            let power = z.sub(&m);
            // exp(0) = 1 exactly: the largest logit's own term.
            if power.is_zero() {
                return Value::Exact(Decimal::whole(1), 1);
            }
            return Value::Approximate(power.to_f64().exp());
        }
        Expr::Ratio { num, den } => {
            let (Some(a), Some(b)) = (ops.get(num), ops.get(den)) else {
                return Value::NotFinite;
            };
            return Value::Quotient(a, b);
        }
        Expr::CrossEntropy { terms } => {
            let mut sum = 0.0;
            let mut all_certain = true;
            for (t, p) in terms {
                let (Some(t), Some(p)) = (ops.get(t), ops.get(p)) else {
                    return Value::NotFinite;
                };
                if !t.is_zero() {
                    sum -= t.to_f64() * p.to_f64().ln();
                    // log 1 = 0 exactly: a class certain.
                    all_certain &= p.cmp(&Decimal::whole(1)).is_eq();
                }
            }
            if all_certain {
                return Value::Exact(Decimal::ZERO, 1);
            }
            return Value::Approximate(sum);
        }
        Expr::LogSoftmax { z, shift, sum } => {
            let (Some(z), Some(m), Some(s)) = (ops.get(z), ops.get(shift), ops.get(sum)) else {
                return Value::NotFinite;
            };
            return Value::Approximate(z.sub(&m).to_f64() - s.to_f64().ln());
        }
        Expr::CrossEntropyOfLogs { terms } => {
            let mut sum = Some(Decimal::ZERO);
            for (t, l) in terms {
                let term = ops.get(t).zip(ops.get(l)).map(|(t, l)| t.mul(&l));
                sum = sum.zip(term).map(|(s, t)| s.sub(&t));
            }
            sum.map(|s| (s, 1))
        }
    };
    match value {
        Some((numerator, denominator)) if ops.finite => Value::Exact(numerator, denominator),
        _ => Value::NotFinite,
    }
}

/// `scale·sum` as a numerator over the scale's denominator.
fn scaled(scale: Scale, sum: &Decimal) -> (Decimal, usize) {
    (sum.mul(&Decimal::whole(scale.num)), scale.den.max(1))
}

/// What IEEE arithmetic gives from the operands of an arithmetic `expr` of which some are `∞`
/// or `NaN`, with the finite ones taken exactly (so never overflowing): `NaN`, `±∞`, or a
/// finite number (`0` standing for any) where the non-finite ones cancel out of it (`∞·0`
/// gives `NaN`, `∞ + finite` gives `∞`). `None` for an activation or a slope, whose value of
/// `∞` is its function's.
fn ieee<S: Scalar>(expr: &Expr<S>) -> Option<f64> {
    // A finite operand stands for its sign (0 for zero): only that reaches a non-finite result.
    let v = |o: &Operand<S>| {
        let v = o.value.to_f64();
        if v.is_finite() { if v == 0.0 { 0.0 } else { v.signum() } } else { v }
    };
    // A finite result (of finite operands) is 0: it cannot change an infinite one.
    let non_finite = |x: f64| if x.is_finite() { 0.0 } else { x };
    let term = |t: &Term<S>| match t {
        Term::Product(a, b) => non_finite(v(a) * v(b)),
        Term::Single(a) => non_finite(v(a)),
        Term::Diff(a, b) => non_finite(non_finite(v(a)) - non_finite(v(b))),
        Term::SquaredDiff(a, b) => {
            let d = non_finite(v(a)) - non_finite(v(b));
            d * d
        }
    };
    match expr {
        Expr::Sum { terms, .. } => Some(terms.iter().map(term).sum()),
        Expr::Update { param, lr, grad } => {
            let lr = if lr.is_finite() { lr.to_f64().signum() } else { lr.to_f64() };
            Some(non_finite(v(param)) - non_finite(lr * v(grad)))
        }
        Expr::Max { .. }
        | Expr::Activate { .. }
        | Expr::Slope { .. }
        | Expr::Exp { .. }
        | Expr::Ratio { .. }
        | Expr::CrossEntropy { .. }
        | Expr::LogSoftmax { .. }
        | Expr::CrossEntropyOfLogs { .. } => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Laying an equation out

/// How one equation is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Significant digits of its operands (where they are rounded).
    pub(crate) operands: usize,
    /// Significant digits of its result (where it is rounded).
    pub(crate) result: usize,
    /// Whether the printed arithmetic gives the printed, unrounded result exactly (`=`).
    pub(crate) exact: bool,
    /// Whether `f64`'s own rounding moved the result further from the exact value of its
    /// printed operands than the result's precision: no number of digits can show it, and the
    /// derivation says so.
    pub(crate) rounding_in_f64: bool,
}

/// Whether the printed right-hand side gives the printed result, at the result's precision.
enum Check {
    Holds { exact: bool },
    Fails,
}

fn check<S: Scalar>(eq: &Equation<S>, value: &Value, result_digits: usize) -> Check {
    let result = shown(eq.value, result_digits);
    match (value, result.decimal) {
        (Value::Constant, _) => Check::Holds { exact: !result.rounded },
        (Value::Exact(numerator, denominator), Some(r)) => {
            // |numerator/denominator − r| ≤ half a unit in r's last significant digit, multiplied
            // out: at the precision it is rounded to, or at the digits it shows, if more (a
            // reader takes `−0.3955078125` for ten digits).
            let den = Decimal::whole(*denominator);
            let off = numerator.sub(&r.mul(&den)).abs();
            let exact = off.is_zero() && !result.rounded;
            let digits = result_digits.max(r.digits());
            if off.cmp(&r.half_unit(digits).mul(&den)).is_le() {
                Check::Holds { exact }
            } else {
                Check::Fails
            }
        }
        (Value::Quotient(a, b), Some(r)) => {
            // |a/b − r| ≤ half a unit of r, multiplied out by |b|: exactly, at any magnitude.
            let off = a.sub(&r.mul(b)).abs();
            let exact = off.is_zero() && !result.rounded;
            let digits = result_digits.max(r.digits());
            if !b.is_zero() && off.cmp(&r.half_unit(digits).mul(&b.abs())).is_le() {
                Check::Holds { exact }
            } else {
                Check::Fails
            }
        }
        (Value::Approximate(v), Some(r)) => near(*v, &r, result_digits),
        // A result that is not finite from finite operands is an overflow: not exact, and
        // no digits change it.
        (Value::Exact(..) | Value::Approximate(_) | Value::Quotient(..), None) => {
            Check::Holds { exact: false }
        }
        // ∞ and NaN carried along by IEEE arithmetic are exact when the result is the one
        // they give (not NaN where finite products overflowing to ∞ and −∞ made it: exactly,
        // the printed operands give the infinite operand's ∞).
        (Value::NotFinite, result) => {
            let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
            let carried = ieee(&eq.expr).is_none_or(|x| same(x, eq.value.to_f64()));
            Check::Holds { exact: result.is_none() && carried }
        }
    }
}

/// Whether the printed result `r` is the value `v` (not a decimal) at the result's precision,
/// with a margin for `f64`'s own rounding of `v`: never exactly.
fn near(v: f64, r: &Decimal, result_digits: usize) -> Check {
    let r_value = r.to_f64();
    let unit = r.half_unit(result_digits.max(r.digits())).to_f64();
    let margin = 4.0 * f64::EPSILON * v.abs().max(r_value.abs());
    if (v - r_value).abs() <= unit + margin { Check::Holds { exact: false } } else { Check::Fails }
}

/// How `eq` is printed: as few digits as make the printed arithmetic give the printed result
/// (see the module's documentation), starting from [`SIGNIFICANT_DIGITS`], or from more for an
/// update, whose new value must show how far it moved, and for a maximum, which must show that
/// it beats every entry it is not equal to.
///
/// The operands widen first (cancellation), up to [`MAX_DIGITS`]; then the result, up to its
/// round-trip form (a value on a rounding boundary). Six digits almost always do, and then
/// this is one evaluation; otherwise a scan up to the round-trip form and a binary search
/// beyond keep it to a few.
pub(crate) fn layout<S: Scalar>(eq: &Equation<S>) -> Layout {
    if S::EXACT {
        // Every value is written as the fraction it is, and computed exactly: the printed
        // arithmetic gives the printed result (which `verify` checks, as fractions).
        let digits = SIGNIFICANT_DIGITS;
        return Layout { operands: digits, result: digits, exact: true, rounding_in_f64: false };
    }
    let start = match &eq.expr {
        Expr::Update { param, .. } => resolving_digits(param.value, eq.value),
        // A window's maximum printed so that it differs from every entry it beat: the digits
        // show which one the gradient goes to.
        Expr::Max { of, pick } => of
            .iter()
            .filter(|o| o.value != of[*pick].value)
            .map(|o| distinguishing_digits(o.value, of[*pick].value))
            .fold(SIGNIFICANT_DIGITS, usize::max),
        _ => SIGNIFICANT_DIGITS,
    };
    let holds = |operands: usize, result: usize| -> Option<bool> {
        let mut ops = Operands { digits: operands, finite: true };
        match check(eq, &evaluate(&eq.expr, &mut ops), result) {
            Check::Holds { exact } => Some(exact),
            Check::Fails => None,
        }
    };
    let found =
        |operands, result, exact| Layout { operands, result, exact, rounding_in_f64: false };
    if let Some(exact) = holds(start, start) {
        return found(start, start, exact);
    }
    for result in start..=ROUND_TRIP_DIGITS.max(start) {
        if holds(MAX_DIGITS, result).is_none() {
            continue;
        }
        // The fewest operand digits that do: a scan to the round-trip form, where it almost
        // always ends, then a binary search (more digits only bring the operands closer to
        // their binary values, so past that form the test is monotone).
        let scanned = (start..=ROUND_TRIP_DIGITS).find_map(|d| Some((d, holds(d, result)?)));
        let (operands, exact) = scanned.unwrap_or_else(|| {
            let (mut low, mut high) = (ROUND_TRIP_DIGITS + 1, MAX_DIGITS);
            while low < high {
                let mid = usize::midpoint(low, high);
                if holds(mid, result).is_some() { high = mid } else { low = mid + 1 }
            }
            (high, holds(high, result).unwrap_or(false))
        });
        return found(operands, result, exact);
    }
    // f64 rounded the result beyond what any digits of the operands can show. The operands
    // get as many digits as make what they give exactly differ from the result by no more
    // than that rounding can explain, so that the reason never blames f64 for the operands'
    // own rounding (six digits of ±2.5·10¹² cancel to 0 where the binary values give 1.2).
    let operands = (start..=ROUND_TRIP_DIGITS.max(start))
        .find(|&digits| rounding_explains(eq, digits))
        .unwrap_or(ROUND_TRIP_DIGITS.max(start));
    Layout { operands, result: start, exact: false, rounding_in_f64: true }
}

/// Whether `f64`'s rounding can explain how far `eq`'s result is from what its operands,
/// printed with `digits` significant digits, give exactly: a few units in the last place of
/// the terms' magnitude for each addition.
fn rounding_explains<S: Scalar>(eq: &Equation<S>, digits: usize) -> bool {
    let mut ops = Operands { digits, finite: true };
    let Value::Exact(numerator, denominator) = evaluate(&eq.expr, &mut ops) else {
        return false;
    };
    let v = |o: &Operand<S>| o.value.to_f64();
    let (magnitude, additions) = match &eq.expr {
        Expr::Sum { scale, terms } => {
            let size = |t: &Term<S>| match t {
                Term::Product(a, b) => (v(a) * v(b)).abs(),
                Term::Single(a) => v(a).abs(),
                Term::Diff(a, b) => v(a).abs() + v(b).abs(),
                Term::SquaredDiff(a, b) => (v(a) - v(b)).powi(2),
            };
            let sum: f64 = terms.iter().map(size).sum();
            (sum * scale.num as f64 / scale.den.max(1) as f64, terms.len())
        }
        Expr::Update { param, lr, grad } => (v(param).abs() + (lr.to_f64() * v(grad)).abs(), 2),
        Expr::Activate { .. }
        | Expr::Slope { .. }
        | Expr::Max { .. }
        | Expr::Exp { .. }
        | Expr::Ratio { .. }
        | Expr::CrossEntropy { .. }
        | Expr::LogSoftmax { .. }
        | Expr::CrossEntropyOfLogs { .. } => (eq.value.to_f64().abs(), 1),
    };
    let bound = 4.0 * f64::EPSILON * magnitude * (additions as f64 + 1.0) + f64::MIN_POSITIVE;
    (numerator.divided(denominator).to_f64() - eq.value.to_f64()).abs() <= bound
}

/// What the printed operands of `eq`, at `digits` significant digits, give exactly, for a note
/// when `f64` rounded the result beyond its printed precision: written to the result's
/// `result_digits` (`≈` in front when rounded), at any magnitude, since it may be one that
/// `f64` cannot hold (an underflow).
pub(crate) fn exact_value<S: Scalar>(
    eq: &Equation<S>,
    digits: usize,
    result_digits: usize,
) -> Option<String> {
    let mut ops = Operands { digits, finite: true };
    match evaluate(&eq.expr, &mut ops) {
        Value::Exact(numerator, denominator) => {
            Some(numerator.divided(denominator).written(result_digits))
        }
        _ => None,
    }
}

/// Whether `eq`, printed as [`layout`] lays it out, says `=`.
pub(crate) fn holds<S: Scalar>(eq: &Equation<S>) -> bool {
    layout(eq).exact
}

#[cfg(test)]
mod tests {
    use super::{Decimal, distinguishing_digits, exact_value, holds, layout, resolving_digits};
    use crate::layer::Scale;
    use crate::trace::{Equation, Expr, Operand, Sym, Term};

    fn sum(products: &[(f64, f64)]) -> Equation<f64> {
        let op = |v| Operand::new(Sym::delta(0, 0), v);
        let terms = products.iter().map(|&(a, b)| Term::Product(op(a), op(b))).collect();
        let value = products.iter().map(|(a, b)| a * b).sum::<f64>();
        Equation { lhs: Sym::grad_b(), expr: Expr::Sum { scale: Scale::ONE, terms }, value }
    }

    /// A window's maximum shows the digits that tell it from the entries it beat, where six do
    /// not; an exact tie needs no more.
    #[test]
    fn a_maximum_is_printed_apart_from_what_it_beat() {
        let window = |values: &[f64], pick: usize| {
            let of: Vec<_> = values.iter().map(|&v| Operand::new(Sym::x(0, 0), v)).collect();
            Equation { lhs: Sym::y(0, 0), expr: Expr::Max { of, pick }, value: values[pick] }
        };
        // 0.1 + 0.2 = 0.30000000000000004, which beats 0.3 and prints as it at six digits.
        let close = layout(&window(&[0.3, 0.1 + 0.2, 0.0], 1));
        assert_eq!((close.operands, close.result), (17, 17));
        let tie = layout(&window(&[1.5, 1.5, 0.25], 0));
        assert_eq!((tie.operands, tie.exact), (6, true));
    }

    /// `NaN` is exact only where the printed `∞`s give it: `∞ − ∞` does; `10²⁰⁰·10²⁰⁰ + (−∞)`
    /// is `−∞` exactly, and only `f64`, overflowing the finite product to `∞`, makes it `NaN`.
    #[test]
    fn nan_is_exact_only_where_the_infinities_give_it() {
        let cancelling = sum(&[(f64::INFINITY, 1.0), (f64::NEG_INFINITY, 1.0), (2.0, 3.0)]);
        assert!(cancelling.value.is_nan() && holds(&cancelling));
        let overflowing = sum(&[(1e200, 1e200), (f64::NEG_INFINITY, 1.0)]);
        assert!(overflowing.value.is_nan() && !holds(&overflowing));
        let infinite = sum(&[(f64::NEG_INFINITY, 2.0), (5.0, 1.0)]);
        assert!(infinite.value == f64::NEG_INFINITY && holds(&infinite));
        let zero_times_infinity = sum(&[(0.0, f64::INFINITY)]);
        assert!(zero_times_infinity.value.is_nan() && holds(&zero_times_infinity));
    }

    /// Where `f64` rounded a sum beyond what any digits can show, the reason's "these numbers"
    /// are printed with the digits that make them give the result up to that rounding: six
    /// digits of these four, ±2.5·10¹², give 0, their binary values about 1.2, and `f64`
    /// (partial sums of 5·10¹², a unit in the last place of 2⁻¹⁰) 1.19921875.
    #[test]
    fn the_f64_rounding_reason_shows_the_operands_it_needs() {
        let values = [
            -2_499_999_999_999.95,
            -2_500_000_000_000.06,
            2_500_000_000_000.87,
            2_500_000_000_000.34,
        ];
        let terms =
            values.iter().map(|&v| Term::Single(Operand::new(Sym::delta(0, 0), v))).collect();
        let value = values.iter().sum::<f64>();
        let eq =
            Equation { lhs: Sym::grad_b(), expr: Expr::Sum { scale: Scale::ONE, terms }, value };
        let l = layout(&eq);
        assert!(l.rounding_in_f64 && !l.exact);
        assert_eq!(l.operands, 15, "−2499999999999.95 needs 15 digits");
        assert_eq!(exact_value(&eq, l.operands, l.result).as_deref(), Some("1.2"));
        // Six digits would have said 0: what the reason said before.
        assert_eq!(exact_value(&eq, 6, l.result).as_deref(), Some("0"));
    }

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap_or_else(|| panic!("{text} parses"))
    }

    fn same(a: &Decimal, b: &Decimal) -> bool {
        a.cmp(b).is_eq()
    }

    #[test]
    fn printed_numbers_parse_exactly() {
        assert!(same(&d("3"), &Decimal::whole(3)));
        assert!(same(&d("−0.25"), &d("0.5").mul(&d("−0.5"))));
        assert!(same(&d("3.33333·10⁻¹⁰"), &d("0.000000000333333")));
        assert!(same(&d("1·10²⁰⁰").mul(&d("1·10⁻²⁰⁰")), &Decimal::ONE));
        assert!(Decimal::parse("∞").is_none());
        assert!(Decimal::parse("NaN").is_none());
        assert!(Decimal::parse("1e5").is_none(), "only the notation numbers are printed in");
        assert!(Decimal::parse("1·10").is_none());
    }

    #[test]
    fn arithmetic_is_exact_at_any_magnitude() {
        assert!(same(&d("0.1").add(&d("0.2")), &d("0.3")));
        assert!(same(&Decimal::ONE.sub(&d("0.5").mul(&d("0.1"))), &d("0.95")));
        // 1e200 − 1 is not 1e200, and exponents far apart are not rounded.
        let big = d("1·10²⁰⁰");
        assert!(big.sub(&Decimal::ONE).cmp(&big).is_lt());
        assert!(d("1·10⁻³⁰⁰").add(&big).cmp(&big).is_gt());
        assert_eq!(d("345").leading_exponent(), 2);
        assert_eq!(d("0.00125").leading_exponent(), -3);
        assert!(same(&d("1.23442·10⁷").half_unit(6), &d("50")));
    }

    #[test]
    fn the_decimal_of_a_number_is_the_one_its_text_says() {
        use crate::scalar::Scalar;
        let mut values = vec![0.0, -0.0, 3.0, -2.5, 0.1, 1.0 / 3.0, 1e-7, 123_456_789_012.0];
        values.extend([4968.75_f64.powi(2) / 2.0, 1e200, -5e-324, f64::MAX, 0.999_999_958_6]);
        for value in values {
            for digits in [6, 7, 12, 17, 18, 25, 38, 40] {
                let mut text = String::new();
                let rounded = value.write_number_digits(digits, &mut text);
                let fast = value.written_decimal(digits);
                match (fast, Decimal::parse(&text)) {
                    (Some(((m, e), r)), Some(parsed)) => {
                        let fast = Decimal { mantissa: super::Int::Small(m), exponent: e };
                        assert!(same(&fast, &parsed), "{value:e} at {digits}: {text}");
                        assert_eq!(r, rounded, "{value:e} at {digits}");
                    }
                    (None, parsed) => assert!(digits > 38 || parsed.is_none(), "{value:e} {text}"),
                    (Some(_), None) => panic!("{value:e} at {digits}: {text} does not parse"),
                }
            }
        }
    }

    #[test]
    fn exact_values_are_written_at_any_magnitude() {
        let w = |text: &str| d(text).written(6);
        assert_eq!(w("2.5"), "2.5");
        assert_eq!(w("−0.9999999"), "≈−1");
        assert_eq!(w("123456789"), "≈1.23457·10⁸");
        assert_eq!(w("2169000"), "2169000");
        let product = d("4.61826·10⁻¹⁹³").mul(&d("4.61826·10⁻¹⁹³"));
        assert_eq!(product.written(6), "≈2.13283·10⁻³⁸⁵", "beyond what f64 holds");
        assert_eq!(d("1").divided(3).written(6), "≈0.333333");
        assert_eq!(d("3").divided(4).written(6), "0.75");
    }

    #[test]
    fn differences_are_shown_where_they_are_the_point() {
        // A tiny update: six digits print both as 1.
        assert_eq!(resolving_digits(1.0, 1.0 - 0.1 * 2.48396e-7), 8);
        assert_eq!(resolving_digits(1.0, 0.998_561_08), 6);
        assert_eq!(resolving_digits(216_900.871_234_567, 216_900.402_345_678), 7);
        // Short decimals print exactly: nothing to resolve.
        assert_eq!(resolving_digits(216_900.871, 216_900.402), 6);
        assert_eq!(resolving_digits(2.0, 2.0), 6);
        assert_eq!(distinguishing_digits(0.1 + 0.2, 0.3), 17);
        assert_eq!(distinguishing_digits(1.0, 1.0), 6);
    }
}
