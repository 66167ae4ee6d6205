use cnn_bp_core::train;

fn main() {
    // All of a spec's errors at once: a key misspelt, a value out of range, an unknown op, a
    // bias of the wrong length, and a filter on the wrong number of channels.
    let _ = train! {
        inputs: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        layers: [
            conv { filter: [[[[1, 0], [0, 1]]], [[[0, 1], [1, 0]]]], bias: [1, 2, 3] },
            conv { filter: [[1]] },
            softmax,
        ],
        target: [[1, 0], [0, 1]],
        lr: -0.1,
    };
}
