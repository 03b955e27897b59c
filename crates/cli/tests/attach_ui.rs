//! `muxlink attach` as a person uses it, beyond typing: the status line's window numbers,
//! pastes, the mouse, and the outer terminal after exit. As in `attach.rs`, muxlink runs in
//! a pane of a private "outer" tmux (the real terminal) attached to a private "inner" tmux;
//! the test writes what a terminal would send with the outer tmux's `send-keys` and reads
//! the screens with `capture-pane`.

mod attach_support;

use attach_support::{
    assert_terminal_restored, attached, attached_then_record, inner_has_line, kill, lines,
    muxlink_pid, outer_modes, screen, stand_in_ssh, status_line, terminal_sends, then_record,
    type_line, wait,
};
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};

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
    // Renumbering from elsewhere follows, even a swap-window, which sends no notification.
    inner
        .tmux_ok(&["rename-window", "-t", "main:7", "seven"])
        .unwrap();
    wait(&outer, "7:seven on the status line", |s| {
        status_line(s).contains(" 7:seven")
    });
    inner
        .tmux_ok(&["swap-window", "-s", "main:7", "-t", "main:1"])
        .unwrap();
    wait(&outer, "1:seven after the swap", |s| {
        let line = status_line(s);
        line.contains(" 1:seven") && line.contains(" 7:") && !line.contains(" 7:seven")
    });
}

/// A bracketed paste from the terminal reaches the active pane as a paste: plain for a
/// program that did not ask for bracketed paste, inside markers for one that did.
#[test]
fn paste_goes_to_the_pane_bracketed_as_it_asked() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer) = attached("attach-paste", 80, 20, &[]);
    wait(&inner, "inner shell prompt", |s| {
        !screen(s, "main").trim().is_empty()
    });
    // `sh` (dash) never turns on mode 2004: markers would break the command.
    terminal_sends(&outer, b"\x1b[200~echo plain-$((1+1))\x1b[201~");
    terminal_sends(&outer, b"\r");
    wait(&inner, "pasted command ran", |s| {
        inner_has_line(s, "main", "plain-2")
    });
    // A program that asks for it gets the paste inside the markers.
    type_line(&outer, "printf '\\033[?2004hready-%s\\n' go; cat -v");
    wait(&outer, "mode 2004 seen by muxlink", |s| {
        screen(s, "main")
            .lines()
            .any(|l| l.trim_end() == "ready-go")
    });
    terminal_sends(&outer, b"\x1b[200~pasted-text\x1b[201~");
    terminal_sends(&outer, b"\r");
    wait(&inner, "bracketed paste read by cat -v", |s| {
        inner_has_line(s, "main", "^[[200~pasted-text^[[201~")
    });
}

