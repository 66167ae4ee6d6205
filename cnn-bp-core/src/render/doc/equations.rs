//! One equation as printed: its operands' names first where they help, its numbers, its result
//! with `=` or `≈`, and why.

use super::Eq;

use crate::layer::Scale;
use crate::number::SIGNIFICANT_DIGITS;
use crate::ops::SlopeCase;
use crate::render::exact;
use crate::scalar::Scalar;
use crate::trace::{Equation, Expr, Name, Operand, Term};

use super::names::{name, scale_prefix, write_name};
use super::numbers::{Place, factor_at, num_at, push_number, quoted};
use super::{Form, Rich};

/// How a term is written: with numbers (with so many significant digits where they are
/// rounded), or with the names of its operands.
#[derive(Clone, Copy)]
pub(super) enum Style {
    Numbers(usize),
    Names,
}

/// Appends an operand: its name, or its value with the brackets its place needs.
pub(super) fn operand<S: Scalar>(out: &mut String, op: &Operand<S>, style: Style, place: Place) {
    match style {
        Style::Names => write_name(out, op.sym),
        Style::Numbers(digits) => push_number(out, op.value, digits, place),
    }
}

pub(super) fn term<S: Scalar>(out: &mut String, term: &Term<S>, style: Style, alone: bool) {
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

pub(super) fn sum<S: Scalar>(scale: Scale, terms: &[Term<S>], style: Style) -> String {
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
        match t {
            // A single value after the factor `(1/4)·` is a factor itself: bracketed where
            // negative or written with a power of ten.
            Term::Single(a) if !scale.is_one() && terms.len() == 1 => {
                operand(&mut out, a, style, Place::Factor);
            }
            _ => term(&mut out, t, style, alone),
        }
    }
    if bracket {
        out.push(']');
    }
    out
}

/// The right-hand side of an equation with symbols only.
pub(super) fn symbolic<S: Scalar>(eq: &Equation<S>) -> String {
    match &eq.expr {
        Expr::Sum { scale, terms } => sum(*scale, terms, Style::Names),
        Expr::Activate { f, z } => f.formula(&name(z.sym)),
        Expr::Slope { f, z, y, .. } => f.slope_formula(&name(z.sym), &name(y.sym)),
        Expr::Update { param, grad, .. } => format!("{} − η·{}", name(param.sym), name(grad.sym)),
        Expr::Max { of, .. } => max(of, Style::Names),
        Expr::Exp { z, shift } => exp(z, shift, Style::Names),
        Expr::Ratio { num, den } => ratio(num, den, Style::Names),
        Expr::CrossEntropy { terms } => cross_entropy(terms, Style::Names),
        Expr::LogSoftmax { z, shift, sum } => log_softmax(z, shift, sum, Style::Names),
        Expr::CrossEntropyOfLogs { terms } => cross_entropy_of_logs(terms, Style::Names),
    }
}

/// `z − m − log(S)`.
fn log_softmax<S: Scalar>(
    z: &Operand<S>,
    shift: &Operand<S>,
    sum: &Operand<S>,
    style: Style,
) -> String {
    let mut out = String::new();
    operand(&mut out, z, style, Place::Alone);
    out.push_str(" − ");
    operand(&mut out, shift, style, Place::Signed);
    out.push_str(" − log(");
    operand(&mut out, sum, style, Place::Alone);
    out.push(')');
    out
}

/// `−[t[1]·log p[1] + …]` of log-probabilities.
fn cross_entropy_of_logs<S: Scalar>(terms: &[(Operand<S>, Operand<S>)], style: Style) -> String {
    let mut out = String::from("−");
    let bracket = terms.len() > 1;
    if bracket {
        out.push('[');
    }
    for (k, (t, l)) in terms.iter().enumerate() {
        if k > 0 {
            out.push_str(" + ");
        }
        operand(&mut out, t, style, Place::Factor);
        out.push('·');
        operand(&mut out, l, style, Place::Factor);
    }
    if bracket {
        out.push(']');
    }
    out
}

/// `max(a, b, …)`.
fn max<S: Scalar>(of: &[Operand<S>], style: Style) -> String {
    let mut out = String::from("max(");
    for (k, op) in of.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        operand(&mut out, op, style, Place::Alone);
    }
    out.push(')');
    out
}

/// `exp(z − m)`.
fn exp<S: Scalar>(z: &Operand<S>, shift: &Operand<S>, style: Style) -> String {
    let mut out = String::from("exp(");
    operand(&mut out, z, style, Place::Alone);
    out.push_str(" − ");
    operand(&mut out, shift, style, Place::Signed);
    out.push(')');
    out
}

/// `a/b`.
fn ratio<S: Scalar>(num: &Operand<S>, den: &Operand<S>, style: Style) -> String {
    let mut out = String::new();
    operand(&mut out, num, style, Place::Factor);
    out.push('/');
    operand(&mut out, den, style, Place::Factor);
    out
}

