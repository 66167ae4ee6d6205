use cnn_bp_core::train;

fn main() {
    // Two channels reach a 2-D filter (one filter on one channel), and three filters reach a
    // filter on two channels.
    let _ = train! {
        input: [[[1, 0, 2], [0, 1, 0], [2, 0, 1]], [[0, 1, 0], [1, 0, 1], [0, 1, 0]]],
        layers: [
            conv { filter: [[1, 0], [0, 1]] },
            relu,
            conv { filter: [[[[1]], [[1]]], [[[1]], [[1]]], [[[1]], [[1]]]] },
            tanh,
            conv { filter: [[[[1]], [[1]]]] },
        ],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
    };
}
