//! Random networks of every op that stays rational, trained in `Rational` and in `f64` from
//! the same values (quarters, which `f64` holds exactly): the exact run's every figure rounds to
//! the float run's (to 1e-12 relative), its derivation verifies as identities of fractions, and
//! its own finite-difference check, computed exactly, agrees with backpropagation exactly (a
//! loss of these ops is piecewise quadratic in each parameter, whose central difference is its
//! derivative) wherever `±h` crosses no kink: a check of every backward pass that no rounding
//! can blur.

use cnn_bp_core::network::{NetDerivation, Objective, train_network_with};
use cnn_bp_core::ops::{
    Activate, AvgPool, Chain, Conv, Convolve, Correlate, Dense, Flatten, Geometry, LeakyRelu,
    MaxPool, Op, Relu, Tensor,
};
use cnn_bp_core::{Extras, Loss, Rational, Scalar};

type Map<S, const C: usize, const H: usize, const W: usize> = [[[S; W]; H]; C];

/// Two convolutions (2 filters, then 1 on their 2 channels) with a relu between.
type Net1<S> = Chain<
    Chain<
        Conv<1, 4, 4, 2, 2, 2, 3, 3, Geometry<1, 1, 0, 0, 1, 1>, Correlate>,
        Activate<Relu, Map<S, 2, 3, 3>>,
    >,
    Conv<2, 3, 3, 1, 2, 2, 2, 2, Geometry<1, 1, 0, 0, 1, 1>, Convolve>,
>;

/// A strided, padded true convolution with 2 filters, leaky relu, an average pool, flatten,
/// dense.
type Net2<S> = Chain<
    Chain<
        Conv<1, 4, 4, 2, 3, 3, 2, 2, Geometry<2, 2, 1, 1, 1, 1>, Convolve>,
        Activate<LeakyRelu, Map<S, 2, 2, 2>>,
    >,
    Chain<Chain<AvgPool<2, 2, 2, 2, 2, 1, 1, 1, 1>, Flatten<2, 1, 1, 2>>, Dense<2, 3>>,
>;

/// Overlapping max-pool windows, flatten, an MLP with a leaky relu.
type Net3<S> = Chain<
    Chain<Chain<MaxPool<1, 4, 4, 2, 2, 1, 1, 3, 3>, Flatten<1, 3, 3, 9>>, Dense<9, 4>>,
    Chain<Activate<LeakyRelu, [S; 4]>, Dense<4, 2>>,
>;

