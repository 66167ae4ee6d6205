use cnn_bp_core::train;

fn main() {
    // `examples` together with the spec's own `input` and `target`.
    let _ = train! {
        input: [[1, 2], [3, 4]],
        examples: [{ input: [[1, -1], [0, 1]], target: [[1]] }],
        layers: [conv { filter: [[1, -1], [1, 1]] }],
        target: [[1]],
        lr: 0.5,
    };
    // `reduction` without `examples`.
    let _ = train! {
        input: [[1, 2], [3, 4]],
        layers: [conv { filter: [[1, -1], [1, 1]] }],
        target: [[1]],
        reduction: mean,
    };
}
