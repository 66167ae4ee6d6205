//! A 2-D convolution layer, as PyTorch's `nn.Conv2d`: `C` input channels, `F` filters of
//! `KH×KW`, stride, zero padding and dilation, weight `[F][C][KH][KW]`, an optional bias
//! `[F]`.
//!
//! Forward, over the zero-padded input (terms on the padding are 0 and left out):
//!
//! ```text
//! z[f,p,q] = Σ_c Σ_i Σ_j x[c, p·sh + i·dh − ph, q·sw + j·dw − pw]·w[f,c,i,j] + b[f]
//! ```
//!
//! with `w[f,c,KH−1−i,KW−1−j]` in place of `w[f,c,i,j]` for a true convolution ([`Convolve`]:
//! each filter rotated by 180°). Backward, from `δ = ∂L/∂z`:
//!
//! - `∂L/∂w[f,c,a,b] = Σ_p Σ_q δ[f,p,q]·x[c, …]`, the input entries that filter entry met in
//!   the forward pass (the input correlated with `δ`);
//! - `∂L/∂b[f] = Σ_p Σ_q δ[f,p,q]`, a sum, not a mean, over the positions;
//! - `∂L/∂x[c,r,s] = Σ_f Σ δ[f,p,q]·w[f,c,i,j]` over the outputs `(p,q)` and kernel offsets
//!   `(i,j)` whose window put `x[c,r,s]` under `w[f,c,i,j]`: the full convolution of `δ`
//!   (spread `stride` apart) with the rotated filter, the border of the padding cropped.
//!
//! Names: a map of one channel and a single filter drop those indices (`x[i,j]`, `w[i,j]`,
//! `b`, `z[p,q]`), so that a single layer reads as it always has.

// Index loops on purpose: the indices are what the recorded equations name.
#![allow(clippy::needless_range_loop)]

use core::fmt::Write as _;
use core::marker::PhantomData;
use core::ops::Range;

use std::sync::Arc;

use super::{At, Named, Op, Tensor, filters, filters_mut, gradient_of, map_sym};
use crate::layer::Scale;
use crate::render::doc::Rich;
use crate::render::{LayerDoc, NetDoc};
use crate::scalar::Scalar;
use crate::trace::{Name, NetRecipe, Operand, Recorder, Section, Sym, Term};

/// Stride, zero padding and dilation as types, so that a network's loops know them at compile
/// time: `Geometry<SH, SW, PH, PW, DH, DW>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Geometry<
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const DH: usize,
    const DW: usize,
>;

/// How a window slides: what [`Geometry`] says.
pub trait Stencil: 'static {
    /// Rows and columns moved per output entry, each at least 1.
    const STRIDE: (usize, usize);
    /// Zero rows above and below, zero columns left and right.
    const PADDING: (usize, usize);
    /// Rows and columns between the input entries a kernel's neighbouring entries meet, at
    /// least 1 (1: next to each other).
    const DILATION: (usize, usize);
    /// Whether the caller has checked already that the shapes fit, with errors of its own
    /// that name its keys (the single layer's `train!`), so that a convolution's own
    /// assertion does not add a second, vaguer error.
    const CHECKED: bool = false;
}

impl<
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const DH: usize,
    const DW: usize,
> Stencil for Geometry<SH, SW, PH, PW, DH, DW>
{
    const STRIDE: (usize, usize) = (SH, SW);
    const PADDING: (usize, usize) = (PH, PW);
    const DILATION: (usize, usize) = (DH, DW);
}

/// Whether a filter is used as given or rotated by 180° first.
pub trait Orientation: 'static {
    /// Rotated (a true convolution).
    const FLIP: bool;
}

/// Cross-correlation, what deep-learning frameworks compute under the name convolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Correlate;

/// True convolution: every filter rotated by 180° (per filter and channel) first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Convolve;

impl Orientation for Correlate {
    const FLIP: bool = false;
}

impl Orientation for Convolve {
    const FLIP: bool = true;
}

/// A convolution of a `C×H×W` map with `F` filters of `KH×KW`, giving `F×OH×OW`, with the
/// stride, padding and dilation of `G` and the orientation of `K`.
#[derive(Debug, PartialEq, Eq)]
pub struct Conv<
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G,
    K,
