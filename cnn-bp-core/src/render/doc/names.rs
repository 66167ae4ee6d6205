//! How quantities are named: `x[0,1]`, `z⁽⁰⁾[f,p,q]`, `∂L/∂w[i,j]`, `f′(z[0,0])`.

use crate::layer::Scale;
use crate::trace::{Name, Sym};

pub(crate) fn name(sym: Sym) -> String {
    let mut out = String::new();
    write_name(&mut out, sym);
    out
}

pub(super) fn write_name(out: &mut String, sym: Sym) {
    // An example's loss and its gradients: `L₂`, `∂L₂/∂w`.
    if let Some(n) = sym.example()
        && matches!(sym.name, Name::Loss | Name::GradW | Name::GradB)
    {
        let gradient = sym.name != Name::Loss;
        out.push_str(if gradient { "∂L" } else { "L" });
        push_subscript(out, n + 1);
        out.push_str(match sym.name {
            Name::GradW => "/∂w",
            Name::GradB => "/∂b",
            _ => "",
        });
        return write_marks(out, sym);
    }
    out.push_str(match sym.name {
        Name::X => "x",
        Name::W => "w",
        Name::B => "b",
        Name::T => "t",
        Name::Z => "z",
        Name::Y => "y",
        Name::Dy => "∂L/∂y",
        Name::Slope => "f′(z",
        Name::SlopeY => "f′(y",
        Name::SlopeX => "f′(x",
        Name::SlopeV => "f′(v",
        Name::Delta => "δ",
        Name::GradW => "∂L/∂w",
        Name::GradB => "∂L/∂b",
        Name::Loss => "L",
        // A learner's error `t − y`, or a softmax's `exp(z − m)`: never in one derivation.
        Name::Error | Name::Exp => "e",
        Name::Signal => "δ̃",
        // A recipe's filter gradient, or an upstream gradient: `g` either way.
        Name::G | Name::Upstream => "g",
        Name::GB => "g_b",
        Name::Dx => "∂L/∂x",
        Name::V => "v",
        Name::Dv => "∂L/∂v",
        Name::Shift => "m",
        Name::Partition => "S",
        Name::Prob => "p",
        Name::LogProb => "log p",
    });
    write_marks(out, sym);
}

/// A name's layer mark and indices.
fn write_marks(out: &mut String, sym: Sym) {
    if sym.shows_layer() {
        out.push('⁽');
        crate::number::push_superscript(i32::from(sym.layer), out);
        out.push('⁾');
    }
    for (k, i) in sym.indices().enumerate() {
        out.push(if k == 0 { '[' } else { ',' });
        push_index(out, i);
    }
    if sym.indices().next().is_some() {
        out.push(']');
    }
    if matches!(sym.name, Name::Slope | Name::SlopeY | Name::SlopeX | Name::SlopeV) {
        out.push(')');
    }
}

/// Appends a whole number as subscript digits: `₁₂`.
fn push_subscript(out: &mut String, n: usize) {
    if n >= 10 {
        push_subscript(out, n / 10);
    }
    out.push(char::from_u32(0x2080 + u32::try_from(n % 10).unwrap_or(0)).unwrap_or('?'));
}

/// Appends a whole number: names are written very often, and `fmt` is slow at it.
pub(super) fn push_index(out: &mut String, n: usize) {
    if n >= 10 {
        push_index(out, n / 10);
    }
    out.push(char::from(b'0' + u8::try_from(n % 10).unwrap_or(0)));
}

pub(crate) fn names(syms: impl IntoIterator<Item = Sym>) -> String {
    let all: Vec<String> = syms.into_iter().map(name).collect();
    match all.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub(super) fn scale_prefix(scale: Scale) -> String {
    match (scale.num, scale.den) {
        (1, 2) => "½".to_owned(),
        (n, 1) => n.to_string(),
        (n, d) => format!("({n}/{d})"),
    }
}
