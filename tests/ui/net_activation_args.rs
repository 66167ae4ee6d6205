use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        layers: [
            conv { filter: [[1, 0], [0, 1]] },
            leaky_relu,
            relu(0.1),
            leaky_relu(0.1, 0.2),
            sigmoid { scale: 2 },
            leaky_relu { slope: 0.1 },
            tanh(),
        ],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
    };
}
