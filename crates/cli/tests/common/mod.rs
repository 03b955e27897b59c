// Shared helpers for the CLI integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The built `muxlink` binary; under `MUXLINK_TEST_TMUX` the `tmux` it runs is that release
/// (the servers' own).
pub fn muxlink() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_muxlink"));
    if let Some(path) = muxlink_testkit::path_with_test_tmux() {
        c.env("PATH", path);
    }
    c
}

/// Runs `muxlink ARGS` with `stdin` as standard input.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = muxlink()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn muxlink");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // Write from a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait muxlink");
    writer.join().unwrap();
    out
}

/// The shared tmux recordings (`../shared/fixtures` beside the repository), if present.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: shared fixtures not found at {} (CI lays shared/ beside the repository)",
            dir.display()
        );
        None
    }
}

/// The protocol crate's committed `*.stream` recordings, sorted.
pub fn proto_fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../proto/tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "stream"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Parses JSON Lines output, failing the test on any line that is not a JSON object.
pub fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(stdout).expect("output is UTF-8");
    text.lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            assert!(v.is_object(), "not an object: {l}");
            v
        })
        .collect()
}

/// Runs `muxlink parse -` over `input`, asserts exit status 0, returns the events.
pub fn parse_events(input: &[u8]) -> Vec<serde_json::Value> {
    parse_events_with(&[], input)
}

/// Like [`parse_events`] with extra flags before `-`.
pub fn parse_events_with(flags: &[&str], input: &[u8]) -> Vec<serde_json::Value> {
    let mut args = vec!["parse"];
    args.extend_from_slice(flags);
    args.push("-");
    let out = run(&args, input);
    assert!(
        out.status.success(),
        "muxlink parse failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out.stdout)
}
