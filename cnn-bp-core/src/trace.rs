//! Recording a computation as the equations a person would write down.
//!
//! The step functions in [`crate::step`] report every value they compute to a [`Recorder`],
//! together with the operands it was computed from. [`NoTrace`] ignores the reports (every
//! method is an empty inline function, so the numeric path compiles to plain loops);
//! [`Trace`] keeps them as [`Equation`]s, from which the derivation is rendered. The printed
//! numbers are therefore the very values of the computation, never a second evaluation.

use std::collections::VecDeque;

use crate::layer::{Layer, Scale};
use crate::ops::{Activation, SlopeCase};

/// What a quantity of a derivation is, whatever its layer and indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Name {
    /// An input entry `x`.
    X,
    /// A filter entry `w`.
    W,
    /// A bias `b`.
    B,
    /// A target entry `t`.
    T,
    /// A convolution's output `z`, before any activation.
    Z,
    /// An activation's output `y`.
    Y,
    /// `∂L/∂y`.
    Dy,
    /// `f′(z)`.
    Slope,
    /// `f′(y)`: an activation's derivative at the output of an activation before it.
    SlopeY,
    /// `f′(x)`: an activation's derivative at a network's input.
    SlopeX,
    /// `f′(v)`: an activation's derivative at a flattened map.
    SlopeV,
    /// `δ = ∂L/∂z`.
    Delta,
    /// `∂L/∂w`.
    GradW,
    /// `∂L/∂b`.
    GradB,
    /// The loss `L`.
    Loss,
    /// The "error" `e = t − y` of a learner's recipe.
    Error,
    /// `δ̃`: what a learner's recipe sends back in place of `δ`.
    Signal,
    /// `g`: what a learner's recipe uses in place of `∂L/∂w`.
    G,
    /// `g_b`: what a learner's recipe uses in place of `∂L/∂b`.
    GB,
    /// `∂L/∂x`: the gradient at a network's input.
    Dx,
    /// `g`: an upstream gradient given for a network's output (PyTorch's `out.backward(g)`).
    Upstream,
    /// `v`: a flattened map, a vector.
    V,
    /// `∂L/∂v`.
    Dv,
    /// `m`: the largest of the logits a softmax takes, subtracted before `exp`.
    Shift,
    /// `S`: the softmax's denominator, `Σ_j exp(z[j] − m)`.
    Partition,
    /// `p`: the softmax's probabilities.
    Prob,
    /// `e`: a softmax's numerators, `exp(z − m)`.
    Exp,
    /// `log p`: a softmax's log-probability, where `p` itself underflows.
    LogProb,
}

/// The name of one quantity in a derivation: what it is, the layer it belongs to, and its
/// indices, up to four (a network's filter entry is `w[f,c,i,j]`).
///
/// ```
/// use cnn_bp_core::{Name, Sym};
///
/// let z = Sym::z(0, 1);
/// assert_eq!((z.name, z.layer, z.index()), (Name::Z, 0, Some((0, 1))));
/// assert_eq!(Sym::new(Name::W, 2, &[1, 0, 2, 2]).indices().collect::<Vec<_>>(), [1, 0, 2, 2]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sym {
    /// What the quantity is.
    pub name: Name,
    /// The layer it belongs to, counted as PyTorch's `nn.Sequential` counts them, from 0.
    pub layer: u16,
    /// How many of `at` are indices.
    rank: u8,
    /// Whether its name shows its layer (`z⁽⁰⁾[f,p,q]`): in a network of more than one layer,
    /// not in a single layer's derivation.
    shows_layer: bool,
    /// The example of a batch it belongs to, counted from 1; 0 for none (a quantity of the
    /// batch, or of a run on one input).
    example: u16,
    at: [u32; 4],
}

// The constructors are `#[inline]` in optimized builds: a step instantiated in another crate
// (`train()`'s, `step()`'s) names every term, and rustc does not inline `new`'s loop across
// crates by itself, so the calls would stay in its `NoTrace` loops (BENCHMARKS.md, part 6).
// Not in debug builds, where it would only copy them into every crate.
impl Sym {
    /// `name` of `layer`, at `index` (at most four indices; more are dropped).
    #[allow(clippy::cast_possible_truncation)] // indices and layers of matrices in memory
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn new(name: Name, layer: usize, index: &[usize]) -> Self {
        let mut at = [0; 4];
        let mut k = 0;
        while k < index.len() && k < 4 {
            at[k] = index[k] as u32;
            k += 1;
        }
        Self { name, layer: layer as u16, rank: k as u8, shows_layer: false, example: 0, at }
    }

