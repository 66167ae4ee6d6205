//! Turning a recorded [`Trace`](crate::Trace) into text.
//!
//! The trace is first laid out as a document (`doc`): the same headings, prose, equations and
//! matrices for every output format. The renderers only format that document: every number
//! they print is a value stored in the trace, and every matrix is assembled from the
//! equations that computed its entries.

mod doc;
mod exact;
mod math;
mod pages;
mod text;
mod verify;

pub use doc::Form;
pub use verify::{Mismatch, Verified, VerifyError};

use crate::scalar::Scalar;
use crate::trace::Trace;

/// The plain-text derivation.
pub(crate) fn text<S: Scalar>(trace: &Trace<S>, form: Form) -> String {
    text::text(&doc::document(trace, form))
}

/// The derivation for MathJax, KaTeX or a LaTeX document.
pub(crate) fn latex<S: Scalar>(trace: &Trace<S>, form: Form) -> String {
    pages::page(&doc::document(trace, form), pages::Dialect::Latex)
}

/// The derivation as GitHub-flavoured Markdown with math.
pub(crate) fn markdown<S: Scalar>(trace: &Trace<S>, form: Form) -> String {
    pages::page(&doc::document(trace, form), pages::Dialect::Markdown)
}

/// Every printed equation, re-evaluated from its printed operands.
pub(crate) fn verify<S: Scalar>(trace: &Trace<S>) -> Result<Verified, VerifyError> {
    verify::verify(trace)
}
