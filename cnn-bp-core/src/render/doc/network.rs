//! The derivation of a network: Given (the input, every layer with its parameters, the target
//! or the upstream gradient), every layer's output size, then for every step each layer's
//! forward pass, the loss, each layer's backward pass in reverse and every update, and the
//! result.
//!
//! What a layer's stages say is the op's own business: each op implements [`LayerDoc`] in its
//! file (`ops/conv.rs`, `ops/activation.rs`), writing through a [`NetDoc`]. This file only
//! lays the stages out in order and writes what belongs to no layer.

use core::fmt::Write as _;
use std::sync::Arc;

use super::names::{name, scale_prefix, write_name};
use super::numbers::{approx, compared, is_value, loss_change, num};
use super::single::loss_value;
use super::{Block, Doc, Form, Rich};
use crate::layer::Loss;
use crate::network::{NetMistake, Objective, Reduction};
use crate::ops::{At, gradient_of, softmax_cross_entropy};
use crate::scalar::Scalar;
use crate::trace::{Expr, GradientCheck, Name, NetRecipe, Section, Sym};

/// How a layer is written in a network's derivation: each op's file implements it.
pub trait LayerDoc<S: Scalar>: Send + Sync {
    /// Its name in headings: `conv`, `relu`.
    fn kind(&self) -> &'static str;
    /// What it is, for Given: `conv, 2 filters of 2×2 on 2 channels, …`.
    fn describe(&self) -> Rich;
    /// Its step in the chain of shapes: `conv 2×2`.
    fn chain_label(&self) -> String {
        self.kind().to_owned()
    }
    /// The shape of its output, as PyTorch writes it.
    fn output_shape(&self) -> Vec<usize>;
    /// What its output is called.
    fn output_name(&self) -> Name;
    /// How many parameters it trains.
    fn params_len(&self) -> usize {
        0
    }
    /// Its parameters' names, in order: `w[f,c,i,j]`, `b[f]` of its layer.
    fn param_sym(&self, layer: usize, k: usize) -> Sym {
        let _ = k;
        Sym::new(Name::W, layer, &[])
    }
    /// How its output's size follows from its input's.
    fn size(&self, doc: &NetDoc<S>, at: At) -> Rich;
    /// The rule of its kind's output sizes, for the heading of a network's sizes, and what it
    /// is the rule of: `("⌊(input − window)/stride⌋ + 1", "a pool")`.
    fn size_rule(&self) -> Option<(&'static str, &'static str)> {
        None
    }
    /// Its forward pass.
    fn forward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>);
    /// Its backward pass; `first` on the first step written out (the place for explanations
    /// said once). A layer making a learner's mistake writes the stage it gets wrong.
    fn backward(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>, first: bool);
    /// The learner's mistake it makes, if any (see [`Op::slipped`](crate::ops::Op::slipped)).
    fn slip(&self) -> Option<NetRecipe> {
        None
    }
    /// The stage of its backward pass that its mistake gets wrong, alone: what changes first.
    fn mistake(&self, doc: &mut NetDoc<S>, at: At, section: &Section<S>) {
        self.backward(doc, at, section, false);
    }
}

/// What a network's derivation is written from.
pub(crate) struct NetView<'a, S> {
    /// Every layer, in order.
    pub(crate) layers: &'a [Arc<dyn LayerDoc<S>>],
    /// The input, flat, and its shape.
    pub(crate) input: &'a [S],
    pub(crate) input_shape: &'a [usize],
    /// The parameters, flat: the start and the final ones.
    pub(crate) start: &'a [S],
    pub(crate) last: &'a [S],
    /// The target and loss, or the upstream gradient.
    pub(crate) objective: &'a Objective<S>,
    pub(crate) lr: Option<S>,
    /// The steps asked for, and every step's loss (those taken).
    pub(crate) steps: usize,
    pub(crate) losses: &'a [S],
    /// The steps written out, then the last forward pass.
    pub(crate) sections: &'a [Section<S>],
    pub(crate) after: &'a Section<S>,
    /// Every example (its input, flat, and its objective), and how the batch's loss is made
    /// of theirs: `None` for a run on one input, which is written as such.
    pub(crate) examples: &'a [(Vec<S>, Objective<S>)],
    pub(crate) reduction: Option<Reduction>,
    /// Every step's examples' losses, a step's one after another, and the final ones.
    pub(crate) example_losses: &'a [S],
    pub(crate) final_losses: &'a [S],
    /// Of a batch, the examples written out of every step written out, and of the final
    /// forward pass.
    pub(crate) example_sections: &'a [Vec<Section<S>>],
    pub(crate) after_examples: &'a [Section<S>],
    /// The finite-difference checks, if asked for.
    pub(crate) checks: &'a [GradientCheck<S>],
    /// The learner's mistakes, if asked for, and the recipes that concern no layer.
    pub(crate) mistakes: &'a [NetMistake<S>],
    pub(crate) skipped: &'a [NetRecipe],
    /// Whether training stopped after its last step taken, on a value it needs that is not
    /// a finite number.
    pub(crate) stopped: bool,
    /// The digits of the largest parameter, where an exact run stopped because its fractions
    /// grew past `MAX_FRACTION_DIGITS`.
    pub(crate) grown: Option<usize>,
}

/// The document being written, and what layers need to know to write their part.
pub struct NetDoc<S> {
    doc: Doc,
    /// Whether names show their layer (a network of more than one layer).
    layers: bool,
    marker: core::marker::PhantomData<S>,
}

impl<S: Scalar> NetDoc<S> {
    /// A quantity's name without indices, with its layer where names show it: `w⁽⁰⁾`, `x`.
    pub(crate) fn tensor(&self, name_of: Name, layer: usize) -> String {
        let mut out = String::new();
        let sym = Sym::new(name_of, layer, &[]).showing_layer(self.layers);
        write_name(&mut out, sym);
        out
    }

    /// A quantity's name with index letters: `z⁽⁰⁾[f,p,q]`.
    pub(crate) fn indexed(&self, name_of: Name, layer: usize, index: &str) -> String {
        let mut out = self.tensor(name_of, layer);
        if !index.is_empty() {
            out.push('[');
            out.push_str(index);
            out.push(']');
        }
        out
    }

