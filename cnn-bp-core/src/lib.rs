//! Hand-checkable derivations of convolutional backpropagation.
//!
//! `cnn-bp` trains a convolutional layer, or a chain of convolutions and activations, by
//! gradient descent and prints every entry's arithmetic: the forward sums, the activation, the
//! loss, `∂L/∂y`, `f′(z)`, `δ`, the filter gradient, `∂L/∂x` (the full convolution of `δ` with
//! the rotated filter) and the update, with notes where something deserves attention (a dead
//! ReLU, a target the activation can never reach, a loss that rose).
//!
//! ```
//! let d = cnn_bp_core::train! {
//!     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
//!     filter: [[1, -1], [1, 1]],
//!     target: [[1, 0], [0, 1]],
//!     lr: 0.5,
//! };
//! let s = &d.steps()[0];
//! assert_eq!(s.output(), [[3.0, 0.0], [-2.0, 1.0]]);
//! assert_eq!(s.filter_grad(), [[2.0, -2.0], [0.0, 2.0]]);
//! assert_eq!(d.filter(), [[0.0, 0.0], [1.0, 0.0]]);
//!
//! let text = d.to_string();
//! assert!(text.contains("= 1·1 + (−1)·(−1) + 0·1 + 1·1 = 3"));
//! assert!(text.contains("L: 2 → 1.5 (decreased)"));
//! ```
//!
//! The same computation runs without the macro, and without recording anything, through
//! [`train()`] and the step functions [`forward`], [`loss`], [`backward`], [`update`] and
//! [`step`]. They are generic over the [`Scalar`] type and over a [`Recorder`]: with
//! [`NoTrace`] they are plain loops, with [`Trace`] they keep every equation for rendering.
//!
//! A network is a type built from [`ops`] and trained by [`network::train_network`]; the
//! macro's `layers: [conv { … }, relu, …]` writes that type for you.
//!
//! A [`Derivation`] renders as text (`Display`), LaTeX ([`Derivation::to_latex`]) and Markdown
//! ([`Derivation::to_markdown`]), in the numeric or the symbolic [`Form`], and re-checks every
//! printed equation from its printed operands with [`Derivation::verify`].
#![forbid(unsafe_code)]

mod derivation;
mod expansion;
mod extras;
mod layer;
pub mod network;
mod number;
pub mod ops;
mod rational;
mod render;
mod scalar;
mod shorthand;
mod step;
mod trace;

pub use derivation::{Derivation, MAX_STEPS, Step, train, train_with};
pub use extras::Extras;
pub use layer::{Kernel, Layer, Loss, Scale, SpecError, output_len};
pub use number::SIGNIFICANT_DIGITS;
pub use ops::{Activation, SlopeCase};
pub use rational::{MAX_FRACTION_DIGITS, ParseRationalError, Rational};
pub use render::{Form, Mismatch, Verified, VerifyError};
pub use scalar::{Float, Scalar};
pub use step::{Forward, Gradients, Params, StepOutcome, backward, forward, loss, step, update};
pub use trace::{
    CheckedEntry, Equation, Expr, FULL_STEPS, Given, GradientCheck, Grid, HEAD_STEPS, Mistake,
    Name, NetRecipe, NoTrace, Operand, Recipe, Recorder, Rise, Row, SUMMARY_STEPS, Section, Sym,
    Term, Trace,
};

/// A matrix literal as a `[[f64; C]; R]` expression, usable in `const` items.
///
/// Entries are integer or float literals, with an optional minus sign, which the macro reads
/// as `f64`; any other entry is an `f64` expression, and a row that is not in brackets a
/// `[f64; C]` one, typed by the compiler. Rows must all have the same length; a ragged or empty
/// matrix, a string or a suffixed number is a compile error at the offending tokens.
///
/// ```
/// use cnn_bp_core::matrix;
///
/// const X: [[f64; 3]; 2] = matrix![[1, -1, 0], [0.5, 1e-3, -2.25]];
/// assert_eq!(X[1], [0.5, 0.001, -2.25]);
/// ```
pub use cnn_bp_macros::matrix;

