use cnn_bp_core::train;

// `lr`, `steps` and `bias` given as constants are checked when the code is compiled, as
// literals are when the macro reads them.
const NEGATIVE: f64 = -0.5;
const HUGE: f64 = f64::INFINITY;
const NONE: usize = 0;
const TOO_MANY: usize = 1_000_000;
const UNDEFINED: f64 = f64::NAN;
const TINY: f64 = 1e-300;

fn main() {
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: NEGATIVE };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: HUGE };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: TINY * TINY };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, steps: NONE };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, steps: TOO_MANY };
    let _ = train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1, bias: UNDEFINED };
}
