use cnn_bp_core::train;

// Every problem of a spec is reported at once, each at its own tokens.
fn main() {
    let _ = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        target: [[1, 0], [0]],
        learning_rate: 0.5,
        lr: -1,
        activation: sigmoidd,
        stride: 0,
    };
}
