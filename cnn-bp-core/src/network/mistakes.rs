//! `mistakes: true` for a network: the common wrong recipes of the backward pass, each made
//! by the op it concerns ([`Op::slipped`]) and run through the same code as the correct step,
//! on the first step's numbers: the wrong gradients, the update they give and the loss after.

use std::sync::Arc;

use super::batch::{Batch, Reduction};
use super::{Objective, Pass, update};
use crate::ops::{At, Op, Tensor};
use crate::render::LayerDoc;
use crate::scalar::Scalar;
use crate::trace::{Collector, NetRecipe, Section};

/// One wrong recipe applied to a network's first step.
#[derive(Clone)]
pub struct NetMistake<S> {
    /// Which recipe.
    pub recipe: NetRecipe,
    /// Its backward pass (and its update, with a learning rate), the forward pass it started
    /// from being the first step's.
    pub pass: Section<S>,
    /// The forward pass and the loss at the parameters it gives.
    pub after: Section<S>,
    /// The loss at the parameters it gives.
    pub loss_after: S,
    /// How its layers are written: the ops that make the mistake say so.
    pub(crate) layers: Vec<Arc<dyn LayerDoc<S>>>,
    /// Of a batch, the passes of the examples written out (`pass` then holds the batch's
    /// gradient and the update, `after` the batch's loss).
    pub(crate) examples: Vec<Section<S>>,
}

impl<S: core::fmt::Debug> core::fmt::Debug for NetMistake<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NetMistake")
            .field("recipe", &self.recipe)
            .field("loss_after", &self.loss_after)
            .finish_non_exhaustive()
    }
}

/// Every recipe that concerns some op of `net`, applied at the first step's parameters;
/// and the recipes that concern none.
pub(super) fn mistakes<S: Scalar, N: Op<S>>(
    net: &N,
    start: &[S],
    x: &[S],
    objective: &Objective<S>,
    (lr, input_grad, layers): (Option<S>, bool, bool),
) -> (Vec<NetMistake<S>>, Vec<NetRecipe>) {
    let (mut made, mut skipped) = (Vec::new(), Vec::new());
    let mut pass = Pass::new(net);
    let mut docs = Vec::with_capacity(N::LAYERS);
    net.describe(&mut docs);
    let softmax = matches!(objective, Objective::SoftmaxCrossEntropy { .. });
    for recipe in NetRecipe::ALL {
        // The recipes of the ops of "Networks II" are said not to apply only to a network that
        // has such an op (or loss).
        let has = |kind: &str| docs.iter().any(|l| l.kind() == kind);
        let relevant = match recipe {
            NetRecipe::SpreadMaxPool => has("max_pool"),
            NetRecipe::UntransposedWeight => has("dense"),
            NetRecipe::FlippedSoftmaxGradient => softmax,
            _ => has("conv"),
        };
        let slipped = if recipe == NetRecipe::FlippedSoftmaxGradient {
            softmax.then(|| net.clone())
        } else {
            net.slipped(At::FIRST, recipe)
        };
        let Some(wrong) = slipped else {
            if relevant {
                skipped.push(recipe);
            }
            continue;
        };
        pass.slip = (recipe == NetRecipe::FlippedSoftmaxGradient).then_some(recipe);
        let mut rec = Collector::showing_layers(layers);
        let mut params = start.to_vec();
        let xv = <N::In as Tensor<S>>::view(x);
        pass.run(&wrong, &params, xv, objective, input_grad, &mut rec);
        if let Some(lr) = lr {
            update(&wrong, &mut params, &pass.grads, lr, &mut rec);
        }
        let mut after = Collector::showing_layers(layers);
        pass.slip = None;
        let loss_after = pass.loss(net, &params, xv, objective, &mut after);
        let mut docs = Vec::with_capacity(N::LAYERS);
        wrong.describe(&mut docs);
        made.push(NetMistake {
            recipe,
            pass: Section { step: Some(0), equations: rec.equations },
            after: Section { step: None, equations: after.equations },
            loss_after,
            layers: docs,
            examples: Vec::new(),
        });
    }
    (made, skipped)
}

/// The mistakes of a batch, on its first step: the examples' gradients summed while the loss
/// is their mean (a batch of more than one, with the mean), and each example's bias gradient
/// averaged over positions (a network with a conv); and the recipes that concern nothing.
pub(super) fn batch_mistakes<S: Scalar, N: Op<S>>(
    net: &N,
    start: &[S],
    batch: &Batch<S>,
    (lr, input_grad, layers): (Option<S>, bool, bool),
) -> (Vec<NetMistake<S>>, Vec<NetRecipe>) {
    let (mut made, mut skipped) = (Vec::new(), Vec::new());
    let Some(reduction) = batch.reduction else { return (made, skipped) };
    let examples = || batch.examples.clone();
    let make = |recipe: NetRecipe, wrong: &N, summed: bool| {
        let mut wrong_batch = Batch::new(wrong, examples(), Some(reduction));
        wrong_batch.summed = summed;
        let mut rec = Collector::showing_layers(layers);
        let mut params = start.to_vec();
        let (_, shown) = wrong_batch.run(wrong, &params, input_grad, Some((0, layers)), &mut rec);
        if let Some(lr) = lr {
            update(wrong, &mut params, wrong_batch.grads(), lr, &mut rec);
        }
        let mut after = Collector::showing_layers(layers);
        let mut right = Batch::new(net, examples(), Some(reduction));
        let (loss_after, _) = right.loss(net, &params, None, &mut after);
        let mut docs = Vec::with_capacity(N::LAYERS);
        wrong.describe(&mut docs);
        NetMistake {
            recipe,
            pass: Section { step: Some(0), equations: rec.equations },
            after: Section { step: None, equations: after.equations },
            loss_after,
            layers: docs,
            examples: shown,
        }
    };
    if reduction == Reduction::Mean && batch.examples.len() > 1 {
        made.push(make(NetRecipe::SummedBatchGradient, net, true));
    } else {
        skipped.push(NetRecipe::SummedBatchGradient);
    }
    match net.slipped(crate::ops::At::FIRST, NetRecipe::MeanBias) {
        Some(wrong) => made.push(make(NetRecipe::MeanBias, &wrong, false)),
        None => skipped.push(NetRecipe::MeanBias),
    }
    (made, skipped)
}
