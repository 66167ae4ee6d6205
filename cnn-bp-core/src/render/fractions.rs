//! The self-verification of an exact derivation: every printed equation re-evaluated from its
//! printed fractions, in exact rational arithmetic, must give its printed result exactly.
//!
//! Each operand is read back from the text the derivation prints for it (`−5/32`), never taken
//! from the computation, so that this is a second evaluation: it checks the printing as much
//! as the arithmetic.

use super::doc::{self, Form};
use crate::ops::SlopeCase;
use crate::rational::Rational;
use crate::scalar::Scalar;
use crate::trace::{Equation, Expr, Operand, Term};

/// A value as printed, read back.
fn read<S: Scalar>(value: S) -> Option<Rational> {
    let mut text = String::new();
    value.write_number(&mut text);
    text.parse().ok()
}

fn operand<S: Scalar>(op: &Operand<S>) -> Option<Rational> {
    read(op.value)
}

fn term<S: Scalar>(t: &Term<S>) -> Option<Rational> {
    Some(match t {
        Term::Product(a, b) => operand(a)? * operand(b)?,
        Term::Single(a) => operand(a)?,
        Term::Diff(a, b) => operand(a)? - operand(b)?,
        Term::SquaredDiff(a, b) => {
            let d = operand(a)? - operand(b)?;
            d * d
        }
    })
}

/// What the printed right-hand side of `expr` is exactly; `None` for a function whose values
/// are not rational (never in an exact derivation) or an operand that does not read back.
fn evaluate<S: Scalar>(expr: &Expr<S>) -> Option<Rational> {
    Some(match expr {
        Expr::Sum { scale, terms } => {
            let mut sum = Rational::ZERO;
            for t in terms {
                sum = sum + term(t)?;
            }
            let (num, den) = (Rational::from_usize(scale.num), Rational::from_usize(scale.den));
            if den == Rational::ZERO {
                return None;
            }
            sum * num / den
        }
        Expr::Activate { f, z } => {
            let z = operand(z)?;
            if z >= Rational::ZERO {
                return f.constant_slope(SlopeCase::Positive).map(|_| z);
            }
            z * Rational::from_f64_decimal(f.constant_slope(SlopeCase::Negative)?)?
        }
        Expr::Slope { f, z, case, .. } => {
            let z = operand(z)?;
            let branch = match z.cmp(&Rational::ZERO) {
                core::cmp::Ordering::Greater => SlopeCase::Positive,
                core::cmp::Ordering::Less => SlopeCase::Negative,
                core::cmp::Ordering::Equal => SlopeCase::AtZero,
            };
            // A smooth piecewise-linear function (linear) has one slope everywhere.
            if *case != SlopeCase::Smooth && branch != *case {
                return None;
            }
            Rational::from_f64_decimal(f.constant_slope(*case)?)?
        }
        Expr::Update { param, lr, grad } => operand(param)? - read(*lr)? * operand(grad)?,
        Expr::Max { of, .. } => {
            let mut largest = operand(of.first()?)?;
            for op in &of[1..] {
                largest = largest.max(operand(op)?);
            }
            largest
        }
        Expr::Ratio { num, den } => {
            let den = operand(den)?;
            if den == Rational::ZERO {
                return None;
            }
            operand(num)? / den
        }
        Expr::Exp { .. }
        | Expr::CrossEntropy { .. }
        | Expr::LogSoftmax { .. }
        | Expr::CrossEntropyOfLogs { .. } => return None,
    })
}

/// `None` when `eq`, as printed, holds as an identity of fractions; otherwise what its printed
/// operands give and what is printed.
pub(crate) fn check<S: Scalar>(eq: &Equation<S>) -> Option<(String, String)> {
    let shown = doc::equation(eq, Form::Numeric);
    let (exact_claim, text) = shown.result?;
    let printed = format!("{} {text}", if exact_claim { '=' } else { '≈' });
    let result = text.parse::<Rational>().ok();
    match evaluate(&eq.expr) {
        Some(value) if exact_claim && result == Some(value) => None,
        Some(value) => {
            let mut expected = String::new();
            value.write_number(&mut expected);
            Some((expected, printed))
        }
        None => {
            Some(("no fraction: an operand or the function is not rational".to_owned(), printed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::layer::Scale;
    use crate::ops::{Activation, SlopeCase};
    use crate::rational::Rational;
    use crate::trace::{Equation, Expr, Operand, Sym, Term};

    fn q(n: i64, d: i64) -> Rational {
        Rational::new(n, d)
    }

    fn op(v: Rational) -> Operand<Rational> {
        Operand::new(Sym::x(0, 0), v)
    }

    fn sum(scale: Scale, products: &[(Rational, Rational)], value: Rational) -> Equation<Rational> {
        let terms = products.iter().map(|&(a, b)| Term::Product(op(a), op(b))).collect();
        Equation { lhs: Sym::grad_b(), expr: Expr::Sum { scale, terms }, value }
    }

    #[test]
    fn identities_of_fractions_hold_and_nothing_else() {
        let half = Scale { num: 1, den: 2 };
        // ½·[(1/3)·(3/2) + (−5/32)·2] = ½·(1/2 − 5/16) = 3/32.
        let right = sum(half, &[(q(1, 3), q(3, 2)), (q(-5, 32), q(2, 1))], q(3, 32));
        assert_eq!(check(&right), None);
        let wrong = sum(half, &[(q(1, 3), q(3, 2)), (q(-5, 32), q(2, 1))], q(3, 16));
        assert_eq!(check(&wrong).map(|(expected, _)| expected).as_deref(), Some("3/32"));
        let leaky = Activation::LeakyRelu { slope: 0.1 };
        let y = |value| Equation {
            lhs: Sym::y(0, 0),
            expr: Expr::Activate { f: leaky, z: op(q(-5, 2)) },
            value,
        };
        assert_eq!(check(&y(q(-1, 4))), None);
        assert!(check(&y(q(-1, 5))).is_some());
        let slope = |case| Equation {
            lhs: Sym::y(0, 0),
            expr: Expr::Slope { f: leaky, z: op(q(-5, 2)), y: op(q(-1, 4)), case },
            value: q(1, 10),
        };
        assert_eq!(check(&slope(SlopeCase::Negative)), None);
        assert!(check(&slope(SlopeCase::Positive)).is_some(), "the branch must match z's sign");
    }
}
