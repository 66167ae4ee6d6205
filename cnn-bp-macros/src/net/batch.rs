//! A batch, `examples: [{ input, target | grad_output }, …]`: its examples' keys, their
//! inputs all of one shape, their objectives all of one kind against the network's output,
//! and a single layer written with the single-layer keys beside `examples`, made the
//! network `layers: [conv { … }, <activation>]`.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::Ident;

use super::{
    EXAMPLE_KEYS, Given, KEYS, LossKind, MAX_EXAMPLES, Objective, Owner, Shape, Walk, objective,
    tensor_literal,
};
use crate::ast;
use crate::errors::Errors;
use crate::suggest;
use crate::tensor::Literal;
use crate::valid;

/// One example's entries, each given at most once.
pub(super) struct Keys<'a> {
    /// Its place in `examples`, from 1.
    number: usize,
    /// Its braces, where an error about the whole example points.
    group: &'a Group,
    /// The keys that misspelt ones were taken to mean (not also reported missing).
    meant: Vec<&'static str>,
    input: Option<&'a ast::Entry>,
    target: Option<&'a ast::Entry>,
    grad_output: Option<&'a ast::Entry>,
}

/// A spec's batch: its examples' keys (none when `examples` could not be read, which has been
/// reported).
pub(super) struct Batch<'a> {
    examples: Vec<Keys<'a>>,
}

/// The batch of a spec with `examples`, its problems reported: `examples` given twice or
/// not as a list in brackets, empty or too long, and the keys each example has or lacks;
/// `None` for a spec without `examples`.
pub(super) fn entry<'a>(
    parsed: &'a ast::Spec,
    given: &Given<'a>,
    errors: &mut Errors,
) -> Option<Batch<'a>> {
    let written = given.get("examples");
    if parsed.examples.is_empty() && written.is_none() && !super::has(parsed, "examples") {
        return None;
    }
    if let Some(e) = written {
        errors.at(
            &e.value,
            format!(
                "`examples` is a list of examples in brackets, each in braces, like `examples: [{{ input: [[1, 0], [0, 1]], target: [[1]] }}]`, not {}",
                valid::shown(&e.value)
            ),
        );
    }
    for key in ["input", "target", "grad_output"] {
        if let Some(e) = given.get(key) {
            errors.at(
                &e.key,
                format!(
                    "with `examples`, every example has its own `{key}`: write it in each example, `examples: [{{ input: …, target: … }}, …]`, and remove this one (or remove `examples` to train on one input)"
                ),
            );
        }
    }
    let mut batch = Batch { examples: Vec::new() };
    let Some((first, rest)) = parsed.examples.split_first() else {
        return Some(batch);
    };
    for again in rest {
        errors.at(&again.key, "`examples` is given twice; keep one");
    }
    if written.is_some() {
        return Some(batch);
    }
    let n = first.items.len();
    if n == 0 {
        // A list of nothing but stray tokens has been reported.
        if first.group.stream().is_empty() {
            errors.at(
                &first.group,
                "`examples` is empty: a batch has at least one example, like `examples: [{ input: [[1, 0], [0, 1]], target: [[1]] }]`",
            );
        }
        return Some(batch);
    }
    if n > MAX_EXAMPLES {
        errors.at(
            &first.group,
            format!(
                "a batch of {n} examples is too long: every example's passes are recorded and printed, so a batch has at most {MAX_EXAMPLES}"
            ),
        );
        return Some(batch);
    }
    batch.examples = first.items.iter().map(|example| keys(example, errors)).collect();
    Some(batch)
}

