//! History costs what its lines hold (issue 13): a line is stored at the width it uses and
//! history is allocated as it fills, yet every line reads back at the grid's full width,
//! cell for cell what the screen showed.

use muxlink_term::{Cell, Terminal};

/// `n` lines of `chars` printable characters, CR LF after each, numbered from `first`.
fn lines(chars: usize, first: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in first..first + n {
        out.extend((0..chars).map(|k| b'!' + ((i * 7 + k) % 94) as u8));
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn bytes_per_line(cols: u16, rows: u16, chars: usize, colour: bool) -> f64 {
    let mut t = Terminal::with_history_limit(cols, rows, 2000);
    let paint = |mut b: Vec<u8>| {
        if colour {
            // Each line in three colours.
            let mut out = Vec::new();
            for line in b.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                let third = line.len() / 3;
                out.extend_from_slice(b"\x1b[31m");
                out.extend_from_slice(&line[..third]);
                out.extend_from_slice(b"\x1b[1;44m");
                out.extend_from_slice(&line[third..2 * third]);
                out.extend_from_slice(b"\x1b[0m");
                out.extend_from_slice(&line[2 * third..]);
                out.push(b'\n');
            }
            b = out;
        }
        b
    };
    t.feed(&paint(lines(chars, 0, rows as usize + 50)));
    let (h0, b0) = (t.history_len(), t.heap_bytes());
    t.feed(&paint(lines(chars, 1000, 1900)));
    let (h1, b1) = (t.history_len(), t.heap_bytes());
    assert_eq!(h1 - h0, 1900);
    (b1 - b0) as f64 / 1900.0
}

#[test]
fn a_history_line_costs_about_what_it_holds() {
    // tmux 3.3a keeps such lines in 5 bytes a cell, at least a quarter of the width, plus
    // 48 bytes a line: 548 and 308 at 200 columns, 448 and 148 at 80 (its resident growth,
    // measured by `muxlink-bench --group memory`). A full-width row of 16-byte cells would
    // be 3,200 and 1,280.
    for (cols, rows) in [(200, 50), (80, 24)] {
        for (chars, most) in [(70, 130.0), (20, 80.0)] {
            let per = bytes_per_line(cols, rows, chars, false);
            assert!(
                per <= most,
                "{chars} chars at {cols} columns: {per} bytes per line"
            );
            let per = bytes_per_line(cols, rows, chars, true);
            assert!(
                per <= most + 40.0,
                "{chars} coloured chars at {cols} columns: {per} bytes per line"
            );
        }
    }
}

#[test]
fn history_is_not_reserved() {
    // A history limit of a million lines costs nothing until lines arrive.
    let mut t = Terminal::with_history_limit(200, 50, 1_000_000);
    t.feed(&lines(70, 0, 60));
    assert!(t.history_len() > 0);
    assert!(
        t.heap_bytes() < 400 << 10,
        "{} heap bytes for {} history lines",
        t.heap_bytes(),
        t.history_len()
    );
}

#[test]
fn history_lines_read_back_at_full_width_as_the_screen_showed_them() {
    let (cols, rows) = (40u16, 5u16);
    // Short, coloured, wide, combined, cleared with a colour, and a wrapped long line.
    let text = "short\r\n\x1b[32mgreen\x1b[0m and \x1b[1mbold\x1b[0m\r\n中文 e\u{301} 😀!\r\n\
                \x1b[44m\x1b[K\x1b[0mbg\r\n"
        .to_string()
        + &"x".repeat(50)
        + "\r\n";
    let mut shown: Vec<Vec<Cell>> = Vec::new();
    let mut fresh = Terminal::with_history_limit(cols, rows, 100);
    fresh.feed(text.as_bytes());
    for y in 0..fresh.rows() {
        shown.push(fresh.screen_row(y).to_vec());
    }
    // Push everything into history and compare with what the screen held.
    fresh.feed(&b"\r\n".repeat(rows as usize));
    let h = fresh.history_len();
    assert!(h >= rows as usize);
    for (k, want) in shown.iter().enumerate() {
        let i = h - rows as usize + k;
        let got = fresh.history_row(i).to_vec();
        assert_eq!(got.len(), cols as usize);
        assert_eq!(&got, want, "history line {i}");
    }
}

#[test]
fn printed_lines_pack_as_the_screen_showed_them_in_every_release() {
    use muxlink_term::release::{ServerOptions, TmuxRelease};
    let (cols, rows) = (20u16, 12u16);
    // Printed text the packing copies from a row's record of it rather than reading the
    // cells: wide characters on a coloured background (whose padding next-3.8 gives the
    // background), emoji that may take a modifier (printed one at a time), combining marks,
    // a cell joined by a ZWJ, and lines that wrap.
    let text = "\x1b[41m中文字\x1b[0m ok\r\n\
                a🙋b🙏c\u{1F64B}\u{1F3FD}d\r\n\
                e\u{301}\x1b[42m中\u{301}x\x1b[0m👨\u{200d}👩\r\n\
                \x1b[44m字字字字字字字字字字字字\x1b[0m\r\n\
                🙋🙋🙋🙋🙋🙋🙋🙋🙋🙋🙋🙋\r\n";
    for release in TmuxRelease::ALL {
        let (profile, _) = release.profile(&ServerOptions::default());
        let mut t = Terminal::with_profile(cols, rows, 100, &profile);
        t.feed(text.as_bytes());
        assert_eq!(t.history_len(), 0, "{release}");
        let shown: Vec<Vec<Cell>> = (0..rows).map(|y| t.screen_row(y).to_vec()).collect();
        t.feed(&b"\n".repeat(2 * rows as usize));
        assert!(t.history_len() >= rows as usize, "{release}");
        for (y, want) in shown.iter().enumerate() {
            assert_eq!(&t.history_row(y).to_vec(), want, "{release}: line {y}");
        }
    }
}
