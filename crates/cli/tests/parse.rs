//! `muxlink parse` end to end: the built binary on recorded tmux streams and hostile input.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::*;
use serde_json::{json, Value};

const EVENT_NAMES: &[&str] = &[
    "output",
    "extended-output",
    "layout-change",
    "window-add",
    "window-close",
    "window-renamed",
    "unlinked-window-add",
    "unlinked-window-close",
    "unlinked-window-renamed",
    "session-changed",
    "session-renamed",
    "sessions-changed",
    "session-window-changed",
    "window-pane-changed",
    "client-session-changed",
    "client-detached",
    "pane-mode-changed",
    "pause",
    "continue",
    "subscription-changed",
    "exit",
    "config-error",
    "message",
    "paste-buffer-changed",
    "paste-buffer-deleted",
    "reply",
    "enter",
    "leave",
    "passthrough",
    "unknown",
    "error",
];

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

/// Counts what a recorded stream should produce, with a scanner independent of the parser:
/// one `reply` per `%begin` block, one event per notification line outside blocks.
fn expected_counts(stream: &[u8]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    // The `TIME NUMBER FLAGS` of the open block: only `%end`/`%error` with the same ends it.
    let mut open: Option<Vec<u8>> = None;
    for line in stream.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if let Some(fields) = &open {
            let ends = [&b"%end "[..], b"%error "]
                .iter()
                .any(|t| line.strip_prefix(*t) == Some(&fields[..]));
            if ends {
                open = None;
            }
            continue;
        }
        if let Some(fields) = line.strip_prefix(b"%begin ") {
            open = Some(fields.to_vec());
            *counts.entry("reply".to_string()).or_default() += 1;
        } else {
            let word = String::from_utf8_lossy(line.split(|&b| b == b' ').next().unwrap());
            let name = word.trim_start_matches('%').to_string();
            *counts.entry(name).or_default() += 1;
        }
    }
    counts
}

