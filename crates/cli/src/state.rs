//! The state document (the design's format) printed by `muxlink replay` and
//! `muxlink snapshot`, and its plain-text form, built from the runtime's session model.
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

use muxlink_runtime::{Model, Pane};
use serde_json::{json, Value};

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One pane's entry.
pub fn pane_value(p: &Pane) -> Value {
    let (cursor, alternate, history, screen) = match p.cursor() {
        Some(c) => (
            json!({"x": c.x, "y": c.y, "visible": c.visible}),
            json!(p.alternate()),
            json!(p.history_len()),
            json!(p.screen_lines()),
        ),
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
        if let Some(c) = p.cursor() {
            out.push_str(&format!(" cursor {},{}", c.x, c.y));
            if p.alternate() == Some(true) {
                out.push_str(" alternate");
            }
            out.push('\n');
            for line in p.screen_lines() {
                out.push_str(&line);
                out.push('\n');
            }
        } else {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! The state document says `null` for what the client does not know, never a made-up
    //! default: titles no OSC set (and no sync read), names tmux never gave, the zoom of a
    //! window whose layout is unknown, the index of every window in a replay.

    use std::time::Instant;

    use muxlink_runtime::{Client, ClientConfig, NoopHost, PaneId};
    use muxlink_testkit::entry_with_id;
    use serde_json::{json, Value};

    use super::state_document;

    fn replay(stream: &[u8]) -> Client {
        let mut client = Client::new(ClientConfig::replay());
        let now = Instant::now();
        client.receive(stream, now, &mut NoopHost);
        client.flush_frames(now, &mut NoopHost);
        client
    }

    #[test]
    fn unknown_titles_and_names_are_null() {
        let client = replay(
            b"%output %0 \\033]2;one\\007hi\n\
              %output %1 plain\n\
              %output %2 \\033]2;\\007empty on purpose\n\
              %session-window-changed $1 @0\n\
              %window-add @3\n\
              %session-changed $2 named\n",
        );
        let model = client.state();
        assert_eq!(
            model.pane(PaneId(0)).unwrap().title.as_deref(),
            Some(&b"one"[..])
        );
        assert_eq!(model.pane(PaneId(1)).unwrap().title, None);
        assert_eq!(
            model.pane(PaneId(2)).unwrap().title.as_deref(),
            Some(&b""[..])
        );

        let doc = state_document(model);
        assert_eq!(entry_with_id(&doc["panes"], "%0")["title"], "one");
        assert_eq!(
            entry_with_id(&doc["panes"], "%1")["title"],
            Value::Null,
            "no OSC: unknown"
        );
        assert_eq!(
            entry_with_id(&doc["panes"], "%2")["title"],
            "",
            "an empty title that was set"
        );
        assert_eq!(entry_with_id(&doc["sessions"], "$1")["name"], Value::Null);
        assert_eq!(entry_with_id(&doc["sessions"], "$1")["active_window"], "@0");
        assert_eq!(entry_with_id(&doc["sessions"], "$2")["name"], "named");
        let w = entry_with_id(&doc["windows"], "@3");
        assert_eq!(
            (&w["name"], &w["layout"], &w["zoomed"]),
            (&Value::Null, &Value::Null, &Value::Null)
        );
    }

    #[test]
    fn known_layout_gives_zoom() {
        let client = replay(b"%layout-change @1 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n");
        let doc = state_document(client.state());
        let w = entry_with_id(&doc["windows"], "@1");
        assert_eq!(w["zoomed"], json!(false));
        assert_eq!(entry_with_id(&doc["panes"], "%0")["title"], Value::Null);
    }

    #[test]
    fn a_replay_knows_no_window_index() {
        let client = replay(
            b"%window-add @3\n%layout-change @4 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n\
              %window-add @5\n%window-close @5\n",
        );
        let doc = state_document(client.state());
        let windows = doc["windows"].as_array().unwrap();
        assert_eq!(windows.len(), 2);
        for w in windows {
            assert_eq!(w["index"], Value::Null, "{w}");
        }
    }
}
