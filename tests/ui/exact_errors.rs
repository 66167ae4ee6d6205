// `arithmetic: exact` computes in fractions: what is not rational is an error at its token.

fn main() {
    // A single layer's sigmoid.
    let _ = cnn_bp_core::train! {
        input: [[1, 2], [3, 4]],
        filter: [[1]],
        target: [[0, 1], [1, 0]],
        lr: 0.5,
        activation: sigmoid,
        arithmetic: exact,
    };
    // A network's tanh, and a softmax cross-entropy.
    let _ = cnn_bp_core::train! {
        input: [1, 2],
        layers: [dense { weight: [[1, 0], [0, 1]] }, tanh, dense { weight: [[1, 1]] }],
        target: [1],
        loss: softmax_cross_entropy,
        lr: 0.5,
        arithmetic: exact,
    };
    // A leaky slope with more digits than its setting keeps, and an arithmetic that is not one.
    let _ = cnn_bp_core::train! {
        input: [[1, 2], [3, 4]],
        filter: [[1]],
        target: [[0, 1], [1, 0]],
        lr: 0.5,
        activation: leaky_relu(0.1000000000000000000001),
        arithmetic: exact,
    };
    let _ = cnn_bp_core::train! {
        input: [[1, 2], [3, 4]],
        filter: [[1]],
        target: [[0, 1], [1, 0]],
        lr: 0.5,
        arithmetic: rational,
    };
    // A literal of more digits than an exact spec reads.
    let _ = cnn_bp_core::train! {
        input: [[1, 2], [3, 1234567890123456789012345678901234567890]],
        filter: [[1]],
        target: [[0, 1], [1, 0]],
        lr: 0.5,
        arithmetic: exact,
    };
}