    /// A stage's heading.
    pub(crate) fn stage(&mut self, heading: Rich) {
        self.doc.stage(heading);
    }

    /// A line of prose or a general formula, at the depth of a stage's equations.
    pub(crate) fn para(&mut self, line: Rich) {
        self.doc.para(2, line);
    }

    /// A remark about particular entries.
    pub(crate) fn note(&mut self, text: Rich) {
        self.doc.note(2, text);
    }

    /// The equations whose left-hand side `keep` accepts, in order, then the matrices of
    /// their values (one per channel or filter).
    pub(crate) fn entries(&mut self, section: &Section<S>, keep: impl Fn(Sym) -> bool + Copy) {
        let exact = self.doc.equations(section, keep);
        let values: Vec<(Sym, S)> = section.select(keep).map(|eq| (eq.lhs, eq.value)).collect();
        for block in matrices(2, &values, !exact) {
            self.doc.push(block);
        }
    }

    /// [`NetDoc::entries`], each entry whose sum has no terms said to be 0 for the reason
    /// `why` gives.
    pub(crate) fn entries_explained(
        &mut self,
        section: &Section<S>,
        keep: impl Fn(Sym) -> bool + Copy,
        why: &dyn Fn(&crate::trace::Equation<S>) -> Rich,
    ) {
        let exact = self.doc.equations_explained(section, keep, &|eq| Some(why(eq)));
        let values: Vec<(Sym, S)> = section.select(keep).map(|eq| (eq.lhs, eq.value)).collect();
        for block in matrices(2, &values, !exact) {
            self.doc.push(block);
        }
    }

    /// The equations `keep` accepts, without matrices (of single values).
    pub(crate) fn equations(&mut self, section: &Section<S>, keep: impl Fn(Sym) -> bool + Copy) {
        self.doc.equations(section, keep);
    }

    /// The matrices of the values of the equations `keep` accepts, without the equations:
    /// values copied, not computed.
    pub(crate) fn values_of(&mut self, section: &Section<S>, keep: impl Fn(Sym) -> bool + Copy) {
        let values: Vec<(Sym, S)> = section.select(keep).map(|eq| (eq.lhs, eq.value)).collect();
        for block in matrices(2, &values, false) {
            self.doc.push(block);
        }
    }

    /// The equations of every entry of `name_of` of `layer`, then its matrices.
    pub(crate) fn entries_of(&mut self, section: &Section<S>, name_of: Name, layer: usize) {
        self.entries(section, |s| s.name == name_of && usize::from(s.layer) == layer);
    }

    /// Given values, as matrices labelled `label`.
    pub(crate) fn given(&mut self, values: &[(Sym, S)]) {
        for block in matrices(2, values, false) {
            self.doc.push(block);
        }
    }

    /// The note on a gradient of a layer's input that is 0 everywhere, called `dx`.
    pub(crate) fn nothing_flows_back(&mut self, dx: &str, at: At) {
        let before = if at.layer == 0 {
            Rich::text(" everywhere: the network's input gets no gradient.")
        } else {
            Rich::text(format!(
                " everywhere: no gradient reaches layer {} or any layer before it, so their parameters get zero gradients in this step.",
                at.input_layer
            ))
        };
        self.note(Rich::math(format!("{dx} = 0")).and(before));
    }

    /// Whether every equation `keep` accepts has the value 0.
    pub(crate) fn all_zero(section: &Section<S>, keep: impl Fn(Sym) -> bool) -> bool {
        let mut any = false;
        for eq in section.select(keep) {
            any = true;
            if eq.value != S::ZERO {
                return false;
            }
        }
        any
    }
}

/// The matrices of tensors' entries: one per leading index (a channel, a filter and
/// channel), the last two indices its rows and columns; a vector is one row, a single value a
/// line of its own. Consecutive entries of the same name and rank make one tensor. `approx`
/// marks every matrix `≈`, as when its equations are approximate.
fn matrices<S: Scalar>(depth: usize, entries: &[(Sym, S)], approx: bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut k = 0;
    while k < entries.len() {
        let first = entries[k].0;
        let rank = first.indices().count();
        let lead = rank.saturating_sub(2);
        let key: Vec<usize> = first.indices().take(lead).collect();
        let same = |s: Sym| {
            s.name == first.name
                && s.layer == first.layer
                && s.indices().count() == rank
                && s.indices().take(lead).eq(key.iter().copied())
        };
        let start = k;
        k += 1;
        while k < entries.len() && rank > 0 && same(entries[k].0) {
            k += 1;
        }
        let group = &entries[start..k];
        if rank == 0 {
            let (text, rounded) = num(group[0].1);
            let sign = if approx || rounded { '≈' } else { '=' };
            let line = Rich::math(format!("{} {sign} {text}", name(first)));
            blocks.push(Block::Para { depth, lines: vec![line] });
            continue;
        }
        let at = |sym: Sym| -> (usize, usize) {
            let at: Vec<usize> = sym.indices().skip(lead).collect();
            if rank == 1 { (0, at[0]) } else { (at[0], at[1]) }
        };
        let (rows, cols) = group.iter().fold((0, 0), |(r, c), &(sym, _)| {
            let (i, j) = at(sym);
            (r.max(i + 1), c.max(j + 1))
        });
        let mut cells = vec![vec![String::new(); cols]; rows];
        let mut rounded = approx;
        for &(sym, value) in group {
            let (r, c) = at(sym);
            let (text, round) = num(value);
            rounded |= round;
            cells[r][c] = text;
        }
        // The label: the name, with the leading indices of this matrix.
        let label =
            Sym::new(first.name, usize::from(first.layer), &key).showing_layer(first.shows_layer());
        let mut label_text = String::new();
        write_name(&mut label_text, label);
        blocks.push(Block::Matrix { depth, label: Rich::math(label_text), cells, approx: rounded });
    }
    blocks
}

/// The shape `2×3×3`.
pub(crate) fn shape_text(shape: &[usize]) -> String {
    shape.iter().map(ToString::to_string).collect::<Vec<_>>().join("×")
}

/// Where each layer stands: its layer, and what its input is called.
fn places<S: Scalar>(layers: &[Arc<dyn LayerDoc<S>>]) -> Vec<At> {
    let mut at = At::FIRST;
    let mut out = Vec::with_capacity(layers.len());
    for (k, layer) in layers.iter().enumerate() {
        out.push(at);
        at = At { layer: k + 1, input: layer.output_name(), input_layer: k };
    }
    out
}

