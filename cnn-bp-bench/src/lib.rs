//! What the benchmarks of `cnn-bp-bench` share and `cargo test` checks: the LeNet-like network
//! of issue 11 ([`lenet`]), its inputs, and the same step written out by hand, with the unit
//! test that the two give the same bits. Not published.

pub mod lenet;
