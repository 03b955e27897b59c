//! The live tmux client: session model, attach handshake, frames, drive modes.
//!
//! [`Client`] is sans-I/O: bytes from tmux go in through [`Client::receive`], bytes for tmux
//! come out of [`Client::outgoing`], time is passed in as `now`. What the host needs to know
//! is pushed through the [`Host`] trait ([`ClientEvent`]s and [`Frame`]s), or pulled: an
//! [`EventQueue`] keeps the events for [`EventQueue::poll_event`], and with
//! [`FrameDelivery::Pull`] the host takes a pane's render state with [`Client::pull_frame`]
//! at its own frame rate. The drive modes wrap the client: the built-in loop
//! ([`mio_loop::BuiltinLoop`], the [`router::Router`] over mio), the host's own loop (the
//! router over the host's [`backend::Backend`]) and host-fed bytes ([`hostfed::HostFed`]).
//!
//! The vocabulary (ids, configuration, events, exit reasons, errors, frames) lives in leaf
//! modules that import nothing else of this crate but each other, so the modules that do the
//! work depend on it and never on each other in a cycle.
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
//!
//! # Features
//!
//! `testing`: helpers for tests and benchmarks (the `testing` module: an in-memory transport, a
//! backend that watches nothing). Not for hosts.
#![deny(missing_docs)]

// Vocabulary (leaf modules).
mod config;
mod error;
mod events;
mod exit;
mod frame;
mod ids;

// The client.
mod budget;
mod client;
mod core;
mod model;
mod ops;
mod outbox;
mod pane_emu;
mod pull;
mod queries;
mod rebuild;
mod rebuild_restored;
mod sync;

// Drive modes and transports.
#[cfg(unix)]
pub mod backend;
pub mod drive;
pub mod hostfed;
#[cfg(unix)]
pub mod mio_loop;
mod reaper;
pub mod record;
#[cfg(unix)]
pub mod router;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transport;

pub use client::Client;
pub use config::{ClientConfig, FrameDelivery, OutputMode};
pub use error::{ClientError, ProtocolError};
pub use events::{
    ClientEvent, Host, ModelLimit, NoopHost, NoticeKind, RefusalReason, ReplyCallback, ReplyOutcome,
};
pub use exit::{ExitReason, IoOp};
pub use frame::{Frame, FrameCursor};
pub use ids::{CommandId, PaneId, SessionId, WindowId};
pub use model::{Model, Pane, Session, Window};
pub use muxlink_term::release::{ServerOptions, TmuxRelease};
pub use muxlink_term::{Cell, Modes, Terminal};
pub use ops::SplitDirection;
pub use pull::EventQueue;

/// `Client` and `Connection` are `Send` (a compile-time check; the test suite asserts it
/// too).
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Client>();
    assert_send::<drive::Connection>();
    assert_send::<hostfed::HostFed>();
    assert_send::<EventQueue>();
};
