//! A network spec, `train! { input, layers: [conv { … }, relu, …], target | grad_output, … }`:
//! its values and shapes checked, every dimension of every layer computed, or spanned errors
//! that say what is wrong and what would be right.
//!
//! The shapes are walked through the layers once, as far as they are known: a layer whose
//! filter is wrong still passes on its number of filters, so the channels of the layer after
//! it are checked too; after a filter that does not fit, the sizes are unknown and nothing
//! after it is reported for them.

mod batch;

use core::fmt::Write as _;

use proc_macro2::{Span, TokenStream};
use syn::{Expr, Ident};

use crate::activation::{self, Activation};
use crate::ast;
use crate::errors::Errors;
use crate::net_ops;
use crate::suggest;
use crate::tensor::{self, Literal, MAX_RANK};
use crate::valid::{self, Cell, Kernel, Loss, Setting, count_of, pair_text, shown};

/// A spec's keys when it has `layers`.
pub(crate) const KEYS: &[&str] = &[
    "input",
    "layers",
    "target",
    "loss",
    "grad_output",
    "lr",
    "steps",
    "relu_grad_at_zero",
    "show",
    "check",
    "mistakes",
    "input_grad",
    "arithmetic",
    "examples",
    "reduction",
];

/// An example's keys, in `examples: [{ … }, …]`.
const EXAMPLE_KEYS: &[&str] = &["input", "target", "grad_output"];

/// The most examples a batch has: every example's passes are recorded and printed.
pub(crate) const MAX_EXAMPLES: usize = 256;

/// The values of `reduction`.
const REDUCTIONS: &[&str] = &["mean", "sum"];

/// A network's losses.
const NET_LOSSES: &[&str] = &["half_sse", "sse", "mse", "softmax_cross_entropy"];

/// A conv's keys.
pub(crate) const CONV_KEYS: &[&str] =
    &["filter", "bias", "stride", "padding", "dilation", "kernel"];

/// The ops `layers` takes: conv, the activations that are layers, the pools, flatten and
/// dense.
pub(crate) fn ops() -> Vec<&'static str> {
    core::iter::once("conv")
        .chain(activation::LAYERS.iter().copied())
        .chain(["max_pool", "avg_pool", "flatten", "dense"])
        .collect()
}

/// The ops that train parameters.
const TRAINED: &[&str] = &["conv", "dense"];

/// The single-layer keys that a network writes inside its layers.
const LAYER_KEYS: &[&str] =
    &["filter", "bias", "activation", "stride", "padding", "kernel", "dilation"];

/// A map's shape `[C, H, W]`.
pub(crate) type Map = [usize; 3];

/// A tensor's shape: a map `[C, H, W]` or a vector `[N]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Map(Map),
    Vector(usize),
}

impl Shape {
    /// `3×5×5`, `4`.
    pub(crate) fn text(self) -> String {
        match self {
            Self::Map(m) => dims_text(&m),
            Self::Vector(n) => n.to_string(),
        }
    }
}

/// A conv layer that passed every check.
pub(crate) struct Conv {
    /// The map it takes and the map it gives.
    pub input: Map,
    pub output: Map,
    /// Rows and columns of each kernel.
    pub kernel: (usize, usize),
    /// `[F][C][KH][KW]`, or `[KH][KW]` for one filter on one channel.
    pub filter: Literal,
    /// `[F]`, or one number.
    pub bias: Option<Literal>,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub orientation: Kernel,
}

/// One layer of a checked network.
pub(crate) enum Layer {
    Conv(Box<Conv>),
    /// An activation on a tensor of this shape.
    Act(Activation, Shape),
    Pool(net_ops::Pool),
    /// Flattening a map of this shape.
    Flatten(Map),
    Dense(Box<net_ops::Dense>),
}

/// What the network is trained against.
pub(crate) enum Objective {
    Loss(Loss, Literal),
    GradOutput(Literal),
    /// A softmax cross-entropy against a probability vector (its literal, or one-hot of
    /// a class index).
    SoftmaxCrossEntropy(net_ops::Target),
}

/// One input and what it is trained against: the spec's own, or an example's of a batch.
pub(crate) struct Example {
    /// `[C][H][W]`, or `[H][W]` for one channel, or `[N]`.
    pub input: Literal,
    pub objective: Objective,
}

/// How a batch's examples' losses make its loss: `reduction: mean | sum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reduction {
    Mean,
    Sum,
}

/// A network spec that passed every check the macro can make.
pub(crate) struct Net {
    /// The spec's one input, or a batch's examples, all of `input_shape`.
    pub examples: Vec<Example>,
    /// `None` for a spec with one input (and no `examples`).
    pub reduction: Option<Reduction>,
    pub input_shape: Shape,
    pub layers: Vec<Layer>,
    /// The output's shape, the objective's.
    pub output: Shape,
    pub relu_grad_at_zero: f64,
    pub lr: Option<Setting<valid::Number>>,
    pub steps: Setting<usize>,
    /// `show: symbolic`.
    pub symbolic: bool,
    pub sections: Sections,
}

/// Whether a parsed spec has `key` (`layers`, `examples`), read or not.
fn has(parsed: &ast::Spec, key: &str) -> bool {
    parsed.entries.iter().any(|e| e.key == key) || parsed.malformed.iter().any(|k| k == key)
}

/// Whether a parsed spec is a network's: it has `layers`, or is a batch (`examples`), which
/// trains a single layer as a network of one conv and its activation.
pub(crate) fn is_network(parsed: &ast::Spec) -> bool {
    !parsed.layers.is_empty()
        || !parsed.examples.is_empty()
        || batch_without_layers(parsed)
        || has(parsed, "layers")
}

/// Whether a spec has `examples` and no `layers`: its layer is written with the single-layer
/// keys (`filter`, `bias`, `activation`, …) beside them.
fn batch_without_layers(parsed: &ast::Spec) -> bool {
    (!parsed.examples.is_empty() || has(parsed, "examples"))
        && parsed.layers.is_empty()
        && !has(parsed, "layers")
}

/// `3×5×5`.
fn dims_text(dims: &[usize]) -> String {
    dims.iter().map(ToString::to_string).collect::<Vec<_>>().join("×")
}

