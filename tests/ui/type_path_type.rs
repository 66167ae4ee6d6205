use cnn_bp_core::train;

const X32: [[f32; 3]; 3] = [[1.0; 3]; 3];

fn main() {
    let rows = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
    let _ = train! { input: X32, filter: [[1, -1], [1, 1]], target: [[1, 0], [0, 1]], lr: 0.5 };
    let _ = train! { input: rows, filter: [[1]], target: [[1, 0], [0, 1]], lr: 0.5 };
}
