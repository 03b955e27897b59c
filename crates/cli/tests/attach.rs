//! `muxlink attach` as a person would use it: it runs inside a pane of a private "outer" tmux
//! (the real terminal), attached to a private "inner" tmux. The test types with the outer
//! tmux's `send-keys` and reads the screen with `capture-pane`.

mod attach_support;

use attach_support::{lines, screen, stand_in_ssh, wait, WAIT};
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};

#[test]
fn attach_draws_types_splits_resizes_and_detaches() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let inner = TmuxServer::start_with("attach-inner", 80, 24, &["sh"]).unwrap();
    let dir = TempDir::new("attach-rec").unwrap();
    let record = dir.path().join("session.tmux");
    let cmd = format!(
        "{}{} attach -L {} -t main --record {}",
        attach_support::test_tmux_path_prefix(),
        env!("CARGO_BIN_EXE_muxlink"),
        inner.socket_name(),
        record.display()
    );
    let outer = attach_support::outer_server("attach-outer", 100, 30, &[&cmd]).unwrap();
    outer
        .tmux_ok(&["set-option", "-g", "remain-on-exit", "on"])
        .unwrap();

    // Attached: the inner server has a control client, and the status line is drawn.
    wait(&inner, "a control client on the inner server", |s| {
        lines(s, &["list-clients", "-F", "#{client_control_mode}"])
            .iter()
            .any(|l| l == "1")
    });
    wait(&outer, "status line", |s| {
        screen(s, "main").contains("[main] 0:")
    });
    // The terminal size became the client size (one row for the status line).
    wait(&inner, "inner window sized 100x29", |s| {
        lines(
            s,
            &["list-windows", "-F", "#{window_width}x#{window_height}"],
        ) == ["100x29"]
    });

    // Typing reaches the inner pane through send-keys -H (once its shell is listening).
    wait(&inner, "inner shell prompt", |s| {
        lines(s, &["capture-pane", "-p", "-t", "main"])
            .iter()
            .any(|l| !l.trim().is_empty())
    });
    outer
        .tmux_ok(&["send-keys", "-t", "main", "-l", "echo hello-$((6*7))"])
        .unwrap();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "Enter"])
        .unwrap();
    wait(&inner, "typed command ran in the inner pane", |s| {
        lines(s, &["capture-pane", "-p", "-t", "main"])
            .iter()
            .any(|l| l == "hello-42")
    });

    // ...and muxlink drew the pane's new content on the outer terminal.
    wait(&outer, "typed output drawn by muxlink", |s| {
        screen(s, "main")
            .lines()
            .any(|l| l.trim_end() == "hello-42")
    });

    // Colours come from the pane's cells: red text is drawn red on the outer terminal.
    outer
        .tmux_ok(&[
            "send-keys",
            "-t",
            "main",
            "-l",
            "printf '\\033[31mred-%s\\033[0m\\n' text",
        ])
        .unwrap();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "Enter"])
        .unwrap();
    wait(&outer, "red text drawn in red", |s| {
        let out = s
            .tmux_ok(&["capture-pane", "-p", "-e", "-t", "main"])
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        out.contains("\u{1b}[31mred-text") || out.contains("\u{1b}[38;5;1mred-text")
    });

    // A flood coalesces into few draws and ends with tmux's last lines on screen.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "-l", "seq 1 30000"])
        .unwrap();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "Enter"])
        .unwrap();
    wait(&outer, "end of the flood drawn", |s| {
        screen(s, "main").lines().any(|l| l.trim_end() == "30000")
    });

    // Prefix c: a new window, shown in the status line.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "c"])
        .unwrap();
    wait(&inner, "second window", |s| {
        lines(s, &["list-windows", "-F", "#{window_id}"]).len() == 2
    });
    wait(&outer, "status line lists two windows", |s| {
        screen(s, "main").contains("1:")
    });

    // Prefix %: split; a vertical border is drawn.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "%"])
        .unwrap();
    wait(&inner, "split pane", |s| {
        lines(s, &["list-panes", "-F", "#{pane_id}"]).len() == 2
    });
    wait(&outer, "border drawn", |s| screen(s, "main").contains('│'));

    // Prefix o: the other pane of the split becomes active.
    let before = lines(&inner, &["display-message", "-p", "#{pane_id}"]);
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "o"])
        .unwrap();
    wait(&inner, "next pane active", |s| {
        let now = lines(s, &["display-message", "-p", "#{pane_id}"]);
        !now.is_empty() && now != before
    });

    // Prefix n: back to the first window.
    let first = lines(&inner, &["list-windows", "-F", "#{window_id}"])[0].clone();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "n"])
        .unwrap();
    wait(&inner, "first window active again", |s| {
        lines(s, &["display-message", "-p", "#{window_id}"]) == [first.clone()]
    });

    // The outer terminal shrinks: the client size follows.
    outer
        .tmux_ok(&["resize-window", "-t", "main", "-x", "90", "-y", "25"])
        .unwrap();
    wait(&inner, "inner window resized to 90x24", |s| {
        lines(
            s,
            &["list-windows", "-F", "#{window_width}x#{window_height}"],
        )
        .iter()
        .all(|l| l == "90x24")
    });

    // Prefix d: detach; muxlink exits, the inner session lives on.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "d"])
        .unwrap();
    wait(&inner, "control client gone", |s| {
        lines(s, &["list-clients", "-F", "#{client_control_mode}"]).is_empty()
    });
    wait(&outer, "muxlink exited", |s| {
        lines(s, &["list-panes", "-t", "main", "-F", "#{pane_dead}"]) == ["1"]
    });
    assert_eq!(
        lines(&inner, &["list-sessions", "-F", "#{session_name}"]),
        ["main"]
    );
}

