//! Activation layers: a function applied to every entry, `y = f(z)`, and back,
//! `∂L/∂z = ∂L/∂y ⊙ f′(z)` (`δ` when `z` is a convolution's output).
//!
//! The functions are types ([`Relu`], [`LeakyRelu`], [`Sigmoid`], [`Tanh`]), so that a
//! network's loops are specialised for them. ReLU and leaky ReLU need only a [`Scalar`] (an
//! exact rational type can use them); sigmoid and tanh need [`Float`]. The derivative at a
//! kink is a convention, as in PyTorch: `relu′(0) = 0` unless `grad_at_zero` says 1, and
//! `leaky_relu′(0) = α`. Sigmoid's and tanh's derivatives are computed from the output, as
//! PyTorch's backward does: `σ′ = y·(1 − y)`, `tanh′ = 1 − y²`.
//!
//! [`Activation`] names each function in a trace (and a single layer's settings), and holds,
//! beside the ops, everything a derivation writes and checks about it: its formulas as
//! printed, the branches of its derivative and what is said about them, its kink, the range
//! of its values, its settings' checks, and its values in exact decimals and over ranges (for
//! the exact results and `verify`). The renderers ask it; none of them names an activation.

use core::marker::PhantomData;
use std::sync::Arc;

use super::{At, Op, Tensor, gradient_of, slope_of};
use crate::layer::{Scale, SpecError};
use crate::render::doc::{
    Rich, approx, delta_of, factor_at, name, names, num_at, quoted, signed_at, val,
};
use crate::render::{Decimal, LayerDoc, NetDoc, Range};
use crate::scalar::{Float, Functions, Scalar};
use crate::trace::{Expr, Name, Operand, Recorder, Section, Sym, Term};

/// A function applied to every entry of a tensor.
pub trait Elementwise<S: Scalar>: Copy {
    /// How the derivation names and writes it.
    fn activation(&self) -> Activation;
    /// `f(z)`.
    fn apply(&self, z: S) -> S;
    /// `f′(z)`, given `z` and `y = f(z)`, and the branch it came from.
    fn slope(&self, z: S, y: S) -> (S, SlopeCase);
}

/// The derivative of a piecewise-linear function: 1 above 0, `negative` below, `at_zero` at
/// exactly 0; NaN is passed on, never mistaken for 0.
fn piecewise<S: Scalar>(z: S, negative: S, at_zero: S) -> (S, SlopeCase) {
    // Each case a choice between two values rather than a branch, so that the compiler can
    // compute the slopes of neighbouring entries together (BENCHMARKS.md, part 6).
    let (below, above, zero) = (z < S::ZERO, z > S::ZERO, z == S::ZERO);
    // Neither above nor below 0, `z` is 0 (of either sign), where `1 + z` is exactly 1 and
    // this is `at_zero`, or NaN, which this passes on (`z`'s own: a NaN that arithmetic made is
    // quiet, and stays itself through `+` and `·`), without a comparison of its own.
    let slope = at_zero * (S::ONE + z);
    let slope = if below { negative } else { slope };
    let slope = if above { S::ONE } else { slope };
    let case = if above {
        SlopeCase::Positive
    } else if below {
        SlopeCase::Negative
    } else if zero {
        SlopeCase::AtZero
    } else {
        SlopeCase::Smooth
    };
    (slope, case)
}

/// `max(0, z)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Relu {
    /// The derivative used where `z` is exactly 0: 0 (PyTorch, JAX, micrograd) or 1.
    pub grad_at_zero: f64,
}

impl<S: Scalar> Elementwise<S> for Relu {
    fn activation(&self) -> Activation {
        Activation::Relu { grad_at_zero: self.grad_at_zero }
    }

    #[inline]
    fn apply(&self, z: S) -> S {
        // `z < 0` rather than `z > 0`, so that NaN propagates as in PyTorch.
        if z < S::ZERO { S::ZERO } else { z }
    }

    #[inline]
    fn slope(&self, z: S, _: S) -> (S, SlopeCase) {
        piecewise(z, S::ZERO, S::from_f64(self.grad_at_zero))
    }
}

