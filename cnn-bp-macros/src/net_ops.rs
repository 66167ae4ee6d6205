//! The layers of "Networks II" in a network spec: `max_pool { size, stride }`,
//! `avg_pool { size, stride }`, `flatten`, `dense { weight, bias }`, and the
//! `softmax_cross_entropy` loss's target, each checked against the tensor reaching it, with
//! spanned errors that say what would be right and the shape arithmetic behind them.

use core::fmt::Write as _;

use syn::Expr;

use crate::ast;
use crate::errors::Errors;
use crate::net::{Map, Partial, Shape, Walk, example_list, op_keys, partial_text};
use crate::tensor::{self, Literal, Nested};
use crate::valid::{self, Cell, count_of, pair_text, shown};

/// A pool's keys.
pub(crate) const POOL_KEYS: &[&str] = &["size", "stride"];

/// A dense layer's keys.
pub(crate) const DENSE_KEYS: &[&str] = &["weight", "bias"];

/// `1 entry`, `4 entries`.
pub(crate) fn entries(n: usize) -> String {
    if n == 1 { "1 entry".to_owned() } else { format!("{n} entries") }
}

/// Which pooling.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pooling {
    Max,
    Mean,
}

/// A pooling layer that passed every check.
pub(crate) struct Pool {
    pub kind: Pooling,
    pub input: Map,
    pub output: Map,
    pub size: (usize, usize),
    pub stride: (usize, usize),
}

/// A dense layer that passed every check.
pub(crate) struct Dense {
    /// Its inputs and outputs.
    pub inputs: usize,
    pub outputs: usize,
    /// `[O][I]`.
    pub weight: Literal,
    /// `[O]`, or one number for one output.
    pub bias: Option<Literal>,
}

/// A softmax cross-entropy's target.
pub(crate) enum Target {
    /// A probability vector, as written.
    Probabilities(Literal),
    /// Class `index` of `len`: one-hot.
    Class { index: usize, len: usize },
}

/// `a` or `an` before `word`.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// Where a layer's input comes from, for messages: `the input, X 1×4` or `layer 2 (X … → 4)`.
fn from(layer: usize, walk: &Walk) -> String {
    if layer == 0 {
        format!("the input, {}", walk.chain)
    } else {
        format!("layer {} ({})", layer - 1, walk.chain)
    }
}

/// The arithmetic of the sizes so far, for messages: ` (layer 0: OH = …; layer 3: …)`.
fn sizes(walk: &Walk) -> String {
    if walk.sizes.is_empty() { String::new() } else { format!(" ({})", walk.sizes.join("; ")) }
}

/// The map reaching a layer that takes one (`kind`: conv, max_pool, …), as far as known; a
/// vector arriving is reported.
pub(crate) fn map_arriving(
    layer: usize,
    kind: &str,
    op: &ast::Layer,
    walk: &Walk,
    errors: &mut Errors,
) -> [Option<usize>; 3] {
    if let Partial::Vector(n) = walk.shape {
        let vector =
            n.map_or_else(|| "a vector".to_owned(), |n| format!("a vector of {}", entries(n)));
        errors.at(
            &op.name,
            format!(
                "layer {layer} ({kind}): {a} {kind} takes a map C×H×W, but {vector} arrives from {}: {a} {kind} goes before `flatten` and the dense layers, not after them",
                from(layer, walk),
                a = article(kind),
            ),
        );
    }
    walk.shape.map()
}

/// The settings of an op that needs them in braces: `None` (reported) for a bare op or one
/// with arguments in parentheses.
fn settings<'a>(op: &'a ast::Layer, example: &str, errors: &mut Errors) -> Option<&'a ast::Spec> {
    let name = op.name.to_string();
    match &op.body {
        ast::Body::Settings(_, settings) => Some(settings),
        ast::Body::Bare => {
            errors.at(
                &op.tokens,
                format!("{} {name} needs its settings in braces: `{example}`", article(&name)),
            );
            None
        }
        ast::Body::Args(group, _) => {
            errors.at(
                group,
                format!(
                    "{} {name}'s settings go in braces, as `key: value`: `{example}`",
                    article(&name)
                ),
            );
            None
        }
        ast::Body::Malformed => None,
    }
}

