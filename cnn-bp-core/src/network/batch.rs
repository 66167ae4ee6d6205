//! Mini-batches: every example's forward and backward pass at the same parameters, then the
//! batch's loss and gradient made of theirs, `L = (1/N)·(L₁ + … + L_N)` (or the sum) and
//! `∂L/∂p = (1/N)·(∂L₁/∂p + … + ∂L_N/∂p)` for every parameter, recorded; one update follows.
//!
//! A run on one input is a batch of one without the batch's equations: [`Batch::run`]
//! then records that one pass as a run on one input always has.

use super::{Objective, Pass};
use crate::layer::Scale;
use crate::ops::{Op, Tensor};
use crate::scalar::Scalar;
use crate::trace::{Collector, Name, Operand, Recorder, Section, Sym, Term};

/// How a batch's loss is made of its examples' losses.
///
/// ```
/// use cnn_bp_core::network::Reduction;
/// use cnn_bp_core::Scale;
/// assert_eq!(Reduction::default(), Reduction::Mean); // as PyTorch's losses
/// assert_eq!(Reduction::Mean.scale(4), Scale::new(1, 4));
/// assert_eq!(Reduction::Sum.scale(4), Scale::ONE);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// `L = (1/N)·Σ_n L_n`, PyTorch's `reduction='mean'`.
    #[default]
    Mean,
    /// `L = Σ_n L_n`, PyTorch's `reduction='sum'`.
    Sum,
}

impl Reduction {
    /// The factor in front of the sum of `n` examples' losses (and of their gradients).
    pub const fn scale(self, n: usize) -> Scale {
        match self {
            Self::Mean => Scale::new(1, n),
            Self::Sum => Scale::ONE,
        }
    }

    /// `mean` or `sum`, as a spec writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Mean => "mean",
            Self::Sum => "sum",
        }
    }
}

/// A batch of at most this many examples is written out in full; a larger one writes out its
/// first [`HEAD_EXAMPLES`] and gives the others' losses and gradients only where the batch's
/// equations use them.
pub const FULL_EXAMPLES: usize = 4;

/// The examples a larger batch writes out.
pub const HEAD_EXAMPLES: usize = 3;

/// How many of `n` examples are written out.
pub(crate) const fn shown(n: usize) -> usize {
    if n <= FULL_EXAMPLES { n } else { HEAD_EXAMPLES }
}

/// `L = s·(L₁ + … + L_N)`, recorded.
pub(crate) fn batch_loss<S: Scalar, R: Recorder<S>>(
    reduction: Reduction,
    losses: &[S],
    rec: &mut R,
) -> S {
    let mut acc = S::ZERO;
    for (n, &loss) in losses.iter().enumerate() {
        acc = acc + loss;
        rec.term(Term::Single(Operand::new(Sym::loss().of_example(n), loss)));
    }
    let scale = reduction.scale(losses.len());
    let value = scale.apply(acc);
    rec.sum(Sym::loss(), scale, value);
    value
}

/// `∂L/∂p = s·(∂L₁/∂p + … + ∂L_N/∂p)` for every parameter `p` (`sym` names it), recorded, into
/// `out`; `grads` holds the examples' gradients one after another.
pub(crate) fn batch_grads<S: Scalar, R: Recorder<S>>(
    reduction: Reduction,
    grads: &[S],
    out: &mut [S],
    sym: impl Fn(usize) -> Sym,
    rec: &mut R,
) {
    let len = out.len();
    let n = grads.len().checked_div(len).unwrap_or(0);
    let scale = reduction.scale(n);
    for (k, slot) in out.iter_mut().enumerate() {
        let param = sym(k);
        let grad = param.renamed(if param.name == Name::B { Name::GradB } else { Name::GradW });
        let mut acc = S::ZERO;
        for example in 0..n {
            let value = grads[example * len + k];
            acc = acc + value;
            rec.term(Term::Single(Operand::new(grad.of_example(example), value)));
        }
        *slot = scale.apply(acc);
        rec.sum(grad, scale, *slot);
    }
}

/// The examples a network is trained on (one input and its objective each, the input flat),
/// and the buffers of their passes.
pub(crate) struct Batch<S> {
    pub(crate) examples: Vec<(Vec<S>, Objective<S>)>,
    /// `None` for a run on one input, written as such.
    pub(crate) reduction: Option<Reduction>,
    pub(crate) pass: Pass<S>,
    /// Every example's loss and gradients at the last parameters run.
    pub(crate) losses: Vec<S>,
    grads: Vec<S>,
    /// The batch's gradient.
    gradient: Vec<S>,
    /// The learner's mistake of summing the examples' gradients while the loss is their mean.
    pub(crate) summed: bool,
}

