//! What the generated golden-case tests (`tests/golden_jax.rs`, `tests/golden_networks.rs`,
//! `tests/golden_classifiers.rs`, `tests/golden_batches.rs`) assert with. Written here once;
//! the generators (`scripts/golden/generate.py`, `networks.py`, `classifiers.py`,
//! `batches.py`) name it (the batches' exact-run check is in `golden_batch.rs`).
//!
//! A case runs in f64 (`arithmetic: float`, the default) and, when all its arithmetic is
//! rational, once more with `arithmetic: exact`. The same checks take either run, generic over
//! its number type ([`Figure`]): a float run's values must be within 1e-9 of JAX's (relative
//! above 1: `|a − b| ≤ 1e-9·(1 + max(|a|, |b|))`), an exact run's, each converted by
//! `f64::from`, within 1e-12 relative (`|a − b| ≤ 1e-12·max(1, |a|, |b|)`). Then
//! [`assert_exact_net`] and [`assert_exact_layer`] hold the two runs against each other: every
//! figure the checks look at, to 1e-12 relative, names and shapes exactly. Names and shapes
//! are compared exactly everywhere.

// Each golden file uses its part: the single-layer helpers, or the network ones.
#![allow(dead_code)]

use cnn_bp_core::network::NetDerivation;
use cnn_bp_core::{Derivation, Rational, Scalar};

/// A named parameter or gradient as wanted: name, shape, row-major values.
type Named<'a> = (&'a str, &'a [usize], &'a [f64]);
/// A layer's output or input gradient as wanted: shape (`[C, H, W]` or `[N]`), row-major values.
type Map<'a> = (&'a [usize], &'a [f64]);

/// The number type a golden case ran in, and how close to JAX's float64 values it must be.
pub trait Figure: Scalar + Into<f64> {
    /// What the messages call the run: `""` for the float run, `"exact run: "`.
    const RUN: &'static str;
    /// Whether this run's value, as an `f64`, is close enough to JAX's.
    fn close(got: f64, want: f64) -> bool;
}

impl Figure for f64 {
    const RUN: &'static str = "";
    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= 1e-9 * (1.0 + got.abs().max(want.abs()))
    }
}

impl Figure for Rational {
    const RUN: &'static str = "exact run: ";
    fn close(got: f64, want: f64) -> bool {
        exact_close(got, want)
    }
}

/// `|a − b| ≤ 1e-12·max(1, |a|, |b|)`: an exact value rounded to f64 against a float one.
fn exact_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// The multi-index of row-major entry `flat` in `shape`, for messages.
fn index(shape: &[usize], flat: usize) -> Vec<usize> {
    let mut rest = flat;
    let mut idx = vec![0; shape.len()];
    for (slot, &n) in idx.iter_mut().zip(shape).rev() {
        *slot = rest % n.max(1);
        rest /= n.max(1);
    }
    idx
}

fn to_f64<S: Figure>(values: &[S]) -> Vec<f64> {
    values.iter().map(|&v| v.into()).collect()
}

pub fn assert_scalar<S: Figure>(what: &str, got: S, want: f64) {
    let got: f64 = got.into();
    assert!(S::close(got, want), "{}{what}: got {got:?}, want {want:?}", S::RUN);
}

fn assert_values<S: Figure>(what: &str, shape: &[usize], got: &[S], want: &[f64]) {
    let run = S::RUN;
    assert_eq!(got.len(), want.len(), "{run}{what}: number of values");
    let got = to_f64(got);
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            S::close(*g, *w),
            "{run}{what}{:?}: got {g:?}, want {w:?}\n  got:  {got:?}\n  want: {want:?}",
            index(shape, k)
        );
    }
}

pub fn assert_named<S: Figure>(what: &str, got: &[(String, Vec<usize>, Vec<S>)], want: &[Named]) {
    let run = S::RUN;
    let got_names: Vec<&str> = got.iter().map(|(name, _, _)| name.as_str()).collect();
    let want_names: Vec<&str> = want.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(got_names, want_names, "{run}{what}: names");
    for ((name, shape, values), (_, want_shape, want_values)) in got.iter().zip(want) {
        assert_eq!(shape.as_slice(), *want_shape, "{run}{what} {name}: shape");
        assert_values(&format!("{what} {name}"), shape, values, want_values);
    }
}

pub fn assert_maps<S: Figure>(what: &str, got: &[(Vec<usize>, Vec<S>)], want: &[Map]) {
    let run = S::RUN;
    assert_eq!(got.len(), want.len(), "{run}{what}: number of maps");
    for (k, ((shape, values), (want_shape, want_values))) in got.iter().zip(want).enumerate() {
        assert_eq!(shape.as_slice(), *want_shape, "{run}{what}[{k}]: shape");
        assert_values(&format!("{what}[{k}]"), shape, values, want_values);
    }
}

pub fn assert_option<S: Figure>(what: &str, got: Option<S>, want: Option<f64>) {
    match (got, want) {
        (Some(g), Some(w)) => assert_scalar(what, g, w),
        (None, None) => {}
        _ => panic!("{}{what}: got {got:?}, want {want:?}", S::RUN),
    }
}

pub fn assert_matrix<S: Figure, const R: usize, const C: usize>(
    what: &str,
    got: [[S; C]; R],
    want: [[f64; C]; R],
) {
    let got = got.map(|row| row.map(Into::into));
    for r in 0..R {
        for c in 0..C {
            assert!(
                S::close(got[r][c], want[r][c]),
                "{}{what}[{r}][{c}]: got {:?}, want {:?}\n  got:  {got:?}\n  want: {want:?}",
                S::RUN,
                got[r][c],
                want[r][c]
            );
        }
    }
}

