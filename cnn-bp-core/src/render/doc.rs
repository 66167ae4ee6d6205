//! The derivation as a document: headings, prose, equations, matrices and tables, built once
//! from a [`Trace`] and written out by each renderer (text, LaTeX, Markdown).
//!
//! Formulas are kept in the derivation's own notation (`z[0,0] = x[0,0]·w[0,0] + …`,
//! `∂L/∂y`, `−2`); the plain-text renderer prints them as they are and the others translate
//! them (see `math`). Every number here is a value stored in the trace, printed once.

use std::borrow::Cow;

use super::exact;
use crate::layer::{Activation, Kernel, Layer, Loss, Scale, SlopeCase};
use crate::number::SIGNIFICANT_DIGITS;
use crate::scalar::Scalar;
use crate::trace::{
    Equation, Expr, GradientCheck, Grid, Mistake, Name, Operand, Recipe, Section, Sym, Term, Trace,
};

/// How equations are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Form {
    /// The numbers of every equation; sums over positions (`z`, `∂L/∂w`, `∂L/∂b`) show the
    /// names of their operands on a line of their own first.
    #[default]
    Numeric,
    /// Each stage's formulas with symbols only, for every entry, before the same formulas
    /// with the numbers substituted.
    Symbolic,
}

/// One piece of running text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Words.
    Text(Cow<'static, str>),
    /// A formula in the derivation's notation.
    Math(Cow<'static, str>),
    /// A name from `train!`'s spec (`relu_grad_at_zero`), written as code.
    Code(Cow<'static, str>),
}

/// Running text: words, formulas and code names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rich(pub(crate) Vec<Piece>);

impl Rich {
    pub(crate) fn t(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.0.push(Piece::Text(text.into()));
        self
    }

    pub(crate) fn m(mut self, math: impl Into<Cow<'static, str>>) -> Self {
        self.0.push(Piece::Math(math.into()));
        self
    }

    pub(crate) fn c(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.0.push(Piece::Code(code.into()));
        self
    }

    /// This text followed by `other`.
    pub(crate) fn and(mut self, other: Self) -> Self {
        self.0.extend(other.0);
        self
    }

    fn text(text: impl Into<Cow<'static, str>>) -> Self {
        Self::default().t(text)
    }

    fn math(math: impl Into<Cow<'static, str>>) -> Self {
        Self::default().m(math)
    }

    /// Everything as one line of plain text.
    pub(crate) fn plain(&self) -> String {
        let mut out = String::new();
        self.write_plain(&mut out);
        out
    }

    /// Appends everything as plain text.
    pub(crate) fn write_plain(&self, out: &mut String) {
        for piece in &self.0 {
            match piece {
                Piece::Text(s) | Piece::Math(s) | Piece::Code(s) => out.push_str(s),
            }
        }
    }
}

/// One equation as printed: `lhs = named`, then `= chain₁ = chain₂ = result   (reason)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Eq {
    pub(crate) lhs: String,
    /// `←` (an update) rather than `=`.
    pub(crate) assign: bool,
    /// The right-hand side with the operands' names, shown before the numbers.
    pub(crate) named: Option<String>,
    /// The right-hand sides with numbers, in order.
    pub(crate) chain: Vec<String>,
    /// The value, and whether the printed arithmetic gives it exactly (`=`) or not (`≈`).
    pub(crate) result: Option<(bool, String)>,
    /// Why, in brackets after the equation.
    pub(crate) reason: Option<Rich>,
    /// The significant digits of its operands where they are rounded: six, or more where six
    /// cannot show how the result follows from them.
    pub(crate) digits: usize,
    /// The significant digits of its result where it is rounded.
    pub(crate) result_digits: usize,
}

/// One block of the document. `depth` is the indentation of the plain-text form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// The first line.
    Title(Rich),
    /// Given, Output size, Step k, Result …
    Section(Rich),
    /// A stage of a step: Forward, Activation, Loss …
    Stage(Rich),
    /// Prose or a general formula; one entry per plain-text line.
    Para { depth: usize, lines: Vec<Rich> },
    /// A remark about particular entries.
    Note { depth: usize, text: Rich },
    /// One computed entry.
    Equation { depth: usize, eq: Eq },
    /// `label = [ … ]`; `approx` when an entry is rounded or its equation approximate.
    Matrix { depth: usize, label: Rich, cells: Vec<Vec<String>>, approx: bool },
    /// A table under a caption.
    Table { depth: usize, caption: Rich, header: Vec<Rich>, rows: Vec<Vec<Rich>> },
}

