//! Helpers shared by the `muxlink attach` tests (`attach.rs`, `attach_ui.rs`): muxlink runs in
//! a pane of a private "outer" tmux (the real terminal) attached to a private "inner" tmux.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use muxlink_testkit::{TempDir, TmuxServer};

pub const WAIT: Duration = Duration::from_secs(20);

/// `capture-pane -p -t target`.
pub fn screen(server: &TmuxServer, target: &str) -> String {
    server
        .tmux_ok(&["capture-pane", "-p", "-t", target])
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A tmux command's output, line by line (empty when it fails).
pub fn lines(server: &TmuxServer, args: &[&str]) -> Vec<String> {
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

/// Waits up to [`WAIT`] for `f`; on timeout fails showing the server's windows and screen.
pub fn wait(server: &TmuxServer, what: &str, mut f: impl FnMut(&TmuxServer) -> bool) {
    if server.wait_for(WAIT, |s| f(s).then_some(())).is_err() {
        let windows = lines(
            server,
            &[
                "list-windows",
                "-F",
                "#{window_id} #{window_width}x#{window_height}",
            ],
        );
        panic!(
            "timed out waiting for {what}; windows {windows:?}; screen:\n{}",
            screen(server, "main")
        );
    }
}

/// Writes an executable stand-in `ssh` into `dir` that runs the remote words locally.
pub fn stand_in_ssh(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let ssh = dir.join("ssh");
    std::fs::write(
        &ssh,
        "#!/bin/sh\nwhile [ $# -gt 0 ]; do case \"$1\" in --) shift; break;; *) shift;; esac; done\n\
         exec sh -c \"exec $*\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn status_line(outer: &TmuxServer) -> String {
    screen(outer, "main")
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Writes `bytes` to muxlink's terminal, as the terminal itself would send them.
pub fn terminal_sends(outer: &TmuxServer, bytes: &[u8]) {
    let mut args: Vec<String> = ["send-keys", "-t", "main", "-H"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(bytes.iter().map(|b| format!("{b:02x}")));
    outer.tmux_ok(&args).unwrap();
}

/// Starts an inner server (panes run `sh`) and muxlink attached to it inside an outer one
/// of `cols` x `rows`; waits until muxlink drew its status line.
pub fn attached(tag: &str, cols: u16, rows: u16, setup: &[&[&str]]) -> (TmuxServer, TmuxServer) {
    let inner = TmuxServer::start_with(&format!("{tag}-inner"), 80, 24, &["sh"]).unwrap();
    for args in setup {
        inner.tmux_ok(args).unwrap();
    }
    // The inner server's own program: under MUXLINK_TEST_TMUX it is another release.
    let cmd = format!(
        "{} attach --tmux '{}' -L {} -t main",
        env!("CARGO_BIN_EXE_muxlink"),
        inner.program().display(),
        inner.socket_name()
    );
    let outer = outer_server(&format!("{tag}-outer"), cols, rows, &[&cmd]).unwrap();
    outer
        .tmux_ok(&["set-option", "-g", "remain-on-exit", "on"])
        .unwrap();
    wait(&outer, "status line", |s| status_line(s).contains("[main]"));
    (inner, outer)
}

/// Types `text` and Enter into muxlink's terminal.
pub fn type_line(outer: &TmuxServer, text: &str) {
    outer
        .tmux_ok(&["send-keys", "-t", "main", "-l", text])
        .unwrap();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "Enter"])
        .unwrap();
}

pub fn inner_has_line(inner: &TmuxServer, target: &str, want: &str) -> bool {
    screen(inner, target).lines().any(|l| l.trim_end() == want)
}

/// The outer pane's modes as tmux tracks them: alternate screen, mouse 1000/1002/1006,
/// cursor visible.
pub fn outer_modes(outer: &TmuxServer) -> Vec<String> {
    lines(
        outer,
        &[
            "display-message",
            "-p",
            "-t",
            "main",
            "#{alternate_on} #{mouse_standard_flag} #{mouse_button_flag} #{mouse_sgr_flag} \
             #{cursor_flag}",
        ],
    )
}

/// After muxlink ended, the shell script running it recorded `stty -a` in `dir/stty` and
/// then waits for one line into `dir/after`: checks that the terminal is back as it was
/// (no mouse, no alternate screen, cursor shown, cooked mode, no bracketed paste).
pub fn assert_terminal_restored(outer: &TmuxServer, dir: &TempDir) {
    let stty = dir.path().join("stty");
    outer
        .wait_for(WAIT, |_| {
            std::fs::read_to_string(&stty)
                .ok()
                .filter(|s| s.contains("icanon"))
        })
        .unwrap_or_else(|_| panic!("muxlink did not end: {}", screen(outer, "main")));
    let stty = std::fs::read_to_string(&stty).unwrap();
    let words: Vec<&str> = stty.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(words.contains(&mode), "{mode} not restored: {stty}");
    }
    assert_eq!(outer_modes(outer), ["0 0 0 0 1"]);
    // Bracketed paste is off: tmux pastes without markers.
    outer
        .tmux_ok(&["set-buffer", "-b", "t", "after-text"])
        .unwrap();
    outer
        .tmux_ok(&["paste-buffer", "-p", "-b", "t", "-t", "main"])
        .unwrap();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "Enter"])
        .unwrap();
    let after = dir.path().join("after");
    let got = outer
        .wait_for(WAIT, |_| {
            std::fs::read(&after).ok().filter(|b| b.ends_with(b"\n"))
        })
        .expect("a line read after muxlink ended");
    assert_eq!(got, b"after-text\n", "{:?}", String::from_utf8_lossy(&got));
}

