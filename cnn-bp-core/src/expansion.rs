//! What the code that `train!` generates for a network calls besides the public API:
//! small non-generic helpers (or generic only over a literal's shape), so that each spec
//! compiles little beyond its network's training run. Not public API: reached through
//! `__private`.

use crate::layer::SpecError;
use crate::network::NetDerivation;

/// The network's parameters, flat, in the order its ops take them: each conv's weight
/// row-major, then its bias.
pub fn params(parts: &[&[f64]]) -> Vec<f64> {
    parts.concat()
}

/// A map's entries, row-major: a target's or an upstream gradient's.
pub fn flat<const C: usize, const H: usize, const W: usize>(map: &[[[f64; W]; H]; C]) -> Vec<f64> {
    map.as_flattened().as_flattened().to_vec()
}

/// The derivation of a spec that `train!` has checked: every shape, setting and value that
/// `train_network_with` could reject, the macro rejected first, at the spec's tokens.
///
/// # Panics
/// Only on a bug of cnn-bp (the macro let through a spec that the library rejects); the
/// message says so and what the library found.
pub fn trained(result: Result<NetDerivation, SpecError>) -> NetDerivation {
    match result {
        Ok(derivation) => derivation,
        Err(error) => panic!(
            "train!: the macro checked this network spec, so training it cannot fail, but the library rejected it ({error}); this is a bug of cnn-bp, please report it with the spec"
        ),
    }
}