/// Trains one convolutional layer, or a network of them, and records the derivation.
///
/// A network spec has `layers`: convolutions and activations, in order, as PyTorch's
/// `nn.Sequential` has them, and its value is a [`NetDerivation`](network::NetDerivation).
///
/// ```
/// let d = cnn_bp_core::train! {
///     input: [[[1, 0, 2], [0, 1, 0], [2, 0, 1]],          // C×H×W; 2-D is one channel
///             [[0, 1, 0], [1, 0, 1], [0, 1, 0]]],
///     layers: [
///         conv { filter: [[[[1, 0], [0, 1]], [[1, 1], [0, 0]]],  // [F][C][KH][KW]; 2-D is
///                          [[[0, 1], [1, 0]], [[0, 0], [1, 1]]]], // one filter on one channel
///                bias: [0.5, -0.5],                        // one per filter; absent: none
///                stride: 1, padding: 0, dilation: 1,       // or (rows, columns)
///                kernel: correlation },                    // or convolution
///         relu,                                            // | leaky_relu(α) | sigmoid | tanh
///         conv { filter: [[[[1]], [[1]]]] },
///     ],
///     target: [[1, 0], [0, 1]],                            // the output's shape
///     loss: half_sse,                                      // | sse | mse
///     lr: 0.1,                                             // absent: one pass, no update
///     steps: 2,
///     // or, instead of `target` and `loss`, an upstream gradient: `grad_output: [[1, 0], [0, 1]]`;
///     // optional: relu_grad_at_zero, show, check, mistakes, `input_grad: true` (∂L/∂X),
///     // and `arithmetic: exact` (fractions; see `Rational`)
/// };
/// let s = &d.steps()[0];
/// assert_eq!(s.loss(), 34.0);
/// assert_eq!(s.named_grads()[1], ("0.bias".to_owned(), vec![2], vec![16.0, 16.0]));
/// assert_eq!(s.layer_outputs()[2], (vec![1, 2, 2], vec![4.0, 5.0, 5.0, 4.0]));
/// ```
///
/// A single layer:
///
/// ```
/// use cnn_bp_core::{matrix, train};
///
/// const X: [[f64; 3]; 3] = matrix![[1, -1, 0], [0, 1, 0], [0, -1, 1]];
/// let d = train! {
///     input: X,                        // any `[[f64; W]; H]` expression
///     filter: [[1, -1], [1, 1]],
///     target: [[1, 0], [0, 1]],
///     lr: 0.5,
///     // optional, defaults shown:
///     activation: relu,                // relu | linear | sigmoid | tanh | leaky_relu(0.01)
///     loss: half_sse,                  // half_sse | sse | mse
///     steps: 1,
///     stride: 1,                       // or (rows, columns)
///     padding: 0,                      // or (rows, columns)
///     kernel: correlation,             // or convolution (the filter rotated by 180°)
///     relu_grad_at_zero: 0,            // 0 or 1, relu only
///     show: numeric,                   // or symbolic: each stage's formulas with symbols first
///     check: none,                     // or finite_differences: ∂L/∂W against central differences
///     mistakes: false,                 // or true: the learner's wrong recipes on step 1
///     arithmetic: float,               // or exact: every value a `Rational`, printed as a fraction
/// };
/// assert_eq!(d.loss_after(), 1.5);
/// assert_eq!(d.bias(), None);          // `bias: 0.0` adds a trained bias term
/// ```
///
/// The optional sections, on the seed question: the sign mistake reproduces the asker's
/// filter and a higher loss than the correct update's.
///
/// ```
/// use cnn_bp_core::{Name, Recipe};
///
/// let d = cnn_bp_core::train! {
///     input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
///     filter: [[1, -1], [1, 1]],
///     target: [[1, 0], [0, 1]],
///     lr: 0.5,
///     check: finite_differences,
///     mistakes: true,
/// };
/// let sign = &d.trace().mistakes[0];
/// assert_eq!(sign.recipe, Recipe::SignFlip);
/// let w: Vec<f64> = sign.section.equations.iter()
///     .filter(|eq| eq.lhs.name == Name::W)
///     .map(|eq| eq.value)
///     .collect();
/// assert_eq!(w, [2.0, -2.0, 1.0, 2.0]);
/// assert_eq!(sign.loss_after, 14.5);
/// assert_eq!(d.loss_after(), 1.5);
/// assert!(d.to_string().contains("Largest difference: "));
/// d.verify()?;
/// # Ok::<(), cnn_bp_core::VerifyError>(())
/// ```
///
/// Keys may come in any order. Every malformed spec is a compile error at the offending
/// tokens, and all of a spec's errors are reported together. A matrix is any `[[f64; C]; R]`
/// expression: the shapes the macro can count or derive from the others are the types the
/// expressions must have, and those only the types know are checked by a compile-time
/// assertion. `lr`, `bias` and `steps` may be constants, checked when the code is compiled:
///
/// ```
/// use cnn_bp_core::train;
///
/// const LR: f64 = 0.5;
/// const ROW: [f64; 3] = [1.0, 0.0, -1.0];
/// fn zeros<const R: usize, const C: usize>() -> [[f64; C]; R] {
///     [[0.0; C]; R]
/// }
/// let d = train! { input: [ROW, ROW, ROW], filter: [[1, -1], [1, 1]], target: zeros(), lr: LR };
/// assert_eq!(d.steps()[0].output(), [[2.0, 0.0], [2.0, 0.0]]);
/// ```
///
/// ```compile_fail,E0080
/// const LR: f64 = -0.5; // "train!: `lr` must be a finite number greater than 0 …"
/// let d = cnn_bp_core::train! { input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: LR };
/// ```
///
/// The value is a [`Derivation`]: `Display` prints the whole derivation, and its accessors give
/// the numbers of every [`Step`].
///
/// With `arithmetic: exact` every value is a [`Rational`], computed exactly and printed as a
/// fraction in lowest terms; literals are the decimals they are written as:
///
/// ```
/// let d = cnn_bp_core::train! {
///     input: [[0.1, 0.2, 0.3]],
///     filter: [[1, 1]],
///     target: [[0.2, 0.6]],
///     activation: linear,
///     lr: 0.1,
///     arithmetic: exact,
/// };
/// let s = &d.steps()[0];
/// assert_eq!(s.output()[0].map(|z| z.to_string()), ["3/10", "1/2"]); // 0.1 + 0.2 is 3/10
/// assert_eq!(s.loss().to_string(), "1/100");
/// assert!(d.to_string().contains("= (1/10)·1 + (1/5)·1 = 3/10"));
/// ```
///
/// ```compile_fail
/// // "`sigmoid` cannot be computed with `arithmetic: exact`: σ(z) = 1/(1 + e^(−z)) is irrational …"
/// let d = cnn_bp_core::train! {
///     input: [[1, 2]], filter: [[1]], target: [[1, 2]], lr: 0.5,
///     activation: sigmoid, arithmetic: exact,
/// };
/// ```
///
/// With `examples` in place of `input` and `target`, it trains on a mini-batch: every
/// example's passes at the same parameters, the batch's loss the mean of theirs (or, with
/// `reduction: sum`, the sum), one update per step; the value is a
/// [`NetDerivation`](network::NetDerivation), whose steps give each example's own numbers:
///
/// ```
/// let d = cnn_bp_core::train! {
///     examples: [
///         { input: [[1, 2], [3, 4]], target: [[1]] },
///         { input: [[0, 1], [1, 0]], target: [[0]] },
///     ],
///     filter: [[1, 0], [0, 1]],   // a single layer's keys, or `layers: [...]`
///     activation: linear,
///     lr: 0.1,
/// };
/// let s = &d.steps()[0];
/// // z₁ = 1 + 4 = 5 and z₂ = 0: L₁ = ½·4² = 8, L₂ = 0, L = (8 + 0)/2.
/// assert_eq!((s.examples()[0].loss(), s.examples()[1].loss(), s.loss()), (8.0, 0.0, 4.0));
/// assert_eq!(s.named_grads()[0].2, [2.0, 4.0, 6.0, 8.0]); // ½·(4·x₁ + 0·x₂)
/// ```
///
/// ```compile_fail
/// // "example 2's input is 1×2×3, but example 1's is 1×2×2: every example of a batch has the same shapes …"
/// let d = cnn_bp_core::train! {
///     examples: [{ input: [[1, 2], [3, 4]], target: [[1]] }, { input: [[0, 1, 2], [1, 0, 2]], target: [[0]] }],
///     filter: [[1, 0], [0, 1]],
/// };
/// ```
///
/// The macro names this library through `$crate`, so it keeps working when the dependency is
/// renamed or re-exported by another crate.
#[macro_export]
macro_rules! train {
    // An empty spec has no tokens for the proc macro to point an error at. (The words are
    // those of the proc macro's missing-keys error.)
    () => {
        ::core::compile_error!(
            "train! is missing `input` (the input matrix X, like `[[1, 2], [3, 4]]`), `filter` (the starting filter W, like `[[1, -1], [1, 1]]`), `target` (the wanted output matrix) and `lr` (the learning rate η > 0, like `lr: 0.1`)"
        )
    };
    ($($spec:tt)*) => {
        $crate::__private::train! { ($crate) $($spec)* }
    };
}

