//! `check: finite_differences` for a network: every parameter of every layer, and every entry
//! of the network's input, moved by `±h`, the loss computed again by the same forward pass,
//! and the central difference set next to backpropagation's gradient.
//!
//! An entry is not compared where the move changes a branch the pass took (a ReLU's side):
//! the loss has a kink within `±h` there, and a central difference across it means nothing.
//! The branches are those the backward pass records (`Expr::Slope`'s case), so an op with a
//! branch of its own (a pooling's argmax) is covered by recording it.

use super::Pass;
use super::batch::{Batch, batch_loss};
use crate::ops::SlopeCase;
use crate::ops::{Op, Tensor};
use crate::scalar::Scalar;
use crate::trace::{CheckedEntry, Expr, GradientCheck, Name, Operand, Recorder, Sym};

/// The step of the central differences relative to the largest value moved:
/// `h = 10⁻⁶·max(1, |largest|)`.
const RELATIVE_H: f64 = 1e-6;

/// A [`Recorder`] that keeps only the branches a pass took: each activation derivative's case,
/// with its argument and its activation's kink.
struct Branches<S> {
    taken: Vec<(Operand<S>, Branch, Option<&'static str>)>,
}

/// A branch a pass took: an activation derivative's case, or the entry a max picked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Branch {
    Slope(SlopeCase),
    Pick(usize),
}

impl<S> Default for Branches<S> {
    fn default() -> Self {
        Self { taken: Vec::new() }
    }
}

impl<S: Copy> Recorder<S> for Branches<S> {
    fn equation(&mut self, lhs: Sym, expr: Expr<S>, value: S) {
        match expr {
            Expr::Slope { f, z, case, .. } => self.taken.push((z, Branch::Slope(case), f.kink())),
            // A softmax's largest logit is a choice that does not change the loss.
            Expr::Max { pick, .. } if lhs.name != Name::Shift => self.taken.push((
                Operand::new(lhs, value),
                Branch::Pick(pick),
                Some("a change of its max-pool window's maximum"),
            )),
            _ => {}
        }
    }
}

impl<S: Copy> Branches<S> {
    /// The first branch that `other` took differently, as this pass saw its argument, and the
    /// kink it crossed.
    fn first_change(&self, other: &Self) -> Option<(Operand<S>, &'static str)> {
        let (a, _) = self.taken.iter().zip(&other.taken).find(|(a, b)| a.1 != b.1)?;
        Some((a.0, a.2.unwrap_or_default()))
    }
}

fn abs<S: Scalar>(v: S) -> S {
    if v < S::ZERO { -v } else { v }
}

/// Central differences for every parameter and every input entry of the step taken from
/// `params`: `step` is its index, `layers` whether names show their layer. Of a batch, the
/// batch loss's, for every parameter (each input entry's gradient is its own example's).
pub(super) fn check<S: Scalar, N: Op<S>>(
    net: &N,
    params: &[S],
    batch: &Batch<S>,
    (step, layers): (usize, bool),
) -> GradientCheck<S> {
    let mut pass = Pass::new(net);
    let mut base = Branches::default();
    let mut losses = Vec::with_capacity(batch.examples.len());
    // The loss at the parameters and the first example's input `x`, the branches taken.
    let mut loss_at = |pass: &mut Pass<S>, params: &[S], x: &[S], branches: &mut Branches<S>| {
        losses.clear();
        for (n, (input, objective)) in batch.examples.iter().enumerate() {
            let input = if n == 0 { x } else { input };
            let xv = <N::In as Tensor<S>>::view(input);
            losses.push(pass.run(net, params, xv, objective, true, branches));
        }
        match batch.reduction {
            Some(reduction) => batch_loss(reduction, &losses, &mut super::NoTrace),
            None => losses[0],
        }
    };
    let x = &batch.examples[0].0;
    // Backpropagation's gradients, by the run's own code.
    let mut fresh = Batch::new(net, batch.examples.clone(), batch.reduction);
    fresh.run(net, params, true, None, &mut super::NoTrace);
    let (grads, dx) = (fresh.grads().to_vec(), fresh.pass.dx.clone());
    let _ = loss_at(&mut pass, params, x, &mut base);
    let largest = |v: &[S]| v.iter().fold(S::ONE, |m, &v| if abs(v) > m { abs(v) } else { m });
    // Scaled by the parameters and the inputs: of a batch, every example's, so that a batch of
    // one takes its input's run's h, and no example's entries count more than another's.
    let h = S::from_f64(RELATIVE_H)
        * batch
            .examples
            .iter()
            .map(|(x, _)| largest(x))
            .fold(largest(params), |m, i| if i > m { i } else { m });
    let two_h = S::from_usize(2) * h;
    let mut entries = Vec::with_capacity(params.len() + x.len());
    // The loss, and the branches taken, at moved parameters and input.
    let mut at = |pass: &mut Pass<S>, params: &[S], x: &[S]| {
        let mut branches = Branches::default();
        let loss = loss_at(pass, params, x, &mut branches);
        (loss, branches)
    };
    let entry =
        |grad: Operand<S>, (plus, up): (S, Branches<S>), (minus, down): (S, Branches<S>)| {
            let central = (plus - minus) / two_h;
            let kink = base.first_change(&up).or_else(|| base.first_change(&down));
            let kink = kink.map(|(z, f)| (Operand::new(z.sym.showing_layer(layers), z.value), f));
            let difference = abs(grad.value - central);
            CheckedEntry { grad, loss_plus: plus, loss_minus: minus, central, difference, kink }
        };
    let mut probe = params.to_vec();
    for k in 0..params.len() {
        probe[k] = params[k] + h;
        let up = at(&mut pass, &probe, x);
        probe[k] = params[k] - h;
        let down = at(&mut pass, &probe, x);
        probe[k] = params[k];
        let sym = net.param_sym(0, k);
        let name = if sym.name == Name::B { Name::GradB } else { Name::GradW };
        entries.push(entry(
            Operand::new(sym.renamed(name).showing_layer(layers), grads[k]),
            up,
            down,
        ));
    }
    let inputs = if batch.reduction.is_some() { 0 } else { x.len() };
    let mut probe = x.clone();
    for k in 0..inputs {
        probe[k] = x[k] + h;
        let up = at(&mut pass, params, &probe);
        probe[k] = x[k] - h;
        let down = at(&mut pass, params, &probe);
        probe[k] = x[k];
        let sym = <N::In as Tensor<S>>::sym(Name::Dx, 0, k).showing_layer(layers);
        entries.push(entry(Operand::new(sym, dx[k]), up, down));
    }
    GradientCheck { step, h, entries }
}
