//! How `muxlink attach` ends: in tmux's own words for a detach, a killed session and a
//! killed server; tmux's text shown with control characters made visible (a fake remote
//! must not reach the terminal); the detach key leaving a stopped server within two
//! seconds; the terminal restored after an abort. As in `attach.rs`, muxlink runs in a pane
//! of a private "outer" tmux (the real terminal); the pane's shell records muxlink's exit
//! status and the terminal's state after it (`then_record`).

mod attach_support;

use std::time::{Duration, Instant};

use attach_support::{
    assert_terminal_restored, attached_then_record, kill, lines, muxlink_pid, outer_modes, screen,
    stand_in_ssh, then_record, type_line, wait, WAIT,
};
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};

/// Waits until muxlink has ended (its shell wrote the exit status) and returns the status.
fn ended(outer: &TmuxServer, dir: &TempDir) -> String {
    let status = dir.path().join("status");
    outer
        .wait_for(WAIT, |_| {
            std::fs::read_to_string(&status)
                .ok()
                .filter(|s| s.ends_with('\n'))
        })
        .unwrap_or_else(|_| panic!("muxlink did not end: {}", screen(outer, "main")))
        .trim()
        .to_owned()
}

fn said(outer: &TmuxServer, words: &str) -> bool {
    screen(outer, "main").lines().any(|l| l.trim_end() == words)
}

/// The detach key: `[detached (from session main)]`, as tmux's client says it; status 0.
#[test]
fn detach_says_so_in_tmux_words() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer, dir) = attached_then_record("attach-bye-detach");
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "d"])
        .unwrap();
    assert_eq!(ended(&outer, &dir), "0");
    assert!(
        said(&outer, "[detached (from session main)]"),
        "{}",
        screen(&outer, "main")
    );
    assert_eq!(lines(&inner, &["list-sessions", "-F", "#S"]), ["main"]);
}

/// The session killed from elsewhere: `[exited]`; a detach from elsewhere: the detach words.
#[test]
fn a_killed_session_and_a_detach_from_elsewhere() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer, dir) = attached_then_record("attach-bye-killed");
    inner
        .tmux_ok(&["new-session", "-d", "-s", "other"])
        .unwrap();
    inner.tmux_ok(&["kill-session", "-t", "main"]).unwrap();
    assert_eq!(ended(&outer, &dir), "0");
    assert!(said(&outer, "[exited]"), "{}", screen(&outer, "main"));

    let (inner, outer, dir) = attached_then_record("attach-bye-elsewhere");
    wait(&inner, "the control client", |s| {
        lines(s, &["list-clients", "-F", "#{client_control_mode}"]) == ["1"]
    });
    inner.tmux_ok(&["detach-client", "-s", "main"]).unwrap();
    assert_eq!(ended(&outer, &dir), "0");
    assert!(
        said(&outer, "[detached (from session main)]"),
        "{}",
        screen(&outer, "main")
    );
}

/// The server killed (it had another session): `[server exited]`.
#[test]
fn a_killed_server() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer, dir) = attached_then_record("attach-bye-server");
    inner
        .tmux_ok(&["new-session", "-d", "-s", "other"])
        .unwrap();
    wait(&outer, "muxlink saw the second session", |_| {
        lines(&inner, &["list-sessions", "-F", "#S"]).len() == 2
    });
    // Let the session list reach muxlink (a `%sessions-changed`, then the listing it asks
    // for): tmux's stream is in order, so once the echo of a line typed after the new
    // session is drawn, muxlink has read the notification and asked; once the echo of a
    // second line is drawn, the listing's reply, sent before that line's keys, was read.
    for (typed, shown) in [
        ("echo one-$((1+1))", "one-2"),
        ("echo two-$((2+2))", "two-4"),
    ] {
        type_line(&outer, typed);
        wait(&outer, "the echo drawn", |s| {
            screen(s, "main").lines().any(|l| l.trim_end() == shown)
        });
    }
    let _ = inner.tmux(&["kill-server"]);
    assert_eq!(ended(&outer, &dir), "0");
    assert!(
        said(&outer, "[server exited]"),
        "{}",
        screen(&outer, "main")
    );
}

/// A fake remote ends with an exit reason full of escape sequences (set the title, turn the
/// alternate screen on again): muxlink shows them as text, and the terminal is untouched.
#[test]
fn control_characters_in_an_exit_reason_are_shown_visibly() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let dir = TempDir::new("attach-bye-hostile").unwrap();
    // The "remote tmux": a control stream that ends at once with a hostile reason.
    let fake = dir.path().join("fake-tmux");
    std::fs::write(
        &fake,
        "#!/bin/sh\nprintf '%%exit bye\\033]2;pwned\\007\\033[?1049h\\033[31m\\n'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    stand_in_ssh(dir.path());
    let d = dir.path().display();
    let cmd = format!(
        "PATH={d}:$PATH {}",
        then_record(
            &format!("attach --ssh devbox --tmux {}", fake.display()),
            &dir
        )
    );
    let outer = attach_support::outer_server("attach-bye-hostile-outer", 80, 20, &[&cmd]).unwrap();
    assert_terminal_restored(&outer, &dir);
    assert_eq!(ended(&outer, &dir), "1");
    let sc = screen(&outer, "main");
    assert!(
        sc.contains("muxlink: tmux: bye^[]2;pwned^G^[[?1049h^[[31m"),
        "{sc}"
    );
    let title = lines(
        &outer,
        &["display-message", "-p", "-t", "main", "#{pane_title}"],
    );
    assert_ne!(title, ["pwned"]);
    assert_eq!(outer_modes(&outer)[0].split(' ').next(), Some("0"));
}

/// The detach key with the server stopped (SIGSTOP): muxlink leaves within two seconds
/// (plus scheduling), restoring the terminal; the session is there when the server runs
/// again.
#[test]
fn detach_key_leaves_a_stopped_server() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer, dir) = attached_then_record("attach-bye-stopped");
    let pid = lines(&inner, &["display-message", "-p", "#{pid}"])[0].clone();
    /// Continues the server however the test ends.
    struct Resume(String);
    impl Drop for Resume {
        fn drop(&mut self) {
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &self.0])
                .status();
        }
    }
    let resume = Resume(pid.clone());
    kill("STOP", &pid);
    let t = Instant::now();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "d"])
        .unwrap();
    assert_terminal_restored(&outer, &dir);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(4), "left after {took:?}");
    assert_eq!(ended(&outer, &dir), "0");
    drop(resume);
    assert_eq!(lines(&inner, &["list-sessions", "-F", "#S"]), ["main"]);
}

/// An abort (here `kill -ABRT`; a failed allocation aborts the same way) runs no destructor
/// and no panic hook: the terminal is still restored, and the process dies by SIGABRT.
#[test]
fn abort_restores_the_terminal() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (_inner, outer, dir) = attached_then_record("attach-bye-abort");
    kill("ABRT", &muxlink_pid(&outer));
    assert_terminal_restored(&outer, &dir);
    assert_eq!(ended(&outer, &dir), "134");
}