/// The document of a network's training run.
pub(crate) fn document<S: Scalar>(view: &NetView<S>, form: Form) -> Vec<Block> {
    let show = view.layers.len() > 1;
    let mut doc = NetDoc {
        doc: Doc { blocks: Vec::new(), form },
        layers: show,
        marker: core::marker::PhantomData,
    };
    let at = places(view.layers);
    doc.title(view);
    doc.given_section(view, &at);
    doc.sizes(view, &at);
    let mut next = 0;
    for (n, section) in view.sections.iter().enumerate() {
        let k = section.step.unwrap_or(next);
        if k > next {
            doc.skipped(next, k);
        }
        match view.example_sections.get(n) {
            Some(examples) if view.reduction.is_some() => {
                doc.batch_step(view, &at, (k, n == 0), examples, section);
            }
            _ => doc.step(view, &at, k, section, n == 0),
        }
        next = k + 1;
    }
    doc.result(view, &at);
    if !view.checks.is_empty() {
        let moved = if view.reduction.is_some() { "parameter" } else { "parameter or input entry" };
        doc.doc.checks_of(view.checks, moved);
    }
    if !view.mistakes.is_empty() || !view.skipped.is_empty() {
        doc.mistakes(view, &at);
    }
    doc.doc.blocks
}

impl<S: Scalar> NetDoc<S> {
    fn title(&mut self, view: &NetView<S>) {
        let n = view.layers.len();
        let layers = if n == 1 { "one layer".to_owned() } else { format!("{n} layers") };
        let taken = view.losses.len();
        let what = match view.lr {
            None => "one pass of backpropagation, no update (no learning rate)".to_owned(),
            Some(_) if taken == view.steps => {
                format!("{taken} step{} of gradient descent", if taken == 1 { "" } else { "s" })
            }
            Some(_) if view.grown.is_some() => format!(
                "{taken} of {} steps of gradient descent (then the fractions had grown too large)",
                view.steps
            ),
            Some(_) => format!(
                "{taken} of {} steps of gradient descent (then a value stopped being finite)",
                view.steps
            ),
        };
        let on = match view.reduction {
            Some(reduction) => format!(
                " on a batch of {} (the batch loss the {} of theirs)",
                count(view.examples.len(), "example"),
                reduction.name()
            ),
            None => String::new(),
        };
        self.doc
            .push(Block::Title(Rich::text(format!("Training a network of {layers}{on}: {what}"))));
    }

