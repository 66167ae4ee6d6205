//! `arithmetic: exact` (issue 12): every value a fraction, every equation `=`.
//!
//! The snapshots (`tests/snapshots/exact__*`, in the three formats) were checked before they
//! were accepted: every printed equation as an identity of fractions by `verify` here and by
//! the independent checker (`scripts/check_derivation.py`, run over the text snapshots by
//! `.ci/run`), every figure against an independent reference in Python's `fractions`
//! (`tests/golden_exact.rs`), and the key numbers of each case by hand, worked out in the doc
//! comments below.

use cnn_bp_core::{Rational, train};

fn q(n: i64, d: i64) -> Rational {
    Rational::new(n, d)
}

/// Fractions as their ASCII text, for comparing whole matrices at a glance.
fn texts<'a>(values: impl IntoIterator<Item = &'a Rational>) -> Vec<String> {
    values.into_iter().map(ToString::to_string).collect()
}

/// The three formats of a derivation, after checking that it is exact throughout: no `≈` in
/// the text but in the decimals given beside the loss, no equation without `=`.
fn every_renderer(name: &str, text: &str, latex: &str, markdown: &str) {
    for line in text.lines() {
        let line = line.split("; in decimals ").next().unwrap_or_default();
        assert!(!line.contains('≈'), "{name}: an exact derivation never rounds: {line}");
    }
    let rounded = latex.lines().filter(|l| l.contains("\\approx") && !l.contains("in decimals"));
    assert_eq!(rounded.count(), 0, "{name}");
    insta::assert_snapshot!(name, text);
    insta::assert_snapshot!(format!("{name}_latex"), latex);
    insta::assert_snapshot!(format!("{name}_markdown"), markdown);
}

/// The seed question, exactly: `z = [[3, 0], [−2, 1]]`, `y = [[3, 0], [0, 1]]`,
/// `L = ½(3 − 1)² = 2`, `δ = [[2, 0], [0, 0]]`, `∂L/∂W = 2·[[1, −1], [0, 1]]`, so
/// `W ← W − ½·∂L/∂W = [[0, 0], [1, 0]]`, whose output `[[0, 1], [0, −1]]` gives
/// `y = [[0, 1], [0, 0]]` and `L = ½(1 + 1 + 1) = 3/2`.
#[test]
fn the_seed_question_exactly() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        arithmetic: exact,
    };
    let s = &d.steps()[0];
    assert_eq!(s.output(), [[3, 0], [-2, 1]].map(|r| r.map(Rational::integer)));
    assert_eq!(s.loss(), Rational::integer(2));
    assert_eq!(s.loss().to_string(), "2");
    assert_eq!(texts(s.filter_grad().as_flattened()), ["2", "-2", "0", "2"]);
    assert_eq!(s.bias_grad(), None);
    assert_eq!(texts(d.filter().as_flattened()), ["0", "0", "1", "0"]);
    assert_eq!(d.loss_after(), q(3, 2));
    assert_eq!(d.loss_after().to_string(), "3/2");
    assert_eq!(f64::from(d.loss_after()), 1.5);
    let text = d.to_string();
    assert!(text.contains("L: 2 → 3/2 (decreased; in decimals 2 → 1.5)"), "{text}");
    d.verify().unwrap();
    every_renderer("the_seed_question_exactly", &text, &d.to_latex(), &d.to_markdown());
}

