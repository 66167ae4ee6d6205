//! What the pooling layers share: a `KH×KW` window sliding over each channel of a map with
//! stride `(SH, SW)`, no padding, the output size floored as PyTorch's `MaxPool2d` and
//! `AvgPool2d` do, and the gradient of each input entry gathered from the windows that cover
//! it. What a window computes, and what it sends back, is the pooling's own: [`Max`] in
//! `max_pool.rs`, [`Mean`] in `avg_pool.rs`.
//!
//! [`Max`]: super::Max
//! [`Mean`]: super::Mean

// Index loops on purpose: the indices are what the recorded equations name.
#![allow(clippy::needless_range_loop)]

use core::fmt::Write as _;
use core::marker::PhantomData;
use core::ops::Range;
use std::sync::Arc;

use super::{At, Op, Tensor, gradient_of, map_sym};
use crate::layer::Scale;
use crate::render::doc::Rich;
use crate::render::{LayerDoc, NetDoc};
use crate::scalar::Scalar;
use crate::trace::{Equation, Expr, Name, NetRecipe, Operand, Recorder, Section, Sym, Term};

/// What a pooling window computes and sends back: the pooling's own file implements it.
pub trait Pooling: Copy + Default + Send + Sync + 'static {
    /// Its name in `train!` and in headings: `max_pool`.
    const NAME: &'static str;

    /// The window's value and the offset (row-major, within the window) it picked, if it
    /// picks one: the window's entries are `values`, in row-major order.
    fn reduce<S: Scalar>(values: impl Iterator<Item = S>) -> (S, usize);

    /// The window's value, recorded as the equation of `lhs` over `window`, its entries.
    fn record<S: Scalar, R: Recorder<S>>(
        window: &[Operand<S>],
        pick: usize,
        value: S,
        lhs: Sym,
        rec: &mut R,
    );

    /// Whether the window's offset `k` gets (some of) the window's gradient, given the
    /// offset the window picked; `spread` when a learner's mistake spreads it over the window.
    fn routes(pick: usize, k: usize, spread: bool) -> bool;

    /// The factor of the sum of the gradients an entry gets: `1/(KH·KW)` of a mean; `spread`
    /// as in [`Pooling::routes`].
    fn grad_scale(window: usize, spread: bool) -> Scale;

    /// What it is, for Given: `max_pool, 2×2 windows, stride 2`.
    fn describe(window: String) -> Rich;

    /// Its forward pass written out: the heading's formula and the formula per entry.
    fn forward_doc<S: Scalar>(doc: &mut NetDoc<S>, at: At, section: &Section<S>, lines: Lines);

    /// Its backward pass written out: `∂L/∂x` gathered from the windows covering each entry;
    /// `first` on the first step written out, `spread` for the learner's mistake.
    fn backward_doc<S: Scalar>(
        doc: &mut NetDoc<S>,
        at: At,
        section: &Section<S>,
        lines: Lines,
        first: bool,
        spread: bool,
    );
}

/// The names a pooling's documentation writes its formulas with.
#[derive(Clone, Debug)]
pub struct Lines {
    /// `y⁽²⁾`, `y⁽²⁾[c,p,q]`.
    pub(crate) y: String,
    pub(crate) y_at: String,
    /// The input's name, and its entry in window `(p,q)` at offset `(i,j)`:
    /// `z⁽¹⁾[c, 2p + i, 2q + j]`.
    pub(crate) x: String,
    pub(crate) x_at: String,
    /// `∂L/∂y⁽²⁾[c,p,q]`, and the name of the input's gradient with its index letters,
    /// `∂L/∂z⁽¹⁾[c,r,s]` (`δ⁽¹⁾[c,r,s]`).
    pub(crate) dy_at: String,
    pub(crate) dx: String,
    pub(crate) dx_at: String,
    /// The window's size `KH·KW`, and `KH×KW`.
    pub(crate) window: usize,
    pub(crate) window_text: String,
    /// The stride, and where the window of output `(p, q)` starts: `(2p, 2q)`.
    pub(crate) starts: String,
}

