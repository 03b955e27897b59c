//! Identifiers: tmux's own (`%N`, `@N`, `$N`, from the protocol crate) and the number the
//! client gives each command it sends.

pub use muxlink_proto::{PaneId, SessionId, WindowId};

/// A number the client gives each command it queues, in send order. A command line holding
/// several `;`-separated commands (a pane sync) takes one number per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandId(pub u64);

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}
