// Forms of value that `train!` takes besides literals (issue 9, section 2): matrices as any
// `[[f64; C]; R]` expression, values forwarded by a `macro_rules!`, `lr`, `steps` and `bias` as
// constants, and a generic matrix expression whose shape is inferred from the others.
use cnn_bp_core::{Derivation, matrix, train};

const R: [f64; 3] = [1.0, 2.0, 0.5];
const A: f64 = 1.0;
const B: f64 = -1.0;
const LR: f64 = 0.5;
const N: usize = 2;
const BIAS: f64 = 0.25;

/// A matrix of zeros of whatever shape the caller's type asks for.
fn zeros<const ROWS: usize, const COLS: usize>() -> [[f64; COLS]; ROWS] {
    [[0.0; COLS]; ROWS]
}

/// Forwards its arguments as `macro_rules!` fragments, which reach `train!` inside invisible
/// groups: `$lr:literal` with `-1`-like tokens, `$x:expr` matrices, rows and numbers,
/// `$act:expr` names, `$stride:expr` tuples, `$mistakes:expr` booleans.
macro_rules! forwarded {
    ($x:expr, $row:expr, $neg:literal, $w:expr, $lr:literal, $act:expr, $stride:expr, $m:expr) => {
        train! {
            input: $x,
            filter: [$row, [$neg, $w]],
            target: [[$neg, 0], [0, 1]],
            lr: $lr,
            bias: $neg,
            activation: $act,
            stride: $stride,
            padding: ($w, $w),
            mistakes: $m,
        }
    };
}

/// Never called (the run would be long and its text huge): the 250×250 repeat type-checks.
#[allow(dead_code)]
fn large() -> Derivation<250, 250, 1, 1> {
    train! { input: [[0.5; 250]; 250], filter: [[0.5; 250]; 250], target: [[1]], lr: 1e-6 }
}

fn main() {
    // Rows as constants, rows as repeats, entries as constants (and a literal beside one):
    // the same numbers as the literals.
    let rows = train! { input: [R, R, R], filter: [[A, B], [1, A]], target: [[1.0; 2]; 2], lr: 0.1 };
    let literal = train! {
        input: [[1, 2, 0.5], [1, 2, 0.5], [1, 2, 0.5]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 1], [1, 1]],
        lr: 0.1,
    };
    assert_eq!(rows.to_string(), literal.to_string());
    let repeats =
        train! { input: [[1.0; 3], [2.0; 3], [0.5; 3]], filter: [[A, B], [1, A]], target: [[1.0; 2]; 2], lr: 0.1 };
    let literal = train! {
        input: [[1, 1, 1], [2, 2, 2], [0.5, 0.5, 0.5]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 1], [1, 1]],
        lr: 0.1,
    };
    assert_eq!(repeats.to_string(), literal.to_string());
    let integers = train! { input: [[1; 3]; 3], filter: [[1, 0], [0, 1]], target: [[2; 2]; 2], lr: 0.1 };
    assert_eq!(integers.loss_after(), 0.0);

    // `lr`, `steps` and `bias` as constants and as a constant expression.
    let d = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: LR,
        steps: N,
        bias: BIAS,
    };
    assert_eq!(d.steps().len(), 2);
    assert_eq!(d.steps()[0].bias(), Some(0.25));
    let third = train! { input: [[1]], filter: [[1]], target: [[0]], lr: 1.0 / 3.0, activation: linear };
    assert_eq!(third.filter(), [[1.0 - 1.0 / 3.0]]);

    // The target's shape comes from the input's and the filter's; the input's, at stride 1,
    // from the filter's and the target's.
    let inferred = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: zeros(),
        lr: 0.5,
    };
    assert_eq!(inferred.steps()[0].loss(), 0.5 * (9.0 + 1.0)); // y = relu(z) = [[3, 0], [0, 1]]
    let input = train! { input: zeros(), filter: [[1, 1]], target: [[0, 0, 0]], lr: 0.5 };
    assert_eq!(input.steps()[0].output(), [[0.0, 0.0, 0.0]]);

    // The names the expansion binds are its own: variables called `input`, `filter`,
    // `target` and `value` are the user's. A reference to a matrix is taken too.
    let input = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
    let filter = [[1.0, -1.0], [1.0, 1.0]];
    let target = [[1.0, 0.0], [0.0, 1.0]];
    let value = &filter;
    let named = train! { input: input, filter: *value, target: &target, lr: 0.5 };
    assert_eq!(named.loss_after(), 1.5);

    // Through a `macro_rules!`.
    let x = matrix![[1, -1, 0], [0, 1, 0], [0, -1, 1]];
    let f = forwarded!(x, [1, -1], -1, 0, 0.5, relu, (1, 1), true);
    let direct = train! {
        input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [-1, 0]],
        target: [[-1, 0], [0, 1]],
        lr: 0.5,
        bias: -1,
        activation: relu,
        stride: (1, 1),
        padding: (0, 0),
        mistakes: true,
    };
    assert_eq!(f.to_string(), direct.to_string());
    macro_rules! number {
        ($n:expr) => {
            train! { input: [[$n, 1]], filter: [[$n]], target: [[0, 0]], lr: $n, activation: leaky_relu($n), steps: 1 }
        };
    }
    let n = number!(0.5);
    assert_eq!(n.steps()[0].output(), [[0.25, 0.5]]);
}
