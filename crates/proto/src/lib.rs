//! Sans-I/O tmux control-mode protocol.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
