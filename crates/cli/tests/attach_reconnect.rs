//! `muxlink attach --ssh` when the connection drops while the server lives on: it says so,
//! retries with backoff, and shows the same session again, the view into the history it was
//! showing included. The "ssh" is a stand-in that runs the remote words here (its process
//! becomes the `tmux -C` client); the test kills it, and makes it fail while a flag file
//! exists (a network that is down).

mod attach_support;

use std::path::Path;

use attach_support::{
    children, kill, lines, muxlink_pid, screen, status_line, terminal_sends, then_record,
    type_line, wait,
};
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};

/// A stand-in `ssh` in `dir` that fails like an unreachable host while `dir/down` exists,
/// and otherwise runs the remote words here.
fn flaky_ssh(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let ssh = dir.join("ssh");
    let down = dir.join("down");
    std::fs::write(
        &ssh,
        format!(
            "#!/bin/sh\nif [ -e {} ]; then echo 'ssh: connect to host devbox port 22: \
             Connection refused' >&2; exit 255; fi\n\
             while [ $# -gt 0 ]; do case \"$1\" in --) shift; break;; *) shift;; esac; done\n\
             exec sh -c \"exec $*\"\n",
            down.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn control_clients(inner: &TmuxServer) -> usize {
    lines(inner, &["list-clients", "-F", "#{client_control_mode}"])
        .iter()
        .filter(|l| *l == "1")
        .count()
}

/// The pane's rows on the outer screen (without the status line).
fn view(outer: &TmuxServer) -> Vec<String> {
    let sc = screen(outer, "main");
    let rows: Vec<&str> = sc.lines().collect();
    rows[..rows.len().saturating_sub(1)]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn reconnects_after_ssh_dies_and_shows_the_same_view() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let inner = TmuxServer::start_with("attach-reconnect-inner", 80, 24, &["sh"]).unwrap();
    let dir = TempDir::new("attach-reconnect").unwrap();
    flaky_ssh(dir.path());
    let cmd = format!(
        "PATH={}:{}$PATH {} attach --ssh devbox -L {} -t main",
        dir.path().display(),
        attach_support::test_tmux_path_entry(),
        env!("CARGO_BIN_EXE_muxlink"),
        inner.socket_name()
    );
    let outer = attach_support::outer_server("attach-reconnect-outer", 80, 20, &[&cmd]).unwrap();
    outer
        .tmux_ok(&["set-option", "-g", "remain-on-exit", "on"])
        .unwrap();
    wait(&outer, "status line", |s| status_line(s).contains("[main]"));
    wait(&inner, "inner shell prompt", |s| {
        !screen(s, "main").trim().is_empty()
    });
    type_line(&outer, "clear; seq -f 'mark-%02g' 1 60");
    wait(&outer, "marks drawn", |s| {
        screen(s, "main").contains("mark-60")
    });
    // Scroll back into the history: the view shows older marks.
    terminal_sends(&outer, b"\x1b[<64;10;5M".repeat(5).as_slice());
    wait(&outer, "view in history", |s| {
        screen(s, "main").contains("[15/") && !screen(s, "main").contains("mark-60")
    });
    let before = view(&outer);

    // The network goes down and ssh dies.
    std::fs::write(dir.path().join("down"), "").unwrap();
    let ssh = children(&muxlink_pid(&outer));
    assert_eq!(ssh.len(), 1, "one ssh child: {ssh:?}");
    kill("KILL", &ssh[0]);
    wait(&outer, "muxlink says the connection was lost", |s| {
        status_line(s).contains("connection lost")
    });
    // It keeps trying (the attempts fail while the network is down) and keeps showing
    // what it had.
    wait(&outer, "a later attempt", |s| {
        status_line(s).contains("(attempt 3)") || status_line(s).contains("(attempt 4)")
    });
    assert_eq!(view(&outer), before, "the view stays while reconnecting");
    assert_eq!(control_clients(&inner), 0);
    assert_eq!(
        lines(&outer, &["list-panes", "-t", "main", "-F", "#{pane_dead}"]),
        ["0"],
        "muxlink still runs"
    );

    // The network is back: the next attempt attaches to the same session.
    std::fs::remove_file(dir.path().join("down")).unwrap();
    wait(&inner, "a control client again", |s| {
        control_clients(s) == 1
    });
    wait(&outer, "attached again", |s| {
        let st = status_line(s);
        !st.contains("connection lost") && !st.contains("reconnecting")
    });
    wait(&outer, "the same view into the history", |s| {
        view(s) == before
    });
    // Typing goes to the pane again (back to the live screen).
    type_line(&outer, "echo back-$((40+2))");
    wait(&inner, "typed after reconnecting", |s| {
        screen(s, "main").lines().any(|l| l.trim_end() == "back-42")
    });
    wait(&outer, "drawn after reconnecting", |s| {
        screen(s, "main").lines().any(|l| l.trim_end() == "back-42")
    });
}

/// Without `--reconnect` (local tmux), a dropped connection ends attach, saying so.
#[test]
fn no_reconnect_without_the_flag_locally() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let inner = TmuxServer::start_with("attach-noreconnect-inner", 80, 24, &["sh"]).unwrap();
    let dir = TempDir::new("attach-noreconnect").unwrap();
    // A shell stays in the pane after muxlink (tmux may drop the last output of a pane
    // whose process exits).
    let cmd = then_record(&format!("attach -L {} -t main", inner.socket_name()), &dir);
    let outer = attach_support::outer_server("attach-noreconnect-outer", 80, 20, &[&cmd]).unwrap();
    wait(&outer, "status line", |s| status_line(s).contains("[main]"));
    let tmux = children(&muxlink_pid(&outer));
    kill("KILL", &tmux[0]);
    wait(&outer, "muxlink ended", |_| {
        dir.path().join("status").exists()
    });
    assert!(
        screen(&outer, "main").contains("[lost connection: tmux was killed"),
        "{}",
        screen(&outer, "main")
    );
}
