//! The printed derivations of networks (issue 10), held in insta snapshots
//! (`tests/snapshots/network_snapshots__*.snap`) in the three formats.
//!
//! Before a snapshot was accepted its numbers were checked: each printed equation against its
//! printed operands by `verify` here and by the independent checker
//! (`scripts/check_derivation.py`, run over these files by `.ci/run`), the values against JAX
//! (`tests/golden_networks.rs`), and the key numbers of each case by hand in the tests below.

use cnn_bp_core::network::{NetDerivation, Objective, train_network};
use cnn_bp_core::ops::{Activate, Chain, Conv, Convolve, Correlate, Geometry, Relu, Tanh};
use cnn_bp_core::{Form, Loss};

type Map<const C: usize, const H: usize, const W: usize> = [[[f64; W]; H]; C];
type Plain = Geometry<1, 1, 0, 0, 1, 1>;

/// The text (`name.snap`), LaTeX (`name_latex.snap`) and Markdown (`name_markdown.snap`)
/// derivations, after checking that every printed equation follows from its operands.
fn every_renderer(name: &str, d: &NetDerivation) {
    d.verify().unwrap_or_else(|e| panic!("{name}: {e}"));
    for page in [d.to_latex(), d.to_markdown()] {
        assert!(!page.contains("\\square"), "{name}: a symbol without a LaTeX form");
    }
    insta::assert_snapshot!(name, d.to_string());
    insta::assert_snapshot!(format!("{name}_latex"), d.to_latex());
    insta::assert_snapshot!(format!("{name}_markdown"), d.to_markdown());
}

fn half_sse(target: &[f64]) -> Objective<f64> {
    Objective::Loss { loss: Loss::HalfSse, target: target.to_vec() }
}

fn named(d: &NetDerivation, step: usize) -> Vec<Vec<f64>> {
    d.steps()[step].named_grads().into_iter().map(|(_, _, v)| v).collect()
}

/// The seed question's input and filter, then a ReLU, then a 1×1 convolution with weight 2,
/// against the seed's target, for two steps.
///
/// By hand: `z⁽⁰⁾ = [[3, 0], [−2, 1]]` (the seed's), `y⁽¹⁾ = [[3, 0], [0, 1]]`,
/// `z⁽²⁾ = [[6, 0], [0, 2]]`, `L = ½(5² + 1²) = 13`, `δ⁽²⁾ = [[5, 0], [0, 1]]`,
/// `∂L/∂w⁽²⁾ = 5·3 + 1·1 = 16`, `∂L/∂y⁽¹⁾ = 2·δ⁽²⁾ = [[10, 0], [0, 2]]`; the ReLU passes it
/// where `z⁽⁰⁾ > 0` (at `z⁽⁰⁾[0,1] = 0` it does not: `relu_grad_at_zero` is 0), so
/// `δ⁽⁰⁾ = [[10, 0], [0, 2]]` and `∂L/∂w⁽⁰⁾ = [[10 + 2, −10 + 0], [0 − 2, 10 + 2]]`.
#[test]
fn seed_through_two_layers() {
    type Net = Chain<
        Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, Plain, Correlate>, Activate<Relu, Map<1, 2, 2>>>,
        Conv<1, 2, 2, 1, 1, 1, 2, 2, Plain, Correlate>,
    >;
    let net: Net = Chain(Chain(Conv::new(false), Activate::new(Relu::default())), Conv::new(false));
    let x = [[[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]]];
    let start = [1.0, -1.0, 1.0, 1.0, 2.0];
    let d = train_network(net, &start, &x, half_sse(&[1.0, 0.0, 0.0, 1.0]), Some(0.05), 2)
        .expect("valid");
    assert_eq!(d.steps()[0].loss(), 13.0);
    assert_eq!(named(&d, 0), [vec![12.0, -10.0, -2.0, 12.0], vec![16.0]]);
    every_renderer("seed_through_two_layers", &d);
}