fn quarter(rng: &mut fastrand::Rng) -> f64 {
    f64::from(rng.i32(-8..=8)) / 4.0
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// The same spec in both scalars; what is compared and checked.
fn both<NF, NQ>(
    rng: &mut fastrand::Rng,
    (float_net, exact_net): (NF, NQ),
    (loss, fd): (Loss, bool),
    what: &str,
) -> usize
where
    NF: Op<f64> + Send + Sync + 'static,
    NQ: Op<Rational> + Send + Sync + 'static,
{
    let x: Vec<f64> = (0..<NF::In as Tensor<f64>>::LEN).map(|_| quarter(rng)).collect();
    let p: Vec<f64> = (0..float_net.params_len()).map(|_| quarter(rng)).collect();
    let t: Vec<f64> = (0..<NF::Out as Tensor<f64>>::LEN).map(|_| quarter(rng)).collect();
    let q = |v: &[f64]| v.iter().map(|&v| Rational::from_f64(v)).collect::<Vec<_>>();
    let steps = rng.usize(1..=3);
    let float = train_network_with(
        float_net,
        &p,
        <NF::In as Tensor<f64>>::view(&x),
        Objective::Loss { loss, target: t.clone() },
        Some(0.125),
        steps,
        Extras::default().input_grad(true),
    )
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    let exact = train_network_with(
        exact_net,
        &q(&p),
        <NQ::In as Tensor<Rational>>::view(&q(&x)),
        Objective::Loss { loss, target: q(&t) },
        Some(Rational::new(1, 8)),
        steps,
        Extras::default().input_grad(true).finite_differences(fd),
    )
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    compare(&float, &exact, what);
    exact.verify().unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut compared = 0;
    for check in exact.checks() {
        for entry in check.entries.iter().filter(|e| e.kink.is_none()) {
            assert_eq!(entry.difference, Rational::ZERO, "{what}: step {}: {entry:?}", check.step);
            compared += 1;
        }
    }
    compared
}

/// Every figure of every step, exact against float.
fn compare(float: &NetDerivation<f64>, exact: &NetDerivation<Rational>, what: &str) {
    assert_eq!(float.steps().len(), exact.steps().len(), "{what}");
    let near = |a: &[f64], b: &[Rational], of: &str| {
        assert_eq!(a.len(), b.len(), "{what}: {of}");
        for (a, b) in a.iter().zip(b) {
            assert!(close(*a, f64::from(*b)), "{what}: {of}: {a} against {b}");
        }
    };
    for (k, (f, e)) in float.steps().iter().zip(exact.steps()).enumerate() {
        near(&[f.loss()], &[e.loss()], &format!("step {k}'s loss"));
        for (a, b) in f.named_grads().iter().zip(&e.named_grads()) {
            near(&a.2, &b.2, &format!("step {k}'s {}", a.0));
        }
        for (a, b) in f.layer_outputs().iter().zip(&e.layer_outputs()) {
            near(&a.1, &b.1, &format!("step {k}'s outputs"));
        }
        for (a, b) in f.input_grads().iter().zip(&e.input_grads()) {
            near(&a.1, &b.1, &format!("step {k}'s input gradients"));
        }
    }
    for (a, b) in float.named_parameters().iter().zip(&exact.named_parameters()) {
        near(&a.2, &b.2, &format!("the final {}", a.0));
    }
}

#[test]
fn random_exact_networks_agree_with_float_and_their_exact_finite_differences() {
    let mut rng = fastrand::Rng::with_seed(1212);
    let mut compared = 0;
    let specs: usize = std::env::var("SPECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    for k in 0..specs {
        let bias = rng.bool();
        // The exact finite differences of every fourth spec: exact arithmetic on the nudged
        // values' long fractions is what takes the time here.
        let loss = ([Loss::HalfSse, Loss::Sse, Loss::Mse][k % 3], k % 4 == 0);
        let leaky = LeakyRelu { slope: 0.25 };
        compared += match k % 3 {
            0 => {
                let float: Net1<f64> =
                    Chain(Chain(Conv::new(bias), Activate::new(Relu::default())), Conv::new(bias));
                let exact: Net1<Rational> =
                    Chain(Chain(Conv::new(bias), Activate::new(Relu::default())), Conv::new(bias));
                both(&mut rng, (float, exact), loss, "conv, relu, true convolution")
            }
            1 => {
                let float: Net2<f64> = Chain(
                    Chain(Conv::new(bias), Activate::new(leaky)),
                    Chain(Chain(AvgPool::new(), Flatten), Dense::new(bias)),
                );
                let exact: Net2<Rational> = Chain(
                    Chain(Conv::new(bias), Activate::new(leaky)),
                    Chain(Chain(AvgPool::new(), Flatten), Dense::new(bias)),
                );
                both(&mut rng, (float, exact), loss, "strided conv, leaky relu, avg pool, dense")
            }
            _ => {
                let float: Net3<f64> = Chain(
                    Chain(Chain(MaxPool::new(), Flatten), Dense::new(bias)),
                    Chain(Activate::new(leaky), Dense::new(bias)),
                );
                let exact: Net3<Rational> = Chain(
                    Chain(Chain(MaxPool::new(), Flatten), Dense::new(bias)),
                    Chain(Activate::new(leaky), Dense::new(bias)),
                );
                both(&mut rng, (float, exact), loss, "max pool, flatten, dense, leaky relu, dense")
            }
        };
    }
    // Most entries are away from a kink: the check compares far more than it skips.
    assert!(compared > specs / 4 * 15, "{compared}");
}
