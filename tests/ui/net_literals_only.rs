use cnn_bp_core::train;

const X: [[f64; 3]; 3] = [[1.0; 3]; 3];
const ROW: [f64; 2] = [1.0, 0.0];
const N: usize = 2;

fn main() {
    let _ = train! {
        input: X,
        layers: [conv { filter: [ROW, ROW] }, conv { filter: [[0.5; N]; 1] }],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
    };
}
