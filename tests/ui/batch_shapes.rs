use cnn_bp_core::train;

fn main() {
    // Example 2's input is a different shape than example 1's.
    let _ = train! {
        examples: [
            { input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], target: [[1, 0], [0, 1]] },
            { input: [[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]], target: [[1, 1], [0, 0]] },
        ],
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu],
        lr: 0.5,
    };
    // Example 2's target does not have the network's output shape.
    let _ = train! {
        examples: [
            { input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], target: [[1, 0], [0, 1]] },
            { input: [[1, 0, 1], [0, 1, 0], [1, 0, 1]], target: [[1, 1, 0], [0, 0, 1]] },
        ],
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu],
        lr: 0.5,
    };
    // A classifier's example with one probability too many.
    let _ = train! {
        examples: [
            { input: [1, 2], target: 1 },
            { input: [0, 1], target: [0, 0.5, 0.5] },
        ],
        layers: [dense { weight: [[1, 0], [0, 1]] }],
        loss: softmax_cross_entropy,
    };
}
