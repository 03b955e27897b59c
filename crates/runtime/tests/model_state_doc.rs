//! The state document says `null` for what the client does not know, never a made-up
//! default: titles no OSC set (and no sync read), names tmux never gave, the zoom of a
//! window whose layout is unknown.

use std::time::Instant;

use muxlink_runtime::state_json::state_document;
use muxlink_runtime::{Client, ClientConfig, NoopHost, PaneId};
use muxlink_testkit::entry_with_id;
use serde_json::{json, Value};

fn replay(stream: &[u8]) -> Client {
    let mut client = Client::new(ClientConfig {
        handshake: false,
        keep_state_on_exit: true,
        ..ClientConfig::default()
    });
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
