//! The derivation of a single layer: Given, the output size, each step's stages, the result
//! and the summary.

use crate::layer::{Kernel, Layer, Loss};
use crate::number::SIGNIFICANT_DIGITS;
use crate::render::exact;
use crate::scalar::Scalar;
use crate::trace::{Expr, Grid, Name, Operand, Section, Sym, Term, Trace};

use super::names::{name, scale_prefix};
use super::numbers::{approx_at, compared, is_value, loss_change, num, quoted, val};
use super::{Block, Doc, NonFinite, Origin, Rich};

pub(super) fn matrix<S: Scalar>(depth: usize, label: Rich, grid: &Grid<S>, approx: bool) -> Block {
    let (rows, cols) = grid.shape();
    let mut rounded = approx;
    let cells = (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| {
                    let (text, r) = num(grid.get(r, c));
                    rounded |= r;
                    text
                })
                .collect()
        })
        .collect();
    Block::Matrix { depth, label, cells, approx: rounded }
}

/// The matrix of the values of the equations that compute entries of kind `kind`, and
/// whether any of those equations is approximate.
pub(super) fn assembled<S: Scalar>(
    section: &Section<S>,
    shape: (usize, usize),
    kind: fn(usize, usize) -> Sym,
) -> (Grid<S>, bool) {
    let approx = section.select(|s| is(kind, s)).any(|eq| !exact::holds(eq));
    (values(section, shape, kind), approx)
}

/// The matrix of the values of the equations that compute entries of kind `kind`.
pub(super) fn values<S: Scalar>(
    section: &Section<S>,
    shape: (usize, usize),
    kind: fn(usize, usize) -> Sym,
) -> Grid<S> {
    let mut values = vec![S::ZERO; shape.0 * shape.1];
    for eq in section.select(|s| is(kind, s)) {
        if let Some((r, c)) = eq.lhs.index() {
            values[r * shape.1 + c] = eq.value;
        }
    }
    Grid::from_fn(shape.0, shape.1, |r, c| values[r * shape.1 + c])
}

/// Whether `sym` is an entry of the matrix whose entries `kind` names (`Sym::z`, `Sym::w`…).
pub(super) fn is(kind: fn(usize, usize) -> Sym, sym: Sym) -> bool {
    sym.index().is_some_and(|(r, c)| kind(r, c) == sym)
}

pub(super) fn pair(value: (usize, usize)) -> String {
    if value.0 == value.1 {
        value.0.to_string()
    } else {
        format!("({}, {}) (rows, columns)", value.0, value.1)
    }
}

pub(super) fn output_len(
    label: &str,
    input: usize,
    padding: usize,
    filter: usize,
    stride: usize,
    out: usize,
) -> String {
    let axis = cnn_bp_shape::Axis { input, kernel: filter, stride, padding, dilation: 1 };
    debug_assert_eq!(axis.output(), Some(out));
    axis.explain_undilated(label).expect("a validated layer: the filter fits")
}

/// `L = ½·Σ(y − t)²`.
pub(super) fn loss_formula(loss: Loss, n: usize) -> String {
    let scale = loss.scale(n);
    let prefix = if scale.is_one() { String::new() } else { format!("{}·", scale_prefix(scale)) };
    format!("L = {prefix}Σ(y − t)²")
}

/// `∂L/∂y = y − t`, or `∂L/∂y = 2·(y − t)`.
pub(super) fn loss_grad_formula(loss: Loss, n: usize) -> String {
    let scale = loss.grad_scale(n);
    if scale.is_one() {
        "∂L/∂y = y − t".to_owned()
    } else {
        format!("∂L/∂y = {}·(y − t)", scale_prefix(scale))
    }
}

pub(super) fn describe_kernel(kernel: Kernel) -> Rich {
    match kernel {
        Kernel::Correlation => Rich::default()
            .c("correlation")
            .t(" (")
            .m("z = X ⋆ W")
            .t(": ")
            .m("W")
            .t(" slides over ")
            .m("X")
            .t(" as given, not flipped)"),
        Kernel::Convolution => Rich::default()
            .c("convolution")
            .t(" (")
            .m("z = X ∗ W")
            .t(": ")
            .m("W")
            .t(" is rotated by 180° before it slides over ")
            .m("X")
            .t(")"),
    }
}

