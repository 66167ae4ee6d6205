// An exact spec of every op that stays rational compiles, without a warning, and runs, exactly.
#![deny(warnings)]

fn main() {
    const LR: f64 = 0.25;
    const HALF: f64 = 0.5;
    let d = cnn_bp_core::train! {
        input: [[1, -1, 0, 2], [0, 1, 0, 1], [0, -1, 1, 0], [1, 0, 2, 1]],
        layers: [
            conv { filter: [[1, -1], [HALF, 1]], bias: HALF, stride: 1, padding: 1, kernel: convolution },
            leaky_relu(0.1),
            avg_pool { size: 2, stride: 1 },
            relu,
            max_pool { size: 2 },
            flatten,
            dense { weight: [[1, -0.5, 0.25, 1]], bias: [0.1] },
        ],
        target: [1],
        loss: mse,
        lr: LR,
        steps: 2,
        input_grad: true,
        check: finite_differences,
        arithmetic: exact,
    };
    d.verify().unwrap();
    let _: cnn_bp_core::Rational = d.steps()[0].loss();
}
