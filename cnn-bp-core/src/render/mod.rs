//! Turning a recorded [`Trace`](crate::Trace) into text.
//!
//! The trace is first laid out as a document (`doc`): the same headings, prose, equations and
//! matrices for every output format. The renderers only format that document: every number
//! they print is a value stored in the trace, and every matrix is assembled from the
//! equations that computed its entries.

pub(crate) mod doc;
mod exact;
mod fractions;
mod html;
mod math;
mod pages;
mod text;
mod verify;

pub use doc::Form;
pub(crate) use doc::network::NetView;
pub use doc::network::{LayerDoc, NetDoc};
pub(crate) use exact::Decimal;
pub(crate) use verify::Range;
pub use verify::{Mismatch, Verified, VerifyError};

use crate::scalar::Scalar;
use crate::trace::{Section, Trace};

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

/// The derivation as a self-contained HTML page.
pub(crate) fn html<S: Scalar>(trace: &Trace<S>, form: Form, figure: &html::Figure) -> String {
    html::page(&doc::document(trace, form), figure)
}

pub(crate) use html::Figure;

/// Every printed equation, re-evaluated from its printed operands.
pub(crate) fn verify<S: Scalar>(trace: &Trace<S>) -> Result<Verified, VerifyError> {
    verify::verify(trace)
}

/// A network's plain-text derivation.
pub(crate) fn net_text<S: Scalar>(view: &NetView<S>, form: Form) -> String {
    text::text(&doc::network::document(view, form))
}

/// A network's derivation in LaTeX.
pub(crate) fn net_latex<S: Scalar>(view: &NetView<S>, form: Form) -> String {
    pages::page(&doc::network::document(view, form), pages::Dialect::Latex)
}

/// A network's derivation in Markdown.
pub(crate) fn net_markdown<S: Scalar>(view: &NetView<S>, form: Form) -> String {
    pages::page(&doc::network::document(view, form), pages::Dialect::Markdown)
}

/// A network's derivation as a self-contained HTML page, its layers read from the document's
/// chain of shapes.
pub(crate) fn net_html<S: Scalar>(view: &NetView<S>, form: Form, losses: Vec<f64>) -> String {
    let blocks = doc::network::document(view, form);
    let figure = html::Figure { layers: html::chain(&blocks), losses };
    html::page(&blocks, &figure)
}

/// Every equation of the sections, each with its place, re-evaluated.
pub(crate) fn verify_sections<'a, S: Scalar + 'a>(
    places: impl IntoIterator<Item = (String, &'a Section<S>)>,
) -> Result<Verified, VerifyError> {
    verify::verify_sections(places)
}
