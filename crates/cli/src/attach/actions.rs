//! What terminal input does to the client: typing, pasting, the mouse, prefix commands,
//! copy mode.
//!
//! Every command goes through the runtime's typed operations (`send_input`, `paste`,
//! `select_pane`, `select_window`, ...), whose targets are numeric ids. The one exception is
//! storing a copied selection in a tmux paste buffer (see `clipboard`), whose text is pane
//! text quoted by the protocol crate's encoder.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use muxlink_runtime::{Client, Pane, PaneId, SplitDirection};
use muxlink_term::Modes;

use super::clipboard::{osc52, set_buffer_command, truncate_utf8, COPY_MAX};
use super::copy_mode::{CopyMode, ModeKeys, Outcome, View};
use super::input::{Command2, KeyAction};
use super::keys;
use super::messages::visible;
use super::mouse::{Button, MouseEvent, MouseKind};
use super::selection::{total_lines, Point, Selection, Spot, Unit};
use super::ui::{MouseSelection, Ui};

/// Lines one wheel step scrolls (tmux's copy mode scrolls 5; terminals commonly 3).
const WHEEL_LINES: isize = 3;
/// Presses this close together on one cell count as a double (triple) click.
const MULTI_CLICK: Duration = Duration::from_millis(400);
/// How long a note (a failed copy) stays on the status line.
const NOTE_TIME: Duration = Duration::from_secs(3);
/// The Shift bit of a mouse report: tmux's convention for "the mouse is mine, not the
/// program's" (most terminals keep Shift-drag for their own selection and never send it).
const SHIFT: u8 = 4;

/// The pane of the active window drawn at outer cell (`x`, `y`) (see `Model::pane_at`).
fn pane_at(c: &Client, x: u16, y: u16) -> Option<PaneId> {
    let m = c.state();
    m.pane_at(m.active_window()?, x, y)
}

/// What the caller must do after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    /// The person asked to detach.
    Detach,
}

/// Input state kept between actions (click counting).
#[derive(Debug, Default)]
pub(super) struct Clicks {
    last: Option<(Instant, u16, u16, u8)>,
}

impl Clicks {
    /// Counts a left press at (`x`, `y`): 1, 2 (double) or 3 (triple), then 1 again.
    fn press(&mut self, x: u16, y: u16, now: Instant) -> u8 {
        let n = match self.last {
            Some((t, lx, ly, n)) if (lx, ly) == (x, y) && now.duration_since(t) < MULTI_CLICK => {
                n % 3 + 1
            }
            _ => 1,
        };
        self.last = Some((now, x, y, n));
        n
    }
}

/// Messages from replies that arrive later (a failed `set-buffer`), for the status line.
pub(super) type LateNotes = Arc<Mutex<Vec<String>>>;

/// Everything an action may touch.
pub(super) struct Ctx<'a> {
    pub(super) ui: &'a mut Ui,
    pub(super) clicks: &'a mut Clicks,
    pub(super) notes: &'a LateNotes,
    pub(super) now: Instant,
}

pub(super) fn apply(c: &mut Client, cx: &mut Ctx<'_>, action: KeyAction) -> Option<Request> {
    let ui = &mut *cx.ui;
    match action {
        KeyAction::Input(bytes) => {
            let p = c.state().active_pane()?;
            if ui.copy.as_ref().is_some_and(|m| m.pane == p) {
                copy_mode_keys(c, cx, p, &bytes);
                return None;
            }
            ui.note = None;
            if ui.selection.take().is_some() {
                ui.dirty_all = true;
            }
            ui.reset_scroll(p);
            ui.typed_into(p, cx.now);
            let _ = c.send_input(p, &bytes);
        }
        KeyAction::Paste(text) => {
            // `paste` brackets the text when the pane's program asked for it (mode 2004).
            if let Some(p) = c.state().active_pane() {
                if ui.copy.as_ref().is_some_and(|m| m.pane == p) {
                    ui.copy = None;
                }
                ui.reset_scroll(p);
                ui.typed_into(p, cx.now);
                ui.dirty_all = true;
                let _ = c.paste(p, &text);
            }
        }
        KeyAction::Mouse(m) => mouse(c, cx, m),
        KeyAction::Command(Command2::Detach) => return Some(Request::Detach),
        KeyAction::Command(Command2::CopyMode) => enter_copy_mode(c, ui),
        KeyAction::Command(cmd) => command(c, ui, cmd),
    }
    None
}

