//! A whole training run with its recorded derivation.

use core::fmt;
use std::sync::Arc;

use crate::extras::{Extras, Sections};
use crate::layer::{Layer, SpecError};
use crate::rational::outgrown;
use crate::render::{self, Form};
use crate::scalar::Scalar;
use crate::step::{
    Buffers, Params, all_finite, backward_half, forward_half, input_grad, loss, matrix, step_into,
};
use crate::trace::{Given, Grid, Switch, Trace, untraced};

/// The most steps [`train`] takes. A run keeps, for each step, only its starting parameters
/// and its loss (`8·(KH·KW + 2)` bytes in `f64`, 16 more for its [`Step`] handle), and the
/// recorded equations and the text stay the same size however many steps are taken.
/// `train!` allows at most 100,000.
pub const MAX_STEPS: usize = 1_000_000;

/// What a run keeps to give back the numbers of every step: the problem (the layer, the
/// input, the target), and each step's starting parameters and loss. Everything else a step
/// computed is computed again, with the same code, when it is asked for.
///
/// Flat and generic over the scalar only: its code is compiled once, not for every shape.
pub(crate) struct Run<S> {
    pub(crate) layer: Layer,
    /// The input, row by row, and its rows and columns.
    pub(crate) input: Vec<S>,
    input_shape: (usize, usize),
    /// The target, row by row (its shape is the derivation's type's).
    pub(crate) target: Vec<S>,
    /// Computes a step again from its parameters: the step functions for the run's shapes,
    /// which a derivation's type does not all carry (see [`replay`]).
    replay: Replay<S>,
    /// `KH·KW` and `OH·OW`.
    filter_len: usize,
    /// `(KH, KW)`.
    filter_shape: (usize, usize),
    outputs: usize,
    /// Whether the layer has a bias term: then each parameter set ends with it.
    with_bias: bool,
    /// The starting parameters of every step, then the final ones: the filter's entries row
    /// by row, then the bias if there is one.
    params: Vec<S>,
    /// The loss of every step, at its starting parameters.
    losses: Vec<S>,
}

/// Computes a step again from its parameters (the filter's entries, the bias) into buffers:
/// the forward pass, and the backward pass too when asked, with the code that took it.
pub(crate) type Replay<S> =
    Box<dyn Fn(&Run<S>, (&[S], Option<S>), &mut Buffers<S>, bool) + Send + Sync>;