/// `z` where `z > 0`, `α·z` elsewhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyRelu {
    /// The slope `α` for `z ≤ 0`, positive.
    pub slope: f64,
}

impl<S: Scalar> Elementwise<S> for LeakyRelu {
    fn activation(&self) -> Activation {
        Activation::LeakyRelu { slope: self.slope }
    }

    #[inline]
    fn apply(&self, z: S) -> S {
        if z < S::ZERO { S::from_f64(self.slope) * z } else { z }
    }

    #[inline]
    fn slope(&self, z: S, _: S) -> (S, SlopeCase) {
        let alpha = S::from_f64(self.slope);
        piecewise(z, alpha, alpha)
    }
}

/// The logistic function `σ(z) = 1/(1 + e^(−z))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl<S: Float> Elementwise<S> for Sigmoid {
    fn activation(&self) -> Activation {
        Activation::Sigmoid
    }

    #[inline]
    fn apply(&self, z: S) -> S {
        S::ONE / (S::ONE + (-z).exp())
    }

    #[inline]
    fn slope(&self, _: S, y: S) -> (S, SlopeCase) {
        (y * (S::ONE - y), SlopeCase::Smooth)
    }
}

/// The hyperbolic tangent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl<S: Float> Elementwise<S> for Tanh {
    fn activation(&self) -> Activation {
        Activation::Tanh
    }

    #[inline]
    fn apply(&self, z: S) -> S {
        z.tanh()
    }

    #[inline]
    fn slope(&self, _: S, y: S) -> (S, SlopeCase) {
        (S::ONE - y * y, SlopeCase::Smooth)
    }
}

/// The identity, `y = z`: the single layer's `activation: linear`, whose shorthand records
/// `y` and `f′ = 1` as the single layer's derivation writes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Linear;

impl<S: Scalar> Elementwise<S> for Linear {
    fn activation(&self) -> Activation {
        Activation::Linear
    }

    #[inline]
    fn apply(&self, z: S) -> S {
        z
    }

    #[inline]
    fn slope(&self, _: S, _: S) -> (S, SlopeCase) {
        (S::ONE, SlopeCase::Smooth)
    }
}

/// An activation layer: `A` applied to every entry of a tensor `T`.
#[derive(Debug, Default, PartialEq)]
pub struct Activate<A, T> {
    /// The function.
    pub f: A,
    tensor: PhantomData<fn() -> T>,
}

impl<A: Clone, T> Clone for Activate<A, T> {
    fn clone(&self) -> Self {
        Self::new(self.f.clone())
    }
}

impl<A: Copy, T> Copy for Activate<A, T> {}

impl<A, T> Activate<A, T> {
    /// The layer of `f`.
    pub const fn new(f: A) -> Self {
        Self { f, tensor: PhantomData }
    }
}

