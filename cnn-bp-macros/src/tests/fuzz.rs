//! A fuzzer for `expand::train` and `expand::matrix`, on stable Rust: the expansion functions
//! take a `proc_macro2::TokenStream`, so a test calls them on any tokens it likes.
//!
//! # A case
//!
//! 1. A seed, a valid spec from [`TRAIN_SEEDS`] (single layers), [`NET_SEEDS`] (networks) or
//!    [`MATRIX_SEEDS`], is tokenized.
//! 2. It is mutated one to eight times. A mutation picks a token list (the top level or the
//!    inside of any group, weighted by length) and there deletes, duplicates, swaps (two
//!    tokens, or neighbours), replaces or inserts (a number, huge and tiny ones, suffixed `1u8`,
//!    `0x10`, `1_000`; a string, char or other literal; an identifier; punctuation; a group,
//!    possibly nested; a whole expression or `key: value`), wraps a run of tokens in a new
//!    group, unwraps a group, changes a group's delimiter, or cuts the list short.
//! 3. The result is printed and the text tokenized again (see below); for `train!` the text
//!    is half the time prefixed with `(::cnn_bp_core)`, as `cnn_bp_core::train!` passes
//!    `($crate)`, and half the time not, as a bare call of the proc macro does.
//! 4. Now and then a run of tokens is wrapped in an invisible group (`Delimiter::None`), as
//!    `macro_rules!` wraps an `$e:expr` it substitutes.
//! 5. The expansion runs under `catch_unwind`, and [`check`] asserts: it did not panic, and
//!    its output is either an expression (parsed by syn) with no `compile_error!` in it, or
//!    nothing but `compile_error!`s (a `{ … }` block of them, or a single one), each with
//!    every token's span inside the input's (a valid spec's expansion is a block too, of
//!    `let`s and a call, with no `compile_error!`).
//!
//! A failure is shrunk ([`minimize`]: delete tokens and unwrap groups while the same check
//! still fails with the same message) and reported with the original and the minimal input.
//!
//! # Why the mutated tokens are printed and parsed again
//!
//! The span check needs each input token's real location. Outside a compiler proc-macro2
//! records locations only with its `span-locations` feature (enabled by this crate's
//! dev-dependency, so only for tests) and only for tokens it lexed itself: each `str::parse`
//! adds the text to a thread-local source map as a new "file", and its tokens' spans are
//! positions in that file. A token made by `Ident::new(…, Span::call_site())` has no location,
//! and one copied from another parse (a seed, a fragment) has a location in another file. So
//! the mutated tokens are printed and the text parsed once more: then every input token has a
//! position in one file, as the compiler's tokens of one macro call have, and an error span
//! is inside the input when it lies in that file between the start of the input's first token
//! and the end of its last (the `($crate)` prefix excluded: it is not the user's).
//! `Span::call_site()`, the file `<unspecified>`, stands for the macro call itself; it is
//! accepted only where there is no token to point at, an empty input (the "missing keys"
//! error points at the spec's tokens).
//!
//! The text is the input. A mutation that prints as something that lexes differently (a `'`
//! torn from its lifetime, `/` next to `/`) just makes another input; text that does not lex
//! at all is skipped and counted, since no compiler would hand it to a macro. Invisible
//! groups do not survive printing, hence step 4 after the parse, with the group's span
//! joining its first and last tokens' as the compiler's has.
//!
//! The source map only grows, so it is cleared after every case
//! (`proc_macro2::extra::invalidate_current_thread_spans`): no span outlives its case, and
//! failures are kept as text.
//!
//! # Running it
//!
//! The normal suite runs [`SUITE_CASES`] cases from a fixed seed. The long run is ignored by
//! default: `cargo test -p cnn-bp-macros --release -- --ignored --nocapture` runs 1,000,000
//! cases, or `CNN_BP_FUZZ_CASES` of them, from the seed `CNN_BP_FUZZ_SEED` if set.

use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use proc_macro2::{Delimiter, Group, LineColumn, Span, TokenStream, TokenTree};

use crate::expand;

