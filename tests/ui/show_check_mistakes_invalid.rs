use cnn_bp_core::train;

fn main() {
    let _ = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        show: symbolc,
        check: finite_difference,
        mistakes: yes,
    };
}