impl<S: Scalar, A: Elementwise<S> + Send + Sync + 'static, T: Tensor<S>> Op<S> for Activate<A, T> {
    type In = T;
    type Out = T;

    fn output_name(&self) -> Name {
        Name::Y
    }

    fn describe(&self, out: &mut Vec<Arc<dyn LayerDoc<S>>>) {
        out.push(Arc::new(*self));
    }

    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn forward<R: Recorder<S>>(&self, at: At, _: &[S], x: &T, y: &mut T, _: &mut [S], rec: &mut R) {
        let f = self.f.activation();
        let (zs, ys) = (x.flat(), y.flat_mut());
        for (k, (&z, y)) in zs.iter().zip(ys).enumerate() {
            let value = self.f.apply(z);
            let arg = Operand::new(at.input_sym::<S, T>(k), z);
            rec.equation(T::sym(Name::Y, at.layer, k), Expr::Activate { f, z: arg }, value);
            *y = value;
        }
    }

    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn backward<R: Recorder<S>>(
        &self,
        at: At,
        _: &[S],
        x: &T,
        y: &T,
        dy: &T,
        dx: Option<&mut T>,
        _: &mut [S],
        _: &mut [S],
        rec: &mut R,
    ) {
        let Some(dx) = dx else {
            return;
        };
        let f = self.f.activation();
        let dx_name = gradient_of(at.input);
        let (zs, ys, dys, dxs) = (x.flat(), y.flat(), dy.flat(), dx.flat_mut());
        for (k, dx) in dxs.iter_mut().enumerate() {
            let (z, y, d) = (zs[k], ys[k], dys[k]);
            let (slope, case) = self.f.slope(z, y);
            let zo = Operand::new(at.input_sym::<S, T>(k), z);
            let yo = Operand::new(T::sym(Name::Y, at.layer, k), y);
            // `f′(z⁽ˡ⁾[…])`: named after its argument, the layer before's output.
            let slope_sym = T::sym(slope_of(at.input), at.input_layer, k);
            rec.equation(slope_sym, Expr::Slope { f, z: zo, y: yo, case }, slope);
            *dx = d * slope;
            rec.term(Term::Product(
                Operand::new(T::sym(gradient_of(Name::Y), at.layer, k), d),
                Operand::new(slope_sym, slope),
            ));
            rec.sum(T::sym(dx_name, at.input_layer, k), Scale::ONE, *dx);
        }
    }
}

impl<S: Scalar, A: Elementwise<S> + Send + Sync, T: Tensor<S>> LayerDoc<S> for Activate<A, T> {
    fn kind(&self) -> &'static str {
        self.f.activation().name()
    }

    fn describe(&self) -> Rich {
        self.f.activation().describe()
    }

    fn output_shape(&self) -> Vec<usize> {
        T::shape()
    }

    fn output_name(&self) -> Name {
        Name::Y
    }

    fn size(&self, _: &NetDoc<S>, _: At) -> Rich {
        let shape: Vec<String> = T::shape().iter().map(ToString::to_string).collect();
        Rich::text("the shape of its input, ").m(shape.join("×"))
    }

    fn forward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        let f = self.f.activation();
        let (y, z) = (doc.tensor(Name::Y, at.layer), doc.tensor(at.input, at.input_layer));
        let formula = match f {
            Activation::LeakyRelu { slope } => {
                format!("{y} = {z} where {z} > 0, {slope}·{z} elsewhere")
            }
            _ => format!("{y} = {}", f.formula(&z)),
        };
        doc.stage(Rich::text(format!("Layer {}, forward: ", at.layer)).m(formula));
        doc.entries_of(section, Name::Y, at.layer);
    }

    fn backward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>, _: bool) {
        let dx_name = gradient_of(at.input);
        let keep_dx = |s: Sym| s.name == dx_name && usize::from(s.layer) == at.input_layer;
        if section.select(keep_dx).next().is_none() {
            return;
        }
        let (dy, z) = (doc.tensor(Name::Dy, at.layer), doc.tensor(at.input, at.input_layer));
        let dx = doc.tensor(dx_name, at.input_layer);
        let slope = doc.tensor(slope_of(at.input), at.input_layer);
        doc.stage(
            Rich::text(format!("Layer {}, backward: ", at.layer))
                .m(format!("{dx} = ∂L/∂{z} = {dy} ⊙ {slope}")),
        );
        let keep_slope =
            |s: Sym| s.name == slope_of(at.input) && usize::from(s.layer) == at.input_layer;
        doc.entries(section, keep_slope);
        // Where a ReLU is off, nothing goes back.
        if matches!(self.f.activation(), Activation::Relu { .. }) {
            let dead: Vec<Sym> = section
                .equations
                .iter()
                .filter_map(|eq| match &eq.expr {
                    Expr::Slope { z, case: SlopeCase::Negative, .. } if keep_slope(eq.lhs) => {
                        Some(z.sym)
                    }
                    _ => None,
                })
                .collect();
            if !dead.is_empty() {
                let names: Vec<String> = dead.iter().map(|s| name(*s)).collect();
                let one = dead.len() == 1;
                doc.note(
                    Rich::math(format!("{} < 0", names.join(", ")))
                        .t(format!(": the ReLU of layer {} is off there and ", at.layer))
                        .m("f′ = 0")
                        .t(format!(
                            " blocks the gradient; {} nothing back.",
                            if one { "that entry sends" } else { "those entries send" }
                        )),
                );
            }
        }
        doc.entries(section, keep_dx);
        if NetDoc::<S>::all_zero(section, keep_dx) {
            doc.nothing_flows_back(&dx, at);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The activations by name: what a trace records, and everything a derivation writes and checks
// about each

/// The activation `f` in `y = f(z)`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Activation {
    /// `max(0, z)`; its derivative at exactly `z = 0` is `grad_at_zero` (0 or 1; PyTorch, JAX
    /// and micrograd use 0).
    Relu {
        /// The derivative used where `z` is exactly 0.
        grad_at_zero: f64,
    },
    /// The identity, `f(z) = z`.
    Linear,
    /// The logistic function `σ(z) = 1/(1 + e^(−z))`.
    Sigmoid,
    /// The hyperbolic tangent.
    Tanh,
    /// `z` where `z > 0`, `slope·z` elsewhere; the derivative at exactly 0 is `slope`, as in
    /// PyTorch.
    LeakyRelu {
        /// The slope `α` for `z ≤ 0`.
        slope: f64,
    },
}

impl Default for Activation {
    fn default() -> Self {
        Self::Relu { grad_at_zero: 0.0 }
    }
}

/// Which branch of `f′` an entry took; a derivation explains each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlopeCase {
    /// `z > 0` for a piecewise-linear activation.
    Positive,
    /// `z < 0` for a piecewise-linear activation.
    Negative,
    /// `z` exactly 0 for a piecewise-linear activation: the derivative is a convention.
    AtZero,
    /// A smooth activation (linear, sigmoid, tanh): one formula everywhere.
    Smooth,
}

