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

#[test]
fn a_network_spec_expands_to_a_chain_of_ops_and_a_training_run() {
    let spec = "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], \
                layers: [conv { filter: [[1, -1], [1, 1]], bias: 0.5 }, relu, conv { filter: [[1]] }], \
                target: [[1, 0], [0, 1]], lr: 0.5, steps: 2";
    let expansion = expand::train(tokens(&format!("(renamed::lib) {spec}")));
    assert!(!is_error(&expansion), "{expansion}");
    syn::parse2::<syn::Expr>(expansion.clone()).expect("an expression");
    let text = expansion.to_string().replace(' ', "");
    for part in [
        "renamed::lib::__private::ops::Chain(renamed::lib::__private::ops::Chain(",
        "Conv::<1,3,3,1,2,2,2,2,renamed::lib::__private::ops::Geometry<1,1,0,0,1,1>",
        "Activate::<renamed::lib::__private::ops::Relu,[[[renamed::lib::__private::f64;2];2];1]>",
        "Conv::<1,2,2,1,1,1,2,2,",
        "network::train_network_with(",
        "Some(0.5f64)",
        "2usize",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    assert!(!text.contains("cnn_bp_core"), "{text}");
}

#[test]
fn a_network_spec_without_lr_updates_nothing_and_an_upstream_gradient_replaces_the_target() {
    let spec = "input: [[1, 2], [3, 4]], layers: [conv { filter: [[1]] }], grad_output: [[1, 0], [0, 1]], \
                input_grad: true, show: symbolic";
    let text = expand::train(tokens(spec)).to_string().replace(' ', "");
    assert!(!text.contains("compile_error"), "{text}");
    for part in ["Objective::GradOutput(", "::None,1usize,", ".input_grad(true)", "Form::Symbolic"]
    {
        assert!(text.contains(part), "{part} in {text}");
    }
}
