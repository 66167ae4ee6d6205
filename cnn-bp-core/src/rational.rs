//! Exact rational numbers: the scalar of `arithmetic: exact`.
//!
//! A derivation checked by hand is checked in fractions: the seed question's loss goes
//! `2 → 3/2`, a run with `η = 0.25` gives `5/8`, `5/32`, `9/128`. [`Rational`] computes those
//! exactly, through the same op code as `f64`, and writes them as fractions in lowest terms.
//!
//! The arithmetic is num-rational's: a value whose numerator and denominator fit an `i128`
//! (what hand-sized examples have) is a `Ratio<i128>`, stored inline; an operation that would
//! overflow it is redone in arbitrary precision (`BigRational`), so no value ever overflows.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, Div, Mul, Neg, Sub};
use core::str::FromStr;

use num_bigint::BigInt;
use num_rational::{BigRational, Ratio};
use num_traits::{CheckedAdd, CheckedDiv, CheckedMul, CheckedSub, Signed, ToPrimitive, Zero};

use crate::scalar::Scalar;

/// The digits (numerator and denominator together) past which an exact training run stops
/// after the step whose update made a parameter that large, and says so: fractions grow with
/// every step (a product of layers multiplies their digits), and a few steps more would take
/// hours to compute and pages to print.
pub const MAX_FRACTION_DIGITS: usize = 1000;

/// The most digits among `values`, when they are fractions (an exact scalar's) of more than
/// [`MAX_FRACTION_DIGITS`].
pub(crate) fn outgrown<S: Scalar>(values: impl IntoIterator<Item = S>) -> Option<usize> {
    if !S::EXACT {
        return None;
    }
    let most = values.into_iter().filter_map(Scalar::fraction_digits).max()?;
    (most > MAX_FRACTION_DIGITS).then_some(most)
}

/// An exact rational number, in lowest terms: what every value of a derivation is with
/// `arithmetic: exact`.
///
/// `to_string()` is the fraction in ASCII (`3/2`, `-5/32`, `2`); the derivation writes it
/// with a real minus sign (`−5/32`) and, in LaTeX, as `\frac{5}{32}`. It converts to the
/// nearest `f64` with [`f64::from`].
///
/// ```
/// use cnn_bp_core::Rational;
///
/// let a: Rational = "0.1".parse()?;         // a decimal, read exactly: 1/10
/// let sum = a + a + a;
/// assert_eq!(sum.to_string(), "3/10");      // not 0.30000000000000004
/// assert_eq!(sum, Rational::new(3, 10));
/// assert_eq!(f64::from(Rational::new(-5, 32)), -0.15625);
/// # Ok::<(), cnn_bp_core::ParseRationalError>(())
/// ```
///
/// It is `Copy`, as every [`Scalar`] is, so that the ops are the same loops for every scalar:
/// a value whose numerator and denominator fit `i128`s is stored inline, and a larger one
/// (grown over many steps) in arbitrary precision on the heap, where it stays for the rest of
/// the program, one copy of each distinct value (a handful of bytes each; an exact
/// derivation is hand-sized, and a long-lived process that derives many large ones grows).
#[derive(Clone, Copy)]
pub struct Rational(Repr);

