//! `muxlink attach` as a person uses it, beyond typing: the status line's window numbers,
//! pastes, the mouse, and the outer terminal after exit. As in `attach.rs`, muxlink runs in
//! a pane of a private "outer" tmux (the real terminal) attached to a private "inner" tmux;
//! the test writes what a terminal would send with the outer tmux's `send-keys` and reads
//! the screens with `capture-pane`.

use std::time::Duration;

use muxlink_testkit::{tmux_available, TmuxServer};

const WAIT: Duration = Duration::from_secs(20);

fn screen(server: &TmuxServer, target: &str) -> String {
    server
        .tmux_ok(&["capture-pane", "-p", "-t", target])
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn lines(server: &TmuxServer, args: &[&str]) -> Vec<String> {
    server
        .tmux_ok(args)
        .map(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn wait(server: &TmuxServer, what: &str, mut f: impl FnMut(&TmuxServer) -> bool) {
    if server.wait_for(WAIT, |s| f(s).then_some(())).is_err() {
        panic!(
            "timed out waiting for {what}; screen:\n{}",
            screen(server, "main")
        );
    }
}

/// The outer screen's last line: muxlink's status line.
fn status_line(outer: &TmuxServer) -> String {
    screen(outer, "main")
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Starts an inner server (panes run `sh`) and muxlink attached to it inside an outer one
/// of `cols` x `rows`; waits until muxlink drew its status line.
fn attached(tag: &str, cols: u16, rows: u16, setup: &[&[&str]]) -> (TmuxServer, TmuxServer) {
    let inner = TmuxServer::start_with(&format!("{tag}-inner"), 80, 24, &["sh"]).unwrap();
    for args in setup {
        inner.tmux_ok(args).unwrap();
    }
    let cmd = format!(
        "{} attach -L {} -t main",
        env!("CARGO_BIN_EXE_muxlink"),
        inner.socket_name()
    );
    let outer = TmuxServer::start_with(&format!("{tag}-outer"), cols, rows, &[&cmd]).unwrap();
    outer
        .tmux_ok(&["set-option", "-g", "remain-on-exit", "on"])
        .unwrap();
    wait(&outer, "status line", |s| status_line(s).contains("[main]"));
    (inner, outer)
}

/// The status line shows tmux's window indexes (here 0 and 7, with a gap), not positions.
#[test]
fn status_line_shows_tmux_window_indexes() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer) = attached(
        "attach-index",
        80,
        20,
        &[&["new-window", "-d", "-t", "main:7"]],
    );
    wait(&outer, "indexes 0 and 7 on the status line", |s| {
        let line = status_line(s);
        line.contains(" 0:") && line.contains(" 7:")
    });
    assert!(
        !status_line(&outer).contains(" 1:"),
        "{}",
        status_line(&outer)
    );

    // A window made from muxlink takes tmux's first free index (1) and is listed in index
    // order, before 7 (its id, @2, is the highest).
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "c"])
        .unwrap();
    wait(&outer, "windows 0, 1, 7 in index order", |s| {
        let line = status_line(s);
        match (line.find(" 0:"), line.find(" 1:"), line.find(" 7:")) {
            (Some(a), Some(b), Some(c)) => a < b && b < c,
            _ => false,
        }
    });
    assert_eq!(
        lines(&inner, &["display-message", "-p", "#{window_index}"]),
        ["1"]
    );
    // Next window goes by index: 1 -> 7, then wraps to 0.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "n"])
        .unwrap();
    wait(&inner, "window 7 current", |s| {
        lines(s, &["display-message", "-p", "#{window_index}"]) == ["7"]
    });
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "n"])
        .unwrap();
    wait(&inner, "window 0 current", |s| {
        lines(s, &["display-message", "-p", "#{window_index}"]) == ["0"]
    });
}
