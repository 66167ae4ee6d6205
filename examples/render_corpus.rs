//! Writes the LaTeX and Markdown derivations of random specs, for KaTeX to check
//! (`.ci/run`), and their plain text, for the independent checker: every activation, loss,
//! kernel, form and optional section, values from tiny to huge, and a few geometries; then as
//! many random networks (`nNNNN.*`) of a few fixed types: one to five layers, channels and
//! filters, stride, padding and dilation, both orientations, every activation (also one after
//! another, and first), a target or an upstream gradient, with and without a learning rate and
//! `∂L/∂x`, the finite-difference check and the mistakes; and as many networks (`mNNNN.*`) of
//! pools, flatten and dense layers: the classifier of conv, relu, max pool, flatten and dense
//! with a softmax cross-entropy, average pooling into a dense layer, MLPs on a vector input,
//! square dense weights, overlapping max-pool windows and a floor that drops rows, pools on two
//! channels, small values (integers and halves often, so that windows tie and entries are 0);
//! and half as many exact derivations (`qNNNN.*`, computed in `Rational` through the same
//! runtime API): single layers of every geometry above and networks of convolutions, pools,
//! flatten and dense layers, with relu, leaky relu or no activation and a squared loss or an
//! upstream gradient, on integers, halves, quarters, tenths and thirds. Each set draws from a
//! generator of its own, so the files of the sets before it are the same as without it.
//!
//! `cargo run --example render_corpus -- DIR [COUNT] [SEED]` (SEED: the networks', 10 by
//! default)

use std::{
    env, fs,
    path::{Path, PathBuf},
};

use cnn_bp_core::network::{Objective, train_network_with};
use cnn_bp_core::ops::{
    Activate, AvgPool, Chain, Conv, Convolve, Correlate, Dense, Flatten, Geometry, LeakyRelu,
    MaxPool, Op, Relu, Sigmoid, Tanh, Tensor,
};
use cnn_bp_core::{Activation, Extras, Form, Kernel, Layer, Loss, Params, Rational, train_with};

fn value(rng: &mut fastrand::Rng) -> f64 {
    let magnitude = match rng.usize(0..10) {
        0 => 10f64.powi(rng.i32(-12..-6)),
        1 => 10f64.powi(rng.i32(12..40)),
        2 => 0.0,
        _ => rng.f64() * 2.0,
    };
    if rng.bool() { magnitude } else { -magnitude }
}

fn matrix<const C: usize, const R: usize>(rng: &mut fastrand::Rng) -> [[f64; C]; R] {
    std::array::from_fn(|_| std::array::from_fn(|_| value(rng)))
}

fn values(rng: &mut fastrand::Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| value(rng)).collect()
}

/// The three files of one derivation: `name.tex`, `name.txt`, `name.md`.
fn files(dir: &Path, name: &str, latex: &str, text: &str, markdown: &str) {
    fs::write(dir.join(format!("{name}.tex")), latex).expect("writable");
    fs::write(dir.join(format!("{name}.txt")), text).expect("writable");
    fs::write(dir.join(format!("{name}.md")), markdown).expect("writable");
}

fn write<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    rng: &mut fastrand::Rng,
    layer: Layer,
    dir: &Path,
    k: usize,
) {
    let start = Params::<KH, KW> { filter: matrix(rng), bias: rng.bool().then(|| value(rng)) };
    let x: [[f64; W]; H] = matrix(rng);
    let t: [[f64; OW]; OH] = matrix(rng);
    let extras = Extras::default().finite_differences(rng.bool()).mistakes(rng.bool());
    let lr = [0.5, 0.1, 1e-7, 3.0][rng.usize(0..4)];
    let steps = rng.usize(1..4);
    let form = if rng.bool() { Form::Symbolic } else { Form::Numeric };
    let d =
        train_with(&layer, lr, steps, &x, start, &t, extras).expect("a valid spec").with_form(form);
    files(dir, &format!("{k:04}"), &d.to_latex(), &d.to_string(), &d.to_markdown());
}