fn counts_of(events: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in events {
        *counts
            .entry(e["event"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// All `output` data of one pane, concatenated.
fn pane_output(events: &[Value], pane: &str) -> String {
    events
        .iter()
        .filter(|e| e["event"] == "output" && e["pane"] == pane)
        .map(|e| {
            let data = e["data"].as_str().unwrap();
            assert_eq!(e["len"].as_u64().unwrap() as usize, data.len(), "{e}");
            data
        })
        .collect()
}

#[test]
fn tmux_3_5a_splits_stream() {
    let Some(dir) = shared_fixtures() else { return };
    let stream = std::fs::read(dir.join("tmux-3.5a-splits.stream")).unwrap();
    let expect: Value =
        serde_json::from_slice(&std::fs::read(dir.join("tmux-3.5a-splits.expect.json")).unwrap())
            .unwrap();
    let events = parse_events(&stream);

    assert_eq!(counts_of(&events), expected_counts(&stream));
    assert!(!names(&events).contains(&"error"), "{events:?}");

    assert_eq!(events[0]["event"], "reply");
    assert_eq!(events[0]["number"], 267);
    assert_eq!(events[0]["time"], 1795619847u64);
    assert_eq!(events[0]["flags"], 0);
    assert_eq!(events[0]["ok"], true);
    assert_eq!(events[0]["lines"], json!([]));
    assert_eq!(events[1], json!({"event": "window-add", "window": "@0"}));
    assert_eq!(events[2], json!({"event": "sessions-changed"}));
    assert_eq!(
        events[3],
        json!({"event": "session-changed", "session": "$0", "name": "0"})
    );
    assert_eq!(
        events[4],
        json!({"event": "output", "pane": "%0", "len": 10, "data": "\u{1b}[?2004h$ "})
    );

    // The last layout is the one tmux reported at the end, as a tree.
    let layouts: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "layout-change")
        .collect();
    assert_eq!(layouts.len(), 2);
    let last = layouts[1];
    assert_eq!(last["window"], "@0");
    assert_eq!(last["layout"], expect["windows"][0]["layout"]);
    assert_eq!(
        last["visible_layout"],
        expect["windows"][0]["visible_layout"]
    );
    assert_eq!(last["flags"], "*");
    assert_eq!(last["floating"], json!([]));
    assert_eq!(
        last["tree"],
        json!({"cols": 80, "rows": 24, "x": 0, "y": 0, "split": "left-right", "children": [
            {"cols": 40, "rows": 24, "x": 0, "y": 0, "pane": "%0"},
            {"cols": 39, "rows": 24, "x": 41, "y": 0, "split": "top-bottom", "children": [
                {"cols": 39, "rows": 12, "x": 41, "y": 0, "pane": "%1"},
                {"cols": 39, "rows": 11, "x": 41, "y": 13, "pane": "%2"}
            ]}
        ]})
    );
    // Every pane in the final tree is one tmux listed, with its geometry.
    for pane in expect["panes"].as_array().unwrap() {
        let mut stack = vec![&last["tree"]];
        let mut found = false;
        while let Some(n) = stack.pop() {
            if n["pane"] == pane["id"] {
                for k in ["cols", "rows", "x", "y"] {
                    assert_eq!(n[k], pane[k], "{k} of {}", pane["id"]);
                }
                found = true;
            }
            if let Some(c) = n["children"].as_array() {
                stack.extend(c.iter());
            }
        }
        assert!(found, "pane {} missing from the tree", pane["id"]);
    }

    // Output is unescaped: \015\012 became CR LF.
    let out0 = pane_output(&events, "%0");
    assert!(out0.contains("seq 1 50\r\n"), "{out0:?}");
    assert!(out0.contains("\r\n49\r\n50\r\n"), "{out0:?}");
    assert!(!out0.contains("\\015"));
}

#[test]
fn parse_then_emulate_matches_tmux_capture() {
    // Pane %2 was born 39x11 and never resized: its output, unescaped by `parse` and fed to
    // `emulate`, must give exactly what tmux's capture-pane printed at the end.
    let Some(dir) = shared_fixtures() else { return };
    let stream = std::fs::read(dir.join("tmux-3.5a-splits.stream")).unwrap();
    let expect: Value =
        serde_json::from_slice(&std::fs::read(dir.join("tmux-3.5a-splits.expect.json")).unwrap())
            .unwrap();
    let events = parse_events(&stream);
    let bytes = pane_output(&events, "%2");
    let out = run(&["emulate", "--size", "39x11", "-"], bytes.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pane = expect["panes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "%2")
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        pane["screen"].as_str().unwrap()
    );
    let out = run(
        &["emulate", "--size", "39x11", "--json", "-"],
        bytes.as_bytes(),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cursor"]["x"], pane["cursor_x"]);
    assert_eq!(v["cursor"]["y"], pane["cursor_y"]);
    assert_eq!(v["alternate"], pane["alternate"]);
}

#[test]
fn tmux_3_7c_floating_stream() {
    let Some(dir) = shared_fixtures() else { return };
    let stream = std::fs::read(dir.join("tmux-3.7c-floating.stream")).unwrap();
    let events = parse_events(&stream);
    assert_eq!(counts_of(&events), expected_counts(&stream));
    assert!(!names(&events).contains(&"error"), "{events:?}");

    let layouts: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "layout-change")
        .collect();
    assert_eq!(layouts[0]["floating"], json!([]));
    // b306,...<40x6,8,4,3,40x6,4,2,2>: two floating panes, in tmux's order.
    assert_eq!(
        layouts[2]["floating"],
        json!([
            {"cols": 40, "rows": 6, "x": 8, "y": 4, "pane": "%3"},
            {"cols": 40, "rows": 6, "x": 4, "y": 2, "pane": "%2"}
        ])
    );
    assert_eq!(layouts[2]["tree"]["split"], "top-bottom");
    assert_eq!(layouts[4]["window"], "@1");

    let names = names(&events);
    assert!(names.contains(&"paste-buffer-changed"));
    assert!(names.contains(&"paste-buffer-deleted"));
    assert_eq!(*names.last().unwrap(), "exit");
}

#[test]
fn proto_crate_fixtures_all_decode() {
    let files = proto_fixtures();
    if files.is_empty() {
        eprintln!("skipping: no crates/proto/tests/fixtures/*.stream yet");
        return;
    }
    for file in files {
        let out = muxlink()
            .args(["parse", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", file.display());
        let events = json_lines(&out.stdout);
        assert!(!events.is_empty(), "{}: no events", file.display());
        // Real tmux output: every line is taken, and the event counts match an independent
        // line scan of the recording.
        let stream = std::fs::read(&file).unwrap();
        assert_eq!(
            counts_of(&events),
            expected_counts(&stream),
            "{}",
            file.display()
        );
        for e in &events {
            let name = e["event"].as_str().unwrap();
            assert!(EVENT_NAMES.contains(&name), "{}: {e}", file.display());
            if name == "output" {
                assert!(e["pane"].as_str().unwrap().starts_with('%'));
                assert!(e["len"].is_u64());
            }
            if name == "error" {
                assert!(e["line_number"].as_u64().unwrap() >= 1);
                assert!(!e["message"].as_str().unwrap().is_empty());
            }
        }
    }
}

#[test]
fn file_argument_and_stdin_agree() {
    let Some(dir) = shared_fixtures() else { return };
    let path = dir.join("tmux-3.5a-splits.stream");
    let from_file = muxlink()
        .args(["parse", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(from_file.status.success());
    let from_stdin = run(&["parse"], &std::fs::read(&path).unwrap());
    assert_eq!(from_file.stdout, from_stdin.stdout);
}

#[test]
fn output_does_not_depend_on_how_input_arrives() {
    let Some(dir) = shared_fixtures() else { return };
    let stream = std::fs::read(dir.join("tmux-3.5a-splits.stream")).unwrap();
    let whole = run(&["parse", "-"], &stream);

    // Dribble the same bytes through a pipe in small, odd pieces.
    let mut child = muxlink()
        .args(["parse", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = stream.clone();
    let writer = std::thread::spawn(move || {
        for piece in data.chunks(37) {
            stdin.write_all(piece).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    });
    let dribbled = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(dribbled.status.success());
    assert_eq!(
        String::from_utf8_lossy(&dribbled.stdout),
        String::from_utf8_lossy(&whole.stdout)
    );
}

#[test]
fn every_notification_kind() {
    let input = b"%window-add @1\n\
%window-close @2\n\
%window-renamed @1 my window\n\
%unlinked-window-add @5\n\
%unlinked-window-close @5\n\
%unlinked-window-renamed @5 other\n\
%session-changed $1 work\n\
%session-renamed $1 play\n\
%sessions-changed\n\
%session-window-changed $1 @1\n\
%window-pane-changed @1 %4\n\
%client-session-changed /dev/pts/3 $2 other\n\
%client-detached /dev/pts/3\n\
%pane-mode-changed %4\n\
%pause %4\n\
%continue %4\n\
%extended-output %4 1234 : hi\\033[0m\n\
%config-error /etc/tmux.conf:1: unknown command\n\
%message hello\n\
%paste-buffer-changed buffer0\n\
%paste-buffer-deleted buffer0\n\
%exit detached\n";
    let events = parse_events(input);
    let expected = vec![
        json!({"event": "window-add", "window": "@1"}),
        json!({"event": "window-close", "window": "@2"}),
        json!({"event": "window-renamed", "window": "@1", "name": "my window"}),
        json!({"event": "unlinked-window-add", "window": "@5"}),
        json!({"event": "unlinked-window-close", "window": "@5"}),
        json!({"event": "unlinked-window-renamed", "window": "@5", "name": "other"}),
        json!({"event": "session-changed", "session": "$1", "name": "work"}),
        json!({"event": "session-renamed", "session": "$1", "name": "play"}),
        json!({"event": "sessions-changed"}),
        json!({"event": "session-window-changed", "session": "$1", "window": "@1"}),
        json!({"event": "window-pane-changed", "window": "@1", "pane": "%4"}),
        json!({"event": "client-session-changed", "client": "/dev/pts/3", "session": "$2", "name": "other"}),
        json!({"event": "client-detached", "client": "/dev/pts/3"}),
        json!({"event": "pane-mode-changed", "pane": "%4"}),
        json!({"event": "pause", "pane": "%4"}),
        json!({"event": "continue", "pane": "%4"}),
        json!({"event": "extended-output", "pane": "%4", "age": 1234, "len": 6, "data": "hi\u{1b}[0m"}),
        json!({"event": "config-error", "message": "/etc/tmux.conf:1: unknown command"}),
        json!({"event": "message", "message": "hello"}),
        json!({"event": "paste-buffer-changed", "name": "buffer0"}),
        json!({"event": "paste-buffer-deleted", "name": "buffer0"}),
        json!({"event": "exit", "reason": "detached"}),
    ];
    assert_eq!(events, expected);
}

#[test]
fn reply_blocks_with_bodies_and_errors() {
    let input = b"%begin 100 7 1\n\
line one\n\
%end 100 8 1\n\
%end 100 7 0\n\
line \xff four\n\
%end 100 7 1\n\
%begin 101 8 1\n\
parse error: unknown command: nope\n\
%error 101 8 1\n";
    let events = parse_events(input);
    assert_eq!(
        events,
        vec![
            json!({"event": "reply", "number": 7, "time": 100, "flags": 1, "ok": true,
                   "lines": ["line one", "%end 100 8 1", "%end 100 7 0", "line \u{fffd} four"]}),
            json!({"event": "reply", "number": 8, "time": 101, "flags": 1, "ok": false,
                   "lines": ["parse error: unknown command: nope"]}),
        ]
    );
}

#[test]
fn host_stream_is_detected_and_passed_through() {
    let input = b"$ tmux -CC\r\n\x1bP1000p%begin 1 1 0\n%end 1 1 0\n\
%output %0 hi\\015\\012\n%exit\n\x1b\\$ after\r\n";
    let events = parse_events(input);
    assert_eq!(
        names(&events),
        [
            "passthrough",
            "enter",
            "reply",
            "output",
            "exit",
            "leave",
            "passthrough"
        ]
    );
    assert_eq!(events[0]["data"], "$ tmux -CC\r\n");
    assert_eq!(events[0]["len"], 12);
    assert_eq!(events[3]["data"], "hi\r\n");
    assert_eq!(events[6]["data"], "$ after\r\n");

    // Forced: the same bytes read as a plain stream make the shell line an error, never a
    // passthrough.
    let forced = parse_events_with(&["--control"], input);
    assert!(!names(&forced).contains(&"passthrough"));
    assert_eq!(forced[0]["event"], "error");

    // Forced the other way: a stream starting with `%` outside control mode is passthrough.
    let forced = parse_events_with(&["--host-stream"], b"%window-add @1\n");
    assert_eq!(names(&forced), ["passthrough"]);
}

#[test]
fn adversarial_input_gives_error_events_and_exit_0() {
    let mut input = Vec::new();
    input.extend_from_slice(b"%output %1 ok\n");
    input.extend_from_slice(b"garbage that is not a notification\n");
    input.extend_from_slice(b"\0\0\0\x01\x02\n");
    input.extend_from_slice(b"%output %nope data\n");
    input.extend_from_slice(b"%layout-change @0 ffff,80x24,0,0,0 ffff,80x24,0,0,0 *\n");
    input.extend_from_slice(b"%layout-change @0 b25d,80x24,0,0{80x24\n");
    input.extend_from_slice(b"%end 1 2 1\n");
    input.extend_from_slice(b"%pane-frobnicated %1 something new\n");
    input.extend_from_slice(b"%output %2 \xc3\x28\xff\n");
    input.extend_from_slice(b"%begin 5 5 1\nunterminated body\n%end 5 6 1\n");
    let events = parse_events(&input);
    let got = names(&events);
    assert_eq!(got[0], "output");
    assert_eq!(events[1]["event"], "error");
    assert_eq!(events[1]["line_number"], 2);
    assert_eq!(events[1]["line"], "garbage that is not a notification");
    assert_eq!(events[2]["event"], "error");
    assert_eq!(events[2]["line"], "\u{0}\u{0}\u{0}\u{1}\u{2}");
    assert_eq!(events[3]["event"], "error");
    assert_eq!(events[4]["event"], "error");
    assert!(
        events[4]["message"].as_str().unwrap().contains("checksum"),
        "{}",
        events[4]
    );
    assert_eq!(events[5]["event"], "error");
    assert_eq!(events[6]["event"], "error");
    assert_eq!(
        events[7],
        json!({"event": "unknown", "line": "%pane-frobnicated %1 something new"})
    );
    assert_eq!(events[8]["data"], "\u{fffd}(\u{fffd}");
    assert_eq!(events[8]["len"], 3);
    // The block never ends (its terminator's number differs): an error at end of input.
    let last = events.last().unwrap();
    assert_eq!(last["event"], "error", "{events:?}");
    assert!(!got[9..].contains(&"reply"));
}

#[test]
fn huge_line_is_an_error_and_parsing_resumes() {
    let mut input = b"%output %1 ".to_vec();
    input.resize(8 << 20, b'a');
    input.extend_from_slice(b"\n%window-add @3\n");
    let out = run(&["parse", "-"], &input);
    assert!(out.status.success());
    // Memory and output stay bounded: the 8 MiB line is not echoed whole.
    assert!(out.stdout.len() < 4 << 20, "{} bytes", out.stdout.len());
    let events = json_lines(&out.stdout);
    assert_eq!(events[0]["event"], "error");
    assert!(events[0]["message"].as_str().unwrap().contains("longer"));
    assert_eq!(events[1], json!({"event": "window-add", "window": "@3"}));
}

#[test]
fn empty_and_partial_input() {
    assert_eq!(parse_events(b""), Vec::<Value>::new());
    let events = parse_events(b"%window-add @1\n%window-add @2");
    assert_eq!(events[0], json!({"event": "window-add", "window": "@1"}));
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["event"], "error");
}

#[test]
fn missing_file_is_an_io_error() {
    let out = muxlink()
        .args(["parse", "/nonexistent/muxlink-test.stream"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonexistent"));
}

#[test]
fn closed_stdout_is_not_a_failure() {
    let mut input = Vec::new();
    for i in 0..200_000 {
        input.extend_from_slice(format!("%output %1 line {i}\\015\\012\n").as_bytes());
    }
    let mut child = muxlink()
        .args(["parse", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"event\":\"output\""), "{first}");
    drop(stdout); // like `| head -1`
    let status = child.wait().unwrap();
    writer.join().unwrap();
    assert!(status.success(), "{status:?}");
}
