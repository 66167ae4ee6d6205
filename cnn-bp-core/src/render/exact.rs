//! Whether a printed equation holds exactly, as printed.
//!
//! A derivation writes `=` only where a reader who redoes the arithmetic on the printed
//! decimals gets exactly the printed result, and `≈` elsewhere. That is decided here, on the
//! printed text of each operand and of the result, in exact decimal arithmetic: it is what the
//! reader will do, so it is what must hold. The printed values themselves are always the
//! computation's own; nothing computed here is ever printed.

use crate::layer::{Activation, Scale};
use crate::scalar::Scalar;
use crate::trace::{Equation, Expr, Operand, Term};

/// A decimal `mantissa·10^exponent`, exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Decimal {
    mantissa: i128,
    exponent: i32,
}

impl Decimal {
    const ZERO: Self = Self { mantissa: 0, exponent: 0 };
    const ONE: Self = Self { mantissa: 1, exponent: 0 };

    fn whole(n: usize) -> Option<Self> {
        Some(Self { mantissa: i128::try_from(n).ok()?, exponent: 0 })
    }

    /// Reads what [`Scalar::write_number`] writes: `−12.5`, `0.001`, `3.33333e−10`; `None`
    /// for `∞` and `NaN`.
    fn parse(text: &str) -> Option<Self> {
        let (negative, text) = match text.strip_prefix('−') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let bytes = text.as_bytes();
        let (mut mantissa, mut exponent, mut k) = (0_i128, 0_i32, 0);
        let mut digits = 0;
        let mut seen_point = false;
        while let Some(&b) = bytes.get(k) {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
                    exponent -= i32::from(seen_point);
                    digits += 1;
                }
                b'.' if !seen_point && digits > 0 => seen_point = true,
                _ => break,
            }
            k += 1;
        }
        if digits == 0 {
            return None;
        }
        if let Some(rest) = text.get(k..).filter(|r| !r.is_empty()) {
            let rest = rest.strip_prefix('e')?;
            let (sign, rest) = match rest.strip_prefix('−') {
                Some(rest) => (-1, rest),
                None => (1, rest),
            };
            if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            exponent = exponent.checked_add(sign * rest.parse::<i32>().ok()?)?;
        }
        Some(Self { mantissa: if negative { -mantissa } else { mantissa }, exponent })
    }

    fn neg(self) -> Self {
        Self { mantissa: -self.mantissa, ..self }
    }

    fn mul(self, other: Self) -> Option<Self> {
        Some(Self {
            mantissa: self.mantissa.checked_mul(other.mantissa)?,
            exponent: self.exponent.checked_add(other.exponent)?,
        })
    }

    /// Both mantissas at the smaller exponent.
    fn aligned(self, other: Self) -> Option<(i128, i128, i32)> {
        let exponent = self.exponent.min(other.exponent);
        let scale = |d: Self| {
            let shift = u32::try_from(d.exponent - exponent).ok()?;
            d.mantissa.checked_mul(10_i128.checked_pow(shift)?)
        };
        Some((scale(self)?, scale(other)?, exponent))
    }

    fn add(self, other: Self) -> Option<Self> {
        if self.mantissa == 0 {
            return Some(other);
        }
        if other.mantissa == 0 {
            return Some(self);
        }
        let (a, b, exponent) = self.aligned(other)?;
        Some(Self { mantissa: a.checked_add(b)?, exponent })
    }

    fn sub(self, other: Self) -> Option<Self> {
        self.add(other.neg())
    }

    /// Whether the two are the same number; `None` if that cannot be decided in range.
    fn equals(self, other: Self) -> Option<bool> {
        if self.mantissa == 0 || other.mantissa == 0 {
            return Some(self.mantissa == other.mantissa);
        }
        let (a, b, _) = self.aligned(other)?;
        Some(a == b)
    }

    fn is_negative(self) -> bool {
        self.mantissa < 0
    }
}

/// The printed text of a value, as a decimal; `None` for `∞` and `NaN`.
fn printed<S: Scalar>(value: S) -> Option<Decimal> {
    // Most printed numbers are short: written on the stack's worth of a small buffer, reused.
    std::thread_local! {
        static TEXT: core::cell::RefCell<String> = const { core::cell::RefCell::new(String::new()) };
    }
    TEXT.with_borrow_mut(|text| {
        text.clear();
        value.write_number(text);
        Decimal::parse(text)
    })
}

fn operand<S: Scalar>(op: &Operand<S>) -> Option<Decimal> {
    printed(op.value)
}

/// `scale·sum = result`, checked as `num·sum = den·result` so that nothing is divided.
fn scaled_equals(scale: Scale, sum: Decimal, result: Decimal) -> Option<bool> {
    let left = sum.mul(Decimal::whole(scale.num)?)?;
    let right = result.mul(Decimal::whole(scale.den)?)?;
    left.equals(right)
}

