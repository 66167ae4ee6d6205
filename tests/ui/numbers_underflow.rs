use cnn_bp_core::train;

// A nonzero literal whose f64 value is 0 is an error in every numeric key, not a 0 (an `lr`
// of 0 would be reported as "must be greater than 0", a `bias` of 0 taken silently).
fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 1e-400 };
    let _ = train! { input: [[1, 2]], filter: [[1e-400]], target: [[1, 2]], lr: 0.1, bias: -1e-400 };
    let _ = train! {
        input: [[1, 2]],
        filter: [[1]],
        target: [[1, 2]],
        lr: 0.1,
        activation: leaky_relu(1e-999),
        steps: 1e-400,
    };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, relu_grad_at_zero: 1e-330 };
}
