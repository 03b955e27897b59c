//! `muxlink emulate` end to end: output formats, errors, and a few inputs compared with what
//! real tmux captures for a pane of the same size (the full conformance suite lives with the
//! emulator crate).

mod common;

use std::time::Duration;

use common::*;
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};
use serde_json::Value;

fn emulate(args: &[&str], input: &[u8]) -> String {
    let mut all = vec!["emulate"];
    all.extend_from_slice(args);
    all.push("-");
    let out = run(&all, input);
    assert!(
        out.status.success(),
        "muxlink {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn emulate_json(args: &[&str], input: &[u8]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&emulate(&all, input)).expect("--json prints one JSON document")
}

/// `1\r\n2\r\n...N\r\n`.
fn numbered_lines(n: usize) -> Vec<u8> {
    (1..=n)
        .flat_map(|i| format!("{i}\r\n").into_bytes())
        .collect()
}

#[test]
fn bad_size_is_a_usage_error() {
    for size in ["80", "0x24", "80x", "x24", "80x24x2", "axb", "99999x1", ""] {
        let out = run(&["emulate", "--size", size, "-"], b"");
        assert_eq!(out.status.code(), Some(2), "--size {size:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("COLSxROWS"), "--size {size:?}: {err}");
    }
    let out = run(&["emulate", "-"], b"");
    assert_eq!(out.status.code(), Some(2), "--size is required");
}

#[test]
fn formats_are_exclusive() {
    let out = run(&["emulate", "--size", "10x2", "--json", "--ansi", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn plain_screen_has_one_line_per_row() {
    assert_eq!(
        emulate(&["--size", "10x3"], b"hello\r\nworld"),
        "hello\nworld\n\n"
    );
    // Autowrap at the last column, trailing blanks trimmed, erase in line.
    assert_eq!(
        emulate(&["--size", "4x3"], b"abcdefg\r\nxy  \x1b[1Gz\x1b[K"),
        "abcd\nefg\nz\n"
    );
}

#[test]
fn file_and_stdin_agree() {
    let dir = TempDir::new("emulate-file").unwrap();
    let path = dir.path().join("out.bin");
    std::fs::write(&path, b"one\r\ntwo\x1b[1;31mred").unwrap();
    let out = muxlink()
        .args(["emulate", "--size", "12x2", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\ntwored\n");
    let from_stdin = emulate(&["--size", "12x2"], &std::fs::read(&path).unwrap());
    assert_eq!(String::from_utf8_lossy(&out.stdout), from_stdin);
}

#[test]
fn history_and_its_limit() {
    let input = numbered_lines(10);
    // 5x3: rows hold 9, 10 and the empty line the cursor is on; 1..=8 scrolled off.
    assert_eq!(emulate(&["--size", "5x3"], &input), "9\n10\n\n");
    let all: String = (1..=10).map(|i| format!("{i}\n")).collect::<String>() + "\n";
    assert_eq!(emulate(&["--size", "5x3", "--history"], &input), all);
    let v = emulate_json(&["--size", "5x3"], &input);
    assert_eq!(v["history"], 8);
    assert_eq!(v["history_lines"][0], "1");
    assert_eq!(v["history_lines"].as_array().unwrap().len(), 8);

    let v = emulate_json(&["--size", "5x3", "--history-limit", "3"], &input);
    assert_eq!(v["history"], 3);
    assert_eq!(
        emulate(
            &["--size", "5x3", "--history", "--history-limit", "3"],
            &input
        ),
        "6\n7\n8\n9\n10\n\n"
    );
    let v = emulate_json(&["--size", "5x3", "--history-limit", "0"], &input);
    assert_eq!(v["history"], 0);
}

#[test]
fn json_document() {
    let v = emulate_json(
        &["--size", "20x4"],
        b"\x1b]2;my title\x07top\r\n\x1b[?25l\x1b[?1049h\x1b[2;3Halt",
    );
    assert_eq!(v["cols"], 20);
    assert_eq!(v["rows"], 4);
    assert_eq!(v["cursor"]["x"], 5);
    assert_eq!(v["cursor"]["y"], 1);
    assert_eq!(v["cursor"]["visible"], false);
    assert_eq!(v["alternate"], true);
    assert_eq!(v["title"], "my title");
    assert_eq!(v["history"], 0);
    assert_eq!(v["screen"], serde_json::json!(["", "  alt", "", ""]));
    assert!(v["modes"].is_object(), "{v}");

    let v = emulate_json(&["--size", "20x4"], b"x");
    assert_eq!(
        v["cursor"],
        serde_json::json!({"x": 1, "y": 0, "visible": true})
    );
    assert_eq!(v["alternate"], false);
    // No program set a title: unknown, so null (not tmux's host name, not "").
    assert_eq!(v["title"], serde_json::Value::Null);
    // Set to empty by the program: known, and empty.
    let v = emulate_json(&["--size", "20x4"], b"\x1b]2;\x07x");
    assert_eq!(v["title"], "");
}

#[test]
fn ansi_output_reproduces_the_screen() {
    let input = b"plain \x1b[1;31mbold red\x1b[0m \x1b[4munder\r\nstill under\x1b[0m \
\x1b[38;5;208mcolor 208\x1b[48;2;1;2;3m rgb bg\x1b[0m\r\n\x1b[7minverse";
    let ansi = emulate(&["--size", "30x4", "--ansi"], input);
    assert!(ansi.contains('\x1b'), "{ansi:?}");
    let plain = emulate(&["--size", "30x4"], input);
    // The rows, fed back to a fresh emulator, give the same text and the same styles.
    let refeed = ansi.trim_end_matches('\n').replace('\n', "\r\n");
    assert_eq!(emulate(&["--size", "30x4"], refeed.as_bytes()), plain);
    assert_eq!(
        emulate(&["--size", "30x4", "--ansi"], refeed.as_bytes()),
        ansi
    );
}

/// What tmux shows for a pane of `cols`x`rows` after a program wrote `bytes`.
struct TmuxCapture {
    plain: String,
    history: String,
    cursor: (u64, u64),
    alternate: bool,
}

fn tmux_capture(cols: u16, rows: u16, bytes: &[u8], expect_plain: &str) -> Option<TmuxCapture> {
    if !tmux_available() {
        eprintln!("skipping: tmux not installed (.ci/run installs it)");
        return None;
    }
    let dir = TempDir::new("emulate-tmux").unwrap();
    let input = dir.path().join("input.bin");
    let done = dir.path().join("done");
    std::fs::write(&input, bytes).unwrap();
    let server = TmuxServer::start("emulate", cols, rows).unwrap();
    let size = server
        .tmux_ok(&["list-panes", "-F", "#{pane_width}x#{pane_height}"])
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&size).trim(),
        format!("{cols}x{rows}")
    );
    // A fresh process in the settled pane: raw mode so the bytes reach tmux untranslated.
    let script = format!(
        "stty raw -echo; cat '{}'; touch '{}'; exec sleep 100000",
        input.display(),
        done.display()
    );
    server
        .tmux_ok(&[
            "respawn-pane",
            "-k",
            "-t",
            "main",
            &format!("sh -c \"{script}\""),
        ])
        .unwrap();
    server
        .wait_for(Duration::from_secs(10), |_| done.exists().then_some(()))
        .expect("the pane printed its input");
    // tmux reads the pty asynchronously: take the capture once it equals what muxlink shows
    // (the quick path) or once it has stopped changing for a while (then the test compares
    // and reports the difference).
    let capture = |args: &[&str]| -> String {
        let mut all = vec!["capture-pane", "-p", "-t", "main"];
        all.extend_from_slice(args);
        String::from_utf8(server.tmux_ok(&all).unwrap()).unwrap()
    };
    let mut last = String::new();
    let mut stable = 0;
    let plain = server
        .wait_for(Duration::from_secs(10), |_| {
            let now = capture(&[]);
            if now == expect_plain {
                return Some(now);
            }
            stable = if now == last { stable + 1 } else { 0 };
            last = now.clone();
            std::thread::sleep(Duration::from_millis(50));
            (stable >= 10).then_some(now)
        })
        .unwrap();
    let history = capture(&["-S", "-", "-E", "-"]);
    let info = server
        .tmux_ok(&[
            "display-message",
            "-p",
            "-t",
            "main",
            "#{cursor_x} #{cursor_y} #{alternate_on}",
        ])
        .unwrap();
    let info = String::from_utf8(info).unwrap();
    let f: Vec<&str> = info.split_whitespace().collect();
    Some(TmuxCapture {
        plain,
        history,
        cursor: (f[0].parse().unwrap(), f[1].parse().unwrap()),
        alternate: f[2] == "1",
    })
}

/// `VERSION` of the tmux on PATH (`tmux -V` prints `tmux VERSION`).
fn system_tmux_version() -> String {
    let out = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .expect("tmux -V");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().last().unwrap_or("").to_string()
}

fn compare_with_tmux(cols: u16, rows: u16, bytes: &[u8]) {
    if !tmux_available() {
        eprintln!("skipping: tmux not installed (.ci/run installs it)");
        return;
    }
    // Rendered as the release that renders the reference.
    let version = system_tmux_version();
    let size = format!("{cols}x{rows}");
    let size = ["--size", size.as_str(), "--tmux-version", version.as_str()];
    let ours = emulate(&size, bytes);
    let Some(t) = tmux_capture(cols, rows, bytes, &ours) else {
        return;
    };
    assert_eq!(ours, t.plain, "plain screen");
    assert_eq!(
        emulate(&[&size[..], &["--history"]].concat(), bytes),
        t.history,
        "history"
    );
    let v = emulate_json(&size, bytes);
    assert_eq!(
        (
            v["cursor"]["x"].as_u64().unwrap(),
            v["cursor"]["y"].as_u64().unwrap()
        ),
        t.cursor,
        "cursor"
    );
    assert_eq!(v["alternate"], t.alternate, "alternate screen");
}

#[test]
fn tmux_version_selects_the_release() {
    // A tab over blanks: kept in the grid from 3.6 (a captured line holds it).
    let tab = b"a\tb";
    assert_eq!(
        emulate(&["--size", "12x1", "--tmux-version", "3.3a"], tab),
        "a       b\n"
    );
    assert_eq!(
        emulate(&["--size", "12x1", "--tmux-version", "3.6a"], tab),
        "a\tb\n"
    );
    // The newest release is the default.
    assert_eq!(emulate(&["--size", "12x1"], tab), "a\tb\n");
    // VS16 widens a character from 3.4 (3.4 puts the padding one column too far: the
    // line reads `☺️ |`), and not at all with variation-selector-always-wide off.
    let vs16 = "\u{263A}\u{FE0F}|".as_bytes();
    let cursor = |args: &[&str]| {
        let mut all = vec!["--size", "10x1"];
        all.extend_from_slice(args);
        emulate_json(&all, vs16)["cursor"]["x"].as_u64().unwrap()
    };
    assert_eq!(cursor(&["--tmux-version", "3.3a"]), 2);
    assert_eq!(cursor(&["--tmux-version", "3.5a"]), 3);
    assert_eq!(cursor(&["--tmux-version", "3.4"]), 3);
    assert_eq!(
        emulate(&["--size", "10x1", "--tmux-version", "3.4"], vs16),
        "\u{263A}\u{FE0F} |\n"
    );
    assert_eq!(
        cursor(&[
            "--variation-selector-always-wide",
            "off",
            "--tmux-version",
            "3.6a"
        ]),
        2
    );
    // codepoint-widths (3.6+).
    assert_eq!(cursor(&["--codepoint-widths", "U+263A=2"]), 3);
}

#[test]
fn unknown_tmux_versions_render_as_the_nearest_below_with_a_notice() {
    let out = run(
        &["emulate", "--size", "12x1", "--tmux-version", "3.6b", "-"],
        b"a\tb",
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\tb\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3.6b") && err.contains("3.6a"), "{err}");
    // A release before tabs were kept: rendered as 3.5a.
    let out = run(
        &["emulate", "--size", "12x1", "--tmux-version", "3.6", "-"],
        b"a\tb",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a       b\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("3.5a"));
    // Known releases say nothing.
    let out = run(
        &["emulate", "--size", "12x1", "--tmux-version", "3.3a", "-"],
        b"x",
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a version at all: an error, nothing rendered.
    let out = run(
        &[
            "emulate",
            "--size",
            "12x1",
            "--tmux-version",
            "\x1b[31m",
            "-",
        ],
        b"x",
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        !out.stderr.contains(&0x1b),
        "the bad version is shown escaped"
    );
}

#[test]
fn tmux_agrees_on_scrolling_past_the_history_limit() {
    // More lines than tmux's default history-limit (2000), with wrapping ones among them.
    let mut bytes = Vec::new();
    for i in 0..2100 {
        if i % 7 == 0 {
            bytes.extend_from_slice(format!("long line {i} that wraps around").as_bytes());
        } else {
            bytes.extend_from_slice(format!("{i}").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
    }
    compare_with_tmux(12, 5, &bytes);
}

#[test]
fn tmux_agrees_on_cursor_motion_erase_and_regions() {
    let bytes = b"\x1b[2J\x1b[H0123456789\r\nabcdefghij\r\nABCDEFGHIJ\r\nklmnopqrst\r\n\
\x1b[2;3H\x1b[K\x1b[3;5H\x1b[2P\x1b[4;2H\x1b[3@\x1b[2;4r\x1b[4;1H\r\nscrolled\x1b[r\
\x1b[1;8H\x1b[1J\x1b[6;1Hend\x1b7\x1b[1;1Hsaved\x1b8!";
    compare_with_tmux(10, 6, bytes);
}

#[test]
fn tmux_agrees_on_wide_characters_and_alternate_screen() {
    let bytes = "caf\u{e9} \u{4e2d}\u{6587} e\u{301} \u{1f600}!\r\n\
narrow\u{4e2d}\u{4e2d}\u{4e2d}\u{4e2d}\u{4e2d}\r\n\x1b[?1049h\x1b[Hin alt\x1b[3;4Hx"
        .as_bytes();
    compare_with_tmux(9, 4, bytes);
    let leave = [bytes, b"\x1b[?1049l after"].concat();
    compare_with_tmux(9, 4, &leave);
}
