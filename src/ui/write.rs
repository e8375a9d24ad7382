//! Writes from the dashboard: the confirmation dialog's state. The operation
//! is an [`ops::Op`](crate::ops::Op), run by the one runner in a task of its
//! own, never in the UI loop.

/// The dashboard builds the same [`Op`](crate::ops::Op) the CLI does.
pub use crate::ops::Op as WriteOp;

/// A confirmation in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub op: WriteOp,
    /// What must be typed: the profile name on production, else "y".
    pub expect: String,
    pub typed: String,
}