/// One random run of `net`: random parameters, input and target (or upstream gradient), a
/// learning rate or none, 1 to 3 steps (`long`: 22 to 60, on the smallest network), `∂L/∂x`
/// of the input or not, either form.
fn write_net<N: Op<f64> + Send + Sync + 'static>(
    rng: &mut fastrand::Rng,
    net: N,
    dir: &Path,
    k: usize,
    long: bool,
) {
    let params = values(rng, net.params_len());
    let xs = values(rng, <N::In as Tensor<f64>>::LEN);
    let outputs = <N::Out as Tensor<f64>>::LEN;
    let objective = if !long && rng.usize(0..4) == 0 {
        Objective::GradOutput(values(rng, outputs))
    } else {
        let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
        Objective::Loss { loss, target: values(rng, outputs) }
    };
    let lr = if !long && rng.usize(0..5) == 0 {
        None
    } else {
        Some([0.5, 0.1, 1e-7, 3.0, 0.01][rng.usize(0..5)])
    };
    let steps = match (lr, long) {
        (None, _) => 1,
        (_, true) => rng.usize(22..61),
        _ => rng.usize(1..4),
    };
    let extras = Extras::default().input_grad(rng.bool());
    let form = if rng.bool() { Form::Symbolic } else { Form::Numeric };
    // The optional sections, on one run in three each (drawn last, so that the draws above
    // stay what they were).
    let extras =
        extras.finite_differences(rng.usize(0..3) == 0).mistakes(!long && rng.usize(0..3) == 0);
    let x = <N::In as Tensor<f64>>::view(&xs);
    let d = train_network_with(net, &params, x, objective, lr, steps, extras)
        .expect("a valid network")
        .with_form(form);
    files(dir, &format!("n{k:04}"), &d.to_latex(), &d.to_string(), &d.to_markdown());
}

type Map<const C: usize, const H: usize, const W: usize, S = f64> = [[[S; W]; H]; C];
type G<const S: usize, const P: usize, const D: usize> = Geometry<S, S, P, P, D, D>;

/// conv 2×2 (with or without bias), relu, conv 1×1: the seed's network.
type Seed<S = f64> = Chain<
    Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, G<1, 0, 1>, Correlate>, Activate<Relu, Map<1, 2, 2, S>>>,
    Conv<1, 2, 2, 1, 1, 1, 2, 2, G<1, 0, 1>, Correlate>,
>;
/// Two filters of 3×3 with padding 1 on one channel, relu, one filter of 2×2 on two.
type Channels<S = f64> = Chain<
    Chain<Conv<1, 4, 4, 2, 3, 3, 4, 4, G<1, 1, 1>, Correlate>, Activate<Relu, Map<2, 4, 4, S>>>,
    Conv<2, 4, 4, 1, 2, 2, 3, 3, G<1, 0, 1>, Correlate>,
>;
/// Two channels in, three filters, stride 2, padding (0, 1), a true convolution, then tanh.
type Strided = Chain<
    Conv<2, 5, 4, 3, 2, 2, 2, 3, Geometry<2, 2, 0, 1, 1, 1>, Convolve>,
    Activate<Tanh, Map<3, 2, 3>>,
>;
/// Dilation 2, sigmoid, then two 1×1 filters of a true convolution.
type Dilated = Chain<
    Chain<Conv<1, 6, 6, 1, 3, 3, 2, 2, G<1, 0, 2>, Correlate>, Activate<Sigmoid, Map<1, 2, 2>>>,
    Conv<1, 2, 2, 2, 1, 1, 2, 2, G<1, 0, 1>, Convolve>,
>;
/// Four layers: three channels, leaky relu, stride 2 with padding 1, relu.
type Four<S = f64> = Chain<
    Chain<Conv<3, 3, 3, 2, 2, 2, 2, 2, G<1, 0, 1>, Convolve>, Activate<LeakyRelu, Map<2, 2, 2, S>>>,
    Chain<Conv<2, 2, 2, 2, 2, 2, 2, 2, G<2, 1, 1>, Correlate>, Activate<Relu, Map<2, 2, 2, S>>>,
>;
/// One convolution: stride (2, 3), padding (1, 0), dilation (2, 1).
type Lopsided = Conv<2, 5, 6, 2, 2, 2, 3, 2, Geometry<2, 3, 1, 0, 2, 1>, Correlate>;
/// Two convolutions with nothing between them (∂L/∂z⁽⁰⁾ is δ⁽⁰⁾), then sigmoid and tanh one
/// after another.
type Stacked = Chain<
    Chain<
        Conv<1, 4, 4, 1, 2, 2, 3, 3, G<1, 0, 1>, Convolve>,
        Conv<1, 3, 3, 2, 2, 2, 2, 2, G<1, 0, 1>, Correlate>,
    >,
    Chain<Activate<Sigmoid, Map<2, 2, 2>>, Activate<Tanh, Map<2, 2, 2>>>,