/// A tensor's shape as far as it is known: `2×?×?`, `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Partial {
    Map([Option<usize>; 3]),
    Vector(Option<usize>),
    /// After a layer that was wrong: not even whether it is a map.
    Unknown,
}

impl Partial {
    /// A map's dimensions as far as known: of a vector or an unknown tensor, none.
    pub(crate) const fn map(self) -> [Option<usize>; 3] {
        match self {
            Self::Map(m) => m,
            Self::Vector(_) | Self::Unknown => [None; 3],
        }
    }
}

impl From<Shape> for Partial {
    fn from(shape: Shape) -> Self {
        match shape {
            Shape::Map(m) => Self::Map(m.map(Some)),
            Shape::Vector(n) => Self::Vector(Some(n)),
        }
    }
}

pub(crate) fn partial_text(shape: Partial) -> String {
    let dim = |d: Option<usize>| d.map_or_else(|| "?".to_owned(), |d| d.to_string());
    match shape {
        Partial::Map(m) => m.iter().map(|&d| dim(d)).collect::<Vec<_>>().join("×"),
        Partial::Vector(n) => dim(n),
        Partial::Unknown => "?".to_owned(),
    }
}

pub(crate) fn known(shape: Partial) -> Option<Shape> {
    match shape {
        Partial::Map(m) => Some(Shape::Map([m[0]?, m[1]?, m[2]?])),
        Partial::Vector(n) => Some(Shape::Vector(n?)),
        Partial::Unknown => None,
    }
}

/// A map's shape where it is known.
fn known_map(shape: [Option<usize>; 3]) -> Option<Map> {
    Some([shape[0]?, shape[1]?, shape[2]?])
}

// ---------------------------------------------------------------------------------------------
// Keys

/// The first value of each key, in [`KEYS`] or [`CONV_KEYS`] order, and the keys that
/// misspelt ones were taken to mean (those are not also reported missing).
pub(crate) struct Given<'a> {
    keys: &'static [&'static str],
    values: Vec<Option<&'a ast::Entry>>,
    pub(crate) meant: Vec<&'static str>,
    /// A batch's single layer, written with the single-layer keys beside `examples`.
    layer: Vec<&'a ast::Entry>,
}

impl<'a> Given<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'a ast::Entry> {
        let index = self.keys.iter().position(|k| *k == key).expect("a known key");
        self.values[index]
    }

    pub(crate) fn value(&self, key: &str) -> Option<&'a Expr> {
        self.get(key).map(|e| &e.value)
    }
}

/// Sorts a network spec's entries by key, reporting duplicates, the single-layer keys that
/// belong inside a layer, and unknown keys.
fn top_keys<'a>(spec: &'a ast::Spec, errors: &mut Errors) -> Given<'a> {
    let mut given =
        Given { keys: KEYS, values: vec![None; KEYS.len()], meant: Vec::new(), layer: Vec::new() };
    let single = batch_without_layers(spec);
    for entry in &spec.entries {
        let key = entry.key.to_string();
        match KEYS.iter().position(|k| *k == key) {
            Some(index) if given.values[index].is_some() => {
                errors.at(&entry.key, format!("`{key}` is given twice; keep one"));
            }
            Some(index) => given.values[index] = Some(entry),
            None if single && LAYER_KEYS.contains(&key.as_str()) => {
                if given.layer.iter().any(|e| e.key == key) {
                    errors.at(&entry.key, format!("`{key}` is given twice; keep one"));
                } else {
                    given.layer.push(entry);
                }
            }
            None if key == "activation" => errors.at(
                &entry.key,
                "in a network an activation is a layer of its own: write it in `layers` after its conv, like `layers: [conv { filter: … }, relu]`, and remove `activation`",
            ),
            None if LAYER_KEYS.contains(&key.as_str()) => errors.at(
                &entry.key,
                format!(
                    "`{key}` is a setting of a conv layer: with `layers`, put it inside the conv, like `layers: [conv {{ {key}: … }}]`"
                ),
            ),
            None => {
                let mut all = KEYS.to_vec();
                all.extend(CONV_KEYS);
                let message = match suggest::nearest(&key, &all) {
                    Some(near) if CONV_KEYS.contains(&near) => format!(
                        "unknown key `{key}`: did you mean `{near}`? It is a setting of a conv layer, written inside it: `conv {{ {near}: … }}`"
                    ),
                    _ => suggest::unknown("key", &key, KEYS),
                };
                errors.at(&entry.key, message);
                given.meant.extend(suggest::nearest(&key, KEYS));
            }
        }
    }
    given
}

/// Sorts the settings of an op called `kind` (`conv`, `max_pool`, `dense`) by key, among `keys`.
pub(crate) fn op_keys<'a>(
    spec: &'a ast::Spec,
    kind: &str,
    keys: &'static [&'static str],
    errors: &mut Errors,
) -> Given<'a> {
    let mut given =
        Given { keys, values: vec![None; keys.len()], meant: Vec::new(), layer: Vec::new() };
    for entry in &spec.entries {
        let key = entry.key.to_string();
        match keys.iter().position(|k| *k == key) {
            Some(index) if given.values[index].is_some() => {
                errors.at(&entry.key, format!("`{key}` is given twice in this {kind}; keep one"));
            }
            Some(index) => given.values[index] = Some(entry),
            None if key == "activation" => {
                let written = if kind == "conv" { "conv { filter: … }".to_owned() } else { format!("{kind} {{ … }}") };
                errors.at(
                    &entry.key,
                    format!("in a network an activation is a layer of its own: write it after the {kind} in `layers`, like `{written}, relu`"),
                );
            }
            None if KEYS.contains(&key.as_str()) => errors.at(
                &entry.key,
                format!(
                    "`{key}` is a setting of the whole spec, not of {} {kind}: write it beside `layers`, not inside the {kind}",
                    net_ops::article(kind)
                ),
            ),
            None => {
                let message = suggest::unknown("key", &key, keys).replacen(
                    &format!("`{key}`"),
                    &format!("`{key}` in {} {kind}", net_ops::article(kind)),
                    1,
                );
                errors.at(&entry.key, message);
                given.meant.extend(suggest::nearest(&key, keys));
            }
        }
    }
    for layers in &spec.layers {
        errors.at(
            &layers.key,
            format!("`layers` is a key of the whole spec; a {kind} takes no layers"),
        );
    }
    given
}