/// Clicks select panes and, on the status line, windows; the wheel scrolls muxlink's own
/// view of the history, or reaches a program that turned the mouse on.
#[test]
fn mouse_selects_panes_and_windows_and_scrolls() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer) = attached(
        "attach-mouse",
        80,
        20,
        &[
            &["split-window", "-h", "-t", "main:0"],
            &["new-window", "-d", "-t", "main:7"],
        ],
    );
    wait(&inner, "window 0 sized 80x19", |s| {
        lines(
            s,
            &[
                "display-message",
                "-p",
                "-t",
                "main:0",
                "#{window_width}x#{window_height}",
            ],
        ) == ["80x19"]
    });
    let panes = lines(
        &inner,
        &[
            "list-panes",
            "-t",
            "main:0",
            "-F",
            "#{pane_id} #{pane_left}",
        ],
    );
    let (left, right_x) = match &panes[..] {
        [a, b] => (
            a.split(' ').next().unwrap().to_owned(),
            b.split(' ').nth(1).unwrap().parse::<u16>().unwrap(),
        ),
        _ => panic!("panes {panes:?}"),
    };
    let active = |s: &TmuxServer| lines(s, &["display-message", "-p", "-t", "main", "#{pane_id}"]);
    assert_ne!(active(&inner).first(), Some(&left));
    wait(&outer, "border drawn", |s| screen(s, "main").contains('│'));

    // Left click in the left pane (SGR reports are 1-based).
    terminal_sends(&outer, b"\x1b[<0;3;3M\x1b[<0;3;3m");
    wait(&inner, "left pane active", |s| active(s) == [left.clone()]);
    // ...and back in the right one.
    let click = format!("\x1b[<0;{};3M\x1b[<0;{};3m", right_x + 3, right_x + 3);
    terminal_sends(&outer, click.as_bytes());
    wait(&inner, "right pane active", |s| active(s) != [left.clone()]);

    // A click on "7:" in the status line (the last row, 20) selects window 7.
    let status = status_line(&outer);
    let x = status.find(" 7:").expect("window 7 on the status line") + 2;
    let click = format!("\x1b[<0;{};20M\x1b[<0;{};20m", x, x);
    terminal_sends(&outer, click.as_bytes());
    wait(&inner, "window 7 current", |s| {
        lines(s, &["display-message", "-p", "#{window_index}"]) == ["7"]
    });

    // The wheel over a plain shell scrolls muxlink's view back; tmux is not put in a mode.
    type_line(&outer, "seq 1 100");
    wait(&outer, "seq drawn", |s| {
        screen(s, "main").lines().any(|l| l.trim_end() == "100")
    });
    terminal_sends(&outer, b"\x1b[<64;10;5M\x1b[<64;10;5M");
    wait(&outer, "view 6 lines back", |s| {
        let sc = screen(s, "main");
        sc.contains("[6/") && !sc.lines().any(|l| l.trim_end() == "100")
    });
    assert_eq!(
        lines(&inner, &["display-message", "-p", "#{pane_in_mode}"]),
        ["0"]
    );
    // Output arriving meanwhile (typed into the pane through tmux, not muxlink) does not
    // move the view: the same lines stay in it, further back.
    let view = |s: &TmuxServer| -> Vec<String> {
        let sc = screen(s, "main");
        let rows: Vec<&str> = sc.lines().collect();
        // Below the row with the position label, above the status line.
        rows[1..rows.len() - 1]
            .iter()
            .map(|l| l.to_string())
            .collect()
    };
    let before = view(&outer);
    inner
        .tmux_ok(&["send-keys", "-t", "main:7", "seq 200 205", "Enter"])
        .unwrap();
    wait(&inner, "seq 200 205 ran", |s| {
        inner_has_line(s, "main:7", "205")
    });
    wait(&outer, "view further back", |s| {
        let sc = screen(s, "main");
        !sc.contains("[6/") && sc.lines().next().is_some_and(|l| l.contains('/'))
    });
    assert_eq!(view(&outer), before, "{}", screen(&outer, "main"));
    terminal_sends(&outer, b"\x1b[<64;10;5M");
    wait(&outer, "wheel up from there", |s| {
        !screen(s, "main").contains("[6/")
    });
    // Typing returns to the live screen.
    type_line(&outer, "echo live-again");
    wait(&outer, "live screen", |s| {
        let sc = screen(s, "main");
        !sc.lines().next().is_some_and(|l| l.contains('/'))
            && sc.lines().any(|l| l.trim_end() == "live-again")
    });
    terminal_sends(&outer, b"\x1b[<64;10;5M\x1b[<64;10;5M");
    wait(&outer, "view 6 lines back again", |s| {
        screen(s, "main").contains("[6/")
    });
    terminal_sends(&outer, b"\x1b[<65;10;5M\x1b[<65;10;5M");
    wait(&outer, "back to the live screen", |s| {
        let sc = screen(s, "main");
        !sc.contains("[6/") && sc.lines().any(|l| l.trim_end() == "live-again")
    });

    // A program with mouse reporting on (1000 + SGR 1006) gets the wheel itself, at its
    // own coordinates.
    type_line(
        &outer,
        "clear; printf '\\033[?1000h\\033[?1006hmouse-%s\\n' on; cat -v",
    );
    wait(&outer, "mouse mode seen by muxlink", |s| {
        screen(s, "main")
            .lines()
            .any(|l| l.trim_end() == "mouse-on")
    });
    terminal_sends(&outer, b"\x1b[<64;10;5M");
    terminal_sends(&outer, b"\r");
    wait(&inner, "wheel report read by cat -v", |s| {
        inner_has_line(s, "main:7", "^[[<64;10;5M")
    });
}

