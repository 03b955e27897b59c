//! The state document (design's format) printed by `muxlink replay` and `muxlink snapshot`.
//!
//! ```json
//! {"sessions": [{"id": "$0", "name": "main", "active_window": "@0"}],
//!  "windows": [{"id": "@0", "index": 0, "name": "bash", "layout": "...",
//!               "visible_layout": "...", "active_pane": "%1", "zoomed": false}],
//!  "panes": [{"id": "%0", "window": "@0", "cols": 40, "rows": 24, "x": 0, "y": 0,
//!             "cursor": {"x": 2, "y": 0, "visible": true}, "alternate": false,
//!             "title": "myhost", "mode": null, "history": 0, "screen": ["..."]}]}
//! ```
//! Facts the client does not know are `null`, never a made-up default: a session or window
//! name tmux has not given, a window index no listing gave (every index in a `replay`, which
//! sends no `list-windows`), a title no OSC 0/2 set and no sync read (`replay`), whether a
//! window without a known layout is zoomed, a pane's window before a layout placed it, the
//! cursor and screen of a pane without an emulator (bytes mode). Names and titles are raw
//! bytes in the model; here they are UTF-8 with invalid sequences replaced.

use serde_json::{json, Value};

use crate::model::{Model, Pane};

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One pane's entry.
pub fn pane_value(p: &Pane) -> Value {
    let (cursor, alternate, history, screen) = match p.emu.as_ref() {
        Some(emu) => {
            let c = emu.cursor();
            (
                json!({"x": c.x, "y": c.y, "visible": c.visible}),
                json!(emu.alternate()),
                json!(emu.history_len()),
                json!(emu.screen_lines()),
            )
        }
        None => (Value::Null, Value::Null, Value::Null, Value::Null),
    };
    json!({
        "id": p.id.to_string(),
        "window": p.window.map(|w| w.to_string()),
        "cols": p.cols,
        "rows": p.rows,
        "x": p.x,
        "y": p.y,
        "cursor": cursor,
        "alternate": alternate,
        "title": p.title.as_deref().map(lossy),
        "mode": p.mode,
        "history": history,
        "paused": p.paused,
        "screen": screen,
    })
}

/// The whole document. Allocates; meant for printing, not for a hot path.
pub fn state_document(model: &Model) -> Value {
    let sessions: Vec<Value> = model
        .sessions
        .values()
        .map(|s| {
            json!({
                "id": s.id.to_string(),
                "name": s.name.as_deref().map(lossy),
                "active_window": s.active_window.map(|w| w.to_string()),
                "attached": model.attached_session == Some(s.id),
            })
        })
        .collect();
    let windows: Vec<Value> = model
        .windows
        .values()
        .map(|w| {
            json!({
                "id": w.id.to_string(),
                "index": w.index,
                "name": w.name_known.then(|| lossy(&w.name)),
                "layout": w.layout,
                "visible_layout": w.visible_layout,
                "active_pane": w.active_pane.map(|p| p.to_string()),
                "zoomed": w.layout.as_ref().map(|_| w.zoomed),
            })
        })
        .collect();
    let panes: Vec<Value> = model.panes.values().map(pane_value).collect();
    json!({
        "version": model.version,
        "sessions": sessions,
        "windows": windows,
        "panes": panes,
    })
}

/// A plain-text rendering: one header line per pane, then its screen as `capture-pane -p`.
pub fn state_text(model: &Model) -> String {
    let mut out = String::new();
    for w in model.windows.values() {
        out.push_str(&format!(
            "window {} {:?} layout {}{}\n",
            w.id,
            lossy(&w.name),
            w.layout.as_deref().unwrap_or("-"),
            if w.zoomed { " (zoomed)" } else { "" }
        ));
    }
    for p in model.panes.values() {
        let window = p
            .window
            .map(|w| w.to_string())
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "pane {} window {} {}x{} at {},{}",
            p.id, window, p.cols, p.rows, p.x, p.y
        ));
        if let Some(emu) = p.emu.as_ref() {
            let c = emu.cursor();
            out.push_str(&format!(" cursor {},{}", c.x, c.y));
            if emu.alternate() {
                out.push_str(" alternate");
            }
            out.push('\n');
            for line in emu.screen_lines() {
                out.push_str(&line);
                out.push('\n');
            }
        } else {
            out.push('\n');
        }
    }
    out
}
