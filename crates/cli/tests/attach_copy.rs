//! Selection and copy in `muxlink attach`: mouse drags, double and triple clicks, history,
//! Shift over a program that has the mouse, and muxlink's own copy mode with search. As in
//! `attach.rs`, muxlink runs in a pane of a private "outer" tmux (the real terminal) attached
//! to a private "inner" tmux; the test writes the mouse reports a terminal would send and
//! reads what was copied from both sides: the inner server's paste buffer (`set-buffer`) and
//! the outer server's, which tmux fills from muxlink's OSC 52 (`set-clipboard on`).

mod attach_support;

use attach_support::{attached, lines, screen, terminal_sends, type_line, wait};
use muxlink_testkit::{tmux_available, TmuxServer};

/// The newest paste buffer's text (empty when there is none).
fn buffer(server: &TmuxServer) -> String {
    server
        .tmux_ok(&["show-buffer"])
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// How many paste buffers a server holds.
fn buffers(server: &TmuxServer) -> usize {
    lines(server, &["list-buffers", "-F", "#{buffer_name}"]).len()
}

/// Waits until both servers hold `want` as their newest buffer.
fn wait_copied(inner: &TmuxServer, outer: &TmuxServer, want: &str) {
    wait(inner, &format!("inner paste buffer {want:?}"), |s| {
        buffer(s) == want
    });
    wait(outer, &format!("outer clipboard (OSC 52) {want:?}"), |s| {
        buffer(s) == want
    });
}

/// SGR mouse reports (1-based cells): press, drag to, release.
fn drag(outer: &TmuxServer, mods: u32, from: (u16, u16), to: (u16, u16)) {
    let s = format!(
        "\x1b[<{m};{};{}M\x1b[<{d};{};{}M\x1b[<{m};{};{}m",
        from.0,
        from.1,
        to.0,
        to.1,
        to.0,
        to.1,
        m = mods,
        d = 32 + mods
    );
    terminal_sends(outer, s.as_bytes());
}

/// `n` clicks at one cell, sent at once (a double or triple click).
fn clicks(outer: &TmuxServer, at: (u16, u16), n: usize) {
    let s = format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m", x = at.0, y = at.1).repeat(n);
    terminal_sends(outer, s.as_bytes());
}

/// The row (1-based) of the outer screen whose text starts with `prefix`.
fn row_of(outer: &TmuxServer, prefix: &str) -> Option<u16> {
    screen(outer, "main")
        .lines()
        .position(|l| l.starts_with(prefix))
        .map(|i| i as u16 + 1)
}

/// Dragging copies what tmux's copy mode would: wrapped lines joined, trailing spaces
/// dropped, wide characters whole; double click a word, triple click a line; lines in the
/// history after scrolling back with the wheel. Both to a tmux paste buffer and, through
/// OSC 52, to the terminal's clipboard.
#[test]
fn mouse_selection_copies_to_a_paste_buffer_and_the_clipboard() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer) = attached("attach-select", 80, 20, &[]);
    outer
        .tmux_ok(&["set-option", "-s", "set-clipboard", "on"])
        .unwrap();
    wait(&inner, "inner shell prompt", |s| {
        !screen(s, "main").trim().is_empty()
    });
    // 30 lines for the history, then the text to select (the pane is 80 wide: the `w` line
    // wraps), then `cat` so that no prompt follows.
    type_line(
        &outer,
        "clear; for i in $(seq 10 39); do echo h$i; done; \
         printf 'first line here   \\n%080d%s\\n\\346\\227\\245\\346\\234\\254 wide\\nalpha beta_gamma-delta\\nlast-word end\\n' 0 rapped-tail; exec cat",
    );
    wait(&outer, "text drawn", |s| {
        row_of(s, "last-word end").is_some()
    });
    let first = row_of(&outer, "first line here").unwrap();
    let wide = row_of(&outer, "日本 wide").unwrap();
    // From "line" (column 7) to the right half of 日 (column 2), rows 1-based.
    drag(&outer, 0, (7, first), (2, wide));
    let wrapped = format!("{:080}rapped-tail", 0);
    wait_copied(&inner, &outer, &format!("line here\n{wrapped}\n日"));

    // Double click: a word by the server's `word-separators` (from 3.3 `-` separates and `_`
    // does not; 3.2a's default is a space alone, so the word runs to the line's end there).
    let seps = inner
        .tmux_ok(&["show-options", "-gv", "word-separators"])
        .unwrap();
    let seps = String::from_utf8_lossy(&seps)
        .trim_end_matches('\n')
        .to_string();
    let line = "alpha beta_gamma-delta";
    let is_word = |c: char| !c.is_whitespace() && !seps.contains(c);
    let start = line[..8].rfind(|c| !is_word(c)).map_or(0, |i| i + 1);
    let end = line[8..]
        .find(|c| !is_word(c))
        .map_or(line.len(), |i| 8 + i);
    let alpha = row_of(&outer, "alpha").unwrap();
    clicks(&outer, (9, alpha), 2);
    wait_copied(&inner, &outer, &line[start..end]);
    // Triple click: the line.
    let last = row_of(&outer, "last-word end").unwrap();
    clicks(&outer, (3, last), 3);
    wait_copied(&inner, &outer, "last-word end");
    // A plain click copies nothing.
    let n = buffers(&inner);
    clicks(&outer, (5, last), 1);
    terminal_sends(&outer, b"x\r");
    wait(&inner, "typed line echoed by cat", |s| {
        screen(s, "main")
            .lines()
            .filter(|l| l.trim_end() == "x")
            .count()
            == 2
    });
    assert_eq!(buffers(&inner), n, "a click made a buffer");

    // History: the wheel scrolls muxlink's view back; a drag there copies history lines.
    terminal_sends(
        &outer,
        b"\x1b[<64;10;5M\x1b[<64;10;5M\x1b[<64;10;5M\x1b[<64;10;5M",
    );
    wait(&outer, "h20 in view", |s| row_of(s, "h20").is_some());
    let h20 = row_of(&outer, "h20").unwrap();
    // emacs mode-keys (tmux's default): the cell under the pointer is not taken; past the
    // end of "h21" is.
    drag(&outer, 0, (1, h20), (4, h20 + 1));
    wait_copied(&inner, &outer, "h20\nh21");
}

