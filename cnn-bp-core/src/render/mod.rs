//! Turning a recorded [`Trace`](crate::Trace) into text.
//!
//! Renderers only format: every number they print is a value stored in the trace, and every
//! matrix is assembled from the equations that computed its entries.

mod exact;
mod text;

pub(crate) use text::text;
