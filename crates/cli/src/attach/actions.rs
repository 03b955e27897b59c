//! What terminal input does to the client: typing, prefix commands.
//!
//! Every command goes through the runtime's typed operations (`send_input`, `paste`,
//! `select_pane`, `select_window`, ...), whose targets are numeric ids.

use muxlink_runtime::{Client, PaneId, SplitDirection, WindowId};

use super::input::{Command2, KeyAction};
use super::ui::Ui;

pub(super) fn active_window(c: &Client) -> Option<WindowId> {
    c.state().session()?.active_window
}

/// The active pane of the active window; right after a window appears (before tmux said
/// which pane is active) its first pane.
pub(super) fn active_pane(c: &Client) -> Option<PaneId> {
    let m = c.state();
    let w = m.window(active_window(c)?)?;
    w.active_pane.or_else(|| w.panes.first().copied())
}

pub(super) fn apply(c: &mut Client, ui: &mut Ui, action: KeyAction) {
    match action {
        KeyAction::Input(bytes) => {
            if let Some(p) = active_pane(c) {
                let _ = c.send_input(p, &bytes);
            }
        }
        KeyAction::Command(cmd) => command(c, ui, cmd),
    }
}

fn command(c: &mut Client, ui: &mut Ui, cmd: Command2) {
    let pane = active_pane(c);
    let _ = match cmd {
        Command2::Detach => c.detach().map(|_| ()),
        Command2::NewWindow => c.new_window(None).map(|_| ()),
        Command2::NextWindow | Command2::PrevWindow => {
            // tmux's order: by window index.
            let ws = ui.window_order(c);
            let cur = active_window(c).and_then(|w| ws.iter().position(|x| *x == w));
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
            let next = active_window(c).and_then(|w| {
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
