//! The `matrix!` and `train!` macros of cnn-bp. Depend on `cnn-bp-core`, which re-exports
//! them with their documentation and examples; this crate alone is not usable.
//!
//! The work is split the way thiserror's is: `ast` parses syntax only, `valid` checks
//! values and shapes and reports every problem as a spanned error, `expand` generates code.
#![forbid(unsafe_code)]

mod ast;
mod errors;
mod expand;
mod suggest;
mod valid;

use proc_macro::TokenStream;

/// A matrix literal as a `[[f64; C]; R]` expression; see `cnn_bp_core::matrix!`.
#[proc_macro]
pub fn matrix(tokens: TokenStream) -> TokenStream {
    expand::matrix(tokens.into()).into()
}

/// Trains one convolutional layer and records the derivation; see `cnn_bp_core::train!`.
#[proc_macro]
pub fn train(tokens: TokenStream) -> TokenStream {
    expand::train(tokens.into()).into()
}

#[cfg(test)]
mod tests;
