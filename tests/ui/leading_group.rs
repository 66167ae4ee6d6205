// The proc macro behind `train!` takes a leading `(path)` as the library's path, which
// `cnn_bp_core::train!` passes as `($crate)`. Called bare, a spec starting with a group that
// is not a path is an error at that group, not a path pasted into code that cannot parse.
// (Found by the fuzz test in cnn-bp-macros/src/tests/fuzz.rs.)
fn main() {
    let _ = cnn_bp_core::__private::train! {
        (2) input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.1,
    };
}
