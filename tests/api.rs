//! The core used without the macros: runtime checks give typed errors, never panics, and a
//! value that is not finite stops training with a note instead of printing NaN silently.

use cnn_bp_core::{Activation, Kernel, Layer, Loss, Params, SpecError, matrix, train};

const X: [[f64; 3]; 3] = matrix![[1, -1, 0], [0, 1, 0], [0, -1, 1]];
const T: [[f64; 2]; 2] = matrix![[1, 0], [0, 1]];
const START: Params<2, 2> = Params { filter: matrix![[1, -1], [1, 1]], bias: None };

#[test]
fn the_function_api_gives_the_macros_numbers() {
    let by_fn = train(&Layer::default(), 0.5, 2, &X, START, &T).expect("valid");
    let by_macro =
        cnn_bp_core::train! { input: X, filter: START.filter, target: T, lr: 0.5, steps: 2 };
    assert_eq!(by_fn, by_macro);
    assert_eq!(by_fn.to_string(), by_macro.to_string());
}

#[test]
fn invalid_runtime_values_are_typed_errors() {
    let layer = Layer::default();
    let err =
        |layer: &Layer, lr: f64, steps: usize| train(layer, lr, steps, &X, START, &T).unwrap_err();
    assert_eq!(err(&layer, 0.0, 1), SpecError::LearningRate(0.0));
    assert_eq!(err(&layer, -0.5, 1), SpecError::LearningRate(-0.5));
    assert!(matches!(err(&layer, f64::NAN, 1), SpecError::LearningRate(lr) if lr.is_nan()));
    assert_eq!(err(&layer, f64::INFINITY, 1), SpecError::LearningRate(f64::INFINITY));
    assert_eq!(err(&layer, 0.5, 0), SpecError::ZeroSteps);
    assert_eq!(err(&layer, 0.5, usize::MAX), SpecError::TooManySteps(usize::MAX));
    assert_eq!(
        err(&layer, 0.5, cnn_bp_core::MAX_STEPS + 1).to_string(),
        "at most 1000000 steps, not 1000001"
    );
    assert_eq!(err(&Layer { stride: (0, 1), ..layer }, 0.5, 1), SpecError::ZeroStride);
    let relu_half = Layer { activation: Activation::Relu { grad_at_zero: 0.5 }, ..layer };
    assert_eq!(err(&relu_half, 0.5, 1), SpecError::ReluGradAtZero(0.5));
    let leaky = Layer { activation: Activation::LeakyRelu { slope: -1.0 }, ..layer };
    assert_eq!(err(&leaky, 0.5, 1), SpecError::LeakySlope(-1.0));
    // Stride 2 gives a 1×1 output, not the 2×2 target.
    let stride = Layer { stride: (2, 2), ..layer };
    assert_eq!(err(&stride, 0.5, 1), SpecError::TargetShape { output: (1, 1), target: (2, 2) });
    assert_eq!(err(&stride, 0.5, 1).to_string(), "the target is 2×2 but the output is 1×1");

    let big = Params { filter: [[1.0; 4]; 4], bias: None };
    let too_large = train(&layer, 0.5, 1, &X, big, &[[0.0; 0]; 0]).unwrap_err();
    assert_eq!(
        too_large,
        SpecError::FilterTooLarge { input: (3, 3), filter: (4, 4), padding: (0, 0) }
    );
    assert_eq!(too_large.to_string(), "the 4×4 filter does not fit in the 3×3 input padded to 3×3");
}

#[test]
fn settings_can_be_built_field_by_field() {
    let layer = Layer {
        stride: (2, 1),
        padding: (1, 0),
        kernel: Kernel::Convolution,
        activation: Activation::Tanh,
        loss: Loss::Mse,
    };
    assert_eq!(layer.output_shape((3, 3), (2, 2)), Some((2, 2)));
    let d = train(&layer, 0.1, 1, &X, START, &T).expect("valid");
    assert!(d.to_string().contains("z = X ∗ W"));
}

