//! Training a network of [ops](crate::ops): the forward pass of every layer, the loss (or an
//! upstream gradient), the backward pass of every layer in reverse, and the update of every
//! parameter, step after step, each step written out recorded.
//!
//! ```
//! use cnn_bp_core::network::{Objective, train_network};
//! use cnn_bp_core::ops::{Activate, Chain, Conv, Correlate, Geometry, Relu};
//! use cnn_bp_core::Loss;
//!
//! // The seed question as a network: conv (2×2), then relu.
//! type Net = Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, Geometry<1, 1, 0, 0, 1, 1>, Correlate>,
//!                  Activate<Relu, [[[f64; 2]; 2]; 1]>>;
//! let net: Net = Chain(Conv::new(false), Activate::new(Relu::default()));
//! let x = [[[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]]];
//! let target = Objective::Loss { loss: Loss::HalfSse, target: vec![1.0, 0.0, 0.0, 1.0] };
//! let d = train_network(net, &[1.0, -1.0, 1.0, 1.0], &x, target, Some(0.5), 1)?;
//!
//! let s = &d.steps()[0];
//! assert_eq!(s.loss(), 2.0);
//! assert_eq!(s.layer_outputs()[0], (vec![1, 2, 2], vec![3.0, 0.0, -2.0, 1.0]));
//! assert_eq!(s.named_grads(), [("0.weight".to_owned(), vec![1, 1, 2, 2], vec![2.0, -2.0, 0.0, 2.0])]);
//! assert_eq!(d.named_parameters()[0].2, [0.0, 0.0, 1.0, 0.0]);
//! assert_eq!(d.loss_after(), 1.5);
//! # Ok::<(), cnn_bp_core::SpecError>(())
//! ```

use core::fmt;
use std::sync::Arc;

mod batch;
mod check;
mod mistakes;

pub use batch::{FULL_EXAMPLES, HEAD_EXAMPLES, Reduction};
pub use mistakes::NetMistake;

use batch::Batch;

use crate::derivation::MAX_STEPS;
use crate::extras::Extras;
use crate::layer::{Loss, Scale, SpecError};
use crate::ops::{At, Named, Op, Tensor, gradient_of, softmax_cross_entropy};
use crate::rational::outgrown;
use crate::render::{self, Form, LayerDoc, Verified, VerifyError};
use crate::scalar::Scalar;
use crate::trace::{
    Collector, Expr, FULL_STEPS, GradientCheck, HEAD_STEPS, Name, NetRecipe, NoTrace, Operand,
    Recorder, Section, Sym, Term,
};

/// What a network is trained against.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Objective<S> {
    /// A loss of the last layer's output against a target of its shape, flat, row-major.
    Loss {
        /// The loss.
        loss: Loss,
        /// The target.
        target: Vec<S>,
    },
    /// An upstream gradient `g` of the last layer's output, as PyTorch's `out.backward(g)`:
    /// the loss is `Σ g ⊙ y`, whose gradient it is.
    GradOutput(Vec<S>),
    /// The softmax cross-entropy of the last layer's output `z` (a vector of logits) against
    /// a probability vector `t`: `L = −Σ t[k]·log p[k]` with `p = softmax(z)`, as PyTorch's
    /// `cross_entropy` with probabilities as target. Its gradient is `p − t`.
    SoftmaxCrossEntropy {
        /// The target probabilities: non-negative, summing to 1 (one-hot or soft).
        target: Vec<S>,
    },
}

impl<S> Objective<S> {
    fn len(&self) -> usize {
        match self {
            Self::Loss { target, .. } | Self::SoftmaxCrossEntropy { target } => target.len(),
            Self::GradOutput(g) => g.len(),
        }
    }
}

/// The loss of `y` against the objective, recorded; `scratch`, of `y`'s length, keeps what
/// [`loss_grad`] needs from it (a softmax's probabilities).
fn loss<S: Scalar, R: Recorder<S>>(
    objective: &Objective<S>,
    y: &[S],
    scratch: &mut [S],
    (y_sym, t_sym): (impl Fn(usize) -> Sym, impl Fn(usize) -> Sym),
    rec: &mut R,
) -> S {
    let mut acc = S::ZERO;
    let scale = match objective {
        Objective::SoftmaxCrossEntropy { target } => {
            return softmax_cross_entropy::loss(y, target, scratch, (&y_sym, &t_sym), rec);
        }
        Objective::Loss { loss, target } => {
            for (k, (&y, &t)) in y.iter().zip(target).enumerate() {
                let diff = y - t;
                acc = acc + diff * diff;
                rec.term(Term::SquaredDiff(Operand::new(y_sym(k), y), Operand::new(t_sym(k), t)));
            }
            loss.scale(y.len())
        }
        Objective::GradOutput(g) => {
            for (k, (&y, &g)) in y.iter().zip(g).enumerate() {
                acc = acc + g * y;
                rec.term(Term::Product(Operand::new(t_sym(k), g), Operand::new(y_sym(k), y)));
            }
            Scale::ONE
        }
    };
    let value = scale.apply(acc);
    rec.sum(Sym::loss(), scale, value);
    value
}

/// `∂L/∂y` of the objective, recorded, into `dy`, which holds what [`loss`] left in its
/// scratch; `flipped` for the learner's mistake of a softmax's `t − p`.
fn loss_grad<S: Scalar, R: Recorder<S>>(
    objective: &Objective<S>,
    y: &[S],
    dy: &mut [S],
    (y_sym, t_sym, dy_sym): (impl Fn(usize) -> Sym, impl Fn(usize) -> Sym, impl Fn(usize) -> Sym),
    flipped: bool,
    rec: &mut R,
) {
    match objective {
        Objective::SoftmaxCrossEntropy { target } => {
            softmax_cross_entropy::loss_grad(target, dy, &dy_sym, flipped, rec);
        }
        Objective::Loss { loss, target } => {
            let scale = loss.grad_scale(y.len());
            for k in 0..y.len() {
                let (yv, t) = (y[k], target[k]);
                dy[k] = scale.apply(yv - t);
                rec.term(Term::Diff(Operand::new(y_sym(k), yv), Operand::new(t_sym(k), t)));
                rec.sum(dy_sym(k), scale, dy[k]);
            }
        }
        Objective::GradOutput(g) => {
            for k in 0..y.len() {
                dy[k] = g[k];
                rec.term(Term::Single(Operand::new(t_sym(k), g[k])));
                rec.sum(dy_sym(k), Scale::ONE, dy[k]);
            }
        }
    }
}

/// Everything one pass of a network computes, in buffers allocated once.
pub(crate) struct Pass<S> {
    /// The last layer's output, and `∂L/∂` it.
    pub(crate) y: Vec<S>,
    pub(crate) dy: Vec<S>,
    /// `∂L/∂x` of the network's input.
    pub(crate) dx: Vec<S>,
    /// The junctions between layers, values and gradients (see [`Op::workspace_len`]).
    pub(crate) workspace: Vec<S>,
    /// `∂L/∂` every parameter.
    pub(crate) grads: Vec<S>,
    /// The learner's mistake the loss's gradient makes, if any.
    pub(crate) slip: Option<NetRecipe>,
}