/// The seed with `η = 1/4`, three steps, fractions growing.
///
/// Step 1 as above (`L = 2`, `∂L/∂W = [[2, −2], [0, 2]]`), `W = [[1/2, −1/2], [1, 1/2]]`.
/// Step 2: `z = [[3/2, 1/2], [−1, 0]]` (`z[1,1] = 1/2 + 0 − 1 + 1/2`, exactly relu's kink),
/// `L = ½(1/4 + 1/4 + 0 + 1) = 3/4`, `δ = [[1/2, 1/2], [0, 0]]` (relu′(0) = 0),
/// `∂L/∂W = [[0, −1/2], [1/2, 1/2]]`, `W = [[1/2, −3/8], [7/8, 3/8]]`.
/// Step 3: `z = [[5/4, 3/8], [−3/4, 0]]`, `L = ½(1/16 + 9/64 + 1) = 77/128`,
/// `δ = [[1/4, 3/8], [0, 0]]`, `∂L/∂W = [[−1/8, −1/4], [3/8, 1/4]]`,
/// `W = [[17/32, −5/16], [25/32, 5/16]]`, whose output `[[37/32, 1/4], [−5/8, 1/16]]` gives
/// `L = ½(25/1024 + 1/16 + 225/256) = 989/2048`.
#[test]
fn a_quarter_step_size_over_three_steps() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.25,
        steps: 3,
        arithmetic: exact,
    };
    let losses: Vec<String> = d.steps().iter().map(|s| s.loss().to_string()).collect();
    assert_eq!(losses, ["2", "3/4", "77/128"]);
    assert_eq!(texts(d.steps()[1].output().as_flattened()), ["3/2", "1/2", "-1", "0"]);
    assert_eq!(texts(d.steps()[1].filter_grad().as_flattened()), ["0", "-1/2", "1/2", "1/2"]);
    assert_eq!(texts(d.steps()[2].filter_grad().as_flattened()), ["-1/8", "-1/4", "3/8", "1/4"]);
    assert_eq!(texts(d.filter().as_flattened()), ["17/32", "-5/16", "25/32", "5/16"]);
    assert_eq!(d.loss_after(), q(989, 2048));
    let text = d.to_string();
    assert!(text.contains("L: 2 → 989/2048 (decreased; in decimals 2 → ≈0.48291)"), "{text}");
    d.verify().unwrap();
    every_renderer("a_quarter_step_size_over_three_steps", &text, &d.to_latex(), &d.to_markdown());
}

/// Two convolutions, the second 2×2 on the first's 2×2 output, with a finite-difference
/// check.
///
/// By hand: `z⁽⁰⁾ = [[3, 0], [−2, 1]]`, relu gives `[[3, 0], [0, 1]]`,
/// `z⁽²⁾ = 3·(1/2) + 1·(1/4) = 7/4`, `L = ½(7/4 − 1)² = 9/32`, `δ⁽²⁾ = 3/4`,
/// `∂L/∂w⁽²⁾ = (3/4)·y⁽¹⁾ = [[9/4, 0], [0, 3/4]]`, `∂L/∂y⁽¹⁾ = (3/4)·w⁽²⁾ =
/// [[3/8, −3/8], [3/4, 3/16]]`, and through relu (off at the exact 0 of `z⁽⁰⁾[0,1]`, and at
/// `−2`) `δ⁽⁰⁾ = [[3/8, 0], [0, 3/16]]`, so `∂L/∂w⁽⁰⁾[i,j] = (3/8)·x[i,j] + (3/16)·x[1+i,1+j]
/// = [[9/16, −3/8], [−3/16, 9/16]]`.
#[test]
fn two_convolutions_exactly() {
    let d = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        layers: [
            conv { filter: [[1, -1], [1, 1]] },
            relu,
            conv { filter: [[0.5, -0.5], [1, 0.25]] },
        ],
        target: [[1]],
        lr: 0.5,
        check: finite_differences,
        arithmetic: exact,
    };
    let s = &d.steps()[0];
    assert_eq!(s.loss(), q(9, 32));
    let grads = s.named_grads();
    assert_eq!(grads[0].0, "0.weight");
    assert_eq!(texts(&grads[0].2), ["9/16", "-3/8", "-3/16", "9/16"]);
    assert_eq!(grads[1].0, "2.weight");
    assert_eq!(texts(&grads[1].2), ["9/4", "0", "0", "3/4"]);
    assert_eq!(texts(&s.layer_outputs()[1].1), ["3", "0", "0", "1"]);
    let text = d.to_string();
    assert!(text.contains("Every compared entry agrees exactly"), "{text}");
    d.verify().unwrap();
    every_renderer("two_convolutions_exactly", &text, &d.to_latex(), &d.to_markdown());
}

