//! Errors: what an operation returns when it cannot be queued, and what a client reports
//! about input it could not take.

use muxlink_proto::command::CommandError;
use muxlink_proto::layout::LayoutError;
use muxlink_proto::ProtoError;
use thiserror::Error;

/// Why an operation could not be queued. New kinds may be added.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The client is closed (tmux exited, the pipe broke, or it detached).
    #[error("the client is closed")]
    Closed,
    /// The client attached read-only and does not type or change anything.
    #[error("the client is read-only")]
    ReadOnly,
    /// The pane is not known to the session model.
    #[error("unknown pane %{0}")]
    UnknownPane(u32),
    /// The window is not known to the session model.
    #[error("unknown window @{0}")]
    UnknownWindow(u32),
    /// The session is not known to the session model.
    #[error("unknown session ${0}")]
    UnknownSession(u32),
    /// A raw command was empty or held a newline (one command per line only).
    #[error("invalid raw command: {0}")]
    InvalidCommand(&'static str),
    /// The connected tmux is too old for this operation.
    #[error("tmux {have} is too old for this (needs {need})")]
    Unsupported {
        /// The version tmux reported.
        have: String,
        /// The version the operation needs.
        need: &'static str,
    },
    /// The command could not be encoded (a NUL byte, a line break in a window name, ...).
    #[error("cannot encode command: {0}")]
    Encode(#[from] CommandError),
    /// A size of zero or beyond tmux's limits.
    #[error("invalid size {0}x{1}")]
    InvalidSize(u16, u16),
}

/// Input the client could not take; reported in [`crate::ClientEvent::ProtocolError`] with
/// the offending bytes, after which the client goes on. New kinds may be added.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A line of the control stream the protocol layer rejected (parsing resumed at the next
    /// line).
    #[error(transparent)]
    Stream(#[from] ProtoError),
    /// A layout (in `%layout-change` or a window listing) that could not be read; the
    /// window keeps its previous layout.
    #[error("bad layout: {0}")]
    Layout(#[from] LayoutError),
}
