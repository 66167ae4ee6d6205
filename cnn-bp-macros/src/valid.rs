//! Values and shapes: turns parsed syntax into a checked spec, or into spanned errors that say
//! what is wrong and what would be right.
//!
//! What the macro can read it checks itself: number literals (`1` is read as `1f64`; a suffix,
//! an overflow or an underflow is an error), the rows of a bracketed matrix, the shapes they
//! give. Anything else is an expression, left for the compiler to type and to evaluate:
//! a matrix given as a `const` or a call, an entry or a row of a bracketed matrix that is a
//! `const`, an `lr` given as a `const` (then a `const` block checks its value).

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Ident, Lit, UnOp};

use crate::activation::{self, Activation};
use crate::ast;
use crate::errors::Errors;
use crate::suggest;

/// A number literal that is finite and, unless it is 0, not 0 as `f64`, with where it was
/// written.
#[derive(Clone, Copy)]
pub(crate) struct Number {
    pub value: f64,
    pub span: Span,
    /// Written as an integer literal, `2` rather than `2.0`.
    pub integer: bool,
    /// The decimal as written, `mantissa·10^exponent` (`-0.25` is `(-25, -2)`): what an
    /// exact spec reads; `None` for more digits than an `i128` holds.
    pub decimal: Option<(i128, i32)>,
}