/// Two convolutions, the first with stride 2 and padding 1 (5×5 → 3×3), a ReLU between them.
///
/// By hand, the corner `z⁽⁰⁾[0,0]` sees only the input's top-left 2×2 (the rest of its window
/// is padding): `x[0,0]·w[1,1] + x[0,1]·w[1,2] + x[1,0]·w[2,1] + x[1,1]·w[2,2]`
/// `= 1·1 + 0·0 + 2·0 + 1·1 = 2`. `∂L/∂x` of the network's input is asked for (`input_grad`).
#[test]
fn two_convolutions_stride_two_padding_one() {
    type First = Conv<1, 5, 5, 1, 3, 3, 3, 3, Geometry<2, 2, 1, 1, 1, 1>, Correlate>;
    type Net = Chain<
        Chain<First, Activate<Relu, Map<1, 3, 3>>>,
        Conv<1, 3, 3, 1, 2, 2, 2, 2, Plain, Correlate>,
    >;
    let net: Net = Chain(Chain(Conv::new(false), Activate::new(Relu::default())), Conv::new(false));
    let x = [[
        [1.0, 0.0, 1.0, 2.0, 0.0],
        [2.0, 1.0, 0.0, 1.0, 1.0],
        [0.0, 1.0, 2.0, 0.0, 1.0],
        [1.0, 0.0, 1.0, 1.0, 0.0],
        [2.0, 1.0, 0.0, 0.0, 1.0],
    ]];
    #[rustfmt::skip]
    let start = [
        1.0, 0.0, -1.0,
        0.0, 1.0, 0.0,
        -1.0, 0.0, 1.0,
        1.0, -1.0, 0.5, 1.0,
    ];
    let target = half_sse(&[1.0, 0.0, 0.0, 1.0]);
    let d = cnn_bp_core::network::train_network_with(
        net,
        &start,
        &x,
        target,
        Some(0.01),
        1,
        cnn_bp_core::Extras::default().input_grad(true),
    )
    .expect("valid");
    assert_eq!(d.steps()[0].layer_outputs()[0].1[0], 2.0);
    every_renderer("two_convolutions_stride_two_padding_one", &d);
}

