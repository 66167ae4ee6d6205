//! Issue 10: one `NoTrace` training step of a network built from the ops
//! (`cnn_bp_core::network::net_step`) against a hand-written loop for the same network, in the
//! same run.
//!
//! - `net_28x28`: input 1×28×28, conv 5×5 with 4 filters (no bias, stride 1, no padding,
//!   correlation) → 4×24×24, relu, conv 3×3 on 4 channels with 1 filter → 1×22×22, ½·Σ(y − t)²,
//!   lr 0.01; against [`hand_net`], that network written out with const sizes.
//! - `lenet` (issue 11): input 1×28×28, conv 5×5 with 6 filters and a bias → 6×24×24, relu,
//!   max pool 2×2 → 6×12×12, flatten → 864, dense 864 → 10 with a bias, softmax
//!   cross-entropy against a one-hot target, lr 0.1 (`cnn_bp_bench::lenet`); against
//!   `lenet::hand_step`, that network written out with fixed-size arrays. Its setup also
//!   writes the step's inputs and results to `<target>/criterion/lenet_step.json`, which
//!   `scripts/bench_jax_lenet.py` reads to run the same step under JAX.
//! - `3x3_2x2`, `8x8_3x3`, `28x28_5x5`: the single-layer shorthand's step as `train!` takes
//!   every step it does not write out (its network `[conv, relu]` as ops, `NoTrace`, the
//!   numbers left in the run's buffers: `__private::UntracedSteps`), on the inputs of
//!   `numeric.rs` (BENCHMARKS.md part 1), against its `hand_step`.
//!
//! Both sides compute the same step in the same order of operations: before anything is timed
//! every layer's output, every output's gradient, the loss, every parameter's gradient and the
//! next parameters are asserted bit-identical (`f64::to_bits`). Each timed step starts from the
//! same parameters (both sides copy them in first), so that the values timed are the asserted
//! ones. The network, its input and its objective go through `black_box`: `train!` and
//! `train_network` hand the ops' settings (bias or not, relu's `f′(0)`, the loss) over as data.
//!
//! Measures, as in `numeric.rs`: criterion's medians (`network/core/<case>`,
//! `network/hand/<case>`); the paired ratio (101 rounds of a batch of the core then a batch of
//! the hand-written step, the median of the ratios and its quartiles, printed with each side's
//! median time a step and written to `<target>/criterion/network_paired.csv`); instructions per
//! step with `scripts/network_instructions.sh` (`NETWORK_CALLGRIND=<case>:<iterations>`).
//! `NETWORK_CASES=<case>,…` runs only those cases, `NETWORK_PAIRED_ONLY=1` only their paired
//! ratios.
//!
//! Run: `cargo bench --bench network`; `python3 scripts/bench_report.py` prints the table.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use cnn_bp_bench::lenet;
use cnn_bp_core::__private::UntracedSteps;
use cnn_bp_core::Loss;
use cnn_bp_core::network::{NetBuffers, Objective, net_step};
use cnn_bp_core::ops::{Activate, Chain, Conv, Correlate, Geometry, Op, Relu, Tensor};
use criterion::{BenchmarkId, Criterion};

#[allow(dead_code)] // shared with the other benchmarks
mod common;
use common::Case;
#[path = "common/hand.rs"]
mod hand;
use hand::hand_step;

type Unit = Geometry<1, 1, 0, 0, 1, 1>;
type Map<const C: usize, const H: usize, const W: usize> = [[[f64; W]; H]; C];

// The two-conv network: sizes written once, for the ops and for the hand-written loop.
const H0: usize = 28;
const F1: usize = 4;
const K1: usize = 5;
const H1: usize = H0 - K1 + 1; // 24
const K2: usize = 3;
const H2: usize = H1 - K2 + 1; // 22
const NET_LR: f64 = 0.01;
const NET_PARAMS: usize = F1 * K1 * K1 + F1 * K2 * K2;