>;
/// Three convolutions, the last two with two filters after the first (a wrong `∂L/∂x` in two
/// layers, one below the other), relu and tanh between them, the middle one a true
/// convolution.
type Three = Chain<
    Chain<
        Chain<Conv<1, 5, 5, 2, 2, 2, 4, 4, G<1, 0, 1>, Correlate>, Activate<Relu, Map<2, 4, 4>>>,
        Chain<Conv<2, 4, 4, 2, 2, 2, 3, 3, G<1, 0, 1>, Convolve>, Activate<Tanh, Map<2, 3, 3>>>,
    >,
    Conv<2, 3, 3, 2, 2, 2, 2, 2, G<1, 0, 1>, Correlate>,
>;
/// An activation first, on the input itself (relu or leaky relu), then a convolution.
type ActFirst<A, S = f64> =
    Chain<Activate<A, Map<1, 3, 3, S>>, Conv<1, 3, 3, 1, 2, 2, 2, 2, G<1, 0, 1>, Correlate>>;

fn write_network(rng: &mut fastrand::Rng, dir: &Path, k: usize) {
    let bias = rng.bool();
    let relu = Relu { grad_at_zero: if rng.bool() { 0.0 } else { 1.0 } };
    let leaky = LeakyRelu { slope: [0.1, 0.01, 0.25][rng.usize(0..3)] };
    match k % 10 {
        0 => {
            let net: Seed = Chain(Chain(Conv::new(bias), Activate::new(relu)), Conv::new(bias));
            write_net(rng, net, dir, k, false);
        }
        1 => {
            let net: Channels = Chain(Chain(Conv::new(bias), Activate::new(relu)), Conv::new(bias));
            write_net(rng, net, dir, k, false);
        }
        2 => {
            let net: Strided = Chain(Conv::new(bias), Activate::new(Tanh));
            write_net(rng, net, dir, k, false);
        }
        3 => {
            let net: Dilated =
                Chain(Chain(Conv::new(bias), Activate::new(Sigmoid)), Conv::new(bias));
            write_net(rng, net, dir, k, false);
        }
        4 => {
            let net: Four = Chain(
                Chain(Conv::new(bias), Activate::new(leaky)),
                Chain(Conv::new(!bias), Activate::new(relu)),
            );
            write_net(rng, net, dir, k, false);
        }
        5 => write_net(rng, Lopsided::new(bias), dir, k, false),
        6 => {
            let net: Stacked = Chain(
                Chain(Conv::new(bias), Conv::new(!bias)),
                Chain(Activate::new(Sigmoid), Activate::new(Tanh)),
            );
            write_net(rng, net, dir, k, false);
        }
        7 if rng.bool() => {
            let net: ActFirst<Relu> = Chain(Activate::new(relu), Conv::new(bias));
            write_net(rng, net, dir, k, false);
        }
        7 => {
            let net: ActFirst<LeakyRelu> = Chain(Activate::new(leaky), Conv::new(bias));
            write_net(rng, net, dir, k, false);
        }
        8 => {
            let net: Three = Chain(
                Chain(
                    Chain(Conv::new(bias), Activate::new(relu)),
                    Chain(Conv::new(!bias), Activate::new(Tanh)),
                ),
                Conv::new(bias),
            );
            write_net(rng, net, dir, k, false);
        }
        _ => {
            // A long run: the steps written out and the summary's sample.
            let net: Seed = Chain(Chain(Conv::new(bias), Activate::new(relu)), Conv::new(bias));
            write_net(rng, net, dir, k, true);
        }
    }
}

/// A small value for the networks of pools and dense layers: an integer or a half most often
/// (so that a window's maximum ties and a relu meets 0 exactly), else any value below 2; in a
/// `wild` network now and then a tiny or a huge one.
fn small(rng: &mut fastrand::Rng, wild: bool) -> f64 {
    let magnitude = match rng.usize(0..20) {
        0 if wild => 10f64.powi(rng.i32(-12..-6)),
        1 if wild => 10f64.powi(rng.i32(6..30)),
        2..=4 => 0.0,
        5..=11 => f64::from(rng.u8(1..5)) * 0.5,
        _ => rng.f64() * 2.0,
    };
    if rng.bool() { magnitude } else { -magnitude }
}

