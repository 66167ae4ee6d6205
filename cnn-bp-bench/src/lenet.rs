//! Issue 11's benchmark network, LeNet-like: a 28×28 input of one channel, conv 5×5 with 6
//! filters and a bias (→ 6×24×24), relu, max pool 2×2 (→ 6×12×12), flatten (864), dense
//! 864 → 10 with a bias, softmax cross-entropy against a one-hot target, one step of
//! gradient descent with lr 0.1.
//!
//! [`net`] builds it from the ops (`Chain`, `Conv`, `Activate<Relu, …>`, `MaxPool`, `Flatten`,
//! `Dense`), as `train!` would, for `network::net_step` (the unrecorded path) and
//! `network::train_network_with` (the derivation). [`hand_step`] is the same step written out
//! by hand with fixed-size arrays, as a person would write it, doing the same arithmetic in
//! the same order; [`assert_identical`] checks, bit for bit, that the two agree on every
//! layer's output, every gradient, the loss and the next parameters. The benchmarks
//! (`benches/network.rs`, `benches/derivation.rs`, `scripts/bench_jax_lenet.py`) and the root
//! package's `tests/lenet.rs` use them.
//!
//! The inputs are drawn from a fixed seed ([`Draw`]): pixels in [0, 1), conv weights in
//! ±0.2, dense weights in ±0.05, biases in ±0.1, so that the logits are of the order of 1,
//! some relus are dead and others alive, no two entries of a pooling window are equal unless
//! both are 0, and the step lowers the loss.

use std::fmt::Write as _;

use cnn_bp_core::network::{NetBuffers, Objective};
use cnn_bp_core::ops::{
    Activate, Chain, Conv, Correlate, Dense, Flatten, Geometry, MaxPool, Op, Relu,
};

/// The input's height and width.
pub const H0: usize = 28;
/// The conv's kernel size.
pub const K: usize = 5;
/// The conv's filters.
pub const F: usize = 6;
/// The conv's output size, `H0 − K + 1`.
pub const H1: usize = H0 - K + 1;
/// The pooled size, `H1 / 2`.
pub const H2: usize = H1 / 2;
/// The flattened length, `F·H2·H2`.
pub const N: usize = F * H2 * H2;
/// The classes.
pub const O: usize = 10;
/// The learning rate.
pub const LR: f64 = 0.1;
/// The target's class.
pub const CLASS: usize = 3;
/// The parameters: the conv's weight and bias, the dense layer's weight and bias.
pub const PARAMS: usize = F * K * K + F + O * N + O;

type Unit = Geometry<1, 1, 0, 0, 1, 1>;

/// The network as ops, left-nested as `train!` builds it.
pub type Net = Chain<
    Chain<
        Chain<
            Chain<
                Conv<1, H0, H0, F, K, K, H1, H1, Unit, Correlate>,
                Activate<Relu, [[[f64; H1]; H1]; F]>,
            >,
            MaxPool<F, H1, H1, 2, 2, 2, 2, H2, H2>,
        >,
        Flatten<F, H2, H2, N>,
    >,
    Dense<N, O>,
>;

/// The network: conv with a bias, relu (`f′(0) = 0`), max pool, flatten, dense with a bias.
pub fn net() -> Net {
    Chain(
        Chain(
            Chain(Chain(Conv::new(true), Activate::new(Relu::default())), MaxPool::new()),
            Flatten,
        ),
        Dense::new(true),
    )
}

/// A fixed-seed stream of numbers (splitmix64), for inputs that every run and the JAX
/// script (through the JSON of [`json`]) share.
#[derive(Clone, Debug)]
pub struct Draw(u64);

impl Draw {
    /// The stream from `seed`.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number, uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }
}

/// The network's parameters, as the hand-written step keeps them; flat, in the order
/// `w1, b1, w2, b2` ([`Params::flat`]), they are the ops' parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// The conv's weight, `[F][K][K]` (one input channel).
    pub w1: [[[f64; K]; K]; F],
    /// The conv's bias, `[F]`.
    pub b1: [f64; F],
    /// The dense layer's weight, `[O][N]`, one row per output.
    pub w2: [[f64; N]; O],
    /// The dense layer's bias, `[O]`.
    pub b2: [f64; O],
}

impl Params {
    /// All zero.
    #[allow(clippy::large_stack_arrays)] // 70 KB, once: fits any thread's stack
    pub fn zero() -> Box<Self> {
        Box::new(Self { w1: [[[0.0; K]; K]; F], b1: [0.0; F], w2: [[0.0; N]; O], b2: [0.0; O] })
    }