    /// The same symbol, its name showing its layer when `shown` (and the quantity has one: a
    /// network's input `x`, its target `t`, an upstream gradient `g` and the loss do not).
    #[must_use]
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn showing_layer(self, shown: bool) -> Self {
        let layered = !matches!(
            self.name,
            Name::X
                | Name::T
                | Name::Upstream
                | Name::Loss
                | Name::Dx
                | Name::Shift
                | Name::Partition
                | Name::Prob
                | Name::Exp
                | Name::LogProb
        );
        Self { shows_layer: shown && layered, ..self }
    }

    /// Whether its name shows its layer.
    pub const fn shows_layer(self) -> bool {
        self.shows_layer
    }

    /// The same quantity of example `n` (from 0) of a batch: `L₁`, `∂L₁/∂w[0,0]` for the
    /// first example's loss and gradient.
    ///
    /// ```
    /// use cnn_bp_core::{Name, Sym};
    /// let g = Sym::new(Name::GradW, 0, &[0, 1]).of_example(1);
    /// assert_eq!((g.example(), g.name), (Some(1), Name::GradW));
    /// assert_eq!(Sym::loss().example(), None);
    /// ```
    #[allow(clippy::cast_possible_truncation)] // batches of at most a few hundred examples
    #[must_use]
    pub const fn of_example(self, n: usize) -> Self {
        Self { example: n as u16 + 1, ..self }
    }

    /// The example of a batch it belongs to (from 0), if any.
    pub const fn example(self) -> Option<usize> {
        match self.example {
            0 => None,
            n => Some(n as usize - 1),
        }
    }

    /// The same quantity of another layer.
    #[allow(clippy::cast_possible_truncation)]
    #[must_use]
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn of_layer(self, layer: usize) -> Self {
        Self { layer: layer as u16, ..self }
    }

    /// Another quantity at the same layer and indices: `δ[p,q]` for `z[p,q]`.
    #[must_use]
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn renamed(self, name: Name) -> Self {
        Self { name, ..self }
    }

    /// Its indices, in order.
    pub fn indices(self) -> impl Iterator<Item = usize> {
        self.at.into_iter().take(usize::from(self.rank)).map(|i| i as usize)
    }

    /// The row and column of a symbol with two indices.
    pub const fn index(self) -> Option<(usize, usize)> {
        if self.rank == 2 { Some((self.at[0] as usize, self.at[1] as usize)) } else { None }
    }

    /// A symbol of a single layer with two indices.
    #[cfg_attr(not(debug_assertions), inline)]
    const fn at2(name: Name, r: usize, c: usize) -> Self {
        Self::new(name, 0, &[r, c])
    }