pub(super) fn index_formula(
    out_var: char,
    stride: usize,
    offset_sign: char,
    offset_var: char,
    constant: isize,
) -> String {
    use core::fmt::Write as _;
    let mut s = if stride == 1 { out_var.to_string() } else { format!("{stride}{out_var}") };
    let _ = write!(s, " {offset_sign} {offset_var}");
    match constant {
        0 => {}
        c if c > 0 => {
            let _ = write!(s, " + {c}");
        }
        c => {
            let _ = write!(s, " − {}", -c);
        }
    }
    s
}

#[allow(clippy::cast_possible_wrap)]
pub(super) fn forward_formula(layer: &Layer, filter: (usize, usize)) -> String {
    let (ph, pw) = (layer.padding.0 as isize, layer.padding.1 as isize);
    let row = index_formula('p', layer.stride.0, '+', 'i', -ph);
    let col = index_formula('q', layer.stride.1, '+', 'j', -pw);
    let w = match layer.kernel {
        Kernel::Correlation => "w[i,j]".to_owned(),
        Kernel::Convolution => format!("w[{} − i, {} − j]", filter.0 - 1, filter.1 - 1),
    };
    format!("x[{row}, {col}]·{w}")
}

#[allow(clippy::cast_possible_wrap)]
pub(super) fn gradient_formula(layer: &Layer, filter: (usize, usize)) -> String {
    let (ph, pw) = (layer.padding.0 as isize, layer.padding.1 as isize);
    let (row, col) = match layer.kernel {
        Kernel::Correlation => (
            index_formula('p', layer.stride.0, '+', 'i', -ph),
            index_formula('q', layer.stride.1, '+', 'j', -pw),
        ),
        Kernel::Convolution => (
            index_formula('p', layer.stride.0, '−', 'i', filter.0 as isize - 1 - ph),
            index_formula('q', layer.stride.1, '−', 'j', filter.1 as isize - 1 - pw),
        ),
    };
    format!("δ[p,q]·x[{row}, {col}]")
}

pub(super) fn loss_value<S: Copy>(section: &Section<S>) -> Option<S> {
    section.select(|s| s == Sym::loss()).next().map(|eq| eq.value)
}

pub(crate) fn delta_of(z: Sym) -> Sym {
    if z.name == Name::Z { z.renamed(Name::Delta) } else { z }
}

impl Doc {
    pub(super) fn given<S: Scalar>(
        &mut self,
        trace: &Trace<S>,
        first_non_finite: Option<&NonFinite>,
    ) {
        let g = &trace.given;
        let layer = &g.layer;
        let (h, w) = g.input.shape();
        let (kh, kw) = g.filter.shape();
        let (oh, ow) = g.target.shape();
        let plural = if g.steps == 1 { "" } else { "s" };
        let title = match trace.taken {
            taken if taken == g.steps => format!("{taken} step{plural} of gradient descent"),
            0 => format!(
                "no step of gradient descent ({} asked for; a given value is not finite)",
                g.steps
            ),
            taken if trace.outgrown.is_some() => format!(
                "{taken} of {} steps of gradient descent (then the fractions had grown too large)",
                g.steps
            ),
            taken => format!(
                "{taken} of {} steps of gradient descent (then a value stopped being finite)",
                g.steps
            ),
        };
        self.push(Block::Title(Rich::text(format!("Training one convolutional layer: {title}"))));
        self.push(Block::Section(Rich::text("Given")));
        let label = |name: &'static str, what: &str, (r, c): (usize, usize)| {
            Rich::math(name).t(format!(" ({what}, ")).m(format!("{r}×{c}")).t(")")
        };
        self.push(matrix(1, label("X", "input", (h, w)), &g.input, false));
        self.push(matrix(1, label("W", "filter", (kh, kw)), &g.filter, false));
        match g.bias {
            Some(b) => self.para(1, Rich::math("b").t(" (bias) ").m(is_value(b, true))),
            None => self.para(1, Rich::text("no bias term")),
        }
        self.push(matrix(1, label("t", "target", (oh, ow)), &g.target, false));
        self.para(1, Rich::math("η").t(" (learning rate) ").m(is_value(g.lr, true)));
        self.para(1, Rich::text("activation: ").and(layer.activation.describe()));
        let loss = layer.loss;
        self.para(
            1,
            Rich::text("loss: ")
                .c(loss.name())
                .t(", ")
                .m(loss_formula(loss, oh * ow))
                .t(", so ")
                .m(loss_grad_formula(loss, oh * ow)),
        );
        self.para(1, Rich::text("kernel: ").and(describe_kernel(layer.kernel)));
        self.para(
            1,
            Rich::text("stride: ").t(pair(layer.stride)).t(", padding: ").t(pair(layer.padding)),
        );
        self.unreachable_targets(trace);
        if let Some(bad) = first_non_finite.filter(|b| b.origin == Origin::Given) {
            let what = format!("{} = {}", name(bad.sym), bad.value);
            self.note(
                1,
                Rich::math(what).t(" is not a finite number, so no step can be computed."),
            );
        }

