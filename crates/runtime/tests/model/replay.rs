//! Recorded `tmux -C` streams from tmux versions this machine does not install, decoded
//! through the whole session model and compared with what that tmux reported at the end
//! (windows, layouts, pane geometry, cursors, screens).

use std::path::PathBuf;
use std::time::Instant;

use muxlink_runtime::{Client, ClientConfig, NoopHost, PaneId, WindowId};
use serde_json::Value;

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("fixtures not found at {}; skipping", dir.display());
        None
    }
}

fn replay(bytes: &[u8], cols: u16, rows: u16, chunk: usize) -> Client {
    let mut client = Client::new(
        ClientConfig::default()
            .with_size(cols, rows)
            .with_handshake(false)
            .with_keep_state_on_exit(true),
    );
    let now = Instant::now();
    for c in bytes.chunks(chunk) {
        client.receive(c, now, &mut NoopHost);
        client.flush_frames(now, &mut NoopHost);
    }
    assert!(
        client.outgoing().is_empty(),
        "replay must not write commands"
    );
    client
}

fn lines_of(screen: &str) -> Vec<String> {
    let mut v: Vec<String> = screen.lines().map(|l| l.trim_end().to_string()).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn check(name: &str) {
    let Some(dir) = fixtures() else { return };
    let stream = std::fs::read(dir.join(format!("{name}.stream"))).unwrap();
    let expect: Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.expect.json"))).unwrap())
            .unwrap();
    let cols = expect["cols"].as_u64().unwrap_or(80) as u16;
    let rows = expect["rows"].as_u64().unwrap_or(24) as u16;
    for chunk in [usize::MAX, 7, 1] {
        let client = replay(&stream, cols, rows, chunk.min(stream.len()));
        let model = client.state();
        for w in expect["windows"].as_array().unwrap() {
            let id = WindowId::parse(w["id"].as_str().unwrap().as_bytes()).unwrap();
            let mw = model
                .window(id)
                .unwrap_or_else(|| panic!("{name}: window {id} missing"));
            assert_eq!(
                mw.layout.as_deref(),
                w["layout"].as_str(),
                "{name} {id} layout"
            );
            assert_eq!(
                mw.visible_layout.as_deref(),
                w["visible_layout"].as_str(),
                "{name} {id} visible layout"
            );
            // A name the stream never told (new-window -n, no %window-renamed) stays unknown.
            if mw.name_known {
                assert_eq!(
                    String::from_utf8_lossy(&mw.name),
                    w["name"].as_str().unwrap(),
                    "{name} {id} name"
                );
            }
        }
        assert_eq!(
            model.windows.len(),
            expect["windows"].as_array().unwrap().len()
        );
        let panes = expect["panes"].as_array().unwrap();
        assert_eq!(model.panes.len(), panes.len(), "{name}: pane count");
        for p in panes {
            let id = PaneId::parse(p["id"].as_str().unwrap().as_bytes()).unwrap();
            let mp = model
                .pane(id)
                .unwrap_or_else(|| panic!("{name}: pane {id} missing"));
            let ctx = format!("{name} {id} (chunk {chunk})");
            assert_eq!(
                mp.window.map(|w| w.to_string()).as_deref(),
                p["window"].as_str(),
                "{ctx}"
            );
            let num = |k: &str| p[k].as_u64().unwrap() as u16;
            assert_eq!(
                (mp.cols, mp.rows, mp.x, mp.y),
                (num("cols"), num("rows"), num("x"), num("y")),
                "{ctx} geometry"
            );
            let c = mp.cursor().unwrap();
            assert_eq!(
                (c.x, c.y),
                (num("cursor_x"), num("cursor_y")),
                "{ctx} cursor"
            );
            assert_eq!(mp.alternate(), p["alternate"].as_bool(), "{ctx} alternate");
            assert_eq!(
                lines_of(&mp.screen_lines().join("\n")),
                lines_of(p["screen"].as_str().unwrap()),
                "{ctx} screen"
            );
            if p["active"].as_bool() == Some(true) {
                let w = mp.window.unwrap();
                assert_eq!(
                    model.window(w).unwrap().active_pane,
                    Some(id),
                    "{ctx} active"
                );
            }
        }
    }
}

#[test]
fn tmux_3_5a_splits() {
    check("tmux-3.5a-splits");
}

#[test]
fn tmux_3_7c_floating() {
    check("tmux-3.7c-floating");
}
