//! Issue 9, section 4: over random specs whose values span 10⁻⁷ to 10⁷, `verify()` passes and
//! every printed equation holds when it is re-evaluated from its printed operands.
//!
//! This is an independent check of the plain text: it reads `Derivation::to_string()` only,
//! with a parser and an evaluator of its own, and shares no code with the library's printer or
//! its `verify()`. The arithmetic is exact: decimals as `num-bigint` integers times a power of
//! ten, and `num-rational`'s `BigRational` once a quotient appears (`(2/9)·…`, `⌊5/2⌋`).
//!
//! - An equation is a logical line `lhs = rhs₁ = rhs₂ … = v` (or `≈ v`, updates `←`), joined
//!   from its physical lines: a line starting with `= ` continues a sum whose operands' names
//!   came first, one starting with `+ ` continues a wrapped sum. A reason after three spaces,
//!   `   (…)`, is split off. The last right-hand side before the result is evaluated exactly,
//!   and so is every earlier `=` link whose both sides are numbers.
//! - `= v`: the value is exactly `v`. `≈ v`: within half a unit in the `p`-th significant digit
//!   of `v`, `p = max(6, digits shown)`. `σ` and `tanh` are evaluated in `f64` from the printed
//!   argument, with a margin of a few ulps. A reason `(f64 rounding: exactly, these numbers
//!   give X)` means the value must be `X` (within `X`'s precision) and `v` within 10⁻¹² of the
//!   sum of the terms' magnitudes of it, plus the subnormals' spacing per term (an underflow).
//! - Equations that print `∞` or `NaN` are counted and skipped.
//! - No physical line of a printed sum is longer than 120 characters unless it is one term.
//!
//! `PRINTED_PRECISION_SEED` and `PRINTED_PRECISION_SPECS` change the seed and the number of
//! specs (each spec's generator is seeded from the seed and the spec's index); a failure prints
//! the spec in full, and `PRINTED_PRECISION_SHOWN` how many failures are printed.
//! `PRINTED_PRECISION_ONLY=index` runs that spec alone and prints its text, and
//! `PRINTED_PRECISION_CORPUS=dir` also checks every `.txt` and `.snap` file of `dir`.

use std::fmt::Write as _;

use cnn_bp_core::{Activation, Extras, Form, Kernel, Layer, Loss, Params, train_with};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

const DEFAULT_SEED: u64 = 0x0009_5EC4;
const DEFAULT_SPECS: usize = 500;
/// The longest line a printed sum may have, in characters.
const WIDTH: usize = 120;
/// How many failures a failing run prints in full (`PRINTED_PRECISION_SHOWN` changes it).
const SHOWN: usize = 8;

// ---------------------------------------------------------------------------------------------
// Numbers as printed
// ---------------------------------------------------------------------------------------------

/// An exact number. Decimals (`m·10^e`) are added and multiplied as integers, without the
/// cost of a rational's reduction; a division (`(2/9)·…`, `⌊5/2⌋`) makes a `BigRational`.
#[derive(Clone, Debug)]
enum Exact {
    Dec(BigInt, i64),
    Ratio(BigRational),
}

fn ten_to(k: i64) -> BigInt {
    BigInt::from(10u8).pow(u32::try_from(k).expect("a power of ten within reach"))
}

impl Exact {
    fn zero() -> Exact {
        Exact::Dec(BigInt::zero(), 0)
    }

    /// `m·10^e`.
    fn dec(m: i64, e: i64) -> Exact {
        Exact::Dec(BigInt::from(m), e)
    }

    fn ratio(&self) -> BigRational {
        match self {
            Exact::Dec(m, e) if *e >= 0 => BigRational::from_integer(m * ten_to(*e)),
            Exact::Dec(m, e) => BigRational::new(m.clone(), ten_to(-e)),
            Exact::Ratio(q) => q.clone(),
        }
    }

    /// Every finite `f64` is a decimal: `k·2^−n = k·5^n·10^−n`.
    fn from_f64(f: f64) -> Exact {
        assert!(f.is_finite(), "{f} is not finite");
        let bits = f.to_bits();
        let biased = i64::try_from((bits >> 52) & 0x7ff).expect("11 bits");
        let fraction = bits & ((1 << 52) - 1);
        let (k, n) =
            if biased == 0 { (fraction, -1074) } else { (fraction | 1 << 52, biased - 1075) };
        let mut k = BigInt::from(k);
        if bits >> 63 == 1 {
            k = -k;
        }
        if n >= 0 {
            Exact::Dec(k << usize::try_from(n).expect("a shift"), 0)
        } else {
            Exact::Dec(k * BigInt::from(5u8).pow(u32::try_from(-n).expect("a power")), n)
        }
    }

    fn to_f64(&self) -> f64 {
        self.ratio().to_f64().unwrap_or(f64::NAN)
    }

    fn is_zero(&self) -> bool {
        match self {
            Exact::Dec(m, _) => m.is_zero(),
            Exact::Ratio(q) => q.is_zero(),
        }
    }

    fn is_negative(&self) -> bool {
        match self {
            Exact::Dec(m, _) => m.is_negative(),
            Exact::Ratio(q) => q.is_negative(),
        }
    }

    fn add(&self, o: &Exact) -> Exact {
        match (self, o) {
            (Exact::Dec(a, _), _) if a.is_zero() => o.clone(),
            (_, Exact::Dec(b, _)) if b.is_zero() => self.clone(),
            (Exact::Dec(a, ea), Exact::Dec(b, eb)) => {
                let e = *ea.min(eb);
                Exact::Dec(a * ten_to(ea - e) + b * ten_to(eb - e), e)
            }
            _ => Exact::Ratio(self.ratio() + o.ratio()),
        }
    }

    fn neg(&self) -> Exact {
        match self {
            Exact::Dec(m, e) => Exact::Dec(-m, *e),
            Exact::Ratio(q) => Exact::Ratio(-q),
        }
    }

    fn sub(&self, o: &Exact) -> Exact {
        self.add(&o.neg())
    }

    fn mul(&self, o: &Exact) -> Exact {
        match (self, o) {
            (Exact::Dec(a, ea), Exact::Dec(b, eb)) => Exact::Dec(a * b, ea + eb),
            _ => Exact::Ratio(self.ratio() * o.ratio()),
        }
    }

