use cnn_bp_core::train;

// Shapes the macro can count in part (rows given as constants, a filter given as a constant)
// are still checked where they contradict each other.
const R: [f64; 4] = [1.0, 2.0, 3.0, 4.0];
const W: [[f64; 2]; 2] = [[1.0, 0.0], [0.0, 1.0]];

fn main() {
    // Two rows, of a length only the type knows; a filter of three rows cannot fit.
    let _ = train! { input: [R, R], filter: [[1], [1], [1]], target: [[1, 2, 3, 4]], lr: 0.5 };
    // No filter turns two rows into three.
    let _ = train! { input: [R, R], filter: W, target: [R, R, R], lr: 0.5 };
    // Padded by 1, the two rows are four: a 3-row filter gives 2 rows, not 1.
    let _ = train! { input: [R, R], filter: [[1], [1], [1]], target: [R], lr: 0.5, padding: (1, 0) };
}
