//! One gradient-descent step of a convolutional layer, written once for every scalar type and
//! every recorder.
//!
//! Shapes are const generics: `H×W` input, `KH×KW` filter, `OH×OW` output. The functions trust
//! that the shapes agree with the [`Layer`] (see [`Layer::check`]); [`crate::train`] checks
//! them, and `train!` checks them at compile time.
//!
//! ```
//! use cnn_bp_core::{Layer, NoTrace, Params, step};
//!
//! let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
//! let t = [[1.0, 0.0], [0.0, 1.0]];
//! let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias: None };
//! let s = step(&Layer::default(), &x, &start, &t, 0.5, &mut NoTrace);
//! assert_eq!(s.forward.z, [[3.0, 0.0], [-2.0, 1.0]]);
//! assert_eq!(s.loss, 2.0);
//! assert_eq!(s.grads.filter, [[2.0, -2.0], [0.0, 2.0]]);
//! assert_eq!(s.next.filter, [[0.0, 0.0], [1.0, 0.0]]);
//! ```

// Index loops on purpose: the indices are what the recorded equations name.
#![allow(clippy::needless_range_loop)]

use crate::layer::{Layer, Scale};
use crate::scalar::Scalar;
use crate::trace::{Expr, Operand, Recorder, Sym, Term};

/// The trainable parameters: a `KH×KW` filter and an optional bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params<const KH: usize, const KW: usize, S = f64> {
    /// The filter `W`.
    pub filter: [[S; KW]; KH],
    /// The bias `b`, added to every output; `None` for a layer without a bias term.
    pub bias: Option<S>,
}

/// The outputs of a forward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forward<const OH: usize, const OW: usize, S = f64> {
    /// `z = X ⋆ W + b`, before the activation.
    pub z: [[S; OW]; OH],
    /// `y = f(z)`.
    pub y: [[S; OW]; OH],
}

/// The gradients of a backward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gradients<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64> {
    /// `δ = ∂L/∂z = ∂L/∂y ⊙ f′(z)`.
    pub delta: [[S; OW]; OH],
    /// `∂L/∂W`.
    pub filter: [[S; KW]; KH],
    /// `∂L/∂b = Σδ`, for a layer with a bias.
    pub bias: Option<S>,
}

/// Everything one step computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOutcome<const KH: usize, const KW: usize, const OH: usize, const OW: usize, S = f64>
{
    /// The forward pass with the step's starting parameters.
    pub forward: Forward<OH, OW, S>,
    /// The loss of that forward pass.
    pub loss: S,
    /// The gradients at the starting parameters.
    pub grads: Gradients<KH, KW, OH, OW, S>,
    /// The parameters after the update.
    pub next: Params<KH, KW, S>,
}

/// The forward pass `z = X ⋆ W + b`, `y = f(z)`.
///
/// Terms that fall on zero padding are skipped: they are 0 and would only lengthen the
/// printed sums.
#[inline]
pub fn forward<
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    params: &Params<KH, KW, S>,
    rec: &mut R,
) -> Forward<OH, OW, S>
where
    S: Scalar,
    R: Recorder<S>,
{
    if const { size_of::<R>() == 0 } && is_dense(layer) {
        forward_in::<true, S, R, H, W, KH, KW, OH, OW>(layer, input, params, rec)
    } else {
        forward_in::<false, S, R, H, W, KH, KW, OH, OW>(layer, input, params, rec)
    }
}

/// [`forward`] into buffers of the caller's: the training run keeps them on the heap, so that
/// no matrix of the size of the output (or of the filter) is ever on the stack. `kernel` is
/// scratch space for the filter as the kernel offsets see it.
#[inline]
pub(crate) fn forward_into<
    S,
    R,
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
    rec: &mut R,
    kernel: &mut [[S; KW]; KH],
    out: (&mut [[S; OW]; OH], &mut [[S; OW]; OH]),
) where
    S: Scalar,
    R: Recorder<S>,
{
    if const { size_of::<R>() == 0 } && is_dense(layer) {
        forward_to::<true, S, R, H, W, KH, KW, OH, OW>(layer, input, params, rec, kernel, out);
    } else {
        forward_to::<false, S, R, H, W, KH, KW, OH, OW>(layer, input, params, rec, kernel, out);
    }
}

