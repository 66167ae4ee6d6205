//! What the generated golden-case tests (`tests/golden_networks.rs`,
//! `tests/golden_classifiers.rs`) assert with: every value to 1e-9, relative above 1, and
//! names and shapes exactly. Written here once; the generators
//! (`scripts/golden/networks.py`, `scripts/golden/classifiers.py`) name it.

/// A named parameter or gradient as wanted: name, shape, row-major values.
type Named<'a> = (&'a str, &'a [usize], &'a [f64]);
/// A layer's output or input gradient as wanted: shape (`[C, H, W]` or `[N]`), row-major values.
type Map<'a> = (&'a [usize], &'a [f64]);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// The multi-index of row-major entry `flat` in `shape`, for messages.
fn index(shape: &[usize], flat: usize) -> Vec<usize> {
    let mut rest = flat;
    let mut idx = vec![0; shape.len()];
    for (slot, &n) in idx.iter_mut().zip(shape).rev() {
        *slot = rest % n.max(1);
        rest /= n.max(1);
    }
    idx
}

pub fn assert_scalar(what: &str, got: f64, want: f64) {
    assert!(close(got, want), "{what}: got {got:?}, want {want:?}");
}

fn assert_values(what: &str, shape: &[usize], got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: number of values");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w),
            "{what}{:?}: got {g:?}, want {w:?}\n  got:  {got:?}\n  want: {want:?}",
            index(shape, k)
        );
    }
}

pub fn assert_named(what: &str, got: &[(String, Vec<usize>, Vec<f64>)], want: &[Named]) {
    let got_names: Vec<&str> = got.iter().map(|(name, _, _)| name.as_str()).collect();
    let want_names: Vec<&str> = want.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(got_names, want_names, "{what}: names");
    for ((name, shape, values), (_, want_shape, want_values)) in got.iter().zip(want) {
        assert_eq!(shape.as_slice(), *want_shape, "{what} {name}: shape");
        assert_values(&format!("{what} {name}"), shape, values, want_values);
    }
}

pub fn assert_maps(what: &str, got: &[(Vec<usize>, Vec<f64>)], want: &[Map]) {
    assert_eq!(got.len(), want.len(), "{what}: number of maps");
    for (k, ((shape, values), (want_shape, want_values))) in got.iter().zip(want).enumerate() {
        assert_eq!(shape.as_slice(), *want_shape, "{what}[{k}]: shape");
        assert_values(&format!("{what}[{k}]"), shape, values, want_values);
    }
}

// 00. the grammar example as written: 2 channels, 2 filters with a bias each, relu, a
//     1×1 conv summing the channels
//     X 2×3×3 → conv 2×2 ×2, bias → 2×2×2 → relu → conv 1×1 → 1×2×2
