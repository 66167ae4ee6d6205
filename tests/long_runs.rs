//! Long runs and large inputs (issue 9, part 3).
//!
//! The steps a derivation does not write out run the numeric path and keep only their
//! starting parameters and loss, yet `d.steps()` still gives every number of every step: the
//! very bits the derivation printed, and the bits of a plain `step(…, &mut NoTrace)` loop. A
//! long run keeps a trace of the same size however many steps it takes. And no spec, however
//! large its input or filter, overflows the stack (test threads have 2 MiB).

// The large matrices are `const`s, as a user writes them: `train!` and `train()` borrow them.
#![allow(clippy::large_const_arrays)]

use cnn_bp_core::{
    Activation, Derivation, Expr, Extras, HEAD_STEPS, Kernel, Layer, Loss, Name, NoTrace, Params,
    Step, Sym, Trace, step, train, train_with,
};

const X: [[f64; 4]; 5] = [
    [1.0, -1.0, 0.5, 2.0],
    [0.0, 1.0, -0.5, 1.0],
    [0.5, -1.0, 1.0, 0.0],
    [2.0, 0.5, -2.0, 1.0],
    [-1.0, 0.0, 1.5, 0.5],
];
const W: [[f64; 2]; 2] = [[0.5, -0.25], [0.25, 0.5]];

/// Layers of every kind, each with the target shape it gives on `X` with a 2×2 filter.
fn layers() -> Vec<Layer> {
    let base = Layer::default();
    vec![
        base,
        Layer { activation: Activation::Sigmoid, loss: Loss::Mse, ..base },
        Layer { activation: Activation::Tanh, kernel: Kernel::Convolution, ..base },
        Layer { activation: Activation::LeakyRelu { slope: 0.1 }, loss: Loss::Sse, ..base },
        Layer { activation: Activation::Linear, stride: (2, 1), padding: (1, 0), ..base },
        Layer { stride: (1, 2), padding: (1, 1), kernel: Kernel::Convolution, ..base },
    ]
}

/// Runs `f` with the derivation of `steps` steps of `layer` from `W` (with a bias when
/// `bias`), whatever output shape the layer gives.
fn with_run(layer: &Layer, steps: usize, bias: bool, f: &mut dyn FnMut(&dyn Checked)) {
    let start = Params { filter: W, bias: bias.then_some(0.125) };
    let extras = Extras::default();
    macro_rules! shapes {
        ($(($oh:literal, $ow:literal)),*) => {
            match layer.output_shape((5, 4), (2, 2)) {
                $(Some(($oh, $ow)) => {
                    let t = [[0.25; $ow]; $oh];
                    let d = train_with(layer, 0.05, steps, &X, start, &t, extras).expect("valid");
                    f(&Run { d, layer: *layer, t, steps });
                })*
                other => panic!("no case for the output shape {other:?}"),
            }
        };
    }
    shapes!((4, 3), (3, 3), (6, 3));
}

/// What the tests check of a run, whatever its output shape.
trait Checked {
    /// Every step written out, against the values its accessors give.
    fn recorded_values_are_the_accessors(&self);
    /// Every step, against a plain loop of the public `step` with `NoTrace`.
    fn steps_are_the_numeric_paths(&self);
}

struct Run<const OH: usize, const OW: usize> {
    d: Derivation<2, 2, OH, OW>,
    layer: Layer,
    t: [[f64; OW]; OH],
    steps: usize,
}

fn bits<const R: usize, const C: usize>(m: &[[f64; C]; R]) -> Vec<u64> {
    m.iter().flatten().map(|v| v.to_bits()).collect()
}