/// A probability vector of `n` entries: one-hot most often, else soft (quarters, so that it
/// sums to 1 exactly).
fn probabilities(rng: &mut fastrand::Rng, n: usize) -> Vec<f64> {
    let mut t = vec![0.0; n];
    if rng.usize(0..3) > 0 {
        t[rng.usize(0..n)] = 1.0;
    } else {
        for _ in 0..4 {
            t[rng.usize(0..n)] += 0.25;
        }
    }
    t
}

/// How a network of pools and dense layers is trained: a softmax cross-entropy, one of the
/// squared errors, or an upstream gradient.
#[derive(Clone, Copy)]
enum Aim {
    Softmax,
    Squared,
    Any,
}

/// One random run of `net`, a network of pools, flatten and dense layers, as [`write_net`]
/// (its own value distribution, and `aim`'s objective); `long`: 22 to 60 steps.
fn write_net2<N: Op<f64> + Send + Sync + 'static>(
    rng: &mut fastrand::Rng,
    net: N,
    dir: &Path,
    k: usize,
    aim: Aim,
    long: bool,
) {
    // One network in six may have tiny and huge values.
    let wild = rng.usize(0..6) == 0;
    let small = |rng: &mut fastrand::Rng| small(rng, wild);
    let params: Vec<f64> = (0..net.params_len()).map(|_| small(rng)).collect();
    let xs: Vec<f64> = (0..<N::In as Tensor<f64>>::LEN).map(|_| small(rng)).collect();
    let outputs = <N::Out as Tensor<f64>>::LEN;
    let aim = match aim {
        Aim::Any => [Aim::Softmax, Aim::Squared][rng.usize(0..2)],
        other => other,
    };
    let objective = match aim {
        Aim::Softmax => Objective::SoftmaxCrossEntropy { target: probabilities(rng, outputs) },
        _ if !long && rng.usize(0..5) == 0 => {
            Objective::GradOutput((0..outputs).map(|_| small(rng)).collect())
        }
        _ => {
            let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
            Objective::Loss { loss, target: (0..outputs).map(|_| small(rng)).collect() }
        }
    };
    let lr = if !long && rng.usize(0..6) == 0 {
        None
    } else {
        Some([0.5, 0.1, 1e-7, 3.0, 0.01, 1.0][rng.usize(0..6)])
    };
    let steps = match (lr, long) {
        (None, _) => 1,
        (_, true) => rng.usize(22..61),
        _ => rng.usize(1..4),
    };
    let extras = Extras::default()
        .input_grad(rng.bool())
        .finite_differences(rng.usize(0..3) == 0)
        .mistakes(!long && rng.usize(0..3) == 0);
    let form = if rng.usize(0..3) == 0 { Form::Symbolic } else { Form::Numeric };
    let x = <N::In as Tensor<f64>>::view(&xs);
    let d = train_network_with(net, &params, x, objective, lr, steps, extras)
        .expect("a valid network")
        .with_form(form);
    files(dir, &format!("m{k:04}"), &d.to_latex(), &d.to_string(), &d.to_markdown());
}

/// The classifier: conv 3×3 on 5×5, relu, max pool 2×2 with stride 1, flatten,
/// dense 4 → 3 (softmax cross-entropy).
type Classifier<S = f64> = Chain<
    Chain<Conv<1, 5, 5, 1, 3, 3, 3, 3, G<1, 0, 1>, Correlate>, Activate<Relu, Map<1, 3, 3, S>>>,
    Chain<MaxPool<1, 3, 3, 2, 2, 1, 1, 2, 2>, Chain<Flatten<1, 2, 2, 4>, Dense<4, 3>>>,