/// What `train!` expands to. Not public API: no stability guarantee.
#[doc(hidden)]
pub mod __private {
    pub use crate::derivation::Derivation;
    pub use crate::expansion::{Geometry, Settings, flat, params, trained};
    pub use crate::extras::{Extras, Sections};
    pub use crate::layer::{Kernel, Layer, Loss};
    pub use crate::ops::{
        Activation, Convolve, Correlate, Elementwise, LeakyRelu, Linear, Orientation, Relu,
        Sigmoid, Tanh,
    };
    pub use crate::render::Form;
    // And what the benchmarks time (cnn-bp-bench/benches/network.rs).
    pub use crate::shorthand::UntracedSteps;
    pub use crate::step::Params;
    pub use crate::{network, ops};
    pub use cnn_bp_macros::train;
    pub use core::option::Option::{None, Some};
    // The types the generated code writes, by a path no `type f64 = …;` of the user's shadows.
    pub use core::primitive::{f64, usize};

    /// What an `arithmetic: exact` spec expands to: the same code as a float spec's, through
    /// this path, whose `f64` is [`Rational`](crate::Rational).
    pub mod exact {
        pub use super::*;
        pub use crate::expansion::{Lift, decimal, lift};
        /// The scalar of the generated code's types, `[[f64; W]; H]`: exact here.
        #[allow(non_camel_case_types)]
        pub type f64 = crate::Rational;
    }
}

/// The README's Rust examples, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