impl<const OH: usize, const OW: usize> Checked for Run<OH, OW> {
    fn recorded_values_are_the_accessors(&self) {
        let (d, steps) = (&self.d, self.d.steps());
        let written: Vec<usize> = d.trace().steps.iter().map(|s| s.step.expect("a step")).collect();
        let mut expected: Vec<usize> = (0..HEAD_STEPS).collect();
        expected.push(self.steps - 1);
        assert_eq!(written, expected, "{:?}", self.layer);
        for section in &d.trace().steps {
            let k = section.step.expect("a step");
            let s = &steps[k];
            let (z, y, delta, grad) = (s.output(), s.activated(), s.delta(), s.filter_grad());
            // The parameters the update wrote are the next step's (or the final ones).
            let (next_w, next_b) =
                steps.get(k + 1).map_or((d.filter(), d.bias()), |n| (n.filter(), n.bias()));
            let mut seen = 0;
            for eq in &section.equations {
                let update = matches!(eq.expr, Expr::Update { .. });
                let (want, what) = match (eq.lhs.name, eq.lhs.index()) {
                    (Name::Z, Some((p, q))) => (z[p][q], "z"),
                    (Name::Y, Some((p, q))) => (y[p][q], "y"),
                    (Name::Delta, Some((p, q))) => (delta[p][q], "δ"),
                    (Name::GradW, Some((i, j))) => (grad[i][j], "∂L/∂W"),
                    (Name::GradB, _) => (s.bias_grad().expect("a bias"), "∂L/∂b"),
                    (Name::Loss, _) => (s.loss(), "L"),
                    (Name::W, Some((i, j))) if update => (next_w[i][j], "w"),
                    (Name::B, _) if update => (next_b.expect("b"), "b"),
                    _ => continue,
                };
                assert_eq!(eq.value.to_bits(), want.to_bits(), "step {k}: {what} {:?}", self.layer);
                seen += 1;
            }
            let with_bias = usize::from(s.bias().is_some());
            assert_eq!(seen, 3 * OH * OW + 2 * (4 + with_bias) + 1, "every value is compared");
        }
    }

    fn steps_are_the_numeric_paths(&self) {
        let mut params = Params { filter: W, bias: self.d.steps()[0].bias() };
        assert_eq!(self.d.steps().len(), self.steps);
        for (k, s) in self.d.steps().iter().enumerate() {
            let plain = step(&self.layer, &X, &params, &self.t, 0.05, &mut NoTrace);
            let at = |what| format!("step {k}: {what}, {:?}", self.layer);
            assert_eq!(bits(&s.filter()), bits(&params.filter), "{}", at("W"));
            assert_eq!(s.bias().map(f64::to_bits), params.bias.map(f64::to_bits), "{}", at("b"));
            assert_eq!(s.loss().to_bits(), plain.loss.to_bits(), "{}", at("L"));
            assert_eq!(bits(&s.output()), bits(&plain.forward.z), "{}", at("z"));
            assert_eq!(bits(&s.activated()), bits(&plain.forward.y), "{}", at("y"));
            assert_eq!(bits(&s.delta()), bits(&plain.grads.delta), "{}", at("δ"));
            assert_eq!(bits(&s.filter_grad()), bits(&plain.grads.filter), "{}", at("∂L/∂W"));
            assert_eq!(s.bias_grad().map(f64::to_bits), plain.grads.bias.map(f64::to_bits));
            params = plain.next;
        }
        assert_eq!(bits(&self.d.filter()), bits(&params.filter), "the final filter");
        assert_eq!(self.d.bias().map(f64::to_bits), params.bias.map(f64::to_bits));
    }
}

#[test]
fn every_step_written_out_gives_back_the_bits_it_printed() {
    for layer in layers() {
        for bias in [false, true] {
            with_run(&layer, 30, bias, &mut |run| run.recorded_values_are_the_accessors());
        }
    }
}

#[test]
fn every_step_has_the_numbers_of_the_numeric_path() {
    for layer in layers() {
        for bias in [false, true] {
            // Long enough that most steps are not written out.
            with_run(&layer, 60, bias, &mut |run| run.steps_are_the_numeric_paths());
        }
    }
}

