//! The expansion functions called directly on token streams: valid specs expand to an
//! expression, and mutated ones (in `fuzz`) never panic and are errors inside the input.

mod fuzz;

use proc_macro2::TokenStream;

use crate::expand;

const SEED: &str = "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], filter: [[1, -1], [1, 1]], \
                    target: [[1, 0], [0, 1]], lr: 0.5, bias: 0.25, activation: leaky_relu(0.1), \
                    loss: mse, steps: 2, stride: (1, 1), padding: 0, kernel: convolution,";

fn tokens(text: &str) -> TokenStream {
    text.parse().expect("test input tokenizes")
}

fn is_error(expansion: &TokenStream) -> bool {
    expansion.to_string().contains("compile_error")
}

#[test]
fn a_valid_spec_expands_to_an_expression() {
    let expansion = expand::train(tokens(SEED));
    assert!(!is_error(&expansion), "{expansion}");
    syn::parse2::<syn::Expr>(expansion).expect("an expression");
    let matrix = expand::matrix(tokens("[1, -2.5], [1e3, 0x10]"));
    assert_eq!(matrix.to_string(), "[[1f64 , - 2.5f64] , [1000f64 , 16f64]]");
}

#[test]
fn generated_code_names_the_library_by_the_path_it_is_given() {
    let expansion = expand::train(tokens(&format!("(renamed::lib) {SEED}"))).to_string();
    assert!(expansion.contains("renamed :: lib :: __private :: Geometry"), "{expansion}");
    assert!(!expansion.contains("cnn_bp_core"), "{expansion}");
    let default = expand::train(tokens(SEED)).to_string();
    assert!(default.contains(":: cnn_bp_core :: __private :: Geometry"), "{default}");
}
