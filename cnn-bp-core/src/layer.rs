//! The settings of one convolutional layer: geometry, kernel, activation and loss.

use core::fmt;
use core::ops::Range;

use crate::ops::Activation;
use crate::scalar::Scalar;

/// Whether the filter is used as given or rotated by 180° first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kernel {
    /// Cross-correlation, `z[p,q] = Σ x[p+i, q+j]·w[i,j]`: what deep-learning frameworks
    /// (PyTorch's `conv2d`, JAX's `conv_general_dilated`) compute under the name convolution.
    #[default]
    Correlation,
    /// True convolution: the filter is rotated by 180° first,
    /// `z[p,q] = Σ x[p+i, q+j]·w[KH−1−i, KW−1−j]`.
    Convolution,
}

impl Kernel {
    /// The spelling used in `train!`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Correlation => "correlation",
            Self::Convolution => "convolution",
        }
    }
}

/// The loss `L(y, t)` over the `n = OH·OW` outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Loss {
    /// `½·Σ(y − t)²`, whose gradient is plain `y − t`.
    #[default]
    HalfSse,
    /// `Σ(y − t)²`.
    Sse,
    /// `(1/n)·Σ(y − t)²`, PyTorch's `mse_loss` with mean reduction.
    Mse,
}

impl Loss {
    /// The spelling used in `train!`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HalfSse => "half_sse",
            Self::Sse => "sse",
            Self::Mse => "mse",
        }
    }

    /// The factor in front of `Σ(y − t)²` for `n` outputs. For no outputs (`n = 0`, an empty
    /// sum) the mean divides by 1, never by 0.
    ///
    /// ```
    /// use cnn_bp_core::{Loss, Scale};
    /// assert_eq!(Loss::Mse.scale(4), Scale::new(1, 4));
    /// assert_eq!(Loss::Mse.scale(0), Scale::ONE);
    /// ```
    pub const fn scale(self, n: usize) -> Scale {
        match self {
            Self::HalfSse => Scale::new(1, 2),
            Self::Sse => Scale::ONE,
            Self::Mse => Scale::new(1, at_least_one(n)),
        }
    }

    /// The factor in front of `(y − t)` in `∂L/∂y` for `n` outputs (`n = 0` as in
    /// [`Loss::scale`]).
    pub const fn grad_scale(self, n: usize) -> Scale {
        match self {
            Self::HalfSse => Scale::ONE,
            Self::Sse => Scale::new(2, 1),
            Self::Mse => Scale::new(2, at_least_one(n)),
        }
    }
}

/// The count a mean divides by: `n`, or 1 for an empty sum.
const fn at_least_one(n: usize) -> usize {
    if n == 0 { 1 } else { n }
}

/// A constant factor `num/den` in front of a sum, such as the `½` of a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scale {
    /// The numerator.
    pub num: usize,
    /// The denominator; never 0 in the factors [`Loss`] gives.
    pub den: usize,
}

impl Scale {
    /// The factor 1.
    pub const ONE: Self = Self { num: 1, den: 1 };

    /// `num/den`.
    pub const fn new(num: usize, den: usize) -> Self {
        Self { num, den }
    }

    /// Whether this is the factor 1.
    pub const fn is_one(self) -> bool {
        self.num == self.den
    }

    /// `value·num/den`, multiplying before dividing so that `2·(y − t)/n` rounds once per
    /// operation in the order it is printed (dividing first only where the product overflows
    /// and the quotient need not). A `den` of 0, possible only in a `Scale` built by
    /// hand, divides by zero in `S`: for `f64` that gives ∞ or NaN, not a panic.
    #[inline]
    pub fn apply<S: Scalar>(self, value: S) -> S {
        if self.is_one() {
            return value;
        }
        let scaled = if self.num == 1 { value } else { value * S::from_usize(self.num) };
        if self.den == 1 {
            scaled
        } else if scaled.is_finite() || !value.is_finite() {
            scaled / S::from_usize(self.den)
        } else {
            // The product overflowed where the quotient need not: `(2/8)·1.4·10³⁰⁸` is
            // 3.6·10³⁰⁷, so divide first.
            value / S::from_usize(self.den) * S::from_usize(self.num)
        }
    }
}