#[test]
fn steps_are_handles_to_the_run() {
    // A step is the same size whatever the shapes: it holds no matrix of its own.
    assert_eq!(size_of::<Step<1, 1, 1, 1>>(), size_of::<Step<5, 5, 24, 24>>());
    assert_eq!(size_of::<Step<5, 5, 24, 24>>(), 2 * size_of::<usize>());
    // A step outlives its derivation, and clones and compares by its numbers.
    let t = [[0.25; 3]; 4];
    let run = || train(&Layer::default(), 0.05, 40, &X, Params { filter: W, bias: None }, &t);
    let d = run().expect("valid");
    let s = d.steps()[17].clone();
    assert_eq!(s, d.steps()[17]);
    assert_ne!(s, d.steps()[16]);
    assert_eq!(d, run().expect("valid"), "equal runs are equal derivations");
    drop(d);
    assert!(s.loss() > 0.0 && s.output()[0][0].is_finite());
    let shown = format!("{s:?}");
    assert!(shown.starts_with("Step { step: 17, filter: [["), "{shown}");
}

/// What a trace holds, counted: sections, equations, terms, summary rows and checks.
fn trace_size(t: &Trace<f64>) -> [usize; 5] {
    let equations = t.steps.iter().chain([&t.after]).flat_map(|s| &s.equations);
    let terms = equations
        .clone()
        .map(|e| match &e.expr {
            Expr::Sum { terms, .. } => terms.len(),
            _ => 1,
        })
        .sum();
    [t.steps.len(), equations.count(), terms, t.summary.len(), t.checks.len()]
}

#[test]
fn a_hundred_thousand_steps_keep_the_trace_of_ten_thousand() {
    // The seed question, linear, with a bias: small, so that 110,000 steps are quick in a
    // debug build.
    let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
    let layer = Layer { activation: Activation::Linear, ..Layer::default() };
    let extras = Extras::default().finite_differences(true).mistakes(true);
    let run = |steps| {
        let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias: Some(0.5) };
        train_with(&layer, 0.05, steps, &x, start, &[[1.0, 0.0], [0.0, 1.0]], extras)
            .expect("valid")
    };
    let (short, long) = (run(10_000), run(100_000));
    assert_eq!(long.steps().len(), 100_000, "every step is there");
    assert_eq!(trace_size(short.trace()), trace_size(long.trace()));
    let checked: Vec<usize> = long.trace().checks.iter().map(|c| c.step).collect();
    assert_eq!(checked, [0, 1, 2, 3, 4, 99_999], "every step written out is checked");
    let (a, b) = (short.to_string().len(), long.to_string().len());
    // Not byte for byte: the last step's cancellations, shown with the digits they need, differ.
    assert!(b < a + a / 10, "the text does not grow with the steps: {a} and {b} bytes");
    // The last step's numbers, recomputed, are the ones written out.
    let last = long.trace().steps.last().expect("the last step is written out");
    let loss = last.equations.iter().find(|e| e.lhs == Sym::loss()).map(|e| e.value);
    assert_eq!(loss, Some(long.steps()[99_999].loss()));
    long.verify().expect("every printed equation follows");
}

#[test]
fn a_sampled_summary_keeps_the_first_and_last_ten_steps_and_one_in_every_few() {
    // 60 steps: every third step (⌈60/20⌉ = 3) besides the first and last ten. The last ten
    // (50 to 59, from 0) include steps that are not multiples of 3: each one is a row.
    let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
    let layer = Layer { activation: Activation::Linear, ..Layer::default() };
    let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias: None };
    let d = train(&layer, 0.05, 60, &x, start, &[[1.0, 0.0], [0.0, 1.0]]).expect("valid");
    let rows: Vec<usize> = d.trace().summary.iter().map(|row| row.step).collect();
    let mut expected: Vec<usize> = (0..10).collect();
    expected.extend((10..50).filter(|k| k % 3 == 0));
    expected.extend(50..60);
    assert_eq!(rows, expected);
    for row in &d.trace().summary {
        assert_eq!(row.loss, d.steps()[row.step].loss(), "row {} is its step's", row.step);
    }
}