>;
/// Average pooling 2×2 of the input itself, flatten, dense 4 → 2.
type AvgDense = Chain<AvgPool<1, 4, 4, 2, 2, 2, 2, 2, 2>, Chain<Flatten<1, 2, 2, 4>, Dense<4, 2>>>;
/// An MLP on a vector: dense 3 → 4, an activation, dense 4 → 2.
type Mlp<A, S = f64> = Chain<Chain<Dense<3, 4>, Activate<A, [S; 4]>>, Dense<4, 2>>;
/// Two square dense layers with an activation between (W for Wᵀ shows), then another.
type Square<A, B, S = f64> =
    Chain<Chain<Dense<3, 3>, Activate<A, [S; 3]>>, Chain<Dense<3, 3>, Activate<B, [S; 3]>>>;
/// A linear classifier on a 4-vector: one dense layer.
type Linear4 = Dense<4, 3>;
/// A conv, then a max pool 3×3 with stride 2 (overlapping windows) on 5×5; the map itself is
/// the output.
type Overlap =
    Chain<Conv<1, 6, 6, 1, 2, 2, 5, 5, G<1, 0, 1>, Correlate>, MaxPool<1, 5, 5, 3, 3, 2, 2, 2, 2>>;
/// A conv, a max pool 2×2 with stride 2 on 5×5 (the last row and column dropped), flatten,
/// a square dense layer.
type Floor = Chain<
    Chain<Conv<1, 6, 6, 1, 2, 2, 5, 5, G<1, 0, 1>, Correlate>, MaxPool<1, 5, 5, 2, 2, 2, 2, 2, 2>>,
    Chain<Flatten<1, 2, 2, 4>, Dense<4, 4>>,
>;
/// Two filters, relu, a max pool 2×2 with stride 1 on both channels, flatten, dense 8 → 2.
type TwoChannels<S = f64> = Chain<
    Chain<Conv<1, 4, 4, 2, 2, 2, 3, 3, G<1, 0, 1>, Correlate>, Activate<Relu, Map<2, 3, 3, S>>>,
    Chain<MaxPool<2, 3, 3, 2, 2, 1, 1, 2, 2>, Chain<Flatten<2, 2, 2, 8>, Dense<8, 2>>>,
>;
/// Two channels in, an average pool of 2×3 windows with stride (2, 1) (the last row dropped),
/// flatten, dense 12 → 2.
type AvgWide = Chain<AvgPool<2, 5, 5, 2, 3, 2, 1, 2, 3>, Chain<Flatten<2, 2, 3, 12>, Dense<12, 2>>>;
/// A max pool of the input itself with overlapping 2×2 windows, then a conv on the result.
type PoolFirst = Chain<
    Chain<MaxPool<1, 4, 4, 2, 2, 1, 1, 3, 3>, Conv<1, 3, 3, 1, 2, 2, 2, 2, G<1, 0, 1>, Correlate>>,
    Chain<Activate<Tanh, Map<1, 2, 2>>, AvgPool<1, 2, 2, 2, 1, 1, 1, 1, 2>>,
>;
/// Flatten first, then dense layers with sigmoid between: an MLP of a map.
type FlatMlp =
    Chain<Chain<Flatten<1, 2, 2, 4>, Dense<4, 4>>, Chain<Activate<Sigmoid, [f64; 4]>, Dense<4, 2>>>;

