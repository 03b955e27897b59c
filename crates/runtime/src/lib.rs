//! The live tmux client: session model, attach handshake, frames, drive modes.
#![deny(missing_docs)]
