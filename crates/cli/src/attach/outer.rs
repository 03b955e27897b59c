//! The outer terminal's modes while `muxlink attach` runs, and putting them back.
//!
//! Entering turns on raw mode, the alternate screen, mouse reporting and bracketed paste.
//! Everything is undone when the guard drops (normal exit, `?` error returns, unwinding),
//! and also from a panic hook, so that a panic message lands on a usable terminal.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use anyhow::Context;
use crossterm::style::{Attribute, SetAttribute};
use crossterm::{cursor, queue, terminal};

/// Whether the modes are on (what the panic hook and the guard have to undo).
static ENTERED: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// A fixed escape sequence as a crossterm command (crossterm's own mouse and paste commands
/// need its `events` feature, and its mouse capture also turns on 1003 and 1015).
struct Seq(&'static str);

impl crossterm::Command for Seq {
    fn write_ansi(&self, f: &mut impl fmt::Write) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Mouse reporting as `muxlink attach` reads it: press and release (1000), motion while a
/// button is held (1002), SGR encoding (1006) so that any column can be reported. Motion
/// without a button (1003) stays off: nothing here uses it and it would flood the input.
const ENABLE_MOUSE: Seq = Seq("\x1b[?1000h\x1b[?1002h\x1b[?1006h");
/// Undoes [`ENABLE_MOUSE`].
const DISABLE_MOUSE: Seq = Seq("\x1b[?1006l\x1b[?1002l\x1b[?1000l");
/// Bracketed paste (2004): the terminal marks pasted text, so that it can be sent to the
/// pane as one paste rather than as typed keys.
const ENABLE_BRACKETED_PASTE: Seq = Seq("\x1b[?2004h");
/// Undoes [`ENABLE_BRACKETED_PASTE`].
const DISABLE_BRACKETED_PASTE: Seq = Seq("\x1b[?2004l");

/// The outer terminal in `muxlink attach`'s modes; dropping it restores the terminal.
pub(super) struct TerminalGuard;

impl TerminalGuard {
    pub(super) fn enter() -> anyhow::Result<Self> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        terminal::enable_raw_mode().context("entering raw mode")?;
        ENTERED.store(true, Ordering::SeqCst);
        // From here on a failure restores what was already turned on.
        let guard = TerminalGuard;
        let mut out = io::stdout();
        queue!(
            out,
            terminal::EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            ENABLE_MOUSE,
            ENABLE_BRACKETED_PASTE
        )
        .context("setting up the terminal")?;
        out.flush().context("setting up the terminal")?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Turns every mode `enter` set back off: mouse reporting, bracketed paste, attributes,
/// the cursor, the alternate screen, raw mode. Does nothing when they are not on.
fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = queue!(
        out,
        DISABLE_MOUSE,
        DISABLE_BRACKETED_PASTE,
        SetAttribute(Attribute::Reset),
        cursor::Show,
        terminal::LeaveAlternateScreen
    );
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}