#[test]
fn a_value_that_stops_being_finite_between_the_steps_written_out_is_written_out() {
    // η = 0.6 diverges on this linear layer: some step far past the first five overflows.
    let layer = Layer { activation: Activation::Linear, ..Layer::default() };
    let t = [[0.25; 3]; 4];
    let extras = Extras::default().finite_differences(true);
    let start = Params { filter: W, bias: None };
    let d = train_with(&layer, 0.6, 10_000, &X, start, &t, extras).expect("valid");
    let last = d.steps().len() - 1;
    assert!(last > HEAD_STEPS && last < 9_999, "stopped at step {last}");
    let written: Vec<Option<usize>> = d.trace().steps.iter().map(|s| s.step).collect();
    assert_eq!(written.last(), Some(&Some(last)), "the step that overflowed is written out");
    let checked: Vec<usize> = d.trace().checks.iter().map(|c| c.step).collect();
    assert_eq!(checked, [0, 1, 2, 3, 4, last], "and checked");
    // Recorded when it was taken again: the same bits as the step the accessors recompute.
    let section = d.trace().steps.last().expect("a section");
    let z = d.steps()[last].output();
    for eq in section.select(|s| s.name == Name::Z) {
        let (p, q) = eq.lhs.index().expect("z[p,q]");
        assert_eq!(eq.value.to_bits(), z[p][q].to_bits());
    }
    assert!(d.trace().stopped_early);
    assert!(d.to_string().contains("is the first value that is not a finite number"));
    d.verify().expect("every printed equation follows");
}

/// A deterministic `R×C` matrix of quarters in [−1.25, 1.25], made at compile time.
const fn ramp<const R: usize, const C: usize>(seed: usize) -> [[f64; C]; R] {
    let mut m = [[0.0; C]; R];
    let mut r = 0;
    while r < R {
        let mut c = 0;
        while c < C {
            m[r][c] = ((r * 7 + c * 3 + seed) % 11) as f64 / 4.0 - 1.25;
            c += 1;
        }
        r += 1;
    }
    m
}

const X250: [[f64; 250]; 250] = ramp(0);
const T250: [[f64; 250]; 250] = ramp(5);
const W250: [[f64; 250]; 250] = ramp(3);

/// Entry `(r, c)` of a matrix an accessor returns by value, in a frame of its own: a test
/// holds one large matrix at a time.
#[inline(never)]
fn at<const R: usize, const C: usize>(
    matrix: impl FnOnce() -> [[f64; C]; R],
    r: usize,
    c: usize,
) -> f64 {
    matrix()[r][c]
}

/// A 250×250 input with a 1×1 filter: the output, δ and every matrix of a step are 250×250
/// too.
fn train_250() -> Derivation<1, 1, 250, 250> {
    cnn_bp_core::train! {
        input: X250,
        filter: [[0.5]],
        target: T250,
        lr: 0.00001,
        bias: 0.25,
        activation: linear,
        check: finite_differences,
    }
}

#[test]
fn a_250_by_250_input_through_the_macro_keeps_off_the_stack() {
    let d = train_250();
    let s = &d.steps()[0];
    // z = 0.5·x + 0.25.
    assert_eq!(at(|| s.output(), 249, 249), 0.5 * X250[249][249] + 0.25);
    assert_eq!(at(|| s.activated(), 0, 0), 0.5 * X250[0][0] + 0.25);
    assert!(at(|| s.delta(), 100, 200).is_finite());
    assert!(s.filter_grad()[0][0].is_finite() && s.bias_grad().is_some());
    assert!(d.loss_after() < s.loss());
    let text = d.to_string();
    assert!(text.contains("z[249,249] = x[249,249]·w[0,0] + b"), "every output is written out");
    assert!(text.contains("Largest difference: "));
}

