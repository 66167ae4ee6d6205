//! scratch
use cnn_bp_core::{Layer, Params, train};
fn main() {
    let x: [[f64; 28]; 28] =
        std::array::from_fn(|r| std::array::from_fn(|c| ((r * 28 + c) % 7) as f64 * 0.25 - 0.5));
    let w: [[f64; 5]; 5] =
        std::array::from_fn(|r| std::array::from_fn(|c| ((r + c) % 3) as f64 * 0.1 - 0.1));
    let t = [[0.5; 24]; 24];
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let d = train(&Layer::default(), 0.01, 1, &x, Params { filter: w, bias: Some(0.1) }, &t)
            .unwrap();
        let a = start.elapsed();
        let text = d.to_string();
        let b = start.elapsed();
        let latex = d.to_latex();
        let c = start.elapsed();
        let v = d.verify().unwrap();
        let e = start.elapsed();
        println!(
            "train {a:?} text {:?} ({} B) latex {:?} ({} B) verify {:?} ({} eqs)",
            b - a,
            text.len(),
            c - b,
            latex.len(),
            e - c,
            v.equations
        );
    }
}