// ---------------------------------------------------------------------------------------------
// Literals

/// A tensor literal: 2-D (one channel) or 3-D `[C][H][W]` as a map `[C, H, W]`, or 1-D as a
/// vector where a vector may stand (`vector`: the input, or the target or upstream gradient
/// of a network whose output is a vector or not known). `key` names it; `expected` is the
/// shape it must have, where known.
fn tensor_literal(
    value: &Expr,
    key: &str,
    what: &str,
    (expected, vector): (Option<Shape>, bool),
    errors: &mut Errors,
) -> Option<(Literal, Shape)> {
    let example = match expected {
        Some(Shape::Vector(n)) => format!("a list of {n} numbers, like `[{}]`", example_list(n)),
        _ => "like `[[1, 2], [3, 4]]` for one channel or `[[[1, 2], [3, 4]], [[0, 1], [1, 0]]]` for C×H×W".to_owned(),
    };
    let here = expected.map_or_else(String::new, |s| format!(" (here {})", s.text()));
    let rank = tensor::rank(value);
    let wanted = match expected {
        Some(Shape::Vector(_)) => "a vector",
        _ if vector => "a map or a vector",
        _ => "a map",
    };
    match rank {
        1 if vector => {
            let literal = tensor::read(value, 1, &["entry"], &format!("`{key}`"), errors)?;
            let shape = Shape::Vector(literal.dims[0]);
            Some((literal, shape))
        }
        2 | 3 if !matches!(expected, Some(Shape::Vector(_))) => {
            let literal = tensor::read(
                value,
                rank,
                &tensor::level_names(rank, false),
                &format!("`{key}`"),
                errors,
            )?;
            let shape = match *literal.dims.as_slice() {
                [h, w] => Shape::Map([1, h, w]),
                [c, h, w] => Shape::Map([c, h, w]),
                _ => unreachable!("a literal of rank 2 or 3"),
            };
            Some((literal, shape))
        }
        0 if !valid::is_literal(value) => {
            errors.at(
                value,
                format!(
                    "the macro computes a network's shapes from its literals: write `{key}` out in brackets, {example}, not as {}, whose shape only its type knows",
                    shown(value)
                ),
            );
            None
        }
        0 => {
            errors.at(
                value,
                format!("`{key}` must be {wanted}{here}, {example}, not a single number"),
            );
            None
        }
        1 => {
            let len = match valid::ungroup(value) {
                Expr::Array(a) => a.elems.len(),
                Expr::Repeat(r) => valid::count(&r.len).unwrap_or_default(),
                _ => 0,
            };
            errors.at(
                value,
                format!(
                    "`{key}` is 1-D ({}), but {what} a map{here}: write one channel as rows, like `[[1, 2, 3]]`, or C×H×W as `[[[…]]]`",
                    if len == 1 { "1 entry".to_owned() } else { format!("{len} entries") },
                ),
            );
            None
        }
        2 | 3 => {
            errors.at(
                value,
                format!(
                    "`{key}` is {rank}-D, but {what} a vector{here}: write it as {example} (a map's last layer would need `flatten` and a `dense` layer to give a vector)"
                ),
            );
            None
        }
        _ => {
            let deep =
                if rank > MAX_RANK { format!("more than {MAX_RANK}") } else { rank.to_string() };
            errors.at(
                value,
                format!(
                    "`{key}` has {deep} levels of brackets, but {what} {wanted}{here}: 2-D for one channel or 3-D C×H×W, or 1-D for a vector (batches are not supported)"
                ),
            );
            None
        }
    }
}

/// `0, 0, 0`: an example list of `n` numbers (at most 8 written out).
pub(crate) fn example_list(n: usize) -> String {
    vec!["0"; n.min(8)].join(", ") + if n > 8 { ", …" } else { "" }
}

/// A conv's filter: 2-D (one filter on one channel) or 4-D `[F][C][KH][KW]`, as
/// `(F, C, KH, KW)`. `channels`: how many channels reach the conv, where known.
fn filter(
    value: &Expr,
    layer: usize,
    channels: Option<usize>,
    errors: &mut Errors,
) -> Option<(Literal, [usize; 4])> {
    let rank = tensor::rank(value);
    let what = format!("layer {layer}'s `filter`");
    match rank {
        2 | 4 => {
            let literal =
                tensor::read(value, rank, &tensor::level_names(rank, true), &what, errors)?;
            let dims = match *literal.dims.as_slice() {
                [kh, kw] => [1, 1, kh, kw],
                [f, c, kh, kw] => [f, c, kh, kw],
                _ => unreachable!("a literal of rank 2 or 4"),
            };
            Some((literal, dims))
        }
        3 => {
            let dims = tensor::read(
                value,
                3,
                &tensor::level_names(3, false),
                &what,
                &mut Errors::default(),
            )
            .map(|l| l.dims);
            let message = match dims.as_deref() {
                Some(&[n, kh, kw]) => {
                    let text = shown(value);
                    let wrapped = if text.contains('…') {
                        "`[…]` around it".to_owned()
                    } else {
                        format!("`[{}]`", text.trim_matches('`'))
                    };
                    let one = format!("one filter on {n} channels: wrap it in one more pair of brackets, {wrapped}, a 1×{n}×{kh}×{kw} weight");
                    let many = format!("{n} filters on one channel each: put each {kh}×{kw} kernel in brackets of its own, `[[[…]], [[…]]]`, a {n}×1×{kh}×{kw} weight");
                    let lead = format!("a 3-D filter ({n}×{kh}×{kw}) is ambiguous: a conv's weight is 2-D (one filter on one channel) or 4-D [F][C][KH][KW], as PyTorch's");
                    match channels {
                        Some(c) if c == n && c != 1 => format!("{lead}; {c} channels arrive here, so for {one}"),
                        Some(1) => format!("{lead}; one channel arrives here, so for {many}"),
                        _ => format!("{lead}; for {one}; for {many}"),
                    }
                }
                _ => "a 3-D filter is ambiguous: a conv's weight is 2-D (one filter on one channel) or 4-D [F][C][KH][KW], as PyTorch's".to_owned(),
            };
            errors.at(value, message);
            None
        }
        0 if !valid::is_literal(value) => {
            errors.at(
                value,
                format!(
                    "the macro computes a network's shapes from its literals: write the filter out in brackets, like `[[1, 0], [0, 1]]` or [F][C][KH][KW], not as {}, whose shape only its type knows",
                    shown(value)
                ),
            );
            None
        }
        _ => {
            let found = match rank {
                0 => "a single number".to_owned(),
                1 => "1-D".to_owned(),
                r if r > MAX_RANK => format!("more than {MAX_RANK}-D"),
                r => format!("{r}-D"),
            };
            errors.at(
                value,
                format!(
                    "a conv's filter is 2-D (one filter on one channel, like `[[1, 0], [0, 1]]`) or 4-D [F][C][KH][KW], as PyTorch's weight, not {found}"
                ),
            );
            None
        }
    }
}