/// How a run takes its steps: the single layer's step functions ([`StepFunctions`]), or the
/// ops of its shorthand network (`crate::shorthand`). Each records into the trace when one is
/// given, the same equations in the same order either way.
pub(crate) trait Steps<
    S,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>
{
    /// One step from `from`, its numbers left in `b`.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        layer: &Layer,
        input: &[[S; W]; H],
        from: (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        lr: S,
        trace: Option<&mut Trace<S>>,
        b: &mut Buffers<S>,
    );

    /// The forward pass and the loss at `to`, recorded; `y` left in `b`.
    fn after(
        &mut self,
        layer: &Layer,
        input: &[[S; W]; H],
        to: (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        trace: &mut Trace<S>,
        b: &mut Buffers<S>,
    ) -> S;

    /// How the run's steps are computed again.
    fn replay(&self) -> Replay<S>;
}

/// The single layer's step functions (`step.rs`), with settings read at run time: what
/// [`train`] takes its steps with.
pub(crate) struct StepFunctions;

impl<
    S: Scalar,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> Steps<S, H, W, KH, KW, OH, OW> for StepFunctions
{
    fn step(
        &mut self,
        layer: &Layer,
        input: &[[S; W]; H],
        from: (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        lr: S,
        trace: Option<&mut Trace<S>>,
        b: &mut Buffers<S>,
    ) {
        match trace {
            Some(trace) => step_into(layer, input, from, target, lr, &mut Switch(Some(trace)), b),
            None => step_into(layer, input, from, target, lr, &mut untraced::<S>(), b),
        }
    }

    fn after(
        &mut self,
        layer: &Layer,
        input: &[[S; W]; H],
        to: (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        trace: &mut Trace<S>,
        b: &mut Buffers<S>,
    ) -> S {
        let mut rec = Switch(Some(trace));
        forward_half::<S, _, H, W, KH, KW, OH, OW>(layer, input, to, &mut rec, b);
        loss(layer, matrix::<S, OH, OW>(b.y()), target, &mut rec)
    }

    fn replay(&self) -> Replay<S> {
        Box::new(replay::<S, H, W, KH, KW, OH, OW>)
    }
}

/// The [`Replay`] of an `H×W` input: the same step functions as the training run, without
/// recording anything, so the values are the bits the run produced (and printed).
fn replay<
    S: Scalar,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    run: &Run<S>,
    (filter, bias): (&[S], Option<S>),
    b: &mut Buffers<S>,
    backward: bool,
) {
    let input: &[[S; W]; H] = matrix(&run.input);
    let params = (matrix::<S, KH, KW>(filter), bias);
    forward_half::<S, _, H, W, KH, KW, OH, OW>(&run.layer, input, params, &mut untraced::<S>(), b);
    if backward {
        let target: &[[S; OW]; OH] = matrix(&run.target);
        backward_half::<S, _, H, W, KH, KW, OH, OW>(
            &run.layer,
            input,
            target,
            bias.is_some(),
            &mut untraced::<S>(),
            b,
        );
    }
}

impl<S: Scalar> Run<S> {
    /// A parameter set (or its gradients), named as PyTorch names the shorthand's.
    fn named(&self, (filter, bias): (&[S], Option<S>)) -> Vec<(String, Vec<usize>, Vec<S>)> {
        let (kh, kw) = self.filter_shape;
        let mut out = vec![("0.weight".to_owned(), vec![1, 1, kh, kw], filter.to_vec())];
        if self.with_bias {
            out.push(("0.bias".to_owned(), vec![1], bias.into_iter().collect()));
        }
        out
    }

    /// Entries per parameter set.
    fn stride(&self) -> usize {
        self.filter_len + usize::from(self.with_bias)
    }

    /// Parameter set `k`: step `k`'s starting parameters, or the final ones after the last
    /// step, as the filter's entries and the bias.
    fn params(&self, k: usize) -> (&[S], Option<S>) {
        let set = &self.params[k * self.stride()..(k + 1) * self.stride()];
        let (filter, bias) = set.split_at(self.filter_len);
        (filter, bias.first().copied())
    }

    /// Step `k` computed again, the backward pass too when asked.
    fn step(&self, k: usize, backward: bool) -> Buffers<S> {
        let mut b = Buffers::new(self.outputs, self.filter_len);
        (self.replay)(self, self.params(k), &mut b, backward);
        b
    }

    /// Whether `other` is the same problem: then the same parameters give the same numbers.
    fn same_problem(&self, other: &Self) -> bool {
        self.layer == other.layer
            && self.input_shape == other.input_shape
            && self.input == other.input
            && self.target == other.target
    }

    /// Whether `other` is the same problem with the same steps.
    fn same_steps(&self, other: &Self) -> bool {
        self.same_problem(other)
            && self.with_bias == other.with_bias
            && self.params == other.params
            && self.losses == other.losses
    }
}

/// The numbers of one gradient-descent step.
///
/// A step keeps only what it started from, its filter and bias, and its loss; the accessors
/// that give the rest (`z`, `y`, `δ`, the gradients) compute it again from those parameters,
/// with the same step functions the run used, so they return the very values the derivation
/// printed, bit for bit. So a run of a million steps keeps a few hundred bytes a step, not
/// every step's matrices. Each such accessor costs one forward pass (and a backward pass for
/// `δ` and the gradients): keep the matrix rather than asking again in a loop.
///
/// A step is a handle, two words: the run it belongs to (shared) and its number. It can be
/// cloned and kept after its [`Derivation`] is dropped; two steps are equal when all their
/// numbers are; `Debug` shows what it keeps.
///
/// ```
/// let d = cnn_bp_core::train! {
///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
///     filter: [[1, -1], [1, 1]],
///     target: [[1, 0], [0, 1]],
///     lr: 0.1,
///     activation: linear,
///     steps: 30,
/// };
/// assert!(d.to_string().contains("Steps 6 to 29\n")); // not written out …
/// let steps = d.steps();
/// let (s, next) = (&steps[11], &steps[12]); // … but every step has all its numbers
/// let (w, g) = (s.filter(), s.filter_grad());
/// assert_eq!(next.filter()[1][0], w[1][0] - 0.1 * g[1][0]);
/// assert_eq!(s.output(), s.activated()); // linear
/// ```
#[derive(Clone)]
pub struct Step<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64> {
    run: Arc<Run<S>>,
    /// The step, from 0.
    index: usize,
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar>
    Step<KH, KW, OH, OW, S>
{
    /// The filter this step used (before its update).
    pub fn filter(&self) -> [[S; KW]; KH] {
        *matrix(self.run.params(self.index).0)
    }

    /// The bias this step used (before its update); `None` without a bias term.
    pub fn bias(&self) -> Option<S> {
        self.run.params(self.index).1
    }

    /// `z = X ⋆ W + b`, before the activation.
    pub fn output(&self) -> [[S; OW]; OH] {
        *matrix(self.run.step(self.index, false).z())
    }

    /// `y = f(z)`.
    pub fn activated(&self) -> [[S; OW]; OH] {
        *matrix(self.run.step(self.index, false).y())
    }

    /// The loss at this step's parameters, before its update.
    pub fn loss(&self) -> S {
        self.run.losses[self.index]
    }

    /// `δ = ∂L/∂z`.
    pub fn delta(&self) -> [[S; OW]; OH] {
        *matrix(self.run.step(self.index, true).delta())
    }

    /// `∂L/∂W`.
    pub fn filter_grad(&self) -> [[S; KW]; KH] {
        *matrix(self.run.step(self.index, true).filter_grad())
    }

    /// `∂L/∂b`; `None` without a bias term.
    pub fn bias_grad(&self) -> Option<S> {
        self.run.step(self.index, true).bias_grad
    }

    /// The parameters this step started from, named and shaped as PyTorch names a network
    /// of the layer's shorthand `[conv, activation]`: `"0.weight"` `[1, 1, KH, KW]` and,
    /// with a bias, `"0.bias"` `[1]`; values row-major. (As
    /// [`NetStep::named_parameters`](crate::network::NetStep::named_parameters).)
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     filter: [[1, -1], [1, 1]],
    ///     target: [[1, 0], [0, 1]],
    ///     lr: 0.5,
    /// };
    /// let s = &d.steps()[0];
    /// assert_eq!(s.named_parameters(), [("0.weight".to_owned(), vec![1, 1, 2, 2], vec![1.0, -1.0, 1.0, 1.0])]);
    /// assert_eq!(s.named_grads()[0].2, [2.0, -2.0, 0.0, 2.0]);
    /// ```
    pub fn named_parameters(&self) -> Vec<(String, Vec<usize>, Vec<S>)> {
        self.run.named(self.run.params(self.index))
    }

    /// `∂L/∂` each of [`named_parameters`](Self::named_parameters): the same names, shapes and
    /// order.
    pub fn named_grads(&self) -> Vec<(String, Vec<usize>, Vec<S>)> {
        let b = self.run.step(self.index, true);
        self.run.named((b.filter_grad(), b.bias_grad))
    }

    /// Every layer's output of the shorthand, with its shape: `z` as `[1, OH, OW]`, then `y`
    /// (the activation's layer) unless the activation is linear, which is no layer.
    pub fn layer_outputs(&self) -> Vec<(Vec<usize>, Vec<S>)> {
        let b = self.run.step(self.index, false);
        let shape = vec![1, OH, OW];
        let mut out = vec![(shape.clone(), b.z().to_vec())];
        if !self.run.layer.activation.is_identity() {
            out.push((shape, b.y().to_vec()));
        }
        out
    }

    /// `∂L/∂` each layer's input, in order: `∂L/∂X` of the input, `[1, H, W]`, then `δ`,
    /// `[1, OH, OW]`, the gradient of the activation's input, unless the activation is linear.
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     filter: [[1, -1], [1, 1]],
    ///     target: [[1, 0], [0, 1]],
    ///     lr: 0.5,
    /// };
    /// let grads = d.steps()[0].input_grads();
    /// // δ = [[2, 0], [0, 0]]: ∂L/∂X is the full convolution of δ with the rotated filter.
    /// assert_eq!(grads[0], (vec![1, 3, 3], vec![2.0, -2.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0]));
    /// assert_eq!(grads[1].1, [2.0, 0.0, 0.0, 0.0]);
    /// ```
    pub fn input_grads(&self) -> Vec<(Vec<usize>, Vec<S>)> {
        let b = self.run.step(self.index, true);
        let (h, w) = self.run.input_shape;
        let layer = &self.run.layer;
        let dx =
            input_grad(layer, b.delta(), self.run.params(self.index).0, (KH, KW), (OH, OW), (h, w));
        let mut out = vec![(vec![1, h, w], dx)];
        if !layer.activation.is_identity() {
            out.push((vec![1, OH, OW], b.delta().to_vec()));
        }
        out
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> fmt::Debug
    for Step<KH, KW, OH, OW, S>
{
    /// What the step keeps: its number (from 0), parameters and loss.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Step")
            .field("step", &self.index)
            .field("filter", &self.filter())
            .field("bias", &self.bias())
            .field("loss", &self.loss())
            .finish_non_exhaustive()
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> PartialEq
    for Step<KH, KW, OH, OW, S>
{
    /// Two steps are equal when all their numbers are: the parameters, the loss, `z`, `y`,
    /// `δ` and the gradients. Of the same problem, equal parameters give equal numbers.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.run.params(self.index), other.run.params(other.index));
        let numbers = |s: &Self| {
            let (fwd, bwd) = (s.run.step(s.index, false), s.run.step(s.index, true));
            (
                fwd.z().to_vec(),
                fwd.y().to_vec(),
                bwd.delta().to_vec(),
                bwd.filter_grad().to_vec(),
                bwd.bias_grad,
            )
        };
        a == b
            && self.loss() == other.loss()
            && (Arc::ptr_eq(&self.run, &other.run)
                || self.run.same_problem(&other.run)
                || numbers(self) == numbers(other))
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
#[derive(Clone)]
pub struct Derivation<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64> {
    run: Arc<Run<S>>,
    steps: Vec<Step<KH, KW, OH, OW, S>>,
    loss_after: S,
    trace: Trace<S>,
    form: Form,
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar>
    Derivation<KH, KW, OH, OW, S>
{
    /// The steps taken, in order. Fewer than asked for only if a value stopped being finite.
    ///
    /// Every step has all its numbers, written out in the derivation or not; each keeps its
    /// starting parameters and loss and computes the rest when asked (see [`Step`]).
    pub fn steps(&self) -> &[Step<KH, KW, OH, OW, S>] {
        &self.steps
    }

    /// The filter after the last update.
    pub fn filter(&self) -> [[S; KW]; KH] {
        *matrix(self.run.params(self.steps.len()).0)
    }

    /// The bias after the last update; `None` without a bias term.
    pub fn bias(&self) -> Option<S> {
        self.run.params(self.steps.len()).1
    }

    /// The parameters after the last update, named as [`Step::named_parameters`] names them.
    pub fn named_parameters(&self) -> Vec<(String, Vec<usize>, Vec<S>)> {
        self.run.named(self.run.params(self.steps.len()))
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Copy>
    Derivation<KH, KW, OH, OW, S>
{
    /// The loss of the final parameters (one more forward pass after the last update).
    pub const fn loss_after(&self) -> S {
        self.loss_after
    }

    /// The recorded equations, for renderers of your own.
    pub const fn trace(&self) -> &Trace<S> {
        &self.trace
    }

    /// How the renderers write equations: [`Form::Numeric`] unless changed by
    /// [`with_form`](Self::with_form) or `show: symbolic` in `train!`.
    pub const fn form(&self) -> Form {
        self.form
    }

    /// The same derivation, rendered in another form.
    ///
    /// ```
    /// use cnn_bp_core::Form;
    ///
    /// let d = cnn_bp_core::train! {
    ///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     filter: [[1, -1], [1, 1]],
    ///     target: [[1, 0], [0, 1]],
    ///     lr: 0.5,
    /// }
    /// .with_form(Form::Symbolic);
    /// let text = d.to_string();
    /// // Symbols first, for every entry of a stage …
    /// assert!(text.contains("y[0,0] = max(0, z[0,0])"));
    /// assert!(text.contains("δ[0,0] = ∂L/∂y[0,0]·f′(z[0,0])"));
    /// assert!(text.contains("w[0,0] ← w[0,0] − η·∂L/∂w[0,0]"));
    /// // … then the numbers.
    /// assert!(text.contains("y[0,0] = max(0, 3) = 3"));
    /// ```
    #[must_use]
    pub const fn with_form(mut self, form: Form) -> Self {
        self.form = form;
        self
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> fmt::Debug
    for Derivation<KH, KW, OH, OW, S>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Derivation")
            .field("steps", &self.steps)
            .field("filter", &self.filter())
            .field("bias", &self.bias())
            .field("loss_after", &self.loss_after)
            .field("trace", &self.trace)
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> PartialEq
    for Derivation<KH, KW, OH, OW, S>
{
    /// Equal when every step's numbers, the final parameters and loss, the recorded
    /// derivation and the form are.
    fn eq(&self, other: &Self) -> bool {
        (Arc::ptr_eq(&self.run, &other.run) || self.run.same_steps(&other.run))
            && self.loss_after == other.loss_after
            && self.form == other.form
            && self.trace == other.trace
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar>
    Derivation<KH, KW, OH, OW, S>
{
    /// The derivation in LaTeX for MathJax or KaTeX pages (or a LaTeX document with amsmath):
    /// prose as paragraphs with inline math in `\( \)`, each run of equations as an
    /// `aligned` block in `\[ \]`, matrices as `bmatrix`, the summary as an `array`.
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     filter: [[1, -1], [1, 1]],
    ///     target: [[1, 0], [0, 1]],
    ///     lr: 0.5,
    /// };
    /// let latex = d.to_latex();
    /// assert!(latex.contains(r"z_{0,0} &= x_{0,0}\cdot w_{0,0}"));
    /// assert!(latex.contains(r"\begin{bmatrix} 3 & 0 \\ -2 & 1 \end{bmatrix}"));
    /// ```
    pub fn to_latex(&self) -> String {
        render::latex(&self.trace, self.form)
    }

    /// The derivation as GitHub-flavoured Markdown: a heading per step and stage, math in
    /// `$…$` and `$$…$$`, notes as quotes, the per-step summary as a table.
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     filter: [[1, -1], [1, 1]],
    ///     target: [[1, 0], [0, 1]],
    ///     lr: 0.5,
    ///     steps: 2,
    /// };
    /// let md = d.to_markdown();
    /// assert!(md.contains("## Step 1"));
    /// assert!(md.contains("| step | $L$ | $w_{0,0}$ |"));
    /// ```
    pub fn to_markdown(&self) -> String {
        render::markdown(&self.trace, self.form)
    }

    /// The derivation as one self-contained HTML5 page (no network access, no external
    /// files): every equation of the text in the same order, as MathML Core; every matrix a
    /// grid coloured by value with its numbers printed; the layer as a row of boxes at the
    /// top; for several steps the loss per step as an SVG chart; hovering over (or focusing)
    /// an entry or an equation highlights the entries its equation used.
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     filter: [[1, -1], [1, 1]],
    ///     target: [[1, 0], [0, 1]],
    ///     lr: 0.5,
    /// };
    /// let page = d.to_html();
    /// assert!(page.starts_with("<!DOCTYPE html>"));
    /// assert!(page.contains("<math display=\"block\">"));
    /// assert!(!page.contains("http"));
    /// ```
    pub fn to_html(&self) -> String {
        let g = &self.trace.given;
        let ((h, w), (kh, kw)) = (g.input.shape(), g.filter.shape());
        let mut layers = vec![
            ("x".to_owned(), format!("{h}×{w}")),
            (format!("conv {kh}×{kw}"), format!("{OH}×{OW}")),
        ];
        if g.layer.activation != crate::Activation::Linear {
            layers.push((g.layer.activation.name().to_owned(), format!("{OH}×{OW}")));
        }
        let losses = self
            .steps
            .iter()
            .map(|s| s.loss().to_f64())
            .chain(core::iter::once(self.loss_after.to_f64()))
            .collect();
        render::html(&self.trace, self.form, &render::Figure { layers, losses })
    }

    /// Re-evaluates every printed equation from its printed operands, at the printed
    /// precision, and reports each one whose printed result does not follow.
    ///
    /// An operand printed unrounded counts as exactly that decimal, a rounded one as anything
    /// within half a unit of its last digit. An equation printed with `=` must hold exactly
    /// on the printed decimals; one printed with `≈` must hold within the printed precision.
    /// This guards the promise that each number can be checked by hand from what is printed.
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     filter: [[1, -1], [1, 1]],
    ///     target: [[1, 0], [0, 1]],
    ///     lr: 0.5,
    ///     activation: sigmoid,
    ///     mistakes: true,
    /// };
    /// let checked = d.verify()?;
    /// assert!(checked.equations > 50);
    /// # Ok::<(), cnn_bp_core::VerifyError>(())
    /// ```
    ///
    /// # Errors
    /// A [`VerifyError`](crate::VerifyError) listing each mismatch: where, which entry, what the printed operands
    /// give and what is printed.
    pub fn verify(&self) -> Result<render::Verified, render::VerifyError> {
        render::verify(&self.trace)
    }
}

impl<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S: Scalar> fmt::Display
    for Derivation<KH, KW, OH, OW, S>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render::text(&self.trace, self.form))
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
/// A [`SpecError`] when the learning rate is not positive and finite, `steps` is 0 or more
/// than [`MAX_STEPS`], or the
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
    S: Scalar,
{
    settings_fit(layer, lr, steps, (H, W), (KH, KW), (OH, OW))?;
    Ok(run(layer, lr, steps, input, start, target, &(), &mut StepFunctions))
}

/// [`train`], with optional sections appended: a finite-difference check of every step's
/// gradient, and the learner's common mistakes applied to the first step (see [`Extras`]).
///
/// # Errors
/// As [`train`].
pub fn train_with<
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
    extras: Extras,
) -> Result<Derivation<KH, KW, OH, OW, S>, SpecError>
where
    S: Scalar,
{
    settings_fit(layer, lr, steps, (H, W), (KH, KW), (OH, OW))?;
    Ok(run(layer, lr, steps, input, start, target, &extras, &mut StepFunctions))
}

/// The run-time checks of [`train`] and [`train_with`].
fn settings_fit<S: Scalar>(
    layer: &Layer,
    lr: S,
    steps: usize,
    input: (usize, usize),
    filter: (usize, usize),
    output: (usize, usize),
) -> Result<(), SpecError> {
    if !(lr.is_finite() && lr > S::ZERO) {
        return Err(SpecError::LearningRate(lr.to_f64()));
    }
    if steps == 0 {
        return Err(SpecError::ZeroSteps);
    }
    if steps > MAX_STEPS {
        return Err(SpecError::TooManySteps(steps));
    }
    if layer.activation.slope_from_output() && S::functions().is_none() {
        return Err(SpecError::NeedsFloat);
    }
    layer.check(input, filter, output)
}

/// [`train_with`] without the checks, for callers that have made them already (`train!` makes
/// them at compile time).
///
/// Only the steps that are written out are recorded: every step of a run of at most
/// [`FULL_STEPS`](crate::FULL_STEPS), else the first [`HEAD_STEPS`](crate::HEAD_STEPS) and the
/// last. The others run the numeric path (plain loops with [`NoTrace`](crate::NoTrace) in
/// optimized builds; see `trace::untraced` for debug builds) and keep only their starting
/// parameters and loss; one that produces a value that is not finite stops the run
/// and is run again, recorded, from the same parameters (the two give the same bits), so
/// that the derivation names that value. Every matrix of a step lives in buffers on the heap,
/// allocated once, so that no spec, however large, overflows the stack.
#[allow(clippy::too_many_arguments)]
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
    sections: &impl Sections<S, H, W, KH, KW, OH, OW>,
    stepper: &mut impl Steps<S, H, W, KH, KW, OH, OW>,
) -> Derivation<KH, KW, OH, OW, S>
where
    S: Scalar,
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
    let with_bias = start.bias.is_some();
    let stride = KH * KW + usize::from(with_bias);
    // Reserved, not touched: only the sets written use memory.
    let reserve = steps.saturating_add(1).min(1 << 20);
    let mut params = Vec::with_capacity(reserve.saturating_mul(stride).min(1 << 24));
    let mut losses = Vec::with_capacity(reserve);
    let mut filter = start.filter.as_flattened().to_vec();
    let mut bias = start.bias;
    let mut b = Buffers::new(OH * OW, KH * KW);
    let mut finite = all_finite(input.as_flattened())
        && all_finite(target.as_flattened())
        && all_finite(&filter)
        && bias.is_none_or(Scalar::is_finite);
    while finite && trace.taken < steps {
        let k = trace.taken;
        let from = (matrix::<S, KH, KW>(&filter), bias);
        let written = trace.keeps(k) || k + 1 == steps;
        // An exact run whose updated parameters have grown past reading stops too.
        let grown = |b: &Buffers<S>| outgrown(b.next().iter().copied().chain(b.next_bias));
        if written {
            trace.begin_step();
            stepper.step(layer, input, from, target, lr, Some(&mut trace), &mut b);
            finite = b.all_finite();
        } else {
            stepper.step(layer, input, from, target, lr, None, &mut b);
            finite = b.all_finite() && grown(&b).is_none();
            if finite {
                trace.skip_step();
            } else {
                // The step that stops training is written out: taken again, recorded.
                trace.begin_step();
                stepper.step(layer, input, from, target, lr, Some(&mut trace), &mut b);
            }
        }
        if written || !finite {
            sections.after_step(&mut trace, layer, input, from, target, lr, &b);
        }
        params.extend_from_slice(&filter);
        params.extend(bias);
        losses.push(b.loss);
        trace.summarise(b.loss, &params[params.len() - stride..]);
        filter.copy_from_slice(b.next());
        bias = b.next_bias;
        if let Some(digits) = grown(&b).filter(|_| b.all_finite()) {
            trace.outgrown = Some(digits);
            finite = false;
        }
    }
    trace.stopped_early = trace.taken < steps;
    trace.end_steps();
    trace.begin_after();
    let to = (matrix::<S, KH, KW>(&filter), bias);
    let loss_after = stepper.after(layer, input, to, target, &mut trace, &mut b);
    params.extend_from_slice(&filter);
    params.extend(bias);
    let run = Arc::new(Run {
        layer: *layer,
        input: input.as_flattened().to_vec(),
        input_shape: (H, W),
        target: target.as_flattened().to_vec(),
        replay: stepper.replay(),
        filter_len: KH * KW,
        filter_shape: (KH, KW),
        outputs: OH * OW,
        with_bias,
        params,
        losses,
    });
    let mut handles = Vec::with_capacity(trace.taken);
    for index in 0..trace.taken {
        handles.push(Step { run: Arc::clone(&run), index });
    }
    Derivation { run, steps: handles, loss_after, trace, form: Form::Numeric }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Activation;

    /// What a run keeps for `steps` steps, in bytes: its parameter sets, losses and step
    /// handles (the trace is the same size however many steps are taken).
    fn kept_bytes(d: &Derivation<2, 2, 2, 2>) -> usize {
        (d.run.params.capacity() + d.run.losses.capacity()) * size_of::<f64>()
            + d.steps.capacity() * size_of::<Step<2, 2, 2, 2>>()
    }

    #[test]
    fn a_run_keeps_of_each_step_its_parameters_and_its_loss() {
        let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
        let t = [[1.0, 0.0], [0.0, 1.0]];
        let layer = Layer { activation: Activation::Linear, ..Layer::default() };
        for bias in [None, Some(0.5)] {
            let stride = 4 + usize::from(bias.is_some());
            let run = |steps| {
                let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias };
                train(&layer, 0.05, steps, &x, start, &t).expect("valid")
            };
            let (short, long) = (run(1_000), run(2_000));
            // The starting parameters of every step and the final ones; every loss.
            assert_eq!(long.run.params.len(), 2_001 * stride);
            assert_eq!(long.run.losses.len(), 2_000);
            // A step is a handle: the run and its number.
            assert_eq!(size_of::<Step<2, 2, 2, 2>>(), 2 * size_of::<usize>());
            // Each step more costs its parameters, its loss and its handle, nothing else.
            let per_step = (stride + 1) * size_of::<f64>() + size_of::<Step<2, 2, 2, 2>>();
            assert_eq!(kept_bytes(&long) - kept_bytes(&short), 1_000 * per_step);
        }
    }
}
