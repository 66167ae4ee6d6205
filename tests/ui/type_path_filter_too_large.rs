use cnn_bp_core::{matrix, train};

const X: [[f64; 2]; 2] = matrix![[1, -1], [0, 1]];
const W: [[f64; 3]; 3] = matrix![[1, 0, 0], [0, 1, 0], [0, 0, 1]];

fn main() {
    let d = train! { input: X, filter: W, target: [[1]], lr: 0.5 };
    println!("{d}");
}