/// Inline while numerator and denominator fit an `i128` (always, when they do: equal values
/// have equal representations), else a number of arbitrary precision, never freed.
#[derive(Clone, Copy)]
enum Repr {
    Small(Ratio<i128>),
    Big(&'static BigRational),
}

/// The one copy of `value` kept for the rest of the program: a finite-difference check and
/// `verify` compute or read the same large values again and again (every layer the nudged
/// parameter does not reach, every printed operand), and each is kept once.
fn interned(value: BigRational) -> &'static BigRational {
    use core::hash::{Hash, Hasher};
    use std::collections::HashMap;
    use std::collections::hash_map::DefaultHasher;
    use std::sync::{Mutex, OnceLock, PoisonError};
    /// By the hash of the numerator's and denominator's digits (the ratio's own `Hash` divides
    /// its way through a continued fraction, which costs more than keeping copies saves).
    type Kept = HashMap<u64, Vec<&'static BigRational>>;
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    let mut hasher = DefaultHasher::new();
    value.numer().hash(&mut hasher);
    value.denom().hash(&mut hasher);
    let bucket = hasher.finish();
    let mut kept = KEPT.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
    let same = kept.entry(bucket).or_default();
    if let Some(&found) =
        same.iter().find(|r| r.numer() == value.numer() && r.denom() == value.denom())
    {
        return found;
    }
    let leaked: &'static BigRational = Box::leak(Box::new(value));
    same.push(leaked);
    leaked
}

impl Rational {
    /// Zero.
    pub const ZERO: Self = Self(Repr::Small(Ratio::new_raw(0, 1)));
    /// One.
    pub const ONE: Self = Self(Repr::Small(Ratio::new_raw(1, 1)));

    /// `numerator/denominator`, reduced to lowest terms.
    ///
    /// # Panics
    /// If `denominator` is 0.
    ///
    /// ```
    /// use cnn_bp_core::Rational;
    /// assert_eq!(Rational::new(6, -4).to_string(), "-3/2");
    /// ```
    #[must_use]
    pub fn new(numerator: i64, denominator: i64) -> Self {
        assert!(denominator != 0, "Rational::new: the denominator is 0");
        Self::from_big(BigRational::new(numerator.into(), denominator.into()))
    }

    /// The whole number `n`.
    #[must_use]
    pub fn integer(n: i64) -> Self {
        Self::from_big(BigRational::from_integer(n.into()))
    }

    /// The numerator, in lowest terms, with the sign.
    #[must_use]
    pub fn numerator(self) -> BigInt {
        self.big().numer().clone()
    }

    /// The denominator, in lowest terms: positive.
    #[must_use]
    pub fn denominator(self) -> BigInt {
        self.big().denom().clone()
    }

    /// Whether the value is a whole number.
    #[must_use]
    pub fn is_integer(self) -> bool {
        match self.0 {
            Repr::Small(r) => r.is_integer(),
            Repr::Big(r) => r.is_integer(),
        }
    }

    /// The decimal digits of the numerator and the denominator together: how hard the
    /// fraction is to read (`3/2` has 2, `-5/32` has 3).
    #[must_use]
    pub fn digits(self) -> usize {
        let count = |n: &BigInt| n.magnitude().to_string().len();
        let small = |n: i128| n.unsigned_abs().checked_ilog10().map_or(1, |l| l as usize + 1);
        match self.0 {
            Repr::Small(r) if r.is_integer() => small(*r.numer()),
            Repr::Small(r) => small(*r.numer()) + small(*r.denom()),
            Repr::Big(r) if r.is_integer() => count(r.numer()),
            Repr::Big(r) => count(r.numer()) + count(r.denom()),
        }
    }

    /// The exact value of an `f64`'s shortest decimal, the one that reads back as it (`0.1`
    /// for the double nearest to 0.1): what a setting given as `f64` was written as. `None`
    /// for `∞` and `NaN`.
    ///
    /// ```
    /// use cnn_bp_core::Rational;
    /// assert_eq!(Rational::from_f64_decimal(0.1), Some(Rational::new(1, 10)));
    /// assert_eq!(Rational::from_f64_decimal(f64::NAN), None);
    /// ```
    #[must_use]
    pub fn from_f64_decimal(value: f64) -> Option<Self> {
        // Below 2⁵⁰, with room below 2⁵³ for the product's own rounding to stay under ⅛.
        const EXACT: f64 = 1_125_899_906_842_624.0;
        if !value.is_finite() {
            return None;
        }
        // The decimal with the fewest places that reads back as `value`: `m/10ᵏ` for the first
        // `k` whose rounded `m` does, alone of its neighbours, where `m` and `10ᵏ` are exact
        // doubles (so that the division is correctly rounded). A slope or a convention, converted at every entry,
        // takes this way; anything else `{:e}`, the shortest round-trip decimal (`1e-1`).
        let mut power = 1.0;
        for k in 0..=17 {
            let m = (value * power).round();
            if m.abs() >= EXACT {
                break;
            }
            if m / power == value {
                // The only one of its places that does, else `{:e}` picks the nearest.
                if (m - 1.0) / power == value || (m + 1.0) / power == value {
                    break;
                }
                #[allow(clippy::cast_possible_truncation)]
                return Some(Self::from_decimal(m as i128, -k));
            }
            power *= 10.0;
        }
        format!("{value:e}").parse().ok()
    }