/// Stride 1 and no padding, the most common geometry.
///
/// [`forward`] and [`backward`] run a copy of their loops compiled for these values when the
/// layer has them and the recorder keeps nothing (is zero-sized, as [`NoTrace`](crate::NoTrace)
/// on the numeric path). Both copies make the same calls to the recorder with the same values.
/// A recorder that keeps something pays far more for recording than for index arithmetic, so
/// it gets the general copy alone: the test on its size is a constant, and the compiler does
/// not even generate the other copy, which keeps every `train!` as quick to compile.
#[inline]
fn is_dense(layer: &Layer) -> bool {
    layer.stride == (1, 1) && layer.padding == (0, 0)
}

/// The layer, with stride 1 and no padding as constants when `DENSE` (the caller has checked
/// that they are its values): then the compiler drops the index arithmetic and the tests for
/// padding from the loops, as it would from a loop written for one geometry by hand.
#[inline]
fn geometry<const DENSE: bool>(layer: &Layer) -> Layer {
    if DENSE { Layer { stride: (1, 1), padding: (0, 0), ..*layer } } else { *layer }
}

/// The loops of the forward pass, written once for the two places its results go: the arrays
/// [`forward`] returns, named directly so that they are built in the place it returns them
/// from (through a reference the compiler copied them on the way out, measured: 9 KB a step
/// at 28×28, and a third more time at 3×3), and the buffers on the heap of a training run.
/// `$kernel` receives the filter as the kernel offsets see it (rotated for convolution), so
/// that the innermost loop walks a row of it and a row of the input side by side.
macro_rules! forward_loops {
    (
        $layer:ident, $input:ident, $filter:expr, $bias:expr, $rec:ident, $kernel:ident,
        $z:expr, $y:expr
    ) => {{
        for (i, row) in $kernel.iter_mut().enumerate() {
            for (j, w) in row.iter_mut().enumerate() {
                let (fi, fj) = $layer.filter_entry((i, j), (KH, KW));
                *w = $filter[fi][fj];
            }
        }
        let ((sh, sw), (ph, pw)) = ($layer.stride, $layer.padding);
        for p in 0..OH {
            for q in 0..OW {
                let mut acc = S::ZERO;
                let mut term = |i: usize, j: usize, x: S, w: S| {
                    let (r, c) = (p * sh + i - ph, q * sw + j - pw);
                    debug_assert_eq!($layer.source((p, q), (i, j), (H, W)), Some((r, c)));
                    let (fi, fj) = $layer.filter_entry((i, j), (KH, KW));
                    $rec.term(Term::Product(
                        Operand::new(Sym::x(r, c), x),
                        Operand::new(Sym::w(fi, fj), w),
                    ));
                    x * w
                };
                // The offsets on the input, in order; those on the padding are skipped.
                let (rows, cols) = $layer.window((p, q), (KH, KW), (H, W));
                let c0 = q.saturating_mul(sw).saturating_add(cols.start).saturating_sub(pw);
                if const { size_of::<R>() == 0 } && rows.len() == KH && cols.len() == KW {
                    // The whole window is on the input: loops of fixed length, which the
                    // compiler unrolls as it would a hand-written loop (for a recorder that keeps
                    // nothing; see `is_dense`).
                    for i in 0..KH {
                        let xs = $input[p * sh + i - ph][c0..].first_chunk::<KW>().expect("inside");
                        for j in 0..KW {
                            acc = acc + term(i, j, xs[j], $kernel[i][j]);
                        }
                    }
                } else {
                    for i in rows {
                        let xs = &$input[p * sh + i - ph][c0..c0 + cols.len()];
                        for ((j, &x), &w) in cols.clone().zip(xs).zip(&$kernel[i][cols.clone()]) {
                            acc = acc + term(i, j, x, w);
                        }
                    }
                }
                if let Some(b) = $bias {
                    acc = acc + b;
                    $rec.term(Term::Single(Operand::new(Sym::b(), b)));
                }
                $rec.sum(Sym::z(p, q), Scale::ONE, acc);
                $z[p][q] = acc;
            }
        }
        for p in 0..OH {
            for q in 0..OW {
                let value = $layer.activation.apply($z[p][q]);
                let arg = Operand::new(Sym::z(p, q), $z[p][q]);
                $rec.equation(Sym::y(p, q), Expr::Activate { f: $layer.activation, z: arg }, value);
                $y[p][q] = value;
            }
        }
    }};
}

