//! Flattening a map into a vector, as PyTorch's `nn.Flatten` on one example: `[C, H, W]` to
//! `C·H·W` entries in row-major order, `v[k] = x[c,i,j]` with `k = c·H·W + i·W + j`. Nothing
//! is computed: the backward pass folds the vector's gradient back into the map's shape.

use std::sync::Arc;

use super::{At, Op, Tensor, gradient_of};
use crate::layer::Scale;
use crate::render::doc::Rich;
use crate::render::{LayerDoc, NetDoc};
use crate::scalar::Scalar;
use crate::trace::{Name, Operand, Recorder, Section, Sym, Term};

/// A `C×H×W` map as a vector of `N = C·H·W` entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten<const C: usize, const H: usize, const W: usize, const N: usize>;

impl<const C: usize, const H: usize, const W: usize, const N: usize> Flatten<C, H, W, N> {
    /// The backstop behind the macro's own errors.
    const SHAPES_FIT: () = assert!(N == C * H * W && N > 0, "N = C·H·W");
}

impl<S: Scalar, const C: usize, const H: usize, const W: usize, const N: usize> Op<S>
    for Flatten<C, H, W, N>
{
    type In = [[[S; W]; H]; C];
    type Out = [S; N];

    fn output_name(&self) -> Name {
        Name::V
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
        for (k, (v, &xv)) in y.iter_mut().zip(x.flat()).enumerate() {
            rec.term(Term::Single(Operand::new(at.input_sym::<S, Self::In>(k), xv)));
            rec.sum(Sym::new(Name::V, at.layer, &[k]), Scale::ONE, xv);
            *v = xv;
        }
    }

    #[allow(clippy::inline_always)] // as the other ops' passes: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn backward<R: Recorder<S>>(
        &self,
        at: At,
        _: &[S],
        _: &Self::In,
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
        let dx_name = gradient_of(at.input);
        for (k, (d, &g)) in dx.flat_mut().iter_mut().zip(dy.iter()).enumerate() {
            rec.term(Term::Single(Operand::new(Sym::new(Name::Dv, at.layer, &[k]), g)));
            rec.sum(<Self::In as Tensor<S>>::sym(dx_name, at.input_layer, k), Scale::ONE, g);
            *d = g;
        }
    }

    fn describe(&self, out: &mut Vec<Arc<dyn LayerDoc<S>>>) {
        out.push(Arc::new(*self));
    }
}

impl<const C: usize, const H: usize, const W: usize, const N: usize> Flatten<C, H, W, N> {
    /// `k = c·9 + i·3 + j`, in the map's own numbers.
    fn index_map() -> String {
        match (C, H, W) {
            (1, 1, _) => "k = j".to_owned(),
            (1, _, 1) => "k = i".to_owned(),
            (1, _, _) => format!("k = i·{W} + j"),
            _ => format!("k = c·{} + i·{W} + j", H * W),
        }
    }

    /// `x[c,i,j]`, `x[i,j]` of one channel.
    fn entry<S: Scalar>(doc: &NetDoc<S>, at: At) -> (String, String) {
        let index = if C == 1 { "i,j" } else { "c,i,j" };
        (
            doc.indexed(at.input, at.input_layer, index),
            doc.indexed(gradient_of(at.input), at.input_layer, index),
        )
    }
}

impl<S: Scalar, const C: usize, const H: usize, const W: usize, const N: usize> LayerDoc<S>
    for Flatten<C, H, W, N>
{
    fn kind(&self) -> &'static str {
        "flatten"
    }

    fn describe(&self) -> Rich {
        Rich::default().c("flatten").t(format!(
            ", the {C}×{H}×{W} map as a vector of {N} entries in row-major order (channel, then row, then column), as PyTorch's "
        )).c("nn.Flatten")
    }

    fn output_shape(&self) -> Vec<usize> {
        vec![N]
    }

    fn output_name(&self) -> Name {
        Name::V
    }

    fn size(&self, _: &NetDoc<S>, _: At) -> Rich {
        Rich::math(format!("N = {C}·{H}·{W} = {N}"))
    }

    fn forward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        let v = doc.tensor(Name::V, at.layer);
        let (x, _) = Self::entry(doc, at);
        doc.stage(
            Rich::text(format!("Layer {}, forward: ", at.layer))
                .m(format!("{v}[k] = {x}"))
                .t(", ")
                .m(Self::index_map())
                .t(": the entries as they are, laid out in one row"),
        );
        doc.values_of(section, |s| s.name == Name::V && usize::from(s.layer) == at.layer);
    }

    fn backward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>, _: bool) {
        let dx_name = gradient_of(at.input);
        let keep = |s: Sym| s.name == dx_name && usize::from(s.layer) == at.input_layer;
        if section.select(keep).next().is_none() {
            return;
        }
        let dv = doc.tensor(Name::Dv, at.layer);
        let (_, dx) = Self::entry(doc, at);
        doc.stage(
            Rich::text(format!("Layer {}, backward: ", at.layer))
                .m(format!("{dx} = {dv}[k]"))
                .t(", ")
                .m(Self::index_map())
                .t(format!(": the vector's gradient folded back into the {C}×{H}×{W} map")),
        );
        doc.values_of(section, keep);
        if NetDoc::<S>::all_zero(section, keep) {
            doc.nothing_flows_back(&doc.tensor(dx_name, at.input_layer), at);
        }
    }
}
