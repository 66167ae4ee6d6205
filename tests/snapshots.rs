//! The printed derivations, held in insta snapshots (`tests/snapshots/`).
//!
//! Every number in these snapshots was checked before it was accepted: each equation against
//! its printed operands and each operand against where it was printed first
//! (`scripts/check_derivation.py`), and the values against JAX (`tests/golden_jax.rs`). The
//! LaTeX and Markdown snapshots carry the text's numbers in the same order (`tests/renderers.rs`)
//! and render in KaTeX without an error (`scripts/katex/check.mjs`, run by `.ci/run`).

use cnn_bp_core::{Derivation, train};

/// The text (`name.snap`), LaTeX (`name_latex.snap`) and Markdown (`name_markdown.snap`)
/// derivations, after checking that every printed equation follows from its operands.
fn every_renderer<const KH: usize, const KW: usize, const OH: usize, const OW: usize>(
    name: &str,
    d: &Derivation<KH, KW, OH, OW>,
) {
    d.verify().unwrap_or_else(|e| panic!("{name}: {e}"));
    insta::assert_snapshot!(name, d.to_string());
    insta::assert_snapshot!(format!("{name}_latex"), d.to_latex());
    insta::assert_snapshot!(format!("{name}_markdown"), d.to_markdown());
}

/// The question exactly as asked: one step, relu, ½Σ(y − t)², η = 0.5.
#[test]
fn seed_question() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
    };
    every_renderer("seed_question", &d);
}

/// The answer's target, with the −1 a ReLU can never reach, over several steps.
#[test]
fn seed_answer_target_three_steps() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, -1], [0, 1]],
        lr: 0.5,
        steps: 3,
    };
    every_renderer("seed_answer_target_three_steps", &d);
}

/// The seed with a sigmoid: a smooth derivative, and targets 0 and 1 it can only approach.
#[test]
fn seed_sigmoid() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        activation: sigmoid,
    };
    every_renderer("seed_sigmoid", &d);
}

/// What the answer says the asker effectively did: no activation, repeated enough times.
#[test]
fn seed_linear_many_steps() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.25,
        activation: linear,
        steps: 8,
    };
    every_renderer("seed_linear_many_steps", &d);
}

/// Stride 2 with padding 1: windows over the zero border, outputs two apart.
#[test]
fn stride_two_padding_one() {
    let d = train! {
        input:  [[1, 2, 0, -1, 1], [0, 1, 1, 2, 0], [2, 0, -1, 1, 1], [1, -2, 0, 1, 2], [0, 1, 1, 0, -1]],
        filter: [[1, 0, -1], [0.5, 1, 0], [0, -1, 1]],
        target: [[1, 0, 0], [0, 2, 0], [0, 0, 1]],
        lr: 0.1,
        stride: 2,
        padding: 1,
    };
    every_renderer("stride_two_padding_one", &d);
}

/// True convolution: the filter rotated by 180°, in the forward pass and in its gradient.
#[test]
fn true_convolution() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        kernel: convolution,
    };
    every_renderer("true_convolution", &d);
}

/// A trained bias: `+ b` in every sum, `∂L/∂b = Σδ`, and its update.
#[test]
fn with_bias() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        bias: 0.5,
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        steps: 2,
    };
    every_renderer("with_bias", &d);
}

/// The mean squared error: `(1/n)·Σ(y − t)²` and `(2/n)·(y − t)`.
#[test]
fn mse_loss() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        loss: mse,
    };
    every_renderer("mse_loss", &d);
}

/// The plain sum of squares: `Σ(y − t)²` and `2·(y − t)`.
#[test]
fn sse_loss() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.25,
        loss: sse,
    };
    every_renderer("sse_loss", &d);
}

/// A leaky ReLU: negative outputs keep a slope, so the answer's −1 target becomes reachable.
#[test]
fn leaky_relu() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, -1], [0, 1]],
        lr: 0.5,
        activation: leaky_relu(0.1),
        steps: 2,
    };
    every_renderer("leaky_relu", &d);
}