    /// An input entry `x[r,c]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn x(r: usize, c: usize) -> Self {
        Self::at2(Name::X, r, c)
    }

    /// A filter entry `w[i,j]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn w(i: usize, j: usize) -> Self {
        Self::at2(Name::W, i, j)
    }

    /// The bias `b`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn b() -> Self {
        Self::new(Name::B, 0, &[])
    }

    /// A target entry `t[p,q]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn t(p: usize, q: usize) -> Self {
        Self::at2(Name::T, p, q)
    }

    /// A pre-activation output `z[p,q]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn z(p: usize, q: usize) -> Self {
        Self::at2(Name::Z, p, q)
    }

    /// An activated output `y[p,q]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn y(p: usize, q: usize) -> Self {
        Self::at2(Name::Y, p, q)
    }

    /// `∂L/∂y[p,q]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn dy(p: usize, q: usize) -> Self {
        Self::at2(Name::Dy, p, q)
    }

    /// `f′(z[p,q])`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn slope(p: usize, q: usize) -> Self {
        Self::at2(Name::Slope, p, q)
    }

    /// `δ[p,q] = ∂L/∂z[p,q]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn delta(p: usize, q: usize) -> Self {
        Self::at2(Name::Delta, p, q)
    }

    /// `∂L/∂w[i,j]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn grad_w(i: usize, j: usize) -> Self {
        Self::at2(Name::GradW, i, j)
    }

    /// `∂L/∂b`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn grad_b() -> Self {
        Self::new(Name::GradB, 0, &[])
    }

    /// The loss `L`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn loss() -> Self {
        Self::new(Name::Loss, 0, &[])
    }

    /// The "error" `e[p,q] = t[p,q] − y[p,q]` of a learner's recipe.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn error(p: usize, q: usize) -> Self {
        Self::at2(Name::Error, p, q)
    }

    /// `δ̃[p,q]`: what a learner's recipe sends back in place of `δ[p,q]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn signal(p: usize, q: usize) -> Self {
        Self::at2(Name::Signal, p, q)
    }

    /// `g[i,j]`: what a learner's recipe uses in place of `∂L/∂w[i,j]`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn g(i: usize, j: usize) -> Self {
        Self::at2(Name::G, i, j)
    }

    /// `g_b`: what a learner's recipe uses in place of `∂L/∂b`.
    #[cfg_attr(not(debug_assertions), inline)]
    pub const fn gb() -> Self {
        Self::new(Name::GB, 0, &[])
    }
}

/// A value together with the name it has in the derivation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Operand<S> {
    /// What the value is.
    pub sym: Sym,
    /// The value.
    pub value: S,
}

impl<S> Operand<S> {
    /// Names a value.
    #[inline]
    pub const fn new(sym: Sym, value: S) -> Self {
        Self { sym, value }
    }
}

/// One term of a sum.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Term<S> {
    /// `a·b`.
    Product(Operand<S>, Operand<S>),
    /// `a` on its own (a bias, or one `δ` of `Σδ`).
    Single(Operand<S>),
    /// `a − b`.
    Diff(Operand<S>, Operand<S>),
    /// `(a − b)²`.
    SquaredDiff(Operand<S>, Operand<S>),
}

impl<S> Term<S> {
    /// The same term with every operand's name passed through `f`.
    #[must_use]
    pub fn map_syms(self, f: impl Fn(Sym) -> Sym) -> Self {
        let op = |o: Operand<S>| Operand { sym: f(o.sym), value: o.value };
        match self {
            Self::Product(a, b) => Self::Product(op(a), op(b)),
            Self::Single(a) => Self::Single(op(a)),
            Self::Diff(a, b) => Self::Diff(op(a), op(b)),
            Self::SquaredDiff(a, b) => Self::SquaredDiff(op(a), op(b)),
        }
    }
}

/// The right-hand side of an [`Equation`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Expr<S> {
    /// `scale·(t₁ + t₂ + …)`; an empty sum is 0.
    Sum {
        /// The constant factor in front.
        scale: Scale,
        /// The terms, in the order they were added.
        terms: Vec<Term<S>>,
    },
    /// `f(z)`.
    Activate {
        /// The activation.
        f: Activation,
        /// Its argument.
        z: Operand<S>,
    },
    /// `f′(z)`, computed from `z` and `y = f(z)`.
    Slope {
        /// The activation.
        f: Activation,
        /// The pre-activation value.
        z: Operand<S>,
        /// The activated value (sigmoid and tanh derivatives use it).
        y: Operand<S>,
        /// The branch taken.
        case: SlopeCase,
    },
    /// `max(a, b, …)`: the largest of the operands, the first of them in order on a tie.
    Max {
        /// The operands, in order.
        of: Vec<Operand<S>>,
        /// Which one is the largest (the first where several are).
        pick: usize,
    },
    /// `exp(z − m)`: an exponential of a logit less the largest logit (a softmax's numerator).
    Exp {
        /// The logit.
        z: Operand<S>,
        /// The largest logit.
        shift: Operand<S>,
    },
    /// `a/b`.
    Ratio {
        /// The numerator.
        num: Operand<S>,
        /// The denominator.
        den: Operand<S>,
    },
    /// `z − m − log(S)`: a softmax's log-probability, computed where the probability itself
    /// underflows.
    LogSoftmax {
        /// The logit.
        z: Operand<S>,
        /// The largest logit.
        shift: Operand<S>,
        /// The denominator `S`.
        sum: Operand<S>,
    },
    /// `−(t₀·l₀ + t₁·l₁ + …)` of log-probabilities `l`: the cross-entropy where some
    /// probability underflows, over the terms whose `t` is not 0.
    CrossEntropyOfLogs {
        /// Each target entry with its log-probability.
        terms: Vec<(Operand<S>, Operand<S>)>,
    },
    /// `−(t₀·log p₀ + t₁·log p₁ + …)`: a cross-entropy, over the terms whose `t` is not 0.
    CrossEntropy {
        /// Each target entry with its probability.
        terms: Vec<(Operand<S>, Operand<S>)>,
    },
    /// `param − lr·grad`: one gradient-descent update.
    Update {
        /// The parameter before the update.
        param: Operand<S>,
        /// The learning rate `η`.
        lr: S,
        /// The gradient of the loss with respect to the parameter.
        grad: Operand<S>,
    },
}

