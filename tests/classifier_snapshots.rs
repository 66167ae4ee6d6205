//! The printed derivations of "Networks II" (issue 11): pooling, flatten, dense layers and the
//! softmax cross-entropy, held in insta snapshots (`tests/snapshots/classifier_snapshots__*`)
//! in the three formats.
//!
//! Before a snapshot was accepted its numbers were checked: each printed equation against its
//! printed operands by `verify` here and by the independent checker
//! (`scripts/check_derivation.py`, run over these files by `.ci/run`), the values against JAX
//! (`tests/golden_classifiers.rs`), and the key numbers of each case by hand below (the MLP's
//! against the published worked example it is).

use cnn_bp_core::network::NetDerivation;
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

/// The softmax of `z`, written out as the definition says (no shift).
fn softmax(z: &[f64]) -> Vec<f64> {
    let sum: f64 = z.iter().map(|z| z.exp()).sum();
    z.iter().map(|z| z.exp() / sum).collect()
}

/// `named_grads` of step `k`, by name.
fn grad(d: &NetDerivation, k: usize, name: &str) -> Vec<f64> {
    let grads = d.steps()[k].named_grads();
    grads.into_iter().find(|(n, _, _)| n == name).map(|(_, _, v)| v).expect("a parameter")
}

/// The issue's classifier, two steps.
///
/// By hand: `z⁽⁰⁾ = [[0, 0, 2.5], [0, 0, −1], [2.5, −1, 1.5]]` (`z⁽⁰⁾[0,2]` is
/// `2·0.5 + 1·(−0.5) + 2·1 + 1·(−0.5) + 1·0.5 = 2.5`), the ReLU zeroes the −1s, the overlapping 2×2 max pool gives
/// `[[0, 2.5], [2.5, 1.5]]` (its first window a tie of four zeros), flattened
/// `v = [0, 2.5, 2.5, 1.5]`, `z⁽⁴⁾ = W·v = [−2.5 + 0.75, 1.25 + 2.5 − 1.5, 1.25 + 1.5]`, that
/// is `[−1.75, 2.25, 2.75]`, `L = −log softmax(z⁽⁴⁾)[1]`, `δ⁽⁴⁾ = p − t`,
/// `∂L/∂w⁽⁴⁾[o,i] = δ[o]·v[i]`.
#[test]
fn the_issues_classifier() {
    let d = train! {
        input: [[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -1, 1, 0, 1], [-1, 2, 0, 1, -1], [1, 0, 1, -1, 2]],
        layers: [
            conv { filter: [[0.5, 0, -0.5], [0, 1, 0], [-0.5, 0, 0.5]], bias: 0 },
            relu,
            max_pool { size: 2, stride: 1 },
            flatten,
            dense { weight: [[1, -1, 0, 0.5], [0, 0.5, 1, -1], [-1, 0, 0.5, 1]], bias: [0, 0, 0] },
        ],
        target: [0, 1, 0],
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 2,
    };
    let s = &d.steps()[0];
    let outputs = s.layer_outputs();
    assert_eq!(outputs[0].1, [0.0, 0.0, 2.5, 0.0, 0.0, -1.0, 2.5, -1.0, 1.5]);
    assert_eq!(outputs[2], (vec![1, 2, 2], vec![0.0, 2.5, 2.5, 1.5]));
    assert_eq!(outputs[3], (vec![4], vec![0.0, 2.5, 2.5, 1.5]));
    assert_eq!(outputs[4], (vec![3], vec![-1.75, 2.25, 2.75]));
    let p = softmax(&[-1.75, 2.25, 2.75]);
    assert!(close(s.loss(), -p[1].ln()));
    let delta = [p[0], p[1] - 1.0, p[2]];
    let v = [0.0, 2.5, 2.5, 1.5];
    let want: Vec<f64> = delta.iter().flat_map(|d| v.iter().map(move |x| d * x)).collect();
    assert_close("∂L/∂w⁽⁴⁾", &grad(&d, 0, "4.weight"), &want);
    assert_close("∂L/∂b⁽⁴⁾", &grad(&d, 0, "4.bias"), &delta);
    assert_eq!(s.named_parameters()[2].1, [3, 4]);
    assert!(d.loss_after() < d.steps()[1].loss() && d.steps()[1].loss() < s.loss());
    every_renderer("the_issues_classifier", &d);
}