/// [`forward`] for one geometry; see [`geometry`].
#[inline]
fn forward_in<
    const DENSE: bool,
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    params: &Params<KH, KW, S>,
    rec: &mut R,
) -> Forward<OH, OW, S>
where
    S: Scalar,
    R: Recorder<S>,
{
    let layer = &geometry::<DENSE>(layer);
    // Filled in place and returned as is, so that it is not copied on the way out.
    let mut out = Forward { z: [[S::ZERO; OW]; OH], y: [[S::ZERO; OW]; OH] };
    let mut kernel = params.filter;
    forward_loops!(layer, input, params.filter, params.bias, rec, kernel, out.z, out.y);
    out
}

/// [`forward_into`] for one geometry; see [`geometry`].
#[inline]
fn forward_to<
    const DENSE: bool,
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    (filter, bias): (&[[S; KW]; KH], Option<S>),
    rec: &mut R,
    kernel: &mut [[S; KW]; KH],
    (z, y): (&mut [[S; OW]; OH], &mut [[S; OW]; OH]),
) where
    S: Scalar,
    R: Recorder<S>,
{
    let layer = &geometry::<DENSE>(layer);
    forward_loops!(layer, input, filter, bias, rec, kernel, z, y);
}

/// The loss of the outputs `y` against the target `t`.
#[inline]
pub fn loss<S, R, const OH: usize, const OW: usize>(
    layer: &Layer,
    y: &[[S; OW]; OH],
    target: &[[S; OW]; OH],
    rec: &mut R,
) -> S
where
    S: Scalar,
    R: Recorder<S>,
{
    let mut acc = S::ZERO;
    for p in 0..OH {
        for q in 0..OW {
            let diff = y[p][q] - target[p][q];
            acc = acc + diff * diff;
            rec.term(Term::SquaredDiff(
                Operand::new(Sym::y(p, q), y[p][q]),
                Operand::new(Sym::t(p, q), target[p][q]),
            ));
        }
    }
    let scale = layer.loss.scale(OH * OW);
    let value = scale.apply(acc);
    rec.sum(Sym::loss(), scale, value);
    value
}

/// The backward pass: `∂L/∂y`, `f′(z)`, `δ`, `∂L/∂W = X ⋆ δ` and `∂L/∂b = Σδ`.
///
/// `with_bias` says whether the layer has a bias term (then `∂L/∂b` is computed).
#[inline]
pub fn backward<
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    forward: &Forward<OH, OW, S>,
    target: &[[S; OW]; OH],
    with_bias: bool,
    rec: &mut R,
) -> Gradients<KH, KW, OH, OW, S>
where
    S: Scalar,
    R: Recorder<S>,
{
    let mut grads =
        Gradients { delta: [[S::ZERO; OW]; OH], filter: [[S::ZERO; KW]; KH], bias: None };
    grads.bias = backward_into(
        layer,
        input,
        (&forward.z, &forward.y),
        target,
        with_bias,
        rec,
        (&mut grads.delta, &mut grads.filter),
    );
    grads
}

