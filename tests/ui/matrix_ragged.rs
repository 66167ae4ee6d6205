use cnn_bp_core::matrix;

const A: [[f64; 3]; 2] = matrix![[1, 2, 3], [4, 5]];

fn main() {
    let _ = matrix![[1], [2, 3], [4]];
}
