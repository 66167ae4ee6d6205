//! The question that started cnn-bp: a learner trained a 2×2 filter on a 3×3 input, subtracted
//! "the input convolved with the error", and the filter got worse. This prints the correct
//! derivation of that step, every entry worked out.
//!
//! Run with `cargo run --example seed_question`.

fn main() {
    let d = cnn_bp_core::train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
    };
    print!("{d}");
}
