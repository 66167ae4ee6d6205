use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, -1, 0], [0, 1], [0, -1, 1]],
        filter: [[1e999, -1], [1, x]],
        target: [1, 0],
        lr: 0.5,
    };
    let _ = train! { input: 5, filter: [], target: [[]], lr: 0.5 };
}