        self.push(Block::Section(
            Rich::text("Output size: ").m("⌊(input + 2·padding − filter)/stride⌋ + 1"),
        ));
        let lines = vec![
            Rich::math(output_len("OH", h, layer.padding.0, kh, layer.stride.0, oh)),
            Rich::math(output_len("OW", w, layer.padding.1, kw, layer.stride.1, ow)),
        ];
        self.push(Block::Para { depth: 1, lines });
        self.unused_input(trace);
    }

    pub(super) fn unreachable_targets<S: Scalar>(&mut self, trace: &Trace<S>) {
        let g = &trace.given;
        let Some(((low, high, closed_low), range)) = g.layer.activation.range() else {
            return;
        };
        let outside: Vec<String> = g
            .target
            .entries()
            .filter(|&(_, t)| {
                // A target that is not a finite number has a note of its own.
                let t = t.to_f64();
                t.is_finite() && (t < low || t > high || (!closed_low && t == low) || t == high)
            })
            .map(|((r, c), t)| quoted(Sym::t(r, c), t))
            .collect();
        if outside.is_empty() {
            return;
        }
        let text = Rich::math(outside.join(", "))
            .t(": ")
            .and(range)
            .t(", so ")
            .m("y")
            .t(" can never reach this target and ")
            .m("L")
            .t(" can never reach 0.");
        self.note(1, text);
    }

    /// Input rows and columns that no window covers, read off the final forward pass.
    pub(super) fn unused_input<S: Scalar>(&mut self, trace: &Trace<S>) {
        let (h, w) = trace.given.input.shape();
        let (mut rows, mut cols) = (vec![false; h], vec![false; w]);
        for eq in trace.after.select(|s| s.name == Name::Z) {
            if let Expr::Sum { terms, .. } = &eq.expr {
                for t in terms {
                    if let Term::Product(Operand { sym, .. }, _) = t
                        && sym.name == Name::X
                        && let Some((r, c)) = sym.index()
                    {
                        rows[r] = true;
                        cols[c] = true;
                    }
                }
            }
        }
        let unused = |used: &[bool]| -> Vec<String> {
            used.iter().enumerate().filter(|(_, u)| !**u).map(|(k, _)| k.to_string()).collect()
        };
        let (rows, cols) = (unused(&rows), unused(&cols));
        let mut parts = Vec::new();
        if !rows.is_empty() {
            parts.push(format!(
                "row{} {}",
                if rows.len() == 1 { "" } else { "s" },
                rows.join(", ")
            ));
        }
        if !cols.is_empty() {
            parts.push(format!(
                "column{} {}",
                if cols.len() == 1 { "" } else { "s" },
                cols.join(", ")
            ));
        }
        if !parts.is_empty() {
            let one = parts.len() == 1 && (rows.len() + cols.len()) == 1;
            let text = format!(
                "input {} never fall{} under the filter at this stride and padding, so {} neither ",
                parts.join(" and "),
                if one { "s" } else { "" },
                if one { "it affects" } else { "they affect" },
            );
            let text = Rich::text(text).m("z").t(" nor ").m("∂L/∂W").t(".");
            self.note(1, text);
        }
    }

    /// Steps `from` to `to − 1` (from 0), taken but not written out.
    pub(super) fn skipped(&mut self, from: usize, to: usize) {
        self.push(Block::Section(Rich::text(format!("Steps {} to {}", from + 1, to))));
        self.para(
            1,
            Rich::text(format!(
                "Not written out: each of these {} steps repeats the computation above with the parameters the step before left. The summary at the end gives the loss and the parameters of some of them.",
                to - from
            )),
        );
    }

    pub(super) fn step<S: Scalar>(
        &mut self,
        trace: &Trace<S>,
        k: usize,
        section: &Section<S>,
        first_non_finite: Option<&NonFinite>,
    ) {
        self.push(Block::Section(Rich::text(format!("Step {}", k + 1))));
        self.forward_sums(trace, section);
        self.activation_stage(trace, section);
        self.loss_stage(trace, k, section);
        self.backward_stage(trace, k == 0, section);
        self.gradient_stage(trace, section);
        self.update_stage(trace, section);
        if let Some(bad) = first_non_finite.filter(|b| b.origin == Origin::Step(k)) {
            let what = format!("{} = {}", name(bad.sym), bad.value);
            self.note(
                1,
                Rich::math(what).t(" is the first value that is not a finite number; everything computed from it is meaningless, so training stops after this step."),
            );
        }
    }

    pub(super) fn forward_sums<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
        let g = &trace.given;
        let op = match g.layer.kernel {
            Kernel::Correlation => "X ⋆ W",
            Kernel::Convolution => "X ∗ W",
        };
        let bias = if g.bias.is_some() { " + b" } else { "" };
        self.stage(Rich::text("Forward: ").m(format!("z = {op}{bias}")));
        let formula = forward_formula(&g.layer, g.filter.shape());
        let mut line = Rich::math(format!("z[p,q] = Σ {formula}{bias}"))
            .t(", over all filter entries ")
            .m("(i,j)");
        if g.layer.padding != (0, 0) {
            line = line.t(" (terms on zero padding are 0 and left out)");
        }
        self.para(2, line);
        self.entries(section, Sym::z, "z", g.target.shape());
    }

    pub(super) fn activation_stage<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
        let f = trace.given.layer.activation;
        // The identity, named, and no entries.
        if f.is_identity() {
            self.stage(Rich::text(format!("Activation: {}, ", f.name())).and(f.output_formula()));
            return;
        }
        self.stage(Rich::text("Activation: ").and(f.output_formula()));
        self.entries(section, Sym::y, "y", trace.given.target.shape());
    }

    pub(super) fn loss_stage<S: Scalar>(
        &mut self,
        trace: &Trace<S>,
        k: usize,
        section: &Section<S>,
    ) {
        let n = trace.given.target.shape();
        self.stage(Rich::text("Loss: ").m(loss_formula(trace.given.layer.loss, n.0 * n.1)));
        self.equations(section, |s| s == Sym::loss());
        let previous = trace.steps.iter().find(|s| k > 0 && s.step == Some(k - 1));
        if let Some(previous) = previous {
            self.rise_note(loss_value(previous), loss_value(section), k);
        }
    }

    pub(super) fn rise_note<S: Scalar>(
        &mut self,
        before: Option<S>,
        after: Option<S>,
        step: usize,
    ) {
        if let (Some(before), Some(after)) = (before, after)
            && after > before
        {
            let (before, after) = compared(before, after);
            self.note(
                2,
                Rich::text("the loss rose from ")
                    .m(before)
                    .t(" to ")
                    .m(after)
                    .t(format!(" with step {step}'s update: the step overshot ("))
                    .m("η")
                    .t(" may be too large)."),
            );
        }
    }

    /// ∂L/∂y, f′(z) and δ.
    pub(super) fn backward_stage<S: Scalar>(
        &mut self,
        trace: &Trace<S>,
        first: bool,
        section: &Section<S>,
    ) {
        let g = &trace.given;
        let shape = g.target.shape();
        self.stage(
            Rich::text("Gradient of the loss: ")
                .m(loss_grad_formula(g.layer.loss, shape.0 * shape.1)),
        );
        if first {
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
            self.push(Block::Para { depth: 2, lines });
        }
        self.equations(section, |s| is(Sym::dy, s));
        let f = g.layer.activation;
        if f.is_identity() {
            self.stage(
                Rich::text("Activation derivative: ")
                    .m("f′(z) = 1")
                    .t(format!(" everywhere ({}), so ", f.name()))
                    .m("δ = ∂L/∂y"),
            );
        } else {
            self.stage(Rich::text("Activation derivative ").m("f′(z)"));
            self.equations(section, |s| is(Sym::slope, s));
            for note in f.slope_notes(section) {
                self.note(2, note);
            }
        }
        self.stage(Rich::math("δ = ∂L/∂z = ∂L/∂y ⊙ f′(z)"));
        self.entries(section, Sym::delta, "δ", shape);
    }

    /// ∂L/∂W and ∂L/∂b.
    pub(super) fn gradient_stage<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
        let g = &trace.given;
        let layer = &g.layer;
        match layer.kernel {
            Kernel::Correlation => self.stage(
                Rich::text("Filter gradient: ")
                    .m("∂L/∂W = X ⋆ δ")
                    .t(", the input correlated with ")
                    .m("δ"),
            ),
            Kernel::Convolution => {
                self.stage(
                    Rich::text("Filter gradient: ")
                        .m("∂L/∂W = rot180(X ⋆ δ)")
                        .t(", the input correlated with ")
                        .m("δ")
                        .t(", then rotated by 180°"),
                );
                self.para(
                    2,
                    Rich::text("(the forward pass used ")
                        .m("W")
                        .t(" rotated, so ")
                        .m("w[i,j]")
                        .t(" met the inputs of kernel offset ")
                        .m("(KH−1−i, KW−1−j)")
                        .t(")"),
                );
            }
        }
        if layer.stride != (1, 1) {
            self.para(
                2,
                Rich::text(format!("(with stride {}, the entries of ", pair(layer.stride)))
                    .m("δ")
                    .t(format!(" are spread {} apart over the input)", pair(layer.stride))),
            );
        }
        self.para(
            2,
            Rich::math(format!("∂L/∂w[i,j] = Σ {}", gradient_formula(layer, g.filter.shape())))
                .t(", over all outputs ")
                .m("(p,q)"),
        );
        self.entries(section, Sym::grad_w, "∂L/∂W", g.filter.shape());
        if section.select(|s| s == Sym::grad_b()).next().is_some() {
            self.stage(Rich::text("Bias gradient: ").m("∂L/∂b = Σ δ"));
            self.equations(section, |s| s == Sym::grad_b());
        }
    }

    /// W ← W − η·∂L/∂W and b ← b − η·∂L/∂b.
    pub(super) fn update_stage<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
        let g = &trace.given;
        let bias = if g.bias.is_some() { ", b ← b − η·∂L/∂b" } else { "" };
        self.stage(Rich::text("Update: ").m(format!("W ← W − η·∂L/∂W{bias}")));
        self.entries(section, Sym::w, "W", g.filter.shape());
        self.equations(section, |s| s == Sym::b());
    }

    pub(super) fn result<S: Scalar>(
        &mut self,
        trace: &Trace<S>,
        first_non_finite: Option<&NonFinite>,
    ) {
        let g = &trace.given;
        let taken = trace.taken;
        let plural = if taken == 1 { "" } else { "s" };
        self.push(Block::Section(Rich::text(match taken {
            0 => "Result: no step taken".to_owned(),
            _ => format!("Result after {taken} step{plural}"),
        })));
        if let Some(digits) = trace.outgrown {
            self.note(1, outgrown_note(taken, g.steps, digits));
        } else if trace.stopped_early && taken > 0 {
            self.note(
                1,
                Rich::text(format!(
                    "training stopped after step {taken} of {} because a value stopped being finite (see that step).",
                    g.steps
                )),
            );
        }
        // Where a long run's loss first went up, which the steps written out may not show.
        if let Some(rise) = trace.first_rise
            && !trace.steps.iter().any(|s| s.step == Some(rise.step))
        {
            let (before, after) = compared(rise.before, rise.after);
            self.note(
                1,
                Rich::text(format!("the loss first rose at step {}, from ", rise.step + 1))
                    .m(before)
                    .t(" to ")
                    .m(after)
                    .t(format!(", after step {}'s update (", rise.step))
                    .m("η")
                    .t(" may be too large)."),
            );
        }
        self.para(1, Rich::text("A last forward pass, with the final parameters:"));
        self.forward_sums(trace, &trace.after);
        self.activation_stage(trace, &trace.after);
        let n = g.target.shape();
        self.stage(Rich::text("Loss: ").m(loss_formula(g.layer.loss, n.0 * n.1)));
        self.equations(&trace.after, |s| s == Sym::loss());
        self.after_not_finite(trace, first_non_finite);
        let last = final_params(trace);
        self.push(matrix(1, Rich::text("final ").m("W"), &last.filter, last.filter_approx));
        if let Some(b) = last.bias {
            // A value on its own, as in the summary's last row: `≈` where it is rounded.
            self.para(1, Rich::text("final ").m(format!("b {}", is_value(b, true))));
        }
        let before = trace.steps.first().and_then(loss_value);
        if let (Some(before), Some(after)) = (before, loss_value(&trace.after)) {
            self.para(1, loss_change(before, after));
            if taken > 0 {
                self.rise_note(trace.steps.last().and_then(loss_value), Some(after), taken);
            }
        }
        self.growth_note(trace.steps.iter().chain([&trace.after]));
        if taken > 1 {
            self.summary(trace);
        }
    }

    /// A note on the last forward pass when it holds a value that is not a finite number: the
    /// first one, if it appeared there, or else what carried it there.
    pub(super) fn after_not_finite<S: Scalar>(
        &mut self,
        trace: &Trace<S>,
        first: Option<&NonFinite>,
    ) {
        let Some(eq) = trace.after.equations.iter().find(|eq| !eq.value.is_finite()) else {
            return;
        };
        let what = quoted(eq.lhs, eq.value);
        let text = match first {
            Some(bad) if bad.origin == Origin::After => Rich::math(what).t(
                " is the first value that is not a finite number: the final parameters overflow the forward pass, so the final loss is meaningless.",
            ),
            Some(bad) => {
                let place = match bad.origin {
                    Origin::Given => "given".to_owned(),
                    Origin::Step(k) => format!("in step {}", k + 1),
                    Origin::After => String::new(),
                };
                Rich::math(what)
                    .t(" is not a finite number either (the first was ")
                    .m(format!("{} = {}", name(bad.sym), bad.value))
                    .t(format!(", {place}), so the final loss is meaningless."))
            }
            None => return,
        };
        self.note(1, text);
    }

    /// One row per step (or per sampled step of a long run): the loss and the parameters that
    /// step used; then the final row.
    pub(super) fn summary<S: Scalar>(&mut self, trace: &Trace<S>) {
        let g = &trace.given;
        let (kh, kw) = g.filter.shape();
        let mut header = vec![Rich::text("step"), Rich::math("L")];
        header.extend((0..kh * kw).map(|k| Rich::math(name(Sym::w(k / kw, k % kw)))));
        if g.bias.is_some() {
            header.push(Rich::math("b"));
        }
        // The loss and the parameters of each row, then of the final parameters.
        let mut values: Vec<Vec<Option<S>>> = trace
            .summary
            .iter()
            .map(|row| core::iter::once(row.loss).chain(row.params.iter().copied()).map(Some))
            .map(Iterator::collect)
            .collect();
        let Final { filter, bias, .. } = final_params(trace);
        let mut last = vec![loss_value(&trace.after)];
        last.extend(filter.entries().map(|(_, v)| Some(v)));
        last.extend(bias.map(Some));
        values.push(last);
        // A value that changed from one row to the next never prints as the one above it.
        let digits = |r: usize, c: usize| {
            let at = |r: usize| values.get(r).and_then(|row| row.get(c).copied().flatten());
            let differs = |other: Option<S>| {
                at(r)
                    .zip(other)
                    .map_or(SIGNIFICANT_DIGITS, |(a, b)| exact::distinguishing_digits(a, b))
            };
            differs(r.checked_sub(1).and_then(at)).max(differs(at(r + 1)))
        };
        let mut rows = Vec::with_capacity(values.len());
        for (r, row) in values.iter().enumerate() {
            let label = trace.summary.get(r).map_or_else(
                || Rich::text("final"),
                |summary| Rich::math((summary.step + 1).to_string()),
            );
            let cells = row.iter().enumerate().map(|(c, v)| {
                Rich::math(v.map(|v| approx_at(v, digits(r, c))).unwrap_or_default())
            });
            rows.push(core::iter::once(label).chain(cells).collect());
        }
        let mut caption = Rich::text("Summary: the loss and the parameters each step started from");
        if trace.summary.len() < trace.taken {
            caption = caption.t(format!(
                " (the first and last ten steps, and one step in every {})",
                trace.given.steps.div_ceil(20)
            ));
        }
        self.push(Block::Table { depth: 1, caption, header, rows });
    }
}

