use cnn_bp_core::matrix;

fn main() {
    let _ = matrix![[1e999, 1], [0, -1e400]];
    // A number too small for f64 would silently be 0; the smallest subnormals are kept.
    let _ = matrix![[1e-400, -2e-324, 0.0], [4.9e-324, -5e-324, 0e-400]];
}
