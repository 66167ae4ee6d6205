//! Networks of ops (issue 10): a single layer as a network computes the very bits of the
//! single-layer core (which `tests/golden_jax.rs` checks against JAX), and over random networks
//! of up to four layers, with channels, filters, stride, padding, dilation, both kernel
//! orientations, every activation and every objective, every parameter gradient and `∂L/∂X`
//! agree with central finite differences of the loss; and so over random networks with the
//! pools, flatten, dense layers and the softmax cross-entropy of issue 11.

use cnn_bp_core::network::{NetDerivation, NetStep, Objective, train_network, train_network_with};
use cnn_bp_core::ops::{
    Activate, AvgPool, Chain, Conv, Convolve, Correlate, Dense, Elementwise, Flatten, Geometry,
    LeakyRelu, MaxPool, Op, Orientation, Relu, Sigmoid, Tanh, Tensor,
};
use cnn_bp_core::{Activation, Extras, Kernel, Layer, Loss, Params, train};

type Map<const C: usize, const H: usize, const W: usize> = [[[f64; W]; H]; C];

fn value(rng: &mut fastrand::Rng) -> f64 {
    // Halves and quarters mostly (exact arithmetic, as the golden cases), some long ones.
    if rng.u8(0..4) == 0 { rng.f64() * 4.0 - 2.0 } else { f64::from(rng.i32(-8..=8)) / 4.0 }
}

fn values(rng: &mut fastrand::Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| value(rng)).collect()
}

/// A single layer as a network: a 2×2 filter on a 4×4 input, then an activation.
type Single<A, K> =
    Chain<Conv<1, 4, 4, 1, 2, 2, 3, 3, Geometry<1, 1, 0, 0, 1, 1>, K>, Activate<A, Map<1, 3, 3>>>;

/// The single-layer core's numbers and the network's, for one spec: they must be the same bits.
fn same_as_single_layer<
    A: Elementwise<f64> + Send + Sync + 'static,
    K: Orientation + Send + Sync + 'static,
>(
    rng: &mut fastrand::Rng,
    f: A,
    activation: Activation,
    kernel: Kernel,
) {
    const X: usize = 4;
    let x: [[f64; X]; X] = std::array::from_fn(|_| std::array::from_fn(|_| value(rng)));
    let w: [[f64; 2]; 2] = std::array::from_fn(|_| std::array::from_fn(|_| value(rng)));
    let t: [[f64; 3]; 3] = std::array::from_fn(|_| std::array::from_fn(|_| value(rng)));
    let bias = rng.bool().then(|| value(rng));
    let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
    let layer = Layer { activation, loss, kernel, ..Layer::default() };
    let single = train(&layer, 0.125, 3, &x, Params { filter: w, bias }, &t).expect("valid");

    let net: Single<A, K> = Chain(Conv::new(bias.is_some()), Activate::new(f));
    let mut start: Vec<f64> = w.iter().flatten().copied().collect();
    start.extend(bias);
    let target = Objective::Loss { loss, target: t.iter().flatten().copied().collect() };
    let d = train_network(net, &start, &[x], target, Some(0.125), 3).expect("valid");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (k, (a, b)) in single.steps().iter().zip(d.steps()).enumerate() {
        assert_eq!(a.loss().to_bits(), b.loss().to_bits(), "step {k}: loss");
        let outputs = b.layer_outputs();
        assert_eq!(bits(&a.output().concat()), bits(&outputs[0].1), "step {k}: z");
        assert_eq!(bits(&a.activated().concat()), bits(&outputs[1].1), "step {k}: y");
        let grads = b.named_grads();
        assert_eq!(bits(&a.filter_grad().concat()), bits(&grads[0].2), "step {k}: ∂L/∂W");
        if let Some(g) = a.bias_grad() {
            assert_eq!(bits(&[g]), bits(&grads[1].2), "step {k}: ∂L/∂b");
        }
        assert_eq!(bits(&a.delta().concat()), bits(&b.input_grads()[1].1), "step {k}: δ");
    }
    // The contract accessors: the same names, shapes and bits either way.
    let same = |a: Vec<(Vec<usize>, Vec<f64>)>, b: Vec<(Vec<usize>, Vec<f64>)>, what: &str| {
        assert_eq!(a.len(), b.len(), "{what}");
        for ((sa, va), (sb, vb)) in a.into_iter().zip(b) {
            assert_eq!((sa, bits(&va)), (sb, bits(&vb)), "{what}");
        }
    };
    let unnamed = |v: Vec<(String, Vec<usize>, Vec<f64>)>| -> Vec<(Vec<usize>, Vec<f64>)> {
        v.into_iter().map(|(_, s, v)| (s, v)).collect()
    };
    for (a, b) in single.steps().iter().zip(d.steps()) {
        let names = |v: &[(String, Vec<usize>, Vec<f64>)]| {
            v.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
        };
        assert_eq!(names(&a.named_parameters()), names(&b.named_parameters()));
        same(unnamed(a.named_parameters()), unnamed(b.named_parameters()), "named_parameters");
        same(unnamed(a.named_grads()), unnamed(b.named_grads()), "named_grads");
        same(a.layer_outputs(), b.layer_outputs(), "layer_outputs");
        same(a.input_grads(), b.input_grads(), "input_grads");
    }
    same(unnamed(single.named_parameters()), unnamed(d.named_parameters()), "final parameters");
    let after = d.named_parameters();
    assert_eq!(bits(&single.filter().concat()), bits(&after[0].2), "the final filter");
    assert_eq!(single.loss_after().to_bits(), d.loss_after().to_bits(), "the final loss");
}

