//! Pane emulator: one VT emulator per tmux pane, grid identical to tmux's.
#![deny(missing_docs)]
