//! The outer terminal's modes while `muxlink attach` runs.

use std::io::{self, Write};

use anyhow::Context;
use crossterm::style::{Attribute, SetAttribute};
use crossterm::{cursor, queue, terminal};

/// Raw mode and the alternate screen, undone on drop (also when unwinding).
pub(super) struct TerminalGuard;

impl TerminalGuard {
    pub(super) fn enter() -> anyhow::Result<Self> {
        terminal::enable_raw_mode().context("entering raw mode")?;
        let mut out = io::stdout();
        queue!(
            out,
            terminal::EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All)
        )?;
        out.flush()?;
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let mut out = io::stdout();
        let _ = queue!(
            out,
            SetAttribute(Attribute::Reset),
            cursor::Show,
            terminal::LeaveAlternateScreen
        );
        let _ = out.flush();
        let _ = terminal::disable_raw_mode();
    }
}
