use cnn_bp_core::{matrix, train};

// In a bracketed matrix, number literals are read by the macro (`1` is `1f64`); any other
// entry or row is an expression, which must be an `f64` (a row a `[f64; C]`) and is typed
// by the compiler at its own tokens.
const A: f32 = 1.0;
const R: [f64; 3] = [1.0, 2.0, 3.0];

const M: [[f64; 2]; 1] = matrix![[1, R]];

fn main() {
    let _ = matrix![[1, A], [1 + 2, 0]];
    let _ = train! { input: [R, [1, 2]], filter: [[1]], target: [[1, 2], [1, 2]], lr: 0.5 };
}