#[test]
fn a_value_that_is_not_finite_stops_training_and_is_named() {
    let mut x = X;
    x[1][1] = f64::NAN;
    let d = train(&Layer::default(), 0.5, 3, &x, START, &T).expect("valid settings");
    assert!(d.steps().is_empty(), "no step can be taken from a NaN input");
    let text = d.to_string();
    assert!(
        text.contains("Note: x[1,1] = NaN is not a finite number, so no step can be computed."),
        "{text}"
    );

    // Overflow during training: the first infinity is named and training stops there.
    let huge = Params { filter: [[1e200, 0.0], [0.0, 1e200]], bias: None };
    let d = train(
        &Layer { activation: Activation::Linear, ..Layer::default() },
        0.5,
        5,
        &[[1e200, 1.0, 0.0]; 3],
        huge,
        &T,
    )
    .expect("valid settings");
    assert_eq!(d.steps().len(), 1);
    let text = d.to_string();
    assert!(text.contains("z[0,0] = ∞ is the first value that is not a finite number"), "{text}");
    assert!(text.contains("training stopped after step 1 of 5"), "{text}");
}

#[test]
fn output_sizes_are_none_rather_than_a_division_by_zero_or_an_overflow() {
    use cnn_bp_core::output_len;
    assert_eq!(output_len(3, 2, 0, 0), None, "stride 0");
    assert_eq!(output_len(3, 0, 1, 0), None, "kernel 0");
    assert_eq!(output_len(2, 3, 1, 0), None, "kernel larger than the input");
    // 1 + 2·(2⁶³ − 1) = usize::MAX still fits; one more row of padding does not.
    assert_eq!(output_len(1, 1, usize::MAX, usize::MAX / 2), Some(1));
    assert_eq!(output_len(1, 1, 1, usize::MAX / 2), Some(usize::MAX));
    assert_eq!(output_len(2, 1, 1, usize::MAX / 2), None);
    assert_eq!(output_len(1, 1, 1, usize::MAX), None);

    let zero = Layer { stride: (0, 1), ..Layer::default() };
    assert_eq!(zero.output_shape((3, 3), (2, 2)), None);
    let huge = Layer { padding: (usize::MAX, 0), ..Layer::default() };
    assert_eq!(huge.output_shape((3, 3), (2, 2)), None);
}

#[test]
fn padding_too_large_to_count_is_a_typed_error() {
    let err = |padding| {
        let layer = Layer { padding, ..Layer::default() };
        train(&layer, 0.5, 1, &X, START, &T).unwrap_err()
    };
    for padding in [(usize::MAX / 2, 0), (0, usize::MAX), (usize::MAX, usize::MAX)] {
        assert_eq!(err(padding), SpecError::PaddingTooLarge { input: (3, 3), padding });
        assert!(err(padding).to_string().starts_with("the padding ("), "{}", err(padding));
    }
    // Errors built by hand print without overflowing either.
    let by_hand =
        SpecError::FilterTooLarge { input: (3, 3), filter: (4, 4), padding: (usize::MAX, 0) };
    assert!(by_hand.to_string().contains(&format!("padded to {}×3", usize::MAX)));
}

#[test]
fn a_vast_padding_with_a_vast_stride_trains_and_prints() {
    // 1 + 2·2⁶² − 1 = 2⁶³ rows padded, every 2⁶²th one sampled: a 3×3 output, of which only
    // the middle entry sees the input.
    let layer = Layer {
        stride: (1 << 62, 1 << 62),
        padding: (1 << 62, 1 << 62),
        activation: Activation::Linear,
        ..Layer::default()
    };
    assert_eq!(layer.output_shape((1, 1), (1, 1)), Some((3, 3)));
    let start = Params { filter: [[2.0]], bias: None };
    let d = train(&layer, 0.5, 1, &[[3.0]], start, &[[0.0; 3]; 3]).expect("valid");
    assert_eq!(d.steps()[0].output(), [[0.0, 0.0, 0.0], [0.0, 6.0, 0.0], [0.0, 0.0, 0.0]]);
    assert!(!d.to_string().is_empty());
}