/// The example: two channels in, two filters with a bias each, a ReLU, then one 1×1
/// filter on the two channels; two steps.
///
/// By hand: `z⁽⁰⁾[0,0,0] = (1·1 + 0·0 + 0·0 + 1·1) + (0·1 + 1·1 + 1·0 + 0·0) + 0.5 = 3.5`,
/// `z⁽⁰⁾[1,0,0] = (1·0 + 0·1 + 0·1 + 1·0) + (0·0 + 1·0 + 1·1 + 0·1) − 0.5 = 0.5`, and the
/// 1×1 filter adds the channels: `z⁽²⁾[0,0] = 3.5 + 0.5 = 4`.
#[test]
fn two_channels_two_filters_with_bias() {
    type Net = Chain<
        Chain<Conv<2, 3, 3, 2, 2, 2, 2, 2, Plain, Correlate>, Activate<Relu, Map<2, 2, 2>>>,
        Conv<2, 2, 2, 1, 1, 1, 2, 2, Plain, Correlate>,
    >;
    let net: Net = Chain(Chain(Conv::new(true), Activate::new(Relu::default())), Conv::new(false));
    let x = [
        [[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [2.0, 0.0, 1.0]],
        [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
    ];
    #[rustfmt::skip]
    let start = [
        1.0, 0.0, 0.0, 1.0,   1.0, 1.0, 0.0, 0.0,
        0.0, 1.0, 1.0, 0.0,   0.0, 0.0, 1.0, 1.0,
        0.5, -0.5,
        1.0, 1.0,
    ];
    let d = train_network(net, &start, &x, half_sse(&[1.0, 0.0, 0.0, 1.0]), Some(0.1), 2)
        .expect("valid");
    let z = &d.steps()[0].layer_outputs()[0].1;
    assert_eq!((z[0], z[4]), (3.5, 0.5));
    assert_eq!(d.steps()[0].layer_outputs()[2].1[0], 4.0);
    every_renderer("two_channels_two_filters_with_bias", &d);
}

/// A true convolution inside a chain: a correlation, tanh, then a convolution (the filter
/// rotated by 180° as it slides), mean squared error.
///
/// By hand: the convolution's `z⁽²⁾[0,0] = Σ y⁽¹⁾[i,j]·w⁽²⁾[2 − i, 2 − j]`, so its filter
/// gradient is the input correlated with δ, then rotated: `∂L/∂w⁽²⁾[2,2] = δ⁽²⁾·y⁽¹⁾[0,0]`
/// for its single output, with `δ⁽²⁾ = 2·(z⁽²⁾ − t)` (the mean of one square).
#[test]
fn true_convolution_in_a_chain() {
    type Net = Chain<
        Chain<Conv<1, 4, 4, 1, 2, 2, 3, 3, Plain, Correlate>, Activate<Tanh, Map<1, 3, 3>>>,
        Conv<1, 3, 3, 1, 3, 3, 1, 1, Plain, Convolve>,
    >;
    let net: Net = Chain(Chain(Conv::new(false), Activate::new(Tanh)), Conv::new(true));
    let x = [[
        [0.5, -0.5, 0.0, 1.0],
        [0.0, 0.5, 1.0, -0.5],
        [1.0, 0.0, -0.5, 0.5],
        [-0.5, 1.0, 0.5, 0.0],
    ]];
    #[rustfmt::skip]
    let start = [
        1.0, 0.0, 0.0, -1.0,
        1.0, 0.0, -1.0, 0.5, 1.0, 0.0, -0.5, 0.0, 1.0,
        0.0,
    ];
    let target = Objective::Loss { loss: Loss::Mse, target: vec![0.5] };
    let d = train_network(net, &start, &x, target, Some(0.5), 1).expect("valid");
    let s = &d.steps()[0];
    let y = &s.layer_outputs()[1].1;
    let delta = 2.0 * (s.layer_outputs()[2].1[0] - 0.5);
    assert_eq!(s.named_grads()[1].2[8], delta * y[0]);
    every_renderer("true_convolution_in_a_chain", &d);
}

/// A published upstream-gradient example, no learning rate: prof.lexailabs.com, "Conv2D
/// backward (dx, dW)", example 1 (`x = arange(16)` as 4×4, `W = [[1, 2], [3, 4]]`, an upstream
/// gradient of 1 at output (0,0) only). Its published answer: `dW = [[0, 1], [4, 5]]`, and
/// `dx` is `W` on the top-left 2×2 and 0 elsewhere.
#[test]
fn published_upstream_gradient() {
    type Net = Conv<1, 4, 4, 1, 2, 2, 3, 3, Plain, Correlate>;
    let x: Map<1, 4, 4> = [std::array::from_fn(|i| std::array::from_fn(|j| (4 * i + j) as f64))];
    let mut g = vec![0.0; 9];
    g[0] = 1.0;
    let d = train_network(
        Net::new(false),
        &[1.0, 2.0, 3.0, 4.0],
        &x,
        Objective::GradOutput(g),
        None,
        1,
    )
    .expect("valid");
    let s = &d.steps()[0];
    assert_eq!(s.named_grads()[0].2, [0.0, 1.0, 4.0, 5.0]);
    #[rustfmt::skip]
    let dx = [
        1.0, 2.0, 0.0, 0.0,
        3.0, 4.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
    ];
    assert_eq!(s.input_grads()[0].1, dx);
    every_renderer("published_upstream_gradient", &d);
}

/// Three layers with the ReLU in the middle dead: every input to it is negative, so nothing
/// flows back to the first convolution, whose gradient is zero.
#[test]
fn dead_relu_in_the_middle() {
    type Net = Chain<
        Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, Plain, Correlate>, Activate<Relu, Map<1, 2, 2>>>,
        Conv<1, 2, 2, 1, 2, 2, 1, 1, Plain, Correlate>,
    >;
    let net: Net = Chain(Chain(Conv::new(true), Activate::new(Relu::default())), Conv::new(true));
    let x = [[[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 2.0]]];
    // The first layer's bias −5 puts every z⁽⁰⁾ below 0.
    let start = [1.0, 0.5, 0.5, 1.0, -5.0, 1.0, -1.0, 0.5, 1.0, 0.25];
    let d = train_network(net, &start, &x, half_sse(&[1.0]), Some(0.5), 1).expect("valid");
    let grads = named(&d, 0);
    assert_eq!(grads[0], [0.0; 4]);
    assert_eq!(grads[1], [0.0]);
    // Only the last bias moves: z⁽²⁾ = 0.25, δ⁽²⁾ = 0.25 − 1.
    assert_eq!(grads[3], [-0.75]);
    every_renderer("dead_relu_in_the_middle", &d);
}

/// The seed network of [`seed_through_two_layers`] with its equations symbols first.
#[test]
fn seed_through_two_layers_symbolic() {
    type Net = Chain<
        Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, Plain, Correlate>, Activate<Relu, Map<1, 2, 2>>>,
        Conv<1, 2, 2, 1, 1, 1, 2, 2, Plain, Correlate>,
    >;
    let net: Net = Chain(Chain(Conv::new(false), Activate::new(Relu::default())), Conv::new(false));
    let x = [[[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]]];
    let start = [1.0, -1.0, 1.0, 1.0, 2.0];
    let d = train_network(net, &start, &x, half_sse(&[1.0, 0.0, 0.0, 1.0]), Some(0.05), 1)
        .expect("valid")
        .with_form(Form::Symbolic);
    every_renderer("seed_through_two_layers_symbolic", &d);
}

/// The mistakes section of a two-layer network (two filters in each convolution, a bias in
/// each), with the finite-difference check of every parameter and input entry.
///
/// By hand: averaging the bias gradient divides each by the positions of its layer
/// (9 in the first, 4 in the second), and keeping the last filter's part of `∂L/∂y⁽¹⁾`
/// drops filter 0's terms from every entry.
#[test]
fn mistakes_and_check_of_two_layers() {
    type Net = Chain<
        Chain<Conv<1, 4, 4, 2, 2, 2, 3, 3, Plain, Correlate>, Activate<Relu, Map<2, 3, 3>>>,
        Conv<2, 3, 3, 2, 2, 2, 2, 2, Plain, Correlate>,
    >;
    let net: Net = Chain(Chain(Conv::new(true), Activate::new(Relu::default())), Conv::new(true));
    let x = [[
        [1.0, 0.0, -1.0, 0.5],
        [0.0, 1.0, 0.5, 0.0],
        [-0.5, 0.0, 1.0, 1.0],
        [1.0, 0.5, 0.0, -1.0],
    ]];
    #[rustfmt::skip]
    let start = [
        1.0, 0.0, 0.0, 1.0,   0.5, -1.0, 1.0, 0.0,
        0.25, -0.25,
        1.0, 0.0, 0.0, 0.5,   0.0, 1.0, -0.5, 0.0,
        0.5, 0.0, 1.0, 0.0,   0.0, 0.5, 0.0, 1.0,
        0.0, -0.5,
    ];
    let target = half_sse(&[1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
    let extras = cnn_bp_core::Extras::default().mistakes(true).finite_differences(true);
    let d =
        cnn_bp_core::network::train_network_with(net, &start, &x, target, Some(0.02), 1, extras)
            .expect("valid");
    let correct = named(&d, 0);
    let mistakes = d.mistakes();
    assert_eq!(mistakes.len(), 3);
    // The mean bias recipe: each bias gradient is the correct one over its positions.
    let bias = |m: &cnn_bp_core::network::NetMistake<f64>, layer: u16| -> Vec<f64> {
        m.pass
            .equations
            .iter()
            .filter(|e| e.lhs.name == cnn_bp_core::Name::GradB && e.lhs.layer == layer)
            .map(|e| e.value)
            .collect()
    };
    let mean = &mistakes[1];
    assert_eq!(bias(mean, 0), correct[1].iter().map(|g| g / 9.0).collect::<Vec<_>>());
    assert_eq!(bias(mean, 2), correct[3].iter().map(|g| g / 4.0).collect::<Vec<_>>());
    // Every compared entry of the check agrees with backpropagation.
    let check = &d.checks()[0];
    assert_eq!(check.entries.len(), start.len() + 16);
    assert!(check.entries.iter().all(|e| e.kink.is_none() && e.difference < 1e-6));
    every_renderer("mistakes_and_check_of_two_layers", &d);
}
