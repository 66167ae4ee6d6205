//! Sections a derivation can append on request: a finite-difference check of every step's
//! gradient, and the common wrong recipes applied to the first step's numbers.
//!
//! Both reuse the step functions: the check runs the forward pass and the loss at perturbed
//! parameters, and each recipe is the same gradient, update and forward code fed with what
//! the learner used instead.

use crate::derivation::Step;
use crate::layer::{Activation, Kernel, Layer};
use crate::scalar::{Float, Scalar};
use crate::step::{
    Forward, Gradients, Params, StepOutcome, correlate_input, descend, forward, loss, sum_all,
};
use crate::trace::{
    CheckedEntry, Equation, GradientCheck, Mistake, NoTrace, Operand, Recipe, Recorder, Section,
    Sym, Term, Trace,
};
use crate::{Expr, Scale};

/// Which optional sections a derivation appends.
///
/// ```
/// use cnn_bp_core::{Extras, Layer, Params, train_with};
///
/// let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
/// let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias: None };
/// let extras = Extras::default().finite_differences(true).mistakes(true);
/// let d = train_with(&Layer::default(), 0.5, 1, &x, start, &[[1.0, 0.0], [0.0, 1.0]], extras)?;
/// assert_eq!(d.trace().checks.len(), 1);
/// assert_eq!(d.trace().mistakes.len(), 3);
/// # Ok::<(), cnn_bp_core::SpecError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Extras {
    /// Compare every step's `∂L/∂W` and `∂L/∂b` with central differences
    /// (`check: finite_differences` in `train!`).
    pub finite_differences: bool,
    /// Apply the common wrong recipes to the first step (`mistakes: true` in `train!`).
    pub mistakes: bool,
}

impl Extras {
    /// With or without the finite-difference check.
    #[must_use]
    pub const fn finite_differences(mut self, on: bool) -> Self {
        self.finite_differences = on;
        self
    }

    /// With or without the learner's mistakes.
    #[must_use]
    pub const fn mistakes(mut self, on: bool) -> Self {
        self.mistakes = on;
        self
    }
}

/// What a run does besides its steps. [`Extras`] appends the sections it asks for; `()` does
/// nothing, so that a `train!` without them does not compile their code (it is generic over
/// the shapes, so every spec would compile it again). Not public API: `train!` names it.
#[doc(hidden)]
pub trait Sections<
    S,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>
{
    /// After step `trace.taken − 1`, taken from `params`.
    #[allow(clippy::too_many_arguments)]
    fn after_step(
        &self,
        trace: &mut Trace<S>,
        layer: &Layer,
        input: &[[S; W]; H],
        params: &Params<KH, KW, S>,
        target: &[[S; OW]; OH],
        lr: S,
        outcome: &StepOutcome<KH, KW, OH, OW, S>,
    );

    /// After the last step.
    fn after_run(
        &self,
        trace: &mut Trace<S>,
        layer: &Layer,
        input: &[[S; W]; H],
        target: &[[S; OW]; OH],
        last: &Step<KH, KW, OH, OW, S>,
    );
}

impl<
    S,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> Sections<S, H, W, KH, KW, OH, OW> for ()
{
    fn after_step(
        &self,
        _: &mut Trace<S>,
        _: &Layer,
        _: &[[S; W]; H],
        _: &Params<KH, KW, S>,
        _: &[[S; OW]; OH],
        _: S,
        _: &StepOutcome<KH, KW, OH, OW, S>,
    ) {
    }

    fn after_run(
        &self,
        _: &mut Trace<S>,
        _: &Layer,
        _: &[[S; W]; H],
        _: &[[S; OW]; OH],
        _: &Step<KH, KW, OH, OW, S>,
    ) {
    }
}

