//! The number types a derivation can be computed in.
//!
//! Every step function is generic over [`Scalar`], so the arithmetic of a derivation is written
//! once. [`f64`] is the scalar used by [`train!`](crate::train); an exact-rational type only has
//! to implement [`Scalar`] to reuse the same forward, backward and update code.

use core::fmt::Debug;
use core::ops::{Add, Div, Mul, Neg, Sub};

/// A number a layer can be trained in: a field with an order, printable for a derivation.
///
/// The operations are the ones a convolutional layer needs (sums of products, differences,
/// division by small whole numbers) plus what the derivation needs to print a value.
///
/// ```
/// use cnn_bp_core::Scalar;
///
/// let mut text = String::new();
/// let rounded = (0.1_f64 + 0.2).write_number(&mut text); // 0.30000000000000004
/// assert_eq!((text.as_str(), rounded), ("0.3", true));
/// ```
pub trait Scalar:
    Copy
    + 'static
    + PartialOrd
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// The additive identity.
    const ZERO: Self;
    /// The multiplicative identity.
    const ONE: Self;

    /// A whole number such as the `2` of `2·(y − t)` or the `n` of a mean.
    fn from_usize(n: usize) -> Self;

    /// Converts a setting given as `f64` (a leaky ReLU's slope) into this scalar.
    fn from_f64(value: f64) -> Self;

    /// The nearest `f64`, for comparisons and summaries.
    fn to_f64(self) -> f64;

    /// Whether this value is a finite number (neither infinite nor NaN).
    fn is_finite(self) -> bool;

    /// Appends this value as a person writes it (`3`, `−2`, `0.5`, `0.952574`, `1.23442·10⁷`)
    /// and returns whether the written text is rounded (then a derivation prints `≈` instead of
    /// `=`).
    fn write_number(self, out: &mut String) -> bool;

    /// [`write_number`](Scalar::write_number) with at least `digits` significant digits where
    /// the value has to be rounded: what an equation prints when six digits of its operands
    /// cannot show how its result follows from them. A type whose values are always written
    /// exactly keeps the default, which ignores `digits`.
    ///
    /// ```
    /// use cnn_bp_core::Scalar;
    ///
    /// let y = 1.0 / (1.0 + (-17.0_f64).exp()); // σ(17) = 0.999999958600624…
    /// let (mut six, mut nine) = (String::new(), String::new());
    /// assert!(y.write_number(&mut six));
    /// assert!(y.write_number_digits(9, &mut nine));
    /// assert_eq!((six.as_str(), nine.as_str()), ("1", "0.999999959"));
    /// ```
    fn write_number_digits(self, digits: usize, out: &mut String) -> bool {
        let _ = digits;
        self.write_number(out)
    }

    /// The decimal [`write_number_digits`](Scalar::write_number_digits) writes, as
    /// `(mantissa, exponent)` for `mantissa·10^exponent`, with whether it is rounded, when the
    /// type can give it without writing: a shortcut for the check of every printed equation.
    /// `None`, the default, means "read it from the text". Not public API.
    #[doc(hidden)]
    fn written_decimal(self, digits: usize) -> Option<((i128, i32), bool)> {
        let _ = digits;
        None
    }

    /// Whether every value is exact and written unrounded (an exact rational type): then
    /// every printed equation holds as an identity of fractions, and says `=`. Not public API.
    #[doc(hidden)]
    const EXACT: bool = false;

    /// The decimal digits of a fraction's numerator and denominator together, for a type
    /// whose values are fractions: how hard a value is to check by hand. Not public API.
    #[doc(hidden)]
    fn fraction_digits(self) -> Option<usize> {
        None
    }

    /// `exp`, the natural `log` and `tanh`, where the type has them (sigmoid, tanh and a
    /// softmax cross-entropy need them): `None`, the default, for a type that cannot have them
    /// (an exact one). Not public API.
    #[doc(hidden)]
    #[must_use]
    fn functions() -> Option<Functions<Self>> {
        None
    }
}

/// `exp`, `log` and `tanh` of a type that has them (see [`Scalar::functions`]). Not public
/// API.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Functions<S> {
    pub exp: fn(S) -> S,
    pub ln: fn(S) -> S,
    pub tanh: fn(S) -> S,
}

/// A [`Scalar`] with the transcendental functions that sigmoid and tanh need.
///
/// Exact types cannot implement this; they are limited to the piecewise-linear activations.
pub trait Float: Scalar {
    /// `e` raised to this value.
    #[must_use]
    fn exp(self) -> Self;
    /// The hyperbolic tangent of this value.
    #[must_use]
    fn tanh(self) -> Self;
}

impl Scalar for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;

    #[inline]
    fn from_usize(n: usize) -> Self {
        n as f64
    }

    #[inline]
    fn from_f64(value: f64) -> Self {
        value
    }

    #[inline]
    fn to_f64(self) -> f64 {
        self
    }

    #[inline]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }

    fn write_number(self, out: &mut String) -> bool {
        crate::number::write_f64(self, out)
    }

    fn write_number_digits(self, digits: usize, out: &mut String) -> bool {
        crate::number::write_f64_digits(self, digits, out)
    }

    fn written_decimal(self, digits: usize) -> Option<((i128, i32), bool)> {
        let written = crate::number::written(self, digits);
        written.value.map(|value| (value, written.rounded))
    }

    fn functions() -> Option<Functions<Self>> {
        Some(Functions { exp: f64::exp, ln: f64::ln, tanh: f64::tanh })
    }
}

impl Float for f64 {
    #[inline]
    fn exp(self) -> Self {
        f64::exp(self)
    }

    #[inline]
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
}