    /// `mantissa·10^exponent`, exactly: a decimal literal of an exact spec.
    pub(crate) fn from_decimal(mantissa: i128, exponent: i32) -> Self {
        if exponent <= 0
            && let Some(power) = 10_i128.checked_pow(exponent.unsigned_abs())
            && mantissa != i128::MIN
        {
            let r = Ratio::new(mantissa, power);
            return Self(Repr::Small(r));
        }
        let power = num_traits::pow(BigInt::from(10), exponent.unsigned_abs() as usize);
        let mantissa = BigInt::from(mantissa);
        Self::from_big(if exponent >= 0 {
            BigRational::from_integer(mantissa * power)
        } else {
            BigRational::new(mantissa, power)
        })
    }

    /// The exact value of a finite double (its binary fraction, not its shortest decimal); 0
    /// for `∞` and `NaN`.
    pub(crate) fn from_f64_exact(value: f64) -> Self {
        BigRational::from_float(value).map_or(Self::ZERO, Self::from_big)
    }

    /// Whether `|self|` is at most the largest finite double.
    pub(crate) fn abs_le_f64_max(self) -> bool {
        match self.0 {
            Repr::Small(_) => true,
            Repr::Big(r) => {
                let max = BigRational::from_float(f64::MAX).unwrap_or_default();
                r.abs() <= max
            }
        }
    }

    /// A value that is known to fit, or not: inline when it does.
    fn from_big(value: BigRational) -> Self {
        match (value.numer().to_i128(), value.denom().to_i128()) {
            // (`i128::MIN` is kept out: its magnitude does not fit, which num-integer's `gcd`
            // would overflow on.)
            (Some(n), Some(d)) if n != i128::MIN => Self(Repr::Small(Ratio::new_raw(n, d))),
            // A value beyond `i128`s lives for the rest of the program: that is what keeps
            // every scalar `Copy`.
            _ => Self(Repr::Big(interned(value))),
        }
    }

    /// The value in arbitrary precision.
    fn big(self) -> BigRational {
        match self.0 {
            Repr::Small(r) => BigRational::new_raw((*r.numer()).into(), (*r.denom()).into()),
            Repr::Big(r) => r.clone(),
        }
    }

    /// `op` inline when both operands are and it does not overflow (in `i64`s where both fit
    /// them, the common case and twice as fast as `i128`s), else in arbitrary precision.
    #[inline]
    fn combine(self, other: Self, op: Op) -> Self {
        if let (Repr::Small(a), Repr::Small(b)) = (self.0, other.0) {
            let narrow = |r: Ratio<i128>| {
                let (n, d) = (i64::try_from(*r.numer()).ok()?, i64::try_from(*r.denom()).ok()?);
                (n != i64::MIN).then(|| Ratio::new_raw(n, d))
            };
            if let (Some(a), Some(b)) = (narrow(a), narrow(b))
                && let Some(r) = op.checked_64(&a, &b)
            {
                return Self(Repr::Small(Ratio::new_raw((*r.numer()).into(), (*r.denom()).into())));
            }
            if let Some(r) = op.checked_128(&a, &b)
                && *r.numer() != i128::MIN
            {
                return Self(Repr::Small(r));
            }
        }
        let (a, b) = (self.big(), other.big());
        Self::from_big(match op {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
        })
    }