#[test]
fn a_250_by_250_input_verifies() {
    // Apart from the test above, so that the two can run side by side: each takes seconds in
    // a debug build.
    train_250().verify().expect("every printed equation follows");
}

#[test]
fn a_250_by_250_filter_through_the_function_keeps_off_the_stack() {
    // The filter as large as the input: a 1×1 output, and every filter-sized matrix (the
    // parameters, ∂L/∂W, the update) 250×250.
    let start = Params { filter: W250, bias: None };
    let d = train(&Layer::default(), 1e-6, 1, &X250, start, &[[0.5]]).expect("valid");
    let s = &d.steps()[0];
    assert_eq!(at(|| s.filter(), 249, 0), W250[249][0]);
    assert!(at(|| s.filter_grad(), 0, 249).is_finite());
    assert!(at(|| d.filter(), 125, 125).is_finite());
    assert!(d.to_string().contains("w[249,249] ← "));
    d.verify().expect("every printed equation follows");
}

#[test]
fn the_mistakes_on_a_250_by_250_filter_keep_off_the_stack() {
    // Each recipe's gradient, update and forward pass at the parameters it gives.
    let start = Params { filter: W250, bias: Some(0.0) };
    let extras = Extras::default().mistakes(true);
    let layer = Layer { activation: Activation::Linear, ..Layer::default() };
    let d = train_with(&layer, 1e-6, 1, &X250, start, &[[0.5]], extras).expect("valid");
    assert_eq!(d.trace().mistakes.len(), 3);
    // The sign flip's gradient is −∂L/∂W.
    let g = d.trace().mistakes[0].section.select(|s| s == Sym::g(249, 249)).next().expect("g");
    assert_eq!(g.value, -at(|| d.steps()[0].filter_grad(), 249, 249));
}

#[test]
fn a_long_run_on_a_250_by_250_input_keeps_off_the_stack() {
    // Steps not written out run in the same heap buffers as those written out.
    let start = Params { filter: W250, bias: Some(0.0) };
    let layer = Layer { activation: Activation::Linear, ..Layer::default() };
    let d = train(&layer, 1e-7, 25, &X250, start, &[[0.5]]).expect("valid");
    assert_eq!(d.steps().len(), 25);
    assert_eq!(d.trace().steps.len(), HEAD_STEPS + 1);
    let losses: Vec<f64> = d.steps().iter().map(Step::loss).collect();
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
    assert!(at(|| d.steps()[12].filter_grad(), 3, 4).is_finite());
}

const X400: [[f64; 400]; 400] = ramp(1);
const T400: [[f64; 400]; 400] = ramp(2);

fn train_400() -> Derivation<1, 1, 400, 400> {
    let start = Params { filter: [[0.5]], bias: Some(0.25) };
    train(&Layer::default(), 1e-6, 1, &X400, start, &T400).expect("valid")
}

#[test]
fn a_400_by_400_input_trains_in_a_debug_build() {
    // Each matrix of a step is 1.25 MiB. The text and its check take a few seconds in an
    // optimized build, far longer in a debug one: see the ignored test below.
    let d = train_400();
    let s = &d.steps()[0];
    assert_eq!(at(|| s.output(), 399, 399), 0.5 * X400[399][399] + 0.25);
    assert!(at(|| s.delta(), 0, 399).is_finite());
    assert!(d.loss_after() < s.loss());
}

#[test]
#[ignore = "seconds in release, minutes in debug: cargo test --release --test long_runs -- --ignored"]
fn a_400_by_400_input_renders_and_verifies() {
    let d = train_400();
    assert!(d.to_string().contains("z[399,399] = x[399,399]·w[0,0] + b"));
    assert!(d.to_latex().len() > 1_000_000);
    d.verify().expect("every printed equation follows");
    let loss_after = d.loss_after();
    drop(d);
    let by_macro = cnn_bp_core::train! {
        input: X400, filter: [[0.5]], target: T400, lr: 0.000001, bias: 0.25,
    };
    assert_eq!(by_macro.loss_after(), loss_after);
}
