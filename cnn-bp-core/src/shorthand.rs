//! The single layer's shorthand, the network `[conv, activation]`, trained by its ops: what
//! `train!` runs for a single-layer spec, with the stride, padding, kernel orientation and
//! activation decided at compile time by the types rather than read at run time.
//!
//! Its steps record the very equations the single layer's step functions record, in their
//! order, so that its derivation is the single layer's, byte for byte: the names are the
//! single layer's (no layer marks, `y` and `∂L/∂y` of layer 0), and each `∂L/∂y[p,q]` is
//! written just before the `f′(z[p,q])` and `δ[p,q]` it feeds, where a network writes every
//! `∂L/∂y` first. `tests/shorthand.rs` holds the two paths to the same traces and bits.

use std::collections::VecDeque;

use crate::derivation::{Replay, Run, Steps};
use crate::layer::{Layer, Loss, Scale};
use crate::network::{Objective, Pass, untraced_loss_of, update};
use crate::ops::{Activate, At, Chain, Conv, Elementwise, Op, Orientation, Stencil, Tensor};
use crate::scalar::Scalar;
use crate::step::{Buffers, matrix};
use crate::trace::{Expr, Name, Recorder, Sym, Term, Trace};

/// The stride and padding of a single layer, its dilation 1, as a type: the shapes were
/// checked by `train!` and its own `const` assertions, whose errors name its keys.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Checked<const SH: usize, const SW: usize, const PH: usize, const PW: usize>;

impl<const SH: usize, const SW: usize, const PH: usize, const PW: usize> Stencil
    for Checked<SH, SW, PH, PW>
{
    const STRIDE: (usize, usize) = (SH, SW);
    const PADDING: (usize, usize) = (PH, PW);
    const DILATION: (usize, usize) = (1, 1);
    const CHECKED: bool = true;
}

/// The shorthand's network: one filter on one channel, then the activation.
pub(crate) type Net<
    S,
    A,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G,
    K,
> = Chain<Conv<1, H, W, 1, KH, KW, OH, OW, G, K>, Activate<A, [[[S; OW]; OH]; 1]>>;

/// A run's steps taken by the shorthand's ops, in buffers allocated once.
pub(crate) struct OpsSteps<S, N> {
    net: N,
    pass: Pass<S>,
    /// The parameters of the step being taken: the filter's entries, then the bias.
    params: Vec<S>,
    /// The loss against the target, made at the first step.
    objective: Option<Objective<S>>,
}

impl<S: Scalar, N: Op<S>> OpsSteps<S, N> {
    pub(crate) fn new(net: N) -> Self {
        let pass = Pass::new(&net);
        Self { params: Vec::with_capacity(net.params_len()), net, pass, objective: None }
    }
}

/// The objective of a single layer: its loss against the target.
fn objective<S: Copy>(layer: &Layer, target: &[S]) -> Objective<S> {
    Objective::Loss { loss: layer.loss, target: target.to_vec() }
}

/// The numbers of the pass just taken, in the single layer's buffers.
fn fill<S: Scalar>(pass: &Pass<S>, outputs: usize, filter: usize, b: &mut Buffers<S>) {
    let (zs, rest) = pass.workspace.split_at(outputs);
    let (z, y, delta, _, grad, ..) = b.parts_mut();
    z.copy_from_slice(zs);
    delta.copy_from_slice(&rest[..outputs]);
    y.copy_from_slice(&pass.y);
    grad.copy_from_slice(&pass.grads[..filter]);
    b.bias_grad = pass.grads.get(filter).copied();
}

