//! The plain-text derivation: what `Display` prints and snapshots hold.

use core::fmt::Write as _;

use super::exact;
use crate::layer::{Activation, Kernel, Layer, Loss, Scale, SlopeCase};
use crate::scalar::Scalar;
use crate::trace::{Equation, Expr, Grid, Operand, Section, Sym, Term, Trace};

/// Renders a whole trace.
pub(crate) fn text<S: Scalar>(trace: &Trace<S>) -> String {
    let mut out = Out::default();
    let first_non_finite = first_non_finite(trace);
    given(&mut out, trace, first_non_finite.as_ref());
    for (k, section) in trace.steps.iter().enumerate() {
        step(&mut out, trace, k, section, first_non_finite.as_ref());
    }
    result(&mut out, trace);
    out.0
}

/// Where the first value that is not a finite number appeared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Given,
    Step(usize),
    After,
}

/// The first value that is not a finite number: where, which, and as printed.
struct NonFinite {
    origin: Origin,
    sym: Sym,
    value: String,
}

#[derive(Default)]
struct Out(String);

/// `say!(out, indent, "format", args…)`: one formatted line.
macro_rules! say {
    ($out:expr, $indent:expr, $($format:tt)*) => {
        $out.line($indent, &format!($($format)*))
    };
}

/// `note!(out, indent, "format", args…)`: one formatted `Note:` line.
macro_rules! note {
    ($out:expr, $indent:expr, $($format:tt)*) => {
        $out.note($indent, &format!($($format)*))
    };
}

