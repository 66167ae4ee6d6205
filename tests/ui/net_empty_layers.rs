use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
    };
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [relu, tanh],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
    };
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: conv,
        target: [[1, 0], [0, 1]],
    };
}
