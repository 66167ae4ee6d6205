//! The single layer's shorthand is trained by the ops of its network `[conv, activation]`
//! (what `train!` expands to), the run-time `train()` by the single layer's step functions:
//! over random specs of every geometry, activation, loss and kernel, with and without a bias
//! and the optional sections, the two record the same trace, equation for equation, and give
//! the same bits from every accessor. So the shorthand's derivations are the single layer's,
//! byte for byte (which the snapshots in `tests/snapshots.rs` hold too).

use cnn_bp_core::__private::{
    Convolve, Correlate, Elementwise, Form, Geometry, LeakyRelu, Linear, Orientation, Relu,
    Settings, Sigmoid, Tanh,
};
use cnn_bp_core::{Derivation, Extras, Kernel, Layer, Loss, Params, train_with};

fn value(rng: &mut fastrand::Rng) -> f64 {
    match rng.u8(0..24) {
        0..=2 => 0.0,
        3..=5 => rng.f64() * 4.0 - 2.0,
        // Now and then a value whose products overflow: the run stops where a value is not
        // finite, the same step either way.
        6 => 1e160,
        _ => f64::from(rng.i32(-8..=8)) / 4.0,
    }
}

fn matrix<const R: usize, const C: usize>(rng: &mut fastrand::Rng) -> [[f64; C]; R] {
    std::array::from_fn(|_| std::array::from_fn(|_| value(rng)))
}

/// The same bits from every accessor of every step, and the same trace.
fn same<const KH: usize, const KW: usize, const OH: usize, const OW: usize>(
    ops: &Derivation<KH, KW, OH, OW>,
    steps: &Derivation<KH, KW, OH, OW>,
    what: &str,
) {
    // Compared as printed by `Debug`, in which NaN equals NaN.
    let (a, b) = (format!("{:?}", ops.trace()), format!("{:?}", steps.trace()));
    assert!(a == b, "{what}: the traces differ:\n{a}\n{b}");
    assert_eq!(ops.to_string(), steps.to_string(), "{what}: the text");
    assert_eq!(ops.steps().len(), steps.steps().len(), "{what}");
    let bits = |v: Vec<(Vec<usize>, Vec<f64>)>| -> Vec<(Vec<usize>, Vec<u64>)> {
        v.into_iter().map(|(s, v)| (s, v.iter().map(|x| x.to_bits()).collect())).collect()
    };
    let named = |v: Vec<(String, Vec<usize>, Vec<f64>)>| -> Vec<(Vec<usize>, Vec<f64>)> {
        v.into_iter().map(|(_, s, v)| (s, v)).collect()
    };
    for (k, (a, b)) in ops.steps().iter().zip(steps.steps()).enumerate() {
        assert_eq!(a.loss().to_bits(), b.loss().to_bits(), "{what}: step {k}: the loss");
        assert_eq!(bits(a.layer_outputs()), bits(b.layer_outputs()), "{what}: step {k}");
        assert_eq!(bits(a.input_grads()), bits(b.input_grads()), "{what}: step {k}");
        assert_eq!(bits(named(a.named_grads())), bits(named(b.named_grads())), "{what}: {k}");
        let params = |v: Vec<(String, Vec<usize>, Vec<f64>)>| bits(named(v));
        assert_eq!(params(a.named_parameters()), params(b.named_parameters()), "{what}: {k}");
    }
    assert_eq!(ops.loss_after().to_bits(), steps.loss_after().to_bits(), "{what}: the final loss");
}

/// One random spec, both ways.
#[allow(clippy::too_many_arguments)]
fn both<
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    A: Elementwise<f64> + Send + Sync + 'static,
    K: Orientation + Send + Sync + Default,
>(
    rng: &mut fastrand::Rng,
    f: A,
    what: &str,
) {
    let x: [[f64; W]; H] = matrix(rng);
    let filter: [[f64; KW]; KH] = matrix(rng);
    let target: [[f64; OW]; OH] = matrix(rng);
    let bias = rng.bool().then(|| value(rng));
    let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
    let steps = [1, 3, 25][rng.usize(0..3)];
    let lr = [0.5, 0.125, 4.0][rng.usize(0..3)];
    let extras = Extras::default().finite_differences(rng.bool()).mistakes(rng.bool());
    let form = if rng.u8(0..4) == 0 { Form::Symbolic } else { Form::Numeric };
    let settings = Settings { lr, steps, loss, form };
    let ops = Geometry::<SH, SW, PH, PW>.train::<H, W, KH, KW, OH, OW, f64, A, K>(
        settings,
        (f, K::default()),
        &extras,
        &x,
        &filter,
        bias,
        &target,
    );
    let layer = Layer {
        stride: (SH, SW),
        padding: (PH, PW),
        kernel: if K::FLIP { Kernel::Convolution } else { Kernel::Correlation },
        activation: f.activation(),
        loss,
    };
    let start = Params { filter, bias };
    let steps = train_with(&layer, lr, steps, &x, start, &target, extras).expect("valid");
    same(&ops, &steps.with_form(form), what);
}

#[test]
fn the_shorthand_through_ops_is_the_single_layer_bit_for_bit() {
    let mut rng = fastrand::Rng::with_seed(104);
    for _ in 0..25 {
        both::<1, 1, 0, 0, 3, 3, 2, 2, 2, 2, _, Correlate>(&mut rng, Relu::default(), "seed, relu");
        both::<1, 1, 0, 0, 3, 3, 2, 2, 2, 2, _, Correlate>(&mut rng, Linear, "seed, linear");
        both::<1, 1, 0, 0, 4, 4, 2, 2, 3, 3, _, Convolve>(
            &mut rng,
            Sigmoid,
            "convolution, sigmoid",
        );
        both::<2, 2, 1, 1, 5, 5, 3, 3, 3, 3, _, Correlate>(&mut rng, Tanh, "stride 2, padding 1");
        both::<2, 1, 0, 1, 5, 4, 2, 3, 2, 4, _, Convolve>(
            &mut rng,
            LeakyRelu { slope: 0.125 },
            "stride (2, 1), padding (0, 1), leaky relu",
        );
        both::<1, 1, 0, 0, 3, 3, 2, 2, 2, 2, _, Correlate>(
            &mut rng,
            Relu { grad_at_zero: 1.0 },
            "relu′(0) = 1",
        );
        both::<3, 3, 2, 2, 4, 4, 3, 3, 2, 2, _, Correlate>(&mut rng, Relu::default(), "padding 2");
        // One column or one entry: a bias right after the filter's entries in the parameters.
        both::<1, 1, 0, 0, 3, 4, 2, 1, 2, 4, _, Correlate>(&mut rng, Relu::default(), "2×1 filter");
        both::<1, 1, 1, 1, 2, 2, 1, 1, 4, 4, _, Convolve>(&mut rng, Tanh, "1×1 filter, padding 1");
    }
}