#[test]
fn a_single_layer_as_a_network_computes_the_same_bits() {
    let mut rng = fastrand::Rng::with_seed(10);
    let (c, v) = (Kernel::Correlation, Kernel::Convolution);
    for _ in 0..50 {
        same_as_single_layer::<_, Correlate>(&mut rng, Relu::default(), Activation::default(), c);
        same_as_single_layer::<_, Convolve>(&mut rng, Relu::default(), Activation::default(), v);
        let leaky = Activation::LeakyRelu { slope: 0.1 };
        same_as_single_layer::<_, Correlate>(&mut rng, LeakyRelu { slope: 0.1 }, leaky, c);
        same_as_single_layer::<_, Convolve>(&mut rng, Sigmoid, Activation::Sigmoid, v);
        same_as_single_layer::<_, Correlate>(&mut rng, Tanh, Activation::Tanh, c);
    }
}

/// The loss at `params`, one pass without an update.
fn loss_at<N: Op<f64> + Clone + Send + Sync + 'static>(
    net: &N,
    params: &[f64],
    x: &N::In,
    objective: &Objective<f64>,
) -> f64 {
    let d: NetDerivation =
        train_network(net.clone(), params, x, objective.clone(), None, 1).expect("valid");
    d.steps()[0].loss()
}

/// Every parameter gradient and `∂L/∂X` of one random spec against central differences.
/// Returns whether it was compared (a spec near a relu kink is not).
fn check<N>(rng: &mut fastrand::Rng, net: &N, kinked: bool, what: &str) -> bool
where
    N: Op<f64> + Clone + Send + Sync + 'static,
    N::In: Clone,
{
    let near_zero = |_: &[f64], s: &NetStep| {
        s.layer_outputs().iter().any(|(_, v)| v.iter().any(|z| z.abs() < 1e-3))
    };
    let never = |_: &[f64], _: &NetStep| false;
    check_with(rng, net, (value, false), if kinked { &near_zero } else { &never }, what)
}