impl<S> Expr<S> {
    /// The same right-hand side with every operand's name passed through `f`.
    #[must_use]
    pub fn map_syms(self, f: impl Fn(Sym) -> Sym + Copy) -> Self {
        let op = |o: Operand<S>| Operand { sym: f(o.sym), value: o.value };
        match self {
            Self::Sum { scale, terms } => {
                Self::Sum { scale, terms: terms.into_iter().map(|t| t.map_syms(f)).collect() }
            }
            Self::Activate { f: g, z } => Self::Activate { f: g, z: op(z) },
            Self::Slope { f: g, z, y, case } => Self::Slope { f: g, z: op(z), y: op(y), case },
            Self::Update { param, lr, grad } => {
                Self::Update { param: op(param), lr, grad: op(grad) }
            }
            Self::Max { of, pick } => Self::Max { of: of.into_iter().map(op).collect(), pick },
            Self::Exp { z, shift } => Self::Exp { z: op(z), shift: op(shift) },
            Self::Ratio { num, den } => Self::Ratio { num: op(num), den: op(den) },
            Self::CrossEntropy { terms } => Self::CrossEntropy {
                terms: terms.into_iter().map(|(t, p)| (op(t), op(p))).collect(),
            },
            Self::LogSoftmax { z, shift, sum } => {
                Self::LogSoftmax { z: op(z), shift: op(shift), sum: op(sum) }
            }
            Self::CrossEntropyOfLogs { terms } => Self::CrossEntropyOfLogs {
                terms: terms.into_iter().map(|(t, l)| (op(t), op(l))).collect(),
            },
        }
    }
}

/// `lhs = expr`, with the value the computation produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Equation<S> {
    /// What is computed.
    pub lhs: Sym,
    /// How.
    pub expr: Expr<S>,
    /// The value computed, exactly as the numeric path has it.
    pub value: S,
}

/// Receives the values of a computation as it runs.
///
/// All methods default to doing nothing, which is what [`NoTrace`] relies on. A recorder of
/// your own sees every operand of every equation, for instance to count the products a step
/// takes:
///
/// ```
/// use cnn_bp_core::{Layer, Params, Recorder, Term, step};
///
/// #[derive(Default)]
/// struct Products(usize);
///
/// impl Recorder<f64> for Products {
///     fn term(&mut self, term: Term<f64>) {
///         self.0 += usize::from(matches!(term, Term::Product(..)));
///     }
/// }
///
/// let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
/// let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias: None };
/// let mut count = Products::default();
/// step(&Layer::default(), &x, &start, &[[1.0, 0.0], [0.0, 1.0]], 0.5, &mut count);
/// // 16 for z, 16 for ∂L/∂W, and one δ = ∂L/∂y·f′(z) per output.
/// assert_eq!(count.0, 16 + 16 + 4);
/// ```
pub trait Recorder<S> {
    /// One term of the sum that the next [`Recorder::sum`] closes.
    #[inline]
    fn term(&mut self, term: Term<S>) {
        let _ = term;
    }

    /// Closes the sum of the terms given since the last equation: `lhs = scale·Σ terms`.
    #[inline]
    fn sum(&mut self, lhs: Sym, scale: Scale, value: S) {
        let _ = (lhs, scale, value);
    }

