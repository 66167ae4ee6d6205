use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
    };
    let _ = train! {};
}