/// `exp` and `tanh`, for sigmoid and tanh: a scalar without them never gets here.
fn float<S: Scalar>() -> Functions<S> {
    S::functions().expect("sigmoid and tanh need exp and tanh: exact specs are rejected first")
}

/// What it computes, and its settings.
impl Activation {
    /// The spelling used in `train!`, without arguments (`leaky_relu`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Relu { .. } => "relu",
            Self::Linear => "linear",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::LeakyRelu { .. } => "leaky_relu",
        }
    }

    /// `f(z)`, as its op computes it.
    ///
    /// ```
    /// use cnn_bp_core::Activation;
    /// assert_eq!(Activation::default().apply(-2.0), 0.0);
    /// assert_eq!(Activation::LeakyRelu { slope: 0.5 }.apply(-2.0), -1.0);
    /// ```
    ///
    /// # Panics
    /// For sigmoid and tanh in a scalar without `exp` and `tanh` (an exact one): the library
    /// rejects that combination (`SpecError::NeedsFloat`) before anything runs.
    #[inline]
    pub fn apply<S: Scalar>(self, z: S) -> S {
        match self {
            Self::Relu { grad_at_zero } => Relu { grad_at_zero }.apply(z),
            Self::Linear => Linear.apply(z),
            Self::Sigmoid => S::ONE / (S::ONE + (float::<S>().exp)(-z)),
            Self::Tanh => (float::<S>().tanh)(z),
            Self::LeakyRelu { slope } => LeakyRelu { slope }.apply(z),
        }
    }

    /// `f′(z)`, given `z` and `y = f(z)`, and the branch it came from, as its op computes it.
    ///
    /// Sigmoid and tanh use the output, as PyTorch's backward does:
    /// `σ′ = y·(1 − y)`, `tanh′ = 1 − y²`.
    ///
    /// ```
    /// use cnn_bp_core::{Activation, SlopeCase};
    /// let relu = Activation::default();
    /// assert_eq!(relu.slope(0.0, 0.0), (0.0, SlopeCase::AtZero));
    /// assert_eq!(relu.slope(-2.0, 0.0), (0.0, SlopeCase::Negative));
    /// ```
    #[inline]
    pub fn slope<S: Scalar>(self, z: S, y: S) -> (S, SlopeCase) {
        match self {
            Self::Relu { grad_at_zero } => Relu { grad_at_zero }.slope(z, y),
            Self::Linear => Linear.slope(z, y),
            Self::Sigmoid => (y * (S::ONE - y), SlopeCase::Smooth),
            Self::Tanh => (S::ONE - y * y, SlopeCase::Smooth),
            Self::LeakyRelu { slope } => LeakyRelu { slope }.slope(z, y),
        }
    }

    /// Its settings checked: `relu_grad_at_zero` is 0 or 1, a leaky ReLU's slope positive.
    pub(crate) fn check(self) -> Result<(), SpecError> {
        match self {
            Self::Relu { grad_at_zero } if grad_at_zero != 0.0 && grad_at_zero != 1.0 => {
                Err(SpecError::ReluGradAtZero(grad_at_zero))
            }
            Self::LeakyRelu { slope } if !(slope.is_finite() && slope > 0.0) => {
                Err(SpecError::LeakySlope(slope))
            }
            _ => Ok(()),
        }
    }

    /// Whether it is the identity: no layer of a single layer's shorthand network, and no
    /// entries for a derivation to write out.
    pub(crate) const fn is_identity(self) -> bool {
        matches!(self, Self::Linear)
    }

    /// Its kink, where a finite difference that crosses it is not compared: `relu's kink at
    /// 0`; `None` for a function without one.
    pub(crate) const fn kink(self) -> Option<&'static str> {
        match self {
            Self::Relu { .. } => Some("relu's kink at 0"),
            Self::LeakyRelu { .. } => Some("leaky_relu's kink at 0"),
            Self::Linear | Self::Sigmoid | Self::Tanh => None,
        }
    }

    /// Whether `f′` is computed from the output `y` (sigmoid, tanh), rather than being a
    /// constant on each branch (the piecewise-linear ones).
    pub(crate) const fn slope_from_output(self) -> bool {
        matches!(self, Self::Sigmoid | Self::Tanh)
    }

    /// `f′` on branch `case` where it is a constant there: 1 above 0, 0 or `α` below, the
    /// convention at 0, 1 everywhere for the identity.
    pub(crate) const fn constant_slope(self, case: SlopeCase) -> Option<f64> {
        match (self, case) {
            (Self::Sigmoid | Self::Tanh, _) => None,
            (Self::Linear, _) | (_, SlopeCase::Positive) => Some(1.0),
            (Self::Relu { .. }, SlopeCase::Negative) => Some(0.0),
            (Self::Relu { grad_at_zero }, _) => Some(grad_at_zero),
            (Self::LeakyRelu { slope }, _) => Some(slope),
        }
    }

    /// The values `f` can produce where they are not every real, `(low, high, closed_low)`
    /// (`high` is never one), and how a derivation says so: a target outside can never be
    /// reached.
    pub(crate) fn range(self) -> Option<((f64, f64, bool), Rich)> {
        match self {
            Self::Relu { .. } => Some((
                (0.0, f64::INFINITY, true),
                Rich::default().c("relu").t(" never outputs a negative number"),
            )),
            Self::Sigmoid => Some((
                (0.0, 1.0, false),
                Rich::default().c("sigmoid").t(" outputs only numbers strictly between 0 and 1"),
            )),
            Self::Tanh => Some((
                (-1.0, 1.0, false),
                Rich::default().c("tanh").t(" outputs only numbers strictly between −1 and 1"),
            )),
            Self::Linear | Self::LeakyRelu { .. } => None,
        }
    }
}

