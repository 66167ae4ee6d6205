//! The printed derivations of mini-batches (issue 13), held in insta snapshots
//! (`tests/snapshots/batch_snapshots__*`) in the three formats: the issue's pair, three
//! examples summed over two steps with the finite-difference check and the mistakes, and a
//! small classifier's batch.
//!
//! Before a snapshot was accepted its numbers were checked: each printed equation against its
//! printed operands by `verify` here and by the independent checker
//! (`scripts/check_derivation.py`, run over these files by `.ci/run`), the values against JAX
//! (`tests/golden_batches.rs`), and the key numbers of each case by hand or in exact
//! fractions, written out below.

use cnn_bp_core::network::{NetDerivation, NetExample};
use cnn_bp_core::train;

/// The text (`name.snap`), LaTeX (`name_latex.snap`) and Markdown (`name_markdown.snap`)
/// derivations, after checking that every printed equation follows from its operands.
fn every_renderer(name: &str, d: &NetDerivation) {
    d.verify().unwrap_or_else(|e| panic!("{name}: {e}"));
    for page in [d.to_latex(), d.to_markdown()] {
        assert!(!page.contains("\\square"), "{name}: a symbol without a LaTeX form");
    }
    insta::assert_snapshot!(name, d.to_string());
    insta::assert_snapshot!(format!("{name}_latex"), d.to_latex());
    insta::assert_snapshot!(format!("{name}_markdown"), d.to_markdown());
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w), "{what}[{k}]: got {g}, want {w}");
    }
}

/// The values of `named_grads` (or `named_parameters`), in order.
fn values(named: &[(String, Vec<usize>, Vec<f64>)]) -> Vec<Vec<f64>> {
    named.iter().map(|(_, _, v)| v.clone()).collect()
}

/// The issue's pair, as the issue writes it.
///
/// By hand: with w = [[1, −1], [1, 1]], z₁ = [[3, 0], [−2, 1]] and z₂ = [[2, 0], [0, 2]];
/// after the ReLU y₁ = [[3, 0], [0, 1]], y₂ = [[2, 0], [0, 2]], so L₁ = ½·(2² + 0 + 0 + 0) = 2
/// and L₂ = ½·(1² + 1² + 0 + 2²) = 3, L = (2 + 3)/2 = 5/2. δ₁ = [[2, 0], [0, 0]] and
/// δ₂ = [[1, 0], [0, 2]] (relu′(0) = 0 at z₁[0,1], z₂[0,1] and z₂[1,0]); ∂L₁/∂w = x₁ ⋆ δ₁ =
/// [[2, −2], [0, 2]], ∂L₂/∂w = [[3, 0], [0, 3]]; their mean [[5/2, −1], [0, 5/2]]; with
/// η = 0.5, w ← [[−1/4, −1/2], [1, −1/4]]. There z₁ = [[0, 5/4], [−1/4, −3/2]] and
/// z₂ = [[−1/2, 1/2], [1/2, −1/2]]: L₁ = ½·(1 + 25/16 + 0 + 1) = 57/32, L₂ = ½·(1 + 1/4 + 1/4)
/// = 3/4, and the batch's loss after is (57/32 + 3/4)/2 = 81/64.
#[test]
fn the_issues_pair() {
    let d = train! {
        examples: [
            { input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], target: [[1, 0], [0, 1]] },
            { input: [[1, 0, 1], [0, 1, 0], [1, 0, 1]],   target: [[1, 1], [0, 0]] },
        ],
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu],
        loss: half_sse,
        reduction: mean,
        lr: 0.5,
        steps: 1,
    };
    let s = &d.steps()[0];
    assert_eq!(s.loss(), 2.5);
    let examples = s.examples();
    assert_eq!(examples.len(), 2);
    assert_eq!((examples[0].loss(), examples[1].loss()), (2.0, 3.0));
    assert_eq!(values(&examples[0].named_grads()), [vec![2.0, -2.0, 0.0, 2.0]]);
    assert_eq!(values(&examples[1].named_grads()), [vec![3.0, 0.0, 0.0, 3.0]]);
    assert_eq!(examples[0].layer_outputs()[1].1, [3.0, 0.0, 0.0, 1.0]);
    assert_eq!(values(&s.named_grads()), [vec![2.5, -1.0, 0.0, 2.5]]);
    assert_eq!(values(&d.named_parameters()), [vec![-0.25, -0.5, 1.0, -0.25]]);
    assert_eq!(d.loss_after(), 81.0 / 64.0);
    every_renderer("issue_pair", &d);
}