impl<S: Scalar> Pass<S> {
    pub(crate) fn new<N: Op<S>>(net: &N) -> Self {
        Self {
            y: vec![S::ZERO; <N::Out as Tensor<S>>::LEN],
            dy: vec![S::ZERO; <N::Out as Tensor<S>>::LEN],
            dx: vec![S::ZERO; <N::In as Tensor<S>>::LEN],
            workspace: vec![S::ZERO; net.workspace_len()],
            grads: vec![S::ZERO; net.params_len()],
            slip: None,
        }
    }

    /// Forward, loss, backward at `params`; returns the loss. `input_grad`: whether `∂L/∂x`
    /// of the network's input is computed (and recorded).
    pub(crate) fn run<N: Op<S>, R: Recorder<S>>(
        &mut self,
        net: &N,
        params: &[S],
        x: &N::In,
        objective: &Objective<S>,
        input_grad: bool,
        rec: &mut R,
    ) -> S {
        let out_layer = N::LAYERS - 1;
        let name = net.output_name();
        let y_sym = |k| <N::Out as Tensor<S>>::sym(name, out_layer, k);
        let t_sym = |k| <N::Out as Tensor<S>>::sym(objective_name(objective), 0, k);
        let dy_sym = |k| <N::Out as Tensor<S>>::sym(gradient_of(name), out_layer, k);
        let y = <N::Out as Tensor<S>>::view_mut(&mut self.y);
        net.forward(At::FIRST, params, x, y, &mut self.workspace, rec);
        let value = loss(objective, &self.y, &mut self.dy, (y_sym, t_sym), rec);
        let flipped = self.slip == Some(NetRecipe::FlippedSoftmaxGradient);
        loss_grad(objective, &self.y, &mut self.dy, (y_sym, t_sym, dy_sym), flipped, rec);
        let (y, dy) = (<N::Out as Tensor<S>>::view(&self.y), <N::Out as Tensor<S>>::view(&self.dy));
        let dx = input_grad.then(|| <N::In as Tensor<S>>::view_mut(&mut self.dx));
        net.backward(At::FIRST, params, x, y, dy, dx, &mut self.grads, &mut self.workspace, rec);
        value
    }

    /// Only the forward pass and the loss.
    pub(crate) fn loss<N: Op<S>, R: Recorder<S>>(
        &mut self,
        net: &N,
        params: &[S],
        x: &N::In,
        objective: &Objective<S>,
        rec: &mut R,
    ) -> S {
        let out_layer = N::LAYERS - 1;
        let name = net.output_name();
        let y = <N::Out as Tensor<S>>::view_mut(&mut self.y);
        net.forward(At::FIRST, params, x, y, &mut self.workspace, rec);
        let y_sym = |k| <N::Out as Tensor<S>>::sym(name, out_layer, k);
        let t_sym = |k| <N::Out as Tensor<S>>::sym(objective_name(objective), 0, k);
        loss(objective, &self.y, &mut self.dy, (y_sym, t_sym), rec)
    }
}

/// What the objective's entries are called: `t` for a target, `g` for an upstream gradient.
const fn objective_name<S>(objective: &Objective<S>) -> Name {
    match objective {
        Objective::Loss { .. } | Objective::SoftmaxCrossEntropy { .. } => Name::T,
        Objective::GradOutput(_) => Name::Upstream,
    }
}

/// `p ← p − η·∂L/∂p` for every parameter, recorded.
pub(crate) fn update<S: Scalar, N: Op<S>, R: Recorder<S>>(
    net: &N,
    params: &mut [S],
    grads: &[S],
    lr: S,
    rec: &mut R,
) {
    for (k, (p, &g)) in params.iter_mut().zip(grads).enumerate() {
        let next = *p - lr * g;
        let sym = net.param_sym(0, k);
        let grad_name = if sym.name == Name::B { Name::GradB } else { Name::GradW };
        let (param, grad) = (Operand::new(sym, *p), Operand::new(sym.renamed(grad_name), g));
        rec.equation(sym, Expr::Update { param, lr, grad }, next);
        *p = next;
    }
}

/// The numbers of one pass at some parameters, computed again.
struct Replayed<S> {
    grads: Vec<S>,
    outputs: Vec<(Vec<usize>, Vec<S>)>,
    input_grads: Vec<(Vec<usize>, Vec<S>)>,
}

/// Computes a step again from its parameters, the input and the objective.
type Replay<S> = dyn Fn(&[S], &[S], &Objective<S>) -> Replayed<S> + Send + Sync;

/// Names a network's parameters.
type Naming<S> = dyn Fn(&[S]) -> Vec<Named<S>> + Send + Sync;

/// What a network's run keeps to give back every step's numbers and to write its derivation:
/// what it was given, each step's starting parameters and loss, the final parameters, and
/// the network itself (in [`Replay`], [`Naming`] and its layers' [`LayerDoc`]s).
struct Run<S> {
    params_len: usize,
    /// The starting parameters of every step, then the final ones.
    params: Vec<S>,
    /// Every step's loss: the batch's.
    losses: Vec<S>,
    /// Every step's examples' losses, a step's one after another.
    example_losses: Vec<S>,
    /// The examples, each an input (flat) and its objective, and the inputs' shape.
    examples: Vec<(Vec<S>, Objective<S>)>,
    input_shape: Vec<usize>,
    /// How the batch's loss is made of the examples'; `None` for a run on one input.
    reduction: Option<Reduction>,
    lr: Option<S>,
    /// The steps asked for.
    steps: usize,
    layers: Vec<Arc<dyn LayerDoc<S>>>,
    replay: Box<Replay<S>>,
    named: Box<Naming<S>>,
}

impl<S: Copy> Run<S> {
    fn params(&self, k: usize) -> &[S] {
        &self.params[k * self.params_len..(k + 1) * self.params_len]
    }

    /// Step `k` computed again for example `n`.
    fn replay(&self, k: usize, n: usize) -> Replayed<S> {
        let (x, objective) = &self.examples[n];
        (self.replay)(self.params(k), x, objective)
    }
}

impl<S: Scalar> Run<S> {
    /// `∂L/∂` every parameter at step `k`'s parameters: the batch's, computed again from the
    /// examples' by the same code as the run's.
    fn grads(&self, k: usize) -> Vec<S> {
        let Some(reduction) = self.reduction else {
            return self.replay(k, 0).grads;
        };
        let grads: Vec<S> =
            (0..self.examples.len()).flat_map(|n| self.replay(k, n).grads).collect();
        let mut out = vec![S::ZERO; self.params_len];
        batch::batch_grads(reduction, &grads, &mut out, |_| Sym::loss(), &mut NoTrace);
        out
    }

    /// `values`, named as the parameters are.
    fn named_as_params(&self, k: usize, values: Vec<S>) -> Vec<(String, Vec<usize>, Vec<S>)> {
        let mut named = (self.named)(self.params(k));
        let slots = named.iter_mut().flat_map(|(_, _, values)| values.iter_mut());
        for (slot, value) in slots.zip(values) {
            *slot = value;
        }
        named
    }
}

/// One step of a network's training run: a handle to the run (two words), whose accessors
/// compute the step again from its starting parameters, with the same code, so that they give
/// the very values the derivation printed.
#[derive(Clone)]
pub struct NetStep<S = f64> {
    run: Arc<Run<S>>,
    index: usize,
}

