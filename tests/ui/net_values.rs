use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1e999, 2, 3u8], [4, 5, 6], [7, 8, 1e-400]],
        layers: [
            conv { filter: [[1, 0], [0, "1"]], stride: 0, padding: -1, dilation: (1, 0), bias: 1e309 },
            leaky_relu(-0.1),
        ],
        target: [[1, 0], [0, 1]],
        lr: 0,
        steps: 0,
        relu_grad_at_zero: 0.5,
        show: everything,
        check: finite_difference,
        mistakes: yes,
        input_grad: 1,
    };
}
