//! The LeNet-like network of issue 11's benchmarks (`cnn-bp-bench/src/lenet.rs`): its
//! `NoTrace` step through the ops and the same step written out by hand give the same bits, as
//! the benchmark's paired ratio assumes. Here rather than in the bench crate so that
//! `cargo test` does not build criterion.

use cnn_bp_bench::lenet::{
    F, H1, H2, Hand, LR, Params, assert_identical, hand_step, input, net, objective, params_len,
    target,
};
use cnn_bp_core::Extras;
use cnn_bp_core::network::{NetBuffers, net_step, train_network_with};

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The ops' `NoTrace` step and the hand-written one give the same bits; the recorded
/// step (`train_network_with`, one step) gives the same next parameters and loss too; and
/// the step lowers the loss.
#[test]
fn ops_and_hand_written_step_agree_bit_for_bit() {
    let (net, x, start) = (net(), input(), Params::start());
    params_len(&net);
    let mut buffers = NetBuffers::new(&net);
    let mut params = start.flat();
    let loss = net_step(&net, &mut params, &[x], &objective(), LR, &mut buffers);
    let (mut hand, mut hand_params) = (Hand::new(), start.clone());
    let hand_loss = hand_step(&x, &mut hand_params, &target(), LR, &mut hand);
    assert_identical(&net, &buffers, (&params, loss), &hand, (&hand_params, hand_loss));

    let d =
        train_network_with(net, &start.flat(), &[x], objective(), Some(LR), 1, Extras::default())
            .expect("a valid network");
    assert_eq!(d.steps()[0].loss().to_bits(), loss.to_bits());
    let after: Vec<f64> = d.named_parameters().into_iter().flat_map(|(_, _, v)| v).collect();
    assert_eq!(bits(&after), bits(&params), "the recorded step's next parameters");
    assert!(d.loss_after() < loss, "the loss falls: {loss} → {}", d.loss_after());
}

/// Each window's maximum is unique where it is not 0, so that the step does not depend
/// on how a tie is broken (which the JAX comparison relies on).
#[test]
fn pooling_windows_have_no_ties_but_dead_relus() {
    let (net, x, start) = (net(), input(), Params::start());
    let mut buffers = NetBuffers::new(&net);
    net_step(&net, &mut start.flat(), &[x], &objective(), LR, &mut buffers);
    let y1 = buffers.layer_outputs(&net)[1];
    for f in 0..F {
        for p in 0..H2 {
            for q in 0..H2 {
                let window: Vec<f64> =
                    (0..4).map(|k| y1[(f * H1 + 2 * p + k / 2) * H1 + 2 * q + k % 2]).collect();
                let best = window.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let ties = window.iter().filter(|&&v| v == best).count();
                assert!(best == 0.0 || ties == 1, "window ({f}, {p}, {q}): {window:?}");
            }
        }
    }
}
