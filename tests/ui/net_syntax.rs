use cnn_bp_core::train;

fn main() {
    // Each syntax error is reported, and the rest of the spec is still read.
    let _ = train! {
        input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        layers: [
            conv { filter = [[1, 0], [0, 1]], stride: 1 padding: 0 },
            relu tanh,
            , sigmoid,
            leaky_relu(0.1 +),
            42,
        ],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
    };
}