/// `max_pool { size, stride }` or `avg_pool { … }` at layer `layer`.
pub(crate) fn pool(
    layer: usize,
    op: &ast::Layer,
    walk: &mut Walk,
    errors: &mut Errors,
) -> Option<Pool> {
    let name = op.name.to_string();
    let kind = if name == "max_pool" { Pooling::Max } else { Pooling::Mean };
    let example = format!("{name} {{ size: 2 }}` or `{name} {{ size: 2, stride: 1 }}");
    let vector = matches!(walk.shape, Partial::Vector(_));
    let incoming = map_arriving(layer, &name, op, walk, errors);
    if vector {
        // Reported: what it would give is not known, not even whether a map.
        walk.shape = Partial::Unknown;
        let _ = write!(walk.chain, " → {name} → ?");
        return None;
    }
    let Some(settings) = settings(op, &example, errors) else {
        walk.shape = Partial::Unknown;
        return None;
    };
    let given = op_keys(settings, &name, POOL_KEYS, errors);
    let reported =
        |key: &str| given.meant.contains(&key) || settings.malformed.iter().any(|m| m == key);
    let size = if let Some(v) = given.value("size") {
        valid::pair(v, "size", 1, errors)
    } else {
        if !reported("size") {
            errors.at(
                &op.tokens,
                format!(
                    "this {name} is missing `size`, its window's rows and columns: `{example}` (the stride is the size unless given)"
                ),
            );
        }
        None
    };
    let stride = match given.value("stride") {
        Some(v) => valid::pair(v, "stride", 1, errors),
        None => size,
    };
    let (Some(size), Some(stride)) = (size, stride) else {
        let _ = write!(
            walk.chain,
            " → {name} → {}",
            partial_text(Partial::Map([incoming[0], None, None]))
        );
        walk.shape = Partial::Map([incoming[0], None, None]);
        return None;
    };
    let mut label = format!("{name} {}×{}", size.0, size.1);
    if stride != size {
        let _ = write!(label, ", stride {}", pair_text(stride));
    }
    let axis = |input: Option<usize>, kernel, stride| {
        input.map(|input| cnn_bp_shape::Axis { input, kernel, stride, padding: 0, dilation: 1 })
    };
    let (rows, cols) = (axis(incoming[1], size.0, stride.0), axis(incoming[2], size.1, stride.1));
    let fits = |a: Option<cnn_bp_shape::Axis>| a.is_none_or(cnn_bp_shape::Axis::fits);
    if !fits(rows) || !fits(cols) {
        let value = given.value("size").expect("a size was read");
        let input = |a: Option<cnn_bp_shape::Axis>| {
            a.map_or_else(|| "?".to_owned(), |a| a.input.to_string())
        };
        let largest = [rows, cols].iter().flatten().map(|a| a.input).min().unwrap_or(1);
        errors.at(
            value,
            format!(
                "layer {layer} ({name}): the window is {}×{}, but its input ({}) is only {}×{}: a pooling window must fit inside its input (a pool has no padding); use `size: {largest}` or less",
                size.0,
                size.1,
                walk.chain,
                input(rows),
                input(cols),
            ),
        );
        let _ = write!(
            walk.chain,
            " → {label} → {}",
            partial_text(Partial::Map([incoming[0], None, None]))
        );
        walk.shape = Partial::Map([incoming[0], None, None]);
        return None;
    }
    let output = [
        incoming[0],
        rows.and_then(cnn_bp_shape::Axis::output),
        cols.and_then(cnn_bp_shape::Axis::output),
    ];
    if let (Some(r), Some(c)) = (rows, cols)
        && let (Some(oh), Some(ow)) = (r.explain_window("OH"), c.explain_window("OW"))
    {
        walk.sizes.push(format!("layer {layer}: {oh}, {ow}"));
    }
    let _ = write!(walk.chain, " → {label} → {}", partial_text(Partial::Map(output)));
    walk.shape = Partial::Map(output);
    let input = [incoming[0]?, incoming[1]?, incoming[2]?];
    let output = [output[0]?, output[1]?, output[2]?];
    Some(Pool { kind, input, output, size, stride })
}