type Net = Chain<
    Chain<Conv<1, H0, H0, F1, K1, K1, H1, H1, Unit, Correlate>, Activate<Relu, Map<F1, H1, H1>>>,
    Conv<F1, H1, H1, 1, K2, K2, H2, H2, Unit, Correlate>,
>;

/// The hand-written network's parameters: conv 1's 4 filters (one channel each), conv 2's one
/// filter on 4 channels; flat, in this order, they are the ops' parameters.
#[derive(Clone, Copy)]
struct NetParams {
    w1: [[[f64; K1]; K1]; F1],
    w2: [[[f64; K2]; K2]; F1],
}

/// What the hand-written network's step computes, in buffers allocated once.
struct HandNet {
    z1: [[[f64; H1]; H1]; F1],
    y1: [[[f64; H1]; H1]; F1],
    z2: [[f64; H2]; H2],
    /// `∂L/∂z2`, `∂L/∂y1`, `δ1 = ∂L/∂z1`.
    dz2: [[f64; H2]; H2],
    dy1: [[[f64; H1]; H1]; F1],
    dz1: [[[f64; H1]; H1]; F1],
    grads: NetParams,
}

/// One step of the two-conv network written out by hand with const sizes: conv 1 (stride 1,
/// no padding, correlation, no bias), relu (`f′(0) = 0`), conv 2, ½·Σ(y − t)², backward (conv
/// 2's weight gradient and `∂L/∂y1`, relu, conv 1's weight gradient; not `∂L/∂x`), update.
/// Every sum adds its terms in the ops' order, so the results are the same bits. Returns the
/// loss; updates `w` in place.
#[inline(never)]
#[allow(clippy::needless_range_loop, clippy::too_many_lines)] // the network, written out
fn hand_net(
    x: &[[f64; H0]; H0],
    w: &mut NetParams,
    t: &[[f64; H2]; H2],
    lr: f64,
    b: &mut HandNet,
) -> f64 {
    // Conv 1.
    for f in 0..F1 {
        for p in 0..H1 {
            for q in 0..H1 {
                let mut acc = 0.0;
                for i in 0..K1 {
                    for j in 0..K1 {
                        acc += x[p + i][q + j] * w.w1[f][i][j];
                    }
                }
                b.z1[f][p][q] = acc;
            }
        }
    }
    // Relu.
    for f in 0..F1 {
        for p in 0..H1 {
            for q in 0..H1 {
                let z = b.z1[f][p][q];
                b.y1[f][p][q] = if z < 0.0 { 0.0 } else { z };
            }
        }
    }
    // Conv 2.
    for p in 0..H2 {
        for q in 0..H2 {
            let mut acc = 0.0;
            for c in 0..F1 {
                for i in 0..K2 {
                    for j in 0..K2 {
                        acc += b.y1[c][p + i][q + j] * w.w2[c][i][j];
                    }
                }
            }
            b.z2[p][q] = acc;
        }
    }
    // The loss and its gradient.
    let mut sum = 0.0;
    for p in 0..H2 {
        for q in 0..H2 {
            let d = b.z2[p][q] - t[p][q];
            sum += d * d;
        }
    }
    let loss = sum / 2.0;
    for p in 0..H2 {
        for q in 0..H2 {
            b.dz2[p][q] = b.z2[p][q] - t[p][q];
        }
    }
    // Conv 2 backward: ∂L/∂w2, then ∂L/∂y1 (each entry summed over the outputs its filter
    // entries reached, in the order of the filter's rows and columns).
    for c in 0..F1 {
        for i in 0..K2 {
            for j in 0..K2 {
                let mut acc = 0.0;
                for p in 0..H2 {
                    for q in 0..H2 {
                        acc += b.dz2[p][q] * b.y1[c][p + i][q + j];
                    }
                }
                b.grads.w2[c][i][j] = acc;
            }
        }
    }
    for c in 0..F1 {
        for r in 0..H1 {
            // The filter rows that reach row r: 0 ≤ r − i < H2.
            let rows = r.saturating_sub(H2 - 1)..=r.min(K2 - 1);
            for s in 0..H1 {
                let cols = s.saturating_sub(H2 - 1)..=s.min(K2 - 1);
                let mut acc = 0.0;
                for i in rows.clone() {
                    for j in cols.clone() {
                        acc += b.dz2[r - i][s - j] * w.w2[c][i][j];
                    }
                }
                b.dy1[c][r][s] = acc;
            }
        }
    }
    // Relu backward.
    for f in 0..F1 {
        for p in 0..H1 {
            for q in 0..H1 {
                let slope = if b.z1[f][p][q] > 0.0 { 1.0 } else { 0.0 };
                b.dz1[f][p][q] = b.dy1[f][p][q] * slope;
            }
        }
    }
    // Conv 1 backward: ∂L/∂w1.
    for f in 0..F1 {
        for i in 0..K1 {
            for j in 0..K1 {
                let mut acc = 0.0;
                for p in 0..H1 {
                    for q in 0..H1 {
                        acc += b.dz1[f][p][q] * x[p + i][q + j];
                    }
                }
                b.grads.w1[f][i][j] = acc;
            }
        }
    }
    // Update.
    for f in 0..F1 {
        for i in 0..K1 {
            for j in 0..K1 {
                w.w1[f][i][j] -= lr * b.grads.w1[f][i][j];
            }
        }
    }
    for c in 0..F1 {
        for i in 0..K2 {
            for j in 0..K2 {
                w.w2[c][i][j] -= lr * b.grads.w2[c][i][j];
            }
        }
    }
    loss
}

