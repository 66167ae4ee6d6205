//! A whole training run with its recorded derivation.

use core::fmt;

use crate::layer::{Layer, SpecError};
use crate::scalar::{Float, Scalar};
use crate::step::{Params, forward, loss, step};
use crate::trace::{Given, Grid, Trace};

/// The numbers of one gradient-descent step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64> {
    filter: [[S; KW]; KH],
    bias: Option<S>,
    output: [[S; OW]; OH],
    activated: [[S; OW]; OH],
    loss: S,
    delta: [[S; OW]; OH],
    filter_grad: [[S; KW]; KH],
    bias_grad: Option<S>,
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Copy>
    Step<KH, KW, OH, OW, S>
{
    /// The filter this step used (before its update).
    pub const fn filter(&self) -> [[S; KW]; KH] {
        self.filter
    }

    /// The bias this step used (before its update); `None` without a bias term.
    pub const fn bias(&self) -> Option<S> {
        self.bias
    }

    /// `z = X ⋆ W + b`, before the activation.
    pub const fn output(&self) -> [[S; OW]; OH] {
        self.output
    }

    /// `y = f(z)`.
    pub const fn activated(&self) -> [[S; OW]; OH] {
        self.activated
    }

    /// The loss at this step's parameters, before its update.
    pub const fn loss(&self) -> S {
        self.loss
    }

    /// `δ = ∂L/∂z`.
    pub const fn delta(&self) -> [[S; OW]; OH] {
        self.delta
    }

    /// `∂L/∂W`.
    pub const fn filter_grad(&self) -> [[S; KW]; KH] {
        self.filter_grad
    }

    /// `∂L/∂b`; `None` without a bias term.
    pub const fn bias_grad(&self) -> Option<S> {
        self.bias_grad
    }
}

/// A training run: the numbers of every step and the derivation that produced them.
///
/// `Display` prints the whole derivation as plain text; every printed number is a value of the
/// computation itself, taken from its [`Trace`].
///
/// ```
/// let d = cnn_bp_core::train! {
///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
///     filter: [[1, -1], [1, 1]],
///     target: [[1, 0], [0, 1]],
///     lr: 0.5,
/// };
/// assert_eq!(d.steps()[0].loss(), 2.0);
/// assert_eq!(d.filter(), [[0.0, 0.0], [1.0, 0.0]]);
/// assert_eq!(d.loss_after(), 1.5);
/// assert!(d.to_string().contains("z[0,0] = x[0,0]·w[0,0] + x[0,1]·w[0,1] + x[1,0]·w[1,0] + x[1,1]·w[1,1]"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Derivation<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64> {
    steps: Vec<Step<KH, KW, OH, OW, S>>,
    filter: [[S; KW]; KH],
    bias: Option<S>,
    loss_after: S,
    trace: Trace<S>,
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Copy>
    Derivation<KH, KW, OH, OW, S>
{
    /// The steps taken, in order. Fewer than asked for only if a value stopped being finite.
    pub fn steps(&self) -> &[Step<KH, KW, OH, OW, S>] {
        &self.steps
    }

    /// The filter after the last update.
    pub const fn filter(&self) -> [[S; KW]; KH] {
        self.filter
    }

    /// The bias after the last update; `None` without a bias term.
    pub const fn bias(&self) -> Option<S> {
        self.bias
    }

    /// The loss of the final parameters (one more forward pass after the last update).
    pub const fn loss_after(&self) -> S {
        self.loss_after
    }

    /// The recorded equations, for renderers of your own.
    pub const fn trace(&self) -> &Trace<S> {
        &self.trace
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> fmt::Display
    for Derivation<KH, KW, OH, OW, S>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::render::text(&self.trace, crate::render::Form::Numeric))
    }
}

/// Trains one layer for `steps` gradient-descent steps from `start`, recording the derivation.
///
/// This is what `train!` expands to, minus the compile-time checks: here the settings and
/// shapes are checked when it runs.
///
/// ```
/// use cnn_bp_core::{Layer, Params, train};
///
/// let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
/// let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias: None };
/// let d = train(&Layer::default(), 0.5, 1, &x, start, &[[1.0, 0.0], [0.0, 1.0]])?;
/// assert_eq!(d.loss_after(), 1.5);
///
/// let wrong = train(&Layer::default(), 0.5, 1, &x, start, &[[1.0, 0.0, 0.0]]);
/// assert!(wrong.is_err());
/// # Ok::<(), cnn_bp_core::SpecError>(())
/// ```
///
/// # Errors
/// A [`SpecError`] when the learning rate is not positive and finite, `steps` is 0, or the
/// layer's settings do not fit the shapes.
pub fn train<
    S,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    lr: S,
    steps: usize,
    input: &[[S; W]; H],
    start: Params<KH, KW, S>,
    target: &[[S; OW]; OH],
) -> Result<Derivation<KH, KW, OH, OW, S>, SpecError>
where
    S: Float,
{
    if !(lr.is_finite() && lr > S::ZERO) {
        return Err(SpecError::LearningRate(lr.to_f64()));
    }
    if steps == 0 {
        return Err(SpecError::ZeroSteps);
    }
    layer.check((H, W), (KH, KW), (OH, OW))?;
    Ok(run(layer, lr, steps, input, start, target))
}

/// [`train`] without the checks, for callers that have made them already (`train!` makes
/// them at compile time).
pub(crate) fn run<
    S,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    lr: S,
    steps: usize,
    input: &[[S; W]; H],
    start: Params<KH, KW, S>,
    target: &[[S; OW]; OH],
) -> Derivation<KH, KW, OH, OW, S>
where
    S: Float,
{
    let mut trace = Trace::new(Given {
        input: Grid::from_array(input),
        filter: Grid::from_array(&start.filter),
        bias: start.bias,
        target: Grid::from_array(target),
        lr,
        steps,
        layer: *layer,
    });
    let mut params = start;
    let mut taken = Vec::with_capacity(steps.min(1024));
    let mut finite = all_finite(input) && all_finite(target) && params_finite(&params);
    while finite && taken.len() < steps {
        trace.begin_step();
        let s = step(layer, input, &params, target, lr, &mut trace);
        taken.push(Step {
            filter: params.filter,
            bias: params.bias,
            output: s.forward.z,
            activated: s.forward.y,
            loss: s.loss,
            delta: s.grads.delta,
            filter_grad: s.grads.filter,
            bias_grad: s.grads.bias,
        });
        finite = s.loss.is_finite()
            && all_finite(&s.forward.z)
            && all_finite(&s.forward.y)
            && all_finite(&s.grads.delta)
            && all_finite(&s.grads.filter)
            && s.grads.bias.is_none_or(Scalar::is_finite)
            && params_finite(&s.next);
        params = s.next;
    }
    trace.stopped_early = taken.len() < steps;
    trace.begin_after();
    let after = forward(layer, input, &params, &mut trace);
    let loss_after = loss(layer, &after.y, target, &mut trace);
    Derivation { steps: taken, filter: params.filter, bias: params.bias, loss_after, trace }
}

fn all_finite<S: Scalar, const C: usize, const R: usize>(matrix: &[[S; C]; R]) -> bool {
    matrix.iter().flatten().all(|v| v.is_finite())
}

fn params_finite<S: Scalar, const KH: usize, const KW: usize>(params: &Params<KH, KW, S>) -> bool {
    all_finite(&params.filter) && params.bias.is_none_or(Scalar::is_finite)
}