/// Valid `train!` specs the cases start from; between them they use every key and every form
/// of value. Add a spec here for every new key or value form.
pub(super) const TRAIN_SEEDS: &[&str] = &[
    // The README's question, all defaults.
    "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], filter: [[1, -1], [1, 1]], \
     target: [[1, 0], [0, 1]], lr: 0.5,",
    // Every key, the pair forms of stride and padding.
    "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], filter: [[1, -1], [1, 1]], \
     target: [[1, 0], [0, 1]], lr: 0.5, bias: 0.25, activation: leaky_relu(0.1), loss: mse, \
     steps: 2, stride: (1, 1), padding: (0, 0), kernel: convolution",
    // relu and its convention at zero; stride and padding that change the output's shape.
    "input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], filter: [[1, 0], [0, -1]], \
     target: [[0, 0, 0, 0], [0, 0, 0, 0]], lr: 1e-2, activation: relu, relu_grad_at_zero: 1, \
     loss: sse, stride: (2, 1), padding: 1, kernel: correlation, steps: 3,",
    // Matrices as expressions: paths, a field, a macro call, an array repeat.
    "input: X, filter: START.filter, target: matrix![[1, 0], [0, 1]], lr: 0.1, \
     activation: sigmoid, steps: 10",
    "lr: 0.5, target: T, steps: 100000, filter: [[1, -1], [1, 1]], input: [[1.0; 3]; 3], \
     relu_grad_at_zero: 0, activation: relu,",
    // Number forms in matrices: floats, exponents, hex, separators, the f64 suffix, minus.
    "input: [[1.5, -2, 1e3], [0x10, 1_000, 2.0f64]], filter: [[1]], \
     target: [[1.5, -2, 1e3], [16, 1000, 2]], lr: 0.25, bias: -0.5, activation: tanh, \
     loss: half_sse, stride: 1, padding: 0,",
    // A filter as large as the input, linear, stride and padding as pairs.
    "input: [[1, 2], [3, 4]], filter: [[0.5, 0.5], [0.5, 0.5]], target: [[1]], lr: 1, \
     activation: linear, stride: (3, 3), padding: (0, 0), bias: 0",
    // leaky_relu with an exponent, mse on a single row.
    "input: [[-1, 0, 1, 2]], filter: [[1, -1]], target: [[0.5, 0.5, 0.5]], lr: 0.05, \
     activation: leaky_relu(1e-2), loss: mse, steps: 4, padding: (0, 0), stride: (1, 1)",
    // The rendering and checking keys.
    "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], filter: [[1, -1], [1, 1]], \
     target: [[1, 0], [0, 1]], lr: 0.5, show: symbolic, check: finite_differences, \
     mistakes: true,",
    "mistakes: false, check: none, show: numeric, input: [[1, 2], [3, 4]], filter: [[1]], \
     target: [[1, 2], [3, 4]], lr: 0.1, activation: tanh",
    // Bracketed matrices with constant rows and entries, repeats, a literal beside a constant;
    // `lr`, `steps` and `bias` as constants.
    "input: [R, R, R], filter: [[A, B], [1, A]], target: [[1.0; 2]; 2], lr: LR, steps: N, \
     bias: BIAS, padding: (0, 0)",
    "input: [[1.0; 3], [2.0; 3], [0.5; 3]], filter: [[1, -1], [1, 1]], target: zeros(), \
     lr: 1.0 / 3.0, steps: 2 * N, bias: -B,",
    // A large repeat, a turbofish, a generic call, an input inferred at stride 1.
    "input: [[0.5; 250]; 250], filter: f::<2, 3>(), target: T, lr: 1e-6, stride: (2, 1), \
     padding: 1",
    "input: zeros(), filter: [[1, 1]], target: [[0, 0, 0]], lr: 0.5, activation: linear",
    // Numbers at the edges of f64 that are still numbers: subnormals, the largest finite.
    "input: [[4.9e-324, -5e-324]], filter: [[1.7976931348623157e308]], target: [[0, 0]], \
     lr: 5e-324, bias: 2.2250738585072014e-308",
];