/// A conv's bias: a number (one filter) or a list of `filters` numbers.
fn bias(
    value: &Expr,
    layer: usize,
    filters: Option<usize>,
    errors: &mut Errors,
) -> Option<Literal> {
    let what = format!("layer {layer}'s `bias`");
    let rank = tensor::rank(value);
    let literal = match rank {
        0 => match valid::cell(value, errors)? {
            cell @ Cell::Number(_) => {
                Literal { code: tensor::Nested::Cell(cell), dims: Vec::new() }
            }
            cell @ Cell::Expr(_) => Literal { code: tensor::Nested::Cell(cell), dims: Vec::new() },
        },
        1 => tensor::read(value, 1, &["entry"], &what, errors)?,
        _ => {
            errors.at(
                value,
                "a conv's bias is one number per filter: a number for one filter, like `bias: 0.5`, or a list, like `bias: [0.5, -0.5]`",
            );
            return None;
        }
    };
    let Some(f) = filters else {
        return Some(literal);
    };
    match literal.dims.as_slice() {
        [] if f != 1 => {
            errors.at(
                value,
                format!(
                    "layer {layer} has {f} filters, so its `bias` is a list of {f} numbers, one per filter, like `bias: [{}]`, not one number",
                    vec!["0"; f.min(8)].join(", ") + if f > 8 { ", …" } else { "" }
                ),
            );
            None
        }
        &[n] if n != f => {
            errors.at(
                value,
                format!(
                    "layer {layer}'s `bias` has {n} numbers, but the layer has {} (the F of its filter [F][C][KH][KW]): one bias per filter, so {f} numbers, like `bias: [{}]`",
                    count_of(f, "filter"),
                    vec!["0"; f.min(8)].join(", ") + if f > 8 { ", …" } else { "" }
                ),
            );
            None
        }
        _ => Some(literal),
    }
}

// ---------------------------------------------------------------------------------------------
// Layers

/// How the shapes stand after the layers read so far: the chain of shapes as text, for
/// messages, and the map reaching the next layer, as far as it is known.
pub(crate) struct Walk {
    pub(crate) chain: String,
    pub(crate) shape: Partial,
    /// The arithmetic of every conv's output size, for messages.
    pub(crate) sizes: Vec<String>,
}

/// A conv's label in a chain: `conv 3×3, stride 2, padding 1`.
fn conv_label(
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
    dilation: (usize, usize),
) -> String {
    let mut label = format!("conv {}×{}", kernel.0, kernel.1);
    if stride != (1, 1) {
        let _ = write!(label, ", stride {}", pair_text(stride));
    }
    if padding != (0, 0) {
        let _ = write!(label, ", padding {}", pair_text(padding));
    }
    if dilation != (1, 1) {
        let _ = write!(label, ", dilation {}", pair_text(dilation));
    }
    label
}

/// Checks one conv, `conv { … }` at layer `layer`, against the map reaching it.
fn conv(
    layer: usize,
    op: &ast::Layer,
    settings: &ast::Spec,
    walk: &mut Walk,
    errors: &mut Errors,
) -> Option<Conv> {
    let given = op_keys(settings, "conv", CONV_KEYS, errors);
    let reported =
        |key: &str| given.meant.contains(&key) || settings.malformed.iter().any(|m| m == key);
    let incoming = net_ops::map_arriving(layer, "conv", op, walk, errors);
    let filter = if let Some(value) = given.value("filter") {
        filter(value, layer, incoming[0], errors)
    } else {
        if !reported("filter") {
            errors.at(&op.tokens, missing_filter(incoming[0]));
        }
        None
    };
    let dims = filter.as_ref().map(|(_, d)| *d);
    let stride =
        given.value("stride").map_or(Some((1, 1)), |v| valid::pair(v, "stride", 1, errors));
    let dilation =
        given.value("dilation").map_or(Some((1, 1)), |v| valid::pair(v, "dilation", 1, errors));
    let padding = given.value("padding").map_or(Some((0, 0)), |v| {
        // `padding: same`'s advice is for undilated filters.
        let kernel = match (dims, dilation) {
            (Some([_, _, kh, kw]), Some((1, 1))) => (Some(kh), Some(kw)),
            _ => (None, None),
        };
        valid::padding(v, kernel, stride, errors)
    });
    let orientation = given.value("kernel").map_or(Some(Kernel::Correlation), |v| {
        valid::choice(v, "kernel", valid::KERNELS, errors).map(|name| match name {
            "convolution" => Kernel::Convolution,
            _ => Kernel::Correlation,
        })
    });
    let bias = match given.value("bias") {
        None => Some(None),
        Some(value) => bias(value, layer, dims.map(|d| d[0]), errors).map(Some),
    };

    // The channels that arrive, the filter's fit, and the output.
    let mut output: [Option<usize>; 3] = [dims.map(|d| d[0]), None, None];
    let (Some([_, c, kh, kw]), Some(stride), Some(padding), Some(dilation)) =
        (dims, stride, padding, dilation)
    else {
        walk.chain.push_str(" → conv → ");
        walk.chain.push_str(&partial_text(Partial::Map(output)));
        walk.shape = Partial::Map(output);
        return None;
    };
    let filter_value = given.value("filter").expect("a filter was read");
    let label = conv_label((kh, kw), stride, padding, dilation);
    let mut ok = true;
    if let Some(arriving) = incoming[0]
        && arriving != c
    {
        let two_d = tensor::rank(filter_value) == 2;
        errors.at(filter_value, wrong_channels(layer, two_d, [kh, kw], c, arriving, walk));
        ok = false;
    }
    let axis = |input: Option<usize>, k: usize, s: usize, p: usize, d: usize| {
        input.map(|input| cnn_bp_shape::Axis {
            input,
            kernel: k,
            stride: s,
            padding: p,
            dilation: d,
        })
    };
    let rows = axis(incoming[1], kh, stride.0, padding.0, dilation.0);
    let cols = axis(incoming[2], kw, stride.1, padding.1, dilation.1);
    let fits = |a: Option<cnn_bp_shape::Axis>| a.is_none_or(cnn_bp_shape::Axis::fits);
    if !fits(rows) || !fits(cols) {
        errors.at(filter_value, too_large(layer, (kh, kw), rows, cols, walk));
        let _ = write!(walk.chain, " → {label} → {}", partial_text(Partial::Map(output)));
        walk.shape = Partial::Map(output);
        return None;
    }
    output[1] = rows.and_then(cnn_bp_shape::Axis::output);
    output[2] = cols.and_then(cnn_bp_shape::Axis::output);
    if let (Some(rows), Some(cols)) = (rows, cols)
        && let (Some(oh), Some(ow)) = (rows.explain("OH"), cols.explain("OW"))
    {
        walk.sizes.push(format!("layer {layer}: {oh}, {ow}"));
    }
    let _ = write!(walk.chain, " → {label} → {}", partial_text(Partial::Map(output)));
    walk.shape = Partial::Map(output);
    let (Some(input), Some(out)) = (known_map(incoming), known_map(output)) else {
        return None;
    };
    let ((filter, _), bias, orientation) = (filter?, bias?, orientation?);
    ok.then_some(Conv {
        input,
        output: out,
        kernel: (kh, kw),
        filter,
        bias,
        stride,
        padding,
        dilation,
        orientation,
    })
}