/// [`backward`] into buffers of the caller's, as [`forward_into`]: writes `δ` and `∂L/∂W`,
/// returns `∂L/∂b`.
#[inline]
pub(crate) fn backward_into<
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    forward: (&[[S; OW]; OH], &[[S; OW]; OH]),
    target: &[[S; OW]; OH],
    with_bias: bool,
    rec: &mut R,
    out: (&mut [[S; OW]; OH], &mut [[S; KW]; KH]),
) -> Option<S>
where
    S: Scalar,
    R: Recorder<S>,
{
    if const { size_of::<R>() == 0 } && is_dense(layer) {
        backward_to::<true, S, R, H, W, KH, KW, OH, OW>(
            layer, input, forward, target, with_bias, rec, out,
        )
    } else {
        backward_to::<false, S, R, H, W, KH, KW, OH, OW>(
            layer, input, forward, target, with_bias, rec, out,
        )
    }
}

/// [`backward`] for one geometry; see [`geometry`].
#[inline]
fn backward_to<
    const DENSE: bool,
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    forward: (&[[S; OW]; OH], &[[S; OW]; OH]),
    target: &[[S; OW]; OH],
    with_bias: bool,
    rec: &mut R,
    (delta, filter): (&mut [[S; OW]; OH], &mut [[S; KW]; KH]),
) -> Option<S>
where
    S: Scalar,
    R: Recorder<S>,
{
    let layer = &geometry::<DENSE>(layer);
    delta_into(layer, forward, target, rec, delta);
    correlate_input(layer, input, delta, Sym::delta, Sym::grad_w, rec, filter);
    with_bias.then(|| sum_all(delta, Sym::delta, Sym::grad_b(), rec))
}

/// `∂L/∂y`, `f′(z)` and `δ = ∂L/∂y ⊙ f′(z)` for every output, `δ` written into `delta`.
#[allow(clippy::inline_always)] // as `correlate_input`
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
fn delta_into<S, R, const OH: usize, const OW: usize>(
    layer: &Layer,
    (z, y): (&[[S; OW]; OH], &[[S; OW]; OH]),
    target: &[[S; OW]; OH],
    rec: &mut R,
    delta: &mut [[S; OW]; OH],
) where
    S: Scalar,
    R: Recorder<S>,
{
    let grad_scale = layer.loss.grad_scale(OH * OW);
    for p in 0..OH {
        for q in 0..OW {
            let (z, y, t) = (z[p][q], y[p][q], target[p][q]);
            let dy = grad_scale.apply(y - t);
            rec.term(Term::Diff(Operand::new(Sym::y(p, q), y), Operand::new(Sym::t(p, q), t)));
            rec.sum(Sym::dy(p, q), grad_scale, dy);
            let (slope, case) = layer.activation.slope(z, y);
            let (z, y) = (Operand::new(Sym::z(p, q), z), Operand::new(Sym::y(p, q), y));
            rec.equation(Sym::slope(p, q), Expr::Slope { f: layer.activation, z, y, case }, slope);
            delta[p][q] = dy * slope;
            rec.term(Term::Product(
                Operand::new(Sym::dy(p, q), dy),
                Operand::new(Sym::slope(p, q), slope),
            ));
            rec.sum(Sym::delta(p, q), Scale::ONE, delta[p][q]);
        }
    }
}

