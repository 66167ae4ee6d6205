use cnn_bp_core::train;

fn main() {
    // A target of the wrong length, and one that does not sum to 1.
    let _ = train! {
        input: [1, 2],
        layers: [dense { weight: [[1, 0], [0, 1], [1, 1]] }],
        target: [0, 1],
        loss: softmax_cross_entropy,
    };
    let _ = train! {
        input: [1, 2],
        layers: [dense { weight: [[1, 0], [0, 1], [1, 1]] }],
        target: [0.5, 0.25, 0.5],
        loss: softmax_cross_entropy,
    };
    // A negative probability, and a class index out of range.
    let _ = train! {
        input: [1, 2],
        layers: [dense { weight: [[1, 0], [0, 1]] }],
        target: [1.5, -0.5],
        loss: softmax_cross_entropy,
    };
    let _ = train! {
        input: [1, 2],
        layers: [dense { weight: [[1, 0], [0, 1]] }],
        target: 2,
        loss: softmax_cross_entropy,
    };
    // Logits that are a map, not a vector.
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [conv { filter: [[1]] }],
        target: [[0, 1], [0, 0]],
        loss: softmax_cross_entropy,
    };
    // A single layer has no vector of logits.
    let _ = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        loss: softmax_cross_entropy,
    };
    // A misspelt loss, and a vector target of the wrong length for a squared loss.
    let _ = train! {
        input: [1, 2, 3],
        layers: [relu, dense { weight: [[1, 0, 0], [0, 1, 0]] }],
        target: [0.1, 0.2, 0.7],
        loss: cross_entropy,
    };
}
