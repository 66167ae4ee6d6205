//! Turning a recorded [`Trace`](crate::Trace) into text.
//!
//! The trace is first laid out as a document (`doc`): the same headings, prose, equations and
//! matrices for every output format. The renderers only format that document: every number
//! they print is a value stored in the trace, and every matrix is assembled from the
//! equations that computed its entries.

mod doc;
mod exact;
mod text;

pub use doc::Form;

use crate::scalar::Scalar;
use crate::trace::Trace;

/// The plain-text derivation.
pub(crate) fn text<S: Scalar>(trace: &Trace<S>, form: Form) -> String {
    text::text(&doc::document(trace, form))
}