/// `digits` (syn's base-10 digits of a literal: `12`, `0.25`, `1.5e-3`) as
/// `mantissa·10^exponent`.
pub(crate) fn decimal_of(digits: &str, negative: bool) -> Option<(i128, i32)> {
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (digits, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let value: i128 = format!("{whole}{fraction}").parse().ok()?;
    let exponent = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    Some((if negative { -value } else { value }, exponent))
}

/// One entry (cell) of a bracketed matrix: a number literal, which the macro reads as `f64`, or any
/// other expression, which must be an `f64` (a `const`, a call…).
pub(crate) enum Cell {
    Number(Number),
    Expr(Box<Expr>),
}

/// A bracketed list (`[a, b]`), a repeat (`[a; N]`) or an expression the compiler types.
/// A row is a `Code<Cell>`, a matrix a `Code<Row>`.
pub(crate) enum Code<T> {
    /// `[a, b, …]`; `span` is the brackets'.
    List { span: Span, items: Vec<T> },
    /// `[a; count]`.
    Repeat { span: Span, item: Box<T>, count: Box<Expr> },
    /// Any other expression, as written.
    Expr(Box<Expr>),
}

pub(crate) type Row = Code<Cell>;

/// A matrix as the code to generate, with its rows and columns where the macro can count them.
pub(crate) struct Matrix {
    pub code: Code<Row>,
    pub rows: Option<usize>,
    pub cols: Option<usize>,
}

/// A `train!` matrix: the key it was given at, the matrix, and the shape its type must have as
/// far as the macro knows it (its own, or what the other matrices make it), `None` for a length
/// the compiler is to infer.
pub(crate) struct Bound {
    pub key: Ident,
    pub matrix: Matrix,
    pub shape: (Option<usize>, Option<usize>),
}

/// A setting given as a number literal, which the macro has checked, or as any other
/// expression, which must be a constant: a `const` block checks it when the code is compiled.
pub(crate) enum Setting<T> {
    Literal(T),
    Const(Box<Expr>),
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
    pub input: Bound,
    pub filter: Bound,
    pub target: Bound,
    pub lr: Setting<Number>,
    pub bias: Option<Setting<Number>>,
    pub activation: Activation,
    pub relu_grad_at_zero: f64,
    pub loss: Loss,
    pub steps: Setting<usize>,
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
    "arithmetic",
];

const REQUIRED: &[&str] = &["input", "filter", "target", "lr"];
pub(crate) const LOSSES: &[&str] = &["half_sse", "sse", "mse"];
pub(crate) const KERNELS: &[&str] = &["correlation", "convolution"];
pub(crate) const SHOW: &[&str] = &["numeric", "symbolic"];
pub(crate) const CHECKS: &[&str] = &["finite_differences", "none"];

/// More steps than anyone can read; also keeps a typo like `steps: 10000000` from hanging a build's tests.
pub(crate) const MAX_STEPS: usize = 100_000;

// ---------------------------------------------------------------------------------------------
// Numbers and matrices

/// What the source said, for messages: `` `foo` ``.
pub(crate) fn shown(tokens: &impl ToTokens) -> String {
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

/// `(expr)` produced by `macro_rules!` substitution (`$x:expr`, `$x:literal`…) is an invisible
/// group; see through it, at every level.
pub(crate) fn ungroup(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => ungroup(&group.expr),
        other => other,
    }
}

fn not_a_number(expr: &Expr) -> syn::Error {
    syn::Error::new_spanned(
        expr,
        format!("expected a number such as `2`, `-0.5` or `1e-3`, found {}", shown(expr)),
    )
}

/// A literal, optionally negated, read as a number: `None` when `expr` is not a literal at
/// all (then it is an expression), an error for a literal that is not a number `cnn-bp` can
/// use (a string, a suffix other than `f64`, a value that is infinite or underflows to 0).
pub(crate) fn literal_number(expr: &Expr) -> Option<Result<Number, syn::Error>> {
    let (negative, inner) = match ungroup(expr) {
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => (true, ungroup(&unary.expr)),
        other => (false, other),
    };
    let Expr::Lit(ExprLit { lit, .. }) = inner else {
        return None;
    };
    let (digits, suffix, integer) = match lit {
        Lit::Int(int) => (int.base10_digits(), int.suffix(), true),
        Lit::Float(float) => (float.base10_digits(), float.suffix(), false),
        _ => return Some(Err(not_a_number(expr))),
    };
    if !matches!(suffix, "" | "f64") {
        return Some(Err(syn::Error::new_spanned(
            inner,
            format!("remove the suffix `{suffix}`: entries are f64, so write `{digits}`"),
        )));
    }
    let Ok(magnitude) = digits.parse::<f64>() else {
        return Some(Err(syn::Error::new_spanned(
            inner,
            format!("{} is not a number cnn-bp can read", shown(expr)),
        )));
    };
    if !magnitude.is_finite() {
        return Some(Err(syn::Error::new_spanned(
            expr,
            format!(
                "{} is not finite as f64 (it rounds to infinity); the largest f64 is about 1.8e308",
                shown(expr)
            ),
        )));
    }
    // The digits before the exponent: a literal with a nonzero one is not 0.
    let mantissa = digits.split(['e', 'E']).next().unwrap_or_default();
    if magnitude == 0.0 && mantissa.chars().any(|c| matches!(c, '1'..='9')) {
        return Some(Err(syn::Error::new_spanned(
            expr,
            format!(
                "{} underflows to 0 in f64 (the smallest positive f64 is about 4.9e-324); write `0` if 0 is meant",
                shown(expr)
            ),
        )));
    }
    let value = if negative { -magnitude } else { magnitude };
    let decimal = decimal_of(digits, negative);
    Some(Ok(Number { value, span: expr.span(), integer, decimal }))
}

/// A number literal, optionally negated: `2`, `-0.5`, `1e-3`, `1_000`, `0x10`, `2.0f64`.
pub(crate) fn number(expr: &Expr) -> Result<Number, syn::Error> {
    literal_number(expr).unwrap_or_else(|| Err(not_a_number(expr)))
}

pub(crate) fn is_literal(expr: &Expr) -> bool {
    literal_number(expr).is_some()
}

pub(crate) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The count of `[x; N]` when it is an integer literal the compiler reads as a `usize`.
pub(crate) fn count(len: &Expr) -> Option<usize> {
    match ungroup(len) {
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) if matches!(int.suffix(), "" | "usize") => {
            int.base10_parse().ok()
        }
        _ => None,
    }
}

/// One entry of a bracketed row: a number literal is checked and read as `f64`, another
/// literal is an error, anything else is an expression of type `f64` for the compiler.
pub(crate) fn cell(expr: &Expr, errors: &mut Errors) -> Option<Cell> {
    match literal_number(expr) {
        Some(Ok(n)) => Some(Cell::Number(n)),
        Some(Err(error)) => {
            errors.push(error);
            None
        }
        None => Some(Cell::Expr(Box::new(expr.clone()))),
    }
}