impl NetParams {
    fn flat(&self) -> Vec<f64> {
        self.w1
            .iter()
            .flatten()
            .flatten()
            .chain(self.w2.iter().flatten().flatten())
            .copied()
            .collect()
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Deterministic halves in [−2.5, 2.5] divided by `scale`, as `common::grid` makes them.
fn halves<const N: usize>(seed: usize, scale: f64) -> [f64; N] {
    std::array::from_fn(|k| {
        let k = seed * 7919 + k * 17 + k * k / 5;
        (((k * 7 + 3) % 11) as f64 / 2.0 - 2.5) / scale
    })
}

/// The two-conv network: the ops' step against [`hand_net`].
#[allow(clippy::large_stack_arrays)] // set-up, once: 75 KB of the main thread's stack
fn network(c: &mut Criterion) {
    let name = "net_28x28";
    if skipped(name) {
        return;
    }
    let net: Net = Chain(Chain(Conv::new(false), Activate::new(Relu::default())), Conv::new(false));
    // Scaled so that one step of lr 0.01 lowers the loss (713.2 → 545.0).
    let mut x: [[f64; H0]; H0] = common::grid(1);
    x.iter_mut().flatten().for_each(|v| *v /= 4.0);
    let t: [[f64; H2]; H2] = common::grid(3);
    let w1: [f64; F1 * K1 * K1] = halves(2, 8.0);
    let w2: [f64; F1 * K2 * K2] = halves(5, 4.0);
    let start = NetParams {
        w1: *<Map<F1, K1, K1> as Tensor<f64>>::view(&w1),
        w2: *<Map<F1, K2, K2> as Tensor<f64>>::view(&w2),
    };
    // A fixed-size array, as the hand-written side's, so that resetting it is a plain copy.
    let start_flat: [f64; NET_PARAMS] = start.flat().try_into().expect("136 parameters");
    assert_eq!(NET_PARAMS, net.params_len());
    let objective = Objective::Loss { loss: Loss::HalfSse, target: t.as_flattened().to_vec() };
    let input = [x];

    // Once each, compared.
    let mut buffers = NetBuffers::new(&net);
    let mut params = start_flat;
    let loss = net_step(&net, &mut params, &input, &objective, NET_LR, &mut buffers);
    let mut hand = Box::new(HandNet {
        z1: [[[0.0; H1]; H1]; F1],
        y1: [[[0.0; H1]; H1]; F1],
        z2: [[0.0; H2]; H2],
        dz2: [[0.0; H2]; H2],
        dy1: [[[0.0; H1]; H1]; F1],
        dz1: [[[0.0; H1]; H1]; F1],
        grads: NetParams { w1: [[[0.0; K1]; K1]; F1], w2: [[[0.0; K2]; K2]; F1] },
    });
    let mut hand_params = start;
    let hand_loss = hand_net(&x, &mut hand_params, &t, NET_LR, &mut hand);
    assert_eq!(loss.to_bits(), hand_loss.to_bits(), "{name}: loss");
    let outputs = buffers.layer_outputs(&net);
    let flat3 = |m: &Map<F1, H1, H1>| m.as_flattened().as_flattened().to_vec();
    assert_eq!(bits(outputs[0]), bits(&flat3(&hand.z1)), "{name}: z1");
    assert_eq!(bits(outputs[1]), bits(&flat3(&hand.y1)), "{name}: y1");
    assert_eq!(bits(outputs[2]), bits(hand.z2.as_flattened()), "{name}: z2");
    let grads = buffers.output_grads(&net);
    assert_eq!(bits(grads[0]), bits(&flat3(&hand.dz1)), "{name}: δ1");
    assert_eq!(bits(grads[1]), bits(&flat3(&hand.dy1)), "{name}: ∂L/∂y1");
    assert_eq!(bits(grads[2]), bits(hand.dz2.as_flattened()), "{name}: ∂L/∂z2");
    assert_eq!(bits(buffers.grads()), bits(&hand.grads.flat()), "{name}: ∂L/∂w");
    assert_eq!(bits(&params), bits(&hand_params.flat()), "{name}: next parameters");
    // Not a degenerate step: some relus dead, some alive, the loss falls.
    let alive = outputs[1].iter().filter(|&&y| y > 0.0).count();
    assert!(alive > 100 && alive < F1 * H1 * H1 - 100, "{name}: {alive} relus alive");
    let mut next_buffers = NetBuffers::new(&net);
    let after = net_step(&net, &mut params.clone(), &input, &objective, NET_LR, &mut next_buffers);
    assert!(after < loss, "{name}: the loss falls, {loss} → {after}");

    let mut core_once = || {
        params = start_flat;
        net_step(
            black_box(&net),
            &mut params,
            black_box(&input),
            black_box(&objective),
            black_box(NET_LR),
            &mut buffers,
        )
    };
    let mut hand_once = || {
        hand_params = start;
        hand_net(black_box(&x), &mut hand_params, black_box(&t), black_box(NET_LR), &mut hand)
    };
    run(c, name, &mut core_once, &mut hand_once);
}

/// Issue 11's LeNet-like step: the ops' step against [`lenet::hand_step`].
fn lenet_step(c: &mut Criterion) {
    let name = "lenet";
    if skipped(name) {
        return;
    }
    let net = lenet::net();
    lenet::params_len(&net);
    let (x, t, objective) = (lenet::input(), lenet::target(), lenet::objective());
    let input = [x];
    let start = lenet::Params::start();
    let start_flat: Box<[f64; lenet::PARAMS]> =
        start.flat().into_boxed_slice().try_into().expect("8,806 parameters");

    // Once each, compared.
    let mut buffers = NetBuffers::new(&net);
    let mut params = start_flat.clone();
    let loss = net_step(&net, &mut params[..], &input, &objective, lenet::LR, &mut buffers);
    let (mut hand, mut hand_params) = (lenet::Hand::new(), start.clone());
    let hand_loss = lenet::hand_step(&x, &mut hand_params, &t, lenet::LR, &mut hand);
    lenet::assert_identical(&net, &buffers, (&params[..], loss), &hand, (&hand_params, hand_loss));
    let mut next_buffers = NetBuffers::new(&net);
    let after =
        net_step(&net, &mut params.clone()[..], &input, &objective, lenet::LR, &mut next_buffers);
    assert!(after < loss, "{name}: the loss falls, {loss} → {after}");
    let path = common::criterion_dir().join("lenet_step.json");
    std::fs::create_dir_all(common::criterion_dir())
        .and_then(|()| std::fs::write(&path, lenet::json(&x, &start, loss, &params[..])))
        .expect("write lenet_step.json");

    let mut core_once = || {
        params.copy_from_slice(&start_flat[..]);
        net_step(
            black_box(&net),
            &mut params[..],
            black_box(&input),
            black_box(&objective),
            black_box(lenet::LR),
            &mut buffers,
        )
    };
    let mut hand_once = || {
        *hand_params = *start;
        lenet::hand_step(
            black_box(&x),
            &mut hand_params,
            black_box(&t),
            black_box(lenet::LR),
            &mut hand,
        )
    };
    run(c, name, &mut core_once, &mut hand_once);
}

/// The single-layer shorthand's step, as `train!` takes every step it does not write out (its
/// network's ops, `NoTrace`), against `hand_step`.
fn single<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    c: &mut Criterion,
    case: &Case<H, W, KH, KW, OH, OW>,
) {
    let name = case.name;
    if skipped(name) {
        return;
    }
    assert_eq!((case.layer.stride, case.layer.padding, case.params.bias), ((1, 1), (0, 0), None));
    // Relu's `f′(0)`, the bias or not and the loss through `black_box`: `train!` hands them
    // over as data.
    let relu = black_box(Relu::default());
    let mut steps: UntracedSteps<Relu, Correlate, 1, 1, 0, 0, H, W, KH, KW, OH, OW> =
        UntracedSteps::new(relu, Correlate, black_box(false), black_box(Loss::HalfSse));
    let filter = case.params.filter;
    let loss = steps.step(&case.x, (&filter, None), &case.t, case.lr);
    let hand = hand_step::<H, W, KH, KW, OH, OW, 1, 1, 0, 0>(&case.x, &filter, &case.t, case.lr);
    assert_eq!(loss.to_bits(), hand.loss.to_bits(), "{name}: loss");
    let [z, y, delta, grad, next] = steps.numbers();
    assert_eq!(bits(z), bits(hand.z.as_flattened()), "{name}: z");
    assert_eq!(bits(y), bits(hand.y.as_flattened()), "{name}: y");
    assert_eq!(bits(delta), bits(hand.delta.as_flattened()), "{name}: δ");
    assert_eq!(bits(grad), bits(hand.grad.as_flattened()), "{name}: ∂L/∂W");
    assert_eq!(bits(next), bits(hand.next.as_flattened()), "{name}: next W");

    let lr = case.lr;
    let mut core_once = || {
        steps.step(
            black_box(&case.x),
            (black_box(&filter), None),
            black_box(&case.t),
            black_box(lr),
        )
    };
    let mut hand_once = || {
        hand_step::<H, W, KH, KW, OH, OW, 1, 1, 0, 0>(
            black_box(&case.x),
            black_box(&filter),
            black_box(&case.t),
            black_box(lr),
        )
    };
    run(c, name, &mut core_once, &mut hand_once);
}

/// Whether `NETWORK_CALLGRIND` asks for another case than `name` (whose set-up is then skipped
/// too, so that the instructions counted outside the timed loops are its own), or
/// `NETWORK_CASES` (a comma-separated list) does not list it.
fn skipped(name: &str) -> bool {
    let other = std::env::var("NETWORK_CALLGRIND")
        .is_ok_and(|only| only.split_once(':').is_some_and(|(case, _)| case != name));
    let unlisted =
        std::env::var("NETWORK_CASES").is_ok_and(|cases| !cases.split(',').any(|c| c == name));
    other || unlisted
}

/// Times both sides of one case (or counts their instructions, under `NETWORK_CALLGRIND`).
fn run<A, B>(
    c: &mut Criterion,
    name: &str,
    core: &mut impl FnMut() -> A,
    hand: &mut impl FnMut() -> B,
) {
    if let Ok(only) = std::env::var("NETWORK_CALLGRIND") {
        // Instruction counts instead of times: one case's two sides `iters` times each, each
        // through a function of its own, for `valgrind --tool=callgrind` (BENCHMARKS.md).
        let (case, iters) = only.split_once(':').expect("NETWORK_CALLGRIND=<case>:<iterations>");
        if case == name {
            let iters: u32 = iters.parse().expect("NETWORK_CALLGRIND=<case>:<iterations>");
            callgrind_core(core, iters);
            callgrind_hand(hand, iters);
        }
        return;
    }
    paired_ratio(name, core, hand);
    if std::env::var_os("NETWORK_PAIRED_ONLY").is_some() {
        return;
    }
    let mut group = c.benchmark_group("network");
    group.bench_function(BenchmarkId::new("core", name), |b| b.iter(&mut *core));
    group.bench_function(BenchmarkId::new("hand", name), |b| b.iter(&mut *hand));
    group.finish();
}

#[inline(never)]
fn callgrind_core<A>(core: &mut impl FnMut() -> A, iters: u32) {
    for _ in 0..iters {
        black_box(core());
    }
}

#[inline(never)]
fn callgrind_hand<B>(hand: &mut impl FnMut() -> B, iters: u32) {
    for _ in 0..iters {
        black_box(hand());
    }
}

/// The time of `batch` runs of `f`, in seconds.
fn time<T>(f: &mut impl FnMut() -> T, batch: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        drop(black_box(f()));
    }
    start.elapsed().as_secs_f64()
}

