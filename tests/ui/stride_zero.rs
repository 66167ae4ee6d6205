use cnn_bp_core::train;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, stride: 0 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, stride: (1, 0) };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, stride: (1, 2, 3) };
}