/// A row: `[a, b]`, `[a; N]`, or an expression of type `[f64; C]` (a `const` row). `label` is
/// "1st row" or "row". Returns the row (`None` after an error) and its length where the macro
/// can count it, which is returned also when an entry was wrong, to check it against the
/// other rows.
fn row(expr: &Expr, label: &str, what: &str, errors: &mut Errors) -> (Option<Row>, Option<usize>) {
    let empty = |errors: &mut Errors| {
        errors.at(
            expr,
            format!("the {label} of {what} is empty; every row needs at least one number"),
        );
    };
    match ungroup(expr) {
        Expr::Array(array) => {
            if array.elems.is_empty() {
                empty(errors);
                return (None, None);
            }
            let mut items = Vec::with_capacity(array.elems.len());
            let mut ok = true;
            for elem in &array.elems {
                match cell(elem, errors) {
                    Some(c) => items.push(c),
                    None => ok = false,
                }
            }
            let span = array.bracket_token.span.join();
            (ok.then_some(Code::List { span, items }), Some(array.elems.len()))
        }
        Expr::Repeat(repeat) => {
            let len = count(&repeat.len);
            if len == Some(0) {
                empty(errors);
                return (None, None);
            }
            let item = cell(&repeat.expr, errors).map(Box::new);
            let span = repeat.bracket_token.span.join();
            let count = repeat.len.clone();
            (item.map(|item| Code::Repeat { span, item, count }), len)
        }
        other if is_literal(other) => {
            errors.at(
                expr,
                format!(
                    "expected the {label} of {what} in brackets, like `[1, 2]`, found {}",
                    shown(expr)
                ),
            );
            (None, None)
        }
        _ => (Some(Code::Expr(Box::new(expr.clone()))), None),
    }
}

/// The rows of a bracketed matrix, `[row, …]`; `span` is its brackets', `whole` what an empty
/// matrix error points at, `what` its name in messages ("`input`", "the matrix").
pub(crate) fn rows<'a>(
    span: Span,
    rows: impl IntoIterator<Item = &'a Expr>,
    whole: &dyn ToTokens,
    what: &str,
    errors: &mut Errors,
) -> Option<Matrix> {
    let mut items = Vec::new();
    let mut ok = true;
    // The first row whose length the macro knows: its index and length.
    let mut width: Option<(usize, usize)> = None;
    let mut count = 0;
    for (r, expr) in rows.into_iter().enumerate() {
        count += 1;
        let (row, len) = row(expr, &format!("{} row", ordinal(r + 1)), what, errors);
        match (len, width) {
            (Some(len), None) => width = Some((r, len)),
            (Some(len), Some((first, w))) if len != w => {
                errors.at(
                    expr,
                    format!(
                        "the {} row of {what} has {len} entr{}, but the {} row has {w}: every row needs {w}",
                        ordinal(r + 1),
                        if len == 1 { "y" } else { "ies" },
                        ordinal(first + 1),
                    ),
                );
                ok = false;
            }
            _ => {}
        }
        match row {
            Some(row) => items.push(row),
            None => ok = false,
        }
    }
    if count == 0 {
        errors
            .at(whole, format!("{what} is empty; write at least one row, like `[[1, 2], [3, 4]]`"));
        return None;
    }
    ok.then(|| Matrix {
        code: Code::List { span, items },
        rows: Some(count),
        cols: width.map(|(_, w)| w),
    })
}