/// `lhs(i,j) = Σ signal[p,q]·x[…]` over all outputs, where `x[…]` is the input entry that
/// filter entry `(i,j)` met at output `(p,q)` in the forward pass, written into `out`: `∂L/∂W`
/// when the signal is `δ`. The learner's recipes in `extras` use it with other signals and
/// kernels.
// Always inlined in optimized builds, measured: called through a function of its own, the
// numeric step at 3×3 took 7.4 times the hand-written loop's time instead of 2.1
// (BENCHMARKS.md), as the geometry and the symbol functions then are not constants in its
// loops. Not in debug builds, where it would only multiply the code every `train!` compiles.
#[allow(clippy::inline_always)]
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub(crate) fn correlate_input<
    S,
    R,
    N,
    L,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    signal: &[[S; OW]; OH],
    signal_sym: N,
    lhs: L,
    rec: &mut R,
    out: &mut [[S; KW]; KH],
) where
    S: Scalar,
    R: Recorder<S>,
    N: Fn(usize, usize) -> Sym,
    L: Fn(usize, usize) -> Sym,
{
    let ((sh, sw), (ph, pw)) = (layer.stride, layer.padding);
    for (fi, row) in out.iter_mut().enumerate() {
        for (fj, grad) in row.iter_mut().enumerate() {
            let (i, j) = layer.filter_entry((fi, fj), (KH, KW));
            let mut acc = S::ZERO;
            let mut term = |p: usize, q: usize, d: S, x: S| {
                let (r, c) = (p * sh + i - ph, q * sw + j - pw);
                debug_assert_eq!(layer.source((p, q), (i, j), (H, W)), Some((r, c)));
                rec.term(Term::Product(
                    Operand::new(signal_sym(p, q), d),
                    Operand::new(Sym::x(r, c), x),
                ));
                d * x
            };
            // The outputs whose window puts this entry on the input, in order.
            let (ps, qs) = layer.reach((i, j), (OH, OW), (H, W));
            if const { size_of::<R>() == 0 } && sw == 1 && qs.len() == OW {
                // Every column of outputs, and their inputs side by side: an inner loop of
                // fixed length over two rows, as a hand-written loop would have it (for a
                // recorder that keeps nothing; see `is_dense`).
                for p in ps {
                    let xs = input[p * sh + i - ph][j - pw..].first_chunk::<OW>().expect("inside");
                    for q in 0..OW {
                        acc = acc + term(p, q, signal[p][q], xs[q]);
                    }
                }
            } else {
                for p in ps {
                    let xs = &input[p * sh + i - ph];
                    for q in qs.clone() {
                        acc = acc + term(p, q, signal[p][q], xs[q * sw + j - pw]);
                    }
                }
            }
            rec.sum(lhs(fi, fj), Scale::ONE, acc);
            *grad = acc;
        }
    }
}

/// `lhs = Σ signal[p,q]`: `∂L/∂b` when the signal is `δ`.
#[allow(clippy::inline_always)] // as `correlate_input`
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub(crate) fn sum_all<S, R, N, const OH: usize, const OW: usize>(
    signal: &[[S; OW]; OH],
    signal_sym: N,
    lhs: Sym,
    rec: &mut R,
) -> S
where
    S: Scalar,
    R: Recorder<S>,
    N: Fn(usize, usize) -> Sym,
{
    let mut acc = S::ZERO;
    for (p, row) in signal.iter().enumerate() {
        for (q, &d) in row.iter().enumerate() {
            acc = acc + d;
            rec.term(Term::Single(Operand::new(signal_sym(p, q), d)));
        }
    }
    rec.sum(lhs, Scale::ONE, acc);
    acc
}

/// The gradient-descent update `W ← W − η·∂L/∂W`, `b ← b − η·∂L/∂b`.
#[inline]
pub fn update<S, R, const KH: usize, const KW: usize, const OH: usize, const OW: usize>(
    params: &Params<KH, KW, S>,
    grads: &Gradients<KH, KW, OH, OW, S>,
    lr: S,
    rec: &mut R,
) -> Params<KH, KW, S>
where
    S: Scalar,
    R: Recorder<S>,
{
    let mut next = Params { filter: params.filter, bias: None };
    next.bias = descend(
        (&params.filter, params.bias),
        (&grads.filter, grads.bias),
        (Sym::grad_w, Sym::grad_b()),
        lr,
        rec,
        &mut next.filter,
    );
    next
}

