//! Batches in every form the grammar has: a reduction or not, targets and upstream
//! gradients, class indices, the single layer's keys beside `examples`, exact arithmetic.
#![deny(warnings)]

use cnn_bp_core::train;

const X: f64 = 0.5;

fn main() {
    let pair = train! {
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
    assert_eq!(pair.steps()[0].loss(), 2.5);
    let upstream = train! {
        examples: [{ input: [[1, 2, 3]], grad_output: [[1, 0]] }, { input: [[X, 1, 0]], grad_output: [[0, 1]] }],
        layers: [conv { filter: [[1, -1]], bias: 0.5 }, tanh],
        reduction: sum,
        lr: 0.1,
        steps: 2,
    };
    assert_eq!(upstream.steps()[0].examples().len(), 2);
    let classes = train! {
        examples: [{ input: [1, 2], target: 1 }, { input: [0, 1], target: [0.5, 0.5] }],
        layers: [dense { weight: [[1, 0], [0, 1]] }],
        loss: softmax_cross_entropy,
    };
    assert_eq!(classes.steps().len(), 1);
    let single = train! {
        examples: [{ input: [[1, 2], [3, 4]], target: [[1]] }],
        filter: [[1, 0], [0, 1]],
        bias: 0.5,
        activation: leaky_relu(0.1),
        kernel: convolution,
        lr: 0.1,
    };
    assert_eq!(single.named_parameters().len(), 2);
    let exact = train! {
        examples: [{ input: [[0.5, 1], [1, 0]], target: [[1]] }, { input: [[1, 1], [0, 0]], target: [[0]] }],
        filter: [[1, -1], [0.25, 1]],
        activation: linear,
        lr: 0.25,
        arithmetic: exact,
    };
    assert_eq!(exact.steps()[0].examples().len(), 2);
}