impl Out {
    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.0.push_str("  ");
        }
        self.0.push_str(text);
        self.0.push('\n');
    }

    fn lines(&mut self, indent: usize, lines: &[String]) {
        for line in lines {
            self.line(indent, line);
        }
    }

    fn blank(&mut self) {
        self.0.push('\n');
    }

    fn note(&mut self, indent: usize, text: &str) {
        self.line(indent, &format!("Note: {text}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers and names

/// A value as printed, and whether printing rounded it.
fn num<S: Scalar>(value: S) -> (String, bool) {
    let mut text = String::new();
    let rounded = value.write_number(&mut text);
    (text, rounded)
}

fn val<S: Scalar>(value: S) -> String {
    num(value).0
}

/// A value inside a product or after a minus sign: negative values get parentheses.
fn factor<S: Scalar>(value: S) -> String {
    let text = val(value);
    if value < S::ZERO { format!("({text})") } else { text }
}

/// ` = v`, or ` ≈ v` when `v` is rounded.
fn equals<S: Scalar>(value: S) -> String {
    outcome(value, true)
}

/// ` = v`, or ` ≈ v` unless `exact` and `v` is printed unrounded.
fn outcome<S: Scalar>(value: S, exact: bool) -> String {
    let (text, rounded) = num(value);
    format!(" {} {text}", if exact && !rounded { '=' } else { '≈' })
}

fn name(sym: Sym) -> String {
    match sym {
        Sym::X(r, c) => format!("x[{r},{c}]"),
        Sym::W(r, c) => format!("w[{r},{c}]"),
        Sym::B => "b".to_owned(),
        Sym::T(r, c) => format!("t[{r},{c}]"),
        Sym::Z(r, c) => format!("z[{r},{c}]"),
        Sym::Y(r, c) => format!("y[{r},{c}]"),
        Sym::Dy(r, c) => format!("∂L/∂y[{r},{c}]"),
        Sym::Slope(r, c) => format!("f′(z[{r},{c}])"),
        Sym::Delta(r, c) => format!("δ[{r},{c}]"),
        Sym::GradW(r, c) => format!("∂L/∂w[{r},{c}]"),
        Sym::GradB => "∂L/∂b".to_owned(),
        Sym::Loss => "L".to_owned(),
    }
}

fn names(syms: impl IntoIterator<Item = Sym>) -> String {
    let all: Vec<String> = syms.into_iter().map(name).collect();
    match all.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn scale_prefix(scale: Scale) -> String {
    match (scale.num, scale.den) {
        (1, 2) => "½".to_owned(),
        (n, 1) => n.to_string(),
        (n, d) => format!("({n}/{d})"),
    }
}

// ---------------------------------------------------------------------------------------------
// Equations

/// How a term is written: with numbers, or with the names of its operands.
#[derive(Clone, Copy)]
enum Style {
    Numbers,
    Names,
}

fn operand<S: Scalar>(op: &Operand<S>, style: Style, in_product: bool) -> String {
    match style {
        Style::Names => name(op.sym),
        Style::Numbers if in_product => factor(op.value),
        Style::Numbers => val(op.value),
    }
}

fn term<S: Scalar>(term: &Term<S>, style: Style, alone: bool) -> String {
    match term {
        Term::Product(a, b) => format!("{}·{}", operand(a, style, true), operand(b, style, true)),
        Term::Single(a) => operand(a, style, !alone),
        Term::Diff(a, b) if alone => {
            format!("{} − {}", operand(a, style, false), operand(b, style, true))
        }
        Term::Diff(a, b) => format!("({} − {})", operand(a, style, false), operand(b, style, true)),
        Term::SquaredDiff(a, b) => {
            format!("({} − {})²", operand(a, style, false), operand(b, style, true))
        }
    }
}

fn sum<S: Scalar>(scale: Scale, terms: &[Term<S>], style: Style) -> String {
    if terms.is_empty() {
        return "0".to_owned();
    }
    let alone = terms.len() == 1 && scale.is_one();
    let body: Vec<String> = terms.iter().map(|t| term(t, style, alone)).collect();
    let body = body.join(" + ");
    if scale.is_one() {
        body
    } else if terms.len() == 1 {
        format!("{}·{body}", scale_prefix(scale))
    } else {
        format!("{}[{body}]", scale_prefix(scale))
    }
}

/// The lines of one equation. Sums over positions (`z`, `∂L/∂w`, `∂L/∂b`) get a line with
/// the operands' names first, so that every number can be traced to where it came from.
fn equation<S: Scalar>(eq: &Equation<S>) -> Vec<String> {
    let lhs = name(eq.lhs);
    let result = outcome(eq.value, exact::holds(eq));
    let line = match &eq.expr {
        Expr::Sum { scale, terms } => {
            let named = matches!(eq.lhs, Sym::Z(..) | Sym::GradW(..) | Sym::GradB);
            if named && !terms.is_empty() {
                let pad = " ".repeat(lhs.chars().count());
                return vec![
                    format!("{lhs} = {}", sum(*scale, terms, Style::Names)),
                    format!("{pad} = {}{result}", sum(*scale, terms, Style::Numbers)),
                ];
            }
            if terms.is_empty() {
                format!("{lhs} = 0   (the window lies entirely on zero padding)")
            } else {
                format!("{lhs} = {}{result}", sum(*scale, terms, Style::Numbers))
            }
        }
        Expr::Activate { f, z } => format!("{lhs} = {}{result}", activation(*f, z.value)),
        Expr::Slope { f, z, y, case } => {
            let formula = slope_formula(*f, *case, y.value);
            format!("{lhs}{formula}{result}{}", slope_reason(*f, *case, z))
        }
        Expr::Update { param, lr, grad } => {
            format!("{lhs} ← {} − {}·{}{result}", val(param.value), factor(*lr), factor(grad.value))
        }
    };
    vec![line]
}

fn activation<S: Scalar>(f: Activation, z: S) -> String {
    match f {
        Activation::Relu { .. } => format!("max(0, {})", val(z)),
        Activation::Linear => val(z),
        Activation::Sigmoid => format!("σ({})", val(z)),
        Activation::Tanh => format!("tanh({})", val(z)),
        Activation::LeakyRelu { slope } if z < S::ZERO => {
            format!("leaky_relu({}) = {}·{}", val(z), val(slope), factor(z))
        }
        Activation::LeakyRelu { .. } => format!("leaky_relu({})", val(z)),
    }
}

/// ` = y·(1 − y) = …` for the smooth activations whose derivative has a formula in `y`.
fn slope_formula<S: Scalar>(f: Activation, case: SlopeCase, y: S) -> String {
    match (f, case) {
        (Activation::Sigmoid, SlopeCase::Smooth) => {
            format!(" = y·(1 − y) = {}·(1 − {})", factor(y), factor(y))
        }
        (Activation::Tanh, SlopeCase::Smooth) => format!(" = 1 − y² = 1 − {}²", factor(y)),
        _ => String::new(),
    }
}

/// Why a piecewise-linear derivative has its value: `   (z[0,0] = 3 > 0)`.
fn slope_reason<S: Scalar>(f: Activation, case: SlopeCase, z: &Operand<S>) -> String {
    let z_is = format!("{} = {}", name(z.sym), val(z.value));
    match (f, case) {
        (_, SlopeCase::Positive) => format!("   ({z_is} > 0)"),
        (Activation::LeakyRelu { .. }, SlopeCase::Negative) => {
            format!("   ({z_is} < 0: the slope α)")
        }
        (_, SlopeCase::Negative) => format!("   ({z_is} < 0)"),
        (Activation::LeakyRelu { .. }, SlopeCase::AtZero) => {
            format!("   ({z_is}: leaky_relu takes its slope α at 0)")
        }
        (Activation::Relu { grad_at_zero }, SlopeCase::AtZero) => {
            format!("   ({z_is}: the convention relu_grad_at_zero = {})", val(grad_at_zero))
        }
        (_, SlopeCase::AtZero | SlopeCase::Smooth) => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Matrices

/// A column-aligned matrix, the label on its first row: `z = [ 3  0 ]`, then `    [ −2  1 ]`.
/// The label says `≈` when an entry is rounded or `approx` says an entry's equation was.
fn matrix<S: Scalar>(label: &str, grid: &Grid<S>, approx: bool) -> Vec<String> {
    let (rows, cols) = grid.shape();
    let cells: Vec<(String, bool)> = grid.entries().map(|(_, v)| num(v)).collect();
    let rounded = approx || cells.iter().any(|(_, r)| *r);
    let widths: Vec<usize> = (0..cols)
        .map(|c| (0..rows).map(|r| cells[r * cols + c].0.chars().count()).max().unwrap_or(0))
        .collect();
    let head = format!("{label} {} ", if rounded { '≈' } else { '=' });
    let pad = " ".repeat(head.chars().count());
    (0..rows)
        .map(|r| {
            let mut line = if r == 0 { head.clone() } else { pad.clone() };
            line.push('[');
            for (c, width) in widths.iter().enumerate() {
                let cell = &cells[r * cols + c].0;
                let gap = if c == 0 { 1 } else { 2 };
                let _ = write!(line, "{}{cell}", " ".repeat(gap + width - cell.chars().count()));
            }
            line.push_str(" ]");
            line
        })
        .collect()
}

/// The matrix of the values of the equations that compute entries of kind `kind`, and
/// whether any of those equations is approximate.
fn assembled<S: Scalar>(
    section: &Section<S>,
    shape: (usize, usize),
    kind: fn(usize, usize) -> Sym,
) -> (Grid<S>, bool) {
    let mut values = vec![S::ZERO; shape.0 * shape.1];
    let mut approx = false;
    for eq in section.select(|s| is(kind, s)) {
        if let Some((r, c)) = eq.lhs.index() {
            values[r * shape.1 + c] = eq.value;
            approx |= !exact::holds(eq);
        }
    }
    (Grid::from_fn(shape.0, shape.1, |r, c| values[r * shape.1 + c]), approx)
}

// ---------------------------------------------------------------------------------------------
// Sections

fn given<S: Scalar>(out: &mut Out, trace: &Trace<S>, first_non_finite: Option<&NonFinite>) {
    let g = &trace.given;
    let layer = &g.layer;
    let (h, w) = g.input.shape();
    let (kh, kw) = g.filter.shape();
    let (oh, ow) = g.target.shape();
    let plural = if g.steps == 1 { "" } else { "s" };
    say!(out, 0, "Training one convolutional layer: {} step{plural} of gradient descent", g.steps);
    out.blank();
    out.line(0, "Given");
    out.lines(1, &matrix(&format!("X (input, {h}×{w})"), &g.input, false));
    out.lines(1, &matrix(&format!("W (filter, {kh}×{kw})"), &g.filter, false));
    match g.bias {
        Some(b) => say!(out, 1, "b (bias){}", equals(b)),
        None => out.line(1, "no bias term"),
    }
    out.lines(1, &matrix(&format!("t (target, {oh}×{ow})"), &g.target, false));
    say!(out, 1, "η (learning rate){}", equals(g.lr));
    say!(out, 1, "activation: {}", describe_activation(layer.activation));
    say!(out, 1, "loss: {}", describe_loss(layer.loss, oh * ow));
    say!(out, 1, "kernel: {}", describe_kernel(layer.kernel));
    say!(out, 1, "stride: {}, padding: {}", pair(layer.stride), pair(layer.padding));
    unreachable_targets(out, trace);
    if let Some(bad) = first_non_finite.filter(|b| b.origin == Origin::Given) {
        let what = name(bad.sym);
        note!(out, 1, "{what} = {} is not a finite number, so no step can be computed.", bad.value);
    }
    out.blank();

    out.line(0, "Output size: ⌊(input + 2·padding − filter)/stride⌋ + 1");
    out.line(1, &output_len("OH", h, layer.padding.0, kh, layer.stride.0, oh));
    out.line(1, &output_len("OW", w, layer.padding.1, kw, layer.stride.1, ow));
    unused_input(out, trace);
    out.blank();
}

fn pair(value: (usize, usize)) -> String {
    if value.0 == value.1 {
        value.0.to_string()
    } else {
        format!("({}, {}) (rows, columns)", value.0, value.1)
    }
}

fn output_len(
    label: &str,
    input: usize,
    padding: usize,
    filter: usize,
    stride: usize,
    out: usize,
) -> String {
    let span = input + 2 * padding - filter;
    let exact = format!("({input} + 2·{padding} − {filter})/{stride} + 1");
    if span.is_multiple_of(stride) {
        format!("{label} = {exact} = {out}")
    } else {
        format!(
            "{label} = ⌊({input} + 2·{padding} − {filter})/{stride}⌋ + 1 = ⌊{span}/{stride}⌋ + 1 = {out}"
        )
    }
}

fn describe_activation(f: Activation) -> String {
    match f {
        Activation::Relu { grad_at_zero } => {
            format!(
                "relu, y = max(0, z); f′ = 1 where z > 0, 0 where z < 0, and {} at z = 0 (relu_grad_at_zero)",
                val(grad_at_zero)
            )
        }
        Activation::Linear => "linear, y = z".to_owned(),
        Activation::Sigmoid => "sigmoid, y = σ(z) = 1/(1 + e^(−z)); f′ = y·(1 − y)".to_owned(),
        Activation::Tanh => "tanh, y = tanh(z); f′ = 1 − y²".to_owned(),
        Activation::LeakyRelu { slope } => {
            let a = val(slope);
            format!(
                "leaky_relu({a}), y = z where z > 0, {a}·z elsewhere; f′ = 1 where z > 0, {a} elsewhere"
            )
        }
    }
}

fn describe_loss(loss: Loss, n: usize) -> String {
    format!("{}, {}, so {}", loss.name(), loss_formula(loss, n), loss_grad_formula(loss, n))
}

/// `L = ½·Σ(y − t)²`.
fn loss_formula(loss: Loss, n: usize) -> String {
    let scale = loss.scale(n);
    let prefix = if scale.is_one() { String::new() } else { format!("{}·", scale_prefix(scale)) };
    format!("L = {prefix}Σ(y − t)²")
}

/// `∂L/∂y = y − t`, or `∂L/∂y = 2·(y − t)`.
fn loss_grad_formula(loss: Loss, n: usize) -> String {
    let scale = loss.grad_scale(n);
    if scale.is_one() {
        "∂L/∂y = y − t".to_owned()
    } else {
        format!("∂L/∂y = {}·(y − t)", scale_prefix(scale))
    }
}

fn describe_kernel(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::Correlation => "correlation (z = X ⋆ W: W slides over X as given, not flipped)",
        Kernel::Convolution => {
            "convolution (z = X ∗ W: W is rotated by 180° before it slides over X)"
        }
    }
}

fn unreachable_targets<S: Scalar>(out: &mut Out, trace: &Trace<S>) {
    let g = &trace.given;
    let Some((low, high, closed_low)) = g.layer.activation.range() else {
        return;
    };
    let outside: Vec<Sym> = g
        .target
        .entries()
        .filter(|&(_, t)| {
            let t = t.to_f64();
            t < low || t > high || (!closed_low && t == low) || t == high
        })
        .map(|((r, c), _)| Sym::T(r, c))
        .collect();
    if outside.is_empty() {
        return;
    }
    let values = outside
        .iter()
        .map(|&s| {
            let (r, c) = s.index().unwrap_or_default();
            format!("{} = {}", name(s), val(g.target.get(r, c)))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let range = match g.layer.activation {
        Activation::Relu { .. } => "relu never outputs a negative number",
        Activation::Sigmoid => "sigmoid outputs only numbers strictly between 0 and 1",
        _ => "tanh outputs only numbers strictly between −1 and 1",
    };
    note!(out, 1, "{values}: {range}, so y can never reach this target and L can never reach 0.");
}

/// Input rows and columns that no window covers, read off the final forward pass.
fn unused_input<S: Scalar>(out: &mut Out, trace: &Trace<S>) {
    let (h, w) = trace.given.input.shape();
    let (mut rows, mut cols) = (vec![false; h], vec![false; w]);
    for eq in trace.after.select(|s| matches!(s, Sym::Z(..))) {
        if let Expr::Sum { terms, .. } = &eq.expr {
            for t in terms {
                if let Term::Product(Operand { sym: Sym::X(r, c), .. }, _) = t {
                    rows[*r] = true;
                    cols[*c] = true;
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
        parts.push(format!("row{} {}", if rows.len() == 1 { "" } else { "s" }, rows.join(", ")));
    }
    if !cols.is_empty() {
        parts.push(format!("column{} {}", if cols.len() == 1 { "" } else { "s" }, cols.join(", ")));
    }
    if !parts.is_empty() {
        note!(
            out,
            1,
            "input {} never fall{} under the filter at this stride and padding, so they affect neither z nor ∂L/∂W.",
            parts.join(" and "),
            if parts.len() == 1 && (rows.len() + cols.len()) == 1 { "s" } else { "" }
        );
    }
}

fn index_formula(
    out_var: char,
    stride: usize,
    offset_sign: char,
    offset_var: char,
    constant: isize,
) -> String {
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
fn forward_formula(layer: &Layer, filter: (usize, usize)) -> String {
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
fn gradient_formula(layer: &Layer, filter: (usize, usize)) -> String {
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

fn step<S: Scalar>(
    out: &mut Out,
    trace: &Trace<S>,
    k: usize,
    section: &Section<S>,
    first_non_finite: Option<&NonFinite>,
) {
    say!(out, 0, "Step {}", k + 1);
    forward_sums(out, trace, section);
    activation_stage(out, trace, section);
    loss_stage(out, trace, k, section);
    backward_stage(out, trace, k == 0, section);
    gradient_stage(out, trace, section);
    update_stage(out, trace, section);
    if let Some(bad) = first_non_finite.filter(|b| b.origin == Origin::Step(k)) {
        let what = name(bad.sym);
        note!(
            out,
            1,
            "{what} = {} is the first value that is not a finite number; everything computed from it is meaningless, so training stops after this step.",
            bad.value
        );
    }
    out.blank();
}

/// Whether `sym` is an entry of the matrix whose entries `kind` names (`Sym::Z`, `Sym::W`…).
fn is(kind: fn(usize, usize) -> Sym, sym: Sym) -> bool {
    sym.index().is_some_and(|(r, c)| kind(r, c) == sym)
}

/// The equations of the entries of one matrix, then the matrix of their values.
fn entries<S: Scalar>(
    out: &mut Out,
    section: &Section<S>,
    kind: fn(usize, usize) -> Sym,
    label: &str,
    shape: (usize, usize),
) {
    for eq in section.select(|s| is(kind, s)) {
        out.lines(2, &equation(eq));
    }
    let (grid, approx) = assembled(section, shape, kind);
    out.lines(2, &matrix(label, &grid, approx));
}

/// ∂L/∂y, f′(z) and δ.
fn backward_stage<S: Scalar>(out: &mut Out, trace: &Trace<S>, first: bool, section: &Section<S>) {
    let g = &trace.given;
    let shape = g.target.shape();
    say!(out, 1, "Gradient of the loss: {}", loss_grad_formula(g.layer.loss, shape.0 * shape.1));
    if first {
        out.line(
            2,
            "Sign: this is output minus target. The \"error\" e = t − y is its negative. Descent",
        );
        out.line(
            2,
            "subtracts η·∂L/∂W, built from y − t; building it from t − y and still subtracting",
        );
        out.line(2, "moves W uphill and increases the loss.");
    }
    for eq in section.select(|s| is(Sym::Dy, s)) {
        out.lines(2, &equation(eq));
    }
    if g.layer.activation == Activation::Linear {
        out.line(1, "Activation derivative: f′(z) = 1 everywhere (linear), so δ = ∂L/∂y");
    } else {
        out.line(1, "Activation derivative f′(z)");
        for eq in section.select(|s| is(Sym::Slope, s)) {
            out.lines(2, &equation(eq));
        }
        slope_notes(out, g.layer.activation, section);
    }
    out.line(1, "δ = ∂L/∂z = ∂L/∂y ⊙ f′(z)");
    entries(out, section, Sym::Delta, "δ", shape);
}

/// ∂L/∂W and ∂L/∂b.
fn gradient_stage<S: Scalar>(out: &mut Out, trace: &Trace<S>, section: &Section<S>) {
    let g = &trace.given;
    out.lines(1, &gradient_words(&g.layer));
    say!(
        out,
        2,
        "∂L/∂w[i,j] = Σ {}, over all outputs (p,q)",
        gradient_formula(&g.layer, g.filter.shape())
    );
    entries(out, section, Sym::GradW, "∂L/∂W", g.filter.shape());
    for eq in section.select(|s| s == Sym::GradB) {
        out.line(1, "Bias gradient: ∂L/∂b = Σ δ");
        out.lines(2, &equation(eq));
    }
}

/// W ← W − η·∂L/∂W and b ← b − η·∂L/∂b.
fn update_stage<S: Scalar>(out: &mut Out, trace: &Trace<S>, section: &Section<S>) {
    let g = &trace.given;
    let bias = if g.bias.is_some() { ", b ← b − η·∂L/∂b" } else { "" };
    say!(out, 1, "Update: W ← W − η·∂L/∂W{bias}");
    entries(out, section, Sym::W, "W", g.filter.shape());
    for eq in section.select(|s| s == Sym::B) {
        out.lines(2, &equation(eq));
    }
}

/// What the filter gradient is, in words, and how the kernel and the stride enter it.
fn gradient_words(layer: &Layer) -> Vec<String> {
    let mut words = vec![match layer.kernel {
        Kernel::Correlation => "Filter gradient: ∂L/∂W = X ⋆ δ, the input correlated with δ".to_owned(),
        Kernel::Convolution => "Filter gradient: ∂L/∂W = rot180(X ⋆ δ), the input correlated with δ, then rotated by 180°".to_owned(),
    }];
    if layer.kernel == Kernel::Convolution {
        words.push("  (the forward pass used W rotated, so w[i,j] met the inputs of kernel offset (KH−1−i, KW−1−j))".to_owned());
    }
    if layer.stride != (1, 1) {
        words.push(format!(
            "  (with stride {}, the entries of δ are spread {} apart over the input)",
            pair(layer.stride),
            pair(layer.stride)
        ));
    }
    words
}

fn forward_sums<S: Scalar>(out: &mut Out, trace: &Trace<S>, section: &Section<S>) {
    let g = &trace.given;
    let op = match g.layer.kernel {
        Kernel::Correlation => "X ⋆ W",
        Kernel::Convolution => "X ∗ W",
    };
    let bias = if g.bias.is_some() { " + b" } else { "" };
    say!(out, 1, "Forward: z = {op}{bias}");
    let padding =
        if g.layer.padding == (0, 0) { "" } else { " (terms on zero padding are 0 and left out)" };
    let formula = forward_formula(&g.layer, g.filter.shape());
    say!(out, 2, "z[p,q] = Σ {formula}{bias}, over all filter entries (i,j){padding}");
    entries(out, section, Sym::Z, "z", g.target.shape());
}

fn activation_stage<S: Scalar>(out: &mut Out, trace: &Trace<S>, section: &Section<S>) {
    let f = trace.given.layer.activation;
    let formula = match f {
        Activation::Linear => {
            out.line(1, "Activation: linear, y = z");
            return;
        }
        Activation::Relu { .. } => "max(0, z)".to_owned(),
        Activation::Sigmoid => "σ(z)".to_owned(),
        Activation::Tanh => "tanh(z)".to_owned(),
        Activation::LeakyRelu { slope } => format!("z where z > 0, {}·z elsewhere", val(slope)),
    };
    say!(out, 1, "Activation: y = {formula}");
    entries(out, section, Sym::Y, "y", trace.given.target.shape());
}

fn loss_value<S: Copy>(section: &Section<S>) -> Option<S> {
    section.select(|s| s == Sym::Loss).next().map(|eq| eq.value)
}

fn loss_stage<S: Scalar>(out: &mut Out, trace: &Trace<S>, k: usize, section: &Section<S>) {
    let n = trace.given.target.shape();
    say!(out, 1, "Loss: {}", loss_formula(trace.given.layer.loss, n.0 * n.1));
    for eq in section.select(|s| s == Sym::Loss) {
        out.lines(2, &equation(eq));
    }
    if k > 0 {
        rise_note(out, loss_value(&trace.steps[k - 1]), loss_value(section), k);
    }
}

fn rise_note<S: Scalar>(out: &mut Out, before: Option<S>, after: Option<S>, step: usize) {
    if let (Some(before), Some(after)) = (before, after)
        && after > before
    {
        let (before, after) = (val(before), val(after));
        note!(
            out,
            2,
            "the loss rose from {before} to {after} with step {step}'s update: the step overshot (η may be too large)."
        );
    }
}

fn slope_notes<S: Scalar>(out: &mut Out, f: Activation, section: &Section<S>) {
    let with_case = |case: SlopeCase| -> Vec<Sym> {
        section
            .equations
            .iter()
            .filter_map(|eq| match &eq.expr {
                Expr::Slope { z, case: c, .. } if *c == case => Some(z.sym),
                _ => None,
            })
            .collect()
    };
    if let Activation::Relu { grad_at_zero } = f {
        let dead = with_case(SlopeCase::Negative);
        if !dead.is_empty() {
            let one = if dead.len() == 1 { "that output sends" } else { "those outputs send" };
            note!(
                out,
                2,
                "{} < 0: the ReLU is off there and f′ = 0 blocks the gradient, so {} = 0 whatever the target; {one} nothing back to W.",
                names(dead.iter().copied()),
                names(dead.iter().map(|s| delta_of(*s)))
            );
        }
        let zero = with_case(SlopeCase::AtZero);
        if !zero.is_empty() {
            note!(
                out,
                2,
                "{} = 0 exactly, where the ReLU has no derivative; this derivation uses relu_grad_at_zero = {} (PyTorch, JAX and micrograd use 0; set relu_grad_at_zero: {} for the other convention).",
                names(zero.iter().copied()),
                val(grad_at_zero),
                u8::from(grad_at_zero == 0.0)
            );
        }
    }
    if let Activation::LeakyRelu { slope } = f {
        let zero = with_case(SlopeCase::AtZero);
        if !zero.is_empty() {
            note!(
                out,
                2,
                "{} = 0 exactly: leaky_relu uses its slope {} there, as PyTorch does.",
                names(zero.iter().copied()),
                val(slope)
            );
        }
    }
}

fn delta_of(z: Sym) -> Sym {
    match z {
        Sym::Z(r, c) => Sym::Delta(r, c),
        other => other,
    }
}

fn result<S: Scalar>(out: &mut Out, trace: &Trace<S>) {
    let g = &trace.given;
    let taken = trace.steps.len();
    let plural = if taken == 1 { "" } else { "s" };
    say!(out, 0, "Result after {taken} step{plural}");
    if trace.stopped_early && taken > 0 {
        note!(
            out,
            1,
            "training stopped after step {taken} of {} because a value stopped being finite (see that step).",
            g.steps
        );
    }
    out.line(1, "A last forward pass, with the final parameters:");
    forward_sums(out, trace, &trace.after);
    activation_stage(out, trace, &trace.after);
    let n = g.target.shape();
    say!(out, 1, "Loss: {}", loss_formula(g.layer.loss, n.0 * n.1));
    for eq in trace.after.select(|s| s == Sym::Loss) {
        out.lines(2, &equation(eq));
    }
    let last = final_params(trace);
    out.lines(1, &matrix("final W", &last.filter, last.filter_approx));
    if let Some((b, exact)) = last.bias {
        say!(out, 1, "final b{}", outcome(b, exact));
    }
    let before = trace.steps.first().and_then(loss_value);
    if let (Some(before), Some(after)) = (before, loss_value(&trace.after)) {
        let trend = if !(before.is_finite() && after.is_finite()) {
            "not finite"
        } else if after < before {
            "decreased"
        } else if after > before {
            "increased"
        } else {
            "unchanged"
        };
        say!(out, 1, "L: {} → {} ({trend})", val(before), val(after));
        if taken > 0 {
            rise_note(out, trace.steps.last().and_then(loss_value), Some(after), taken);
        }
    }
    if taken > 1 {
        summary(out, trace);
    }
}

/// The filter and bias as they stand after the last update (or as given, with no step).
struct Final<S> {
    filter: Grid<S>,
    /// Whether an update of the filter was approximate.
    filter_approx: bool,
    /// The bias, and whether its update was exact.
    bias: Option<(S, bool)>,
}

fn final_params<S: Scalar>(trace: &Trace<S>) -> Final<S> {
    let g = &trace.given;
    match trace.steps.last() {
        Some(last) => {
            let (filter, filter_approx) = assembled(last, g.filter.shape(), Sym::W);
            let bias = last.select(|s| s == Sym::B).next().map(|eq| (eq.value, exact::holds(eq)));
            Final { filter, filter_approx, bias }
        }
        None => Final {
            filter: g.filter.clone(),
            filter_approx: false,
            bias: g.bias.map(|b| (b, true)),
        },
    }
}

/// One row per step: the loss and the parameters that step used; then the final row.
fn summary<S: Scalar>(out: &mut Out, trace: &Trace<S>) {
    let g = &trace.given;
    let (kh, kw) = g.filter.shape();
    let mut header = vec!["step".to_owned(), "L".to_owned()];
    header.extend((0..kh * kw).map(|k| name(Sym::W(k / kw, k % kw))));
    if g.bias.is_some() {
        header.push("b".to_owned());
    }
    let mut rows = vec![header];
    for (k, section) in trace.steps.iter().enumerate() {
        let mut row = vec![(k + 1).to_string(), loss_value(section).map(val).unwrap_or_default()];
        for eq in &section.equations {
            if let Expr::Update { param, .. } = &eq.expr {
                row.push(val(param.value));
            }
        }
        rows.push(row);
    }
    let Final { filter, bias, .. } = final_params(trace);
    let bias = bias.map(|(b, _)| b);
    let mut last = vec!["final".to_owned(), loss_value(&trace.after).map(val).unwrap_or_default()];
    last.extend(filter.entries().map(|(_, v)| val(v)));
    last.extend(bias.map(val));
    rows.push(last);
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r.get(c).map_or(0, |s| s.chars().count())).max().unwrap_or(0))
        .collect();
    out.line(1, "Summary: the loss and the parameters each step started from");
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{}{cell}", " ".repeat(width - cell.chars().count())))
            .collect();
        out.line(2, cells.join("  ").trim_end());
    }
}

/// The first value, in the order of the derivation, that is not a finite number.
fn first_non_finite<S: Scalar>(trace: &Trace<S>) -> Option<NonFinite> {
    let g = &trace.given;
    let bad = |(_, v): &(_, S)| !v.is_finite();
    let found = |origin, sym, value: S| Some(NonFinite { origin, sym, value: val(value) });
    let given =
        [(&g.input, Sym::X as fn(usize, usize) -> Sym), (&g.filter, Sym::W), (&g.target, Sym::T)]
            .into_iter()
            .find_map(|(grid, kind)| grid.entries().find(bad).map(|((r, c), v)| (kind(r, c), v)))
            .or_else(|| g.bias.filter(|b| !b.is_finite()).map(|b| (Sym::B, b)));
    if let Some((sym, value)) = given {
        return found(Origin::Given, sym, value);
    }
    let sections = trace.steps.iter().enumerate().map(|(k, s)| (Origin::Step(k), s));
    sections.chain([(Origin::After, &trace.after)]).find_map(|(origin, section)| {
        let eq = section.equations.iter().find(|eq| !eq.value.is_finite())?;
        found(origin, eq.lhs, eq.value)
    })
}
