use cnn_bp_core::train;

fn main() {
    // Every error of a batch at once: an example out of braces, a missing input, a missing
    // target, an example with `loss`, a misspelt key, upstream gradients mixed with targets,
    // an unknown reduction.
    let _ = train! {
        examples: [
            [[1, 2], [3, 4]],
            { target: [[1]] },
            { input: [[1, 2], [3, 4]] },
            { input: [[1, 2], [3, 4]], target: [[1]], loss: mse },
            { input: [[1, 2], [3, 4]], taget: [[1]] },
            { input: [[1, 2], [3, 4]], grad_output: [[1]] },
            { input: [[1, 2], [3, 4]], target: [[1]], target: [[0]] },
        ],
        layers: [conv { filter: [[1, -1], [1, 1]] }],
        reduction: average,
        lr: 0.5,
    };
    // A batch with neither `layers` nor a single layer's `filter`, and one whose single layer
    // lacks its filter.
    let _ = train! {
        examples: [{ input: [[1, 2], [3, 4]], target: [[1]] }],
        lr: 0.5,
    };
    let _ = train! {
        examples: [{ input: [[1, 2], [3, 4]], target: [[1]] }],
        bias: 0.5,
        activation: relu,
    };
    // A single layer's keys beside `layers`.
    let _ = train! {
        examples: [{ input: [[1, 2], [3, 4]], target: [[1]] }],
        layers: [conv { filter: [[1, -1], [1, 1]] }],
        activation: relu,
    };
}
