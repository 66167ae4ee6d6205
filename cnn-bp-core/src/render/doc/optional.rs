//! The optional sections: a finite-difference check of every step written out, and the
//! learner's common wrong recipes applied to the first step.

use crate::layer::Kernel;
use crate::scalar::Scalar;
use crate::trace::{Expr, GradientCheck, Mistake, Recipe, Section, Sym, Trace};

use super::names::{name, scale_prefix};
use super::numbers::{approx, is_value, quoted, val};
use super::single::{loss_formula, loss_value};
use super::{Block, Doc, Rich};

impl Doc {
    /// Backpropagation's gradient next to central differences, step by step.
    pub(super) fn checks<S: Scalar>(&mut self, trace: &Trace<S>) {
        self.checks_of(&trace.checks, "parameter");
    }

    /// The checks of `checks`; `moved` says what is nudged.
    pub(super) fn checks_of<S: Scalar>(&mut self, checks: &[GradientCheck<S>], moved: &str) {
        self.push(Block::Section(Rich::text("Check: finite differences")));
        self.para(
            1,
            Rich::text("Each gradient entry next to the central difference ")
                .m("(L(w + h) − L(w − h))/(2h)")
                .t(", with ")
                .m("L")
                .t(format!(" computed by the same forward pass at the nudged {moved}."))
                .t(if S::EXACT {
                    " In exact arithmetic this is no approximation: between kinks the loss is a quadratic function of each parameter (every layer is piecewise linear in it, and the loss squares), whose central difference is its derivative exactly, so every difference is 0 unless ±h crosses a kink."
                } else {
                    ""
                }),
        );
        let mut largest: Option<(S, Sym, usize)> = None;
        for check in checks {
            self.check(check, moved);
            for entry in check.entries.iter().filter(|e| e.kink.is_none() && compared_finite(e)) {
                if largest.is_none_or(|(d, ..)| entry.difference > d) {
                    largest = Some((entry.difference, entry.grad.sym, check.step));
                }
            }
        }
        match largest {
            Some((d, ..)) if S::EXACT && d == S::ZERO => self.para(
                1,
                Rich::text("Every compared entry agrees exactly: the largest difference is ")
                    .m("0")
                    .t("."),
            ),
            Some((d, sym, step)) => self.para(
                1,
                Rich::text("Largest difference: ")
                    .m(approx(d))
                    .t(", at ")
                    .m(name(sym))
                    .t(format!(" of step {}.", step + 1)),
            ),
            None => self.para(1, Rich::text("No entry could be compared.")),
        }
    }

    pub(super) fn check<S: Scalar>(&mut self, check: &GradientCheck<S>, moved: &str) {
        self.stage(
            Rich::text(format!("Step {}, ", check.step + 1))
                .m(format!("h {}", is_value(check.h, true))),
        );
        let header = vec![
            Rich::text("entry"),
            Rich::text("backpropagation"),
            Rich::text("central difference"),
            Rich::text("difference"),
        ];
        let rows = check
            .entries
            .iter()
            .map(|e| {
                let difference = if e.kink.is_some() || !compared_finite(e) {
                    Rich::text("not compared")
                } else {
                    Rich::math(approx(e.difference))
                };
                vec![
                    Rich::math(name(e.grad.sym)),
                    Rich::math(approx(e.grad.value)),
                    Rich::math(approx(e.central)),
                    difference,
                ]
            })
            .collect();
        self.push(Block::Table { depth: 2, caption: Rich::default(), header, rows });
        let kinked: Vec<_> =
            check.entries.iter().filter_map(|e| Some((e.grad.sym, e.kink?))).collect();
        for e in check.entries.iter().filter(|e| e.kink.is_none() && !compared_finite(e)) {
            let values = [
                ("backpropagation gives ", "", e.grad.value),
                ("", "L(w + h) = ", e.loss_plus),
                ("", "L(w − h) = ", e.loss_minus),
                ("the central difference is ", "", e.central),
            ];
            let mut text = Rich::math(name(e.grad.sym))
                .t(" is not compared, as these are not finite numbers: ");
            for (k, (words, formula, v)) in
                values.iter().filter(|(.., v)| !v.is_finite()).enumerate()
            {
                if k > 0 {
                    text = text.t(", ");
                }
                text = text.t(*words).m(format!("{formula}{}", val(*v)));
            }
            self.note(3, text.t("."));
        }
        if !kinked.is_empty() {
            for (sym, (z, f)) in kinked {
                self.note(
                    3,
                    Rich::math(name(sym))
                        .t(": ")
                        .m(quoted(z.sym, z.value))
                        .t(format!(" is within reach of {f} when the {moved} moves by "))
                        .m("±h")
                        .t(", so the central difference straddles the kink and is not compared."),
                );
            }
        }
    }