/// Valid network specs (`layers`); between them they use every key, every op and every form
/// of value of the network grammar. Add a spec here for every new key, op or value form.
pub(super) const NET_SEEDS: &[&str] = &[
    // The grammar example, every conv key written out.
    "input: [[[1, 0, 2], [0, 1, 0], [2, 0, 1]], [[0, 1, 0], [1, 0, 1], [0, 1, 0]]], \
     layers: [conv { filter: [[[[1, 0], [0, 1]], [[1, 1], [0, 0]]], [[[0, 1], [1, 0]], [[0, 0], [1, 1]]]], \
     bias: [0.5, -0.5], stride: 1, padding: 0, dilation: 1, kernel: correlation }, relu, \
     conv { filter: [[[[1]], [[1]]]] }], target: [[1, 0], [0, 1]], loss: half_sse, lr: 0.1, steps: 2",
    // 2-D literals, every activation, pairs, a true convolution, no lr.
    "input: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], \
     layers: [conv { filter: [[1, 0], [0, -1]], bias: 0.25, stride: (1, 1), padding: (1, 0), \
     kernel: convolution }, leaky_relu(0.1), conv { filter: [[1, 1], [1, 1]], dilation: (1, 2) }, \
     sigmoid, conv { filter: [[1]] }, tanh], target: [[0.5], [0.5], [0.5], [0.5]], loss: mse,",
    // An upstream gradient, the optional keys.
    "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], layers: [conv { filter: [[1, -1], [1, 1]] }, relu], \
     grad_output: [[1, 0], [0, 1]], relu_grad_at_zero: 1, input_grad: true, show: symbolic, \
     check: finite_differences, mistakes: true,",
    // Stride 2 and padding 1, then a 2×2 conv: the shape chain.
    "input: [[1, 0, 2, 0, 1], [0, 1, 0, 1, 0], [2, 0, 1, 0, 2], [0, 1, 0, 1, 0], [1, 0, 2, 0, 1]], \
     layers: [conv { filter: [[1, 0, 1], [0, 1, 0], [1, 0, 1]], stride: 2, padding: 1 }, tanh, \
     conv { filter: [[1, -1], [-1, 1]] }], target: [[1, 0], [0, 1]], lr: 0.1, loss: sse",
    // Repeats at every level, constant entries, constant lr and steps, a 3-D target.
    "lr: LR, steps: N, input: [[[0.5; 4]; 4]; 2], layers: [conv { filter: [[[[A; 2]; 2]; 2]; 3], \
     bias: [B, 0, -B] }, leaky_relu(1e-2)], target: [[[1.0; 3]; 3]; 3]",
    // Keys in another order, a 3-D grad_output, a constant bias, steps 1 without lr.
    "grad_output: [[[1, 0]], [[0, 1]]], steps: 1, layers: [conv { kernel: correlation, \
     filter: [[[[1]]], [[[-1]]]], bias: [0, 0] }], input: [[1, 2]], input_grad: false, show: numeric, \
     check: none, mistakes: false",
    // Numbers in every form, one conv alone.
    "input: [[1.5, -2, 1e3], [0x10, 1_000, 2.0f64]], layers: [conv { filter: [[1]], bias: -0.5 }], \
     target: [[1.5, -2, 1e3], [16, 1000, 2]], lr: 5e-324",
    // Networks II: the classifier (conv, relu, overlapping max pool, flatten, dense,
    // softmax cross-entropy).
    "input: [[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -1, 1, 0, 1], [-1, 2, 0, 1, -1], [1, 0, 1, -1, 2]], \
     layers: [conv { filter: [[0.5, 0, -0.5], [0, 1, 0], [-0.5, 0, 0.5]], bias: 0 }, relu, \
     max_pool { size: 2, stride: 1 }, flatten, \
     dense { weight: [[1, -1, 0, 0.5], [0, 0.5, 1, -1], [-1, 0, 0.5, 1]], bias: [0, 0, 0] }], \
     target: [0, 1, 0], loss: softmax_cross_entropy, lr: 0.5, steps: 2",
    // An average pool with pairs and a floor on two channels, a dense layer without a bias, a
    // class index.
    "input: [[[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [0, 1, 0, 1, 0]], [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, 0, 1, 0, 1]]], \
     layers: [avg_pool { size: (2, 3), stride: (1, 2) }, flatten, dense { weight: [[1, 0, 0, 0, 0, 0, 0, 1], [0, 1, 1, 0, 0, 1, 1, 0]] }], \
     target: 1, loss: softmax_cross_entropy, lr: 0.1, mistakes: true, check: finite_differences",
    // A dense-only MLP from a vector input, a soft target, half_sse on a vector.
    "input: [0.05, 0.1], layers: [dense { weight: [[0.15, 0.2], [0.25, 0.3]], bias: [0.35, 0.35] }, sigmoid, \
     dense { weight: [[0.4, 0.45], [0.5, 0.55]], bias: [0.6, 0.6] }, sigmoid], target: [0.01, 0.99], lr: 0.5",
    "input: [1, 2, 3, 4], layers: [dense { weight: [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 1, 1]] }], \
     target: [0.25, 0.75, 0], loss: softmax_cross_entropy, lr: 0.1, steps: 3",
    // Exact arithmetic (issue 12): a single layer with every rational setting, and a network
    // of every rational op.
    "input: [[0.1, -1, 0], [0, 1e-3, 0], [0, -1, 1]], filter: [[1, -0.25], [1, 1]], \
     target: [[1, 0], [0, 1]], lr: 0.25, bias: 0.5, activation: leaky_relu(0.1), loss: mse, \
     steps: 3, kernel: convolution, check: finite_differences, mistakes: true, arithmetic: exact",
    "input: [[1, 2, 0, 1], [0, 1, 1, 3], [1, 0, 2, 1]], layers: [conv { filter: [[1, -1], [0.5, 1]], \
     bias: 0.1, padding: 1 }, relu, avg_pool { size: 2 }, max_pool { size: (1, 2) }, flatten, \
     dense { weight: [[1, 0], [-0.5, 1]], bias: [0, 0.25] }], target: [1, 0], loss: sse, lr: 0.1, \
     steps: 2, input_grad: true, arithmetic: exact",
    // Mini-batches (issue 13): the pair with a reduction; three examples summed with
    // upstream gradients; a classifier's batch of class indices; a single layer's keys beside
    // `examples`; an exact batch.
    "examples: [{ input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], target: [[1, 0], [0, 1]] },      { input: [[1, 0, 1], [0, 1, 0], [1, 0, 1]], target: [[1, 1], [0, 0]] }],      layers: [conv { filter: [[1, -1], [1, 1]] }, relu], loss: half_sse, reduction: mean, lr: 0.5, steps: 1",
    "examples: [{ grad_output: [[1, 0]], input: [[1, 2, 3]] }, { input: [[0, 1, 0]], grad_output: [[0, 1]] },      { input: [[-1, 0, 1]], grad_output: [[1, 1]] },], reduction: sum,      layers: [conv { filter: [[1, -1]], bias: 0.5 }, tanh], lr: 0.1, steps: 2, check: finite_differences",
    "examples: [{ input: [1, 2], target: 1 }, { input: [0, 1], target: 0 }, { input: [1, 1], target: [0.5, 0.5] }],      layers: [dense { weight: [[1, 0], [0, 1]], bias: [0, 0] }], loss: softmax_cross_entropy, lr: 0.5, mistakes: true",
    "examples: [{ input: [[1, 2], [3, 4]], target: [[1]] }, { input: [[0, 1], [1, 0]], target: [[0]] }],      filter: [[1, 0], [0, 1]], bias: 0.5, activation: leaky_relu(0.1), stride: 1, padding: 0,      kernel: convolution, loss: mse, lr: 0.1",
    "examples: [{ input: [[0.5, 1], [1, 0]], target: [[1]] }], filter: [[1, -1], [0.25, 1]],      activation: linear, reduction: sum, lr: 0.25, arithmetic: exact, input_grad: true",
];

/// Valid `matrix!` inputs (what is inside its brackets).
pub(super) const MATRIX_SEEDS: &[&str] = &[
    "[1, 2], [3, 4]",
    "[1, -2.5], [1e3, 0x10]",
    "[1_000, 2.0f64, -0.0],",
    "[-1, 0, 1], [0.5, 1e308, 4.9e-324], [1e-3, 0o17, 0b101]",
    "[7]",
];

/// Cases in the normal test suite.
pub(super) const SUITE_CASES: usize = 10_000;

// ---------------------------------------------------------------------------------------------
// What mutations put in