/// `flatten` at layer `layer`: the map reaching it as a vector.
pub(crate) fn flatten(
    layer: usize,
    op: &ast::Layer,
    walk: &mut Walk,
    errors: &mut Errors,
) -> Option<Map> {
    match &op.body {
        ast::Body::Bare => {}
        ast::Body::Malformed => {
            walk.shape = Partial::Vector(None);
            return None;
        }
        _ => {
            errors.at(
                &op.tokens,
                "`flatten` takes no settings: write it bare, `flatten`; it lays a map C×H×W out as one vector of C·H·W entries, channel by channel and row by row, as PyTorch's `nn.Flatten`",
            );
            walk.shape = Partial::Vector(None);
            return None;
        }
    }
    match walk.shape {
        Partial::Vector(n) => {
            let vector =
                n.map_or_else(|| "a vector".to_owned(), |n| format!("a vector of {}", entries(n)));
            errors.at(
                &op.name,
                format!(
                    "layer {layer} (flatten): {vector} arrives from {}, already flat: remove this `flatten`",
                    from(layer, walk)
                ),
            );
            walk.chain.push_str(" → flatten → ?");
            None
        }
        Partial::Map(m) => {
            let Some(map) = m[0].zip(m[1]).zip(m[2]).map(|((c, h), w)| [c, h, w]) else {
                walk.chain.push_str(" → flatten → ?");
                walk.shape = Partial::Vector(None);
                return None;
            };
            let n = map[0].checked_mul(map[1]).and_then(|n| n.checked_mul(map[2]));
            let Some(n) = n else {
                errors.at(
                    &op.name,
                    "layer {layer} (flatten): the map has more entries than usize can count",
                );
                walk.shape = Partial::Vector(None);
                return None;
            };
            walk.sizes.push(format!(
                "layer {layer}: flatten {}×{}×{} → {}·{}·{} = {n}",
                map[0], map[1], map[2], map[0], map[1], map[2]
            ));
            let _ = write!(walk.chain, " → flatten → {n}");
            walk.shape = Partial::Vector(Some(n));
            Some(map)
        }
        Partial::Unknown => {
            walk.chain.push_str(" → flatten → ?");
            walk.shape = Partial::Vector(None);
            None
        }
    }
}

/// `dense { weight, bias }` at layer `layer`.
pub(crate) fn dense(
    layer: usize,
    op: &ast::Layer,
    walk: &mut Walk,
    errors: &mut Errors,
) -> Option<Dense> {
    let example = "dense { weight: [[1, 0], [0, 1]], bias: [0, 0] }` (the weight [out][in], one row per output, as PyTorch's `nn.Linear`";
    let arriving = match walk.shape {
        Partial::Vector(n) => n,
        Partial::Map(m) => {
            let map = partial_text(Partial::Map(m));
            let n =
                m[0].zip(m[1]).zip(m[2]).and_then(|((c, h), w)| c.checked_mul(h)?.checked_mul(w));
            let flat = match (m, n) {
                ([Some(c), Some(h), Some(w)], Some(n)) => {
                    format!(
                        ", which gives {c}·{h}·{w} = {n} entries, and give the weight {n} columns"
                    )
                }
                _ => String::new(),
            };
            errors.at(
                &op.name,
                format!(
                    "layer {layer} (dense): a dense layer takes a vector, but a {map} map arrives from {}: add `flatten` before it{flat}",
                    from(layer, walk)
                ),
            );
            None
        }
        Partial::Unknown => None,
    };
    let Some(settings) = settings(op, example, errors) else {
        walk.shape = Partial::Unknown;
        return None;
    };
    let given = op_keys(settings, "dense", DENSE_KEYS, errors);
    let reported =
        |key: &str| given.meant.contains(&key) || settings.malformed.iter().any(|m| m == key);
    let weight = if let Some(v) = given.value("weight") {
        weight(v, layer, errors)
    } else {
        if !reported("weight") {
            let n = arriving.map_or_else(String::new, |n| format!("; {} arrive here", entries(n)));
            errors.at(
                &op.tokens,
                format!("this dense layer is missing `weight`, its starting weights [out][in], like `{example}){n}"),
            );
        }
        None
    };
    let outputs = weight.as_ref().map(|(_, o, _)| *o);
    let bias = match given.value("bias") {
        None => Some(None),
        Some(v) => bias(v, layer, outputs, errors).map(Some),
    };
    let mut ok = true;
    if let (Some((_, o, i)), Some(n)) = (&weight, arriving)
        && *i != n
    {
        let value = given.value("weight").expect("a weight was read");
        errors.at(
            value,
            format!(
                "layer {layer} (dense): its weight is {o}×{i} ([out][in]: {} from {}), but {} arrive from {}{}: give {} {n} numbers",
                count_of(*o, "output"),
                count_of(*i, "input"),
                entries(n),
                from(layer, walk),
                sizes(walk),
                if *o == 1 { "its row".to_owned() } else { format!("each of its {o} rows") },
            ),
        );
        ok = false;
    }
    let label =
        weight.as_ref().map_or_else(|| "dense".to_owned(), |(_, o, i)| format!("dense {i}→{o}"));
    let _ = write!(
        walk.chain,
        " → {label} → {}",
        outputs.map_or_else(|| "?".to_owned(), |o| o.to_string())
    );
    walk.shape = Partial::Vector(outputs);
    let ((weight, outputs, inputs), bias) = (weight?, bias?);
    (ok && arriving.is_some()).then_some(Dense { inputs, outputs, weight, bias })
}