    /// `None` for a division by zero.
    fn div(&self, o: &Exact) -> Option<Exact> {
        (!o.is_zero()).then(|| Exact::Ratio(self.ratio() / o.ratio()))
    }

    fn floor(&self) -> Exact {
        Exact::Dec(self.ratio().floor().to_integer(), 0)
    }

    fn abs(&self) -> Exact {
        if self.is_negative() { self.neg() } else { self.clone() }
    }

    fn cmp(&self, o: &Exact) -> std::cmp::Ordering {
        let d = self.sub(o);
        if d.is_zero() {
            std::cmp::Ordering::Equal
        } else if d.is_negative() {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Greater
        }
    }

    fn max(self, o: Exact) -> Exact {
        if self.cmp(&o).is_lt() { o } else { self }
    }
}

/// A number literal as printed: `[−]D[.DDD][·10ⁿ]`.
#[derive(Clone, Debug)]
struct Lit {
    value: Exact,
    /// The significant digits shown, from the first nonzero one to the last one written.
    sig: usize,
    /// The power of ten of the first significant digit (`0.0123` → −2).
    lead: i64,
}

impl Lit {
    /// Half a unit in the `max(6, sig)`-th significant digit; 0 for zero.
    fn half_unit(&self) -> Exact {
        if self.value.is_zero() {
            return Exact::zero();
        }
        let p = i64::try_from(self.sig.max(6)).expect("a digit count");
        Exact::dec(5, self.lead - p)
    }
}

fn superscript_digit(c: char) -> Option<u32> {
    match c {
        '⁰' => Some(0),
        '¹' => Some(1),
        '²' => Some(2),
        '³' => Some(3),
        '⁴'..='⁹' => Some(u32::from(c) - u32::from('⁴') + 4),
        _ => None,
    }
}

/// Reads a literal at the start of `s` (a leading `−` included); returns it and its length in
/// bytes. `·10` is a power of ten only when a superscript follows it (`1.5·10⁻⁹`), otherwise it
/// is a product (`(−9999999)·10000000`).
fn lex_number(s: &str) -> Option<(Lit, usize)> {
    let bytes = s.as_bytes();
    let negative = s.starts_with('−');
    let start = if negative { '−'.len_utf8() } else { 0 };
    let mut at = start;
    let (mut small, mut fits) = (0u64, true);
    let (mut count, mut int_len, mut first) = (0usize, None, None);
    while at < bytes.len() {
        match bytes[at] {
            d @ b'0'..=b'9' => {
                if d != b'0' && first.is_none() {
                    first = Some(count);
                }
                count += 1;
                match small.checked_mul(10).and_then(|m| m.checked_add(u64::from(d - b'0'))) {
                    Some(m) => small = m,
                    None => fits = false,
                }
            }
            b'.' if int_len.is_none()
                && count > 0
                && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) =>
            {
                int_len = Some(count);
            }
            _ => break,
        }
        at += 1;
    }
    if count == 0 {
        return None;
    }
    let mut mantissa = if fits {
        BigInt::from(small)
    } else {
        s[start..at].replace('.', "").parse().expect("ASCII digits")
    };
    if negative {
        mantissa = -mantissa;
    }
    let int_len = int_len.unwrap_or(count);
    let mut end = at;
    let mut exponent: i64 = 0;
    if let Some(tail) = s[at..].strip_prefix("·10") {
        let e_negative = tail.starts_with('⁻');
        let mut e_len = if e_negative { '⁻'.len_utf8() } else { 0 };
        let (mut e, mut e_digits) = (0i64, 0);
        for c in tail[e_len..].chars() {
            let Some(d) = superscript_digit(c) else { break };
            e = e * 10 + i64::from(d);
            e_len += c.len_utf8();
            e_digits += 1;
        }
        if e_digits > 0 {
            exponent = if e_negative { -e } else { e };
            end += "·10".len() + e_len;
        }
    }
    let length = |n: usize| i64::try_from(n).expect("a length");
    let value = Exact::Dec(mantissa, exponent - length(count - int_len));
    let (sig, lead) = match first {
        None => (0, 0),
        Some(f) => (count - f, length(int_len) - 1 - length(f) + exponent),
    };
    Some((Lit { value, sig, lead }, end))
}

/// The whole of `s` as one literal, or `None`.
fn literal(s: &str) -> Option<Lit> {
    let s = s.trim();
    match lex_number(s) {
        Some((lit, len)) if len == s.len() => Some(lit),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions: tokens, parser, evaluator
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    Max,
    Sigmoid,
    Tanh,
    LeakyRelu,
}

#[derive(Clone, Debug)]
enum Tok {
    Num(Lit),
    Plus,
    Minus,
    Times,
    Over,
    Open,
    Close,
    OpenSq,
    CloseSq,
    FloorOpen,
    FloorClose,
    Squared,
    Half,
    Comma,
    Func(Func),
}

/// Why an expression has no value to check.
#[derive(Debug, PartialEq)]
enum NoValue {
    /// It has names in it (`y·(1 − y)`, `x[0,0]·w[0,0] + …`): not an equation of numbers.
    Symbolic,
    /// Only numbers and operators, yet not in the notation: a failure of the text (or of this
    /// parser), reported.
    Unparsable(String),
    /// A `leaky_relu` of a negative number where the text gives no exact slope.
    NoSlope,
}

const FUNCS: [(&str, Func); 4] = [
    ("leaky_relu", Func::LeakyRelu),
    ("tanh", Func::Tanh),
    ("max", Func::Max),
    ("σ", Func::Sigmoid),
];

/// Whether `s` has a letter outside the names of the functions.
fn has_names(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii() {
            if bytes[at].is_ascii_alphabetic() {
                match FUNCS.iter().find(|(name, _)| s[at..].starts_with(name)) {
                    Some((name, _)) => at += name.len(),
                    None => return true,
                }
            } else {
                at += 1;
            }
        } else {
            let c = s[at..].chars().next().expect("a character");
            if c != 'σ' && c.is_alphabetic() {
                return true;
            }
            at += c.len_utf8();
        }
    }
    false
}

