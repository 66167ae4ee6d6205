//! `net_step` (issue 10's benchmark API): one unrecorded step of a network computes the very
//! bits of the same step of `train_network`, and the numeric path of the ops (`NoTrace`, whose
//! loops are specialised) the very bits of the recorded path, over networks with channels,
//! filters, bias, stride, padding, dilation and both kernel orientations, and every objective.

use cnn_bp_core::network::{NetBuffers, Objective, net_step, train_network};
use cnn_bp_core::ops::{
    Activate, At, Chain, Conv, Convolve, Correlate, Geometry, LeakyRelu, Op, Relu, Sigmoid, Tanh,
    Tensor,
};
use cnn_bp_core::{Expr, Loss, NoTrace, Recorder, Scale, Sym, Term};

type Map<const C: usize, const H: usize, const W: usize> = [[[f64; W]; H]; C];
type G<const S: usize, const P: usize, const D: usize> = Geometry<S, S, P, P, D, D>;

fn value(rng: &mut fastrand::Rng) -> f64 {
    // Quarters mostly, so that some `z` are exactly 0 (a relu's kink), some long ones.
    if rng.u8(0..4) == 0 { rng.f64() * 4.0 - 2.0 } else { f64::from(rng.i32(-8..=8)) / 4.0 }
}

fn values(rng: &mut fastrand::Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| value(rng)).collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn objective(rng: &mut fastrand::Rng, outputs: usize) -> Objective<f64> {
    match rng.u8(0..4) {
        0 => Objective::GradOutput(values(rng, outputs)),
        k => {
            let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][usize::from(k - 1)];
            Objective::Loss { loss, target: values(rng, outputs) }
        }
    }
}

/// A recorder that is not zero-sized, so that the ops take their recorded path: it keeps the
/// value of every sum and equation, and counts the terms.
#[derive(Default)]
struct Values {
    values: Vec<u64>,
    terms: usize,
}

impl Recorder<f64> for Values {
    fn term(&mut self, _: Term<f64>) {
        self.terms += 1;
    }

    fn sum(&mut self, _: Sym, _: Scale, value: f64) {
        self.values.push(value.to_bits());
    }

    fn equation(&mut self, _: Sym, _: Expr<f64>, value: f64) {
        self.values.push(value.to_bits());
    }
}

/// Everything one forward and backward pass writes (the output, the junctions, the gradients,
/// `∂L/∂x` of the input), with recorder `rec`, from `∂L/∂y = dy`.
fn pass<N: Op<f64>, R: Recorder<f64>>(
    net: &N,
    params: &[f64],
    x: &N::In,
    dy: &[f64],
    rec: &mut R,
) -> Vec<u64> {
    let mut y = vec![0.0; <N::Out as Tensor<f64>>::LEN];
    let mut workspace = vec![0.0; net.workspace_len()];
    let mut grads = vec![0.0; net.params_len()];
    let mut dx = vec![0.0; <N::In as Tensor<f64>>::LEN];
    let out = <N::Out as Tensor<f64>>::view_mut(&mut y);
    net.forward(At::FIRST, params, x, out, &mut workspace, rec);
    let (out, dy) = (<N::Out as Tensor<f64>>::view(&y), <N::Out as Tensor<f64>>::view(dy));
    let dxv = Some(<N::In as Tensor<f64>>::view_mut(&mut dx));
    net.backward(At::FIRST, params, x, out, dy, dxv, &mut grads, &mut workspace, rec);
    [y, workspace, grads, dx].concat().iter().map(|v| v.to_bits()).collect()
}

