//! The batch part of the golden helpers (`tests/golden_batches.rs`, written by
//! `scripts/golden/batches.py`): a batch's exact run against its float run. Apart from
//! `golden.rs` so that the files without batches name nothing of issue 13's API.

#![allow(dead_code)]

use crate::golden::{agree, agree_maps, agree_named, assert_exact_net};
use cnn_bp_core::Rational;
use cnn_bp_core::network::NetDerivation;

/// A batch's exact run against its float run: everything [`assert_exact_net`] holds (each
/// step's batch loss, parameters and batch gradient, the final parameters and loss after),
/// then every step's examples, each example's loss, gradient of its own loss, layer outputs
/// and input gradients, to 1e-12 relative; names, shapes and the counts exactly.
pub fn assert_exact_batch(exact: &NetDerivation<Rational>, float: &NetDerivation<f64>) {
    assert_exact_net(exact, float);
    for (k, (e, f)) in exact.steps().iter().zip(float.steps()).enumerate() {
        let (e_examples, f_examples) = (e.examples(), f.examples());
        assert_eq!(e_examples.len(), f_examples.len(), "exact vs float run: step {k} examples");
        for (n, (e, f)) in e_examples.iter().zip(&f_examples).enumerate() {
            let what = format!("step {k} example {n}");
            agree(&format!("{what} loss"), e.loss(), f.loss());
            agree_named(&format!("{what} named_grads"), &e.named_grads(), &f.named_grads());
            let outputs = (e.layer_outputs(), f.layer_outputs());
            agree_maps(&format!("{what} layer_outputs"), &outputs.0, &outputs.1);
            let grads = (e.input_grads(), f.input_grads());
            agree_maps(&format!("{what} input_grads"), &grads.0, &grads.1);
        }
    }
}