/// `w ← w − η·g` for every parameter, with gradients named by `grad_sym` and `bias_grad_sym`
/// (`∂L/∂w`, `∂L/∂b` for the real update): writes the next filter into `next` and returns
/// the next bias.
#[allow(clippy::inline_always)] // as `correlate_input`
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub(crate) fn descend<S, R, G, const KH: usize, const KW: usize>(
    (filter, bias): (&[[S; KW]; KH], Option<S>),
    (filter_grad, bias_grad): (&[[S; KW]; KH], Option<S>),
    (grad_sym, bias_grad_sym): (G, Sym),
    lr: S,
    rec: &mut R,
    next: &mut [[S; KW]; KH],
) -> Option<S>
where
    S: Scalar,
    R: Recorder<S>,
    G: Fn(usize, usize) -> Sym,
{
    let mut descend = |sym: Sym, grad_sym: Sym, value: S, grad: S| {
        let next = value - lr * grad;
        let (param, grad) = (Operand::new(sym, value), Operand::new(grad_sym, grad));
        rec.equation(sym, Expr::Update { param, lr, grad }, next);
        next
    };
    for (i, row) in next.iter_mut().enumerate() {
        for (j, w) in row.iter_mut().enumerate() {
            *w = descend(Sym::w(i, j), grad_sym(i, j), filter[i][j], filter_grad[i][j]);
        }
    }
    match (bias, bias_grad) {
        (Some(b), Some(g)) => Some(descend(Sym::b(), bias_grad_sym, b, g)),
        _ => None,
    }
}

/// One whole step: [`forward`], [`loss`], [`backward`] and [`update`].
#[inline]
pub fn step<
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    params: &Params<KH, KW, S>,
    target: &[[S; OW]; OH],
    lr: S,
    rec: &mut R,
) -> StepOutcome<KH, KW, OH, OW, S>
where
    S: Scalar,
    R: Recorder<S>,
{
    let forward = forward(layer, input, params, rec);
    let loss = loss(layer, &forward.y, target, rec);
    let grads = backward(layer, input, &forward, target, params.bias.is_some(), rec);
    let next = update(params, &grads, lr, rec);
    StepOutcome { forward, loss, grads, next }
}

/// `values`, `R` rows of `C`, as a matrix: how the buffers on the heap are read.
///
/// # Panics
/// If there are not `R·C` values, or `C` is 0 (no buffer is made for an empty shape: the
/// run's settings are checked first).
#[inline]
pub(crate) fn matrix<S, const R: usize, const C: usize>(values: &[S]) -> &[[S; C]; R] {
    values.as_chunks::<C>().0.try_into().expect("R rows of C values")
}

/// [`matrix`], to write in.
#[inline]
pub(crate) fn matrix_mut<S, const R: usize, const C: usize>(values: &mut [S]) -> &mut [[S; C]; R] {
    values.as_chunks_mut::<C>().0.try_into().expect("R rows of C values")
}

/// Whether every entry is a finite number. Over a slice, so that it is compiled once per
/// scalar type rather than once per shape; without an early exit, so that it vectorizes.
#[inline]
pub(crate) fn all_finite<S: Scalar>(values: &[S]) -> bool {
    values.iter().fold(true, |all, v| all & v.is_finite())
}

/// Everything one step computes, in one buffer on the heap that a training run allocates
/// once and fills in place at every step: the run keeps no matrix of the output's or the
/// filter's size on the stack, however large the spec. The numbers are flat, and generic over
/// the scalar only, so that their code is compiled once rather than for every shape (every
/// `train!`); [`matrix`] reads them as matrices. One allocation rather than one per quantity,
/// so that a step with the shapes as constants ([`Buffers::fixed_mut`]) checks its length once
/// and the compiler sees its quantities apart (BENCHMARKS.md, part 6). Not public API.
#[doc(hidden)]
pub struct Buffers<S = f64> {
    /// `z`, `y = f(z)`, `δ` and scratch space for `∂L/∂y` (`OH·OW` values each), then `∂L/∂W`,
    /// the filter after the update and scratch space for the filter as a convolution orients
    /// it (`KH·KW` values each).
    data: Vec<S>,
    /// `OH·OW`.
    outputs: usize,
    /// `KH·KW`.
    filter: usize,
    /// The loss.
    pub(crate) loss: S,
    /// `∂L/∂b`.
    pub(crate) bias_grad: Option<S>,
    /// The bias after the update.
    pub(crate) next_bias: Option<S>,
}