/// A pooling layer: windows of `KH×KW` with stride `(SH, SW)` over a `C×H×W` map, giving
/// `C×OH×OW`, each window reduced as `P` says.
#[derive(Debug, PartialEq, Eq)]
pub struct Pool<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P,
> {
    /// Whether its backward pass makes the learner's mistake of spreading a max-pool window's
    /// gradient over the whole window.
    spread: bool,
    pooling: PhantomData<fn() -> P>,
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P,
> Clone for Pool<C, H, W, KH, KW, SH, SW, OH, OW, P>
{
    fn clone(&self) -> Self {
        *self
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P,
> Copy for Pool<C, H, W, KH, KW, SH, SW, OH, OW, P>
{
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P,
> Default for Pool<C, H, W, KH, KW, SH, SW, OH, OW, P>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P,
> Pool<C, H, W, KH, KW, SH, SW, OH, OW, P>
{
    /// The layer.
    pub const fn new() -> Self {
        Self { spread: false, pooling: PhantomData }
    }

    /// The output size the shapes must have: the backstop behind the macro's own errors.
    const SHAPES_FIT: () = {
        assert!(SH > 0 && SW > 0, "a stride is at least 1");
        assert!(C > 0 && KH > 0 && KW > 0, "no empty shape");
        assert!(KH <= H && KW <= W, "the window fits the input");
        assert!(
            OH == (H - KH) / SH + 1 && OW == (W - KW) / SW + 1,
            "OH = ⌊(H − KH)/SH⌋ + 1, and the same for OW"
        );
    };

    /// The windows along one axis that cover position `pos`: `o·stride ≤ pos < o·stride + k`.
    fn covering(pos: usize, k: usize, stride: usize, outputs: usize) -> Range<usize> {
        let low = (pos + 1).saturating_sub(k).div_ceil(stride);
        let high = (pos / stride + 1).min(outputs);
        low..high.max(low)
    }

    /// The rows and columns at the end of the input that no window covers (the floor).
    pub(crate) const fn uncovered() -> (usize, usize) {
        (H - ((OH - 1) * SH + KH), W - ((OW - 1) * SW + KW))
    }
}

impl<
    S: Scalar,
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P: Pooling,
> Op<S> for Pool<C, H, W, KH, KW, SH, SW, OH, OW, P>
{
    type In = [[[S; W]; H]; C];
    type Out = [[[S; OW]; OH]; C];

    fn output_name(&self) -> Name {
        Name::Y
    }

    #[allow(clippy::inline_always)] // as the other ops' passes: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn forward<R: Recorder<S>>(
        &self,
        at: At,
        _: &[S],
        x: &Self::In,
        y: &mut Self::Out,
        _: &mut [S],
        rec: &mut R,
    ) {
        let () = Self::SHAPES_FIT;
        let mut window = Vec::new();
        for c in 0..C {
            for p in 0..OH {
                for q in 0..OW {
                    let (r0, s0) = (p * SH, q * SW);
                    let values = (0..KH * KW).map(|k| x[c][r0 + k / KW][s0 + k % KW]);
                    let (value, pick) = P::reduce(values);
                    if const { size_of::<R>() > 0 } {
                        window.clear();
                        window.extend((0..KH * KW).map(|k| {
                            let (r, s) = (r0 + k / KW, s0 + k % KW);
                            let sym = at.input_sym::<S, Self::In>((c * H + r) * W + s);
                            Operand::new(sym, x[c][r][s])
                        }));
                        let lhs = map_sym::<C>(Name::Y, at.layer, (c, p, q));
                        P::record(&window, pick, value, lhs, rec);
                    }
                    y[c][p][q] = value;
                }
            }
        }
    }

    #[allow(clippy::inline_always)] // as the other ops' passes: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn backward<R: Recorder<S>>(
        &self,
        at: At,
        _: &[S],
        x: &Self::In,
        _: &Self::Out,
        dy: &Self::Out,
        dx: Option<&mut Self::In>,
        _: &mut [S],
        _: &mut [S],
        rec: &mut R,
    ) {
        let Some(dx) = dx else {
            return;
        };
        let scale = P::grad_scale(KH * KW, self.spread);
        let pick = |c: usize, p: usize, q: usize| {
            P::reduce((0..KH * KW).map(|k| x[c][p * SH + k / KW][q * SW + k % KW])).1
        };
        if const { size_of::<R>() == 0 } {
            // The numeric path: each window's gradient added to the entries it routes to, in
            // the order of the windows, which is the order of each entry's recorded sum.
            for plane in dx.iter_mut() {
                for row in plane.iter_mut() {
                    row.fill(S::ZERO);
                }
            }
            for c in 0..C {
                for p in 0..OH {
                    for q in 0..OW {
                        let picked = pick(c, p, q);
                        for k in 0..KH * KW {
                            if P::routes(picked, k, self.spread) {
                                let entry = &mut dx[c][p * SH + k / KW][q * SW + k % KW];
                                *entry = *entry + dy[c][p][q];
                            }
                        }
                    }
                }
            }
            if !scale.is_one() {
                for v in dx.as_flattened_mut().as_flattened_mut() {
                    *v = scale.apply(*v);
                }
            }
            return;
        }
        let dx_name = gradient_of(at.input);
        for c in 0..C {
            for r in 0..H {
                for s in 0..W {
                    let mut acc = S::ZERO;
                    for p in Self::covering(r, KH, SH, OH) {
                        for q in Self::covering(s, KW, SW, OW) {
                            let k = (r - p * SH) * KW + s - q * SW;
                            if P::routes(pick(c, p, q), k, self.spread) {
                                let d = dy[c][p][q];
                                let sym = map_sym::<C>(gradient_of(Name::Y), at.layer, (c, p, q));
                                rec.term(Term::Single(Operand::new(sym, d)));
                                acc = acc + d;
                            }
                        }
                    }
                    let value = scale.apply(acc);
                    let k = (c * H + r) * W + s;
                    rec.sum(<Self::In as Tensor<S>>::sym(dx_name, at.input_layer, k), scale, value);
                    dx[c][r][s] = value;
                }
            }
        }
    }

    fn describe(&self, out: &mut Vec<Arc<dyn LayerDoc<S>>>) {
        out.push(Arc::new(*self));
    }

    fn slipped(&self, at: At, recipe: NetRecipe) -> Option<Self> {
        // Only a max pool routes; only a gradient that flows on to a layer before matters.
        let concerns = recipe == NetRecipe::SpreadMaxPool
            && at.layer > 0
            && !P::routes(0, 1, false)
            && KH * KW > 1;
        concerns.then_some(Self { spread: true, ..*self })
    }
}

/// `n`, or `(rows, columns)`.
fn pair((a, b): (usize, usize)) -> String {
    if a == b { a.to_string() } else { format!("({a}, {b})") }
}

/// `2p`, `p`: where a window starts along an axis, in the output's letter.
fn start(letter: char, stride: usize) -> String {
    if stride == 1 { letter.to_string() } else { format!("{stride}{letter}") }
}

impl<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P: Pooling,
> Pool<C, H, W, KH, KW, SH, SW, OH, OW, P>
{
    fn lines<S: Scalar>(doc: &NetDoc<S>, at: At) -> Lines {
        let letters = |index: &str| if C == 1 { index.to_owned() } else { format!("c,{index}") };
        let (rows, cols) = (start('p', SH), start('q', SW));
        let dx_name = gradient_of(at.input);
        Lines {
            y: doc.tensor(Name::Y, at.layer),
            y_at: doc.indexed(Name::Y, at.layer, &letters("p,q")),
            x: doc.tensor(at.input, at.input_layer),
            x_at: doc.indexed(
                at.input,
                at.input_layer,
                &letters(&format!("{rows} + i, {cols} + j")),
            ),
            dy_at: doc.indexed(Name::Dy, at.layer, &letters("p,q")),
            dx: doc.tensor(dx_name, at.input_layer),
            dx_at: doc.indexed(dx_name, at.input_layer, &letters("r,s")),
            window: KH * KW,
            window_text: format!("{KH}×{KW}"),
            starts: format!("({rows}, {cols})"),
        }
    }

    /// The rows and columns at the end of the input that no window covers, if any: `the last
    /// column`, `the last 2 rows and the last column`, and whether one or more.
    pub(crate) fn floor_text() -> Option<(String, bool)> {
        let (rows, cols) = Self::uncovered();
        let part = |n: usize, one: &str, many: &str| match n {
            0 => None,
            1 => Some(format!("the last {one}")),
            n => Some(format!("the last {n} {many}")),
        };
        let parts: Vec<String> = [part(rows, "row", "rows"), part(cols, "column", "columns")]
            .into_iter()
            .flatten()
            .collect();
        let many = parts.len() > 1 || rows > 1 || cols > 1;
        (!parts.is_empty()).then(|| (parts.join(" and "), many))
    }
}

impl<
    S: Scalar,
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
    P: Pooling,
> LayerDoc<S> for Pool<C, H, W, KH, KW, SH, SW, OH, OW, P>
{
    fn kind(&self) -> &'static str {
        P::NAME
    }

    fn describe(&self) -> Rich {
        let overlap = if SH < KH || SW < KW { ", overlapping" } else { "" };
        P::describe(format!(
            "{KH}×{KW} windows, stride {}{overlap}, no padding, on {} channel{}",
            pair((SH, SW)),
            C,
            if C == 1 { "" } else { "s" }
        ))
    }

    fn chain_label(&self) -> String {
        let mut label = format!("{} {KH}×{KW}", P::NAME);
        if (SH, SW) != (KH, KW) {
            let _ = write!(label, ", stride {}", pair((SH, SW)));
        }
        label
    }

    fn output_shape(&self) -> Vec<usize> {
        vec![C, OH, OW]
    }

    fn output_name(&self) -> Name {
        Name::Y
    }

    fn size_rule(&self) -> Option<(&'static str, &'static str)> {
        Some(("⌊(input − window)/stride⌋ + 1", "a pool"))
    }

    fn size(&self, _: &NetDoc<S>, _: At) -> Rich {
        let axis = |input, kernel, stride| cnn_bp_shape::Axis {
            input,
            kernel,
            stride,
            padding: 0,
            dilation: 1,
        };
        let line = |label, input, kernel, stride| {
            axis(input, kernel, stride).explain_window(label).unwrap_or_default()
        };
        let text = Rich::math(format!(
            "{}, {}: {C}×{OH}×{OW}",
            line("OH", H, KH, SH),
            line("OW", W, KW, SW)
        ));
        match Self::floor_text() {
            Some((what, many)) => text.t(format!(
                " ({what} of its input {} in no window: the output size is floored, so {} gradient is 0)",
                if many { "are" } else { "is" },
                if many { "their" } else { "its" }
            )),
            None => text,
        }
    }

    fn forward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        let lines = Self::lines(doc, at);
        P::forward_doc(doc, at, section, lines);
    }

    fn backward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>, first: bool) {
        let dx_name = gradient_of(at.input);
        let keep = |s: Sym| s.name == dx_name && usize::from(s.layer) == at.input_layer;
        if section.select(keep).next().is_none() {
            return;
        }
        let lines = Self::lines(doc, at);
        let dx = lines.dx.clone();
        P::backward_doc(doc, at, section, lines, first, self.spread);
        // Why an entry gets nothing: the floor left it out of every window, or (a max pool)
        // no window picked it, though it may have tied for a window's maximum.
        let why = |eq: &Equation<S>| {
            let mut index = eq.lhs.indices().collect::<Vec<_>>();
            let s = index.pop().unwrap_or(0);
            let r = index.pop().unwrap_or(0);
            let covered = !Self::covering(r, KH, SH, OH).is_empty()
                && !Self::covering(s, KW, SW, OW).is_empty();
            if !covered {
                return Rich::text(
                    "no pooling window covers this entry: the output size is floored",
                );
            }
            let entry = |o: &Operand<S>| {
                o.sym.name == at.input
                    && usize::from(o.sym.layer) == at.input_layer
                    && o.sym.indices().eq(eq.lhs.indices())
            };
            let tied = section.equations.iter().find_map(|window| match &window.expr {
                Expr::Max { of, pick } if window.lhs.name == Name::Y => of
                    .iter()
                    .find(|o| entry(o) && o.value == of[*pick].value)
                    .map(|_| of[*pick].sym),
                _ => None,
            });
            match tied {
                Some(first) => {
                    Rich::text("tied for its window's maximum, but the first of the tie, ")
                        .m(crate::render::doc::name(first))
                        .t(", takes the gradient")
                }
                None => Rich::text("no window picked this entry as its maximum"),
            }
        };
        doc.entries_explained(section, keep, &why);
        if NetDoc::<S>::all_zero(section, keep) {
            doc.nothing_flows_back(&dx, at);
        }
    }

    fn slip(&self) -> Option<NetRecipe> {
        self.spread.then_some(NetRecipe::SpreadMaxPool)
    }
}