#[test]
fn attach_without_server_starts_a_private_one() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    // A socket name nobody uses: attach must start the server there itself.
    let name = format!("muxlink-attach-new-{}", std::process::id());
    let cmd = format!(
        "{}{} attach -L {} -f /dev/null",
        attach_support::test_tmux_path_prefix(),
        env!("CARGO_BIN_EXE_muxlink"),
        name
    );
    let outer = attach_support::outer_server("attach-outer2", 80, 24, &[&cmd]).unwrap();
    let check = || {
        std::process::Command::new(muxlink_testkit::default_program())
            .args(["-L", &name, "list-sessions", "-F", "#{session_name}"])
            .env_remove("TMUX")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let ok = outer.wait_for(WAIT, |_| check().then_some(()));
    // Always kill the server this test made, whatever happened.
    let kill = || {
        let path = std::process::Command::new(muxlink_testkit::default_program())
            .args(["-L", &name, "display-message", "-p", "#{socket_path}"])
            .env_remove("TMUX")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let _ = std::process::Command::new(muxlink_testkit::default_program())
            .args(["-L", &name, "kill-server"])
            .env_remove("TMUX")
            .output();
        // tmux leaves the socket file of a killed server behind.
        if !path.is_empty() {
            let _ = std::fs::remove_file(path);
        }
    };
    if ok.is_err() {
        kill();
        panic!("no server started on -L {name}: {}", screen(&outer, "main"));
    }
    let drawn = outer.wait_for(WAIT, |s| screen(s, "main").contains("0:").then_some(()));
    kill();
    drawn.expect("status line drawn");
}

#[test]
fn attach_over_ssh_with_a_stand_in_ssh() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let inner = TmuxServer::start_with("attach-ssh-inner", 80, 24, &["sh"]).unwrap();
    let dir = TempDir::new("attach-ssh").unwrap();
    // Drops options and the host, runs the remote words here as sshd's shell would.
    stand_in_ssh(dir.path());
    let cmd = format!(
        "PATH={}:{}$PATH {} attach --ssh devbox -L {} -t main",
        dir.path().display(),
        attach_support::test_tmux_path_entry(),
        env!("CARGO_BIN_EXE_muxlink"),
        inner.socket_name()
    );
    let outer = attach_support::outer_server("attach-ssh-outer", 90, 20, &[&cmd]).unwrap();
    wait(&inner, "a control client over ssh", |s| {
        lines(s, &["list-clients", "-F", "#{client_control_mode}"]) == ["1"]
    });
    wait(&outer, "status line", |s| {
        screen(s, "main").contains("[main] 0:")
    });
    wait(&inner, "inner window sized 90x19", |s| {
        lines(
            s,
            &["list-windows", "-F", "#{window_width}x#{window_height}"],
        ) == ["90x19"]
    });
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "d"])
        .unwrap();
    wait(&inner, "control client gone", |s| {
        lines(s, &["list-clients", "-F", "#{client_control_mode}"]).is_empty()
    });
}
