//! `arithmetic: float | exact`: the number type a spec computes in.
//!
//! An exact spec expands to the same code as a float one, through the path
//! `__private::exact`, whose `f64` is the exact `Rational`: only numbers are written
//! differently. A number literal becomes the decimal it is written as (`0.1` is
//! `decimal(1, -1)`, 1/10, never an `f64`), and a value given as an `f64` expression is lifted
//! to its shortest decimal. Which of the two a number is written as is a property of the whole
//! expansion, so it is kept here for the expansion's duration rather than passed through every
//! generator of code.

use core::cell::RefCell;

use proc_macro2::{Literal as Lit, TokenStream};
use quote::{quote, quote_spanned};
use syn::Expr;

use crate::ast;
use crate::errors::Errors;
use crate::valid::{Number, bare_name, choice, decimal_of, literal_number};

/// The values of `arithmetic`.
const ARITHMETICS: &[&str] = &["float", "exact"];

std::thread_local! {
    /// The path of an exact expansion's helpers (`$crate::__private::exact`) while one is
    /// being generated.
    static EXACT: RefCell<Option<TokenStream>> = const { RefCell::new(None) };
}

/// Whether the spec asks for `arithmetic: exact`; a value that is neither is reported.
pub(crate) fn read(parsed: &ast::Spec, errors: &mut Errors) -> bool {
    parsed.entries.iter().filter(|e| e.key == "arithmetic").fold(false, |exact, e| {
        exact | (choice(&e.value, "arithmetic", ARITHMETICS, errors) == Some("exact"))
    })
}