    /// The learner's recipes on the first step's numbers, each with the loss it leads to.
    pub(super) fn mistakes<S: Scalar>(&mut self, trace: &Trace<S>) {
        let g = &trace.given;
        self.push(Block::Section(Rich::text("Common mistakes, applied to step 1's numbers")));
        self.para(
            1,
            Rich::text("Each recipe below replaces one part of the correct step; everything else is as in step 1."),
        );
        for (k, mistake) in trace.mistakes.iter().enumerate() {
            self.mistake(trace, k + 1, mistake);
        }
        // The comparison: the correct update next to each recipe's.
        let (kh, kw) = g.filter.shape();
        let mut header = vec![Rich::text("update")];
        header.extend((0..kh * kw).map(|k| Rich::math(name(Sym::w(k / kw, k % kw)))));
        if g.bias.is_some() {
            header.push(Rich::math("b"));
        }
        header.push(Rich::text("loss after"));
        let params = |section: &Section<S>| -> Vec<Rich> {
            section
                .equations
                .iter()
                .filter(|eq| matches!(eq.expr, Expr::Update { .. }))
                .map(|eq| Rich::math(approx(eq.value)))
                .collect()
        };
        let mut rows = Vec::new();
        if let Some(first) = trace.steps.first() {
            let second = trace.steps.iter().find(|s| s.step == Some(1));
            let correct_after = second.map_or_else(|| loss_value(&trace.after), loss_value);
            let mut row = vec![Rich::text("correct (step 1)")];
            row.extend(params(first));
            row.push(Rich::math(correct_after.map(approx).unwrap_or_default()));
            rows.push(row);
        }
        for (k, mistake) in trace.mistakes.iter().enumerate() {
            let mut row =
                vec![Rich::text(format!("mistake {}: {}", k + 1, recipe_name(mistake.recipe)))];
            row.extend(params(&mistake.section));
            row.push(Rich::math(approx(mistake.loss_after)));
            rows.push(row);
        }
        self.push(Block::Section(Rich::text("Mistakes compared")));
        let caption = Rich::text("The parameters after one step, and the loss they give");
        self.push(Block::Table { depth: 1, caption, header, rows });
        self.comparison_not_finite(trace);
        let before = trace.steps.first().and_then(loss_value);
        let worse: Vec<String> = trace
            .mistakes
            .iter()
            .enumerate()
            .filter(|(_, m)| before.is_some_and(|b| m.loss_after > b))
            .map(|(k, _)| (k + 1).to_string())
            .collect();
        if let (Some(before), false) = (before, worse.is_empty()) {
            let which = match worse.as_slice() {
                [one] => format!("mistake {one} leaves"),
                [init @ .., last] => format!("mistakes {} and {last} leave", init.join(", ")),
                [] => String::new(),
            };
            self.note(
                1,
                Rich::text(format!("{which} the loss higher than the "))
                    .m(format!("L {}", is_value(before, true)))
                    .t(" it started from."),
            );
        }
    }

    /// A note on the rows of the comparison that hold a value that is not a finite number.
    pub(super) fn comparison_not_finite<S: Scalar>(&mut self, trace: &Trace<S>) {
        let not_finite = |section: &Section<S>, loss: Option<S>| {
            section
                .equations
                .iter()
                .filter(|eq| matches!(eq.expr, Expr::Update { .. }))
                .map(|eq| eq.value)
                .chain(loss)
                .any(|v| !v.is_finite())
        };
        let mut rows = Vec::new();
        if let Some(first) = trace.steps.first() {
            let second = trace.steps.iter().find(|s| s.step == Some(1));
            let after = second.map_or_else(|| loss_value(&trace.after), loss_value);
            if not_finite(first, after) {
                rows.push("the correct update (see step 1)".to_owned());
            }
        }
        for (k, m) in trace.mistakes.iter().enumerate() {
            if not_finite(&m.section, Some(m.loss_after)) {
                rows.push(format!("mistake {} (see its section)", k + 1));
            }
        }
        let text = match rows.as_slice() {
            [] => return,
            [one] => format!(
                "the row of {one} holds values that are not finite numbers: its loss is meaningless."
            ),
            [init @ .., last] => format!(
                "the rows of {} and {last} hold values that are not finite numbers: their losses are meaningless.",
                init.join(", ")
            ),
        };
        self.note(1, Rich::text(text));
    }