> {
    /// Whether it has a bias term, one per filter.
    pub bias: bool,
    /// The learner's mistake its backward pass makes, if any (see [`Op::slipped`]).
    slip: Option<NetRecipe>,
    shape: PhantomData<fn() -> (G, K)>,
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G,
    K,
> Clone for Conv<C, H, W, F, KH, KW, OH, OW, G, K>
{
    fn clone(&self) -> Self {
        *self
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G,
    K,
> Copy for Conv<C, H, W, F, KH, KW, OH, OW, G, K>
{
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G: Stencil,
    K: Orientation,
> Conv<C, H, W, F, KH, KW, OH, OW, G, K>
{
    /// The layer, with or without a bias term.
    pub const fn new(bias: bool) -> Self {
        Self { bias, slip: None, shape: PhantomData }
    }

    /// The entries of its weight: `F·C·KH·KW`.
    pub const WEIGHTS: usize = F * C * KH * KW;

    /// The output size the shapes must have: the backstop behind the macro's own errors.
    const SHAPES_FIT: () = if !G::CHECKED {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        assert!(sh > 0 && sw > 0 && dh > 0 && dw > 0, "a stride and a dilation are at least 1");
        assert!(C > 0 && H > 0 && W > 0 && F > 0 && KH > 0 && KW > 0, "no empty shape");
        let (reach_h, reach_w) = (dh * (KH - 1) + 1, dw * (KW - 1) + 1);
        assert!(reach_h <= H + 2 * ph && reach_w <= W + 2 * pw, "the filter fits the padded input");
        assert!(
            OH == (H + 2 * ph - reach_h) / sh + 1 && OW == (W + 2 * pw - reach_w) / sw + 1,
            "OH = ⌊(H + 2·ph − dh·(KH − 1) − 1)/sh⌋ + 1, and the same for OW"
        );
    };

    /// The kernel offset that filter entry `(a, b)` sits at (itself, or rotated), and back.
    const fn offset(a: usize, b: usize) -> (usize, usize) {
        if K::FLIP { (KH - 1 - a, KW - 1 - b) } else { (a, b) }
    }

    /// The name of weight `(f, c, a, b)`: `f` left out for one filter, `c` for one channel.
    fn weight_sym(name: Name, layer: usize, (f, c, a, b): (usize, usize, usize, usize)) -> Sym {
        match (F, C) {
            (1, 1) => Sym::new(name, layer, &[a, b]),
            (1, _) => Sym::new(name, layer, &[c, a, b]),
            (_, 1) => Sym::new(name, layer, &[f, a, b]),
            _ => Sym::new(name, layer, &[f, c, a, b]),
        }
    }

    /// The name of bias `f`: `b` for one filter, `b[f]` for several.
    fn bias_sym(name: Name, layer: usize, f: usize) -> Sym {
        if F == 1 { Sym::new(name, layer, &[]) } else { Sym::new(name, layer, &[f]) }
    }

    /// The kernel offsets along one axis whose input position, for output `out`, is inside
    /// the input (not on the padding): `0 ≤ out·stride + i·dilation − pad < len`.
    fn window(
        out: usize,
        stride: usize,
        dilation: usize,
        pad: usize,
        len: usize,
        k: usize,
    ) -> Range<usize> {
        let start = out * stride;
        // i·dilation ≥ pad − start, and i·dilation < len + pad − start.
        let low = pad.saturating_sub(start).div_ceil(dilation);
        let high = (len + pad).saturating_sub(start).div_ceil(dilation).min(k);
        low..high.max(low)
    }
}

impl<
    S: Scalar,
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G: Stencil,
    K: Orientation,
> Op<S> for Conv<C, H, W, F, KH, KW, OH, OW, G, K>
{
    type In = [[[S; W]; H]; C];
    type Out = [[[S; OW]; OH]; F];

    fn output_name(&self) -> Name {
        Name::Z
    }

    fn params_len(&self) -> usize {
        Self::WEIGHTS + if self.bias { F } else { 0 }
    }

    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn forward<R: Recorder<S>>(
        &self,
        at: At,
        params: &[S],
        x: &Self::In,
        y: &mut Self::Out,
        _: &mut [S],
        rec: &mut R,
    ) {
        let () = Self::SHAPES_FIT;
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        let (weight, bias) = params.split_at(Self::WEIGHTS);
        let weight = filters::<S, F, C, KH, KW>(weight);
        for f in 0..F {
            for p in 0..OH {
                // Without padding every window lies on the input (`SHAPES_FIT`): its whole
                // range, a constant, so that the loops below have fixed lengths.
                let rows = if ph == 0 { 0..KH } else { Self::window(p, sh, dh, ph, H, KH) };
                for q in 0..OW {
                    let cols = if pw == 0 { 0..KW } else { Self::window(q, sw, dw, pw, W, KW) };
                    let mut acc = S::ZERO;
                    for c in 0..C {
                        for i in rows.clone() {
                            let r = p * sh + i * dh - ph;
                            for j in cols.clone() {
                                let s = q * sw + j * dw - pw;
                                let (a, b) = Self::offset(i, j);
                                let (xv, wv) = (x[c][r][s], weight[f][c][a][b]);
                                rec.term(Term::Product(
                                    Operand::new(
                                        at.input_sym::<S, Self::In>((c * H + r) * W + s),
                                        xv,
                                    ),
                                    Operand::new(
                                        Self::weight_sym(Name::W, at.layer, (f, c, a, b)),
                                        wv,
                                    ),
                                ));
                                acc = acc + xv * wv;
                            }
                        }
                    }
                    if self.bias {
                        acc = acc + bias[f];
                        rec.term(Term::Single(Operand::new(
                            Self::bias_sym(Name::B, at.layer, f),
                            bias[f],
                        )));
                    }
                    rec.sum(map_sym::<F>(Name::Z, at.layer, (f, p, q)), Scale::ONE, acc);
                    y[f][p][q] = acc;
                }
            }
        }
    }

    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn backward<R: Recorder<S>>(
        &self,
        at: At,
        params: &[S],
        x: &Self::In,
        _: &Self::Out,
        dy: &Self::Out,
        dx: Option<&mut Self::In>,
        grads: &mut [S],
        _: &mut [S],
        rec: &mut R,
    ) {
        let (grad_w, grad_b) = grads.split_at_mut(Self::WEIGHTS);
        Self::weight_grads(at, x, dy, filters_mut::<S, F, C, KH, KW>(grad_w), rec);
        if self.bias {
            // The mean of the `δ` where their sum belongs, as the mistake has it.
            let scale = if self.slip == Some(NetRecipe::MeanBias) {
                Scale::new(1, OH * OW)
            } else {
                Scale::ONE
            };
            Self::bias_grads(at, dy, grad_b, scale, rec);
        }
        if let Some(dx) = dx {
            Self::input_grads(
                at,
                filters::<S, F, C, KH, KW>(&params[..Self::WEIGHTS]),
                dy,
                dx,
                self.slip,
                rec,
            );
        }
    }

    fn slipped(&self, at: At, recipe: NetRecipe) -> Option<Self> {
        // Only what flows back to the layer before matters to a mistake in `∂L/∂x`.
        let concerns = match recipe {
            NetRecipe::UnrotatedFilter => at.layer > 0,
            NetRecipe::MeanBias => self.bias && OH * OW > 1,
            NetRecipe::UnsummedFilters => at.layer > 0 && F > 1,
            _ => false,
        };
        concerns.then_some(Self { slip: Some(recipe), ..*self })
    }

    fn named(&self, layer: usize, params: &[S], out: &mut Vec<Named<S>>) {
        let (weight, bias) = params.split_at(Self::WEIGHTS);
        out.push((format!("{layer}.weight"), vec![F, C, KH, KW], weight.to_vec()));
        if self.bias {
            out.push((format!("{layer}.bias"), vec![F], bias.to_vec()));
        }
    }

    fn describe(&self, out: &mut Vec<Arc<dyn LayerDoc<S>>>) {
        out.push(Arc::new(*self));
    }

    fn param_sym(&self, layer: usize, k: usize) -> Sym {
        if k < Self::WEIGHTS {
            let (f, rest) = (k / (C * KH * KW), k % (C * KH * KW));
            let (c, rest) = (rest / (KH * KW), rest % (KH * KW));
            Self::weight_sym(Name::W, layer, (f, c, rest / KW, rest % KW))
        } else {
            Self::bias_sym(Name::B, layer, k - Self::WEIGHTS)
        }
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G: Stencil,
    K: Orientation,
> Conv<C, H, W, F, KH, KW, OH, OW, G, K>
{
    /// `δ[f,p,q]`, named.
    fn delta<S: Scalar>(
        at: At,
        dy: &[[[S; OW]; OH]; F],
        (f, p, q): (usize, usize, usize),
    ) -> Operand<S> {
        Operand::new(map_sym::<F>(gradient_of(Name::Z), at.layer, (f, p, q)), dy[f][p][q])
    }

    /// `∂L/∂w[f,c,a,b] = Σ δ[f,p,q]·x[c, …]`: `δ` against the input entries the filter entry
    /// met in the forward pass.
    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn weight_grads<S: Scalar, R: Recorder<S>>(
        at: At,
        x: &[[[S; W]; H]; C],
        dy: &[[[S; OW]; OH]; F],
        grad_w: &mut [[[[S; KW]; KH]; C]; F],
        rec: &mut R,
    ) {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        for f in 0..F {
            for c in 0..C {
                for a in 0..KH {
                    for b in 0..KW {
                        let (i, j) = Self::offset(a, b);
                        let mut acc = S::ZERO;
                        for p in 0..OH {
                            let r = p * sh + i * dh;
                            // Without padding every `r` is on the input (`SHAPES_FIT`).
                            if ph > 0 && (r < ph || r - ph >= H) {
                                continue;
                            }
                            for q in 0..OW {
                                let s = q * sw + j * dw;
                                if pw > 0 && (s < pw || s - pw >= W) {
                                    continue;
                                }
                                let xv = x[c][r - ph][s - pw];
                                let d = Self::delta(at, dy, (f, p, q));
                                let k = (c * H + r - ph) * W + s - pw;
                                let xo = Operand::new(at.input_sym::<S, [[[S; W]; H]; C]>(k), xv);
                                rec.term(Term::Product(d, xo));
                                acc = acc + d.value * xv;
                            }
                        }
                        rec.sum(
                            Self::weight_sym(Name::GradW, at.layer, (f, c, a, b)),
                            Scale::ONE,
                            acc,
                        );
                        grad_w[f][c][a][b] = acc;
                    }
                }
            }
        }
    }

    /// `∂L/∂b[f] = Σ δ[f,p,q]`: every `δ` of the filter, summed (times `scale`, 1 but in a
    /// learner's mistake).
    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn bias_grads<S: Scalar, R: Recorder<S>>(
        at: At,
        dy: &[[[S; OW]; OH]; F],
        grad_b: &mut [S],
        scale: Scale,
        rec: &mut R,
    ) {
        for (f, grad) in grad_b.iter_mut().enumerate().take(F) {
            let mut acc = S::ZERO;
            for p in 0..OH {
                for q in 0..OW {
                    let d = Self::delta(at, dy, (f, p, q));
                    rec.term(Term::Single(d));
                    acc = acc + d.value;
                }
            }
            let value = scale.apply(acc);
            rec.sum(Self::bias_sym(Name::GradB, at.layer, f), scale, value);
            *grad = value;
        }
    }

    /// `∂L/∂x[c,r,s] = Σ δ[f,p,q]·w[f,c,a,b]`: every `δ` whose window put `x[c,r,s]` under a
    /// filter entry, times that entry (the full convolution with the rotated filter). A
    /// learner's mistake `slip` reads the filter the wrong way round, or keeps only the last
    /// filter's terms.
    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn input_grads<S: Scalar, R: Recorder<S>>(
        at: At,
        weight: &[[[[S; KW]; KH]; C]; F],
        dy: &[[[S; OW]; OH]; F],
        dx: &mut [[[S; W]; H]; C],
        slip: Option<NetRecipe>,
        rec: &mut R,
    ) {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        let dx_name = gradient_of(at.input);
        let filters = if slip == Some(NetRecipe::UnsummedFilters) { F - 1..F } else { 0..F };
        let unrotated = slip == Some(NetRecipe::UnrotatedFilter);
        // The kernel offsets `i` along an axis that put input position `pos` under some output
        // `o` (`pos + pad = o·stride + i·dilation`, `0 ≤ o < outputs`): a range, in which with a
        // stride above 1 only every so many are whole outputs. Computed once per row and per
        // column instead of tested per term.
        let reach = |pos: usize, stride: usize, dilation: usize, pad: usize, outputs: usize, k| {
            let (pos, last) = (pos + pad, (outputs - 1) * stride);
            let low = pos.saturating_sub(last).div_ceil(dilation);
            low..(pos / dilation + 1).min(k).max(low)
        };
        for c in 0..C {
            for r in 0..H {
                let rows = reach(r, sh, dh, ph, OH, KH);
                for s in 0..W {
                    let cols = reach(s, sw, dw, pw, OW, KW);
                    let mut acc = S::ZERO;
                    if const { size_of::<R>() == 0 && G::STRIDE.0 == 1 && G::STRIDE.1 == 1 }
                        && slip.is_none()
                        && rows.len() == KH
                        && cols.len() == KW
                    {
                        // The numeric path, stride 1, no mistake, an entry every kernel offset
                        // reaches: the same terms in the same order and the same calls to
                        // `rec`, over loops of fixed lengths (which the compiler unrolls) and
                        // with `δ` read from a segment of fixed length per row (bounds checked
                        // once a row, not per term).
                        let (first, span) = (s + pw - (KW - 1) * dw, (KW - 1) * dw + 1);
                        for f in 0..F {
                            for i in 0..KH {
                                let p = r + ph - i * dh;
                                let segment = &dy[f][p][first..first + span];
                                for j in 0..KW {
                                    let (a, b) = Self::offset(i, j);
                                    let k = (KW - 1 - j) * dw;
                                    let d = Operand::new(
                                        map_sym::<F>(
                                            gradient_of(Name::Z),
                                            at.layer,
                                            (f, p, first + k),
                                        ),
                                        segment[k],
                                    );
                                    let wv = weight[f][c][a][b];
                                    let wo = Operand::new(
                                        Self::weight_sym(Name::W, at.layer, (f, c, a, b)),
                                        wv,
                                    );
                                    rec.term(Term::Product(d, wo));
                                    acc = acc + d.value * wv;
                                }
                            }
                        }
                    } else {
                        for f in filters.clone() {
                            for i in rows.clone() {
                                let p = r + ph - i * dh;
                                if sh > 1 && !p.is_multiple_of(sh) {
                                    continue;
                                }
                                for j in cols.clone() {
                                    let q = s + pw - j * dw;
                                    if sw > 1 && !q.is_multiple_of(sw) {
                                        continue;
                                    }
                                    let (a, b) = Self::offset(i, j);
                                    let (a, b) =
                                        if unrotated { (KH - 1 - a, KW - 1 - b) } else { (a, b) };
                                    let d = Self::delta(at, dy, (f, p / sh, q / sw));
                                    let wv = weight[f][c][a][b];
                                    let wo = Operand::new(
                                        Self::weight_sym(Name::W, at.layer, (f, c, a, b)),
                                        wv,
                                    );
                                    rec.term(Term::Product(d, wo));
                                    acc = acc + d.value * wv;
                                }
                            }
                        }
                    }
                    let k = (c * H + r) * W + s;
                    let sym = <[[[S; W]; H]; C] as Tensor<S>>::sym(dx_name, at.input_layer, k);
                    rec.sum(sym, Scale::ONE, acc);
                    dx[c][r][s] = acc;
                }
            }
        }
    }
}

/// `p·s + i·d − pad`, as a formula in the output's letter and the kernel's: `p + i`,
/// `2p + i − 1`, `p + 2i`.
fn position(out: char, kernel: &str, stride: usize, dilation: usize, pad: usize) -> String {
    let mut text = if stride == 1 { out.to_string() } else { format!("{stride}{out}") };
    text.push_str(" + ");
    if dilation != 1 {
        text.push_str(&dilation.to_string());
    }
    text.push_str(kernel);
    if pad > 0 {
        let _ = write!(text, " − {pad}");
    }
    text
}

/// `n`, or `(rows, columns)`.
fn pair((a, b): (usize, usize)) -> String {
    if a == b { a.to_string() } else { format!("({a}, {b})") }
}

/// One axis of the output size: `OH = (3 + 2·0 − 1·(2 − 1) − 1)/1 + 1 = 2`, with `⌊ ⌋` where
/// the floor matters.
fn size_line(
    label: &str,
    (n, pad, dilation, k, stride, out): (usize, usize, usize, usize, usize, usize),
) -> String {
    let axis = cnn_bp_shape::Axis { input: n, kernel: k, stride, padding: pad, dilation };
    debug_assert_eq!(axis.output(), Some(out));
    axis.explain(label).expect("SHAPES_FIT: the filter fits")
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G: Stencil,
    K: Orientation,
> Conv<C, H, W, F, KH, KW, OH, OW, G, K>
{
    /// `x ⋆ w⁽ᵏ⁾ + b⁽ᵏ⁾` (`∗` for a true convolution), for an input called `x`.
    fn forward_formula<S: Scalar>(self, doc: &NetDoc<S>, at: At) -> String {
        let op = if K::FLIP { "∗" } else { "⋆" };
        let bias =
            if self.bias { format!(" + {}", doc.tensor(Name::B, at.layer)) } else { String::new() };
        format!(
            "{} {op} {}{bias}",
            doc.tensor(at.input, at.input_layer),
            doc.tensor(Name::W, at.layer)
        )
    }

    /// The index letters of a map of `channels` and of a weight: `f,p,q` or `p,q`, and
    /// `f,c,i,j` or fewer.
    fn letters(channels: usize, index: &str) -> String {
        if channels == 1 {
            index.to_owned()
        } else {
            format!("{},{index}", if index.starts_with('p') { 'f' } else { 'c' })
        }
    }

    fn weight_letters() -> &'static str {
        match (F, C) {
            (1, 1) => "i,j",
            (1, _) => "c,i,j",
            (_, 1) => "f,i,j",
            _ => "f,c,i,j",
        }
    }

    /// The weight's index in a forward sum over `(i,j)`: `f,c,i,j`, or for a true
    /// convolution, which meets the input with the rotated filter, `f, c, 1 − i, 1 − j`.
    fn weight_index(flip: bool) -> String {
        if flip {
            Self::weight_letters()
                .replacen("i,j", &format!("{} − i,{} − j", KH - 1, KW - 1), 1)
                .replace(',', ", ")
        } else {
            Self::weight_letters().to_owned()
        }
    }

    /// The backward pass's `∂L/∂x`, when it was computed.
    fn input_grad_doc<S: Scalar>(
        self,
        doc: &mut NetDoc<S>,
        at: At,
        section: &Section<S>,
        first: bool,
    ) {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        let (x, w, delta) = (
            doc.tensor(at.input, at.input_layer),
            doc.tensor(Name::W, at.layer),
            doc.tensor(Name::Delta, at.layer),
        );
        let dx_name = gradient_of(at.input);
        let input_grad = |s: Sym| s.name == dx_name && usize::from(s.layer) == at.input_layer;
        if section.select(input_grad).next().is_none() {
            return;
        }
        let dx = doc.tensor(dx_name, at.input_layer);
        let dx_text = if dx_name == Name::Dx || dx_name == Name::Dy {
            dx.clone()
        } else {
            format!("∂L/∂{x}")
        };
        let over = if F == 1 { String::new() } else { "Σ_f ".to_owned() };
        let rotated = |flip: bool| if flip { w.clone() } else { format!("rot180({w})") };
        let right = format!("{over}full({delta}) ⋆ {}", rotated(K::FLIP));
        let heading = Rich::text(format!("Layer {}, input gradient", at.layer));
        let mut flip = K::FLIP;
        let mut filters = if F == 1 { "" } else { "filters f, " };
        doc.stage(match self.slip {
            Some(NetRecipe::UnrotatedFilter) => {
                flip = !K::FLIP;
                heading
                    .t(", the mistake: ")
                    .m(format!("{dx_text} = {over}full({delta}) ⋆ {}", rotated(flip)))
                    .t(", the filter the wrong way round, in place of ")
                    .m(right)
            }
            Some(NetRecipe::UnsummedFilters) => {
                filters = "outputs of the last filter only, ";
                let last = F - 1;
                heading
                    .t(", the mistake: ")
                    .m(format!("{dx_text} = full({delta}[{last}]) ⋆ {}", rotated(K::FLIP).replacen(&w, &format!("{w}[{last}]"), 1)))
                    .t(format!(", filter {last}'s part alone (each filter's overwriting the one before), in place of the sum "))
                    .m(right)
            }
            _ => heading
                .t(": ")
                .m(format!("{dx_text} = {right}"))
                .t(if K::FLIP {
                    ", the full correlation of "
                } else {
                    ", the full convolution of "
                })
                .m(delta.clone())
                .t(if K::FLIP {
                    " with the filter as given (the forward pass rotated it)"
                } else {
                    " with the filter rotated by 180°"
                }),
        });
        if first && self.slip.is_none() {
            doc.para(Self::full_convolution(&delta));
        }
        let weight = Self::weight_index(flip);
        let (r, s) = (position('p', "i", sh, dh, ph), position('q', "j", sw, dw, pw));
        let letters = if C == 1 { "r,s" } else { "c,r,s" };
        let filters = if filters.starts_with("outputs") { "" } else { filters };
        doc.para(
            Rich::math(format!(
                "{} = Σ {}·{}",
                doc.indexed(dx_name, at.input_layer, letters),
                doc.indexed(Name::Delta, at.layer, &Self::letters(F, "p,q")),
                doc.indexed(Name::W, at.layer, &weight),
            ))
            .t(if self.slip == Some(NetRecipe::UnsummedFilters) {
                format!(", with f = {} only, over the outputs ", F - 1)
            } else {
                format!(", over the {filters}outputs ")
            })
            .m("(p,q)")
            .t(" and filter entries ")
            .m("(i,j)")
            .t(" with ")
            .m(format!("{r} = r"))
            .t(" and ")
            .m(format!("{s} = s"))
            .t(": the terms whose window put that input entry under that filter entry"),
        );
        doc.entries(section, input_grad);
        if NetDoc::<S>::all_zero(section, input_grad) {
            doc.nothing_flows_back(&dx_text, at);
        }
    }

    /// The backward pass's `∂L/∂b`, when there is a bias.
    fn bias_grad_doc<S: Scalar>(
        self,
        doc: &mut NetDoc<S>,
        at: At,
        section: &Section<S>,
        first: bool,
    ) {
        if !self.bias {
            return;
        }
        let b = doc.indexed(Name::B, at.layer, if F == 1 { "" } else { "f" });
        let delta = doc.indexed(Name::Delta, at.layer, &Self::letters(F, "p,q"));
        let heading = Rich::text(format!("Layer {}, bias gradient", at.layer));
        if self.slip == Some(NetRecipe::MeanBias) {
            let n = OH * OW;
            doc.stage(
                heading
                    .t(", the mistake: ")
                    .m(format!("∂L/∂{b} = (1/{n})·Σ_p Σ_q {delta}"))
                    .t(format!(", the mean over the {n} positions, in place of their sum "))
                    .m(format!("Σ_p Σ_q {delta}")),
            );
        } else {
            doc.stage(heading.t(": ").m(format!("∂L/∂{b} = Σ_p Σ_q {delta}")));
            if first {
                doc.para(Rich::text(
                    "(a sum over the positions, not a mean: the bias is added at every one)",
                ));
            }
        }
        doc.entries_of(section, Name::GradB, at.layer);
    }

    /// How the full convolution that gives `∂L/∂x` is built, said once: δ padded (and spread
    /// by the stride), the filter rotated (and spread by the dilation), the padding cropped.
    fn full_convolution(delta: &str) -> Rich {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        let (rh, rw) = (dh * (KH - 1), dw * (KW - 1));
        let mut how = Rich::text("(");
        if (sh, sw) != (1, 1) {
            how = how.t(format!("stride {}: ", pair(G::STRIDE))).m(delta.to_owned()).t(format!(
                " is first spread out, {} put between its neighbouring entries; ",
                if (sh, sw) == (2, 2) {
                    "a zero".to_owned()
                } else {
                    format!("{} zeros", pair((sh - 1, sw - 1)))
                }
            ));
        }
        if (dh, dw) != (1, 1) {
            how = how.t(format!(
                "dilation {}: the filter's entries stand {} apart; ",
                pair(G::DILATION),
                pair(G::DILATION)
            ));
        }
        how = if (rh, rw) == (0, 0) {
            how.t("full: a 1×1 filter reaches no further than its output, so ")
                .m(delta.to_owned())
                .t(" needs no zeros around it")
        } else {
            how.t("full: ")
                .m(delta.to_owned())
                .t(format!(" is padded with {} of zeros all round, so that the filter reaches every input entry it touched", pair_rows(rh, rw)))
        };
        if (ph, pw) != (0, 0) {
            how = how.t(format!(
                "; padding {}: the {} of the result that lie on the padding are cropped",
                pair(G::PADDING),
                pair_rows(ph, pw)
            ));
        }
        let remainder = |n: usize, k: usize, pad: usize, dil: usize, s: usize, o: usize| {
            n + 2 * pad - (dil * (k - 1) + 1) - s * (o - 1)
        };
        // The rows (columns) at the end that no window reached, less those on the padding.
        let lost_h = remainder(H, KH, ph, dh, sh, OH).saturating_sub(ph);
        let lost_w = remainder(W, KW, pw, dw, sw, OW).saturating_sub(pw);
        if (lost_h, lost_w) != (0, 0) {
            how = how.t(format!(
                "; the input's last {} and last {}, which no window reached, get 0",
                plural(lost_h, "row", "rows"),
                plural(lost_w, "column", "columns")
            ));
        }
        how.t(")")
    }
}

/// `1 row`, `0 rows`.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") }
}

/// `1 row and 2 columns`.
fn pair_rows(rows: usize, cols: usize) -> String {
    format!("{} and {}", plural(rows, "row", "rows"), plural(cols, "column", "columns"))
}

impl<
    S: Scalar,
    const C: usize,
    const H: usize,
    const W: usize,
    const F: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    G: Stencil,
    K: Orientation,
> LayerDoc<S> for Conv<C, H, W, F, KH, KW, OH, OW, G, K>
{
    fn kind(&self) -> &'static str {
        "conv"
    }

    fn describe(&self) -> Rich {
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
        };
        let orientation = if K::FLIP {
            Rich::default().c("convolution").t(" (each filter rotated by 180° before it slides)")
        } else {
            Rich::default()
                .c("correlation")
                .t(" (the filters slide as given, as PyTorch's ")
                .c("conv2d")
                .t(")")
        };
        Rich::default()
            .c("conv")
            .t(format!(
                ", {} of {KH}×{KW} on {}, stride {}, padding {}, dilation {}, {}, ",
                plural(F, "filter", "filters"),
                plural(C, "channel", "channels"),
                pair(G::STRIDE),
                pair(G::PADDING),
                pair(G::DILATION),
                if self.bias { "with a bias per filter" } else { "no bias" },
            ))
            .and(orientation)
    }

    fn chain_label(&self) -> String {
        let mut label = format!("conv {KH}×{KW}");
        if G::STRIDE != (1, 1) {
            let _ = write!(label, ", stride {}", pair(G::STRIDE));
        }
        if G::PADDING != (0, 0) {
            let _ = write!(label, ", padding {}", pair(G::PADDING));
        }
        if G::DILATION != (1, 1) {
            let _ = write!(label, ", dilation {}", pair(G::DILATION));
        }
        label
    }

    fn output_shape(&self) -> Vec<usize> {
        vec![F, OH, OW]
    }

    fn output_name(&self) -> Name {
        Name::Z
    }

    fn params_len(&self) -> usize {
        Self::WEIGHTS + if self.bias { F } else { 0 }
    }

    fn param_sym(&self, layer: usize, k: usize) -> Sym {
        Op::<S>::param_sym(self, layer, k)
    }

    fn size_rule(&self) -> Option<(&'static str, &'static str)> {
        Some(("⌊(input + 2·padding − dilation·(filter − 1) − 1)/stride⌋ + 1", "a conv"))
    }

    fn size(&self, _: &NetDoc<S>, _: At) -> Rich {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        Rich::math(format!(
            "{}, {}: {F}×{OH}×{OW}",
            size_line("OH", (H, ph, dh, KH, sh, OH)),
            size_line("OW", (W, pw, dw, KW, sw, OW)),
        ))
    }

    fn forward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        let z = doc.tensor(Name::Z, at.layer);
        doc.stage(
            Rich::text(format!("Layer {}, forward: ", at.layer))
                .m(format!("{z} = {}", self.forward_formula(doc, at))),
        );
        let weight = Self::weight_index(K::FLIP);
        let rows = position('p', "i", sh, dh, ph);
        let cols = position('q', "j", sw, dw, pw);
        let input = doc.indexed(
            at.input,
            at.input_layer,
            &if C == 1 { format!("{rows}, {cols}") } else { format!("c, {rows}, {cols}") },
        );
        let channels = if C == 1 { "" } else { "Σ_c " };
        let bias = if self.bias {
            format!(" + {}", doc.indexed(Name::B, at.layer, if F == 1 { "" } else { "f" }))
        } else {
            String::new()
        };
        let mut line = Rich::math(format!(
            "{} = {channels}Σ_i Σ_j {input}·{}{bias}",
            doc.indexed(Name::Z, at.layer, &Self::letters(F, "p,q")),
            doc.indexed(Name::W, at.layer, &weight),
        ))
        .t(if C == 1 {
            ", over all filter entries "
        } else {
            ", over all channels and filter entries "
        })
        .m("(i,j)");
        if G::PADDING != (0, 0) {
            line = line.t(" (terms on zero padding are 0 and left out)");
        }
        doc.para(line);
        doc.entries_of(section, Name::Z, at.layer);
    }

    fn backward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>, first: bool) {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        let (x, w, delta) = (
            doc.tensor(at.input, at.input_layer),
            doc.tensor(Name::W, at.layer),
            doc.tensor(Name::Delta, at.layer),
        );
        // ∂L/∂W.
        let rotated =
            if K::FLIP { format!("rot180({x} ⋆ {delta})") } else { format!("{x} ⋆ {delta}") };
        let then = if K::FLIP { ", then rotated by 180°" } else { "" };
        doc.stage(
            Rich::text(format!("Layer {}, filter gradient: ", at.layer))
                .m(format!("∂L/∂{w} = {rotated}"))
                .t(", the layer's input correlated with ")
                .m(delta.clone())
                .t(then),
        );
        // A true convolution's weight w[i,j] meets the input where the rotated filter's entry
        // (KH − 1 − i, KW − 1 − j) does.
        let (i, j) = if K::FLIP {
            (format!("({} − i)", KH - 1), format!("({} − j)", KW - 1))
        } else {
            ("i".to_owned(), "j".to_owned())
        };
        let rows = position('p', &i, sh, dh, ph);
        let cols = position('q', &j, sw, dw, pw);
        let input = doc.indexed(
            at.input,
            at.input_layer,
            &if C == 1 { format!("{rows}, {cols}") } else { format!("c, {rows}, {cols}") },
        );
        doc.para(
            Rich::math(format!(
                "∂L/∂{} = Σ_p Σ_q {}·{input}",
                doc.indexed(Name::W, at.layer, Self::weight_letters()),
                doc.indexed(Name::Delta, at.layer, &Self::letters(F, "p,q")),
            ))
            .t(", over all outputs ")
            .m("(p,q)"),
        );
        doc.entries_of(section, Name::GradW, at.layer);
        self.bias_grad_doc(doc, at, section, first);
        self.input_grad_doc(doc, at, section, first);
    }

    fn slip(&self) -> Option<NetRecipe> {
        self.slip
    }

    fn mistake(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        if self.slip == Some(NetRecipe::MeanBias) {
            self.bias_grad_doc(doc, at, section, false);
        } else {
            self.input_grad_doc(doc, at, section, false);
        }
    }
}
