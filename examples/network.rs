//! The seed question's input through a small network: a 2×2 convolution, a ReLU, and a 1×1
//! convolution. Its derivation prints what learners ask about after the single layer: `δ`
//! passed back through the second convolution as `∂L/∂x`, the full convolution of `δ` with the
//! rotated filter, entry by entry, and (with `input_grad: true`) the same for the network's
//! own input.
//!
//! Run with `cargo run --example network` (add `-- latex` or `-- markdown` for those formats).

fn main() {
    let d = cnn_bp_core::train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        layers: [
            conv { filter: [[1, -1], [1, 1]] },
            relu,
            conv { filter: [[2]] },
        ],
        target: [[1, 0], [0, 1]],
        loss: half_sse,
        lr: 0.05,
        steps: 2,
        input_grad: true,
    };
    match std::env::args().nth(1).as_deref() {
        Some("latex") => print!("{}", d.to_latex()),
        Some("markdown") => print!("{}", d.to_markdown()),
        _ => print!("{d}"),
    }
    for (name, shape, values) in d.steps()[0].named_grads() {
        println!("step 1: ∂L/∂{name} {shape:?} = {values:?}");
    }
}