/// The printed value of a term.
fn term<S: Scalar>(term: &Term<S>) -> Option<Decimal> {
    match term {
        Term::Product(a, b) => operand(a)?.mul(operand(b)?),
        Term::Single(a) => operand(a),
        Term::Diff(a, b) => operand(a)?.sub(operand(b)?),
        Term::SquaredDiff(a, b) => {
            let d = operand(a)?.sub(operand(b)?)?;
            d.mul(d)
        }
    }
}

/// The value of a printed `f(z)`, when it is a decimal at all (`None` for irrational values
/// such as σ(1), and out of range).
fn activated(f: Activation, z: Decimal) -> Option<Decimal> {
    match f {
        Activation::Relu { .. } if z.is_negative() => Some(Decimal::ZERO),
        Activation::LeakyRelu { slope } if z.is_negative() => printed(slope)?.mul(z),
        Activation::Relu { .. } | Activation::Linear | Activation::LeakyRelu { .. } => Some(z),
        // σ(0) = 1/2 and tanh(0) = 0 are the only decimal values of either.
        Activation::Sigmoid if z.mantissa == 0 => Some(Decimal { mantissa: 5, exponent: -1 }),
        Activation::Tanh if z.mantissa == 0 => Some(Decimal::ZERO),
        Activation::Sigmoid | Activation::Tanh => None,
    }
}

/// Whether `eq`, as printed, holds exactly: the printed right-hand side evaluates to the
/// printed result. A result that is not a finite number holds exactly only when some operand
/// already was not (IEEE arithmetic carries ∞ and NaN along); from finite operands it is an
/// overflow, which is not exact.
pub(crate) fn holds<S: Scalar>(eq: &Equation<S>) -> bool {
    let Some(result) = printed(eq.value) else {
        return !operands_finite(&eq.expr);
    };
    let value = match &eq.expr {
        Expr::Sum { scale, terms } => {
            let sum = terms.iter().try_fold(Decimal::ZERO, |sum, t| sum.add(term(t)?));
            return sum.and_then(|sum| scaled_equals(*scale, sum, result)) == Some(true);
        }
        Expr::Activate { f, z } => operand(z).and_then(|z| activated(*f, z)),
        Expr::Slope { f: Activation::Sigmoid, y, .. } => {
            operand(y).and_then(|y| y.mul(Decimal::ONE.sub(y)?))
        }
        Expr::Slope { f: Activation::Tanh, y, .. } => {
            operand(y).and_then(|y| Decimal::ONE.sub(y.mul(y)?))
        }
        // The constant slopes of the piecewise-linear activations: printed as they are.
        Expr::Slope { .. } => Some(result),
        Expr::Update { param, lr, grad } => {
            let step = printed(*lr).and_then(|lr| lr.mul(operand(grad)?));
            operand(param).zip(step).and_then(|(p, step)| p.sub(step))
        }
    };
    value.and_then(|v| v.equals(result)) == Some(true)
}

fn operands_finite<S: Scalar>(expr: &Expr<S>) -> bool {
    let finite = |op: &Operand<S>| op.value.is_finite();
    match expr {
        Expr::Sum { terms, .. } => terms.iter().all(|t| match t {
            Term::Single(a) => finite(a),
            Term::Product(a, b) | Term::Diff(a, b) | Term::SquaredDiff(a, b) => {
                finite(a) && finite(b)
            }
        }),
        Expr::Activate { z, .. } => finite(z),
        Expr::Slope { z, y, .. } => finite(z) && finite(y),
        Expr::Update { param, lr, grad } => finite(param) && lr.is_finite() && finite(grad),
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap_or_else(|| panic!("{text} parses"))
    }

    #[test]
    fn printed_numbers_parse_exactly() {
        assert_eq!(d("3"), Decimal { mantissa: 3, exponent: 0 });
        assert_eq!(d("−0.25"), Decimal { mantissa: -25, exponent: -2 });
        assert_eq!(d("3.33333e−10"), Decimal { mantissa: 333_333, exponent: -15 });
        assert_eq!(d("1e200"), Decimal { mantissa: 1, exponent: 200 });
        assert_eq!(Decimal::parse("∞"), None);
        assert_eq!(Decimal::parse("NaN"), None);
    }

    #[test]
    fn arithmetic_is_exact_or_undecided() {
        assert_eq!(d("0.1").add(d("0.2")).and_then(|s| s.equals(d("0.3"))), Some(true));
        assert_eq!(
            d("1").sub(d("0.5").mul(d("0.1")).expect("in range")).map(|v| v.equals(d("0.95"))),
            Some(Some(true))
        );
        // 1e200 − 1 is not 1e200 …
        assert_eq!(d("1e200").sub(d("1")), None, "out of i128 range: undecided, so `≈`");
        // … and exponents far apart are not silently rounded.
        assert_eq!(d("1e20").add(d("1")).and_then(|s| s.equals(d("1e20"))), Some(false));
    }
}