    /// An equation that is not a sum.
    #[inline]
    fn equation(&mut self, lhs: Sym, expr: Expr<S>, value: S) {
        let _ = (lhs, expr, value);
    }
}

/// A [`Recorder`] that keeps every equation, in order: a section of a derivation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Collector<S> {
    /// The equations so far.
    pub(crate) equations: Vec<Equation<S>>,
    /// The terms of the sum being recorded.
    pending: Vec<Term<S>>,
    /// Whether every name shows its layer (see [`Sym::showing_layer`]).
    layers: bool,
}

impl<S> Default for Collector<S> {
    fn default() -> Self {
        Self::showing_layers(false)
    }
}

impl<S> Collector<S> {
    /// A collector whose names show their layers, or not.
    pub(crate) const fn showing_layers(layers: bool) -> Self {
        Self { equations: Vec::new(), pending: Vec::new(), layers }
    }
}

impl<S> Recorder<S> for Collector<S> {
    fn term(&mut self, term: Term<S>) {
        let layers = self.layers;
        self.pending.push(if layers { term.map_syms(|s| s.showing_layer(true)) } else { term });
    }

    fn sum(&mut self, lhs: Sym, scale: Scale, value: S) {
        let terms = core::mem::take(&mut self.pending);
        let lhs = lhs.showing_layer(self.layers);
        self.equations.push(Equation { lhs, expr: Expr::Sum { scale, terms }, value });
    }

    fn equation(&mut self, lhs: Sym, expr: Expr<S>, value: S) {
        let (lhs, layers) = (lhs.showing_layer(self.layers), self.layers);
        let expr = if layers { expr.map_syms(|s| s.showing_layer(true)) } else { expr };
        self.equations.push(Equation { lhs, expr, value });
    }
}

/// A [`Recorder`] that records nothing: the numeric path.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTrace;

impl<S> Recorder<S> for NoTrace {}

/// The recorder of a training run's steps: on (the trace) for a step written out, off for
/// the others.
pub(crate) struct Switch<'a, S>(pub(crate) Option<&'a mut Trace<S>>);

impl<S> Recorder<S> for Switch<'_, S> {
    #[inline]
    fn term(&mut self, term: Term<S>) {
        if let Some(trace) = self.0.as_deref_mut() {
            trace.term(term);
        }
    }

    #[inline]
    fn sum(&mut self, lhs: Sym, scale: Scale, value: S) {
        if let Some(trace) = self.0.as_deref_mut() {
            trace.sum(lhs, scale, value);
        }
    }

    #[inline]
    fn equation(&mut self, lhs: Sym, expr: Expr<S>, value: S) {
        if let Some(trace) = self.0.as_deref_mut() {
            trace.equation(lhs, expr, value);
        }
    }
}

/// What a run's steps that are not written out, and the steps its accessors compute again,
/// are recorded with: nothing. In optimized builds [`NoTrace`], for which the step functions
/// run loops specialised for a recorder that keeps nothing (BENCHMARKS.md, part 1).
#[cfg(not(debug_assertions))]
#[inline]
pub(crate) const fn untraced<S>() -> NoTrace {
    NoTrace
}

/// What a run's steps that are not written out, and the steps its accessors compute again,
/// are recorded with: nothing. In debug builds a [`Switch`] that is off, the recorder of the
/// steps written out, so that every `train!` compiles the step functions once rather than
/// twice (they are generic over the shapes); the values are the same bits either way.
#[cfg(debug_assertions)]
#[inline]
pub(crate) const fn untraced<'a, S>() -> Switch<'a, S> {
    Switch(None)
}

/// A matrix of any size, row-major; how a trace keeps the given matrices.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid<S> {
    rows: usize,
    cols: usize,
    data: Vec<S>,
}

impl<S: Copy> Grid<S> {
    /// Copies a fixed-size matrix.
    pub fn from_array<const C: usize, const R: usize>(matrix: &[[S; C]; R]) -> Self {
        Self { rows: R, cols: C, data: matrix.iter().flatten().copied().collect() }
    }

    /// Builds a grid from its rows and columns and an entry function.
    ///
    /// # Panics
    /// If `rows·cols` overflows `usize` (no such matrix fits in memory).
    pub fn from_fn(rows: usize, cols: usize, mut entry: impl FnMut(usize, usize) -> S) -> Self {
        assert!(rows.checked_mul(cols).is_some(), "a {rows}×{cols} grid does not fit in memory");
        let data = (0..rows * cols).map(|k| entry(k / cols, k % cols)).collect();
        Self { rows, cols, data }
    }

