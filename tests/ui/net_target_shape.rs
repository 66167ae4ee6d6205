use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 0, 2, 0, 1], [0, 1, 0, 1, 0], [2, 0, 1, 0, 2], [0, 1, 0, 1, 0], [1, 0, 2, 0, 1]],
        layers: [
            conv { filter: [[1, 0, 1], [0, 1, 0], [1, 0, 1]], stride: 2, padding: 1 },
            tanh,
            conv { filter: [[1, -1], [-1, 1]] },
        ],
        target: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        lr: 0.1,
    };
    let _ = train! {
        input: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]],
        layers: [conv { filter: [[[[1]], [[1]]], [[[1]], [[-1]]]] }, sigmoid],
        grad_output: [[1, 0], [0, 1]],
    };
}
