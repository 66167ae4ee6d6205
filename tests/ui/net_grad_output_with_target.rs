use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        layers: [conv { filter: [[1, 0], [0, 1]] }],
        target: [[1, 0], [0, 1]],
        grad_output: [[1, 0], [0, 1]],
        loss: mse,
    };
}