/// "this conv is missing `filter`", with what reaches it.
fn missing_filter(channels: Option<usize>) -> String {
    let arriving = channels.map_or_else(String::new, |c| {
        format!("; {} arrive{} here", count_of(c, "channel"), if c == 1 { "s" } else { "" })
    });
    format!(
        "this conv is missing `filter`, its starting weights: 2-D for one filter on one channel, like `conv {{ filter: [[1, 0], [0, 1]] }}`, or 4-D [F][C][KH][KW]{arriving}"
    )
}

/// "layer 2 (conv): its filter is 1×3×2×2 …, but 2 channels arrive from layer 1 (…)".
fn wrong_channels(
    layer: usize,
    two_d: bool,
    [kh, kw]: [usize; 2],
    channels: usize,
    arriving: usize,
    walk: &Walk,
) -> String {
    let from = if layer == 0 {
        format!("the input, {}", walk.chain)
    } else {
        format!("layer {} ({})", layer - 1, walk.chain)
    };
    let written = if two_d {
        "a 2-D filter is one filter on one channel".to_owned()
    } else {
        format!("each of its filters ([F][C][KH][KW]) is on {}", count_of(channels, "channel"))
    };
    format!(
        "layer {layer} (conv): {written}, but {} arrive{} from {from}: write the filter as [F][{arriving}][{kh}][{kw}], each filter with {arriving} {kh}×{kw} kernel{}, one per channel",
        count_of(arriving, "channel"),
        if arriving == 1 { "s" } else { "" },
        if arriving == 1 { "" } else { "s" },
    )
}

/// "layer 2 (conv): the filter is 3×3, but its input (X 1×4×4 → conv 3×3 → 1×2×2) is only
/// 2×2: …", with the padding that would make it fit.
fn too_large(
    layer: usize,
    (kh, kw): (usize, usize),
    rows: Option<cnn_bp_shape::Axis>,
    cols: Option<cnn_bp_shape::Axis>,
    walk: &Walk,
) -> String {
    let (Some(rows), Some(cols)) = (rows, cols) else {
        let (axis, unit) = match (rows, cols) {
            (Some(r), _) if !r.fits() => (r, "row"),
            (_, Some(c)) => (c, "column"),
            (Some(r), None) => (r, "row"),
            (None, None) => unreachable!("an axis that does not fit is known"),
        };
        return format!(
            "layer {layer} (conv): the filter spans {} but its input has only {}, {} with its padding: a filter must fit inside the zero-padded input",
            count_of(usize::try_from(axis.reach().unwrap_or_default()).unwrap_or(usize::MAX), unit),
            count_of(axis.input, unit),
            axis.padded(),
        );
    };
    let (ph, pw) = (rows.padding, cols.padding);
    let input = if (ph, pw) == (0, 0) {
        format!("its input is only {}×{}", rows.input, cols.input)
    } else {
        format!(
            "its {}×{} input padded by {} is only {}×{}",
            rows.input,
            cols.input,
            pair_text((ph, pw)),
            rows.padded(),
            cols.padded()
        )
    };
    let dilated = (rows.dilation, cols.dilation) != (1, 1);
    let span = if dilated {
        format!(
            ", and with dilation {} it spans {}×{} (rows {}, columns {})",
            pair_text((rows.dilation, cols.dilation)),
            rows.reach().unwrap_or_default(),
            cols.reach().unwrap_or_default(),
            rows.explain_reach().unwrap_or_default(),
            cols.explain_reach().unwrap_or_default(),
        )
    } else {
        String::new()
    };
    // The padding on each axis that makes the filter fit: ⌈(reach − input)/2⌉.
    let needed = |a: cnn_bp_shape::Axis| {
        let short = a.reach().unwrap_or_default().saturating_sub(a.input as u128);
        short.div_ceil(2).max(a.padding as u128)
    };
    format!(
        "layer {layer} (conv): the filter is {kh}×{kw}{span}, but {input} ({}): a filter must fit inside the zero-padded input; use a smaller filter, or `padding: {}`",
        walk.chain,
        if needed(rows) == needed(cols) {
            needed(rows).to_string()
        } else {
            format!("({}, {})", needed(rows), needed(cols))
        }
    )
}