/// Everything about a layer except its parameters: how the filter slides, how outputs are
/// activated and how they are scored.
///
/// ```
/// use cnn_bp_core::{Activation, Layer, Loss};
/// let layer = Layer { stride: (2, 2), padding: (1, 1), loss: Loss::Mse, ..Layer::default() };
/// assert_eq!(layer.output_shape((5, 5), (3, 3)), Some((3, 3)));
/// assert_eq!(layer.activation, Activation::Relu { grad_at_zero: 0.0 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layer {
    /// Rows and columns the filter moves per output entry; each at least 1.
    pub stride: (usize, usize),
    /// Zero rows added above and below, zero columns added left and right.
    pub padding: (usize, usize),
    /// Cross-correlation or true convolution.
    pub kernel: Kernel,
    /// The activation `f`.
    pub activation: Activation,
    /// The loss.
    pub loss: Loss,
}

impl Default for Layer {
    /// Stride 1, no padding, cross-correlation, ReLU (`f′(0) = 0`), `½·Σ(y − t)²`.
    fn default() -> Self {
        Self {
            stride: (1, 1),
            padding: (0, 0),
            kernel: Kernel::Correlation,
            activation: Activation::default(),
            loss: Loss::HalfSse,
        }
    }
}

/// `⌊(input + 2·padding − kernel)/stride⌋ + 1`, as PyTorch computes it, or `None` when the
/// kernel does not fit in the padded input, the stride or the kernel is 0, or the padded
/// length `input + 2·padding` does not fit in `usize`.
///
/// ```
/// assert_eq!(cnn_bp_core::output_len(3, 2, 1, 0), Some(2));
/// assert_eq!(cnn_bp_core::output_len(4, 2, 3, 0), Some(1)); // the floor leaves row 3 unused
/// assert_eq!(cnn_bp_core::output_len(2, 3, 1, 0), None);
/// assert_eq!(cnn_bp_core::output_len(3, 2, 0, 0), None); // stride 0
/// assert_eq!(cnn_bp_core::output_len(3, 2, 1, usize::MAX / 2), None); // 3 + 2·padding overflows
/// ```
pub const fn output_len(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Option<usize> {
    cnn_bp_shape::output_len(input, kernel, stride, padding)
}

/// `input + 2·padding`, or `None` when it does not fit in `usize`.
const fn padded_len(input: usize, padding: usize) -> Option<usize> {
    match padding.checked_mul(2) {
        Some(both_sides) => input.checked_add(both_sides),
        None => None,
    }
}

impl Layer {
    /// The output shape `(OH, OW)` for an input and a filter shape, or `None` when the filter
    /// does not fit in the padded input (or a stride is 0, or the padded input's size does
    /// not fit in `usize`; see [`output_len`]).
    pub const fn output_shape(
        &self,
        input: (usize, usize),
        filter: (usize, usize),
    ) -> Option<(usize, usize)> {
        match (
            output_len(input.0, filter.0, self.stride.0, self.padding.0),
            output_len(input.1, filter.1, self.stride.1, self.padding.1),
        ) {
            (Some(rows), Some(cols)) => Some((rows, cols)),
            _ => None,
        }
    }

    /// The input entry under kernel offset `(i, j)` of output `(p, q)`, or `None` where the
    /// window lies on zero padding. `h`, `w` are the input's rows and columns.
    ///
    /// This is the one place that maps output and kernel positions to input positions;
    /// [`Layer::window`] and [`Layer::reach`] give the same map as ranges, and the forward
    /// pass and the filter gradient check every position they use against it in debug builds.
    ///
    /// Checked arithmetic: for settings that [`Layer::check`] accepts nothing overflows, and
    /// for a layer that does not fit the shapes (the step functions do not check) a position
    /// past `usize` is off the input, like padding, rather than a panic.
    #[inline]
    pub(crate) fn source(
        &self,
        (p, q): (usize, usize),
        (i, j): (usize, usize),
        (h, w): (usize, usize),
    ) -> Option<(usize, usize)> {
        let row = p.checked_mul(self.stride.0)?.checked_add(i)?.checked_sub(self.padding.0)?;
        let col = q.checked_mul(self.stride.1)?.checked_add(j)?.checked_sub(self.padding.1)?;
        (row < h && col < w).then_some((row, col))
    }

    /// The kernel offsets of output `(p, q)` that [`Layer::source`] maps into the input, as
    /// a range of rows and one of columns: along each axis, the offsets outside it fall on
    /// the zero padding. Both are empty when either is. `kernel` is `(KH, KW)`, `input` is
    /// `(H, W)`.
    ///
    /// Iterating the ranges visits the same offsets in the same order as testing every
    /// offset with [`Layer::source`], without a test per term.
    #[inline]
    pub(crate) fn window(
        &self,
        (p, q): (usize, usize),
        kernel: (usize, usize),
        input: (usize, usize),
    ) -> (Range<usize>, Range<usize>) {
        // Offset i is inside when 0 ≤ start + i − padding < len. Saturating, so that a layer
        // that does not fit the shapes gives an empty window rather than an overflow.
        let span = |start: usize, padding: usize, kernel: usize, len: usize| {
            let low = padding.saturating_sub(start);
            low..len.saturating_add(padding).saturating_sub(start).min(kernel).max(low)
        };
        both_or_neither(
            span(p.saturating_mul(self.stride.0), self.padding.0, kernel.0, input.0),
            span(q.saturating_mul(self.stride.1), self.padding.1, kernel.1, input.1),
        )
    }

    /// The outputs `(p, q)` whose window puts kernel offset `(i, j)` inside the input (where
    /// [`Layer::source`] gives `Some`), as a range of rows and one of columns; both are empty
    /// when either is. `output` is `(OH, OW)`, `input` is `(H, W)`.
    #[inline]
    pub(crate) fn reach(
        &self,
        (i, j): (usize, usize),
        output: (usize, usize),
        input: (usize, usize),
    ) -> (Range<usize>, Range<usize>) {
        // Output p is inside when 0 ≤ p·stride + i − padding < len. Saturating, and stride 0
        // (which `check` refuses) puts every output at the same place, so that a layer that
        // does not fit the shapes gives a range of valid outputs rather than a panic.
        let span = |i: usize, stride: usize, padding: usize, out: usize, len: usize| {
            if stride == 0 {
                let inside = i >= padding && i - padding < len;
                return if inside { 0..out } else { 0..0 };
            }
            let low = padding.saturating_sub(i).div_ceil(stride);
            low..len.saturating_add(padding).saturating_sub(i).div_ceil(stride).min(out).max(low)
        };
        both_or_neither(
            span(i, self.stride.0, self.padding.0, output.0, input.0),
            span(j, self.stride.1, self.padding.1, output.1, input.1),
        )
    }

    /// The filter entry that kernel offset `(i, j)` multiplies: itself for correlation, the
    /// entry rotated by 180° for convolution. Being its own inverse, it also maps a filter
    /// entry back to its kernel offset.
    #[inline]
    pub(crate) const fn filter_entry(
        &self,
        (i, j): (usize, usize),
        (kh, kw): (usize, usize),
    ) -> (usize, usize) {
        match self.kernel {
            Kernel::Correlation => (i, j),
            Kernel::Convolution => (kh - 1 - i, kw - 1 - j),
        }
    }

    /// Checks the settings against an input, filter and target shape.
    ///
    /// # Errors
    /// The first [`SpecError`] that applies.
    pub fn check(
        &self,
        input: (usize, usize),
        filter: (usize, usize),
        target: (usize, usize),
    ) -> Result<(), SpecError> {
        if self.stride.0 == 0 || self.stride.1 == 0 {
            return Err(SpecError::ZeroStride);
        }
        self.activation.check()?;
        if input.0 == 0 || input.1 == 0 || filter.0 == 0 || filter.1 == 0 {
            return Err(SpecError::Empty);
        }
        if padded_len(input.0, self.padding.0).is_none()
            || padded_len(input.1, self.padding.1).is_none()
        {
            return Err(SpecError::PaddingTooLarge { input, padding: self.padding });
        }
        let output = self.output_shape(input, filter).ok_or(SpecError::FilterTooLarge {
            input,
            filter,
            padding: self.padding,
        })?;
        if output == target { Ok(()) } else { Err(SpecError::TargetShape { output, target }) }
    }
}

/// Two ranges, or two empty ones when either is empty.
#[inline]
fn both_or_neither(rows: Range<usize>, cols: Range<usize>) -> (Range<usize>, Range<usize>) {
    if rows.is_empty() || cols.is_empty() { (0..0, 0..0) } else { (rows, cols) }
}

/// Why a layer's settings cannot be used with the given shapes or values.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum SpecError {
    /// A stride is 0.
    ZeroStride,
    /// The learning rate is not a positive finite number.
    LearningRate(f64),
    /// No steps were asked for.
    ZeroSteps,
    /// More than [`MAX_STEPS`](crate::MAX_STEPS) steps were asked for.
    TooManySteps(usize),
    /// `relu_grad_at_zero` is neither 0 nor 1.
    ReluGradAtZero(f64),
    /// A leaky ReLU's slope is not a positive finite number.
    LeakySlope(f64),
    /// The input or the filter has no entries.
    Empty,
    /// The zero-padded input's rows or columns, `input + 2·padding`, do not fit in `usize`.
    PaddingTooLarge {
        /// Input rows and columns.
        input: (usize, usize),
        /// Padding rows and columns.
        padding: (usize, usize),
    },
    /// The filter is larger than the zero-padded input.
    FilterTooLarge {
        /// Input rows and columns.
        input: (usize, usize),
        /// Filter rows and columns.
        filter: (usize, usize),
        /// Padding rows and columns.
        padding: (usize, usize),
    },
    /// A network was given a number of parameters it does not train.
    ParamsLen {
        /// What the network trains.
        expected: usize,
        /// What was given.
        found: usize,
    },
    /// A network's target or upstream gradient does not have its output's number of entries.
    ObjectiveLen {
        /// The output's entries.
        expected: usize,
        /// The target's or upstream gradient's.
        found: usize,
    },
    /// More than one step without a learning rate.
    StepsWithoutLr(usize),
    /// The target's shape is not the output's.
    TargetShape {
        /// The output shape the settings give.
        output: (usize, usize),
        /// The target's shape.
        target: (usize, usize),
    },
    /// A softmax cross-entropy target is not a probability vector: an entry is negative or
    /// not finite, or the entries do not sum to 1 (within 10⁻⁹).
    NotProbabilities {
        /// The sum of the entries.
        sum: f64,
    },
    /// Sigmoid, tanh or a softmax cross-entropy asked of a number type without `exp`, `log`
    /// and `tanh` (an exact one, whose values they would make irrational).
    NeedsFloat,
    /// A batch without examples.
    EmptyBatch,
    /// A batch whose examples are not all trained against the same kind of objective (the
    /// same loss, or all upstream gradients): the entry of the first that differs from the
    /// first example's, counted from 0.
    MixedObjectives(usize),
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ZeroStride => f.write_str("the stride must be at least 1"),
            Self::LearningRate(lr) => {
                write!(f, "the learning rate must be a positive finite number, not {lr}")
            }
            Self::ZeroSteps => f.write_str("at least one step is needed"),
            Self::TooManySteps(n) => {
                write!(f, "at most {} steps, not {n}", crate::MAX_STEPS)
            }
            Self::ReluGradAtZero(v) => write!(f, "relu_grad_at_zero must be 0 or 1, not {v}"),
            Self::LeakySlope(v) => {
                write!(f, "a leaky ReLU's slope must be a positive finite number, not {v}")
            }
            Self::Empty => f.write_str("the input and the filter need at least one entry"),
            Self::PaddingTooLarge { input, padding } => write!(
                f,
                "the padding ({}, {}) is too large: the {}×{} input padded by it has more rows or columns than usize can count",
                padding.0, padding.1, input.0, input.1
            ),
            // Saturating: the fields are public, so any values can reach here.
            Self::FilterTooLarge { input, filter, padding } => write!(
                f,
                "the {}×{} filter does not fit in the {}×{} input padded to {}×{}",
                filter.0,
                filter.1,
                input.0,
                input.1,
                input.0.saturating_add(padding.0.saturating_mul(2)),
                input.1.saturating_add(padding.1.saturating_mul(2))
            ),
            Self::TargetShape { output, target } => write!(
                f,
                "the target is {}×{} but the output is {}×{}",
                target.0, target.1, output.0, output.1
            ),
            Self::ParamsLen { expected, found } => {
                write!(f, "the network trains {expected} parameters, but {found} were given")
            }
            Self::ObjectiveLen { expected, found } => write!(
                f,
                "the network's output has {expected} entries, but the target or upstream gradient has {found}"
            ),
            Self::NotProbabilities { sum } => write!(
                f,
                "a softmax cross-entropy target is a probability vector: every entry at least 0, summing to 1 (this one sums to {sum})"
            ),
            Self::NeedsFloat => f.write_str(
                "sigmoid, tanh and a softmax cross-entropy need exp, log and tanh, whose values are not rational: exact arithmetic has relu, leaky_relu and linear, and the squared losses",
            ),
            Self::EmptyBatch => f.write_str("a batch needs at least one example"),
            Self::MixedObjectives(n) => write!(
                f,
                "every example of a batch has the same kind of objective (one loss, or an upstream gradient each), but example {} differs from example 1",
                n + 1
            ),
            Self::StepsWithoutLr(steps) => write!(
                f,
                "{steps} steps need a learning rate: without one a derivation computes one pass's gradients"
            ),
        }
    }
}

impl std::error::Error for SpecError {}
