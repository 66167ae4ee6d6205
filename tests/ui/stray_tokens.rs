use cnn_bp_core::train;

// After a stray token or a missing comma, the next entry is still read: its key is not
// reported missing. (Found by the fuzz test in cnn-bp-macros/src/tests/fuzz.rs.)
fn main() {
    let _ = train! { 2 input: [[1, 2]], filter: [[1]] target: [[1, 2]], lr: 0.1 };
}
