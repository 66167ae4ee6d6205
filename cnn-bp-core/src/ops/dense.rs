//! A fully connected layer, as PyTorch's `nn.Linear`: `z = W·x + b` with the weight `[O][I]`
//! (one row per output) and an optional bias `[O]`, from a vector of `I` entries to one of
//! `O`.
//!
//! ```text
//! z[o] = Σ_i w[o,i]·x[i] + b[o]
//! ∂L/∂w[o,i] = δ[o]·x[i]      ∂L/∂b[o] = δ[o]      ∂L/∂x[i] = Σ_o w[o,i]·δ[o]   (Wᵀδ)
//! ```

// Index loops on purpose: the indices are what the recorded equations name.
#![allow(clippy::needless_range_loop)]

use std::sync::Arc;

use super::{At, Named, Op, Tensor, gradient_of};
use crate::layer::Scale;
use crate::render::doc::Rich;
use crate::render::{LayerDoc, NetDoc};
use crate::scalar::Scalar;
use crate::trace::{Name, NetRecipe, Operand, Recorder, Section, Sym, Term};

/// A dense layer from `I` inputs to `O` outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dense<const I: usize, const O: usize> {
    /// Whether it has a bias, one per output.
    pub bias: bool,
    /// Whether its backward pass makes the learner's mistake of `W` in place of `Wᵀ`.
    untransposed: bool,
}

impl<const I: usize, const O: usize> Dense<I, O> {
    /// The layer, with or without a bias.
    pub const fn new(bias: bool) -> Self {
        Self { bias, untransposed: false }
    }

    /// The entries of its weight: `O·I`.
    pub const WEIGHTS: usize = O * I;

    const SHAPES_FIT: () = assert!(I > 0 && O > 0, "no empty shape");

    fn weight(name: Name, layer: usize, o: usize, i: usize) -> Sym {
        Sym::new(name, layer, &[o, i])
    }
}

impl<S: Scalar, const I: usize, const O: usize> Op<S> for Dense<I, O> {
    type In = [S; I];
    type Out = [S; O];

    fn output_name(&self) -> Name {
        Name::Z
    }

    fn params_len(&self) -> usize {
        Self::WEIGHTS + if self.bias { O } else { 0 }
    }