/// Three examples, their losses summed, two steps, with the finite-difference check of the
/// batch's gradient and the mistakes.
///
/// In fractions (w = [1, −1], b = 1/2; z = x[p,q] − x[p,q+1] + 1/2, none 0): the examples'
/// losses 11/8, 5/4 and 7/4, summed L = 35/8; ∂L/∂w = [4 + 7/2 + 5/2, 1/2 + 1/2 + 1] = [10, 2],
/// ∂L/∂b = 5/2 + 2 + 1 = 11/2, each the sum of the examples', not their mean; with η = 0.05,
/// w ← [1/2, −11/10], b ← 9/40. Step 2: L = 101/1600 + 81/3200 + 129/128 = 877/800,
/// ∂L/∂w = [7/8, 1/8], ∂L/∂b = 3/10; w ← [73/160, −177/160], b ← 21/100, where the batch's loss
/// is 685333/640000.
#[test]
fn three_examples_summed() {
    let d = train! {
        examples: [
            { input: [[2, 0, 1], [1, 1, 0]], target: [[1, 0], [0, 1]] },
            { input: [[0, 1, 1], [2, 0, 1]], target: [[0, 0], [1, 0]] },
            { input: [[1, 1, 2], [0, 2, 1]], target: [[1, 1], [0, 0]] },
        ],
        layers: [conv { filter: [[1, -1]], bias: 0.5 }, relu],
        reduction: sum,
        lr: 0.05,
        steps: 2,
        check: finite_differences,
        mistakes: true,
    };
    let [s0, s1] = d.steps() else { panic!("two steps") };
    assert_close("step 1 L", &[s0.loss()], &[35.0 / 8.0]);
    let losses: Vec<f64> = s0.examples().iter().map(NetExample::loss).collect();
    assert_close("step 1 Lₙ", &losses, &[11.0 / 8.0, 5.0 / 4.0, 7.0 / 4.0]);
    assert_close("step 1 ∂L/∂w", &values(&s0.named_grads())[0], &[10.0, 2.0]);
    assert_close("step 1 ∂L/∂b", &values(&s0.named_grads())[1], &[5.5]);
    assert_close("step 1 ∂L₁/∂w", &values(&s0.examples()[0].named_grads())[0], &[4.0, 0.5]);
    assert_close("step 2 w", &values(&s1.named_parameters())[0], &[0.5, -1.1]);
    assert_close("step 2 b", &values(&s1.named_parameters())[1], &[9.0 / 40.0]);
    assert_close("step 2 L", &[s1.loss()], &[877.0 / 800.0]);
    let losses: Vec<f64> = s1.examples().iter().map(NetExample::loss).collect();
    assert_close("step 2 Lₙ", &losses, &[101.0 / 1600.0, 81.0 / 3200.0, 129.0 / 128.0]);
    assert_close("step 2 ∂L/∂w", &values(&s1.named_grads())[0], &[7.0 / 8.0, 1.0 / 8.0]);
    assert_close("step 2 ∂L/∂b", &values(&s1.named_grads())[1], &[0.3]);
    assert_close("final w", &values(&d.named_parameters())[0], &[73.0 / 160.0, -177.0 / 160.0]);
    assert_close("final b", &values(&d.named_parameters())[1], &[0.21]);
    assert_close("L after", &[d.loss_after()], &[685_333.0 / 640_000.0]);
    assert!(!d.checks().is_empty() && !d.mistakes().is_empty());
    every_renderer("three_summed", &d);
}

/// A small classifier's batch: two filters, ReLU, a 2×2 max pool to one number per channel,
/// a dense layer to two logits, softmax cross-entropy against class indices, the mean.
///
/// By hand: filter 0 is x[p,q] − x[p+1,q+1] + 1/4 and filter 1 x[p,q+1] + x[p+1,q] − 1/2;
/// example 1's maps are [[13/4, 9/4], [−7/4, 5/4]] and [[3/2, 3/2], [5/2, 3/2]], pooled (no
/// ties, no zeros) to v₁ = [13/4, 5/2], z₁ = [13/4 − 5/2, 13/8 + 5/2 + 1/4] = [3/4, 35/8];
/// example 2's pool to v₂ = [5/4, 7/2], z₂ = [−9/4, 35/8]. L₁ = −log softmax(z₁)[0] and
/// L₂ = −log softmax(z₂)[1], L = (L₁ + L₂)/2; ∂L/∂z = p − t per example, ∂L/∂W = mean of
/// (p − t)·vᵀ.
#[test]
fn a_classifiers_batch() {
    let d = train! {
        examples: [
            { input: [[3, 2, 2], [0, 0, 0], [3, 2, -1]], target: 0 },
            { input: [[-1, 0, 3], [-1, 1, -1], [1, 2, 3]], target: 1 },
        ],
        layers: [
            conv { filter: [[[[1, 0], [0, -1]]], [[[0, 1], [1, 0]]]], bias: [0.25, -0.5] },
            relu,
            max_pool { size: 2 },
            flatten,
            dense { weight: [[1, -1], [0.5, 1]], bias: [0, 0.25] },
        ],
        loss: softmax_cross_entropy,
        lr: 0.5,
    };
    let s = &d.steps()[0];
    let log_softmax = |z: [f64; 2], k: usize| z[k] - (z[0].exp() + z[1].exp()).ln();
    let (l1, l2) = (-log_softmax([0.75, 4.375], 0), -log_softmax([-2.25, 4.375], 1));
    let examples = s.examples();
    assert_close("L₁, L₂", &[examples[0].loss(), examples[1].loss()], &[l1, l2]);
    assert_close("L", &[s.loss()], &[f64::midpoint(l1, l2)]);
    assert_eq!(examples[0].layer_outputs()[3].1, [3.25, 2.5]);
    assert_eq!(examples[1].layer_outputs()[4].1, [-2.25, 4.375]);
    let p = |z: [f64; 2]| {
        let e = [z[0].exp(), z[1].exp()];
        [e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1])]
    };
    let (p1, p2) = (p([0.75, 4.375]), p([-2.25, 4.375]));
    let (d1, d2) = ([p1[0] - 1.0, p1[1]], [p2[0], p2[1] - 1.0]);
    let dense = [
        f64::midpoint(d1[0] * 3.25, d2[0] * 1.25),
        f64::midpoint(d1[0] * 2.5, d2[0] * 3.5),
        f64::midpoint(d1[1] * 3.25, d2[1] * 1.25),
        f64::midpoint(d1[1] * 2.5, d2[1] * 3.5),
    ];
    let grads = values(&s.named_grads());
    assert_close("∂L/∂w⁽⁴⁾", &grads[2], &dense);
    assert_close(
        "∂L/∂b⁽⁴⁾",
        &grads[3],
        &[f64::midpoint(d1[0], d2[0]), f64::midpoint(d1[1], d2[1])],
    );
    every_renderer("classifier_batch", &d);
}