    pub(super) fn mistake<S: Scalar>(&mut self, trace: &Trace<S>, k: usize, mistake: &Mistake<S>) {
        let g = &trace.given;
        let layer = g.layer;
        let out = g.target.shape();
        let section = &mistake.section;
        let bias = g.bias.is_some();
        let name = recipe_name(mistake.recipe);
        match mistake.recipe {
            Recipe::SignFlip => {
                self.push(Block::Section(Rich::text(format!("Mistake {k}: {name}"))));
                self.para(
                    1,
                    Rich::text("The \"error\" ")
                        .m("e = t − y")
                        .t(" is sent back where ")
                        .m("∂L/∂y = y − t")
                        .t(" belongs, and the result is still subtracted."),
                );
                let scale = layer.loss.grad_scale(out.0 * out.1);
                let e = if scale.is_one() {
                    "e = t − y".to_owned()
                } else {
                    format!("e = {}·(t − y)", scale_prefix(scale))
                };
                self.stage(Rich::math(e));
                self.entries(section, Sym::error, "e", out);
                self.stage(Rich::math("δ̃ = e ⊙ f′(z)"));
                self.entries(section, Sym::signal, "δ̃", out);
                let g = match layer.kernel {
                    Kernel::Correlation => "g = X ⋆ δ̃",
                    Kernel::Convolution => "g = rot180(X ⋆ δ̃)",
                };
                self.stage(Rich::math(g).t(" in place of ").m("∂L/∂W"));
            }
            Recipe::NoActivationDerivative => {
                self.push(Block::Section(Rich::text(format!("Mistake {k}: {name}"))));
                self.para(
                    1,
                    Rich::math("∂L/∂y")
                        .t(" is sent back as it is, without multiplying by ")
                        .m("f′(z)")
                        .t(", so outputs the activation blocks still move the filter."),
                );
                let (g, right) = match layer.kernel {
                    Kernel::Correlation => ("g = X ⋆ ∂L/∂y", "∂L/∂W = X ⋆ (∂L/∂y ⊙ f′(z))"),
                    Kernel::Convolution => {
                        ("g = rot180(X ⋆ ∂L/∂y)", "∂L/∂W = rot180(X ⋆ (∂L/∂y ⊙ f′(z)))")
                    }
                };
                self.stage(Rich::math(g).t(" in place of ").m(right));
            }
            Recipe::FlippedKernel => {
                self.push(Block::Section(Rich::text(format!("Mistake {k}: {name}"))));
                let words = match layer.kernel {
                    Kernel::Correlation => Rich::text("The layer correlates, but the filter gradient is taken as a true convolution: ")
                        .m("g = rot180(X ⋆ δ)").t(" in place of ").m("∂L/∂W = X ⋆ δ"),
                    Kernel::Convolution => Rich::text("The layer convolves, but the filter gradient is taken without the rotation: ")
                        .m("g = X ⋆ δ").t(" in place of ").m("∂L/∂W = rot180(X ⋆ δ)"),
                };
                self.para(1, words.t("."));
                self.stage(Rich::math("g").t(", entry by entry"));
            }
        }
        self.entries(section, Sym::g, "g", g.filter.shape());
        if bias && section.select(|s| s == Sym::gb()).next().is_some() {
            self.stage(Rich::math("g_b").t(" in place of ").m("∂L/∂b"));
            self.equations(section, |s| s == Sym::gb());
        }
        let b = if bias { ", b ← b − η·g_b" } else { "" };
        let b = if bias && mistake.recipe == Recipe::FlippedKernel {
            ", b ← b − η·∂L/∂b"
        } else {
            b
        };
        self.stage(Rich::text("Update: ").m(format!("W ← W − η·g{b}")));
        self.entries(section, Sym::w, "W", g.filter.shape());
        self.equations(section, |s| s == Sym::b());
        self.para(1, Rich::text("A forward pass with these parameters:"));
        self.forward_sums(trace, section);
        self.activation_stage(trace, section);
        self.stage(Rich::text("Loss: ").m(loss_formula(layer.loss, out.0 * out.1)));
        self.equations(section, |s| s == Sym::loss());
        if let Some(eq) = section.equations.iter().find(|eq| !eq.value.is_finite()) {
            self.note(
                1,
                Rich::math(quoted(eq.lhs, eq.value)).t(
                    " is the first value of this recipe that is not a finite number: everything computed from it, the loss included, is meaningless.",
                ),
            );
        }
    }
}

/// Whether backpropagation and the central difference of an entry are numbers that can be
/// compared: neither they nor the losses the difference comes from are `∞` or `NaN`.
pub(super) fn compared_finite<S: Scalar>(e: &crate::trace::CheckedEntry<S>) -> bool {
    [e.grad.value, e.loss_plus, e.loss_minus, e.central, e.difference].iter().all(|v| v.is_finite())
}

/// A recipe's name, in its section's heading and in the comparison table.
pub(super) fn recipe_name(recipe: Recipe) -> &'static str {
    match recipe {
        Recipe::SignFlip => "the sign",
        Recipe::NoActivationDerivative => "no activation derivative",
        Recipe::FlippedKernel => "the filter gradient flipped",
    }
}
