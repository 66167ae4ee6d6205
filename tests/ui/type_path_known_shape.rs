// A matrix given as an expression whose shape the other matrices fix: a wrong shape is a
// type error at its own tokens (rather than an assertion inside the library).
use cnn_bp_core::{matrix, train};

const X: [[f64; 3]; 3] = matrix![[1, -1, 0], [0, 1, 0], [0, -1, 1]];
const T: [[f64; 3]; 3] = matrix![[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const ROW: [f64; 2] = [1.0, 2.0];

fn main() {
    // The target must be the output's 2×2.
    let _ = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: T,
        lr: 0.5,
    };
    // At stride 1, a 2×2 filter and a 3×3 target need a 4×4 input.
    let _ = train! { input: X, filter: [[1, -1], [1, 1]], target: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], lr: 0.5 };
    // At stride 1, a 3×3 input and a 2×2 target need a 2×2 filter.
    let _ = train! { input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], filter: X, target: [[1, 0], [0, 1]], lr: 0.5 };
    // Rows given as constants: three of them, but the stride-2 output of a 3-row input with a
    // 1-row filter has 2.
    let _ = train! { input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], filter: [[1]], target: [ROW, ROW, ROW], lr: 0.5, stride: 2 };
    // A constant row shorter than the literal rows around it.
    let _ = train! { input: [[1, 2, 3], ROW, [1, 2, 3]], filter: [[1]], target: [[1, 2, 3], [1, 2, 3], [1, 2, 3]], lr: 0.5 };
}