/// Numbers: plain and signed, huge and tiny, suffixed, in other bases, with separators, and
/// the edges of `f64`, `usize`, the step limit and the stride/padding limit.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "-0",
    "-0.0",
    "0.5",
    "-0.5",
    "1e3",
    "1e-3",
    "1E3",
    "1e+3",
    "1.",
    "0.",
    "007",
    "1_000",
    "1_000.000_1",
    "1e1_0",
    "0x10",
    "0xFF",
    "0o17",
    "0b101",
    "1u8",
    "255u8",
    "2i32",
    "3usize",
    "-4isize",
    "1u128",
    "1.5f32",
    "2.0f64",
    "1f64",
    "1e3f32",
    "0x10_u16",
    "1e308",
    "1.7976931348623157e308",
    "1e309",
    "1e999",
    "-1e999",
    "4.9e-324",
    "5e-324",
    "1e-400",
    "-1e-400",
    "2.2250738585072014e-308",
    "100000",
    "100001",
    "1000000000",
    "1000000001",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
    "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
];

/// Literals that are not numbers.
const OTHER_LITERALS: &[&str] = &[
    "\"x\"",
    "\"\"",
    "\"1\"",
    "r\"raw\"",
    "r#\"x\"#",
    "b\"x\"",
    "c\"x\"",
    "'c'",
    "'\\n'",
    "b'a'",
    "true",
    "false",
    "\"same\"",
    "\"input\"",
    "\"lr\"",
];

/// Keys, values, their misspellings and synonyms, keywords, raw and non-ASCII identifiers.
const IDENTS: &[&str] = &[
    "input",
    "filter",
    "target",
    "lr",
    "bias",
    "activation",
    "loss",
    "steps",
    "stride",
    "padding",
    "kernel",
    "relu_grad_at_zero",
    "arithmetic",
    "exact",
    "float",
    "relu",
    "linear",
    "sigmoid",
    "tanh",
    "leaky_relu",
    "half_sse",
    "sse",
    "mse",
    "correlation",
    "convolution",
    "X",
    "START",
    "matrix",
    "train",
    "r#lr",
    "r#input",
    "_",
    "self",
    "Self",
    "crate",
    "super",
    "fn",
    "learning_rate",
    "epochs",
    "targte",
    "Input",
    "NaN",
    "inf",
    "f64",
    "None",
    "η",
    "café",
    "same",
    "valid",
    "LR",
    "N",
    "R",
    "layers",
    "conv",
    "grad_output",
    "dilation",
    "input_grad",
    "conv2d",
    "weights",
    "softmax",
    "max_pool",
    "avg_pool",
    "flatten",
    "dense",
    "size",
    "weight",
    "kernel_size",
    "softmax_cross_entropy",
    "linear",
    "fc",
];

/// Punctuation, single and joint, and a lifetime.
const PUNCTS: &[&str] = &[
    ",", ":", ";", "-", "+", "=", ".", "!", "#", "$", "&", "*", "/", "<", ">", "?", "@", "^", "|",
    "~", "::", "=>", "->", "..", "..=", "'a",
];

/// Groups, empty and nested.
const GROUPS: &[&str] = &[
    "()",
    "[]",
    "{}",
    "(1, 2)",
    "(1, 2, 3)",
    "(0, 1)",
    "(1,)",
    "(-1, 2)",
    "(1.5, 2)",
    "(2)",
    "((1, 1))",
    "[1, 2]",
    "[[1]]",
    "[[]]",
    "[[], []]",
    "[[1, 2], [3]]",
    "[[1, 2], [3, 4]]",
    "[[[1]]]",
    "[(1, 2)]",
    "[[1; 2]; 2]",
    "{ lr: 0.5 }",
    "[[\"a\"]]",
    "[[-1e999]]",
    "[[1u8, 0x10]]",
    "[R, R]",
    "[[A, 1]]",
    "[[1; 3]; 2]",
    "[[1; 0]]",
    "[[1]; 0]",
    "[[0.5; 18446744073709551615]; 18446744073709551615]",
    "[X; 2]",
    "[[[1, 2], [3, 4]]]",
    "[[[1]], [[2]]]",
    "[[[[1]]]]",
    "[[[[1, 0]], [[0, 1]]]]",
    "[[[0.5; 2]; 2]; 2]",
    "{ filter: [[1]] }",
    "{ filter: [[1]], stride: 2, }",
    "{ weights: [[1]] }",
    "[conv { filter: [[1]] }]",
    "[conv { filter: [[1]] }, relu]",
    "[relu]",
    "[conv, relu,]",
    "[0.5, -0.5]",
];