/// Every layer of `layers`, checked against the map reaching it; `None` for a layer that was
/// wrong (reported), and the walk's end.
fn layers(
    group: &ast::Layers,
    input: Option<Shape>,
    input_text: String,
    errors: &mut Errors,
) -> (Vec<Option<Layer>>, Walk, bool) {
    let mut walk = Walk {
        chain: input_text,
        shape: input.map_or(Partial::Unknown, Partial::from),
        sizes: Vec::new(),
    };
    let mut out = Vec::new();
    let mut relu = false;
    for (layer, op) in group.ops.iter().enumerate() {
        let name = op.name.to_string();
        let checked = match name.as_str() {
            "conv" => match &op.body {
                ast::Body::Settings(_, settings) => {
                    conv(layer, op, settings, &mut walk, errors).map(|c| Layer::Conv(Box::new(c)))
                }
                ast::Body::Bare => {
                    errors.at(
                        &op.tokens,
                        "a conv needs its settings in braces, at least its filter: `conv { filter: [[1, 0], [0, 1]] }`",
                    );
                    walk.shape = Partial::Unknown;
                    None
                }
                ast::Body::Args(group, _) => {
                    errors.at(
                        group,
                        "a conv's settings go in braces, as `key: value`: `conv { filter: [[1, 0], [0, 1]], stride: 2 }`",
                    );
                    walk.shape = Partial::Unknown;
                    None
                }
                ast::Body::Malformed => {
                    walk.shape = Partial::Unknown;
                    None
                }
            },
            "max_pool" | "avg_pool" => net_ops::pool(layer, op, &mut walk, errors).map(Layer::Pool),
            "flatten" => net_ops::flatten(layer, op, &mut walk, errors).map(Layer::Flatten),
            "dense" => {
                net_ops::dense(layer, op, &mut walk, errors).map(|d| Layer::Dense(Box::new(d)))
            }
            name if activation::LAYERS.contains(&name) => {
                relu |= Activation::bare(name).is_some_and(Activation::takes_grad_at_zero);
                let act = activation::layer(op, errors);
                let _ =
                    write!(walk.chain, " → {}", act.map_or(name.to_owned(), Activation::written));
                act.and_then(|a| Some(Layer::Act(a, known(walk.shape)?)))
            }
            _ => {
                let message = match name.as_str() {
                    "linear" | "fc" | "fully_connected"
                        if matches!(op.body, ast::Body::Settings(..)) =>
                    {
                        format!(
                            "a fully connected layer (PyTorch's `nn.Linear`) is called `dense` here: `dense {{ weight: [[…], …], bias: […] }}`, weight [out][in]; the layers are {}",
                            suggest::list(&ops())
                        )
                    }
                    "softmax" | "log_softmax" => "a softmax is part of the loss here, not a layer: end the layers with a dense layer (one output per class) and write `loss: softmax_cross_entropy`, which applies the softmax to that output".to_owned(),
                    "linear" | "identity" => format!(
                        "`{name}` is not a layer: leave it out, and a conv's output goes on as it is; the layers are {}",
                        suggest::list(&ops())
                    ),
                    _ => suggest::unknown("layer", &name, &ops()),
                };
                errors.at(&op.name, message);
                walk.shape = Partial::Unknown;
                None
            }
        };
        out.push(checked);
    }
    (out, walk, relu)
}

// ---------------------------------------------------------------------------------------------
// The whole spec

/// The one `layers: [ … ]` of a spec, if it is given once, in brackets; and whether its
/// ops can make a network (not empty, a conv among them), else reported.
fn layers_entry<'a>(parsed: &'a ast::Spec, errors: &mut Errors) -> (Option<&'a ast::Layers>, bool) {
    let mut group = None;
    for entry in &parsed.entries {
        if entry.key == "layers" {
            errors.at(
                &entry.value,
                format!(
                    "`layers` is a list of layers in brackets, like `layers: [conv {{ filter: [[1, 0], [0, 1]] }}, relu]`, not {}",
                    shown(&entry.value)
                ),
            );
        }
    }
    let given_layers = parsed.entries.iter().filter(|e| e.key == "layers").count();
    for (k, layers) in parsed.layers.iter().enumerate() {
        if k + given_layers > 0 {
            errors.at(&layers.key, "`layers` is given twice; keep one");
        } else {
            group = Some(layers);
        }
    }
    let Some(layers) = group else {
        return (None, false);
    };
    if layers.ops.is_empty() {
        // Tokens that are not ops have been reported.
        if layers.group.stream().is_empty() {
            errors.at(
                &layers.group,
                "`layers` is empty: a network needs at least one conv, like `layers: [conv { filter: [[1, 0], [0, 1]] }, relu]`",
            );
        }
        return (group, false);
    }
    // An unknown op (reported) may have been meant for a conv or a dense layer.
    let known = |op: &ast::Layer| ops().contains(&op.name.to_string().as_str());
    let trains = |op: &ast::Layer| TRAINED.contains(&op.name.to_string().as_str());
    if layers.ops.iter().all(|op| !trains(op) && known(op)) {
        errors.at(
            &layers.group,
            "these layers have nothing to train: add a conv, whose filter (and bias) the steps train, like `conv { filter: [[1, 0], [0, 1]] }`, or a dense layer, like `dense { weight: [[1, 0], [0, 1]] }`",
        );
        return (group, false);
    }
    (group, true)
}

/// What `loss` says a target is trained against: a squared loss, or a softmax cross-entropy.
#[derive(Clone, Copy)]
enum LossKind {
    Squared(Loss),
    Softmax,
}

/// The spec's `loss` (`half_sse` without one); `None` when it is not a loss (reported).
fn loss_kind(loss: Option<&ast::Entry>, errors: &mut Errors) -> Option<LossKind> {
    let Some(e) = loss else {
        return Some(LossKind::Squared(Loss::HalfSse));
    };
    if valid::bare_name(&e.value).as_deref() == Some("softmax_cross_entropy") {
        return Some(LossKind::Softmax);
    }
    valid::choice(&e.value, "loss", NET_LOSSES, errors).map(|name| {
        LossKind::Squared(match name {
            "sse" => Loss::Sse,
            "mse" => Loss::Mse,
            _ => Loss::HalfSse,
        })
    })
}