fn lex(s: &str) -> Result<Vec<Tok>, NoValue> {
    if has_names(s) {
        return Err(NoValue::Symbolic);
    }
    let mut toks = Vec::new();
    let mut i = 0;
    'next: while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().expect("not at the end");
        if c == ' ' {
            i += 1;
            continue;
        }
        if c.is_ascii_digit()
            || (c == '−' && rest['−'.len_utf8()..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let (lit, len) =
                lex_number(rest).ok_or_else(|| NoValue::Unparsable(rest.to_owned()))?;
            toks.push(Tok::Num(lit));
            i += len;
            continue;
        }
        for (name, f) in FUNCS {
            if (c.is_ascii_alphabetic() || c == 'σ') && rest.starts_with(name) {
                toks.push(Tok::Func(f));
                i += name.len();
                continue 'next;
            }
        }
        let tok = match c {
            '+' => Tok::Plus,
            '−' => Tok::Minus,
            '·' => Tok::Times,
            '/' => Tok::Over,
            '(' => Tok::Open,
            ')' => Tok::Close,
            '[' => Tok::OpenSq,
            ']' => Tok::CloseSq,
            '⌊' => Tok::FloorOpen,
            '⌋' => Tok::FloorClose,
            '²' => Tok::Squared,
            '½' => Tok::Half,
            ',' => Tok::Comma,
            _ => return Err(NoValue::Unparsable(format!("{c:?} in {s:?}"))),
        };
        toks.push(tok);
        i += c.len_utf8();
    }
    Ok(toks)
}

/// A value: exact, or (once `σ` or `tanh` is involved) an `f64`.
#[derive(Clone, Debug)]
enum Val {
    Exact(Exact),
    Float(f64),
}

impl Val {
    fn to_f64(&self) -> f64 {
        match self {
            Val::Exact(q) => q.to_f64(),
            Val::Float(f) => *f,
        }
    }

    fn add(self, other: Val) -> Val {
        match (self, other) {
            (Val::Exact(a), Val::Exact(b)) => Val::Exact(a.add(&b)),
            (a, b) => Val::Float(a.to_f64() + b.to_f64()),
        }
    }

    fn neg(self) -> Val {
        match self {
            Val::Exact(a) => Val::Exact(a.neg()),
            Val::Float(a) => Val::Float(-a),
        }
    }

    fn mul(self, other: Val) -> Val {
        match (self, other) {
            (Val::Exact(a), Val::Exact(b)) => Val::Exact(a.mul(&b)),
            (a, b) => Val::Float(a.to_f64() * b.to_f64()),
        }
    }

    fn div(self, other: Val) -> Result<Val, NoValue> {
        match (self, other) {
            (Val::Exact(a), Val::Exact(b)) => a
                .div(&b)
                .map(Val::Exact)
                .ok_or_else(|| NoValue::Unparsable("a division by zero".into())),
            (a, b) => Ok(Val::Float(a.to_f64() / b.to_f64())),
        }
    }
}

/// σ in `f64`, accurate to an ulp or two on both sides of 0.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

struct Parser<'a> {
    toks: &'a [Tok],
    at: usize,
    /// The slope of `leaky_relu`, when the text states it exactly.
    slope: Option<&'a Exact>,
    /// Every literal read, for the count of widened operands.
    lits: Vec<Lit>,
    /// The terms of the outermost sum, for the `f64 rounding` rule.
    terms: Vec<Val>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect(&mut self, want: &str, ok: fn(&Tok) -> bool) -> Result<(), NoValue> {
        match self.bump() {
            Some(t) if ok(&t) => Ok(()),
            other => Err(NoValue::Unparsable(format!("expected {want}, found {other:?}"))),
        }
    }

    fn sum(&mut self, outermost: bool) -> Result<Val, NoValue> {
        let first = self.term()?;
        if outermost {
            self.terms.push(first.clone());
        }
        let mut acc = first;
        loop {
            let negative = match self.peek() {
                Some(Tok::Plus) => false,
                Some(Tok::Minus) => true,
                _ => return Ok(acc),
            };
            self.bump();
            let mut t = self.term()?;
            if negative {
                t = t.neg();
            }
            if outermost {
                self.terms.push(t.clone());
            }
            acc = acc.add(t);
        }
    }

    fn term(&mut self) -> Result<Val, NoValue> {
        let mut acc = self.power()?;
        loop {
            match self.peek() {
                Some(Tok::Times) => {
                    self.bump();
                    acc = acc.mul(self.power()?);
                }
                Some(Tok::Over) => {
                    self.bump();
                    acc = acc.div(self.power()?)?;
                }
                // A scale written before a bracket: `½[…]`, `(1/4)[…]`.
                Some(Tok::OpenSq) => {
                    self.bump();
                    let inner = self.sum(false)?;
                    self.expect("]", |t| matches!(t, Tok::CloseSq))?;
                    acc = acc.mul(inner);
                }
                _ => return Ok(acc),
            }
        }
    }

    fn power(&mut self) -> Result<Val, NoValue> {
        if matches!(self.peek(), Some(Tok::Minus)) {
            self.bump();
            return Ok(self.power()?.neg());
        }
        let mut v = self.primary()?;
        while matches!(self.peek(), Some(Tok::Squared)) {
            self.bump();
            v = v.clone().mul(v);
        }
        Ok(v)
    }

    fn primary(&mut self) -> Result<Val, NoValue> {
        match self.bump() {
            Some(Tok::Num(lit)) => {
                let v = Val::Exact(lit.value.clone());
                self.lits.push(lit);
                Ok(v)
            }
            Some(Tok::Half) => Ok(Val::Exact(Exact::dec(5, -1))),
            Some(Tok::Open) => {
                let v = self.sum(false)?;
                self.expect(")", |t| matches!(t, Tok::Close))?;
                Ok(v)
            }
            Some(Tok::OpenSq) => {
                let v = self.sum(false)?;
                self.expect("]", |t| matches!(t, Tok::CloseSq))?;
                Ok(v)
            }
            Some(Tok::FloorOpen) => {
                let v = self.sum(false)?;
                self.expect("⌋", |t| matches!(t, Tok::FloorClose))?;
                Ok(match v {
                    Val::Exact(q) => Val::Exact(q.floor()),
                    Val::Float(f) => Val::Float(f.floor()),
                })
            }
            Some(Tok::Func(f)) => {
                self.expect("(", |t| matches!(t, Tok::Open))?;
                let a = self.sum(false)?;
                let v = match f {
                    Func::Max => {
                        self.expect(",", |t| matches!(t, Tok::Comma))?;
                        let b = self.sum(false)?;
                        match (a, b) {
                            (Val::Exact(a), Val::Exact(b)) => Val::Exact(a.max(b)),
                            (a, b) => Val::Float(a.to_f64().max(b.to_f64())),
                        }
                    }
                    Func::Sigmoid => Val::Float(sigmoid(a.to_f64())),
                    Func::Tanh => Val::Float(a.to_f64().tanh()),
                    Func::LeakyRelu => match a {
                        Val::Exact(a) if !a.is_negative() => Val::Exact(a),
                        Val::Exact(a) => match self.slope {
                            Some(s) => Val::Exact(a.mul(s)),
                            None => return Err(NoValue::NoSlope),
                        },
                        Val::Float(_) => return Err(NoValue::NoSlope),
                    },
                };
                self.expect(")", |t| matches!(t, Tok::Close))?;
                Ok(v)
            }
            other => Err(NoValue::Unparsable(format!("unexpected {other:?}"))),
        }
    }
}

