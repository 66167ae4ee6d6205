//! The seed question's derivation in LaTeX, Markdown or HTML.
//!
//! `cargo run --example render_formats -- latex` (or `markdown`, `html`, `symbolic`).

use cnn_bp_core::{Form, train};

fn main() {
    let d = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        check: finite_differences,
        mistakes: true,
    };
    match std::env::args().nth(1).as_deref() {
        Some("markdown") => print!("{}", d.to_markdown()),
        Some("html") => print!("{}", d.to_html()),
        Some("symbolic") => print!("{}", d.with_form(Form::Symbolic)),
        _ => print!("{}", d.to_latex()),
    }
}