/// [`check`] with the values drawn by `draw`, a softmax cross-entropy objective where
/// `softmax` (else a squared loss or an upstream gradient), and `kinked` saying whether a
/// step's values are within reach of a kink (a ReLU's 0, a tie for a window's maximum).
fn check_with<N>(
    rng: &mut fastrand::Rng,
    net: &N,
    (draw, softmax): (fn(&mut fastrand::Rng) -> f64, bool),
    kinked: &dyn Fn(&[f64], &NetStep) -> bool,
    what: &str,
) -> bool
where
    N: Op<f64> + Clone + Send + Sync + 'static,
    N::In: Clone,
{
    let params: Vec<f64> = (0..net.params_len()).map(|_| draw(rng)).collect();
    let xs: Vec<f64> = (0..<N::In as Tensor<f64>>::LEN).map(|_| draw(rng)).collect();
    let x: &N::In = <N::In as Tensor<f64>>::view(&xs);
    let outputs = <N::Out as Tensor<f64>>::LEN;
    let objective = if softmax {
        // One-hot now and then, else soft: positive weights normalised.
        let target = if rng.bool() {
            let k = rng.usize(0..outputs);
            (0..outputs).map(|j| if j == k { 1.0 } else { 0.0 }).collect()
        } else {
            let w: Vec<f64> = (0..outputs).map(|_| rng.f64() + 0.01).collect();
            let sum: f64 = w.iter().sum();
            w.iter().map(|w| w / sum).collect()
        };
        Objective::SoftmaxCrossEntropy { target }
    } else if rng.u8(0..4) == 0 {
        Objective::GradOutput(values(rng, outputs))
    } else {
        let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
        Objective::Loss { loss, target: values(rng, outputs) }
    };
    let d = train_network(net.clone(), &params, x, objective.clone(), None, 1).expect("valid");
    let s = &d.steps()[0];
    // Within reach of a kink, a central difference measures neither side's derivative.
    let h = 1e-6;
    if kinked(&xs, s) {
        return false;
    }
    let grads: Vec<f64> = s.named_grads().into_iter().flat_map(|(_, _, g)| g).collect();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * (1.0 + a.abs().max(b.abs()));
    for k in 0..params.len() {
        let (mut up, mut down) = (params.clone(), params.clone());
        up[k] += h;
        down[k] -= h;
        let central =
            (loss_at(net, &up, x, &objective) - loss_at(net, &down, x, &objective)) / (2.0 * h);
        assert!(close(grads[k], central), "{what}: parameter {k}: {} vs {central}", grads[k]);
    }
    let dx = &s.input_grads()[0].1;
    for k in 0..xs.len() {
        let (mut up, mut down) = (xs.clone(), xs.clone());
        up[k] += h;
        down[k] -= h;
        let (xu, xd) = (<N::In as Tensor<f64>>::view(&up), <N::In as Tensor<f64>>::view(&down));
        let central = (loss_at(net, &params, xu, &objective)
            - loss_at(net, &params, xd, &objective))
            / (2.0 * h);
        assert!(close(dx[k], central), "{what}: ∂L/∂x[{k}]: {} vs {central}", dx[k]);
    }
    true
}

type G<const S: usize, const P: usize, const D: usize> = Geometry<S, S, P, P, D, D>;

// Networks of every kind: channels and filters, stride, padding, dilation, orientations.
type Net1 = Chain<
    Chain<Conv<1, 5, 5, 2, 3, 3, 5, 5, G<1, 1, 1>, Correlate>, Activate<Relu, Map<2, 5, 5>>>,
    Conv<2, 5, 5, 1, 2, 2, 4, 4, G<1, 0, 1>, Correlate>,
>;
type Net2 = Chain<
    Conv<2, 5, 4, 3, 2, 2, 2, 3, Geometry<2, 2, 0, 1, 1, 1>, Convolve>,
    Activate<Tanh, Map<3, 2, 3>>,
>;
type Net3 = Chain<
    Chain<Conv<1, 7, 7, 1, 3, 3, 3, 3, G<1, 0, 2>, Correlate>, Activate<Sigmoid, Map<1, 3, 3>>>,
    Conv<1, 3, 3, 2, 1, 1, 3, 3, G<1, 0, 1>, Convolve>,
>;
type Net4 = Chain<
    Chain<Conv<3, 4, 4, 2, 2, 2, 3, 3, G<1, 0, 1>, Convolve>, Activate<LeakyRelu, Map<2, 3, 3>>>,
    Chain<Conv<2, 3, 3, 2, 2, 2, 2, 2, G<2, 1, 1>, Correlate>, Activate<Relu, Map<2, 2, 2>>>,
>;
type Net5 = Conv<2, 6, 5, 2, 3, 2, 2, 2, Geometry<2, 3, 1, 0, 2, 1>, Correlate>;