impl<
    S: Float,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> Sections<S, H, W, KH, KW, OH, OW> for Extras
{
    fn after_step(
        &self,
        trace: &mut Trace<S>,
        layer: &Layer,
        input: &[[S; W]; H],
        params: &Params<KH, KW, S>,
        target: &[[S; OW]; OH],
        lr: S,
        s: &StepOutcome<KH, KW, OH, OW, S>,
    ) {
        let k = trace.taken - 1;
        if self.finite_differences && trace.keeps(k) {
            let check = check_gradient(k, layer, input, params, target, &s.forward.z, &s.grads);
            trace.checks.push(check);
        }
        if self.mistakes && k == 0 {
            let first = &trace.steps[0];
            trace.mistakes =
                mistakes(layer, input, params, target, lr, &s.forward, &s.grads, first);
        }
    }

    fn after_run(
        &self,
        trace: &mut Trace<S>,
        layer: &Layer,
        input: &[[S; W]; H],
        target: &[[S; OW]; OH],
        last: &Step<KH, KW, OH, OW, S>,
    ) {
        // A long run keeps its last step in full: check that one too.
        let k = trace.taken - 1;
        if self.finite_differences && trace.checks.last().is_none_or(|c| c.step < k) {
            let params = Params { filter: last.filter(), bias: last.bias() };
            let grads = Gradients {
                delta: last.delta(),
                filter: last.filter_grad(),
                bias: last.bias_grad(),
            };
            trace.checks.push(check_gradient(
                k,
                layer,
                input,
                &params,
                target,
                &last.output(),
                &grads,
            ));
        }
    }
}

/// The relative step of the central differences: `h = 10⁻⁶·max(1, |largest parameter|)`.
const RELATIVE_H: f64 = 1e-6;

/// Records equations into a section of its own.
struct Collector<S> {
    equations: Vec<Equation<S>>,
    pending: Vec<Term<S>>,
}

impl<S> Recorder<S> for Collector<S> {
    fn term(&mut self, term: Term<S>) {
        self.pending.push(term);
    }

    fn sum(&mut self, lhs: Sym, scale: Scale, value: S) {
        let terms = core::mem::take(&mut self.pending);
        self.equations.push(Equation { lhs, expr: Expr::Sum { scale, terms }, value });
    }

    fn equation(&mut self, lhs: Sym, expr: Expr<S>, value: S) {
        self.equations.push(Equation { lhs, expr, value });
    }
}

fn abs<S: Scalar>(v: S) -> S {
    if v < S::ZERO { -v } else { v }
}

/// The loss at other parameters, untraced.
fn loss_at<
    S: Float,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    params: &Params<KH, KW, S>,
    target: &[[S; OW]; OH],
) -> S {
    let f: Forward<OH, OW, S> = forward(layer, input, params, &mut NoTrace);
    loss(layer, &f.y, target, &mut NoTrace)
}

/// Central differences for every parameter of one step.
#[allow(clippy::too_many_arguments)]
fn check_gradient<
    S: Float,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    step: usize,
    layer: &Layer,
    input: &[[S; W]; H],
    params: &Params<KH, KW, S>,
    target: &[[S; OW]; OH],
    z: &[[S; OW]; OH],
    grads: &Gradients<KH, KW, OH, OW, S>,
) -> GradientCheck<S> {
    let largest = params
        .filter
        .iter()
        .flatten()
        .chain(&params.bias)
        .fold(S::ONE, |m, &v| if abs(v) > m { abs(v) } else { m });
    let h = S::from_f64(RELATIVE_H) * largest;
    let kinked = matches!(layer.activation, Activation::Relu { .. } | Activation::LeakyRelu { .. });
    let central = |lower: Params<KH, KW, S>, upper: Params<KH, KW, S>| {
        let plus = loss_at(layer, input, &upper, target);
        let minus = loss_at(layer, input, &lower, target);
        (plus, minus, (plus - minus) / (S::from_usize(2) * h))
    };
    let mut entries = Vec::with_capacity(KH * KW + 1);
    for i in 0..KH {
        for j in 0..KW {
            let (mut lower, mut upper) = (*params, *params);
            lower.filter[i][j] = params.filter[i][j] - h;
            upper.filter[i][j] = params.filter[i][j] + h;
            let (loss_plus, loss_minus, central) = central(lower, upper);
            // w[i,j] moves z[p,q] by h·x at each output it reaches.
            let offset = layer.filter_entry((i, j), (KH, KW));
            let kink = kinked.then(|| outputs(OH, OW)).into_iter().flatten().find_map(|(p, q)| {
                let (r, c) = layer.source((p, q), offset, (H, W))?;
                let x = input[r][c];
                (x != S::ZERO && abs(z[p][q]) <= h * abs(x))
                    .then(|| Operand::new(Sym::Z(p, q), z[p][q]))
            });
            let grad = Operand::new(Sym::GradW(i, j), grads.filter[i][j]);
            let difference = abs(grad.value - central);
            entries.push(CheckedEntry { grad, loss_plus, loss_minus, central, difference, kink });
        }
    }
    if let (Some(b), Some(g)) = (params.bias, grads.bias) {
        let (mut lower, mut upper) = (*params, *params);
        lower.bias = Some(b - h);
        upper.bias = Some(b + h);
        let (loss_plus, loss_minus, central) = central(lower, upper);
        let kink =
            kinked.then(|| outputs(OH, OW)).into_iter().flatten().find_map(|(p, q)| {
                (abs(z[p][q]) <= h).then(|| Operand::new(Sym::Z(p, q), z[p][q]))
            });
        let grad = Operand::new(Sym::GradB, g);
        let difference = abs(g - central);
        entries.push(CheckedEntry { grad, loss_plus, loss_minus, central, difference, kink });
    }
    GradientCheck { step, h, entries }
}

