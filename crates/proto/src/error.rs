//! Why a line of a control-mode stream could not be taken.
//!
//! A [`ProtoError`] never stops the parser: it travels inside [`crate::Event::Error`] together
//! with the offending line, and parsing resumes at the next line.

use crate::layout::LayoutError;

/// What was wrong with one line (or block) of a control-mode stream.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtoError {
    /// A line was longer than [`crate::ParserConfig::max_line_len`]; its bytes were dropped up
    /// to the next newline.
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// A reply body grew beyond [`crate::ParserConfig::max_block_len`]; the remaining body
    /// lines up to the terminator were dropped, and the `Reply` holds only what fit.
    #[error("reply block {number} longer than {limit} bytes")]
    BlockTooLong {
        /// The block's command number.
        number: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The input ended (or control mode was left) inside a `%begin` block.
    #[error("reply block {number} not terminated")]
    UnterminatedBlock {
        /// The block's command number.
        number: u64,
    },
    /// The input ended in the middle of a line (no newline after the last bytes).
    #[error("input ended inside a line")]
    PartialLine,
    /// A known notification with missing or malformed arguments.
    #[error("malformed %{name}: {what}")]
    BadNotification {
        /// The notification name without `%`.
        name: &'static str,
        /// What was wrong.
        what: &'static str,
    },
    /// `%end` or `%error` outside a reply block.
    #[error("block terminator outside a block")]
    UnexpectedTerminator,
    /// A line outside a reply block that does not start with `%name`.
    #[error("line is not a notification")]
    NotANotification,
    /// The layout of a `%layout-change` was rejected (bad checksum, syntax or size).
    #[error("bad layout: {0}")]
    Layout(#[from] LayoutError),
    /// A fence of a later line arrived before the closing fence of earlier fenced lines,
    /// which tmux (answering lines in order) will then never send; those lines were
    /// forgotten. Not seen from a tmux that runs every line it is sent.
    #[error("{lines} fenced command line(s) ended without their closing fence")]
    UnclosedFence {
        /// How many registered lines were forgotten.
        lines: usize,
    },
    /// A fence nonce (the `line` of the error) arrived without the `%begin` line of its own
    /// block right before it. The fence still counts. Not seen from tmux.
    #[error("fence outside its reply block")]
    MisplacedFence,
    /// Lines tmux wrote after a fenced reply block and before the fence that closed it were
    /// dropped, because the held lines had reached `max_block_len`.
    #[error("{lines} line(s) after fenced reply block {number} dropped at the block limit")]
    FencedTailDropped {
        /// The fenced block's command number.
        number: u64,
        /// How many lines were dropped.
        lines: u64,
    },
}