/// One of the networks of pools, flatten and dense layers, by `k`.
fn write_network2(rng: &mut fastrand::Rng, dir: &Path, k: usize) {
    let bias = rng.bool();
    let relu = Relu { grad_at_zero: if rng.bool() { 0.0 } else { 1.0 } };
    match k % 12 {
        0 => {
            let net: Classifier = Chain(
                Chain(Conv::new(bias), Activate::new(relu)),
                Chain(MaxPool::new(), Chain(Flatten, Dense::new(!bias))),
            );
            write_net2(rng, net, dir, k, Aim::Softmax, false);
        }
        1 => {
            let net: AvgDense = Chain(AvgPool::new(), Chain(Flatten, Dense::new(bias)));
            write_net2(rng, net, dir, k, Aim::Any, false);
        }
        2 => match rng.usize(0..3) {
            0 => {
                let net: Mlp<Sigmoid> =
                    Chain(Chain(Dense::new(bias), Activate::new(Sigmoid)), Dense::new(bias));
                write_net2(rng, net, dir, k, Aim::Any, false);
            }
            1 => {
                let net: Mlp<Tanh> =
                    Chain(Chain(Dense::new(bias), Activate::new(Tanh)), Dense::new(!bias));
                write_net2(rng, net, dir, k, Aim::Any, false);
            }
            _ => {
                let net: Mlp<Relu> =
                    Chain(Chain(Dense::new(bias), Activate::new(relu)), Dense::new(bias));
                write_net2(rng, net, dir, k, Aim::Any, false);
            }
        },
        3 => {
            let net: Square<Relu, Tanh> = Chain(
                Chain(Dense::new(bias), Activate::new(relu)),
                Chain(Dense::new(!bias), Activate::new(Tanh)),
            );
            write_net2(rng, net, dir, k, Aim::Any, false);
        }
        4 => write_net2(rng, Linear4::new(bias), dir, k, Aim::Softmax, false),
        5 => {
            let net: Overlap = Chain(Conv::new(bias), MaxPool::new());
            write_net2(rng, net, dir, k, Aim::Squared, false);
        }
        6 => {
            let net: Floor =
                Chain(Chain(Conv::new(bias), MaxPool::new()), Chain(Flatten, Dense::new(bias)));
            write_net2(rng, net, dir, k, Aim::Any, false);
        }
        7 => {
            let net: TwoChannels = Chain(
                Chain(Conv::new(bias), Activate::new(relu)),
                Chain(MaxPool::new(), Chain(Flatten, Dense::new(bias))),
            );
            write_net2(rng, net, dir, k, Aim::Any, false);
        }
        8 => {
            let net: AvgWide = Chain(AvgPool::new(), Chain(Flatten, Dense::new(bias)));
            write_net2(rng, net, dir, k, Aim::Any, false);
        }
        9 => {
            let net: PoolFirst = Chain(
                Chain(MaxPool::new(), Conv::new(bias)),
                Chain(Activate::new(Tanh), AvgPool::new()),
            );
            write_net2(rng, net, dir, k, Aim::Squared, false);
        }
        10 => {
            let net: FlatMlp = Chain(
                Chain(Flatten, Dense::new(bias)),
                Chain(Activate::new(Sigmoid), Dense::new(!bias)),
            );
            write_net2(rng, net, dir, k, Aim::Any, false);
        }
        _ => {
            // A long run of the classifier.
            let net: Classifier = Chain(
                Chain(Conv::new(bias), Activate::new(relu)),
                Chain(MaxPool::new(), Chain(Flatten, Dense::new(!bias))),
            );
            write_net2(rng, net, dir, k, Aim::Softmax, true);
        }
    }
}

/// A small exact value: 0, an integer, or halves, quarters, tenths and thirds (a tenth is what
/// `0.1` in an exact spec reads as; a third no decimal can write).
fn fraction(rng: &mut fastrand::Rng) -> Rational {
    let magnitude = match rng.usize(0..10) {
        0 | 1 => Rational::ZERO,
        2..=4 => Rational::integer(rng.i64(1..4)),
        5 | 6 => Rational::new(rng.i64(1..6), 2),
        7 => Rational::new(rng.i64(1..8), 4),
        8 => Rational::new(rng.i64(1..20), 10),
        _ => Rational::new(rng.i64(1..5), 3),
    };
    if rng.bool() { magnitude } else { -magnitude }
}

fn fractions(rng: &mut fastrand::Rng, n: usize) -> Vec<Rational> {
    (0..n).map(|_| fraction(rng)).collect()
}

/// An exact learning rate: 1/2, 1/10, 1/4, 1 or 1/100.
fn exact_lr(rng: &mut fastrand::Rng) -> Rational {
    [
        Rational::new(1, 2),
        Rational::new(1, 10),
        Rational::new(1, 4),
        Rational::ONE,
        Rational::new(1, 100),
    ][rng.usize(0..5)]
}

/// The activations that stay rational: relu (either convention at 0), leaky relu, linear.
fn exact_activation(rng: &mut fastrand::Rng) -> Activation {
    match rng.usize(0..4) {
        0 => Activation::Relu { grad_at_zero: 0.0 },
        1 => Activation::Relu { grad_at_zero: 1.0 },
        2 => Activation::LeakyRelu { slope: [0.1, 0.25, 0.5][rng.usize(0..3)] },
        _ => Activation::Linear,
    }
}

