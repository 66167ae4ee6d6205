use cnn_bp_core::train;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, activation: rellu };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, activation: softmax };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, activation: leaky_relu };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, activation: leaky_relu(-0.1) };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, activation: relu(0.1) };
}
