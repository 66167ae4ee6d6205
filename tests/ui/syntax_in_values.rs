use cnn_bp_core::train;

// A syntax error inside a value is that value's error alone: the other entries are still
// read, and its key is not also reported missing. A key in quotes is read as that key.
fn main() {
    let _ = train! { input: [[+1, 1]], filter: [[1]], target: [[1, 2]], lr: 0.1 };
    let _ = train! { input: [[1 2], [3, 4]], filter: [[1]], target: [[1, 2], [3, 4]], lr: 0.1 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, stride: (1 2) };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, activation: leaky_relu(0.1 0.2) };
    let _ = train! { "input": [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1 };
    let _ = train! { input: [[1, 2]], filter: [[1]], "target": [[1, 2]], "lr": 0, "epochs": 2 };
    // Skipping a malformed value goes past the commas of a turbofish.
    let _ = train! { input: [[1, 2]], filter: [[1]], target: f::<1, 2>() +, lr: 0.1 };
}