/// `−[t[0]·log(p[0]) + t[1]·log(p[1])]`, or `−t[0]·log(p[0])` of one term.
fn cross_entropy<S: Scalar>(terms: &[(Operand<S>, Operand<S>)], style: Style) -> String {
    let mut out = String::from("−");
    let bracket = terms.len() > 1;
    if bracket {
        out.push('[');
    }
    for (k, (t, p)) in terms.iter().enumerate() {
        if k > 0 {
            out.push_str(" + ");
        }
        operand(&mut out, t, style, Place::Factor);
        out.push_str("·log(");
        operand(&mut out, p, style, Place::Alone);
        out.push(')');
    }
    if bracket {
        out.push(']');
    }
    out
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
            // A gradient flowing back to a layer's input: a sum of `δ·w` over the windows
            // that covered the entry.
            let flows_back = matches!(eq.lhs.name, Name::Dx | Name::Dy | Name::Delta | Name::Dv)
                && terms.iter().all(|t| {
                    matches!(t, Term::Product(a, b) if a.sym.name == Name::W || b.sym.name == Name::W)
                });
            if terms.is_empty() {
                out.chain.push("0".to_owned());
                out.result = None;
                out.reason = Some(Rich::text(if flows_back {
                    "no window of the layer after it covers this entry"
                } else {
                    "the window lies entirely on zero padding"
                }));
                return out;
            }
            let named = flows_back
                || matches!(eq.lhs.name, Name::Z | Name::GradW | Name::GradB | Name::Partition)
                // A pooling window's mean, and the gradients windows send back.
                || (matches!(eq.lhs.name, Name::Y | Name::Dx | Name::Dy | Name::Delta | Name::Dv)
                    && terms.iter().all(|t| matches!(t, Term::Single(_)))
                    && (!scale.is_one()
                        || terms.iter().all(
                            |t| matches!(t, Term::Single(d) if d.sym.name == Name::Dy),
                        )));
            // An upstream gradient taken as given: `δ[0,0] = g[0,0] = 1`.
            if let [Term::Single(g)] = terms.as_slice()
                && g.sym.name == Name::Upstream
                && scale.is_one()
            {
                out.chain.push(name(g.sym));
                return out;
            }
            // A value passed on as it is: `∂L/∂b[0] = δ[0] ≈ 0.25`, its number said once.
            if let [Term::Single(d)] = terms.as_slice()
                && scale.is_one()
                && matches!(d.sym.name, Name::Delta | Name::Dy | Name::Exp)
                && matches!(
                    eq.lhs.name,
                    Name::GradB | Name::Dx | Name::Dy | Name::Delta | Name::Dv | Name::Partition
                )
            {
                out.chain.push(name(d.sym));
                return out;
            }
            if named && form == Form::Numeric {
                out.named = Some(sum(*scale, terms, Style::Names));
            }
            out.chain.push(sum(*scale, terms, numbers));
        }
        Expr::Activate { f, z } => f.work_out(z.value, digits, &mut out.chain),
        Expr::Slope { f, z, y, case } => {
            if *case == SlopeCase::Smooth && f.slope_from_output() {
                // A network names the layer's output; a single layer has one `y`.
                let y_name = if eq.lhs.shows_layer() { name(y.sym) } else { "y".to_owned() };
                f.work_out_slope(&y_name, y.value, digits, &mut out.chain);
            }
            out.reason = f.slope_reason(*case, &quoted(z.sym, z.value));
        }
        Expr::Max { .. }
        | Expr::Exp { .. }
        | Expr::Ratio { .. }
        | Expr::CrossEntropy { .. }
        | Expr::LogSoftmax { .. }
        | Expr::CrossEntropyOfLogs { .. } => {
            worked(&eq.expr, form, numbers, &mut out);
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

/// The new ops' expressions worked out: the names first (in the numeric form), then the numbers.
fn worked<S: Scalar>(expr: &Expr<S>, form: Form, numbers: Style, out: &mut Eq) {
    let named = |text: String| (form == Form::Numeric).then_some(text);
    match expr {
        Expr::Max { of, pick } => {
            out.named = named(max(of, Style::Names));
            out.chain.push(max(of, numbers));
            let ties: Vec<_> =
                of.iter().filter(|o| o.value == of[*pick].value).map(|o| o.sym).collect();
            if ties.len() > 1 {
                out.reason = Some(
                    Rich::text("a tie between ")
                        .m(super::names::names(ties))
                        .t("; the first, ")
                        .m(name(of[*pick].sym))
                        .t(", is taken"),
                );
            }
        }
        Expr::Exp { z, shift } => {
            out.named = named(exp(z, shift, Style::Names));
            out.chain.push(exp(z, shift, numbers));
        }
        Expr::Ratio { num, den } => {
            out.named = named(ratio(num, den, Style::Names));
            out.chain.push(ratio(num, den, numbers));
        }
        Expr::CrossEntropy { terms } => {
            out.named = named(cross_entropy(terms, Style::Names));
            out.chain.push(cross_entropy(terms, numbers));
        }
        Expr::LogSoftmax { z, shift, sum } => {
            out.named = named(log_softmax(z, shift, sum, Style::Names));
            out.chain.push(log_softmax(z, shift, sum, numbers));
        }
        Expr::CrossEntropyOfLogs { terms } => {
            out.named = named(cross_entropy_of_logs(terms, Style::Names));
            out.chain.push(cross_entropy_of_logs(terms, numbers));
        }
        _ => {}
    }
}

/// `lhs = symbolic`: the symbols-only form of an equation.
pub(super) fn symbolic_equation<S: Scalar>(eq: &Equation<S>) -> Eq {
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
