//! Collecting every error of a spec, so that the user sees them all at once.

use core::fmt::Display;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// The errors found so far; like `serde_derive`'s `Ctxt`, but it cannot be forgotten: the only
/// way to get the expansion out is [`Errors::finish`].
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Whether no error has been found.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// An error spanning all of `tokens` (the whole row, the whole key and value…).
    pub(crate) fn at(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error at one span.
    pub(crate) fn at_span(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// The expansion if nothing went wrong; otherwise a block of `compile_error!`s, which is a
    /// valid expression (and `const` initializer) wherever the macro was called.
    pub(crate) fn finish(self, expansion: impl FnOnce() -> TokenStream) -> TokenStream {
        match self.0 {
            None => expansion(),
            Some(error) => {
                let errors = error.to_compile_error();
                quote!({ #errors })
            }
        }
    }
}