/// Runs `generate` with numbers written for `exact` arithmetic or not, the generated code
/// naming the library by `krate`.
pub(crate) fn expanding<R>(krate: &TokenStream, exact: bool, generate: impl FnOnce() -> R) -> R {
    let before = EXACT.replace(exact.then(|| quote!(#krate::__private::exact)));
    let result = generate();
    EXACT.set(before);
    result
}

/// Whether the code being generated is an exact spec's.
pub(crate) fn exact() -> bool {
    EXACT.with_borrow(Option::is_some)
}

/// The path of what the generated code calls: `$crate::__private`, or its `exact` module.
pub(crate) fn private(krate: &TokenStream) -> TokenStream {
    EXACT.with_borrow(Clone::clone).unwrap_or_else(|| quote!(#krate::__private))
}

/// A number literal as the code of the arithmetic being generated: `1.5f64`, or the exact
/// `decimal(15, -1)` (a literal of more digits than that can hold is a compile error at it).
pub(crate) fn literal(n: Number, float: TokenStream) -> TokenStream {
    let Some(private) = EXACT.with_borrow(Clone::clone) else {
        return float;
    };
    if let Some((mantissa, exponent)) = n.decimal {
        let (m, e) = (Lit::i128_suffixed(mantissa), Lit::i32_suffixed(exponent));
        quote_spanned!(n.span=> #private::decimal(#m, #e))
    } else {
        quote_spanned! {n.span=>
            ::core::compile_error!("with `arithmetic: exact` a number literal has at most 38 significant digits")
        }
    }
}

/// An `f64` expression as the value of the arithmetic being generated: as it is, or lifted
/// to the exact value of its shortest decimal.
pub(crate) fn expression(code: TokenStream) -> TokenStream {
    match EXACT.with_borrow(Clone::clone) {
        Some(private) => quote!(#private::lift(#code)),
        None => code,
    }
}

/// Why a function is not rational, and what to use instead: for the errors of an exact spec.
fn irrational(name: &str) -> Option<String> {
    let why = match name {
        "sigmoid" => "σ(z) = 1/(1 + e^(−z)) is irrational for every rational z other than 0",
        "tanh" => "tanh(z) is irrational for every rational z other than 0",
        "softmax_cross_entropy" => {
            "its softmax divides powers of e, and its loss takes logarithms: neither is rational"
        }
        _ => return None,
    };
    let instead = if name == "softmax_cross_entropy" {
        "a squared loss (`half_sse`, `sse` or `mse`) against a one-hot target"
    } else {
        "`relu`, `leaky_relu(α)` or no activation (`linear` for a single layer)"
    };
    Some(format!(
        "`{name}` cannot be computed with `arithmetic: exact`: {why}. Use {instead}, or remove `arithmetic: exact` to compute in f64"
    ))
}

/// The errors of an exact spec beyond its grammar: sigmoid, tanh and a softmax cross-entropy,
/// at their tokens, and a leaky ReLU slope with more digits than its `f64` setting keeps.
pub(crate) fn check(parsed: &ast::Spec, errors: &mut Errors) {
    long_literals(parsed, errors);
    for entry in &parsed.entries {
        let value = &entry.value;
        let name = bare_name(value).or_else(|| called(value).map(|(name, _)| name));
        if (entry.key == "activation" || entry.key == "loss")
            && let Some(message) = name.as_deref().and_then(irrational)
        {
            errors.at(value, message);
        }
        if entry.key == "activation"
            && let Some((name, args)) = called(value)
            && let [slope] = args.as_slice()
            && name == "leaky_relu"
        {
            slope_digits(slope, errors);
        }
    }
    for layers in &parsed.layers {
        for op in &layers.ops {
            let name = op.name.to_string();
            if let Some(message) = irrational(&name) {
                errors.at(&op.name, message);
            }
            if let ast::Body::Args(_, args) = &op.body
                && name == "leaky_relu"
                && let [slope] = args.as_slice()
            {
                slope_digits(slope, errors);
            }
        }
    }
}

/// Every number literal of the spec, its layers' settings included, with more digits than an
/// exact spec reads: an error at the literal.
fn long_literals(spec: &ast::Spec, errors: &mut Errors) {
    fn walk(expr: &Expr, errors: &mut Errors) {
        if let Some(Ok(n)) = literal_number(expr) {
            if n.decimal.is_none() {
                errors.at(expr, "with `arithmetic: exact` a number literal is read as the decimal it is written as, and this one has more than 38 significant digits: write it with fewer");
            }
            return;
        }
        match crate::valid::ungroup(expr) {
            Expr::Array(a) => a.elems.iter().for_each(|e| walk(e, errors)),
            Expr::Tuple(t) => t.elems.iter().for_each(|e| walk(e, errors)),
            Expr::Repeat(r) => walk(&r.expr, errors),
            Expr::Call(c) => c.args.iter().for_each(|e| walk(e, errors)),
            _ => {}
        }
    }
    for entry in &spec.entries {
        walk(&entry.value, errors);
    }
    for example in spec.examples.iter().flat_map(|e| &e.items) {
        long_literals(&example.spec, errors);
    }
    for layers in &spec.layers {
        for op in &layers.ops {
            match &op.body {
                ast::Body::Settings(_, settings) => long_literals(settings, errors),
                ast::Body::Args(_, args) => args.iter().for_each(|e| walk(e, errors)),
                ast::Body::Bare | ast::Body::Malformed => {}
            }
        }
    }
}

/// `name(args)` of a call such as `leaky_relu(0.1)`.
fn called(value: &Expr) -> Option<(String, Vec<&Expr>)> {
    let Expr::Call(call) = crate::valid::ungroup(value) else { return None };
    let name = bare_name(&call.func)?;
    Some((name, call.args.iter().collect()))
}

/// A leaky ReLU's slope is kept as an `f64` setting and read back exactly as its shortest
/// decimal: a literal of more significant digits than that is an error, not a silent rounding.
fn slope_digits(slope: &Expr, errors: &mut Errors) {
    let Some(Ok(n)) = literal_number(slope) else { return };
    let Some(written) = n.decimal else { return };
    if Some(normalized(written)) != shortest(n.value).map(normalized) {
        errors.at(
            slope,
            format!(
                "with `arithmetic: exact` a leaky ReLU's slope is read exactly, but this one has more digits than its setting keeps (it would be {}): write at most 15 significant digits",
                n.value
            ),
        );
    }
}

/// The shortest decimal of `value` as `(mantissa, exponent)`, read as a literal's digits are.
fn shortest(value: f64) -> Option<(i128, i32)> {
    decimal_of(&format!("{:e}", value.abs()), value < 0.0)
}

/// The same decimal without trailing zeros in its mantissa.
fn normalized((mut mantissa, mut exponent): (i128, i32)) -> (i128, i32) {
    if mantissa == 0 {
        return (0, 0);
    }
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    (mantissa, exponent)
}
