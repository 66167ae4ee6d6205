// Every op of "Networks II" through a full build (trybuild's `pass` runs `cargo build`, so the
// ops' post-monomorphization shape assertions are evaluated): a classifier on two channels, an
// average pool with overlapping windows and a floor, a dense-only MLP from a vector input, and
// a class-index target.
use cnn_bp_core::train;

fn main() {
    let d = train! {
        input: [[[1, 0, 2, -1], [0, 1, -1, 2], [2, -1, 1, 0], [-1, 2, 0, 1]],
                [[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]],
        layers: [
            conv { filter: [[[[1, 0], [0, 1]], [[0, 1], [1, 0]]], [[[1, 1], [0, 0]], [[0, 0], [1, 1]]]], bias: [0, 0.5] },
            relu,
            max_pool { size: 2, stride: 1 },
            flatten,
            dense { weight: [[1, -1, 0, 0.5, 0, 1, 0, 0], [0, 0.5, 1, -1, 1, 0, 0, 1]], bias: [0, 0] },
        ],
        target: [0.25, 0.75],
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 2,
    };
    assert_eq!(d.steps().len(), 2);
    let a = train! {
        input: [[[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [0, 1, 0, 1, 0], [2, 2, 2, 2, 2]],
                [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, 0, 1, 0, 1], [3, 2, 1, 0, 1]]],
        layers: [avg_pool { size: (2, 3), stride: (1, 2) }, flatten, dense { weight: [[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]] }, tanh],
        target: [0.5],
        loss: mse,
        lr: 0.1,
    };
    assert_eq!(a.steps()[0].layer_outputs()[0].0, [2, 3, 2]);
    let m = train! {
        input: [0.05, 0.1],
        layers: [dense { weight: [[0.15, 0.2], [0.25, 0.3]], bias: [0.35, 0.35] }, sigmoid],
        target: 1,
        loss: softmax_cross_entropy,
        lr: 0.5,
    };
    assert_eq!(m.named_parameters()[0].1, [2, 2]);
}
