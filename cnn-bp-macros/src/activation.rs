//! The activations `train!` knows, in one place: their names in both grammars (a single
//! layer's `activation:` and a network's layers), the argument `leaky_relu` takes and
//! `relu_grad_at_zero`, how a written one is read and checked, and the op of
//! `cnn_bp_core::ops` each expands to.

use proc_macro2::{Literal as Lit, TokenStream};
use quote::quote;
use syn::Expr;

use crate::ast;
use crate::errors::Errors;
use crate::valid::{bare_name, choice, count_of, number, shown, ungroup};

/// An activation as written: `relu`, `leaky_relu(0.01)`, …
#[derive(Clone, Copy, Default, PartialEq)]
pub(crate) enum Activation {
    #[default]
    Relu,
    Linear,
    Sigmoid,
    Tanh,
    LeakyRelu(f64),
}

/// The values of a single layer's `activation:`, as its errors list them.
const NAMES: &[&str] = &["relu", "linear", "sigmoid", "tanh", "leaky_relu"];

/// The activations that are layers of a network (the identity is not), as its errors list
/// them.
pub(crate) const LAYERS: &[&str] = &["relu", "leaky_relu", "sigmoid", "tanh"];

impl Activation {
    /// Its name, without an argument.
    const fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Linear => "linear",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::LeakyRelu(_) => "leaky_relu",
        }
    }

    /// The one called `name` that takes no argument: `None` for `leaky_relu`, which needs its
    /// slope, and for a name that is no activation.
    pub(crate) fn bare(name: &str) -> Option<Self> {
        [Self::Relu, Self::Linear, Self::Sigmoid, Self::Tanh].into_iter().find(|a| a.name() == name)
    }

    /// Whether `relu_grad_at_zero` applies to it.
    pub(crate) fn takes_grad_at_zero(self) -> bool {
        self == Self::Relu
    }

    /// As a chain of shapes writes it: `relu`, `leaky_relu(0.1)`.
    pub(crate) fn written(self) -> String {
        match self {
            Self::LeakyRelu(slope) => format!("{}({slope})", self.name()),
            _ => self.name().to_owned(),
        }
    }

    /// The op it runs as, under the path `ops`: its type (`ops::Relu`) and its value
    /// (`ops::Relu { grad_at_zero: 0f64 }`).
    pub(crate) fn op(self, ops: &TokenStream, grad_at_zero: f64) -> (TokenStream, TokenStream) {
        let (name, settings) = match self {
            Self::Relu => {
                let g = Lit::f64_suffixed(grad_at_zero);
                (quote!(Relu), quote!({ grad_at_zero: #g }))
            }
            Self::Linear => (quote!(Linear), quote!()),
            Self::Sigmoid => (quote!(Sigmoid), quote!()),
            Self::Tanh => (quote!(Tanh), quote!()),
            Self::LeakyRelu(slope) => {
                let slope = Lit::f64_suffixed(slope);
                (quote!(LeakyRelu), quote!({ slope: #slope }))
            }
        };
        (quote!(#ops::#name), quote!(#ops::#name #settings))
    }
}

/// A single layer's `activation: …`.
pub(crate) fn spec(value: &Expr, errors: &mut Errors) -> Option<Activation> {
    if let Expr::Call(call) = ungroup(value) {
        let callee = bare_name(&call.func);
        if callee.as_deref() != Some("leaky_relu") {
            let name = callee.unwrap_or_else(|| shown(&call.func));
            errors.at(value, format!("only `leaky_relu` takes an argument, like `leaky_relu(0.01)`; write `{name}` without parentheses if you meant it"));
            return None;
        }
        if call.args.len() != 1 {
            errors.at(
                value,
                "`leaky_relu` takes one argument, its slope for z < 0, like `leaky_relu(0.01)`",
            );
            return None;
        }
        return leaky_slope(&call.args[0], errors).map(Activation::LeakyRelu);
    }
    let found = Activation::bare(choice(value, "activation", NAMES, errors)?);
    if found.is_none() {
        errors.at(value, "`leaky_relu` needs its slope for z < 0, like `leaky_relu(0.01)`");
    }
    found
}

/// An activation layer of a network, one of [`LAYERS`]: `relu`, `leaky_relu(α)`, `sigmoid`,
/// `tanh`.
pub(crate) fn layer(op: &ast::Layer, errors: &mut Errors) -> Option<Activation> {
    let name = op.name.to_string();
    match (&op.body, name.as_str()) {
        (ast::Body::Malformed, _) => None,
        (ast::Body::Bare, _) => {
            let found = Activation::bare(&name);
            if found.is_none() {
                errors.at(
                    &op.tokens,
                    "`leaky_relu` needs its slope α for z < 0, like `leaky_relu(0.01)`",
                );
            }
            found
        }
        (ast::Body::Args(_, args), "leaky_relu") => {
            if let [slope] = args.as_slice() {
                leaky_slope(slope, errors).map(Activation::LeakyRelu)
            } else {
                errors.at(
                    &op.tokens,
                    format!(
                        "`leaky_relu` takes one argument, its slope α for z < 0, like `leaky_relu(0.01)`, not {}",
                        count_of(args.len(), "argument")
                    ),
                );
                None
            }
        }
        (ast::Body::Args(group, _), _) => {
            let hint = if name == "relu" {
                "; its derivative at 0 is the spec's `relu_grad_at_zero: 1` (0 by default), and a slope below 0 is `leaky_relu(α)`"
            } else {
                ""
            };
            errors.at(group, format!("`{name}` takes no argument: write `{name}`{hint}"));
            None
        }
        (ast::Body::Settings(group, _), "leaky_relu") => {
            errors.at(group, "`leaky_relu`'s slope goes in parentheses: `leaky_relu(0.01)`");
            None
        }
        (ast::Body::Settings(group, _), _) => {
            errors.at(group, format!("`{name}` has no settings: write `{name}`"));
            None
        }
    }
}

/// The slope `α` of `leaky_relu(α)`: a positive number literal.
fn leaky_slope(arg: &Expr, errors: &mut Errors) -> Option<f64> {
    let slope = number(arg).map_err(|error| errors.push(error)).ok()?.value;
    if slope <= 0.0 {
        errors.at(arg, format!("the slope of `leaky_relu` must be positive, like `leaky_relu(0.01)`, not {}; for 0 use `relu`", shown(arg)));
        return None;
    }
    Some(slope)
}

/// The value of `relu_grad_at_zero`: 0 or 1.
pub(crate) fn grad_at_zero(value: &Expr, errors: &mut Errors) -> Option<f64> {
    let n = number(value).map_err(|error| errors.push(error)).ok()?;
    if n.value != 0.0 && n.value != 1.0 {
        errors.at(value, format!("`relu_grad_at_zero` is the derivative used where z = 0 exactly: 0 (as PyTorch, JAX and micrograd) or 1, not {}", shown(value)));
        return None;
    }
    Some(n.value)
}
