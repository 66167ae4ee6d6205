use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2, 3], [4, 5], [7, 8, 9]], [[1, 2, 3]]],
        layers: [conv { filter: [[[[1, 0], [0, 1]], [[1, 0]]]], bias: [] }],
        target: [[1, 0], [0, 1, 1]],
        lr: 0.1,
    };
}