    /// The network's output, as written in the loss: `z⁽²⁾`.
    fn output<'v>(view: &'v NetView<S>) -> (Name, usize, &'v Arc<dyn LayerDoc<S>>) {
        let last = view.layers.len() - 1;
        (view.layers[last].output_name(), last, &view.layers[last])
    }

    fn given_section(&mut self, view: &NetView<S>, at: &[At]) {
        self.doc.push(Block::Section(Rich::text("Given")));
        let input = view.input_shape;
        if view.reduction.is_some() {
            self.examples_given(view);
        } else {
            self.doc.para(1, Rich::math("x").t(" (input, ").m(shape_text(input)).t(")"));
            let entries: Vec<(Sym, S)> =
                view.input.iter().enumerate().map(|(k, &v)| (input_sym(input, k), v)).collect();
            self.given(&entries);
        }
        let mut offset = 0;
        for (layer, (l, &place)) in view.layers.iter().zip(at).enumerate() {
            self.doc.para(1, Rich::text(format!("layer {layer}: ")).and(l.describe()));
            let params = &view.start[offset..offset + l.params_len()];
            let entries: Vec<(Sym, S)> = params
                .iter()
                .enumerate()
                .map(|(k, &v)| (l.param_sym(place.layer, k).showing_layer(self.layers), v))
                .collect();
            self.given(&entries);
            offset += l.params_len();
        }
        let (out_name, out_layer, out) = Self::output(view);
        let y = self.tensor(out_name, out_layer);
        let shape = shape_text(&out.output_shape());
        match view.objective {
            Objective::Loss { loss, target } => {
                if view.reduction.is_none() {
                    self.doc.para(1, Rich::math("t").t(" (target, ").m(shape.clone()).t(")"));
                    let entries = objective_entries(&out.output_shape(), target, Name::T);
                    self.given(&entries);
                }
                self.lr_line(view);
                let n = target.len();
                self.doc.para(
                    1,
                    Rich::text("loss: ")
                        .c(loss.name())
                        .t(", ")
                        .m(loss_text(*loss, n, &y))
                        .t(", so ")
                        .m(loss_grad_text(*loss, n, &y)),
                );
            }
            Objective::SoftmaxCrossEntropy { target } => {
                if view.reduction.is_none() {
                    self.doc.para(1, Rich::math("t").t(" (target probabilities, ").m(shape).t(")"));
                    let entries = objective_entries(&out.output_shape(), target, Name::T);
                    self.given(&entries);
                }
                self.lr_line(view);
                let targets: Vec<&[S]> = match view.reduction {
                    None => vec![target],
                    Some(_) => view
                        .examples
                        .iter()
                        .filter_map(|(_, o)| match o {
                            Objective::SoftmaxCrossEntropy { target } => Some(target.as_slice()),
                            _ => None,
                        })
                        .collect(),
                };
                let (line, note) =
                    softmax_cross_entropy::given(&y, &targets, view.reduction.is_some());
                self.doc.para(1, line);
                if let Some(note) = note {
                    self.doc.note(1, note);
                }
            }
            Objective::GradOutput(g) => {
                if view.reduction.is_none() {
                    self.doc.para(
                        1,
                        Rich::math("g").t(" (upstream gradient of the output, ").m(shape).t(")"),
                    );
                    let entries = objective_entries(&out.output_shape(), g, Name::Upstream);
                    self.given(&entries);
                }
                self.lr_line(view);
                self.doc.para(
                    1,
                    Rich::text("loss: ")
                        .m(format!("L = Σ g ⊙ {y}"))
                        .t(", whose gradient is the given ")
                        .m(format!("∂L/∂{y} = g"))
                        .t(" (as PyTorch's ")
                        .c("out.backward(g)")
                        .t(")"),
                );
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        if let Some(reduction) = view.reduction {
            self.doc.para(1, batch_line(reduction, view.examples.len()));
        }
    }

    /// Every example of a batch: its input, then its target or upstream gradient.
    fn examples_given(&mut self, view: &NetView<S>) {
        let input = view.input_shape;
        let out = Self::output(view).2.output_shape();
        for (n, (x, objective)) in view.examples.iter().enumerate() {
            self.doc.para(
                1,
                Rich::text(format!("example {}: ", n + 1))
                    .m("x")
                    .t(" (input, ")
                    .m(shape_text(input))
                    .t(")"),
            );
            let entries: Vec<(Sym, S)> =
                x.iter().enumerate().map(|(k, &v)| (input_sym(input, k), v)).collect();
            self.given(&entries);
            let (label, what, values) = match objective {
                Objective::Loss { target, .. } => ("t", "target", target),
                Objective::SoftmaxCrossEntropy { target } => ("t", "target probabilities", target),
                Objective::GradOutput(g) => ("g", "upstream gradient of the output", g),
            };
            self.doc.para(
                1,
                Rich::text(format!("example {}: ", n + 1))
                    .m(label)
                    .t(format!(" ({what}, "))
                    .m(shape_text(&out))
                    .t(")"),
            );
            let name_of = if label == "g" { Name::Upstream } else { Name::T };
            self.given(&objective_entries(&out, values, name_of));
        }
    }

    fn lr_line(&mut self, view: &NetView<S>) {
        match view.lr {
            Some(lr) => {
                self.doc.para(1, Rich::math("η").t(" (learning rate) ").m(is_value(lr, true)));
            }
            None => self.doc.para(
                1,
                Rich::text("no learning rate: one pass, its gradients computed, nothing updated"),
            ),
        }
    }

    fn sizes(&mut self, view: &NetView<S>, at: &[At]) {
        let mut rules: Vec<(&str, &str)> = Vec::new();
        for rule in view.layers.iter().filter_map(|l| l.size_rule()) {
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        let mut heading = Rich::text("Output sizes");
        match rules.as_slice() {
            [] => {}
            [(rule, "a conv")] => heading = heading.t(": ").m(*rule),
            _ => {
                for (k, (rule, of)) in rules.iter().enumerate() {
                    heading = heading
                        .t(if k == 0 { ": " } else { ", " })
                        .m(*rule)
                        .t(format!(" for {of}"));
                }
            }
        }
        self.doc.push(Block::Section(heading));
        for (layer, (l, &place)) in view.layers.iter().zip(at).enumerate() {
            let line = l.size(self, place);
            self.doc.para(1, Rich::text(format!("layer {layer} ({}): ", l.kind())).and(line));
        }
        let mut chain = format!("x {}", shape_text(view.input_shape));
        for l in view.layers {
            let _ = write!(chain, " → {} → {}", l.chain_label(), shape_text(&l.output_shape()));
        }
        self.doc.para(1, Rich::math(chain));
    }

    /// Steps `from` to `to − 1` (from 0), taken but not written out.
    fn skipped(&mut self, from: usize, to: usize) {
        self.doc.push(Block::Section(Rich::text(format!("Steps {} to {}", from + 1, to))));
        self.doc.para(
            1,
            Rich::text(format!(
                "Not written out: each of these {} steps repeats the computation above with the parameters the step before left. The summary at the end gives the loss of some of them.",
                to - from
            )),
        );
    }

    fn step(&mut self, view: &NetView<S>, at: &[At], k: usize, section: &Section<S>, first: bool) {
        self.doc.push(Block::Section(Rich::text(format!("Step {}", k + 1))));
        self.pass(view, at, k, section, first);
        if view.lr.is_some() {
            self.update_stage(view, at, section);
        }
        self.stop_note(view, k, section);
    }

    /// The note on a step's first value that is not a finite number.
    fn stop_note(&mut self, view: &NetView<S>, k: usize, section: &Section<S>) {
        let tail = if view.stopped && k + 1 == view.losses.len() {
            "everything computed from it is meaningless, so training stops after this step"
        } else {
            "the loss, the gradients, the output and the updated parameters are finite numbers, so training is not affected"
        };
        self.not_finite_note(section, tail);
    }

    /// A step of a batch: every example's pass written out, each under a heading of its own,
    /// then the batch's loss and gradient, then the update.
    fn batch_step(
        &mut self,
        view: &NetView<S>,
        at: &[At],
        (k, first): (usize, bool),
        examples: &[Section<S>],
        batch: &Section<S>,
    ) {
        let Some(reduction) = view.reduction else { return };
        let n = view.examples.len();
        self.doc.push(Block::Section(Rich::text(format!("Step {}", k + 1))));
        let then = if view.lr.is_some() { ", then one update" } else { "" };
        self.doc.para(
            1,
            Rich::text(format!(
                "Every example's forward and backward pass at the same parameters, then the batch's loss and gradient{then}."
            )),
        );
        if first {
            self.doc.para(
                1,
                Rich::text("In an example's pass, ")
                    .m("L")
                    .t(" is that example's loss ")
                    .m("Lₙ")
                    .t(" and ")
                    .m("∂L/∂")
                    .t(" is ")
                    .m("∂Lₙ/∂")
                    .t(": each example is backpropagated on its own, as if it were alone."),
            );
        }
        for (m, section) in examples.iter().enumerate() {
            self.doc.push(Block::Section(Rich::text(format!(
                "Step {}, example {} of {n}",
                k + 1,
                m + 1
            ))));
            self.pass(view, at, k, section, first && m == 0);
            self.stop_note(view, k, section);
        }
        if examples.len() < n {
            self.doc.para(
                1,
                Rich::text(format!(
                    "Examples {} to {n} are computed the same way and not written out; their losses and gradients enter the batch's equations below.",
                    examples.len() + 1
                )),
            );
        }
        self.doc.push(Block::Section(Rich::text(format!("Step {}, the batch", k + 1))));
        self.batch_loss_stage(reduction, n, batch);
        if k > 0 && view.lr.is_some() {
            self.doc.rise_note(view.losses.get(k - 1).copied(), loss_value(batch), k);
        }
        self.stage(
            Rich::text("Batch gradient: ")
                .m(batch_grad_formula(reduction, n))
                .t(", for every parameter ")
                .m("p"),
        );
        if first {
            self.doc.push(Block::Para { depth: 2, lines: where_one_over_n(reduction, n) });
        }
        for (l, &place) in view.layers.iter().zip(at) {
            if l.params_len() == 0 {
                continue;
            }
            for which in [Name::GradW, Name::GradB] {
                self.entries(batch, |s: Sym| {
                    s.name == which && usize::from(s.layer) == place.layer && s.example().is_none()
                });
            }
        }
        if view.lr.is_some() {
            self.update_stage(view, at, batch);
        }
        self.stop_note(view, k, batch);
    }

    /// The batch's loss, `L = (1/N)·(L₁ + … + L_N)`, with its numbers.
    fn batch_loss_stage(&mut self, reduction: Reduction, n: usize, batch: &Section<S>) {
        self.stage(
            Rich::text("Batch loss: ")
                .m(batch_loss_formula(reduction, n))
                .t(format!(", over the {}", count(n, "example"))),
        );
        self.doc.equations(batch, |s| s == Sym::loss());
    }

    /// An example's (or a run's) forward pass, loss, gradient of the loss and backward pass.
    fn pass(&mut self, view: &NetView<S>, at: &[At], k: usize, section: &Section<S>, first: bool) {
        for (l, &place) in view.layers.iter().zip(at) {
            l.forward(self, place, section);
        }
        if view.reduction.is_some() {
            // An example's loss: the batch's is compared with the step before's.
            self.loss_equations(view, section, first);
        } else {
            self.loss_stage(view, section, k);
        }
        let (out_name, out_layer, _) = Self::output(view);
        let y = self.tensor(out_name, out_layer);
        let dy = self.tensor(gradient_of(out_name), out_layer);
        let gradient = match view.objective {
            Objective::Loss { loss, target } => loss_grad_text(*loss, target.len(), &y),
            Objective::SoftmaxCrossEntropy { .. } => softmax_cross_entropy::grad_formula(&y),
            _ => format!("∂L/∂{y} = g"),
        };
        let written = if gradient_of(out_name) == Name::Delta {
            format!(", written {dy}")
        } else {
            String::new()
        };
        self.stage(Rich::text("Gradient of the loss: ").m(gradient).t(written));
        if first && matches!(view.objective, Objective::Loss { .. }) {
            let lines = vec![
                Rich::text("Sign: this is output minus target. The \"error\" ")
                    .m("e = t − y")
                    .t(" is its negative. Descent"),
                Rich::text("subtracts ")
                    .m("η·∂L/∂W")
                    .t(", built from ")
                    .m("y − t")
                    .t("; building it from ")
                    .m("t − y")
                    .t(" and still subtracting"),
                Rich::text("moves ").m("W").t(" uphill and increases the loss."),
            ];
            self.doc.push(Block::Para { depth: 2, lines });
        }
        if first && matches!(view.objective, Objective::SoftmaxCrossEntropy { .. }) {
            let lines = softmax_cross_entropy::why_lines(&y);
            self.doc.push(Block::Para { depth: 2, lines });
        }
        self.entries_of(section, gradient_of(out_name), out_layer);
        for (l, &place) in view.layers.iter().zip(at).rev() {
            l.backward(self, place, section, first);
        }
    }

    /// The loss of step `k` (from 0; the number of steps taken for the final forward pass),
    /// and a note if it rose with the update before it.
    fn loss_stage(&mut self, view: &NetView<S>, section: &Section<S>, k: usize) {
        self.loss_equations(view, section, k == 0);
        if k > 0 && view.lr.is_some() {
            let before = view.losses.get(k - 1).copied();
            self.doc.rise_note(before, loss_value(section), k);
        }
    }

    /// The loss's heading and equations; `first` where the loss is explained.
    fn loss_equations(&mut self, view: &NetView<S>, section: &Section<S>, first: bool) {
        let (out_name, out_layer, _) = Self::output(view);
        let y = self.tensor(out_name, out_layer);
        let formula = match view.objective {
            Objective::Loss { loss, target } => loss_text(*loss, target.len(), &y),
            Objective::SoftmaxCrossEntropy { .. } => softmax_cross_entropy::formula(&y),
            _ => format!("L = Σ g ⊙ {y}"),
        };
        self.stage(Rich::text("Loss: ").m(formula));
        if matches!(view.objective, Objective::SoftmaxCrossEntropy { .. }) {
            softmax_cross_entropy::loss_doc(self, section, first);
        } else {
            self.doc.equations(section, |s| s == Sym::loss());
        }
    }

    fn update_stage(&mut self, view: &NetView<S>, at: &[At], section: &Section<S>) {
        self.stage(Rich::text("Update: every parameter, ").m("p ← p − η·∂L/∂p"));
        for (l, &place) in view.layers.iter().zip(at) {
            if l.params_len() == 0 {
                continue;
            }
            for which in [Name::W, Name::B] {
                let keep = |s: Sym| s.name == which && usize::from(s.layer) == place.layer;
                let updates = |s: Sym| keep(s);
                if section.select(updates).any(|eq| matches!(eq.expr, Expr::Update { .. })) {
                    self.entries(section, updates);
                }
            }
        }
    }

    /// A note on the first value of a section that is not a finite number, ending with `tail`.
    fn not_finite_note(&mut self, section: &Section<S>, tail: &str) {
        if let Some(eq) = section.equations.iter().find(|eq| !eq.value.is_finite()) {
            let (text, _) = num(eq.value);
            self.doc.note(
                1,
                Rich::math(format!("{} = {text}", name(eq.lhs)))
                    .t(format!(" is the first value that is not a finite number; {tail}.")),
            );
        }
    }

    fn result(&mut self, view: &NetView<S>, at: &[At]) {
        let taken = view.losses.len();
        let heading = match view.lr {
            None => "Result: the gradients of one pass; nothing was updated".to_owned(),
            Some(_) => format!("Result after {taken} step{}", if taken == 1 { "" } else { "s" }),
        };
        self.doc.push(Block::Section(Rich::text(heading)));
        if view.lr.is_none() {
            return;
        }
        if let Some(digits) = view.grown {
            self.doc.note(1, super::single::outgrown_note(taken, view.steps, digits));
        }
        // Where the loss first went up, if the steps written out do not show it.
        let rise = (1..taken).find(|&k| view.losses[k] > view.losses[k - 1]);
        if let Some(k) = rise
            && !view.sections.iter().any(|s| s.step == Some(k))
        {
            let (before, after) = compared(view.losses[k - 1], view.losses[k]);
            self.doc.note(
                1,
                Rich::text(format!("the loss first rose at step {}, from ", k + 1))
                    .m(before)
                    .t(" to ")
                    .m(after)
                    .t(format!(", after step {k}'s update ("))
                    .m("η")
                    .t(" may be too large)."),
            );
        }
        if let Some(reduction) = view.reduction {
            let n = view.examples.len();
            self.doc.para(
                1,
                Rich::text("A last forward pass of every example, with the final parameters:"),
            );
            for (m, section) in view.after_examples.iter().enumerate() {
                self.doc.para(1, Rich::text(format!("example {} of {n}:", m + 1)));
                for (l, &place) in view.layers.iter().zip(at) {
                    l.forward(self, place, section);
                }
                self.loss_equations(view, section, false);
            }
            if view.after_examples.len() < n {
                self.doc.para(
                    1,
                    Rich::text(format!(
                        "Examples {} to {n}: computed the same way, not written out.",
                        view.after_examples.len() + 1
                    )),
                );
            }
            self.batch_loss_stage(reduction, n, view.after);
            self.doc.rise_note(view.losses.last().copied(), loss_value(view.after), taken);
        } else {
            self.doc.para(1, Rich::text("A last forward pass, with the final parameters:"));
            for (l, &place) in view.layers.iter().zip(at) {
                l.forward(self, place, view.after);
            }
            self.loss_stage(view, view.after, taken);
        }
        self.not_finite_note(
            view.after,
            "everything computed from it is meaningless, so the final loss is meaningless",
        );
        self.doc.para(1, Rich::text("final parameters:"));
        let mut offset = 0;
        for (l, &place) in view.layers.iter().zip(at) {
            let params = &view.last[offset..offset + l.params_len()];
            let entries: Vec<(Sym, S)> = params
                .iter()
                .enumerate()
                .map(|(k, &v)| (l.param_sym(place.layer, k).showing_layer(self.layers), v))
                .collect();
            self.given(&entries);
            offset += l.params_len();
        }
        let before = view.sections.first().and_then(loss_value);
        if let (Some(before), Some(after)) = (before, loss_value(view.after)) {
            self.doc.para(1, loss_change(before, after));
        }
        self.doc.growth_note(view.sections.iter().chain([view.after]));
        if taken > 1 || view.reduction.is_some() {
            self.summary(view);
        }
    }

    /// The loss of every step (or of a sample of a long run's), and the final loss.
    fn summary(&mut self, view: &NetView<S>) {
        let n = view.losses.len();
        let sampled =
            |k: usize| n <= 50 || k < 10 || k + 10 >= n || k.is_multiple_of(n.div_ceil(20));
        // Of a batch, every example's loss too, of the first `SUMMARY_EXAMPLES`.
        let examples = if view.reduction.is_some() { view.examples.len() } else { 0 };
        let columns = examples.min(SUMMARY_EXAMPLES);
        let of_examples = |losses: &[S]| -> Vec<Rich> {
            losses.iter().take(columns).map(|&l| Rich::math(approx(l))).collect()
        };
        let mut rows: Vec<Vec<Rich>> = view
            .losses
            .iter()
            .enumerate()
            .filter(|&(k, _)| sampled(k))
            .map(|(k, &l)| {
                let mut row = vec![Rich::math((k + 1).to_string()), Rich::math(approx(l))];
                if examples > 0 {
                    row.extend(of_examples(&view.example_losses[k * examples..][..examples]));
                }
                row
            })
            .collect();
        if let Some(after) = loss_value(view.after) {
            let mut row = vec![Rich::text("final"), Rich::math(approx(after))];
            if examples > 0 {
                row.extend(of_examples(view.final_losses));
            }
            rows.push(row);
        }
        let mut caption = Rich::text("Summary: the loss at the parameters each step started from");
        if examples > 0 {
            caption = caption.t(", the batch's and each example's");
            if columns < examples {
                caption = caption.t(format!(" (of the first {columns})"));
            }
        }
        if rows.len() <= n {
            caption = caption.t(format!(
                " (the first and last ten steps, and one step in every {})",
                n.div_ceil(20)
            ));
        }
        let mut header = vec![Rich::text("step"), Rich::math("L")];
        header.extend(
            (0..columns).map(|m| Rich::math(super::names::name(Sym::loss().of_example(m)))),
        );
        self.doc.push(Block::Table { depth: 1, caption, header, rows });
    }
}

/// The name of entry `k` of the network's input: `x[c,i,j]`, or `x[i,j]` of one channel.
fn input_sym(shape: &[usize], k: usize) -> Sym {
    shaped_sym(Name::X, 0, shape, k)
}

/// The name of entry `k` of a tensor of `shape`: a map's channel left out when it has one.
fn shaped_sym(name_of: Name, layer: usize, shape: &[usize], k: usize) -> Sym {
    match *shape {
        [1, h, w] => Sym::new(name_of, layer, &[k / w % h, k % w]),
        [_, h, w] => Sym::new(name_of, layer, &[k / (h * w), k / w % h, k % w]),
        _ => Sym::new(name_of, layer, &[k]),
    }
}

/// The target's or upstream gradient's entries, named.
fn objective_entries<S: Copy>(shape: &[usize], values: &[S], name_of: Name) -> Vec<(Sym, S)> {
    values.iter().enumerate().map(|(k, &v)| (shaped_sym(name_of, 0, shape, k), v)).collect()
}

/// `L = ½·Σ(z⁽²⁾ − t)²` for an output called `y`.
fn loss_text(loss: Loss, n: usize, y: &str) -> String {
    let scale = loss.scale(n);
    let prefix = if scale.is_one() { String::new() } else { format!("{}·", scale_prefix(scale)) };
    format!("L = {prefix}Σ({y} − t)²")
}

/// `∂L/∂z⁽²⁾ = z⁽²⁾ − t`, or with the loss's factor.
fn loss_grad_text(loss: Loss, n: usize, y: &str) -> String {
    let scale = loss.grad_scale(n);
    if scale.is_one() {
        format!("∂L/∂{y} = {y} − t")
    } else {
        format!("∂L/∂{y} = {}·({y} − t)", scale_prefix(scale))
    }
}

impl<S: Scalar> NetDoc<S> {
    /// The learner's wrong recipes on the first step's numbers, each with the loss it leads
    /// to, then the losses side by side.
    fn mistakes(&mut self, view: &NetView<S>, at: &[At]) {
        self.doc.push(Block::Section(Rich::text(
            "Common mistakes in the backward pass, applied to step 1's numbers",
        )));
        self.doc.para(
            1,
            Rich::text("Each recipe below gets one part of the backward pass wrong; everything else is as in step 1, from which its forward pass and loss are."),
        );
        for (k, m) in view.mistakes.iter().enumerate() {
            self.mistake(view, at, k + 1, m);
        }
        for &recipe in view.skipped {
            self.doc.note(
                1,
                Rich::text(format!(
                    "{} is not shown: {}.",
                    recipe_title(recipe),
                    not_concerned(recipe)
                )),
            );
        }
        if view.lr.is_none() || view.mistakes.is_empty() {
            return;
        }
        // The correct step's loss after its update: step 2's, or the final one after one step.
        let correct = view.losses.get(1).copied().or_else(|| loss_value(view.after));
        let mut rows: Vec<Vec<Rich>> = view
            .mistakes
            .iter()
            .map(|m| vec![Rich::text(recipe_title(m.recipe)), Rich::math(approx(m.loss_after))])
            .collect();
        if let Some(correct) = correct {
            rows.push(vec![Rich::text("the correct step"), Rich::math(approx(correct))]);
        }
        let caption = Rich::text("The loss after step 1's update, by recipe");
        let header = vec![Rich::text("recipe"), Rich::math("L")];
        self.doc.push(Block::Table { depth: 1, caption, header, rows });
    }

    fn mistake(&mut self, view: &NetView<S>, at: &[At], k: usize, m: &NetMistake<S>) {
        self.doc
            .push(Block::Section(Rich::text(format!("Mistake {k}: {}", recipe_title(m.recipe)))));
        self.doc.para(1, recipe_text(m.recipe));
        if let Some(reduction) = view.reduction {
            return self.batch_mistake(view, at, reduction, m);
        }
        // The layers that make the mistake write their backward pass with it; a wrong `∂L/∂x`
        // flows on through every layer before the last of them.
        let wrong = |l: usize| m.layers[l].slip().is_some();
        let flows = m.recipe != NetRecipe::MeanBias;
        if m.recipe == NetRecipe::FlippedSoftmaxGradient {
            // The loss's gradient is wrong: every layer's backward pass carries it.
            let (out_name, out_layer, _) = Self::output(view);
            let y = self.tensor(out_name, out_layer);
            self.stage(
                Rich::text("Gradient of the loss, the mistake: ")
                    .m(format!("∂L/∂{y} = t − p"))
                    .t(", in place of ")
                    .m("p − t"),
            );
            self.entries_of(&m.pass, gradient_of(out_name), out_layer);
            for (layer, &place) in m.layers.iter().zip(at).rev() {
                layer.backward(self, place, &m.pass, false);
            }
        } else {
            let top = (0..m.layers.len()).rev().find(|&l| wrong(l)).unwrap_or(0);
            for (l, (layer, &place)) in m.layers.iter().zip(at).enumerate().rev() {
                if l == top || (wrong(l) && !flows) {
                    layer.mistake(self, place, &m.pass);
                } else if flows && l < top {
                    layer.backward(self, place, &m.pass, false);
                }
            }
        }
        if view.lr.is_some() {
            self.update_stage(view, at, &m.pass);
            self.doc.para(1, Rich::text("A forward pass with these parameters:"));
            for (l, &place) in view.layers.iter().zip(at) {
                l.forward(self, place, &m.after);
            }
            self.loss_equations(view, &m.after, false);
        }
        self.not_finite_note(
            &m.pass,
            "everything computed from it is meaningless, so this recipe's results cannot be compared",
        );
    }
}

impl<S: Scalar> NetDoc<S> {
    /// A mistake of a batch: the stage the first example gets wrong (each example makes it),
    /// the batch's gradient made of the examples' gradients, the update and the batch's loss.
    fn batch_mistake(
        &mut self,
        view: &NetView<S>,
        at: &[At],
        reduction: Reduction,
        m: &NetMistake<S>,
    ) {
        let n = view.examples.len();
        if let Some(first) = m.examples.first()
            && m.recipe != NetRecipe::SummedBatchGradient
        {
            self.doc.para(1, Rich::text("Example 1's pass, the stage it gets wrong (every example makes the same mistake):"));
            for (layer, &place) in m.layers.iter().zip(at).rev() {
                if layer.slip().is_some() {
                    layer.mistake(self, place, first);
                }
            }
        }
        let written = if m.recipe == NetRecipe::SummedBatchGradient {
            Rich::text("Batch gradient, the mistake: ")
                .m(batch_grad_formula(Reduction::Sum, n))
                .t(", where the mean's ")
                .m(batch_grad_formula(reduction, n))
                .t(" belongs")
        } else {
            Rich::text("Batch gradient: ").m(batch_grad_formula(reduction, n))
        };
        self.stage(written);
        for (l, &place) in view.layers.iter().zip(at) {
            if l.params_len() == 0 {
                continue;
            }
            for which in [Name::GradW, Name::GradB] {
                self.entries(&m.pass, |s: Sym| {
                    s.name == which && usize::from(s.layer) == place.layer && s.example().is_none()
                });
            }
        }
        if view.lr.is_some() {
            self.update_stage(view, at, &m.pass);
            self.doc.para(1, Rich::text("The batch's loss with these parameters:"));
            self.batch_loss_stage(reduction, n, &m.after);
        }
        self.not_finite_note(
            &m.pass,
            "everything computed from it is meaningless, so this recipe's results cannot be compared",
        );
    }
}

/// A recipe's name, in its section's heading and in the table.
fn recipe_title(recipe: NetRecipe) -> &'static str {
    match recipe {
        NetRecipe::UnrotatedFilter => "∂L/∂x with the filter not rotated",
        NetRecipe::MeanBias => "the bias gradient averaged",
        NetRecipe::UnsummedFilters => "the filters' contributions to ∂L/∂x not summed",
        NetRecipe::SpreadMaxPool => "the max-pool gradient spread over the window",
        NetRecipe::FlippedSoftmaxGradient => "the softmax cross-entropy gradient taken as t − p",
        NetRecipe::UntransposedWeight => "the dense input gradient with W in place of Wᵀ",
        NetRecipe::SummedBatchGradient => "the batch gradient summed while the loss is the mean",
    }
}

/// What a recipe does.
fn recipe_text(recipe: NetRecipe) -> Rich {
    match recipe {
        NetRecipe::UnrotatedFilter => Rich::text("The gradient sent back to a layer's input slides the filter as it stands over the padded ")
            .m("δ")
            .t(", where the full convolution needs it rotated by 180°: each ")
            .m("δ")
            .t(" meets the filter entry at the mirrored place. Every layer before it then learns from a wrong gradient."),
        NetRecipe::MeanBias => Rich::text("The bias gradient is taken as the mean of the layer's ")
            .m("δ")
            .t(" where it is their sum: the bias is added at every position, so every position's ")
            .m("δ")
            .t(" counts in full. The bias moves too little."),
        NetRecipe::UnsummedFilters => Rich::text("In a layer with several filters, every filter sends a part of ")
            .m("∂L/∂x")
            .t(" back to each input channel, and the parts add up; here only the last filter's part is kept, as when a loop over the filters assigns ")
            .c("dx = part")
            .t(" where ")
            .c("dx += part")
            .t(" belongs."),
        NetRecipe::SpreadMaxPool => Rich::text("A max pool's gradient is shared out evenly over each window, as an average pool's is, where it belongs to the window's maximum alone: the entries that did not reach the output are credited with moving it."),
        NetRecipe::FlippedSoftmaxGradient => Rich::text("The gradient of the softmax cross-entropy is taken as ")
            .m("t − p")
            .t(" (target minus prediction, the \"error\") where it is ")
            .m("p − t")
            .t(", and the update still subtracts it: every parameter moves uphill."),
        NetRecipe::UntransposedWeight => Rich::text("A dense layer's input gradient multiplies ")
            .m("δ")
            .t(" by the weight ")
            .m("W")
            .t(" where its transpose ")
            .m("Wᵀ")
            .t(" belongs: input ")
            .m("i")
            .t(" should collect the gradients through column ")
            .m("i")
            .t(" of ")
            .m("W")
            .t(", the weights it feeds; a square weight lets the wrong product through without a shape error."),
        NetRecipe::SummedBatchGradient => Rich::text("The examples' gradients are added up where the batch's loss is their mean, so the 1/N of the mean is lost: every parameter moves N times as far as the mean's gradient takes it, as if ")
            .m("η")
            .t(" were N times larger. Each example's own gradient is right."),
    }
}

/// Why a recipe concerns no layer of a network.
fn not_concerned(recipe: NetRecipe) -> &'static str {
    match recipe {
        NetRecipe::UnrotatedFilter => {
            "no convolution after the first passes a gradient back to a layer before it"
        }
        NetRecipe::MeanBias => {
            "no convolution has a bias (or its output is a single entry, where mean and sum agree)"
        }
        NetRecipe::UnsummedFilters => "no convolution after the first has more than one filter",
        NetRecipe::SpreadMaxPool => {
            "no max pool after the first layer has a window of more than one entry"
        }
        NetRecipe::FlippedSoftmaxGradient => "the loss is not a softmax cross-entropy",
        NetRecipe::UntransposedWeight => {
            "no dense layer after the first has a square weight, where W and Wᵀ have the same shape"
        }
        NetRecipe::SummedBatchGradient => {
            "the batch loss is a sum (or the batch has one example), where the sum of the gradients is right"
        }
    }
}