/// A step's quantities in [`Buffers`] as matrices of their shapes: `z`, `y`, `δ`, `∂L/∂y`
/// (scratch), `∂L/∂W` and the filter after the update.
pub(crate) type Fixed<'a, S, const OH: usize, const OW: usize, const KH: usize, const KW: usize> = (
    &'a mut [[S; OW]; OH],
    &'a mut [[S; OW]; OH],
    &'a mut [[S; OW]; OH],
    &'a mut [[S; OW]; OH],
    &'a mut [[S; KW]; KH],
    &'a mut [[S; KW]; KH],
);

impl<S: Scalar> Buffers<S> {
    /// Buffers of zeros for `outputs` outputs and a filter of `filter` entries.
    pub(crate) fn new(outputs: usize, filter: usize) -> Self {
        Self {
            data: vec![S::ZERO; 4 * outputs + 3 * filter],
            outputs,
            filter,
            loss: S::ZERO,
            bias_grad: None,
            next_bias: None,
        }
    }

    /// Output-sized quantity `k` (0 `z`, 1 `y`, 2 `δ`).
    #[inline]
    fn output(&self, k: usize) -> &[S] {
        &self.data[k * self.outputs..(k + 1) * self.outputs]
    }

    /// Filter-sized quantity `k` (0 `∂L/∂W`, 1 the next filter).
    #[inline]
    fn filter_sized(&self, k: usize) -> &[S] {
        let start = 4 * self.outputs + k * self.filter;
        &self.data[start..start + self.filter]
    }

    /// `z`.
    #[inline]
    pub(crate) fn z(&self) -> &[S] {
        self.output(0)
    }

    /// `y = f(z)`.
    #[inline]
    pub(crate) fn y(&self) -> &[S] {
        self.output(1)
    }

    /// `δ`.
    #[inline]
    pub(crate) fn delta(&self) -> &[S] {
        self.output(2)
    }

    /// `∂L/∂W`.
    #[inline]
    pub(crate) fn filter_grad(&self) -> &[S] {
        self.filter_sized(0)
    }

    /// The filter after the update.
    #[inline]
    pub(crate) fn next(&self) -> &[S] {
        self.filter_sized(1)
    }

    /// Every quantity to write in, flat: `z`, `y`, `δ`, `∂L/∂y` (scratch), `∂L/∂W`, the next
    /// filter and the oriented filter (scratch).
    #[inline]
    #[allow(clippy::type_complexity)]
    pub(crate) fn parts_mut(
        &mut self,
    ) -> (&mut [S], &mut [S], &mut [S], &mut [S], &mut [S], &mut [S], &mut [S]) {
        let (o, f) = (self.outputs, self.filter);
        let (z, rest) = self.data.split_at_mut(o);
        let (y, rest) = rest.split_at_mut(o);
        let (delta, rest) = rest.split_at_mut(o);
        let (dy, rest) = rest.split_at_mut(o);
        let (grad, rest) = rest.split_at_mut(f);
        let (next, kernel) = rest.split_at_mut(f);
        (z, y, delta, dy, grad, next, kernel)
    }

    /// The quantities of a step with the shapes as constants, with one check of the length
    /// for all of them (the offsets are then constants).
    ///
    /// # Panics
    /// If the buffers are not of those shapes.
    #[inline]
    pub(crate) fn fixed_mut<const OH: usize, const OW: usize, const KH: usize, const KW: usize>(
        &mut self,
    ) -> Fixed<'_, S, OH, OW, KH, KW> {
        let (o, f) = (OH * OW, KH * KW);
        assert!(self.data.len() == 4 * o + 3 * f, "buffers of the step's shapes");
        let (z, rest) = self.data.split_at_mut(o);
        let (y, rest) = rest.split_at_mut(o);
        let (delta, rest) = rest.split_at_mut(o);
        let (dy, rest) = rest.split_at_mut(o);
        let (grad, rest) = rest.split_at_mut(f);
        let next = &mut rest[..f];
        (
            matrix_mut(z),
            matrix_mut(y),
            matrix_mut(delta),
            matrix_mut(dy),
            matrix_mut(grad),
            matrix_mut(next),
        )
    }

    /// Whether every value of the step is a finite number: the loss, `z`, `y`, `δ`, the
    /// gradients and the updated parameters.
    pub(crate) fn all_finite(&self) -> bool {
        self.loss.is_finite()
            && all_finite(&self.data[..3 * self.outputs])
            && all_finite(self.filter_grad())
            && self.bias_grad.is_none_or(Scalar::is_finite)
            && all_finite(self.next())
            && self.next_bias.is_none_or(Scalar::is_finite)
    }
}

