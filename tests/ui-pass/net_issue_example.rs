//! The network grammar as written: two channels, two filters with a bias each, relu,
//! a 1×1 conv summing the channels. Built (not only checked), so the ops' shape assertions
//! are evaluated.

use cnn_bp_core::train;

fn main() {
    let d = train! {
        input: [[[1, 0, 2], [0, 1, 0], [2, 0, 1]],
                [[0, 1, 0], [1, 0, 1], [0, 1, 0]]],
        layers: [
            conv { filter: [[[[1, 0], [0, 1]], [[1, 1], [0, 0]]],
                             [[[0, 1], [1, 0]], [[0, 0], [1, 1]]]],
                   bias: [0.5, -0.5],
                   stride: 1, padding: 0, dilation: 1, kernel: correlation },
            relu,
            conv { filter: [[[[1]], [[1]]]] },
        ],
        target: [[1, 0], [0, 1]],
        loss: half_sse,
        lr: 0.1,
        steps: 2,
    };
    assert_eq!(d.steps()[0].loss(), 34.0);
}