/// A dense layer's weight: 2-D `[O][I]`, as `(literal, O, I)`.
fn weight(value: &Expr, layer: usize, errors: &mut Errors) -> Option<(Literal, usize, usize)> {
    let rank = tensor::rank(value);
    let what = format!("layer {layer}'s `weight`");
    match rank {
        2 => {
            let literal = tensor::read(value, 2, &["row", "entry"], &what, errors)?;
            let (o, i) = (literal.dims[0], literal.dims[1]);
            Some((literal, o, i))
        }
        0 if !valid::is_literal(value) => {
            errors.at(
                value,
                format!(
                    "the macro computes a network's shapes from its literals: write the weight out in brackets, [out][in], like `[[1, 0], [0, 1]]`, not as {}, whose shape only its type knows",
                    shown(value)
                ),
            );
            None
        }
        _ => {
            let found = match rank {
                0 => "a single number".to_owned(),
                1 => "1-D (for one output, write its one row in brackets: `[[…]]`)".to_owned(),
                r => format!("{r}-D"),
            };
            errors.at(
                value,
                format!(
                    "a dense layer's weight is 2-D, [out][in] with one row per output, as PyTorch's `nn.Linear`, like `[[1, 0], [0, 1]]`, not {found}"
                ),
            );
            None
        }
    }
}

/// A dense layer's bias: a list of `outputs` numbers (one number for one output).
fn bias(
    value: &Expr,
    layer: usize,
    outputs: Option<usize>,
    errors: &mut Errors,
) -> Option<Literal> {
    let what = format!("layer {layer}'s `bias`");
    let literal = match tensor::rank(value) {
        0 => Literal { code: Nested::Cell(valid::cell(value, errors)?), dims: Vec::new() },
        1 => tensor::read(value, 1, &["entry"], &what, errors)?,
        _ => {
            errors.at(
                value,
                "a dense layer's bias is one number per output, a list like `bias: [0.5, -0.5]`",
            );
            return None;
        }
    };
    let Some(o) = outputs else {
        return Some(literal);
    };
    let n = literal.dims.first().copied().unwrap_or(1);
    if (literal.dims.is_empty() && o != 1) || n != o {
        let found =
            if literal.dims.is_empty() { "one number".to_owned() } else { count_of(n, "number") };
        errors.at(
            value,
            format!(
                "layer {layer}'s `bias` is {found}, but the layer has {} (the rows of its weight [out][in]): one bias per output, so {}, like `bias: [{}]`",
                count_of(o, "output"),
                count_of(o, "number"),
                example_list(o)
            ),
        );
        return None;
    }
    Some(literal)
}

