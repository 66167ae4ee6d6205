// Matrices given as consts and `matrix!` values, shapes right: builds and runs. Being a `pass`
// case, it also makes trybuild *build* (not just check) the compile-fail cases beside it, so
// the post-monomorphization shape assertions of `type_path_*.rs` are reported.
use cnn_bp_core::{matrix, train};

const X: [[f64; 3]; 3] = matrix![[1, -1, 0], [0, 1, 0], [0, -1, 1]];
const W: [[f64; 2]; 2] = matrix![[1, -1], [1, 1]];

fn main() {
    let t = matrix![[1, 0], [0, 1]];
    let d = train! { input: X, filter: W, target: t, lr: 0.5 };
    assert_eq!(d.filter(), [[0.0, 0.0], [1.0, 0.0]]);
    assert_eq!(d.loss_after(), 1.5);
    let padded = train! { target: [[0.5; 2]; 2], input: X, filter: W, lr: 0.25, padding: (1, 0), stride: (2, 1) };
    assert_eq!(padded.steps().len(), 1);
}