#[test]
fn every_gradient_of_random_networks_against_finite_differences() {
    let mut rng = fastrand::Rng::with_seed(1010);
    let (mut compared, mut specs) = (0, 0);
    while compared < 1_000 {
        specs += 1;
        let bias = rng.bool();
        let ok = match specs % 5 {
            0 => {
                let net: Net1 =
                    Chain(Chain(Conv::new(bias), Activate::new(Relu::default())), Conv::new(bias));
                check(&mut rng, &net, true, "conv 3×3 padding 1, relu, conv 2×2")
            }
            1 => {
                let net: Net2 = Chain(Conv::new(bias), Activate::new(Tanh));
                check(
                    &mut rng,
                    &net,
                    false,
                    "2 channels, 3 filters, stride 2, true convolution, tanh",
                )
            }
            2 => {
                let net: Net3 =
                    Chain(Chain(Conv::new(bias), Activate::new(Sigmoid)), Conv::new(bias));
                check(&mut rng, &net, false, "dilation 2, sigmoid, 1×1 true convolution")
            }
            3 => {
                let net: Net4 = Chain(
                    Chain(Conv::new(bias), Activate::new(LeakyRelu { slope: 0.1 })),
                    Chain(Conv::new(bias), Activate::new(Relu::default())),
                );
                check(
                    &mut rng,
                    &net,
                    true,
                    "four layers: 3 channels, leaky relu, stride 2 padding 1, relu",
                )
            }
            _ => {
                let net: Net5 = Conv::new(bias);
                check(&mut rng, &net, false, "one conv, stride (2, 3), dilation (2, 1)")
            }
        };
        compared += usize::from(ok);
        assert!(specs < 3 * 1_000, "too many specs near a kink: {specs}");
    }
    assert_eq!(compared, 1_000);
}

/// Whether some window of a max pool over `map` (`[C, H, W]`, row-major) has its two largest
/// entries within `1e-3`: a move of `±h` could change which one is the maximum.
fn near_tie(
    map: &(Vec<usize>, Vec<f64>),
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
) -> bool {
    let (shape, v) = map;
    let (c, h, w) = (shape[0], shape[1], shape[2]);
    let (oh, ow) = ((h - kh) / sh + 1, (w - kw) / sw + 1);
    (0..c).any(|c| {
        (0..oh).any(|p| {
            (0..ow).any(|q| {
                let mut window: Vec<f64> = (0..kh * kw)
                    .map(|k| v[(c * h + p * sh + k / kw) * w + q * sw + k % kw])
                    .collect();
                window.sort_by(|a, b| b.total_cmp(a));
                window.len() > 1 && window[0] - window[1] < 1e-3
            })
        })
    })
}

fn uniform(rng: &mut fastrand::Rng) -> f64 {
    rng.f64() * 4.0 - 2.0
}

// The ops of "Networks II" among convolutions and activations.
type Class1 = Chain<
    Chain<
        Chain<Conv<1, 6, 6, 2, 3, 3, 4, 4, G<1, 0, 1>, Correlate>, Activate<Relu, Map<2, 4, 4>>>,
        MaxPool<2, 4, 4, 2, 2, 2, 2, 2, 2>,
    >,
    Chain<Flatten<2, 2, 2, 8>, Dense<8, 3>>,
>;
type Class2 = Chain<
    Chain<
        Chain<Conv<2, 5, 5, 2, 2, 2, 4, 4, G<1, 0, 1>, Convolve>, Activate<Tanh, Map<2, 4, 4>>>,
        AvgPool<2, 4, 4, 2, 2, 1, 1, 3, 3>,
    >,
    Chain<Chain<Flatten<2, 3, 3, 18>, Dense<18, 4>>, Activate<Sigmoid, [f64; 4]>>,
>;
type Class3 = Chain<
    Chain<
        Chain<Dense<4, 3>, Activate<Tanh, [f64; 3]>>,
        Chain<Dense<3, 3>, Activate<LeakyRelu, [f64; 3]>>,
    >,
    Dense<3, 2>,
>;
type Class4 = Chain<Chain<MaxPool<2, 8, 8, 3, 3, 2, 2, 3, 3>, Flatten<2, 3, 3, 18>>, Dense<18, 3>>;
type Class5 = Chain<
    Chain<AvgPool<1, 5, 7, 2, 3, 1, 2, 4, 3>, Conv<1, 4, 3, 2, 2, 2, 3, 2, G<1, 0, 1>, Correlate>>,
    Chain<Flatten<2, 3, 2, 12>, Dense<12, 2>>,
>;