/// A `train!` matrix: brackets are read here (`[[1, 2], [3, 4]]`, `[[0.5; 3]; 2]`, `[R, R]`
/// with `const` rows, `[[A, 1]]` with `const` entries), anything else is an expression of type
/// `[[f64; C]; R]` for the compiler.
fn matrix(value: &Expr, key: &str, errors: &mut Errors) -> Option<Matrix> {
    let what = format!("`{key}`");
    match ungroup(value) {
        Expr::Array(outer) if !outer.elems.is_empty() && outer.elems.iter().all(is_literal) => {
            errors.at(
                value,
                format!("{what} must be a matrix: rows in brackets, like `[[1, 2], [3, 4]]`"),
            );
            None
        }
        Expr::Array(outer) => {
            rows(outer.bracket_token.span.join(), &outer.elems, value, &what, errors)
        }
        Expr::Repeat(repeat) => {
            let rows = count(&repeat.len);
            if rows == Some(0) {
                errors.at(
                    value,
                    format!("{what} is empty; write at least one row, like `[[1, 2], [3, 4]]`"),
                );
                return None;
            }
            let (row, cols) = row(&repeat.expr, "row", &what, errors);
            let span = repeat.bracket_token.span.join();
            let count = repeat.len.clone();
            row.map(|row| Matrix {
                code: Code::Repeat { span, item: Box::new(row), count },
                rows,
                cols,
            })
        }
        other if is_literal(other) => {
            errors.at(
                value,
                format!("{what} must be a matrix, like `[[1, 2], [3, 4]]`, not a single number"),
            );
            None
        }
        _ => Some(Matrix { code: Code::Expr(Box::new(value.clone())), rows: None, cols: None }),
    }
}

// ---------------------------------------------------------------------------------------------
// Settings