impl<S: Scalar> NetStep<S> {
    /// The loss at the step's parameters, before its update: of a batch, the batch's loss
    /// (the mean or the sum of its examples').
    pub fn loss(&self) -> S {
        self.run.losses[self.index]
    }

    /// One view per example of the batch (`train! { examples: […], … }`, or
    /// [`train_batch`]), in order, each with its own loss and gradients at the step's
    /// parameters; a run on one input has one, with the step's numbers.
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     examples: [
    ///         { input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], target: [[1, 0], [0, 1]] },
    ///         { input: [[1, 0, 1], [0, 1, 0], [1, 0, 1]], target: [[1, 1], [0, 0]] },
    ///     ],
    ///     layers: [conv { filter: [[1, -1], [1, 1]] }, relu],
    ///     reduction: sum,
    ///     lr: 0.5,
    /// };
    /// let s = &d.steps()[0];
    /// let [first, second] = s.examples().try_into().unwrap();
    /// assert_eq!((first.loss(), second.loss(), s.loss()), (2.0, 3.0, 5.0));
    /// assert_eq!(second.layer_outputs()[1].1, [2.0, 0.0, 0.0, 2.0]); // y₂ after the ReLU
    /// assert_eq!(first.named_grads()[0].2, [2.0, -2.0, 0.0, 2.0]);   // ∂L₁/∂w
    /// assert_eq!(s.named_grads()[0].2, [5.0, -2.0, 0.0, 5.0]);       // their sum
    /// ```
    pub fn examples(&self) -> Vec<NetExample<S>> {
        (0..self.run.examples.len())
            .map(|example| NetExample { run: Arc::clone(&self.run), step: self.index, example })
            .collect()
    }

    /// The parameters the step started from, named as PyTorch's `nn.Sequential` names them by
    /// layer position (`"0.weight"`, `"0.bias"`, `"2.weight"`; activations count as layers),
    /// with PyTorch's shapes (a convolution's weight `[F, C, KH, KW]`, its bias `[F]`), values
    /// row-major.
    pub fn named_parameters(&self) -> Vec<(String, Vec<usize>, Vec<S>)> {
        (self.run.named)(self.run.params(self.index))
    }

    /// `∂L/∂` each of [`named_parameters`](Self::named_parameters): the same names, shapes and
    /// order. Of a batch, the batch loss's gradient.
    pub fn named_grads(&self) -> Vec<(String, Vec<usize>, Vec<S>)> {
        self.run.named_as_params(self.index, self.run.grads(self.index))
    }

    /// Every layer's output, in order, with its shape (`[C, H, W]` for a map, one channel
    /// included). Of a batch, the first example's (each example's is
    /// [`NetExample::layer_outputs`]).
    pub fn layer_outputs(&self) -> Vec<(Vec<usize>, Vec<S>)> {
        self.run.replay(self.index, 0).outputs
    }

    /// `∂L/∂` each layer's input, in order: entry 0 is `∂L/∂x` of the network's input. Of a
    /// batch, the first example's, of its own loss (each example's is
    /// [`NetExample::input_grads`]).
    pub fn input_grads(&self) -> Vec<(Vec<usize>, Vec<S>)> {
        self.run.replay(self.index, 0).input_grads
    }

    /// Layer `layer`'s output as an array `[C][H][W]`: `None` if there is no such layer or
    /// its output has another shape. The typed form of [`layer_outputs`](Self::layer_outputs),
    /// for comparing with a hand-written golden value:
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
    ///     layers: [conv { filter: [[1, -1], [1, 1]] }, relu, conv { filter: [[2]] }],
    ///     target: [[1, 0], [0, 1]],
    ///     loss: half_sse,
    ///     lr: 0.05,
    /// };
    /// let s = &d.steps()[0];
    /// // z⁽⁰⁾ = [[3, 0], [−2, 1]], the ReLU keeps [[3, 0], [0, 1]], the 1×1 conv doubles it.
    /// assert_eq!(s.output_of::<1, 2, 2>(1), Some([[[3.0, 0.0], [0.0, 1.0]]]));
    /// assert_eq!(s.output_of::<1, 2, 2>(2), Some([[[6.0, 0.0], [0.0, 2.0]]]));
    /// assert_eq!(s.weight_grad_of::<1, 1, 1, 1>(2), Some([[[[16.0]]]])); // 5·3 + 1·1
    /// assert_eq!(s.output_of::<2, 2, 2>(2), None); // one channel, not two
    /// ```
    pub fn output_of<const C: usize, const H: usize, const W: usize>(
        &self,
        layer: usize,
    ) -> Option<[[[S; W]; H]; C]> {
        let outputs = self.layer_outputs();
        let (shape, values) = outputs.get(layer)?;
        map(shape, values)
    }

    /// `∂L/∂` layer `layer`'s input as an array `[C][H][W]` (layer 0's is `∂L/∂x`): `None` if
    /// there is no such layer or its input has another shape.
    pub fn input_grad_of<const C: usize, const H: usize, const W: usize>(
        &self,
        layer: usize,
    ) -> Option<[[[S; W]; H]; C]> {
        let grads = self.input_grads();
        let (shape, values) = grads.get(layer)?;
        map(shape, values)
    }

    /// The weight of the convolution at position `layer`, as the step started from it, as an
    /// array `[F][C][KH][KW]`: `None` if that layer has no weight of this shape.
    pub fn weight_of<const F: usize, const C: usize, const KH: usize, const KW: usize>(
        &self,
        layer: usize,
    ) -> Option<[[[[S; KW]; KH]; C]; F]> {
        weight(&self.named_parameters(), layer)
    }

    /// `∂L/∂` the weight of the convolution at position `layer`, as an array `[F][C][KH][KW]`.
    pub fn weight_grad_of<const F: usize, const C: usize, const KH: usize, const KW: usize>(
        &self,
        layer: usize,
    ) -> Option<[[[[S; KW]; KH]; C]; F]> {
        weight(&self.named_grads(), layer)
    }

    /// The bias of the convolution at position `layer` (one per filter), as the step started
    /// from it: `None` if that layer has no bias of `F` entries.
    pub fn bias_of<const F: usize>(&self, layer: usize) -> Option<[S; F]> {
        bias(&self.named_parameters(), layer)
    }

    /// `∂L/∂` the bias of the convolution at position `layer`.
    pub fn bias_grad_of<const F: usize>(&self, layer: usize) -> Option<[S; F]> {
        bias(&self.named_grads(), layer)
    }

    /// Layer `layer`'s output as an array `[N]`, where it is a vector (a flatten's, a dense
    /// layer's): `None` if there is no such layer or its output has another shape.
    ///
    /// ```
    /// let d = cnn_bp_core::train! {
    ///     input: [1, 2],
    ///     layers: [dense { weight: [[1, 0], [1, 1], [0, -1]], bias: [0, 0, 1] }],
    ///     target: 2,
    ///     loss: softmax_cross_entropy,
    ///     lr: 0.1,
    /// };
    /// let s = &d.steps()[0];
    /// assert_eq!(s.vector_of::<3>(0), Some([1.0, 3.0, -1.0]));
    /// assert_eq!(s.dense_weight_of::<3, 2>(0), Some([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]]));
    /// assert_eq!(s.input_grad_vector_of::<3>(0), None); // its input has 2 entries
    /// ```
    pub fn vector_of<const N: usize>(&self, layer: usize) -> Option<[S; N]> {
        let outputs = self.layer_outputs();
        let (shape, values) = outputs.get(layer)?;
        vector(shape, values)
    }

    /// `∂L/∂` layer `layer`'s input as an array `[N]`, where it is a vector: `None` if there is
    /// no such layer or its input has another shape.
    pub fn input_grad_vector_of<const N: usize>(&self, layer: usize) -> Option<[S; N]> {
        let grads = self.input_grads();
        let (shape, values) = grads.get(layer)?;
        vector(shape, values)
    }

    /// The weight of the dense layer at position `layer`, as the step started from it, as an
    /// array `[O][I]`: `None` if that layer has no weight of this shape. Its bias is
    /// [`bias_of`](Self::bias_of).
    pub fn dense_weight_of<const O: usize, const I: usize>(
        &self,
        layer: usize,
    ) -> Option<[[S; I]; O]> {
        dense_weight(&self.named_parameters(), layer)
    }

    /// `∂L/∂` the weight of the dense layer at position `layer`, as an array `[O][I]`.
    pub fn dense_weight_grad_of<const O: usize, const I: usize>(
        &self,
        layer: usize,
    ) -> Option<[[S; I]; O]> {
        dense_weight(&self.named_grads(), layer)
    }
}

/// `values` as `[N]`, if `shape` is that.
fn vector<S: Copy, const N: usize>(shape: &[usize], values: &[S]) -> Option<[S; N]> {
    (shape == [N]).then(|| core::array::from_fn(|k| values[k]))
}

fn dense_weight<S: Copy, const O: usize, const I: usize>(
    named: &[(String, Vec<usize>, Vec<S>)],
    layer: usize,
) -> Option<[[S; I]; O]> {
    let (shape, values) = named_tensor(named, layer, "weight")?;
    (shape == [O, I]).then(|| core::array::from_fn(|o| core::array::from_fn(|i| values[o * I + i])))
}

/// `values` as `[C][H][W]`, if `shape` is that.
fn map<S: Copy, const C: usize, const H: usize, const W: usize>(
    shape: &[usize],
    values: &[S],
) -> Option<[[[S; W]; H]; C]> {
    (shape == [C, H, W]).then(|| {
        core::array::from_fn(|c| {
            core::array::from_fn(|i| core::array::from_fn(|j| values[(c * H + i) * W + j]))
        })
    })
}

/// The named tensor `"{layer}.{what}"` of `named`.
fn named_tensor<'a, S>(
    named: &'a [(String, Vec<usize>, Vec<S>)],
    layer: usize,
    what: &str,
) -> Option<(&'a [usize], &'a [S])> {
    let name = format!("{layer}.{what}");
    let (_, shape, values) = named.iter().find(|(n, ..)| *n == name)?;
    Some((shape, values))
}

