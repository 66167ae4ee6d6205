use cnn_bp_core::matrix;

fn main() {
    let _ = matrix![[1e999, 1], [0, -1e400]];
}
