//! Mini-batches (issue 13), through the library's API: over random batches of 1 to 5 examples
//! on random networks, with both reductions and every objective, the batch's loss is the
//! mean (or sum) of the examples' losses, each computed alone by `train_network`; the batch's
//! gradient is the same mean (or sum) of their gradients, and agrees with central finite
//! differences of the batch loss; one update moves every parameter by `η` times it. A batch
//! of one computes the very bits of a run on its one input.

use cnn_bp_core::network::{NetDerivation, Objective, Reduction, train_batch, train_network};
use cnn_bp_core::ops::{
    Activate, Chain, Conv, Convolve, Correlate, Dense, Flatten, Geometry, LeakyRelu, MaxPool, Op,
    Relu, Tanh, Tensor,
};
use cnn_bp_core::{Extras, Loss, SpecError};

type Map<const C: usize, const H: usize, const W: usize> = [[[f64; W]; H]; C];
type G<const S: usize, const P: usize, const D: usize> = Geometry<S, S, P, P, D, D>;

type Net1 = Chain<
    Chain<Conv<1, 4, 4, 2, 2, 2, 3, 3, G<1, 0, 1>, Correlate>, Activate<Relu, Map<2, 3, 3>>>,
    Conv<2, 3, 3, 1, 2, 2, 2, 2, G<1, 0, 1>, Convolve>,
>;
type Net2 =
    Chain<Conv<2, 5, 5, 2, 3, 3, 3, 3, G<2, 1, 1>, Correlate>, Activate<Tanh, Map<2, 3, 3>>>;
type Net3 = Chain<
    Chain<Chain<Dense<3, 4>, Activate<LeakyRelu, [f64; 4]>>, Dense<4, 3>>,
    Activate<Tanh, [f64; 3]>,
>;
type Net4 = Chain<
    Chain<
        Chain<Conv<1, 5, 5, 2, 2, 2, 4, 4, G<1, 0, 1>, Correlate>, Activate<Relu, Map<2, 4, 4>>>,
        MaxPool<2, 4, 4, 2, 2, 2, 2, 2, 2>,
    >,
    Chain<Flatten<2, 2, 2, 8>, Dense<8, 3>>,
>;

fn value(rng: &mut fastrand::Rng) -> f64 {
    f64::from(rng.i32(-40..=40)) / 16.0 + rng.f64() / 64.0
}

fn values(rng: &mut fastrand::Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| value(rng)).collect()
}

/// One kind of objective for every example: a loss, an upstream gradient or a softmax
/// cross-entropy, drawn once per batch.
fn objectives(rng: &mut fastrand::Rng, n: usize, outputs: usize) -> Vec<Objective<f64>> {
    let kind = rng.u8(0..5);
    let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
    (0..n)
        .map(|_| match kind {
            0 => Objective::GradOutput(values(rng, outputs)),
            1 => {
                let w: Vec<f64> = (0..outputs).map(|_| rng.f64() + 0.01).collect();
                let sum: f64 = w.iter().sum();
                Objective::SoftmaxCrossEntropy { target: w.iter().map(|w| w / sum).collect() }
            }
            _ => Objective::Loss { loss, target: values(rng, outputs) },
        })
        .collect()
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + a.abs().max(b.abs()))
}

/// The batch's loss at `params`, no update.
fn batch_loss<N>(
    net: &N,
    params: &[f64],
    examples: &[(&N::In, Objective<f64>)],
    r: Reduction,
) -> f64
where
    N: Op<f64> + Clone + Send + Sync + 'static,
{
    let d = train_batch(net.clone(), params, examples, r, None, 1, Extras::default());
    d.expect("valid").steps()[0].loss()
}

