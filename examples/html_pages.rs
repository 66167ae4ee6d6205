//! The HTML pages the browser test opens (`scripts/browser/`): the seed question, a network
//! with pooling, and a run of ten steps.
//!
//! `cargo run --example html_pages -- DIR` writes `DIR/seed_question.html`,
//! `DIR/pooling_network.html` and `DIR/ten_steps.html`.

use std::{env, fs, path::PathBuf};

use cnn_bp_core::train;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(env::args().nth(1).unwrap_or_else(|| "target/pages".to_owned()));
    fs::create_dir_all(&dir)?;
    let seed = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
    };
    let pooling = train! {
        input: [[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -1, 1, 0, 1], [-1, 2, 0, 1, -1], [1, 0, 1, -1, 2]],
        layers: [
            conv { filter: [[0.5, 0, -0.5], [0, 1, 0], [-0.5, 0, 0.5]], bias: 0 },
            relu,
            max_pool { size: 2, stride: 1 },
            flatten,
            dense { weight: [[1, -1, 0, 0.5], [0, 0.5, 1, -1], [-1, 0, 0.5, 1]], bias: [0, 0, 0] },
        ],
        target: [0, 1, 0],
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 2,
    };
    let ten = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
        steps: 10,
    };
    for (name, page) in [
        ("seed_question", seed.to_html()),
        ("pooling_network", pooling.to_html()),
        ("ten_steps", ten.to_html()),
    ] {
        let path = dir.join(format!("{name}.html"));
        fs::write(&path, page)?;
        println!("{}", path.display());
    }
    Ok(())
}