/// One random spec of `net`: the numeric path against the recorded one, and `net_step` (two
/// steps, the same buffers) against `train_network`.
fn check<N>(rng: &mut fastrand::Rng, net: &N, what: &str)
where
    N: Op<f64> + Clone + Send + Sync + 'static,
{
    let params = values(rng, net.params_len());
    let xs = values(rng, <N::In as Tensor<f64>>::LEN);
    let x: &N::In = <N::In as Tensor<f64>>::view(&xs);
    let outputs = <N::Out as Tensor<f64>>::LEN;

    // The ops: the specialised loops of `NoTrace` give the recorded path's bits, `∂L/∂x` of the
    // input included.
    let dy = values(rng, outputs);
    let mut recorded = Values::default();
    let traced = pass(net, &params, x, &dy, &mut recorded);
    assert!(recorded.terms > 0 && !recorded.values.is_empty(), "{what}: recorded");
    let numeric = pass(net, &params, x, &dy, &mut NoTrace);
    let first = numeric.iter().zip(&traced).position(|(a, b)| a != b);
    assert_eq!(first, None, "{what}: NoTrace against the recorded path, first differing entry");

    // `net_step` against `train_network`, for two steps.
    let objective = objective(rng, outputs);
    let lr = 0.125;
    let d = train_network(net.clone(), &params, x, objective.clone(), Some(lr), 2).expect("valid");
    let mut buffers = NetBuffers::new(net);
    let mut p = params.clone();
    for (k, s) in d.steps().iter().enumerate() {
        let loss = net_step(net, &mut p, x, &objective, lr, &mut buffers);
        assert_eq!(loss.to_bits(), s.loss().to_bits(), "{what}, step {k}: loss");
        let grads: Vec<f64> = s.named_grads().into_iter().flat_map(|(_, _, g)| g).collect();
        assert_eq!(bits(buffers.grads()), bits(&grads), "{what}, step {k}: gradients");
        let outs = s.layer_outputs();
        let mine = buffers.layer_outputs(net);
        assert_eq!(mine.len(), outs.len(), "{what}: layers");
        for (layer, ((_, theirs), mine)) in outs.iter().zip(&mine).enumerate() {
            assert_eq!(bits(mine), bits(theirs), "{what}, step {k}: output of layer {layer}");
        }
        // `input_grads()[l + 1]` is `∂L/∂` the output of layer `l`; the last layer's is the
        // objective's gradient.
        let input_grads = s.input_grads();
        let output_grads = buffers.output_grads(net);
        for (layer, (_, theirs)) in input_grads.iter().skip(1).enumerate() {
            let mine = output_grads[layer];
            assert_eq!(bits(mine), bits(theirs), "{what}, step {k}: ∂L/∂ output of layer {layer}");
        }
    }
    let after: Vec<f64> = d.named_parameters().into_iter().flat_map(|(_, _, v)| v).collect();
    assert_eq!(bits(&p), bits(&after), "{what}: parameters after two steps");
}

// Stride 1 with padding and without, dilation, stride 2, a true convolution, biases, every
// activation; sizes with entries of `∂L/∂x` that every kernel offset reaches and border ones.
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
/// The benchmark's network at a smaller size, then a dilated convolution with padding.
type Net5 = Chain<
    Chain<
        Chain<Conv<1, 10, 10, 4, 5, 5, 6, 6, G<1, 0, 1>, Correlate>, Activate<Relu, Map<4, 6, 6>>>,
        Conv<4, 6, 6, 1, 3, 3, 4, 4, G<1, 0, 1>, Correlate>,
    >,
    Conv<1, 4, 4, 2, 2, 2, 4, 4, Geometry<1, 1, 1, 1, 2, 2>, Convolve>,
>;
/// The single-layer shorthand at the benchmark's sizes.
type Single<const H: usize, const K: usize, const O: usize> =
    Chain<Conv<1, H, H, 1, K, K, O, O, G<1, 0, 1>, Correlate>, Activate<Relu, Map<1, O, O>>>;

#[test]
fn net_step_and_the_numeric_path_compute_the_recorded_bits() {
    let mut rng = fastrand::Rng::with_seed(1011);
    for _ in 0..40 {
        let bias = rng.bool();
        let relu = Relu { grad_at_zero: if rng.bool() { 0.0 } else { 1.0 } };
        let net: Net1 = Chain(Chain(Conv::new(bias), Activate::new(relu)), Conv::new(bias));
        check(&mut rng, &net, "conv 3×3 padding 1, relu, conv 2×2");
        let net: Net2 = Chain(Conv::new(bias), Activate::new(Tanh));
        check(&mut rng, &net, "2 channels, 3 filters, stride 2, true convolution, tanh");
        let net: Net3 = Chain(Chain(Conv::new(bias), Activate::new(Sigmoid)), Conv::new(bias));
        check(&mut rng, &net, "dilation 2, sigmoid, 1×1 true convolution");
        let net: Net4 = Chain(
            Chain(Conv::new(bias), Activate::new(LeakyRelu { slope: 0.1 })),
            Chain(Conv::new(bias), Activate::new(relu)),
        );
        check(&mut rng, &net, "four layers: 3 channels, leaky relu, stride 2 padding 1, relu");
        let net: Net5 = Chain(
            Chain(Chain(Conv::new(bias), Activate::new(relu)), Conv::new(bias)),
            Conv::new(bias),
        );
        check(&mut rng, &net, "4 filters, relu, 4 channels, dilation 2 padding 1");
        let net: Single<3, 2, 2> = Chain(Conv::new(bias), Activate::new(relu));
        check(&mut rng, &net, "single layer 3×3 / 2×2");
        let net: Single<8, 3, 6> = Chain(Conv::new(bias), Activate::new(relu));
        check(&mut rng, &net, "single layer 8×8 / 3×3");
    }
}

#[test]
#[should_panic(expected = "of the network's sizes")]
fn net_step_refuses_parameters_of_another_size() {
    let net: Single<3, 2, 2> = Chain(Conv::new(false), Activate::new(Relu::default()));
    let mut buffers = NetBuffers::new(&net);
    let target = Objective::Loss { loss: Loss::HalfSse, target: vec![0.0; 4] };
    net_step(&net, &mut [0.0; 5], &[[[0.0; 3]; 3]], &target, 0.5, &mut buffers);
}