    /// The starting parameters, drawn from a fixed seed.
    pub fn start() -> Box<Self> {
        let mut draw = Draw::new(11);
        let mut p = Self::zero();
        p.w1.iter_mut().flatten().flatten().for_each(|w| *w = draw.uniform(-0.2, 0.2));
        p.b1.iter_mut().for_each(|b| *b = draw.uniform(-0.1, 0.1));
        p.w2.iter_mut().flatten().for_each(|w| *w = draw.uniform(-0.05, 0.05));
        p.b2.iter_mut().for_each(|b| *b = draw.uniform(-0.1, 0.1));
        p
    }

    /// The parameters flat, as the ops take them: the conv's weight `[F][1][K][K]`, its bias,
    /// the dense weight `[O][N]` row-major, its bias.
    pub fn flat(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(PARAMS);
        out.extend(self.w1.iter().flatten().flatten());
        out.extend(self.b1);
        out.extend(self.w2.iter().flatten());
        out.extend(self.b2);
        out
    }
}

/// The input: 28×28 pixels in [0, 1), from a fixed seed.
pub fn input() -> [[f64; H0]; H0] {
    let mut draw = Draw::new(28);
    std::array::from_fn(|_| std::array::from_fn(|_| draw.uniform(0.0, 1.0)))
}

/// The one-hot target of class [`CLASS`].
pub fn target() -> [f64; O] {
    std::array::from_fn(|k| if k == CLASS { 1.0 } else { 0.0 })
}

/// The target as the ops' objective.
pub fn objective() -> Objective<f64> {
    Objective::SoftmaxCrossEntropy { target: target().to_vec() }
}

/// What the hand-written step computes, in buffers allocated once.
#[derive(Clone, Debug)]
pub struct Hand {
    /// The conv's output, the relu's, the pooled map, and where each window's maximum is
    /// (its offset `2·i + j` in the window).
    pub z1: [[[f64; H1]; H1]; F],
    /// The relu's output.
    pub y1: [[[f64; H1]; H1]; F],
    /// The max pool's output.
    pub pooled: [[[f64; H2]; H2]; F],
    /// The offset in its window of each window's (first) maximum.
    pub picked: [[[usize; H2]; H2]; F],
    /// The flattened map.
    pub v: [f64; N],
    /// The logits.
    pub z2: [f64; O],
    /// The softmax's probabilities.
    pub p: [f64; O],
    /// `∂L/∂z2 = p − t`.
    pub dz2: [f64; O],
    /// `∂L/∂v`.
    pub dv: [f64; N],
    /// `∂L/∂` the pooled map.
    pub dpooled: [[[f64; H2]; H2]; F],
    /// `∂L/∂y1`.
    pub dy1: [[[f64; H1]; H1]; F],
    /// `δ1 = ∂L/∂z1`.
    pub dz1: [[[f64; H1]; H1]; F],
    /// `∂L/∂` every parameter.
    pub grads: Params,
}

impl Hand {
    /// The buffers, zero.
    #[allow(clippy::large_stack_arrays)] // once, 200 KB: fits any thread's stack
    pub fn new() -> Box<Self> {
        Box::new(Self {
            z1: [[[0.0; H1]; H1]; F],
            y1: [[[0.0; H1]; H1]; F],
            pooled: [[[0.0; H2]; H2]; F],
            picked: [[[0; H2]; H2]; F],
            v: [0.0; N],
            z2: [0.0; O],
            p: [0.0; O],
            dz2: [0.0; O],
            dv: [0.0; N],
            dpooled: [[[0.0; H2]; H2]; F],
            dy1: [[[0.0; H1]; H1]; F],
            dz1: [[[0.0; H1]; H1]; F],
            grads: *Params::zero(),
        })
    }
}