#[test]
fn every_gradient_of_random_classifiers_against_finite_differences() {
    let mut rng = fastrand::Rng::with_seed(1111);
    let (mut compared, mut specs) = (0, 0);
    let softmax = |rng: &mut fastrand::Rng| rng.u8(0..3) > 0;
    while compared < 1_000 {
        specs += 1;
        let bias = rng.bool();
        let ok = match specs % 5 {
            0 => {
                let net: Class1 = Chain(
                    Chain(Chain(Conv::new(bias), Activate::new(Relu::default())), MaxPool::new()),
                    Chain(Flatten, Dense::new(bias)),
                );
                let kinked = |_: &[f64], s: &NetStep| {
                    let out = s.layer_outputs();
                    out[0].1.iter().any(|z| z.abs() < 1e-3) || near_tie(&out[1], (2, 2), (2, 2))
                };
                check_with(
                    &mut rng,
                    &net,
                    (uniform, true),
                    &kinked,
                    "conv, relu, max pool, flatten, dense",
                )
            }
            1 => {
                let net: Class2 = Chain(
                    Chain(Chain(Conv::new(bias), Activate::new(Tanh)), AvgPool::new()),
                    Chain(Chain(Flatten, Dense::new(bias)), Activate::new(Sigmoid)),
                );
                let sm = softmax(&mut rng);
                check_with(
                    &mut rng,
                    &net,
                    (uniform, sm),
                    &|_, _| false,
                    "2 channels, tanh, overlapping avg pool, dense, sigmoid",
                )
            }
            2 => {
                let net: Class3 = Chain(
                    Chain(
                        Chain(Dense::new(bias), Activate::new(Tanh)),
                        Chain(Dense::new(bias), Activate::new(LeakyRelu { slope: 0.1 })),
                    ),
                    Dense::new(bias),
                );
                let kinked =
                    |_: &[f64], s: &NetStep| s.layer_outputs()[2].1.iter().any(|z| z.abs() < 1e-3);
                let sm = softmax(&mut rng);
                check_with(
                    &mut rng,
                    &net,
                    (uniform, sm),
                    &kinked,
                    "an MLP: dense, tanh, dense, leaky relu, dense",
                )
            }
            3 => {
                let net: Class4 = Chain(Chain(MaxPool::new(), Flatten), Dense::new(bias));
                // The pool's input is the network's own.
                let kinked =
                    |x: &[f64], _: &NetStep| near_tie(&(vec![2, 8, 8], x.to_vec()), (3, 3), (2, 2));
                check_with(
                    &mut rng,
                    &net,
                    (uniform, true),
                    &kinked,
                    "max pool 3×3 stride 2 with a floor on 2 channels, dense",
                )
            }
            _ => {
                let net: Class5 =
                    Chain(Chain(AvgPool::new(), Conv::new(bias)), Chain(Flatten, Dense::new(bias)));
                let sm = softmax(&mut rng);
                check_with(
                    &mut rng,
                    &net,
                    (uniform, sm),
                    &|_, _| false,
                    "avg pool (2, 3) stride (1, 2), conv, flatten, dense",
                )
            }
        };
        compared += usize::from(ok);
        assert!(specs < 3 * 1_000, "too many specs near a kink: {specs}");
    }
    assert_eq!(compared, 1_000);
}

/// The derivation's own check (`check: finite_differences`) of one random spec: one entry per
/// parameter and per input entry, each close to backpropagation's value unless it is marked
/// near a kink, and marked only where some layer's output is within reach of 0.
fn own_check<N>(rng: &mut fastrand::Rng, net: &N, what: &str)
where
    N: Op<f64> + Clone + Send + Sync + 'static,
{
    let params = values(rng, net.params_len());
    let xs = values(rng, <N::In as Tensor<f64>>::LEN);
    let x: &N::In = <N::In as Tensor<f64>>::view(&xs);
    let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
    let objective = Objective::Loss { loss, target: values(rng, <N::Out as Tensor<f64>>::LEN) };
    let extras = Extras::default().finite_differences(true);
    let d = train_network_with(net.clone(), &params, x, objective, Some(0.125), 2, extras)
        .expect("valid");
    assert_eq!(d.checks().len(), 2, "{what}: a check per step written out");
    for (check, step) in d.checks().iter().zip(d.steps()) {
        assert_eq!(check.entries.len(), params.len() + xs.len(), "{what}");
        let near_zero = step.layer_outputs().iter().any(|(_, v)| v.iter().any(|z| z.abs() < 1e-4));
        for e in &check.entries {
            if e.kink.is_some() {
                assert!(near_zero, "{what}: {:?} marked near a kink", e.grad.sym);
            } else {
                let scale = 1.0 + e.grad.value.abs().max(e.central.abs());
                assert!(e.difference <= 1e-5 * scale, "{what}: {:?}: {e:?}", e.grad.sym);
            }
        }
    }
}

