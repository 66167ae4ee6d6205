use cnn_bp_core::train;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: -1 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: 0.5 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: (0, -1) };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: same };
}