/// Whole expressions and entries.
const EXPRESSIONS: &[&str] = &[
    "X",
    "START.filter",
    "matrix![[1, 2]]",
    "crate::X",
    "<X as T>::Y",
    "X[0]",
    "1 + 2",
    "-X",
    "--1",
    "- -1",
    "-(1)",
    "-(-1)",
    "!1",
    "&X",
    "X as f64",
    "f()",
    "leaky_relu(0.1)",
    "leaky_relu(-0.1)",
    "leaky_relu(0)",
    "leaky_relu()",
    "leaky_relu(1, 2)",
    "leaky_relu(1e999)",
    "leaky_relu(X)",
    "relu(0.1)",
    "leaky_relu[0.1]",
    "|x| x",
    "if a { 1 } else { 2 }",
    "{ 1 }",
    "1..2",
    "x.y.z()",
    "lr: 0.5",
    "steps: 0",
    "input: X,",
    "stride: (0, 1)",
    "padding: (1000000000, 0)",
    "bias: ,",
    "relu_grad_at_zero: 0.5",
    "zeros()",
    "f::<2, 3>()",
    "f::<A, B>(1, 2)",
    "<X as T<A, B>>::Y",
    "1.0 / 3.0",
    "LR * 2.0",
    "\"input\": [[1]]",
    "\"lr\": 0.5,",
    "\"not a key\": 1,",
    "padding: same",
    "padding: \"same\"",
    "padding: valid",
    "conv { filter: [[1]] }",
    "conv { filter: [[1, 0], [0, 1]], bias: [0.5] }",
    "conv { }",
    "conv",
    "leaky_relu",
    "relu(1)",
    "conv { filter = [[1]] }",
    "layers: [conv { filter: [[1]] }]",
    "layers: []",
    "grad_output: [[1]]",
    "grad_output: [[[1, 0], [0, 1]]]",
    "dilation: (2, 1)",
    "dilation: 0",
    "input_grad: true",
    "bias: [0.5, -0.5]",
    "filter: [[[[1]]]]",
    "filter: [[[1]]]",
    "conv { weights: [[1]] }",
];

const POOLS: &[&[&str]] = &[NUMBERS, NUMBERS, OTHER_LITERALS, IDENTS, PUNCTS, GROUPS, EXPRESSIONS];

const DELIMITERS: [Delimiter; 3] = [Delimiter::Parenthesis, Delimiter::Bracket, Delimiter::Brace];

// ---------------------------------------------------------------------------------------------
// Generating cases

