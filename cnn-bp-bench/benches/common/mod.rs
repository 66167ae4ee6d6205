//! Inputs shared by the benchmarks: the seed question and deterministic larger examples.

use cnn_bp_core::{Layer, Params};

/// The seed question of the README: 3×3 input, 2×2 filter, lr 0.5.
pub const SEED_X: [[f64; 3]; 3] = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
pub const SEED_W: [[f64; 2]; 2] = [[1.0, -1.0], [1.0, 1.0]];
pub const SEED_T: [[f64; 2]; 2] = [[1.0, 0.0], [0.0, 1.0]];

/// A deterministic matrix of halves in [−2.5, 2.5], so that the printed numbers are short like
/// a person's example (and some ReLUs are dead, some z are exactly 0, as in real specs).
pub fn grid<const R: usize, const C: usize>(seed: usize) -> [[f64; C]; R] {
    let mut m = [[0.0; C]; R];
    for (r, row) in m.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            let k = seed * 7919 + r * 31 + c * 17 + r * c;
            *v = ((k * 7 + 3) % 11) as f64 / 2.0 - 2.5;
        }
    }
    m
}

/// One benchmarked configuration: shapes are const generics, the rest is data.
pub struct Case<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
> {
    pub name: &'static str,
    pub layer: Layer,
    pub lr: f64,
    pub x: [[f64; W]; H],
    pub params: Params<KH, KW>,
    pub t: [[f64; OW]; OH],
}

pub fn seed() -> Case<3, 3, 2, 2, 2, 2> {
    Case {
        name: "3x3_2x2",
        layer: Layer::default(),
        lr: 0.5,
        x: SEED_X,
        params: Params { filter: SEED_W, bias: None },
        t: SEED_T,
    }
}

/// A generated case with stride `s` and padding `p` on both axes; relu, ½·SSE, correlation.
pub fn generated<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    name: &'static str,
    s: usize,
    p: usize,
) -> Case<H, W, KH, KW, OH, OW> {
    let layer = Layer { stride: (s, s), padding: (p, p), ..Layer::default() };
    layer.check((H, W), (KH, KW), (OH, OW)).expect("the benchmark's shapes fit together");
    // Filter entries scaled down so that z stays of the order of the inputs.
    let mut filter = grid::<KH, KW>(2);
    for w in filter.iter_mut().flatten() {
        *w /= 4.0;
    }
    Case { name, layer, lr: 0.125, x: grid(1), params: Params { filter, bias: None }, t: grid(3) }
}

/// Where criterion writes its results, `<target>/criterion`, whatever directory the
/// benchmark runs in (cargo runs it in this package's directory, not the workspace's).
pub fn criterion_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
            std::path::PathBuf::from,
        )
        .join("criterion")
}