/// How a derivation writes it.
impl Activation {
    /// What it is, for Given: `relu, y = max(0, z); f′ = 1 where z > 0, …`.
    pub(crate) fn describe(self) -> Rich {
        match self {
            Self::Relu { grad_at_zero } => Rich::default()
                .c("relu")
                .t(", ")
                .m("y = max(0, z)")
                .t("; ")
                .m("f′ = 1")
                .t(" where ")
                .m("z > 0")
                .t(", 0 where ")
                .m("z < 0")
                .t(", and ")
                .m(val(grad_at_zero))
                .t(" at ")
                .m("z = 0")
                .t(" (")
                .c("relu_grad_at_zero")
                .t(")"),
            Self::Linear => Rich::default().c("linear").t(", ").m("y = z"),
            Self::Sigmoid => Rich::default()
                .c("sigmoid")
                .t(", ")
                .m("y = σ(z) = 1/(1 + e^(−z))")
                .t("; ")
                .m("f′ = y·(1 − y)"),
            Self::Tanh => {
                Rich::default().c("tanh").t(", ").m("y = tanh(z)").t("; ").m("f′ = 1 − y²")
            }
            Self::LeakyRelu { slope } => {
                let a = approx(slope);
                Rich::default()
                    .c(format!("leaky_relu({a})"))
                    .t(", ")
                    .m("y = z")
                    .t(" where ")
                    .m("z > 0")
                    .t(", ")
                    .m(format!("{a}·z"))
                    .t(" elsewhere; ")
                    .m("f′ = 1")
                    .t(" where ")
                    .m("z > 0")
                    .t(", ")
                    .m(a)
                    .t(" elsewhere")
            }
        }
    }