fn weight<S: Copy, const F: usize, const C: usize, const KH: usize, const KW: usize>(
    named: &[(String, Vec<usize>, Vec<S>)],
    layer: usize,
) -> Option<[[[[S; KW]; KH]; C]; F]> {
    let (shape, values) = named_tensor(named, layer, "weight")?;
    let at = |f: usize, c: usize, i: usize, j: usize| values[((f * C + c) * KH + i) * KW + j];
    (shape == [F, C, KH, KW]).then(|| {
        core::array::from_fn(|f| {
            core::array::from_fn(|c| {
                core::array::from_fn(|i| core::array::from_fn(|j| at(f, c, i, j)))
            })
        })
    })
}

fn bias<S: Copy, const F: usize>(
    named: &[(String, Vec<usize>, Vec<S>)],
    layer: usize,
) -> Option<[S; F]> {
    let (shape, values) = named_tensor(named, layer, "bias")?;
    (shape == [F]).then(|| core::array::from_fn(|f| values[f]))
}

/// One example of a batch at one step: its own loss `L_n` and the gradients of that loss,
/// computed again from the step's parameters by the same code as the run.
#[derive(Clone)]
pub struct NetExample<S = f64> {
    run: Arc<Run<S>>,
    step: usize,
    example: usize,
}

impl<S: Scalar> NetExample<S> {
    /// Which example it is, from 0.
    pub const fn index(&self) -> usize {
        self.example
    }

    /// Its loss `L_n` at the step's parameters.
    pub fn loss(&self) -> S {
        self.run.example_losses[self.step * self.run.examples.len() + self.example]
    }

    /// `∂L_n/∂` each parameter, named as [`NetStep::named_parameters`] names them.
    pub fn named_grads(&self) -> Vec<(String, Vec<usize>, Vec<S>)> {
        let grads = self.run.replay(self.step, self.example).grads;
        self.run.named_as_params(self.step, grads)
    }

    /// Every layer's output for this example's input, as [`NetStep::layer_outputs`].
    pub fn layer_outputs(&self) -> Vec<(Vec<usize>, Vec<S>)> {
        self.run.replay(self.step, self.example).outputs
    }

    /// `∂L_n/∂` each layer's input, as [`NetStep::input_grads`].
    pub fn input_grads(&self) -> Vec<(Vec<usize>, Vec<S>)> {
        self.run.replay(self.step, self.example).input_grads
    }
}

impl<S: Scalar> fmt::Debug for NetExample<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetExample")
            .field("step", &self.step)
            .field("example", &self.example)
            .field("loss", &self.loss())
            .finish_non_exhaustive()
    }
}

impl<S: Scalar> fmt::Debug for NetStep<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetStep")
            .field("index", &self.index)
            .field("loss", &self.loss())
            .finish_non_exhaustive()
    }
}

/// A network's training run: the numbers of every step, and the equations of the steps
/// written out (the first five and the last of a run of more than 20 steps, all of a shorter
/// one).
#[derive(Clone)]
pub struct NetDerivation<S = f64> {
    run: Arc<Run<S>>,
    steps: Vec<NetStep<S>>,
    loss_after: S,
    /// The recorded steps, then the final forward pass: of a batch, the batch's equations
    /// (its loss, its gradient and the update).
    sections: Vec<Section<S>>,
    after: Section<S>,
    /// Of a batch, the passes of the examples written out, each in a section of its own: of
    /// every recorded step, then of the final forward pass.
    example_sections: Vec<Vec<Section<S>>>,
    after_examples: Vec<Section<S>>,
    /// Every example's loss at the final parameters.
    final_losses: Vec<S>,
    /// The finite-difference check of each step written out, if asked for.
    checks: Vec<GradientCheck<S>>,
    /// The learner's mistakes applied to the first step, if asked for, and the recipes that
    /// concern no layer of this network.
    mistakes: Vec<NetMistake<S>>,
    skipped: Vec<NetRecipe>,
    /// Whether training stopped after its last step taken because a value it needs (the loss,
    /// a gradient, the output or an updated parameter) is not a finite number.
    stopped: bool,
    /// The digits of the largest parameter, where an exact run stopped because its fractions
    /// grew past [`MAX_FRACTION_DIGITS`](crate::MAX_FRACTION_DIGITS).
    grown: Option<usize>,
    form: Form,
}