/// An expression's value, the literals in it and the terms of its outermost sum.
struct Evaluated {
    value: Val,
    lits: Vec<Lit>,
    terms: Vec<Val>,
}

fn evaluate(s: &str, slope: Option<&Exact>) -> Result<Evaluated, NoValue> {
    let toks = lex(s)?;
    let mut p = Parser { toks: &toks, at: 0, slope, lits: Vec::new(), terms: Vec::new() };
    let value = p.sum(true)?;
    if p.at != toks.len() {
        return Err(NoValue::Unparsable(format!("left over: {:?}", &toks[p.at..])));
    }
    Ok(Evaluated { value, lits: p.lits, terms: p.terms })
}

// ---------------------------------------------------------------------------------------------
// The rule
// ---------------------------------------------------------------------------------------------

/// `|a − b| ≤ tol`, exactly.
fn within(a: &Exact, b: &Exact, tol: &Exact) -> bool {
    !a.sub(b).abs().cmp(tol).is_gt()
}

/// A margin of a few ulps around an `f64` evaluation of `σ` or `tanh`.
fn float_margin(e: f64, v: &Exact) -> Exact {
    let scale = e.abs().max(v.to_f64().abs());
    Exact::from_f64(8.0 * f64::EPSILON * scale + f64::MIN_POSITIVE)
}

const ROUNDING: &str = "f64 rounding: exactly, these numbers give ";

/// Checks one link `rhs rel v` by the rule; `Err` says why it does not hold.
fn check_result(
    e: &Evaluated,
    approx: bool,
    v: &Lit,
    reason: Option<&str>,
    counts: &mut Counts,
) -> Result<(), String> {
    if let Some(x) = reason.and_then(|r| r.strip_prefix(ROUNDING)) {
        counts.rounding += 1;
        let (x_approx, x_text) = match x.strip_prefix('≈') {
            Some(rest) => (true, rest),
            None => (false, x),
        };
        let x =
            literal(x_text).ok_or_else(|| format!("the reason's value {x_text:?} is no number"))?;
        let Val::Exact(value) = &e.value else {
            return Err("an `f64 rounding` reason on a value computed in f64".into());
        };
        let x_tol = if x_approx { x.half_unit() } else { Exact::zero() };
        if !within(value, &x.value, &x_tol) {
            return Err(format!("exactly these numbers give {}, not {x_text}", show(value)));
        }
        let mut magnitude = Exact::zero();
        for t in &e.terms {
            match t {
                Val::Exact(t) => magnitude = magnitude.add(&t.abs()),
                Val::Float(_) => return Err("a term computed in f64".into()),
            }
        }
        // Floating-point error: relative to the terms' magnitude, plus, where values underflow,
        // the spacing of the subnormals (2⁻¹⁰⁷⁴ ≈ 4.94·10⁻³²⁴) for every term.
        let terms = i64::try_from(e.terms.len()).unwrap_or(i64::MAX).saturating_add(1);
        let subnormal = Exact::dec(terms.saturating_mul(5), -324);
        if !within(value, &v.value, &magnitude.mul(&Exact::dec(1, -12)).add(&subnormal)) {
            return Err(format!(
                "{} is not within 10⁻¹² of Σ|terms| = {} (and the subnormals' spacing) of the exact {}",
                show(&v.value),
                show(&magnitude),
                show(value)
            ));
        }
        return Ok(());
    }
    let mut tol = if approx { v.half_unit() } else { Exact::zero() };
    let value = match &e.value {
        Val::Exact(q) => q.clone(),
        Val::Float(f) => {
            if !f.is_finite() {
                return Err(format!("σ or tanh gave {f}"));
            }
            counts.float += 1;
            tol = tol.add(&float_margin(*f, &v.value));
            Exact::from_f64(*f)
        }
    };
    if within(&value, &v.value, &tol) {
        Ok(())
    } else if approx {
        Err(format!(
            "the operands give {}, more than half a unit in digit {} away",
            show(&value),
            v.sig.max(6)
        ))
    } else {
        Err(format!("the operands give {}, not exactly the printed value", show(&value)))
    }
}

/// An exact value for a message: all its digits when they are few, else 20 significant ones.
fn show(q: &Exact) -> String {
    let (m, e) = match q {
        Exact::Dec(m, e) => (m.clone(), *e),
        // 25 significant digits or more of a quotient.
        Exact::Ratio(r) => {
            let digits = |n: &BigInt| i64::try_from(n.to_string().len()).expect("a length");
            let e = digits(r.numer()) - digits(r.denom()) - 25;
            let scaled = if e >= 0 {
                r / BigRational::from_integer(ten_to(e))
            } else {
                r * BigRational::from_integer(ten_to(-e))
            };
            (scaled.trunc().to_integer(), e)
        }
    };
    let sign = if m.is_negative() { "−" } else { "" };
    let digits = m.abs().to_string();
    let len = i64::try_from(digits.len()).expect("a length");
    if m.is_zero() {
        "0".into()
    } else if len <= 24 && (0..=6).contains(&e) {
        format!("{sign}{digits}{}", "0".repeat(usize::try_from(e).expect("small")))
    } else if e < 0 && -e < len && len <= 24 {
        let point = usize::try_from(len + e).expect("inside");
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    } else {
        let shown = digits[..digits.len().min(20)].trim_end_matches('0');
        let point = if shown.len() > 1 { "." } else { "" };
        format!("{sign}{}{point}{}·10^{}", &shown[..1], &shown[1..], len - 1 + e)
    }
}