impl<
    S: Scalar,
    A: Elementwise<S> + Send + Sync + 'static,
    G: Stencil + Send + Sync,
    K: Orientation + Send + Sync,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> Steps<S, H, W, KH, KW, OH, OW> for OpsSteps<S, Net<S, A, H, W, KH, KW, OH, OW, G, K>>
{
    // Inlined where the run takes its steps, so that a step not written out is the untraced
    // pass's call and little more (BENCHMARKS.md, part 6).
    #[inline]
    fn step(
        &mut self,
        layer: &Layer,
        input: &[[S; W]; H],
        (filter, bias): (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        lr: S,
        trace: Option<&mut Trace<S>>,
        b: &mut Buffers<S>,
    ) {
        match trace {
            Some(trace) => self.traced(layer, input, (filter, bias), target, lr, trace, b),
            None => self.untraced(layer.loss, input, (filter, bias), target, lr, b),
        }
    }

    fn after(
        &mut self,
        layer: &Layer,
        input: &[[S; W]; H],
        (filter, bias): (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        trace: &mut Trace<S>,
        b: &mut Buffers<S>,
    ) -> S {
        self.params.clear();
        self.params.extend_from_slice(filter.as_flattened());
        self.params.extend(bias);
        let objective =
            self.objective.get_or_insert_with(|| objective(layer, target.as_flattened()));
        let x = <[[[S; W]; H]; 1] as Tensor<S>>::view(input.as_flattened());
        let mut rec = SingleLayer::new(Some(trace));
        let loss = self.pass.loss(&self.net, &self.params, x, objective, &mut rec);
        rec.finish();
        b.parts_mut().1.copy_from_slice(&self.pass.y);
        loss
    }

    fn replay(&self) -> Replay<S> {
        let net = self.net;
        Box::new(
            move |run: &Run<S>,
                  (filter, bias): (&[S], Option<S>),
                  b: &mut Buffers<S>,
                  backward: bool| {
                let mut pass = Pass::new(&net);
                let mut params = filter.to_vec();
                params.extend(bias);
                let objective = objective(&run.layer, &run.target);
                let x = <[[[S; W]; H]; 1] as Tensor<S>>::view(&run.input);
                let mut rec = untraced::<S>();
                if backward {
                    b.loss = pass.run(&net, &params, x, &objective, false, &mut rec);
                    fill(&pass, OH * OW, KH * KW, b);
                } else {
                    b.loss = pass.loss(&net, &params, x, &objective, &mut rec);
                    let (z, y, ..) = b.parts_mut();
                    z.copy_from_slice(&pass.workspace[..OH * OW]);
                    y.copy_from_slice(&pass.y);
                }
            },
        )
    }
}

impl<
    S: Scalar,
    A: Elementwise<S> + Send + Sync + 'static,
    G: Stencil,
    K: Orientation,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> OpsSteps<S, Net<S, A, H, W, KH, KW, OH, OW, G, K>>
{
    /// A step written out: the network's pass through [`Pass`], recorded by [`SingleLayer`]
    /// into `trace`, and its numbers copied into the run's buffers. Not inlined, so that the
    /// steps not written out ([`untraced`](Self::untraced)) are compiled on their own.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn traced(
        &mut self,
        layer: &Layer,
        input: &[[S; W]; H],
        (filter, bias): (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        lr: S,
        trace: &mut Trace<S>,
        b: &mut Buffers<S>,
    ) {
        self.params.clear();
        self.params.extend_from_slice(filter.as_flattened());
        self.params.extend(bias);
        let objective =
            self.objective.get_or_insert_with(|| objective(layer, target.as_flattened()));
        let x = <[[[S; W]; H]; 1] as Tensor<S>>::view(input.as_flattened());
        let (net, pass, params) = (&self.net, &mut self.pass, &mut self.params);
        let mut rec = SingleLayer::new(Some(trace));
        b.loss = pass.run(net, params, x, objective, false, &mut rec);
        update(net, params, &pass.grads, lr, &mut rec);
        rec.finish();
        fill(pass, OH * OW, KH * KW, b);
        b.parts_mut().5.copy_from_slice(&params[..KH * KW]);
        b.next_bias = params.get(KH * KW).copied();
    }

    /// A step not written out, straight into the run's buffers: the two ops called one after
    /// the other as [`Chain`] calls them in [`Pass::run`], the loss as `loss` and `loss_grad`
    /// compute it ([`untraced_loss_of`]) and the update as [`update`] makes it, the same
    /// arithmetic in the same order as the recorded path, so the same bits
    /// (`tests/shorthand.rs`). `z`, `y`, `δ`, `∂L/∂W` and the next filter are written where
    /// the run keeps them rather than copied there, and without a bias the filter is read
    /// where the run keeps it (BENCHMARKS.md, part 6).
    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn untraced(
        &mut self,
        loss: Loss,
        input: &[[S; W]; H],
        (filter, bias): (&[[S; KW]; KH], Option<S>),
        target: &[[S; OW]; OH],
        lr: S,
        b: &mut Buffers<S>,
    ) {
        let params: &[S] = match bias {
            None => filter.as_flattened(),
            Some(bias) => {
                self.params.clear();
                self.params.extend_from_slice(filter.as_flattened());
                self.params.push(bias);
                &self.params
            }
        };
        let x = <[[[S; W]; H]; 1] as Tensor<S>>::view(input.as_flattened());
        let (z, y, delta, dy, grad, next) = b.fixed_mut::<OH, OW, KH, KW>();
        let (z, y, delta, dy) = (one(z), one(y), one(delta), one(dy));
        let grads = if bias.is_some() { &mut self.pass.grads[..] } else { grad.as_flattened_mut() };
        // A copy of the network's settings (relu's `f′(0)`, the bias or not), which the
        // compiler then keeps in registers: read through `self`, they might have been
        // overwritten by any store to the buffers.
        let net = self.net;
        let settings = (net.next::<S>(At::FIRST), loss, lr);
        b.loss = untraced_pass(
            &net,
            settings,
            (params, filter),
            x,
            target,
            z,
            y,
            dy,
            delta,
            grads,
            next,
        );
        (b.bias_grad, b.next_bias) = (None, None);
        if let Some(bias) = bias {
            let g = self.pass.grads[KH * KW];
            b.parts_mut().4.copy_from_slice(&self.pass.grads[..KH * KW]);
            (b.bias_grad, b.next_bias) = (Some(g), Some(bias - lr * g));
        }
    }
}

/// A matrix as the one channel of a tensor.
fn one<T>(m: &mut T) -> &mut [T; 1] {
    core::array::from_mut(m)
}

/// [`OpsSteps::untraced`]'s pass, its buffers the run's one allocation at constant offsets
/// ([`Buffers::fixed_mut`]), so that the compiler sees them apart and keeps the values of one
/// stage in registers for the next. Inlined, so that the step has no call and no arguments
/// to pass (BENCHMARKS.md, part 6). `settings`: where the activation stands, the loss, η.
/// Returns the loss.
#[allow(clippy::too_many_arguments, clippy::inline_always)] // measured: BENCHMARKS.md, part 6
#[cfg_attr(not(debug_assertions), inline(always))]
fn untraced_pass<
    S: Scalar,
    A: Elementwise<S> + Send + Sync + 'static,
    G: Stencil,
    K: Orientation,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    Chain(conv, activate): &Net<S, A, H, W, KH, KW, OH, OW, G, K>,
    (at, loss, lr): (At, Loss, S),
    (params, filter): (&[S], &[[S; KW]; KH]),
    x: &[[[S; W]; H]; 1],
    target: &[[S; OW]; OH],
    z: &mut [[[S; OW]; OH]; 1],
    y: &mut [[[S; OW]; OH]; 1],
    dy: &mut [[[S; OW]; OH]; 1],
    delta: &mut [[[S; OW]; OH]; 1],
    grads: &mut [S],
    next: &mut [[S; KW]; KH],
) -> S {
    let mut rec = untraced::<S>();
    conv.forward(At::FIRST, params, x, z, &mut [], &mut rec);
    activate.forward(at, &[], z, y, &mut [], &mut rec);
    let value = untraced_loss_of(loss, y.flat(), target.as_flattened(), dy.flat_mut());
    activate.backward(at, &[], z, y, dy, Some(&mut *delta), &mut [], &mut [], &mut rec);
    conv.backward(At::FIRST, params, x, z, delta, None, grads, &mut [], &mut rec);
    // As `update` computes them, over the filter's shape as constants.
    let grad = matrix::<S, KH, KW>(&grads[..KH * KW]);
    // The filter read before any entry of `next` is written: the compiler cannot tell that
    // the two do not overlap, and would otherwise read and write one entry at a time.
    let filter = *filter;
    for ((next, filter), grad) in next.iter_mut().zip(filter).zip(grad) {
        for ((next, p), &g) in next.iter_mut().zip(filter).zip(grad) {
            *next = p - lr * g;
        }
    }
    value
}

/// A recorder that writes a network's equations into a single layer's trace as the single
/// layer's step functions write them: every name of layer 0, and each `∂L/∂y` held back
/// until the `f′(z)` of the same entry, so that it comes right before it.
struct SingleLayer<'a, S> {
    /// Where to write; nothing is written without one.
    trace: Option<&'a mut Trace<S>>,
    /// The terms of the sum being recorded.
    pending: Vec<Term<S>>,
    /// The `∂L/∂y` sums not yet written, in order.
    held: VecDeque<(Vec<Term<S>>, Sym, Scale, S)>,
}

