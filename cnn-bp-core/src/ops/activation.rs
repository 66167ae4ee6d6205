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
use std::sync::Arc;

use super::{At, Op, Tensor, gradient_of, slope_of};
use crate::layer::{Activation, Scale, SlopeCase};
use crate::render::doc::{Rich, activation, describe_activation};
use crate::render::{LayerDoc, NetDoc};
use crate::scalar::{Float, Scalar};
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
        describe_activation(self.f.activation())
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
            _ => format!("{y} = {}", activation(f, &z)),
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
                let names: Vec<String> =
                    dead.iter().map(|s| crate::render::doc::name(*s)).collect();
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
