//! Arbitrary bytes and resizes fed to one pane emulator.
//!
//! Input layout: byte 0 picks the history limit, bytes 1..=2 the initial size, then a list
//! of operations: an op byte >= 0xF0 is a resize to the sizes in the next two bytes (tiny
//! sizes included), anything else is a run of `op % 128 + 1` bytes of output.
//!
//! Two emulators get the same operations, one with each output run in one `feed`, the other
//! with it split at a point taken from the op byte (escape sequences and UTF-8 cut in two).
//! Checks, after every operation:
//! - nothing panics;
//! - the cursor is inside the grid (`x == cols` is tmux's pending-wrap column). One tmux 3.3a
//!   fact bends this: a resize on the alternate screen clamps the cursor row but not its
//!   column (10x6, cursor at column 7, resize to 3x2: tmux reports `cursor_x` 7). So the
//!   column may stay where a resize left it, but output never moves it further out, and once
//!   it is back inside it stays inside;
//! - every history and screen row is exactly as wide as the grid, and its used width fits;
//! - history stays within its limit: output never grows it past the limit (or past what it
//!   already held: a resize may push lines over the limit, as tmux's does when it shrinks or
//!   rewraps, and tmux trims that excess only gradually as later lines scroll). Leaving the
//!   alternate screen after a size change reflows the main screen the same way (tmux 3.3a
//!   with history-limit 0 ends up with history there), so output that may do that (the
//!   terminal was on the alternate screen, or the bytes hold `47`/`49` as in `?47l`,
//!   `?1047l`, `?1049l`) is exempt from the bound;
//! - and at the end both emulators hold the same grid, cursor, modes and title.
//!
//! A third emulator reads the same output as control mode carries it (`Terminal::
//! feed_escaped`: every byte below 0x20 and every `\` written as `\ooo`, the run cut at the
//! same point into two `%output` lines) and must end equal to the other two: the one-pass
//! escaped feed the runtime uses in grid mode is the plain feed of the unescaped bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxlink_term::{Cell, CellFlags, Terminal};

const LIMITS: [usize; 5] = [0, 1, 7, 100, 2000];

fn size(b: u8, max: u16) -> u16 {
    1 + u16::from(b) % max
}

fn check(term: &Terminal, bound: usize, x_bound: u16) {
    let cols = term.cols();
    let rows = term.rows();
    assert!(cols >= 1 && rows >= 1);
    let cursor = term.cursor();
    assert!(
        cursor.x <= x_bound.max(cols),
        "cursor x {} > cols {} (and beyond {} a resize left)",
        cursor.x,
        cols,
        x_bound
    );
    assert!(cursor.y < rows, "cursor y {} >= rows {}", cursor.y, rows);
    let hist = term.history_len();
    assert!(
        hist <= bound,
        "history {hist} over its bound {bound} (the limit, or what a resize left)"
    );
    for i in 0..hist + rows as usize {
        assert_eq!(term.line(i).len(), cols as usize, "line {i} width");
        assert!(term.line_used(i) <= cols);
    }
    for y in 0..rows {
        assert_eq!(term.screen_row(y).len(), cols as usize);
    }
}

/// A cell in a form that does not depend on table indices.
fn cell_key(term: &Terminal, cell: &Cell) -> (String, u32, u32, u16, u8, u32) {
    let mut text = String::new();
    term.push_cell_text(cell, &mut text);
    (
        text,
        cell.fg.0,
        cell.bg.0,
        cell.attrs.bits(),
        (cell.flags - CellFlags::EXTENDED).bits(),
        term.underline_color(cell).0,
    )
}

fn assert_same(a: &Terminal, b: &Terminal, what: &str) {
    assert_eq!((a.cols(), a.rows()), (b.cols(), b.rows()));
    assert_eq!(a.cursor(), b.cursor(), "cursor differs after {what}");
    assert_eq!(a.history_len(), b.history_len());
    assert_eq!(a.modes(), b.modes());
    assert_eq!(a.title(), b.title());
    assert_eq!(a.is_alternate_screen(), b.is_alternate_screen());
    for i in 0..a.history_len() + a.rows() as usize {
        let ka: Vec<_> = a.line(i).iter().map(|c| cell_key(a, &c)).collect();
        let kb: Vec<_> = b.line(i).iter().map(|c| cell_key(b, &c)).collect();
        assert_eq!(ka, kb, "line {i} differs after {what}");
        assert_eq!(a.line_wrapped(i), b.line_wrapped(i));
    }
}

/// `bytes` as tmux control mode writes them in an `%output` line (control.c).
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    out.clear();
    muxlink_proto::escape_output(bytes, out);
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let limit = LIMITS[data[0] as usize % LIMITS.len()];
    let (cols, rows) = (size(data[1], 100), size(data[2], 40));
    let mut whole = Terminal::with_history_limit(cols, rows, limit);
    let mut split = Terminal::with_history_limit(cols, rows, limit);
    let mut escaped = Terminal::with_history_limit(cols, rows, limit);
    let mut line = Vec::new();
    // What history may hold after the next output: the limit, or more if a resize left more.
    let mut bound = limit;
    // How far right of the grid the cursor column may be (see the module docs).
    let mut x_bound = cols;
    check(&whole, bound, x_bound);

    let mut ops = &data[3..];
    while let Some((&op, rest)) = ops.split_first() {
        if op >= 0xF0 {
            if rest.len() < 2 {
                break;
            }
            let (c, r) = (size(rest[0], 100), size(rest[1], 40));
            whole.resize(c, r);
            split.resize(c, r);
            escaped.resize(c, r);
            ops = &rest[2..];
            bound = bound.max(whole.history_len());
            x_bound = x_bound.max(whole.cursor().x);
        } else {
            let n = (op as usize % 128 + 1).min(rest.len());
            let (bytes, tail) = rest.split_at(n);
            let may_leave_alternate =
                whole.is_alternate_screen() || bytes.windows(2).any(|w| w == b"47" || w == b"49");
            if may_leave_alternate {
                bound = usize::MAX;
            }
            whole.feed(bytes);
            let cut = (op as usize / 2) % (n + 1);
            split.feed(&bytes[..cut]);
            split.feed(&bytes[cut..]);
            escape(&bytes[..cut], &mut line);
            escaped.feed_escaped(&line);
            escape(&bytes[cut..], &mut line);
            escaped.feed_escaped(&line);
            ops = tail;
        }
        check(&whole, bound, x_bound);
        check(&split, bound, x_bound);
        check(&escaped, bound, x_bound);
        bound = limit.max(whole.history_len());
        x_bound = if whole.cursor().x <= whole.cols() {
            whole.cols()
        } else {
            x_bound
        };
    }
    assert_same(&whole, &split, "split feed");
    assert_same(&whole, &escaped, "escaped feed");
});