fn outputs(oh: usize, ow: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..oh).flat_map(move |p| (0..ow).map(move |q| (p, q)))
}

/// The value an equation of `section` recorded for each entry of kind `kind`.
fn recorded<S: Scalar, const OH: usize, const OW: usize>(
    section: &Section<S>,
    kind: fn(usize, usize) -> Sym,
) -> [[S; OW]; OH] {
    let mut values = [[S::ZERO; OW]; OH];
    for eq in &section.equations {
        if let Some((p, q)) = eq.lhs.index()
            && kind(p, q) == eq.lhs
        {
            values[p][q] = eq.value;
        }
    }
    values
}

/// Each wrong recipe applied to the first step: the learner's gradient, the update it gives,
/// and the forward pass and loss with the parameters it gives. `first` is the first step's
/// recorded section, from which `∂L/∂y` and `f′(z)` are read.
#[allow(clippy::too_many_arguments)]
fn mistakes<
    S: Float,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    params: &Params<KH, KW, S>,
    target: &[[S; OW]; OH],
    lr: S,
    fwd: &Forward<OH, OW, S>,
    grads: &Gradients<KH, KW, OH, OW, S>,
    first: &Section<S>,
) -> Vec<Mistake<S>> {
    let dy: [[S; OW]; OH] = recorded(first, Sym::Dy);
    let slope: [[S; OW]; OH] = recorded(first, Sym::Slope);
    Recipe::ALL
        .into_iter()
        .map(|recipe| {
            let mut rec = Collector { equations: Vec::new(), pending: Vec::new() };
            let (g, gb, bias_sym) = match recipe {
                Recipe::SignFlip => {
                    let scale = layer.loss.grad_scale(OH * OW);
                    let mut signal = [[S::ZERO; OW]; OH];
                    for p in 0..OH {
                        for q in 0..OW {
                            let (t, y) = (target[p][q], fwd.y[p][q]);
                            let e = scale.apply(t - y);
                            rec.term(Term::Diff(
                                Operand::new(Sym::T(p, q), t),
                                Operand::new(Sym::Y(p, q), y),
                            ));
                            rec.sum(Sym::Error(p, q), scale, e);
                            signal[p][q] = e * slope[p][q];
                            rec.term(Term::Product(
                                Operand::new(Sym::Error(p, q), e),
                                Operand::new(Sym::Slope(p, q), slope[p][q]),
                            ));
                            rec.sum(Sym::Signal(p, q), Scale::ONE, signal[p][q]);
                        }
                    }
                    let g = correlate_input(layer, input, &signal, Sym::Signal, Sym::G, &mut rec);
                    let gb = params.bias.map(|_| sum_all(&signal, Sym::Signal, Sym::GB, &mut rec));
                    (g, gb, Sym::GB)
                }
                Recipe::NoActivationDerivative => {
                    let g = correlate_input(layer, input, &dy, Sym::Dy, Sym::G, &mut rec);
                    let gb = params.bias.map(|_| sum_all(&dy, Sym::Dy, Sym::GB, &mut rec));
                    (g, gb, Sym::GB)
                }
                Recipe::FlippedKernel => {
                    let kernel = match layer.kernel {
                        Kernel::Correlation => Kernel::Convolution,
                        Kernel::Convolution => Kernel::Correlation,
                    };
                    let other = Layer { kernel, ..*layer };
                    let g =
                        correlate_input(&other, input, &grads.delta, Sym::Delta, Sym::G, &mut rec);
                    // The bias gradient does not depend on the orientation.
                    (g, grads.bias, Sym::GradB)
                }
            };
            let next = descend(params, &g, gb, (Sym::G, bias_sym), lr, &mut rec);
            let after = forward(layer, input, &next, &mut rec);
            let loss_after = loss(layer, &after.y, target, &mut rec);
            Mistake {
                recipe,
                section: Section { step: None, equations: rec.equations },
                loss_after,
            }
        })
        .collect()
}
