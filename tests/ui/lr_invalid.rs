use cnn_bp_core::train;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: -0.5 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 1e999 };
}
