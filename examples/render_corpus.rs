//! Writes the LaTeX and Markdown derivations of random specs, for KaTeX to check
//! (`.ci/run`), and their plain text, for the independent checker: every activation, loss,
//! kernel, form and optional section, values from tiny to huge, and a few geometries.
//!
//! `cargo run --example render_corpus -- DIR [COUNT]`

use std::{
    env, fs,
    path::{Path, PathBuf},
};

use cnn_bp_core::{Activation, Extras, Form, Kernel, Layer, Loss, Params, train_with};

fn value(rng: &mut fastrand::Rng) -> f64 {
    let magnitude = match rng.usize(0..10) {
        0 => 10f64.powi(rng.i32(-12..-6)),
        1 => 10f64.powi(rng.i32(12..40)),
        2 => 0.0,
        _ => rng.f64() * 2.0,
    };
    if rng.bool() { magnitude } else { -magnitude }
}

fn matrix<const C: usize, const R: usize>(rng: &mut fastrand::Rng) -> [[f64; C]; R] {
    std::array::from_fn(|_| std::array::from_fn(|_| value(rng)))
}

fn write<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    rng: &mut fastrand::Rng,
    layer: Layer,
    dir: &Path,
    k: usize,
) {
    let start = Params::<KH, KW> { filter: matrix(rng), bias: rng.bool().then(|| value(rng)) };
    let x: [[f64; W]; H] = matrix(rng);
    let t: [[f64; OW]; OH] = matrix(rng);
    let extras = Extras::default().finite_differences(rng.bool()).mistakes(rng.bool());
    let lr = [0.5, 0.1, 1e-7, 3.0][rng.usize(0..4)];
    let steps = rng.usize(1..4);
    let form = if rng.bool() { Form::Symbolic } else { Form::Numeric };
    let d =
        train_with(&layer, lr, steps, &x, start, &t, extras).expect("a valid spec").with_form(form);
    fs::write(dir.join(format!("{k:04}.tex")), d.to_latex()).expect("writable");
    fs::write(dir.join(format!("{k:04}.txt")), d.to_string()).expect("writable");
    fs::write(dir.join(format!("{k:04}.md")), d.to_markdown()).expect("writable");
}

fn main() {
    let mut args = env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("a directory to write into"));
    let count: usize = args.next().map_or(60, |n| n.parse().expect("a count"));
    fs::create_dir_all(&dir).expect("a directory");
    let mut rng = fastrand::Rng::with_seed(7);
    for k in 0..count {
        let activation = match k % 5 {
            0 => Activation::Relu { grad_at_zero: (k % 2) as f64 },
            1 => Activation::Linear,
            2 => Activation::Sigmoid,
            3 => Activation::Tanh,
            _ => Activation::LeakyRelu { slope: 0.1 },
        };
        let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][k % 3];
        let kernel = if k % 4 < 2 { Kernel::Correlation } else { Kernel::Convolution };
        let layer = |stride, padding| Layer { stride, padding, kernel, activation, loss };
        match k % 3 {
            0 => write::<3, 3, 2, 2, 2, 2>(&mut rng, layer((1, 1), (0, 0)), &dir, k),
            1 => write::<4, 5, 3, 2, 2, 3>(&mut rng, layer((2, 2), (1, 1)), &dir, k),
            _ => write::<2, 3, 1, 2, 4, 1>(&mut rng, layer((1, 2), (1, 0)), &dir, k),
        }
    }
    println!("{count} LaTeX and {count} Markdown derivations written to {}", dir.display());
}