// ---------------------------------------------------------------- the exact run against the float run

/// An exact value against the float run's, to 1e-12 relative; the fraction itself is in the
/// message where it is short.
pub fn agree(what: &str, exact: Rational, float: f64) {
    let rounded = f64::from(exact);
    if !exact_close(rounded, float) {
        let text = exact.to_string();
        let fraction = if text.len() <= 80 { format!(" = {text}") } else { String::new() };
        panic!("exact vs float run: {what}: exact {rounded:?}{fraction}, float {float:?}");
    }
}

pub fn agree_values(what: &str, shape: &[usize], exact: &[Rational], float: &[f64]) {
    assert_eq!(exact.len(), float.len(), "exact vs float run: {what}: number of values");
    for (k, (&e, &f)) in exact.iter().zip(float).enumerate() {
        agree(&format!("{what}{:?}", index(shape, k)), e, f);
    }
}

pub fn agree_named(
    what: &str,
    exact: &[(String, Vec<usize>, Vec<Rational>)],
    float: &[(String, Vec<usize>, Vec<f64>)],
) {
    fn names<T>(named: &[(String, Vec<usize>, Vec<T>)]) -> Vec<(&str, &[usize])> {
        named.iter().map(|(name, shape, _)| (name.as_str(), shape.as_slice())).collect()
    }
    assert_eq!(names(exact), names(float), "exact vs float run: {what}: names and shapes");
    for ((name, shape, e), (_, _, f)) in exact.iter().zip(float) {
        agree_values(&format!("{what} {name}"), shape, e, f);
    }
}

pub fn agree_maps(
    what: &str,
    exact: &[(Vec<usize>, Vec<Rational>)],
    float: &[(Vec<usize>, Vec<f64>)],
) {
    fn shapes<T>(maps: &[(Vec<usize>, Vec<T>)]) -> Vec<&[usize]> {
        maps.iter().map(|(shape, _)| shape.as_slice()).collect()
    }
    assert_eq!(shapes(exact), shapes(float), "exact vs float run: {what}: shapes");
    for (k, ((shape, e), (_, f))) in exact.iter().zip(float).enumerate() {
        agree_values(&format!("{what}[{k}]"), shape, e, f);
    }
}

fn agree_matrix<const R: usize, const C: usize>(
    what: &str,
    exact: [[Rational; C]; R],
    float: [[f64; C]; R],
) {
    agree_values(what, &[R, C], exact.as_flattened(), float.as_flattened());
}

fn agree_option(what: &str, exact: Option<Rational>, float: Option<f64>) {
    match (exact, float) {
        (Some(e), Some(f)) => agree(what, e, f),
        (None, None) => {}
        _ => panic!("exact vs float run: {what}: exact {exact:?}, float {float:?}"),
    }
}

/// A network's exact run against its float run: every figure the golden checks look at (each
/// step's loss, named parameters and gradients, layer outputs and input gradients, then the
/// final parameters and loss), to 1e-12 relative; names, shapes and the step count exactly.
pub fn assert_exact_net(exact: &NetDerivation<Rational>, float: &NetDerivation<f64>) {
    let (e_steps, f_steps) = (exact.steps(), float.steps());
    assert_eq!(e_steps.len(), f_steps.len(), "exact vs float run: number of steps");
    for (k, (e, f)) in e_steps.iter().zip(f_steps).enumerate() {
        agree(&format!("step {k} loss"), e.loss(), f.loss());
        let what = format!("step {k} named_parameters");
        agree_named(&what, &e.named_parameters(), &f.named_parameters());
        agree_named(&format!("step {k} named_grads"), &e.named_grads(), &f.named_grads());
        agree_maps(&format!("step {k} layer_outputs"), &e.layer_outputs(), &f.layer_outputs());
        agree_maps(&format!("step {k} input_grads"), &e.input_grads(), &f.input_grads());
    }
    agree_named("final named_parameters", &exact.named_parameters(), &float.named_parameters());
    agree("loss_after", exact.loss_after(), float.loss_after());
}

/// A single layer's exact run against its float run: every figure the golden checks look at
/// (each step's filter, output, activated output, loss, δ, filter and bias gradients, then the
/// final filter, bias and loss), to 1e-12 relative; the step count exactly.
pub fn assert_exact_layer<const KH: usize, const KW: usize, const OH: usize, const OW: usize>(
    exact: &Derivation<KH, KW, OH, OW, Rational>,
    float: &Derivation<KH, KW, OH, OW, f64>,
) {
    let (e_steps, f_steps) = (exact.steps(), float.steps());
    assert_eq!(e_steps.len(), f_steps.len(), "exact vs float run: number of steps");
    for (k, (e, f)) in e_steps.iter().zip(f_steps).enumerate() {
        agree_matrix(&format!("step {k} filter"), e.filter(), f.filter());
        agree_matrix(&format!("step {k} output"), e.output(), f.output());
        agree_matrix(&format!("step {k} activated"), e.activated(), f.activated());
        agree(&format!("step {k} loss"), e.loss(), f.loss());
        agree_matrix(&format!("step {k} delta"), e.delta(), f.delta());
        agree_matrix(&format!("step {k} filter_grad"), e.filter_grad(), f.filter_grad());
        agree_option(&format!("step {k} bias_grad"), e.bias_grad(), f.bias_grad());
    }
    agree_matrix("final filter", exact.filter(), float.filter());
    agree_option("final bias", exact.bias(), float.bias());
    agree("loss_after", exact.loss_after(), float.loss_after());
}