/// muxlink attached to an inner server (panes run `sh`) in an 80x20 outer pane that
/// records the terminal's state after it ends (see `then_record`); waits for the status line.
pub fn attached_then_record(tag: &str) -> (TmuxServer, TmuxServer, TempDir) {
    let inner = TmuxServer::start_with(&format!("{tag}-inner"), 80, 24, &["sh"]).unwrap();
    let dir = TempDir::new(tag).unwrap();
    let cmd = then_record(&format!("attach -L {} -t main", inner.socket_name()), &dir);
    let outer = outer_server(&format!("{tag}-outer"), 80, 20, &[&cmd]).unwrap();
    wait(&outer, "status line", |s| status_line(s).contains("[main]"));
    (inner, outer, dir)
}

/// What the outer pane runs: muxlink, then the checks' recorders.
pub fn then_record(muxlink_args: &str, dir: &TempDir) -> String {
    let d = dir.path().display();
    let path = test_tmux_path_prefix();
    format!(
        "{path}{} {muxlink_args}; echo $? >{d}/status; stty -a >{d}/stty.tmp; \
         mv {d}/stty.tmp {d}/stty; head -n 1 >{d}/after.tmp; mv {d}/after.tmp {d}/after; \
         exec sleep 100",
        env!("CARGO_BIN_EXE_muxlink"),
    )
}

/// The pid of muxlink in the outer pane: the pane's process itself when the shell exec'd
/// it, else the shell's child.
pub fn muxlink_pid(outer: &TmuxServer) -> String {
    let pane = lines(
        outer,
        &["display-message", "-p", "-t", "main", "#{pane_pid}"],
    );
    let is_muxlink = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "muxlink")
    };
    if is_muxlink(&pane[0]) {
        return pane[0].clone();
    }
    children(&pane[0])
        .into_iter()
        .find(|p| is_muxlink(p))
        .expect("muxlink's pid")
}

/// The pids of `pid`'s children.
pub fn children(pid: &str) -> Vec<String> {
    let out = std::process::Command::new("pgrep")
        .args(["-P", pid])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Sends `signal` (a name: `TERM`, `KILL`, ...) to `pid`.
pub fn kill(signal: &str, pid: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{signal}"), pid])
        .status()
        .unwrap();
    assert!(ok.success(), "kill -{signal} {pid}");
}

/// `PATH='DIR':"$PATH" ` (a shell command's prefix) when `MUXLINK_TEST_TMUX` names another
/// release: the `tmux` muxlink runs is then that release, the servers' own. Empty otherwise.
pub fn test_tmux_path_prefix() -> String {
    muxlink_testkit::tmux_path_dir()
        .map(|p| format!("PATH='{}':\"$PATH\" ", p.display()))
        .unwrap_or_default()
}

/// `'DIR':` to put before `$PATH` in a shell command, as [`test_tmux_path_prefix`].
pub fn test_tmux_path_entry() -> String {
    muxlink_testkit::tmux_path_dir()
        .map(|p| format!("'{}':", p.display()))
        .unwrap_or_default()
}

/// The "outer" tmux, the terminal muxlink runs in: always the system's tmux, whatever
/// release `MUXLINK_TEST_TMUX` puts under test (it is the person's terminal, not the server
/// muxlink attaches to).
pub fn outer_server(
    tag: &str,
    cols: u16,
    rows: u16,
    shell_cmd: &[&str],
) -> std::io::Result<TmuxServer> {
    TmuxServer::start_program(std::path::Path::new("tmux"), tag, cols, rows, shell_cmd)
}