/// A small deterministic generator (xorshift64), so that a failure can be replayed by seed.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        // xorshift has a fixed point at 0.
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`; `n` must not be 0.
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("below n")
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn lex(text: &str) -> Vec<TokenTree> {
    text.parse::<TokenStream>().expect("fuzz text tokenizes").into_iter().collect()
}

/// Some tokens from one of the pools.
fn fragment(rng: &mut Rng) -> Vec<TokenTree> {
    let pool = rng.pick(POOLS);
    lex(rng.pick(pool))
}

/// The token lists of `trees` (itself and every group's inside) as paths of group indices,
/// with their lengths.
fn lists(trees: &[TokenTree], path: &mut Vec<usize>, out: &mut Vec<(Vec<usize>, usize)>) {
    out.push((path.clone(), trees.len()));
    for (i, tree) in trees.iter().enumerate() {
        if let TokenTree::Group(group) = tree {
            path.push(i);
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            lists(&inner, path, out);
            path.pop();
        }
    }
}

/// Applies `edit` to the token list at `path`, rebuilding the groups around it.
fn edit_at(trees: &mut Vec<TokenTree>, path: &[usize], edit: &mut dyn FnMut(&mut Vec<TokenTree>)) {
    let Some((&first, rest)) = path.split_first() else {
        edit(trees);
        return;
    };
    let TokenTree::Group(group) = &trees[first] else {
        unreachable!("a path leads through groups")
    };
    let mut inner: Vec<TokenTree> = group.stream().into_iter().collect();
    edit_at(&mut inner, rest, edit);
    let mut edited = Group::new(group.delimiter(), inner.into_iter().collect());
    edited.set_span(group.span());
    trees[first] = TokenTree::Group(edited);
}

/// One mutation, in a token list picked with probability growing with its length.
fn mutate(trees: &mut Vec<TokenTree>, rng: &mut Rng) {
    let mut all = Vec::new();
    lists(trees, &mut Vec::new(), &mut all);
    let total: usize = all.iter().map(|(_, len)| len + 1).sum();
    let mut ticket = rng.below(total);
    let (path, _) = all
        .iter()
        .find(|(_, len)| {
            if ticket <= *len {
                true
            } else {
                ticket -= len + 1;
                false
            }
        })
        .expect("a ticket below the total falls in some list");
    edit_at(trees, path, &mut |list| mutate_list(list, rng));
}

fn mutate_list(list: &mut Vec<TokenTree>, rng: &mut Rng) {
    let len = list.len();
    if len == 0 {
        list.extend(fragment(rng));
        return;
    }
    let at = rng.below(len);
    match rng.below(12) {
        0 => {
            list.remove(at);
        }
        1 => list.insert(at, list[at].clone()),
        2 => {
            let other = rng.below(len);
            list.swap(at, other);
        }
        3 if at + 1 < len => list.swap(at, at + 1),
        4 => {
            list.splice(at..=at, fragment(rng));
        }
        5 => {
            let new = fragment(rng);
            list.splice(at..at, new);
        }
        6 => {
            // Wrap a run of tokens in a new group.
            let end = at + 1 + rng.below(len - at);
            let run: TokenStream = list.drain(at..end).collect();
            list.insert(at, TokenTree::Group(Group::new(rng.pick(&DELIMITERS), run)));
        }
        7 => {
            // Unwrap the first group at or after `at`.
            if let Some(i) = (at..len).find(|&i| matches!(list[i], TokenTree::Group(_)))
                && let TokenTree::Group(group) = list.remove(i)
            {
                list.splice(i..i, group.stream());
            }
        }
        8 => {
            if let Some(i) = (at..len).find(|&i| matches!(list[i], TokenTree::Group(_)))
                && let TokenTree::Group(group) = &list[i]
            {
                list[i] = TokenTree::Group(Group::new(rng.pick(&DELIMITERS), group.stream()));
            }
        }
        9 => list.truncate(at),
        10 => {
            // Replace a literal (most are numbers) with a number: values get the edge cases.
            let literals: Vec<usize> =
                (0..len).filter(|&i| matches!(list[i], TokenTree::Literal(_))).collect();
            let i = if literals.is_empty() { at } else { rng.pick(&literals) };
            list.splice(i..=i, lex(rng.pick(NUMBERS)));
        }
        _ => {
            // Insert after `at`: at the end too.
            let mut tail = list.split_off(at + 1);
            list.extend(fragment(rng));
            list.append(&mut tail);
        }
    }
}

/// Wraps a run of tokens, in a list picked as [`mutate`] does, in an invisible group spanning
/// the run, as `macro_rules!` does around a substituted `$e:expr`.
fn wrap_invisible(trees: &mut Vec<TokenTree>, rng: &mut Rng) {
    let mut all = Vec::new();
    lists(trees, &mut Vec::new(), &mut all);
    let candidates: Vec<&Vec<usize>> =
        all.iter().filter(|(_, len)| *len > 0).map(|(path, _)| path).collect();
    if candidates.is_empty() {
        return;
    }
    let path = rng.pick(&candidates).clone();
    edit_at(trees, &path, &mut |list| {
        let at = rng.below(list.len());
        // Mostly one token (a number, a path, a group), sometimes a longer run.
        let end = if rng.below(3) == 0 { at + 1 + rng.below(list.len() - at) } else { at + 1 };
        let run: Vec<TokenTree> = list.drain(at..end).collect();
        let span = run[0].span().join(run[run.len() - 1].span()).unwrap_or_else(|| run[0].span());
        let mut group = Group::new(Delimiter::None, run.into_iter().collect());
        group.set_span(span);
        list.insert(at, TokenTree::Group(group));
    });
}

/// Which macro a case calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Macro {
    /// `train!` from a single-layer seed.
    Train,
    /// `train!` from a network seed.
    Net,
    Matrix,
}

/// The tokens a case hands to the expansion, with real locations; the first `prefix` tokens
/// are the `($crate)` that `cnn_bp_core::train!` adds, not the user's.
pub(super) struct Input {
    pub(super) mac: Macro,
    pub(super) trees: Vec<TokenTree>,
    pub(super) prefix: usize,
}

impl Input {
    /// Tokenizes `text` (the user's part) as the input of `mac`, with a `($crate)` stand-in
    /// in front when `prefixed`. `None` when the text does not lex.
    pub(super) fn parse(mac: Macro, text: &str, prefixed: bool) -> Option<Self> {
        let text = if prefixed { format!("(::cnn_bp_core) {text}") } else { text.to_owned() };
        let trees = text.parse::<TokenStream>().ok()?.into_iter().collect();
        Some(Self { mac, trees, prefix: usize::from(prefixed) })
    }

    fn user(&self) -> &[TokenTree] {
        &self.trees[self.prefix..]
    }

    fn expand(&self) -> TokenStream {
        let tokens: TokenStream = self.trees.iter().cloned().collect();
        match self.mac {
            Macro::Train | Macro::Net => expand::train(tokens),
            Macro::Matrix => expand::matrix(tokens),
        }
    }
}

/// One case from `rng`: `None` when the mutated text does not lex.
fn generate(rng: &mut Rng) -> Option<Input> {
    let mac = match rng.below(8) {
        0 | 1 => Macro::Matrix,
        2..=4 => Macro::Train,
        _ => Macro::Net,
    };
    let seed = match mac {
        Macro::Train => rng.pick(TRAIN_SEEDS),
        Macro::Net => rng.pick(NET_SEEDS),
        Macro::Matrix => rng.pick(MATRIX_SEEDS),
    };
    let mut trees = lex(seed);
    let mutations = if rng.below(4) == 0 { 1 + rng.below(8) } else { 1 + rng.below(3) };
    for _ in 0..mutations {
        mutate(&mut trees, rng);
    }
    let text = trees.into_iter().collect::<TokenStream>().to_string();
    let mut input = Input::parse(mac, &text, mac != Macro::Matrix && rng.below(2) == 0)?;
    if rng.below(5) == 0 {
        let mut user = input.trees.split_off(input.prefix);
        wrap_invisible(&mut user, rng);
        input.trees.extend(user);
    }
    Some(input)
}

// ---------------------------------------------------------------------------------------------
// Checking an expansion

/// What a correct expansion was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// An expression without errors.
    Expanded,
    /// Only `compile_error!`s, each pointing into the input.
    Rejected,
}

/// How an expansion went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Panic,
    NotAnExpression,
    Mixed,
    SpanOutside,
    CallSite,
}

/// A failed check: its kind and what exactly went wrong.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) kind: Kind,
    pub(super) detail: String,
}

fn fail(kind: Kind, detail: impl Into<String>) -> Failure {
    Failure { kind, detail: detail.into() }
}

/// Runs the expansion of `input` and checks its output.
pub(super) fn check(input: &Input) -> Result<Outcome, Failure> {
    let output = panic::catch_unwind(AssertUnwindSafe(|| input.expand())).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        fail(Kind::Panic, format!("panicked: {message}"))
    })?;
    let expr: syn::Expr = syn::parse2(output.clone())
        .map_err(|e| fail(Kind::NotAnExpression, format!("{e}; the output: {output}")))?;
    let errors: Vec<TokenStream> = match &expr {
        // A block of errors, or the block of `let`s and the call that a valid spec expands to.
        syn::Expr::Block(block) if block.attrs.is_empty() && block.label.is_none() => {
            let errors: Vec<TokenStream> = block
                .block
                .stmts
                .iter()
                .filter_map(|stmt| match stmt {
                    syn::Stmt::Macro(m) if is_compile_error(&m.mac) => {
                        Some(quote::ToTokens::to_token_stream(&m.mac))
                    }
                    _ => None,
                })
                .collect();
            if !errors.is_empty() && errors.len() != block.block.stmts.len() {
                return Err(fail(Kind::Mixed, format!("not only errors: {output}")));
            }
            errors
        }
        syn::Expr::Macro(m) if is_compile_error(&m.mac) => vec![output.clone()],
        _ => Vec::new(),
    };
    if errors.is_empty() {
        if mentions_compile_error(output.clone()) {
            return Err(fail(Kind::Mixed, format!("an error amid code: {output}")));
        }
        return Ok(Outcome::Expanded);
    }
    for error in errors {
        check_spans(input, error)?;
    }
    Ok(Outcome::Rejected)
}

fn is_compile_error(mac: &syn::Macro) -> bool {
    let path = &mac.path;
    path.leading_colon.is_some()
        && path.segments.len() == 2
        && path.segments[0].ident == "core"
        && path.segments[1].ident == "compile_error"
        && syn::parse2::<syn::LitStr>(mac.tokens.clone()).is_ok()
}

fn mentions_compile_error(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "compile_error",
        TokenTree::Group(group) => mentions_compile_error(group.stream()),
        _ => false,
    })
}

/// Every token of one `::core::compile_error! { "…" }` must point into the user's tokens (an
/// empty input has none to point at).
fn check_spans(input: &Input, error: TokenStream) -> Result<(), Failure> {
    let mut spans = Vec::new();
    let mut message = String::new();
    collect_spans(error, &mut spans, &mut message);
    let user = input.user();
    let range = user
        .first()
        .zip(user.last())
        .map(|(first, last)| (first.span().file(), first.span().start(), last.span().end()));
    // An empty input has no token to point at; through `cnn_bp_core::train!` it never gets
    // to the proc macro (the `macro_rules!` reports it), so its errors point anywhere.
    if user.is_empty() {
        return Ok(());
    }
    for span in spans {
        if span.file() == "<unspecified>" {
            return Err(fail(Kind::CallSite, format!("at the call site: {message}")));
        }
        let inside = range.as_ref().is_some_and(|(file, start, end)| {
            span.file() == *file
                && at_or_after(span.start(), *start)
                && at_or_after(*end, span.end())
        });
        if !inside {
            return Err(fail(
                Kind::SpanOutside,
                format!(
                    "span {} {}..{} outside the input {:?}: {message}",
                    span.file(),
                    show(span.start()),
                    show(span.end()),
                    range.as_ref().map(|(f, s, e)| format!("{f} {}..{}", show(*s), show(*e))),
                ),
            ));
        }
    }
    Ok(())
}

fn collect_spans(tokens: TokenStream, spans: &mut Vec<Span>, message: &mut String) {
    for tree in tokens {
        spans.push(tree.span());
        match tree {
            TokenTree::Group(group) => collect_spans(group.stream(), spans, message),
            TokenTree::Literal(literal) => {
                if let Ok(lit) = syn::parse2::<syn::LitStr>(TokenTree::Literal(literal).into()) {
                    *message = lit.value();
                }
            }
            _ => {}
        }
    }
}

fn at_or_after(a: LineColumn, b: LineColumn) -> bool {
    (a.line, a.column) >= (b.line, b.column)
}

fn show(at: LineColumn) -> String {
    format!("{}:{}", at.line, at.column)
}

// ---------------------------------------------------------------------------------------------
// Shrinking and reporting failures

/// The input as text, invisible groups shown as `⟦…⟧`.
pub(super) fn render(trees: &[TokenTree]) -> String {
    let mut out = String::new();
    for tree in trees {
        if !out.is_empty() {
            out.push(' ');
        }
        match tree {
            TokenTree::Group(group) if group.delimiter() == Delimiter::None => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                let _ = write!(out, "⟦{}⟧", render(&inner));
            }
            TokenTree::Group(group) => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    _ => ("{", "}"),
                };
                let _ = write!(out, "{open}{}{close}", render(&inner));
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
    out
}

/// Smaller variants of `trees`: one token deleted, or one group replaced by its contents, at
/// any depth. The tokens keep their spans, so the variants are inputs with real locations.
fn shrink(trees: &[TokenTree]) -> Vec<Vec<TokenTree>> {
    let mut out = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        let mut deleted = trees.to_vec();
        deleted.remove(i);
        out.push(deleted);
        if let TokenTree::Group(group) = tree {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            let mut unwrapped = trees.to_vec();
            unwrapped.splice(i..=i, inner.iter().cloned());
            out.push(unwrapped);
            for smaller in shrink(&inner) {
                let mut nested = Group::new(group.delimiter(), smaller.into_iter().collect());
                nested.set_span(group.span());
                let mut replaced = trees.to_vec();
                replaced[i] = TokenTree::Group(nested);
                out.push(replaced);
            }
        }
    }
    out
}

/// The smallest input found (greedily) that still fails the same way (see [`signature`]).
pub(super) fn minimize(input: &Input, failure: &Failure) -> Input {
    let signature = signature(failure);
    let mut best = Input { mac: input.mac, trees: input.trees.clone(), prefix: input.prefix };
    'shrinking: loop {
        let user = best.user().to_vec();
        for smaller in shrink(&user) {
            let mut trees = best.trees[..best.prefix].to_vec();
            trees.extend(smaller);
            let candidate = Input { mac: best.mac, trees, prefix: best.prefix };
            if check(&candidate).is_err_and(|f| self::signature(&f) == signature) {
                best = candidate;
                continue 'shrinking;
            }
        }
        return best;
    }
}

/// A failure as text, to outlive the case's spans.
pub(super) struct Found {
    pub(super) case: usize,
    pub(super) mac: Macro,
    pub(super) prefixed: bool,
    pub(super) input: String,
    pub(super) minimal: String,
    pub(super) failure: Failure,
}

/// What a run did.
#[derive(Default)]
pub(super) struct Report {
    pub(super) cases: usize,
    pub(super) skipped: usize,
    pub(super) expanded: usize,
    pub(super) rejected: usize,
    /// Of those, the cases from network seeds.
    pub(super) net_expanded: usize,
    pub(super) net_rejected: usize,
    pub(super) failures: Vec<Found>,
    /// Failures beyond the first two with the same [`signature`] are only counted.
    pub(super) more_failures: usize,
}

/// A failure's kind and message with the quoted parts left out: failures that differ only in
/// the tokens they quote are one problem.
fn signature(failure: &Failure) -> String {
    let mut out = format!("{:?}:", failure.kind);
    let detail = failure.detail.split("; the output").next().unwrap_or_default();
    for (i, part) in detail.split('`').enumerate() {
        if i % 2 == 0 {
            out.extend(part.chars().filter(|c| !c.is_ascii_digit()));
        }
    }
    out
}

