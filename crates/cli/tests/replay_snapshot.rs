//! `muxlink replay` against the shared recordings' expected state, and `muxlink snapshot`
//! against a live tmux: the state document holds what tmux holds, and a snapshot changes
//! nothing on the server.

mod common;

use std::time::Duration;

use muxlink_testkit::entry_with_id;
use muxlink_testkit::{tmux_available, TmuxServer};
use serde_json::Value;

fn state(args: &[&str]) -> Value {
    let out = common::run(args, b"");
    assert!(
        out.status.success(),
        "muxlink {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn replay_matches_what_tmux_reported() {
    let Some(dir) = common::shared_fixtures() else {
        return;
    };
    for name in ["tmux-3.5a-splits", "tmux-3.7c-floating"] {
        let stream = dir.join(format!("{name}.stream"));
        let expect: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{name}.expect.json"))).unwrap(),
        )
        .unwrap();
        let got = state(&[
            "replay",
            "--size",
            "80x24",
            "--json",
            stream.to_str().unwrap(),
        ]);
        for w in expect["windows"].as_array().unwrap() {
            let id = w["id"].as_str().unwrap();
            let g = entry_with_id(&got["windows"], id);
            assert_eq!(g["layout"], w["layout"], "{name} {id} layout");
            assert_eq!(g["visible_layout"], w["visible_layout"], "{name} {id}");
        }
        for p in expect["panes"].as_array().unwrap() {
            let id = p["id"].as_str().unwrap();
            let g = entry_with_id(&got["panes"], id);
            for key in ["window", "cols", "rows", "x", "y", "alternate"] {
                assert_eq!(g[key], p[key], "{name} {id} {key}");
            }
            assert_eq!(g["cursor"]["x"], p["cursor_x"], "{name} {id} cursor x");
            assert_eq!(g["cursor"]["y"], p["cursor_y"], "{name} {id} cursor y");
            let want: Vec<&str> = p["screen"].as_str().unwrap().lines().collect();
            let screen: Vec<&str> = g["screen"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            assert_eq!(screen.len(), p["rows"].as_u64().unwrap() as usize);
            // capture-pane -p leaves trailing empty rows out of `lines()`.
            assert_eq!(&screen[..want.len()], &want[..], "{name} {id} screen");
            assert!(screen[want.len()..].iter().all(|r| r.is_empty()));
        }
    }
}

#[test]
fn snapshot_reports_live_panes_and_changes_nothing() {
    if !tmux_available() {
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let server = TmuxServer::start("cli-snapshot", 90, 30).unwrap();
    // Programs that print and then wait, rather than typing into shells (no prompt races).
    server
        .tmux_ok(&[
            "respawn-pane",
            "-k",
            "-t",
            "%0",
            "printf 'left-side\\n'; exec cat",
        ])
        .unwrap();
    server
        .tmux_ok(&[
            "split-window",
            "-h",
            "-t",
            "%0",
            "printf '\\033]2;set by a program\\007right-side\\n'; exec cat",
        ])
        .unwrap();
    server
        .tmux_ok(&["new-window", "-d", "-n", "second", "-t", ":4"])
        .unwrap();
    let wait = Duration::from_secs(10);
    server
        .wait_for(wait, |s| {
            let a = s.tmux_ok(&["capture-pane", "-p", "-t", "%0"]).ok()?;
            let b = s.tmux_ok(&["capture-pane", "-p", "-t", "%1"]).ok()?;
            let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            (a.lines().any(|l| l == "left-side") && b.lines().any(|l| l == "right-side"))
                .then_some(())
        })
        .unwrap();
    let sizes = |s: &TmuxServer| {
        s.tmux_ok(&[
            "list-windows",
            "-a",
            "-F",
            "#{window_id} #{window_width}x#{window_height} #{window_layout}",
        ])
        .unwrap()
    };
    let before = sizes(&server);

    let got = state(&["snapshot", "-L", server.socket_name(), "--json"]);

    assert_eq!(
        sizes(&server),
        before,
        "a snapshot must leave every window as it was"
    );
    let clients = server.tmux_ok(&["list-clients"]).unwrap();
    assert!(
        clients.is_empty(),
        "the snapshot client detached: {clients:?}"
    );
    assert_eq!(got["windows"].as_array().unwrap().len(), 2);
    assert_eq!(got["panes"].as_array().unwrap().len(), 3);
    for (pane, word) in [("%0", "left-side"), ("%1", "right-side")] {
        let p = entry_with_id(&got["panes"], pane);
        let tmux = server.tmux_ok(&["capture-pane", "-p", "-t", pane]).unwrap();
        let tmux: Vec<String> = String::from_utf8_lossy(&tmux)
            .lines()
            .map(str::to_owned)
            .collect();
        let screen: Vec<String> = p["screen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect();
        assert!(screen.iter().any(|r| r == word), "{pane}: {screen:?}");
        assert_eq!(
            &screen[..tmux.len()],
            &tmux[..],
            "{pane} equals capture-pane"
        );
    }
    let w = entry_with_id(&got["windows"], "@1");
    assert_eq!(w["name"], "second");
    assert_eq!(w["index"], 4, "tmux's window index, gap included");
    assert_eq!(entry_with_id(&got["windows"], "@0")["index"], 0);
    // A title no program set is `null` (tmux shows its host name there); one a program
    // set is tmux's `#{pane_title}`.
    let title = |pane: &str| {
        let t = server
            .tmux_ok(&["display-message", "-p", "-t", pane, "#{pane_title}"])
            .unwrap();
        String::from_utf8_lossy(&t)
            .trim_end_matches('\n')
            .to_owned()
    };
    let host = server
        .tmux_ok(&["display-message", "-p", "#{host}"])
        .unwrap();
    assert_eq!(title("%0"), String::from_utf8_lossy(&host).trim_end());
    assert_eq!(entry_with_id(&got["panes"], "%0")["title"], Value::Null);
    assert_eq!(title("%1"), "set by a program");
    assert_eq!(
        entry_with_id(&got["panes"], "%1")["title"],
        "set by a program"
    );
    // Every window with its session.
    for w in got["windows"].as_array().unwrap() {
        assert_eq!(w["session"], "$0", "{w}");
    }
}

#[test]
fn replay_prints_null_for_a_title_nothing_set() {
    let stream = b"%output %0 \\033]2;mine\\007a\n%output %1 b\n";
    let out = common::run(&["replay", "--size", "20x5", "--json", "-"], stream);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entry_with_id(&got["panes"], "%0")["title"], "mine");
    assert_eq!(entry_with_id(&got["panes"], "%1")["title"], Value::Null);
}

/// A replay sends no `list-windows`, the only source of a window's index: `null`.
#[test]
fn replay_prints_null_for_window_indexes() {
    let stream = b"%window-add @2\n%layout-change @2 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n";
    let out = common::run(&["replay", "--size", "80x24", "--json", "-"], stream);
    assert!(out.status.success());
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = entry_with_id(&got["windows"], "@2");
    assert_eq!(w["index"], Value::Null, "{w}");
    assert!(w.as_object().unwrap().contains_key("index"));
}

/// tmux refuses to attach to a session that does not exist: the error is tmux's own.
#[test]
fn snapshot_of_a_missing_session_says_what_tmux_said() {
    if !tmux_available() {
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let server = TmuxServer::start("cli-snap-missing", 80, 24).unwrap();
    let out = common::run(
        &["snapshot", "-L", server.socket_name(), "-t", "nosuch"],
        b"",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("can't find session: nosuch"),
        "stderr: {err:?}"
    );
}
