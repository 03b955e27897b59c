//! The live tmux client: session model, attach handshake, frames, drive modes.
//!
//! [`Client`] is sans-I/O: bytes from tmux go in through [`Client::receive`], bytes for tmux
//! come out of [`Client::outgoing`], time is passed in as `now`, and everything the host needs
//! to know leaves through the [`Host`] trait (frames, events, pane bytes). The drive modes
//! (built-in loop, host loop, host-fed bytes) wrap this core.
//!
//! # Signals and child processes
//!
//! The library installs no signal handler and changes no signal disposition. Its own writes
//! to a tmux (or ssh) child cannot raise `SIGPIPE`, even in a host that leaves `SIGPIPE` at
//! its default: the child's input is a socket written with `MSG_NOSIGNAL` (see
//! [`transport`]). Bytes a host writes itself (host-fed mode, or a custom
//! [`drive::Transport`]) are the host's: it must ignore `SIGPIPE` or write with
//! `MSG_NOSIGNAL`. Children are always reaped, never by blocking a host call: one that
//! lingers after its connection closed is killed after [`drive::REAP_GRACE`] and reaped by
//! a short-lived background thread.
#![deny(missing_docs)]

#[cfg(unix)]
pub mod backend;
mod bytes_mode;
mod client;
mod core;
pub mod drive;
mod error;
mod frame;
mod handshake;
pub mod hostfed;
#[cfg(unix)]
pub mod mio_loop;
pub mod model;
mod ops;
mod pane_emu;
mod pool;
mod reaper;
pub mod record;
#[cfg(unix)]
pub mod router;
pub mod state_json;
pub mod transport;

pub use client::{
    Client, ClientConfig, ClientEvent, CommandId, ExitReason, Host, NoopHost, OutputMode,
    ReplyCallback, ReplyOutcome,
};
pub use error::ClientError;
pub use frame::{Frame, FrameCursor};
pub use model::{Model, Pane, Session, Window};
pub use muxlink_proto::{PaneId, SessionId, WindowId};
pub use muxlink_term::{Cell, Modes, Terminal};
pub use ops::SplitDirection;
