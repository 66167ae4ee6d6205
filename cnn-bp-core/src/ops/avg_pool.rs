//! Average pooling, as PyTorch's `nn.AvgPool2d` (no padding): each output is the mean of its
//! window, dividing by the window's size `KH·KW`, and its gradient is shared equally among
//! the window's entries. Where windows overlap, an entry gets the sum of its windows' shares.
//!
//! ```text
//! y[c,p,q] = (1/(KH·KW))·Σ_{i,j} x[c, p·sh + i, q·sw + j]
//! ∂L/∂x[c,r,s] = (1/(KH·KW))·Σ ∂L/∂y[c,p,q] over the windows (p,q) that cover x[c,r,s]
//! ```
//!
//! The windows' geometry is [`Pool`](super::Pool)'s, shared with max pooling.

use super::At;
use super::pool::{Lines, Pool, Pooling};
use crate::layer::Scale;
use crate::render::NetDoc;
use crate::render::doc::Rich;
use crate::scalar::Scalar;
use crate::trace::{Name, Operand, Recorder, Section, Sym, Term};

/// An average-pooling layer over a `C×H×W` map with `KH×KW` windows and stride `(SH, SW)`,
/// giving `C×OH×OW`.
pub type AvgPool<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
> = Pool<C, H, W, KH, KW, SH, SW, OH, OW, Mean>;

/// The mean of each window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mean;

impl Pooling for Mean {
    const NAME: &'static str = "avg_pool";

    #[inline]
    fn reduce<S: Scalar>(values: impl Iterator<Item = S>) -> (S, usize) {
        let (mut sum, mut n) = (S::ZERO, 0);
        for v in values {
            sum = sum + v;
            n += 1;
        }
        (Scale::new(1, n.max(1)).apply(sum), 0)
    }

    fn record<S: Scalar, R: Recorder<S>>(
        window: &[Operand<S>],
        _: usize,
        value: S,
        lhs: Sym,
        rec: &mut R,
    ) {
        for &op in window {
            rec.term(Term::Single(op));
        }
        rec.sum(lhs, Scale::new(1, window.len().max(1)), value);
    }

    #[inline]
    fn routes(_: usize, _: usize, _: bool) -> bool {
        true
    }

    fn grad_scale(window: usize, _: bool) -> Scale {
        Scale::new(1, window)
    }

    fn describe(window: String) -> Rich {
        Rich::default().c("avg_pool").t(format!(
            ", {window}: each output the mean of its window (the sum divided by the window's size)"
        ))
    }

    fn forward_doc<S: Scalar>(doc: &mut NetDoc<S>, at: At, section: &Section<S>, lines: Lines) {
        let n = lines.window;
        doc.stage(
            Rich::text(format!("Layer {}, forward: ", at.layer))
                .m(format!("{} = avg_pool({})", lines.y, lines.x))
                .t(format!(", {} windows", lines.window_text)),
        );
        doc.para(Rich::math(format!("{} = (1/{n})·Σ_i Σ_j {}", lines.y_at, lines.x_at)).t(
            format!(", the mean of the window's {n} entries, which starts at {}", lines.starts),
        ));
        doc.entries_of(section, Name::Y, at.layer);
    }

    fn backward_doc<S: Scalar>(
        doc: &mut NetDoc<S>,
        at: At,
        _: &Section<S>,
        lines: Lines,
        first: bool,
        _: bool,
    ) {
        let n = lines.window;
        doc.stage(
            Rich::text(format!("Layer {}, backward: ", at.layer))
                .m(format!("{} = (1/{n})·Σ {}", lines.dx_at, lines.dy_at))
                .t(" over the windows ")
                .m("(p,q)")
                .t(" that cover that entry"),
        );
        if first {
            doc.para(Rich::text(format!(
                "(each entry moves its window's mean by 1/{n} of what it moves itself, so each window's gradient is shared equally among its {n} entries; where windows overlap, the shares add up)"
            )));
        }
    }
}
