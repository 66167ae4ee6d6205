use cnn_bp_core::train;

fn main() {
    // An empty batch.
    let _ = train! {
        examples: [],
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu],
        lr: 0.5,
    };
    // `examples` that is not a list of examples.
    let _ = train! {
        examples: EXAMPLES,
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu],
    };
}
