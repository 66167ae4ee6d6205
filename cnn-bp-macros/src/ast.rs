//! Syntax only: the token trees of `matrix!` and `train!` as syn expressions, nothing checked.
//!
//! A syntax error in one entry of a spec does not hide the others: the parser records it and
//! resumes at the next entry.

use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

use crate::errors::Errors;

/// The rows of `matrix![[…], […]]`, without the outer brackets.
pub(crate) fn matrix_rows(tokens: TokenStream) -> syn::Result<Punctuated<Expr, Token![,]>> {
    parse_to_last_token(tokens, Punctuated::parse_terminated).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("{e}: a matrix is rows of comma-separated numbers, like `[[1, 2], [3, 4]]`"),
        )
    })
}

/// Splits the library's path, passed as a leading `($crate)` by `cnn_bp_core::train!`, from
/// the spec; a spec on its own (it starts with a key, never a group) gets `::cnn_bp_core`.
/// A leading group that is not a path is left to the spec, which reports it, rather than
/// taken for the path and pasted into code that cannot parse.
pub(crate) fn crate_path(tokens: TokenStream) -> (TokenStream, TokenStream) {
    let mut trees = tokens.into_iter().peekable();
    match trees.peek() {
        Some(TokenTree::Group(group))
            if group.delimiter() == Delimiter::Parenthesis
                && syn::Path::parse_mod_style.parse2(group.stream()).is_ok() =>
        {
            let path = group.stream();
            trees.next();
            (path, trees.collect())
        }
        _ => (quote::quote!(::cnn_bp_core), trees.collect()),
    }
}

/// `key: value` of a `train!` spec.
pub(crate) struct Entry {
    pub key: Ident,
    pub value: Expr,
}

/// The entries of a spec that parsed, and the keys of those that did not: those are
/// malformed, not missing, and have been reported already.
#[derive(Default)]
pub(crate) struct Spec {
    pub entries: Vec<Entry>,
    pub malformed: Vec<String>,
}

/// Parses `key: value, …`, recording syntax errors and skipping the entries they are in.
pub(crate) fn spec(tokens: TokenStream, errors: &mut Errors) -> Spec {
    let parser = |input: ParseStream| {
        let mut spec = Spec::default();
        while !input.is_empty() {
            let key = input.call(Ident::parse_any).map_err(|e| {
                let message = "expected a key such as `input`, `filter`, `target` or `lr`";
                // The whole token, `(2)` rather than its `(`.
                match input.cursor().token_tree() {
                    Some((tree, _)) => syn::Error::new_spanned(tree, message),
                    None => syn::Error::new(e.span(), message),
                }
            });
            let parsed = key.and_then(|key| match value(input, &key) {
                Ok(value) => Ok(Entry { key, value }),
                Err(error) => {
                    spec.malformed.push(key.to_string());
                    Err(error)
                }
            });
            match parsed {
                Ok(entry) => spec.entries.push(entry),
                Err(error) => {
                    errors.push(error);
                    skip_to_entry(input);
                    continue;
                }
            }
            if input.is_empty() {
                break;
            }
            if let Err(error) = input.parse::<Token![,]>() {
                errors.push(syn::Error::new(
                    error.span(),
                    "expected `,` between entries, like `lr: 0.5, steps: 2`",
                ));
                skip_to_entry(input);
            }
        }
        Ok(spec)
    };
    // The parser above never fails: every error is recorded and skipped.
    parse_to_last_token(tokens, parser).unwrap_or_default()
}

/// Parses all of `tokens` with `parser`, so that an error at their end ("unexpected end of
/// input", a key without its value) points at their last token. syn reports the end of the
/// tokens it is given at the whole macro call, which in a long spec says nothing; the end of
/// a group's contents it reports at the closing delimiter. So the tokens are parsed as the
/// contents of a group whose delimiters have the last token's span.
fn parse_to_last_token<T>(
    tokens: TokenStream,
    parser: impl FnOnce(ParseStream) -> syn::Result<T>,
) -> syn::Result<T> {
    let end = match tokens.clone().into_iter().last() {
        None => return parser.parse2(tokens),
        Some(TokenTree::Group(group)) => group.span_close(),
        Some(last) => last.span(),
    };
    let mut group = Group::new(Delimiter::Parenthesis, tokens);
    group.set_span(end);
    let in_group = |input: ParseStream| {
        let content;
        syn::parenthesized!(content in input);
        parser(&content)
    };
    in_group.parse2(TokenTree::Group(group).into())
}

/// `: value` after `key`.
fn value(input: ParseStream, key: &Ident) -> syn::Result<Expr> {
    if input.peek(Token![=]) {
        let eq: Token![=] = input.parse()?;
        return Err(syn::Error::new(eq.span, format!("write `{key}: …` with a colon, not `=`")));
    }
    input.parse::<Token![:]>().map_err(|e| {
        syn::Error::new(e.span(), format!("expected `:` after `{key}`, like `{key}: …`"))
    })?;
    if input.is_empty() || input.peek(Token![,]) {
        return Err(syn::Error::new(input.span(), format!("expected a value after `{key}:`")));
    }
    input.parse()
}

/// Skips to the next entry: to just after the next top-level comma, or to just before a
/// `key:`, so that an entry after a stray token or a missing comma is still read (and a key
/// given there is not reported missing).
fn skip_to_entry(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            let starts_entry =
                rest.ident().and_then(|(_, after)| after.punct()).is_some_and(|(colon, _)| {
                    colon.as_char() == ':' && colon.spacing() == Spacing::Alone
                });
            if starts_entry {
                break;
            }
            rest = next;
            if matches!(&tree, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    });
}
