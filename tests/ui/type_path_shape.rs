// With the input and the target both given as expressions, only their types know the shapes:
// a compile-time assertion in cnn-bp-core checks them, and its message names the keys.
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