/// Average pooling into a dense layer, with `mse` over three outputs: quarters from the pool,
/// thirds from the mean.
///
/// By hand: the 2×2 windows of `x` average to `v = [(1 + 2 + 0 + 1)/4, (0 + 1 + 1 + 3)/4] =
/// [1, 5/4]`, `z = W·v = [1, 5/4, −1/4]`, `L = (1/3)[1² + (1/4)² + (−1/4)²] = 3/8`,
/// `δ = (2/3)(z − t) = [2/3, 1/6, −1/6]`, `∂L/∂W[o,i] = δ[o]·v[i]`, `∂L/∂v = Wᵀδ =
/// [2/3 − 1/6, 1/6 + 1/6] = [1/2, 1/3]`, and each window's share, a quarter of it, goes to
/// its four entries: `∂L/∂x = [[1/8, 1/8, 1/12, 1/12], [1/8, 1/8, 1/12, 1/12]]`.
#[test]
fn average_pooling_in_thirds_and_quarters() {
    let d = train! {
        input: [[1, 2, 0, 1], [0, 1, 1, 3]],
        layers: [avg_pool { size: 2 }, flatten, dense { weight: [[1, 0], [0, 1], [1, -1]] }],
        target: [0, 1, 0],
        loss: mse,
        lr: 0.5,
        input_grad: true,
        arithmetic: exact,
    };
    let s = &d.steps()[0];
    assert_eq!(s.loss(), q(3, 8));
    assert_eq!(texts(&s.layer_outputs()[0].1), ["1", "5/4"]);
    assert_eq!(texts(&s.layer_outputs()[2].1), ["1", "5/4", "-1/4"]);
    let grads = s.named_grads();
    assert_eq!(grads[0].0, "2.weight");
    assert_eq!(texts(&grads[0].2), ["2/3", "5/6", "1/6", "5/24", "-1/6", "-5/24"]);
    let dx = texts(&s.input_grads()[0].1);
    assert_eq!(dx, ["1/8", "1/8", "1/12", "1/12", "1/8", "1/8", "1/12", "1/12"]);
    let text = d.to_string();
    d.verify().unwrap();
    every_renderer(
        "average_pooling_in_thirds_and_quarters",
        &text,
        &d.to_latex(),
        &d.to_markdown(),
    );
}

/// Tenths, which `f64` cannot hold: in float, `0.1 + 0.2` is `0.30000000000000004`, printed
/// `≈ 0.3`; exactly, it is `3/10`.
///
/// By hand: `z = [1/10 + 2/10, 2/10 + 3/10] = [3/10, 1/2]`, `∂L/∂y = z − t = [1/10, −1/10]`,
/// `L = ½(1/100 + 1/100) = 1/100`, `∂L/∂w = [(1/10)(1/10) − (1/10)(2/10), (1/10)(2/10) −
/// (1/10)(3/10)] = [−1/100, −1/100]`, `w ← 1 + (1/10)(1/100) = 1001/1000` (both), and step 2's
/// `z = [3003/10000, 1001/2000]`.
#[test]
fn tenths_exactly() {
    let d = train! {
        input: [[0.1, 0.2, 0.3]],
        filter: [[1, 1]],
        target: [[0.2, 0.6]],
        activation: linear,
        lr: 0.1,
        steps: 2,
        arithmetic: exact,
    };
    let s = &d.steps()[0];
    assert_eq!(texts(s.output().as_flattened()), ["3/10", "1/2"]);
    assert_eq!(s.loss(), q(1, 100));
    assert_eq!(texts(s.filter_grad().as_flattened()), ["-1/100", "-1/100"]);
    assert_eq!(texts(d.steps()[1].output().as_flattened()), ["3003/10000", "1001/2000"]);
    let text = d.to_string();
    assert!(text.contains("= 3/10"), "{text}");
    // The same spec in float prints `≈` where the tenths do not add up in binary.
    let float = train! {
        input: [[0.1, 0.2, 0.3]],
        filter: [[1, 1]],
        target: [[0.2, 0.6]],
        activation: linear,
        lr: 0.1,
        steps: 2,
    };
    assert!(float.to_string().contains('≈'));
    d.verify().unwrap();
    every_renderer("tenths_exactly", &text, &d.to_latex(), &d.to_markdown());
}

/// Literals are read as the decimals they are written as, constants as their shortest
/// decimal, and every accessor gives `Rational`s.
#[test]
fn literals_constants_and_accessors() {
    const LR: f64 = 0.1;
    const ROW: [f64; 3] = [0.1, -0.25, 1e-3];
    let d = train! {
        input: [ROW, [1, 2, 3]],
        filter: [[1, 1]],
        target: [[0, 0], [0, 0]],
        bias: -0.5,
        activation: leaky_relu(0.01),
        lr: LR,
        arithmetic: exact,
    };
    let s = &d.steps()[0];
    // z = [[1/10 − 1/4 − 1/2, −1/4 + 1/1000 − 1/2], [1 + 2 − 1/2, 2 + 3 − 1/2]]; the first row
    // is below 0, where leaky_relu multiplies by α = 1/100.
    assert_eq!(texts(s.output().as_flattened()), ["-13/20", "-749/1000", "5/2", "9/2"]);
    assert_eq!(texts(s.activated().as_flattened()), ["-13/2000", "-749/100000", "5/2", "9/2"]);
    // δ = y ⊙ f′ = [[−13/200000, −749/10000000], [5/2, 9/2]], and ∂L/∂b = Σδ
    // = 7 − (650 + 749)/10000000.
    assert_eq!(s.bias_grad().map(|b| b.to_string()).as_deref(), Some("69998601/10000000"));
    assert!(d.bias().is_some());
    d.verify().unwrap();
}