pub(crate) fn whole_number(
    value: &Expr,
    key: &str,
    min: usize,
    errors: &mut Errors,
) -> Option<usize> {
    let n = match literal_number(value) {
        Some(Ok(n)) => n,
        Some(Err(error)) => {
            errors.push(error);
            return None;
        }
        None => {
            errors.at(
                value,
                format!(
                    "`{key}` must be a whole number written out, like `{key}: {}`, not {}: the macro reads it to check the shapes",
                    min.max(1),
                    shown(value)
                ),
            );
            return None;
        }
    };
    let what = if min == 0 { "0 or more" } else { "1 or more" };
    if n.value < 0.0 {
        errors.at(value, format!("`{key}` cannot be negative: write a whole number, {what}"));
        None
    } else if !n.integer || n.value.fract() != 0.0 {
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
pub(crate) fn pair(
    value: &Expr,
    key: &str,
    min: usize,
    errors: &mut Errors,
) -> Option<(usize, usize)> {
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
pub(crate) fn bare_name(value: &Expr) -> Option<String> {
    match ungroup(value) {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
            path.path.get_ident().map(ToString::to_string)
        }
        _ => None,
    }
}

/// One of `valid`, with a suggestion when it is not.
pub(crate) fn choice<'a>(
    value: &Expr,
    key: &str,
    valid: &[&'a str],
    errors: &mut Errors,
) -> Option<&'a str> {
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

/// `true` or `false`.
pub(crate) fn boolean(value: &Expr, key: &str, errors: &mut Errors) -> Option<bool> {
    if let Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) = ungroup(value) {
        return Some(b.value);
    }
    errors.at(value, format!("`{key}` is `true` or `false`, not {}", shown(value)));
    None
}

/// A setting that may be a constant: a literal is checked by `check`, which reports what is
/// wrong; anything else is left to a `const` block.
pub(crate) fn setting<T>(
    value: &Expr,
    errors: &mut Errors,
    check: impl FnOnce(Number, &mut Errors) -> Option<T>,
) -> Option<Setting<T>> {
    match literal_number(value) {
        None => Some(Setting::Const(Box::new(value.clone()))),
        Some(Err(error)) => {
            errors.push(error);
            None
        }
        Some(Ok(n)) => check(n, errors).map(Setting::Literal),
    }
}

pub(crate) fn learning_rate(value: &Expr, errors: &mut Errors) -> Option<Setting<Number>> {
    setting(value, errors, |n, errors| {
        if n.value > 0.0 {
            Some(n)
        } else {
            errors.at(value, format!("`lr` must be greater than 0, like `lr: 0.1`, not {}: gradient descent steps against the gradient by a positive amount", shown(value)));
            None
        }
    })
}

pub(crate) fn steps(value: &Expr, errors: &mut Errors) -> Option<Setting<usize>> {
    setting(value, errors, |_, errors| {
        let steps = whole_number(value, "steps", 1, errors)?;
        if steps > MAX_STEPS {
            errors.at(
                value,
                format!("at most {MAX_STEPS} steps: every step is recorded and printed"),
            );
            return None;
        }
        Some(steps)
    })
}

fn relu_grad_at_zero(
    entry: &ast::Entry,
    activation: Option<Activation>,
    errors: &mut Errors,
) -> Option<f64> {
    let value = activation::grad_at_zero(&entry.value, errors)?;
    if activation.is_none_or(Activation::takes_grad_at_zero) {
        return Some(value);
    }
    errors.at(
        &entry.key,
        "`relu_grad_at_zero` applies only to `activation: relu`; remove it or use relu",
    );
    None
}

/// `2` for both axes, `(2, 1)` for rows and columns.
pub(crate) fn pair_text((a, b): (usize, usize)) -> String {
    if a == b { a.to_string() } else { format!("({a}, {b})") }
}

/// `padding: same` (or `"same"`, as PyTorch writes it), and `valid`: what to write instead.
fn padding_word(value: &Expr) -> Option<String> {
    match ungroup(value) {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
        _ => bare_name(value),
    }
    .filter(|word| matches!(word.as_str(), "same" | "valid"))
}

/// Why `padding: same` is not taken, with the number that does what it means when the filter's
/// shape and the stride are known.
fn same_padding(filter: (Option<usize>, Option<usize>), stride: Option<(usize, usize)>) -> String {
    let head = "`padding: same` is not supported: write the padding as a number";
    if let Some(stride) = stride.filter(|&s| s != (1, 1)) {
        return format!(
            "{head}; \"same\" is defined for stride 1 (as in PyTorch, which rejects it for strided convolutions), and at stride {} the output has ⌊(H + 2·padding − KH)/stride⌋ + 1 rows and ⌊(W + 2·padding − KW)/stride⌋ + 1 columns: choose the padding from that",
            pair_text(stride)
        );
    }
    let (Some(kh), Some(kw)) = filter else {
        return format!(
            "{head}: at stride 1, a filter with an odd number KH of rows keeps the rows with padding (KH − 1)/2 (and likewise the columns): `padding: 1` for a 3×3 filter, `padding: 2` for 5×5"
        );
    };
    let fewer = ((kh - 1) / 2, (kw - 1) / 2);
    let more = (kh / 2, kw / 2);
    if fewer == more {
        return format!(
            "{head}: for this {kh}×{kw} filter at stride 1, `padding: {}` keeps the output the input's size ((KH − 1)/2 = {}{})",
            pair_text(fewer),
            fewer.0,
            if kh == kw { String::new() } else { format!(", (KW − 1)/2 = {}", fewer.1) },
        );
    }
    let (even, unit) = match (kh % 2 == 0, kw % 2 == 0) {
        (true, true) => ("rows and of columns", "one row and one column"),
        (true, false) => ("rows", "one row"),
        _ => ("columns", "one column"),
    };
    format!(
        "{head}: with this {kh}×{kw} filter no padding keeps the size, since padding is added on both sides and the filter has an even number of {even}: `padding: {}` gives an output {unit} smaller than the input, `padding: {}` {unit} larger",
        pair_text(fewer),
        pair_text(more),
    )
}

pub(crate) fn padding(
    value: &Expr,
    filter: (Option<usize>, Option<usize>),
    stride: Option<(usize, usize)>,
    errors: &mut Errors,
) -> Option<(usize, usize)> {
    match padding_word(value).as_deref() {
        Some("same") => {
            errors.at(value, same_padding(filter, stride));
            None
        }
        Some(_) => {
            errors.at(value, "`padding: valid` (no padding) is written `padding: 0`, the default");
            None
        }
        None => pair(value, "padding", 0, errors),
    }
}

// ---------------------------------------------------------------------------------------------
// Shapes

/// What the macro knows of one axis, the rows or the columns: the lengths of the input, the
/// filter and the target where it can count them, and the stride and padding.
#[derive(Clone, Copy)]
struct Axis {
    n: Option<usize>,
    k: Option<usize>,
    o: Option<usize>,
    s: usize,
    p: usize,
}

impl Axis {
    /// The shared arithmetic of this axis, with a filter of length `k`.
    fn shape(&self, k: usize) -> Option<cnn_bp_shape::Axis> {
        Some(cnn_bp_shape::Axis {
            input: self.n?,
            kernel: k,
            stride: self.s,
            padding: self.p,
            dilation: 1,
        })
    }

    /// The input's length with its padding. Lengths are counted in `u128` (see
    /// `cnn_bp_shape::Axis`): a repeat count can be as large as `usize::MAX`, the padding as
    /// large as 10⁹.
    fn padded(&self) -> Option<u128> {
        Some(self.shape(1)?.padded())
    }

    /// Whether the filter fits inside the padded input, as far as it is known.
    fn fits(&self) -> bool {
        self.k.and_then(|k| self.shape(k)).is_none_or(cnn_bp_shape::Axis::fits)
    }

    /// The output's length, from the input's and the filter's.
    fn output(&self) -> Option<usize> {
        self.shape(self.k?)?.output()
    }

    /// The largest output any filter gives (a filter of length 1).
    fn max_output(&self) -> Option<usize> {
        self.shape(1)?.output()
    }

    /// At stride 1 the input's length follows from the filter's and the output's:
    /// n = o − 1 + k − 2p. (At a larger stride several lengths give the same output.)
    fn input(&self) -> Option<usize> {
        if self.s != 1 {
            return None;
        }
        let n = self.o? as i128 - 1 + self.k? as i128 - 2 * self.p as i128;
        usize::try_from(n).ok().filter(|&n| n >= 1)
    }

    /// At stride 1 the filter's length follows from the input's and the output's:
    /// k = n + 2p − o + 1.
    fn filter(&self) -> Option<usize> {
        if self.s != 1 {
            return None;
        }
        let k = i128::try_from(self.padded()?).ok()? - self.o? as i128 + 1;
        usize::try_from(k).ok().filter(|&k| k >= 1)
    }

    /// The lengths the input's, filter's and target's types must have: each one's own, or
    /// what the other two make it.
    fn expected(&self) -> [Option<usize>; 3] {
        [
            self.n.or_else(|| self.input()),
            self.k.or_else(|| self.filter()),
            self.o.or_else(|| self.output()),
        ]
    }

    /// `OH = (3 + 2·0 − 2)/1 + 1 = 2`, the arithmetic of [`Axis::output`].
    fn formula(&self, label: &str) -> Option<String> {
        self.shape(self.k?)?.explain_undilated(label)
    }
}

/// The shapes the matrices give, with the stride and padding: what the macro can check, and
/// what it tells the compiler.
struct Shapes {
    rows: Axis,
    cols: Axis,
}

/// "3 rows", "1 column".
pub(crate) fn count_of(n: usize, unit: &str) -> String {
    if n == 1 { format!("{n} {unit}") } else { format!("{n} {unit}s") }
}

impl Shapes {
    fn new(
        matrices: [Option<&Matrix>; 3],
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Self {
        let [n, k, o] = matrices.map(|m| m.map_or((None, None), |m| (m.rows, m.cols)));
        Self {
            rows: Axis { n: n.0, k: k.0, o: o.0, s: stride.0, p: padding.0 },
            cols: Axis { n: n.1, k: k.1, o: o.1, s: stride.1, p: padding.1 },
        }
    }

    /// `(rows, columns)` of a matrix: 0 the input, 1 the filter, 2 the target.
    fn expected(&self, which: usize) -> (Option<usize>, Option<usize>) {
        (self.rows.expected()[which], self.cols.expected()[which])
    }

    fn settings(&self) -> String {
        format!(
            "stride {}, padding {}",
            pair_text((self.rows.s, self.cols.s)),
            pair_text((self.rows.p, self.cols.p))
        )
    }

    /// Reports a filter larger than the padded input, a target whose shape is not the
    /// output's, and a target larger than any filter could give.
    fn check(&self, given: &Given, errors: &mut Errors) {
        let (rows, cols) = (self.rows, self.cols);
        let value = |key: &str| given.get(key).map(|e| &e.value);
        if !rows.fits() || !cols.fits() {
            let message =
                if let (Some(h), Some(w), Some(kh), Some(kw)) = (rows.n, cols.n, rows.k, cols.k) {
                    let (ph, pw) = (rows.p, cols.p);
                    let padded = if (ph, pw) == (0, 0) {
                        format!("the input is only {h}×{w}")
                    } else {
                        format!(
                            "the {h}×{w} input padded by {} is only {}×{}",
                            pair_text((ph, pw)),
                            rows.padded().unwrap_or_default(),
                            cols.padded().unwrap_or_default(),
                        )
                    };
                    format!("the filter is {kh}×{kw}, but {padded}")
                } else {
                    let (axis, unit) = if rows.fits() { (cols, "column") } else { (rows, "row") };
                    let (n, k) = (axis.n.unwrap_or_default(), axis.k.unwrap_or_default());
                    let padded = if axis.p == 0 {
                        String::new()
                    } else {
                        format!(
                            ", {} with its padding of {}",
                            axis.padded().unwrap_or_default(),
                            axis.p
                        )
                    };
                    format!(
                        "the filter has {}, but the input has only {}{padded}",
                        count_of(k, unit),
                        count_of(n, unit)
                    )
                };
            errors.at(
                value("filter"),
                format!("{message}: a filter must fit inside the zero-padded input (use a smaller filter or add padding)"),
            );
            return;
        }
        let wrong = |axis: Axis| axis.o.zip(axis.output()).filter(|(o, out)| o != out);
        let (wrong_rows, wrong_cols) = (wrong(rows), wrong(cols));
        if wrong_rows.is_some() || wrong_cols.is_some() {
            let settings = self.settings();
            let complete = [rows.n, cols.n, rows.k, cols.k, rows.o, cols.o];
            let message = if let [Some(h), Some(w), Some(kh), Some(kw), Some(th), Some(tw)] =
                complete
            {
                format!(
                    "the target is {th}×{tw}, but a {h}×{w} input with a {kh}×{kw} filter ({settings}) gives a {}×{} output: {}, {}",
                    rows.output().unwrap_or_default(),
                    cols.output().unwrap_or_default(),
                    rows.formula("OH").unwrap_or_default(),
                    cols.formula("OW").unwrap_or_default(),
                )
            } else {
                let describe = |axis: Axis, (o, out): (usize, usize), unit: &str, label: &str| {
                    format!(
                        "the target has {}, but an input of {} with a filter of {} ({settings}) gives {out}: {}",
                        count_of(o, unit),
                        count_of(axis.n.unwrap_or_default(), unit),
                        count_of(axis.k.unwrap_or_default(), unit),
                        axis.formula(label).unwrap_or_default(),
                    )
                };
                let parts: Vec<String> = [
                    wrong_rows.map(|w| describe(rows, w, "row", "OH")),
                    wrong_cols.map(|w| describe(cols, w, "column", "OW")),
                ]
                .into_iter()
                .flatten()
                .collect();
                parts.join("; ")
            };
            errors.at(value("target"), message);
            return;
        }
        // The filter unknown: no filter makes an output longer than a filter of length 1 does.
        let too_long = |axis: Axis| {
            let max = axis.max_output()?;
            axis.o.filter(|&o| axis.k.is_none() && o > max).map(|o| (o, max))
        };
        let parts: Vec<String> = [(too_long(rows), rows, "row"), (too_long(cols), cols, "column")]
            .into_iter()
            .filter_map(|(long, axis, unit)| {
                let (o, max) = long?;
                Some(format!(
                    "the target has {}, but an input of {} ({}) gives at most {max}, whatever the filter",
                    count_of(o, unit),
                    count_of(axis.n.unwrap_or_default(), unit),
                    self.settings(),
                ))
            })
            .collect();
        if !parts.is_empty() {
            errors.at(value("target"), parts.join("; "));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The whole spec

/// The first value given for each key, in [`KEYS`] order, and the keys that unknown keys
/// were taken to mean (those are reported as misspelt, not also as missing).
struct Given<'a> {
    values: [Option<&'a ast::Entry>; KEYS.len()],
    meant: Vec<&'static str>,
}

impl<'a> Given<'a> {
    fn get(&self, key: &str) -> Option<&'a ast::Entry> {
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
                if let Some(message) = crate::net::network_only(&entry.key) {
                    errors.at(&entry.key, message);
                } else {
                    errors.at(&entry.key, suggest::unknown("key", &key, KEYS));
                    meant.extend(suggest::nearest(&key, KEYS));
                }
            }
        }
    }
    Given { values, meant }
}

/// Checks a parsed spec; `None` when anything was wrong (and then `errors` says what).
/// `whole` is the spec's tokens, which an error about the spec as a whole points at.
pub(crate) fn spec(
    parsed: &ast::Spec,
    whole: &proc_macro2::TokenStream,
    errors: &mut Errors,
) -> Option<Spec> {
    let given = sort_keys(parsed, errors);
    // A key whose entry was malformed or misspelt has been reported already.
    let reported =
        |key: &&str| given.meant.contains(key) || parsed.malformed.iter().any(|m| m == key);
    let missing: Vec<&str> =
        REQUIRED.iter().copied().filter(|k| given.get(k).is_none() && !reported(k)).collect();

    let read = |key: &str, errors: &mut Errors| {
        given.get(key).and_then(|e| Some((&e.key, matrix(&e.value, key, errors)?)))
    };
    let input = read("input", errors);
    let filter = read("filter", errors);
    let target = read("target", errors);
    let lr = given.get("lr").and_then(|e| learning_rate(&e.value, errors));
    let bias = match given.get("bias") {
        None => Some(None),
        Some(e) => setting(&e.value, errors, |n, _| Some(n)).map(Some),
    };
    let activation = given
        .get("activation")
        .map_or(Some(Activation::default()), |e| activation::spec(&e.value, errors));
    let loss = given.get("loss").map_or(Some(Loss::HalfSse), |e| {
        if bare_name(&e.value).as_deref() == Some("softmax_cross_entropy") {
            errors.at(
                &e.value,
                "`softmax_cross_entropy` is a loss of network specs, whose last layer gives a vector of logits: write the layers out, like `layers: [conv { filter: … }, relu, flatten, dense { weight: … }]`; a single layer's losses are `half_sse`, `sse` or `mse`",
            );
            return None;
        }
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
    let steps =
        given.get("steps").map_or(Some(Setting::Literal(1)), |e| self::steps(&e.value, errors));
    let stride = given.get("stride").map_or(Some((1, 1)), |e| pair(&e.value, "stride", 1, errors));
    let filter_shape = filter.as_ref().map_or((None, None), |(_, m)| (m.rows, m.cols));
    let padding = given
        .get("padding")
        .map_or(Some((0, 0)), |e| self::padding(&e.value, filter_shape, stride, errors));
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

    let shapes = stride.zip(padding).map(|(stride, padding)| {
        let matrices = [&input, &filter, &target].map(|m| m.as_ref().map(|(_, m)| m));
        Shapes::new(matrices, stride, padding)
    });
    if let Some(shapes) = &shapes {
        shapes.check(&given, errors);
    }
    if !missing.is_empty() {
        let message = missing_message(&missing, shapes.as_ref());
        if whole.is_empty() {
            errors.at_span(Span::call_site(), message);
        } else {
            errors.at(whole, message);
        }
    }

    let shapes = shapes?;
    let bound = |m: Option<(&Ident, Matrix)>, which: usize| {
        m.map(|(key, matrix)| Bound { key: key.clone(), matrix, shape: shapes.expected(which) })
    };
    Some(Spec {
        input: bound(input, 0)?,
        filter: bound(filter, 1)?,
        target: bound(target, 2)?,
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

fn missing_message(missing: &[&str], shapes: Option<&Shapes>) -> String {
    let what = |key: &str| -> String {
        match key {
            "input" => "`input` (the input matrix X, like `[[1, 2], [3, 4]]`)".to_owned(),
            "filter" => "`filter` (the starting filter W, like `[[1, -1], [1, 1]]`)".to_owned(),
            "target" => match shapes.and_then(|s| s.rows.output().zip(s.cols.output())) {
                Some((oh, ow)) => {
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
