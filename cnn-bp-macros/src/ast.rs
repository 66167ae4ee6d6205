//! Syntax only: the token trees of `matrix!` and `train!` as syn expressions, nothing checked.
//!
//! A syntax error in one entry of a spec does not hide the others: the parser records it and
//! resumes at the next entry. Each value is parsed speculatively, in a fork of the input, so
//! that an error deep inside a bracketed value stays that value's error: syn's nested groups
//! share one "unexpected token" cell with the stream they are in, and a failed parse left in
//! the spec's own stream would fail the whole spec (and every key would look missing).

use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use syn::buffer::Cursor;
use syn::ext::IdentExt as _;
use syn::parse::discouraged::Speculative as _;
use syn::parse::{ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

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
#[derive(Clone)]
pub(crate) struct Entry {
    pub key: Ident,
    pub value: Expr,
}

/// The entries of a spec that parsed, and the keys of those that did not: those are
/// malformed, not missing, and have been reported already. A conv's settings,
/// `conv { filter: …, stride: 2 }`, are a spec of their own.
#[derive(Default)]
pub(crate) struct Spec {
    pub entries: Vec<Entry>,
    /// `layers: [ … ]`, every time it is given.
    pub layers: Vec<Layers>,
    /// `examples: [{ … }, …]`, every time it is given.
    pub examples: Vec<Examples>,
    pub malformed: Vec<String>,
}

/// `examples: [{ input: …, target: … }, …]`: each example's entries read on its own, as a
/// conv's settings are.
pub(crate) struct Examples {
    pub key: Ident,
    /// The brackets, with everything in them.
    pub group: Group,
    pub items: Vec<Example>,
}

/// One example of `examples`: its place in the list (from 1, counting those that could not
/// be read), its braces and its entries.
pub(crate) struct Example {
    pub number: usize,
    pub group: Group,
    pub spec: Spec,
}

/// `layers: [op, op, …]`: the ops as written, each read on its own, so that an error in
/// one hides neither the others nor the rest of the spec.
pub(crate) struct Layers {
    pub key: Ident,
    /// The brackets, with everything in them.
    pub group: Group,
    pub ops: Vec<Layer>,
}

/// One op of `layers`: its name, and what follows it.
pub(crate) struct Layer {
    pub name: Ident,
    pub body: Body,
    /// The name and its body, for errors about the whole op.
    pub tokens: TokenStream,
}

/// What follows an op's name.
pub(crate) enum Body {
    /// Nothing: `relu`.
    Bare,
    /// Settings in braces: `conv { filter: …, stride: 2 }`.
    Settings(Group, Spec),
    /// Arguments in parentheses: `leaky_relu(0.1)`.
    Args(Group, Vec<Expr>),
    /// Something that could not be read, already reported.
    Malformed,
}

/// Parses `key: value, …`, recording syntax errors and skipping the entries they are in.
pub(crate) fn spec(tokens: TokenStream, errors: &mut Errors) -> Spec {
    let mut spec = Spec::default();
    let parser = |input: ParseStream| {
        entries(input, errors, &mut spec, Keys::Spec);
        Ok(())
    };
    // The parser above records every error it meets and skips on. Should syn still find
    // something left unparsed, that is reported too, unless an error already covers it: a
    // spec with an error never expands, so nothing is accepted silently.
    if let Err(error) = parse_to_last_token(tokens, parser)
        && errors.is_empty()
    {
        errors.push(error);
    }
    spec
}

/// Which keys a list of entries has: a spec's, a conv's settings, or an example's.
#[derive(Clone, Copy)]
enum Keys {
    Spec,
    Conv,
    Example,
}

/// The entries of `input` into `spec`, every error recorded and skipped past.
fn entries(input: ParseStream, errors: &mut Errors, spec: &mut Spec, keys: Keys) {
    while !input.is_empty() {
        let key = match key(input, errors, keys) {
            Ok(key) => key,
            Err(error) => {
                errors.push(error);
                skip_to_entry(input, true);
                continue;
            }
        };
        match value(input, &key, errors) {
            Ok(Value::Expr(value)) => spec.entries.push(Entry { key, value }),
            Ok(Value::Layers(group, ops)) => spec.layers.push(Layers { key, group, ops }),
            Ok(Value::Examples(group, items)) => {
                spec.examples.push(Examples { key, group, items });
            }
            Err(error) => {
                spec.malformed.push(key.to_string());
                errors.push(error);
                skip_to_entry(input, false);
                continue;
            }
        }
        if input.is_empty() {
            break;
        }
        if let Err(error) = input.parse::<Token![,]>() {
            let example = match keys {
                Keys::Spec => "`lr: 0.5, steps: 2`",
                Keys::Conv => "`stride: 2, padding: 1`",
                Keys::Example => "`input: [[1, 0], [0, 1]], target: [[1]]`",
            };
            errors.push(syn::Error::new(
                error.span(),
                format!("expected `,` between entries, like {example}"),
            ));
            skip_to_entry(input, false);
        }
    }
}

/// Parses the contents of `group` with `parser`; the end of the contents is reported at the
/// closing delimiter.
fn in_group<T>(
    group: &Group,
    parser: impl FnOnce(ParseStream) -> syn::Result<T>,
) -> syn::Result<T> {
    let in_group = |input: ParseStream| {
        let content;
        match group.delimiter() {
            Delimiter::Parenthesis => {
                syn::parenthesized!(content in input);
            }
            Delimiter::Brace => {
                syn::braced!(content in input);
            }
            Delimiter::Bracket => {
                syn::bracketed!(content in input);
            }
            Delimiter::None => return parser(input),
        }
        parser(&content)
    };
    in_group.parse2(TokenTree::Group(group.clone()).into())
}

/// Reads each part of a bracketed list with `each`, in order, split at its top-level commas:
/// an empty part between two commas is reported, with what the list holds (`what`: "layer",
/// "example").
fn parts(
    group: &Group,
    what: &str,
    errors: &mut Errors,
    mut each: impl FnMut(Vec<TokenTree>, &mut Errors),
) {
    let mut part: Vec<TokenTree> = Vec::new();
    let mut trees = group.stream().into_iter();
    loop {
        let tree = trees.next();
        let end = match &tree {
            None => true,
            Some(TokenTree::Punct(p)) => p.as_char() == ',',
            Some(_) => false,
        };
        if !end {
            part.extend(tree);
            continue;
        }
        match (part.is_empty(), &tree) {
            // `[relu, , tanh]`, or `[,]`.
            (true, Some(comma)) => {
                errors.at(comma, format!("an empty {what} between commas: remove this comma"));
            }
            (true, None) => {}
            (false, _) => each(std::mem::take(&mut part), errors),
        }
        if tree.is_none() {
            break;
        }
    }
}

/// The tokens of a part substituted by a `macro_rules!` (`$op:expr`), which come in an
/// invisible group, without it.
fn unwrapped(mut part: Vec<TokenTree>) -> Vec<TokenTree> {
    while let [TokenTree::Group(group)] = part.as_slice()
        && group.delimiter() == Delimiter::None
    {
        part = group.stream().into_iter().collect();
    }
    part
}

/// The ops of `layers: [ … ]`: the bracket's tokens split at their commas, each part an op
/// name and what follows it, read on its own.
fn layers(group: &Group, errors: &mut Errors) -> Vec<Layer> {
    let mut ops = Vec::new();
    parts(group, "layer", errors, |part, errors| ops.extend(layer(part, errors)));
    ops
}

/// The examples of `examples: [{ … }, …]`: each part a brace group of entries, read on its
/// own; a part that is not is reported.
fn examples(group: &Group, errors: &mut Errors) -> Vec<Example> {
    let mut items = Vec::new();
    let mut index = 0;
    parts(group, "example", errors, |part, errors| {
        index += 1;
        let part = unwrapped(part);
        let [TokenTree::Group(braces)] = part.as_slice() else {
            let tokens: TokenStream = part.into_iter().collect();
            errors.at(
                &tokens,
                "an example is its entries in braces, like `{ input: [[1, 0], [0, 1]], target: [[1]] }`, or with `grad_output` instead of `target`",
            );
            return;
        };
        if braces.delimiter() != Delimiter::Brace {
            errors.at(
                braces,
                "an example is written in braces, `{ input: …, target: … }`, not in brackets or parentheses",
            );
            return;
        }
        let mut spec = Spec::default();
        let parsed = in_group(braces, |input| {
            entries(input, errors, &mut spec, Keys::Example);
            Ok(())
        });
        if let Err(error) = parsed
            && errors.is_empty()
        {
            errors.push(error);
        }
        items.push(Example { number: index, group: braces.clone(), spec });
    });
    items
}

/// One op of `layers`, from its tokens; `None` when there is no name to read (reported).
pub(crate) fn layer(part: Vec<TokenTree>, errors: &mut Errors) -> Option<Layer> {
    let part = unwrapped(part);
    let tokens: TokenStream = part.iter().cloned().collect();
    let Some(TokenTree::Ident(name)) = part.first() else {
        errors.at(
            &tokens,
            "expected a layer: `conv { filter: … }`, `relu`, `leaky_relu(0.01)`, `sigmoid` or `tanh`",
        );
        return None;
    };
    let name = name.clone();
    let body = match &part[1..] {
        [] => Body::Bare,
        [TokenTree::Group(group)] if group.delimiter() == Delimiter::Brace => {
            let mut spec = Spec::default();
            let parsed = in_group(group, |input| {
                entries(input, errors, &mut spec, Keys::Conv);
                Ok(())
            });
            if let Err(error) = parsed
                && errors.is_empty()
            {
                errors.push(error);
            }
            Body::Settings(group.clone(), spec)
        }
        [TokenTree::Group(group)] if group.delimiter() == Delimiter::Parenthesis => {
            match in_group(group, Punctuated::<Expr, Token![,]>::parse_terminated) {
                Ok(args) => Body::Args(group.clone(), args.into_iter().collect()),
                Err(error) => {
                    errors.push(error);
                    Body::Malformed
                }
            }
        }
        rest => {
            let rest: TokenStream = rest.iter().cloned().collect();
            errors.at(
                &rest,
                format!(
                    "expected `,` after the layer `{name}`: a conv's settings go in braces, `conv {{ filter: … }}`, an activation's argument in parentheses, `leaky_relu(0.01)`"
                ),
            );
            Body::Malformed
        }
    };
    Some(Layer { name, body, tokens })
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

/// A key. One written in quotes (`"input"`, as in JSON or Python) is reported, and read as
/// the key it names, so that it is neither also reported missing nor its value unchecked.
fn key(input: ParseStream, errors: &mut Errors, keys: Keys) -> syn::Result<Ident> {
    let message = match keys {
        Keys::Spec => "expected a key such as `input`, `filter`, `target` or `lr`",
        Keys::Conv => "expected a conv's key such as `filter`, `bias`, `stride` or `padding`",
        Keys::Example => "expected an example's key: `input`, `target` or `grad_output`",
    };
    if input.peek(LitStr) {
        let string: LitStr = input.parse()?;
        // Only a string that is an identifier can stand for a key.
        return match syn::parse_str::<Ident>(&string.value()) {
            Ok(mut key) => {
                errors.at(&string, format!("write the key without quotes: `{key}: …`"));
                key.set_span(string.span());
                Ok(key)
            }
            Err(_) => {
                Err(syn::Error::new(string.span(), format!("{message}, written without quotes")))
            }
        };
    }
    let key = input.call(Ident::parse_any).map_err(|e| {
        // The whole token, `(2)` rather than its `(`.
        match input.cursor().token_tree() {
            Some((tree, _)) => syn::Error::new_spanned(tree, message),
            None => syn::Error::new(e.span(), message),
        }
    })?;
    Ok(key)
}

/// A parsed value: an expression, the ops of `layers: [ … ]`, or the examples of
/// `examples: [ … ]`.
enum Value {
    Expr(Expr),
    Layers(Group, Vec<Layer>),
    Examples(Group, Vec<Example>),
}

/// `: value` after `key`. The value is parsed in a fork, which only an expression that
/// parsed moves the input past; a failed parse leaves its errors in the fork. The brackets
/// of `layers` are read op by op.
fn value(input: ParseStream, key: &Ident, errors: &mut Errors) -> syn::Result<Value> {
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
    if key == "layers" && input.peek(syn::token::Bracket) {
        let TokenTree::Group(group) = input.parse::<TokenTree>()? else {
            unreachable!("a bracket starts a group")
        };
        let ops = layers(&group, errors);
        return Ok(Value::Layers(group, ops));
    }
    if key == "examples" && input.peek(syn::token::Bracket) {
        let TokenTree::Group(group) = input.parse::<TokenTree>()? else {
            unreachable!("a bracket starts a group")
        };
        let items = examples(&group, errors);
        return Ok(Value::Examples(group, items));
    }
    // A bracketed matrix gets the hint that `matrix!` gives.
    let bracketed = ["input", "filter", "target", "grad_output"].iter().any(|k| key == k)
        && input.peek(syn::token::Bracket);
    let fork = input.fork();
    let value = fork.parse().map_err(|e| {
        if bracketed {
            syn::Error::new(
                e.span(),
                format!(
                    "{e}: a matrix is rows of comma-separated numbers, like `[[1, 2], [3, 4]]`"
                ),
            )
        } else {
            e
        }
    })?;
    input.advance_to(&fork);
    Ok(Value::Expr(value))
}

/// Whether `cursor` is at `key:` (or `"key":`): an identifier or a string, then a lone `:`
/// (not the first of a path's `::`).
fn starts_entry(cursor: Cursor) -> bool {
    let after_key = match cursor.ident() {
        Some((_, after)) => Some(after),
        None => cursor
            .literal()
            .filter(|(lit, _)| {
                syn::parse2::<LitStr>(TokenTree::Literal(lit.clone()).into()).is_ok()
            })
            .map(|(_, after)| after),
    };
    after_key
        .and_then(Cursor::punct)
        .is_some_and(|(colon, _)| colon.as_char() == ':' && colon.spacing() == Spacing::Alone)
}

/// Skips to the next entry: to just before a `key:`, or to just after the next top-level
/// comma, so that an entry after a stray token or a missing comma is still read (and a key
/// given there is not reported missing). A comma between the generic arguments of a
/// turbofish, `f::<2, 3>()`, ends no entry. With `past_one`, the token at the cursor is
/// skipped whatever it is: it is the one that could not start an entry.
fn skip_to_entry(input: ParseStream, past_one: bool) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        if past_one && let Some((_, next)) = rest.token_tree() {
            rest = next;
        }
        // How deep in a turbofish's `<…>` the cursor is, and the last two punctuation marks.
        let mut generics = 0_usize;
        let mut before: [Option<char>; 2] = [None; 2];
        while let Some((tree, next)) = rest.token_tree() {
            // Inside `<…>` too: no expression has `key:` there, and an unclosed `<` must
            // not swallow the entries after it.
            if starts_entry(rest) {
                break;
            }
            rest = next;
            let TokenTree::Punct(punct) = &tree else {
                before = [None; 2];
                continue;
            };
            match punct.as_char() {
                '<' if generics > 0 || before == [Some(':'), Some(':')] => generics += 1,
                '>' if generics > 0 && before[1] != Some('-') => generics -= 1,
                ',' if generics == 0 => break,
                _ => {}
            }
            before = [before[1], Some(punct.as_char())];
        }
        Ok(((), rest))
    });
}
