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

use core::marker::PhantomData;
use core::ops::Range;

use super::{At, Named, Op, Tensor, filters, filters_mut, gradient_of, map_sym};
use crate::layer::Scale;
use crate::scalar::Scalar;
use crate::trace::{Name, Operand, Recorder, Sym, Term};

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
pub trait Stencil {
    /// Rows and columns moved per output entry, each at least 1.
    const STRIDE: (usize, usize);
    /// Zero rows above and below, zero columns left and right.
    const PADDING: (usize, usize);
    /// Rows and columns between the input entries a kernel's neighbouring entries meet, at
    /// least 1 (1: next to each other).
    const DILATION: (usize, usize);
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
pub trait Orientation {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    shape: PhantomData<(G, K)>,
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
        Self { bias, shape: PhantomData }
    }

    /// The entries of its weight: `F·C·KH·KW`.
    pub const WEIGHTS: usize = F * C * KH * KW;

    /// The output size the shapes must have: the backstop behind the macro's own errors.
    const SHAPES_FIT: () = {
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
                let rows = Self::window(p, sh, dh, ph, H, KH);
                for q in 0..OW {
                    let cols = Self::window(q, sw, dw, pw, W, KW);
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
            Self::bias_grads(at, dy, grad_b, rec);
        }
        if let Some(dx) = dx {
            Self::input_grads(
                at,
                filters::<S, F, C, KH, KW>(&params[..Self::WEIGHTS]),
                dy,
                dx,
                rec,
            );
        }
    }

    fn named(&self, layer: usize, params: &[S], out: &mut Vec<Named<S>>) {
        let (weight, bias) = params.split_at(Self::WEIGHTS);
        out.push((format!("{layer}.weight"), vec![F, C, KH, KW], weight.to_vec()));
        if self.bias {
            out.push((format!("{layer}.bias"), vec![F], bias.to_vec()));
        }
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
                            if r < ph || r - ph >= H {
                                continue;
                            }
                            for q in 0..OW {
                                let s = q * sw + j * dw;
                                if s < pw || s - pw >= W {
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

    /// `∂L/∂b[f] = Σ δ[f,p,q]`: every `δ` of the filter, summed.
    fn bias_grads<S: Scalar, R: Recorder<S>>(
        at: At,
        dy: &[[[S; OW]; OH]; F],
        grad_b: &mut [S],
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
            rec.sum(Self::bias_sym(Name::GradB, at.layer, f), Scale::ONE, acc);
            *grad = acc;
        }
    }

    /// `∂L/∂x[c,r,s] = Σ δ[f,p,q]·w[f,c,a,b]`: every `δ` whose window put `x[c,r,s]` under a
    /// filter entry, times that entry (the full convolution with the rotated filter).
    fn input_grads<S: Scalar, R: Recorder<S>>(
        at: At,
        weight: &[[[[S; KW]; KH]; C]; F],
        dy: &[[[S; OW]; OH]; F],
        dx: &mut [[[S; W]; H]; C],
        rec: &mut R,
    ) {
        let ((sh, sw), (ph, pw), (dh, dw)) = (G::STRIDE, G::PADDING, G::DILATION);
        let dx_name = gradient_of(at.input);
        for c in 0..C {
            for r in 0..H {
                for s in 0..W {
                    let mut acc = S::ZERO;
                    for f in 0..F {
                        for i in 0..KH {
                            // r = p·sh + i·dh − ph for a whole p in 0..OH.
                            let Some(p) = (r + ph).checked_sub(i * dh) else { continue };
                            if !p.is_multiple_of(sh) || p / sh >= OH {
                                continue;
                            }
                            for j in 0..KW {
                                let Some(q) = (s + pw).checked_sub(j * dw) else { continue };
                                if !q.is_multiple_of(sw) || q / sw >= OW {
                                    continue;
                                }
                                let (a, b) = Self::offset(i, j);
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
                    let k = (c * H + r) * W + s;
                    let sym = <[[[S; W]; H]; C] as Tensor<S>>::sym(dx_name, at.input_layer, k);
                    rec.sum(sym, Scale::ONE, acc);
                    dx[c][r][s] = acc;
                }
            }
        }
    }
}