#[test]
fn the_step_functions_do_not_panic_on_a_layer_that_does_not_fit_the_shapes() {
    use cnn_bp_core::{NoTrace, Trace, backward, forward, loss, step, update};
    // The shapes of X, START and T go with stride 1 and no padding; these layers do not.
    let layers = [
        Layer { stride: (0, 0), ..Layer::default() },
        Layer { stride: (3, 2), ..Layer::default() },
        Layer { stride: (usize::MAX, usize::MAX), ..Layer::default() },
        Layer { padding: (usize::MAX, usize::MAX), ..Layer::default() },
        Layer { stride: (usize::MAX, 1), padding: (1, usize::MAX / 2), ..Layer::default() },
        Layer { kernel: Kernel::Convolution, padding: (5, 0), ..Layer::default() },
    ];
    for layer in &layers {
        let s = step(layer, &X, &START, &T, 0.5, &mut NoTrace);
        let mut trace = Trace::new(cnn_bp_core::Given {
            input: cnn_bp_core::Grid::from_array(&X),
            filter: cnn_bp_core::Grid::from_array(&START.filter),
            bias: None,
            target: cnn_bp_core::Grid::from_array(&T),
            lr: 0.5,
            steps: 1,
            layer: *layer,
        });
        let traced = step(layer, &X, &START, &T, 0.5, &mut trace);
        assert_eq!(s, traced, "{layer:?}");
        let f = forward(layer, &X, &START, &mut NoTrace);
        let l = loss(layer, &f.y, &T, &mut NoTrace);
        let g = backward::<f64, _, 3, 3, 2, 2, 2, 2>(layer, &X, &f, &T, true, &mut NoTrace);
        let _ = update(&START, &g, 0.5, &mut NoTrace);
        assert!(l.is_finite(), "{layer:?}");
    }
    // An output of another shape than the settings give: entries off the input are skipped.
    let wide = forward::<f64, _, 3, 3, 2, 2, 1, 5>(&Layer::default(), &X, &START, &mut NoTrace);
    assert_eq!(wide.z[0][3..], [0.0, 0.0]);
}

#[test]
fn the_mean_of_no_outputs_divides_by_one() {
    use cnn_bp_core::{NoTrace, Scale, loss};
    assert_eq!(Loss::Mse.scale(0), Scale::ONE);
    assert_eq!(Loss::Mse.grad_scale(0), Scale::new(2, 1));
    assert_eq!(Loss::Mse.scale(4), Scale::new(1, 4));
    let mse = Layer { loss: Loss::Mse, ..Layer::default() };
    let empty: [[f64; 0]; 0] = [];
    assert_eq!(loss(&mse, &empty, &empty, &mut NoTrace), 0.0);
    // A scale built by hand with a zero denominator divides by zero as f64 does.
    assert_eq!(Scale::new(1, 0).apply(2.0), f64::INFINITY);
}

#[test]
fn activations_pass_values_that_are_not_finite_on() {
    for f in [
        Activation::default(),
        Activation::Linear,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::LeakyRelu { slope: f64::NAN },
    ] {
        for z in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, f64::MIN_POSITIVE] {
            let y = f.apply(z);
            let _ = f.slope(z, y);
        }
        assert!(f.apply(f64::NAN).is_nan(), "{f:?}");
    }
}

#[test]
fn derivations_and_their_steps_can_be_sent_and_shared_across_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let d = train(&Layer::default(), 0.5, 30, &X, START, &T).expect("valid");
    send_sync(&d);
    send_sync(&d.steps()[0]);
    let s = d.steps()[12].clone();
    let z = std::thread::spawn(move || s.output()).join().expect("the thread");
    assert_eq!(z, d.steps()[12].output());
}
