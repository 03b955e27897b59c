//! `muxlink snapshot --bytes DIR` on every tmux release (issue 12): each `DIR/N.vt` is
//! exactly what a bytes-mode host receives for pane N (the rebuild sequence, then output).
//! Fed to a fresh tmux pane of the same size (same release), it must give the same
//! `capture-pane -p -e -S - -E -`, cursor and alternate-screen state as the live pane.

mod common;

use std::path::Path;
use std::time::Duration;

use muxlink_testkit::{tmux_programs, TempDir, TmuxServer};
use serde_json::Value;

const RELEASES: &[&str] = &["3.2a", "3.4", "3.5a", "3.6a", "3.7c", "next-3.8"];

/// What is compared: every line with its styles (history included), cursor, alternate.
fn observe(server: &TmuxServer, target: &str) -> (String, String) {
    let cap = server
        .tmux_ok(&[
            "capture-pane",
            "-p",
            "-e",
            "-S",
            "-",
            "-E",
            "-",
            "-t",
            target,
        ])
        .unwrap();
    let state = server
        .tmux_ok(&[
            "display-message",
            "-p",
            "-t",
            target,
            "#{pane_width}x#{pane_height} #{cursor_x},#{cursor_y} #{alternate_on}",
        ])
        .unwrap();
    (
        String::from_utf8_lossy(&cap).into_owned(),
        String::from_utf8_lossy(&state).trim().to_owned(),
    )
}

/// The live panes: one with coloured history and a cursor left mid-line, one on the
/// alternate screen (its normal screen saved), one with wrapped long lines.
const SCRIPTS: [&str; 3] = [
    "i=0; while [ $i -lt 60 ]; do printf '\\033[1;3%dmline %d\\033[0m plain\\n' $((i % 7)) $i; i=$((i+1)); done; printf 'prompt> \\033[4mtyped'; exec sleep 100000",
    "printf 'before alt\\nsecond\\n'; printf '\\033[?1049h\\033[2J\\033[H\\033[7malt screen\\033[0m\\n  here'; exec sleep 100000",
    "i=0; while [ $i -lt 8 ]; do printf '%0100d\\n' $i; i=$((i+1)); done; printf 'end'; exec sleep 100000",
];

fn check_release(program: &Path, failures: &mut Vec<String>) {
    let server = TmuxServer::start_program(program, "bytes-live", 80, 24, &[SCRIPTS[0]]).unwrap();
    let version = server.version();
    server
        .tmux_ok(&["split-window", "-h", "-t", "%0", SCRIPTS[1]])
        .unwrap();
    server
        .tmux_ok(&["split-window", "-v", "-t", "%1", SCRIPTS[2]])
        .unwrap();
    server
        .wait_for(Duration::from_secs(10), |s| {
            let done = ["%0", "%1", "%2"].iter().all(|p| {
                let c = s
                    .tmux_ok(&["capture-pane", "-p", "-t", p])
                    .unwrap_or_default();
                let c = String::from_utf8_lossy(&c);
                c.contains("typed") || c.contains("here") || c.contains("end")
            });
            done.then_some(())
        })
        .unwrap();
    let dir = TempDir::new("bytes").unwrap();
    let out = common::run(
        &[
            "snapshot",
            "-L",
            server.socket_name(),
            "--tmux",
            program.to_str().unwrap(),
            "--bytes",
            dir.path().to_str().unwrap(),
            "--json",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{version}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let panes = doc["panes"].as_array().unwrap();
    assert_eq!(panes.len(), 3, "{version}");
    for p in panes {
        let id = p["id"].as_str().unwrap();
        let n = &id[1..];
        let file = dir.path().join(format!("{n}.vt"));
        assert!(file.is_file(), "{version}: {id} has no {}", file.display());
        let (cols, rows) = (p["cols"].as_u64().unwrap(), p["rows"].as_u64().unwrap());
        let live = observe(&server, id);
        let cmd = format!("cat '{}'; exec sleep 100000", file.display());
        // The file is shown only once the pane has its size (3.2a sizes the session after
        // it started, with `resize-window`).
        let fresh = TmuxServer::start_program(
            program,
            "bytes-fresh",
            cols as u16,
            rows as u16,
            &["exec sleep 100000"],
        )
        .unwrap();
        fresh
            .tmux_ok(&["respawn-pane", "-k", "-t", "%0", cmd.as_str()])
            .unwrap();
        // Wait until the fresh pane shows the same (or give up and show the difference).
        let got = fresh
            .wait_for(Duration::from_secs(5), |s| {
                let o = observe(s, "%0");
                (o == live).then_some(o)
            })
            .unwrap_or_else(|_| observe(&fresh, "%0"));
        if got != live {
            failures.push(format!(
                "{version}: {id}: fresh pane {:?} != live {:?}\nfresh: {:?}\nlive:  {:?}",
                got.1, live.1, got.0, live.0
            ));
        }
    }
}

#[test]
fn bytes_mode_files_rebuild_the_live_panes_on_every_release() {
    let programs = tmux_programs(RELEASES);
    assert!(!programs.is_empty() || !muxlink_testkit::tmux_available());
    let mut failures = Vec::new();
    for program in programs {
        check_release(&program, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
