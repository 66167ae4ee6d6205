//! Numeric edge cases: a diverging learning rate, values near the limits of `f64`, saturated
//! sigmoid and tanh, and runs of many steps. Each derivation must say what happened, never
//! print a NaN or an infinity without a note, keep every printed equation checkable
//! (`verify`), and stay the same size however many steps are taken.

use cnn_bp_core::{Activation, HEAD_STEPS, Layer, Loss, Params, Sym, train};

const X: [[f64; 3]; 3] = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
const W: [[f64; 2]; 2] = [[1.0, -1.0], [1.0, 1.0]];
const T: [[f64; 2]; 2] = [[1.0, 0.0], [0.0, 1.0]];

fn linear() -> Layer {
    Layer { activation: Activation::Linear, ..Layer::default() }
}

/// The same run, written out independently: valid correlation, linear, ½Σ(y − t)². Returns
/// the losses of the steps taken and the step (from 0) whose update first gives a value that
/// is not finite.
fn reference(lr: f64, steps: usize) -> (Vec<f64>, Option<usize>) {
    let mut w = W;
    let mut losses = Vec::new();
    for k in 0..steps {
        let mut z = [[0.0; 2]; 2];
        for (p, row) in z.iter_mut().enumerate() {
            for (q, z) in row.iter_mut().enumerate() {
                *z = (0..2)
                    .flat_map(|i| (0..2).map(move |j| (i, j)))
                    .map(|(i, j)| X[p + i][q + j] * w[i][j])
                    .sum();
            }
        }
        let d: Vec<f64> = (0..4).map(|n| z[n / 2][n % 2] - T[n / 2][n % 2]).collect();
        let loss = 0.5 * d.iter().map(|v| v * v).sum::<f64>();
        losses.push(loss);
        let mut grad = [[0.0; 2]; 2];
        for (i, row) in grad.iter_mut().enumerate() {
            for (j, g) in row.iter_mut().enumerate() {
                *g = (0..4).map(|n| d[n] * X[n / 2 + i][n % 2 + j]).sum();
            }
        }
        for i in 0..2 {
            for j in 0..2 {
                w[i][j] -= lr * grad[i][j];
            }
        }
        let values =
            z.iter().flatten().chain(&d).chain(grad.iter().flatten()).chain(w.iter().flatten());
        if !loss.is_finite() || values.clone().any(|v| !v.is_finite()) {
            return (losses, Some(k));
        }
    }
    (losses, None)
}

#[test]
fn a_diverging_learning_rate_says_where_the_loss_first_rose_and_where_it_stopped() {
    let (lr, steps) = (0.6, 10_000);
    let d = train(&linear(), lr, steps, &X, Params { filter: W, bias: None }, &T).expect("valid");
    let (losses, stop) = reference(lr, steps);
    let stop = stop.expect("η = 0.6 diverges on the seed");
    assert_eq!(d.steps().len(), stop + 1, "training stops after the step that overflowed");
    let ours: Vec<f64> = d.steps().iter().map(cnn_bp_core::Step::loss).collect();
    assert_eq!(ours, losses, "the same losses as the independent loop");

    let rise = d.trace().first_rise.expect("the loss rose");
    let first_rise = losses.windows(2).position(|w| w[1] > w[0]).expect("a rise") + 1;
    assert_eq!(rise.step, first_rise);
    let text = d.to_string();
    assert!(
        text.contains(&format!("with step {first_rise}'s update: the step overshot")),
        "the step where the loss first rose is named"
    );
    assert!(text.contains(&format!("training stopped after step {} of {steps}", stop + 1)));
    assert!(text.contains("is the first value that is not a finite number"));
    assert!(text.contains(&format!("Step {}\n", stop + 1)), "the last step is written out");
    d.verify().expect("every printed equation follows");
}

#[test]
fn a_rise_inside_the_steps_not_written_out_gets_a_note() {
    // Just above η = 2/λ_max ≈ 0.2918 the loss decreases for a while before the unstable
    // direction takes over: find a run whose first rise lies between the steps written out,
    // using the independent loop.
    let lr = (0..40)
        .map(|k| 0.2910 + f64::from(k) * 0.0001)
        .find(|&lr| {
            let (losses, _) = reference(lr, 200);
            let rise = losses.windows(2).position(|w| w[1] > w[0]).map(|k| k + 1);
            rise.is_some_and(|r| r > HEAD_STEPS && r < 199)
        })
        .expect("some η rises late");
    let d = train(&linear(), lr, 200, &X, Params { filter: W, bias: None }, &T).expect("valid");
    let rise = d.trace().first_rise.expect("a rise");
    let text = d.to_string();
    assert!(
        text.contains(&format!("the loss first rose at step {}", rise.step + 1)),
        "η = {lr}: {}",
        &text[text.find("Result").unwrap_or(0)..]
    );
}

