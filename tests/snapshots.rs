//! The printed derivations, held in insta snapshots (`tests/snapshots/`).
//!
//! Every number in these snapshots was checked before it was accepted: each equation against
//! its printed operands and each operand against where it was printed first
//! (`scripts/check_derivation.py`), and the values against JAX (`tests/golden_jax.rs`).

use cnn_bp_core::train;

/// The question exactly as asked: one step, relu, ½Σ(y − t)², η = 0.5.
#[test]
fn seed_question() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
    };
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
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
    insta::assert_snapshot!(d);
}
