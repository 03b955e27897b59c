//! Faults and hostile text at the command line (issue 10): a snapshot that gives up reaps
//! its `tmux -C` child, `--follow` on a pane that never goes quiet prints what it has, a
//! server killed mid-snapshot leaves its synced state printed (marked incomplete), and text
//! from tmux reaches the terminal with its controls visible.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use muxlink_testkit::{tmux_available, TmuxServer};
use serde_json::Value;

fn server_pid(server: &TmuxServer) -> String {
    let pid = server
        .tmux_ok(&["display-message", "-p", "#{pid}"])
        .unwrap();
    String::from_utf8_lossy(&pid).trim().to_owned()
}

fn signal(pid: &str, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, pid])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

/// Resumes a stopped server whatever the test does.
struct Resume(String);

impl Drop for Resume {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

#[test]
fn a_snapshot_that_times_out_leaves_no_client_behind() {
    if !tmux_available() {
        return;
    }
    let server = TmuxServer::start_with("snap-timeout", 80, 24, &["exec sleep 100000"]).unwrap();
    let pid = server_pid(&server);
    signal(&pid, "-STOP");
    let resume = Resume(pid);
    let started = Instant::now();
    let out = common::run(
        &["snapshot", "-L", server.socket_name(), "--timeout", "500"],
        b"",
    );
    let took = started.elapsed();
    drop(resume);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did not answer"), "{err}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The server runs again: no read-only client of ours attaches late, and the server
    // still answers (kill-server hung behind the left-over client before).
    std::thread::sleep(Duration::from_millis(300));
    let clients = server.tmux_ok(&["list-clients"]).unwrap();
    assert!(clients.is_empty(), "{}", String::from_utf8_lossy(&clients));
}

#[test]
fn follow_on_a_pane_that_never_goes_quiet_prints_what_it_has() {
    if !tmux_available() {
        return;
    }
    let server = TmuxServer::start_with(
        "snap-busy",
        80,
        24,
        &["while :; do echo busy; sleep 0.02; done"],
    )
    .unwrap();
    let out = common::run(
        &[
            "snapshot",
            "-L",
            server.socket_name(),
            "--json",
            "--follow",
            "1000",
            "--timeout",
            "1500",
        ],
        b"",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("did not stop"), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let screen = doc["panes"][0]["screen"].as_array().unwrap();
    assert!(screen.iter().any(|r| r == "busy"), "{screen:?}");
}

#[test]
fn a_server_killed_mid_snapshot_leaves_its_synced_state_printed() {
    if !tmux_available() {
        return;
    }
    let server = TmuxServer::start_with(
        "snap-killed",
        80,
        24,
        &["printf 'synced-text\\n'; exec sleep 100000"],
    )
    .unwrap();
    server
        .wait_for(Duration::from_secs(10), |s| {
            let c = s.tmux_ok(&["capture-pane", "-p"]).ok()?;
            String::from_utf8_lossy(&c)
                .contains("synced-text")
                .then_some(())
        })
        .unwrap();
    let child = common::muxlink()
        .args([
            "snapshot",
            "-L",
            server.socket_name(),
            "--json",
            "--follow",
            "60000",
            "--timeout",
            "60000",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once its client is attached and has read the pane (a command answered after the
    // sync), the server dies.
    server
        .wait_for(Duration::from_secs(10), |s| {
            let c = s.tmux_ok(&["list-clients", "-F", "#{client_flags}"]).ok()?;
            (!c.is_empty()).then_some(())
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let _ = server.tmux(&["kill-server"]);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("incomplete"), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("the state was printed");
    assert_eq!(doc["incomplete"], true);
    let screen = doc["panes"][0]["screen"].as_array().unwrap();
    assert!(screen.iter().any(|r| r == "synced-text"), "{screen:?}");
}

/// tmux's refusal quotes the session name it was given; a name holding escapes must not
/// reach the terminal as escapes.
#[test]
fn a_refusal_reaches_the_terminal_with_its_controls_visible() {
    if !tmux_available() {
        return;
    }
    let server = TmuxServer::start("snap-escape", 80, 24).unwrap();
    let hostile = "x\x1b]2;pwned\x07\x1b[?1049h";
    let out = common::run(
        &["snapshot", "-L", server.socket_name(), "-t", hostile],
        b"",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.bytes().any(|b| b == 0x1b || b == 0x07), "{err:?}");
    assert!(err.contains("\\e]2;pwned\\x07"), "{err}");
}

#[test]
fn replay_shows_bad_lines_with_their_controls_visible() {
    let stream = b"%layout-change @0 \x1b]2;pwned\x07\x1b[?1049h *\n%bogus \x1b[2J\n";
    let out = common::run(&["replay", "--size", "80x24", "-"], stream);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pwned"), "the line is shown: {err}");
    assert!(!err.bytes().any(|b| b == 0x1b || b == 0x07), "{err:?}");
}