/// The examples' losses a summary table gives, at most.
const SUMMARY_EXAMPLES: usize = 8;

/// `3 examples`, `1 example`.
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// `L = (1/3)·Σₙ Lₙ` of a batch of `n`.
fn batch_loss_formula(reduction: Reduction, n: usize) -> String {
    let prefix = scale_of(reduction, n);
    format!("L = {prefix}Σₙ Lₙ")
}

/// `∂L/∂p = (1/3)·Σₙ ∂Lₙ/∂p`.
fn batch_grad_formula(reduction: Reduction, n: usize) -> String {
    format!("∂L/∂p = {}Σₙ ∂Lₙ/∂p", scale_of(reduction, n))
}

/// `(1/3)·`, `½·`, or nothing.
fn scale_of(reduction: Reduction, n: usize) -> String {
    let scale = reduction.scale(n);
    if scale.is_one() { String::new() } else { format!("{}·", scale_prefix(scale)) }
}

/// Given: the batch and its reduction.
fn batch_line(reduction: Reduction, n: usize) -> Rich {
    let line = Rich::text(format!("batch: {}, reduction ", count(n, "example")))
        .c(reduction.name())
        .t(": the batch's loss is ")
        .m(batch_loss_formula(reduction, n))
        .t(", over the examples n = 1 to ")
        .m(n.to_string());
    match reduction {
        Reduction::Mean => line.t(", the mean of the examples' losses (PyTorch's default)"),
        Reduction::Sum => line.t(", the sum of the examples' losses"),
    }
}

/// Where the `1/N` of a mean enters, said once.
fn where_one_over_n(reduction: Reduction, n: usize) -> Vec<Rich> {
    match reduction {
        Reduction::Mean => vec![
            Rich::text(format!(
                "The 1/N (here 1/{n}) is the batch loss's: the gradient of a mean is the mean of"
            ))
            .t(" the gradients, so it enters here, once, for every parameter."),
            Rich::text(
                "Not again in the update (η stays η), and not inside an example: there a bias's",
            )
            .t(" gradient is the sum of its δ over every position, never their mean."),
            Rich::text(format!(
                "Summing the examples' gradients without the 1/N would step {n} times as far."
            )),
        ],
        Reduction::Sum => vec![
            Rich::text(
                "With the sum there is no 1/N: the batch's gradient is the sum of the examples',",
            )
            .t(format!(
                " {n} times their mean, so the same η steps {n} times as far as with the mean."
            )),
        ],
    }
}