    /// `max(0, a)`, `σ(a)` … for an argument written `a`.
    pub(crate) fn formula(self, a: &str) -> String {
        match self {
            Self::Relu { .. } => format!("max(0, {a})"),
            Self::Linear => a.to_owned(),
            Self::Sigmoid => format!("σ({a})"),
            Self::Tanh => format!("tanh({a})"),
            Self::LeakyRelu { .. } => format!("leaky_relu({a})"),
        }
    }

    /// `y = f(z)` as a single layer's activation stage writes it.
    pub(crate) fn output_formula(self) -> Rich {
        match self {
            Self::LeakyRelu { slope } => Rich::math("y = z")
                .t(" where ")
                .m("z > 0")
                .t(", ")
                .m(format!("{}·z", approx(slope)))
                .t(" elsewhere"),
            _ => Rich::math(format!("y = {}", self.formula("z"))),
        }
    }

    /// `f(z)` worked out for the number `z`, onto an equation's chain: `max(0, −2)`, and
    /// below 0 a leaky ReLU's product, `0.1·(−2)`.
    pub(crate) fn work_out<S: Scalar>(self, z: S, digits: usize, chain: &mut Vec<String>) {
        chain.push(self.formula(&num_at(z, digits).0));
        if let Self::LeakyRelu { slope } = self
            && z < S::ZERO
        {
            // The slope as this scalar writes it: `0.1`, or `(1/10)` in an exact derivation.
            let slope = factor_at(S::from_f64(slope), digits);
            chain.push(format!("{slope}·{}", factor_at(z, digits)));
        }
    }

    /// `f′` from the output, where it is computed from it: `y·(1 − y)`, `1 − y²`, with `y`
    /// written `factor` where it multiplies and `signed` where it follows a minus.
    fn slope_of_output(self, factor: &str, signed: &str) -> Option<String> {
        match self {
            Self::Sigmoid => Some(format!("{factor}·(1 − {signed})")),
            Self::Tanh => Some(format!("1 − {factor}²")),
            _ => None,
        }
    }

    /// `f′` with its arguments' names, `z` and `y`: `relu′(z[0,0])`, `y[0,0]·(1 − y[0,0])`.
    pub(crate) fn slope_formula(self, z: &str, y: &str) -> String {
        match self {
            Self::Relu { .. } | Self::LeakyRelu { .. } => format!("{}′({z})", self.name()),
            Self::Linear => "1".to_owned(),
            Self::Sigmoid | Self::Tanh => self.slope_of_output(y, y).unwrap_or_default(),
        }
    }

    /// `f′` worked out from the output `y` (named `y_name`), onto an equation's chain, where it
    /// is computed from it: `y·(1 − y)`, then `0.731059·(1 − 0.731059)`.
    pub(crate) fn work_out_slope<S: Scalar>(
        self,
        y_name: &str,
        y: S,
        digits: usize,
        chain: &mut Vec<String>,
    ) {
        chain.extend(self.slope_of_output(y_name, y_name));
        chain.extend(self.slope_of_output(&factor_at(y, digits), &signed_at(y, digits)));
    }

