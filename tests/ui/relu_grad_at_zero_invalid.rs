use cnn_bp_core::train;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, relu_grad_at_zero: 0.5 };
    let _ = train! {
        input: [[1, 2]],
        filter: [[1]],
        target: [[1, 2]],
        lr: 0.1,
        activation: sigmoid,
        relu_grad_at_zero: 1,
    };
}