    #[allow(clippy::inline_always)] // as the other ops' passes: BENCHMARKS.md, part 6
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
        let (weight, bias) = params.split_at(Self::WEIGHTS);
        let (rows, _) = weight.as_chunks::<I>();
        for o in 0..O {
            let mut acc = S::ZERO;
            for i in 0..I {
                let (wv, xv) = (rows[o][i], x[i]);
                rec.term(Term::Product(
                    Operand::new(Self::weight(Name::W, at.layer, o, i), wv),
                    Operand::new(at.input_sym::<S, Self::In>(i), xv),
                ));
                acc = acc + wv * xv;
            }
            if self.bias {
                acc = acc + bias[o];
                rec.term(Term::Single(Operand::new(Sym::new(Name::B, at.layer, &[o]), bias[o])));
            }
            rec.sum(Sym::new(Name::Z, at.layer, &[o]), Scale::ONE, acc);
            y[o] = acc;
        }
    }

    #[allow(clippy::inline_always)] // as the other ops' passes: BENCHMARKS.md, part 6
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
        let delta = |o: usize| Operand::new(Sym::new(Name::Delta, at.layer, &[o]), dy[o]);
        let (grad_w, grad_b) = grads.split_at_mut(Self::WEIGHTS);
        for o in 0..O {
            for i in 0..I {
                let xo = Operand::new(at.input_sym::<S, Self::In>(i), x[i]);
                rec.term(Term::Product(delta(o), xo));
                let value = dy[o] * x[i];
                rec.sum(Self::weight(Name::GradW, at.layer, o, i), Scale::ONE, value);
                grad_w[o * I + i] = value;
            }
        }
        if self.bias {
            for o in 0..O {
                rec.term(Term::Single(delta(o)));
                rec.sum(Sym::new(Name::GradB, at.layer, &[o]), Scale::ONE, dy[o]);
                grad_b[o] = dy[o];
            }
        }
        let Some(dx) = dx else {
            return;
        };
        let (rows, _) = params[..Self::WEIGHTS].as_chunks::<I>();
        let dx_name = gradient_of(at.input);
        for i in 0..I {
            let mut acc = S::ZERO;
            for o in 0..O {
                // The mistake reads `w[i,o]`, which exists only for a square weight.
                let (r, c) = if self.untransposed { (i, o) } else { (o, i) };
                let wv = rows[r][c];
                rec.term(Term::Product(
                    Operand::new(Self::weight(Name::W, at.layer, r, c), wv),
                    delta(o),
                ));
                acc = acc + wv * dy[o];
            }
            rec.sum(<Self::In as Tensor<S>>::sym(dx_name, at.input_layer, i), Scale::ONE, acc);
            dx[i] = acc;
        }
    }

    fn slipped(&self, at: At, recipe: NetRecipe) -> Option<Self> {
        let concerns = recipe == NetRecipe::UntransposedWeight && at.layer > 0 && I == O && I > 1;
        concerns.then_some(Self { untransposed: true, ..*self })
    }

    fn named(&self, layer: usize, params: &[S], out: &mut Vec<Named<S>>) {
        let (weight, bias) = params.split_at(Self::WEIGHTS);
        out.push((format!("{layer}.weight"), vec![O, I], weight.to_vec()));
        if self.bias {
            out.push((format!("{layer}.bias"), vec![O], bias.to_vec()));
        }
    }

    fn describe(&self, out: &mut Vec<Arc<dyn LayerDoc<S>>>) {
        out.push(Arc::new(*self));
    }

    fn param_sym(&self, layer: usize, k: usize) -> Sym {
        if k < Self::WEIGHTS {
            Self::weight(Name::W, layer, k / I, k % I)
        } else {
            Sym::new(Name::B, layer, &[k - Self::WEIGHTS])
        }
    }
}

impl<const I: usize, const O: usize> Dense<I, O> {
    /// The backward pass's `∂L/∂x`, when it was computed.
    fn input_grad_doc<S: Scalar>(self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        let dx_name = gradient_of(at.input);
        let keep = |s: Sym| s.name == dx_name && usize::from(s.layer) == at.input_layer;
        if section.select(keep).next().is_none() {
            return;
        }
        let (w, delta) = (doc.tensor(Name::W, at.layer), doc.tensor(Name::Delta, at.layer));
        let dx = doc.tensor(dx_name, at.input_layer);
        let heading = Rich::text(format!("Layer {}, input gradient", at.layer));
        if self.untransposed {
            doc.stage(
                heading
                    .t(", the mistake: ")
                    .m(format!("{dx} = {w}·{delta}"))
                    .t(", the weight as it stands, in place of its transpose ")
                    .m(format!("{w}ᵀ·{delta}"))
                    .t(format!(
                        " (the shapes allow it only because the weight is square, {O}×{I}): each input gets the gradients through the weights of another"
                    )),
            );
            doc.para(Rich::math(format!(
                "{} = Σ_o {}·{}",
                doc.indexed(dx_name, at.input_layer, "i"),
                doc.indexed(Name::W, at.layer, "i,o"),
                doc.indexed(Name::Delta, at.layer, "o")
            )));
        } else {
            doc.stage(
                heading
                    .t(": ")
                    .m(format!("{dx} = {w}ᵀ·{delta}"))
                    .t(", every output's gradient sent back through the weights that connect it to each input"),
            );
            doc.para(Rich::math(format!(
                "{} = Σ_o {}·{}",
                doc.indexed(dx_name, at.input_layer, "i"),
                doc.indexed(Name::W, at.layer, "o,i"),
                doc.indexed(Name::Delta, at.layer, "o")
            )));
        }
        doc.entries(section, keep);
        if NetDoc::<S>::all_zero(section, keep) {
            doc.nothing_flows_back(&dx, at);
        }
    }
}