/// One example's keys: each once, only [`EXAMPLE_KEYS`].
fn keys<'a>(example: &'a ast::Example, errors: &mut Errors) -> Keys<'a> {
    let mut keys = Keys {
        number: example.number,
        group: &example.group,
        meant: Vec::new(),
        input: None,
        target: None,
        grad_output: None,
    };
    for entry in &example.spec.entries {
        let key = entry.key.to_string();
        let slot = match key.as_str() {
            "input" => &mut keys.input,
            "target" => &mut keys.target,
            "grad_output" => &mut keys.grad_output,
            "loss" | "reduction" => {
                errors.at(
                    &entry.key,
                    format!(
                        "`{key}` is the whole batch's, one for every example: write it once beside `examples`, not in an example"
                    ),
                );
                continue;
            }
            _ if KEYS.contains(&key.as_str()) || super::LAYER_KEYS.contains(&key.as_str()) => {
                errors.at(
                    &entry.key,
                    format!(
                        "`{key}` is a setting of the whole spec, not of an example: write it beside `examples`; an example has only `input` and `target` (or `grad_output`)"
                    ),
                );
                continue;
            }
            _ => {
                let message = suggest::unknown("key", &key, EXAMPLE_KEYS).replacen(
                    &format!("`{key}`"),
                    &format!("`{key}` in an example"),
                    1,
                );
                errors.at(&entry.key, message);
                keys.meant.extend(suggest::nearest(&key, EXAMPLE_KEYS));
                continue;
            }
        };
        if slot.is_some() {
            errors.at(&entry.key, format!("`{key}` is given twice in this example; keep one"));
        } else {
            *slot = Some(entry);
        }
    }
    for layers in &example.spec.layers {
        errors.at(
            &layers.key,
            "`layers` is the whole batch's: write it once beside `examples`, not in an example",
        );
    }
    keys
}

/// Every example's input, read, and the shape they all have: the first readable one's,
/// which every other must have too (each that does not is reported, naming both).
pub(super) fn inputs(batch: &Batch, errors: &mut Errors) -> (Vec<Option<Literal>>, Option<Shape>) {
    let mut shape: Option<(usize, Shape)> = None;
    let mut inputs = Vec::new();
    for example in &batch.examples {
        let n = example.number;
        let Some(entry) = example.input else {
            if example.meant.contains(&"input") {
                inputs.push(None);
                continue;
            }
            errors.at(
                example.group,
                format!(
                    "example {n} is missing `input`, its network's input X: 2-D for one channel, like `{{ input: [[1, 2], [3, 4]], target: … }}`, 3-D C×H×W, or 1-D for a vector{}",
                    shape.map_or_else(String::new, |(m, s)| format!(
                        " (example {m}'s is {})",
                        s.text()
                    ))
                ),
            );
            inputs.push(None);
            continue;
        };
        let read = tensor_literal(&entry.value, "input", "a network takes", (None, true), errors);
        let Some((literal, this)) = read else {
            inputs.push(None);
            continue;
        };
        match shape {
            None => shape = Some((n, this)),
            Some((m, first)) if first != this => {
                errors.at(
                    &entry.value,
                    format!(
                        "example {n}'s input is {}, but example {m}'s is {}: every example of a batch has the same shapes, since one network takes them all; give example {n} an input of {}",
                        this.text(),
                        first.text(),
                        first.text()
                    ),
                );
                inputs.push(None);
                continue;
            }
            Some(_) => {}
        }
        inputs.push(Some(literal));
    }
    (inputs, shape.map(|(_, s)| s))
}