/// What an exact derivation says of fractions that have grown past reading.
#[test]
fn growing_fractions_are_noted() {
    let d = train! {
        input: [[0.1, 0.7, 0.3], [0.9, 0.2, 0.4], [0.6, 0.5, 0.8]],
        filter: [[0.3, 0.7], [0.9, 0.1]],
        target: [[1.3, 0.2], [0.7, 0.6]],
        activation: linear,
        lr: 0.3,
        steps: 4,
        arithmetic: exact,
    };
    let text = d.to_string();
    let note = text.lines().find(|l| l.contains("the fractions grow")).expect("a note");
    assert!(note.contains("more than 30 digits"), "{note}");
    let short = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        arithmetic: exact,
    };
    assert!(!short.to_string().contains("the fractions grow"));
    d.verify().unwrap();
}

/// An exact run whose fractions outgrow [`cnn_bp_core::MAX_FRACTION_DIGITS`] stops after the
/// step that made them so, and says why: two convolutions multiply their weights, so the
/// digits of the parameters about triple with every step (6, 34, 111, 356, … for the loss).
#[test]
fn an_exact_run_stops_where_its_fractions_outgrow_reading() {
    let d = train! {
        input: [[0.1, -1, 0.3], [0, 1, 0.7], [0.2, -1, 1]],
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu, conv { filter: [[0.5, -0.5], [1, 0.25]] }],
        target: [[1]],
        lr: 0.1,
        steps: 1000,
        arithmetic: exact,
    };
    let taken = d.steps().len();
    assert!((2..1000).contains(&taken), "{taken}");
    let text = d.to_string();
    assert!(text.contains(&format!(
        "{taken} of 1000 steps of gradient descent (then the fractions had grown too large)"
    )));
    assert!(text.contains(&format!("training stopped after step {taken} of 1000")));
    let digits = |r: &Rational| r.digits();
    let largest = d.named_parameters().iter().flat_map(|(_, _, v)| v.iter().map(digits)).max();
    assert!(largest > Some(cnn_bp_core::MAX_FRACTION_DIGITS));
    let before: Vec<usize> = d.steps()[taken - 1]
        .named_parameters()
        .iter()
        .flat_map(|(_, _, v)| v.iter().map(digits).collect::<Vec<_>>())
        .collect();
    assert!(before.iter().all(|&n| n <= cnn_bp_core::MAX_FRACTION_DIGITS));
    d.verify().unwrap();
}

fn zeros<const R: usize, const C: usize>() -> [[f64; C]; R] {
    [[0.0; C]; R]
}

/// Whole matrices given as `f64` expressions, a constant and a generic call whose shape the
/// spec decides, are lifted to their decimals, and the generated code warns of nothing.
///
/// By hand, against a zero target: `z = [[3, 0], [−2, 1]]`, `L = ½(9 + 1) = 5`,
/// `∂L/∂W = [[4, −3], [−1, 4]]`, `W = [[−1, 1/2], [3/2, −1]]`, whose output
/// `[[−5/2, 5/2], [3/2, −7/2]]` gives `y = [[0, 5/2], [3/2, 0]]` and `L = ½(25/4 + 9/4) = 17/4`.
#[test]
#[deny(unused_parens)]
fn matrices_given_as_expressions() {
    const X: [[f64; 3]; 3] = cnn_bp_core::matrix![[1, -1, 0], [0, 1, 0], [0, -1, 1]];
    let seed = train! {
        input: X,
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        arithmetic: exact,
    };
    assert_eq!(seed.loss_after(), q(3, 2));
    let d = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: zeros(),
        lr: 0.5,
        arithmetic: exact,
    };
    assert_eq!(d.steps()[0].loss(), Rational::integer(5));
    assert_eq!(texts(d.filter().as_flattened()), ["-1", "1/2", "3/2", "-1"]);
    assert_eq!(d.loss_after(), q(17, 4));
}