impl<S: Scalar> NetDerivation<S> {
    /// The steps taken, in order.
    pub fn steps(&self) -> &[NetStep<S>] {
        &self.steps
    }

    /// The parameters after the last update (the starting ones without a learning rate),
    /// named as [`NetStep::named_parameters`] names them.
    pub fn named_parameters(&self) -> Vec<(String, Vec<usize>, Vec<S>)> {
        (self.run.named)(self.run.params(self.steps.len()))
    }

    /// The loss of the final parameters.
    pub const fn loss_after(&self) -> S {
        self.loss_after
    }

    /// The learning rate, if there is one.
    pub fn lr(&self) -> Option<S> {
        self.run.lr
    }

    /// The equations of every step written out, in order.
    pub fn sections(&self) -> &[Section<S>] {
        &self.sections
    }

    /// The equations of the last forward pass, at the final parameters.
    pub const fn after(&self) -> &Section<S> {
        &self.after
    }

    /// Of a batch, the equations of each example written out, for every step written out,
    /// in the order of [`sections`](Self::sections) (which then hold the batch's equations);
    /// of a run on one input, none.
    pub fn example_sections(&self) -> &[Vec<Section<S>>] {
        &self.example_sections
    }

    /// How the batch's loss is made of its examples', or `None` for a run on one input.
    pub fn reduction(&self) -> Option<Reduction> {
        self.run.reduction
    }

    /// The finite-difference check of every step written out
    /// ([`Extras::finite_differences`]): each parameter's and each input entry's gradient
    /// next to its central difference, in [`Op::params_len`] order, then the input's.
    pub fn checks(&self) -> &[GradientCheck<S>] {
        &self.checks
    }

    /// The common wrong recipes of the backward pass applied to the first step
    /// ([`Extras::mistakes`]), those that concern some layer of this network, in the order of
    /// [`NetRecipe::ALL`].
    pub fn mistakes(&self) -> &[NetMistake<S>] {
        &self.mistakes
    }

    /// The same derivation, its equations written in `form`.
    #[must_use]
    pub fn with_form(mut self, form: Form) -> Self {
        self.form = form;
        self
    }

    /// The derivation for MathJax, KaTeX or a LaTeX document: one `align*` environment per
    /// stage, matrices as `bmatrix`.
    pub fn to_latex(&self) -> String {
        render::net_latex(&self.view(), self.form)
    }

    /// The derivation as GitHub-flavoured Markdown with math.
    pub fn to_markdown(&self) -> String {
        render::net_markdown(&self.view(), self.form)
    }

    /// The derivation as one self-contained HTML5 page, as
    /// [`Derivation::to_html`](crate::Derivation::to_html): the layers as a row of boxes
    /// with their output shapes, every equation as MathML Core, every matrix a coloured grid,
    /// the loss per step as a chart.
    pub fn to_html(&self) -> String {
        let losses = self
            .steps()
            .iter()
            .map(|s| s.loss().to_f64())
            .chain(core::iter::once(self.loss_after.to_f64()))
            .collect();
        render::net_html(&self.view(), self.form, losses)
    }

    /// Re-evaluates every printed equation from its printed operands, at the printed
    /// precision, as [`Derivation::verify`](crate::Derivation::verify) does.
    ///
    /// # Errors
    /// A [`VerifyError`] listing every equation whose printed result does not follow.
    pub fn verify(&self) -> Result<Verified, VerifyError> {
        let mut places: Vec<(String, &Section<S>)> = Vec::new();
        for (k, s) in self.sections.iter().enumerate() {
            let step = s.step.unwrap_or_default() + 1;
            for (n, example) in self.example_sections.get(k).into_iter().flatten().enumerate() {
                places.push((format!("step {step}, example {}", n + 1), example));
            }
            let batch = if self.example_sections.is_empty() { "" } else { ", the batch" };
            places.push((format!("step {step}{batch}"), s));
        }
        for (n, example) in self.after_examples.iter().enumerate() {
            places.push((format!("the final forward pass, example {}", n + 1), example));
        }
        places.push(("the final forward pass".to_owned(), &self.after));
        for (k, m) in self.mistakes.iter().enumerate() {
            for (n, example) in m.examples.iter().enumerate() {
                places.push((format!("mistake {}, example {}", k + 1, n + 1), example));
            }
            places.push((format!("mistake {}", k + 1), &m.pass));
            places.push((format!("mistake {}, the forward pass after", k + 1), &m.after));
        }
        render::verify_sections(places)
    }

    /// What the document is written from.
    fn view(&self) -> render::NetView<'_, S> {
        let run = &*self.run;
        render::NetView {
            layers: &run.layers,
            input: &run.examples[0].0,
            input_shape: &run.input_shape,
            start: run.params(0),
            last: run.params(self.steps.len()),
            objective: &run.examples[0].1,
            examples: &run.examples,
            reduction: run.reduction,
            example_losses: &run.example_losses,
            example_sections: &self.example_sections,
            after_examples: &self.after_examples,
            final_losses: &self.final_losses,
            lr: run.lr,
            steps: run.steps,
            losses: &run.losses,
            sections: &self.sections,
            after: &self.after,
            checks: &self.checks,
            mistakes: &self.mistakes,
            skipped: &self.skipped,
            stopped: self.stopped,
            grown: self.grown,
        }
    }
}

impl<S: Scalar> fmt::Display for NetDerivation<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render::net_text(&self.view(), self.form))
    }
}

impl<S: Scalar> fmt::Debug for NetDerivation<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetDerivation")
            .field("steps", &self.steps.len())
            .field("loss_after", &self.loss_after)
            .finish_non_exhaustive()
    }
}

/// Trains `net` from `start` (its parameters, flat, in [`Op::params_len`] order: each layer's
/// weight row-major, then its bias) on one input, for `steps` steps of gradient descent with
/// learning rate `lr`; without `lr`, computes one pass's gradients and updates nothing.
///
/// # Errors
/// A [`SpecError`] when the parameters or the objective do not have the network's sizes, the
/// learning rate is not positive and finite, `steps` is 0 or more than [`MAX_STEPS`], or more
/// than one step is asked for without a learning rate.
pub fn train_network<S, N>(
    net: N,
    start: &[S],
    input: &N::In,
    objective: Objective<S>,
    lr: Option<S>,
    steps: usize,
) -> Result<NetDerivation<S>, SpecError>
where
    S: Scalar + Send + Sync,
    N: Op<S> + Send + Sync + 'static,
{
    train_network_with(net, start, input, objective, lr, steps, Extras::default())
}

/// [`train_network`], with the optional sections `extras` asks for; its
/// [`input_grad`](Extras::input_grad) prints `∂L/∂x` of the network's input in every step
/// written out (always printed with an upstream gradient).
///
/// # Errors
/// As [`train_network`].
pub fn train_network_with<S, N>(
    net: N,
    start: &[S],
    input: &N::In,
    objective: Objective<S>,
    lr: Option<S>,
    steps: usize,
    extras: Extras,
) -> Result<NetDerivation<S>, SpecError>
where
    S: Scalar + Send + Sync,
    N: Op<S> + Send + Sync + 'static,
{
    let examples = vec![(input.flat().to_vec(), objective)];
    checked(&net, start, &examples, lr, steps)?;
    Ok(run(net, start, examples, None, lr, steps, extras))
}

