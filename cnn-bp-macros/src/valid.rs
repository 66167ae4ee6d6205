//! Values and shapes: turns parsed syntax into a checked spec, or into spanned errors that say
//! what is wrong and what would be right.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Lit, UnOp};

use crate::ast::{self, Entry};
use crate::errors::Errors;
use crate::suggest;

/// A number literal that is finite as `f64`, with where it was written.
#[derive(Clone, Copy)]
pub(crate) struct Number {
    pub value: f64,
    pub span: Span,
}

/// A matrix written out as a literal: rows of numbers, all the same length.
pub(crate) struct Literal {
    pub rows: Vec<Vec<Number>>,
}

impl Literal {
    pub(crate) fn shape(&self) -> (usize, usize) {
        (self.rows.len(), self.rows[0].len())
    }
}

/// A matrix given as a literal, or as any other expression whose type the compiler checks.
pub(crate) enum Matrix {
    Literal(Literal),
    // Boxed: an `Expr` is large, and larger still with proc-macro2's `span-locations`.
    Expr(Box<Expr>),
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Activation {
    Relu,
    Linear,
    Sigmoid,
    Tanh,
    LeakyRelu(f64),
}

#[derive(Clone, Copy)]
pub(crate) enum Loss {
    HalfSse,
    Sse,
    Mse,
}

#[derive(Clone, Copy)]
pub(crate) enum Kernel {
    Correlation,
    Convolution,
}

/// A spec that passed every check the macro can make.
pub(crate) struct Spec {
    pub input: Matrix,
    pub filter: Matrix,
    pub target: Matrix,
    pub lr: f64,
    pub bias: Option<Number>,
    pub activation: Activation,
    pub relu_grad_at_zero: f64,
    pub loss: Loss,
    pub steps: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub kernel: Kernel,
    /// `show: symbolic`.
    pub symbolic: bool,
    /// `check: finite_differences`.
    pub finite_differences: bool,
    /// `mistakes: true`.
    pub mistakes: bool,
}

/// Every key `train!` knows, in the order the documentation lists them.
pub(crate) const KEYS: &[&str] = &[
    "input",
    "filter",
    "target",
    "lr",
    "bias",
    "activation",
    "loss",
    "steps",
    "stride",
    "padding",
    "kernel",
    "relu_grad_at_zero",
    "show",
    "check",
    "mistakes",
];

const REQUIRED: &[&str] = &["input", "filter", "target", "lr"];
const ACTIVATIONS: &[&str] = &["relu", "linear", "sigmoid", "tanh", "leaky_relu"];
const LOSSES: &[&str] = &["half_sse", "sse", "mse"];
const KERNELS: &[&str] = &["correlation", "convolution"];
const SHOW: &[&str] = &["numeric", "symbolic"];
const CHECKS: &[&str] = &["finite_differences", "none"];

/// More steps than anyone can read; also keeps a typo like `steps: 10000000` from hanging a build's tests.
pub(crate) const MAX_STEPS: usize = 100_000;

// ---------------------------------------------------------------------------------------------
// Numbers and matrices

/// What the source said, for messages: `` `foo` ``.
fn shown(tokens: &impl ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    // The token printer spaces a minus sign from its number: `- 0.5`.
    if let Some(rest) = text.strip_prefix("- ") {
        text = format!("-{rest}");
    }
    if text.chars().count() > 40 {
        let short: String = text.chars().take(37).collect();
        format!("`{short}…`")
    } else {
        format!("`{text}`")
    }
}

/// A number literal, optionally negated: `2`, `-0.5`, `1e-3`, `1_000`, `0x10`, `2.0f64`.
pub(crate) fn number(expr: &Expr) -> Result<Number, syn::Error> {
    let (negative, inner) = match expr {
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => (true, &*unary.expr),
        other => (false, other),
    };
    let inner = ungroup(inner);
    let (digits, suffix) = match inner {
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => (int.base10_digits(), int.suffix()),
        Expr::Lit(ExprLit { lit: Lit::Float(float), .. }) => {
            (float.base10_digits(), float.suffix())
        }
        _ => {
            return Err(syn::Error::new_spanned(
                expr,
                format!("expected a number such as `2`, `-0.5` or `1e-3`, found {}", shown(expr)),
            ));
        }
    };
    if !matches!(suffix, "" | "f64") {
        return Err(syn::Error::new_spanned(
            inner,
            format!("remove the suffix `{suffix}`: entries are f64, so write `{digits}`"),
        ));
    }
    let magnitude: f64 = digits.parse().map_err(|_| {
        syn::Error::new_spanned(inner, format!("{} is not a number cnn-bp can read", shown(expr)))
    })?;
    if !magnitude.is_finite() {
        return Err(syn::Error::new_spanned(
            expr,
            format!(
                "{} is not finite as f64 (it rounds to infinity); the largest f64 is about 1.8e308",
                shown(expr)
            ),
        ));
    }
    Ok(Number { value: if negative { -magnitude } else { magnitude }, span: expr.span() })
}

/// `(expr)` produced by `macro_rules!` substitution is an invisible group; see through it.
fn ungroup(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => ungroup(&group.expr),
        other => other,
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Checks the rows of a matrix literal. `whole` is what an empty matrix error points at.
pub(crate) fn literal<'a>(
    rows: impl IntoIterator<Item = &'a Expr>,
    whole: &dyn ToTokens,
    what: &str,
    errors: &mut Errors,
) -> Option<Literal> {
    let mut out = Vec::new();
    let mut ok = true;
    let mut width: Option<usize> = None;
    for (r, row) in rows.into_iter().enumerate() {
        let Expr::Array(array) = ungroup(row) else {
            errors.at(
                row,
                format!(
                    "expected the {} row of {what} in brackets, like `[1, 2]`, found {}",
                    ordinal(r + 1),
                    shown(row)
                ),
            );
            ok = false;
            continue;
        };
        if array.elems.is_empty() {
            errors.at(
                row,
                format!(
                    "the {} row of {what} is empty; every row needs at least one number",
                    ordinal(r + 1)
                ),
            );
            ok = false;
            continue;
        }
        let mut numbers = Vec::with_capacity(array.elems.len());
        for elem in &array.elems {
            match number(elem) {
                Ok(n) => numbers.push(n),
                Err(error) => {
                    errors.push(error);
                    ok = false;
                }
            }
        }
        match width {
            None => width = Some(array.elems.len()),
            Some(w) if w != array.elems.len() => {
                errors.at(
                    row,
                    format!(
                        "the {} row of {what} has {} entr{}, but the 1st row has {w}: every row needs {w}",
                        ordinal(r + 1),
                        array.elems.len(),
                        if array.elems.len() == 1 { "y" } else { "ies" },
                    ),
                );
                ok = false;
            }
            Some(_) => {}
        }
        out.push(numbers);
    }
    if out.is_empty() && ok {
        errors
            .at(whole, format!("{what} is empty; write at least one row, like `[[1, 2], [3, 4]]`"));
        return None;
    }
    ok.then_some(Literal { rows: out })
}

/// A `train!` matrix: a literal `[[…], …]` is checked here; anything else is left to the types.
fn matrix(value: &Expr, key: &str, errors: &mut Errors) -> Option<Matrix> {
    match ungroup(value) {
        Expr::Array(outer)
            if outer.elems.iter().any(|e| matches!(ungroup(e), Expr::Array(_)))
                || outer.elems.is_empty() =>
        {
            literal(&outer.elems, value, &format!("`{key}`"), errors).map(Matrix::Literal)
        }
        Expr::Array(_) => {
            errors.at(
                value,
                format!("`{key}` must be a matrix: rows in brackets, like `[[1, 2], [3, 4]]`"),
            );
            None
        }
        Expr::Lit(_) | Expr::Unary(_) => {
            errors.at(
                value,
                format!("`{key}` must be a matrix, like `[[1, 2], [3, 4]]`, not a single number"),
            );
            None
        }
        _ => Some(Matrix::Expr(Box::new(value.clone()))),
    }
}

// ---------------------------------------------------------------------------------------------
// Settings

fn whole_number(value: &Expr, key: &str, min: usize, errors: &mut Errors) -> Option<usize> {
    let n = match number(value) {
        Ok(n) => n,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let is_int = matches!(ungroup(value), Expr::Lit(ExprLit { lit: Lit::Int(_), .. }));
    let what = if min == 0 { "0 or more" } else { "1 or more" };
    if n.value < 0.0 {
        errors.at(value, format!("`{key}` cannot be negative: write a whole number, {what}"));
        None
    } else if !is_int || n.value.fract() != 0.0 {
        errors.at(value, format!("`{key}` must be a whole number ({what}), not {}", shown(value)));
        None
    } else if n.value < min as f64 {
        errors.at(value, format!("`{key}` must be at least {min}, not {}", shown(value)));
        None
    } else if n.value > 1e9 {
        errors.at(value, format!("`{key}` is too large"));
        None
    } else {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(n.value as usize)
    }
}

/// `stride: 2` or `stride: (2, 1)`.
fn pair(value: &Expr, key: &str, min: usize, errors: &mut Errors) -> Option<(usize, usize)> {
    match ungroup(value) {
        Expr::Tuple(tuple) if tuple.elems.len() == 2 => {
            let rows = whole_number(&tuple.elems[0], key, min, errors);
            let cols = whole_number(&tuple.elems[1], key, min, errors);
            Some((rows?, cols?))
        }
        Expr::Tuple(_) | Expr::Paren(_) => {
            errors.at(value, format!("`{key}` is one whole number for both axes, or two as (rows, columns), like `{key}: (2, 1)`"));
            None
        }
        _ => whole_number(value, key, min, errors).map(|n| (n, n)),
    }
}

/// The name of a path like `relu`, or `None` for anything else.
fn bare_name(value: &Expr) -> Option<String> {
    match ungroup(value) {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

/// One of `valid`, with a suggestion when it is not.
fn choice<'a>(value: &Expr, key: &str, valid: &[&'a str], errors: &mut Errors) -> Option<&'a str> {
    let Some(name) = bare_name(value) else {
        errors.at(
            value,
            format!("`{key}` must be one of {}, found {}", suggest::list(valid), shown(value)),
        );
        return None;
    };
    if let Some(found) = valid.iter().find(|v| **v == name) {
        return Some(found);
    }
    errors.at(value, suggest::unknown(key, &name, valid));
    None
}

fn activation(value: &Expr, errors: &mut Errors) -> Option<Activation> {
    if let Expr::Call(call) = ungroup(value) {
        let callee = bare_name(&call.func);
        if callee.as_deref() != Some("leaky_relu") {
            let name = callee.unwrap_or_else(|| shown(&call.func));
            errors.at(value, format!("only `leaky_relu` takes an argument, like `leaky_relu(0.01)`; write `{name}` without parentheses if you meant it"));
            return None;
        }
        if call.args.len() != 1 {
            errors.at(
                value,
                "`leaky_relu` takes one argument, its slope for z < 0, like `leaky_relu(0.01)`",
            );
            return None;
        }
        let slope = match number(&call.args[0]) {
            Ok(n) => n.value,
            Err(error) => {
                errors.push(error);
                return None;
            }
        };
        if slope <= 0.0 {
            errors.at(&call.args[0], format!("the slope of `leaky_relu` must be positive, like `leaky_relu(0.01)`, not {}; for 0 use `relu`", shown(&call.args[0])));
            return None;
        }
        return Some(Activation::LeakyRelu(slope));
    }
    match choice(value, "activation", ACTIVATIONS, errors)? {
        "relu" => Some(Activation::Relu),
        "linear" => Some(Activation::Linear),
        "sigmoid" => Some(Activation::Sigmoid),
        "tanh" => Some(Activation::Tanh),
        _ => {
            errors.at(value, "`leaky_relu` needs its slope for z < 0, like `leaky_relu(0.01)`");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The whole spec

/// The first value given for each key, in [`KEYS`] order, and the keys that unknown keys
/// were taken to mean (those are reported as misspelt, not also as missing).
struct Given<'a> {
    values: [Option<&'a Entry>; KEYS.len()],
    meant: Vec<&'static str>,
}

impl<'a> Given<'a> {
    fn get(&self, key: &str) -> Option<&'a Entry> {
        let index = KEYS.iter().position(|k| *k == key).expect("a known key");
        self.values[index]
    }
}

fn sort_keys<'a>(spec: &'a ast::Spec, errors: &mut Errors) -> Given<'a> {
    let mut values = [None; KEYS.len()];
    let mut meant = Vec::new();
    for entry in &spec.entries {
        let key = entry.key.to_string();
        match KEYS.iter().position(|k| *k == key) {
            Some(index) if values[index].is_some() => {
                errors.at(&entry.key, format!("`{key}` is given twice; keep one"));
            }
            Some(index) => values[index] = Some(entry),
            None => {
                errors.at(&entry.key, suggest::unknown("key", &key, KEYS));
                meant.extend(suggest::nearest(&key, KEYS));
            }
        }
    }
    Given { values, meant }
}

const fn output_len(input: usize, filter: usize, stride: usize, padding: usize) -> Option<usize> {
    let padded = input + 2 * padding;
    if filter > padded { None } else { Some((padded - filter) / stride + 1) }
}

/// Checks a parsed spec; `None` when anything was wrong (and then `errors` says what).
pub(crate) fn spec(parsed: &ast::Spec, errors: &mut Errors) -> Option<Spec> {
    let given = sort_keys(parsed, errors);
    // A key whose entry was malformed or misspelt has been reported already.
    let reported =
        |key: &&str| given.meant.contains(key) || parsed.malformed.iter().any(|m| m == key);
    let missing: Vec<&str> =
        REQUIRED.iter().copied().filter(|k| given.get(k).is_none() && !reported(k)).collect();

    let input = given.get("input").and_then(|e| matrix(&e.value, "input", errors));
    let filter = given.get("filter").and_then(|e| matrix(&e.value, "filter", errors));
    let target = given.get("target").and_then(|e| matrix(&e.value, "target", errors));
    let lr = given.get("lr").and_then(|e| learning_rate(&e.value, errors));
    let bias = match given.get("bias") {
        None => Some(None),
        Some(e) => number(&e.value).map_err(|error| errors.push(error)).ok().map(Some),
    };
    let activation =
        given.get("activation").map_or(Some(Activation::Relu), |e| activation(&e.value, errors));
    let loss = given.get("loss").map_or(Some(Loss::HalfSse), |e| {
        choice(&e.value, "loss", LOSSES, errors).map(|name| match name {
            "sse" => Loss::Sse,
            "mse" => Loss::Mse,
            _ => Loss::HalfSse,
        })
    });
    let kernel = given.get("kernel").map_or(Some(Kernel::Correlation), |e| {
        choice(&e.value, "kernel", KERNELS, errors).map(|name| match name {
            "convolution" => Kernel::Convolution,
            _ => Kernel::Correlation,
        })
    });
    let steps = given.get("steps").map_or(Some(1), |e| {
        let steps = whole_number(&e.value, "steps", 1, errors)?;
        if steps > MAX_STEPS {
            errors.at(
                &e.value,
                format!("at most {MAX_STEPS} steps: every step is recorded and printed"),
            );
            return None;
        }
        Some(steps)
    });
    let stride = given.get("stride").map_or(Some((1, 1)), |e| pair(&e.value, "stride", 1, errors));
    let padding =
        given.get("padding").map_or(Some((0, 0)), |e| pair(&e.value, "padding", 0, errors));
    let relu_grad_at_zero = given
        .get("relu_grad_at_zero")
        .map_or(Some(0.0), |e| relu_grad_at_zero(e, activation, errors));
    let symbolic = given
        .get("show")
        .map_or(Some(false), |e| choice(&e.value, "show", SHOW, errors).map(|s| s == "symbolic"));
    let finite_differences = given.get("check").map_or(Some(false), |e| {
        choice(&e.value, "check", CHECKS, errors).map(|s| s == "finite_differences")
    });
    let mistakes =
        given.get("mistakes").map_or(Some(false), |e| boolean(&e.value, "mistakes", errors));

    let shapes = Shapes { input: &input, filter: &filter, target: &target, stride, padding };
    shapes.check(&given, errors);
    if !missing.is_empty() {
        errors.at_span(Span::call_site(), missing_message(&missing, &shapes));
    }

    Some(Spec {
        input: input?,
        filter: filter?,
        target: target?,
        lr: lr?,
        bias: bias?,
        activation: activation?,
        relu_grad_at_zero: relu_grad_at_zero?,
        loss: loss?,
        steps: steps?,
        stride: stride?,
        padding: padding?,
        kernel: kernel?,
        symbolic: symbolic?,
        finite_differences: finite_differences?,
        mistakes: mistakes?,
    })
}

/// `true` or `false`.
fn boolean(value: &Expr, key: &str, errors: &mut Errors) -> Option<bool> {
    if let Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) = ungroup(value) {
        return Some(b.value);
    }
    errors.at(value, format!("`{key}` is `true` or `false`, not {}", shown(value)));
    None
}