// ---------------------------------------------------------------------------------------------
// A text: its equations and their lines
// ---------------------------------------------------------------------------------------------

#[derive(Default, Debug, Clone)]
struct Counts {
    /// Results checked: the last link of every equation of numbers.
    equations: usize,
    /// Of them, `= v`.
    exact: usize,
    /// Of them, `≈ v`.
    approx: usize,
    /// `≈` lines with an operand of more than 6 significant digits.
    widened: usize,
    /// Equations of numbers spread over several lines by `+ ` continuations.
    wrapped: usize,
    /// Earlier `=` links between two expressions of numbers, checked as well.
    links: usize,
    /// Results computed with `σ` or `tanh` in `f64`.
    float: usize,
    /// Results with an `f64 rounding` reason.
    rounding: usize,
    /// Equations with `∞` or `NaN`, skipped.
    ieee: usize,
    /// Lines of printed sums whose length was checked.
    sum_lines: usize,
}

/// Splits at the relations ` = `, ` ≈ `, ` ← ` outside parentheses and brackets.
fn split_relations(s: &str) -> (Vec<&str>, Vec<&'static str>) {
    let (mut segments, mut relations) = (Vec::new(), Vec::new());
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '⌊' => depth += 1,
            ')' | ']' | '⌋' => depth -= 1,
            ' ' if depth == 0 => {
                for rel in [" = ", " ≈ ", " ← "] {
                    if s[i..].starts_with(rel) && i >= start {
                        segments.push(&s[start..i]);
                        relations.push(rel.trim());
                        start = i + rel.len();
                    }
                }
            }
            _ => {}
        }
    }
    segments.push(&s[start..]);
    (segments, relations)
}

/// How many terms a physical line of a sum shows: its ` + ` outside parentheses and outside
/// index brackets (`x[p + i, …]`), plus one. A scale's bracket `½[…]` does not hide its terms.
fn terms_on_line(line: &str) -> usize {
    let body = line.trim_start();
    let body = body.strip_prefix("+ ").or_else(|| body.strip_prefix("= ")).unwrap_or(body);
    let (mut depth, mut index, mut plus) = (0i32, 0i32, 0);
    let mut prev = ' ';
    for (i, c) in body.char_indices() {
        match c {
            '(' | '⌊' => depth += 1,
            ')' | '⌋' => depth -= 1,
            '[' if prev.is_alphanumeric() || prev == '\u{303}' => index += 1,
            ']' if index > 0 => index -= 1,
            ' ' if depth <= 0 && index == 0 && body[i..].starts_with(" + ") => plus += 1,
            _ => {}
        }
        prev = c;
    }
    plus + 1
}

/// One equation: its physical lines and their joined text.
struct Group<'a> {
    lines: Vec<&'a str>,
    text: String,
    wrapped: bool,
}

fn is_equation(trimmed: &str) -> bool {
    !trimmed.starts_with("Note:")
        && (trimmed.contains(" = ") || trimmed.contains(" ≈ ") || trimmed.contains(" ← "))
}

/// The slope of `leaky_relu` as the text's header states it, when exact.
fn stated_slope(text: &str) -> Option<Exact> {
    let at = text.find("activation: leaky_relu(")? + "activation: leaky_relu(".len();
    let end = text[at..].find(')')? + at;
    literal(&text[at..end]).map(|l| l.value)
}

/// Checks every equation of `text`; appends a message per failure.
fn check_text(text: &str, counts: &mut Counts, failures: &mut Vec<String>) {
    let slope = stated_slope(text);
    let mut group: Option<Group> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let continues = trimmed.starts_with("+ ") || trimmed.starts_with("= ");
        if continues {
            if let Some(g) = group.as_mut() {
                g.lines.push(line);
                g.text.push(' ');
                g.text.push_str(trimmed);
                g.wrapped |= trimmed.starts_with("+ ");
                continue;
            }
            failures.push(format!("a continuation line after no equation: {line:?}"));
            continue;
        }
        if let Some(g) = group.take() {
            check_group(&g, slope.as_ref(), counts, failures);
        }
        if is_equation(trimmed) {
            group = Some(Group { lines: vec![line], text: trimmed.to_owned(), wrapped: false });
        }
    }
    if let Some(g) = group.take() {
        check_group(&g, slope.as_ref(), counts, failures);
    }
}