/// One step of the network written out by hand with fixed-size arrays: conv (stride 1, no
/// padding, correlation) plus bias, relu, max pool 2×2 (the first maximum of each window, in
/// row-major order, remembered), flatten, dense plus bias, softmax cross-entropy (the largest
/// logit subtracted, the log of the sum of exponentials), `p − t`, then backward: the dense
/// layer's weight and bias gradients and `∂L/∂v = Wᵀ·δ`, flatten folded back, the max pool
/// routing each window's gradient to its maximum, relu, the conv's weight and bias gradients
/// (not `∂L/∂x` of the input), and the update. Every sum adds its terms in the ops' order, so
/// the results are the same bits. Returns the loss; updates `w` in place.
#[inline(never)]
#[allow(clippy::needless_range_loop, clippy::too_many_lines)] // the network, written out
pub fn hand_step(x: &[[f64; H0]; H0], w: &mut Params, t: &[f64; O], lr: f64, b: &mut Hand) -> f64 {
    // Conv, plus bias.
    for f in 0..F {
        for p in 0..H1 {
            for q in 0..H1 {
                let mut acc = 0.0;
                for i in 0..K {
                    for j in 0..K {
                        acc += x[p + i][q + j] * w.w1[f][i][j];
                    }
                }
                b.z1[f][p][q] = acc + w.b1[f];
            }
        }
    }
    // Relu.
    for f in 0..F {
        for p in 0..H1 {
            for q in 0..H1 {
                let z = b.z1[f][p][q];
                b.y1[f][p][q] = if z < 0.0 { 0.0 } else { z };
            }
        }
    }
    // Max pool 2×2, stride 2.
    for f in 0..F {
        for p in 0..H2 {
            for q in 0..H2 {
                let mut best = b.y1[f][2 * p][2 * q];
                let mut at = 0;
                for k in 1..4 {
                    let v = b.y1[f][2 * p + k / 2][2 * q + k % 2];
                    if v > best {
                        best = v;
                        at = k;
                    }
                }
                b.pooled[f][p][q] = best;
                b.picked[f][p][q] = at;
            }
        }
    }
    // Flatten.
    for f in 0..F {
        for p in 0..H2 {
            for q in 0..H2 {
                b.v[(f * H2 + p) * H2 + q] = b.pooled[f][p][q];
            }
        }
    }
    // Dense, plus bias.
    for o in 0..O {
        let mut acc = 0.0;
        for i in 0..N {
            acc += w.w2[o][i] * b.v[i];
        }
        b.z2[o] = acc + w.b2[o];
    }
    // Softmax cross-entropy: the largest logit subtracted, log p = z − m − log Σ exp(z − m).
    let mut m = b.z2[0];
    for k in 1..O {
        if b.z2[k] > m {
            m = b.z2[k];
        }
    }
    let mut sum = 0.0;
    for k in 0..O {
        b.p[k] = (b.z2[k] - m).exp();
        sum += b.p[k];
    }
    let log_sum = sum.ln();
    let mut loss = 0.0;
    for k in 0..O {
        loss -= t[k] * (b.z2[k] - m - log_sum);
    }
    for k in 0..O {
        b.p[k] /= sum;
        b.dz2[k] = b.p[k] - t[k];
    }
    // Dense backward: ∂L/∂w2[o][i] = δ[o]·v[i], ∂L/∂b2[o] = δ[o], ∂L/∂v[i] = Σ_o w2[o][i]·δ[o].
    for o in 0..O {
        for i in 0..N {
            b.grads.w2[o][i] = b.dz2[o] * b.v[i];
        }
        b.grads.b2[o] = b.dz2[o];
    }
    for i in 0..N {
        let mut acc = 0.0;
        for o in 0..O {
            acc += w.w2[o][i] * b.dz2[o];
        }
        b.dv[i] = acc;
    }
    // Flatten backward.
    for f in 0..F {
        for p in 0..H2 {
            for q in 0..H2 {
                b.dpooled[f][p][q] = b.dv[(f * H2 + p) * H2 + q];
            }
        }
    }
    // Max pool backward: each window's gradient to its maximum, 0 elsewhere.
    for f in 0..F {
        for p in 0..H1 {
            for q in 0..H1 {
                b.dy1[f][p][q] = 0.0;
            }
        }
    }
    for f in 0..F {
        for p in 0..H2 {
            for q in 0..H2 {
                let k = b.picked[f][p][q];
                b.dy1[f][2 * p + k / 2][2 * q + k % 2] += b.dpooled[f][p][q];
            }
        }
    }
    // Relu backward.
    for f in 0..F {
        for p in 0..H1 {
            for q in 0..H1 {
                let slope = if b.z1[f][p][q] > 0.0 { 1.0 } else { 0.0 };
                b.dz1[f][p][q] = b.dy1[f][p][q] * slope;
            }
        }
    }
    // Conv backward: ∂L/∂w1 and ∂L/∂b1.
    for f in 0..F {
        for i in 0..K {
            for j in 0..K {
                let mut acc = 0.0;
                for p in 0..H1 {
                    for q in 0..H1 {
                        acc += b.dz1[f][p][q] * x[p + i][q + j];
                    }
                }
                b.grads.w1[f][i][j] = acc;
            }
        }
        let mut acc = 0.0;
        for p in 0..H1 {
            for q in 0..H1 {
                acc += b.dz1[f][p][q];
            }
        }
        b.grads.b1[f] = acc;
    }
    // Update.
    for f in 0..F {
        for i in 0..K {
            for j in 0..K {
                w.w1[f][i][j] -= lr * b.grads.w1[f][i][j];
            }
        }
        w.b1[f] -= lr * b.grads.b1[f];
    }
    for o in 0..O {
        for i in 0..N {
            w.w2[o][i] -= lr * b.grads.w2[o][i];
        }
        w.b2[o] -= lr * b.grads.b2[o];
    }
    loss
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn flat3<T: Copy, const A: usize, const B: usize, const C: usize>(m: &[[[T; C]; B]; A]) -> Vec<T> {
    m.as_flattened().as_flattened().to_vec()
}

/// Asserts, bit for bit, that the ops' step (`net_step` into `buffers`, leaving `params` and
/// returning `loss`) and the hand-written one (`hand`, `hand_params`, `hand_loss`) computed
/// the same: every layer's output, every output's gradient, every parameter's gradient, the
/// next parameters and the loss. Also that the step is not degenerate: some relus are dead
/// and some alive.
///
/// # Panics
/// Naming the first quantity that differs.
pub fn assert_identical(
    net: &Net,
    buffers: &NetBuffers<f64>,
    (params, loss): (&[f64], f64),
    hand: &Hand,
    (hand_params, hand_loss): (&Params, f64),
) {
    let outputs = buffers.layer_outputs(net);
    assert_eq!(outputs.len(), 5, "five layers");
    assert_eq!(bits(outputs[0]), bits(&flat3(&hand.z1)), "z1 (conv)");
    assert_eq!(bits(outputs[1]), bits(&flat3(&hand.y1)), "y1 (relu)");
    assert_eq!(bits(outputs[2]), bits(&flat3(&hand.pooled)), "the max pool's output");
    assert_eq!(bits(outputs[3]), bits(&hand.v), "v (flatten)");
    assert_eq!(bits(outputs[4]), bits(&hand.z2), "z2 (dense)");
    let grads = buffers.output_grads(net);
    assert_eq!(bits(grads[4]), bits(&hand.dz2), "∂L/∂z2 = p − t");
    assert_eq!(bits(grads[3]), bits(&hand.dv), "∂L/∂v");
    assert_eq!(bits(grads[2]), bits(&flat3(&hand.dpooled)), "∂L/∂ the pooled map");
    assert_eq!(bits(grads[1]), bits(&flat3(&hand.dy1)), "∂L/∂y1");
    assert_eq!(bits(grads[0]), bits(&flat3(&hand.dz1)), "δ1");
    assert_eq!(bits(buffers.grads()), bits(&hand.grads.flat()), "∂L/∂ the parameters");
    assert_eq!(bits(params), bits(&hand_params.flat()), "the next parameters");
    assert_eq!(loss.to_bits(), hand_loss.to_bits(), "the loss");
    let alive = outputs[1].iter().filter(|&&y| y > 0.0).count();
    assert!(alive > 500 && alive < F * H1 * H1 - 500, "{alive} relus alive");
}

/// The step's inputs and results as JSON, for `scripts/bench_jax_lenet.py`: the input
/// `x[28][28]`, the starting parameters `w1[6][5][5]`, `b1[6]`, `w2[10][864]`, `b2[10]`, the
/// target, the learning rate, and after one step the loss and the parameters, flat. Every
/// number is written as Rust's shortest representation that reads back as the same `f64`.
pub fn json(x: &[[f64; H0]; H0], start: &Params, loss: f64, after: &[f64]) -> String {
    fn list(out: &mut String, values: impl IntoIterator<Item = f64>) {
        out.push('[');
        for (k, v) in values.into_iter().enumerate() {
            let sep = if k == 0 { "" } else { "," };
            write!(out, "{sep}{v:?}").expect("a String takes any text");
        }
        out.push(']');
    }
    let mut out = String::from("{\"x\":");
    list(&mut out, x.iter().flatten().copied());
    out.push_str(",\"w1\":");
    list(&mut out, start.w1.iter().flatten().flatten().copied());
    out.push_str(",\"b1\":");
    list(&mut out, start.b1);
    out.push_str(",\"w2\":");
    list(&mut out, start.w2.iter().flatten().copied());
    out.push_str(",\"b2\":");
    list(&mut out, start.b2);
    out.push_str(",\"target\":");
    list(&mut out, target());
    write!(out, ",\"lr\":{LR:?},\"loss\":{loss:?},\"after\":").expect("a String takes any text");
    list(&mut out, after.iter().copied());
    out.push_str("}\n");
    out
}

/// The parameters of `net`, checked against [`PARAMS`].
///
/// # Panics
/// If they are not [`PARAMS`].
pub fn params_len(net: &Net) -> usize {
    let len = Op::<f64>::params_len(net);
    assert_eq!(len, PARAMS, "the network's parameters");
    len
}
