//! Several steps on the answer's version of the seed question: its target has a −1 that a
//! ReLU can never produce. The derivation shows the loss stall at 0.5 once the filter picks
//! out the top-left entries, and the summary table shows how each step moved it.
//!
//! Run with `cargo run --example multi_step`.

fn main() {
    let d = cnn_bp_core::train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, -1], [0, 1]],
        lr: 0.5,
        steps: 4,
    };
    print!("{d}");
    let losses: Vec<f64> = d.steps().iter().map(cnn_bp_core::Step::loss).collect();
    println!("\nlosses per step: {losses:?}, after the last update: {}", d.loss_after());
}