/// The document of a whole trace.
pub(crate) fn document<S: Scalar>(trace: &Trace<S>, form: Form) -> Vec<Block> {
    let mut doc = Doc { blocks: Vec::new(), form };
    let first_non_finite = first_non_finite(trace);
    doc.given(trace, first_non_finite.as_ref());
    let mut next = 0;
    for section in &trace.steps {
        let k = section.step.unwrap_or(next);
        if k > next {
            doc.skipped(next, k);
        }
        doc.step(trace, k, section, first_non_finite.as_ref());
        next = k + 1;
    }
    doc.result(trace, first_non_finite.as_ref());
    if !trace.checks.is_empty() {
        doc.checks(trace);
    }
    if !trace.mistakes.is_empty() {
        doc.mistakes(trace);
    }
    doc.blocks
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

struct Doc {
    blocks: Vec<Block>,
    form: Form,
}

// ---------------------------------------------------------------------------------------------
// Numbers and names

/// A value as printed, and whether printing rounded it.
pub(crate) fn num<S: Scalar>(value: S) -> (String, bool) {
    num_at(value, SIGNIFICANT_DIGITS)
}

/// A value as printed with `digits` significant digits where it is rounded.
pub(crate) fn num_at<S: Scalar>(value: S, digits: usize) -> (String, bool) {
    let mut text = String::new();
    let rounded = value.write_number_digits(digits, &mut text);
    (text, rounded)
}

pub(crate) fn val<S: Scalar>(value: S) -> String {
    num(value).0
}

/// A value on its own, outside an equation (a table cell, `L: a → b`): `≈` in front when it
/// is rounded, so that no rounded number passes for an exact one.
fn approx_at<S: Scalar>(value: S, digits: usize) -> String {
    match num_at(value, digits) {
        (text, true) => format!("≈{text}"),
        (text, false) => text,
    }
}

fn approx<S: Scalar>(value: S) -> String {
    approx_at(value, SIGNIFICANT_DIGITS)
}

/// Two values whose difference is the point (the loss before and after), each marked `≈`
/// where rounded, with as many digits as show that difference.
fn compared<S: Scalar>(a: S, b: S) -> (String, String) {
    let digits = exact::resolving_digits(a, b);
    (approx_at(a, digits), approx_at(b, digits))
}

/// A value inside a product or squared: in parentheses when negative or written with a power
/// of ten (`2·(−1)`, `2·(1.5·10⁷)`, `(1.5·10⁻⁸)²`).
fn factor_at<S: Scalar>(value: S, digits: usize) -> String {
    let mut out = String::new();
    push_number(&mut out, value, digits, Place::Factor);
    out
}

/// A value after a plus or minus sign: in parentheses when negative (`1 − (−2)`).
fn signed_at<S: Scalar>(value: S, digits: usize) -> String {
    let mut out = String::new();
    push_number(&mut out, value, digits, Place::Signed);
    out
}

/// Appends a value with the brackets its place needs (see [`Place`]): written in place, since
/// this runs for every operand of every equation.
fn push_number<S: Scalar>(out: &mut String, value: S, digits: usize, place: Place) {
    let start = out.len();
    value.write_number_digits(digits, out);
    let bracket = match place {
        Place::Alone => false,
        Place::Signed => value < S::ZERO,
        // Between 10⁻⁶ and 10⁶ no number has a power of ten: no need to look.
        Place::Factor => {
            let plain = (1e-6..1e6).contains(&value.to_f64().abs());
            value < S::ZERO || (!plain && out[start..].contains('·'))
        }
    };
    if bracket {
        out.insert(start, '(');
        out.push(')');
    }
}

/// `= v`, or `≈ v` unless `exact` and `v` is printed unrounded: a value given on its own.
fn is_value<S: Scalar>(value: S, exact: bool) -> String {
    let (text, rounded) = num(value);
    format!("{} {text}", if exact && !rounded { '=' } else { '≈' })
}

/// `sym = v`, or `sym ≈ v` when `v` is rounded: a value quoted in a note.
fn quoted<S: Scalar>(sym: Sym, value: S) -> String {
    format!("{} {}", name(sym), is_value(value, true))
}

pub(crate) fn name(sym: Sym) -> String {
    let mut out = String::new();
    write_name(&mut out, sym);
    out
}

fn write_name(out: &mut String, sym: Sym) {
    out.push_str(match sym.name {
        Name::X => "x",
        Name::W => "w",
        Name::B => "b",
        Name::T => "t",
        Name::Z => "z",
        Name::Y => "y",
        Name::Dy => "∂L/∂y",
        Name::Slope => "f′(z",
        Name::Delta => "δ",
        Name::GradW => "∂L/∂w",
        Name::GradB => "∂L/∂b",
        Name::Loss => "L",
        Name::Error => "e",
        Name::Signal => "δ̃",
        // A recipe's filter gradient, or an upstream gradient: `g` either way.
        Name::G | Name::Upstream => "g",
        Name::GB => "g_b",
        Name::Dx => "∂L/∂x",
    });
    for (k, i) in sym.indices().enumerate() {
        out.push(if k == 0 { '[' } else { ',' });
        push_index(out, i);
    }
    if sym.indices().next().is_some() {
        out.push(']');
    }
    if sym.name == Name::Slope {
        out.push(')');
    }
}

/// Appends a whole number: names are written very often, and `fmt` is slow at it.
fn push_index(out: &mut String, n: usize) {
    if n >= 10 {
        push_index(out, n / 10);
    }
    out.push(char::from(b'0' + u8::try_from(n % 10).unwrap_or(0)));
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

/// How a term is written: with numbers (with so many significant digits where they are
/// rounded), or with the names of its operands.
#[derive(Clone, Copy)]
enum Style {
    Numbers(usize),
    Names,
}

/// Where an operand stands, which decides its brackets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// First, or on its own.
    Alone,
    /// After a `+` or `−`: negative values in brackets.
    Signed,
    /// A factor of a product: negative values and powers of ten in brackets.
    Factor,
}

/// Appends an operand: its name, or its value with the brackets its place needs.
fn operand<S: Scalar>(out: &mut String, op: &Operand<S>, style: Style, place: Place) {
    match style {
        Style::Names => write_name(out, op.sym),
        Style::Numbers(digits) => push_number(out, op.value, digits, place),
    }
}

fn term<S: Scalar>(out: &mut String, term: &Term<S>, style: Style, alone: bool) {
    match term {
        Term::Product(a, b) => {
            operand(out, a, style, Place::Factor);
            out.push('·');
            operand(out, b, style, Place::Factor);
        }
        Term::Single(a) => operand(out, a, style, if alone { Place::Alone } else { Place::Signed }),
        Term::Diff(a, b) | Term::SquaredDiff(a, b) => {
            let bracketed = !alone || matches!(term, Term::SquaredDiff(..));
            if bracketed {
                out.push('(');
            }
            operand(out, a, style, Place::Alone);
            out.push_str(" − ");
            operand(out, b, style, Place::Signed);
            if bracketed {
                out.push(')');
            }
            if matches!(term, Term::SquaredDiff(..)) {
                out.push('²');
            }
        }
    }
}

fn sum<S: Scalar>(scale: Scale, terms: &[Term<S>], style: Style) -> String {
    if terms.is_empty() {
        return "0".to_owned();
    }
    let alone = terms.len() == 1 && scale.is_one();
    let mut out = String::with_capacity(terms.len() * 16);
    let bracket = !scale.is_one() && terms.len() > 1;
    if !scale.is_one() {
        out.push_str(&scale_prefix(scale));
        out.push_str(if bracket { "[" } else { "·" });
    }
    for (k, t) in terms.iter().enumerate() {
        if k > 0 {
            out.push_str(" + ");
        }
        term(&mut out, t, style, alone);
    }
    if bracket {
        out.push(']');
    }
    out
}

/// The right-hand side of an equation with symbols only.
fn symbolic<S: Scalar>(eq: &Equation<S>) -> String {
    match &eq.expr {
        Expr::Sum { scale, terms } => sum(*scale, terms, Style::Names),
        Expr::Activate { f, z } => activation(*f, &name(z.sym)),
        Expr::Slope { f, z, y, .. } => match f {
            Activation::Sigmoid => format!("{0}·(1 − {0})", name(y.sym)),
            Activation::Tanh => format!("1 − {}²", name(y.sym)),
            Activation::LeakyRelu { .. } => format!("leaky_relu′({})", name(z.sym)),
            Activation::Linear => "1".to_owned(),
            Activation::Relu { .. } => format!("relu′({})", name(z.sym)),
        },
        Expr::Update { param, grad, .. } => format!("{} − η·{}", name(param.sym), name(grad.sym)),
    }
}

/// One equation, as printed. Sums over positions (`z`, `∂L/∂w`, `∂L/∂b`) show the operands'
/// names first (in the numeric form), so that every number can be traced to where it came
/// from.
pub(crate) fn equation<S: Scalar>(eq: &Equation<S>, form: Form) -> Eq {
    let layout = exact::layout(eq);
    let (text, rounded) = num_at(eq.value, layout.result);
    let digits = layout.operands;
    let mut out = Eq {
        lhs: name(eq.lhs),
        assign: false,
        named: None,
        chain: Vec::new(),
        result: Some((layout.exact && !rounded, text)),
        reason: None,
        digits,
        result_digits: layout.result,
    };
    let numbers = Style::Numbers(digits);
    match &eq.expr {
        Expr::Sum { scale, terms } => {
            if terms.is_empty() {
                out.chain.push("0".to_owned());
                out.result = None;
                out.reason = Some(Rich::text("the window lies entirely on zero padding"));
                return out;
            }
            let named = matches!(eq.lhs.name, Name::Z | Name::GradW | Name::GradB);
            if named && form == Form::Numeric {
                out.named = Some(sum(*scale, terms, Style::Names));
            }
            out.chain.push(sum(*scale, terms, numbers));
        }
        Expr::Activate { f, z } => {
            out.chain.push(activation(*f, &num_at(z.value, digits).0));
            if let Activation::LeakyRelu { slope } = f
                && z.value < S::ZERO
            {
                let (slope, z) = (factor_at(*slope, digits), factor_at(z.value, digits));
                out.chain.push(format!("{slope}·{z}"));
            }
        }
        Expr::Slope { f, z, y, case } => {
            if *case == SlopeCase::Smooth {
                match f {
                    Activation::Sigmoid => {
                        out.chain.push("y·(1 − y)".to_owned());
                        let (factor, signed) =
                            (factor_at(y.value, digits), signed_at(y.value, digits));
                        out.chain.push(format!("{factor}·(1 − {signed})"));
                    }
                    Activation::Tanh => {
                        out.chain.push("1 − y²".to_owned());
                        out.chain.push(format!("1 − {}²", factor_at(y.value, digits)));
                    }
                    _ => {}
                }
            }
            out.reason = slope_reason(*f, *case, z);
        }
        Expr::Update { param, lr, grad } => {
            out.assign = true;
            out.chain.push(format!(
                "{} − {}·{}",
                num_at(param.value, digits).0,
                factor_at(*lr, digits),
                factor_at(grad.value, digits)
            ));
        }
    }
    if layout.rounding_in_f64 {
        let reason = Rich::text("f64 rounding");
        out.reason = Some(match exact::exact_value(eq, digits, layout.result) {
            Some(v) => reason.t(": exactly, these numbers give ").m(v),
            None => reason,
        });
    }
    out
}

/// `lhs = symbolic`: the symbols-only form of an equation.
fn symbolic_equation<S: Scalar>(eq: &Equation<S>) -> Eq {
    Eq {
        lhs: name(eq.lhs),
        assign: matches!(eq.expr, Expr::Update { .. }),
        named: None,
        chain: vec![symbolic(eq)],
        result: None,
        reason: None,
        digits: SIGNIFICANT_DIGITS,
        result_digits: SIGNIFICANT_DIGITS,
    }
}

/// `max(0, a)`, `σ(a)` … for an argument written `a`.
fn activation(f: Activation, a: &str) -> String {
    match f {
        Activation::Relu { .. } => format!("max(0, {a})"),
        Activation::Linear => a.to_owned(),
        Activation::Sigmoid => format!("σ({a})"),
        Activation::Tanh => format!("tanh({a})"),
        Activation::LeakyRelu { .. } => format!("leaky_relu({a})"),
    }
}

/// Why a piecewise-linear derivative has its value: `(z[0,0] = 3 > 0)`.
fn slope_reason<S: Scalar>(f: Activation, case: SlopeCase, z: &Operand<S>) -> Option<Rich> {
    let z_is = quoted(z.sym, z.value);
    let reason = match (f, case) {
        (_, SlopeCase::Positive) => Rich::math(format!("{z_is} > 0")),
        (Activation::LeakyRelu { .. }, SlopeCase::Negative) => {
            Rich::math(format!("{z_is} < 0")).t(": the slope ").m("α")
        }
        (_, SlopeCase::Negative) => Rich::math(format!("{z_is} < 0")),
        (Activation::LeakyRelu { .. }, SlopeCase::AtZero) => {
            Rich::math(z_is).t(": ").c("leaky_relu").t(" takes its slope ").m("α").t(" at 0")
        }
        (Activation::Relu { grad_at_zero }, SlopeCase::AtZero) => Rich::math(z_is)
            .t(": the convention ")
            .c("relu_grad_at_zero")
            .t(" ")
            .m(format!("= {}", val(grad_at_zero))),
        (_, SlopeCase::AtZero | SlopeCase::Smooth) => return None,
    };
    Some(reason)
}

// ---------------------------------------------------------------------------------------------
// Matrices

fn matrix<S: Scalar>(depth: usize, label: Rich, grid: &Grid<S>, approx: bool) -> Block {
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
fn assembled<S: Scalar>(
    section: &Section<S>,
    shape: (usize, usize),
    kind: fn(usize, usize) -> Sym,
) -> (Grid<S>, bool) {
    let approx = section.select(|s| is(kind, s)).any(|eq| !exact::holds(eq));
    (values(section, shape, kind), approx)
}

/// The matrix of the values of the equations that compute entries of kind `kind`.
fn values<S: Scalar>(
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
fn is(kind: fn(usize, usize) -> Sym, sym: Sym) -> bool {
    sym.index().is_some_and(|(r, c)| kind(r, c) == sym)
}

// ---------------------------------------------------------------------------------------------
// Descriptions

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

fn describe_activation(f: Activation) -> Rich {
    match f {
        Activation::Relu { grad_at_zero } => Rich::default()
            .c("relu")
            .t(", ")
            .m("y = max(0, z)")
            .t("; ")
            .m("f′ = 1")
            .t(" where ")
            .m("z > 0")
            .t(", 0 where ")
            .m("z < 0")
            .t(", and ")
            .m(val(grad_at_zero))
            .t(" at ")
            .m("z = 0")
            .t(" (")
            .c("relu_grad_at_zero")
            .t(")"),
        Activation::Linear => Rich::default().c("linear").t(", ").m("y = z"),
        Activation::Sigmoid => Rich::default()
            .c("sigmoid")
            .t(", ")
            .m("y = σ(z) = 1/(1 + e^(−z))")
            .t("; ")
            .m("f′ = y·(1 − y)"),
        Activation::Tanh => {
            Rich::default().c("tanh").t(", ").m("y = tanh(z)").t("; ").m("f′ = 1 − y²")
        }
        Activation::LeakyRelu { slope } => {
            let a = approx(slope);
            Rich::default()
                .c(format!("leaky_relu({a})"))
                .t(", ")
                .m("y = z")
                .t(" where ")
                .m("z > 0")
                .t(", ")
                .m(format!("{a}·z"))
                .t(" elsewhere; ")
                .m("f′ = 1")
                .t(" where ")
                .m("z > 0")
                .t(", ")
                .m(a)
                .t(" elsewhere")
        }
    }
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

fn describe_kernel(kernel: Kernel) -> Rich {
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

fn index_formula(
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

fn loss_value<S: Copy>(section: &Section<S>) -> Option<S> {
    section.select(|s| s == Sym::loss()).next().map(|eq| eq.value)
}

fn delta_of(z: Sym) -> Sym {
    if z.name == Name::Z { z.renamed(Name::Delta) } else { z }
}

// ---------------------------------------------------------------------------------------------
// Sections

impl Doc {
    fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    fn para(&mut self, depth: usize, line: Rich) {
        self.push(Block::Para { depth, lines: vec![line] });
    }

    fn note(&mut self, depth: usize, text: Rich) {
        self.push(Block::Note { depth, text });
    }

    fn stage(&mut self, heading: Rich) {
        self.push(Block::Stage(heading));
    }

    /// The equations `keep` selects, with their symbols-only forms first in the symbolic form.
    /// Returns whether every one is printed exact (`=`).
    fn equations<S: Scalar>(
        &mut self,
        section: &Section<S>,
        keep: impl Fn(Sym) -> bool + Copy,
    ) -> bool {
        if self.form == Form::Symbolic {
            for eq in section.select(keep) {
                if !matches!(&eq.expr, Expr::Sum { terms, .. } if terms.is_empty()) {
                    self.push(Block::Equation { depth: 2, eq: symbolic_equation(eq) });
                }
            }
        }
        let mut all_exact = true;
        for eq in section.select(keep) {
            let eq = equation(eq, self.form);
            all_exact &= eq.result.as_ref().is_none_or(|(exact, _)| *exact);
            self.push(Block::Equation { depth: 2, eq });
        }
        all_exact
    }

    /// The equations of the entries of one matrix, then the matrix of their values.
    fn entries<S: Scalar>(
        &mut self,
        section: &Section<S>,
        kind: fn(usize, usize) -> Sym,
        label: &'static str,
        shape: (usize, usize),
    ) {
        let exact = self.equations(section, |s| is(kind, s));
        let grid = values(section, shape, kind);
        self.push(matrix(2, Rich::math(label), &grid, !exact));
    }

    fn given<S: Scalar>(&mut self, trace: &Trace<S>, first_non_finite: Option<&NonFinite>) {
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
        self.para(1, Rich::text("activation: ").and(describe_activation(layer.activation)));
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

    fn unreachable_targets<S: Scalar>(&mut self, trace: &Trace<S>) {
        let g = &trace.given;
        let Some((low, high, closed_low)) = g.layer.activation.range() else {
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
        let range = match g.layer.activation {
            Activation::Relu { .. } => {
                Rich::default().c("relu").t(" never outputs a negative number")
            }
            Activation::Sigmoid => {
                Rich::default().c("sigmoid").t(" outputs only numbers strictly between 0 and 1")
            }
            _ => Rich::default().c("tanh").t(" outputs only numbers strictly between −1 and 1"),
        };
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
    fn unused_input<S: Scalar>(&mut self, trace: &Trace<S>) {
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
    fn skipped(&mut self, from: usize, to: usize) {
        self.push(Block::Section(Rich::text(format!("Steps {} to {}", from + 1, to))));
        self.para(
            1,
            Rich::text(format!(
                "Not written out: each of these {} steps repeats the computation above with the parameters the step before left. The summary at the end gives the loss and the parameters of some of them.",
                to - from
            )),
        );
    }

    fn step<S: Scalar>(
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

    fn forward_sums<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
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

    fn activation_stage<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
        let f = trace.given.layer.activation;
        let formula = match f {
            Activation::Linear => {
                self.stage(Rich::text("Activation: linear, ").m("y = z"));
                return;
            }
            Activation::LeakyRelu { slope } => Rich::math("y = z")
                .t(" where ")
                .m("z > 0")
                .t(", ")
                .m(format!("{}·z", approx(slope)))
                .t(" elsewhere"),
            _ => Rich::math(format!("y = {}", activation(f, "z"))),
        };
        self.stage(Rich::text("Activation: ").and(formula));
        self.entries(section, Sym::y, "y", trace.given.target.shape());
    }

    fn loss_stage<S: Scalar>(&mut self, trace: &Trace<S>, k: usize, section: &Section<S>) {
        let n = trace.given.target.shape();
        self.stage(Rich::text("Loss: ").m(loss_formula(trace.given.layer.loss, n.0 * n.1)));
        self.equations(section, |s| s == Sym::loss());
        let previous = trace.steps.iter().find(|s| k > 0 && s.step == Some(k - 1));
        if let Some(previous) = previous {
            self.rise_note(loss_value(previous), loss_value(section), k);
        }
    }

    fn rise_note<S: Scalar>(&mut self, before: Option<S>, after: Option<S>, step: usize) {
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
    fn backward_stage<S: Scalar>(&mut self, trace: &Trace<S>, first: bool, section: &Section<S>) {
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
        if g.layer.activation == Activation::Linear {
            self.stage(
                Rich::text("Activation derivative: ")
                    .m("f′(z) = 1")
                    .t(" everywhere (linear), so ")
                    .m("δ = ∂L/∂y"),
            );
        } else {
            self.stage(Rich::text("Activation derivative ").m("f′(z)"));
            self.equations(section, |s| is(Sym::slope, s));
            self.slope_notes(g.layer.activation, section);
        }
        self.stage(Rich::math("δ = ∂L/∂z = ∂L/∂y ⊙ f′(z)"));
        self.entries(section, Sym::delta, "δ", shape);
    }

    fn slope_notes<S: Scalar>(&mut self, f: Activation, section: &Section<S>) {
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
                self.note(
                    2,
                    Rich::math(format!("{} < 0", names(dead.iter().copied())))
                        .t(": the ReLU is off there and ")
                        .m("f′ = 0")
                        .t(" blocks the gradient, so ")
                        .m(format!("{} = 0", names(dead.iter().map(|s| delta_of(*s)))))
                        .t(format!(" whatever the target; {one} nothing back to "))
                        .m("W")
                        .t("."),
                );
            }
            let zero = with_case(SlopeCase::AtZero);
            if !zero.is_empty() {
                self.note(
                    2,
                    Rich::math(format!("{} = 0", names(zero.iter().copied())))
                        .t(" exactly, where the ReLU has no derivative; this derivation uses ")
                        .c("relu_grad_at_zero")
                        .t(" ")
                        .m(format!("= {}", val(grad_at_zero)))
                        .t(" (PyTorch, JAX and micrograd use 0; set ")
                        .c(format!("relu_grad_at_zero: {}", u8::from(grad_at_zero == 0.0)))
                        .t(" for the other convention)."),
                );
            }
        }
        if matches!(f, Activation::Sigmoid | Activation::Tanh) {
            self.saturation_note(f, section);
        }
        if let Activation::LeakyRelu { slope } = f {
            let zero = with_case(SlopeCase::AtZero);
            if !zero.is_empty() {
                self.note(
                    2,
                    Rich::math(format!("{} = 0", names(zero.iter().copied())))
                        .t(" exactly: ")
                        .c("leaky_relu")
                        .t(" uses its slope ")
                        .m(approx(slope))
                        .t(" there, as PyTorch does."),
                );
            }
        }
    }

    /// Sigmoid and tanh outputs so close to their bounds that `f′`, computed from `y`, is 0.
    fn saturation_note<S: Scalar>(&mut self, f: Activation, section: &Section<S>) {
        let saturated: Vec<(Sym, Sym, S)> = section
            .equations
            .iter()
            .filter_map(|eq| match &eq.expr {
                Expr::Slope { z, y, .. } if eq.value == S::ZERO && z.value.is_finite() => {
                    Some((z.sym, y.sym, y.value))
                }
                _ => None,
            })
            .collect();
        if saturated.is_empty() {
            return;
        }
        let (name_f, formula) = match f {
            Activation::Sigmoid => ("sigmoid", "y·(1 − y)"),
            _ => ("tanh", "1 − y²"),
        };
        let ys: Vec<String> = saturated.iter().map(|(_, y, v)| quoted(*y, *v)).collect();
        let deltas = names(saturated.iter().map(|(z, ..)| delta_of(*z)));
        self.note(
            2,
            Rich::math(ys.join(", "))
                .t(" exactly: ")
                .c(name_f)
                .t(" is saturated there. Its true derivative is positive, but ")
                .m("y")
                .t(" has rounded to the bound in ")
                .c("f64")
                .t(", so ")
                .m(format!("f′ = {formula} = 0"))
                .t(", ")
                .m(format!("{deltas} = 0"))
                .t(", and the gradient vanishes: these outputs no longer move ")
                .m("W")
                .t("."),
        );
    }

    /// ∂L/∂W and ∂L/∂b.
    fn gradient_stage<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
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
    fn update_stage<S: Scalar>(&mut self, trace: &Trace<S>, section: &Section<S>) {
        let g = &trace.given;
        let bias = if g.bias.is_some() { ", b ← b − η·∂L/∂b" } else { "" };
        self.stage(Rich::text("Update: ").m(format!("W ← W − η·∂L/∂W{bias}")));
        self.entries(section, Sym::w, "W", g.filter.shape());
        self.equations(section, |s| s == Sym::b());
    }

    fn result<S: Scalar>(&mut self, trace: &Trace<S>, first_non_finite: Option<&NonFinite>) {
        let g = &trace.given;
        let taken = trace.taken;
        let plural = if taken == 1 { "" } else { "s" };
        self.push(Block::Section(Rich::text(match taken {
            0 => "Result: no step taken".to_owned(),
            _ => format!("Result after {taken} step{plural}"),
        })));
        if trace.stopped_early && taken > 0 {
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
            let trend = if !(before.is_finite() && after.is_finite()) {
                "not finite"
            } else if after < before {
                "decreased"
            } else if after > before {
                "increased"
            } else {
                "unchanged"
            };
            let (shown_before, shown_after) = compared(before, after);
            self.para(
                1,
                Rich::math(format!("L: {shown_before} → {shown_after}")).t(format!(" ({trend})")),
            );
            if taken > 0 {
                self.rise_note(trace.steps.last().and_then(loss_value), Some(after), taken);
            }
        }
        if taken > 1 {
            self.summary(trace);
        }
    }

    /// A note on the last forward pass when it holds a value that is not a finite number: the
    /// first one, if it appeared there, or else what carried it there.
    fn after_not_finite<S: Scalar>(&mut self, trace: &Trace<S>, first: Option<&NonFinite>) {
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
    fn summary<S: Scalar>(&mut self, trace: &Trace<S>) {
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

impl Doc {
    /// Backpropagation's gradient next to central differences, step by step.
    fn checks<S: Scalar>(&mut self, trace: &Trace<S>) {
        self.push(Block::Section(Rich::text("Check: finite differences")));
        self.para(
            1,
            Rich::text("Each gradient entry next to the central difference ")
                .m("(L(w + h) − L(w − h))/(2h)")
                .t(", with ")
                .m("L")
                .t(" computed by the same forward pass at the nudged parameter."),
        );
        let mut largest: Option<(S, Sym, usize)> = None;
        for check in &trace.checks {
            self.check(trace, check);
            for entry in check.entries.iter().filter(|e| e.kink.is_none() && compared_finite(e)) {
                if largest.is_none_or(|(d, ..)| entry.difference > d) {
                    largest = Some((entry.difference, entry.grad.sym, check.step));
                }
            }
        }
        match largest {
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

    fn check<S: Scalar>(&mut self, trace: &Trace<S>, check: &GradientCheck<S>) {
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
            let f = describe_kink(trace.given.layer.activation);
            for (sym, z) in kinked {
                self.note(
                    3,
                    Rich::math(name(sym))
                        .t(": ")
                        .m(quoted(z.sym, z.value))
                        .t(format!(" is within reach of {f} when the parameter moves by "))
                        .m("±h")
                        .t(", so the central difference straddles the kink and is not compared."),
                );
            }
        }
    }

    /// The learner's recipes on the first step's numbers, each with the loss it leads to.
    fn mistakes<S: Scalar>(&mut self, trace: &Trace<S>) {
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
    fn comparison_not_finite<S: Scalar>(&mut self, trace: &Trace<S>) {
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

    fn mistake<S: Scalar>(&mut self, trace: &Trace<S>, k: usize, mistake: &Mistake<S>) {
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
fn compared_finite<S: Scalar>(e: &crate::trace::CheckedEntry<S>) -> bool {
    [e.grad.value, e.loss_plus, e.loss_minus, e.central, e.difference].iter().all(|v| v.is_finite())
}

/// A recipe's name, in its section's heading and in the comparison table.
fn recipe_name(recipe: Recipe) -> &'static str {
    match recipe {
        Recipe::SignFlip => "the sign",
        Recipe::NoActivationDerivative => "no activation derivative",
        Recipe::FlippedKernel => "the filter gradient flipped",
    }
}

fn describe_kink(f: Activation) -> &'static str {
    match f {
        Activation::LeakyRelu { .. } => "leaky_relu's kink at 0",
        _ => "relu's kink at 0",
    }
}

/// The filter and bias as they stand after the last update (or as given, with no step).
struct Final<S> {
    filter: Grid<S>,
    /// Whether an update of the filter was approximate.
    filter_approx: bool,
    /// The bias, if the layer has one.
    bias: Option<S>,
}

fn final_params<S: Scalar>(trace: &Trace<S>) -> Final<S> {
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
fn first_non_finite<S: Scalar>(trace: &Trace<S>) -> Option<NonFinite> {
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