/// The filter and bias as they stand after the last update (or as given, with no step).
pub(super) struct Final<S> {
    filter: Grid<S>,
    /// Whether an update of the filter was approximate.
    filter_approx: bool,
    /// The bias, if the layer has one.
    bias: Option<S>,
}

pub(super) fn final_params<S: Scalar>(trace: &Trace<S>) -> Final<S> {
    let g = &trace.given;
    match trace.steps.last() {
        Some(last) => {
            let (filter, filter_approx) = assembled(last, g.filter.shape(), Sym::w);
            let bias = last.select(|s| s == Sym::b()).next().map(|eq| eq.value);
            Final { filter, filter_approx, bias }
        }
        None => Final { filter: g.filter.clone(), filter_approx: false, bias: g.bias },
    }
}

/// The first value, in the order of the derivation, that is not a finite number.
pub(super) fn first_non_finite<S: Scalar>(trace: &Trace<S>) -> Option<NonFinite> {
    let g = &trace.given;
    let bad = |(_, v): &(_, S)| !v.is_finite();
    let found = |origin, sym, value: S| Some(NonFinite { origin, sym, value: val(value) });
    let given =
        [(&g.input, Sym::x as fn(usize, usize) -> Sym), (&g.filter, Sym::w), (&g.target, Sym::t)]
            .into_iter()
            .find_map(|(grid, kind)| grid.entries().find(bad).map(|((r, c), v)| (kind(r, c), v)))
            .or_else(|| g.bias.filter(|b| !b.is_finite()).map(|b| (Sym::b(), b)));
    if let Some((sym, value)) = given {
        return found(Origin::Given, sym, value);
    }
    let sections = trace.steps.iter().map(|s| (Origin::Step(s.step.unwrap_or_default()), s));
    sections.chain([(Origin::After, &trace.after)]).find_map(|(origin, section)| {
        let eq = section.equations.iter().find(|eq| !eq.value.is_finite())?;
        found(origin, eq.lhs, eq.value)
    })
}

/// Why an exact run stopped early: its parameters' fractions grew past reading.
pub(super) fn outgrown_note(taken: usize, steps: usize, digits: usize) -> Rich {
    Rich::text(format!(
        "training stopped after step {taken} of {steps}: its update made a parameter a fraction of {digits} digits (numerator and denominator together), past the {} at which exact arithmetic stops. Every step adds digits, and where layers multiply their parameters it multiplies them, so the next steps would take far longer to compute than to read. Take fewer steps, or compute in f64 (remove `arithmetic: exact`).",
        crate::rational::MAX_FRACTION_DIGITS
    ))
}
