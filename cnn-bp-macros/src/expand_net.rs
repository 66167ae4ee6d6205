//! Code generation for a network spec: the literals as typed arrays, the layers as a `Chain`
//! of ops whose const parameters are the dimensions the macro computed, and the call of
//! `train_network_with`, everything named through `$crate::__private`.

use proc_macro2::{Ident, Literal as Lit, Span, TokenStream};
use quote::{ToTokens as _, quote};

use crate::activation::Activation;
use crate::expand::{ToCode, bracketed, setting};
use crate::net::{Conv, Layer, Map, Net, Objective, Reduction, Shape};
use crate::net_ops::{Dense, Pool, Pooling, Target};
use crate::tensor::{Literal, Nested};
use crate::valid::{self, Kernel, Loss};

fn usize_lit(n: usize) -> TokenStream {
    Lit::usize_unsuffixed(n).into_token_stream()
}

fn code(nested: &Nested) -> TokenStream {
    match nested {
        Nested::Cell(cell) => cell.code(),
        Nested::List { span, items } => {
            let items = items.iter().map(code);
            bracketed(*span, quote!(#(#items),*))
        }
        Nested::Repeat { span, item, count } => {
            let item = code(item);
            bracketed(*span, quote!(#item; #count))
        }
    }
}

/// The code of a literal of `rank` written with `rank − missing` levels: wrapped in
/// `missing` pairs of brackets (a 2-D input is one channel, a 2-D filter one filter on one
/// channel).
fn wrapped(literal: &Literal, missing: usize) -> TokenStream {
    let mut tokens = code(&literal.code);
    for _ in 0..missing {
        tokens = quote!([#tokens]);
    }
    tokens
}

/// `[[[f64; W]; H]; C]`, or `[f64; N]` of a vector.
fn tensor_type(private: &TokenStream, shape: Shape) -> TokenStream {
    match shape {
        Shape::Map([c, h, w]) => {
            let (c, h, w) = (usize_lit(c), usize_lit(h), usize_lit(w));
            quote!([[[#private::f64; #w]; #h]; #c])
        }
        Shape::Vector(n) => {
            let n = usize_lit(n);
            quote!([#private::f64; #n])
        }
    }
}

/// `&[[[f64; W]; H]; C]` of a map literal, 2-D or 3-D, or `&[f64; N]` of a vector's.
fn tensor_value(literal: &Literal, shape: Shape) -> TokenStream {
    let rank = if matches!(shape, Shape::Map(_)) { 3 } else { 1 };
    let tokens = wrapped(literal, rank - literal.dims.len());
    quote!(&#tokens)
}

/// A pooling layer.
fn pool(private: &TokenStream, pool: &Pool) -> TokenStream {
    let [c, h, w] = pool.input;
    let [_, oh, ow] = pool.output;
    let dims =
        [c, h, w, pool.size.0, pool.size.1, pool.stride.0, pool.stride.1, oh, ow].map(usize_lit);
    let op = match pool.kind {
        Pooling::Max => quote!(MaxPool),
        Pooling::Mean => quote!(AvgPool),
    };
    quote!(#private::ops::#op::<#(#dims),*>::new())
}

/// `flatten` of a map.
fn flatten(private: &TokenStream, [c, h, w]: Map) -> TokenStream {
    let dims = [c, h, w, c * h * w].map(usize_lit);
    quote!(#private::ops::Flatten::<#(#dims),*>)
}

/// A dense layer, and the `let`s of its weight and bias, whose flat values are pushed to
/// `params`.
fn dense(
    private: &TokenStream,
    k: usize,
    dense: &Dense,
    lets: &mut Vec<TokenStream>,
    params: &mut Vec<TokenStream>,
) -> TokenStream {
    let (i, o) = (usize_lit(dense.inputs), usize_lit(dense.outputs));
    let weight = Ident::new(&format!("weight_{k}"), Span::mixed_site());
    let value = code(&dense.weight.code);
    lets.push(quote!(let #weight: &[[#private::f64; #i]; #o] = &#value;));
    params.push(quote!(#weight.as_flattened()));
    if let Some(bias) = &dense.bias {
        let name = Ident::new(&format!("bias_{k}"), Span::mixed_site());
        let value = wrapped(bias, 1 - bias.dims.len());
        lets.push(quote!(let #name: &[#private::f64; #o] = &#value;));
        params.push(quote!(#name));
    }
    let bias = dense.bias.is_some();
    quote!(#private::ops::Dense::<#i, #o>::new(#bias))
}

/// The op of one conv, and the `let`s of its weight and bias, whose flat values are pushed
/// to `params`.
fn conv(
    private: &TokenStream,
    k: usize,
    conv: &Conv,
    lets: &mut Vec<TokenStream>,
    params: &mut Vec<TokenStream>,
) -> TokenStream {
    let [c, h, w] = conv.input;
    let [f, oh, ow] = conv.output;
    let (kh, kw) = conv.kernel;
    let weight = Ident::new(&format!("weight_{k}"), Span::mixed_site());
    let value = wrapped(&conv.filter, 4 - conv.filter.dims.len());
    let [fl, cl, khl, kwl] = [f, c, kh, kw].map(usize_lit);
    lets.push(quote! {
        let #weight: &[[[[#private::f64; #kwl]; #khl]; #cl]; #fl] = &#value;
    });
    params.push(quote!(#weight.as_flattened().as_flattened().as_flattened()));
    if let Some(bias) = &conv.bias {
        let name = Ident::new(&format!("bias_{k}"), Span::mixed_site());
        let value = wrapped(bias, 1 - bias.dims.len());
        lets.push(quote!(let #name: &[#private::f64; #fl] = &#value;));
        params.push(quote!(#name));
    }
    let dims = [c, h, w, f, kh, kw, oh, ow].map(usize_lit);
    let geometry = [
        conv.stride.0,
        conv.stride.1,
        conv.padding.0,
        conv.padding.1,
        conv.dilation.0,
        conv.dilation.1,
    ]
    .map(usize_lit);
    let orientation = match conv.orientation {
        Kernel::Correlation => quote!(Correlate),
        Kernel::Convolution => quote!(Convolve),
    };
    let bias = conv.bias.is_some();
    quote! {
        #private::ops::Conv::<#(#dims,)* #private::ops::Geometry<#(#geometry),*>, #private::ops::#orientation>::new(#bias)
    }
}

fn activation(
    private: &TokenStream,
    f: Activation,
    shape: Shape,
    grad_at_zero: f64,
) -> TokenStream {
    let (f_type, f) = f.op(&quote!(#private::ops), grad_at_zero);
    let ty = tensor_type(private, shape);
    quote!(#private::ops::Activate::<#f_type, #ty>::new(#f))
}

/// `lr` and `steps`: literals the macro checked, or constants checked in `const` blocks.
fn settings(private: &TokenStream, net: &Net) -> (TokenStream, TokenStream) {
    let value = Ident::new("value", Span::mixed_site());
    let lr = net.lr.as_ref().map_or_else(
        || quote!(#private::None),
        |lr| {
            let lr = setting(private, lr, "f64", |&lr| crate::expand::number_tokens(lr), &[(
                quote!(#value > 0.0 && #value.is_finite()),
                "train!: `lr` must be a finite number greater than 0: gradient descent steps against the gradient by a positive amount".to_owned(),
            )]);
            quote!(#private::Some(#lr))
        },
    );
    let max_steps = Lit::usize_unsuffixed(valid::MAX_STEPS);
    let mut checks = vec![
        (quote!(#value >= 1), "train!: `steps` must be at least 1".to_owned()),
        (
            quote!(#value <= #max_steps),
            format!(
                "train!: `steps` must be at most {}: every step is recorded and printed",
                valid::MAX_STEPS
            ),
        ),
    ];
    if net.lr.is_none() {
        checks.push((
            quote!(#value <= 1),
            "train!: without `lr` nothing is updated, so there is one step: remove `steps`, or give a learning rate".to_owned(),
        ));
    }
    let steps = setting(
        private,
        &net.steps,
        "usize",
        |&s| Lit::usize_suffixed(s).into_token_stream(),
        &checks,
    );
    (lr, steps)
}

/// The `Objective` of one example (its value bound to `name`, of the output's type), and the
/// value's code.
fn objective(
    private: &TokenStream,
    net: &Net,
    objective: &Objective,
    name: &Ident,
) -> (TokenStream, TokenStream) {
    let flat = quote!(#private::flat(#name));
    match objective {
        Objective::Loss(loss, target) => {
            let loss = match loss {
                Loss::HalfSse => quote!(HalfSse),
                Loss::Sse => quote!(Sse),
                Loss::Mse => quote!(Mse),
            };
            (
                quote!(#private::network::Objective::Loss { loss: #private::Loss::#loss, target: #flat }),
                tensor_value(target, net.output),
            )
        }
        Objective::GradOutput(g) => {
            (quote!(#private::network::Objective::GradOutput(#flat)), tensor_value(g, net.output))
        }
        Objective::SoftmaxCrossEntropy(target) => {
            let value = match target {
                Target::Probabilities(t) => tensor_value(t, net.output),
                Target::Class { index, len } => {
                    let entries =
                        (0..*len).map(|k| if k == *index { quote!(1.0) } else { quote!(0.0) });
                    quote!(&[#(#entries),*])
                }
            };
            (quote!(#private::network::Objective::SoftmaxCrossEntropy { target: #flat }), value)
        }
    }
}

/// `train! { input, layers, … }` → the network's derivation; with `examples`, a batch's.
pub(crate) fn net(krate: &TokenStream, net: &Net) -> TokenStream {
    let private = crate::arith::private(krate);
    let input_type = tensor_type(&private, net.input_shape);
    let output_type = tensor_type(&private, net.output);
    let mut lets = Vec::new();
    let mut examples = Vec::new();
    for (k, example) in net.examples.iter().enumerate() {
        let input = Ident::new(&format!("input_{k}"), Span::mixed_site());
        let input_value = tensor_value(&example.input, net.input_shape);
        lets.push(quote!(let #input: &#input_type = #input_value;));
        let name = Ident::new(&format!("objective_{k}"), Span::mixed_site());
        let (objective, value) = objective(&private, net, &example.objective, &name);
        lets.push(quote!(let #name: &#output_type = #value;));
        examples.push((input, objective));
    }
    let mut params = Vec::new();
    let mut ops = Vec::new();
    for (k, layer) in net.layers.iter().enumerate() {
        ops.push(match layer {
            Layer::Conv(c) => conv(&private, k, c, &mut lets, &mut params),
            Layer::Act(act, shape) => activation(&private, *act, *shape, net.relu_grad_at_zero),
            Layer::Pool(p) => pool(&private, p),
            Layer::Flatten(map) => flatten(&private, *map),
            Layer::Dense(d) => dense(&private, k, d, &mut lets, &mut params),
        });
    }
    let mut ops = ops.into_iter();
    let first = ops.next().expect("a network has a layer");
    let chain = ops.fold(first, |chain, op| quote!(#private::ops::Chain(#chain, #op)));

    let (lr, steps) = settings(&private, net);
    let mut extras = quote!(#private::Extras::default());
    for (on, method) in [
        (net.sections.finite_differences, quote!(finite_differences)),
        (net.sections.mistakes, quote!(mistakes)),
        (net.sections.input_grad, quote!(input_grad)),
    ] {
        if on {
            extras = quote!(#extras.#method(true));
        }
    }
    let form = net.symbolic.then(|| quote!(.with_form(#private::Form::Symbolic)));
    let params = quote!(&#private::params(&[#(#params),*]));
    let call = match (net.reduction, examples.as_slice()) {
        (None, [(input, objective)]) => quote! {
            #private::network::train_network_with(#chain, #params, #input, #objective, #lr, #steps, #extras)
        },
        (reduction, _) => {
            let reduction =
                if reduction == Some(Reduction::Sum) { quote!(Sum) } else { quote!(Mean) };
            let examples = examples.iter().map(|(input, objective)| quote!((#input, #objective)));
            quote! {
                #private::network::train_batch(
                    #chain,
                    #params,
                    &[#(#examples),*],
                    #private::network::Reduction::#reduction,
                    #lr,
                    #steps,
                    #extras,
                )
            }
        }
    };
    quote! {
        {
            #(#lets)*
            #private::trained(#call)#form
        }
    }
}
