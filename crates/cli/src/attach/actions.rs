//! What terminal input does to the client: typing, pasting, the mouse, prefix commands.
//!
//! Every command goes through the runtime's typed operations (`send_input`, `paste`,
//! `select_pane`, `select_window`, ...), whose targets are numeric ids.

use muxlink_runtime::{Client, Pane, PaneId, SplitDirection};
use muxlink_term::Modes;

use super::input::{Command2, KeyAction};
use super::mouse::{Button, MouseEvent, MouseKind};
use super::ui::Ui;

/// Lines one wheel step scrolls (tmux's copy mode scrolls 5; terminals commonly 3).
const WHEEL_LINES: isize = 3;

/// The pane of the active window drawn at outer cell (`x`, `y`) (see `Model::pane_at`).
fn pane_at(c: &Client, x: u16, y: u16) -> Option<PaneId> {
    let m = c.state();
    m.pane_at(m.active_window()?, x, y)
}

pub(super) fn apply(c: &mut Client, ui: &mut Ui, action: KeyAction) {
    match action {
        KeyAction::Input(bytes) => {
            if let Some(p) = c.state().active_pane() {
                ui.reset_scroll(p);
                let _ = c.send_input(p, &bytes);
            }
        }
        KeyAction::Paste(text) => {
            // `paste` brackets the text when the pane's program asked for it (mode 2004).
            if let Some(p) = c.state().active_pane() {
                ui.reset_scroll(p);
                let _ = c.paste(p, &text);
            }
        }
        KeyAction::Mouse(m) => mouse(c, ui, m),
        KeyAction::Command(cmd) => command(c, ui, cmd),
    }
}

fn command(c: &mut Client, ui: &mut Ui, cmd: Command2) {
    let pane = c.state().active_pane();
    let _ = match cmd {
        Command2::Detach => c.detach().map(|_| ()),
        Command2::NewWindow => c.new_window(None).map(|_| ()),
        Command2::NextWindow | Command2::PrevWindow => {
            // tmux's order: by window index.
            let ws = ui.window_order(c);
            let cur = c
                .state()
                .active_window()
                .and_then(|w| ws.iter().position(|x| *x == w));
            if let (Some(i), false) = (cur, ws.is_empty()) {
                let n = ws.len();
                let j = if cmd == Command2::NextWindow {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                c.select_window(ws[j]).map(|_| ())
            } else {
                Ok(())
            }
        }
        Command2::SplitRight => match pane {
            Some(p) => c.split(p, SplitDirection::Right).map(|_| ()),
            None => Ok(()),
        },
        Command2::SplitDown => match pane {
            Some(p) => c.split(p, SplitDirection::Down).map(|_| ()),
            None => Ok(()),
        },
        Command2::NextPane => {
            let next = c.state().active_window().and_then(|w| {
                let win = c.state().window(w)?;
                let i = win.panes.iter().position(|x| Some(*x) == pane)?;
                win.panes.get((i + 1) % win.panes.len()).copied()
            });
            match next {
                Some(p) => c.select_pane(p).map(|_| ()),
                None => Ok(()),
            }
        }
        Command2::KillPane => match pane {
            Some(p) => c.kill_pane(p).map(|_| ()),
            None => Ok(()),
        },
        Command2::Zoom => match pane {
            Some(p) => c.zoom(p).map(|_| ()),
            None => Ok(()),
        },
    };
}

/// A mouse report from the outer terminal.
///
/// - Status line: a left click selects the window under the pointer.
/// - A left click in a pane selects it.
/// - A pane whose program turned mouse reporting on gets the event itself, re-encoded at
///   the pane's own coordinates; presses, drags and the release go to the pane the press
///   was in.
/// - Otherwise the wheel scrolls: on the normal screen through the pane's scrollback, kept
///   by muxlink's own emulator (tmux's copy mode would not help: a control client is sent
///   the pane's output, never what copy mode draws); on the alternate screen it sends
///   cursor up/down keys, as terminals do for full-screen programs (`less`, `man`).
fn mouse(c: &mut Client, ui: &mut Ui, m: MouseEvent) {
    if m.y == ui.status_row() && ui.grab.is_none() {
        if (m.kind, m.button) == (MouseKind::Press, Button::Left) {
            if let Some(w) = ui.window_at_status(m.x) {
                if Some(w) != c.state().active_window() {
                    let _ = c.select_window(w);
                }
            }
        }
        return;
    }
    let target = match m.kind {
        MouseKind::Press => pane_at(c, m.x, m.y),
        MouseKind::Drag | MouseKind::Release => ui.grab.or_else(|| pane_at(c, m.x, m.y)),
    };
    let Some(pane) = target else { return };
    let is_wheel = matches!(m.button, Button::WheelUp | Button::WheelDown);
    match m.kind {
        MouseKind::Press if !is_wheel => {
            ui.grab = Some(pane);
            if m.button == Button::Left && c.state().active_pane() != Some(pane) {
                let _ = c.select_pane(pane);
            }
        }
        MouseKind::Release => ui.grab = None,
        _ => {}
    }
    let Some(p) = c.state().pane(pane) else {
        return;
    };
    let modes = p.terminal().map(|t| t.modes()).unwrap_or(Modes::empty());
    // Coordinates inside the pane; a drag past its edge is held at the edge.
    let x = m.x.saturating_sub(p.x).min(p.cols.saturating_sub(1));
    let y = m.y.saturating_sub(p.y).min(p.rows.saturating_sub(1));
    if let Some(report) = m.encode_for_pane(modes, x, y) {
        ui.reset_scroll(pane);
        let _ = c.send_input(pane, &report);
        return;
    }
    if !is_wheel || m.kind != MouseKind::Press || modes.intersects(Modes::MOUSE_ANY_REPORTING) {
        return;
    }
    let up = m.button == Button::WheelUp;
    if p.alternate().unwrap_or(false) {
        let key = arrow_key(modes, up);
        let keys = key.repeat(WHEEL_LINES.unsigned_abs());
        let _ = c.send_input(pane, &keys);
    } else {
        let lines = if up { WHEEL_LINES } else { -WHEEL_LINES };
        ui.scroll_by(pane, lines, history(p));
    }
}

fn history(p: &Pane) -> usize {
    p.history_len().unwrap_or(0)
}

/// Cursor up or down as the pane expects it (application cursor keys or not).
fn arrow_key(modes: Modes, up: bool) -> &'static [u8] {
    match (modes.contains(Modes::APP_CURSOR), up) {
        (true, true) => b"\x1bOA",
        (true, false) => b"\x1bOB",
        (false, true) => b"\x1b[A",
        (false, false) => b"\x1b[B",
    }
}