/// One random exact single-layer run (`qNNNN.*`): as [`write`], in fractions; `long`: 22 to
/// 30 steps (steps left out, the fractions' growth noted).
fn write_exact<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    rng: &mut fastrand::Rng,
    layer: Layer,
    dir: &Path,
    k: usize,
    long: bool,
) {
    let filter = std::array::from_fn(|_| std::array::from_fn(|_| fraction(rng)));
    let start = Params::<KH, KW, Rational> { filter, bias: rng.bool().then(|| fraction(rng)) };
    let x: [[Rational; W]; H] = std::array::from_fn(|_| std::array::from_fn(|_| fraction(rng)));
    let t: [[Rational; OW]; OH] = std::array::from_fn(|_| std::array::from_fn(|_| fraction(rng)));
    let extras = Extras::default().finite_differences(rng.bool()).mistakes(rng.bool());
    let lr = exact_lr(rng);
    let steps = if long { rng.usize(22..31) } else { rng.usize(1..4) };
    let form = if rng.bool() { Form::Symbolic } else { Form::Numeric };
    let d =
        train_with(&layer, lr, steps, &x, start, &t, extras).expect("a valid spec").with_form(form);
    files(dir, &format!("q{k:04}"), &d.to_latex(), &d.to_string(), &d.to_markdown());
}

/// One random exact run of `net` (`qNNNN.*`): as [`write_net`], in fractions, with a squared
/// loss or an upstream gradient.
fn write_exact_net<N: Op<Rational> + Send + Sync + 'static>(
    rng: &mut fastrand::Rng,
    net: N,
    dir: &Path,
    k: usize,
) {
    let params = fractions(rng, net.params_len());
    let xs = fractions(rng, <N::In as Tensor<Rational>>::LEN);
    let outputs = <N::Out as Tensor<Rational>>::LEN;
    let objective = if rng.usize(0..4) == 0 {
        Objective::GradOutput(fractions(rng, outputs))
    } else {
        let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
        Objective::Loss { loss, target: fractions(rng, outputs) }
    };
    let lr = if rng.usize(0..5) == 0 { None } else { Some(exact_lr(rng)) };
    let steps = if lr.is_none() { 1 } else { rng.usize(1..4) };
    let extras = Extras::default()
        .input_grad(rng.bool())
        .finite_differences(rng.usize(0..3) == 0)
        .mistakes(rng.usize(0..3) == 0);
    let form = if rng.bool() { Form::Symbolic } else { Form::Numeric };
    let x = <N::In as Tensor<Rational>>::view(&xs);
    let d = train_network_with(net, &params, x, objective, lr, steps, extras)
        .expect("a valid network")
        .with_form(form);
    files(dir, &format!("q{k:04}"), &d.to_latex(), &d.to_string(), &d.to_markdown());
}