/// z exactly 0 where the target is not: the convention decides whether the gradient flows.
#[test]
fn z_exactly_zero_grad_one() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0.5], [0, 1]],
        lr: 0.5,
        relu_grad_at_zero: 1,
    };
    every_renderer("z_exactly_zero_grad_one", &d);
}

/// The same spec with the default convention, f′(0) = 0: the gradient is blocked at z[0,1].
#[test]
fn z_exactly_zero_grad_zero() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0.5], [0, 1]],
        lr: 0.5,
    };
    every_renderer("z_exactly_zero_grad_zero", &d);
}

/// tanh, whose targets must lie strictly between −1 and 1.
#[test]
fn tanh_activation() {
    let d = train! {
        input:  [[0.5, -1], [1, 0.25]],
        filter: [[0.5, -0.5]],
        target: [[0.5], [1]],
        lr: 0.5,
        activation: tanh,
    };
    every_renderer("tanh_activation", &d);
}

/// Stride 3 over a 5-wide input: the floor leaves rows and columns that no window covers.
#[test]
fn unused_rows_and_columns() {
    let d = train! {
        input:  [[1, 0, 2, 1, 3], [0, 1, 0, 2, 1], [2, 1, 1, 0, 1], [1, 0, 2, 1, 0], [3, 1, 0, 1, 2]],
        filter: [[1, 0], [0, 1]],
        target: [[1, 2], [0, 1]],
        lr: 0.1,
        stride: 3,
    };
    every_renderer("unused_rows_and_columns", &d);
}

/// Too large a learning rate: the loss rises after each update.
#[test]
fn loss_rises() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 1.5,
        activation: linear,
        steps: 2,
    };
    every_renderer("loss_rises", &d);
}

/// Values beyond f64's range: the derivation says where the first infinity appeared and stops.
#[test]
fn non_finite_stops() {
    let d = train! {
        input:  [[1e200, 1], [1, 1]],
        filter: [[1e200]],
        target: [[1, 0], [0, 0]],
        lr: 0.5,
        activation: linear,
        steps: 3,
    };
    every_renderer("non_finite_stops", &d);
}

/// The seed question with the learner's mistakes: the sign flip gives the asker's
/// [[2, −2], [1, 2]] and a higher loss.
#[test]
fn seed_question_mistakes() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        mistakes: true,
    };
    every_renderer("seed_question_mistakes", &d);
}

/// The seed question in the symbolic form: each stage's formulas before the numbers.
#[test]
fn seed_question_symbolic() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        show: symbolic,
    };
    every_renderer("seed_question_symbolic", &d);
}

/// The finite-difference check on the seed question: two entries reach the kink at
/// z[0,1] = 0 and are flagged, the others agree.
#[test]
fn seed_question_finite_differences() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        check: finite_differences,
    };
    every_renderer("seed_question_finite_differences", &d);
}

/// Both sections on a convolving, strided, padded layer with a bias, a leaky ReLU and the
/// mean squared error, over two steps.
#[test]
fn mistakes_and_check_convolution_bias() {
    let d = train! {
        input:  [[1, 2, 0, -1], [0, 1, 1, 2], [2, 0, -1, 1], [1, -2, 0, 1]],
        filter: [[1, 0], [0.5, -1]],
        bias: 0.5,
        target: [[1, 0, 0], [0, 2, 0], [0, 0, 1]],
        lr: 0.25,
        activation: leaky_relu(0.1),
        loss: mse,
        steps: 2,
        stride: 2,
        padding: 1,
        kernel: convolution,
        check: finite_differences,
        mistakes: true,
    };
    every_renderer("mistakes_and_check_convolution_bias", &d);
}

/// Everything at once in the symbolic form: sigmoid, a bias, the mean squared error, the
/// check and the mistakes, over two steps.
#[test]
fn symbolic_sigmoid_bias_mse_with_sections() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        bias: -0.5,
        target: [[0.9, 0.1], [0.1, 0.9]],
        lr: 0.5,
        activation: sigmoid,
        loss: mse,
        steps: 2,
        show: symbolic,
        check: finite_differences,
        mistakes: true,
    };
    every_renderer("symbolic_sigmoid_bias_mse_with_sections", &d);
}
