use cnn_bp_core::matrix;

fn main() {
    let x = 2.0;
    let _ = matrix![[1, x], [1, "2"]];
    let _ = matrix![[1, 2u8], [1.5f32, -(1)]];
    let _ = matrix![[1 + 2, --1], [true, 'c']];
    let _ = matrix![1, 2];
}
