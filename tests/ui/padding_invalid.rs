use cnn_bp_core::{matrix, train};

const W: [[f64; 3]; 3] = matrix![[1, 0, 0], [0, 1, 0], [0, 0, 1]];

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: -1 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: 0.5 };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: (0, -1) };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: P };
    // `same` and `valid`, as PyTorch and Keras name them: what to write instead.
    let _ = train! {
        input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        filter: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        target: [[0; 3]; 3],
        lr: 0.1,
        padding: same,
    };
    let _ = train! {
        input: [[1; 5]; 5],
        filter: [[1; 3]; 5],
        target: [[0; 5]; 5],
        lr: 0.1,
        padding: "same",
    };
    let _ = train! { input: [[1, 2], [3, 4]], filter: [[1, 0], [0, 1]], target: [[1, 2], [3, 4]], lr: 0.1, padding: same };
    let _ = train! { input: [[1, 2], [3, 4]], filter: [[1, 0, 1]], target: [[1, 2], [3, 4]], lr: 0.1, padding: same };
    let _ = train! { input: [[1; 4]; 4], filter: [[1; 3]; 3], target: [[1; 2]; 2], lr: 0.1, stride: 2, padding: same };
    let _ = train! { input: [[1; 4]; 4], filter: W, target: [[1; 4]; 4], lr: 0.1, padding: same };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, padding: valid };
}
