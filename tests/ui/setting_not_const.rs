use cnn_bp_core::train;

// `lr`, `steps` and `bias` may be constants, not variables: they are checked at compile time.
fn main() {
    let lr = 0.5;
    let steps: usize = 2;
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: lr, steps: steps };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.5, steps: 1.0 / 2.0 };
}
