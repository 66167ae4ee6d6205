//! Sections a derivation can append on request: a finite-difference check of every step's
//! gradient, and the common wrong recipes applied to the first step's numbers.
//!
//! Both reuse the step functions: the check runs the forward pass and the loss at perturbed
//! parameters, and each recipe is the same gradient, update and forward code fed with what
//! the learner used instead.

use crate::Scale;
use crate::layer::{Kernel, Layer};
use crate::scalar::Scalar;
use crate::step::{
    Buffers, correlate_input, descend, forward_half, loss, matrix, matrix_mut, sum_all,
};
use crate::trace::{
    CheckedEntry, Collector, GradientCheck, Mistake, Operand, Recipe, Recorder, Section, Sym, Term,
    Trace, untraced,
};

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
    /// Print `∂L/∂x` of a network's input (`input_grad: true` in `train!`); the layers
    /// after the first always print theirs, and an upstream gradient prints it anyway.
    pub input_grad: bool,
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

    /// With or without `∂L/∂x` of a network's input.
    #[must_use]
    pub const fn input_grad(mut self, on: bool) -> Self {
        self.input_grad = on;
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
    /// After step `trace.taken − 1`, taken from `params` (its filter and bias) and written out
    /// in full: its outcome is in `outcome`.
    #[allow(clippy::too_many_arguments)]
    fn after_step(
        &self,
        trace: &mut Trace<S>,
        layer: &Layer,
        input: &[[S; W]; H],
        params: (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        lr: S,
        outcome: &Buffers<S>,
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
        _: (&[[S; KW]; KH], Option<S>),
        _: &[[S; OW]; OH],
        _: S,
        _: &Buffers<S>,
    ) {
    }
}

impl<
    S: Scalar,
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
        params: (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        lr: S,
        s: &Buffers<S>,
    ) {
        // Every step written out is checked: the first ones and, in a long run, the last.
        let k = trace.taken - 1;
        if self.finite_differences {
            trace.checks.push(check_gradient(k, layer, input, params, target, s));
        }
        if self.mistakes && k == 0 {
            let first = &trace.steps[0];
            trace.mistakes = mistakes(layer, input, params, target, lr, s, first);
        }
    }
}

/// The relative step of the central differences: `h = 10⁻⁶·max(1, |largest parameter|)`.
const RELATIVE_H: f64 = 1e-6;

fn abs<S: Scalar>(v: S) -> S {
    if v < S::ZERO { -v } else { v }
}

/// The loss at other parameters, untraced; `scratch` holds the forward pass.
fn loss_at<
    S: Scalar,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    params: (&[[S; KW]; KH], Option<S>),
    target: &[[S; OW]; OH],
    scratch: &mut Buffers<S>,
) -> S {
    forward_half::<S, _, H, W, KH, KW, OH, OW>(layer, input, params, &mut untraced::<S>(), scratch);
    loss(layer, matrix(scratch.y()), target, &mut untraced::<S>())
}

/// Central differences for every parameter of one step, taken from `(filter, bias)` with the
/// outcome `s`.
fn check_gradient<
    S: Scalar,
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
    (filter, bias): (&[[S; KW]; KH], Option<S>),
    target: &[[S; OW]; OH],
    s: &Buffers<S>,
) -> GradientCheck<S> {
    let largest = filter
        .as_flattened()
        .iter()
        .chain(&bias)
        .fold(S::ONE, |m, &v| if abs(v) > m { abs(v) } else { m });
    let h = S::from_f64(RELATIVE_H) * largest;
    let kinked = layer.activation.kink();
    let z: &[[S; OW]; OH] = matrix(s.z());
    let grads: &[[S; KW]; KH] = matrix(s.filter_grad());
    // One parameter at a time is moved by ±h in a copy of them, and put back.
    let mut probe = filter.as_flattened().to_vec();
    let probe: &mut [[S; KW]; KH] = matrix_mut(&mut probe);
    let mut scratch = Buffers::new(OH * OW, KH * KW);
    let mut entries = Vec::with_capacity(KH * KW + 1);
    let difference = |plus: S, minus: S| (plus - minus) / (S::from_usize(2) * h);
    for i in 0..KH {
        for j in 0..KW {
            let w = filter[i][j];
            probe[i][j] = w + h;
            let loss_plus = loss_at(layer, input, (probe, bias), target, &mut scratch);
            probe[i][j] = w - h;
            let loss_minus = loss_at(layer, input, (probe, bias), target, &mut scratch);
            probe[i][j] = w;
            let central = difference(loss_plus, loss_minus);
            // w[i,j] moves z[p,q] by h·x at each output it reaches.
            let offset = layer.filter_entry((i, j), (KH, KW));
            let kink = kinked.and_then(|f| {
                outputs(OH, OW).find_map(|(p, q)| {
                    let (r, c) = layer.source((p, q), offset, (H, W))?;
                    let x = input[r][c];
                    (x != S::ZERO && abs(z[p][q]) <= h * abs(x))
                        .then(|| (Operand::new(Sym::z(p, q), z[p][q]), f))
                })
            });
            let grad = Operand::new(Sym::grad_w(i, j), grads[i][j]);
            let difference = abs(grad.value - central);
            entries.push(CheckedEntry { grad, loss_plus, loss_minus, central, difference, kink });
        }
    }
    if let (Some(b), Some(g)) = (bias, s.bias_grad) {
        let loss_plus = loss_at(layer, input, (filter, Some(b + h)), target, &mut scratch);
        let loss_minus = loss_at(layer, input, (filter, Some(b - h)), target, &mut scratch);
        let central = difference(loss_plus, loss_minus);
        let kink = kinked.and_then(|f| {
            outputs(OH, OW).find_map(|(p, q)| {
                (abs(z[p][q]) <= h).then(|| (Operand::new(Sym::z(p, q), z[p][q]), f))
            })
        });
        let grad = Operand::new(Sym::grad_b(), g);
        let difference = abs(g - central);
        entries.push(CheckedEntry { grad, loss_plus, loss_minus, central, difference, kink });
    }
    GradientCheck { step, h, entries }
}