fn signature_of(found: &Found) -> String {
    signature(&found.failure)
}

/// Runs `cases` cases from `seed`.
pub(super) fn run(cases: usize, seed: u64) -> Report {
    let mut rng = Rng::new(seed);
    let mut report = Report { cases, ..Report::default() };
    for case in 0..cases {
        if let Some(input) = generate(&mut rng) {
            let net = usize::from(input.mac == Macro::Net);
            match check(&input) {
                Ok(Outcome::Expanded) => {
                    report.expanded += 1;
                    report.net_expanded += net;
                }
                Ok(Outcome::Rejected) => {
                    report.rejected += 1;
                    report.net_rejected += net;
                }
                Err(failure) => {
                    let signature = signature(&failure);
                    let same = report.failures.iter().filter(|f| signature_of(f) == signature);
                    if same.count() < 2 {
                        let minimal = minimize(&input, &failure);
                        report.failures.push(Found {
                            case,
                            mac: input.mac,
                            prefixed: input.prefix > 0,
                            input: render(input.user()),
                            minimal: render(minimal.user()),
                            failure,
                        });
                    } else {
                        report.more_failures += 1;
                    }
                }
            }
        } else {
            report.skipped += 1;
        }
        // Every span of this case is dropped: forget their locations (see the module docs).
        proc_macro2::extra::invalidate_current_thread_spans();
    }
    report
}

