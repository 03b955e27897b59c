//! The outer terminal's modes while `muxlink attach` runs, and putting them back.
//!
//! Entering turns on raw mode, the alternate screen, mouse reporting and bracketed paste.
//! Everything is undone when the guard drops (normal exit, `?` error returns, unwinding),
//! from a panic hook, so that a panic message lands on a usable terminal, and from a
//! `SIGABRT` handler: an abort (a failed allocation, `std::process::abort`, a stack overflow,
//! or `kill -ABRT`) runs no destructor and no panic hook, and would otherwise leave the
//! person's terminal in the alternate screen with the mouse on and the cursor hidden.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, OnceLock};

use anyhow::Context;

/// Whether the modes are on (what the panic hook, the abort handler and the guard undo).
static ENTERED: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();
/// The terminal's settings before raw mode, for the abort handler (which cannot take
/// crossterm's lock).
static SAVED: OnceLock<rustix::termios::Termios> = OnceLock::new();

/// Mouse reporting as `muxlink attach` reads it: press and release (1000), motion while a
/// button is held (1002), SGR encoding (1006) so that any column can be reported. Motion
/// without a button (1003) stays off: nothing here uses it and it would flood the input.
/// Then bracketed paste (2004): the terminal marks pasted text, so that it can be sent to
/// the pane as one paste rather than as typed keys.
const ENTER: &[u8] = b"\x1b[?1049h\x1b[H\x1b[2J\x1b[?1000h\x1b[?1002h\x1b[?1006h\x1b[?2004h";
/// Undoes [`ENTER`]: mouse, bracketed paste, attributes, a hidden cursor, the alternate
/// screen. Written in one `write` (the abort handler can do no more).
const RESTORE: &[u8] = b"\x1b[?1006l\x1b[?1002l\x1b[?1000l\x1b[?2004l\x1b[0m\x1b[?25h\x1b[?1049l";

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
            if let Ok(t) = rustix::termios::tcgetattr(rustix::stdio::stdin()) {
                let _ = SAVED.set(t);
            }
            // SAFETY: the action only calls async-signal-safe functions: an atomic swap,
            // `write(2)` and `tcsetattr` (an ioctl) through rustix on descriptors 0 and 1,
            // a read of a `OnceLock` already set (an atomic load), and signal-hook's
            // `emulate_default_handler`, documented as async-signal-safe. It allocates
            // nothing and takes no lock.
            let _ = unsafe {
                signal_hook::low_level::register(signal_hook::consts::SIGABRT, || {
                    if ENTERED.swap(false, Ordering::SeqCst) {
                        let _ = rustix::io::write(rustix::stdio::stdout(), RESTORE);
                        if let Some(t) = SAVED.get() {
                            let _ = rustix::termios::tcsetattr(
                                rustix::stdio::stdin(),
                                rustix::termios::OptionalActions::Now,
                                t,
                            );
                        }
                    }
                    // An abort must still end the process, also when the signal came from
                    // `kill` (abort(3) would re-raise it itself).
                    let _ = signal_hook::low_level::emulate_default_handler(
                        signal_hook::consts::SIGABRT,
                    );
                })
            };
        });
        crossterm::terminal::enable_raw_mode().context("entering raw mode")?;
        ENTERED.store(true, Ordering::SeqCst);
        // From here on a failure restores what was already turned on.
        let guard = TerminalGuard;
        let mut out = io::stdout();
        out.write_all(ENTER)
            .and_then(|_| out.flush())
            .context("setting up the terminal")?;
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
pub(super) fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = out.write_all(RESTORE);
    let _ = out.flush();
    let _ = crossterm::terminal::disable_raw_mode();
}