/// Trains `net` from `start` on a batch of examples, each an input and its objective, for
/// `steps` steps of gradient descent with learning rate `lr`: at every step, every
/// example's forward and backward pass at the same parameters, the batch's loss
/// `L = (1/N)·Σ_n L_n` (or `Σ_n L_n`, as `reduction` says) and its gradient, the same mean
/// or sum of the examples' gradients, then one update `p ← p − η·∂L/∂p`. Without `lr`, one
/// pass's gradients and no update.
///
/// ```
/// use cnn_bp_core::network::{Objective, Reduction, train_batch};
/// use cnn_bp_core::ops::{Activate, Chain, Conv, Correlate, Geometry, Relu};
/// use cnn_bp_core::{Extras, Loss};
///
/// type Net = Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, Geometry<1, 1, 0, 0, 1, 1>, Correlate>,
///                  Activate<Relu, [[[f64; 2]; 2]; 1]>>;
/// let net: Net = Chain(Conv::new(false), Activate::new(Relu::default()));
/// let target = |t: [f64; 4]| Objective::Loss { loss: Loss::HalfSse, target: t.to_vec() };
/// let x1 = [[[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]]];
/// let x2 = [[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]];
/// let examples = [(&x1, target([1.0, 0.0, 0.0, 1.0])), (&x2, target([1.0, 1.0, 0.0, 0.0]))];
/// let d = train_batch(net, &[1.0, -1.0, 1.0, 1.0], &examples, Reduction::Mean, Some(0.5), 1,
///                     Extras::default())?;
///
/// let s = &d.steps()[0];
/// assert_eq!(s.loss(), 2.5); // (2 + 3)/2
/// // z₁ = [[3, 0], [−2, 1]] and z₂ = [[2, 0], [0, 2]]: L₁ = ½·(2² + 0 + 0 + 0) = 2 and
/// // L₂ = ½·(1² + 1² + 0 + 2²) = 3. δ₁ = [[2, 0], [0, 0]] and δ₂ = [[1, 0], [0, 2]] (the
/// // ReLU is off at z = 0): ∂L₁/∂w = [[2, −2], [0, 2]], ∂L₂/∂w = [[3, 0], [0, 3]], and
/// // the batch's gradient is their mean.
/// assert_eq!(s.examples()[0].loss(), 2.0);
/// assert_eq!(s.examples()[1].loss(), 3.0);
/// assert_eq!(s.named_grads()[0].2, [2.5, -1.0, 0.0, 2.5]);
/// assert_eq!(s.examples()[1].named_grads()[0].2, [3.0, 0.0, 0.0, 3.0]);
/// # Ok::<(), cnn_bp_core::SpecError>(())
/// ```
///
/// # Errors
/// As [`train_network`], for every example; [`SpecError::EmptyBatch`] without examples, and
/// [`SpecError::MixedObjectives`] when they are not all trained against the same loss (or
/// all against upstream gradients).
pub fn train_batch<S, N>(
    net: N,
    start: &[S],
    examples: &[(&N::In, Objective<S>)],
    reduction: Reduction,
    lr: Option<S>,
    steps: usize,
    extras: Extras,
) -> Result<NetDerivation<S>, SpecError>
where
    S: Scalar + Send + Sync,
    N: Op<S> + Send + Sync + 'static,
{
    let examples: Vec<(Vec<S>, Objective<S>)> =
        examples.iter().map(|(x, objective)| (x.flat().to_vec(), objective.clone())).collect();
    checked(&net, start, &examples, lr, steps)?;
    Ok(run(net, start, examples, Some(reduction), lr, steps, extras))
}

/// The checks of [`train_network`] and [`train_batch`].
fn checked<S: Scalar, N: Op<S>>(
    net: &N,
    start: &[S],
    examples: &[(Vec<S>, Objective<S>)],
    lr: Option<S>,
    steps: usize,
) -> Result<(), SpecError> {
    let params = net.params_len();
    if start.len() != params {
        return Err(SpecError::ParamsLen { expected: params, found: start.len() });
    }
    let Some((_, first)) = examples.first() else {
        return Err(SpecError::EmptyBatch);
    };
    let kind = |o: &Objective<S>| match o {
        Objective::Loss { loss, .. } => Some(*loss),
        _ => None,
    };
    for (n, (_, objective)) in examples.iter().enumerate() {
        if core::mem::discriminant(objective) != core::mem::discriminant(first)
            || kind(objective) != kind(first)
        {
            return Err(SpecError::MixedObjectives(n));
        }
        check_objective::<S, N>(objective)?;
    }
    if let Some(lr) = lr
        && !(lr.is_finite() && lr > S::ZERO)
    {
        return Err(SpecError::LearningRate(lr.to_f64()));
    }
    match steps {
        0 => return Err(SpecError::ZeroSteps),
        n if n > MAX_STEPS => return Err(SpecError::TooManySteps(n)),
        n if n > 1 && lr.is_none() => return Err(SpecError::StepsWithoutLr(n)),
        _ => {}
    }
    Ok(())
}

/// An objective's size, and a softmax cross-entropy's target.
fn check_objective<S: Scalar, N: Op<S>>(objective: &Objective<S>) -> Result<(), SpecError> {
    let outputs = <N::Out as Tensor<S>>::LEN;
    if objective.len() != outputs {
        return Err(SpecError::ObjectiveLen { expected: outputs, found: objective.len() });
    }
    if let Objective::SoftmaxCrossEntropy { target } = objective {
        if S::functions().is_none() {
            return Err(SpecError::NeedsFloat);
        }
        let sum: f64 = target.iter().map(|t| t.to_f64()).sum();
        if !target.iter().all(|&t| t.is_finite() && t >= S::ZERO) || (sum - 1.0).abs() > 1e-9 {
            return Err(SpecError::NotProbabilities { sum });
        }
    }
    Ok(())
}