/// A program that turned the mouse on gets clicks and drags; with Shift, the mouse is
/// muxlink's and selects (tmux's convention).
#[test]
fn shift_drag_selects_over_a_program_that_has_the_mouse() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer) = attached("attach-shift", 80, 20, &[]);
    wait(&inner, "inner shell prompt", |s| {
        !screen(s, "main").trim().is_empty()
    });
    type_line(
        &outer,
        "clear; printf '\\033[?1000h\\033[?1002h\\033[?1006hmouse-on shift-text\\n'; exec cat -v",
    );
    wait(&outer, "mouse mode on", |s| row_of(s, "mouse-on").is_some());
    let row = row_of(&outer, "mouse-on").unwrap();
    // Shift (4) + drag over "shift-text" (columns 10..19, to just after it).
    drag(&outer, 4, (10, row), (20, row));
    wait(&inner, "the Shift-drag copied", |s| {
        buffer(s) == "shift-text"
    });
    // Without Shift the program gets it.
    drag(&outer, 0, (10, row), (12, row));
    terminal_sends(&outer, b"\r");
    wait(&inner, "the drag reached the program", |s| {
        screen(s, "main").contains("^[[<0;10;1M^[[<32;12;1M^[[<0;12;1m")
    });
    assert_eq!(buffer(&inner), "shift-text");
}

/// The prefix then `[`: muxlink's copy mode, with the server's `mode-keys` (vi here): `?`
/// searches up into the history, `v` starts a selection, `$` goes to the end of the line,
/// Enter copies and leaves; `q` leaves.
#[test]
fn copy_mode_searches_selects_and_copies() {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    let (inner, outer) = attached(
        "attach-copymode",
        80,
        20,
        &[&["set-option", "-gw", "mode-keys", "vi"]],
    );
    outer
        .tmux_ok(&["set-option", "-s", "set-clipboard", "on"])
        .unwrap();
    wait(&inner, "inner shell prompt", |s| {
        !screen(s, "main").trim().is_empty()
    });
    type_line(
        &outer,
        "clear; echo 'the needle-42 is here'; seq 1 60; exec cat",
    );
    wait(&outer, "seq drawn", |s| {
        screen(s, "main").lines().any(|l| l.trim_end() == "60")
    });
    // Copy mode shows where the view is, as tmux does.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "["])
        .unwrap();
    wait(&outer, "copy mode position", |s| {
        screen(s, "main")
            .lines()
            .next()
            .is_some_and(|l| l.contains("[0/"))
    });
    assert_eq!(
        lines(&inner, &["display-message", "-p", "#{pane_in_mode}"]),
        ["0"],
        "tmux's own copy mode is not used"
    );
    // Search up for "needle": the view scrolls to it.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "-l", "?needle"])
        .unwrap();
    wait(&outer, "search prompt", |s| {
        screen(s, "main").contains("(search up) needle")
    });
    outer
        .tmux_ok(&["send-keys", "-t", "main", "Enter"])
        .unwrap();
    wait(&outer, "the match in view", |s| {
        screen(s, "main").contains("the needle-42 is here")
    });
    // Select from the match to the end of the line; Enter copies and leaves.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "-l", "v$"])
        .unwrap();
    outer
        .tmux_ok(&["send-keys", "-t", "main", "Enter"])
        .unwrap();
    wait(&inner, "copied", |s| buffer(s) == "needle-42 is here");
    wait(&outer, "clipboard too", |s| {
        buffer(s) == "needle-42 is here"
    });
    wait(&outer, "copy mode left, live again", |s| {
        let sc = screen(s, "main");
        !sc.contains("[0/") && !sc.contains("the needle-42") && sc.contains("60")
    });
    // In again, then q.
    outer
        .tmux_ok(&["send-keys", "-t", "main", "C-b", "["])
        .unwrap();
    wait(&outer, "copy mode again", |s| {
        screen(s, "main")
            .lines()
            .next()
            .is_some_and(|l| l.contains("[0/"))
    });
    outer.tmux_ok(&["send-keys", "-t", "main", "q"]).unwrap();
    wait(&outer, "copy mode left", |s| {
        !screen(s, "main")
            .lines()
            .next()
            .is_some_and(|l| l.contains("[0/"))
    });
    // Keys reach the pane again (cat echoes them).
    terminal_sends(&outer, b"typed\r");
    wait(&inner, "typing reaches the pane", |s| {
        screen(s, "main").lines().any(|l| l.trim_end() == "typed")
    });
}