impl<'a, S: Copy> SingleLayer<'a, S> {
    fn new(trace: Option<&'a mut Trace<S>>) -> Self {
        Self { trace, pending: Vec::new(), held: VecDeque::new() }
    }

    /// Writes what is still held (nothing, after a whole pass: every `∂L/∂y` is followed by
    /// its `f′(z)`).
    fn finish(mut self) {
        while let Some((terms, lhs, scale, value)) = self.held.pop_front() {
            self.write(terms, lhs, scale, value);
        }
    }

    fn write(&mut self, terms: Vec<Term<S>>, lhs: Sym, scale: Scale, value: S) {
        if let Some(trace) = self.trace.as_deref_mut() {
            for term in terms {
                trace.term(term);
            }
            trace.sum(lhs, scale, value);
        }
    }
}

/// What the steps not written out are taken with: nothing in an optimized build; in a debug
/// build a [`SingleLayer`] with nowhere to write, the recorder of the steps written out, so
/// that every `train!` compiles the ops once rather than twice (as `trace::untraced`).
#[cfg(not(debug_assertions))]
const fn untraced<S>() -> crate::trace::NoTrace {
    crate::trace::NoTrace
}

#[cfg(debug_assertions)]
const fn untraced<'a, S>() -> SingleLayer<'a, S> {
    SingleLayer { trace: None, pending: Vec::new(), held: VecDeque::new() }
}