/// Which example of a batch a message is about (numbered from 1), or the spec's one input.
#[derive(Clone, Copy)]
struct Owner(Option<usize>);

impl Owner {
    /// `the target`, `example 2's target`.
    fn the(self, what: &str) -> String {
        match self.0 {
            None => format!("the {what}"),
            Some(n) => format!("example {n}'s {what}"),
        }
    }
}

/// `target` (against `loss`, read once as `kind`; `None` when it was wrong) or
/// `grad_output`, checked against the network's output. `loss` is the spec's `loss` entry,
/// whose errors only the first objective reports (`report_loss`).
fn objective(
    (target, grad): (Option<&ast::Entry>, Option<&ast::Entry>),
    (loss, kind, report_loss): (Option<&ast::Entry>, Option<LossKind>, bool),
    owner: Owner,
    walk: &Walk,
    errors: &mut Errors,
) -> Option<Objective> {
    if let Some(g) = grad {
        if target.is_some() {
            errors.at(
                &g.key,
                "`grad_output` replaces `target` and `loss`: the derivation starts from that upstream gradient of the last layer's output; keep `grad_output` or `target`, not both",
            );
        }
        if let Some(l) = loss
            && report_loss
        {
            errors.at(
                &l.key,
                "`loss` goes with `target`; with `grad_output` the loss is Σ g ⊙ y, whose gradient the upstream gradient is: remove `loss`",
            );
        }
    }
    let output = known(walk.shape);
    let read = |entry: &ast::Entry, errors: &mut Errors| {
        let key = entry.key.to_string();
        let vector = !matches!(output, Some(Shape::Map(_)));
        let (literal, shape) = tensor_literal(
            &entry.value,
            &key,
            "the network's output is",
            (output, vector),
            errors,
        )?;
        if let Some(out) = output
            && shape != out
        {
            errors.at(&entry.value, wrong_output(&key, owner, shape, out, walk));
            return None;
        }
        Some(literal)
    };
    match (target, grad) {
        (Some(t), None) if kind.is_some() => match kind.expect("a loss") {
            LossKind::Softmax => {
                let loss = loss.filter(|_| report_loss).map(|l| &l.value);
                net_ops::softmax_target(t, loss, &owner.the("target"), output, walk, errors)
                    .map(Objective::SoftmaxCrossEntropy)
            }
            LossKind::Squared(loss) => read(t, errors).map(|t| Objective::Loss(loss, t)),
        },
        (Some(t), None) => {
            let _ = read(t, errors);
            None
        }
        (None, Some(g)) => read(g, errors).map(Objective::GradOutput),
        (Some(t), Some(g)) => {
            let _ = (read(t, errors), read(g, errors));
            None
        }
        (None, None) => None,
    }
}

/// "the target is 1×3×3, but the network's output is 1×2×2: X 1×5×5 → … (the arithmetic)".
fn wrong_output(key: &str, owner: Owner, shape: Shape, out: Shape, walk: &Walk) -> String {
    let sizes =
        if walk.sizes.is_empty() { String::new() } else { format!(" ({})", walk.sizes.join("; ")) };
    let name = if key == "target" {
        owner.the("target")
    } else {
        owner.the("upstream gradient `grad_output`")
    };
    let two_d = match out {
        Shape::Map([1, h, w]) => format!(", or 2-D with {} of {w}", count_of(h, "row")),
        _ => String::new(),
    };
    let (shape_text, out_text) = match (shape, out) {
        (Shape::Vector(n), Shape::Vector(m)) => {
            (format!("has {}", net_ops::entries(n)), format!("has {}", net_ops::entries(m)))
        }
        _ => (format!("is {}", shape.text()), format!("is {}", out.text())),
    };
    let wanted = match out {
        Shape::Vector(n) => net_ops::entries(n),
        Shape::Map(_) => format!("the shape {}", out.text()),
    };
    format!(
        "{name} {shape_text}, but the network's output {out_text}: {}{sizes}; give `{key}` {wanted}{two_d}, or change the layers",
        walk.chain,
    )
}

/// The settings beside `layers`: `lr`, `steps`, `relu_grad_at_zero`, `show`, `check`,
/// `mistakes`, `input_grad`.
struct Options {
    /// A batch's, `mean` by default; `None` without `examples`.
    reduction: Option<Reduction>,
    lr: Option<Setting<valid::Number>>,
    steps: Setting<usize>,
    relu_grad_at_zero: f64,
    symbolic: bool,
    sections: Sections,
}

/// The optional sections a network spec asks for.
#[derive(Clone, Copy)]
pub(crate) struct Sections {
    /// `check: finite_differences`.
    pub finite_differences: bool,
    /// `mistakes: true`.
    pub mistakes: bool,
    /// `input_grad: true`.
    pub input_grad: bool,
}

