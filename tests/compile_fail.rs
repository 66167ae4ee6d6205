//! Specs the compiler must reject, and the messages users then read (`tests/ui/*.stderr`).

#[test]
fn malformed_specs_are_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    // With a `pass` case in the same set, trybuild runs `cargo build` instead of `cargo check`;
    // only then are the post-monomorphization shape assertions (`type_path_*.rs`) evaluated.
    cases.pass("tests/ui-pass/*.rs");
}
