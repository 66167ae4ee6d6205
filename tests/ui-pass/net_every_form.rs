//! Every form a network spec's values take: stride, padding and dilation as pairs, a true
//! convolution, repeats, constant entries and a constant learning rate, every activation,
//! an upstream gradient without `lr`, and the optional keys.

use cnn_bp_core::train;

const A: f64 = 0.5;
const LR: f64 = 0.05;

fn main() {
    let d = train! {
        input: [[0.5; 6]; 5],
        layers: [
            conv { filter: [[[[1, A], [0, -1]]], [[[A; 2]; 2]]], bias: [0, A],
                   stride: (2, 1), padding: (1, 0), dilation: (1, 2), kernel: convolution },
            leaky_relu(0.1),
            conv { filter: [[[[1]], [[-1]]]], bias: 0.25 },
            sigmoid,
            conv { filter: [[1, 1]] },
            tanh,
        ],
        target: [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.1, 0.2, 0.3]]],
        loss: mse,
        lr: LR,
        steps: 3,
        show: symbolic,
        input_grad: true,
    };
    assert_eq!(d.steps().len(), 3);
    let g = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu],
        grad_output: [[1, 0], [0, 1]],
        relu_grad_at_zero: 1,
    };
    assert_eq!(g.steps()[0].input_grads()[0].0, [1, 3, 3]);
}