    /// Why a piecewise-linear derivative has its value, for `z` written with its value
    /// (`z[0,0] = 3`): `z[0,0] = 3 > 0`.
    pub(crate) fn slope_reason(self, case: SlopeCase, z: &str) -> Option<Rich> {
        let reason = match (self, case) {
            (_, SlopeCase::Positive) => Rich::math(format!("{z} > 0")),
            (Self::LeakyRelu { .. }, SlopeCase::Negative) => {
                Rich::math(format!("{z} < 0")).t(": the slope ").m("α")
            }
            (_, SlopeCase::Negative) => Rich::math(format!("{z} < 0")),
            (Self::LeakyRelu { .. }, SlopeCase::AtZero) => Rich::math(z.to_owned())
                .t(": ")
                .c("leaky_relu")
                .t(" takes its slope ")
                .m("α")
                .t(" at 0"),
            (Self::Relu { grad_at_zero }, SlopeCase::AtZero) => Rich::math(z.to_owned())
                .t(": the convention ")
                .c("relu_grad_at_zero")
                .t(" ")
                .m(format!("= {}", val(grad_at_zero))),
            (_, SlopeCase::AtZero | SlopeCase::Smooth) => return None,
        };
        Some(reason)
    }

    /// A single layer's notes on the entries of `section` where `f′` needs one: a ReLU that is
    /// off, a kink met exactly, a saturated sigmoid or tanh.
    pub(crate) fn slope_notes<S: Scalar>(self, section: &Section<S>) -> Vec<Rich> {
        let with_case = |case: SlopeCase| -> Vec<Sym> {
            section
                .equations
                .iter()
                .filter_map(|eq| match &eq.expr {
                    Expr::Slope { z, case: c, .. } if *c == case => Some(z.sym),
                    _ => None,
                })
                .collect()
        };
        let mut notes = Vec::new();
        if matches!(self, Self::Relu { .. }) {
            let dead = with_case(SlopeCase::Negative);
            if !dead.is_empty() {
                let one = if dead.len() == 1 { "that output sends" } else { "those outputs send" };
                notes.push(
                    Rich::math(format!("{} < 0", names(dead.iter().copied())))
                        .t(": the ReLU is off there and ")
                        .m("f′ = 0")
                        .t(" blocks the gradient, so ")
                        .m(format!("{} = 0", names(dead.iter().map(|s| delta_of(*s)))))
                        .t(format!(" whatever the target; {one} nothing back to "))
                        .m("W")
                        .t("."),
                );
            }
        }
        // The value used at a kink met exactly.
        let at_zero = match self {
            Self::Relu { grad_at_zero } => Some(
                Rich::text(" exactly, where the ReLU has no derivative; this derivation uses ")
                    .c("relu_grad_at_zero")
                    .t(" ")
                    .m(format!("= {}", val(grad_at_zero)))
                    .t(" (PyTorch, JAX and micrograd use 0; set ")
                    .c(format!("relu_grad_at_zero: {}", u8::from(grad_at_zero == 0.0)))
                    .t(" for the other convention)."),
            ),
            Self::LeakyRelu { slope } => Some(
                Rich::text(" exactly: ")
                    .c("leaky_relu")
                    .t(" uses its slope ")
                    .m(approx(slope))
                    .t(" there, as PyTorch does."),
            ),
            Self::Linear | Self::Sigmoid | Self::Tanh => None,
        };
        if let Some(words) = at_zero {
            let zero = with_case(SlopeCase::AtZero);
            if !zero.is_empty() {
                notes.push(Rich::math(format!("{} = 0", names(zero))).and(words));
            }
        }
        if self.slope_from_output() {
            notes.extend(self.saturation_note(section));
        }
        notes
    }

