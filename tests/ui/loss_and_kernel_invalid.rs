use cnn_bp_core::train;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, loss: mae };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, loss: "mse" };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, kernel: conv };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, kernel: full };
}
