// Matrices given as expressions are checked by the type system and by a compile-time
// assertion in cnn-bp-core, not by the macro.
use cnn_bp_core::{matrix, train};

const X: [[f64; 3]; 3] = matrix![[1, -1, 0], [0, 1, 0], [0, -1, 1]];
const T: [[f64; 3]; 3] = matrix![[1, 0, 0], [0, 1, 0], [0, 0, 1]];

fn main() {
    let d = train! {
        input: X,
        filter: [[1, -1], [1, 1]],
        target: T,
        lr: 0.5,
    };
    println!("{d}");
}