    /// Rows and columns.
    pub const fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The entry at `(row, col)`.
    ///
    /// # Panics
    /// If the position is outside the grid.
    pub fn get(&self, row: usize, col: usize) -> S {
        assert!(row < self.rows && col < self.cols, "({row}, {col}) is outside the grid");
        self.data[row * self.cols + col]
    }

    /// The entries with their positions, row by row.
    pub fn entries(&self) -> impl Iterator<Item = ((usize, usize), S)> + '_ {
        self.data.iter().enumerate().map(|(k, &v)| ((k / self.cols, k % self.cols), v))
    }
}

/// What a derivation starts from.
#[derive(Clone, Debug, PartialEq)]
pub struct Given<S> {
    /// The input `X`.
    pub input: Grid<S>,
    /// The starting filter `W`.
    pub filter: Grid<S>,
    /// The starting bias, if the layer has one.
    pub bias: Option<S>,
    /// The target `t`.
    pub target: Grid<S>,
    /// The learning rate `η`.
    pub lr: S,
    /// The number of steps asked for.
    pub steps: usize,
    /// The layer's settings.
    pub layer: Layer,
}

/// The equations of one gradient-descent step, or of the final forward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Section<S> {
    /// The step these equations belong to, from 0; `None` for the final forward pass and the
    /// mistakes.
    pub step: Option<usize>,
    /// In the order they were computed.
    pub equations: Vec<Equation<S>>,
}

/// A run of at most this many steps is recorded in full.
pub const FULL_STEPS: usize = 20;

/// A longer run records its first `HEAD_STEPS` steps and its last one in full; the steps
/// between are computed exactly the same way but only summarised, so that the trace and the
/// printed text stay the same size however many steps are taken.
pub const HEAD_STEPS: usize = 5;

/// A run of at most this many steps has every step in its summary table; a longer one has the
/// first and last ten and every `⌈steps/20⌉`-th step.
pub const SUMMARY_STEPS: usize = 50;

/// One row of the summary: the loss at a step's starting parameters, and those parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Row<S> {
    /// The step, from 0.
    pub step: usize,
    /// Its loss.
    pub loss: S,
    /// The filter's entries row by row, then the bias if there is one.
    pub params: Vec<S>,
}

/// The first step whose loss is higher than the step before's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rise<S> {
    /// The step, from 0 (its loss is at the parameters the step before left).
    pub step: usize,
    /// The loss of the step before.
    pub before: S,
    /// The loss of this step.
    pub after: S,
}

impl<S> Section<S> {
    /// The equations whose left-hand side `keep` accepts, in order.
    pub fn select(&self, keep: impl Fn(Sym) -> bool) -> impl Iterator<Item = &Equation<S>> {
        self.equations.iter().filter(move |e| keep(e.lhs))
    }
}

/// A recorded training run: the [`Recorder`] behind every printed derivation.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace<S> {
    /// What was given.
    pub given: Given<S>,
    /// One section per step that was taken.
    pub steps: Vec<Section<S>>,
    /// The forward pass and loss of the final parameters.
    pub after: Section<S>,
    /// Whether training stopped before the steps asked for because a value was not finite, or
    /// (then `outgrown` says how far) an exact parameter grew past
    /// [`MAX_FRACTION_DIGITS`](crate::MAX_FRACTION_DIGITS).
    pub stopped_early: bool,
    /// The digits of the largest parameter, where an exact run stopped because its fractions
    /// grew past [`MAX_FRACTION_DIGITS`](crate::MAX_FRACTION_DIGITS).
    pub outgrown: Option<usize>,
    /// The number of steps taken (every one of them, recorded in full or not).
    pub taken: usize,
    /// The summary rows, in order of step (see [`SUMMARY_STEPS`]).
    pub summary: Vec<Row<S>>,
    /// The first step whose loss rose, if any did.
    pub first_rise: Option<Rise<S>>,
    /// Finite-difference checks of each step's gradient, when asked for.
    pub checks: Vec<GradientCheck<S>>,
    /// The common wrong recipes applied to the first step, when asked for.
    pub mistakes: Vec<Mistake<S>>,
    pending: Vec<Term<S>>,
    recording_after: bool,
    /// Whether the last section of `steps` is kept only if no other step follows it.
    provisional: bool,
    /// The last summary rows, kept until the run ends (their vectors are reused).
    tail: VecDeque<Row<S>>,
}

