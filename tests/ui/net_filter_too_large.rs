use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]],
        layers: [
            conv { filter: [[1, 0, 1], [0, 1, 0], [1, 0, 1]] },
            tanh,
            conv { filter: [[1, 1, 1], [1, 1, 1], [1, 1, 1]] },
        ],
        target: [[1]],
        lr: 0.1,
    };
    // Dilation 2 spreads a 2×2 filter over 3×3 input entries.
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [conv { filter: [[1, 0], [0, 1]], dilation: 2 }],
        target: [[1]],
    };
}