/// [`train_network_with`] and [`train_batch`] without the checks: `reduction` is `None` for
/// a run on one input.
// One loop over the steps, then the run it leaves: apart, they would pass a dozen locals.
#[allow(clippy::too_many_lines)]
fn run<S, N>(
    net: N,
    start: &[S],
    examples: Vec<(Vec<S>, Objective<S>)>,
    reduction: Option<Reduction>,
    lr: Option<S>,
    steps: usize,
    extras: Extras,
) -> NetDerivation<S>
where
    S: Scalar + Send + Sync,
    N: Op<S> + Send + Sync + 'static,
{
    let input_grad = extras.input_grad || matches!(examples[0].1, Objective::GradOutput(_));
    let mut batch = Batch::new(&net, examples, reduction);
    let mut params = start.to_vec();
    let (mut kept, mut losses, mut example_losses) = (Vec::new(), Vec::new(), Vec::new());
    let (mut sections, mut example_sections) = (Vec::new(), Vec::new());
    let mut checks = Vec::new();
    let keeps = |k: usize| steps <= FULL_STEPS || k < HEAD_STEPS || k + 1 == steps;
    let layers = N::LAYERS > 1;
    let mut stopped = false;
    let mut grown = None;
    for k in 0..steps {
        kept.extend_from_slice(&params);
        let mut value = None;
        if !keeps(k) {
            let (v, _) = batch.run(&net, &params, false, None, &mut NoTrace);
            if let Some(lr) = lr {
                update(&net, &mut params, batch.grads(), lr, &mut NoTrace);
            }
            if batch.finite(v, &params) && outgrown(params.iter().copied()).is_none() {
                value = Some(v);
            } else {
                // The step that stops the run is written out: taken again, recorded, from
                // the parameters it started from.
                let from = kept.len() - params.len();
                params.copy_from_slice(&kept[from..]);
            }
        }
        let value = value.unwrap_or_else(|| {
            if extras.finite_differences {
                checks.push(check::check(&net, &params, &batch, (k, layers)));
            }
            let mut rec = Collector::showing_layers(layers);
            let (value, shown) = batch.run(&net, &params, input_grad, Some((k, layers)), &mut rec);
            if let Some(lr) = lr {
                update(&net, &mut params, batch.grads(), lr, &mut rec);
            }
            sections.push(Section { step: Some(k), equations: rec.equations });
            if reduction.is_some() {
                example_sections.push(shown);
            }
            value
        });
        losses.push(value);
        example_losses.extend_from_slice(&batch.losses);
        if !batch.finite(value, &params) {
            stopped = true;
            break;
        }
        if let Some(digits) = outgrown(params.iter().copied()) {
            grown = Some(digits);
            break;
        }
    }
    kept.extend_from_slice(&params);
    let mut rec = Collector::showing_layers(layers);
    let (loss_after, after_examples) = batch.loss(&net, &params, Some(layers), &mut rec);
    let after = Section { step: None, equations: rec.equations };
    let final_losses = batch.losses.clone();
    let taken = losses.len();
    let settings = (lr, input_grad, layers);
    let (mistakes, skipped) = if extras.mistakes && reduction.is_some() {
        mistakes::batch_mistakes(&net, start, &batch, settings)
    } else if extras.mistakes {
        let (x, objective) = &batch.examples[0];
        mistakes::mistakes(&net, start, x, objective, settings)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut docs = Vec::with_capacity(N::LAYERS);
    net.describe(&mut docs);
    let net = Arc::new(net);
    let (replay_net, named_net) = (Arc::clone(&net), net);
    let replay = move |params: &[S], x: &[S], objective: &Objective<S>| {
        replay(&*replay_net, params, x, objective)
    };
    let named = move |params: &[S]| {
        let mut out = Vec::new();
        named_net.named(0, params, &mut out);
        out
    };
    let run = Arc::new(Run {
        params_len: start.len(),
        params: kept,
        losses,
        example_losses,
        examples: batch.examples,
        input_shape: <N::In as Tensor<S>>::shape(),
        reduction,
        lr,
        steps,
        layers: docs,
        replay: Box::new(replay),
        named: Box::new(named),
    });
    let steps = (0..taken).map(|index| NetStep { run: Arc::clone(&run), index }).collect();
    NetDerivation {
        run,
        steps,
        loss_after,
        sections,
        after,
        example_sections,
        after_examples,
        final_losses,
        checks,
        mistakes,
        skipped,
        stopped,
        grown,
        form: Form::default(),
    }
}

/// One pass at `params`, its every junction kept.
fn replay<S: Scalar, N: Op<S>>(
    net: &N,
    params: &[S],
    x: &[S],
    objective: &Objective<S>,
) -> Replayed<S> {
    let mut pass = Pass::new(net);
    let xv = <N::In as Tensor<S>>::view(x);
    pass.run(net, params, xv, objective, true, &mut NoTrace);
    let mut junctions = Vec::new();
    net.junctions(&pass.workspace, &mut junctions);
    let mut outputs: Vec<(Vec<usize>, Vec<S>)> =
        junctions.iter().map(|(shape, value, _)| (shape.clone(), value.to_vec())).collect();
    outputs.push((<N::Out as Tensor<S>>::shape(), pass.y.clone()));
    let mut input_grads = vec![(<N::In as Tensor<S>>::shape(), pass.dx.clone())];
    input_grads.extend(junctions.iter().map(|(shape, _, grad)| (shape.clone(), grad.to_vec())));
    Replayed { grads: pass.grads, outputs, input_grads }
}

/// The buffers of [`net_step`] for one network, allocated once: the output and `∂L/∂` it, every
/// junction between layers (values and gradients) and every parameter's gradient.
///
/// They are one allocation, the gradients last, so that the compiler sees from constant offsets
/// that no two of them overlap (with a buffer each it must assume that a store into one may
/// change another, and cannot compute neighbouring entries together).
///
/// After a step they hold that step's numbers: [`grads`](Self::grads),
/// [`layer_outputs`](Self::layer_outputs) and [`output_grads`](Self::output_grads).
pub struct NetBuffers<S> {
    /// `y` and `∂L/∂y` (`out` entries each), the workspace (`workspace` entries), the
    /// gradients.
    data: Vec<S>,
    out: usize,
    workspace: usize,
}

impl<S> fmt::Debug for NetBuffers<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetBuffers")
            .field("outputs", &self.out)
            .field("workspace", &self.workspace)
            .field("params", &(self.data.len() - 2 * self.out - self.workspace))
            .finish_non_exhaustive()
    }
}

impl<S: Scalar> NetBuffers<S> {
    /// The buffers for `net`.
    pub fn new<N: Op<S>>(net: &N) -> Self {
        let (out, workspace) = (<N::Out as Tensor<S>>::LEN, net.workspace_len());
        Self { data: vec![S::ZERO; 2 * out + workspace + net.params_len()], out, workspace }
    }

    /// `y`, `∂L/∂y`, the workspace and the gradients.
    fn parts(&self) -> (&[S], &[S], &[S], &[S]) {
        let (y, rest) = self.data.split_at(self.out);
        let (dy, rest) = rest.split_at(self.out);
        let (workspace, grads) = rest.split_at(self.workspace);
        (y, dy, workspace, grads)
    }

    /// `∂L/∂` every parameter at the last step's parameters (before its update), flat, in
    /// [`Op::params_len`] order.
    pub fn grads(&self) -> &[S] {
        self.parts().3
    }

    /// Every layer's output of the last step, flat, in order of layer; the last is the
    /// network's output. `net` must be the network the buffers were made for.
    pub fn layer_outputs<N: Op<S>>(&self, net: &N) -> Vec<&[S]> {
        let (y, _, workspace, _) = self.parts();
        let mut junctions = Vec::new();
        net.junctions(workspace, &mut junctions);
        let mut out: Vec<&[S]> = junctions.iter().map(|&(_, value, _)| value).collect();
        out.push(y);
        out
    }