fn outputs(oh: usize, ow: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..oh).flat_map(move |p| (0..ow).map(move |q| (p, q)))
}

/// The value an equation of `section` recorded for each entry of kind `kind`, `rows × cols`
/// of them, flat.
fn recorded<S: Scalar>(
    section: &Section<S>,
    kind: fn(usize, usize) -> Sym,
    (rows, cols): (usize, usize),
) -> Vec<S> {
    let mut values = vec![S::ZERO; rows * cols];
    for eq in &section.equations {
        if let Some((p, q)) = eq.lhs.index()
            && kind(p, q) == eq.lhs
            && p < rows
            && q < cols
        {
            values[p * cols + q] = eq.value;
        }
    }
    values
}

/// Each wrong recipe applied to the first step: the learner's gradient, the update it gives,
/// and the forward pass and loss with the parameters it gives. The step was taken from
/// `params` with the outcome `s`; `first` is its recorded section, from which `∂L/∂y` and
/// `f′(z)` are read. Every matrix is on the heap, as in the training run.
fn mistakes<
    S: Scalar,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    params: (&[[S; KW]; KH], Option<S>),
    target: &[[S; OW]; OH],
    lr: S,
    s: &Buffers<S>,
    first: &Section<S>,
) -> Vec<Mistake<S>> {
    let dy = recorded(first, Sym::dy, (OH, OW));
    let slope = recorded(first, Sym::slope, (OH, OW));
    let (dy, slope): (&[[S; OW]; OH], &[[S; OW]; OH]) = (matrix(&dy), matrix(&slope));
    let (y, delta): (&[[S; OW]; OH], &[[S; OW]; OH]) = (matrix(s.y()), matrix(s.delta()));
    let with_bias = params.1.is_some();
    let (mut signal, mut g) = (vec![S::ZERO; OH * OW], vec![S::ZERO; KH * KW]);
    let mut next = g.clone();
    let signal: &mut [[S; OW]; OH] = matrix_mut(&mut signal);
    let g: &mut [[S; KW]; KH] = matrix_mut(&mut g);
    let next: &mut [[S; KW]; KH] = matrix_mut(&mut next);
    let mut after = Buffers::new(OH * OW, KH * KW);
    Recipe::ALL
        .into_iter()
        .map(|recipe| {
            let mut rec = Collector::default();
            let (gb, bias_sym) = match recipe {
                Recipe::SignFlip => {
                    let scale = layer.loss.grad_scale(OH * OW);
                    for p in 0..OH {
                        for q in 0..OW {
                            let (t, y) = (target[p][q], y[p][q]);
                            let e = scale.apply(t - y);
                            rec.term(Term::Diff(
                                Operand::new(Sym::t(p, q), t),
                                Operand::new(Sym::y(p, q), y),
                            ));
                            rec.sum(Sym::error(p, q), scale, e);
                            signal[p][q] = e * slope[p][q];
                            rec.term(Term::Product(
                                Operand::new(Sym::error(p, q), e),
                                Operand::new(Sym::slope(p, q), slope[p][q]),
                            ));
                            rec.sum(Sym::signal(p, q), Scale::ONE, signal[p][q]);
                        }
                    }
                    correlate_input(layer, input, signal, Sym::signal, Sym::g, &mut rec, g);
                    let gb = with_bias.then(|| sum_all(signal, Sym::signal, Sym::gb(), &mut rec));
                    (gb, Sym::gb())
                }
                Recipe::NoActivationDerivative => {
                    correlate_input(layer, input, dy, Sym::dy, Sym::g, &mut rec, g);
                    let gb = with_bias.then(|| sum_all(dy, Sym::dy, Sym::gb(), &mut rec));
                    (gb, Sym::gb())
                }
                Recipe::FlippedKernel => {
                    let kernel = match layer.kernel {
                        Kernel::Correlation => Kernel::Convolution,
                        Kernel::Convolution => Kernel::Correlation,
                    };
                    let other = Layer { kernel, ..*layer };
                    correlate_input(&other, input, delta, Sym::delta, Sym::g, &mut rec, g);
                    // The bias gradient does not depend on the orientation.
                    (s.bias_grad, Sym::grad_b())
                }
            };
            let next_bias = descend(params, (g, gb), (Sym::g, bias_sym), lr, &mut rec, next);
            forward_half::<S, _, H, W, KH, KW, OH, OW>(
                layer,
                input,
                (next, next_bias),
                &mut rec,
                &mut after,
            );
            let loss_after = loss(layer, matrix(after.y()), target, &mut rec);
            Mistake {
                recipe,
                section: Section { step: None, equations: rec.equations },
                loss_after,
            }
        })
        .collect()
}
