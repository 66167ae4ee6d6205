//! The output size of a convolution along one axis, and the arithmetic that explains it,
//! written once for `cnn-bp`: the `train!` macro's compile errors and the derivations that
//! `cnn-bp-core` prints both use this crate, so what a spec is told and what its derivation
//! shows cannot disagree.
//!
//! Along one axis (rows or columns) a convolution with a kernel of length `K`, stride `s`,
//! zero padding `p` on both sides and dilation `d`, over an input of length `H`, gives
//!
//! ```text
//! OH = ⌊(H + 2·p − d·(K − 1) − 1)/s⌋ + 1
//! ```
//!
//! entries, as PyTorch's `nn.Conv2d` computes them: the dilated kernel reaches
//! `d·(K − 1) + 1` entries, and it fits when that is at most the padded length `H + 2·p`.
//!
//! ```
//! use cnn_bp_shape::Axis;
//!
//! let rows = Axis { input: 5, kernel: 3, stride: 2, padding: 1, dilation: 1 };
//! assert_eq!(rows.output(), Some(3));
//! assert_eq!(rows.explain("OH").as_deref(), Some("OH = (5 + 2·1 − 1·(3 − 1) − 1)/2 + 1 = 3"));
//! let floor = Axis { input: 4, kernel: 2, stride: 3, padding: 0, dilation: 1 };
//! assert_eq!(floor.explain_undilated("OH").as_deref(), Some("OH = ⌊(4 + 2·0 − 2)/3⌋ + 1 = ⌊2/3⌋ + 1 = 1"));
//! ```
#![forbid(unsafe_code)]

/// The output-size rule in symbols, as the derivations and the errors name it.
pub const FORMULA: &str = "⌊(H + 2·p − d·(KH − 1) − 1)/s⌋ + 1";

/// One axis of a convolution: the lengths of its input and kernel, and its stride, padding and
/// dilation.
///
/// Lengths are counted in `u128` inside, so that any `usize` lengths (a macro may read a
/// repeat count of `usize::MAX`) give an exact answer: an output is `None` only when the
/// kernel does not fit, the stride, dilation or kernel is 0, or the output's length does not
/// fit in `usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Axis {
    /// The input's length, `H` (or `W`).
    pub input: usize,
    /// The kernel's length, `KH` (or `KW`).
    pub kernel: usize,
    /// How far the window moves per output entry, `s`.
    pub stride: usize,
    /// Zero entries added on each side, `p`.
    pub padding: usize,
    /// How far apart the input entries that neighbouring kernel entries meet are, `d`
    /// (1: next to each other).
    pub dilation: usize,
}

impl Axis {
    /// An axis with stride 1, no padding and no dilation.
    pub const fn new(input: usize, kernel: usize) -> Self {
        Self { input, kernel, stride: 1, padding: 0, dilation: 1 }
    }

    /// The padded input's length, `H + 2·p`.
    pub const fn padded(self) -> u128 {
        self.input as u128 + 2 * self.padding as u128
    }

    /// How many input entries the dilated kernel spans, `d·(K − 1) + 1`; `None` for a kernel
    /// of length 0.
    pub const fn reach(self) -> Option<u128> {
        if self.kernel == 0 {
            None
        } else {
            Some(self.dilation as u128 * (self.kernel as u128 - 1) + 1)
        }
    }

    /// Whether the dilated kernel fits inside the padded input (a kernel of length 0 does
    /// not).
    pub const fn fits(self) -> bool {
        match self.reach() {
            Some(reach) => reach <= self.padded(),
            None => false,
        }
    }

    /// The output's length, `⌊(H + 2·p − d·(K − 1) − 1)/s⌋ + 1`, or `None` when the kernel
    /// does not fit, the stride, dilation or kernel is 0, or the length does not fit in
    /// `usize`.
    pub const fn output(self) -> Option<usize> {
        if self.stride == 0 || self.dilation == 0 || !self.fits() {
            return None;
        }
        let Some(span) = self.span() else {
            return None;
        };
        let out = span / self.stride as u128 + 1;
        if out > usize::MAX as u128 { None } else { Some(out as usize) }
    }

    /// `H + 2·p − d·(K − 1) − 1`, what the stride divides.
    const fn span(self) -> Option<u128> {
        match self.reach() {
            Some(reach) if reach <= self.padded() => Some(self.padded() - reach),
            _ => None,
        }
    }

    /// The output's length with its arithmetic, the numbers filled in:
    /// `OH = (3 + 2·0 − 1·(2 − 1) − 1)/1 + 1 = 2`, with `⌊ ⌋` and the quotient written out
    /// where the floor matters (`OH = ⌊(4 + 2·0 − 1·(2 − 1) − 1)/3⌋ + 1 = ⌊2/3⌋ + 1 = 1`).
    /// `None` when there is no output (see [`Axis::output`]).
    pub fn explain(self, label: &str) -> Option<String> {
        let Self { input: n, kernel: k, stride: s, padding: p, dilation: d } = self;
        self.line(label, &format!("({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}"))
    }

