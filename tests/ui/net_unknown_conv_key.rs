use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        layers: [
            conv { weights: [[1, 0], [0, 1]], strides: 1, activation: relu, lr: 0.1 },
            conv { filter: [[1]], padding: same, kernel: conv },
        ],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
    };
}
