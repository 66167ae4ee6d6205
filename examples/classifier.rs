//! A small CNN classifier, end to end (issue 11): a 3×3 convolution, a ReLU, an overlapping
//! 2×2 max pool, flatten and a dense layer to three classes, trained against class 1 with the
//! softmax cross-entropy for two steps. Its derivation prints what learners ask about after
//! ∂L/∂X: the gradient routed to each window's maximum (and where a tie sends it), the
//! flattened map's index order, `∂L/∂x = Wᵀδ` of the dense layer entry by entry, and why the
//! softmax cross-entropy's gradient is `p − t`.
//!
//! Run with `cargo run --example classifier` (add `-- latex` or `-- markdown` for those formats).

fn main() {
    let d = cnn_bp_core::train! {
        input: [[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -1, 1, 0, 1], [-1, 2, 0, 1, -1], [1, 0, 1, -1, 2]],
        layers: [
            conv { filter: [[0.5, 0, -0.5], [0, 1, 0], [-0.5, 0, 0.5]], bias: 0 },
            relu,
            max_pool { size: 2, stride: 1 },
            flatten,
            dense { weight: [[1, -1, 0, 0.5], [0, 0.5, 1, -1], [-1, 0, 0.5, 1]], bias: [0, 0, 0] },
        ],
        target: [0, 1, 0],
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 2,
    };
    match std::env::args().nth(1).as_deref() {
        Some("latex") => print!("{}", d.to_latex()),
        Some("markdown") => print!("{}", d.to_markdown()),
        _ => print!("{d}"),
    }
    for (k, s) in d.steps().iter().enumerate() {
        println!("step {}: L = {}", k + 1, s.loss());
    }
    println!("after: L = {}", d.loss_after());
}
