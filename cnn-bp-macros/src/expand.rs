//! Code generation. Everything the generated code names lives under one hidden path,
//! `::cnn_bp_core::__private`, so the macros work wherever `cnn-bp-core` is a dependency.

use proc_macro2::{Literal as Lit, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use crate::ast;
use crate::errors::Errors;
use crate::valid::{self, Activation, Kernel, Literal, Loss, Matrix, Number, Spec};

/// `matrix![[…], …]` → `[[1f64, …], …]`.
pub(crate) fn matrix(tokens: TokenStream) -> TokenStream {
    let rows = match ast::matrix_rows(tokens) {
        Ok(rows) => rows,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let literal = valid::literal(&rows, &rows, "the matrix", &mut errors);
    errors.finish(|| literal.map(|l| literal_tokens(&l)).unwrap_or_default())
}

/// `train! { … }` → a call into `__private` that builds the derivation.
///
/// `cnn_bp_core::train!` is a `macro_rules!` that calls this with `($crate)` in front of the
/// spec, so the generated code names the library by `$crate` and works however the library
/// is named or re-exported; without it, the path is `::cnn_bp_core`.
pub(crate) fn train(tokens: TokenStream) -> TokenStream {
    let (krate, spec) = ast::crate_path(tokens);
    let mut errors = Errors::default();
    let parsed = ast::spec(spec, &mut errors);
    let spec = valid::spec(&parsed, &mut errors);
    errors.finish(|| spec.map(|s| train_tokens(&krate, &s)).unwrap_or_default())
}

fn number_tokens(n: Number) -> TokenStream {
    let mut lit = Lit::f64_suffixed(n.value.abs());
    lit.set_span(n.span);
    if n.value.is_sign_negative() { quote_spanned!(n.span=> -#lit) } else { quote!(#lit) }
}

fn literal_tokens(literal: &Literal) -> TokenStream {
    let rows = literal.rows.iter().map(|row| {
        let entries = row.iter().map(|&n| number_tokens(n));
        quote!([#(#entries),*])
    });
    quote!([#(#rows),*])
}

fn matrix_tokens(matrix: &Matrix) -> TokenStream {
    match matrix {
        Matrix::Literal(literal) => {
            let literal = literal_tokens(literal);
            quote!(&#literal)
        }
        // Any other expression: its type must be `[[f64; C]; R]`, which the call checks; the
        // span makes a type mismatch point at the expression, not at the whole macro.
        Matrix::Expr(expr) => quote_spanned!(expr.span()=> &(#expr)),
    }
}

fn train_tokens(krate: &TokenStream, spec: &Spec) -> TokenStream {
    let private = quote!(#krate::__private);
    let (sh, sw) = spec.stride;
    let (ph, pw) = spec.padding;
    let input = matrix_tokens(&spec.input);
    let filter = matrix_tokens(&spec.filter);
    let target = matrix_tokens(&spec.target);
    let lr = Lit::f64_suffixed(spec.lr);
    let steps = Lit::usize_suffixed(spec.steps);
    let bias = spec.bias.map_or_else(
        || quote!(#private::None),
        |b| {
            let b = number_tokens(b);
            quote!(#private::Some(#b))
        },
    );
    let kernel = match spec.kernel {
        Kernel::Correlation => quote!(#private::Kernel::Correlation),
        Kernel::Convolution => quote!(#private::Kernel::Convolution),
    };
    let activation = match spec.activation {
        Activation::Relu => {
            let at_zero = Lit::f64_suffixed(spec.relu_grad_at_zero);
            quote!(#private::Activation::Relu { grad_at_zero: #at_zero })
        }
        Activation::Linear => quote!(#private::Activation::Linear),
        Activation::Sigmoid => quote!(#private::Activation::Sigmoid),
        Activation::Tanh => quote!(#private::Activation::Tanh),
        Activation::LeakyRelu(slope) => {
            let slope = Lit::f64_suffixed(slope);
            quote!(#private::Activation::LeakyRelu { slope: #slope })
        }
    };
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
        #private::Geometry::<#sh, #sw, #ph, #pw>.train(
            #private::Settings {
                lr: #lr,
                steps: #steps,
                kernel: #kernel,
                activation: #activation,
                loss: #loss,
                form: #form,
            },
            #sections,
            #input,
            #filter,
            #bias,
            #target,
        )
    }
}
