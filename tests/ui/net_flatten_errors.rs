use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [flatten { start_dim: 1 }, dense { weight: [[1, 1, 1, 1]] }],
        target: [1],
    };
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [flatten, flatten, dense { weight: [[1, 1, 1, 1]], bias: [0, 0] }],
        target: [1],
    };
}
