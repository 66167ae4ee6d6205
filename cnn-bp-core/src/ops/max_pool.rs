//! Max pooling, as PyTorch's `nn.MaxPool2d` (no padding, no dilation): each output is the
//! largest entry of its window, and its gradient goes back to that entry alone, 0 to the
//! others. On a tie the first maximum in row-major order takes it, as PyTorch's CPU kernel
//! and JAX do. Where windows overlap, an entry that is the maximum of several gets the sum of
//! their gradients.
//!
//! ```text
//! y[c,p,q] = max_{i,j} x[c, p·sh + i, q·sw + j]
//! ∂L/∂x[c,r,s] = Σ ∂L/∂y[c,p,q] over the windows (p,q) whose maximum is x[c,r,s]
//! ```
//!
//! The windows' geometry is [`Pool`](super::Pool)'s, shared with average pooling.

use super::pool::{Lines, Pool, Pooling};
use super::{At, gradient_of};
use crate::layer::Scale;
use crate::render::NetDoc;
use crate::render::doc::{Rich, names};
use crate::scalar::Scalar;
use crate::trace::{Expr, Name, Operand, Recorder, Section, Sym};

/// A max-pooling layer over a `C×H×W` map with `KH×KW` windows and stride `(SH, SW)`,
/// giving `C×OH×OW`.
pub type MaxPool<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
> = Pool<C, H, W, KH, KW, SH, SW, OH, OW, Max>;

/// The largest entry of each window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Max;

impl Pooling for Max {
    const NAME: &'static str = "max_pool";

    #[inline]
    fn reduce<S: Scalar>(mut values: impl Iterator<Item = S>) -> (S, usize) {
        let Some(mut best) = values.next() else {
            return (S::ZERO, 0);
        };
        let mut pick = 0;
        for (k, v) in values.enumerate() {
            // Strictly larger: the first of equal maxima stays. A NaN is taken, as in PyTorch.
            if v > best || v.partial_cmp(&v).is_none() {
                (best, pick) = (v, k + 1);
            }
        }
        (best, pick)
    }

    fn record<S: Scalar, R: Recorder<S>>(
        window: &[Operand<S>],
        pick: usize,
        value: S,
        lhs: Sym,
        rec: &mut R,
    ) {
        rec.equation(lhs, Expr::Max { of: window.to_vec(), pick }, value);
    }

    #[inline]
    fn routes(pick: usize, k: usize, spread: bool) -> bool {
        spread || k == pick
    }

    fn grad_scale(window: usize, spread: bool) -> Scale {
        if spread { Scale::new(1, window) } else { Scale::ONE }
    }

    fn describe(window: String) -> Rich {
        Rich::default().c("max_pool").t(format!(
            ", {window}: each output the largest entry of its window (on a tie the first in row-major order, as PyTorch and JAX)"
        ))
    }

    fn forward_doc<S: Scalar>(doc: &mut NetDoc<S>, at: At, section: &Section<S>, lines: Lines) {
        doc.stage(
            Rich::text(format!("Layer {}, forward: ", at.layer))
                .m(format!("{} = max_pool({})", lines.y, lines.x))
                .t(format!(", {} windows", lines.window_text)),
        );
        doc.para(
            Rich::math(format!("{} = max {}", lines.y_at, lines.x_at))
                .t(", over the window's entries ")
                .m("(i,j)")
                .t(format!(", which starts at {}: its largest entry", lines.starts)),
        );
        doc.entries_of(section, Name::Y, at.layer);
        let ties: Vec<(Sym, Vec<Sym>, Sym)> = section
            .select(|s| s.name == Name::Y && usize::from(s.layer) == at.layer)
            .filter_map(|eq| match &eq.expr {
                Expr::Max { of, pick } => {
                    let tied: Vec<Sym> =
                        of.iter().filter(|o| o.value == of[*pick].value).map(|o| o.sym).collect();
                    (tied.len() > 1).then(|| (eq.lhs, tied, of[*pick].sym))
                }
                _ => None,
            })
            .collect();
        for (out, tied, first) in ties {
            doc.note(
                Rich::math(crate::render::doc::name(out))
                    .t(": a tie for the maximum, between ")
                    .m(names(tied))
                    .t("; the first in row-major order, ")
                    .m(crate::render::doc::name(first))
                    .t(", takes the whole gradient in the backward pass (as PyTorch's CPU kernel and JAX do); the others get none from this window."),
            );
        }
    }

    fn backward_doc<S: Scalar>(
        doc: &mut NetDoc<S>,
        at: At,
        _: &Section<S>,
        lines: Lines,
        first: bool,
        spread: bool,
    ) {
        let heading = Rich::text(format!("Layer {}, backward: ", at.layer));
        let dy = doc.tensor(gradient_of(Name::Y), at.layer);
        if spread {
            let n = lines.window;
            doc.stage(
                heading
                    .t("the mistake: ")
                    .m(format!("{} = (1/{n})·Σ {}", lines.dx_at, lines.dy_at))
                    .t(format!(
                        " over every window covering the entry, each window's gradient spread evenly over its {n} entries as an average pool's is, in place of routing it to the window's maximum"
                    )),
            );
            return;
        }
        doc.stage(
            heading
                .m(format!("{} = {dy} routed to each window's maximum", lines.dx))
                .t(", 0 to the window's other entries"),
        );
        doc.para(
            Rich::math(format!("{} = Σ {}", lines.dx_at, lines.dy_at))
                .t(" over the windows ")
                .m("(p,q)")
                .t(" whose maximum is that entry: the max passes on only its largest input, so only that entry moves the output"),
        );
        if first {
            doc.para(Rich::text(
                "(where windows overlap, an entry that is the maximum of several windows gets the sum of their gradients)",
            ));
        }
    }
}
