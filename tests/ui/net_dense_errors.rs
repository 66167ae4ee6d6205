use cnn_bp_core::train;

fn main() {
    // The weight's columns against what arrives, with the flatten arithmetic.
    let _ = train! {
        input: [[1, 0, 2], [0, 1, -1], [2, -1, 1]],
        layers: [
            conv { filter: [[1, 0], [0, 1]] },
            relu,
            flatten,
            dense { weight: [[1, -1, 0], [0, 1, 1]], bias: [0, 0, 0] },
        ],
        target: [1, 0],
    };
    // A map fed to dense without flatten; a 1-D weight; a misspelt key.
    let _ = train! {
        input: [[1, 0], [0, 1]],
        layers: [dense { weight: [[1, 0, 0, 1]] }, dense { weights: [1, 2] }, dense { weight: [1, 2] }],
        target: [1],
    };
    // PyTorch's name for it.
    let _ = train! {
        input: [1, 2],
        layers: [linear { weight: [[1, 0], [0, 1]] }, softmax],
        target: [1, 0],
    };
}