/// Every example's objective, against the network's output as the walk left it: all targets
/// (with the spec's loss, read once as `kind`) or all upstream gradients; an example of the
/// other kind than the first is reported, as is one with neither.
pub(super) fn objectives(
    batch: &Batch,
    (loss, kind): (Option<&ast::Entry>, Option<LossKind>),
    walk: &Walk,
    errors: &mut Errors,
) -> Vec<Option<Objective>> {
    let mut first: Option<(usize, &str)> = None;
    let mut objectives = Vec::new();
    for (k, example) in batch.examples.iter().enumerate() {
        let n = example.number;
        let this = match (example.target, example.grad_output) {
            (None, None) if example.meant.iter().any(|m| *m != "input") => {
                objectives.push(None);
                continue;
            }
            (None, None) => {
                errors.at(
                    example.group,
                    format!(
                        "example {n} is missing `target` (the wanted output, against the spec's `loss`) or `grad_output` (an upstream gradient of the output's shape){}",
                        super::known(walk.shape).map_or_else(String::new, |o| format!(
                            ": the network's output is {}",
                            o.text()
                        ))
                    ),
                );
                objectives.push(None);
                continue;
            }
            (Some(t), None) => Some(("target", t)),
            (None, Some(g)) => Some(("grad_output", g)),
            (Some(_), Some(_)) => None,
        };
        if let Some((key, entry)) = this {
            match first {
                None => first = Some((n, key)),
                Some((m, other)) if other != key => {
                    errors.at(
                        &entry.key,
                        format!(
                            "example {n} has `{key}`, but example {m} has `{other}`: a batch's examples are all trained against targets (with the spec's `loss`) or all against upstream gradients; give example {n} a `{other}`"
                        ),
                    );
                    objectives.push(None);
                    continue;
                }
                Some(_) => {}
            }
        }
        objectives.push(objective(
            (example.target, example.grad_output),
            (loss, kind, k == 0),
            Owner(Some(n)),
            walk,
            errors,
        ));
    }
    objectives
}

/// A batch's single layer, written with the single-layer keys beside `examples` and without
/// `layers`: `layers: [conv { filter, bias, stride, padding, kernel, dilation }, <activation>]`,
/// relu when no `activation` is given and none for `activation: linear`, as a single-layer
/// spec. `None` when the spec has `layers`, or has no filter (reported).
pub(super) fn single_layer(
    parsed: &ast::Spec,
    given: &Given,
    errors: &mut Errors,
) -> Option<ast::Layers> {
    if !super::batch_without_layers(parsed) {
        return None;
    }
    let Some(filter) = given.layer.iter().find(|e| e.key == "filter") else {
        let at: TokenStream = match (given.layer.first(), parsed.examples.first()) {
            (Some(e), _) => e.key.to_token_stream(),
            (None, Some(examples)) => examples.key.to_token_stream(),
            (None, None) => given.get("examples").map(|e| e.key.to_token_stream())?,
        };
        let message = if given.layer.is_empty() {
            "a batch trains a network: give its `layers`, like `layers: [conv { filter: [[1, 0], [0, 1]] }, relu]`, or a single layer's `filter` (with its `bias`, `activation`, `stride`, … if any) beside `examples`"
        } else {
            "this single layer is missing `filter`, its starting weights, like `filter: [[1, 0], [0, 1]]`; or write the network as `layers: [conv { filter: … }, relu]`"
        };
        errors.at(at, message);
        return None;
    };
    let span = filter.key.span();
    let mut settings = ast::Spec::default();
    let mut tokens = TokenStream::new();
    let mut activation = None;
    for entry in &given.layer {
        entry.key.to_tokens(&mut tokens);
        entry.value.to_tokens(&mut tokens);
        if entry.key == "activation" {
            activation = Some(entry);
        } else {
            settings.entries.push((*entry).clone());
        }
    }
    let mut braces = Group::new(Delimiter::Brace, tokens.clone());
    braces.set_span(span);
    let conv = ast::Layer {
        name: Ident::new("conv", span),
        body: ast::Body::Settings(braces, settings),
        tokens: tokens.clone(),
    };
    let mut ops = vec![conv];
    match activation {
        None => ops.push(ast::Layer {
            name: Ident::new("relu", span),
            body: ast::Body::Bare,
            tokens: Ident::new("relu", span).into_token_stream(),
        }),
        Some(e) if valid::bare_name(&e.value).as_deref() == Some("linear") => {}
        Some(e) => {
            let trees: Vec<TokenTree> = e.value.to_token_stream().into_iter().collect();
            ops.extend(ast::layer(trees, errors));
        }
    }
    let mut group = Group::new(Delimiter::Bracket, tokens);
    group.set_span(span);
    Some(ast::Layers { key: Ident::new("layers", span), group, ops })
}
