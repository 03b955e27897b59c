//! The client against a real tmux on private sockets, driven by a small blocking harness
//! (`support`): attach and sync, flow control, alternate screens, bytes mode and observers,
//! window indexes, and push against pull on a live session's stream.

mod alternate;
mod bytes_alternate;
mod during_output;
mod flow;
mod forged;
mod modes;
mod pause_reply;
mod push_pull;
#[path = "../common/push_pull.rs"]
mod push_pull_common;
mod releases;
mod support;
mod sync;
mod window_index;
