use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1], [1, 1]],
        lr: 0.5,
    };
    let _ = train! {
        input: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]],
        filter: [[1, 0], [0, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
        stride: 3,
        padding: (1, 0),
    };
}