fn learning_rate(value: &Expr, errors: &mut Errors) -> Option<f64> {
    let n = number(value).map_err(|error| errors.push(error)).ok()?;
    if n.value > 0.0 {
        Some(n.value)
    } else {
        errors.at(value, format!("`lr` must be greater than 0, like `lr: 0.1`, not {}: gradient descent steps against the gradient by a positive amount", shown(value)));
        None
    }
}

fn relu_grad_at_zero(
    entry: &Entry,
    activation: Option<Activation>,
    errors: &mut Errors,
) -> Option<f64> {
    let n = number(&entry.value).map_err(|error| errors.push(error)).ok()?;
    if n.value != 0.0 && n.value != 1.0 {
        errors.at(&entry.value, format!("`relu_grad_at_zero` is the derivative used where z = 0 exactly: 0 (as PyTorch, JAX and micrograd) or 1, not {}", shown(&entry.value)));
        return None;
    }
    match activation {
        Some(Activation::Relu) | None => Some(n.value),
        Some(_) => {
            errors.at(
                &entry.key,
                "`relu_grad_at_zero` applies only to `activation: relu`; remove it or use relu",
            );
            None
        }
    }
}

/// `2` for both axes, `(2, 1)` for rows and columns.
fn pair_text((a, b): (usize, usize)) -> String {
    if a == b { a.to_string() } else { format!("({a}, {b})") }
}