fn check_group(g: &Group, slope: Option<&Exact>, counts: &mut Counts, failures: &mut Vec<String>) {
    let shown = || g.lines.join("\n");
    // Rule 3: the lines of a printed sum fit in WIDTH characters, unless one term alone doesn't.
    let is_sum = g.wrapped || g.lines.iter().any(|l| terms_on_line(l) > 1);
    if is_sum && !g.lines[0].contains('Σ') {
        for line in &g.lines {
            counts.sum_lines += 1;
            let width = line.chars().count();
            if width > WIDTH && terms_on_line(line) > 1 {
                failures.push(format!("a line of {width} > {WIDTH} characters:\n{}", shown()));
            }
        }
    }
    let (main, reason) = match g.text.find("   (") {
        Some(at) => {
            let reason = g.text[at..].trim();
            let reason =
                reason.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(reason);
            (&g.text[..at], Some(reason))
        }
        None => (g.text.as_str(), None),
    };
    let (segments, relations) = split_relations(main);
    let Some(v) = segments.last().and_then(|s| literal(s)) else {
        // A heading, a matrix, a formula with names only: no result to check. IEEE values
        // are counted where they stand for a result.
        if main.contains('∞') || main.contains("NaN") {
            counts.ieee += 1;
        }
        return;
    };
    if main.contains('∞') || main.contains("NaN") {
        counts.ieee += 1;
        return;
    }
    let n = segments.len();
    let e = match evaluate(segments[n - 2], slope) {
        Ok(e) => e,
        Err(NoValue::Symbolic) => return,
        Err(NoValue::NoSlope) => {
            failures.push(format!(
                "leaky_relu of a negative number with no slope stated:\n{}",
                shown()
            ));
            return;
        }
        Err(NoValue::Unparsable(why)) => {
            failures.push(format!("not in the notation ({why}):\n{}", shown()));
            return;
        }
    };
    let approx = relations[n - 2] == "≈";
    counts.equations += 1;
    if approx {
        counts.approx += 1;
        if e.lits.iter().any(|l| l.sig > 6) {
            counts.widened += 1;
        }
    } else {
        counts.exact += 1;
    }
    if g.wrapped {
        counts.wrapped += 1;
    }
    if let Err(why) = check_result(&e, approx, &v, reason, counts) {
        failures.push(format!("{why}:\n{}", shown()));
    }
    // The earlier links `a = b` where both sides are numbers: `⌊(5 + 2·1 − 2)/2⌋ + 1 = ⌊5/2⌋ +
    // 1`, `leaky_relu(−2) = 0.1·(−2)`.
    for k in 0..n.saturating_sub(2) {
        if relations[k] != "=" {
            continue;
        }
        let (Ok(a), Ok(b)) = (evaluate(segments[k], slope), evaluate(segments[k + 1], slope))
        else {
            continue;
        };
        counts.links += 1;
        let holds = match (&a.value, &b.value) {
            (Val::Exact(a), Val::Exact(b)) => a.cmp(b).is_eq(),
            (a, b) => {
                let (a, b) = (a.to_f64(), b.to_f64());
                (a - b).abs() <= 8.0 * f64::EPSILON * a.abs().max(b.abs())
            }
        };
        if !holds {
            failures.push(format!(
                "{} = {} does not hold:\n{}",
                segments[k],
                segments[k + 1],
                shown()
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random specs
// ---------------------------------------------------------------------------------------------

/// `⌊(n + 2p − k)/s⌋ + 1`.
const fn out(n: usize, k: usize, s: usize, p: usize) -> usize {
    (n + 2 * p - k) / s + 1
}

type Run = fn(&mut fastrand::Rng, &str, &mut Counts, &mut Vec<String>);

macro_rules! geometries {
    ($(($h:literal, $w:literal, $kh:literal, $kw:literal, $sh:literal, $sw:literal, $ph:literal, $pw:literal)),* $(,)?) => {
        [$(
            (|rng: &mut fastrand::Rng, name: &str, counts: &mut Counts, failures: &mut Vec<String>| {
                run::<$h, $w, $kh, $kw, { out($h, $kh, $sh, $ph) }, { out($w, $kw, $sw, $pw) }>(
                    rng,
                    ($sh, $sw),
                    ($ph, $pw),
                    name,
                    counts,
                    failures,
                )
            }) as Run
        ),*]
    };
}

/// A dozen of `tests/finite_differences.rs`'s geometries: 1×1 to 7×7, strides 1 to 3,
/// paddings 0 to 2, square and not, a 5×5 filter (a 25-term sum), rows no window covers.
const GEOMETRIES: [Run; 12] = geometries![
    (3, 3, 2, 2, 1, 1, 0, 0),
    (1, 1, 1, 1, 1, 1, 0, 0),
    (2, 3, 1, 2, 1, 1, 0, 0),
    (5, 5, 3, 3, 2, 2, 1, 1),
    (4, 4, 2, 2, 3, 3, 0, 0),
    (5, 4, 2, 3, 2, 1, 0, 1),
    (7, 7, 3, 3, 3, 3, 2, 2),
    (3, 5, 3, 1, 1, 2, 1, 0),
    (6, 5, 4, 2, 1, 3, 0, 2),
    (1, 6, 1, 3, 1, 2, 0, 1),
    (7, 4, 4, 4, 2, 1, 1, 0),
    (5, 5, 5, 5, 1, 1, 0, 0),
];

fn uniform(rng: &mut fastrand::Rng, low: f64, high: f64) -> f64 {
    low + (high - low) * rng.f64()
}

/// Zero, a short decimal, a long one (`1/3·10^k`), or log-uniform in magnitude over
/// 10⁻⁷..10⁷, either sign.
fn value(rng: &mut fastrand::Rng) -> f64 {
    const SHORT: [f64; 12] = [0.5, 3.0, 1.0, 2.0, 0.25, 1.5, 10.0, 0.1, 0.2, 100.0, 0.125, 1000.0];
    let sign = if rng.bool() { 1.0 } else { -1.0 };
    match rng.u32(0..20) {
        0 | 1 => 0.0,
        2..=5 => sign * SHORT[rng.usize(0..SHORT.len())],
        6 | 7 => sign * 10f64.powi(rng.i32(-6..=6)) / [3.0, 7.0, 9.0][rng.usize(0..3)],
        _ => sign * 10f64.powf(uniform(rng, -7.0, 7.0)),
    }
}

fn matrix<const C: usize, const R: usize>(rng: &mut fastrand::Rng) -> [[f64; C]; R] {
    std::array::from_fn(|_| std::array::from_fn(|_| value(rng)))
}

fn random_layer(rng: &mut fastrand::Rng, stride: (usize, usize), padding: (usize, usize)) -> Layer {
    let activation = match rng.usize(0..5) {
        0 => Activation::Relu { grad_at_zero: if rng.bool() { 1.0 } else { 0.0 } },
        1 => Activation::Linear,
        2 => Activation::Sigmoid,
        3 => Activation::Tanh,
        _ => Activation::LeakyRelu {
            slope: if rng.bool() {
                [0.01, 0.1, 0.2, 0.05, 0.3, 0.25][rng.usize(0..6)]
            } else {
                uniform(rng, 0.01, 0.5)
            },
        },
    };
    let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
    let kernel = if rng.bool() { Kernel::Correlation } else { Kernel::Convolution };
    Layer { stride, padding, kernel, activation, loss }
}

/// Draws one spec of this geometry, derives it and checks its text.
fn run<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    rng: &mut fastrand::Rng,
    stride: (usize, usize),
    padding: (usize, usize),
    name: &str,
    counts: &mut Counts,
    failures: &mut Vec<String>,
) {
    let layer = random_layer(rng, stride, padding);
    let x: [[f64; W]; H] = matrix(rng);
    let filter: [[f64; KW]; KH] = matrix(rng);
    let bias = rng.bool().then(|| value(rng));
    let t: [[f64; OW]; OH] = matrix(rng);
    let lr = if rng.u32(0..4) == 0 {
        [0.5, 0.1, 0.01, 1.0][rng.usize(0..4)]
    } else {
        10f64.powf(uniform(rng, -9.0, 0.0))
    };
    let steps = rng.usize(1..=3);
    let (check, mistakes, symbolic) = (rng.u32(0..4) == 0, rng.u32(0..4) == 0, rng.u32(0..4) == 0);
    let spec = format!(
        "{name}: {layer:?}, lr = {lr:?}, steps = {steps}, x = {x:?}, filter = {filter:?}, \
         bias = {bias:?}, t = {t:?}, finite_differences = {check}, mistakes = {mistakes}, \
         form = {}",
        if symbolic { "Symbolic" } else { "Numeric" }
    );
    let extras = Extras::default().finite_differences(check).mistakes(mistakes);
    let d = match train_with(&layer, lr, steps, &x, Params { filter, bias }, &t, extras) {
        Ok(d) => d,
        Err(e) => {
            failures.push(format!("train_with refused the spec: {e:?}\n  spec {spec}"));
            return;
        }
    };
    let d = if symbolic { d.with_form(Form::Symbolic) } else { d };
    if let Err(e) = d.verify() {
        failures.push(format!("verify(): {e}\n  spec {spec}"));
    }
    let text = d.to_string();
    if std::env::var_os("PRINTED_PRECISION_ONLY").is_some() {
        println!("{spec}\n\n{text}");
    }
    let mut found = Vec::new();
    check_text(&text, counts, &mut found);
    for f in found {
        failures.push(format!("{f}\n  spec {spec}"));
    }
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => {
                    u64::from_str_radix(hex, 16).ok().and_then(|n| n.to_string().parse().ok())
                }
                None => s.parse().ok(),
            };
            parsed.unwrap_or_else(|| panic!("{name}={s:?} is not a number"))
        }
        Err(_) => default,
    }
}

fn report(what: &str, failures: &[String]) {
    if failures.is_empty() {
        return;
    }
    let shown = env("PRINTED_PRECISION_SHOWN", SHOWN).min(failures.len());
    let mut msg = format!("{} failures {what}; the first {shown}:\n", failures.len());
    for f in failures.iter().take(shown) {
        let _ = writeln!(msg, "\n{f}");
    }
    panic!("{msg}");
}

/// The property: over random specs with values from 10⁻⁷ to 10⁷, `verify()` passes and every
/// printed equation holds, re-evaluated exactly from its printed operands, at its printed
/// precision. (Its first runs found results printed with more digits than their operands
/// supported, an underflow quoted as 0 in an `f64 rounding` reason, `verify()` failing near
/// the subnormals, and short literals such as `0.2` standing for a binary value they are not
/// in a cancellation; all four were fixed in the library.)
#[test]
fn every_printed_equation_holds_within_its_printed_precision() {
    let seed: u64 = env("PRINTED_PRECISION_SEED", DEFAULT_SEED);
    let specs: usize = env("PRINTED_PRECISION_SPECS", DEFAULT_SPECS);
    let (mut counts, mut failures) = (Counts::default(), Vec::new());
    let only: Option<usize> = std::env::var("PRINTED_PRECISION_ONLY").ok().map(|s| {
        s.trim().parse().unwrap_or_else(|_| panic!("PRINTED_PRECISION_ONLY={s:?} is no index"))
    });
    for index in only.map_or(0..specs, |i| i..i + 1) {
        let mut rng = fastrand::Rng::with_seed(
            seed ^ u64::try_from(index).expect("an index").wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let geometry = rng.usize(0..GEOMETRIES.len());
        let name = format!("spec {index} of seed {seed:#x}, geometry {geometry}");
        GEOMETRIES[geometry](&mut rng, &name, &mut counts, &mut failures);
    }
    let ran = only.map_or(format!("{specs} random specs"), |i| format!("random spec {i}"));
    println!("{ran} (seed {seed:#x}): {counts:?}");
    if specs >= DEFAULT_SPECS && only.is_none() {
        assert!(counts.equations > 20_000, "too few equations checked: {counts:?}");
        assert!(counts.widened > 0, "no ≈ line with an operand of more than 6 digits: {counts:?}");
        assert!(counts.wrapped > 0, "no wrapped sum: {counts:?}");
        assert!(counts.float > 0 && counts.exact > 0 && counts.links > 0, "{counts:?}");
    }
    let mut what = format!("in {ran} (seed {seed:#x})");
    if let Ok(dir) = std::env::var("PRINTED_PRECISION_CORPUS") {
        let mut counts = Counts::default();
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt" || x == "snap"))
            .filter(|p| {
                let name = p.to_string_lossy();
                !name.contains("latex") && !name.contains("markdown")
            })
            .collect();
        paths.sort();
        for path in &paths {
            let text = std::fs::read_to_string(path).expect("a text file");
            let mut found = Vec::new();
            check_text(&text, &mut counts, &mut found);
            failures.extend(found.into_iter().map(|f| format!("{}: {f}", path.display())));
        }
        println!("{} files of {dir}: {counts:?}", paths.len());
        let _ = write!(what, " and {} files of {dir}", paths.len());
    }
    report(&what, &failures);
}

// ---------------------------------------------------------------------------------------------
// The evaluator itself
// ---------------------------------------------------------------------------------------------

fn failures_of(text: &str) -> (Counts, Vec<String>) {
    let (mut counts, mut failures) = (Counts::default(), Vec::new());
    check_text(text, &mut counts, &mut failures);
    (counts, failures)
}

#[test]
fn a_correct_text_passes() {
    let text = "\
    z[0,0] = x[0,0]·w[0,0] + x[0,1]·w[0,1] + x[1,0]·w[1,0] + x[1,1]·w[1,1]
           = 1·1 + (−1)·(−1) + 0·1 + 1·1 = 3
    L = ½·(4968.75 − 0)² ≈ 1.23442·10⁷
    w[0,1] ← 0 − 0.25·0.1077778 ≈ −0.0269444
    y[0,0] = σ(2.5) ≈ 0.924142
    f′(z[0,0]) = y·(1 − y) = 0.95·(1 − 0.95) = 0.0475
    ∂L/∂y[0,0] = (2/9)·(0.999999999974694465 − 1) ≈ −5.62345·10⁻¹²
    OW = ⌊(5 + 2·1 − 2)/2⌋ + 1 = ⌊5/2⌋ + 1 = 3
    L = ½[(0.668235 − (−1.50048))² + (−0.998687 − 1·10¹⁶)² + (−1 − (−0.980909))²
      + (−0.940975 − 0.0260833)²] ≈ 5·10³¹
    ∂L/∂b = 0.000846216 + 0.0326115 + (−0.000846216)
          + (−0.0326115) ≈ 6.93889·10⁻¹⁸   (f64 rounding: exactly, these numbers give 0)
    w[0,0] ← −1 − 0.5·(−∞) = ∞
";
    let (counts, failures) = failures_of(text);
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(counts.equations, 9, "{counts:?}");
    assert_eq!((counts.exact, counts.approx, counts.float), (3, 6, 1), "{counts:?}");
    assert_eq!((counts.wrapped, counts.rounding, counts.ieee, counts.links), (2, 1, 1, 1));
    assert_eq!(counts.widened, 2, "{counts:?}");
}

#[test]
fn a_changed_last_digit_fails() {
    // Each line as printed, then with its result's last digit changed.
    for (right, wrong) in [
        (
            "    z[0,0] = x[0,0]·w[0,0] + x[0,1]·w[0,1]\n           = 1·1 + (−1)·(−1) = 2",
            "    z[0,0] = x[0,0]·w[0,0] + x[0,1]·w[0,1]\n           = 1·1 + (−1)·(−1) = 3",
        ),
        ("    L = ½·(4968.75 − 0)² ≈ 1.23442·10⁷", "    L = ½·(4968.75 − 0)² ≈ 1.23443·10⁷"),
        (
            "    w[0,0] ← 4968.75 − 0.5·4968.75 = 2484.375",
            "    w[0,0] ← 4968.75 − 0.5·4968.75 = 2484.376",
        ),
        (
            "    w[0,1] ← 0 − 0.25·0.1077778 ≈ −0.0269444",
            "    w[0,1] ← 0 − 0.25·0.1077778 ≈ −0.0269443",
        ),
        ("    y[0,0] = σ(2.5) ≈ 0.924142", "    y[0,0] = σ(2.5) ≈ 0.924143"),
        ("    y[0,0] = tanh(0.5) ≈ 0.462117", "    y[0,0] = tanh(0.5) ≈ 0.462118"),
        ("    f′(z[0,0]) = 1 − y² = 1 − 0.5² = 0.75", "    f′(z[0,0]) = 1 − y² = 1 − 0.5² = 0.76"),
        (
            "    OW = ⌊(5 + 2·1 − 2)/2⌋ + 1 = ⌊5/2⌋ + 1 = 3",
            "    OW = ⌊(5 + 2·1 − 2)/2⌋ + 1 = ⌊5/2⌋ + 1 = 4",
        ),
        (
            "    ∂L/∂y[0,0] = (2/9)·(0.999999999974694465 − 1) ≈ −5.62345·10⁻¹²",
            "    ∂L/∂y[0,0] = (2/9)·(0.999999999974694465 − 1) ≈ −5.62346·10⁻¹²",
        ),
        (
            "    ∂L/∂b = 0.0120709 + (−0.0120709) ≈ 2.77556·10⁻¹⁷   (f64 rounding: exactly, these numbers give 0)",
            "    ∂L/∂b = 0.0120709 + (−0.0120709) ≈ 2.77556·10⁻¹⁷   (f64 rounding: exactly, these numbers give 1)",
        ),
    ] {
        let (counts, failures) = failures_of(right);
        assert_eq!(counts.equations, 1, "{right}");
        assert!(failures.is_empty(), "{right}: {failures:#?}");
        let (counts, failures) = failures_of(wrong);
        assert_eq!(counts.equations, 1, "{wrong}");
        assert_eq!(failures.len(), 1, "{wrong}: {failures:#?}");
    }
    // An earlier link of a chain is checked too.
    let (_, failures) = failures_of("    OW = ⌊(6 + 2·1 − 2)/2⌋ + 1 = ⌊5/2⌋ + 1 = 3");
    assert_eq!(failures.len(), 1, "{failures:#?}");
}

#[test]
fn operands_rounded_too_coarsely_fail() {
    // The printed line is `δ[0,0] = 0.01207091·0.07010372 ≈ 0.000846216`: with the operands cut
    // to 5 digits their product is 0.000846225…, 9·10⁻⁹ from the result, more than half a unit
    // (5·10⁻¹⁰) in its sixth digit.
    let (_, ok) = failures_of("    δ[0,0] = 0.01207091·0.07010372 ≈ 0.000846216");
    assert!(ok.is_empty(), "{ok:#?}");
    let (counts, failures) = failures_of("    δ[0,0] = 0.012071·0.070104 ≈ 0.000846216");
    assert_eq!((counts.equations, failures.len()), (1, 1), "{failures:#?}");
    // A cancelling sum: 6-digit operands cannot show a result of 2.5·10⁻⁷ to 6 digits.
    let (_, failures) = failures_of("    z[0,0] = 1.00000025·1 + (−1)·1 ≈ 2.5·10⁻⁷");
    assert!(failures.is_empty(), "{failures:#?}");
    let (_, failures) = failures_of("    z[0,0] = 1·1 + (−1)·1 ≈ 2.5·10⁻⁷");
    assert_eq!(failures.len(), 1, "{failures:#?}");
    // Too long a line of a sum fails; one term alone may be long.
    let long = format!("    z[0,0] = {} ≈ 0", ["1·1 + (−1)·1"; 12].join(" + "));
    let (_, failures) = failures_of(&long);
    assert_eq!(failures.len(), 1, "{failures:#?}");
    let one = format!("    z[0,0] = 1.{}·1 ≈ 1", "0".repeat(120));
    let (_, failures) = failures_of(&one);
    assert!(failures.is_empty(), "{failures:#?}");
}