#[test]
fn the_derivations_own_check_agrees_with_backpropagation() {
    let mut rng = fastrand::Rng::with_seed(1011);
    for k in 0..100 {
        let bias = rng.bool();
        match k % 3 {
            0 => {
                let net: Net1 =
                    Chain(Chain(Conv::new(bias), Activate::new(Relu::default())), Conv::new(bias));
                own_check(&mut rng, &net, "conv, relu, conv");
            }
            1 => {
                let net: Net4 = Chain(
                    Chain(Conv::new(bias), Activate::new(LeakyRelu { slope: 0.1 })),
                    Chain(Conv::new(bias), Activate::new(Relu::default())),
                );
                own_check(&mut rng, &net, "four layers");
            }
            _ => {
                let net: Net3 =
                    Chain(Chain(Conv::new(bias), Activate::new(Sigmoid)), Conv::new(bias));
                own_check(&mut rng, &net, "dilation, sigmoid");
            }
        }
    }
}

/// A finite difference across a kink names the activation whose kink it is, also where that
/// activation is the network's first layer and its argument is the input itself.
///
/// By hand: `x[0,0] = 0` is leaky_relu's argument, so moving it by `±h` crosses the kink and
/// its central difference, `(0.5·(1 − 1 + h)² … )`, is not compared; no other argument is
/// within `h` of 0 (they are 1, 1 and 2), and after the conv there is no activation.
#[test]
fn a_kink_is_named_by_its_own_activation() {
    let d = cnn_bp_core::train! {
        input: [[0, 1], [1, 2]],
        layers: [leaky_relu(0.1), conv { filter: [[1, 1], [1, 1]] }],
        target: [[1]],
        loss: half_sse,
        lr: 0.1,
        check: finite_differences,
    };
    let text = d.to_string();
    let notes: Vec<&str> = text.lines().filter(|l| l.contains("within reach of")).collect();
    assert_eq!(notes.len(), 1, "{text}");
    assert!(notes[0].contains("x[0,0] = 0 is within reach of leaky_relu's kink at 0"), "{text}");
}

/// A long run that stops early writes out the step that stopped it, with its note.
///
/// By hand: with `x = 10⁵`, `w = 1`, target 0, half_sse and η = 1, `∂L/∂w = z·x = 10¹⁰·w`, so
/// each step multiplies `w` by `1 − 10¹⁰`: `w` after step k is about `(−10¹⁰)^k`, and
/// `L = ½·(10⁵·w)²` overflows once `w² > 2·10²⁹⁸`, that is at the step that starts from
/// `w ≈ 10¹⁵⁰`: step 16 (`w ≈ −10¹⁵⁰` after 15 updates), the first step beyond the five
/// written out in a run of 40.
#[test]
fn a_long_run_writes_out_the_step_that_stops_it() {
    let d = cnn_bp_core::train! {
        input: [[100000]],
        layers: [conv { filter: [[1]] }],
        target: [[0]],
        loss: half_sse,
        lr: 1,
        steps: 40,
    };
    let taken = d.steps().len();
    assert_eq!(taken, 16);
    assert!(d.steps()[14].loss().is_finite() && !d.steps()[15].loss().is_finite());
    let text = d.to_string();
    assert!(text.contains("\nStep 16\n"), "{text}");
    assert!(text.contains("Result after 16 steps"), "{text}");
    assert!(text.contains("is the first value that is not a finite number"), "{text}");
    assert!(text.contains("so training stops after this step"), "{text}");
}