/// The prefix then `[`: copy mode in the active pane (again: no change).
fn enter_copy_mode(c: &Client, ui: &mut Ui) {
    let Some(p) = c.state().active_pane() else {
        return;
    };
    if ui.copy.as_ref().is_some_and(|m| m.pane == p) {
        return;
    }
    let Some(t) = c.state().pane(p).and_then(|p| p.terminal()) else {
        return;
    };
    let keys = ui.options().mode_keys;
    ui.selection = None;
    ui.copy = Some(CopyMode::enter(p, t, ui.scroll_offset(p), keys));
    ui.dirty_all = true;
}

/// Keys typed while the active pane is in copy mode.
fn copy_mode_keys(c: &mut Client, cx: &mut Ctx<'_>, pane: PaneId, bytes: &[u8]) {
    let seps = cx.ui.options().word_separators;
    for key in keys::decode(bytes) {
        let Some(t) = c.state().pane(pane).and_then(|p| p.terminal()) else {
            cx.ui.copy = None;
            return;
        };
        let mut offset = cx.ui.scroll_offset(pane);
        let Some(mode) = cx.ui.copy.as_mut() else {
            return;
        };
        let outcome = mode.key(
            key,
            t,
            View {
                offset: &mut offset,
            },
            &seps,
        );
        cx.ui.set_scroll(pane, offset);
        cx.ui.dirty_all = true;
        match outcome {
            Outcome::Stay => {}
            Outcome::Leave => {
                cx.ui.copy = None;
                cx.ui.reset_scroll(pane);
                return;
            }
            Outcome::CopyAndLeave(text) => {
                cx.ui.copy = None;
                cx.ui.reset_scroll(pane);
                copy_text(c, cx, text);
                return;
            }
        }
    }
}

/// Puts `text` on the outer terminal's clipboard (OSC 52) and in a new tmux paste buffer.
pub(super) fn copy_text(c: &mut Client, cx: &mut Ctx<'_>, mut text: String) {
    if truncate_utf8(&mut text, COPY_MAX) {
        cx.ui.show_note(
            format!("copied the first {COPY_MAX} bytes"),
            cx.now + NOTE_TIME,
        );
    }
    if text.is_empty() {
        return;
    }
    cx.ui.to_terminal.extend_from_slice(&osc52(text.as_bytes()));
    cx.ui.dirty_all = true;
    let Some(line) = set_buffer_command(text.as_bytes()) else {
        return;
    };
    let notes = cx.notes.clone();
    let _ = c.raw_command(
        &line,
        Box::new(move |reply| {
            if !reply.ok {
                let msg = format!("set-buffer: {}", visible(reply.body));
                notes.lock().unwrap_or_else(|e| e.into_inner()).push(msg);
            }
        }),
    );
}