/// [`step`] into heap buffers, from the parameters `(filter, bias)`: the same calls in the same
/// order, so the values are the same bits, recorded or not.
#[inline]
pub(crate) fn step_into<
    S,
    R,
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
    rec: &mut R,
    b: &mut Buffers<S>,
) where
    S: Scalar,
    R: Recorder<S>,
{
    forward_half::<S, R, H, W, KH, KW, OH, OW>(layer, input, params, rec, b);
    b.loss = loss(layer, matrix(b.y()), target, rec);
    backward_half::<S, R, H, W, KH, KW, OH, OW>(layer, input, target, params.1.is_some(), rec, b);
    let bias_grad = b.bias_grad;
    let (.., grad, next, _) = b.parts_mut();
    b.next_bias = descend(
        params,
        (matrix(grad), bias_grad),
        (Sym::grad_w, Sym::grad_b()),
        lr,
        rec,
        matrix_mut(next),
    );
}

/// The forward pass of [`step_into`]: `z` and `y`.
#[inline]
pub(crate) fn forward_half<
    S,
    R,
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
    rec: &mut R,
    b: &mut Buffers<S>,
) where
    S: Scalar,
    R: Recorder<S>,
{
    let (z, y, .., kernel) = b.parts_mut();
    let out = (matrix_mut::<S, OH, OW>(z), matrix_mut::<S, OH, OW>(y));
    forward_into(layer, input, params, rec, matrix_mut(kernel), out);
}

/// The backward pass of [`step_into`], from its forward pass: `δ`, `∂L/∂W` and `∂L/∂b`.
#[inline]
pub(crate) fn backward_half<
    S,
    R,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    input: &[[S; W]; H],
    target: &[[S; OW]; OH],
    with_bias: bool,
    rec: &mut R,
    b: &mut Buffers<S>,
) where
    S: Scalar,
    R: Recorder<S>,
{
    let (z, y, delta, _, grad, ..) = b.parts_mut();
    let forward = (matrix(z), matrix(y));
    let out = (matrix_mut(delta), matrix_mut::<S, KH, KW>(grad));
    b.bias_grad = backward_into(layer, input, forward, target, with_bias, rec, out);
}

/// `∂L/∂X[r,s] = Σ δ[p,q]·w[a,b]` over every output whose window put `X[r,s]` under filter
/// entry `(a, b)`: the full convolution of `δ` with the rotated filter, for a step's
/// accessors (the single layer's derivation does not print it). The terms are added in the
/// order a network's convolution adds them, so the two give the same bits.
pub(crate) fn input_grad<S: Scalar>(
    layer: &Layer,
    delta: &[S],
    filter: &[S],
    (kh, kw): (usize, usize),
    (oh, ow): (usize, usize),
    (h, w): (usize, usize),
) -> Vec<S> {
    let ((sh, sw), (ph, pw)) = (layer.stride, layer.padding);
    let mut dx = vec![S::ZERO; h * w];
    for r in 0..h {
        for s in 0..w {
            let mut acc = S::ZERO;
            for i in 0..kh {
                let Some(p) = (r + ph).checked_sub(i) else { continue };
                if !p.is_multiple_of(sh) || p / sh >= oh {
                    continue;
                }
                for j in 0..kw {
                    let Some(q) = (s + pw).checked_sub(j) else { continue };
                    if !q.is_multiple_of(sw) || q / sw >= ow {
                        continue;
                    }
                    let (a, b) = layer.filter_entry((i, j), (kh, kw));
                    acc = acc + delta[(p / sh) * ow + q / sw] * filter[a * kw + b];
                }
            }
            dx[r * w + s] = acc;
        }
    }
    dx
}