/// A value that is not finite but feeds no update (here only `∂L/∂x` of the input, asked for
/// with `input_grad`) is said to be one, and training goes on.
///
/// By hand: `z⁽⁰⁾ = 10⁻³⁰⁰·10³⁰⁰ = 1`, `z⁽¹⁾ = 1·10¹⁰`, `δ⁽¹⁾ = 10¹⁰ − 0 = 10¹⁰`,
/// `∂L/∂w⁽¹⁾ = δ⁽¹⁾·z⁽⁰⁾ = 10¹⁰`, `δ⁽⁰⁾ = δ⁽¹⁾·w⁽¹⁾ = 10²⁰`, `∂L/∂w⁽⁰⁾ = 10²⁰·10⁻³⁰⁰ = 10⁻²⁸⁰`:
/// all finite, and the updates with η = 10⁻³⁰ barely move them; only
/// `∂L/∂x = δ⁽⁰⁾·w⁽⁰⁾ = 10²⁰·10³⁰⁰` overflows to ∞, in both steps.
#[test]
fn a_value_no_update_uses_does_not_stop_training() {
    let d = cnn_bp_core::train! {
        input: [[1e-300]],
        layers: [conv { filter: [[1e300]] }, conv { filter: [[1e10]] }],
        target: [[0]],
        loss: half_sse,
        lr: 1e-30,
        steps: 2,
        input_grad: true,
    };
    assert_eq!(d.steps().len(), 2);
    let text = d.to_string();
    let notes: Vec<&str> = text.lines().filter(|l| l.contains("not a finite number")).collect();
    assert_eq!(notes.len(), 2, "{text}");
    for note in notes {
        assert!(note.contains("∂L/∂x[0,0] = ∞ is the first value"), "{note}");
        assert!(note.ends_with("so training is not affected."), "{note}");
    }
}

/// The typed views give the named ones' numbers as arrays of the shapes asked for, and `None`
/// for any other shape or a layer without that tensor.
///
/// By hand (the README's network): `w⁽⁰⁾` is the literal; `∂L/∂b⁽⁰⁾ = [16, 16]` (the README's
/// assertion); layer 1 (relu) has no weight.
#[test]
fn typed_views_are_the_named_ones_as_arrays() {
    let d = cnn_bp_core::train! {
        input: [[[1, 0, 2], [0, 1, 0], [2, 0, 1]],
                [[0, 1, 0], [1, 0, 1], [0, 1, 0]]],
        layers: [
            conv { filter: [[[[1, 0], [0, 1]], [[1, 1], [0, 0]]],
                             [[[0, 1], [1, 0]], [[0, 0], [1, 1]]]],
                   bias: [0.5, -0.5] },
            relu,
            conv { filter: [[[[1]], [[1]]]] },
        ],
        target: [[1, 0], [0, 1]],
        loss: half_sse,
        lr: 0.1,
    };
    let s = &d.steps()[0];
    let w0 = [
        [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.0, 0.0]]],
        [[[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]]],
    ];
    assert_eq!(s.weight_of::<2, 2, 2, 2>(0), Some(w0));
    assert_eq!(s.bias_of::<2>(0), Some([0.5, -0.5]));
    assert_eq!(s.bias_grad_of::<2>(0), Some([16.0, 16.0]));
    assert_eq!(s.weight_of::<1, 2, 1, 1>(2), Some([[[[1.0]], [[1.0]]]]));
    assert_eq!(s.weight_of::<1, 1, 1, 1>(1), None, "relu has no weight");
    assert_eq!(s.bias_of::<1>(2), None, "the last conv has no bias");
    assert_eq!(s.weight_of::<2, 2, 2, 1>(0), None, "not its shape");
    for (k, (shape, values)) in s.layer_outputs().iter().enumerate() {
        let flat: Option<Vec<f64>> = match shape.as_slice() {
            [2, 2, 2] => {
                s.output_of::<2, 2, 2>(k).map(|a| a.as_flattened().as_flattened().to_vec())
            }
            [1, 2, 2] => {
                s.output_of::<1, 2, 2>(k).map(|a| a.as_flattened().as_flattened().to_vec())
            }
            _ => None,
        };
        assert_eq!(flat.as_ref(), Some(values), "layer {k}");
    }
    let dx = s.input_grad_of::<2, 3, 3>(0).expect("∂L/∂x is 2×3×3");
    assert_eq!(dx.as_flattened().as_flattened(), &s.input_grads()[0].1[..]);
}