fn command(c: &mut Client, ui: &mut Ui, cmd: Command2) {
    let pane = c.state().active_pane();
    let _ = match cmd {
        Command2::Detach | Command2::CopyMode => Ok(()),
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
///   was in. With Shift held, the event is muxlink's instead (tmux's convention).
/// - Otherwise the left button selects text in muxlink's copy of the pane (history
///   included): a drag from cell to cell, a double click a word, a triple click a line;
///   the selection is copied when the button is released. Dragging past the pane's top or
///   bottom edge scrolls it.
/// - And the wheel scrolls: on the normal screen through the pane's scrollback, kept by
///   muxlink's own emulator (tmux's copy mode would not help: a control client is sent the
///   pane's output, never what copy mode draws); on the alternate screen it sends cursor
///   up/down keys, as terminals do for full-screen programs (`less`, `man`).
fn mouse(c: &mut Client, cx: &mut Ctx<'_>, m: MouseEvent) {
    let dragging = cx.ui.selection.is_some_and(|s| s.dragging);
    if m.y == cx.ui.status_row() && cx.ui.grab.is_none() && !dragging {
        if (m.kind, m.button) == (MouseKind::Press, Button::Left) {
            if let Some(w) = cx.ui.window_at_status(m.x) {
                if Some(w) != c.state().active_window() {
                    let _ = c.select_window(w);
                }
            }
        }
        return;
    }
    let target = match m.kind {
        MouseKind::Press => pane_at(c, m.x, m.y),
        MouseKind::Drag | MouseKind::Release => cx.ui.grab.or_else(|| pane_at(c, m.x, m.y)),
    };
    let Some(pane) = target else { return };
    let is_wheel = matches!(m.button, Button::WheelUp | Button::WheelDown);
    match m.kind {
        MouseKind::Press if !is_wheel => {
            cx.ui.grab = Some(pane);
            if m.button == Button::Left && c.state().active_pane() != Some(pane) {
                let _ = c.select_pane(pane);
            }
        }
        MouseKind::Release => cx.ui.grab = None,
        _ => {}
    }
    let Some(p) = c.state().pane(pane) else {
        return;
    };
    let modes = p.terminal().map(|t| t.modes()).unwrap_or(Modes::empty());
    // Coordinates inside the pane; a drag past its edge is held at the edge.
    let x = m.x.saturating_sub(p.x).min(p.cols.saturating_sub(1));
    let y = m.y.saturating_sub(p.y).min(p.rows.saturating_sub(1));
    let mine = m.mods & SHIFT != 0 || dragging;
    if !mine {
        if let Some(report) = m.encode_for_pane(modes, x, y) {
            cx.ui.reset_scroll(pane);
            cx.ui.typed_into(pane, cx.now);
            let _ = c.send_input(pane, &report);
            return;
        }
    }
    if m.button == Button::Left || dragging {
        select_with_mouse(c, cx, pane, m);
        return;
    }
    if !is_wheel
        || m.kind != MouseKind::Press
        || (!mine && modes.intersects(Modes::MOUSE_ANY_REPORTING))
    {
        return;
    }
    let up = m.button == Button::WheelUp;
    if p.alternate().unwrap_or(false) {
        let key = arrow_key(modes, up);
        let keys = key.repeat(WHEEL_LINES.unsigned_abs());
        cx.ui.typed_into(pane, cx.now);
        let _ = c.send_input(pane, &keys);
    } else {
        let lines = if up { WHEEL_LINES } else { -WHEEL_LINES };
        cx.ui.scroll_by(pane, lines, history(p));
    }
}

/// The left button over `pane` where muxlink, not the program, has the mouse.
fn select_with_mouse(c: &mut Client, cx: &mut Ctx<'_>, pane: PaneId, m: MouseEvent) {
    let Some(p) = c.state().pane(pane) else {
        return;
    };
    let Some(t) = p.terminal() else { return };
    let history = t.history_len();
    let total = total_lines(t);
    // Past the top or bottom edge while dragging: scroll a line that way.
    let mut offset = cx.ui.scroll_offset(pane).min(history);
    if m.kind == MouseKind::Drag {
        if m.y < p.y {
            offset = (offset + 1).min(history);
        } else if m.y >= p.y.saturating_add(p.rows) {
            offset = offset.saturating_sub(1);
        }
        cx.ui.set_scroll(pane, offset);
    }
    let x = m.x.saturating_sub(p.x).min(p.cols.saturating_sub(1));
    let y = m.y.saturating_sub(p.y).min(p.rows.saturating_sub(1));
    let at = Spot::of(
        Point {
            line: (history - offset + usize::from(y)).min(total.saturating_sub(1)),
            col: x,
        },
        total,
    );
    let inclusive = cx.ui.options().mode_keys == ModeKeys::Vi;
    match m.kind {
        MouseKind::Press => {
            let unit = match cx.clicks.press(m.x, m.y, cx.now) {
                1 => Unit::Char,
                2 => Unit::Word,
                _ => Unit::Line,
            };
            if cx.ui.copy.as_ref().is_some_and(|c| c.pane == pane) {
                cx.ui.copy = None;
            }
            cx.ui.selection = Some(MouseSelection {
                pane,
                sel: Selection::new(at, unit, inclusive),
                dragging: true,
                moved: false,
            });
        }
        MouseKind::Drag => {
            if let Some(s) = cx
                .ui
                .selection
                .as_mut()
                .filter(|s| s.pane == pane && s.dragging)
            {
                if s.sel.head != at {
                    s.moved = true;
                }
                s.sel.head = at;
            }
        }
        MouseKind::Release => {
            let Some(mut s) = cx.ui.selection.filter(|s| s.pane == pane && s.dragging) else {
                return;
            };
            s.dragging = false;
            if !s.moved && s.sel.unit == Unit::Char {
                // A plain click: no selection.
                cx.ui.selection = None;
            } else {
                cx.ui.selection = Some(s);
                let seps = cx.ui.options().word_separators;
                let text = s.sel.range(t, &seps).text(t);
                copy_text(c, cx, text);
            }
        }
    }
    cx.ui.dirty_all = true;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_count_on_one_cell_in_time() {
        let mut c = Clicks::default();
        let t = Instant::now();
        assert_eq!(c.press(3, 4, t), 1);
        assert_eq!(c.press(3, 4, t + Duration::from_millis(100)), 2);
        assert_eq!(c.press(3, 4, t + Duration::from_millis(200)), 3);
        assert_eq!(c.press(3, 4, t + Duration::from_millis(300)), 1);
        assert_eq!(c.press(5, 4, t + Duration::from_millis(350)), 1);
        assert_eq!(c.press(5, 4, t + Duration::from_secs(2)), 1);
    }
}
