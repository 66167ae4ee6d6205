//! Code generation. Everything the generated code names lives under one hidden path,
//! `::cnn_bp_core::__private`, so the macros work wherever `cnn-bp-core` is a dependency.

use proc_macro2::{Delimiter, Group, Ident, Literal as Lit, Span, TokenStream, TokenTree};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::spanned::Spanned as _;

use crate::ast;
use crate::errors::Errors;
use crate::valid::{self, Bound, Cell, Code, Kernel, Loss, Number, Setting, Spec};
use crate::{arith, expand_net, net};

/// `matrix![[…], …]` → `[[1f64, …], …]`.
pub(crate) fn matrix(tokens: TokenStream) -> TokenStream {
    let rows = match ast::matrix_rows(tokens) {
        Ok(rows) => rows,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let matrix = valid::rows(Span::call_site(), &rows, &rows, "the matrix", &mut errors);
    errors.finish(|| {
        let Some(matrix) = matrix else { return TokenStream::new() };
        let code = matrix.code.code();
        if matrix.code.is_literal() {
            return code;
        }
        // Entries or rows that are expressions need the type `[[f64; C]; R]` as their
        // expectation, else the first one's type is taken for the others' (`[1 + 2, 0]` would
        // be an error at the `0`). `let [m]: [T; 1]` gives it with no label on a type the user
        // did not write. Valid in `const` items too.
        let matrix = Ident::new("matrix", Span::mixed_site());
        quote! {
            {
                let [#matrix]: [[[::core::primitive::f64; _]; _]; 1] = [#code];
                #matrix
            }
        }
    })
}

/// `train! { … }` → a call into `__private` that builds the derivation.
///
/// `cnn_bp_core::train!` is a `macro_rules!` that calls this with `($crate)` in front of the
/// spec, so the generated code names the library by `$crate` and works however the library
/// is named or re-exported; without it, the path is `::cnn_bp_core`.
pub(crate) fn train(tokens: TokenStream) -> TokenStream {
    let (krate, spec) = ast::crate_path(tokens.clone());
    let mut errors = Errors::default();
    let parsed = ast::spec(spec.clone(), &mut errors);
    // What an error about the spec as a whole (missing keys) points at: the spec, or, when a
    // bare call's only tokens were taken for the library's path, those. (Through
    // `cnn_bp_core::train!`, an empty spec never gets here: its `()` arm reports it.)
    let whole = if spec.is_empty() { tokens } else { spec };
    let exact = arith::read(&parsed, &mut errors);
    if exact {
        arith::check(&parsed, &mut errors);
    }
    let expand = |generate: &dyn Fn() -> TokenStream| arith::expanding(&krate, exact, generate);
    if net::is_network(&parsed) {
        let checked = net::spec(&parsed, &whole, &mut errors);
        return errors.finish(|| {
            checked.map(|n| expand(&|| expand_net::net(&krate, &n))).unwrap_or_default()
        });
    }
    let checked = valid::spec(&parsed, &whole, &mut errors);
    errors.finish(|| checked.map(|s| expand(&|| train_tokens(&krate, &s))).unwrap_or_default())
}

/// A number literal as an `f64` literal, or in an exact spec as the decimal it is.
pub(crate) fn number_tokens(n: Number) -> TokenStream {
    let mut lit = Lit::f64_suffixed(n.value.abs());
    lit.set_span(n.span);
    let float =
        if n.value.is_sign_negative() { quote_spanned!(n.span=> -#lit) } else { quote!(#lit) };
    arith::literal(n, float)
}

/// `[inner]` with the brackets' span.
pub(crate) fn bracketed(span: Span, inner: TokenStream) -> TokenStream {
    let mut group = Group::new(Delimiter::Bracket, inner);
    group.set_span(span);
    TokenTree::Group(group).into()
}

/// The code of a matrix, a row or an entry: number literals as `f64` literals, the rest as
/// written.
pub(crate) trait ToCode {
    fn code(&self) -> TokenStream;
}

impl ToCode for Cell {
    fn code(&self) -> TokenStream {
        match self {
            Cell::Number(n) => number_tokens(*n),
            Cell::Expr(expr) => arith::expression(expr.to_token_stream()),
        }
    }
}

impl<T: ToCode> ToCode for Code<T> {
    fn code(&self) -> TokenStream {
        match self {
            Code::List { span, items } => {
                let items = items.iter().map(ToCode::code);
                bracketed(*span, quote!(#(#items),*))
            }
            Code::Repeat { span, item, count } => {
                let item = item.code();
                bracketed(*span, quote!(#item; #count))
            }
            // In parentheses, or as the argument of an exact spec's `lift`.
            Code::Expr(expr) if arith::exact() => arith::expression(expr.to_token_stream()),
            Code::Expr(expr) => quote_spanned!(expr.span()=> (#expr)),
        }
    }
}

impl Code<valid::Row> {
    /// Whether the matrix is rows of number literals only.
    fn is_literal(&self) -> bool {
        let row_is_literal = |row: &valid::Row| match row {
            Code::List { items, .. } => items.iter().all(|c| matches!(c, Cell::Number(_))),
            Code::Repeat { item, count, .. } => {
                matches!(**item, Cell::Number(_)) && matches!(**count, syn::Expr::Lit(_))
            }
            Code::Expr(_) => false,
        };
        match self {
            Code::List { items, .. } => items.iter().all(row_is_literal),
            Code::Repeat { item, count, .. } => {
                row_is_literal(item) && matches!(**count, syn::Expr::Lit(_))
            }
            Code::Expr(_) => false,
        }
    }
}

impl<T> Code<T> {
    /// Where the matrix (or row) was written.
    fn span(&self) -> Span {
        match self {
            Code::List { span, .. } | Code::Repeat { span, .. } => *span,
            Code::Expr(expr) => expr.span(),
        }
    }
}

/// A known length as a literal, an unknown one as `_` for the compiler to infer.
fn length(n: Option<usize>) -> TokenStream {
    n.map_or_else(|| quote!(_), |n| Lit::usize_unsuffixed(n).into_token_stream())
}

/// `let input: &[[f64; W]; H] = &…;`, with the shape the macro knows (`_` where it does not):
/// a matrix of another shape is a type error at its own tokens, and a generic expression
/// (`zeros()`) infers its shape from it. The type is spanned at the key, which rustc then
/// labels "expected due to this".
fn binding(private: &TokenStream, name: &Ident, bound: &Bound) -> TokenStream {
    let (rows, cols) = (length(bound.shape.0), length(bound.shape.1));
    let ty = quote_spanned!(bound.key.span()=> &[[#private::f64; #cols]; #rows]);
    let span = bound.matrix.code.span();
    let code = bound.matrix.code.code();
    quote_spanned!(span=> let #name: #ty = &#code;)
}

/// The spans of the first and the last of `tokens`: a macro call whose path has the first and
/// whose delimiters have the last spans them all (as syn's `Error::new_spanned` does).
fn ends(tokens: TokenStream) -> (Span, Span) {
    let mut trees = tokens.into_iter();
    let first = trees.next().map_or_else(Span::call_site, |t| t.span());
    let last = trees.last().map_or(first, |t| match t {
        TokenTree::Group(group) => group.span_close(),
        other => other.span(),
    });
    (first, last)
}

/// A setting the macro checked, as a literal, or a constant checked by a `const` block at the
/// user's tokens: `assertions` are `(condition on value, message)`. (A variable there is
/// rustc's error E0435, "attempt to use a non-constant value in a constant", at its name.)
pub(crate) fn setting<T>(
    private: &TokenStream,
    setting: &Setting<T>,
    ty: &str,
    literal: impl FnOnce(&T) -> TokenStream,
    assertions: &[(TokenStream, String)],
) -> TokenStream {
    match setting {
        Setting::Literal(value) => literal(value),
        Setting::Const(expr) => {
            let (first, last) = ends(expr.to_token_stream());
            let value = Ident::new("value", Span::mixed_site());
            let ty = Ident::new(ty, first);
            let checks = assertions.iter().map(|(condition, message)| {
                let args = Group::new(Delimiter::Parenthesis, quote!(#condition, #message));
                let mut args = TokenTree::Group(args);
                args.set_span(last);
                quote_spanned!(first=> ::core::assert! #args;)
            });
            // `let [value]: [T; 1] = [expr]`: a value of another type is an error at the
            // value alone, with no label on a type the user did not write. (An exact spec's
            // constants are `f64`s too, lifted to their decimals.)
            let path = if arith::exact() && ty == "f64" {
                quote!(::core::primitive)
            } else {
                private.clone()
            };
            let checked = quote_spanned! {first=>
                const {
                    let [#value]: [#path::#ty; 1] = [#expr];
                    #(#checks)*
                    #value
                }
            };
            if ty == "f64" { arith::expression(checked) } else { checked }
        }
    }
}

/// `lr`, `steps` and `bias`: literals the macro checked, or constants checked in `const` blocks.
fn checked_settings(private: &TokenStream, spec: &Spec) -> (TokenStream, TokenStream, TokenStream) {
    let value = Ident::new("value", Span::mixed_site());
    let max_steps = Lit::usize_unsuffixed(valid::MAX_STEPS);
    let lr = setting(private, &spec.lr, "f64", |&lr| number_tokens(lr), &[(
        quote!(#value > 0.0 && #value.is_finite()),
        "train!: `lr` must be a finite number greater than 0: gradient descent steps against the gradient by a positive amount".to_owned(),
    )]);
    let steps = setting(
        private,
        &spec.steps,
        "usize",
        |&s| Lit::usize_suffixed(s).into_token_stream(),
        &[
            (quote!(#value >= 1), "train!: `steps` must be at least 1".to_owned()),
            (
                quote!(#value <= #max_steps),
                format!(
                    "train!: `steps` must be at most {}: every step is recorded and printed",
                    valid::MAX_STEPS
                ),
            ),
        ],
    );
    let bias = spec.bias.as_ref().map_or_else(
        || quote!(#private::None),
        |b| {
            let b = setting(
                private,
                b,
                "f64",
                |&n| number_tokens(n),
                &[(
                    quote!(#value.is_finite()),
                    "train!: `bias` must be a finite number".to_owned(),
                )],
            );
            quote!(#private::Some(#b))
        },
    );
    (lr, steps, bias)
}

fn train_tokens(krate: &TokenStream, spec: &Spec) -> TokenStream {
    let private = arith::private(krate);
    let (sh, sw) = spec.stride;
    let (ph, pw) = spec.padding;
    let names = ["input", "filter", "target"].map(|name| Ident::new(name, Span::mixed_site()));
    let [input, filter, target] = &names;
    let bindings = [&spec.input, &spec.filter, &spec.target]
        .iter()
        .zip(&names)
        .map(|(bound, name)| binding(&private, name, bound))
        .collect::<Vec<_>>();
    let dims = [spec.input.shape, spec.filter.shape, spec.target.shape]
        .into_iter()
        .flat_map(|(rows, cols)| [length(rows), length(cols)]);
    let (lr, steps, bias) = checked_settings(&private, spec);
    // The kernel orientation and the activation are the types of the ops they run as.
    let kernel = match spec.kernel {
        Kernel::Correlation => quote!(#private::Correlate),
        Kernel::Convolution => quote!(#private::Convolve),
    };
    let (_, activation) = spec.activation.op(&private, spec.relu_grad_at_zero);
    let loss = match spec.loss {
        Loss::HalfSse => quote!(#private::Loss::HalfSse),
        Loss::Sse => quote!(#private::Loss::Sse),
        Loss::Mse => quote!(#private::Loss::Mse),
    };
    let form = if spec.symbolic {
        quote!(#private::Form::Symbolic)
    } else {
        quote!(#private::Form::Numeric)
    };
    // Without optional sections, `()`: then their code is not compiled for this spec at all.
    let sections = if spec.finite_differences || spec.mistakes {
        let (fd, mistakes) = (spec.finite_differences, spec.mistakes);
        quote!(&#private::Extras::default().finite_differences(#fd).mistakes(#mistakes))
    } else {
        quote!(&())
    };
    let (sh, sw, ph, pw) = (
        Lit::usize_unsuffixed(sh),
        Lit::usize_unsuffixed(sw),
        Lit::usize_unsuffixed(ph),
        Lit::usize_unsuffixed(pw),
    );
    quote! {
        {
            #(#bindings)*
            #private::Geometry::<#sh, #sw, #ph, #pw>.train::<#(#dims),*, _, _, _>(
                #private::Settings {
                    lr: #lr,
                    steps: #steps,
                    loss: #loss,
                    form: #form,
                },
                (#activation, #kernel),
                #sections,
                #input,
                #filter,
                #bias,
                #target,
            )
        }
    }
}