/// A max pool whose first window has a tie: `max(1, 3, 2, 3) = 3`, the first 3 (row-major,
/// `x[0,1]`) takes the gradient, the second (`x[1,1]`) none.
///
/// By hand: `y = [3, 3]`, `z = 3 − 3 + 0 = 0`, `L = ½(0 − 1)² = 0.5`, `δ = −1`,
/// `∂L/∂w = [−3, −3]`, `∂L/∂b = −1`, `∂L/∂v = Wᵀδ = [−1, 1]`, so `∂L/∂x[0,1] = −1`,
/// `∂L/∂x[0,2] = 1` (the second window's maximum), and 0 everywhere else.
#[test]
fn a_max_pool_with_a_tie() {
    let d = train! {
        input: [[1, 3, 3, 0], [2, 3, 1, 1]],
        layers: [max_pool { size: 2 }, flatten, dense { weight: [[1, -1]], bias: [0] }],
        target: [1],
        lr: 0.1,
        input_grad: true,
    };
    let s = &d.steps()[0];
    assert_eq!(s.loss(), 0.5);
    assert_eq!(grad(&d, 0, "2.weight"), [-3.0, -3.0]);
    assert_eq!(grad(&d, 0, "2.bias"), [-1.0]);
    assert_eq!(s.input_grads()[0].1, [0.0, -1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let text = d.to_string();
    assert!(text.contains("a tie for the maximum, between x[0,1] and x[1,1]"), "{text}");
    every_renderer("a_max_pool_with_a_tie", &d);
}

/// Overlapping max-pool windows (2×2, stride 1) that all pick the same entry, so its gradient
/// is the sum of all four; the mistake of spreading each window's gradient over it.
///
/// By hand: the 1×1 conv with weight 1 passes `x` on; every window's maximum is `x[1,1] = 5`;
/// `z = 1·5 + 2·5 + 3·5 + 4·5 = 50`, `L = ½(50 − 40)² = 50`, `δ = 10`, `∂L/∂v = [10, 20, 30, 40]`,
/// so `∂L/∂y⁽⁰⁾[1,1] = 10 + 20 + 30 + 40 = 100` and 0 elsewhere, `∂L/∂w⁽⁰⁾ = 100·x[1,1] = 500`.
#[test]
fn overlapping_max_pool_windows() {
    let d = train! {
        input: [[1, 2, 0], [0, 5, 1], [3, 0, 4]],
        layers: [
            conv { filter: [[1]] },
            max_pool { size: 2, stride: 1 },
            flatten,
            dense { weight: [[1, 2, 3, 4]] },
        ],
        target: [40],
        lr: 0.0002,
        mistakes: true,
    };
    let s = &d.steps()[0];
    assert_eq!(s.loss(), 50.0);
    assert_eq!(s.input_grads()[1].1, [0.0, 0.0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(grad(&d, 0, "0.weight"), [500.0]);
    assert_eq!(grad(&d, 0, "3.weight"), [50.0, 50.0, 50.0, 50.0]);
    let text = d.to_string();
    assert!(text.contains("the max-pool gradient spread over the window"), "{text}");
    every_renderer("overlapping_max_pool_windows", &d);
}

/// A 2×2 average pool into a dense layer, against a class.
///
/// By hand: the window means `[[3, 2.5], [0.75, 1.75]]`, `z = [3 + 1.75, 2.5 + 0.75 + 0.5]`,
/// that is `[4.75, 3.75]`, `p = [σ(1), σ(−1)]`, `L = −log σ(−1) = log(1 + e)`, `δ = [σ(1), −σ(1)]`,
/// `∂L/∂v = Wᵀδ = [σ(1), −σ(1), −σ(1), σ(1)]`, and each input entry gets a quarter of its
/// window's: `∂L/∂x[0,0] = σ(1)/4`.
#[test]
fn average_pooling_into_a_dense_layer() {
    let d = train! {
        input: [[1, 2, 3, 0], [4, 5, 6, 1], [0, 1, 2, 3], [1, 1, 1, 1]],
        layers: [avg_pool { size: 2 }, flatten, dense { weight: [[1, 0, 0, 1], [0, 1, 1, 0]], bias: [0, 0.5] }],
        target: [0, 1],
        loss: softmax_cross_entropy,
        lr: 0.5,
        input_grad: true,
    };
    let s = &d.steps()[0];
    let sigma = 1.0 / (1.0 + (-1.0_f64).exp());
    assert_eq!(s.layer_outputs()[0].1, [3.0, 2.5, 0.75, 1.75]);
    assert_eq!(s.layer_outputs()[2].1, [4.75, 3.75]);
    assert!(close(s.loss(), (1.0 + 1.0_f64.exp()).ln()));
    let dx = &s.input_grads()[0].1;
    assert!(close(dx[0], sigma / 4.0) && close(dx[2], -sigma / 4.0), "{dx:?}");
    every_renderer("average_pooling_into_a_dense_layer", &d);
}

/// The classic worked example of backpropagation, Matt Mazur's "A Step by Step
/// Backpropagation Example" (2015): two inputs, two sigmoid hidden units, two sigmoid outputs,
/// half squared error, η = 0.5.
///
/// Published: total error 0.298371109; after the update `w1 … w4 = 0.149780716, 0.19956143,
/// 0.24975114, 0.29950229` and `w5 … w8 = 0.35891648, 0.408666186, 0.511301270, 0.561370121`
/// (its `w1, w2` feed hidden unit 1, so they are row 0 of `0.weight`). The article leaves the
/// biases as they are; here they are trained too, which changes only the biases.
#[test]
fn a_two_layer_sigmoid_mlp() {
    let d = train! {
        input: [0.05, 0.10],
        layers: [
            dense { weight: [[0.15, 0.20], [0.25, 0.30]], bias: [0.35, 0.35] },
            sigmoid,
            dense { weight: [[0.40, 0.45], [0.50, 0.55]], bias: [0.60, 0.60] },
            sigmoid,
        ],
        target: [0.01, 0.99],
        loss: half_sse,
        lr: 0.5,
    };
    let published = |got: f64, want: f64, digits: i32| {
        assert!((got - want).abs() < 0.5 * 10f64.powi(-digits), "{got} vs {want}");
    };
    published(d.steps()[0].loss(), 0.298_371_109, 9);
    let after = d.named_parameters();
    for (got, want) in
        after[0].2.iter().zip([0.149_780_716, 0.199_561_43, 0.249_751_14, 0.299_502_29])
    {
        published(*got, want, 8);
    }
    for (got, want) in
        after[2].2.iter().zip([0.358_916_48, 0.408_666_186, 0.511_301_270, 0.561_370_121])
    {
        published(*got, want, 8);
    }
    every_renderer("a_two_layer_sigmoid_mlp", &d);
}

/// A linear softmax classifier on a 4-vector, the target a class index, two steps and the
/// learner's mistake of `t − p`.
///
/// By hand: `z = [0.1 + 0.4 + 0.1, 0.2 + 0.1, −0.1 + 0.05 − 0.2]`, that is `[0.6, 0.3, −0.25]`,
/// `L = −log softmax(z)[2]`, `δ = p − [0, 0, 1]`, `∂L/∂w[o,i] = δ[o]·x[i]`.
#[test]
fn a_linear_softmax_classifier() {
    let d = train! {
        input: [1, 2, 0.5, -1],
        layers: [dense {
            weight: [[0.1, 0.2, 0, -0.1], [0, 0.1, 0.2, 0], [-0.1, 0, 0.1, 0.2]],
            bias: [0, 0, 0],
        }],
        target: 2,
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 2,
        mistakes: true,
    };
    let s = &d.steps()[0];
    let z = &s.layer_outputs()[0].1;
    assert_close("z", z, &[0.6, 0.3, -0.25]);
    let p = softmax(&[0.6, 0.3, -0.25]);
    assert!(close(s.loss(), -p[2].ln()));
    let delta = [p[0], p[1], p[2] - 1.0];
    let x = [1.0, 2.0, 0.5, -1.0];
    let want: Vec<f64> = delta.iter().flat_map(|d| x.iter().map(move |x| d * x)).collect();
    assert_close("∂L/∂w", &grad(&d, 0, "0.weight"), &want);
    let text = d.to_string();
    assert!(text.contains("the softmax cross-entropy gradient taken as t − p"), "{text}");
    every_renderer("a_linear_softmax_classifier", &d);
}
