use cnn_bp_core::{matrix, train};

// A spec cut short is an error at its last token, not at the whole macro call.
// (Found by the fuzz test in cnn-bp-macros/src/tests/fuzz.rs.)
fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: - };
    let _ = train! { input: [[1, 2]], target: [[1, 2]], lr: 0.1, filter: START. };
    let _ = matrix![[1, 2], -];
}