/// The core's time over the hand-written step's, as the median of 101 ratios of batches run
/// back to back (core, hand, core, hand, …), with its quartiles: printed, and appended to
/// `<target>/criterion/network_paired.csv`.
fn paired_ratio<A, B>(name: &str, core: &mut impl FnMut() -> A, hand: &mut impl FnMut() -> B) {
    // A batch of about 200 µs of the hand-written step.
    let start = Instant::now();
    let mut calibrate = 0u32;
    while start.elapsed() < Duration::from_millis(20) {
        black_box(hand());
        calibrate += 1;
    }
    let batch = (calibrate / 100).max(1);
    let (mut ratios, mut cores, mut hands) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..101 {
        let c = time(core, batch);
        let h = time(hand, batch);
        ratios.push(c / h);
        cores.push(c / f64::from(batch) * 1e9);
        hands.push(h / f64::from(batch) * 1e9);
    }
    for v in [&mut ratios, &mut cores, &mut hands] {
        v.sort_by(f64::total_cmp);
    }
    let (median, q1, q3) = (ratios[50], ratios[25], ratios[75]);
    println!(
        "network/paired/{name}: core/hand = {median:.3} (quartiles {q1:.3}–{q3:.3}); medians {:.1} ns and {:.1} ns a step",
        cores[50], hands[50]
    );
    let path = common::criterion_dir().join("network_paired.csv");
    let mut csv = std::fs::read_to_string(&path).unwrap_or_default();
    writeln!(csv, "{name},{median},{q1},{q3}").expect("a String takes any text");
    std::fs::create_dir_all(common::criterion_dir())
        .and_then(|()| std::fs::write(&path, csv))
        .expect("write network_paired.csv");
}

fn main() {
    // The paired ratios of this run replace those of the last one.
    let _ = std::fs::remove_file(common::criterion_dir().join("network_paired.csv"));
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    network(&mut c);
    lenet_step(&mut c);
    single::<3, 3, 2, 2, 2, 2>(&mut c, &common::seed());
    single::<8, 8, 3, 3, 6, 6>(&mut c, &common::generated("8x8_3x3", 1, 0));
    single::<28, 28, 5, 5, 24, 24>(&mut c, &common::generated("28x28_5x5", 1, 0));
    c.final_summary();
}