impl<S> Trace<S> {
    /// An empty trace of a run from `given`.
    pub const fn new(given: Given<S>) -> Self {
        Self {
            given,
            steps: Vec::new(),
            after: Section { step: None, equations: Vec::new() },
            stopped_early: false,
            outgrown: None,
            taken: 0,
            summary: Vec::new(),
            first_rise: None,
            checks: Vec::new(),
            mistakes: Vec::new(),
            pending: Vec::new(),
            recording_after: false,
            provisional: false,
            tail: VecDeque::new(),
        }
    }

    /// From now on, equations belong to a new step. Past the first [`HEAD_STEPS`] of a run
    /// longer than [`FULL_STEPS`], the section of the step before is dropped unless it was one
    /// of those: only the last step of such a run is kept in full.
    pub fn begin_step(&mut self) {
        if self.provisional {
            self.steps.pop();
        }
        let step = self.taken;
        self.provisional = self.given.steps > FULL_STEPS && step >= HEAD_STEPS;
        self.steps.push(Section { step: Some(step), equations: Vec::new() });
        self.taken += 1;
    }

    /// A step that is computed but not written out: it counts as taken, and has no section.
    /// As with [`Trace::begin_step`], a provisional section before it is dropped.
    pub(crate) fn skip_step(&mut self) {
        if core::mem::take(&mut self.provisional) {
            self.steps.pop();
        }
        self.taken += 1;
    }

    /// Whether step `step` (from 0) is written out whatever follows it: every step of a run
    /// of at most [`FULL_STEPS`], the first [`HEAD_STEPS`] of a longer one. The last step
    /// taken is written out too.
    pub(crate) const fn keeps(&self, step: usize) -> bool {
        self.given.steps <= FULL_STEPS || step < HEAD_STEPS
    }

    /// The loss and starting parameters of the step just taken, for the summary and the
    /// first rise. Only a row the summary keeps is copied.
    pub(crate) fn summarise(&mut self, loss: S, params: &[S])
    where
        S: Copy + PartialOrd,
    {
        let step = self.taken - 1;
        let previous = self.tail.back().map(|row| row.loss);
        if let Some(before) = previous
            && self.first_rise.is_none()
            && loss > before
        {
            self.first_rise = Some(Rise { step, before, after: loss });
        }
        let n = self.given.steps;
        let sampled = n <= SUMMARY_STEPS || step < 10 || step.is_multiple_of(n.div_ceil(20));
        if sampled {
            self.summary.push(Row { step, loss, params: params.to_vec() });
        }
        // The last ten rows, whether sampled or not: the end of the run is always shown.
        let row = if self.tail.len() == 10 {
            let mut row = self.tail.pop_front().expect("ten rows");
            row.params.clear();
            row.params.extend_from_slice(params);
            Row { step, loss, params: row.params }
        } else {
            Row { step, loss, params: params.to_vec() }
        };
        self.tail.push_back(row);
    }

    /// Ends the steps: the last rows join the summary, in place of the sampled rows among them.
    pub(crate) fn end_steps(&mut self) {
        self.provisional = false;
        if let Some(first) = self.tail.front().map(|row| row.step) {
            self.summary.retain(|row| row.step < first);
        }
        self.summary.extend(core::mem::take(&mut self.tail));
    }

    /// From now on, equations belong to the final forward pass.
    pub const fn begin_after(&mut self) {
        self.recording_after = true;
    }

    fn push(&mut self, equation: Equation<S>) {
        let section = match self.steps.last_mut() {
            Some(step) if !self.recording_after => step,
            _ => &mut self.after,
        };
        section.equations.push(equation);
    }
}

impl<S> Recorder<S> for Trace<S> {
    fn term(&mut self, term: Term<S>) {
        self.pending.push(term);
    }

