use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        layers: [
            conv { filter: [[[[1, 0], [0, 1]]], [[[0, 1], [1, 0]]]], bias: [0.5, -0.5, 1] },
            relu,
            conv { filter: [[[[1]], [[1]]], [[[1]], [[-1]]]], bias: 0.5 },
        ],
        target: [[[1, 0], [0, 1]], [[0, 1], [1, 0]]],
        lr: 0.1,
    };
}