/// `relu`: whether `layers` has a relu, and whether the layers could be read at all; `batch`:
/// whether the spec has `examples`.
fn options(given: &Given, relu: (bool, bool), batch: bool, errors: &mut Errors) -> Option<Options> {
    let reduction = match given.get("reduction") {
        None => Some(batch.then_some(Reduction::Mean)),
        Some(e) if !batch => {
            errors.at(
                &e.key,
                "`reduction` says how a batch's losses make one, and this spec has one input: give the inputs as `examples: [{ input: …, target: … }, …]`, or remove `reduction`",
            );
            None
        }
        Some(e) => valid::choice(&e.value, "reduction", REDUCTIONS, errors)
            .map(|r| Some(if r == "sum" { Reduction::Sum } else { Reduction::Mean })),
    };
    let lr = given.value("lr").map(|v| valid::learning_rate(v, errors));
    let steps = given.get("steps").map_or(Some(Setting::Literal(1)), |e| {
        let steps = valid::steps(&e.value, errors)?;
        if lr.is_none()
            && let Setting::Literal(n) = steps
            && n > 1
        {
            errors.at(
                &e.value,
                format!(
                    "without `lr` nothing is updated, so there is one step, not {n}: remove `steps`, or give a learning rate, like `lr: 0.1`"
                ),
            );
            return None;
        }
        Some(steps)
    });
    let relu_grad_at_zero = given.get("relu_grad_at_zero").map_or(Some(0.0), |e| {
        let value = activation::grad_at_zero(&e.value, errors)?;
        if relu == (false, true) {
            errors.at(
                &e.key,
                "`relu_grad_at_zero` applies to relu layers, and `layers` has none: remove it, or add a `relu`",
            );
            return None;
        }
        Some(value)
    });
    let flag = |key: &str, errors: &mut Errors| {
        given.value(key).map_or(Some(false), |v| valid::boolean(v, key, errors))
    };
    let symbolic = given.value("show").map_or(Some(false), |v| {
        valid::choice(v, "show", valid::SHOW, errors).map(|s| s == "symbolic")
    });
    let finite_differences = given.value("check").map_or(Some(false), |v| {
        valid::choice(v, "check", valid::CHECKS, errors).map(|s| s == "finite_differences")
    });
    let mistakes = flag("mistakes", errors);
    let input_grad = flag("input_grad", errors);
    Some(Options {
        reduction: reduction?,
        lr: lr.map_or(Some(None), |lr| lr.map(Some))?,
        steps: steps?,
        relu_grad_at_zero: relu_grad_at_zero?,
        symbolic: symbolic?,
        sections: Sections {
            finite_differences: finite_differences?,
            mistakes: mistakes?,
            input_grad: input_grad?,
        },
    })
}

/// Reports the keys a network spec needs and lacks.
fn missing(
    given: &Given,
    reported: &dyn Fn(&str) -> bool,
    output: Option<Shape>,
    whole: &TokenStream,
    errors: &mut Errors,
) {
    let mut missing = Vec::new();
    if given.get("input").is_none() && !reported("input") {
        missing.push("`input` (the network's input X: 2-D for one channel, like `[[1, 2], [3, 4]]`, 3-D C×H×W, or 1-D for a vector fed to dense layers)".to_owned());
    }
    let objective = ["target", "grad_output"];
    if objective.iter().all(|k| given.get(k).is_none() && !reported(k)) {
        let shape = output.map_or_else(String::new, |o| match o {
            Shape::Map(m) => format!(": a {} map here", dims_text(&m)),
            Shape::Vector(n) => format!(": a vector of {} here", net_ops::entries(n)),
        });
        missing.push(format!(
            "`target` (the wanted output{shape}, with a `loss`) or `grad_output` (an upstream gradient of the output's shape)"
        ));
    }
    if !missing.is_empty() {
        let message = format!("train! is missing {}", missing.join(" and "));
        if whole.is_empty() {
            errors.at_span(Span::call_site(), message);
        } else {
            errors.at(whole, message);
        }
    }
}

/// Checks a network spec; `None` when anything was wrong (and then `errors` says what).
/// `whole` is the spec's tokens, which an error about the spec as a whole points at.
pub(crate) fn spec(parsed: &ast::Spec, whole: &TokenStream, errors: &mut Errors) -> Option<Net> {
    let given = top_keys(parsed, errors);
    let reported =
        |key: &str| given.meant.contains(&key) || parsed.malformed.iter().any(|m| m == key);
    let batch = batch::entry(parsed, &given, errors);
    let (inputs, input_shape) = match &batch {
        None => {
            let input = given
                .value("input")
                .and_then(|v| tensor_literal(v, "input", "a network takes", (None, true), errors));
            let shape = input.as_ref().map(|(_, s)| *s);
            (vec![input.map(|(l, _)| l)], shape)
        }
        Some(batch) => batch::inputs(batch, errors),
    };
    let single = batch.is_some().then(|| batch::single_layer(parsed, &given, errors)).flatten();
    let (group, ok_layers) = match &single {
        Some(layers) => (Some(layers), true),
        None => layers_entry(parsed, errors),
    };
    let input_text = format!("X {}", input_shape.map_or_else(|| "?×?×?".to_owned(), Shape::text));
    let (checked, walk, has_relu) = match group {
        Some(group) => layers(group, input_shape, input_text, errors),
        None => (
            Vec::new(),
            Walk { chain: input_text, shape: Partial::Unknown, sizes: Vec::new() },
            false,
        ),
    };
    let loss = given.get("loss");
    let kind = loss_kind(loss, errors);
    let objectives = match &batch {
        None => vec![objective(
            (given.get("target"), given.get("grad_output")),
            (loss, kind, true),
            Owner(None),
            &walk,
            errors,
        )],
        Some(batch) => batch::objectives(batch, (loss, kind), &walk, errors),
    };
    let options = options(&given, (has_relu, ok_layers), batch.is_some(), errors);
    let output = known(walk.shape);
    if batch.is_none() {
        missing(&given, &reported, output, whole, errors);
    }

    let layers: Vec<Layer> = checked.into_iter().collect::<Option<_>>()?;
    if !ok_layers {
        return None;
    }
    let examples = inputs
        .into_iter()
        .zip(objectives)
        .map(|(input, objective)| Some(Example { input: input?, objective: objective? }))
        .collect::<Option<Vec<_>>>()?;
    let options = options?;
    if examples.is_empty() {
        return None;
    }
    Some(Net {
        examples,
        reduction: options.reduction,
        input_shape: input_shape?,
        layers,
        output: output?,
        relu_grad_at_zero: options.relu_grad_at_zero,
        lr: options.lr,
        steps: options.steps,
        symbolic: options.symbolic,
        sections: options.sections,
    })
}

/// What a single-layer spec is told about a key that only networks have.
pub(crate) fn network_only(key: &Ident) -> Option<String> {
    let key = key.to_string();
    let what = match key.as_str() {
        "grad_output" => "an upstream gradient replaces `target` and `loss`",
        "input_grad" => "`∂L/∂X` of the input is printed",
        "dilation" => "a conv is dilated",
        _ => return None,
    };
    Some(format!(
        "`{key}` is a key of network specs, where {what}: write the layer as `layers: [conv {{ filter: …, … }}, relu]`, with `{key}` {}",
        if key == "dilation" { "inside the conv" } else { "beside `layers`" }
    ))
}