/// The shape checks that literal matrices allow.
struct Shapes<'a> {
    input: &'a Option<Matrix>,
    filter: &'a Option<Matrix>,
    target: &'a Option<Matrix>,
    stride: Option<(usize, usize)>,
    padding: Option<(usize, usize)>,
}

impl Shapes<'_> {
    fn literal_shape(m: Option<&Matrix>) -> Option<(usize, usize)> {
        match m {
            Some(Matrix::Literal(l)) => Some(l.shape()),
            _ => None,
        }
    }

    /// The settings as words: `stride 1, padding 0`.
    fn settings(&self) -> Option<String> {
        Some(format!("stride {}, padding {}", pair_text(self.stride?), pair_text(self.padding?)))
    }

    /// `(OH, OW)` and the arithmetic behind it, when the input and filter are known.
    fn output(&self) -> Option<((usize, usize), String)> {
        let (h, w) = Self::literal_shape(self.input.as_ref())?;
        let (kh, kw) = Self::literal_shape(self.filter.as_ref())?;
        let ((sh, sw), (ph, pw)) = (self.stride?, self.padding?);
        let oh = output_len(h, kh, sh, ph)?;
        let ow = output_len(w, kw, sw, pw)?;
        let formula = |label: &str, n: usize, p: usize, k: usize, s: usize, o: usize| {
            if (n + 2 * p - k).is_multiple_of(s) {
                format!("{label} = ({n} + 2·{p} − {k})/{s} + 1 = {o}")
            } else {
                format!("{label} = ⌊({n} + 2·{p} − {k})/{s}⌋ + 1 = {o}")
            }
        };
        let arithmetic =
            format!("{}, {}", formula("OH", h, ph, kh, sh, oh), formula("OW", w, pw, kw, sw, ow));
        Some(((oh, ow), arithmetic))
    }

    fn check(&self, given: &Given, errors: &mut Errors) {
        let (Some((h, w)), Some((kh, kw)), Some((ph, pw)), Some(_)) = (
            Self::literal_shape(self.input.as_ref()),
            Self::literal_shape(self.filter.as_ref()),
            self.padding,
            self.stride,
        ) else {
            return;
        };
        let settings = self.settings().unwrap_or_default();
        if kh > h + 2 * ph || kw > w + 2 * pw {
            let padded = if (ph, pw) == (0, 0) {
                format!("the input is only {h}×{w}")
            } else {
                format!(
                    "the {h}×{w} input padded by {} is only {}×{}",
                    pair_text((ph, pw)),
                    h + 2 * ph,
                    w + 2 * pw
                )
            };
            let filter = given.get("filter").map(|e| &e.value);
            errors.at(
                filter,
                format!("the filter is {kh}×{kw}, but {padded}: a filter must fit inside the zero-padded input (use a smaller filter or add padding)"),
            );
            return;
        }
        let (Some(((oh, ow), arithmetic)), Some((th, tw))) =
            (self.output(), Self::literal_shape(self.target.as_ref()))
        else {
            return;
        };
        if (th, tw) != (oh, ow) {
            let target = given.get("target").map(|e| &e.value);
            errors.at(
                target,
                format!("the target is {th}×{tw}, but a {h}×{w} input with a {kh}×{kw} filter ({settings}) gives a {oh}×{ow} output: {arithmetic}"),
            );
        }
    }
}

fn missing_message(missing: &[&str], shapes: &Shapes) -> String {
    let what = |key: &str| -> String {
        match key {
            "input" => "`input` (the input matrix X, like `[[1, 2], [3, 4]]`)".to_owned(),
            "filter" => "`filter` (the starting filter W, like `[[1, -1], [1, 1]]`)".to_owned(),
            "target" => match shapes.output() {
                Some(((oh, ow), _)) => {
                    format!("`target` (the wanted output: a {oh}×{ow} matrix here)")
                }
                None => "`target` (the wanted output matrix)".to_owned(),
            },
            _ => "`lr` (the learning rate η > 0, like `lr: 0.1`)".to_owned(),
        }
    };
    let list: Vec<String> = missing.iter().map(|k| what(k)).collect();
    let list = match list.as_slice() {
        [init @ .., last] if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => list.concat(),
    };
    format!("train! is missing {list}")
}