    /// Sigmoid and tanh outputs so close to their bounds that `f′`, computed from `y`, is 0.
    fn saturation_note<S: Scalar>(self, section: &Section<S>) -> Option<Rich> {
        let saturated: Vec<(Sym, Sym, S)> = section
            .equations
            .iter()
            .filter_map(|eq| match &eq.expr {
                Expr::Slope { z, y, .. } if eq.value == S::ZERO && z.value.is_finite() => {
                    Some((z.sym, y.sym, y.value))
                }
                _ => None,
            })
            .collect();
        if saturated.is_empty() {
            return None;
        }
        let formula = self.slope_of_output("y", "y").unwrap_or_default();
        let ys: Vec<String> = saturated.iter().map(|(_, y, v)| quoted(*y, *v)).collect();
        let deltas = names(saturated.iter().map(|(z, ..)| delta_of(*z)));
        Some(
            Rich::math(ys.join(", "))
                .t(" exactly: ")
                .c(self.name())
                .t(" is saturated there. Its true derivative is positive, but ")
                .m("y")
                .t(" has rounded to the bound in ")
                .c("f64")
                .t(", so ")
                .m(format!("f′ = {formula} = 0"))
                .t(", ")
                .m(format!("{deltas} = 0"))
                .t(", and the gradient vanishes: these outputs no longer move ")
                .m("W")
                .t("."),
        )
    }
}

/// How a derivation's printed equations are evaluated again: exactly in decimals (for `=`
/// and the exact value of an `f64` rounding), and over ranges by `verify`, a separate
/// evaluation that never feeds a printed number.
impl Activation {
    /// `f(z)` for `z` printed as the decimal `z`: `Ok` with its exact value (`None` where a
    /// number in it is not finite), `Err` with the nearest `f64` where it is not a decimal
    /// (`σ(1)`). `number` gives a setting as printed.
    pub(crate) fn exact_output(
        self,
        z: Decimal,
        number: impl FnOnce(f64) -> Option<Decimal>,
    ) -> Result<Option<Decimal>, f64> {
        Ok(match self {
            Self::Relu { .. } if z.is_negative() => Some(Decimal::ZERO),
            Self::LeakyRelu { slope } if z.is_negative() => number(slope).map(|a| a.mul(&z)),
            Self::Relu { .. } | Self::Linear | Self::LeakyRelu { .. } => Some(z),
            // σ(0) = 1/2 and tanh(0) = 0 are the only decimal values of either.
            Self::Sigmoid if z.is_zero() => Some(Decimal::HALF),
            Self::Tanh if z.is_zero() => Some(Decimal::ZERO),
            Self::Sigmoid => return Err(sigmoid(z.to_f64())),
            Self::Tanh => return Err(z.to_f64().tanh()),
        })
    }

    /// `f′` as an exact function of the printed output, where it is computed from it.
    pub(crate) fn exact_slope(self) -> Option<fn(&Decimal) -> Decimal> {
        match self {
            Self::Sigmoid => Some(|y| y.mul(&Decimal::ONE.sub(y))),
            Self::Tanh => Some(|y| Decimal::ONE.sub(&y.mul(y))),
            _ => None,
        }
    }

    /// The range of `f` over the range `z`.
    pub(crate) fn output_range(self, z: Range) -> Range {
        match self {
            Self::Relu { .. } => z.monotone(|v| if v > 0.0 { v } else { 0.0 }),
            Self::Linear => z,
            Self::Sigmoid => z.monotone(sigmoid),
            Self::Tanh => z.monotone(f64::tanh),
            Self::LeakyRelu { slope } => z.monotone(|v| if v > 0.0 { v } else { slope * v }),
        }
    }

    /// The range of `f′` over the range `y` of the output, where it is computed from it.
    pub(crate) fn slope_range(self, y: Range) -> Option<Range> {
        match self {
            Self::Sigmoid => Some(y.mul(Range::exactly(1.0).add(y.neg()))),
            Self::Tanh => Some(Range::exactly(1.0).add(y.square().neg())),
            _ => None,
        }
    }
}

/// The logistic function in `f64`, for the values that are not decimals.
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}
