//! Activation layers: a function applied to every entry, `y = f(z)`, and back,
//! `∂L/∂z = ∂L/∂y ⊙ f′(z)` (`δ` when `z` is a convolution's output).
//!
//! The functions are types ([`Relu`], [`LeakyRelu`], [`Sigmoid`], [`Tanh`]), so that a
//! network's loops are specialised for them. ReLU and leaky ReLU need only a [`Scalar`] (an
//! exact rational type can use them); sigmoid and tanh need [`Float`]. The derivative at a
//! kink is a convention, as in PyTorch: `relu′(0) = 0` unless `grad_at_zero` says 1, and
//! `leaky_relu′(0) = α`. Sigmoid's and tanh's derivatives are computed from the output, as
//! PyTorch's backward does: `σ′ = y·(1 − y)`, `tanh′ = 1 − y²`.

use core::marker::PhantomData;

use super::{At, Op, Tensor, gradient_of};
use crate::layer::{Activation, Scale, SlopeCase};
use crate::scalar::{Float, Scalar};
use crate::trace::{Expr, Name, Operand, Recorder, Term};

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
    if z > S::ZERO {
        (S::ONE, SlopeCase::Positive)
    } else if z < S::ZERO {
        (negative, SlopeCase::Negative)
    } else if z == S::ZERO {
        (at_zero, SlopeCase::AtZero)
    } else {
        (z, SlopeCase::Smooth)
    }
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

/// An activation layer: `A` applied to every entry of a tensor `T`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Activate<A, T> {
    /// The function.
    pub f: A,
    tensor: PhantomData<fn() -> T>,
}

impl<A, T> Activate<A, T> {
    /// The layer of `f`.
    pub const fn new(f: A) -> Self {
        Self { f, tensor: PhantomData }
    }
}

impl<S: Scalar, A: Elementwise<S>, T: Tensor<S>> Op<S> for Activate<A, T> {
    type In = T;
    type Out = T;

    fn output_name(&self) -> Name {
        Name::Y
    }

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
            let slope_sym = T::sym(Name::Slope, at.input_layer, k);
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