    /// `∂L/∂` every layer's output of the last step, in order of layer, as
    /// [`layer_outputs`](Self::layer_outputs) gives them (`∂L/∂` a hidden layer's output is the
    /// next layer's `∂L/∂x`).
    pub fn output_grads<N: Op<S>>(&self, net: &N) -> Vec<&[S]> {
        let (_, dy, workspace, _) = self.parts();
        let mut junctions = Vec::new();
        net.junctions(workspace, &mut junctions);
        let mut out: Vec<&[S]> = junctions.iter().map(|&(_, _, grad)| grad).collect();
        out.push(dy);
        out
    }
}

/// One step of gradient descent on `net`, unrecorded ([`NoTrace`]): the forward pass, the
/// loss against `objective`, the backward pass (`∂L/∂x` of every hidden layer, not of the
/// network's input) and `p ← p − lr·∂L/∂p` for every parameter, in place. Returns the loss at
/// the parameters it started from. The same arithmetic in the same order as every step of
/// [`train_network`], so the same bits; what the step computed stays in `buffers`.
///
/// ```
/// use cnn_bp_core::network::{NetBuffers, Objective, net_step};
/// use cnn_bp_core::ops::{Activate, Chain, Conv, Correlate, Geometry, Relu};
/// use cnn_bp_core::Loss;
///
/// // The seed question: conv (2×2), then relu, one step of lr 0.5.
/// type Net = Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, Geometry<1, 1, 0, 0, 1, 1>, Correlate>,
///                  Activate<Relu, [[[f64; 2]; 2]; 1]>>;
/// let net: Net = Chain(Conv::new(false), Activate::new(Relu::default()));
/// let x = [[[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]]];
/// let target = Objective::Loss { loss: Loss::HalfSse, target: vec![1.0, 0.0, 0.0, 1.0] };
/// let mut params = [1.0, -1.0, 1.0, 1.0];
/// let mut buffers = NetBuffers::new(&net);
///
/// let loss = net_step(&net, &mut params, &x, &target, 0.5, &mut buffers);
/// assert_eq!(loss, 2.0);
/// assert_eq!(buffers.layer_outputs(&net)[0], [3.0, 0.0, -2.0, 1.0]);
/// assert_eq!(buffers.grads(), [2.0, -2.0, 0.0, 2.0]);
/// assert_eq!(params, [0.0, 0.0, 1.0, 0.0]);
/// ```
///
/// # Panics
/// If `params`, the objective or `buffers` are not of `net`'s sizes.
pub fn net_step<S: Scalar, N: Op<S>>(
    net: &N,
    params: &mut [S],
    x: &N::In,
    objective: &Objective<S>,
    lr: S,
    buffers: &mut NetBuffers<S>,
) -> S {
    let n = <N::Out as Tensor<S>>::LEN;
    let (out, ws) = (buffers.out, buffers.workspace);
    assert!(
        out == n
            && ws == net.workspace_len()
            && buffers.data.len() == 2 * n + ws + params.len()
            && objective.len() == n,
        "parameters, objective and buffers of the network's sizes"
    );
    let (y, rest) = buffers.data.split_at_mut(n);
    let (dy, rest) = rest.split_at_mut(n);
    let (workspace, grads) = rest.split_at_mut(ws);
    net.forward(At::FIRST, params, x, <N::Out as Tensor<S>>::view_mut(y), workspace, &mut NoTrace);
    let value = match objective {
        Objective::Loss { loss, target } => {
            untraced_loss_of(*loss, &y[..n], &target[..n], &mut dy[..n])
        }
        Objective::GradOutput(g) => untraced_upstream(&y[..n], &g[..n], &mut dy[..n]),
        Objective::SoftmaxCrossEntropy { target } => {
            let no_name = |_| Sym::loss();
            let value = softmax_cross_entropy::loss(
                &y[..n],
                &target[..n],
                &mut dy[..n],
                (&no_name, &no_name),
                &mut NoTrace,
            );
            softmax_cross_entropy::loss_grad(
                &target[..n],
                &mut dy[..n],
                &no_name,
                false,
                &mut NoTrace,
            );
            value
        }
    };
    let (y, dy) = (<N::Out as Tensor<S>>::view(y), <N::Out as Tensor<S>>::view(dy));
    net.backward(At::FIRST, params, x, y, dy, None, grads, workspace, &mut NoTrace);
    for (p, &g) in params.iter_mut().zip(&*grads) {
        // As `update` computes it.
        *p = *p - lr * g;
    }
    value
}

/// `loss` and `loss_grad` of `loss` against `t`, unrecorded, into `dy`: the same arithmetic in
/// the same order, so the same bits. Each loss a constant in its own call of [`untraced_loss`],
/// so that its scales are constants too and the loops have no branches; `dy` written four
/// entries at a time (see [`untraced_loss`]).
#[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn untraced_loss_of<S: Scalar>(loss: Loss, y: &[S], t: &[S], dy: &mut [S]) -> S {
    match loss {
        Loss::HalfSse => untraced_loss(y, t, dy, Loss::HalfSse),
        Loss::Sse => untraced_loss(y, t, dy, Loss::Sse),
        other => untraced_loss(y, t, dy, other),
    }
}

/// `loss` and `loss_grad` of a loss, unrecorded: the same arithmetic in the same order. Always
/// inlined, where the slices' lengths are constants and `loss` is one ([`untraced_loss_of`]
/// calls it once per loss), so that its scales fold and its loops have no branches.
#[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
#[cfg_attr(not(debug_assertions), inline(always))]
fn untraced_loss<S: Scalar>(y: &[S], t: &[S], dy: &mut [S], loss: Loss) -> S {
    let (scale, grad_scale) = (loss.scale(y.len()), loss.grad_scale(y.len()));
    let mut acc = S::ZERO;
    for (&y, &t) in y.iter().zip(t) {
        let diff = y - t;
        acc = acc + diff * diff;
    }
    // Four entries at a time, all read before any is written. The compiler cannot know that
    // `t` (the caller's memory) and `dy` (the buffers') do not overlap, so entry by entry it
    // must write each `dy` before reading the next `t`: one store at a time, which the layer
    // before, reading `dy` two at a time, then waits for (a load cannot take its value from
    // two stores in flight). Measured at 3×3: a third of the step's time.
    let (mut dys, mut ys, mut ts) = (dy.chunks_exact_mut(4), y.chunks_exact(4), t.chunks_exact(4));
    for ((dy, y), t) in (&mut dys).zip(&mut ys).zip(&mut ts) {
        let diff: [S; 4] = core::array::from_fn(|k| y[k] - t[k]);
        for (dy, diff) in dy.iter_mut().zip(diff) {
            *dy = grad_scale.apply(diff);
        }
    }
    let rest = dys.into_remainder().iter_mut().zip(ys.remainder().iter().zip(ts.remainder()));
    for (dy, (&y, &t)) in rest {
        *dy = grad_scale.apply(y - t);
    }
    scale.apply(acc)
}

/// `loss` and `loss_grad` of an upstream gradient `g`, unrecorded, as [`untraced_loss`].
#[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
#[cfg_attr(not(debug_assertions), inline(always))]
fn untraced_upstream<S: Scalar>(y: &[S], g: &[S], dy: &mut [S]) -> S {
    let mut acc = S::ZERO;
    for (&y, &g) in y.iter().zip(g) {
        acc = acc + g * y;
    }
    dy.copy_from_slice(g);
    Scale::ONE.apply(acc)
}
