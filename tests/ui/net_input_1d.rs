use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [1, 2, 3, 4],
        layers: [conv { filter: [[1, 0], [0, 1]] }],
        target: [[1, 0], [0, 1]],
    };
    let _ = train! {
        input: [[[[1, 2], [3, 4]]]],
        layers: [conv { filter: [[1]] }],
        target: [1, 2, 3, 4],
    };
}