    fn is_zero(self) -> bool {
        match self.0 {
            Repr::Small(r) => *r.numer() == 0,
            Repr::Big(_) => false,
        }
    }

    fn is_negative(self) -> bool {
        match self.0 {
            Repr::Small(r) => *r.numer() < 0,
            Repr::Big(r) => r.numer() < &BigInt::zero(),
        }
    }

    /// Writes the fraction with `minus` for a negative sign.
    fn write(self, minus: &str, out: &mut impl fmt::Write) -> fmt::Result {
        if let Repr::Small(r) = self.0 {
            if *r.numer() < 0 {
                out.write_str(minus)?;
            }
            write!(out, "{}", r.numer().unsigned_abs())?;
            if *r.denom() != 1 {
                write!(out, "/{}", r.denom())?;
            }
            return Ok(());
        }
        let (numer, denom) = match self.0 {
            Repr::Small(r) => (BigInt::from(*r.numer()), BigInt::from(*r.denom())),
            Repr::Big(r) => (r.numer().clone(), r.denom().clone()),
        };
        if self.is_negative() {
            out.write_str(minus)?;
        }
        write!(out, "{}", numer.magnitude())?;
        if denom != BigInt::from(1) {
            write!(out, "/{denom}")?;
        }
        Ok(())
    }
}

/// An arithmetic operation, done in the narrowest integers that hold it.
#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// `a op b` in the integers of `$t`, or `None` where it would overflow.
macro_rules! checked {
    ($name:ident, $t:ty) => {
        #[inline]
        fn $name(self, a: &Ratio<$t>, b: &Ratio<$t>) -> Option<Ratio<$t>> {
            match self {
                Self::Add => a.checked_add(b),
                Self::Sub => a.checked_sub(b),
                Self::Mul => a.checked_mul(b),
                Self::Div => a.checked_div(b),
            }
        }
    };
}

impl Op {
    checked!(checked_64, i64);
    checked!(checked_128, i128);
}

impl Add for Rational {
    type Output = Self;
    #[inline]
    fn add(self, other: Self) -> Self {
        self.combine(other, Op::Add)
    }
}

impl Sub for Rational {
    type Output = Self;
    #[inline]
    fn sub(self, other: Self) -> Self {
        self.combine(other, Op::Sub)
    }
}

impl Mul for Rational {
    type Output = Self;
    #[inline]
    fn mul(self, other: Self) -> Self {
        self.combine(other, Op::Mul)
    }
}

impl Div for Rational {
    type Output = Self;
    /// # Panics
    /// On a division by zero (no derivation divides by anything but a count).
    #[inline]
    fn div(self, other: Self) -> Self {
        assert!(!other.is_zero(), "Rational: division by zero");
        self.combine(other, Op::Div)
    }
}

impl Neg for Rational {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        match self.0 {
            // Never `i128::MIN`, so its negation fits.
            Repr::Small(r) => Self(Repr::Small(Ratio::new_raw(-r.numer(), *r.denom()))),
            Repr::Big(r) => Self::from_big(-r.clone()),
        }
    }
}

impl PartialEq for Rational {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Rational {}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.0, other.0) {
            (Repr::Small(a), Repr::Small(b)) => a.cmp(&b),
            _ => self.big().cmp(&other.big()),
        }
    }
}

impl core::hash::Hash for Rational {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        // Equal values have equal representations (inline exactly when they fit).
        match self.0 {
            Repr::Small(r) => r.hash(state),
            Repr::Big(r) => {
                r.numer().hash(state);
                r.denom().hash(state);
            }
        }
    }
}

/// `3/2`, `-5/32`, `2`: the fraction in lowest terms, in ASCII.
impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write("-", f)
    }
}