impl<S: Scalar, const I: usize, const O: usize> LayerDoc<S> for Dense<I, O> {
    fn kind(&self) -> &'static str {
        "dense"
    }

    fn describe(&self) -> Rich {
        Rich::default()
            .c("dense")
            .t(format!(
                ", {I} input{} to {O} output{}, weight {O}×{I} (one row per output), {}, as PyTorch's ",
                if I == 1 { "" } else { "s" },
                if O == 1 { "" } else { "s" },
                if self.bias { "with a bias per output" } else { "no bias" }
            ))
            .c("nn.Linear")
    }

    fn chain_label(&self) -> String {
        format!("dense {I}→{O}")
    }

    fn output_shape(&self) -> Vec<usize> {
        vec![O]
    }

    fn output_name(&self) -> Name {
        Name::Z
    }

    fn params_len(&self) -> usize {
        Self::WEIGHTS + if self.bias { O } else { 0 }
    }

    fn param_sym(&self, layer: usize, k: usize) -> Sym {
        Op::<S>::param_sym(self, layer, k)
    }

    fn size(&self, _: &NetDoc<S>, _: At) -> Rich {
        Rich::math(format!("{O}×{I} weight: {I} → {O}"))
    }

    fn forward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        let (z, w, x) = (
            doc.tensor(Name::Z, at.layer),
            doc.tensor(Name::W, at.layer),
            doc.tensor(at.input, at.input_layer),
        );
        let bias =
            if self.bias { format!(" + {}", doc.tensor(Name::B, at.layer)) } else { String::new() };
        doc.stage(
            Rich::text(format!("Layer {}, forward: ", at.layer)).m(format!("{z} = {w}·{x}{bias}")),
        );
        let bias = if self.bias {
            format!(" + {}", doc.indexed(Name::B, at.layer, "o"))
        } else {
            String::new()
        };
        doc.para(
            Rich::math(format!(
                "{} = Σ_i {}·{}{bias}",
                doc.indexed(Name::Z, at.layer, "o"),
                doc.indexed(Name::W, at.layer, "o,i"),
                doc.indexed(at.input, at.input_layer, "i"),
            ))
            .t(", row ")
            .m("o")
            .t(" of the weight against the input"),
        );
        doc.entries_of(section, Name::Z, at.layer);
    }

    fn backward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>, _: bool) {
        let (x, w, delta) = (
            doc.tensor(at.input, at.input_layer),
            doc.tensor(Name::W, at.layer),
            doc.tensor(Name::Delta, at.layer),
        );
        doc.stage(
            Rich::text(format!("Layer {}, weight gradient: ", at.layer))
                .m(format!("∂L/∂{w} = {delta}·{x}ᵀ"))
                .t(", the outer product of the output's gradient and the input"),
        );
        doc.para(Rich::math(format!(
            "∂L/∂{} = {}·{}",
            doc.indexed(Name::W, at.layer, "o,i"),
            doc.indexed(Name::Delta, at.layer, "o"),
            doc.indexed(at.input, at.input_layer, "i"),
        )));
        doc.entries_of(section, Name::GradW, at.layer);
        if self.bias {
            doc.stage(Rich::text(format!("Layer {}, bias gradient: ", at.layer)).m(format!(
                "∂L/∂{} = {}",
                doc.indexed(Name::B, at.layer, "o"),
                doc.indexed(Name::Delta, at.layer, "o")
            )));
            doc.entries_of(section, Name::GradB, at.layer);
        }
        self.input_grad_doc(doc, at, section);
    }

    fn slip(&self) -> Option<NetRecipe> {
        self.untransposed.then_some(NetRecipe::UntransposedWeight)
    }

    fn mistake(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        self.input_grad_doc(doc, at, section);
    }
}