/// The target of `loss: softmax_cross_entropy`: a probability vector of the output's length,
/// or a class index.
/// `loss` is the `loss` entry's value when the errors about it are this target's to report
/// (a batch reports them once); `name` names the target in messages (`example 2's target`).
pub(crate) fn softmax_target(
    target: &ast::Entry,
    loss: Option<&Expr>,
    name: &str,
    output: Option<Shape>,
    walk: &Walk,
    errors: &mut Errors,
) -> Option<Target> {
    let classes = match output {
        Some(Shape::Vector(n)) => Some(n),
        Some(Shape::Map(m)) => {
            let loss = loss?;
            errors.at(
                loss,
                format!(
                    "softmax_cross_entropy takes the network's output as a vector of logits, one per class, but the output is a {} map ({}): end the layers with `flatten` and a `dense` layer with one output per class",
                    Shape::Map(m).text(),
                    walk.chain
                ),
            );
            return None;
        }
        None => None,
    };
    let value = &target.value;
    let rank = tensor::rank(value);
    if rank == 0 {
        // A class index.
        let number = match valid::literal_number(value) {
            Some(Ok(n)) if n.integer && n.value >= 0.0 => n,
            _ => {
                errors.at(
                    value,
                    format!(
                        "a softmax_cross_entropy target is a probability vector, like `[0, 1, 0]`, or a class index, a whole number like `1`, not {}",
                        shown(value)
                    ),
                );
                return None;
            }
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a whole number ≥ 0
        let index = number.value as usize;
        let len = classes?;
        if index >= len {
            errors.at(
                value,
                format!(
                    "class {index} does not exist: the network's output has {} ({}), so a class index is 0 to {}",
                    entries(len),
                    walk.chain,
                    len - 1
                ),
            );
            return None;
        }
        return Some(Target::Class { index, len });
    }
    if rank != 1 {
        errors.at(
            value,
            format!(
                "a softmax_cross_entropy target is a probability vector{}, like `[0, 1, 0]`, or a class index like `1`, not {rank}-D",
                classes.map_or_else(String::new, |n| format!(" of {}", entries(n)))
            ),
        );
        return None;
    }
    let literal = tensor::read(value, 1, &["entry"], "`target`", errors)?;
    let n = literal.dims[0];
    if let Some(len) = classes
        && n != len
    {
        errors.at(
            value,
            format!(
                "{name} has {}, but the network's output has {} ({}): a softmax_cross_entropy target has one probability per class",
                entries(n),
                entries(len),
                walk.chain
            ),
        );
        return None;
    }
    probabilities(value, &literal, errors).then_some(Target::Probabilities(literal))
}

/// Whether a target literal is a probability vector: numbers written out, none negative,
/// summing to 1 (within 10⁻⁹, for decimals that binary fractions cannot hold exactly).
fn probabilities(value: &Expr, literal: &Literal, errors: &mut Errors) -> bool {
    let Nested::List { items, .. } = &literal.code else {
        errors.at(
            value,
            "write a softmax_cross_entropy target's probabilities out, like `[0, 1, 0]`, so that the macro can check that they sum to 1",
        );
        return false;
    };
    let mut sum = 0.0;
    let mut ok = true;
    for item in items {
        if let Nested::Cell(Cell::Number(n)) = item {
            if n.value < 0.0 {
                errors.at_span(
                    n.span,
                    "a probability is at least 0: a softmax_cross_entropy target is a probability vector, every entry ≥ 0, summing to 1",
                );
                ok = false;
            }
            sum += n.value;
        } else {
            errors.at(
                value,
                "write a softmax_cross_entropy target's probabilities out as numbers, like `[0, 1, 0]`, so that the macro can check that they sum to 1",
            );
            return false;
        }
    }
    if ok && (sum - 1.0).abs() > 1e-9 {
        errors.at(
            value,
            format!(
                "the target's entries sum to {sum}, but a probability vector sums to 1: a one-hot target like `[0, 1, 0]` or a soft one like `[0.25, 0.75, 0]`"
            ),
        );
        ok = false;
    }
    ok
}