    /// As [`Axis::explain`] for a convolution written without dilation (a single layer's
    /// derivation, which has none): `OH = (3 + 2·0 − 2)/1 + 1 = 2`. At dilation 1 the two
    /// agree, since `1·(K − 1) + 1 = K`; at another dilation this writes the dilated
    /// kernel's reach in place of `K`.
    pub fn explain_undilated(self, label: &str) -> Option<String> {
        let Self { input: n, stride: s, padding: p, .. } = self;
        let reach = self.reach()?;
        self.line(label, &format!("({n} + 2·{p} − {reach})/{s}"))
    }

    /// The reach of the dilated kernel with its arithmetic: `2·(3 − 1) + 1 = 5`.
    pub fn explain_reach(self) -> Option<String> {
        let Self { kernel: k, dilation: d, .. } = self;
        Some(format!("{d}·({k} − 1) + 1 = {}", self.reach()?))
    }

    /// The output's length of a pooling window (no padding, no dilation) with its arithmetic:
    /// `OH = (4 − 2)/2 + 1 = 2`, with `⌊ ⌋` where the floor matters.
    pub fn explain_window(self, label: &str) -> Option<String> {
        let Self { input: n, kernel: k, stride: s, .. } = self;
        self.line(label, &format!("({n} − {k})/{s}"))
    }

    fn line(self, label: &str, quotient: &str) -> Option<String> {
        let out = self.output()?;
        let span = self.span()?;
        let s = self.stride;
        Some(if span.is_multiple_of(s as u128) {
            format!("{label} = {quotient} + 1 = {out}")
        } else {
            format!("{label} = ⌊{quotient}⌋ + 1 = ⌊{span}/{s}⌋ + 1 = {out}")
        })
    }
}

/// `⌊(input + 2·padding − kernel)/stride⌋ + 1` without dilation, as PyTorch computes it, or
/// `None` when the kernel does not fit in the padded input, the stride or the kernel is 0,
/// or the padded length `input + 2·padding` does not fit in `usize`.
///
/// ```
/// assert_eq!(cnn_bp_shape::output_len(3, 2, 1, 0), Some(2));
/// assert_eq!(cnn_bp_shape::output_len(4, 2, 3, 0), Some(1)); // the floor leaves row 3 unused
/// assert_eq!(cnn_bp_shape::output_len(2, 3, 1, 0), None);
/// assert_eq!(cnn_bp_shape::output_len(3, 2, 0, 0), None); // stride 0
/// assert_eq!(cnn_bp_shape::output_len(3, 2, 2, usize::MAX / 2), None); // 3 + 2·padding overflows
/// ```
pub const fn output_len(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Option<usize> {
    let axis = Axis { input, kernel, stride, padding, dilation: 1 };
    if axis.padded() > usize::MAX as u128 { None } else { axis.output() }
}

#[cfg(test)]
mod tests {
    use super::Axis;

    #[test]
    fn outputs_as_pytorch_computes_them() {
        let axis = |input, kernel, stride, padding, dilation| {
            Axis { input, kernel, stride, padding, dilation }.output()
        };
        assert_eq!(axis(3, 2, 1, 0, 1), Some(2));
        assert_eq!(axis(5, 3, 2, 1, 1), Some(3));
        assert_eq!(axis(6, 2, 1, 0, 2), Some(4));
        assert_eq!(axis(7, 3, 1, 0, 2), Some(3));
        assert_eq!(axis(2, 3, 1, 0, 1), None);
        assert_eq!(axis(3, 2, 1, 0, 3), None); // reach 4 > 3
        assert_eq!(axis(3, 2, 0, 0, 1), None);
        assert_eq!(axis(3, 0, 1, 0, 1), None);
        assert_eq!(axis(3, 2, 1, 0, 0), None);
        assert_eq!(axis(usize::MAX, 1, 1, 1, 1), None); // does not fit in usize
        assert_eq!(axis(usize::MAX, 3, 1, 1, 1), Some(usize::MAX));
        assert_eq!(axis(usize::MAX, usize::MAX, 1, 0, usize::MAX), None);
    }

    #[test]
    fn the_arithmetic_written_out() {
        let rows = Axis { input: 6, kernel: 2, stride: 1, padding: 0, dilation: 2 };
        assert_eq!(rows.explain("OH").unwrap(), "OH = (6 + 2·0 − 2·(2 − 1) − 1)/1 + 1 = 4");
        assert_eq!(rows.explain_reach().unwrap(), "2·(2 − 1) + 1 = 3");
        let cols = Axis { input: 4, kernel: 2, stride: 3, padding: 1, dilation: 1 };
        assert_eq!(
            cols.explain("OW").unwrap(),
            "OW = ⌊(4 + 2·1 − 1·(2 − 1) − 1)/3⌋ + 1 = ⌊4/3⌋ + 1 = 2"
        );
        assert_eq!(
            cols.explain_undilated("OW").unwrap(),
            "OW = ⌊(4 + 2·1 − 2)/3⌋ + 1 = ⌊4/3⌋ + 1 = 2"
        );
        assert_eq!(Axis::new(2, 3).explain("OH"), None);
    }
}
