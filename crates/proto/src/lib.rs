//! Sans-I/O tmux control-mode protocol.
//!
//! Bytes go in ([`Parser::feed`]), typed [`Event`]s come out through a sink closure. No I/O,
//! no clock, no unsafe. Layout strings are in [`layout`], outgoing commands in [`command`],
//! reply bookkeeping in [`ReplyMatcher`], framing that pane text cannot forge in [`fence`]
//! (whose [`fence::OsNonces`] is the one thing here that asks the operating system for
//! anything: random bits, when the caller uses it).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command;
mod error;
mod event;
pub mod fence;
pub mod ids;
pub mod layout;
mod matcher;
mod notification;
mod parser;
mod unescape;

pub use error::ProtoError;
pub use event::{Event, Reply};
pub use ids::{PaneId, SessionId, WindowId};
pub use matcher::{ReplyMatch, ReplyMatcher};
pub use parser::{EnterPolicy, Parser, ParserConfig};
pub use unescape::{escape_output, unescape_output};