impl<S: Scalar> Batch<S> {
    pub(crate) fn new<N: Op<S>>(
        net: &N,
        examples: Vec<(Vec<S>, Objective<S>)>,
        reduction: Option<Reduction>,
    ) -> Self {
        let (n, p) = (examples.len(), net.params_len());
        Self {
            examples,
            reduction,
            pass: Pass::new(net),
            losses: vec![S::ZERO; n],
            grads: vec![S::ZERO; if reduction.is_some() { n * p } else { 0 }],
            gradient: vec![S::ZERO; if reduction.is_some() { p } else { 0 }],
            summed: false,
        }
    }

    /// The gradient the update takes: the batch's, or the one input's.
    pub(crate) fn grads(&self) -> &[S] {
        if self.reduction.is_some() { &self.gradient } else { &self.pass.grads }
    }

    /// Every example's forward pass, loss and backward pass at `params`, then the batch's loss
    /// and gradient; returns the loss. Recorded where `record` gives the step and whether
    /// names show their layer: the examples written out each into a section of their own
    /// (returned), the batch's equations into `rec`; a run on one input records its pass into
    /// `rec`.
    pub(crate) fn run<N: Op<S>, R: Recorder<S>>(
        &mut self,
        net: &N,
        params: &[S],
        input_grad: bool,
        record: Option<(usize, bool)>,
        rec: &mut R,
    ) -> (S, Vec<Section<S>>) {
        let Some(reduction) = self.reduction else {
            let (x, objective) = &self.examples[0];
            let xv = <N::In as Tensor<S>>::view(x);
            let value = self.pass.run(net, params, xv, objective, input_grad, rec);
            self.losses[0] = value;
            return (value, Vec::new());
        };
        let p = params.len();
        let mut sections = Vec::new();
        let shown = record.map_or(0, |_| shown(self.examples.len()));
        for (n, (x, objective)) in self.examples.iter().enumerate() {
            let xv = <N::In as Tensor<S>>::view(x);
            self.losses[n] = if n < shown {
                let (step, layers) = record.unwrap_or_default();
                let mut own = Collector::showing_layers(layers);
                let value = self.pass.run(net, params, xv, objective, input_grad, &mut own);
                sections.push(Section { step: Some(step), equations: own.equations });
                value
            } else {
                self.pass.run(net, params, xv, objective, false, &mut super::NoTrace)
            };
            self.grads[n * p..(n + 1) * p].copy_from_slice(&self.pass.grads);
        }
        let value = batch_loss(reduction, &self.losses, rec);
        let of_grads = if self.summed { Reduction::Sum } else { reduction };
        batch_grads(of_grads, &self.grads, &mut self.gradient, |k| net.param_sym(0, k), rec);
        (value, sections)
    }

    /// Only every example's forward pass and loss, then the batch's loss, recorded as
    /// [`run`](Self::run) records (the sections' step `None`).
    pub(crate) fn loss<N: Op<S>, R: Recorder<S>>(
        &mut self,
        net: &N,
        params: &[S],
        layers: Option<bool>,
        rec: &mut R,
    ) -> (S, Vec<Section<S>>) {
        let Some(reduction) = self.reduction else {
            let (x, objective) = &self.examples[0];
            let xv = <N::In as Tensor<S>>::view(x);
            let value = self.pass.loss(net, params, xv, objective, rec);
            self.losses[0] = value;
            return (value, Vec::new());
        };
        let mut sections = Vec::new();
        let shown = layers.map_or(0, |_| shown(self.examples.len()));
        for (n, (x, objective)) in self.examples.iter().enumerate() {
            let xv = <N::In as Tensor<S>>::view(x);
            self.losses[n] = if n < shown {
                let mut own = Collector::showing_layers(layers.unwrap_or_default());
                let value = self.pass.loss(net, params, xv, objective, &mut own);
                sections.push(Section { step: None, equations: own.equations });
                value
            } else {
                self.pass.loss(net, params, xv, objective, &mut super::NoTrace)
            };
        }
        (batch_loss(reduction, &self.losses, rec), sections)
    }

    /// Whether training can go on after a step: its loss, gradients, output and updated
    /// parameters are finite numbers.
    pub(crate) fn finite(&self, value: S, params: &[S]) -> bool {
        let outputs: &[S] = if self.reduction.is_some() { &self.losses } else { &self.pass.y };
        value.is_finite() && self.grads().iter().chain(params).chain(outputs).all(|v| v.is_finite())
    }
}