impl fmt::Debug for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Default for Rational {
    fn default() -> Self {
        Self::ZERO
    }
}

impl From<i64> for Rational {
    fn from(n: i64) -> Self {
        Self::integer(n)
    }
}

impl From<i32> for Rational {
    fn from(n: i32) -> Self {
        Self::integer(n.into())
    }
}

/// The nearest `f64` (correctly rounded).
impl From<Rational> for f64 {
    fn from(r: Rational) -> f64 {
        match r.0 {
            // Both exact in an f64, so one correctly rounded division.
            Repr::Small(q) if q.numer().unsigned_abs() < 1 << 53 && *q.denom() < 1 << 53 => {
                *q.numer() as f64 / *q.denom() as f64
            }
            _ => r.big().to_f64().unwrap_or(f64::NAN),
        }
    }
}

/// What [`Rational`]'s `from_str` rejects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseRationalError {
    text: String,
}

impl fmt::Display for ParseRationalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a rational number: write an integer (`-3`), a fraction (`3/2`) or a decimal (`0.25`, `1e-3`)",
            self.text
        )
    }
}

impl std::error::Error for ParseRationalError {}

/// Reads `3/2`, `-5/32`, `−5/32` (a real minus sign, as the derivation writes it), `2`,
/// `0.25`, `-1.5e-3`: decimals exactly as written, never through `f64`.
impl FromStr for Rational {
    type Err = ParseRationalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseRationalError { text: text.to_owned() };
        let trimmed = text.trim();
        let (negative, body) = match trimmed.strip_prefix('-').or_else(|| trimmed.strip_prefix('−'))
        {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let value = if let Some((numer, denom)) = body.split_once('/') {
            let whole = |s: &str| {
                (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| BigInt::parse_bytes(s.as_bytes(), 10))
                    .flatten()
            };
            let (n, d) = (whole(numer).ok_or_else(error)?, whole(denom).ok_or_else(error)?);
            if d.is_zero() {
                return Err(error());
            }
            BigRational::new(n, d)
        } else {
            decimal(body).ok_or_else(error)?
        };
        let value = Self::from_big(value);
        Ok(if negative { -value } else { value })
    }
}

/// An unsigned decimal `12`, `0.25`, `.5`, `1e-3`, `2.5E+2`, exactly.
fn decimal(text: &str) -> Option<BigRational> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    // A literal's exponent is small; a huge one would take unbounded memory to write out.
    let shift = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    if shift.unsigned_abs() > 10_000 {
        return None;
    }
    let digits = BigInt::parse_bytes(format!("{whole}{fraction}").as_bytes(), 10)?;
    let power = num_traits::pow(BigInt::from(10), shift.unsigned_abs() as usize);
    Some(if shift >= 0 {
        BigRational::from_integer(digits * power)
    } else {
        BigRational::new(digits, power)
    })
}

impl Scalar for Rational {
    const ZERO: Self = Self::ZERO;
    const ONE: Self = Self::ONE;
    const EXACT: bool = true;

    fn from_usize(n: usize) -> Self {
        i64::try_from(n).map_or_else(|_| Self::from_big(BigInt::from(n).into()), Self::integer)
    }

    /// The exact value of the setting's shortest decimal (`0.01` for a leaky slope of 0.01);
    /// 0 for `∞` and `NaN`, which every setting is checked not to be first.
    fn from_f64(value: f64) -> Self {
        Self::from_f64_decimal(value).unwrap_or(Self::ZERO)
    }

    fn to_f64(self) -> f64 {
        f64::from(self)
    }

    fn is_finite(self) -> bool {
        true
    }

    fn fraction_digits(self) -> Option<usize> {
        Some(self.digits())
    }