impl Report {
    pub(super) fn summary(&self) -> String {
        let mut out = format!(
            "{} cases: {} expanded, {} rejected with errors (networks: {} expanded, {} rejected), {} skipped (text does not lex), {} failures",
            self.cases,
            self.expanded,
            self.rejected,
            self.net_expanded,
            self.net_rejected,
            self.skipped,
            self.failures.len() + self.more_failures,
        );
        for found in &self.failures {
            let _ = write!(
                out,
                "\n\ncase {} ({:?}{}): {:?}: {}\n  input:   {}\n  minimal: {}",
                found.case,
                found.mac,
                if found.prefixed { ", after ($crate)" } else { "" },
                found.failure.kind,
                found.failure.detail,
                found.input,
                found.minimal,
            );
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn every_seed_expands() {
    let all = [(Macro::Train, TRAIN_SEEDS), (Macro::Net, NET_SEEDS), (Macro::Matrix, MATRIX_SEEDS)];
    for (mac, seeds) in all {
        for seed in seeds {
            for prefixed in [false, mac != Macro::Matrix] {
                let input = Input::parse(mac, seed, prefixed).expect("a seed tokenizes");
                assert_eq!(check(&input).ok(), Some(Outcome::Expanded), "{seed}");
            }
        }
    }
}

#[test]
fn mutated_specs_expand_or_are_errors_in_the_input() {
    let start = Instant::now();
    let report = run(SUITE_CASES, 0x2545_F491_4F6C_DD1D);
    println!("{} in {:.1?}", report.summary(), start.elapsed());
    assert!(report.failures.is_empty(), "{}", report.summary());
    // The mutations must leave enough specs valid, and most texts lexable, to test anything.
    assert!(report.expanded > SUITE_CASES / 50, "{}", report.summary());
    assert!(report.net_expanded > SUITE_CASES / 100, "{}", report.summary());
    assert!(report.net_rejected > SUITE_CASES / 10, "{}", report.summary());
    assert!(report.skipped < SUITE_CASES / 20, "{}", report.summary());
}

/// The long run: `cargo test -p cnn-bp-macros --release -- --ignored --nocapture`.
#[test]
#[ignore = "a long run: 1,000,000 cases, or CNN_BP_FUZZ_CASES"]
fn long_fuzz_run() {
    let number = |name: &str, default: u64| {
        std::env::var(name).map_or(default, |v| v.replace('_', "").parse().expect("a number"))
    };
    let cases = usize::try_from(number("CNN_BP_FUZZ_CASES", 1_000_000)).expect("a case count");
    let seed = number("CNN_BP_FUZZ_SEED", 0x9E37_79B9_7F4A_7C15);
    let start = Instant::now();
    let report = run(cases, seed);
    println!("seed {seed:#x}: {} in {:.1?}", report.summary(), start.elapsed());
    assert!(report.failures.is_empty(), "{}", report.summary());
}