/// Mouse reporting, bracketed paste and the alternate screen are on while muxlink runs and
/// off again after it detached, with the terminal back in cooked mode.
#[test]
fn terminal_restored_after_detach() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer, dir) = attached_then_record("attach-restore");
    // tmux keeps one mouse mode: 1002 replaces 1000. (The cursor may be hidden while a draw
    // has no cursor to show.)
    let modes = outer_modes(&outer).concat();
    assert!(modes.starts_with("1 0 1 1 "), "{modes}");
    // A paste through the real tmux reaches the inner pane (brackets stripped, dash never
    // asked for them).
    outer
        .tmux_ok(&["set-buffer", "-b", "p", "echo via-$((3*3))"])
        .unwrap();
    outer
        .tmux_ok(&["paste-buffer", "-p", "-b", "p", "-t", "main"])
        .unwrap();
    terminal_sends(&outer, b"\r");
    wait(&inner, "pasted command ran", |s| {
        inner_has_line(s, "main", "via-9")
    });
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "d"])
        .unwrap();
    assert_terminal_restored(&outer, &dir);
}

/// SIGTERM and SIGHUP (and the other ending signals) detach from tmux, leaving the session
/// running, restore the outer terminal and end the process as the signal would.
#[test]
fn terminal_restored_after_sigterm_and_sighup() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    // What tmux's own client says for each (client.c: `terminated`, `lost tty`).
    for (sig, status, words) in [
        ("TERM", "143", "[terminated]"),
        ("HUP", "129", "[lost tty]"),
    ] {
        let (inner, outer, dir) = attached_then_record(&format!("attach-sig{sig}"));
        assert_eq!(
            lines(&inner, &["list-clients", "-F", "#{client_flags}"]).len(),
            1
        );
        kill(sig, &muxlink_pid(&outer));
        assert_terminal_restored(&outer, &dir);
        let got = std::fs::read_to_string(dir.path().join("status")).unwrap();
        assert_eq!(got.trim(), status, "the shell saw a death by SIG{sig}");
        assert!(
            screen(&outer, "main").contains(words),
            "{}",
            screen(&outer, "main")
        );
        // Detached, not killed: the session lives on without a client.
        wait(&inner, "the control client gone", |s| {
            lines(s, &["list-clients", "-F", "#{client_flags}"]).is_empty()
        });
        assert_eq!(lines(&inner, &["list-sessions", "-F", "#S"]), ["main"]);
    }
}

/// The same when attaching fails (tmux refuses: no server on the socket), an error path:
/// muxlink fails (status 1) with tmux's own words, not just an exit status.
#[test]
fn terminal_restored_after_an_error() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let dir = TempDir::new("attach-restore-err").unwrap();
    // A stand-in ssh that runs the remote words here: plain `attach-session`, which a socket
    // with no server refuses.
    stand_in_ssh(dir.path());
    let d = dir.path().display();
    let cmd = format!(
        "PATH={d}:$PATH {}",
        then_record(
            &format!("attach --ssh devbox -S {d}/sock -f /dev/null"),
            &dir
        )
    );
    let outer = attach_support::outer_server("attach-restore-err-outer", 80, 20, &[&cmd]).unwrap();
    assert_terminal_restored(&outer, &dir);
    let status = std::fs::read_to_string(dir.path().join("status")).unwrap();
    assert_eq!(status.trim(), "1");
    assert!(
        screen(&outer, "main").contains("muxlink: tmux: no sessions"),
        "{}",
        screen(&outer, "main")
    );
}