    /// The fraction in lowest terms with a real minus sign (`−5/32`): never rounded.
    fn write_number(self, out: &mut String) -> bool {
        // Writing into a `String` cannot fail.
        let _ = self.write("−", out);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::Rational;
    use crate::scalar::Scalar;

    fn r(text: &str) -> Rational {
        text.parse().unwrap()
    }

    #[test]
    fn decimals_are_read_as_written() {
        assert_eq!(r("0.1").to_string(), "1/10");
        assert_eq!(r("-0.25").to_string(), "-1/4");
        assert_eq!(r("1e-3").to_string(), "1/1000");
        assert_eq!(r("2.5E+2").to_string(), "250");
        assert_eq!(r(".5").to_string(), "1/2");
        assert_eq!(r("−5/32").to_string(), "-5/32");
        assert_eq!(r("6/4").to_string(), "3/2");
        for bad in ["", "-", "1/0", "1.2.3", "e5", "1/-2", "0x10", "1e99999"] {
            assert!(bad.parse::<Rational>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shortest_decimals_of_doubles() {
        assert_eq!(Rational::from_f64(0.1), Rational::new(1, 10));
        assert_eq!(Rational::from_f64(-2.5e-7), Rational::new(-1, 4_000_000));
        assert_eq!(Rational::from_f64(1e300).digits(), 301);
        // Every double's shortest decimal, by the fast way or by `{:e}`.
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let scale = [1.0, 1e-3, 1e6, 1e-12, 1e18][usize::try_from(rng % 5).unwrap()];
            let v = ((rng >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * scale;
            let v = if rng.is_multiple_of(3) { (v * 100.0).round() / 100.0 } else { v };
            let shortest: Rational = format!("{v:e}").parse().unwrap();
            assert_eq!(Rational::from_f64(v), shortest, "{v:e}");
        }
        for v in [0.1, 0.2, 0.3, 0.25, -0.125, 0.01, 1e-7, 123.456, 0.1 + 0.2, 2.0_f64.powi(52)] {
            let shortest: Rational = format!("{v:e}").parse().unwrap();
            assert_eq!(Rational::from_f64(v), shortest, "{v:e}");
        }
    }

    /// Past `i128`, the arithmetic goes on in arbitrary precision, and comes back inline when
    /// the value fits again.
    #[test]
    fn no_overflow() {
        let max = r(&i128::MAX.to_string()); // 2¹²⁷ − 1
        let big = max + Rational::ONE;
        assert_eq!(big.to_string(), "170141183460469231731687303715884105728");
        assert_eq!((big - Rational::ONE).to_string(), i128::MAX.to_string());
        assert_eq!((-big).to_string(), "-170141183460469231731687303715884105728");
        assert_eq!((-Rational::integer(i64::MIN)).to_string(), "9223372036854775808");
        assert_eq!((-(big * big)).to_string().len(), 78); // −2²⁵⁴
        let third = Rational::new(1, 3);
        let mut x = third;
        for _ in 0..80 {
            x = x * third;
        }
        assert_eq!(x.digits(), 1 + 39);
        assert!(x > Rational::ZERO && x < third);
        assert_eq!(x / x, Rational::ONE);
        assert_eq!(f64::from(x), 3f64.powi(-81));
    }

    #[test]
    fn written_in_the_derivation() {
        let mut out = String::new();
        assert!(!Rational::new(-5, 32).write_number(&mut out));
        assert_eq!(out, "−5/32");
        assert_eq!(Rational::new(3, 2).digits(), 2);
        assert_eq!(Rational::integer(-120).digits(), 3);
    }

    #[test]
    fn ordering_and_conversion() {
        assert!(Rational::new(-1, 2) < Rational::new(-1, 3));
        assert!(Rational::new(i64::MAX, 3) > Rational::new(i64::MAX - 1, 3));
        assert_eq!(f64::from(Rational::new(1, 3)), 1.0 / 3.0);
        assert_eq!(Rational::from_usize(usize::MAX).to_string(), usize::MAX.to_string());
    }
}