    fn sum(&mut self, lhs: Sym, scale: Scale, value: S) {
        let terms = core::mem::take(&mut self.pending);
        self.push(Equation { lhs, expr: Expr::Sum { scale, terms }, value });
    }

    fn equation(&mut self, lhs: Sym, expr: Expr<S>, value: S) {
        self.push(Equation { lhs, expr, value });
    }
}

/// A finite-difference check of one step's gradient: each `∂L/∂w[i,j]` (and `∂L/∂b`) next to
/// the central difference `(L(w + h) − L(w − h))/(2h)`.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheck<S> {
    /// The step checked, from 0.
    pub step: usize,
    /// The step `h` of the central difference.
    pub h: S,
    /// One entry per filter entry, row by row, then the bias.
    pub entries: Vec<CheckedEntry<S>>,
}

/// One gradient entry and its central difference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckedEntry<S> {
    /// The gradient entry (`∂L/∂w[i,j]` or `∂L/∂b`) as backpropagation computed it.
    pub grad: Operand<S>,
    /// `L` with the parameter raised by `h`.
    pub loss_plus: S,
    /// `L` with the parameter lowered by `h`.
    pub loss_minus: S,
    /// `(loss_plus − loss_minus)/(2h)`.
    pub central: S,
    /// `|grad − central|`.
    pub difference: S,
    /// An activation's argument that the parameter moves across its kink within `±h`, and
    /// what that kink is (`relu's kink at 0`); the central difference then straddles the kink
    /// and is not compared.
    pub kink: Option<(Operand<S>, &'static str)>,
}

/// A common wrong recipe for the filter update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Recipe {
    /// The "error" `e = t − y` is used where `∂L/∂y = y − t` belongs, and the result is still
    /// subtracted: every gradient has the wrong sign.
    SignFlip,
    /// `∂L/∂y` is sent back without multiplying by `f′(z)`: outputs the activation blocks
    /// still move the filter.
    NoActivationDerivative,
    /// The filter gradient is taken with the other kernel orientation: a true convolution
    /// (rotated) where the layer correlates, or a correlation where it convolves.
    FlippedKernel,
}

impl Recipe {
    /// The single layer's recipes, in the order a derivation shows them.
    pub const ALL: [Self; 3] = [Self::SignFlip, Self::NoActivationDerivative, Self::FlippedKernel];
}

/// A common wrong recipe for a network's backward pass, made by the op it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetRecipe {
    /// `∂L/∂x` slides the filter as it stands where the full convolution needs it rotated by
    /// 180° (and the other way round in a layer that convolves).
    UnrotatedFilter,
    /// A bias gradient is the mean of the layer's `δ` where it is their sum.
    MeanBias,
    /// `∂L/∂x` of a layer with several filters keeps one filter's contribution (the last, as
    /// `dx = part` in a loop where `dx += part` belongs) instead of summing them all.
    UnsummedFilters,
    /// A max pool's gradient is spread evenly over each window, as an average pool's, where it
    /// goes to the window's maximum alone.
    SpreadMaxPool,
    /// A softmax cross-entropy's gradient is taken as `t − p` and still subtracted.
    FlippedSoftmaxGradient,
    /// A dense layer's `∂L/∂x` is computed with its weight `W` where its transpose `Wᵀ`
    /// belongs (possible only for a square weight).
    UntransposedWeight,
    /// A batch's gradient is the sum of its examples' gradients while its loss is their mean:
    /// `η` is in effect `N` times larger. A mistake of batches, made by no op (not in
    /// [`NetRecipe::ALL`], which are the ops').
    SummedBatchGradient,
}

impl NetRecipe {
    /// All of them, in the order a derivation shows them.
    pub const ALL: [Self; 6] = [
        Self::UnrotatedFilter,
        Self::MeanBias,
        Self::UnsummedFilters,
        Self::SpreadMaxPool,
        Self::FlippedSoftmaxGradient,
        Self::UntransposedWeight,
    ];
}

/// One wrong recipe applied to the first step's numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Mistake<S> {
    /// Which recipe.
    pub recipe: Recipe,
    /// Its equations: the recipe's gradient, its update, and a forward pass and loss with
    /// the parameters it gives.
    pub section: Section<S>,
    /// The loss with the parameters the recipe gives.
    pub loss_after: S,
}
