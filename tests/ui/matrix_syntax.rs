use cnn_bp_core::matrix;

fn main() {
    let _ = matrix![[1 2], [3, 4]];
}
