//! A whole training run with its recorded derivation.

use core::fmt;

use crate::extras::{Extras, Sections};
use crate::layer::{Layer, SpecError};
use crate::render::{self, Form};
use crate::scalar::{Float, Scalar};
use crate::step::{Params, forward, loss, step};
use crate::trace::{Given, Grid, Trace};

/// The most steps [`train`] takes: every step's numbers are kept in [`Derivation::steps`]
/// (about a hundred bytes each for small shapes), while the recorded equations and the text
/// stay the same size however many steps are taken. `train!` allows at most 100,000.
pub const MAX_STEPS: usize = 1_000_000;

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
    form: Form,
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
    S: Float,
{
    settings_fit(layer, lr, steps, (H, W), (KH, KW), (OH, OW))?;
    Ok(run(layer, lr, steps, input, start, target, &()))
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
    S: Float,
{
    settings_fit(layer, lr, steps, (H, W), (KH, KW), (OH, OW))?;
    Ok(run(layer, lr, steps, input, start, target, &extras))
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
    layer.check(input, filter, output)
}

/// [`train_with`] without the checks, for callers that have made them already (`train!` makes
/// them at compile time).
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
        sections.after_step(&mut trace, layer, input, &params, target, lr, &s);
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
        // Plain loops and slices: iterator adapters over the const-generic arrays would be
        // compiled again for every shape (every `train!`).
        let mut row = Vec::with_capacity(KH * KW + 1);
        for filter_row in &params.filter {
            row.extend_from_slice(filter_row);
        }
        row.extend(params.bias);
        trace.summarise(s.loss, row);
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
    trace.end_steps();
    if let Some(last) = taken.last() {
        sections.after_run(&mut trace, layer, input, target, last);
    }
    trace.begin_after();
    let after = forward(layer, input, &params, &mut trace);
    let loss_after = loss(layer, &after.y, target, &mut trace);
    Derivation {
        steps: taken,
        filter: params.filter,
        bias: params.bias,
        loss_after,
        trace,
        form: Form::Numeric,
    }
}

fn all_finite<S: Scalar, const C: usize, const R: usize>(matrix: &[[S; C]; R]) -> bool {
    matrix.iter().flatten().all(|v| v.is_finite())
}

fn params_finite<S: Scalar, const KH: usize, const KW: usize>(params: &Params<KH, KW, S>) -> bool {
    all_finite(&params.filter) && params.bias.is_none_or(Scalar::is_finite)
}
