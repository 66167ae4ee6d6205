use cnn_bp_core::train;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, steps: 0 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, steps: 1.5 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, steps: -2 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, steps: 1000000 };
}