#[test]
fn values_near_the_limits_of_f64_overflow_with_a_note_or_stay_exact() {
    // Largest finite values: the first sum overflows, training stops with a note.
    let big = [[f64::MAX, f64::MAX, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
    let d = train(&linear(), 0.5, 3, &big, Params { filter: W, bias: None }, &T).expect("valid");
    let text = d.to_string();
    assert!(text.contains("is the first value that is not a finite number"), "{text}");
    assert!(!text.contains("NaN") || text.contains("Note: "), "no silent NaN");
    d.verify().expect("overflows are printed with ≈");

    // The smallest subnormal and the smallest normal: nothing overflows, the arithmetic on
    // them is exact or says ≈, and every equation follows.
    let tiny = [[5e-324, f64::MIN_POSITIVE, 0.0], [0.0, 1e-300, 0.0], [0.0, -1e-300, 1.0]];
    let d = train(&linear(), 0.5, 2, &tiny, Params { filter: W, bias: Some(1e-310) }, &T)
        .expect("valid");
    assert!(d.steps().iter().all(|s| s.loss().is_finite()));
    assert!(d.to_string().contains("5·10⁻³²⁴"), "the subnormal is written with its power of ten");
    d.verify().expect("every printed equation follows");

    // A learning rate at either end of the range.
    for lr in [f64::MIN_POSITIVE, 1e300] {
        let d = train(&Layer::default(), lr, 2, &X, Params { filter: W, bias: None }, &T)
            .expect("valid");
        d.verify().unwrap_or_else(|e| panic!("η = {lr}: {e}"));
    }
}

#[test]
fn saturated_sigmoid_and_tanh_say_the_gradient_vanished() {
    for (activation, name) in [(Activation::Sigmoid, "sigmoid"), (Activation::Tanh, "tanh")] {
        // z[0,0] = 40·1 = 40: σ(40) and tanh(40) are 1 in f64, so f′ computed from y is 0.
        let x = [[40.0, 0.0], [0.0, 0.5]];
        let layer = Layer { activation, loss: Loss::HalfSse, ..Layer::default() };
        let d = train(
            &layer,
            0.5,
            1,
            &x,
            Params { filter: [[1.0]], bias: None },
            &[[0.5, 0.5], [0.5, 0.5]],
        )
        .expect("valid");
        let s = &d.steps()[0];
        assert_eq!(s.activated()[0][0], 1.0);
        assert_eq!(s.delta()[0][0], 0.0, "{name}: the derivative is lost to rounding");
        assert_ne!(s.delta()[1][1], 0.0, "{name}: an unsaturated output still has a gradient");
        let text = d.to_string();
        assert!(
            text.contains(&format!("y[0,0] = 1 exactly: {name} is saturated there")),
            "{name}: {text}"
        );
        assert!(text.contains("δ[0,0] = 0, and the gradient vanishes"), "{text}");
        d.verify().expect("every printed equation follows");
    }
}

#[test]
fn ten_thousand_steps_keep_the_trace_and_the_text_the_same_size() {
    let run = |steps| {
        train(&linear(), 0.05, steps, &X, Params { filter: W, bias: Some(0.5) }, &T).expect("valid")
    };
    let (short, long) = (run(1_000), run(10_000));
    assert_eq!(long.steps().len(), 10_000, "every step's numbers are there");
    // Recorded in full: the first HEAD_STEPS steps and the last one.
    let recorded: Vec<Option<usize>> = long.trace().steps.iter().map(|s| s.step).collect();
    let mut expected: Vec<Option<usize>> = (0..HEAD_STEPS).map(Some).collect();
    expected.push(Some(9_999));
    assert_eq!(recorded, expected);
    let equations = |d: &cnn_bp_core::Derivation<2, 2, 2, 2>| -> usize {
        d.trace().steps.iter().map(|s| s.equations.len()).sum()
    };
    assert_eq!(equations(&short), equations(&long), "the trace does not grow with the steps");
    assert!(long.trace().summary.len() <= 41, "{} summary rows", long.trace().summary.len());
    let (a, b) = (short.to_string().len(), long.to_string().len());
    assert!(b < a + a / 10, "the text does not grow with the steps: {a} and {b} bytes");

    let text = long.to_string();
    assert!(text.contains("Steps 6 to 9999\n"), "the skipped steps are said");
    assert!(text.contains("and one step in every 500)"));
    // The summary's rows are the steps' own numbers, the last row the last step.
    let last = long.trace().summary.last().expect("rows");
    assert_eq!(last.step, 9_999);
    assert_eq!(last.loss, long.steps()[9_999].loss());
    assert_eq!(last.params[..4], long.steps()[9_999].filter().concat()[..]);
    // Converged: the last written step's W is the last summary row's.
    long.verify().expect("every printed equation follows");
    let z =
        long.trace().steps.last().and_then(|s| s.equations.iter().find(|e| e.lhs == Sym::loss()));
    assert_eq!(z.map(|e| e.value), Some(long.steps()[9_999].loss()));
}