/// The single layer's name of a network's quantity: the same, of layer 0.
fn single(sym: Sym) -> Sym {
    sym.of_layer(0)
}

impl<S: Copy> Recorder<S> for SingleLayer<'_, S> {
    #[inline]
    fn term(&mut self, term: Term<S>) {
        if self.trace.is_some() {
            self.pending.push(term.map_syms(single));
        }
    }

    #[inline]
    fn sum(&mut self, lhs: Sym, scale: Scale, value: S) {
        if self.trace.is_none() {
            return;
        }
        let terms = core::mem::take(&mut self.pending);
        let lhs = single(lhs);
        if lhs.name == Name::Dy {
            self.held.push_back((terms, lhs, scale, value));
        } else {
            self.write(terms, lhs, scale, value);
        }
    }

    #[inline]
    fn equation(&mut self, lhs: Sym, expr: Expr<S>, value: S) {
        if self.trace.is_none() {
            return;
        }
        if matches!(expr, Expr::Slope { .. })
            && let Some((terms, dy, scale, v)) = self.held.pop_front()
        {
            self.write(terms, dy, scale, v);
        }
        if let Some(trace) = self.trace.as_deref_mut() {
            trace.equation(single(lhs), expr.map_syms(single), value);
        }
    }
}

/// The shorthand's network for a layer's settings: its filter orientation and stride and
/// padding are the types `K` and `G`, its activation `f`.
pub(crate) fn net<
    S: Scalar,
    A: Elementwise<S>,
    G: Stencil,
    K: Orientation,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    f: A,
    bias: bool,
) -> Net<S, A, H, W, KH, KW, OH, OW, G, K> {
    Chain(Conv::new(bias), Activate::new(f))
}

/// The single-layer shorthand's steps one at a time, as `train!`'s run takes every step it
/// does not write out: its network's ops, [`NoTrace`](crate::NoTrace) in an optimized build,
/// the numbers left in the run's buffers. What `cnn-bp-bench/benches/network.rs` times against
/// a hand-written loop. Not public API (reached through `__private`), no stability guarantee.
#[doc(hidden)]
pub struct UntracedSteps<
    A,
    K,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> {
    steps: OpsSteps<f64, Net<f64, A, H, W, KH, KW, OH, OW, Checked<SH, SW, PH, PW>, K>>,
    layer: Layer,
    b: Buffers<f64>,
}

impl<
    A: Elementwise<f64> + Send + Sync + 'static,
    K: Orientation + Send + Sync,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> UntracedSteps<A, K, SH, SW, PH, PW, H, W, KH, KW, OH, OW>
{
    /// The steps of the layer with activation `f`, kernel orientation `K`, a bias or not, and
    /// `loss`, the shapes and the geometry the const parameters (`train!` checks that they fit;
    /// this asserts it).
    ///
    /// # Panics
    /// If the shapes do not fit together.
    pub fn new(f: A, _: K, bias: bool, loss: Loss) -> Self {
        let layer = Layer {
            stride: (SH, SW),
            padding: (PH, PW),
            kernel: if K::FLIP { crate::Kernel::Convolution } else { crate::Kernel::Correlation },
            activation: f.activation(),
            loss,
        };
        layer.check((H, W), (KH, KW), (OH, OW)).expect("the shapes fit together");
        let net = net::<f64, A, Checked<SH, SW, PH, PW>, K, H, W, KH, KW, OH, OW>(f, bias);
        Self { steps: OpsSteps::new(net), layer, b: Buffers::new(OH * OW, KH * KW) }
    }

    /// One step from `filter` and `bias` (`target` must be the same at every step, as in a
    /// run); returns its loss.
    pub fn step(
        &mut self,
        input: &[[f64; W]; H],
        (filter, bias): (&[[f64; KW]; KH], Option<f64>),
        target: &[[f64; OW]; OH],
        lr: f64,
    ) -> f64 {
        self.steps.step(&self.layer, input, (filter, bias), target, lr, None, &mut self.b);
        self.b.loss
    }

    /// The last step's `z`, `y`, `δ`, `∂L/∂W` and next filter, flat.
    pub fn numbers(&self) -> [&[f64]; 5] {
        let b = &self.b;
        [b.z(), b.y(), b.delta(), b.filter_grad(), b.next()]
    }
}