/// One exact derivation by `k`: single layers of every geometry above, and networks of
/// convolutions, pools, flatten and dense layers with relu, leaky relu or no activation.
fn write_exact_any(rng: &mut fastrand::Rng, dir: &Path, k: usize) {
    let bias = rng.bool();
    let relu = Relu { grad_at_zero: if rng.bool() { 0.0 } else { 1.0 } };
    let leaky = LeakyRelu { slope: [0.1, 0.25, 0.5][rng.usize(0..3)] };
    match k % 12 {
        0..=2 => {
            let activation = exact_activation(rng);
            let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
            let kernel = if rng.bool() { Kernel::Correlation } else { Kernel::Convolution };
            let layer = |stride, padding| Layer { stride, padding, kernel, activation, loss };
            // One in 24 a long run, on the smallest geometry.
            let long = k % 24 == 2;
            match k % 3 {
                0 => write_exact::<3, 3, 2, 2, 2, 2>(rng, layer((1, 1), (0, 0)), dir, k, long),
                1 => write_exact::<4, 5, 3, 2, 2, 3>(rng, layer((2, 2), (1, 1)), dir, k, long),
                _ => write_exact::<2, 3, 1, 2, 4, 1>(rng, layer((1, 2), (1, 0)), dir, k, long),
            }
        }
        3 => {
            let net: Seed<Rational> =
                Chain(Chain(Conv::new(bias), Activate::new(relu)), Conv::new(bias));
            write_exact_net(rng, net, dir, k);
        }
        4 => {
            let net: Four<Rational> = Chain(
                Chain(Conv::new(bias), Activate::new(leaky)),
                Chain(Conv::new(!bias), Activate::new(relu)),
            );
            write_exact_net(rng, net, dir, k);
        }
        5 => write_exact_net(rng, Lopsided::new(bias), dir, k),
        6 => {
            let net: ActFirst<LeakyRelu, Rational> = Chain(Activate::new(leaky), Conv::new(bias));
            write_exact_net(rng, net, dir, k);
        }
        7 => {
            let net: Classifier<Rational> = Chain(
                Chain(Conv::new(bias), Activate::new(relu)),
                Chain(MaxPool::new(), Chain(Flatten, Dense::new(!bias))),
            );
            write_exact_net(rng, net, dir, k);
        }
        8 => {
            let net: AvgDense = Chain(AvgPool::new(), Chain(Flatten, Dense::new(bias)));
            write_exact_net(rng, net, dir, k);
        }
        9 => {
            let net: Mlp<LeakyRelu, Rational> =
                Chain(Chain(Dense::new(bias), Activate::new(leaky)), Dense::new(bias));
            write_exact_net(rng, net, dir, k);
        }
        10 => {
            let net: Square<Relu, LeakyRelu, Rational> = Chain(
                Chain(Dense::new(bias), Activate::new(relu)),
                Chain(Dense::new(!bias), Activate::new(leaky)),
            );
            write_exact_net(rng, net, dir, k);
        }
        _ => match rng.usize(0..3) {
            0 => {
                let net: Floor =
                    Chain(Chain(Conv::new(bias), MaxPool::new()), Chain(Flatten, Dense::new(bias)));
                write_exact_net(rng, net, dir, k);
            }
            1 => {
                let net: AvgWide = Chain(AvgPool::new(), Chain(Flatten, Dense::new(bias)));
                write_exact_net(rng, net, dir, k);
            }
            _ => {
                let net: TwoChannels<Rational> = Chain(
                    Chain(Conv::new(bias), Activate::new(relu)),
                    Chain(MaxPool::new(), Chain(Flatten, Dense::new(bias))),
                );
                write_exact_net(rng, net, dir, k);
            }
        },
    }
}

fn main() {
    let mut args = env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("a directory to write into"));
    let count: usize = args.next().map_or(60, |n| n.parse().expect("a count"));
    // Another seed for the networks gives other networks (to look for more disagreements).
    let seed: u64 = args.next().map_or(10, |n| n.parse().expect("a seed"));
    fs::create_dir_all(&dir).expect("a directory");
    let mut rng = fastrand::Rng::with_seed(7);
    for k in 0..count {
        let activation = match k % 5 {
            0 => Activation::Relu { grad_at_zero: (k % 2) as f64 },
            1 => Activation::Linear,
            2 => Activation::Sigmoid,
            3 => Activation::Tanh,
            _ => Activation::LeakyRelu { slope: 0.1 },
        };
        let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][k % 3];
        let kernel = if k % 4 < 2 { Kernel::Correlation } else { Kernel::Convolution };
        let layer = |stride, padding| Layer { stride, padding, kernel, activation, loss };
        match k % 3 {
            0 => write::<3, 3, 2, 2, 2, 2>(&mut rng, layer((1, 1), (0, 0)), &dir, k),
            1 => write::<4, 5, 3, 2, 2, 3>(&mut rng, layer((2, 2), (1, 1)), &dir, k),
            _ => write::<2, 3, 1, 2, 4, 1>(&mut rng, layer((1, 2), (1, 0)), &dir, k),
        }
    }
    // The networks draw from a generator of their own, so that the single-layer specs above
    // stay what they were.
    let mut rng = fastrand::Rng::with_seed(seed);
    for k in 0..count {
        write_network(&mut rng, &dir, k);
    }
    // The networks of pools, flatten and dense layers (`mNNNN.*`), from a generator of their
    // own again, so that the networks above stay what they were.
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_0011);
    for k in 0..count {
        write_network2(&mut rng, &dir, k);
    }
    // Exact derivations (`qNNNN.*`), half as many, from a generator of their own again, so
    // that everything above stays what it was.
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x0e4a_c7ed);
    for k in 0..count / 2 {
        write_exact_any(&mut rng, &dir, k);
    }
    println!(
        "{count} single-layer, {} network and {} exact derivations written to {} (LaTeX, \
         Markdown, text)",
        2 * count,
        count / 2,
        dir.display()
    );
}