/// One random batch on `net`: returns whether it was compared (one within reach of a kink,
/// where `kinked` says so of some example's layer outputs, is not).
fn check<N>(rng: &mut fastrand::Rng, net: &N, kinked: bool, what: &str) -> bool
where
    N: Op<f64> + Clone + Send + Sync + 'static,
{
    let n = rng.usize(1..=5);
    let reduction = if rng.bool() { Reduction::Mean } else { Reduction::Sum };
    let params = values(rng, net.params_len());
    let inputs: Vec<Vec<f64>> = (0..n).map(|_| values(rng, <N::In as Tensor<f64>>::LEN)).collect();
    let outputs = <N::Out as Tensor<f64>>::LEN;
    let examples: Vec<(&N::In, Objective<f64>)> = inputs
        .iter()
        .map(|x| <N::In as Tensor<f64>>::view(x))
        .zip(objectives(rng, n, outputs))
        .collect();
    let lr = 0.125;
    let d: NetDerivation =
        train_batch(net.clone(), &params, &examples, reduction, Some(lr), 1, Extras::default())
            .expect("valid");
    let s = &d.steps()[0];
    let views = s.examples();
    assert_eq!(views.len(), n, "{what}: one view per example");
    if kinked
        && views
            .iter()
            .any(|e| e.layer_outputs().iter().any(|(_, v)| v.iter().any(|z| z.abs() < 1e-3)))
    {
        return false;
    }
    // Each example alone, by the run on one input.
    let (mut loss_sum, mut grad_sum) = (0.0, vec![0.0; params.len()]);
    for (k, ((x, objective), view)) in examples.iter().zip(&views).enumerate() {
        let alone = train_network(net.clone(), &params, x, objective.clone(), None, 1);
        let alone = alone.expect("valid");
        let one = &alone.steps()[0];
        assert_eq!(view.loss(), one.loss(), "{what}: example {k}'s loss");
        assert_eq!(view.named_grads(), one.named_grads(), "{what}: example {k}'s gradients");
        assert_eq!(view.layer_outputs(), one.layer_outputs(), "{what}: example {k}'s outputs");
        assert_eq!(view.input_grads(), one.input_grads(), "{what}: example {k}'s ∂L/∂x");
        loss_sum += one.loss();
        for (sum, g) in grad_sum.iter_mut().zip(one.named_grads().into_iter().flat_map(|t| t.2)) {
            *sum += g;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let scale = if reduction == Reduction::Mean { 1.0 / n as f64 } else { 1.0 };
    assert!(close(s.loss(), scale * loss_sum, 1e-12), "{what}: batch loss {}", s.loss());
    let grads: Vec<f64> = s.named_grads().into_iter().flat_map(|(_, _, g)| g).collect();
    let h = 1e-6;
    for k in 0..params.len() {
        assert!(
            close(grads[k], scale * grad_sum[k], 1e-12),
            "{what}: ∂L/∂p[{k}] as a {reduction:?}"
        );
        let (mut up, mut down) = (params.clone(), params.clone());
        up[k] += h;
        down[k] -= h;
        let central = (batch_loss(net, &up, &examples, reduction)
            - batch_loss(net, &down, &examples, reduction))
            / (2.0 * h);
        assert!(close(grads[k], central, 1e-5), "{what}: ∂L/∂p[{k}]: {} vs {central}", grads[k]);
    }
    // One update, with the batch's gradient.
    let after: Vec<f64> = d.named_parameters().into_iter().flat_map(|(_, _, p)| p).collect();
    for k in 0..params.len() {
        assert_eq!(after[k], params[k] - lr * grads[k], "{what}: update of p[{k}]");
    }
    assert!(close(d.loss_after(), batch_loss(net, &after, &examples, reduction), 1e-12));
    true
}

#[test]
fn batch_gradients_of_random_batches_against_finite_differences() {
    let mut rng = fastrand::Rng::with_seed(1313);
    let (mut compared, mut specs) = (0, 0);
    while compared < 500 {
        specs += 1;
        let bias = rng.bool();
        let ok = match specs % 4 {
            0 => {
                let net: Net1 =
                    Chain(Chain(Conv::new(bias), Activate::new(Relu::default())), Conv::new(bias));
                check(&mut rng, &net, true, "conv, relu, true-convolution conv")
            }
            1 => {
                let net: Net2 = Chain(Conv::new(bias), Activate::new(Tanh));
                check(&mut rng, &net, false, "2 channels, stride 2 padding 1, tanh")
            }
            2 => {
                let net: Net3 = Chain(
                    Chain(
                        Chain(Dense::new(bias), Activate::new(LeakyRelu { slope: 0.1 })),
                        Dense::new(bias),
                    ),
                    Activate::new(Tanh),
                );
                check(&mut rng, &net, true, "an MLP: dense, leaky relu, dense, tanh")
            }
            _ => {
                let net: Net4 = Chain(
                    Chain(Chain(Conv::new(bias), Activate::new(Relu::default())), MaxPool::new()),
                    Chain(Flatten, Dense::new(bias)),
                );
                check(&mut rng, &net, true, "conv, relu, max pool, flatten, dense")
            }
        };
        compared += usize::from(ok);
        assert!(specs < 4 * 500, "too many batches near a kink: {specs}");
    }
}

type Seed = Chain<
    Conv<1, 3, 3, 1, 2, 2, 2, 2, Geometry<1, 1, 0, 0, 1, 1>, Correlate>,
    Activate<Relu, Map<1, 2, 2>>,
>;

fn seed() -> Seed {
    Chain(Conv::new(false), Activate::new(Relu::default()))
}

#[test]
fn a_batch_of_one_is_a_run_on_its_input() {
    let x = [[[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]]];
    let target = Objective::Loss { loss: Loss::HalfSse, target: vec![1.0, 0.0, 0.0, 1.0] };
    let start = [1.0, -1.0, 1.0, 1.0];
    for reduction in [Reduction::Mean, Reduction::Sum] {
        let batch = train_batch(
            seed(),
            &start,
            &[(&x, target.clone())],
            reduction,
            Some(0.5),
            3,
            Extras::default(),
        );
        let batch = batch.expect("valid");
        let one = train_network(seed(), &start, &x, target.clone(), Some(0.5), 3).expect("valid");
        for (a, b) in batch.steps().iter().zip(one.steps()) {
            assert_eq!((a.loss(), a.named_grads()), (b.loss(), b.named_grads()));
        }
        assert_eq!(batch.named_parameters(), one.named_parameters());
        assert_eq!(batch.loss_after(), one.loss_after());
        assert!(batch.verify().is_ok());
    }
}

#[test]
fn what_a_batch_cannot_be() {
    let x = [[[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]]];
    let start = [1.0, -1.0, 1.0, 1.0];
    let none: &[(&Map<1, 3, 3>, Objective<f64>)] = &[];
    let empty = train_batch(seed(), &start, none, Reduction::Mean, Some(0.5), 1, Extras::default());
    assert_eq!(empty.err(), Some(SpecError::EmptyBatch));
    let loss = |loss| Objective::Loss { loss, target: vec![0.0; 4] };
    let mixed = [(&x, loss(Loss::HalfSse)), (&x, loss(Loss::HalfSse)), (&x, loss(Loss::Mse))];
    let mixed =
        train_batch(seed(), &start, &mixed, Reduction::Mean, Some(0.5), 1, Extras::default());
    assert_eq!(mixed.err(), Some(SpecError::MixedObjectives(2)));
    let kinds = [(&x, loss(Loss::Sse)), (&x, Objective::GradOutput(vec![1.0; 4]))];
    let kinds =
        train_batch(seed(), &start, &kinds, Reduction::Sum, Some(0.5), 1, Extras::default());
    assert_eq!(kinds.err(), Some(SpecError::MixedObjectives(1)));
    let short =
        [(&x, loss(Loss::Sse)), (&x, Objective::Loss { loss: Loss::Sse, target: vec![0.0; 3] })];
    let short =
        train_batch(seed(), &start, &short, Reduction::Sum, Some(0.5), 1, Extras::default());
    assert_eq!(short.err(), Some(SpecError::ObjectiveLen { expected: 4, found: 3 }));
}

#[test]
fn the_derivations_own_check_of_a_batch_agrees() {
    let mut rng = fastrand::Rng::with_seed(1314);
    let mut checked = 0;
    while checked < 40 {
        let net: Net2 = Chain(Conv::new(true), Activate::new(Tanh));
        let n = rng.usize(2..=6);
        let inputs: Vec<Vec<f64>> = (0..n).map(|_| values(&mut rng, 50)).collect();
        let examples: Vec<(&Map<2, 5, 5>, Objective<f64>)> = inputs
            .iter()
            .map(|x| <Map<2, 5, 5> as Tensor<f64>>::view(x))
            .zip(objectives(&mut rng, n, 18))
            .collect();
        let params = values(&mut rng, net.params_len());
        let extras = Extras::default().finite_differences(true);
        let d = train_batch(net, &params, &examples, Reduction::Mean, Some(0.125), 2, extras);
        let d = d.expect("valid");
        assert_eq!(d.checks().len(), 2);
        for check in d.checks() {
            // Every parameter, no input entry: a batch's inputs are each their own example's.
            assert_eq!(check.entries.len(), params.len());
            for e in &check.entries {
                assert!(e.kink.is_some() || close(e.grad.value, e.central, 1e-5), "{e:?}");
            }
        }
        assert!(d.verify().is_ok(), "{:?}", d.verify());
        checked += 1;
    }
}

#[test]
fn a_batch_in_exact_arithmetic() {
    use cnn_bp_core::Rational;
    type Exact = Chain<
        Conv<1, 3, 3, 1, 2, 2, 2, 2, Geometry<1, 1, 0, 0, 1, 1>, Correlate>,
        Activate<Relu, [[[Rational; 2]; 2]; 1]>,
    >;
    let r = |v: &[i32]| -> Vec<Rational> { v.iter().map(|&v| Rational::from(v)).collect() };
    let grid = |v: [i32; 9]| -> [[[Rational; 3]; 3]; 1] {
        let v = r(&v);
        [core::array::from_fn(|i| core::array::from_fn(|j| v[3 * i + j]))]
    };
    let (x1, x2) = (grid([1, -1, 0, 0, 1, 0, 0, -1, 1]), grid([1, 0, 1, 0, 1, 0, 1, 0, 1]));
    let loss = |t: &[i32]| Objective::Loss { loss: Loss::HalfSse, target: r(t) };
    let examples = [(&x1, loss(&[1, 0, 0, 1])), (&x2, loss(&[1, 1, 0, 0]))];
    let net: Exact = Chain(Conv::new(false), Activate::new(Relu::default()));
    let lr: Rational = "1/3".parse().expect("a fraction");
    let d = train_batch(
        net,
        &r(&[1, -1, 1, 1]),
        &examples,
        Reduction::Mean,
        Some(lr),
        2,
        Extras::default(),
    );
    let d = d.expect("valid");
    let s = &d.steps()[0];
    assert_eq!(s.loss().to_string(), "5/2");
    let grads: Vec<String> = s.named_grads()[0].2.iter().map(ToString::to_string).collect();
    assert_eq!(grads, ["5/2", "-1", "0", "5/2"]);
    // w ← w − (1/3)·∂L/∂w = [[1/6, −2/3], [1, 1/6]].
    let w: Vec<String> =
        d.steps()[1].named_parameters()[0].2.iter().map(ToString::to_string).collect();
    assert_eq!(w, ["1/6", "-2/3", "1", "1/6"]);
    assert!(d.verify().is_ok());
    assert!(d.to_string().contains("L = ½[2 + 3] = 5/2"), "{d}");
}
